"""Hypothesis strategies for sparse solvers, with certified oracles.

In the style of :mod:`hypothesis.extra.numpy`: required arguments are values
or strategies, options are keyword-only, and arguments are validated when the
strategy is *built* (bad ones raise :class:`InvalidArgument`, a subclass of
both ``hypothesis.errors.InvalidArgument`` and theorycheck's
:class:`~theorycheck.errors.InvalidArgument`). A value drawn from a strategy
argument is validated when it is drawn.

The program strategies (:func:`lasso_problems`, :func:`srlasso_problems`,
:func:`qcbp_problems`, :func:`near_degenerate_problems`) draw an instance
*together with its certified exact minimiser*: ``y`` is built from a chosen
sparse ``x`` and a strict dual certificate, and the unique minimiser of the
float64 data is then proven in ball arithmetic
(``theorycheck.solvers.solve(..., method="exact")``). Tests can compare any
solver's answer with it::

    from hypothesis import given
    from theorycheck.strategies import lasso_problems
    from theorycheck.solvers.certify import distance_to_enclosure

    @given(lasso_problems())
    def test_my_solver(inst):
        x = my_solver(inst.problem, inst.y)
        assert distance_to_enclosure(x, inst.solution)[1] <= 1e-6

Matrices and vectors are generated from seeds and numbers drawn by hypothesis,
never by filling arrays with a constant background: every entry is "generic",
so shrinking simplifies sizes, sparsity, parameters and degeneracy instead of
producing zero columns by accident.

Theorem: optimality and uniqueness under strict dual feasibility (docs/theory.md §1)
for the program strategies; rNSP (docs/theory.md §2) and the impossibility class
Ω_K (docs/theory.md §6.2) for :func:`rnsp_instances` and :func:`impossibility_instances`.
Rigor: the drawn minimisers are proven; see each strategy.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from hypothesis import assume
from hypothesis import errors as _hyp_errors
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from theorycheck import errors as _tc_errors
from theorycheck.impossibility import MAX_FAMILY_SECONDS, build_family, estimated_family_seconds, required_dps
from theorycheck.numerics.precision import precision
from theorycheck.numerics.validation import bool_arg, choice_arg, finite_real_arg, integer_arg
from theorycheck.problems.instances import (
    MATRIX_KINDS,
    PROBLEM_KINDS,
    CertifiedInstance,
    RNSPInstance,
    sensing_matrix,
)
from theorycheck.rnsp import rnsp_gamma
from theorycheck.solvers.certify import build_certified_instance

__all__ = [
    "InvalidArgument",
    "CertifiedInstance",
    "RNSPInstance",
    "sensing_matrices",
    "sparse_vectors",
    "compressible_vectors",
    "lasso_problems",
    "srlasso_problems",
    "qcbp_problems",
    "near_degenerate_problems",
    "rnsp_instances",
    "impossibility_instances",
    "precisions",
]

_DTYPES = tuple(np.dtype(t) for t in (np.float64, np.float32, np.complex128, np.complex64))
#: largest signal length the program strategies accept (the exact certificate is O(m N))
MAX_PROBLEM_N = 400
#: largest side and number of entries of a drawn sensing matrix (dense transforms build N × N)
MAX_MATRIX_DIM = 2 ** 16
MAX_MATRIX_ENTRIES = 2 ** 22
#: largest length of a drawn sparse vector, and of a compressible one (one draw per entry)
MAX_VECTOR_N = 2 ** 24
MAX_COMPRESSIBLE_N = 10_000
#: largest number of non-zeros drawn one by one
MAX_SPARSITY = 10_000
#: bounds of the impossibility families drawn by :func:`impossibility_instances`
MAX_FAMILY_K = 1_000
MAX_FAMILY_LEVEL = 10_000
MAX_FAMILY_N1 = 64
MAX_FAMILY_N2 = 1_024


class InvalidArgument(_hyp_errors.InvalidArgument, _tc_errors.InvalidArgument):
    """A strategy argument is invalid (raised when the strategy is built, or when drawn).

    Subclasses both ``hypothesis.errors.InvalidArgument`` and
    :class:`theorycheck.errors.InvalidArgument`, so either ``except`` catches it.
    """


# --------------------------------------------------------------------------------------
# argument validation
# --------------------------------------------------------------------------------------

def _is_strategy(v: Any) -> bool:
    return isinstance(v, SearchStrategy)


def _refused(exc: _tc_errors.InvalidArgument) -> InvalidArgument:
    """theorycheck's refusal as the strategies' :class:`InvalidArgument` (also a hypothesis error)."""
    return InvalidArgument(str(exc))


def _int_arg(value: Any, name: str, *, min_value: int, max_value: int | None = None,
             strategy_ok: bool = True) -> Any:
    if strategy_ok and _is_strategy(value):
        return value
    try:
        v = integer_arg(value, name, minimum=min_value)
    except _tc_errors.InvalidArgument as exc:
        kind = " (or a strategy of ints)" if strategy_ok else ""
        raise InvalidArgument(f"{exc}{kind}") from None
    if max_value is not None and v > max_value:
        raise InvalidArgument(f"{name}={v} must be in [{min_value}, {max_value}]")
    return v


def _float_arg(value: Any, name: str, *, low: float, high: float = math.inf,
               low_open: bool = False, high_open: bool = False, strategy_ok: bool = True) -> Any:
    if strategy_ok and _is_strategy(value):
        return value
    try:
        v = finite_real_arg(value, name)
    except (_tc_errors.InvalidArgument, OverflowError) as exc:
        kind = " (or a strategy of numbers)" if strategy_ok else ""
        raise InvalidArgument(f"{name}={value!r} must be a finite number{kind}: {exc}") from None
    if v < low or v > high or (low_open and v == low) or (high_open and v == high):
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise InvalidArgument(f"{name}={v} must be finite and in {lo}{low}, {high}{hi}")
    return v


def _choice_arg(value: Any, name: str, choices: tuple[str, ...]) -> str:
    try:
        return choice_arg(value, name, choices)
    except _tc_errors.InvalidArgument as exc:
        raise _refused(exc) from None


def _dtype_arg(dtype: Any, name: str = "dtype") -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"{name}={dtype!r} is not a dtype: pass one of "
                              f"{[str(d) for d in _DTYPES]}") from exc
    if dt not in _DTYPES:
        raise InvalidArgument(f"{name}={dt} is not supported: pass one of {[str(d) for d in _DTYPES]}")
    return dt


def _bool_arg(value: Any, name: str) -> bool:
    try:
        return bool_arg(value, name)
    except _tc_errors.InvalidArgument as exc:
        raise _refused(exc) from None


def _drawn(draw: Callable, value: Any, check: Callable[[Any], Any]) -> Any:
    """Draw ``value`` if it is a strategy and validate what was drawn."""
    if _is_strategy(value):
        return check(draw(value))
    return value


# --------------------------------------------------------------------------------------
# matrices and vectors
# --------------------------------------------------------------------------------------

def _matrix_constraints(kind: str, m: Any, N: Any, dtype: np.dtype | None) -> None:
    """Eager checks that depend on several arguments (only for fixed values)."""
    if isinstance(m, int) and isinstance(N, int):
        dense = N * N if kind in ("fourier", "dct", "hadamard") else 0
        if m * N > MAX_MATRIX_ENTRIES or dense > 4 * MAX_MATRIX_ENTRIES:
            raise InvalidArgument(
                f"an {m} × {N} {kind} matrix is too large to draw (at most {MAX_MATRIX_ENTRIES} entries"
                f"{'; transforms build the dense N × N matrix' if dense else ''}): use smaller m, N")
    if kind == "fourier" and dtype is not None and dtype.kind != "c":
        raise InvalidArgument(f"kind='fourier' gives complex matrices: pass a complex dtype, not {dtype}")
    if kind in ("fourier", "dct", "hadamard") and isinstance(m, int) and isinstance(N, int) and m > N:
        raise InvalidArgument(f"kind={kind!r} subsamples m={m} of the N={N} rows of a transform: need m ≤ N")
    if kind == "hadamard" and isinstance(N, int) and N & (N - 1):
        raise InvalidArgument(f"kind='hadamard' needs N to be a power of two, got N={N}")


def sensing_matrices(
    m: int | SearchStrategy[int],
    N: int | SearchStrategy[int],
    *,
    kind: str = "gaussian",
    dtype: Any = None,
) -> SearchStrategy[np.ndarray]:
    """Strategy for ``m × N`` sensing matrices with (expected) unit-norm columns.

    Parameters
    ----------
    m, N : int or strategy of ints
        Rows (measurements) and columns (signal length), both in ``[1, 2^16]``
        with ``m·N ≤ 2^22`` (transforms: ``N² ≤ 2^24``, they build the dense matrix).
    kind : {"gaussian", "bernoulli", "fourier", "dct", "hadamard"}
        i.i.d. ``N(0, 1/m)`` entries (complex: ``N(0, 1/(2m))`` real and
        imaginary parts); i.i.d. ``±1/√m``; ``m`` rows of the unitary DFT, the
        orthonormal DCT-II or the Walsh–Hadamard matrix chosen uniformly at
        random, scaled by ``√(N/m)`` (transforms need ``m ≤ N``; Hadamard a
        power-of-two ``N``).
    dtype : dtype, optional
        float64, float32, complex128 or complex64; default complex128 for
        ``"fourier"`` and float64 otherwise. ``"fourier"`` needs a complex dtype.

    Returns
    -------
    SearchStrategy[numpy.ndarray]
        Every entry generic (from a drawn seed): no constant background fill.

    Theorem: none (random matrices of compressed sensing).
    Rigor: not applicable.

    Examples
    --------
    >>> from hypothesis import find
    >>> A = find(sensing_matrices(4, 8, kind="hadamard"), lambda A: True)
    >>> A.shape, bool(abs(abs(A) - 0.5).max() < 1e-15)
    ((4, 8), True)
    """
    m = _int_arg(m, "m", min_value=1, max_value=MAX_MATRIX_DIM)
    N = _int_arg(N, "N", min_value=1, max_value=MAX_MATRIX_DIM)
    kind = _choice_arg(kind, "kind", MATRIX_KINDS)
    dt = None if dtype is None else _dtype_arg(dtype)
    _matrix_constraints(kind, m, N, dt)
    if dt is None:
        dt = np.dtype(np.complex128 if kind == "fourier" else np.float64)

    @st.composite
    def _draw(draw):
        mm = _drawn(draw, m, lambda v: _int_arg(v, "drawn m", min_value=1, max_value=MAX_MATRIX_DIM,
                                                  strategy_ok=False))
        NN = _drawn(draw, N, lambda v: _int_arg(v, "drawn N", min_value=1, max_value=MAX_MATRIX_DIM,
                                                  strategy_ok=False))
        _matrix_constraints(kind, mm, NN, dt)
        seed = draw(st.integers(0, 2**32 - 1))
        return sensing_matrix(kind, mm, NN, dt, np.random.default_rng(seed))

    return _draw()


def sparse_vectors(
    N: int | SearchStrategy[int],
    s: int | SearchStrategy[int],
    *,
    dtype: Any = np.float64,
    min_magnitude: float = 0.1,
    max_magnitude: float = 10.0,
) -> SearchStrategy[np.ndarray]:
    """Strategy for vectors of length ``N`` with exactly ``s`` non-zero entries.

    Parameters
    ----------
    N : int or strategy of ints
        Length, ``1 ≤ N ≤ 2^24``.
    s : int or strategy of ints
        Number of non-zeros, ``0 ≤ s ≤ min(N, 10000)``.
    dtype : dtype
        float64, float32, complex128 or complex64.
    min_magnitude, max_magnitude : float
        ``0 < min_magnitude ≤ max_magnitude``: the moduli of the non-zeros lie
        in this interval (complex entries get a drawn phase).

    Returns
    -------
    SearchStrategy[numpy.ndarray]
        Support, moduli, signs and phases are drawn by hypothesis (they shrink
        towards the first indices, ``min_magnitude`` and positive signs).

    Theorem: none (the ``s``-sparse vectors of docs/theory.md §2).
    Rigor: not applicable.
    """
    N = _int_arg(N, "N", min_value=1, max_value=MAX_VECTOR_N)
    s = _int_arg(s, "s", min_value=0, max_value=MAX_SPARSITY)
    if isinstance(N, int) and isinstance(s, int) and s > N:
        raise InvalidArgument(f"s={s} > N={N}: a vector of length N has at most N non-zeros")
    dt = _dtype_arg(dtype)
    lo = _float_arg(min_magnitude, "min_magnitude", low=0.0, low_open=True, strategy_ok=False)
    hi = _float_arg(max_magnitude, "max_magnitude", low=0.0, low_open=True, strategy_ok=False)
    if lo > hi:
        raise InvalidArgument(f"min_magnitude={lo} > max_magnitude={hi}")
    cplx = dt.kind == "c"

    @st.composite
    def _draw(draw):
        NN = _drawn(draw, N, lambda v: _int_arg(v, "drawn N", min_value=1, max_value=MAX_VECTOR_N,
                                                  strategy_ok=False))
        ss = _drawn(draw, s, lambda v: _int_arg(v, "drawn s", min_value=0, max_value=MAX_SPARSITY,
                                                  strategy_ok=False))
        if ss > NN:
            raise InvalidArgument(f"drew s={ss} > N={NN}")
        support = draw(st.lists(st.integers(0, NN - 1), min_size=ss, max_size=ss, unique=True))
        x = np.zeros(NN, dtype=dt)
        for j in support:
            mag = draw(st.floats(lo, hi))
            if cplx:
                x[j] = mag * np.exp(1j * draw(st.floats(0.0, 2 * math.pi, exclude_max=True)))
            else:
                x[j] = -mag if draw(st.booleans()) else mag
        return x

    return _draw()


def compressible_vectors(
    N: int | SearchStrategy[int],
    *,
    decay: float = 1.0,
    scale: float = 1.0,
    dtype: Any = np.float64,
) -> SearchStrategy[np.ndarray]:
    """Strategy for compressible vectors: the ``k``-th largest modulus is at most ``scale·k^(-decay)``.

    The entry of rank ``k`` (in a drawn order) has modulus
    ``scale·k^(-decay)·u_k`` with ``u_k ∈ [1/2, 1]`` drawn, a drawn sign
    (complex: phase), so ``σ_s(x)₁ ≤ scale·Σ_{k>s} k^(-decay)``.

    Parameters
    ----------
    N : int or strategy of ints
        Length, ``1 ≤ N ≤ 10000`` (one drawn modulus per entry).
    decay : float
        ``> 0``; larger is more compressible.
    scale : float
        ``> 0``, the largest possible modulus.
    dtype : dtype
        float64, float32, complex128 or complex64.

    Returns
    -------
    SearchStrategy[numpy.ndarray]

    Theorem: none (compressible signals, ``σ_s(x)₁`` of docs/theory.md §2).
    Rigor: not applicable.
    """
    N = _int_arg(N, "N", min_value=1, max_value=MAX_COMPRESSIBLE_N)
    p = _float_arg(decay, "decay", low=0.0, low_open=True, strategy_ok=False)
    c = _float_arg(scale, "scale", low=0.0, low_open=True, strategy_ok=False)
    dt = _dtype_arg(dtype)
    cplx = dt.kind == "c"

    @st.composite
    def _draw(draw):
        NN = _drawn(draw, N, lambda v: _int_arg(v, "drawn N", min_value=1, max_value=MAX_COMPRESSIBLE_N,
                                                  strategy_ok=False))
        order = draw(st.permutations(range(NN)))
        x = np.zeros(NN, dtype=dt)
        for k, j in enumerate(order, start=1):
            mag = c * k ** (-p) * draw(st.floats(0.5, 1.0))
            if cplx:
                x[j] = mag * np.exp(1j * draw(st.floats(0.0, 2 * math.pi, exclude_max=True)))
            else:
                x[j] = -mag if draw(st.booleans()) else mag
        return x

    return _draw()


# --------------------------------------------------------------------------------------
# certified program instances
# --------------------------------------------------------------------------------------

_DEFAULT_LAM = st.floats(0.05, 1.0)
_DEFAULT_NOISE = st.floats(0.1, 1.0)


def _problem_args(problem: str, m: Any, N: Any, s: Any, lam: Any, noise: Any, kind: str,
                  dtype: Any, weighted: Any, *,
                  extra_columns: int = 0) -> tuple[Any, Any, Any, Any, Any, str, np.dtype]:
    """Eager validation shared by the program strategies."""
    _choice_arg(problem, "problem", PROBLEM_KINDS)
    m = _int_arg(m, "m", min_value=1, max_value=MAX_PROBLEM_N) if m is not None else None
    N = _int_arg(N, "N", min_value=1, max_value=MAX_PROBLEM_N) if N is not None else None
    s = _int_arg(s, "s", min_value=0) if s is not None else None
    lam = _float_arg(lam, "lam", low=0.0, low_open=True) if lam is not None else None
    noise = (_float_arg(noise, "noise", low=0.0, high=100.0, low_open=problem != "lasso")
             if noise is not None else None)
    kind = _choice_arg(kind, "kind", MATRIX_KINDS)
    dt = _dtype_arg(dtype)
    _bool_arg(weighted, "weighted")
    _matrix_constraints(kind, m, N, dt)
    if problem != "lasso" and isinstance(m, int) and m < 2:
        raise InvalidArgument(f"m={m}: {problem} instances need m ≥ 2 (the residual needs a part "
                              "off range(A_S))")
    if dt.kind == "c" and problem != "lasso":
        raise InvalidArgument(f"complex {problem} instances cannot be certified (the exact solver "
                              "proves complex minimisers for U-LASSO only): use a real dtype")
    if kind == "fourier" and dt.kind != "c":
        raise InvalidArgument("kind='fourier' needs dtype=complex128 (only for problem='lasso')")
    _size_constraints(problem, m, N, s, extra_columns)
    return m, N, s, lam, noise, kind, dt


def _size_constraints(problem: str, m: Any, N: Any, s: Any, extra: int) -> None:
    """``s + extra ≤ N`` and, off U-LASSO, ``s < m`` (room for the off-range residual)."""
    ints = lambda *v: all(isinstance(u, int) for u in v)  # noqa: E731
    if ints(s, N) and s + extra > N:
        more = f" + {extra} spare column" if extra else ""
        raise InvalidArgument(f"s={s}{more} > N={N}: lower s or raise N")
    if ints(s, m) and (s > m or (problem != "lasso" and s >= m)):
        need = "s ≤ m" if problem == "lasso" else "s < m (the residual needs a part off range(A_S))"
        raise InvalidArgument(f"s={s}, m={m}: need {need}")


def _program_strategy(problem: str, m: Any, N: Any, s: Any, lam: Any, noise: Any, kind: str,
                      dt: np.dtype, weighted: bool, delta: Any = None, basis_pursuit: bool = False) -> SearchStrategy:
    degenerate = delta is not None
    extra = 1 if degenerate else 0

    @st.composite
    def _draw(draw):
        mm = (_drawn(draw, m, lambda v: _int_arg(v, "drawn m", min_value=1, max_value=MAX_PROBLEM_N,
                                                   strategy_ok=False))
              if m is not None else draw(st.integers(3, 8)))
        lo_N = max(mm, 2) if kind not in ("fourier", "dct", "hadamard") else mm
        if N is not None:
            NN = _drawn(draw, N, lambda v: _int_arg(v, "drawn N", min_value=1, max_value=MAX_PROBLEM_N,
                                                      strategy_ok=False))
        elif kind == "hadamard":
            NN = draw(st.sampled_from([2 ** k for k in range(1, 9) if 2 ** k >= max(lo_N, mm + 1)]))
        else:
            NN = draw(st.integers(lo_N + 1, 2 * lo_N + 4))
        cap = mm - (0 if problem == "lasso" else 1)
        if s is not None:
            ss = _drawn(draw, s, lambda v: _int_arg(v, "drawn s", min_value=0, strategy_ok=False))
        else:
            ss = draw(st.integers(1, max(1, min(3, cap, NN - extra, mm // 2 + 1))))
        try:
            _matrix_constraints(kind, mm, NN, dt)
            _size_constraints(problem, mm, NN, ss, extra)
        except InvalidArgument:
            # fixed values were checked eagerly: this is an incompatible draw, try another
            assume(False)
        lam_ = _drawn(draw, lam if lam is not None else _DEFAULT_LAM,
                      lambda v: _float_arg(v, "drawn lam", low=0.0, low_open=True, strategy_ok=False))
        noise_ = _drawn(draw, noise if noise is not None else _DEFAULT_NOISE,
                        lambda v: _float_arg(v, "drawn noise", low=0.0, high=100.0,
                                               low_open=problem != "lasso", strategy_ok=False))
        support = draw(st.lists(st.integers(0, NN - 1), min_size=ss + extra, max_size=ss + extra,
                                unique=True))
        dup = support.pop() if degenerate else None
        cplx = dt.kind == "c"
        vals = []
        for _ in range(ss):
            mag = draw(st.floats(0.5, 2.0))
            if cplx:
                vals.append(mag * np.exp(1j * draw(st.floats(0.0, 2 * math.pi, exclude_max=True))))
            else:
                vals.append(-mag if draw(st.booleans()) else mag)
        w = (np.array([draw(st.floats(0.5, 2.0)) for _ in range(NN)]) if weighted else None)
        dval = None
        if degenerate:
            dval = _drawn(draw, delta, lambda v: _float_arg(v, "drawn delta", low=2.0**-45, high=0.5,
                                                              strategy_ok=False))
        seed = draw(st.integers(0, 2**32 - 1))
        inst = build_certified_instance(problem, np.random.default_rng(seed), m=mm, N=NN, s=ss, lam=lam_,
                               noise=noise_, dtype=dt, kind=kind, weights=w, support=support,
                               values=np.array(vals), seed=seed,
                               degenerate=(dup, dval) if degenerate else None,
                               **({"basis_pursuit": True} if basis_pursuit else {}))
        assume(inst is not None)  # the margins failed for 40 matrices: draw other sizes
        return inst

    return _draw()


_PROGRAM_DOC = """
    Parameters
    ----------
    m, N, s : int or strategy of ints, optional
        Measurements, signal length and sparsity of the planted minimiser.
        Defaults: ``m ∈ [3, 8]``, ``N ∈ [m+1, 2m+4]`` (a power of two for
        ``kind="hadamard"``), ``s ∈ [1, 3]`` small enough for ``m``. Need
        ``s ≤ N``{s_rule}; at most {maxn} columns.
    lam : float or strategy of floats, optional
        ``λ > 0`` of the underlying U-LASSO certificate (default in ``[0.05, 1]``).
    noise : float or strategy of floats, optional
        Size of the residual's part orthogonal to ``range(A_S)``, relative to its
        part in ``range(A_S)`` (default in ``[0.1, 1]``){noise_rule}.
    kind : str
        Matrix kind, as in :func:`sensing_matrices`.
    dtype : dtype
        Real (float64, float32: generated in that precision, stored as float64)
        or, for U-LASSO only, complex.
    weighted : bool
        Draw weights in ``[0.5, 2]`` (default all ones).
