"""Trust regressions for the network instability certificates (issue 11).

Every test checks a certified claim against an independent ground truth: exact rational
arithmetic (``fractions.Fraction``) on the stored float64 data, mpmath at 60 digits for
irrational operators, closed forms (an affine map ``Ψ(y) = Wy + b`` has Lipschitz constant
exactly ``‖W‖₂``), or brute force over pairs.

Classes:

1. the training-set audit's rounding allowance (images near ``ker A``) and fabricated pairs;
2. rounding inside ``Ψ`` (large offsets, tiny budgets, internal cancellation);
3. verifiers: no slack, every field re-derived, opaque/unknown operators, ``model=``;
4. input validation;
5. models that misbehave.
"""

from __future__ import annotations

import dataclasses
import json
import math
from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.errors import InvalidArgument, PreconditionError, TheorycheckError  # noqa: E402
from theorycheck.instability import (  # noqa: E402
    chebyshev_radius,
    check_accuracy,
    check_instability,
    check_random_noise,
    check_sampling_monotonicity,
    check_training_set,
    optimality_constant,
    verify_instability,
    verify_training_set_audit,
)
from theorycheck.nets.adapters import as_reconstruction_map, output_rounding_floor  # noqa: E402
from theorycheck.results import Outcome, Rigor, encode, load, verify_result  # noqa: E402
from theorycheck.search import search_worst_perturbation, verify_perturbation  # noqa: E402

torch.set_num_threads(1)


# --------------------------------------------------------------------------------------
# exact ground truth
# --------------------------------------------------------------------------------------

def _q(v) -> Fraction:
    return Fraction(float(v))


def exact_sq_dist(A, xi, xj) -> Fraction:
    """‖A(x_i − x_j)‖² exactly, for float64 A and images (real)."""
    A = np.asarray(A, dtype=float)
    d = [_q(s) - _q(t) for s, t in zip(np.ravel(xi), np.ravel(xj))]
    return sum((sum(_q(a) * t for a, t in zip(row, d))) ** 2 for row in A)


def exact_sq_norm(xi, xj) -> Fraction:
    return sum((_q(s) - _q(t)) ** 2 for s, t in zip(np.ravel(xi), np.ravel(xj)))


def spectral_norm_upper(W) -> float:
    """‖W‖₂ to 50 digits (mpmath), returned slightly rounded up."""
    import mpmath

    with mpmath.workdps(50):
        M = mpmath.matrix([[mpmath.mpf(float(v)) for v in row] for row in np.asarray(W)])
        G = M.T * M
        ev = mpmath.eigsy(G)[0]
        top = max(ev[i] for i in range(G.rows))
        return float(mpmath.sqrt(top) * (1 + mpmath.mpf(10) ** -30))


def _near_kernel_set(seed: int, n: int = 40, big: float = 1e10):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((2, 5))
    k = np.linalg.svd(A)[2][-1]
    X = rng.standard_normal((n, 5))
    for p in range(0, n, 2):
        X[p + 1] = X[p] + big * k * rng.uniform(0.5, 2)
    return A, X


# --------------------------------------------------------------------------------------
# 1. the audit: images near ker A, stored pairs, fabricated pairs
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_audit_near_kernel_pairs_are_exactly_the_true_pairs(seed):
    eta = 1e-6
    A, X = _near_kernel_set(seed)
    res = check_training_set(A, X, eta=eta, progress=False)
    truth = set()
    close = set()
    for i in range(len(X)):
        for j in range(i + 1, len(X)):
            a2, d2 = exact_sq_dist(A, X[i], X[j]), exact_sq_norm(X[i], X[j])
            if a2 <= Fraction(eta) ** 2 and d2 > 4 * Fraction(eta) ** 2:
                truth.add((i, j))
            if abs(a2 - Fraction(eta) ** 2) <= Fraction(eta) ** 2 * Fraction(1, 10 ** 9):
                close.add((i, j))
    got = {(i, j) for i, j, _ in res.pairs}
    assert got <= truth, f"pairs certified that are not pairs in exact arithmetic: {got - truth}"
    missed = truth - got - close
    assert len(missed) <= res.values["borderline"] + res.values["unconfirmed"]
    assert not missed  # the rounding allowance keeps every true pair away from the boundary here
    for i, j, b in res.pairs:  # each bound below the exact (‖x_i − x_j‖ − 2η)/η
        import mpmath

        with mpmath.workdps(60):
            D = mpmath.sqrt(mpmath.mpf(exact_sq_norm(X[i], X[j]).numerator) /
                            exact_sq_norm(X[i], X[j]).denominator)
            assert mpmath.mpf(b) < (D - 2 * mpmath.mpf(eta)) / mpmath.mpf(eta)
    if res.pairs:
        assert res.outcome is Outcome.VIOLATED and res.rigor is Rigor.CERTIFIED_FLOAT64
    assert verify_result(load(res.to_json())).holds


