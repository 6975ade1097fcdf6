"""Benchmark: build ``Ω_K`` and certify a member's minimiser (K = 6, n = 30) vs the same in mpmath.

* theorycheck: ``build_family(6, 30)`` (SR-LASSO, ``N₁ = 2``, ``N₂ = 20``, DCT)
  then ``family.member(1)``: the exact data as python-flint balls (DCT-II
  entries ``cos_pi`` of rationals, ``α = √2·10^6/3``, ``ε = 2^-31``, ``ν``), and
  the proof that ``x* = e₁/a₁`` is the unique minimiser (``u = A_S G^{-1}λσ``,
  ``‖u‖ < 1``, ``|A_i^T u| < λ`` off the support) — the DCT cache is cleared
  before every repeat, so nothing is reused.
* baseline: the same data and the same certificate in mpmath's interval
  arithmetic (``mpmath.iv``) at the same precision.

Both are timed with ``time.perf_counter`` (min over ``--repeats``); the script
prints the time (goal < 50 ms) and ``ratio (mpmath.iv / theorycheck): …x``.
Exit status 1 only if the two certificates disagree (the mpmath intervals must
decide the same inequalities and contain theorycheck's balls' midpoints).

Usage::

    python benchmarks/bench_family.py            # 7 repeats
    python benchmarks/bench_family.py --quick    # 2 repeats
"""

from __future__ import annotations

import argparse
import os
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

GOAL_MS = 50.0
K, N_LEVEL, N1, N2 = 6, 30, 2, 20


def theorycheck_run():
    from theorycheck.impossibility import build_family
    from theorycheck.impossibility._balls import clear_dct_cache

    clear_dct_cache()
    fam = build_family(K, N_LEVEL, N1=N1, N2=N2)
    mem = fam.member(1)
    return fam, mem


def mpmath_run(dps: int):
    """The same construction and certificate with mpmath interval arithmetic."""
    from mpmath import iv

    iv.dps = dps
    M = N2 + 1
    alpha = iv.sqrt(2) * iv.mpf(10) ** K / 3
    eps = iv.mpf(2) ** (-(N_LEVEL + 1))
    a = [alpha + eps, alpha]
    nu = iv.sqrt((N1 - 1) * alpha * alpha + a[0] * a[0])
    s0, s1 = iv.sqrt(iv.mpf(1) / M), iv.sqrt(iv.mpf(2) / M)
    C = [[s0 if k == 0 else s1 * iv.cos(iv.pi * k * (2 * i + 1) / (2 * M)) for i in range(M)]
         for k in range(M)]
    A = [[C[r][0] * a[i] for i in range(N1)] + [C[r][1 + l] * nu for l in range(N2)] for r in range(M)]
    lam = iv.mpf(1)
    # support S = {0}: G = a₁², u = A_S G^{-1} λ, x* = 1/a₁
    col = [A[r][0] for r in range(M)]
    G = sum((v * v for v in col), iv.mpf(0))
    u = [v * lam / G for v in col]
    x1 = 1 / a[0]
    norm_u = iv.sqrt(sum((v * v for v in u), iv.mpf(0)))
    ok = bool(norm_u < 1)
    for i in range(1, N1 + N2):
        corr = sum((A[r][i] * u[r] for r in range(M)), iv.mpf(0))
        ok = ok and bool(abs(corr) < lam)
    return ok, x1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 7)
    theorycheck_run()  # warm the imports (flint, mpmath) outside the timing
    best_tc = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fam, mem = theorycheck_run()
        best_tc = min(best_tc, time.perf_counter() - t0)
    dps = fam.dps
    best_mp = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        ok, x1 = mpmath_run(dps)
        best_mp = min(best_mp, time.perf_counter() - t0)
    mid = float(mem.x_star[0])
    contained = bool(x1.a <= mid <= x1.b) or abs(float(x1.mid) - mid) <= 1e-15 * abs(mid)
    agree = ok and mem.solution.rigor.value == "proven" and contained
    print(f"Omega_{K}, n = {N_LEVEL} ({fam.m}x{fam.N}, {dps} digits): build + certificate "
          f"{1e3 * best_tc:.2f} ms (goal < {GOAL_MS:.0f} ms); mpmath.iv: {1e3 * best_mp:.1f} ms")
    print(f"ratio (mpmath.iv / theorycheck): {best_mp / best_tc:.1f}x")
    if not agree:
        print("the two certificates disagree")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
