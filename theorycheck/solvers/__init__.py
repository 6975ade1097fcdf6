"""Solvers for QCBP, U-LASSO and SR-LASSO whose answers carry their own evidence.

``solve(problem, y, method=...)`` dispatches to

* ``"reference"``: cvxpy (CLARABEL by default), numerical;
* ``"primal_dual"``: Chambolle–Pock (numpy or torch), numerical;
* ``"restarted"``: the restarted primal–dual scheme for SR-LASSO (docs/theory.md §6.4), numerical;
* ``"exact"``: certified unique minimiser in ball arithmetic, proven.

A "solver" elsewhere in the library is any callable ``solver(problem, y)``
returning an array or a :class:`Solution`.

Theorem: optimality conditions of docs/theory.md §1.
Rigor: per method (only ``"exact"`` is proven).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from theorycheck.errors import InvalidArgument
from theorycheck.problems.programs import Program
from theorycheck.results import CheckResult
from theorycheck.solvers.certify import build_certified_instance, certificate_result, distance_to_enclosure
from theorycheck.solvers.certify import certify_solution as _certify
from theorycheck.solvers.exact import solve_exact
from theorycheck.solvers.primal_dual import chambolle_pock
from theorycheck.solvers.reference import solve_reference
from theorycheck.solvers.restarted import restarted_primal_dual
from theorycheck.solvers.solution import Solution

__all__ = ["solve", "certify_solution", "Solution", "METHODS", "solve_reference", "chambolle_pock",
           "restarted_primal_dual", "solve_exact", "distance_to_enclosure", "certificate_result",
           "build_certified_instance"]

#: method name -> (module, function)
METHODS: dict[str, tuple[str, str]] = {
    "reference": ("theorycheck.solvers.reference", "solve_reference"),
    "primal_dual": ("theorycheck.solvers.primal_dual", "chambolle_pock"),
    "restarted": ("theorycheck.solvers.restarted", "restarted_primal_dual"),
    "exact": ("theorycheck.solvers.exact", "solve_exact"),
}


def solve(problem: Program, y: Any, *, method: str = "reference", **options: Any) -> Solution:
    """Solve a QCBP / Lasso / SRLasso instance and return a :class:`Solution` with evidence.

    Parameters
    ----------
    problem : QCBP, Lasso or SRLasso
    y : array_like
        Measurements of shape ``problem.A.out_shape``.
    method : {"reference", "primal_dual", "restarted", "exact"}
    **options
        Passed to the method's function (see :data:`METHODS`).

    Theorem: optimality conditions of docs/theory.md §1.
    Rigor: ``proven`` for ``"exact"``, ``numerical`` otherwise.
    """
    if not isinstance(method, str) or method not in METHODS:  # unhashable junk included
        raise InvalidArgument(f"unknown method {method!r}: use one of {sorted(METHODS)}")
    if not isinstance(problem, Program):
        raise InvalidArgument(f"problem must be a QCBP, Lasso or SRLasso, got {type(problem).__name__}")
    module, func = METHODS[method]
    f = getattr(importlib.import_module(module), func)
    params = inspect.signature(f).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        allowed = sorted(n for n, p in params.items()
                         if p.kind is inspect.Parameter.KEYWORD_ONLY)
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise InvalidArgument(f"unknown option(s) {unknown} for method={method!r}: use {allowed}")
    return f(problem, y, **options)


def certify_solution(problem: Program, y: Any, x: Any, **options: Any) -> CheckResult:
    """Prove that ``x`` is (or is not) the unique minimiser; see :mod:`theorycheck.solvers.certify`.

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven or inconclusive.
    """
    unknown = sorted(set(options) - {"tol", "dps", "max_dps"})
    if unknown:
        raise InvalidArgument(f"unknown option(s) {unknown}: certify_solution takes tol, dps, max_dps")
    return _certify(problem, y, x, **options)
