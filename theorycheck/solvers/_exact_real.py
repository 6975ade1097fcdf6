"""Ball-arithmetic certificates of real minimisers on a support ``S`` with signs ``σ``.

:func:`certify_real` solves the support system in balls (closed forms of
docs/theory.md §1, the square "interpolating" case, or exact rationals for
noise-free data that ``B_S`` fits exactly) and proves (a) the signs on ``S``
and (b) strict dual feasibility off ``S``; it returns the coefficient balls
and a certified lower bound on the relative dual slack, or raises
:class:`~theorycheck.solvers._exact_data.SupportRejected` (the balls prove
this pattern is not the minimiser's) or
:class:`~theorycheck.errors.InsufficientPrecision` (undecided).

Theorem: optimality conditions and uniqueness via strict dual feasibility (docs/theory.md §1).
Rigor: proven (python-flint ball arithmetic, exact rationals, Higham's bound for float dot products).
"""

from __future__ import annotations

from typing import Any

import flint
import numpy as np

from theorycheck.numerics.exact import ball_lower, ball_upper, to_arb
from theorycheck.numerics.rounding import U, gamma
from theorycheck.solvers._exact_data import (
    ExactData,
    SupportRejected,
    ball_norm2,
    mid_array,
    min_lower,
    pm1,
    sqnorm,
    undecided,
)
from theorycheck.solvers._exact_float import fits_in_float, interpolating

__all__ = ["certify_real", "proven_signs", "strict_dual_feasibility", "fixed_order_products", "certify_interpolating",
           "fmpq_mat", "rational_fit", "certify_rational_fit"]


def certify_real(kind: str, d: ExactData, S: list[int], sig: Any) -> tuple[list[Any], Any, dict[str, Any]]:
    """Prove that ``(S, σ)`` carries the unique minimiser; return (c balls, slack ball, extra facts).

    Raises :class:`SupportRejected` when the balls prove that the pattern is not
    the minimiser's and :class:`~theorycheck.errors.InsufficientPrecision` when
    they do not decide.

    Theorem: optimality conditions and uniqueness via strict dual feasibility (docs/theory.md §1).
    Rigor: proven (ball arithmetic).
    """
    S = [int(j) for j in S]
    sig = pm1(S, sig, d.N)
    if not S:
        return _certify_zero(kind, d)
    if interpolating(kind, d, S):
        return certify_interpolating(kind, d, S, sig)
    if d.rational and (kind == "qcbp" and d.paramf == 0.0 or kind == "srlasso" and fits_in_float(d, S)) \
            and rational_fit(d, S) is not None:
        return certify_rational_fit(kind, d, S, sig)
    cS, BS, scale = _support_solution(kind, d, S, sig)
    c = proven_signs(cS, S, sig, d.N)
    r = d.y - BS * cS
    # dual threshold per column: U-LASSO λ/2·w_j, SR-LASSO λ t w_j (t = ‖r‖), QCBP θ w_j
    p = d.param
    base = p / 2 if kind == "lasso" else (p * sqnorm(r).sqrt() if kind == "srlasso" else scale)
    slack = strict_dual_feasibility(d, r, base, S)
    return c, slack if slack is not None else flint.arb(1), {}


def _certify_zero(kind: str, d: ExactData) -> tuple[list[Any], Any, dict[str, Any]]:
    """The empty support: ``z = 0`` (``y = 0``; QCBP: ``‖y‖ ≤ η``; else strict dual feasibility of ``y``)."""
    y, p = d.y, d.param
    c = [flint.arb(0)] * d.N
    if all(y[i, 0].is_zero() for i in range(d.m)):
        return c, flint.arb(1), {"zero_data": True}  # y = 0: z = 0 is the unique minimiser
    if kind == "qcbp":
        nsq = sqnorm(y)  # exact for exactly representable data: no square root to round
        if nsq <= p * p:
            return c, flint.arb(1), {"zero_feasible": True}
        if nsq > p * p:
            raise SupportRejected("0 is infeasible")
        raise undecided("‖y‖ ≤ η")
    base = p / 2 if kind == "lasso" else p * ball_norm2(y)
    slack = strict_dual_feasibility(d, y, base, [])
    return c, slack if slack is not None else flint.arb(1), {}


