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

Theorem: docs/theory.md §1 (certified minimisers), §2 (NSP, rNSP, Theorem 1), §6
(impossibility).
Rigor: per check (``proven`` against certified minimisers, ``certified-float64``
for metamorphic relations).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from theorycheck.errors import CertificationError, InvalidArgument
from theorycheck.numerics.parallel import progress_bar
from theorycheck.numerics.validation import choice_arg
from theorycheck.results import CheckResult, Outcome, Report
from theorycheck.testing._runner import (
    ON_FAIL,
    PROBLEMS,
    SESSION,
    Runner,
    apply_on_fail,
    make_options,
    time_limit_arg,
)
from theorycheck.testing.adapters import solver_name
from theorycheck.testing.checks import REGISTRY, canonical_check, run_check
from theorycheck.testing.reconstructor import check_reconstructor
from theorycheck.testing.triage import KINDS, TIERS, resolve_accuracy

__all__ = [
    "CHECKS",
    "SolverReport",
    "applicable_checks",
    "check_solver",
    "parametrize_with_checks",
    "check_reconstructor",
]

#: every check of :func:`check_solver`, in the order they run
CHECKS: tuple[str, ...] = tuple(REGISTRY)
_TIER_CHOICES = TIERS + ("all",)


class SolverReport(Report):
    """The :class:`~theorycheck.results.Report` of :func:`check_solver`: results, kinds and expected failures.

    ``expected`` maps the checks declared as expected failures to their reason
    (kept out of the results' messages, so saved results still verify);
    :meth:`kinds` counts the ``values["kind"]`` of the failing results and
    :meth:`summary` ends with those counts.

    Theorem: none (container).
    Rigor: per result.
    """

    expected: Mapping[str, str]

    def __init__(self, results: Iterable[CheckResult] = (), title: str = "", strict: bool = False,
                 expected: Mapping[str, str] | None = None):
        super().__init__(results, title, strict)
        object.__setattr__(self, "expected", dict(expected or {}))

    def kinds(self) -> dict[str, int]:
        """``{kind: count}`` over the failing results (``"silent-wrong-answer"``, ``"crash"``, ...)."""
        out: dict[str, int] = {}
        for r in self.failures():
            kind = r.values.get("kind") or "unclassified"
            out[kind] = out.get(kind, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: (KINDS + (kv[0],)).index(kv[0])))

    def summary(self) -> str:
        """One line per result (expected failures marked), the verdict and the failures' kinds."""
        lines = [self.title] if self.title else []
        for r in self.results:
            mark = f" [expected failure: {self.expected[r.check]}]" if r.check in self.expected and r.violated else ""
            lines.append(("  " if self.title else "") + r.summary() + mark)
        n_bad = len(self.failures())
        kinds = ", ".join(f"{n} {k}" for k, n in self.kinds().items())
        lines.append(f"{len(self.results) - n_bad} passed, {n_bad} failed" + (f" ({kinds})" if kinds else ""))
        return "\n".join(lines)


def applicable_checks(problem: str = "lasso", tier: str = "all") -> tuple[str, ...]:
    """The checks of :data:`CHECKS` that apply to ``problem`` (in ``tier``: ``"core"``, ``"stress"``, ``"all"``).

    ``exact_recovery_nsp`` needs a program that reproduces ``y = Ax`` exactly
    (SR-LASSO with small ``λ``, basis pursuit), so U-LASSO skips it; basis
    pursuit (``"bp"``, QCBP with ``η = 0``) skips the checks that vary ``η``.

    Theorem: none.
    Rigor: not applicable.

    Examples
    --------
    >>> "exact_recovery_nsp" in applicable_checks("lasso")
    False
    >>> applicable_checks("lasso", tier="stress")[0]
    'certified_optimality_near_degenerate'
    """
    problem = choice_arg(problem, "problem", PROBLEMS)
    tier = choice_arg(tier, "tier", _TIER_CHOICES)
    return tuple(name for name, spec in REGISTRY.items()
                 if problem in spec.problems and tier in (spec.tier, "all"))


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
    out = {canonical_check(k, stacklevel=5): v for k, v in out.items()}
    unknown = sorted(set(out) - set(CHECKS))
    if unknown:
        raise InvalidArgument(f"unknown check(s) {unknown} in expected_failed_checks: use names from "
                              f"{list(CHECKS)}")
    return out


