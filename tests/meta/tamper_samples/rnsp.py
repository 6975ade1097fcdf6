"""Tamper samples of theorycheck.rnsp: one small real result per check and per method/outcome.

Each factory runs in well under 2 s; the generic meta test edits one field at a time and
requires ``verify_result`` to reject every edit (and to accept the untouched file).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np


def _gaussian(m: int, N: int, seed: int, cplx: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N))
    if cplx:
        A = A + 1j * rng.standard_normal((m, N))
    return A / math.sqrt(m * (2 if cplx else 1))


def _one_dim_kernel(v: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = v.size
    Q, _ = np.linalg.qr(np.column_stack([v, rng.standard_normal((n, n - 1))]))
    return Q[:, 1:].T


def samples() -> dict[str, Callable[[], Any]]:
    from theorycheck.rnsp import (
        check_kernel_awareness,
        check_recovery_bound,
        empirical_phase_transition,
        nsp_constant,
        rip_constant,
        rnsp_gamma,
        search_rnsp_violation,
    )

    A = _gaussian(6, 8, seed=1)
    G = _gaussian(7, 8, seed=0)
    K = _one_dim_kernel(np.r_[1.0, 0.01 * np.ones(5)])
    Q, _ = np.linalg.qr(np.random.default_rng(3).standard_normal((8, 8)))
    return {
        "rip_exact": lambda: rip_constant(A, 2, method="exact", progress=False),
        "rip_bounds": lambda: rip_constant(A, 2, method="bounds", progress=False),
        "rip_exact_W": lambda: rip_constant(A, 2, method="exact", W=Q, progress=False),
        "rip_exact_complex": lambda: rip_constant(_gaussian(4, 6, 2, cplx=True), 2, method="exact", progress=False),
        "nsp_enumerate": lambda: nsp_constant(_gaussian(4, 7, seed=3), 2, method="enumerate", progress=False),
        "nsp_lp_bound": lambda: nsp_constant(_gaussian(4, 7, seed=3), 2, method="lp-bound", progress=False),
        "nsp_milp": lambda: nsp_constant(_gaussian(4, 7, seed=3), 2, method="milp", progress=False),
        "nsp_complex_k1": lambda: nsp_constant(_gaussian(3, 5, 4, cplx=True), 1, progress=False),
        "gamma_exact": lambda: rnsp_gamma(G, 1, 0.9, method="exact", progress=False),
        "gamma_bounds": lambda: rnsp_gamma(G, 1, 0.9, method="bounds", restarts=3, progress=False),
        "gamma_levels": lambda: rnsp_gamma(G, [1, 1], 0.9, levels=[(0, 4), (4, 8)], weights=[1.0, 2.0],
                                           method="exact", progress=False),
        "gamma_violated": lambda: rnsp_gamma(K, 1, 0.5, progress=False),
        "violation_kernel": lambda: search_rnsp_violation(K, 1, 0.5, 1e6, restarts=4, progress=False),
        "violation_ratio": lambda: search_rnsp_violation(G, 1, 0.9, 0.05, restarts=4, progress=False),
        "violation_none": lambda: search_rnsp_violation(G, 1, 0.9, 1e3, restarts=2, iters=3, progress=False),
        "kernel_awareness": lambda: check_kernel_awareness(G, np.eye(8)[0], -0.5 * np.eye(8)[3], rho=0.8,
                                                           gamma=2.0, bound="sharp"),
        "recovery_bound": lambda: check_recovery_bound(G, np.eye(8)[2] + 0.01 * np.eye(8)[5], 1e-3 * np.ones(7),
                                                       0.05, s=1, rho=0.8, gamma=2.0),
        "recovery_bound_W_fr": lambda: check_recovery_bound(G, Q.T @ np.eye(8)[1], 1e-3 * np.ones(7), 0.1, s=1,
                                                            rho=0.8, gamma=2.0, W=Q, constants="foucart-rauhut"),
        "recovery_bound_levels": lambda: check_recovery_bound(
            _gaussian(7, 8, seed=0), np.eye(8)[1] + 0.5 * np.eye(8)[6], 1e-3 * np.ones(7), 1e-3, s=[1, 1], rho=0.9,
            gamma=2.0, levels=[(0, 3), (3, 8)], weights=[1.0, 0.5]),
        "phase_transition": lambda: empirical_phase_transition(12, [0.5], [0.1, 0.9], trials=2, seed=5,
                                                               progress=False),
    }
