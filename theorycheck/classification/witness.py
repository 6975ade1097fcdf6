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
``α/‖x‖`` in ``[1e-6, 1e4]`` in batched passes, then bisecting between the
last non-flipping and the first flipping grid value (relative tolerance
``1e-6``, at most ``max_iter`` halvings).

What a certified flip means
---------------------------
A flip is reported ``success=True`` (rigor ``certified-float64``) only if it
holds for **two evaluations** of the model, each run on every input *alone*
(``model(x[None])``, a fresh copy of the input: batched evaluation may differ,
through batch statistics or blocked matmul rounding) and **twice**, with
bit-identical outputs:

* the *float64 evaluation*: a float64 copy of the model on the CPU, fed the
  float64 input (``x + r`` is computed in float64 exactly as
  ``ClassifierWitness.x_adv``);
* the *native evaluation*: the user's model as it is, in its own dtype on its
  own device, fed the input converted to that dtype (for a float64 CPU model
  this is the float64 evaluation).

In each, the winning logit must beat the runner-up by more than a **rounding
allowance** ``τ = 16 (u max_j |f_j| + η) + 4 δ``: ``u`` the unit roundoff of the
evaluation's precision (``2⁻⁵³`` float64, ``2⁻²⁴`` float32, ``2⁻¹¹`` float16,
``2⁻⁸`` bfloat16), ``η`` its smallest subnormal (the absolute error floor of
one operation) and ``δ`` an estimate of the evaluation's own rounding error,
measured at the same point:

* lower-precision model: ``δ_native = max_j |f_j^native − f_j^float64|`` and
  ``δ_float64 = δ_native · u_float64/u_native``;
* float64 CPU model (one evaluation): ``max_j |f_j^float32 − f_j^float64| · 2⁻²⁹``
  from a float32 copy (the *probe*), and at ``x + r`` at least
  ``max_j |f_j^dup − f_j^float64|``, ``f^dup`` the logits of ``x + r`` evaluated
  as a batch of two copies of itself: another accumulation order through the
  same network, so that rounding that cancels inside it shows (batch
  statistics of two identical samples are those of the sample).

The allowance assumes that an evaluation computes in its dtype; a model that
casts to a lower precision inside is covered only through these estimates.
The label of ``x`` must be decided the same way (its margin beyond the
allowance, the same class in both evaluations), and at ``x + r`` another class
must win beyond the allowance in both. The search aims past the boundary by
four times the output term so that this usually succeeds at once; otherwise
``r`` is enlarged by the factor the measured margins call for (linear
interpolation between ``x`` and ``x + r``, at least ``1 + 10⁻⁶`` and at most
``1 + max(0.01, 256 u)`` per round, four rounds). ``x + r`` is evaluated twice
in a row (consecutive calls), ``x`` once before the search and once after.
Float16 and bfloat16 models are searched with a float32 copy (their gradients
are too coarse) and certified in their own dtype.

``certified-float64`` is therefore a statement about these two named float
evaluations with their rounding counted (not about the real-arithmetic
network). Per sample, ``flipped_float64`` and ``flipped_native`` say which of
them flipped. Everything else is ``success=False`` with rigor ``numerical`` and
a per-sample ``status``:

========================== ==================================================
``flipped``                certified: both evaluations flip beyond rounding
``already_misclassified``  ``labels`` given and the prediction differs (skipped)
``label_out_of_range``     a given label is not in ``0..C-1`` (skipped)
``nan_output``             the model's output is NaN/inf (at ``x`` or ``x + r``)
``label_tie``              the label of ``x`` is not decided beyond rounding
``precision_mismatch``     the float64 and native evaluations disagree (label
                           of ``x``, or only one of them flips at ``x + r``)
``nan_during_search``      the model returned NaN/inf during the search
``zero_gradient``          the search direction vanished
``not_found``              no flip within ``max_iter`` / the search range
``not_certified``          the search flipped, neither evaluation confirms it
``nondeterministic``       the two evaluations of one input differ
``model_error``            the model raised on the sample evaluated alone
                           (a batch of one; e.g. batch statistics)
``output_not_float64``     the label flips, but the float64 copy's logits are
                           not float64 (the model casts inside): not certified
========================== ==================================================

A sample holding NaN or inf is refused (:class:`InvalidArgument` naming it).
The result is a :class:`ClassifierWitness`, a :class:`CheckResult` that stores
the inputs, perturbations and every model output it was decided from;
``theorycheck verify`` re-derives every claim from them, and with
``verify_result(result, model=m)`` re-runs the model.

Also the linear-model fact of the seeds as a proven check
(:func:`check_linear_sensitivity`), and seeded data and small classifiers
that train in seconds (:func:`build_digits_classifier`).

Theorem: THEORY.md §5 (minimal perturbations; DeepFool; linear models change by
``ε‖w‖₁`` under ``‖Δx‖_∞ ≤ ε``).
Rigor: flips are ``certified-float64`` (the float64 CPU evaluation and the
model's own evaluation, each twice, each input alone, margins beyond the
rounding allowance); ratios are numerical upper bounds on the minimal
``‖r*‖/‖x‖``; :func:`check_linear_sensitivity` is ``proven`` (exact rational
arithmetic).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from fractions import Fraction
from typing import Any, ClassVar, Iterator, Mapping, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import is_torch, lazy_torch, to_numpy
from theorycheck.numerics.rounding import norm2
from theorycheck.numerics.validation import (
    bool_arg,
    finite_real_arg,
    integer_arg,
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
    "flipped", "already_misclassified", "label_out_of_range", "nan_output", "label_tie",
    "precision_mismatch", "nan_during_search", "zero_gradient", "not_found", "not_certified",
    "nondeterministic", "model_error", "output_not_float64",
)

_THEOREM = "THEORY.md §5 (classification instabilities; seeds 001, 003)"
_CHECK = "classifier_perturbation"
#: unit roundoff of each floating dtype a model may evaluate in
_UNIT_ROUNDOFF: dict[str, float] = {"float64": 2.0 ** -53, "float32": 2.0 ** -24,
                                    "float16": 2.0 ** -11, "bfloat16": 2.0 ** -8}
#: smallest positive (subnormal) number of each dtype: the absolute error floor of one operation
_TINY: dict[str, float] = {"float64": 2.0 ** -1074, "float32": 2.0 ** -149, "float16": 2.0 ** -24,
                           "bfloat16": 2.0 ** -133}
_K_OUT = 16.0       # rounding allowance: τ = 16 (u max|f| + tiny) + 4 δ
_K_DELTA = 4.0
_AIM = 4.0          # the search aims at a margin of 4 × 16 u max|f|
_REPAIR_ROUNDS = 4
_REPAIR_MIN = (1e-6, 1e-5, 1e-4, 1e-3)   # smallest relative enlargement per round
_REPAIR_MAX = 1e-2                        # largest relative enlargement per round (256 u if larger)
_MAX_ITER = 10_000
_MAX_OVERSHOOT = 10.0
_SEARCH_STATUSES = ("found", "not_found", "zero_gradient", "nan_during_search")
_SKIPPED = ("already_misclassified", "label_out_of_range")
_STR = "<U24"       # dtype of the per-sample string arrays (statuses, rigors)


def _one(v: Any, batched: bool) -> Any:
    """The per-sample array itself (batched) or its only entry as a Python scalar."""
    if batched:
        return v
    a = np.asarray(v)
    return a[0].item() if a.ndim == 1 else a[0].copy()


# --------------------------------------------------------------------------------------
# the witness
# --------------------------------------------------------------------------------------

