"""Batched robustness curve vs a per-level, per-restart loop of the same searches.

Both sides search the worst measurement perturbation for every noise level and restart on the
same images (``‖e‖ ≤ δ‖Ax‖``, reference = truth, no float64 re-evaluation on either side) and run
the *same* searches: restart ``r`` of the curve starts from ``torch.Generator(seed + r)`` exactly as
``search_worst_perturbation(seed=seed + r)`` does, with the same step rule and number of steps
(``tests/unit/test_curves_batch.py`` checks that both find the same perturbations):

* batched: :func:`theorycheck.stability_curve` (``certify=False``, no baseline) puts every level,
  restart and image into one batch (one forward and one backward per step on CUDA; on the CPU in
  chunks of 64, see below);
* loop: :func:`theorycheck.search_worst_perturbation` once per level and restart, each call
  batched over the images (the images are scaled so that ``‖Ax‖ = 1``: one budget ``δ`` fits all
  of them, which is what the loop needs; the curve is scale-free in ``δ``).

Maps: the demo U-Net and FIRENET (unrolled primal–dual, 2 × 10 iterations), ``--model`` picks one.
Prints the median wall time of interleaved repetitions and the ratio loop/batched (goal ≥ 3×).

Measured (2 CPU cores shared with other jobs, load average 7–10, 1 torch thread; no GPU was
available), full size 7 levels × 4 restarts × 16 images:

* ``--steps 5 --reps 2``: U-Net 1.39×, FIRENET 1.90× (the code before this version, same
  script and command: U-Net 1.11×, FIRENET 1.70×); ``--model unet`` with 20 steps, one rep: 1.10×.
* The ceiling on a CPU: one forward + backward over the 448 searches costs the U-Net 2.35 s in
  calls of 16 images, 1.83 s in chunks of 64 and 1.93 s in one batch (FIRENET 10.4 / 7.7 / 7.3 s).
  Batching removes per-call overhead, not arithmetic, so on a CPU it gains at most ≈ 1.3–1.4× per
  step for these maps (more at few steps, where the loop's per-call extra forward pass weighs
  more). The ≥ 3× goal is for a GPU, where one batch fills the device; it is not met, nor
  reachable, on the CPU, and has not been measured on a GPU.

Usage: ``python benchmarks/bench_curve.py [--quick] [--model unet|firenet|both] [--steps S] [--reps R]
[--device cpu|cuda]`` (full: 7 levels × 4 restarts × 16 images, 20 steps, 3 reps; ``--device cuda``: both
sides on the GPU, the curve in one batch).

Theorem: none (performance).
Rigor: not applicable.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


def _sync(dev: str) -> None:
    """Wait for the GPU's queued work (timings of CUDA calls end when the work does)."""
    import torch

    if dev == "cuda":
        torch.cuda.synchronize()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 levels × 2 restarts × 4 images, 5 steps, 1 rep")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None, help="ascent steps (default: 5 quick, 20 full)")
    ap.add_argument("--model", choices=("unet", "firenet", "both"), default="both",
                    help="the map searched: the demo U-Net, FIRENET (unrolled primal-dual), or both")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="where both sides search (default cpu; cuda: one batch of every level and restart)")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    if args.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: no CUDA device here")
    dev = args.device
    from theorycheck.instability.curves import stability_curve
    from theorycheck.instability.perturbation import search_worst_perturbation
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.nets.pretrained import load_demo_unet

    net, s = load_demo_unet()
    A = s.A
    maps = {}
    if args.model in ("unet", "both"):
        maps["demo U-Net"] = as_reconstruction_map(net, input="adjoint", eval_mode=True)
    if args.model in ("firenet", "both"):
        from theorycheck.nets.firenet import FIRENET
        from theorycheck.problems.programs import SRLasso
        from theorycheck.problems.sparsifiers import Wavelet

        fire = FIRENET(SRLasso(A, 0.01, W=Wavelet((s.n, s.n), "haar")), restarts=2, inner=10, device=dev)
        maps["FIRENET"] = as_reconstruction_map(fire, complex_as_channels=False)
    if args.quick:
        levels, R, B, steps, reps = (0.01, 0.03, 0.08), 2, 4, args.steps or 5, args.reps or 1
    else:
        levels, R, B, steps, reps = (0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1), 4, 16, args.steps or 20, args.reps or 3
    rng = np.random.default_rng(0)
    from theorycheck.problems.data import random_ellipses

    X = np.stack([random_ellipses(s.n, seed=int(rng.integers(2 ** 31))) for _ in range(B)])
    X = X / np.array([np.linalg.norm(A.apply(x)) for x in X])[:, None, None]  # ‖Ax‖ = 1

    # the curve of method index 0 starts restart r from torch.Generator(seed + r) (seed=0 here), exactly as
    # search_worst_perturbation(seed=r) draws its start: both sides run the same searches
    def batched(psi: object) -> None:
        stability_curve({"psi": psi}, A, X, noise_levels=levels, restarts=R, steps=steps, metrics=("rel_l2",),
                        baseline=None, seed=0, progress=False, certify=False, device=dev)

    def loop(psi: object) -> None:
        for lev in levels:
            for r in range(R):
                search_worst_perturbation(psi, A, X, domain="measurement", reference="truth", budget=lev,
                                          steps=steps, restarts=1, seed=r, progress=False, certify=False,
                                          device=dev)

    print(f"{len(levels)} levels × {R} restarts × {B} images, {steps} steps, {s.n}×{s.n} images, "
          + ("CPU, 1 thread" if dev == "cpu" else f"CUDA ({torch.cuda.get_device_name()})"))
    for name, psi in maps.items():
        batched(psi)  # warm-up
        tb, tl = [], []
        for _ in range(reps):
            t0 = time.perf_counter()
            batched(psi)
            _sync(dev)
            tb.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            loop(psi)
            _sync(dev)
            tl.append(time.perf_counter() - t0)
        mb, ml = statistics.median(tb), statistics.median(tl)
        print(f"{name}: batched curve {mb:.3f} s   per-level/per-restart loop {ml:.3f} s   ratio loop/batched "
              f"{ml / mb:.2f}x (median of {reps} interleaved reps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
