"""The checks of :func:`theorycheck.testing.check_solver`, one function each.

Each check runs a solver (through the guarded :class:`~theorycheck.testing._runner.Runner`)
on instances whose answer is known by proof, and returns one
:class:`~theorycheck.results.CheckResult`:

=====================================  =====================================================
check                                  property (oracle)
=====================================  =====================================================
``certified_optimality``               answer within ``tol`` of the proven unique minimiser
                                       on random planted instances (hypothesis, shrunk)
``certified_optimality_near_degenerate``  the same on nearly collinear columns with a tiny
                                       certified dual slack (where real solvers break)
``metamorphic_scaling``                ``x(2y, 2λ) = 2x(y, λ)`` (SR-LASSO ``x(2y) = 2x(y)``,
                                       QCBP ``x(2y, 2η) = 2x(y, η)``)
``metamorphic_permutation``            permuting the columns permutes the answer
``metamorphic_sign_phase``             flipping column signs (complex: multiplying by ``i^k``)
                                       flips (rotates back) the answer's entries
``metamorphic_zero_column``            a zero column gets a zero coefficient, the rest unchanged
``zero_above_lambda_max``              ``λ ≥ 1.5 λ_max ⇒ x = 0`` (QCBP: ``η ≥ 1.5‖y‖``)
``l1_norm_monotone``                   ``‖x(λ)‖₁`` non-increasing in ``λ`` (QCBP: in ``η``)
``exact_recovery_nsp``                 SR-LASSO / QCBP (``η = 0``) recover an ``s``-sparse
                                       ``x`` from ``y = Ax`` exactly (certified NSP / dual
                                       certificate)
``recovery_bound_rnsp``                Theorem 1's error bound under certified rNSP constants
``impossibility_barrier``              on the Ω_K families no answer claims accuracy below
                                       the barrier ``10^-K`` silently
=====================================  =====================================================

:data:`REGISTRY` maps each name to its implementation and the programs it
applies to, in the order :func:`~theorycheck.testing.check_solver` runs them.

Theorem: THEORY.md §1 (certified minimisers), §2 (NSP, rNSP, Theorem 1), §6 (impossibility).
Rigor: per check (``proven`` against certified minimisers, ``certified-float64``
for metamorphic relations).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import traceback
import warnings
from types import SimpleNamespace
from typing import Any, Callable

import flint
import numpy as np

from theorycheck.errors import InvalidArgument, SolverError
from theorycheck.impossibility import build_family, check_solver_on_family
from theorycheck.numerics.exact import ball_upper, to_arb
from theorycheck.numerics.rounding import norm2
from theorycheck.problems.programs import QCBP, Lasso, SRLasso
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, register_verifier, verification
from theorycheck.rnsp import nsp_constant, recovery_constants, rnsp_gamma
from theorycheck.solvers.certify import verify_certified_optimality
from theorycheck.solvers.exact import solve_exact
from theorycheck.testing._oracles import (
    arb_distance,
    compare_to_certified,
    dual_certificate,
    failed_call,
    instance_record,
    planted_instances,
    recovery_bound,
    recovery_instance,
    tol_abs,
)
from theorycheck.testing._runner import PROBLEMS, Call, Options, Runner, make_options, time_limit_arg
from theorycheck.testing.adapters import solver_name

__all__ = [
    "check_certified_optimality",
    "check_certified_optimality_near_degenerate",
    "check_metamorphic_scaling",
    "check_metamorphic_permutation",
    "check_metamorphic_sign_phase",
    "check_metamorphic_zero_column",
    "check_zero_above_lambda_max",
    "check_l1_norm_monotone",
    "check_exact_recovery_nsp",
    "check_recovery_bound_rnsp",
    "check_impossibility_barrier",
    "CheckSpec",
    "REGISTRY",
    "run_check",
    "CERTIFIED_CHECKS",
    "verify_certified_check",
]


# --------------------------------------------------------------------------------------
# hypothesis-driven checks against certified minimisers
# --------------------------------------------------------------------------------------

class _Found(Exception):
    """Raised inside the hypothesis test to mark a failing example."""


def _hypothesis_check(check: str, strategy: Any, runner: Runner, options: Options,
                      theorem: str) -> CheckResult:
    from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings

    state: dict[str, Any] = {"n": 0, "last": None, "first": None, "worst": 0.0, "inconclusive": 0}

    def body(inst: Any) -> None:
        state["n"] += 1
        call = runner(inst.problem, inst.y)
        res = compare_to_certified(check, call, inst.problem, inst.y, inst.solution, options, theorem)
        if res.violated:
            state["last"] = (inst, call)
            if state["first"] is None:
                state["first"] = inst
            raise _Found(res.message)
        if res.outcome is Outcome.INCONCLUSIVE:
            state["inconclusive"] += 1
        state["worst"] = max(state["worst"], float(res.values.get("distance_upper", 0.0)))

    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if options.shrink else [])
    test = settings(max_examples=options.max_examples, deadline=None, database=None, derandomize=False,
                    phases=phases, verbosity=Verbosity.quiet, print_blob=False,
                    suppress_health_check=list(HealthCheck))(given(strategy)(body))
    test = seed(options.seed)(test)
    error = None
    try:
        test()
    except _Found:
        pass
    except Exception as exc:  # noqa: BLE001 - Flaky, Unsatisfiable, ...: reported, never raised
        error = exc
    if state["last"] is not None:
        return _shrunk_violation(check, state, error, runner, options, theorem)
    if error is not None:
        return CheckResult(check, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           f"could not run the examples: {type(error).__name__}: {str(error)[:300]}",
                           {"examples": state["n"]}, theorem=theorem)
    if state["n"] == 0:
        return CheckResult(check, Outcome.INCONCLUSIVE, Rigor.NUMERICAL, "no example was generated",
                           theorem=theorem)
    undecided = state["inconclusive"]
    return CheckResult(check, Outcome.HOLDS, Rigor.PROVEN,
                       f"{state['n']} certified instances: every answer within tol of the unique "
                       f"minimiser (largest distance ≤ {state['worst']:.2e})"
                       + (f"; {undecided} undecided" if undecided else ""),
                       {"examples": state["n"], "max_distance_upper": state["worst"],
                        "undecided": undecided}, theorem=theorem)


def _shrunk_violation(check: str, state: dict[str, Any], error: Exception | None, runner: Runner,
                      options: Options, theorem: str) -> CheckResult:
    """The certificate of the last (shrunk) failing example, with how it was found as its context."""
    inst, call = state["last"]
    first = state["first"]
    flaky = f" (hypothesis: {type(error).__name__})" if error is not None else ""
    note = (f"; on the {'shrunk ' if options.shrink else ''}instance {inst!r} (first failure: m={first.params['m']}, "
            f"N={first.params['N']}, s={first.params['s']}){flaky}")
    facts = {"examples": state["n"], "shrunk_m": inst.params["m"], "shrunk_N": inst.params["N"],
             "shrunk_s": inst.params["s"]}
    if "delta" in inst.params:
        facts["shrunk_delta"] = inst.params["delta"]
    return compare_to_certified(check, call, inst.problem, inst.y, inst.solution, options, theorem,
                                note=note, facts=facts)


def _check_certified(runner: Runner, options: Options) -> CheckResult:
    from theorycheck import strategies

    strat = {"lasso": strategies.lasso_problems, "srlasso": strategies.srlasso_problems,
             "qcbp": strategies.qcbp_problems}[options.problem]()
    return _hypothesis_check("certified_optimality", strat, runner, options,
                             "uniqueness under strict dual feasibility (THEORY.md §1)")


def _check_near_degenerate(runner: Runner, options: Options) -> CheckResult:
    from theorycheck import strategies

    return _hypothesis_check("certified_optimality_near_degenerate",
                             strategies.near_degenerate_problems(problem=options.problem), runner, options,
                             "uniqueness under strict dual feasibility (THEORY.md §1, §6.3)")


# --------------------------------------------------------------------------------------
# metamorphic relations
# --------------------------------------------------------------------------------------

def _param_name(problem: Any) -> str:
    """The name of the program's parameter: ``eta`` for QCBP, ``lam`` for the penalised programs."""
    return "eta" if isinstance(problem, QCBP) else "lam"


