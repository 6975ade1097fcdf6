"""Unit tests of theorycheck.problems.programs (QCBP, Lasso, SRLasso specs and certificates)."""

from __future__ import annotations

import dataclasses
import doctest
import math

import numpy as np
import pytest

import theorycheck.problems.programs as programs
from theorycheck.errors import InvalidArgument
from theorycheck.problems.operators import MatrixOperator
from theorycheck.problems.programs import QCBP, Lasso, Program, SRLasso

SQ2 = math.sqrt(2.0)


def test_module_doctests_pass():
    result = doctest.testmod(programs)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ hand-computed values
# A = [[1, 0, 1], [0, 1, 1]], y = (2, 1), z = (1, 0, 0), all weights 1.
#   Az = (1, 0), r = Az − y = (−1, −1), ‖r‖ = √2, ‖z‖₁ = 1, A^T r = (−1, −1, −2), A^T y = (2, 1, 3).
# Lasso, λ = 1: objective 1 + ‖r‖² = 3; g = 2A^T r = (−2, −2, −4);
#   coord 0 (z₀ = 1): |−2 + 1| = 1; coords 1, 2 (zero): max(0, 2 − 1) = 1, max(0, 4 − 1) = 3 → √11.
#   dual: v = −2r = (2, 2), A^T v = (2, 2, 4), scale min(1, 1/4) → u = (½, ½),
#   dual objective ⟨y,u⟩ − ‖u‖²/4 = 1.5 − 0.125 = 1.375, gap 1.625; λ_max = max|2A^T y| = 6.
# SR-LASSO, λ = 1: objective 1 + √2; g = A^T r/√2 = (−1, −1, −2)/√2;
#   coords: 1 − 1/√2, max(0, 1/√2 − 1) = 0, √2 − 1 = √2(1 − 1/√2) → √3(1 − 1/√2).
#   dual: v = (1, 1)/√2, A^T v = (1, 1, 2)/√2, scale min(1/‖v‖ = 1, √2/2) = 1/√2 → u = (½, ½),
#   dual objective ⟨y,u⟩ = 1.5, gap √2 − ½; λ_max = max|A^T y|/‖y‖ = 3/√5.
# QCBP, η = √2 (active): v = A^T r/‖r‖ = −(1, 1, 2)/√2; for t ≥ 0 the squared distance is
#   (1 − t/√2)² + max(0, t/√2 − 1)² + max(0, √2 t − 1)². On [0, 1/√2] it decreases to ¼; on
#   [1/√2, √2], with s = t/√2: (1 − s)² + (2s − 1)², minimal at s = 0.6 (t = 0.6√2) with value
#   0.16 + 0.04 = 0.2 < ¼ → residual 1/√5.
#   dual: ray v = (1, 1)/√2, largest feasible scale 1/√2, slope ⟨y,v⟩ − η = 3/√2 − √2 = 1/√2 > 0
#   → u = (½, ½), dual objective 1.5 − √2·(1/√2) = ½, gap ½.
#   η = 2: strictly inside → distance of 0 to ∂‖z‖₁ = 1 (the support coordinate). η = 1: infeasible.
A_HAND = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
Y_HAND = np.array([2.0, 1.0])
Z_HAND = np.array([1.0, 0.0, 0.0])


def test_hand_lasso():
    P = Lasso(A_HAND, 1.0)
    assert P.objective(Z_HAND, Y_HAND) == pytest.approx(3.0, abs=1e-15)
    assert P.optimality_residual(Z_HAND, Y_HAND) == pytest.approx(math.sqrt(11.0), rel=1e-14)
    np.testing.assert_allclose(P.dual_point(Z_HAND, Y_HAND), [0.5, 0.5], rtol=1e-15)
    assert P.dual_objective(P.dual_point(Z_HAND, Y_HAND), Y_HAND) == pytest.approx(1.375, rel=1e-15)
    assert P.duality_gap(Z_HAND, Y_HAND) == pytest.approx(1.625, rel=1e-14)
    assert P.lambda_max(Y_HAND) == pytest.approx(6.0, rel=1e-15)


