"""Tamper samples of the Paradox II constructions (theorycheck.instability.optimal_map.build_paradox_sets).

One result with exact measurements (an integer matrix: exact kernel generator, η = 0) and one
with a generic Gaussian matrix (proven noise level η > 0).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


def samples() -> dict[str, Callable[[], Any]]:
    from theorycheck.instability.optimal_map import build_paradox_sets

    A = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]])
    G = np.random.default_rng(3).standard_normal((3, 7))
    return {
        "paradox_sets_exact": lambda: build_paradox_sets(A, 3, 0.2),
        "paradox_sets_noise": lambda: build_paradox_sets(G, 4, 0.1, radius=0.7),
    }
