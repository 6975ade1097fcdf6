"""Re-running ``Ψ`` for the verifiers of robustness curves and hallucinations (``verify(..., model=...)``).

A saved curve or hallucination stores the inputs ``y₀ + e`` it evaluated ``Ψ`` at, the float64
outputs and their rounding-noise estimates. Given the network, :func:`fresh_outputs` re-evaluates
``Ψ`` (rebuilt from the stored adapter options) twice in float64 at those inputs, and
:func:`output_problems` holds each stored output to the promise of a certified-float64 claim: within
``NOISE_ALLOWANCE`` times its noise estimate of the model's output, with neither noise estimate more
than ``NOISE_ALLOWANCE`` times the other (an understated estimate would widen nothing, an overstated
one would let stored outputs drift). :func:`curve_value_problems` then compares every value a curve
re-derives from the fresh outputs with the saved one, within what the certified output difference
can change it by (exactly when the re-run reproduces the stored bits).

Theorem: infrastructure for the verifiers of docs/theory.md §3 (b) and §4.
Rigor: float64 re-evaluation; the value tolerances are triangle-inequality bounds (relative ℓ2,
PSNR, certified lower bounds, means and standard deviations) except SSIM's (an absolute 1e-6,
numerical).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument, TheorycheckError
from theorycheck.instability._common import dist, div_down
from theorycheck.instability._operators import record_op
from theorycheck.instability._witness import WitnessCheck
from theorycheck.nets._adapter_common import NOISE_ALLOWANCE, map_options_problems, output_rounding_floor
from theorycheck.numerics.rounding import norm2, norm2_bounds, round_down
from theorycheck.results import claim_mismatches

#: absolute tolerance of SSIM re-derived from outputs that differ within the noise allowance (numerical)
SSIM_TOL = 1e-6
#: relative slack for the float64 rounding of the re-derived statistics themselves
_SLACK = 1e-12


def fresh_outputs(model: Any, opts: Mapping[str, Any], rec: Mapping[str, Any], Y: np.ndarray, *,
                  scale: Any = None, segments: Any = None) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """``Ψ`` rebuilt from ``model`` and the stored options, evaluated twice in float64 at ``Y`` with its
    rounding noise: ``(outputs, noise, "")``, or ``(None, None, why)`` when that is not possible."""
    from theorycheck.nets.adapters import ReconstructionMap  # torch

    op = record_op(rec)
    if op is None:
        return None, None, "cannot re-evaluate Ψ: the operator is opaque (not stored in the file)"
    try:
        pm = ReconstructionMap.from_options(model, dict(opts), op)
        ev = pm.evaluate_float64(np.asarray(Y), noise=True, noise_scale=scale, noise_segments=segments)
    except (TheorycheckError, RuntimeError, TypeError, ValueError) as exc:  # a model that does not fit the file
        return None, None, f"re-evaluating Ψ with the given model failed: {type(exc).__name__}: {exc}"[:600]
    if not ev.ok or ev.reason or ev.noise is None:
        return None, None, f"re-evaluating Ψ with the given model: {ev.reason or 'not usable'}"
    return np.asarray(ev.output), np.asarray(ev.noise.noise, dtype=np.float64), ""


def output_problems(fresh: np.ndarray, fresh_noise: np.ndarray, stored: Any, stored_noise: np.ndarray,
                    names: Sequence[str]) -> list[str]:
    """Each stored output within ``NOISE_ALLOWANCE`` times its noise estimate of the model's float64
    output, and neither noise estimate above ``NOISE_ALLOWANCE`` times the other (one problem per
    kind, naming the first offending output and the count)."""
    far, under, over = [], [], []
    for j, name in enumerate(names):
        got, want = fresh[j], np.asarray(stored[j])
        if got.shape != want.shape:
            return [f"{name}: the model returns shape {got.shape}, the file stores {want.shape}"]
        with np.errstate(over="ignore", invalid="ignore"):
            d = norm2(got - want) if np.iscomplexobj(want) or not np.iscomplexobj(got) else norm2(np.real(got) - want)
        nu_s, nu_f = float(stored_noise[j]), float(fresh_noise[j])
        if not d <= NOISE_ALLOWANCE * nu_s:
            far.append((name, d, NOISE_ALLOWANCE * nu_s))
        if not nu_f <= NOISE_ALLOWANCE * nu_s:
            under.append((name, nu_f, nu_s))
        if not nu_s <= NOISE_ALLOWANCE * nu_f:
            over.append((name, nu_f, nu_s))
    out = []
    if far:
        n, d, a = far[0]
        out.append(f"{n}: the model's float64 output differs from the stored one by {d:.3g}, more than the noise "
                   f"allowance {a:.3g} ({len(far)} output(s) in all)")
    if under:
        n, f, s = under[0]
        out.append(f"{n}: the model's rounding noise estimate {f:.3g} exceeds {NOISE_ALLOWANCE:g} times the stored "
                   f"one ({s:.3g}): the file understates it ({len(under)} in all)")
    if over:
        n, f, s = over[0]
        out.append(f"{n}: the stored rounding noise estimate {s:.3g} exceeds {NOISE_ALLOWANCE:g} times the model's "
                   f"({f:.3g}): the file overstates it ({len(over)} in all)")
    return out


def bit_identical(a: np.ndarray, b: np.ndarray) -> bool:
    """Same shape, dtype and bits (NaNs equal)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=True))


