"""Proven instability certificates (rigor="proven"/"auto", docs/theory.md §7.4) and seed 004's
strongest form of the theorem (issue 17 item 1, docs/theory.md §3.3).

Ground truth is independent of the code under test: exact rationals for the affine maps
(``Fraction``), mpmath's SVD at 50 digits for ‖W‖, and the float64 certificate for comparison.
"""

from __future__ import annotations

import dataclasses
import json
import re
from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.errors import InvalidArgument, PreconditionError  # noqa: E402
from theorycheck.instability import check_instability, verify_instability  # noqa: E402
from theorycheck.results import Outcome, Rigor, load, verify_result  # noqa: E402


def _affine(W: np.ndarray, b: np.ndarray):
    net = torch.nn.Linear(W.shape[1], W.shape[0]).double()
    with torch.no_grad():
        net.weight.copy_(torch.tensor(W))
        net.bias.copy_(torch.tensor(b))
    return net


def _exact_ratio_bound(W: np.ndarray) -> float:
    import mpmath

    with mpmath.workdps(50):
        s = mpmath.svd_r(mpmath.matrix(W.tolist()), compute_uv=False)
        return float(max(s))


@pytest.mark.parametrize("offset", [0.0, 1e6, 1e12])
def test_affine_large_offset_proven_bound_never_exceeds_norm_W(offset):
    # Ψ(y) = W y + b: Ψ(y) − Ψ(y′) = W(y − y′) exactly, so every ratio is ≤ ‖W‖ (diagonal W: exact)
    A = np.array([[1.0, 0.0], [0.0, 1e-3]])
    W = np.diag([1.0, 1e3])
    net = _affine(W, np.array([offset, -offset]))
    for k in range(5):
        x = np.array([0.25 * k, 0.5])
        xp = x + np.array([0.0, 1.0 + 0.1 * k])
        cert = check_instability(net, A, x, xp, ball_samples=0, rigor="proven")
        assert Fraction(cert.lower_bound) <= Fraction(1000)
        assert cert.lower_bound > 0 or offset >= 1e12  # wide enclosures may give 0, never more than ‖W‖
        if offset == 0.0:
            assert cert.holds and cert.rigor is Rigor.PROVEN and cert.lower_bound > 999.99


def test_affine_dense_W_proven_bound_below_mpmath_norm():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((3, 3))
    W = rng.standard_normal((3, 3)) * 10
    net = _affine(W, np.full(3, 1e9))
    norm_W = _exact_ratio_bound(W)
    for _ in range(4):
        x = rng.standard_normal(3)
        xp = x + 1e-3 * rng.standard_normal(3)
        cert = check_instability(net, A, x, xp, ball_samples=0, rigor="proven")
        # the ratio is over ‖y − y′‖ = ‖A(x − x′)‖; Ψ's change is ‖W(y − y′)‖ ≤ ‖W‖‖y − y′‖
        assert cert.lower_bound <= norm_W * (1 + 1e-12)


def test_proven_certificate_verifies_with_model_and_is_downgraded_without():
    A = np.array([[1.0, 0.0], [0.0, 1e-3]])
    net = _affine(np.diag([1.0, 1e3]), np.zeros(2))
    cert = check_instability(net, A, [0.25, 0.5], [0.25, 1.5], ball_samples=0, rigor="proven")
    assert cert.holds and cert.rigor is Rigor.PROVEN
    saved = load(cert.to_json())
    with_model = verify_result(saved, model=net)
    assert with_model.holds and with_model.rigor is Rigor.PROVEN and with_model.values["psi_reevaluated"]
    without = verify_result(saved)
    assert without.holds and without.rigor is Rigor.NUMERICAL
    assert "not re-proven" in without.values["not_rechecked"]
    # another network: its enclosure is not inside the stored one
    other = _affine(np.diag([1.0, 1e3 + 1]), np.zeros(2))
    assert verify_result(saved, model=other).outcome is Outcome.VIOLATED
    # a stored radius shrunk to zero is either a claim mismatch or not contained
    d = json.loads(cert.to_json())
    assert verify_instability(cert, model=net).holds
    forged = dataclasses.replace(cert, rigor=Rigor.CERTIFIED_FLOAT64)
    assert not verify_instability(forged, model=net).holds
    assert d["fields"]["rigor"] == "proven"


