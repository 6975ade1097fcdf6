"""Benchmark: certified exact LASSO minimiser (theorycheck) vs an mpmath ``lu_solve`` baseline.

Instance: a seeded Gaussian ``m × N`` matrix (default 100 × 400, columns of
norm ≈ 1), ``y = A x0 + noise`` with ``x0`` about 10-sparse, and ``λ`` chosen
so that the minimiser of ``λ‖z‖₁ + ‖Az − y‖²`` has about 10–20 nonzeros.

* theorycheck: ``solve_exact(Lasso(A, λ), y, candidate=x_float, dps=...)``,
  where ``x_float`` comes from a quick float solve (scikit-learn's ``Lasso``
  with ``alpha = λ/(2m)``, or cvxpy when scikit-learn is missing) that is *not*
  timed: only the certification is.
* baseline: what a certification in mpmath has to do at the same precision
  (``mp.prec = sol.info["prec_bits"]``) on the same support ``S`` and signs
  ``σ``: convert ``A`` and ``y`` to mpmath, form ``G = A_S^T A_S`` and
  ``A_S^T y − (λ/2) w_S σ_S``, ``mp.lu_solve`` the support system, then the
  residual ``r = y − A_S c_S`` and all ``N`` dual correlations ``A^T r`` with
  the check ``|2 A_j^T r| < λ w_j`` off ``S``. (mpmath gives no proof; it is a
  lower bound on the cost of doing the same arithmetic at that precision.)

Both are timed with ``time.perf_counter`` (min over ``--repeats`` runs) and
the script prints ``ratio (mpmath lu_solve / theorycheck exact): …x (goal >= 30x)``.
Timings are reported, never asserted. The exit status is non-zero only if the
two disagree: some mpmath coefficient lies outside theorycheck's certified
enclosure, or the mpmath dual check fails where theorycheck proved it.

Usage::

    python benchmarks/bench_exact.py            # 100 x 400, 3 repeats
    python benchmarks/bench_exact.py --quick    # 30 x 80, 1 repeat
    python benchmarks/bench_exact.py --dps 60
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal
from fractions import Fraction

# benchmark the working copy, also when theorycheck is not installed
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402

GOAL = 30.0


# --------------------------------------------------------------------------------------
# instance and float candidate
# --------------------------------------------------------------------------------------

def make_instance(m: int, N: int, k: int, seed: int, noise: float = 0.01):
    """Seeded Gaussian instance: ``A`` (m × N, entries N(0, 1/m)), ``y = A x0 + noise``."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N)) / np.sqrt(m)
    x0 = np.zeros(N)
    idx = rng.choice(N, size=k, replace=False)
    x0[idx] = rng.choice([-1.0, 1.0], size=k) * (1.0 + rng.random(k))
    y = A @ x0 + noise * rng.standard_normal(m)
    return A, y, x0


def float_lasso(A: np.ndarray, y: np.ndarray, lam: float) -> tuple[np.ndarray, str]:
    """A float64 minimiser of ``lam‖z‖₁ + ‖Az − y‖²`` (the candidate; not timed)."""
    m = A.shape[0]
    try:
        from sklearn.linear_model import Lasso as SkLasso
    except ImportError:
        import cvxpy as cp

        z = cp.Variable(A.shape[1])
        cp.Problem(cp.Minimize(lam * cp.norm1(z) + cp.sum_squares(A @ z - y))).solve()
        return np.asarray(z.value, dtype=float), "cvxpy"
    est = SkLasso(alpha=lam / (2 * m), fit_intercept=False, tol=1e-12, max_iter=200_000)
    est.fit(A, y)
    return np.asarray(est.coef_, dtype=float), "scikit-learn"


