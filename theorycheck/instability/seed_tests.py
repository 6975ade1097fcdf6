"""The seeds' two other tests of a reconstruction network: accuracy and "more samples must not hurt".

* :func:`check_accuracy` (formerly ``accuracy_test``): does ``Ψ`` recover a small detail that
  a stable sparse-regularisation baseline recovers? (a false negative when it does not);
* :func:`check_sampling_monotonicity` (formerly ``sampling_monotonicity_test``): does the
  error of ``Ψ`` grow when the sampling pattern grows?

Both evaluate ``Ψ`` twice on the CPU in float64 with its rounding noise and store what
:func:`verify_accuracy` and :func:`verify_sampling_monotonicity` need (check names
``"accuracy"`` and ``"sampling_monotonicity"``, kept so that saved files still verify).

Theorem: accuracy test and "more samples must not hurt" (docs/theory.md §4; seeds 000, 002).
Rigor: accuracy numerical (the baseline is a numerical solve); sampling certified-float64.
"""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument, TheorycheckError
from theorycheck.instability._common import (
    add_up,
    dist,
    div_down,
    div_up,
    fmt,
    images_arg,
    operator_arg,
    psi_map,
    psi_text,
    sub_down,
    widen,
)
from theorycheck.instability._operators import apply_operator, operator_record, record_text
from theorycheck.instability._witness import WitnessCheck, model_arg, no_witness, reevaluate, result_arg
from theorycheck.nets._adapter_common import NOISE_ALLOWANCE
from theorycheck.numerics.backend import to_numpy
from theorycheck.numerics.rounding import norm2, norm2_bounds, round_down, round_up
from theorycheck.numerics.validation import real_arg
from theorycheck.problems.operators import SubsampledFourier, validated_mask
from theorycheck.problems.programs import Program, SRLasso
from theorycheck.problems.sparsifiers import Wavelet
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, claim_mismatches, register_verifier, verification
from theorycheck.solvers.primal_dual import chambolle_pock
from theorycheck.solvers.solution import Solution

__all__ = ["check_accuracy", "check_sampling_monotonicity", "verify_accuracy", "verify_sampling_monotonicity",
           "accuracy_test", "sampling_monotonicity_test"]


def _default_baseline(A: Any) -> Callable[[np.ndarray], Any]:
    """SR-LASSO (λ = 0.01) with orthonormal wavelets (db4 when the shape allows, else haar,
    else none) solved by Chambolle–Pock to a relative gap of 1e-5 (at most 3000 steps)."""

    shape = tuple(A.in_shape)
    W = None
    for name in ("db4", "haar"):
        try:
            W = Wavelet(shape, name)
            break
        except InvalidArgument:
            continue
    problem = SRLasso(A, 0.01, W=W)
    return lambda y: chambolle_pock(problem, y, tol=1e-5, max_iter=3000)


def _run_baseline(baseline: Any, A: Any, ys: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[str]]:

    if baseline is None:
        fn = _default_baseline(A)
    elif isinstance(baseline, Program):

        fn = lambda y: chambolle_pock(baseline, y, tol=1e-6, max_iter=5000)  # noqa: E731
    elif callable(baseline):
        fn = baseline
    else:
        raise InvalidArgument("baseline must be None, a QCBP/Lasso/SRLasso program, or a callable y -> x")
    outs, notes = [], []
    for y in ys:
        try:
            with np.errstate(all="ignore"):
                r = fn(np.array(y))
        except TheorycheckError:
            raise
        except (ArithmeticError, ValueError, TypeError, IndexError, np.linalg.LinAlgError) as exc:
            raise InvalidArgument(f"the baseline failed on these measurements ({type(exc).__name__}: {exc}): "
                                  "rescale A and the images, or pass another baseline") from exc
        if isinstance(r, Solution):
            notes.append(f"{r.solver}: {r.status}")
            r = r.x
        try:
            arr = np.asarray(to_numpy(r))
        except Exception as exc:  # noqa: BLE001
            raise InvalidArgument(f"the baseline returned {type(r).__name__}, not an array") from exc
        if arr.dtype.kind not in "biufc":
            raise InvalidArgument(f"the baseline returned dtype {arr.dtype}: return numbers")
        if arr.shape != tuple(A.in_shape):
            if arr.size != math.prod(A.in_shape):
                raise InvalidArgument(f"the baseline returned shape {arr.shape}, expected {tuple(A.in_shape)}")
            arr = arr.reshape(A.in_shape)
        outs.append(np.array(arr, dtype=np.complex128 if np.iscomplexobj(arr) else np.float64))
    return outs, notes


