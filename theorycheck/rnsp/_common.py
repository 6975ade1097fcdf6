"""Shared machinery of :mod:`theorycheck.rnsp`: argument checks, dense matrices, rigorous evaluation.

Three kinds of evidence are produced by the rNSP/NSP/RIP computations:

* ball arithmetic (python-flint ``arb``/``acb``) for witnesses: a vector is
  turned into exact data (a float64 array *is* a vector of dyadic rationals)
  and the quantity of interest (a Rayleigh quotient, an rNSP ratio, an
  ``ℓ1`` ratio of an *exact* kernel vector) is enclosed in a ball;
* a-priori float64 rounding-error bounds (Higham, *Accuracy and Stability of
  Numerical Algorithms*, 2002, §3.1: ``|fl(xᵀy) − xᵀy| ≤ γ_n |x|ᵀ|y|``, see
  :func:`theorycheck.numerics.rounding.gamma`, valid for any summation order and
  with FMA) for the vectorised upper bounds that cover many supports at once.
  The bounds are applied with a safety factor 2 (:func:`gam`) and every derived
  bound is widened outward (:func:`widen_up` / :func:`widen_down`);
* plain floating point, labelled ``numerical``.

A float "kernel vector" returned by an LP or cone solver is only
approximately in the kernel. :func:`exact_kernel_balls` keeps its entries on
``N − m`` free coordinates and solves for the others in ball arithmetic, so
the balls contain a vector that lies *exactly* in ``ker A``; ratios evaluated
on those balls are proven.

The witness readers (:class:`BadWitness`, :func:`w_get`, :func:`w_int`,
:func:`w_float`, :func:`w_bool`, :func:`w_choice`, :func:`w_matrix`,
:func:`w_vector`, :func:`w_indices`) validate the fields of a saved witness
for the verifiers; they are not specific to the rNSP and may serve any verifier.

Theorem: infrastructure for docs/theory.md §2.
Rigor: as stated by each helper (ball arithmetic and outward-rounded a-priori bounds are proven).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import numbers
import os
import sys
import threading
from typing import Any, Callable, Iterable, Iterator

import flint
import numpy as np

from theorycheck.errors import InvalidArgument, PreconditionError
from theorycheck.numerics.backend import as_array, is_torch, to_numpy
from theorycheck.numerics.rounding import U, gamma, round_down, round_up
from theorycheck.numerics.validation import choice_arg, finite_real_arg, integer_arg, probability_arg, refuse_size
from theorycheck.problems.operators import LinearOperator
from theorycheck.problems.sparsity import sparsity_in_levels
from theorycheck.results import CheckResult, Outcome, Witness

__all__ = [
    "BadWitness",
    "w_get",
    "w_int",
    "w_float",
    "w_bool",
    "w_choice",
    "w_matrix",
    "w_vector",
    "w_indices",
    "widen_up",
    "widen_down",
    "order_arg",
    "callback_arg",
]

#: working precision (bits) of the ball-arithmetic witness evaluations
WITNESS_BITS = 128
#: seeds are stored in results: non-negative ints below 2⁶³
MAX_SEED = 2 ** 63 - 1


# --------------------------------------------------------------------------------------
# argument validation (on top of theorycheck.numerics.validation)
# --------------------------------------------------------------------------------------

def order_arg(s: Any, N: int | None, name: str = "s") -> int:
    """``1 ≤ s ≤ N`` as an int, else :class:`InvalidArgument`.

    Theorem: none (argument validation).
    Rigor: not applicable.

    Examples
    --------
    >>> order_arg(2, 5)
    2
    """
    s = integer_arg(s, name, minimum=1)
    if N is not None and s > N:
        raise InvalidArgument(f"{name} = {s} exceeds N = {N}: pass {name} ≤ N")
    return s


def real_scalar(v: Any, name: str) -> float:
    """A finite real number (Python, numpy or 0-d tensor; a :class:`ConstantResult` is read as its value)."""
    if isinstance(v, CheckResult) and hasattr(type(v), "__float__"):
        v = float(v)  # type: ignore[arg-type]  # ConstantResult defines __float__
    if is_torch(v):
        v = to_numpy(v)
    if isinstance(v, np.ndarray):
        if v.shape != () or v.dtype.kind not in "fiu":
            raise InvalidArgument(f"{name} must be a real number, got {v!r}")
        v = v.item()
    if not isinstance(v, (int, float, np.integer, np.floating)):
        raise InvalidArgument(f"{name} must be a real number, got {v!r}")
    return finite_real_arg(v, name)


def positive_arg(v: Any, name: str) -> float:
    """A finite real ``> 0`` (as :func:`real_scalar`), else :class:`InvalidArgument`."""
    x = real_scalar(v, name)
    if x <= 0:
        raise InvalidArgument(f"{name} = {x} must be > 0")
    return x


def open_unit_arg(v: Any, name: str) -> float:
    """A float in the open interval (0, 1) (as :func:`real_scalar`), else :class:`InvalidArgument`."""
    return probability_arg(real_scalar(v, name), name)


def seed_value(v: Any) -> int:
    """A seed stored in results: an int in ``[0, 2^63)``."""
    n = integer_arg(v, "seed", minimum=0)
    if n > MAX_SEED:
        raise InvalidArgument(f"seed must be an integer in [0, 2^63), got {v!r}")
    return n


def count_arg(v: Any, name: str, minimum: int, maximum: int) -> int:
    """An int in ``[minimum, maximum]`` (each unit costs linear or cone programs)."""
    n = integer_arg(v, name, minimum=minimum)
    if n > maximum:
        raise InvalidArgument(f"{name} = {n} is too large (at most {maximum:,}): each unit costs cone programs or "
                              "linear programs")
    return n


def callback_arg(cb: Any) -> Callable[[Any], Any] | None:
    """``cb`` if it is callable or None, else :class:`InvalidArgument`.

    Theorem: none (argument validation).
    Rigor: not applicable.

    Examples
    --------
    >>> callback_arg(None) is None
    True
    """
    if cb is not None and not callable(cb):
        raise InvalidArgument(f"callback must be callable or None, got {cb!r}")
    return cb


def method_arg(method: Any, allowed: tuple[str, ...]) -> str:
    """A ``method`` string among ``allowed``."""
    return choice_arg(method, "method", allowed)


def levels_arg(levels: Any, N: int) -> list[tuple[int, int]]:
    """Contiguous levels ``[(0, M₁), (M₁, M₂), …]`` partitioning ``range(N)`` (validated), as int pairs.

    The validation is :func:`theorycheck.problems.sparsity.sparsity_in_levels`'s.
    """
    if isinstance(levels, (str, bytes)) or not hasattr(levels, "__iter__"):
        raise InvalidArgument(f"levels must be a sequence of (start, stop) pairs, got {levels!r}")
    pairs = list(itertools.islice(iter(levels), N + 1))
    sparsity_in_levels(np.zeros(N), pairs)
    return [(int(a), int(b)) for a, b in pairs]


def outcome_of(holds: bool, fails: bool) -> Outcome:
    """``HOLDS`` when the conclusion is proven, ``VIOLATED`` when its failure is, else ``INCONCLUSIVE``."""
    if holds:
        return Outcome.HOLDS
    if fails:
        return Outcome.VIOLATED
    return Outcome.INCONCLUSIVE


# --------------------------------------------------------------------------------------
# run-time estimates of exact requests
# --------------------------------------------------------------------------------------

def seconds_for(count: float, rate: float) -> float:
    """``count / rate`` without overflow (``inf`` when it exceeds the float range)."""
    rate = max(float(rate), 1e-9)
    try:
        return float(count) / rate
    except OverflowError:
        return math.inf


def human_time(seconds: float) -> str:
    """A duration in words (s, min, h, days, years)."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    if seconds < 2 * 3.15e7:
        return f"{seconds / 86400:.0f} days"
    if not math.isfinite(seconds):
        return "longer than the age of the universe"
    return f"{seconds / 3.15e7:.3g} years"


