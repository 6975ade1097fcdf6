"""Classifier instabilities (docs/theory.md §5): DeepFool, fast gradient, random noise, linear models."""

from __future__ import annotations

import copy
import json
import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch import nn

import theorycheck.classification as tcc
from theorycheck.classification import (
    METHODS,
    ClassifierWitness,
    RobustnessReport,
    check_linear_sensitivity,
    robustness_report,
    search_minimal_perturbation,
)
from theorycheck.errors import InvalidArgument
from theorycheck.results import CheckResult, Outcome, Rigor, load, verify_result

ETA = 0.02


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def linear(W, b, dtype=torch.float64) -> nn.Linear:
    W = np.atleast_2d(np.asarray(W, dtype=float))
    lin = nn.Linear(W.shape[1], W.shape[0]).to(dtype)
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(W))
        lin.bias.copy_(torch.as_tensor(np.atleast_1d(b)))
    return lin.eval()


class Squeeze(nn.Module):
    """Binary model returning shape (n,)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)[:, 0]


def mlp(d=6, C=3, seed=0, dtype=torch.float64) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    m = nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Linear(16, C)).to(dtype)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=dtype) * 0.7)
    return m.eval()


def nearest_boundary(W, b, x):
    """Exact distance from x to the closest pairwise boundary of a linear classifier."""
    f = W @ x + b
    k = int(np.argmax(f))
    d = [abs(f[k] - f[j]) / np.linalg.norm(W[k] - W[j]) for j in range(len(f)) if j != k]
    return min(d), k


def first_crossing(W, b, x, v, k):
    """Smallest α > 0 at which some class beats k along x + α v (linear model)."""
    f = W @ x + b
    best = np.inf
    for j in range(len(f)):
        if j == k:
            continue
        slope = (W[j] - W[k]) @ v
        if slope > 0:
            best = min(best, (f[k] - f[j]) / slope)
    return best


# ------------------------------------------------------------------------------------------
# DeepFool on linear models: one step to the nearest boundary, times (1 + η)
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("one_dim", [False, True])
def test_deepfool_binary_linear_is_the_projection(one_dim):
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal(5), 0.3
    model = linear(w[None], [b])
    if one_dim:
        model = Squeeze(model)
    X = rng.standard_normal((8, 5))
    res = search_minimal_perturbation(model, X, device="cpu")
    f = X @ w + b
    assert res.batched and res.success.all()
    assert np.array_equal(res.label, (f > 0).astype(int))
    assert np.array_equal(res.new_label, 1 - res.label)
    dist = np.abs(f) / np.linalg.norm(w)
    rn = np.linalg.norm(res.r, axis=1)
    assert np.all(rn >= (1 + ETA) * dist * (1 - 1e-12))
    assert np.all(rn <= (1 + ETA) * (dist + 1e-6 * np.linalg.norm(X, axis=1)) * (1 + 1e-12))
    # r is parallel to w, pointing across the boundary
    cos = (res.r @ w) / (rn * np.linalg.norm(w))
    assert np.allclose(cos, -np.sign(f))
    assert all(r is Rigor.CERTIFIED_FLOAT64 for r in res.sample_rigor)
    assert np.all(res.iterations == 1)
    assert np.all(res.margin > 0)


def test_multiclass_linear_bounds():
    rng = np.random.default_rng(1)
    W, b = rng.standard_normal((4, 6)), rng.standard_normal(4)
    model = linear(W, b)
    X = rng.standard_normal((20, 6))
    dstar = np.array([nearest_boundary(W, b, x)[0] for x in X])
    xn = np.linalg.norm(X, axis=1)
    for method in METHODS:
        res = search_minimal_perturbation(model, X, method=method, seed=3, device="cpu")
        ok = res.success
        assert ok.sum() >= (20 if method != "random" else 10), method
        rn = np.linalg.norm(res.r, axis=1)
        # no perturbation can flip a linear classifier below the nearest boundary distance
        assert np.all(rn[ok] >= dstar[ok] * (1 - 1e-9)), method
        assert np.allclose(res.ratio[ok], rn[ok] / xn[ok])
        if method == "deepfool":  # exact for linear models, up to the overshoot
            assert np.all(rn <= (1 + ETA) * (dstar + 1e-6 * xn) * (1 + 1e-12))


def test_line_search_returns_the_first_crossing():
    rng = np.random.default_rng(2)
    W, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    model = linear(W, b)
    X = rng.standard_normal((12, 4))
    for method in ("random", "fast_gradient", "fast_gradient_sign"):
        res = search_minimal_perturbation(model, X, method=method, seed=5, device="cpu")
        for i in np.flatnonzero(res.success):
            rn = np.linalg.norm(res.r[i])
            alpha = first_crossing(W, b, X[i], res.r[i] / rn, int(res.label[i]))
            assert rn == pytest.approx(alpha, rel=1e-4), (method, i)


def test_deepfool_candidates_and_single_sample():
    rng = np.random.default_rng(4)
    W, b = rng.standard_normal((5, 3)), rng.standard_normal(5)
    model = linear(W, b)
    x = rng.standard_normal(3)
    res = search_minimal_perturbation(model, x, device="cpu", candidates=2)
    assert not res.batched
    assert isinstance(res.success, bool) and res.success
    assert isinstance(res.label, int) and isinstance(res.new_label, int)
    assert isinstance(res.ratio, float) and isinstance(res.rigor, Rigor)
    assert res.r.shape == x.shape
    assert res.label == int(np.argmax(W @ x + b))
    assert int(np.argmax(W @ (x + res.r) + b)) == res.new_label != res.label


# ------------------------------------------------------------------------------------------
# batching
# ------------------------------------------------------------------------------------------

def test_batched_deepfool_equals_per_sample_runs():
    model = mlp()
    X = np.random.default_rng(3).standard_normal((10, 6))
    batch = search_minimal_perturbation(model, X, device="cpu")
    for i in range(10):
        one = search_minimal_perturbation(model, X[i], device="cpu")
        assert one.status == batch.status[i]
        assert one.iterations == batch.iterations[i]
        np.testing.assert_allclose(one.r, batch.r[i], rtol=1e-9, atol=1e-12)
        assert batch[i].label == one.label and batch[i].new_label == one.new_label


def test_batch_size_and_seed():
    model = mlp(seed=1)
    X = np.random.default_rng(4).standard_normal((9, 6))
    for method in METHODS:
        a = search_minimal_perturbation(model, X, method=method, seed=11, device="cpu")
        b = search_minimal_perturbation(model, X, method=method, seed=11, device="cpu", batch_size=2)
        np.testing.assert_allclose(a.r, b.r, rtol=1e-9, atol=1e-12)
        assert np.array_equal(a.success, b.success)
    c = search_minimal_perturbation(model, X, method="random", seed=12, device="cpu")
    a = search_minimal_perturbation(model, X, method="random", seed=11, device="cpu")
    assert not np.allclose(a.r, c.r)


class SmallConv(nn.Module):
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 3 * 3, 5)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)

    def forward(self, x):
        h = torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)
        return self.fc(h.flatten(1))


def test_cnn_vectorised_and_fallback_gradients_agree(monkeypatch):
    model = SmallConv().double().eval()
    X = np.random.default_rng(5).standard_normal((6, 1, 6, 6))
    a = search_minimal_perturbation(model, X, device="cpu")
    from theorycheck.classification import _searchers

    orig = _searchers.Searcher.__init__

    def no_vmap(self, *args):
        orig(self, *args)
        self.batched_grads = False

    monkeypatch.setattr(_searchers.Searcher, "__init__", no_vmap)
    b = search_minimal_perturbation(model, X, device="cpu")
    assert a.success.all() and np.array_equal(a.status, b.status)
    np.testing.assert_allclose(a.r, b.r, rtol=1e-8, atol=1e-12)


def test_batched_guess_and_override():
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3)).double().eval()
    rng = np.random.default_rng(6)
    assert not search_minimal_perturbation(model, rng.standard_normal((4, 4)), device="cpu").batched
    many = search_minimal_perturbation(model, rng.standard_normal((5, 4, 4)), device="cpu")
    assert many.batched and len(many) == 5 and many.r.shape == (5, 4, 4)
    one = search_minimal_perturbation(model, rng.standard_normal((1, 4, 4)), device="cpu", batched=True)
    assert one.batched and len(one) == 1
    assert [w.status for w in many] == list(many.status)


# ------------------------------------------------------------------------------------------
# the model is never modified; float32 searches are certified in float64
# ------------------------------------------------------------------------------------------

def test_model_is_not_modified():
    torch_gen = torch.Generator().manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(12, 3))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=torch_gen))
    model[0].bias.requires_grad_(False)
    model.train()
    model[4].eval()  # mixed flags must come back as they were
    flags = [m.training for m in model.modules()]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    X = np.random.default_rng(7).standard_normal((7, 6)).astype(np.float32)
    Xc = X.copy()
    for method in METHODS:
        res = search_minimal_perturbation(model, X, method=method, seed=0, device="cpu")
        assert res.success.any()
        assert res.recheck(model).tolist() == res.success.tolist()
    assert [m.training for m in model.modules()] == flags
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]) and v.dtype == state[k].dtype, k
    assert all(p.grad is None for p in model.parameters())
    assert model[0].bias.requires_grad is False and model[0].weight.requires_grad is True
    assert np.array_equal(X, Xc)


def test_float32_search_is_certified_in_float64():
    model = mlp(dtype=torch.float32, seed=2)
    X = np.random.default_rng(8).standard_normal((15, 6))
    res = search_minimal_perturbation(model, torch.as_tensor(X, dtype=torch.float32), device="cpu")
    assert res.success.all()
    m64 = copy.deepcopy(model).double()
    with torch.no_grad():
        L0 = m64(torch.tensor(res.x)).numpy()
        L1 = m64(torch.tensor(res.x + res.r)).numpy()
    assert np.array_equal(L0.argmax(1), res.label)
    assert np.all(L1.argmax(1) != res.label)
    assert np.array_equal(L1.argmax(1), res.new_label)


# ------------------------------------------------------------------------------------------
# per-sample results for bad samples, labels and models
# ------------------------------------------------------------------------------------------

def test_labels_misclassified_out_of_range_and_nonfinite_inputs():
    model = mlp()
    X = np.random.default_rng(9).standard_normal((6, 6))
    pred = search_minimal_perturbation(model, X, device="cpu").label
    labels = [pred[0], (pred[1] + 1) % 3, 7, -1, pred[4], pred[5]]
    res = search_minimal_perturbation(model, X, device="cpu", labels=labels)
    assert list(res.status) == ["flipped", "already_misclassified", "label_out_of_range",
                                "label_out_of_range", "flipped", "flipped"]
    assert res.success.tolist() == [True, False, False, False, True, True]
    assert np.isnan(res.ratio[1:4]).all()
    assert np.all(res.r[1:4] == 0)
    assert res.sample_rigor[1] is Rigor.NUMERICAL
    assert res.success_rate == 1.0  # the three searched samples
    assert search_minimal_perturbation(model, X[0], device="cpu", labels=np.int64(pred[0])).success
    X[5, 2] = np.nan  # a non-finite sample is refused, naming it
    with pytest.raises(InvalidArgument, match=r"x\[5\]"):
        search_minimal_perturbation(model, X, device="cpu", labels=labels)


class NaNWhere(nn.Module):
    """Linear binary model f = x0 + 1 that returns NaN where x0 < threshold."""

    def __init__(self, threshold):
        super().__init__()
        self.lin = linear([[1.0, 0.0]], [1.0])
        self.threshold = threshold

    def forward(self, x):
        out = self.lin(x)
        return torch.where(x[:, :1] < self.threshold, torch.full_like(out, float("nan")), out)


def test_nan_outputs_are_per_sample_results():
    X = np.array([[0.0, 0.0], [-3.0, 1.0], [0.2, -1.0]])
    res = search_minimal_perturbation(NaNWhere(-2.0), X, device="cpu")
    assert list(res.status) == ["flipped", "nan_output", "flipped"]
    res = search_minimal_perturbation(NaNWhere(-0.5), X[[0]], device="cpu", batched=True)
    assert res.status[0] == "nan_during_search" and not res.success[0]
    rnd = search_minimal_perturbation(NaNWhere(-0.5), X[[0]], method="random", seed=0, device="cpu",
                                      batched=True)
    assert rnd.status[0] in ("not_found", "flipped")
    if rnd.success[0]:  # a flip outside the NaN region is still a real, certified flip
        assert rnd.x[0, 0] + rnd.r[0, 0] >= -0.5


class Drifting(nn.Module):
    """Returns different logits at every call: cannot be certified."""

    def __init__(self):
        super().__init__()
        self.lin = linear([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.lin(x) + 1e-3 * self.calls


def test_nondeterministic_model_is_not_certified():
    res = search_minimal_perturbation(Drifting(), np.array([[1.0, 0.0]]), device="cpu")
    assert res.status[0] == "nondeterministic"
    assert not res.success[0] and res.sample_rigor[0] is Rigor.NUMERICAL and np.isnan(res.ratio[0])
    assert res.rigor is Rigor.NUMERICAL and res.outcome is Outcome.INCONCLUSIVE


def test_constant_model_and_ties():
    const = linear(np.zeros((3, 4)), [0.0, 1.0, 0.5])
    X = np.random.default_rng(1).standard_normal((3, 4))
    assert set(search_minimal_perturbation(const, X, device="cpu").status) == {"zero_gradient"}
    assert set(search_minimal_perturbation(const, X, method="fast_gradient", device="cpu").status) \
        == {"zero_gradient"}
    assert set(search_minimal_perturbation(const, X, method="random", seed=0, device="cpu").status) \
        == {"not_found"}
    tie = linear(np.zeros((2, 4)), [1.0, 1.0])
    assert search_minimal_perturbation(tie, X, device="cpu").status.tolist() == ["label_tie"] * 3


def test_saturated_softmax_gives_a_direction():
    model = linear(np.array([[50.0, 0.0], [0.0, 50.0], [0.0, 0.0]]), [0.0, 0.0, 0.0])
    x = np.array([30.0, 0.0])  # logit gap 1500: every float64 probability but one underflows
    res = search_minimal_perturbation(model, x, method="fast_gradient", device="cpu")
    assert res.success and res.new_label in (1, 2)


def test_squared_loss_gradient_direction():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((5, 4)) * 3
    k = z.argmax(1)
    zt = torch.tensor(z, requires_grad=True)
    loss = ((torch.softmax(zt, 1) - torch.nn.functional.one_hot(torch.tensor(k), 4)) ** 2).sum()
    g = torch.autograd.grad(loss, zt)[0].numpy()
    from theorycheck.classification._searchers import squared_loss_logit_grad

    h = squared_loss_logit_grad(z, k)
    cos = (g * h).sum(1) / np.linalg.norm(g, axis=1) / np.linalg.norm(h, axis=1)
    assert np.allclose(cos, 1.0)
    assert np.all((g / h)[h != 0] > 0)


# ------------------------------------------------------------------------------------------
# invalid arguments
# ------------------------------------------------------------------------------------------

def test_invalid_arguments():
    model = mlp()
    x = np.zeros(6)
    with pytest.raises(InvalidArgument, match="method"):
        search_minimal_perturbation(model, x, method="pgd")
    with pytest.raises(InvalidArgument, match="overshoot"):
        search_minimal_perturbation(model, x, overshoot=-1)
    with pytest.raises(InvalidArgument, match="max_iter"):
        search_minimal_perturbation(model, x, max_iter=0)
    with pytest.raises(InvalidArgument, match="torch.nn.Module"):
        search_minimal_perturbation(lambda t: t, x)
    with pytest.raises(InvalidArgument, match="complex"):
        search_minimal_perturbation(model, np.zeros(6, dtype=complex))
    with pytest.raises(InvalidArgument, match="labels"):
        search_minimal_perturbation(model, np.zeros((3, 6)), labels=[0, 1])
    with pytest.raises(InvalidArgument, match="integers"):
        search_minimal_perturbation(model, np.zeros((2, 6)), labels=[0.5, 1])
    with pytest.raises(InvalidArgument, match="seed"):
        search_minimal_perturbation(model, x, method="random", seed=-1)
    with pytest.raises(InvalidArgument, match="input"):
        search_minimal_perturbation(model, np.zeros(5), device="cpu")

    class Weird(nn.Module):
        def forward(self, x):
            return x[:, :, None].expand(-1, -1, 2)

    with pytest.raises(InvalidArgument, match="logits"):
        search_minimal_perturbation(Weird(), np.zeros((2, 3)), batched=True, device="cpu")


# ------------------------------------------------------------------------------------------
# witness, report, JSON
# ------------------------------------------------------------------------------------------

def test_witness_is_frozen_and_converts_to_result():
    model = mlp()
    res = search_minimal_perturbation(model, np.random.default_rng(0).standard_normal((4, 6)),
                                      device="cpu")
    with pytest.raises(ValueError):  # read-only arrays
        res.r[0, 0] = 1.0
    with pytest.raises(AttributeError):  # frozen
        res.method = "x"
    cr = res.to_result()
    assert cr is res and isinstance(cr, CheckResult)
    assert cr.violated and cr.rigor is Rigor.CERTIFIED_FLOAT64
    i = int(np.nanargmin(np.where(res.success, res.ratio, np.inf)))
    with torch.no_grad():
        L = model(torch.tensor(res.x[i] + res.r[i])[None]).numpy()[0]
    assert int(L.argmax()) == res.new_label[i] != res.label[i]
    assert CheckResult.from_json(cr.to_json()) == cr
    fail = search_minimal_perturbation(model, np.zeros((2, 6)), labels=[9, 9], device="cpu")
    assert fail.to_result().outcome is Outcome.INCONCLUSIVE


def test_robustness_report_on_a_trained_classifier(tmp_path):
    data = tcc.synthetic_data(300, 8, 3, seed=0, separation=4.0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))
    tcc.train_classifier(model, data["X_train"], data["y_train"], epochs=10, seed=0)
    X, y = data["X_test"][:30], data["y_test"][:30]
    fig = tmp_path / "fig.png"
    rep = robustness_report(model, X, labels=y, seed=0, device="cpu", figure=fig, n_figure=2)
    assert isinstance(rep, RobustnessReport)
    assert set(rep.stats) == {"random", "fast_gradient", "deepfool"}
    for m, s in rep.stats.items():
        w = rep.witnesses[m]
        assert isinstance(w, ClassifierWitness) and len(w) == 30
        ok = w.success
        assert s["n_flipped"] == ok.sum() and 0 <= s["success_rate"] <= 1
        assert s["min"] <= s["median"] and s["min"] <= s["mean"]
        assert s["median"] == pytest.approx(np.median(w.ratio[ok]))
        assert w.recheck(model)[ok].all()
    assert rep.stats["deepfool"]["success_rate"] == 1.0
    assert rep.stats["random"]["median"] > rep.stats["deepfool"]["median"]
    assert fig.exists() and rep.figure == str(fig)
    assert "deepfool" in rep.table()
    path = tmp_path / "rep.json"
    rep.to_json(str(path))
    back = load(str(path))
    assert isinstance(back, RobustnessReport) and back == rep
    assert rep.outcome in (Outcome.VIOLATED, Outcome.INCONCLUSIVE)
    if rep.violated:
        assert rep.rigor is Rigor.CERTIFIED_FLOAT64
        wit = rep.witness
        with torch.no_grad():
            L = copy.deepcopy(model).double()(torch.tensor(wit["x"] + wit["r"])[None]).numpy()[0]
        assert int(L.argmax()) != wit["label"]
    with pytest.raises(InvalidArgument):
        robustness_report(model, X, methods=("nope",))


# ------------------------------------------------------------------------------------------
# linear models: ε‖w‖₁ under ‖Δx‖_∞ ≤ ε
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_sensitivity_exact(seed):
    rng = np.random.default_rng(seed)
    d = 50
    w, x, b = rng.standard_normal(d), rng.standard_normal(d), float(rng.standard_normal())
    eps = 0.01
    res = check_linear_sensitivity(w, x, eps, b=b)
    assert res.holds and res.rigor is Rigor.PROVEN
    l1 = sum(Fraction(float(v)) for v in np.abs(w))
    assert Fraction(res["change_exact"]) == pytest.approx(Fraction(eps) * l1, rel=1e-20)
    assert res["change"] == pytest.approx(eps * np.abs(w).sum(), rel=1e-14)
    assert res["change"] == pytest.approx(eps * d * np.abs(w).mean(), rel=1e-14)
    # the flip decision matches a brute-force exact evaluation just above / below eps_to_flip
    score = sum(Fraction(float(a)) * Fraction(float(c)) for a, c in zip(w, x)) + Fraction(b)
    for factor, expect in ((1.001, True), (0.999, False)):
        e = res["eps_to_flip"] * factor
        dx = -np.sign(float(score)) * e * np.sign(w)
        moved = score + sum(Fraction(float(a)) * Fraction(float(c)) for a, c in zip(w, dx))
        assert (moved * score < 0) is expect
        assert check_linear_sensitivity(w, x, e, b=b)["flips"] is expect
    # no Δx in the ball does better than the witness (sampled corners)
    corners = eps * rng.choice([-1.0, 1.0], size=(200, d))
    assert np.all(corners @ w <= res["change"] * (1 + 1e-12))
    assert np.array_equal(res.witness["dx"], eps * np.sign(w))


def test_linear_sensitivity_verify_and_bad_input(tmp_path):
    res = check_linear_sensitivity([1.0, -2.0, 0.0], [0.5, 0.5, 0.5], 0.25, b=0.1)
    assert res["change"] == 0.75 and res["flips"] is True
    back = CheckResult.from_json(res.to_json())
    assert back == res and verify_result(back).holds
    d = json.loads(res.to_json())
    d["fields"]["values"]["change_exact"] = "0.7"
    assert verify_result(CheckResult.from_dict(d)).violated
    with pytest.raises(InvalidArgument):
        check_linear_sensitivity([1.0, 2.0], [1.0], 0.1)
    with pytest.raises(InvalidArgument):
        check_linear_sensitivity([1.0], [1.0], -0.1)
    with pytest.raises(InvalidArgument):
        check_linear_sensitivity([np.nan], [1.0], 0.1)
    zero = check_linear_sensitivity([0.0, 0.0], [1.0, 2.0], 1.0)
    assert zero.holds and zero["change"] == 0 and zero["flips"] is False
    assert math.isinf(zero["eps_to_flip"])


# ------------------------------------------------------------------------------------------
# data and training helpers
# ------------------------------------------------------------------------------------------

def test_training_is_seeded_and_leaves_the_global_rng_alone():
    state = torch.random.get_rng_state()
    m1, d1 = tcc.build_digits_classifier("mlp", seed=3, epochs=1)
    assert torch.equal(torch.random.get_rng_state(), state)
    m2, _ = tcc.build_digits_classifier("mlp", seed=3, epochs=1)
    for (k, a), (_, b) in zip(m1.state_dict().items(), m2.state_dict().items()):
        assert torch.equal(a, b), k
    assert d1["X_train"].shape[1] == 64 and d1["X_train"].max() <= 1.0
    assert set(np.unique(d1["y_train"])) == set(range(10))
    assert len(d1["y_train"]) + len(d1["y_test"]) == 1797
    with pytest.raises(InvalidArgument):
        tcc.build_digits_classifier("resnet")
    s = tcc.synthetic_data(50, 3, 2, seed=1)
    assert s["X_train"].shape[1] == 3 and np.array_equal(
        s["X_train"], tcc.synthetic_data(50, 3, 2, seed=1)["X_train"])


# ------------------------------------------------------------------------------------------
# soundness regressions (review of classification.py, findings 1-5)
# ------------------------------------------------------------------------------------------

def _alone_label(model, x) -> int:
    """Strict argmax of ``model`` on ``x`` alone (a fresh float64 batch of one); -1 on ties."""
    with torch.no_grad():
        out = model(torch.tensor(np.array(x, dtype=np.float64)[None]))
    assert out.dtype == torch.float64
    z = out.numpy().reshape(-1)
    if z.size == 1:
        z = np.array([0.0, z[0]])
    k = int(np.argmax(z))
    return k if np.sum(z == z[k]) == 1 else -1


def _assert_flips_alone(model, w) -> int:
    """Every certified sample flips when the model sees x and x + r each alone in float64."""
    n = 0
    wits = list(w) if w.batched else [w]
    for wi in wits:
        if wi.success:
            n += 1
            a, b = _alone_label(model, wi.x), _alone_label(model, wi.x + wi.r)
            assert a >= 0 and b >= 0 and a != b and a == wi.label, (wi.status, a, b)
            assert wi.rigor is Rigor.CERTIFIED_FLOAT64
    return n


@pytest.mark.parametrize("method", METHODS)
def test_inplace_first_layer_does_not_corrupt_the_witness(method):
    # finding 1: ReLU(inplace=True) used to rewrite the internal copy of x (shared memory)
    x0 = np.array([-3.0, 0.5])
    X0 = np.array([[-3.0, 0.5], [0.5, -2.0], [1.0, 2.0]])
    for bias in ([0.0, 0.0], [0.1, 0.0]):
        lin = linear(np.eye(2), bias)
        m = nn.Sequential(nn.ReLU(inplace=True), lin)
        w = search_minimal_perturbation(m, x0.copy(), device="cpu", method=method, seed=0)
        assert np.array_equal(w.x, x0)
        _assert_flips_alone(m, w)
        wb = search_minimal_perturbation(m, X0.copy(), device="cpu", method=method, seed=0)
        assert np.array_equal(wb.x, X0)
        _assert_flips_alone(m, wb)
        if bias[0] > 0:
            assert wb.success.any()  # a strict flip exists and is found
        assert np.all(np.asarray(wb.recheck(m)) == np.asarray(wb.success))


class _BatchMix(nn.Module):
    """Batch-dependent logits: subtracts a multiple of the batch mean."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.lin = nn.Linear(3, 3).double()

    def forward(self, x):
        return self.lin(x - self.c * x.mean(0, keepdim=True))


