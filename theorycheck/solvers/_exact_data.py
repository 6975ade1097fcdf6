"""Exact data of a program for the certified solver: balls, float64 copies and ball helpers.

:class:`ExactData` holds ``B = A W^{-1}``, ``y``, the weights and the
parameter as python-flint balls at the working precision (and float64 copies
for screening); the helpers below are the small ball-arithmetic pieces every
certificate uses (squared norms, conjugate transposes, running minima of lower
endpoints, the ``±1`` phases of a real certificate, "undecided" errors).

Theorem: none (data container and helpers of docs/theory.md §1's certificates).
Rigor: proven (every ball contains the exact datum).
"""

from __future__ import annotations

from typing import Any

import flint
import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, SolverError
from theorycheck.numerics.exact import BINARY64_EXACT, acb_matrix, arb_matrix, ball_sq, exact_input, to_arb
from theorycheck.numerics.precision import bits_to_dps
from theorycheck.problems.programs import Program, program_kind

__all__ = ["SupportRejected", "ExactData", "exact_y", "is_complex_data", "mid_array", "pm1", "undecided",
           "conj_t", "sqnorm", "ball_norm2", "min_lower"]


class SupportRejected(Exception):
    """Internal: the balls prove that this (support, phases) pair is not the minimiser's."""


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
        self.kind = program_kind(problem)
        A_src = exact_input(A_exact, "A_exact") if A_exact is not None else problem.A.to_dense()
        m0 = int(np.prod(problem.A.out_shape))
        N0 = int(np.prod(problem.A.in_shape))
        y_src = exact_y(y, m0, tuple(problem.A.out_shape))
        cplx_A = is_complex_data(A_src) or problem.is_complex
        if is_complex_data(y_src) and not cplx_A:
            raise InvalidArgument("y is complex but the problem is real (A and W are real): "
                                  "pass real y, or a complex A")
        self.complex = bool(cplx_A or is_complex_data(y_src))
        mat = acb_matrix if self.complex else arb_matrix
        # a real float64 matrix stays a float array: columns become balls only when needed
        fast = (not self.complex and problem.W is None and isinstance(A_src, np.ndarray)
                and A_src.dtype in BINARY64_EXACT and A_src.ndim == 2)
        A: Any = None if fast else mat(A_src)
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
                                 and X.dtype in BINARY64_EXACT + (np.dtype(np.complex64), np.dtype(np.complex128)))
        self.Bf = (np.asarray(A_src, dtype=complex if self.complex else float).reshape(m, N)
                   if self.Winv is None and exact_float(A_src) else mid_array(A, self.complex))
        self.yf = (np.asarray(y_src, dtype=complex if self.complex else float).ravel()
                   if exact_float(y_src) else mid_array(yb, self.complex).ravel())
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
        if self._B is None:
            return flint.arb_mat(self.Bf[:, S].tolist())  # float → arb is exact
        mat = flint.acb_mat if self.complex else flint.arb_mat
        return mat([[self._B[i, j] for j in S] for i in range(self.m)])


def exact_y(y: Any, m: int, out_shape: tuple[int, ...]) -> Any:
    """``y`` ready for exact conversion: a flat array of ``m`` entries (or an mpmath/sympy column).

    Theorem: none (helper of docs/theory.md §1's certificates).
    Rigor: exact (no rounding).
    """
    y = exact_input(y, "y")
    if isinstance(y, np.ndarray):
        if y.size != m or y.ndim == 0 or (y.ndim > 1 and y.shape not in (out_shape, (m, 1))):
            raise InvalidArgument(f"y has shape {y.shape}: pass an array of shape {out_shape}")
        return y.reshape(m)
    rows, cols = y.rows, y.cols
    if cols != 1 or rows != m:
        raise InvalidArgument(f"y is a {rows}x{cols} matrix: pass a column of {m} entries")
    return y


def is_complex_data(X: Any) -> bool:
    """is complex data.

    Theorem: none (helper of docs/theory.md §1's certificates).
    Rigor: not applicable.
    """
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


def mid_array(M: Any, cplx: bool) -> np.ndarray:
    """mid array.

    Theorem: none (helper of docs/theory.md §1's certificates).
    Rigor: numerical (midpoints rounded to float64).
    """
    rows = M.nrows()
    cols = M.ncols()
    if cplx:
        return np.array([[complex(float(M[i, j].real.mid()), float(M[i, j].imag.mid()))
                          for j in range(cols)] for i in range(rows)])
    return np.array([[float(M[i, j].mid()) for j in range(cols)] for i in range(rows)])


def pm1(S: list[int], sig: Any, N: int) -> list[int]:
    """The phases of a real certificate as Python ints, each exactly +1 or -1.

    A certificate assumes the subgradient ``σ_j ∈ {±1}`` on ``S`` and then proves
    ``sign(c_j) = σ_j``; any other value (0.5, 2, 0, NaN) would make that argument
    about a different program, so it is refused here, whatever produced it.

    Theorem: none (helper of docs/theory.md §1's certificates).
    Rigor: not applicable (validation).
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


def undecided(what: str) -> InsufficientPrecision:
    """undecided.

    Theorem: none (helper of docs/theory.md §1's certificates).
    Rigor: not applicable.
    """
    return InsufficientPrecision(f"could not decide {what} at {flint.ctx.prec} bits",
                                 needed_dps=2 * bits_to_dps(int(flint.ctx.prec)))


def conj_t(M) -> Any:
    """conj t.

    Theorem: none (helper of docs/theory.md §1's certificates).
    Rigor: proven (exact operation on balls).
    """
    return M.conjugate().transpose() if hasattr(M, "conjugate") else M.transpose()


def sqnorm(col) -> Any:
    """sqnorm.

    Theorem: none (helper of docs/theory.md §1's certificates).
    Rigor: proven (ball arithmetic).
    """
    return sum((ball_sq(abs(col[i, 0])) for i in range(col.nrows())), flint.arb(0))


def ball_norm2(col) -> Any:
    """ball norm2.

    Theorem: none (helper of docs/theory.md §1's certificates).
    Rigor: proven (ball arithmetic).
    """
    return sqnorm(col).sqrt()


def min_lower(current, ball) -> Any:
    """Running minimum of the (exact) lower endpoints of balls.

    Theorem: none (helper of docs/theory.md §1's certificates).
    Rigor: proven (exact lower endpoints).
    """
    lo = ball.lower()
    return lo if current is None or lo < current else current
