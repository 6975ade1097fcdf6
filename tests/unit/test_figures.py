"""instability_figure and write_report draw and restate what a saved result stores."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from theorycheck.errors import InvalidArgument  # noqa: E402
from theorycheck.figures import instability_figure, write_report  # noqa: E402
from theorycheck.instability import check_instability  # noqa: E402
from theorycheck.results import Report, load  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _cert(complex_images=False, n=8):
    """An exact inverse on a diagonal A with one almost-unseen pixel: Ψ is certified unstable."""
    scale = np.ones(n * n)
    scale[n * n // 2 + n // 2] = 1e-3
    A = np.diag(scale)
    x = np.zeros(n * n, dtype=complex if complex_images else float)
    xp = x.copy()
    xp[n * n // 2 + n // 2] = 1.0 + (1j if complex_images else 0)

    def psi(y):
        return np.asarray(y) / scale

    return check_instability(psi, A, x, xp, ball_samples=0)


def test_vector_certificate_figure_and_report(tmp_path):
    cert = _cert()
    assert cert.holds
    p = instability_figure(cert, path=tmp_path / "f.png", model="mine")
    assert p.read_bytes()[:8] == PNG
    rep = write_report(cert, tmp_path, model="mine", certificate="c.json")
    text = rep.read_text(encoding="utf-8")
    # every hypothesis of the certificate with its margin as formatted, the bounds, the re-check command
    for name, (_, margin) in cert.hypotheses.items():
        assert name in text and f"{margin:.4g}" in text
    assert f"{cert.lower_bound:.6g}" in text and "theorycheck verify c.json --model mine" in text
    assert (tmp_path / "instability.png").read_bytes()[:8] == PNG


def test_image_figure_from_a_saved_report(tmp_path):
    from theorycheck.problems import SubsampledFourier

    n = 8
    mask = np.zeros((n, n), bool)
    mask[:, :3] = True
    A = SubsampledFourier(mask)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, n))
    d = rng.standard_normal((n, n))
    d = d - np.real(A.adjoint(A.apply(d)))
    xp = x + d

    def psi(y):  # knows the pair: exact on both images
        t = np.vdot(A.apply(d), y - A.apply(x)).real / max(np.vdot(A.apply(d), A.apply(d)).real, 1e-300)
        return x + t * d

    cert = check_instability(psi, A, x, xp, ball_samples=0)
    path = tmp_path / "c.json"
    Report([cert], title="t").to_json(str(path))
    loaded = load(str(path))
    assert instability_figure(loaded, path=tmp_path / "g.png").read_bytes()[:8] == PNG
    assert "Universal instability certificate" in write_report(loaded, tmp_path).read_text(encoding="utf-8")


@pytest.mark.parametrize("kwargs, match", [
    ({"path": "/nonexistent-folder/f.png"}, "does not exist"),
    ({"path": 3}, "file name"),
    ({"path": "PLACE/f.png", "model": 5}, "model must be"),
    ({"path": "PLACE/f.png", "dpi": 5}, "dpi"),
])
def test_figure_refuses_bad_arguments(tmp_path, kwargs, match):
    cert = _cert()
    kw = {k: (v.replace("PLACE", str(tmp_path)) if isinstance(v, str) else v) for k, v in kwargs.items()}
    with pytest.raises(InvalidArgument, match=match):
        instability_figure(cert, **kw)


def test_refuses_results_it_cannot_draw(tmp_path):
    with pytest.raises(InvalidArgument, match="InstabilityCertificate"):
        instability_figure(object(), path=tmp_path / "f.png")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="does not exist"):
        write_report(_cert(), tmp_path / "missing")
    with pytest.raises(InvalidArgument, match="plain file name"):
        write_report(_cert(), tmp_path, name="a/b.md")


def test_refuses_paths_that_would_write_elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidArgument, match=".png"):
        instability_figure(_cert(), path="figure")  # matplotlib would write figure.png
    with pytest.raises(InvalidArgument, match="current folder"):
        write_report(_cert(), "")
    with pytest.raises(InvalidArgument, match=".png"):
        write_report(_cert(), tmp_path, figure_name="f.jpg")
    assert list(tmp_path.iterdir()) == []


def test_measurement_domain_search_on_images_is_drawn(tmp_path):
    # a measurement-domain witness on 2-D images has a 1-D perturbation: drawn as a line plot (its colour
    # bar axes were removed, and matplotlib raised AttributeError)
    torch = pytest.importorskip("torch")
    from theorycheck.instability import search_worst_perturbation
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.problems import SubsampledFourier

    n = 8
    mask = np.zeros((n, n), bool)
    mask[:, :3] = True
    A = SubsampledFourier(mask)
    lin = torch.nn.Linear(2 * int(mask.sum()), n * n).double()
    psi = as_reconstruction_map(torch.nn.Sequential(lin, torch.nn.Unflatten(1, (n, n))), input="measurements",
                                layout="flat", A=A)
    x = np.random.default_rng(1).standard_normal((n, n))
    w = search_worst_perturbation(psi, A, x, domain="measurement", budget=0.1, steps=3, seed=0, progress=False)
    assert np.asarray(w.witness.data["perturbation"]).ndim == 1
    assert instability_figure(w, path=tmp_path / "m.png").read_bytes()[:8] == PNG
