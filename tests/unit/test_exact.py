"""Certified exact minimisers: instances whose minimiser is known by construction."""

from __future__ import annotations

import flint
import numpy as np
import pytest

from theorycheck import QCBP, Lasso, MatrixOperator, SRLasso
from theorycheck.errors import InsufficientPrecision, InvalidArgument, SolverError
from theorycheck.solvers import certify_solution, solve
from theorycheck.solvers.certify import distance_to_enclosure


def lasso_by_construction(seed, m=12, N=30, s=3, lam=0.4, cplx=False, weights=None):
    """``y = Ax + r`` with ``2A_S^*r = λ w_S σ_S`` and ``|2A_j^*r| < λw_j`` off S: x is the minimiser."""
    rng = np.random.default_rng(seed)
    while True:
        A = rng.standard_normal((m, N)) / np.sqrt(m)
        if cplx:
            A = A + 1j * rng.standard_normal((m, N)) / np.sqrt(m)
        S = np.sort(rng.choice(N, s, replace=False))
        x = np.zeros(N, dtype=A.dtype)
        vals = rng.uniform(1.0, 2.0, s) * rng.choice([-1, 1], s)
        if cplx:
            vals = vals * np.exp(1j * rng.uniform(0, 2 * np.pi, s))
        x[S] = vals
        w = np.ones(N) if weights is None else weights
        sigma = x[S] / np.abs(x[S])
        AS = A[:, S]
        r = (lam / 2) * AS @ np.linalg.solve(AS.conj().T @ AS, w[S] * sigma)
        # plus a part orthogonal to range(A_S): keeps SR-LASSO/QCBP away from the degenerate
        # case r ∈ range(A_S) (where λ²q = 1 and their minimisers form a segment)
        g = rng.standard_normal(m) + (1j * rng.standard_normal(m) if cplx else 0)
        g = g - AS @ np.linalg.lstsq(AS, g, rcond=None)[0]
        r = r + 0.5 * np.linalg.norm(r) * g / np.linalg.norm(g)
        off = np.setdiff1d(np.arange(N), S)
        if np.all(2 * np.abs(A[:, off].conj().T @ r) < 0.9 * lam * w[off]):
            return A, x, A @ x + r, S


@pytest.mark.parametrize("seed", range(4))
def test_lasso_minimiser_known_by_construction(seed):
    A, x, y, S = lasso_by_construction(seed)
    sol = solve(Lasso(A, lam=0.4), y, method="exact")
    assert sol.rigor.value == "proven" and sol.status == "optimal"
    assert sol.info["support"] == sorted(S.tolist()) or sorted(sol.info["support"]) == sorted(S.tolist())
    lo, hi = distance_to_enclosure(x, sol)
    assert hi < 1e-12  # x (up to the rounding of y) lies in the certified enclosure
    assert float(sol.dual_slack) > 0.05


def test_complex_lasso_and_weights():
    w = np.linspace(0.5, 1.5, 30)
    A, x, y, S = lasso_by_construction(7, cplx=True, weights=w)
    sol = solve(Lasso(A, lam=0.4, weights=w), y, method="exact", candidate=x + 1e-9)
    assert sol.rigor.value == "proven"
    lo, hi = distance_to_enclosure(x, sol)
    assert hi < 1e-10
    assert all(len(e) == 3 for e in sol.enclosure)  # complex balls


@pytest.mark.parametrize("kind", ["srlasso", "qcbp"])
def test_srlasso_and_qcbp_agree_with_lasso_certificate(kind):
    # a Lasso minimiser with residual r also minimises SR-LASSO with λ_sr = λ/(2‖r‖)
    # and QCBP with η = ‖r‖ (same support, signs and dual direction)
    A, x, y, S = lasso_by_construction(3)
    rn = np.linalg.norm(y - A @ x)
    P = SRLasso(A, lam=0.4 / (2 * rn)) if kind == "srlasso" else QCBP(A, eta=rn)
    sol = solve(P, y, method="exact")
    assert sol.rigor.value == "proven"
    assert distance_to_enclosure(x, sol)[1] < 1e-9


def test_zero_is_the_minimiser_above_lambda_max_and_for_feasible_zero():
    A, x, y, S = lasso_by_construction(1)
    P = Lasso(A, lam=1.0)
    big = P.with_(lam=1.01 * P.lambda_max(y))
    sol = solve(big, y, method="exact")
    assert sol.info["support"] == [] and np.all(sol.x == 0)
    sol = solve(QCBP(A, eta=1.01 * np.linalg.norm(y)), y, method="exact")
    assert np.all(sol.x == 0)


