"""Tamper samples of universal perturbations, transfer tables and the false-structures check.

``UniversalWitness`` (float64 affine model with held-out data, float32 MLP, a search that
certifies nothing), ``FoolingRateTable`` (a universal row and a random row on two models)
and ``FalseStructureResult`` (a model that reads the pattern), each also with the model(s)
in the verification context. Every factory runs in well under 2 s.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _affine(dtype: str = "float64") -> Any:
    import torch
    from torch import nn

    lin = nn.Linear(4, 1).to(getattr(torch, dtype))
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, -0.5, 0.25, 2.0]]))
        lin.bias.fill_(0.25)
    return lin.eval()


def _mlp(dtype: str = "float32", seed: int = 0) -> Any:
    import torch
    from torch import nn

    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(seed)
    m = nn.Sequential(nn.Linear(4, 12), nn.ReLU(), nn.Linear(12, 3)).to(dt)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=dt) * 0.7)
    return m.eval()


def _X(n: int = 12, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 4))


def _data() -> Any:
    from theorycheck.classification import build_false_structure_data

    return build_false_structure_data(40, amplitude=0.2, side=8, seed=3)


def _reader() -> Any:
    import torch
    from torch import nn

    d = _data()
    P = d.patterns.reshape(d.n_classes, -1)
    lin = nn.Linear(P.shape[1], d.n_classes, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(P))
    return nn.Sequential(nn.Flatten(), lin).eval()


def samples() -> dict[str, Any]:
    from theorycheck.classification import check_false_structure, fooling_rate_table, search_universal_perturbation

    def universal64() -> Any:
        X = _X(16)
        return search_universal_perturbation(_affine(), X[:10], X_test=X[10:], xi=1.0, max_passes=2, seed=0,
                                             device="cpu", progress=False)

    def universal32() -> Any:
        return search_universal_perturbation(_mlp(), _X(10, 2), xi=1.5, norm="linf", max_passes=2, seed=1,
                                             device="cpu", progress=False)

    def universal_proven() -> Any:  # flips proven by enclosures of the exact logits at x and x + v
        return search_universal_perturbation(_mlp("float64"), _X(10, 2), xi=1.5, max_passes=2, seed=1,
                                             device="cpu", progress=False, certify="proven")

    def universal_nothing() -> Any:  # a budget far too small: nothing is certified
        return search_universal_perturbation(_affine(), _X(6, 3) + 3.0, xi=1e-9, max_passes=1, seed=0,
                                             device="cpu", progress=False)

    def table() -> Any:
        w = universal64()
        noise = np.random.default_rng(5).standard_normal(4)
        return fooling_rate_table({"affine": w, "random": noise / np.linalg.norm(noise)},
                                  {"affine": _affine(), "mlp": _mlp()}, _X(8, 4))

    def false_structure() -> Any:
        return check_false_structure(_reader(), _data(), n_search=4, device="cpu")

    return {
        "universal_affine_float64_with_test": universal64,
        "universal_affine_float64_with_model": (universal64, {"model_factory": _affine}),
        "universal_mlp_float32_linf": universal32,
        "universal_mlp_float32_with_model": (universal32, {"model_factory": _mlp}),
        "universal_inconclusive": universal_nothing,
        "universal_mlp_float64_proven": universal_proven,
        "universal_mlp_float64_proven_with_model": (universal_proven, {"model_factory": lambda: _mlp("float64")}),
        "fooling_rate_table": table,
        "fooling_rate_table_with_models": (table, {"models_factory": lambda: {"affine": _affine(), "mlp": _mlp()}}),
        "false_structure": false_structure,
        "false_structure_with_model": (false_structure, {"model_factory": _reader}),
    }