def test_hand_lasso_weights():
    # weights (2, 1, 1): coord 0 becomes |−2 + 2| = 0, others unchanged → √(0 + 1 + 9) = √10;
    # objective 2·1 + 2 = 4; λ_max = max(4/2, 2/1, 6/1) = 6.
    P = Lasso(A_HAND, 1.0, weights=[2.0, 1.0, 1.0])
    assert P.objective(Z_HAND, Y_HAND) == pytest.approx(4.0)
    assert P.optimality_residual(Z_HAND, Y_HAND) == pytest.approx(math.sqrt(10.0), rel=1e-14)
    assert P.lambda_max(Y_HAND) == pytest.approx(6.0)


def test_hand_srlasso():
    P = SRLasso(A_HAND, 1.0)
    assert P.objective(Z_HAND, Y_HAND) == pytest.approx(1.0 + SQ2, rel=1e-15)
    assert P.optimality_residual(Z_HAND, Y_HAND) == pytest.approx(math.sqrt(3) * (1 - 1 / SQ2), rel=1e-13)
    np.testing.assert_allclose(P.dual_point(Z_HAND, Y_HAND), [0.5, 0.5], rtol=1e-14)
    assert P.duality_gap(Z_HAND, Y_HAND) == pytest.approx(SQ2 - 0.5, rel=1e-14)
    assert P.lambda_max(Y_HAND) == pytest.approx(3 / math.sqrt(5), rel=1e-15)


def test_hand_qcbp():
    P = QCBP(A_HAND, SQ2)
    assert P.objective(Z_HAND, Y_HAND) == 1.0
    assert P.is_feasible(Z_HAND, Y_HAND)
    assert P.optimality_residual(Z_HAND, Y_HAND) == pytest.approx(1 / math.sqrt(5), rel=1e-13)
    np.testing.assert_allclose(P.dual_point(Z_HAND, Y_HAND), [0.5, 0.5], rtol=1e-14)
    assert P.dual_objective(P.dual_point(Z_HAND, Y_HAND), Y_HAND) == pytest.approx(0.5, rel=1e-14)
    assert P.duality_gap(Z_HAND, Y_HAND) == pytest.approx(0.5, rel=1e-14)

    inside = P.with_(eta=2.0)
    assert inside.optimality_residual(Z_HAND, Y_HAND) == pytest.approx(1.0)
    assert inside.constraint_violation(Z_HAND, Y_HAND) == 0.0

    out = P.with_(eta=1.0)
    assert out.optimality_residual(Z_HAND, Y_HAND) == math.inf
    assert out.duality_gap(Z_HAND, Y_HAND) == math.inf
    assert out.constraint_violation(Z_HAND, Y_HAND) == pytest.approx(SQ2 - 1)
    assert not out.is_feasible(Z_HAND, Y_HAND)
    assert out.is_feasible(Z_HAND, Y_HAND, tol=0.5)


def test_support_tol():
    # z = (1, −1e-15, 0): with the default support_tol the tiny entry counts as 0 (√11 as for
    # Z_HAND, up to O(1e-15)); literally (support_tol=0) its phase is −1: coord 1 is |−2 − 1| = 3
    # and the residual is √(1 + 9 + 9) = √19.
    P = Lasso(A_HAND, 1.0)
    z = np.array([1.0, -1e-15, 0.0])
    assert P.optimality_residual(z, Y_HAND) == pytest.approx(math.sqrt(11.0), rel=1e-12)
    assert P.optimality_residual(z, Y_HAND, support_tol=0) == pytest.approx(math.sqrt(19.0), rel=1e-12)
    with pytest.raises(InvalidArgument):
        P.optimality_residual(z, Y_HAND, support_tol=-1.0)


