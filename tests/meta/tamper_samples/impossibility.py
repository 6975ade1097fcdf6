"""Tamper samples: real results of ``check_solver_on_family`` (every outcome it produces)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


def _family(problem: str = "srlasso"):
    from theorycheck.impossibility import build_family

    return build_family(3, 10, problem=problem, N2=6, s=2)


def _cell(solver: Callable[[Any, Any], Any], problem: str = "srlasso"):
    from theorycheck.impossibility import check_solver_on_family

    return lambda: check_solver_on_family(solver, _family(problem)).results[0]


def _lookup(problem: str):
    def solver(P, y):
        fam = _family(problem)
        A = P.A.to_dense()
        for j in range(1, fam.members + 1):
            if np.array_equal(fam.member(j).A_float, A):
                return fam.member(j).x_star_float
        raise RuntimeError("unknown member")

    return solver


def _midpoint(P, y):
    fam = _family()
    return 0.5 * (fam.member(1).x_star_float + fam.member(2).x_star_float)


def _half(P, y):
    fam = _family()
    if np.array_equal(P.A.to_dense(), fam.member(1).A_float):
        return fam.member(1).x_star_float
    raise RuntimeError("cannot tell the members apart")


def _nan(P, y):
    return np.full(P.A.shape[1], np.nan)


def _crash(P, y):
    raise RuntimeError("boom")


def _complex(P, y):
    return np.linalg.pinv(P.A.to_dense()) @ y + 1e-3j


def samples() -> dict[str, Callable[[], Any]]:
    return {
        "family_holds_accurate": _cell(_lookup("srlasso")),
        "family_holds_lasso": _cell(_lookup("lasso"), "lasso"),
        "family_silent_failure": _cell(_midpoint),
        "family_accurate_and_loud": _cell(_half),
        "family_invalid_answer": _cell(_nan),
        "family_nothing_checked": _cell(_crash),
        "family_complex_answers": _cell(_complex),
    }
