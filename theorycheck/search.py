"""Worst-case perturbations of a reconstruction map: the stability test of docs/theory.md §4.

A compatibility module: the implementation lives in
:mod:`theorycheck.instability.perturbation` (beside the other instability certificates and
the verifier helpers they share); this module re-exports it:

* :func:`search_worst_perturbation`: gradient ascent with heavy-ball momentum and
  exact adjoints for the perturbation that changes ``Ψ``'s output most; the best
  witness is re-evaluated on the CPU in float64 with ``Ψ``'s rounding noise allowed
  for (see :mod:`theorycheck.instability` for what certified-float64 promises);
* :class:`PerturbationWitness` and :func:`verify_perturbation`.

Theorem: stability test of docs/theory.md §4 (seeds 000, 002); definition of
``L^ε`` in docs/theory.md §3.
Rigor: certified-float64 for the re-evaluated witness; the search itself is a
heuristic (a lower bound, never an upper bound, on ``L^ε``).
"""

from __future__ import annotations

from theorycheck.instability.perturbation import PerturbationWitness, search_worst_perturbation, verify_perturbation

__all__ = ["PerturbationWitness", "search_worst_perturbation", "verify_perturbation"]
