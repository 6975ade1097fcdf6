"""Worst-case perturbations of a reconstruction map: the stability test of docs/theory.md §4.

:func:`search_worst_perturbation` runs gradient ascent with heavy-ball momentum and exact
adjoints for the perturbation that changes ``Ψ``'s output most (penalised, or projected on
a norm budget; image or measurement domain; batches of images), then re-evaluates the best
witness twice on the CPU in float64 with ``Ψ``'s rounding noise allowed for, like the other
instability certificates. :class:`PerturbationWitness` holds the result and
:func:`verify_perturbation` (registered for ``"worst_perturbation"``) re-checks a saved one.
:mod:`theorycheck.search` re-exports these names.

Theorem: stability test of docs/theory.md §4 (seeds 000, 002); definition of ``L^ε`` in docs/theory.md §3.
Rigor: certified-float64 for the re-evaluated witness; the search itself is a heuristic (a
lower bound, never an upper bound, on ``L^ε``).
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Callable, Mapping

import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, PreconditionError
from theorycheck.instability._common import (
    add_up,
    dist,
    div_down,
    fmt,
    images_arg,
    operator_arg,
    psi_map,
    psi_text,
    row_norms,
    seed_int,
    sub_down,
)
from theorycheck.instability._operators import apply_operator, operator_record, record_op, record_text
from theorycheck.instability._proven import assumption_problems, contained, enclose_outputs, radius_norm_up
from theorycheck.instability._witness import WitnessCheck, model_arg, no_witness, reevaluate, result_arg
from theorycheck.nets._adapter_common import NOISE_ALLOWANCE, NOISE_SAFETY
from theorycheck.numerics.backend import lazy_torch, resolve_device
from theorycheck.numerics.parallel import progress_bar
from theorycheck.numerics.rounding import norm2
from theorycheck.numerics.validation import bool_arg, choice_arg, integer_arg, real_arg, refuse_size
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

__all__ = ["PerturbationWitness", "search_worst_perturbation", "verify_perturbation"]

_SEARCH_THEOREM = "stability test (docs/theory.md §4); L^ε of docs/theory.md §3"


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
        ``(‖Ψ(y₁) − Ψ(y₀)‖ − 16(ν₀ + ν₁))/‖y₁ − y₀‖`` rounded down, with
        ``y₀ = Ax``, ``y₁ = A(x + r)`` (or ``Ax + e``) and ``ν`` the estimated
        rounding noise of each output: a lower bound on ``L^ε(Ψ, y₀)`` for every
        ``ε ≥ ‖y₁ − y₀‖`` (0 for an image whose change is within 32 times its
        noise, ``values["certified"]`` False).
    norm_r : float or numpy.ndarray
        ``‖r‖`` (``‖e‖`` in the measurement domain).
    norm_Ar : float or numpy.ndarray
        ``‖y₁ − y₀‖`` (``values["norm_Ar_upper"]``: rounded up, the ``ε`` threshold).
    output_change : float or numpy.ndarray
        ``‖Ψ(y₁) − Ψ(y₀)‖``.
    trace : dict
        Every ``record_every`` steps: ``step``, ``restart``, ``objective``,
        ``output_change``, ``norm`` (per image).
    domain, reference : str

    Theorem: definition of ``L^ε`` (docs/theory.md §3); stability test (docs/theory.md §4).
    Rigor: certified-float64 when ``outcome`` is ``holds`` (Ψ re-evaluated twice on
    the CPU in float64, its rounding noise allowed for); numerical otherwise.
    """

    #: how long the ascent took (not a claim)
    informational = frozenset({"elapsed_s", "ascent_seconds"})

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
        """The witness of image ``i`` of a batch (self when not batched), re-assembled from its data.

        Theorem: definition of ``L^ε`` (docs/theory.md §3).
        Rigor: the batch's, per image (an image whose change is within its noise is inconclusive).
        """
        if not self.batched:
            return self
        i = integer_arg(i, "i", minimum=0)
        if i >= self.ratio.size:
            raise InvalidArgument(f"image {i} of a batch of {self.ratio.size}")
        if self.witness is None or self.witness.kind != "perturbation":
            raise InvalidArgument("this result has no witness to take an image from")
        out = _assemble_perturbation(_slice_witness(self.witness.data, i))
        extra = {k: v for k, v in self.values.items() if k in self.informational}
        return dataclasses.replace(out, values={**out.values, **extra}) if extra else out


def _slice_witness(w: Mapping[str, Any], i: int) -> dict[str, Any]:
    """The witness data of image ``i`` of a batched witness."""
    out = dict(w)
    out["batched"] = False
    for k in ("x", "perturbation", "y0", "y1", "psi_y0", "psi_y1", "search_change"):
        if k in w:
            out[k] = np.asarray(w[k])[i]
    for k in ("psi_center", "psi_radius"):
        if k in w:
            out[k] = np.asarray(w[k])[:, i]
    if "psi_noise" in w:
        out["psi_noise"] = np.asarray(w["psi_noise"])[:, i]
    out["trace"] = {k: (np.asarray(v)[:, i] if np.asarray(v).ndim == 2 else v) for k, v in w["trace"].items()}
    search = dict(w["search"])
    if isinstance(search.get("lam"), np.ndarray):
        search["lam"] = float(search["lam"][i])
    out["search"] = search
    return out


def _bnorm(t: Any) -> Any:
    """Per-sample Euclidean norms of a torch batch (real result)."""
    return t.reshape(t.shape[0], -1).abs().pow(2).sum(1).sqrt()


def _bshape(v: Any, ndim: int) -> Any:
    """A per-sample vector shaped to broadcast over a batch of ``ndim`` dimensions."""
    return v.reshape((-1,) + (1,) * (ndim - 1))


