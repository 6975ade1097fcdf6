"""The checks of :func:`theorycheck.testing.check_solver`, one function each, with their tiers.

Each check runs a solver (through the guarded :class:`~theorycheck.testing._runner.Runner`)
on instances whose answer is known by proof and returns one
:class:`~theorycheck.results.CheckResult`. Answers are judged against certified
minimisers by :mod:`theorycheck.testing.triage`: every failing result has
``values["kind"]`` (``"silent-wrong-answer"``, ``"reported-failure"``,
``"within-tolerance"``, ``"crash"``), ``values["objective_gap"]`` (certified,
rounded outward; ``objective_gap_lower``, ``objective_gap_relative``) and
``values["dual_slack"]``, with the solver's status and warnings in the message.

**Tiers.** ``core`` (the default of ``check_solver``): well-conditioned
instances — certified dual slack ≥ 0.05 and restricted condition number
``cond₂(A_S) ≤ 100`` — at scales ``2^-10 … 2^10``; a check fails exactly when an
answer's objective (QCBP: or its constraint excess) is certified above the
accuracy allowed, or no answer came back. ``stress``: near-degenerate
instances, extreme scales, the impossibility families; a check fails when an
answer is certified farther than ``tol`` from the minimiser, and the kind says
whether it is a wrong answer or the instance's conditioning.

========================================  =====  ===============================================
check                                     tier   property (oracle)
========================================  =====  ===============================================
``optimality``                            core   random planted instances (hypothesis, shrunk)
``metamorphic_scaling``                   core   data scaled by ``2^±10``: both answers judged
``metamorphic_permutation``               core   columns permuted: both answers judged
``metamorphic_sign_phase``                core   column signs flipped: both answers judged
``metamorphic_zero_column``               core   a zero column inserted: both answers judged
``zero_above_lambda_max``                 core   ``λ ≥ 1.5 λ_max ⇒ x = 0`` (QCBP: ``η ≥ 1.5‖y‖``)
``l1_norm_monotone``                      core   ``‖x(λ)‖₁`` non-increasing (a growth is judged)
``scale_and_dynamic_range``               core   coefficients over 3.5 orders, scales ``2^-10…2^10``
``exact_recovery_nsp``                    core   SR-LASSO / basis pursuit recover ``x`` from ``y = Ax``
``recovery_bound_rnsp``                   core   Theorem 1's bound under certified rNSP constants
``certified_optimality_near_degenerate``  stress nearly collinear columns, tiny dual slack
``extreme_scales``                        stress scales ``2^±20 … 2^±40``: how far it gets
``impossibility_barrier``                 stress Ω_3: no silent answer beyond ``10^-3`` (loud = honest)
========================================  =====  ===============================================

``certified_optimality`` is the former name of ``optimality`` (accepted, with a
``DeprecationWarning``, wherever a check name is taken). :data:`REGISTRY` maps
each name to its implementation, tier and programs, in battery order.

Theorem: docs/theory.md §1 (certified minimisers), §2 (NSP, rNSP, Theorem 1), §6 (impossibility).
Rigor: proven against certified minimisers (ball arithmetic).
"""

from __future__ import annotations

import dataclasses
import functools
import traceback
import warnings
from typing import Any, Callable

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.results import CheckResult, Outcome, Rigor, register_verifier
from theorycheck.testing._core import (
    check_optimality_impl,
    dynamic_range_impl,
    metamorphic_impl,
    monotone_impl,
    recovery_impl,
    rnsp_bound_impl,
    zero_impl,
)
from theorycheck.testing._runner import PROBLEMS, Options, Runner, make_options, shorten, time_limit_arg
from theorycheck.testing._stress import (
    extreme_scales_impl,
    impossibility_impl,
    near_degenerate_impl,
    verify_impossibility_barrier,
)
from theorycheck.testing.triage import TIERS, resolve_accuracy, verify_kit_record

__all__ = [
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
    "CheckSpec",
    "REGISTRY",
    "RENAMED",
    "canonical_check",
    "run_check",
    "KIT_RECORD_CHECKS",
    "verify_certified_check",
]

#: former check names → current ones (accepted with a DeprecationWarning)
RENAMED: dict[str, str] = {"certified_optimality": "optimality"}


