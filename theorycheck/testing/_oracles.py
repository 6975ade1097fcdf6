"""Certified oracles and instances shared by the checks of :mod:`theorycheck.testing.checks`.

* planted instances with proven unique minimisers (:func:`planted_instances`);
* the comparison of a guarded answer with a proven minimiser
  (:func:`compare_to_certified`: a ``certified_optimality`` result that
  ``theorycheck verify`` re-proves) and the tolerance it uses (:func:`tol_abs`);
* exact-recovery oracles: a strict dual certificate in ball arithmetic
  (:func:`dual_certificate`), dyadic instances with ``y = Ax`` exactly
  (:func:`recovery_instance`), proven distances (:func:`arb_distance`) and the
  right-hand side of Theorem 1's error bound (:func:`recovery_bound`);
* the result of a solver call that gave no answer (:func:`failed_call`).

Theorem: docs/theory.md §1 (certified minimisers, dual certificates), §2 (Theorem 1).
Rigor: proven (ball arithmetic), except where stated.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping

import flint
import numpy as np

from theorycheck.numerics.exact import arb_matrix, ball_lower, ball_upper, to_arb
from theorycheck.numerics.rounding import norm2
from theorycheck.problems.programs import QCBP, Lasso
from theorycheck.results import CheckResult, Outcome, Rigor
from theorycheck.solvers.certify import build_certified_instance
from theorycheck.testing._runner import Call, Options, shorten
from theorycheck.testing.triage import DEFAULT_ACCURACY, Accuracy, crash_values, judge_answer

__all__ = ["failed_call", "data_scale", "tol_abs", "instance_record", "call_context", "compare_to_certified",
           "clip", "KitInstance", "scaled", "well_conditioned", "planted_instances",
           "arb_distance", "dual_certificate", "recovery_instance", "recovery_bound"]

#: longest note (how the solver presented its answer) kept in a certificate's context
_MAX_NOTE = 500


def failed_call(check: str, call: Call, theorem: str, what: str = "") -> CheckResult:
    """The result of a call that gave no answer: violated with ``kind="crash"``, or skipped.

    A solver that declared it does not solve the program variant (an adapter's
    ``programs``, or :class:`~theorycheck.testing._runner.UnsupportedProgram`)
    is skipped: inconclusive, not failed.

    Theorem: none (the solver gave no usable answer).
    Rigor: proven (the failure is observed), numerical for a time-out.
    """
    msg = f"{what}{': ' if what else ''}{call.reason}"
    if call.unsupported:
        return CheckResult(check, Outcome.INCONCLUSIVE, Rigor.NUMERICAL, msg,
                           {"reason": call.reason, "skipped": True}, theorem=theorem)
    rigor = Rigor.NUMERICAL if call.timed_out else Rigor.PROVEN
    return CheckResult(check, Outcome.VIOLATED, rigor, msg, crash_values(call.reason), theorem=theorem)


def data_scale(problem: Any, y: np.ndarray) -> float:
    """The size of a signal that explains ``y``: ``‖y‖ / max_j (‖a_j‖/w_j)`` (0 when ``y = 0``).

    Theorem: none (a scale).
    Rigor: not applicable (deterministic float64, :func:`~theorycheck.numerics.rounding.norm2`).
    """
    A = problem.A.to_dense()
    w = np.asarray(problem.weights, dtype=float)
    top = max((norm2(A[:, j]) / w[j] for j in range(A.shape[1])), default=0.0)
    return norm2(np.asarray(y)) / top if top > 0 else 0.0


def tol_abs(options: Options, x: np.ndarray, problem: Any = None, y: np.ndarray | None = None) -> float:
    """The accepted distance: ``tol·‖x*‖``, relative to the instance's scale (no absolute floor).

    When ``x* = 0`` the scale is :func:`data_scale` of ``(problem, y)``.
    ``‖x‖`` is :func:`~theorycheck.numerics.rounding.norm2`: the same bits on
    every machine, so the ``tol`` a saved result states is reproducible.

    Theorem: none.
    Rigor: not applicable.
    """
    scale = norm2(x)
    if scale == 0.0 and problem is not None and y is not None:
        scale = data_scale(problem, y)
    return options.tol * scale if scale > 0 else options.tol


def instance_record(problem: Any, y: np.ndarray) -> dict[str, Any]:
    """The program and data of an instance, for a witness.

    Theorem: none.
    Rigor: not applicable.
    """
    return {"program": type(problem).__name__, "A": problem.A.to_dense(), "y": np.asarray(y),
            "param": float(getattr(problem, "lam", getattr(problem, "eta", 0.0))),
            "weights": np.asarray(problem.weights)}


def call_context(call: Call, note: str = "", facts: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The facts of a solver call stored with a record: status, whether it warned, how it answered.

    Theorem: none.
    Rigor: not applicable.
    """
    status = "not reported" if call.status is None else clip(call.status, 100)
    return {"status": status, "warned": bool(call.warned),
            "note": clip(call.describe() + note, _MAX_NOTE), **(facts or {})}


