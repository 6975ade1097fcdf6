"""Universal perturbations: one vector that fools a classifier on most of its inputs (docs/theory.md §5).

Moosavi-Dezfooli, Fawzi, Fawzi and Frossard (2017), shown in seeds 001/003:
a single perturbation ``v`` with ``‖v‖_p ≤ ξ`` changes the label of most
images (``k̂(x + v) ≠ k̂(x)``), and a ``v`` computed for one network fools
networks of other architectures too (their table: 39–94 % on VGG-F, CaffeNet,
GoogLeNet, VGG-16/19, ResNet-152).

The algorithm (:func:`search_universal_perturbation`). Start from ``v = 0``;
pass over the data in a seeded random order; for every sample ``x_i`` that
``v`` does not fool yet, compute a minimal perturbation ``Δv_i`` of
``x_i + v`` with DeepFool (``k̂(x_i + v + Δv_i) ≠ k̂(x_i)``) and set
``v ← P_{p,ξ}(v + Δv_i)``, ``P_{p,ξ}`` the projection onto the ``ℓ_p`` ball
of radius ``ξ`` (``ℓ2``: scaling; ``ℓ∞``: clipping; DeepFool is the ``ℓ2``
one for both, as in the authors' code). Stop when the fooling rate on the
data reaches ``target_fooling`` or after ``max_passes`` passes, and return
the ``v`` (after a pass) that fooled the most samples (the iteration is not
monotone). Batched:
the samples are taken ``batch_size`` at a time, their DeepFool steps are
computed in one batched search at the current ``v`` and applied one after
the other (``batch_size=1`` is the original sequential algorithm; the result
depends on ``batch_size``). Seeded: the same seed gives the same ``v`` on the
CPU (a CUDA search computes in other rounding orders).

Certification. After the search, ``v`` is applied to every sample and each
counted flip is certified exactly as the flips of
:func:`~theorycheck.classification.search_minimal_perturbation` (same
evaluations, same rounding allowance, see :mod:`theorycheck.classification`):
``x`` and ``x + v`` evaluated alone, twice, in float64 on the CPU and in the
model's own dtype and device; ``v`` is not enlarged. The evaluations are
stored as a batched :class:`~theorycheck.classification.ClassifierWitness`
per data set (``r = v`` for every sample whose label was decided). The
fooling rate is the number of certified flips over the number of samples
(undecided samples count as not fooled: a lower bound on the float
evaluations' fooling rate), with a two-sided Clopper–Pearson interval.

:func:`fooling_rate_table` applies perturbations (rows) to models (columns),
each entry a certified count with its interval: the transfer table.

Theorem: docs/theory.md §5 (universal perturbations; seeds 001/003).
Rigor: every counted flip is certified-float64; the intervals are
statistical (Clopper–Pearson at ``confidence``; a statement about the data
distribution only for data that played no part in computing ``v``).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from theorycheck.classification._common import METHODS, STR_DTYPE, UNIT_ROUNDOFF, as_float64
from theorycheck.classification._proven import certify_arg
from theorycheck.classification.search import prove_flips, search_args
from theorycheck.classification.witness import (
    ClassifierWitness,
    assemble,
    derive,
    float64_backing,
    validate_data,
    verify_classifier_witness,
)
from theorycheck.errors import InvalidArgument
from theorycheck.numerics.parallel import call_back, progress_bar
from theorycheck.numerics.rounding import norm2, norm2_bounds, round_down
from theorycheck.numerics.statistics import clopper_pearson
from theorycheck.numerics.validation import (
    bool_arg,
    choice_arg,
    finite_real_arg,
    integer_arg,
    probability_arg,
    real_arg,
    refuse_size,
    seed_arg,
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

__all__ = ["NORMS", "UNIVERSAL_METHODS", "UniversalWitness", "FoolingRateTable", "search_universal_perturbation",
           "fooling_rate_table", "verify_universal_witness", "verify_fooling_rate_table", "clopper_pearson",
           "project", "assemble_universal", "assemble_table"]

#: Norms of the ball a universal perturbation is projected onto.
NORMS: tuple[str, ...] = ("l2", "linf")
#: Per-sample searches inside the universal algorithm.
UNIVERSAL_METHODS: tuple[str, ...] = ("deepfool",)

CHECK = "universal_perturbation"
TABLE_CHECK = "fooling_rate_table"
THEOREM = "docs/theory.md §5 (universal perturbations, Moosavi-Dezfooli et al. 2017; seeds 001, 003)"
MAX_PASSES = 10_000
_MAX_ENTRIES = 10 ** 8
#: the search statuses a fixed perturbation can have (no gradient is taken at x + v)
_FIXED_STATUSES = ("", "found", "not_found", "nan_during_search")


# --------------------------------------------------------------------------------------
# small deterministic helpers
# --------------------------------------------------------------------------------------

def _norm(v: np.ndarray, norm: str) -> float:
    """``‖v‖₂`` (deterministic :func:`norm2`) or ``max |v_i|``."""
    return norm2(v) if norm == "l2" else float(np.max(np.abs(v))) if v.size else 0.0


def _within(v: np.ndarray, norm: str, xi: float) -> bool:
    """Whether ``‖v‖ ≤ ξ`` for the exact norm of the stored values (proven: an upper bound ≤ ξ)."""
    if norm == "linf":
        return bool(np.all(np.abs(v) <= xi))
    return norm2_bounds(v)[1] <= xi


def project(v: Any, norm: str, xi: float) -> np.ndarray:
    """``v`` projected onto the ball ``‖·‖ ≤ ξ`` (``"l2"``: scaled, ``"linf"``: clipped), in float64.

    The result's exact norm is at most ``ξ`` (checked with the rigorous
    enclosure of :func:`~theorycheck.numerics.rounding.norm2_bounds`; the
    scaling is shrunk by a few ulps where rounding would overshoot).

    Examples
    --------
    >>> project([3.0, 4.0], "l2", 1.0).round(6).tolist(), project([3.0, -4.0], "linf", 1.0).tolist()
    ([0.6, 0.8], [1.0, -1.0])

    Theorem: projection onto a norm ball (``ℓ2``: ``v · min(1, ξ/‖v‖)``; ``ℓ∞``: entrywise clipping).
    Rigor: the ``‖P v‖ ≤ ξ`` guarantee is proven (enclosure of the float64 norm); the ``ℓ2``
    scaling is within a few ulps of exact.
    """
    norm = choice_arg(norm, "norm", NORMS)
    xi = real_arg(xi, "xi")
    w = np.array(v, dtype=np.float64, copy=True)
    if not np.isfinite(w).all():
        raise InvalidArgument("v holds NaN or inf: cannot project it")
    if norm == "linf":
        return np.clip(w, -xi, xi)
    hi = norm2_bounds(w)[1]
    if hi <= xi:
        return w
    w = w * (xi / hi)
    shrink = 1.0
    while not _within(w, "l2", xi):  # rounding of the scaling: shrink by a few ulps (at most a few rounds)
        shrink = round_down(shrink * (1.0 - 2.0 ** -50))
        w = w * shrink
    return w


def _batch(X: Any, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A finite float64 batch ``(n, *input_shape)``, n ≥ 1 (:class:`InvalidArgument` naming the sample)."""
    arr = as_float64(X, name)
    if arr.ndim < 2:
        raise InvalidArgument(f"{name} must be a batch (n, *input_shape) with the samples first, got shape "
                              f"{arr.shape}")
    if shape is not None and arr.shape[1:] != shape:
        raise InvalidArgument(f"{name} has samples of shape {arr.shape[1:]}, expected {shape}")
    refuse_size(float(arr.size), _MAX_ENTRIES, f"{name} with {arr.size} entries", "use fewer samples")
    bad = np.flatnonzero(~np.isfinite(arr.reshape(arr.shape[0], -1)).all(axis=1))
    if bad.size:
        more = f" (and {bad.size - 1} more sample(s))" if bad.size > 1 else ""
        raise InvalidArgument(f"{name}[{int(bad[0])}] holds NaN or inf{more}: remove or repair the sample")
    return arr


