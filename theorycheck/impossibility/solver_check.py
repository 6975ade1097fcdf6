"""Run any solver on the impossibility families and report what it achieves (docs/theory.md §6.1).

:func:`check_solver_on_family` runs a solver on the families of
:func:`~theorycheck.impossibility.build_family` and reports the digits it
achieves, the *silent failures* (success reported, error provably beyond the
barrier ``10^{-K}``, or no usable answer at all), the *loud* ones (an
exception, a warning or a failure status: honest, but they prove nothing, so a
solver that fails loudly everywhere does not pass) and where float64 can no
longer represent the input. :func:`verify_solver_on_family` re-derives every
claim of a saved result from its witness (the stored answers and what the
solver reported), rebuilding the family from its bounded parameters: the check
and the verifier both call the deterministic ``_assemble(family, witness)``.

Theorem: docs/theory.md §6.1 (no algorithm reaches 10^{-K} on Ω_K from inexact input).
Rigor: proven (errors decided in ball arithmetic against certified minimisers);
numerical for cells where nothing was checked.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from fractions import Fraction
from typing import Any, Callable, Iterable

import numpy as np

from theorycheck.errors import InvalidArgument, TheorycheckError
from theorycheck.impossibility._balls import neg_log10_lower
from theorycheck.impossibility._common import MAX_FAMILY_MEMBERS, answer_vector
from theorycheck.impossibility.family import Family, Member, build_family
from theorycheck.numerics.parallel import call_back, progress_bar
from theorycheck.numerics.validation import bool_arg, integer_arg
from theorycheck.results import (
    CheckResult,
    Outcome,
    Report,
    Rigor,
    Witness,
    claim_mismatches,
    register_verifier,
    verification,
)
from theorycheck.solvers import METHODS, solve

__all__ = ["check_solver_on_family", "verify_solver_on_family"]

_CHECK = "solver_on_impossibility_family"
_THEOREM = "docs/theory.md §6.1–6.2 (Colbrook–Antun–Hansen 2022)"
#: statuses by which a solver reports success (anything else is a declared failure)
SUCCESS_STATUSES = ("optimal", "returned")
#: largest grid of ``(K, n)`` cells :func:`check_solver_on_family` accepts
MAX_GRID_CELLS = 10_000
_MAX_TEXT = 2_000          # characters kept of one status, warning or exception message
_MAX_WARNINGS = 50         # distinct warnings kept per member
_WITNESS_KEYS = frozenset({"answers", "family", "solver", "status", "warnings", "exceptions",
                           "answer_problems", "time_s"})
_FAMILY_KEYS = frozenset({"K", "n", "problem", "N1", "N2", "s", "lam", "eta", "delta", "dct",
                          "samples", "seed", "strict", "dps"})
#: what each member's answer came to (``values["member_outcomes"]``)
MEMBER_OUTCOMES = ("accurate", "silent_failure", "invalid_answer", "undecided", "loud_failure")


def _solver_callable(solver: Any) -> tuple[Callable, str]:
    if isinstance(solver, str):
        if solver not in METHODS:
            raise InvalidArgument(f"solver={solver!r}: pass a callable solver(problem, y) or one of "
                                  f"{sorted(METHODS)}")
        return (lambda P, y: solve(P, y, method=solver)), solver
    if not callable(solver):
        raise InvalidArgument("solver must be a callable solver(problem, y) -> array or Solution, "
                              "or a method name of theorycheck.solve")
    name = getattr(solver, "__name__", None)
    return solver, (name if isinstance(name, str) else type(solver).__name__)[:200]


def _clip(text: Any) -> str:
    return str(text)[:_MAX_TEXT]


def _run_solver(fn: Callable, member: Member) -> dict[str, Any]:
    """Call the solver on the member's float64 data; record answer, status, warnings, exception, time."""
    rec: dict[str, Any] = {"x": None, "status": "", "warnings": [], "exception": "",
                           "answer_problem": ""}
    N = member.problem.A.shape[1]
    t0 = time.perf_counter()
    out = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(member.problem, member.y_float.copy())
            raised = False
        except Exception as exc:  # noqa: BLE001 - a solver failing loudly is an honest failure
            raised = True
            rec["exception"] = _clip(f"{type(exc).__name__}: {exc}") or "exception"
        if not raised:
            try:
                status = getattr(out, "status", None)
                x = getattr(out, "x", out)
                rec["status"] = _clip(status) if status is not None else "returned"
                rec["x"], rec["answer_problem"] = answer_vector(x, N)
            except Exception as exc:  # noqa: BLE001 - an answer object that breaks when read
                rec["status"] = rec["status"] or "returned"
                rec["x"], rec["answer_problem"] = None, _clip(
                    f"the answer cannot be read ({type(exc).__name__}: {exc})")
        else:
            rec["status"] = "raised"
            rec["answer_problem"] = "no answer (the solver raised)"
    rec["time_s"] = float(time.perf_counter() - t0)
    rec["warnings"] = sorted({_clip(f"{w.category.__name__}: {w.message}") for w in caught})[:_MAX_WARNINGS]
    return rec


