"""Certify anyone's answer: is ``x`` the minimiser of the program, provably?

The check has two parts, so that ``theorycheck verify`` can re-prove a saved
result instead of trusting it:

1. a *search* (:func:`certify_solution`): the exact solver looks for a
   certificate (support ``S``, signs ``σ`` or, for complex U-LASSO, a Newton
   centre, and a working precision), starting from ``x``'s own support;
2. a deterministic *assembly* (``_assemble``): from the program, ``x``, ``y``,
   ``tol`` and that certificate it re-proves the minimiser's enclosure in ball
   arithmetic (no search, no BLAS) and computes every bound, the outcome, the
   rigor and the message.

The verifier validates the stored witness and runs (2) on it; every field of
the saved result must then match exactly (floats bit for bit).

Theorem: uniqueness under strict dual feasibility (docs/theory.md §1); the distance
from ``x`` to the certified minimiser's enclosure.
Rigor: proven when a certified minimiser is found (ball arithmetic); otherwise
inconclusive with the reason.
"""

from __future__ import annotations

import hashlib
import numbers
from fractions import Fraction
from typing import Any, Mapping

import flint
import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, SolverError
from theorycheck.numerics.exact import ball_lower, ball_upper, exact_storable, to_arb
from theorycheck.numerics.precision import dps_to_bits, precision
from theorycheck.numerics.rounding import norm2
from theorycheck.numerics.validation import real_arg
from theorycheck.problems import programs
from theorycheck.problems.instances import CertifiedInstance, plant_instance
from theorycheck.problems.operators import MatrixOperator
from theorycheck.problems.programs import Program
from theorycheck.results import (
    CheckResult,
    Outcome,
    Rigor,
    Witness,
    claim_mismatches,
    register_verifier,
    verification,
)
from theorycheck.solvers.exact import MAX_DPS, precision_args, prove_support, solve_exact
from theorycheck.solvers.solution import Solution

__all__ = ["certify_solution", "certificate_result", "distance_to_enclosure",
           "verify_certified_optimality", "build_certified_instance"]

_NAME = "certified_optimality"
_THEOREM = "docs/theory.md §1"
#: largest stored matrix a verifier re-proves (entries of A, and of W)
MAX_VERIFY_ENTRIES = 4_000_000
#: largest precision (decimal digits) a verifier re-proves or re-searches at
MAX_VERIFY_DPS = 4_000
#: largest ``prec_bits · m · N`` a verifier takes on (a bound on its ball arithmetic)
MAX_VERIFY_WORK = 2 * 10 ** 9


def distance_to_enclosure(x: Any, sol: Solution) -> tuple[float, float]:
    """Certified bounds ``(lower, upper)`` on ``‖x − z*‖₂`` for an exact solution's minimiser ``z*``.

    Parameters
    ----------
    x : array_like
        Any point in the signal domain (any numeric dtype, torch tensors, Fractions:
        converted exactly; values float64 cannot hold exactly stay exact rationals).
    sol : Solution
        A ``method="exact"`` solution (``info["z_enclosure"]`` holds the balls).

    Theorem: the balls of ``sol`` contain the exact minimiser.
    Rigor: proven (ball arithmetic at a precision fixed by ``sol``, outward-rounded to float).
    """
    balls = sol.info.get("z_enclosure") if isinstance(sol, Solution) else None
    if balls is None or sol.rigor is not Rigor.PROVEN:
        raise InvalidArgument("distance_to_enclosure needs a proven solution from method='exact'")
    xs = exact_storable(x, "x").reshape(-1)
    if xs.size != len(balls):
        raise InvalidArgument(f"x has {xs.size} entries but the minimiser has {len(balls)}")
    bits = sol.info.get("prec_bits", 53)
    bits = int(bits) if isinstance(bits, numbers.Integral) and 53 <= int(bits) <= dps_to_bits(MAX_DPS) else 53
    cplx_x = xs.dtype.kind == "c"
    # a fixed precision (a function of the certificate): the same bits on every run
    with precision(prec=bits + 64):
        lo2 = flint.arb(0)
        hi2 = flint.arb(0)
        for xi, ball in zip(xs, balls):
            re_x = to_arb(float(xi.real)) if cplx_x else to_arb(xi)
            im_x = to_arb(float(xi.imag)) if cplx_x else flint.arb(0)
            # per coordinate, |x_i − z*_i| lies in [max(0, |x_i − mid| − rad), |x_i − mid| + rad]
            d: Any
            if len(ball) == 3:  # complex: (re, im, radius of the modulus error)
                cmid = flint.acb(flint.arb(ball[0]), flint.arb(ball[1]))
                rad = flint.arb(ball[2])
                d = abs(flint.acb(re_x, im_x) - cmid)
            else:
                mid, rad = flint.arb(ball[0]), flint.arb(ball[1])
                d = abs(re_x - mid)
            lo = d - rad
            lo = flint.arb(lo.lower()) if lo > 0 else flint.arb(0)
            lo2 += lo * lo
            hu = flint.arb((d + rad).upper())
            hi2 += hu * hu
            if len(ball) == 2 and cplx_x and xi.imag != 0:  # a real minimiser: x's imaginary part adds exactly
                lo2 += im_x * im_x
                hi2 += im_x * im_x
        return max(0.0, ball_lower(lo2.sqrt())), ball_upper(hi2.sqrt())