def test_qcbp_active_band():
    P = QCBP(A_HAND, SQ2 / (1 + 1e-12))  # ‖r‖ = η(1 + 1e-12): inside the active band
    assert P.optimality_residual(Z_HAND, Y_HAND) == pytest.approx(1 / math.sqrt(5), rel=1e-9)
    P = QCBP(A_HAND, SQ2 / (1 + 1e-6))
    assert P.optimality_residual(Z_HAND, Y_HAND) == math.inf
    assert np.isfinite(P.optimality_residual(Z_HAND, Y_HAND, active_tol=1e-5))


def test_complex_disc():
    # A = [1, i], y = 1 + i, z = 0: A^*y = (1 + i, 1 − i), |2A^*y|_k = 2√2 for both k.
    # The subdifferential of |·| at 0 is the closed unit disc, so with λ = 2.5 each coordinate
    # is at distance 2√2 − 2.5 from it (a real-sign implementation, using |Re g| = 2 ≤ 2.5,
    # would wrongly report 0). λ_max = 2√2.
    A = np.array([[1.0, 1j]])
    y = np.array([1.0 + 1j])
    z0 = np.zeros(2, complex)
    P = Lasso(A, 2.5)
    assert P.is_complex
    assert P.optimality_residual(z0, y) == pytest.approx(SQ2 * (2 * SQ2 - 2.5), rel=1e-13)
    assert P.lambda_max(y) == pytest.approx(2 * SQ2, rel=1e-15)
    assert P.with_(lam=2 * SQ2 * (1 + 1e-12)).optimality_residual(z0, y) == 0.0
    # On the support: y = √2 e^{iπ/4}; z = (t e^{iπ/4}, 0) gives g₀ = 2(t − √2)e^{iπ/4}, so
    # g₀ + λe^{iπ/4} = 0 at t = √2 − λ/2, and |g₁| = 2|t − √2| = λ ≤ λ: the minimiser for λ = 1.
    P = Lasso(A, 1.0)
    ph = np.exp(1j * np.pi / 4)
    zs = np.array([(SQ2 - 0.5) * ph, 0.0])
    assert P.optimality_residual(zs, y) < 1e-14
    assert P.duality_gap(zs, y) < 1e-14
    # wrong phase by 0.1 rad: coord 0 is at |λe^{iπ/4} − λe^{i(π/4+0.1)}|-ish from 0 → positive
    zw = zs * np.exp(0.1j)
    assert P.optimality_residual(zw, y) > 0.05
    assert P.duality_gap(zw, y) > 1e-4


# ------------------------------------------------------------------ exact minimisers by construction
def _instance(cplx: bool, weighted: bool, *, seed: int = 0, m: int = 20, N: int = 30, A=None):
    """A, weights, a 2-sparse x and p = A_S (A_S^*A_S)^{-1}(w_S σ) (so A_S^* p = w_S σ).

    Off the support |a_j^* p| < w_j (checked): p is a strict dual certificate for x.
    """
    rng = np.random.default_rng(seed)
    if A is None:
        A = rng.standard_normal((m, N)) / math.sqrt(m)
        if cplx:
            A = A + 1j * rng.standard_normal((m, N)) / math.sqrt(m)
    m, N = A.shape
    w = rng.uniform(1.0, 2.0, N) if weighted else np.ones(N)
    S = [3, 10]
    if weighted:
        w[S] = 0.5
    sig = rng.standard_normal(2) + (1j * rng.standard_normal(2) if cplx else 0.0)
    sig = sig / np.abs(sig)
    x = np.zeros(N, complex if cplx else float)
    x[S] = (1.0 + rng.uniform(size=2)) * sig
    AS = A[:, S]
    p = AS @ np.linalg.solve(AS.conj().T @ AS, w[S] * sig)
    np.testing.assert_allclose(AS.conj().T @ p, w[S] * sig, atol=1e-13)
    off = np.delete(np.abs(A.conj().T @ p) / w, S)
    assert off.max() < 0.95  # strict dual feasibility off the support
    return A, w, x, p, rng


