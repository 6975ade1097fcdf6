"""``theorycheck certify`` end to end, as a user drives it: a module:factory network in the current
folder, images and operators saved as .npy, the certificate verified with ``theorycheck verify --model``.

The networks are "too accurate" by construction: each knows the pair ``x, x′`` and returns
``x + t (x′ − x)`` where ``t`` is read off the component of its input along the (small) measured
part of the detail. They reconstruct both images exactly, and ``x′ − x`` lies almost in the kernel
of ``A``, so the universal instability theorem applies; the independent ground truth is the
closed-form ratio ``‖x′ − x‖ / ‖A(x′ − x)‖`` that the certificate's bound must match.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck import cli  # noqa: E402
from theorycheck.problems import MultiCoilFourier, SubsampledFourier  # noqa: E402
from theorycheck.problems.masks import equispaced_line_mask  # noqa: E402
from theorycheck.problems.mri import synthetic_coil_sensitivities  # noqa: E402
from theorycheck.results import load  # noqa: E402

N = 8

NETS = '''
import os
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def _c(name):
    return torch.from_numpy(np.load(os.path.join(HERE, name)).astype(np.complex64))


class UNetLike(torch.nn.Module):
    """Channels-first adjoint input (B, 2, n, n) -> (B, 2, n, n); one conv layer on top."""

    input = "adjoint"

    def __init__(self):
        super().__init__()
        g = _c("g.npy")  # A^*A d (complex, the measured part of the detail), image shape
        self.register_buffer("g", torch.stack([g.real, g.imag]))
        x, d = _c("x.npy"), _c("d.npy")
        self.register_buffer("x", torch.stack([x.real, x.imag]))
        self.register_buffer("d", torch.stack([d.real, d.imag]))
        self.register_buffer("z0", torch.stack([_c("z0.npy").real, _c("z0.npy").imag]))
        self.conv = torch.nn.Conv2d(2, 2, 1, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.eye(2).reshape(2, 2, 1, 1))

    def forward(self, z):
        t = ((z - self.z0) * self.g).sum(dim=(1, 2, 3)) / (self.g * self.g).sum()
        return self.conv(self.x[None] + t[:, None, None, None] * self.d[None])


class MultiCoil(torch.nn.Module):
    """Channels-first multi-coil measurements (B, 2, C, m) -> complex image as (B, 2, n, n)."""

    def __init__(self):
        super().__init__()
        ad = _c("Ad.npy")  # A d, shape (C, m)
        self.register_buffer("ad", torch.stack([ad.real, ad.imag]))
        self.register_buffer("y0", torch.stack([_c("y0.npy").real, _c("y0.npy").imag]))
        x, d = _c("x.npy"), _c("d.npy")
        self.register_buffer("x", torch.stack([x.real, x.imag]))
        self.register_buffer("d", torch.stack([d.real, d.imag]))
        self.scale = torch.nn.Parameter(torch.ones(()))

    def forward(self, y):
        t = ((y - self.y0) * self.ad).sum(dim=(1, 2, 3)) / (self.ad * self.ad).sum()
        return self.scale * (self.x[None] + t[:, None, None, None] * self.d[None])


def unet():
    return UNetLike()


def multicoil():
    return MultiCoil()
'''


def _pair(A, rng):
    """x and x′ = x + d with d almost in the kernel of A (complex images, N × N)."""
    x = rng.standard_normal((N, N)) + 1j * rng.standard_normal((N, N))
    d = 2.0 * (rng.standard_normal((N, N)) + 1j * rng.standard_normal((N, N)))
    # the projection onto the row space of A, from the SVD of its dense matrix
    M = np.stack([A.apply(e.reshape(N, N)).ravel() for e in np.eye(N * N)], axis=1)
    _, sv, Vh = np.linalg.svd(M, full_matrices=False)
    V = Vh[sv > 1e-10 * sv[0]].conj().T
    seen = (V @ (V.conj().T @ d.ravel())).reshape(N, N)
    d = d - seen + 1e-3 * seen  # the kernel part plus a thousandth of the measured part
    return x, d


def _write(tmp_path, A, x, d, module):
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "xp.npy", x + d)
    np.save(tmp_path / "d.npy", d)
    np.save(tmp_path / "g.npy", A.adjoint(A.apply(d)))
    np.save(tmp_path / "z0.npy", A.adjoint(A.apply(x)))
    np.save(tmp_path / "Ad.npy", A.apply(d))
    np.save(tmp_path / "y0.npy", A.apply(x))
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(NETS), encoding="utf-8")


def _certify_and_verify(tmp_path, monkeypatch, capsys, operator, model, extra, A, d):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "res" / "cert.json"
    out.parent.mkdir()
    status = cli.main(["certify", "--model", model, "--operator", operator, "--x", "x.npy",
                       "--x-prime", "xp.npy", "--out", str(out), "--ball-samples", "4", *extra])
    text = capsys.readouterr()
    assert status == 0, text.err + text.out
    cert = load(str(out))
    assert cert.outcome.value == "holds" and cert.rigor.value == "certified-float64", cert.message
    # independent ground truth: Ψ returns x + t d with t = 0 at Ax and t = 1 at Ax′ (up to the
    # float32 storage of the network's buffers), so the witnessed bound is ‖d‖/‖Ad‖
    expected = np.linalg.norm(d) / np.linalg.norm(A.apply(d))
    assert cert.lower_bound == pytest.approx(expected, rel=1e-5)
    assert cert.lower_bound > 100  # the detail is a thousand times larger than its measurements
    # figure and report beside the certificate
    png, rep = out.parent / "instability.png", out.parent / "report.md"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = rep.read_text(encoding="utf-8")
    for needle in ("‖Ψ(Ax) − x‖ < η", "‖x − x′‖ > 2η", "certified-float64", "instability.png",
                   f"theorycheck verify {out} --model {model}"):
        assert needle in report
    # verify re-runs the network and reproduces every claim
    assert cli.main(["verify", str(out), "--model", model]) == 0
    assert "1 of 1 re-check" in capsys.readouterr().out
    # a network that differs (scaled output) does not reproduce the stored outputs
    return out


def _save_changed(tmp_path, monkeypatch, factory, key, factor):
    """w.pt: the factory's full state dict with one tensor scaled (another network)."""
    import importlib

    monkeypatch.syspath_prepend(str(tmp_path))
    module, name = factory.split(":")
    net = getattr(importlib.import_module(module), name)()
    sd = {k: v.clone() for k, v in net.state_dict().items()}
    sd[key] = sd[key] * factor
    torch.save(sd, tmp_path / "w.pt")


