"""Proven label flips (certify="proven"/"auto"): enclosures of a classifier's exact real-arithmetic logits.

Ground truth: the networks evaluated in exact rational arithmetic (``fractions.Fraction``)
at the stored float64 inputs ``x`` and ``x + r``.
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch import nn

from theorycheck.classification import STATUSES, search_minimal_perturbation
from theorycheck.classification.witness import assemble
from theorycheck.errors import InvalidArgument, PreconditionError
from theorycheck.results import Outcome, Rigor, load, verify_result

# ------------------------------------------------------------------------------------------
# models and an exact evaluator
# ------------------------------------------------------------------------------------------


def _seeded(m: nn.Module, seed: int, scale: float, dtype=torch.float64) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    m = m.to(dtype)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64).to(dtype) * scale)
    return m.eval()


def mlp(seed: int = 0, dtype=torch.float64) -> nn.Module:
    return _seeded(nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Linear(12, 3)), seed, 0.7, dtype)


def cnn(seed: int = 0, dtype=torch.float64) -> nn.Module:
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(3 * 3 * 3, 8), nn.ReLU(), nn.Linear(8, 4))
    return _seeded(net, seed, 0.5, dtype)


def offset_linear() -> nn.Module:
    """Logits ``[1000 + x₀, 1000]``: the margin near the boundary is tiny next to the logits."""
    lin = nn.Linear(2, 2).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 0.0]]))
        lin.bias.copy_(torch.tensor([1000.0, 1000.0]))
    return lin.eval()


def _frac(a) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    out = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        out[idx] = Fraction(float(v))
    return out


def exact_logits(net: nn.Module, x: np.ndarray) -> np.ndarray:
    """The network on one sample ``x`` in exact rational arithmetic (parameters read exactly)."""
    v = _frac(x)
    for m in net:
        if isinstance(m, nn.Linear):
            W, b = _frac(m.weight.detach().double().numpy()), _frac(m.bias.detach().double().numpy())
            v = np.array([sum((W[i, j] * v[j] for j in range(W.shape[1])), Fraction(0)) + b[i]
                          for i in range(W.shape[0])], dtype=object)
        elif isinstance(m, nn.ReLU):
            v = np.array([max(t, Fraction(0)) for t in v.ravel()], dtype=object).reshape(v.shape)
        elif isinstance(m, nn.Conv2d):
            W, b = _frac(m.weight.detach().double().numpy()), _frac(m.bias.detach().double().numpy())
            cin, h, w = v.shape
            p = m.padding[0]
            pad = np.full((cin, h + 2 * p, w + 2 * p), Fraction(0), dtype=object)
            pad[:, p:p + h, p:p + w] = v
            k = W.shape[2]
            out = np.empty((W.shape[0], h, w), dtype=object)
            for o in range(W.shape[0]):
                for i in range(h):
                    for j in range(w):
                        out[o, i, j] = sum((W[o, c, a, d] * pad[c, i + a, j + d] for c in range(cin)
                                            for a in range(k) for d in range(k)), Fraction(0)) + b[o]
            v = out
        elif isinstance(m, nn.MaxPool2d):
            c, h, w = v.shape
            v = np.array([[[max(v[q, 2 * i, 2 * j], v[q, 2 * i + 1, 2 * j], v[q, 2 * i, 2 * j + 1],
                                v[q, 2 * i + 1, 2 * j + 1]) for j in range(w // 2)] for i in range(h // 2)]
                          for q in range(c)], dtype=object)
        elif isinstance(m, nn.Flatten):
            v = v.ravel()
        else:  # pragma: no cover
            raise AssertionError(type(m))
    return v


def exact_argmax(L: np.ndarray) -> tuple[int, bool]:
    """Index of the largest exact logit and whether it is unique."""
    top = max(L)
    idx = [i for i, t in enumerate(L) if t == top]
    return idx[0], len(idx) == 1


X_MLP = np.random.default_rng(1).standard_normal((4, 5))
X_CNN = np.random.default_rng(2).standard_normal((3, 1, 6, 6))


@pytest.fixture(scope="module")
def mlp_proven():
    return search_minimal_perturbation(mlp(), X_MLP, device="cpu", certify="proven")


@pytest.fixture(scope="module")
def cnn_proven():
    return search_minimal_perturbation(cnn(), X_CNN, device="cpu", certify="proven")


@pytest.fixture(scope="module")
def tie_auto():
    return search_minimal_perturbation(offset_linear(), [1.2e-9, 0.0], device="cpu", certify="auto")


# ------------------------------------------------------------------------------------------
# proven flips are true flips of the exact network
# ------------------------------------------------------------------------------------------

def _check_exact(net: nn.Module, w) -> int:
    n_proven = 0
    for i in range(len(w)):
        s = w.item(i)
        if not s.values["proven"]:
            continue
        n_proven += 1
        L0, L1 = exact_logits(net, s.x), exact_logits(net, s.x + s.r)  # x + r: the stored float64 point
        k0, u0 = exact_argmax(L0)
        k1, u1 = exact_argmax(L1)
        assert u0 and u1 and k0 == s.label and k1 == s.values["proven_new_label"] and k1 != k0
        lo, hi = s.values["logit_lower"], s.values["logit_upper"]
        for p, L in ((0, L0), (1, L1)):
            assert all(Fraction(float(lo[p, j])) <= L[j] <= Fraction(float(hi[p, j])) for j in range(len(L)))
        # the stored lower bounds on the separations are below the exact ones
        assert Fraction(float(s.values["proven_gap"])) <= L0[k0] - max(L0[j] for j in range(len(L0)) if j != k0)
        assert Fraction(float(s.values["proven_margin"])) <= L1[k1] - max(L1[j] for j in range(len(L1)) if j != k1)
        assert s.values["proven_gap"] > 0 and s.values["proven_margin"] > 0
    return n_proven


@pytest.mark.parametrize("which", ["mlp", "cnn"])
def test_proven_flips_are_flips_of_the_exact_network(which, mlp_proven, cnn_proven):
    net, w = (mlp(), mlp_proven) if which == "mlp" else (cnn(), cnn_proven)
    assert w.outcome is Outcome.VIOLATED and w.rigor is Rigor.PROVEN
    assert w.values["certify"] == "proven"
    proven = np.asarray(w.values["proven"])
    assert proven.sum() >= 2 and np.array_equal(proven, np.asarray(w.success))
    assert set(np.asarray(w.sample_rigor)[proven]) == {Rigor.PROVEN}
    assert set(np.asarray(w.status)) <= set(STATUSES)
    assert _check_exact(net, w) == int(proven.sum())
    assert "proven" in w.message and w.values["rigor_note"] == ""
    assert "IEEE" in w.values["enclosure_assumptions"]


def test_float32_model_is_proven_for_its_exact_float32_weights():
    net = mlp(3, torch.float32)
    w = search_minimal_perturbation(net, X_MLP[:2], device="cpu", certify="proven")
    assert w.rigor is Rigor.PROVEN
    exact_net = copy.deepcopy(net).double()  # float32 weights are exact in float64
    assert _check_exact(exact_net, w) == int(np.sum(w.values["proven"])) >= 1
    assert next(net.parameters()).dtype == torch.float32  # the user's model is untouched


def test_binary_single_logit_model():
    lin = nn.Linear(3, 1).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, -2.0, 0.5]]))
        lin.bias.copy_(torch.tensor([0.25]))
    x = np.array([0.5, -0.25, 1.0])
    w = search_minimal_perturbation(lin.eval(), x, device="cpu", certify="proven")
    assert w.rigor is Rigor.PROVEN and w.values["proven"]
    f = lambda z: sum(Fraction(float(a)) * Fraction(float(b)) for a, b in zip([1.0, -2.0, 0.5], z)) + Fraction(1, 4)  # noqa: E731
    assert f(x) > 0 and f(w.x + w.r) < 0  # label f > 0 flips in exact arithmetic
    assert w.label == 1 and w.values["proven_new_label"] == 0


def test_same_results_as_float64_mode_where_nothing_needs_repair(mlp_proven):
    plain = search_minimal_perturbation(mlp(), X_MLP, device="cpu")
    assert np.array_equal(plain.r, mlp_proven.r)
    assert np.array_equal(np.asarray(plain.values["status"]), np.asarray(mlp_proven.values["float64_status"]))


# ------------------------------------------------------------------------------------------
# logits that tie within the enclosures' resolution
# ------------------------------------------------------------------------------------------

def test_tie_within_rounding_falls_back_under_auto(tie_auto):
    w = tie_auto
    # exact arithmetic: the flip is real but smaller than the enclosures' width
    L0 = exact_logits(nn.Sequential(offset_linear()), w.x)
    L1 = exact_logits(nn.Sequential(offset_linear()), w.x + w.r)
    assert L0[0] > L0[1] and L1[1] > L1[0]
    width = float(np.max(w.values["logit_upper"][1] - w.values["logit_lower"][1]))
    assert float(L1[1] - L1[0]) < width
    assert w.success and w.outcome is Outcome.VIOLATED
    assert w.rigor is Rigor.CERTIFIED_FLOAT64 and w.sample_rigor is Rigor.CERTIFIED_FLOAT64
    assert not w.values["proven"] and w.values["proven_new_label"] == -1
    assert w.values["proven_margin"] <= 0 < w.values["proven_gap"]
    note = w.values["rigor_note"]
    assert "x + r is not proven" in note and "overlap" in note
    assert "fell back" in w.message and note in w.message


def test_tie_within_rounding_is_refused_under_proven(tie_auto):
    w = search_minimal_perturbation(offset_linear(), [1.2e-9, 0.0], device="cpu", certify="proven")
    assert not w.success and w.status == "not_proven"
    assert w.outcome is Outcome.INCONCLUSIVE and w.rigor is Rigor.NUMERICAL
    assert w.values["float64_status"] == "flipped"
    assert "not proven" in w.message and "overlap" in w.message
    # the failed enlargement of r is undone: the same r as under "auto"
    assert np.array_equal(w.r, tie_auto.r)


def test_unsupported_node_raises_under_proven_and_falls_back_under_auto():
    net = _seeded(nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.Linear(8, 3)), 0, 0.7)
    with pytest.raises(PreconditionError):
        search_minimal_perturbation(net, X_MLP[:2], device="cpu", certify="proven")
    w = search_minimal_perturbation(net, X_MLP[:2], device="cpu", certify="auto")
    assert w.rigor is Rigor.CERTIFIED_FLOAT64 and w.values["n_flipped"] >= 1
    assert not np.any(w.values["proven"])
    assert "no proven enclosure" in w.values["rigor_note"] and "gelu" in w.values["rigor_note"].lower()
    assert verify_result(load(w.to_json()), model=net).holds


@pytest.mark.parametrize("bad", [False, "exact", 1, None])
def test_bad_certify_is_refused(bad):
    with pytest.raises(InvalidArgument, match="certify"):
        search_minimal_perturbation(mlp(), X_MLP[0], device="cpu", certify=bad)


# ------------------------------------------------------------------------------------------
# verification
# ------------------------------------------------------------------------------------------

def test_verify_with_the_model_re_proves(mlp_proven, cnn_proven):
    for net, w in ((mlp(), mlp_proven), (cnn(), cnn_proven)):
        v = verify_result(load(w.to_json()), model=net)
        assert v.holds and v.rigor is Rigor.PROVEN, v.message
        assert "enclosures of the exact logits re-run" in v.message


def test_verify_without_model_states_its_lower_rigor(mlp_proven, tie_auto):
    v = verify_result(load(mlp_proven.to_json()))
    assert v.holds
    flips64 = np.asarray(mlp_proven.values["float64_status"])[np.asarray(mlp_proven.success)]
    expected = Rigor.CERTIFIED_FLOAT64 if np.all(flips64 == "flipped") else Rigor.NUMERICAL
    assert v.rigor is expected
    assert v.values["rigor_cap_reason"].startswith(expected.value)
    assert "not re-proven" in v.values["not_rechecked"]
    # a flip only the enclosures back: numerical without the model
    s = mlp_proven.item(0)
    data = dict(s.witness.data)
    f64 = data["f64"].copy()
    f64[1] = np.nan
    code = data["f64_code"].copy()
    code[1] = 2  # the float64 evaluations at x + r "raised": not certified in float64
    data.update(f64=f64, f64_code=code, dup=np.full_like(data["dup"], np.nan),
                dup_code=np.full_like(data["dup_code"], 2))
    data.pop("probe"), data.pop("probe_code"), data.pop("probe_out")
    only = assemble(data, False, 0.0)
    assert only.rigor is Rigor.PROVEN and only.values["float64_status"] == "model_error"
    v2 = verify_result(load(only.to_json()))
    assert v2.holds and v2.rigor is Rigor.NUMERICAL


def _edited(w, path, fn):
    d = json.loads(w.to_json())
    node = d["fields"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = fn(node[path[-1]])
    return load(json.dumps(d))


def _edit_array(enc, fn):
    from theorycheck.results import decode, encode

    arr = decode(enc).copy()
    fn(arr)
    return encode(np.ascontiguousarray(arr))


def _wd(key):
    return ["witness", "__witness__", "data", key]


def test_tampered_witness_is_refused(mlp_proven):
    w = mlp_proven.item(1)
    net = mlp()
    k = int(w.label)

    def bump_r(a):
        a[0, 0] += 1e-3

    def raise_label_logit(a):  # the label's enclosure at x + r pushed down: a forged, larger flip
        a[1, 0, k] -= 1.0

    def shrink(a):
        a[1, 0, :] = a[1, 0, :] / 4

    edits = {
        "r": (_wd("r"), lambda v: _edit_array(v, bump_r)),
        "label": (["values", "label"], lambda v: (v + 1) % 3),
        "proven_new_label": (["values", "proven_new_label"], lambda v: (v + 1) % 3),
        "enc_center": (_wd("enc_center"), lambda v: _edit_array(v, raise_label_logit)),
        "enc_radius": (_wd("enc_radius"), lambda v: _edit_array(v, shrink)),
        "rigor": (["rigor"], lambda v: "certified-float64"),
        "certify": (_wd("certify"), lambda v: "auto" if v == "proven" else "proven"),
    }
    for name, (path, fn) in edits.items():
        bad = _edited(w, path, fn)
        for ctx in ({}, {"model": net}):
            v = verify_result(bad, **ctx)
            assert not v.holds, f"{name} {ctx}: {v.message}"


def test_consistent_enclosure_forgery_is_caught_with_the_model_and_capped_without(tie_auto):
    # forge a proof for the tie: shrink the stored radii and re-assemble a self-consistent file
    d = dict(tie_auto.witness.data)
    d["enc_radius"] = np.where(np.isnan(d["enc_radius"]), np.nan, 1e-300)
    forged = assemble(d, False, tie_auto.time_s)
    assert forged.rigor is Rigor.PROVEN  # the forgery claims a proof
    f = load(forged.to_json())
    v = verify_result(f)
    assert v.holds and v.rigor is Rigor.CERTIFIED_FLOAT64  # never proven without re-enclosing
    v = verify_result(f, model=offset_linear())
    assert not v.holds and "not inside the stored one" in v.message


def test_rigor_mode_edit_from_auto_to_proven_is_refused(tie_auto):
    bad = _edited(tie_auto, _wd("certify"), lambda v: "proven")
    assert not verify_result(bad).holds
    bad = _edited(tie_auto, ["rigor"], lambda v: "proven")
    assert not verify_result(bad).holds
    assert verify_result(load(tie_auto.to_json()), model=offset_linear()).holds  # control


def test_verify_with_a_different_model_refuses(mlp_proven, cnn_proven):
    v = verify_result(load(mlp_proven.to_json()), model=mlp(seed=5))
    assert not v.holds
    # a model differing by 1e-9 in one bias: the flips still hold for it, the stored evaluations do not
    other = copy.deepcopy(cnn())
    with torch.no_grad():
        other[-1].bias.add_(1e-9)
    v = verify_result(load(cnn_proven.to_json()), model=other)
    assert not v.holds and "witness[" in v.message, v.message


def test_item_round_trips_and_verifies(cnn_proven):
    for i in range(len(cnn_proven)):
        s = cnn_proven.item(i)
        assert s.values["certify"] == "proven"
        assert verify_result(load(s.to_json()), model=cnn()).holds


def test_robustness_report_passes_certify_and_reports_the_flips_rigor():
    """robustness_report(certify="proven"): every counted flip is proven by enclosures, the report (a flip
    below tol) says proven, verify re-derives it; the default stays certified-float64; a forged rigor fails."""
    from theorycheck.classification import robustness_report

    net = mlp()
    rep = robustness_report(net, X_MLP, methods=("deepfool",), seed=0, device="cpu", tol=10.0, certify="proven")
    w = rep.witnesses["deepfool"]
    assert np.all(np.asarray(w.values["sample_rigor"])[np.asarray(w.success, dtype=bool)] == "proven")
    assert rep.outcome is Outcome.VIOLATED and rep.rigor is Rigor.PROVEN and "proven" in rep.message
    assert verify_result(load(rep.to_json()), model=net).holds
    plain = robustness_report(net, X_MLP, methods=("deepfool",), seed=0, device="cpu", tol=10.0)
    assert plain.rigor is Rigor.CERTIFIED_FLOAT64 and "certified" in plain.message
    d = json.loads(plain.to_json())
    d["fields"]["rigor"] = "proven"
    assert not verify_result(load(json.dumps(d))).holds
    with pytest.raises(InvalidArgument, match="certify"):
        robustness_report(net, X_MLP, methods=("deepfool",), certify="exact")


# -- universal perturbations with proven flips ------------------------------------------------------

def _universal(net, mode, X=None):
    from theorycheck.classification import search_universal_perturbation

    X = np.random.default_rng(4).standard_normal((16, 5)) if X is None else X
    return search_universal_perturbation(net, X[:10], X_test=X[10:], xi=1.5, max_passes=2, seed=0, device="cpu",
                                         progress=False, certify=mode)


def test_universal_proven_flips_are_exact_flips_of_v_itself():
    """Every flip a proven universal result counts is a flip of the exact network at x and x + v (Fractions),
    with r = v (never enlarged); the result is proven and verifies, re-proven with the model."""
    net = mlp()
    w = _universal(net, "proven")
    assert w.outcome is Outcome.VIOLATED and w.rigor is Rigor.PROVEN and "proven" in w.message
    v = np.asarray(w.v)
    counted = 0
    for part in (w.train, w.test):
        D = part.witness.data
        ok = np.asarray(part.values["success"], dtype=bool)
        assert np.all(np.asarray(part.values["sample_rigor"])[ok] == "proven")
        for i in np.flatnonzero(ok):
            assert np.array_equal(D["r"][i], v)
            k0, u0 = exact_argmax(exact_logits(net, D["x"][i]))
            k1, u1 = exact_argmax(exact_logits(net, D["x"][i] + v))
            assert u0 and u1 and k0 != k1
            counted += 1
    assert counted == w.values["n_fooled"] + w.values["test_n_fooled"] > 0
    saved = load(w.to_json())
    assert verify_result(saved, model=net).rigor is Rigor.PROVEN
    capped = verify_result(saved)  # enclosures re-decided, not re-proven: not proven without the model
    assert capped.holds and capped.rigor is not Rigor.PROVEN


def test_universal_auto_and_float64_agree_on_v_and_count_at_least_as_many():
    net = mlp()
    f64, auto = _universal(net, "float64"), _universal(net, "auto")
    assert np.array_equal(f64.v, auto.v)
    assert auto.values["n_fooled"] >= _universal(net, "proven").values["n_fooled"]
    assert f64.rigor is Rigor.CERTIFIED_FLOAT64


def test_universal_proven_refuses_an_unsupported_model_and_auto_falls_back():
    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = mlp()

        def forward(self, x):
            return self.lin(x) + 1e-3 * torch.fft.fft(x).real.sum(dim=-1, keepdim=True)

    net = Odd().eval()
    with pytest.raises((PreconditionError, InvalidArgument)):
        _universal(net, "proven")
    w = _universal(net, "auto")
    assert w.rigor in (Rigor.CERTIFIED_FLOAT64, Rigor.NUMERICAL)


def test_universal_parts_must_count_flips_the_same_way():
    from theorycheck.classification.universal import assemble_universal

    net = mlp()
    p, f = _universal(net, "proven"), _universal(net, "float64")
    with pytest.raises(InvalidArgument, match="counted"):
        assemble_universal(p.witness.data, p.train, f.test, 0.0)


def test_report_verification_without_the_model_is_not_proven():
    from theorycheck.classification import robustness_report

    net = mlp()
    rep = robustness_report(net, X_MLP, methods=("deepfool",), seed=0, device="cpu", tol=10.0, certify="proven")
    assert rep.rigor is Rigor.PROVEN
    v = verify_result(load(rep.to_json()))
    assert v.holds and v.rigor is not Rigor.PROVEN


def test_report_with_mixed_flips_is_not_proven_by_a_verification_without_the_model():
    """Red-team: the reported flip proven, another of the same method only certified-float64 (witness rigor
    certified-float64, report proven): the verifier without the model kept 'proven'."""
    from theorycheck.classification import robustness_report

    net = offset_linear()
    X = np.array([[2e-11, 0.0], [1e-9, 1e6]])  # a flip within the enclosure radius; a clearly proven one
    rep = robustness_report(net, X, methods=("deepfool",), seed=0, device="cpu", tol=10.0, certify="auto",
                            overshoot=1.0)
    w = rep.witnesses["deepfool"]
    assert rep.rigor is Rigor.PROVEN and w.rigor is Rigor.CERTIFIED_FLOAT64
    v = verify_result(load(rep.to_json()))
    assert v.holds and v.rigor is Rigor.CERTIFIED_FLOAT64
    assert verify_result(load(rep.to_json()), model=net).rigor is Rigor.PROVEN
