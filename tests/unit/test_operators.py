"""Contract tests of every linear operator, the sampling masks and the wavelet sparsifier."""

from __future__ import annotations

import functools
import math
from typing import Callable

import numpy as np
import pytest
import pywt
import scipy.fft
import scipy.linalg
import torch

from theorycheck.errors import InvalidArgument
from theorycheck.problems.masks import (
    equispaced_line_mask,
    radial_lines_mask,
    random_line_mask,
    uniform_random_mask,
    variable_density_mask,
)
from theorycheck.problems.mri import MultiCoilFourier, synthetic_coil_sensitivities
from theorycheck.problems.operators import (
    AdjointOperator,
    LinearOperator,
    MatrixOperator,
    SubsampledDCT,
    SubsampledFourier,
    SubsampledWalshHadamard,
)
from theorycheck.problems.radon import Radon, fbp, limited_angle_angles, sparse_view_angles
from theorycheck.problems.sparsifiers import Wavelet


def _unnormalised_sensitivities(shape, coils, seed):
    """Smooth maps with unequal coil powers (a well separated top singular value of A)."""
    S = synthetic_coil_sensitivities(shape, coils, seed=seed)
    return S * np.random.default_rng(seed).uniform(0.2, 2.0, S.shape)


# -- the catalogue ------------------------------------------------------------------------
# kind: "general", "coisometry" (A A^* = I: subsampled unitary), "isometry" (A^* A = I),
# "unitary" (both).


def _matrix(complex_: bool) -> MatrixOperator:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5, 8))
    if complex_:
        A = A + 1j * rng.standard_normal((5, 8))
    return MatrixOperator(A)


