"""Benchmark: throughput of ``search_worst_perturbation``'s ascent vs a raw autograd loop.

Same ``Ψ∘A`` in both: ``A`` a subsampled 2D Fourier operator (35% of the
samples), ``Ψ`` a small convolutional network reading the zero-filled image
``A^* y`` as two channels (real, imaginary), evaluated on a batch of images.

* theorycheck: ``search_worst_perturbation(psi, A, x, budget=..., steps=S)``;
  its ascent loop time is ``values["ascent_seconds"]`` (the set-up and the
  float64 re-evaluation of the witness are not part of the throughput);
* baseline: the bare loop a user would write: ``r.requires_grad_()``, forward
  ``Ψ(A^*A(x + r))``, loss ``½‖Ψ(A(x + r)) − Ψ(Ax)‖²``, ``autograd.grad``, a
  plain ``r += lr·g`` step.

Both run ``S`` steps, alternately, ``--repeats`` times; the script prints
``ratio (theorycheck steps/s ÷ raw loop steps/s): … (goal >= 0.95)`` from the
best time of each. Timings are reported, never asserted; the exit status is
non-zero only if the search's certified ratio is not finite.

Usage::

    python benchmarks/bench_ascent.py            # 64 x 64, batch 4, 60 steps, 3 repeats
    python benchmarks/bench_ascent.py --quick    # 32 x 32, batch 2, 15 steps, 2 repeats
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
import torch  # noqa: E402

GOAL = 0.95


def make_net(width: int, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(2, width, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(width, width, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(width, width, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(width, 1, 3, padding=1),
    ).eval()


def raw_loop(net: torch.nn.Module, A, x: np.ndarray, steps: int, lr: float) -> float:
    """The bare forward+backward loop of the same Ψ∘A; returns seconds."""
    for p in net.parameters():
        p.requires_grad_(False)
    xt = torch.as_tensor(x, dtype=torch.float32)

    def psi(y):
        z = A.adjoint(y)
        return net(torch.stack([z.real, z.imag], 1).float())[:, 0]

    with torch.no_grad():
        y0 = A.apply(xt)
        ref = psi(y0)
    r = 1e-3 * torch.randn(xt.shape, generator=torch.Generator().manual_seed(0))
    t0 = time.perf_counter()
    for _ in range(steps):
        r.requires_grad_(True)
        out = psi(y0 + A.apply(r))
        loss = 0.5 * (out - ref).pow(2).sum()
        (g,) = torch.autograd.grad(loss, r)
        with torch.no_grad():
            r = r.detach() + lr * g
    return time.perf_counter() - t0


def main(argv=None) -> int:
    from theorycheck.instability import search_worst_perturbation
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.problems.data import random_ellipses
    from theorycheck.problems.masks import uniform_random_mask
    from theorycheck.problems.operators import SubsampledFourier

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--width", type=int, default=None)
    args = ap.parse_args(argv)
    n = args.n or (32 if args.quick else 64)
    batch = args.batch or (2 if args.quick else 4)
    steps = args.steps or (15 if args.quick else 60)
    repeats = args.repeats or (2 if args.quick else 3)
    width = args.width or (16 if args.quick else 32)
    torch.set_num_threads(max(1, torch.get_num_threads()))

    A = SubsampledFourier(uniform_random_mask((n, n), 0.35, seed=0))
    x = np.stack([random_ellipses(n, seed=k) for k in range(batch)])
    net = make_net(width, 0)
    psi = as_reconstruction_map(net, input="adjoint")
    budget = 0.05 * float(np.linalg.norm(x[0]))
    raw_loop(net, A, x, 2, 1e-3)  # warm-up (allocator, FFT plans)
    search_worst_perturbation(psi, A, x, budget=budget, steps=2, seed=0, progress=False, device="cpu",
                              certify=False)
    t_tc, t_raw, cert = [], [], None
    for _ in range(repeats):
        t_raw.append(raw_loop(net, A, x, steps, 1e-3))
        w = search_worst_perturbation(psi, A, x, budget=budget, steps=steps, seed=0, progress=False,
                                      device="cpu", record_every=max(1, steps // 4))
        t_tc.append(w.values["ascent_seconds"])
        cert = w
    best_tc, best_raw = min(t_tc), min(t_raw)
    ratio = (steps / best_tc) / (steps / best_raw)
    print(f"Ψ∘A: {n}x{n} Fourier (35%), conv net width {width}, batch {batch}, {steps} steps, "
          f"{repeats} repeat(s), torch threads {torch.get_num_threads()}")
    print(f"theorycheck ascent: {steps / best_tc:.2f} steps/s ({best_tc:.3f} s); raw loop: "
          f"{steps / best_raw:.2f} steps/s ({best_raw:.3f} s)")
    print(f"certified ratio of the witness: max {float(np.max(cert.ratio)):.4g} [{cert.rigor.value}]")
    print(f"ratio (theorycheck steps/s / raw loop steps/s): {ratio:.3f} (goal >= {GOAL})")
    return 0 if np.all(np.isfinite(cert.ratio)) else 1


if __name__ == "__main__":
    sys.exit(main())