def search_worst_perturbation(
    psi: Any, A: Any, x: Any, *, domain: str = "image", reference: str = "prediction",
    lam: float | None = None, budget: float | None = None, steps: int = 200, lr: float | None = None,
    momentum: float = 0.9, restarts: int = 1, seed: Any = None, device: Any = None, dtype: Any = None,
    init_scale: float | None = None, max_norm: float | None = None,
    callback: Callable[["PerturbationWitness"], Any] | None = None, progress: bool = True,
    record_every: int = 10, certify: bool | str = True,
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
        torch function). On CUDA the certificate's float64 re-evaluation runs
        there too (a fresh float64 copy, deterministic cuDNN, TF32 off), and on
        the CPU when that is not usable (outputs not bit-identical, not finite,
        an error); ``values["psi_device"]`` says which, and the message why a
        CUDA evaluation fell back.
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
    certify : {"float64", "proven", "auto"} or bool
        ``"float64"`` (or True): re-evaluate the best witness twice in float64 (certified-float64);
        ``"proven"``: enclose ``Ψ``'s exact outputs at ``y₀``, ``y₁`` (:func:`theorycheck.nets.enclose`)
        and bound the ratio by ``(‖c₁ − c₀‖ − ‖r₀ + r₁‖)/‖y₁ − y₀‖`` rounded down (proven; an
        unsupported layer raises :class:`~theorycheck.errors.PreconditionError` naming it);
        ``"auto"``: proven when the enclosure succeeds and certifies a ratio, else float64 with the
        reason in ``values["rigor_note"]``; False: leave the witness numerical.

    Returns
    -------
    PerturbationWitness

    Theorem: stability test of docs/theory.md §4; ``L^ε(Ψ, y) ≥ ‖Ψ(z) − Ψ(y)‖/‖z − y‖``
    for ``‖z − y‖ ≤ ε`` (definition, docs/theory.md §3).
    Rigor: certified-float64 (ratio re-evaluated twice in float64, on the CPU or the search's CUDA device;
    inconclusive with the reason when the evaluations differ or are not finite).
    """
    torch = lazy_torch()
    opt = _search_options(domain=domain, reference=reference, lam=lam, budget=budget, steps=steps, lr=lr,
                          momentum=momentum, restarts=restarts, seed=seed, dtype=dtype, init_scale=init_scale,
                          max_norm=max_norm, callback=callback, progress=progress, record_every=record_every,
                          certify=certify)
    A = operator_arg(A)
    xv = images_arg(x, A, "x", batch=True)
    batched = xv.shape != tuple(A.in_shape)
    xb = xv if batched else xv[None]
    refuse_size(float(xb.size) * max(A.shape), 2 ** 34, "the batch of images", "search fewer images at once")
    _refuse_zero_operator(A, xb)
    pm = psi_map(psi, A)
    if not pm.differentiable:
        raise InvalidArgument(
            "search_worst_perturbation needs a torch-differentiable Ψ: pass a torch.nn.Module, or "
            "as_reconstruction_map(f, backend='torch') for a torch function (use "
            "check_random_noise for a black box)")
    dev = _search_device(torch, pm, device)
    with pm.session(device=dev, dtype=opt.dtype) as f:
        ascent = _Ascent(torch, f, A, xb, opt, batched)
        ascent.run()
        r_best, lam_used, change_ws, precision_ws = ascent.best()
    trace = _trace(ascent.trace_rows, batched)
    wide = np.complex128 if np.iscomplexobj(r_best) else np.float64
    r64 = r_best.astype(wide)
    search = {
        "budget": opt.budget, "lam": (lam_used if batched or lam_used is None else float(lam_used[0])),
        "steps": opt.steps, "restarts": opt.restarts, "momentum": float(opt.momentum), "lr": opt.lr,
        "seed": opt.seed, "init_scale": opt.init_scale, "max_norm": opt.max_norm, "record_every": opt.record_every,
        "device": str(dev), "search_precision": precision_ws, "interrupted": ascent.interrupted,
        "steps_done": ascent.steps_done,
    }
    out = _certified(pm, A, xb, r64, opt.domain, opt.reference, batched, search, trace, opt.certify, change_ws,
                     dev)
    return dataclasses.replace(out, values={**out.values, "ascent_seconds": ascent.seconds})


@dataclasses.dataclass(frozen=True)
class _SearchOptions:
    """The validated options of :func:`search_worst_perturbation`."""

    domain: str
    reference: str
    lam: float | None
    budget: float | None
    steps: int
    lr: float | None
    momentum: float
    restarts: int
    seed: int
    dtype: Any
    init_scale: float | None
    max_norm: float | None
    callback: Callable[[PerturbationWitness], Any] | None
    progress: bool
    record_every: int
    certify: str


def _optional_real(value: Any, name: str, allow_zero: bool = False) -> float | None:
    return None if value is None else real_arg(value, name, allow_zero=allow_zero)


def _search_options(*, domain: Any, reference: Any, lam: Any, budget: Any, steps: Any, lr: Any, momentum: Any,
                    restarts: Any, seed: Any, dtype: Any, init_scale: Any, max_norm: Any, callback: Any,
                    progress: Any, record_every: Any, certify: Any) -> _SearchOptions:
    """Validate the search's arguments (refused with the reason, before any work)."""
    torch = lazy_torch()
    steps = integer_arg(steps, "steps")
    restarts = integer_arg(restarts, "restarts")
    record_every = integer_arg(record_every, "record_every")
    refuse_size(float(steps) * restarts, 1e8, "the number of ascent steps", "lower steps or restarts")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
        raise InvalidArgument(f"momentum must lie in [0, 1), got {momentum!r}")
    if callback is not None and not callable(callback):
        raise InvalidArgument("callback must be a callable (or None)")
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise InvalidArgument(f"dtype must be a real torch floating dtype (e.g. torch.float32), got {dtype!r}")
    return _SearchOptions(
        domain=choice_arg(domain, "domain", ("image", "measurement")),
        reference=choice_arg(reference, "reference", ("prediction", "truth")),
        lam=_optional_real(lam, "lam", allow_zero=True), budget=_optional_real(budget, "budget"), steps=steps,
        lr=_optional_real(lr, "lr"), momentum=momentum, restarts=restarts, seed=seed_int(seed), dtype=dtype,
        init_scale=_optional_real(init_scale, "init_scale"), max_norm=_optional_real(max_norm, "max_norm"),
        callback=callback, progress=bool_arg(progress, "progress"), record_every=record_every,
        certify=_certify_arg(certify))


