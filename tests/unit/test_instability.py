"""Universal instability certificates, their verification, and the companion tests."""

from __future__ import annotations

import itertools
import json
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from theorycheck.errors import InvalidArgument, PreconditionError
from theorycheck.instability import (
    InstabilityCertificate,
    chebyshev_radius,
    check_accuracy,
    check_instability,
    check_random_noise,
    check_sampling_monotonicity,
    check_training_set,
    optimality_constant,
    verify_instability,
)
from theorycheck.results import Outcome, Rigor, load, verify_result

# ---------------------------------------------------------------------------------
# fixtures: a Gaussian A, a pair x, x' = x + z with z almost in ker A
# ---------------------------------------------------------------------------------


def kernel_pair(m=6, N=12, seed=0, gap=1e-4):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N)) / np.sqrt(m)
    P = np.linalg.pinv(A)
    x = rng.standard_normal(N)
    d = rng.standard_normal(N)
    ker = d - P @ (A @ d)
    z = 2.0 * ker / np.linalg.norm(ker) + gap * (P @ (A @ d)) / np.linalg.norm(P @ (A @ d))
    return A, P, x, x + z


def interpolant(A, P, x, xp):
    """Continuous and exactly accurate on x and x′ (the theorem's 'too accurate' map)."""
    Ax, delta = A @ x, A @ (xp - x)
    kx, kz = x - P @ Ax, (xp - x) - P @ delta

    def psi(y):
        t = np.clip(np.dot(y - Ax, delta) / np.dot(delta, delta), 0.0, 1.0)
        return P @ y + kx + t * kz

    return psi


@pytest.fixture(scope="module")
def pair():
    return kernel_pair()


@pytest.fixture(scope="module")
def cert(pair):
    A, P, x, xp = pair
    return check_instability(interpolant(A, P, x, xp), A, x, xp, ball_samples=8, seed=0)


# ---------------------------------------------------------------------------------
# check_instability
# ---------------------------------------------------------------------------------


def test_too_accurate_map_is_certified_unstable(pair, cert):
    A, P, x, xp = pair
    assert isinstance(cert, InstabilityCertificate)
    assert cert.outcome is Outcome.HOLDS and cert.rigor is Rigor.CERTIFIED_FLOAT64 and cert.certified
    D, a = np.linalg.norm(x - xp), np.linalg.norm(A @ (x - xp))
    # the map is exact on both images, so the witnessed ratio is ‖x − x′‖/‖A(x − x′)‖
    assert cert.lower_bound == pytest.approx(D / a, rel=1e-9)
    assert cert.lower_bound <= D / a * (1 + 1e-12)  # rounded down, never up
    # smallest η: ‖A(x − x′)‖ (the accuracy errors are ~0), raised by rounding only
    assert a <= cert.eta <= a * (1 + 1e-8)
    for name, (holds, margin) in cert.hypotheses.items():
        assert holds is True and margin > 0, name
    assert cert.hypotheses["‖x − x′‖ > 2η"][1] == pytest.approx(D - 2 * cert.eta)


def test_theorem_bound_is_below_witnessed_bound(cert):
    eta = cert.eta
    D = cert.values["distance_images"]
    for eps in (eta, 3 * eta, 100 * eta):
        # seed 004's form: (‖x − x′‖ − 2η)/η for every ε ≥ η (L^ε is non-decreasing in ε)
        assert cert.theorem_bound(eps) == pytest.approx((D - 2 * eta) / eta)
        assert cert.theorem_bound(eps) >= (D - 2 * eta) / eps * (1 - 1e-12)
        assert cert.theorem_bound(eps) <= cert.witnessed_bound(eps)
    assert "/η for every ε ≥ η" in cert.values["theorem_bound_form"]
    with pytest.raises(InvalidArgument):
        cert.theorem_bound(eta / 2)
    with pytest.raises(InvalidArgument):
        cert.witnessed_bound(cert.values["distance_measurements"] / 2)


def test_false_negative_and_positive(pair, cert):
    A, P, x, xp = pair
    psi = interpolant(A, P, x, xp)
    fn, fp = cert.false_negative, cert.false_positive
    assert np.allclose(fn.e, A @ (x - xp)) and np.allclose(fp.e, A @ (xp - x))
    assert fn.noise_norm <= cert.eta and fp.noise_norm <= cert.eta
    # detail vanishes / appears: recompute Ψ independently
    assert np.linalg.norm(psi(A @ xp + fn.e) - x) < cert.eta
    assert np.linalg.norm(psi(A @ x + fp.e) - xp) < cert.eta
    D = np.linalg.norm(x - xp)
    assert fn.error > D - cert.eta and fp.error > D - cert.eta
    assert np.allclose(fn.truth, xp) and np.allclose(fp.truth, x)


