"""``theorycheck curve`` (theorycheck._cli_curve), called through run_curve."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skimage")

from theorycheck._cli_curve import add_curve_parser, run_curve  # noqa: E402
from theorycheck.results import load, verify_result  # noqa: E402


class _Pinv(torch.nn.Module):
    def __init__(self, A):
        super().__init__()
        self.register_buffer("B", torch.tensor(np.linalg.pinv(A)))

    def forward(self, y):
        return y @ self.B.T.to(y.dtype)


def _parse(argv):
    parser = argparse.ArgumentParser()
    add_curve_parser(parser.add_subparsers(dest="cmd"))
    return parser.parse_args(["curve", *argv])


def test_curve_writes_json_tables_and_plot(tmp_path):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((12, 8))
    X = rng.standard_normal((2, 8))
    np.save(tmp_path / "A.npy", A)
    np.save(tmp_path / "X.npy", X)
    out = tmp_path / "out"
    args = _parse(["--model", "unused:factory", "--operator", str(tmp_path / "A.npy"), "--images",
                   str(tmp_path / "X.npy"), "--levels", "0,0.02,0.05", "--metrics", "rel_l2", "--baseline", "none",
                   "--restarts", "1", "--steps", "5", "--out", str(out), "--quiet"])
    code = run_curve(args, load_model=lambda spec, weights: _Pinv(A))
    assert code == 0
    for name in ("curve.json", "curve.md", "curve.tex", "curve.png"):
        assert (out / name).stat().st_size > 0
    c = load(str(out / "curve.json"))
    assert verify_result(c).holds and c.methods == ("model",)
    v = verify_result(c, model=_Pinv(A))  # the network re-run at every stored input
    assert v.holds and v.values["psi_reevaluated"] == ("model",)
    assert not verify_result(c, model=_Pinv(1.01 * A)).holds
    np.testing.assert_array_equal(c.levels, [0.0, 0.02, 0.05])


def test_curve_refuses_bad_levels_and_missing_files(tmp_path, capsys):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((12, 8))
    np.save(tmp_path / "A.npy", A)
    np.save(tmp_path / "X.npy", rng.standard_normal((2, 8)))
    base = ["--model", "m:f", "--operator", str(tmp_path / "A.npy"), "--images", str(tmp_path / "X.npy"),
            "--metrics", "rel_l2", "--baseline", "none", "--out", str(tmp_path / "o"), "--quiet"]
    load_model = lambda spec, weights: _Pinv(A)  # noqa: E731
    assert run_curve(_parse([*base, "--levels", "0.05,0.01"]), load_model=load_model) == 2
    assert "noise_levels" in capsys.readouterr().out
    assert run_curve(_parse([*base, "--levels", "a,b"]), load_model=load_model) == 2
    assert "--levels" in capsys.readouterr().out
    bad = [*base]
    bad[5] = str(tmp_path / "missing.npy")
    assert run_curve(_parse(bad), load_model=load_model) == 2
    assert "--images" in capsys.readouterr().out
    assert not (tmp_path / "o").exists()
