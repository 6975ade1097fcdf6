"""theorycheck.testing: the battery, its robustness, third-party solvers, the pytest plugin."""

from __future__ import annotations

import dataclasses
import pathlib
import time
import warnings

import numpy as np
import pytest

from theorycheck.errors import CertificationError, InvalidArgument
from theorycheck.numerics.rounding import norm2
from theorycheck.results import Outcome, Report, load, verify_result
from theorycheck.solvers import certify_solution
from theorycheck.solvers.certify import distance_to_enclosure
from theorycheck.testing import (
    CHECKS,
    applicable_checks,
    assert_holds,
    assert_minimiser,
    assert_reconstructor_stable,
    assert_solver_passes,
    check_exact_recovery_nsp,
    check_reconstructor,
    check_solver,
    cvxpy_solver,
    exact_solver,
    parametrize_with_checks,
    pyproximal_lasso_solver,
    sklearn_lasso_solver,
    solver_name,
    spgl1_solver,
)

pytest_plugins = ["pytester"]

ROOT = pathlib.Path(__file__).resolve().parents[2]
# checks that need modules written in parallel (theorycheck.rnsp / theorycheck.impossibility)
OPTIONAL = {"recovery_bound_rnsp": "theorycheck.rnsp", "impossibility_barrier": "theorycheck.impossibility"}


def _module_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _mp_objective(program: str, A, y, param, w, x):
    """The objective at x in mpmath (60 digits): independent of the kit's ball arithmetic."""
    import mpmath

    with mpmath.workdps(60):
        l1 = mpmath.fsum(mpmath.mpf(float(wj)) * abs(mpmath.mpf(float(xj))) for wj, xj in zip(w, x))
        res = [mpmath.fsum(mpmath.mpf(float(a)) * mpmath.mpf(float(xj)) for a, xj in zip(row, x))
               - mpmath.mpf(float(yi)) for row, yi in zip(A, y)]
        sq = mpmath.fsum(r * r for r in res)
        if program == "Lasso":
            return param * l1 + sq, sq
        if program == "SRLasso":
            return param * l1 + mpmath.sqrt(sq), sq
        return l1, sq


def _recheck_violations(report: Report) -> None:
    """Every violation against a certified minimiser must re-certify independently, and verify when saved.

    Core tier (verdict on the objective): the stored minimiser is re-certified from scratch and the
    objective gap re-computed in mpmath against it (``f(fl(x*)) ≥ f(x*)`` for the penalised programs,
    so the recomputed difference is a lower bound up to fl's rounding); QCBP: or the constraint excess.
    Stress tier (verdict on the distance): ``certify_solution`` re-proves the distance.
    """
    import mpmath

    for r in report.results:
        if r.violated and r.witness is not None and "minimiser" in r.witness.data:
            out = verify_result(load(r.to_json()))
            assert out.holds, (r.summary(), out.message)
            from theorycheck.problems import programs

            w = r.witness
            cls = getattr(programs, w["program"])
            w_ = None if np.all(w["weights"] == 1) else w["weights"]
            P = cls(w["A"], w["param"], weights=w_)
            if r.values.get("tier", "core") == "stress":
                again = certify_solution(P, w["y"], w["x"], tol=float(r["tol"]))
                assert again.violated and again.rigor.value == "proven", (r.summary(), again.summary())
                continue
            # the stored minimiser really is the minimiser (to within 1e-12 of its norm)
            xs = w["minimiser"]
            ok = certify_solution(P, w["y"], xs, tol=1e-12 * max(norm2(xs), 1e-300))
            assert ok.holds, ok.summary()
            fx, sqx = _mp_objective(w["program"], w["A"], w["y"], w["param"], w["weights"], w["x"])
            fs, _ = _mp_objective(w["program"], w["A"], w["y"], w["param"], w["weights"], xs)
            slack = 1e-12 * abs(fs) + 1e-300  # fl(x*) vs x*: far below any accuracy the kit allows
            beyond = fx - fs - slack > r["allowed_gap"]
            if w["program"] == "QCBP":
                beyond = beyond or mpmath.sqrt(sqx) - w["param"] > r["allowed_excess"]
            assert beyond, (r.summary(), float(fx - fs))


# -- (1) hypothesis finds and shrinks a silent failure of scikit-learn's Lasso ---------------