def refuse_message(what: str, count: int, rate: float, limit_s: float, alternatives: str) -> str:
    """Message for an exact request that would take far too long."""
    est = seconds_for(count, rate)
    shown = f"{count:,}" if count < 10 ** 30 else f"about 10^{int(math.log10(count))}"
    return (f"exact {what} needs {shown} supports (about {human_time(est)} at {rate:,.0f} supports/s "
            f"on this machine), more than max_seconds = {limit_s:g} s; {alternatives}")


# --------------------------------------------------------------------------------------
# dense matrices
# --------------------------------------------------------------------------------------

#: largest number of entries of a dense matrix formed from an operator (``A``, ``W``, ``A W^*``)
MAX_DENSE_ENTRIES = 2 ** 26
#: largest accepted ``max |W^*W − I|`` of a sparsifier
UNITARY_TOL = 1e-8


def dense_operator(A: Any, name: str) -> np.ndarray:
    """A dense float64/complex128 copy of an array, tensor or :class:`LinearOperator` (validated)."""
    if isinstance(A, LinearOperator):
        n_in = int(np.prod(A.in_shape))
        n_out = int(np.prod(A.out_shape))
        refuse_size(float(n_in) * float(n_out), MAX_DENSE_ENTRIES, f"the dense {n_out}×{n_in} matrix of {name}",
                    "the rNSP computations need a dense matrix: restrict the operator to fewer columns or rows")
        M = np.asarray(A.to_dense())
        if M.ndim != 2 or not np.all(np.isfinite(M)):
            raise InvalidArgument(f"{name} produces NaN or inf: pass a finite operator")
        return np.array(M, dtype=complex if np.iscomplexobj(M) else float)
    if isinstance(A, (str, bytes, bool, np.bool_)) or A is None:
        raise InvalidArgument(f"{name} must be a matrix (array, tensor or LinearOperator), got {A!r}")
    M = as_array(A, name, ndim=2)
    if M.size > MAX_DENSE_ENTRIES:
        refuse_size(M.size, MAX_DENSE_ENTRIES, f"{name} with {M.size:,} entries")
    return M


