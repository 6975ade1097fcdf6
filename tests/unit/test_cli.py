"""The command line: demo (quick), verify of a saved certificate, tampering detected."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np

from theorycheck.cli import main
from theorycheck.results import decode, encode


def test_demo_quick_writes_a_certificate_that_verifies(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--no-progress", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "[proven]" in text and "violated" in text
    assert "holds [proven]: Ψ is unstable" in text
    cert = out / "certificate.json"
    assert cert.exists()
    assert "--model theorycheck.demo:demo_model" in text  # how to re-run the network
    # the figures and the report beside it; the report restates the certificate's own numbers
    for png in ("instability.png", "worst_perturbation.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "report.md").read_text(encoding="utf-8")
    from theorycheck.results import load

    saved = list(load(str(cert)))[0]
    assert f"{saved.lower_bound:.6g}" in report and f"{saved.eta:.6g}" in report
    assert all(name in report for name in saved.hypotheses)
    assert "(instability.png)" in report and "(worst_perturbation.png)" in report
    assert main(["verify", str(cert)]) == 0
    text = capsys.readouterr().out
    assert "re-certified" in text and "4 of 4 re-check" in text
    assert "the network was not re-evaluated" in text
    # the network itself re-evaluated: the shipped factory, no warning about weights
    assert main(["verify", str(cert), "--model", "theorycheck.demo:demo_model"]) == 0
    captured = capsys.readouterr()
    assert "not re-evaluated" not in captured.out and "warning" not in captured.err

    # tamper: move the saved float answer onto the true minimiser's column
    data = json.loads(cert.read_text())
    checks = [r["fields"]["check"] for r in data["results"]]
    assert "instability" in checks and "worst_perturbation" in checks
    fields = data["results"][checks.index("certified_optimality")]["fields"]
    wit = fields["witness"]["__witness__"]["data"]
    x = decode(wit["x"])
    wit["x"] = encode(np.array([0.0, (np.sqrt(3) - 0.15) / 3]) + 0 * x)
    cert.write_text(json.dumps(data))
    assert main(["verify", str(cert)]) == 1
    assert "does not re-check" in capsys.readouterr().out


def test_verify_rejects_garbage(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["verify", str(bad)]) == 2
    assert "error" in capsys.readouterr().err


def test_console_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "theorycheck", "info"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and "theorycheck" in out.stdout


def _kernel_pair_model(tmp_path):
    """A linear network that is exact on x and x′ = x + z with ‖Az‖ tiny: unstable by the theorem."""
    import torch

    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 6))
    z = np.linalg.svd(A)[2][-1]  # unit vector in ker A
    z = z + 1e-3 * A[0] / np.linalg.norm(A[0])  # nudged off the kernel: A x and A x′ differ
    x = rng.standard_normal(6)
    xp = x + z
    Y = np.stack([A @ x, A @ xp], axis=1)
    B = np.stack([x, xp], axis=1) @ np.linalg.pinv(Y)
    lin = torch.nn.Linear(4, 6, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(B))
    path = tmp_path / "model.pt"
    with warnings.catch_warnings():  # torch.jit is deprecated in recent torch, still supported
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(lin).save(str(path))
    for name, arr in (("A.npy", A), ("x.npy", x), ("xp.npy", xp)):
        np.save(tmp_path / name, arr)
    return path


def test_certify_command_certifies_an_unstable_network(tmp_path, capsys):
    model = _kernel_pair_model(tmp_path)
    out = tmp_path / "cert.json"
    status = main(["certify", "--model", str(model), "--operator", str(tmp_path / "A.npy"),
                   "--x", str(tmp_path / "x.npy"), "--x-prime", str(tmp_path / "xp.npy"),
                   "--out", str(out)])
    text = capsys.readouterr().out
    assert status == 0, text
    assert "holds" in text and out.exists()
    assert main(["verify", str(out)]) == 0


def test_certify_command_bad_files(tmp_path, capsys):
    model = _kernel_pair_model(tmp_path)
    assert main(["certify", "--model", str(tmp_path / "nope.pt"), "--operator",
                 str(tmp_path / "A.npy"), "--x", str(tmp_path / "x.npy"), "--x-prime",
                 str(tmp_path / "xp.npy")]) == 2
    assert "TorchScript" in capsys.readouterr().err
    assert main(["certify", "--model", str(model), "--operator", "wavelet:" + str(tmp_path / "A.npy"),
                 "--x", str(tmp_path / "x.npy"), "--x-prime", str(tmp_path / "xp.npy")]) == 2
    assert "unknown operator" in capsys.readouterr().err


def test_curve_is_a_subcommand_with_certifys_loaders(tmp_path, capsys):
    assert main(["--help"]) == 0
    assert "curve" in capsys.readouterr().out
    # certify's operator loader: an unknown kind is refused with certify's message (exit 2)
    import numpy as np

    np.save(tmp_path / "X.npy", np.zeros((2, 4, 4)))
    status = main(["curve", "--model", "theorycheck.demo:demo_model", "--operator", "fourier-centred:m.npy",
                   "--images", str(tmp_path / "X.npy"), "--out", str(tmp_path / "c")])
    out = capsys.readouterr()
    assert status == 2 and "unknown operator kind 'fourier-centred'" in (out.out + out.err)
    assert not (tmp_path / "c").exists()
