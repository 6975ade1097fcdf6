"""as_reconstruction_map: layouts, complex channels, batching, no side effects on the model."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.errors import InvalidArgument  # noqa: E402
from theorycheck.nets.adapters import ReconstructionMap, as_reconstruction_map  # noqa: E402
from theorycheck.problems.masks import uniform_random_mask  # noqa: E402
from theorycheck.problems.operators import MatrixOperator, SubsampledFourier  # noqa: E402

N8 = 8


@pytest.fixture(scope="module")
def fourier():
    return SubsampledFourier(uniform_random_mask((N8, N8), 0.4, seed=0))


def conv_net(seed=0, out=1, dtype=torch.float32):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(4, out, 3, padding=1)).to(dtype)


def image(seed=0):
    return np.random.default_rng(seed).standard_normal((N8, N8))


def reference_conv(net, A, y):
    """Ψ by hand: A^* y as (re, im) channels, float64 copy of the net."""
    import copy

    z = A.adjoint(y)
    inp = torch.as_tensor(np.stack([z.real, z.imag], -3)[None] if z.ndim == 2 else np.stack([z.real, z.imag], 1))
    n64 = copy.deepcopy(net).double()
    with torch.no_grad():
        return n64(inp).numpy()


def test_adjoint_input_matches_hand_computation(fourier):
    net = conv_net()
    psi = as_reconstruction_map(net, input="adjoint", A=fourier)
    y = fourier.apply(np.stack([image(0), image(1)]))
    out = psi(y)
    assert out.shape == (2, N8, N8) and out.dtype == np.float64
    want = reference_conv(net, fourier, y)[:, 0]
    assert np.allclose(out, want, atol=1e-5)
    single = psi(y[0])
    assert single.shape == (N8, N8)
    assert np.allclose(single, out[0], atol=1e-6)


def test_float64_evaluation_matches_and_is_repeatable(fourier):
    net = conv_net()
    psi = as_reconstruction_map(net, input="adjoint", A=fourier)
    y = fourier.apply(image(2))[None]
    ev = psi.evaluate_float64(y)
    assert ev.ok and ev.precision == "float64" and len(ev.outputs) == 2
    assert np.array_equal(ev.outputs[0], ev.outputs[1])
    assert np.allclose(ev.output[0], reference_conv(net, fourier, y)[0, 0], rtol=0, atol=1e-12)
    # the user's model keeps its dtype
    assert all(p.dtype == torch.float32 for p in net.parameters())


def test_model_state_untouched(fourier):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.BatchNorm2d(3),
                              torch.nn.Conv2d(3, 1, 1))
    net.train()
    net[1].requires_grad_(False)
    before_bn = net[1].running_mean.clone()
    flags = [m.training for m in net.modules()]
    req = [p.requires_grad for p in net.parameters()]
    psi = as_reconstruction_map(net, input="adjoint", A=fourier)
    y = torch.as_tensor(fourier.apply(np.stack([image(3), image(4)]))).requires_grad_(True)
    out = psi(y)
    out.sum().backward()
    assert y.grad is not None and y.grad.shape == y.shape
    assert all(p.grad is None for p in net.parameters())  # no gradient leaked into the model
    assert torch.equal(net[1].running_mean, before_bn)  # batch-norm statistics restored
    assert [m.training for m in net.modules()] == flags
    assert [p.requires_grad for p in net.parameters()] == req
    psi.evaluate_float64(fourier.apply(image(5))[None])
    assert torch.equal(net[1].running_mean, before_bn)
    assert all(p.dtype == torch.float32 for p in net.parameters())


def test_eval_mode_option_and_restoration(fourier):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 1, 3, padding=1), torch.nn.Dropout(0.5)).train()
    y = fourier.apply(image(6))[None]
    kept = as_reconstruction_map(net, input="adjoint", A=fourier)
    ev = kept.evaluate_float64(y)
    assert not ev.ok and "training mode" in ev.reason
    forced = as_reconstruction_map(net, input="adjoint", A=fourier, eval_mode=True)
    assert forced.evaluate_float64(y).ok
    assert net.training and net[1].training  # restored afterwards


def test_two_channel_output_read_as_complex():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((6, 5)) + 1j * rng.standard_normal((6, 5))
    A = MatrixOperator(M)
    W = rng.standard_normal((10, 12))

    class Flat(torch.nn.Module):  # (B, 2m) real -> (B, 2N) real: [re, im] halves
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(12, 10, bias=False, dtype=torch.float64)
            with torch.no_grad():
                self.lin.weight.copy_(torch.as_tensor(W))

        def forward(self, v):
            return self.lin(v)

    psi = as_reconstruction_map(Flat(), A=A, layout="flat")
    y = M @ (rng.standard_normal(5) + 1j * rng.standard_normal(5))
    out = psi(y)
    v = W @ np.concatenate([y.real, y.imag])
    assert out.dtype == np.complex128
    assert np.allclose(out, v[:5] + 1j * v[5:])


def test_complex_native_torch_function():
    rng = np.random.default_rng(1)
    M = rng.standard_normal((4, 3)) + 1j * rng.standard_normal((4, 3))
    Mt = torch.as_tensor(M)
    A = np.eye(3, dtype=complex)[:2]  # 2 x 3
    f = as_reconstruction_map(lambda y: y @ Mt[:2], A=A, backend="torch")
    y = torch.as_tensor(rng.standard_normal((5, 2)) + 1j * rng.standard_normal((5, 2))).requires_grad_(True)
    out = f(y)
    assert out.shape == (5, 3) and out.is_complex()
    out.abs().pow(2).sum().backward()
    assert y.grad is not None
    assert f.differentiable


def test_numpy_function_per_sample_and_batched():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((3, 5))
    P = np.linalg.pinv(A)
    calls = []

    def per_sample(y):
        calls.append(np.shape(y))
        return P @ y

    psi = as_reconstruction_map(per_sample, A=A)
    Y = rng.standard_normal((4, 3))
    assert np.allclose(psi(Y), Y @ P.T)
    assert calls == [(3,)] * 4
    batched = as_reconstruction_map(lambda Y: Y @ P.T, A=A, batched=True)
    assert np.allclose(batched(Y), Y @ P.T)
    assert not psi.differentiable
    with pytest.raises(InvalidArgument, match="differentiable"):
        with psi.session():
            pass


def test_batch_size_chunks(fourier):
    seen = []

    class Spy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(()))

        def forward(self, v):
            seen.append(v.shape[0])
            return self.w * v[:, :1]

    psi = as_reconstruction_map(Spy(), input="adjoint", A=fourier, batch_size=2)
    out = psi(fourier.apply(np.stack([image(k) for k in range(5)])))
    assert out.shape == (5, N8, N8) and seen == [2, 2, 1]


def test_unbound_map_and_bind():
    psi = as_reconstruction_map(lambda y: 2 * y)
    assert np.allclose(psi(np.array([1.0, 2.0])), [2.0, 4.0])
    bound = psi.bind(np.eye(2))
    assert isinstance(bound, ReconstructionMap) and bound.image_shape == (2,)
    assert as_reconstruction_map(bound) is bound


def test_mismatches_raise_invalid_argument(fourier):
    bad = torch.nn.Conv2d(2, 3, 3, padding=1)  # 3 output channels: neither N nor 2N entries
    psi = as_reconstruction_map(bad, input="adjoint", A=fourier)
    with pytest.raises(InvalidArgument, match="does not match"):
        psi(fourier.apply(image(0)))
    wrong_in = torch.nn.Conv2d(5, 1, 3, padding=1)
    with pytest.raises(InvalidArgument, match="could not be evaluated"):
        as_reconstruction_map(wrong_in, input="adjoint", A=fourier)(fourier.apply(image(0)))
    with pytest.raises(InvalidArgument, match="A.out_shape"):
        as_reconstruction_map(conv_net(), input="adjoint", A=fourier)(np.zeros(7))
    with pytest.raises(InvalidArgument):
        as_reconstruction_map(conv_net(), input="sideways")
    with pytest.raises(InvalidArgument):
        as_reconstruction_map(conv_net(), layout="diagonal")
    with pytest.raises(InvalidArgument):
        as_reconstruction_map(conv_net(), batch_size=0)
    with pytest.raises(InvalidArgument):
        as_reconstruction_map(42)


def test_nan_output_is_reported():
    A = np.eye(3)
    psi = as_reconstruction_map(lambda y: y * np.nan, A=A)
    ev = psi.evaluate_float64(np.ones((1, 3)))
    assert not ev.ok and not ev.finite and "NaN" in ev.reason


def test_other_dtype_copy_is_private(fourier):
    net = conv_net(dtype=torch.float64)
    psi = as_reconstruction_map(net, input="adjoint", A=fourier)
    y = torch.as_tensor(fourier.apply(image(7)))[None]
    with psi.session(dtype=torch.float32) as f:
        out = f(y)
    assert out.dtype == torch.float32
    assert all(p.dtype == torch.float64 for p in net.parameters())


def test_real_part_single_channel(fourier):
    torch.manual_seed(0)
    net = torch.nn.Conv2d(1, 1, 3, padding=1, dtype=torch.float64)
    psi = as_reconstruction_map(net, input="adjoint", A=fourier, complex_as_channels="real")
    y = fourier.apply(image(8))
    z = np.real(fourier.adjoint(y))
    with torch.no_grad():
        want = net(torch.as_tensor(z)[None, None])[0, 0].numpy()
    assert np.allclose(psi(y), want, atol=1e-12)


# --------------------------------------------------------------------------------------
# regressions of the soundness review (review_instability findings 2, 3, 4, 6, 7)
# --------------------------------------------------------------------------------------


def test_review2_float64_evaluation_is_per_sample():
    A = np.eye(3)
    psi = as_reconstruction_map(lambda Y: Y - Y.mean(0, keepdims=True), A=A, batched=True)
    Y = np.arange(6.0).reshape(2, 3)
    ev = psi.evaluate_float64(Y)
    assert ev.ok and not ev.reason
    for i in range(2):
        assert np.array_equal(ev.output[i], psi.evaluate_batch(Y[i:i + 1])[0])  # zero: alone
    tf = as_reconstruction_map(lambda Y: Y - Y.mean(0, keepdim=True), A=A, backend="torch")
    assert np.array_equal(tf.evaluate_float64(Y).output, np.zeros((2, 3)))


def test_review3_weights_changed_through_data_are_seen():
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 3)  # float32: evaluate_float64 uses a float64 copy
    psi = as_reconstruction_map(net, A=np.eye(3), layout="plain")
    y = np.ones((1, 3))
    first = psi.evaluate_float64(y).output
    psi.evaluate_batch(y, dtype="float64")  # fills the copy cache
    with torch.no_grad():
        for p in net.parameters():
            p.data.mul_(2.0)  # does not bump _version
    import copy

    want = copy.deepcopy(net).double()(torch.ones(1, 3, dtype=torch.float64)).detach().numpy()
    assert np.array_equal(psi.evaluate_float64(y).output, want)
    assert np.array_equal(psi.evaluate_batch(y, dtype="float64"), want)
    assert not np.array_equal(first, want)


def test_review4_in_place_first_layer_never_writes_the_input():
    net = torch.nn.Sequential(torch.nn.ReLU(inplace=True), torch.nn.Linear(4, 4).double())
    psi = as_reconstruction_map(net, A=np.eye(4), layout="plain")
    y = np.array([[-1.0, 2.0, -3.0, 4.0]])
    keep = y.copy()
    psi.evaluate_batch(y)
    psi.evaluate_float64(y)
    psi(y[0])
    yt = torch.as_tensor(y)
    psi(yt)
    assert np.array_equal(y, keep) and np.array_equal(yt.numpy(), keep)

    def zeroing(v):
        v[...] = 0.0  # a numpy function that writes into its input
        return v + 1.0

    npsi = as_reconstruction_map(zeroing, A=np.eye(4))
    npsi(y[0])
    npsi.evaluate_float64(y)
    assert np.array_equal(y, keep)


def test_review6_reduced_precision_output_is_flagged():
    psi = as_reconstruction_map(lambda y: y.astype(np.float32), A=np.eye(2))
    ev = psi.evaluate_float64(np.ones((1, 2)))
    assert ev.precision == "float32" and "float32" in ev.reason

    class Half(torch.nn.Module):
        def forward(self, y):
            return y.half()

    ev = as_reconstruction_map(Half(), A=np.eye(2), layout="plain").evaluate_float64(np.ones((1, 2)))
    assert ev.precision == "float16" and ev.reason


def test_review7_float32_fallback_runs_and_is_flagged():
    torch.manual_seed(0)
    net32 = torch.nn.Linear(3, 3)
    psi = as_reconstruction_map(lambda y: net32(y), A=np.eye(3), backend="torch")
    ev = psi.evaluate_float64(np.ones((2, 3)))
    assert ev.ok and ev.precision == "float32" and ev.reason


# -- the input convention follows the model's own model.input ------------------------------

class _Declares(torch.nn.Module):
    """A module that declares its input convention (as the architectures of theorycheck.nets do)."""

    def __init__(self, convention):
        super().__init__()
        self.input = convention
        self.conv = torch.nn.Conv2d(2, 1, 3, padding=1)

    def forward(self, z):
        return self.conv(z)


def test_default_input_follows_the_models_own_convention(fourier):
    net = _Declares("adjoint").double()
    psi = as_reconstruction_map(net, A=fourier)
    assert psi.input == "adjoint" and psi.options()["input"] == "adjoint"
    y = fourier.apply(image(0))
    # fed A^* y (two channels), exactly as with the explicit input="adjoint"
    assert np.array_equal(psi(y), as_reconstruction_map(net, input="adjoint", A=fourier)(y))
    assert np.allclose(psi(y[None]), reference_conv(net, fourier, y[None])[:, 0], atol=1e-12)
    # without a declaration the default stays "measurements"
    assert as_reconstruction_map(conv_net(), A=fourier).input == "measurements"
    assert as_reconstruction_map(lambda y: y, A=np.eye(2)).input == "measurements"


def test_an_input_contradicting_the_model_is_refused(fourier):
    net = _Declares("adjoint")
    with pytest.raises(InvalidArgument, match=r"contradicts the model's own input convention model.input='adjoint'"):
        as_reconstruction_map(net, input="measurements", A=fourier)
    with pytest.raises(InvalidArgument, match="contradicts"):
        ReconstructionMap(net, input="measurements")
    # a stored options record that contradicts the model cannot rebuild the map either
    opts = as_reconstruction_map(conv_net(), A=fourier).options()
    with pytest.raises(InvalidArgument, match="contradicts"):
        ReconstructionMap.from_options(net, opts, fourier)


def test_the_architectures_declare_their_input():
    from theorycheck.nets.fbpconvnet import FBPConvNet

    A = SubsampledFourier(uniform_random_mask((N8, N8), 0.5, seed=1))
    for convention in ("measurements", "adjoint"):
        net = FBPConvNet(A, width=2, depth=1, input=convention, seed=0)
        assert as_reconstruction_map(net, A=A).input == convention
        other = "adjoint" if convention == "measurements" else "measurements"
        with pytest.raises(InvalidArgument, match="contradicts"):
            as_reconstruction_map(net, input=other, A=A)


def test_train_reconstruction_uses_the_same_convention_helper():
    from theorycheck.nets import _adapter_common, train

    assert train.input_for is _adapter_common.input_for and train.INPUTS == ("adjoint", "measurements")
    assert train.input_for(object(), None) == "adjoint"  # training's default is unchanged