def test_certify_channels_first_adjoint_unet_on_centred_kspace(tmp_path, monkeypatch, capsys):
    mask = equispaced_line_mask((N, N), 4, 0.25, centered=True)
    A = SubsampledFourier(mask, centered=True)
    x, d = _pair(A, np.random.default_rng(0))
    _write(tmp_path, A, x, d, "nets_unet")
    np.save(tmp_path / "mask.npy", mask)
    out = _certify_and_verify(tmp_path, monkeypatch, capsys, "fourier-centered:mask.npy", "nets_unet:unet",
                              ["--input", "adjoint", "--layout", "channels-first"], A, d)
    # the same certificate is refused for another network: weights that change the outputs
    _save_changed(tmp_path, monkeypatch, "nets_unet:unet", "conv.weight", 1.01)
    assert cli.main(["verify", str(out), "--model", "nets_unet:unet", "--weights", str(tmp_path / "w.pt")]) == 1


def test_certify_multicoil_model(tmp_path, monkeypatch, capsys):
    mask = equispaced_line_mask((N, N), 4, 0.25, centered=True)
    sens = synthetic_coil_sensitivities((N, N), 3, seed=1)
    A = MultiCoilFourier(mask, sens, centered=True)
    x, d = _pair(A, np.random.default_rng(1))
    _write(tmp_path, A, x, d, "nets_mc")
    np.save(tmp_path / "mask.npy", mask)
    np.save(tmp_path / "sens.npy", sens)
    out = _certify_and_verify(tmp_path, monkeypatch, capsys, "multicoil-centered:mask.npy,sens.npy",
                              "nets_mc:multicoil", ["--input", "measurements"], A, d)
    _save_changed(tmp_path, monkeypatch, "nets_mc:multicoil", "scale", 1.001)
    assert cli.main(["verify", str(out), "--model", "nets_mc:multicoil", "--weights", str(tmp_path / "w.pt")]) == 1


def test_certify_no_report_writes_only_the_certificate(tmp_path, monkeypatch, capsys):
    mask = equispaced_line_mask((N, N), 4, 0.25, centered=True)
    A = SubsampledFourier(mask, centered=True)
    x, d = _pair(A, np.random.default_rng(2))
    _write(tmp_path, A, x, d, "nets_noreport")
    np.save(tmp_path / "mask.npy", mask)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "o").mkdir()
    status = cli.main(["certify", "--model", "nets_noreport:unet", "--operator", "fourier-centered:mask.npy",
                       "--x", "x.npy", "--x-prime", "xp.npy", "--out", "o/c.json", "--ball-samples", "0",
                       "--no-report"])
    assert status == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["c.json"]


def test_certify_rigor_auto_is_proven_or_says_why(tmp_path, monkeypatch, capsys):
    mask = equispaced_line_mask((N, N), 4, 0.25, centered=True)
    A = SubsampledFourier(mask, centered=True)
    x, d = _pair(A, np.random.default_rng(3))
    _write(tmp_path, A, x, d, "nets_rigor")
    np.save(tmp_path / "mask.npy", mask)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "o").mkdir()
    status = cli.main(["certify", "--model", "nets_rigor:unet", "--operator", "fourier-centered:mask.npy",
                       "--input", "adjoint", "--x", "x.npy", "--x-prime", "xp.npy", "--out", "o/c.json",
                       "--ball-samples", "0", "--no-report", "--rigor", "auto"])
    assert status == 0, capsys.readouterr().err
    cert = load("o/c.json")
    assert cert.holds
    if cert.rigor.value == "proven":
        expected = np.linalg.norm(d) / np.linalg.norm(A.apply(d))
        assert cert.lower_bound <= expected * (1 + 1e-5)  # a proven lower bound never exceeds the truth
        assert cli.main(["verify", "o/c.json", "--model", "nets_rigor:unet"]) == 0
    else:
        assert cert.values["rigor_note"], "a fallback from proven must say why"
    assert cli.main(["certify", "--rigor", "exact"]) != 0
    assert "invalid choice: 'exact'" in capsys.readouterr().err