CASES: dict[str, tuple[Callable[[], LinearOperator], str]] = {
    "matrix-real": (lambda: _matrix(False), "general"),
    "matrix-complex": (lambda: _matrix(True), "general"),
    "matrix-complex-H": (lambda: _matrix(True).H, "general"),
    "fourier-1d-uniform": (lambda: SubsampledFourier(uniform_random_mask(8, 0.5, seed=1)), "coisometry"),
    "fourier-1d-density": (lambda: SubsampledFourier(variable_density_mask(16, 0.4, seed=2)), "coisometry"),
    "fourier-2d-uniform": (lambda: SubsampledFourier(uniform_random_mask((8, 8), 0.3, seed=3)), "coisometry"),
    "fourier-2d-density": (lambda: SubsampledFourier(variable_density_mask((8, 8), 0.3, seed=4)), "coisometry"),
    "fourier-2d-radial": (lambda: SubsampledFourier(radial_lines_mask((8, 8), 3, seed=5)), "coisometry"),
    "fourier-2d-full": (lambda: SubsampledFourier(np.ones((4, 8), dtype=bool)), "unitary"),
    "fourier-1d-H": (lambda: AdjointOperator(SubsampledFourier(uniform_random_mask(8, 0.5, seed=6))), "isometry"),
    "fourier-centered-1d-odd": (
        lambda: SubsampledFourier(uniform_random_mask(7, 0.5, seed=13), centered=True), "coisometry"),
    "fourier-centered-2d-lines": (
        lambda: SubsampledFourier(equispaced_line_mask((6, 8), 2, 0.25), centered=True), "coisometry"),
    "fourier-centered-2d-odd-random-lines": (
        lambda: SubsampledFourier(random_line_mask((5, 7), 2, 0.3, seed=14), centered=True), "coisometry"),
    "fourier-centered-2d-full": (
        lambda: SubsampledFourier(np.ones((5, 6), dtype=bool), centered=True), "unitary"),
    "fourier-centered-H": (
        lambda: SubsampledFourier(uniform_random_mask((4, 5), 0.5, seed=15), centered=True).H, "isometry"),
    "multicoil-2d": (
        lambda: MultiCoilFourier(uniform_random_mask((6, 5), 0.4, seed=16),
                                 synthetic_coil_sensitivities((6, 5), 3, seed=17)), "general"),
    "multicoil-2d-centered": (
        lambda: MultiCoilFourier(uniform_random_mask((6, 8), 0.4, seed=3),
                                 _unnormalised_sensitivities((6, 8), 4, seed=19), centered=True), "general"),
    "multicoil-1d-centered": (
        lambda: MultiCoilFourier(uniform_random_mask(9, 0.5, seed=20),
                                 synthetic_coil_sensitivities(9, 2, seed=21), centered=True), "general"),
    "dct-1d": (lambda: SubsampledDCT(uniform_random_mask(8, 0.5, seed=7)), "coisometry"),
    "dct-2d": (lambda: SubsampledDCT(variable_density_mask((8, 4), 0.4, seed=8)), "coisometry"),
    "dct-2d-full": (lambda: SubsampledDCT(np.ones((8, 8), dtype=bool)), "unitary"),
    "wh-1d": (lambda: SubsampledWalshHadamard(uniform_random_mask(16, 0.5, seed=9)), "coisometry"),
    "wh-2d": (lambda: SubsampledWalshHadamard(uniform_random_mask((8, 4), 0.5, seed=10)), "coisometry"),
    "wh-1d-full": (lambda: SubsampledWalshHadamard(np.ones(8, dtype=bool)), "unitary"),
    "wavelet-1d-db4": (lambda: Wavelet(16, "db4"), "unitary"),
    "wavelet-1d-haar": (lambda: Wavelet(16, "haar", levels=3), "unitary"),
    "wavelet-2d-db4": (lambda: Wavelet((8, 8), "db4", levels=2), "unitary"),
    "wavelet-2d-haar": (lambda: Wavelet((8, 16), "haar"), "unitary"),
    "wavelet-2d-H": (lambda: Wavelet((8, 8), "haar").H, "unitary"),
    "compose-fourier-wavelet-2d": (
        lambda: SubsampledFourier(variable_density_mask((8, 8), 0.3, seed=11)) @ Wavelet((8, 8), "db4").H,
        "coisometry",
    ),
    "compose-dct-wavelet-1d": (
        lambda: SubsampledDCT(uniform_random_mask(16, 0.5, seed=12)) @ Wavelet(16, "haar").H,
        "coisometry",
    ),
    "compose-matrix-wavelet": (lambda: _matrix(True) @ Wavelet(8, "haar").H, "general"),
    "radon-square": (lambda: Radon(7, sparse_view_angles(6)), "general"),
    "radon-nonsquare-limited": (lambda: Radon((5, 8), limited_angle_angles(4, 2.0)), "general"),
    "radon-circle": (lambda: Radon(6, sparse_view_angles(5), circle=True), "general"),
}
IDS = list(CASES)


@functools.cache
def _op(name: str) -> LinearOperator:
    return CASES[name][0]()


@pytest.fixture(params=IDS)
def case(request: pytest.FixtureRequest) -> tuple[LinearOperator, str]:
    return _op(request.param), CASES[request.param][1]