def test_ball_radius_points_satisfy_the_bound(pair, cert):
    A, P, x, xp = pair
    psi = interpolant(A, P, x, xp)
    assert cert.ball_radius > 0 and cert.values["ball_rigor"] == "numerical"
    rng = np.random.default_rng(5)
    delta = A @ (xp - x)
    need = np.linalg.norm(x - xp) - 2 * cert.eta
    for _ in range(20):  # fresh points on the sphere of the reported radius
        u = rng.standard_normal(A.shape[0])
        yt = A @ x + cert.ball_radius * u / np.linalg.norm(u)
        assert np.linalg.norm(psi(yt) - psi(yt + delta)) >= need * (1 - 1e-6)


def test_stable_pseudo_inverse_is_not_certified(pair):
    A, P, x, xp = pair
    res = check_instability(lambda y: P @ y, A, x, xp, ball_samples=0)
    assert res.outcome is Outcome.INCONCLUSIVE and not res.certified
    assert "does not apply" in res.message
    assert res.lower_bound <= np.linalg.norm(P, 2) * (1 + 1e-12)
    assert res.hypotheses["‖x − x′‖ > 2η"][0] is False


def test_explicit_eta_too_small_reports_margins(pair):
    A, P, x, xp = pair
    a = np.linalg.norm(A @ (x - xp))
    res = check_instability(interpolant(A, P, x, xp), A, x, xp, eta=a / 2, ball_samples=0)
    assert res.outcome is Outcome.INCONCLUSIVE
    holds, margin = res.hypotheses["‖Ax − Ax′‖ ≤ η"]
    assert holds is False and margin == pytest.approx(a / 2 - a)
    assert res.eta == a / 2 and "fails by" in res.message


def test_bad_input(pair):
    A, P, x, xp = pair
    psi = interpolant(A, P, x, xp)
    with pytest.raises(PreconditionError) as info:
        check_instability(psi, A, x, x.copy())
    assert info.value.hypothesis == "x ≠ x′"
    with pytest.raises(InvalidArgument):
        check_instability(psi, A, x, xp, eta=0.0)
    with pytest.raises(InvalidArgument):
        check_instability(psi, A, x, xp, eta=-1.0)
    with pytest.raises(InvalidArgument, match="shape"):
        check_instability(psi, A, x[:-1], xp[:-1])
    with pytest.raises(InvalidArgument):
        check_instability(psi, A, np.full_like(x, np.nan), xp)
    with pytest.raises(InvalidArgument, match="does not match"):
        check_instability(lambda y: np.ones(5), A, x, xp)  # Ψ returns the wrong size


def test_nan_model_is_inconclusive(pair):
    A, P, x, xp = pair
    res = check_instability(lambda y: P @ y * np.nan, A, x, xp)
    assert res.outcome is Outcome.INCONCLUSIVE and res.rigor is Rigor.NUMERICAL
    assert "NaN" in res.message


def test_random_model_is_inconclusive(pair):
    A, P, x, xp = pair
    rng = np.random.default_rng(0)
    res = check_instability(lambda y: P @ y + 1e-9 * rng.standard_normal(P.shape[0]), A, x, xp)
    assert res.outcome is Outcome.INCONCLUSIVE and res.rigor is Rigor.NUMERICAL
    assert "different outputs" in res.message


def test_dropout_in_train_mode_is_inconclusive_and_model_untouched():
    torch = pytest.importorskip("torch")
    A, P, x, xp = kernel_pair()
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                              torch.nn.Linear(16, 12)).train()
    before = [p.detach().clone() for p in net.parameters()]
    res = check_instability(net, A, x, xp)
    assert res.outcome is Outcome.INCONCLUSIVE and res.rigor is Rigor.NUMERICAL
    assert "different outputs" in res.message and "training mode" in res.message
    assert net.training and all(p.requires_grad for p in net.parameters())
    assert all(torch.equal(b, p) and p.dtype == torch.float32 for b, p in zip(before, net.parameters()))
    assert all(p.grad is None for p in net.parameters())


def test_torch_mlp_numbers_match_direct_evaluation():
    torch = pytest.importorskip("torch")
    A, P, x, xp = kernel_pair(seed=3)
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(6, 20), torch.nn.Tanh(), torch.nn.Linear(20, 12)).eval()
    res = check_instability(net, A, x, xp, ball_samples=0)
    # a random net is not accurate: inconclusive, hence numerical (finding 5), but evaluated in float64
    assert res.outcome is Outcome.INCONCLUSIVE and res.rigor is Rigor.NUMERICAL
    assert res.values["psi_precision"] == "float64"
    n64 = torch.nn.Sequential(torch.nn.Linear(6, 20), torch.nn.Tanh(), torch.nn.Linear(20, 12)).double()
    n64.load_state_dict({k: v.double() for k, v in net.state_dict().items()})
    with torch.no_grad():
        p, pp = (n64(torch.as_tensor(A @ v)).numpy() for v in (x, xp))
    assert res.values["error_x"] == pytest.approx(np.linalg.norm(p - x), rel=1e-12)
    ratio = np.linalg.norm(p - pp) / np.linalg.norm(A @ (x - xp))
    # the bound allows 16× Ψ's estimated rounding noise on each output (the change here is only ~3e-5)
    assert res.lower_bound == pytest.approx(ratio, rel=1e-8) and res.lower_bound <= ratio * (1 + 1e-12)
    assert all(p.dtype == torch.float32 for p in net.parameters())


