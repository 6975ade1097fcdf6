"""theorycheck.testing triage: every kind, produced by solvers of known behaviour.

* a certified solver: no failure;
* a deliberately wrong solver (λ off by a factor 2, silently): ``silent-wrong-answer``;
* a loose solver (an accurate objective, a coefficient off by ``√``accuracy): ``within-tolerance``
  — a passing core check, a failing stress check;
* the same wrong solver with a warning / a non-optimal status: ``reported-failure``;
* a raising solver: ``crash``.

The objective gaps are checked against an independent mpmath evaluation (60 digits) at the answer
and at the stored certified minimiser.
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest

from theorycheck.results import Outcome, Rigor, load, verify_result
from theorycheck.solvers.solution import Solution
from theorycheck.testing import check_solver, cvxpy_solver, exact_solver, sklearn_lasso_solver
from theorycheck.testing.triage import DEFAULT_ACCURACY, resolve_accuracy

EXACT = exact_solver()


def _lam_times_two(problem, y):  # the right program with the wrong parameter, silently
    name = problem._param_name
    return EXACT(problem.with_(**{name: 2 * getattr(problem, name)}), y).x


def _lam_times_two_warns(problem, y):
    warnings.warn("did not converge", RuntimeWarning, stacklevel=2)
    return _lam_times_two(problem, y)


def _lam_times_two_status(problem, y):
    return Solution(x=np.asarray(_lam_times_two(problem, y)), status="max_iterations", rigor=Rigor.NUMERICAL)


def _loose(problem, y):
    # the minimiser with its largest coefficient moved by 3·10^-4 of the norm: a distance above
    # tol = 1e-4·‖x*‖, an objective gap of order (3·10^-4)² — within the default accuracy
    x = np.array(EXACT(problem, y).x, dtype=float)
    j = int(np.argmax(np.abs(x)))
    x[j] += 3e-4 * float(np.linalg.norm(x))
    return x


def _raises(problem, y):
    raise RuntimeError("solver exploded")


def _objective(program, A, y, param, x):
    with mpmath.workdps(60):
        l1 = mpmath.fsum(abs(mpmath.mpf(float(v))) for v in x)
        res = [mpmath.fsum(mpmath.mpf(float(a)) * mpmath.mpf(float(v)) for a, v in zip(row, x))
               - mpmath.mpf(float(b)) for row, b in zip(A, y)]
        sq = mpmath.fsum(r * r for r in res)
        return param * l1 + (sq if program == "Lasso" else mpmath.sqrt(sq))


def _check_gap_independently(r):
    """f(x̂) − f(fl(x*)) (mpmath) lies in the certified [objective_gap_lower, objective_gap] up to fl."""
    w = r.witness
    fx = _objective(w["program"], w["A"], w["y"], w["param"], w["x"])
    fs = _objective(w["program"], w["A"], w["y"], w["param"], w["minimiser"])
    gap = float(fx - fs)
    slack = 1e-12 * float(abs(fs)) + 1e-300  # rounding the minimiser to float64 only raises f by this
    assert r["objective_gap_lower"] - slack <= gap <= r["objective_gap"] + slack, (gap, r.summary())
    assert math.isfinite(r["objective_gap"]) and r["objective_gap_lower"] <= r["objective_gap"]


def test_a_certified_solver_has_no_failure():
    rep = check_solver(EXACT, problem="srlasso", checks=["optimality", "metamorphic_scaling",
                                                          "scale_and_dynamic_range"], max_examples=4)
    assert rep.passed and rep.kinds() == {}, rep.summary()
    assert rep.summary().splitlines()[-1] == "3 passed, 0 failed"


@pytest.mark.parametrize("problem", ["lasso", "srlasso"])
def test_a_wrong_solver_gives_silent_wrong_answers(problem):
    rep = check_solver(_lam_times_two, problem=problem, checks=["optimality", "scale_and_dynamic_range"],
                       max_examples=4, shrink=False)
    assert len(rep.failures()) == 2
    for r in rep.failures():
        assert r["kind"] == "silent-wrong-answer" and r["tier"] == "core", r.summary()
        assert r["objective_gap_lower"] > r["allowed_gap"] > 0 and r["dual_slack"] > 0
        _check_gap_independently(r)
        assert verify_result(load(r.to_json())).holds
    assert rep.kinds() == {"silent-wrong-answer": 2}
    assert rep.summary().splitlines()[-1] == "0 passed, 2 failed (2 silent-wrong-answer)"


@pytest.mark.parametrize("solver", [_lam_times_two_warns, _lam_times_two_status])
def test_a_wrong_solver_that_says_so_is_a_reported_failure(solver):
    rep = check_solver(solver, checks=["optimality"], max_examples=3, shrink=False)
    (r,) = rep.results
    assert r.violated and r["kind"] == "reported-failure", r.summary()
    assert ("did not converge" in r.message) or ("max_iterations" in r.message)
    _check_gap_independently(r)
    assert rep.kinds() == {"reported-failure": 1}


def test_a_loose_solver_is_within_tolerance():
    # core: the verdict is the objective; the distance beyond tol is evidence, not a failure
    (core,) = check_solver(_loose, checks=["optimality"], max_examples=4).results
    assert core.holds and "within-tolerance" in core["kinds"], core.summary()
    # stress: the verdict is the distance; the kind says that the objective is within the accuracy
    rep = check_solver(_loose, checks=["extreme_scales"])
    (r,) = rep.results
    assert r.violated and r["kind"] == "within-tolerance" and r["tier"] == "stress", r.summary()
    assert r["distance_lower"] > r["tol"] and r["objective_gap"] <= r["allowed_gap"]
    _check_gap_independently(r)
    assert rep.kinds() == {"within-tolerance": 1}
    assert verify_result(load(r.to_json())).holds


def test_a_raising_solver_crashes():
    rep = check_solver(_raises, checks=["optimality", "zero_above_lambda_max"], max_examples=2)
    for r in rep.results:
        assert r.violated and r["kind"] == "crash" and r["objective_gap"] is None, r.summary()
        assert "solver exploded" in r.message
    assert rep.kinds() == {"crash": 2}


def test_an_interpolating_minimiser_has_a_finite_objective_gap():
    # SR-LASSO recovering y = Ax exactly: ‖Ax* − y‖ = 0, whose ball straddles 0; the square root
    # of the squared residual used to be NaN (gap [-inf, inf], "undecided")
    def zero(problem, y):
        return np.zeros(problem.A.in_shape)

    (r,) = check_solver(zero, problem="srlasso", checks=["exact_recovery_nsp"]).results
    assert r.violated and r["kind"] == "silent-wrong-answer", r.summary()
    _check_gap_independently(r)
    (r,) = check_solver(EXACT, problem="srlasso", checks=["exact_recovery_nsp"]).results
    assert r.holds and r["objective_gap"] < r["allowed_gap"], r.summary()


def test_accuracy_defaults_and_declarations():
    assert resolve_accuracy(None) is DEFAULT_ACCURACY and DEFAULT_ACCURACY.relative == 1e-6
    # declared by the adapters: 2·tol for scikit-learn's duality gap (a bound at the answer) ...
    acc = resolve_accuracy(None, sklearn_lasso_solver(tol=1e-10))
    assert acc.relative == 2e-10 and acc.source == "the solver's stopping rule"
    # ... ten times a conic backend's default tolerances; none once the user passes options
    assert resolve_accuracy(None, cvxpy_solver("SCS")).relative == pytest.approx(1e-3)
    assert resolve_accuracy(None, cvxpy_solver("CLARABEL", max_iter=5)) is DEFAULT_ACCURACY
    # the user's accuracy wins
    assert resolve_accuracy(1e-9, cvxpy_solver("SCS")).relative == 1e-9


def test_the_accuracy_decides_the_core_verdict():
    # the same loose answers fail once the user asks for an accuracy below their gap
    (r,) = check_solver(_loose, checks=["optimality"], max_examples=4, accuracy=1e-14).results
    assert r.violated and r["kind"] == "silent-wrong-answer" and r["accuracy_relative"] == 1e-14
    assert r.outcome is Outcome.VIOLATED and r["objective_gap_lower"] > r["allowed_gap"]
    _check_gap_independently(r)


def test_the_impossibility_barrier_is_triaged_by_the_objective():
    # scikit-learn's default answer on Ω_3 is ≥ 3·10^-3 from the minimiser, yet its objective is
    # certified within the accuracy: the family's conditioning (dual slack ≈ 1e-6), not a bug
    (r,) = check_solver(sklearn_lasso_solver(), checks=["impossibility_barrier"]).results
    assert r.violated and r["tier"] == "stress", r.summary()
    assert r["kind"] == "within-tolerance" and r["objective_gap"] <= r["allowed_gap"], r.summary()
    assert 0 < r["dual_slack"] < 1e-3 and r["triaged_member"] >= 1
    assert r["objective_gap_lower"] <= r["objective_gap"]
