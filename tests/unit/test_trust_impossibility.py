"""Trust regressions for the impossibility families (issue 11).

* ``verify`` re-derives every value, the outcome, the rigor and the message of a
  ``solver_on_impossibility_family`` result from its witness, compares exactly, and
  refuses absurd stored parameters before doing any work;
* a solver that produced no valid answer never gets ``holds`` (loud failures are honest
  but prove nothing; silent invalid answers are violations), and ``Report.passed`` is
  False when nothing was checked;
* sizes and precisions that cannot be computed are refused early.

Ground truths are independent of the code under test: the members' minimisers in closed
form (docs/theory.md §6.2, evaluated with mpmath at 80 digits), exact rationals for the barrier.
"""

from __future__ import annotations

import copy
import json
import math
import time
from fractions import Fraction
from types import SimpleNamespace

import mpmath
import numpy as np
import pytest

from theorycheck.errors import InsufficientPrecision, InvalidArgument
from theorycheck.impossibility import (
    MAX_FAMILY_SECONDS,
    build_family,
    build_lasso_3x2,
    certify_interpolating_srlasso,
    check_solver_on_family,
    estimated_family_seconds,
    required_dps,
    verify_solver_on_family,
)
from theorycheck.results import Outcome, Rigor, load, verify_result

K, N_LEVEL = 4, 9  # own instances: not the (3, 10) of the other tests


@pytest.fixture(scope="module")
def fam():
    return build_family(K, N_LEVEL, problem="srlasso", N1=3, N2=4, s=2)


def closed_form_minimiser(K: int, n: int, N1: int, N2: int, j: int) -> list:
    """SR-LASSO member j's minimiser e_j / a_j, a_j = √2·10^K/3 + 2^-(n+1) (docs/theory.md §6.2), mpmath."""
    with mpmath.workdps(80):
        a_j = mpmath.sqrt(2) * mpmath.mpf(10) ** K / 3 + mpmath.mpf(2) ** (-n - 1)
        x = [mpmath.mpf(0)] * (N1 + N2)
        x[j - 1] = 1 / a_j
        return x


def _lookup(fam):
    def solver(problem, y):
        A = problem.A.to_dense()
        for j in range(1, fam.members + 1):
            if np.array_equal(fam.member(j).A_float, A):
                return fam.member(j).x_star_float
        raise RuntimeError("unknown member")
    return solver


def _which(fam, problem) -> int:
    A = problem.A.to_dense()
    return next(j for j in range(1, fam.members + 1) if np.array_equal(fam.member(j).A_float, A))


# -- the distances and digits are true (independent closed form) ---------------------------

def test_distance_bounds_and_digits_contain_the_closed_form_error(fam):
    rng = np.random.default_rng(11)
    for j in (1, 2, 3):
        truth = closed_form_minimiser(K, N_LEVEL, 3, 4, j)
        for scale in (1e-3, 1e-6, 1e-12):
            x = fam.member(j).x_star_float + scale * rng.standard_normal(fam.N)
            lo, hi = fam.member(j).distance(x)
            with mpmath.workdps(80):
                d = mpmath.sqrt(sum((mpmath.mpf(float(a)) - b) ** 2 for a, b in zip(x, truth)))
                assert mpmath.mpf(lo) <= d <= mpmath.mpf(hi)
    res = check_solver_on_family(_lookup(fam), fam).results[0]
    for _j, (hi, dig) in enumerate(zip(res["distance_upper"], res["digits"]), start=1):
        if hi > 0:  # digits is a lower bound on −log10 of the certified upper bound
            with mpmath.workdps(60):
                assert mpmath.mpf(dig) <= -mpmath.log10(mpmath.mpf(hi))


def test_barrier_is_compared_exactly():
    # the float 10**-K is not 10^-K: the classification must use the exact rational
    for k in (3, 4, 7, 13):
        assert Fraction(10.0 ** -k) != Fraction(1, 10 ** k)


# -- solvers that answer nothing, or nonsense ------------------------------------------------

def _cell(solver, fam):
    rep = check_solver_on_family(solver, fam)
    assert len(rep) == 1
    return rep, rep.results[0]


