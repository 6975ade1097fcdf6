"""Trust regressions for theorycheck.classification (issue 11 item 7, NaN/fuzz findings, issue 12).

Ground truths that do not share the library's code:

* the user's own model, run here directly by torch on every stored input alone, twice, in its
  own dtype (and a float64 copy of it);
* affine classifiers in float32: every weight is a dyadic rational, so the real-arithmetic
  logits at the evaluated points are exact :class:`fractions.Fraction` values, and the minimal
  perturbation is ``min_j (f_k − f_j)/‖w_k − w_j‖`` in closed form.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch import nn

from theorycheck.classification import (
    METHODS,
    STATUSES,
    ClassifierWitness,
    RobustnessReport,
    build_digits_classifier,
    check_linear_sensitivity,
    digits_data,
    robustness_report,
    search_minimal_perturbation,
    synthetic_data,
    train_classifier,
)
from theorycheck.errors import InvalidArgument, TheorycheckError
from theorycheck.nets import classifiers as tcm
from theorycheck.results import PROVIDERS, CheckResult, Outcome, Rigor, load, verify_result

U32 = 2.0 ** -24


# ------------------------------------------------------------------------------------------
# independent re-evaluation
# ------------------------------------------------------------------------------------------

def _alone(model, x, dtype) -> np.ndarray:
    """``model`` on ``x`` alone (a fresh batch of one in ``dtype``), as float64 logits ``[0, f]`` for one logit."""
    p = next(iter(list(model.parameters()) + [torch.zeros(())]))
    dev = p.device if isinstance(p, torch.Tensor) else "cpu"
    with torch.no_grad():
        out = model(torch.tensor(np.array(x, dtype=np.float64)[None], dtype=dtype, device=dev))
    z = out.detach().to("cpu", torch.float64).numpy().reshape(-1)
    return np.array([0.0, z[0]]) if z.size == 1 else z


def _flip_holds(model, dtype, x, xa, k) -> bool:
    """Both evaluations of x give k strictly, both of x + r give another class strictly (twice each)."""
    for _ in range(2):
        a, b = _alone(model, x, dtype), _alone(model, xa, dtype)
        top = np.delete(a, k).max()
        if not a[k] > top:
            return False
        if not np.delete(b, k).max() > b[k]:
            return False
    return True


def _check_certified(model, w) -> int:
    """Every certified flip holds for the user's model in its own dtype and for a float64 copy."""
    own = next(model.parameters()).dtype
    m64 = copy.deepcopy(model).double().eval()
    n = 0
    for wi in (w if w.batched else [w]):
        if not wi.success:
            continue
        n += 1
        assert wi.rigor is Rigor.CERTIFIED_FLOAT64 and wi.flipped_float64 and wi.flipped_native
        assert _flip_holds(model, own, wi.x, wi.x + wi.r, wi.label), (wi.status, wi.label)
        assert _flip_holds(m64, torch.float64, wi.x, wi.x + wi.r, wi.label)
    return n


def _mlp(d=10, C=4, seed=0, dtype=torch.float32, hidden=24) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    m = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.Tanh(),
                      nn.Linear(hidden, C)).to(dtype)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64).to(dtype) * 0.6)
    return m.eval()


# ------------------------------------------------------------------------------------------
# class 1: a flip is certified only if it holds for the user's model in its own dtype
# ------------------------------------------------------------------------------------------

def test_issue_instance_float32_digits_every_flip_holds_in_float32():
    # issue 11 item 7: 16 of 200 fast_gradient flips certified in float64 did not flip when the
    # user's float32 model ran (the line search stopped ~1e-6 past the float64 boundary)
    model, data = build_digits_classifier("mlp", seed=0)
    assert next(model.parameters()).dtype == torch.float32
    X = data["X_test"][:200]
    for method in ("fast_gradient", "random"):
        w = search_minimal_perturbation(model, X, method=method, seed=0, device="cpu")
        n_ok = _check_certified(model, w)
        assert n_ok >= (190 if method == "fast_gradient" else 150), (method, n_ok)
        assert w.values["native"] == "float32 on cpu"
        assert "float32 on cpu" in w.message


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("method", METHODS)
def test_own_float32_mlps_every_flip_holds_in_float32(seed, method):
    model = _mlp(seed=seed)
    X = np.random.default_rng(seed + 10).standard_normal((25, 10)) * 2.0
    w = search_minimal_perturbation(model, X, method=method, seed=seed, device="cpu")
    n_ok = _check_certified(model, w)
    assert n_ok >= (10 if method == "random" else 15)
    # every flip the search found was certified (the aim past the boundary and the repair work)
    assert set(w.status) <= {"flipped", "not_found", "zero_gradient"}, set(w.status)
    # the float32 margin at x + r exceeds the output part of the allowance, recomputed here
    for wi in w:
        if wi.success:
            z = _alone(model, wi.x + wi.r, torch.float32)
            k = wi.label
            assert np.delete(z, k).max() - z[k] > 16 * U32 * np.max(np.abs(z))
            assert wi.margin_native > 0 and wi.margin > 0


