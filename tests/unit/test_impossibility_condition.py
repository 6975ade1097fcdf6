"""Condition numbers of Ω_K beyond Cond(AA*) (docs/theory.md §6.6).

The proven enclosures are checked against independent computations: the
SR-LASSO minimisers of perturbed inputs are computed in exact rational
arithmetic on the basis and *proven* minimisers by the separate interpolating
dual certificate, and the finite-difference ratios ``‖Ξ(p + tΔ) − Ξ(p)‖/(t‖Δ‖)``
are evaluated in mpmath at 60 digits. Random directions must stay below the
upper bound; the worst direction (built here from numpy's SVD of ``A_T``) must
reach the lower bound. Feasibility: ``σ_min(A)`` from mpmath's SVD lies in the
proven ``ρ`` interval, and an explicit infeasible input at distance ``ρ``'s upper
bound is shown infeasible by an mpmath least-squares residual.
"""

from __future__ import annotations

from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest

from theorycheck.errors import InvalidArgument, PreconditionError
from theorycheck.impossibility import build_family, certify_interpolating_srlasso
from theorycheck.impossibility.condition import (
    certify_feasibility_condition,
    certify_srlasso_condition,
)
from theorycheck.results import Rigor

# a 3×5 instance with a non-diagonal A_T: T = {0, 1, 2}, x₀ supported on {0, 2} (entry 1 is 0)
A_TINY = [[4, 1, 0, 1, 0], [1, 5, 1, 0, 1], [0, 1, 6, 1, 1]]
X_TINY = [Fraction(1, 2), Fraction(0), Fraction(-1, 3), Fraction(0), Fraction(0)]
LAM_TINY = Fraction(1, 4)


def _y_of(A, x):
    return [sum((Fraction(a) * b for a, b in zip(row, x)), Fraction(0)) for row in A]


def _solve_T(A, y, T):
    """Exact ``A_T^{-1} y`` embedded (fmpq matrices)."""
    m = len(A)
    AT = flint.fmpq_mat([[flint.fmpq(Fraction(A[r][i]).numerator, Fraction(A[r][i]).denominator)
                          for i in T] for r in range(m)])
    yb = flint.fmpq_mat([[flint.fmpq(Fraction(v).numerator, Fraction(v).denominator)] for v in y])
    sol = AT.solve(yb)
    x = [Fraction(0)] * len(A[0])
    for k, i in enumerate(T):
        q = sol[k, 0]
        x[i] = Fraction(int(q.p), int(q.q))
    return x


def _ratio(A, y, lam, T, x0, dA, dy, t):
    """Finite-difference ratio at step ``t`` (exact perturbed data, certified minimiser, mpmath ratio)."""
    A1 = [[Fraction(a) + t * Fraction(d) for a, d in zip(ra, rd)] for ra, rd in zip(A, dA)]
    y1 = [Fraction(v) + t * Fraction(d) for v, d in zip(y, dy)]
    x1 = _solve_T(A1, y1, T)
    # the perturbed minimiser is proven independently (interpolating dual certificate)
    sol = certify_interpolating_srlasso(np.array(A1, dtype=object), np.array(y1, dtype=object),
                                        np.array(x1, dtype=object), lam, dps=60)
    assert sol.rigor is Rigor.PROVEN
    with mpmath.workdps(60):
        num = mpmath.sqrt(sum((mpmath.mpf(a.numerator) / a.denominator
                               - mpmath.mpf(b.numerator) / b.denominator) ** 2 for a, b in zip(x1, x0)))
        den = mpmath.sqrt(sum(mpmath.mpf(float(d)) ** 2 for r in dA for d in r)
                          + sum(mpmath.mpf(float(d)) ** 2 for d in dy))
        return num / (mpmath.mpf(t.numerator) / t.denominator) / den


def _worst_direction(A, x0, T):
    """``(ΔA, Δy) = (w xᵀ, −w)/s`` with ``w`` the left singular vector of ``A_T`` for ``σ_min``."""
    AT = np.array([[float(A[r][i]) for i in T] for r in range(len(A))])
    U, _, _ = np.linalg.svd(AT)
    w = U[:, -1]
    xf = np.array([float(v) for v in x0])
    dA = np.outer(w, xf)
    dy = -w
    return [[float(v) for v in r] for r in dA], [float(v) for v in dy]


def _check_bracket(A, y, lam, T, cond, seed, n_random=6):
    x0 = _solve_T(A, y, T)
    t = Fraction(1, 2 ** 70)
    rng = np.random.default_rng(seed)
    m, N = len(A), len(A[0])
    for _ in range(n_random):
        dA = rng.standard_normal((m, N)).tolist()
        dy = rng.standard_normal(m).tolist()
        r = _ratio(A, y, lam, T, x0, dA, dy, t)
        assert r <= cond.upper * (1 + 1e-12), (r, cond.upper)
    dA, dy = _worst_direction(A, x0, T)
    r = _ratio(A, y, lam, T, x0, dA, dy, t)
    assert cond.lower * (1 - 1e-12) <= r <= cond.upper * (1 + 1e-12), (r, cond.lower, cond.upper)
    return float(r)