def test_audit_old_allowance_would_certify_a_false_pair():
    """The instance of seed 4: float64 A(x_i − x_j) says ≤ η for a pair whose exact distance is larger."""
    eta = 1e-6
    A, X = _near_kernel_set(4)
    trap = [(p, p + 1) for p in range(0, len(X), 2)
            if exact_sq_dist(A, X[p], X[p + 1]) > Fraction(eta) ** 2
            and (np.linalg.norm(X[p] @ A.T - X[p + 1] @ A.T) <= eta or np.linalg.norm(A @ (X[p] - X[p + 1])) <= eta)]
    assert trap, "the instance no longer contains a float64 trap"
    res = check_training_set(A, X, eta=eta, progress=False)
    assert not ({(i, j) for i, j, _ in res.pairs} & set(trap))


def _audit_sample():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 8))
    ker = np.linalg.svd(A)[2][3:]
    X = rng.standard_normal((12, 8))
    X[5] = X[1] + 2 * ker[0]
    X[9] = X[2] + 3 * ker[1]
    return A, X, check_training_set(A, X, eta=1e-6, progress=False)


def _forge(res, key, value):
    d = json.loads(res.to_json())
    d["fields"]["witness"]["__witness__"]["data"][key] = encode(value)
    return load(json.dumps(d))


def test_audit_pairs_store_their_images_and_fabrication_is_rejected():
    A, X, res = _audit_sample()
    assert len(res) == 2 and res.violated
    w = res.witness
    idx = np.asarray(w["pair_index"])
    imgs = np.asarray(w["pair_images"])
    for (i, j), (a, b) in zip(idx, imgs):
        assert np.array_equal(a, X[i]) and np.array_equal(b, X[j])
    assert verify_training_set_audit(load(res.to_json())).holds
    assert verify_training_set_audit(load(res.to_json()), X=X).holds
    # a fabricated pair: two images far apart in measurement (exactly > η), claimed as a pair
    fake = imgs.copy()
    fake[0, 1] = X[7]
    out = verify_result(_forge(res, "pair_images", fake))
    assert out.violated
    # the same index stored with two different images
    idx2 = idx.copy()
    idx2[1, 0] = idx[0, 0]
    out = verify_result(_forge(res, "pair_index", idx2))
    assert out.violated and "image" in out.message
    # with the training set, relabelled pairs are caught
    idx3 = idx.copy()
    idx3[0] = [0, 3]
    forged = _forge(res, "pair_index", idx3)
    assert verify_training_set_audit(forged, X=X).violated
    # pairs edited in the result itself
    raised = dataclasses.replace(res, pairs=((res.pairs[0][0], res.pairs[0][1],
                                              float(np.nextafter(res.pairs[0][2], np.inf))),) + res.pairs[1:])
    assert verify_training_set_audit(raised).violated


def test_audit_fourier_operator_pairs_checked_at_60_digits():
    import mpmath

    from theorycheck.problems.operators import SubsampledFourier

    mask = np.zeros((4, 4), dtype=bool)
    mask[0, :2] = True
    mask[1, 1] = True
    A = SubsampledFourier(mask)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((10, 4, 4))
    high = np.zeros((4, 4))
    high[2, 2] = 1.0  # the (2, 2) frequency is unsampled: a kernel direction up to the other ones
    z = np.real(np.fft.ifft2(high, norm="ortho"))
    for p in (0, 4):
        X[p + 1] = X[p] + 1e3 * z
    eta = 1e-9
    res = check_training_set(A, X, eta=eta, progress=False)
    idx = np.flatnonzero(mask)
    with mpmath.workdps(60):
        for i, j, _ in res.pairs:
            d = [mpmath.mpf(float(a)) - mpmath.mpf(float(b)) for a, b in zip(X[i].ravel(), X[j].ravel())]
            tot = mpmath.mpf(0)
            for k in idx:
                u, v = divmod(int(k), 4)
                c = mpmath.fsum(d[4 * r + s] * mpmath.expjpi(-2 * mpmath.mpf(u * r + v * s) / 4) for r in range(4)
                                for s in range(4)) / 4
                tot += abs(c) ** 2
            assert mpmath.sqrt(tot) <= eta
    assert verify_result(load(res.to_json())).holds


# --------------------------------------------------------------------------------------
# 2. rounding inside Ψ: affine maps with large offsets (closed form ‖W‖₂)
# --------------------------------------------------------------------------------------

def _affine(seed: int, offset: float, m: int = 3, N: int = 5):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N))
    W = rng.standard_normal((N, m))
    b = np.full(N, offset) * rng.choice([-1.0, 1.0], N)
    Wt, bt = torch.from_numpy(W), torch.from_numpy(b)
    return A, W, b, as_reconstruction_map(lambda y: y @ Wt.T + bt, backend="torch")


@pytest.mark.parametrize("offset", [1e8, 1e12])
@pytest.mark.parametrize("domain", ["measurement", "image"])
def test_search_never_certifies_above_the_lipschitz_constant_of_an_affine_map(offset, domain):
    certified = 0
    for seed in range(3):
        A, W, b, psi = _affine(seed, offset)
        L = spectral_norm_upper(W)
        x = np.random.default_rng(seed + 10).standard_normal(5)
        for budget in (1e-9, 1e-7, 1e-5, 1e-2, 1.0):
            w = search_worst_perturbation(psi, A, x, budget=budget, steps=25, seed=seed, progress=False,
                                          domain=domain, device="cpu")
            assert w.ratio <= L, (seed, budget, w.ratio, L)
            if w.holds:
                certified += 1
                assert w.rigor is Rigor.CERTIFIED_FLOAT64
            else:
                assert w.rigor is Rigor.NUMERICAL and "noise" in w.message or "Δy = 0" in w.message
    assert certified >= 3  # large enough budgets are still certified (the estimate is not too pessimistic)


