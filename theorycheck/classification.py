"""Classifier instabilities: small perturbations that flip a trained classifier's label.

THEORY.md §5 (seeds 001, 003). For a classifier with logits ``f`` and label
``k̂(x) = argmax_j f_j(x)`` we look for a perturbation ``r`` with
``k̂(x + r) ≠ k̂(x)`` and report ``‖r‖/‖x‖`` (Euclidean norms over all entries):

* ``"deepfool"`` (Moosavi-Dezfooli, Fawzi, Frossard 2016): linearise the margins
  ``f_j − f_k`` of every other class at the current point, step to the nearest
  linearised boundary, repeat until the label flips; the iterates are
  ``x + (1 + η) r̃`` with overshoot ``η`` (0.02). Binary models (one logit
  ``f``, label ``f > 0``) get ``r_i = −f(x_i) ∇f(x_i)/‖∇f(x_i)‖²``. Batched:
  every iteration is one forward pass over the samples still running and one
  vectorised backward pass for all class margins; no per-sample Python loop.
* ``"fast_gradient"``: the direction ``v = ∇_s ‖p(x + s) − e_k̂‖²`` at ``s = 0``
  (``p`` the softmax probabilities), then the smallest ``α > 0`` flipping the
  label along ``v``. The seeds write ``‖f(x + s) − f(x)‖²``, whose gradient at
  ``s = 0`` vanishes identically (``s = 0`` is its minimum); measuring the
  distance from the one-hot label ``e_k̂`` (the rounding of ``p(x)`` to its
  class) gives the intended first-order direction (Goodfellow et al.'s fast
  gradient for the squared loss). It is computed in logit space in float64
  with the common factor ``p_j2²`` (``j2`` the runner-up) divided out, so it
  does not underflow when the softmax saturates.
* ``"fast_gradient_sign"``: the same with ``v = sign(∇_s …)``, Goodfellow et
  al.'s fast gradient *sign* method, the baseline DeepFool was compared with
  (an ``ℓ∞`` direction: in ``ℓ2`` it spends norm on every pixel).
* ``"random"``: ``v ~ N(0, I)`` (seeded), then the smallest ``α`` along ``v``.

The smallest ``α`` is found by evaluating a geometric grid of 49 values of
``α/‖x‖`` in ``[1e-6, 1e4]`` in one batched pass, then bisecting between the
last non-flipping and the first flipping grid value (relative tolerance
``1e-6``, at most ``max_iter`` halvings); the returned ``α`` flips.

Every perturbation is re-evaluated on the CPU in float64, sample by sample (a float64 copy of the
model, deep-copied: the caller's model is never modified, and its train/eval
flags are restored) twice: it is reported ``success=True`` with rigor
``certified-float64`` only if both evaluations are identical and finite, the
label of ``x`` is a strict maximum and some other class strictly beats it at
``x + r`` (evaluated exactly as ``model(x + r)`` in float64 would). If the
search's perturbation does not flip in float64 it is enlarged by the factors
``1 + 10⁻⁶ … 1 + 10⁻²`` before giving up. Everything else is
``success=False`` with rigor ``numerical`` and a per-sample ``status``:

====================== ==================================================
``flipped``            certified: the float64 label really changes
``already_misclassified`` ``labels`` given and the prediction differs (skipped)
``label_out_of_range`` a given label is not in ``0..C-1`` (skipped)
``nonfinite_input``    the sample holds NaN or inf (skipped)
``nan_output``         the model's float64 output is NaN/inf
``label_tie``          two classes tie for the maximum at ``x``
``nan_during_search``  the model returned NaN/inf during the search
``zero_gradient``      the search direction vanished
``not_found``          no flip within ``max_iter`` / the search range
``not_certified``      the search flipped but float64 does not confirm it
``nondeterministic``   the two float64 evaluations differ
``model_error``        the model raised on the sample evaluated alone
                       (a batch of one; e.g. batch statistics)
``output_not_float64`` the label flips, but the model's logits are not
                       float64 (float32/float16 output): not certified
====================== ==================================================

Certification evaluates every sample *alone* (``model(x[None])`` and
``model((x + r)[None])``, fresh copies of the input): batched evaluation may
differ from it (batch statistics, blocked matmul rounding), and only the
per-sample evaluation is what a user re-running the model on ``x + r`` sees.

Also the linear-model fact of the seeds as a proven check
(:func:`check_linear_sensitivity`), and seeded data and small classifiers
that train in seconds (:func:`build_digits_classifier`).

Theorem: THEORY.md §5 (minimal perturbations; DeepFool; linear models change by
``ε‖w‖₁`` under ``‖Δx‖_∞ ≤ ε``).
Rigor: flips are ``certified-float64`` (re-evaluated twice in float64);
ratios are numerical upper bounds on the minimal ``‖r*‖/‖x‖``;
:func:`check_linear_sensitivity` is ``proven`` (exact rational arithmetic).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import numbers
import os
import time
from fractions import Fraction
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import is_torch, lazy_torch, resolve_device, to_numpy
from theorycheck.results import (
    CheckResult,
    Outcome,
    Rigor,
    Witness,
    _equal,
    register_result,
    register_verifier,
)

__all__ = [
    "METHODS",
    "SEED_METHODS",
    "STATUSES",
    "ClassifierWitness",
    "RobustnessReport",
    "search_minimal_perturbation",
    "robustness_report",
    "check_linear_sensitivity",
    "digits_data",
    "synthetic_data",
    "train_classifier",
    "build_digits_classifier",
]

#: The search methods of :func:`search_minimal_perturbation`.
METHODS: tuple[str, ...] = ("deepfool", "fast_gradient", "fast_gradient_sign", "random")

#: The seeds' three methods (the default of :func:`robustness_report`).
SEED_METHODS: tuple[str, ...] = ("random", "fast_gradient", "deepfool")

#: Per-sample statuses of a :class:`ClassifierWitness` (see the module docstring).
STATUSES: tuple[str, ...] = (
    "flipped", "already_misclassified", "label_out_of_range", "nonfinite_input", "nan_output",
    "label_tie", "nan_during_search", "zero_gradient", "not_found", "not_certified",
    "nondeterministic", "model_error", "output_not_float64",
)

_THEOREM = "THEORY.md §5 (classification instabilities; seeds 001, 003)"
_GRID = np.logspace(-6.0, 4.0, 49)  # α/‖x‖ values scanned by the line searches (ratio 1.62)
_BISECT_RTOL = 1e-6
_PUSH = 1e-4  # DeepFool: extra step length, relative to ‖x‖ (escapes slow one-sided approaches)
_REPAIR = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)  # relative enlargements tried when float64 disagrees


# --------------------------------------------------------------------------------------
# witness
# --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, eq=False)
class ClassifierWitness:
    """Perturbations found by :func:`search_minimal_perturbation`, with their float64 re-check.

    For a single sample every field is a scalar (``r`` has the sample's
    shape); for a batch every field is an array with the batch first.

    Attributes
    ----------
    r : numpy.ndarray
        The perturbation (float64). For unsuccessful samples the last attempt
        (zeros for skipped samples).
    ratio : float or numpy.ndarray
        ``‖r‖/‖x‖`` for successful samples, NaN otherwise (inf when ``x = 0``).
    label : int or numpy.ndarray
        Predicted label ``k̂(x)`` (float64 evaluation; -1 when undefined).
    new_label : int or numpy.ndarray
        ``k̂(x + r)`` in float64 (-1 when not evaluated).
    success : bool or numpy.ndarray
        Whether the flip is certified.
    iterations : int or numpy.ndarray
        DeepFool steps, or bisection steps of the line search.
    rigor : Rigor or numpy.ndarray
        ``certified-float64`` where ``success``, else ``numerical``.
    status : str or numpy.ndarray
        Why (see :data:`STATUSES`).
    margin : float or numpy.ndarray
        ``max_{j≠k} f_j(x + r) − f_k(x + r)`` in float64 (> 0 iff flipped; NaN
        when not evaluated).
    x : numpy.ndarray
        The input (float64 copy), so that anyone can re-check ``model(x + r)``.
    method : str
        One of :data:`METHODS`.
    time_s : float
        Wall-clock time of the whole call (search and certification).
    batched : bool
        Whether the fields carry a batch dimension.

    Theorem: THEORY.md §5 (minimal perturbation ``r*``: ``k̂(x + r) ≠ k̂(x)``).
    Rigor: ``certified-float64`` for successful samples (float64 re-evaluation,
    twice); ``ratio`` is an upper bound on the minimal ``‖r*‖/‖x‖`` (numerical).
    """

    r: np.ndarray
    ratio: Any
    label: Any
    new_label: Any
    success: Any
    iterations: Any
    rigor: Any
    status: Any
    margin: Any
    x: np.ndarray
    method: str
    time_s: float = 0.0
    batched: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.rigor, np.ndarray) and self.rigor.dtype == object:
            object.__setattr__(self, "rigor", np.array([Rigor(v) for v in self.rigor.ravel()],
                                                       dtype=object).reshape(self.rigor.shape))
        elif not isinstance(self.rigor, np.ndarray):
            object.__setattr__(self, "rigor", Rigor(self.rigor))
        for name in ("r", "x", "ratio", "label", "new_label", "success", "iterations", "status",
                     "margin", "rigor"):
            v = getattr(self, name)
            if isinstance(v, np.ndarray):
                v = v.copy()
                v.setflags(write=False)
                object.__setattr__(self, name, v)

    # -- batch access --------------------------------------------------------------
    def __len__(self) -> int:
        if not self.batched:
            raise TypeError("a single-sample ClassifierWitness has no len()")
        return int(self.r.shape[0])

    def __getitem__(self, i: int) -> "ClassifierWitness":
        """The ``i``-th sample of a batched witness, as a single-sample witness."""
        if not self.batched:
            raise TypeError("index a batched ClassifierWitness only")
        i = int(i)
        return ClassifierWitness(
            r=self.r[i], ratio=float(self.ratio[i]), label=int(self.label[i]),
            new_label=int(self.new_label[i]), success=bool(self.success[i]),
            iterations=int(self.iterations[i]), rigor=Rigor(self.rigor[i]),
            status=str(self.status[i]), margin=float(self.margin[i]), x=self.x[i],
            method=self.method, time_s=self.time_s, batched=False)

    def __iter__(self) -> Iterator["ClassifierWitness"]:
        for i in range(len(self)):
            yield self[i]

    @property
    def x_adv(self) -> np.ndarray:
        """The perturbed input ``x + r`` (float64), exactly what was evaluated."""
        return self.x + self.r

    @property
    def success_rate(self) -> float:
        """Fraction of certified flips among the samples that were searched (not skipped)."""
        succ = np.atleast_1d(self.success)
        searched = ~np.isin(np.atleast_1d(self.status), _SKIPPED)
        return float(succ[searched].mean()) if searched.any() else float("nan")

    def recheck(self, model: Any, *, batch_size: int | None = None) -> Any:
        """Re-evaluate ``model(x)`` and ``model(x + r)``, each sample alone, on the CPU in float64 (twice); True where the label flips.

        True requires float64 logits (a model returning float32/float16 gives False).

        The model is deep-copied; the caller's model is not modified.

        Theorem: THEORY.md §5.
        Rigor: certified-float64.
        """
        with _Models(model, "cpu") as models:
            X = self.x if self.batched else self.x[None]
            R = self.r if self.batched else self.r[None]
            L0, err, _, _ = _eval_each(models, X)
            label = np.where(err, -1, _strict_argmax(L0))
            ok, _, _, _ = _certify(models, X, R, label, batch_size)
        return ok if self.batched else bool(ok[0])

    def to_result(self) -> CheckResult:
        """A :class:`CheckResult`: ``violated`` (the classifier is unstable here) when a flip is certified.

        Theorem: THEORY.md §5.
        Rigor: certified-float64 when a flip is certified, else numerical.
        """
        succ = np.atleast_1d(self.success)
        ratios = np.atleast_1d(self.ratio)
        n_ok = int(succ.sum())
        if n_ok:
            i = int(np.nanargmin(np.where(succ, ratios, np.inf)))
            X = self.x if self.batched else self.x[None]
            R = self.r if self.batched else self.r[None]
            wit = Witness("classifier_perturbation", {
                "x": X[i], "r": R[i], "label": int(np.atleast_1d(self.label)[i]),
                "new_label": int(np.atleast_1d(self.new_label)[i]), "method": self.method})
            msg = (f"{self.method}: {n_ok}/{succ.size} labels flipped (certified in float64); "
                   f"smallest ‖r‖/‖x‖ = {ratios[i]:.3g}")
            return CheckResult("classifier_perturbation", Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64,
                               msg, {"n_flipped": n_ok, "n": int(succ.size),
                                     "min_ratio": float(ratios[i]),
                                     "median_ratio": float(np.median(ratios[succ]))},
                               wit, _THEOREM)
        return CheckResult("classifier_perturbation", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           f"{self.method}: no certified flip among {succ.size} sample(s) "
                           f"(statuses: {', '.join(sorted(set(np.atleast_1d(self.status).tolist())))})",
                           {"n_flipped": 0, "n": int(succ.size)}, None, _THEOREM)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClassifierWitness):
            return NotImplemented
        return all(_equal(getattr(self, f.name), getattr(other, f.name))
                   for f in dataclasses.fields(self))

    __hash__ = None  # type: ignore[assignment]


_SKIPPED = ("already_misclassified", "label_out_of_range", "nonfinite_input")


# --------------------------------------------------------------------------------------
# model handling
# --------------------------------------------------------------------------------------

class _Models:
    """The search model (device, the model's dtype) and a float64 CPU copy; restores train flags."""

    def __init__(self, model: Any, device: Any):
        torch = lazy_torch()
        if not isinstance(model, torch.nn.Module):
            raise InvalidArgument(
                f"model must be a torch.nn.Module returning logits, got {type(model).__name__}")
        self.torch = torch
        self.user = model
        tensors = [t for t in list(model.parameters()) + list(model.buffers()) if t.is_floating_point()]
        if any(t.is_complex() for t in model.parameters()):
            raise InvalidArgument("complex-valued classifiers are not supported: use real logits")
        self.dtype = tensors[0].dtype if tensors else torch.get_default_dtype()
        self.device = resolve_device(device)
        on_device = all(t.device == self.device for t in tensors)
        same_dtype = all(t.dtype == self.dtype for t in tensors)
        self.search = model if (on_device and same_dtype) else self._copy(model, self.device, self.dtype)
        cpu = torch.device("cpu")
        is64 = all(t.device == cpu and t.dtype == torch.float64 for t in tensors)
        self.f64 = model if is64 else self._copy(model, cpu, torch.float64)
        self._flags: list[tuple[Any, bool]] = []

    def _copy(self, model: Any, device: Any, dtype: Any) -> Any:
        try:
            return copy.deepcopy(model).to(device=device, dtype=dtype)
        except Exception as exc:  # e.g. non-leaf tensors stored as attributes
            raise InvalidArgument(
                f"could not copy the model to {device} / {dtype} ({exc}); make it deep-copyable "
                "(store tensors as parameters or buffers)") from exc

    def __enter__(self) -> "_Models":
        self._flags = [(m, m.training) for m in self.user.modules()]
        for mdl in {id(self.user): self.user, id(self.search): self.search,
                    id(self.f64): self.f64}.values():
            mdl.eval()  # classification is inference: dropout off, batch-norm statistics frozen
        return self

    def __exit__(self, *exc: Any) -> None:
        for m, flag in self._flags:
            m.training = flag


def _logits(model: Any, x: Any) -> Any:
    """Model output as ``(n, C)`` logits; a single logit ``f`` becomes ``[0, f]`` (label ``f > 0``)."""
    torch = lazy_torch()
    try:
        out = model(x)
    except Exception as exc:
        raise InvalidArgument(
            f"the model raised {type(exc).__name__} on an input of shape {tuple(x.shape)}: {exc}. "
            "Pass x of the model's input shape, or a batch with the batch dimension first "
            "(set batched= if the guess is wrong)") from exc
    if not isinstance(out, torch.Tensor):
        raise InvalidArgument(f"the model must return a tensor of logits, got {type(out).__name__}")
    n = x.shape[0]
    if out.ndim == 1 and out.shape[0] == n:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != n or out.shape[1] < 1:
        raise InvalidArgument(
            f"the model returned shape {tuple(out.shape)} for {n} input(s): expected (n, C) logits "
            "or (n,) / (n, 1) for a binary classifier")
    if out.is_complex():
        raise InvalidArgument("the model returned complex logits: classifiers must return real logits")
    if out.shape[1] == 1:
        out = torch.cat([torch.zeros_like(out), out], dim=1)
    return out


def _chunks(n: int, size: int | None) -> Iterator[slice]:
    size = n if not size else size
    for i in range(0, n, max(size, 1)):
        yield slice(i, min(i + size, n))


def _fresh(torch: Any, a: np.ndarray) -> Any:
    """A new float64 CPU tensor holding a copy of ``a``.

    The model may write into its input (``ReLU(inplace=True)`` as first layer):
    it must never receive memory shared with our arrays.
    """
    return torch.from_numpy(np.array(a, dtype=np.float64, order="C", copy=True))


def _eval64(models: _Models, X: np.ndarray, batch_size: int | None) -> np.ndarray:
    """Float64 CPU logits of the batch ``X`` (shape ``(n, *shape)``), evaluated as a batch (numerical use only)."""
    torch = models.torch
    if X.shape[0] == 0:
        return np.zeros((0, 0))
    outs = []
    with torch.no_grad():
        for sl in _chunks(X.shape[0], batch_size):
            outs.append(_logits(models.f64, _fresh(torch, X[sl])).to(torch.float64).numpy())
    return np.concatenate(outs, axis=0)


def _eval_each(models: _Models, X: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Exception | None]:
    """Float64 CPU logits of every sample of ``X`` evaluated alone (a batch of one, a fresh copy).

    What is certified is ``model(x[None])`` for each sample by itself: a batched
    evaluation may differ (batch statistics, blocked matmul rounding).
    Returns ``(L, err, low, first_exception)``: ``L`` (n, C) with NaN rows where
    the model raised (``err``); ``low`` where the model's output is not float64
    (its values are still in ``L``, converted exactly).
    """
    torch = models.torch
    n = X.shape[0]
    rows: list[np.ndarray | None] = [None] * n
    err = np.zeros(n, dtype=bool)
    low = np.zeros(n, dtype=bool)
    first: Exception | None = None
    with torch.no_grad():
        for i in range(n):
            try:
                out = _logits(models.f64, _fresh(torch, X[i:i + 1]))
            except InvalidArgument as exc:
                err[i] = True
                first = first if first is not None else exc
                continue
            low[i] = out.dtype != torch.float64
            rows[i] = out.detach().to("cpu", torch.float64).numpy()[0].copy()
    C = max((r.size for r in rows if r is not None), default=0)
    L = np.full((n, C), np.nan)
    for i, r in enumerate(rows):
        if r is None:
            continue
        if r.size != C:  # the number of classes changed between samples: not a classifier
            err[i] = True
            first = first if first is not None else InvalidArgument(
                f"the model returned {r.size} logits for one sample and {C} for another")
            continue
        L[i] = r
    return L, err, low, first


def _strict_argmax(L: np.ndarray) -> np.ndarray:
    """Argmax per row, or -1 where the maximum is not strict or not finite."""
    if L.size == 0:
        return np.zeros(L.shape[0], dtype=np.int64)
    k = np.argmax(L, axis=1)
    top = L[np.arange(len(k)), k]
    others = L.copy()
    others[np.arange(len(k)), k] = -np.inf
    strict = np.isfinite(L).all(axis=1) & (top > others.max(axis=1))
    return np.where(strict, k, -1).astype(np.int64)


def _certify(models: _Models, X: np.ndarray, R: np.ndarray, label: np.ndarray,
             batch_size: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate ``x`` and ``x + r`` each alone, twice, in float64; returns ``(ok, new_label, margin, status)``.

    ``batch_size`` is accepted for symmetry and unused: certification is per sample.
    """
    n = X.shape[0]
    with np.errstate(all="ignore"):
        return _certify_impl(models, X, R, label, n)


def _certify_impl(models: _Models, X: np.ndarray, R: np.ndarray, label: np.ndarray,
                  n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    Xa = X + R  # exactly ClassifierWitness.x_adv
    L1, e1, lo1, _ = _eval_each(models, X)
    L2, e2, lo2, _ = _eval_each(models, X)
    A1, e3, lo3, _ = _eval_each(models, Xa)
    A2, e4, lo4, _ = _eval_each(models, Xa)
    err = e1 | e2 | e3 | e4
    low = lo1 | lo2 | lo3 | lo4
    C = max(L1.shape[1], L2.shape[1], A1.shape[1], A2.shape[1], 1)

    def pad(L: np.ndarray) -> np.ndarray:
        return L if L.shape[1] == C else np.full((n, C), np.nan)

    L1, L2, A1, A2 = pad(L1), pad(L2), pad(A1), pad(A2)
    rows = np.arange(n)
    same = np.all(L1 == L2, axis=1) & np.all(A1 == A2, axis=1)
    finite = np.isfinite(L1).all(axis=1) & np.isfinite(A1).all(axis=1) & ~err
    k = np.clip(label, 0, C - 1)
    lab0 = _strict_argmax(L1)
    others = A1.copy()
    others[rows, k] = -np.inf
    margin = others.max(axis=1) - A1[rows, k]
    flips = same & finite & (lab0 == label) & (label >= 0) & (margin > 0)
    ok = flips & ~low  # float16/float32 logits: a flip of the model, but not a float64 evaluation
    fin_a = np.isfinite(A1).all(axis=1) & ~(e3 | e4)
    new_label = np.where(fin_a, np.argmax(np.where(np.isnan(A1), -np.inf, A1), axis=1), -1)
    margin = np.where(fin_a, margin, np.nan)
    status = np.where(ok, "flipped", np.where(err, "model_error", np.where(~finite, "nan_output", np.where(
        ~same, "nondeterministic", np.where(lab0 != label, "label_tie", np.where(
            flips, "output_not_float64", "not_certified"))))))
    return ok, new_label.astype(np.int64), margin, status.astype(object)


# --------------------------------------------------------------------------------------
# searches (torch, on the search device and dtype)
# --------------------------------------------------------------------------------------

class _Searcher:
    def __init__(self, models: _Models):
        self.m = models
        self.torch = models.torch
        self.batched_grads = True  # is_grads_batched works for this model (until it fails once)

    def tensor(self, a: np.ndarray) -> Any:
        # a copy (torch.tensor copies): the model may write into its input
        return self.torch.tensor(np.ascontiguousarray(a), dtype=self.m.dtype, device=self.m.device)

    def margin_grads(self, x: Any, logits: Any, G: Any) -> Any:
        """``G`` (J, n, C) cotangents → (J, n, *shape) gradients, in one vectorised backward if possible."""
        torch = self.torch
        if self.batched_grads:
            try:
                return torch.autograd.grad(logits, x, grad_outputs=G, is_grads_batched=True,
                                           retain_graph=True)[0]
            except (RuntimeError, NotImplementedError):
                self.batched_grads = False
        return torch.stack([torch.autograd.grad(logits, x, grad_outputs=G[j], retain_graph=True)[0]
                            for j in range(G.shape[0])])

    # -- DeepFool ---------------------------------------------------------------------
    def deepfool(self, X: np.ndarray, k: np.ndarray, cand: np.ndarray, overshoot: float,
                 max_iter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        torch = self.torch
        n = X.shape[0]
        X0 = self.tensor(X)
        kt = torch.as_tensor(k, device=self.m.device)
        ct = torch.as_tensor(cand, device=self.m.device)
        r_tot = torch.zeros_like(X0)
        iters = np.zeros(n, dtype=np.int64)
        status = np.full(n, "not_found", dtype=object)
        # a small push past the linearised boundary, relative to ‖x‖ (like the 1e-4 of the
        # authors' code, but scale-free): a step landing exactly on it (linear models,
        # overshoot 0) still crosses, and concave boundaries are not approached forever
        xnorm = X0.reshape(n, -1).norm(dim=1)
        push = _PUSH * torch.where(xnorm > 0, xnorm, torch.ones_like(xnorm))
        active = torch.arange(n, device=self.m.device)
        K = ct.shape[1]
        for it in range(max_iter + 1):
            if active.numel() == 0:
                break
            xa = (X0[active] + (1.0 + overshoot) * r_tot[active]).detach().requires_grad_(True)
            with torch.enable_grad():  # a clone: in-place first layers must not touch the leaf
                logits = _logits(self.m.search, xa.clone())
            na = active.numel()
            finite = torch.isfinite(logits).all(dim=1)
            ka = kt[active]
            done = finite & (logits.argmax(dim=1) != ka)
            idx_done = active[done].cpu().numpy()
            status[idx_done] = "found"
            iters[idx_done] = it
            idx_bad = active[~finite].cpu().numpy()
            status[idx_bad] = "nan_during_search"
            iters[idx_bad] = it
            keep = finite & ~done
            if it == max_iter or not bool(keep.any()):
                iters[active[keep].cpu().numpy()] = it
                break
            ca = ct[active]
            rows = torch.arange(na, device=self.m.device)
            # cotangents of the margins f_cj − f_k, j = 1..K-1 (c_j ≠ k: no index collides)
            G = torch.zeros((K - 1, na, logits.shape[1]), dtype=logits.dtype, device=self.m.device)
            jj = torch.arange(K - 1, device=self.m.device)[:, None].expand(K - 1, na)
            rr = rows[None, :].expand(K - 1, na)
            G[jj, rr, ca[:, 1:].T] = 1.0
            G[jj, rr, ka[None, :].expand(K - 1, na)] = -1.0
            grads = self.margin_grads(xa, logits, G).detach()  # (K-1, na, *shape)
            w = grads.transpose(0, 1).reshape(na, K - 1, -1)
            f = (logits.gather(1, ca[:, 1:]) - logits.gather(1, ka[:, None])).detach()  # < 0
            wn = w.norm(dim=2)
            dist = torch.where(wn > 0, f.abs() / torch.where(wn > 0, wn, torch.ones_like(wn)),
                               torch.full_like(wn, float("inf")))
            dist = torch.where(torch.isfinite(dist) | torch.isinf(dist), dist,
                               torch.full_like(dist, float("inf")))
            jstar = dist.argmin(dim=1)
            d_best = dist[rows, jstar]
            w_best = w[rows, jstar]
            n_best = wn[rows, jstar]
            stuck = ~torch.isfinite(d_best) | ~torch.isfinite(w_best).all(dim=1)
            idx_stuck = active[keep & stuck].cpu().numpy()
            status[idx_stuck] = "zero_gradient"
            iters[idx_stuck] = it
            move = keep & ~stuck
            scale = (d_best + push[active]) / torch.where(n_best > 0, n_best, torch.ones_like(n_best))
            step = (scale[:, None] * w_best).reshape(xa.shape)
            sel = active[move]
            r_tot[sel] = r_tot[sel] + step[move]
            active = sel
        R = ((1.0 + overshoot) * r_tot).detach().to("cpu", torch.float64).numpy()
        return R, iters, status

    # -- directions -----------------------------------------------------------------
    def fast_gradient_direction(self, X: np.ndarray, k: np.ndarray) -> np.ndarray:
        torch = self.torch
        x = self.tensor(X).requires_grad_(True)
        with torch.enable_grad():
            logits = _logits(self.m.search, x.clone())
        z = logits.detach().to("cpu", torch.float64).numpy()
        g = _squared_loss_logit_grad(z, k)
        G = torch.as_tensor(g, dtype=logits.dtype, device=self.m.device)
        v = torch.autograd.grad(logits, x, grad_outputs=G)[0]
        return v.detach().to("cpu", torch.float64).numpy()

    # -- line search ----------------------------------------------------------------
    def line_search(self, X: np.ndarray, k: np.ndarray, V: np.ndarray, scale: np.ndarray,
                    max_iter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Smallest ``α`` (grid, then bisection) with ``k̂(x + α v) ≠ k``; ``V`` rows of unit norm."""
        torch = self.torch
        n = X.shape[0]
        shape = X.shape[1:]
        d = int(np.prod(shape)) if shape else 1
        G = len(_GRID)
        alphas = scale[:, None] * _GRID[None, :]  # (n, G)
        flips = np.zeros((n, G), dtype=bool)
        finite = np.zeros((n, G), dtype=bool)
        per = max(1, (1 << 22) // (G * d))  # samples per grid pass: about 4M input entries
        with torch.no_grad():
            for sl in _chunks(n, per):
                Xc, Vc = self.tensor(X[sl]), self.tensor(V[sl])
                a = self.tensor(alphas[sl]).reshape((-1, G) + (1,) * len(shape))
                Z = (Xc[:, None] + a * Vc[:, None]).reshape((-1,) + shape)
                L = _logits(self.m.search, Z)
                fin = torch.isfinite(L).all(dim=1).reshape(-1, G).cpu().numpy()
                pred = L.argmax(dim=1).reshape(-1, G).cpu().numpy()
                finite[sl] = fin
                flips[sl] = fin & (pred != k[sl, None])
        iters = np.zeros(n, dtype=np.int64)
        status = np.full(n, "not_found", dtype=object)
        status[~finite.any(axis=1)] = "nan_during_search"
        has = flips.any(axis=1)
        first = np.argmax(flips, axis=1)
        hi = np.where(has, alphas[np.arange(n), first], np.nan)
        lo = np.where(has & (first > 0), alphas[np.arange(n), np.maximum(first - 1, 0)], 0.0)
        status[has] = "found"
        active = np.flatnonzero(has)
        with torch.no_grad():
            for _ in range(max_iter):
                active = active[(hi[active] - lo[active]) > _BISECT_RTOL * hi[active]]
                if active.size == 0:
                    break
                mid = 0.5 * (lo[active] + hi[active])
                fl = np.zeros(active.size, dtype=bool)
                for sl in _chunks(active.size, max(1, (1 << 22) // d)):
                    ia = active[sl]
                    Z = self.tensor(X[ia]) + self.tensor(mid[sl]).reshape((-1,) + (1,) * len(shape)) \
                        * self.tensor(V[ia])
                    L = _logits(self.m.search, Z)
                    fin = torch.isfinite(L).all(dim=1).cpu().numpy()
                    fl[sl] = fin & (L.argmax(dim=1).cpu().numpy() != k[ia])  # NaN counts as no flip
                hi[active] = np.where(fl, mid, hi[active])
                lo[active] = np.where(fl, lo[active], mid)
                iters[active] += 1
        return np.where(has, hi, 0.0), iters, status


def _squared_loss_logit_grad(z: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``∇_z ‖softmax(z) − e_k‖²`` divided by ``2 p_j2²`` (``j2`` the runner-up): same direction, no underflow.

    With ``q_j = exp(z_j − z_j2)`` (``j ≠ k``), ``Q = Σ q_j``, ``S = Σ q_j²``:
    ``g_j = q_j (q_j + p_k Q − p_j2 S)`` for ``j ≠ k`` and ``g_k = −p_k (Q² + S)``.
    """
    with np.errstate(all="ignore"):
        return _squared_loss_logit_grad_impl(z, k)


def _squared_loss_logit_grad_impl(z: np.ndarray, k: np.ndarray) -> np.ndarray:
    n, C = z.shape
    rows = np.arange(n)
    zo = z.copy()
    zo[rows, k] = -np.inf
    j2 = np.argmax(zo, axis=1)
    q = np.exp(zo - zo[rows, j2][:, None])  # 0 at k
    Q = q.sum(axis=1)
    S = (q * q).sum(axis=1)
    zmax = np.max(z, axis=1)
    lse = zmax + np.log(np.exp(z - zmax[:, None]).sum(axis=1))
    pk = np.exp(z[rows, k] - lse)
    pj2 = np.exp(z[rows, j2] - lse)
    g = q * (q + (pk * Q)[:, None] - (pj2 * S)[:, None])
    g[rows, k] = -pk * (Q * Q + S)
    return np.where(np.isfinite(g), g, 0.0)


# --------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------

def _as_float64(x: Any, name: str) -> np.ndarray:
    if x is None:
        raise InvalidArgument(f"{name} is None: pass an array or tensor")
    try:
        arr = to_numpy(x) if is_torch(x) else np.asarray(x)
    except Exception as exc:
        raise InvalidArgument(f"{name} could not be read as an array: {exc}") from exc
    if arr.dtype.kind == "c":
        raise InvalidArgument(f"{name} is complex: classifiers take real inputs")
    if arr.dtype.kind not in "biuf":
        raise InvalidArgument(f"{name} has non-numeric entries (dtype {arr.dtype}): pass numbers")
    if arr.ndim == 0:
        raise InvalidArgument(f"{name} is a scalar: pass the model's input (an array)")
    return np.array(arr, dtype=np.float64, copy=True)


def _probe_batched(models: _Models, X: np.ndarray) -> bool:
    """Guess whether ``X`` is a batch.

    ``X`` is a batch if the model maps ``X[:2]`` to two rows of logits and
    ``len(X) > 1``; otherwise a single sample if it maps ``X[None]`` to one
    row; otherwise a batch of one if it maps ``X`` to one row.
    """
    torch = models.torch

    def rows(a: np.ndarray) -> int | None:
        try:
            with torch.no_grad():
                out = models.f64(_fresh(torch, a))
        except Exception:
            return None
        if not isinstance(out, torch.Tensor) or out.ndim not in (1, 2):
            return None
        return int(out.shape[0])

    if X.ndim >= 2 and X.shape[0] > 1 and rows(X[:2]) == 2:
        return True
    if rows(X[None]) == 1:
        return False
    return True


def _int_arg(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidArgument(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InvalidArgument(
            f"seed must be None, a non-negative int or a numpy.random.Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def _labels(labels: Any, n: int, batched: bool) -> np.ndarray | None:
    if labels is None:
        return None
    arr = to_numpy(labels) if is_torch(labels) else np.asarray(labels)
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iub":
        raise InvalidArgument(f"labels must be integers (class indices), got dtype {arr.dtype}")
    arr = arr.astype(np.int64).reshape(-1)
    if arr.size != n:
        raise InvalidArgument(
            f"labels has {arr.size} entries for {n} sample(s): pass one label per sample"
            + ("" if batched else " (an int for a single sample)"))
    return arr


# --------------------------------------------------------------------------------------
# public search
# --------------------------------------------------------------------------------------

def search_minimal_perturbation(
    model: Any,
    x: Any,
    *,
    method: str = "deepfool",
    overshoot: float = 0.02,
    max_iter: int = 50,
    seed: Any = None,
    device: Any = None,
    batch_size: int | None = None,
    labels: Any = None,
    candidates: int | None = 10,
    batched: bool | None = None,
) -> ClassifierWitness:
    """Search a small perturbation ``r`` with ``k̂(x + r) ≠ k̂(x)`` and certify it in float64.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits ``(n, C)``, or ``(n,)``/``(n, 1)`` for a binary
        classifier (label ``f > 0``). Never modified (deep-copied where its
        device or dtype must change; train/eval flags restored).
    x : array_like or torch.Tensor
        One sample (the model's input shape) or a batch (batch first).
    method : {"deepfool", "fast_gradient", "fast_gradient_sign", "random"}
        See the module docstring.
    overshoot : float
        DeepFool's ``η`` (ignored by the line searches, which return the
        smallest flipping ``α`` they find).
    max_iter : int
        DeepFool iterations, or bisection halvings of the line searches.
    seed : int, numpy.random.Generator or None
        Random directions (``"random"`` only); same seed, same result.
    device : str or torch.device, optional
        Where to search (default: CUDA if present, else CPU), in the model's
        dtype. Certification is always on the CPU in float64.
    batch_size : int, optional
        Samples per pass (memory); the result does not depend on it.
    labels : int or array of int, optional
        True labels: samples whose prediction differs are reported
        ``already_misclassified`` (and labels outside ``0..C-1``
        ``label_out_of_range``) without a search.
    candidates : int or None
        DeepFool: linearise the margins of the ``candidates`` classes with the
        largest logits at ``x`` only (10, as in the authors' code and foolbox;
        ``None``: every class). Memory per iteration grows like
        ``candidates × batch × input size``.
    batched : bool, optional
        Whether ``x`` carries a batch dimension (default: guessed: a batch if
        ``len(x) > 1`` and the model maps ``x[:2]`` to two rows of logits,
        else a single sample if it maps ``x[None]`` to one row).

    Returns
    -------
    ClassifierWitness
        Per-sample perturbation, ``‖r‖/‖x‖``, labels, success, status.

    Examples
    --------
    >>> import torch
    >>> lin = torch.nn.Linear(2, 1).double()
    >>> with torch.no_grad():
    ...     _ = lin.weight.copy_(torch.tensor([[1.0, 0.0]])); _ = lin.bias.zero_()
    >>> w = search_minimal_perturbation(lin, [0.5, 0.0], device="cpu")
    >>> bool(w.success), w.label, w.new_label, round(float(w.ratio), 2)
    (True, 1, 0, 1.02)

    Theorem: THEORY.md §5 (``r* ∈ argmin ‖r‖ s.t. k̂(x + r) ≠ k̂(x)``; DeepFool,
    fast gradient and random-noise searches of seeds 001/003).
    Rigor: certified-float64 for ``success`` samples (``model(x + r)``
    re-evaluated on the CPU in float64 twice); the ratios are numerical upper
    bounds on the minimal perturbation.
    """
    t0 = time.perf_counter()
    if method not in METHODS:
        raise InvalidArgument(f"method must be one of {METHODS}, got {method!r}")
    try:
        overshoot = float(overshoot)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"overshoot must be a number, got {overshoot!r}") from exc
    if not math.isfinite(overshoot) or overshoot < 0:
        raise InvalidArgument(f"overshoot must be finite and >= 0, got {overshoot}")
    max_iter = _int_arg(max_iter, "max_iter", 1)
    if batch_size is not None:
        batch_size = _int_arg(batch_size, "batch_size", 1)
    if candidates is not None:
        candidates = _int_arg(candidates, "candidates", 2)
    rng = _rng(seed) if method == "random" else None
    X = _as_float64(x, "x")

    with _Models(model, device) as models, np.errstate(all="ignore"):
        if batched is None:
            batched = _probe_batched(models, X)
        if not batched:
            X = X[None]
        elif X.ndim < 2:
            raise InvalidArgument(f"a batch needs shape (n, *input_shape), got {X.shape}")
        n = X.shape[0]
        y = _labels(labels, n, bool(batched))
        if n == 0:
            e = np.zeros(0)
            return ClassifierWitness(X.copy(), e, e.astype(np.int64), e.astype(np.int64), e.astype(bool),
                                     e.astype(np.int64), np.zeros(0, dtype=object),
                                     np.zeros(0, dtype=object), e, X.copy(), method,
                                     time.perf_counter() - t0, True)

        finite_x = np.isfinite(X.reshape(n, -1)).all(axis=1)
        Xs = np.where(finite_x.reshape((n,) + (1,) * (X.ndim - 1)), X, 0.0)
        # labels of the samples evaluated alone (what is certified), not of the batch
        L0, err0, _, exc0 = _eval_each(models, Xs)
        if err0.all():
            # fails on every sample alone: a bad input (say why) unless the model runs on the
            # whole batch (batch statistics): then every sample is reported model_error
            try:
                Lb = _eval64(models, Xs, batch_size) if n > 1 else None
            except InvalidArgument:
                Lb = None
            if Lb is None:
                raise exc0 if exc0 is not None else InvalidArgument("the model could not be evaluated")
            L0 = np.full(Lb.shape, np.nan)
        C = L0.shape[1] if L0.size else 2
        label = _strict_argmax(L0) if n else np.zeros(0, dtype=np.int64)
        status = np.full(n, "", dtype=object)
        status[~finite_x] = "nonfinite_input"
        status[(status == "") & err0] = "model_error"
        fin_out = np.isfinite(L0).all(axis=1) if n else np.zeros(0, dtype=bool)
        status[(status == "") & ~fin_out] = "nan_output"
        status[(status == "") & (label < 0)] = "label_tie"
        if y is not None:
            status[(status == "") & ((y < 0) | (y >= C))] = "label_out_of_range"
            status[(status == "") & (y != label)] = "already_misclassified"
        label = np.where(status == "nonfinite_input", -1, label)
        todo = np.flatnonzero(status == "")

        R = np.zeros_like(X)
        iters = np.zeros(n, dtype=np.int64)
        searcher = _Searcher(models)
        xnorm = np.linalg.norm(X.reshape(n, -1), axis=1)
        # random directions for the whole batch up front: results do not depend on batch_size
        V_all = rng.standard_normal(X.shape) if rng is not None else None
        for sl in _chunks(todo.size, batch_size):
            idx = todo[sl]
            Xi, ki = X[idx], label[idx]
            if method == "deepfool":
                K = C if candidates is None else min(candidates, C)
                # classes by decreasing logit: the (strict) label comes first
                cand = np.argsort(-L0[idx], axis=1, kind="stable")[:, :K]
                Ri, it, st = searcher.deepfool(Xi, ki, cand, overshoot, max_iter)
            else:
                if method == "random":
                    V = V_all[idx]
                else:
                    V = searcher.fast_gradient_direction(Xi, ki)
                    if method == "fast_gradient_sign":
                        V = np.sign(V)
                vn = np.linalg.norm(V.reshape(len(idx), -1), axis=1)
                ok_dir = np.isfinite(vn) & (vn > 0)
                V = np.where(ok_dir.reshape((-1,) + (1,) * (X.ndim - 1)),
                             V / np.where(ok_dir, vn, 1.0).reshape((-1,) + (1,) * (X.ndim - 1)), 0.0)
                scale = np.where(xnorm[idx] > 0, xnorm[idx], 1.0)
                alpha, it, st = searcher.line_search(Xi, ki, V, scale, max_iter)
                st[~ok_dir] = "zero_gradient"
                alpha = np.where(ok_dir, alpha, 0.0)
                Ri = alpha.reshape((-1,) + (1,) * (X.ndim - 1)) * V
            R[idx] = Ri
            iters[idx] = it
            status[idx] = st

        # float64 certification (twice), enlarging slightly where float64 disagrees
        new_label = np.full(n, -1, dtype=np.int64)
        margin = np.full(n, np.nan)
        success = np.zeros(n, dtype=bool)
        found = np.flatnonzero(status == "found")
        if found.size:
            ok, nl, mg, st = _certify(models, X[found], R[found], label[found], batch_size)
            for fac in _REPAIR:
                retry = (st == "not_certified") & ~ok
                if not retry.any():
                    break
                ir = np.flatnonzero(retry)
                R2 = R[found[ir]] * (1.0 + fac)
                ok2, nl2, mg2, st2 = _certify(models, X[found[ir]], R2, label[found[ir]], batch_size)
                take = ok2 | (st2 != "not_certified")
                R[found[ir[take]]] = R2[take]
                ok[ir], nl[ir], mg[ir], st[ir] = (np.where(take, ok2, ok[ir]), np.where(take, nl2, nl[ir]),
                                                  np.where(take, mg2, mg[ir]), np.where(take, st2, st[ir]))
            success[found], new_label[found], margin[found], status[found] = ok, nl, mg, st
        # the rest: evaluate x + r once more for information (new label, margin), never certified
        rest = np.flatnonzero((status != "flipped") & (label >= 0) & finite_x)
        if rest.size:
            La, err_a, _, _ = _eval_each(models, X[rest] + R[rest])
            if La.shape[1] != C:
                La = np.full((rest.size, C), np.nan)
            fin = np.isfinite(La).all(axis=1) & ~err_a
            others = La.copy()
            others[np.arange(rest.size), label[rest]] = -np.inf
            margin[rest] = np.where(fin, others.max(axis=1) - La[np.arange(rest.size), label[rest]], np.nan)
            new_label[rest] = np.where(fin, np.argmax(np.where(fin[:, None], La, 0.0), axis=1), -1)

    with np.errstate(divide="ignore", invalid="ignore"):
        rnorm = np.linalg.norm(R.reshape(n, -1), axis=1)
        ratio = np.where(success, np.where(xnorm > 0, rnorm / np.where(xnorm > 0, xnorm, 1.0), np.inf),
                         np.nan)
    rigor = np.array([Rigor.CERTIFIED_FLOAT64 if s else Rigor.NUMERICAL for s in success], dtype=object)
    status = np.array([str(v) for v in status], dtype=object)  # object: JSON round trip and equality
    elapsed = time.perf_counter() - t0
    if batched:
        return ClassifierWitness(R, ratio, label, new_label, success, iters, rigor, status, margin,
                                 X, method, elapsed, True)
    return ClassifierWitness(R[0], float(ratio[0]), int(label[0]), int(new_label[0]), bool(success[0]),
                             int(iters[0]), Rigor(rigor[0]), str(status[0]), float(margin[0]), X[0],
                             method, elapsed, False)


# --------------------------------------------------------------------------------------
# robustness report
# --------------------------------------------------------------------------------------

@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class RobustnessReport(CheckResult):
    """Per-method statistics of ``‖r‖/‖x‖`` over a set of samples (:func:`robustness_report`).

    Attributes
    ----------
    stats : dict
        ``method → {"median", "mean", "min", "success_rate", "time_s", "n",
        "n_searched", "n_flipped"}`` (ratios over the certified flips).
    witnesses : dict
        ``method →`` :class:`ClassifierWitness` (batched).
    figure : str or None
        Path of the saved figure (x, r, x + r for a few samples), if any.

    ``outcome`` is ``violated`` when some certified flip has
    ``‖r‖/‖x‖ ≤ tol`` (the classifier is unstable at that sample), else
    ``inconclusive`` (a search that finds nothing proves no robustness).

    Theorem: THEORY.md §5.
    Rigor: ``certified-float64`` when ``violated`` (the witness is re-evaluated
    twice in float64), else ``numerical``; the statistics are numerical.
    """

    stats: Mapping[str, Mapping[str, float]] = dataclasses.field(default_factory=dict)
    witnesses: Mapping[str, ClassifierWitness] = dataclasses.field(default_factory=dict)
    figure: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        wits = {}
        for key, w in dict(self.witnesses).items():
            if isinstance(w, Mapping):  # loaded from JSON
                w = ClassifierWitness(**dict(w))
            wits[str(key)] = w
        object.__setattr__(self, "witnesses", wits)
        object.__setattr__(self, "stats", {str(k): dict(v) for k, v in dict(self.stats).items()})

    def table(self) -> str:
        """The statistics as a text table (one row per method)."""
        head = f"{'method':<14}{'median':>10}{'mean':>10}{'min':>10}{'success':>9}{'time (s)':>10}"
        rows = [head]
        for m, s in self.stats.items():
            rows.append(f"{m:<14}{s['median']:>10.4g}{s['mean']:>10.4g}{s['min']:>10.4g}"
                        f"{100 * s['success_rate']:>8.0f}%{s['time_s']:>10.3f}")
        return "\n".join(rows)


def _stats(w: ClassifierWitness) -> dict[str, float]:
    succ = np.asarray(w.success, dtype=bool)
    ratios = np.asarray(w.ratio, dtype=float)[succ]
    searched = ~np.isin(np.asarray(w.status), _SKIPPED)
    nan = float("nan")
    return {
        "median": float(np.median(ratios)) if ratios.size else nan,
        "mean": float(np.mean(ratios)) if ratios.size else nan,
        "min": float(np.min(ratios)) if ratios.size else nan,
        "success_rate": float(succ[searched].mean()) if searched.any() else nan,
        "time_s": float(w.time_s),
        "n": int(succ.size),
        "n_searched": int(searched.sum()),
        "n_flipped": int(succ.sum()),
    }


def robustness_report(
    model: Any,
    X: Any,
    *,
    methods: Sequence[str] = SEED_METHODS,
    labels: Any = None,
    seed: Any = None,
    overshoot: float = 0.02,
    max_iter: int = 50,
    device: Any = None,
    batch_size: int | None = None,
    candidates: int | None = 10,
    tol: float = 0.1,
    figure: str | os.PathLike | None = None,
    n_figure: int = 4,
    image_shape: Sequence[int] | None = None,
) -> RobustnessReport:
    """Run several perturbation searches on a batch and summarise ``‖r‖/‖x‖`` per method.

    Parameters
    ----------
    model : torch.nn.Module
        Classifier returning logits (see :func:`search_minimal_perturbation`).
    X : array_like or torch.Tensor
        A batch of samples, batch first.
    methods : sequence of str
        Any of :data:`METHODS` (default: the seeds' three, random noise, fast
        gradient and DeepFool).
    labels : array of int, optional
        True labels (misclassified samples are skipped and counted apart).
    seed : int or None
        Seed of the random directions.
    tol : float
        The report is ``violated`` when a certified flip has ``‖r‖/‖x‖ ≤ tol``.
    figure : path, optional
        Save a figure of ``x``, ``r`` and ``x + r`` (each method) for the first
        ``n_figure`` samples with a certified flip (matplotlib, imported only then).
    image_shape : tuple of int, optional
        How to show a sample (default: its own shape if 2-D, a square if
        its size is a perfect square, else a line plot).

    Other parameters are passed to :func:`search_minimal_perturbation`.

    Returns
    -------
    RobustnessReport
        ``stats[method]`` with median, mean and min of ``‖r‖/‖x‖`` (over
        certified flips), success rate and time; ``witnesses[method]``.

    Theorem: THEORY.md §5 (the seeds' comparison: random noise ≫ fast
    gradient ≫ DeepFool in ``‖r‖/‖x‖``).
    Rigor: certified-float64 for the flips (and a ``violated`` outcome);
    statistics numerical.
    """
    methods = tuple(methods)
    if not methods:
        raise InvalidArgument("methods is empty: pass some of " + ", ".join(METHODS))
    for m in methods:
        if m not in METHODS:
            raise InvalidArgument(f"unknown method {m!r}: use {METHODS}")
    try:
        tol = float(tol)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"tol must be a number, got {tol!r}") from exc
    if not tol >= 0:
        raise InvalidArgument(f"tol must be >= 0, got {tol}")
    n_figure = _int_arg(n_figure, "n_figure", 0)
    witnesses: dict[str, ClassifierWitness] = {}
    stats: dict[str, dict[str, float]] = {}
    for m in methods:
        w = search_minimal_perturbation(model, X, method=m, overshoot=overshoot, max_iter=max_iter,
                                        seed=seed, device=device, batch_size=batch_size, labels=labels,
                                        candidates=candidates, batched=True)
        witnesses[m] = w
        stats[m] = _stats(w)
    values: dict[str, Any] = {}
    for m, s in stats.items():
        for key in ("median", "mean", "min", "success_rate", "time_s"):
            values[f"{m}_{key}"] = s[key]
    best = None
    for m, w in witnesses.items():
        succ = np.asarray(w.success, dtype=bool)
        if succ.any():
            i = int(np.argmin(np.where(succ, w.ratio, np.inf)))
            if best is None or w.ratio[i] < best[2]:
                best = (m, i, float(w.ratio[i]))
    parts = [f"{m}: {100 * s['success_rate']:.0f}% flipped, median ‖r‖/‖x‖ = {s['median']:.3g}"
             for m, s in stats.items()]
    if best is not None and best[2] <= tol:
        m, i, ratio = best
        w = witnesses[m]
        wit = Witness("classifier_perturbation", {"x": w.x[i], "r": w.r[i], "label": int(w.label[i]),
                                                  "new_label": int(w.new_label[i]), "method": m})
        outcome, rigor = Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64
        msg = f"a perturbation of ‖r‖/‖x‖ = {ratio:.3g} <= {tol:g} flips a label ({m}); " + "; ".join(parts)
    else:
        wit, outcome, rigor = None, Outcome.INCONCLUSIVE, Rigor.NUMERICAL
        msg = f"no certified flip with ‖r‖/‖x‖ <= {tol:g}; " + "; ".join(parts)
    fig_path = None
    if figure is not None:
        fig_path = _save_figure(os.fspath(figure), witnesses, n_figure, image_shape)
    return RobustnessReport("classifier_robustness", outcome, rigor, msg, values, wit, _THEOREM,
                            stats=stats, witnesses=witnesses, figure=fig_path)


def _save_figure(path: str, witnesses: Mapping[str, ClassifierWitness], n_show: int,
                 image_shape: Sequence[int] | None) -> str:
    from matplotlib.figure import Figure  # no pyplot: the caller's backend and figures are untouched

    methods = list(witnesses)
    w0 = witnesses[methods[0]]
    ok_all = np.all([np.asarray(w.success, dtype=bool) for w in witnesses.values()], axis=0)
    rows = list(np.flatnonzero(ok_all)[:n_show]) or list(range(min(n_show, len(w0))))
    rows = rows or [0]
    shape = tuple(image_shape) if image_shape is not None else None
    sample_shape = w0.x.shape[1:]
    if shape is None:
        squeezed = tuple(s for s in sample_shape if s != 1)
        d = int(np.prod(sample_shape))
        side = int(round(math.sqrt(d)))
        shape = squeezed if len(squeezed) == 2 else ((side, side) if side * side == d else None)

    def show(ax: Any, a: np.ndarray, diverging: bool = False, vrange: Any = None) -> None:
        if shape is not None:
            img = a.reshape(shape)
            if diverging:
                v = float(np.max(np.abs(img))) or 1.0
                ax.imshow(img, cmap="RdBu_r", vmin=-v, vmax=v)
            else:  # x and x + r on the same grey scale (that of x)
                ax.imshow(img, cmap="gray", vmin=vrange[0], vmax=vrange[1])
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            ax.plot(a.ravel())

    ncol = 1 + 2 * len(methods)
    fig = Figure(figsize=(1.8 * ncol, 1.9 * len(rows)))
    axes = fig.subplots(len(rows), ncol, squeeze=False)
    for r_i, i in enumerate(rows):
        lo, hi = float(np.min(w0.x[i])), float(np.max(w0.x[i]))
        vr = (lo, hi if hi > lo else lo + 1.0)
        show(axes[r_i, 0], w0.x[i], vrange=vr)
        axes[r_i, 0].set_title(f"x (label {int(w0.label[i])})", fontsize=7)
        for j, m in enumerate(methods):
            w = witnesses[m]
            show(axes[r_i, 1 + 2 * j], w.r[i], diverging=True)
            axes[r_i, 1 + 2 * j].set_title(f"{m}: r, ratio {float(w.ratio[i]):.2g}", fontsize=7)
            show(axes[r_i, 2 + 2 * j], w.x[i] + w.r[i], vrange=vr)
            axes[r_i, 2 + 2 * j].set_title(f"x + r (label {int(w.new_label[i])})", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


# --------------------------------------------------------------------------------------
# linear models: ε‖w‖₁ under ‖Δx‖_∞ ≤ ε
# --------------------------------------------------------------------------------------

def _exact_dot(a: np.ndarray, b: np.ndarray) -> Fraction:
    """Exact ``Σ a_i b_i`` of float64 arrays (binary64 numbers are dyadic rationals)."""
    ma, ea = np.frexp(a)
    mb, eb = np.frexp(b)
    Ma = (ma * 2.0 ** 53).astype(np.int64)  # exact: |m| < 1 has 53 significant bits
    Mb = (mb * 2.0 ** 53).astype(np.int64)
    E = ea.astype(np.int64) + eb.astype(np.int64) - 106
    nz = (Ma != 0) & (Mb != 0)
    if not nz.any():
        return Fraction(0)
    Ma, Mb, E = Ma[nz], Mb[nz], E[nz]
    emin = int(E.min())
    total = sum((int(p) * int(q)) << (int(e) - emin) for p, q, e in zip(Ma, Mb, E))
    return Fraction(total) * (Fraction(2) ** emin)


def _frac_str(f: Fraction) -> str:
    from theorycheck.numerics.exact import decimal_string

    return decimal_string(f, 25)


def _frac_overflows(f: Fraction) -> bool:
    try:
        float(f)
    except OverflowError:
        return True
    return False


def _frac_float(f: Fraction) -> float:
    """``float(f)``, or ±inf where ``f`` exceeds the float64 range (``float(Fraction)`` raises)."""
    try:
        return float(f)
    except OverflowError:
        return math.inf if f > 0 else -math.inf


def check_linear_sensitivity(w: Any, x: Any, eps: float, *, b: float = 0.0) -> CheckResult:
    """The seeds' linear-model fact: under ``‖Δx‖_∞ ≤ ε``, ``w·x`` changes by at most ``ε‖w‖₁``, attained.

    ``w·(x + Δx) + b − (w·x + b) = w·Δx ≤ ‖w‖₁‖Δx‖_∞`` (Hölder), with
    equality at ``Δx = ε sign(w)``; and ``ε‖w‖₁ = ε d ⟨|w|⟩`` grows with the
    dimension ``d``. The check computes, in exact rational arithmetic, the
    change ``w·Δx`` at ``Δx = ε sign(w)`` and confirms that it equals
    ``ε‖w‖₁``; it also decides exactly whether that perturbation (pointed
    towards the boundary) flips the sign of ``w·x + b``, i.e. whether
    ``ε‖w‖₁ > |w·x + b|``, and the smallest such ``ε``, ``|w·x + b|/‖w‖₁``.

    Parameters
    ----------
    w, x : array_like
        Weights and input (same shape, real, finite).
    eps : float
        The ``ℓ∞`` radius ``ε ≥ 0``.
    b : float
        Bias.

    Returns
    -------
    CheckResult
        ``holds`` (``proven``) with values ``change`` (= ``ε‖w‖₁``),
        ``change_exact`` (decimal string), ``l1_norm``, ``d``, ``mean_abs_w``,
        ``score`` (``w·x + b``), ``eps_to_flip``, ``flips`` and
        ``float64_change`` (the same change evaluated in float64 at the rounded
        input ``x + Δx``); witness ``Δx``.

    Examples
    --------
    >>> res = check_linear_sensitivity([1.0, -2.0, 0.5], [0.1, 0.2, 0.3], 0.01)
    >>> res.holds, res["change"], round(res["eps_to_flip"], 6), res["flips"]
    (True, 0.035, 0.042857, False)

    Theorem: THEORY.md §5 (linear model under ``‖Δx‖_∞ ≤ ε`` changes by
    ``ε‖w‖₁ ≈ ε d ⟨|w|⟩``; Goodfellow, Shlens, Szegedy 2014).
    Rigor: proven (exact rational arithmetic on the float64 data; the upper
    bound is Hölder's inequality).
    """
    W = _as_float64(w, "w").ravel()
    Xv = _as_float64(x, "x")
    if Xv.size != W.size:
        raise InvalidArgument(f"w has {W.size} entries but x has {Xv.size}: pass arrays of the same size")
    Xv = Xv.ravel()
    if not (np.isfinite(W).all() and np.isfinite(Xv).all()):
        raise InvalidArgument("w and x must be finite (no NaN or inf)")
    try:
        eps_f, b_f = float(eps), float(b)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"eps and b must be numbers, got {eps!r}, {b!r}") from exc
    if not math.isfinite(eps_f) or eps_f < 0:
        raise InvalidArgument(f"eps must be finite and >= 0, got {eps_f}")
    if not math.isfinite(b_f):
        raise InvalidArgument(f"b must be finite, got {b_f}")
    d = W.size
    dx = eps_f * np.sign(W)  # exact: ±ε or 0
    l1 = _exact_dot(np.abs(W), np.ones(d))
    bound = Fraction(eps_f) * l1
    attained = _exact_dot(W, dx)
    holds = attained == bound
    score = _exact_dot(W, Xv) + Fraction(b_f)
    eps_flip = abs(score) / l1 if l1 else None
    flips = bool(bound > abs(score)) if l1 else False
    # towards the boundary; the sign from the exact score (float(score) may overflow or underflow)
    sgn = (score > 0) - (score < 0)
    x_adv = Xv - sgn * dx if sgn != 0 else Xv + dx
    with np.errstate(all="ignore"):
        f64_change = float(np.dot(W, x_adv) - np.dot(W, Xv))
    overflow = [name for name, f in (("change", bound), ("l1_norm", l1), ("score", score),
                                     ("eps_to_flip", eps_flip)) if f is not None and _frac_overflows(f)]
    values = {
        "change": _frac_float(bound), "change_exact": _frac_str(bound), "l1_norm": _frac_float(l1), "d": d,
        "mean_abs_w": _frac_float(l1 / d) if d else 0.0, "eps": eps_f, "score": _frac_float(score),
        "score_exact": _frac_str(score),
        "eps_to_flip": _frac_float(eps_flip) if eps_flip is not None else float("inf"),
        "eps_to_flip_exact": _frac_str(eps_flip) if eps_flip is not None else "inf",
        "flips": flips, "float64_change": abs(f64_change),
    }
    note = ""
    if overflow:
        note = (f"; {', '.join(overflow)} exceed the float64 range (stored as ±inf; exact decimal "
                "values in *_exact)")
    if not math.isfinite(f64_change):
        note += "; float64_change overflows in float64 (the exact change is change_exact)"
    msg = (f"max over ‖Δx‖∞ ≤ {eps_f:g} of w·Δx = ε‖w‖₁ = ε d⟨|w|⟩ = {values['change']:.6g} "
           f"(d = {d}), attained at Δx = ε sign(w) (exact); the sign of w·x + b "
           f"{'flips' if flips else 'does not flip'} (it needs ε > {values['eps_to_flip']:.6g})" + note)
    outcome = Outcome.HOLDS if holds else Outcome.VIOLATED  # VIOLATED would mean an arithmetic bug
    return CheckResult("linear_sensitivity", outcome, Rigor.PROVEN, msg, values,
                       Witness("linf_perturbation", {"w": W, "x": Xv, "eps": eps_f, "b": b_f, "dx": dx}),
                       _THEOREM)


@register_verifier("linear_sensitivity")
def _verify_linear_sensitivity(result: CheckResult) -> CheckResult:
    wit = result.witness
    if wit is None or not all(k in wit.data for k in ("w", "x", "eps", "b", "dx")):
        return CheckResult("verify:linear_sensitivity", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           "the saved result has no usable witness")
    try:
        again = check_linear_sensitivity(wit["w"], wit["x"], wit["eps"], b=wit["b"])
    except InvalidArgument as exc:
        return CheckResult("verify:linear_sensitivity", Outcome.VIOLATED, Rigor.PROVEN,
                           f"the saved witness is not valid input: {exc}")
    # every stored value, the message, outcome, rigor and Δx must match the recomputation
    # exactly (floats included: the recomputation is deterministic)
    diff = [k for k in set(again.values) | set(result.values)
            if k not in again.values or k not in result.values
            or type(again.values[k]) is not type(result.values[k])
            or not _equal(again.values[k], result.values[k])]
    if not np.array_equal(np.asarray(again.witness["dx"]), np.asarray(wit["dx"])):
        diff.append("witness dx")
    for name in ("message", "outcome", "rigor", "check", "theorem"):
        if getattr(again, name) != getattr(result, name):
            diff.append(name)
    same = not diff
    return CheckResult("verify:linear_sensitivity", Outcome.HOLDS if same else Outcome.VIOLATED,
                       Rigor.PROVEN, "saved values confirmed" if same else
                       "saved values differ from the recomputation: " + ", ".join(sorted(diff)),
                       dict(again.values))


# --------------------------------------------------------------------------------------
# data and small classifiers (torch imported lazily)
# --------------------------------------------------------------------------------------

def digits_data(seed: int = 0, test_fraction: float = 0.25) -> dict[str, Any]:
    """scikit-learn's bundled 8 × 8 digits in ``[0, 1]``, split by a seeded permutation (no download).

    Returns ``X_train, y_train, X_test, y_test`` (``X`` of shape ``(n, 64)``),
    ``image_shape = (8, 8)`` and ``n_classes = 10``.

    Theorem: none (data for THEORY.md §5).
    Rigor: not applicable (data).
    """
    from theorycheck._classifier_models import digits_data as impl

    return impl(seed, test_fraction)


def synthetic_data(n: int = 600, d: int = 20, n_classes: int = 3, *, seed: int = 0,
                   separation: float = 3.0, test_fraction: float = 0.25) -> dict[str, Any]:
    """A seeded Gaussian mixture with ``n_classes`` classes in dimension ``d``.

    Theorem: none (data for THEORY.md §5).
    Rigor: not applicable (data).
    """
    from theorycheck._classifier_models import synthetic_data as impl

    return impl(n, d, n_classes, seed=seed, separation=separation, test_fraction=test_fraction)


def train_classifier(model: Any, X: Any, y: Any, *, epochs: int = 30, lr: float = 5e-3,
                     batch_size: int = 128, weight_decay: float = 0.0, seed: int = 0) -> Any:
    """Fit a logits model to ``(X, y)`` by Adam on the cross-entropy (seeded shuffling); returns it in eval mode.

    Theorem: none (training).
    Rigor: not applicable (training).
    """
    from theorycheck._classifier_models import train_classifier as impl

    return impl(model, X, y, epochs=epochs, lr=lr, batch_size=batch_size,
                weight_decay=weight_decay, seed=seed)


def build_digits_classifier(arch: str = "mlp", *, seed: int = 0,
                            epochs: int | None = None) -> tuple[Any, dict[str, Any]]:
    """A seeded MLP (``"mlp"``) or small CNN (``"cnn"``) trained on the digits in about a second.

    Returns ``(model, data)``; ``data`` as :func:`digits_data` with ``X``
    shaped for the model and ``test_accuracy`` (about 0.98).

    Theorem: none (the classifier of THEORY.md §5's experiments).
    Rigor: not applicable (training).
    """
    from theorycheck._classifier_models import build_digits_classifier as impl

    return impl(arch, seed=seed, epochs=epochs)