def test_unitary_sparsifier():
    from theorycheck import Wavelet

    rng = np.random.default_rng(2)
    W = Wavelet(16, wavelet="haar", levels=2)
    A = rng.standard_normal((10, 16))
    c = np.zeros(16)
    c[[0, 3]] = [2.0, -1.5]
    z = W.adjoint(c)
    y = A @ z + 0.01 * rng.standard_normal(10)
    P = Lasso(A, lam=0.05, W=W)
    sol = solve(P, y, method="exact")
    assert sol.rigor.value == "proven"
    # the float residual of the certified answer is tiny
    assert P.optimality_residual(sol.x, y) < 1e-9


def test_certify_solution_holds_violated_and_inconclusive():
    A, x, y, S = lasso_by_construction(5)
    P = Lasso(A, lam=0.4)
    good = certify_solution(P, y, x)
    assert good.holds and good.rigor.value == "proven"
    bad = certify_solution(P, y, x + 1e-3)
    assert bad.violated and bad.rigor.value == "proven" and bad["distance_lower"] > 1e-3
    # a distance that straddles tol cannot be decided either way
    edge = certify_solution(P, y, x + 1e-3, tol=float(np.sqrt(30) * 1e-3))
    assert edge.outcome.value in ("inconclusive", "holds", "violated")
    assert edge.rigor.value == "proven"
    # the result round-trips through JSON
    from theorycheck import CheckResult

    assert CheckResult.from_json(bad.to_json()) == bad


def test_enclosure_contains_high_precision_solution_of_support_system():
    A, x, y, S = lasso_by_construction(0)
    sol = solve(Lasso(A, lam=0.4), y, method="exact", dps=40)
    # independent check with mpmath at 60 digits on the certified support
    import mpmath

    with mpmath.workdps(60):
        AS = mpmath.matrix(A[:, S].tolist())
        sig = mpmath.matrix(np.sign(x[S]).tolist())
        G = AS.T * AS
        cS = mpmath.lu_solve(G, AS.T * mpmath.matrix(y.tolist()) - sig * mpmath.mpf(0.4) / 2)
        for k, j in enumerate(S):
            mid, rad = sol.enclosure[j]
            ball = flint.arb(mid, rad)
            assert abs(flint.arb(mpmath.nstr(cS[k], 50)) - ball.mid()) <= ball.rad() + flint.arb("1e-45")


def test_bad_input():
    A, x, y, S = lasso_by_construction(0)
    P = Lasso(A, lam=0.4)
    with pytest.raises(InvalidArgument):
        solve(P, np.full_like(y, np.nan), method="exact")
    with pytest.raises(InvalidArgument):
        solve(P, y[:-1], method="exact")
    with pytest.raises(InvalidArgument):
        solve(P, y + 1j, method="exact")
    with pytest.raises(InvalidArgument):
        solve(P, y, method="nope")
    for junk in ({}, ["exact"], None, 3):  # unhashable or non-string methods: refused, no raw TypeError
        with pytest.raises(InvalidArgument, match="unknown method"):
            solve(P, y, method=junk)
    with pytest.raises(InvalidArgument):
        solve(P, y, method="exact", dps=2)
    with pytest.raises(InvalidArgument):
        solve(P, y, method="exact", support=[0, 0])
    with pytest.raises(InvalidArgument):
        solve(SRLasso(A + 1j * A, lam=0.1), (A + 1j * A) @ x, method="exact", candidate=x)
    with pytest.raises(InvalidArgument):
        certify_solution(P, y, x[:-1])


def test_uncertifiable_support_is_an_error_not_a_guess():
    A, x, y, S = lasso_by_construction(0, N=30)
    P = Lasso(MatrixOperator(A), lam=0.4)
    wrong = np.setdiff1d(np.arange(30), S)[:3]
    # an explicit wrong support is rejected; the float64 refinement then finds the right one
    sol = solve(P, y, method="exact", support=wrong, signs=[1, 1, 1])
    assert sorted(sol.info["support"]) == sorted(S.tolist())


def test_non_unique_minimiser_is_never_certified():
    # two equal columns: every split of the weight between them is a minimiser
    a = np.array([1.0, 2.0, -1.0])
    A = np.stack([a, a, np.array([0.0, 1.0, 3.0])], axis=1)
    y = 2.0 * a
    # the dual constraint is active at both columns: never decided, never certified
    with pytest.raises((SolverError, InsufficientPrecision)):
        solve(Lasso(A, lam=0.5), y, method="exact", candidate=np.array([1.0, 0.5, 0.0]), max_dps=60)
    res = certify_solution(Lasso(A, lam=0.5), y, np.array([1.0, 0.5, 0.0]), max_dps=60)
    assert res.outcome.value == "inconclusive" and res.rigor.value == "numerical"