def check_solver(
    solver: Callable[[Any, np.ndarray], Any],
    *,
    problem: str = "lasso",
    tier: str = "core",
    accuracy: Any = None,
    on_fail: str = "report",
    expected_failed_checks: Mapping[str, str] | Iterable[str] | Callable | None = None,
    callback: Callable[[CheckResult], Any] | None = None,
    max_examples: int | None = None,
    checks: Sequence[str] | None = None,
    tol: float = 1e-4,
    time_limit: float | None = 60.0,
    seed: int | None = None,
    shrink: bool = True,
    progress: bool = False,
) -> SolverReport:
    """Run the battery of certified checks on a sparse solver; return a :class:`SolverReport`.

    Every answer is compared with a certified unique minimiser and triaged
    (:mod:`theorycheck.testing.triage`): a failing result states its
    ``values["kind"]`` — ``"silent-wrong-answer"``, ``"reported-failure"``,
    ``"within-tolerance"`` or ``"crash"`` —, the certified objective gap
    ``values["objective_gap"]`` (and ``objective_gap_lower``,
    ``objective_gap_relative``), the instance's ``values["dual_slack"]`` and
    the solver's status and warnings; ``report.summary()`` counts the kinds.

    **Tiers.** ``"core"`` (default): well-conditioned instances (certified dual
    slack ≥ 0.05, restricted condition number ``cond₂(A_S) ≤ 100``) at scales
    ``2^-10 … 2^10`` with coefficients over 3.5 orders of magnitude; a check
    fails exactly when an answer's objective (QCBP: also its constraint
    excess ``‖Ax̂ − y‖ − η``) is *certified* above the accuracy allowed, or no
    answer came back — every core failure means "this solver returns wrong
    answers". ``"stress"``: near-degenerate instances, extreme scales
    (``2^±20 … 2^±40``), the impossibility families; a check fails when an
    answer is certified farther than ``tol`` from the minimiser (on the
    impossibility families: presented as a success yet beyond the barrier
    ``10^-3``; a raise, warning or failure status there is an honest failure,
    not a violation), and its kind says whether that is a wrong answer or the
    instance's conditioning (``"within-tolerance"``); the values say how far
    the solver got.
    ``"all"``: both.

    Parameters
    ----------
    solver : callable
        ``solver(problem, y)`` returning the answer (array of shape
        ``problem.A.in_shape``) or a :class:`~theorycheck.solvers.solution.Solution`
        (its ``status`` other than ``"optimal"`` counts as a reported failure,
        not a silent one). ``problem`` is a theorycheck
        :class:`~theorycheck.problems.programs.Lasso` / ``SRLasso`` / ``QCBP``
        with a dense matrix (``problem.A.to_dense()``; U-LASSO users of
        scikit-learn's scaling take ``problem.sklearn_alpha``). A solver with an
        attribute ``programs`` (e.g. ``("qcbp", "bp")``), or that raises
        :class:`~theorycheck.testing.UnsupportedProgram`, is skipped (not
        failed) on the program variants it does not solve.
    problem : {"lasso", "srlasso", "qcbp", "bp"}
        The program the solver solves (``"bp"``: basis pursuit, QCBP with ``η = 0``).
    tier : {"core", "stress", "all"}
        Which checks run (see above).
    accuracy : float, (float, float) or None
        The objective accuracy allowed: ``max(relative·f_ref, absolute)`` with
        ``f_ref`` the instance's scale (U-LASSO ``‖y‖²``, SR-LASSO ``‖y‖``,
        QCBP ``‖x*‖₁``). Default: the solver's declared stopping rule (the
        adapters' ``accuracy`` attribute, e.g. ``2·tol`` relative for
        scikit-learn's duality gap test), else ``1e-6`` relative — the loosest
        default duality-gap tolerance of the interior-point solvers (CVXOPT; the
        objectives of CLARABEL's answers lie up to ``3·10^-8`` above the minimum
        at its ``1e-8``). An objective accuracy ``ε`` permits a relative
        distance of order ``√ε`` on the core instances: coefficients below ``≈10^-3``
        of the largest are only judged with a smaller ``accuracy``.
    on_fail : {"report", "raise", "warn"}
        What to do when a check fails that is not in ``expected_failed_checks``:
        only return the report (the default: read ``report.passed``), raise
        :class:`~theorycheck.errors.CertificationError` (with the report as its
        ``report`` attribute; :func:`~theorycheck.testing.assert_solver_passes`
        is that form), or emit a ``UserWarning``.
    expected_failed_checks : dict, list or callable, optional
        ``{check: reason}`` (or names) of checks known to fail; they stay in the
        report (``report.expected`` keeps the reasons, the messages are
        untouched) but do not trigger ``on_fail``. A callable receives the solver.
    callback : callable, optional
        Called with each :class:`CheckResult` as soon as it is known.
    max_examples : int, optional
        Hypothesis examples per hypothesis-driven check (default 10, or the
        ``--theorycheck-profile``'s).
    checks : sequence of str, optional
        Run only these (default: :func:`applicable_checks` of the tier).
    tol : float
        Accepted distance, relative to the instance's scale: ``tol·‖x*‖`` (no
        absolute floor). The verdict in the stress tier; evidence in the core tier.
    time_limit : float or None
        Seconds per solver call; a call that takes longer fails its check and
        later calls are not made (the thread running it is abandoned). None: no limit.
    seed : int, optional
        Seeds the instances and hypothesis (same seed, same report); default
        ``--theorycheck-seed`` under the pytest plugin, else 0. Hypothesis never
        writes a ``.hypothesis/`` folder (``database=None``).
    shrink : bool
        Let hypothesis shrink failing instances to a minimal one.
    progress : bool
        Show a progress bar over the checks.

    Returns
    -------
    SolverReport
        One :class:`CheckResult` per check; ``passed`` is False when one is violated.

    Theorem: docs/theory.md §1 (certified minimisers), §2 (NSP, rNSP, Theorem 1), §6 (Ω_K).
    Rigor: proven (objective gaps and distances to certified minimisers in ball arithmetic).

    Examples
    --------
    >>> from theorycheck.testing import check_solver, exact_solver
    >>> report = check_solver(exact_solver(), checks=["metamorphic_permutation"])
    >>> report.passed
    True
    """
    __tracebackhide__ = True  # pytest: the message, not the kit's source
    if not callable(solver):
        raise InvalidArgument(f"solver must be callable as solver(problem, y), got {type(solver).__name__}")
    options = make_options(problem, tol, seed, max_examples, shrink, resolve_accuracy(accuracy, solver))
    on_fail = choice_arg(on_fail, "on_fail", ON_FAIL)
    tier = choice_arg(tier, "tier", _TIER_CHOICES)
    if callback is not None and not callable(callback):
        raise InvalidArgument("callback must be callable (it receives each CheckResult)")
    runner = Runner(solver, time_limit_arg(time_limit))
    names = _selected_checks(checks, options.problem, tier)
    expected = _expected(expected_failed_checks, solver)
    title = f"check_solver({solver_name(solver)}, problem={options.problem!r}, tier={tier!r})"
    bar = progress_bar(len(names), bool(progress), f"check_solver({solver_name(solver)})")
    results = []
    try:
        for name in names:
            res = run_check(name, runner, options)
            results.append(res)
            if callback is not None:
                callback(res)
            bar.update(1)
    finally:
        bar.close()
    report = SolverReport(results, title=title, expected={k: v for k, v in expected.items() if k in names})
    unexpected = [r for r in report.failures() if r.check not in expected]
    text = "\n".join([title, "unexpected failures:"] + ["  " + r.summary() for r in unexpected])
    return apply_on_fail(report, unexpected, on_fail, text)  # type: ignore[return-value]


