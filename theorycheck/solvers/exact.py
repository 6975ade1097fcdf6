"""Certified exact minimisers of (P1) QCBP, (P2) U-LASSO and (P3) SR-LASSO.

A candidate support ``S`` with phases ``σ`` (from any solver's answer, from a
float64 active-set refinement, or, for tiny problems, from enumeration) is
turned into a proof in python-flint ball arithmetic:

1. solve the support system on ``S`` in balls (real data: the closed forms
   below; complex U-LASSO: Newton-refined candidate plus a strong-convexity
   enclosure);
2. prove (a) the phases on ``S`` match and (b) strict dual feasibility off
   ``S``; with ``B_S`` injective this proves that the exact minimiser is
   unique and lies in the computed balls (THEORY.md §1).

Closed forms on ``(S, σ)``, real data, ``G = B_S^T B_S``, ``v = w_S ⊙ σ``,
``P = B_S G^{-1} B_S^T``, ``q = v^T G^{-1} v``, ``ρ₀ = ‖(I − P)y‖``:

* U-LASSO: ``c_S = G^{-1}(B_S^T y − (λ/2) v)``; certify ``|2B_j^T r| < λw_j``.
* SR-LASSO: if ``λ²q < 1`` and ``ρ₀ > 0``, ``t = ρ₀/sqrt(1 − λ²q)``,
  ``c_S = G^{-1}(B_S^T y − λ t v)``; certify ``|B_j^T r| < λ w_j t``.
  Uniqueness: every minimiser has the residual direction ``u = r/t`` and its
  objective is ``λ v^T G^{-1}B_S^T(y − ρu) + ρ`` with slope ``1 − λ²q > 0`` in
  ``ρ = ‖r‖``, so only one ``ρ`` and one ``c`` are optimal.
* QCBP (active constraint, ``η > ρ₀``): ``θ = sqrt((η² − ρ₀²)/q)``,
  ``c_S = G^{-1}(B_S^T y − θ v)``; certify ``|B_j^T r| < θ w_j``. If
  ``‖y‖ ≤ η`` the unique minimiser is 0.

Hints (``candidate``, ``support``, ``signs``) only steer the search: the
signs a certificate uses are exactly ±1 (validated, never ``int()`` of a
hint) and are proven to be the signs of the enclosed coefficients; complex
phases are those of the enclosure itself.

Data are taken as exact: float64 arrays are the dyadic numbers they are,
mpmath numbers their exact binary values, sympy expressions enclosing balls,
and ``data(dps) -> (A, y)`` callables are re-evaluated when the precision
grows. An operator other than a matrix is taken as its float64 dense matrix
(``to_dense()``), and a sparsifier ``W`` as the exact matrix of its float64
entries, inverted in ball arithmetic (``B = A W^{-1}``).

Theorem: optimality conditions and uniqueness via strict dual feasibility (THEORY.md §1).
Rigor: proven (python-flint ball arithmetic); undecided inequalities raise
:class:`~theorycheck.errors.InsufficientPrecision` or trigger escalation.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import Any, Callable

import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, SolverError
from theorycheck.numerics.exact import (
    _BINARY64_EXACT, acb_matrix, arb_matrix, ball_lower, ball_sq as _sq, ball_to_strings, ball_upper,
    exact_input, to_arb, upper_decimal_string,
)
from theorycheck.numerics.validation import bool_arg, integer_arg, real_arg
from theorycheck.numerics.precision import bits_to_dps, dps_to_bits, precision
from theorycheck.problems.programs import Program, program_kind
from theorycheck.results import Rigor
from theorycheck.solvers.solution import Solution

__all__ = ["solve_exact", "ExactData", "SupportRejected", "MAX_ENUMERATION"]

#: largest number of (support, sign) patterns the enumeration fallback tries
MAX_ENUMERATION = 200_000
#: patterns tried in ball arithmetic even when float64 screening discards them (small problems)
MAX_BALL_ENUMERATION = 2_000


class SupportRejected(Exception):
    """Internal: the balls prove that this (support, phases) pair is not the minimiser's."""


# --------------------------------------------------------------------------------------
# exact data
# --------------------------------------------------------------------------------------

class ExactData:
    """The data of a program as balls at the current working precision.

    Attributes: ``B`` (``arb_mat``/``acb_mat``, ``m × N``, ``B = A W^{-1}``),
    ``y`` (column), ``w`` (list of ``arb``), ``param`` (``λ`` or ``η`` as ``arb``),
    ``Winv`` (ball matrix or None), ``complex`` (bool), float64 copies
    ``Bf``, ``yf``, ``wf`` for screening.

    Theorem: none (data container).
    Rigor: proven (every ball contains the exact datum).
    """

    def __init__(self, problem: Program, y: Any, A_exact: Any = None):
        import flint

        self.kind = program_kind(problem)
        A_src = exact_input(A_exact, "A_exact") if A_exact is not None else problem.A.to_dense()
        m0 = int(np.prod(problem.A.out_shape))
        N0 = int(np.prod(problem.A.in_shape))
        y_src = _exact_y(y, m0, tuple(problem.A.out_shape))
        cplx_A = _is_complex_data(A_src) or problem.is_complex
        if _is_complex_data(y_src) and not cplx_A:
            raise InvalidArgument("y is complex but the problem is real (A and W are real): "
                                  "pass real y, or a complex A")
        self.complex = bool(cplx_A or _is_complex_data(y_src))
        mat = acb_matrix if self.complex else arb_matrix
        # a real float64 matrix stays a float array: columns become balls only when needed
        fast = (not self.complex and problem.W is None and isinstance(A_src, np.ndarray)
                and A_src.dtype in _BINARY64_EXACT and A_src.ndim == 2)
        A = None if fast else mat(A_src)
        if fast:
            if not np.all(np.isfinite(A_src)):
                raise InvalidArgument("A contains NaN or inf: pass finite values")
        yb = mat(y_src)
        m, N = (A_src.shape if fast else (A.nrows(), A.ncols()))
        if (m, N) != (m0, N0):
            raise InvalidArgument(f"A_exact is {m}x{N} but the program's A is {m0}x{N0}: "
                                  "pass the same matrix at higher precision")
        if yb.ncols() != 1 or yb.nrows() != m:
            raise InvalidArgument(f"y must be a vector of length {m} (the rows of A), got "
                                  f"{yb.nrows()}x{yb.ncols()}")
        self.Winv = None
        if problem.W is not None:
            Wd = problem.W.to_dense()
            if Wd.shape != (N, N):
                raise InvalidArgument("the exact solver needs a square, invertible sparsifier W")
            try:
                self.Winv = mat(Wd).inv()
            except ZeroDivisionError as exc:
                raise InsufficientPrecision("cannot invert W in ball arithmetic at "
                                            f"{flint.ctx.prec} bits", needed_dps=None) from exc
            A = A * self.Winv
        self._B, self.y, self.m, self.N = A, yb, m, N
        self.w = [to_arb(float(v)) for v in problem.weights]
        self.param = to_arb(float(getattr(problem, "lam", getattr(problem, "eta", 1.0))))
        # float64 copies for screening: the data themselves when they are float arrays
        exact_float = lambda X: (isinstance(X, np.ndarray)  # noqa: E731
                                 and X.dtype in _BINARY64_EXACT + (np.dtype(np.complex64), np.dtype(np.complex128)))
        self.Bf = (np.asarray(A_src, dtype=complex if self.complex else float).reshape(m, N)
                   if self.Winv is None and exact_float(A_src) else _mid_array(A, self.complex))
        self.yf = (np.asarray(y_src, dtype=complex if self.complex else float).ravel()
                   if exact_float(y_src) else _mid_array(yb, self.complex).ravel())
        self.wf = np.asarray(problem.weights, dtype=float)
        self.paramf = float(getattr(problem, "lam", getattr(problem, "eta", 1.0)))
        # exact rational data (real float64 A with no W, float64 y): enables the fitting certificate
        self.rational = fast and exact_float(y_src) and not self.complex

    @property
    def B(self) -> Any:
        """The full ball matrix ``B`` (built on first use in the float fast path)."""
        if self._B is None:
            self._B = arb_matrix(self.Bf)
        return self._B

    def cols(self, S: list[int]) -> Any:
        """The ball matrix of the columns ``S`` of ``B``."""
        import flint

        if self._B is None:
            return flint.arb_mat(self.Bf[:, S].tolist())  # float → arb is exact
        mat = flint.acb_mat if self.complex else flint.arb_mat
        return mat([[self._B[i, j] for j in S] for i in range(self.m)])