def _affine(W, b, dtype=torch.float32) -> nn.Module:
    W = np.atleast_2d(W)
    lin = nn.Linear(W.shape[1], W.shape[0]).to(dtype)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(W, dtype=dtype))
        lin.bias.copy_(torch.tensor(np.atleast_1d(b), dtype=dtype))
    return lin.eval()


def _exact_logits(model: nn.Linear, x: np.ndarray) -> list[Fraction]:
    W = model.weight.detach().double().numpy()
    b = model.bias.detach().double().numpy()
    xs = [Fraction(float(v)) for v in x]
    return [sum((Fraction(float(a)) * c for a, c in zip(W[j], xs)), Fraction(float(b[j])))
            for j in range(W.shape[0])]


def _exact_min_dist2(model: nn.Linear, x: np.ndarray, k: int) -> Fraction:
    """Squared minimal perturbation of an affine classifier: min_j (f_k − f_j)² / ‖w_k − w_j‖² (exact)."""
    W = model.weight.detach().double().numpy()
    f = _exact_logits(model, x)
    best = None
    for j in range(W.shape[0]):
        if j == k:
            continue
        dw = sum(Fraction(float(a)) ** 2 for a in (W[k] - W[j]))  # W rows are float32: exact difference
        v = (f[k] - f[j]) ** 2 / dw
        best = v if best is None or v < best else best
    return best


@pytest.mark.parametrize("C", [1, 4])
@pytest.mark.parametrize("method", METHODS)
def test_affine_float32_flips_are_real_and_not_inflated(C, method):
    rng = np.random.default_rng(3 + C)
    d = 7
    model = _affine(rng.standard_normal((C, d)), rng.standard_normal(C))
    X = rng.standard_normal((12, d))
    w = search_minimal_perturbation(model, X, method=method, seed=4, device="cpu")
    n_ok = _check_certified(model, w)
    assert n_ok >= (6 if method == "random" else 12)
    for wi in w:
        if not wi.success:
            continue
        xa64 = wi.x + wi.r
        xa32 = xa64.astype(np.float32).astype(np.float64)
        k = wi.label
        for pt in (xa64, xa32):  # the real-arithmetic classifier flips at both evaluated points
            f = _exact_logits(model, pt)
            f = [Fraction(0), f[0]] if C == 1 else f
            assert max(v for j, v in enumerate(f) if j != k) > f[k]
        f0 = _exact_logits(model, wi.x)
        f0 = [Fraction(0), f0[0]] if C == 1 else f0
        assert max(range(len(f0)), key=f0.__getitem__) == k
        rn2 = sum(Fraction(float(v)) ** 2 for v in wi.r)
        if C == 1:
            wv = model.weight.detach().double().numpy()[0]
            dist2 = f0[1] ** 2 / sum(Fraction(float(a)) ** 2 for a in wv)
        else:
            dist2 = _exact_min_dist2(model, wi.x, k)
        assert rn2 >= dist2  # no flip is shorter than the closed-form minimum
        if method == "deepfool":  # one step to the nearest boundary (+ push), times (1 + η)
            xn = float(np.linalg.norm(wi.x))
            cap = (1.02 * (math.sqrt(float(dist2)) + 1e-4 * xn)) * (1 + 1e-3)
            assert math.sqrt(float(rn2)) <= cap
        else:  # the first crossing along the direction, bisected, pushed past by a hair
            v = wi.r / np.linalg.norm(wi.r)
            Wm = model.weight.detach().double().numpy()
            bm = model.bias.detach().double().numpy()
            z0 = Wm @ wi.x + bm
            if C == 1:
                alpha = -z0[0] / (Wm[0] @ v)
            else:
                slopes = [(Wm[j] - Wm[k]) @ v for j in range(C)]
                alpha = min((z0[k] - z0[j]) / s for j, s in enumerate(slopes) if j != k and s > 0)
            assert math.sqrt(float(rn2)) <= alpha * (1 + 1e-3)  # at most 0.1 % past the crossing