def unitary_dense(W: Any, N: int) -> tuple[np.ndarray, float]:
    """Dense ``W`` (``N×N``) checked to be unitary to 1e-8; returns ``(W, max |W^*W − I|)``.

    Raises :class:`PreconditionError` naming the hypothesis "W unitary" and the
    deviation when it is not (the rNSP of ``A W^{-1}`` is computed as ``A W^*``).
    """
    Wd = dense_operator(W, "W")
    if Wd.shape != (N, N):
        raise PreconditionError(
            f"W has shape {Wd.shape}: the theorems need a unitary {N}×{N} sparsifier (W^{{-1}} = W^*); "
            "pass an orthonormal sparsifier acting on the signals of A", hypothesis="W unitary",
            margin=math.inf)
    err = float(np.max(np.abs(Wd.conj().T @ Wd - np.eye(N))))
    if not err <= UNITARY_TOL:
        raise PreconditionError(
            f"W is not unitary (max |W*W − I| = {err:.3g} > {UNITARY_TOL:g}): the rNSP of A W^{{-1}} = A W^* "
            "needs a unitary W (orthonormal wavelets); pass an orthonormal sparsifier",
            hypothesis="W unitary", margin=err)
    return Wd, err


def unitarity_defect_bound(Wd: np.ndarray) -> float:
    """A proven upper bound of ``‖W^*W − I‖₂`` for the float matrix ``Wd`` (Frobenius norm, Higham bounds)."""
    N = Wd.shape[0]
    cplx = bool(np.iscomplexobj(Wd))
    aW = np.abs(Wd)
    D = np.abs(Wd.conj().T @ Wd - np.eye(N)) + gam(N, cplx) * (aW.T @ aW) * (1.0 + gam(N))
    return float(widen_up(np.sqrt(np.sum(D * D)) * (1.0 + gam(D.size + 2)), 0.0))