def _rebuild(problem: Any, A: np.ndarray, weights: np.ndarray, **param: float) -> Any:
    cls = type(problem)
    name = _param_name(problem)
    value = param.get(name, getattr(problem, name))
    w = None if np.all(weights == 1) else weights
    return cls(A, value, weights=w)


def _transform(check: str, inst: Any, rng: np.random.Generator) -> tuple[Any, np.ndarray, Callable]:
    """(transformed problem, transformed y, map from an answer of the original to the new one)."""
    P, y = inst.problem, inst.y
    A = P.A.to_dense()
    w = np.asarray(P.weights, dtype=float)
    N = A.shape[1]
    if check == "metamorphic_scaling":
        # powers of two: the transformed data are exact, so is the scaled minimiser
        name = _param_name(P)
        new = {} if name == "lam" and type(P).__name__ == "SRLasso" else {name: 2 * getattr(P, name)}
        return _rebuild(P, A, w, **new), 2 * y, lambda x: 2 * x
    if check == "metamorphic_permutation":
        perm = rng.permutation(N)
        return _rebuild(P, A[:, perm], w[perm]), y, lambda x: x[perm]
    if check == "metamorphic_sign_phase":
        if np.iscomplexobj(A):
            d = (1j) ** rng.integers(0, 4, N)  # exact in floating point
        else:
            d = rng.choice([-1.0, 1.0], N)
        return _rebuild(P, A * d, w), y, lambda x: x * np.conj(d)
    if check == "metamorphic_zero_column":
        pos = int(rng.integers(0, N + 1))
        A2 = np.insert(A, pos, 0.0, axis=1)
        w2 = np.insert(w, pos, 1.0)
        return _rebuild(P, A2, w2), y, lambda x: np.insert(x, pos, 0.0)
    raise AssertionError(check)  # pragma: no cover


