"""Adapters: third-party solvers (and theorycheck's own) in the calling convention of the kit.

The kit calls ``solver(problem, y)`` with a theorycheck
:class:`~theorycheck.problems.programs.Lasso` / ``SRLasso`` / ``QCBP``; these
wrappers translate to each package's scaling (documented per module), read
what the package reports (iteration limits, exit codes, statuses; warnings
are captured by the kit) and declare

* ``programs``: the variants they solve (``"lasso"``, ``"srlasso"``, ``"qcbp"``,
  ``"bp"`` = QCBP with ``η = 0``): checks of other variants are *skipped*,
  not failed (a wrapper called with one raises
  :class:`~theorycheck.testing.UnsupportedProgram`);
* ``accuracy``: the objective accuracy the package's stopping rule promises,
  used by :func:`~theorycheck.testing.check_solver` when the user sets none.

Every package is optional and imported when its wrapper is first called.

* :mod:`~theorycheck.testing.adapters.linear_models`: scikit-learn (``Lasso``,
  ``LassoLars``, ``ElasticNet``), skglm (``Lasso``, ``SqrtLasso``), celer,
  python-glmnet, asgl, group-lasso, SPAMS;
* :mod:`~theorycheck.testing.adapters.conic`: cvxpy with any backend, scipy
  ``linprog`` basis pursuit, spgl1 (``spg_bpdn``, ``spg_bp``), pyproximal
  FISTA, theorycheck's exact solver.

The names of the first kit (``sklearn_lasso_solver``, ``spgl1_solver``,
``pyproximal_lasso_solver``) remain as aliases.

Theorem: none (changes of scaling; see each adapter).
Rigor: numerical for the third-party solvers, proven for :func:`exact_solver`.
"""

from __future__ import annotations

from theorycheck.testing._runner import UnsupportedProgram
from theorycheck.testing.adapters._common import plain_program, solver_name
from theorycheck.testing.adapters.conic import (
    CVXPY_PROGRAMS,
    cvxpy_solver,
    exact_solver,
    pyproximal_lasso,
    scipy_linprog_bp,
    spgl1_bp,
    spgl1_bpdn,
)
from theorycheck.testing.adapters.linear_models import (
    asgl_lasso,
    celer_lasso,
    glmnet_lasso,
    group_lasso_l1,
    skglm_lasso,
    skglm_sqrt_lasso,
    sklearn_elastic_net,
    sklearn_lasso,
    sklearn_lasso_lars,
    spams_lasso,
)

#: former names (kept): the same wrappers
sklearn_lasso_solver = sklearn_lasso
spgl1_solver = spgl1_bpdn
pyproximal_lasso_solver = pyproximal_lasso

__all__ = [
    "solver_name",
    "plain_program",
    "UnsupportedProgram",
    "CVXPY_PROGRAMS",
    "sklearn_lasso",
    "sklearn_lasso_lars",
    "sklearn_elastic_net",
    "skglm_lasso",
    "skglm_sqrt_lasso",
    "celer_lasso",
    "glmnet_lasso",
    "asgl_lasso",
    "group_lasso_l1",
    "spams_lasso",
    "cvxpy_solver",
    "scipy_linprog_bp",
    "spgl1_bpdn",
    "spgl1_bp",
    "pyproximal_lasso",
    "exact_solver",
    "sklearn_lasso_solver",
    "spgl1_solver",
    "pyproximal_lasso_solver",
]
