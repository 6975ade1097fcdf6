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

import decimal
import numbers
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument
from theorycheck.numerics.backend import as_array, is_torch, to_numpy

__all__ = [
    "mpf_man_exp",
    "BINARY64_EXACT",
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
    "exact_input",
    "exact_storable",
    "upper_decimal_string",
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
    if isinstance(x, Decimal):
        if not x.is_finite():
            raise InvalidArgument(f"cannot convert {x} to a rational: pass finite values")
        return Fraction(x)
    if type(x).__name__ == "fmpq":
        return Fraction(int(x.p), int(x.q))
    if type(x).__name__ == "fmpz":
        return Fraction(int(x))
    if type(x).__name__ == "mpf":
        man, exp = mpf_man_exp(x)
        return _dyadic_fraction(man, exp)
    try:
        import sympy

        if isinstance(x, sympy.Basic):
            if x.is_Rational:
                return Fraction(int(x.p), int(x.q))
            if x.is_Float:
                import mpmath

                man, exp = mpf_man_exp(mpmath.mpf(x._mpf_))
                return _dyadic_fraction(man, exp)
    except ImportError:  # pragma: no cover
        pass
    raise InvalidArgument(f"cannot convert {type(x).__name__} {x!r} exactly to a rational")


#: largest binary exponent turned into an explicit rational (2**MAX would not fit in memory)
MAX_RATIONAL_EXPONENT = 2 ** 20


def _dyadic_fraction(man: int, exp: int) -> Fraction:
    if abs(exp) > MAX_RATIONAL_EXPONENT:
        raise InvalidArgument(f"the binary exponent {exp} is too large to form an exact rational "
                              f"(limit ±{MAX_RATIONAL_EXPONENT}): rescale the data")
    return Fraction(man * 2 ** exp) if exp >= 0 else Fraction(man, 2 ** -exp)


def mpf_man_exp(x: Any) -> tuple[int, int]:
    """Signed mantissa and exponent of a finite mpmath number (``mpf.man_exp`` drops the sign).

    Theorem: none (infrastructure).
    Rigor: exact.

    Examples
    --------
    >>> import mpmath; mpf_man_exp(mpmath.mpf(-0.75))
    (-3, -2)
    """
    sign, man, exp, _ = x._mpf_
    if not man and exp:  # inf / nan are encoded with a zero mantissa and a nonzero exponent
        raise InvalidArgument(f"{x} is not finite: pass finite values")
    return (-int(man) if sign else int(man)), int(exp)


#: float dtypes whose values convert to binary64 without rounding
BINARY64_EXACT = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_BINARY64_EXACT = BINARY64_EXACT  # old private name, until solvers.exact imports the public one


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
        return flint.arb(int(x))  # exact: arb holds any integer
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            raise InvalidArgument(f"{x} is not finite: pass finite values")
        if isinstance(x, float) or np.dtype(type(x)).itemsize <= 8:
            return flint.arb(float(x))  # exact: a binary64 value fits in any arb precision
        num, den = x.as_integer_ratio()  # wider formats (longdouble): exact dyadic value
        return flint.arb(_arf_of_dyadic(int(num), int(den)))
    if isinstance(x, (Fraction, Decimal)) or type(x).__name__ in ("fmpq", "fmpz"):
        f = to_fraction(x)
        return flint.arb(flint.fmpq(f.numerator, f.denominator))  # ball around the rational
    if type(x).__name__ == "mpf":
        man, exp = mpf_man_exp(x)
        return flint.arb(flint.arf((man, exp)))  # exact binary value, no 2**exp
    if isinstance(x, str):
        try:
            return flint.arb(x)
        except (ValueError, TypeError) as exc:
            raise InvalidArgument(f"cannot read {x[:40]!r} as a real number: {exc}") from None
    if isinstance(x, (complex, np.complexfloating)) or type(x).__name__ in ("mpc", "acb"):
        raise InvalidArgument(f"cannot convert the complex number {x!r} to a real ball: "
                              "pass real data (or use complex data with a program that allows it)")
    try:
        import sympy

        if isinstance(x, sympy.Basic):
            if x.is_Rational:
                return flint.arb(flint.fmpq(int(x.p), int(x.q)))
            return _sympy_to_arb(x)
    except ImportError:  # pragma: no cover
        pass
    raise InvalidArgument(f"cannot convert {type(x).__name__} to a real ball")


def _arf_of_dyadic(num: int, den: int) -> Any:
    """The exact ``arf`` of ``num/den`` with ``den`` a power of two (binary float values)."""
    import flint

    if den & (den - 1):
        raise InvalidArgument(f"{num}/{den} is not a dyadic rational")
    return flint.arf((num, -(den.bit_length() - 1)))


def _sympy_to_arb(expr: Any) -> Any:
    """A ball containing a real sympy number, computed in ball arithmetic from its expression tree.

    Supported: rationals, floats, π, e, Euler's γ, sums, products, powers
    (integer exponents; rational exponents of positive bases), exp, log, sqrt,
    trigonometric, hyperbolic and inverse trigonometric functions, abs. Anything
    else (symbols, unevaluated integrals, ...) raises :class:`InvalidArgument`:
    sympy's own ``evalf`` does not come with a rigorous error bound.
    """

    ball = _sympy_ball(expr, 0)
    if not ball.is_finite():
        raise InvalidArgument(f"could not enclose the sympy number {expr} in a finite ball "
                              "(a division by zero or a logarithm of 0?)")
    return ball


def _sympy_ball(e: Any, depth: int) -> Any:
    import flint
    import sympy

    if depth > 200:
        raise InvalidArgument("the sympy expression is nested too deeply to evaluate rigorously")
    if e.is_Rational:
        return flint.arb(flint.fmpq(int(e.p), int(e.q)))
    if e.is_Float:
        import mpmath

        return to_arb(mpmath.mpf(e._mpf_))
    if e is sympy.pi:
        return flint.arb.pi()
    if e is sympy.E:
        return flint.arb(1).exp()
    if e is sympy.EulerGamma:
        return flint.arb.const_euler()
    if e.is_Add:
        out = flint.arb(0)
        for a in e.args:
            out = out + _sympy_ball(a, depth + 1)
        return out
    if e.is_Mul:
        out = flint.arb(1)
        for a in e.args:
            out = out * _sympy_ball(a, depth + 1)
        return out
    if e.is_Pow:
        base, ex = e.args
        b = _sympy_ball(base, depth + 1)
        if ex.is_Integer:
            n = int(ex)
            if abs(n) > 2 ** 20:
                raise InvalidArgument(f"the exponent {n} is too large to evaluate rigorously")
            return b ** n if n >= 0 else 1 / (b ** (-n))
        if not b > 0:  # sympy takes the principal complex root of a negative base
            raise InvalidArgument(f"cannot prove {base} > 0 in {e}: pass a real number sympy can "
                                  "evaluate (a power of a positive base)")
        if ex.is_Rational:
            p, q = int(ex.p), int(ex.q)
            if abs(p) > 2 ** 20 or q > 2 ** 20:
                raise InvalidArgument(f"the exponent {ex} is too large to evaluate rigorously")
            r = b.root(q) if q != 2 else b.sqrt()
            return r ** p if p >= 0 else 1 / (r ** (-p))
        return (b.log() * _sympy_ball(ex, depth + 1)).exp()
    funcs = {sympy.exp: "exp", sympy.log: "log", sympy.sin: "sin", sympy.cos: "cos",
             sympy.tan: "tan", sympy.atan: "atan", sympy.asin: "asin", sympy.acos: "acos",
             sympy.sinh: "sinh", sympy.cosh: "cosh", sympy.tanh: "tanh"}
    if e.func in funcs and len(e.args) == 1:
        a = _sympy_ball(e.args[0], depth + 1)
        if e.func is sympy.log and not a > 0:
            raise InvalidArgument(f"cannot prove the argument of {e} positive")
        return getattr(a, funcs[e.func])()
    if e.func is sympy.Abs and len(e.args) == 1:
        return abs(_sympy_ball(e.args[0], depth + 1))
    raise InvalidArgument(f"cannot enclose the sympy expression {str(e)[:60]} rigorously "
                          f"({type(e).__name__} is not supported): pass rationals, floats, or "
                          "expressions built from +, ·, powers, exp, log, sqrt and trigonometric functions")


def to_acb(x: Any) -> Any:
    """Return a ``flint.acb`` ball containing the complex value of ``x``.

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    import flint

    if isinstance(x, flint.acb):
        return x
    if isinstance(x, (complex, np.complexfloating)):
        return flint.acb(to_arb(x.real), to_arb(x.imag))  # exact parts (complex long double too)
    if type(x).__name__ == "mpc":
        return flint.acb(to_arb(x.real), to_arb(x.imag))
    try:
        import sympy

        if isinstance(x, sympy.Basic):
            if x.is_extended_real:
                return flint.acb(to_arb(x))
            re, im = x.as_real_imag()
            if re.is_extended_real is False or im.is_extended_real is False:
                raise InvalidArgument(f"cannot split the sympy number {str(x)[:40]} into real and "
                                      "imaginary parts")
            return flint.acb(to_arb(re), to_arb(im))
    except ImportError:  # pragma: no cover
        pass
    return flint.acb(to_arb(x))


def _rows(A: Any) -> list[list[Any]]:
    if is_torch(A):
        A = to_numpy(A)  # detached, on the CPU, exact widening of bfloat16 / complex32
    if hasattr(A, "tolist") and not isinstance(A, np.ndarray) and type(A).__name__ == "matrix":
        return [[A[i, j] for j in range(A.cols)] for i in range(A.rows)]  # mpmath matrix
    if hasattr(A, "rows") and hasattr(A, "cols") and not isinstance(A, np.ndarray):
        return [[A[i, j] for j in range(A.cols)] for i in range(A.rows)]  # sympy / mpmath
    try:
        arr = np.asarray(A, dtype=object) if not isinstance(A, np.ndarray) else A
    except ValueError as exc:  # ragged nested lists
        raise InvalidArgument(f"expected a matrix or vector, got a ragged sequence ({exc})") from None
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise InvalidArgument(f"expected a matrix or vector, got shape {arr.shape}")
    if arr.dtype.kind in "USO" and arr.dtype.kind != "O":
        raise InvalidArgument(f"expected numbers, got dtype {arr.dtype}")
    return [list(r) for r in arr]


def _exact_numeric_rows(arr: np.ndarray) -> list[list[Any]] | None:
    """Rows of Python numbers with exactly the array's values (ints stay ints), or None."""
    if arr.dtype.kind in "biu":
        return arr.astype(object).tolist() if arr.dtype.kind == "b" else arr.tolist()  # Python ints
    if arr.dtype in BINARY64_EXACT:
        if not np.all(np.isfinite(arr)):
            raise InvalidArgument("the matrix contains NaN or inf: pass finite values")
        return arr.astype(np.float64).tolist()  # float → Python float is exact
    return None


def arb_matrix(A: Any) -> Any:
    """Exact ``flint.arb_mat`` of a real matrix (numpy of any real dtype, torch, mpmath, sympy, lists).

    A 1-D input becomes a column. Integers of any size, every binary float
    format (float16 … long double, bfloat16 tensors) and mpmath numbers are
    converted exactly; rationals and sympy numbers become enclosing balls.

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    import flint

    if is_torch(A):
        A = to_numpy(A)
    if isinstance(A, np.ndarray):
        if A.dtype.kind == "c":
            raise InvalidArgument("the matrix is complex: use acb_matrix (complex data)")
        arr = A.reshape(-1, 1) if A.ndim == 1 else (A.reshape(1, 1) if A.ndim == 0 else A)
        if arr.ndim != 2:
            raise InvalidArgument(f"expected a matrix or vector, got shape {A.shape}")
        rows = _exact_numeric_rows(arr)
        if rows is not None:
            if arr.dtype.kind == "b":
                rows = [[int(v) for v in r] for r in rows]
            return flint.arb_mat(rows) if rows and rows[0] else flint.arb_mat(*arr.shape)
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
        # decimal division is correctly rounded at the context's precision: the string is
        # the rational rounded to ``digits`` significant digits (a ball at the ambient
        # flint precision would carry only 53 bits)
        with decimal.localcontext() as ctx:
            ctx.prec = int(digits)
            ctx.rounding = decimal.ROUND_HALF_EVEN
            ctx.Emax, ctx.Emin = decimal.MAX_EMAX, decimal.MIN_EMIN
            return str(Decimal(x.numerator) / Decimal(x.denominator))
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
    err = abs(flint.arb(mid_s) - x.mid()) + flint.arb(x.rad())
    return mid_s, upper_decimal_string(err)


def upper_decimal_string(x: Any, digits: int = 5) -> str:
    """A short decimal string whose value is ≥ every point of the ball ``x`` (rounded up).

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (the printed value is checked against ``x`` in ball arithmetic).
    """
    import flint

    target = flint.arb(x.upper())  # exact
    if target == 0:
        return "0"
    # move the printed value away from the target (up for positive, toward 0 for negative)
    step = flint.arb(1) + (1 if target > 0 else -1) * flint.arb(10) ** (1 - digits)
    u = target
    for _ in range(60):
        s = u.mid().str(digits, radius=False)
        if flint.arb(s) >= target:  # every point of the parsed decimal's ball is ≥ the target
            return s
        u = flint.arb((u * step).upper())
    raise InsufficientPrecision(f"could not print an upper bound of {x}", needed_dps=None)


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
    v = float(np.nextafter(float(x.upper()), np.inf))
    return v if not np.isnan(v) else float("inf")  # a NaN ball bounds nothing: say +inf


def ball_lower(x: Any) -> float:
    """A float that is ≤ every point of the real ball ``x`` (rounded outward).

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: proven (exact conversion or enclosing balls).
    """
    v = float(np.nextafter(float(x.lower()), -np.inf))
    return v if not np.isnan(v) else float("-inf")  # a NaN ball bounds nothing: say −inf


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



def exact_input(x: Any, name: str) -> Any:
    """``x`` ready for exact conversion, without rounding anything.

    torch tensors become numpy arrays (detached, on the CPU, bfloat16/complex32
    widened exactly); lists and tuples become float64/complex128 arrays when that
    is exact and object arrays of the original entries otherwise (never
    ``np.asarray``'s silent rounding of e.g. ``[2**53 + 1, 0.5]``); numpy
    arrays are kept (any numeric dtype, long double included); mpmath and
    sympy matrices are returned unchanged. Float arrays with NaN/inf, strings
    and other non-numbers raise :class:`InvalidArgument` naming ``name``.

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: exact (no value changes).
    """
    if x is None:
        raise InvalidArgument(f"{name} is None: pass an array")
    if isinstance(x, (str, bytes)):
        raise InvalidArgument(f"{name} is a string: pass numbers")
    if is_torch(x):
        try:
            x = to_numpy(x)
        except InvalidArgument as exc:
            raise InvalidArgument(f"{name}: {exc}") from None
    if not isinstance(x, np.ndarray) and hasattr(x, "rows") and hasattr(x, "cols"):
        return x  # mpmath / sympy matrix: entries are converted (or refused) one by one
    if not isinstance(x, np.ndarray):
        try:
            x = np.array(x, dtype=object) if isinstance(x, (list, tuple)) else np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise InvalidArgument(f"{name} could not be read as an array: {exc}") from None
    if x.dtype.kind == "O":
        try:
            return as_array(x, name, finite=False)  # exact float64/complex128 when possible
        except InvalidArgument:
            pass
        for v in x.ravel():
            if isinstance(v, (list, tuple, np.ndarray)) or v is None or isinstance(v, bytes):
                raise InvalidArgument(f"{name} has entries that are not numbers ({type(v).__name__}): "
                                      "pass a rectangular array of numbers")
        return x.copy()
    if x.dtype.kind not in "biufc":
        raise InvalidArgument(f"{name} has non-numeric entries (dtype {x.dtype}): pass numbers")
    if x.dtype.kind in "fc" and not np.all(np.isfinite(x)):
        raise InvalidArgument(f"{name} contains NaN or inf: pass finite values")
    return x.copy()


def exact_storable(x: Any, name: str, *, allow_complex: bool = True) -> np.ndarray:
    """``x`` as float64/complex128 when that is exact, else as an object array of Fractions.

    Either form stores exactly in a result file, so a certificate about it can
    be re-checked. Complex values must be exactly complex128; irrational numbers
    (sympy ``sqrt(2)``) raise :class:`InvalidArgument` saying what to pass instead.

    Theorem: none (infrastructure for rigorous certificates).
    Rigor: exact (no value changes).
    """
    x = exact_input(x, name)
    if not isinstance(x, np.ndarray):  # mpmath / sympy matrix
        x = np.array([[x[i, j] for j in range(x.cols)] for i in range(x.rows)], dtype=object)
        if x.shape[1] == 1:
            x = x[:, 0]
    try:
        return as_array(x, name, allow_complex=allow_complex)
    except InvalidArgument as exc:
        if "cannot hold exactly" not in str(exc):
            raise
    out = np.empty(x.shape, dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(x.reshape(-1)):
        try:
            flat[i] = to_fraction(v)
        except InvalidArgument:
            raise InvalidArgument(
                f"{name} entry {i} ({str(v)[:40]}) is neither a float64 value nor an exact rational: "
                "pass float64 values or exact rationals (Fraction, integers, mpmath numbers); for "
                "irrational data use solve(..., method='exact') with A_exact= or data=") from None
    return out