def _certify_arg(certify: Any) -> str:
    """``certify=``: True/"float64" → "float64", False → "off", "proven", "auto"."""
    if isinstance(certify, (bool, np.bool_)):
        return "float64" if bool_arg(certify, "certify") else "off"
    if isinstance(certify, str) and certify in ("float64", "proven", "auto"):
        return certify
    raise InvalidArgument(f"certify={certify!r}: use 'float64' (or True), 'proven', 'auto' or False")


def _search_device(torch: Any, pm: Any, device: Any) -> Any:
    """Where the ascent runs: the given device (CPU or an available CUDA device), else CUDA when
    available for a module without a device of its own, else the map's device or the CPU."""
    if device is None:
        return resolve_device(None) if pm.is_module and pm.device is None else (pm.device or torch.device("cpu"))
    dev = resolve_device(device)  # refuses devices that are not present
    if dev.type not in ("cpu", "cuda"):
        raise InvalidArgument(f"device {device!r}: use 'cpu' or 'cuda'")
    return dev


class _Ascent:
    """Heavy-ball gradient ascent on ``Q`` (penalised, or projected on ``‖r‖ ≤ budget``), keeping the
    best iterate per image; the state lives on the session's device in its dtype."""

    def __init__(self, torch: Any, f: Any, A: Any, xb: np.ndarray, opt: _SearchOptions, batched: bool) -> None:
        self.torch, self.f, self.A, self.opt, self.batched = torch, f, A, opt, batched
        self.rdt = f.dtype or torch.float64  # a plain torch function gets float64 unless told otherwise
        cdt = f.complex_dtype or torch.complex128
        xt = torch.as_tensor(xb, device=f.device).to(cdt if np.iscomplexobj(xb) else self.rdt)
        with torch.no_grad():
            self.y0 = A.apply(xt)
            self.p0 = f(self.y0)
        self.ref = self.p0 if opt.reference == "prediction" else xt
        self.like = xt if opt.domain == "image" else self.y0
        self.nd = self.like.dim()
        base = _bnorm(self.like).to(self.rdt)
        base = torch.where(base > 0, base, torch.ones_like(base))
        self.cap = (torch.full_like(base, opt.budget) if opt.budget is not None
                    else torch.full_like(base, opt.max_norm) if opt.max_norm is not None else 0.1 * base)
        self.r0n = (torch.full_like(base, opt.init_scale) if opt.init_scale is not None
                    else 0.1 * self.cap if opt.budget is not None else 1e-3 * base)
        self.gen = torch.Generator().manual_seed(opt.seed)
        self.lam_t: Any = None if opt.budget is not None else (
            torch.full_like(base, opt.lam) if opt.lam is not None else None)
        B = xb.shape[0]
        self.best_obj = torch.full((B,), -math.inf, dtype=self.rdt, device=f.device)
        self.best_r = torch.zeros_like(self.like)
        self.best_change = torch.zeros_like(self.best_obj)
        self.trace_rows: list[tuple] = []
        self.steps_done = 0
        self.interrupted = False
        self.seconds = 0.0

    def start(self) -> Any:
        """A random start of norm ``‖r₀‖`` (drawn on the CPU: the same start on any device)."""
        torch, like = self.torch, self.like
        z = torch.randn(tuple(like.shape), generator=self.gen, dtype=torch.float64)
        if like.is_complex():
            z = torch.complex(z, torch.randn(tuple(like.shape), generator=self.gen, dtype=torch.float64))
        z = z.to(device=self.f.device, dtype=like.dtype)
        return z * _bshape(self.r0n / _bnorm(z).to(self.rdt), self.nd)

    def forward(self, r: Any) -> tuple[Any, Any]:
        """``½‖Ψ(y₀ + Δy) − ref‖²`` per image and the output change ``‖Ψ(y₀ + Δy) − Ψ(y₀)‖``."""
        dy = self.A.apply(r) if self.opt.domain == "image" else r
        out = self.f(self.y0 + dy)
        # ½‖·‖² without the square root: its gradient at a zero difference is 0, not 0·∞ = NaN
        diff = (out - self.ref).reshape(out.shape[0], -1)
        fit = 0.5 * (diff.real ** 2 + diff.imag ** 2 if diff.is_complex() else diff ** 2).sum(1)
        with self.torch.no_grad():
            change = _bnorm(out - self.p0)
        return fit, change

    def snapshot(self) -> PerturbationWitness:
        """The best-so-far witness (numerical, not re-evaluated) for callbacks."""
        rr = self.best_r.detach().cpu().numpy()
        return _numerical_witness(rr if self.batched else rr[0], self.opt.domain, self.opt.reference,
                                  self.best_change.cpu().numpy(), self.batched)

    def run(self) -> None:
        """Every restart, with a progress bar; Ctrl-C or a callback returning True keeps the best so far."""
        bar = progress_bar(self.opt.steps * self.opt.restarts, self.opt.progress, "search_worst_perturbation")
        t0 = time.perf_counter()
        try:
            for rs in range(self.opt.restarts):
                self.restart(rs, bar)
        except (KeyboardInterrupt, StopIteration) as exc:
            self.interrupted = isinstance(exc, KeyboardInterrupt)
        finally:
            self.seconds = time.perf_counter() - t0
            bar.close()

    def restart(self, rs: int, bar: Any) -> None:
        """One restart: ``steps`` ascent steps from a random start."""
        torch, opt = self.torch, self.opt
        r = self.start()
        v = torch.zeros_like(r)
        lr_t = None
        if self.lam_t is None and opt.budget is None:  # λ = squared gain of the random start
            with torch.no_grad():
                _, ch0 = self.forward(r)
                self.lam_t = (ch0 / _bnorm(r).to(self.rdt)) ** 2
        for it in range(opt.steps):
            r.requires_grad_(True)
            fit, change = self.forward(r)
            rr = r.reshape(r.shape[0], -1)
            sq_r = (rr.real ** 2 + rr.imag ** 2 if rr.is_complex() else rr ** 2).sum(1)
            obj = fit if opt.budget is not None else fit - 0.5 * self.lam_t * sq_r
            (g,) = torch.autograd.grad(obj.sum(), r)
            with torch.no_grad():
                r = r.detach()
                o = obj.detach()
                rn_eval = _bnorm(r).to(self.rdt)
                self.keep_best(o, change.detach(), r)
                r, v, lr_t = self.step(r, v, g, lr_t)
            self.steps_done += 1
            bar.update(1)
            if (it + 1) % opt.record_every == 0 or it == opt.steps - 1:
                self.trace_rows.append((self.steps_done, rs, o, change.detach(), rn_eval))
                if opt.callback is not None and opt.callback(self.snapshot()) is True:
                    raise StopIteration

    def keep_best(self, o: Any, change: Any, r: Any) -> None:
        """Keep, per image, the iterate with the largest objective."""
        torch = self.torch
        better = o > self.best_obj
        self.best_obj = torch.where(better, o, self.best_obj)
        self.best_change = torch.where(better, change, self.best_change)
        self.best_r = torch.where(_bshape(better, self.nd), r, self.best_r)

    def step(self, r: Any, v: Any, g: Any, lr_t: Any) -> tuple[Any, Any, Any]:
        """One heavy-ball step ``v ← γv + step``, ``r ← r + v``, then ``r`` projected onto ``‖r‖ ≤ cap``."""
        torch, opt, nd = self.torch, self.opt, self.nd
        gn = _bnorm(g).to(self.rdt)
        gn = torch.where(gn > 0, gn, torch.ones_like(gn))
        if opt.budget is not None:
            step = g * _bshape((opt.lr if opt.lr is not None else 0.05) * self.cap / gn, nd)
        else:
            if lr_t is None:
                lr_t = torch.full_like(gn, opt.lr) if opt.lr is not None else 0.1 * self.r0n / gn
            step = g * _bshape(lr_t, nd)
        v = opt.momentum * v + step
        r = r + v
        rn = _bnorm(r).to(self.rdt)
        r = r * _bshape(torch.clamp(self.cap / torch.where(rn > 0, rn, torch.ones_like(rn)), max=1.0), nd)
        return r, v, lr_t

    def best(self) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, str]:
        """The best perturbation, the ``λ`` used, the change seen by the search and its precision (numpy)."""
        r_best = self.best_r.detach().cpu().numpy()
        lam_used = None if self.lam_t is None else self.lam_t.detach().cpu().numpy().astype(float)
        change_ws = self.best_change.detach().cpu().numpy().astype(float)
        return r_best, lam_used, change_ws, str(self.rdt).replace("torch.", "")