def choose_lambda(A: np.ndarray, y: np.ndarray, lo: int, hi: int):
    """λ as a fraction of ``λ_max = 2‖A^T y‖_∞`` giving ``lo ≤ nnz ≤ hi`` (else the closest)."""
    lam_max = 2.0 * float(np.max(np.abs(A.T @ y)))
    best = None
    for frac in (0.1, 0.05, 0.2, 0.02, 0.3, 0.01, 0.5, 0.005):
        lam = frac * lam_max
        x, how = float_lasso(A, y, lam)
        nnz = int(np.count_nonzero(np.abs(x) > 1e-9 * max(1.0, float(np.max(np.abs(x))))))
        miss = 0 if lo <= nnz <= hi else min(abs(nnz - lo), abs(nnz - hi))
        if best is None or miss < best[0]:
            best = (miss, lam, frac, x, how, nnz)
        if miss == 0:
            break
    return best[1:]


# --------------------------------------------------------------------------------------
# the two contenders
# --------------------------------------------------------------------------------------

def run_theorycheck(problem, y, candidate, dps):
    from theorycheck.solvers.exact import solve_exact

    t = time.perf_counter()
    sol = solve_exact(problem, y, candidate=candidate, dps=dps)
    return time.perf_counter() - t, sol


def time_theorycheck_data(problem, y, bits):
    """Informational: the cost of ``ExactData`` (turning A, y into balls), part of solve_exact."""
    from theorycheck.numerics.precision import precision
    from theorycheck.solvers.exact import ExactData

    with precision(prec=bits):
        t = time.perf_counter()
        ExactData(problem, y)
        return time.perf_counter() - t


def run_mpmath(A, y, lam, weights, S, sig, bits):
    """Support system + dual check in mpmath at ``bits`` bits; returns timings and results."""
    from mpmath import mp

    m, N = A.shape
    with mp.workprec(bits):
        t0 = time.perf_counter()
        Am = mp.matrix(A.tolist())  # exact: binary64 values are mpf values
        ym = mp.matrix(y.tolist())
        t1 = time.perf_counter()
        AS = mp.matrix([[Am[i, j] for j in S] for i in range(m)])
        ASt = AS.T
        G = ASt * AS
        half = mp.mpf(lam) / 2
        v = mp.matrix([half * mp.mpf(float(weights[j])) * int(s) for j, s in zip(S, sig)])
        rhs = ASt * ym - v
        cS = mp.lu_solve(G, rhs)
        t2 = time.perf_counter()
        r = ym - AS * cS
        g = Am.T * r
        inS = set(S)
        dual_ok = all(2 * abs(g[j]) < mp.mpf(lam) * mp.mpf(float(weights[j]))
                      for j in range(N) if j not in inS)
        t3 = time.perf_counter()
        c = [mp.mpf(0)] * N
        for k, j in enumerate(S):
            c[j] = cS[k]
    times = {"convert A, y": t1 - t0, "support system (G, rhs, lu_solve)": t2 - t1,
             "dual check (r, A^T r, N comparisons)": t3 - t2}
    return t3 - t0, times, c, dual_ok


def _exact(value) -> Fraction:
    """Exact rational value of an mpf or of a decimal string."""
    if isinstance(value, str):
        return Fraction(Decimal(value))
    sign, man, exp, _ = value._mpf_  # (not .man_exp: that drops the sign)
    if not man:
        return Fraction(0)
    out = Fraction(int(man)) * Fraction(2) ** int(exp)
    return -out if sign else out


