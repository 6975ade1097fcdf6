"""Proven network outputs for the instability certificates: enclosures of the exact real-arithmetic Ψ.

:func:`rigor_arg` reads ``rigor=`` (``"certified-float64"``, ``"proven"``, ``"auto"``);
:func:`enclose_outputs` encloses ``Ψ`` at stored measurements with
:func:`theorycheck.nets.enclose` and widens the radius (``2r + 2⁻⁴⁴|c|``, rounded up) so that
a re-run on another machine (other BLAS bits) still lies inside the stored enclosure;
:func:`~theorycheck.numerics.rounding.ball_contained` (imported as ``contained``) is the
verifier's check of that; :func:`radius_norm_up` bounds ``‖r‖₂`` from above.

Theorem: infrastructure for docs/theory.md §3 and §7.4.
Rigor: proven (the enclosures of :mod:`theorycheck.nets.enclosure`; outward rounding here).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorycheck.errors import InvalidArgument, PreconditionError
from theorycheck.numerics.rounding import U, norm2_bounds, round_up, widen_radius
from theorycheck.numerics.rounding import ball_contained as contained  # noqa: F401 (the verifiers use it)

#: the values of ``rigor=``
RIGOR_MODES = ("certified-float64", "proven", "auto")



def rigor_arg(rigor: Any) -> str:
    """``rigor=`` validated: one of :data:`RIGOR_MODES`."""
    if not isinstance(rigor, str) or rigor not in RIGOR_MODES:
        raise InvalidArgument(f"rigor={rigor!r}: use one of {', '.join(map(repr, RIGOR_MODES))}")
    return rigor


def enclose_outputs(pm: Any, Y: np.ndarray, widen: bool = True) -> tuple[np.ndarray, np.ndarray, str]:
    """Centres, radii (widened by :func:`widen_radius` unless ``widen=False``) and the assumptions of
    the enclosures of ``Ψ`` at each row of ``Y``, each enclosed alone, twice
    (:func:`theorycheck.nets.enclose_each`).

    Raises :class:`~theorycheck.errors.PreconditionError` (unsupported node, named, two runs that
    differ, or a graph that depends on the input) or
    :class:`~theorycheck.errors.InsufficientPrecision` (overflow) from the enclosure.
    """
    from theorycheck.nets.enclosure import PURE_FORWARD, enclose_each  # torch

    first = enclose_each(pm, np.asarray(Y))
    notes = {"; ".join(e.assumptions) for e in first}
    if len(notes) > 1:
        raise PreconditionError("the enclosures of Ψ at different samples rest on different assumptions: "
                                "the model's graph depends on its input", hypothesis="deterministic model")
    c = np.stack([e.center.numpy()[0] for e in first])
    r = np.stack([e.radius.numpy().astype(np.float64)[0] for e in first])
    assumptions = "; ".join(([notes.pop()] if notes else []) + [PURE_FORWARD])
    return c, (widen_radius(c, r) if widen else r), assumptions


def assumption_problems(rederived: str, stored: Any) -> list[str]:
    """The verifier's check that a file states the assumptions its enclosures rest on (re-derived,
    never read: an edited list is refused)."""
    if rederived == str(stored):
        return []
    return [f"witness['psi_assumptions']: the enclosures rest on {rederived!r}, the file states "
            f"{str(stored)[:200]!r}"]


def radius_norm_up(*radii: np.ndarray) -> float:
    """A float ``≥ ‖r₁ + r₂ + …‖₂`` for non-negative float radii (the sum rounded, then bounded)."""
    with np.errstate(over="ignore"):
        s = np.zeros_like(np.asarray(radii[0], dtype=np.float64))
        for r in radii:
            s = s + np.asarray(r, dtype=np.float64)   # each sum: ≤ (1 + U)·computed
    hi = norm2_bounds(s)[1]
    k = len(radii)
    return float(round_up(hi * (1.0 + (k + 2) * U))) if np.isfinite(hi) else float("inf")