def test_rigor_argument_and_fallback():
    A = np.array([[1.0, 0.0], [0.0, 1e-3]])
    psi = lambda y: np.array([y[0], 1e3 * y[1]])  # noqa: E731 - numpy: no enclosure
    with pytest.raises(PreconditionError):
        check_instability(psi, A, [0.0, 0.0], [0.0, 1.0], ball_samples=0, rigor="proven")
    auto = check_instability(psi, A, [0.0, 0.0], [0.0, 1.0], ball_samples=0, rigor="auto")
    assert auto.holds and auto.rigor is Rigor.CERTIFIED_FLOAT64
    assert "numpy-backend" in auto.values["rigor_note"] and "instead of proven" in auto.message
    with pytest.raises(InvalidArgument):
        check_instability(psi, A, [0.0, 0.0], [0.0, 1.0], rigor="exact")
    # an unsupported layer: proven names it, auto falls back
    net = torch.nn.Sequential(torch.nn.Linear(2, 2).double(), torch.nn.GELU())
    with pytest.raises(PreconditionError, match="gelu"):
        check_instability(net, A, [0.0, 0.0], [0.0, 1.0], ball_samples=0, rigor="proven")
    res = check_instability(net, A, [0.0, 0.0], [0.0, 1.0], ball_samples=0, rigor="auto")
    assert res.rigor is not Rigor.PROVEN and "gelu" in res.values["rigor_note"].lower()


def test_seed_004_summed_accuracy_and_eta_form():
    # Ψ(y) = (y₀ + 0.002, 998.4·y₁): errors 0.002 and ≈0.0161, ‖A(x − x′)‖ = 0.01: each-form fails at
    # η = 0.01, the summed form holds
    A = np.array([[1.0, 0.0], [0.0, 1e-3]])
    x, xp = np.array([0.0, 0.0]), np.array([0.0, 10.0])
    off = torch.nn.Linear(2, 2).double()
    with torch.no_grad():
        off.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 998.4]], dtype=torch.float64))
        off.bias.copy_(torch.tensor([0.002, 0.0], dtype=torch.float64))
    for rigor in ("certified-float64", "proven"):
        cert = check_instability(off, A, x, xp, ball_samples=0, rigor=rigor)
        errs = (cert.values["error_x"], cert.values["error_x_prime"])
        assert errs[0] == pytest.approx(0.002, rel=1e-9)
        assert errs[1] == pytest.approx(float(np.hypot(0.002, 0.016)), rel=1e-9)
        assert errs[1] > 0.01 > sum(errs) / 2  # seed 002's form would need η ≥ 0.0161
        assert cert.holds, cert.message
        # η is the larger of the mean error and ‖A(x − x′)‖ = 0.01, not the larger error
        assert cert.eta == pytest.approx(max(sum(errs) / 2, 0.01), rel=1e-9)
        if errs[1] > cert.eta:
            assert cert.values["accuracy_form"].endswith("(seed 004)")
            assert "‖Ψ(Ax) − x‖ + ‖Ψ(Ax′) − x′‖ < 2η" in cert.hypotheses
        D = 10.0
        for eps in (cert.eta, 2 * cert.eta, 50 * cert.eta):
            assert cert.theorem_bound(eps) == pytest.approx((D - 2 * cert.eta) / cert.eta, rel=1e-12)


def test_demo_unet_certificate_is_proven():
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.nets.pretrained import load_demo_unet

    torch.set_num_threads(1)
    model, s = load_demo_unet()
    psi = as_reconstruction_map(model, input="adjoint", eval_mode=True)
    cert = check_instability(psi, s.A, s.x, s.x_prime, ball_samples=0, rigor="proven")
    flt = check_instability(psi, s.A, s.x, s.x_prime, ball_samples=0)
    assert cert.holds and cert.rigor is Rigor.PROVEN, cert.message
    # seed 004's summed hypothesis: η ≈ 0.2103 (was 0.2146 with each error below η)
    assert cert.eta == pytest.approx(0.2102, abs=5e-4) and flt.eta == pytest.approx(cert.eta, rel=1e-8)
    assert abs(cert.lower_bound - flt.lower_bound) <= 1e-8 * flt.lower_bound
    assert verify_result(load(cert.to_json()), model=model).holds