@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class ClassifierWitness(CheckResult):
    """Perturbations found by :func:`search_minimal_perturbation`, with the evaluations that certify them.

    A :class:`~theorycheck.results.CheckResult` (check ``"classifier_perturbation"``):
    ``violated`` with rigor ``certified-float64`` when some flip is certified
    (the classifier is unstable there), else ``inconclusive`` (``numerical``).
    For a single sample the per-sample attributes are scalars (``r`` and ``x``
    have the sample's shape); for a batch they are arrays with the batch
    first, and ``item(i)`` (or ``w[i]``) is sample ``i``'s own witness.

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s; all read from ``values``/``witness``)
    ----------------------------------------------------------------------------------------------------
    r, x : numpy.ndarray
        The perturbation and the input (float64); ``x_adv = x + r`` is exactly
        what was evaluated. For unsuccessful samples ``r`` is the last attempt
        (zeros for samples that were not searched).
    ratio : float or numpy.ndarray
        ``‖r‖/‖x‖`` for successful samples, NaN otherwise (inf when ``x = 0``).
    label, new_label : int or numpy.ndarray
        ``k̂(x)`` and ``k̂(x + r)`` in the float64 evaluation (-1 when undefined).
    success : bool or numpy.ndarray
        Whether the flip is certified (see the module docstring).
    flipped_float64, flipped_native : bool or numpy.ndarray
        Which evaluations flipped beyond their rounding allowance.
    margin, margin_native : float or numpy.ndarray
        ``max_{j≠k} f_j(x + r) − f_k(x + r)`` in each evaluation (NaN when not evaluated).
    status : str or numpy.ndarray
        Why (see :data:`STATUSES`).
    sample_rigor : Rigor or numpy.ndarray
        ``certified-float64`` where ``success``, else ``numerical`` (``rigor``
        is the rigor of the whole result).
    iterations : int or numpy.ndarray
        DeepFool steps, or bisection steps of the line search.
    method : str
    time_s : float
        Wall-clock time of the whole call (``values["elapsed_s"]``).
    batched : bool
        Whether the per-sample attributes carry a batch dimension.

    Theorem: THEORY.md §5 (minimal perturbation ``r*``: ``k̂(x + r) ≠ k̂(x)``).
    Rigor: ``certified-float64`` for successful samples (both evaluations, each
    twice, margins beyond rounding); ``ratio`` is an upper bound on the minimal
    ``‖r*‖/‖x‖`` (numerical).
    """

    batched: bool = False

    # -- per-sample views -----------------------------------------------------------
    def _data(self, key: str) -> Any:
        if self.witness is None or key not in self.witness.data:
            raise AttributeError(f"this ClassifierWitness stores no {key!r}")
        return self.witness.data[key]

    @property
    def method(self) -> str:
        return str(self._data("method"))

    @property
    def x(self) -> np.ndarray:
        return _one(self._data("x"), self.batched)

    @property
    def r(self) -> np.ndarray:
        return _one(self._data("r"), self.batched)

    @property
    def x_adv(self) -> np.ndarray:
        """The perturbed input ``x + r`` (float64), exactly what was evaluated."""
        return self.x + self.r

    @property
    def iterations(self) -> Any:
        return self.values["iterations"]

    @property
    def ratio(self) -> Any:
        return self.values["ratio"]

    @property
    def label(self) -> Any:
        return self.values["label"]

    @property
    def new_label(self) -> Any:
        return self.values["new_label"]

    @property
    def success(self) -> Any:
        return self.values["success"]

    @property
    def status(self) -> Any:
        return self.values["status"]

    @property
    def margin(self) -> Any:
        return self.values["margin"]

    @property
    def margin_native(self) -> Any:
        return self.values["margin_native"]

    @property
    def flipped_float64(self) -> Any:
        return self.values["flipped_float64"]

    @property
    def flipped_native(self) -> Any:
        return self.values["flipped_native"]

    @property
    def sample_rigor(self) -> Any:
        v = self.values["sample_rigor"]
        if not self.batched:
            return Rigor(v)
        return np.array([Rigor(s) for s in np.asarray(v).tolist()], dtype=object)

    @property
    def time_s(self) -> float:
        return float(self.values.get("elapsed_s", 0.0))

    @property
    def success_rate(self) -> float:
        """Fraction of certified flips among the samples that were searched (not skipped)."""
        return float(self.values["success_rate"])

    # -- batch access ----------------------------------------------------------------
    def __len__(self) -> int:
        if not self.batched:
            raise TypeError("a single-sample ClassifierWitness has no len()")
        return int(np.asarray(self._data("x")).shape[0])

    def item(self, i: int) -> "ClassifierWitness":
        """Sample ``i`` of a batch as a single-sample witness (re-derived from its own data; self when not batched)."""
        if not self.batched:
            return self
        n = len(self)
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)) or not -n <= int(i) < n:
            raise InvalidArgument(f"sample index must be an integer in [-{n}, {n}), got {i!r}")
        i = int(i) % n
        data = _slice_data(self.witness.data, i)
        return _assemble(data, False, self.time_s)

    def __getitem__(self, key: Any) -> Any:
        """``w["ratio"]``: a value; ``w[i]``: sample ``i`` of a batch (:meth:`item`)."""
        if isinstance(key, str):
            return self.values[key]
        if not self.batched:
            raise TypeError("index a batched ClassifierWitness only")
        return self.item(key)

    def __iter__(self) -> Iterator["ClassifierWitness"]:
        for i in range(len(self)):
            yield self.item(i)

    def recheck(self, model: Any, *, batch_size: int | None = None) -> Any:
        """Re-run ``model`` on every stored ``x`` and ``x + r`` (alone, twice, float64 and its own dtype); True where the flip is certified.

        The same evaluations and rounding allowances as the search (see the
        module docstring); a float32/float16 model is checked in its own
        dtype *and* in float64. The model is never modified. ``batch_size``
        is accepted for compatibility and unused (every input is evaluated alone).

        Theorem: THEORY.md §5.
        Rigor: certified-float64.
        """
        data = _rerun(self.witness.data, model)
        ok = _derive(_validated(data, strict=False))["success"]
        return ok if self.batched else bool(ok[0])

    def to_result(self) -> "ClassifierWitness":
        """The result itself (kept for compatibility: a ClassifierWitness *is* a CheckResult).

        Theorem: THEORY.md §5.
        Rigor: as the result's.
        """
        return self


def _slice_data(data: Mapping[str, Any], i: int) -> dict[str, Any]:
    """The witness data of sample ``i`` alone (batch dimension kept, of size 1)."""
    out: dict[str, Any] = {}
    sl = slice(i, i + 1)
    for k, v in data.items():
        if k in ("x", "r", "labels", "search_status", "iterations"):
            out[k] = np.asarray(v)[sl]
        elif k in ("f64", "f64_code", "nat", "nat_code"):
            out[k] = np.asarray(v)[:, :, sl]
        elif k in ("probe", "probe_code"):
            out[k] = np.asarray(v)[:, sl]
        elif k in ("dup", "dup_code"):
            out[k] = np.asarray(v)[sl]
        else:
            out[k] = v
    return out


# --------------------------------------------------------------------------------------
# the stored evaluations and everything derived from them (deterministic)
# --------------------------------------------------------------------------------------
#
# Witness data (kind "classifier_perturbation"), n samples, C logit columns:
#   x, r         float64 (n, *shape)   inputs and perturbations (x + r is the evaluated point)
#   method       str                   one of METHODS
#   labels       int64 (n,)            the labels the caller gave (absent when none)
#   search_status <U (n,)              "" (not searched), or one of _SEARCH_STATUSES
#   iterations   int64 (n,)
#   f64          float64 (2, 2, n, C)  float64 CPU logits: [point x / x + r][evaluation 1 / 2]
#   f64_code     int8 (2, 2, n)        0 not evaluated, 1 evaluated, 2 the model raised
#   f64_out      str                   dtype of the float64 copy's logits ("float64" unless it casts)
#   native_in, native_device  str     the model's own input dtype and device
#   nat, nat_code, native_out          the same for the native evaluation (absent when it is
#                                      the float64 evaluation)
#   dup, dup_code  float64 (n, C), int8 (n,)  float64 CPU models only: the model on x + r as a
#                                      batch of two copies of itself (first row), another
#                                      accumulation order
#   probe, probe_code, probe_out       float32 CPU copy, one evaluation per point: (2, n, C),
#                                      (2, n) (only for float64 CPU models, when it could be made)

_REQUIRED = ("x", "r", "method", "search_status", "iterations", "f64", "f64_code", "f64_out",
             "native_in", "native_device")
_OPTIONAL = ("labels", "nat", "nat_code", "native_out", "probe", "probe_code", "probe_out", "dup",
             "dup_code")


def _bad(field: str, why: str) -> InvalidArgument:
    return InvalidArgument(f"witness[{field!r}]: {why}")


def _array(data: Mapping[str, Any], key: str, kind: str, shape: tuple[int | None, ...] | None = None,
           ndim_min: int | None = None) -> np.ndarray:
    v = data[key]
    if not isinstance(v, np.ndarray):
        raise _bad(key, f"expected an array, got {type(v).__name__}")
    if kind == "U":
        if v.dtype.kind != "U":
            raise _bad(key, f"expected a string array, got dtype {v.dtype}")
    elif v.dtype != np.dtype(kind):
        raise _bad(key, f"expected dtype {np.dtype(kind)}, got {v.dtype}")
    if ndim_min is not None and v.ndim < ndim_min:
        raise _bad(key, f"expected at least {ndim_min} dimensions, got shape {v.shape}")
    if shape is not None and (v.ndim != len(shape) or any(s is not None and s != t for s, t in zip(shape, v.shape))):
        want = "(" + ", ".join("·" if s is None else str(s) for s in shape) + ")"
        raise _bad(key, f"expected shape {want}, got {v.shape}")
    return v


def _dtype_field(data: Mapping[str, Any], key: str) -> str:
    v = data[key]
    if not isinstance(v, str) or v not in _UNIT_ROUNDOFF:
        raise _bad(key, f"expected one of {', '.join(_UNIT_ROUNDOFF)}, got {v!r}")
    return v


def _check_codes(key: str, L: np.ndarray, code: np.ndarray) -> None:
    if not np.isin(code, (0, 1, 2)).all():
        raise _bad(key + "_code", "codes must be 0 (not evaluated), 1 (evaluated) or 2 (the model raised)")
    if (~np.isnan(L[code != 1])).any():
        raise _bad(key, "holds logits where nothing was evaluated (code 0 or 2)")