@pytest.mark.parametrize("kind", ["lasso", "srlasso", "qcbp"])
def test_float_fast_path_agrees_with_full_ball_path(kind):
    import mpmath

    A, x, y, S = lasso_by_construction(11, m=15, N=40)
    rn = np.linalg.norm(y - A @ x)
    P = {"lasso": Lasso(A, lam=0.4), "srlasso": SRLasso(A, lam=0.4 / (2 * rn)),
         "qcbp": QCBP(A, eta=rn)}[kind]
    fast = solve(P, y, method="exact")  # float64 matrix: rigorous float bound for the dual check
    with mpmath.workdps(20):
        slow = solve(P, y, method="exact", A_exact=mpmath.matrix(A.tolist()))  # balls throughout
    assert fast.info["support"] == slow.info["support"]
    assert fast.enclosure == slow.enclosure
    # the float bound is a (slightly) weaker lower bound on the same margin
    assert 0 < float(fast.dual_slack) <= float(slow.dual_slack) * (1 + 1e-12)
    assert float(fast.dual_slack) > float(slow.dual_slack) * (1 - 1e-9)


def test_squares_of_balls_around_zero_are_finite():
    # python-flint 0.9 gives nan for arb(0, r) ** 2; the exact solver must not depend on it
    from theorycheck.numerics.exact import ball_sq
    from theorycheck.solvers._exact_data import sqnorm

    ball = flint.arb(0, 1e-3)
    assert ball_sq(ball).is_finite() and ball_sq(ball).contains(0)
    col = flint.arb_mat([[flint.arb(0, 1e-3)], [flint.arb(2)]])
    assert sqnorm(col).contains(4) and sqnorm(col).is_finite()


@pytest.mark.parametrize("kind", ["srlasso", "qcbp"])
def test_noise_free_data_fitting_on_a_small_support(kind):
    # y = A x exactly (dyadic data), |S| < m: the minimiser fits y and is certified in rationals
    rng = np.random.default_rng(4)
    A = np.round(rng.standard_normal((13, 16)) * 64) / 64
    x = np.zeros(16)
    x[[2, 9]] = [1.5, -0.75]
    y = A @ x  # exact: dyadic products and sums of few terms stay in binary64
    assert np.array_equal(y, np.array([sum(A[i, j] * x[j] for j in (2, 9)) for i in range(13)]))
    P = SRLasso(A, lam=0.35) if kind == "srlasso" else QCBP(A, eta=0.0)
    sol = solve(P, y, method="exact", candidate=x)
    assert sol.rigor.value == "proven" and sol.info.get("exact_rational")
    assert np.array_equal(sol.x, x)  # the enclosure is exact: radius zero
    assert float(sol.dual_slack) > 0
    # a wrong sign pattern on the same support is rejected, not certified
    with pytest.raises((SolverError, InsufficientPrecision)):
        solve(P, y, method="exact", support=[2, 9], signs=[-1, -1], enumerate_supports=False)


def test_longdouble_data_are_not_rounded_to_float64():
    # a review found long double inputs silently rounded: the proof must be for the data given
    yl = np.array([np.longdouble(1) + np.longdouble(2) ** -60])
    if yl[0] == 1:  # platforms where long double is binary64: nothing to check
        pytest.skip("long double is binary64 here")
    sol = solve(Lasso(np.array([[1.0]]), lam=1.0), yl, method="exact")
    mid, rad = sol.enclosure[0]
    from theorycheck.numerics.precision import precision

    with precision(dps=60):
        exact = flint.arb(flint.fmpq(2 ** 59 + 1, 2 ** 60))  # 1/2 + 2^-60, exactly
        assert flint.arb(mid, rad).contains(exact)
        assert not flint.arb(mid, rad).contains(flint.arb(flint.fmpq(1, 2)))


def test_overflowing_float_evidence_does_not_break_a_proof():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((2, 3)) * 1e300
    y = rng.standard_normal(2) * 1e300
    sol = solve(SRLasso(A, lam=0.25), y, method="exact", enumerate_supports=True)
    assert sol.rigor.value == "proven"


def test_complex_failures_are_solver_errors_not_internal_exceptions():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((3, 5)) + 1j * rng.standard_normal((3, 5))
    y = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    A[:, 1] = A[:, 0] * (1 + 1e-12j)
    with pytest.raises((SolverError, InsufficientPrecision)):
        solve(Lasso(A, lam=1.0), y, method="exact")
    res = certify_solution(Lasso(A, lam=1.0), y, np.zeros(5, dtype=complex))
    assert res.outcome.value in ("inconclusive", "violated", "holds")