def _psnr_tol(r: float, delta: float, value: float) -> float:
    """|ΔPSNR| when ``‖a − b‖ = r`` moves by at most ``delta``: ``20 log₁₀(r/(r − δ))``."""
    if math.isinf(value) and r == 0 and delta == 0:
        return 0.0
    if not r > delta:
        return math.inf
    return 20.0 * math.log10(r / (r - delta)) * (1 + 1e-9) + _SLACK * abs(value) + _SLACK


def curve_value_problems(m: str, metrics: Sequence[str], xb: np.ndarray, fresh: np.ndarray, delta: np.ndarray,
                         saved_values: Mapping[str, Any], saved_mean: Mapping[str, Any],
                         saved_std: Mapping[str, Any], metric_values: Callable[..., dict]) -> list[str]:
    """Every value of method ``m`` of a curve re-derived from the model's outputs ``fresh`` ``(K, D, B, *N)``
    and compared with the saved one: per point the certified lower bound must hold for the fresh output
    (``‖Ψ(y₀ + e) − x‖/‖x‖`` rounded down is at least the saved bound); the per-image metrics, their means
    and standard deviations must agree within what an output change of at most ``delta`` ``(K, D, B)``
    can cause (relative ℓ2: ``δ/‖x‖``; PSNR: ``20 log₁₀(r/(r − δ))``; SSIM: 1e-6; the mean of the
    tolerances for a mean, their ℓ2 norm over ``√(B − 1)`` for a standard deviation)."""
    K, D, B = fresh.shape[:3]
    real = not np.iscomplexobj(xb)
    x_lo = [norm2_bounds(xb[i])[0] for i in range(B)]
    x_hi = [norm2_bounds(xb[i])[1] for i in range(B)]
    per = {metric: np.zeros((K, D, B)) for metric in metrics}
    tol = {metric: np.zeros((K, D, B)) for metric in metrics}
    low_bad: list[tuple[int, int, int]] = []
    saved_lower = np.asarray(saved_values["rel_l2_lower"])
    for k in range(K):
        for d in range(D):
            for i in range(B):
                q = np.real(fresh[k, d, i]) if real else fresh[k, d, i]
                vals = metric_values(xb[i], q, metrics)
                dl = float(delta[k, d, i])
                for metric in metrics:
                    v = vals[metric]
                    per[metric][k, d, i] = v
                    if metric == "rel_l2":
                        tol[metric][k, d, i] = dl / x_lo[i] * (1 + 1e-9) + _SLACK * abs(v) if x_lo[i] > 0 else math.inf
                    elif metric == "psnr":
                        a, b = (xb[i], q) if real else (np.abs(xb[i]), np.abs(q))
                        tol[metric][k, d, i] = _psnr_tol(norm2(a - b), dl, v)
                    else:
                        tol[metric][k, d, i] = SSIM_TOL
                lo = float(saved_lower[k, d, i])
                if not math.isnan(lo) and lo > 0:
                    c_lo = dist(q, xb[i])[1]
                    if not div_down(c_lo, x_hi[i]) >= lo:
                        low_bad.append((k, d, i))
    out = []
    if low_bad:
        k, d, i = low_bad[0]
        out.append(f"values[{m!r}]['rel_l2_lower']: the model's float64 output at level {k}, draw {d}, image {i} has "
                   f"a smaller relative error than the saved lower bound ({len(low_bad)} point(s) in all)")
    for metric in metrics:
        img = per[metric].mean(axis=1)
        img_tol = tol[metric].mean(axis=1)
        saved = np.asarray(saved_values[metric], dtype=np.float64)
        bad = _outside(img, saved, img_tol)
        if bad is not None:
            out.append(f"values[{m!r}][{metric!r}]{bad}: re-derived from the model's outputs "
                       f"{img[bad]!r}, saved {saved[bad]!r}")
        with np.errstate(invalid="ignore", over="ignore"):
            mu = img.mean(axis=1)
            mu_tol = img_tol.mean(axis=1) + _SLACK * np.abs(mu)
            sd = img.std(axis=1, ddof=1) if B > 1 else np.zeros(K)
            sd_tol = (np.sqrt(np.sum(img_tol ** 2, axis=1) / (B - 1)) if B > 1 else np.zeros(K)) + _SLACK * np.abs(sd)
        for what, got, want, t in (("mean", mu, saved_mean[metric], mu_tol), ("std", sd, saved_std[metric], sd_tol)):
            bad = _outside(got, np.asarray(want, dtype=np.float64), t + _SLACK)
            if bad is not None:
                out.append(f"{what}[{m!r}][{metric!r}]{bad}: re-derived from the model's outputs {got[bad]!r}, "
                           f"saved {np.asarray(want)[bad]!r}")
    return out