def _exact_y(y: Any, m: int, out_shape: tuple[int, ...]) -> Any:
    """``y`` ready for exact conversion: a flat array of ``m`` entries (or an mpmath/sympy column)."""
    y = exact_input(y, "y")
    if isinstance(y, np.ndarray):
        if y.size != m or y.ndim == 0 or (y.ndim > 1 and y.shape not in (out_shape, (m, 1))):
            raise InvalidArgument(f"y has shape {y.shape}: pass an array of shape {out_shape}")
        return y.reshape(m)
    rows, cols = y.rows, y.cols
    if cols != 1 or rows != m:
        raise InvalidArgument(f"y is a {rows}x{cols} matrix: pass a column of {m} entries")
    return y


def _is_complex_data(X: Any) -> bool:
    if isinstance(X, np.ndarray) and X.dtype != object:
        return X.dtype.kind == "c"
    if hasattr(X, "rows") and hasattr(X, "cols") and not isinstance(X, np.ndarray):  # mpmath / sympy
        vals = [X[i, j] for i in range(X.rows) for j in range(X.cols)]
    else:
        vals = list(np.asarray(X, dtype=object).ravel())
    for v in vals:
        name = type(v).__name__
        if name in ("mpc", "acb") or isinstance(v, (complex, np.complexfloating)) or (
                hasattr(v, "is_extended_real") and v.is_extended_real is False):
            return True
    return False


def _mid_array(M: Any, cplx: bool) -> np.ndarray:
    rows = M.nrows()
    cols = M.ncols()
    if cplx:
        return np.array([[complex(float(M[i, j].real.mid()), float(M[i, j].imag.mid()))
                          for j in range(cols)] for i in range(rows)])
    return np.array([[float(M[i, j].mid()) for j in range(cols)] for i in range(rows)])


# --------------------------------------------------------------------------------------
# float64 screening: closed form on a support and an active-set refinement
# --------------------------------------------------------------------------------------

@np.errstate(all="ignore")  # screening only: overflow/NaN just make a support look bad
def _float_support_solution(kind: str, d: ExactData, S: list[int], sig: np.ndarray):
    """Float64 closed form on ``(S, σ)``: returns (c_S, dual ratios |g_j|/thr_j) or None."""
    B, y, w, p = d.Bf, d.yf, d.wf, d.paramf
    if not S:
        c_S = np.zeros(0)
        r = y.copy()
    elif _interpolating(kind, d, S):
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


def _interpolating(kind: str, d: ExactData, S: list[int]) -> bool:
    """SR-LASSO with a square support system (the minimiser may fit y exactly) or QCBP with η = 0."""
    return len(S) == d.m and (kind == "srlasso" or (kind == "qcbp" and d.paramf == 0.0))


@np.errstate(all="ignore")
def _refine_support(kind: str, d: ExactData, S: list[int], sig: np.ndarray,
                    mags: np.ndarray | None = None, max_iter: int = 200):
    """Float64 active-set iteration: drop sign-inconsistent entries, add the worst dual violator.

    ``mags`` (the candidate's magnitudes on ``S``) decides which entry to drop
    when the support system has no closed-form solution.
    """
    S, sig = list(S), np.array(sig, dtype=float)
    mags = list(np.ones(len(S)) if mags is None else np.asarray(mags, dtype=float))
    seen = set()
    for _ in range(max_iter):
        key = (tuple(S), tuple(np.sign(sig)))
        if key in seen:
            break
        seen.add(key)
        out = _float_support_solution(kind, d, S, sig)
        if out is None and kind == "qcbp" and len(S) < d.m:
            # QCBP infeasible on S (η ≤ ‖(I − P)y‖): grow S by the column best correlated
            # with the least-squares residual
            r0 = d.yf - (d.Bf[:, S] @ np.linalg.lstsq(d.Bf[:, S], d.yf, rcond=None)[0] if S else 0)
            if np.linalg.norm(r0) >= d.paramf:
                corr = np.abs(d.Bf.conj().T @ r0) / d.wf
                corr[S] = -1
                j = int(np.argmax(corr))
                S.append(j)
                mags.append(0.0)
                sig = np.append(sig, np.sign(np.real(np.vdot(d.Bf[:, j], r0))) or 1.0)
                continue
        if out is None:
            if not S:
                return S, sig
            drop = int(np.argmin(mags))
            S.pop(drop)
            mags.pop(drop)
            sig = np.delete(sig, drop)
            continue
        c_S, ratio, dual = out
        bad = [i for i, (c, s) in enumerate(zip(c_S, sig)) if not (c * s > 0)]
        if bad:
            worst = min(bad, key=lambda i: c_S[i] * sig[i])
            S.pop(worst)
            mags.pop(worst)
            sig = np.delete(sig, worst)
            continue
        ratio_off = ratio.copy()
        ratio_off[S] = 0
        j = int(np.argmax(ratio_off))
        if ratio_off[j] < 1:
            return S, sig
        # the dual vector's sign at j tells the sign of the entering coefficient
        S.append(j)
        mags.append(0.0)
        sig = np.append(sig, np.sign(np.real(np.vdot(d.Bf[:, j], dual))) or 1.0)
    return S, sig