def dense_matrix(A: Any, W: Any = None, name: str = "A") -> tuple[np.ndarray, bool]:
    """Dense ``A`` (or ``A W^*`` for a unitary ``W``) as float64/complex128; ``(B, used_W)``.

    ``A`` may be an array, a torch tensor or a :class:`LinearOperator`; ``W``
    an operator or a square matrix, checked to be unitary to 1e-8
    (:func:`unitary_dense`).
    """
    M = dense_operator(A, name)
    m, N = M.shape
    if m == 0 or N == 0:
        raise InvalidArgument(f"{name} has shape {M.shape}: pass a non-empty matrix")
    if W is None:
        return M, False
    Wd, _ = unitary_dense(W, N)
    B = M @ Wd.conj().T
    if not np.all(np.isfinite(B)):
        raise InvalidArgument(f"{name} W^* overflows float64: rescale {name}")
    return B, True


def exact_rescaling(B: np.ndarray) -> tuple[np.ndarray, int]:
    """``(B·2^{−e}, e)`` with ``max|B·2^{−e}| ∈ [1/2, 1)``, an exact rescaling.

    When an entry would fall below the normal range (magnitudes spanning more
    than ~1000 binades) the rescaling is not exact and ``(B, 0)`` is returned.
    """
    amax = float(np.max(np.abs(B))) if B.size else 0.0
    if amax == 0.0 or not math.isfinite(amax):
        return B, 0
    e = int(math.frexp(amax)[1])
    if e == 0:
        return B, 0
    if np.iscomplexobj(B):
        Bs = np.ldexp(B.real, -e) + 1j * np.ldexp(B.imag, -e)
        back = np.ldexp(Bs.real, e) + 1j * np.ldexp(Bs.imag, e)
    else:
        Bs = np.ldexp(B, -e)
        back = np.ldexp(Bs, e)
    if not np.array_equal(back, B):
        return B, 0
    return Bs, e


def vector(x: Any, name: str, N: int, allow_complex: bool = True) -> np.ndarray:
    """A flat float64/complex128 copy of ``x`` of length ``N``."""
    v = as_array(x, name, allow_complex=allow_complex).reshape(-1)
    if v.size != N:
        raise InvalidArgument(f"{name} has {v.size} entries: pass a vector with {N} entries")
    return v


def distinct_support(S: Any, N: int, size: int | None = None) -> np.ndarray:
    """``S`` as distinct int64 indices in ``[0, N)`` (of length ``size``), else :class:`InvalidArgument`."""
    idx = np.asarray(S)
    if idx.ndim != 1 or idx.dtype.kind not in "iu":
        raise InvalidArgument(f"a support must be a 1-D array of integer indices, got {S!r}")
    idx = idx.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= N):
        raise InvalidArgument(f"support {idx.tolist()} has indices outside [0, {N})")
    if np.unique(idx).size != idx.size:
        raise InvalidArgument(f"support {idx.tolist()} repeats an index")
    if size is not None and idx.size != size:
        raise InvalidArgument(f"support {idx.tolist()} has {idx.size} indices, expected {size}")
    return idx


# --------------------------------------------------------------------------------------
# rounding helpers (a-priori bounds; the unit roundoff and γ_n are theorycheck.numerics.rounding's)
# --------------------------------------------------------------------------------------

def gam(n: int, cplx: bool = False) -> float:
    """Safety-factored ``γ_n``: twice Higham's (rounded up); complex dot products use ``n → 2n + 4``."""
    return 2.0 * gamma(2 * n + 4 if cplx else n)