CASES = [(c, wt) for c in (False, True) for wt in (False, True)]


def _minimisers(cplx, weighted, A=None):
    """(program, y, x) triples where x is an exact minimiser (up to rounding of the data)."""
    A, w, x, p, rng = _instance(cplx, weighted, A=A)
    lam = 0.3
    # Lasso: y − Ax = (λ/2)p ⇒ 2A^*(y − Ax) = λA^*p = λw_Sσ on S and |·| < λw off S.
    out = [(Lasso(A, lam, weights=w), A @ x + (lam / 2) * p, x)]
    # SR-LASSO: y − Ax = αp + q with q ⊥ range(A_S), ‖q‖ = α‖p‖/2, λ = 1/(‖p‖√(5/4)) so that
    # ‖y − Ax‖ = α‖p‖√(5/4) = α/λ and A_S^*(y − Ax)/‖y − Ax‖ = λw_Sσ; off S |a_j^*(p + q/α)| < w_j.
    AS = A[:, [3, 10]]
    h = rng.standard_normal(A.shape[0]) + (1j * rng.standard_normal(A.shape[0]) if cplx else 0.0)
    q = h - AS @ np.linalg.lstsq(AS, h, rcond=None)[0]
    alpha, pn = 0.7, np.linalg.norm(p)
    q *= alpha * pn / 2 / np.linalg.norm(q)
    lam_sr = 1 / (pn * math.sqrt(1.25))
    off = np.delete(np.abs(A.conj().T @ (p + q / alpha)) / w, [3, 10])
    assert off.max() < 0.99
    out.append((SRLasso(A, lam_sr, weights=w), A @ x + alpha * p + q, x))
    # QCBP: y − Ax = κp, η = κ‖p‖: t A^*(y − Ax)/‖y − Ax‖ = A^*p ∈ ∂‖x‖_{1,w} with t = ‖p‖.
    kappa = 0.4
    out.append((QCBP(A, kappa * pn, weights=w), A @ x + kappa * p, x))
    return out


@pytest.mark.parametrize("cplx,weighted", CASES)
def test_known_minimisers(cplx, weighted):
    for P, y, x in _minimisers(cplx, weighted):
        scale = 1.0 + np.linalg.norm(y)
        assert P.optimality_residual(x, y) < 1e-12 * scale, type(P).__name__
        assert P.duality_gap(x, y) < 1e-12 * scale, type(P).__name__
        # away from the minimiser both certificates are clearly positive
        z = x + 0.05 * np.random.default_rng(1).standard_normal(x.shape)
        if isinstance(P, QCBP):
            assert P.optimality_residual(z, y) == math.inf or P.optimality_residual(z, y) > 1e-3
            Q = P.with_(eta=P.eta * 1.5)  # x strictly inside: not optimal (0 is not in ∂‖x‖)
            assert Q.optimality_residual(x, y) > 0.5
            assert Q.duality_gap(x, y) > 1e-3
        else:
            assert P.optimality_residual(z, y) > 1e-3
            assert P.duality_gap(z, y) > 1e-6


@pytest.mark.parametrize("cplx", [False, True])
def test_interpolating_minimisers(cplx):
    # y = Ax exactly. SR-LASSO: u = λp has ‖u‖ = λ‖p‖ = ½ ≤ 1 and A^*u ∈ λ∂‖x‖_{1,w}: the
    # subdifferential of ‖·‖ at 0 is used (inner solver). QCBP with η = 0 (basis pursuit):
    # A^*p ∈ ∂‖x‖_{1,w}.
    A, w, x, p, rng = _instance(cplx, True)
    y = A @ x
    P = SRLasso(A, 0.5 / np.linalg.norm(p), weights=w)
    assert P.optimality_residual(x, y) < 1e-9
    assert P.duality_gap(x, y) < 1e-9
    B = QCBP(A, 0.0, weights=w)
    assert B.optimality_residual(x, y) < 1e-9
    assert B.duality_gap(x, y) < 1e-9
    # another interpolating point x + kernel vector is not optimal
    k = np.linalg.svd(A)[2][-1].conj()
    assert P.optimality_residual(x + 0.3 * k, y) > 1e-3
    assert B.optimality_residual(x + 0.3 * k, y) > 1e-3


