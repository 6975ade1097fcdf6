"""U-Net, seeded training helper and the shipped demo network (theorycheck.nets)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.errors import InvalidArgument  # noqa: E402
from theorycheck.nets.pretrained import (  # noqa: E402
    DEMO_CONFIG,
    build_demo_setting,
    build_kernel_pair,
    demo_unet_path,
    load_demo_unet,
    save_demo_unet,
)
from theorycheck.nets.train import TrainingHistory, reconstruct, train_reconstruction  # noqa: E402
from theorycheck.nets.unet import UNet, adjoint_channels  # noqa: E402
from theorycheck.problems.data import detail_image, random_ellipses  # noqa: E402
from theorycheck.problems.masks import uniform_random_mask  # noqa: E402
from theorycheck.problems.operators import SubsampledFourier  # noqa: E402


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same_state(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ---------------------------------------------------------------------------------
# U-Net
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("in_ch,width,depth,n", [(2, 4, 1, 8), (1, 3, 2, 16), (2, 2, 0, 5),
                                                 (2, 4, 3, 16)])
def test_unet_shapes(in_ch, width, depth, n):
    net = UNet(in_ch, width=width, depth=depth, seed=0)
    out = net(torch.randn(3, in_ch, n, n, generator=torch.Generator().manual_seed(0)))
    assert out.shape == (3, 1, n, n)
    assert net.config() == {"in_channels": in_ch, "out_channels": 1, "width": width,
                            "depth": depth, "residual": True}


def test_unet_residual_passes_real_part_through():
    net = UNet(width=2, depth=1, seed=0)
    with torch.no_grad():
        for p in net.head.parameters():
            p.zero_()
    x = torch.randn(2, 2, 8, 8, generator=torch.Generator().manual_seed(1))
    assert torch.equal(net(x), x[:, :1])


def test_unet_seeded_init_is_local_and_reproducible():
    before = torch.get_rng_state()
    a, b, c = UNet(width=4, seed=3), UNet(width=4, seed=3), UNet(width=4, seed=4)
    assert torch.equal(before, torch.get_rng_state())
    assert _same_state(_state(a), _state(b))
    assert not _same_state(_state(a), _state(c))


def test_unet_bad_input():
    net = UNet(width=2, depth=2, seed=0)
    with pytest.raises(InvalidArgument, match="divisible"):
        net(torch.zeros(1, 2, 10, 10))
    with pytest.raises(InvalidArgument, match=r"\(B, 2, n, n\)"):
        net(torch.zeros(1, 1, 8, 8))
    with pytest.raises(InvalidArgument):
        UNet(width=0)
    with pytest.raises(InvalidArgument):
        UNet(out_channels=2, residual=True)


def test_adjoint_channels():
    z = torch.complex(torch.ones(2, 4, 4), -2 * torch.ones(2, 4, 4))
    two = adjoint_channels(z)
    assert two.shape == (2, 2, 4, 4)
    assert torch.equal(two[:, 0], z.real) and torch.equal(two[:, 1], z.imag)
    assert torch.equal(adjoint_channels(z, 1)[:, 0], z.real)
    with pytest.raises(InvalidArgument):
        adjoint_channels(z, 3)


# ---------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny():
    A = SubsampledFourier(uniform_random_mask((8, 8), 0.4, seed=0))
    X = random_ellipses(8, seed=0, batch=12)
    return A, X


def _train(A, X, seed, *, noise=0.0, epochs=3, init=0):
    net = UNet(width=3, depth=1, seed=init)
    h = train_reconstruction(net, A, X, epochs=epochs, lr=3e-3, batch_size=5, seed=seed,
                             noise=noise, progress=False, threads=1)
    return net, h


@pytest.mark.parametrize("noise", [0.0, 0.05])
def test_training_is_deterministic_under_a_seed(tiny, noise):
    A, X = tiny
    n1, h1 = _train(A, X, 7, noise=noise)
    n2, h2 = _train(A, X, 7, noise=noise)
    n3, h3 = _train(A, X, 8, noise=noise)
    assert _same_state(_state(n1), _state(n2)) and h1.losses == h2.losses
    assert not _same_state(_state(n1), _state(n3))
    assert h1.losses != h3.losses


def test_training_leaves_data_and_global_state_alone(tiny):
    A, X = tiny
    X0 = X.copy()
    Xt = torch.tensor(X)
    rng = torch.get_rng_state()
    det = torch.are_deterministic_algorithms_enabled()
    threads = torch.get_num_threads()
    net = UNet(width=3, depth=1, seed=0).eval()
    train_reconstruction(net, A, Xt, epochs=1, lr=1e-3, batch_size=4, seed=0, progress=False,
                         threads=1)
    train_reconstruction(net, A, X, epochs=1, lr=1e-3, batch_size=4, seed=0, progress=False)
    assert np.array_equal(X, X0) and torch.equal(Xt, torch.tensor(X0))
    assert not net.training  # mode restored
    assert torch.equal(rng, torch.get_rng_state())
    assert torch.are_deterministic_algorithms_enabled() == det
    assert torch.get_num_threads() == threads


def test_training_reduces_the_reconstruction_error(tiny):
    A, X = tiny
    before = UNet(width=3, depth=1, seed=0)
    err0 = np.linalg.norm(reconstruct(before, A, A.apply(X)) - X)
    net, h = _train(A, X, 0, epochs=40)
    err1 = np.linalg.norm(reconstruct(net, A, A.apply(X)) - X)
    assert h.decreased and err1 < 0.7 * err0
    # the history's loss is the mean squared error per pixel of the model in train mode
    # after the last step's update at most one epoch old: compare orders of magnitude only
    assert h.final_loss < err0**2 / X.size


def test_training_callback_and_early_stop(tiny):
    A, X = tiny
    seen = []

    def cb(hist):
        seen.append(hist)
        return len(hist.losses) == 2

    h = train_reconstruction(UNet(width=2, depth=1, seed=0), A, X, epochs=5, lr=1e-3,
                             batch_size=6, seed=0, progress=False, callback=cb, threads=1)
    assert [len(s.losses) for s in seen] == [1, 2]
    assert isinstance(h, TrainingHistory) and h.stopped_early and len(h.losses) == 2


def test_training_measurement_input(tiny):
    A, X = tiny

    class Dense(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2 * A.shape[0], 64)

        def forward(self, y):
            return self.lin(y.flatten(1)).reshape(-1, 8, 8)

    net = Dense()
    h = train_reconstruction(net, A, X, epochs=30, lr=1e-2, batch_size=12, seed=0,
                             input="measurements", progress=False, threads=1)
    assert h.decreased
    assert reconstruct(net, A, A.apply(X), input="measurements").shape == X.shape


@pytest.mark.parametrize("kwargs,match", [
    ({"epochs": 0}, "epochs"), ({"lr": 0.0}, "lr"), ({"lr": float("nan")}, "lr"),
    ({"batch_size": 0}, "batch_size"), ({"noise": -1.0}, "noise"), ({"seed": -1}, "seed"),
    ({"input": "image"}, "input"), ({"schedule": "step"}, "schedule"),
    ({"threads": 0}, "threads"),
])
def test_training_bad_arguments(tiny, kwargs, match):
    A, X = tiny
    args = dict(epochs=1, lr=1e-3, batch_size=4, seed=0, progress=False, threads=1) | kwargs
    with pytest.raises(InvalidArgument, match=match):
        train_reconstruction(UNet(width=2, depth=1, seed=0), A, X, **args)


def test_training_bad_data(tiny):
    A, X = tiny
    net = UNet(width=2, depth=1, seed=0)
    args = dict(epochs=1, lr=1e-3, batch_size=4, seed=0, progress=False, threads=1)
    with pytest.raises(InvalidArgument, match="shape"):
        train_reconstruction(net, A, X[:, :4], **args)
    with pytest.raises(InvalidArgument, match="complex"):
        train_reconstruction(net, A, X + 1j, **args)
    bad = X.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(InvalidArgument, match="NaN"):
        train_reconstruction(net, A, bad, **args)
    with pytest.raises(InvalidArgument, match="LinearOperator"):
        train_reconstruction(net, A.to_dense(), X, **args)


def test_reconstruct_does_not_touch_the_model(tiny):
    A, X = tiny
    net = UNet(width=3, depth=1, seed=0).train()
    net.head.weight.requires_grad_(False)
    before = _state(net)
    out64 = reconstruct(net, A, A.apply(X))
    out32 = reconstruct(net, A, A.apply(X), dtype=torch.float32)
    assert net.training and not net.head.weight.requires_grad
    assert all(p.dtype == torch.float32 for p in net.parameters())
    assert _same_state(before, _state(net))
    assert out64.dtype == np.float64 and out64.shape == X.shape
    np.testing.assert_allclose(out32, out64, atol=1e-4)
    # a single measurement vector gives a single image
    assert reconstruct(net, A, A.apply(X[0])).shape == X[0].shape


# ---------------------------------------------------------------------------------
# kernel pairs
# ---------------------------------------------------------------------------------
def test_build_kernel_pair_hits_the_gap_and_keeps_the_kernel_part():
    A = SubsampledFourier(uniform_random_mask((16, 16), 0.3, seed=1))
    x = random_ellipses(16, seed=3)
    x0 = x.copy()
    d = detail_image(16, "disc", size=2, position=(8, 8))
    xa, xb = build_kernel_pair(A, x, d, measurement_gap=0.05)
    assert np.array_equal(x, x0) and np.array_equal(xa, x0)
    z = xb - xa
    assert np.isrealobj(z)
    assert abs(np.linalg.norm(A.apply(z)) - 0.05) < 1e-12
    # the kernel part of d: the orthogonal complement of the real row space
    M = A.to_dense()
    MR = np.vstack([M.real, M.imag])
    ker = d.ravel() - np.linalg.pinv(MR) @ (MR @ d.ravel())
    assert np.linalg.norm(MR @ ker) < 1e-10
    assert np.linalg.norm(z) >= np.linalg.norm(ker) - 1e-12
    assert np.linalg.norm(z.ravel() - ker) < np.linalg.norm(d.ravel() - ker)
    for gap in (0.0, -1.0, 1e6):
        with pytest.raises(InvalidArgument):
            build_kernel_pair(A, x, d, measurement_gap=gap)


# ---------------------------------------------------------------------------------
# the shipped network
# ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo():
    return load_demo_unet()


def _psi64(model, A, x):
    """Ψ(Ax) in float64, computed independently of theorycheck.nets.train."""
    n = x.shape[-1]
    F = np.fft.fft2(x, norm="ortho") * A.mask  # zero-filled A^*A x in Fourier space
    z = np.fft.ifft2(F, norm="ortho")
    inp = torch.from_numpy(np.stack([z.real, z.imag])[None])
    net = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        return net(inp).numpy().reshape(n, n)


def test_demo_file_is_small_and_weights_only():
    path = demo_unet_path()
    assert path.is_file() and path.stat().st_size < 2 * 1024**2
    payload = torch.load(path, map_location="cpu", weights_only=True)
    assert isinstance(payload["state_dict"], dict)


def test_demo_unet_loads_in_eval_mode(demo):
    model, s = demo
    assert isinstance(model, UNet) and not model.training
    assert s.A.shape == (int(s.mask.sum()), s.n * s.n) and s.input == "adjoint"
    assert s.x.shape == s.x_prime.shape == (s.n, s.n)
    assert s.test_images.shape == (s.config["test_size"], s.n, s.n)
    assert not s.x.flags.writeable and not s.mask.flags.writeable
    assert set(DEMO_CONFIG) <= set(s.config)


def test_demo_setting_is_regenerated_by_its_seeds(demo):
    _, s = demo
    rebuilt = build_demo_setting(s.config)
    assert np.array_equal(rebuilt.mask, s.mask)
    assert np.array_equal(rebuilt.x, s.x)
    np.testing.assert_allclose(rebuilt.x_prime, s.x_prime, rtol=0, atol=1e-12)
    assert np.array_equal(rebuilt.test_images, s.test_images)
    # the training set holds the kernel pair, x and x' equally often
    X = s.training_images()
    K, k = s.config["train_size"], s.config["pair_copies"]
    assert X.shape == (K + 2 * k + 1, s.n, s.n)
    assert np.array_equal(X[s.config["pair_index"]], s.x)
    assert all(np.array_equal(xi, s.x) for xi in X[K:K + k])
    assert all(np.array_equal(xi, s.x_prime) for xi in X[K + k:])


def test_demo_network_satisfies_the_instability_hypotheses(demo):
    model, s = demo
    before = _state(model)
    A = s.A
    x, xp = np.array(s.x), np.array(s.x_prime)
    err_x = np.linalg.norm(_psi64(model, A, x) - x)
    err_xp = np.linalg.norm(_psi64(model, A, xp) - xp)
    gap = np.linalg.norm(A.apply(xp - x))
    dist = np.linalg.norm(xp - x)
    assert abs(gap - s.norm_A_diff) < 1e-12 and abs(dist - s.norm_diff) < 1e-12
    eta = max(err_x, err_xp, gap) * (1 + 1e-9)
    # docs/theory.md §3: ‖Ψ(Ax) − x‖ < η, ‖Ψ(Ax′) − x′‖ < η, ‖A(x − x′)‖ ≤ η, ‖x − x′‖ > 2η,
    # with room to spare: the errors are small relative to ‖x − x′‖
    assert err_x < eta and err_xp < eta and gap <= eta
    assert dist > 2 * eta
    assert max(err_x, err_xp) < dist / 4
    assert gap < dist / 10
    # the witnessed lower bound on the local Lipschitz constant at Ax is large
    ratio = np.linalg.norm(_psi64(model, A, xp) - _psi64(model, A, x)) / gap
    assert ratio > (dist - 2 * eta) / gap > 5
    # and the float64 evaluation agrees with theorycheck.nets.train.reconstruct
    np.testing.assert_allclose(reconstruct(model, A, A.apply(x)), _psi64(model, A, x), atol=1e-10)
    assert not model.training and _same_state(before, _state(model))


def test_demo_network_reconstructs_held_out_images(demo):
    model, s = demo
    A, T = s.A, s.test_images
    rec = np.stack([_psi64(model, A, t) for t in T])
    zero_filled = A.adjoint(A.apply(T)).real
    err = np.linalg.norm(rec - T, axis=(1, 2))
    assert np.all(err < np.linalg.norm(zero_filled - T, axis=(1, 2)))


def test_save_and_load_round_trip(tmp_path, demo):
    model, s = demo
    path = save_demo_unet(model, s, tmp_path / "net.pt")
    m2, s2 = load_demo_unet(path)
    assert _same_state(_state(model), _state(m2))
    assert np.array_equal(s2.x_prime, s.x_prime) and s2.config == s.config
    with pytest.raises(FileNotFoundError, match="train_unet_kernel_pair"):
        load_demo_unet(tmp_path / "missing.pt")
    torch.save({"format": "other"}, tmp_path / "other.pt")
    with pytest.raises(InvalidArgument):
        load_demo_unet(tmp_path / "other.pt")


# -- issue 11: sizes refused before allocation, inputs validated -------------------------------

def test_issue11_unet_sizes_are_refused_before_allocation():
    import time

    from theorycheck.nets.unet import unet_parameter_count

    t0 = time.perf_counter()
    for kw in (dict(depth=100), dict(depth=17), dict(width=10 ** 6), dict(width=64, depth=12),
               dict(in_channels=10 ** 9), dict(residual="yes"), dict(seed=-1), dict(seed=2 ** 70),
               dict(seed=1.5)):
        with pytest.raises(InvalidArgument):
            UNet(**kw)
    assert time.perf_counter() - t0 < 1.0
    for args in ((2, 1, 4, 1), (1, 3, 5, 3), (2, 1, 2, 0)):
        net = UNet(args[0], args[1], width=args[2], depth=args[3], residual=args[1] == 1, seed=0)
        assert unet_parameter_count(*args) == sum(p.numel() for p in net.parameters())


def test_issue11_unet_and_adjoint_channels_refuse_bad_inputs_without_converting_the_model():
    net = UNet(width=2, depth=1, seed=0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    for bad in (np.zeros((1, 2, 8, 8)), torch.zeros(1, 2, 8, 8, dtype=torch.float64),
                torch.zeros(1, 2, 8, 8, dtype=torch.int64), "x"):
        with pytest.raises(InvalidArgument):
            net(bad)
    assert all(torch.equal(before[k], v) and v.dtype == torch.float32 for k, v in net.state_dict().items())
    for ch in (True, 1.0, np.zeros(2), 3):
        with pytest.raises(InvalidArgument):
            adjoint_channels(torch.zeros(1, 4, 4), ch)
    with pytest.raises(InvalidArgument):
        adjoint_channels(np.zeros((1, 4, 4)))


def test_issue11_training_and_demo_inputs_are_validated():
    A = SubsampledFourier(np.ones((8, 8), dtype=bool))
    X = np.zeros((2, 8, 8))
    base = dict(epochs=1, lr=1e-3, batch_size=2, seed=0, progress=False)
    for kw in (dict(seed=2 ** 70), dict(epochs=2 ** 70), dict(threads=10 ** 9), dict(progress="no"),
               dict(schedule=["cosine"]), dict(input=np.zeros(2))):
        with pytest.raises(InvalidArgument):
            train_reconstruction(UNet(width=2, depth=1, seed=0), A, X, **{**base, **kw})
    with pytest.raises(InvalidArgument):
        train_reconstruction(UNet(width=2, depth=1, seed=0), A, [[1.0], [2.0, 3.0]], **base)
    with pytest.raises(InvalidArgument):
        reconstruct(UNet(width=2, depth=1, seed=0), A, [[1.0], [2.0, 3.0]])
    with pytest.raises(InvalidArgument):
        reconstruct(UNet(width=2, depth=1, seed=0), A, A.apply(np.eye(8)), dtype=np.zeros(2))
    from theorycheck.nets.pretrained import build_kernel_pair, demo_training_set, load_demo_unet

    with pytest.raises(InvalidArgument):
        build_kernel_pair(A, np.zeros((8, 8)), np.eye(8), measurement_gap="0.1")
    with pytest.raises(InvalidArgument):
        demo_training_set({"n": 8, "train_size": 2}, np.zeros((4, 4)), np.zeros((8, 8)))
    with pytest.raises(InvalidArgument):
        demo_training_set({"n": 8, "train_size": 10 ** 9}, np.zeros((8, 8)), np.zeros((8, 8)))
    for cfg in ({"n": "8"}, {"fraction": float("nan")}, {"detail_position": [1.0]}, {"train_size": -1}):
        with pytest.raises(InvalidArgument):
            demo_training_set(cfg, np.zeros((32, 32)), np.zeros((32, 32)))
    with pytest.raises(InvalidArgument):
        load_demo_unet(3)
    with pytest.raises(InvalidArgument):  # a missing file is both InvalidArgument and FileNotFoundError
        load_demo_unet("/nonexistent/weights.pt")
