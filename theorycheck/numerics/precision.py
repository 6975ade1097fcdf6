"""Working precision for arbitrary-precision arithmetic (mpmath and python-flint).

``with precision(dps=60):`` sets both mpmath's and python-flint's precision and
always restores the previous values, also on exceptions; ``@precision(dps=60)``
does the same around a function call.

Theorem: none (infrastructure).
Rigor: not applicable (ball arithmetic stays rigorous at any precision; the
precision only decides how often it is conclusive).
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
import types
from typing import Any, Callable, TypeVar

from theorycheck.errors import InvalidArgument

__all__ = ["precision", "get_precision", "dps_to_bits", "bits_to_dps"]

F = TypeVar("F", bound=Callable[..., Any])


def dps_to_bits(dps: int) -> int:
    """Bits of binary precision that carry ``dps`` decimal digits.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    return int(math.ceil(dps * math.log2(10))) + 4


def bits_to_dps(bits: int) -> int:
    """Decimal digits carried by ``bits`` bits (rounded down).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    return max(1, int(math.floor((bits - 4) / math.log2(10))))


def get_precision() -> int:
    """Return the current working precision in bits (python-flint's ``ctx.prec``).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    import flint

    return int(flint.ctx.prec)


class precision(contextlib.ContextDecorator):
    """Context manager and decorator that sets the working precision.

    Parameters
    ----------
    dps : int, optional
        Decimal digits.
    prec : int, optional
        Bits (give one of ``dps`` or ``prec``).

    Theorem: none.
    Rigor: not applicable.

    Examples
    --------
    >>> import mpmath
    >>> before = mpmath.mp.dps
    >>> with precision(dps=50):
    ...     mpmath.mp.dps
    50
    >>> mpmath.mp.dps == before
    True
    """

    def __init__(self, dps: int | None = None, *, prec: int | None = None):
        if (dps is None) == (prec is None):
            raise InvalidArgument("give exactly one of dps= (decimal digits) or prec= (bits)")
        value = dps if dps is not None else prec
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidArgument(f"precision must be a positive integer, got {value!r}")
        self.bits = dps_to_bits(dps) if dps is not None else int(prec)  # type: ignore[arg-type]
        self.dps = dps if dps is not None else bits_to_dps(self.bits)
        self._saved: list[tuple[int, int]] = []

    def __enter__(self) -> "precision":
        import flint
        import mpmath

        self._saved.append((int(flint.ctx.prec), int(mpmath.mp.prec)))
        flint.ctx.prec = self.bits
        mpmath.mp.dps = self.dps
        mpmath.mp.prec = max(int(mpmath.mp.prec), self.bits)
        return self

    def __exit__(self, *exc: Any) -> None:
        import flint
        import mpmath

        flint_prec, mp_prec = self._saved.pop()
        flint.ctx.prec = flint_prec
        mpmath.mp.prec = mp_prec

    def __call__(self, func: F) -> F:  # decorator: a fresh context per call (re-entrant)
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with precision(prec=self.bits):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]



class _CallableModule(types.ModuleType):
    """This module, callable as :class:`precision`.

    ``from theorycheck.numerics import precision`` gave the context manager in
    earlier releases; the submodule of the same name now answers that import, and
    calling it forwards to the class, so both spellings keep working.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> precision:
        return precision(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
