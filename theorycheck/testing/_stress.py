"""The stress tier's checks of :func:`theorycheck.testing.check_solver`: how far a solver gets.

Near-degenerate instances (nearly collinear columns, a tiny certified dual
slack), extreme scales (``2^±20 … 2^±40`` ≈ ``10^±6 … 10^±12``) and the
impossibility families Ω_K. A stress check fails when an answer is certified
farther than ``tol`` from the minimiser (on Ω_K: an answer presented as a
success that is beyond the barrier ``10^-K``, as in
:func:`~theorycheck.impossibility.check_solver_on_family`, where a loud failure
is honest); its ``kind`` says whether that is a
wrong answer (objective above the accuracy allowed) or the instance's
conditioning (``"within-tolerance"``), and its values say how far the solver
got.

Theorem: docs/theory.md §1 (certified minimisers), §6 (impossibility).
Rigor: proven (ball arithmetic), except where stated.
"""

from __future__ import annotations

import functools
import math
import warnings
from types import SimpleNamespace
from typing import Any

import numpy as np

from theorycheck.impossibility import build_family, check_solver_on_family, verify_solver_on_family
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, claim_mismatches, verification
from theorycheck.testing._core import exact_minimiser, hypothesis_check
from theorycheck.testing._oracles import compare_to_certified, failed_call, planted_instances, scaled, tol_abs
from theorycheck.testing._runner import Options, Runner, program_variant, shorten
from theorycheck.testing.adapters import solver_name
from theorycheck.testing.triage import DEFAULT_ACCURACY, Accuracy, judge_answer

__all__ = ["near_degenerate_impl", "extreme_scales_impl", "impossibility_impl", "barrier_result",
           "verify_impossibility_barrier", "STRESS_SCALES", "BARRIER_K", "BARRIER_NS"]

#: scale exponents of ``extreme_scales``, in the order they are tried (powers of two)
STRESS_SCALES = (20, -20, 30, -30, 40, -40)


def near_degenerate_impl(runner: Runner, options: Options) -> CheckResult:
    """``certified_optimality_near_degenerate``: nearly collinear columns, a tiny dual slack.

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1, §6.3).
    Rigor: proven.
    """
    from theorycheck import strategies

    strat = strategies.near_degenerate_problems(problem=options.problem).map(lambda inst: scaled(inst, 0))
    return hypothesis_check("certified_optimality_near_degenerate", strat, runner, options,
                            "uniqueness under strict dual feasibility (docs/theory.md §1, §6.3)")


def extreme_scales_impl(runner: Runner, options: Options) -> CheckResult:
    """``extreme_scales``: the same instances at scales ``2^±20, 2^±30, 2^±40``; how far the solver gets.

    Theorem: homogeneity of the programs: ``x*(c·data) = c·x*(data)`` (docs/theory.md §1).
    Rigor: proven.
    """
    check = "extreme_scales"
    theorem = "x*(c·data) = c·x*(data) for c = 2^k (docs/theory.md §1)"
    insts = planted_instances(options, k0=40, count=2)
    reached = 0
    for k in STRESS_SCALES:
        for inst in insts:
            kinst = scaled(inst, k)
            res = compare_to_certified(check, runner(kinst.problem, kinst.y), kinst.problem, kinst.y,
                                       kinst.solution, options, theorem,
                                       note=f"; at scale 2^{k} (fine up to |k| = {reached})",
                                       facts={"scale_log2": float(k), "reached_log2": float(reached)},
                                       minimiser=kinst.minimiser)
            if not res.holds:
                return res
        reached = max(reached, abs(k))
    return CheckResult(check, Outcome.HOLDS, Rigor.PROVEN,
                       f"within tol of the certified minimiser at every scale 2^k, |k| ≤ {reached}",
                       {"reached_log2": float(reached)}, theorem=theorem)