def certify_solution(
    problem: Program,
    y: Any,
    x: Any,
    *,
    tol: float | None = None,
    dps: int = 30,
    max_dps: int = 400,
) -> CheckResult:
    """Prove that ``x`` is (or is not) within ``tol`` of the unique minimiser.

    Parameters
    ----------
    problem : QCBP, Lasso or SRLasso
    y : array_like
        Measurements, shape ``problem.A.out_shape``. Any numeric dtype or torch
        tensor (``requires_grad``, bfloat16, float16, other devices included) is
        converted exactly; values float64 cannot hold (int64 beyond 2^53, long
        double, Fractions like 1/3) are kept as exact rationals. Irrational
        data: use ``solve(..., method="exact", A_exact=...)``.
    x : array_like
        The answer to check (any solver's), shape ``problem.A.in_shape``, taken
        exactly in the same way.
    tol : float, optional
        Accepted distance; default ``1e-6 · max(1, ‖x‖)``.
    dps, max_dps : int
        Working precision range of the exact solver.

    Returns
    -------
    CheckResult
        ``holds`` (proven: ``‖x − z*‖ ≤ tol``), ``violated`` (proven:
        ``‖x − z*‖ > tol``, with the certified lower bound on the distance in
        ``values["distance_lower"]``) or ``inconclusive`` (no certificate; the
        message says why). The witness stores the program, ``x``, ``y``, ``tol``
        and the certificate (support, signs, precision), from which
        ``theorycheck verify`` re-proves every field.

    Raises
    ------
    InvalidArgument
        For NaN/inf, wrong shapes, complex data for a real program, irrational
        data, a bad ``tol`` or precision.

    Theorem: uniqueness of the minimiser under strict dual feasibility (docs/theory.md §1).
    Rigor: proven or inconclusive (never a float-only verdict).

    Examples
    --------
    >>> import numpy as np
    >>> from theorycheck import Lasso
    >>> P = Lasso(np.eye(2), lam=1.0)
    >>> certify_solution(P, np.array([2.0, 0.1]), np.array([1.5, 0.0])).outcome.value
    'holds'
    >>> certify_solution(P, np.array([2.0, 0.1]), np.array([1.0, 0.0])).outcome.value
    'violated'
    """
    if not isinstance(problem, Program):
        raise InvalidArgument(f"problem must be a QCBP, Lasso or SRLasso, got {type(problem).__name__}")
    dps, max_dps = precision_args(dps, max_dps)
    xa, ya = _inputs(problem, x, y)
    if tol is None:
        tol = 1e-6 * max(1.0, norm2(xa))
    tol = real_arg(tol, "tol", allow_zero=True)
    record = _problem_record(problem)
    return _search_and_assemble(record, _rebuild(record), xa, ya, tol, dps, max_dps)


