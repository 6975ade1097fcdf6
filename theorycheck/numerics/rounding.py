"""Rounding toolkit for float64 certificates: one unit roundoff, outward rounding, decisions.

Everything that turns float64 arithmetic into a *certified* statement goes
through these helpers, so that the rounding model is written down once:

* ``U = 2⁻⁵³`` is the unit roundoff of binary64 and ``gamma(n) = nU/(1 − nU)``
  Higham's constant: for any summation order, ``|fl(Σ aᵢbᵢ) − Σ aᵢbᵢ| ≤ γₙ Σ|aᵢ||bᵢ|``.
* :func:`round_down` / :func:`round_up` move a float64 one representable step
  outward (after the caller has added its own error bound).
* :func:`norm2` is a *deterministic* Euclidean norm: the squares are IEEE
  products and the sum is :func:`math.fsum` (correctly rounded), so the same
  input gives the same bits on every machine, BLAS and numpy version. Verifiers
  rely on that to re-derive saved numbers bit for bit.
  :func:`norm2_bounds` encloses the exact norm of the stored values.
* :func:`decide` turns a margin and its rounding allowance into True / False /
  undecided (None); :func:`decide_or_raise` raises instead of returning None.

Theorem: none (infrastructure for every certified-float64 claim).
Rigor: the bounds are rigorous for IEEE binary64 arithmetic with
round-to-nearest (the default on every platform numpy supports).
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import numpy as np

from theorycheck.errors import InsufficientPrecision

__all__ = [
    "U",
    "TINY",
    "gamma",
    "round_down",
    "round_up",
    "round_sig",
    "norm2",
    "norm2_bounds",
    "decide",
    "decide_or_raise",
    "widen_radius",
    "ball_contained",
]

#: unit roundoff of binary64 (round to nearest)
U = 2.0 ** -53
#: smallest positive subnormal binary64: the absolute error floor of one rounded operation
TINY = 2.0 ** -1074


def gamma(n: int) -> float:
    """Higham's ``γₙ = nU/(1 − nU)``, rounded up (``inf`` when ``nU ≥ 1``).

    Theorem: Higham, *Accuracy and Stability of Numerical Algorithms*, Lemma 3.1.
    Rigor: proven (an upper bound on γₙ).

    Examples
    --------
    >>> gamma(1) > 2.0 ** -53
    True
    """
    n = int(n)
    if n <= 0:
        return 0.0
    nu = n * U
    if nu >= 0.5:
        return math.inf
    return round_up(round_up(nu) / round_down(1.0 - nu))


def round_down(v: Any) -> Any:
    """The next float64 below ``v`` (arrays elementwise; ``-inf``, ``nan`` unchanged).

    Theorem: none (infrastructure).
    Rigor: proven (the result is strictly below ``v`` for finite ``v``).

    Examples
    --------
    >>> round_down(1.0) < 1.0
    True
    """
    r = np.nextafter(np.asarray(v, dtype=np.float64), -np.inf)
    return float(r) if r.ndim == 0 else r


def round_up(v: Any) -> Any:
    """The next float64 above ``v`` (arrays elementwise).

    Theorem: none (infrastructure).
    Rigor: proven (the result is strictly above ``v`` for finite ``v``).

    Examples
    --------
    >>> round_up(1.0) > 1.0
    True
    """
    r = np.nextafter(np.asarray(v, dtype=np.float64), np.inf)
    return float(r) if r.ndim == 0 else r


def round_sig(v: float, digits: int, up: bool) -> float:
    """``v`` rounded outward (up or down) to ``digits`` significant decimal digits.

    Used where a number computed by a library (scipy's beta quantiles) is stored in
    a result that a verifier re-derives: versions that agree to ``digits`` digits
    then give the same bits, and the rounding never moves the bound inward.

    Examples
    --------
    >>> round_sig(1234.5, 3, up=True), round_sig(1234.5, 3, up=False)
    (1240.0, 1230.0)

    Theorem: none (infrastructure).
    Rigor: the result is ≥ ``v`` (``up``) or ≤ ``v`` (not ``up``), exactly.
    """
    v = float(v)
    if v == 0.0 or not math.isfinite(v):
        return v
    e = math.floor(math.log10(abs(v))) - digits + 1
    d = Decimal(v).quantize(Decimal(1).scaleb(e), rounding=ROUND_CEILING if up else ROUND_FLOOR)
    f = float(d)
    if up and Decimal(f) < d:
        f = round_up(f)
    if not up and Decimal(f) > d:
        f = round_down(f)
    return f


def _scaled_squares(v: Any) -> tuple[np.ndarray, int]:
    a = np.abs(np.asarray(v)).astype(np.float64, copy=False).ravel()
    if a.size == 0:
        return a, 0
    top = float(np.max(a))
    if not math.isfinite(top):
        return np.array([math.inf if math.isinf(top) else math.nan]), 0
    if top == 0.0:
        return np.zeros(1), 0
    # scale by an exact power of two so that the largest entry is in [1/2, 1): no overflow
    _, e = math.frexp(top)
    return np.ldexp(a, -e), e


def norm2(v: Any) -> float:
    """Deterministic float64 Euclidean norm of all entries of ``v`` (real or complex).

    The same bits on every machine: entries are scaled by an exact power of
    two, squared (IEEE products), summed with :func:`math.fsum` (correctly
    rounded) and the square root is correctly rounded. Its relative error
    against the exact norm of the stored values is below ``2U`` plus the
    underflow floor of :func:`norm2_bounds`.

    Theorem: none (infrastructure).
    Rigor: deterministic; see :func:`norm2_bounds` for an enclosure.

    Examples
    --------
    >>> norm2([3.0, 4.0])
    5.0
    """
    arr = np.asarray(v)
    if arr.dtype.kind == "c":
        arr = np.concatenate([arr.real.ravel(), arr.imag.ravel()])
    a, e = _scaled_squares(arr)
    if a.size == 0:
        return 0.0
    if not math.isfinite(float(a[0])) and a.size == 1:
        return float(a[0])
    s = math.fsum((a * a).tolist())
    return math.ldexp(math.sqrt(s), e)


def norm2_bounds(v: Any) -> tuple[float, float]:
    """``(lo, hi)`` with ``lo ≤ ‖v‖₂ ≤ hi`` for the exact norm of the stored values.

    Theorem: none (infrastructure).
    Rigor: proven for IEEE binary64 (each square has relative error ≤ U, or
    absolute error ≤ 2⁻¹⁰⁷⁴ once subnormal, the sum is correctly rounded and so
    is the square root).

    Examples
    --------
    >>> lo, hi = norm2_bounds([3.0, 4.0]); lo < 5.0 < hi
    True
    """
    arr = np.asarray(v)
    if arr.dtype.kind == "c":
        arr = np.concatenate([arr.real.ravel(), arr.imag.ravel()])
    a, e = _scaled_squares(arr)
    if a.size == 0:
        return 0.0, 0.0
    if a.size == 1 and not math.isfinite(float(a[0])):
        return float(a[0]), float(a[0])
    s = math.fsum((a * a).tolist())
    n = a.size
    # |fsum(fl(a_i²)) − Σ a_i²| ≤ U·s (final rounding) + U·Σ a_i² + n·TINY (products)
    err = 3 * U * s + n * TINY
    lo2, hi2 = max(0.0, s - err), s + err
    lo = round_down(math.sqrt(lo2)) if lo2 > 0 else 0.0
    hi = round_up(math.sqrt(hi2))
    return max(0.0, math.ldexp(lo, e)), math.ldexp(hi, e)


def decide(margin: float, tol: float) -> bool | None:
    """True when ``margin > tol``, False when ``margin < −tol``, otherwise None (undecided).

    ``tol`` is the rounding allowance of the computation that produced
    ``margin``: inside it the sign of the exact margin is unknown.

    Theorem: none (infrastructure).
    Rigor: as rigorous as ``tol``.

    Examples
    --------
    >>> decide(1.0, 0.1), decide(-1.0, 0.1), decide(0.05, 0.1)
    (True, False, None)
    """
    m, t = float(margin), float(tol)
    if not (math.isfinite(m) and t >= 0):
        return None
    if m > t:
        return True
    if m < -t:
        return False
    return None


def decide_or_raise(margin: float, tol: float, what: str) -> bool:
    """:func:`decide`, raising :class:`InsufficientPrecision` when undecided.

    Theorem: none (infrastructure).
    Rigor: as rigorous as ``tol``.

    Examples
    --------
    >>> decide_or_raise(1.0, 0.1, "margin")
    True
    """
    d = decide(margin, tol)
    if d is None:
        raise InsufficientPrecision(f"cannot decide {what}: margin {margin!r} within the rounding "
                                    f"allowance {tol!r}")
    return d


#: relative widening of a stored enclosure radius (of ``|centre|``): room for another machine's
#: BLAS/libm bits when a verifier re-encloses the same point
WIDEN_REL = 2.0 ** -44


def widen_radius(c: np.ndarray, r: np.ndarray) -> np.ndarray:
    """A float64 radius ``≥ 2r + 2⁻⁴⁴|c| + 2⁻¹⁰⁶⁰`` entrywise (never smaller than ``r``).

    Stored enclosures are widened this way so that a re-enclosure on another machine
    (other summation orders in BLAS, other libm bits) still lies inside them.

    Theorem: none (a larger radius encloses more).
    Rigor: proven (the sum is rounded up by one ulp, which covers its rounding).

    Examples
    --------
    >>> bool(widen_radius(np.array([1.0]), np.array([0.5]))[0] > 1.0)
    True
    >>> bool(widen_radius(np.array([1e10j]), np.array([0.0]))[0] >= 1e10 * 2.0 ** -44)
    True
    """
    mag = np.abs(np.asarray(c))  # complex centres: the modulus (never cast to real)
    r = np.asarray(r, dtype=np.float64)
    with np.errstate(over="ignore"):
        s = (2.0 * r + WIDEN_REL * mag) + 2.0 ** -1060
    return np.nextafter(s, np.inf)


def ball_contained(c_new: np.ndarray, r_new: np.ndarray, c: np.ndarray, r: np.ndarray) -> bool:
    """Whether ``[c_new ± r_new] ⊆ [c ± r]`` entrywise (complex centres: in modulus), decided
    with upward-rounded bounds; ``False`` for mismatched shapes or non-finite bounds.

    Theorem: none.
    Rigor: proven (``|c_new − c| + r_new`` rounded up before the comparison).

    Examples
    --------
    >>> ball_contained(np.array([1.0]), np.array([0.1]), np.array([1.0]), np.array([0.2]))
    True
    >>> ball_contained(np.array([1.0]), np.array([0.3]), np.array([1.0]), np.array([0.2]))
    False
    """
    if c_new.shape != c.shape or r_new.shape != r.shape:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        s = (np.abs(c_new - c) + r_new) * (1.0 + 8 * U) + 2.0 ** -1070
    return bool(np.all(np.isfinite(s)) and np.all(s <= r))