def _validated(data: Mapping[str, Any], *, strict: bool = True) -> dict[str, Any]:
    """Check the witness data's fields, types and shapes; the arrays as given (no conversion).

    ``strict`` also checks that the evaluations present are exactly those the
    search makes (which slots are evaluated follows from the statuses).
    """
    if not isinstance(data, Mapping):
        raise InvalidArgument("witness: expected the stored evaluations")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise InvalidArgument(f"witness: missing field(s) {missing}")
    extra = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if extra:
        raise InvalidArgument(f"witness: unknown field(s) {extra}")
    D: dict[str, Any] = {}
    x = _array(data, "x", "float64", ndim_min=2)
    n = x.shape[0]
    if n == 0:
        raise _bad("x", "holds no sample")
    if not np.isfinite(x).all():
        raise _bad("x", "holds NaN or inf")
    r = _array(data, "r", "float64", shape=x.shape)
    if not np.isfinite(r).all():
        raise _bad("r", "holds NaN or inf")
    method = data["method"]
    if not isinstance(method, str) or method not in METHODS:
        raise _bad("method", f"expected one of {METHODS}, got {method!r}")
    D.update(x=x, r=r, method=method, n=n)
    D["labels"] = _array(data, "labels", "int64", shape=(n,)) if "labels" in data else None
    ss = _array(data, "search_status", "U", shape=(n,))
    if not np.isin(ss, ("",) + _SEARCH_STATUSES).all():
        raise _bad("search_status", f"entries must be '' or one of {_SEARCH_STATUSES}")
    it = _array(data, "iterations", "int64", shape=(n,))
    if (it < 0).any():
        raise _bad("iterations", "negative count")
    D.update(search_status=ss, iterations=it)
    F = _array(data, "f64", "float64", shape=(2, 2, n, None))
    C = F.shape[3]
    if C < 2:
        raise _bad("f64", f"a classifier has at least 2 logit columns, got {C}")
    Fc = _array(data, "f64_code", "int8", shape=(2, 2, n))
    _check_codes("f64", F, Fc)
    D.update(C=C, f64=F, f64_code=Fc, f64_out=_dtype_field(data, "f64_out"),
             native_in=_dtype_field(data, "native_in"))
    dev = data["native_device"]
    if not isinstance(dev, str) or not 0 < len(dev) <= 64:
        raise _bad("native_device", f"expected a device name, got {dev!r}")
    D["native_device"] = dev
    has_nat = [k in data for k in ("nat", "nat_code", "native_out")]
    if any(has_nat) and not all(has_nat):
        raise InvalidArgument("witness: 'nat', 'nat_code' and 'native_out' come together")
    if all(has_nat):
        N = _array(data, "nat", "float64", shape=(2, 2, n, C))
        Nc = _array(data, "nat_code", "int8", shape=(2, 2, n))
        _check_codes("nat", N, Nc)
        D.update(nat=N, nat_code=Nc, native_out=_dtype_field(data, "native_out"))
        if D["native_in"] == "float64" and dev == "cpu":
            raise _bad("nat", "a float64 CPU model's own evaluation is the float64 evaluation: "
                              "it is not stored twice")
    else:
        if D["native_in"] != "float64" or dev != "cpu":
            raise _bad("nat", f"missing: the model's own evaluation ({D['native_in']} on {dev}) "
                              "is not the float64 one")
        D.update(nat=None, nat_code=None, native_out=None)
    has_dup = [k in data for k in ("dup", "dup_code")]
    if any(has_dup) != all(has_dup) or all(has_dup) != (D["nat"] is None):
        raise InvalidArgument("witness: 'dup' and 'dup_code' are stored exactly for float64 CPU models")
    if all(has_dup):
        Dp = _array(data, "dup", "float64", shape=(n, C))
        Dc = _array(data, "dup_code", "int8", shape=(n,))
        _check_codes("dup", Dp, Dc)
        D.update(dup=Dp, dup_code=Dc)
    else:
        D.update(dup=None, dup_code=None)
    has_probe = [k in data for k in ("probe", "probe_code", "probe_out")]
    if any(has_probe) and not all(has_probe):
        raise InvalidArgument("witness: 'probe', 'probe_code' and 'probe_out' come together")
    if all(has_probe):
        if D["nat"] is not None:
            raise _bad("probe", "a float32 probe is only made for float64 CPU models")
        P = _array(data, "probe", "float64", shape=(2, n, C))
        Pc = _array(data, "probe_code", "int8", shape=(2, n))
        _check_codes("probe", P, Pc)
        D.update(probe=P, probe_code=Pc, probe_out=_dtype_field(data, "probe_out"))
    else:
        D.update(probe=None, probe_code=None, probe_out=None)
    if strict:
        _check_structure(D)
    return D


def _codes(D: Mapping[str, Any]) -> list[tuple[str, np.ndarray]]:
    out = [("f64_code", D["f64_code"])]
    if D["nat"] is not None:
        out.append(("nat_code", D["nat_code"]))
    return out


def _check_structure(D: Mapping[str, Any]) -> None:
    """The evaluated slots are exactly those the search makes (given the derived statuses)."""
    dv = _derive(D)
    searched = dv["x_status"] == ""
    ss = D["search_status"]
    bad = np.flatnonzero(searched != (ss != ""))
    if bad.size:
        i = int(bad[0])
        why = (f"sample {i} was searched although its label is not usable ({dv['x_status'][i]})"
               if ss[i] else f"sample {i} has a usable label but no search status")
        raise _bad("search_status", why)
    if (D["r"][~searched] != 0).any():
        raise _bad("r", "a sample that was not searched has a non-zero perturbation")
    found = ss == "found"
    for name, code in _codes(D):
        if (code[0, 0] == 0).any():
            raise _bad(name, "every sample's x is evaluated (first evaluation)")
        for p, e in ((0, 1), (1, 0), (1, 1)):
            if ((code[p, e] != 0) != found).any():
                raise _bad(name, "the certification evaluations (x again, x + r twice) are made "
                                 "exactly for the samples whose search found a flip")
    if D["dup"] is not None and ((D["dup_code"] != 0) != found).any():
        raise _bad("dup_code", "x + r is evaluated as a batch of two copies exactly where a flip was found")
    if D["probe"] is not None:
        pc = D["probe_code"]
        if (pc[0] == 0).any() or ((pc[1] != 0) != found).any():
            raise _bad("probe_code", "the probe evaluates every x, and x + r where a flip was found")


def _rowmax_abs(L: np.ndarray) -> np.ndarray:
    return np.max(np.abs(L), axis=-1)