def test_float16_and_bfloat16_models_are_checked_in_their_own_dtype():
    for dt in (torch.float16, torch.bfloat16):
        model = _mlp(d=6, C=3, seed=5, dtype=dt, hidden=16)
        X = np.random.default_rng(5).standard_normal((10, 6)) * 2
        try:
            w = search_minimal_perturbation(model, X, method="deepfool", device="cpu")
        except InvalidArgument as exc:  # a CPU build without half kernels: refused cleanly
            assert "raised" in str(exc)
            continue
        assert w.values["native"] == f"{str(dt)[6:]} on cpu"
        n_ok = _check_certified(model, w)
        assert n_ok >= 1
        # the allowance is at least 16 u max|f| of the coarse dtype
        u = {torch.float16: 2.0 ** -11, torch.bfloat16: 2.0 ** -8}[dt]
        for wi in w:
            if wi.success:
                z = _alone(model, wi.x + wi.r, dt)
                assert wi.values["allowance_native"][1] >= 16 * u * np.max(np.abs(z))


class _Sine(nn.Module):
    """Binary float32 classifier f(x) = sin(s·x₀): float32 rounding of the input moves the phase."""

    def __init__(self, s: float):
        super().__init__()
        self.s = nn.Parameter(torch.tensor(s, dtype=torch.float32))

    def forward(self, x):
        return torch.sin(self.s * x[:, 0])


def test_float64_and_float32_labels_that_disagree_are_never_certified():
    # sin(s·x₀) near its zero at x₀ = π/s: float32 rounds x₀ (and s·x₀) to another phase
    model = _Sine(1.0e7).eval()
    m64 = copy.deepcopy(model).double()
    found = 0
    for x0 in math.pi / 1e7 + np.arange(-60, 60, 7) * 1e-17:
        x = np.array([x0, 0.0])
        a32, a64 = _alone(model, x, torch.float32), _alone(m64, x, torch.float64)
        if a32[1] == 0 or a64[1] == 0 or (a32[1] > 0) == (a64[1] > 0):
            continue
        found += 1
        w = search_minimal_perturbation(model, x, device="cpu", batched=False)
        assert not w.success and w.status == "label_tie" and w.rigor is Rigor.NUMERICAL
        assert np.sign(w.values["gap"]) != np.sign(w.values["gap_native"])
        assert abs(w.values["gap_native"]) <= w.values["allowance_native"][0]
    assert found >= 3


class _BatchMix32(nn.Module):
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(3)
        self.lin = nn.Linear(4, 3)
        with torch.no_grad():
            for p in self.lin.parameters():
                p.copy_(torch.randn(p.shape, generator=g))

    def forward(self, x):
        return self.lin(x - 0.8 * x.mean(0, keepdim=True))


def test_batch_dependent_float32_model_is_certified_sample_by_sample():
    m = _BatchMix32().eval()
    X = np.random.default_rng(2).standard_normal((10, 4))
    total = 0
    for method in ("random", "fast_gradient"):
        w = search_minimal_perturbation(m, X, method=method, seed=1, device="cpu", batched=True)
        total += _check_certified(m, w)
        assert np.array_equal(np.asarray(w.recheck(m)), np.asarray(w.success))
    assert total > 0


class _Flaky(nn.Module):
    """float32 model whose every second call adds a rounding-sized wobble."""

    def __init__(self):
        super().__init__()
        self.inner = _mlp(d=4, C=3, seed=7)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.inner(x) * (1.0 + (self.calls % 2) * 1e-6)


def test_native_nondeterminism_is_not_certified():
    # a model alternating between two outputs: every input is evaluated twice in a row
    for n in (3, 4):
        w = search_minimal_perturbation(_Flaky(), np.random.default_rng(n).standard_normal((n, 4)),
                                        device="cpu", batched=True)
        assert not np.asarray(w.success).any()
        assert "nondeterministic" in set(w.status)
        assert set(w.status) <= {"nondeterministic", "label_tie", "not_found"}


def test_verify_with_the_model_reruns_both_evaluations():
    model = _mlp(seed=1)
    X = np.random.default_rng(1).standard_normal((6, 10)) * 2
    w = search_minimal_perturbation(model, X, method="fast_gradient", device="cpu")
    saved = load(w.to_json())
    assert verify_result(saved).holds and "taken from the file" in verify_result(saved).message
    assert verify_result(saved, model=model).holds
    assert np.array_equal(saved.recheck(model), w.success)
    # another model (weights moved by 1e-3): the stored logits no longer match
    other = copy.deepcopy(model)
    with torch.no_grad():
        other[0].weight.mul_(1.001)
    out = verify_result(saved, model=other)
    assert out.violated and "re-run" in out.message
    # the float64 version of the model is not the model the file's flips were certified for
    out = verify_result(saved, model=copy.deepcopy(model).double())
    assert out.violated and "native" in out.message
    # a model that flips nowhere: every certified flip is refuted
    const = _affine(np.zeros((4, 10)), [1.0, 0.0, 0.0, 0.0])
    assert not np.asarray(saved.recheck(const)).any()
    assert verify_result(saved, model=const).violated