def _unitary(n: int, cplx: bool, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n)) + (1j * rng.standard_normal((n, n)) if cplx else 0.0)
    return np.linalg.qr(M)[0]


def _unitary_op(Q: np.ndarray) -> MatrixOperator:
    W = MatrixOperator(Q)
    W.unitary = True
    return W


@pytest.mark.parametrize("cplx", [False, True])
def test_unitary_W_equals_synthesis(cplx):
    rng = np.random.default_rng(2)
    A = rng.standard_normal((6, 8)) + (1j * rng.standard_normal((6, 8)) if cplx else 0.0)
    Q = _unitary(8, cplx)
    W = _unitary_op(Q)
    B = A @ Q.conj().T
    w = rng.uniform(0.5, 2.0, 8)
    y = rng.standard_normal(6) + (1j * rng.standard_normal(6) if cplx else 0.0)
    for P in (Lasso(A, 0.7, w, W), SRLasso(A, 0.7, w, W), QCBP(A, 3.0, w, W)):
        S = P.with_(A=B, W=None)
        np.testing.assert_allclose(P.synthesis_operator.to_dense(), B, atol=1e-13)
        for _ in range(3):
            z = rng.standard_normal(8) + (1j * rng.standard_normal(8) if cplx else 0.0)
            z *= 0.1
            c = Q @ z
            assert P.objective(z, y) == pytest.approx(S.objective(c, y), rel=1e-12)
            assert P.optimality_residual(z, y) == pytest.approx(S.optimality_residual(c, y), rel=1e-10)
            assert P.duality_gap(z, y) == pytest.approx(S.duality_gap(c, y), rel=1e-10, abs=1e-12)
        if not isinstance(P, QCBP):
            assert P.lambda_max(y) == pytest.approx(S.lambda_max(y), rel=1e-12)


@pytest.mark.parametrize("cplx", [False, True])
def test_unitary_W_known_minimiser(cplx):
    # Build the synthesis instance for B, then A = B Q and z = Q^* c solve the W-form problem.
    A_syn, *_ = _instance(cplx, False)
    Q = _unitary(A_syn.shape[1], cplx)
    A = A_syn @ Q
    for P, y, c in _minimisers(cplx, False, A=A_syn):
        PW = P.with_(A=A, W=_unitary_op(Q))
        z = Q.conj().T @ c
        assert PW.optimality_residual(z, y) < 1e-11
        assert PW.duality_gap(z, y) < 1e-11


def test_analysis_W_objective_only():
    # total variation: W = forward differences (N−1) × N, not unitary
    N = 5
    D = MatrixOperator(np.diff(np.eye(N), axis=0))
    A = np.random.default_rng(0).standard_normal((3, N))
    z = np.array([0.0, 1.0, 1.0, 3.0, 3.0])
    y = np.zeros(3)
    P = Lasso(A, 0.5, weights=np.ones(N - 1), W=D)
    assert P.penalty_size == N - 1
    assert P.objective(z, y) == pytest.approx(0.5 * 3.0 + np.sum((A @ z) ** 2))
    assert QCBP(A, 1.0, W=D).objective(z, y) == pytest.approx(3.0)
    for call in (lambda: P.optimality_residual(z, y), lambda: P.duality_gap(z, y),
                 lambda: P.lambda_max(y), lambda: P.synthesis_operator):
        with pytest.raises(InvalidArgument, match="unitary"):
            call()
    with pytest.raises(InvalidArgument, match="weights"):
        Lasso(A, 0.5, weights=np.ones(N), W=D)


