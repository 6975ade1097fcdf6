"""Validation of scalar arguments, shared by every layer.

Theorem: none (infrastructure).
Rigor: not applicable.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from theorycheck.errors import InvalidArgument

__all__ = ["integer_arg", "real_arg"]


def integer_arg(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an ``int ≥ minimum`` or raise :class:`InvalidArgument` (bools rejected).

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> integer_arg(3, "steps")
    3
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise InvalidArgument(f"{name} must be an integer ≥ {minimum}, got {value!r}")
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
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InvalidArgument(f"{name} must be a finite number {'≥' if allow_zero else '>'} 0, got {value!r}")
    return v
