"""FIRENET (docs/theory.md §6.4) agrees with restarted_primal_dual and converges; LISTA starts as ISTA and trains."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.errors import InvalidArgument  # noqa: E402
from theorycheck.nets.firenet import FIRENET  # noqa: E402
from theorycheck.nets.lista import LISTA, train_lista  # noqa: E402
from theorycheck.problems.operators import MatrixOperator, SubsampledFourier  # noqa: E402
from theorycheck.problems.programs import Lasso, SRLasso  # noqa: E402
from theorycheck.problems.sparsifiers import Wavelet  # noqa: E402
from theorycheck.solvers.primal_dual import restarted_primal_dual  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny networks: intra-op threads only add contention (restored afterwards)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def gaussian(seed=0, m=30, N=80, s=4):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N)) / np.sqrt(m)
    x0 = np.zeros(N)
    x0[rng.choice(N, s, replace=False)] = rng.choice([-1.0, 1.0], s) * (1 + rng.random(s))
    return rng, A, x0


# -- FIRENET ---------------------------------------------------------------------------------

def test_firenet_matches_restarted_primal_dual_real_weighted_batched():
    rng, A, x0 = gaussian()
    y = A @ x0 + 1e-3 * rng.standard_normal(A.shape[0])
    P = SRLasso(A, lam=0.1, weights=1 + rng.random(A.shape[1]))
    net = FIRENET(P, restarts=6, device="cpu")
    z = net(torch.tensor(y)).numpy()
    ref = restarted_primal_dual(P, y, restarts=6, tol=0)  # numpy backend: an independent code path
    assert np.max(np.abs(z - ref.x)) <= 1e-12 * np.max(np.abs(ref.x))
    assert net.layers == 6 * ref.info["inner"] == ref.iterations
    Y = np.stack([y, -2 * y, np.zeros_like(y)])
    Z = net(torch.tensor(Y)).numpy()
    refb = restarted_primal_dual(P, torch.tensor(Y), restarts=6, tol=0, device="cpu")
    assert Z.shape == (3, A.shape[1])
    assert np.max(np.abs(Z - refb.x)) <= 1e-12 * np.max(np.abs(refb.x))
    assert np.allclose(Z[0], z, rtol=0, atol=1e-13) and np.all(Z[2] == 0)


def test_firenet_matches_with_options_and_complex_unitary_W():
    rng = np.random.default_rng(2)
    n = 64
    mask = rng.random(n) < 0.5
    mask[0] = True
    A = SubsampledFourier(mask)
    W = Wavelet((n,), wavelet="db2")
    c = np.zeros(n)
    c[[1, 5, 20]] = [1.0, -2.0, 0.5]
    y = A.apply(W.adjoint(c)) + 1e-3 * (rng.standard_normal(mask.sum()) + 1j * rng.standard_normal(mask.sum()))
    P = SRLasso(A, lam=0.05, W=W)
    kw = dict(restarts=4, inner=30, eps0=2.0, delta=1e-3, L_A=1.1, tau=0.5, sigma=1.5)
    z = FIRENET(P, device="cpu", **kw)(torch.tensor(y))
    ref = restarted_primal_dual(P, y, tol=0, **kw)
    assert z.dtype == torch.complex128
    assert np.max(np.abs(z.numpy() - ref.x)) <= 1e-12 * np.max(np.abs(ref.x))


def test_firenet_converges_exponentially_to_the_certified_minimiser():
    from theorycheck.impossibility import certify_interpolating_srlasso

    rng, A, x0 = gaussian(seed=0, m=60, N=200, s=5)
    y_exact = np.array([sum((Fraction(A[r, i]) * Fraction(x0[i]) for i in np.flatnonzero(x0)), Fraction(0))
                        for r in range(60)], dtype=object)
    sol = certify_interpolating_srlasso(A, y_exact, x0, 0.1)
    assert sol.rigor.value == "proven"
    net = FIRENET(A, 0.1, restarts=16, inner=50, device="cpu")
    z, hist = net(torch.tensor([float(v) for v in y_exact], dtype=torch.float64), history=True)
    errs = [float(np.linalg.norm(h.numpy() - x0) / np.linalg.norm(x0)) for h in hist]
    assert len(errs) == 16 and errs[-1] < 1e-7
    # about e^-1 per restart (the ε schedule): every 4 restarts gain at least a factor 20
    assert all(errs[k + 4] < errs[k] / 20 for k in range(0, 10))


def test_firenet_is_scale_equivariant_float32_and_differentiable():
    rng, A, x0 = gaussian(seed=3)
    y = A @ x0
    net = FIRENET(A, 0.1, restarts=5, device="cpu")
    z1 = net(torch.tensor(y)).numpy()
    z2 = net(torch.tensor(1000.0 * y)).numpy()
    assert np.allclose(1000.0 * z1, z2, rtol=1e-9, atol=1e-9)
    z32 = FIRENET(A, 0.1, restarts=5, device="cpu", dtype=torch.float32)(torch.tensor(y, dtype=torch.float32))
    assert z32.dtype == torch.float32 and np.allclose(z32.numpy(), z1, atol=1e-3)
    yt = torch.tensor(y, requires_grad=True)
    net(yt).pow(2).sum().backward()
    assert yt.grad is not None and torch.isfinite(yt.grad).all() and yt.grad.abs().sum() > 0


def test_firenet_bad_input():
    A = np.eye(3)
    with pytest.raises(InvalidArgument):
        FIRENET(A)  # no λ
    with pytest.raises(InvalidArgument):
        FIRENET(SRLasso(A, lam=1.0), lam=1.0)
    with pytest.raises(InvalidArgument):
        FIRENET(Lasso(A, lam=1.0))
    with pytest.raises(InvalidArgument):
        FIRENET(A, 1.0, W=MatrixOperator(2 * np.eye(3)))  # not unitary
    for kw in (dict(restarts=0), dict(inner=-1), dict(delta=-1.0), dict(eps0=0.0), dict(L_A=0.0),
               dict(tau=1.0, sigma=1.0), dict(dtype=torch.int64)):
        with pytest.raises(InvalidArgument):
            FIRENET(A, 1.0, device="cpu", **kw)
    net = FIRENET(A, 1.0, restarts=2, device="cpu")
    for y in (np.ones(4), np.array([1.0, np.nan, 0.0]), np.ones(3) * 1j, np.array(["a", "b", "c"])):
        with pytest.raises(InvalidArgument):
            net(y)


# -- LISTA -----------------------------------------------------------------------------------

def test_untrained_lista_is_ista():
    rng, A, x0 = gaussian(seed=1)
    y = A @ x0
    lam = 0.05
    net = LISTA(A, layers=7, lam=lam, device="cpu")
    L = np.linalg.norm(A, 2) ** 2
    x = np.zeros(A.shape[1])
    for _ in range(7):  # ISTA on λ‖x‖₁ + ‖Ax − y‖²: step 1/(2‖A‖²)
        v = x + A.T @ (y - A @ x) / L
        x = np.sign(v) * np.maximum(np.abs(v) - lam / (2 * L), 0)
    out = net(torch.tensor(y)).detach().numpy()
    assert np.allclose(out, x, rtol=1e-12, atol=1e-14)
    assert net(torch.tensor(np.stack([y, y]))).shape == (2, A.shape[1])
    assert torch.allclose(net.thresholds(), torch.full((7,), lam / (2 * L), dtype=torch.float64))


def test_lista_training_is_seeded_reduces_the_loss_and_does_not_mutate():
    rng, A, _ = gaussian(seed=2, m=20, N=40)
    X = np.zeros((64, 40))
    for k in range(64):
        X[k, rng.choice(40, 3, replace=False)] = rng.standard_normal(3)
    Y = X @ A.T
    net = LISTA(A, layers=3, lam=1e-3, device="cpu")
    net.eval()
    before = [p.detach().clone() for p in net.parameters()]
    kw = dict(epochs=4, batch_size=16, lr=3e-2)
    t1, h1 = train_lista(net, Y, X, seed=5, **kw)
    t2, h2 = train_lista(net, Y, X, seed=5, **kw)
    t3, h3 = train_lista(net, Y, X, seed=6, **kw)
    assert h1["loss"] == h2["loss"] and h1["loss"] != h3["loss"]
    assert all(torch.equal(a, b) for a, b in zip(t1.parameters(), t2.parameters()))
    assert all(b < a for a, b in zip(h1["loss"], h1["loss"][1:]))
    assert h1["loss"][-1] < 0.75 * h1["loss"][0]
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))  # not mutated
    assert not net.training and not t1.training  # mode kept
    t4, _ = train_lista(net, Y, X, epochs=1, seed=0, inplace=True)
    assert t4 is net and not net.training


def test_lista_complex_and_bad_input():
    rng = np.random.default_rng(0)
    A = (rng.standard_normal((6, 10)) + 1j * rng.standard_normal((6, 10))) / 4
    net = LISTA(A, layers=3, device="cpu")
    x = np.zeros(10, dtype=complex)
    x[2] = 1 + 1j
    out = net(torch.tensor(A @ x))
    assert out.dtype == torch.complex128 and out.shape == (10,)
    _, h = train_lista(net, np.stack([A @ x] * 8), np.stack([x] * 8), epochs=2, batch_size=4)
    assert np.isfinite(h["loss"]).all()
    real = LISTA(np.eye(3), layers=2, device="cpu")
    for bad in (np.ones(4), np.ones(3) * 1j, np.array([np.inf, 0, 0])):
        with pytest.raises(InvalidArgument):
            real(bad)
    for kw in (dict(layers=0), dict(lam=-1.0), dict(c=0.0), dict(dtype=torch.int32)):
        with pytest.raises(InvalidArgument):
            LISTA(np.eye(3), device="cpu", **kw)
    with pytest.raises(InvalidArgument):
        LISTA(np.zeros((2, 2)), device="cpu")
    with pytest.raises(InvalidArgument):
        train_lista(real, np.ones((4, 3)), np.ones((5, 3)))
    with pytest.raises(InvalidArgument):
        train_lista(real, np.ones((4, 3)), np.ones((4, 3)), loss="l1")
    with pytest.raises(InvalidArgument):
        train_lista("net", np.ones((4, 3)), np.ones((4, 3)))


# -- issue 11: zero operator, unbounded layers, homogeneity near the float range ---------------

def test_issue11_firenet_refuses_the_zero_operator_and_absurd_layer_counts():
    import time

    t0 = time.perf_counter()
    with pytest.raises(InvalidArgument, match="zero operator"):
        FIRENET(np.zeros((3, 5)), lam=0.5, restarts=2, device="cpu")
    with pytest.raises(InvalidArgument, match="inner"):  # default inner ∝ ‖A‖/λ ≈ 3·10^7
        FIRENET(1e7 * np.eye(3), lam=0.5, device="cpu")
    for kw in (dict(restarts=10 ** 9), dict(restarts=10, inner=10 ** 6), dict(restarts=0),
               dict(restarts=2, inner=0), dict(restarts=2.5), dict(dtype="float64"),
               dict(dtype=np.zeros(2)), dict(device=2 ** 70)):
        with pytest.raises(InvalidArgument):
            FIRENET(np.eye(3), lam=0.5, **{"restarts": 2, **kw})
    assert time.perf_counter() - t0 < 2.0


def test_issue11_firenet_is_exactly_homogeneous_up_to_the_float_range():
    # the SR-LASSO minimiser is positively homogeneous: Ψ(2^k y) = 2^k Ψ(y); the network runs each
    # sample on an exact power-of-two rescaling, so the identity holds bit for bit, also where the
    # unscaled iteration overflows (‖y‖² > 1e308) or underflows (1/ε > 1e308)
    rng = np.random.default_rng(17)
    A = rng.standard_normal((6, 10)) / np.sqrt(6)
    y = rng.standard_normal(6)
    net = FIRENET(A, 0.2, restarts=4, inner=15, device="cpu")
    base = net(torch.tensor(y)).numpy()
    assert np.all(np.isfinite(base)) and np.any(base != 0)
    for k in (700, 1000, -900, -1000, 40):
        out = net(torch.tensor(np.ldexp(y, k))).numpy()
        assert np.array_equal(out, np.ldexp(base, k)), k
    batch = net(torch.tensor(np.stack([y, np.ldexp(y, 1000), np.ldexp(y, -1000)]))).numpy()
    # (rows of a batch are compared with each other: BLAS may sum a batch in another order)
    assert np.array_equal(batch[1], np.ldexp(batch[0], 1000))
    assert np.array_equal(batch[2], np.ldexp(batch[0], -1000))
    assert net(torch.zeros((0, 6), dtype=torch.float64)).shape == (0, 10)  # an empty batch
    with pytest.raises(InvalidArgument, match="not finite"):  # a result beyond float64 is refused
        tiny = FIRENET(1e-300 * np.eye(2), lam=1e-301, restarts=1, inner=3, device="cpu")
        tiny(torch.tensor([1e300, 1e300], dtype=torch.float64))


def test_issue11_lista_refuses_absurd_sizes_and_complex_targets_for_real_A():
    import time

    rng = np.random.default_rng(2)
    A = rng.standard_normal((4, 8))
    t0 = time.perf_counter()
    for kw in (dict(layers=10 ** 9), dict(layers=0), dict(dtype="float32"), dict(device=2 ** 70)):
        with pytest.raises(InvalidArgument):
            LISTA(A, **{"layers": 2, **kw})
    with pytest.raises(InvalidArgument):
        LISTA(np.zeros((4, 8)), 2)
    assert time.perf_counter() - t0 < 2.0
    net = LISTA(A, 2, device="cpu")
    with pytest.raises(InvalidArgument, match="complex"):
        train_lista(net, np.ones((3, 4)), np.ones((3, 8)) + 1j, epochs=1)
    for kw in (dict(inplace="yes"), dict(seed=-1), dict(seed=2 ** 70), dict(loss=["mse"]),
               dict(epochs=10 ** 12), dict(callback=3)):
        with pytest.raises(InvalidArgument):
            train_lista(net, np.ones((3, 4)), np.ones((3, 8)), **{"epochs": 1, **kw})
    with pytest.raises(InvalidArgument):
        net([[1.0, 2.0], [3.0]])
