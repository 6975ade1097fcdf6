"""The :class:`Solution` every theorycheck solver returns, with its own evidence.

Theorem: optimality conditions of docs/theory.md §1 (the evidence each solver reports).
Rigor: carried in ``Solution.rigor``: ``proven`` only for certified exact
minimisers; a solver that did not converge never reports above ``numerical``.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Mapping

import numpy as np

from theorycheck.results import Rigor

__all__ = ["Solution", "STATUSES"]

#: statuses a solver may report
STATUSES = ("optimal", "optimal_inaccurate", "max_iterations", "infeasible", "unbounded", "error")


@dataclasses.dataclass(frozen=True, eq=False)
class Solution:
    """A solver's answer together with the evidence for it.

    Parameters
    ----------
    x : numpy.ndarray
        The answer in the signal domain (shape ``A.in_shape``), float64 or
        complex128; for ``method="exact"`` the rounding of the enclosure's
        midpoints.
    status : str
        One of :data:`STATUSES`.
    rigor : Rigor
        ``proven`` (certified exact minimiser), ``numerical`` otherwise.
    objective, residual, gap : float
        Objective value, optimality residual (distance of 0 to the
        subdifferential) and duality gap at ``x``, each evaluated in float64
        (``nan`` when not defined).
    solver : str
        Name of the method that produced ``x``.
    elapsed_s : float
        Wall-clock seconds.
    iterations : int
        Iterations (0 when not applicable).
    enclosure : tuple of (str, str), optional
        ``method="exact"`` only: per coefficient of ``c = Wz`` (``z`` when
        ``W`` is None), the decimal midpoint and radius of a ball that
        provably contains the exact minimiser's coefficient (complex entries:
        ``(mid_re, mid_im, radius)`` with a radius bounding the modulus error).
    dual_slack : str, optional
        ``method="exact"`` only: a certified lower bound (decimal string) on
        the strict dual feasibility margin ``min_{j∉S}(thr_j − |g_j|)/thr_j``.
    info : dict
        Solver-specific details (support, precision used, history, ...).

    Theorem: docs/theory.md §1 optimality conditions.
    Rigor: as stated in ``rigor``.
    """

    x: np.ndarray
    status: str
    rigor: Rigor
    objective: float = float("nan")
    residual: float = float("nan")
    gap: float = float("nan")
    solver: str = ""
    elapsed_s: float = 0.0
    iterations: int = 0
    enclosure: tuple | None = None
    dual_slack: str | None = None
    info: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        x = np.array(self.x, copy=True)
        x.setflags(write=False)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "rigor", Rigor(self.rigor))
        # read-only: a proven solution's enclosure cannot be edited after the fact
        object.__setattr__(self, "info", _ReadOnlyDict(self.info))

    @property
    def converged(self) -> bool:
        """Whether the solver reports an optimal answer."""
        return self.status == "optimal"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.array(self.x, dtype=dtype)

    def summary(self) -> str:
        """One line: solver, status, rigor and the evidence."""
        return (f"{self.solver}: {self.status} [{self.rigor.value}] objective={self.objective:.6g} "
                f"residual={self.residual:.2e} gap={self.gap:.2e} ({self.elapsed_s:.3f} s)")


class _ReadOnlyDict(dict):
    """A dict that refuses changes (and still pickles, unlike ``MappingProxyType``)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("Solution.info is read-only: build a new Solution instead")

    __setitem__ = __delitem__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self):
        return (_ReadOnlyDict, (dict(self),))

    def __copy__(self) -> "_ReadOnlyDict":
        return self

    def __deepcopy__(self, memo: Any) -> "_ReadOnlyDict":
        return _ReadOnlyDict(copy.deepcopy(dict(self), memo))
