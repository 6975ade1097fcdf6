"""Hypothesis finds, and shrinks, a silent failure of scikit-learn's Lasso.

"Silent" means: coordinate descent stops before ``max_iter`` (it converged by
its own duality-gap test), no ``ConvergenceWarning`` is issued, and the answer
is nevertheless far from the minimiser — which ``theorycheck.certify_solution``
*proves* in ball arithmetic.

Nothing here is hand-made: ``theorycheck.strategies.near_degenerate_problems``
draws planted U-LASSO instances with a pair of nearly collinear columns
(``a_j' = a_j + δ d``) whose unique minimiser is certified, with a dual slack
of order ``δ``; ``hypothesis.find`` searches for one on which scikit-learn is
silently wrong and shrinks it to the simplest such instance (fewest rows and
columns, sparsity 1, the largest ``δ``). The 3×2 family of docs/theory.md §6.3 is
a known member of the same mechanism; hypothesis does not need to be told.

Run: ``python examples/sklearn_lasso_silent_failure.py [--quick]``; exit status 0
when a silent failure was found and proven wrong.

Theorem: uniqueness of the minimiser under strict dual feasibility (docs/theory.md §1);
the "fails in MATLAB" mechanism (docs/theory.md §6.3).
Rigor: the wrong answer is proven wrong (certify_solution: proven).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np


def sklearn_answer(problem, y):
    """Fit scikit-learn's Lasso with theorycheck's scaling; return (coef, n_iter, warnings)."""
    from sklearn.linear_model import Lasso as SkLasso

    est = SkLasso(alpha=problem.sklearn_alpha, fit_intercept=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(problem.A.to_dense(), y)
    return est.coef_.copy(), int(est.n_iter_), int(est.max_iter), [str(w.message) for w in caught]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer examples (CI)")
    parser.add_argument("--tol", type=float, default=1e-3,
                        help="an error above tol·max(1, ‖x*‖) counts as wrong (default 1e-3)")
    args = parser.parse_args(argv)

    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    from theorycheck.solvers import certify_solution
    from theorycheck.solvers.certify import distance_to_enclosure
    from theorycheck.strategies import near_degenerate_problems

    t0 = time.perf_counter()
    seen = []

    def silently_wrong(inst) -> bool:
        x, n_iter, max_iter, warned = sklearn_answer(inst.problem, inst.y)
        lo, _ = distance_to_enclosure(x, inst.solution)
        bad = (lo > args.tol * max(1.0, float(np.linalg.norm(inst.minimiser)))
               and n_iter < max_iter and not warned)
        if bad:
            seen.append(inst)
        return bad

    strategy = near_degenerate_problems(problem="lasso")
    cfg = settings(max_examples=100 if args.quick else 1000, database=None, deadline=None,
                   derandomize=True, phases=[Phase.generate, Phase.shrink],
                   suppress_health_check=list(HealthCheck))
    try:
        inst = find(strategy, silently_wrong, settings=cfg)
    except NoSuchExample:
        print("no silent failure of scikit-learn's Lasso was found")
        return 1
    first = seen[0]
    print("hypothesis found a silent failure of sklearn.linear_model.Lasso")
    print(f"  first failing example ({len(seen)} failing examples seen in all):\n    {first!r}")
    print(f"  shrunk to:\n    {inst!r}")

    P, y = inst.problem, inst.y
    x, n_iter, max_iter, warned = sklearn_answer(P, y)
    res = certify_solution(P, y, x, tol=args.tol * max(1.0, float(np.linalg.norm(inst.minimiser))))
    j, jp = inst.params["near_duplicate"]
    print(f"  A ({P.A.shape[0]}×{P.A.shape[1]}) has columns {j} and {jp} at distance "
          f"δ = {inst.params['delta']:.3g}; λ = {P.lam:.6g} (sklearn alpha = {P.sklearn_alpha:.6g})")
    print(f"  certified minimiser  {np.array2string(inst.minimiser, precision=6)} "
          f"[{inst.solution.rigor.value}], dual slack ≥ {inst.dual_slack:.2e}")
    print(f"  scikit-learn answer  {np.array2string(x, precision=6)}")
    print(f"  scikit-learn: {n_iter} of max_iter={max_iter} iterations (converged), "
          f"warnings: {warned if warned else 'none'}")
    print(f"  certify_solution -> {res.outcome.value} [{res.rigor.value}]: {res.message}")
    ok = (res.violated and res.rigor.value == "proven" and not warned and n_iter < max_iter
          and inst.params["m"] <= first.params["m"] and inst.params["N"] <= first.params["N"])
    print(f"Done in {time.perf_counter() - t0:.1f} s: "
          + ("silent failure found, shrunk and proven wrong." if ok else "claim NOT reproduced."))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
