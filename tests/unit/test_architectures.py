"""Architecture families (FBPConvNet, AutomapNet, CascadeNet, VariationalNet) on Fourier and CT data."""

from __future__ import annotations

import copy
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.errors import InvalidArgument  # noqa: E402
from theorycheck.nets._arch_common import radon_norm_squared_bound  # noqa: E402
from theorycheck.nets.adapters import as_reconstruction_map  # noqa: E402
from theorycheck.nets.automap import AutomapNet, automap_parameter_count  # noqa: E402
from theorycheck.nets.cascade import CascadeNet  # noqa: E402
from theorycheck.nets.fbpconvnet import FBPConvNet  # noqa: E402
from theorycheck.nets.train import reconstruct, train_reconstruction  # noqa: E402
from theorycheck.nets.variational import VariationalNet  # noqa: E402
from theorycheck.problems.data import random_ellipses  # noqa: E402
from theorycheck.problems.masks import variable_density_mask  # noqa: E402
from theorycheck.problems.operators import MatrixOperator, SubsampledDCT, SubsampledFourier  # noqa: E402
from theorycheck.problems.radon import Radon, fbp, sparse_view_angles  # noqa: E402

N = 16
SMALL = {
    "FBPConvNet": (FBPConvNet, {"width": 4, "depth": 1}),
    "AutomapNet": (AutomapNet, {"channels": 4, "hidden": 64}),
    "CascadeNet": (CascadeNet, {"cascades": 2, "convs": 3, "width": 6}),
    "CascadeNet-learned": (CascadeNet, {"cascades": 2, "convs": 2, "width": 4, "dc": "learned"}),
    "VariationalNet": (VariationalNet, {"steps": 3, "filters": 4, "kernel": 5, "knots": 9}),
}
FAMILIES = list(SMALL)
MODALITIES = ["fourier", "radon"]


@pytest.fixture(scope="module")
def ops():
    torch.set_num_threads(1)
    mask = variable_density_mask((N, N), 0.35, seed=0)
    return {"fourier": SubsampledFourier(mask), "radon": Radon(N, sparse_view_angles(10))}


def _make(family, A, seed=0, **extra):
    cls, kw = SMALL[family]
    return cls(A, seed=seed, **{**kw, **extra})


def _images(k=4, seed=1):
    return random_ellipses(N, seed=seed, batch=k)