def canonical_check(name: str, stacklevel: int = 3) -> str:
    """The current name of a check (a former name warns with ``DeprecationWarning``).

    Theorem: none.
    Rigor: not applicable.
    """
    if name in RENAMED:
        warnings.warn(f"the check {name!r} is now called {RENAMED[name]!r}", DeprecationWarning,
                      stacklevel=stacklevel)
        return RENAMED[name]
    return name


# --------------------------------------------------------------------------------------
# each check on its own
# --------------------------------------------------------------------------------------

def _alone(name: str, solver: Any, problem: Any, tol: Any, seed: Any, time_limit: Any,
           max_examples: Any = None, shrink: Any = True, accuracy: Any = None) -> CheckResult:
    """Validate the options, guard the solver and run one check (the standalone form)."""
    if not callable(solver):
        raise InvalidArgument(f"solver must be callable as solver(problem, y), got {type(solver).__name__}")
    options = make_options(problem, tol, seed, max_examples, shrink, resolve_accuracy(accuracy, solver))
    if options.problem not in REGISTRY[name].problems:
        raise InvalidArgument(f"{name} does not apply to problem={options.problem!r}: use one of "
                              f"{REGISTRY[name].problems}")
    return run_check(name, Runner(solver, time_limit_arg(time_limit)), options)


_OPTIONS_DOC = """solver : callable
        ``solver(problem, y)`` returning an array of shape ``problem.A.in_shape``
        or a :class:`~theorycheck.solvers.solution.Solution`.
    problem : {"lasso", "srlasso", "qcbp", "bp"}
        The program the solver solves (``"bp"``: basis pursuit, QCBP with ``η = 0``).
    tol : float
        Accepted distance, relative to the instance's scale: ``tol·‖x*‖`` (no absolute floor).
    seed : int, optional
        Seeds the instances (same seed, same result; default ``--theorycheck-seed`` or 0).
    time_limit : float or None
        Seconds per solver call (the call is abandoned and the check fails).
    accuracy : float, pair or None
        Objective accuracy allowed: relative, or ``(relative, absolute)``
        (default: the solver's declared stopping rule, else ``1e-6`` relative)."""


def check_optimality(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                     tol: float = 1e-4, seed: int | None = None, time_limit: float | None = 60.0,
                     max_examples: int | None = None, shrink: bool = True, accuracy: Any = None) -> CheckResult:
    """No answer's objective is certified above the accuracy allowed, on random well-conditioned instances.

    Hypothesis draws planted instances whose unique minimiser is certified
    (:func:`theorycheck.strategies.lasso_problems` and siblings, basis
    pursuit from ``qcbp_problems(eta=0)``), keeps the well-conditioned ones
    (certified dual slack ≥ 0.05, ``cond₂(A_S) ≤ 100``) and scales them by
    ``2^k``, ``|k| ≤ 10``; a failing example is shrunk to a minimal one. A
    violation is the kit record of :mod:`theorycheck.testing.triage`
    (``theorycheck verify`` re-proves it), with how it was found
    (``context_examples``, ``context_shrunk_m``, ...) in its context.

    Parameters
    ----------
    {options}
    max_examples : int, optional
        Hypothesis examples (default 10).
    shrink : bool
        Shrink a failing instance to a minimal one.

    Returns
    -------
    CheckResult

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (objective gaps and distances to certified minimisers in ball arithmetic).
    """
    return _alone("optimality", solver, problem, tol, seed, time_limit, max_examples, shrink, accuracy)


def check_certified_optimality(solver: Callable[[Any, np.ndarray], Any], **options: Any) -> CheckResult:
    """Deprecated alias of :func:`check_optimality` (the check's former name); warns.

    Theorem: as :func:`check_optimality`.
    Rigor: as :func:`check_optimality`.
    """
    warnings.warn("check_certified_optimality is now check_optimality", DeprecationWarning, stacklevel=2)
    return check_optimality(solver, **options)