def check_accuracy(psi: Any, A: Any, x: Any, detail: Any, *, baseline: Any = None,
                   threshold: float = 0.5) -> CheckResult:
    """Does ``Ψ`` recover a small detail that a stable sparse-regularisation baseline recovers?

    Measures ``x`` and ``x + detail``; the detail recovered by a method ``R``
    is ``R(A(x + detail)) − R(Ax)`` and its relative error is
    ``‖R(A(x + detail)) − R(Ax) − detail‖/‖detail‖``; a method recovers the
    detail when that error is ``≤ threshold``. When the truth is real, the real
    part of complex reconstructions is used.

    Parameters
    ----------
    psi : model, callable or ReconstructionMap
    A : array_like or LinearOperator
    x, detail : array_like
        Image and detail (``A.in_shape``; the detail nonzero), e.g. from
        :func:`~theorycheck.problems.data.detail_image`.
    baseline : callable, Program or None
        ``y ↦ x`` (a :class:`~theorycheck.solvers.solution.Solution` is
        accepted), a QCBP/Lasso/SRLasso program (solved by Chambolle–Pock to a
        relative gap of 1e-6), or None: SR-LASSO (``λ = 0.01``) with
        orthonormal db4/haar wavelets, solved by Chambolle–Pock to a relative
        gap of 1e-5 (at most 3000 steps).
    threshold : float
        Largest relative detail error that counts as recovered.

    Returns
    -------
    CheckResult
        ``accuracy``: ``violated`` when the baseline recovers the detail and
        ``Ψ`` does not (a false negative), ``holds`` when both do,
        ``inconclusive`` when the baseline does not (enlarge the detail) or
        ``Ψ`` is not deterministic. ``values``: the detail errors, the
        reconstruction errors and the baseline's solver status.

    Theorem: accuracy test of docs/theory.md §4 (seeds 000, 002).
    Rigor: numerical (the baseline is a numerical solve; Ψ is evaluated twice
    in float64).
    """
    A = operator_arg(A)
    xv = images_arg(x, A, "x")
    dv = images_arg(detail, A, "detail")
    nd = norm2(dv)
    if nd == 0:
        raise InvalidArgument("detail is zero: pass a nonzero detail (e.g. detail_image)")
    if not math.isfinite(nd) or not math.isfinite(norm2(xv)):
        raise InvalidArgument("x or detail is too large for float64 norms: rescale them")
    threshold = real_arg(threshold, "threshold")
    pm = psi_map(psi, A)
    rec = operator_record(A)
    with np.errstate(over="ignore", invalid="ignore"):
        xd = xv + dv
    if not np.all(np.isfinite(xd)):
        raise InvalidArgument("x + detail overflows float64: rescale them")
    y0, y1 = apply_operator(A, xv), apply_operator(A, xd)
    if y0.dtype != y1.dtype:
        y0, y1 = y0.astype(np.complex128), y1.astype(np.complex128)
    if not (np.all(np.isfinite(y0)) and np.all(np.isfinite(y1))) or not math.isfinite(norm2(y0) + norm2(y1)):
        raise InvalidArgument("A·x overflows float64: rescale A or the images")
    ev = pm.evaluate_float64(np.stack([y0, y1]), noise=True)
    w: dict[str, Any] = {"x": xv, "detail": dv, "y": y0, "y_detail": y1, "operator": rec, "psi": pm.options(),
                         "threshold": threshold, "psi_precision": ev.precision, "psi_status": ev.reason}
    if ev.ok and not ev.reason:
        w.update(psi_y=ev.output[0], psi_y_detail=ev.output[1],
                 psi_noise=np.asarray(ev.noise.noise, dtype=np.float64))
        (b0, b1), notes = _run_baseline(baseline, A, [y0, y1])
        w.update(baseline_y=b0, baseline_y_detail=b1, baseline_status=tuple(notes))
    elif not ev.reason:
        w["psi_status"] = "Ψ's float64 evaluation is not usable"
    return _assemble_accuracy(w)