def _disc(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``max_j |a_j − b_j|`` per row (inf where either row is not finite)."""
    d = np.max(np.abs(a - b), axis=-1)
    return np.where(np.isfinite(d), d, np.inf)


def _others(L: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Max and argmax over ``j ≠ k`` per row."""
    rows = np.arange(L.shape[0])
    O = L.copy()
    O[rows, k] = -np.inf
    return O.max(axis=1), O.argmax(axis=1)


def _derive(D: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Every per-sample claim from the stored evaluations (see the module docstring)."""
    with np.errstate(all="ignore"):
        return _derive_impl(D)


def _derive_impl(D: Mapping[str, Any]) -> dict[str, np.ndarray]:
    n, C = D["n"], D["C"]
    rows = np.arange(n)
    F, Fc = D["f64"], D["f64_code"]
    nat = D["nat"] is not None
    N, Nc = (D["nat"], D["nat_code"]) if nat else (F, Fc)
    u64, t64 = _UNIT_ROUNDOFF[D["f64_out"]], _TINY[D["f64_out"]]
    uN = max(_UNIT_ROUNDOFF[D["native_in"]], _UNIT_ROUNDOFF[D["native_out"]]) if nat else u64
    tN = max(_TINY[D["native_in"]], _TINY[D["native_out"]]) if nat else t64
    # rounding estimates δ per point (0: x, 1: x + r), from the first evaluations
    d64 = np.zeros((2, n))
    dN = np.zeros((2, n))
    if nat:
        dN = _disc(N[:, 0], F[:, 0])
        d64 = dN * (u64 / uN)  # a power of two: exact
    elif D["probe"] is not None:
        uP = max(_UNIT_ROUNDOFF["float32"], _UNIT_ROUNDOFF[D["probe_out"]])
        dp = _disc(D["probe"], F[:, 0])
        usable = (D["probe_code"] == 1) & np.isfinite(dp)
        d64 = np.where(usable, dp * (u64 / uP), 0.0)  # an unusable probe: no estimate
    # another accumulation order at x + r (a raising duplicate gives no estimate; NaN gives inf)
    if D["dup"] is not None:
        dd = np.where(D["dup_code"] == 1, _disc(D["dup"], F[1, 0]), 0.0)
        d64[1] = np.maximum(d64[1], dd)
    if not nat:
        dN = d64
    tau64 = _K_OUT * (u64 * _rowmax_abs(F[:, 0]) + t64) + _K_DELTA * d64          # (2, n)
    tauN = _K_OUT * (uN * _rowmax_abs(N[:, 0]) + tN) + _K_DELTA * dN if nat else tau64
    # the label of x (first float64 evaluation) and its gaps
    A, NA = F[0, 0], N[0, 0]
    fin_x = np.isfinite(A).all(axis=1) & np.isfinite(NA).all(axis=1)
    k = np.where(fin_x, np.argmax(np.where(np.isfinite(A), A, -np.inf), axis=1), 0)
    gap = A[rows, k] - _others(A, k)[0]
    gapN = NA[rows, k] - _others(NA, k)[0]
    xs = np.full(n, "", dtype=_STR)
    xs[(Fc[0, 0] == 2) | (Nc[0, 0] == 2)] = "model_error"
    xs[(xs == "") & ~fin_x] = "nan_output"
    xs[(xs == "") & ~(gap > tau64[0])] = "label_tie"
    xs[(xs == "") & (gapN < -tauN[0])] = "precision_mismatch"
    xs[(xs == "") & ~(gapN > tauN[0])] = "label_tie"
    y = D["labels"]
    if y is not None:
        xs[(xs == "") & ((y < 0) | (y >= C))] = "label_out_of_range"
        xs[(xs == "") & (y != k)] = "already_misclassified"
    label = np.where(fin_x & (Fc[0, 0] == 1) & (Nc[0, 0] == 1), k, -1).astype(np.int64)
    # the certification evaluations
    found = (xs == "") & (D["search_status"] == "found")
    slots = [(F, Fc, p, e) for p in (0, 1) for e in (0, 1)] + ([(N, Nc, p, e) for p in (0, 1) for e in (0, 1)]
                                                              if nat else [])
    evaluated = np.all([c[p, e] != 0 for _, c, p, e in slots], axis=0)
    err = np.any([c[p, e] == 2 for _, c, p, e in slots], axis=0)
    fin = np.all([np.isfinite(L[p, e]).all(axis=1) for L, _, p, e in slots], axis=0)
    det = np.all([(L[p, 0] == L[p, 1]).all(axis=1) for L, _, p, e in slots if e == 0], axis=0)
    B, NB = F[1, 0], N[1, 0]
    m64 = _others(B, k)[0] - B[rows, k]
    mN = _others(NB, k)[0] - NB[rows, k]
    ok_adv = found & evaluated & ~err & fin & det
    flip64 = ok_adv & (m64 > tau64[1])
    flipN = ok_adv & (mN > tauN[1])
    not64 = D["f64_out"] != "float64"
    cert = np.select(
        [~evaluated, err, ~fin, ~det, flip64 & flipN & not64, flip64 & flipN, flip64 ^ flipN],
        ["not_certified", "model_error", "nan_output", "nondeterministic", "output_not_float64", "flipped",
         "precision_mismatch"], "not_certified")
    status = np.where(xs != "", xs, np.where(found, cert, D["search_status"])).astype(_STR)
    adv_ok = (Fc[1, 0] == 1) & np.isfinite(B).all(axis=1)
    advN_ok = (Nc[1, 0] == 1) & np.isfinite(NB).all(axis=1)
    new_label = np.where(adv_ok, np.argmax(np.where(np.isfinite(B), B, -np.inf), axis=1), -1).astype(np.int64)
    x_ok = (Fc[0, 0] == 1) & fin_x
    return {
        "x_status": xs, "label": label, "new_label": new_label, "status": status,
        "success": status == "flipped", "flipped_float64": flip64, "flipped_native": flipN,
        "gap": np.where(x_ok, gap, np.nan), "gap_native": np.where(x_ok, gapN, np.nan),
        "margin": np.where(adv_ok & (label >= 0), m64, np.nan),
        "margin_native": np.where(advN_ok & (label >= 0), mN, np.nan),
        "allowance_float64": np.stack([np.where(x_ok, tau64[0], np.nan),
                                       np.where(adv_ok, tau64[1], np.nan)], axis=1),
        "allowance_native": np.stack([np.where(x_ok, tauN[0], np.nan),
                                      np.where(advN_ok, tauN[1], np.nan)], axis=1),
        "k": k, "tau64": tau64, "tauN": tauN,
    }


def _native_desc(D: Mapping[str, Any]) -> str:
    if D["nat"] is None:
        probe = ("; float64 rounding estimated with a float32 probe" if D["probe"] is not None
                 else "; no float32 probe: output-based rounding allowance only")
        return f"float64 on cpu (the float64 evaluation){probe}"
    return f"{D['native_in']} on {D['native_device']}"


def _assemble(data: Mapping[str, Any], batched: bool, elapsed: Any) -> ClassifierWitness:
    """The whole result, deterministically, from the witness data (the check and the verifier both call it)."""
    if not isinstance(batched, (bool, np.bool_)):
        raise InvalidArgument(f"batched must be True or False, got {batched!r}")
    D = _validated(data)
    n = D["n"]
    if not batched and n != 1:
        raise InvalidArgument(f"batched: a single-sample witness holds 1 sample, this one {n}")
    dv = _derive(D)
    X, R = D["x"].reshape(n, -1), D["r"].reshape(n, -1)
    xn = np.array([norm2(X[i]) for i in range(n)])
    rn = np.array([norm2(R[i]) for i in range(n)])
    success = dv["success"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(success, np.where(xn > 0, rn / np.where(xn > 0, xn, 1.0), np.inf), np.nan)
    status = dv["status"]
    searched = ~np.isin(status, _SKIPPED)
    n_ok = int(success.sum())
    ok_r = ratio[success]
    nan = float("nan")
    b = bool(batched)
    values: dict[str, Any] = {
        "ratio": _one(ratio, b), "norm_r": _one(rn, b), "norm_x": _one(xn, b),
        "label": _one(dv["label"], b), "new_label": _one(dv["new_label"], b),
        "success": _one(success, b), "status": _one(status, b),
        "sample_rigor": _one(np.where(success, Rigor.CERTIFIED_FLOAT64.value, Rigor.NUMERICAL.value).astype(_STR), b),
        "iterations": _one(D["iterations"], b),
        "flipped_float64": _one(dv["flipped_float64"], b), "flipped_native": _one(dv["flipped_native"], b),
        "margin": _one(dv["margin"], b), "margin_native": _one(dv["margin_native"], b),
        "gap": _one(dv["gap"], b), "gap_native": _one(dv["gap_native"], b),
        "allowance_float64": _one(dv["allowance_float64"], b), "allowance_native": _one(dv["allowance_native"], b),
        "n": n, "n_searched": int(searched.sum()), "n_flipped": n_ok,
        "success_rate": float(success[searched].mean()) if searched.any() else nan,
        "min_ratio": float(np.min(ok_r)) if n_ok else nan,
        "median_ratio": float(np.median(ok_r)) if n_ok else nan,
        "mean_ratio": math.fsum(ok_r.tolist()) / n_ok if n_ok else nan,
        "native": _native_desc(D),
        "elapsed_s": elapsed,
    }
    method = D["method"]
    if n_ok:
        i = int(np.argmin(np.where(success, ratio, np.inf)))
        where = f" (sample {i})" if b else ""
        native = ("the float64 evaluation on the CPU (the model's own)" if D["nat"] is None else
                  f"the float64 evaluation on the CPU and the model's own {values['native']}")
        msg = (f"{method}: {n_ok} of {values['n_searched']} searched sample(s) flipped, certified in "
               f"{native}: each input alone, twice, margins beyond the rounding allowance; smallest "
               f"‖r‖/‖x‖ = {ratio[i]:.6g}{where}")
        outcome, rigor = Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64
    else:
        names, counts = np.unique(status, return_counts=True)
        msg = (f"{method}: no certified flip among {n} sample(s) (statuses: "
               + ", ".join(f"{s} {c}" for s, c in zip(names.tolist(), counts.tolist())) + ")")
        outcome, rigor = Outcome.INCONCLUSIVE, Rigor.NUMERICAL
    return ClassifierWitness(_CHECK, outcome, rigor, msg, values, Witness(_CHECK, dict(data)), _THEOREM,
                             batched=b)


def _rerun(data: Mapping[str, Any], model: Any) -> dict[str, Any]:
    """The witness data with every stored evaluation re-run on ``model`` (same slots, alone, twice)."""
    from theorycheck.nets.classifiers import ModelSet

    D = _validated(data, strict=False)
    with ModelSet(model, "cpu") as ms, np.errstate(all="ignore"):
        if ms.native_is_f64 != (D["nat"] is None) or (
                D["nat"] is not None and (_torch_name(ms.native_dtype), str(ms.native_device))
                != (D["native_in"], D["native_device"])):
            raise InvalidArgument(
                f"native_in/native_device: the stored evaluation is the model's own "
                f"{D['native_in']} on {D['native_device']}, the given model runs in {ms.native}")
        ev = _Evals(ms, D["n"], D["C"], with_probe=D["probe"] is not None)
        Xp = (D["x"], D["x"] + D["r"])
        for kind, code in (("f64", D["f64_code"]), ("nat", D["nat_code"])):
            if code is None:
                continue
            both = (code[1, 0] != 0) & (code[1, 1] != 0)  # x + r: twice in a row, as the search
            if both.any():
                idx = np.flatnonzero(both)
                ev.run(kind, 1, 0, idx, Xp[1][idx], twice=True)
            for p, e in ((0, 0), (0, 1), (1, 0), (1, 1)):
                idx = np.flatnonzero((code[p, e] != 0) & ~(both if p == 1 else False))
                if idx.size:
                    ev.run(kind, p, e, idx, Xp[p][idx])
        if D["probe"] is not None:
            for p in (0, 1):
                idx = np.flatnonzero(D["probe_code"][p] != 0)
                if idx.size:
                    ev.run("probe", p, 0, idx, Xp[p][idx])
        idx = np.flatnonzero(D["dup_code"] != 0) if D["dup"] is not None else np.zeros(0, dtype=int)
        if idx.size:
            ev.run("dup", 1, 0, idx, Xp[1][idx])
        new = dict(data)
        new.update(ev.data())
    return new


def _torch_name(dt: Any) -> str:
    return str(dt).replace("torch.", "")


def _model_problems(result: ClassifierWitness, model: Any) -> list[str]:
    """Re-run the model on the stored inputs; the flips (and the stored logits, within rounding) must agree."""
    data = result.witness.data
    try:
        new = _rerun(data, model)
        again = _assemble(new, True, 0.0)
    except InvalidArgument as exc:
        return [f"re-running the model: {exc}"]
    saved = _assemble(data, True, 0.0)
    problems = []
    for key in ("label", "new_label", "status", "success", "flipped_float64", "flipped_native"):
        a, b = np.asarray(saved.values[key]), np.asarray(again.values[key])
        bad = np.flatnonzero(a != b)
        if bad.size:
            i = int(bad[0])
            problems.append(f"re-running the model: values[{key!r}] of sample {i}: saved {a[i]!r}, "
                            f"re-derived {b[i]!r}")
    for kind, tol_key in (("f64", "allowance_float64"), ("nat", "allowance_native")):
        if kind not in data:
            continue
        old, fresh = np.asarray(data[kind]), np.asarray(new[kind])
        tol = np.asarray(again.values[tol_key])  # (n, 2): at x, at x + r
        with np.errstate(invalid="ignore"):
            diff = np.max(np.abs(old - fresh), axis=-1)  # (2, 2, n)
            both = np.isfinite(old).all(axis=-1) & np.isfinite(fresh).all(axis=-1)
            off = both & ~(diff <= tol.T[:, None, :])
            off |= np.isfinite(old).all(axis=-1) != np.isfinite(fresh).all(axis=-1)
        if off.any():
            p, e, i = (int(v[0]) for v in np.nonzero(off))
            problems.append(f"witness[{kind!r}]: the stored logits of sample {i} at "
                            f"{'x' if p == 0 else 'x + r'} (evaluation {e + 1}) differ from the "
                            "re-run model's beyond the rounding allowance")
    return problems


@register_verifier(_CHECK)
def _verify_classifier_witness(result: CheckResult, model: Any = None) -> CheckResult:
    """Re-derive every claim of a saved :class:`ClassifierWitness`; with ``model`` re-run the model."""
    if not isinstance(result, ClassifierWitness) or result.witness is None:
        return verification(result, ["the saved result is not a ClassifierWitness with stored evaluations"],
                             rederived="nothing")
    try:
        derived = _assemble(result.witness.data, result.batched, result.values.get("elapsed_s", 0.0))
    except InvalidArgument as exc:
        return verification(result, [str(exc)], rederived="nothing")
    problems = claim_mismatches(result, derived)
    if model is not None and not problems:
        problems += _model_problems(result, model)
    what = ("every label, gap, margin, rounding allowance, flip, status and ratio, the outcome, rigor "
            "and message, from the stored inputs, perturbations and model outputs")
    if model is not None:
        return verification(result, problems, rederived=what + "; the model re-run on every stored input "
                            "(alone, twice, in float64 and in its own dtype) gives the same flips")
    return verification(result, problems, rederived=what,
                        not_rechecked="the model outputs (logits) stored in the witness; pass model= "
                                      "to re-run the model")


# --------------------------------------------------------------------------------------
# evaluating the model, sample by sample
# --------------------------------------------------------------------------------------

class _Evals:
    """The per-sample evaluations of a search (or of a re-run), laid out as the witness data."""

    def __init__(self, ms: Any, n: int, C: int, *, with_probe: bool):
        self.ms = ms
        self.n, self.C = n, C
        self.F = np.full((2, 2, n, C), np.nan)
        self.Fc = np.zeros((2, 2, n), dtype=np.int8)
        self.has_nat = not ms.native_is_f64
        self.N = np.full((2, 2, n, C), np.nan) if self.has_nat else None
        self.Nc = np.zeros((2, 2, n), dtype=np.int8) if self.has_nat else None
        self.has_probe = bool(with_probe) and ms.native_is_f64 and ms.probe is not None
        self.P = np.full((2, n, C), np.nan) if self.has_probe else None
        self.Pc = np.zeros((2, n), dtype=np.int8) if self.has_probe else None
        self.Dp = np.full((n, C), np.nan)
        self.Dc = np.zeros(n, dtype=np.int8)
        self.outs: dict[str, set[str]] = {"f64": set(), "nat": set(), "probe": set(), "dup": set()}
        self.first_exc: Exception | None = None

    def put(self, kind: str, p: int, e: int, idx: np.ndarray, rows: Sequence[np.ndarray | None]) -> None:
        for i, row in zip(idx.tolist(), rows):
            ok = row is not None and row.size == self.C
            if kind == "probe":
                self.P[p, i] = row if ok else np.nan
                self.Pc[p, i] = 1 if ok else 2
                continue
            if kind == "dup":
                self.Dp[i] = row if ok else np.nan
                self.Dc[i] = 1 if ok else 2
                continue
            L, c = (self.F, self.Fc) if kind == "f64" else (self.N, self.Nc)
            L[p, e, i] = row if ok else np.nan
            c[p, e, i] = 1 if ok else 2
            if row is not None and not ok and self.first_exc is None:
                self.first_exc = InvalidArgument(
                    f"the model returned {row.size} logits for one sample and {self.C} for another")

    def run(self, kind: str, p: int, e: int, idx: np.ndarray, Xp: np.ndarray, twice: bool = False) -> None:
        """Evaluation ``e`` of the rows ``Xp`` (samples ``idx``) at point ``p``; ``twice``: evaluations 0 and 1 in a row."""
        if (kind == "nat" and not self.has_nat) or (kind == "probe" and not self.has_probe) \
                or (kind == "dup" and self.has_nat):
            return
        from theorycheck.nets.classifiers import run_alone

        model, dtype, device = self.ms.evaluation("f64" if kind == "dup" else kind)
        reps, exc = run_alone(model, Xp, dtype, device, self.outs[kind], repeat=2 if twice else 1,
                              duplicate=kind == "dup")
        if kind not in ("probe", "dup") and self.first_exc is None:
            self.first_exc = exc
        for j, rows in enumerate(reps):
            self.put(kind, p, j if twice else e, idx, rows)

    def point(self, p: int, e: int | None, idx: np.ndarray, Xp: np.ndarray) -> None:
        """Evaluate the rows ``Xp`` (samples ``idx``) at point ``p`` (0: x, 1: x + r): evaluation ``e``, or both (None)."""
        self.run("f64", p, e or 0, idx, Xp, twice=e is None)
        self.run("nat", p, e or 0, idx, Xp, twice=e is None)
        if not e:
            self.run("probe", p, 0, idx, Xp)
        if p == 1 and e is None and not self.has_nat:
            self.run("dup", 1, 0, idx, Xp)

    def clear(self, p: int, idx: np.ndarray) -> None:
        self.F[p, :, idx] = np.nan
        self.Fc[p, :, idx] = 0
        if self.has_nat:
            self.N[p, :, idx] = np.nan
            self.Nc[p, :, idx] = 0
        if self.has_probe:
            self.P[p, idx] = np.nan
            self.Pc[p, idx] = 0
        if p == 1:
            self.Dp[idx] = np.nan
            self.Dc[idx] = 0

    @staticmethod
    def _coarsest(names: set[str], default: str) -> str:
        known = [s for s in names if s in _UNIT_ROUNDOFF]
        return max(known, key=lambda s: _UNIT_ROUNDOFF[s]) if known else default

    def data(self) -> dict[str, Any]:
        ms = self.ms
        d: dict[str, Any] = {
            "f64": self.F.copy(), "f64_code": self.Fc.copy(),
            "f64_out": self._coarsest(self.outs["f64"], "float64"),
            "native_in": _torch_name(ms.native_dtype), "native_device": str(ms.native_device),
        }
        if not self.has_nat:
            d.update(dup=self.Dp.copy(), dup_code=self.Dc.copy())
        if self.has_nat:
            d.update(nat=self.N.copy(), nat_code=self.Nc.copy(),
                     native_out=self._coarsest(self.outs["nat"], d["native_in"]))
        if self.has_probe:
            d.update(probe=self.P.copy(), probe_code=self.Pc.copy(),
                     probe_out=self._coarsest(self.outs["probe"], "float32"))
        return d


# --------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------

def _as_float64(x: Any, name: str) -> np.ndarray:
    """A float64 copy of real numeric data, refusing what float64 cannot hold exactly."""
    if x is None:
        raise InvalidArgument(f"{name} is None: pass an array or tensor")
    if isinstance(x, (str, bytes)):
        raise InvalidArgument(f"{name} is a string: pass an array of numbers")
    try:
        arr = to_numpy(x) if is_torch(x) else np.asarray(x)
    except InvalidArgument:
        raise
    except Exception as exc:
        raise InvalidArgument(f"{name} could not be read as an array: {exc}") from exc
    if arr.dtype.kind == "c":
        raise InvalidArgument(f"{name} is complex: classifiers take real inputs")
    if arr.dtype.kind not in "biuf":
        raise InvalidArgument(f"{name} has non-numeric entries (dtype {arr.dtype}): pass numbers")
    if arr.ndim == 0:
        raise InvalidArgument(f"{name} is a scalar: pass the model's input (an array)")
    if arr.size == 0:
        raise InvalidArgument(f"{name} is empty (shape {arr.shape}): pass at least one sample")
    if arr.dtype.kind in "iu" and arr.dtype.itemsize > 4:
        big = np.abs(arr.astype(object)).max() if arr.dtype.kind == "i" else int(arr.max())
        if int(big) > 2 ** 53:
            raise InvalidArgument(f"{name} holds integers beyond 2^53 that float64 cannot represent "
                                  "exactly: scale them or pass floats")
    out = np.array(arr, dtype=np.float64, copy=True)
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
        with np.errstate(all="ignore"):
            exact = np.array_equal(out.astype(arr.dtype), arr, equal_nan=True)
        if not exact:
            raise InvalidArgument(f"{name} has {arr.dtype} entries that float64 cannot represent "
                                  "exactly: round them to float64 first")
    return out


def _labels(labels: Any, n: int, batched: bool) -> np.ndarray | None:
    if labels is None:
        return None
    if isinstance(labels, (str, bytes)):
        raise InvalidArgument(f"labels must be integers (class indices), got {labels!r}")
    try:
        arr = to_numpy(labels) if is_torch(labels) else np.asarray(labels)
    except Exception as exc:  # noqa: BLE001
        raise InvalidArgument(f"labels could not be read as integers: {exc}") from exc
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)) \
            and np.all(np.abs(arr) < 2 ** 62):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise InvalidArgument(f"labels must be integers (class indices), got dtype {arr.dtype}")
    if arr.size and (int(arr.max()) >= 2 ** 62 or int(arr.min()) < -(2 ** 62)):
        raise InvalidArgument("labels hold integers out of any class range")
    if arr.ndim > 1:
        raise InvalidArgument(f"labels must be an int or a 1-D array (one label per sample), got shape "
                              f"{arr.shape}")
    arr = arr.astype(np.int64).reshape(-1)
    if arr.size != n:
        raise InvalidArgument(
            f"labels has {arr.size} entries for {n} sample(s): pass one label per sample"
            + ("" if batched else " (an int for a single sample)"))
    return arr


def _device(device: Any) -> Any:
    """``None`` (CUDA when present, else CPU), or a CPU/CUDA device that exists here."""
    if device is None:
        return None
    torch = lazy_torch()
    if not isinstance(device, (str, torch.device)):
        raise InvalidArgument(f"device must be 'cpu', 'cuda' or a torch.device, got {device!r}")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise InvalidArgument(f"unknown device {device!r}: use 'cpu' or 'cuda'") from exc
    if dev.type not in ("cpu", "cuda"):
        raise InvalidArgument(f"device {device!r}: searches run on 'cpu' or 'cuda'")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidArgument(f"device {device!r}: CUDA is not available here; use 'cpu'")
    return dev


def _finite_samples(X: np.ndarray, batched: bool) -> None:
    bad = np.flatnonzero(~np.isfinite(X.reshape(X.shape[0], -1)).all(axis=1))
    if bad.size:
        where = f"x[{int(bad[0])}]" if batched else "x"
        more = f" (and {bad.size - 1} more sample(s))" if bad.size > 1 else ""
        raise InvalidArgument(f"{where} holds NaN or inf{more}: a perturbation of a non-finite "
                              "input means nothing; remove or repair the sample")


def _search_args(method: Any, overshoot: Any, max_iter: Any, batch_size: Any, candidates: Any,
                 batched: Any) -> tuple[str, float, int, int | None, int | None, bool | None]:
    if not isinstance(method, str) or method not in METHODS:
        raise InvalidArgument(f"method must be one of {METHODS}, got {method!r}")
    overshoot = real_arg(overshoot, "overshoot", allow_zero=True)
    if overshoot > _MAX_OVERSHOOT:
        raise InvalidArgument(f"overshoot must be at most {_MAX_OVERSHOOT:g} (DeepFool uses 0.02), "
                              f"got {overshoot!r}")
    max_iter = integer_arg(max_iter, "max_iter")
    if max_iter > _MAX_ITER:
        raise InvalidArgument(f"max_iter must be at most {_MAX_ITER} (DeepFool converges in a few "
                              f"steps; bisection needs about 20), got {max_iter}")
    if batch_size is not None:
        batch_size = integer_arg(batch_size, "batch_size")
    if candidates is not None:
        candidates = integer_arg(candidates, "candidates", minimum=2)
    if batched is not None:
        batched = bool_arg(batched, "batched")
    return method, overshoot, max_iter, batch_size, candidates, batched


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
    """Search a small perturbation ``r`` with ``k̂(x + r) ≠ k̂(x)`` and certify the flip.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits ``(n, C)``, or ``(n,)``/``(n, 1)`` for a binary
        classifier (label ``f > 0``), in float64, float32, float16 or
        bfloat16. Never modified (deep-copied where its device or dtype must
        change; train/eval flags restored).
    x : array_like or torch.Tensor
        One sample (the model's input shape) or a batch (batch first); finite
        (a sample with NaN or inf is refused, naming it).
    method : {"deepfool", "fast_gradient", "fast_gradient_sign", "random"}
        See the module docstring.
    overshoot : float
        DeepFool's ``η`` in ``[0, 10]`` (ignored by the line searches, which
        return the smallest flipping ``α`` they find).
    max_iter : int
        DeepFool iterations, or bisection halvings of the line searches (at most 10000).
    seed : int, numpy.random.Generator or None
        Random directions (``"random"`` only); same seed, same result.
    device : str or torch.device, optional
        Where to search (default: CUDA if present, else CPU), in the model's
        dtype (float32 for float16/bfloat16 models). Certification uses the
        float64 CPU copy and the model where it is, in its own dtype.
    batch_size : int, optional
        Samples per search pass (memory); the result does not depend on it.
        Default: as many as fit in a few hundred MB.
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
        A :class:`CheckResult`: per-sample perturbation, ``‖r‖/‖x‖``, labels,
        success, which evaluations flipped, status; every model output it
        was decided from is stored in its witness.

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
    Rigor: certified-float64 for ``success`` samples (``model(x)`` and
    ``model(x + r)``, each alone and twice, in float64 on the CPU and in the
    model's own dtype and device, the flip beyond the rounding allowance);
    the ratios are numerical upper bounds on the minimal perturbation.
    """
    t0 = time.perf_counter()
    method, overshoot, max_iter, batch_size, candidates, batched = _search_args(
        method, overshoot, max_iter, batch_size, candidates, batched)
    rng = seed_arg(seed)
    X = _as_float64(x, "x")
    dev = _device(device)
    from theorycheck.nets.classifiers import ModelSet, probe_batched

    with ModelSet(model, dev) as ms, np.errstate(all="ignore"):
        if _torch_name(ms.native_dtype) not in _UNIT_ROUNDOFF:
            raise InvalidArgument(f"the model's dtype {_torch_name(ms.native_dtype)} is not supported: "
                                  f"use one of {', '.join(_UNIT_ROUNDOFF)}")
        if batched is None:
            batched = probe_batched(ms.f64, X)
        if not batched:
            X = X[None]
        elif X.ndim < 2:
            raise InvalidArgument(f"a batch needs shape (n, *input_shape), got {X.shape}")
        n = X.shape[0]
        _finite_samples(X, batched)
        y = _labels(labels, n, batched)
        ev = _first_evaluation(ms, X, batch_size)
        base = {"x": X, "r": np.zeros_like(X), "method": method,
                "search_status": np.full(n, "", dtype=_STR), "iterations": np.zeros(n, dtype=np.int64)}
        if y is not None:
            base["labels"] = y
        dv = _derive(_validated({**base, **ev.data()}, strict=False))
        label = dv["label"]
        todo = np.flatnonzero(dv["x_status"] == "")
        R, iters, sstat = _search(ms, X, label, ev.F[0, 0], todo, method, overshoot, max_iter, rng,
                                  batch_size, candidates)
        base.update(r=R, iterations=iters, search_status=sstat)
        _certify(ms, ev, base, X, label)
        data = {**base, **ev.data()}
    return _assemble(data, bool(batched), time.perf_counter() - t0)


def _first_evaluation(ms: Any, X: np.ndarray, batch_size: int | None) -> _Evals:
    """Every sample's ``x`` alone, once, in float64 (which decides the number of classes), natively, probe."""
    from theorycheck.nets.classifiers import evaluate_batch, run_alone

    torch = lazy_torch()
    n = X.shape[0]
    outs: set[str] = set()
    rows, exc0 = run_alone(ms.f64, X, torch.float64, torch.device("cpu"), outs)
    sizes = [r.size for r in rows[0] if r is not None]
    if sizes:
        C = sizes[0]
    else:
        # fails on every sample alone: a bad input (say why) unless the model runs on the
        # whole batch (batch statistics): then every sample is reported model_error
        try:
            Lb = evaluate_batch(ms.f64, X, batch_size) if n > 1 else None
        except InvalidArgument:
            Lb = None
        if Lb is None:
            raise exc0 if exc0 is not None else InvalidArgument("the model could not be evaluated")
        C = Lb.shape[1]
    ev = _Evals(ms, n, C, with_probe=True)
    ev.outs["f64"] |= outs
    idx = np.arange(n)
    ev.put("f64", 0, 0, idx, rows[0])
    ev.first_exc = exc0
    ev.run("nat", 0, 0, idx, X)
    ev.run("probe", 0, 0, idx, X)
    return ev


def _search(ms: Any, X: np.ndarray, label: np.ndarray, L0: np.ndarray, todo: np.ndarray, method: str,
            overshoot: float, max_iter: int, rng: np.random.Generator, batch_size: int | None,
            candidates: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the search on the samples ``todo``, then aim slightly past the boundary (see the module docstring)."""
    from theorycheck.nets.classifiers import Searcher, chunks

    n = X.shape[0]
    nd = X.ndim - 1
    shape1 = (-1,) + (1,) * nd
    d = int(np.prod(X.shape[1:]))
    C = L0.shape[1]
    R = np.zeros_like(X)
    iters = np.zeros(n, dtype=np.int64)
    sstat = np.full(n, "", dtype=_STR)
    # random directions for the whole batch up front: results do not depend on batch_size
    V_all = rng.standard_normal(X.shape) if method == "random" else None
    K = C if candidates is None else min(candidates, C)
    per = batch_size or max(1, (1 << 25) // (max(K - 1, 1) * d) if method == "deepfool" else (1 << 24) // d)
    searcher = Searcher(ms.search, ms.search_dtype, ms.search_device)
    xnorm = np.array([norm2(X[i]) for i in range(n)])
    for sl in chunks(todo.size, per):
        idx = todo[sl]
        Xi, ki = X[idx], label[idx]
        if method == "deepfool":
            cand = np.argsort(-L0[idx], axis=1, kind="stable")[:, :K]  # the (strict) label first
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
            V = np.where(ok_dir.reshape(shape1), V / np.where(ok_dir, vn, 1.0).reshape(shape1), 0.0)
            scale = np.where(xnorm[idx] > 0, xnorm[idx], 1.0)
            alpha, it, st = searcher.line_search(Xi, ki, V, scale, max_iter)
            st[~ok_dir] = "zero_gradient"
            alpha = np.where(ok_dir, alpha, 0.0)
            Ri = alpha.reshape(shape1) * V
        Ri = np.where(np.isfinite(Ri), Ri, 0.0)
        found = np.flatnonzero(st == "found")
        if found.size:  # aim past the boundary by 4 × the output rounding term
            L1 = searcher.logits_at(Xi[found] + Ri[found])
            t = _aim_factor(L0[idx[found]], L1, ki[found], _UNIT_ROUNDOFF[_torch_name(ms.native_dtype)])
            aimed = Ri[found] * t.reshape(shape1)
            Ri[found] = np.where(np.isfinite(aimed), aimed, Ri[found])
        R[idx], iters[idx], sstat[idx] = Ri, it, st.astype(_STR)
    return R, iters, sstat


def _aim_factor(L0: np.ndarray, L1: np.ndarray, k: np.ndarray, u: float) -> np.ndarray:
    """``t ≥ 1`` such that the runner-up's margin, linear in ``t`` from ``x`` to ``x + r``, reaches the aim."""
    with np.errstate(all="ignore"):
        rows = np.arange(len(k))
        top, j = _others(L1, k)
        m1 = top - L1[rows, k]
        m0 = L0[rows, j] - L0[rows, k]
        aim = _AIM * _K_OUT * max(u, _UNIT_ROUNDOFF["float64"]) * _rowmax_abs(L1)
        t = np.where((m1 < aim) & (m1 > m0), (aim - m0) / (m1 - m0), 1.0)
        return np.clip(np.where(np.isfinite(t), t, 1.0), 1.0, 1.0 + max(_REPAIR_MAX, 256 * u))


def _certify(ms: Any, ev: _Evals, base: dict[str, Any], X: np.ndarray, label: np.ndarray) -> None:
    """Evaluate ``x`` again and ``x + r`` twice (each alone, both evaluations); enlarge ``r`` where the margins fall short."""
    R = base["r"]
    found = np.flatnonzero(base["search_status"] == "found")
    if not found.size:
        return
    ev.point(0, 1, found, X[found])
    todo = found
    for rnd in range(_REPAIR_ROUNDS + 1):
        ev.point(1, None, todo, X[todo] + R[todo])  # each x + r twice in a row
        if rnd == _REPAIR_ROUNDS:
            break
        dv = _derive(_validated({**base, **ev.data()}, strict=False))
        short = found[np.isin(dv["status"][found], ("not_certified", "precision_mismatch"))]
        if not short.size:
            break
        t = _repair_factor(ev, dv, short, rnd, _UNIT_ROUNDOFF[_torch_name(ms.native_dtype)])
        bigger = R[short] * t.reshape((-1,) + (1,) * (X.ndim - 1))
        R[short] = np.where(np.isfinite(bigger), bigger, R[short])  # never overflow the stored r
        ev.clear(1, short)
        todo = short


def _repair_factor(ev: _Evals, dv: Mapping[str, np.ndarray], idx: np.ndarray, rnd: int, u: float) -> np.ndarray:
    """Per sample, the enlargement of ``r`` that brings both evaluations' margins to twice their allowance."""
    k = dv["k"][idx]
    rows = np.arange(idx.size)
    ts = []
    pairs = [(ev.F, dv["tau64"])] + ([(ev.N, dv["tauN"])] if ev.has_nat else [])
    with np.errstate(all="ignore"):
        for L, tau in pairs:
            A, B = L[0, 0, idx], L[1, 0, idx]
            top, j = _others(B, k)
            m1 = top - B[rows, k]
            m0 = A[rows, j] - A[rows, k]
            aim = 2.0 * tau[1, idx]
            ts.append(np.where(m1 > m0, (aim - m0) / (m1 - m0), np.inf))
        t = np.max(ts, axis=0)
        lo, hi = 1.0 + _REPAIR_MIN[rnd], 1.0 + max(_REPAIR_MAX, 256 * u)
        t = np.where(np.isfinite(t), t, 1.0 + 10 * _REPAIR_MIN[rnd])
        return np.clip(t, lo, hi)


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
        ``method →`` :class:`ClassifierWitness` (batched), each a result of its own.
    figure : str or None
        Path of the saved figure (x, r, x + r for a few samples), if any.

    ``outcome`` is ``violated`` when some certified flip has
    ``‖r‖/‖x‖ ≤ tol`` (the classifier is unstable at that sample), else
    ``inconclusive`` (a search that finds nothing proves no robustness).
    ``theorycheck verify`` re-derives every statistic and the outcome from the
    stored witnesses (each verified as a :class:`ClassifierWitness`).

    Theorem: THEORY.md §5.
    Rigor: ``certified-float64`` when ``violated`` (see :class:`ClassifierWitness`),
    else ``numerical``; the statistics are numerical.
    """

    informational: ClassVar[frozenset[str]] = frozenset({"elapsed_s", "figure"})

    stats: Mapping[str, Mapping[str, float]] = dataclasses.field(default_factory=dict)
    witnesses: Mapping[str, ClassifierWitness] = dataclasses.field(default_factory=dict)
    figure: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.witnesses, Mapping) or not isinstance(self.stats, Mapping):
            raise InvalidArgument("witnesses and stats must be mappings from method names")
        wits = {}
        for key, w in self.witnesses.items():
            if not isinstance(w, ClassifierWitness):
                raise InvalidArgument(f"witnesses[{key!r}] is not a ClassifierWitness")
            wits[str(key)] = w
        object.__setattr__(self, "witnesses", wits)
        stats = {}
        for k, v in self.stats.items():
            if not isinstance(v, Mapping):
                raise InvalidArgument(f"stats[{k!r}] must map statistic names to numbers")
            stats[str(k)] = dict(v)
        object.__setattr__(self, "stats", stats)
        if self.figure is not None and not isinstance(self.figure, str):
            raise InvalidArgument("figure must be a path (a string) or None")

    def table(self) -> str:
        """The statistics as a text table (one row per method)."""
        head = f"{'method':<20}{'median':>10}{'mean':>10}{'min':>10}{'success':>9}{'time (s)':>10}"
        rows = [head]
        for m, s in self.stats.items():
            rows.append(f"{m:<20}{s['median']:>10.4g}{s['mean']:>10.4g}{s['min']:>10.4g}"
                        f"{100 * s['success_rate']:>8.0f}%{s['time_s']:>10.3f}")
        return "\n".join(rows)


def _stats(w: ClassifierWitness) -> dict[str, float]:
    v = w.values
    return {"median": v["median_ratio"], "mean": v["mean_ratio"], "min": v["min_ratio"],
            "success_rate": v["success_rate"], "time_s": w.time_s, "n": v["n"],
            "n_searched": v["n_searched"], "n_flipped": v["n_flipped"]}


def _assemble_report(witnesses: Mapping[str, ClassifierWitness], tol: Any, figure: str | None,
                     elapsed: Any) -> RobustnessReport:
    """The report, deterministically, from the per-method witnesses (the check and the verifier call it)."""
    tol = real_arg(tol, "tol", allow_zero=True)
    if not witnesses:
        raise InvalidArgument("witnesses: a report holds at least one method")
    x0 = None
    for m, w in witnesses.items():
        if not isinstance(w, ClassifierWitness) or w.witness is None or not w.batched:
            raise InvalidArgument(f"witnesses[{m!r}]: not a batched ClassifierWitness")
        if w.method != m:
            raise InvalidArgument(f"witnesses[{m!r}]: holds a {w.method!r} search")
        if x0 is None:
            x0 = w.x
        elif not (w.x.shape == x0.shape and np.array_equal(w.x, x0)):
            raise InvalidArgument(f"witnesses[{m!r}]: the methods were run on different inputs")
    stats = {m: _stats(w) for m, w in witnesses.items()}
    values: dict[str, Any] = {}
    for m, s in stats.items():
        for key in ("median", "mean", "min", "success_rate", "time_s"):
            values[f"{m}_{key}"] = s[key]
    values["tol"] = tol
    values["elapsed_s"] = elapsed
    best = None
    for m, w in witnesses.items():
        succ = np.asarray(w.success, dtype=bool)
        if succ.any():
            ratio = np.asarray(w.ratio, dtype=float)
            i = int(np.argmin(np.where(succ, ratio, np.inf)))
            if best is None or ratio[i] < best[2]:
                best = (m, i, float(ratio[i]))
    parts = [f"{m}: {100 * s['success_rate']:.0f}% flipped, median ‖r‖/‖x‖ = {s['median']:.3g}"
             for m, s in stats.items()]
    if best is not None and best[2] <= tol:
        m, i, ratio = best
        w = witnesses[m]
        wit = Witness(_CHECK, {"x": w.x[i], "r": w.r[i], "label": int(w.label[i]),
                               "new_label": int(w.new_label[i]), "method": m, "sample": i})
        outcome, rigor = Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64
        msg = (f"a perturbation of ‖r‖/‖x‖ = {ratio:.6g} <= tol = {tol!r} flips label {int(w.label[i])} "
               f"of sample {i} ({m}; certified); " + "; ".join(parts))
    else:
        wit, outcome, rigor = None, Outcome.INCONCLUSIVE, Rigor.NUMERICAL
        msg = f"no certified flip with ‖r‖/‖x‖ <= tol = {tol!r}; " + "; ".join(parts)
    return RobustnessReport("classifier_robustness", outcome, rigor, msg, values, wit, _THEOREM,
                            stats=stats, witnesses=dict(witnesses), figure=figure)


@register_verifier("classifier_robustness")
def _verify_robustness_report(result: CheckResult, model: Any = None) -> CheckResult:
    """Verify every method's witness, then re-derive the statistics, outcome and message from them."""
    if not isinstance(result, RobustnessReport):
        return verification(result, ["the saved result is not a RobustnessReport"], rederived="nothing")
    problems: list[str] = []
    for m, w in result.witnesses.items():
        v = _verify_classifier_witness(w, model=model)
        if not v.holds:
            problems.append(f"witnesses[{m!r}]: {v.message}")
    try:
        derived = _assemble_report(result.witnesses, result.values.get("tol"), result.figure,
                                   result.values.get("elapsed_s"))
    except InvalidArgument as exc:
        problems.append(str(exc))
    else:
        problems += claim_mismatches(result, derived)
    what = "every method's witness, the statistics, the outcome, rigor and message"
    if model is not None:
        return verification(result, problems, rederived=what + "; the model re-run on every stored input")
    return verification(result, problems, rederived=what,
                         not_rechecked="the model outputs stored in the witnesses; pass model= to re-run it")


def _figure_path(figure: Any) -> str | None:
    """Check the figure's path before any work: a folder that exists, a format matplotlib writes."""
    if figure is None:
        return None
    try:
        path = os.fspath(figure)
    except TypeError as exc:
        raise InvalidArgument(f"figure must be a path, got {figure!r}") from exc
    if not isinstance(path, str) or not path:
        raise InvalidArgument(f"figure must be a file path, got {figure!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidArgument(f"figure: the folder {folder!r} does not exist; create it first")
    ext = os.path.splitext(path)[1][1:].lower()
    if ext:
        from matplotlib.backend_bases import FigureCanvasBase

        if ext not in FigureCanvasBase.get_supported_filetypes():
            raise InvalidArgument(f"figure: matplotlib cannot write .{ext} files; use .png, .pdf or .svg")
    return path


def _image_shape(image_shape: Any, d: int) -> tuple[int, ...] | None:
    if image_shape is None:
        return None
    if isinstance(image_shape, (str, bytes)) or not isinstance(image_shape, Sequence):
        raise InvalidArgument(f"image_shape must be a tuple of positive ints, got {image_shape!r}")
    shape = tuple(integer_arg(s, "image_shape entries") for s in image_shape)
    if len(shape) not in (1, 2) or math.prod(shape) != d:
        raise InvalidArgument(f"image_shape {shape} must have one or two entries whose product is the "
                              f"sample size {d}")
    return shape


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
        A batch of samples, batch first (finite).
    methods : sequence of str
        Any of :data:`METHODS` (default: the seeds' three, random noise, fast
        gradient and DeepFool), each once.
    labels : array of int, optional
        True labels (misclassified samples are skipped and counted apart).
    seed : int or None
        Seed of the random directions.
    tol : float
        The report is ``violated`` when a certified flip has ``‖r‖/‖x‖ ≤ tol``.
    figure : path, optional
        Save a figure of ``x``, ``r`` and ``x + r`` (each method) for the first
        ``n_figure`` samples with a certified flip (matplotlib, imported only
        then). Its folder must exist (checked before any work).
    n_figure : int
        Samples shown (≥ 1).
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
    t0 = time.perf_counter()
    if isinstance(methods, str):
        methods = (methods,)
    if not isinstance(methods, Sequence):
        raise InvalidArgument(f"methods must be a sequence of method names, got {methods!r}")
    methods = tuple(methods)
    if not methods:
        raise InvalidArgument("methods is empty: pass some of " + ", ".join(METHODS))
    for m in methods:
        if not isinstance(m, str) or m not in METHODS:
            raise InvalidArgument(f"unknown method {m!r}: use {METHODS}")
    if len(set(methods)) != len(methods):
        raise InvalidArgument(f"methods repeats a method: {methods}")
    tol = real_arg(tol, "tol", allow_zero=True)
    n_figure = integer_arg(n_figure, "n_figure")
    path = _figure_path(figure)
    _search_args(methods[0], overshoot, max_iter, batch_size, candidates, True)
    seed_arg(seed)
    Xv = _as_float64(X, "X")
    if Xv.ndim < 2:
        raise InvalidArgument(f"X must be a batch (n, *input_shape), got shape {Xv.shape}")
    shape = _image_shape(image_shape, int(np.prod(Xv.shape[1:])))
    witnesses: dict[str, ClassifierWitness] = {}
    for m in methods:
        witnesses[m] = search_minimal_perturbation(
            model, Xv, method=m, overshoot=overshoot, max_iter=max_iter, seed=seed, device=device,
            batch_size=batch_size, labels=labels, candidates=candidates, batched=True)
    if path is not None:
        try:
            _save_figure(path, witnesses, n_figure, shape)
        except (OSError, ValueError) as exc:
            raise InvalidArgument(f"figure: cannot write {path!r}: {exc}") from exc
    return _assemble_report(witnesses, tol, path, time.perf_counter() - t0)


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
        if shape is not None and len(shape) == 2:
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


_LINEAR_MAX_D = 10 ** 7


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
        The ``ℓ∞`` radius ``ε ≥ 0`` (a number: strings and bools are refused).
    b : float
        Bias (finite).

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
    eps_f = real_arg(eps, "eps", allow_zero=True)
    b_f = finite_real_arg(b, "b")
    W = _as_float64(w, "w").ravel()
    Xv = _as_float64(x, "x")
    if Xv.size != W.size:
        raise InvalidArgument(f"w has {W.size} entries but x has {Xv.size}: pass arrays of the same size")
    Xv = Xv.ravel()
    if not (np.isfinite(W).all() and np.isfinite(Xv).all()):
        raise InvalidArgument("w and x must be finite (no NaN or inf)")
    refuse_size(W.size, _LINEAR_MAX_D, "the exact sums over w and x",
                "the exact rational arithmetic costs about a microsecond per entry")
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
    """Recompute the check from the stored ``w, x, ε, b`` (exact arithmetic) and compare every claim."""
    wit = result.witness
    keys = ("w", "x", "eps", "b", "dx")
    if wit is None or wit.kind != "linf_perturbation" or set(wit.data) != set(keys):
        return verification(result, ["witness: expected a 'linf_perturbation' witness with exactly "
                                     "w, x, eps, b and dx"], rederived="nothing")
    try:
        again = check_linear_sensitivity(wit["w"], wit["x"], wit["eps"], b=wit["b"])
    except InvalidArgument as exc:
        return verification(result, [f"witness: not valid input: {exc}"], rederived="nothing")
    return verification(result, claim_mismatches(result, again),
                        rederived="every value, Δx, the outcome, rigor and message, in exact rational "
                                  "arithmetic from the stored w, x, ε and b")


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
    from theorycheck.nets.classifiers import digits_data as impl

    return impl(seed, test_fraction)


def synthetic_data(n: int = 600, d: int = 20, n_classes: int = 3, *, seed: int = 0,
                   separation: float = 3.0, test_fraction: float = 0.25) -> dict[str, Any]:
    """A seeded Gaussian mixture with ``n_classes`` classes in dimension ``d``.

    Theorem: none (data for THEORY.md §5).
    Rigor: not applicable (data).
    """
    from theorycheck.nets.classifiers import synthetic_data as impl

    return impl(n, d, n_classes, seed=seed, separation=separation, test_fraction=test_fraction)


def train_classifier(model: Any, X: Any, y: Any, *, epochs: int = 30, lr: float = 5e-3,
                     batch_size: int = 128, weight_decay: float = 0.0, seed: int = 0) -> Any:
    """Fit a logits model to ``(X, y)`` by Adam on the cross-entropy (seeded shuffling); returns it in eval mode.

    Theorem: none (training).
    Rigor: not applicable (training).
    """
    from theorycheck.nets.classifiers import train_classifier as impl

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
    from theorycheck.nets.classifiers import build_digits_classifier as impl

    return impl(arch, seed=seed, epochs=epochs)