class _RoundingOnly(nn.Module):
    """Zero in exact arithmetic: the label is the sign of a matmul rounding difference."""

    def __init__(self, d):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = nn.Parameter(torch.randn(d, 1, dtype=torch.float64, generator=g))

    def forward(self, x):
        return (x @ self.w)[:, 0] - (x * self.w[:, 0]).sum(1)


def test_certification_is_per_sample_for_batch_dependent_models():
    # finding 2: certification evaluated [X; X + R] as one batch
    torch.manual_seed(1)
    m = _BatchMix(0.9)
    rng = np.random.default_rng(0)
    n_cert = 0
    for t in range(4):
        X = rng.standard_normal((8, 3))
        for method in ("random", "deepfool"):
            w = search_minimal_perturbation(m, X, method=method, device="cpu", seed=t, batched=True)
            n_cert += _assert_flips_alone(m, w)
            assert np.all(np.asarray(w.recheck(m)) == np.asarray(w.success))
    assert n_cert > 0


def test_certification_is_per_sample_for_rounding_differences():
    # finding 2: a single sample certified in a batch of two ([x; x + r]) but not alone
    m = _RoundingOnly(513)
    rng = np.random.default_rng(0)
    for t in range(40):
        x = rng.standard_normal(513)
        w = search_minimal_perturbation(m, x, method="random", device="cpu", seed=t, batched=False)
        _assert_flips_alone(m, w)
        assert w.recheck(m) == (w.success and True)