#: absolute allowance for gradual underflow: every rounded product or sum below the normal
#: range errs by at most 2⁻¹⁰⁷⁵ in absolute terms, which relative (Higham) bounds do not
#: cover; 2⁻¹⁰⁰⁰ covers up to 2⁷⁴ such events in one bounded computation
UNDERFLOW = 2.0 ** -1000


def widen_up(x: Any, scale: Any = 0.0) -> Any:
    """Round the float64 result of a few operations outward (up), arrays elementwise.

    Adds ``64U(|x| + |scale|)`` (``scale``: the magnitude of the operands whose
    rounding may have entered ``x``) and the underflow allowance :data:`UNDERFLOW`,
    then moves one ulp up (:func:`theorycheck.numerics.rounding.round_up`). Not
    the same as ``round_up(x)``: it covers the rounding errors of the few
    operations that produced ``x``, not only the final one.

    Theorem: none (a-priori float64 rounding bounds, Higham §3.1).
    Rigor: proven (an upper bound of the exact value when ``x`` carries at most
    a few rounding errors of relative size U on quantities of magnitude ``≤ |x| + |scale|``).

    Examples
    --------
    >>> widen_up(1.0) > 1.0
    True
    """
    x = np.asarray(x, dtype=float)
    return round_up(x + (np.abs(x) + np.abs(scale)) * 64 * U + UNDERFLOW)


def widen_down(x: Any, scale: Any = 0.0) -> Any:
    """Round the float64 result of a few operations outward (down); see :func:`widen_up`.

    Theorem: none (a-priori float64 rounding bounds, Higham §3.1).
    Rigor: proven (a lower bound, as :func:`widen_up`).

    Examples
    --------
    >>> widen_down(1.0) < 1.0
    True
    """
    x = np.asarray(x, dtype=float)
    return round_down(x - (np.abs(x) + np.abs(scale)) * 64 * U - UNDERFLOW)


# --------------------------------------------------------------------------------------
# ball arithmetic on vectors
# --------------------------------------------------------------------------------------

def balls(v: np.ndarray) -> list[Any]:
    """Exact ``arb``/``acb`` balls of a float64/complex128 vector."""
    if np.iscomplexobj(v):
        return [flint.acb(float(z.real), float(z.imag)) for z in v]
    return [flint.arb(float(z)) for z in v]


def ball_mids(bs: list[Any]) -> np.ndarray:
    """Float64 midpoints of a list of ``arb``/``acb`` balls."""
    if any(isinstance(b, flint.acb) for b in bs):
        return np.array([complex(float(flint.acb(b).real.mid()), float(flint.acb(b).imag.mid())) for b in bs])
    return np.array([float(b.mid()) for b in bs])


def norm2_ball(bs: Iterable[Any]) -> Any:
    """Euclidean norm of a list of balls (a ball within ``[0, ∞)`` even when the sum of squares straddles 0)."""
    total = flint.arb(0)
    for b in bs:
        a = abs(b)
        total += a * a
    return sqrt_nonneg(total)


def sqrt_nonneg(t: Any) -> Any:
    """``sqrt`` of a ball known to enclose a non-negative number (rounding may make its lower end negative)."""
    if t.lower() >= 0:
        return t.sqrt()
    hi = flint.arb(t.upper()).sqrt().upper()
    return flint.arb(hi / 2, hi / 2)


def matvec_balls(A: np.ndarray, bs: list[Any]) -> list[Any]:
    """``A b`` for a float matrix ``A`` (exact) and a list of balls."""
    cplx = np.iscomplexobj(A) or any(isinstance(b, flint.acb) for b in bs)
    M: Any
    x: Any
    if cplx:
        M = flint.acb_mat(A.shape[0], A.shape[1],
                          [flint.acb(float(z.real), float(z.imag)) for z in A.astype(complex).ravel()])
        x = flint.acb_mat(len(bs), 1, [flint.acb(b) for b in bs])
    else:
        M = flint.arb_mat(A.tolist())
        x = flint.arb_mat(len(bs), 1, list(bs))
    y = M * x
    return [y[i, 0] for i in range(A.shape[0])]


