"""Impossibility families (docs/theory.md §6.2–6.3): exact data, certified minimisers, oracles, solver checks.

Reference values are computed independently here with mpmath from the
formulas of docs/theory.md §6.2 (γ, ρ, e, ρ_min), not read back from the code.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from theorycheck.errors import InsufficientPrecision, InvalidArgument, SolverError
from theorycheck.impossibility import (
    Family,
    build_family,
    build_lasso_3x2,
    certify_interpolating_srlasso,
    check_solver_on_family,
    required_dps,
)
from theorycheck.results import Outcome, Report, Rigor, load, verify_result


def theory_values(K, n, lam=1.0, delta=1 / 6, dps=60):
    """γ, ρ, ε, e, ρ_min and the minimiser's entry ρ_min/(λγ) of docs/theory.md §6.2, in mpmath."""
    with mpmath.workdps(dps):
        lam = mpmath.mpf(lam)
        delta = mpmath.mpf(delta)
        gamma = mpmath.sqrt(2) * (1 - delta) * mpmath.mpf(10) ** K / (3 * lam)
        rho = 1 - delta
        eps = mpmath.mpf(2) ** (-n - 1)
        e = eps / (gamma * lam)
        rho_min = rho / (1 + e * rho)
        return {"gamma": gamma, "rho": rho, "eps": eps, "e": e, "rho_min": rho_min,
                "entry": rho_min / (lam * gamma), "a_i": gamma * lam / rho, "a_j": gamma * lam / rho_min}


def mp_norm(M):
    return mpmath.sqrt(sum(abs(M[i, j]) ** 2 for i in range(M.rows) for j in range(M.cols)))


# -- construction -------------------------------------------------------------------------

@pytest.mark.parametrize("K,n", [(3, 10), (6, 30)])
def test_srlasso_members_have_the_theory_minimiser(K, n):
    fam = build_family(K, n)
    tv = theory_values(K, n)
    assert isinstance(fam, Family) and fam.members == 2 and (fam.m, fam.N) == (21, 22)
    for j in (1, 2):
        mem = fam.member(j)
        assert mem.solution.rigor is Rigor.PROVEN and mem.support == [j - 1]
        with mpmath.workdps(fam.dps):
            x = mem.x_star
            assert abs(x[j - 1] - tv["entry"]) <= mpmath.mpf(10) ** (-fam.dps + 3) * tv["entry"]
            assert all(x[i] == 0 for i in range(fam.N) if i != j - 1)
            # A x* = y exactly (up to the working precision): the minimiser interpolates
            r = mem.A_exact * x - mem.y_exact
            assert mp_norm(r) < mpmath.mpf(10) ** (-fam.dps + 8)
    assert fam.problem.lam == 1.0 and fam.kind == "srlasso"


def test_members_differ_by_the_theory_amount_and_AAstar_is_scalar():
    K, n = 3, 12
    fam = build_family(K, n)
    m1, m2 = fam.member(1), fam.member(2)
    with mpmath.workdps(fam.dps + 5):
        D = m1.A_exact - m2.A_exact
        # rank one: the spectral norm equals the Frobenius norm, 2^{-n-1/2}
        assert abs(mp_norm(D) / mpmath.mpf(2) ** (-n - 0.5) - 1) < mpmath.mpf(10) ** -15
        G = m1.A_exact * m1.A_exact.T
        nu2 = G[0, 0]
        off = max(abs(G[i, k] - (nu2 if i == k else 0)) for i in range(fam.m) for k in range(fam.m))
        assert off < mpmath.mpf(10) ** (-fam.dps + 12) * nu2
        # the same y for both members
        assert mp_norm(m1.y_exact - m2.y_exact) == 0
    lo, hi = (float(v) for v in fam.cond_AAstar_bounds)
    assert lo == 1.0 and 1.0 <= hi < 1 + 1e-15 and float(fam.cond_AAstar) == hi


@pytest.mark.parametrize("K,n", [(3, 10), (6, 30), (4, 200)])
def test_jump_is_certified_and_straddles_the_barrier(K, n):
    fam = build_family(K, n)
    tv = theory_values(K, n, dps=fam.dps + 10)
    jump_theory = 3 * mpmath.mpf(10) ** (-K) / (1 + tv["e"] * tv["rho"])
    lo, hi = fam.jump_bounds
    assert lo <= float(jump_theory) <= hi and hi - lo < 1e-12 * hi
    assert abs(mpmath.mpf(fam.jump) / jump_theory - 1) < 1e-12
    assert fam.half_jump_lower > 10.0 ** -K and hi < 10.0 ** (1 - K)