def _refuse_zero_operator(A: Any, xb: np.ndarray) -> None:
    """A zero operator has no measurements to perturb: say so (instead of blaming x)."""
    rng = np.random.default_rng(0)
    probe = rng.standard_normal(xb.shape[1:])
    if A.is_complex or np.iscomplexobj(xb):
        probe = probe + 1j * rng.standard_normal(xb.shape[1:])
    with np.errstate(all="ignore"):
        Ap = np.asarray(A.apply(probe))
    if Ap.size and not np.any(Ap):
        raise InvalidArgument("A is the zero operator: every image has the measurements 0, so no perturbation "
                              "changes Ψ's input; pass the sampling operator")
    if not np.all(np.isfinite(Ap)):
        raise InvalidArgument("A·x overflows float64 on a random image: rescale A")


def _trace(rows: list[tuple], batched: bool) -> dict[str, np.ndarray]:
    """The recorded rows as arrays (per image columns when batched)."""
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
    norm = row_norms(r if batched else r[None])
    ch = change if batched else float(change[0])
    return PerturbationWitness(
        "worst_perturbation", Outcome.INCONCLUSIVE, Rigor.NUMERICAL, "best so far (not re-evaluated)",
        r=r if domain == "image" else None, e=r if domain == "measurement" else None,
        norm_r=norm if batched else float(norm[0]), output_change=ch, domain=domain, reference=reference)


