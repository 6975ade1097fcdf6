"""Ready-made check suites for sparse solvers, with certified oracles: the public entry points.

:func:`check_solver` runs a battery of checks on any solver — a callable
``solver(problem, y)`` returning an array or a
:class:`~theorycheck.solvers.solution.Solution` — the way scikit-learn's
``check_estimator`` runs estimator checks, and returns a :class:`Report`
(:func:`~theorycheck.testing.assert_solver_passes` is the raising form). The
checks (:data:`CHECKS`) are described in :mod:`theorycheck.testing.checks`,
where each one is also a function of its own.

Every solver call is guarded: a solver that raises, returns NaN/inf, the wrong
shape, complex values for a real problem, or exceeds ``time_limit`` gives a
*failed* check naming the reason; the suite itself never raises because of the
solver (only ``on_fail="raise"`` raises, at the end, with the report).

:func:`parametrize_with_checks` turns the battery into pytest parameters with
readable ids. Reconstruction maps (networks) are checked by
:func:`theorycheck.testing.check_reconstructor`; third-party solvers fit the
calling convention through :mod:`theorycheck.testing.adapters`.

Theorem: THEORY.md §1 (certified minimisers), §2 (NSP, rNSP, Theorem 1), §6
(impossibility).
Rigor: per check (``proven`` against certified minimisers, ``certified-float64``
for metamorphic relations).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from theorycheck.errors import CertificationError, InvalidArgument
from theorycheck.numerics.parallel import progress_bar
from theorycheck.numerics.validation import choice_arg
from theorycheck.results import CheckResult, Outcome, Report
from theorycheck.testing._runner import ON_FAIL, PROBLEMS, Runner, apply_on_fail, make_options, time_limit_arg
from theorycheck.testing.adapters import (
    cvxpy_solver,
    exact_solver,
    pyproximal_lasso_solver,
    sklearn_lasso_solver,
    solver_name,
    spgl1_solver,
)
from theorycheck.testing.checks import REGISTRY, run_check
from theorycheck.testing.reconstructor import check_reconstructor

__all__ = [
    "CHECKS",
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
]

#: every check of :func:`check_solver`, in the order they run
CHECKS: tuple[str, ...] = tuple(REGISTRY)


def applicable_checks(problem: str = "lasso") -> tuple[str, ...]:
    """The checks of :data:`CHECKS` that apply to ``problem``.

    ``exact_recovery_nsp`` needs a program that reproduces ``y = Ax`` exactly
    (SR-LASSO with small ``λ``, QCBP with ``η = 0``), so U-LASSO skips it.

    Theorem: none.
    Rigor: not applicable.

    Examples
    --------
    >>> "exact_recovery_nsp" in applicable_checks("lasso")
    False
    """
    problem = choice_arg(problem, "problem", PROBLEMS)
    return tuple(name for name, spec in REGISTRY.items() if problem in spec.problems)


def _expected(expected_failed_checks: Any, solver: Any) -> dict[str, str]:
    if expected_failed_checks is None:
        return {}
    if callable(expected_failed_checks) and not isinstance(expected_failed_checks, Mapping):
        expected_failed_checks = expected_failed_checks(solver) or {}
    if isinstance(expected_failed_checks, str):
        raise InvalidArgument("expected_failed_checks must be a dict {check: reason} or a list of "
                              "check names, not a string")
    if isinstance(expected_failed_checks, Mapping):
        out = {str(k): str(v) for k, v in expected_failed_checks.items()}
    else:
        out = {str(k): "expected to fail" for k in expected_failed_checks}
    unknown = sorted(set(out) - set(CHECKS))
    if unknown:
        raise InvalidArgument(f"unknown check(s) {unknown} in expected_failed_checks: use names from "
                              f"{list(CHECKS)}")
    return out


def check_solver(
    solver: Callable[[Any, np.ndarray], Any],
    *,
    problem: str = "lasso",
    on_fail: str = "report",
    expected_failed_checks: Mapping[str, str] | Iterable[str] | Callable | None = None,
    callback: Callable[[CheckResult], Any] | None = None,
    max_examples: int | None = None,
    checks: Sequence[str] | None = None,
    tol: float = 1e-4,
    time_limit: float | None = 60.0,
    seed: int = 0,
    shrink: bool = True,
    progress: bool = False,
) -> Report:
    """Run the battery of certified checks on a sparse solver; return a :class:`Report`.

    Parameters
    ----------
    solver : callable
        ``solver(problem, y)`` returning the answer (array of shape
        ``problem.A.in_shape``) or a :class:`~theorycheck.solvers.solution.Solution`
        (its ``status`` other than ``"optimal"`` counts as a reported failure,
        not a silent one). ``problem`` is a theorycheck
        :class:`~theorycheck.problems.programs.Lasso` / ``SRLasso`` / ``QCBP``
        with a dense matrix (``problem.A.to_dense()``; U-LASSO users of
        scikit-learn's scaling take ``problem.sklearn_alpha``).
    problem : {"lasso", "srlasso", "qcbp"}
        The program the solver solves.
    on_fail : {"report", "raise", "warn"}
        What to do when a check fails that is not in ``expected_failed_checks``:
        only return the report (the default: read ``report.passed``), raise
        :class:`~theorycheck.errors.CertificationError` (with the report as its
        ``report`` attribute; :func:`~theorycheck.testing.assert_solver_passes`
        is that form), or emit a ``UserWarning``.
    expected_failed_checks : dict, list or callable, optional
        ``{check: reason}`` (or names) of checks known to fail; they stay in the
        report but do not trigger ``on_fail``. A callable receives the solver.
    callback : callable, optional
        Called with each :class:`CheckResult` as soon as it is known.
    max_examples : int, optional
        Hypothesis examples per hypothesis-driven check (default 10).
    checks : sequence of str, optional
        Run only these (default: :func:`applicable_checks`).
    tol : float
        Accepted distance to the certified answer, relative: ``tol·max(1, ‖x*‖)``.
    time_limit : float or None
        Seconds per solver call; a call that takes longer fails its check and
        later calls are not made (the thread running it is abandoned). None: no limit.
    seed : int
        Seeds the instances and hypothesis (same seed, same report).
    shrink : bool
        Let hypothesis shrink failing instances to a minimal one.
    progress : bool
        Show a progress bar over the checks.

    Returns
    -------
    Report
        One :class:`CheckResult` per check; ``passed`` is False when one is violated.

    Theorem: THEORY.md §1 (certified minimisers), §2 (NSP, rNSP, Theorem 1), §6 (Ω_K).
    Rigor: per check: ``proven`` against certified minimisers, ``certified-float64``
    for metamorphic relations.

    Examples
    --------
    >>> from theorycheck.testing import check_solver, exact_solver
    >>> report = check_solver(exact_solver(), checks=["metamorphic_permutation"])
    >>> report.passed
    True
    """
    if not callable(solver):
        raise InvalidArgument(f"solver must be callable as solver(problem, y), got {type(solver).__name__}")
    options = make_options(problem, tol, seed, max_examples, shrink)
    on_fail = choice_arg(on_fail, "on_fail", ON_FAIL)
    if callback is not None and not callable(callback):
        raise InvalidArgument("callback must be callable (it receives each CheckResult)")
    runner = Runner(solver, time_limit_arg(time_limit))
    names = _selected_checks(checks, options.problem)
    expected = _expected(expected_failed_checks, solver)
    title = f"check_solver({solver_name(solver)}, problem={options.problem!r})"
    bar = progress_bar(len(names), bool(progress), f"check_solver({solver_name(solver)})")
    results = []
    try:
        for name in names:
            res = run_check(name, runner, options)
            if name in expected and res.violated:
                res = dataclasses.replace(res, message=f"{res.message} [expected failure: {expected[name]}]")
            results.append(res)
            if callback is not None:
                callback(res)
            bar.update(1)
    finally:
        bar.close()
    report = Report(results, title=title)
    unexpected = [r for r in report.failures() if r.check not in expected]
    text = "\n".join([title, "unexpected failures:"] + ["  " + r.summary() for r in unexpected])
    return apply_on_fail(report, unexpected, on_fail, text)


def _selected_checks(checks: Sequence[str] | str | None, problem: str) -> tuple[str, ...]:
    """The checks to run, in battery order (all applicable ones by default)."""
    names = applicable_checks(problem)
    if checks is None:
        return names
    if isinstance(checks, str):
        checks = [checks]
    unknown = [c for c in checks if c not in CHECKS]
    if unknown:
        raise InvalidArgument(f"unknown check(s) {unknown}: use names from {list(CHECKS)}")
    skipped = [c for c in checks if c not in names]
    if skipped:
        raise InvalidArgument(f"check(s) {skipped} do not apply to problem={problem!r}")
    return tuple(c for c in CHECKS if c in checks)


class _SingleCheck:
    """One check of the battery as a callable ``check(solver)`` (used by parametrize_with_checks)."""

    def __init__(self, name: str, problem: str, options: dict[str, Any]):
        self.name = name
        self.problem = problem
        self.options = options
        self.__name__ = name

    def __call__(self, solver: Any) -> Report:
        report = check_solver(solver, problem=self.problem, checks=[self.name], on_fail="raise",
                              **self.options)
        missing = [r for r in report.results
                   if r.outcome is Outcome.INCONCLUSIVE and r.message.startswith("needs ")]
        if missing:  # an optional module is not installed: skip rather than pass
            import pytest

            pytest.skip(missing[0].message)
        return report

    def __repr__(self) -> str:
        return self.name


def parametrize_with_checks(
    solvers: Sequence[Callable[[Any, np.ndarray], Any]],
    *,
    problem: str = "lasso",
    expected_failed_checks: Mapping[str, str] | Iterable[str] | Callable | None = None,
    checks: Sequence[str] | None = None,
    **options: Any,
) -> Any:
    """A ``pytest.mark.parametrize`` over ``(solver, check)`` pairs with readable ids.

    Usage::

        @parametrize_with_checks([my_solver, sklearn_lasso_solver()])
        def test_solver(solver, check):
            check(solver)

    Each ``check(solver)`` runs one check of :func:`check_solver` and raises
    :class:`~theorycheck.errors.CertificationError` when it fails. Ids are
    ``"<solver name>-<check>"``; checks in ``expected_failed_checks``
    (a dict, a list, or a callable receiving the solver) are marked ``xfail``.

    Parameters
    ----------
    solvers : sequence of callables
    problem : {"lasso", "srlasso", "qcbp"}
    expected_failed_checks : dict, list or callable, optional
    checks : sequence of str, optional
        Subset of :func:`applicable_checks`.
    **options
        Passed to :func:`check_solver` (``tol``, ``time_limit``, ``max_examples``, ``seed``, ...).

    Returns
    -------
    pytest.MarkDecorator

    Theorem: as :func:`check_solver`.
    Rigor: as :func:`check_solver`.
    """
    import pytest

    if callable(solvers) and not isinstance(solvers, (list, tuple)):
        solvers = [solvers]
    solvers = list(solvers)
    if not solvers:
        raise InvalidArgument("pass at least one solver")
    for s in solvers:
        if not callable(s):
            raise InvalidArgument(f"every solver must be callable, got {type(s).__name__}")
    names = applicable_checks(problem)
    if checks is not None:
        unknown = [c for c in checks if c not in names]
        if unknown:
            raise InvalidArgument(f"check(s) {unknown} do not exist or do not apply to problem={problem!r}")
        names = tuple(c for c in names if c in checks)
    bad = set(options) - {"tol", "time_limit", "max_examples", "seed", "shrink"}
    if bad:
        raise InvalidArgument(f"unknown option(s) {sorted(bad)} for check_solver")
    ids_seen: dict[str, int] = {}
    params = []
    for solver in solvers:
        base = solver_name(solver)
        ids_seen[base] = ids_seen.get(base, 0) + 1
        sname = base if ids_seen[base] == 1 else f"{base}{ids_seen[base]}"
        xfail = _expected(expected_failed_checks, solver)
        for name in names:
            marks = [pytest.mark.xfail(reason=xfail[name], raises=CertificationError)] \
                if name in xfail else []
            params.append(pytest.param(solver, _SingleCheck(name, problem, dict(options)),
                                       id=f"{sname}-{name}", marks=marks))
    return pytest.mark.parametrize("solver, check", params)