def test_search_worst_perturbation_proven_ratio_below_exact_gain():
    # Ψ(y) = W y + b (large b): the exact ratio is ‖W Δy‖/‖Δy‖ ≤ ‖W‖ (mpmath SVD); the proven one is below
    from theorycheck.instability import search_worst_perturbation

    rng = np.random.default_rng(7)
    A = rng.standard_normal((4, 6))
    W = rng.standard_normal((6, 4))
    net = _affine(W, np.full(6, 1e8))
    x = rng.standard_normal((3, 6))
    w = search_worst_perturbation(net, A, x, budget=0.05, steps=5, seed=0, progress=False, certify="proven")
    assert w.rigor is Rigor.PROVEN and w.holds
    norm_W = _exact_ratio_bound(W)
    for i in range(3):
        dy = np.asarray(w.witness["y1"][i]) - np.asarray(w.witness["y0"][i])
        exact = np.linalg.norm(W @ dy) / np.linalg.norm(dy)
        assert w.ratio[i] <= exact * (1 + 1e-9) and w.ratio[i] <= norm_W * (1 + 1e-12)
        assert w.ratio[i] >= exact * (1 - 1e-3)  # the enclosure is tight enough to be useful
    saved = load(w.to_json())
    assert verify_result(saved, model=net).rigor is Rigor.PROVEN
    assert verify_result(saved).rigor is Rigor.NUMERICAL
    with pytest.raises(InvalidArgument):
        search_worst_perturbation(net, A, x[0], budget=0.05, steps=2, seed=0, progress=False, certify="exact")
    # unsupported layer: "proven" names it, "auto" falls back to float64 with the reason
    gelu = torch.nn.Sequential(_affine(W, np.zeros(6)), torch.nn.GELU())
    with pytest.raises(PreconditionError, match="gelu"):
        search_worst_perturbation(gelu, A, x[0], budget=0.05, steps=2, seed=0, progress=False, certify="proven")
    fb = search_worst_perturbation(gelu, A, x[0], budget=0.05, steps=2, seed=0, progress=False, certify="auto")
    assert fb.rigor is Rigor.CERTIFIED_FLOAT64 and "gelu" in fb.values["rigor_note"].lower()
    assert verify_result(load(fb.to_json()), model=gelu).holds


class _BatchMix(torch.nn.Module):
    """Ψ(Y) = (Y, (Y − batch mean)·2¹⁰ + ½): per sample the map is y ↦ (y, ½), exactly 1-Lipschitz."""

    def forward(self, Y):
        return torch.cat([Y, (Y - Y.mean(0, keepdim=True)) * 1024.0 + 0.5], 1)


def test_proven_claims_concern_each_sample_alone():
    # red-team F1: enclosing the witness inputs as one batch proved a ratio of ~1024 for a map whose exact
    # per-sample ratio is 1 (Fractions: Ψ(y) = (y, 1/2)); the per-sample enclosures must give at most 1
    from theorycheck.instability import search_worst_perturbation

    net = _BatchMix()
    A = np.array([[1.0, 0.0]])
    x, xp = np.array([0.0, 0.0]), np.array([2.0 ** -10, 1.0])
    d = Fraction(2) ** -10
    exact = ((d - 0) ** 2 + (Fraction(1, 2) - Fraction(1, 2)) ** 2) / d ** 2  # ‖Ψ(y′) − Ψ(y)‖²/‖y′ − y‖²
    assert exact == 1
    cert = check_instability(net, A, x, xp, ball_samples=0, rigor="proven")
    assert cert.rigor is Rigor.PROVEN and cert.lower_bound <= 1.0
    assert verify_result(load(cert.to_json()), model=net).rigor is Rigor.PROVEN
    w = search_worst_perturbation(net, A, np.zeros((2, 2)), budget=0.01, steps=3, seed=0, progress=False,
                                  certify="proven")
    assert w.rigor is Rigor.PROVEN and np.all(np.asarray(w.ratio) <= 1.0)


def test_a_nondeterministic_forward_is_never_proven():
    # red-team F1: a forward drawing random numbers was proven for one realisation
    import random

    class Noisy(torch.nn.Module):
        def forward(self, Y):
            return Y * (1.0 + random.random())

    random.seed(0)
    A = np.eye(2)
    with pytest.raises(PreconditionError, match="different enclosures on two runs"):
        check_instability(Noisy(), A, [0.0, 0.0], [0.0, 1.0], ball_samples=0, rigor="proven")
    res = check_instability(Noisy(), A, [0.0, 0.0], [0.0, 1.0], ball_samples=0, rigor="auto")
    assert res.rigor is not Rigor.PROVEN and "different enclosures on two runs" in res.values["rigor_note"]