def _assemble_accuracy(w: Mapping[str, Any]) -> CheckResult:
    theorem = "accuracy test (docs/theory.md §4)"
    wit = Witness("accuracy", dict(w))
    thr = float(w["threshold"])
    base_vals = {"threshold": thr, "psi_precision": str(w["psi_precision"]), "psi": psi_text(w["psi"]),
                 "operator": record_text(w["operator"])}
    if w["psi_status"]:
        return CheckResult("accuracy", Outcome.INCONCLUSIVE, Rigor.NUMERICAL, f"not decided: {w['psi_status']}",
                           base_vals, wit, theorem)
    xv, dv = np.asarray(w["x"]), np.asarray(w["detail"])
    real = not (np.iscomplexobj(xv) or np.iscomplexobj(dv))
    fix = (lambda v: np.real(np.asarray(v))) if real else (lambda v: np.asarray(v))
    p0, p1 = fix(w["psi_y"]), fix(w["psi_y_detail"])
    b0, b1 = fix(w["baseline_y"]), fix(w["baseline_y_detail"])
    nd = norm2(dv)
    with np.errstate(over="ignore", invalid="ignore"):
        err_psi = norm2(p1 - p0 - dv) / nd
        err_base = norm2(b1 - b0 - dv) / nd
        values = {**base_vals, "detail_error_psi": err_psi, "detail_error_baseline": err_base,
                  "detail_norm": nd, "error_psi": norm2(p1 - xv - dv), "error_baseline": norm2(b1 - xv - dv),
                  "baseline_status": tuple(str(s) for s in w["baseline_status"])}
    nu = [float(v) for v in np.asarray(w["psi_noise"])]
    # Ψ's rounding noise moves its detail error by at most this much (relative)
    allow = div_up(add_up(NOISE_ALLOWANCE * nu[0], NOISE_ALLOWANCE * nu[1]), nd)
    values["psi_noise_allowance"] = allow
    psi_ok, base_ok = err_psi <= thr, err_base <= thr
    if not (math.isfinite(err_psi) and math.isfinite(err_base)):
        outcome, msg = Outcome.INCONCLUSIVE, (
            f"not decided: a detail error is not finite (Ψ: {fmt(err_psi, 3)}, baseline: {fmt(err_base, 3)})")

    elif base_ok and not psi_ok:
        outcome, msg = Outcome.VIOLATED, (
            f"false negative: the baseline recovers the detail (relative error {fmt(err_base, 3)}) but Ψ "
            f"does not ({fmt(err_psi, 3)} > {fmt(thr, 3)})")
    elif base_ok:
        outcome, msg = Outcome.HOLDS, (
            f"Ψ recovers the detail (relative error {fmt(err_psi, 3)}; baseline {fmt(err_base, 3)})")
    else:
        outcome, msg = Outcome.INCONCLUSIVE, (
            f"the baseline does not recover the detail either (relative error {fmt(err_base, 3)} > "
            f"{fmt(thr, 3)}; Ψ: {fmt(err_psi, 3)}): use a larger detail or more samples")
    return CheckResult("accuracy", outcome, Rigor.NUMERICAL, msg, values, wit, theorem)


