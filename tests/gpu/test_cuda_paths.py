"""CUDA paths (run only where a GPU is present; skipped otherwise by tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.gpu


def test_fourier_operator_on_cuda_matches_cpu():
    from theorycheck.problems.masks import variable_density_mask
    from theorycheck.problems.operators import SubsampledFourier

    A = SubsampledFourier(variable_density_mask((16, 16), 0.3, seed=0))
    x = torch.randn(3, 16, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y_cpu = A.apply(x)
    y_gpu = A.apply(x.cuda())
    assert y_gpu.device.type == "cuda"
    assert torch.allclose(y_gpu.cpu(), y_cpu, atol=1e-12)
    assert torch.allclose(A.adjoint(y_gpu).cpu(), A.adjoint(y_cpu), atol=1e-12)


def test_worst_perturbation_search_on_cuda_is_rechecked_on_cpu():
    from theorycheck.problems.operators import MatrixOperator
    from theorycheck.search import search_worst_perturbation

    rng = np.random.default_rng(0)
    A = MatrixOperator(rng.standard_normal((6, 10)))
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
    w = search_worst_perturbation(net, A, rng.standard_normal(10), budget=0.1, steps=30, seed=0,
                                  device="cuda", progress=False)
    assert w.rigor.value in ("certified-float64", "numerical")
    assert np.isfinite(w.ratio) and w.ratio > 0
    assert next(net.parameters()).device.type == "cpu"  # the user's model is not moved


def test_deepfool_on_cuda():
    from theorycheck.classification import search_minimal_perturbation

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    x = np.random.default_rng(1).standard_normal((5, 8))
    wit = search_minimal_perturbation(model, x, method="deepfool", device="cuda")
    assert np.all(np.asarray(wit.success)), "a generic 3-class MLP can always be fooled"
    assert next(model.parameters()).device.type == "cpu"


def test_float64_certificate_runs_on_cuda_and_verifies_on_the_cpu():
    """The search's CUDA device evaluates the certificate in float64 (deterministic cuDNN), the witness
    says so, and the CPU re-evaluation agrees within the noise allowance."""
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.nets.unet import UNet
    from theorycheck.problems.masks import equispaced_line_mask
    from theorycheck.problems.operators import SubsampledFourier
    from theorycheck.search import search_worst_perturbation, verify_perturbation

    A = SubsampledFourier(equispaced_line_mask((32, 32), 4, 0.08, centered=True), centered=True)
    x = np.random.default_rng(0).standard_normal((32, 32))
    net = UNet(in_channels=2, out_channels=2, width=4, depth=2, residual=False, seed=0)
    psi = as_reconstruction_map(net, input="adjoint", layout="channels", complex_as_channels=True, A=A)
    w = search_worst_perturbation(psi, A, x, budget=0.5, steps=20, seed=0, device="cuda", progress=False)
    assert w.values["psi_device"] == "cuda", w.message
    assert "float64 on cuda" in w.message
    v = verify_perturbation(w, model=net)
    assert v.holds, v.message
    assert next(net.parameters()).device.type == "cpu"
