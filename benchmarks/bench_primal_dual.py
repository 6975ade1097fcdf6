"""Benchmark: Chambolle–Pock on numpy vs torch (CPU), same U-LASSO instance, one process.

Instance: the modified Shepp–Logan phantom (default 64 × 64), sampled by a
seeded variable-density 2D Fourier mask (25%) plus a little complex noise;
U-LASSO ``λ‖Wz‖₁ + ‖Az − y‖²`` with Daubechies-4 wavelets ``W`` (synthesis
form, ``B = AW^*``). Both backends run exactly ``--iters`` iterations
(``tol = 0``; the stopping measure is evaluated only at the last iteration), in
float64, so they do the same arithmetic; the script times them
(``time.perf_counter``, min over ``--repeats``), prints both times and
``ratio (numpy / torch-cpu)`` (> 1: torch is faster), and also the torch batched
throughput (``--batch`` data vectors in one call) per instance.

Timings are reported, never asserted. The exit status is non-zero only if
the two backends disagree (max difference of the answers above 1e-8 relative).

Note: the wavelet transform runs in PyWavelets on both backends (torch wraps it
in an autograd Function), so the ratio measures the rest of the iteration
(FFTs, thresholding, projections) plus the conversion overhead.

Usage::

    python benchmarks/bench_primal_dual.py            # 64 x 64, 300 iterations, 3 repeats
    python benchmarks/bench_primal_dual.py --quick    # 16 x 16, 50 iterations, 1 repeat
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# benchmark the working copy, also when theorycheck is not installed
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402


def make_problem(n: int, seed: int):
    """Seeded Fourier-sampled Shepp–Logan instance: ``(Lasso, y)``."""
    from theorycheck.problems.data import shepp_logan
    from theorycheck.problems.masks import variable_density_mask
    from theorycheck.problems.operators import SubsampledFourier
    from theorycheck.problems.programs import Lasso
    from theorycheck.problems.sparsifiers import Wavelet

    x = shepp_logan(n)
    A = SubsampledFourier(variable_density_mask((n, n), 0.25, seed=seed))
    rng = np.random.default_rng(seed)
    m = A.shape[0]
    y = A.apply(x) + 1e-3 * (rng.standard_normal(m) + 1j * rng.standard_normal(m))
    levels = 3 if n >= 32 else 2
    W = Wavelet((n, n), "db4" if n >= 32 else "haar", levels=levels)
    return Lasso(A, 1e-3, W=W), y


def best_time(f, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CI smoke run)")
    parser.add_argument("--n", type=int, default=None, help="image side (default 64; quick 16)")
    parser.add_argument("--iters", type=int, default=None, help="iterations (default 300; quick 50)")
    parser.add_argument("--repeats", type=int, default=None, help="timing repeats (default 3; quick 1)")
    parser.add_argument("--batch", type=int, default=None, help="torch batch size (default 8; quick 2)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n = args.n or (16 if args.quick else 64)
    iters = args.iters or (50 if args.quick else 300)
    repeats = args.repeats or (1 if args.quick else 3)
    batch = args.batch or (2 if args.quick else 8)

    import torch

    from theorycheck.solvers.primal_dual import chambolle_pock

    if args.threads:
        torch.set_num_threads(args.threads)
    P, y = make_problem(n, args.seed)
    yt = torch.as_tensor(y)
    Yt = torch.stack([yt * (1.0 + 0.1 * k) for k in range(batch)])
    kw = dict(max_iter=iters, tol=0.0, record_every=iters, certify=False)

    # warm-up (imports, caches of operator norms and torch kernels), not timed
    chambolle_pock(P, y, **{**kw, "max_iter": 2, "record_every": 2})
    chambolle_pock(P, yt, device="cpu", **{**kw, "max_iter": 2, "record_every": 2})

    t_np, sol_np = best_time(lambda: chambolle_pock(P, y, **kw), repeats)
    t_th, sol_th = best_time(lambda: chambolle_pock(P, yt, device="cpu", **kw), repeats)
    t_b, sol_b = best_time(lambda: chambolle_pock(P, Yt, device="cpu", **kw), repeats)

    scale = max(1.0, float(np.max(np.abs(sol_np.x))))
    diff = float(np.max(np.abs(sol_np.x - sol_th.x))) / scale
    diff_b = float(np.max(np.abs(sol_np.x - sol_b.x[0]))) / scale
    print(f"Chambolle–Pock, U-LASSO, {n}x{n} Shepp–Logan, Fourier 25% + wavelets, "
          f"m = {P.A.shape[0]}, N = {P.A.shape[1]}, {iters} iterations, float64, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    print(f"  numpy            : {t_np * 1e3:9.1f} ms  ({t_np / iters * 1e6:7.1f} us/iter)")
    print(f"  torch (cpu)      : {t_th * 1e3:9.1f} ms  ({t_th / iters * 1e6:7.1f} us/iter)")
    print(f"  torch batch x{batch:<3d}: {t_b * 1e3:9.1f} ms  ({t_b / batch * 1e3:7.1f} ms per instance)")
    print(f"  max |x_numpy - x_torch| / max|x| = {diff:.2e} (batched: {diff_b:.2e})")
    print(f"ratio (numpy / torch-cpu): {t_np / t_th:.2f}x")
    print(f"ratio (numpy / torch-cpu batched, per instance): {t_np / (t_b / batch):.2f}x")
    if not (diff <= 1e-8 and diff_b <= 1e-8):
        print("ERROR: the numpy and torch backends disagree", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
