"""Classifier instabilities: small perturbations that flip a trained classifier's label.

docs/theory.md §5 (seeds 001, 003). For a classifier with logits ``f`` and label
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
``not_proven``             ``certify="proven"``: the float64 evaluations flip,
                           the enclosures of the exact logits do not separate
========================== ==================================================

Proven flips (``certify="proven"`` / ``"auto"``)
-----------------------------------------------
``certified-float64`` is about float programs. With ``certify="proven"`` a flip
counts only where it holds for the network **in exact real arithmetic** (every
parameter read at its stored value, every operation of ``forward`` exact):
:func:`theorycheck.nets.enclose` encloses the exact logits at ``x`` and at the
stored float64 point ``x + r`` (each alone, a batch of one), each radius is
widened (``2r + 2⁻⁴⁴|c|``, rounded up: room for another machine's BLAS bits),
and with ``lo = ↓(c − R)``, ``hi = ↑(c + R)`` the label ``k`` of ``x`` must
have ``lo_k(x) > hi_j(x)`` for every ``j ≠ k`` and some ``j* ≠ k`` must have
``lo_{j*}(x + r) > hi_i(x + r)`` for every ``i ≠ j*``. Where the label of ``x``
is proven but the enclosures at ``x + r`` overlap, ``r`` is enlarged as above
(back to the search's ``r`` if that does not prove it). The witness stores
the enclosures (``enc_center``, ``enc_radius``, ``enc_code``, ``enc_note``,
``enc_assumptions``); ``values`` add ``proven``, ``proven_new_label``,
``proven_gap``/``proven_margin`` (lower bounds on the exact separations),
``logit_lower``/``logit_upper``, ``float64_status`` and ``rigor_note`` (why a
flip is not proven). ``"auto"`` counts a flip proven where the enclosures
separate and certified-float64 elsewhere; the result is ``proven`` only when
every counted flip is. A model the enclosures do not support raises
:class:`~theorycheck.errors.PreconditionError` under ``"proven"`` and falls
back under ``"auto"`` (the reason in ``enc_note`` and ``rigor_note``).
``verify`` re-decides the proven flips from the stored enclosures; with
``model=`` it re-encloses every stored input, each new enclosure must lie
inside the stored one (then the flip is proven again for that model); without
a model it caps its rigor at ``certified-float64`` when every counted flip is
also certified by the stored float64 logits, else ``numerical``.

A sample holding NaN or inf is refused (:class:`InvalidArgument` naming it).
The result is a :class:`ClassifierWitness`, a :class:`CheckResult` that stores
the inputs, perturbations and every model output it was decided from;
``theorycheck verify`` re-derives every claim from them, and with
``verify_result(result, model=m)`` re-runs the model.

Also the linear-model fact of the seeds as a proven check
(:func:`check_linear_sensitivity`), and seeded data and small classifiers
that train in seconds (:func:`build_digits_classifier`, defined in
:mod:`theorycheck.nets.classifiers` and importable from here; torch is
imported on first use).

Beyond single images: :func:`search_universal_perturbation` (one perturbation
that fools most inputs, Moosavi-Dezfooli et al. 2017, every counted flip
certified as above), :func:`fooling_rate_table` (its transfer to other
architectures), and the false-structures test of Thesing–Antun–Hansen
(:func:`build_false_structure_data`, :func:`check_false_structure`: does a
model follow the shape or a faint pattern correlated with the label?).

Modules: :mod:`~theorycheck.classification.witness` (the result, its assembly
from the stored evaluations and its verifier), :mod:`~theorycheck.classification.search`
(:func:`search_minimal_perturbation`), :mod:`~theorycheck.classification.report`
(:func:`robustness_report`), :mod:`~theorycheck.classification.linear`
(:func:`check_linear_sensitivity`), :mod:`~theorycheck.classification.universal`
(universal perturbations and the transfer table),
:mod:`~theorycheck.classification.false_structures`; the torch side lives in the private
``_evaluation`` (model evaluations) and ``_searchers`` (DeepFool, gradient
directions, line search). Importing the package registers every result type and
verifier; it does not import torch.

Theorem: docs/theory.md §5 (minimal perturbations; DeepFool; linear models change by
``ε‖w‖₁`` under ``‖Δx‖_∞ ≤ ε``).
Rigor: flips are ``certified-float64`` (the float64 CPU evaluation and the
model's own evaluation, each twice, each input alone, margins beyond the
rounding allowance), ``proven`` with ``certify="proven"`` where enclosures of the
exact logits separate; ratios are numerical upper bounds on the minimal
``‖r*‖/‖x‖``; :func:`check_linear_sensitivity` is ``proven`` (exact rational
arithmetic).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from theorycheck.classification._common import METHODS, SEED_METHODS, STATUSES
from theorycheck.classification.false_structures import (
    FalseStructureData,
    FalseStructureResult,
    build_false_structure_data,
    check_false_structure,
)
from theorycheck.classification.linear import check_linear_sensitivity
from theorycheck.classification.report import RobustnessReport, robustness_report
from theorycheck.classification.search import search_minimal_perturbation
from theorycheck.classification.universal import (
    FoolingRateTable,
    UniversalWitness,
    fooling_rate_table,
    search_universal_perturbation,
)
from theorycheck.classification.witness import ClassifierWitness

# data and small classifiers (torch): defined in theorycheck.nets.classifiers, loaded on first access
_LAZY: dict[str, str] = {
    "digits_data": "theorycheck.nets.classifiers",
    "synthetic_data": "theorycheck.nets.classifiers",
    "train_classifier": "theorycheck.nets.classifiers",
    "build_digits_classifier": "theorycheck.nets.classifiers",
}

__all__ = [
    "METHODS",
    "SEED_METHODS",
    "STATUSES",
    "ClassifierWitness",
    "RobustnessReport",
    "search_minimal_perturbation",
    "robustness_report",
    "check_linear_sensitivity",
    "UniversalWitness",
    "FoolingRateTable",
    "search_universal_perturbation",
    "fooling_rate_table",
    "FalseStructureData",
    "FalseStructureResult",
    "build_false_structure_data",
    "check_false_structure",
    "digits_data",
    "synthetic_data",
    "train_classifier",
    "build_digits_classifier",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'theorycheck.classification' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # pragma: no cover
    from theorycheck.nets.classifiers import build_digits_classifier, digits_data, synthetic_data, train_classifier
