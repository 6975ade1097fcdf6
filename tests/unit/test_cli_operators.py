"""The --operator kinds of ``theorycheck certify``: each builds the documented operator, bad files fail cleanly.

Only the operator loading is exercised here (end-to-end certify runs are in test_cli.py);
each loaded operator is compared with numpy.fft / explicit matrices, and every unreadable or
inconsistent file ends the command with exit status 2 and a one-line message naming the file.
"""

from __future__ import annotations

import numpy as np
import pytest

from theorycheck import cli
from theorycheck.errors import InvalidArgument
from theorycheck.problems.masks import equispaced_line_mask, uniform_random_mask
from theorycheck.problems.mri import MultiCoilFourier, synthetic_coil_sensitivities
from theorycheck.problems.operators import SubsampledFourier

N = (8, 8)


@pytest.fixture()
def files(tmp_path):
    rng = np.random.default_rng(0)
    paths = {
        "mask": tmp_path / "mask.npy",
        "centred": tmp_path / "centred.npy",
        "sens": tmp_path / "sens.npy",
        "angles": tmp_path / "angles.npy",
        "A": tmp_path / "A.npy",
        "x": tmp_path / "x.npy",
    }
    np.save(paths["mask"], uniform_random_mask(N, 0.4, seed=1))
    np.save(paths["centred"], equispaced_line_mask(N, 2, 0.25))
    np.save(paths["sens"], synthetic_coil_sensitivities(N, 3, seed=2))
    np.save(paths["angles"], np.linspace(0, np.pi, 6, endpoint=False))
    np.save(paths["A"], rng.standard_normal((5, 64)))
    np.save(paths["x"], rng.standard_normal(N))
    return {k: str(v) for k, v in paths.items()}


def _image():
    return np.random.default_rng(3).standard_normal(N)


def test_fourier_kinds_follow_their_conventions(files):
    x = _image()
    axes = (-2, -1)
    mask = np.load(files["mask"])
    A = cli._load_operator(f"fourier:{files['mask']}", x)
    assert type(A) is SubsampledFourier and not A.centered
    np.testing.assert_allclose(A.apply(x), np.fft.fftn(x, norm="ortho")[mask], atol=1e-13)
    centred = np.load(files["centred"])
    Ac = cli._load_operator(f"fourier-centered:{files['centred']}", x)
    assert isinstance(Ac, SubsampledFourier) and Ac.centered
    K = np.fft.fftshift(np.fft.fftn(np.fft.ifftshift(x, axes=axes), norm="ortho"), axes=axes)
    np.testing.assert_allclose(Ac.apply(x), K[centred], atol=1e-13)


@pytest.mark.parametrize("centered", [False, True])
def test_multicoil_kinds(files, centered):
    x = _image()
    kind = "multicoil-centered" if centered else "multicoil"
    A = cli._load_operator(f"{kind}:{files['mask']},{files['sens']}", x)
    assert isinstance(A, MultiCoilFourier) and A.centered == centered
    mask, S = np.load(files["mask"]), np.load(files["sens"])
    assert A.out_shape == (3, int(mask.sum()))
    single = SubsampledFourier(mask, centered=centered)
    for c in range(3):
        np.testing.assert_allclose(A.apply(x)[c], single.apply(S[c] * x), atol=1e-13)


def test_other_kinds_still_load(files):
    x = _image()
    mask = np.load(files["mask"])
    assert cli._load_operator(f"dct:{files['mask']}", x).shape == (int(mask.sum()), 64)
    assert cli._load_operator(f"radon:{files['angles']}", x).in_shape == N
    M = cli._load_operator(files["A"], x.ravel())
    np.testing.assert_array_equal(M.to_dense(), np.load(files["A"]))
    assert cli._load_operator(f"hadamard:{files['mask']}", x).shape == (int(mask.sum()), 64)
    with pytest.raises(InvalidArgument, match="values other than 0 and 1"):
        cli._load_operator(f"hadamard:{files['angles']}", x)  # angles are no 0/1 mask


@pytest.mark.parametrize("spec,match", [
    ("fourier-centered:{tmp}/missing.npy", "--operator fourier-centered mask: no such file"),
    ("multicoil:{mask}", r"give 2 file\(s\), multicoil:MASK.npy,SENSITIVITIES.npy"),
    ("multicoil-centered:{mask},", r"give 2 file\(s\)"),
    ("multicoil:{mask},{sens},{sens}", "must not contain commas"),
    ("multicoil:{mask},{tmp}/nope.npy", "--operator multicoil sensitivities: no such file"),
    ("multicoil:{mask},{angles}", "sensitivities has shape"),
    ("multicoil:{angles},{sens}", "mask"),
    ("multicoil:{mask},{text}", "not a .npy file"),
    ("fourier-centered:{sens}", "mask"),
    ("fourier-centred:{mask}", "unknown operator kind 'fourier-centred'.*fourier-centered:MASK"),
    ("fourier:{folder}", "is a folder"),
])
def test_bad_operator_specs_are_refused_with_the_file_named(files, tmp_path, spec, match):
    text = tmp_path / "text.npy"
    text.write_text("not numpy")
    (tmp_path / "dir.npy").mkdir()
    spec = spec.format(tmp=tmp_path, text=text, folder=tmp_path / "dir.npy", **files)
    with pytest.raises(InvalidArgument, match=match):
        cli._load_operator(spec, _image())


def test_certify_reports_operator_errors_before_loading_the_model(files, tmp_path, capsys):
    args = ["certify", "--model", "no_such_module_xyz:build", "--x", files["x"], "--x-prime", files["x"],
            "--out", str(tmp_path / "c.json")]
    status = cli.main(args + ["--operator", f"multicoil-centered:{files['mask']},{tmp_path}/gone.npy"])
    err = capsys.readouterr().err
    assert status == 2 and "gone.npy" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_help_lists_every_operator_kind(capsys):
    assert cli.main(["certify", "--help"]) == 0
    out = capsys.readouterr().out
    for kind in ("A.npy", "fourier:MASK.npy", "fourier-centered:MASK.npy", "multicoil:MASK.npy,SENS.npy",
                 "multicoil-centered:MASK.npy,SENS.npy", "dct:MASK.npy", "hadamard:MASK.npy", "radon:ANGLES.npy"):
        assert kind in out, kind
    assert "fftshift(fftn(ifftshift(x)" in out
    assert set(cli._OPERATOR_KINDS) == {"fourier", "fourier-centered", "multicoil", "multicoil-centered", "dct",
                                        "hadamard", "radon"}
