"""Tamper samples of theorycheck.instability.curves and .hallucination (``HallucinationWitness``, two domains).

``StabilityCurve`` (adversarial with every metric on a linear map; Gaussian with the TV
baseline on a subsampled Fourier operator; an uncertified ``certify=False`` curve). Each
factory runs in well under 2 s; the generic meta test edits one field at a time and requires
``verify_result`` to reject every edit (and to accept the untouched file).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


def _linear(seed: int = 0, n: int = 8, m: int = 72):
    import torch

    from theorycheck.nets.adapters import as_reconstruction_map

    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n * n)) / np.sqrt(m)
    B = torch.tensor(np.linalg.pinv(A))

    def psi(y):
        return y @ B.T.to(y.dtype)

    X = rng.random((2, n * n))
    return as_reconstruction_map(psi, backend="torch"), A, X


def _adversarial():
    from theorycheck.instability.curves import stability_curve

    psi, A, X = _linear()
    return stability_curve({"pinv": psi}, A, X, noise_levels=(0.0, 0.02, 0.05), restarts=2, steps=10,
                           baseline=None, seed=0, progress=False)


def _gaussian_tv():
    from theorycheck.instability.curves import stability_curve
    from theorycheck.problems.operators import SubsampledFourier

    _, _, X = _linear()
    X = X.reshape(2, 8, 8)
    rng = np.random.default_rng(1)
    mask = rng.random((8, 8)) < 0.6
    mask[0, 0] = True
    A = SubsampledFourier(mask)
    import torch

    from theorycheck.nets.adapters import as_reconstruction_map

    zf = as_reconstruction_map(lambda y: A.adjoint(y).real if not torch.is_tensor(y) else
                               torch.stack([A.adjoint(v).real for v in y]), backend="torch")
    return stability_curve({"zero-filled": zf}, A, X, noise_levels=(0.0, 0.05), kind="gaussian", restarts=2,
                           metrics=("rel_l2", "psnr"), baseline="tv", baseline_iterations=10, seed=0,
                           progress=False)


def _uncertified():
    from theorycheck.instability.curves import stability_curve

    psi, A, X = _linear()
    return stability_curve({"pinv": psi}, A, X, noise_levels=(0.01,), restarts=1, steps=3, metrics=("rel_l2",),
                           baseline=None, seed=0, progress=False, certify=False)


def _hallucination(domain: str = "measurement", norm: str = "l2"):
    import torch

    from theorycheck.instability.hallucination import search_hallucination
    from theorycheck.nets.adapters import as_reconstruction_map

    rng = np.random.default_rng(0)
    A = rng.standard_normal((10, 12))
    B = torch.tensor(rng.standard_normal((12, 10)))
    psi = as_reconstruction_map(lambda y: y @ B.T.to(y.dtype), backend="torch")
    t = np.zeros(12)
    t[2:5] = [1.0, 2.0, 1.0]
    return search_hallucination(psi, A, rng.standard_normal(12), t, budget=1.0, norm=norm, domain=domain, steps=20,
                                seed=0, progress=False)


def samples() -> dict[str, Callable[[], Any]]:
    return {"curve_adversarial": _adversarial, "curve_gaussian_tv": _gaussian_tv, "curve_uncertified": _uncertified,
            "hallucination_measurement": _hallucination,
            "hallucination_image_linf": lambda: _hallucination("image", "linf")}