def test_jump_lower_bound_binds_every_method_fed_identical_data():
    fam = build_family(3, 10)
    rng = np.random.default_rng(0)
    mid = 0.5 * (fam.member(1).x_star_float + fam.member(2).x_star_float)
    for x in [mid, mid + 1e-7 * rng.standard_normal(fam.N), fam.member(1).x_star_float]:
        worst = max(fam.member(j).distance(x)[1] for j in (1, 2))
        assert worst >= fam.half_jump_lower * (1 - 1e-12)


def test_srlasso_minimiser_beats_perturbations_in_high_precision():
    fam = build_family(3, 8, dct=True)
    mem = fam.member(2)
    rng = np.random.default_rng(1)
    with mpmath.workdps(fam.dps + 10):
        A, y, x = mem.A_exact, mem.y_exact, mem.x_star

        def F(z):
            r = A * z - y
            return sum(abs(v) for v in z) + mpmath.sqrt(sum(v * v for v in r))

        f0 = F(x)
        for scale in (1e-3, 1e-6, 1e-9):
            for _ in range(5):
                d = mpmath.matrix([[mpmath.mpf(float(v))] for v in scale * rng.standard_normal(fam.N)])
                assert F(x + d * mpmath.mpf(float(x[1]))) > f0


@pytest.mark.parametrize("kind", ["lasso", "qcbp"])
def test_lasso_and_qcbp_analogues(kind):
    K, n = 3, 10
    fam = build_family(K, n, problem=kind, eta=0.125)
    tv = theory_values(K, n)
    a = tv["a_j"]
    expected = 1 / a - 1 / (2 * a * a) if kind == "lasso" else (1 - mpmath.mpf(0.125)) / a
    for j in (1, 2):
        mem = fam.member(j)
        assert mem.solution.rigor is Rigor.PROVEN and mem.support == [j - 1]
        with mpmath.workdps(fam.dps):
            assert abs(mem.x_star[j - 1] / expected - 1) < mpmath.mpf(10) ** (-fam.dps + 5)
            if kind == "qcbp":  # the constraint is active
                r = mem.A_exact * mem.x_star - mem.y_exact
                assert abs(mpmath.sqrt(sum(v * v for v in r)) - mpmath.mpf(0.125)) < 1e-20
    assert fam.half_jump_lower > 10.0 ** -K


def test_training_samples_have_certified_minimisers():
    for kind in ("srlasso", "lasso", "qcbp"):
        fam = build_family(3, 10, problem=kind, samples=4, seed=3, s=3, N2=8)
        Y, X = fam.training_data(2)
        assert Y.shape == (4, fam.m) and X.shape == (4, fam.N)
        for k in (0, 3):
            smp = fam.sample(k, 2)
            assert smp.solution.rigor is Rigor.PROVEN and len(smp.support) == 1 + 3
            assert np.allclose(Y[k], smp.y_float, rtol=0, atol=1e-13)
            assert np.allclose(X[k], smp.x_star_float, rtol=1e-13, atol=1e-300)
        if kind == "srlasso":  # A x_k = y_k: the training minimisers interpolate
            with mpmath.workdps(fam.dps):
                r = smp.A_exact * smp.x_star - smp.y_exact
                assert mp_norm(r) < mpmath.mpf(10) ** (-fam.dps + 8)
    again = build_family(3, 10, samples=4, seed=3, s=3, N2=8).training_data(1)
    assert np.array_equal(again[0], build_family(3, 10, samples=4, seed=3, s=3, N2=8).training_data(1)[0])


# -- oracle ---------------------------------------------------------------------------------