def _certified(pm: Any, A: Any, xb: np.ndarray, r64: np.ndarray, domain: str, reference: str,
               batched: bool, search: dict, trace: dict, certify: str,
               change_ws: np.ndarray, device: Any = None) -> PerturbationWitness:
    """Measure, re-evaluate the best perturbation twice in float64 (with its rounding noise) on the
    search's CUDA device when usable, else the CPU, and assemble the witness."""
    rec = operator_record(A)
    Y0 = apply_operator(A, xb)
    with np.errstate(over="ignore", invalid="ignore"):
        Y1 = apply_operator(A, xb + r64) if domain == "image" else Y0 + r64
    if not (np.all(np.isfinite(Y0)) and np.all(np.isfinite(Y1))):
        raise InvalidArgument("A·x overflows float64: rescale A or the images")
    sq = (lambda a: a) if batched else (lambda a: a[0])
    w: dict[str, Any] = {
        "x": sq(xb), "perturbation": sq(r64), "domain": domain, "reference": reference, "batched": batched,
        "y0": sq(Y0), "y1": sq(Y1), "operator": rec, "psi": pm.options(), "search": search, "trace": trace,
        "search_change": sq(np.asarray(change_ws, dtype=np.float64)), "certify": certify != "off",
        "psi_precision": "", "psi_status": "not re-evaluated in float64 (certify=False)",
        "rigor_mode": "certified-float64", "rigor_note": ""}
    note = ""
    if certify in ("proven", "auto"):
        try:
            c, r, assumptions = enclose_outputs(pm, np.concatenate([Y0, Y1]))
            B = xb.shape[0]
            if c.shape[1:] != xb.shape[1:]:
                raise InvalidArgument(f"Ψ returns shape {c.shape[1:]}, the images have shape {xb.shape[1:]}")
            wp = {**w, "psi_precision": "enclosure", "psi_status": "", "rigor_mode": "proven",
                  "psi_center": np.stack([sq(c[:B]), sq(c[B:])]), "psi_radius": np.stack([sq(r[:B]), sq(r[B:])]),
                  "psi_assumptions": assumptions}
            out = _assemble_perturbation(wp)
            if certify == "proven" or out.holds:
                return out
            note = f"the proven enclosures do not certify a ratio ({out.message})"
        except (PreconditionError, InsufficientPrecision) as exc:
            if certify == "proven":
                raise
            note = f"no proven enclosure of Ψ: {exc}"
        w["rigor_note"] = note[:1500]
    if certify != "off":
        B = xb.shape[0]
        dy = np.array([norm2(Y1[i] - Y0[i]) for i in range(B)])
        scale = np.where(dy > 0, dy, np.inf)
        # each sample alone (evaluate_float64): the batched search may be batch-dependent
        cuda = device is not None and getattr(device, "type", "cpu") == "cuda"
        ev = pm.evaluate_float64(np.concatenate([Y0, Y1]), noise=True, noise_scale=np.concatenate([scale, scale]),
                                 noise_segments=[(i, B + i) for i in range(B) if dy[i] > 0],
                                 device=device if cuda else None)
        if cuda:  # where the float64 outputs came from, and why not CUDA when it fell back
            w["psi_device"], w["psi_device_note"] = ev.device, ev.fallback[:1500]
        w["psi_precision"] = ev.precision
        w["psi_status"] = ev.reason if ev.reason or ev.ok else "Ψ's float64 evaluation is not usable"
        if not w["psi_status"]:
            w.update(psi_y0=sq(ev.output[:B]), psi_y1=sq(ev.output[B:]),
                     psi_noise=np.asarray(ev.noise.noise, dtype=np.float64).reshape(2, B)[:, 0 if not batched
                                                                                        else slice(None)])
    return _assemble_perturbation(w)