def test_batchnorm_without_running_stats_gives_per_sample_statuses():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8, track_running_stats=False), nn.ReLU(),
                      nn.Linear(8, 3)).double()
    X = np.random.default_rng(0).standard_normal((6, 4))
    for method in ("random", "fast_gradient"):
        w = search_minimal_perturbation(m, X, method=method, device="cpu", seed=0)
        assert not np.asarray(w.success).any()
        assert set(w.status) <= set(tcc.STATUSES) and set(w.status) == {"model_error"}
        assert w.to_result().rigor is Rigor.NUMERICAL


class _LowPrecisionOut(nn.Module):
    def __init__(self, dt):
        super().__init__()
        self.dt = dt
        self.lin = linear([[1.0, 0.0]], [0.0])

    def forward(self, x):
        return self.lin(x).to(self.dt)


class _NoParamFloat32(nn.Module):
    def forward(self, x):
        x = x.float()
        return torch.stack([x[:, 0] * 3.0, x[:, 1] * 3.0], 1)


@pytest.mark.parametrize("model, x, method", [
    (_LowPrecisionOut(torch.float32), [0.5, 0.0], "deepfool"),
    (_LowPrecisionOut(torch.float16), [0.5, 0.0], "deepfool"),
    (_NoParamFloat32(), [1.0, 0.9], "fast_gradient"),
])
def test_non_float64_logits_are_never_certified_float64(model, x, method):
    # finding 3: the output dtype was not checked
    w = search_minimal_perturbation(model, x, device="cpu", batched=False, method=method)
    assert w.rigor is Rigor.NUMERICAL and not w.success
    assert w.status == "output_not_float64"
    assert w.recheck(model) is False
    assert w.to_result().rigor is Rigor.NUMERICAL