_ACCURACY_KEYS = {"x", "detail", "y", "y_detail", "operator", "psi", "threshold", "psi_precision", "psi_status"}
_ACCURACY_OUT = {"psi_y", "psi_y_detail", "psi_noise", "baseline_y", "baseline_y_detail", "baseline_status"}


@register_verifier("accuracy")
def verify_accuracy(result: CheckResult, psi: Any = None, *, model: Any = None) -> CheckResult:
    """Re-check a saved :func:`check_accuracy` result: measurements, detail errors and verdict.

    Re-derives ``Ax`` and ``A(x + detail)`` (bit for bit), both detail errors,
    the verdict and the message from the stored outputs; with ``model`` also
    re-evaluates ``Ψ`` in float64 (the baseline's outputs are taken from the file).

    Theorem: accuracy test of docs/theory.md §4.
    Rigor: numerical (the saved result's).
    """
    result_arg(result)
    model = model_arg(psi, model)
    name = "verify:accuracy"
    w = result.witness
    if w is None or w.kind != "accuracy":
        return no_witness(name, result, "accuracy")
    d = w.data
    chk = WitnessCheck(d)
    extra = set(d) - _ACCURACY_KEYS - _ACCURACY_OUT
    if extra:
        chk.problems.append(f"witness: unknown field(s) {sorted(extra)}")
    rec, opts = chk.operator(), chk.options()
    x = chk.array("x")
    dv = chk.array("detail", shape=None if x is None else x.shape)
    y, y1 = chk.array("y"), chk.array("y_detail")
    chk.number("threshold", positive=True)
    shp = None if x is None else x.shape
    status, outs = chk.psi_outputs(("psi_y", "psi_y_detail"), shp,
                                   unusable=("baseline_y", "baseline_y_detail", "baseline_status"))
    if status == "":
        chk.array("baseline_y", shape=shp)
        chk.array("baseline_y_detail", shape=shp)
        bs = d.get("baseline_status")
        if not isinstance(bs, tuple) or not all(isinstance(s, str) for s in bs):
            chk.bad("baseline_status", "expected a tuple of strings")
        elif x is not None and dv is not None and norm2(dv) == 0:
            chk.bad("detail", "is zero")
    if rec is not None and x is not None and dv is not None and y is not None and y1 is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            xd = x + dv
        X = np.stack([x, xd]) if x.dtype == xd.dtype else np.stack([x.astype(complex), xd.astype(complex)])
        chk.measurements(rec, X, [y, y1], ["y", "y_detail"])
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed",
                            values={"psi_reevaluated": False})
    problems = claim_mismatches(result, _assemble_accuracy(d))
    reevaluated = False
    if model is not None and status == "" and not problems:
        problems += reevaluate(model, opts, rec, np.stack([d["y"], d["y_detail"]]), outs, d["psi_noise"],
                                ["Ψ(Ax)", "Ψ(A(x + detail))"])
        reevaluated = True
    not_re = ["the baseline's outputs (a numerical solve)"]
    if status == "" and not reevaluated:
        not_re.append("Ψ's outputs (pass model= to re-run the network)")
    if rec is not None and rec.get("kind") == "opaque":
        not_re.append("that y is A·x (the operator is opaque: not stored)")
    return verification(result, problems, rederived="the measurements, both detail errors, the verdict and "
                        "the message" + ("; Ψ re-evaluated within the noise allowance" if reevaluated else ""),
                        not_rechecked="; ".join(not_re), values={"psi_reevaluated": reevaluated})


