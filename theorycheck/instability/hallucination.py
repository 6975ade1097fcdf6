"""Targeted hallucinations: a small perturbation that makes ``Ψ`` draw a chosen detail in a chosen region.

:func:`search_hallucination` looks for a perturbation (of the measurements or of the image) within a
budget that makes ``Ψ(Ax + e)`` agree with ``Ψ(Ax) + target`` inside ``region`` while changing
``Ψ``'s output as little as possible outside it (or, ``remove=True``, that makes an existing detail
vanish: agreement with ``Ψ(Ax) − target``): the practical face of the false positive (false
negative) of docs/theory.md §3 (b). The best perturbation is re-evaluated twice on the CPU in
float64 with ``Ψ``'s rounding noise, so the reported strength and outside change hold for that
evaluation with the noise allowance. :class:`HallucinationWitness` holds it (with a figure) and
:func:`verify_hallucination` (registered for ``"hallucination"``) re-derives every claim (with
``model=`` from the network re-run at ``y₀`` and ``y₁``).

Theorem: false positives and negatives of the universal instability theorem (docs/theory.md §3 (b)).
Rigor: certified-float64 for the re-evaluated witness (strength rounded down, outside change rounded
up, with 16 times the estimated rounding noise); the search itself is a heuristic.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.instability._common import (
    add_up,
    dist,
    div_down,
    fmt,
    images_arg,
    operator_arg,
    psi_map,
    psi_text,
    seed_int,
    sub_down,
)
from theorycheck.instability._curve_verify import bit_identical, fresh_outputs, output_problems
from theorycheck.instability._operators import apply_operator, operator_record, record_text
from theorycheck.instability._witness import WitnessCheck, model_arg, result_arg
from theorycheck.nets._adapter_common import NOISE_ALLOWANCE
from theorycheck.numerics.backend import lazy_torch, resolve_device
from theorycheck.numerics.parallel import progress_bar
from theorycheck.numerics.rounding import gamma, norm2, norm2_bounds, round_down, round_up
from theorycheck.numerics.validation import bool_arg, choice_arg, integer_arg, real_arg
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

__all__ = ["HallucinationWitness", "search_hallucination", "verify_hallucination"]

_THEOREM = "false positives/negatives of the universal instability theorem (docs/theory.md §3 (b))"


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class HallucinationWitness(CheckResult):
    """A perturbation that plants (or removes) a detail in ``Ψ``'s output (:func:`search_hallucination`).

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s)
    ----------------------------------------------------------------
    e, r : numpy.ndarray or None
        The perturbation (measurement or image domain).
    strength : float
        Amplitude of the planted detail: ``⟨Δ_R, t_R⟩/‖t_R‖²`` with ``Δ = Ψ(y₁) − Ψ(y₀)`` (``−Δ``
        with ``remove=True``), ``t`` the target and ``_R`` the restriction to the region; 1 means
        the whole target appears (disappears). Rounded down, with the noise allowance.
    correlation : float
        ``⟨Δ_R, t_R⟩/(‖Δ_R‖‖t_R‖)`` (float64, informative).
    outside_change : float
        ``‖Δ outside R‖`` rounded up, with the noise allowance.
    relative_norm : float
        ``‖y₁ − y₀‖/‖y₀‖``.

    Theorem: docs/theory.md §3 (b).
    Rigor: certified-float64 when ``outcome`` is holds (a detail of positive strength was planted);
    numerical otherwise.
    """

    informational = frozenset({"elapsed_s", "search_seconds"})

    e: Any = None
    r: Any = None
    strength: float = math.nan
    correlation: float = math.nan
    outside_change: float = math.nan
    relative_norm: float = math.nan
    search_seconds: float = 0.0

    def figure(self, path: str | None = None) -> Any:
        """x, Ψ(Ax), the perturbation, Ψ(Ax + e) and the difference with the region outlined (2-D images).

        Theorem: none (presentation).
        Rigor: the result's.
        """
        import matplotlib

        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        d = self.witness.data if self.witness is not None else {}
        if "psi_y1" not in d or np.asarray(d["x"]).ndim != 2:
            raise InvalidArgument("a figure needs a certified witness of a 2-D image")
        p0, p1 = np.real(d["psi_y0"]), np.real(d["psi_y1"])
        pert = d["perturbation"]
        if d["domain"] == "measurement":
            pert = np.abs(pert).reshape(-1) if pert.ndim == 1 else np.abs(pert)
        panels = [("x", np.real(d["x"])), ("Ψ(Ax)", p0), ("|perturbation|", np.abs(pert)),
                  ("Ψ(Ax + e)", p1), ("Ψ(Ax + e) − Ψ(Ax)", p1 - p0)]
        fig, axes = plt.subplots(1, 5, figsize=(15, 3.2))
        for ax, (title, img) in zip(axes, panels):
            if img.ndim == 1:
                ax.plot(img)
            else:
                ax.imshow(img, cmap="RdBu_r" if "−" in title else "gray")
                ax.axis("off")
            ax.set_title(title)
        axes[4].contour(np.asarray(d["region"], dtype=float), levels=[0.5], colors="k", linewidths=0.8)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
            plt.close(fig)
        return fig


def _region_arg(region: Any, target: np.ndarray) -> np.ndarray:
    if region is None:
        reg = target != 0
    else:
        reg = np.asarray(region)
        if reg.shape != target.shape:
            raise InvalidArgument(f"region has shape {reg.shape}, the image {target.shape}: pass a boolean mask "
                                  "of the image's shape")
        if reg.dtype != bool:
            if reg.dtype.kind not in "biu" or not np.all((reg == 0) | (reg == 1)):
                raise InvalidArgument("region must be a boolean mask (or 0/1 integers)")
            reg = reg.astype(bool)
    if not np.any(reg):
        raise InvalidArgument("region has no pixel: pass a region (or a target) with at least one pixel")
    return np.array(reg, dtype=bool)


def search_hallucination(
    psi: Any, A: Any, x: Any, target: Any, *, region: Any = None, budget: float, norm: str = "l2",
    domain: str = "measurement", keep_weight: float = 1.0, steps: int = 300, lr: float = 0.05,
    momentum: float = 0.9, seed: Any = None, remove: bool = False, progress: bool = True, device: Any = None,
    dtype: Any = None,
) -> HallucinationWitness:
    """Search a perturbation within ``budget`` that makes ``Ψ`` draw ``target`` in ``region`` and little else.

    Minimises ``½‖M(Ψ(y₀ + Δy) − g)‖² + (keep_weight/2)‖(1 − M)(Ψ(y₀ + Δy) − Ψ(y₀))‖²`` with
    ``y₀ = Ax``, ``M`` the region's indicator, ``g = Ψ(y₀) + target`` (``− target`` with
    ``remove=True``) and ``Δy = e`` (measurement domain) or ``A r`` (image domain), subject to
    ``‖e‖ ≤ budget`` (``‖·‖₂`` or ``‖·‖_∞``, entrywise modulus for complex data), by projected
    heavy-ball descent with normalised steps ``lr·budget·(1 − t/steps)·g/‖g‖`` (the best iterate is
    kept). For real images the real part of ``Ψ``'s output is used. The best perturbation is then
    re-evaluated twice on the CPU in float64 with ``Ψ``'s rounding noise.

    Parameters
    ----------
    psi : torch module or torch callable
    A : array_like or LinearOperator
    x : array_like
        The image (``A.in_shape``).
    target : array_like
        The detail to plant (remove), shape of the image.
    region : array_like of bool, optional
        Where the detail should appear (default: the support of ``target``).
    budget : float
        ``> 0``: the largest norm of the perturbation.
    norm : {"l2", "linf"}
    domain : {"measurement", "image"}
    keep_weight : float
        ``≥ 0``: weight of the change outside the region.
    steps, lr, momentum
        The descent.
    seed : int, optional
        Random start (a CPU generator).
    remove : bool
        Make an existing detail ``target`` vanish instead.
    progress : bool
    device, dtype
        Where and at which real torch precision the search runs.

    Returns
    -------
    HallucinationWitness

    Raises
    ------
    InvalidArgument
        A target of another shape, a region with no pixel, a budget ≤ 0, bad options.

    Theorem: false positives/negatives (docs/theory.md §3 (b)).
    Rigor: certified-float64 (strength rounded down and outside change rounded up from the float64
    re-evaluation with 16 times its noise); the search is a heuristic.
    """
    t0 = time.perf_counter()
    torch = lazy_torch()
    A = operator_arg(A)
    xv = images_arg(x, A, "x")
    tv = np.asarray(target)
    if tv.shape != xv.shape:
        raise InvalidArgument(f"target has shape {tv.shape}, the image {xv.shape}: pass a detail of the image's shape")
    tv = images_arg(tv, A, "target")
    if norm2(tv) == 0 or not math.isfinite(norm2(tv)):
        raise InvalidArgument("target is zero or not finite: pass a nonzero finite detail")
    reg = _region_arg(region, tv)
    if norm2(np.where(reg, tv, 0)) == 0:
        raise InvalidArgument("target is zero inside region: the detail must have pixels in the region")
    budget = real_arg(budget, "budget")
    norm = choice_arg(norm, "norm", ("l2", "linf"))
    domain = choice_arg(domain, "domain", ("measurement", "image"))
    keep_weight = real_arg(keep_weight, "keep_weight", allow_zero=True)
    steps = integer_arg(steps, "steps")
    lr = real_arg(lr, "lr")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
        raise InvalidArgument(f"momentum must lie in [0, 1), got {momentum!r}")
    if steps > 10 ** 6:
        raise InvalidArgument(f"steps={steps}: at most 10**6")
    seed = seed_int(seed)
    remove = bool_arg(remove, "remove")
    progress = bool_arg(progress, "progress")
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise InvalidArgument(f"dtype must be a real torch floating dtype, got {dtype!r}")
    y0 = apply_operator(A, xv)
    if not np.all(np.isfinite(y0)) or norm2(y0) == 0:
        raise InvalidArgument("A·x is zero or overflows float64: pass a nonzero image of moderate scale")
    pm = psi_map(psi, A)
    if not pm.differentiable:
        raise InvalidArgument("search_hallucination needs a torch-differentiable Ψ (a torch module, or "
                              "as_reconstruction_map(f, backend='torch'))")
    dev = resolve_device(device) if device is not None else (
        resolve_device(None) if pm.is_module and pm.device is None else (pm.device or torch.device("cpu")))
    ts = time.perf_counter()
    p = _descend(pm, A, xv, y0, tv, reg, budget, norm, domain, keep_weight, steps, lr, float(momentum), seed,
                 remove, progress, dev, dtype)
    secs = time.perf_counter() - ts
    with np.errstate(over="ignore", invalid="ignore"):
        y1 = y0 + p if domain == "measurement" else apply_operator(A, xv + p)
    if not np.all(np.isfinite(y1)):
        raise InvalidArgument("the perturbed measurements overflow float64: lower the budget")
    ev = pm.evaluate_float64(np.stack([y0, y1]), noise=True, noise_scale=np.array([np.inf, np.inf]),
                             noise_segments=[(0, 1)] if np.any(y1 != y0) else None)
    status = ev.reason if ev.reason or ev.ok else "Ψ's float64 evaluation is not usable"
    w: dict[str, Any] = {"x": xv, "target": tv, "region": reg, "y0": y0, "y1": y1, "perturbation": p,
                         "domain": domain, "norm": norm, "budget": budget, "keep_weight": keep_weight,
                         "remove": remove, "operator": operator_record(A), "psi": pm.options(),
                         "search": {"steps": steps, "lr": lr, "momentum": float(momentum), "seed": seed},
                         "psi_precision": ev.precision, "psi_status": status}
    if not status:
        w.update(psi_y0=ev.output[0], psi_y1=ev.output[1], psi_noise=np.asarray(ev.noise.noise, dtype=np.float64))
    out = _assemble(w)
    return dataclasses.replace(out, search_seconds=secs, values={**out.values, "elapsed_s": time.perf_counter() - t0})


def _project(torch: Any, p: Any, budget: float, norm: str) -> Any:
    if norm == "linf":
        mag = p.abs()
        return p * torch.clamp(budget / torch.where(mag > 0, mag, torch.ones_like(mag)), max=1.0)
    n = p.abs().pow(2).sum().sqrt()
    return p * torch.clamp(budget / torch.where(n > 0, n, torch.ones_like(n)), max=1.0)


def _descend(pm: Any, A: Any, xv: np.ndarray, y0: np.ndarray, tv: np.ndarray, reg: np.ndarray, budget: float,
             norm: str, domain: str, kw: float, steps: int, lr: float, momentum: float, seed: int, remove: bool,
             progress: bool, dev: Any, dtype: Any) -> np.ndarray:
    """Projected heavy-ball descent; the best perturbation (float64/complex128 numpy)."""
    torch = lazy_torch()
    real_x = not np.iscomplexobj(xv)
    bar = progress_bar(steps, progress, "search_hallucination")
    try:
        with pm.session(device=dev, dtype=dtype) as f:
            rdt = f.dtype or torch.float64
            cdt = f.complex_dtype or torch.complex128
            Y0 = torch.as_tensor(y0[None], device=f.device).to(cdt if np.iscomplexobj(y0) else rdt)
            with torch.no_grad():
                P0 = f(Y0)
                if real_x and P0.is_complex():
                    P0 = P0.real
            T = torch.as_tensor(tv[None], device=f.device).to(P0.dtype)
            M = torch.as_tensor(reg[None], device=f.device).to(rdt)
            G = P0 - T if remove else P0 + T
            like = Y0 if domain == "measurement" else torch.as_tensor(xv[None], device=f.device).to(
                rdt if real_x else cdt)
            gen = torch.Generator().manual_seed(seed)
            z = torch.randn(tuple(like.shape), generator=gen, dtype=torch.float64)
            if like.is_complex():
                z = torch.complex(z, torch.randn(tuple(like.shape), generator=gen, dtype=torch.float64))
            z = z.to(device=f.device, dtype=like.dtype)
            p = _project(torch, z * (1e-3 * budget / z.abs().pow(2).sum().sqrt()), budget, norm)
            v = torch.zeros_like(p)
            best, best_p = math.inf, p.clone()

            def loss(q: Any) -> Any:
                dy = q if domain == "measurement" else A.apply(q)
                out = f(Y0 + dy)
                if real_x and out.is_complex():
                    out = out.real
                inside = (M * (out - G)).abs().pow(2).sum()
                outside = ((1 - M) * (out - P0)).abs().pow(2).sum()
                return 0.5 * inside + 0.5 * kw * outside

            for t in range(steps + 1):
                p.requires_grad_(True)
                obj = loss(p)
                (g,) = torch.autograd.grad(obj, p)
                with torch.no_grad():
                    p = p.detach()
                    o = float(obj)
                    if o < best:
                        best, best_p = o, p.clone()
                    if t == steps:
                        break
                    gn = g.abs().pow(2).sum().sqrt()
                    step = lr * budget * (1 - t / steps) / float(gn) if float(gn) > 0 else 0.0
                    v = momentum * v - step * g
                    p = _project(torch, p + v, budget, norm)
                bar.update(1)
            out = best_p.detach().cpu().numpy()[0]
    finally:
        bar.close()
    return out.astype(np.complex128 if np.iscomplexobj(out) else np.float64)


def _assemble(w: Any) -> HallucinationWitness:
    """Every value, field, outcome, rigor and message from the witness alone."""
    domain, remove = w["domain"], bool(w["remove"])
    p = np.asarray(w["perturbation"])
    y0, y1 = np.asarray(w["y0"]), np.asarray(w["y1"])
    dy, _, dy_hi = dist(y1, y0)
    rel = dy / norm2(y0)
    pn = norm2(p) if w["norm"] == "l2" else float(np.max(np.abs(p))) if p.size else 0.0
    values: dict[str, Any] = {"budget": float(w["budget"]), "norm": w["norm"], "domain": domain, "remove": remove,
                              "keep_weight": float(w["keep_weight"]), "perturbation_norm": pn,
                              "target_norm": norm2(np.asarray(w["target"])), "region_pixels": int(np.sum(w["region"])),
                              "norm_dy_upper": dy_hi, **dict(w["search"]), "psi": psi_text(w["psi"]),
                              "operator": record_text(w["operator"]), "psi_precision": str(w["psi_precision"])}
    kw: dict[str, Any] = dict(e=p if domain == "measurement" else None, r=p if domain == "image" else None,
                              relative_norm=rel)
    wit = Witness("hallucination", dict(w))
    what = "remove" if remove else "plant"
    if w["psi_status"]:
        return HallucinationWitness("hallucination", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                                    f"not certified: {w['psi_status']}", values, wit, _THEOREM, **kw)
    reg = np.asarray(w["region"], dtype=bool)
    x = np.asarray(w["x"])
    real = not np.iscomplexobj(x)
    p0 = np.real(w["psi_y0"]) if real else np.asarray(w["psi_y0"])
    p1 = np.real(w["psi_y1"]) if real else np.asarray(w["psi_y1"])
    delta = (p0 - p1) if remove else (p1 - p0)
    t_in = np.where(reg, np.asarray(w["target"]), 0)
    d_in = np.where(reg, delta, 0)
    d_out = np.where(reg, 0, delta)
    nu = np.asarray(w["psi_noise"], dtype=np.float64)
    allow = add_up(NOISE_ALLOWANCE * float(nu[0]), NOISE_ALLOWANCE * float(nu[1]))
    # ⟨d, t⟩ with its float64 error (Higham's γ_n Σ|d||t|), minus ‖t‖·(the outputs' allowance)
    prods = (np.conj(t_in) * d_in).real.reshape(-1)
    ip = float(np.sum(prods))
    err = round_up(gamma(prods.size + 2) * float(np.sum(np.abs(t_in) * np.abs(d_in))))
    nt = norm2(t_in)
    nt_lo, nt_hi = norm2_bounds(t_in)
    num = sub_down(sub_down(ip, err), round_up(allow * nt_hi))
    strength = div_down(num, round_up(nt_hi * nt_hi)) if num >= 0 else div_down(num, round_down(nt_lo * nt_lo))
    nd = norm2(d_in)
    corr = ip / (nd * nt) if nd > 0 else 0.0
    _, _, out_hi = dist(np.where(reg, 0, p1), np.where(reg, 0, p0))
    outside = add_up(out_hi, allow)
    values.update({"strength_unrounded": ip / (nt * nt), "noise_allowance": allow,
                   "outside_change_unrounded": norm2(d_out),
                   "outside_relative": norm2(d_out) / norm2(np.where(reg, 0, p0)) if np.any(np.where(reg, 0, p0))
                   else math.inf})
    kw.update(strength=strength, correlation=corr, outside_change=outside)
    desc = (f"a perturbation with ‖Δy‖/‖Ax‖ = {fmt(rel, 3)} makes Ψ {what} the detail with strength "
            f"≥ {fmt(strength, 4)} (1 = the whole target; correlation {fmt(corr, 3)}) while changing the output "
            f"outside the region by ≤ {fmt(outside, 3)}")
    if strength > 0:
        return HallucinationWitness("hallucination", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64, desc, values, wit,
                                    _THEOREM, **kw)
    return HallucinationWitness("hallucination", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                                f"not certified: no positive strength within the noise allowance ({desc})",
                                values, wit, _THEOREM, **kw)


_KEYS = {"x", "target", "region", "y0", "y1", "perturbation", "domain", "norm", "budget", "keep_weight", "remove",
         "operator", "psi", "search", "psi_precision", "psi_status"}


def verify_hallucination(result: CheckResult, *, model: Any = None) -> CheckResult:
    """Re-check a saved :class:`HallucinationWitness` from its witness, re-running the network when given.

    Always: validates the witness, re-derives ``y₀ = Ax`` (ball arithmetic) and ``y₁`` (``y₀ + e``
    exactly, or ``A(x + r)``), checks the budget, then every value, bound, the outcome, rigor and
    message from the stored outputs, compared exactly with the file. With ``model``, ``Ψ`` (rebuilt
    from the stored adapter options) is re-evaluated twice in float64 at ``y₀`` and ``y₁``: each stored
    output must lie within the noise allowance of the model's, the noise estimates must agree within a
    factor ``NOISE_ALLOWANCE``, and the strength and outside change re-derived from the model's outputs
    must confirm the saved ones (bit for bit when the re-run reproduces the stored outputs; else the
    model's strength, rounded down without the allowance, is at least the saved strength and its outside
    change, rounded up, at most the saved one). Without ``model`` the network evaluations are taken from
    the file: the verification says so and is numerical.

    Parameters
    ----------
    result : CheckResult
        A loaded ``hallucination`` result.
    model : torch.nn.Module, callable or ReconstructionMap, optional
        The network ``Ψ``.

    Theorem: docs/theory.md §3 (b).
    Rigor: the saved result's with the network re-run (never above it); numerical otherwise.
    """
    result_arg(result)
    model = model_arg(None, model)
    w = result.witness
    if not isinstance(result, HallucinationWitness) or w is None or w.kind != "hallucination":
        return CheckResult("verify:hallucination", Outcome.VIOLATED, Rigor.NUMERICAL,
                           "the saved result has no 'hallucination' witness: none of its claims can be re-derived",
                           {"problems": ("witness: missing or not of kind 'hallucination'",), "not_rechecked": ""})
    d = w.data
    chk = WitnessCheck(d)
    none_run = {"psi_reevaluated": False}
    extra = set(d) - _KEYS - {"psi_y0", "psi_y1", "psi_noise"}
    if extra or not _KEYS <= set(d):
        chk.problems.append(f"witness: fields {sorted(d)}, expected {sorted(_KEYS)} (+ Ψ outputs)")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed", values=none_run)
    rec, opts = chk.operator(), chk.options()
    domain = chk.text("domain", ("measurement", "image"))
    nrm = chk.text("norm", ("l2", "linf"))
    budget = chk.number("budget", positive=True)
    chk.number("keep_weight", minimum=0)
    if not isinstance(d["remove"], bool):
        chk.bad("remove", "expected a bool")
    x, t, y0, y1, p = (chk.array(k) for k in ("x", "target", "y0", "y1", "perturbation"))
    reg = chk.array("region", kinds="b")
    s = d["search"]
    if not isinstance(s, dict) or set(s) != {"steps", "lr", "momentum", "seed"}:
        chk.bad("search", "expected steps, lr, momentum, seed")
    else:
        sub = WitnessCheck(s, "witness['search']")
        sub.number("steps", minimum=1, integer=True)
        sub.number("lr", positive=True)
        sub.number("momentum", minimum=0, maximum=1)
        sub.number("seed", minimum=0, integer=True)
        chk.problems += sub.problems
    status, outs = chk.psi_outputs(("psi_y0", "psi_y1"), None if x is None else x.shape)
    if x is not None and (t is not None and t.shape != x.shape or reg is not None and reg.shape != x.shape):
        chk.bad("target", "target and region must have the image's shape")
    if reg is not None and not np.any(reg):
        chk.bad("region", "no pixel")
    if all(v is not None for v in (rec, x, y0, y1, p, domain, nrm, budget)) and not chk.problems:
        assert x is not None and y0 is not None and y1 is not None and p is not None and rec is not None
        chk.measurements(rec, x[None], [y0], ["y0"])
        with np.errstate(over="ignore", invalid="ignore"):
            if domain == "measurement":
                if p.shape != y0.shape or not np.array_equal(y1, y0 + p) or y1.dtype != (y0 + p).dtype:
                    chk.bad("y1", "is not y0 + e")
            elif p.shape != x.shape:
                chk.bad("perturbation", "must have the image's shape")
            else:
                chk.measurements(rec, (x + p)[None], [y1], ["y1"])
        pn = norm2(p) if nrm == "l2" else float(np.max(np.abs(p)))
        if not pn <= float(budget) * (1 + 1e-12):
            chk.bad("perturbation", f"norm {pn!r} exceeds the budget {budget!r}")
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed", values=none_run)
    problems = claim_mismatches(result, _assemble(d))
    rerun = False
    how = ""
    if model is not None and status == "" and not problems:
        assert rec is not None and opts is not None
        more, exact = _rerun(result, d, model, rec, opts)
        problems += more
        rerun = True
        how = ("; Ψ re-run twice in float64 at y0 and y1: outputs within the noise allowance, strength and outside "
               "change re-derived from the re-run outputs" + (" (bit for bit)" if exact else " (they confirm the "
                                                              "saved bounds)"))
    not_re = ["the search (a heuristic)"]
    if status == "" and not rerun:
        not_re.insert(0, "the network evaluations: Ψ's outputs and noise estimates are taken from the file, not "
                         "re-checked (pass model= to re-run the network); this verification is numerical")
    return verification(result, problems, rederived="the measurements, the budget, every value and bound, the "
                                                    "outcome, rigor and message" + how,
                        not_rechecked="; ".join(not_re), values={"psi_reevaluated": rerun},
                        rigor=Rigor.NUMERICAL if status == "" and not rerun else None)


def _rerun(result: CheckResult, d: Any, model: Any, rec: Any, opts: Any) -> tuple[list[str], bool]:
    """Re-run ``Ψ`` at ``y₀, y₁`` and re-derive the claims from its outputs: (problems, bit-identical)."""
    y0, y1 = np.asarray(d["y0"]), np.asarray(d["y1"])
    out, nu, why = fresh_outputs(model, opts, rec, np.stack([y0, y1]), scale=np.array([np.inf, np.inf]),
                                 segments=[(0, 1)] if np.any(y1 != y0) else None)
    if out is None or nu is None:
        return [why], False
    stored = [np.asarray(d["psi_y0"]), np.asarray(d["psi_y1"])]
    snu = np.asarray(d["psi_noise"])
    problems = output_problems(out, nu, stored, snu, ["witness['psi_y0'] (Ψ(Ax))", "witness['psi_y1'] (Ψ(y1))"])
    if problems:
        return problems, False
    fresh = _assemble({**dict(d), "psi_y0": out[0], "psi_y1": out[1], "psi_noise": nu})
    if bit_identical(out[0], stored[0]) and bit_identical(out[1], stored[1]) and bit_identical(nu, snu):
        return claim_mismatches(result, fresh), True
    # the model's own strength and outside change, without the noise allowance, must confirm the saved bounds
    plain = _assemble({**dict(d), "psi_y0": out[0], "psi_y1": out[1], "psi_noise": np.zeros_like(nu)})
    assert isinstance(result, HallucinationWitness)
    if not plain.strength >= result.strength:
        problems.append(f"strength: the model's outputs give {plain.strength!r} (rounded down), below the saved "
                        f"{result.strength!r}")
    if not plain.outside_change <= result.outside_change:
        problems.append(f"outside_change: the model's outputs give {plain.outside_change!r} (rounded up), above the "
                        f"saved {result.outside_change!r}")
    if fresh.outcome is not result.outcome:
        problems.append(f"outcome: the model's outputs give {fresh.outcome.value}, the file {result.outcome.value}")
    return problems, False


@register_verifier("hallucination")
def _verify_saved(result: CheckResult, model: Any = None) -> CheckResult:
    """``theorycheck verify`` of a saved hallucination (:func:`verify_hallucination`)."""
    return verify_hallucination(result, model=model)