@pytest.mark.parametrize("key", ["eps_to_flip", "score", "l1_norm", "change", "float64_change", "d",
                                 "mean_abs_w", "eps", "change_exact", "flips"])
def test_linear_sensitivity_verifier_rejects_every_tampered_value(key):
    # finding 4: only change_exact / flips / dx / outcome were compared
    r = check_linear_sensitivity([1.0, -2.0, 0.5], [0.1, 0.2, 0.3], 0.01)
    d = json.loads(r.to_json())
    assert verify_result(load(json.dumps(d))).outcome is Outcome.HOLDS
    v = d["fields"]["values"][key]
    tampered = {bool: lambda v: not v, int: lambda v: v + 1, float: lambda v: v * (1 + 2 ** -40) + 1e-300,
                str: lambda v: v + "1"}[type(v)](v)
    d["fields"]["values"][key] = tampered
    assert verify_result(load(json.dumps(d))).outcome is Outcome.VIOLATED


def test_linear_sensitivity_verifier_rejects_a_tampered_message():
    r = check_linear_sensitivity([1.0, -2.0, 0.5], [0.1, 0.2, 0.3], 0.01)
    d = json.loads(r.to_json())
    d["fields"]["message"] = "the sign of w·x + b flips at eps 1e-9"
    assert verify_result(load(json.dumps(d))).outcome is Outcome.VIOLATED