def _outside(got: np.ndarray, saved: np.ndarray, tol: np.ndarray) -> tuple | None:
    """The first index where ``|got − saved| > tol`` (infinities must agree), else None."""
    if got.shape != saved.shape:
        return ()
    with np.errstate(invalid="ignore", over="ignore"):
        both_inf = np.isinf(got) & np.isinf(saved) & (np.sign(got) == np.sign(saved))
        ok = both_inf | (np.abs(got - saved) <= tol) | np.isinf(tol)
    ok &= ~(np.isnan(got) ^ np.isnan(saved))
    ok |= np.isnan(got) & np.isnan(saved)
    if bool(np.all(ok)):
        return None
    return tuple(int(v) for v in np.argwhere(~ok)[0])


def models_arg(model: Any, methods: tuple, settings: Mapping[str, Any]) -> dict[str, Any]:
    """method → model to re-run: the given ones (a mapping, or one model for the only network) and the
    baseline (rebuilt from the settings) whenever ``model`` is given."""
    if model is None:
        return {}
    base = settings.get("baseline")
    nets = [m for m in methods if m != base]
    if isinstance(model, Mapping):
        unknown = sorted(str(k) for k in model if k not in nets)
        if unknown:
            raise InvalidArgument(f"model names {unknown}, which are not networks of this curve ({nets}): pass "
                                  "a mapping method name → model")
        given = dict(model)
    else:
        if len(nets) != 1:
            raise InvalidArgument(f"the curve has {len(nets)} networks ({nets}): pass model as a mapping method "
                                  "name → model")
        given = {nets[0]: model}
    for k, v in given.items():
        if v is None or not callable(v):
            raise InvalidArgument(f"model[{k!r}] must be a torch.nn.Module, a callable or a ReconstructionMap, got "
                                  f"{type(v).__name__}")
    if base is not None and base in methods:
        given[base] = None  # rebuilt from the stored settings and operator
    return given