def _meas(A, X, dtype=torch.float32):
    """Measurements of real images as the two-channel tensor train_reconstruction feeds."""
    cd = torch.complex128 if dtype == torch.float64 else torch.complex64
    y = A.apply(torch.as_tensor(X).to(cd))
    return y, torch.stack([y.real, y.imag], dim=1).to(dtype)


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same_state(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ---------------------------------------------------------------------------------
# shapes and layouts
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("modality", MODALITIES)
@pytest.mark.parametrize("family", FAMILIES)
def test_shapes_and_equivalent_layouts(family, modality, ops):
    A = ops[modality]
    net = _make(family, A)
    y, two = _meas(A, _images(3))
    out = net(two)
    assert out.shape == (3, 1, N, N) and out.dtype == torch.float32
    assert torch.isfinite(out).all()
    if modality == "fourier":
        # complex (B, m) is the same input as its (re, im) channels
        assert torch.equal(net(y.to(torch.complex64)), out)
        assert two.shape == (3, 2, A.out_shape[0])
    else:
        # the sinogram alone, with one channel, or with an imaginary channel that is ignored
        real = two[:, 0]
        assert torch.equal(net(real), out)
        assert torch.equal(net(real[:, None]), out)
        noisy = two.clone()
        noisy[:, 1] = torch.randn(noisy[:, 1].shape, generator=torch.Generator().manual_seed(0))
        assert torch.equal(net(noisy), out)
    # batching: each sample alone gives the same image (no cross-talk between samples)
    single = torch.cat([net(two[i:i + 1]) for i in range(3)])
    assert torch.allclose(single, out, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("modality", MODALITIES)
@pytest.mark.parametrize("family", ["FBPConvNet", "AutomapNet", "CascadeNet", "VariationalNet"])
def test_float64_and_float32_agree(family, modality, ops):
    A = ops[modality]
    net32 = _make(family, A)
    net64 = copy.deepcopy(net32).double()
    _, two64 = _meas(A, _images(2), torch.float64)
    with torch.no_grad():
        out64 = net64(two64)
        out32 = net32(two64.float())
    assert out64.dtype == torch.float64
    scale = float(out64.detach().abs().max())
    assert float((out32.double() - out64).abs().max()) <= 1e-4 * max(scale, 1.0)
    with pytest.raises(InvalidArgument, match="convert the input"):
        net32(two64)


def test_fbp_first_layer_is_fbp_and_adjoint(ops):
    R, Af = ops["radon"], ops["fourier"]
    X = _images(2)
    net = FBPConvNet(R, width=2, depth=1, seed=0).double()
    y, two = _meas(R, X, torch.float64)
    expected = fbp(R, y.real.numpy())
    assert np.allclose(net.first_layer(two)[:, 0].detach().numpy(), expected, atol=1e-12)
    netf = FBPConvNet(Af, width=2, depth=1, seed=0).double()
    y, two = _meas(Af, X, torch.float64)
    z = Af.adjoint(y.numpy())
    h = netf.first_layer(two).detach().numpy()
    assert np.allclose(h[:, 0] + 1j * h[:, 1], z, atol=1e-12)


def test_fbpconvnet_adjoint_input_matches_measurement_input(ops):
    Af = ops["fourier"]
    a = FBPConvNet(Af, width=2, depth=1, seed=3)
    b = FBPConvNet(Af, width=2, depth=1, seed=3, input="adjoint")
    y, two = _meas(Af, _images(2))
    z = Af.adjoint(y)
    assert torch.allclose(a(two), b(torch.stack([z.real, z.imag], 1)), atol=1e-6)
    assert b.in_channels == 2


# ---------------------------------------------------------------------------------
# determinism and gradients
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("modality", MODALITIES)
@pytest.mark.parametrize("family", FAMILIES)
def test_seeded_initialisation(family, modality, ops):
    A = ops[modality]
    before = torch.get_rng_state()
    a, b, c = _make(family, A, seed=5), _make(family, A, seed=5), _make(family, A, seed=6)
    assert torch.equal(before, torch.get_rng_state())  # the global RNG is not touched
    assert _same_state(_state(a), _state(b))
    assert not _same_state(_state(a), _state(c))
    _, two = _meas(A, _images(2))
    assert torch.equal(a(two), b(two))
    assert not torch.equal(a(two), c(two))
    # reset_parameters(seed) reproduces the construction
    c.reset_parameters(5)
    assert _same_state(_state(a), _state(c))


@pytest.mark.parametrize("modality", MODALITIES)
@pytest.mark.parametrize("family", FAMILIES)
def test_gradients_reach_every_parameter_and_the_input(family, modality, ops):
    A = ops[modality]
    net = _make(family, A).double()
    _, two = _meas(A, _images(2), torch.float64)
    two.requires_grad_(True)
    target = torch.as_tensor(_images(2, seed=9))[:, None]
    loss = ((net(two) - target) ** 2).mean()
    loss.backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
    assert sum(int((p.grad != 0).any()) for p in net.parameters()) == len(list(net.parameters()))
    assert two.grad is not None and float(two.grad[:, 0].abs().sum()) > 0


# ---------------------------------------------------------------------------------
# data consistency
# ---------------------------------------------------------------------------------
def test_cascade_exact_dc_replaces_sampled_kspace(ops):
    Af = ops["fourier"]
    mask = np.asarray(Af.mask)
    net = CascadeNet(Af, cascades=3, convs=2, width=4, seed=1).double()
    X = _images(3)
    y, two = _meas(Af, X, torch.float64)
    with torch.no_grad():
        its = net.iterates(two)
    assert len(its) == 3
    yn = y.numpy()
    for x in its:
        k = np.fft.fft2(x.numpy(), norm="ortho")  # independent of the operator's code
        assert np.abs(k[:, mask] - yn).max() <= 1e-12
    # the complex output satisfies A Ψ(y) = y through the adapter
    netc = CascadeNet(Af, cascades=3, convs=2, width=4, seed=1, output="complex").double()
    psi = as_reconstruction_map(netc, A=Af)
    out = psi(yn)
    assert np.iscomplexobj(out) and out.shape == (3, N, N)
    assert np.abs(np.fft.fft2(out, norm="ortho")[:, mask] - yn).max() <= 1e-12
    # the real output is the real part of the same image
    assert np.allclose(reconstruct(net, Af, yn, input="measurements"), out.real, atol=1e-12)


@pytest.mark.parametrize("lam", [0.0, 0.5, 3.0])
def test_cascade_weighted_dc_formula(lam, ops):
    Af = ops["fourier"]
    mask = np.asarray(Af.mask)
    net = CascadeNet(Af, cascades=1, convs=2, width=2, dc=lam, seed=0).double()
    (t,) = net.dc_steps()
    g = np.random.default_rng(0)
    x = g.standard_normal((2, N, N)) + 1j * g.standard_normal((2, N, N))
    y = g.standard_normal((2, mask.sum())) + 1j * g.standard_normal((2, mask.sum()))
    out = net._dc(torch.as_tensor(x), torch.as_tensor(y), t).numpy()
    k, kout = np.fft.fft2(x, norm="ortho"), np.fft.fft2(out, norm="ortho")
    assert np.abs(kout[:, mask] - (k[:, mask] + lam * y) / (1 + lam)).max() <= 1e-12
    assert np.abs(kout[:, ~mask] - k[:, ~mask]).max() <= 1e-12


def test_radon_gradient_dc_is_a_safe_step(ops):
    R = ops["radon"]
    dense = R.to_dense()
    norm_sq = np.linalg.norm(dense, 2) ** 2
    bound = radon_norm_squared_bound(R)
    assert norm_sq <= bound <= norm_sq * (1 + 1e-6)
    net = CascadeNet(R, cascades=2, convs=2, width=2, seed=0).double()
    assert net.dc == "gradient" and all(t * norm_sq <= 1.0 for t in net.dc_steps())
    g = np.random.default_rng(1)
    x = torch.as_tensor(g.standard_normal((3, N, N)))
    y = torch.as_tensor(g.standard_normal((3,) + R.out_shape))
    for t in net.dc_steps():
        x_new = net._dc(x, y, t)
        # one gradient step with t ≤ 1/‖A‖² never increases the residual
        r0 = np.linalg.norm((dense @ x.reshape(3, -1).numpy().T).T - y.reshape(3, -1).numpy(), axis=1)
        r1 = np.linalg.norm((dense @ x_new.reshape(3, -1).numpy().T).T - y.reshape(3, -1).numpy(), axis=1)
        assert np.all(r1 <= r0)
        x = x_new


# ---------------------------------------------------------------------------------
# training and evaluation
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("modality", MODALITIES)
@pytest.mark.parametrize("family", ["FBPConvNet", "AutomapNet", "CascadeNet", "VariationalNet"])
def test_train_reconstruction_lowers_the_loss(family, modality, ops):
    A = ops[modality]
    net = _make(family, A)
    X = _images(6, seed=2)
    lr = 3e-3 if family == "AutomapNet" else 1e-2
    h = train_reconstruction(net, A, X, epochs=8, lr=lr, batch_size=3, seed=0,
                             input="measurements", progress=False, threads=1, schedule="constant")
    assert len(h.losses) == 8 and all(np.isfinite(h.losses))
    assert h.losses[-1] < 0.9 * h.losses[0], h.losses


def test_training_is_reproducible(ops):
    A = ops["radon"]
    X = _images(4, seed=3)
    nets = [_make("VariationalNet", A, seed=2) for _ in range(2)]
    for net in nets:
        train_reconstruction(net, A, X, epochs=2, lr=1e-2, batch_size=2, seed=4, input="measurements",
                             progress=False, threads=1)
    assert _same_state(_state(nets[0]), _state(nets[1]))


def test_fbpconvnet_trains_on_adjoint_input(ops):
    A = ops["fourier"]
    net = FBPConvNet(A, width=4, depth=1, input="adjoint", seed=0)
    h = train_reconstruction(net, A, _images(6, seed=2), epochs=6, lr=3e-3, batch_size=3, seed=0,
                             progress=False, threads=1, schedule="constant")
    assert h.losses[-1] < h.losses[0]


@pytest.mark.parametrize("modality", MODALITIES)
@pytest.mark.parametrize("family", FAMILIES)
def test_evaluation_does_not_mutate_the_model(family, modality, ops):
    A = ops[modality]
    net = _make(family, A)
    net.train()
    before = _state(net)
    X = _images(2)
    y = A.apply(X)  # numpy: complex for Fourier, real for Radon
    psi = as_reconstruction_map(net, A=A)
    out = psi(y)
    out64 = psi.evaluate_float64(y).output
    rec = reconstruct(net, A, y, input="measurements")
    assert out.shape == (2, N, N) and not np.iscomplexobj(out)
    assert np.allclose(out64, rec, atol=1e-12)
    assert np.allclose(out, rec, atol=1e-4)
    # direct forward equals the adapter's
    with torch.no_grad():
        _, two = _meas(A, X)
        assert np.allclose(net(two)[:, 0].numpy(), out, atol=1e-6)
    assert net.training
    assert next(net.parameters()).dtype == torch.float32
    assert all(p.grad is None for p in net.parameters())
    assert _same_state(before, _state(net))


def test_deepcopy_shares_the_operator(ops):
    A = ops["radon"]
    net = _make("CascadeNet", A)
    dup = copy.deepcopy(net)
    assert dup.operator is net.operator
    assert next(dup.parameters()).data_ptr() != next(net.parameters()).data_ptr()
    _, two = _meas(A, _images(1))
    assert torch.equal(dup(two), net(two))


# ---------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------
BAD_HYPER = {
    "FBPConvNet": [{"width": -1}, {"width": 0}, {"depth": -1}, {"depth": 5}, {"width": 2.5},
                   {"filter": "nope"}, {"input": "image"}, {"seed": -1}, {"seed": 2 ** 63},
                   {"seed": True}],
    "AutomapNet": [{"channels": -3}, {"fc_layers": 0}, {"hidden": 0}, {"kernel": 4}, {"kernel": 0},
                   {"seed": 1.5}],
    "CascadeNet": [{"width": -1}, {"cascades": 0}, {"convs": 1}, {"dc": -1.0}, {"dc": float("nan")},
                   {"dc": float("inf")}, {"dc": 2.0 ** 40}, {"dc": "projection"}, {"dc": True},
                   {"output": "magnitude"}],
    "VariationalNet": [{"steps": 0}, {"filters": -2}, {"kernel": 6}, {"knots": 1}, {"vmax": 0.0},
                       {"vmax": float("nan")}, {"vmax": 2.0 ** 41}, {"filter": None}],
}


@pytest.mark.parametrize("family", list(BAD_HYPER))
def test_bad_hyperparameters(family, ops):
    cls = SMALL[family][0]
    for bad in BAD_HYPER[family]:
        with pytest.raises(InvalidArgument):
            cls(ops["fourier"], **{**SMALL[family][1], **bad})


@pytest.mark.parametrize("family", list(BAD_HYPER))
def test_wrong_operators(family, ops):
    cls, kw = SMALL[family]
    bad_ops = [MatrixOperator(np.eye(4)), np.eye(4), None, "radon",
               SubsampledFourier(np.ones(16, dtype=bool)),  # 1-D signals
               SubsampledDCT(np.ones((8, 8), dtype=bool)), ops["fourier"].H]
    for A in bad_ops:
        with pytest.raises(InvalidArgument, match="SubsampledFourier|Radon"):
            cls(A, **kw)


def test_modality_specific_refusals(ops):
    R = ops["radon"]
    with pytest.raises(InvalidArgument, match="gradient"):
        CascadeNet(R, dc="exact")
    with pytest.raises(InvalidArgument, match="output='real'"):
        CascadeNet(R, output="complex")
    with pytest.raises(InvalidArgument, match="input='measurements'"):
        FBPConvNet(R, input="adjoint")
    with pytest.raises(InvalidArgument, match="divisible"):
        FBPConvNet(Radon(18, sparse_view_angles(4)), depth=2)


@pytest.mark.parametrize("family", ["FBPConvNet", "AutomapNet", "CascadeNet", "VariationalNet"])
def test_bad_forward_inputs(family, ops):
    A = ops["fourier"]
    net = _make(family, A)
    m = A.out_shape[0]
    with pytest.raises(InvalidArgument, match="input='measurements'"):
        net(torch.zeros(2, 2, N, N))  # an adjoint image, not measurements
    with pytest.raises(InvalidArgument):
        net(torch.zeros(2, 3, m))
    with pytest.raises(InvalidArgument):
        net(torch.zeros(2, 2, m + 1))
    with pytest.raises(InvalidArgument):
        net(np.zeros((2, 2, m), dtype=np.float32))
    with pytest.raises(InvalidArgument):
        net(torch.zeros(2, 2, m, dtype=torch.int64))
    with pytest.raises(InvalidArgument, match="NaN"):
        net(torch.full((2, 2, m), float("nan")))
    R = ops["radon"]
    netr = _make(family, R)
    with pytest.raises(InvalidArgument):
        netr(torch.zeros(2, 3, *R.out_shape))
    with pytest.raises(InvalidArgument):
        netr(torch.zeros(2, 2, m))


def test_sizes_too_large_are_refused_early():
    big = SubsampledFourier(np.ones((256, 256), dtype=bool))
    est = automap_parameter_count(2 * 256 * 256, 256 * 256, fc_layers=2, hidden=256 * 256,
                                  channels=32, kernel=5)
    assert est > 3 * 2 ** 32  # two 2^16-wide layers on 2·2^16 real inputs
    t0 = time.perf_counter()
    with pytest.raises(InvalidArgument, match=r"parameters\) is too large.*estimated 1.29e\+10"):
        AutomapNet(big)
    with pytest.raises(InvalidArgument, match="too large"):
        CascadeNet(ops_fourier_small(), width=10 ** 5, convs=3)
    with pytest.raises(InvalidArgument, match="too large"):
        VariationalNet(ops_fourier_small(), filters=10 ** 6, kernel=31)
    with pytest.raises(InvalidArgument, match="too large"):
        FBPConvNet(ops_fourier_small(), width=10 ** 5, depth=1)
    assert time.perf_counter() - t0 < 5.0


def ops_fourier_small():
    return SubsampledFourier(np.ones((8, 8), dtype=bool))


@pytest.mark.parametrize("modality", MODALITIES)
def test_automap_parameter_count_is_exact(modality, ops):
    A = ops[modality]
    for kw in [{"fc_layers": 1, "channels": 3, "kernel": 3}, {"fc_layers": 3, "hidden": 20, "channels": 2}]:
        net = AutomapNet(A, seed=0, **kw)
        inputs = 2 * A.out_shape[0] if modality == "fourier" else int(np.prod(A.out_shape))
        count = automap_parameter_count(inputs, N * N, fc_layers=kw["fc_layers"],
                                        hidden=kw.get("hidden", N * N), channels=kw["channels"],
                                        kernel=kw.get("kernel", 5))
        assert count == sum(p.numel() for p in net.parameters())


def test_config_round_trip(ops):
    for family in FAMILIES:
        for modality in MODALITIES:
            A = ops[modality]
            net = _make(family, A, seed=4)
            again = type(net)(A, seed=4, **net.config())
            assert _same_state(_state(net), _state(again))


# ---------------------------------------------------------------------------------
# other shapes, persistence, devices
# ---------------------------------------------------------------------------------
NONSQUARE = {
    "FBPConvNet": {"width": 2, "depth": 2},
    "AutomapNet": {"channels": 2},
    "CascadeNet": {"cascades": 2, "convs": 2, "width": 3},
    "VariationalNet": {"steps": 2, "filters": 2, "kernel": 3},
}


@pytest.mark.parametrize("family", list(NONSQUARE))
def test_non_square_images_empty_batches_and_persistence(family, tmp_path):
    from theorycheck.problems.radon import limited_angle_angles

    cls = SMALL[family][0]
    ops_ = [Radon((12, 20), limited_angle_angles(7, 2.0)),
            SubsampledFourier(np.arange(240).reshape(12, 20) % 3 == 0)]
    for A in ops_:
        net = cls(A, seed=0, **NONSQUARE[family])
        core = tuple(A.out_shape)
        x = torch.rand((3, 2) + core, generator=torch.Generator().manual_seed(0))
        out = net(x)
        assert out.shape == (3, 1, 12, 20)
        empty = net(torch.zeros((0, 2) + core))
        assert empty.shape == (0, 1, 12, 20) and empty.dtype == out.dtype
        path = tmp_path / f"{family}-{type(A).__name__}.pt"
        torch.save(net, path)
        again = torch.load(path, weights_only=False)
        assert torch.equal(again(x), out)
        other = cls(A, seed=1, **NONSQUARE[family])
        other.load_state_dict(net.state_dict())
        assert torch.equal(other(x), out)


@pytest.mark.gpu
@pytest.mark.parametrize("modality", MODALITIES)
@pytest.mark.parametrize("family", ["FBPConvNet", "AutomapNet", "CascadeNet", "VariationalNet"])
def test_cuda_matches_cpu(family, modality, ops):
    A = ops[modality]
    net = _make(family, A).double()
    _, two = _meas(A, _images(2), torch.float64)
    ref = net(two)
    gnet = copy.deepcopy(net).cuda()
    gtwo = two.cuda().requires_grad_(True)
    out = gnet(gtwo)
    assert out.device.type == "cuda"
    assert torch.allclose(out.cpu(), ref, atol=1e-10)
    out.square().sum().backward()
    assert all(p.grad is not None and p.grad.device.type == "cuda" for p in gnet.parameters())
    assert gtwo.grad is not None


# ---------------------------------------------------------------------------------
# the input convention follows the model; noise is real for real operators
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("modality", MODALITIES)
def test_input_defaults_to_the_models_own_convention_and_contradictions_are_refused(modality, ops):
    A = ops[modality]
    X = _images(4, seed=5)
    kw = dict(epochs=2, lr=1e-2, batch_size=2, seed=3, progress=False, threads=1)
    nets = [_make("AutomapNet", A, seed=1) for _ in range(2)]
    train_reconstruction(nets[0], A, X, **kw)  # no input=: AutomapNet.input == "measurements"
    train_reconstruction(nets[1], A, X, input="measurements", **kw)
    assert _same_state(_state(nets[0]), _state(nets[1]))
    y = A.apply(X)
    assert np.array_equal(reconstruct(nets[0], A, y), reconstruct(nets[0], A, y, input="measurements"))
    with pytest.raises(InvalidArgument, match="model.input"):
        train_reconstruction(_make("AutomapNet", A), A, X, input="adjoint", **kw)
    with pytest.raises(InvalidArgument, match="model.input"):
        reconstruct(nets[0], A, y, input="adjoint")
    if modality == "fourier":  # FBPConvNet(input="adjoint") is trained and evaluated on A^* y by default
        net = FBPConvNet(A, width=4, depth=1, input="adjoint", seed=0)
        train_reconstruction(net, A, X, **kw)
        assert reconstruct(net, A, y).shape == X.shape
        with pytest.raises(InvalidArgument, match="model.input"):
            reconstruct(net, A, y, input="measurements")


class _Recorder(torch.nn.Module):
    """Returns zero images and records the (B, 2, *out_shape) measurement tensors it is fed."""

    input = "measurements"

    def __init__(self, image_shape):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))
        self.image_shape = tuple(image_shape)
        self.seen = []

    def forward(self, inp):
        self.seen.append(inp.detach().clone())
        return torch.zeros((inp.shape[0],) + self.image_shape, dtype=inp.dtype) + 0 * self.w


