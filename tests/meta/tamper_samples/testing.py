"""Tamper samples: violations the check suite (theorycheck.testing) saves against certified minimisers.

``certified_optimality`` (a shrunk hypothesis example, with how it was found in the context),
``certified_optimality_near_degenerate`` and ``zero_above_lambda_max`` (both re-proven by the
``certified_optimality`` verifier under their own names).
"""

from __future__ import annotations

import numpy as np


def _zero(problem, y):
    return np.zeros(problem.A.in_shape)


def _ones(problem, y):
    return np.ones(problem.A.in_shape)


def _kit_result(solver, check, **options):
    from theorycheck.testing import check_solver

    (res,) = check_solver(solver, checks=[check], on_fail="report", **options).results
    assert res.violated and res.witness is not None and res.witness.kind == "minimiser", res.summary()
    return res


def samples():
    return {
        "optimality": lambda: _kit_result(_zero, "optimality", max_examples=1, shrink=False),
        "near_degenerate": lambda: _kit_result(_zero, "certified_optimality_near_degenerate", max_examples=2,
                                               shrink=False, problem="srlasso"),
        "zero_above_lambda_max": lambda: _kit_result(_ones, "zero_above_lambda_max", problem="qcbp"),
    }