def _records_witness(fam: Family, recs: list[dict[str, Any]], solver_name: str) -> Witness:
    cplx = any(r["x"] is not None and np.iscomplexobj(r["x"]) for r in recs)
    # members without a usable answer get a row of zeros (never NaN: an edit must change the bits)
    answers = np.zeros((len(recs), fam.N), dtype=np.complex128 if cplx else np.float64)
    for j, r in enumerate(recs):
        if r["x"] is not None:
            answers[j] = r["x"]
    return Witness("solver_answers", {
        "answers": answers, "family": fam.params, "solver": solver_name,
        "status": [r["status"] for r in recs], "warnings": [list(r["warnings"]) for r in recs],
        "exceptions": [r["exception"] for r in recs],
        "answer_problems": [r["answer_problem"] for r in recs],
        "time_s": [float(r["time_s"]) for r in recs]})


def _assemble(fam: Family, w: Witness) -> CheckResult:
    """Every value, the outcome, rigor and message of a family cell, from the witness alone.

    Deterministic (ball arithmetic and exact rational comparisons with the
    barrier ``10^{-K}``), so :func:`verify_solver_on_family` re-derives the
    saved result bit for bit.
    """
    answers = w["answers"]
    solver_name = w["solver"]
    barrier_q = Fraction(1, 10 ** fam.K)
    N1 = fam.members
    dist_lo: list[float] = []
    dist_hi: list[float] = []
    digits: list[float] = []
    kinds: list[str] = []
    reported = []
    for j in range(1, N1 + 1):
        i = j - 1
        ok = (not w["exceptions"][i] and not w["warnings"][i]
              and w["status"][i] in SUCCESS_STATUSES)
        reported.append(ok)
        if w["answer_problems"][i]:
            dist_lo.append(float("nan"))
            dist_hi.append(float("nan"))
            digits.append(0.0)
            kinds.append("invalid_answer" if ok else "loud_failure")
            continue
        lo, hi = fam.member(j).distance(answers[i])
        dist_lo.append(lo)
        dist_hi.append(hi)
        digits.append(neg_log10_lower(hi))
        if Fraction(hi) <= barrier_q:
            kinds.append("accurate")
        elif not ok:
            kinds.append("loud_failure")
        elif Fraction(lo) > barrier_q:
            kinds.append("silent_failure")
        else:
            kinds.append("undecided")
    pick = lambda kind: [j for j, k in enumerate(kinds, start=1) if k == kind]  # noqa: E731
    silent, invalid, undecided = pick("silent_failure"), pick("invalid_answer"), pick("undecided")
    accurate, loud = pick("accurate"), pick("loud_failure")
    f64 = fam.float64_report
    note = "" if f64["represents"] else f" Float64 cannot represent this input: {f64['reason']}."
    K = fam.K
    rigor = Rigor.PROVEN
    if silent or invalid:
        outcome = Outcome.VIOLATED
        parts = []
        if silent:
            parts.append(f"silent failure on member(s) {silent}: {solver_name} reported success but "
                         f"is ≥ {min(dist_lo[j - 1] for j in silent):.3g} > 10^-{K} from the "
                         "certified minimiser")
        if invalid:
            parts.append(f"invalid answer on member(s) {invalid}: {solver_name} reported success but "
                         f"returned no usable vector ({w['answer_problems'][invalid[0] - 1]})")
        msg = "; ".join(parts) + "." + note
    elif undecided:
        outcome = Outcome.INCONCLUSIVE
        msg = f"the error on member(s) {undecided} straddles the barrier 10^-{K}.{note}"
    elif not accurate:
        outcome, rigor = Outcome.INCONCLUSIVE, Rigor.NUMERICAL
        first = w["exceptions"][0] or (w["warnings"][0][0] if w["warnings"][0] else
                                       f"status {w['status'][0]!r}")
        msg = (f"nothing was checked: {solver_name} reported failure on every member (loud failures, "
               f"not silent ones; member 1: {first[:200]}).{note}")
    else:
        outcome = Outcome.HOLDS
        msg = ((f"{solver_name} is within 10^-{K} on member(s) {accurate} and reports failure on "
                f"member(s) {loud}" if loud else
                f"{solver_name} is within 10^-{K} of every member's minimiser") + "." + note)
    values = {
        "K": K, "n": fam.n, "problem": fam.kind, "family": fam.params,
        "barrier": float(barrier_q),
        "digits": digits, "min_digits": float(min(digits)) if digits else 0.0,
        "distance_lower": dist_lo, "distance_upper": dist_hi,
        "status": list(w["status"]), "warnings": [len(v) for v in w["warnings"]],
        "warning_messages": [list(v) for v in w["warnings"]],
        "errors": list(w["exceptions"]), "answer_problems": list(w["answer_problems"]),
        "time_s": list(w["time_s"]),
        "reported_success": reported, "member_outcomes": kinds,
        "silent_failures": silent, "invalid_answers": invalid, "undecided": undecided,
        "loud_failures": loud, "accurate": accurate,
        "checked_members": len(accurate) + len(silent) + len(invalid) + len(undecided),
        "float64_represents": bool(f64["represents"]), "float64_reason": f64["reason"],
        "jump": fam.jump, "half_jump_lower": fam.half_jump_lower,
    }
    return CheckResult(_CHECK, outcome, rigor, msg, values, w, _THEOREM)