def test_witness_reports_which_precisions_flipped():
    model = _mlp(seed=2)
    w = search_minimal_perturbation(model, np.random.default_rng(2).standard_normal((8, 10)),
                                    device="cpu")
    for key in ("flipped_float64", "flipped_native", "margin_native", "gap_native", "allowance_native"):
        assert key in w.values
    ok = np.asarray(w.success)
    assert np.all(np.asarray(w.flipped_float64)[ok]) and np.all(np.asarray(w.flipped_native)[ok])
    # float64 CPU model: one evaluation, estimated against a float32 probe
    m64 = _mlp(seed=2, dtype=torch.float64)
    w64 = search_minimal_perturbation(m64, np.random.default_rng(2).standard_normal((8, 10)), device="cpu")
    assert "float32 probe" in w64.values["native"]
    assert "nat" not in w64.witness.data and "probe" in w64.witness.data and "dup" in w64.witness.data
    assert np.array_equal(w64.flipped_float64, w64.flipped_native)
    assert "nat" in w.witness.data and "probe" not in w.witness.data and "dup" not in w.witness.data


class _RoundingOnly(nn.Module):
    """Identically zero in exact arithmetic: (x·w) − Σ x_i w_i, two accumulation orders of one sum."""

    def __init__(self, d: int, dtype=torch.float64):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = nn.Parameter(torch.randn(d, 1, dtype=torch.float64, generator=g).to(dtype))

    def forward(self, x):
        return (x @ self.w)[:, 0] - (x * self.w[:, 0]).sum(1)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_flips_made_of_rounding_noise_are_not_certified(dtype):
    # ground truth: the classifier is the zero function, so no label exists and nothing flips;
    # every "flip" the search finds is rounding noise of one accumulation order
    m = _RoundingOnly(513, dtype).eval()
    rng = np.random.default_rng(0)
    statuses = []
    for t in range(30):
        w = search_minimal_perturbation(m, rng.standard_normal(513), method="random", device="cpu", seed=t,
                                        batched=False)
        statuses.append(w.status)
        assert not w.success, (t, w.values["margin"], w.values["allowance_float64"])
    assert set(statuses) <= {"label_tie", "not_certified", "precision_mismatch", "not_found"}
    if dtype == torch.float64:  # the label of x looked decided and the search did flip: refused
        assert "not_certified" in statuses or "precision_mismatch" in statuses


# ------------------------------------------------------------------------------------------
# class 2: NaN/inf, bad arguments, misbehaving models
# ------------------------------------------------------------------------------------------

def test_nan_and_inf_samples_are_refused_naming_the_index():
    model = _mlp(d=6, C=3, dtype=torch.float64)
    X = np.random.default_rng(0).standard_normal((5, 6))
    for bad in (np.nan, np.inf, -np.inf):
        Xb = X.copy()
        Xb[3, 1] = bad
        with pytest.raises(InvalidArgument, match=r"x\[3\]"):
            search_minimal_perturbation(model, Xb, device="cpu")
        with pytest.raises(InvalidArgument, match=r"x\[3\]"):
            robustness_report(model, Xb, device="cpu")
        with pytest.raises(InvalidArgument, match="NaN or inf"):
            search_minimal_perturbation(model, Xb[3], device="cpu")


def test_linear_sensitivity_refuses_strings_bools_and_non_finite():
    for kw in ({"eps": "0.1"}, {"eps": True}, {"eps": None}, {"eps": math.nan}, {"eps": -1.0},
               {"b": "0.5"}, {"b": False}, {"b": math.inf}):
        args = {"eps": 0.1, **kw}
        with pytest.raises(InvalidArgument):
            check_linear_sensitivity([1.0, 2.0], [0.5, 0.5], **args)
    for w, x in ((["1", "2"], [1.0, 2.0]), ([1.0, 2.0], "ab"), ([1 + 1j, 2.0], [1.0, 2.0]), ([], []),
                 (np.array([2 ** 62, 1]), [1.0, 1.0])):
        with pytest.raises(InvalidArgument):
            check_linear_sensitivity(w, x, 0.1)


class _WrongRows(nn.Module):
    def forward(self, x):
        return torch.zeros(x.shape[0] + 1, 3, dtype=x.dtype)


class _IntLogits(nn.Module):
    def forward(self, x):
        return torch.zeros(x.shape[0], 3, dtype=torch.long)


class _TupleOut(nn.Module):
    def forward(self, x):
        return (x,)


