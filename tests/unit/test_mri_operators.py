"""Centred (fastMRI) Fourier sampling and multi-coil MRI, against independent references.

References: the centred DFT written out entry by entry (frequencies and positions counted
from ``n // 2``), numpy.fft with explicit ``fftshift``/``ifftshift``, fastMRI's ``fft2c``
written with ``torch.roll`` as fastMRI does, and dense matrices built coil by coil. The
generic contract (adjointness, batches, torch, autograd, bad inputs) of these operators
runs in test_operators.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from theorycheck.errors import InvalidArgument
from theorycheck.problems.masks import equispaced_line_mask, random_line_mask, uniform_random_mask
from theorycheck.problems.mri import MultiCoilFourier, synthetic_coil_sensitivities
from theorycheck.problems.operators import SubsampledFourier

SHAPES_1D = [(1,), (2,), (5,), (6,), (9,)]
SHAPES_2D = [(1, 1), (4, 6), (5, 7), (6, 5), (3, 8)]


def _centred_dft(n: int) -> np.ndarray:
    """``F_c[k, j] = exp(-2πi (k − h)(j − h) / n) / sqrt(n)``, ``h = n // 2``: the DFT with zero
    frequency and image origin both at index ``n // 2`` (written out, no FFT)."""
    h = n // 2
    k = np.arange(n)[:, None] - h
    j = np.arange(n)[None, :] - h
    return np.exp(-2j * np.pi * k * j / n) / math.sqrt(n)


def _centred_dft_nd(shape: tuple[int, ...]) -> np.ndarray:
    M = np.ones((1, 1))
    for n in shape:
        M = np.kron(M, _centred_dft(n))
    return M