def _support_solution(kind: str, d: ExactData, S: list[int], sig: list[int]) -> tuple[Any, Any, Any]:
    """The closed form on ``(S, σ)`` in balls: ``(c_S, B_S, θ)`` (``θ`` None for U-LASSO).

    ``c_S = G^{-1}(B_S^T y − θ v)`` with ``θ = λ/2`` (U-LASSO),
    ``λ ρ₀/sqrt(1 − λ²q)`` (SR-LASSO) or ``sqrt((η² − ρ₀²)/q)`` (QCBP).
    """
    y, p = d.y, d.param
    BS = d.cols(S)
    BSt = BS.transpose()
    G = BSt * BS
    v = flint.arb_mat([[d.w[j] * s] for j, s in zip(S, sig)])
    try:
        Gi_b = G.solve(BSt * y)
        Gi_v = G.solve(v)
    except ZeroDivisionError:
        if np.linalg.matrix_rank(d.Bf[:, S]) < len(S):
            raise SupportRejected("B_S is not injective") from None
        raise undecided("solve the support system") from None
    if kind == "lasso":
        return Gi_b - Gi_v * (p / 2), BS, None
    q = (v.transpose() * Gi_v)[0, 0]
    res0 = y - BS * Gi_b
    rho0sq = sqnorm(res0)
    scale = _srlasso_scale(d, q, res0, rho0sq) if kind == "srlasso" else _qcbp_scale(d, q, rho0sq)
    return Gi_b - Gi_v * scale, BS, scale


def _srlasso_scale(d: ExactData, q: Any, res0: Any, rho0sq: Any) -> Any:
    """``θ = λ ρ₀/sqrt(1 − λ²q)``, once ``1 − λ²q > 0`` and ``ρ₀ > 0`` are proven."""
    p = d.param
    denom = 1 - p * p * q
    if not denom > 0:
        if denom <= 0:
            raise SupportRejected("λ²q ≥ 1")
        raise undecided("λ²q < 1")
    if not rho0sq > 0:
        # B_S interpolates y (in float64 too): outside the closed form's reach
        if float(np.linalg.norm(mid_array(res0, False))) <= 1e-13 * float(np.linalg.norm(d.yf)):
            raise SupportRejected("B_S interpolates y")
        raise undecided("‖(I − P)y‖ > 0")
    return p * (rho0sq / denom).sqrt()


def _qcbp_scale(d: ExactData, q: Any, rho0sq: Any) -> Any:
    """``θ = sqrt((η² − ρ₀²)/q)``, once ``η > ρ₀`` is proven."""
    p = d.param
    num = p * p - rho0sq
    if not num > 0:
        if num <= 0:
            raise SupportRejected("η ≤ ‖(I − P)y‖")
        raise undecided("η > ‖(I − P)y‖")
    return (num / q).sqrt()


def proven_signs(cS: Any, S: list[int], sig: list[int], N: int) -> list[Any]:
    """The coefficient balls on ``{0..N-1}`` once ``sign(c_j) = σ_j`` is proven for every ``j ∈ S``.

    Theorem: none (the sign condition of docs/theory.md §1's optimality conditions).
    Rigor: proven (ball comparisons; a ball containing 0 is undecided).
    """
    c = [flint.arb(0)] * N
    for k, (j, s) in enumerate(zip(S, sig)):
        val = cS[k, 0]
        if not (val > 0 if s > 0 else val < 0):
            if (val <= 0 if s > 0 else val >= 0):
                raise SupportRejected(f"coefficient {j} has the wrong sign")
            raise undecided(f"the sign of coefficient {j}")
        c[j] = val
    return c