def test_complex_fourier_operator():
    torch = pytest.importorskip("torch")
    from theorycheck.problems.masks import uniform_random_mask
    from theorycheck.problems.operators import SubsampledFourier

    A = SubsampledFourier(uniform_random_mask((8, 8), 0.5, seed=1))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 8))
    xp = x.copy()
    xp[2, 3] += 1.0
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(4, 1, 3, padding=1))
    from theorycheck.nets.adapters import as_reconstruction_map

    res = check_instability(as_reconstruction_map(net, input="adjoint"), A, x, xp, ball_samples=0)
    # inconclusive (a random net) hence numerical, but evaluated in float64 with a finite bound
    assert res.values["psi_precision"] == "float64" and math.isfinite(res.lower_bound)
    assert res.values["distance_measurements"] == pytest.approx(np.linalg.norm(A.apply(x - xp)))
    assert verify_result(load(res.to_json())).holds


# ---------------------------------------------------------------------------------
# saved certificates
# ---------------------------------------------------------------------------------


def test_json_round_trip_and_verify(pair, cert):
    A, P, x, xp = pair
    back = load(cert.to_json())
    assert isinstance(back, InstabilityCertificate) and back == cert
    assert back.false_negative == cert.false_negative
    assert verify_result(back).holds
    ok = verify_instability(back, psi=interpolant(A, P, x, xp))
    assert ok.holds and ok["psi_reevaluated"] is True
    other = verify_instability(back, psi=lambda y: P @ y)  # a different network
    assert other.violated


@pytest.mark.parametrize("tamper", ["lower_bound", "eta", "psi", "x", "outcome", "distance", "margin", "fn_error"])
def test_tampered_certificate_is_detected(cert, tamper):
    d = json.loads(cert.to_json())
    f = d["fields"]
    if tamper == "lower_bound":
        f["lower_bound"] = cert.lower_bound * 1.5
    elif tamper == "eta":
        f["eta"] = cert.eta * 0.5
    elif tamper in ("psi", "x"):
        key = "psi_y" if tamper == "psi" else "x"
        w = load(cert.to_json()).witness
        arr = np.array(w[key])
        arr[0] += 0.5
        from theorycheck.results import encode

        f["witness"]["__witness__"]["data"][key] = encode(arr)
    elif tamper == "outcome":
        f["outcome"] = "violated"
    elif tamper == "distance":
        f["values"]["distance_images"] = cert.values["distance_images"] * 0.1
    elif tamper == "margin":
        hyp = f["hypotheses"]
        key = next(iter(hyp))
        hyp[key]["__tuple__"][1] = 123.0
    elif tamper == "fn_error":
        f["false_negative"]["fields"]["error"] = 0.0
    res = verify_result(load(json.dumps(d)))
    assert res.violated, tamper


# ---------------------------------------------------------------------------------
# random noise
# ---------------------------------------------------------------------------------


def test_random_noise_positive_probability(pair):
    A, P, x, xp = pair
    psi = interpolant(A, P, x, xp)
    a = np.linalg.norm(A @ (x - xp))
    D = np.linalg.norm(x - xp)
    res = check_random_noise(psi, A, x, noise_norm=2 * a, trials=200, threshold=D / 4, seed=0)
    assert res.holds and res.rigor is Rigor.CERTIFIED_FLOAT64
    lo, hi = res.interval
    assert 0 < lo <= res.probability <= hi < 1
    assert res.exceedances == int(np.sum(res["errors"] > D / 4))
    assert res.worst_error > D / 4
    # same seed, same draws
    again = check_random_noise(psi, A, x, noise_norm=2 * a, trials=200, threshold=D / 4, seed=0)
    assert np.array_equal(again["errors"], res["errors"])
    # the worst draw's noise has the requested norm and is re-checkable by hand
    e = res.witness["e"]
    assert np.linalg.norm(e) == pytest.approx(2 * a)
    assert np.linalg.norm(psi(A @ x + e) - psi(A @ x)) == pytest.approx(res.worst_error, rel=1e-12)


def test_random_noise_none_above_threshold(pair):
    A, P, x, xp = pair
    res = check_random_noise(lambda y: P @ y, A, x, noise_norm=1e-3, trials=50, threshold=1.0, seed=1)
    assert res.outcome is Outcome.INCONCLUSIVE and res.exceedances == 0
    lo, hi = res.interval
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 50))  # Clopper–Pearson for k = 0
    with pytest.raises(InvalidArgument):
        check_random_noise(lambda y: P @ y, A, x, noise_norm=0.0, trials=5, threshold=1.0)