class _NaNOut(nn.Module):
    def forward(self, x):
        return torch.full((x.shape[0], 3), float("nan"), dtype=x.dtype)


class _Huge(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = _affine(np.arange(18.0).reshape(3, 6) / 10 + 0.05, [0.1, 0.2, 0.3], torch.float64)

    def forward(self, x):
        return self.lin(x) * 1e308 * 10  # inf


@pytest.mark.parametrize("model", [_WrongRows(), _IntLogits(), _TupleOut(), "model", None, len])
def test_models_returning_junk_are_refused(model):
    with pytest.raises(InvalidArgument):
        search_minimal_perturbation(model, np.zeros((3, 6)), device="cpu", batched=True)


@pytest.mark.parametrize("model", [_NaNOut(), _Huge()])
def test_models_returning_nan_give_per_sample_statuses_not_numbers(model):
    w = search_minimal_perturbation(model, np.random.default_rng(0).standard_normal((3, 6)),
                                    device="cpu", batched=True)
    assert set(w.status) == {"nan_output"} and not np.asarray(w.success).any()
    assert np.isnan(w.ratio).all() and np.all(w.label == -1)
    assert w.outcome is Outcome.INCONCLUSIVE and w.rigor is Rigor.NUMERICAL


_BAD_SCALARS = [None, "3", True, -1, 0, 1.5, math.nan, math.inf, 2 ** 70, 1e300, object(), [1], 3 + 1j]


def _refused(f, *args, **kwargs) -> str | None:
    """None when ``f(*args, **kwargs)`` raises a TheorycheckError within 60 s; otherwise what happened."""

    def alarm(signum, frame):  # pragma: no cover - only on a hang
        raise TimeoutError

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(60)
    t0 = time.perf_counter()
    try:
        f(*args, **kwargs)
        return "returned"
    except TheorycheckError:
        return None if time.perf_counter() - t0 < 20 else "slow"
    except TimeoutError:
        return "hang"
    except Exception as exc:  # noqa: BLE001 - that is what the test looks for
        return f"raw {type(exc).__name__}: {exc}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _valid(p, v) -> bool:
    """Values that are legitimately valid for a parameter (the fuzz skips them)."""
    num = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return {
        "seed": v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0),
        "overshoot": num and 0 <= v <= 10,
        "max_iter": isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 10_000,
        "batch_size": v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1),
        "candidates": v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 2),
        "batched": v is None or isinstance(v, bool),
        "labels": v is None,
        "device": v is None,
        "tol": num and v >= 0,
        "n_figure": isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "figure": v is None,
        "image_shape": v is None,
        "eps": num and v >= 0,
        "b": num,
    }.get(p, False)


def test_search_and_report_refuse_every_bad_argument():
    model = _mlp(d=6, C=3, dtype=torch.float64)
    X = np.random.default_rng(1).standard_normal((3, 6))
    problems = []
    for p in ("method", "overshoot", "max_iter", "seed", "device", "batch_size", "labels", "candidates",
              "batched"):
        for v in _BAD_SCALARS + ["nope"]:
            if not _valid(p, v):
                why = _refused(search_minimal_perturbation, model, X, **{p: v})
                if why:
                    problems.append(f"search {p}={v!r}: {why}")
    for xv in (None, "abc", X.astype(complex), X[:, :5], np.zeros((0, 6)), np.zeros(0), np.array(3.0),
               np.array([["a"] * 6] * 3), np.array([2 ** 60] * 6, dtype=np.int64),
               np.full(6, np.longdouble(1) + np.longdouble(2) ** -60)):
        why = _refused(search_minimal_perturbation, model, xv, device="cpu")
        if why:
            problems.append(f"search x={xv!r:.40}: {why}")
    for lab in ([0, 1], [0.5, 1, 2], [True, False, True], [10 ** 20] * 3, ["a"] * 3, [np.nan] * 3,
                np.array([[0, 1, 2]])):
        why = _refused(search_minimal_perturbation, model, X, labels=lab, device="cpu")
        if why:
            problems.append(f"search labels={lab!r}: {why}")
    for p, vals in {"methods": [None, "nope", ["deepfool", "deepfool"], 3, [], ("deepfool", 3)],
                    "tol": _BAD_SCALARS, "n_figure": _BAD_SCALARS,
                    "figure": ["/nonexistent/folder/x.png", 3, "/tmp/x.unknownext", True],
                    "image_shape": [(5,), (2, 3, 1), "8x8", (-2, -3), (2, 3.5)]}.items():
        for v in vals:
            if not _valid(p, v):
                why = _refused(robustness_report, model, X, device="cpu", **{p: v})
                if why:
                    problems.append(f"report {p}={v!r}: {why}")
    for p in ("eps", "b"):
        for v in _BAD_SCALARS:
            if not _valid(p, v):
                why = _refused(check_linear_sensitivity, [1.0, 2.0], [0.5, 0.5], **{"eps": 0.1, p: v})
                if why:
                    problems.append(f"linear {p}={v!r}: {why}")
    assert not problems, "\n".join(problems)