# --------------------------------------------------------------------------------------
# the evaluations of a fixed perturbation (the certification path of the per-image searches)
# --------------------------------------------------------------------------------------

def _evaluate_inputs(ms: Any, X: np.ndarray) -> Any:
    """Every sample's ``x`` alone, once: in float64 (which decides the number of classes), natively, probe."""
    import torch

    from theorycheck.classification._evaluation import Evaluations, run_alone

    n = X.shape[0]
    outs: set[str] = set()
    rows, exc0 = run_alone(ms.f64, X, torch.float64, torch.device("cpu"), outs)
    sizes = [r.size for r in rows[0] if r is not None]
    if not sizes:
        raise exc0 if exc0 is not None else InvalidArgument("the model could not be evaluated on any sample")
    ev = Evaluations(ms, n, sizes[0], with_probe=True)
    ev.outs["f64"] |= outs
    idx = np.arange(n)
    ev.put("f64", 0, 0, idx, rows[0])
    ev.first_exc = exc0
    ev.run("nat", 0, 0, idx, X)
    ev.run("probe", 0, 0, idx, X)
    return ev


def _copy_evaluations(ev: Any) -> Any:
    """An independent copy of an :class:`Evaluations` (same model set, copied arrays)."""
    out = copy.copy(ev)
    for name in ("F", "Fc", "N", "Nc", "P", "Pc", "Dp", "Dc"):
        a = getattr(ev, name)
        setattr(out, name, None if a is None else a.copy())
    out.outs = {k: set(v) for k, v in ev.outs.items()}
    return out


