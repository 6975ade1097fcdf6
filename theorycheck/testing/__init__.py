"""Property-testing kit: check suites, ``assert_*`` helpers and an opt-in pytest plugin.

Use it in your own tests the way you would use scikit-learn's ``check_estimator``::

    from theorycheck.testing import check_solver, parametrize_with_checks

    def my_solver(problem, y):            # any callable (problem, y) -> array or Solution
        ...

    report = check_solver(my_solver, problem="lasso")   # a Report; assert_solver_passes raises
    print(report.summary())
    check_metamorphic_scaling(my_solver)                # one check on its own: a CheckResult

    @parametrize_with_checks([my_solver])
    def test_my_solver(solver, check):
        check(solver)

Modules: :mod:`~theorycheck.testing.suite` (the entry points),
:mod:`~theorycheck.testing.checks` (the checks),
:mod:`~theorycheck.testing.reconstructor` (networks),
:mod:`~theorycheck.testing.adapters` (third-party solvers),
:mod:`~theorycheck.testing.assertions` (``assert_*``).
The pytest plugin is opt-in: ``pytest -p theorycheck.testing.pytest_plugin``
(markers ``slow``/``gpu``, ``--theorycheck-seed``, ``--theorycheck-profile``, a
fixture resetting the working precision and a report header).

Theorem: see :mod:`theorycheck.testing.checks` (docs/theory.md §1–3, §6).
Rigor: per check.
"""

from __future__ import annotations

from theorycheck.testing import adapters
from theorycheck.testing._runner import UnsupportedProgram
from theorycheck.testing.adapters import (
    cvxpy_solver,
    exact_solver,
    pyproximal_lasso_solver,
    sklearn_lasso_solver,
    solver_name,
    spgl1_solver,
)
from theorycheck.testing.assertions import (
    assert_holds,
    assert_minimiser,
    assert_reconstructor_stable,
    assert_solver_passes,
)
from theorycheck.testing.checks import (
    check_certified_optimality,
    check_certified_optimality_near_degenerate,
    check_exact_recovery_nsp,
    check_extreme_scales,
    check_impossibility_barrier,
    check_l1_norm_monotone,
    check_metamorphic_permutation,
    check_metamorphic_scaling,
    check_metamorphic_sign_phase,
    check_metamorphic_zero_column,
    check_optimality,
    check_recovery_bound_rnsp,
    check_scale_and_dynamic_range,
    check_zero_above_lambda_max,
)
from theorycheck.testing.suite import (
    CHECKS,
    SolverReport,
    applicable_checks,
    check_reconstructor,
    check_solver,
    parametrize_with_checks,
)

# the entry points, the assertions and one function per check (a test keeps this list equal to
# the union of the modules' own lists). The submodule ``adapters`` is not listed (an export
# named like a submodule would be shadowed by it): ``from theorycheck.testing import adapters``
# imports the submodule itself.
__all__ = [
    "CHECKS",
    "SolverReport",
    "UnsupportedProgram",
    "applicable_checks",
    "check_solver",
    "parametrize_with_checks",
    "check_reconstructor",
    "solver_name",
    "sklearn_lasso_solver",
    "cvxpy_solver",
    "spgl1_solver",
    "pyproximal_lasso_solver",
    "exact_solver",
    "assert_holds",
    "assert_minimiser",
    "assert_solver_passes",
    "assert_reconstructor_stable",
    "check_optimality",
    "check_certified_optimality",
    "check_certified_optimality_near_degenerate",
    "check_metamorphic_scaling",
    "check_metamorphic_permutation",
    "check_metamorphic_sign_phase",
    "check_metamorphic_zero_column",
    "check_zero_above_lambda_max",
    "check_l1_norm_monotone",
    "check_scale_and_dynamic_range",
    "check_exact_recovery_nsp",
    "check_recovery_bound_rnsp",
    "check_extreme_scales",
    "check_impossibility_barrier",
]
