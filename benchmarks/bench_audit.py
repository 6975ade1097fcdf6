"""Benchmark: ``check_training_set`` vs one blocked GEMM over the same data.

Data: ``n`` random 32 × 32 images (``--quick``: 800, default 6000) measured by
a subsampled 2D Fourier operator (25% of the samples, ``m = 256`` complex
measurements), with a few planted pairs ``(x, x + z)``, ``z`` in ``ker A``.

* theorycheck: ``check_training_set(A, X, eta=..., block_size=b)``: ``Y = AX``,
  the upper triangle of the Gram matrix of ``Y`` in ``b × b`` blocks,
  thresholding, and the direct float64 re-check of the candidate pairs;
* baseline: the cheapest computation of the same pairwise information: ``Y =
  AX`` and the same upper-triangle blocked GEMM ``Y_I Y_Jᵀ`` (real-stacked
  ``[Re Y, Im Y]``), results discarded.

Prints ``ratio (audit time / blocked GEMM time): … (goal <= 1.5)`` from the
best of ``--repeats`` alternating runs. Exit status non-zero only if the audit
misses a planted pair.

Usage::

    python benchmarks/bench_audit.py            # n = 6000, 3 repeats
    python benchmarks/bench_audit.py --quick    # n = 800, 1 repeat
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

GOAL = 1.5


def baseline(A, X: np.ndarray, block: int) -> float:
    """``Y = AX`` and the upper-triangle blocked Gram GEMM; returns seconds."""
    t0 = time.perf_counter()
    n = X.shape[0]
    Y = np.asarray(A.apply(X)).reshape(n, -1)
    Y = np.ascontiguousarray(np.concatenate([Y.real, Y.imag], 1))
    acc = 0.0
    for i0 in range(0, n, block):
        for j0 in range(i0, n, block):
            G = Y[i0:i0 + block] @ Y[j0:j0 + block].T
            acc += G[0, 0]
    return time.perf_counter() - t0


def main(argv=None) -> int:
    from theorycheck.instability import check_training_set
    from theorycheck.problems.masks import uniform_random_mask
    from theorycheck.problems.operators import SubsampledFourier

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--block", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args(argv)
    n = args.n or (800 if args.quick else 6000)
    repeats = args.repeats or (1 if args.quick else 3)
    side = 32
    rng = np.random.default_rng(0)
    mask = uniform_random_mask((side, side), 0.25, seed=0)
    A = SubsampledFourier(mask)
    X = rng.standard_normal((n, side, side))
    # plant kernel pairs: x_j = x_i + z with z in ker A (unsampled frequencies only)
    planted = []
    for k in range(4):
        i, j = 2 * k, n - 1 - 2 * k
        Z = np.fft.fft2(rng.standard_normal((side, side)), norm="ortho")
        Z[mask | np.roll(mask[::-1, ::-1], 1, (0, 1))] = 0  # zero at k and -k: a real z stays in ker A
        z = np.real(np.fft.ifft2(Z, norm="ortho"))
        X[j] = X[i] + 3.0 * z / np.linalg.norm(z)
        planted.append((min(i, j), max(i, j)))
    eta = 1e-6
    check_training_set(A, X[:min(n, 300)], eta=eta, block_size=args.block, progress=False)  # warm-up
    t_a, t_b, res = [], [], None
    for _ in range(repeats):
        t_b.append(baseline(A, X, args.block))
        t0 = time.perf_counter()
        res = check_training_set(A, X, eta=eta, block_size=args.block, progress=False)
        t_a.append(time.perf_counter() - t0)
    found = {(i, j) for i, j, _ in res}
    missing = [p for p in planted if p not in found]
    ratio = min(t_a) / min(t_b)
    print(f"{n} images {side}x{side}, m = {A.shape[0]} complex measurements, block {args.block}, "
          f"{repeats} repeat(s)")
    print(f"audit: {min(t_a):.3f} s ({len(res)} pair(s), {res.values['candidates']} candidate(s)); "
          f"blocked GEMM: {min(t_b):.3f} s")
    print(f"ratio (audit time / blocked GEMM time): {ratio:.3f} (goal <= {GOAL})")
    if missing:
        print(f"MISSED planted pairs: {missing}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
