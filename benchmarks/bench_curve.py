"""Batched robustness curve vs a per-level, per-restart loop of the same searches.

Both sides search the worst measurement perturbation of the demo U-Net for every noise level
and restart on the same images (``‖e‖ ≤ δ‖Ax‖``, reference = truth, the same steps and step size,
no float64 re-evaluation on either side):

* batched: :func:`theorycheck.stability_curve` (``certify=False``, no baseline) puts every level,
  restart and image into one batch;
* loop: :func:`theorycheck.search_worst_perturbation` once per level and restart, each call
  batched over the images (the images are scaled so that ``‖Ax‖ = 1``: one budget ``δ`` fits all
  of them, which is what the loop needs; the curve is scale-free in ``δ``).

Prints the median wall time of interleaved repetitions and the ratio loop/batched (goal ≥ 3×).
Measured (2 shared CPU cores, 1 torch thread, full size, one rep): batched 16.7 s, loop 14.9 s,
ratio 0.90× — on the CPU a bigger batch does no less work per image (the U-Net's cost is linear
in the batch; one batch of 448 was slower still, 29.8 s, hence chunks of 64), so the goal is
not met there; the batch is meant for a GPU, where it has not been measured yet.
Usage: ``python benchmarks/bench_curve.py [--quick]`` (full: 7 levels × 4 restarts × 16 images).

Theorem: none (performance).
Rigor: not applicable.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 levels × 2 restarts × 4 images, 5 steps, 1 rep")
    ap.add_argument("--reps", type=int, default=None)
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from theorycheck.instability.curves import stability_curve
    from theorycheck.instability.perturbation import search_worst_perturbation
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.nets.pretrained import load_demo_unet

    net, s = load_demo_unet()
    psi = as_reconstruction_map(net, input="adjoint", eval_mode=True)
    A = s.A
    if args.quick:
        levels, R, B, steps, reps = (0.01, 0.03, 0.08), 2, 4, 5, args.reps or 1
    else:
        levels, R, B, steps, reps = (0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1), 4, 16, 20, args.reps or 3
    rng = np.random.default_rng(0)
    from theorycheck.problems.data import random_ellipses

    X = np.stack([random_ellipses(s.n, seed=int(rng.integers(2 ** 31))) for _ in range(B)])
    X = X / np.array([np.linalg.norm(A.apply(x)) for x in X])[:, None, None]  # ‖Ax‖ = 1

    def batched() -> None:
        stability_curve({"unet": psi}, A, X, noise_levels=levels, restarts=R, steps=steps, metrics=("rel_l2",),
                        baseline=None, seed=0, progress=False, certify=False, device="cpu")

    def loop() -> None:
        for lev in levels:
            for r in range(R):
                search_worst_perturbation(psi, A, X, domain="measurement", reference="truth", budget=lev,
                                          steps=steps, restarts=1, seed=r, progress=False, certify=False,
                                          device="cpu")

    batched()  # warm-up
    tb, tl = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        batched()
        tb.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        loop()
        tl.append(time.perf_counter() - t0)
    mb, ml = statistics.median(tb), statistics.median(tl)
    print(f"{len(levels)} levels × {R} restarts × {B} images, {steps} steps, demo U-Net {s.n}×{s.n}, CPU, 1 thread")
    print(f"batched curve: {mb:.3f} s   per-level/per-restart loop: {ml:.3f} s   ratio loop/batched: {ml / mb:.2f}x "
          f"(median of {reps} interleaved reps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
