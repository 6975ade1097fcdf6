"""Random noise: how often noise of a given norm makes ``Ψ`` err by more than a threshold.

:func:`check_random_noise` (formerly ``random_noise_instability``) draws noise vectors
uniformly on a sphere of the measurement space, reports the fraction of draws whose error
exceeds a threshold with a Clopper–Pearson interval, and certifies the worst draw in float64
("instabilities are not rare": one certified draw above the threshold proves a positive
probability, by continuity of ``Ψ``). :func:`verify_noise_instability` re-checks a saved
result (check name ``"random_noise_instability"``, kept so that saved files still verify).

Theorem: universal instability theorem, "not rare" (docs/theory.md §3; seed 004).
Rigor: certified-float64 for the worst draw; the interval is statistical.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any, Mapping

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.instability._common import (
    THEOREM,
    add_up,
    dist,
    fmt,
    images_arg,
    operator_arg,
    psi_map,
    psi_text,
    random_directions,
    row_norms,
    seed_int,
    sub_down,
)
from theorycheck.instability._operators import apply_operator, operator_record, record_text
from theorycheck.instability._witness import WitnessCheck, model_arg, no_witness, reevaluate, result_arg
from theorycheck.nets._adapter_common import NOISE_ALLOWANCE
from theorycheck.numerics.parallel import progress_bar
from theorycheck.numerics.rounding import norm2
from theorycheck.numerics.statistics import clopper_pearson
from theorycheck.numerics.validation import (
    bool_arg,
    choice_arg,
    integer_arg,
    probability_arg,
    real_arg,
    refuse_size,
)
from theorycheck.results import (
    CheckResult,
    Outcome,
    Rigor,
    Witness,
    claim_mismatches,
    register_result,
    register_verifier,
    verification,
)

__all__ = ["NoiseInstabilityResult", "check_random_noise", "random_noise_instability", "verify_noise_instability"]


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class NoiseInstabilityResult(CheckResult):
    """How often random noise of a given norm makes ``Ψ`` err by more than a threshold.

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s)
    ----------------------------------------------------------------
    probability : float
        Fraction of draws with error ``> threshold``.
    interval : tuple of float
        Clopper–Pearson interval for the probability at ``values["confidence"]``.
    trials, exceedances : int
    worst_error : float
        The worst draw's error ``‖Ψ(y + e) − ref‖``, re-evaluated on the CPU in float64.

    Theorem: universal instability theorem, "not rare" (docs/theory.md §3).
    Rigor: certified-float64 for the worst draw (one certified draw above the
    threshold proves a positive probability, by continuity of ``Ψ``); the
    interval is statistical.
    """

    probability: float = math.nan
    interval: tuple = (math.nan, math.nan)
    trials: int = 0
    exceedances: int = 0
    worst_error: float = math.nan

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "interval", tuple(self.interval))


def check_random_noise(psi: Any, A: Any, x: Any, *, noise_norm: float, trials: int = 100,
                       threshold: float, seed: Any = None, reference: str = "prediction",
                       confidence: float = 0.95, batch_size: int = 64, device: Any = None,
                       dtype: Any = None, progress: bool = False) -> NoiseInstabilityResult:
    """Probability that random noise of norm ``noise_norm`` makes ``Ψ`` err by more than ``threshold``.

    Draws ``trials`` noise vectors ``e`` uniformly on the sphere ``‖e‖ = noise_norm``
    of the measurement space (complex when the measurements are), evaluates
    ``error(e) = ‖Ψ(y + e) − ref‖`` (``y = Ax``) with ``ref = Ψ(y)``
    (``reference="prediction"``) or ``x`` (``"truth"``), and reports the fraction
    above ``threshold`` with a Clopper–Pearson interval. The worst draw is
    re-evaluated twice on the CPU in float64 with its rounding noise estimated:
    if its error exceeds the threshold by more than 16 times that noise, the set of
    such noise vectors is open and non-empty (``Ψ`` continuous), so the
    probability is positive — certified.

    Parameters
    ----------
    psi : model, callable or ReconstructionMap
    A : array_like or LinearOperator
    x : array_like
        One image (``A.in_shape``).
    noise_norm : float
        ``‖e‖ > 0``.
    trials : int
        Number of draws.
    threshold : float
        Error level (absolute, same units as ``x``).
    seed : int, numpy.random.Generator or None
        Source of the draws (same seed, same draws; the value used is stored).
    reference : {"prediction", "truth"}
    confidence : float
        Level of the two-sided Clopper–Pearson interval, in (0, 1).
    batch_size : int
        Draws per model call.
    device, dtype
        Where and at which real precision torch models evaluate the draws
        (default: the model's own); the worst draw is always re-evaluated in
        float64 on the CPU.
    progress : bool
        Show a tqdm bar.

    Returns
    -------
    NoiseInstabilityResult
        ``holds`` when a draw exceeds the threshold and its float64 re-evaluation
        confirms it beyond rounding; ``inconclusive`` otherwise (also when any
        draw's error is not finite).

    Theorem: universal instability theorem, "not rare" (docs/theory.md §3; seed 004).
    Rigor: certified-float64 for the positive-probability claim (worst draw, Ψ in
    float64 on the CPU with its rounding noise allowed for); the interval is a
    statistical (Clopper–Pearson) confidence interval from the draws' errors.
    """

    A = operator_arg(A)
    xv = images_arg(x, A, "x")
    noise_norm = real_arg(noise_norm, "noise_norm")
    threshold = real_arg(threshold, "threshold", allow_zero=True)
    trials = integer_arg(trials, "trials")
    batch_size = integer_arg(batch_size, "batch_size")
    reference = choice_arg(reference, "reference", ("prediction", "truth"))
    confidence = probability_arg(confidence, "confidence")
    progress = bool_arg(progress, "progress")
    refuse_size(float(trials) * A.shape[0], 2 ** 31, "the random draws",
                "lower trials (the work is trials × the measurement size)")
    seed = seed_int(seed)
    pm = psi_map(psi, A)
    rec = operator_record(A)
    y0 = apply_operator(A, xv[None])[0]
    if not np.all(np.isfinite(y0)):
        raise InvalidArgument("A·x overflows float64: rescale A or x")
    if not math.isfinite(noise_norm * 2.0) or not math.isfinite(norm2(y0) + noise_norm):
        raise InvalidArgument(f"noise_norm={noise_norm!r} is too large for float64 measurements")
    ref = pm.evaluate_batch(y0[None], dtype=dtype, device=device)[0] if reference == "prediction" else xv
    draws = _Draws(pm, y0, ref, noise_norm, dtype, device)
    errors, worst, worst_e = draws.run(trials, batch_size, seed, progress)
    err1, batch_ok = draws.alone(worst_e, worst)
    y_noisy = y0 + worst_e
    ev = pm.evaluate_float64(np.stack([y0, y_noisy]), noise=True, noise_scale=noise_norm,
                             noise_segments=[(0, 1)])
    w: dict[str, Any] = {
        "x": xv, "y": y0, "e": worst_e, "y_noisy": y_noisy, "operator": rec, "psi": pm.options(),
        "noise_norm": noise_norm, "threshold": threshold, "confidence": confidence, "reference": reference,
        "trials": trials, "seed": seed, "batch_size": batch_size, "errors": errors,
        "batch_consistent": batch_ok, "worst_alone": err1 if math.isfinite(err1) else math.inf,
        "worst_in_batch": worst if math.isfinite(worst) else -math.inf,
        "psi_precision": ev.precision, "psi_status": ev.reason}
    if ev.ok and not ev.reason:
        w.update(psi_y=ev.output[0], psi_y_noisy=ev.output[1],
                 psi_noise=np.asarray(ev.noise.noise, dtype=np.float64))
    elif not ev.reason:
        w["psi_status"] = "Ψ's float64 evaluation is not usable"
    return _assemble_noise(w)


class _Draws:
    """The random draws ``e`` (uniform on the sphere ``‖e‖ = noise_norm``) and their errors."""

    def __init__(self, pm: Any, y0: np.ndarray, ref: np.ndarray, noise_norm: float, dtype: Any,
                 device: Any) -> None:
        self.pm, self.y0, self.ref, self.noise_norm = pm, y0, ref, noise_norm
        self.dtype, self.device = dtype, device

    def errors(self, e: np.ndarray) -> np.ndarray:
        """``‖Ψ(y + e_k) − ref‖`` for a batch of draws (one model call)."""
        out = self.pm.evaluate_batch(self.y0[None] + e, dtype=self.dtype, device=self.device)
        with np.errstate(over="ignore", invalid="ignore"):
            return row_norms(out - self.ref[None])

    def run(self, trials: int, batch_size: int, seed: int, progress: bool) -> tuple[np.ndarray, float, np.ndarray]:
        """Every draw's error, the worst finite error and its draw (batches of ``batch_size``)."""
        rng = np.random.default_rng(seed)
        cplx = bool(np.iscomplexobj(self.y0))
        errors = np.empty(trials)
        worst_e, worst = None, -math.inf
        bar = progress_bar(trials, progress, "check_random_noise")
        try:
            for s in range(0, trials, batch_size):
                k = min(batch_size, trials - s)
                e = self.noise_norm * random_directions(rng, k, self.y0.shape, cplx)
                err = self.errors(e)
                errors[s:s + k] = err
                fin = np.where(np.isfinite(err), err, -np.inf)
                i = int(np.argmax(fin))
                if worst_e is None or fin[i] > worst:
                    worst, worst_e = float(fin[i]), e[i].copy()
                bar.update(k)
        finally:
            bar.close()
        assert worst_e is not None  # trials ≥ 1
        return errors, worst, worst_e

    def alone(self, worst_e: np.ndarray, worst: float) -> tuple[float, bool]:
        """The worst draw's error evaluated alone, and whether it matches its batch's: the draws ran
        in batches, and a Ψ that depends on the batch composition makes the interval describe
        another map."""
        err1 = float(self.errors(worst_e[None])[0])
        ok = bool(np.isfinite(err1) and math.isfinite(worst)
                  and abs(err1 - worst) <= 1e-4 * (abs(worst) + float(row_norms(self.ref[None])[0])) + 1e-300)
        return err1, ok


def _assemble_noise(w: Mapping[str, Any]) -> NoiseInstabilityResult:
    errors = np.asarray(w["errors"], dtype=np.float64)
    thr, conf, ref_kind = float(w["threshold"]), float(w["confidence"]), w["reference"]
    trials = int(errors.size)
    with np.errstate(invalid="ignore"):
        exceed = int(np.sum(errors > thr))
    finite = bool(np.all(np.isfinite(errors)))
    prob = exceed / trials
    lo, hi = clopper_pearson(exceed, trials, conf)
    batch_ok = bool(w["batch_consistent"])
    values = {"noise_norm": float(w["noise_norm"]), "threshold": thr, "confidence": conf,
              "reference": ref_kind, "errors": errors, "seed": int(w["seed"]), "batch_size": int(w["batch_size"]),
              "worst_alone": float(w["worst_alone"]), "worst_in_batch": float(w["worst_in_batch"]),
              "interval_rigor": ("statistical (Clopper–Pearson)" if batch_ok else
                                 "unreliable: Ψ's outputs depend on the batch (pass batch_size=1)"),
              "psi_precision": str(w["psi_precision"]), "psi": psi_text(w["psi"]),
              "operator": record_text(w["operator"]), "worst_noise_norm": norm2(np.asarray(w["y_noisy"]) -
                                                                                 np.asarray(w["y"]))}
    txt = (f"{exceed}/{trials} random perturbations of norm {fmt(w['noise_norm'], 3)} give an error above "
           f"{fmt(thr, 3)} (probability {fmt(prob, 3)}, {conf:.0%} interval [{fmt(lo, 3)}, {fmt(hi, 3)}])")
    if not batch_ok:
        txt += (f" [the worst draw evaluated alone gives error {fmt(w['worst_alone'], 4)}, in its batch "
                f"{fmt(w['worst_in_batch'], 4)}: Ψ depends on the batch, the interval is unreliable; pass "
                "batch_size=1]")
    if not finite:
        txt += " [some draws gave a non-finite error: nothing is certified]"
    wit = Witness("noise", dict(w))
    kw: dict[str, Any] = dict(probability=prob, interval=(lo, hi), trials=trials, exceedances=exceed)
    if w["psi_status"]:
        return NoiseInstabilityResult(
            "random_noise_instability", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
            f"worst draw not certified: {w['psi_status']}; {txt}", values, wit, THEOREM,
            worst_error=float(w["worst_in_batch"]), **kw)
    x = np.asarray(w["x"])
    p0, p1 = np.asarray(w["psi_y"]), np.asarray(w["psi_y_noisy"])
    nu = [float(v) for v in np.asarray(w["psi_noise"])]
    ref64 = p0 if ref_kind == "prediction" else x
    werr, werr_lo, _ = dist(p1, ref64)
    allow = add_up(NOISE_ALLOWANCE * nu[1], NOISE_ALLOWANCE * nu[0] if ref_kind == "prediction" else 0.0)
    werr_lo_n = sub_down(werr_lo, allow)
    values["worst_error_lower"] = max(0.0, werr_lo_n)
    values["noise_allowance"] = allow
    certified = exceed > 0 and finite and werr_lo_n > thr
    if certified:
        return NoiseInstabilityResult(
            "random_noise_instability", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
            txt + f"; worst draw certified: error {fmt(werr, 4)} > {fmt(thr, 3)} beyond Ψ's rounding "
            "noise, so the probability is positive", values, wit, THEOREM, worst_error=werr, **kw)
    why = ""
    if exceed > 0 and finite:
        why = (f"; the worst draw re-evaluated in float64 gives {fmt(werr, 4)}, not above the threshold by "
               f"more than Ψ's rounding allowance {fmt(allow, 3)}")
    return NoiseInstabilityResult(
        "random_noise_instability", Outcome.INCONCLUSIVE, Rigor.NUMERICAL, txt + why, values, wit, THEOREM,
        worst_error=werr, **kw)


_NOISE_KEYS = {"x", "y", "e", "y_noisy", "operator", "psi", "noise_norm", "threshold", "confidence",
               "reference", "trials", "seed", "batch_size", "errors", "batch_consistent", "worst_alone",
               "worst_in_batch", "psi_precision", "psi_status"}


def random_noise_instability(psi: Any, A: Any, x: Any, *, noise_norm: float, trials: int = 100,
                             threshold: float, seed: Any = None, reference: str = "prediction",
                             confidence: float = 0.95, batch_size: int = 64, device: Any = None,
                             dtype: Any = None, progress: bool = False) -> NoiseInstabilityResult:
    """Deprecated name of :func:`check_random_noise` (kept for one release; emits ``DeprecationWarning``).

    Theorem: universal instability theorem, "not rare" (docs/theory.md §3).
    Rigor: as :func:`check_random_noise`.
    """
    warnings.warn("random_noise_instability is deprecated; use check_random_noise (same arguments)",
                  DeprecationWarning, stacklevel=2)
    return check_random_noise(psi, A, x, noise_norm=noise_norm, trials=trials, threshold=threshold, seed=seed,
                              reference=reference, confidence=confidence, batch_size=batch_size, device=device,
                              dtype=dtype, progress=progress)


@register_verifier("random_noise_instability")
def verify_noise_instability(result: CheckResult, psi: Any = None, *, model: Any = None) -> CheckResult:
    """Re-check a saved :func:`check_random_noise` result from its witness.

    Validates the witness, re-derives ``y = Ax`` (bit for bit) and ``y + e``, the
    exceedance count, probability and Clopper–Pearson interval from the stored
    per-draw errors, and the worst draw's error, margin, outcome, rigor and
    message from its stored ``Ψ`` outputs and noise estimates; with ``model`` the
    worst draw is re-evaluated (the per-draw errors are statistical evidence
    and are taken from the file).

    Theorem: universal instability theorem, "not rare" (docs/theory.md §3).
    Rigor: the saved result's (never above it).
    """
    result_arg(result)
    model = model_arg(psi, model)
    name = "verify:random_noise_instability"
    w = result.witness
    if not isinstance(result, NoiseInstabilityResult) or w is None or w.kind != "noise":
        return no_witness(name, result, "noise")
    d = w.data
    chk = WitnessCheck(d)
    extra = set(d) - _NOISE_KEYS - {"psi_y", "psi_y_noisy", "psi_noise"}
    if extra:
        chk.problems.append(f"witness: unknown field(s) {sorted(extra)}")
    rec, opts = chk.operator(), chk.options()
    x, y = chk.array("x"), chk.array("y")
    e = chk.array("e", shape=None if y is None else y.shape)
    yn = chk.array("y_noisy", shape=None if y is None else y.shape)
    nn = chk.number("noise_norm", positive=True)
    chk.number("threshold", minimum=0)
    conf = chk.number("confidence", positive=True, maximum=1.0)
    if conf is not None and not conf < 1:
        chk.bad("confidence", "must be below 1")
    chk.text("reference", ("prediction", "truth"))
    trials = chk.number("trials", minimum=1, integer=True, maximum=2 ** 27)
    chk.number("seed", minimum=0, integer=True)
    chk.number("batch_size", minimum=1, integer=True)
    errors = chk.array("errors", kinds="f", finite=False, ndim=1)
    if errors is not None and trials is not None and errors.size != trials:
        chk.bad("errors", f"{errors.size} errors for {trials} trials")
    if not isinstance(d.get("batch_consistent"), bool):
        chk.bad("batch_consistent", "expected a bool")
    for k in ("worst_alone", "worst_in_batch"):
        if isinstance(d.get(k), bool) or not isinstance(d.get(k), float):
            chk.bad(k, "expected a float")
    status, outs = chk.psi_outputs(("psi_y", "psi_y_noisy"), None if x is None else x.shape)
    if rec is not None and x is not None and y is not None and e is not None and yn is not None:
        chk.measurements(rec, x[None], [y], ["y"])
        with np.errstate(over="ignore", invalid="ignore"):
            if not np.array_equal(yn, y + e) or yn.dtype != (y + e).dtype:
                chk.bad("y_noisy", "is not y + e")
        if nn is not None and not abs(norm2(e) - nn) <= 1e-12 * nn:
            chk.bad("e", f"its norm {norm2(e)!r} is not the stated noise_norm {nn!r}")
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed",
                            values={"psi_reevaluated": False})
    problems = claim_mismatches(result, _assemble_noise(d))
    reevaluated = False
    if model is not None and status == "" and not problems:
        problems += reevaluate(model, opts, rec, np.stack([d["y"], d["y_noisy"]]), outs, d["psi_noise"],
                                ["Ψ(Ax)", "Ψ(Ax + e)"], scale=float(d["noise_norm"]), segments=[(0, 1)])
        reevaluated = True
    not_re = ["the per-draw errors (statistical evidence of the interval)"]
    if status == "" and not reevaluated:
        not_re.append("the worst draw's Ψ outputs and noise estimates (pass model= to re-run the network)")
    if rec is not None and rec.get("kind") == "opaque":
        not_re.append("that y is A·x (the operator is opaque: not stored)")
    return verification(result, problems,
                        rederived="the measurements, the count, probability and interval, the worst draw's "
                                  "error and margin, the outcome, rigor and message"
                                  + ("; Ψ re-evaluated within the noise allowance" if reevaluated else ""),
                        not_rechecked="; ".join(not_re), values={"psi_reevaluated": reevaluated})