def check_certified_optimality_near_degenerate(
        solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso", tol: float = 1e-4, seed: int | None = None,
        time_limit: float | None = 60.0, max_examples: int | None = None, shrink: bool = True,
        accuracy: Any = None) -> CheckResult:
    """As :func:`check_certified_optimality`, on nearly collinear columns with a tiny dual slack.

    The instances (:func:`theorycheck.strategies.near_degenerate_problems`)
    have a certified unique minimiser whose dual slack is of the order of the
    columns' distance ``δ``: where coordinate descent and interior-point
    methods stop early yet report success.

    Parameters
    ----------
    {options}
    max_examples : int, optional
        Hypothesis examples (default 10).
    shrink : bool
        Shrink a failing instance to a minimal one.

    Returns
    -------
    CheckResult

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1, §6.3).
    Rigor: proven.
    """
    return _alone("certified_optimality_near_degenerate", solver, problem, tol, seed, time_limit, max_examples,
                  shrink, accuracy)


def check_metamorphic_scaling(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                              tol: float = 1e-4, seed: int | None = None,
        time_limit: float | None = 60.0, accuracy: Any = None) -> CheckResult:
    """``x(2y, 2λ) = 2x(y, λ)`` (SR-LASSO: ``x(2y) = 2x(y)``; QCBP: ``x(2y, 2η) = 2x(y, η)``).

    Scaling by a power of two is exact in floating point, so the answers on
    the original and the scaled instance must agree within ``tol``.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: the minimisers scale with the data (docs/theory.md §1).
    Rigor: certified-float64 (the distance between the two answers, computed deterministically).
    """
    return _alone("metamorphic_scaling", solver, problem, tol, seed, time_limit, accuracy=accuracy)


def check_metamorphic_permutation(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                                  tol: float = 1e-4, seed: int | None = None,
        time_limit: float | None = 60.0, accuracy: Any = None) -> CheckResult:
    """Permuting the columns of ``A`` (and the weights) permutes the answer.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: the programs are invariant under a relabelling of the coefficients (docs/theory.md §1).
    Rigor: certified-float64.
    """
    return _alone("metamorphic_permutation", solver, problem, tol, seed, time_limit, accuracy=accuracy)


def check_metamorphic_sign_phase(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                                 tol: float = 1e-4, seed: int | None = None,
        time_limit: float | None = 60.0, accuracy: Any = None) -> CheckResult:
    """Flipping column signs (complex: multiplying by ``i^k``) flips (rotates back) the answer's entries.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: ``‖·‖₁`` is invariant under unimodular diagonal scalings (docs/theory.md §1).
    Rigor: certified-float64.
    """
    return _alone("metamorphic_sign_phase", solver, problem, tol, seed, time_limit, accuracy=accuracy)


def check_metamorphic_zero_column(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                                  tol: float = 1e-4, seed: int | None = None,
        time_limit: float | None = 60.0, accuracy: Any = None) -> CheckResult:
    """A zero column inserted into ``A`` gets a zero coefficient; the rest of the answer is unchanged.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: a zero column only adds ``w|z_j|`` to the objective, minimised at ``z_j = 0`` (docs/theory.md §1).
    Rigor: certified-float64.
    """
    return _alone("metamorphic_zero_column", solver, problem, tol, seed, time_limit, accuracy=accuracy)


def check_zero_above_lambda_max(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                                tol: float = 1e-4, seed: int | None = None,
        time_limit: float | None = 60.0, accuracy: Any = None) -> CheckResult:
    """``λ ≥ 1.5 λ_max ⇒ x = 0`` (QCBP: ``η ≥ 1.5‖y‖ ⇒ x = 0``), against a certified zero minimiser.

    A violation is a re-provable ``certified_optimality`` record under this check's name.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: optimality of ``z = 0`` for ``λ > λ_max``, resp. ``‖y‖ < η`` (docs/theory.md §1).
    Rigor: proven.
    """
    return _alone("zero_above_lambda_max", solver, problem, tol, seed, time_limit, accuracy=accuracy)


def check_l1_norm_monotone(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                           tol: float = 1e-4, seed: int | None = None,
        time_limit: float | None = 60.0, accuracy: Any = None) -> CheckResult:
    """``‖x(λ)‖₁`` is non-increasing in ``λ`` (QCBP: in ``η``) along a path of five parameters.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: comparing the optimality of ``λ₁ < λ₂`` (QCBP: nested feasible sets) (docs/theory.md §1).
    Rigor: certified-float64 (ℓ1 norms correctly rounded).
    """
    return _alone("l1_norm_monotone", solver, problem, tol, seed, time_limit)


