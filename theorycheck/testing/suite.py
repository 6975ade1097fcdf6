"""Ready-made check suites for sparse solvers and reconstruction maps, with certified oracles.

:func:`check_solver` runs a battery of checks on any solver — a callable
``solver(problem, y)`` returning an array or a
:class:`~theorycheck.solvers.solution.Solution` — the way scikit-learn's
``check_estimator`` runs estimator checks:

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

Every solver call is guarded: a solver that raises, returns NaN/inf, the wrong
shape, complex values for a real problem, or exceeds ``time_limit`` gives a
*failed* check naming the reason; the suite itself never raises because of the
solver (only ``on_fail="raise"`` raises, at the end, with the report).

:func:`parametrize_with_checks` turns the battery into pytest parameters with
readable ids; :func:`check_reconstructor` runs the instability checks on a
reconstruction map ``Ψ`` (a network). Adapters make third-party solvers fit the
calling convention: :func:`sklearn_lasso_solver`, :func:`cvxpy_solver`,
:func:`spgl1_solver`, :func:`pyproximal_lasso_solver` (optional packages),
:func:`exact_solver`.

Theorem: THEORY.md §1 (certified minimisers), §2 (NSP, rNSP, Theorem 1), §3
(universal instability), §6 (impossibility).
Rigor: per check (``proven`` against certified minimisers, ``certified-float64``
for metamorphic relations and network evaluations).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import threading
import time
import traceback
import warnings
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from theorycheck.errors import CertificationError, InvalidArgument
from theorycheck.results import CheckResult, Outcome, Report, Rigor, Witness

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
CHECKS: tuple[str, ...] = (
    "certified_optimality",
    "certified_optimality_near_degenerate",
    "metamorphic_scaling",
    "metamorphic_permutation",
    "metamorphic_sign_phase",
    "metamorphic_zero_column",
    "zero_above_lambda_max",
    "l1_norm_monotone",
    "exact_recovery_nsp",
    "recovery_bound_rnsp",
    "impossibility_barrier",
)

_PROBLEMS = ("lasso", "srlasso", "qcbp")
_ON_FAIL = ("raise", "warn", "report")


def applicable_checks(problem: str = "lasso") -> tuple[str, ...]:
    """The checks of :data:`CHECKS` that apply to ``problem``.

    ``exact_recovery_nsp`` needs a program that reproduces ``y = Ax`` exactly
    (SR-LASSO with small ``λ``, QCBP with ``η = 0``), so U-LASSO skips it.

    Theorem: none.
    Rigor: not applicable.
    """
    if problem not in _PROBLEMS:
        raise InvalidArgument(f"problem={problem!r}: pass one of {_PROBLEMS}")
    return tuple(c for c in CHECKS if not (c == "exact_recovery_nsp" and problem == "lasso"))


def solver_name(solver: Any) -> str:
    """A short readable name for a solver (function name, class name, partial's function).

    Theorem: none.
    Rigor: not applicable.
    """
    name = getattr(solver, "name", None)
    if isinstance(name, str) and name:
        return name
    if isinstance(solver, functools.partial):
        return solver_name(solver.func)
    name = getattr(solver, "__name__", None) or type(solver).__name__
    return "lambda" if name == "<lambda>" else name


# --------------------------------------------------------------------------------------
# guarded solver calls
# --------------------------------------------------------------------------------------

@dataclasses.dataclass
class _Call:
    """One guarded solver call: the answer or why there is none."""

    x: np.ndarray | None
    reason: str = ""
    warned: tuple[str, ...] = ()
    status: str | None = None
    elapsed: float = 0.0
    timed_out: bool = False
    caught: tuple = ()  # the warnings.WarningMessage objects, to re-issue them

    @property
    def claims_success(self) -> bool:
        """The solver raised no warning and reported no non-optimal status."""
        return not self.warned and self.status in (None, "optimal")

    def describe(self) -> str:
        if self.warned:
            return f"the solver warned ({'; '.join(self.warned)[:200]})"
        if self.status not in (None, "optimal"):
            return f"the solver reported status {self.status!r}"
        return "silently: the solver reported success and issued no warning"


class _Runner:
    """Calls the solver on copies of the data, in a thread with a time limit."""

    def __init__(self, solver: Callable, time_limit: float | None):
        self.solver = solver
        self.time_limit = time_limit
        self.dead = ""  # set once a call exceeded the time limit: later calls are not made
        self.calls = 0

    def __call__(self, problem: Any, y: np.ndarray) -> _Call:
        if self.dead:
            return _Call(None, f"not run: {self.dead}", timed_out=True)
        self.calls += 1
        box: dict[str, Any] = {}
        y_copy = np.array(y, copy=True)

        def target() -> None:
            try:
                box["out"] = self.solver(problem, y_copy)
            except BaseException as exc:  # noqa: BLE001 - any failure of the solver is a finding
                box["exc"] = exc

        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if self.time_limit is None:
                target()
            else:
                th = threading.Thread(target=target, daemon=True, name="theorycheck-solver")
                th.start()
                th.join(self.time_limit)
                if th.is_alive():
                    self.dead = (f"the solver exceeded the time limit of {self.time_limit:g} s "
                                 "(call abandoned)")
                    return _Call(None, self.dead, elapsed=time.perf_counter() - t0, timed_out=True)
        elapsed = time.perf_counter() - t0
        warned = tuple(f"{w.category.__name__}: {w.message}" for w in caught)
        if "exc" in box:
            exc = box["exc"]
            call = _Call(None, f"the solver raised {type(exc).__name__}: {str(exc)[:300]}",
                         warned, elapsed=elapsed)
        else:
            call = _normalise(box.get("out"), problem, warned, elapsed)
        call.caught = tuple(caught)
        return call


def _normalise(out: Any, problem: Any, warned: tuple[str, ...], elapsed: float) -> _Call:
    status = None
    if hasattr(out, "x") and not isinstance(out, np.ndarray):
        status = getattr(out, "status", None)
        status = status if isinstance(status, str) else None
        out = out.x
    try:
        from theorycheck.numerics.backend import is_torch, to_numpy

        x = to_numpy(out) if is_torch(out) else np.asarray(out)
    except Exception as exc:  # noqa: BLE001
        return _Call(None, f"the solver returned {type(out).__name__}, not an array ({exc})",
                     warned, status, elapsed)
    if x.dtype.kind not in "biufc":
        return _Call(None, f"the solver returned an array of dtype {x.dtype}, not numbers",
                     warned, status, elapsed)
    shape = tuple(problem.A.in_shape)
    if x.shape != shape:
        return _Call(None, f"the solver returned shape {x.shape}, expected {shape}", warned, status,
                     elapsed)
    if not np.all(np.isfinite(x)):
        return _Call(None, "the solver returned NaN or inf", warned, status, elapsed)
    if np.iscomplexobj(x) and not problem.is_complex:
        if np.any(np.imag(x) != 0):
            return _Call(None, "the solver returned complex values for a real problem", warned,
                         status, elapsed)
        x = np.real(x)
    x = x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)
    return _Call(x, "", warned, status, elapsed)


# --------------------------------------------------------------------------------------
# helpers shared by the checks
# --------------------------------------------------------------------------------------

@dataclasses.dataclass
class _Ctx:
    problem: str
    tol: float
    seed: int
    max_examples: int
    shrink: bool
    instances: int


def _failed_call(check: str, call: _Call, theorem: str, what: str = "") -> CheckResult:
    rigor = Rigor.NUMERICAL if call.timed_out else Rigor.PROVEN
    msg = f"{what}{': ' if what else ''}{call.reason}"
    return CheckResult(check, Outcome.VIOLATED, rigor, msg, {"reason": call.reason},
                       theorem=theorem)


def _tol_abs(ctx: _Ctx, x: np.ndarray) -> float:
    return ctx.tol * max(1.0, float(np.linalg.norm(x)))


def _instance_record(problem: Any, y: np.ndarray) -> dict[str, Any]:
    rec = {"program": type(problem).__name__, "A": problem.A.to_dense(), "y": np.asarray(y),
           "param": float(getattr(problem, "lam", getattr(problem, "eta", 0.0))),
           "weights": np.asarray(problem.weights)}
    return rec


def _compare_to_certified(check: str, call: _Call, problem: Any, y: np.ndarray, sol: Any,
                          ctx: _Ctx, theorem: str = "THEORY.md §1") -> CheckResult:
    """Compare a guarded answer with a proven minimiser (bounds on the distance are proven)."""
    from theorycheck.solvers.certify import distance_to_enclosure

    if call.x is None:
        return _failed_call(check, call, theorem)
    lo, hi = distance_to_enclosure(call.x, sol)
    tol = _tol_abs(ctx, sol.x)
    values = {"distance_lower": lo, "distance_upper": hi, "tol": tol, "status": call.status,
              "warned": bool(call.warned)}
    witness = Witness("answer", {**_instance_record(problem, y), "x": call.x, "minimiser": sol.x,
                                 "enclosure": sol.info.get("z_enclosure")})
    if hi <= tol:
        return CheckResult(check, Outcome.HOLDS, Rigor.PROVEN,
                           f"the answer is within {hi:.2e} ≤ tol={tol:.2e} of the certified minimiser",
                           values, witness, theorem)
    if lo > tol:
        return CheckResult(check, Outcome.VIOLATED, Rigor.PROVEN,
                           f"the answer is at distance ≥ {lo:.3g} > tol={tol:.2e} from the unique "
                           f"minimiser, {call.describe()}", values, witness, theorem)
    return CheckResult(check, Outcome.INCONCLUSIVE, Rigor.PROVEN,
                       f"the distance to the minimiser is in [{lo:.3g}, {hi:.3g}], straddling "
                       f"tol={tol:.2e}", values, witness, theorem)


def _twice(f: Callable[[], float]) -> tuple[float, bool]:
    """Evaluate a float64 quantity twice; (value, identical and finite)."""
    a, b = f(), f()
    return a, (a == b and math.isfinite(a))


def _instances(ctx: _Ctx, problem: str | None = None, k0: int = 0, count: int | None = None,
               **kw: Any) -> list[Any]:
    """Deterministic planted instances (seeded by ``ctx.seed``) with proven minimisers."""
    from theorycheck.strategies import _build_instance

    out = []
    kind = problem or ctx.problem
    sizes = [(6, 12, 2), (5, 9, 1), (8, 16, 3), (4, 7, 1), (7, 14, 2)]
    k = k0
    while len(out) < (count or ctx.instances) and k < k0 + 20:
        m, N, s = sizes[k % len(sizes)]
        rng = np.random.default_rng([ctx.seed, k])
        inst = _build_instance(kind, rng, m=m, N=N, s=s, lam=float(rng.uniform(0.1, 0.8)),
                               noise=float(rng.uniform(0.2, 0.8)), seed=ctx.seed, **kw)
        if inst is not None:
            out.append(inst)
        k += 1
    return out


# --------------------------------------------------------------------------------------
# the checks
# --------------------------------------------------------------------------------------

class _Found(Exception):
    """Raised inside the hypothesis test to mark a failing example."""


def _hypothesis_check(check: str, strategy: Any, runner: _Runner, ctx: _Ctx,
                      theorem: str) -> CheckResult:
    from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings

    state: dict[str, Any] = {"n": 0, "last": None, "first": None, "worst": 0.0, "inconclusive": 0}

    def body(inst: Any) -> None:
        state["n"] += 1
        res = _compare_to_certified(check, runner(inst.problem, inst.y), inst.problem, inst.y,
                                    inst.solution, ctx, theorem)
        if res.violated:
            state["last"] = (inst, res)
            if state["first"] is None:
                state["first"] = (inst, res)
            raise _Found(res.message)
        if res.outcome is Outcome.INCONCLUSIVE:
            state["inconclusive"] += 1
        state["worst"] = max(state["worst"], float(res.values.get("distance_upper", 0.0)))

    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if ctx.shrink else [])
    test = settings(max_examples=ctx.max_examples, deadline=None, database=None, derandomize=False,
                    phases=phases, verbosity=Verbosity.quiet, print_blob=False,
                    suppress_health_check=list(HealthCheck))(given(strategy)(body))
    test = seed(ctx.seed)(test)
    error = None
    try:
        test()
    except _Found:
        pass
    except Exception as exc:  # noqa: BLE001 - Flaky, Unsatisfiable, ...: reported, never raised
        error = exc
    if state["last"] is not None:
        inst, res = state["last"]
        first = state["first"][0]
        flaky = f" (hypothesis: {type(error).__name__})" if error is not None else ""
        msg = (f"{res.message}; on the shrunk instance {inst!r} (first failure: "
               f"m={first.params['m']}, N={first.params['N']}, s={first.params['s']}){flaky}")
        values = dict(res.values, examples=state["n"], shrunk_m=inst.params["m"],
                      shrunk_N=inst.params["N"], shrunk_s=inst.params["s"])
        if "delta" in inst.params:
            values["shrunk_delta"] = inst.params["delta"]
        return CheckResult(check, Outcome.VIOLATED, res.rigor, msg, values, res.witness, theorem)
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


def _check_certified(runner: _Runner, ctx: _Ctx) -> CheckResult:
    from theorycheck import strategies

    strat = {"lasso": strategies.lasso_problems, "srlasso": strategies.srlasso_problems,
             "qcbp": strategies.qcbp_problems}[ctx.problem]()
    return _hypothesis_check("certified_optimality", strat, runner, ctx,
                             "uniqueness under strict dual feasibility (THEORY.md §1)")


def _check_near_degenerate(runner: _Runner, ctx: _Ctx) -> CheckResult:
    from theorycheck import strategies

    return _hypothesis_check("certified_optimality_near_degenerate",
                             strategies.near_degenerate_problems(problem=ctx.problem), runner, ctx,
                             "uniqueness under strict dual feasibility (THEORY.md §1, §6.3)")


def _rebuild(problem: Any, A: np.ndarray, weights: np.ndarray, **param: float) -> Any:
    cls = type(problem)
    name = problem._param_name
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
        name = P._param_name
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


def _metamorphic(check: str) -> Callable[[_Runner, _Ctx], CheckResult]:
    theorem = "invariance of the program's minimisers under the transformation (THEORY.md §1)"

    def run(runner: _Runner, ctx: _Ctx) -> CheckResult:
        insts = _instances(ctx, k0=10)
        worst = 0.0
        certain = True
        for i, inst in enumerate(insts):
            rng = np.random.default_rng([ctx.seed, 99, i])
            P2, y2, T = _transform(check, inst, rng)
            c1 = runner(inst.problem, inst.y)
            if c1.x is None:
                return _failed_call(check, c1, theorem, "on the original instance")
            c2 = runner(P2, y2)
            if c2.x is None:
                return _failed_call(check, c2, theorem, "on the transformed instance")
            expected = T(c1.x)
            tol = _tol_abs(ctx, T(inst.solution.x))
            err, same = _twice(lambda: float(np.linalg.norm(expected - c2.x)))
            certain = certain and same
            worst = max(worst, err)
            if err > tol:
                return CheckResult(
                    check, Outcome.VIOLATED if same else Outcome.INCONCLUSIVE,
                    Rigor.CERTIFIED_FLOAT64 if same else Rigor.NUMERICAL,
                    f"the answers are inconsistent: ‖T(x(P, y)) − x(T(P, y))‖ = {err:.3g} > "
                    f"tol={tol:.2e} ({c2.describe()})",
                    {"error": err, "tol": tol, "instance": i},
                    Witness("answers", {**_instance_record(P2, y2), "x_original": c1.x,
                                        "x_transformed": c2.x, "expected": expected}), theorem)
        return CheckResult(check, Outcome.HOLDS if certain else Outcome.INCONCLUSIVE,
                           Rigor.CERTIFIED_FLOAT64 if certain else Rigor.NUMERICAL,
                           f"{len(insts)} instances: consistent within tol (largest error {worst:.2e})",
                           {"max_error": worst, "instances": len(insts)}, theorem=theorem)

    return run


def _check_zero(runner: _Runner, ctx: _Ctx) -> CheckResult:
    from theorycheck.solvers.exact import solve_exact

    check = "zero_above_lambda_max"
    theorem = "optimality of z = 0 (THEORY.md §1): λ > λ_max, resp. ‖y‖ < η"
    worst = 0.0
    insts = _instances(ctx, k0=20)
    for inst in insts:
        P, y = inst.problem, inst.y
        if ctx.problem == "qcbp":
            P2 = P.with_(eta=1.5 * float(np.linalg.norm(y)))
        else:
            P2 = P.with_(lam=1.5 * P.lambda_max(y))
        sol = solve_exact(P2, y, candidate=np.zeros(P2.A.in_shape))  # support ∅, proven
        res = _compare_to_certified(check, runner(P2, y), P2, y, sol, ctx, theorem)
        if not res.holds:
            return res
        worst = max(worst, float(res["distance_upper"]))
    return CheckResult(check, Outcome.HOLDS, Rigor.PROVEN,
                       f"{len(insts)} instances: the answer is 0 within tol (largest norm ≤ {worst:.2e})",
                       {"max_norm_upper": worst}, theorem=theorem)


def _check_monotone(runner: _Runner, ctx: _Ctx) -> CheckResult:
    check = "l1_norm_monotone"
    theorem = ("‖x(λ)‖₁ is non-increasing for penalised programs (compare optimality at λ₁ < λ₂); "
               "QCBP: in η (nested feasible sets)")
    factors = (0.25, 0.5, 1.0, 2.0, 4.0)
    insts = _instances(ctx, k0=30)
    certain = True
    for inst in insts:
        P, y = inst.problem, inst.y
        name = P._param_name
        base = getattr(P, name)
        norms = []
        for f in factors:
            P2 = P.with_(**{name: f * base})
            call = runner(P2, y)
            if call.x is None:
                return _failed_call(check, call, theorem, f"at {name} = {f * base:.3g}")
            n1, same = _twice(lambda: math.fsum(np.abs(call.x).ravel().tolist()))
            certain = certain and same
            norms.append(n1)
        for k in range(len(norms) - 1):
            slack = ctx.tol * max(1.0, norms[k])
            if norms[k + 1] > norms[k] + slack:
                return CheckResult(
                    check, Outcome.VIOLATED if certain else Outcome.INCONCLUSIVE,
                    Rigor.CERTIFIED_FLOAT64 if certain else Rigor.NUMERICAL,
                    f"‖x‖₁ grows from {norms[k]:.6g} to {norms[k + 1]:.6g} when {name} grows from "
                    f"{factors[k] * base:.3g} to {factors[k + 1] * base:.3g}",
                    {"norms": norms, "params": [f * base for f in factors]},
                    Witness("path", {**_instance_record(P, y), "factors": np.array(factors)}), theorem)
    return CheckResult(check, Outcome.HOLDS if certain else Outcome.INCONCLUSIVE,
                       Rigor.CERTIFIED_FLOAT64 if certain else Rigor.NUMERICAL,
                       f"{len(insts)} paths of {len(factors)} parameters: ‖x‖₁ non-increasing",
                       {"instances": len(insts)}, theorem=theorem)


# -- exact recovery ---------------------------------------------------------------------

def _arb_distance(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Proven bounds on ``‖a − b‖₂`` for float arrays (taken as exact)."""
    import flint

    from theorycheck.numerics.exact import ball_lower, ball_upper, to_arb

    tot = flint.arb(0)
    for u, v in zip(np.ravel(a), np.ravel(b)):
        d = to_arb(float(np.real(u))) - to_arb(float(np.real(v)))
        e = to_arb(float(np.imag(u))) - to_arb(float(np.imag(v)))
        tot += d * d + e * e
    r = tot.sqrt()
    return max(0.0, ball_lower(r)), ball_upper(r)


def _dual_certificate(A: np.ndarray, S: list[int], sig: np.ndarray) -> float | None:
    """Upper bound on ``‖v‖`` for ``v = A_S(A_S^T A_S)^{-1}σ`` if ``|A_j^T v| < 1`` off S is proven."""
    import flint

    from theorycheck.numerics.exact import arb_matrix, ball_upper

    B = arb_matrix(A)
    m, N = A.shape
    AS = flint.arb_mat([[B[i, j] for j in S] for i in range(m)])
    try:
        h = (AS.transpose() * AS).solve(flint.arb_mat([[float(s)] for s in sig]))
    except ZeroDivisionError:
        return None
    v = AS * h
    g = B.transpose() * v
    for j in range(N):
        if j not in S and not abs(g[j, 0]) < 1:
            return None
    # x*x, not x**2: python-flint 0.9 gives nan for arb(0, r)**2
    nv = sum((v[i, 0] * v[i, 0] for i in range(m)), flint.arb(0)).sqrt()
    return ball_upper(nv)


def _recovery_instance(ctx: _Ctx, attempt: int, m: int = 10, N: int = 14, s: int = 2):
    """Dyadic ``A`` (multiples of 2^-16), integer ``x``: ``y = Ax`` exactly in float64."""
    rng = np.random.default_rng([ctx.seed, 7, attempt])
    A_int = np.rint(rng.standard_normal((m, N)) / math.sqrt(m) * 2**16).astype(np.int64)
    S = sorted(rng.choice(N, s, replace=False).tolist())
    x = np.zeros(N)
    x[S] = rng.integers(1, 4, s) * rng.choice([-1, 1], s)
    y_int = A_int @ x.astype(np.int64)
    A = A_int / 2.0**16
    y = y_int / 2.0**16
    assert np.array_equal(A @ x, y)  # exact: small integers times dyadics
    return A, x, y, S


def _check_recovery(runner: _Runner, ctx: _Ctx) -> CheckResult:
    from theorycheck.problems.programs import QCBP, SRLasso

    check = "exact_recovery_nsp"
    theorem = ("strict dual certificate A^T v ∈ ∂‖x‖₁, |a_j^T v| < 1 off S, A_S injective ⇒ x is "
               "the unique minimiser (Fuchs; THEORY.md §1–2)")
    try:
        from theorycheck.rnsp import nsp_constant
    except ImportError:  # the per-instance certificate suffices
        nsp_constant = None
    chosen, nsp_note = None, ""
    for attempt in range(30):
        A, x, y, S = _recovery_instance(ctx, attempt)
        vnorm = _dual_certificate(A, S, np.sign(x[S]))
        if vnorm is None:
            continue
        if chosen is None:
            chosen = (A, x, y, S, vnorm)
        if nsp_constant is None:
            break
        try:
            nsp = nsp_constant(A, len(S), progress=False)
        except Exception:  # noqa: BLE001 - keep the per-instance certificate
            break
        if nsp.upper < 0.5 and nsp.upper_rigor is Rigor.PROVEN:
            chosen = (A, x, y, S, vnorm)
            nsp_note = f"; NSP({len(S)}) certified: α_{len(S)} ≤ {nsp.upper:.4g} < 1/2"
            theorem = ("NSP(s) ⇔ every s-sparse x is the unique ℓ1 minimiser given y = Ax "
                       "(THEORY.md §2); SR-LASSO: strict dual certificate with λ‖v‖ < 1")
            break
    if chosen is None:  # pragma: no cover - random Gaussian 10×14 matrices almost always have one
        return CheckResult(check, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           "no instance with a certified dual certificate was found", theorem=theorem)
    A, x, y, S, vnorm = chosen
    if ctx.problem == "qcbp":
        P = QCBP(A, eta=0.0)
    else:
        P = SRLasso(A, lam=0.5 / vnorm)  # λ‖v‖ ≤ 1/2 < 1: u = −λv is an SR-LASSO dual certificate
    call = runner(P, y)
    if call.x is None:
        return _failed_call(check, call, theorem)
    lo, hi = _arb_distance(call.x, x)
    tol = _tol_abs(ctx, x)
    values = {"distance_lower": lo, "distance_upper": hi, "tol": tol, "s": len(S),
              "dual_certificate_norm": vnorm}
    witness = Witness("recovery", {**_instance_record(P, y), "x_true": x, "x": call.x})
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


# -- Theorem 1 under certified rNSP --------------------------------------------------------

def _recovery_bound(kind: str, C1: Any, C2: Any, s: int, sigma: Any, e: Any, param: float) -> Any:
    """Right-hand side (arb) of the error bound for every minimiser (FR Thm 4.25 + optimality).

    SR-LASSO (seed Theorem 1): ``2C1σ/√s + (C1/(√s λ) + C2)‖e‖``.
    QCBP with ``‖e‖ ≤ η``: ``‖x̂‖₁ ≤ ‖x‖₁`` and ``‖A(x̂ − x)‖ ≤ 2η`` give ``2C1σ/√s + 2C2η``.
    U-LASSO: ``λ(‖x̂‖₁ − ‖x‖₁) ≤ ‖e‖² − ‖Ax̂ − y‖²`` and ``‖A(x̂ − x)‖ ≤ ‖Ax̂ − y‖ + ‖e‖``;
    maximising over ``‖Ax̂ − y‖`` gives
    ``2C1σ/√s + C1‖e‖²/(λ√s) + C2‖e‖ + C2²λ√s/(4C1)``.
    """
    import flint

    rs = flint.arb(s).sqrt()
    lead = 2 * C1 * sigma / rs
    p = flint.arb(param)
    if kind == "srlasso":
        return lead + (C1 / (rs * p) + C2) * e
    if kind == "qcbp":
        return lead + 2 * C2 * p
    return lead + C1 * e * e / (p * rs) + C2 * e + C2 * C2 * p * rs / (4 * C1)


def _check_rnsp_bound(runner: _Runner, ctx: _Ctx) -> CheckResult:
    import flint

    from theorycheck.numerics.exact import ball_upper, to_arb
    from theorycheck.problems.programs import QCBP, Lasso, SRLasso

    check = "recovery_bound_rnsp"
    theorem = {"srlasso": "seed Theorem 1 under the rNSP (THEORY.md §2)",
               "qcbp": "Foucart–Rauhut Thm 4.25 under the rNSP with ‖e‖ ≤ η (THEORY.md §2)",
               "lasso": "Foucart–Rauhut Thm 4.25 under the rNSP + U-LASSO optimality (THEORY.md §2)",
               }[ctx.problem]
    try:
        from theorycheck.rnsp import recovery_constants, rnsp_gamma
    except ImportError as exc:
        return CheckResult(check, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           f"needs theorycheck.rnsp ({exc})", theorem=theorem)
    rng = np.random.default_rng([ctx.seed, 11])
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
    # a large 1-sparse part, a small tail (σ_1(x)₁ = 0.01) and small noise: the bound is far
    # below ‖x‖, so answers that are not near a minimiser (e.g. 0) are caught
    x = np.zeros(N)
    i, j = rng.choice(N, 2, replace=False)
    x[i], x[j] = 10.0, -0.01
    e_dir = rng.standard_normal(m)
    y = A @ x + 0.01 * e_dir / np.linalg.norm(e_dir)
    # exact residual e = y − Ax of the float data and σ_s(x)₁, in balls
    Ab = [[to_arb(float(v)) for v in row] for row in A]
    e_sq = flint.arb(0)
    for row in range(m):
        r = to_arb(float(y[row])) - sum((Ab[row][col] * to_arb(float(x[col])) for col in range(N)),
                                        flint.arb(0))
        e_sq += r * r
    e_norm = e_sq.sqrt()
    mags = sorted((abs(float(v)) for v in x), reverse=True)
    sigma = sum((to_arb(v) for v in mags[s:]), flint.arb(0))
    if ctx.problem == "srlasso":
        lam = 0.5 * consts.lambda_max(s)  # 0 < λ ≤ C1/(√s C2), proven
        P = SRLasso(A, lam=lam)
        param = lam
    elif ctx.problem == "qcbp":
        param = 1.01 * ball_upper(e_norm)  # η ≥ ‖e‖
        P = QCBP(A, eta=param)
    else:
        param = max(1e-3, 2 * ball_upper(C1 * e_norm / (C2 * flint.arb(s).sqrt())))
        P = Lasso(A, lam=param)
    bound = _recovery_bound(ctx.problem, C1, C2, s, sigma, e_norm, param)
    call = runner(P, y)
    if call.x is None:
        return _failed_call(check, call, theorem)
    lo, hi = _arb_distance(call.x, x)
    rigor = Rigor.weakest(res.upper_rigor, Rigor.PROVEN)
    values = {"error_lower": lo, "error_upper": hi, "bound": ball_upper(bound), "rho": rho,
              "gamma": gamma, "C1": float(consts.C1), "C2": float(consts.C2),
              "tightness": hi / ball_upper(bound)}
    witness = Witness("recovery", {**_instance_record(P, y), "x_true": x, "x": call.x})
    if lo > ball_upper(bound):
        return CheckResult(check, Outcome.VIOLATED, rigor,
                           f"‖x̂ − x‖ ≥ {lo:.3g} exceeds the bound {ball_upper(bound):.3g} that every "
                           f"minimiser satisfies (ρ = {rho}, γ = {gamma:.4g}), {call.describe()}",
                           values, witness, theorem)
    return CheckResult(check, Outcome.HOLDS, rigor,
                       f"‖x̂ − x‖ ≤ {hi:.3g} within the bound {ball_upper(bound):.3g} "
                       f"(ρ = {rho}, γ = {gamma:.4g})", values, witness, theorem)


# -- impossibility families ----------------------------------------------------------------

def _check_impossibility(runner: _Runner, ctx: _Ctx) -> CheckResult:
    check = "impossibility_barrier"
    theorem = "impossibility theorem, class Ω_K (THEORY.md §6.1–6.2)"
    try:
        from theorycheck.impossibility import build_family, check_solver_on_family
    except ImportError as exc:
        return CheckResult(check, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           f"needs theorycheck.impossibility ({exc})", theorem=theorem)
    from types import SimpleNamespace

    failed: list[_Call] = []

    def guarded(problem: Any, y: Any) -> Any:
        call = runner(problem, np.asarray(y))
        for w in call.caught:  # let check_solver_on_family see the solver's own warnings
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if call.x is None:
            failed.append(call)
            from theorycheck.errors import SolverError

            raise SolverError(call.reason)
        return SimpleNamespace(x=call.x, status=call.status or "optimal")

    guarded.__name__ = solver_name(runner.solver)
    # K = 3 and precision levels float64 still represents: accurate answers are possible,
    # yet the members' minimisers jump by ≈ 3·10^-3 for a 2^-(n+1) change of one entry
    builder = functools.partial(build_family, problem=ctx.problem, N2=6, s=2)
    sub = check_solver_on_family(guarded, builder, K_values=[3], n_values=[10, 30])
    if failed:
        return _failed_call(check, failed[0], theorem, "on an Ω_3 member")
    bad = sub.failures()
    rigor = Rigor.weakest(*[r.rigor for r in sub.results]) if sub.results else Rigor.NUMERICAL
    values = {"min_digits": [float(r.values.get("min_digits", 0.0)) for r in sub.results],
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


_RUNNERS: dict[str, Callable[[_Runner, _Ctx], CheckResult]] = {
    "certified_optimality": _check_certified,
    "certified_optimality_near_degenerate": _check_near_degenerate,
    "metamorphic_scaling": _metamorphic("metamorphic_scaling"),
    "metamorphic_permutation": _metamorphic("metamorphic_permutation"),
    "metamorphic_sign_phase": _metamorphic("metamorphic_sign_phase"),
    "metamorphic_zero_column": _metamorphic("metamorphic_zero_column"),
    "zero_above_lambda_max": _check_zero,
    "l1_norm_monotone": _check_monotone,
    "exact_recovery_nsp": _check_recovery,
    "recovery_bound_rnsp": _check_rnsp_bound,
    "impossibility_barrier": _check_impossibility,
}


# --------------------------------------------------------------------------------------
# public entry points
# --------------------------------------------------------------------------------------

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
    on_fail: str = "raise",
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
    on_fail : {"raise", "warn", "report"}
        What to do when a check fails that is not in ``expected_failed_checks``:
        raise :class:`~theorycheck.errors.CertificationError` (with the report
        as its ``report`` attribute), emit a ``UserWarning``, or only return
        the report.
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
    >>> report = check_solver(exact_solver(), checks=["metamorphic_permutation"], on_fail="report")
    >>> report.passed
    True
    """
    if not callable(solver):
        raise InvalidArgument(f"solver must be callable as solver(problem, y), got {type(solver).__name__}")
    if problem not in _PROBLEMS:
        raise InvalidArgument(f"problem={problem!r}: pass one of {_PROBLEMS}")
    if on_fail not in _ON_FAIL:
        raise InvalidArgument(f"on_fail={on_fail!r}: pass one of {_ON_FAIL}")
    if callback is not None and not callable(callback):
        raise InvalidArgument("callback must be callable (it receives each CheckResult)")
    if max_examples is None:
        max_examples = 10
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise InvalidArgument(f"max_examples must be a positive int, got {max_examples!r}")
    if not (isinstance(tol, (int, float)) and not isinstance(tol, bool) and 0 < tol < math.inf):
        raise InvalidArgument(f"tol must be a positive number, got {tol!r}")
    if time_limit is not None and not (isinstance(time_limit, (int, float)) and time_limit > 0):
        raise InvalidArgument(f"time_limit must be a positive number of seconds or None, got {time_limit!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidArgument(f"seed must be an int ≥ 0, got {seed!r}")
    names = applicable_checks(problem)
    if checks is not None:
        if isinstance(checks, str):
            checks = [checks]
        unknown = [c for c in checks if c not in CHECKS]
        if unknown:
            raise InvalidArgument(f"unknown check(s) {unknown}: use names from {list(CHECKS)}")
        skipped = [c for c in checks if c not in names]
        if skipped:
            raise InvalidArgument(f"check(s) {skipped} do not apply to problem={problem!r}")
        names = tuple(c for c in CHECKS if c in checks)
    expected = _expected(expected_failed_checks, solver)
    ctx = _Ctx(problem, float(tol), seed, max_examples, bool(shrink), instances=3)
    runner = _Runner(solver, None if time_limit is None else float(time_limit))
    results = []
    iterator: Iterable[str] = names
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(names, desc=f"check_solver({solver_name(solver)})")
    for name in iterator:
        res = _run_check(name, runner, ctx)
        if name in expected and res.violated:
            res = dataclasses.replace(res, message=f"{res.message} [expected failure: {expected[name]}]")
        results.append(res)
        if callback is not None:
            callback(res)
    report = Report(results, title=f"check_solver({solver_name(solver)}, problem={problem!r})")
    unexpected = [r for r in report.failures() if r.check not in expected]
    if unexpected and on_fail != "report":
        text = "\n".join(["unexpected failures:"] + ["  " + r.summary() for r in unexpected])
        if on_fail == "raise":
            exc = CertificationError(f"{report.title}\n{text}")
            exc.report = report  # type: ignore[attr-defined]
            raise exc
        warnings.warn(f"{report.title}\n{text}", UserWarning, stacklevel=2)
    return report


def _run_check(name: str, runner: _Runner, ctx: _Ctx) -> CheckResult:
    """Run one check; an error in the check itself becomes an inconclusive result."""
    try:
        return _RUNNERS[name](runner, ctx)
    except Exception as exc:  # noqa: BLE001 - the suite never crashes
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           f"the check could not run: {tb[:400]}")


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


# --------------------------------------------------------------------------------------
# reconstruction maps (networks)
# --------------------------------------------------------------------------------------

def check_reconstructor(
    psi: Any,
    A: Any,
    *,
    images: Sequence[Any],
    eta: float | None = None,
    lipschitz_bound: float | None = None,
    noise_level: float = 1e-2,
    trials: int = 8,
    seed: int = 0,
    on_fail: str = "report",
    **adapter_options: Any,
) -> Report:
    """Run the instability checks of THEORY.md §3–4 on a reconstruction map ``Ψ``.

    Checks (each evaluation of ``Ψ`` is repeated on the CPU in float64 and
    must be bit-identical, else the check is inconclusive):

    * ``reconstructor_call``: ``Ψ(Ax)`` runs and is finite for every image.
    * ``universal_instability``: every pair ``x, x′`` of images that ``Ψ`` fits
      within ``η`` with ``‖A(x − x′)‖ ≤ η`` is handed to
      :func:`theorycheck.instability.check_instability`; a certified pair means
      ``Ψ`` is provably unstable there (``L^ε(Ψ, Ax) ≥ ‖Ψ(Ax) − Ψ(Ax′)‖/‖A(x − x′)‖``
      for every ``ε ≥ ‖A(x − x′)‖``): violated, with that certificate (needs ``eta``).
    * ``training_pairs``: :func:`theorycheck.instability.audit_training_set` —
      pairs with ``‖A(x − x′)‖ ≤ η`` and ``‖x − x′‖ > 2η`` make every map accurate
      within ``η`` on both unstable; checkable before training (needs ``eta``).
    * ``local_lipschitz``: the largest witnessed ratio over image pairs and over
      ``trials`` random perturbations ``‖e‖ = noise_level·‖Ax‖`` must not
      exceed ``lipschitz_bound`` (needs ``lipschitz_bound``; otherwise the
      ratios are only reported, outcome ``holds``).

    Parameters
    ----------
    psi : torch.nn.Module or callable
        The reconstruction map (see :func:`theorycheck.nets.adapters.as_reconstruction_map`;
        ``adapter_options`` are passed to it).
    A : array_like or LinearOperator
        Sampling operator.
    images : sequence of arrays
        At least one image of shape ``A.in_shape``.
    eta : float, optional
        The accuracy / noise level ``η > 0`` of the theorem.
    lipschitz_bound : float, optional
        Largest acceptable local Lipschitz constant.
    noise_level : float
        Relative size of the random perturbations.
    trials : int
        Random perturbations per image.
    seed : int
    on_fail : {"raise", "warn", "report"}

    Returns
    -------
    Report

    Theorem: universal instability theorem (THEORY.md §3), random-noise test (THEORY.md §4).
    Rigor: certified-float64 (witnesses re-evaluated twice on the CPU in float64).
    """
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.problems.operators import as_operator

    if on_fail not in _ON_FAIL:
        raise InvalidArgument(f"on_fail={on_fail!r}: pass one of {_ON_FAIL}")
    op = as_operator(A)
    imgs = [np.asarray(x) for x in images]
    if not imgs:
        raise InvalidArgument("pass at least one image")
    for i, x in enumerate(imgs):
        if x.shape != tuple(op.in_shape):
            raise InvalidArgument(f"images[{i}] has shape {x.shape}: pass images of shape {tuple(op.in_shape)}")
        if not np.all(np.isfinite(x)):
            raise InvalidArgument(f"images[{i}] contains NaN or inf")
    for name, v in (("eta", eta), ("lipschitz_bound", lipschitz_bound)):
        if v is not None and not (isinstance(v, (int, float)) and 0 < v < math.inf):
            raise InvalidArgument(f"{name} must be a positive number, got {v!r}")
    if not (isinstance(noise_level, (int, float)) and noise_level > 0):
        raise InvalidArgument(f"noise_level must be positive, got {noise_level!r}")
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 0:
        raise InvalidArgument(f"trials must be an int ≥ 0, got {trials!r}")
    rmap = as_reconstruction_map(psi, A=op, **adapter_options)
    theorem3 = "universal instability theorem (THEORY.md §3)"
    results: list[CheckResult] = []
    precision_notes: list[str] = []

    def evaluate(Y: np.ndarray) -> tuple[np.ndarray | None, str]:
        try:
            ev = rmap.evaluate_float64(Y, repeats=2)
        except Exception as exc:  # noqa: BLE001 - a failing Ψ is a finding
            return None, f"Ψ raised {type(exc).__name__}: {str(exc)[:300]}"
        if not ev.ok:
            return None, ev.reason
        if ev.reason:  # e.g. a float32/float16 model: reproducible, but not a float64 evaluation
            precision_notes.append(ev.reason)
        out = ev.output
        if out.shape[1:] != tuple(op.in_shape):
            return None, f"Ψ returned shape {out.shape[1:]}, expected {tuple(op.in_shape)}"
        return out, ""

    Y = np.stack([np.asarray(op.apply(x)) for x in imgs])
    rec, why = evaluate(Y)
    if rec is None:
        results.append(CheckResult("reconstructor_call", Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64,
                                   why, theorem="THEORY.md §3"))
        return _finish_reconstructor(_downgraded(results, precision_notes), on_fail)
    errors = [float(np.linalg.norm(rec[i] - imgs[i])) for i in range(len(imgs))]
    results.append(CheckResult("reconstructor_call", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
                               f"Ψ(Ax) is finite and reproducible on {len(imgs)} image(s)",
                               {"errors": errors}, theorem="THEORY.md §3"))
    best = (0.0, None)
    pairs = []
    for i in range(len(imgs)):
        for j in range(i + 1, len(imgs)):
            dA = float(np.linalg.norm(Y[i] - Y[j]))
            dx = float(np.linalg.norm(imgs[i] - imgs[j]))
            dpsi = float(np.linalg.norm(rec[i] - rec[j]))
            ratio = dpsi / dA if dA > 0 else (math.inf if dpsi > 0 else 0.0)
            pairs.append((i, j, dA, dx, dpsi, ratio))
            if ratio > best[0]:
                best = (ratio, ("pair", i, j))
    if eta is not None:
        from theorycheck.instability import audit_training_set, check_instability

        # pairs the float64 evaluation says satisfy the hypotheses; check_instability decides
        forced = [p for p in pairs if p[2] <= eta and errors[p[0]] < eta and errors[p[1]] < eta]
        certs = []
        for i, j, *_ in sorted(forced, key=lambda p: -p[5]):
            cert = check_instability(rmap, op, imgs[i], imgs[j], eta=eta, ball_samples=0)
            if cert.holds:
                certs.append((i, j, cert))
        if certs:
            i, j, cert = certs[0]
            results.append(CheckResult(
                "universal_instability", Outcome.VIOLATED, cert.rigor,
                f"images {i} and {j}: {cert.message}",
                {**dict(cert.values), "lipschitz_lower": cert.lower_bound, "pair": (i, j),
                 "certified_pairs": len(certs)}, cert.witness, cert.theorem or theorem3))
        else:
            results.append(CheckResult(
                "universal_instability", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
                f"no pair of images satisfies the theorem's hypotheses at η = {eta:g} "
                f"({len(forced)} candidate pair(s) checked)", {"pairs": len(pairs)}, theorem=theorem3))
        audit = audit_training_set(op, np.stack(imgs), eta=eta, progress=False)
        results.append(CheckResult("training_pairs", audit.outcome, audit.rigor, audit.message,
                                   dict(audit.values), audit.witness, audit.theorem or theorem3))
    rng = np.random.default_rng(seed)
    noisy_ratio = 0.0
    for i in range(len(imgs)):
        if trials == 0:
            break
        shape = Y[i].shape
        E = rng.standard_normal((trials,) + shape)
        if np.iscomplexobj(Y):
            E = E + 1j * rng.standard_normal((trials,) + shape)
        nrm = np.linalg.norm(E.reshape(trials, -1), axis=1).reshape((trials,) + (1,) * len(shape))
        E = E / nrm * noise_level * max(float(np.linalg.norm(Y[i])), 1e-12)
        out, why = evaluate(Y[i][None] + E)
        if out is None:
            results.append(CheckResult("local_lipschitz", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                                       f"on perturbed measurements: {why}", theorem=theorem3))
            return _finish_reconstructor(_downgraded(results, precision_notes), on_fail)
        for t in range(trials):
            r = float(np.linalg.norm(out[t] - rec[i])) / float(np.linalg.norm(E[t]))
            if r > noisy_ratio:
                noisy_ratio = r
            if r > best[0]:
                best = (r, ("noise", i, t))
    L = best[0]
    values = {"lipschitz_lower": L, "from": best[1], "random_noise_ratio": noisy_ratio}
    if lipschitz_bound is not None and L > lipschitz_bound:
        results.append(CheckResult("local_lipschitz", Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64,
                                   f"witnessed local Lipschitz constant {L:.3g} > bound {lipschitz_bound:g}",
                                   values, theorem=theorem3))
    else:
        results.append(CheckResult("local_lipschitz", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
                                   f"largest witnessed ratio {L:.3g}"
                                   + (f" ≤ bound {lipschitz_bound:g}" if lipschitz_bound else
                                      " (no bound given)"), values, theorem=theorem3))
    return _finish_reconstructor(_downgraded(results, precision_notes), on_fail)


def _downgraded(results: list[CheckResult], notes: list[str]) -> list[CheckResult]:
    """Certified-float64 needs a float64 evaluation: otherwise keep the finding, label it numerical."""
    if not notes:
        return results
    return [dataclasses.replace(r, rigor=Rigor.NUMERICAL, message=f"{r.message} (numerical: {notes[0]})")
            if r.rigor is Rigor.CERTIFIED_FLOAT64 else r for r in results]


def _finish_reconstructor(results: list[CheckResult], on_fail: str) -> Report:
    report = Report(results, title="check_reconstructor")
    if report.failures() and on_fail != "report":
        text = report.summary()
        if on_fail == "raise":
            exc = CertificationError(text)
            exc.report = report  # type: ignore[attr-defined]
            raise exc
        warnings.warn(text, UserWarning, stacklevel=3)
    return report


# --------------------------------------------------------------------------------------
# adapters for solvers nobody here wrote
# --------------------------------------------------------------------------------------

def sklearn_lasso_solver(**params: Any) -> Callable[[Any, np.ndarray], np.ndarray]:
    """scikit-learn's ``Lasso`` as a solver for theorycheck's U-LASSO (``α = λ/(2m)``).

    Parameters
    ----------
    **params
        Passed to ``sklearn.linear_model.Lasso`` (``fit_intercept`` is always False).

    Returns
    -------
    callable
        ``solver(problem, y) -> coef_`` (real, unweighted U-LASSO without ``W`` only).

    Theorem: none (a change of scaling, see :meth:`Lasso.from_sklearn_alpha`).
    Rigor: numerical (scikit-learn's coordinate descent).
    """
    params = dict(params)
    params["fit_intercept"] = False

    def sklearn_lasso(problem: Any, y: np.ndarray) -> np.ndarray:
        from sklearn.linear_model import Lasso as _SkLasso

        _plain_program(problem, "sklearn_lasso", kinds=("Lasso",), complex_ok=False)
        est = _SkLasso(alpha=problem.sklearn_alpha, **params)
        est.fit(problem.A.to_dense(), np.asarray(y))
        return np.asarray(est.coef_, dtype=float)

    sklearn_lasso.name = "sklearn_lasso"  # type: ignore[attr-defined]
    return sklearn_lasso


def _plain_program(problem: Any, who: str, *, kinds: tuple[str, ...], complex_ok: bool,
                   weights_ok: bool = False) -> None:
    name = type(problem).__name__
    if name not in kinds:
        raise InvalidArgument(f"{who} solves {', '.join(kinds)} problems, not {name}")
    if problem.W is not None:
        raise InvalidArgument(f"{who} does not take a sparsifier W")
    if not weights_ok and not np.all(np.asarray(problem.weights) == 1):
        raise InvalidArgument(f"{who} does not take weights")
    if problem.is_complex and not complex_ok:
        raise InvalidArgument(f"{who} needs real data")


def cvxpy_solver(solver: str = "CLARABEL", **options: Any) -> Callable[[Any, np.ndarray], Any]:
    """cvxpy with the given conic solver (CLARABEL, SCS, ...) as a plain solver, no polishing.

    The program is written directly in cvxpy (real or complex, weighted, no
    ``W``): U-LASSO ``λ‖w∘z‖₁ + ‖Az − y‖²``, SR-LASSO ``λ‖w∘z‖₁ + ‖Az − y‖``,
    QCBP ``min ‖w∘z‖₁ s.t. ‖Az − y‖ ≤ η`` — what a user of cvxpy would write.

    Parameters
    ----------
    solver : str
        A solver installed for cvxpy (``cvxpy.installed_solvers()``).
    **options
        Passed to ``cvxpy.Problem.solve``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution`` with cvxpy's status (``"optimal"``,
        ``"optimal_inaccurate"``, ...) and rigor ``numerical``.

    Theorem: none.
    Rigor: numerical (interior point / ADMM in float64).
    """
    if not isinstance(solver, str):
        raise InvalidArgument(f"solver must be a cvxpy solver name, got {solver!r}")

    def run(problem: Any, y: np.ndarray) -> Any:
        import cvxpy as cp

        from theorycheck.errors import SolverError
        from theorycheck.results import Rigor as _R
        from theorycheck.solvers.solution import Solution

        _plain_program(problem, f"cvxpy-{solver}", kinds=("Lasso", "SRLasso", "QCBP"),
                       complex_ok=True, weights_ok=True)
        A = problem.A.to_dense()
        y = np.asarray(y)
        z = cp.Variable(A.shape[1], complex=bool(np.iscomplexobj(A) or np.iscomplexobj(y)))
        pen = cp.sum(cp.multiply(np.asarray(problem.weights), cp.abs(z)))
        res = A @ z - y
        kind = type(problem).__name__
        if kind == "Lasso":
            prob = cp.Problem(cp.Minimize(problem.lam * pen + cp.sum_squares(res)))
        elif kind == "SRLasso":
            prob = cp.Problem(cp.Minimize(problem.lam * pen + cp.norm(res, 2)))
        else:
            prob = cp.Problem(cp.Minimize(pen), [cp.norm(res, 2) <= problem.eta])
        t0 = time.perf_counter()
        prob.solve(solver=solver, **options)
        if z.value is None:
            raise SolverError(f"cvxpy-{solver} returned no answer (status {prob.status!r})")
        status = {"optimal": "optimal", "optimal_inaccurate": "optimal_inaccurate",
                  "user_limit": "max_iterations"}.get(prob.status, "error")
        return Solution(x=np.asarray(z.value).reshape(problem.A.in_shape), status=status,
                        rigor=_R.NUMERICAL, solver=f"cvxpy-{solver}",
                        elapsed_s=time.perf_counter() - t0)

    run.name = f"cvxpy_{solver}"  # type: ignore[attr-defined]
    return run


def spgl1_solver(**options: Any) -> Callable[[Any, np.ndarray], np.ndarray]:
    """spgl1's ``spg_bpdn`` (basis pursuit denoise = QCBP) as a solver; needs ``pip install spgl1``.

    Parameters
    ----------
    **options
        Passed to ``spgl1.spg_bpdn``.

    Returns
    -------
    callable
        ``solver(problem, y) -> x`` for real, unweighted QCBP.

    Theorem: none.
    Rigor: numerical (spectral projected gradient).
    """

    def spgl1_bpdn(problem: Any, y: np.ndarray) -> np.ndarray:
        import spgl1

        _plain_program(problem, "spgl1", kinds=("QCBP",), complex_ok=False)
        x, *_ = spgl1.spg_bpdn(problem.A.to_dense(), np.asarray(y, dtype=float), problem.eta,
                               **{"verbosity": 0, **options})
        return np.asarray(x, dtype=float)

    spgl1_bpdn.name = "spgl1_bpdn"  # type: ignore[attr-defined]
    return spgl1_bpdn


def pyproximal_lasso_solver(*, niter: int = 2000, acceleration: str | None = "fista",
                            **options: Any) -> Callable[[Any, np.ndarray], np.ndarray]:
    """pyproximal's proximal gradient (FISTA) for U-LASSO; needs ``pip install pyproximal``.

    Minimises ``‖Az − y‖² + λ‖z‖₁`` with ``pyproximal.L2(Op, b, sigma=2)`` and
    ``pyproximal.L1(sigma=λ)`` at step ``1/(2‖A‖²)``.

    Parameters
    ----------
    niter : int
        Iterations (pyproximal stops only there unless ``tol``/``rtol`` are passed).
    acceleration : {"fista", "vandenberghe", None}
    **options
        Passed to ``pyproximal.optimization.primal.ProximalGradient``.

    Returns
    -------
    callable
        ``solver(problem, y) -> x`` for real, unweighted U-LASSO.

    Theorem: none.
    Rigor: numerical (first-order method in float64).
    """

    def pyproximal_lasso(problem: Any, y: np.ndarray) -> np.ndarray:
        import pylops
        import pyproximal

        _plain_program(problem, "pyproximal_lasso", kinds=("Lasso",), complex_ok=False)
        A = problem.A.to_dense()
        f = pyproximal.L2(Op=pylops.MatrixMult(A), b=np.asarray(y, dtype=float), sigma=2.0)
        g = pyproximal.L1(sigma=problem.lam)
        L = 2.0 * float(np.linalg.norm(A, 2)) ** 2
        x = pyproximal.optimization.primal.ProximalGradient(
            f, g, x0=np.zeros(A.shape[1]), tau=1.0 / L, niter=niter, acceleration=acceleration,
            **{"show": False, **options})
        return np.asarray(x, dtype=float).reshape(problem.A.in_shape)

    pyproximal_lasso.name = "pyproximal_lasso"  # type: ignore[attr-defined]
    return pyproximal_lasso


def exact_solver(**options: Any) -> Callable[[Any, np.ndarray], Any]:
    """theorycheck's certified solver ``solve(problem, y, method="exact")`` as a solver.

    Parameters
    ----------
    **options
        Passed to :func:`theorycheck.solvers.exact.solve_exact`.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution`` (rigor ``proven``).

    Theorem: uniqueness under strict dual feasibility (THEORY.md §1).
    Rigor: proven.
    """

    def exact(problem: Any, y: np.ndarray) -> Any:
        from theorycheck.solvers import solve

        return solve(problem, y, method="exact", **options)

    exact.name = "theorycheck_exact"  # type: ignore[attr-defined]
    return exact