def _rand(shape, seed, complex_=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if complex_ else x


def _fastmri_fft2c(x: torch.Tensor) -> torch.Tensor:
    """fastMRI's fft2c on a complex tensor: roll by (n + 1)//2 (ifftshift), fftn, roll by n//2."""
    dims = (-2, -1)
    x = torch.roll(x, shifts=[(x.shape[d] + 1) // 2 for d in dims], dims=dims)
    x = torch.fft.fftn(x, dim=dims, norm="ortho")
    return torch.roll(x, shifts=[x.shape[d] // 2 for d in dims], dims=dims)


def _fastmri_ifft2c(y: torch.Tensor) -> torch.Tensor:
    dims = (-2, -1)
    y = torch.roll(y, shifts=[(y.shape[d] + 1) // 2 for d in dims], dims=dims)
    y = torch.fft.ifftn(y, dim=dims, norm="ortho")
    return torch.roll(y, shifts=[y.shape[d] // 2 for d in dims], dims=dims)


# -- SubsampledFourier(centered=True) ------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES_1D + SHAPES_2D)
def test_centred_fourier_is_the_centred_dft_matrix(shape):
    A = SubsampledFourier(np.ones(shape, dtype=bool), centered=True)
    F = _centred_dft_nd(shape)
    np.testing.assert_allclose(A.to_dense(), F, atol=1e-13)
    np.testing.assert_allclose(F @ F.conj().T, np.eye(F.shape[0]), atol=1e-13)  # orthonormal
    assert A.unitary and A.norm() == pytest.approx(1.0, rel=1e-13)


@pytest.mark.parametrize("shape", SHAPES_2D[1:] + SHAPES_1D[2:])
def test_centred_fourier_is_numpy_fft_with_explicit_shifts(shape):
    mask = uniform_random_mask(shape, 0.5, seed=sum(shape))
    A = SubsampledFourier(mask, centered=True)
    x = _rand((3,) + shape, 1)
    axes = tuple(range(-len(shape), 0))
    K = np.fft.fftshift(np.fft.fftn(np.fft.ifftshift(x, axes=axes), axes=axes, norm="ortho"), axes=axes)
    y = A.apply(x)
    np.testing.assert_allclose(y, K.reshape(3, -1)[:, np.flatnonzero(mask)], atol=1e-13)
    # adjoint: zero-fill the sampled entries, then the centred inverse
    Z = np.zeros((3,) + shape, dtype=complex)
    Z[(slice(None),) + np.nonzero(mask)] = y
    back = np.fft.fftshift(np.fft.ifftn(np.fft.ifftshift(Z, axes=axes), axes=axes, norm="ortho"), axes=axes)
    np.testing.assert_allclose(A.adjoint(y), back, atol=1e-13)


@pytest.mark.parametrize("shape", [(8, 8), (7, 9), (6, 5)])
def test_centred_fourier_is_fastmri_fft2c(shape):
    mask = random_line_mask(shape, 2, 0.25, seed=3)
    A = SubsampledFourier(mask, centered=True)
    x = torch.from_numpy(_rand((2,) + shape, 4))
    K = _fastmri_fft2c(x)
    y = A.apply(x)
    np.testing.assert_allclose(y.numpy(), K.reshape(2, -1)[:, np.flatnonzero(mask)].numpy(), atol=1e-13)
    zero_filled = torch.where(torch.from_numpy(np.array(mask)), K, torch.zeros_like(K))
    np.testing.assert_allclose(A.adjoint(y).numpy(), _fastmri_ifft2c(zero_filled).numpy(), atol=1e-13)


def test_unshifted_fourier_is_unchanged_bit_for_bit():
    """centered=False (the default) is numpy's fftn/ifftn exactly, as before the option existed."""
    for shape in [(16,), (8, 8), (5, 7)]:
        mask = uniform_random_mask(shape, 0.4, seed=5)
        idx = np.flatnonzero(mask)
        x = _rand((2,) + shape, 6)
        axes = tuple(range(-len(shape), 0))
        for A in (SubsampledFourier(mask), SubsampledFourier(mask, centered=False)):
            assert not A.centered
            np.testing.assert_array_equal(A.apply(x), np.fft.fftn(x, axes=axes, norm="ortho").reshape(2, -1)[:, idx])
            y = A.apply(x)
            Z = np.zeros((2, x[0].size), dtype=complex)
            Z[:, idx] = y
            np.testing.assert_array_equal(A.adjoint(y), np.fft.ifftn(Z.reshape(x.shape), axes=axes, norm="ortho"))
            tx = torch.from_numpy(x)
            np.testing.assert_array_equal(A.apply(tx).numpy(),
                                          torch.fft.fftn(tx, dim=axes, norm="ortho").reshape(2, -1)[:, idx].numpy())


@pytest.mark.parametrize("shape", [(8, 8), (7, 9), (6, 5), (9,)])
def test_centred_and_ifftshifted_masks_give_the_same_zero_filled_images(shape):
    """A centred mask M_c and ifftshift(M_c) sample the same frequencies: A^*A agree (circulant)."""
    mask_c = uniform_random_mask(shape, 0.4, seed=7)
    Ac = SubsampledFourier(mask_c, centered=True)
    Au = SubsampledFourier(np.fft.ifftshift(mask_c))
    x = _rand((2,) + shape, 8)
    np.testing.assert_allclose(Ac.adjoint(Ac.apply(x)), Au.adjoint(Au.apply(x)), atol=1e-13)
    # the measurements have the same norms but differ in order and phase
    np.testing.assert_allclose(np.linalg.norm(Ac.apply(x), axis=-1), np.linalg.norm(Au.apply(x), axis=-1),
                               rtol=1e-13)


def test_centred_fourier_places_the_zero_frequency_at_n_over_2():
    for shape in [(8, 8), (7, 9)]:
        x = np.ones(shape)
        K = SubsampledFourier(np.ones(shape, dtype=bool), centered=True).apply(x).reshape(shape)
        expected = np.zeros(shape)
        expected[shape[0] // 2, shape[1] // 2] = math.sqrt(x.size)
        np.testing.assert_allclose(K, expected, atol=1e-12)


def test_centred_fourier_torch_float32_and_autograd():
    mask = equispaced_line_mask((8, 6), 2, 0.25)
    A = SubsampledFourier(mask, centered=True)
    x = _rand((3, 8, 6), 9, complex_=False)
    y32 = A.apply(torch.from_numpy(x).float())
    assert y32.dtype == torch.complex64
    np.testing.assert_allclose(y32.numpy(), A.apply(x), atol=1e-5)
    xt = torch.from_numpy(x).requires_grad_(True)
    (A.apply(xt).abs() ** 2).sum().backward()
    # d/dx ‖A x‖² = 2 Re(A^* A x) for real x
    np.testing.assert_allclose(xt.grad.numpy(), 2 * np.real(A.adjoint(A.apply(x))), atol=1e-12)


@pytest.mark.parametrize("bad", [1, "yes", None, np.array([True])])
def test_centered_must_be_a_bool(bad):
    with pytest.raises(InvalidArgument, match="centered"):
        SubsampledFourier(np.ones(4, dtype=bool), centered=bad)


def test_centered_is_keyword_only_and_shown():
    with pytest.raises(TypeError):
        SubsampledFourier(np.ones(4, dtype=bool), True)  # type: ignore[misc]
    assert "centered=True" in repr(SubsampledFourier(np.ones(4, dtype=bool), centered=True))
    assert "centered" not in repr(SubsampledFourier(np.ones(4, dtype=bool)))


# -- MultiCoilFourier -------------------------------------------------------------------------
def _dense_multicoil(mask: np.ndarray, S: np.ndarray, centered: bool) -> np.ndarray:
    """Rows of coil c: P F diag(S_c), F the (centred or unshifted) DFT matrix; coils stacked."""
    shape = mask.shape
    if centered:
        F = _centred_dft_nd(shape)
    else:
        F = np.ones((1, 1))
        for n in shape:
            F = np.kron(F, np.exp(-2j * np.pi * np.outer(np.arange(n), np.arange(n)) / n) / math.sqrt(n))
    P = F[np.flatnonzero(mask)]
    return np.vstack([P @ np.diag(S[c].ravel()) for c in range(S.shape[0])])


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("shape,coils", [((6, 5), 3), ((4, 8), 1), ((7,), 4)])
def test_multicoil_is_the_stacked_coil_matrix(shape, coils, centered):
    mask = uniform_random_mask(shape, 0.5, seed=10)
    S = _rand((coils,) + shape, 11)
    A = MultiCoilFourier(mask, S, centered=centered)
    M = _dense_multicoil(mask, S, centered)
    assert A.out_shape == (coils, int(mask.sum())) and A.in_shape == shape
    np.testing.assert_allclose(A.to_dense(), M, atol=1e-12)
    x = _rand((2,) + shape, 12)
    y = _rand((2, coils, int(mask.sum())), 13)
    np.testing.assert_allclose(A.apply(x).reshape(2, -1), x.reshape(2, -1) @ M.T, atol=1e-12)
    np.testing.assert_allclose(A.adjoint(y).reshape(2, -1), y.reshape(2, -1) @ M.conj(), atol=1e-12)
    # row c of the measurements is the single-coil operator applied to S_c x
    single = SubsampledFourier(mask, centered=centered)
    for c in range(coils):
        np.testing.assert_allclose(A.apply(x)[:, c], single.apply(S[c] * x), atol=1e-12)


def test_multicoil_norm_and_its_bound():
    shape = (6, 6)
    S = synthetic_coil_sensitivities(shape, 4, seed=0)
    for mask in (np.ones(shape, dtype=bool), uniform_random_mask(shape, 0.4, seed=1)):
        A = MultiCoilFourier(mask, S)
        svd = np.linalg.svd(_dense_multicoil(mask, S, False), compute_uv=False)[0]
        assert A.norm() == pytest.approx(svd, rel=1e-12)
        assert svd <= A.norm_upper_bound() <= 1.0 + 1e-12  # normalised maps: ‖A‖ ≤ 1 (to rounding)
    # full mask: ‖A‖ = max sqrt(Σ|S_c|²) exactly (A^*A = diag(Σ|S_c|²))
    S2 = _rand((3,) + shape, 2)
    A = MultiCoilFourier(np.ones(shape, dtype=bool), S2)
    exact = math.sqrt(np.max(np.sum(np.abs(S2) ** 2, axis=0)))
    assert A.norm() == pytest.approx(exact, rel=1e-12)
    assert exact <= A.norm_upper_bound() <= exact * (1 + 1e-14)
    x = _rand(shape, 3)
    np.testing.assert_allclose(A.adjoint(A.apply(x)), np.sum(np.abs(S2) ** 2, axis=0) * x, atol=1e-12)


def test_multicoil_full_mask_with_normalised_maps_is_an_isometry():
    S = synthetic_coil_sensitivities((8, 8), 6, seed=4)
    A = MultiCoilFourier(np.ones((8, 8), dtype=bool), S, centered=True)
    x = _rand((2, 8, 8), 5)
    np.testing.assert_allclose(A.adjoint(A.apply(x)), x, atol=1e-12)
    assert not A.unitary  # 6 coils: A A^* ≠ I
    one = MultiCoilFourier(np.ones((4, 4), dtype=bool), np.ones((1, 4, 4)))
    assert one.unitary


def test_multicoil_torch_batched_autograd_and_precision():
    mask = random_line_mask((8, 8), 2, 0.25, seed=6)
    S = synthetic_coil_sensitivities((8, 8), 3, seed=7)
    A = MultiCoilFourier(mask, S, centered=True)
    x = _rand((2, 3, 8, 8), 8)
    tx = torch.from_numpy(x)
    np.testing.assert_allclose(A.apply(tx).numpy(), A.apply(x), atol=1e-12)
    assert A.apply(tx).shape == (2, 3, 3, int(mask.sum()))
    y32 = A.apply(tx.to(torch.complex64))
    assert y32.dtype == torch.complex64
    np.testing.assert_allclose(y32.numpy(), A.apply(x), atol=1e-4)
    xr = torch.from_numpy(np.real(x[0, 0])).requires_grad_(True)
    (A.apply(xr).abs() ** 2).sum().backward()
    np.testing.assert_allclose(xr.grad.numpy(), 2 * np.real(A.adjoint(A.apply(np.real(x[0, 0])))), atol=1e-12)


@pytest.mark.parametrize("sens,match", [
    (np.ones((8, 8)), r"\[None\]"),
    (np.ones((2, 8, 7)), "image shape"),
    (np.zeros((2, 8, 8)), "zero everywhere"),
    (np.full((2, 8, 8), np.nan), "NaN|finite|inf"),
    ("maps", "string|numbers"),
    (None, "None"),
    (np.ones((2000, 1, 1)), "image shape"),
])
def test_multicoil_refuses_bad_sensitivities(sens, match):
    with pytest.raises(InvalidArgument, match=match):
        MultiCoilFourier(np.ones((8, 8), dtype=bool), sens)


def test_multicoil_refuses_too_many_coils_and_copies_its_inputs():
    with pytest.raises(InvalidArgument, match="coils"):
        MultiCoilFourier(np.ones((1, 1), dtype=bool), np.ones((2000, 1, 1)))
    S = _rand((2, 4, 4), 9)
    S0 = S.copy()
    A = MultiCoilFourier(np.ones((4, 4), dtype=bool), S)
    S[:] = 0
    np.testing.assert_array_equal(A.sensitivities, S0)
    assert not A.sensitivities.flags.writeable


# -- synthetic sensitivities ------------------------------------------------------------------
@pytest.mark.parametrize("shape,coils", [((16, 16), 8), ((5, 9), 1), ((12,), 3), ((64, 64), 16)])
def test_synthetic_sensitivities_are_normalised_smooth_and_seeded(shape, coils):
    S = synthetic_coil_sensitivities(shape, coils, seed=0)
    assert S.shape == (coils,) + shape and S.dtype == np.complex128
    np.testing.assert_allclose(np.sum(np.abs(S) ** 2, axis=0), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(S, synthetic_coil_sensitivities(shape, coils, seed=0))
    if coils > 1:
        assert not np.allclose(S, synthetic_coil_sensitivities(shape, coils, seed=1))
    # smooth: neighbouring pixels differ by much less than the maps' magnitude
    for ax in range(1, S.ndim):
        if S.shape[ax] >= 12:
            assert np.max(np.abs(np.diff(S, axis=ax))) < 0.5
    np.testing.assert_array_equal(synthetic_coil_sensitivities(shape, coils),
                                  synthetic_coil_sensitivities(shape, coils))  # seed=None: deterministic layout


def test_synthetic_sensitivities_survive_narrow_bumps():
    S = synthetic_coil_sensitivities((32, 32), 1, width=0.05)
    np.testing.assert_allclose(np.abs(S), 1.0, rtol=1e-12)  # one coil: normalised to magnitude 1
    S = synthetic_coil_sensitivities((32, 32), 4, width=0.05)
    assert np.all(np.isfinite(S))
    np.testing.assert_allclose(np.sum(np.abs(S) ** 2, axis=0), 1.0, rtol=1e-12)


@pytest.mark.parametrize("kwargs", [
    {"shape": (4, 4), "n_coils": 0}, {"shape": (4, 4), "n_coils": 2.0}, {"shape": (4, 4), "n_coils": 10 ** 6},
    {"shape": (4, 4, 4), "n_coils": 2}, {"shape": (4, 4), "n_coils": 2, "width": 0.0},
    {"shape": (4, 4), "n_coils": 2, "width": float("nan")}, {"shape": (4, 4), "n_coils": 2, "width": 1e9},
    {"shape": (4, 4), "n_coils": 2, "seed": -1}, {"shape": (2 ** 15, 2 ** 15), "n_coils": 1024},
])
def test_synthetic_sensitivities_refuse_bad_arguments(kwargs):
    with pytest.raises(InvalidArgument):
        synthetic_coil_sensitivities(**kwargs)


# -- code written for the unshifted transform does not mistake a centred one for it ----------
def test_centred_operators_are_a_distinct_type_and_copy_cleanly():
    import copy
    import pickle

    from theorycheck.problems.operators import CenteredSubsampledFourier

    mask = uniform_random_mask((6, 6), 0.5, seed=1)
    Ac = SubsampledFourier(mask, centered=True)
    assert isinstance(Ac, SubsampledFourier) and type(Ac) is CenteredSubsampledFourier
    assert type(SubsampledFourier(mask)) is SubsampledFourier
    assert type(SubsampledFourier(mask, centered=np.bool_(True))) is CenteredSubsampledFourier
    x = _rand(mask.shape, 2)
    for twin in (copy.deepcopy(Ac), pickle.loads(pickle.dumps(Ac)), CenteredSubsampledFourier(mask)):
        assert type(twin) is CenteredSubsampledFourier and twin.centered
        np.testing.assert_array_equal(twin.apply(x), Ac.apply(x))
    with pytest.raises(InvalidArgument, match="always centred"):
        CenteredSubsampledFourier(mask, centered=False)


def test_rigorous_enclosures_contain_the_centred_transform_and_refuse_subclasses():
    pytest.importorskip("flint")
    from theorycheck.errors import PreconditionError
    from theorycheck.nets.enclosure import enclose_operator

    mask = uniform_random_mask((4, 4), 0.5, seed=3)
    x = _rand((4, 4), 4, complex_=False)
    for op in (SubsampledFourier(mask), SubsampledFourier(mask, centered=True)):
        enc = enclose_operator(op, x)
        y = op.apply(x)  # float64 FFT: within rounding of the exact value, so near the enclosure
        assert enc.shape == y.shape
        assert np.max(np.abs(enc.center.numpy() - y)) < 1e-12 and enc.max_radius < 1e-12
    with pytest.raises(PreconditionError, match="shifted ordering"):
        _ = SubsampledFourier(mask, centered=True)._idx

    class Mine(SubsampledFourier):  # a user's subclass keeps its type, and is refused all the same
        pass

    mine = Mine(mask, centered=True)
    assert type(mine) is Mine and mine.centered
    with pytest.raises(PreconditionError, match="centred"):
        enclose_operator(mine, x)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_centred_and_multicoil_operators_on_cuda_match_the_cpu():
    mask = random_line_mask((16, 16), 4, 0.125, seed=0)
    S = synthetic_coil_sensitivities((16, 16), 4, seed=1)
    x = torch.from_numpy(_rand((2, 16, 16), 2))
    for A in (SubsampledFourier(mask, centered=True), MultiCoilFourier(mask, S, centered=True)):
        for dtype, tol in ((torch.complex128, 1e-12), (torch.complex64, 1e-4)):
            y = A.apply(x.to(device="cuda", dtype=dtype))
            assert y.device.type == "cuda" and y.dtype == dtype
            np.testing.assert_allclose(y.cpu().numpy(), A.apply(x.numpy()), atol=tol)
            back = A.adjoint(y)
            assert back.device.type == "cuda"
            np.testing.assert_allclose(back.cpu().numpy(), A.adjoint(A.apply(x.numpy())), atol=tol)