def _rand(shape: tuple[int, ...], complex_: bool, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if complex_ else x


# -- contract tests ------------------------------------------------------------------------
def test_adjointness(case):
    op, _ = case
    assert op.adjointness_error() < 1e-12


@pytest.mark.parametrize("complex_", [False, True])
def test_to_dense_matches_apply_and_adjoint(case, complex_):
    op, _ = case
    M = op.to_dense()
    assert M.shape == op.shape
    x = _rand(op.in_shape, complex_, 1)
    y = _rand(op.out_shape, complex_, 2)
    np.testing.assert_allclose(np.ravel(op.apply(x)), M @ x.ravel(), atol=1e-12)
    np.testing.assert_allclose(np.ravel(op.adjoint(y)), M.conj().T @ y.ravel(), atol=1e-12)


@pytest.mark.parametrize("batch", [(3,), (2, 3)])
def test_batch_dims(case, batch):
    op, _ = case
    x = _rand(batch + op.in_shape, op.is_complex, 3)
    y = _rand(batch + op.out_shape, op.is_complex, 4)
    Ax, Aty = op.apply(x), op.adjoint(y)
    assert Ax.shape == batch + op.out_shape and Aty.shape == batch + op.in_shape
    for idx in np.ndindex(*batch):
        np.testing.assert_allclose(Ax[idx], op.apply(x[idx]), atol=1e-13)
        np.testing.assert_allclose(Aty[idx], op.adjoint(y[idx]), atol=1e-13)


def test_isometries_and_norm(case):
    op, kind = case
    M = op.to_dense()
    svd_norm = np.linalg.svd(M, compute_uv=False)[0]
    assert op.norm() == pytest.approx(svd_norm, rel=1e-12)
    assert op.norm(exact=False, iters=500) == pytest.approx(svd_norm, rel=1e-6)
    assert op.unitary == (kind == "unitary")
    if kind == "general":
        return
    assert op.norm() <= 1 + 1e-12
    x = _rand(op.in_shape, True, 5)
    y = _rand(op.out_shape, True, 6)
    if kind in ("unitary", "isometry"):
        assert np.linalg.norm(op.apply(x)) == pytest.approx(np.linalg.norm(x), rel=1e-12)
        np.testing.assert_allclose(op.adjoint(op.apply(x)), x, atol=1e-12)
    if kind in ("unitary", "coisometry"):
        np.testing.assert_allclose(op.apply(op.adjoint(y)), y, atol=1e-12)


@pytest.mark.parametrize("complex_", [False, True])
def test_torch_matches_numpy(case, complex_):
    op, _ = case
    x = _rand((2,) + op.in_shape, complex_, 7)
    y = _rand((2,) + op.out_shape, complex_, 8)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    out, back = op.apply(tx), op.adjoint(ty)
    assert isinstance(out, torch.Tensor) and out.device == tx.device
    np.testing.assert_allclose(out.numpy(), op.apply(x), atol=1e-12)
    np.testing.assert_allclose(back.numpy(), op.adjoint(y), atol=1e-12)
    # float32 in -> single precision out
    out32 = op.apply(tx.to(torch.complex64 if complex_ else torch.float32))
    assert out32.dtype in (torch.float32, torch.complex64)
    np.testing.assert_allclose(out32.numpy(), op.apply(x), atol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128])
