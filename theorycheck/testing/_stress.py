"""The stress tier's checks of :func:`theorycheck.testing.check_solver`: how far a solver gets.

Near-degenerate instances (nearly collinear columns, a tiny certified dual
slack), extreme scales (``2^±20 … 2^±40`` ≈ ``10^±6 … 10^±12``) and the
impossibility families Ω_K. A stress check fails when an answer is certified
farther than ``tol`` from the minimiser; its ``kind`` says whether that is a
wrong answer (objective above the accuracy allowed) or the instance's
conditioning (``"within-tolerance"``), and its values say how far the solver
got.

Theorem: docs/theory.md §1 (certified minimisers), §6 (impossibility).
Rigor: proven (ball arithmetic), except where stated.
"""

from __future__ import annotations

import functools
import warnings
from types import SimpleNamespace
from typing import Any

import numpy as np

from theorycheck.impossibility import build_family, check_solver_on_family
from theorycheck.results import CheckResult, Outcome, Rigor
from theorycheck.testing._core import exact_minimiser, hypothesis_check
from theorycheck.testing._oracles import compare_to_certified, failed_call, planted_instances, scaled, tol_abs
from theorycheck.testing._runner import Options, Runner
from theorycheck.testing.adapters import solver_name
from theorycheck.testing.triage import DEFAULT_ACCURACY, Accuracy, judge_answer

__all__ = ["near_degenerate_impl", "extreme_scales_impl", "impossibility_impl", "STRESS_SCALES"]

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


def impossibility_impl(runner: Runner, options: Options) -> CheckResult:
    """``impossibility_barrier``: the Ω_3 families; a loud failure is honest, a silent one is not.

    Aligned with :func:`theorycheck.impossibility.check_solver_on_family`: a
    solver that raises, warns or reports a non-optimal status on a member
    failed loudly (honest, not a violation); a cell where it failed loudly on
    every member checked nothing (inconclusive).

    Theorem: impossibility theorem, class Ω_K (docs/theory.md §6.1–6.2).
    Rigor: proven (errors decided in ball arithmetic against certified minimisers).
    """
    check = "impossibility_barrier"
    theorem = "impossibility theorem, class Ω_K (docs/theory.md §6.1–6.2)"
    skipped: list[Any] = []

    def guarded(problem: Any, y: Any) -> Any:
        call = runner(problem, np.asarray(y))
        for w in call.caught:  # let check_solver_on_family see the solver's own warnings
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if call.x is None:
            if call.unsupported:
                skipped.append(call)
            raise RuntimeError(call.reason)  # a loud failure, as the solver's own raise would be
        return SimpleNamespace(x=call.x, status=call.status or "optimal")

    guarded.__name__ = solver_name(runner.solver)
    # K = 3 and precision levels float64 still represents: accurate answers are possible,
    # yet the members' minimisers jump by ≈ 3·10^-3 for a 2^-(n+1) change of one entry
    builder = functools.partial(build_family, problem=options.problem, N2=6, s=2)
    sub = check_solver_on_family(guarded, builder, K_values=[3], n_values=[10, 30])
    if skipped:
        return failed_call(check, skipped[0], theorem)
    bad = [r for r in sub.results if r.violated]
    digits = [float(r.values.get("min_digits", 0.0)) for r in sub.results]
    cells = [(r.values.get("K"), r.values.get("n")) for r in sub.results]
    values: dict[str, Any] = {"min_digits": digits, "cells": cells}
    if bad:
        outcomes = [o for r in bad for o in r.values.get("member_outcomes", ())]
        kind = "crash" if outcomes and all(o == "invalid_answer" for o in outcomes) else "silent-wrong-answer"
        values.update({"kind": kind, "tier": "stress", "objective_gap": None, "dual_slack": None})
        if kind != "crash":
            values.update(_barrier_triage(bad[0], options))
            kind = values["kind"]
        gap = ("" if values.get("objective_gap") is None else
               f" (first silent member: f(x̂) − f(x*) ≤ {values['objective_gap']:.3g}, relative ≤ "
               f"{values['objective_gap_relative']:.3g}, allowed {values['allowed_gap']:.3g}; dual slack ≥ "
               f"{values['dual_slack']:.2g})")
        return CheckResult(check, Outcome.VIOLATED, Rigor.weakest(*[r.rigor for r in bad]),
                           f"{kind}{gap}: " + "; ".join(f"K={r['K']}, n={r['n']}: {r.message}" for r in bad)[:700],
                           values, bad[0].witness, theorem)
    rigor = Rigor.weakest(*[r.rigor for r in sub.results]) if sub.results else Rigor.NUMERICAL
    undecided = [r for r in sub.results if r.outcome is Outcome.INCONCLUSIVE]
    if undecided:
        return CheckResult(check, Outcome.INCONCLUSIVE, rigor, undecided[0].message, values,
                           undecided[0].witness, theorem)
    return CheckResult(check, Outcome.HOLDS, rigor,
                       f"within the barrier 10^-3 on every member of Ω_3 at n ∈ {{10, 30}} where it answered "
                       f"(fewest digits {min(digits):.1f})", values, theorem=theorem)


def _barrier_triage(cell: CheckResult, options: Options) -> dict[str, Any]:
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
        acc = options.accuracy if isinstance(options.accuracy, Accuracy) else DEFAULT_ACCURACY
        rec = judge_answer("impossibility_barrier", P, y, x, sol, tol=tol_abs(options, np.asarray(sol.x), P, y),
                           accuracy=acc, tier="stress", context={"status": "optimal", "warned": False, "note": ""})
    except Exception:  # noqa: BLE001 - the triage is extra evidence; the barrier verdict stands without it
        return {}
    keys = ("objective_gap", "objective_gap_lower", "objective_gap_relative", "allowed_gap", "dual_slack")
    out = {k: rec.values[k] for k in keys}
    out["kind"] = "silent-wrong-answer" if rec.values["kind"] == "silent-wrong-answer" else "within-tolerance"
    out["triaged_member"] = i + 1
    return out
