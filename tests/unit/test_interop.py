"""as_operator on other libraries' operators: pylops, scipy LinearOperator, the deepinv physics protocol.

Every wrapped operator is compared with an explicit dense matrix (or numpy.fft), on numpy and
torch, batched, with autograd; operators whose adjoint is wrong, that are not linear, or that
produce NaN are refused with the measured error.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spla
import torch

from theorycheck.errors import InvalidArgument
from theorycheck.problems.interop import ForeignOperator
from theorycheck.problems.masks import uniform_random_mask
from theorycheck.problems.operators import MatrixOperator, SubsampledFourier, as_operator, compose

pylops = pytest.importorskip("pylops")


def _rand(shape, seed, complex_=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if complex_ else x


def _check_against_dense(op, M, *, complex_in=True):
    """apply/adjoint/to_dense of ``op`` equal the matrix ``M`` (numpy and torch, batched)."""
    np.testing.assert_allclose(op.to_dense(), M, atol=1e-12)
    x = _rand((3,) + tuple(op.in_shape), 1, complex_in)
    y = _rand((3,) + tuple(op.out_shape), 2)
    np.testing.assert_allclose(op.apply(x).reshape(3, -1), x.reshape(3, -1) @ M.T, atol=1e-12)
    np.testing.assert_allclose(op.adjoint(y).reshape(3, -1), y.reshape(3, -1) @ M.conj(), atol=1e-12)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    np.testing.assert_allclose(op.apply(tx).numpy(), op.apply(x), atol=1e-12)
    np.testing.assert_allclose(op.adjoint(ty).numpy(), op.adjoint(y), atol=1e-12)
    assert op.adjoint_error < 1e-13 and op.linearity_error < 1e-13


# -- pylops ---------------------------------------------------------------------------------
@pytest.mark.parametrize("complex_", [False, True])
def test_pylops_matrixmult(complex_):
    M = _rand((5, 7), 3, complex_)
    op = as_operator(pylops.MatrixMult(M, dtype=M.dtype))
    assert isinstance(op, ForeignOperator) and op.protocol == "matvec"
    assert op.in_shape == (7,) and op.out_shape == (5,) and op.is_complex == complex_
    _check_against_dense(op, M)


@pytest.mark.parametrize("shape", [(4, 6), (5, 7)])
def test_pylops_fft2d_is_theorycheck_fourier_in_both_conventions(shape):
    full = np.ones(shape, dtype=bool)
    plain = as_operator(pylops.signalprocessing.FFT2D(dims=shape, norm="ortho"))
    assert plain.in_shape == shape and plain.out_shape == shape  # pylops dims / dimsd
    np.testing.assert_allclose(plain.to_dense(), SubsampledFourier(full).to_dense(), atol=1e-12)
    centred = as_operator(pylops.signalprocessing.FFT2D(dims=shape, norm="ortho", ifftshift_before=True,
                                                        fftshift_after=True))
    np.testing.assert_allclose(centred.to_dense(), SubsampledFourier(full, centered=True).to_dense(), atol=1e-12)
    x = _rand(shape, 4)
    axes = (-2, -1)
    ref = np.fft.fftshift(np.fft.fftn(np.fft.ifftshift(x, axes=axes), axes=axes, norm="ortho"), axes=axes)
    np.testing.assert_allclose(centred.apply(x), ref, atol=1e-12)


def test_pylops_composition_with_a_mask():
    shape = (4, 6)
    mask = uniform_random_mask(shape, 0.5, seed=5)
    R = pylops.Restriction(dims=int(np.prod(shape)), iava=np.flatnonzero(mask), dtype=np.complex128)
    F = pylops.signalprocessing.FFT2D(dims=shape, norm="ortho")
    op = as_operator(R @ F, shape=shape)
    assert op.in_shape == shape
    _check_against_dense(op, SubsampledFourier(mask).to_dense())


# -- scipy LinearOperator ----------------------------------------------------------------------
def _conv_operator(h: np.ndarray, n: int, *, wrong: bool = False) -> spla.LinearOperator:
    """Full 1-D convolution with ``h`` (n → n + len(h) − 1), its adjoint the correlation."""
    m = n + h.size - 1

    def matvec(v):
        return np.convolve(np.ravel(v), h)

    def rmatvec(w):
        r = np.correlate(np.ravel(w), h, mode="valid")
        return r * 1.001 if wrong else r

    return spla.LinearOperator((m, n), matvec=matvec, rmatvec=rmatvec, dtype=np.float64)


def test_scipy_linear_operator():
    h = np.array([1.0, -2.0, 0.5])
    op = as_operator(_conv_operator(h, 6))
    M = np.zeros((8, 6))
    for j in range(6):
        M[j:j + 3, j] = h
    _check_against_dense(op, M)
    assert op.adjointness_error() < 1e-15


def test_scipy_aslinearoperator_of_a_complex_matrix_and_compose():
    M = _rand((4, 4), 6)
    op = as_operator(spla.aslinearoperator(M))
    _check_against_dense(op, M)
    both = compose(op, MatrixOperator(np.eye(4) * 2))
    np.testing.assert_allclose(both.to_dense(), 2 * M, atol=1e-12)


# -- the deepinv physics protocol ------------------------------------------------------------
class MaskedFFT(torch.nn.Module):
    """A deepinv-style physics: A(x) = M ⊙ fft2(x) on (B, 1, H, W) complex tensors, A_adjoint(y)."""

    def __init__(self, mask: np.ndarray, *, wrong: bool = False, inplace: bool = False):
        super().__init__()
        self.register_buffer("mask", torch.from_numpy(mask.astype(np.float32)))
        self.wrong = wrong
        self.inplace = inplace

    def A(self, x):
        if self.inplace:
            x.mul_(3.0)  # a badly behaved physics that overwrites its input
            x = x / 3.0
        return self.mask * torch.fft.fft2(x, norm="ortho")

    def A_adjoint(self, y):
        out = torch.fft.ifft2(self.mask * y, norm="ortho")
        return out.conj() if self.wrong else out  # conj: a classic adjoint bug


class Blur(torch.nn.Module):
    """A real deepinv-style physics: 1-D circular blur on (B, n) real tensors."""

    def __init__(self, kernel, n):
        super().__init__()
        C = np.zeros((n, n))
        for i, k in enumerate(kernel):
            C += k * np.roll(np.eye(n), i, axis=0)
        self.register_buffer("C", torch.from_numpy(C))

    def A(self, x):
        return x @ self.C.T

    def A_adjoint(self, y):
        return y @ self.C


def test_deepinv_protocol_complex_fft():
    mask = uniform_random_mask((6, 6), 0.5, seed=7)
    physics = MaskedFFT(mask)
    op = as_operator(physics, shape=(1, 6, 6))
    assert op.protocol == "physics" and op.in_shape == (1, 6, 6) and op.out_shape == (1, 6, 6)
    F = SubsampledFourier(np.ones((6, 6), dtype=bool)).to_dense()
    M = np.diag(mask.ravel().astype(float)) @ F
    _check_against_dense(op, M)
    x = torch.from_numpy(_rand((2, 1, 6, 6), 8))
    torch.testing.assert_close(op.apply(x), physics.A(x))  # torch input goes through the object itself


def test_deepinv_protocol_real_operator_on_complex_data_and_autograd():
    physics = Blur([0.5, 0.3, 0.2], 8)
    op = as_operator(physics, shape=8)
    assert not op.is_complex
    C = physics.C.numpy()
    _check_against_dense(op, C)
    xt = torch.from_numpy(_rand((2, 8), 9, complex_=False)).requires_grad_(True)
    assert torch.autograd.gradcheck(op.apply, (xt,), fast_mode=True)
    xc = torch.from_numpy(_rand((2, 8), 10)).requires_grad_(True)
    assert torch.autograd.gradcheck(op.apply, (xc,), fast_mode=True)


@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128])
def test_matvec_operators_are_differentiable_in_torch(dtype):
    M = _rand((4, 5), 11)
    op = as_operator(pylops.MatrixMult(M, dtype=np.complex128))
    x = torch.randn((3, 5), dtype=dtype, generator=torch.Generator().manual_seed(0), requires_grad=True)
    y = torch.randn((3, 4), dtype=torch.complex128, generator=torch.Generator().manual_seed(1),
                    requires_grad=True)
    assert torch.autograd.gradcheck(op.apply, (x,), fast_mode=True)
    assert torch.autograd.gradcheck(op.adjoint, (y,), fast_mode=True)
    out = op.apply(x.detach().float() if dtype == torch.float64 else x.detach().to(torch.complex64))
    assert out.dtype == torch.complex64  # single precision in, single precision out


# -- refusals ---------------------------------------------------------------------------------
def test_wrong_adjoints_are_refused_with_the_measured_error():
    mask = uniform_random_mask((6, 6), 0.5, seed=12)
    with pytest.raises(InvalidArgument, match=r"adjoint test failed — measured relative error \S+ > "
                                              r"adjoint_tol = 1\.000e-10"):
        as_operator(MaskedFFT(mask, wrong=True), shape=(1, 6, 6))
    with pytest.raises(InvalidArgument, match="adjoint test failed"):
        as_operator(_conv_operator(np.array([1.0, 2.0]), 5, wrong=True))
    M = _rand((3, 4), 13)
    transpose_only = spla.LinearOperator((3, 4), matvec=lambda v: M @ v, rmatvec=lambda w: M.T @ w,
                                         dtype=np.complex128)
    with pytest.raises(InvalidArgument, match="adjoint test failed"):
        as_operator(transpose_only)


def test_tolerance_is_configurable():
    """An adjoint accurate to single precision only: refused at 1e-10, admitted at 1e-5."""
    M = np.random.default_rng(14).standard_normal((6, 6))
    M32 = M.astype(np.float32).astype(np.float64)
    approx = spla.LinearOperator((6, 6), matvec=lambda v: M @ v, rmatvec=lambda w: M32.T @ w, dtype=np.float64)
    with pytest.raises(InvalidArgument, match="adjoint_tol"):
        as_operator(approx)
    op = as_operator(approx, adjoint_tol=1e-5)
    assert 1e-10 < op.adjoint_error <= 1e-5
    for bad in (0.0, -1.0, float("nan"), "1e-3", 1.0, 1e30):
        with pytest.raises(InvalidArgument, match="adjoint_tol"):
            as_operator(approx, adjoint_tol=bad)


def test_nonlinear_and_nan_operators_are_refused():
    class Affine:
        def A(self, x):
            return x + 1.0

        def A_adjoint(self, y):
            return y

    with pytest.raises(InvalidArgument, match="test failed"):
        as_operator(Affine(), shape=4)

    class Squares:  # ⟨A x, y⟩ = ⟨x, A^* y⟩ can fail or hold by chance; linearity fails
        def A(self, x):
            return x * x.abs()

        def A_adjoint(self, y):
            return y * y.abs()

    with pytest.raises(InvalidArgument, match="test failed"):
        as_operator(Squares(), shape=4)
    nan = spla.LinearOperator((2, 2), matvec=lambda v: v * np.nan, rmatvec=lambda w: w, dtype=np.float64)
    with pytest.raises(InvalidArgument, match=r"inf|nan"):
        as_operator(nan)


def test_shapes_are_required_and_checked():
    physics = Blur([1.0, 0.5], 6)
    with pytest.raises(InvalidArgument, match="shape="):
        as_operator(physics)
    with pytest.raises(InvalidArgument):
        as_operator(physics, shape=(7,))  # the physics fails on the wrong size: reported, not raised raw
    with pytest.raises(InvalidArgument, match="entries"):
        as_operator(spla.aslinearoperator(np.eye(6)), shape=(4, 2))
    op = as_operator(spla.aslinearoperator(np.eye(6)), shape=(2, 3))
    assert op.in_shape == (2, 3) and op.out_shape == (6,)
    A = SubsampledFourier(np.ones(4, dtype=bool))
    assert as_operator(A) is A and as_operator(A, shape=4) is A
    with pytest.raises(InvalidArgument, match="shape"):
        as_operator(A, shape=(2, 2))
    assert isinstance(as_operator(np.eye(3)), MatrixOperator)  # matrices as before


def test_foreign_failures_become_invalid_argument():
    class Broken:
        def A(self, x):
            raise RuntimeError("device mismatch")

        def A_adjoint(self, y):
            return y

    with pytest.raises(InvalidArgument, match="RuntimeError: device mismatch"):
        as_operator(Broken(), shape=3)

    class NotTensor:
        def A(self, x):
            return [1.0]

        def A_adjoint(self, y):
            return y

    with pytest.raises(InvalidArgument, match="list"):
        as_operator(NotTensor(), shape=3)
    with pytest.raises(InvalidArgument, match="not an operator"):
        ForeignOperator(object())
    bad_shape = spla.LinearOperator((3, 2), matvec=lambda v: np.ones(4), rmatvec=lambda w: np.ones(2),
                                    dtype=np.float64)
    with pytest.raises(InvalidArgument, match="matvec"):  # scipy's own check, reported
        as_operator(bad_shape)

    class WrongSize:  # a bare matvec protocol without scipy's checks
        shape = (3, 2)
        dtype = np.float64

        def matvec(self, v):
            return np.ones(4)

        def rmatvec(self, w):
            return np.ones(2)

    with pytest.raises(InvalidArgument, match="expected 3 numbers"):
        as_operator(WrongSize())
    with pytest.raises(InvalidArgument):
        as_operator(object())  # neither a protocol nor a matrix
    with pytest.raises(InvalidArgument, match="trials"):
        as_operator(spla.aslinearoperator(np.eye(2)), trials=0)


def test_callers_arrays_are_never_modified():
    mask = np.ones((4, 4), dtype=bool)
    op = as_operator(MaskedFFT(mask, inplace=True), shape=(1, 4, 4))  # clones keep it honest
    x = _rand((2, 1, 4, 4), 15)
    x0 = x.copy()
    op.apply(x)
    np.testing.assert_array_equal(x, x0)
    tx = torch.from_numpy(x)
    op.apply(tx)
    np.testing.assert_array_equal(tx.numpy(), x0)


def test_empty_batches_and_repr():
    op = as_operator(pylops.MatrixMult(np.eye(3)))
    assert op.apply(np.zeros((0, 3))).shape == (0, 3)
    assert op.apply(torch.zeros((0, 3), dtype=torch.float64)).shape == (0, 3)
    phys = as_operator(Blur([1.0], 3), shape=3)
    assert phys.apply(torch.zeros((0, 3), dtype=torch.float64)).shape == (0, 3)
    assert "ForeignOperator(MatrixMult" in repr(op) and "adjoint_error" in repr(op)


def test_scipy_sparse_matrices_and_huge_signals():
    import scipy.sparse as sp

    M = sp.random(6, 9, density=0.4, random_state=0, format="csr") + 1j * sp.eye(6, 9)
    op = as_operator(M)
    _check_against_dense(op, M.toarray())
    huge = spla.LinearOperator((2, 2 ** 40), matvec=lambda v: v[:2], rmatvec=lambda w: w, dtype=np.float64)
    with pytest.raises(InvalidArgument, match="too large"):
        as_operator(huge)
    with pytest.raises(InvalidArgument, match="too large"):
        as_operator(Blur([1.0], 3), shape=(2 ** 20, 2 ** 20))