def test_oracle_is_exact_rational_within_2_to_minus_k_and_adversarial():
    fam = build_family(3, 12)
    for k in (0, 5, 12, 13, 40):
        for j in (1, 2):
            A_k, y_k = fam.oracle(k, j)
            assert A_k.shape == (fam.m, fam.N) and isinstance(A_k[0, 0], Fraction)
            mem = fam.member(j)
            with mpmath.workdps(fam.dps + 20):
                E = mpmath.matrix([[mpmath.mpf(A_k[r, c].numerator) / A_k[r, c].denominator
                                    for c in range(fam.N)] for r in range(fam.m)]) - mem.A_exact
                e = mpmath.matrix([mpmath.mpf(v.numerator) / v.denominator for v in y_k]) - mem.y_exact
                assert mp_norm(E) <= mpmath.mpf(2) ** -k
                assert mp_norm(e) <= mpmath.mpf(2) ** -k
        same = np.array_equal(fam.oracle(k, 1)[0], fam.oracle(k, 2)[0])
        assert same == (k <= fam.n)  # the theorem's oracle hides the member until k > n
    assert not np.array_equal(fam.oracle(5, 1, adversarial=False)[0], fam.oracle(5, 2, adversarial=False)[0])
    A_k, _ = fam.oracle(5, 1)
    A_k[0, 0] = Fraction(0)  # a copy: the cache is unaffected
    assert fam.oracle(5, 1)[0][0, 0] != 0


# -- float64 ----------------------------------------------------------------------------------

def test_float64_can_no_longer_represent_the_family_for_large_n():
    assert build_family(6, 30, dct=False).float64_represents
    fam = build_family(6, 34, dct=False)
    assert not fam.float64_represents
    assert build_family(6, 30).float64_represents
    far = build_family(6, 40)
    assert not far.float64_represents and not far.float64_report["distinct"]
    assert np.array_equal(far.member(1).A_float, far.member(2).A_float)


# -- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(K=2, n=10), dict(K=0, n=10, strict=False), dict(K=3, n=0), dict(K=3, n=10, N1=1),
    dict(K=3, n=10, delta=0.0), dict(K=3, n=10, delta=0.25), dict(K=3, n=10, delta=float("nan")),
    dict(K=3, n=10, delta=-0.1), dict(K=3, n=10, lam=0.0), dict(K=3, n=10, lam=1.5),
    dict(K=3, n=10, problem="bp"), dict(K=3, n=10, s=21), dict(K=3.0, n=10), dict(K=3, n=10, N2=0),
    dict(K=3, n=10, problem="qcbp", eta=1.0), dict(K=True, n=10),
])
def test_bad_input_is_invalid_argument(kwargs):
    with pytest.raises(InvalidArgument):
        build_family(**kwargs)


def test_small_K_needs_strict_false_and_low_precision_is_reported():
    fam = build_family(1, 10, strict=False)
    assert fam.half_jump_lower > 0.1
    need = required_dps(6, 30)
    with pytest.raises(InsufficientPrecision) as info:
        build_family(6, 30, dps=need - 1)
    assert info.value.needed_dps == need
    build_family(6, 30, dps=need)
    fam = build_family(3, 10)
    for bad in (0, 3, 1.0, None):
        with pytest.raises(InvalidArgument):
            fam.member(bad)
    with pytest.raises(InvalidArgument):
        fam.oracle(-1, 1)
    with pytest.raises(InvalidArgument):
        fam.training_data(1)  # no samples


# -- 3×2 LASSO ------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 7, 20])
def test_lasso_3x2_minimiser(k):
    delta = 2.0 ** -k
    for scaling, shift_den in (("1/m", 20), ("1/(2m)", 10)):
        mem = build_lasso_3x2(delta, scaling=scaling)
        assert mem.solution.rigor is Rigor.PROVEN and mem.support == [1]
        with mpmath.workdps(40):
            assert mem.x_star[0] == 0
            assert abs(mem.x_star[1] - (1 / mpmath.sqrt(3) - mpmath.mpf(1) / shift_den)) < 1e-30
            assert abs(mem.z_star[1] - mpmath.sqrt(3) * mem.x_star[1]) < 1e-30
            for c in range(2):  # columns of A_δ D_δ have norm √3
                col = [mem.A_exact[i, c] for i in range(3)]
                assert abs(mpmath.sqrt(sum(v * v for v in col)) - mpmath.sqrt(3)) < 1e-30
            Dm = mem.A_delta * mem.D
            assert mp_norm(Dm - mem.A_exact) < 1e-30
        slack = float(mem.solution.dual_slack)  # a lower bound on 1 − 1/√(1 + 6δ²) ≈ 3δ²
        exact = 1 - 1 / math.sqrt(1 + 6 * delta ** 2) if k < 10 else 3 * delta ** 2
        assert 0.999 * exact < slack <= exact * (1 + 1e-9)
    assert build_lasso_3x2(delta).problem.lam == 0.3
    assert build_lasso_3x2(delta, scaling="1/(2m)").sklearn_alpha == pytest.approx(0.1)


