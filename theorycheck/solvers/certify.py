"""Certify anyone's answer: is ``x`` the minimiser of the program, provably?

Theorem: uniqueness under strict dual feasibility (THEORY.md §1); the distance
from ``x`` to the certified minimiser's enclosure.
Rigor: proven when a certified minimiser is found (ball arithmetic); otherwise
inconclusive with the reason.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, SolverError
from theorycheck.numerics.exact import ball_lower, ball_upper, to_arb
from theorycheck.problems.programs import Program
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, register_verifier
from theorycheck.solvers.exact import solve_exact
from theorycheck.solvers.solution import Solution

__all__ = ["certify_solution", "distance_to_enclosure", "verify_certified_optimality"]


def distance_to_enclosure(x: Any, sol: Solution) -> tuple[float, float]:
    """Certified bounds ``(lower, upper)`` on ``‖x − z*‖₂`` for an exact solution's minimiser ``z*``.

    Parameters
    ----------
    x : array_like
        Any point in the signal domain.
    sol : Solution
        A ``method="exact"`` solution (``info["z_enclosure"]`` holds the balls).

    Theorem: the balls of ``sol`` contain the exact minimiser.
    Rigor: proven (ball arithmetic, outward-rounded to float).
    """
    import flint

    balls = sol.info.get("z_enclosure")
    if balls is None or sol.rigor is not Rigor.PROVEN:
        raise InvalidArgument("distance_to_enclosure needs a proven solution from method='exact'")
    xs = np.asarray(x).reshape(-1)
    if xs.size != len(balls):
        raise InvalidArgument(f"x has {xs.size} entries but the minimiser has {len(balls)}")
    # per coordinate, |x_i − z*_i| lies in [max(0, |x_i − mid| − rad), |x_i − mid| + rad]
    lo2 = flint.arb(0)
    hi2 = flint.arb(0)
    for xi, ball in zip(xs, balls):
        if len(ball) == 3:  # complex: (re, im, radius of the modulus error)
            mid = flint.acb(flint.arb(ball[0]), flint.arb(ball[1]))
            rad = flint.arb(ball[2])
            d = abs(flint.acb(to_arb(np.real(xi)), to_arb(np.imag(xi))) - mid)
        else:
            mid, rad = flint.arb(ball[0]), flint.arb(ball[1])
            d = abs(to_arb(np.real(xi)) - mid)
        lo = d - rad
        lo = flint.arb(lo.lower()) if lo > 0 else flint.arb(0)
        lo2 += lo * lo
        hi = d + rad
        hu = flint.arb(hi.upper())
        hi2 += hu * hu
        if len(ball) == 2 and np.imag(xi) != 0:  # a real minimiser: x's imaginary part adds exactly
            im = to_arb(np.imag(xi))
            lo2 += im * im
            hi2 += im * im
    return max(0.0, ball_lower(lo2.sqrt())), ball_upper(hi2.sqrt())


def certify_solution(
    problem: Program,
    y: Any,
    x: Any,
    *,
    tol: float | None = None,
    dps: int = 30,
    max_dps: int = 400,
) -> CheckResult:
    """Prove that ``x`` is (or is not) within ``tol`` of the unique minimiser.

    Parameters
    ----------
    problem : QCBP, Lasso or SRLasso
    y : array_like
        Measurements.
    x : array_like
        The answer to check (any solver's), shape ``problem.A.in_shape``.
    tol : float, optional
        Accepted distance; default ``1e-6 · max(1, ‖x‖)``.
    dps, max_dps : int
        Working precision range of the exact solver.

    Returns
    -------
    CheckResult
        ``holds`` (proven: ``‖x − z*‖ ≤ tol``), ``violated`` (proven:
        ``‖x − z*‖ > tol``, with the certified lower bound on the distance in
        ``values["distance_lower"]``) or ``inconclusive`` (no certificate; the
        message says why).

    Theorem: uniqueness of the minimiser under strict dual feasibility (THEORY.md §1).
    Rigor: proven or inconclusive (never a float-only verdict).

    Examples
    --------
    >>> import numpy as np
    >>> from theorycheck import Lasso
    >>> P = Lasso(np.eye(2), lam=1.0)
    >>> certify_solution(P, np.array([2.0, 0.1]), np.array([1.5, 0.0])).outcome.value
    'holds'
    >>> certify_solution(P, np.array([2.0, 0.1]), np.array([1.0, 0.0])).outcome.value
    'violated'
    """
    if not isinstance(problem, Program):
        raise InvalidArgument(f"problem must be a QCBP, Lasso or SRLasso, got {type(problem).__name__}")
    xa = np.asarray(x)
    problem.objective(xa, y)  # validates shapes, NaN and real/complex mixing of x and y
    if tol is None:
        tol = 1e-6 * max(1.0, float(np.linalg.norm(xa)))
    if not (tol >= 0 and np.isfinite(tol)):
        raise InvalidArgument(f"tol must be a finite number ≥ 0, got {tol}")
    sol, reasons = None, []
    for candidate in (xa, None):  # x's own support first, then an independent candidate
        try:
            sol = solve_exact(problem, y, candidate=candidate, dps=dps, max_dps=max_dps)
            break
        except (SolverError, InsufficientPrecision, InvalidArgument) as exc:
            reasons.append(f"{'from x' if candidate is not None else 'from a reference solve'}: {exc}")
    name = "certified_optimality"
    spec = _problem_record(problem)
    if sol is None:
        return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           "no certified minimiser: " + "; ".join(reasons),
                           values={"tol": tol}, theorem="THEORY.md §1",
                           witness=Witness("answer", {"x": xa, "y": np.asarray(y)}))
    lo, hi = distance_to_enclosure(xa, sol)
    values = {"distance_lower": lo, "distance_upper": hi, "tol": tol,
              "support": tuple(sol.info["support"]), "dual_slack": sol.dual_slack,
              "prec_bits": sol.info["prec_bits"]}
    witness = Witness("minimiser", {"x": xa, "y": np.asarray(y), "minimiser": sol.x,
                                    "enclosure": sol.info["z_enclosure"], **spec})
    if hi <= tol:
        return CheckResult(name, Outcome.HOLDS, Rigor.PROVEN,
                           f"x is within {hi:.3g} ≤ tol={tol:.3g} of the unique minimiser",
                           values, witness, "THEORY.md §1")
    if lo > tol:
        return CheckResult(name, Outcome.VIOLATED, Rigor.PROVEN,
                           f"x is at distance ≥ {lo:.3g} > tol={tol:.3g} from the unique minimiser",
                           values, witness, "THEORY.md §1")
    return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.PROVEN,
                       f"the distance to the unique minimiser is in [{lo:.3g}, {hi:.3g}], "
                       f"which straddles tol={tol:.3g}: raise dps or change tol",
                       values, witness, "THEORY.md §1")


def _problem_record(problem: Program) -> dict[str, Any]:
    """What a verifier needs to rebuild the program: kind, dense A, parameter, weights, W."""
    rec = {"program": type(problem).__name__, "A": problem.A.to_dense(),
           "param": float(getattr(problem, "lam", getattr(problem, "eta", 0.0))),
           "weights": np.asarray(problem.weights)}
    if problem.W is not None:
        rec["W"] = problem.W.to_dense()
    return rec


@register_verifier("certified_optimality")
def verify_certified_optimality(result: CheckResult) -> CheckResult:
    """Re-run :func:`certify_solution` from a saved result's witness and compare.

    Returns a ``verify:certified_optimality`` result that holds when the new
    certificate reaches the same outcome and its distance bounds are
    consistent with the saved ones; a tampered file (changed ``x``, data,
    bounds or outcome) is reported as violated.

    Theorem: uniqueness under strict dual feasibility (THEORY.md §1).
    Rigor: proven when the re-certification is proven.
    """
    from theorycheck.problems import programs
    from theorycheck.problems.operators import MatrixOperator

    name = "verify:certified_optimality"
    w = result.witness
    if w is None or "program" not in w.data:
        return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           "the saved result has no re-checkable witness")
    cls = {"Lasso": programs.Lasso, "SRLasso": programs.SRLasso, "QCBP": programs.QCBP}[w["program"]]
    W = None
    if "W" in w.data:
        W = MatrixOperator(w["W"])
    problem = cls(w["A"], w["param"], weights=w["weights"], W=W)
    fresh = certify_solution(problem, w["y"], w["x"], tol=float(result["tol"]))
    same = fresh.outcome is result.outcome
    if same and fresh.outcome is not Outcome.INCONCLUSIVE:
        same = (float(result["distance_lower"]) <= fresh["distance_upper"]
                and fresh["distance_lower"] <= float(result["distance_upper"]))
    if same:
        return CheckResult(name, Outcome.HOLDS, fresh.rigor,
                           f"re-certified: {fresh.message}", dict(fresh.values))
    return CheckResult(name, Outcome.VIOLATED, fresh.rigor,
                       f"the saved result does not re-check: saved '{result.message}', "
                       f"recomputed '{fresh.message}'", dict(fresh.values))
