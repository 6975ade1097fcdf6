"""Proven instability certificates for real-arithmetic networks (docs/theory.md §3, §7.4).

The instability claims about a network are turned from statements about its float64 program
(certified-float64) into statements about the network as a real map (proven): ``Ψ``'s exact
outputs are enclosed (:func:`theorycheck.nets.enclose`), and every claim is derived from the
enclosures with outward rounding.

1. The shipped demo U-Net: the universal instability certificate with ``rigor="proven"`` next
   to the certified-float64 one (η in seed 004's summed form, the witnessed ratio, the theorem's
   ``(‖x − x′‖ − 2η)/η``), verified with the model.
2. One small seeded architecture per supported layer family (Linear/ReLU, Conv2d + eval-mode
   BatchNorm + LeakyReLU, ConvTranspose2d + Tanh, MaxPool/AvgPool + bilinear Upsample + Sigmoid,
   Conv1d + ELU + PReLU), behind a subsampled DCT or a Gaussian matrix: a worst-case search with
   ``certify="proven"`` and with ``certify="float64"`` on the same perturbation.

Table: the enclosure width relative to the output (max radius / max |centre| of the *stored*
enclosure, whose radius is ``2r + 2⁻⁴⁴|c|``: twice the enclosure's own, so that a re-run on
other hardware lies inside it) and the gap between the proven and the float64 ratio
``(float64 − proven)/float64``.

Measured (``--quick``, one CPU core, 2026-12-04): demo U-Net stored width 2.7e-11 (the enclosure
itself 1.3e-11), gap 2.2e-10; the five small architectures: widths 6e-14 – 9e-14, gaps
4e-12 – 7e-11; all certificates proven and re-verified with the model; 8 s.

Claims checked (exit status 1 if one fails): every certificate is proven and re-verifies with
the model; the proven ratio never exceeds the float64 one by more than the float64 allowance
(both bound the same quantity from below) and is within 1e-6 of it relatively; the relative
enclosure width is below 1e-6.

Usage: ``python proofs_numeric/proven_instability.py [--quick]`` (quick: the demo U-Net without
the ball, 3 search steps per architecture; about 10 s on one CPU core).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402

FAILURES: list[str] = []


def claim(ok: bool, text: str) -> None:
    print(f"  [{'ok' if ok else 'FAIL'}] {text}")
    if not ok:
        FAILURES.append(text)


def rel_width(w) -> float:
    c, r = np.asarray(w.witness["psi_center"]), np.asarray(w.witness["psi_radius"])
    top = float(np.max(np.abs(c)))
    return float(np.max(r)) / top if top > 0 else float("inf")


def architectures(torch):
    nn = torch.nn
    torch.manual_seed(0)

    class Img(nn.Module):  # (B, 64) ↔ (B, 1, 8, 8)
        def __init__(self, body):
            super().__init__()
            self.body = body

        def forward(self, z):
            return self.body(z.reshape(-1, 1, 8, 8)).reshape(-1, 64)

    class Sig(nn.Module):  # (B, 32) ↔ (B, 1, 32)
        def __init__(self, body):
            super().__init__()
            self.body = body

        def forward(self, z):
            return self.body(z.reshape(-1, 1, 32)).reshape(-1, 32)

    bn = nn.BatchNorm2d(4)
    with torch.no_grad():
        bn.running_mean.uniform_(-0.1, 0.1)
        bn.running_var.uniform_(0.5, 1.5)
    nets = {
        "Linear + ReLU": (nn.Sequential(nn.Linear(64, 96), nn.ReLU(), nn.Linear(96, 64)), 64),
        "Conv2d + BatchNorm(eval) + LeakyReLU": (
            Img(nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), bn, nn.LeakyReLU(0.1),
                              nn.Conv2d(4, 1, 3, padding=1))), 64),
        "ConvTranspose2d + Tanh": (
            Img(nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.Tanh(),
                              nn.ConvTranspose2d(4, 1, 4, stride=2, padding=1))), 64),
        "MaxPool/AvgPool + Upsample(bilinear) + Sigmoid": (
            Img(nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Sigmoid(), nn.AvgPool2d(1),
                              nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                              nn.Conv2d(4, 1, 3, padding=1))), 64),
        "Conv1d + ELU + PReLU": (
            Sig(nn.Sequential(nn.Conv1d(1, 4, 5, padding=2), nn.ELU(), nn.Conv1d(4, 4, 3, padding=1), nn.PReLU(),
                              nn.Conv1d(4, 1, 3, padding=1))), 32),
    }
    return {k: (m.double().eval(), n) for k, (m, n) in nets.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from theorycheck.instability import check_instability, search_worst_perturbation
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.nets.pretrained import load_demo_unet
    from theorycheck.results import Rigor, load, verify_result

    t0 = time.perf_counter()
    rows = []
    print("1. Demo U-Net: universal instability certificate, proven vs certified-float64")
    model, s = load_demo_unet()
    psi = as_reconstruction_map(model, input="adjoint", eval_mode=True)
    samples = 0 if args.quick else 8
    pc = check_instability(psi, s.A, s.x, s.x_prime, ball_samples=samples, seed=0, rigor="proven")
    fc = check_instability(psi, s.A, s.x, s.x_prime, ball_samples=samples, seed=0)
    print(f"   {pc.outcome.value} [{pc.rigor.value}]: {pc.message}")
    claim(pc.holds and pc.rigor is Rigor.PROVEN, "the demo U-Net's certificate is proven")
    claim(verify_result(load(pc.to_json()), model=model).holds, "it re-verifies with the model (enclosures re-run)")
    print(f"   η = {pc.eta:.6g} ({pc.values['accuracy_form']}); L^ε ≥ {pc.lower_bound:.10g} (proven) vs "
          f"{fc.lower_bound:.10g} (float64); theorem's (‖x − x′‖ − 2η)/η = {pc.theorem_bound(pc.eta):.6g}")
    wc = np.asarray(pc.witness["psi_center"])
    wr = np.asarray(pc.witness["psi_radius"])
    rows.append(("demo U-Net (certificate)", float(wr.max() / np.abs(wc).max()),
                 (fc.lower_bound - pc.lower_bound) / fc.lower_bound))
    claim(abs(fc.lower_bound - pc.lower_bound) <= 1e-6 * fc.lower_bound, "proven and float64 bounds agree to 1e-6")

    print("2. One small architecture per layer family: worst-case search, certify='proven' vs 'float64'")
    from theorycheck.problems.operators import SubsampledDCT

    rng = np.random.default_rng(0)
    steps = 3 if args.quick else 40
    for name, (net, n) in architectures(torch).items():
        if n == 64:
            mask = rng.random((8, 8)) < 0.5
            A = SubsampledDCT(mask)
            wrapped = _Flat(net, torch)
            x = rng.standard_normal((8, 8))
            psi_n = as_reconstruction_map(wrapped, input="adjoint", eval_mode=True)
        else:
            A = rng.standard_normal((16, 32)) / 4
            x = rng.standard_normal(32)
            psi_n = as_reconstruction_map(net, input="adjoint", eval_mode=True)
        kw = dict(budget=0.05 * float(np.linalg.norm(x)), steps=steps, seed=0, progress=False, device="cpu")
        wp = search_worst_perturbation(psi_n, A, x, certify="proven", **kw)
        wf = search_worst_perturbation(psi_n, A, x, certify="float64", **kw)
        ok = wp.holds and wp.rigor is Rigor.PROVEN
        claim(ok, f"{name}: proven ratio {wp.ratio:.10g} (float64 {wf.ratio:.10g})")
        if ok:
            target = net if n != 64 else wrapped
            claim(verify_result(load(wp.to_json()), model=target).holds, f"{name}: re-verifies with the model")
            gap = (wf.ratio - wp.ratio) / wf.ratio if wf.ratio > 0 else float("nan")
            rows.append((name, rel_width(wp), gap))
            claim(rel_width(wp) < 1e-6 and abs(gap) < 1e-6, f"{name}: width < 1e-6 and |gap| < 1e-6")
    print("\n   architecture                                        rel. width    (float64 − proven)/float64")
    for name, w, g in rows:
        print(f"   {name:<50}  {w:10.3g}    {g:10.3g}")
    print(f"\nDone in {time.perf_counter() - t0:.1f} s; {len(FAILURES)} claim(s) failed.")
    return 1 if FAILURES else 0


class _Flat:
    """Images (B, 8, 8) ↔ the architectures' flat (B, 64) input (a torch module)."""

    def __new__(cls, net, torch):
        class Flat(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.net = net

            def forward(self, z):
                return self.net(z.reshape(-1, 64)).reshape(z.shape)

        return Flat().double().eval()


if __name__ == "__main__":
    sys.exit(main())