def test_tiny_rational_instance_matches_finite_differences():
    y = _y_of(A_TINY, X_TINY)
    T = [0, 1, 2]
    cond = certify_srlasso_condition(A_TINY, y, LAM_TINY, T, dps=60)
    assert cond.rigor == "proven" and cond.hypotheses["H1"] > 0 and cond.hypotheses["H2"] > 0
    # closed form in exact rationals + mpmath: √(1 + ‖x₀‖²)/σ_min(A_T)
    with mpmath.workdps(50):
        AT = mpmath.matrix([[A_TINY[r][i] for i in T] for r in range(3)])
        smin = min(mpmath.svd_r(AT, compute_uv=False))
        ref = mpmath.sqrt(1 + sum((mpmath.mpf(v.numerator) / v.denominator) ** 2 for v in X_TINY)) / smin
    assert cond.lower <= ref <= cond.upper and cond.upper - cond.lower < 1e-12
    _check_bracket(A_TINY, y, LAM_TINY, T, cond, seed=1)


def test_tiny_instance_hypotheses_are_decided_exactly():
    y = _y_of(A_TINY, X_TINY)
    # (H2) off T in exact rationals: B = A_T^{-1} A_{T^c}, S = {0, 2}, free = {1}
    AT = flint.fmpq_mat([[A_TINY[r][i] for i in range(3)] for r in range(3)])
    B = AT.solve(flint.fmpq_mat([[A_TINY[r][i] for i in (3, 4)] for r in range(3)]))
    worst = max(abs(B[0, c] - B[2, c]) + abs(B[1, c]) for c in range(2))  # σ = (+, −) on S
    cond = certify_srlasso_condition(A_TINY, y, LAM_TINY, [0, 1, 2], dps=60)
    assert abs(cond.hypotheses["H2"] - (1 - float(worst))) < 1e-12
    # (H1) exactly: max over s₁ ∈ {±1} of sᵀ(A_TᵀA_T)^{-1}s (3 free-vertex enumeration)
    M = (AT.transpose() * AT).inv()
    best = max(sum(s[a] * s[b] * M[a, b] for a in range(3) for b in range(3))
               for s in ([1, 1, -1], [1, -1, -1]))
    lam2 = flint.fmpq(LAM_TINY.numerator, LAM_TINY.denominator) ** 2
    assert abs(cond.hypotheses["H1"] - (1 - float(lam2 * best))) < 1e-12
    # λ large enough to break (H1): refused with the hypothesis named
    with pytest.raises(PreconditionError) as exc:
        certify_srlasso_condition(A_TINY, y, 4, [0, 1, 2])
    assert exc.value.hypothesis == "H1"


def test_h2_violation_is_refused():
    # column 3 equals column 0 scaled by 2: |A_T^{-1}A_3| = 2 e₀ breaks strict feasibility
    A = [[4, 1, 0, 8], [1, 5, 1, 2], [0, 1, 6, 0]]
    y = _y_of(A, [Fraction(1), Fraction(1), Fraction(1), Fraction(0)])
    with pytest.raises(PreconditionError) as exc:
        certify_srlasso_condition(A, y, Fraction(1, 100), [0, 1, 2])
    assert exc.value.hypothesis == "H2"


@pytest.mark.parametrize("bad", [dict(basis=[0, 1]), dict(basis=[0, 0, 1]), dict(basis=[0, 1, 9]),
                                 dict(basis=[0.5, 1, 2]), dict(basis="012"), dict(basis=None),
                                 dict(lam=0), dict(y=[1, 2])])
def test_bad_arguments(bad):
    args = dict(A=A_TINY, y=_y_of(A_TINY, X_TINY), lam=LAM_TINY, basis=[0, 1, 2])
    args.update(bad)
    with pytest.raises(InvalidArgument):
        certify_srlasso_condition(args["A"], args["y"], args["lam"], args["basis"])


@pytest.mark.parametrize("K,dct", [(1, True), (3, False)])
def test_family_condition_matches_finite_differences(K, dct):
    fam = build_family(K, 10, N2=4, s=2, strict=False, dct=dct)
    cond = fam.solution_condition(1)
    # seed's claim: the class is well conditioned (condition ≤ 1); here ≈ 2.1·10^-K
    assert cond.upper < 0.25 * 10 ** (1 - K) and cond.lower > 0.2 * 10 ** (1 - K)
    mem = fam.member(1)
    # rational base point: the balls' midpoints (within 2^-bits of the member's data)
    from theorycheck.impossibility._balls import arb_mid_fraction

    A = [[arb_mid_fraction(v) for v in row] for row in mem._A]
    y = [arb_mid_fraction(v) for v in mem._y]
    T = [0] + list(range(2, fam.N))
    r = _check_bracket(A, y, Fraction(1), T, cond, seed=K, n_random=4)
    # and the closed form √(1 + 1/a_j²)/a_j with a_j = √2·10^K/3 + 2^-11, in mpmath
    with mpmath.workdps(40):
        a = mpmath.sqrt(2) * mpmath.mpf(10) ** K / 3 + mpmath.mpf(2) ** -11
        ref = mpmath.sqrt(1 + 1 / a ** 2) / a
    assert cond.lower <= ref <= cond.upper
    assert abs(r - float(ref)) <= 1e-10 * float(ref)