def _selected_checks(checks: Sequence[str] | str | None, problem: str, tier: str = "all") -> tuple[str, ...]:
    """The checks to run, in battery order (all applicable ones of the tier by default)."""
    if checks is None:
        return applicable_checks(problem, tier)
    names = applicable_checks(problem)
    if isinstance(checks, str):
        checks = [checks]
    checks = [canonical_check(c, stacklevel=5) for c in checks]
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
        __tracebackhide__ = True  # pytest: a concise failure, not the kit's source
        options = dict(self.options)
        if options.get("seed") is None and SESSION.get("seed") is not None:
            options["seed"] = SESSION["seed"]  # --theorycheck-seed (read at call time)
        report = check_solver(solver, problem=self.problem, checks=[self.name], on_fail="raise", **options)
        missing = [r for r in report.results if r.outcome is Outcome.INCONCLUSIVE
                   and (r.message.startswith("needs ") or r.values.get("skipped")
                        or r.values.get("checked_members") == 0)]
        # an optional module is not installed, the variant is not solved, or the solver failed
        # loudly everywhere (honest, but nothing was checked): skip rather than pass
        if missing:
            import pytest

            pytest.skip(missing[0].message)
        return report

    def __repr__(self) -> str:
        return self.name


def parametrize_with_checks(
    solvers: Sequence[Callable[[Any, np.ndarray], Any]],
    *,
    problem: str = "lasso",
    tier: str = "core",
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
    :class:`~theorycheck.errors.CertificationError` when it fails (a concise
    message: the kit's frames are hidden from pytest's traceback); a check the
    solver declares it does not support is skipped. ``seed`` defaults to
    ``--theorycheck-seed`` and ``max_examples`` to the ``--theorycheck-profile``'s
    when the pytest plugin is enabled (read when the check runs). Ids are
    ``"<solver name>-<check>"``; checks in ``expected_failed_checks``
    (a dict, a list, or a callable receiving the solver) are marked ``xfail``.

    Parameters
    ----------
    solvers : sequence of callables
    problem : {"lasso", "srlasso", "qcbp", "bp"}
    tier : {"core", "stress", "all"}
        The checks parametrized (unless ``checks`` names them).
    expected_failed_checks : dict, list or callable, optional
    checks : sequence of str, optional
        Subset of :func:`applicable_checks`.
    **options
        Passed to :func:`check_solver` (``tol``, ``accuracy``, ``time_limit``, ``max_examples``,
        ``seed``, ``shrink``).

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
    names = applicable_checks(problem, tier)
    if checks is not None:
        checks = [canonical_check(c, stacklevel=3) for c in checks]
        unknown = [c for c in checks if c not in applicable_checks(problem)]
        if unknown:
            raise InvalidArgument(f"check(s) {unknown} do not exist or do not apply to problem={problem!r}")
        names = tuple(c for c in applicable_checks(problem) if c in checks)
    bad = set(options) - {"tol", "time_limit", "max_examples", "seed", "shrink", "accuracy"}
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


