"""Robustness curves (theorycheck.instability.curves) against closed forms for linear maps.

For ``Ψ = B`` with ``BAx = x`` (``B = A⁺``, ``A`` of full column rank) the error at
``Ax + e`` is ``Be``: the worst case over ``‖e‖ ≤ δ‖Ax‖`` is exactly ``δ‖Ax‖σ_max(B)`` and for
``e = δ‖Ax‖u`` with ``u`` uniform on the sphere of ``R^m`` ``E‖Be‖² = δ²‖Ax‖²‖B‖_F²/m``.
"""

from __future__ import annotations

import concurrent.futures
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skimage")

from theorycheck.errors import InvalidArgument  # noqa: E402
from theorycheck.instability.curves import image_metrics, stability_curve, verify_stability_curve  # noqa: E402
from theorycheck.nets.adapters import as_reconstruction_map  # noqa: E402
from theorycheck.results import load, verify_result  # noqa: E402


def _setting(seed=0, m=14, N=8, B=3, gap=True):
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((m, N)))
    V, _ = np.linalg.qr(rng.standard_normal((N, N)))
    s = np.linspace(1.0, 2.0, N)
    if gap:
        s[0] = 0.25  # σ_max(A⁺) = 4, well separated from the next (1/1.14...)
    A = U @ np.diag(s) @ V.T
    Bm = np.linalg.pinv(A)
    Bt = torch.tensor(Bm)
    psi = as_reconstruction_map(lambda y: y @ Bt.T.to(y.dtype), backend="torch")
    X = rng.standard_normal((B, N))
    return A, Bm, psi, X


def test_adversarial_curve_reaches_the_closed_form_worst_case_and_never_exceeds_it():
    A, Bm, psi, X = _setting()
    levels = (0.0, 0.01, 0.03, 0.08)
    c = stability_curve({"pinv": psi}, A, X, noise_levels=levels, restarts=3, steps=80, metrics=("rel_l2",),
                        baseline=None, seed=1, progress=False)
    assert c.holds and c.rigor.value == "certified-float64"
    smax = np.linalg.svd(Bm, compute_uv=False)[0]
    for i in range(X.shape[0]):
        exact = np.array(levels) * np.linalg.norm(A @ X[i]) * smax / np.linalg.norm(X[i])
        got = c.values["pinv"]["rel_l2"][:, i]
        low = c.values["pinv"]["rel_l2_lower"][:, 0, i]
        assert np.all(low <= exact * (1 + 1e-9) + 1e-15)  # a certified lower bound never exceeds the supremum
        assert np.all(low <= got)
        np.testing.assert_allclose(got[1:], exact[1:], rtol=2e-3)
        assert got[0] < 1e-12  # level 0: Ψ(Ax) = x
    # the stored perturbations respect their level, and the mean/std are those of the per-image values
    assert np.all(c.values["pinv"]["relative_norm"][:, 0, :] <= np.array(levels)[:, None])
    np.testing.assert_array_equal(c.mean["pinv"]["rel_l2"], c.values["pinv"]["rel_l2"].mean(axis=1))
    np.testing.assert_array_equal(c.std["pinv"]["rel_l2"], c.values["pinv"]["rel_l2"].std(axis=1, ddof=1))
    assert c.witnesses["pinv"]["e"].shape == (4, 1, 3, A.shape[0])


def test_gaussian_curve_matches_the_expected_squared_error():
    A, Bm, psi, X = _setting(B=2)
    m = A.shape[0]
    delta = 0.05
    D = 1500
    c = stability_curve({"pinv": psi}, A, X, noise_levels=(delta,), kind="gaussian", restarts=D,
                        metrics=("rel_l2",), baseline=None, seed=3, progress=False)
    np.testing.assert_allclose(c.values["pinv"]["relative_norm"], delta, rtol=1e-12)
    fro2 = np.sum(Bm ** 2)
    out = c.witnesses["pinv"]["output"]
    for i in range(2):
        nAx, nx = np.linalg.norm(A @ X[i]), np.linalg.norm(X[i])
        expected = delta ** 2 * nAx ** 2 * fro2 / m / nx ** 2  # E‖Be‖²/‖x‖²
        sq = np.array([np.sum((out[0, d, i] - X[i]) ** 2) for d in range(D)]) / nx ** 2
        assert abs(sq.mean() - expected) < 5 * sq.std() / np.sqrt(D) + 1e-12
        # the per-image value is the mean of the per-draw relative errors (Jensen: below √E‖Be‖²)
        np.testing.assert_allclose(c.values["pinv"]["rel_l2"][0, i], np.sqrt(sq).mean(), rtol=1e-10)
        assert c.values["pinv"]["rel_l2"][0, i] <= np.sqrt(expected) * 1.05


def test_json_round_trip_and_verifier_reject_a_forged_output():
    A, _, psi, X = _setting(B=2)
    c = stability_curve({"pinv": psi}, A, X, noise_levels=(0.0, 0.02), restarts=1, steps=10, metrics=("rel_l2",),
                        baseline=None, seed=0, progress=False)
    back = load(c.to_json())
    assert back == c
    assert verify_result(back).holds
    d = json.loads(c.to_json())
    from theorycheck.results import decode, encode

    enc = d["fields"]["witness"]["__witness__"]["data"]["runs"]["pinv"]["output"]
    arr = decode(enc).copy()
    arr[1, 0, 0, 0] += 1e-3
    d["fields"]["witness"]["__witness__"]["data"]["runs"]["pinv"]["output"] = encode(arr)
    out = verify_stability_curve(load(json.dumps(d)))
    assert not out.holds and "mean" in out.message