def check_sampling_monotonicity(psis_or_factory: Any, masks: Sequence[Any], x: Any, *,
                                operator: Callable[[Any], Any] | None = None,
                                tol: float = 0.0) -> CheckResult:
    """More samples must not hurt: does the error of ``Ψ`` decrease as the sampling pattern grows?

    For each mask ``M_k`` (non-decreasing sample counts; nested patterns are
    the intended use) builds ``A_k = operator(M_k)`` and measures the relative
    error ``e_k = ‖Ψ_k(A_k x) − x‖/‖x‖`` (mean over a batch of images); a
    violation is ``e_{k+1} > e_k + tol``, decided beyond rounding (norm
    enclosures and 16 times ``Ψ``'s estimated rounding noise).

    Parameters
    ----------
    psis_or_factory : sequence, model or callable
        One map per mask (a list/tuple); a single torch module or
        :class:`~theorycheck.nets.adapters.ReconstructionMap` used for every
        mask (e.g. ``input="adjoint"``); or a factory ``mask -> Ψ``.
    masks : sequence of boolean arrays
        The sampling patterns, by non-decreasing number of samples.
    x : array_like
        An image or a batch of images (none of them zero).
    operator : callable, optional
        ``mask -> LinearOperator`` (default :class:`~theorycheck.problems.operators.SubsampledFourier`).
    tol : float
        Allowed increase of the relative error.

    Returns
    -------
    CheckResult
        ``sampling_monotonicity``: ``violated`` with the worst increase when
        more samples give a larger error beyond rounding, ``holds`` when no
        error grows by more than ``tol`` beyond rounding, ``inconclusive``
        otherwise; ``values["errors"]`` per mask.

    Theorem: "more samples must not hurt" (docs/theory.md §4; seed 000).
    Rigor: certified-float64 (each Ψ evaluated twice on the CPU in float64, its
    rounding noise allowed for).
    """
    masks = _masks_arg(masks)
    tol = real_arg(tol, "tol", allow_zero=True)
    if operator is not None and not callable(operator):
        raise InvalidArgument("operator must be a callable mask -> LinearOperator")
    operator = operator or SubsampledFourier
    try:
        ops = [operator_arg(operator(mk)) for mk in masks]
    except TheorycheckError:
        raise
    except Exception as exc:  # noqa: BLE001 - a user operator factory
        raise InvalidArgument(f"operator(mask) failed: {exc}") from exc
    psis = _maps_for(psis_or_factory, masks)
    xv = images_arg(x, ops[0], "x", batch=True)
    xb = xv if xv.shape != tuple(ops[0].in_shape) else xv[None]
    if any(norm2(xi) == 0 for xi in xb):
        raise InvalidArgument("x holds a zero image: the relative error is undefined")
    recs, ys, outs, noises, opts, statuses, precisions = [], [], [], [], [], [], []
    for psi, op in zip(psis, ops):
        rec = operator_record(op)
        Y = apply_operator(op, xb)
        if not np.all(np.isfinite(Y)):
            raise InvalidArgument("A·x overflows float64: rescale the images")
        pm = psi_map(psi, op)
        ev = pm.evaluate_float64(Y, noise=True)
        recs.append(rec)
        ys.append(Y)
        opts.append(pm.options())
        precisions.append(ev.precision)
        statuses.append(ev.reason or ("" if ev.ok else "Ψ's float64 evaluation is not usable"))
        if statuses[-1]:
            break
        outs.append(ev.output)
        noises.append(np.asarray(ev.noise.noise, dtype=np.float64))
    w = {"masks": np.stack(masks), "x": xb, "operators": tuple(recs), "y": tuple(ys), "psi": tuple(opts),
         "outputs": tuple(outs), "noise": tuple(noises), "statuses": tuple(statuses),
         "precisions": tuple(precisions), "tol": tol}
    return _assemble_sampling(w)


