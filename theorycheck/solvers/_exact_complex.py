"""Ball-arithmetic certificate of the complex U-LASSO minimiser: Newton centre plus enclosure.

A float64 and then exact-midpoint Newton iteration on the support equations
(a search step) gives a centre; strong convexity of the restricted objective
(``μ = 2 λ_min(B_S^* B_S)``) turns the residual of the optimality condition at
that centre into a proven enclosure radius, and strict dual feasibility off
``S`` is proven for every point of the enclosure.

Theorem: U-LASSO optimality, strong convexity on the support, uniqueness under
strict dual feasibility (docs/theory.md §1).
Rigor: proven (python-flint ball arithmetic; the centre itself is only a search step).
"""

from __future__ import annotations

from typing import Any

import flint
import numpy as np

from theorycheck.errors import SolverError
from theorycheck.numerics.exact import ball_sq
from theorycheck.solvers._exact_data import ExactData, SupportRejected, conj_t, min_lower, sqnorm, undecided

__all__ = ["certify_complex_lasso", "complex_newton_centre", "complex_enclosure", "complex_dual_check",
           "complex_newton_step", "lambda_min_lower"]


def certify_complex_lasso(d: ExactData, S: list[int], c0: np.ndarray) -> tuple[list[Any], Any, dict[str, Any]]:
    """Complex U-LASSO: Newton-refine ``c_S`` (a search step), then prove an enclosure around it.

    Theorem: U-LASSO optimality and uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (ball arithmetic; the Newton centre is a search step).
    """
    if not S:
        return complex_enclosure(d, S, [])
    return complex_enclosure(d, S, complex_newton_centre(d, S, c0))


def complex_newton_centre(d: ExactData, S: list[int], c0: np.ndarray) -> list[Any]:
    """Newton on ``F(c) = 2Gc − 2b + λ w c/|c|``: float64, then exact ball midpoints (no proof).

    Theorem: U-LASSO optimality condition on the support (docs/theory.md §1).
    Rigor: numerical (a search step: the centre is proven only by :func:`complex_enclosure`).
    """
    B, y, p = d.B, d.y, d.param
    m = d.m
    BS = flint.acb_mat([[B[i, j] for j in S] for i in range(m)])
    BSh = conj_t(BS)
    G = BSh * BS
    b = BSh * y
    cS = np.array(c0, dtype=complex)
    Gf = d.Bf[:, S].conj().T @ d.Bf[:, S]
    wS = d.wf[S]
    with np.errstate(all="ignore"):
        for _ in range(100):
            F = 2 * (Gf @ cS) - 2 * (d.Bf[:, S].conj().T @ d.yf) + d.paramf * wS * cS / np.abs(cS)
            if not np.all(np.isfinite(F)) or np.linalg.norm(F) <= 1e-15 * (1 + np.linalg.norm(cS)):
                break
            cS = cS - complex_newton_step(Gf, cS, wS, d.paramf, F)
    if not np.all(np.isfinite(cS)) or np.any(cS == 0):
        raise SupportRejected("the Newton iteration on the support did not converge")
    cb = [flint.acb(float(z.real), float(z.imag)) for z in cS]
    for _ in range(60):
        col = flint.acb_mat([[z] for z in cb])
        F = (G * col - b) * 2
        Fl = [F[k, 0] + p * d.w[j] * cb[k] / abs(cb[k]) for k, j in enumerate(S)]
        Fm = np.array([complex(float(z.real.mid()), float(z.imag.mid())) for z in Fl])
        nF = float(np.linalg.norm(Fm))
        if not np.isfinite(nF) or nF <= 2.0 ** (-flint.ctx.prec + 20) * (1 + float(np.linalg.norm(cS))):
            break
        step = complex_newton_step(Gf, cS, wS, d.paramf, Fm)
        if not np.all(np.isfinite(step)):
            break
        # exact midpoints (no radius growth): the enclosure is computed afresh below
        new = [z - flint.acb(float(s.real), float(s.imag)) for z, s in zip(cb, step)]
        cb = [flint.acb(z.real.mid(), z.imag.mid()) for z in new]
        cS = np.array([complex(float(z.real.mid()), float(z.imag.mid())) for z in cb])
    return cb


