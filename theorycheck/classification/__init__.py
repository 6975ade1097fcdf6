"""Classifier instabilities (THEORY.md §5): see :mod:`theorycheck.classification.witness`.

Theorem: THEORY.md §5.
Rigor: certified-float64 flips; proven linear sensitivity.
"""

from theorycheck.classification.witness import *  # noqa: F401,F403
from theorycheck.classification.witness import __all__  # noqa: F401