def _metamorphic(check: str, runner: Runner, options: Options) -> CheckResult:
    theorem = "invariance of the program's minimisers under the transformation (THEORY.md §1)"
    insts = planted_instances(options, k0=10)
    worst = 0.0
    for i, inst in enumerate(insts):
        rng = np.random.default_rng([options.seed, 99, i])
        P2, y2, T = _transform(check, inst, rng)
        c1 = runner(inst.problem, inst.y)
        if c1.x is None:
            return failed_call(check, c1, theorem, "on the original instance")
        c2 = runner(P2, y2)
        if c2.x is None:
            return failed_call(check, c2, theorem, "on the transformed instance")
        expected = T(c1.x)
        tol = tol_abs(options, T(inst.solution.x))
        err = norm2(expected - c2.x)  # deterministic (the same bits on every machine); inf only if huge
        worst = max(worst, err)
        if err > tol:
            return CheckResult(
                check, Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64,
                f"the answers are inconsistent: ‖T(x(P, y)) − x(T(P, y))‖ = {err:.3g} > "
                f"tol={tol:.2e} ({c2.describe()})",
                {"error": err, "tol": tol, "instance": i},
                Witness("answers", {**instance_record(P2, y2), "x_original": c1.x,
                                    "x_transformed": c2.x, "expected": expected}), theorem)
    return CheckResult(check, Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
                       f"{len(insts)} instances: consistent within tol (largest error {worst:.2e})",
                       {"max_error": worst, "instances": len(insts)}, theorem=theorem)


# --------------------------------------------------------------------------------------
# closed-form answers: zero above λ_max, monotone ℓ1 norm
# --------------------------------------------------------------------------------------

def _check_zero(runner: Runner, options: Options) -> CheckResult:
    check = "zero_above_lambda_max"
    theorem = "optimality of z = 0 (THEORY.md §1): λ > λ_max, resp. ‖y‖ < η"
    worst = 0.0
    insts = planted_instances(options, k0=20)
    for inst in insts:
        P, y = inst.problem, inst.y
        if options.problem == "qcbp":
            P2 = P.with_(eta=1.5 * norm2(y))
        else:
            P2 = P.with_(lam=1.5 * P.lambda_max(y))
        sol = solve_exact(P2, y, candidate=np.zeros(P2.A.in_shape))  # support ∅, proven
        res = compare_to_certified(check, runner(P2, y), P2, y, sol, options, theorem)
        if not res.holds:
            return res
        worst = max(worst, float(res["distance_upper"]))
    return CheckResult(check, Outcome.HOLDS, Rigor.PROVEN,
                       f"{len(insts)} instances: the answer is 0 within tol (largest norm ≤ {worst:.2e})",
                       {"max_norm_upper": worst}, theorem=theorem)


def _check_monotone(runner: Runner, options: Options) -> CheckResult:
    check = "l1_norm_monotone"
    theorem = ("‖x(λ)‖₁ is non-increasing for penalised programs (compare optimality at λ₁ < λ₂); "
               "QCBP: in η (nested feasible sets)")
    factors = (0.25, 0.5, 1.0, 2.0, 4.0)
    insts = planted_instances(options, k0=30)
    certain = True
    for inst in insts:
        P, y = inst.problem, inst.y
        name = _param_name(P)
        base = getattr(P, name)
        norms = []
        for f in factors:
            P2 = P.with_(**{name: f * base})
            call = runner(P2, y)
            if call.x is None:
                return failed_call(check, call, theorem, f"at {name} = {f * base:.3g}")
            n1 = math.fsum(np.abs(call.x).ravel().tolist())  # correctly rounded: reproducible
            certain = certain and math.isfinite(n1)
            norms.append(n1)
        for k in range(len(norms) - 1):
            slack = options.tol * max(1.0, norms[k])
            if norms[k + 1] > norms[k] + slack:
                return CheckResult(
                    check, Outcome.VIOLATED if certain else Outcome.INCONCLUSIVE,
                    Rigor.CERTIFIED_FLOAT64 if certain else Rigor.NUMERICAL,
                    f"‖x‖₁ grows from {norms[k]:.6g} to {norms[k + 1]:.6g} when {name} grows from "
                    f"{factors[k] * base:.3g} to {factors[k + 1] * base:.3g}",
                    {"norms": norms, "params": [f * base for f in factors]},
                    Witness("path", {**instance_record(P, y), "factors": np.array(factors)}), theorem)
    return CheckResult(check, Outcome.HOLDS if certain else Outcome.INCONCLUSIVE,
                       Rigor.CERTIFIED_FLOAT64 if certain else Rigor.NUMERICAL,
                       f"{len(insts)} paths of {len(factors)} parameters: ‖x‖₁ non-increasing",
                       {"instances": len(insts)}, theorem=theorem)