def test_verify_with_model_rederives_the_enclosure_assumptions():
    # red-team F6: an edited list of assumptions (e.g. the libm bound for tanh removed) was accepted
    from theorycheck.instability import search_worst_perturbation

    net = torch.nn.Sequential(_affine(np.diag([1.0, 1e3]), np.zeros(2)), torch.nn.Tanh())
    A = np.diag([1.0, 1e-3])  # Ψ(Ax) = tanh(x): accurate on small x, and A hardly sees the second entry
    cert = check_instability(net, A, [0.0, 0.0], [0.0, 0.5], ball_samples=0, rigor="proven")
    w = search_worst_perturbation(net, A, np.zeros(2), budget=0.01, steps=2, seed=0, progress=False,
                                  certify="proven")
    for res in (cert, w):
        assert res.rigor is Rigor.PROVEN
        text = res.to_json()
        assert "tanh" in text and verify_result(load(text), model=net).outcome is Outcome.HOLDS
        edited = re.sub(r'("(?:psi|enclosure)_assumptions": )"[^"]*"', r'\1"IEEE binary64 arithmetic"', text)
        assert edited != text and "tanh" not in edited
        assert verify_result(load(edited), model=net).outcome is not Outcome.HOLDS


@pytest.mark.parametrize("dist", [1e160, 1e-170, 1.0])
def test_ball_distances_beyond_the_float64_square_range(dist):
    # the squared distance overflowed/underflowed float64 before the square root: (1.3e154, inf) or a
    # lower end of 0; the root is now taken in ball arithmetic
    flint = pytest.importorskip("flint")
    from theorycheck.instability._operators import ball_distance

    lo, hi = ball_distance([flint.arb(0.6 * dist), flint.arb(0.0)], [flint.arb(0.0), flint.arb(-0.8 * dist)])
    exact = Fraction(0.6 * dist) ** 2 + Fraction(0.8 * dist) ** 2  # ‖(0.6d, 0.8d)‖² in exact rationals
    assert Fraction(lo) ** 2 <= exact <= Fraction(hi) ** 2
    assert hi <= lo * (1 + 1e-14)


_CALLS = {"n": 0}


class _SwitchesAfterTwoCalls(torch.nn.Module):
    """Ψ(y) = (y, 0) for its first two calls, (y, 1) after: state outside any copy of the model (a global)."""

    def forward(self, Y):
        _CALLS["n"] += 1
        return torch.cat([Y, torch.zeros_like(Y) + (0.0 if _CALLS["n"] <= 2 else 1.0)], 1)


def test_state_outside_the_model_copy_is_caught_by_the_reversed_second_pass():
    # red-team B: two runs per sample back to back on fresh copies share a global switch placed between
    # samples; both maps are exactly 1-Lipschitz, and a ratio of 1024 was proven
    _CALLS["n"] = 0
    A = np.array([[1.0, 0.0]])
    with pytest.raises(PreconditionError, match="different enclosures on two runs"):
        check_instability(_SwitchesAfterTwoCalls(), A, [0.0, 0.0], [2.0 ** -10, 1.0], ball_samples=0,
                          rigor="proven")


def test_classifier_enclosures_use_fresh_copies_in_both_orders():
    # red-team B: the classifier's proof enclosed x and x + r once each on one shared copy
    from theorycheck.classification._proven import enclose_points
    from theorycheck.nets.enclosure import PURE_FORWARD

    calls = {"n": 0}

    class Parity(torch.nn.Module):
        def forward(self, X):
            calls["n"] += 1
            return torch.cat([X, -X], 1) * (1.0 + calls["n"] % 2)

    X = np.array([[1.0], [2.0]])
    with pytest.raises(PreconditionError, match="different enclosures on two runs"):
        enclose_points(Parity(), X, 2)
    lin = _affine(np.array([[1.0], [-1.0]]), np.zeros(2))
    c, r, code, _, ass = enclose_points(lin, X, 2)
    assert np.all(code == 1) and PURE_FORWARD in ass
    assert np.all(np.abs(c - np.array([[1.0, -1.0], [2.0, -2.0]])) <= r)