def test_gradcheck(case, dtype):
    op, _ = case
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((2,) + op.in_shape, dtype=dtype, generator=gen, requires_grad=True)
    y = torch.randn((2,) + op.out_shape, dtype=dtype, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(op.apply, (x,), fast_mode=True)
    assert torch.autograd.gradcheck(op.adjoint, (y,), fast_mode=True)


def test_input_not_modified(case):
    op, _ = case
    x = _rand(op.in_shape, True, 9)
    y = _rand(op.out_shape, True, 10)
    x0, y0 = x.copy(), y.copy()
    op.apply(x), op.adjoint(y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    tx = torch.from_numpy(x)
    op.apply(tx)
    np.testing.assert_array_equal(tx.numpy(), x0)


def test_bad_inputs(case):
    op, _ = case
    with pytest.raises(InvalidArgument):
        op.apply(np.zeros(op.in_shape + (2,)))
    with pytest.raises(InvalidArgument):
        op.apply(np.zeros((op.shape[1] + 1,)))
    with pytest.raises(InvalidArgument):
        op.adjoint(np.zeros((op.shape[0] + 1,)))
    nan = np.zeros(op.in_shape)
    nan.flat[0] = np.nan
    with pytest.raises(InvalidArgument):
        op.apply(nan)
    with pytest.raises(InvalidArgument):
        op.apply(torch.from_numpy(nan))
    inf = np.zeros(op.out_shape)
    inf.flat[-1] = np.inf
    with pytest.raises(InvalidArgument):
        op.adjoint(inf)


# -- known matrices ------------------------------------------------------------------------
def _full(cls, shape):
    return cls(np.ones(shape, dtype=bool))


def test_fourier_is_the_dft_matrix():
    F = np.fft.fft(np.eye(8), norm="ortho", axis=0)
    np.testing.assert_allclose(_full(SubsampledFourier, 8).to_dense(), F, atol=1e-14)
    F4 = np.fft.fft(np.eye(4), norm="ortho", axis=0)
    np.testing.assert_allclose(_full(SubsampledFourier, (8, 4)).to_dense(), np.kron(F, F4), atol=1e-14)
    mask = uniform_random_mask((8, 4), 0.4, seed=0)
    A = SubsampledFourier(mask)
    np.testing.assert_allclose(A.to_dense(), np.kron(F, F4)[mask.ravel()], atol=1e-14)


def test_dct_is_the_dct_matrix():
    C = scipy.fft.dct(np.eye(8), norm="ortho", axis=0)
    np.testing.assert_allclose(_full(SubsampledDCT, 8).to_dense(), C, atol=1e-14)
    C4 = scipy.fft.dct(np.eye(4), norm="ortho", axis=0)
    np.testing.assert_allclose(_full(SubsampledDCT, (8, 4)).to_dense(), np.kron(C, C4), atol=1e-14)


def test_walsh_hadamard_is_the_hadamard_matrix():
    for n in (1, 2, 16):
        H = scipy.linalg.hadamard(n) / math.sqrt(n)
        np.testing.assert_allclose(_full(SubsampledWalshHadamard, n).to_dense(), H, atol=1e-14)
    H8, H4 = scipy.linalg.hadamard(8) / math.sqrt(8), scipy.linalg.hadamard(4) / 2
    A = _full(SubsampledWalshHadamard, (8, 4))
    np.testing.assert_allclose(A.to_dense(), np.kron(H8, H4), atol=1e-14)
    x = torch.randn(8, 4, dtype=torch.float64)
    np.testing.assert_allclose(A.apply(x).numpy(), np.kron(H8, H4) @ x.numpy().ravel(), atol=1e-13)


@pytest.mark.filterwarnings("ignore:Level value")
def test_wavelet_matches_pywavelets_ordering():
    x = _rand((8, 16), False, 11)
    W = Wavelet((8, 16), "db2", levels=2)
    c = pywt.wavedec2(x, "db2", mode="periodization", level=2)
    flat = np.concatenate([c[0].ravel()] + [d.ravel() for lvl in c[1:] for d in lvl])
    np.testing.assert_allclose(W.apply(x), flat, atol=1e-13)
    x1 = x[0]
    W1 = Wavelet(16, "db2", levels=2)
    np.testing.assert_allclose(
        W1.apply(x1), np.concatenate(pywt.wavedec(x1, "db2", mode="periodization", level=2)), atol=1e-13)
    assert W.level_slices == [(0, 8), (8, 32), (32, 128)]
    assert W1.level_slices == [(0, 4), (4, 8), (8, 16)]


def test_wavelet_defaults_and_level_weights():
    assert Wavelet(8, "db4").levels == 1
    assert Wavelet((16, 8), "haar").levels == 3
    W = Wavelet(8, "haar", levels=2)
    np.testing.assert_array_equal(W.level_weights([1, 2, 3]), [1, 1, 2, 2, 3, 3, 3, 3])
    for bad in ([1, 2], [1, 0, 1], [1, np.nan, 1], [1, -1, 1], [[1, 2, 3]]):
        with pytest.raises(InvalidArgument):
            W.level_weights(bad)


def test_compose_with_synthesis():
    A = SubsampledFourier(radial_lines_mask((8, 8), 4, seed=0))
    W = Wavelet((8, 8), "db4")
    np.testing.assert_allclose(
        (A @ W.H).to_dense(), A.to_dense() @ W.to_dense().conj().T, atol=1e-13)


def test_mask_is_a_read_only_copy():
    mask = np.array([1, 0, 1, 1])
    A = SubsampledDCT(mask)
    mask[0] = 0
    assert A.mask.dtype == bool and A.mask[0] and not A.mask.flags.writeable
    assert A.out_shape == (3,) and not A.unitary


def test_single_precision_wavelet_keeps_dtype():
    W = Wavelet(8, "haar")
    x = torch.randn(8, dtype=torch.float32, requires_grad=True)
    out = W.apply(x)
    assert out.dtype == torch.float32
    out.sum().backward()
    assert x.grad.dtype == torch.float32


# -- bad construction ---------------------------------------------------------------------
@pytest.mark.parametrize("cls", [SubsampledFourier, SubsampledDCT, SubsampledWalshHadamard])
@pytest.mark.parametrize(
    "mask",
    [
        np.zeros(8, dtype=bool),
        np.ones((2, 2, 2), dtype=bool),
        np.ones(0, dtype=bool),
        np.array([1.0, np.nan, 0.0, 1.0]),
        np.array([1, 2, 0, 1]),
        np.array([0.5, 1, 0, 1]),
        np.array(["a", "b", "c", "d"]),
        np.array([1j, 0, 0, 1]),
        True,
    ],
    ids=["all-false", "3d", "empty", "nan", "two", "half", "str", "complex", "scalar"],
)
def test_bad_masks(cls, mask):
    with pytest.raises(InvalidArgument):
        cls(mask)


def test_walsh_hadamard_needs_powers_of_two():
    for shape in (6, (8, 12), (3, 4)):
        with pytest.raises(InvalidArgument, match="power of two"):
            SubsampledWalshHadamard(np.ones(shape, dtype=bool))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(shape=8, wavelet="bior2.2"),
        dict(shape=8, wavelet="no-such-wavelet"),
        dict(shape=8, wavelet="haar", levels=4),
        dict(shape=(8, 12), wavelet="haar", levels=3),
        dict(shape=8, wavelet="haar", levels=0),
        dict(shape=8, wavelet="haar", levels=1.5),
        dict(shape=7, wavelet="haar"),
        dict(shape=(4, 4, 4), wavelet="haar"),
        dict(shape=(0, 4), wavelet="haar"),
    ],
)
def test_bad_wavelets(kwargs):
    with pytest.raises(InvalidArgument):
        Wavelet(**kwargs)


