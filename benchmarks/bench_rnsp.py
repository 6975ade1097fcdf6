"""Benchmark the exact NSP and RIP constants against the baselines they replace, in one run.

1. Exact ``α_3`` of a 20×40 Gaussian matrix (goal < 60 s on 2 cores):
   :func:`theorycheck.rnsp.nsp_constant` (hierarchical support/sign branch and
   bound, certified) versus (a) plain support/sign enumeration (one
   warm-started LP per pattern, all ``C(40,3)·4`` of them), (b) the MILP with
   tight big-M (``α_1^{(i)}``) and (c) the MILP with loose big-M (``M = 1``,
   under a time limit: its ratio is then a lower bound, printed with ``≥``).
2. Exact ``δ_4`` over the ``C(40,4) = 91,390`` supports:
   :func:`theorycheck.rnsp.rip_constant` (batched eigendecomposition with
   Gershgorin screening and proven enclosures) versus a per-support loop of
   ``numpy.linalg.eigvalsh`` (no enclosure), and the batched version without
   screening.

Every baseline's value must lie in the certified interval (exit 1 otherwise).
``--quick`` runs smaller instances (used by the test suite).
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time

import numpy as np

from theorycheck.rnsp import nsp_constant, rip_constant


def plain_enumeration(A: np.ndarray, k: int) -> float:
    """α_k by one LP per (support, sign pattern), warm-started HiGHS (no pruning)."""
    from theorycheck.rnsp.nsp import RealLP

    N = A.shape[1]
    lp = RealLP(A)
    best = 0.0
    for K in itertools.combinations(range(N), k):
        for sg in itertools.product((1.0, -1.0), repeat=k - 1):
            c = np.zeros(N)
            c[list(K)] = (1.0,) + sg
            best = max(best, lp.solve(c)[0])
    return best


def milp(A: np.ndarray, k: int, loose: bool, time_limit: float) -> tuple[float, bool]:
    from theorycheck.rnsp.nsp import nsp_milp

    raw = nsp_milp(A, k, time_limit=time_limit, loose=loose)
    return raw["milp_value"], bool(raw["optimal"])


def rip_loop(A: np.ndarray, s: int) -> float:
    G = A.T @ A
    best = 0.0
    for S in itertools.combinations(range(A.shape[1]), s):
        w = np.linalg.eigvalsh(G[np.ix_(S, S)])
        best = max(best, w[-1] - 1.0, 1.0 - w[0])
    return best


def timed(f, *a, **kw):
    t0 = time.perf_counter()
    out = f(*a, **kw)
    return out, time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    ok = True
    rng = np.random.default_rng(0)

    # ---------------------------------------------------------------- α_3
    m, N, k = (10, 20, 3) if args.quick else (20, 40, 3)
    loose_limit = 3.0 if args.quick else 300.0
    A = rng.standard_normal((m, N))
    ours, t_ours = timed(nsp_constant, A, k, method="enumerate", progress=False)
    print(f"exact α_{k} of a {m}×{N} Gaussian: [{ours.lower:.12f}, {ours.upper:.12f}] [{ours.rigor}] "
          f"in {t_ours:.2f} s ({ours.values['linear_programs']} LPs; goal < 60 s)")
    plain, t_plain = timed(plain_enumeration, A, k)
    n_plain = math.comb(N, k) * 2 ** (k - 1)
    ok &= ours.lower - 1e-9 <= plain <= ours.upper + 1e-9
    print(f"  plain support/sign enumeration ({n_plain} LPs): {plain:.12f} in {t_plain:.2f} s — "
          f"ratio {t_plain / t_ours:.1f}x")
    (tight, tight_opt), t_tight = timed(milp, A, k, False, 600.0)
    ok &= (not tight_opt) or ours.lower - 1e-7 <= tight <= ours.upper + 1e-7
    print(f"  MILP, tight big-M = α_1^(i): {tight:.12f} in {t_tight:.2f} s — ratio {t_tight / t_ours:.1f}x")
    (loose, loose_opt), t_loose = timed(milp, A, k, True, loose_limit)
    if loose_opt:
        ok &= ours.lower - 1e-7 <= loose <= ours.upper + 1e-7
        print(f"  MILP, loose big-M = 1: {loose:.12f} in {t_loose:.2f} s — ratio {t_loose / t_ours:.1f}x "
              f"(tight vs loose big-M: ratio {t_loose / t_tight:.1f}x)")
    else:
        print(f"  MILP, loose big-M = 1: not solved within {loose_limit:g} s — ratio ≥ {t_loose / t_ours:.1f}x "
              f"(tight vs loose big-M: ratio ≥ {t_loose / t_tight:.1f}x)")

    # ---------------------------------------------------------------- δ_4
    m, N, s = (15, 30, 4) if args.quick else (20, 40, 4)
    B = rng.standard_normal((m, N)) / math.sqrt(m)
    rip_constant(B[:, :10], 2, progress=False)  # warm-up (imports, first LAPACK calls)
    r, t_ours = timed(rip_constant, B, s, method="exact", progress=False)
    loop, t_loop = timed(rip_loop, B, s)
    ok &= r.lower - 1e-12 <= loop <= r.upper + 1e-12
    print(f"\nexact δ_{s} over C({N},{s}) = {math.comb(N, s):,} supports: [{r.lower:.15f}, {r.upper:.15f}] "
          f"[{r.rigor}] in {t_ours:.3f} s ({r.values['diagonalised']} diagonalised)")
    print(f"  per-support eigvalsh loop (no enclosure): {loop:.15f} in {t_loop:.3f} s — "
          f"ratio {t_loop / t_ours:.1f}x (goal ≥ 10x)")
    from theorycheck.rnsp.rip import rip_exact

    nb, t_nb = timed(rip_exact, B, s, enclose=True, executor=None, progress=False, callback=None, prune=False)
    ok &= abs(nb.upper - r.upper) < 1e-9
    print(f"  batched without Gershgorin screening: {t_nb:.3f} s — loop/batched ratio {t_loop / t_nb:.1f}x")
    print("\nall baselines inside the certified intervals" if ok else "\nMISMATCH with a baseline")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