# --------------------------------------------------------------------------------------
# exact recovery (NSP, dual certificates) and Theorem 1 under a certified rNSP
# --------------------------------------------------------------------------------------

_RECOVERY_THEOREM = ("strict dual certificate A^T v ∈ ∂‖x‖₁, |a_j^T v| < 1 off S, A_S injective ⇒ x is "
                     "the unique minimiser (Fuchs; THEORY.md §1–2)")
_NSP_THEOREM = ("NSP(s) ⇔ every s-sparse x is the unique ℓ1 minimiser given y = Ax "
                "(THEORY.md §2); SR-LASSO: strict dual certificate with λ‖v‖ < 1")


def _certified_recovery_instance(options: Options) -> tuple[tuple | None, str, str]:
    """An instance with a proven dual certificate, preferring a matrix with a certified NSP."""
    chosen, note, theorem = None, "", _RECOVERY_THEOREM
    for attempt in range(30):
        A, x, y, S = recovery_instance(options, attempt)
        vnorm = dual_certificate(A, S, np.sign(x[S]))
        if vnorm is None:
            continue
        if chosen is None:
            chosen = (A, x, y, S, vnorm)
        try:
            nsp = nsp_constant(A, len(S), progress=False)
        except Exception:  # noqa: BLE001 - keep the per-instance certificate
            break
        if nsp.upper < 0.5 and nsp.upper_rigor is Rigor.PROVEN:
            chosen = (A, x, y, S, vnorm)
            note = f"; NSP({len(S)}) certified: α_{len(S)} ≤ {nsp.upper:.4g} < 1/2"
            theorem = _NSP_THEOREM
            break
    return chosen, note, theorem


def _check_recovery(runner: Runner, options: Options) -> CheckResult:
    check = "exact_recovery_nsp"
    chosen, nsp_note, theorem = _certified_recovery_instance(options)
    if chosen is None:  # pragma: no cover - random Gaussian 10×14 matrices almost always have one
        return CheckResult(check, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           "no instance with a certified dual certificate was found", theorem=theorem)
    A, x, y, S, vnorm = chosen
    if options.problem == "qcbp":
        P: Any = QCBP(A, eta=0.0)
    else:
        P = SRLasso(A, lam=0.5 / vnorm)  # λ‖v‖ ≤ 1/2 < 1: u = −λv is an SR-LASSO dual certificate
    call = runner(P, y)
    if call.x is None:
        return failed_call(check, call, theorem)
    lo, hi = arb_distance(call.x, x)
    tol = tol_abs(options, x)
    values = {"distance_lower": lo, "distance_upper": hi, "tol": tol, "s": len(S),
              "dual_certificate_norm": vnorm}
    witness = Witness("recovery", {**instance_record(P, y), "x_true": x, "x": call.x})
    if hi <= tol:
        return CheckResult(check, Outcome.HOLDS, Rigor.PROVEN,
                           f"recovered the {len(S)}-sparse x within {hi:.2e}{nsp_note}", values,
                           witness, theorem)
    if lo > tol:
        return CheckResult(check, Outcome.VIOLATED, Rigor.PROVEN,
                           f"the answer is at distance ≥ {lo:.3g} > tol={tol:.2e} from the unique "
                           f"minimiser x (y = Ax exactly), {call.describe()}{nsp_note}", values,
                           witness, theorem)
    return CheckResult(check, Outcome.INCONCLUSIVE, Rigor.PROVEN,
                       f"distance in [{lo:.3g}, {hi:.3g}] straddles tol", values, witness, theorem)


_RNSP_THEOREMS = {"srlasso": "seed Theorem 1 under the rNSP (THEORY.md §2)",
                  "qcbp": "Foucart–Rauhut Thm 4.25 under the rNSP with ‖e‖ ≤ η (THEORY.md §2)",
                  "lasso": "Foucart–Rauhut Thm 4.25 under the rNSP + U-LASSO optimality (THEORY.md §2)"}