def complex_enclosure(d: ExactData, S: list[int], centre: list[Any]) -> tuple[list[Any], Any, dict[str, Any]]:
    """Prove the complex U-LASSO minimiser lies within a radius of ``centre`` (exact midpoints on S).

    On ``S`` the restricted objective is ``μ``-strongly convex with
    ``μ = 2 λ_min(B_S^* B_S)``; if ``v ∈ ∂f_S(ĉ)`` then ``‖ĉ − c*_S‖ ≤ ‖v‖/μ``.
    The phases are those of the enclosure itself (every coefficient's ball must
    exclude 0); nothing is taken from a hint. Deterministic ball arithmetic: a
    verifier given the same centre re-derives the same balls.

    Theorem: strong convexity on the support and strict dual feasibility (docs/theory.md §1).
    Rigor: proven (deterministic ball arithmetic).
    """
    B, y, p = d.B, d.y, d.param
    m, N = d.m, d.N
    if len(centre) != len(S):
        raise SolverError(f"internal: {len(centre)} centre values for a support of size {len(S)}")
    if not S:
        g = conj_t(B) * y
        c, slack, extra = complex_dual_check(d, [flint.acb(0)] * N, g, flint.arb(0), S)
        extra["centre"] = ()
        return c, slack, extra
    cb = [flint.acb(flint.arb(z.real.mid()), flint.arb(z.imag.mid())) for z in centre]  # exact points
    BS = flint.acb_mat([[B[i, j] for j in S] for i in range(m)])
    BSh = conj_t(BS)
    G = BSh * BS
    b = BSh * y
    col = flint.acb_mat([[z] for z in cb])
    grad = (G * col - b) * 2
    for k in range(len(S)):
        if not abs(cb[k]) > 0:
            raise SupportRejected(f"the centre of coefficient {S[k]} is 0")
    vec = [grad[k, 0] + p * d.w[j] * cb[k] / abs(cb[k]) for k, j in enumerate(S)]
    dist = sum((ball_sq(abs(z)) for z in vec), flint.arb(0)).sqrt()
    mu = 2 * lambda_min_lower(G)
    if not mu > 0:
        Gf = d.Bf[:, S].conj().T @ d.Bf[:, S]
        if np.linalg.matrix_rank(Gf) < len(S):
            raise SupportRejected("B_S is not injective")
        raise undecided("λ_min(B_S^* B_S) > 0")
    if not dist.is_finite():
        raise undecided("the gradient at the centre")
    radius = flint.arb(dist.upper()) / flint.arb(mu.lower())
    radius = flint.arb(radius.upper())
    c = [flint.acb(0)] * N
    for k, j in enumerate(S):
        if not abs(cb[k]) > radius:
            raise undecided(f"coefficient {j} ≠ 0")
        c[j] = cb[k] + flint.acb(flint.arb(0, radius), flint.arb(0, radius))
    r = y - BS * col
    g = conj_t(B) * r
    # |B_j^*(y − B_S c*)| ≤ |B_j^* r̂| + ‖B_S^* B_j‖ radius
    c, slack, extra = complex_dual_check(d, c, g, radius, S, BS)
    extra["centre"] = tuple(cb)
    return c, slack, extra


def complex_dual_check(d, c, g, radius, S, BS=None) -> tuple[list[Any], Any, dict[str, Any]]:
    """complex dual check.

    Theorem: strict dual feasibility off the support (docs/theory.md §1).
    Rigor: proven (ball arithmetic).
    """
    inS = set(S)
    slack = None
    for j in range(d.N):
        if j in inS:
            continue
        bound = abs(g[j, 0])
        if S:
            colj = flint.acb_mat([[d.B[i, j]] for i in range(d.m)])
            bound = bound + sqnorm(conj_t(BS) * colj).sqrt() * radius
        thr = d.param / 2 * d.w[j]
        rel = 1 - bound / thr
        if not rel > 0:
            if rel <= 0 and radius == 0:
                raise SupportRejected(f"dual feasibility fails at column {j}")
            raise undecided(f"strict dual feasibility at column {j}")
        slack = min_lower(slack, rel)
    return c, slack if slack is not None else flint.arb(1), {"enclosure_radius": radius}


def complex_newton_step(Gf, cS, wS, lam, F) -> np.ndarray:
    """Solve J δ = F for the real 2s-dimensional Jacobian of ``F(c)``.

    Theorem: none (Newton step of a search).
    Rigor: numerical (float64).
    """
    s = len(cS)
    a = np.abs(cS)
    J = np.zeros((2 * s, 2 * s))
    J[:s, :s] = 2 * Gf.real
    J[:s, s:] = -2 * Gf.imag
    J[s:, :s] = 2 * Gf.imag
    J[s:, s:] = 2 * Gf.real
    # Jacobian of c/|c| in (re, im): (I − u u^T)/|c| with u the unit vector (re, im)/|c|
    for k in range(s):
        u = np.array([cS[k].real, cS[k].imag]) / a[k]
        blk = lam * wS[k] * (np.eye(2) - np.outer(u, u)) / a[k]
        J[np.ix_([k, s + k], [k, s + k])] += blk
    delta = np.linalg.solve(J, np.concatenate([F.real, F.imag]))
    return delta[:s] + 1j * delta[s:]


def lambda_min_lower(G) -> Any:
    """Rigorous lower bound on λ_min of a Hermitian positive matrix: 1/‖G^{-1}‖₁ (≥ 1/‖G^{-1}‖₂).

    Theorem: λ_min(G) ≥ 1/‖G^{-1}‖₁ for Hermitian positive definite G.
    Rigor: proven (ball arithmetic).
    """
    try:
        Gi = G.inv()
    except ZeroDivisionError:
        return flint.arb(0)
    n = G.nrows()
    colsum = max((sum((abs(Gi[i, j]) for i in range(n)), flint.arb(0)) for j in range(n)),
                 key=lambda a: a.upper())
    return 1 / flint.arb(colsum.upper())
