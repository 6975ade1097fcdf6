"""The rounding-noise probes on the CPU: large samples one at a time, small ones in batches.

Evaluating a probe alone or in a batch must not change what the estimate means: for a map
whose outputs do not depend on the batch, the estimate is the same bit for bit; for one that
does, evaluating alone removes the dependence (nothing to report); a search certified with
probes evaluated alone is re-derived by its verifier with the model.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.nets import _adapter_eval  # noqa: E402
from theorycheck.nets.adapters import as_reconstruction_map  # noqa: E402
from theorycheck.problems.masks import uniform_random_mask  # noqa: E402
from theorycheck.problems.operators import SubsampledFourier  # noqa: E402
from theorycheck.results import Outcome  # noqa: E402
from theorycheck.search import search_worst_perturbation, verify_perturbation  # noqa: E402


def _cubic(y):
    """Elementwise ``y(1 + y²/10)``: separate IEEE multiplies and adds, so the same bits in any batch."""
    return y * (1.0 + 0.1 * (y * y))


@pytest.mark.parametrize("side", [4, 16, 32, 64])
def test_probe_chunk_bounds_the_entries_per_call(side):
    A = SubsampledFourier(uniform_random_mask((side, side), 0.5, seed=0))
    psi = as_reconstruction_map(lambda y: y, A=A, backend="torch")
    stack = np.zeros((40, *A.out_shape), dtype=complex)
    chunk = psi._probe_chunk(stack)
    entries = 2 * side * side  # a complex image, two real entries each
    assert 1 <= chunk <= _adapter_eval.PROBE_BATCH
    assert chunk == 1 or chunk * entries <= _adapter_eval.CPU_CHUNK_ENTRIES
    if entries <= _adapter_eval.CPU_CHUNK_ENTRIES // _adapter_eval.PROBE_BATCH:
        assert chunk == _adapter_eval.PROBE_BATCH  # tiny samples keep the batches (less call overhead)
    if entries > _adapter_eval.CPU_CHUNK_ENTRIES // 2:
        assert chunk == 1


def _estimate(psi, Y, monkeypatch, entries):
    monkeypatch.setattr(_adapter_eval, "CPU_CHUNK_ENTRIES", entries)
    return psi.evaluate_float64(Y, noise=True, noise_scale=np.array([0.3, 0.3]), noise_segments=[(0, 1)])


def test_alone_and_batched_probes_give_the_same_estimate(monkeypatch):
    A = np.eye(24)
    psi = as_reconstruction_map(_cubic, A=A, backend="torch")
    rng = np.random.default_rng(3)
    y0 = rng.standard_normal(24)
    Y = np.stack([y0, y0 + 0.3 * rng.standard_normal(24) / np.sqrt(24)])
    batched = _estimate(psi, Y, monkeypatch, 2 ** 30)
    alone = _estimate(psi, Y, monkeypatch, 0)
    assert psi._probe_chunk(Y) == 1  # the patched limit is in force
    assert batched.ok and alone.ok and not batched.reason and not alone.reason
    assert np.array_equal(batched.output, alone.output)
    for part in ("noise", "probe", "proxy", "floor"):
        assert np.array_equal(getattr(batched.noise, part), getattr(alone.noise, part)), part
    # a smooth map: the estimate is a few ulps of the output, far below the change it certifies
    assert np.all(alone.noise.noise < 1e-12 * np.linalg.norm(alone.output, axis=1))


def test_batch_dependent_map_alone_needs_no_batch_note(monkeypatch):
    def batchy(Y):  # elementwise alone; in a batch, a huge offset that differs per row
        out = _cubic(Y)
        return out + 1e6 * torch.arange(Y.shape[0], dtype=Y.dtype)[:, None] if Y.shape[0] > 1 else out

    A = np.eye(24)
    psi = as_reconstruction_map(batchy, A=A, backend="torch")
    ref = as_reconstruction_map(_cubic, A=A, backend="torch")
    rng = np.random.default_rng(4)
    y0 = rng.standard_normal(24)
    Y = np.stack([y0, y0 + 0.3 * rng.standard_normal(24) / np.sqrt(24)])
    batched = _estimate(psi, Y, monkeypatch, 2 ** 30)
    assert any("depends on the batch" in n for n in batched.noise.notes)
    alone = _estimate(psi, Y, monkeypatch, 0)
    assert not any("depends on the batch" in n for n in alone.noise.notes)
    want = _estimate(ref, Y, monkeypatch, 0)  # alone, the offsets never appear
    assert np.array_equal(alone.output, want.output)
    assert np.array_equal(alone.noise.probe, want.noise.probe)
    # the float32 proxy runs as one batch (it may only raise the estimate: conservative)
    assert np.all(alone.noise.noise >= want.noise.noise)


def test_search_certified_with_probes_alone_verifies_with_the_model():
    side = 32  # 2·32² real entries per image: probes one at a time on the CPU
    A = SubsampledFourier(uniform_random_mask((side, side), 0.4, seed=1))
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.Tanh(),
                              torch.nn.Conv2d(4, 2, 3, padding=1))
    psi = as_reconstruction_map(net, input="adjoint", A=A)
    assert psi._probe_chunk(np.zeros((3, *A.out_shape), dtype=complex)) == 1
    x = np.random.default_rng(0).standard_normal((side, side)) + 0j
    w = search_worst_perturbation(psi, A, x, budget=0.1, steps=4, seed=0, progress=False, device="cpu")
    assert w.holds and w.values["psi_precision"] == "float64"
    assert verify_perturbation(w, model=net).outcome is Outcome.HOLDS