"""


def lasso_problems(
    *,
    m: int | SearchStrategy[int] | None = None,
    N: int | SearchStrategy[int] | None = None,
    s: int | SearchStrategy[int] | None = None,
    lam: float | SearchStrategy[float] | None = None,
    noise: float | SearchStrategy[float] | None = None,
    kind: str = "gaussian",
    dtype: Any = np.float64,
    weighted: bool = False,
) -> SearchStrategy[CertifiedInstance]:
    """Strategy for U-LASSO instances ``min λ‖z‖_{1,w} + ‖Az − y‖²`` with their proven minimiser.
    {doc}
    Returns
    -------
    SearchStrategy[CertifiedInstance]
        ``problem`` a :class:`~theorycheck.problems.programs.Lasso`; every
        off-support dual correlation is at most 90 % of its threshold.

    Theorem: U-LASSO optimality and uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (the minimiser is certified in ball arithmetic).
    """
    args = _problem_args("lasso", m, N, s, lam, noise, kind, dtype, weighted)
    return _program_strategy("lasso", *args, weighted)


def srlasso_problems(
    *,
    m: int | SearchStrategy[int] | None = None,
    N: int | SearchStrategy[int] | None = None,
    s: int | SearchStrategy[int] | None = None,
    lam: float | SearchStrategy[float] | None = None,
    noise: float | SearchStrategy[float] | None = None,
    kind: str = "gaussian",
    dtype: Any = np.float64,
    weighted: bool = False,
) -> SearchStrategy[CertifiedInstance]:
    """Strategy for SR-LASSO instances ``min λ‖z‖_{1,w} + ‖Az − y‖`` with their proven minimiser.
    {doc}
    Returns
    -------
    SearchStrategy[CertifiedInstance]
        ``problem`` an :class:`~theorycheck.problems.programs.SRLasso` whose
        ``λ = lam/(2‖r‖)`` (``r = y − Ax*``), so ``λ²q < 1`` with a margin.

    Theorem: SR-LASSO closed form and uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (the minimiser is certified in ball arithmetic).
    """
    args = _problem_args("srlasso", m, N, s, lam, noise, kind, dtype, weighted)
    return _program_strategy("srlasso", *args, weighted)


def qcbp_problems(
    *,
    m: int | SearchStrategy[int] | None = None,
    N: int | SearchStrategy[int] | None = None,
    s: int | SearchStrategy[int] | None = None,
    lam: float | SearchStrategy[float] | None = None,
    noise: float | SearchStrategy[float] | None = None,
    kind: str = "gaussian",
    dtype: Any = np.float64,
    weighted: bool = False,
    eta: float | None = None,
) -> SearchStrategy[CertifiedInstance]:
    """Strategy for QCBP instances ``min ‖z‖_{1,w} s.t. ‖Az − y‖ ≤ η`` with their proven minimiser.
    {doc}
    eta : {None, 0}
        ``None`` (default): ``η = ‖y − Ax*‖ > 0`` is drawn through ``noise``.
        ``0``: basis pursuit ``min ‖z‖_{1,w} s.t. Az = y`` — ``A`` rounded to
        multiples of ``2^-20`` and ``x*`` to multiples of ``2^-10``, so that
        ``y = Ax*`` holds exactly in float64 (``lam`` and ``noise`` are unused;
        real kinds only, ``s < m``).

    Returns
    -------
    SearchStrategy[CertifiedInstance]
        ``problem`` a :class:`~theorycheck.problems.programs.QCBP` with
        ``η = ‖y − Ax*‖ > 0`` (the constraint is active at the minimiser), or
        ``η = 0`` with ``params["basis_pursuit"] = True``.

    Theorem: QCBP optimality and uniqueness under strict dual feasibility (docs/theory.md §1);
    for ``η = 0`` the strict dual certificate of basis pursuit (Fuchs).
    Rigor: proven (the minimiser is certified in ball arithmetic / exact rationals).
    """
    if eta is not None:
        bp = _float_arg(eta, "eta", low=0.0, high=0.0, strategy_ok=False)
        if dtype is not None and _dtype_arg(dtype).kind == "c" or kind == "fourier":
            raise InvalidArgument("eta=0 (basis pursuit) instances are real: pick a real dtype and kind")
        del bp
        args = _problem_args("qcbp", m, N, s, lam, noise, kind, np.float64, weighted)
        return _program_strategy("qcbp", *args, weighted, basis_pursuit=True)
    args = _problem_args("qcbp", m, N, s, lam, noise, kind, dtype, weighted)
    return _program_strategy("qcbp", *args, weighted)


for _f, _s_rule, _n_rule in (
        (lasso_problems, "", " (0 allowed)"),
        (srlasso_problems, " and ``s < m``", " (> 0)"),
        (qcbp_problems, " and ``s < m``", " (> 0)")):
    _f.__doc__ = (_f.__doc__ or "").replace("{doc}", _PROGRAM_DOC.format(
        s_rule=_s_rule, maxn=MAX_PROBLEM_N, noise_rule=_n_rule))


def near_degenerate_problems(
    *,
    problem: str = "lasso",
    m: int | SearchStrategy[int] | None = None,
    N: int | SearchStrategy[int] | None = None,
    s: int | SearchStrategy[int] | None = None,
    delta: float | SearchStrategy[float] | None = None,
    lam: float | SearchStrategy[float] | None = None,
    noise: float | SearchStrategy[float] | None = None,
    kind: str = "gaussian",
    dtype: Any = np.float64,
) -> SearchStrategy[CertifiedInstance]:
    """Strategy for instances where real solvers break: nearly collinear columns, tiny dual slack.

    A planted instance as in :func:`lasso_problems` in which one column
    ``j'`` off the support is replaced by ``a_j + δ d`` for a support column
    ``j`` (``‖d‖ = 1``, ``d`` turned against the residual). The minimiser is
    still unique — proven, with a certified dual slack of order ``δ`` — but
    the objective is almost flat along moving weight from ``j`` to ``j'``: a
    solver that stops on a small duality gap (coordinate descent, interior
    point, first-order methods) can return an O(1)-wrong answer while
    reporting convergence. Which of ``j, j'`` comes first is drawn (it matters
    for cyclic coordinate descent). The 3×2 family of docs/theory.md §6.3
    (:func:`theorycheck.impossibility.build_lasso_3x2`) is a hand-made member
    of the same mechanism.

    Parameters
    ----------
    problem : {"lasso", "srlasso", "qcbp"}
    m, N, s, lam, noise, kind, dtype
        As in :func:`lasso_problems` (``N ≥ s + 1``: one spare column).
    delta : float or strategy of floats, optional
        ``δ ∈ [2^-45, 1/2]``; default ``2^-k`` with ``k ∈ [4, 40]`` drawn (shrinks
        towards the least degenerate ``δ = 2^-4``).

    Returns
    -------
    SearchStrategy[CertifiedInstance]
        ``params["delta"]`` and ``params["near_duplicate"] = (j, j')``.

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1); the
    mechanism of the "fails in MATLAB" example (docs/theory.md §6.3).
    Rigor: proven (the minimiser is certified in ball arithmetic).
    """
    m, N, s, lam, noise, kind, dt = _problem_args(problem, m, N, s, lam, noise, kind, dtype, False,
                                                  extra_columns=1)
    if delta is None:
        delta = st.integers(4, 40).map(lambda k: 2.0 ** -k)
    else:
        delta = _float_arg(delta, "delta", low=2.0**-45, high=0.5)
    return _program_strategy(problem, m, N, s, lam, noise, kind, dt, False, delta=delta)


# --------------------------------------------------------------------------------------
# rNSP instances and impossibility families (checks from theorycheck.rnsp / .impossibility)
# --------------------------------------------------------------------------------------

def rnsp_instances(
    *,
    m: int | SearchStrategy[int] | None = None,
    N: int | SearchStrategy[int] | None = None,
    s: int | SearchStrategy[int] = 1,
    rho: float | SearchStrategy[float] | None = None,
    kind: str = "gaussian",
) -> SearchStrategy[RNSPInstance]:
    """Strategy for matrices with known rNSP constants ``(ρ, γ)`` (docs/theory.md §2).

    Draws a real sensing matrix and ``ρ``, and computes the smallest ``γ``
    with :func:`theorycheck.rnsp.rnsp_gamma` (exact for ``s = 1``, a certified
    interval for ``s ≥ 2`` whose safe side is used). Draws for which the stable
    NSP with ``ρ`` fails (``γ = ∞``) are rejected.

    Parameters
    ----------
    m, N : int or strategy of ints, optional
        Default ``m ∈ [4, 8]``, ``N ∈ [m+1, m+4]`` (small: the constants are expensive).
    s : int or strategy of ints
        Order, ``1 ≤ s ≤ N`` (default 1: exact).
    rho : float or strategy of floats, optional
        ``ρ ∈ (0, 1)``, default in ``[0.3, 0.9]``.
    kind : str
        A real matrix kind of :func:`sensing_matrices` (not ``"fourier"``).

    Returns
    -------
    SearchStrategy[RNSPInstance]

    Theorem: robust null space property and the computation of γ (docs/theory.md §2).
    Rigor: as reported by :func:`theorycheck.rnsp.rnsp_gamma` (``RNSPInstance.rigor``).
    """
    m = _int_arg(m, "m", min_value=1, max_value=40) if m is not None else None
    N = _int_arg(N, "N", min_value=2, max_value=60) if N is not None else None
    s = _int_arg(s, "s", min_value=1)
    rho = (_float_arg(rho, "rho", low=0.0, high=1.0, low_open=True, high_open=True)
           if rho is not None else st.floats(0.3, 0.9))
    kind = _choice_arg(kind, "kind", MATRIX_KINDS)
    if kind == "fourier":
        raise InvalidArgument("rnsp_instances draws real matrices: pick a real kind, not 'fourier'")
    _matrix_constraints(kind, m, N, np.dtype(np.float64))
    if isinstance(s, int) and isinstance(N, int) and s > N:
        raise InvalidArgument(f"s={s} > N={N}")

    @st.composite
    def _draw(draw):
        mm = (_drawn(draw, m, lambda v: _int_arg(v, "drawn m", min_value=1, strategy_ok=False))
              if m is not None else draw(st.integers(4, 8)))
        if N is not None:
            NN = _drawn(draw, N, lambda v: _int_arg(v, "drawn N", min_value=2, strategy_ok=False))
        elif kind == "hadamard":
            NN = draw(st.sampled_from([2 ** k for k in range(2, 6) if 2 ** k > mm] or [2 * mm]))
        else:
            NN = draw(st.integers(mm + 1, mm + 4))
        ss = _drawn(draw, s, lambda v: _int_arg(v, "drawn s", min_value=1, strategy_ok=False))
        if ss > NN:
            raise InvalidArgument(f"drew s={ss} > N={NN}")
        try:
            _matrix_constraints(kind, mm, NN, np.dtype(np.float64))
        except InvalidArgument:
            assume(False)
        r = _drawn(draw, rho, lambda v: _float_arg(v, "drawn rho", low=0.0, high=1.0, low_open=True,
                                                     high_open=True, strategy_ok=False))
        seed = draw(st.integers(0, 2**32 - 1))
        A = sensing_matrix(kind, mm, NN, np.dtype(np.float64), np.random.default_rng(seed))
        res = rnsp_gamma(A, ss, r, progress=False)
        gamma = float(res.value)  # the certified upper side
        assume(math.isfinite(gamma))
        return RNSPInstance(A, ss, r, gamma, res.upper_rigor, res)

    return _draw()


def impossibility_instances(
    K: int | SearchStrategy[int],
    *,
    n: int | SearchStrategy[int] | None = None,
    problem: str = "srlasso",
    N1: int = 2,
    N2: int = 6,
    s: int = 2,
) -> SearchStrategy[Any]:
    """Strategy for the well-conditioned impossibility families Ω_K (docs/theory.md §6.2).

    Draws the precision level ``n`` and builds
    :func:`theorycheck.impossibility.build_family` ``(K, n, problem=...)``: its
    members differ by ``2^{-n-1}`` in one entry of ``A`` with identical ``y``,
    yet their certified minimisers are about ``3·10^{-K}`` apart, so no
    algorithm reading ``A`` to precision ``2^{-n}`` is ``10^{-K}``-accurate on
    all of them.

    Parameters
    ----------
    K : int or strategy of ints
        Accuracy level, ``3 ≤ K ≤ 1000`` (the theorem needs ``K > 2``).
    n : int or strategy of ints, optional
        Precision level ``1 ≤ n ≤ 10000`` (default in ``[1, 40]``).
    problem : {"srlasso", "lasso", "qcbp"}
    N1, N2, s : int
        Family sizes (``2 ≤ N1 ≤ 64`` members, ``1 ≤ N2 ≤ 1024`` extra coordinates, training
        sparsity ``s ≤ N2``). Families whose certification is estimated to take longer than
        :data:`theorycheck.impossibility.MAX_FAMILY_SECONDS` are refused (eagerly for fixed
        ``K`` and ``n``, else when drawn) with :class:`InvalidArgument`.

    Returns
    -------
    SearchStrategy[Family]
        ``family.member(j)`` gives exact and float64 data with the certified minimiser.

    Theorem: impossibility theorem, class Ω_K (docs/theory.md §6.1–6.2).
    Rigor: proven (exact data, certified minimisers and jump).
    """
    K = _int_arg(K, "K", min_value=3, max_value=MAX_FAMILY_K)
    n = (_int_arg(n, "n", min_value=1, max_value=MAX_FAMILY_LEVEL) if n is not None
         else st.integers(1, 40))
    problem = _choice_arg(problem, "problem", PROBLEM_KINDS)
    N1 = _int_arg(N1, "N1", min_value=2, max_value=MAX_FAMILY_N1, strategy_ok=False)
    N2 = _int_arg(N2, "N2", min_value=1, max_value=MAX_FAMILY_N2, strategy_ok=False)
    s = _int_arg(s, "s", min_value=1, strategy_ok=False)
    if s > N2:
        raise InvalidArgument(f"s={s} > N2={N2}: the training vectors live in the last N2 coordinates")

    def _family(KK: int, nn: int) -> Any:
        try:
            return build_family(KK, nn, problem=problem, N1=N1, N2=N2, s=s)
        except _tc_errors.InvalidArgument as exc:  # e.g. too much work for these sizes
            raise InvalidArgument(f"impossibility_instances(K={KK}, n={nn}): {exc}") from None

    if isinstance(K, int) and isinstance(n, int):
        est = estimated_family_seconds(N1, N2, required_dps(K, n) + 10)
        if est > MAX_FAMILY_SECONDS:
            raise InvalidArgument(f"the family Ω_{K} at n={n} with N1={N1}, N2={N2} would take about "
                                  f"{est:.3g} s to certify (limit {MAX_FAMILY_SECONDS:g}): use smaller sizes")

    @st.composite
    def _draw(draw):
        KK = _drawn(draw, K, lambda v: _int_arg(v, "drawn K", min_value=3, max_value=MAX_FAMILY_K,
                                                  strategy_ok=False))
        nn = _drawn(draw, n, lambda v: _int_arg(v, "drawn n", min_value=1, max_value=MAX_FAMILY_LEVEL,
                                                  strategy_ok=False))
        return _family(KK, nn)

    return _draw()


def precisions(*, min_dps: int = 15, max_dps: int = 120) -> SearchStrategy[Any]:
    """Strategy for working precisions: :class:`theorycheck.numerics.precision` contexts.

    Use as ``with draw(precisions()) as p: ...`` (``p.dps`` decimal digits,
    ``p.bits`` bits); the previous precision is restored on exit.

    Parameters
    ----------
    min_dps, max_dps : int
        ``1 ≤ min_dps ≤ max_dps ≤ 10000`` decimal digits (shrinks towards ``min_dps``).

    Returns
    -------
    SearchStrategy[precision]

    Theorem: none (ball arithmetic is rigorous at every precision; the
    precision only decides how often it is conclusive).
    Rigor: not applicable.
    """
    lo = _int_arg(min_dps, "min_dps", min_value=1, max_value=10000, strategy_ok=False)
    hi = _int_arg(max_dps, "max_dps", min_value=1, max_value=10000, strategy_ok=False)
    if lo > hi:
        raise InvalidArgument(f"min_dps={lo} > max_dps={hi}")
    return st.integers(lo, hi).map(lambda d: precision(dps=d))