def test_hypothesis_finds_and_shrinks_a_silent_sklearn_failure():
    from hypothesis import HealthCheck, Phase, find, settings

    from theorycheck.strategies import near_degenerate_problems

    solver = sklearn_lasso_solver()
    seen = []

    def fit(inst):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from sklearn.linear_model import Lasso as SkLasso

            est = SkLasso(alpha=inst.problem.sklearn_alpha, fit_intercept=False)
            est.fit(inst.problem.A.to_dense(), inst.y)
        return est, caught

    def silently_wrong(inst):
        est, caught = fit(inst)
        lo, _ = distance_to_enclosure(est.coef_, inst.solution)
        bad = lo > 1e-3 * max(1.0, np.linalg.norm(inst.minimiser)) and not caught \
            and est.n_iter_ < est.max_iter
        if bad:
            seen.append(inst)
        return bad

    cfg = settings(max_examples=100, database=None, deadline=None, derandomize=True,
                   phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    inst = find(near_degenerate_problems(), silently_wrong, settings=cfg)
    first = seen[0]
    # shrunk: never larger than the first failure found, and strictly simpler in some respect
    key = lambda i: (i.params["m"], i.params["N"], i.params["s"], -i.params["delta"])  # noqa: E731
    assert all(a <= b for a, b in zip(key(inst)[:3], key(first)[:3]))
    assert key(inst) < key(first) or inst.params["seed"] < first.params["seed"]
    # the silent failure, re-established from scratch: converged, no warning, proven wrong
    est, caught = fit(inst)
    assert est.n_iter_ < est.max_iter and not caught
    res = certify_solution(inst.problem, inst.y, est.coef_, tol=1e-3 * max(1.0, np.linalg.norm(inst.minimiser)))
    assert res.violated and res.rigor.value == "proven"
    assert np.array_equal(solver(inst.problem, inst.y), est.coef_)  # the adapter is the same fit


def test_the_battery_reports_the_sklearn_failure_with_a_shrunk_witness():
    rep = check_solver(sklearn_lasso_solver(), on_fail="report",
                       checks=["certified_optimality_near_degenerate"], max_examples=20)
    (r,) = rep.results
    assert r.violated and r.rigor.value == "proven"
    assert "shrunk instance" in r.message and r["context_examples"] >= 1
    assert (r["context_shrunk_m"], r["context_shrunk_N"]) == r.witness["A"].shape  # the shrunk instance is the witness
    assert r["context_warned"] == ("the solver warned" in r.message)  # the call's facts are in the context
    # the accepted distance is tol·‖x*‖ (no absolute floor) with the deterministic norm
    assert r["tol"] == 1e-4 * norm2(r.witness["minimiser"])
    _recheck_violations(rep)


# -- (2) theorycheck's certified solver passes the whole battery ---------------------------

def test_certified_solver_passes_the_whole_battery():
    seen = []
    rep = check_solver(exact_solver(), problem="lasso", on_fail="raise", callback=seen.append)
    # the default battery is the core tier
    assert [r.check for r in rep.results] == list(applicable_checks("lasso", tier="core"))
    assert "certified_optimality_near_degenerate" not in [r.check for r in rep.results]
    assert [r.check for r in seen] == [r.check for r in rep.results]
    assert rep.passed
    for r in rep.results:
        if r.check in OPTIONAL and not _module_available(OPTIONAL[r.check]):
            assert r.outcome is Outcome.INCONCLUSIVE and "needs" in r.message
        else:
            assert r.holds, r.summary()
    proven = {r.check for r in rep.results if r.rigor.value == "proven"}
    assert {"optimality", "zero_above_lambda_max", "scale_and_dynamic_range"} <= proven


# -- (3) misbehaving solvers give failed checks naming the reason; the suite never crashes ----

def _raises(problem, y):
    raise RuntimeError("solver exploded")


def _nan(problem, y):
    return np.full(problem.A.in_shape, np.nan)


def _wrong_shape(problem, y):
    return np.zeros(problem.A.shape[1] + 1)


def _complex(problem, y):
    return np.zeros(problem.A.in_shape) + 1j


def _not_an_array(problem, y):
    return object()


def _slow(problem, y):
    time.sleep(2.0)
    return np.zeros(problem.A.in_shape)


@pytest.mark.parametrize("solver,reason", [
    (_raises, "raised RuntimeError: solver exploded"),
    (_nan, "NaN"),
    (_wrong_shape, "shape"),
    (_complex, "complex values for a real problem"),
    (_not_an_array, "dtype object"),
])
def test_misbehaving_solver_fails_with_the_reason(solver, reason):
    rep = check_solver(solver, on_fail="report", max_examples=2, shrink=False,
                       checks=["optimality", "metamorphic_scaling", "exact_recovery_nsp",
                               "zero_above_lambda_max"], problem="qcbp")
    assert not rep.passed
    for r in rep.results:
        assert r.violated, r.summary()
        assert reason in r.message, r.summary()


def test_the_whole_battery_survives_a_raising_solver():
    for problem in ("lasso", "srlasso", "qcbp"):
        rep = check_solver(_raises, problem=problem, tier="all", on_fail="report", max_examples=2)
        assert [r.check for r in rep.results] == list(applicable_checks(problem, tier="all"))
        for r in rep.results:
            if r.check == "impossibility_barrier":
                # aligned with check_solver_on_family: a raise is a loud (honest) failure, so the
                # barrier checked nothing: inconclusive, not violated
                assert r.outcome is Outcome.INCONCLUSIVE, r.summary()
                continue
            assert r.violated and "solver exploded" in r.message, r.summary()
            assert r["kind"] == "crash" and r["objective_gap"] is None, r.summary()


def test_same_seed_same_report():
    opts = dict(on_fail="report", max_examples=5, checks=["optimality", "metamorphic_sign_phase",
                                                          "l1_norm_monotone"])
    assert check_solver(sklearn_lasso_solver(), **opts) == check_solver(sklearn_lasso_solver(), **opts)
    a = check_solver(sklearn_lasso_solver(), seed=1, **opts).results[0]
    b = check_solver(sklearn_lasso_solver(), seed=2, **opts).results[0]
    assert a.witness != b.witness or a.values != b.values


def test_time_limit_fails_the_check_and_stops_calling():
    t0 = time.perf_counter()
    rep = check_solver(_slow, on_fail="report", time_limit=0.2, max_examples=2, shrink=False,
                       checks=["optimality", "metamorphic_permutation", "l1_norm_monotone"])
    assert time.perf_counter() - t0 < 10  # one abandoned call, then no more calls
    assert all(r.violated for r in rep.results)
    assert "exceeded the time limit of 0.2 s" in rep.results[0].message
    assert all("time limit" in r.message for r in rep.results)
    assert rep.results[0].rigor.value == "numerical"


def test_wrong_but_plausible_solver_is_caught_everywhere_it_should_be():
    def zero(problem, y):  # plausible shape and values, wrong answer
        return np.zeros(problem.A.in_shape)

    rep = check_solver(zero, problem="srlasso", on_fail="report", max_examples=3, shrink=False)
    by = {r.check: r for r in rep.results}
    assert by["optimality"].violated and by["optimality"]["kind"] == "silent-wrong-answer"
    assert "reported success and issued no warning" in by["optimality"].message
    assert by["exact_recovery_nsp"].violated
    assert by["zero_above_lambda_max"].holds  # 0 *is* right there
    # consistent, though wrong: each answer of a metamorphic check is judged against its
    # certified minimiser, so the wrong original answer already fails it
    assert by["metamorphic_permutation"].violated
    assert by["metamorphic_permutation"]["kind"] == "silent-wrong-answer"
    assert "on the original call" in by["metamorphic_permutation"].message
    if _module_available("theorycheck.rnsp"):  # 0 is far outside Theorem 1's error bound
        assert by["recovery_bound_rnsp"].violated and by["recovery_bound_rnsp"].rigor.value == "proven"
    _recheck_violations(rep)


def test_saved_violations_of_the_kit_are_re_proven_and_edits_are_caught():
    def ones(problem, y):  # never 0, also where 0 is the certified minimiser
        return np.ones(problem.A.in_shape)

    rep = check_solver(ones, on_fail="report", max_examples=2, shrink=False,
                       checks=["optimality", "zero_above_lambda_max"])
    assert [r.check for r in rep.results] == ["optimality", "zero_above_lambda_max"]
    for r in rep.results:
        assert r.violated and r.rigor.value == "proven" and r.witness.kind == "minimiser"
        # the minimiser of the zero check is 0: the distance is ‖1‖ = √N, bracketed by the proven bounds
        if r.check == "zero_above_lambda_max":
            assert np.all(r.witness["minimiser"] == 0)
            assert r["distance_lower"] <= np.sqrt(r.witness["A"].shape[1]) <= r["distance_upper"]
        out = verify_result(load(r.to_json()))
        assert out.holds and out.check == f"verify:{r.check}", out.message
        forged = dataclasses.replace(r, message=r.message.replace("silent", "loud"))
        assert not verify_result(load(forged.to_json())).holds
        forged = dataclasses.replace(r, outcome=Outcome.HOLDS)
        assert not verify_result(load(forged.to_json())).holds


def test_metamorphic_violations_name_the_inconsistency():
    exact = exact_solver()
    calls = {"n": 0}

    def biased_when_transformed(problem, y):
        # right on the original call, the minimiser plus 0.01 on coefficient 0 on the transformed one
        # (a metamorphic check calls original, transformed, original, ...)
        calls["n"] += 1
        x = np.array(exact(problem, y).x, dtype=float)
        if calls["n"] % 2 == 0:
            x[0] += 0.01
        return x

    for check in ("metamorphic_scaling", "metamorphic_zero_column"):
        calls["n"] = 0
        rep = check_solver(biased_when_transformed, checks=[check])
        (r,) = rep.results
        assert r.violated and r.rigor.value == "proven" and r["kind"] == "silent-wrong-answer", r.summary()
        # the message describes both calls: the transformed one judged, the original one's answer
        assert "on the transformed call" in r.message and "the original call answered" in r.message
        # the stated inconsistency ‖T(x̂(P, y)) − x̂(T(P, y))‖: 0.01 on one coefficient
        assert r["context_consistency_error"] == pytest.approx(0.01, rel=1e-6)
        assert verify_result(load(r.to_json())).holds

    def biased(problem, y):  # wrong on every call: caught on the original call already
        x = np.array(exact(problem, y).x, dtype=float)
        x[0] += 0.01
        return x

    (r,) = check_solver(biased, checks=["metamorphic_scaling"]).results
    assert r.violated and "on the original call" in r.message, r.summary()


def test_impossibility_barrier_with_a_solver_that_fails_loudly_everywhere():
    def loud(problem, y):  # an answer, but always with a warning: nothing can be judged
        warnings.warn("did not converge", RuntimeWarning, stacklevel=2)
        return np.zeros(problem.A.in_shape)

    rep = check_solver(loud, on_fail="report", checks=["impossibility_barrier"])
    (r,) = rep.results
    # aligned with check_solver_on_family: a loud failure is honest, so nothing was checked (inconclusive)
    assert not r.violated and r.outcome is Outcome.INCONCLUSIVE, r.summary()
    # an accurate solver is not failed by the barrier
    ok = check_solver(exact_solver(), on_fail="report", checks=["impossibility_barrier"]).results[0]
    assert ok.holds and min(ok["min_digits"]) >= 3


def test_on_fail_modes_and_expected_failures():
    def zero(problem, y):
        return np.zeros(problem.A.in_shape)

    opts = dict(checks=["optimality", "metamorphic_zero_column"], max_examples=2, shrink=False)
    with pytest.raises(CertificationError) as info:
        check_solver(zero, on_fail="raise", **opts)
    assert isinstance(info.value.report, Report) and "optimality" in str(info.value)
    with pytest.warns(UserWarning, match="optimality"):
        check_solver(zero, on_fail="warn", **opts)
    rep = check_solver(zero, expected_failed_checks={"optimality": "returns 0"}, **opts)
    # the reason lives in the report, not in the result (whose message must still verify)
    assert not rep.passed and rep.expected == {"optimality": "returns 0"}
    assert "[expected failure: returns 0]" in rep.summary() and "expected" not in rep.results[0].message
    assert verify_result(load(rep.results[0].to_json())).holds
    with pytest.raises(CertificationError) as info:
        assert_solver_passes(zero, **opts)
    assert info.value.report == check_solver(zero, **opts)  # the same report, raised


def test_check_solver_returns_a_report_by_default():
    def zero(problem, y):
        return np.zeros(problem.A.in_shape)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither raises nor warns
        rep = check_solver(zero, checks=["optimality"], max_examples=2, shrink=False)
    assert isinstance(rep, Report) and not rep.passed and rep.results[0].violated


# -- each check on its own ---------------------------------------------------------------------

def test_every_check_is_a_documented_function_of_its_own():
    import inspect

    import theorycheck.testing as kit
    from theorycheck.testing.checks import REGISTRY

    for name, spec in REGISTRY.items():
        f = getattr(kit, f"check_{name}")
        assert spec.function is f and f.__name__ == f"check_{name}"
        doc = inspect.getdoc(f)
        assert "Theorem:" in doc and "Rigor:" in doc and "{options}" not in doc and "time_limit" in doc
        params = inspect.signature(f).parameters
        assert {"solver", "problem", "tol", "seed", "time_limit"} <= set(params)


def test_a_check_on_its_own_agrees_with_the_battery():
    def zero(problem, y):
        return np.zeros(problem.A.in_shape)

    from theorycheck.testing import check_metamorphic_permutation, check_optimality

    alone = check_optimality(zero, problem="srlasso", max_examples=2, shrink=False, seed=3)
    (battery,) = check_solver(zero, problem="srlasso", checks=["optimality"], max_examples=2,
                              shrink=False, seed=3).results
    assert alone == battery and alone.violated
    assert check_metamorphic_permutation(exact_solver()).holds
    with pytest.raises(InvalidArgument, match="does not apply"):
        check_exact_recovery_nsp(exact_solver(), problem="lasso")
    with pytest.raises(InvalidArgument):
        check_metamorphic_permutation(zero, tol=0)
    with pytest.raises(InvalidArgument):
        check_metamorphic_permutation(42)


def test_bad_arguments():
    with pytest.raises(InvalidArgument):
        check_solver(42)
    for kw in [dict(problem="tv"), dict(tier="hard"), dict(accuracy=-1.0), dict(accuracy=(1e-8,)),
               dict(on_fail="ignore"), dict(max_examples=0), dict(tol=-1),
               dict(time_limit=0), dict(seed=-1), dict(checks=["nope"]),
               dict(checks=["exact_recovery_nsp"], problem="lasso"),
               dict(expected_failed_checks={"nope": "x"}), dict(expected_failed_checks="certified_optimality"),
               dict(callback=3)]:
        with pytest.raises(InvalidArgument):
            check_solver(exact_solver(), **kw)
    with pytest.raises(InvalidArgument):
        applicable_checks("tv")
    with pytest.raises(InvalidArgument):
        parametrize_with_checks([])
    with pytest.raises(InvalidArgument):
        parametrize_with_checks([exact_solver()], unknown_option=1)


# -- third-party solvers under test --------------------------------------------------------

@pytest.mark.parametrize("name,problem", [("CLARABEL", "srlasso"), ("SCS", "qcbp"), ("CLARABEL", "lasso")])
def test_cvxpy_solvers_under_test(name, problem):
    rep = check_solver(cvxpy_solver(name), problem=problem, on_fail="report", max_examples=6,
                       checks=["optimality", "certified_optimality_near_degenerate",
                               "metamorphic_permutation", "zero_above_lambda_max"])
    assert [r.check for r in rep.results][0] == "optimality"
    for r in rep.results:
        assert r.outcome in (Outcome.HOLDS, Outcome.VIOLATED, Outcome.INCONCLUSIVE)
        assert "could not run" not in r.message, r.summary()
    # whatever the solver does, every violation the suite claims is independently re-proven
    _recheck_violations(rep)
    # an interior-point / ADMM answer is within its accuracy on well-conditioned instances
    assert rep.results[0].holds or rep.results[0].values.get("kind") in ("silent-wrong-answer", "reported-failure")


def test_spgl1_when_installed():
    pytest.importorskip("spgl1")
    rep = check_solver(spgl1_solver(), problem="qcbp", on_fail="report", max_examples=4,
                       checks=["optimality", "exact_recovery_nsp"])
    assert len(rep.results) == 2
    _recheck_violations(rep)


def test_pyproximal_when_installed():
    pytest.importorskip("pyproximal")
    rep = check_solver(pyproximal_lasso_solver(), on_fail="report", max_examples=4,
                       checks=["optimality", "metamorphic_permutation"])
    assert len(rep.results) == 2
    _recheck_violations(rep)


def test_adapters_skip_programs_they_do_not_solve():
    rep = check_solver(sklearn_lasso_solver(), problem="qcbp", on_fail="report",
                       checks=["zero_above_lambda_max"])
    r = rep.results[0]
    assert rep.passed and r.outcome is Outcome.INCONCLUSIVE and r["skipped"]
    assert "solves lasso, not qcbp" in r.message


def test_solver_names():
    assert solver_name(sklearn_lasso_solver()) == "sklearn_lasso"
    assert solver_name(cvxpy_solver("SCS")) == "cvxpy_SCS"
    assert solver_name(lambda P, y: y) == "lambda"
    assert solver_name(_nan) == "_nan"


# -- parametrize_with_checks ------------------------------------------------------------------

def _zero_solver(problem, y):
    return np.zeros(problem.A.in_shape)


@parametrize_with_checks([exact_solver(), _zero_solver],
                         checks=["metamorphic_permutation", "zero_above_lambda_max", "optimality"],
                         expected_failed_checks=lambda s: {"optimality": "returns 0",
                                                           "metamorphic_permutation": "returns 0"}
                         if s is _zero_solver else {}, max_examples=3, shrink=False)
def test_parametrized_battery(solver, check):
    check(solver)


def test_parametrize_ids(pytester):
    pytester.makepyfile(
        """
        from theorycheck.testing import parametrize_with_checks, exact_solver, sklearn_lasso_solver

        @parametrize_with_checks([exact_solver(), sklearn_lasso_solver()],
                                 checks=["metamorphic_scaling"])
        def test_it(solver, check):
            check(solver)
        """)
    result = pytester.runpytest("--collect-only", "-q")
    out = result.stdout.str()
    assert "test_it[theorycheck_exact-metamorphic_scaling]" in out
    assert "test_it[sklearn_lasso-metamorphic_scaling]" in out


# -- check_reconstructor --------------------------------------------------------------------

def test_check_reconstructor_stable_and_unstable_maps():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 10)) / np.sqrt(6)
    x1 = rng.standard_normal(10)
    # x2 − x1 is (almost) in the kernel of A: measurements nearly coincide, images do not
    _, _, Vt = np.linalg.svd(A)
    x2 = x1 + 2.0 * Vt[-1] + 1e-4 * rng.standard_normal(10)
    pinv = np.linalg.pinv(A)

    def stable(y):  # minimum-norm least squares: Lipschitz constant 1/σ_min(A)
        return pinv @ y

    y1, y2 = A @ x1, A @ x2

    def memoriser(y):  # perfect on both images: overperforms, hence unstable
        # continuous (a jump between the images would look like rounding noise to the certificate)
        a, b = float(np.sum((y - y1) ** 2)), float(np.sum((y - y2) ** 2))
        return x1 + (a / (a + b) if a + b > 0 else 0.5) * (x2 - x1)

    bound = 1.01 / np.linalg.svd(A, compute_uv=False)[-1]
    rep = check_reconstructor(stable, A, images=[x1, x2], eta=0.05, lipschitz_bound=bound)
    by = {r.check: r for r in rep.results}
    assert by["reconstructor_call"].holds and by["local_lipschitz"].holds
    assert by["universal_instability"].holds  # it is not accurate on both: no forced instability
    assert by["training_pairs"].violated  # but the data set itself forces instability of accurate maps
    rep = check_reconstructor(memoriser, A, images=[x1, x2], eta=0.05, lipschitz_bound=bound)
    by = {r.check: r for r in rep.results}
    r = by["universal_instability"]
    assert r.violated and r.rigor.value == "certified-float64"
    dA = np.linalg.norm(A @ (x1 - x2))
    assert r["lipschitz_lower"] == pytest.approx(np.linalg.norm(x1 - x2) / dA)
    assert r["lipschitz_lower"] > (np.linalg.norm(x1 - x2) - 2 * 0.05) / 0.05  # the theorem's bound
    assert by["local_lipschitz"].violated
    with pytest.raises(CertificationError):
        assert_reconstructor_stable(memoriser, A, images=[x1, x2], eta=0.05)