# --------------------------------------------------------------------------------------
# ball-arithmetic certificates
# --------------------------------------------------------------------------------------

def _pm1(S: list[int], sig: Any, N: int) -> list[int]:
    """The phases of a real certificate as Python ints, each exactly +1 or -1.

    A certificate assumes the subgradient ``σ_j ∈ {±1}`` on ``S`` and then proves
    ``sign(c_j) = σ_j``; any other value (0.5, 2, 0, NaN) would make that argument
    about a different program, so it is refused here, whatever produced it.
    """
    sig = list(np.asarray(sig).reshape(-1)) if not isinstance(sig, list) else sig
    if len(sig) != len(S):
        raise SolverError(f"internal: {len(sig)} signs for a support of size {len(S)}")
    if len(set(S)) != len(S) or any(not (0 <= j < N) for j in S):
        raise SolverError(f"internal: support {S} has repeated or out-of-range indices")
    out = []
    for s in sig:
        if isinstance(s, (complex, np.complexfloating)):
            if s.imag != 0:
                raise SolverError(f"internal: a real certificate got the complex sign {s!r}")
            s = s.real
        if s == 1:
            out.append(1)
        elif s == -1:
            out.append(-1)
        else:
            raise SolverError(f"internal: a real certificate got the sign {s!r} (only ±1 is valid)")
    return out


def _certify_real(kind: str, d: ExactData, S: list[int], sig: np.ndarray):
    """Prove that ``(S, σ)`` carries the unique minimiser; return (c balls, slack ball)."""
    import flint

    S = [int(j) for j in S]
    sig = _pm1(S, sig, d.N)

    y, p = d.y, d.param
    m, N = d.m, d.N
    zero = flint.arb(0)
    c = [zero] * N
    if not S:
        r = y
        scale = None
        if all(y[i, 0].is_zero() for i in range(m)):
            return c, flint.arb(1), {"zero_data": True}  # y = 0: z = 0 is the unique minimiser
        if kind == "qcbp":
            nsq = _sqnorm(y)  # exact for exactly representable data: no square root to round
            if nsq <= p * p:
                return c, flint.arb(1), {"zero_feasible": True}
            if nsq > p * p:
                raise SupportRejected("0 is infeasible")
            raise _undecided("‖y‖ ≤ η")
    elif _interpolating(kind, d, S):
        return _certify_interpolating(kind, d, S, sig)
    elif d.rational and (kind == "qcbp" and d.paramf == 0.0 or kind == "srlasso" and _fits_in_float(d, S)) \
            and _rational_fit(d, S) is not None:
        return _certify_rational_fit(kind, d, S, sig)
    else:
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
            raise _undecided("solve the support system")
        if kind == "lasso":
            cS = Gi_b - Gi_v * (p / 2)
        else:
            q = (v.transpose() * Gi_v)[0, 0]
            res0 = y - BS * Gi_b
            rho0sq = _sqnorm(res0)
            if kind == "srlasso":
                denom = 1 - p * p * q
                if not denom > 0:
                    if denom <= 0:
                        raise SupportRejected("λ²q ≥ 1")
                    raise _undecided("λ²q < 1")
                if not rho0sq > 0:
                    # B_S interpolates y (in float64 too): outside the closed form's reach
                    if float(np.linalg.norm(_mid_array(res0, False))) <= 1e-13 * float(np.linalg.norm(d.yf)):
                        raise SupportRejected("B_S interpolates y")
                    raise _undecided("‖(I − P)y‖ > 0")
                scale = p * (rho0sq / denom).sqrt()
            else:
                num = p * p - rho0sq
                if not num > 0:
                    if num <= 0:
                        raise SupportRejected("η ≤ ‖(I − P)y‖")
                    raise _undecided("η > ‖(I − P)y‖")
                scale = (num / q).sqrt()
            cS = Gi_b - Gi_v * scale
        for k, (j, s) in enumerate(zip(S, sig)):
            val = cS[k, 0]
            ok = val > 0 if s > 0 else val < 0
            if not ok:
                if (val <= 0 if s > 0 else val >= 0):
                    raise SupportRejected(f"coefficient {j} has the wrong sign")
                raise _undecided(f"the sign of coefficient {j}")
            c[j] = val
        r = y - BS * cS
    # dual threshold per column: U-LASSO λ/2·w_j, SR-LASSO λ t w_j, QCBP θ w_j
    if kind == "lasso":
        base = p / 2
    elif kind == "srlasso":
        base = p * (_sqnorm(r).sqrt()) if S else p * _norm2(y)
    else:
        base = scale
    slack = _strict_dual_feasibility(d, r, base, S)
    return c, slack if slack is not None else flint.arb(1), {}


_U = 2.0 ** -53  # unit roundoff of binary64