def test_lasso_3x2_float64_data_have_another_minimiser():
    from theorycheck.solvers.exact import solve_exact

    mem = build_lasso_3x2(2.0 ** -28)
    sol = solve_exact(mem.problem, mem.y_float)
    lo, _ = mem.distance(sol.x)
    assert sol.rigor is Rigor.PROVEN and lo > 0.05


@pytest.mark.parametrize("delta", [0, 0.0, float("nan"), float("inf"), "0.1", True, 1j])
def test_lasso_3x2_bad_delta(delta):
    with pytest.raises(InvalidArgument):
        build_lasso_3x2(delta)


def test_lasso_3x2_bad_scaling():
    with pytest.raises(InvalidArgument):
        build_lasso_3x2(0.1, scaling="1/3")


def test_lasso_3x2_family_is_a_deprecated_alias():
    import theorycheck
    from theorycheck.impossibility import lasso_3x2_family

    new = build_lasso_3x2(2.0 ** -7, scaling="1/(2m)")
    for old in (lasso_3x2_family, theorycheck.lasso_3x2_family):
        with pytest.warns(DeprecationWarning, match="build_lasso_3x2"):
            mem = old(2.0 ** -7, scaling="1/(2m)")
        assert mem.solution.enclosure == new.solution.enclosure and mem.support == new.support
        assert np.array_equal(mem.A_float, new.A_float) and mem.sklearn_alpha == new.sklearn_alpha


# -- the interpolating certificate ------------------------------------------------------------

def test_certify_interpolating_srlasso():
    rng = np.random.default_rng(6)  # an instance the min-norm (Fuchs) certificate covers
    A = rng.standard_normal((12, 30)) / np.sqrt(12)
    x = np.zeros(30)
    x[[2, 17]] = [1.5, -0.75]
    y = np.array([sum((Fraction(A[r, i]) * Fraction(x[i]) for i in (2, 17)), Fraction(0))
                  for r in range(12)], dtype=object)
    sol = certify_interpolating_srlasso(A, y, x, 0.2)
    assert sol.rigor is Rigor.PROVEN and sol.info["support"] == [2, 17]
    assert float(sol.dual_slack) > 0
    # the float64 SR-LASSO optimality residual of x is tiny (an independent numerical check)
    from theorycheck.problems.programs import SRLasso

    assert SRLasso(A, lam=0.2).optimality_residual(x, np.array([float(v) for v in y])) < 1e-8
    with pytest.raises(SolverError):  # λ too large: ‖u‖ ≥ 1
        certify_interpolating_srlasso(A, y, x, 5.0)
    with pytest.raises(SolverError):  # A x ≠ y
        certify_interpolating_srlasso(A, y, 2 * x, 0.2)
    with pytest.raises(InvalidArgument):
        certify_interpolating_srlasso(A, y[:5], x, 0.2)


# -- solvers on the families ------------------------------------------------------------------

def _lookup_solver(families):
    """A perfect solver: returns the certified minimiser of the member whose float data it gets."""
    def solver(problem, y):
        A = problem.A.to_dense()
        for fam in families:
            for j in range(1, fam.members + 1):
                if np.array_equal(fam.member(j).A_float, A):
                    return fam.member(j).x_star_float
        raise AssertionError("unknown member")
    return solver