def test_check_reconstructor_bad_maps_and_input():
    A = np.eye(3)[:2]
    rep = check_reconstructor(lambda y: np.full(3, np.nan), A, images=[np.ones(3)])
    assert rep.results[0].violated and "NaN" in rep.results[0].message
    rng = np.random.default_rng(1)
    rep = check_reconstructor(lambda y: rng.standard_normal(3), A, images=[np.ones(3)])
    assert rep.results[0].violated and "different outputs" in rep.results[0].message
    with pytest.raises(InvalidArgument):
        check_reconstructor(lambda y: y, A, images=[np.ones(4)])
    with pytest.raises(InvalidArgument):
        check_reconstructor(lambda y: y, A, images=[np.ones(3)], eta=-1)


# -- assertions ----------------------------------------------------------------------------------

def test_assert_minimiser_and_assert_holds():
    from theorycheck import Lasso

    P = Lasso(np.eye(2), lam=1.0)
    y = np.array([2.0, 0.1])
    assert assert_minimiser(P, y, np.array([1.5, 0.0])).holds
    with pytest.raises(CertificationError, match="violated"):
        assert_minimiser(P, y, np.array([1.0, 0.0]))
    a = np.array([1.0, 2.0, -1.0])
    Pdeg = Lasso(np.stack([a, a, np.array([0.0, 1.0, 3.0])], axis=1), lam=0.5)
    with pytest.raises(CertificationError, match="inconclusive"):
        assert_minimiser(Pdeg, 2 * a, np.array([1.0, 0.5, 0.0]), max_dps=40)
    assert_minimiser(Pdeg, 2 * a, np.array([1.0, 0.5, 0.0]), max_dps=40, allow_inconclusive=True)
    with pytest.raises(InvalidArgument):
        assert_holds("holds")