def _assemble_perturbation(w: Mapping[str, Any]) -> PerturbationWitness:
    """Every value, field, outcome, rigor and message of a search result from its witness."""
    batched, domain, reference = bool(w["batched"]), w["domain"], w["reference"]
    lift = (lambda a: np.asarray(a)) if batched else (lambda a: np.asarray(a)[None])
    xb, rb, Y0, Y1 = lift(w["x"]), lift(w["perturbation"]), lift(w["y0"]), lift(w["y1"])
    B = xb.shape[0]
    dists = [dist(Y1[i], Y0[i]) for i in range(B)]
    dy = np.array([t[0] for t in dists])
    dy_hi = np.array([t[2] for t in dists])
    norm_r = np.array([norm2(rb[i]) for i in range(B)])
    one = (lambda a: np.asarray(a)) if batched else (lambda a: float(np.asarray(a)[0]))
    search = dict(w["search"])
    values: dict[str, Any] = {**search, "psi_precision": str(w["psi_precision"]), "psi": psi_text(w["psi"]),
                              "psi_device": str(w.get("psi_device", "cpu")),
                              "operator": record_text(w["operator"]), "norm_Ar_upper": one(dy_hi),
                              "search_change": (np.asarray(w["search_change"]) if batched
                                                else float(w["search_change"])),
                              "rigor_mode": str(w.get("rigor_mode", "certified-float64")),
                              "rigor_note": str(w.get("rigor_note", ""))}
    wit = Witness("perturbation", dict(w))
    kw = dict(r=w["perturbation"] if domain == "image" else None,
              e=w["perturbation"] if domain == "measurement" else None,
              norm_r=one(norm_r), norm_Ar=one(dy), domain=domain, reference=reference, trace=dict(w["trace"]))
    status = w["psi_status"]
    if status:
        ch = lift(w["search_change"])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(dy > 0, ch / np.where(dy > 0, dy, 1.0), 0.0)
        return PerturbationWitness(
            "worst_perturbation", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
            status if status.startswith("not re-evaluated") else f"not certified: {status}", values, wit,
            _SEARCH_THEOREM, ratio=one(ratio), output_change=one(ch), **kw)
    proven = w.get("rigor_mode", "certified-float64") == "proven"
    if proven:
        cen, rad = np.asarray(w["psi_center"]), np.asarray(w["psi_radius"])
        p0, p1, r0, r1 = lift(cen[0]), lift(cen[1]), lift(rad[0]), lift(rad[1])
        nu = np.zeros((2, B))
    else:
        p0, p1 = lift(w["psi_y0"]), lift(w["psi_y1"])
        nu = np.asarray(w["psi_noise"]).reshape(2, -1)
    change, ratios, unrounded, ok, allowances = [], [], [], [], []
    for i in range(B):
        C, C_lo, _ = dist(p1[i], p0[i])
        if proven:  # (‖c₁ − c₀‖ − ‖r₀ + r₁‖)/‖y₁ − y₀‖, outward rounded
            allow = radius_norm_up(r0[i], r1[i])
            C_lo_n = sub_down(C_lo, allow)
            good = bool(C_lo_n > 0 and dists[i][1] > 0 and math.isfinite(dy_hi[i]))
        else:
            allow = add_up(NOISE_ALLOWANCE * float(nu[0, i]), NOISE_ALLOWANCE * float(nu[1, i]))
            C_lo_n = sub_down(C_lo, allow)
            good = bool(C_lo > add_up(NOISE_SAFETY * float(nu[0, i]), NOISE_SAFETY * float(nu[1, i]))
                        and dists[i][1] > 0 and math.isfinite(dy_hi[i]))
        change.append(C)
        allowances.append(allow)
        unrounded.append(C / dy[i] if dy[i] > 0 else 0.0)
        ratios.append(div_down(C_lo_n, dy_hi[i]) if good and C_lo_n > 0 else 0.0)
        ok.append(good)
    ratio = np.array(ratios)
    values.update({"error_vs_truth": one(np.array([norm2(p1[i] - xb[i]) for i in range(B)])),
                   "ratio_unrounded": one(np.array(unrounded)), "noise_allowance": one(np.array(allowances)),
                   "certified": (np.array(ok) if batched else bool(ok[0]))})
    if proven:
        values["enclosure_assumptions"] = str(w["psi_assumptions"])
    tail = ("; proven: Ψ's exact outputs enclosed (theorycheck.nets.enclose), the ratio "
            "(‖c₁ − c₀‖ − ‖r₀ + r₁‖)/‖y₁ − y₀‖ rounded down" if proven else
            (f"; certified-float64 instead of proven: {w['rigor_note']}" if w.get("rigor_note") else ""))
    if not proven and "psi_device" in w:
        tail += (f"; Ψ evaluated in float64 on {w['psi_device']}"
                 + (f" ({w['psi_device_note']})" if w.get("psi_device_note") else ""))
    sym = "r" if domain == "image" else "e"
    if any(ok):
        k = int(np.argmax(ratio))
        msg = (f"L^ε(Ψ, Ax) ≥ {fmt(ratio[k])} for ε ≥ ‖Δy‖ = {fmt(dy_hi[k], 3)}: a perturbation with "
               f"‖{sym}‖ = {fmt(norm_r[k], 3)} changes Ψ's output by {fmt(change[k], 4)}"
               + (f" (image {k} of {B}; {sum(ok)} of {B} certified, per-image values in arrays)" if batched
                  else ""))
        if search.get("interrupted"):
            msg += "; search interrupted, best so far"
        msg += tail
        return PerturbationWitness("worst_perturbation", Outcome.HOLDS,
                                   Rigor.PROVEN if proven else Rigor.CERTIFIED_FLOAT64, msg, values,
                                   wit, _SEARCH_THEOREM, ratio=one(ratio), output_change=one(np.array(change)), **kw)
    k = int(np.argmax(unrounded))
    if not dists[k][1] > 0:
        why = "the perturbation does not change the measurements (Δy = 0): no ratio"
    elif proven:
        why = (f"the enclosures of Ψ(y₀) and Ψ(y₁) overlap (output change {fmt(change[k], 4)}, radii "
               f"‖r₀ + r₁‖ ≤ {fmt(allowances[k], 3)}): pass a larger budget")
    else:
        why = (f"the output change {fmt(change[k], 4)} is within {NOISE_SAFETY:g} times Ψ's estimated float64 rounding "
               f"noise ({fmt(nu[0, k], 3)} + {fmt(nu[1, k], 3)}; a jump of Ψ inside the perturbation's segment "
               "counts as noise): pass a larger budget")
    return PerturbationWitness("worst_perturbation", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                               f"not certified: {why}" + (f" (image {k} of {B})" if batched else "") + tail,
                               values, wit,
                               _SEARCH_THEOREM, ratio=one(ratio), output_change=one(np.array(change)), **kw)


_SEARCH_KEYS = {"budget", "lam", "steps", "restarts", "momentum", "lr", "seed", "init_scale", "max_norm",
                "record_every", "device", "search_precision", "interrupted", "steps_done"}
_WITNESS_KEYS = {"x", "perturbation", "domain", "reference", "batched", "y0", "y1", "operator", "psi", "search",
                 "trace", "search_change", "certify", "psi_precision", "psi_status"}


def _search_problems(chk: WitnessCheck, search: Any, trace: Any, B: int, batched: bool) -> None:
    """Check the stored search options and trace (types, ranges, shapes)."""
    if not isinstance(search, dict) or set(search) != _SEARCH_KEYS:
        chk.bad("search", f"expected the fields {sorted(_SEARCH_KEYS)}")
        return
    sub = WitnessCheck(search, "witness['search']")
    for k in ("budget", "lr", "init_scale", "max_norm"):
        sub.number(k, positive=True, none=True)
    for k in ("steps", "restarts", "record_every"):
        sub.number(k, minimum=1, integer=True)
    sub.number("steps_done", minimum=0, integer=True)
    sub.number("seed", minimum=0, integer=True)
    sub.number("momentum", minimum=0, maximum=1)
    sub.text("device")
    sub.text("search_precision")
    if not isinstance(search["interrupted"], bool):
        sub.bad("interrupted", "expected a bool")
    lam = search["lam"]
    if lam is not None:
        if batched:
            sub.array("lam", shape=(B,), kinds="f")
        else:
            sub.number("lam", minimum=0)
    chk.problems += sub.problems
    if not isinstance(trace, dict) or (trace and set(trace) != {"step", "restart", "objective",
                                                                 "output_change", "norm"}):
        chk.bad("trace", "expected the fields step, restart, objective, output_change, norm")
        return
    sub = WitnessCheck(trace, "witness['trace']")
    for k in trace:
        v = sub.array(k, kinds="iuf", finite=False)
        if v is not None and (v.shape[0] != np.asarray(trace["step"]).shape[0] or
                              (k in ("objective", "output_change", "norm") and batched and v.shape[1:] != (B,))):
            sub.bad(k, "inconsistent shape")
    chk.problems += sub.problems