#: the barrier's grid: ``Ω_K`` at ``K = 3`` and precision levels float64 still represents
#: (accurate answers are possible, yet the members' minimisers jump by ≈ 3·10^-3 for a
#: 2^-(n+1) change of one entry), with the family's shape
BARRIER_K = 3
BARRIER_NS = (10, 30)
_BARRIER_SHAPE: dict[str, Any] = {"N2": 6, "s": 2}
_BARRIER_THEOREM = "impossibility theorem, class Ω_K (docs/theory.md §6.1–6.2)"
_BARRIER_PROBLEMS = ("lasso", "srlasso", "qcbp")
_BARRIER_KEYS = frozenset({"cells", "problem", "accuracy_relative", "accuracy_absolute", "accuracy_source"})
#: the ``tol`` of the triage's distance certificate: it never changes the barrier's verdict (the
#: barrier is the family's ``10^-K``) nor the triage's kind, so it is fixed (re-derivable)
_TRIAGE_TOL = 1e-4


def impossibility_impl(runner: Runner, options: Options) -> CheckResult:
    """``impossibility_barrier``: the Ω_3 families; a loud failure is honest, a silent one is not.

    Consistent with :func:`theorycheck.impossibility.check_solver_on_family`,
    which judges every member: a solver that raises, warns or reports a
    non-optimal status on a member failed loudly (honest: not a violation); a
    cell where it failed loudly on every member checked nothing (inconclusive);
    an answer presented as a success that is provably beyond ``10^-3`` (a
    silent failure) or unusable (NaN, wrong shape: an invalid answer) violates
    the check. Only a call that exceeded the time limit or that the solver
    declared unsupported ends the check like a failed call of any other check.

    The result is :func:`barrier_result` of the family cells (each a saved
    ``solver_on_impossibility_family`` result): :func:`verify_impossibility_barrier`
    re-checks the cells and re-derives every field of it.

    Theorem: impossibility theorem, class Ω_K (docs/theory.md §6.1–6.2).
    Rigor: proven (errors decided in ball arithmetic against certified minimisers).
    """
    ended: list[Any] = []  # calls that end the check: time-out, program variant not solved

    def guarded(problem: Any, y: Any) -> Any:
        call = runner(problem, np.asarray(y))
        for w in call.caught:  # let check_solver_on_family see the solver's own warnings
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if call.x is not None:
            return SimpleNamespace(x=call.x, status=call.status or "optimal")
        if call.unsupported or call.timed_out:
            ended.append(call)
            raise RuntimeError(call.reason)
        if call.raised:  # a loud failure: check_solver_on_family sees the solver's own exception
            raise call.error if isinstance(call.error, Exception) else RuntimeError(call.reason)
        # an unusable answer, handed over as the solver returned it: check_solver_on_family
        # calls it an invalid answer when the solver claimed success, a loud failure otherwise
        return SimpleNamespace(x=call.answer, status=call.status or "optimal")

    guarded.__name__ = solver_name(runner.solver)
    builder = functools.partial(build_family, problem=options.problem, **_BARRIER_SHAPE)
    sub = check_solver_on_family(guarded, builder, K_values=[BARRIER_K], n_values=list(BARRIER_NS))
    if ended:
        return failed_call("impossibility_barrier", ended[0], _BARRIER_THEOREM)
    acc = options.accuracy if isinstance(options.accuracy, Accuracy) else DEFAULT_ACCURACY
    return barrier_result(tuple(sub.results), options.problem, acc)


