"""Array and data helpers shared by the solvers and the unrolled networks.

The first-order solvers (:mod:`theorycheck.solvers.primal_dual`,
:mod:`theorycheck.solvers.restarted`), the cvxpy reference
(:mod:`theorycheck.solvers.reference`) and FIRENET
(:mod:`theorycheck.nets.firenet`) read a program the same way: its data ``y``
validated by the program itself, whether it is solved in the synthesis form
``c = Wz``, which TV norm is meant, its objective with isotropic TV, the size
up to which dense matrices are built, and the weak-duality bound of a dual
vector rescaled into the dual feasible set. These helpers are written once
here (no cvxpy: importing this module stays light).

Theorem: optimality conditions and weak duality of docs/theory.md §1.
Rigor: not applicable (helpers), numerical where they compute numbers.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array
from theorycheck.problems.programs import Program, program_kind
from theorycheck.problems.tv import FiniteDifference, tv_weights

__all__ = ["MAX_DENSE_SIZE", "validated_data", "is_synthesis", "isotropic_mode", "program_objective",
           "refuse_dense_size", "ray_dual_value"]

#: largest signal size ``N`` the dense-matrix solvers accept (they build dense ``m × N`` matrices)
MAX_DENSE_SIZE = 20000


def validated_data(problem: Program, y: Any) -> np.ndarray:
    """``y`` as a new float64/complex128 array, validated by the program itself.

    Uses the program's public ``objective`` at ``z = 0``, which rejects a wrong
    shape, NaN/inf and complex ``y`` for a real problem with the program's
    messages.

    Theorem: none.
    Rigor: not applicable.
    """
    problem.objective(np.zeros(problem.A.in_shape), y)
    return as_array(y, "y")


def is_synthesis(problem: Program) -> bool:
    """Whether the program is solved in ``c = Wz`` (no ``W`` or a unitary ``W``).

    Theorem: docs/theory.md §1 (unitary ``W``: synthesis problem with ``B = AW^*``).
    Rigor: not applicable.
    """
    return problem.W is None or bool(problem.W.unitary)


def isotropic_mode(problem: Program, tv: str) -> bool:
    """Validate ``tv`` and return whether the isotropic TV norm is used.

    Theorem: none.
    Rigor: not applicable.
    """
    if tv not in ("anisotropic", "isotropic"):
        raise InvalidArgument(f"tv={tv!r}: pass 'anisotropic' or 'isotropic'")
    if tv == "isotropic" and not isinstance(problem.W, FiniteDifference):
        raise InvalidArgument(
            "tv='isotropic' needs W to be a FiniteDifference (the penalty ‖∇z‖_{2,1}); "
            f"this program's W is {problem.W!r}: use tv='anisotropic'"
        )
    return tv == "isotropic"


def program_objective(problem: Program, z: np.ndarray, y: np.ndarray, isotropic: bool) -> float:
    """The program's objective at ``z``, with isotropic TV as the penalty when asked.

    Theorem: (P1)–(P3) of docs/theory.md §1 (QCBP: the penalty alone).
    Rigor: numerical (float64).
    """
    if not isotropic:
        return float(problem.objective(z, y))
    D = cast(FiniteDifference, problem.W)  # isotropic_mode made sure
    wp = tv_weights(problem.weights, D, isotropic=True)
    g = np.abs(np.asarray(D.apply(z)))
    pen = float(np.sum(wp * np.sqrt(np.sum(g**2, axis=0))))
    r = float(np.linalg.norm(np.asarray(problem.A.apply(z)) - y))
    kind = program_kind(problem)
    if kind == "qcbp":
        return pen
    lam = float(getattr(problem, "lam", 1.0))
    return lam * pen + (r**2 if kind == "lasso" else r)


def refuse_dense_size(problem: Program, method: str) -> None:
    """Refuse signals larger than :data:`MAX_DENSE_SIZE` (dense matrices would not fit).

    Theorem: none.
    Rigor: not applicable.
    """
    N = int(np.prod(problem.A.in_shape))
    if N > MAX_DENSE_SIZE:
        raise InvalidArgument(
            f"{method} builds dense matrices and accepts N ≤ {MAX_DENSE_SIZE}; this problem has "
            f"N = {N}: use method='primal_dual' (theorycheck.solvers.primal_dual.chambolle_pock)"
        )


def ray_dual_value(kind: str, y: np.ndarray, u: np.ndarray, Btu: np.ndarray, thr: np.ndarray,
                   eta: float = 0.0) -> float:
    """Best dual objective on the ray ``{s·u : s ≥ 0}`` within the dual feasible set.

    The duals of docs/theory.md §1's programs (``B = AW^*``, ``thr = λw``, QCBP ``thr = w``):
    U-LASSO ``Re⟨y,u⟩ − ‖u‖²/4``, SR-LASSO ``Re⟨y,u⟩`` with ``‖u‖ ≤ 1``, QCBP
    ``Re⟨y,u⟩ − η‖u‖``, each subject to ``|(B^*u)_i| ≤ thr_i``. Any dual feasible
    point bounds the primal minimum from below (weak duality), so this turns any
    approximate dual vector (a solver's multiplier, a primal–dual iterate) into a
    valid duality gap. ``Btu`` is ``B^*u`` (flat).

    Theorem: weak duality for the Fenchel duals of docs/theory.md §1's programs.
    Rigor: numerical (float64; the scaled point is feasible up to rounding).
    """
    a = float(np.real(np.vdot(y, u)))
    nu = float(np.linalg.norm(u))
    den = float(np.max(np.abs(Btu) / thr)) if Btu.size else 0.0
    if kind == "srlasso":
        den = max(den, nu)
    smax = 1.0 / den if den > 0 else math.inf
    if kind == "lasso":
        if nu == 0:
            return 0.0
        s = min(max(2.0 * a / (nu * nu), 0.0), smax)
        return s * a - s * s * nu * nu / 4.0
    slope = a - (eta * nu if kind == "qcbp" else 0.0)
    if slope <= 0:
        return 0.0
    return smax * slope if math.isfinite(smax) else math.inf