def test_search_with_a_moderate_budget_is_certified_close_to_the_truth():
    A, W, b, psi = _affine(0, 1e8)
    L = spectral_norm_upper(W)
    x = np.random.default_rng(1).standard_normal(5)
    w = search_worst_perturbation(psi, A, x, budget=1.0, steps=80, seed=0, progress=False,
                                  domain="measurement", device="cpu")
    assert w.holds and L * (1 - 1e-3) <= w.ratio <= L


@pytest.mark.parametrize("offset", [1e8, 1e12])
def test_check_instability_never_certifies_above_the_lipschitz_constant(offset):
    for seed in range(3):
        A, W, b, psi = _affine(seed, offset)
        L = spectral_norm_upper(W)
        rng = np.random.default_rng(seed + 20)
        x = rng.standard_normal(5)
        for scale in (1e-12, 1e-9, 1e-6, 1e-3, 1.0):
            xp = x + scale * rng.standard_normal(5)
            c = check_instability(psi, A, x, xp, ball_samples=0)
            assert c.lower_bound <= L, (seed, scale, c.lower_bound, L)
            assert not c.certified  # an affine map with ‖W‖ ~ 1 is accurate on no such pair


def test_internal_cancellation_is_seen_by_the_noise_estimate():
    """Ψ(y) = W(y + c) − Wc: exact Lipschitz constant ‖W‖, float64 quanta of ulp(c) inside."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 5))
    W = rng.standard_normal((5, 3))
    L = spectral_norm_upper(W)
    Wt, c = torch.from_numpy(W), torch.full((3,), 1e8, dtype=torch.float64)
    closure = as_reconstruction_map(lambda y: (y + c) @ Wt.T - c @ Wt.T, backend="torch")
    lin1 = torch.nn.Linear(3, 3).double()
    lin2 = torch.nn.Linear(3, 5).double()
    with torch.no_grad():
        lin1.weight.copy_(torch.eye(3, dtype=torch.float64))
        lin1.bias.fill_(1e8)
        lin2.weight.copy_(Wt)
        lin2.bias.copy_(-(c @ Wt.T))
    module = as_reconstruction_map(torch.nn.Sequential(lin1, lin2), layout="plain")
    x = rng.standard_normal(5)
    for psi in (closure, module):
        ev = psi.bind(A).evaluate_float64(np.stack([A @ x]), noise=True)
        assert ev.noise.noise[0] > 1e-9  # the quanta of 1e8 are ~1.5e-8
        for budget in (1e-7, 1e-6, 1e-4, 1e-1):
            w = search_worst_perturbation(psi, A, x, budget=budget, steps=20, seed=1, progress=False,
                                          domain="measurement", device="cpu")
            assert w.ratio <= L


@pytest.mark.parametrize("cval", [1e6, 1e10])
def test_witnesses_at_the_scale_of_an_internal_rounding_step_are_not_certified_above_the_truth(cval):
    """Budgets of ½ to 1024 quanta ulp(c) of Ψ(y) = W(y + c) − Wc: a search seeks out the steps."""
    for seed in range(2):
        rng = np.random.default_rng(seed)
        A = rng.standard_normal((3, 5))
        W = rng.standard_normal((5, 3))
        L = spectral_norm_upper(W)
        Wt, c = torch.from_numpy(W), torch.full((3,), cval, dtype=torch.float64)
        psi = as_reconstruction_map(lambda y, c=c, Wt=Wt: (y + c) @ Wt.T - c @ Wt.T, backend="torch")
        x = rng.standard_normal(5)
        h = float(np.spacing(cval))
        for mult in (0.5, 1, 4, 32, 1024):
            for domain in ("measurement", "image"):
                w = search_worst_perturbation(psi, A, x, budget=h * mult, steps=12, seed=seed, progress=False,
                                              domain=domain, device="cpu")
                assert w.ratio <= L, (seed, mult, domain, w.ratio, L)


@pytest.mark.parametrize("gap", [1e-4, 1e-7, 1e-9])
def test_a_continuous_but_violently_unstable_map_is_still_certified(gap):
    """The theorem's interpolant ramps over exactly the witness segment (kinks at both ends):
    the noise estimate must not mistake that for rounding, however small ‖A(x − x′)‖ is."""
    rng = np.random.default_rng(7)
    A = rng.standard_normal((4, 8))
    P = np.linalg.pinv(A)
    x = rng.standard_normal(8)
    d = rng.standard_normal(8)
    z = d - P @ (A @ d)
    xp = x + 2 * z / np.linalg.norm(z) + gap * (P @ (A @ d)) / np.linalg.norm(P @ (A @ d))
    Ax, delta = A @ x, A @ (xp - x)
    kx, kz = x - P @ Ax, (xp - x) - P @ delta

    def psi(y):
        t = np.clip(np.dot(y - Ax, delta) / np.dot(delta, delta), 0.0, 1.0)
        return P @ y + kx + t * kz

    cert = check_instability(psi, A, x, xp, ball_samples=0)
    a = float(np.linalg.norm(A @ (x - xp)))
    assert cert.certified and cert.lower_bound == pytest.approx(np.linalg.norm(x - xp) / a, rel=1e-4)


def test_a_rounding_step_crossed_by_the_witness_is_noise():
    """Ψ(y) = ((y + c) − c)·g: exact in real arithmetic (gain g), a step function in float64."""
    c, g = 1e8, 3.0
    h = float(np.spacing(c))
    psi = as_reconstruction_map(lambda y: ((y + c) - c) * g, A=np.eye(2))
    y0 = np.array([0.25 * h, 0.0])
    y1 = y0 + np.array([0.5 * h, 0.0])  # crosses the step at h/2: the float64 outputs differ by g·h
    ev = psi.evaluate_float64(np.stack([y0, y1]), noise=True, noise_scale=0.5 * h, noise_segments=[(0, 1)])
    change = np.linalg.norm(ev.output[1] - ev.output[0])
    assert change > 0 and change / (0.5 * h) > 1.5 * g  # the float64 ratio is far above the true gain g
    assert ev.noise.noise[0] >= change / 2 and ev.noise.noise[1] >= change / 2


def test_noise_estimate_floor_and_smooth_maps():
    A = np.eye(3)
    P = np.random.default_rng(0).standard_normal((3, 3))
    smooth = as_reconstruction_map(lambda y: P @ y, A=A)
    y = np.random.default_rng(1).standard_normal((2, 3))
    ev = smooth.evaluate_float64(y, noise=True)
    out = ev.output
    for i in range(2):
        assert output_rounding_floor(out[i]) <= ev.noise.noise[i] <= 1e-13 * np.linalg.norm(out[i])
    big = as_reconstruction_map(lambda y: y + 1e10, A=A)
    ev = big.evaluate_float64(y, noise=True)
    assert np.all(ev.noise.noise >= 0.5 * np.spacing(1e10) * np.sqrt(3) * 0.99)


def test_noise_constants_are_defined_once_and_exact():
    from theorycheck.instability import certificate, perturbation
    from theorycheck.nets import _adapter_common, adapters

    # one definition (the torch-free module), re-exported by the adapter; the checks use the same objects
    assert adapters.NOISE_ALLOWANCE is _adapter_common.NOISE_ALLOWANCE is certificate.NOISE_ALLOWANCE
    assert adapters.NOISE_SAFETY is _adapter_common.NOISE_SAFETY is perturbation.NOISE_SAFETY
    # powers of two: scaling a noise estimate by them is exact, so verifiers re-derive the same bits
    for c in (adapters.NOISE_ALLOWANCE, adapters.NOISE_SAFETY):
        assert math.frexp(c)[0] == 0.5
    assert adapters.NOISE_SAFETY == 2 * adapters.NOISE_ALLOWANCE


def test_verifying_a_saved_certificate_does_not_import_torch(tmp_path):
    import subprocess
    import sys

    A, P, x, xp = _kernel_pair_for_files()
    cert = check_instability(_interpolant_for_files(A, P, x, xp), A, x, xp, ball_samples=0)
    assert cert.holds
    path = tmp_path / "cert.json"
    cert.to_json(str(path))
    code = ("import sys; from theorycheck.results import load, verify_result; "
            f"out = verify_result(load({str(path)!r})); "
            "print(out.outcome.value, 'torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["holds", "False"], run.stdout + run.stderr


def _kernel_pair_for_files():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 8)) / 2.0
    P = np.linalg.pinv(A)
    x = rng.standard_normal(8)
    d = rng.standard_normal(8)
    ker = d - P @ (A @ d)
    return A, P, x, x + 2.0 * ker / np.linalg.norm(ker) + 1e-3 * (P @ (A @ d)) / np.linalg.norm(P @ (A @ d))


def _interpolant_for_files(A, P, x, xp):
    Ax, delta = A @ x, A @ (xp - x)
    kx, kz = x - P @ Ax, (xp - x) - P @ delta

    def psi(y):
        t = np.clip(np.dot(y - Ax, delta) / np.dot(delta, delta), 0.0, 1.0)
        return P @ y + kx + t * kz

    return psi


def test_random_noise_margin_within_rounding_is_not_certified():
    A, W, b, psi = _affine(0, 1e12)
    L = spectral_norm_upper(W)
    x = np.random.default_rng(3).standard_normal(5)
    # in real arithmetic every draw's error is ‖W e‖ ≤ ‖W‖·1e-4 < threshold: "holds" would be false; the
    # float64 errors are multiples of ulp(1e12) ≈ 1.2e-4, far above the threshold
    res = check_random_noise(psi, A, x, noise_norm=1e-4, trials=40, threshold=1.01e-4 * L, seed=0)
    assert res.exceedances > 0  # the float64 evaluation does exceed it
    assert not res.holds and res.rigor is Rigor.NUMERICAL


# --------------------------------------------------------------------------------------
# 3. verifiers
# --------------------------------------------------------------------------------------

def _pair():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 8)) / 2
    P = np.linalg.pinv(A)
    x = rng.standard_normal(8)
    d = rng.standard_normal(8)
    z = d - P @ (A @ d)
    xp = x + 2 * z / np.linalg.norm(z) + 1e-3 * (P @ (A @ d)) / np.linalg.norm(P @ (A @ d))
    Ax, delta = A @ x, A @ (xp - x)
    kx, kz = x - P @ Ax, (xp - x) - P @ delta

    def psi(y):
        t = np.clip(np.dot(y - Ax, delta) / np.dot(delta, delta), 0.0, 1.0)
        return P @ y + kx + t * kz

    return A, P, x, xp, psi


@pytest.fixture(scope="module")
def certified():
    A, P, x, xp, psi = _pair()
    cert = check_instability(psi, A, x, xp, ball_samples=0)
    assert cert.certified
    return cert, psi, A, P


def _edit(cert, **changes):
    d = json.loads(cert.to_json())
    for path, value in changes.items():
        node = d["fields"]
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return load(json.dumps(d))


def test_no_relative_slack_on_certified_values(certified):
    cert, psi, A, P = certified
    a = cert.values["distance_measurements"]
    for bad in (a * (1 - 5e-10), float(np.nextafter(a, 0)), float(np.nextafter(a, 1))):
        out = verify_result(_edit(cert, **{"values.distance_measurements": bad}))
        assert out.violated and "distance_measurements" in out.message
    lb = float(np.nextafter(cert.lower_bound, np.inf))
    assert verify_result(_edit(cert, lower_bound=lb)).violated


def test_rigor_and_message_are_rederived(certified):
    cert = certified[0]
    assert verify_result(_edit(cert, rigor="proven")).violated
    assert verify_result(_edit(cert, message="Ψ is stable")).violated
    assert verify_result(_edit(cert, outcome="violated")).violated


@pytest.mark.parametrize("kind", ["opaque", "mystery", None])
def test_unknown_or_opaque_operator_records_do_not_skip_the_measurement_check(certified, kind):
    cert = certified[0]
    d = json.loads(cert.to_json())
    rec = d["fields"]["witness"]["__witness__"]["data"]["operator"]
    if kind is None:
        del rec["kind"]
    elif kind == "opaque":
        d["fields"]["witness"]["__witness__"]["data"]["operator"] = {
            "kind": "opaque", "description": "anything", "in_shape": {"__tuple__": [8]},
            "out_shape": {"__tuple__": [4]}}
    else:
        rec["kind"] = kind
    out = verify_result(load(json.dumps(d)))
    assert out.violated


def test_an_opaque_operator_is_a_clearly_downgraded_claim():
    from theorycheck.problems.operators import LinearOperator

    class Big(LinearOperator):  # too large to store densely: an opaque record
        in_shape, out_shape, dtype = (4096,), (2048,), np.dtype(np.float64)

        def _apply(self, x):
            return x[..., :2048] + 1e-3 * x[..., 2048:]

        def _adjoint(self, y):
            return np.concatenate([y, 1e-3 * y], -1)

    A = Big()
    rng = np.random.default_rng(0)
    x = rng.standard_normal(4096)
    xp = x.copy()
    xp[3000] += 1.0  # almost invisible to A
    Ax, delta = A.apply(x), A.apply(xp - x)

    def psi(y):  # exact on x and x′, continuous
        t = np.clip(np.dot(y - Ax, delta) / np.dot(delta, delta), 0.0, 1.0)
        out = np.concatenate([y, np.zeros(2048)])
        pad = np.zeros(2048)
        return out + (x - np.concatenate([Ax, pad])) + t * ((xp - x) - np.concatenate([delta, pad]))

    cert = check_instability(psi, A, x, xp, ball_samples=0)
    assert cert.witness["operator"]["kind"] == "opaque"
    assert "opaque" in cert.message and "cannot be re-checked" in cert.message
    out = verify_result(load(cert.to_json()))
    assert out.holds and "opaque" in out.values["not_rechecked"]
    # the same file with a stored matrix relabelled as opaque, or an unknown kind, does not verify
    A2, P2, x2, xp2, psi2 = _pair()
    dense = check_instability(psi2, A2, x2, xp2, ball_samples=0)
    d = json.loads(dense.to_json())
    d["fields"]["witness"]["__witness__"]["data"]["operator"] = {
        "kind": "opaque", "description": "relabelled", "in_shape": {"__tuple__": [8]}, "out_shape": {"__tuple__": [4]}}
    assert verify_result(load(json.dumps(d))).violated


def test_model_reevaluation(certified):
    cert, psi, A, P = certified
    ok = verify_result(load(cert.to_json()), model=psi)
    assert ok.holds and ok.values["psi_reevaluated"] is True
    assert verify_instability(load(cert.to_json()), psi=psi).holds  # the older keyword
    wrong = verify_result(load(cert.to_json()), model=lambda y: P @ y)
    assert wrong.violated and "differs" in wrong.message
    with pytest.raises(InvalidArgument):
        verify_instability(cert, model="not a model")
    with pytest.raises(InvalidArgument):
        verify_instability("not a result")


def test_model_rebuilt_from_a_bare_module_with_the_stored_layout():
    from theorycheck.problems.operators import SubsampledFourier

    A = SubsampledFourier(np.eye(8, dtype=bool) | np.eye(8, k=3, dtype=bool))
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.Tanh(),
                              torch.nn.Conv2d(4, 1, 3, padding=1)).double().eval()
    psi = as_reconstruction_map(net, input="adjoint", eval_mode=True)
    x = np.random.default_rng(0).standard_normal((8, 8))
    w = search_worst_perturbation(psi, A, x, budget=0.5, steps=5, seed=0, progress=False, device="cpu")
    assert w.witness["psi"]["input"] == "adjoint" and w.witness["psi"]["layout"] == "channels"
    saved = load(w.to_json())
    assert verify_result(saved, model=net).holds  # the bare module: options come from the file
    other = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.Tanh(),
                                torch.nn.Conv2d(4, 1, 3, padding=1)).double().eval()
    assert verify_result(saved, model=other).violated
    assert verify_perturbation(saved, psi=net).holds


def test_witness_validation(certified):
    cert = certified[0]
    y = np.array(cert.witness["psi_y"])
    y[0] = np.nan
    assert verify_result(_forge_w(cert, "psi_y", y)).violated
    noise = np.array(cert.witness["psi_noise"])
    noise[0] = 0.0  # below the output's own rounding
    out = verify_result(_forge_w(cert, "psi_noise", noise))
    assert out.violated and "psi_noise" in out.message
    assert verify_result(_forge_w(cert, "x", np.array(cert.witness["x"])[:-1])).violated


def _forge_w(res, key, value):
    d = json.loads(res.to_json())
    d["fields"]["witness"]["__witness__"]["data"][key] = encode(np.asarray(value))
    return load(json.dumps(d))


def test_chebyshev_and_optimality_are_rederived_bit_for_bit():
    r = chebyshev_radius(np.random.default_rng(0).standard_normal((6, 3)))
    again = chebyshev_radius(np.array(r.witness["points"]))
    assert again.lower == r.lower and again.upper == r.upper and again.value == r.value
    assert verify_result(load(r.to_json())).holds
    assert verify_result(dataclasses.replace(r, upper=float(np.nextafter(r.upper, 0)))).violated
    oc = optimality_constant(np.array([[1.0, 0.0, 0.0]]), np.random.default_rng(1).standard_normal((4, 3)), eta=0.2)
    assert verify_result(load(oc.to_json())).holds
    assert verify_result(dataclasses.replace(oc, lower=float(np.nextafter(oc.lower, np.inf)))).violated


# --------------------------------------------------------------------------------------
# 4. input validation
# --------------------------------------------------------------------------------------

def _small():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 8))
    P = np.linalg.pinv(A)
    x = np.zeros(8)
    x[[1, 5]] = [1.0, -2.0]
    return A, P, x


@pytest.mark.parametrize("kw", [{"seed": -1}, {"seed": "a"}, {"seed": 1.5}, {"seed": True},
                                {"confidence": "0.95"}, {"confidence": 1.0}, {"confidence": math.nan},
                                {"trials": 0}, {"trials": "5"}, {"batch_size": 0}, {"reference": "x"},
                                {"noise_norm": math.inf}, {"threshold": -1.0}, {"progress": "yes"},
                                {"device": "tpu"}, {"dtype": "half"}])
def test_random_noise_arguments(kw):
    A, P, x = _small()
    args = dict(noise_norm=0.1, threshold=0.5, trials=4, seed=0)
    args.update(kw)
    with pytest.raises(TheorycheckError):
        check_random_noise(lambda y: P @ y, A, x, **args)


def test_huge_noise_is_certified_only_when_true_and_finite():
    A, P, x = _small()
    res = check_random_noise(lambda y: P @ y, A, x, noise_norm=1e300, threshold=0.5, trials=4, seed=0)
    assert np.all(np.isfinite(res["errors"])) and math.isfinite(res.worst_error)
    e = np.asarray(res.witness["e"])
    # Ψ linear: the error is ‖P e‖ exactly in real arithmetic; at this scale it is far above 0.5
    assert res.holds == (np.linalg.norm(P @ (e / 1e300)) * 1e300 > 0.5)
    blowup = check_random_noise(lambda y: np.exp(y).sum() * np.ones(8), A, x, noise_norm=1e3, threshold=0.5,
                                      trials=4, seed=0)
    assert not blowup.holds and blowup.rigor is Rigor.NUMERICAL


def test_accuracy_with_overflowing_data_is_refused_cleanly():
    A, P, x = _small()
    for scale in (1e300, 1e200):
        with pytest.raises(InvalidArgument):
            check_accuracy(lambda y: P @ y, A * scale, x, np.eye(8)[3])


def test_complex_input_to_a_real_linear_module():
    net = torch.nn.Linear(4, 8).double()
    psi = as_reconstruction_map(net)
    y = np.arange(4.0) + 1j * np.arange(4.0, 8.0)
    out = psi(y)
    assert out.shape == (8,) and np.iscomplexobj(out)
    with torch.no_grad():
        want = net(torch.as_tensor(y.real)).numpy() + 1j * net(torch.as_tensor(y.imag)).numpy()
    assert np.allclose(out, want, rtol=0, atol=1e-12)
    batch = psi(np.stack([y, 2 * y]))  # unbound: one sample of shape (2, 4)
    assert batch.shape == (2, 8) and np.iscomplexobj(batch)
    collapse = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 3)).double()
    with pytest.raises(InvalidArgument, match="layout"):
        as_reconstruction_map(collapse)(y)


def test_search_on_a_zero_operator_blames_the_operator():
    A = np.zeros((4, 8))
    psi = as_reconstruction_map(lambda y: y @ torch.ones(4, 8, dtype=torch.float64), backend="torch")
    with pytest.raises(InvalidArgument, match="zero operator"):
        search_worst_perturbation(psi, A, np.ones(8), budget=0.1, steps=2, progress=False)


@pytest.mark.parametrize("where", ["x", "x_prime", "A"])
def test_nan_anywhere_is_refused(where):
    A, P, x = _small()
    args = {"A": A, "x": x, "x_prime": 0.5 * x}
    bad = np.array(args[where], dtype=float)
    bad.flat[0] = np.nan
    args[where] = bad
    with pytest.raises(InvalidArgument):
        check_instability(lambda y: P @ y, args["A"], args["x"], args["x_prime"])


def test_bad_arguments_everywhere():
    A, P, x = _small()
    psi = lambda y: P @ y  # noqa: E731
    tpsi = as_reconstruction_map(lambda y: y @ torch.from_numpy(P).T, backend="torch")
    X = np.random.default_rng(0).standard_normal((5, 8))
    calls = [
        lambda: check_instability(psi, A, x, 0.5 * x, ball_samples=-1),
        lambda: check_instability(psi, A, x, 0.5 * x, ball_samples=1.5),
        lambda: check_instability(psi, A, x, 0.5 * x, ball_samples=10 ** 9),
        lambda: check_instability(psi, A, x, 0.5 * x, seed="x"),
        lambda: check_instability(psi, A, x, 0.5 * x, eta="0.1"),
        lambda: check_instability(None, A, x, 0.5 * x),
        lambda: check_instability(psi, "A", x, 0.5 * x),
        lambda: check_instability(psi, A, ["a"] * 8, 0.5 * x),
        lambda: search_worst_perturbation(tpsi, A, x, steps=0, progress=False),
        lambda: search_worst_perturbation(tpsi, A, x, restarts=-1, progress=False),
        lambda: search_worst_perturbation(tpsi, A, x, seed=-3, progress=False),
        lambda: search_worst_perturbation(tpsi, A, x, budget=math.nan, progress=False),
        lambda: search_worst_perturbation(tpsi, A, x, momentum=1.0, progress=False),
        lambda: search_worst_perturbation(tpsi, A, x, dtype="float32", progress=False),
        lambda: search_worst_perturbation(tpsi, A, x, device="tpu", progress=False),
        lambda: search_worst_perturbation(tpsi, A, x, certify="yes", progress=False),
        lambda: search_worst_perturbation(tpsi, A, x, steps=10 ** 9, restarts=10 ** 3, progress=False),
        lambda: check_training_set(A, X, eta=math.inf, progress=False),
        lambda: check_training_set(A, X, eta=0.1, block_size=0, progress=False),
        lambda: check_training_set(A, X, eta=0.1, executor="serial", progress=False),
        lambda: check_training_set(A, X.astype(np.int64) * 2 ** 60 + 1, eta=0.1, progress=False),
        lambda: check_training_set(A, "X", eta=0.1, progress=False),
        lambda: optimality_constant(A, X[:3], max_points=10 ** 6),
        lambda: optimality_constant(A, X[:3], eta=-1.0),
        lambda: chebyshev_radius([]),
        lambda: chebyshev_radius(np.full((3, 2), np.nan)),
        lambda: check_accuracy(psi, A, x, np.zeros(8)),
        lambda: check_accuracy(psi, A, x, np.eye(8)[2], baseline="lasso"),
        lambda: check_sampling_monotonicity(psi, "masks", x),
        lambda: check_sampling_monotonicity(psi, [np.ones((2, 2), bool), np.ones((3, 3), bool)], x),
        lambda: as_reconstruction_map(psi, layout=np.ones(3)),
        lambda: as_reconstruction_map(psi, device="cuda:99"),
        lambda: as_reconstruction_map(psi, A=A).evaluate_float64(np.ones((1, 4)), repeats=10 ** 9),
        lambda: as_reconstruction_map(psi, A=A).evaluate_float64(np.zeros((0, 4))),
        lambda: as_reconstruction_map(psi, A=A).evaluate_float64(np.full((1, 4), np.nan)),
        lambda: as_reconstruction_map(psi, A=A).evaluate_float64(np.ones((1, 4)), noise=True, noise_scale=-1.0),
        lambda: as_reconstruction_map(psi, A=A).evaluate_batch(3.0),
        lambda: as_reconstruction_map(psi, A=A).rounding_noise(np.ones((1, 4)), seed=-1),
        lambda: as_reconstruction_map(psi, A=A)(np.ones(4, dtype=np.int64) * 2 ** 60 + 1),
        lambda: tpsi.session(dtype="float32").__enter__(),
        lambda: tpsi.session(device=object()).__enter__(),
    ]
    for k, call in enumerate(calls):
        with pytest.raises(TheorycheckError):
            call()
            pytest.fail(f"call {k} returned")


def test_theorem_bound_arguments(certified):
    cert = certified[0]
    for bad in ("1", math.nan, -1.0, None):
        with pytest.raises(InvalidArgument):
            cert.theorem_bound(bad)
        with pytest.raises(InvalidArgument):
            cert.witnessed_bound(bad)


# --------------------------------------------------------------------------------------
# 5. models that misbehave
# --------------------------------------------------------------------------------------

class _Counter(torch.nn.Module):
    """Deterministic for the first calls, then drifts (a stateful model)."""

    def __init__(self, P):
        super().__init__()
        self.P = torch.nn.Parameter(torch.as_tensor(P), requires_grad=False)
        self.calls = 0

    def forward(self, y):
        self.calls += 1
        return y @ self.P.T + (1e-3 * self.calls if self.calls > 1 else 0.0)


class _NaNAbove(torch.nn.Module):
    """NaN once the first measurement exceeds a level (just above the witness)."""

    def __init__(self, P, level):
        super().__init__()
        self.P = torch.nn.Parameter(torch.as_tensor(P), requires_grad=False)
        self.level = level

    def forward(self, y):
        out = y @ self.P.T
        return torch.where(y[..., :1] > self.level, torch.full_like(out, float("nan")), out)


def test_misbehaving_models_never_give_false_certificates():
    A, P, x, xp, psi = _pair()
    stateful = check_instability(_Counter(P).double(), A, x, xp, ball_samples=0)
    assert not stateful.certified and stateful.rigor is Rigor.NUMERICAL
    y0 = float((A @ x)[0])
    nan_next_door = check_instability(_NaNAbove(P, y0 + 1e-12).double(), A, x, xp, ball_samples=0)
    assert not nan_next_door.certified
    # batch-dependent in training mode (batch norm): evaluated per sample, the copy never writes the stats
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(1), torch.nn.Flatten(),
                              torch.nn.Linear(8, 8)).double()
    net.train()
    before = net[1].running_mean.clone()
    res = check_instability(net, A, x, xp, ball_samples=0)  # layout (B, 1, 4): statistics over one sample
    assert torch.equal(before, net[1].running_mean) and net.training
    if res.certified:  # a claim about each sample evaluated alone: re-evaluating reproduces it
        assert verify_result(load(res.to_json()), model=net).holds
    # in-place first layer: the stored measurements are what Ψ was given
    inplace = torch.nn.Sequential(torch.nn.ReLU(inplace=True), torch.nn.Linear(4, 8).double())
    c = check_instability(inplace, A, x, xp, ball_samples=0)
    assert np.array_equal(c.witness["y"], A @ x)


def test_float32_and_float16_models():
    A, P, x, xp, psi = _pair()
    lin = torch.nn.Linear(4, 8, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(P, dtype=torch.float32))
    c32 = check_instability(lin, A, x, xp, ball_samples=0)
    assert c32.values["psi_precision"] == "float64"  # a float64 copy: the claim is about it
    assert all(p.dtype == torch.float32 for p in lin.parameters())
    class Half(torch.nn.Module):  # a deployment that rounds its output to float16
        def __init__(self):
            super().__init__()
            self.inner = lin

        def forward(self, y):
            return self.inner(y).half()

    c16 = check_instability(Half(), A, x, xp, ball_samples=0)
    assert not c16.certified and c16.rigor is Rigor.NUMERICAL and c16.values["psi_precision"] == "float16"


def test_requires_grad_inputs():
    A, P, x, xp, psi = _pair()
    xt = torch.as_tensor(x, dtype=torch.float64).requires_grad_(True)
    xpt = torch.as_tensor(xp, dtype=torch.float64).requires_grad_(True)
    c = check_instability(psi, A, xt, xpt, ball_samples=0)
    assert c.certified and np.array_equal(c.witness["x"], x)
    with pytest.raises(PreconditionError):
        check_instability(psi, A, xt, xt, ball_samples=0)


# -- check_reconstructor: an inconclusive certificate is reported as inconclusive ------------------

def test_reconstructor_reports_an_uncertified_pair_as_inconclusive_not_as_no_pair():
    from theorycheck.testing import check_reconstructor

    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 10)) / np.sqrt(6)
    x1 = rng.standard_normal(10)
    _, _, Vt = np.linalg.svd(A)
    x2 = x1 + 2.0 * Vt[-1] + 1e-4 * rng.standard_normal(10)
    y1, y2 = A @ x1, A @ x2

    def jumpy_memoriser(y):  # exact on both images, with a jump between them: not certifiable
        return x1 if np.sum((y - y1) ** 2) <= np.sum((y - y2) ** 2) else x2

    eta = 0.05
    # ground truth: the plain float64 evaluation satisfies every hypothesis of the theorem at η
    assert np.linalg.norm(A @ (x1 - x2)) <= eta < np.linalg.norm(x1 - x2) / 2
    cert = check_instability(jumpy_memoriser, A, x1, x2, eta=eta, ball_samples=0)
    assert cert.outcome is Outcome.INCONCLUSIVE  # the jump counts as rounding noise
    rep = check_reconstructor(jumpy_memoriser, A, images=[x1, x2], eta=eta)
    r = {res.check: res for res in rep.results}["universal_instability"]
    assert r.outcome is Outcome.INCONCLUSIVE and r.rigor is Rigor.NUMERICAL
    assert "no pair" not in r.message and "none is certified" in r.message
    assert cert.message in r.message  # the certificate's own reason is given
    assert r["candidate_pairs"] == 1 and r["pair"] == (0, 1)