def _rnsp_instance(rng: np.random.Generator, A: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray, Any, Any]:
    """A large 1-sparse part, a small tail (σ_1(x)₁ = 0.01) and small noise; ‖e‖ and σ_s(x)₁ in balls.

    The bound is then far below ‖x‖, so answers that are not near a minimiser (e.g. 0) are caught.
    """
    m, N = A.shape
    x = np.zeros(N)
    i, j = rng.choice(N, 2, replace=False)
    x[i], x[j] = 10.0, -0.01
    e_dir = rng.standard_normal(m)
    y = A @ x + 0.01 * e_dir / norm2(e_dir)
    # exact residual e = y − Ax of the float data and σ_s(x)₁, in balls
    Ab = [[to_arb(float(v)) for v in row] for row in A]
    e_sq = flint.arb(0)
    for row in range(m):
        r = to_arb(float(y[row])) - sum((Ab[row][col] * to_arb(float(x[col])) for col in range(N)),
                                        flint.arb(0))
        e_sq += r * r
    mags = sorted((abs(float(v)) for v in x), reverse=True)
    sigma = sum((to_arb(v) for v in mags[s:]), flint.arb(0))
    return x, y, e_sq.sqrt(), sigma


def _check_rnsp_bound(runner: Runner, options: Options) -> CheckResult:
    check = "recovery_bound_rnsp"
    theorem = _RNSP_THEOREMS[options.problem]
    rng = np.random.default_rng([options.seed, 11])
    m, N, s, rho = 10, 14, 1, 0.5
    A = rng.standard_normal((m, N)) / math.sqrt(m)
    res = rnsp_gamma(A, s, rho, progress=False)
    gamma = float(res.value)  # the upper side: safe to use
    if not math.isfinite(gamma):
        return CheckResult(check, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           "the drawn matrix has no rNSP with ρ = 1/2", theorem=theorem)
    consts = recovery_constants(rho, gamma)
    C1 = (1 + to_arb(rho)) * (1 + to_arb(rho)) / (1 - to_arb(rho))  # (1+ρ)²/(1−ρ) in balls
    C2 = (3 + to_arb(rho)) * to_arb(gamma) / (1 - to_arb(rho))  # (3+ρ)γ/(1−ρ), γ the safe side
    x, y, e_norm, sigma = _rnsp_instance(rng, A, s)
    P: Any
    if options.problem == "srlasso":
        param = 0.5 * consts.lambda_max(s)  # 0 < λ ≤ C1/(√s C2), proven
        P = SRLasso(A, lam=param)
    elif options.problem == "qcbp":
        param = 1.01 * ball_upper(e_norm)  # η ≥ ‖e‖
        P = QCBP(A, eta=param)
    else:
        param = max(1e-3, 2 * ball_upper(C1 * e_norm / (C2 * flint.arb(s).sqrt())))
        P = Lasso(A, lam=param)
    bound = ball_upper(recovery_bound(options.problem, C1, C2, s, sigma, e_norm, param))
    call = runner(P, y)
    if call.x is None:
        return failed_call(check, call, theorem)
    lo, hi = arb_distance(call.x, x)
    rigor = Rigor.weakest(res.upper_rigor, Rigor.PROVEN)
    values = {"error_lower": lo, "error_upper": hi, "bound": bound, "rho": rho,
              "gamma": gamma, "C1": float(consts.C1), "C2": float(consts.C2), "tightness": hi / bound}
    witness = Witness("recovery", {**instance_record(P, y), "x_true": x, "x": call.x})
    if lo > bound:
        return CheckResult(check, Outcome.VIOLATED, rigor,
                           f"‖x̂ − x‖ ≥ {lo:.3g} exceeds the bound {bound:.3g} that every "
                           f"minimiser satisfies (ρ = {rho}, γ = {gamma:.4g}), {call.describe()}",
                           values, witness, theorem)
    return CheckResult(check, Outcome.HOLDS, rigor,
                       f"‖x̂ − x‖ ≤ {hi:.3g} within the bound {bound:.3g} "
                       f"(ρ = {rho}, γ = {gamma:.4g})", values, witness, theorem)


# --------------------------------------------------------------------------------------
# impossibility families
# --------------------------------------------------------------------------------------