# -- masks ---------------------------------------------------------------------------------
BUILDERS = {
    "uniform": lambda shape, f, seed: uniform_random_mask(shape, f, seed=seed),
    "density": lambda shape, f, seed: variable_density_mask(shape, f, seed=seed),
}


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("shape", [16, (8, 8), (6, 10)])
@pytest.mark.parametrize("fraction", [0.01, 0.25, 0.5, 1.0])
def test_masks_seeded_and_counted(name, shape, fraction):
    build = BUILDERS[name]
    mask = build(shape, fraction, 3)
    N = math.prod((shape,) if isinstance(shape, int) else shape)
    assert mask.dtype == bool and mask.shape == ((shape,) if isinstance(shape, int) else shape)
    assert mask.sum() == max(1, round(fraction * N))
    np.testing.assert_array_equal(mask, build(shape, fraction, 3))
    np.testing.assert_array_equal(mask, build(shape, fraction, np.random.default_rng(3)))
    if name == "density":
        assert mask.flat[0]  # the zero frequency


def test_variable_density_samples_low_frequencies():
    mask = variable_density_mask((32, 32), 0.2, center_fraction=0.125, seed=0)
    low = np.fft.fftfreq(32) * 32
    box = (np.abs(low)[:, None] < 2) & (np.abs(low)[None, :] < 2)
    assert mask[box].all()  # the centre region (corners in unshifted ordering)
    shifted = np.fft.fftshift(mask)
    inner = shifted[8:24, 8:24].mean()
    outer = (shifted.sum() - shifted[8:24, 8:24].sum()) / (1024 - 256)
    assert inner > outer
    assert (variable_density_mask((32, 32), 0.2, seed=0) != variable_density_mask((32, 32), 0.2, seed=1)).any()