def certificate_result(
    problem: Program,
    y: Any,
    x: Any,
    sol: Solution,
    *,
    tol: float,
    context: Mapping[str, Any] | None = None,
    check: str = _NAME,
) -> CheckResult:
    """The ``certified_optimality`` result for ``x`` from an exact solution found elsewhere.

    For check suites that already hold a proven :class:`Solution` of
    ``(problem, y)``: its certificate (support, signs or Newton centre,
    precision) is re-proven on the stored data, so the result is exactly what
    :func:`certify_solution` would save and ``theorycheck verify`` re-derives
    every field of it.

    Parameters
    ----------
    problem, y, x
        As in :func:`certify_solution`.
    sol : Solution
        A ``method="exact"`` solution of ``(problem, y)`` (used as a hint only).
    tol : float
        Accepted distance.
    context : mapping, optional
        Facts about how ``x`` was obtained (short strings, bools, finite
        floats; e.g. a solver's status): stored in the witness, repeated in
        ``values`` and, when ``context["note"]`` is given, at the end of the message.
    check : str
        The result's check name (its verifier must be this module's).

    Theorem: uniqueness of the minimiser under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (the certificate is re-proven here).
    """
    if not isinstance(problem, Program):
        raise InvalidArgument(f"problem must be a QCBP, Lasso or SRLasso, got {type(problem).__name__}")
    if not isinstance(sol, Solution) or sol.rigor is not Rigor.PROVEN or "prec_bits" not in sol.info:
        raise InvalidArgument("sol must be a proven Solution from method='exact'")
    if check != _NAME:
        raise InvalidArgument(f"check must be {_NAME!r} (the name this module verifies)")
    xa, ya = _inputs(problem, x, y)
    tol = real_arg(tol, "tol", allow_zero=True)
    ctx = _validated_context(context)
    record = _problem_record(problem)
    P = _rebuild(record)
    cert = _certificate_of(sol)
    try:
        return _assemble(record, P, xa, ya, tol, cert, context=ctx)
    except SolverError as exc:
        raise InvalidArgument(f"sol is not a solution of this (problem, y): {exc}") from None


def build_certified_instance(problem: str, rng: np.random.Generator, **kwargs: Any) -> CertifiedInstance | None:
    """A planted instance with its unique minimiser proven in ball arithmetic (None if either step fails).

    Plants ``y = A x + r`` with :func:`theorycheck.problems.instances.plant_instance`
    (``problem`` one of ``"lasso"``, ``"srlasso"``, ``"qcbp"``; ``kwargs`` its
    keyword arguments ``m``, ``N``, ``s``, ``lam``, ``noise``, ...) and proves
    the minimiser with :func:`~theorycheck.solvers.exact.solve_exact` from the
    planted ``x`` (30 to 300 digits). ``None`` when no matrix met the margins
    or the proof failed.

    Theorem: uniqueness of the minimiser under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (``solution.rigor``; the planting itself is only a search step).
    """
    planted = plant_instance(problem, rng, **kwargs)
    if planted is None:
        return None
    try:
        sol = solve_exact(planted.problem, planted.y, candidate=planted.x, dps=30, max_dps=300)
    except (SolverError, InsufficientPrecision, InvalidArgument):
        return None
    return CertifiedInstance(planted.problem, planted.y, sol, planted.params)


# --------------------------------------------------------------------------------------
# assembly: every claim from (program, x, y, tol, certificate)
# --------------------------------------------------------------------------------------

def _certificate_of(sol: Solution) -> dict[str, Any]:
    cert: dict[str, Any] = {"support": tuple(int(j) for j in sol.info["support"]),
                            "prec_bits": int(sol.info["prec_bits"])}
    if "signs" in sol.info:
        cert["signs"] = tuple(int(s) for s in sol.info["signs"])
    else:
        cert["centre"] = tuple(sol.info.get("centre", ()))
    return cert


