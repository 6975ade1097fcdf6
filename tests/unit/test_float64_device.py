"""Where the certificate's float64 evaluation runs: the CPU, or the search's CUDA device with a CPU fallback.

No GPU here: the CUDA branch is driven with a CUDA device descriptor that cannot run on this machine, which
exercises the fallback (everything re-done on the CPU, the reason kept); tests/gpu covers a real device.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.errors import InvalidArgument  # noqa: E402
from theorycheck.instability import perturbation as pert  # noqa: E402
from theorycheck.nets import _adapter_eval  # noqa: E402
from theorycheck.nets.adapters import ReconstructionMap, as_reconstruction_map  # noqa: E402
from theorycheck.problems.operators import MatrixOperator  # noqa: E402
from theorycheck.results import Outcome, Witness, load  # noqa: E402
from theorycheck.search import search_worst_perturbation, verify_perturbation  # noqa: E402


def _net() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 10))


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(0)
    A = MatrixOperator(rng.standard_normal((6, 10)))
    Y = rng.standard_normal((3, 6))
    return A, Y


def _flags() -> tuple:
    cudnn, mm = torch.backends.cudnn, torch.backends.cuda.matmul
    return cudnn.deterministic, cudnn.benchmark, cudnn.allow_tf32, mm.allow_tf32


def test_cpu_device_is_the_default_evaluation(setup):
    A, Y = setup
    psi = as_reconstruction_map(_net(), A=A, input="measurements")
    a = psi.evaluate_float64(Y, noise=True)
    b = psi.evaluate_float64(Y, noise=True, device="cpu")
    assert a.device == b.device == "cpu" and a.fallback == b.fallback == ""
    assert all(np.array_equal(p, q) for p, q in zip(a.outputs, b.outputs))
    assert np.array_equal(a.noise.noise, b.noise.noise)


@pytest.mark.parametrize("device", ["meta", "tpu", 3])
def test_unusable_devices_are_refused(setup, device):
    A, Y = setup
    psi = as_reconstruction_map(_net(), A=A, input="measurements")
    with pytest.raises(InvalidArgument, match="device"):
        psi.evaluate_float64(Y, device=device)


def test_a_failing_cuda_evaluation_falls_back_to_the_cpu(setup, monkeypatch):
    """The CUDA branch on a machine without CUDA: every evaluation fails there, the CPU one is returned
    (bit-identical to a plain CPU evaluation, with the same noise estimate) and the reason is kept;
    the cuDNN/TF32 switches are restored."""
    A, Y = setup
    psi = as_reconstruction_map(_net(), A=A, input="measurements")
    plain = psi.evaluate_float64(Y, noise=True, noise_scale=1.0, noise_segments=[(0, 1)])
    monkeypatch.setattr(ReconstructionMap, "_float64_device", lambda self, device: torch.device("cuda", 0))
    before = _flags()
    ev = psi.evaluate_float64(Y, noise=True, noise_scale=1.0, noise_segments=[(0, 1)], device="cpu")
    assert _flags() == before
    assert ev.device == "cpu" and "cuda:0" in ev.fallback and "evaluated on the CPU" in ev.fallback
    assert ev.ok and ev.reason == ""
    assert all(np.array_equal(p, q) for p, q in zip(ev.outputs, plain.outputs))
    assert np.array_equal(ev.noise.noise, plain.noise.noise)


def test_the_cuda_switches_are_set_inside_and_restored(monkeypatch):
    seen = []
    with _adapter_eval._cuda_float64():
        seen.append(_flags())
    assert seen == [(True, False, False, False)]
    # restored even when the block raises
    before = _flags()
    with pytest.raises(RuntimeError):
        with _adapter_eval._cuda_float64():
            raise RuntimeError("boom")
    assert _flags() == before


def test_functions_and_numpy_maps_stay_on_the_cpu(setup):
    A, _ = setup
    f = as_reconstruction_map(lambda y: np.tanh(y @ np.ones((6, 10))), A=A, backend="numpy")
    assert f._float64_device(None).type == "cpu"
    assert f._float64_device("cpu").type == "cpu"


def _cpu_search(A):
    return search_worst_perturbation(_net(), A, np.random.default_rng(1).standard_normal(10), budget=0.5,
                                     steps=20, seed=0, device="cpu", progress=False)


def _as_if(w, **extra):
    """The same witness as if its float64 evaluation had run on CUDA (or fallen back): re-assembled."""
    d = {**w.witness.data, **extra}
    return pert._assemble_perturbation(d)


def test_a_cuda_witness_says_so_and_verifies(setup):
    A, _ = setup
    w = _cpu_search(A)
    assert w.outcome is Outcome.HOLDS and w.values["psi_device"] == "cpu"
    assert "psi_device" not in w.witness.data  # a CPU search stores nothing new
    cu = _as_if(w, psi_device="cuda", psi_device_note="")
    assert cu.values["psi_device"] == "cuda" and "float64 on cuda" in cu.message
    fb = _as_if(w, psi_device="cpu", psi_device_note="float64 on cuda:0 not usable (x): evaluated on the CPU")
    assert "not usable" in fb.message
    for res in (cu, fb):
        v = verify_perturbation(load(res.to_json()), model=_net())
        assert v.outcome is Outcome.HOLDS, v.message


@pytest.mark.parametrize("extra, what", [
    ({"psi_device": "cuda"}, "together"),
    ({"psi_device_note": ""}, "together"),
    ({"psi_device": "tpu", "psi_device_note": ""}, "psi_device"),
    ({"psi_device": "cpu", "psi_device_note": ""}, "psi_device_note"),
    ({"psi_device": "cuda", "psi_device_note": "fell back"}, "psi_device_note"),
])
def test_inconsistent_device_records_are_refused(setup, extra, what):
    A, _ = setup
    w = _cpu_search(A)
    edited = dataclasses.replace(w, witness=Witness("perturbation", {**w.witness.data, **extra}))
    v = verify_perturbation(load(edited.to_json()))
    assert v.outcome is not Outcome.HOLDS
    assert what in " ".join(v.values["problems"])


def test_editing_the_reported_device_is_refused(setup):
    A, _ = setup
    w = _cpu_search(A)
    forged = dataclasses.replace(w, values={**w.values, "psi_device": "cuda"})
    assert verify_perturbation(forged).outcome is not Outcome.HOLDS