def test_radial_lines():
    mask = radial_lines_mask((16, 16), 4)
    assert mask[0, 0]
    shifted = np.fft.fftshift(mask)
    assert shifted[8, :].all() and shifted[:, 8].all()  # angles 0 and pi/2
    assert shifted[np.arange(16), np.arange(16)].all()  # the diagonal (pi/4)
    np.testing.assert_array_equal(radial_lines_mask((16, 16), 4, seed=2), radial_lines_mask((16, 16), 4, seed=2))
    assert radial_lines_mask((16, 12), 64).all()


@pytest.mark.parametrize(
    "call",
    [
        lambda: uniform_random_mask(8, 0.0),
        lambda: uniform_random_mask(8, 1.5),
        lambda: uniform_random_mask(8, float("nan")),
        lambda: uniform_random_mask((0, 4), 0.5),
        lambda: uniform_random_mask((-1,), 0.5),
        lambda: uniform_random_mask("ab", 0.5),
        lambda: uniform_random_mask((4.0, 4), 0.5),
        lambda: variable_density_mask(8, 0.5, center_fraction=2.0),
        lambda: variable_density_mask(8, 0.5, decay=-1.0),
        lambda: variable_density_mask(8, 0.5, decay=float("inf")),
        lambda: radial_lines_mask(8, 3),
        lambda: radial_lines_mask((8, 8), 0),
        lambda: radial_lines_mask((8, 8), 2.5),
    ],
)
def test_bad_mask_arguments(call):
    with pytest.raises(InvalidArgument):
        call()


# -- issue 11: counts validated, sizes refused early, no silent numbers ---------------------

def test_issue11_power_method_and_adjointness_counts_are_validated():
    op = MatrixOperator(np.diag([3.0, 1.0]))
    for bad in (0, -1, 1.5, "5", True, None):
        with pytest.raises(InvalidArgument):
            op.norm(exact=False, iters=bad)
        with pytest.raises(InvalidArgument):
            op.adjointness_error(trials=bad)
    for bad in (-1, float("nan"), "0"):
        with pytest.raises(InvalidArgument):
            op.norm(exact=False, tol=bad)
    for bad in (-1, 1.5, "a"):
        with pytest.raises(InvalidArgument):
            op.norm(exact=False, seed=bad)
        with pytest.raises(InvalidArgument):
            op.adjointness_error(seed=bad)
    with pytest.raises(InvalidArgument):
        op.norm(exact="yes")
    # one power-method step from a seeded start is a lower bound (closed form ‖A‖ = 3)
    est = op.norm(exact=False, iters=1)
    assert 0 < est <= 3.0 + 1e-12


def test_issue11_adjointness_error_of_a_nan_operator_is_inf():
    from theorycheck.problems.operators import LinearOperator

    class Broken(LinearOperator):
        in_shape, out_shape, dtype = (3,), (2,), np.dtype(np.float64)

        def _apply(self, x):
            return np.full(x.shape[:-1] + (2,), np.nan)

        def _adjoint(self, y):
            return np.zeros(y.shape[:-1] + (3,))

    assert Broken().adjointness_error() == math.inf


def test_issue11_huge_dense_matrices_and_svds_are_refused_fast():
    import time

    big = SubsampledFourier(np.ones(2 ** 20, dtype=bool))
    t0 = time.perf_counter()
    with pytest.raises(InvalidArgument, match="too large"):
        big.to_dense()
    with pytest.raises(InvalidArgument, match="too large"):
        big.norm(exact=True)
    with pytest.raises(InvalidArgument, match="too large"):
        big.H.to_dense()
    assert time.perf_counter() - t0 < 1.0
    assert big.norm(exact=False, iters=3) == pytest.approx(1.0)  # unitary: power method still works