@np.errstate(all="ignore")  # an overflowing float bound is inf or NaN: never < thr, so balls decide
def strict_dual_feasibility(d: ExactData, r: Any, base: Any, S: list[int]) -> Any:
    """Prove ``|B_j^T r| < base·w_j`` for every ``j ∉ S``; return a lower bound on the relative slack.

    First a rigorous float64 bound (Higham: ``|fl(b^T r̂) − b^T r̂| ≤ γ_m |b|^T|r̂|``
    for any summation order, ``γ_m = m u/(1 − m u)``), with ``r`` enclosed by
    ``r̂ ± ρ``; columns it cannot decide are re-checked in ball arithmetic.

    Theorem: strict dual feasibility off the support (docs/theory.md §1); Higham's bound for float dot products.
    Rigor: proven (rigorous float64 bounds, then ball arithmetic).
    """
    m = d.m
    off = np.setdiff1d(np.arange(d.N), np.asarray(S, dtype=int))
    if off.size == 0:
        return None
    slack = None
    todo = off
    r_hat = np.array([float(r[i, 0].mid()) for i in range(m)]) if d._B is None else None
    if r_hat is not None and m * U < 0.01 and np.all(np.isfinite(r_hat)):
        # ρ_i ≥ |r_i − r̂_i| for every point of the ball: its radius plus the rounding to float
        rho = np.array([ball_upper(abs(r[i, 0] - to_arb(r_hat[i]))) for i in range(m)])
        Bo = d.Bf[:, off]
        g_m = gamma(m)
        s, t1, t2 = fixed_order_products(Bo, r_hat, rho)
        # outward-rounded: the float evaluation of this bound has a few more roundings
        bound = (s + (g_m * t1 + t2) / (1 - g_m)) * (1 + 16 * U) + m * 2.0 ** -1060
        thr = np.array([ball_lower(base * d.w[j]) for j in off])
        ok = (thr > 0) & (bound < thr)
        if np.any(ok):
            rel = (thr[ok] - bound[ok]) / thr[ok] * (1 - 8 * U)
            slack = flint.arb(float(np.min(rel)))
        todo = off[~ok]
    if todo.size:
        g = d.cols(list(todo)).transpose() * r
        for k, j in enumerate(todo):
            rel = 1 - abs(g[k, 0]) / (base * d.w[j])
            if not rel > 0:
                if rel <= 0:
                    raise SupportRejected(f"dual feasibility fails at column {j}")
                raise undecided(f"strict dual feasibility at column {j}")
            slack = min_lower(slack, rel)
    return slack