@pytest.mark.parametrize("modality", MODALITIES)
def test_training_noise_is_real_for_real_operators_and_complex_otherwise(modality, ops):
    A = ops[modality]
    x = _images(1, seed=7)[0]
    K, noise = 40, 0.3
    X = np.repeat(x[None], K, axis=0)  # every row has the noise-free measurements A x
    rec = _Recorder(A.in_shape)
    train_reconstruction(rec, A, X, epochs=1, lr=1e-3, batch_size=K, seed=0, noise=noise, progress=False,
                         threads=1)
    fed = rec.seen[0].numpy()
    clean = np.asarray(A.apply(x.astype(np.complex128)))
    e = (fed[:, 0] + 1j * fed[:, 1]) - clean[None]
    m = e[0].size
    if modality == "radon":  # a real operator: real noise of standard deviation `noise`, no imaginary part
        assert not A.is_complex and np.all(fed[:, 1] == 0)
        assert abs(np.std(e.real) / noise - 1) < 0.05
    else:  # complex noise, real and imaginary parts each noise/√2
        assert A.is_complex
        assert abs(np.std(e.real) / (noise / np.sqrt(2)) - 1) < 0.05
        assert abs(np.std(e.imag) / (noise / np.sqrt(2)) - 1) < 0.05
    # E‖e‖² = m·noise² either way (the old complex noise for Radon kept only half of it)
    assert abs(np.mean(np.sum(np.abs(e) ** 2, axis=tuple(range(1, e.ndim)))) / (m * noise ** 2) - 1) < 0.05