def check_exact_recovery_nsp(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "srlasso",
                             tol: float = 1e-4, seed: int | None = None,
        time_limit: float | None = 60.0, accuracy: Any = None) -> CheckResult:
    """SR-LASSO (small ``λ``) and QCBP (``η = 0``) recover an ``s``-sparse ``x`` from ``y = Ax`` exactly.

    The instance has dyadic ``A`` and integer ``x`` (``y = Ax`` exactly in
    float64), a strict dual certificate proven in ball arithmetic and, when
    found, a certified NSP constant below 1/2. Not for U-LASSO.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: strict dual certificate ⇒ unique minimiser (Fuchs); NSP(s) (docs/theory.md §1–2).
    Rigor: proven.
    """
    return _alone("exact_recovery_nsp", solver, problem, tol, seed, time_limit, accuracy=accuracy)


def check_recovery_bound_rnsp(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                              tol: float = 1e-4, seed: int | None = None,
        time_limit: float | None = 60.0, accuracy: Any = None) -> CheckResult:
    """The answer satisfies Theorem 1's error bound under certified rNSP constants.

    A Gaussian matrix with a certified rNSP (``ρ = 1/2``, ``γ`` proven),
    a nearly 1-sparse ``x`` and small noise: every minimiser is within the
    bound (``tol`` is not used: the bound is the tolerance).

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: seed Theorem 1 / Foucart–Rauhut Thm 4.25 under the rNSP (docs/theory.md §2).
    Rigor: proven (as the rNSP constant's upper side).
    """
    return _alone("recovery_bound_rnsp", solver, problem, tol, seed, time_limit, accuracy=accuracy)


def check_impossibility_barrier(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                                tol: float = 1e-4, seed: int | None = None,
        time_limit: float | None = 60.0, accuracy: Any = None) -> CheckResult:
    """On the Ω_3 families no answer claims accuracy below the barrier ``10^-3`` silently.

    Runs :func:`theorycheck.impossibility.check_solver_on_family` at
    ``K = 3``, ``n ∈ {10, 30}`` and judges like it: violated cells (an answer
    presented as a success yet provably beyond ``10^-3``, or unusable) violate
    the check; a loud failure (the solver raised, warned or reported a
    non-optimal status) is honest, not a violation, and where the solver
    failed loudly on every member nothing was checked (inconclusive). A
    violation's ``kind`` comes from the certified objective gap of the first
    silent member (``"within-tolerance"`` when it is within the accuracy: the
    family is ill-conditioned by design). The witness holds the family cells:
    ``theorycheck verify`` re-derives the result.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: impossibility theorem, class Ω_K (docs/theory.md §6.1–6.2).
    Rigor: proven (errors decided in ball arithmetic against certified minimisers).
    """
    return _alone("impossibility_barrier", solver, problem, tol, seed, time_limit, accuracy=accuracy)


def check_scale_and_dynamic_range(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                                  tol: float = 1e-4, seed: int | None = None, time_limit: float | None = 60.0,
                                  accuracy: Any = None) -> CheckResult:
    """Coefficients spread over 3.5 orders of magnitude, at scales ``2^-10, 1, 2^10``.

    Planted instances whose minimiser has magnitudes ``M·(1, 10^-1.5, 10^-3.5)``:
    a solver that zeroes coefficients below a fixed threshold, or is right
    only at unit scale, leaves an objective gap above the accuracy allowed.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: uniqueness under strict dual feasibility; homogeneity ``x*(c·data) = c·x*`` (docs/theory.md §1).
    Rigor: proven.
    """
    return _alone("scale_and_dynamic_range", solver, problem, tol, seed, time_limit, accuracy=accuracy)


def check_extreme_scales(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                         tol: float = 1e-4, seed: int | None = None, time_limit: float | None = 60.0,
                         accuracy: Any = None) -> CheckResult:
    """Stress: the same instances at scales ``2^±20, 2^±30, 2^±40``; how far the solver stays within ``tol``.

    ``values["reached_log2"]`` is the largest ``|k|`` at which every answer was within ``tol``.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: homogeneity of the programs, ``x*(c·data) = c·x*(data)`` (docs/theory.md §1).
    Rigor: proven.
    """
    return _alone("extreme_scales", solver, problem, tol, seed, time_limit, accuracy=accuracy)