def kernel_basis_columns(A: np.ndarray) -> np.ndarray | None:
    """``m`` columns of ``A`` forming a well-conditioned basis (pivoted QR), or None (rank deficient, m ≥ N)."""
    import scipy.linalg  # solver back end, loaded on first use

    m, N = A.shape
    if m >= N:
        return None
    _, R, piv = scipy.linalg.qr(A, pivoting=True, mode="economic")
    d = np.abs(np.diag(R))
    if d.size < m or d[m - 1] <= N * np.finfo(float).eps * max(d[0], 1e-300):
        return None
    return np.sort(piv[:m]).astype(np.int64)


#: largest m for the m×m ball-arithmetic solve behind an exact kernel vector
MAX_KERNEL_ROWS = 600


def _ball_mat(M: np.ndarray, cplx: bool) -> Any:
    if cplx:
        return flint.acb_mat(M.shape[0], M.shape[1], [flint.acb(float(v.real), float(v.imag)) for v in M.ravel()])
    return flint.arb_mat(M.shape[0], M.shape[1], [flint.arb(float(v)) for v in M.ravel()])


def _solve_kernel(A: np.ndarray, z: np.ndarray, B: np.ndarray, F: np.ndarray, cplx: bool) -> list[Any] | None:
    """Balls of ``ẑ`` (``ẑ_F = z_F``, ``A_B ẑ_B = −A_F z_F``) at rising precision, or None."""
    N = A.shape[1]
    Ac = A.astype(complex) if cplx else A
    zf = (z.astype(complex) if cplx else z)[F]
    for prec in (128, 256, 1024):
        flint.ctx.prec = prec
        try:
            xF = _ball_mat(zf.reshape(-1, 1), cplx)
            xB = _ball_mat(Ac[:, B], cplx).solve(-(_ball_mat(Ac[:, F], cplx) * xF))
        except ZeroDivisionError:
            continue
        out: list[Any] = [None] * N
        for t, i in enumerate(B):
            out[i] = xB[t, 0]
        for t, i in enumerate(F):
            out[i] = xF[t, 0]
        return out
    return None


def exact_kernel_balls(A: np.ndarray, z: np.ndarray, basic: np.ndarray | None = None
                       ) -> tuple[list[Any], np.ndarray] | None:
    """Balls containing a vector ``ẑ`` with ``A ẑ = 0`` exactly, close to the float vector ``z``.

    ``ẑ`` equals ``z`` on ``N − m`` free coordinates; its entries on ``m``
    basic columns (``basic``, default chosen by pivoted QR) solve
    ``A_B ẑ_B = −A_F z_F`` in ball arithmetic. Returns ``(balls, basic_indices)``,
    or None when ``A`` does not have full row rank numerically or ``A_B`` is
    not provably invertible (no certified kernel vector then). A given
    ``basic`` must be ``m`` distinct column indices (else :class:`InvalidArgument`).
    """
    m, N = A.shape
    if m > MAX_KERNEL_ROWS:
        return None  # an m×m ball solve would take too long: no certified kernel vector (sound: no claim)
    if basic is None:
        B = kernel_basis_columns(A)
        if B is None:
            return None
    else:
        if m >= N:
            raise InvalidArgument(f"basic columns need m = {m} < N = {N}")
        B = np.sort(distinct_support(basic, N, size=m))
    F = np.setdiff1d(np.arange(N), B)
    cplx = bool(np.iscomplexobj(A) or np.iscomplexobj(z))
    old = flint.ctx.prec
    try:
        out = _solve_kernel(A, z, B, F, cplx)
    finally:
        flint.ctx.prec = old
    return None if out is None else (out, B)