def _masks_arg(masks: Any) -> list[np.ndarray]:
    """At least two boolean masks of one shape with non-decreasing sample counts."""
    if isinstance(masks, (str, bytes)) or not isinstance(masks, (list, tuple)) and not (
            isinstance(masks, np.ndarray) and masks.ndim >= 2):
        raise InvalidArgument("masks must be a list of boolean arrays (one per sampling pattern)")
    masks = [validated_mask(mk, f"masks[{k}]") for k, mk in enumerate(masks)]
    if len(masks) < 2:
        raise InvalidArgument("pass at least two masks to compare")
    if len({mk.shape for mk in masks}) != 1:
        raise InvalidArgument(f"the masks must share one shape, got {[mk.shape for mk in masks]}")
    counts = [int(mk.sum()) for mk in masks]
    if any(b < a for a, b in zip(counts, counts[1:])):
        raise InvalidArgument(f"masks must have non-decreasing numbers of samples, got {counts}")
    return masks


def _maps_for(psis_or_factory: Any, masks: list[np.ndarray]) -> list[Any]:
    """One map per mask: a list as given, one model for every mask, or a factory called per mask."""
    from theorycheck.nets.adapters import ReconstructionMap  # torch

    if isinstance(psis_or_factory, (list, tuple)):
        if len(psis_or_factory) != len(masks):
            raise InvalidArgument(f"got {len(psis_or_factory)} maps for {len(masks)} masks")
        return list(psis_or_factory)
    if isinstance(psis_or_factory, ReconstructionMap) or _is_module(psis_or_factory):
        return [psis_or_factory] * len(masks)
    if not callable(psis_or_factory):
        raise InvalidArgument("psis_or_factory must be a list of maps, a model, or a factory mask -> Ψ")
    psis = []
    for mk in masks:
        try:
            psis.append(psis_or_factory(mk))
        except TheorycheckError:
            raise
        except Exception as exc:  # noqa: BLE001 - a user factory
            raise InvalidArgument(f"the factory failed on a mask: {exc}") from exc
    return psis


def _is_module(obj: Any) -> bool:
    """Whether ``obj`` is a torch module (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def _rel_error_bounds(out: np.ndarray, xb: np.ndarray, nu: np.ndarray) -> tuple[float, float, float]:
    """Mean relative error over a batch: (value, lower, upper) with Ψ's noise allowed for."""
    vals, los, his = [], [], []
    for o, xi, n in zip(out, xb, nu):
        v, lo, hi = dist(o, xi)
        lo, hi = widen(lo, hi, NOISE_ALLOWANCE * float(n))
        nx, nx_lo, nx_hi = norm2(xi), *norm2_bounds(xi)
        vals.append(v / nx)
        los.append(div_down(lo, nx_hi))
        his.append(div_up(hi, nx_lo))
    B = len(vals)
    return (math.fsum(vals) / B, div_down(round_down(math.fsum(los)), B),
            div_up(round_up(math.fsum(his)), B))


