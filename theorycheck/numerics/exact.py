"""Exact conversion of data to rationals and python-flint balls; rigorous decisions.

A binary64 float is a dyadic rational, so it converts to ``fractions.Fraction``,
``flint.fmpq`` and ``flint.arb`` (radius zero) without error. Inputs given at
higher precision (mpmath numbers, sympy expressions, decimal strings) become
balls that contain the exact value.

Theorem: none (infrastructure for every rigorous certificate).
Rigor: proven — conversions are exact or produce enclosing balls; ``decide_*``
functions return only what the balls prove and otherwise raise
:class:`~theorycheck.errors.InsufficientPrecision`.
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Any

import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument

__all__ = [
    "to_fraction",
    "to_fmpq",
    "to_arb",
    "to_acb",
    "arb_matrix",
    "acb_matrix",
    "ball_to_strings",
    "ball_sq",
    "ball_upper",
    "ball_lower",
    "decide_less",
    "decimal_string",
]


def to_fraction(x: Any) -> Fraction:
    """Return the exact rational value of a float, int, Fraction or numpy scalar.

    Examples
    --------
    >>> to_fraction(0.1)
    Fraction(3602879701896397, 36028797018963968)

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (bool, np.bool_)):
        return Fraction(int(x))
    if isinstance(x, (numbers.Integral, np.integer)):
        return Fraction(int(x))
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            raise InvalidArgument(f"cannot convert {x} to a rational: pass finite values")
        return Fraction(*x.as_integer_ratio())  # exact for every binary format, longdouble included
    if type(x).__name__ == "fmpq":
        return Fraction(int(x.p), int(x.q))
    if type(x).__name__ == "mpf":
        man, exp = _mpf_man_exp(x)
        return Fraction(man) * (Fraction(2) ** exp)
    try:
        import sympy

        if isinstance(x, sympy.Basic) and x.is_Rational:
            return Fraction(int(x.p), int(x.q))
    except ImportError:  # pragma: no cover
        pass
    raise InvalidArgument(f"cannot convert {type(x).__name__} {x!r} exactly to a rational")


def _mpf_man_exp(x: Any) -> tuple[int, int]:
    """Signed mantissa and exponent of a finite mpmath number (``mpf.man_exp`` drops the sign)."""
    sign, man, exp, _ = x._mpf_
    if not man and exp:  # inf / nan are encoded with a zero mantissa and a nonzero exponent
        raise InvalidArgument(f"{x} is not finite: pass finite values")
    return (-int(man) if sign else int(man)), int(exp)


#: float dtypes whose values convert to binary64 without rounding
_BINARY64_EXACT = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def to_fmpq(x: Any) -> Any:
    """Exact ``flint.fmpq`` of a rational-valued input (see :func:`to_fraction`).

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    import flint

    f = to_fraction(x)
    return flint.fmpq(f.numerator, f.denominator)


def to_arb(x: Any) -> Any:
    """Return a ``flint.arb`` ball that contains the exact value of ``x``.

    Floats, ints and rationals representable at the working precision are
    exact (radius 0); mpmath numbers are exact binary values; sympy
    expressions and strings are evaluated to an enclosing ball.

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    import flint

    if isinstance(x, flint.arb):
        return x
    if isinstance(x, (bool, np.bool_, numbers.Integral, np.integer)):
        return flint.arb(int(x))
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            raise InvalidArgument(f"{x} is not finite: pass finite values")
        if isinstance(x, float) or np.dtype(type(x)).itemsize <= 8:
            return flint.arb(float(x))  # exact: a binary64 value fits in any arb precision
        num, den = x.as_integer_ratio()  # wider formats (longdouble): exact rational, then a ball
        return flint.arb(flint.fmpq(int(num), int(den)))
    if isinstance(x, Fraction) or type(x).__name__ == "fmpq":
        f = to_fraction(x)
        return flint.arb(flint.fmpq(f.numerator, f.denominator))
    if type(x).__name__ == "mpf":
        man, exp = _mpf_man_exp(x)
        return flint.arb(flint.fmpq(man * 2 ** exp, 1) if exp >= 0 else flint.fmpq(man, 2 ** (-exp)))
    if isinstance(x, str):
        return flint.arb(x)
    try:
        import sympy

        if isinstance(x, sympy.Basic):
            if x.is_Rational:
                return flint.arb(flint.fmpq(int(x.p), int(x.q)))
            return _sympy_to_arb(x)
    except ImportError:  # pragma: no cover
        pass
    raise InvalidArgument(f"cannot convert {type(x).__name__} to a real ball")


def _sympy_to_arb(expr: Any) -> Any:
    import flint

    # sympy evaluates with guaranteed-correct digits only for simple expressions;
    # widen to an explicit radius of a few ulps at a higher precision so the ball
    # provably contains the value.
    bits = int(flint.ctx.prec) + 32
    digits = int(bits * 0.30103) + 5
    s = str(expr.evalf(digits))
    ball = flint.arb(s)
    return ball + flint.arb(0, flint.arb(2) ** (-(bits - 16)) * (abs(ball).upper() + 1))