def test_tables_mark_the_best_method_per_level():
    A, _, psi, X = _setting(B=2)
    Bt = torch.tensor(np.linalg.pinv(A))
    worse = as_reconstruction_map(lambda y: 1.5 * (y @ Bt.T.to(y.dtype)), backend="torch")
    c = stability_curve({"pinv": psi, "scaled": worse}, A, X, noise_levels=(0.0, 0.05), restarts=1, steps=5,
                        metrics=("rel_l2",), baseline=None, seed=0, progress=False)
    md = c.to_markdown().splitlines()
    rows = [r for r in md if r.startswith("| 0 %") or r.startswith("| 5 %")]
    assert len(rows) == 2
    for r in rows:  # pinv is exact at 0 and better at 5 %: its cell is the bold one
        cells = [x.strip() for x in r.strip("|").split("|")]
        assert cells[1].startswith("**") and not cells[2].startswith("**")
    tex = c.to_latex()
    assert tex.count("\\textbf") == 2 and "\\begin{tabular}" in tex


def test_plot_has_one_panel_per_metric(tmp_path):
    pytest.importorskip("matplotlib")
    A, _, psi, X = _setting(B=2)
    c = stability_curve({"pinv": psi}, A, X.reshape(2, 8), noise_levels=(0.0, 0.05), restarts=1, steps=3,
                        metrics=("rel_l2", "psnr", "ssim"), baseline=None, seed=0, progress=False)
    fig = c.plot(str(tmp_path / "curve.png"))
    assert len(fig.axes) == 3 and (tmp_path / "curve.png").stat().st_size > 0
    for i in range(2):  # PSNR and SSIM are scikit-image's, on the stored outputs
        from skimage.metrics import peak_signal_noise_ratio, structural_similarity

        o = c.witnesses["pinv"]["output"][1, 0, i]
        rng = X[i].max() - X[i].min()
        assert c.values["pinv"]["psnr"][1, i] == peak_signal_noise_ratio(X[i], o, data_range=rng)
        assert c.values["pinv"]["ssim"][1, i] == structural_similarity(X[i], o, data_range=rng)


def test_baselines_and_executor_give_the_serial_answer():
    from theorycheck.problems.operators import SubsampledFourier

    rng = np.random.default_rng(0)
    mask = rng.random((8, 8)) < 0.5
    mask[0, 0] = True
    A = SubsampledFourier(mask)
    X = rng.random((2, 8, 8))
    X0 = X.copy()
    zf = as_reconstruction_map(lambda y: torch.stack([A.adjoint(v).real for v in y]), backend="torch")
    kw = dict(noise_levels=(0.0, 0.02), restarts=1, steps=3, metrics=("rel_l2",), baseline="l1-wavelet",
              baseline_iterations=20, seed=5, progress=False)
    serial = stability_curve({"zf": zf}, A, X, **kw)
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        par = stability_curve({"zf": zf}, A, X, executor=ex, **kw)
    assert serial.methods == ("zf", "l1-wavelet")
    for m in serial.methods:
        np.testing.assert_array_equal(serial.values[m]["rel_l2"], par.values[m]["rel_l2"])
    np.testing.assert_array_equal(X, X0)  # the caller's images are untouched
    assert verify_result(load(serial.to_json())).holds


@pytest.mark.parametrize("kwargs, name", [
    ({"noise_levels": (0.0, -0.01)}, "noise_levels"),
    ({"noise_levels": (0.0, 0.02, 0.01)}, "noise_levels"),
    ({"noise_levels": (0.01, 0.01)}, "noise_levels"),
    ({"noise_levels": ()}, "noise_levels"),
    ({"noise_levels": (0.0, float("nan"))}, "noise_levels"),
    ({"kind": "poisson"}, "kind"),
    ({"metrics": ("mse",)}, "metrics"),
    ({"metrics": ()}, "metrics"),
    ({"restarts": 0}, "restarts"),
    ({"baseline": "bm3d"}, "baseline"),
])
def test_bad_arguments_are_refused_naming_them(kwargs, name):
    A, _, psi, X = _setting(B=1)
    args = dict(noise_levels=(0.0, 0.01), restarts=1, steps=2, metrics=("rel_l2",), baseline=None, progress=False)
    args.update(kwargs)
    with pytest.raises(InvalidArgument, match=name):
        stability_curve({"pinv": psi}, A, X, **args)


def test_empty_mapping_zero_image_and_small_ssim_are_refused():
    A, _, psi, X = _setting(B=1)
    with pytest.raises(InvalidArgument, match="reconstructors"):
        stability_curve({}, A, X, baseline=None, progress=False)
    with pytest.raises(InvalidArgument, match="reconstructors"):
        stability_curve([psi], A, X, baseline=None, progress=False)
    with pytest.raises(InvalidArgument, match="X"):
        stability_curve({"p": psi}, A, np.zeros((1, 8)), baseline=None, progress=False, metrics=("rel_l2",))
    with pytest.raises(InvalidArgument, match="SSIM"):
        image_metrics(np.ones((5, 5)), np.ones((5, 5)), metrics=("ssim",))
    with pytest.raises(InvalidArgument, match="reconstruction"):
        image_metrics(np.ones(8), np.ones(9), metrics=("rel_l2",))