def _check_impossibility(runner: Runner, options: Options) -> CheckResult:
    check = "impossibility_barrier"
    theorem = "impossibility theorem, class Ω_K (THEORY.md §6.1–6.2)"
    failed: list[Call] = []

    def guarded(problem: Any, y: Any) -> Any:
        call = runner(problem, np.asarray(y))
        for w in call.caught:  # let check_solver_on_family see the solver's own warnings
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if call.x is None:
            failed.append(call)
            raise SolverError(call.reason)
        return SimpleNamespace(x=call.x, status=call.status or "optimal")

    guarded.__name__ = solver_name(runner.solver)
    # K = 3 and precision levels float64 still represents: accurate answers are possible,
    # yet the members' minimisers jump by ≈ 3·10^-3 for a 2^-(n+1) change of one entry
    builder = functools.partial(build_family, problem=options.problem, N2=6, s=2)
    sub = check_solver_on_family(guarded, builder, K_values=[3], n_values=[10, 30])
    if failed:
        return failed_call(check, failed[0], theorem, "on an Ω_3 member")
    # a cell where every member failed loudly checked nothing: no answer to judge, as for a failed call
    empty = [r for r in sub.results if r.values.get("checked_members") == 0]
    if empty:
        r = empty[0]
        return failed_call(check, Call(None, r.message), theorem, f"on every member of Ω_{r['K']} at n={r['n']}")
    bad = [r for r in sub.results if r.violated]
    rigor = Rigor.weakest(*[r.rigor for r in sub.results]) if sub.results else Rigor.NUMERICAL
    values: dict[str, Any] = {"min_digits": [float(r.values.get("min_digits", 0.0)) for r in sub.results],
              "cells": [(r.values.get("K"), r.values.get("n")) for r in sub.results]}
    if bad:
        return CheckResult(check, Outcome.VIOLATED, Rigor.weakest(*[r.rigor for r in bad]),
                           "; ".join(f"K={r['K']}, n={r['n']}: {r.message}" for r in bad)[:700],
                           values, bad[0].witness, theorem)
    undecided = [r for r in sub.results if r.outcome is Outcome.INCONCLUSIVE]
    if undecided:
        return CheckResult(check, Outcome.INCONCLUSIVE, rigor, undecided[0].message, values,
                           undecided[0].witness, theorem)
    return CheckResult(check, Outcome.HOLDS, rigor,
                       f"within the barrier 10^-3 on every member of Ω_3 at n ∈ {{10, 30}} "
                       f"(fewest digits {min(values['min_digits']):.1f})", values, theorem=theorem)


# --------------------------------------------------------------------------------------
# each check on its own
# --------------------------------------------------------------------------------------

def _alone(name: str, solver: Any, problem: Any, tol: Any, seed: Any, time_limit: Any,
           max_examples: Any = None, shrink: Any = True) -> CheckResult:
    """Validate the options, guard the solver and run one check (the standalone form)."""
    if not callable(solver):
        raise InvalidArgument(f"solver must be callable as solver(problem, y), got {type(solver).__name__}")
    options = make_options(problem, tol, seed, max_examples, shrink)
    if options.problem not in REGISTRY[name].problems:
        raise InvalidArgument(f"{name} does not apply to problem={options.problem!r}: use one of "
                              f"{REGISTRY[name].problems}")
    return run_check(name, Runner(solver, time_limit_arg(time_limit)), options)


_OPTIONS_DOC = """solver : callable
        ``solver(problem, y)`` returning an array of shape ``problem.A.in_shape``
        or a :class:`~theorycheck.solvers.solution.Solution`.
    problem : {"lasso", "srlasso", "qcbp"}
        The program the solver solves.
    tol : float
        Accepted distance, relative: ``tol·max(1, ‖x*‖)``.
    seed : int
        Seeds the instances (same seed, same result).
    time_limit : float or None
        Seconds per solver call (the call is abandoned and the check fails)."""


def check_certified_optimality(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                               tol: float = 1e-4, seed: int = 0, time_limit: float | None = 60.0,
                               max_examples: int | None = None, shrink: bool = True) -> CheckResult:
    """The answer is within ``tol`` of the proven unique minimiser, on random planted instances.

    Hypothesis draws planted instances whose unique minimiser is certified
    (:func:`theorycheck.strategies.lasso_problems` and siblings); a failing
    example is shrunk to a minimal one. A violation is the
    ``certified_optimality`` record of :mod:`theorycheck.solvers.certify`
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

    Theorem: uniqueness under strict dual feasibility (THEORY.md §1).
    Rigor: proven (distances to certified minimisers in ball arithmetic).
    """
    return _alone("certified_optimality", solver, problem, tol, seed, time_limit, max_examples, shrink)