def to_acb(x: Any) -> Any:
    """Return a ``flint.acb`` ball containing the complex value of ``x``.

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    import flint

    if isinstance(x, flint.acb):
        return x
    if isinstance(x, (complex, np.complexfloating)):
        return flint.acb(to_arb(x.real), to_arb(x.imag))
    if type(x).__name__ == "mpc":
        return flint.acb(to_arb(x.real), to_arb(x.imag))
    try:
        import sympy

        if isinstance(x, sympy.Basic):
            re, im = x.as_real_imag()
            return flint.acb(to_arb(re), to_arb(im))
    except ImportError:  # pragma: no cover
        pass
    return flint.acb(to_arb(x))


def _rows(A: Any) -> list[list[Any]]:
    if hasattr(A, "tolist") and not isinstance(A, np.ndarray) and type(A).__name__ == "matrix":
        return [[A[i, j] for j in range(A.cols)] for i in range(A.rows)]  # mpmath matrix
    if hasattr(A, "rows") and hasattr(A, "cols") and not isinstance(A, np.ndarray):
        return [[A[i, j] for j in range(A.cols)] for i in range(A.rows)]  # sympy / mpmath
    arr = np.asarray(A, dtype=object) if not isinstance(A, np.ndarray) else A
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise InvalidArgument(f"expected a matrix or vector, got shape {arr.shape}")
    return [list(r) for r in arr]


def arb_matrix(A: Any) -> Any:
    """Exact ``flint.arb_mat`` of a real matrix (numpy, mpmath, sympy, nested lists).

    A 1-D input becomes a column.

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    import flint

    if isinstance(A, np.ndarray) and (A.dtype.kind == "i" or A.dtype in _BINARY64_EXACT):
        arr = A.reshape(-1, 1) if A.ndim == 1 else A
        if not np.all(np.isfinite(arr)):
            raise InvalidArgument("the matrix contains NaN or inf: pass finite values")
        return flint.arb_mat(arr.astype(float).tolist())  # float → arb is exact
    rows = _rows(A)
    return flint.arb_mat([[to_arb(v) for v in r] for r in rows])


def acb_matrix(A: Any) -> Any:
    """Exact ``flint.acb_mat`` of a complex (or real) matrix; 1-D input becomes a column.

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    import flint

    rows = _rows(A)
    return flint.acb_mat([[to_acb(v) for v in r] for r in rows])


def decimal_string(x: Any, digits: int | None = None) -> str:
    """Decimal string of a ball's midpoint or of an mpmath/float number.

    Parameters
    ----------
    x : arb, mpf, float, Fraction
        The number.
    digits : int, optional
        Significant digits; defaults to the working precision's.

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    import flint

    if digits is None:
        digits = max(17, int(flint.ctx.dps) + 2)
    if isinstance(x, flint.arb):
        return x.mid().str(digits, radius=False)
    if type(x).__name__ == "mpf":
        import mpmath

        return mpmath.nstr(x, digits, strip_zeros=False, min_fixed=-1, max_fixed=0) if x else "0"
    if isinstance(x, Fraction):
        return flint.arb(flint.fmpq(x.numerator, x.denominator)).str(digits, radius=False)
    return repr(float(x))


def ball_to_strings(x: Any, digits: int | None = None) -> tuple[str, str]:
    """Midpoint and an upper bound of the radius of a ball, as decimal strings.

    The returned radius is rounded up and widened by the conversion error of the
    midpoint, so ``[mid - rad, mid + rad]`` read back from the strings still
    contains the ball.

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    import flint

    if digits is None:
        digits = max(17, int(flint.ctx.dps) + 2)
    mid_s = x.mid().str(digits, radius=False)
    # error of printing the midpoint plus the ball's own radius, rounded up
    err = abs(flint.arb(mid_s) - x.mid()).upper() + x.rad()
    rad_s = flint.arb(err).upper().str(5, radius=False)
    rad_back = flint.arb(rad_s)
    if rad_back < err:  # printed radius rounded down: bump it by one unit in the 5th digit
        rad_s = (flint.arb(err) * flint.arb("1.0001")).upper().str(5, radius=False)
    return mid_s, rad_s


def ball_sq(a: Any) -> Any:
    """``a²`` for a ball, as ``a·a``: python-flint 0.9 returns nan for ``arb(0, r) ** 2``.

    Theorem: none (infrastructure).
    Rigor: proven (ball multiplication).
    """
    return a * a


def ball_upper(x: Any) -> float:
    """A float that is ≥ every point of the real ball ``x`` (rounded outward).

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    return float(np.nextafter(float(x.upper()), np.inf))


def ball_lower(x: Any) -> float:
    """A float that is ≤ every point of the real ball ``x`` (rounded outward).

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    return float(np.nextafter(float(x.lower()), -np.inf))


def decide_less(a: Any, b: Any, what: str = "inequality") -> bool:
    """Decide ``a < b`` for balls rigorously.

    Returns True if every point of ``a`` is below every point of ``b``, False if
    every point of ``a`` is ≥ every point of ``b``; raises
    :class:`InsufficientPrecision` when the balls overlap.

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    import flint

    a = to_arb(a) if not isinstance(a, flint.arb) else a
    b = to_arb(b) if not isinstance(b, flint.arb) else b
    if a < b:
        return True
    if a >= b:
        return False
    raise InsufficientPrecision(
        f"cannot decide the {what} at {flint.ctx.prec} bits: the balls "
        f"{a.str(8, radius=True)} and {b.str(8, radius=True)} overlap; raise the precision",
        needed_dps=2 * int(flint.ctx.dps),
    )