def _grid(values: Any, name: str) -> list[int]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidArgument(f"{name} must be an iterable of integers, got {values!r}")
    out = []
    for v in itertools.islice(values, MAX_GRID_CELLS + 1):
        out.append(integer_arg(v, f"an entry of {name}"))
    if len(out) > MAX_GRID_CELLS:
        raise InvalidArgument(f"{name} has more than {MAX_GRID_CELLS} entries: pass a finite, smaller grid")
    if not out:
        raise InvalidArgument("K_values and n_values must not be empty")
    return out


def check_solver_on_family(solver: Any, family_or_builder: Any = None, *,
                           K_values: Iterable[int] | None = None,
                           n_values: Iterable[int] | None = None,
                           progress: bool = False,
                           callback: Callable[[CheckResult], Any] | None = None) -> Report:
    """Run a solver on impossibility families and report digits, silent failures and float64 limits.

    For every ``(K, n)`` and every member ``j`` the solver gets the member's
    program on float64 data (``solver(member.problem, member.y_float)``); its
    answer is compared with the certified minimiser in ball arithmetic.

    Each member's answer is classified (``values["member_outcomes"]``):

    * ``accurate`` — a usable vector provably within ``10^{-K}`` of the minimiser;
    * ``silent_failure`` — the solver *reported success* (no exception, no
      warning, status ``"optimal"`` or a plain array) yet its answer is
      provably farther than ``10^{-K}``;
    * ``invalid_answer`` — the solver reported success but returned no usable
      vector (NaN/inf, wrong size, a string, a non-numeric or inexactly
      convertible dtype): a silent failure too;
    * ``loud_failure`` — the solver said it failed (raised, warned, or
      returned a status other than ``"optimal"``) and its answer is not
      accurate: an honest failure, not a violation;
    * ``undecided`` — success reported, the error straddles ``10^{-K}``.

    Parameters
    ----------
    solver : callable or str
        ``solver(problem, y) -> array or Solution`` (a ``Solution``'s ``status``
        is read), or a method name of :func:`theorycheck.solve`.
    family_or_builder : Family or callable, optional
        A :class:`Family` (its construction parameters are reused for every
        ``(K, n)``) or ``builder(K, n) -> Family``; default :func:`build_family`.
    K_values, n_values : iterable of int, optional
        The grid (default: the given family's ``K`` and ``n``; required
        otherwise; at most :data:`MAX_GRID_CELLS` entries each).
    progress : bool
        Show a progress bar (tqdm).
    callback : callable, optional
        ``callback(result)`` after each ``(K, n)``.

    Returns
    -------
    Report
        One ``solver_on_impossibility_family`` result per ``(K, n)``:
        ``violated [proven]`` when some member is a silent failure or an
        invalid answer; ``inconclusive [proven]`` when an error straddles the
        barrier; ``inconclusive [numerical]`` when *nothing was checked* (the
        solver failed loudly on every member — honest, but it proves nothing
        about the solver); ``holds [proven]`` when at least one member is
        accurate and every other one is a loud failure. When some cell checked
        nothing the report is ``strict`` (inconclusive cells fail it), so
        ``Report.passed`` is False: a solver that answers nothing cannot pass.
        ``values``: ``digits`` per member (a certified lower bound on
        ``−log10`` of the error; 0 without an answer), distances, statuses,
        warnings, exceptions, the member outcomes, ``float64_represents``
        (False where float64 can no longer tell the members apart) and the
        certified ``jump``. The witness stores every answer and what the
        solver reported, so :func:`verify_solver_on_family` re-derives all of it.

    Theorem: docs/theory.md §6.1 (no algorithm reaches 10^{-K} on Ω_K from inexact input).
    Rigor: proven (errors decided in ball arithmetic against certified minimisers,
    compared exactly with 10^{-K}); numerical for cells where nothing was checked.
    """
    fn, name = _solver_callable(solver)
    progress = bool_arg(progress, "progress")
    if callback is not None and not callable(callback):
        raise InvalidArgument("callback must be callable (it receives each cell's result)")
    builder, K_values, n_values = _builder(family_or_builder, K_values, n_values)
    Ks = _grid(K_values, "K_values")
    ns = _grid(n_values, "n_values")
    if len(Ks) * len(ns) > MAX_GRID_CELLS:
        raise InvalidArgument(f"the grid has {len(Ks) * len(ns)} cells, more than {MAX_GRID_CELLS}")
    bar = progress_bar(len(Ks) * len(ns), progress, "check_solver_on_family")
    results = []
    try:
        for K, n in itertools.product(Ks, ns):
            res = _run_cell(fn, name, builder(K, n))
            results.append(res)
            call_back(callback, res)
            bar.update(1)
    finally:
        bar.close()
    nothing = any(r.values.get("checked_members", 1) == 0 for r in results)
    return Report(results, title=f"{name} on impossibility families (docs/theory.md §6)", strict=nothing)