# ---------------------------------------------------------------------------------
# accuracy and sampling
# ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sparse_setting():
    from theorycheck.problems.programs import SRLasso

    rng = np.random.default_rng(1)
    A = rng.standard_normal((24, 48)) / np.sqrt(24)
    x = np.zeros(48)
    x[[3, 17, 30]] = [1.0, -0.7, 0.5]
    d = np.zeros(48)
    d[40] = 0.6
    return A, x, d, SRLasso(A, 0.05)


def test_accuracy_test_false_negative(sparse_setting):
    A, x, d, prog = sparse_setting
    x0 = x.copy()
    res = check_accuracy(lambda y: x0, A, x, d, baseline=prog)  # "too stable": ignores the data
    assert res.violated and res["detail_error_baseline"] < 1e-3
    assert res["detail_error_psi"] == pytest.approx(1.0)


def test_accuracy_test_holds_and_inconclusive(sparse_setting):
    A, x, d, prog = sparse_setting
    P = np.linalg.pinv(A)
    baseline_solution = check_accuracy(lambda y: P @ y, A, x, d,
                                       baseline=lambda y: x + d * (np.linalg.norm(y - A @ x) > 0))
    assert baseline_solution.violated  # the pseudo-inverse smears the spike
    same = check_accuracy(lambda y: x + d * (np.linalg.norm(y - A @ x) > 1e-12), A, x, d,
                          baseline=lambda y: x + d * (np.linalg.norm(y - A @ x) > 1e-12))
    assert same.holds
    weak = check_accuracy(lambda y: P @ y, A, x, d, baseline=lambda y: P @ y)
    assert weak.outcome is Outcome.INCONCLUSIVE
    with pytest.raises(InvalidArgument):
        check_accuracy(lambda y: P @ y, A, x, np.zeros_like(d), baseline=prog)


def test_sampling_monotonicity():
    from theorycheck.problems.operators import SubsampledFourier

    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 8))
    order = rng.permutation(64)
    masks = []
    for k in (16, 32, 48):
        mk = np.zeros(64, dtype=bool)
        mk[order[:k]] = True
        masks.append(mk.reshape(8, 8))
    # zero filling A^*y: the error can only shrink as nested masks grow
    def zero_fill(mk):
        A = SubsampledFourier(mk)
        return lambda y: np.real(A.adjoint(y))

    res = check_sampling_monotonicity(zero_fill, masks, x)
    assert res.holds and res.rigor is Rigor.CERTIFIED_FLOAT64
    errs = res["errors"]
    assert errs[0] > errs[1] > errs[2]
    bad = [zero_fill(masks[0]), zero_fill(masks[1]), lambda y: np.zeros((8, 8))]
    res2 = check_sampling_monotonicity(bad, masks, x)
    assert res2.violated and "48" in res2.message
    assert verify_result(load(res2.to_json())).holds
    flipped = json.loads(res2.to_json())
    flipped["fields"]["outcome"] = "holds"
    assert verify_result(load(json.dumps(flipped))).violated
    with pytest.raises(InvalidArgument):
        check_sampling_monotonicity(zero_fill, masks[::-1], x)


# ---------------------------------------------------------------------------------
# training-set audit
# ---------------------------------------------------------------------------------


def brute_pairs(A, X, eta):
    out = []
    for i, j in itertools.combinations(range(len(X)), 2):
        d = X[i] - X[j]
        if np.linalg.norm(A @ d.ravel()) <= eta and np.linalg.norm(d) > 2 * eta:
            out.append((i, j, (np.linalg.norm(d) - 2 * eta) / eta))
    return out


@pytest.mark.parametrize("complex_", [False, True])
def test_audit_matches_brute_force(complex_):
    rng = np.random.default_rng(3)
    m, N, n = 4, 9, 60
    A = rng.standard_normal((m, N))
    if complex_:
        A = A + 1j * rng.standard_normal((m, N))
    ker = np.linalg.svd(A)[2][m:].conj()
    X = rng.standard_normal((n, N)) * 0.3
    for i, j in [(1, 50), (7, 8), (20, 59)]:  # planted kernel pairs
        X[j] = X[i] + (1.0 + i / 10) * np.real(ker[0]) + 1e-3 * rng.standard_normal(N)
    for eta in (0.05, 0.5, 2.0):
        res = check_training_set(A, X, eta=eta, block_size=7, progress=False)
        want = brute_pairs(A, X, eta)
        got = sorted(res.pairs)
        assert [(i, j) for i, j, _ in got] == sorted((i, j) for i, j, _ in want)
        for (_, _, b), (_, _, bw) in zip(got, sorted(want)):
            assert b == pytest.approx(bw, rel=1e-12)
        assert res.violated == bool(want)


