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
        seen.append(_flags()[:3])
    assert seen == [(True, False, False)]
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
    """The same witness as if the search had run on CUDA and its float64 evaluation there (or fallen back):
    re-assembled."""
    d = {**w.witness.data, **extra}
    d["search"] = {**d["search"], "device": "cuda:0"}
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
    assert "certified on cuda" in verify_perturbation(cu, model=_net()).message


@pytest.mark.parametrize("extra, what", [
    ({"psi_device": "cuda"}, "together"),
    ({"psi_device": "cuda", "psi_device_note": ""}, "exactly when"),  # a CPU search claiming a CUDA evaluation
    ({"psi_device_note": ""}, "together"),
    ({"psi_device": "tpu", "psi_device_note": ""}, "psi_device"),
    ({"psi_device": "cpu", "psi_device_note": ""}, "psi_device_note"),
    ({"psi_device": "cuda", "psi_device_note": "fell back"}, "psi_device_note"),
])
def test_inconsistent_device_records_are_refused(setup, extra, what):
    A, _ = setup
    w = _cpu_search(A)
    data = {**w.witness.data, **extra}
    if what != "exactly when":  # the other rules concern the record of a search that did run on CUDA
        data["search"] = {**data["search"], "device": "cuda:0"}
    edited = dataclasses.replace(w, witness=Witness("perturbation", data))
    v = verify_perturbation(load(edited.to_json()))
    assert v.outcome is not Outcome.HOLDS
    assert what in " ".join(v.values["problems"])


def test_a_cuda_search_without_its_device_record_is_refused(setup):
    A, _ = setup
    w = _cpu_search(A)
    d = {**w.witness.data, "search": {**w.witness.data["search"], "device": "cuda:0"}}
    forged = pert._assemble_perturbation(d)  # consistent values and message, but no psi_device record
    v = verify_perturbation(load(forged.to_json()))
    assert v.outcome is not Outcome.HOLDS and "exactly when" in " ".join(v.values["problems"])


def _fake_cuda(monkeypatch, fail_float32: bool = False):
    """A 'cuda:0' that evaluates on the CPU (this machine has no GPU): the success path of the CUDA branch."""
    monkeypatch.setattr(ReconstructionMap, "_float64_device", lambda self, device: torch.device("cuda", 0))
    orig = ReconstructionMap._evaluate

    def evaluate(self, yb, dtype, device, **kw):
        if torch.device(device).type == "cuda":
            if fail_float32 and dtype == torch.float32:
                raise RuntimeError("CUDA out of memory (simulated)")
            device = "cpu"
        return orig(self, yb, dtype, device, **kw)

    monkeypatch.setattr(ReconstructionMap, "_evaluate", evaluate)


def test_a_cuda_evaluation_is_accepted_only_with_its_whole_noise_estimate(setup, monkeypatch):
    """Red-team: the float32 proxy failing on the device (out of memory) left a CUDA evaluation whose noise
    estimate missed the proxy term (10^6 times too small on a cancelling network). Now the CPU decides."""

    class Cancel(torch.nn.Module):
        def forward(self, y: torch.Tensor) -> torch.Tensor:
            big = y * 1e7
            return torch.cat([(big + 0.1) - big, torch.tanh(y[..., :4])], -1)

    A, Y = setup
    psi = as_reconstruction_map(Cancel(), A=A, input="measurements")
    cpu = psi.evaluate_float64(Y[:2], noise=True, noise_scale=1.0)
    _fake_cuda(monkeypatch)
    ok = psi.evaluate_float64(Y[:2], noise=True, noise_scale=1.0, device="cpu")
    assert ok.device == "cuda" and ok.fallback == ""  # the simulated device works: accepted
    _fake_cuda(monkeypatch, fail_float32=True)
    lost = psi.evaluate_float64(Y[:2], noise=True, noise_scale=1.0, device="cpu")
    assert lost.device == "cpu" and "noise estimate failed" in lost.fallback
    assert np.array_equal(lost.noise.noise, cpu.noise.noise) and bool(np.all(lost.noise.noise >= 1e-12))


def test_a_torch_function_asked_for_cuda_says_why_it_ran_on_the_cpu(setup, monkeypatch):
    """Red-team: a function (not a module) searched on CUDA was recorded as a CPU evaluation without a note,
    which the verifier then refused. The evaluation now says why."""
    A, Y = setup
    W = torch.as_tensor(np.random.default_rng(3).standard_normal((10, 6)))
    psi = as_reconstruction_map(lambda y: torch.tanh(y @ W.to(y).T), A=A, backend="torch", input="measurements")
    monkeypatch.setattr(_adapter_eval, "device_arg", lambda d: None if d is None else torch.device(d))
    ev = psi.evaluate_float64(Y, device="cuda:0")
    assert ev.device == "cpu" and "not a torch module" in ev.fallback


def test_a_failing_device_noise_estimate_raises_invalid_argument(setup, monkeypatch):
    A, Y = setup
    psi = as_reconstruction_map(_net(), A=A, input="measurements")
    monkeypatch.setattr(ReconstructionMap, "_float64_device", lambda self, device: torch.device("cuda", 0))
    with pytest.raises(InvalidArgument, match="on the CPU"):
        psi.rounding_noise(Y, device="cpu")


def test_a_users_matmul_precision_survives_the_cuda_switches():
    old = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("medium")
        with _adapter_eval._cuda_float64():
            assert torch.get_float32_matmul_precision() == "highest"
        assert torch.get_float32_matmul_precision() == "medium"
    finally:
        torch.set_float32_matmul_precision(old)


def test_editing_the_reported_device_is_refused(setup):
    A, _ = setup
    w = _cpu_search(A)
    forged = dataclasses.replace(w, values={**w.values, "psi_device": "cuda"})
    assert verify_perturbation(forged).outcome is not Outcome.HOLDS