@pytest.mark.parametrize("answer, why", [
    (lambda P, y: np.full(P.A.shape[1], np.nan), "NaN"),
    (lambda P, y: np.zeros(P.A.shape[1] + 1), "shape"),
    (lambda P, y: "x*", "numeric"),
    (lambda P, y: SimpleNamespace(status="optimal", x=[1.0, [2.0]]), "read"),
    (lambda P, y: np.full(P.A.shape[1], 2 ** 60 + 1, dtype=np.int64), "exactly"),
    pytest.param(lambda P, y: np.full(P.A.shape[1], np.longdouble(1) / 3), "exactly",
                 marks=pytest.mark.skipif(np.finfo(np.longdouble).nmant <= 52,
                                          reason="long double is binary64 on this platform")),
    (lambda P, y: np.ones(P.A.shape[1], dtype=bool), "numeric"),
])
def test_silent_invalid_answers_are_violations(fam, answer, why):
    rep, res = _cell(answer, fam)
    assert res.outcome is Outcome.VIOLATED and res.rigor is Rigor.PROVEN and not rep.passed
    assert res["invalid_answers"] == [1, 2, 3] and res["silent_failures"] == []
    assert all(why.lower() in p.lower() or why == "read" for p in res["answer_problems"])
    assert "invalid answer" in res.message
    assert verify_result(load(res.to_json())).holds


@pytest.mark.parametrize("solver", [
    lambda P, y: (_ for _ in ()).throw(ArithmeticError("diverged")),
    lambda P, y: SimpleNamespace(status="max_iter", x=np.zeros(P.A.shape[1])),
    lambda P, y: SimpleNamespace(status="infeasible", x=None),
])
def test_loud_failures_everywhere_check_nothing(fam, solver):
    rep, res = _cell(solver, fam)
    assert res.outcome is Outcome.INCONCLUSIVE and res.rigor is Rigor.NUMERICAL
    assert res["member_outcomes"] == ["loud_failure"] * 3 and res["checked_members"] == 0
    assert "nothing was checked" in res.message
    assert rep.strict and not rep.passed  # a solver that answers nothing cannot pass
    assert verify_result(load(res.to_json())).holds


def test_loud_and_silent_are_kept_apart(fam):
    def solver(P, y):
        j = _which(fam, P)
        if j == 1:  # silent: far away, success reported
            return fam.member(2).x_star_float
        if j == 2:  # loud: far away, failure declared
            return SimpleNamespace(status="max_iter", x=fam.member(1).x_star_float)
        return fam.member(3).x_star_float  # accurate
    rep, res = _cell(solver, fam)
    assert res.outcome is Outcome.VIOLATED
    assert res["member_outcomes"] == ["silent_failure", "loud_failure", "accurate"]
    assert res["silent_failures"] == [1] and res["loud_failures"] == [2] and res["accurate"] == [3]
    # accurate on some members and honest on the others: holds
    def honest(P, y):
        j = _which(fam, P)
        if j == 3:
            raise RuntimeError("cannot decide")
        return fam.member(j).x_star_float
    rep, res = _cell(honest, fam)
    assert res.holds and rep.passed and res["loud_failures"] == [3]


def test_answers_in_other_dtypes_are_taken_exactly(fam):
    import torch

    def solver(P, y):
        x = fam.member(_which(fam, P)).x_star_float
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)
    _, res = _cell(solver, fam)
    assert res.holds and res["checked_members"] == 3
    _, res = _cell(lambda P, y: np.zeros(P.A.shape[1], dtype=np.int32), fam)
    assert res["member_outcomes"] == ["silent_failure"] * 3  # zero is a valid (wrong) answer
    _, res = _cell(lambda P, y: np.zeros((P.A.shape[1], 1)), fam)  # a column is fine
    assert res["invalid_answers"] == []


def test_check_solver_on_family_refuses_bad_grids(fam):
    import itertools

    with pytest.raises(InvalidArgument):
        check_solver_on_family(_lookup(fam), None, K_values=itertools.count(3), n_values=[5])
    with pytest.raises(InvalidArgument):
        check_solver_on_family(_lookup(fam), None, K_values="3", n_values=[5])
    with pytest.raises(InvalidArgument):
        check_solver_on_family(_lookup(fam), fam, progress="yes")
    with pytest.raises(InvalidArgument):
        check_solver_on_family(_lookup(fam), fam, callback=3)


