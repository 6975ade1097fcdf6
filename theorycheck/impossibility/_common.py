"""Limits, argument validation, exact input conversion and the cost model of the impossibility checks.

Shared by :mod:`~theorycheck.impossibility.family`,
:mod:`~theorycheck.impossibility.certificate`,
:mod:`~theorycheck.impossibility.lasso_3x2` and
:mod:`~theorycheck.impossibility.solver_check`. Sizes are bounded before any
work: requests whose ball arithmetic is estimated (:func:`ball_seconds`) to take
longer than :data:`MAX_FAMILY_SECONDS` are refused with
:class:`~theorycheck.errors.InvalidArgument`.

Theorem: none (infrastructure for docs/theory.md §6).
Rigor: not applicable (validation and estimates; conversions are exact).
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import is_torch, to_numpy
from theorycheck.numerics.exact import to_fraction
from theorycheck.numerics.validation import integer_arg, refuse_size

__all__ = ["bounded_int", "exact_real", "exact_column", "fraction_matrix", "answer_vector", "ball_seconds",
           "refuse_work", "required_dps", "estimated_family_seconds"]

#: the programs an impossibility family is built for
KINDS = ("srlasso", "lasso", "qcbp")
#: extra decimal digits above :func:`required_dps` used by default
GUARD_DPS = 10
#: largest number of members ``N₁`` of a family (the float64 check compares every pair)
MAX_FAMILY_MEMBERS = 1000
#: largest barrier exponent ``K`` and precision level ``n`` accepted (the work is then refused
#: by the estimate below long before these are reached; they keep the estimate's arithmetic finite)
MAX_K = 100_000
MAX_N = 1_000_000
#: largest estimated time (seconds) of building and certifying a family, an oracle or a certificate;
#: bigger requests (``dps = 10**7``, ``N₂ = 10**6``, ...) are refused before any work
MAX_FAMILY_SECONDS = 300.0
#: largest number of training samples and of stored sample entries (``samples · N₂``)
MAX_SAMPLES = 2 ** 18
MAX_SAMPLE_ENTRIES = 2 ** 26
#: largest number of entries converted to exact rationals (:func:`fraction_matrix`, :func:`exact_column`)
MAX_EXACT_ENTRIES = 2 ** 20
#: largest working precision (digits) of the 3×2 LASSO and of the interpolating certificate
MAX_3X2_DPS = 50_000
#: longest numerator or denominator (bits) of an exact real argument
MAX_RATIONAL_BITS = 400_000


def bounded_int(v: Any, name: str, lo: int, hi: int, what: str) -> int:
    """``v`` as an int in ``[lo, hi]``, or :class:`InvalidArgument` saying which range and why.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    v = integer_arg(v, name, minimum=lo)
    if v > hi:
        raise InvalidArgument(f"{name}={v} is too large: pass {lo} ≤ {name} ≤ {hi} ({what}); "
                              "the exact arithmetic would not finish")
    return v


def exact_real(v: Any, name: str) -> Fraction:
    """The exact rational value of a finite real number (int, float, Fraction, numpy scalar, p/q string).

    Theorem: none (infrastructure).
    Rigor: exact (no rounding).
    """
    if isinstance(v, (bool, np.bool_)):
        raise InvalidArgument(f"{name}={v!r}: pass a real number, not a bool")
    if isinstance(v, str):
        t = v.strip()
        if len(t) > 1000:
            raise InvalidArgument(f"{name}: the string is too long")
        try:
            f = Fraction(t)
        except (ValueError, ZeroDivisionError):
            raise InvalidArgument(f"{name}={v!r}: not a number (pass e.g. 0.1 or '1/10')") from None
    elif isinstance(v, (numbers.Real, Fraction, np.floating, np.integer)):
        try:
            f = to_fraction(v)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidArgument(f"{name}={v!r}: pass a finite real number ({exc})") from None
    else:
        raise InvalidArgument(f"{name}={v!r}: pass a finite real number")
    if max(abs(f.numerator).bit_length(), f.denominator.bit_length()) > MAX_RATIONAL_BITS:
        raise InvalidArgument(f"{name}: numerator or denominator longer than {MAX_RATIONAL_BITS} bits")
    return f


def _object_array(v: Any, name: str, what: str) -> np.ndarray:
    """``v`` as an object array of its entries (tensors read exactly), at most :data:`MAX_EXACT_ENTRIES`."""
    if v is None or isinstance(v, (str, bytes)):
        raise InvalidArgument(f"{name} must be a numeric {what}, got {v!r}")
    if is_torch(v):
        v = to_numpy(v)
    try:
        size = np.size(v)
        if size > MAX_EXACT_ENTRIES:
            raise InvalidArgument(f"{name} has {size} entries: at most {MAX_EXACT_ENTRIES} are converted "
                                  "to exact rationals (use a smaller instance)")
        return np.asarray(v, dtype=object)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InvalidArgument):
            raise
        raise InvalidArgument(f"{name} could not be read as a {what}: {exc}") from None


def exact_column(v: Any, name: str) -> np.ndarray:
    """``v`` as an object column (tensors of any dtype included, read exactly), sizes bounded.

    Theorem: none (infrastructure).
    Rigor: exact (no rounding).
    """
    return _object_array(v, name, "vector").reshape(-1, 1)