def _builder(family_or_builder: Any, K_values: Any, n_values: Any) -> tuple[Callable[[int, int], Any], Any, Any]:
    """``builder(K, n)`` and the grid: a family's own ``(K, n)`` and parameters, a callable, or build_family."""
    if isinstance(family_or_builder, Family):
        fam0 = family_or_builder
        base = fam0.params
        K_values = [base["K"]] if K_values is None else K_values
        n_values = [base["n"]] if n_values is None else n_values

        def builder(K: int, n: int) -> Family:
            if (K, n) == (base["K"], base["n"]):
                return fam0
            kw = {k: v for k, v in base.items() if k not in ("K", "n", "dps")}
            return build_family(K, n, **kw)
    elif family_or_builder is None:
        builder = build_family
    elif callable(family_or_builder):
        builder = family_or_builder
    else:
        raise InvalidArgument("family_or_builder must be a Family, a callable builder(K, n), or None")
    if K_values is None or n_values is None:
        raise InvalidArgument("pass K_values= and n_values= (the grid of (K, n) to test)")
    return builder, K_values, n_values


def _run_cell(fn: Callable, solver_name: str, fam: Any) -> CheckResult:
    """The solver on every member of one family, assembled into the cell's result."""
    if not isinstance(fam, Family):
        raise InvalidArgument("the builder must return a Family (see build_family)")
    recs = [_run_solver(fn, fam.member(j)) for j in range(1, fam.members + 1)]
    return _assemble(fam, _records_witness(fam, recs, solver_name))