@np.errstate(all="ignore")
def fixed_order_products(Bo: np.ndarray, r_hat: np.ndarray,
                         rho: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``|Bo^T r̂|``, ``|Bo|^T |r̂|`` and ``|Bo|^T ρ`` summed row by row in a fixed order.

    Elementwise IEEE products, then the rows added one after the other
    (``s ← s + p_i``, no BLAS, no pairwise reordering): the bits are the same on
    every machine, so a saved certificate's slack is re-derived exactly by a
    verifier. Higham's bound holds for this (as for any) summation order.

    Theorem: none (Higham's bound holds for any summation order).
    Rigor: numerical (deterministic float64, bit for bit on every machine).
    """
    m, n = Bo.shape
    if m == 0:
        return np.zeros(n), np.zeros(n), np.zeros(n)
    buf = np.empty((m, 3, n))
    np.multiply(Bo, r_hat[:, None], out=buf[:, 0])
    np.abs(Bo, out=buf[:, 1])
    np.multiply(buf[:, 1], rho[:, None], out=buf[:, 2])
    np.multiply(buf[:, 1], np.abs(r_hat)[:, None], out=buf[:, 1])
    out = buf[0].copy()
    for i in range(1, m):  # one vector addition of 3n entries per row
        out += buf[i]
    return np.abs(out[0]), out[1], out[2]


def certify_interpolating(kind: str, d: ExactData, S: list[int],
                          sig: Any) -> tuple[list[Any], Any, dict[str, Any]]:
    """Square ``B_S``: ``c_S = B_S^{-1} y`` and dual ``u = t B_S^{-T} v`` (``t = λ`` or 1).

    Proves signs, ``|B_j^T u| < t w_j`` off ``S`` and, for SR-LASSO, ``‖u‖ < 1``:
    then every minimiser fits ``y`` exactly and equals ``c`` (docs/theory.md §1, the
    ``Az = y`` case).

    Theorem: the ``Az = y`` case of docs/theory.md §1 (uniqueness via strict dual feasibility).
    Rigor: proven (ball arithmetic).
    """
    sig = pm1(S, sig, d.N)
    y, N = d.y, d.N
    t = d.param if kind == "srlasso" else flint.arb(1)
    BS = d.cols(S)
    v = flint.arb_mat([[d.w[j] * s] for j, s in zip(S, sig)])
    try:
        cS = BS.solve(y)
        u = BS.transpose().solve(v) * t
    except ZeroDivisionError:
        if np.linalg.matrix_rank(d.Bf[:, S]) < len(S):
            raise SupportRejected("B_S is singular") from None
        raise undecided("solve the square support system") from None
    c = proven_signs(cS, S, sig, N)
    if kind == "srlasso":
        nu = ball_norm2(u)
        if not nu < 1:
            if nu >= 1:
                raise SupportRejected("‖u‖ ≥ 1")
            raise undecided("‖u‖ < 1")
    slack = strict_dual_feasibility(d, u, t, S)
    return c, slack if slack is not None else flint.arb(1), {"interpolates": True}


def fmpq_mat(M: np.ndarray) -> Any:
    """fmpq mat.

    Theorem: none (helper of docs/theory.md §1's certificates).
    Rigor: exact (float64 entries are dyadic rationals).
    """
    return flint.fmpq_mat([[flint.fmpq(*float(v).as_integer_ratio()) for v in row] for row in M])


def rational_fit(d: ExactData, S: list[int]) -> Any:
    """``(B_S, G, c_S)`` in exact rationals when ``B_S c_S = y`` holds exactly, else None.

    Theorem: the ``Az = y`` case of docs/theory.md §1.
    Rigor: exact (rational arithmetic).
    """
    BS = fmpq_mat(d.Bf[:, S])
    yq = fmpq_mat(d.yf.reshape(-1, 1))
    BSt = BS.transpose()
    G = BSt * BS
    try:
        cS = G.solve(BSt * yq)
    except ZeroDivisionError:
        return None  # B_S not injective: the closed form rejects it too
    if BS * cS != yq:
        return None
    return BS, G, cS


def certify_rational_fit(kind: str, d: ExactData, S: list[int],
                         sig: Any) -> tuple[list[Any], Any, dict[str, Any]]:
    """``B_S c = y`` exactly with ``|S| < m`` (noise-free data), in exact rational arithmetic.

    With ``G = B_S^T B_S``, ``c_S = G^{-1} B_S^T y`` must fit ``y`` exactly; the
    minimum-norm dual ``u = t B_S G^{-1} v`` (``t = λ`` for SR-LASSO, 1 for QCBP
    with ``η = 0``) must satisfy ``|B_j^T u| < t w_j`` off ``S`` and, for SR-LASSO,
    ``‖u‖ < 1``. Then ``c`` is the unique minimiser (the ``Az = y`` case of docs/theory.md §1).

    Theorem: the ``Az = y`` case of docs/theory.md §1 (uniqueness via strict dual feasibility).
    Rigor: proven (exact rational arithmetic).
    """
    sig = pm1(S, sig, d.N)
    fit = rational_fit(d, S)
    if fit is None:
        raise SupportRejected("B_S does not fit y exactly")
    BS, G, cS = fit
    for k, (j, sg) in enumerate(zip(S, sig)):
        if not (cS[k, 0] > 0 if sg > 0 else cS[k, 0] < 0):
            raise SupportRejected(f"coefficient {j} has the wrong sign")
    t = flint.fmpq(*float(d.paramf).as_integer_ratio()) if kind == "srlasso" else flint.fmpq(1)
    w = [flint.fmpq(*float(v).as_integer_ratio()) for v in d.wf]
    v = flint.fmpq_mat([[w[j] * sg] for j, sg in zip(S, sig)])
    u = BS * G.solve(v) * t
    if kind == "srlasso":
        nu2 = sum((u[i, 0] * u[i, 0] for i in range(d.m)), flint.fmpq(0))
        if not nu2 < 1:
            raise SupportRejected("‖u‖ ≥ 1 for the minimum-norm dual")
    off = [j for j in range(d.N) if j not in set(S)]
    slack = None
    if off:
        g = fmpq_mat(d.Bf[:, off]).transpose() * u
        for k, j in enumerate(off):
            rel = 1 - abs(g[k, 0]) / (t * w[j])
            if not rel > 0:
                raise SupportRejected(f"dual feasibility fails at column {j}")
            slack = rel if slack is None or rel < slack else slack
    c = [flint.arb(0)] * d.N
    for k, j in enumerate(S):
        c[j] = flint.arb(cS[k, 0])
    slack_ball = flint.arb(slack) if slack is not None else flint.arb(1)
    return c, flint.arb(slack_ball.lower()), {"interpolates": True, "exact_rational": True}