def over_budget_problems(d: Mapping[str, Any], xb: np.ndarray, y0: np.ndarray, lev: np.ndarray) -> list[str]:
    """A curve that holds may not store a perturbation beyond its level (named, with the count)."""
    bad = []
    for m in d["methods"]:
        E = np.asarray(d["runs"][m]["e"])
        for k in range(E.shape[0]):
            limit = [round_down(float(lev[k]) * norm2_bounds(y0[i])[0]) for i in range(xb.shape[0])]
            for dd in range(E.shape[1]):
                for i in range(E.shape[2]):
                    if np.any(E[k, dd, i]):
                        with np.errstate(over="ignore", invalid="ignore"):
                            hi = dist(y0[i] + E[k, dd, i], y0[i])[2]
                        if not hi <= limit[i]:
                            bad.append(f"witness['runs'][{m!r}]['e'] at level {k}, draw {dd}, image {i}: "
                                       f"‖e‖ = {hi:.6g} exceeds the level's budget {limit[i]:.6g}")
    return bad[:1] + ([f"({len(bad)} perturbations beyond their level in all)"] if len(bad) > 1 else [])


def rerun_method(result: Any, d: Mapping[str, Any], m: str, model: Any, rec: Mapping[str, Any], xb: np.ndarray,
                 y0: np.ndarray, *, baseline: Callable[..., Any], assemble: Callable[[dict], Any],
                 metric_values: Callable[..., dict]) -> tuple[list[str], bool]:
    """Re-run method ``m`` of a saved curve ``result`` (witness ``d``) at every stored input and re-derive
    its values: (problems, whether the re-run reproduced the stored outputs bit for bit). ``model`` None
    is the baseline, rebuilt by ``baseline(op, kind, lam=..., iterations=...)`` as a torch map;
    ``assemble`` re-derives a whole curve from a witness, ``metric_values`` one image's metrics."""
    run = d["runs"][m]
    E = np.asarray(run["e"])
    K, D, B = E.shape[:3]
    with np.errstate(over="ignore", invalid="ignore"):
        flat = (y0[None, None] + E).reshape((K * D * B,) + y0.shape[1:])
    scale = np.array([norm2(e) for e in E.reshape((K * D * B,) + y0.shape[1:])])
    if model is None:  # the baseline, rebuilt exactly as stability_curve built it
        st = d["settings"]
        op = record_op(rec)
        if op is None:
            return [f"cannot re-run the baseline {m!r}: the operator is opaque (not stored in the file)"], False
        model = baseline(op, st["baseline"], lam=st["baseline_lam"], iterations=st["baseline_iterations"])
    out, nu, why = fresh_outputs(model, run["psi"], rec, flat, scale=np.where(scale > 0, scale, np.inf))
    where = f"witness['runs'][{m!r}]"
    if out is None or nu is None:
        return [f"{where}: {why}"], False
    stored, snu = np.asarray(run["output"]), np.asarray(run["noise"])
    names = [f"{where}['output'] at level {k}, draw {dd}, image {i}" for k in range(K) for dd in range(D)
             for i in range(B)]
    problems = output_problems(out, nu, stored.reshape(out.shape[:1] + stored.shape[3:]), snu.reshape(-1), names)
    out = out.reshape(stored.shape) if out.size == stored.size else out
    if problems:
        return problems, False
    same = bit_identical(out, stored) and bit_identical(nu.reshape(snu.shape), snu)
    if same:  # the re-run reproduces the file: every claim re-derived from it is the exact check above
        mine = {**dict(run), "output": out, "noise": nu.reshape(snu.shape)}
        fresh = {**dict(d), "runs": {**dict(d["runs"]), m: mine}}
        return claim_mismatches(result, assemble(fresh)), True
    delta = NOISE_ALLOWANCE * snu
    return curve_value_problems(m, result.metrics, xb, out, delta, result.values[m], result.mean[m], result.std[m],
                                metric_values), False