def _assemble(record: dict[str, Any], P: Program, xa: np.ndarray, ya: np.ndarray, tol: float,
              cert: dict[str, Any], *, sol: Solution | None = None,
              context: dict[str, Any] | None = None) -> CheckResult:
    """Deterministic: re-prove the certificate (unless ``sol`` is its proof) and state every claim."""
    if sol is None:
        sol = prove_support(P, ya.reshape(-1), cert["support"], cert.get("signs"), cert["prec_bits"],
                             centre=cert.get("centre"))
    lo, hi = distance_to_enclosure(xa, sol)
    values: dict[str, Any] = {"distance_lower": lo, "distance_upper": hi, "tol": tol,
                              "support": tuple(int(j) for j in sol.info["support"]),
                              "dual_slack": sol.dual_slack, "prec_bits": int(sol.info["prec_bits"]),
                              "instance": _instance_digest(record, xa, ya, tol)}
    data: dict[str, Any] = {**record, "x": xa, "y": ya, "tol": tol, **cert,
                            "minimiser": np.asarray(sol.x).reshape(xa.shape),
                            "enclosure": sol.info["z_enclosure"]}
    note = ""
    if context:
        data["context"] = dict(context)
        values.update({f"context_{k}": v for k, v in context.items()})
        if context.get("note"):
            note = f", {context['note']}"
    witness = Witness("minimiser", data)
    if hi <= tol:
        return CheckResult(_NAME, Outcome.HOLDS, Rigor.PROVEN,
                           f"x is within {hi:.3g} ≤ tol={tol:.3g} of the unique minimiser{note}",
                           values, witness, _THEOREM)
    if lo > tol:
        return CheckResult(_NAME, Outcome.VIOLATED, Rigor.PROVEN,
                           f"x is at distance ≥ {lo:.3g} > tol={tol:.3g} from the unique minimiser{note}",
                           values, witness, _THEOREM)
    return CheckResult(_NAME, Outcome.INCONCLUSIVE, Rigor.PROVEN,
                       f"the distance to the unique minimiser is in [{lo:.3g}, {hi:.3g}], "
                       f"which straddles tol={tol:.3g}: raise dps or change tol{note}",
                       values, witness, _THEOREM)


def _no_certificate(record, xa, ya, tol, dps, max_dps, reasons) -> CheckResult:
    witness = Witness("answer", {**record, "x": xa, "y": ya, "tol": tol, "dps": dps, "max_dps": max_dps})
    return CheckResult(_NAME, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                       "no certified minimiser: " + "; ".join(reasons),
                       values={"tol": tol, "instance": _instance_digest(record, xa, ya, tol)},
                       witness=witness, theorem=_THEOREM)


def _instance_digest(record: Mapping[str, Any], xa: np.ndarray, ya: np.ndarray, tol: float) -> str:
    """A name for the instance a claim is about: BLAKE2b of the program, ``x``, ``y`` and ``tol``.

    Some edits leave every re-derived number unchanged (a weight off the support,
    an ``x`` moved below the resolution of a huge distance) and turn the file into
    a claim about another instance; the digest names the instance, so such an
    edit is reported instead of silently re-targeting the claim.
    """
    h = hashlib.blake2b(digest_size=16)

    def put(tag: str, v: Any) -> None:
        h.update(tag.encode() + b"\0")
        if isinstance(v, np.ndarray):
            h.update(f"{v.dtype.kind}{v.shape}".encode())
            if v.dtype.kind == "O":
                h.update("|".join(str(Fraction(e)) for e in v.ravel()).encode())
            else:
                h.update(np.ascontiguousarray(v, dtype=v.dtype.newbyteorder("<")).tobytes())
        else:
            h.update(repr(v).encode())
        h.update(b"\0")

    for k in ("program", "A", "param", "weights", "W"):
        if k in record:
            put(k, record[k])
    put("x", xa)
    put("y", ya)
    put("tol", float(tol))
    return h.hexdigest()