def barrier_result(cells: tuple[CheckResult, ...], problem: str, accuracy: Accuracy) -> CheckResult:
    """The ``impossibility_barrier`` result from its family cells, deterministically.

    ``cells`` are the ``solver_on_impossibility_family`` results of
    :func:`~theorycheck.impossibility.check_solver_on_family` at ``K = 3``,
    ``n ∈ {10, 30}``. Violated when a cell is (a silent failure or an invalid
    answer), with the first silent member triaged by its certified objective
    gap (:func:`~theorycheck.testing.triage.judge_answer`); inconclusive when
    an error straddles the barrier or nothing was checked (loud failures
    only); holds otherwise. The witness stores the cells, the program and the
    accuracy, so :func:`verify_impossibility_barrier` re-derives the result.

    Theorem: impossibility theorem, class Ω_K (docs/theory.md §6.1–6.2).
    Rigor: the weakest of the cells' (proven where an answer was checked).
    """
    check = "impossibility_barrier"
    witness = Witness("impossibility_barrier", {
        "cells": tuple(cells), "problem": problem, "accuracy_relative": accuracy.relative,
        "accuracy_absolute": accuracy.absolute, "accuracy_source": accuracy.source})
    bad = [r for r in cells if r.violated]
    digits = [float(r.values.get("min_digits", 0.0)) for r in cells]
    grid = [(r.values.get("K"), r.values.get("n")) for r in cells]
    checked = int(sum(int(r.values.get("checked_members", 0)) for r in cells))
    values: dict[str, Any] = {"min_digits": digits, "cells": grid, "checked_members": checked,
                              "accuracy_relative": accuracy.relative, "accuracy_absolute": accuracy.absolute,
                              "accuracy_source": accuracy.source}
    where = ", ".join(f"K={K}, n={n}" for K, n in grid)
    if bad:
        outcomes = [o for r in bad for o in r.values.get("member_outcomes", ())]
        kind = "crash" if outcomes and all(o == "invalid_answer" for o in outcomes) else "silent-wrong-answer"
        values.update({"kind": kind, "tier": "stress", "objective_gap": None, "dual_slack": None})
        if kind != "crash":
            values.update(_barrier_triage(bad[0], accuracy))
            kind = values["kind"]
        gap = ("" if values.get("objective_gap") is None else
               f" (first silent member: f(x̂) − f(x*) ≤ {values['objective_gap']:.3g}, relative ≤ "
               f"{values['objective_gap_relative']:.3g}, allowed {values['allowed_gap']:.3g}; dual slack ≥ "
               f"{values['dual_slack']:.2g})")
        cells_text = shorten("; ".join(f"K={r['K']}, n={r['n']}: {r.message}" for r in bad), 700)
        return CheckResult(check, Outcome.VIOLATED, Rigor.weakest(*[r.rigor for r in bad]),
                           f"{kind}{gap}: {cells_text}", values, witness, _BARRIER_THEOREM)
    rigor = Rigor.weakest(*[r.rigor for r in cells]) if cells else Rigor.NUMERICAL
    undecided = [r for r in cells if r.outcome is Outcome.INCONCLUSIVE]
    if undecided or not cells:
        msg = undecided[0].message if undecided else "no family cell was run"
        return CheckResult(check, Outcome.INCONCLUSIVE, rigor, shorten(msg, 700), values, witness,
                           _BARRIER_THEOREM)
    return CheckResult(check, Outcome.HOLDS, rigor,
                       f"within the barrier 10^-3 on every member of Ω_3 where it answered ({where}; "
                       f"fewest digits {min(digits):.1f}; loud failures are honest)", values, witness,
                       _BARRIER_THEOREM)


def _barrier_triage(cell: CheckResult, acc: Accuracy) -> dict[str, Any]:
    """Objective triage of the first silent member answer of a violated Ω_K cell (empty if impossible).

    The member's float64 program is re-solved exactly (a proven minimiser of the
    data the solver saw) and the answer judged by
    :func:`~theorycheck.testing.triage.judge_answer`: the certified objective
    gap, the dual slack, and a kind — ``"within-tolerance"`` when the answer's
    objective is within the accuracy allowed (the family is ill-conditioned by
    design: its minimisers jump while the objective barely moves).
    """
    try:
        w = cell.witness.data if cell.witness is not None else {}
        outcomes = list(cell.values.get("member_outcomes", ()))
        i = outcomes.index("silent_failure")
        fam_params = {k: v for k, v in dict(w["family"]).items()
                      if k in ("K", "n", "problem", "N1", "N2", "s", "lam", "eta", "delta", "dct", "samples",
                               "seed", "strict", "dps")}
        member = build_family(**fam_params).member(i + 1)
        P, y = member.problem, np.asarray(member.y_float)
        x = np.asarray(w["answers"][i], dtype=float)
        sol = exact_minimiser(P, y, np.asarray(member.x_star_float))
        if sol is None:
            return {}
        tol = tol_abs(Options(program_variant(P), _TRIAGE_TOL, 0), np.asarray(sol.x), P, y)
        rec = judge_answer("impossibility_barrier", P, y, x, sol, tol=tol,
                           accuracy=acc, tier="stress", context={"status": "optimal", "warned": False, "note": ""})
    except Exception:  # noqa: BLE001 - the triage is extra evidence; the barrier verdict stands without it
        return {}
    keys = ("objective_gap", "objective_gap_lower", "objective_gap_relative", "allowed_gap", "dual_slack")
    out = {k: rec.values[k] for k in keys}
    out["kind"] = "silent-wrong-answer" if rec.values["kind"] == "silent-wrong-answer" else "within-tolerance"
    out["triaged_member"] = i + 1
    return out