def verify_perturbation(result: CheckResult, psi: Any = None, *, model: Any = None) -> CheckResult:
    """Re-check a saved :class:`PerturbationWitness` from its witness.

    Validates the witness, re-derives ``y₀ = Ax`` and ``y₁ = A(x + r)`` (``Ax + e``)
    bit for bit (ball arithmetic on the stored operator), then every norm, output
    change, noise allowance, ratio, the outcome, rigor and message, and compares
    them exactly with the file; with ``model`` (module, callable or
    ReconstructionMap; the map is rebuilt with the stored adapter options) ``Ψ`` is
    re-evaluated in float64 and must agree within the noise allowance.

    Theorem: definition of ``L^ε`` (docs/theory.md §3).
    Rigor: the saved result's (never above it).
    """
    model = model_arg(psi, model)
    result_arg(result)
    name = "verify:worst_perturbation"
    w = result.witness
    if not isinstance(result, PerturbationWitness) or w is None or w.kind != "perturbation":
        return no_witness(name, result, "perturbation")
    d = w.data
    chk = WitnessCheck(d)
    extra = set(d) - _WITNESS_KEYS - {"psi_y0", "psi_y1", "psi_noise", "rigor_mode", "rigor_note", "psi_center",
                                      "psi_radius", "psi_assumptions", "psi_device", "psi_device_note"}
    if extra or not _WITNESS_KEYS <= set(d):
        chk.problems.append(f"witness: fields {sorted(d)}, expected {sorted(_WITNESS_KEYS)} (+ Ψ outputs)")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    rec, opts = chk.operator(), chk.options()
    domain = chk.text("domain", ("image", "measurement"))
    chk.text("reference", ("prediction", "truth"))
    batched = d["batched"]
    if not isinstance(batched, bool) or not isinstance(d["certify"], bool):
        chk.bad("batched", "batched and certify must be bools")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    x = chk.array("x")
    y0, y1 = chk.array("y0"), chk.array("y1")
    pert = chk.array("perturbation")
    change = chk.array("search_change", kinds="f", finite=False) if batched else chk.number("search_change")
    status, prec = chk.text("psi_status"), chk.text("psi_precision")
    B = (x.shape[0] if (x is not None and x.ndim >= 1) else 0) if batched else 1
    if batched and (x is None or B < 1):
        chk.bad("x", "a batch of at least one image is required")
    _search_problems(chk, d["search"], d["trace"], B, batched)
    if batched and change is not None and change.shape != (B,):
        chk.bad("search_change", f"shape {change.shape}, expected ({B},)")
    if d["certify"] is False and status != "not re-evaluated in float64 (certify=False)":
        chk.bad("psi_status", "a search run with certify=False is not re-evaluated")
    outs: list = []
    mode = chk.text("rigor_mode", ("certified-float64", "proven")) if "rigor_mode" in d else "certified-float64"
    if "rigor_note" in d:
        chk.text("rigor_note")
        if mode == "proven" and d["rigor_note"] != "":
            chk.bad("rigor_note", "a proven result has no fallback note")
    proven = mode == "proven"
    if proven:
        if prec != "enclosure" or status != "" or d["certify"] is not True:
            chk.bad("psi_precision", "a proven result stores enclosures (psi_precision 'enclosure', empty status)")
        if any(k in d for k in ("psi_y0", "psi_y1", "psi_noise")):
            chk.problems.append("witness: float64 outputs stored for a proven result")
        full = None if x is None else (2,) + tuple(x.shape)
        chk.array("psi_center", shape=full)
        rr = chk.array("psi_radius", shape=full, kinds="f")
        if rr is not None and not bool(np.all(rr >= 0)):
            chk.bad("psi_radius", "negative radius")
        chk.text("psi_assumptions")
    elif any(k in d for k in ("psi_center", "psi_radius", "psi_assumptions")):
        chk.problems.append("witness: enclosures stored for a certified-float64 result")
    # a float64 re-evaluation of a search on CUDA records where it ran (and why not there), no other result
    searched = d["search"].get("device") if isinstance(d["search"], dict) else None
    on_cuda = isinstance(searched, str) and searched.startswith("cuda")
    if ("psi_device" in d) != ("psi_device_note" in d):
        chk.problems.append("witness: psi_device and psi_device_note are stored together")
    elif ("psi_device" in d) != (on_cuda and d["certify"] is True and not proven):
        chk.bad("psi_device", f"recorded exactly when a search on CUDA is re-evaluated in float64 (search device "
                              f"{searched!r}, certify {d['certify']!r}, rigor mode {mode!r})")
    elif "psi_device" in d:
        where = chk.text("psi_device", ("cpu", "cuda"))
        note = chk.text("psi_device_note")
        if where is not None and note is not None and (where == "cpu") != (note != ""):
            chk.bad("psi_device_note", "a CPU evaluation asked for CUDA says why (a fallback), a CUDA one has no note")
    if proven:
        pass
    elif status == "":
        if prec != "float64":
            chk.bad("psi_precision", "a certified evaluation must be float64")
        outs = [chk.array(k, shape=None if x is None else x.shape) for k in ("psi_y0", "psi_y1")]
        nu = chk.array("psi_noise", kinds="f", shape=(2, B) if batched else (2,))
        if nu is not None and all(o is not None for o in outs):
            flat = [outs[0][i] if batched else outs[0] for i in range(B)] + \
                   [outs[1][i] if batched else outs[1] for i in range(B)]
            chk.w = {"nu": nu.reshape(-1)}
            chk.noise("nu", flat)
            chk.w = d
    elif status is not None and any(k in d for k in ("psi_y0", "psi_y1", "psi_noise")):
        chk.problems.append("witness: Ψ outputs stored for an evaluation marked unusable")
    if rec is not None and x is not None and y0 is not None and y1 is not None and pert is not None \
            and domain is not None:
        _measurement_problems(chk, rec, x, y0, y1, pert, domain, batched)
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed",
                            values={"psi_reevaluated": False})
    problems = claim_mismatches(result, _assemble_perturbation(d))
    reevaluated = False
    if proven and model is not None and not problems:
        problems += _reenclose(model, opts, rec, d, batched)
        reevaluated = True
    elif model is not None and status == "" and not problems:
        lift = (lambda a: np.asarray(a)) if batched else (lambda a: np.asarray(a)[None])
        Y = np.concatenate([lift(d["y0"]), lift(d["y1"])])
        stored = list(lift(d["psi_y0"])) + list(lift(d["psi_y1"]))
        nu = np.asarray(d["psi_noise"]).reshape(2, -1).reshape(-1)
        dy = np.atleast_1d(np.asarray(result.norm_Ar, dtype=float))
        scale = np.concatenate([np.where(dy > 0, dy, np.inf)] * 2)
        problems += reevaluate(model, opts, rec, Y, stored, nu,
                                [f"Ψ(y0[{i}])" for i in range(B)] + [f"Ψ(y1[{i}])" for i in range(B)], scale=scale,
                                segments=[(i, B + i) for i in range(B) if dy[i] > 0])
        reevaluated = True
    not_re = []
    if proven and not reevaluated:
        not_re.append("the enclosures of Ψ's exact outputs: a network cannot be stored in the file, so the proven "
                      "ratio was re-derived from the stored enclosures but not re-proven (pass model= to re-run "
                      "them); this verification is numerical")
    elif status == "" and not reevaluated:
        not_re.append("Ψ's outputs and noise estimates (pass model= to re-run the network)")
    if rec is not None and rec.get("kind") == "opaque":
        not_re.append("that y0, y1 are A·x, A·(x + r) (the operator is opaque: not stored)")
    if "psi_device" in d:
        not_re.append("on which device the float64 outputs were computed and why (psi_device, psi_device_note: "
                      "as stored)")
    not_re.append("the search itself (a heuristic; its trace is stored as found)")
    how = ("; Ψ's enclosures re-run with the model and contained in the stored ones" if proven
           else "; Ψ re-evaluated on the CPU within the noise allowance" + (
               " (the outputs were certified on cuda: the CPU rounds differently, within the allowance)"
               if d.get("psi_device") == "cuda" else ""))
    return verification(result, problems,
                        rederived="the measurements, every norm, change, allowance and ratio, the outcome, rigor "
                                  "and message" + (how if reevaluated else ""),
                        not_rechecked="; ".join(not_re), values={"psi_reevaluated": reevaluated},
                        rigor=Rigor.NUMERICAL if (proven and not reevaluated) else None)