def _witness_problems(w: Any) -> list[str]:
    """Shape and type checks of a saved family witness (before any work)."""
    if not isinstance(w, Witness):
        return ["witness: missing (nothing to re-check)"]
    if w.kind != "solver_answers":
        return [f"witness.kind: expected 'solver_answers', got {w.kind!r}"]
    keys = set(w.data)
    if keys != _WITNESS_KEYS:
        out = []
        if _WITNESS_KEYS - keys:
            out.append(f"witness: missing field(s) {sorted(_WITNESS_KEYS - keys)}")
        if keys - _WITNESS_KEYS:
            out.append(f"witness: unknown field(s) {sorted(keys - _WITNESS_KEYS)}")
        return out
    out = []
    fam = w["family"]
    if not isinstance(fam, dict) or set(fam) != _FAMILY_KEYS:
        return ["witness.family: expected the parameters of build_family "
                f"({', '.join(sorted(_FAMILY_KEYS))})"]
    for k, v in fam.items():
        if not (v is None or isinstance(v, (bool, int, float, str))):
            out.append(f"witness.family[{k!r}]: a {type(v).__name__} is not a parameter value")
        if isinstance(v, str) and len(v) > 20:
            out.append(f"witness.family[{k!r}]: string too long")
    if not isinstance(w["solver"], str) or len(w["solver"]) > 200:
        out.append("witness.solver: expected a solver name (a string of at most 200 characters)")
    N1 = fam.get("N1")
    if not isinstance(N1, int) or isinstance(N1, bool) or not 2 <= N1 <= MAX_FAMILY_MEMBERS:
        out.append(f"witness.family['N1']: expected an integer in [2, {MAX_FAMILY_MEMBERS}]")
        return out
    for key in ("status", "exceptions", "answer_problems"):
        v = w[key]
        if not isinstance(v, (list, tuple)) or len(v) != N1 or not all(
                isinstance(t, str) and len(t) <= _MAX_TEXT for t in v):
            out.append(f"witness.{key}: expected {N1} strings (one per member)")
    v = w["warnings"]
    if not isinstance(v, (list, tuple)) or len(v) != N1 or not all(
            isinstance(ws, (list, tuple)) and len(ws) <= _MAX_WARNINGS
            and all(isinstance(t, str) and len(t) <= _MAX_TEXT for t in ws) for ws in v):
        out.append(f"witness.warnings: expected {N1} lists of warning messages")
    v = w["time_s"]
    if not isinstance(v, (list, tuple)) or len(v) != N1 or not all(
            isinstance(t, float) and math.isfinite(t) and t >= 0 for t in v):
        out.append(f"witness.time_s: expected {N1} finite non-negative times")
    a = w["answers"]
    if not isinstance(a, np.ndarray) or a.dtype not in (np.dtype(np.float64), np.dtype(np.complex128)):
        out.append("witness.answers: expected a float64 or complex128 array")
    elif isinstance(fam.get("N2"), int) and a.shape != (N1, N1 + fam["N2"]):
        out.append(f"witness.answers: shape {a.shape}, the family needs ({N1}, {N1 + fam['N2']})")
    elif not out:
        for i in range(N1):
            bad = w["answer_problems"][i]
            row = a[i]
            if not bad and not np.all(np.isfinite(row)):
                out.append(f"witness.answers[{i}]: not finite, yet stored as a usable answer")
            if bad and np.any(row != 0):
                out.append(f"witness.answers[{i}]: nonzero for a member without a usable answer")
            if not bad and w["status"][i] == "raised":
                out.append(f"witness.status[{i}]: 'raised' with a usable answer")
            if bool(w["exceptions"][i]) != (w["status"][i] == "raised"):
                out.append(f"witness.exceptions[{i}]: inconsistent with status {w['status'][i]!r}")
    return out


@register_verifier(_CHECK)
def verify_solver_on_family(result: CheckResult) -> CheckResult:
    """Re-check a saved :func:`check_solver_on_family` result from its witness.

    Validates the witness (field set, types, lengths, bounded family
    parameters: absurd sizes or precisions are refused before any work),
    rebuilds the family deterministically from the stored parameters
    (which must be exactly the rebuilt family's parameters), re-certifies the
    minimisers and re-derives every value, the outcome, the rigor and the
    message from the stored answers and what the solver reported; every field
    must agree exactly with the file (:func:`~theorycheck.results.claim_mismatches`).
    The solver itself is not re-run: its answers, statuses, warnings,
    exceptions and times are the witness.

    Theorem: docs/theory.md §6.1–6.2.
    Rigor: proven (the saved result's rigor, re-derived).
    """
    if not isinstance(result, CheckResult):
        raise InvalidArgument(f"verify_solver_on_family takes a CheckResult, got {type(result).__name__}")
    w = result.witness
    problems = _witness_problems(w)
    if not problems and isinstance(w, Witness):  # (a missing witness is a problem already)
        params = dict(w["family"])
        try:
            fam = build_family(**params)
        except TheorycheckError as exc:
            problems.append(f"witness.family: the stored parameters are refused: {exc}")
        else:
            if not _same(params, fam.params):
                problems.append("witness.family: not the canonical parameters of the family they "
                                f"build ({fam.params})")
            else:
                try:
                    derived = _assemble(fam, w)
                except TheorycheckError as exc:
                    problems.append(f"witness: cannot be re-evaluated: {exc}")
                else:
                    problems.extend(claim_mismatches(result, derived))
    return verification(result, problems, rederived=(
        "family rebuilt from its parameters, minimisers re-certified, every distance, digit, "
        "member outcome, value, the outcome, rigor and message re-derived from the stored answers"),
        not_rechecked="the solver is not re-run: its answers, statuses, warnings and times are the witness")


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        type(a[k]) is type(b[k]) and (a[k] == b[k]) for k in a)