@functools.lru_cache(maxsize=16)
def _barrier_family_params(problem: str, n: int) -> tuple[tuple[str, Any], ...]:
    """The parameters of the family the barrier builds for ``problem`` at level ``n`` (cheap: lazy)."""
    return tuple(build_family(BARRIER_K, n, problem=problem, **_BARRIER_SHAPE).params.items())


def _barrier_inputs(w: Any) -> tuple[list[str], tuple[CheckResult, ...], str, Accuracy | None]:
    """Validate a saved barrier witness: (problems, cells, program, accuracy)."""
    if not isinstance(w, Witness) or w.kind != "impossibility_barrier":
        return ["witness: expected an 'impossibility_barrier' witness (the family cells)"], (), "", None
    if set(w.data) != _BARRIER_KEYS:
        return [f"witness: expected exactly the fields {sorted(_BARRIER_KEYS)}"], (), "", None
    problems: list[str] = []
    problem = w["problem"]
    if problem not in _BARRIER_PROBLEMS:
        problems.append(f"witness['problem'] = {problem!r} is not one of {_BARRIER_PROBLEMS}")
    for key in ("accuracy_relative", "accuracy_absolute"):
        v = w[key]
        if isinstance(v, bool) or not isinstance(v, float) or not math.isfinite(v) or v < 0:
            problems.append(f"witness[{key!r}] = {v!r} is not a finite float ≥ 0")
    if not isinstance(w["accuracy_source"], str) or len(w["accuracy_source"]) > 100:
        problems.append("witness['accuracy_source'] must be a short string")
    cells = w["cells"]
    if not isinstance(cells, (list, tuple)) or len(cells) != len(BARRIER_NS) or not all(
            isinstance(c, CheckResult) and c.check == "solver_on_impossibility_family" for c in cells):
        problems.append(f"witness['cells'] must hold the {len(BARRIER_NS)} solver_on_impossibility_family "
                        f"results of K = {BARRIER_K}, n ∈ {BARRIER_NS}")
    if problems:
        return problems, (), "", None
    return [], tuple(cells), problem, Accuracy(w["accuracy_relative"], w["accuracy_absolute"], w["accuracy_source"])


def verify_impossibility_barrier(result: CheckResult) -> CheckResult:
    """Re-check a saved ``impossibility_barrier`` result from its witness (the family cells).

    Each stored cell must be the family the check builds (``Ω_3`` at
    ``n = 10, 30`` of the stored program) and re-check under
    :func:`theorycheck.impossibility.verify_solver_on_family` (family rebuilt,
    minimisers re-certified, every member outcome re-derived from the stored
    answers); then :func:`barrier_result` re-derives the outcome, rigor,
    message and every value — the triage of the first silent member re-proven
    from the rebuilt member — and every field must agree exactly with the file.
    The solver is not re-run: its answers, statuses and warnings are the witness.

    Theorem: impossibility theorem, class Ω_K (docs/theory.md §6.1–6.2).
    Rigor: the saved result's, re-derived (never above it).
    """
    problems, cells, problem, acc = _barrier_inputs(result.witness)
    for i, (cell, n) in enumerate(zip(cells, BARRIER_NS)):
        fam = cell.witness.data.get("family") if isinstance(cell.witness, Witness) else None
        if not isinstance(fam, dict) or tuple(fam.items()) != _barrier_family_params(problem, n):
            problems.append(f"witness['cells'][{i}]: not the family Ω_{BARRIER_K} at n = {n} the check builds "
                            f"for {problem}")
            continue
        again = verify_solver_on_family(cell)
        if not again.holds:
            problems.append(f"witness['cells'][{i}] does not re-check: {shorten(again.message, 300)}")
    if not problems and acc is not None:
        problems.extend(claim_mismatches(result, barrier_result(cells, problem, acc)))
    return verification(result, problems, rederived=(
        "every family cell re-checked (family rebuilt, minimisers re-certified, member outcomes re-derived); "
        "outcome, rigor, message, values and the objective triage re-derived from the cells"),
        not_rechecked="the solver is not re-run: its answers, statuses and warnings are the witness")