@pytest.mark.parametrize("cplx", [False, True])
def test_weak_duality_random_points(cplx):
    rng = np.random.default_rng(7)
    for P, y, x in _minimisers(cplx, True):
        fmin = P.objective(x, y)
        for _ in range(10):
            z = x + rng.standard_normal(x.shape) * rng.uniform(0.01, 1.0)
            if cplx:
                z = z + 1j * rng.standard_normal(x.shape) * 0.1
            if isinstance(P, QCBP):
                # enlarge η so z is feasible: the minimum can only decrease, so d ≤ fmin still
                P = P.with_(eta=max(P.eta, float(np.linalg.norm(P.A.apply(z) - y))))
            u = P.dual_point(z, y)
            d = P.dual_objective(u, y)
            assert np.isfinite(d)  # the dual point is dual feasible
            assert d <= fmin + 1e-12  # weak duality against the true minimum
            gap = P.duality_gap(z, y)
            assert 0.0 <= gap < math.inf
            assert P.objective(z, y) >= d


@pytest.mark.parametrize("cplx", [False, True])
@pytest.mark.parametrize("cls", [Lasso, SRLasso])
def test_lambda_max(cls, cplx):
    rng = np.random.default_rng(3)
    A = rng.standard_normal((5, 9)) + (1j * rng.standard_normal((5, 9)) if cplx else 0.0)
    y = rng.standard_normal(5) + (1j * rng.standard_normal(5) if cplx else 0.0)
    w = rng.uniform(0.5, 2.0, 9)
    z0 = np.zeros(9, complex if cplx else float)
    lm = cls(A, 1.0, w).lambda_max(y)
    assert cls(A, lm * (1 + 1e-9), w).optimality_residual(z0, y) == 0.0
    assert cls(A, lm * (1 + 1e-9), w).duality_gap(z0, y) < 1e-12
    assert cls(A, lm * (1 - 1e-3), w).optimality_residual(z0, y) > 0.0
    assert cls(A, lm * (1 - 1e-3), w).duality_gap(z0, y) > 0.0


def test_qcbp_zero_feasible():
    y = np.array([0.6, 0.8])
    assert QCBP(A_HAND, 1.01).zero_is_feasible(y)
    assert not QCBP(A_HAND, 0.99).zero_is_feasible(y)
    assert QCBP(A_HAND, 1.01).optimality_residual(np.zeros(3), y) == 0.0
    assert QCBP(A_HAND, 1.01).duality_gap(np.zeros(3), y) == 0.0


def test_sklearn_mapping():
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(4)
    A = rng.standard_normal((30, 12))
    y = A @ np.where(rng.uniform(size=12) < 0.3, rng.standard_normal(12), 0.0) + 0.1 * rng.standard_normal(30)
    alpha = 0.05
    coef = sklearn.Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=100000).fit(A, y).coef_
    P = Lasso.from_sklearn_alpha(A, alpha)
    assert P.lam == pytest.approx(2 * 30 * alpha)
    assert P.sklearn_alpha == pytest.approx(alpha)
    assert np.count_nonzero(coef) < 12  # the penalty is active
    assert P.optimality_residual(coef, y) < 1e-6 * P.lam
    assert P.duality_gap(coef, y) < 1e-8 * P.objective(coef, y)
    # the wrong scaling (λ = α) is clearly not satisfied by sklearn's answer
    assert Lasso(A, alpha).optimality_residual(coef, y) > 1.0


