"""``theorycheck demo``: certified oracles catching a silently wrong solver.

The demo runs the seed's "fails in MATLAB" example (THEORY.md §6.3): a 3×2
LASSO whose unique minimiser is ``(0, (√3 − 0.15)/3)`` for every ``δ ≠ 0``.
For small ``δ`` a float64 solver returns an O(1)-wrong answer and reports
success; theorycheck's exact solver proves the true minimiser in ball
arithmetic, ``certify_solution`` proves the float answer wrong, and the
certificate is written to ``certificate.json`` for ``theorycheck verify``.
It also shows the foundation on a phantom (subsampled Fourier sampling with
wavelets). The instability certificate of a trained network joins the demo
when that capability lands.

Theorem: optimality and uniqueness certificates (THEORY.md §1, §6.3).
Rigor: each printed result states its own.
"""

from __future__ import annotations

import os
import time

import numpy as np

__all__ = ["run_demo", "lasso_3x2_exact"]


def lasso_3x2_exact(k: int):
    """Exact data ``(B, y)`` (sympy) of THEORY.md §6.3 at ``δ = 2^-k``, columns scaled to norm √3.

    Theorem: THEORY.md §6.3.
    Rigor: exact (symbolic).
    """
    import sympy as sp

    d = sp.Rational(1, 2 ** k)
    r = 1 / sp.sqrt(2)
    A = sp.Matrix([[r - d, r], [-r - d, -r], [2 * d, 0]])
    D = sp.diag(sp.sqrt(3) / sp.sqrt(1 + 6 * d ** 2), sp.sqrt(3))
    return A * D, sp.Matrix([r, -r, 0])


def run_demo(outdir: str = "theorycheck-demo", *, quick: bool = False, progress: bool = True) -> int:
    """Run the demo; write results under ``outdir``; return an exit status (0 = as expected).

    Theorem: THEORY.md §6.3 (solver failure) and §1 (certificates).
    Rigor: as printed per result.
    """
    from theorycheck.problems.data import shepp_logan
    from theorycheck.problems.masks import variable_density_mask
    from theorycheck.problems.operators import SubsampledFourier, compose
    from theorycheck.problems.programs import Lasso
    from theorycheck.problems.sparsifiers import Wavelet
    from theorycheck.results import Report, verify_result
    from theorycheck.solvers import certify_solution, solve

    t0 = time.perf_counter()
    os.makedirs(outdir, exist_ok=True)
    print("theorycheck demo: a LASSO solver that is silently wrong (THEORY.md §6.3)")
    k = 20
    B, y = lasso_3x2_exact(k)
    Bf = np.array(B.evalf(40), dtype=float)
    yf = np.array(y.evalf(40), dtype=float).ravel()
    problem = Lasso(Bf, lam=0.3)  # (1/3)‖Bx − y‖² + 0.1‖x‖₁, times m = 3
    exact = solve(problem, y, method="exact", A_exact=B)
    print(f"  δ = 2^-{k}: exact minimiser {np.array2string(exact.x, precision=6)} "
          f"[{exact.rigor.value}], dual slack ≥ {float(exact.dual_slack):.2e}, "
          f"{exact.info['dps']} digits")
    results = []
    for method in ("reference", "primal_dual"):
        try:
            sol = solve(problem, yf, method=method)
        except Exception as exc:  # an optional backend missing must not stop the demo
            print(f"  {method}: unavailable ({exc})")
            continue
        res = certify_solution(problem, yf, sol.x)
        results.append(res)
        print(f"  {sol.solver}: status '{sol.status}', answer {np.array2string(sol.x, precision=6)}, "
              f"KKT residual {sol.residual:.1e}")
        print(f"    -> {res.outcome.value} [{res.rigor.value}]: {res.message}")
    # the seed's MATLAB answer put all the weight on the first column
    matlab_like = np.array([(np.sqrt(3) - 0.15) / 3, 0.0])
    res = certify_solution(problem, yf, matlab_like)
    results.append(res)
    print(f"  all weight on column 1: -> {res.outcome.value} [{res.rigor.value}]: {res.message}")
    report = Report(results, title="certified_optimality of float64 answers")
    path = os.path.join(outdir, "certificate.json")
    report.to_json(path)
    checks = [verify_result(r) for r in report]
    print(f"  wrote {path}; re-verified: {sum(c.holds for c in checks)}/{len(checks)}")

    n = 32 if quick else 128
    x = shepp_logan(n)
    mask = variable_density_mask((n, n), 0.25, seed=0)
    A = SubsampledFourier(mask)
    Bop = compose(A, Wavelet((n, n), wavelet="db4").H)
    err = max(A.adjointness_error(seed=1), Bop.adjointness_error(seed=1))
    rel = float(np.linalg.norm(np.real(A.adjoint(A.apply(x))) - x) / np.linalg.norm(x))
    print(f"Foundation: {n}x{n} Shepp-Logan, {mask.mean():.0%} Fourier samples, db4 wavelets: "
          f"adjointness error {err:.1e}, zero-filled relative error {rel:.3f}")
    print(f"Done in {time.perf_counter() - t0:.1f} s. Re-check the certificate with: "
          f"theorycheck verify {path}")
    return 0 if all(c.holds for c in checks) and exact.rigor.value == "proven" else 1
