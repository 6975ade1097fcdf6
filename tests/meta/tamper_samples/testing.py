"""Tamper samples: violations the check suite (theorycheck.testing) saves against certified minimisers.

Every check whose violation is a kit record (``theorycheck.testing.checks.KIT_RECORD_CHECKS``):
``optimality`` (a hypothesis example, with how it was found in the context), the metamorphic
checks, ``zero_above_lambda_max``, ``l1_norm_monotone``, ``scale_and_dynamic_range``,
``exact_recovery_nsp``, ``recovery_bound_rnsp`` (core tier: verdict on the objective) and
``certified_optimality_near_degenerate``, ``extreme_scales`` (stress tier: verdict on the
distance), all re-proven by the kit's verifier under their own names; and ``impossibility_barrier``
(its family cells re-checked, the result and its objective triage re-derived).
"""

from __future__ import annotations

import numpy as np


def _zero(problem, y):
    return np.zeros(problem.A.in_shape)


def _ones(problem, y):
    return np.ones(problem.A.in_shape)


def _growing(problem, y):  # ‖x‖₁ grows with the parameter
    return np.full(problem.A.in_shape, float(getattr(problem, "lam", getattr(problem, "eta", 1.0))))


def _kit_result(solver, check, **options):
    from theorycheck.testing import check_solver

    (res,) = check_solver(solver, checks=[check], on_fail="report", **options).results
    assert res.violated and res.witness is not None and res.witness.kind == "minimiser", res.summary()
    return res


def _barrier_result():
    from theorycheck.testing import check_solver

    (res,) = check_solver(_zero, checks=["impossibility_barrier"], on_fail="report").results
    assert res.violated and res["kind"] == "silent-wrong-answer", res.summary()
    return res


def samples():
    return {
        "optimality": lambda: _kit_result(_zero, "optimality", max_examples=1, shrink=False),
        "near_degenerate": lambda: _kit_result(_zero, "certified_optimality_near_degenerate", max_examples=2,
                                               shrink=False, problem="srlasso"),
        "zero_above_lambda_max": lambda: _kit_result(_ones, "zero_above_lambda_max", problem="qcbp"),
        **{name: (lambda name=name: _kit_result(_zero, name)) for name in (
            "metamorphic_scaling", "metamorphic_permutation", "metamorphic_sign_phase",
            "metamorphic_zero_column", "scale_and_dynamic_range", "extreme_scales")},
        "l1_norm_monotone": lambda: _kit_result(_growing, "l1_norm_monotone"),
        # seed 1: at seed 0 the planted minimiser starts with -2, a fixed point of the generic
        # "first entry changed" edit (1.5·t + 1), which would make that edit a no-op
        "exact_recovery_nsp": lambda: _kit_result(_zero, "exact_recovery_nsp", problem="qcbp", seed=1),
        "recovery_bound_rnsp": lambda: _kit_result(_zero, "recovery_bound_rnsp", problem="srlasso"),
        "impossibility_barrier": _barrier_result,
    }