def _reenclose(model: Any, opts: Any, rec: Any, d: Mapping[str, Any], batched: bool) -> list[str]:
    """Re-run the enclosures of Ψ at the stored ``y0``, ``y1``; each must lie inside the stored one."""
    from theorycheck.nets.adapters import ReconstructionMap  # torch

    op = record_op(rec)
    if op is None:
        return ["cannot re-prove the enclosures: the operator is opaque (not stored in the file)"]
    lift = (lambda a: np.asarray(a)) if batched else (lambda a: np.asarray(a)[None])
    Y0, Y1 = lift(d["y0"]), lift(d["y1"])
    B = Y0.shape[0]
    try:
        pm = ReconstructionMap.from_options(model, dict(opts), op)
        c, r, assumptions = enclose_outputs(pm, np.concatenate([Y0, Y1]), widen=False)
    except (PreconditionError, InsufficientPrecision, InvalidArgument) as exc:
        return [f"re-enclosing Ψ with the given model failed: {exc}"]
    cs, rs = np.asarray(d["psi_center"]), np.asarray(d["psi_radius"])
    out = assumption_problems(assumptions, d["psi_assumptions"])
    for j, name in ((0, "y0"), (1, "y1")):
        for i in range(B):
            cj, rj = (cs[j][i], rs[j][i]) if batched else (cs[j], rs[j])
            if not contained(c[j * B + i], r[j * B + i], cj, rj):
                out.append(f"witness['psi_center'/'psi_radius']: the model's enclosure of Ψ({name}[{i}]) is not "
                           "inside the stored one")
    return out


def _measurement_problems(chk: WitnessCheck, rec: Mapping[str, Any], x: np.ndarray, y0: np.ndarray, y1: np.ndarray,
                          pert: np.ndarray, domain: str, batched: bool) -> None:
    """``y₀ = Ax`` and ``y₁ = A(x + r)`` (or ``y₀ + e``) for the stored operator, images and perturbation."""
    xb = x if batched else x[None]
    B = xb.shape[0]
    core = tuple(rec["mask"].shape if "mask" in rec else rec["in_shape"])
    if xb.shape[1:] != core:
        chk.bad("x", f"shape {x.shape} does not match the operator")
        return
    y0b, y1b, pb = (v if batched else v[None] for v in (y0, y1, pert))
    chk.measurements(rec, xb, list(y0b), ["y0"] * B)
    with np.errstate(over="ignore", invalid="ignore"):
        if domain == "measurement":
            if pb.shape != y0b.shape or not np.array_equal(y1b, y0b + pb) or y1b.dtype != (y0b + pb).dtype:
                chk.bad("y1", "is not y0 + e")
        elif pb.shape != xb.shape:
            chk.bad("perturbation", "must have the images' shape")
        else:
            chk.measurements(rec, xb + pb, list(y1b), ["y1"] * B)


@register_verifier("worst_perturbation")
def _verify_saved_perturbation(result: CheckResult, model: Any = None) -> CheckResult:
    """``theorycheck verify`` of a saved search result (:func:`verify_perturbation`)."""
    return verify_perturbation(result, model=model)