def _inputs(problem: Program, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``y`` converted exactly (float64/complex128, or exact rationals), validated."""
    cplx = problem.is_complex
    xa = exact_storable(x, "x", allow_complex=cplx)
    ya = exact_storable(y, "y", allow_complex=cplx)
    for name, arr, shape in (("x", xa, tuple(problem.A.in_shape)), ("y", ya, tuple(problem.A.out_shape))):
        if arr.shape != shape:
            raise InvalidArgument(f"{name} has shape {arr.shape}: pass an array of shape {shape}")
    return xa, ya


def _validated_context(context: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if context is None:
        return None
    if not isinstance(context, Mapping):
        raise InvalidArgument("context must be a mapping of names to short strings, bools or floats")
    out: dict[str, Any] = {}
    for k, v in context.items():
        if not isinstance(k, str) or not k.isidentifier():
            raise InvalidArgument(f"context key {k!r} must be an identifier")
        if isinstance(v, (bool, np.bool_)):
            out[k] = bool(v)
        elif isinstance(v, str) and len(v) <= 500:
            out[k] = v
        elif isinstance(v, (numbers.Real, np.floating)) and np.isfinite(float(v)):
            out[k] = float(v)
        else:
            raise InvalidArgument(f"context[{k!r}] must be a short string, a bool or a finite number")
    return out


def _problem_record(problem: Program) -> dict[str, Any]:
    """What a verifier needs to rebuild the program: kind, dense A, parameter, weights, W."""
    rec = {"program": type(problem).__name__, "A": np.asarray(problem.A.to_dense()),
           "param": float(getattr(problem, "lam", getattr(problem, "eta", 0.0))),
           "weights": np.asarray(problem.weights, dtype=np.float64)}
    if problem.W is not None:
        rec["W"] = np.asarray(problem.W.to_dense())
    return rec


def _rebuild(record: Mapping[str, Any]) -> Program:
    """The program of a record (the check itself runs on it, so a verifier repeats it exactly)."""
    cls = {"Lasso": programs.Lasso, "SRLasso": programs.SRLasso, "QCBP": programs.QCBP}[record["program"]]
    W = MatrixOperator(record["W"]) if "W" in record else None
    return cls(MatrixOperator(record["A"]), record["param"], weights=record["weights"], W=W)


# --------------------------------------------------------------------------------------
# verifier
# --------------------------------------------------------------------------------------

class _Bad(Exception):
    """A witness field that cannot be re-checked (the message names it)."""


def _field_array(w: Mapping[str, Any], key: str, *, kinds: str, ndim: int | None = None) -> np.ndarray:
    v = w.get(key)
    if not isinstance(v, np.ndarray):
        raise _Bad(f"witness[{key!r}] is missing or not an array")
    if v.dtype.kind not in kinds:
        raise _Bad(f"witness[{key!r}] has dtype {v.dtype}, expected one of kinds {kinds!r}")
    if ndim is not None and v.ndim != ndim:
        raise _Bad(f"witness[{key!r}] has {v.ndim} dimension(s), expected {ndim}")
    if v.dtype.kind in "fc" and not np.all(np.isfinite(v)):
        raise _Bad(f"witness[{key!r}] contains NaN or inf")
    if v.dtype.kind == "O" and not all(isinstance(e, (Fraction, int)) and not isinstance(e, bool)
                                       for e in v.ravel()):
        raise _Bad(f"witness[{key!r}] holds entries that are not exact rationals")
    return v


def _witness_inputs(w: Mapping[str, Any]) -> tuple[dict[str, Any], Program, np.ndarray, np.ndarray, float]:
    program = w.get("program")
    if program not in ("Lasso", "SRLasso", "QCBP"):
        raise _Bad(f"witness['program'] = {program!r} is not one of Lasso, SRLasso, QCBP")
    A = _field_array(w, "A", kinds="fc", ndim=2)
    if A.size == 0 or A.size > MAX_VERIFY_ENTRIES:
        raise _Bad(f"witness['A'] has shape {A.shape}: outside 1..{MAX_VERIFY_ENTRIES} entries")
    m, N = A.shape
    K = N  # penalised coefficients: N, or the rows of W
    if "W" in w:
        Wd = _field_array(w, "W", kinds="fc", ndim=2)
        if Wd.shape[1] != N or not 1 <= Wd.size <= MAX_VERIFY_ENTRIES:
            raise _Bad(f"witness['W'] has shape {Wd.shape}: it must act on the {N} columns of A")
        K = Wd.shape[0]
    weights = _field_array(w, "weights", kinds="f", ndim=1)
    if weights.shape != (K,) or not np.all(weights > 0):
        raise _Bad(f"witness['weights'] must hold {K} positive numbers")
    param = w.get("param")
    if isinstance(param, bool) or not isinstance(param, float) or not np.isfinite(param) or param < 0:
        raise _Bad(f"witness['param'] = {param!r} is not a finite float ≥ 0")
    record: dict[str, Any] = {"program": program, "A": A, "param": param, "weights": weights}
    if "W" in w:
        record["W"] = Wd
    try:
        P = _rebuild(record)
    except InvalidArgument as exc:
        raise _Bad(f"witness['program'/'A'/'param'/'weights'/'W'] do not form a program: {exc}") from None
    xa = _field_array(w, "x", kinds="fcO")
    ya = _field_array(w, "y", kinds="fcO")
    if xa.size != N:
        raise _Bad(f"witness['x'] has {xa.size} entries, A has {N} columns")
    if ya.size != m:
        raise _Bad(f"witness['y'] has {ya.size} entries, A has {m} rows")
    if not P.is_complex and (xa.dtype.kind == "c" or ya.dtype.kind == "c"):
        raise _Bad("witness['x'] or witness['y'] is complex but the stored program is real")
    tol = w.get("tol")
    if isinstance(tol, bool) or not isinstance(tol, float) or not np.isfinite(tol) or tol < 0:
        raise _Bad(f"witness['tol'] = {tol!r} is not a finite float ≥ 0")
    return record, P, xa, ya, tol


def _witness_certificate(w: Mapping[str, Any], P: Program) -> dict[str, Any]:
    m = int(np.prod(P.A.out_shape))
    N = P.penalty_size
    S = w.get("support")
    if not isinstance(S, tuple) or not all(isinstance(j, int) and not isinstance(j, bool) for j in S):
        raise _Bad("witness['support'] must be a tuple of integers")
    if len(set(S)) != len(S) or any(j < 0 or j >= N for j in S):
        raise _Bad(f"witness['support'] = {S} has repeated or out-of-range indices (N = {N})")
    if len(S) > min(m, N):
        raise _Bad(f"witness['support'] has {len(S)} indices, more than min(m, N) = {min(m, N)}")
    bits = w.get("prec_bits")
    top = dps_to_bits(MAX_VERIFY_DPS)
    if isinstance(bits, bool) or not isinstance(bits, int) or not dps_to_bits(5) <= bits <= top:
        raise _Bad(f"witness['prec_bits'] = {bits!r} is outside [{dps_to_bits(5)}, {top}]")
    if bits * m * int(np.prod(P.A.in_shape)) > MAX_VERIFY_WORK:
        raise _Bad(f"witness['prec_bits'] = {bits} on a {m}x{int(np.prod(P.A.in_shape))} matrix exceeds "
                   f"the verifier's budget ({MAX_VERIFY_WORK:.0e} bit-entries)")
    cert: dict[str, Any] = {"support": S, "prec_bits": bits}
    if "signs" in w:
        sig = w["signs"]
        if not isinstance(sig, tuple) or len(sig) != len(S) or not all(
                isinstance(s, int) and not isinstance(s, bool) and s in (1, -1) for s in sig):
            raise _Bad("witness['signs'] must hold one sign ±1 per support index")
        cert["signs"] = sig
    elif "centre" in w:
        centre = w["centre"]
        if not isinstance(centre, tuple) or len(centre) != len(S) or not all(
                isinstance(z, flint.acb) and z.is_finite() for z in centre):
            raise _Bad("witness['centre'] must hold one finite complex ball per support index")
        cert["centre"] = centre
    else:
        raise _Bad("the witness has neither 'signs' nor 'centre': no certificate to re-prove")
    return cert


@register_verifier(_NAME)
def verify_certified_optimality(result: CheckResult) -> CheckResult:
    """Re-prove a saved ``certified_optimality`` result from its witness and compare every field.

    The program, ``x``, ``y``, ``tol`` and the certificate (support, signs or
    Newton centre, precision) are validated; the certificate is re-proven in
    ball arithmetic (no search) and the outcome, rigor, message, both distance
    bounds, the slack and the witness's minimiser and enclosure are re-derived
    and compared exactly (floats bit for bit). A result without a certificate
    (inconclusive, numerical) is re-run from scratch. Any difference, or a
    witness field out of range, makes the verification ``violated`` naming it.

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (the re-derived certificate), never above the saved claim.
    """
    w = result.witness
    if not isinstance(w, Witness):  # e.g. a check-suite summary over several instances
        return CheckResult(f"verify:{_NAME}", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           "the saved result has no witness: nothing can be re-checked, so its claim "
                           "is not confirmed", {"problems": ("witness: missing",), "not_rechecked": "everything"})
    try:
        if w.kind == "minimiser":
            record, P, xa, ya, tol = _witness_inputs(w.data)
            cert = _witness_certificate(w.data, P)
            context = w.data.get("context")
            if context is not None:
                try:
                    context = _validated_context(context)
                except InvalidArgument as exc:
                    raise _Bad(f"witness['context']: {exc}") from None
            try:
                derived = _assemble(record, P, xa, ya, tol, cert, context=context)
            except (SolverError, InsufficientPrecision) as exc:
                raise _Bad(f"witness['support'/'signs'/'centre'/'prec_bits']: the stored certificate does "
                           f"not re-prove: {exc}") from None
            what = ("re-certified the minimiser from the stored support, signs and precision; "
                    "re-derived both distance bounds, the slack, the outcome, rigor and message")
        elif w.kind == "answer" and "tol" in w.data:
            record, P, xa, ya, tol = _witness_inputs(w.data)
            dps, max_dps = w.data.get("dps"), w.data.get("max_dps")
            try:
                dps, max_dps = precision_args(dps, max_dps)
            except InvalidArgument as exc:
                raise _Bad(f"witness['dps'/'max_dps']: {exc}") from None
            if max_dps > MAX_VERIFY_DPS:
                raise _Bad(f"witness['max_dps'] = {max_dps} exceeds {MAX_VERIFY_DPS} digits: too costly "
                           "to re-run")
            derived = _search_and_assemble(record, P, xa, ya, tol, dps, max_dps)
            what = "re-ran the search for a certificate and re-derived the outcome and message"
        elif w.kind == "answer" and "minimiser" in w.data:
            return _verify_suite_record(result)
        else:
            raise _Bad(f"witness.kind {w.kind!r} is not one this check writes")
    except _Bad as exc:
        return verification(result, [str(exc)], rederived="nothing (the witness is invalid)")
    except InvalidArgument as exc:
        return verification(result, [f"witness: {exc}"], rederived="nothing (the witness is invalid)")
    return verification(result, claim_mismatches(result, derived), rederived=what)


def _search_and_assemble(record: dict[str, Any], P: Program, xa: np.ndarray, ya: np.ndarray, tol: float,
                         dps: int, max_dps: int) -> CheckResult:
    """Search a certificate (from ``x``'s own support first, then an independent candidate) and assemble."""
    sol, reasons = None, []
    for candidate in (xa.reshape(-1), None):
        try:
            sol = solve_exact(P, ya.reshape(-1), candidate=candidate, dps=dps, max_dps=max_dps)
            break
        except (SolverError, InsufficientPrecision, InvalidArgument) as exc:
            reasons.append(f"{'from x' if candidate is not None else 'from a reference solve'}: {exc}")
    if sol is None:
        return _no_certificate(record, xa, ya, tol, dps, max_dps, reasons)
    return _assemble(record, P, xa, ya, tol, _certificate_of(sol), sol=sol)


def _verify_suite_record(result: CheckResult) -> CheckResult:
    """Results written by the check suite before it stored a certificate (witness kind 'answer').

    The minimiser is re-certified from scratch; the saved bounds must be implied
    by the fresh enclosure (``L ≤ fresh lower`` and ``fresh upper ≤ H``) and the
    outcome and rigor must follow from them and the saved ``tol``. The message
    and the solver-call facts (status, warned) are not re-derivable and are reported as such.
    """
    w = result.witness
    assert isinstance(w, Witness)  # the verifier dispatches here on a witness of kind 'answer'
    problems: list[str] = []
    try:
        data = dict(w.data)
        tol = result.values.get("tol")
        if isinstance(tol, bool) or not isinstance(tol, float) or not np.isfinite(tol) or tol < 0:
            raise _Bad(f"values['tol'] = {tol!r} is not a finite float ≥ 0")
        data["tol"] = tol
        record, P, xa, ya, tol = _witness_inputs(data)
        mini = _field_array(data, "minimiser", kinds="fc")
        fresh = solve_exact(P, ya.reshape(-1), candidate=mini.reshape(-1), dps=60, max_dps=400)
        flo, fhi = distance_to_enclosure(xa, fresh)
    except _Bad as exc:
        return verification(result, [str(exc)], rederived="nothing (the witness is invalid)")
    except (SolverError, InsufficientPrecision, InvalidArgument) as exc:
        return verification(result, [f"the minimiser does not re-certify: {exc}"], rederived="nothing")
    lo, hi = result.values.get("distance_lower"), result.values.get("distance_upper")
    if not isinstance(lo, float) or not isinstance(hi, float):
        problems.append("values['distance_lower'/'distance_upper'] are missing or not floats")
    else:
        # the suite's message templates (only a violation's description of the solver call is free text)
        expected = {
            Outcome.HOLDS: f"the answer is within {hi:.2e} ≤ tol={tol:.2e} of the certified minimiser",
            Outcome.VIOLATED: f"the answer is at distance ≥ {lo:.3g} > tol={tol:.2e} from the unique "
                              "minimiser, ",
            Outcome.INCONCLUSIVE: f"the distance to the minimiser is in [{lo:.3g}, {hi:.3g}], straddling "
                                  f"tol={tol:.2e}",
        }[result.outcome]
        exact = result.outcome is not Outcome.VIOLATED
        if (result.message != expected) if exact else not result.message.startswith(expected):
            problems.append(f"message: saved {result.message[:80]!r}, re-derived {expected!r}"
                            + ("" if exact else " (+ the solver call)"))
        if not lo <= flo:
            problems.append(f"values['distance_lower'] = {lo!r} is not proven (re-certified lower {flo!r})")
        if not fhi <= hi:
            problems.append(f"values['distance_upper'] = {hi!r} is not proven (re-certified upper {fhi!r})")
        outcome = (Outcome.HOLDS if hi <= tol else Outcome.VIOLATED if lo > tol else Outcome.INCONCLUSIVE)
        if result.outcome is not outcome:
            problems.append(f"outcome: saved {result.outcome.value}, the bounds and tol give {outcome.value}")
    if result.rigor is not Rigor.PROVEN:
        problems.append(f"rigor: saved {result.rigor.value}, this check is proven")
    return verification(result, problems, rederived="re-certified the minimiser and checked the saved "
                        "bounds, outcome and rigor against it",
                        not_rechecked="the solver-call facts of this check-suite record (status, "
                                      "warned, shrinking details and a violation's description of the call)")