# -- the verifier re-derives everything --------------------------------------------------------

@pytest.fixture(scope="module")
def saved(fam):
    def solver(P, y):
        j = _which(fam, P)
        if j == 2:
            return SimpleNamespace(status="optimal", x=np.full(P.A.shape[1], np.nan))
        return fam.member(j).x_star_float + (1e-2 if j == 3 else 0.0)
    res = check_solver_on_family(solver, fam).results[0]
    assert res.violated
    return json.loads(res.to_json())


def _verify(d):
    return verify_result(load(json.dumps(d)))


def test_control_file_verifies(saved):
    out = _verify(saved)
    assert out.holds, out.message


@pytest.mark.parametrize("path, new", [
    (("values", "min_digits"), 1.0),
    (("values", "digits"), "first+ulp"),
    (("values", "distance_upper"), "first+ulp"),
    (("values", "distance_lower"), "last+ulp"),
    (("values", "silent_failures"), []),
    (("values", "invalid_answers"), []),
    (("values", "member_outcomes"), ["accurate", "accurate", "accurate"]),
    (("values", "barrier"), 1e-3),
    (("values", "jump"), "3.0"),
    (("values", "half_jump_lower"), "ulp"),
    (("values", "float64_represents"), False),
    (("values", "status"), ["optimal", "optimal", "max_iter"]),
    (("values", "K"), 3),
    (("outcome",), "holds"),
    (("rigor",), "numerical"),
    (("message",), "all good"),
])
def test_every_claim_is_rederived(saved, path, new):
    d = copy.deepcopy(saved)
    node = d["fields"]
    for k in path[:-1]:
        node = node[k]
    old = node[path[-1]]
    if new == "first+ulp":
        new = [float(np.nextafter(old[0], math.inf)), *old[1:]]
    elif new == "last+ulp":
        new = [*old[:-1], float(np.nextafter(old[-1], math.inf))]
    elif new == "ulp":
        new = float(np.nextafter(old, math.inf))
    node[path[-1]] = new
    out = _verify(d)
    assert out.violated, (path, out.message)
    assert path[-1] in out.message or path[0] in out.message


def _witness(d):
    return d["fields"]["witness"]["__witness__"]["data"]


@pytest.mark.parametrize("key, value", [
    ("dps", 10 ** 7), ("K", 10 ** 9), ("n", 10 ** 9), ("N1", 10 ** 6), ("N2", 10 ** 9),
    ("samples", 10 ** 9), ("dps", -1), ("K", "3"), ("problem", "bp"), ("lam", 2.0), ("eta", 0.5),
    ("strict", 1), ("seed", -4),
])
def test_absurd_or_edited_family_parameters_are_refused_quickly(saved, key, value):
    d = copy.deepcopy(saved)
    _witness(d)["family"][key] = value
    t0 = time.perf_counter()
    try:
        out = _verify(d)
    except InvalidArgument as exc:  # refused while loading
        assert "family" in str(exc)
        return
    assert time.perf_counter() - t0 < 5.0
    assert out.violated and "witness." in out.message, out.message


@pytest.mark.parametrize("edit", ["answer", "answer_of_invalid", "extra", "missing", "dtype", "shape",
                                  "status", "exception", "warning", "time", "solver"])
def test_witness_edits_are_rejected(saved, edit):
    from theorycheck.results import decode, encode

    d = copy.deepcopy(saved)
    w = _witness(d)
    answers = decode(w["answers"])
    if edit == "answer":
        answers[0, 0] += 1e-9
        w["answers"] = encode(answers)
    elif edit == "answer_of_invalid":
        answers[1, 0] = 1.0  # member 2 had no usable answer
        w["answers"] = encode(answers)
    elif edit == "extra":
        w["claimed"] = True
    elif edit == "missing":
        del w["time_s"]
    elif edit == "dtype":
        w["answers"] = encode(answers.astype(np.float32))
    elif edit == "shape":
        w["answers"] = encode(answers[:, :-1])
    elif edit == "status":
        w["status"][2] = "max_iter"
    elif edit == "exception":
        w["exceptions"][0] = "RuntimeError: boom"
    elif edit == "warning":
        w["warnings"][0] = ["RuntimeWarning: did not converge"]
    elif edit == "time":
        w["time_s"][0] = w["time_s"][0] + 1.0
    elif edit == "solver":
        w["solver"] = "other"
    out = _verify(d)
    assert out.violated, (edit, out.message)