@np.errstate(all="ignore")  # an overflowing float bound is inf or NaN: never < thr, so balls decide
def _strict_dual_feasibility(d: ExactData, r: Any, base: Any, S: list[int]):
    """Prove ``|B_j^T r| < base·w_j`` for every ``j ∉ S``; return a lower bound on the relative slack.

    First a rigorous float64 bound (Higham: ``|fl(b^T r̂) − b^T r̂| ≤ γ_m |b|^T|r̂|``
    for any summation order, ``γ_m = m u/(1 − m u)``), with ``r`` enclosed by
    ``r̂ ± ρ``; columns it cannot decide are re-checked in ball arithmetic.
    """
    import flint

    m = d.m
    off = np.setdiff1d(np.arange(d.N), np.asarray(S, dtype=int))
    if off.size == 0:
        return None
    slack = None
    todo = off
    r_hat = np.array([float(r[i, 0].mid()) for i in range(m)]) if d._B is None else None
    if r_hat is not None and m * _U < 0.01 and np.all(np.isfinite(r_hat)):
        # ρ_i ≥ |r_i − r̂_i| for every point of the ball: its radius plus the rounding to float
        rho = np.array([ball_upper(abs(r[i, 0] - to_arb(r_hat[i]))) for i in range(m)])
        Bo = d.Bf[:, off]
        gamma = _gamma(m)
        s, t1, t2 = _fixed_order_products(Bo, r_hat, rho)
        # outward-rounded: the float evaluation of this bound has a few more roundings
        bound = (s + (gamma * t1 + t2) / (1 - gamma)) * (1 + 16 * _U) + m * 2.0 ** -1060
        thr = np.array([ball_lower(base * d.w[j]) for j in off])
        ok = (thr > 0) & (bound < thr)
        if np.any(ok):
            rel = (thr[ok] - bound[ok]) / thr[ok] * (1 - 8 * _U)
            slack = flint.arb(float(np.min(rel)))
        todo = off[~ok]
    if todo.size:
        g = d.cols(list(todo)).transpose() * r
        for k, j in enumerate(todo):
            rel = 1 - abs(g[k, 0]) / (base * d.w[j])
            if not rel > 0:
                if rel <= 0:
                    raise SupportRejected(f"dual feasibility fails at column {j}")
                raise _undecided(f"strict dual feasibility at column {j}")
            slack = _min_lower(slack, rel)
    return slack


def _gamma(n: int) -> float:
    from theorycheck.numerics.rounding import gamma

    return gamma(n)


