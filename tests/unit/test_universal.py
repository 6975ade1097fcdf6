"""Universal perturbations (docs/theory.md §5): affine closed forms, certification, determinism, bad input."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch import nn

from theorycheck.classification import (
    ClassifierWitness,
    FoolingRateTable,
    UniversalWitness,
    fooling_rate_table,
    search_universal_perturbation,
)
from theorycheck.classification.universal import clopper_pearson, project
from theorycheck.errors import InvalidArgument
from theorycheck.results import Outcome, Rigor, load, verify_result

torch.set_num_threads(1)


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def affine(w, b, dtype=torch.float64) -> nn.Linear:
    """Binary affine classifier f(x) = w·x + b (one logit: label f > 0)."""
    w = np.asarray(w, dtype=float)
    lin = nn.Linear(w.size, 1).to(dtype)
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(w[None]))
        lin.bias.fill_(float(b))
    return lin.eval()


def exact_f(w, b, x) -> Fraction:
    """w·x + b in exact rational arithmetic (every float is a rational)."""
    return sum((Fraction(float(wi)) * Fraction(float(xi)) for wi, xi in zip(w, x)), Fraction(float(b)))


def one_sided(seed: int, n: int, d: int, xi: float, scale_of_w) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Points with f > 0 whose distance to the boundary, f/scale, stays 0.05 away from ξ (ties excluded)."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(d)
    b = 0.25
    X = rng.standard_normal((3 * n, d))
    f = X @ w + b
    X = X - np.where(f < 0, 2 * f / (w @ w), 0.0)[:, None] * w[None]  # reflect to the positive side
    f = X @ w + b
    margin = f / scale_of_w(w)
    keep = (f > 1e-3) & (np.abs(margin - xi) > 0.05)
    return X[keep][:n], w, b, margin[keep][:n]


def mlp(d=6, C=4, seed=0, dtype=torch.float64) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    m = nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Linear(16, C)).to(dtype)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=dtype) * 0.7)
    return m.eval()


def run(model, X, **kw):
    kw.setdefault("device", "cpu")
    kw.setdefault("progress", False)
    kw.setdefault("seed", 0)
    return search_universal_perturbation(model, X, **kw)


# ------------------------------------------------------------------------------------------
# closed forms
# ------------------------------------------------------------------------------------------

def test_affine_l2_optimum_is_minus_xi_w_over_norm_w_and_its_fooling_count():
    """All points on one side of w·x + b = 0: the best l2 universal perturbation of norm ξ is −ξ w/‖w‖,
    which fools exactly the points with (w·x + b)/‖w‖ < ξ (no other v of norm ξ fools more)."""
    xi = 1.0
    X, w, b, _ = one_sided(1, 60, 5, xi, np.linalg.norm)
    # ground truth in exact arithmetic: (w·x + b)² < ξ² ‖w‖² with w·x + b > 0
    w2 = sum(Fraction(float(t)) ** 2 for t in w)
    expected = sum(1 for x in X if exact_f(w, b, x) ** 2 < Fraction(xi) ** 2 * w2)
    assert 0 < expected < len(X)
    res = run(affine(w, b), X, xi=xi, target_fooling=1.0, max_passes=3)
    assert isinstance(res, UniversalWitness)
    assert res.values["n_fooled"] == expected
    assert res.fooling_rate == expected / len(X)
    # v is −ξ w/‖w‖ up to rounding, and within the ball in exact arithmetic
    assert np.allclose(res.v, -xi * w / np.linalg.norm(w), rtol=1e-12, atol=1e-12)
    assert sum(Fraction(float(t)) ** 2 for t in res.v) <= Fraction(xi) ** 2
    # each counted flip really flips: f(x) > 0 and f(x + v) < 0 exactly
    for x, flipped in zip(X, res.flips):
        assert (exact_f(w, b, x + res.v) < 0) == bool(flipped)
    assert res.outcome is Outcome.VIOLATED and res.rigor is Rigor.CERTIFIED_FLOAT64


def test_affine_linf_optimum_is_minus_xi_sign_w():
    """The l∞ analogue: v = −ξ sign(w) fools exactly the points with (w·x + b)/‖w‖₁ < ξ."""
    xi = 0.4
    X, w, b, _ = one_sided(2, 50, 4, xi, lambda v: np.abs(v).sum())
    w1 = sum(abs(Fraction(float(t))) for t in w)
    expected = sum(1 for x in X if exact_f(w, b, x) < Fraction(xi) * w1)
    res = run(affine(w, b), X, xi=xi, norm="linf", target_fooling=1.0, max_passes=10)
    assert float(np.max(np.abs(res.v))) <= xi
    assert res.values["n_fooled"] == expected
    assert np.array_equal(res.v, -xi * np.sign(w))


def test_the_fooling_count_never_exceeds_the_affine_optimum():
    """Soundness on another instance: no certified count can beat the closed-form maximum."""
    for seed in (3, 4):
        xi = 0.7
        X, w, b, margin = one_sided(seed, 40, 6, xi, np.linalg.norm)
        res = run(affine(w, b), X, xi=xi, target_fooling=0.5, max_passes=2, batch_size=4)
        assert res.values["n_fooled"] <= int((margin < xi).sum())
        assert res.values["norm_v"] <= xi


def test_held_out_rate_and_interval_and_per_sample_flips():
    xi = 1.0
    X, w, b, margin = one_sided(5, 80, 5, xi, np.linalg.norm)
    res = run(affine(w, b), X[:50], X_test=X[50:], xi=xi, target_fooling=1.0, max_passes=2)
    k = int((margin[50:] < xi).sum())
    assert res.values["test_n"] == 30 and res.values["test_n_fooled"] == k
    assert res.test_fooling_rate == k / 30
    assert res.test_interval == clopper_pearson(k, 30, 0.95)
    assert np.array_equal(res.test_flips, margin[50:] < xi)
    assert isinstance(res.test, ClassifierWitness) and isinstance(res.train, ClassifierWitness)


# ------------------------------------------------------------------------------------------
# certification, determinism, no mutation
# ------------------------------------------------------------------------------------------

def test_every_counted_flip_is_certified_in_float64_and_float32():
    """A float32 model: the count equals the samples whose label flips in an independent float64 evaluation
    and in float32 (each alone), and the evaluations of both are stored."""
    model = mlp(dtype=torch.float32, seed=1)
    X = np.random.default_rng(0).standard_normal((40, 6))
    res = run(model, X, xi=2.0, max_passes=3)
    D = res.train.witness.data
    assert "nat" in D and D["native_in"] == "float32"
    m64 = mlp(dtype=torch.float64, seed=1)
    with torch.no_grad():
        m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
        lab = [int(m64(torch.tensor(x[None])).argmax()) for x in X]
        adv = [int(m64(torch.tensor((x + res.v)[None])).argmax()) for x in X]
        adv32 = [int(model(torch.tensor((x + res.v)[None], dtype=torch.float32)).argmax()) for x in X]
    for i, flipped in enumerate(res.flips):
        if flipped:
            assert adv[i] != lab[i] and adv32[i] != lab[i]
    assert res.values["n_fooled"] == int(np.sum(res.flips)) > 0


def test_a_flip_on_rounding_noise_is_not_counted():
    """A model that is zero in exact arithmetic: whatever the search sees, no flip is certified."""

    class RoundingOnly(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            g = torch.Generator().manual_seed(0)
            self.w = nn.Parameter(torch.randn(64, 1, dtype=torch.float64, generator=g))

        def forward(self, x):
            return (x @ self.w)[:, 0] - (x * self.w[:, 0]).sum(1)

    X = np.random.default_rng(1).standard_normal((10, 64))
    res = run(RoundingOnly().eval(), X, xi=1.0, max_passes=1)
    assert res.values["n_fooled"] == 0
    assert res.outcome is Outcome.INCONCLUSIVE and res.rigor is Rigor.NUMERICAL


def test_same_seed_same_perturbation_and_model_untouched():
    model = mlp(seed=2)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    X = np.random.default_rng(3).standard_normal((30, 6))
    a = run(model, X, xi=1.5, max_passes=2, seed=7)
    b = run(model, X, xi=1.5, max_passes=2, seed=7)
    assert np.array_equal(a.v, b.v) and a.values["n_fooled"] == b.values["n_fooled"]
    assert a.message == b.message
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_per_sample_loop_is_the_same_algorithm_on_affine_models():
    xi = 1.0
    X, w, b, margin = one_sided(6, 40, 5, xi, np.linalg.norm)
    one = run(affine(w, b), X, xi=xi, target_fooling=1.0, max_passes=2, batch_size=1)
    many = run(affine(w, b), X, xi=xi, target_fooling=1.0, max_passes=2, batch_size=16)
    assert one.values["n_fooled"] == many.values["n_fooled"] == int((margin < xi).sum())


def test_callback_receives_the_best_perturbation_so_far():
    seen = []
    X = np.random.default_rng(4).standard_normal((20, 6))
    res = run(mlp(seed=3), X, xi=1.0, max_passes=3, target_fooling=1.0, callback=seen.append)
    assert [s["pass"] for s in seen] == list(range(1, res.values["passes"] + 1))
    rates = [s["fooling_rate"] for s in seen]
    assert rates == sorted(rates)  # the best so far never decreases
    assert np.array_equal(seen[-1]["v"], res.v)


def test_project_is_inside_the_ball_exactly():
    rng = np.random.default_rng(5)
    for _ in range(20):
        v = rng.standard_normal(7) * 10 ** rng.uniform(-3, 3)
        xi = float(10 ** rng.uniform(-2, 2))
        p = project(v, "l2", xi)
        assert sum(Fraction(float(t)) ** 2 for t in p) <= Fraction(xi) ** 2
        if np.linalg.norm(v) > xi:
            assert np.allclose(p, v * xi / np.linalg.norm(v), rtol=1e-12)
        q = project(v, "linf", xi)
        assert np.array_equal(q, np.clip(v, -xi, xi))


@pytest.mark.parametrize("k,n", [(0, 7), (3, 10), (10, 10), (17, 40)])
def test_clopper_pearson_against_exact_binomial_tails(k, n):
    """lo: P(Bin(n, lo) ≥ k) ≤ α/2; hi: P(Bin(n, hi) ≤ k) ≤ α/2 (exact rational sums)."""
    lo, hi = clopper_pearson(k, n, 0.95)

    def tail_ge(p, k):
        p = Fraction(p)
        return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))

    half = Fraction(1, 40)
    assert 0.0 <= lo <= k / n <= hi <= 1.0
    if k > 0:
        assert tail_ge(lo, k) <= half
        assert tail_ge(lo * (1 + 1e-7), k) > half  # and not much lower than the exact end
    if k < n:
        assert 1 - tail_ge(hi, k + 1) <= half
        assert 1 - tail_ge(hi * (1 - 1e-7), k + 1) > half


# ------------------------------------------------------------------------------------------
# saved results and their verifier
# ------------------------------------------------------------------------------------------

def _saved():
    X, w, b, _ = one_sided(7, 30, 4, 1.0, np.linalg.norm)
    res = run(affine(w, b, torch.float32), X[:20], X_test=X[20:], xi=1.0, max_passes=2)
    return res, json.loads(res.to_json()), affine(w, b, torch.float32)


def test_round_trip_verifies_with_and_without_the_model():
    res, d, model = _saved()
    back = load(json.dumps(d))
    assert isinstance(back, UniversalWitness) and back == res
    assert verify_result(back).holds
    assert verify_result(back, model=model).holds


@pytest.mark.parametrize("edit", ["v", "xi", "fooling_rate", "interval", "n_fooled", "norm"])
def test_edits_are_rejected(edit):
    from theorycheck.results import decode, encode

    _, d, _ = _saved()
    f = d["fields"]
    if edit == "v":
        v = decode(f["witness"]["__witness__"]["data"]["v"])
        v = v.copy()
        v[0] *= 0.5
        f["witness"]["__witness__"]["data"]["v"] = encode(v)
    elif edit == "xi":
        f["witness"]["__witness__"]["data"]["xi"] = float(np.nextafter(f["witness"]["__witness__"]["data"]["xi"], 9))
    elif edit == "norm":
        f["witness"]["__witness__"]["data"]["norm"] = "linf"
    elif edit == "fooling_rate":
        f["values"]["fooling_rate"] = float(np.nextafter(f["values"]["fooling_rate"], 2))
    elif edit == "interval":
        f["values"]["interval"] = encode((0.0, 1.0))
    else:
        f["values"]["n_fooled"] += 1
    out = verify_result(load(json.dumps(d)))
    assert not out.holds


def test_a_different_model_does_not_verify():
    res, d, _ = _saved()
    X, w, b, _ = one_sided(7, 30, 4, 1.0, np.linalg.norm)
    other = affine(-w, -b, torch.float32)
    assert not verify_result(load(json.dumps(d)), model=other).holds


# ------------------------------------------------------------------------------------------
# the transfer table
# ------------------------------------------------------------------------------------------

def test_table_entries_match_exact_counts_on_affine_models():
    xi = 1.0
    X, w, b, margin = one_sided(8, 40, 5, xi, np.linalg.norm)
    A = affine(w, b)
    B = affine(2 * w, 2 * b)               # the same boundary
    Cm = affine(np.roll(w, 1), b)          # another boundary
    u = run(A, X, xi=xi, target_fooling=1.0, max_passes=2)
    noise = np.random.default_rng(9).standard_normal(5)
    noise *= xi / np.linalg.norm(noise)
    table = fooling_rate_table({"A": u, "random": noise}, {"A": A, "B": B, "C": Cm}, X)
    assert isinstance(table, FoolingRateTable)
    for r, v in (("A", u.v), ("random", noise)):
        for c, (ww, bb) in (("A", (w, b)), ("B", (2 * w, 2 * b)), ("C", (np.roll(w, 1), b))):
            k = sum(1 for x in X if (exact_f(ww, bb, x) > 0) != (exact_f(ww, bb, x + v) > 0))
            assert table.values["counts"][table.rows.index(r), table.columns.index(c)] == k, (r, c)
            assert table.interval(r, c) == clopper_pearson(k, len(X), 0.95)
    assert table.rate("A", "A") == table.rate("A", "B") == float(np.mean(margin < xi))
    assert "random" in table.table()
    back = load(table.to_json())
    assert verify_result(back).holds
    assert verify_result(back, models={"A": A, "B": B, "C": Cm}).holds
    d = json.loads(table.to_json())
    d["fields"]["values"]["counts"]["__ndarray__"] = d["fields"]["values"]["counts"]["__ndarray__"]
    from theorycheck.results import decode, encode

    counts = decode(d["fields"]["values"]["counts"]).copy()
    counts[0, 0] += 1
    d["fields"]["values"]["counts"] = encode(counts)
    assert not verify_result(load(json.dumps(d))).holds


# ------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw,name", [
    ({"xi": 0.0}, "xi"), ({"xi": -1.0}, "xi"), ({"xi": float("nan")}, "xi"), ({"xi": "1"}, "xi"),
    ({"target_fooling": 0.0}, "target_fooling"), ({"target_fooling": 1.5}, "target_fooling"),
    ({"target_fooling": float("nan")}, "target_fooling"),
    ({"max_passes": 0}, "max_passes"), ({"max_passes": 2.5}, "max_passes"), ({"max_passes": 10 ** 9}, "max_passes"),
    ({"norm": "l1"}, "norm"), ({"norm": None}, "norm"), ({"method": "fast_gradient"}, "method"),
    ({"confidence": 1.0}, "confidence"), ({"progress": "yes"}, "progress"), ({"callback": 3}, "callback"),
    ({"seed": -1}, "seed"), ({"batch_size": 0}, "batch_size"), ({"overshoot": -0.1}, "overshoot"),
    ({"max_iter": 0}, "max_iter"), ({"candidates": 1}, "candidates"), ({"device": "meta"}, "device"),
])
def test_bad_arguments_name_themselves(kw, name):
    X = np.random.default_rng(0).standard_normal((5, 6))
    args = {"xi": 1.0, **kw}
    with pytest.raises(InvalidArgument, match=name):
        run(mlp(), X, **args)


@pytest.mark.parametrize("X,match", [
    (np.zeros((0, 6)), "empty"),
    (np.zeros(6), "batch"),
    (np.array([[0.0] * 6, [np.nan] + [0.0] * 5]), r"X\[1\]"),
    (np.array([[np.inf] * 6]), r"X\[0\]"),
    ([["a"] * 6], "numbers"),
    (np.ones((3, 6), dtype=complex), "complex"),
])
def test_bad_samples_are_refused(X, match):
    with pytest.raises(InvalidArgument, match=match):
        run(mlp(), X, xi=1.0)


def test_bad_held_out_data_and_models():
    X = np.random.default_rng(0).standard_normal((5, 6))
    with pytest.raises(InvalidArgument, match="X_test"):
        run(mlp(), X, X_test=np.zeros((3, 5)), xi=1.0)
    with pytest.raises(InvalidArgument, match=r"X_test\[2\]"):
        run(mlp(), X, X_test=np.array([[0.0] * 6] * 2 + [[np.nan] * 6]), xi=1.0)
    with pytest.raises(InvalidArgument, match="torch.nn.Module"):
        run(lambda x: x, X, xi=1.0)
    with pytest.raises(InvalidArgument, match="model raised"):
        run(mlp(d=7), X, xi=1.0)


def test_bad_table_arguments():
    X = np.random.default_rng(0).standard_normal((5, 6))
    m = mlp()
    with pytest.raises(InvalidArgument, match="perturbations"):
        fooling_rate_table({}, {"m": m}, X)
    with pytest.raises(InvalidArgument, match="models"):
        fooling_rate_table({"r": np.zeros(6)}, [m], X)
    with pytest.raises(InvalidArgument, match=r"perturbations\['r'\]"):
        fooling_rate_table({"r": np.zeros(5)}, {"m": m}, X)
    with pytest.raises(InvalidArgument, match=r"perturbations\['r'\]"):
        fooling_rate_table({"r": np.full(6, np.nan)}, {"m": m}, X)
    with pytest.raises(InvalidArgument, match="confidence"):
        fooling_rate_table({"r": np.zeros(6)}, {"m": m}, X, confidence=0)
    with pytest.raises(InvalidArgument, match=r"X\[0\]"):
        fooling_rate_table({"r": np.zeros(6)}, {"m": m}, np.full((2, 6), np.nan))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_search_on_cuda_certifies_on_the_cpu_and_natively():
    model = mlp(dtype=torch.float32, seed=1).cuda()
    X = np.random.default_rng(0).standard_normal((30, 6))
    res = search_universal_perturbation(model, X, xi=2.0, max_passes=2, seed=0, progress=False)
    assert res.train.witness.data["native_device"].startswith("cuda")
    assert verify_result(load(res.to_json()), model=model).holds


# ------------------------------------------------------------------------------------------
# the architectures of the transfer table (theorycheck.nets.classifiers)
# ------------------------------------------------------------------------------------------

def test_build_classifier_shapes_every_architecture_alike_and_is_seeded():
    from theorycheck.nets.classifiers import IMAGE_ARCHITECTURES, ResidualCNN, WideCNN, build_classifier

    rng = np.random.default_rng(0)
    data = {"X_train": rng.random((40, 64)), "y_train": rng.integers(0, 3, 40), "X_test": rng.random((10, 64)),
            "y_test": rng.integers(0, 3, 10), "n_classes": 3, "image_shape": (8, 8)}
    for arch in IMAGE_ARCHITECTURES:
        m1, d1 = build_classifier(arch, data, seed=2, epochs=1)
        m2, _ = build_classifier(arch, data, seed=2, epochs=1)
        assert d1["X_train"].shape == (40, 1, 8, 8) and data["X_train"].shape == (40, 64)  # input untouched
        assert 0.0 <= d1["test_accuracy"] <= 1.0
        assert all(torch.equal(a, b) for a, b in zip(m1.parameters(), m2.parameters()))
        with torch.no_grad():
            assert m1(torch.zeros(5, 1, 8, 8)).shape == (5, 3)
    assert isinstance(build_classifier("wide_cnn", data, epochs=0)[0], WideCNN)
    assert isinstance(build_classifier("res_cnn", data, epochs=0)[0], ResidualCNN)
    with pytest.raises(InvalidArgument, match="arch"):
        build_classifier("vgg", data)
    with pytest.raises(InvalidArgument, match="image_shape"):
        build_classifier("cnn", {**data, "image_shape": (8, 4)})
    with pytest.raises(InvalidArgument, match="lacks"):
        build_classifier("cnn", {"X_train": data["X_train"]})
    with pytest.raises(InvalidArgument, match="entries per sample"):
        build_classifier("cnn", {**data, "X_test": np.zeros((3, 50))})
    with pytest.raises(InvalidArgument, match="even"):
        WideCNN(side=7)
    with pytest.raises(InvalidArgument, match="too large"):
        ResidualCNN(side=8, channels=10 ** 6)


def test_table_refuses_a_universal_perturbation_of_another_shape():
    X = np.random.default_rng(0).standard_normal((6, 6))
    w = run(mlp(), X, xi=1.0, max_passes=1)
    with pytest.raises(InvalidArgument, match=r"perturbations\['u'\] has shape"):
        fooling_rate_table({"u": w}, {"m": mlp(d=5)}, np.zeros((3, 5)))
