"""Numerics layer: precision context, exact conversions, backend policy.

Theorem: none (infrastructure for every rigorous check).
Rigor: conversions in :mod:`theorycheck.numerics.exact` are exact.

The working-precision context manager is
``theorycheck.numerics.precision.precision`` (also ``theorycheck.precision``).
"""

from theorycheck.numerics import precision  # the submodule, callable as the context manager
from theorycheck.numerics.backend import (
    as_array,
    check_finite,
    is_complex,
    is_torch,
    lazy_torch,
    resolve_device,
    to_numpy,
    torch_available,
)
from theorycheck.numerics.precision import get_precision

__all__ = [
    "as_array",
    "check_finite",
    "is_complex",
    "is_torch",
    "lazy_torch",
    "resolve_device",
    "to_numpy",
    "torch_available",
    "precision",
    "get_precision",
]
