"""Impossibility families (THEORY.md §6): see :mod:`theorycheck.impossibility.family`.

Theorem: impossibility of computing accurate solutions of (P1)–(P3) from inexact input (THEORY.md §6).
Rigor: proven (ball arithmetic).
"""

from theorycheck.impossibility.family import *  # noqa: F401,F403
from theorycheck.impossibility.family import __all__  # noqa: F401
from theorycheck.impossibility.family import (  # noqa: F401
    GUARD_DPS, KINDS, MAX_3X2_DPS, MAX_EXACT_ENTRIES, MAX_FAMILY_MEMBERS, MAX_FAMILY_SECONDS,
    MAX_GRID_CELLS, MAX_K, MAX_N, MAX_SAMPLE_ENTRIES, MAX_SAMPLES, MEMBER_OUTCOMES, SUCCESS_STATUSES,
)