def test_issue11_wavelet_levels_and_names_never_hang_or_crash():
    import time

    t0 = time.perf_counter()
    for kw in (dict(levels=2 ** 70), dict(levels=10 ** 9), dict(wavelet=3), dict(wavelet=[[]]),
               dict(wavelet=None), dict(levels=True)):
        with pytest.raises(InvalidArgument):
            Wavelet(16, **{"wavelet": "haar", **kw})
    with pytest.raises(InvalidArgument):
        Wavelet(2 ** 70, "haar")
    assert time.perf_counter() - t0 < 1.0


def test_issue11_operators_hold_exactly_the_given_matrix():
    from fractions import Fraction

    for bad in (np.array([[2 ** 53 + 1, 1]], dtype=np.int64), np.array([[Fraction(1, 3), 1]], dtype=object)):
        with pytest.raises(InvalidArgument):
            MatrixOperator(bad)
    ok = MatrixOperator(np.array([[Fraction(1, 2), 2 ** 60]], dtype=object))
    assert [Fraction(v) for v in ok.matrix.ravel()] == [Fraction(1, 2), Fraction(2 ** 60)]


def test_issue11_masks_refuse_huge_shapes_and_bad_seeds_and_survive_a_huge_decay():
    import time

    t0 = time.perf_counter()
    with pytest.raises(InvalidArgument):
        uniform_random_mask((10 ** 6, 10 ** 6), 0.1, seed=0)
    with pytest.raises(InvalidArgument):
        radial_lines_mask((64, 64), 10 ** 9)
    for seed in (-1, 1.5, "3", True, float("nan")):
        with pytest.raises(InvalidArgument):
            uniform_random_mask(8, 0.5, seed=seed)
        with pytest.raises(InvalidArgument):
            variable_density_mask((8, 8), 0.5, seed=seed)
    assert time.perf_counter() - t0 < 2.0
    # decay so large that (1 + r)^-decay underflows: the lowest frequencies are taken
    m = variable_density_mask((16, 16), 0.2, center_fraction=0.0, decay=1e9, seed=0)
    assert m.sum() == round(0.2 * 256) and m[0, 0]
    fy, fx = np.meshgrid(np.fft.fftfreq(16) * 2, np.fft.fftfreq(16) * 2, indexing="ij")
    radius = np.sqrt(fy ** 2 + fx ** 2)  # independent: normalised distance to the zero frequency
    assert radius[m].max() <= np.sort(radius.ravel())[m.sum() - 1] + 1e-12


def test_issue11_power_method_and_adjointness_refuse_signals_too_large_to_draw():
    W = Wavelet((2 ** 20, 2 ** 20), "haar", levels=2)  # construction is cheap; random vectors are not
    for call in (lambda: W.norm(exact=False), lambda: W.norm(), lambda: W.adjointness_error(),
                 lambda: W.to_dense()):
        with pytest.raises(InvalidArgument, match="too large"):
            call()


