"""search_worst_perturbation: sound lower bounds, budgets, batches, complex data, interruption."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.errors import InvalidArgument  # noqa: E402
from theorycheck.nets.adapters import as_reconstruction_map  # noqa: E402
from theorycheck.results import Outcome, Rigor, load, verify_result  # noqa: E402
from theorycheck.search import PerturbationWitness, search_worst_perturbation, verify_perturbation  # noqa: E402

M, N = 5, 10
GAIN = 1e3


@pytest.fixture(scope="module")
def linear():
    """Ψ(y) = J y with J = A⁺ + GAIN·k aᵀ: huge gain along a, mapping into ker A."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((M, N))
    k = np.linalg.svd(A)[2][-1]
    a = rng.standard_normal(M)
    a /= np.linalg.norm(a)
    J = np.linalg.pinv(A) + GAIN * np.outer(k, a)
    lin = torch.nn.Linear(M, N, bias=False, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(J))
    lin.weight.requires_grad_(True)
    return A, J, lin, rng.standard_normal(N)


def test_measurement_domain_finds_the_top_gain(linear):
    A, J, lin, x = linear
    sigma = np.linalg.norm(J, 2)  # the exact Lipschitz constant of Ψ
    w = search_worst_perturbation(lin, A, x, domain="measurement", budget=0.1, steps=60, seed=0,
                                  progress=False)
    assert isinstance(w, PerturbationWitness)
    assert w.outcome is Outcome.HOLDS and w.rigor is Rigor.CERTIFIED_FLOAT64
    assert w.ratio <= sigma * (1 + 1e-12)   # a lower bound: never above the true constant
    assert w.ratio >= sigma * (1 - 1e-6)    # and the ascent finds the top direction
    assert w.e is not None and w.r is None
    assert np.linalg.norm(w.e) <= 0.1 * (1 + 1e-6) and w.norm_Ar == pytest.approx(np.linalg.norm(w.e))
    assert w.output_change == pytest.approx(np.linalg.norm(J @ w.e), rel=1e-9)


def test_image_domain_penalised_and_sound(linear):
    A, J, lin, x = linear
    sigma = np.linalg.norm(J, 2)
    w = search_worst_perturbation(lin, A, x, steps=80, seed=1, progress=False)  # λ chosen automatically
    assert w.holds and w.r is not None and w.e is None
    assert 0 < w.ratio <= sigma * (1 + 1e-12)
    assert w.ratio > 0.3 * sigma
    assert w.norm_r <= 0.1 * np.linalg.norm(x) * (1 + 1e-6)  # default cap
    assert w.norm_Ar == pytest.approx(np.linalg.norm(A @ w.r), rel=1e-9)
    assert w.values["lam"] > 0
    tr = w.trace
    assert tr["step"][-1] == 80 and tr["objective"].shape == tr["step"].shape


def test_budget_is_respected_and_truth_reference(linear):
    A, J, lin, x = linear
    w = search_worst_perturbation(lin, A, x, budget=0.05, reference="truth", steps=30, seed=2,
                                  progress=False)
    assert w.norm_r <= 0.05 * (1 + 1e-6)
    assert w.values["error_vs_truth"] == pytest.approx(np.linalg.norm(J @ (A @ (x + w.r)) - x), rel=1e-9)


def test_same_seed_same_result(linear):
    A, J, lin, x = linear
    a = search_worst_perturbation(lin, A, x, budget=0.1, steps=15, seed=7, progress=False)
    b = search_worst_perturbation(lin, A, x, budget=0.1, steps=15, seed=7, progress=False)
    assert np.array_equal(a.r, b.r) and a.ratio == b.ratio


def test_batch_of_images(linear):
    A, J, lin, x = linear
    X = np.stack([x, 2 * x, -x])
    w = search_worst_perturbation(lin, A, X, domain="measurement", budget=0.1, steps=40, seed=0,
                                  restarts=2, progress=False)
    sigma = np.linalg.norm(J, 2)
    assert w.batched and w.ratio.shape == (3,) and w.e.shape == (3, M)
    assert np.all(w.ratio <= sigma * (1 + 1e-12)) and np.all(w.ratio > 0.99 * sigma)
    one = w.item(1)
    assert not one.batched and one.ratio == w.ratio[1] and one.e.shape == (M,)
    assert w.trace["objective"].shape[1] == 3


def test_complex_operator_and_complex_perturbation():
    rng = np.random.default_rng(3)
    Mc = rng.standard_normal((4, 6)) + 1j * rng.standard_normal((4, 6))
    Jc = rng.standard_normal((6, 4)) + 1j * rng.standard_normal((6, 4))
    Jt = torch.as_tensor(Jc)
    psi = as_reconstruction_map(lambda y: y @ Jt.T, backend="torch")
    x = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    w = search_worst_perturbation(psi, Mc, x, domain="measurement", budget=0.5, steps=300, seed=0,
                                  progress=False)
    s = np.linalg.norm(Jc, 2)
    assert np.iscomplexobj(w.e) and w.holds
    assert s * (1 - 1e-6) <= w.ratio <= s * (1 + 1e-12)
    wi = search_worst_perturbation(psi, Mc, x, domain="image", budget=0.5, steps=60, seed=0, progress=False)
    assert np.iscomplexobj(wi.r) and wi.ratio <= s * (1 + 1e-12)