def _assemble_sampling(w: Mapping[str, Any]) -> CheckResult:
    masks = np.asarray(w["masks"])
    counts = tuple(int(mk.sum()) for mk in masks)
    xb = np.asarray(w["x"])
    nested = all(bool(np.all(b[a])) for a, b in zip(masks, masks[1:]))
    tol = float(w["tol"])
    wit = Witness("sampling", dict(w))
    bad = [k for k, s in enumerate(w["statuses"]) if s]
    if bad:
        k = bad[0]
        return CheckResult("sampling_monotonicity", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           f"not decided for the mask with {counts[k]} samples: {w['statuses'][k]}",
                           {"sample_counts": counts, "tol": tol}, wit, "docs/theory.md §4")
    errors, lows, highs = [], [], []
    for out, nu in zip(w["outputs"], w["noise"]):
        out = np.asarray(out)
        if not np.iscomplexobj(xb):
            out = np.real(out)
        v, lo, hi = _rel_error_bounds(out, xb, np.asarray(nu))
        errors.append(v)
        lows.append(lo)
        highs.append(hi)
    K = len(errors)
    grows = [k for k in range(K - 1) if sub_down(lows[k + 1], highs[k]) > tol]
    stays = all(round_up(highs[k + 1] - lows[k]) <= tol for k in range(K - 1))
    values = {"errors": tuple(errors), "error_bounds": tuple(zip(lows, highs)), "sample_counts": counts,
              "nested": nested, "tol": tol, "psi_precision": tuple(str(p) for p in w["precisions"]),
              "psi": tuple(psi_text(o) for o in w["psi"]),
              "operator": tuple(record_text(r) for r in w["operators"])}
    err_txt = ", ".join(f"{c}: {fmt(e, 4)}" for c, e in zip(counts, errors))
    if grows:
        k = max(grows, key=lambda i: errors[i + 1] - errors[i])
        return CheckResult("sampling_monotonicity", Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64,
                           f"more samples hurt: the relative error grows by {fmt(errors[k + 1] - errors[k], 3)} "
                           f"from {counts[k]} to {counts[k + 1]} samples (errors by sample count: {err_txt})",
                           values, wit, "docs/theory.md §4")
    if stays:
        return CheckResult("sampling_monotonicity", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
                           f"the error does not grow with the samples ({err_txt})"
                           + ("" if nested else "; note: the masks are not nested"),
                           values, wit, "docs/theory.md §4")
    return CheckResult("sampling_monotonicity", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                       f"an error change is within the rounding allowance of tol = {fmt(tol, 3)} "
                       f"(errors by sample count: {err_txt})", values, wit, "docs/theory.md §4")


def _mask_records(chk: WitnessCheck, seqs: Mapping[str, tuple], masks: np.ndarray, xb: np.ndarray) -> None:
    """Check the per-mask records of a sampling witness (operator, measurements, Ψ's outputs and noise)."""
    K = masks.shape[0]
    n_ok = sum(1 for s in seqs["statuses"] if s == "")
    lengths = {len(seqs[k]) for k in ("operators", "y", "psi", "statuses", "precisions")}
    if not seqs["statuses"] or len(lengths) != 1 or len(seqs["statuses"]) > K \
            or len(seqs["outputs"]) != len(seqs["noise"]) or len(seqs["outputs"]) != n_ok \
            or (len(seqs["statuses"]) < K and seqs["statuses"][-1] == ""):
        chk.problems.append("witness: the per-mask records do not match the masks")
        return
    counts = [int(mk.sum()) for mk in masks]
    if any(b < a for a, b in zip(counts, counts[1:])):
        chk.bad("masks", f"sample counts {counts} decrease")
    for k, (rec, y, st) in enumerate(zip(seqs["operators"], seqs["y"], seqs["statuses"])):
        sub = WitnessCheck({"operator": rec, "y": y, "psi": seqs["psi"][k], "status": st,
                            "precision": seqs["precisions"][k]}, where=f"witness[mask {k}]")
        r = sub.operator()
        sub.options()
        yk = sub.array("y")
        s = sub.text("status")
        if s == "" and seqs["precisions"][k] != "float64":
            sub.bad("precision", "a certified evaluation must be float64")
        if r is not None and yk is not None:
            sub.measurements(r, xb, list(yk), ["y"] * len(yk))
        if s == "" and k < len(seqs["outputs"]):
            outs = WitnessCheck({"out": seqs["outputs"][k], "noise": seqs["noise"][k]}, where=f"witness[mask {k}]")
            o = outs.array("out", shape=xb.shape)
            if o is not None:
                outs.noise("noise", list(o))
            sub.problems += outs.problems
        chk.problems += sub.problems