def test_figure_folder_is_checked_before_the_work(monkeypatch):
    calls = []
    monkeypatch.setattr("theorycheck.classification.report.search_minimal_perturbation",
                        lambda *a, **k: calls.append(1))
    with pytest.raises(InvalidArgument, match="does not exist"):
        robustness_report(_mlp(d=6, C=3), np.zeros((2, 6)), figure="/no/such/folder/fig.png")
    assert not calls


def test_data_and_training_helpers_refuse_bad_arguments():
    problems = []
    cases = {
        synthetic_data: ({"n": 10, "d": 3, "n_classes": 2},
                         {"n": [2 ** 70, 0, "3", 1.5], "d": [2 ** 70, 0], "n_classes": [2 ** 70, 1],
                          "separation": [None, "3", True, -1.0, math.nan, 1e300, 3 + 1j],
                          "test_fraction": [None, "0.5", 0.0, 1.0, math.nan, True], "seed": [-1, 2 ** 70, "a"]}),
        digits_data: ({}, {"test_fraction": [None, "0.5", 1.5, [1]], "seed": [-1, 2 ** 70, 1.5]}),
        build_digits_classifier: ({"arch": "mlp", "epochs": 1},
                                  {"arch": ["resnet", 3, None], "epochs": [2 ** 70, -1, 1.5, "1"],
                                   "seed": [2 ** 70, -1, "0"]}),
    }
    for fn, (kw, bad) in cases.items():
        for p, vals in bad.items():
            for v in vals:
                why = _refused(fn, **{**kw, p: v})
                if why:
                    problems.append(f"{fn.__name__} {p}={v!r}: {why}")
    for cls, kw, bad in ((tcm.MLP, {}, {"d": [2 ** 40, 0, "3", True], "hidden": [0, 10 ** 9], "n_classes": [0]}),
                         (tcm.SmallCNN, {}, {"side": [7, 0, 2 ** 30, 1.5], "channels": [True, 10 ** 6],
                                             "n_classes": [-1]})):
        for p, vals in bad.items():
            for v in vals:
                why = _refused(cls, **{**kw, p: v})
                if why:
                    problems.append(f"{cls.__name__} {p}={v!r}: {why}")
    X, y = np.random.default_rng(0).standard_normal((3, 6)), [0, 1, 2]
    for p, vals in {"epochs": [2 ** 70, -1, 1.5], "lr": [None, "3", True, -1, 0, math.nan, math.inf, 1e300],
                    "weight_decay": [None, "3", -1, math.nan, 1e300], "batch_size": [0, 1.5, "2"],
                    "seed": [2 ** 70, -1], "X": [None, "a", np.zeros((0, 6)), np.full((3, 6), np.nan),
                                                 X[:, :2]],
                    "y": [None, [0, 1], [0.5] * 3, [-1, 0, 1], [5, 0, 1], ["a"] * 3]}.items():
        for v in vals:
            kw = {"model": _mlp(d=6, C=3), "X": X, "y": y, "epochs": 1, p: v}
            why = _refused(train_classifier, **kw)
            if why:
                problems.append(f"train_classifier {p}={v!r}: {why}")
    assert not problems, "\n".join(problems)


def test_labels_out_of_range_are_per_sample_statuses():
    model = _mlp(d=6, C=3, dtype=torch.float64)
    X = np.random.default_rng(3).standard_normal((3, 6))
    w = search_minimal_perturbation(model, X, labels=[-1, 3, 10 ** 9], device="cpu")
    assert list(w.status) == ["label_out_of_range"] * 3 and w.values["n_searched"] == 0
    assert math.isnan(w.success_rate) and w.outcome is Outcome.INCONCLUSIVE


# ------------------------------------------------------------------------------------------
# class 3: ClassifierWitness is a CheckResult; verifiers re-derive every claim
# ------------------------------------------------------------------------------------------

def _sample_witness(dtype=torch.float32):
    model = _mlp(d=6, C=3, seed=4, dtype=dtype)
    X = np.random.default_rng(4).standard_normal((5, 6)) * 2
    return model, search_minimal_perturbation(model, X, method="deepfool", device="cpu")