def test_check_solver_perfect_midpoint_and_loud_solvers():
    fam = build_family(3, 10)
    rep = check_solver_on_family(_lookup_solver([fam]), fam)
    assert isinstance(rep, Report) and len(rep) == 1 and rep.passed
    res = rep.results[0]
    assert res.outcome is Outcome.HOLDS and res.rigor is Rigor.PROVEN
    assert res["min_digits"] > 10 and res["float64_represents"]

    def midpoint(problem, y):  # what any method fed the common oracle data can at best do
        return 0.5 * (fam.member(1).x_star_float + fam.member(2).x_star_float)

    res = check_solver_on_family(midpoint, fam).results[0]
    assert res.outcome is Outcome.VIOLATED and res["silent_failures"] == [1, 2]
    assert min(res["distance_lower"]) > 10.0 ** -3

    def loud(problem, y):
        warnings.warn("did not converge", RuntimeWarning, stacklevel=2)
        return midpoint(problem, y)

    rep = check_solver_on_family(loud, fam)
    res = rep.results[0]
    # honest (loud) failures everywhere: no silent failure, but nothing checked either
    assert res.outcome is Outcome.INCONCLUSIVE and res.rigor is Rigor.NUMERICAL
    assert res["silent_failures"] == [] and res["warnings"] == [1, 1]
    assert res["loud_failures"] == [1, 2] and res["checked_members"] == 0
    assert "nothing was checked" in res.message and not rep.passed

    def crash(problem, y):
        raise RuntimeError("boom")

    rep = check_solver_on_family(crash, fam)
    res = rep.results[0]
    assert res.outcome is Outcome.INCONCLUSIVE and all("boom" in e for e in res["errors"])
    assert res["member_outcomes"] == ["loud_failure", "loud_failure"] and not rep.passed

    def half(problem, y):  # accurate on member 1, honest failure on member 2: the expected behaviour
        if np.array_equal(problem.A.to_dense(), fam.member(1).A_float):
            return fam.member(1).x_star_float
        raise RuntimeError("cannot tell the members apart")

    rep = check_solver_on_family(half, fam)
    assert rep.passed and rep.results[0].holds
    assert rep.results[0]["member_outcomes"] == ["accurate", "loud_failure"]


def test_check_solver_grid_float64_flag_and_verifier(tmp_path):
    calls = []

    def midpoint(problem, y):
        calls.append(1)
        A = problem.A.to_dense()
        return np.linalg.pinv(A) @ y  # the minimum-norm interpolant: spreads over both columns

    rep = check_solver_on_family(midpoint, build_family(6, 20), K_values=[6], n_values=[20, 40])
    assert len(rep) == 2 and len(calls) == 4
    r20, r40 = rep.results
    assert r20["float64_represents"] and not r40["float64_represents"]
    assert "Float64 cannot represent" in r40.message
    for res in rep:
        if res.outcome is Outcome.VIOLATED:
            assert all(res["distance_lower"][j - 1] > 1e-6 for j in res["silent_failures"])
    path = tmp_path / "rep.json"
    rep.to_json(str(path))
    again = load(str(path))
    for res in again:
        assert verify_result(res).holds
    # tampering with the stored answers is detected
    d = r20.to_dict()
    res = r20.__class__.from_dict(d)
    w = res.witness
    tampered = type(res)(res.check, Outcome.HOLDS if res.violated else Outcome.VIOLATED, res.rigor,
                         res.message, dict(res.values), w, res.theorem)
    assert verify_result(tampered).violated


def test_check_solver_real_solver_is_consistent():
    res = check_solver_on_family("primal_dual", None, K_values=[3], n_values=[10]).results[0]
    for j, ok in enumerate(res["reported_success"], start=1):
        lo, hi = res["distance_lower"][j - 1], res["distance_upper"][j - 1]
        assert lo <= hi
        assert (j in res["silent_failures"]) == (ok and lo > 1e-3)
    assert (res.outcome is Outcome.VIOLATED) == bool(res["silent_failures"])


def test_check_solver_bad_input():
    fam = build_family(3, 10)
    with pytest.raises(InvalidArgument):
        check_solver_on_family(42, fam)
    with pytest.raises(InvalidArgument):
        check_solver_on_family("nope", fam)
    with pytest.raises(InvalidArgument):
        check_solver_on_family(lambda P, y: y, None)
    with pytest.raises(InvalidArgument):
        check_solver_on_family(lambda P, y: y, "family")
    rep = check_solver_on_family(lambda P, y: np.zeros(3), fam)  # wrong size, success reported
    res = rep.results[0]
    assert res.outcome is Outcome.VIOLATED and res["invalid_answers"] == [1, 2] and not rep.passed
    assert all("shape" in p for p in res["answer_problems"]) and not any(res["errors"])
    assert math.isnan(res["distance_lower"][0])


def test_review_complex_answers_keep_their_imaginary_part():
    # review finding: complex answers were cast to real, certifying the real part only
    fam = build_family(3, 10)
    x = fam.member(1).x_star_float + 1j
    lo, hi = fam.member(1).distance(x)
    assert lo > 4.6 and hi < 4.7  # sqrt(22): one unit of imaginary part in each of 22 entries
    it = iter([1, 2])
    res = list(check_solver_on_family(lambda P, y: fam.member(next(it)).x_star_float + 1j, fam))[0]
    assert "within 10^-3 on member(s) [1" not in res.message  # never counted as accurate