_SETTINGS_KEYS = {"restarts", "steps", "lr", "momentum", "seed", "baseline", "baseline_lam", "baseline_iterations",
                  "certify"}


def settings_problems(chk: WitnessCheck, settings: Any, baselines: tuple) -> None:
    """The stored settings of a curve (every field, in range; the baseline one of ``baselines``)."""
    if not isinstance(settings, dict) or set(settings) != _SETTINGS_KEYS:
        chk.bad("settings", f"expected the fields {sorted(_SETTINGS_KEYS)}")
        return
    sub = WitnessCheck(settings, "witness['settings']")
    sub.number("restarts", minimum=1, integer=True, maximum=10 ** 6)
    sub.number("steps", minimum=1, integer=True, maximum=10 ** 8)
    sub.number("lr", positive=True)
    sub.number("momentum", minimum=0, maximum=1)
    sub.number("seed", minimum=0, integer=True)
    if settings["baseline"] is not None:
        sub.text("baseline", baselines)
    sub.number("baseline_lam", positive=True, none=True)
    sub.number("baseline_iterations", minimum=1, integer=True, none=True)
    if not isinstance(settings["certify"], bool):
        sub.bad("certify", "expected a bool")
    chk.problems += sub.problems


def run_problems(chk: WitnessCheck, m: str, run: Any, K: int, B: int, xb: np.ndarray, y0: np.ndarray,
                 kind: str, restarts: Any, certify: Any) -> None:
    """The stored run of method ``m``: fields, perturbation shape and dtype, status against ``certify``,
    and, for a float64 evaluation, the outputs and noise estimates (none below the output's rounding)."""
    where = f"witness['runs'][{m!r}]"
    keys = {"psi", "e", "precision", "status"}
    if not isinstance(run, dict) or not keys <= set(run) or set(run) - keys - {"output", "noise"}:
        chk.problems.append(f"{where}: expected the fields {sorted(keys)} (+ output, noise)")
        return
    sub = WitnessCheck(run, where)
    sub.problems += [f"{where}['psi']: {b}" for b in map_options_problems(run["psi"])]
    D = 1 if kind == "adversarial" else restarts
    E = sub.array("e", shape=(K, D, B) + y0.shape[1:] if isinstance(D, int) else None)
    if E is not None and E.dtype != y0.dtype:
        sub.bad("e", f"dtype {E.dtype} differs from the measurements' {y0.dtype}")
    status = sub.text("status")
    prec = sub.text("precision")
    if certify is False and status != "not re-evaluated in float64 (certify=False)":
        sub.bad("status", "a curve computed with certify=False is not re-evaluated")
    if certify is True and status == "not re-evaluated in float64 (certify=False)":
        sub.bad("status", "a curve computed with certify=True was re-evaluated")
    oshape = (K, D, B) + xb.shape[1:] if isinstance(D, int) else None
    if status == "":
        if prec != "float64":
            sub.bad("precision", "a certified evaluation must be float64")
        out = sub.array("output", shape=oshape)
        nu = sub.array("noise", shape=(K, D, B) if isinstance(D, int) else None, kinds="f")
        if out is not None and nu is not None:
            flat_o = out.reshape((-1,) + xb.shape[1:])
            for j, nj in enumerate(nu.reshape(-1)):
                if not nj >= output_rounding_floor(flat_o[j]):
                    sub.bad("noise", f"entry {j} = {nj!r} is below the output's own rounding")
                    break
    elif status is not None and status.startswith("not re-evaluated"):
        if "noise" in run:
            sub.bad("noise", "no noise estimate without a float64 evaluation")
        sub.array("output", shape=oshape, finite=False)
    elif "output" in run or "noise" in run:
        sub.problems.append(f"{where}: outputs stored for an evaluation marked unusable")
    chk.problems += sub.problems