@np.errstate(all="ignore")
def _fixed_order_products(Bo: np.ndarray, r_hat: np.ndarray, rho: np.ndarray):
    """``|Bo^T r̂|``, ``|Bo|^T |r̂|`` and ``|Bo|^T ρ`` summed row by row in a fixed order.

    Elementwise IEEE products, then the rows added one after the other
    (``s ← s + p_i``, no BLAS, no pairwise reordering): the bits are the same on
    every machine, so a saved certificate's slack is re-derived exactly by a
    verifier. Higham's bound holds for this (as for any) summation order.
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


def _certify_interpolating(kind: str, d: ExactData, S: list[int], sig: np.ndarray):
    """Square ``B_S``: ``c_S = B_S^{-1} y`` and dual ``u = t B_S^{-T} v`` (``t = λ`` or 1).

    Proves signs, ``|B_j^T u| < t w_j`` off ``S`` and, for SR-LASSO, ``‖u‖ < 1``:
    then every minimiser fits ``y`` exactly and equals ``c`` (THEORY.md §1, the
    ``Az = y`` case).
    """
    import flint

    sig = _pm1(S, sig, d.N)
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
        raise _undecided("solve the square support system")
    c = [flint.arb(0)] * N
    for k, (j, s) in enumerate(zip(S, sig)):
        val = cS[k, 0]
        if not (val > 0 if s > 0 else val < 0):
            if (val <= 0 if s > 0 else val >= 0):
                raise SupportRejected(f"coefficient {j} has the wrong sign")
            raise _undecided(f"the sign of coefficient {j}")
        c[j] = val
    if kind == "srlasso":
        nu = _norm2(u)
        if not nu < 1:
            if nu >= 1:
                raise SupportRejected("‖u‖ ≥ 1")
            raise _undecided("‖u‖ < 1")
    slack = _strict_dual_feasibility(d, u, t, S)
    return c, slack if slack is not None else flint.arb(1), {"interpolates": True}


def _fits_in_float(d: ExactData, S: list[int]) -> bool:
    """Float64 screening: does ``B_S`` (nearly) fit ``y`` exactly?"""
    BS = d.Bf[:, S]
    res = d.yf - BS @ np.linalg.lstsq(BS, d.yf, rcond=None)[0]
    return float(np.linalg.norm(res)) <= 1e-10 * max(float(np.linalg.norm(d.yf)), 1e-300)


def _fmpq_mat(M: np.ndarray) -> Any:
    import flint

    return flint.fmpq_mat([[flint.fmpq(*float(v).as_integer_ratio()) for v in row] for row in M])


def _rational_fit(d: ExactData, S: list[int]) -> Any:
    """``(B_S, G, c_S)`` in exact rationals when ``B_S c_S = y`` holds exactly, else None."""
    import flint

    BS = _fmpq_mat(d.Bf[:, S])
    yq = _fmpq_mat(d.yf.reshape(-1, 1))
    BSt = BS.transpose()
    G = BSt * BS
    try:
        cS = G.solve(BSt * yq)
    except ZeroDivisionError:
        return None  # B_S not injective: the closed form rejects it too
    if BS * cS != yq:
        return None
    return BS, G, cS


def _certify_rational_fit(kind: str, d: ExactData, S: list[int], sig: np.ndarray):
    """``B_S c = y`` exactly with ``|S| < m`` (noise-free data), in exact rational arithmetic.

    With ``G = B_S^T B_S``, ``c_S = G^{-1} B_S^T y`` must fit ``y`` exactly; the
    minimum-norm dual ``u = t B_S G^{-1} v`` (``t = λ`` for SR-LASSO, 1 for QCBP
    with ``η = 0``) must satisfy ``|B_j^T u| < t w_j`` off ``S`` and, for SR-LASSO,
    ``‖u‖ < 1``. Then ``c`` is the unique minimiser (the ``Az = y`` case of THEORY.md §1).
    """
    import flint

    sig = _pm1(S, sig, d.N)
    fit = _rational_fit(d, S)
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
        g = _fmpq_mat(d.Bf[:, off]).transpose() * u
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


def _min_lower(current, ball):
    """Running minimum of the (exact) lower endpoints of balls."""
    lo = ball.lower()
    return lo if current is None or lo < current else current


def _certify_complex_lasso(d: ExactData, S: list[int], c0: np.ndarray):
    """Complex U-LASSO: Newton-refine ``c_S`` (a search step), then prove an enclosure around it."""
    if not S:
        return _complex_enclosure(d, S, [])
    return _complex_enclosure(d, S, _complex_newton_centre(d, S, c0))


def _complex_newton_centre(d: ExactData, S: list[int], c0: np.ndarray) -> list[Any]:
    """Newton on ``F(c) = 2Gc − 2b + λ w c/|c|``: float64, then exact ball midpoints (no proof)."""
    import flint

    B, y, p = d.B, d.y, d.param
    m = d.m
    BS = flint.acb_mat([[B[i, j] for j in S] for i in range(m)])
    BSh = _conj_t(BS)
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
            cS = cS - _complex_newton_step(Gf, cS, wS, d.paramf, F)
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
        step = _complex_newton_step(Gf, cS, wS, d.paramf, Fm)
        if not np.all(np.isfinite(step)):
            break
        # exact midpoints (no radius growth): the enclosure is computed afresh below
        new = [z - flint.acb(float(s.real), float(s.imag)) for z, s in zip(cb, step)]
        cb = [flint.acb(z.real.mid(), z.imag.mid()) for z in new]
        cS = np.array([complex(float(z.real.mid()), float(z.imag.mid())) for z in cb])
    return cb


def _complex_enclosure(d: ExactData, S: list[int], centre: list[Any]):
    """Prove the complex U-LASSO minimiser lies within a radius of ``centre`` (exact midpoints on S).

    On ``S`` the restricted objective is ``μ``-strongly convex with
    ``μ = 2 λ_min(B_S^* B_S)``; if ``v ∈ ∂f_S(ĉ)`` then ``‖ĉ − c*_S‖ ≤ ‖v‖/μ``.
    The phases are those of the enclosure itself (every coefficient's ball must
    exclude 0); nothing is taken from a hint. Deterministic ball arithmetic: a
    verifier given the same centre re-derives the same balls.
    """
    import flint

    B, y, p = d.B, d.y, d.param
    m, N = d.m, d.N
    if len(centre) != len(S):
        raise SolverError(f"internal: {len(centre)} centre values for a support of size {len(S)}")
    if not S:
        g = _conj_t(B) * y
        c, slack, extra = _complex_dual_check(d, [flint.acb(0)] * N, g, flint.arb(0), S)
        extra["centre"] = ()
        return c, slack, extra
    cb = [flint.acb(flint.arb(z.real.mid()), flint.arb(z.imag.mid())) for z in centre]  # exact points
    BS = flint.acb_mat([[B[i, j] for j in S] for i in range(m)])
    BSh = _conj_t(BS)
    G = BSh * BS
    b = BSh * y
    col = flint.acb_mat([[z] for z in cb])
    grad = (G * col - b) * 2
    for k in range(len(S)):
        if not abs(cb[k]) > 0:
            raise SupportRejected(f"the centre of coefficient {S[k]} is 0")
    vec = [grad[k, 0] + p * d.w[j] * cb[k] / abs(cb[k]) for k, j in enumerate(S)]
    dist = sum((_sq(abs(z)) for z in vec), flint.arb(0)).sqrt()
    mu = 2 * _lambda_min_lower(G)
    if not mu > 0:
        Gf = d.Bf[:, S].conj().T @ d.Bf[:, S]
        if np.linalg.matrix_rank(Gf) < len(S):
            raise SupportRejected("B_S is not injective")
        raise _undecided("λ_min(B_S^* B_S) > 0")
    if not dist.is_finite():
        raise _undecided("the gradient at the centre")
    radius = flint.arb(dist.upper()) / flint.arb(mu.lower())
    radius = flint.arb(radius.upper())
    c = [flint.acb(0)] * N
    for k, j in enumerate(S):
        if not abs(cb[k]) > radius:
            raise _undecided(f"coefficient {j} ≠ 0")
        c[j] = cb[k] + flint.acb(flint.arb(0, radius), flint.arb(0, radius))
    r = y - BS * col
    g = _conj_t(B) * r
    # |B_j^*(y − B_S c*)| ≤ |B_j^* r̂| + ‖B_S^* B_j‖ radius
    c, slack, extra = _complex_dual_check(d, c, g, radius, S, BS)
    extra["centre"] = tuple(cb)
    return c, slack, extra


def _complex_dual_check(d, c, g, radius, S, BS=None):
    import flint

    inS = set(S)
    slack = None
    for j in range(d.N):
        if j in inS:
            continue
        bound = abs(g[j, 0])
        if S:
            colj = flint.acb_mat([[d.B[i, j]] for i in range(d.m)])
            bound = bound + _sqnorm(_conj_t(BS) * colj).sqrt() * radius
        thr = d.param / 2 * d.w[j]
        rel = 1 - bound / thr
        if not rel > 0:
            if rel <= 0 and radius == 0:
                raise SupportRejected(f"dual feasibility fails at column {j}")
            raise _undecided(f"strict dual feasibility at column {j}")
        slack = _min_lower(slack, rel)
    return c, slack if slack is not None else flint.arb(1), {"enclosure_radius": radius}


def _complex_newton_step(Gf, cS, wS, lam, F):
    """Solve J δ = F for the real 2s-dimensional Jacobian of ``F(c)``."""
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


def _lambda_min_lower(G):
    """Rigorous lower bound on λ_min of a Hermitian positive matrix: 1/‖G^{-1}‖₁ (≥ 1/‖G^{-1}‖₂)."""
    import flint

    try:
        Gi = G.inv()
    except ZeroDivisionError:
        return flint.arb(0)
    n = G.nrows()
    colsum = max((sum((abs(Gi[i, j]) for i in range(n)), flint.arb(0)) for j in range(n)),
                 key=lambda a: a.upper())
    return 1 / flint.arb(colsum.upper())


def _conj_t(M):
    return M.conjugate().transpose() if hasattr(M, "conjugate") else M.transpose()


def _sqnorm(col):
    import flint

    return sum((_sq(abs(col[i, 0])) for i in range(col.nrows())), flint.arb(0))


def _norm2(col):
    return _sqnorm(col).sqrt()


def _undecided(what: str) -> InsufficientPrecision:
    import flint

    return InsufficientPrecision(f"could not decide {what} at {flint.ctx.prec} bits",
                                 needed_dps=2 * bits_to_dps(int(flint.ctx.prec)))


# --------------------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------------------

def solve_exact(
    problem: Program,
    y: Any,
    *,
    candidate: Any = None,
    support: Any = None,
    signs: Any = None,
    A_exact: Any = None,
    data: Callable[[int], tuple[Any, Any]] | None = None,
    dps: int = 30,
    max_dps: int = 1000,
    enumerate_supports: bool | None = None,
    candidate_tol: float = 1e-6,
) -> Solution:
    """Certified unique minimiser of a QCBP / Lasso / SRLasso instance.

    Parameters
    ----------
    problem : QCBP, Lasso or SRLasso
        The program (its ``A`` is ignored when ``A_exact`` or ``data`` is given,
        but its parameter, weights and ``W`` are used).
    y : array_like, mpmath or sympy vector
        Measurements, taken as exact: integers of any size, every binary float
        format (long double, float16, bfloat16 tensors), Fractions, mpmath
        numbers and sympy expressions are converted without rounding (torch
        tensors are detached and copied to the CPU).
    candidate : array_like, optional
        Any solver's answer (signal domain); its support and phases seed the
        search. Without it a float64 active-set iteration (from the
        reference solver's answer when cvxpy is available) finds one.
    support, signs : sequence, optional
        An explicit candidate support (distinct integer coefficient indices)
        and signs (exactly +1 or -1; unit-modulus phases for complex data;
        default all +1). Like ``candidate`` these are hints: they only steer
        the search. A certificate assumes signs ±1 and proves that they are the
        signs of the enclosed coefficients, so a wrong hint is rejected (and the
        search goes on), never certified; anything else raises InvalidArgument.
    A_exact : matrix, optional
        The matrix at higher precision (mpmath or sympy matrix, nested lists of
        strings/rationals): used instead of ``problem.A``.
    data : callable, optional
        ``data(dps) -> (A, y)`` giving the data at ``dps`` digits; re-evaluated
        whenever the working precision grows.
    dps, max_dps : int
        Starting and largest working precision (decimal digits); the precision
        doubles whenever the balls do not decide.
    enumerate_supports : bool, optional
        Try every support and sign pattern (real data, at most
        :data:`MAX_ENUMERATION` patterns). Default: only as a fallback for
        ``N ≤ 10``.
    candidate_tol : float
        Relative threshold under which a candidate's entries count as zero.

    Returns
    -------
    Solution
        ``rigor="proven"``, ``x`` the float64 rounding of the enclosure's
        midpoints, ``enclosure`` the per-coefficient balls and ``dual_slack``
        a certified lower bound on the relative strict dual feasibility margin.

    Raises
    ------
    InsufficientPrecision
        When ``max_dps`` digits do not decide; the message names the precision tried.
    SolverError
        When no candidate support can be certified (the message says why).
    InvalidArgument
        Bad data (NaN/inf, wrong shapes, complex ``y`` for a real program,
        sympy expressions that cannot be enclosed rigorously) or bad hints
        (signs other than ±1, repeated or out-of-range support indices).

    Theorem: uniqueness of the minimiser under strict dual feasibility (THEORY.md §1).
    Rigor: proven.

    Examples
    --------
    >>> import numpy as np
    >>> from theorycheck import Lasso
    >>> sol = solve_exact(Lasso(np.array([[1.0, 0.5], [0.0, 1.0]]), lam=0.5), np.array([1.0, 0.0]))
    >>> sol.rigor.value, sol.status
    ('proven', 'optimal')
    """
    t0 = time.perf_counter()
    if not isinstance(problem, Program):
        raise InvalidArgument(f"problem must be a QCBP, Lasso or SRLasso, got {type(problem).__name__}")
    kind = program_kind(problem)
    dps, max_dps = _precision_args(dps, max_dps)
    if enumerate_supports is not None:
        enumerate_supports = bool_arg(enumerate_supports, "enumerate_supports")
    candidate_tol = real_arg(candidate_tol, "candidate_tol", allow_zero=True)
    if data is not None and A_exact is not None:
        raise InvalidArgument("give either A_exact or data, not both")
    if data is not None and not callable(data):
        raise InvalidArgument("data must be a callable data(dps) -> (A, y)")
    N = problem.penalty_size
    hint = _validated_hints(problem, N, candidate, support, signs)
    bits = dps_to_bits(dps)
    last_exc: InsufficientPrecision | None = None
    cand_S = cand_sig = cand_mags = None
    while True:
        with precision(prec=bits):
            try:
                ed = _exact_data(problem, y, A_exact, data, bits)
                if cand_S is None:
                    cand_S, cand_sig, cand_mags = _initial_candidate(problem, ed, hint, candidate_tol)
                c, slack, extra, S, sig = _certify_with_search(kind, ed, cand_S, cand_sig, cand_mags,
                                                               enumerate_supports)
                return _build_solution(problem, ed, c, slack, S, sig, extra, bits, t0)
            except InsufficientPrecision as exc:
                last_exc = exc
        if bits >= dps_to_bits(max_dps):
            raise InsufficientPrecision(
                f"{last_exc} (tried up to {max_dps} digits); raise max_dps — unless the inequality "
                "is an exact tie (e.g. equal columns, or a dual constraint active off the support): "
                "then the minimiser is not unique and no precision decides it",
                needed_dps=2 * max_dps) from last_exc
        bits = min(2 * bits, dps_to_bits(max_dps))


#: largest working precision (decimal digits) the exact solver accepts
MAX_DPS = 20_000


def _precision_args(dps: Any, max_dps: Any) -> tuple[int, int]:
    dps = integer_arg(dps, "dps", minimum=5)
    max_dps = integer_arg(max_dps, "max_dps", minimum=5)
    if max_dps < dps:
        raise InvalidArgument(f"need 5 ≤ dps ≤ max_dps, got dps={dps}, max_dps={max_dps}")
    if max_dps > MAX_DPS:
        raise InvalidArgument(f"max_dps={max_dps} exceeds {MAX_DPS} digits: ball arithmetic at that "
                              "precision would not finish; pass a smaller max_dps")
    return dps, max_dps


def _exact_data(problem: Program, y: Any, A_exact: Any, data: Any, bits: int) -> "ExactData":
    if data is None:
        return ExactData(problem, y, A_exact)
    try:
        out = data(bits_to_dps(bits) + 10)
        A_d, y_d = out
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"data(dps) must return a pair (A, y): {exc}") from None
    return ExactData(problem, y_d, A_d)


def _validated_hints(problem: Program, N: int, candidate: Any, support: Any, signs: Any) -> dict:
    """Check the search hints. They only steer the search: no certificate trusts them."""
    import numbers

    from theorycheck.numerics.backend import as_array

    if signs is not None and support is None:
        raise InvalidArgument("signs= needs support= (the indices the signs belong to)")
    if support is not None and candidate is not None:
        raise InvalidArgument("give either candidate= or support= (with signs=), not both")
    if support is not None:
        try:
            idx = list(exact_input(support, "support").reshape(-1)) if not isinstance(support, range) \
                else list(support)
        except InvalidArgument as exc:
            raise InvalidArgument(f"support must be a sequence of indices: {exc}") from None
        S = []
        for j in idx:
            if isinstance(j, (bool, np.bool_)) or not isinstance(j, (numbers.Integral, np.integer)):
                if isinstance(j, (float, np.floating)) and float(j).is_integer():
                    j = int(j)
                else:
                    raise InvalidArgument(f"support holds {j!r}: pass integer indices in [0, {N})")
            S.append(int(j))
        if any(j < 0 or j >= N for j in S) or len(set(S)) != len(S):
            raise InvalidArgument(f"support must hold distinct indices in [0, {N}), got {S}")
        if signs is None:
            sig = [1] * len(S)
        else:
            sig = _validated_signs(signs, len(S), problem.is_complex)
        return {"support": S, "signs": sig}
    if candidate is not None:
        x = as_array(candidate, "candidate", allow_rounding=True)  # a hint: rounding is harmless
        n_sig = int(np.prod(problem.A.in_shape))
        if x.size != n_sig:
            raise InvalidArgument(f"candidate has {x.size} entries, expected {n_sig} (the signal size)")
        if np.iscomplexobj(x) and not problem.is_complex:
            if np.any(np.imag(x) != 0):
                raise InvalidArgument("candidate is complex but the problem is real: pass a real candidate")
            x = np.real(x).copy()
        return {"candidate": x}
    return {}


def _validated_signs(signs: Any, n: int, cplx: bool) -> list:
    """Signs ±1 (real problems) or unit-modulus phases (complex), one per support index."""
    import numbers

    try:
        arr = exact_input(signs, "signs")
    except InvalidArgument as exc:
        raise InvalidArgument(f"signs must be a sequence of ±1: {exc}") from None
    vals = list(np.asarray(arr, dtype=object).reshape(-1))
    if len(vals) != n:
        raise InvalidArgument(f"signs must have one entry per support index ({n}), got {len(vals)}")
    out: list = []
    for v in vals:
        if isinstance(v, (bool, np.bool_, str, bytes)) or not isinstance(v, (numbers.Number, np.number)):
            raise InvalidArgument(f"signs holds {v!r}: pass +1 or -1")
        try:
            z = complex(v)
        except (TypeError, ValueError):
            raise InvalidArgument(f"signs holds {v!r}: pass +1 or -1") from None
        if not cplx:
            if z not in (1, -1):
                raise InvalidArgument(f"signs holds {v!r}: a real problem's signs must be exactly +1 or -1")
            out.append(int(z.real))
        else:
            if not (np.isfinite(z.real) and np.isfinite(z.imag)) or abs(abs(z) - 1) > 1e-9:
                raise InvalidArgument(f"signs holds {v!r}: a complex problem's phases must have modulus 1")
            out.append(z / abs(z))
    return out


def _initial_candidate(problem, ed, hint, tol):
    if "support" in hint:
        S = list(hint["support"])
        sig = np.array(hint["signs"], dtype=complex if ed.complex else float)
        return S, sig, None
    candidate = hint.get("candidate")
    if candidate is None:
        candidate = _reference_candidate(problem, ed)
    x = np.asarray(candidate)
    if x.size != ed.N:
        raise InvalidArgument(f"candidate has {x.size} entries, expected {ed.N}")
    if not np.all(np.isfinite(x)):
        raise InvalidArgument("candidate contains NaN or inf")
    if problem.W is None or x.size != int(np.prod(problem.A.in_shape)):
        cvec = x.reshape(-1)
    else:
        cvec = np.asarray(problem.W.apply(x.reshape(problem.A.in_shape))).reshape(-1)
    with np.errstate(all="ignore"):
        scale = float(np.max(np.abs(cvec))) if cvec.size else 0.0
    if not np.isfinite(scale):
        scale = 0.0
    S = [j for j in range(ed.N) if abs(cvec[j]) > tol * scale] if scale > 0 else []
    if ed.complex:
        sig = cvec[S] / np.abs(cvec[S]) if S else np.zeros(0, dtype=complex)
    else:  # exactly ±1 from the entries' signs (a real candidate's entries are nonzero on S)
        S = [j for j in S if np.real(cvec[j]) != 0]
        sig = np.array([1.0 if np.real(cvec[j]) > 0 else -1.0 for j in S])
    return S, sig, np.abs(cvec[S])


def _reference_candidate(problem, ed):
    """A float64 candidate: cvxpy's answer when available, else the active-set iteration from ∅."""
    try:
        from theorycheck.solvers.reference import solve_reference

        sol = solve_reference(problem, ed.yf.reshape(problem.A.out_shape))
        if np.all(np.isfinite(sol.x)):
            return sol.x
    except Exception:  # any failure: fall back to the active-set iteration below
        pass
    if ed.complex:
        raise SolverError("no candidate for a complex problem: pass candidate= (any solver's answer)")
    S, sig = _refine_support(ed.kind, ed, [], np.zeros(0))
    out = _float_support_solution(ed.kind, ed, S, sig)
    c = np.zeros(ed.N)
    if out is not None and S:
        c[S] = out[0]
    z = c if problem.W is None else _mid_array(ed.Winv, False) @ c
    return z.reshape(problem.A.in_shape)


def _certify_with_search(kind, ed, S, sig, mags, enumerate_supports):
    """Certify the candidate or its float64 refinement; as a last resort enumerate.

    Only acceptance needs proof: a support the balls reject, or one that float64
    screening discards, is simply not the certificate. Undecided attempts are
    re-tried at a higher precision.
    """
    if ed.complex:
        if kind != "lasso":
            raise InvalidArgument(
                "exact certificates for complex data are implemented for Lasso only; "
                "use real data or method='reference' (numerical)")
        try:
            c0 = _complex_candidate_values(ed, S, sig)
            c, slack, extra = _certify_complex_lasso(ed, S, c0)
        except (SupportRejected, np.linalg.LinAlgError) as exc:
            raise SolverError(f"the candidate support of this complex Lasso could not be certified "
                              f"({exc}): pass a better candidate= (e.g. a tighter solve)") from None
        return c, slack, extra, S, sig
    sig = np.asarray(sig, dtype=float)

    def attempts():  # the refinement only runs when the candidate itself fails
        yield list(S), sig
        yield _refine_support(kind, ed, S, sig, mags)

    undecided = None
    tried = set()
    for S_, sig_ in attempts():
        key = (tuple(S_), tuple(sig_))
        if key in tried:
            continue
        tried.add(key)
        try:
            c, slack, extra = _certify_real(kind, ed, S_, sig_)
            return c, slack, extra, S_, sig_
        except SupportRejected:
            continue
        except InsufficientPrecision as exc:
            undecided = exc
    if undecided is not None:
        raise undecided
    if enumerate_supports is None:
        enumerate_supports = ed.N <= 10
    if enumerate_supports:
        return _enumerate(kind, ed)
    raise SolverError("the candidate support could not be certified and the float64 refinement "
                      "did not find one that can: pass a better candidate= or "
                      "enumerate_supports=True (small N)")


def _complex_candidate_values(ed, S, sig):
    # Lasso on S with fixed phases gives a starting point for Newton
    if not S:
        return np.zeros(0, dtype=complex)
    BS = ed.Bf[:, S]
    G = BS.conj().T @ BS
    c = np.linalg.solve(G, BS.conj().T @ ed.yf - ed.paramf / 2 * ed.wf[S] * np.asarray(sig))
    return np.where(np.abs(c) > 0, c, np.asarray(sig) * 1e-8)


def _enumerate(kind, ed):
    N, m = ed.N, ed.m
    total = sum(math.comb(N, k) * 2 ** k for k in range(0, min(N, m) + 1))
    if total > MAX_ENUMERATION:
        raise SolverError(f"enumeration would try {total} support/sign patterns "
                          f"(limit {MAX_ENUMERATION}): pass candidate=")
    skipped = []
    for k in range(0, min(N, m) + 1):
        for S in itertools.combinations(range(N), k):
            for sg in itertools.product((1.0, -1.0), repeat=k):
                sig = np.array(sg)
                out = _float_support_solution(kind, ed, list(S), sig)
                if out is None:
                    skipped.append((S, sig))
                    continue
                cS, ratio, _ = out
                off = np.delete(ratio, list(S)) if S else ratio
                if np.any(cS * sig <= 0) or (off.size and np.max(off) > 1 + 1e-6):
                    skipped.append((S, sig))
                    continue
                try:
                    c, slack, extra = _certify_real(kind, ed, list(S), sig)
                    return c, slack, extra, list(S), sig
                except SupportRejected:
                    continue
    if total <= MAX_BALL_ENUMERATION:
        # float64 screening can discard the right pattern when rounding dominates (huge or tiny
        # scales, cancellation): on small problems try every skipped pattern in balls
        undecided = None
        for S, sig in skipped:
            try:
                c, slack, extra = _certify_real(kind, ed, list(S), sig)
                return c, slack, extra, list(S), sig
            except SupportRejected:
                continue
            except InsufficientPrecision as exc:
                undecided = undecided or exc
        if undecided is not None:
            raise undecided
    raise SolverError("no support/sign pattern could be certified: the minimiser may not be "
                      "unique (dual feasibility is not strict)")


def _prove_support(problem: Program, y: Any, support: Any, signs: Any, prec_bits: int, *,
                   centre: Any = None, A_exact: Any = None) -> Solution:
    """Re-prove one certificate, exactly as :func:`solve_exact` found it (for verifiers).

    No search and no escalation: the data are converted at ``prec_bits`` bits and
    the support ``S`` with signs ``σ`` (real data) or with the Newton ``centre``
    (complex U-LASSO) is certified by the same deterministic ball arithmetic, so
    the enclosure, slack and every derived number come out bit for bit the same.
    A support that does not certify raises :class:`SolverError`.
    """
    t0 = time.perf_counter()
    kind = program_kind(problem)
    with precision(prec=int(prec_bits)):
        ed = ExactData(problem, y, A_exact)
        S = [int(j) for j in support]
        try:
            if ed.complex:
                if kind != "lasso":
                    raise InvalidArgument("exact certificates for complex data are implemented for Lasso only")
                if centre is None or len(centre) != len(S):
                    raise SolverError("a complex certificate needs the Newton centre of every support entry")
                c, slack, extra = _complex_enclosure(ed, S, list(centre))
                sig = []
            else:
                sig = _pm1(S, list(signs), ed.N)
                c, slack, extra = _certify_real(kind, ed, S, sig)
        except SupportRejected as exc:
            raise SolverError(f"the stored support and signs do not certify a minimiser: {exc}") from None
        return _build_solution(problem, ed, c, slack, S, sig, extra, int(prec_bits), t0)


def _build_solution(problem, ed, c, slack, S, sig, extra, bits, t0) -> Solution:
    import flint

    N = ed.N
    if ed.Winv is not None:
        mat = flint.acb_mat if ed.complex else flint.arb_mat
        z_balls_col = ed.Winv * mat([[v] for v in c])
        z_balls = [z_balls_col[i, 0] for i in range(N)]
    else:
        z_balls = list(c)
    strings = _acb_strings if ed.complex else _arb_strings
    enclosure = tuple(strings(v) for v in c)
    z_enclosure = enclosure if ed.Winv is None else tuple(strings(v) for v in z_balls)
    if ed.complex:
        x = np.array([complex(float(v.real.mid()), float(v.imag.mid())) for v in z_balls])
    else:
        x = np.array([float(v.mid()) for v in z_balls])
    x = x.reshape(problem.A.in_shape)
    yf = ed.yf.reshape(problem.A.out_shape)
    objective = residual = gap = float("nan")
    try:  # float64 evidence at the rounded answer, for comparison with other solvers
        with np.errstate(over="ignore", invalid="ignore"):
            objective = problem.objective(x, yf)
            residual = problem.optimality_residual(x, yf)
            gap = problem.duality_gap(x, yf)
    except (InvalidArgument, OverflowError, FloatingPointError, ValueError):
        pass  # e.g. data near the float64 range: the proof stands, the float evidence is nan
    info = {"support": list(S), "prec_bits": bits, "dps": bits_to_dps(bits),
            "z_enclosure": z_enclosure}
    if not ed.complex:
        info["signs"] = tuple(_pm1(list(S), list(sig), N))
    info.update({k: (ball_to_strings(v) if type(v).__name__ == "arb" else v) for k, v in extra.items()})
    return Solution(
        x=x, status="optimal", rigor=Rigor.PROVEN, objective=objective, residual=residual, gap=gap,
        solver="exact", elapsed_s=time.perf_counter() - t0, iterations=0,
        enclosure=enclosure, dual_slack=repr(ball_lower(slack)), info=info,
    )


def _arb_strings(v) -> tuple[str, str]:
    return ("0", "0") if v.is_zero() else ball_to_strings(v)


def _acb_strings(v) -> tuple[str, str, str]:
    import flint

    if v.real.is_zero() and v.imag.is_zero():
        return ("0", "0", "0")
    re_mid, re_rad = ball_to_strings(v.real)
    im_mid, im_rad = ball_to_strings(v.imag)
    rad = (_sq(flint.arb(re_rad)) + _sq(flint.arb(im_rad))).sqrt()
    return re_mid, im_mid, upper_decimal_string(rad)
