"""Proven network outputs for the instability certificates: enclosures of the exact real-arithmetic Ψ.

:func:`rigor_arg` reads ``rigor=`` (``"certified-float64"``, ``"proven"``, ``"auto"``);
:func:`enclose_outputs` encloses ``Ψ`` at stored measurements with
:func:`theorycheck.nets.enclose` and widens the radius (``2r + 2⁻⁴⁴|c|``, rounded up) so that
a re-run on another machine (other BLAS bits) still lies inside the stored enclosure;
:func:`contained` is the verifier's check of that; :func:`radius_norm_up` bounds
``‖r‖₂`` from above.

Theorem: infrastructure for docs/theory.md §3 and §7.4.
Rigor: proven (the enclosures of :mod:`theorycheck.nets.enclosure`; outward rounding here).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.rounding import U, norm2_bounds, round_up

#: the values of ``rigor=``
RIGOR_MODES = ("certified-float64", "proven", "auto")

#: the relative widening of a stored enclosure (of ``|centre|``)
_REL = 2.0 ** -44


def rigor_arg(rigor: Any) -> str:
    """``rigor=`` validated: one of :data:`RIGOR_MODES`."""
    if not isinstance(rigor, str) or rigor not in RIGOR_MODES:
        raise InvalidArgument(f"rigor={rigor!r}: use one of {', '.join(map(repr, RIGOR_MODES))}")
    return rigor


def enclose_outputs(pm: Any, Y: np.ndarray, widen: bool = True) -> tuple[np.ndarray, np.ndarray, str]:
    """Centres, radii (widened by :func:`widen_radius` unless ``widen=False``) and the assumptions of
    the enclosures of ``Ψ`` at each row of ``Y``.

    Raises :class:`~theorycheck.errors.PreconditionError` (unsupported node, named) or
    :class:`~theorycheck.errors.InsufficientPrecision` (overflow) from the enclosure.
    """
    from theorycheck.nets.enclosure import enclose  # torch

    enc = enclose(pm, np.asarray(Y))
    c = enc.center.numpy().copy()
    r = enc.radius.numpy().astype(np.float64)
    return c, (widen_radius(c, r) if widen else r), "; ".join(enc.assumptions)


def widen_radius(c: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``≥ 2r + 2⁻⁴⁴|c| + 2⁻¹⁰⁶⁰`` entrywise (a float64 radius no smaller than ``r``)."""
    with np.errstate(over="ignore"):
        s = (2.0 * r + _REL * np.abs(c)) + 2.0 ** -1060
    return np.nextafter(s, np.inf)


def contained(c_new: np.ndarray, r_new: np.ndarray, c: np.ndarray, r: np.ndarray) -> bool:
    """Whether ``[c_new ± r_new] ⊆ [c ± r]`` entrywise, decided with upward-rounded bounds."""
    if c_new.shape != c.shape or r_new.shape != r.shape:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        s = (np.abs(c_new - c) + r_new) * (1.0 + 8 * U) + 2.0 ** -1070
    return bool(np.all(np.isfinite(s)) and np.all(s <= r))


def radius_norm_up(*radii: np.ndarray) -> float:
    """A float ``≥ ‖r₁ + r₂ + …‖₂`` for non-negative float radii (the sum rounded, then bounded)."""
    with np.errstate(over="ignore"):
        s = np.zeros_like(np.asarray(radii[0], dtype=np.float64))
        for r in radii:
            s = s + np.asarray(r, dtype=np.float64)   # each sum: ≤ (1 + U)·computed
    hi = norm2_bounds(s)[1]
    k = len(radii)
    return float(round_up(hi * (1.0 + (k + 2) * U))) if np.isfinite(hi) else float("inf")