@register_verifier("sampling_monotonicity")
def verify_sampling_monotonicity(result: CheckResult, model: Any = None) -> CheckResult:
    """Re-check a saved :func:`check_sampling_monotonicity` result from its witness.

    Re-derives each mask's measurements (bit for bit), every relative error and
    its enclosure, the verdict, rigor and message from the stored outputs and
    noise estimates; with ``model`` (one network for every mask, or a list with
    one per mask) ``Ψ`` is re-evaluated.

    Theorem: "more samples must not hurt" (docs/theory.md §4).
    Rigor: the saved result's (never above it).
    """
    result_arg(result)
    name = "verify:sampling_monotonicity"
    w = result.witness
    if w is None or w.kind != "sampling":
        return no_witness(name, result, "sampling")
    d = w.data
    chk = WitnessCheck(d)
    want = {"masks", "x", "operators", "y", "psi", "outputs", "noise", "statuses", "precisions", "tol"}
    if set(d) != want:
        chk.problems.append(f"witness: fields {sorted(d)}, expected {sorted(want)}")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    masks = chk.array("masks", kinds="b")
    xb = chk.array("x")
    chk.number("tol", minimum=0)
    K = 0 if masks is None else masks.shape[0]
    seqs: dict[str, Any] = {k: d[k] for k in ("operators", "y", "psi", "outputs", "noise", "statuses", "precisions")}
    if masks is not None and (masks.ndim < 2 or K < 2 or not all(bool(mk.any()) for mk in masks)):
        chk.bad("masks", "at least two non-empty masks are required")
    if any(not isinstance(v, tuple) for v in seqs.values()):
        chk.problems.append("witness: operators, y, psi, outputs, noise, statuses and precisions must be tuples")
    elif masks is not None and xb is not None and not chk.problems:
        _mask_records(chk, seqs, masks, xb)
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed",
                            values={"psi_reevaluated": False})
    problems = claim_mismatches(result, _assemble_sampling(d))
    reevaluated = False
    if model is not None and not problems:
        models = list(model) if isinstance(model, (list, tuple)) else [model] * len(seqs["outputs"])
        if len(models) < len(seqs["outputs"]):
            problems.append(f"{len(models)} models for {len(seqs['outputs'])} masks")
        else:
            for k in range(len(seqs["outputs"])):
                out = seqs["outputs"][k]
                problems += [f"mask {k}: {p}" for p in reevaluate(
                    models[k], seqs["psi"][k], seqs["operators"][k], seqs["y"][k], list(out),
                    list(seqs["noise"][k]), [f"Ψ(A x_{b})" for b in range(len(out))])]
            reevaluated = True
    return verification(result, problems, rederived="each mask's measurements, every error and its enclosure, "
                        "the verdict, rigor and message" + ("; Ψ re-evaluated" if reevaluated else ""),
                        not_rechecked="" if reevaluated else "Ψ's outputs (pass model= to re-run the networks)",
                        values={"psi_reevaluated": reevaluated})


def accuracy_test(psi: Any, A: Any, x: Any, detail: Any, *, baseline: Any = None,
                  threshold: float = 0.5) -> CheckResult:
    """Deprecated name of :func:`check_accuracy` (kept for one release; emits ``DeprecationWarning``).

    Theorem: accuracy test of docs/theory.md §4.
    Rigor: as :func:`check_accuracy`.
    """
    warnings.warn("accuracy_test is deprecated; use check_accuracy (same arguments)", DeprecationWarning,
                  stacklevel=2)
    return check_accuracy(psi, A, x, detail, baseline=baseline, threshold=threshold)


def sampling_monotonicity_test(psis_or_factory: Any, masks: Sequence[Any], x: Any, *,
                               operator: Callable[[Any], Any] | None = None,
                               tol: float = 0.0) -> CheckResult:
    """Deprecated name of :func:`check_sampling_monotonicity` (kept for one release; emits
    ``DeprecationWarning``).

    Theorem: "more samples must not hurt" (docs/theory.md §4).
    Rigor: as :func:`check_sampling_monotonicity`.
    """
    warnings.warn("sampling_monotonicity_test is deprecated; use check_sampling_monotonicity (same arguments)",
                  DeprecationWarning, stacklevel=2)
    return check_sampling_monotonicity(psis_or_factory, masks, x, operator=operator, tol=tol)