def topk_ratio_ball(bs: list[Any], k: int) -> tuple[Any, np.ndarray]:
    """``Σ_{i∈K}|b_i| / Σ_i|b_i|`` with ``K`` the ``k`` largest midpoints; returns (ball, K)."""
    mags = [abs(b) for b in bs]
    mids = np.array([float(a.mid()) for a in mags])
    K = np.sort(np.argsort(-mids, kind="stable")[:k])
    num = flint.arb(0)
    for i in K:
        num += mags[i]
    den = num
    inK = set(K.tolist())
    for i in range(len(bs)):
        if i not in inK:
            den += mags[i]
    return num / den, K


def topk_ratio(z: np.ndarray, k: int) -> float:
    """Float ``Σ_{k largest}|z_i| / ‖z‖₁`` (0 for ``z = 0``)."""
    a = np.abs(z)
    tot = float(a.sum())
    if tot == 0 or not math.isfinite(tot):
        return 0.0
    return float(np.sort(a)[::-1][:k].sum() / tot)


# --------------------------------------------------------------------------------------
# reading saved witnesses (verifiers): every field validated, named in the error
# --------------------------------------------------------------------------------------

class BadWitness(InvalidArgument):
    """A saved witness field that is missing, of the wrong type or out of range (the message names it).

    Theorem: none (verifier infrastructure).
    Rigor: not applicable.
    """


def w_get(w: Witness | None, key: str) -> Any:
    """The witness field ``key`` (:class:`BadWitness` when missing).

    Theorem: none (verifier infrastructure).
    Rigor: not applicable.
    """
    if w is None or key not in w.data:
        raise BadWitness(f"witness[{key!r}] is missing")
    return w.data[key]


def w_int(w: Witness, key: str, lo: int, hi: int) -> int:
    """An integer field in ``[lo, hi]`` (:class:`BadWitness` otherwise).

    Theorem: none (verifier infrastructure).
    Rigor: not applicable.
    """
    v = w_get(w, key)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)) \
            or not lo <= int(v) <= hi:
        raise BadWitness(f"witness[{key!r}] = {v!r} must be an integer in [{lo}, {hi}]")
    return int(v)


def w_float(w: Witness, key: str, lo: float = -math.inf, hi: float = math.inf, *, open_lo: bool = False,
            open_hi: bool = False, finite: bool = True) -> float:
    """A real field in the interval ``lo ≤ v ≤ hi`` (ends open on request; :class:`BadWitness` otherwise).

    Theorem: none (verifier infrastructure).
    Rigor: not applicable.
    """
    v = w_get(w, key)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.floating, np.integer)):
        raise BadWitness(f"witness[{key!r}] = {v!r} must be a real number")
    x = float(v)
    bad = (math.isnan(x) or (finite and not math.isfinite(x)) or x < lo or x > hi
           or (open_lo and x == lo) or (open_hi and x == hi))
    if bad:
        lb, rb = "(" if open_lo else "[", ")" if open_hi else "]"
        raise BadWitness(f"witness[{key!r}] = {v!r} must lie in {lb}{lo:g}, {hi:g}{rb}")
    return x


def w_bool(w: Witness, key: str) -> bool:
    """A boolean field (:class:`BadWitness` otherwise).

    Theorem: none (verifier infrastructure).
    Rigor: not applicable.
    """
    v = w_get(w, key)
    if not isinstance(v, (bool, np.bool_)):
        raise BadWitness(f"witness[{key!r}] = {v!r} must be true or false")
    return bool(v)


def w_choice(w: Witness, key: str, choices: tuple[str, ...]) -> str:
    """A string field among ``choices`` (:class:`BadWitness` otherwise).

    Theorem: none (verifier infrastructure).
    Rigor: not applicable.
    """
    v = w_get(w, key)
    if not isinstance(v, str) or v not in choices:
        raise BadWitness(f"witness[{key!r}] = {v!r} must be one of {list(choices)}")
    return v


