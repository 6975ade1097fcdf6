"""Tamper samples of theorycheck.classification: every result type with a verifier.

``ClassifierWitness`` (single and batched, float64 and float32 models, certified and
inconclusive, with and without the model in the verification context),
``RobustnessReport`` and ``linear_sensitivity``. Each factory runs in well under 2 s; the
generic meta test edits one field at a time and requires ``verify_result`` to reject every
edit (and to accept the untouched file).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _mlp(dtype: str = "float64", seed: int = 0) -> Any:
    import torch
    from torch import nn

    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(seed)
    m = nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Linear(12, 3)).to(dt)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=dt) * 0.7)
    return m.eval()


def _rounding_only() -> Any:
    """Zero in exact arithmetic: its label is the sign of a matmul rounding difference."""
    import torch
    from torch import nn

    class RoundingOnly(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            g = torch.Generator().manual_seed(0)
            self.w = nn.Parameter(torch.randn(64, 1, dtype=torch.float64, generator=g))

        def forward(self, x):
            return (x @ self.w)[:, 0] - (x * self.w[:, 0]).sum(1)

    return RoundingOnly().eval()


def _offset_linear() -> Any:
    """Logits ``[1000 + x₀, 1000]``: flips whose margin is below the enclosures' width (auto falls back)."""
    import torch
    from torch import nn

    lin = nn.Linear(2, 2).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 0.0]]))
        lin.bias.copy_(torch.tensor([1000.0, 1000.0]))
    return lin.eval()


def _X(n: int = 4, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 5))


def samples() -> dict[str, Any]:
    from theorycheck.classification import check_linear_sensitivity, robustness_report, search_minimal_perturbation

    def labels() -> np.ndarray:
        import torch

        with torch.no_grad():
            pred = _mlp()(torch.tensor(_X())).argmax(1).numpy()
        return np.array([pred[0], (pred[1] + 1) % 3, 7, pred[3]])

    def deepfool64() -> Any:
        return search_minimal_perturbation(_mlp(), _X(), method="deepfool", device="cpu", labels=labels())

    def fast32() -> Any:
        return search_minimal_perturbation(_mlp("float32"), _X()[0], method="fast_gradient", device="cpu")

    def random32() -> Any:
        return search_minimal_perturbation(_mlp("float32", 2), _X(3, 2)[[1, 2, 0]], method="random", seed=0,
                                           device="cpu", batched=True)

    def noise_flip() -> Any:  # the search flips on rounding noise; certification refuses it
        return search_minimal_perturbation(_rounding_only(), np.random.default_rng(23).standard_normal(64),
                                           method="random", seed=23, device="cpu", batched=False)

    def proven64() -> Any:  # flips proven by enclosures of the exact logits
        return search_minimal_perturbation(_mlp(), _X(3), method="deepfool", device="cpu", certify="proven")

    def auto_tie() -> Any:  # certify="auto" falls back to certified-float64, the reason stored
        return search_minimal_perturbation(_offset_linear(), [1.2e-9, 0.0], device="cpu", certify="auto")

    def report() -> Any:
        return robustness_report(_mlp(), _X(3), methods=("random", "deepfool"), seed=0, device="cpu",
                                 tol=0.5)

    def report_proven() -> Any:  # the report's flip proven by enclosures
        return robustness_report(_mlp(), _X(3), methods=("deepfool",), seed=0, device="cpu", tol=10.0,
                                 certify="proven")

    def report_inconclusive() -> Any:
        return robustness_report(_mlp(), _X(3), methods=("deepfool",), device="cpu", tol=0.0)

    out: dict[str, Any] = {
        "witness_deepfool_float64_batched_labels": deepfool64,
        "witness_deepfool_float64_with_model": (deepfool64, {"model_factory": _mlp}),
        "witness_fast_gradient_float32_single": fast32,
        "witness_fast_gradient_float32_with_model": (fast32, {"model_factory": lambda: _mlp("float32")}),
        "witness_random_float32_with_model": (random32, {"model_factory": lambda: _mlp("float32", 2)}),
        "witness_not_certified_rounding_noise": noise_flip,
        "witness_not_certified_with_model": (noise_flip, {"model_factory": _rounding_only}),
        "witness_proven_float64": proven64,
        "witness_proven_float64_with_model": (proven64, {"model_factory": _mlp}),
        "witness_auto_fallback": auto_tie,
        "witness_auto_fallback_with_model": (auto_tie, {"model_factory": _offset_linear}),
        "report": report,
        "report_with_model": (report, {"model_factory": _mlp}),
        "report_inconclusive": report_inconclusive,
        "report_proven": report_proven,
        "report_proven_with_model": (report_proven, {"model_factory": _mlp}),
        "linear_sensitivity": lambda: check_linear_sensitivity([1.0, -2.0, 0.5], [0.1, 0.2, 0.3], 0.01,
                                                               b=0.25),
        "linear_sensitivity_flips": lambda: check_linear_sensitivity([3.0, -1.0], [0.5, 0.5], 1.0),
    }
    return out