# -- the opt-in pytest plugin ---------------------------------------------------------------------

PLUGIN = "theorycheck.testing.pytest_plugin"


@pytest.fixture
def keep_hypothesis_profile():
    from hypothesis import settings

    name = settings.get_current_profile_name()
    yield
    settings.load_profile(name)


def test_plugin_markers_options_fixtures_and_header(pytester, keep_hypothesis_profile):
    pytester.makepyfile(
        """
        import flint, mpmath, pytest
        from hypothesis import settings

        @pytest.mark.slow
        def test_slow():
            pass

        @pytest.mark.gpu
        def test_gpu():
            raise AssertionError("must be skipped without CUDA")

        def test_seed(theorycheck_seed, theorycheck_rng):
            assert theorycheck_seed == 7
            assert theorycheck_rng.integers(0, 10**9) == __import__("numpy").random.default_rng(7).integers(0, 10**9)

        def test_precision_a():
            assert flint.ctx.prec == 53 and mpmath.mp.prec == 53
            flint.ctx.prec = 400
            mpmath.mp.dps = 100

        def test_precision_b():
            assert flint.ctx.prec == 53 and mpmath.mp.prec == 53

        def test_profile():
            assert settings.default.max_examples == 20 and settings.default.derandomize

        def test_check_solver_fixture(theorycheck_check_solver):
            from theorycheck.testing import exact_solver
            rep = theorycheck_check_solver(exact_solver(), checks=["metamorphic_permutation"])
            assert rep.passed
        """)
    result = pytester.runpytest("-p", PLUGIN, "--theorycheck-seed=7", "--theorycheck-profile=theorycheck-ci",
                                "-p", "no:cacheprovider", "-m", "not slow")
    out = result.stdout.str()
    result.assert_outcomes(passed=5, skipped=1, deselected=1)
    assert "theorycheck " in out and "python-flint" in out and "hypothesis" in out
    assert "theorycheck backends: torch" in out and "cvxpy" in out and "seed 7" in out
    markers = pytester.runpytest("-p", PLUGIN, "--markers").stdout.str()
    assert "@pytest.mark.slow" in markers and "@pytest.mark.gpu" in markers
    bad = pytester.runpytest("-p", PLUGIN, "--theorycheck-profile=no-such-profile")
    assert bad.ret != 0