def test_conv_net_with_fourier_operator_and_model_untouched():
    from theorycheck.problems.masks import uniform_random_mask
    from theorycheck.problems.operators import SubsampledFourier

    A = SubsampledFourier(uniform_random_mask((8, 8), 0.4, seed=0))
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(4, 1, 3, padding=1)).train()
    flags = [m.training for m in net.modules()]
    before = [p.detach().clone() for p in net.parameters()]
    x = np.random.default_rng(0).standard_normal((8, 8))
    psi = as_reconstruction_map(net, input="adjoint")
    w = search_worst_perturbation(psi, A, x, budget=0.5, steps=20, seed=0, progress=False, device="cpu")
    assert w.holds and w.rigor is Rigor.CERTIFIED_FLOAT64 and w.r.shape == (8, 8)
    assert w.values["search_precision"] == "float32" and w.values["psi_precision"] == "float64"
    assert [m.training for m in net.modules()] == flags
    assert all(p.requires_grad and p.grad is None and p.dtype == torch.float32 for p in net.parameters())
    assert all(torch.equal(b, p) for b, p in zip(before, net.parameters()))


def test_callback_stop_and_interrupt(linear):
    A, J, lin, x = linear
    seen = []

    def stop_after_two(best):
        seen.append(best)
        return len(seen) >= 2

    w = search_worst_perturbation(lin, A, x, budget=0.1, steps=100, record_every=5, seed=0,
                                  callback=stop_after_two, progress=False)
    assert len(seen) == 2 and isinstance(seen[0], PerturbationWitness)
    assert w.values["steps_done"] == 10 and w.holds

    def interrupt(best):
        raise KeyboardInterrupt

    w2 = search_worst_perturbation(lin, A, x, budget=0.1, steps=100, record_every=5, seed=0,
                                   callback=interrupt, progress=False)
    assert w2.values["interrupted"] and w2.values["steps_done"] == 5
    assert w2.holds and w2.ratio > 0 and "interrupted" in w2.message


def test_nondeterministic_model_is_inconclusive(linear):
    A, J, lin, x = linear
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(M, 16, dtype=torch.float64), torch.nn.Dropout(0.5),
                              torch.nn.Linear(16, N, dtype=torch.float64)).train()
    w = search_worst_perturbation(net, A, x, budget=0.1, steps=5, seed=0, progress=False)
    assert w.outcome is Outcome.INCONCLUSIVE and w.rigor is Rigor.NUMERICAL
    assert "different outputs" in w.message


def test_bad_input(linear):
    A, J, lin, x = linear
    with pytest.raises(InvalidArgument, match="differentiable"):
        search_worst_perturbation(lambda y: J @ y, A, x, steps=2, progress=False)
    with pytest.raises(InvalidArgument):
        search_worst_perturbation(lin, A, x, domain="frequency", progress=False)
    with pytest.raises(InvalidArgument):
        search_worst_perturbation(lin, A, x, budget=-1.0, progress=False)
    with pytest.raises(InvalidArgument):
        search_worst_perturbation(lin, A, x, momentum=1.0, progress=False)
    with pytest.raises(InvalidArgument, match="shape"):
        search_worst_perturbation(lin, A, x[:3], progress=False)


def test_saved_witness_verifies_and_detects_tampering(linear):
    A, J, lin, x = linear
    w = search_worst_perturbation(lin, A, x, budget=0.1, steps=20, seed=0, progress=False)
    back = load(w.to_json())
    assert isinstance(back, PerturbationWitness) and back == w
    assert verify_result(back).holds
    assert verify_perturbation(back, psi=lin).holds
    d = json.loads(w.to_json())
    d["fields"]["ratio"] = w.ratio * 2
    assert verify_result(load(json.dumps(d))).violated
    d = json.loads(w.to_json())
    d["fields"]["norm_Ar"] = w.norm_Ar / 2
    assert verify_result(load(json.dumps(d))).violated


def test_progress_bar_runs(linear, capsys):
    A, J, lin, x = linear
    w = search_worst_perturbation(lin, A, x, budget=0.1, steps=3, seed=0, progress=True)
    assert w.holds


# --------------------------------------------------------------------------------------
# regressions of the soundness review (review_instability findings 1, 2, 8)
# --------------------------------------------------------------------------------------


def test_review1_8_search_verifier_recomputes_tolerance_and_rounding(linear):
    import dataclasses

    A, J, lin, x = linear
    w = search_worst_perturbation(lin, A, x, domain="measurement", budget=0.1, steps=10, seed=0,
                                  progress=False)
    assert w.holds and verify_perturbation(w).outcome is Outcome.HOLDS
    forged = dataclasses.replace(w, values={**w.values, "tolerance": -1.0})
    assert verify_perturbation(forged).outcome is Outcome.VIOLATED
    raised = dataclasses.replace(w, ratio=w.values["ratio_unrounded"] * (1 + 1e-13))
    assert verify_perturbation(raised).outcome is Outcome.VIOLATED
    assert w.ratio < w.values["ratio_unrounded"]


def test_review2_search_certifies_per_sample(linear):
    A, J, lin, x = linear
    Jt = torch.as_tensor(J)

    def batchy(Y):  # linear alone; in a batch, a huge offset that differs per row
        out = Y @ Jt.T.to(Y.dtype)
        if Y.shape[0] > 1:
            out = out + 1e6 * torch.arange(Y.shape[0], dtype=Y.dtype)[:, None]
        return out

    psi = as_reconstruction_map(batchy, backend="torch")
    w = search_worst_perturbation(psi, A, x, domain="measurement", budget=0.1, steps=5, seed=0,
                                  progress=False)
    sigma = np.linalg.norm(J, 2)
    assert w.holds and w.ratio <= sigma * (1 + 1e-12)  # never the batch offsets
    assert verify_perturbation(w, psi=psi).outcome is Outcome.HOLDS
