"""Tamper samples of theorycheck.instability and theorycheck.search: every result type with a verifier.

``InstabilityCertificate`` (certified, inconclusive, NaN model; with and without the model in
the verification context; dense and Fourier operators), ``NoiseInstabilityResult``, the
accuracy and sampling-monotonicity results, ``TrainingSetAudit``, ``OptimalityConstant``,
``ChebyshevRadius`` and ``PerturbationWitness`` (single and batched). Each factory runs in well
under 2 s; the generic meta test edits one field at a time and requires ``verify_result`` to
reject every edit (and to accept the untouched file).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


def _kernel_pair(m: int = 4, N: int = 8, seed: int = 0, gap: float = 1e-3):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N)) / np.sqrt(m)
    P = np.linalg.pinv(A)
    x = rng.standard_normal(N)
    d = rng.standard_normal(N)
    ker = d - P @ (A @ d)
    z = 2.0 * ker / np.linalg.norm(ker) + gap * (P @ (A @ d)) / np.linalg.norm(P @ (A @ d))
    return A, P, x, x + z


def _interpolant(A: np.ndarray, P: np.ndarray, x: np.ndarray, xp: np.ndarray) -> Callable:
    Ax, delta = A @ x, A @ (xp - x)
    kx, kz = x - P @ Ax, (xp - x) - P @ delta

    def psi(y):
        t = np.clip(np.dot(y - Ax, delta) / np.dot(delta, delta), 0.0, 1.0)
        return P @ y + kx + t * kz

    return psi


_PAIR = _kernel_pair()
_PSI = _interpolant(*_PAIR)


def _instability_holds():
    from theorycheck.instability import check_instability

    A, P, x, xp = _PAIR
    return check_instability(_PSI, A, x, xp, ball_samples=2, seed=0)


def _instability_inconclusive():
    from theorycheck.instability import check_instability

    A, P, x, xp = _PAIR
    return check_instability(lambda y: P @ y, A, x, xp, ball_samples=0)


def _instability_nan():
    from theorycheck.instability import check_instability

    A, P, x, xp = _PAIR
    return check_instability(lambda y: P @ y * np.nan, A, x, xp, ball_samples=0)


def _fourier():
    from theorycheck.problems.operators import SubsampledFourier

    mask = np.zeros((4, 4), dtype=bool)
    mask[[0, 1, 2, 3], [0, 2, 1, 3]] = True
    return SubsampledFourier(mask)


def _fourier_psi(y):
    A = _fourier()
    return np.real(A.adjoint(y)) * 2.0


def _instability_fourier():
    from theorycheck.instability import check_instability

    A = _fourier()
    x = np.arange(16.0).reshape(4, 4) / 10
    xp = x.copy()
    xp[1, 1] += 1.0
    return check_instability(_fourier_psi, A, x, xp, ball_samples=0)


def _noise():
    from theorycheck.instability import check_random_noise

    A, P, x, xp = _PAIR
    a, D = np.linalg.norm(A @ (x - xp)), np.linalg.norm(x - xp)
    return check_random_noise(_PSI, A, x, noise_norm=2 * a, trials=20, threshold=D / 4, seed=0)


def _accuracy():
    from theorycheck.instability import check_accuracy

    A, P, x, xp = _PAIR
    d = np.zeros(8)
    d[3] = 0.5
    x0 = x.copy()
    return check_accuracy(lambda y: x0, A, x, d, baseline=lambda y: x + d * (np.linalg.norm(y - A @ x) > 0))


def _sampling():
    from theorycheck.instability import check_sampling_monotonicity
    from theorycheck.problems.operators import SubsampledFourier

    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 4))
    order = rng.permutation(16)
    masks = []
    for k in (4, 8, 12):
        mk = np.zeros(16, dtype=bool)
        mk[order[:k]] = True
        masks.append(mk.reshape(4, 4))

    def zero_fill(mk):
        A = SubsampledFourier(mk)
        return lambda y: np.real(A.adjoint(y))

    return check_sampling_monotonicity([zero_fill(masks[0]), zero_fill(masks[1]), lambda y: np.zeros((4, 4))],
                                       masks, x)


def _audit():
    from theorycheck.instability import check_training_set

    A, P, x, xp = _PAIR
    X = np.random.default_rng(0).standard_normal((10, 8))
    ker = np.linalg.svd(A)[2][-1]
    X[5] = X[1] + 2 * ker
    X[7] = X[2] + 3 * ker
    return check_training_set(A, X, eta=1e-6, progress=False)


def _optimality():
    from theorycheck.instability import optimality_constant

    s = np.sqrt(3) / 2
    tri = np.array([[0.0, 0.0, 1.0], [0.0, -s, -0.5], [0.0, s, -0.5], [1.0, 0.0, 0.0]])
    return optimality_constant(np.array([[1.0, 0.0, 0.0]]), tri, eta=0.1)


def _chebyshev():
    from theorycheck.instability import chebyshev_radius

    return chebyshev_radius(np.random.default_rng(1).standard_normal((5, 3)))


def _linear_torch():
    import torch

    g = torch.Generator().manual_seed(0)
    W = torch.randn(8, 4, generator=g, dtype=torch.float64)
    return lambda y: y @ W.T


def _search(batched: bool = False):
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.search import search_worst_perturbation

    A, P, x, xp = _PAIR
    psi = as_reconstruction_map(_linear_torch(), backend="torch")
    xs = np.stack([x, xp]) if batched else x
    return search_worst_perturbation(psi, A, xs, budget=0.1, steps=4, seed=0, progress=False, device="cpu",
                                     record_every=2)


def _search_measurement():
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.search import search_worst_perturbation

    A, P, x, xp = _PAIR
    psi = as_reconstruction_map(_linear_torch(), backend="torch")
    return search_worst_perturbation(psi, A, x, domain="measurement", steps=3, seed=1, progress=False,
                                     device="cpu", record_every=1)


_A_NEAR = np.array([[1.0, 0.0], [0.0, 1e-3]])


def _inverse_torch():
    import torch

    net = torch.nn.Linear(2, 2, bias=False).double()
    with torch.no_grad():
        net.weight.copy_(torch.diag(torch.tensor([1.0, 1e3], dtype=torch.float64)))
    return net


_INV = None


def _inverse_net():
    global _INV
    if _INV is None:
        _INV = _inverse_torch()
    return _INV


def _instability_proven():
    from theorycheck.instability import check_instability

    return check_instability(_inverse_net(), _A_NEAR, [0.25, 0.5], [0.25, 1.5], ball_samples=0, rigor="proven")


def _instability_auto_fallback():
    from theorycheck.instability import check_instability

    return check_instability(lambda y: np.array([y[0], 1e3 * y[1]]), _A_NEAR, [0.25, 0.0], [0.25, 1.0],
                             ball_samples=0, rigor="auto")


class _Lazy:
    """The torch linear map, built on first use (importing this module must not import torch)."""

    f = None

    def __call__(self, y):
        if _Lazy.f is None:
            _Lazy.f = _linear_torch()
        return _Lazy.f(y)


_LIN = _Lazy()


def _search_proven(batched: bool = False):
    from theorycheck.instability import search_worst_perturbation
    from theorycheck.nets.adapters import as_reconstruction_map

    A, P, x, xp = _PAIR
    psi = as_reconstruction_map(_LIN, backend="torch")
    xs = np.stack([x, xp]) if batched else x
    return search_worst_perturbation(psi, A, xs, budget=0.1, steps=4, seed=0, progress=False, certify="proven")


def samples() -> dict[str, Any]:
    torch_psi = _linear_torch()
    return {
        "instability_holds": _instability_holds,
        "instability_holds_with_model": (_instability_holds, {"model": _PSI}),
        "instability_inconclusive": _instability_inconclusive,
        "instability_nan_model": _instability_nan,
        "instability_fourier": (_instability_fourier, {"model": _fourier_psi}),
        "instability_proven": (_instability_proven, {"model_factory": _inverse_net}),
        "instability_auto_fallback": _instability_auto_fallback,
        "worst_perturbation_proven": (_search_proven, {"model_factory": lambda: _LIN}),
        "worst_perturbation_proven_batched": (lambda: _search_proven(True), {"model_factory": lambda: _LIN}),
        "random_noise": _noise,
        "random_noise_with_model": (_noise, {"model": _PSI}),
        "accuracy": _accuracy,
        "sampling_monotonicity": _sampling,
        "training_set_audit": _audit,
        "optimality_constant": _optimality,
        "chebyshev_radius": _chebyshev,
        "worst_perturbation": _search,
        "worst_perturbation_batched": (lambda: _search(True), {"model": torch_psi}),
        "worst_perturbation_measurement": _search_measurement,
    }