def check_enclosure(enclosure, c_mp):
    """Every mpmath coefficient inside theorycheck's ball ``[mid − rad, mid + rad]`` (exact rationals)."""
    bad = []
    worst = Fraction(0)
    for j, ((mid_s, rad_s), cj) in enumerate(zip(enclosure, c_mp)):
        mid, rad, val = _exact(mid_s), _exact(rad_s), _exact(cj)
        dist = abs(val - mid)
        if rad > 0:
            worst = max(worst, dist / rad)
        elif dist > 0:
            worst = max(worst, Fraction(10 ** 9))
        if dist > rad:
            bad.append((j, mid_s, rad_s, str(cj)))
    return bad, float(worst)


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="30 x 80 instance, 1 repeat (smoke test)")
    ap.add_argument("--dps", type=int, default=30, help="starting precision of solve_exact (digits)")
    ap.add_argument("--m", type=int, default=None, help="rows (default 100, --quick 30)")
    ap.add_argument("--n", type=int, default=None, help="columns (default 400, --quick 80)")
    ap.add_argument("--k", type=int, default=None, help="sparsity of x0 (default 10, --quick 5)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=None, help="timing repeats, min taken (default 3, --quick 1)")
    args = ap.parse_args(argv)

    m = args.m or (30 if args.quick else 100)
    N = args.n or (80 if args.quick else 400)
    k = args.k or (5 if args.quick else 10)
    repeats = max(1, args.repeats or (1 if args.quick else 3))

    from theorycheck.problems.programs import Lasso

    A, y, _ = make_instance(m, N, k, args.seed)
    lam, frac, x_float, how, nnz = choose_lambda(A, y, lo=k, hi=2 * k)
    problem = Lasso(A, lam)
    print(f"instance: Gaussian {m} x {N}, seed {args.seed}, x0 {k}-sparse, noise 0.01; "
          f"lam = {lam:.6g} ({frac} * lam_max)")
    print(f"float candidate: {how}, {nnz} nonzeros (not timed)")

    # theorycheck (certification only: the candidate is given); one untimed warm-up run
    # (imports, first-call caches) so that even --quick's single repeat is meaningful
    run_theorycheck(problem, y, x_float, args.dps)
    tc_times = []
    sol = None
    for _ in range(repeats):
        dt, sol = run_theorycheck(problem, y, x_float, args.dps)
        tc_times.append(dt)
    t_tc = min(tc_times)
    S = [int(j) for j in sol.info["support"]]
    bits = int(sol.info["prec_bits"])
    sig = [1 if Fraction(Decimal(sol.enclosure[j][0])) > 0 else -1 for j in S]
    print(f"theorycheck: rigor={sol.rigor.value}, |S| = {len(S)}, prec = {bits} bits "
          f"({sol.info['dps']} dps), dual slack >= {float(sol.dual_slack):.3g}")
    t_data = min(time_theorycheck_data(problem, y, bits) for _ in range(repeats))

    # mpmath baseline on the same support, signs and precision (also one warm-up run)
    run_mpmath(A, y, lam, problem.weights, S, sig, bits)
    mp_runs = [run_mpmath(A, y, lam, problem.weights, S, sig, bits) for _ in range(repeats)]
    t_mp, mp_parts, c_mp, dual_ok = min(mp_runs, key=lambda run: run[0])

    print(f"theorycheck solve_exact (certification):  {t_tc:.4f} s  (min of {repeats})")
    print(f"    of which ExactData (A, y -> balls, measured separately): {t_data:.4f} s")
    print(f"mpmath lu_solve baseline at {bits} bits:     {t_mp:.4f} s  (min of {repeats})")
    for name, dt in mp_parts.items():
        print(f"    {name}: {dt:.4f} s")
    ratio = t_mp / t_tc if t_tc > 0 else float("inf")
    print(f"ratio (mpmath lu_solve / theorycheck exact): {ratio:.1f}x  (goal >= {GOAL:.0f}x)")
    if ratio < GOAL:
        print("note: goal not met (timings are reported, not asserted)")

    # correctness: the two must agree
    bad, worst = check_enclosure(sol.enclosure, c_mp)
    status = 0
    if bad:
        status = 1
        print(f"MISMATCH: {len(bad)} of {N} mpmath coefficients lie outside the theorycheck enclosure:")
        for j, mid_s, rad_s, val in bad[:10]:
            print(f"    c[{j}]: mpmath {val}  not in  {mid_s} +/- {rad_s}")
    else:
        print(f"agreement: all {N} mpmath coefficients lie within the theorycheck enclosure "
              f"(largest |c_mp - mid| / rad = {worst:.3g})")
    if dual_ok:
        print(f"agreement: mpmath dual check |2 A_j^T r| < lam w_j holds for all {N - len(S)} j off S")
    else:
        status = 1
        print("MISMATCH: the mpmath dual check fails off S, where theorycheck proved it")
    return status


if __name__ == "__main__":
    sys.exit(main())