def test_a_network_built_for_another_operator_is_refused():
    """Newcomer trial: FBPConvNet built for sparse-view angles was trained and certified with limited-angle
    ones of the same shape (its FBP layer kept its own angles). Now refused everywhere; the same geometry
    in a new operator object is accepted."""
    from theorycheck.instability import check_instability
    from theorycheck.problems.radon import limited_angle_angles

    R1, R2 = Radon(N, sparse_view_angles(6)), Radon(N, limited_angle_angles(6, np.pi / 2))
    net = FBPConvNet(R1, width=2, depth=1, seed=0)
    X = _images(2, seed=5)
    with pytest.raises(InvalidArgument, match="built for another Radon"):
        train_reconstruction(net, R2, X, epochs=1, lr=1e-3, batch_size=2, seed=0, progress=False)
    with pytest.raises(InvalidArgument, match="built for another Radon"):
        check_instability(net, R2, X[0], X[1])
    with pytest.raises(InvalidArgument, match="built for another Radon"):
        as_reconstruction_map(net, A=R2)
    as_reconstruction_map(net, A=Radon(N, sparse_view_angles(6)))  # the same map: fine
    m1 = variable_density_mask((N, N), 0.3, seed=0)
    m2 = variable_density_mask((N, N), 0.3, seed=1)
    auto = AutomapNet(SubsampledFourier(m1), channels=2, hidden=8, seed=0)
    with pytest.raises(InvalidArgument, match="mask"):
        as_reconstruction_map(auto, A=SubsampledFourier(m2))
    with pytest.raises(InvalidArgument, match="built for a SubsampledFourier, not a Radon"):
        as_reconstruction_map(auto, A=R1)


def test_automapnet_is_proven_through_its_own_finiteness_guard(ops):
    """Newcomer trial: the architectures' NaN guard on their input made every proven certificate fail;
    the guard is constant in exact arithmetic, so AutomapNet on Fourier is now enclosed."""
    from theorycheck.instability import search_worst_perturbation

    A = SubsampledFourier(variable_density_mask((N, N), 0.3, seed=0))
    net = AutomapNet(A, hidden=32, channels=4, kernel=3, seed=0).double().eval()
    x = _images(1, seed=3)[0]
    w = search_worst_perturbation(net, A, x, budget=0.5, steps=5, seed=0, progress=False, device="cpu",
                                  certify="proven")
    assert w.rigor.value == "proven" and w.holds