def test_audit_executor_blocks_and_order():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((3, 8))
    ker = np.linalg.svd(A)[2][3:]
    X = rng.standard_normal((40, 8))
    X[30] = X[2] + 3 * ker[0]
    X[11] = X[5] + 1 * ker[1]
    serial = check_training_set(A, X, eta=1e-6, block_size=16, progress=False)
    with ThreadPoolExecutor(2) as ex:
        parallel = check_training_set(A, X, eta=1e-6, block_size=5, executor=ex, progress=False)
    assert serial.pairs == parallel.pairs
    processes = check_training_set(A, X, eta=1e-6, block_size=7, executor="processes", progress=False)
    assert processes.pairs == serial.pairs and processes.message == serial.message
    with pytest.raises(InvalidArgument, match="executor"):
        check_training_set(A, X, eta=1e-6, executor=object(), progress=False)
    assert [p[:2] for p in serial] == [(2, 30), (5, 11)]  # largest bound first
    assert len(serial) == 2 and serial[0][2] > serial[1][2]
    assert serial.rigor is Rigor.CERTIFIED_FLOAT64
    clean = check_training_set(A, rng.standard_normal((10, 8)), eta=1e-6, progress=False)
    assert clean.holds and len(clean) == 0
    with pytest.raises(InvalidArgument):
        check_training_set(A, X, eta=0.0, progress=False)
    with pytest.raises(InvalidArgument):
        check_training_set(A, X[:, :5], eta=1.0, progress=False)


# ---------------------------------------------------------------------------------
# Chebyshev radius and the optimality constant
# ---------------------------------------------------------------------------------


def test_chebyshev_radius_is_certified_and_optimal():
    rng = np.random.default_rng(0)
    for K, d in [(2, 3), (3, 2), (5, 4), (12, 6), (30, 3)]:
        P = rng.standard_normal((K, d))
        r = chebyshev_radius(P)
        assert r.rigor is Rigor.PROVEN and r.lower <= r.value <= r.upper
        assert r.upper - r.lower <= 1e-12 * max(1.0, r.upper)
        dist = np.linalg.norm(P - r.center, axis=1)
        assert dist.max() <= r.upper * (1 + 1e-12)
        diam = max(np.linalg.norm(p - q) for p in P for q in P)
        assert diam / 2 <= r.upper and r.lower <= diam * math.sqrt(d / (2 * (d + 1))) + 1e-12  # Jung
        for _ in range(50):  # no nearby centre does better
            c = r.center + 1e-3 * rng.standard_normal(d)
            assert np.linalg.norm(P - c, axis=1).max() >= r.lower * (1 - 1e-12)
    two = chebyshev_radius([[0.0, 0.0], [3.0, 4.0]])
    assert two.lower <= 2.5 <= two.upper


def test_optimality_constant_triangle():
    A = np.array([[1.0, 0.0, 0.0]])
    s = math.sqrt(3) / 2
    tri = np.array([[0.2, 0.0, 1.0], [0.2, -s, -0.5], [0.2, s, -0.5]])
    res = optimality_constant(A, tri)
    assert res.rigor is Rigor.PROVEN and res.lower <= 1.0 <= res.upper
    assert float(res) == pytest.approx(1.0, abs=1e-12)
    assert res.kersize == pytest.approx(math.sqrt(3))
    assert res.kersize / 2 < res.lower and res.upper <= res.kersize
    assert set(res.subset) == {0, 1, 2}


def brute_copt(A, X, eta):
    best = 0.0
    Y = X @ A.T
    for k in range(1, len(X) + 1):
        for S in itertools.combinations(range(len(X)), k):
            if chebyshev_radius(Y[list(S)]).value <= eta * (1 + 1e-9):
                best = max(best, chebyshev_radius(X[list(S)]).value)
    return best


def test_optimality_constant_matches_brute_force():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((1, 3))
    X = rng.standard_normal((6, 3))
    for eta in (0.1, 0.5, 1.5):
        res = optimality_constant(A, X, eta=eta)
        want = brute_copt(A, X, eta)
        assert res.lower - 1e-9 <= want <= res.upper + 1e-9
        assert res.kersize / 2 <= res.upper + 1e-12 and res.lower <= res.kersize + 1e-12


def test_optimality_constant_exact_fibres_and_bad_input():
    A = np.array([[1.0, 0.0]])
    X = np.array([[0.0, 0.0], [0.0, 2.0], [1.0, 0.0]])  # the first two share a fibre
    res = optimality_constant(A, X)
    assert res.lower <= 1.0 <= res.upper and set(res.subset) == {0, 1}
    with pytest.raises(InvalidArgument):
        optimality_constant(A, X, eta=-1.0)
    with pytest.raises(InvalidArgument):
        optimality_constant(A, X[:, :1])
    with pytest.raises(InvalidArgument):
        optimality_constant(A, np.zeros((70, 2)))


# ---------------------------------------------------------------------------------
# verifiers of the other results
# ---------------------------------------------------------------------------------


