"""Float64 screening for the certified solver: closed forms on a support and an active-set refinement.

Nothing here proves anything: these steps only propose a support ``S`` and
phases ``σ`` (or rank patterns for the enumeration), which the ball-arithmetic
certificates of :mod:`theorycheck.solvers._exact_real` and
:mod:`theorycheck.solvers._exact_complex` then accept or reject.

Theorem: the closed forms of docs/theory.md §1 on a fixed support and signs.
Rigor: numerical (a search step; never a certificate).
"""

from __future__ import annotations

import math

import numpy as np

from theorycheck.solvers._exact_data import ExactData

__all__ = ["float_support_solution", "interpolating", "refine_support", "fits_in_float",
           "complex_candidate_values"]


@np.errstate(all="ignore")  # screening only: overflow/NaN just make a support look bad
def float_support_solution(kind: str, d: ExactData, S: list[int],
                           sig: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Float64 closed form on ``(S, σ)``: returns (c_S, dual ratios |g_j|/thr_j) or None.

    Theorem: closed forms on a support and signs (docs/theory.md §1).
    Rigor: numerical (float64 screening, never a certificate).
    """
    B, y, w, p = d.Bf, d.yf, d.wf, d.paramf
    if not S:
        c_S = np.zeros(0)
        r = y.copy()
    elif interpolating(kind, d, S):
        # B_S square: c_S interpolates y and the dual vector is u = thr·B_S^{-T} v
        BS = B[:, S]
        try:
            c_S = np.linalg.solve(BS, y)
            u = np.linalg.solve(BS.conj().T, w[S] * sig) * (p if kind == "srlasso" else 1.0)
        except np.linalg.LinAlgError:
            return None
        if kind == "srlasso" and np.linalg.norm(u) >= 1:
            return None
        thr = (p if kind == "srlasso" else 1.0) * w
        return c_S, np.abs(B.conj().T @ u) / thr, u
    else:
        BS = B[:, S]
        G = BS.conj().T @ BS
        v = w[S] * sig
        try:
            Gi_v = np.linalg.solve(G, v)
            Gi_b = np.linalg.solve(G, BS.conj().T @ y)
        except np.linalg.LinAlgError:
            return None
        if kind == "lasso":
            c_S = Gi_b - (p / 2) * Gi_v
        else:
            q = float(np.real(np.vdot(v, Gi_v)))
            rho0 = float(np.linalg.norm(y - BS @ Gi_b))
            if kind == "srlasso":
                if p * p * q >= 1 or rho0 == 0:
                    return None
                scale = p * rho0 / math.sqrt(1 - p * p * q)
            else:
                if p <= rho0 or q <= 0:
                    return None
                scale = math.sqrt((p * p - rho0 * rho0) / q)
            c_S = Gi_b - scale * Gi_v
        r = y - BS @ c_S
    g = B.conj().T @ r
    if kind == "lasso":
        ratio = 2 * np.abs(g) / (p * w)
    elif kind == "srlasso":
        nr = np.linalg.norm(r)
        ratio = np.abs(g) / (p * w * nr) if nr > 0 else np.full(len(w), np.inf)
    else:
        if not S:  # 0 is optimal iff feasible; otherwise rank columns for the active set
            ratio = np.zeros(len(w)) if np.linalg.norm(y) <= p else 1 + np.abs(g) / w
        else:
            ratio = np.abs(g) / (scale * w)
    return c_S, ratio, r


def interpolating(kind: str, d: ExactData, S: list[int]) -> bool:
    """SR-LASSO with a square support system (the minimiser may fit y exactly) or QCBP with η = 0.

    Theorem: the ``Az = y`` case of docs/theory.md §1.
    Rigor: not applicable.
    """
    return len(S) == d.m and (kind == "srlasso" or (kind == "qcbp" and d.paramf == 0.0))


@np.errstate(all="ignore")
def refine_support(kind: str, d: ExactData, S: list[int], sig: np.ndarray,
                    mags: np.ndarray | None = None, max_iter: int = 200) -> tuple[list[int], np.ndarray]:
    """Float64 active-set iteration: drop sign-inconsistent entries, add the worst dual violator.

    ``mags`` (the candidate's magnitudes on ``S``) decides which entry to drop
    when the support system has no closed-form solution.

    Theorem: optimality conditions of docs/theory.md §1 (active-set search).
    Rigor: numerical (float64 screening, never a certificate).
    """
    S, sig = list(S), np.array(sig, dtype=float)
    mag: list[float] = list(np.ones(len(S)) if mags is None else np.asarray(mags, dtype=float))
    seen = set()
    for _ in range(max_iter):
        key = (tuple(S), tuple(np.sign(sig)))
        if key in seen:
            break
        seen.add(key)
        out = float_support_solution(kind, d, S, sig)
        if out is None and kind == "qcbp" and len(S) < d.m:
            # QCBP infeasible on S (η ≤ ‖(I − P)y‖): grow S by the column best correlated
            # with the least-squares residual
            r0 = d.yf - (d.Bf[:, S] @ np.linalg.lstsq(d.Bf[:, S], d.yf, rcond=None)[0] if S else 0)
            if np.linalg.norm(r0) >= d.paramf:
                corr = np.abs(d.Bf.conj().T @ r0) / d.wf
                corr[S] = -1
                j = int(np.argmax(corr))
                S.append(j)
                mag.append(0.0)
                sig = np.append(sig, np.sign(np.real(np.vdot(d.Bf[:, j], r0))) or 1.0)
                continue
        if out is None:
            if not S:
                return S, sig
            drop = int(np.argmin(mag))
            S.pop(drop)
            mag.pop(drop)
            sig = np.delete(sig, drop)
            continue
        c_S, ratio, dual = out
        bad = [i for i, (c, s) in enumerate(zip(c_S, sig)) if not (c * s > 0)]
        if bad:
            worst = min(bad, key=lambda i: c_S[i] * sig[i])
            S.pop(worst)
            mag.pop(worst)
            sig = np.delete(sig, worst)
            continue
        ratio_off = ratio.copy()
        ratio_off[S] = 0
        j = int(np.argmax(ratio_off))
        if ratio_off[j] < 1:
            return S, sig
        # the dual vector's sign at j tells the sign of the entering coefficient
        S.append(j)
        mag.append(0.0)
        sig = np.append(sig, np.sign(np.real(np.vdot(d.Bf[:, j], dual))) or 1.0)
    return S, sig


def fits_in_float(d: ExactData, S: list[int]) -> bool:
    """Float64 screening: does ``B_S`` (nearly) fit ``y`` exactly?

    Theorem: the ``Az = y`` case of docs/theory.md §1.
    Rigor: numerical (float64 screening).
    """
    BS = d.Bf[:, S]
    res = d.yf - BS @ np.linalg.lstsq(BS, d.yf, rcond=None)[0]
    return float(np.linalg.norm(res)) <= 1e-10 * max(float(np.linalg.norm(d.yf)), 1e-300)


def complex_candidate_values(ed, S, sig) -> np.ndarray:
    # Lasso on S with fixed phases gives a starting point for Newton
    """complex candidate values.

    Theorem: U-LASSO on a support with fixed phases (docs/theory.md §1).
    Rigor: numerical (a starting point for Newton).
    """
    if not S:
        return np.zeros(0, dtype=complex)
    BS = ed.Bf[:, S]
    G = BS.conj().T @ BS
    c = np.linalg.solve(G, BS.conj().T @ ed.yf - ed.paramf / 2 * ed.wf[S] * np.asarray(sig))
    return np.where(np.abs(c) > 0, c, np.asarray(sig) * 1e-8)
