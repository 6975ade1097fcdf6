"""Worst-case perturbations of a reconstruction map: the stability test of THEORY.md §4.

:func:`search_worst_perturbation` maximises, by gradient ascent with
heavy-ball momentum and exact adjoints (autograd through the operator),

* ``Q(r) = ½‖Ψ(A(x + r)) − ref‖² − (λ/2)‖r‖²`` (penalised, ``budget=None``), or
* ``½‖Ψ(A(x + r)) − ref‖²`` over ``‖r‖ ≤ budget`` (projected),

with ``r`` in the image domain or ``e`` in the measurement domain
(``Ψ(Ax + e)``), ``ref = Ψ(Ax)`` or the truth ``x``. The best perturbation is
re-evaluated twice on the CPU in float64; the ratio
``‖Ψ(A(x + r)) − Ψ(Ax)‖/‖A(x + r) − Ax‖`` is then a certified lower bound on the
local Lipschitz constant ``L^ε(Ψ, Ax)`` for every ``ε ≥ ‖A(x + r) − Ax‖``.

torch is imported when the search runs, not at import time.

Theorem: stability test of THEORY.md §4 (seeds 000, 002); definition of
``L^ε`` in THEORY.md §3.
Rigor: certified-float64 for the re-evaluated witness; the search itself is a
heuristic (a lower bound, never an upper bound, on ``L^ε``).
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Callable, Mapping

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.instability import (
    _apply,
    _arr_close,
    _images,
    _lower_ratio,
    _norms,
    _operator,
    _operator_from_record,
    _operator_from_record_op,
    _operator_record,
    _psi_map,
    _rel_tol,
    _tol_mn,
)
from theorycheck.numerics.backend import lazy_torch, resolve_device
from theorycheck.numerics.validation import integer_arg, real_arg
from theorycheck.results import (
    CheckResult,
    Outcome,
    Rigor,
    Witness,
    register_result,
    register_verifier,
)

__all__ = ["PerturbationWitness", "search_worst_perturbation", "verify_perturbation"]

_THEOREM = "stability test (THEORY.md §4); L^ε of THEORY.md §3"


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class PerturbationWitness(CheckResult):
    """A worst-case perturbation found by :func:`search_worst_perturbation`.

    For a batch of images every numeric attribute is an array with one entry
    per image (``item(i)`` gives image ``i``'s witness); for one image they are floats.

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s)
    ----------------------------------------------------------------
    r : numpy.ndarray or None
        Image-domain perturbation (``domain="image"``).
    e : numpy.ndarray or None
        Measurement-domain perturbation (``domain="measurement"``).
    ratio : float or numpy.ndarray
        ``‖Ψ(y₁) − Ψ(y₀)‖/‖y₁ − y₀‖`` with ``y₀ = Ax``, ``y₁ = A(x + r)`` (or
        ``Ax + e``), rounded down: a lower bound on ``L^ε(Ψ, Ax)`` for every
        ``ε ≥ ‖y₁ − y₀‖``.
    norm_r : float or numpy.ndarray
        ``‖r‖`` (``‖e‖`` in the measurement domain).
    norm_Ar : float or numpy.ndarray
        ``‖y₁ − y₀‖ = ‖Ar‖`` (``‖e‖``).
    output_change : float or numpy.ndarray
        ``‖Ψ(y₁) − Ψ(y₀)‖``.
    trace : dict
        Every ``record_every`` steps: ``step``, ``restart``, ``objective``,
        ``output_change``, ``norm`` (per image).
    domain, reference : str

    Theorem: definition of ``L^ε`` (THEORY.md §3); stability test (THEORY.md §4).
    Rigor: certified-float64 when ``outcome`` is ``holds`` (Ψ re-evaluated twice on
    the CPU in float64); numerical otherwise.
    """

    r: Any = None
    e: Any = None
    ratio: Any = math.nan
    norm_r: Any = math.nan
    norm_Ar: Any = math.nan
    output_change: Any = math.nan
    trace: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    domain: str = "image"
    reference: str = "prediction"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "trace", dict(self.trace or {}))

    @property
    def perturbation(self) -> np.ndarray:
        """``r`` or ``e``, whichever the domain uses."""
        return self.r if self.domain == "image" else self.e

    @property
    def batched(self) -> bool:
        """True when the witness holds a batch of images."""
        return isinstance(self.ratio, np.ndarray) and self.ratio.ndim == 1

    def item(self, i: int) -> "PerturbationWitness":
        """The witness of image ``i`` of a batch (self when not batched)."""
        if not self.batched:
            return self

        def pick(v: Any) -> Any:
            return v[i] if isinstance(v, np.ndarray) and v.ndim >= 1 else v

        wit = None
        if self.witness is not None:
            wd = {k: (v[i] if isinstance(v, np.ndarray) and k != "operator" and v.ndim >= 1 else v)
                  for k, v in self.witness.data.items()}
            wit = Witness(self.witness.kind, wd)
        vals = {k: (float(v[i]) if isinstance(v, np.ndarray) and v.ndim == 1 and v.size == self.ratio.size
                    else v) for k, v in self.values.items()}
        return PerturbationWitness(
            self.check, self.outcome, self.rigor, self.message, vals, wit, self.theorem,
            r=None if self.r is None else self.r[i], e=None if self.e is None else self.e[i],
            ratio=float(self.ratio[i]), norm_r=float(pick(self.norm_r)), norm_Ar=float(pick(self.norm_Ar)),
            output_change=float(pick(self.output_change)),
            trace={k: (v[:, i] if isinstance(v, np.ndarray) and v.ndim == 2 else v)
                   for k, v in self.trace.items()},
            domain=self.domain, reference=self.reference)


def _bnorm(t: Any) -> Any:
    """Per-sample Euclidean norms of a torch batch (real result)."""
    return t.reshape(t.shape[0], -1).abs().pow(2).sum(1).sqrt()


def _bshape(v: Any, ndim: int) -> Any:
    return v.reshape((-1,) + (1,) * (ndim - 1))


def search_worst_perturbation(
    psi: Any, A: Any, x: Any, *, domain: str = "image", reference: str = "prediction",
    lam: float | None = None, budget: float | None = None, steps: int = 200, lr: float | None = None,
    momentum: float = 0.9, restarts: int = 1, seed: Any = None, device: Any = None, dtype: Any = None,
    init_scale: float | None = None, max_norm: float | None = None,
    callback: Callable[["PerturbationWitness"], Any] | None = None, progress: bool = True,
    record_every: int = 10, certify: bool = True,
) -> PerturbationWitness:
    """Search a perturbation that changes ``Ψ``'s output most: gradient ascent with momentum.

    Objective (per image, summed over a batch):
    ``Q(r) = ½‖Ψ(A(x + r)) − ref‖² − (λ/2)‖r‖²`` when ``budget`` is None, else
    ``½‖Ψ(A(x + r)) − ref‖²`` subject to ``‖r‖ ≤ budget`` (projected ascent);
    ``ref = Ψ(Ax)`` (``reference="prediction"``) or ``x`` (``"truth"``). In the
    measurement domain ``r`` is replaced by ``e`` and ``A(x + r)`` by ``Ax + e``.
    Heavy-ball steps ``v ← γv + step``, ``r ← r + v``: with a budget the step is
    ``lr·budget·g/‖g‖`` (``lr`` default 0.05); penalised it is ``lr·g`` with
    ``lr`` (default) chosen at the first step so that it moves ``r`` by 10% of
    its initial norm. Gradients come from autograd through ``A`` (its exact
    adjoint) and ``Ψ``; complex data stay complex. The best iterate per image
    (largest objective) is kept, also when interrupted (Ctrl-C), then
    re-evaluated twice on the CPU in float64.

    Parameters
    ----------
    psi : torch.nn.Module, torch callable or ReconstructionMap
        Must be differentiable by torch (``as_reconstruction_map(f, backend="torch")``
        for a plain torch function).
    A : array_like or LinearOperator
    x : array_like
        One image ``A.in_shape`` or a batch ``(B, *A.in_shape)``.
    domain : {"image", "measurement"}
    reference : {"prediction", "truth"}
    lam : float, optional
        ``λ ≥ 0`` of the penalised objective. Default: the squared gain
        ``(‖Ψ(A(x + r₀)) − Ψ(Ax)‖/‖r₀‖)²`` of the random start ``r₀``, so that
        ``Q`` rewards directions that amplify more than random noise.
    budget : float, optional
        Projected ascent on ``‖r‖ ≤ budget`` (``‖e‖ ≤ budget``).
    steps : int
        Ascent steps per restart.
    lr : float, optional
        Step size (see above).
    momentum : float
        Heavy-ball ``γ ∈ [0, 1)`` (the authors' 0.9).
    restarts : int
        Random starts; the best is kept.
    seed : int, optional
        Seed of the random starts (drawn on the CPU: same seed, same result on
        any device). Default: fresh entropy (the value used is in ``values["seed"]``).
    device, dtype
        Where and at which real precision the ascent runs (default: CUDA when
        available for modules, else CPU; the model's dtype, float64 for a plain
        torch function).
    init_scale : float, optional
        ``‖r₀‖`` (default ``budget/10``, or ``1e-3·‖x‖`` / ``1e-3·‖Ax‖``).
    max_norm : float, optional
        Penalised mode: cap on ``‖r‖`` (default ``0.1·‖x‖`` / ``0.1·‖Ax‖``)
        so that the ascent cannot diverge.
    callback : callable, optional
        Called every ``record_every`` steps with the best-so-far witness
        (numerical, not re-evaluated); returning True stops the search.
    progress : bool
        Show a tqdm bar.
    record_every : int
        Steps between trace records (and callbacks).
    certify : bool
        Re-evaluate the best witness in float64 (False: leave it numerical).

    Returns
    -------
    PerturbationWitness

    Theorem: stability test of THEORY.md §4; ``L^ε(Ψ, y) ≥ ‖Ψ(z) − Ψ(y)‖/‖z − y‖``
    for ``‖z − y‖ ≤ ε`` (definition, THEORY.md §3).
    Rigor: certified-float64 (ratio re-evaluated twice on the CPU in float64;
    inconclusive with the reason when the evaluations differ or are not finite).
    """
    torch = lazy_torch()
    if domain not in ("image", "measurement"):
        raise InvalidArgument(f"domain={domain!r}: use 'image' or 'measurement'")
    if reference not in ("prediction", "truth"):
        raise InvalidArgument(f"reference={reference!r}: use 'prediction' or 'truth'")
    steps = integer_arg(steps, "steps")
    restarts = integer_arg(restarts, "restarts")
    record_every = integer_arg(record_every, "record_every")
    if lam is not None:
        lam = real_arg(lam, "lam", allow_zero=True)
    if budget is not None:
        budget = real_arg(budget, "budget")
    if lr is not None:
        lr = real_arg(lr, "lr")
    if init_scale is not None:
        init_scale = real_arg(init_scale, "init_scale")
    if max_norm is not None:
        max_norm = real_arg(max_norm, "max_norm")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
        raise InvalidArgument(f"momentum must lie in [0, 1), got {momentum!r}")
    if seed is None:
        seed = int(np.random.default_rng().integers(2 ** 62))
    elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InvalidArgument(f"seed must be an int or None, got {seed!r}")
    seed = int(seed)
    A = _operator(A)
    xv = _images(x, A, "x", batch=True)
    batched = xv.shape != tuple(A.in_shape)
    xb = xv if batched else xv[None]
    pm = _psi_map(psi, A)
    if not pm.differentiable:
        raise InvalidArgument(
            "search_worst_perturbation needs a torch-differentiable Ψ: pass a torch.nn.Module, or "
            "as_reconstruction_map(f, backend='torch') for a torch function (use "
            "random_noise_instability for a black box)")
    if device is None:
        dev = resolve_device(None) if pm.is_module and pm.device is None else (pm.device or torch.device("cpu"))
    else:
        dev = resolve_device(device)
    B = xb.shape[0]
    interrupted = False
    trace_rows: list[tuple] = []
    t_ascent = 0.0
    steps_done = 0
    with pm.session(device=dev, dtype=dtype) as f:
        rdt = f.dtype or torch.float64  # a plain torch function gets float64 unless told otherwise
        cdt = f.complex_dtype or torch.complex128
        xt = torch.as_tensor(xb, device=f.device).to(cdt if np.iscomplexobj(xb) else rdt)
        with torch.no_grad():
            y0 = A.apply(xt)
            p0 = f(y0)
        ref = p0 if reference == "prediction" else xt
        like = xt if domain == "image" else y0
        nd = like.dim()
        base = _bnorm(like).to(rdt)
        base = torch.where(base > 0, base, torch.ones_like(base))
        cap = (torch.full_like(base, budget) if budget is not None
               else torch.full_like(base, max_norm) if max_norm is not None else 0.1 * base)
        r0n = (torch.full_like(base, init_scale) if init_scale is not None
               else 0.1 * cap if budget is not None else 1e-3 * base)
        gen = torch.Generator().manual_seed(seed)

        def start() -> Any:
            z = torch.randn(tuple(like.shape), generator=gen, dtype=torch.float64)
            if like.is_complex():
                z = torch.complex(z, torch.randn(tuple(like.shape), generator=gen, dtype=torch.float64))
            z = z.to(device=f.device, dtype=like.dtype)
            return z * _bshape(r0n / _bnorm(z).to(rdt), nd)

        def forward(r: Any) -> tuple[Any, Any, Any]:
            dy = A.apply(r) if domain == "image" else r
            out = f(y0 + dy)
            return 0.5 * _bnorm(out - ref) ** 2, _bnorm(out - p0), out

        lam_t = None if budget is not None else (
            torch.full_like(base, lam) if lam is not None else None)
        best_obj = torch.full((B,), -math.inf, dtype=rdt, device=f.device)
        best_r = torch.zeros_like(like)
        best_change = torch.zeros_like(best_obj)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=steps * restarts, desc="search_worst_perturbation")

        def snapshot() -> PerturbationWitness:
            rr = best_r.detach().cpu().numpy()
            return _numerical_witness(rr if batched else rr[0], domain, reference,
                                      best_change.cpu().numpy(), batched)

        t0 = time.perf_counter()
        try:
            for rs in range(restarts):
                r = start()
                v = torch.zeros_like(r)
                lr_t = None
                if lam_t is None and budget is None:  # λ = squared gain of the random start
                    with torch.no_grad():
                        _, ch0, _ = forward(r)
                        lam_t = (ch0 / _bnorm(r).to(rdt)) ** 2
                for it in range(steps):
                    r.requires_grad_(True)
                    fit, change, _ = forward(r)
                    obj = fit if budget is not None else fit - 0.5 * lam_t * _bnorm(r) ** 2
                    (g,) = torch.autograd.grad(obj.sum(), r)
                    with torch.no_grad():
                        r = r.detach()
                        o = obj.detach()
                        rn_eval = _bnorm(r).to(rdt)
                        better = o > best_obj
                        best_obj = torch.where(better, o, best_obj)
                        best_change = torch.where(better, change.detach(), best_change)
                        best_r = torch.where(_bshape(better, nd), r, best_r)
                        gn = _bnorm(g).to(rdt)
                        gn = torch.where(gn > 0, gn, torch.ones_like(gn))
                        if budget is not None:
                            step = g * _bshape((lr if lr is not None else 0.05) * cap / gn, nd)
                        else:
                            if lr_t is None:
                                lr_t = torch.full_like(gn, lr) if lr is not None else 0.1 * r0n / gn
                            step = g * _bshape(lr_t, nd)
                        v = momentum * v + step
                        r = r + v
                        rn = _bnorm(r).to(rdt)
                        r = r * _bshape(torch.clamp(cap / torch.where(rn > 0, rn, torch.ones_like(rn)),
                                                    max=1.0), nd)
                    steps_done += 1
                    if bar is not None:
                        bar.update(1)
                    if (it + 1) % record_every == 0 or it == steps - 1:
                        trace_rows.append((steps_done, rs, o, change.detach(), rn_eval))
                        if callback is not None and callback(snapshot()) is True:
                            raise StopIteration
        except (KeyboardInterrupt, StopIteration) as exc:
            interrupted = isinstance(exc, KeyboardInterrupt)
        finally:
            t_ascent = time.perf_counter() - t0
            if bar is not None:
                bar.close()
        r_best = best_r.detach().cpu().numpy()
        lam_used = None if lam_t is None else lam_t.detach().cpu().numpy().astype(float)
        change_ws = best_change.detach().cpu().numpy().astype(float)
        precision_ws = str(rdt).replace("torch.", "")
    trace = _trace(trace_rows, batched)
    wide = np.complex128 if np.iscomplexobj(r_best) else np.float64
    r64 = r_best.astype(wide)
    values: dict[str, Any] = {
        "budget": budget, "lam": (lam_used if batched or lam_used is None else float(lam_used[0])),
        "steps": steps, "restarts": restarts, "momentum": float(momentum), "lr": lr, "seed": seed,
        "device": str(dev), "search_precision": precision_ws, "interrupted": interrupted,
        "ascent_seconds": t_ascent, "steps_done": steps_done,
    }
    return _certified(pm, A, xb, r64, domain, reference, batched, values, trace, certify, change_ws)


def _trace(rows: list[tuple], batched: bool) -> dict[str, np.ndarray]:
    if not rows:
        return {}
    pick = (lambda a: a) if batched else (lambda a: a[:, 0])
    return {
        "step": np.array([r[0] for r in rows]),
        "restart": np.array([r[1] for r in rows]),
        "objective": pick(np.stack([r[2].cpu().numpy().astype(float) for r in rows])),
        "output_change": pick(np.stack([r[3].cpu().numpy().astype(float) for r in rows])),
        "norm": pick(np.stack([r[4].cpu().numpy().astype(float) for r in rows])),
    }


def _numerical_witness(r: np.ndarray, domain: str, reference: str, change: np.ndarray,
                       batched: bool) -> PerturbationWitness:
    """A cheap best-so-far witness for callbacks (not re-evaluated)."""
    norm = _norms(r if batched else r[None])
    ch = change if batched else float(change[0])
    return PerturbationWitness(
        "worst_perturbation", Outcome.INCONCLUSIVE, Rigor.NUMERICAL, "best so far (not re-evaluated)",
        r=r if domain == "image" else None, e=r if domain == "measurement" else None,
        norm_r=norm if batched else float(norm[0]), output_change=ch, domain=domain, reference=reference)


def _certified(pm: Any, A: Any, xb: np.ndarray, r64: np.ndarray, domain: str, reference: str,
               batched: bool, values: dict, trace: dict, certify: bool,
               change_ws: np.ndarray) -> PerturbationWitness:
    """Re-evaluate the best perturbation twice on the CPU in float64 and build the witness."""
    y0 = _apply(A, xb)
    y1 = _apply(A, xb + r64) if domain == "image" else y0 + r64
    dy = _norms(y1 - y0)
    norm_r = _norms(r64)
    one = (lambda a: a) if batched else (lambda a: float(np.asarray(a)[0]))
    sq = (lambda a: a) if batched else (lambda a: a[0])
    wdata = {"x": sq(xb), "y0": sq(y0), "y1": sq(y1), "operator": _operator_record(A),
             ("r" if domain == "image" else "e"): sq(r64)}
    kw = dict(r=sq(r64) if domain == "image" else None, e=sq(r64) if domain == "measurement" else None,
              norm_r=one(norm_r), norm_Ar=one(dy), domain=domain, reference=reference, trace=trace)
    if not certify:
        ratio = np.where(dy > 0, change_ws / np.where(dy > 0, dy, 1.0), 0.0)
        return PerturbationWitness(
            "worst_perturbation", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
            "not re-evaluated in float64 (certify=False)", values, Witness("perturbation", wdata), _THEOREM,
            ratio=one(ratio), output_change=one(change_ws), **kw)
    B = xb.shape[0]
    # each sample alone (evaluate_float64): the batched search may be batch-dependent
    ev = pm.evaluate_float64(np.concatenate([y0, y1]))
    values["psi_precision"] = ev.precision
    if not ev.ok or ev.reason:
        ratio = np.where(dy > 0, change_ws / np.where(dy > 0, dy, 1.0), 0.0)
        return PerturbationWitness(
            "worst_perturbation", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
            f"not certified: {ev.reason}", values, Witness("perturbation", wdata), _THEOREM,
            ratio=one(ratio), output_change=one(change_ws), **kw)
    p0, p1 = ev.output[:B], ev.output[B:]
    change = _norms(p1 - p0)
    tol = _rel_tol(A)
    ratio = np.atleast_1d(_lower_ratio(change, dy, tol))  # rounded down
    values["error_vs_truth"] = one(_norms(p1 - xb))
    values["ratio_unrounded"] = one(np.where(dy > 0, change / np.where(dy > 0, dy, 1.0), 0.0))
    values["tolerance"] = tol
    wdata.update(psi_y0=sq(p0), psi_y1=sq(p1))
    k = int(np.argmax(ratio))
    msg = (f"L^ε(Ψ, Ax) ≥ {ratio[k]:.6g} for ε ≥ ‖Δy‖ = {dy[k]:.3g}: a perturbation with "
           f"‖{'r' if domain == 'image' else 'e'}‖ = {norm_r[k]:.3g} changes Ψ's output by {change[k]:.4g}"
           + (f" (image {k} of {B}; per-image values in arrays)" if batched else ""))
    if values.get("interrupted"):
        msg += "; search interrupted, best so far"
    return PerturbationWitness(
        "worst_perturbation", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64, msg, values,
        Witness("perturbation", wdata), _THEOREM, ratio=one(ratio), output_change=one(change), **kw)


def verify_perturbation(result: CheckResult, psi: Any = None) -> CheckResult:
    """Re-check a saved :class:`PerturbationWitness` from its witness, in float64.

    Recomputes ``y₀ = Ax`` and ``y₁ = A(x + r)`` (``Ax + e``) from the stored
    operator, the norms, the output change and the ratio from the stored
    ``Ψ`` outputs; with ``psi`` also re-evaluates ``Ψ`` twice in float64.

    Theorem: definition of ``L^ε`` (THEORY.md §3).
    Rigor: certified-float64 (never above the saved result's).
    """
    name = "verify:worst_perturbation"
    w = result.witness
    if not isinstance(result, PerturbationWitness) or w is None or "y0" not in w.data:
        return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           "the saved result is not a perturbation witness with stored data")
    d = w.data
    problems: list[str] = []
    x, y0, y1 = np.asarray(d["x"]), np.asarray(d["y0"]), np.asarray(d["y1"])
    pert = np.asarray(d["r"] if result.domain == "image" else d["e"])
    rec = d.get("operator")
    apply = _operator_from_record(rec) if isinstance(rec, Mapping) else None
    if apply is not None:
        try:
            if not _arr_close(apply(x), y0):
                problems.append("y0 ≠ Ax for the stored A and x")
            want = apply(x + pert) if result.domain == "image" else y0 + pert
            if not _arr_close(want, y1):
                problems.append("y1 ≠ A(x + r) (Ax + e) for the stored data")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"cannot apply the stored operator: {exc}")
    batched = result.batched
    xb, y0b, y1b, pb = (v if batched else v[None] for v in (x, y0, y1, pert))
    dy, nr = _norms(y1b - y0b), _norms(pb)
    arr = lambda v: np.atleast_1d(np.asarray(v, dtype=float))  # noqa: E731
    if not np.allclose(arr(result.norm_Ar), dy, rtol=1e-9, atol=0):
        problems.append("norm_Ar does not match ‖y1 − y0‖")
    if not np.allclose(arr(result.norm_r), nr, rtol=1e-9, atol=0):
        problems.append("norm_r does not match the stored perturbation")
    if "psi_y0" in d:
        p0 = np.asarray(d["psi_y0"]) if batched else np.asarray(d["psi_y0"])[None]
        p1 = np.asarray(d["psi_y1"]) if batched else np.asarray(d["psi_y1"])[None]
        change = _norms(p1 - p0)
        ratio = np.where(dy > 0, change / np.where(dy > 0, dy, 1.0), 0.0)
        if not np.allclose(arr(result.output_change), change, rtol=1e-9, atol=0):
            problems.append("output_change does not match the stored Ψ outputs")
        # the rounding allowance is recomputed from the sizes, never read from the file
        tol = _tol_mn(y0b[0].size, xb[0].size)
        if "tolerance" in result.values and float(result.values["tolerance"]) != tol:
            problems.append(f"tolerance: saved {result.values['tolerance']!r}, recomputed {tol!r}")
        lb = arr(result.ratio)
        lb_max = np.atleast_1d(_lower_ratio(change, dy, tol))
        if lb.shape != ratio.shape or np.any(~(lb <= lb_max)) or np.any(lb < ratio * (1 - 2 * tol - 1e-12)):
            problems.append(f"ratio {result.ratio!r} does not match the witnessed ratio {ratio!r} "
                            "(rounded down)")
        if psi is not None and not problems:
            op = _operator_from_record_op(rec) if isinstance(rec, Mapping) else None
            if op is None:
                problems.append("cannot re-evaluate Ψ: the operator is not stored")
            else:
                ev = _psi_map(psi, op).evaluate_float64(np.concatenate([y0b, y1b]))
                if not ev.ok or ev.reason:
                    problems.append(f"re-evaluating Ψ: {ev.reason}")
                elif not (_arr_close(ev.output[:len(y0b)], p0, 1e-9) and _arr_close(ev.output[len(y0b):], p1, 1e-9)):
                    problems.append("re-evaluated Ψ outputs differ from the stored ones")
    elif result.outcome is Outcome.HOLDS:
        problems.append("a certified witness without stored Ψ outputs")
    rigor = Rigor.weakest(result.rigor, Rigor.CERTIFIED_FLOAT64)
    vals = {"problems": tuple(problems), "psi_reevaluated": psi is not None and not problems}
    if problems:
        return CheckResult(name, Outcome.VIOLATED, rigor,
                           "the saved witness does not re-check: " + "; ".join(problems[:6]), vals)
    how = "Ψ re-evaluated twice in float64" if psi is not None else (
        "Ψ outputs taken from the file (pass psi= to re-evaluate the network)")
    if apply is None:
        how += "; A not stored: y0, y1 taken from the file"
    return CheckResult(name, Outcome.HOLDS, rigor, f"re-checked: claims consistent with the witness ({how})",
                       vals)


@register_verifier("worst_perturbation")
def _verify_saved_perturbation(result: CheckResult) -> CheckResult:
    return verify_perturbation(result)

