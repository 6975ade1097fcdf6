"""Robust null space property: constants, certified bounds and the recovery theorems (seed 002).

Sparse regularisation is accurate and stable when ``A`` (or ``A W^*``) has the
robust null space property of order ``s`` with constants ``0 < ρ < 1``, ``γ > 0``:

    ‖P_Ω v‖₂ ≤ ρ/√s ‖P_Ω^⊥ v‖₁ + γ‖Av‖₂   for all v and all |Ω| ≤ s.

Computing the constants is NP-hard in general (Tillmann–Pfetsch 2014), so
every function here returns an *interval* with the rigor of each side:

* :func:`rip_constant` — ``δ_s`` by batched support enumeration with proven
  eigenvalue enclosures, or certified Gershgorin / greedy bounds;
* :func:`nsp_constant` — ``α_k`` (NSP(k) ⇔ ``α_k < 1/2``) by hierarchical
  support/sign enumeration (LPs), a tight big-M MILP, or the Juditsky–Nemirovski
  bound;
* :func:`rnsp_gamma` — the smallest ``γ`` for a given ``ρ`` (plain, weighted,
  in levels): proven ascent lower bound, proven ε-net upper bound, ``inf`` with
  a kernel vector when the stable NSP fails;
* :func:`search_rnsp_violation` — a vector that disproves a claimed ``(ρ, γ)``;
* :func:`rnsp_from_rip`, :func:`recovery_constants` — the constants of the
  theorems (two named forms: the seed's literal ``C2 = (3ρ+5)γ/(1−ρ)``, the
  default, and Foucart–Rauhut's sharper ``(3+ρ)γ/(1−ρ)``, ``constants=``);
  :func:`check_recovery_bound` (seed Theorem 1, with the certified SR-LASSO
  solver, for the float64 matrix as given; also under the weighted rNSP in
  levels with ``levels=``) and :func:`check_kernel_awareness` (seed Theorem 3);
* :func:`donoho_tanner`, :func:`empirical_phase_transition` — the ℓ1 phase
  transition.

Each constant's result has ``value`` (the side safe to use: the upper bound),
``lower``, ``upper``, ``lower_rigor``, ``upper_rigor``, ``rigor`` (the weaker)
and a ``witness``. Exact requests that would take far too long are refused with
the count and an estimate, pointing to the bound methods. ``α_k`` and ``γ`` are
computed on ``A`` rescaled by an exact power of two (``α_k`` is scale-invariant,
``γ(cA) = γ(A)/c``), so any scale of ``A`` works; ``δ_s`` is not scale-invariant
and matrices whose Gram matrix would overflow are refused.

Every result stores what ``theorycheck verify`` needs (the matrix when it has at
most 250,000 entries, the witness, the options) and every verifier re-derives
the *whole* result from it — outcome, rigor, message, both bounds, every value
and the witness — and compares field by field, floats bit for bit: witness-only
re-derivations (ball arithmetic) for the bounds methods, γ = ∞, violations and
kernel awareness, and a re-run of the deterministic enumeration for the exact
methods. Witness supports must be sets of distinct, in-range, admissible
indices. Re-runs call LAPACK, HiGHS and clarabel: a file made on another
machine can differ in the last bits of such numbers and is then reported as not
re-checking (never accepted with slack).

Layout: :mod:`~theorycheck.rnsp.rip` (``δ_s``), :mod:`~theorycheck.rnsp.nsp`
(``α_k``), :mod:`~theorycheck.rnsp.gamma` (``γ(ρ)`` and violations; its cone
programs in ``_cone``, the rNSP question in ``_spec``),
:mod:`~theorycheck.rnsp.recovery` (the theorems' constants, seed Theorems 1 and 3),
:mod:`~theorycheck.rnsp.phase` (the phase transition); :class:`ConstantResult`
and the verifier plumbing in ``_results``, shared helpers in ``_common``. Each
verifier sits beside its check; importing this package registers them all.

Theorem: docs/theory.md §2 (seed 002: rNSP, Theorems 1 and 3; Foucart–Rauhut 4.25, 6.13).
Rigor: per result (``proven`` for ball-arithmetic / outward-rounded certificates,
``certified-float64`` when a float product such as ``A W^*`` enters, ``numerical`` otherwise).
"""

from __future__ import annotations

from theorycheck.rnsp._common import MAX_SEED as MAX_SEED
from theorycheck.rnsp._common import WITNESS_BITS as WITNESS_BITS
from theorycheck.rnsp._results import MAX_STORED_ENTRIES as MAX_STORED_ENTRIES
from theorycheck.rnsp._results import VERIFY_MAX_CONE_PROGRAMS as VERIFY_MAX_CONE_PROGRAMS
from theorycheck.rnsp._results import VERIFY_MAX_PATTERNS as VERIFY_MAX_PATTERNS
from theorycheck.rnsp._results import VERIFY_MAX_SUPPORTS as VERIFY_MAX_SUPPORTS
from theorycheck.rnsp._results import ConstantResult
from theorycheck.rnsp._spec import MAX_CONE_PROGRAMS as MAX_CONE_PROGRAMS
from theorycheck.rnsp.gamma import rnsp_gamma, search_rnsp_violation
from theorycheck.rnsp.nsp import MAX_MILP_N as MAX_MILP_N
from theorycheck.rnsp.nsp import nsp_constant
from theorycheck.rnsp.phase import PhaseTransitionResult, donoho_tanner, empirical_phase_transition
from theorycheck.rnsp.recovery import RIP_THRESHOLD as RIP_THRESHOLD
from theorycheck.rnsp.recovery import (
    RecoveryConstants,
    check_kernel_awareness,
    check_recovery_bound,
    recovery_constants,
    rnsp_from_rip,
)
from theorycheck.rnsp.rip import MAX_GRAM_N as MAX_GRAM_N
from theorycheck.rnsp.rip import rip_constant

__all__ = [
    "rip_constant",
    "nsp_constant",
    "rnsp_gamma",
    "search_rnsp_violation",
    "rnsp_from_rip",
    "recovery_constants",
    "check_recovery_bound",
    "check_kernel_awareness",
    "donoho_tanner",
    "empirical_phase_transition",
    "ConstantResult",
    "RecoveryConstants",
    "PhaseTransitionResult",
]