def fraction_matrix(M: Any, name: str) -> list[list[Fraction]]:
    """The entries of a non-empty matrix (or vector) as exact rationals, sizes bounded.

    Theorem: none (infrastructure).
    Rigor: exact (no rounding).
    """
    arr = _object_array(M, name, "matrix")
    if arr.ndim != 2 or arr.size == 0:
        raise InvalidArgument(f"{name} must be a non-empty matrix (or vector), got shape {arr.shape}")
    return [[exact_real(v, name) for v in row] for row in arr]


def answer_vector(x: Any, N: int) -> tuple[np.ndarray | None, str]:
    """``(vector, "")`` for a usable answer (float64 or complex128, exactly converted), else ``(None, why)``.

    Theorem: none (infrastructure).
    Rigor: exact (an answer that float64/complex128 cannot hold exactly is refused).
    """
    try:
        arr = to_numpy(x)
    except Exception as exc:  # noqa: BLE001 - ragged lists, objects that refuse conversion
        return None, f"the answer cannot be read as an array ({type(exc).__name__})"
    if arr.dtype.kind not in "iufc":
        return None, f"the answer is not a numeric vector (dtype {arr.dtype})"
    if arr.size != N or sum(d != 1 for d in arr.shape) > 1:
        return None, f"the answer has shape {arr.shape}, the minimiser has {N} entries"
    flat = arr.reshape(-1)
    target = np.dtype(np.complex128 if flat.dtype.kind == "c" else np.float64)
    with np.errstate(all="ignore"):
        conv = flat.astype(target)
        if flat.dtype.kind in "iu":  # integers beyond 2^53 would be rounded
            exact = bool(np.all((flat >= -(2 ** 53)) & (flat <= 2 ** 53)))
        elif flat.dtype.itemsize <= target.itemsize:
            exact = True  # float16/32/64, complex64/128: exact in binary64
        else:  # long double: exact only if every entry survives the round trip
            exact = bool(np.all((conv.astype(flat.dtype) == flat) | ~np.isfinite(flat)))
    if not exact:
        return None, f"the answer's dtype {arr.dtype} cannot be converted to {np.dtype(target)} exactly"
    if not np.all(np.isfinite(conv)):
        return None, "the answer contains NaN or inf"
    return conv, ""


def ball_seconds(ops: float, bits: float) -> float:
    """Rough time of ``ops`` ball operations at ``bits`` bits (calibrated on python-flint; ~3× high).

    Theorem: none (a cost model).
    Rigor: not applicable (an estimate).
    """
    return float(ops) * 5e-6 * max(1.0, float(bits) / 90.0) ** 1.1


def refuse_work(ops: float, bits: float, what: str, hint: str) -> None:
    """Refuse ``ops`` ball operations at ``bits`` bits when they would exceed :data:`MAX_FAMILY_SECONDS`.

    Theorem: none (a cost model).
    Rigor: not applicable (an estimate).
    """
    refuse_size(ball_seconds(ops, bits), MAX_FAMILY_SECONDS, f"{what} (estimated seconds)", hint)


def required_dps(K: int, n: int) -> int:
    """Decimal digits needed to separate the members of ``Ω_K`` at precision level ``n``.

    ``⌈0.302(n + 1) + K + 3⌉``: the members' largest entries ``α`` and
    ``α + 2^{-n-1}`` (``α ≈ 10^K``) differ in the ``0.302(n+1) + K``-th digit.

    Parameters
    ----------
    K : int
        Barrier exponent, ``1 ≤ K ≤ MAX_K``.
    n : int
        Precision level, ``1 ≤ n ≤ MAX_N``.

    Theorem: docs/theory.md §6.2 (the precision the family needs).
    Rigor: not applicable (a sizing rule; separation itself is decided in balls).

    Examples
    --------
    >>> required_dps(6, 30)
    19
    """
    K = bounded_int(K, "K", 1, MAX_K, "the barrier is 10^-K")
    n = bounded_int(n, "n", 1, MAX_N, "the precision level")
    return int(math.ceil(0.302 * (n + 1) + K + 3))


def estimated_family_seconds(N1: int, N2: int, dps: int) -> float:
    """Estimated seconds to build and certify every member of a family and its float64 check.

    ``(N₁ m N + N₁² m + m²)`` ball operations (``m = N₂ + 1``, ``N = N₁ + N₂``:
    the members' dual certificates, the pairwise float64 separation test and
    the DCT) at ``dps`` digits; calibrated to overestimate by about 3×.
    :func:`~theorycheck.impossibility.build_family` refuses families above
    :data:`MAX_FAMILY_SECONDS`.

    Theorem: none (a cost model).
    Rigor: not applicable (an estimate).

    Examples
    --------
    >>> estimated_family_seconds(2, 20, 20) < 1
    True
    """
    N1 = integer_arg(N1, "N1")
    N2 = integer_arg(N2, "N2")
    dps = integer_arg(dps, "dps")
    m, N = float(N2) + 1, float(N1) + float(N2)
    return ball_seconds(N1 * m * N + float(N1) ** 2 * m + m * m, 3.33 * dps)