def test_family_training_sample_condition():
    fam = build_family(3, 10, N2=6, s=2, samples=2, seed=3)
    c0 = fam.solution_condition(2)
    cs = fam.solution_condition(2, sample=1)
    # ‖x_k‖ > ‖x*‖ (the sample adds g/ν), σ_min(A_T) the same: the sample's condition is larger
    assert cs.lower > c0.upper
    assert cs.details["sigma_min(A_T)"] == c0.details["sigma_min(A_T)"]
    x = fam.sample(1, 2).x_star
    with mpmath.workdps(fam.dps):
        nx = mpmath.sqrt(sum(v ** 2 for v in x))
    assert cs.details["norm(x0)"][0] <= nx <= cs.details["norm(x0)"][1]


def test_h1_fails_for_a_large_identity_block():
    # K = 1, λ = 1: λ²(1/a² + N₂/ν²) ≈ 0.045 + N₂/44.4 > 1 for N₂ = 60
    fam = build_family(1, 10, N2=60, s=2, strict=False)
    with pytest.raises(PreconditionError) as exc:
        fam.solution_condition(1)
    assert exc.value.hypothesis == "H1" and exc.value.margin < 0


def test_other_kinds_are_refused():
    fam = build_family(3, 10, problem="lasso", N2=4, s=2)
    with pytest.raises(InvalidArgument, match="srlasso"):
        fam.solution_condition(1)


# -- feasibility ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["srlasso", "qcbp"])
def test_family_feasibility_condition_is_one(kind):
    fam = build_family(3, 10, N2=5, s=2, problem=kind)
    fp = fam.feasibility_condition(1)
    assert fp.lower <= 1 <= fp.upper and fp.upper - 1 < 1e-12
    mem = fam.member(1)
    with mpmath.workdps(fam.dps):
        A, y = mem.A_exact, mem.y_exact
        smin = min(mpmath.svd_r(A, compute_uv=False))
        assert fp.details["rho"][0] <= smin <= fp.details["rho"][1] * (1 + 1e-12)
        # the explicit infeasible input (A − uuᵀA, y), u = y/‖y‖, at distance ‖Aᵀu‖ = ν
        u = y / mpmath.norm(y)
        dA = u * (u.T * A)
        A1 = A - dA
        # y's distance to range(A1) is |uᵀy| = ‖y‖ = 1 > η: the least-squares residual, via A1's SVD
        U, S, _ = mpmath.svd_r(A1)
        rank = sum(1 for s in S if s > mpmath.mpf(10) ** (-fam.dps // 2))
        proj = U[:, :rank] * (U[:, :rank].T * y)
        assert mpmath.norm(y - proj) > 0.999
        assert mp_close(mp_fro(dA), fp.details["rho"][1], fam.dps)
    # the Frobenius-size variant is ≈ √m, not ≤ 1 (reported, not claimed)
    assert abs(fp.details["frobenius_size"][0] - (fam.m + 1 / fp.details["rho"][0] ** 2) ** 0.5) < 1e-9


def mp_fro(M):
    return mpmath.sqrt(sum(M[i, j] ** 2 for i in range(M.rows) for j in range(M.cols)))


def mp_close(a, b, dps):
    return abs(a - b) <= 1e-12 * abs(b)


def test_feasibility_exact_instances():
    # A = 3I-like: ρ = 3, C_FP = 1
    fp = certify_feasibility_condition([[3, 0, 0], [0, 3, 0]], [1, 0], Fraction(1, 2))
    assert fp.details["rho"][0] <= 3 <= fp.details["rho"][1] and fp.lower <= 1 <= fp.upper
    # σ = (5, 1): ρ_η = 1 when η < |u₂ᵀy| ... and C_FP = 5
    fp = certify_feasibility_condition([[5, 0], [0, 1]], [0, 2], 1)
    assert fp.details["rho"][0] <= 1 <= fp.details["rho"][1] and fp.lower <= 5 <= fp.upper
    # η beyond |uᵀy| for every u: the upper bound grows by η − |uᵀy| (here y = 0, η = 2 → √(1 + 4))
    fp = certify_feasibility_condition([[5, 0], [0, 1]], [0, 0], 2)
    assert fp.details["rho"][0] <= 1 and fp.details["rho"][1] >= 5 ** 0.5 - 1e-12
    with pytest.raises(PreconditionError):
        certify_feasibility_condition([[1, 2], [2, 4]], [1, 0])
    with pytest.raises(InvalidArgument):
        certify_feasibility_condition([[1, 0], [0, 1]], [1, 0], -1)