# --------------------------------------------------------------------------------------
# the registry
# --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class CheckSpec:
    """A check of the battery: implementation, standalone function, tier and the programs it applies to.

    Theorem: none (registry).
    Rigor: not applicable.
    """

    name: str
    run: Callable[[Runner, Options], CheckResult]
    function: Callable[..., CheckResult]
    problems: tuple[str, ...] = PROBLEMS
    tier: str = "core"


_METAMORPHIC = {name: functools.partial(metamorphic_impl, name) for name in (
    "metamorphic_scaling", "metamorphic_permutation", "metamorphic_sign_phase", "metamorphic_zero_column")}
_PENALISED = ("lasso", "srlasso", "qcbp")

#: every check, in the order :func:`~theorycheck.testing.check_solver` runs them
REGISTRY: dict[str, CheckSpec] = {spec.name: spec for spec in (
    CheckSpec("optimality", check_optimality_impl, check_optimality),
    CheckSpec("metamorphic_scaling", _METAMORPHIC["metamorphic_scaling"], check_metamorphic_scaling),
    CheckSpec("metamorphic_permutation", _METAMORPHIC["metamorphic_permutation"], check_metamorphic_permutation),
    CheckSpec("metamorphic_sign_phase", _METAMORPHIC["metamorphic_sign_phase"], check_metamorphic_sign_phase),
    CheckSpec("metamorphic_zero_column", _METAMORPHIC["metamorphic_zero_column"], check_metamorphic_zero_column),
    CheckSpec("zero_above_lambda_max", zero_impl, check_zero_above_lambda_max, _PENALISED),
    CheckSpec("l1_norm_monotone", monotone_impl, check_l1_norm_monotone, _PENALISED),
    CheckSpec("scale_and_dynamic_range", dynamic_range_impl, check_scale_and_dynamic_range),
    # needs a program that reproduces y = Ax exactly (SR-LASSO with small λ, basis pursuit)
    CheckSpec("exact_recovery_nsp", recovery_impl, check_exact_recovery_nsp, ("srlasso", "qcbp", "bp")),
    CheckSpec("recovery_bound_rnsp", rnsp_bound_impl, check_recovery_bound_rnsp, _PENALISED),
    CheckSpec("certified_optimality_near_degenerate", near_degenerate_impl,
              check_certified_optimality_near_degenerate, _PENALISED, "stress"),
    CheckSpec("extreme_scales", extreme_scales_impl, check_extreme_scales, PROBLEMS, "stress"),
    CheckSpec("impossibility_barrier", impossibility_impl, check_impossibility_barrier, _PENALISED, "stress"),
)}

for _spec in REGISTRY.values():  # the options every standalone check takes, documented once
    _spec.function.__doc__ = (_spec.function.__doc__ or "").replace("{options}", _OPTIONS_DOC)
    assert _spec.tier in TIERS


def run_check(name: str, runner: Runner, options: Options) -> CheckResult:
    """Run one check of :data:`REGISTRY` at its tier; an error in the check itself is an inconclusive result.

    Theorem: the check's.
    Rigor: the check's (numerical when the check could not run).
    """
    spec = REGISTRY[canonical_check(name)]
    try:
        return spec.run(runner, dataclasses.replace(options, tier=spec.tier))
    except Exception as exc:  # noqa: BLE001 - the suite never crashes
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return CheckResult(spec.name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           f"the check could not run: {shorten(tb, 400)}")


# --------------------------------------------------------------------------------------
# verifiers: every check whose violation is a kit record against a certified minimiser
# --------------------------------------------------------------------------------------

#: checks whose records :func:`~theorycheck.testing.triage.verify_kit_record` re-derives
KIT_RECORD_CHECKS: tuple[str, ...] = tuple(n for n in REGISTRY if n not in ("impossibility_barrier",))


def verify_certified_check(result: CheckResult) -> CheckResult:
    """Re-derive a saved kit record (a check of :data:`KIT_RECORD_CHECKS`) from its witness.

    See :func:`theorycheck.testing.triage.verify_kit_record`: the certificate is
    re-proven, the objective triage recomputed and every field compared exactly.

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (the re-derived certificate), never above the saved claim.
    """
    return verify_kit_record(result)


for _name in KIT_RECORD_CHECKS:
    register_verifier(_name)(verify_certified_check)
# the barrier's result is assembled from its family cells, each re-checked by verify_solver_on_family
register_verifier("impossibility_barrier")(verify_impossibility_barrier)
