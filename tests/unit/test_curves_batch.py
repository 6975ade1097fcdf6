"""The batched curve runs the same searches as a per-level, per-restart loop of ``search_worst_perturbation``.

This is what makes ``benchmarks/bench_curve.py`` a fair comparison: restart ``r`` of the curve (method
index 0, ``seed=s``) starts from ``torch.Generator(s + r)`` exactly as ``search_worst_perturbation(seed=s + r)``
does, with the same step rule, so on a float64 linear map both find the same perturbations.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.instability.curves import stability_curve  # noqa: E402
from theorycheck.instability.perturbation import search_worst_perturbation  # noqa: E402
from theorycheck.nets.adapters import as_reconstruction_map  # noqa: E402


def test_batched_curve_equals_the_loop_of_single_searches():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((12, 8))
    Bt = torch.tensor(rng.standard_normal((8, 12)))  # not a left inverse: the ascent has work to do
    psi = as_reconstruction_map(lambda y: torch.tanh(y @ Bt.T.to(y.dtype)), backend="torch")
    X = rng.standard_normal((3, 8))
    X = X / np.linalg.norm(X @ A.T, axis=1)[:, None]  # ‖Ax‖ = 1: one budget per level fits every image
    levels, R, steps = (0.02, 0.1), 3, 12
    c = stability_curve({"psi": psi}, A, X, noise_levels=levels, restarts=R, steps=steps, metrics=("rel_l2",),
                        baseline=None, seed=7, progress=False, certify=False)
    E = c.witnesses["psi"]["e"][:, 0]  # (K, B, m)
    for k, lev in enumerate(levels):
        runs = [search_worst_perturbation(psi, A, X, domain="measurement", reference="truth", budget=lev,
                                          steps=steps, restarts=1, seed=7 + r, progress=False, certify=False)
                for r in range(R)]
        es = np.stack([np.asarray(w.e) for w in runs])  # (R, B, m)
        for i in range(X.shape[0]):
            errs = [np.linalg.norm(np.tanh(Bt.numpy() @ (A @ X[i] + es[r, i])) - X[i]) for r in range(R)]
            best = es[int(np.argmax(errs)), i]
            np.testing.assert_allclose(E[k, i], best, rtol=1e-9, atol=1e-12 * lev)