def check_certified_optimality_near_degenerate(
        solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso", tol: float = 1e-4, seed: int = 0,
        time_limit: float | None = 60.0, max_examples: int | None = None, shrink: bool = True) -> CheckResult:
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

    Theorem: uniqueness under strict dual feasibility (THEORY.md §1, §6.3).
    Rigor: proven.
    """
    return _alone("certified_optimality_near_degenerate", solver, problem, tol, seed, time_limit, max_examples,
                  shrink)


def check_metamorphic_scaling(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                              tol: float = 1e-4, seed: int = 0, time_limit: float | None = 60.0) -> CheckResult:
    """``x(2y, 2λ) = 2x(y, λ)`` (SR-LASSO: ``x(2y) = 2x(y)``; QCBP: ``x(2y, 2η) = 2x(y, η)``).

    Scaling by a power of two is exact in floating point, so the answers on
    the original and the scaled instance must agree within ``tol``.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: the minimisers scale with the data (THEORY.md §1).
    Rigor: certified-float64 (the distance between the two answers, computed deterministically).
    """
    return _alone("metamorphic_scaling", solver, problem, tol, seed, time_limit)


def check_metamorphic_permutation(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                                  tol: float = 1e-4, seed: int = 0, time_limit: float | None = 60.0) -> CheckResult:
    """Permuting the columns of ``A`` (and the weights) permutes the answer.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: the programs are invariant under a relabelling of the coefficients (THEORY.md §1).
    Rigor: certified-float64.
    """
    return _alone("metamorphic_permutation", solver, problem, tol, seed, time_limit)


def check_metamorphic_sign_phase(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                                 tol: float = 1e-4, seed: int = 0, time_limit: float | None = 60.0) -> CheckResult:
    """Flipping column signs (complex: multiplying by ``i^k``) flips (rotates back) the answer's entries.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: ``‖·‖₁`` is invariant under unimodular diagonal scalings (THEORY.md §1).
    Rigor: certified-float64.
    """
    return _alone("metamorphic_sign_phase", solver, problem, tol, seed, time_limit)


def check_metamorphic_zero_column(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                                  tol: float = 1e-4, seed: int = 0, time_limit: float | None = 60.0) -> CheckResult:
    """A zero column inserted into ``A`` gets a zero coefficient; the rest of the answer is unchanged.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: a zero column only adds ``w|z_j|`` to the objective, minimised at ``z_j = 0`` (THEORY.md §1).
    Rigor: certified-float64.
    """
    return _alone("metamorphic_zero_column", solver, problem, tol, seed, time_limit)


def check_zero_above_lambda_max(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                                tol: float = 1e-4, seed: int = 0, time_limit: float | None = 60.0) -> CheckResult:
    """``λ ≥ 1.5 λ_max ⇒ x = 0`` (QCBP: ``η ≥ 1.5‖y‖ ⇒ x = 0``), against a certified zero minimiser.

    A violation is a re-provable ``certified_optimality`` record under this check's name.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: optimality of ``z = 0`` for ``λ > λ_max``, resp. ``‖y‖ < η`` (THEORY.md §1).
    Rigor: proven.
    """
    return _alone("zero_above_lambda_max", solver, problem, tol, seed, time_limit)


def check_l1_norm_monotone(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                           tol: float = 1e-4, seed: int = 0, time_limit: float | None = 60.0) -> CheckResult:
    """``‖x(λ)‖₁`` is non-increasing in ``λ`` (QCBP: in ``η``) along a path of five parameters.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: comparing the optimality of ``λ₁ < λ₂`` (QCBP: nested feasible sets) (THEORY.md §1).
    Rigor: certified-float64 (ℓ1 norms correctly rounded).
    """
    return _alone("l1_norm_monotone", solver, problem, tol, seed, time_limit)


def check_exact_recovery_nsp(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "srlasso",
                             tol: float = 1e-4, seed: int = 0, time_limit: float | None = 60.0) -> CheckResult:
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

    Theorem: strict dual certificate ⇒ unique minimiser (Fuchs); NSP(s) (THEORY.md §1–2).
    Rigor: proven.
    """
    return _alone("exact_recovery_nsp", solver, problem, tol, seed, time_limit)


