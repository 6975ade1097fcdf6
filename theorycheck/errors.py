"""Exception hierarchy of theorycheck.

Every error raised on purpose by the library derives from
:class:`TheorycheckError`; each leaf also subclasses the builtin a user would
catch for that situation, so ``except ValueError`` keeps working.  All errors
pickle (they are raised inside worker processes of ``executor=`` sweeps).

Theorem: none (infrastructure).
Rigor: not applicable.
"""

from __future__ import annotations

__all__ = [
    "TheorycheckError",
    "InvalidArgument",
    "PreconditionError",
    "InsufficientPrecision",
    "SolverError",
    "CertificationError",
]


class TheorycheckError(Exception):
    """Root of every exception theorycheck raises on purpose."""


class InvalidArgument(TheorycheckError, ValueError):
    """An argument has the wrong shape, dtype, value or type.

    The message says what to change.
    """


class PreconditionError(TheorycheckError, ValueError):
    """A hypothesis of a theorem does not hold for the given input.

    Parameters
    ----------
    message : str
        What failed and what to change.
    hypothesis : str, optional
        Name of the theorem hypothesis that failed.
    margin : float, optional
        By how much it failed (negative: violated by that amount).
    """

    def __init__(self, message: str, hypothesis: str | None = None, margin: float | None = None):
        super().__init__(message)
        self.hypothesis = hypothesis
        self.margin = margin

    def __reduce__(self):  # keep the extra attributes across pickling
        return (type(self), (self.args[0], self.hypothesis, self.margin))


class InsufficientPrecision(TheorycheckError, ArithmeticError):
    """Ball arithmetic at the working precision could not decide an inequality.

    Parameters
    ----------
    message : str
        What could not be decided.
    needed_dps : int, optional
        Decimal digits that would (probably) decide it.
    """

    def __init__(self, message: str, needed_dps: int | None = None):
        super().__init__(message)
        self.needed_dps = needed_dps

    def __reduce__(self):
        return (type(self), (self.args[0], self.needed_dps))


class SolverError(TheorycheckError, RuntimeError):
    """A solver failed in a way that leaves no usable answer."""


class CertificationError(TheorycheckError, AssertionError):
    """Raised by ``assert_*`` helpers when a checked property is violated."""
