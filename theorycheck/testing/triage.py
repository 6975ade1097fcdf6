"""Triage of a solver's answer against a certified minimiser: objective gap, dual slack and a ``kind``.

Every check of :func:`theorycheck.testing.check_solver` that compares an answer
``x̂`` with a proven unique minimiser ``x*`` returns the record built here
(:func:`judge`). It is the ``certified_optimality`` certificate of
:mod:`theorycheck.solvers.certify` (proven distance bounds, the minimiser's
enclosure, the dual slack), extended by

* the **certified objective suboptimality** ``f(x̂) − f(x*)``, absolute and
  relative to the instance's scale ``f_ref`` (U-LASSO ``f(0) = ‖y‖²``,
  SR-LASSO ``f(0) = ‖y‖``, QCBP ``‖x*‖_{1,w}``, or ``‖y‖/max_j ‖a_j‖/w_j`` when
  ``x* = 0``), both bounds rounded outward (ball arithmetic at a fixed
  precision); for QCBP also the **constraint excess** ``‖Ax̂ − y‖ − η``
  (relative to ``‖y‖``), since an infeasible answer can have a smaller
  ℓ1 norm than the minimiser;
* the **accuracy allowed**: ``max(accuracy_relative · f_ref, accuracy_absolute)``
  (see :func:`resolve_accuracy`);
* a **kind** (:data:`KINDS`): ``"silent-wrong-answer"`` (the objective gap, or
  the QCBP constraint excess, is certified above the accuracy allowed and the
  solver reported success), ``"reported-failure"`` (the same, but the solver
  warned or reported a non-optimal status), ``"within-tolerance"`` (the
  distance exceeds ``tol`` but the gap is certified within the accuracy: the
  instance's conditioning, not a bug), ``"crash"`` (no answer at all);
  ``"accurate"`` and ``"undecided"`` for the others.

Verdicts depend on the tier. ``core``: violated exactly when the answer is
certified beyond the accuracy allowed (the distance is reported as evidence).
``stress``: violated when the distance is certified above ``tol`` — how far a
solver gets on hard instances, with the kind saying whether the failure is a
wrong answer or the instance's conditioning.

:func:`verify_kit_record` re-derives every field of a saved record from its
witness (the certificate is re-proven by
:func:`theorycheck.solvers.certify.certificate_result`, the triage recomputed).

Theorem: uniqueness under strict dual feasibility (docs/theory.md §1); the objective
values of the answer and of the certified minimiser.
Rigor: proven (ball arithmetic, outward rounding).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping

import flint
import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, SolverError
from theorycheck.numerics.exact import ball_lower, ball_upper, to_arb
from theorycheck.numerics.precision import dps_to_bits, precision
from theorycheck.problems.programs import QCBP, Lasso, SRLasso
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, claim_mismatches, verification
from theorycheck.solvers.certify import (
    MAX_VERIFY_DPS,
    MAX_VERIFY_ENTRIES,
    MAX_VERIFY_WORK,
    certificate_result,
)
from theorycheck.solvers.solution import Solution

__all__ = ["KINDS", "FAILING_KINDS", "TIERS", "DEFAULT_ACCURACY", "Accuracy", "resolve_accuracy",
           "objective_triage", "judge_answer", "crash_values", "verify_kit_record"]

#: every value of ``values["kind"]``; the first four are the kinds of a failed check
KINDS: tuple[str, ...] = ("silent-wrong-answer", "reported-failure", "within-tolerance", "crash",
                          "accurate", "undecided")
#: the kinds a failing result can carry
FAILING_KINDS: tuple[str, ...] = KINDS[:4]
#: the tiers of :func:`~theorycheck.testing.check_solver`
TIERS: tuple[str, ...] = ("core", "stress")

_PROGRAMS = {"Lasso": Lasso, "SRLasso": SRLasso, "QCBP": QCBP}
_OK_STATUS = ("not reported", "optimal")


@dataclasses.dataclass(frozen=True)
class Accuracy:
    """The objective accuracy a check allows: ``max(relative · f_ref, absolute)``.

    ``source`` says where it came from (``"default"``, ``"user"`` or the
    solver's declared stopping rule).

    Theorem: none (a setting).
    Rigor: not applicable.
    """

    relative: float
    absolute: float = 0.0
    source: str = "default"

    def describe(self) -> str:
        """``"1e-08 relative"`` or ``"max(1e-08 relative, 1e-08 absolute)"``, with the source."""
        text = f"{self.relative:g} relative"
        if self.absolute:
            text = f"max({text}, {self.absolute:g} absolute)"
        return f"{text}, {self.source}"


#: the default accuracy, used when neither the user nor the solver sets one: ``1e-6`` relative,
#: the loosest default duality-gap tolerance of the interior-point solvers (CVXOPT's
#: ``reltol = 1e-6``; CLARABEL and ECOS stop at ``1e-8``, yet the objectives of CLARABEL's answers,
#: measured by the solver zoo, lie up to ``3·10^-8`` above the minimum: the gap of the conic
#: reformulation plus its feasibility residual). At ``1e-8`` most core failures of the zoo's first run were
#: answers within the solvers' own stopping rules (solver-zoo/report.md); solvers with a looser
#: documented rule declare it (the adapters' ``accuracy``), users set ``accuracy=``.
DEFAULT_ACCURACY = Accuracy(1e-6, 0.0, "default")


def _nonneg(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise InvalidArgument(f"{name} must be a number ≥ 0, got {v!r}")
    f = float(v)
    if not math.isfinite(f) or f < 0:
        raise InvalidArgument(f"{name} must be finite and ≥ 0, got {v!r}")
    return f


def resolve_accuracy(accuracy: Any, solver: Any = None) -> Accuracy:
    """The accuracy a check allows: the user's, else the solver's declared one, else the default.

    ``accuracy`` is ``None``, a relative accuracy (float), a pair
    ``(relative, absolute)`` or an :class:`Accuracy`. With ``None`` the
    solver's attribute ``accuracy`` (set by the adapters of
    :mod:`theorycheck.testing.adapters` from the package's documented
    stopping rule, e.g. scikit-learn's duality gap ``≤ tol·‖y‖²``, i.e.
    ``2·tol`` relative in theorycheck's scaling) is used, and otherwise
    :data:`DEFAULT_ACCURACY` (``1e-6`` relative).

    Theorem: none (a setting).
    Rigor: not applicable.
    """
    if accuracy is None:
        declared = getattr(solver, "accuracy", None)
        if declared is None:
            return DEFAULT_ACCURACY
        acc = resolve_accuracy(declared)
        return dataclasses.replace(acc, source="the solver's stopping rule")
    if isinstance(accuracy, Accuracy):
        return accuracy
    if isinstance(accuracy, (tuple, list)):
        if len(accuracy) != 2:
            raise InvalidArgument("accuracy must be a number or a pair (relative, absolute)")
        return Accuracy(_nonneg(accuracy[0], "accuracy[0] (relative)"),
                        _nonneg(accuracy[1], "accuracy[1] (absolute)"), "user")
    return Accuracy(_nonneg(accuracy, "accuracy"), 0.0, "user")


# --------------------------------------------------------------------------------------
# the objective triage (deterministic: a function of the witness)
# --------------------------------------------------------------------------------------

def _arb_vec(a: np.ndarray) -> list[Any]:
    return [to_arb(float(v)) for v in np.ravel(a)]


def _enclosure_balls(enclosure: Any) -> list[Any]:
    out = []
    for ball in enclosure:
        if len(ball) != 2:
            raise InvalidArgument("the kit's triage needs a real minimiser enclosure")
        out.append(flint.arb(flint.arb(ball[0]), flint.arb(ball[1]).upper()))
    return out


def _sqrt_nonneg(b: Any) -> Any:
    """``√b`` for a ball ``b`` enclosing a value known to be ≥ 0 (a squared norm).

    A squared residual near 0 (an answer that interpolates ``y``) has a ball
    that straddles 0, whose square root is NaN in arb; the value itself is
    ``≥ 0``, so the ball ``[0, √upper(b)]`` encloses its square root.
    """
    if b > 0:
        return b.sqrt()
    s = ball_upper(flint.arb(max(ball_upper(b), 0.0)).sqrt())
    return flint.arb(s / 2, s / 2)  # [0, s]: s/2 is exact in binary


def _objective_parts(A: Any, y: list[Any], z: list[Any], w: list[Any]) -> tuple[Any, Any]:
    """(‖z‖_{1,w}, ‖Az − y‖²) in balls."""
    l1 = sum((wj * abs(zj) for wj, zj in zip(w, z)), flint.arb(0))
    sq = flint.arb(0)
    for i, row in enumerate(A):
        r = sum((a * zj for a, zj in zip(row, z) if not a.is_zero()), flint.arb(0)) - y[i]
        sq += r * r
    return l1, sq


def _f_ref(program: str, A: Any, y: list[Any], w: list[Any], l1_star: Any, param: Any) -> Any:
    ysq = sum((v * v for v in y), flint.arb(0))
    if program == "Lasso":
        return ysq
    if program == "SRLasso":
        return ysq.sqrt()
    if l1_star > 0:
        return l1_star
    cols = [sum((A[i][j] * A[i][j] for i in range(len(A))), flint.arb(0)).sqrt() / w[j]
            for j in range(len(w))]
    top = max((ball_upper(c) for c in cols), default=0.0)
    return _sqrt_nonneg(ysq) / flint.arb(top) if top > 0 else flint.arb(1)


def objective_triage(data: Mapping[str, Any], accuracy: Accuracy) -> dict[str, Any]:
    """Certified objective gap (and QCBP constraint excess) of ``data["x"]`` against the enclosure.

    ``data`` is the witness of a ``certified_optimality`` record (``program``,
    ``A``, ``y``, ``param``, ``weights``, ``x``, ``enclosure``, ``prec_bits``).
    Ball arithmetic at ``prec_bits + 64`` bits: the same bits on every machine.
    Returns the values (floats rounded outward) and the two decisions
    ``beyond`` (certified above the accuracy allowed) and ``within``
    (certified within it).

    Theorem: ``f(x*) ∈ f(enclosure)`` (interval extension of the objective).
    Rigor: proven (outward rounding).
    """
    program = data["program"]
    bits = int(data["prec_bits"]) + 64
    with precision(prec=bits):
        A = [[to_arb(float(v)) for v in row] for row in np.asarray(data["A"], dtype=float)]
        y = _arb_vec(np.asarray(data["y"], dtype=float))
        w = _arb_vec(np.asarray(data["weights"], dtype=float))
        x = _arb_vec(np.asarray(data["x"], dtype=float))
        zs = _enclosure_balls(data["enclosure"])
        p = to_arb(float(data["param"]))
        l1x, sqx = _objective_parts(A, y, x, w)
        l1s, sqs = _objective_parts(A, y, zs, w)
        if program == "Lasso":
            fx, fs = p * l1x + sqx, p * l1s + sqs
        elif program == "SRLasso":
            fx, fs = p * l1x + _sqrt_nonneg(sqx), p * l1s + _sqrt_nonneg(sqs)
        else:
            fx, fs = l1x, l1s
        gap = fx - fs
        ref = _f_ref(program, A, y, w, l1s, p)
        allowed = flint.arb(max(ball_upper(ref) * accuracy.relative, accuracy.absolute))
        out: dict[str, Any] = {
            "objective_gap_lower": ball_lower(gap), "objective_gap": ball_upper(gap),
            "objective_gap_relative_lower": ball_lower(gap / ref) if ref > 0 else -math.inf,
            "objective_gap_relative": ball_upper(gap / ref) if ref > 0 else math.inf,
            "objective_scale": ball_upper(ref), "allowed_gap": ball_upper(allowed),
        }
        beyond = bool(gap > allowed)
        within = bool(gap <= allowed)
        if program == "QCBP":
            ynorm = sum((v * v for v in y), flint.arb(0)).sqrt()
            excess = _sqrt_nonneg(sqx) - p
            allowed_ex = flint.arb(max(ball_upper(ynorm) * accuracy.relative, accuracy.absolute))
            out.update({"constraint_excess_lower": ball_lower(excess), "constraint_excess": ball_upper(excess),
                        "allowed_excess": ball_upper(allowed_ex)})
            beyond = beyond or bool(excess > allowed_ex)
            within = within and bool(excess <= allowed_ex)
    out["beyond"], out["within"] = beyond, within
    return out


# --------------------------------------------------------------------------------------
# the record
# --------------------------------------------------------------------------------------

def _kind(beyond: bool, within: bool, far: bool, claims_success: bool) -> str:
    if beyond:
        return "silent-wrong-answer" if claims_success else "reported-failure"
    if within:
        return "within-tolerance" if far else "accurate"
    return "undecided"


def _gap_text(t: Mapping[str, Any]) -> str:
    text = (f"f(x̂) − f(x*) ∈ [{t['objective_gap_lower']:.3g}, {t['objective_gap']:.3g}] "
            f"(relative ≤ {t['objective_gap_relative']:.3g}; allowed {t['allowed_gap']:.3g})")
    if "constraint_excess" in t:
        text += (f", ‖Ax̂ − y‖ − η ∈ [{t['constraint_excess_lower']:.3g}, {t['constraint_excess']:.3g}] "
                 f"(allowed {t['allowed_excess']:.3g})")
    return text


_KIND_TEXT = {
    "silent-wrong-answer": "silent wrong answer: the solver reported success and issued no warning, yet its "
                           "objective is certified above the accuracy allowed",
    "reported-failure": "reported failure: the answer is certified above the accuracy allowed and the "
                        "solver said so",
    "within-tolerance": "within tolerance: the answer is far from the minimiser but its objective is "
                        "within the accuracy allowed (the instance's conditioning, not a wrong answer)",
    "accurate": "accurate",
    "undecided": "undecided: the objective gap straddles the accuracy allowed",
}


def _assemble(check: str, inner: CheckResult) -> CheckResult:
    """Deterministic: the kit record from the re-provable certificate ``inner`` and its context."""
    data = inner.witness.data if inner.witness is not None else {}
    ctx = data.get("context") or {}
    tier = ctx.get("tier", "core")
    acc = Accuracy(float(ctx.get("accuracy_relative", DEFAULT_ACCURACY.relative)),
                   float(ctx.get("accuracy_absolute", 0.0)), str(ctx.get("accuracy_source", "default")))
    t = objective_triage(data, acc)
    far = inner.outcome is Outcome.VIOLATED
    claims = (not ctx.get("warned", False)) and ctx.get("status", "not reported") in _OK_STATUS
    kind = _kind(t["beyond"], t["within"], far, claims)
    lo, hi = inner["distance_lower"], inner["distance_upper"]
    if tier == "core":
        outcome = (Outcome.VIOLATED if t["beyond"] else Outcome.HOLDS if t["within"] else Outcome.INCONCLUSIVE)
    else:
        outcome = inner.outcome
    values = {k: v for k, v in inner.values.items()}
    values.update({k: v for k, v in t.items() if k not in ("beyond", "within")})
    values.update({"kind": kind, "tier": tier, "dual_slack": float(inner["dual_slack"]),
                   "accuracy_relative": acc.relative, "accuracy_absolute": acc.absolute})
    dist = (f"distance to the certified unique minimiser ≥ {lo:.3g}" if far
            else f"distance to the certified unique minimiser ≤ {hi:.3g}" if inner.outcome is Outcome.HOLDS
            else f"distance to the certified unique minimiser in [{lo:.3g}, {hi:.3g}]")
    note = ctx.get("note", "")
    msg = (f"{_KIND_TEXT[kind]}; {_gap_text(t)}; {dist} (tol {inner['tol']:.3g}); "
           f"dual slack ≥ {values['dual_slack']:.2g}; accuracy {acc.describe()}"
           + (f"; {note}" if note else ""))
    return CheckResult(check, outcome, Rigor.PROVEN, msg, values, inner.witness, inner.theorem)


def judge_answer(check: str, problem: Any, y: np.ndarray, x: np.ndarray, sol: Solution, *, tol: float,
                 accuracy: Accuracy, tier: str, context: Mapping[str, Any]) -> CheckResult:
    """The kit record for answer ``x`` of ``(problem, y)`` against the proven solution ``sol``.

    ``context`` holds the facts of the call (``status``, ``warned``, ``note``,
    and short facts of the check); the tier and the accuracy are added to it,
    so that :func:`verify_kit_record` re-derives every field.

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven.
    """
    ctx = {**context, "tier": tier, "accuracy_relative": accuracy.relative,
           "accuracy_absolute": accuracy.absolute, "accuracy_source": accuracy.source}
    inner = certificate_result(problem, y, x, sol, tol=tol, context=ctx)
    return _assemble(check, inner)


def crash_values(reason: str) -> dict[str, Any]:
    """The values of a check whose solver gave no answer: ``kind="crash"`` and no objective gap.

    Theorem: none.
    Rigor: not applicable.
    """
    return {"reason": reason, "kind": "crash", "objective_gap": None, "dual_slack": None}


# --------------------------------------------------------------------------------------
# the verifier
# --------------------------------------------------------------------------------------

class _Bad(Exception):
    """A witness field that cannot be re-checked (the message names it)."""


def _int_tuple(v: Any, name: str) -> tuple[int, ...]:
    if not isinstance(v, tuple) or not all(isinstance(j, int) and not isinstance(j, bool) for j in v):
        raise _Bad(f"witness[{name!r}] must be a tuple of integers")
    return v


def _hint(data: Mapping[str, Any], m: int, N: int) -> Solution:
    """A proven-solution hint from the stored certificate (support, signs, precision), validated."""
    S = _int_tuple(data.get("support"), "support")
    if len(set(S)) != len(S) or any(j < 0 or j >= N for j in S) or len(S) > min(m, N):
        raise _Bad(f"witness['support'] = {S} has repeated, out-of-range or too many indices (N = {N})")
    sig = _int_tuple(data.get("signs"), "signs")
    if len(sig) != len(S) or any(s not in (1, -1) for s in sig):
        raise _Bad("witness['signs'] must hold one sign ±1 per support index")
    bits = data.get("prec_bits")
    if isinstance(bits, bool) or not isinstance(bits, int) or not dps_to_bits(5) <= bits <= dps_to_bits(MAX_VERIFY_DPS):
        raise _Bad(f"witness['prec_bits'] = {bits!r} is out of range")
    if bits * m * N > MAX_VERIFY_WORK:
        raise _Bad(f"witness['prec_bits'] = {bits} on a {m}x{N} matrix exceeds the verifier's budget")
    return Solution(x=np.zeros(N), status="optimal", rigor=Rigor.PROVEN,
                    info={"support": S, "signs": sig, "prec_bits": bits})


def _rederive(result: CheckResult) -> CheckResult:
    w = result.witness
    if not isinstance(w, Witness) or w.kind != "minimiser":
        raise _Bad("the saved result has no 'minimiser' witness")
    data = w.data
    if "W" in data or "centre" in data:
        raise _Bad("witness['W'/'centre']: the kit's records are real programs without a sparsifier")
    cls = _PROGRAMS.get(data.get("program"))  # type: ignore[arg-type]
    if cls is None:
        raise _Bad(f"witness['program'] = {data.get('program')!r} is not Lasso, SRLasso or QCBP")
    arrays = {}
    for key in ("A", "y", "x", "weights"):
        v = data.get(key)
        if not isinstance(v, np.ndarray) or v.dtype != np.float64 or not np.all(np.isfinite(v)):
            raise _Bad(f"witness[{key!r}] must be a finite float64 array")
        arrays[key] = v
    A = arrays["A"]
    if A.ndim != 2 or not 1 <= A.size <= MAX_VERIFY_ENTRIES:
        raise _Bad(f"witness['A'] has shape {A.shape}")
    m, N = A.shape
    if arrays["weights"].shape != (N,) or not np.all(arrays["weights"] > 0):
        raise _Bad(f"witness['weights'] must hold {N} positive numbers")
    checked: dict[str, float] = {}
    for name in ("param", "tol"):
        v = data.get(name)
        if isinstance(v, bool) or not isinstance(v, float) or not math.isfinite(v) or v < 0:
            raise _Bad(f"witness[{name!r}] = {v!r} is not a finite float ≥ 0")
        checked[name] = v
    param, tol = checked["param"], checked["tol"]
    ctx = data.get("context")
    if not isinstance(ctx, Mapping) or ctx.get("tier") not in TIERS:
        raise _Bad("witness['context'] must hold the tier ('core' or 'stress')")
    for key in ("accuracy_relative", "accuracy_absolute"):
        v = ctx.get(key)
        if not isinstance(v, float) or not math.isfinite(v) or v < 0:
            raise _Bad(f"witness['context'][{key!r}] = {v!r} is not a finite float ≥ 0")
    w_arg = None if np.all(arrays["weights"] == 1) else arrays["weights"]
    try:
        P = cls(A, param, weights=w_arg)
        hint = _hint(data, m, N)
        inner = certificate_result(P, arrays["y"], arrays["x"], hint, tol=tol, context=ctx)
    except (InvalidArgument, SolverError, InsufficientPrecision) as exc:
        raise _Bad(f"witness: the stored certificate does not re-prove: {exc}") from None
    return _assemble(result.check, inner)


def verify_kit_record(result: CheckResult) -> CheckResult:
    """Re-derive every field of a saved kit record (a check of :mod:`theorycheck.testing` against a minimiser).

    The program, data, answer, ``tol``, the stored certificate (support,
    signs, precision) and the context (tier, accuracy, the call's facts) are
    validated; the certificate is re-proven in ball arithmetic by
    :func:`theorycheck.solvers.certify.certificate_result`, the objective
    triage recomputed, and outcome, rigor, message, every value and the
    witness compared exactly. The solver call's facts in the context
    (status, warned, note) are taken from the file (they cannot be re-observed).

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (the re-derived certificate), never above the saved claim.
    """
    try:
        derived = _rederive(result)
    except _Bad as exc:
        return verification(result, [str(exc)], rederived="nothing (the witness is invalid)")
    return verification(result, claim_mismatches(result, derived),
                        rederived="re-proved the minimiser from the stored certificate; re-derived the "
                                  "distance bounds, objective gap, kind, outcome, rigor and message",
                        not_rechecked="the solver call's facts (status, warnings, how it was found)")