def _tampered(res, path, value):
    d = json.loads(res.to_json())
    node = d["fields"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return load(json.dumps(d))


def test_other_results_verify_and_detect_tampering(pair, sparse_setting):
    from theorycheck.instability import verify_noise_instability

    A, P, x, xp = pair
    psi = interpolant(A, P, x, xp)
    a, D = np.linalg.norm(A @ (x - xp)), np.linalg.norm(x - xp)
    noise = check_random_noise(psi, A, x, noise_norm=2 * a, trials=40, threshold=D / 4, seed=0)
    assert verify_result(load(noise.to_json())).holds
    assert verify_noise_instability(load(noise.to_json()), psi=psi).holds
    assert verify_result(_tampered(noise, ["exceedances"], noise.exceedances + 1)).violated
    assert verify_result(_tampered(noise, ["worst_error"], noise.worst_error * 2)).violated

    As, xs, d, prog = sparse_setting
    x0 = xs.copy()
    acc = check_accuracy(lambda y: x0, As, xs, d, baseline=prog)
    assert verify_result(load(acc.to_json())).holds
    assert verify_result(_tampered(acc, ["outcome"], "holds")).violated

    X = np.random.default_rng(0).standard_normal((12, 12))
    X[5] = X[1] + 2 * np.linalg.svd(A)[2][-1]
    aud = check_training_set(A, X, eta=1e-6, progress=False)
    assert aud.violated and verify_result(load(aud.to_json())).holds
    assert verify_result(_tampered(aud, ["eta"], 10.0)).violated

    tri = np.array([[0.0, 0.0, 1.0], [0.0, -0.8660254037844386, -0.5], [0.0, 0.8660254037844386, -0.5]])
    oc = optimality_constant(np.array([[1.0, 0.0, 0.0]]), tri)
    assert verify_result(load(oc.to_json())).holds
    assert verify_result(_tampered(oc, ["lower"], 1.5)).violated
    cr = chebyshev_radius(tri)
    assert verify_result(load(cr.to_json())).holds
    assert verify_result(_tampered(cr, ["upper"], 0.5)).violated


# ---------------------------------------------------------------------------------
# regressions of the soundness review (review_instability findings 1–8)
# ---------------------------------------------------------------------------------


def _replace(res, **kw):
    import dataclasses

    return dataclasses.replace(res, **kw)


def test_review1_tampered_tolerance_is_rejected():
    A = np.array([[1.0, 0.0]])
    psi = lambda y: np.array([0.01 * y[0], 0.0])  # noqa: E731 - far from accurate
    c = check_instability(psi, A, [0.0, 0.0], [0.0, 1.0], eta=0.4, ball_samples=0)
    assert c.outcome is Outcome.INCONCLUSIVE
    hyp = {k: (True, m) for k, (h, m) in c.hypotheses.items()}
    forged = _replace(c, values={**c.values, "tolerance": -1.0}, outcome=Outcome.HOLDS,
                      rigor=Rigor.CERTIFIED_FLOAT64, hypotheses=hyp)
    v = verify_instability(forged)
    assert v.outcome is Outcome.VIOLATED
    assert any("tolerance" in p for p in v.values["problems"])


def _batch_dependent(A, P, x, xp):
    """Exact (hence unstable) on one sample; in a batch, rows are offset by their index."""
    f = interpolant(A, P, x, xp)

    def F(Y):
        out = np.stack([f(y) for y in Y])
        if Y.shape[0] > 1:
            out = out + 1e3 * np.arange(Y.shape[0])[:, None]
        return out

    return F


def test_review2_batch_dependent_map_is_evaluated_per_sample(pair):
    from theorycheck.nets.adapters import as_reconstruction_map

    A, P, x, xp = pair
    F = _batch_dependent(A, P, x, xp)
    psi = as_reconstruction_map(F, batched=True)
    c = check_instability(psi, A, x, xp, ball_samples=4, seed=0)
    assert c.certified
    for key, y in (("psi_y", A @ x), ("psi_y_prime", A @ xp)):
        assert np.array_equal(c.witness[key], F(y[None])[0])
    # the (numerical) ball is not sampled with batch-dependent outputs
    assert c.ball_radius == 0.0 and "batch" in c.values["ball_note"]


def test_review2_noise_worst_draw_is_evaluated_alone(pair):
    from theorycheck.nets.adapters import as_reconstruction_map

    A, P, x, xp = pair
    F = _batch_dependent(A, P, x, xp)
    res = check_random_noise(as_reconstruction_map(F, batched=True), A, x, noise_norm=1e-6,
                                   trials=8, threshold=1.0, seed=0, batch_size=8)
    # alone, Ψ moves by at most ~1e-6·(gain) under this noise: the batch offsets must not count
    assert not res.holds and "unreliable" in res.values["interval_rigor"]


def test_review4_in_place_model_does_not_touch_inputs(pair):
    torch = pytest.importorskip("torch")
    A = np.random.default_rng(0).standard_normal((6, 6))
    x = np.random.default_rng(1).standard_normal(6)
    net = torch.nn.Sequential(torch.nn.ReLU(inplace=True), torch.nn.Linear(6, 6).double())
    from theorycheck.nets.adapters import as_reconstruction_map

    psi = as_reconstruction_map(net, layout="plain", A=A)
    y = A @ x
    y_copy = y.copy()
    psi(y)
    psi.evaluate_batch(y[None])
    assert np.array_equal(y, y_copy)
    res = check_random_noise(psi, A, x, noise_norm=0.1, trials=4, threshold=1e9, seed=0)
    assert np.array_equal(res.witness["y"], A @ x)  # the reference measurements are intact


def test_review5_theorem_bound_needs_the_hypotheses():
    A = np.array([[1.0, 0.0]])
    psi = lambda y: np.array([0.01 * y[0], 0.0])  # noqa: E731
    c = check_instability(psi, A, [0.0, 0.0], [0.0, 1.0], eta=0.4, ball_samples=0)
    assert c.outcome is Outcome.INCONCLUSIVE and c.rigor is Rigor.NUMERICAL
    assert "theorem_bound_at_eta" not in c.values
    with pytest.raises(PreconditionError) as info:
        c.theorem_bound(1.0)
    assert info.value.hypothesis in c.hypotheses
    assert verify_instability(c).outcome is Outcome.HOLDS  # the honest file re-checks


def test_review6_reduced_precision_output_is_not_certified(pair):
    A, P, x, xp = pair
    f = interpolant(A, P, x, xp)
    assert check_instability(f, A, x, xp, ball_samples=0).certified
    c = check_instability(lambda y: f(y).astype(np.float32), A, x, xp, ball_samples=0)
    assert not c.certified and c.rigor is Rigor.NUMERICAL and c.outcome is not Outcome.HOLDS
    assert c.values["psi_precision"] == "float32" and "float32" in c.message


def test_review6_half_precision_module_is_not_certified(pair):
    torch = pytest.importorskip("torch")
    A, P, x, xp = pair

    class Half(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(6, 12)

        def forward(self, y):
            return self.lin(y).half()

    c = check_instability(Half().eval(), A, x, xp, ball_samples=0)
    assert c.rigor is Rigor.NUMERICAL and c.values["psi_precision"] == "float16"


def test_review7_float32_fallback_is_numerical(pair):
    torch = pytest.importorskip("torch")
    from theorycheck.nets.adapters import as_reconstruction_map

    A, P, x, xp = pair
    torch.manual_seed(0)
    net32 = torch.nn.Linear(6, 12)  # float32: rejects float64 input
    psi = as_reconstruction_map(lambda y: net32(y), backend="torch")
    c = check_instability(psi, A, x, xp, ball_samples=0)
    assert c.rigor is Rigor.NUMERICAL and c.values["psi_precision"] == "float32"


def _exact_norm(v):
    import mpmath

    with mpmath.workdps(60):
        return mpmath.sqrt(mpmath.fsum(mpmath.mpf(float(t)) ** 2 for t in np.ravel(v)))


def test_review8_bounds_rounded_outward(pair, cert):
    import mpmath

    A, P, x, xp = pair
    eta = cert.eta
    D = _exact_norm(x - xp)  # x, x′ are the stored float64 images: exact distance
    with mpmath.workdps(60):
        for eps in (eta, 3 * eta):
            # the /η form for every ε ≥ η (seed 004), rounded down
            assert mpmath.mpf(cert.theorem_bound(eps)) < (D - 2 * mpmath.mpf(eta)) / mpmath.mpf(eta)
            assert mpmath.mpf(cert.values["theorem_bound_at_eta"]) < (D - 2 * mpmath.mpf(eta)) / mpmath.mpf(eta)
        y, yp = cert.witness["y"], cert.witness["y_prime"]
        ratio = _exact_norm(cert.witness["psi_y"] - cert.witness["psi_y_prime"]) / _exact_norm(y - yp)
        assert mpmath.mpf(cert.lower_bound) < ratio
    # the ε threshold of the witnessed bound is rounded up
    a = cert.values["distance_measurements"]
    with pytest.raises(InvalidArgument):
        cert.witnessed_bound(a)
    # a lower bound raised by 1e-13 (within the old 1e-12 slack) is rejected
    forged = _replace(cert, lower_bound=cert.values["ratio"] * (1 + 1e-13))
    assert verify_instability(forged).outcome is Outcome.VIOLATED


def test_review8_audit_pair_bound_rounded_down():
    import dataclasses

    import mpmath

    from theorycheck.instability import verify_training_set_audit

    A = np.array([[1.0, 0.0, 0.0]])
    X = np.array([[0.0, 0.0, 0.0], [0.0, 0.3, 0.0], [5.0, 0.0, 0.0]])
    eta = 0.1
    res = check_training_set(A, X, eta=eta, progress=False)
    (i, j, b), = list(res)
    with mpmath.workdps(60):
        exact = (_exact_norm(X[i] - X[j]) - 2 * mpmath.mpf(eta)) / mpmath.mpf(eta)
        assert mpmath.mpf(b) < exact
    assert verify_training_set_audit(res).outcome is Outcome.HOLDS
    raised = float(np.nextafter(float(exact), np.inf))  # above the true bound
    forged = dataclasses.replace(res, pairs=((i, j, raised),))
    assert verify_training_set_audit(forged).outcome is Outcome.VIOLATED


# ---------------------------------------------------------------------------------
# why no η works: the measurement distance and the accuracy are different causes
# ---------------------------------------------------------------------------------


def _far_measurement_pair():
    """x = 0 and x′ = 2·(unit kernel vector) + 3·(unit range vector): ‖A(x − x′)‖ > ‖x − x′‖/2."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 8)) / 2.0
    P = np.linalg.pinv(A)
    d = rng.standard_normal(8)
    ker = d - P @ (A @ d)
    rng_part = P @ (A @ d)
    xp = 2.0 * ker / np.linalg.norm(ker) + 3.0 * rng_part / np.linalg.norm(rng_part)
    return A, P, np.zeros(8), xp


def test_no_eta_message_names_the_measurement_distance():
    A, P, x, xp = _far_measurement_pair()
    a, D = np.linalg.norm(A @ (x - xp)), np.linalg.norm(x - xp)
    assert a > D / 2  # independent ground truth: no η has ‖A(x − x′)‖ ≤ η < ‖x − x′‖/2
    cert = check_instability(interpolant(A, P, x, xp), A, x, xp, ball_samples=0)
    assert cert.outcome is Outcome.INCONCLUSIVE
    # Ψ is exact on both images: accuracy is not the cause, the measurement distance is
    assert cert.values["error_x"] < 1e-12 and cert.values["error_x_prime"] < 1e-12
    assert "not accurate" not in cert.message
    assert f"‖A(x − x′)‖ = {a:.3g} is not below ‖x − x′‖/2 = {D / 2:.3g}" in cert.message
    assert "too far apart" in cert.message
    assert verify_result(load(cert.to_json())).holds  # the message is re-derived from the witness


def test_no_eta_message_names_the_inaccuracy_when_that_is_the_cause(pair):
    A, P, x, xp = pair
    cert = check_instability(lambda y: P @ y, A, x, xp, ball_samples=0)  # smears the kernel part
    err = max(np.linalg.norm(P @ (A @ x) - x), np.linalg.norm(P @ (A @ xp) - xp))
    assert err >= np.linalg.norm(x - xp) / 2 and np.linalg.norm(A @ (x - xp)) < np.linalg.norm(x - xp) / 2
    assert cert.outcome is Outcome.INCONCLUSIVE
    assert "Ψ is not accurate enough" in cert.message and "too far apart" not in cert.message
    assert verify_result(load(cert.to_json())).holds


# ---------------------------------------------------------------------------------
# deprecated names (one release): they warn and give the new functions' results
# ---------------------------------------------------------------------------------


def test_deprecated_names_warn_and_match_the_new_ones(pair):
    import theorycheck
    import theorycheck.instability as inst

    A, P, x, xp = pair
    psi = interpolant(A, P, x, xp)
    a, D = np.linalg.norm(A @ (x - xp)), np.linalg.norm(x - xp)
    X = np.stack([x, xp, x + 1.0])
    d = np.zeros(12)
    d[3] = 0.5
    cases = {
        "random_noise_instability": ("check_random_noise", (psi, A, x),
                                     dict(noise_norm=2 * a, trials=10, threshold=D / 4, seed=0)),
        "accuracy_test": ("check_accuracy", (lambda y: P @ y, A, x, d), dict(baseline=lambda y: x + d)),
        "audit_training_set": ("check_training_set", (A, X), dict(eta=1e-3, progress=False)),
    }
    for old, (new, args, kw) in cases.items():
        with pytest.warns(DeprecationWarning, match=f"{old} is deprecated; use {new}"):
            res_old = getattr(inst, old)(*args, **kw)
        res_new = getattr(inst, new)(*args, **kw)
        assert res_old.check == res_new.check and res_old.outcome is res_new.outcome
        assert res_old.message == res_new.message
        assert getattr(theorycheck, old) is getattr(inst, old)
        # the top-level lazy table (theorycheck/__init__.py) exports the new name as the same object
        assert getattr(theorycheck, new, getattr(inst, new)) is getattr(inst, new)
    with pytest.warns(DeprecationWarning, match="sampling_monotonicity_test is deprecated"):
        masks = [np.eye(4, dtype=bool), np.ones((4, 4), dtype=bool)]
        old = inst.sampling_monotonicity_test([lambda y: np.zeros((4, 4))] * 2, masks, np.ones((4, 4)))
    assert old.check == "sampling_monotonicity"
