"""False structures (docs/theory.md §5): the data, the check on models whose behaviour is known by construction."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from theorycheck.classification import (
    FalseStructureData,
    FalseStructureResult,
    build_false_structure_data,
    check_false_structure,
)
from theorycheck.classification.false_structures import SHAPES, VARIANTS
from theorycheck.classification.universal import clopper_pearson
from theorycheck.errors import InvalidArgument
from theorycheck.results import Outcome, decode, encode, load, verify_result

torch.set_num_threads(1)


def pattern_reader(data: FalseStructureData) -> nn.Module:
    """Logit c = <p_c, x>: reads the pattern only (follows the false structure by construction)."""
    P = data.patterns.reshape(data.n_classes, -1)
    lin = nn.Linear(P.shape[1], data.n_classes, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(P))
    return nn.Sequential(nn.Flatten(), lin).eval()


def pattern_blind(data: FalseStructureData, seed: int = 0) -> nn.Module:
    """2 × 2 average pooling first: a checkerboard on even-aligned bands sums to zero in every block,
    so whatever is trained after it cannot see the pattern (follows the shape or nothing)."""
    side = data.image_shape[0]
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        m = nn.Sequential(nn.AvgPool2d(2), nn.Flatten(), nn.Linear((side // 2) ** 2, 64), nn.ReLU(),
                          nn.Linear(64, data.n_classes)).double()
    X = torch.as_tensor(data.X_train)
    y = torch.as_tensor(data.y_train)
    opt = torch.optim.Adam(m.parameters(), lr=5e-3)
    for _ in range(40):
        perm = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(m(X[idx]), y[idx]).backward()
            opt.step()
    return m.eval()


# ------------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------------

def test_data_layout_determinism_and_perfect_correlation():
    a = build_false_structure_data(80, seed=3)
    b = build_false_structure_data(80, seed=3)
    c = build_false_structure_data(80, seed=4)
    assert a.X_train.shape == (60, 1, 16, 16) and a.X_test_base.shape == (20, 1, 16, 16)
    assert a.background_test.shape == a.X_test_base.shape and a.patterns.shape == (2, 1, 16, 16)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.X_test_base, b.X_test_base)
    assert not np.array_equal(a.X_train, c.X_train)
    assert np.array_equal(a.pattern_train, a.y_train)
    assert a.true_structure == SHAPES[:2] and a.n_classes == 2 and a.image_shape == (16, 16)
    d = a.as_dict()
    assert np.array_equal(d["X_test"], a.X_test_base + a.patterns[a.y_test])
    assert d["image_shape"] == (16, 16) and d["n_classes"] == 2


def test_training_images_are_shape_plus_their_pattern():
    """Same seed, correlation 1 vs no pattern: the images differ by exactly the pattern of the label."""
    a = build_false_structure_data(60, seed=5, correlation=1.0)
    none = build_false_structure_data(60, seed=5, false_structure=None)
    assert np.array_equal(none.X_train + a.patterns[a.y_train], a.X_train)
    assert np.array_equal(none.pattern_train, np.full(45, -1))
    assert not none.patterns.any()


@pytest.mark.parametrize("C", [2, 3, 4])
def test_checkerboard_patterns_in_closed_form(C):
    d = build_false_structure_data(20, n_classes=C, amplitude=0.25, seed=0)
    side = 16
    for c in range(C):
        rows = (c + 1) * side // C - c * side // C
        p = d.patterns[c, 0]
        assert np.count_nonzero(p) == rows * side
        assert set(np.unique(p[p != 0]).tolist()) == {-0.25, 0.25}
        assert math.isclose(np.linalg.norm(p), 0.25 * math.sqrt(rows * side), rel_tol=1e-15)
        for e in range(C):  # disjoint bands: orthogonal patterns
            if e != c:
                assert float(np.sum(p * d.patterns[e, 0])) == 0.0
    assert np.allclose(d.swap_norms(), [np.linalg.norm(d.patterns[c] - d.patterns[(c + 1) % C]) for c in d.y_test])


def test_pixel_patterns_and_independence_at_zero_correlation():
    d = build_false_structure_data(20, false_structure="pixel", n_classes=3, amplitude=0.5, seed=1)
    for c in range(3):
        assert np.count_nonzero(d.patterns[c]) == 1 and d.patterns[c, 0, 1, 1 + 2 * c] == 0.5
    ind = build_false_structure_data(4000, correlation=0.0, seed=2)
    agree = float(np.mean(ind.pattern_train == ind.y_train))
    lo, hi = clopper_pearson(int(np.sum(ind.pattern_train == ind.y_train)), ind.y_train.size, 0.999)
    assert lo < 0.5 < hi, agree


def test_variants_are_defined_from_the_base_images():
    d = build_false_structure_data(40, n_classes=3, seed=6)
    P, y = d.patterns, d.y_test
    assert np.array_equal(d.variant("with"), d.X_test_base + P[y])
    assert np.array_equal(d.variant("removed"), d.X_test_base)
    assert np.array_equal(d.variant("swapped"), d.X_test_base + P[(y + 1) % 3])
    assert np.array_equal(d.variant("alone"), d.background_test + P[y])
    with pytest.raises(InvalidArgument, match="variant"):
        d.variant("mixed")


@pytest.mark.parametrize("kw,name", [
    ({"n": 1}, "n"), ({"n": 2.5}, "n"), ({"side": 4}, "side"), ({"side": 1000}, "side"),
    ({"correlation": 1.5}, "correlation"), ({"correlation": float("nan")}, "correlation"),
    ({"amplitude": 0.0}, "amplitude"), ({"amplitude": -1.0}, "amplitude"), ({"noise": -0.1}, "noise"),
    ({"false_structure": "stripes"}, "false_structure"), ({"true_structure": "faces"}, "true_structure"),
    ({"true_structure": ("square", "square")}, "true_structure"), ({"n_classes": 5}, "n_classes"),
    ({"true_structure": ("square", "ring"), "n_classes": 3}, "n_classes"),
    ({"test_fraction": 1.0}, "test_fraction"), ({"seed": -2}, "seed"), ({"seed": None}, "seed"),
])
def test_bad_data_arguments_name_themselves(kw, name):
    args = {"n": 40, **kw}
    n = args.pop("n")
    with pytest.raises(InvalidArgument, match=name):
        build_false_structure_data(n, **args)


# ------------------------------------------------------------------------------------------
# the check on models of known behaviour
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def strong():
    return build_false_structure_data(400, amplitude=0.2, seed=7)


def test_a_pattern_reader_follows_the_false_structure(strong):
    model = pattern_reader(strong)
    res = check_false_structure(model, strong, n_search=20, device="cpu")
    assert isinstance(res, FalseStructureResult)
    assert res.verdict == "false" and res.outcome is Outcome.VIOLATED
    # every rate against an independent numpy evaluation of the same linear map
    P = strong.patterns.reshape(2, -1)
    y = strong.y_test
    pred = {v: np.argmax(strong.variant(v).reshape(len(y), -1) @ P.T, axis=1) for v in VARIANTS}
    expect = {"accuracy_with": pred["with"] == y, "accuracy_removed": pred["removed"] == y,
              "accuracy_swapped": pred["swapped"] == y, "follows_pattern_swapped": pred["swapped"] == (y + 1) % 2,
              "follows_pattern_alone": pred["alone"] == y}
    for key, hits in expect.items():
        k = int(hits.sum())
        assert res.values[f"{key}_count"] == k, key
        assert res.values[f"{key}_interval"] == clopper_pearson(k, y.size, 0.95)
    assert res.values["follows_pattern_swapped"] == 1.0 and res.values["follows_pattern_alone"] == 1.0
    # DeepFool on an affine binary map: ‖r‖ = (1 + η)|f_y − f_o| / ‖p_y − p_o‖ (closed form)
    X = strong.variant("with")[:20].reshape(20, -1)
    gap = np.abs((X @ P.T) @ np.array([1.0, -1.0]))
    r_exact = gap / np.linalg.norm(P[0] - P[1])
    swap = strong.swap_norms()[:20]
    assert res.values["n_flipped"] == 20
    assert math.isclose(res.values["median_r_over_swap"], float(np.median(1.02 * r_exact / swap)), rel_tol=1e-3)
    assert res.values["median_r_over_swap"] < 1.0


def test_a_pattern_blind_model_follows_the_true_structure(strong):
    model = pattern_blind(strong)
    res = check_false_structure(model, strong, n_search=10, device="cpu")
    assert res.verdict == "true" and res.outcome is Outcome.HOLDS
    # the pattern is invisible to it: swapping or removing it changes no prediction
    assert res.values["accuracy_swapped_count"] == res.values["accuracy_with_count"]
    assert res.values["accuracy_removed_count"] == res.values["accuracy_with_count"]
    assert res.values["follows_pattern_swapped"] == 1.0 - res.values["accuracy_swapped"]


def test_round_trip_model_rerun_and_edits(strong):
    model = pattern_reader(strong)
    res = check_false_structure(model, strong, n_search=8, device="cpu")
    text = res.to_json()
    back = load(text)
    assert back == res and verify_result(back).holds
    assert verify_result(back, model=model).holds
    other = pattern_reader(build_false_structure_data(400, amplitude=0.2, n_classes=2, seed=7,
                                                      true_structure=("ring", "x")))
    with torch.no_grad():
        other[1].weight.mul_(-1.0)
    assert not verify_result(back, model=other).holds
    d0 = json.loads(text)
    wd = d0["fields"]["witness"]["__witness__"]["data"]
    for key in ("predictions", "base", "background", "labels", "patterns"):
        d = json.loads(text)
        a = decode(wd[key]).copy()
        a.flat[0] = (1 - a.flat[0]) if a.dtype.kind == "i" else a.flat[0] + 0.5
        d["fields"]["witness"]["__witness__"]["data"][key] = encode(a)
        assert not verify_result(load(json.dumps(d))).holds, key
    for key, new in (("verdict", "true"), ("accuracy_with", 0.5), ("swap_norm", 1.0)):
        d = json.loads(text)
        d["fields"]["values"][key] = new
        assert not verify_result(load(json.dumps(d))).holds, key


def test_check_refuses_bad_input(strong):
    model = pattern_reader(strong)
    with pytest.raises(InvalidArgument, match="FalseStructureData"):
        check_false_structure(model, strong.as_dict())
    with pytest.raises(InvalidArgument, match="no false structure"):
        check_false_structure(model, build_false_structure_data(40, false_structure=None, seed=0))
    three = build_false_structure_data(40, n_classes=3, seed=0)
    with pytest.raises(InvalidArgument, match="3 classes"):
        check_false_structure(model, three)
    with pytest.raises(InvalidArgument, match="n_search"):
        check_false_structure(model, strong, n_search=0)
    with pytest.raises(InvalidArgument, match="confidence"):
        check_false_structure(model, strong, confidence=1.5)
    with pytest.raises(InvalidArgument, match="torch.nn.Module"):
        check_false_structure(lambda x: x, strong)
