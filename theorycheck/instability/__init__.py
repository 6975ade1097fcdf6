"""The universal instability theorem as executable, re-checkable certificates.

* :func:`check_instability`: given ``A``, ``Ψ`` and two images ``x, x′``, check
  the theorem's hypotheses (each with its margin), the witnessed lower bound on
  the local Lipschitz constant, the theorem's bound, a ball of ``y = Ax`` on
  which the bound holds, and the false-negative / false-positive inputs
  (docs/theory.md §3 (a), (b)). Every number is computed from ``Ψ`` evaluated twice
  on the CPU in float64; :func:`verify_instability` re-checks a saved certificate.
* :func:`check_random_noise`: how often random noise of a given norm
  makes ``Ψ`` err by more than a threshold (Clopper–Pearson interval), with the
  worst draw as a certified witness ("instabilities are not rare").
* :func:`check_accuracy` and :func:`check_sampling_monotonicity`: the seeds' two
  other tests (docs/theory.md §4).
* :func:`check_training_set`: every pair of a training set that forces any
  ``η``-accurate interpolant to be unstable, found before training.
* :func:`optimality_constant` and :func:`chebyshev_radius`: Paradox II's
  optimality constant of a finite set, with proven enclosures.
* :func:`search_worst_perturbation`: the stability test (worst-case
  perturbation by gradient ascent with momentum), whose best witness is
  certified like the others (:mod:`theorycheck.search` re-exports it).

The former names ``random_noise_instability``, ``accuracy_test``,
``sampling_monotonicity_test`` and ``audit_training_set`` are deprecated aliases
(kept for one release; they emit :class:`DeprecationWarning`). The check names
stored in saved results are unchanged, so files saved before still load and verify.

Layout: :mod:`~theorycheck.instability.certificate` (the certificate and its
verifier), :mod:`~theorycheck.instability.perturbation` (the worst-case search),
:mod:`~theorycheck.instability.noise` (random noise),
:mod:`~theorycheck.instability.seed_tests` (accuracy, more samples),
:mod:`~theorycheck.instability.audit` (training sets),
:mod:`~theorycheck.instability.optimal_map` (Paradox II); shared helpers in
``_common`` (arguments, rigorous norms, messages), ``_operators`` (operator records
and ball arithmetic) and ``_witness`` (witness validation and re-evaluation for the
verifiers). Each verifier sits beside its check; importing this package registers them all.

What "certified-float64" promises here
--------------------------------------
A certified-float64 network claim is a statement about ``Ψ`` **evaluated in
float64 on the CPU** (each sample alone, twice, bit-identical outputs), with
rounding accounted for:

* every norm, difference and quotient is enclosed rigorously (the stored
  float64 values are exact rationals; :mod:`theorycheck.numerics.rounding`);
* the measurements ``y`` are ``Ax`` rounded to the nearest float64 from a ball
  arithmetic evaluation of the exact operator (dense matrix, unitary Fourier,
  DCT or Walsh–Hadamard transform), and distances ``‖A(x − x′)‖`` that enter a
  hypothesis are enclosed in ball arithmetic, never computed as a difference of
  rounded products;
* ``Ψ``'s own rounding noise is estimated at every evaluated input
  (:meth:`~theorycheck.nets.adapters.ReconstructionMap.rounding_noise`: output
  ulps, second differences under perturbations far below the witness scale,
  and a float32 evaluation scaled by ``u₆₄/u₃₂``). Every claim holds with a
  margin of ``NOISE_ALLOWANCE = 16`` times that estimate on each output, i.e.
  for every evaluation of ``Ψ`` whose outputs lie that close to the stored ones
  (another BLAS, thread count or summation order), and a certified output change
  must exceed ``NOISE_SAFETY = 32`` times the summed noise of its two outputs;
  otherwise the result is ``inconclusive`` and says why.

The noise estimate is not a proof about the real-arithmetic network (that needs
interval arithmetic through the network); ``proven`` is reserved for that.

torch is imported only by the functions that evaluate a network: verifying a saved
file without ``model=`` never imports it.

Theorem: universal instability theorem (Gottschling–Antun–Adcock–Hansen),
docs/theory.md §3–4; optimal maps (Paradox II), docs/theory.md §3.
Rigor: per result: certified-float64 for re-evaluated witnesses, proven for the
Chebyshev-radius enclosures, numerical for sampled balls and solver baselines.
"""

from __future__ import annotations

from theorycheck.instability.audit import (
    TrainingSetAudit,
    audit_training_set,
    check_training_set,
    verify_training_set_audit,
)
from theorycheck.instability.certificate import (
    FalseDetection,
    InstabilityCertificate,
    check_instability,
    verify_instability,
)
from theorycheck.instability.curves import StabilityCurve, stability_curve, verify_stability_curve
from theorycheck.instability.hallucination import HallucinationWitness, search_hallucination, verify_hallucination
from theorycheck.instability.noise import (
    NoiseInstabilityResult,
    check_random_noise,
    random_noise_instability,
    verify_noise_instability,
)
from theorycheck.instability.optimal_map import (
    ChebyshevRadius,
    OptimalityConstant,
    ParadoxSets,
    build_paradox_sets,
    chebyshev_radius,
    optimality_constant,
    verify_chebyshev_radius,
    verify_optimality_constant,
    verify_paradox_sets,
)
from theorycheck.instability.perturbation import PerturbationWitness, search_worst_perturbation, verify_perturbation
from theorycheck.instability.seed_tests import (
    accuracy_test,
    check_accuracy,
    check_sampling_monotonicity,
    sampling_monotonicity_test,
    verify_accuracy,
    verify_sampling_monotonicity,
)

__all__ = [
    "FalseDetection",
    "InstabilityCertificate",
    "NoiseInstabilityResult",
    "TrainingSetAudit",
    "OptimalityConstant",
    "ChebyshevRadius",
    "check_instability",
    "verify_instability",
    "verify_noise_instability",
    "verify_accuracy",
    "verify_sampling_monotonicity",
    "verify_training_set_audit",
    "verify_optimality_constant",
    "verify_chebyshev_radius",
    "check_random_noise",
    "check_accuracy",
    "check_sampling_monotonicity",
    "check_training_set",
    "optimality_constant",
    "ParadoxSets",
    "build_paradox_sets",
    "verify_paradox_sets",
    "chebyshev_radius",
    "PerturbationWitness",
    "search_worst_perturbation",
    "verify_perturbation",
    "StabilityCurve",
    "stability_curve",
    "verify_stability_curve",
    "HallucinationWitness",
    "search_hallucination",
    "verify_hallucination",
    # deprecated aliases (one release)
    "random_noise_instability",
    "accuracy_test",
    "sampling_monotonicity_test",
    "audit_training_set",
]