def test_seed_and_profile_reach_parametrize_with_checks(pytester, keep_hypothesis_profile):
    """--theorycheck-seed and --theorycheck-profile decide what a parametrized check runs."""
    pytester.makeconftest("from hypothesis import settings\n"
                          "settings.register_profile('three', max_examples=3, deadline=None)\n")
    pytester.makepyfile(
        """
        import numpy as np
        from theorycheck.testing import check_solver, exact_solver, parametrize_with_checks

        EXACT = exact_solver()
        calls = []

        def rec(problem, y):
            calls.append(np.array(y, copy=True))
            return EXACT(problem, y)

        def data(**kw):
            calls.clear()
            check_solver(rec, checks=["optimality"], on_fail="report", **kw)
            return list(calls)

        def same(a, b):
            return len(a) == len(b) and all(u.shape == v.shape and np.array_equal(u, v) for u, v in zip(a, b))

        @parametrize_with_checks([rec], checks=["optimality"])
        def test_it(solver, check):
            calls.clear()
            check(solver)
            got = list(calls)
            assert len(got) == 3  # the profile's max_examples, not the kit's default 10
            assert same(got, data(seed=7, max_examples=3))  # --theorycheck-seed=7
            assert not same(got, data(seed=0, max_examples=3))
        """)
    result = pytester.runpytest("-p", PLUGIN, "--theorycheck-seed=7", "--theorycheck-profile=three",
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_failing_parametrized_check_is_a_concise_message(pytester):
    """No dump of the suite's source: the test's own line, the verdict with its triage, and little else."""
    pytester.makepyfile(
        """
        import numpy as np
        from theorycheck.testing import parametrize_with_checks

        def zero(problem, y):
            return np.zeros(problem.A.in_shape)

        @parametrize_with_checks([zero], checks=["optimality"], max_examples=2)
        def test_it(solver, check):
            check(solver)
        """)
    result = pytester.runpytest("-p", PLUGIN, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    failure = out[out.index("FAILURES"):out.index("short test summary")]
    assert "CertificationError" in failure and "silent wrong answer" in failure and "f(x̂) − f(x*)" in failure
    # none of the kit's frames (their source lines) are shown
    for kit_line in ("def check_solver(", "def __call__(self, solver", "apply_on_fail(", "raise exc",
                     "__tracebackhide__", "theorycheck/testing/"):
        assert kit_line not in failure, failure
    assert len(failure.splitlines()) <= 20, failure


def test_plugin_is_opt_in(pytester):
    pytester.makepyfile("def test_x(theorycheck_seed):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)  # fixture unknown without -p theorycheck.testing.pytest_plugin


def test_plugin_beside_the_repository_conftest(pytester, keep_hypothesis_profile):
    """The repo's own conftest (profiles ci/dev, gpu skipping, precision fixture) and its pyproject
    markers coexist with the plugin."""
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text())
    pytester.makeini("[pytest]\nmarkers =\n    slow: long\n    gpu: needs CUDA\n"
                     "addopts = -m 'not slow and not gpu' --strict-markers\n")
    pytester.makepyfile(
        """
        import flint, pytest
        from hypothesis import given, settings, strategies as st

        @pytest.mark.slow
        def test_slow():
            raise AssertionError("deselected")

        @given(st.integers())
        def test_profile_ci(i):
            assert settings.get_current_profile_name() in ('ci', 'dev')  # the repo's profiles

        def test_fixtures(theorycheck_seed):
            assert theorycheck_seed == 3 and flint.ctx.prec == 53
        """)
    result = pytester.runpytest("-p", PLUGIN, "--theorycheck-seed=3", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, deselected=1)


def test_the_package_exports_every_public_name_of_its_modules():
    import theorycheck.testing as kit
    from theorycheck.testing import adapters, assertions, checks, suite

    public = (set(suite.__all__) | set(assertions.__all__) | {n for n in checks.__all__ if n.startswith("check_")}
              | {"UnsupportedProgram", "solver_name", "sklearn_lasso_solver", "cvxpy_solver",
                 "spgl1_solver", "pyproximal_lasso_solver", "exact_solver"})
    assert {"sklearn_lasso", "celer_lasso", "spgl1_bpdn", "cvxpy_solver"} <= set(adapters.__all__)
    assert set(kit.__all__) == public and len(kit.__all__) == len(public)
    assert kit.adapters is adapters and "adapters" not in kit.__all__  # the submodule, not an export
    assert all(getattr(kit, n) is not None for n in kit.__all__)


def test_checks_constant_is_complete():
    from theorycheck.testing.checks import REGISTRY

    assert CHECKS == tuple(REGISTRY)
    assert "exact_recovery_nsp" not in applicable_checks("lasso")
    assert set(applicable_checks("qcbp")) == set(CHECKS)
    assert "zero_above_lambda_max" not in applicable_checks("bp")


def test_check_reconstructor_float16_output_is_never_certified_float64():
    import torch

    class Half(torch.nn.Module):  # computes in float64 but returns float16: not a float64 evaluation
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 3, bias=False)

        def forward(self, y):
            return self.lin(y).half()

    A = np.eye(3)[:2]
    rep = check_reconstructor(Half(), A, images=[np.ones(3), np.zeros(3)], eta=0.05, on_fail="report")
    assert any(r.rigor.value == "numerical" for r in rep.results)
    assert all(r.rigor.value != "certified-float64" for r in rep.results
               if r.check in ("reconstructor_call", "universal_instability", "local_lipschitz"))


# -- issue 14: triage, tiers, scale, basis pursuit ----------------------------------------------

def _lam_times_two(problem, y):  # solves the right program with the wrong parameter
    name = problem._param_name
    return exact_solver()(problem.with_(**{name: 2 * getattr(problem, name)}), y).x


def _zero_small(problem, y):  # drops coefficients below 1e-3 of the largest
    x = np.array(exact_solver()(problem, y).x)
    x[np.abs(x) < 1e-3 * np.abs(x).max()] = 0.0
    return x


def _zero_below_threshold(problem, y):  # drops coefficients below a fixed threshold 1e-3
    x = np.array(exact_solver()(problem, y).x)
    x[np.abs(x) < 1e-3] = 0.0
    return x


@pytest.mark.parametrize("solver", [exact_solver(), cvxpy_solver("CLARABEL"),
                                    sklearn_lasso_solver(tol=1e-10, max_iter=100000)])
def test_core_tier_passes_accurate_solvers(solver):
    rep = check_solver(solver, max_examples=5)
    assert rep.passed, rep.summary()
    assert rep.kinds() == {}


def test_lambda_off_by_two_is_a_silent_wrong_answer_with_triage():
    rep = check_solver(_lam_times_two, max_examples=5)
    assert not rep.passed
    for r in rep.failures():
        assert r["kind"] == "silent-wrong-answer", r.summary()
        # the certified gap is above the accuracy, with outward-rounded bounds
        assert r["objective_gap"] >= r["objective_gap_lower"] > r["allowed_gap"] > 0
        assert r["objective_gap_relative"] > 1e-8 and r["dual_slack"] > 0
        assert r["context_status"] == "not reported" and r["context_warned"] is False
        out = verify_result(load(r.to_json()))
        assert out.holds, out.message
        forged = dataclasses.replace(r, values={**r.values, "kind": "within-tolerance"})
        assert not verify_result(load(forged.to_json())).holds
    assert "silent-wrong-answer" in rep.summary().splitlines()[-1]
    # independent confirmation: certify_solution re-proves it, and the objective really is larger
    r = rep.failures()[0]
    w = r.witness
    from theorycheck.problems import programs

    P = getattr(programs, w["program"])(w["A"], w["param"])
    assert P.objective(w["x"], w["y"]) > P.objective(w["minimiser"], w["y"])
    assert certify_solution(P, w["y"], w["x"], tol=float(w["tol"])).violated


@pytest.mark.parametrize("problem", ["lasso", "srlasso"])
def test_zeroing_small_coefficients_fails_the_core_tier(problem):
    # a fixed threshold: at scale 2^-10 it drops the 10^-1.5 coefficient, at the default accuracy
    rep = check_solver(_zero_below_threshold, problem=problem, checks=["scale_and_dynamic_range"])
    (r,) = rep.results
    assert r.violated and r["kind"] == "silent-wrong-answer", r.summary()
    assert r["objective_gap_lower"] > r["allowed_gap"] and r["accuracy_relative"] == 1e-6
    # a threshold relative to the largest coefficient (10^-3): U-LASSO's objective is smooth on the
    # support, so dropping a 10^-3.5 coefficient leaves a gap of order (10^-3.5)² ≈ 10^-7 relative:
    # caught at a user-set accuracy of 1e-8, within what the default 1e-6 permits; SR-LASSO's gap
    # (≈ 4·10^-6 relative here) is caught at the default
    (r,) = check_solver(_zero_small, problem=problem, checks=["scale_and_dynamic_range"], accuracy=1e-8).results
    assert r.violated and r["kind"] == "silent-wrong-answer", r.summary()
    (r,) = check_solver(_zero_small, problem=problem, checks=["scale_and_dynamic_range"]).results
    assert r.violated is (problem == "srlasso"), r.summary()
    _recheck_violations(rep)


def test_the_default_core_battery_fails_a_coefficient_zeroing_wrapper():
    # check_solver with its defaults (core tier, default accuracy): the wrapper that drops coefficients
    # below a fixed threshold fails with a certified silent wrong answer, the exact solver under it passes
    rep = check_solver(_zero_below_threshold)
    assert not rep.passed and rep.kinds().get("silent-wrong-answer", 0) >= 1, rep.summary()
    assert all(r["tier"] == "core" for r in rep.failures())
    assert check_solver(exact_solver()).passed


def test_no_absolute_floor_for_tiny_minimisers():
    from theorycheck.testing._oracles import tol_abs
    from theorycheck.testing._runner import make_options

    assert tol_abs(make_options(tol=1e-4), np.array([1e-6, 0.0])) == pytest.approx(1e-10)


def test_basis_pursuit_strategy_and_bp_only_solver():
    from hypothesis import given, settings

    from theorycheck.strategies import qcbp_problems

    @settings(max_examples=5, database=None, deadline=None)
    @given(qcbp_problems(eta=0))
    def t(inst):
        assert inst.problem.eta == 0.0
        assert np.array_equal(inst.problem.A.to_dense() @ inst.minimiser, inst.y)  # y = Ax* exactly

    t()
    from theorycheck.testing.adapters import scipy_linprog_bp

    rep = check_solver(scipy_linprog_bp(), problem="bp", max_examples=3)
    assert rep.passed, rep.summary()
    # a BP-only solver is skipped, not failed, on QCBP with η > 0
    rep = check_solver(scipy_linprog_bp(), problem="qcbp", checks=["optimality"], max_examples=2)
    assert rep.passed and rep.results[0].values.get("skipped")


def test_no_hypothesis_folder_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    check_solver(exact_solver(), checks=["optimality"], max_examples=2)
    assert not (tmp_path / ".hypothesis").exists()
    # in a fresh process too, where hypothesis (≥ 6.131) caches local modules' constants in its
    # storage folder (by default .hypothesis/ in the working directory); a folder the user set is kept
    import subprocess
    import sys

    code = ("from theorycheck.testing import check_solver, exact_solver\n"
            "check_solver(exact_solver(), checks=['optimality', 'metamorphic_permutation'], max_examples=2)\n"
            "from hypothesis import configuration as hc\n"
            "print(vars(hc).get('__hypothesis_home_directory'))\n")
    env = {k: v for k, v in __import__("os").environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())
    assert proc.stdout.strip().splitlines()[-1] == "None"  # the user's (default) setting restored
    chosen = tmp_path / "chosen"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**env, "HYPOTHESIS_STORAGE_DIRECTORY": str(chosen)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [p.name for p in tmp_path.iterdir()] == ["chosen"]


def test_warnings_are_not_cut_mid_word():
    from theorycheck.testing._runner import Call, shorten

    text = shorten("alpha " * 100, 50)
    assert len(text) <= 50 and text.endswith("…") and text[:-1].split()[-1] == "alpha"
    call = Call(None, warned=("UserWarning: " + "word " * 100,) * 3)
    d = call.describe()
    assert "wor…" not in d and "(+2 repeated)" in d


def test_deprecated_check_name_still_works():
    with pytest.warns(DeprecationWarning, match="optimality"):
        rep = check_solver(exact_solver(), checks=["certified_optimality"], max_examples=2)
    assert [r.check for r in rep.results] == ["optimality"]