def test_verifier_rejects_a_foreign_result():
    from theorycheck.results import CheckResult

    fake = CheckResult("solver_on_impossibility_family", Outcome.HOLDS, Rigor.PROVEN, "fine", {"K": 3})
    assert verify_solver_on_family(fake).violated
    with pytest.raises(InvalidArgument):
        verify_solver_on_family(None)


# -- sizes that cannot be computed are refused early -----------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(K=10 ** 9, n=5), dict(K=3, n=10 ** 9), dict(K=3, n=5, N1=10 ** 9), dict(K=3, n=5, N2=10 ** 9),
    dict(K=3, n=5, dps=10 ** 7), dict(K=3, n=5, samples=10 ** 9), dict(K=3, n=5, N1=400, N2=400),
    dict(K=3, n=5, strict="yes"),
])
def test_build_family_refuses_what_cannot_be_computed(kwargs):
    t0 = time.perf_counter()
    with pytest.raises(InvalidArgument):
        build_family(**kwargs)
    assert time.perf_counter() - t0 < 1.0


def test_cost_model_bounds_real_work():
    # the estimate must not be wildly below the real time (it is calibrated ~3× above)
    t0 = time.perf_counter()
    f = build_family(3, 6, N1=6, N2=40, dps=300)
    for j in range(1, f.members + 1):
        f.member(j)
    _ = f.float64_represents
    elapsed = time.perf_counter() - t0
    assert elapsed <= 3 * estimated_family_seconds(6, 40, 300) + 0.5
    assert estimated_family_seconds(2, 20, 10 ** 7) > MAX_FAMILY_SECONDS


def test_other_entry_points_refuse_huge_requests(fam):
    t0 = time.perf_counter()
    with pytest.raises(InvalidArgument):
        fam.oracle(10 ** 9, 1)
    with pytest.raises(InvalidArgument):
        fam.oracle(3, 1, adversarial="no")
    with pytest.raises(InvalidArgument):
        build_lasso_3x2(Fraction(1, 10 ** 100000))  # would need ~200000 digits
    for lam in ("abc", "1/0", float("nan"), 1j, None):
        with pytest.raises(InvalidArgument):
            build_lasso_3x2(0.25, lam=lam)
    with pytest.raises(InvalidArgument):
        build_lasso_3x2(0.25, dps=10 ** 7)
    with pytest.raises(InvalidArgument):
        certify_interpolating_srlasso([[1.0, 0.0], [0.0, 1.0]], [1.0, 0.0], [1.0, 0.0], 0.5, dps=10 ** 7)
    with pytest.raises(InvalidArgument):
        certify_interpolating_srlasso(np.ones((2, 2 ** 21)), [1.0, 0.0], np.ones(2 ** 21), 0.5)
    for args in ((10 ** 9, 5), (3, 10 ** 9), ("3", 5), (3, 0)):
        with pytest.raises(InvalidArgument):
            required_dps(*args)
    assert time.perf_counter() - t0 < 5.0


def test_lasso_3x2_sizes_tiny_delta_from_exact_bit_lengths():
    # δ below the float range: the precision comes from the exact rational, not float(δ) = 0
    d = Fraction(1, 2 ** 1100)
    assert float(d) == 0.0
    mem = build_lasso_3x2(d)
    assert mem.dps >= 2 * 331 and mem.solution.rigor is Rigor.PROVEN
    with pytest.raises(InsufficientPrecision):
        build_lasso_3x2(d, dps=60)


def test_impossibility_instances_refuse_huge_sizes():
    from theorycheck.strategies import InvalidArgument as StrategyInvalid
    from theorycheck.strategies import impossibility_instances

    for kw in (dict(K=10 ** 9), dict(K=3, n=10 ** 9), dict(K=3, N1=10 ** 9), dict(K=3, N2=10 ** 9),
               dict(K=1000, n=10000, N1=64, N2=1024)):
        with pytest.raises(StrategyInvalid):
            impossibility_instances(**kw)