# ------------------------------------------------------------------ validation and immutability
@pytest.mark.parametrize("make", [
    lambda: Lasso(A_HAND, 0.0),
    lambda: Lasso(A_HAND, -1.0),
    lambda: SRLasso(A_HAND, float("nan")),
    lambda: Lasso(A_HAND, math.inf),
    lambda: Lasso(A_HAND, 1j),
    lambda: Lasso(A_HAND, "1"),
    lambda: QCBP(A_HAND, -0.1),
    lambda: QCBP(A_HAND, math.inf),
    lambda: Lasso(A_HAND, 1.0, weights=[1.0, 1.0]),
    lambda: Lasso(A_HAND, 1.0, weights=[1.0, 0.0, 1.0]),
    lambda: Lasso(A_HAND, 1.0, weights=[1.0, -1.0, 1.0]),
    lambda: Lasso(A_HAND, 1.0, weights=[1.0, np.nan, 1.0]),
    lambda: Lasso(A_HAND, 1.0, weights=[1.0, 1j, 1.0]),
    lambda: Lasso(A_HAND, 1.0, W=_unitary_op(np.eye(4))),
    lambda: Lasso([[np.nan, 1.0]], 1.0),
    lambda: Lasso(A_HAND, 1.0).with_(lam=0),
    lambda: Lasso(A_HAND, 1.0).with_(eta=1.0),
])
def test_bad_specs(make):
    with pytest.raises(InvalidArgument):
        make()


def test_lam_zero_message():
    with pytest.raises(InvalidArgument, match="least-squares"):
        Lasso(A_HAND, 0.0)


@pytest.mark.parametrize("P", [Lasso(A_HAND, 1.0), SRLasso(A_HAND, 1.0), QCBP(A_HAND, 1.0)])
def test_bad_vectors(P):
    bad = [
        (Z_HAND[:2], Y_HAND), (Z_HAND, Y_HAND[:1]), (Z_HAND.reshape(3, 1), Y_HAND),
        (Z_HAND, np.array([np.nan, 1.0])), (np.array([np.inf, 0, 0]), Y_HAND),
        (Z_HAND, Y_HAND + 1j), (Z_HAND + 1j, Y_HAND), (Z_HAND, None),
    ]
    for z, y in bad:
        for method in (P.objective, P.optimality_residual, P.duality_gap):
            with pytest.raises(InvalidArgument):
                method(z, y)
    with pytest.raises(InvalidArgument, match="complex operator or real y"):
        P.objective(Z_HAND, Y_HAND + 1j)


def test_complex_problem_accepts_real_data():
    P = Lasso(A_HAND.astype(complex) * 1j, 1.0)
    assert P.is_complex
    assert np.isfinite(P.optimality_residual(Z_HAND, Y_HAND))


def test_inputs_not_mutated_and_immutability():
    A = A_HAND.copy()
    w = np.array([1.0, 2.0, 3.0])
    P = Lasso(A, 1.0, weights=w)
    w[0] = 100.0
    A[0, 0] = 100.0
    assert P.weights[0] == 1.0 and P.A.to_dense()[0, 0] == 1.0
    z, y = Z_HAND.copy(), Y_HAND.copy()
    for Q in (P, SRLasso(A_HAND, 1.0), QCBP(A_HAND, SQ2)):
        Q.objective(z, y), Q.optimality_residual(z, y), Q.duality_gap(z, y), Q.dual_point(z, y)
    np.testing.assert_array_equal(z, Z_HAND)
    np.testing.assert_array_equal(y, Y_HAND)
    with pytest.raises(AttributeError):
        P.lam = 2.0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        P.weights = np.ones(3)  # type: ignore[misc]
    with pytest.raises(ValueError):
        P.weights[0] = 5.0
    assert dataclasses.is_dataclass(P) and isinstance(P, Program)


