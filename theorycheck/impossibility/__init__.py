"""Impossibility families: well-conditioned inputs on which every solver must fail (docs/theory.md §6).

:func:`build_family` builds the class ``Ω_K`` of docs/theory.md §6.2 (SR-LASSO) and
the analogous U-LASSO and QCBP classes (:mod:`~theorycheck.impossibility.family`).
Neighbouring members differ by ``‖A^{(j)} − A^{(j′)}‖ = 2^{-n-1/2}`` with the
same ``y`` and ``Cond(AA^*) = 1``, yet their minimisers are ``√2·|x*_j|`` apart
(``≈ 3·10^{-K}``): any method that reads ``A`` to precision ``2^{-n}`` — where
the data of all members coincide — errs by at least half that jump
(``> 10^{-K}``) on one of them. Every member's minimiser is certified: U-LASSO
and QCBP by :func:`theorycheck.solvers.exact.solve_exact` fed the data as
python-flint balls; SR-LASSO — whose minimisers interpolate (``Ax* = y`` with
``|supp x*| < m``, a case the exact solver's closed forms do not cover) — by
the explicit dual certificate :func:`certify_interpolating_srlasso`
(:mod:`~theorycheck.impossibility.certificate`).
:func:`certify_srlasso_condition` and :func:`certify_feasibility_condition`
(:mod:`~theorycheck.impossibility.condition`; on a family
:meth:`Family.solution_condition` and :meth:`Family.feasibility_condition`) prove
enclosures of the solution map's condition number and of the (P1) feasibility
condition (docs/theory.md §6.6).

:func:`build_lasso_3x2` is docs/theory.md §6.3 (:mod:`~theorycheck.impossibility.lasso_3x2`;
``lasso_3x2_family`` is its deprecated former name), and
:func:`check_solver_on_family` (:mod:`~theorycheck.impossibility.solver_check`)
runs any solver on the families and reports the digits it achieves, the
*silent failures* (success reported, error provably beyond the barrier
``10^{-K}``, or no usable answer at all), the *loud* ones (an exception, a
warning or a failure status: honest, but they prove nothing, so a solver that
fails loudly everywhere does not pass) and where float64 can no longer
represent the input. :func:`verify_solver_on_family` re-derives every claim of
a saved result from its witness (the stored answers and what the solver
reported), rebuilding the family from its bounded parameters.

Sizes are bounded before any work: families whose certification is estimated
(:func:`estimated_family_seconds`) to exceed :data:`MAX_FAMILY_SECONDS`, and
``K``, ``n``, ``N₁``, training samples and precisions beyond the ``MAX_*``
limits, are refused with :class:`~theorycheck.errors.InvalidArgument`.

Importing the package registers the verifier of ``solver_on_impossibility_family``
results (``theorycheck verify``).

Theorem: impossibility of computing accurate solutions of (P1)–(P3) from
inexact input (docs/theory.md §6.1, Colbrook–Antun–Hansen 2022), with the classes
of docs/theory.md §6.2–6.3.
Rigor: proven (minimisers, jumps, condition numbers, oracle error bounds and
solver errors are decided in python-flint ball arithmetic).
"""

from __future__ import annotations

from theorycheck.impossibility._common import (
    GUARD_DPS,
    KINDS,
    MAX_3X2_DPS,
    MAX_EXACT_ENTRIES,
    MAX_FAMILY_MEMBERS,
    MAX_FAMILY_SECONDS,
    MAX_K,
    MAX_N,
    MAX_SAMPLE_ENTRIES,
    MAX_SAMPLES,
    estimated_family_seconds,
    required_dps,
)
from theorycheck.impossibility.certificate import certify_interpolating_srlasso
from theorycheck.impossibility.condition import (
    ConditionBound,
    certify_feasibility_condition,
    certify_srlasso_condition,
)
from theorycheck.impossibility.family import Family, Member, build_family
from theorycheck.impossibility.lasso_3x2 import build_lasso_3x2, lasso_3x2_family
from theorycheck.impossibility.solver_check import (
    MAX_GRID_CELLS,
    MEMBER_OUTCOMES,
    SUCCESS_STATUSES,
    check_solver_on_family,
    verify_solver_on_family,
)

__all__ = [
    "Member",
    "Family",
    "build_family",
    "build_lasso_3x2",
    "lasso_3x2_family",
    "check_solver_on_family",
    "required_dps",
    "estimated_family_seconds",
    "certify_interpolating_srlasso",
    "verify_solver_on_family",
    "ConditionBound",
    "certify_srlasso_condition",
    "certify_feasibility_condition",
    # limits and vocabularies (importable from the former flat module too)
    "KINDS",
    "GUARD_DPS",
    "MAX_FAMILY_MEMBERS",
    "MAX_K",
    "MAX_N",
    "MAX_FAMILY_SECONDS",
    "MAX_SAMPLES",
    "MAX_SAMPLE_ENTRIES",
    "MAX_EXACT_ENTRIES",
    "MAX_3X2_DPS",
    "SUCCESS_STATUSES",
    "MAX_GRID_CELLS",
    "MEMBER_OUTCOMES",
]