def _usable(ev: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """The labels decided at ``x`` (float64 evaluation), which samples have one, and the witness's base fields."""
    n = X.shape[0]
    base: dict[str, Any] = {"x": X, "r": np.zeros_like(X), "method": "deepfool",
                            "search_status": np.full(n, "", dtype=STR_DTYPE),
                            "iterations": np.zeros(n, dtype=np.int64)}
    dv = derive(validate_data({**base, **ev.data()}, strict=False))
    return dv["label"], dv["x_status"] == "", base


def _certify_fixed(ev: Any, searcher: Any, X: np.ndarray, v: np.ndarray, method: str,
                   prove: tuple | None = None) -> dict[str, Any]:
    """The witness data of the fixed perturbation ``v`` applied to every sample of ``X``.

    Samples whose label is decided get ``r = v``; where the search
    precision's label of ``x + v`` differs (``found``), ``x`` is evaluated
    again and ``x + v`` twice, each alone, in float64 and natively: the
    certification of :func:`search_minimal_perturbation`, without enlarging ``r``.
    ``prove``: ``(model set, "proven" | "auto", unit roundoff)`` also encloses the exact
    logits at ``x`` and ``x + v`` of those samples (never enlarging ``v``).
    """
    label, usable, base = _usable(ev, X)
    base["method"] = method
    idx = np.flatnonzero(usable)
    status = base["search_status"]
    if idx.size:
        base["r"][idx] = v
        L = searcher.logits_at(X[idx] + v)
        fin = np.isfinite(L).all(axis=1)
        pred = np.argmax(np.where(np.isfinite(L), L, -np.inf), axis=1)
        status[idx] = np.where(~fin, "nan_during_search", np.where(pred != label[idx], "found", "not_found"))
    found = np.flatnonzero(status == "found")
    if found.size:
        ev.point(0, 1, found, X[found])
        ev.point(1, None, found, X[found] + base["r"][found])
    if prove is not None:
        ms, mode, u = prove
        base.update(prove_flips(ms, ev, base, X, mode, u, repair=False))
    return {**base, **ev.data()}


# --------------------------------------------------------------------------------------
# the search
# --------------------------------------------------------------------------------------

def _candidates(L: np.ndarray, k: np.ndarray, K: int) -> np.ndarray:
    """The label first, then the ``K − 1`` other classes with the largest logits."""
    M = L.copy()
    M[np.arange(len(k)), k] = np.inf
    return np.argsort(-M, axis=1, kind="stable")[:, :K]


def _fooled(searcher: Any, X: np.ndarray, k: np.ndarray, idx: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether ``v`` changes the search precision's label of the samples ``idx`` (NaN counts as fooled)."""
    if not idx.size:
        return np.zeros(0, dtype=bool)
    L = searcher.logits_at(X[idx] + v)
    fin = np.isfinite(L).all(axis=1)
    return ~fin | (np.argmax(np.where(fin[:, None], L, 0.0), axis=1) != k[idx])


def _one_pass(searcher: Any, X: np.ndarray, k: np.ndarray, order: np.ndarray, v: np.ndarray,
              opts: Mapping[str, Any]) -> np.ndarray:
    """One pass of the universal algorithm over ``order``, ``batch_size`` samples per DeepFool search."""
    from theorycheck.classification._evaluation import chunks

    for sl in chunks(order.size, opts["batch_size"]):
        b = order[sl]
        Xb = X[b] + v
        L = searcher.logits_at(Xb)
        fin = np.isfinite(L).all(axis=1)
        keep = fin & (np.argmax(np.where(fin[:, None], L, 0.0), axis=1) == k[b])
        if not keep.any():
            continue
        cand = _candidates(L[keep], k[b][keep], opts["K"])
        R, _, st = searcher.deepfool(Xb[keep], k[b][keep], cand, opts["overshoot"], opts["max_iter"])
        for j in np.flatnonzero(st == "found"):
            if np.isfinite(R[j]).all():
                v = project(v + R[j], opts["norm"], opts["xi"])
    return v


def _passes(searcher: Any, X: np.ndarray, k: np.ndarray, usable: np.ndarray, rng: np.random.Generator,
            opts: Mapping[str, Any], progress: bool, callback: Callable[[Any], Any] | None
            ) -> tuple[np.ndarray, int, list[float]]:
    """Passes until the search precision's fooling rate reaches the target (or ``max_passes``)."""
    n = X.shape[0]
    idx = np.flatnonzero(usable)
    v = np.zeros(X.shape[1:])
    best, best_rate = v, 0.0
    history: list[float] = []
    passes = 0
    bar = progress_bar(opts["max_passes"], progress, "universal perturbation")
    try:
        while passes < opts["max_passes"] and best_rate < opts["target"]:
            v = _one_pass(searcher, X, k, rng.permutation(idx), v, opts)
            passes += 1
            rate = float(_fooled(searcher, X, k, idx, v).sum()) / n
            history.append(rate)
            if rate > best_rate:  # the pass's v fools more than every earlier one: keep it
                best, best_rate = v, rate
            bar.update()
            bar.set_postfix(fooling=f"{rate:.3f}")
            call_back(callback, {"pass": passes, "fooling_rate": best_rate, "v": best.copy()})
    finally:
        bar.close()
    return best, passes, history


def _universal_args(norm: Any, xi: Any, target_fooling: Any, max_passes: Any, method: Any, confidence: Any,
                    progress: Any, callback: Any) -> dict[str, Any]:
    """The universal search's own arguments validated (:class:`InvalidArgument` naming the first bad one)."""
    norm = choice_arg(norm, "norm", NORMS)
    xi = real_arg(xi, "xi")
    target = finite_real_arg(target_fooling, "target_fooling")
    if not 0.0 < target <= 1.0:
        raise InvalidArgument(f"target_fooling must lie in (0, 1] (a fraction of the samples), got {target_fooling!r}")
    max_passes = integer_arg(max_passes, "max_passes", minimum=1, maximum=MAX_PASSES)
    method = choice_arg(method, "method", UNIVERSAL_METHODS)
    confidence = probability_arg(confidence, "confidence")
    progress = bool_arg(progress, "progress")
    if callback is not None and not callable(callback):
        raise InvalidArgument(f"callback must be callable or None, got {callback!r}")
    return {"norm": norm, "xi": xi, "target": target, "max_passes": max_passes, "method": method,
            "confidence": confidence, "progress": progress}


def search_universal_perturbation(
    model: Any,
    X: Any,
    *,
    norm: str = "l2",
    xi: float,
    target_fooling: float = 0.8,
    max_passes: int = 10,
    method: str = "deepfool",
    X_test: Any = None,
    overshoot: float = 0.02,
    max_iter: int = 10,
    candidates: int | None = 10,
    batch_size: int = 64,
    confidence: float = 0.95,
    seed: Any = None,
    device: Any = None,
    progress: bool = True,
    callback: Callable[[Any], Any] | None = None,
    certify: bool | str = "float64",
) -> UniversalWitness:
    """One perturbation ``v`` with ``‖v‖ ≤ ξ`` that changes the label of as many samples of ``X`` as it can.

    Parameters
    ----------
    model : torch.nn.Module
        A classifier returning logits (see :func:`search_minimal_perturbation`);
        never modified.
    X : array_like or torch.Tensor
        The samples ``v`` is computed on, batch first ``(n, *input_shape)``, finite.
    norm : {"l2", "linf"}
        The ball ``v`` is projected onto.
    xi : float
        Its radius ``ξ > 0`` (in the units of ``X``).
    target_fooling : float
        Stop once this fraction of ``X`` is fooled (in ``(0, 1]``; measured
        in the search precision; the reported rate counts certified flips).
    max_passes : int
        At most this many passes over ``X`` (1 to 10000).
    method : {"deepfool"}
        The per-sample minimal perturbation (DeepFool, ``ℓ2``).
    X_test : array_like, optional
        Held-out samples (same sample shape): the fooling rate of ``v`` there,
        with its interval, is a statement about the data distribution.
    overshoot, max_iter, candidates :
        DeepFool's (defaults 0.02, 10 iterations, 10 candidate classes; see
        :func:`search_minimal_perturbation`).
    batch_size : int
        Samples whose DeepFool steps are computed together at the same ``v``
        (default 64; 1: the sequential algorithm of the paper). The result
        depends on it (the steps of a batch see the same ``v``).
    confidence : float
        Level of the Clopper–Pearson intervals.
    seed : int or numpy.random.Generator, optional
        The order of the samples in each pass; same seed, same ``v`` (on the CPU).
    device : str or torch.device, optional
        Where to search (default CUDA if present); certification as for the per-image searches.
    progress : bool
        Show a progress bar over the passes.
    callback : callable, optional
        Called after each pass with ``{"pass", "fooling_rate", "v"}``: the
        best perturbation so far (a copy) and its fooling rate on ``X`` in the
        search precision.
    certify : {"float64", "proven", "auto"} or True
        How a flip is counted: certified in float64 (default, as below);
        ``"proven"``: only where enclosures of the exact real-arithmetic logits
        (:func:`theorycheck.nets.enclose`) at ``x`` and ``x + v`` separate the
        labels (an unsupported layer raises
        :class:`~theorycheck.errors.PreconditionError`); ``"auto"``: proven
        where they separate, else certified-float64. ``v`` is never enlarged.
        In every mode ``x + v`` is the float64 sum (the input the model is
        given when ``v`` is added to ``x``, as for the per-sample witnesses'
        ``x + r``), not the exact sum of the two arrays.

    Returns
    -------
    UniversalWitness
        ``v``, the certified fooling rate on ``X`` and on ``X_test`` with their
        intervals, the per-sample flips and every evaluation they rest on.

    Examples
    --------
    >>> import torch
    >>> lin = torch.nn.Linear(2, 1).double()
    >>> with torch.no_grad():
    ...     _ = lin.weight.copy_(torch.tensor([[1.0, 0.0]])); _ = lin.bias.zero_()
    >>> X = [[0.1, 0.0], [0.2, 1.0], [0.9, -1.0], [3.0, 0.0]]
    >>> w = search_universal_perturbation(lin, X, xi=1.0, seed=0, device="cpu", progress=False)
    >>> w.v.round(6).tolist(), int(w.values["n_fooled"])
    ([-1.0, 0.0], 3)

    Theorem: docs/theory.md §5 (universal perturbations, Moosavi-Dezfooli et al. 2017).
    Rigor: each counted flip certified-float64 (``x`` and ``x + v`` alone,
    twice, in float64 and in the model's own dtype, beyond the rounding
    allowance), or proven by enclosures (``certify="proven"``; per flip with
    ``"auto"``: the result is proven when every counted flip is); ``‖v‖ ≤ ξ``
    proven; intervals statistical.
    """
    from theorycheck.classification._evaluation import ModelSet, device_arg, dtype_name
    from theorycheck.classification._searchers import Searcher

    t0 = time.perf_counter()
    mode = certify_arg(certify)
    opts = _universal_args(norm, xi, target_fooling, max_passes, method, confidence, progress, callback)
    _, overshoot, max_iter, per_batch, candidates, _ = search_args(
        "deepfool", overshoot, max_iter, batch_size, candidates, None)
    rng = seed_arg(seed)
    Xa = _batch(X, "X")
    Xt = None if X_test is None else _batch(X_test, "X_test", Xa.shape[1:])
    dev = device_arg(device)
    with ModelSet(model, dev) as ms, np.errstate(all="ignore"):
        if dtype_name(ms.native_dtype) not in UNIT_ROUNDOFF:
            raise InvalidArgument(f"the model's dtype {dtype_name(ms.native_dtype)} is not supported: "
                                  f"use one of {', '.join(UNIT_ROUNDOFF)}")
        ev = _evaluate_inputs(ms, Xa)
        label, usable, _ = _usable(ev, Xa)
        searcher = Searcher(ms.search, ms.search_dtype, ms.search_device)
        C = ev.C
        opts.update(batch_size=per_batch or 64, K=C if candidates is None else min(candidates, C),
                    overshoot=overshoot, max_iter=max_iter)
        v, passes, history = _passes(searcher, Xa, label, usable, rng, opts, opts["progress"], callback)
        prove = None if mode == "float64" else (ms, mode, UNIT_ROUNDOFF[dtype_name(ms.native_dtype)])
        train = assemble(_certify_fixed(ev, searcher, Xa, v, opts["method"], prove), True, 0.0)
        test = None
        if Xt is not None:
            test = assemble(_certify_fixed(_evaluate_inputs(ms, Xt), searcher, Xt, v, opts["method"], prove),
                            True, 0.0)
    data = {"v": v, "norm": opts["norm"], "xi": opts["xi"], "target_fooling": opts["target"],
            "max_passes": opts["max_passes"], "passes": passes, "method": opts["method"],
            "confidence": opts["confidence"]}
    return assemble_universal(data, train, test, time.perf_counter() - t0, history)


# --------------------------------------------------------------------------------------
# the result and its verifier
# --------------------------------------------------------------------------------------

@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class UniversalWitness(CheckResult):
    """A universal perturbation with its certified fooling rates (:func:`search_universal_perturbation`).

    A :class:`~theorycheck.results.CheckResult` (check ``"universal_perturbation"``):
    ``violated`` with rigor ``certified-float64`` when ``v`` flips some
    sample (certified), else ``inconclusive``. ``train`` and ``test`` are
    batched :class:`ClassifierWitness` results holding the evaluations of
    ``v`` on ``X`` and ``X_test`` (``r = v`` for each sample).

    Attributes
    ----------
    v : numpy.ndarray
        The perturbation (float64, the shape of one sample); ``‖v‖ ≤ ξ``.
    fooling_rate, interval : float, (float, float)
        Certified flips / samples on ``X`` and its Clopper–Pearson interval.
    test_fooling_rate, test_interval : float or None, (float, float) or None
        The same on ``X_test`` (None without held-out data).
    flips, test_flips : numpy.ndarray of bool
        Which samples are certified to flip.

    Theorem: docs/theory.md §5 (universal perturbations).
    Rigor: certified-float64 flips; ``‖v‖ ≤ ξ`` proven; statistical intervals.
    """

    informational: ClassVar[frozenset[str]] = frozenset({"elapsed_s", "search_fooling_rates"})

    train: ClassifierWitness | None = None
    test: ClassifierWitness | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("train", "test"):
            w = getattr(self, name)
            if w is not None and not isinstance(w, ClassifierWitness):
                raise InvalidArgument(f"{name} must be a ClassifierWitness, got {type(w).__name__}")

    @property
    def v(self) -> np.ndarray:
        if self.witness is None:
            raise InvalidArgument("this UniversalWitness stores no perturbation")
        return np.asarray(self.witness.data["v"])

    @property
    def method(self) -> str:
        return str(self.values["method"])

    @property
    def fooling_rate(self) -> float:
        return float(self.values["fooling_rate"])

    @property
    def interval(self) -> tuple[float, float]:
        return tuple(self.values["interval"])  # type: ignore[return-value]

    @property
    def test_fooling_rate(self) -> float | None:
        r = self.values.get("test_fooling_rate")
        return None if r is None else float(r)

    @property
    def test_interval(self) -> tuple[float, float] | None:
        r = self.values.get("test_interval")
        return None if r is None else tuple(r)  # type: ignore[return-value]

    @property
    def flips(self) -> np.ndarray:
        return np.asarray(self.train.success if self.train is not None else np.zeros(0, dtype=bool))

    @property
    def test_flips(self) -> np.ndarray | None:
        return None if self.test is None else np.asarray(self.test.success)


def _field(data: Mapping[str, Any], key: str, check: Callable[[Any, str], Any]) -> Any:
    if key not in data:
        raise InvalidArgument(f"witness[{key!r}]: missing")
    return check(data[key], f"witness[{key!r}]")


def _v_field(data: Mapping[str, Any]) -> np.ndarray:
    v = data.get("v")
    if not isinstance(v, np.ndarray) or v.dtype != np.float64 or v.ndim < 1 or v.size == 0:
        raise InvalidArgument("witness['v']: expected a non-empty float64 array (one sample's shape)")
    if not np.isfinite(v).all():
        raise InvalidArgument("witness['v']: holds NaN or inf")
    return v


def _params(data: Mapping[str, Any]) -> dict[str, Any]:
    """The stored parameters of a universal perturbation, validated (each error names its field)."""
    if not isinstance(data, Mapping):
        raise InvalidArgument("witness: expected the stored perturbation and parameters")
    known = {"v", "norm", "xi", "target_fooling", "max_passes", "passes", "method", "confidence"}
    extra = sorted(set(data) - known)
    if extra:
        raise InvalidArgument(f"witness: unknown field(s) {extra}")
    P: dict[str, Any] = {"v": _v_field(data)}
    P["norm"] = _field(data, "norm", lambda x, nm: choice_arg(x, nm, NORMS))
    P["xi"] = _field(data, "xi", lambda x, nm: real_arg(x, nm))
    P["target_fooling"] = _field(data, "target_fooling", finite_real_arg)
    if not 0.0 < P["target_fooling"] <= 1.0:
        raise InvalidArgument("witness['target_fooling']: must lie in (0, 1]")
    P["max_passes"] = _field(data, "max_passes", lambda x, nm: integer_arg(x, nm, maximum=MAX_PASSES))
    P["passes"] = _field(data, "passes", lambda x, nm: integer_arg(x, nm, minimum=0, maximum=P["max_passes"]))
    P["method"] = _field(data, "method", lambda x, nm: choice_arg(x, nm, UNIVERSAL_METHODS))
    P["confidence"] = _field(data, "confidence", probability_arg)
    if not _within(P["v"], P["norm"], P["xi"]):
        raise InvalidArgument(f"witness['v']: its {P['norm']} norm exceeds xi = {P['xi']!r}")
    return P


def _part(w: Any, v: np.ndarray, method: str, name: str) -> tuple[ClassifierWitness, int, int, float]:
    """Re-derive an evaluation of the fixed ``v`` from its stored data: (result, n, certified flips, mean ‖x‖)."""
    if not isinstance(w, ClassifierWitness) or w.witness is None or not w.batched:
        raise InvalidArgument(f"{name}: not a batched ClassifierWitness with stored evaluations")
    D = w.witness.data
    if "labels" in D:
        raise InvalidArgument(f"{name}: a fooling rate is measured against the model's own labels (no labels)")
    try:
        derived = assemble(D, True, w.values.get("elapsed_s", 0.0))
    except InvalidArgument as exc:
        raise InvalidArgument(f"{name}: {exc}") from None
    if D["method"] != method:
        raise InvalidArgument(f"{name}: witness['method'] is {D['method']!r}, the perturbation's is {method!r}")
    x, r, ss = D["x"], D["r"], D["search_status"]
    if x.shape[1:] != v.shape:
        raise InvalidArgument(f"{name}: samples of shape {x.shape[1:]}, the perturbation has shape {v.shape}")
    if not np.isin(ss, _FIXED_STATUSES).all():
        raise InvalidArgument(f"{name}: witness['search_status'] holds a status no fixed perturbation has")
    if (D["iterations"] != 0).any():
        raise InvalidArgument(f"{name}: witness['iterations'] must be 0 (nothing is searched per sample)")
    searched = ss != ""
    if not (r[searched] == v).all():
        raise InvalidArgument(f"{name}: witness['r'] differs from v for a sample whose label is decided")
    n = x.shape[0]
    success = np.asarray(derived.values["success"], dtype=bool)
    mean_x = math.fsum(norm2(x[i]) for i in range(n)) / n
    return derived, n, int(success.sum()), mean_x


def _mode(w: Any) -> str:
    """How a part's flips are counted: ``"float64"`` (no enclosures stored), ``"proven"`` or ``"auto"``."""
    return str(w.witness.data.get("certify", "float64"))


def _how(mode: str) -> str:
    floats = "x and x + v alone, twice, in float64 and in the model's own dtype, beyond the rounding allowance"
    encl = ("enclosures of the exact real-arithmetic logits at x and at x + v (the float64 sum, as the model "
            "receives it; theorycheck.nets.enclose) separate the labels")
    return {"float64": floats, "proven": f"proven: {encl}",
            "auto": f"proven where {encl}, else certified: {floats}"}[mode]


def _rate_values(prefix: str, k: int, n: int, confidence: float) -> dict[str, Any]:
    return {f"{prefix}n": n, f"{prefix}n_fooled": k, f"{prefix}fooling_rate": k / n,
            f"{prefix}interval": clopper_pearson(k, n, confidence)}


def assemble_universal(data: Mapping[str, Any], train: Any, test: Any, elapsed: Any,
                       history: Any = ()) -> UniversalWitness:
    """The whole result from the perturbation, its parameters and its two evaluations (deterministic).

    The search and :func:`verify_universal_witness` both call it. ``train`` and
    ``test`` are re-assembled from their stored evaluations (they must apply
    exactly ``v``); ``history`` (the search's per-pass fooling rates) is
    informational.

    Theorem: docs/theory.md §5.
    Rigor: certified-float64 flips, proven norm bound, statistical intervals (re-derived bit for bit).
    """
    P = _params(data)
    v, method, conf = P["v"], P["method"], P["confidence"]
    tr, n, k, mean_x = _part(train, v, method, "train")
    te = None if test is None else _part(test, v, method, "test")
    mode = _mode(train)
    if test is not None and _mode(test) != mode:
        raise InvalidArgument(f"test: its flips are counted as {_mode(test)!r}, those of train as {mode!r}")
    nv2 = norm2(v)
    values: dict[str, Any] = {
        **_rate_values("", k, n, conf),
        **(_rate_values("test_", te[2], te[1], conf) if te is not None else
           {"test_n": 0, "test_n_fooled": 0, "test_fooling_rate": None, "test_interval": None}),
        "norm": P["norm"], "xi": P["xi"], "norm_v": _norm(v, P["norm"]), "norm_v_l2": nv2,
        "mean_norm_x": mean_x, "relative_norm": nv2 / mean_x if mean_x > 0 else math.inf,
        "target_fooling": P["target_fooling"], "target_reached": k / n >= P["target_fooling"],
        "passes": P["passes"], "max_passes": P["max_passes"], "method": method, "confidence": conf,
        "search_fooling_rates": tuple(float(h) for h in history), "elapsed_s": elapsed,
    }
    total = k + (te[2] if te is not None else 0)
    lo, hi = values["interval"]
    held = (f"; on {te[1]} held-out samples {te[2]} ({te[2] / te[1]:.1%}, interval [{values['test_interval'][0]:.3f}, "
            f"{values['test_interval'][1]:.3f}])" if te is not None else "")
    reached = "reached" if values["target_reached"] else "not reached"
    msg = (f"universal {P['norm']} perturbation of norm {values['norm_v']:.6g} <= xi = {P['xi']:.6g} "
           f"(‖v‖/mean ‖x‖ = {values['relative_norm']:.4g}) after {P['passes']} pass(es): certified flips on "
           f"{k} of {n} samples it was computed on ({k / n:.1%}, {conf:.0%} interval [{lo:.3f}, {hi:.3f}])"
           f"{held}; target {P['target_fooling']:.0%} {reached}; each flip: " + _how(mode))
    # the weakest rigor among the counted flips (proven where enclosures decide them)
    counted = [np.asarray(p.values["sample_rigor"])[np.asarray(p.values["success"], dtype=bool)]
               for p in (tr, None if te is None else te[0]) if p is not None]
    proven = bool(total) and all(bool(np.all(c == Rigor.PROVEN.value)) for c in counted)
    outcome, rigor = ((Outcome.VIOLATED, Rigor.PROVEN if proven else Rigor.CERTIFIED_FLOAT64) if total
                      else (Outcome.INCONCLUSIVE, Rigor.NUMERICAL))
    return UniversalWitness(CHECK, outcome, rigor, msg, values, Witness(CHECK, dict(data)), THEOREM,
                            train=tr, test=None if te is None else te[0])


@register_verifier(CHECK)
def verify_universal_witness(result: CheckResult, model: Any = None) -> CheckResult:
    """Re-derive every claim of a saved :class:`UniversalWitness`; with ``model`` re-run the model.

    Registered for ``universal_perturbation`` results.

    Theorem: docs/theory.md §5.
    Rigor: as the saved result's, re-derived from the stored perturbation and evaluations.
    """
    if not isinstance(result, UniversalWitness) or result.witness is None:
        return verification(result, ["the saved result is not a UniversalWitness with a stored perturbation"],
                            rederived="nothing")
    try:
        derived = assemble_universal(result.witness.data, result.train, result.test,
                                     result.values.get("elapsed_s", 0.0),
                                     result.values.get("search_fooling_rates", ()))
    except InvalidArgument as exc:
        return verification(result, [str(exc)], rederived="nothing")
    problems = claim_mismatches(result, derived)
    if model is not None and not problems:
        for name in ("train", "test"):
            w = getattr(result, name)
            if w is not None:
                out = verify_classifier_witness(w, model=model)
                if not out.holds:
                    problems.append(f"{name}: {out.message}")
    what = ("‖v‖ <= xi, every evaluation of x and x + v, each certified flip, the counts, rates and "
            "Clopper–Pearson intervals, the outcome, rigor and message")
    if model is not None:
        return verification(result, problems, rederived=what + "; the model re-run on every stored input")
    # without the model, proven flips are re-decided from the stored enclosures, not re-proven: what the
    # stored float64 logits of the re-derived parts still back
    caps = [c for w in (derived.train, derived.test) if w is not None and (c := float64_backing(w)) is not None]
    return verification(result, problems, rederived=what,
                        not_rechecked="the model outputs (logits) stored in the evaluations (and, for proven flips, "
                                      "their enclosures); pass model= to re-run",
                        rigor=Rigor.weakest(*caps) if caps and not problems else None)


# --------------------------------------------------------------------------------------
# the transfer table
# --------------------------------------------------------------------------------------

@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class FoolingRateTable(CheckResult):
    """Fooling rates of perturbations (rows) on models (columns): :func:`fooling_rate_table`.

    ``entries[row][column]`` is a batched :class:`ClassifierWitness` of the
    row's perturbation applied to every sample on the column's model;
    ``values["rates"]``, ``["lower"]``, ``["upper"]`` and ``["counts"]`` are
    ``(rows, columns)`` arrays (certified flips / samples and the
    Clopper–Pearson interval).

    Theorem: docs/theory.md §5 (universal perturbations transfer across architectures).
    Rigor: certified-float64 flips; statistical intervals.
    """

    entries: Mapping[str, Mapping[str, ClassifierWitness]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.entries, Mapping):
            raise InvalidArgument("entries must map row names to {column name: ClassifierWitness}")
        out: dict[str, dict[str, ClassifierWitness]] = {}
        for r, row in self.entries.items():
            if not isinstance(row, Mapping):
                raise InvalidArgument(f"entries[{r!r}] must map column names to ClassifierWitness results")
            for c, w in row.items():
                if not isinstance(w, ClassifierWitness):
                    raise InvalidArgument(f"entries[{r!r}][{c!r}] is not a ClassifierWitness")
            out[str(r)] = {str(c): w for c, w in row.items()}
        object.__setattr__(self, "entries", out)

    @property
    def rows(self) -> list[str]:
        return [str(s) for s in np.asarray(self.witness.data["rows"]).tolist()] if self.witness else []

    @property
    def columns(self) -> list[str]:
        return [str(s) for s in np.asarray(self.witness.data["columns"]).tolist()] if self.witness else []

    def rate(self, row: str, column: str) -> float:
        """The fooling rate of ``row``'s perturbation on ``column``'s model."""
        return float(self.values["rates"][self.rows.index(row), self.columns.index(column)])

    def interval(self, row: str, column: str) -> tuple[float, float]:
        """Its Clopper–Pearson interval."""
        i, j = self.rows.index(row), self.columns.index(column)
        return float(self.values["lower"][i, j]), float(self.values["upper"][i, j])

    def table(self, width: int = 22) -> str:
        """The matrix as text: ``rate [lower, upper]`` in per cent, rows by columns."""
        corner = "perturbation / model"
        head = f"{corner:<{width}}" + "".join(f"{c:>{width}}" for c in self.columns)
        lines = [head]
        for i, r in enumerate(self.rows):
            cells = [f"{100 * self.values['rates'][i, j]:5.1f}% [{100 * self.values['lower'][i, j]:4.1f},"
                     f"{100 * self.values['upper'][i, j]:5.1f}]" for j in range(len(self.columns))]
            lines.append(f"{r:<{width}}" + "".join(f"{c:>{width}}" for c in cells))
        return "\n".join(lines)


def _names(m: Any, what: str) -> list[str]:
    if not isinstance(m, Mapping) or not m:
        raise InvalidArgument(f"{what} must be a non-empty mapping from names to {what}")
    names = []
    for key in m:
        if not isinstance(key, str) or not key or len(key) > 64:
            raise InvalidArgument(f"{what}: names must be non-empty strings of at most 64 characters, got {key!r}")
        names.append(key)
    return names


def _row_vector(p: Any, name: str, shape: tuple[int, ...]) -> tuple[np.ndarray, str]:
    """A row's perturbation and the method it is recorded with (its search, or "random" for a given array)."""
    if isinstance(p, UniversalWitness):
        v, method = p.v.astype(np.float64), p.method
    else:
        v, method = as_float64(p, f"perturbations[{name!r}]"), "random"
    if v.shape != shape:
        raise InvalidArgument(f"perturbations[{name!r}] has shape {v.shape}, the samples have shape {shape}")
    if not np.isfinite(v).all():
        raise InvalidArgument(f"perturbations[{name!r}] holds NaN or inf")
    return v, method


def fooling_rate_table(perturbations: Mapping[str, Any], models: Mapping[str, Any], X: Any, *,
                       confidence: float = 0.95, device: Any = None, progress: bool = False) -> FoolingRateTable:
    """The transfer matrix: each perturbation applied to each model on the samples ``X``, every flip certified.

    Parameters
    ----------
    perturbations : mapping of str to UniversalWitness or array
        The rows: universal perturbations (their ``v``) or plain arrays of
        one sample's shape (for example random noise of the same norm, a
        baseline; recorded with method ``"random"``).
    models : mapping of str to torch.nn.Module
        The columns (never modified).
    X : array_like
        The samples, batch first (finite); the same for every entry.
    confidence : float
        Level of the Clopper–Pearson intervals.
    device : str or torch.device, optional
        Where the search precision's labels are computed (certification as usual).
    progress : bool
        Show a progress bar over the entries.

    Returns
    -------
    FoolingRateTable
        Rates, intervals and counts as ``(rows, columns)`` arrays, each entry's evaluations.

    Theorem: docs/theory.md §5 (transfer of universal perturbations across architectures).
    Rigor: certified-float64 flips (as :func:`search_universal_perturbation`); statistical intervals.
    """
    from theorycheck.classification._evaluation import ModelSet, device_arg, dtype_name
    from theorycheck.classification._searchers import Searcher

    t0 = time.perf_counter()
    rows, cols = _names(perturbations, "perturbations"), _names(models, "models")
    confidence = probability_arg(confidence, "confidence")
    progress = bool_arg(progress, "progress")
    Xa = _batch(X, "X")
    vecs = [_row_vector(perturbations[r], r, Xa.shape[1:]) for r in rows]
    dev = device_arg(device)
    entries: dict[str, dict[str, ClassifierWitness]] = {r: {} for r in rows}
    bar = progress_bar(len(rows) * len(cols), progress, "fooling-rate table")
    try:
        for c in cols:
            with ModelSet(models[c], dev) as ms, np.errstate(all="ignore"):
                if dtype_name(ms.native_dtype) not in UNIT_ROUNDOFF:
                    raise InvalidArgument(f"models[{c!r}]: dtype {dtype_name(ms.native_dtype)} is not supported")
                ev0 = _evaluate_inputs(ms, Xa)
                searcher = Searcher(ms.search, ms.search_dtype, ms.search_device)
                for r, (v, method) in zip(rows, vecs):
                    data = _certify_fixed(_copy_evaluations(ev0), searcher, Xa, v, method)
                    entries[r][c] = assemble(data, True, 0.0)
                    bar.update()
    finally:
        bar.close()
    V = np.stack([v for v, _ in vecs])
    data = {"rows": np.array(rows, dtype=STR_DTYPE), "columns": np.array(cols, dtype=STR_DTYPE), "V": V,
            "methods": np.array([m for _, m in vecs], dtype=STR_DTYPE), "confidence": confidence}
    return assemble_table(data, entries, time.perf_counter() - t0)


def _table_params(data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidArgument("witness: expected the rows, columns and perturbations")
    extra = sorted(set(data) - {"rows", "columns", "V", "methods", "confidence"})
    if extra:
        raise InvalidArgument(f"witness: unknown field(s) {extra}")
    P: dict[str, Any] = {}
    for key in ("rows", "columns", "methods"):
        a = data.get(key)
        if not isinstance(a, np.ndarray) or a.dtype.kind != "U" or a.ndim != 1 or a.size == 0:
            raise InvalidArgument(f"witness[{key!r}]: expected a non-empty 1-D string array")
        P[key] = [str(s) for s in a.tolist()]
        if key != "methods" and (len(set(P[key])) != len(P[key]) or not all(P[key])):
            raise InvalidArgument(f"witness[{key!r}]: names must be distinct and non-empty")
    if len(P["methods"]) != len(P["rows"]) or not set(P["methods"]) <= set(METHODS):
        raise InvalidArgument(f"witness['methods']: one of {METHODS} per row")
    V = data.get("V")
    if not isinstance(V, np.ndarray) or V.dtype != np.float64 or V.ndim < 2 or V.shape[0] != len(P["rows"]):
        raise InvalidArgument("witness['V']: expected a float64 array with one perturbation per row")
    if not np.isfinite(V).all():
        raise InvalidArgument("witness['V']: holds NaN or inf")
    P["V"] = V
    P["confidence"] = _field(data, "confidence", probability_arg)
    return P


def assemble_table(data: Mapping[str, Any], entries: Any, elapsed: Any) -> FoolingRateTable:
    """The table from the stored perturbations and each entry's evaluations (deterministic).

    Theorem: docs/theory.md §5.
    Rigor: certified-float64 flips, statistical intervals (re-derived bit for bit).
    """
    P = _table_params(data)
    rows, cols, V, conf = P["rows"], P["columns"], P["V"], P["confidence"]
    if not isinstance(entries, Mapping) or list(entries) != rows or any(
            not isinstance(entries[r], Mapping) or list(entries[r]) != cols for r in rows):
        raise InvalidArgument("entries: one ClassifierWitness per row and column, in the order of "
                              "witness['rows'] and witness['columns']")
    shape = (len(rows), len(cols))
    counts = np.zeros(shape, dtype=np.int64)
    lower, upper, rates = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    derived: dict[str, dict[str, ClassifierWitness]] = {r: {} for r in rows}
    x0: np.ndarray | None = None
    n = 0
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            w = entries[r][c]
            d, n_ij, k, mean_x = _part(w, V[i], P["methods"][i], f"entries[{r!r}][{c!r}]")
            x = d.witness.data["x"] if d.witness is not None else None
            if x0 is None:
                x0, n = x, n_ij
            elif x is None or x.shape != x0.shape or not np.array_equal(x, x0):
                raise InvalidArgument(f"entries[{r!r}][{c!r}]: evaluated on other samples than the first entry")
            derived[r][c] = d
            counts[i, j] = k
            rates[i, j] = k / n_ij
            lower[i, j], upper[i, j] = clopper_pearson(k, n_ij, conf)
    values = {"rates": rates, "lower": lower, "upper": upper, "counts": counts, "n": n,
              "norms_l2": np.array([norm2(V[i]) for i in range(len(rows))]),
              "norms_linf": np.max(np.abs(V.reshape(len(rows), -1)), axis=1),
              "mean_norm_x": mean_x, "confidence": conf, "elapsed_s": elapsed}
    best = np.unravel_index(int(np.argmax(rates)), shape)
    msg = (f"fooling rates of {len(rows)} perturbation(s) on {len(cols)} model(s), {n} samples each: "
           f"from {rates.min():.1%} to {rates.max():.1%} (largest: {rows[best[0]]} on {cols[best[1]]}); "
           f"every counted flip certified (x and x + v alone, twice, in float64 and in the model's own dtype); "
           f"{conf:.0%} Clopper–Pearson intervals")
    outcome, rigor = ((Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64) if counts.sum()
                      else (Outcome.INCONCLUSIVE, Rigor.NUMERICAL))
    return FoolingRateTable(TABLE_CHECK, outcome, rigor, msg, values, Witness(TABLE_CHECK, dict(data)), THEOREM,
                            entries=derived)


@register_verifier(TABLE_CHECK)
def verify_fooling_rate_table(result: CheckResult, models: Any = None) -> CheckResult:
    """Re-derive every entry, rate, interval and the message of a saved :class:`FoolingRateTable`.

    With ``models`` (the same mapping of names to models) every entry's
    evaluations are re-run on its column's model.

    Theorem: docs/theory.md §5.
    Rigor: as the saved result's.
    """
    if not isinstance(result, FoolingRateTable) or result.witness is None:
        return verification(result, ["the saved result is not a FoolingRateTable with stored perturbations"],
                            rederived="nothing")
    try:
        derived = assemble_table(result.witness.data, result.entries, result.values.get("elapsed_s", 0.0))
    except InvalidArgument as exc:
        return verification(result, [str(exc)], rederived="nothing")
    problems = claim_mismatches(result, derived)
    if models is not None and not problems:
        if not isinstance(models, Mapping):
            problems.append("models: pass the mapping of column names to models")
        else:
            for r, row in result.entries.items():
                for c, w in row.items():
                    if c in models:
                        out = verify_classifier_witness(w, model=models[c])
                        if not out.holds:
                            problems.append(f"entries[{r!r}][{c!r}]: {out.message}")
    what = "every entry's evaluations and certified flips, the counts, rates, intervals, outcome, rigor and message"
    if models is not None:
        return verification(result, problems, rederived=what + "; the models re-run on every stored input")
    return verification(result, problems, rederived=what,
                        not_rechecked="the model outputs stored in the entries; pass models= to re-run them")