def test_with_and_repr():
    P = Lasso(A_HAND, 1.0, weights=[1.0, 2.0, 3.0])
    Q = P.with_(lam=0.25)
    assert isinstance(Q, Lasso) and Q.lam == 0.25 and P.lam == 1.0
    assert Q.A is P.A
    np.testing.assert_array_equal(Q.weights, P.weights)
    assert not Q.weights.flags.writeable
    assert "Lasso" in repr(P) and "lam=1.0" in repr(P)
    with pytest.raises(InvalidArgument, match="unknown field"):
        P.with_(mu=1.0)
    assert Lasso(A_HAND, 1).lam == 1.0 and isinstance(Lasso(A_HAND, 1).lam, float)


@pytest.mark.parametrize("cplx", [False, True])
def test_qcbp_ray_minimisation_matches_grid(cplx):
    # the exact piecewise-quadratic minimisation over t ≥ 0 is never beaten by a fine grid
    rng = np.random.default_rng(11)
    A = rng.standard_normal((4, 7)) + (1j * rng.standard_normal((4, 7)) if cplx else 0.0)
    y = rng.standard_normal(4) + (1j * rng.standard_normal(4) if cplx else 0.0)
    w = rng.uniform(0.5, 2.0, 7)
    for _ in range(5):
        z = np.where(rng.uniform(size=7) < 0.4, rng.standard_normal(7), 0.0).astype(A.dtype)
        r = A @ z - y
        P = QCBP(A, float(np.linalg.norm(r)), weights=w)
        v = A.conj().T @ r / np.linalg.norm(r)
        s = np.where(z != 0, z / np.where(z != 0, np.abs(z), 1), 0)
        ts = np.linspace(0.0, 20.0, 200001)[:, None]
        g = ts * v
        d = np.where(z != 0, np.abs(g + w * s), np.maximum(0, np.abs(g) - w))
        grid = np.sqrt(np.min(np.sum(d**2, axis=1)))
        exact = P.optimality_residual(z, y)
        assert exact <= grid + 1e-12
        assert exact >= grid - 1e-6


# -- issue 11: parameters float64 would round are refused; counts and tolerances validated ------

def test_issue11_program_parameters_are_exact_float64_values():
    from fractions import Fraction

    A = np.array([[1.0, 0.5], [0.0, 1.0]])
    for bad in (Fraction(1, 3), Fraction(1, 10), 2 ** 53 + 1, np.longdouble(1) / 3):
        if isinstance(bad, np.floating) and np.finfo(np.longdouble).nmant <= 52:
            continue  # long double is binary64 here
        with pytest.raises(InvalidArgument, match="float64"):
            Lasso(A, lam=bad)
        with pytest.raises(InvalidArgument, match="float64"):
            QCBP(A, eta=bad)
    assert Lasso(A, lam=Fraction(1, 2)).lam == 0.5 and SRLasso(A, lam=2 ** 60).lam == 2.0 ** 60
    with pytest.raises(InvalidArgument):
        Lasso(A, lam=10 ** 400)  # beyond the float range
    with pytest.raises(InvalidArgument):
        Lasso(np.array([[2 ** 53 + 1, 1]], dtype=np.int64), lam=0.5)  # A would be rounded


def test_issue11_inner_iterations_and_tolerances_are_validated():
    A = np.array([[1.0, 0.5], [0.0, 1.0]])
    y = np.array([1.0, 0.0])
    z = np.zeros(2)
    for P in (QCBP(A, eta=0.0), SRLasso(A, lam=0.5)):
        for bad in (0, -1, "5", 1.5, True, 10 ** 9):
            with pytest.raises(InvalidArgument):
                P.dual_point(z, y, max_iter=bad)
            with pytest.raises(InvalidArgument):
                P.optimality_residual(z, y, max_iter=bad)
    Q = QCBP(A, eta=0.5)
    for bad in (-1.0, -0.5, float("nan")):
        with pytest.raises(InvalidArgument):
            Q.is_feasible(z, y, tol=bad)
        with pytest.raises(InvalidArgument):
            Q.optimality_residual(z, y, active_tol=bad)
    with pytest.raises(InvalidArgument):
        Q.optimality_residual(z, y, active_tol=1.0)