def w_matrix(w: Witness, key: str = "A", max_entries: int = MAX_DENSE_ENTRIES) -> np.ndarray:
    """A non-empty finite 2-D float64/complex128 array (a copy; :class:`BadWitness` otherwise).

    Theorem: none (verifier infrastructure).
    Rigor: not applicable.
    """
    v = w_get(w, key)
    if not isinstance(v, np.ndarray) or v.ndim != 2 or v.dtype not in (np.float64, np.complex128) \
            or v.size == 0:
        raise BadWitness(f"witness[{key!r}] must be a non-empty 2-D float64 or complex128 array")
    if v.size > max_entries:
        raise BadWitness(f"witness[{key!r}] has {v.size:,} entries (limit {max_entries:,})")
    if not np.all(np.isfinite(v)):
        raise BadWitness(f"witness[{key!r}] has NaN or inf entries")
    return np.array(v)


def w_vector(w: Witness, key: str, n: int, *, allow_complex: bool = True) -> np.ndarray:
    """A finite 1-D float64 (or complex128) array of length ``n`` (a copy; :class:`BadWitness` otherwise).

    Theorem: none (verifier infrastructure).
    Rigor: not applicable.
    """
    v = w_get(w, key)
    kinds = (np.float64, np.complex128) if allow_complex else (np.float64,)
    if not isinstance(v, np.ndarray) or v.ndim != 1 or v.dtype not in kinds or v.size != n:
        raise BadWitness(f"witness[{key!r}] must be a 1-D {'float64/complex128' if allow_complex else 'float64'} "
                         f"array of length {n}")
    if not np.all(np.isfinite(v)):
        raise BadWitness(f"witness[{key!r}] has NaN or inf entries")
    return np.array(v)


def w_indices(w: Witness, key: str, N: int, *, size: int | None = None, max_size: int | None = None
              ) -> np.ndarray:
    """Distinct integer indices in ``[0, N)`` (exactly ``size`` of them, or at most ``max_size``).

    Theorem: none (verifier infrastructure).
    Rigor: not applicable.
    """
    v = w_get(w, key)
    if not isinstance(v, np.ndarray) or v.ndim != 1 or v.dtype.kind not in "iu":
        raise BadWitness(f"witness[{key!r}] must be a 1-D integer array of column indices")
    try:
        idx = distinct_support(v, N, size=size)
    except InvalidArgument as exc:
        raise BadWitness(f"witness[{key!r}]: {exc} (a support is a set of distinct columns of the order's "
                         "size)") from None
    if max_size is not None and idx.size > max_size:
        raise BadWitness(f"witness[{key!r}] has {idx.size} indices, more than the order {max_size}")
    return idx


# --------------------------------------------------------------------------------------
# a quiet HiGHS
# --------------------------------------------------------------------------------------

_HIGHS_LOCK = threading.Lock()
_HIGHS_BANNER_DONE = False


def new_highs() -> Any:
    """A silent ``highspy.Highs`` instance, or None when highspy is not installed.

    HiGHS prints a banner on the first construction in a process; it is
    swallowed once (at file-descriptor level) so library calls stay quiet.
    """
    global _HIGHS_BANNER_DONE
    try:
        import highspy  # solver back end, loaded on first use
    except ImportError:  # pragma: no cover - highspy comes with cvxpy
        return None
    with _HIGHS_LOCK:
        if not _HIGHS_BANNER_DONE:
            with _quiet_stdout():
                h = highspy.Highs()
            _HIGHS_BANNER_DONE = True
        else:
            h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    # HiGHS writes to the C-level stdout (file descriptor 1), whatever sys.stdout is
    try:
        sys.stdout.flush()
    except Exception:  # pragma: no cover - exotic stdout replacements
        pass
    try:
        saved = os.dup(1)
    except OSError:  # pragma: no cover - no fd 1
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(null)
        os.close(saved)