# -- empty batches and integer tensors ----------------------------------------------------
def test_empty_batches_give_empty_outputs(case):
    # torch's FFT backends refuse tensors with no elements: the operators answer directly
    op, _ = case
    for dtype in (torch.float32, torch.float64, torch.complex128):
        x = torch.zeros((0,) + op.in_shape, dtype=dtype)
        y = torch.zeros((0,) + op.out_shape, dtype=dtype)
        out, back = op.apply(x), op.adjoint(y)
        assert tuple(out.shape) == (0,) + op.out_shape and tuple(back.shape) == (0,) + op.in_shape
        ref = op.apply(np.zeros((1,) + op.in_shape, dtype=np.complex128 if dtype.is_complex else np.float64))
        assert out.is_complex() == np.iscomplexobj(ref)  # the dtype family of a non-empty batch
        x2 = torch.zeros((2, 0) + op.in_shape, dtype=dtype)
        assert tuple(op.apply(x2).shape) == (2, 0) + op.out_shape
    assert op.apply(np.zeros((0,) + op.in_shape)).shape == (0,) + op.out_shape


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.complex64])
def test_fbp_of_an_empty_batch_is_empty(dtype):
    R = Radon(7, sparse_view_angles(6))
    out = fbp(R, torch.zeros((0,) + R.out_shape, dtype=dtype))
    assert tuple(out.shape) == (0,) + R.in_shape and out.dtype == dtype
    assert tuple(fbp(R, torch.zeros((3, 0) + R.out_shape, dtype=dtype)).shape) == (3, 0) + R.in_shape
    assert fbp(R, np.zeros((0,) + R.out_shape)).shape == (0,) + R.in_shape


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8, torch.bool])
def test_integer_tensors_are_converted_exactly(dtype):
    # integers go to float64 exactly (never to the default float32, which rounds beyond 2^24)
    A = MatrixOperator(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]))
    big = {torch.int64: [2 ** 24 + 1, 2 ** 53 - 1, -(2 ** 40) - 3], torch.int32: [2 ** 24 + 1, 2 ** 31 - 1, -7],
           torch.uint8: [255, 1, 0], torch.bool: [True, False, True]}[dtype]
    x = torch.tensor(big, dtype=dtype)
    out = A.apply(x)
    assert out.dtype == torch.float64
    exact = [int(big[0]), int(big[1]) + int(big[2])]  # Python integers: the ground truth
    assert [int(v) for v in out.tolist()] == exact
    assert all(float(v) == e for v, e in zip(out.tolist(), exact))
    back = A.adjoint(torch.tensor(big[:2], dtype=dtype))
    assert back.dtype == torch.float64 and [int(v) for v in back.tolist()] == [int(big[0]), int(big[1]),
                                                                              int(big[1])]


def test_integer_tensors_float64_cannot_hold_are_refused():
    A = MatrixOperator(np.eye(2))
    for v in (2 ** 53 + 1, 2 ** 63 - 1, -(2 ** 53) - 1):
        with pytest.raises(InvalidArgument, match="float64 cannot hold"):
            A.apply(torch.tensor([v, 0], dtype=torch.int64))
    out = A.apply(torch.tensor([2 ** 60, -(2 ** 62)], dtype=torch.int64))  # powers of two are exact
    assert [int(v) for v in out.tolist()] == [2 ** 60, -(2 ** 62)]
    F = SubsampledFourier(np.ones(4, dtype=bool))
    out = F.apply(torch.tensor([2 ** 24 + 1, 0, 0, 0], dtype=torch.int64))
    assert out.dtype == torch.complex128 and float(out[0].real) * 2 == 2 ** 24 + 1


def test_reshaped_matrix_operator_acts_on_images_and_is_enclosed():
    from theorycheck.nets.enclosure import enclose_operator
    from theorycheck.problems.operators import ReshapedMatrixOperator

    rng = np.random.default_rng(5)
    M = rng.standard_normal((6, 12)) + 1j * rng.standard_normal((6, 12))
    A = ReshapedMatrixOperator(M, (3, 4), (2, 3))
    x = rng.standard_normal((2, 3, 4))
    y = rng.standard_normal((2, 2, 3))
    np.testing.assert_allclose(A.apply(x), (x.reshape(2, 12) @ M.T).reshape(2, 2, 3), rtol=1e-13)
    np.testing.assert_allclose(A.adjoint(y), (y.reshape(2, 6) @ M.conj()).reshape(2, 3, 4), rtol=1e-13)
    for arg, adj, want in ((x, False, A.apply(x)), (y, True, A.adjoint(y))):
        enc = enclose_operator(A, arg, adjoint=adj)
        assert enc.shape == want.shape
        assert np.max(np.abs(enc.center.numpy() - want)) <= 1e-13 * np.max(np.abs(want))
        assert 0 < enc.max_radius < 1e-12
    with pytest.raises(InvalidArgument, match="column and row counts"):
        ReshapedMatrixOperator(M, (3, 5), (2, 3))