@pytest.mark.parametrize("w, x, eps, flips", [
    ([1e308, 1e308], [1.0, 1.0], 10.0, True),
    ([1e308], [10.0], 0.0, False),
    ([-1e308, 1e308], [3.0, 1.0], 1.5, True),
    ([5e-324], [5e-324], 0.0, False),
])
def test_linear_sensitivity_huge_and_tiny_values_do_not_crash(w, x, eps, flips):
    # finding 5: float(Fraction) overflowed; finding 6: the score underflowed to 0
    r = check_linear_sensitivity(w, x, eps)
    assert r.holds and r.rigor is Rigor.PROVEN and r["flips"] is flips
    W, Xv = (np.array(a, dtype=float) for a in (w, x))
    score = sum(Fraction(a) * Fraction(b) for a, b in zip(W, Xv))
    change = Fraction(eps) * sum(abs(Fraction(a)) for a in W)
    assert r["flips"] == (change > abs(score))
    assert math.isinf(r["change"]) or r["change"] == float(change)
    assert (score < 0) == r["score_exact"].startswith("-") and (score != 0) == (r["score_exact"] != "0")
    again = verify_result(load(r.to_json()))
    assert again.outcome is Outcome.HOLDS


def test_package_keeps_the_old_public_names_and_imports_torch_only_on_demand():
    import subprocess
    import sys

    code = ("import sys, theorycheck.classification as c; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'sklearn') if m in sys.modules)); "
            "from theorycheck.classification import digits_data; import theorycheck.nets.classifiers as n; "
            "print(digits_data is n.digits_data, 'torch' in sys.modules, "
            "all(getattr(c, k) is not None for k in c.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.stdout.split("\n")[:2] == ["[]", "True True True"], out.stderr[-2000:]
    import theorycheck.nets.classifiers as nc

    for name in ("MLP", "SmallCNN", "train_classifier", "build_digits_classifier", "digits_data", "synthetic_data"):
        assert getattr(nc, name) is not None
    for name in ("digits_data", "synthetic_data", "train_classifier", "build_digits_classifier"):
        assert getattr(tcc, name) is getattr(nc, name)