def compare_to_certified(check: str, call: Call, problem: Any, y: np.ndarray, sol: Any, options: Options,
                         theorem: str = "docs/theory.md §1", *, note: str = "",
                         facts: Mapping[str, Any] | None = None, minimiser: np.ndarray | None = None) -> CheckResult:
    """Judge a guarded answer against a proven minimiser: the kit record of :mod:`~theorycheck.testing.triage`.

    The record is the ``certified_optimality`` certificate of the answer (the
    certificate of ``sol`` re-proven on the data, proven distance bounds) with
    the certified objective gap, the dual slack and a ``kind``, under the name
    ``check``; the call's status, whether it warned, how it presented its answer
    (:meth:`Call.describe` followed by ``note``) and ``facts`` (short strings,
    bools, numbers) are its context. ``minimiser`` (default ``sol.x``) sets the
    scale of ``tol``. A call without an answer gives :func:`failed_call`.

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven.
    """
    if call.x is None:
        return failed_call(check, call, theorem)
    xs = np.asarray(sol.x if minimiser is None else minimiser)
    acc = options.accuracy if isinstance(options.accuracy, Accuracy) else DEFAULT_ACCURACY
    return judge_answer(check, problem, y, call.x, sol, tol=tol_abs(options, xs, problem, y), accuracy=acc,
                        tier=options.tier, context=call_context(call, note, facts))


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary (marked with an ellipsis).

    Theorem: none.
    Rigor: not applicable.
    """
    return shorten(text, limit)


@dataclasses.dataclass(frozen=True, eq=False)
class KitInstance:
    """A planted instance for the kit: the program, data, a proven solution hint and the minimiser.

    ``solution`` certifies ``minimiser`` (it may be the certificate of an
    unscaled twin: scaling by a power of two keeps support and signs, and
    every record re-proves the certificate on its own data).

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (re-proven by each record).
    """

    problem: Any
    y: np.ndarray
    solution: Any
    minimiser: np.ndarray
    params: dict = dataclasses.field(default_factory=dict)

    def __repr__(self) -> str:
        p = self.params
        par = getattr(self.problem, "lam", getattr(self.problem, "eta", None))
        extra = f", delta={p['delta']:.3g}" if "delta" in p else ""
        return (f"Instance({type(self.problem).__name__}, m={p.get('m')}, N={p.get('N')}, s={p.get('s')}, "
                f"{self.problem._param_name}={par:.6g}, scale=2^{p.get('scale_log2', 0)}{extra}, "
                f"seed={p.get('seed')})")


def scaled(inst: Any, k: int) -> KitInstance:
    """The instance with data scaled by ``c = 2^k`` (exact): the minimiser is ``c·x*``.

    U-LASSO ``(cy, cλ)``, SR-LASSO ``(cy, λ)``, QCBP ``(cy, cη)``: ``x*(c·) = c·x*``.

    Theorem: homogeneity of the programs (docs/theory.md §1).
    Rigor: exact (powers of two).
    """
    c = math.ldexp(1.0, k)
    P = inst.problem
    if isinstance(P, Lasso):
        P2: Any = P.with_(lam=c * P.lam)
    elif isinstance(P, QCBP):
        P2 = P.with_(eta=c * P.eta)
    else:
        P2 = P
    base = getattr(inst, "params", {})
    return KitInstance(P2, c * np.asarray(inst.y), inst.solution, c * np.asarray(inst.solution.x),
                       {**base, "scale_log2": k})


def well_conditioned(inst: Any) -> bool:
    """The core tier's instances: certified dual slack ≥ 0.05 and ``cond₂(A_S) ≤ 100``.

    Theorem: none (a screening definition of "well-conditioned": the dual slack is
    certified; the restricted condition number is a float64 screening).
    Rigor: not applicable.
    """
    S = list(inst.solution.info.get("support", ()))
    if float(inst.solution.dual_slack) < 0.05:
        return False
    if not S:
        return True
    A = inst.problem.A.to_dense()
    return bool(np.linalg.cond(A[:, S]) <= 100.0)


def planted_instances(options: Options, problem: str | None = None, k0: int = 0, count: int | None = None,
                      **kw: Any) -> list[Any]:
    """Deterministic planted instances (seeded by ``options.seed``) with proven minimisers.

    ``problem="bp"`` plants basis pursuit (QCBP, ``η = 0``, ``y = Ax`` exactly).

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (each instance's minimiser is certified).
    """
    out: list[Any] = []
    kind = problem or options.problem
    bp = kind == "bp"
    sizes = [(6, 12, 2), (5, 9, 1), (8, 16, 3), (4, 7, 1), (7, 14, 2)]
    k = k0
    while len(out) < (count or options.instances) and k < k0 + 20:
        m, N, s = sizes[k % len(sizes)]
        rng = np.random.default_rng([options.seed, k])
        inst = build_certified_instance("qcbp" if bp else kind, rng, m=m, N=N, s=s,
                                        lam=float(rng.uniform(0.1, 0.8)), noise=float(rng.uniform(0.2, 0.8)),
                                        seed=options.seed, **({"basis_pursuit": True} if bp else {}), **kw)
        if inst is not None:
            out.append(inst)
        k += 1
    return out


def arb_distance(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Proven bounds on ``‖a − b‖₂`` for float arrays (taken as exact).

    Theorem: none.
    Rigor: proven (ball arithmetic, outward rounding).
    """
    tot = flint.arb(0)
    for u, v in zip(np.ravel(a), np.ravel(b)):
        d = to_arb(float(np.real(u))) - to_arb(float(np.real(v)))
        e = to_arb(float(np.imag(u))) - to_arb(float(np.imag(v)))
        tot += d * d + e * e
    r = tot.sqrt()
    return max(0.0, ball_lower(r)), ball_upper(r)


def dual_certificate(A: np.ndarray, S: list[int], sig: np.ndarray) -> float | None:
    """Upper bound on ``‖v‖`` for ``v = A_S(A_S^T A_S)^{-1}σ`` if ``|A_j^T v| < 1`` off S is proven.

    Theorem: strict dual certificate ⇒ ``x`` with support ``S`` and signs ``σ``
    is the unique ℓ1 minimiser given ``y = Ax`` (Fuchs; docs/theory.md §1–2).
    Rigor: proven (ball arithmetic); None when the certificate cannot be proven.
    """
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


def recovery_instance(options: Options, attempt: int, m: int = 10, N: int = 14,
                      s: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """Dyadic ``A`` (multiples of 2^-16), integer ``x``: ``y = Ax`` exactly in float64.

    Theorem: none (exact float64 arithmetic on small integers times dyadics).
    Rigor: exact.
    """
    rng = np.random.default_rng([options.seed, 7, attempt])
    A_int = np.rint(rng.standard_normal((m, N)) / math.sqrt(m) * 2**16).astype(np.int64)
    S = sorted(rng.choice(N, s, replace=False).tolist())
    x = np.zeros(N)
    x[S] = rng.integers(1, 4, s) * rng.choice([-1, 1], s)
    y_int = A_int @ x.astype(np.int64)
    A = A_int / 2.0**16
    y = y_int / 2.0**16
    assert np.array_equal(A @ x, y)  # exact: small integers times dyadics
    return A, x, y, S


def recovery_bound(kind: str, C1: Any, C2: Any, s: int, sigma: Any, e: Any, param: float) -> Any:
    """Right-hand side (arb) of the error bound for every minimiser (FR Thm 4.25 + optimality).

    SR-LASSO (seed Theorem 1): ``2C1σ/√s + (C1/(√s λ) + C2)‖e‖``.
    QCBP with ``‖e‖ ≤ η``: ``‖x̂‖₁ ≤ ‖x‖₁`` and ``‖A(x̂ − x)‖ ≤ 2η`` give ``2C1σ/√s + 2C2η``.
    U-LASSO: ``λ(‖x̂‖₁ − ‖x‖₁) ≤ ‖e‖² − ‖Ax̂ − y‖²`` and ``‖A(x̂ − x)‖ ≤ ‖Ax̂ − y‖ + ‖e‖``;
    maximising over ``‖Ax̂ − y‖`` gives
    ``2C1σ/√s + C1‖e‖²/(λ√s) + C2‖e‖ + C2²λ√s/(4C1)``.

    Theorem: Foucart–Rauhut Thm 4.25 under the rNSP; seed Theorem 1 (docs/theory.md §2).
    Rigor: proven (ball arithmetic).
    """
    rs = flint.arb(s).sqrt()
    lead = 2 * C1 * sigma / rs
    p = flint.arb(param)
    if kind == "srlasso":
        return lead + (C1 / (rs * p) + C2) * e
    if kind == "qcbp":
        return lead + 2 * C2 * p
    return lead + C1 * e * e / (p * rs) + C2 * e + C2 * C2 * p * rs / (4 * C1)
