"""Validation of scalar arguments, shared by every layer.

Theorem: none (infrastructure).
Rigor: not applicable.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

import numpy as np

from theorycheck.errors import InvalidArgument

__all__ = ["binary64_exact", "integer_arg", "real_arg", "finite_real_arg", "probability_arg", "choice_arg", "bool_arg",
           "seed_arg", "refuse_size"]


def integer_arg(value: Any, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int ≥ minimum`` (and ``≤ maximum``) or raise :class:`InvalidArgument`.

    Bools are rejected; ``maximum`` bounds counts that size a computation, so
    absurd values are refused before any work.

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> integer_arg(3, "steps")
    3
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise InvalidArgument(f"{name} must be an integer ≥ {minimum}, got {value!r}")
    if maximum is not None and int(value) > maximum:
        raise InvalidArgument(f"{name} = {int(value)} exceeds the limit {maximum}: pass a smaller value")
    return int(value)


def real_arg(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float ``> 0`` (``≥ 0`` with ``allow_zero``) or raise.

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> real_arg(0.5, "eta")
    0.5
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidArgument(f"{name} must be a real number, got {value!r}")
    v = _float(value, name)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InvalidArgument(f"{name} must be a finite number {'≥' if allow_zero else '>'} 0, got {value!r}")
    return v


def binary64_exact(value: Any, v: float) -> bool:
    """Whether the real number ``value`` equals the float64 ``v`` exactly.

    Python and numpy floats of at most 64 bits are exact by definition; integers,
    rationals (``Fraction``, sympy ``Rational``), binary multiprecision floats
    (mpmath ``mpf``, sympy ``Float``) and long doubles are compared exactly; any
    other type is reported inexact, so that a proof never silently uses a
    rounded parameter.

    Examples
    --------
    >>> from fractions import Fraction
    >>> binary64_exact(Fraction(1, 4), 0.25), binary64_exact(Fraction(1, 3), float(Fraction(1, 3)))
    (True, False)

    Theorem: none (infrastructure: exact conversion or refusal).
    Rigor: exact comparison.
    """
    if isinstance(value, (float, np.floating)) and not (isinstance(value, np.floating)
                                                       and value.dtype.itemsize > 8):
        return True
    if not math.isfinite(v):
        return False
    if isinstance(value, numbers.Integral):
        return int(value) == Fraction(v)
    if isinstance(value, np.floating):  # long double
        return bool(np.longdouble(v) == value)
    if isinstance(value, numbers.Rational):
        return Fraction(int(value.numerator), int(value.denominator)) == Fraction(v)
    mpf = getattr(value, "_mpf_", None)  # mpmath mpf and sympy Float: (sign, mantissa, exponent, bits)
    if isinstance(mpf, tuple) and len(mpf) == 4:
        sign, man, exp, _ = mpf
        if not man:
            return v == 0.0
        q = Fraction(int(man)) * (Fraction(2) ** int(exp))
        return (-q if sign else q) == Fraction(v)
    return False


def _float(value: Any, name: str) -> float:
    try:
        v = float(value)
    except OverflowError:  # an int beyond the float range
        raise InvalidArgument(f"{name} = {value!r} is beyond the float64 range") from None
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name} must be a real number, got {value!r}") from None
    if math.isfinite(v) and not binary64_exact(value, v):
        raise InvalidArgument(f"{name} = {value!r} is not a float64 value and the checks compute with "
                              f"float64 parameters: pass float({name}) = {v!r} if the rounded value is meant")
    return v


def finite_real_arg(value: Any, name: str) -> float:
    """Return ``value`` as a finite float (any sign) or raise :class:`InvalidArgument`.

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> finite_real_arg(-2, "offset")
    -2.0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidArgument(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    v = _float(value, name)
    if not math.isfinite(v):
        raise InvalidArgument(f"{name} must be finite, got {value!r}")
    return v


def probability_arg(value: Any, name: str) -> float:
    """Return ``value`` as a float in the open interval (0, 1) or raise.

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> probability_arg(0.95, "confidence")
    0.95
    """
    v = finite_real_arg(value, name)
    if not 0.0 < v < 1.0:
        raise InvalidArgument(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return v


def choice_arg(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices`` (strings), else raise naming them.

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> choice_arg("l2", "norm", ("l2", "linf"))
    'l2'
    """
    if not isinstance(value, str) or value not in choices:
        raise InvalidArgument(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def bool_arg(value: Any, name: str) -> bool:
    """Return ``value`` if it is a bool (numpy bools included), else raise.

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> bool_arg(True, "progress")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidArgument(f"{name} must be True or False, got {value!r}")
    return bool(value)


def seed_arg(seed: Any, name: str = "seed") -> np.random.Generator:
    """Turn ``None``, a non-negative int, a ``SeedSequence`` or a ``Generator`` into a Generator.

    A Generator is returned as is (the caller's stream advances); anything
    else (negative ints, floats, strings, bools) raises :class:`InvalidArgument`.

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> float(seed_arg(0).uniform()) == float(seed_arg(0).uniform())
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise InvalidArgument(f"{name} must be None, a non-negative int or a numpy.random.Generator, "
                              f"got {seed!r} ({type(seed).__name__})")
    if int(seed) < 0:
        raise InvalidArgument(f"{name} must be non-negative, got {int(seed)}")
    return np.random.default_rng(int(seed))


def refuse_size(estimate: float, limit: float, what: str, hint: str = "") -> None:
    """Raise :class:`InvalidArgument` when a computation's estimated size exceeds ``limit``.

    Use it *before* allocating or entering uninterruptible C code, with an
    estimate in the unit of ``limit`` (bytes, operations, seconds).

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> refuse_size(10, 100, "the Gram matrix")
    """
    if not math.isfinite(float(estimate)) or float(estimate) > float(limit):
        raise InvalidArgument(f"{what} is too large to compute here (estimated {float(estimate):.3g}, "
                              f"limit {float(limit):.3g})" + (f": {hint}" if hint else ""))