def test_classifier_witness_is_a_check_result_with_items():
    model, w = _sample_witness()
    assert isinstance(w, CheckResult) and w.check == "classifier_perturbation" and w.batched
    assert w.to_result() is w and w["n"] == 5 and len(w) == 5
    assert w.values["elapsed_s"] == w.time_s > 0 and "elapsed_s" in ClassifierWitness.informational
    for i, wi in enumerate(w):
        assert not wi.batched and wi == w.item(i) == w[i]
        assert wi.label == w.label[i] and wi.status == w.status[i] and wi.success == w.success[i]
        assert np.array_equal(wi.x, w.x[i]) and np.array_equal(wi.r, w.r[i])
        assert wi.ratio == w.ratio[i] or (math.isnan(wi.ratio) and math.isnan(w.ratio[i]))
        assert verify_result(load(wi.to_json()), model=model).holds
    assert w.item(-1) == w.item(4)
    for bad in (5, -6, 1.5, "0", True):
        with pytest.raises((InvalidArgument, KeyError)):
            w.item(bad) if not isinstance(bad, str) else w[bad]
    back = load(w.to_json())
    assert isinstance(back, ClassifierWitness) and back == w
    assert set(back.status) <= set(STATUSES)


def test_elapsed_time_is_not_a_claim_but_everything_else_is():
    model, w = _sample_witness()
    d = json.loads(w.to_json())
    d["fields"]["values"]["elapsed_s"] = 1234.5
    assert verify_result(load(json.dumps(d))).holds
    from theorycheck.results import decode, encode

    for key in ("ratio", "norm_r", "margin", "allowance_float64", "success", "status", "label"):
        e = json.loads(w.to_json())
        flat = decode(e["fields"]["values"][key]).copy()
        shape = flat.shape
        flat = flat.ravel()
        i = int(np.argmax(np.asarray(w.success)))  # a certified sample: every value is a number
        j = i * (flat.size // len(w))
        if flat.dtype.kind == "f":
            flat[j] = flat[j] * 1.5 + 1.0
        elif flat.dtype.kind == "b":
            flat[j] = not flat[j]
        elif flat.dtype.kind in "iu":
            flat[j] = flat[j] + 1
        else:
            flat[j] = "not_found"
        e["fields"]["values"][key] = encode(flat.reshape(shape))
        assert verify_result(load(json.dumps(e))).violated, key


@functools.lru_cache(maxsize=1)
def _hostile_base() -> str:
    model, w = _sample_witness(torch.float64)
    labels = np.asarray(w.label).copy()
    labels[1] = (labels[1] + 1) % 3  # one skipped sample
    w = search_minimal_perturbation(model, w.x, labels=labels, device="cpu")
    assert verify_result(w).holds and w.status[1] == "already_misclassified"
    return w.to_json()


@pytest.mark.parametrize("edit", [
    "extra_key", "missing_key", "no_samples", "wrong_dtype", "bad_code", "logits_where_not_evaluated",
    "batched_not_bool", "nat_on_float64_model", "bad_method", "search_status_of_skipped",
    "r_of_skipped", "negative_iterations", "huge_dtype_name",
])
def test_hostile_witness_data_is_rejected_not_crashing(edit):
    d = json.loads(_hostile_base())
    wd = d["fields"]["witness"]["__witness__"]["data"]
    from theorycheck.results import decode, encode

    def arr(k):
        return decode(wd[k]).copy()

    if edit == "extra_key":
        wd["bonus"] = 1
    elif edit == "missing_key":
        del wd["f64_code"]
    elif edit == "no_samples":
        for k in ("x", "r"):
            wd[k] = encode(arr(k)[:0])
    elif edit == "wrong_dtype":
        wd["f64"] = encode(arr("f64").astype(np.float32))
    elif edit == "bad_code":
        c = arr("f64_code")
        c[0, 0, 0] = 7
        wd["f64_code"] = encode(c)
    elif edit == "logits_where_not_evaluated":
        f = arr("f64")
        f[0, 1, 1] = 0.0  # sample 1 was skipped: its second evaluation of x does not exist
        wd["f64"] = encode(f)
    elif edit == "batched_not_bool":
        d["fields"]["batched"] = 2
    elif edit == "nat_on_float64_model":
        wd["nat"], wd["nat_code"], wd["native_out"] = wd["f64"], wd["f64_code"], "float64"
        del wd["probe"], wd["probe_code"], wd["probe_out"]
    elif edit == "bad_method":
        wd["method"] = "pgd"
    elif edit == "search_status_of_skipped":
        s = arr("search_status")
        s[1] = "found"
        wd["search_status"] = encode(s)
    elif edit == "r_of_skipped":
        r = arr("r")
        r[1] = 1.0
        wd["r"] = encode(r)
    elif edit == "negative_iterations":
        it = arr("iterations")
        it[0] = -1
        wd["iterations"] = encode(it)
    elif edit == "huge_dtype_name":
        wd["f64_out"] = "float64" * 1000
    text = json.dumps(d)
    try:
        res = load(text)
    except InvalidArgument:
        return
    out = verify_result(res)
    assert out.violated, (edit, out.message)


def test_report_is_rederived_from_its_witnesses_and_nested_edits_are_rejected(tmp_path):
    model = _mlp(d=6, C=3, seed=6)
    X = np.random.default_rng(6).standard_normal((6, 6)) * 2
    rep = robustness_report(model, X, methods=("random", "deepfool"), seed=0, device="cpu", tol=0.5,
                            figure=tmp_path / "f.png", n_figure=2)
    assert isinstance(rep, RobustnessReport) and rep.figure == str(tmp_path / "f.png")
    assert all(isinstance(w, ClassifierWitness) for w in rep.witnesses.values())
    for m, s in rep.stats.items():
        ok = np.asarray(rep.witnesses[m].success)
        ratios = np.asarray(rep.witnesses[m].ratio)[ok]
        assert s["n_flipped"] == ok.sum() and s["min"] == ratios.min()
        assert s["median"] == pytest.approx(np.median(ratios), rel=1e-15)
    saved = json.loads(rep.to_json())
    assert verify_result(load(json.dumps(saved))).holds
    assert verify_result(load(json.dumps(saved)), model=model).holds
    # the figure path and the timing are not claims
    e = json.loads(json.dumps(saved))
    e["fields"]["figure"] = "elsewhere.png"
    e["fields"]["values"]["elapsed_s"] = 9.0
    assert verify_result(load(json.dumps(e))).holds
    # edits inside a method's witness
    for path in (("values", "ratio"), ("outcome",), ("message",), ("values", "n_flipped")):
        e = json.loads(json.dumps(saved))
        inner = e["fields"]["witnesses"]["deepfool"]["__result__"]["fields"]
        if path == ("outcome",):
            inner["outcome"] = "holds"
        elif path == ("message",):
            inner["message"] += " (edited)"
        elif path == ("values", "n_flipped"):
            inner["values"]["n_flipped"] += 1
        else:
            from theorycheck.results import decode, encode

            a = decode(inner["values"]["ratio"]).copy()
            i = int(np.flatnonzero(np.isfinite(a))[0])
            a[i] *= 0.5
            inner["values"]["ratio"] = encode(a)
        assert verify_result(load(json.dumps(e))).violated, path
    # a witness of another method under the key, or run on other inputs
    e = json.loads(json.dumps(saved))
    e["fields"]["witnesses"]["deepfool"] = e["fields"]["witnesses"]["random"]
    assert verify_result(load(json.dumps(e))).violated
    # tol edited by one ulp changes the message
    e = json.loads(json.dumps(saved))
    e["fields"]["values"]["tol"] = float(np.nextafter(0.5, 1))
    assert verify_result(load(json.dumps(e))).violated
    # with another model every flip is re-run and refuted
    other = copy.deepcopy(model)
    with torch.no_grad():
        other[0].bias.add_(0.5)
    assert verify_result(load(json.dumps(saved)), model=other).violated


@pytest.mark.skipif("ClassifierWitness" not in PROVIDERS, reason="results.PROVIDERS lacks ClassifierWitness "
                    "(the lead adds the entry)")
def test_saved_witness_loads_and_verifies_in_a_fresh_process(tmp_path):
    _, w = _sample_witness()
    path = tmp_path / "w.json"
    w.to_json(str(path))
    code = ("import sys; from theorycheck.results import load, verify_result; "
            "r = load(sys.argv[1]); v = verify_result(r); print(type(r).__name__, v.outcome.value)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                         env=dict(os.environ), timeout=300)
    assert out.stdout.split() == ["ClassifierWitness", "holds"], out.stderr[-2000:]


def test_linear_sensitivity_verifier_recomputes_every_claim():
    r = check_linear_sensitivity([1.0, -2.0, 0.5], [0.1, 0.2, 0.3], 0.01, b=0.25)
    d = json.loads(r.to_json())
    assert verify_result(load(json.dumps(d))).holds
    for k in ("eps", "b"):  # parameters in the witness
        e = json.loads(json.dumps(d))
        e["fields"]["witness"]["__witness__"]["data"][k] = "0.1"
        assert verify_result(load(json.dumps(e))).violated
    e = json.loads(json.dumps(d))
    e["fields"]["witness"]["__witness__"]["data"]["extra"] = 1
    assert verify_result(load(json.dumps(e))).violated
    e = json.loads(json.dumps(d))
    e["fields"]["rigor"] = "certified-float64"
    assert verify_result(load(json.dumps(e))).violated