def check_recovery_bound_rnsp(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                              tol: float = 1e-4, seed: int = 0, time_limit: float | None = 60.0) -> CheckResult:
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

    Theorem: seed Theorem 1 / Foucart–Rauhut Thm 4.25 under the rNSP (THEORY.md §2).
    Rigor: proven (as the rNSP constant's upper side).
    """
    return _alone("recovery_bound_rnsp", solver, problem, tol, seed, time_limit)


def check_impossibility_barrier(solver: Callable[[Any, np.ndarray], Any], *, problem: str = "lasso",
                                tol: float = 1e-4, seed: int = 0, time_limit: float | None = 60.0) -> CheckResult:
    """On the Ω_3 families no answer claims accuracy below the barrier ``10^-3`` silently.

    Runs :func:`theorycheck.impossibility.check_solver_on_family` at
    ``K = 3``, ``n ∈ {10, 30}``: violated cells (silent failures, invalid
    answers) violate the check; a cell where the solver failed loudly on every
    member checked nothing and fails the check like a failed call.

    Parameters
    ----------
    {options}

    Returns
    -------
    CheckResult

    Theorem: impossibility theorem, class Ω_K (THEORY.md §6.1–6.2).
    Rigor: proven (errors decided in ball arithmetic against certified minimisers).
    """
    return _alone("impossibility_barrier", solver, problem, tol, seed, time_limit)


# --------------------------------------------------------------------------------------
# the registry
# --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class CheckSpec:
    """A check of the battery: its implementation, its standalone function, the programs it applies to.

    Theorem: none (registry).
    Rigor: not applicable.
    """

    name: str
    run: Callable[[Runner, Options], CheckResult]
    function: Callable[..., CheckResult]
    problems: tuple[str, ...] = PROBLEMS


_METAMORPHIC = {name: functools.partial(_metamorphic, name) for name in (
    "metamorphic_scaling", "metamorphic_permutation", "metamorphic_sign_phase", "metamorphic_zero_column")}

#: every check, in the order :func:`~theorycheck.testing.check_solver` runs them
REGISTRY: dict[str, CheckSpec] = {spec.name: spec for spec in (
    CheckSpec("certified_optimality", _check_certified, check_certified_optimality),
    CheckSpec("certified_optimality_near_degenerate", _check_near_degenerate,
              check_certified_optimality_near_degenerate),
    CheckSpec("metamorphic_scaling", _METAMORPHIC["metamorphic_scaling"], check_metamorphic_scaling),
    CheckSpec("metamorphic_permutation", _METAMORPHIC["metamorphic_permutation"], check_metamorphic_permutation),
    CheckSpec("metamorphic_sign_phase", _METAMORPHIC["metamorphic_sign_phase"], check_metamorphic_sign_phase),
    CheckSpec("metamorphic_zero_column", _METAMORPHIC["metamorphic_zero_column"], check_metamorphic_zero_column),
    CheckSpec("zero_above_lambda_max", _check_zero, check_zero_above_lambda_max),
    CheckSpec("l1_norm_monotone", _check_monotone, check_l1_norm_monotone),
    # needs a program that reproduces y = Ax exactly (SR-LASSO with small λ, QCBP with η = 0)
    CheckSpec("exact_recovery_nsp", _check_recovery, check_exact_recovery_nsp, ("srlasso", "qcbp")),
    CheckSpec("recovery_bound_rnsp", _check_rnsp_bound, check_recovery_bound_rnsp),
    CheckSpec("impossibility_barrier", _check_impossibility, check_impossibility_barrier),
)}

for _spec in REGISTRY.values():  # the options every standalone check takes, documented once
    _spec.function.__doc__ = (_spec.function.__doc__ or "").replace("{options}", _OPTIONS_DOC)


def run_check(name: str, runner: Runner, options: Options) -> CheckResult:
    """Run one check of :data:`REGISTRY`; an error in the check itself becomes an inconclusive result.

    Theorem: the check's.
    Rigor: the check's (numerical when the check could not run).
    """
    try:
        return REGISTRY[name].run(runner, options)
    except Exception as exc:  # noqa: BLE001 - the suite never crashes
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           f"the check could not run: {tb[:400]}")


# --------------------------------------------------------------------------------------
# verifiers of the checks whose violations are certificates about a minimiser
# --------------------------------------------------------------------------------------

#: checks that report an answer against a certified minimiser under their own name
#: (``certified_optimality`` results are verified by :mod:`theorycheck.solvers.certify` itself)
CERTIFIED_CHECKS: tuple[str, ...] = ("certified_optimality_near_degenerate", "zero_above_lambda_max")


def verify_certified_check(result: CheckResult) -> CheckResult:
    """Re-prove a saved result of a check in :data:`CERTIFIED_CHECKS`, as ``certified_optimality``.

    Such a result is :func:`theorycheck.solvers.certify.certificate_result`
    under the check's name: the result is handed, renamed, to
    :func:`~theorycheck.solvers.certify.verify_certified_optimality`, which
    re-proves the stored certificate and re-derives every field (outcome,
    rigor, message, bounds, context) exactly.

    Theorem: uniqueness under strict dual feasibility (THEORY.md §1).
    Rigor: proven (the re-derived certificate), never above the saved claim.
    """
    if result.check not in CERTIFIED_CHECKS:
        return verification(result, [f"check {result.check!r} is not one of {CERTIFIED_CHECKS}"],
                            rederived="nothing")
    inner = verify_certified_optimality(dataclasses.replace(result, check="certified_optimality"))
    return dataclasses.replace(inner, check=f"verify:{result.check}")


for _name in CERTIFIED_CHECKS:
    register_verifier(_name)(verify_certified_check)
