"""Multi-coil MRI: ``A x = (P_mask F(S_c x))_c`` and smooth synthetic coil sensitivities.

A receiver array of ``C`` coils sees the image ``x`` weighted by each coil's complex
sensitivity map ``S_c``; each coil's k-space is sampled on the same mask. With
``SubsampledFourier(mask, centered=...)`` as ``P_mask F``,

* ``A x = (P_mask F(S_1 x), …, P_mask F(S_C x))``: measurements of shape ``(C, m)``, the
  ``m`` sampled k-space entries of each coil in the C order of ``mask`` (the layout of
  :class:`~theorycheck.problems.operators.SubsampledFourier`, one row per coil);
* ``A^* y = Σ_c conj(S_c) ⊙ F^*(P_mask^T y_c)``: the coil-combined zero-filled image;
* ``‖A‖ ≤ max_pixels sqrt(Σ_c |S_c|²)``, with equality for a full mask: ``‖A‖ ≤ 1`` for
  sensitivities normalised to ``Σ_c |S_c|² = 1`` (as :func:`synthetic_coil_sensitivities`
  returns them, and as ESPIRiT maps are inside the object).

Theorem: none (the multi-coil sampling operator of the instability theorem).
Rigor: exact adjoint up to float rounding; ``norm_upper_bound`` is a rigorous upper bound
on ``‖A‖`` (float64 rounding accounted for).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array, is_torch
from theorycheck.numerics.rounding import gamma, round_up
from theorycheck.numerics.validation import integer_arg, real_arg, refuse_size, seed_arg
from theorycheck.problems._operator_base import LinearOperator, torch_like, validated_shape
from theorycheck.problems.operators import SubsampledFourier

__all__ = ["MultiCoilFourier", "synthetic_coil_sensitivities", "validated_sensitivities"]

#: largest number of coils, and of sensitivity entries (coils × pixels), accepted
MAX_COILS = 1024
MAX_SENSITIVITY_ENTRIES = 2 ** 28


def validated_sensitivities(sensitivities: Any, image_shape: tuple[int, ...],
                            name: str = "sensitivities") -> np.ndarray:
    """Return coil sensitivities as a new read-only complex128 array ``(C, *image_shape)``, or raise.

    Refused with :class:`InvalidArgument`: non-numeric or non-finite entries, a shape
    other than ``(C, *image_shape)`` with ``1 ≤ C ≤ MAX_COILS``, maps that are zero
    everywhere.

    Theorem: none.
    Rigor: not applicable.
    """
    arr = as_array(sensitivities, name)
    core = tuple(int(n) for n in image_shape)
    if arr.ndim != len(core) + 1 or tuple(arr.shape[1:]) != core:
        hint = (f" (one coil: pass {name}[None], shape {(1,) + core})" if tuple(arr.shape) == core else "")
        raise InvalidArgument(f"{name} has shape {arr.shape} but the image shape is {core}: pass "
                              f"(n_coils, {', '.join(map(str, core))}){hint}")
    C = int(arr.shape[0])
    if C > MAX_COILS:
        raise InvalidArgument(f"{name} has {C} coils: at most {MAX_COILS} are accepted")
    refuse_size(float(arr.size), MAX_SENSITIVITY_ENTRIES, f"{C} sensitivity maps of shape {core} (entries)",
                "use fewer coils or a smaller image")
    if not bool(np.any(arr != 0)):
        raise InvalidArgument(f"{name} is zero everywhere: every coil would measure nothing")
    out = np.array(arr, dtype=np.complex128, copy=True)
    out.setflags(write=False)
    return out


class MultiCoilFourier(LinearOperator):
    """Multi-coil subsampled Fourier operator ``A x = (P_mask F(S_c x))_{c=1..C}``.

    Parameters
    ----------
    mask : array_like of bool, shape ``(n,)`` or ``(n1, n2)``
        The k-space sampling pattern shared by all coils, in the ordering chosen by
        ``centered`` (as for :class:`~theorycheck.problems.operators.SubsampledFourier`).
    sensitivities : array_like, shape ``(C, *mask.shape)``
        Complex coil sensitivity maps ``S_c`` (finite, not all zero); copied, kept
        read-only as ``sensitivities``.
    centered : bool
        Keyword only: fftshift-centred k-space and mask (fastMRI) instead of numpy's
        unshifted ordering.

    Notes
    -----
    Signals ``x`` have shape ``(*batch, *mask.shape)``; measurements ``(*batch, C, m)``
    with ``m = mask.sum()``: row ``c`` is ``SubsampledFourier(mask, centered=...)``
    applied to ``S_c x``. numpy or torch (any device, autograd, complex64 for float32
    input), any batch.

    Theorem: none (the multi-coil MRI sampling operator of the instability theorem).
    Rigor: exact adjoint ``A^* y = Σ_c conj(S_c) F^*(P^T y_c)`` up to float rounding.

    Examples
    --------
    >>> S = synthetic_coil_sensitivities((8, 8), 4, seed=0)
    >>> A = MultiCoilFourier(np.ones((8, 8), dtype=bool), S)
    >>> A.out_shape
    (4, 64)
    >>> x = np.random.default_rng(0).standard_normal((8, 8))
    >>> bool(np.allclose(A.adjoint(A.apply(x)), x))  # full mask, Σ|S_c|² = 1: A^*A = I
    True
    """

    dtype = np.dtype(np.complex128)

    def __init__(self, mask: Any, sensitivities: Any, *, centered: bool = False):
        self.fourier = SubsampledFourier(mask, centered=centered)
        self.mask = self.fourier.mask
        self.centered = self.fourier.centered
        self.sensitivities = validated_sensitivities(sensitivities, self.fourier.in_shape)
        self.n_coils = int(self.sensitivities.shape[0])
        self.in_shape = tuple(self.fourier.in_shape)
        self.out_shape = (self.n_coils,) + tuple(self.fourier.out_shape)
        power = np.sum(np.abs(self.sensitivities) ** 2, axis=0)
        self.unitary = bool(self.n_coils == 1 and self.fourier.unitary and np.all(power == 1.0))
        self._cache: dict = {}

    def _coil_axis(self) -> int:
        return -len(self.in_shape) - 1

    def _apply(self, x: Any) -> Any:
        axis = self._coil_axis()
        if is_torch(x):
            S, dtype = torch_like(self.sensitivities, x, self._cache)
            coils = x.to(dtype).unsqueeze(axis) * S
        else:
            coils = np.expand_dims(x, axis) * self.sensitivities
        return self.fourier._apply(coils)

    def _adjoint(self, y: Any) -> Any:
        images = self.fourier._adjoint(y)
        axis = self._coil_axis()
        if is_torch(images):
            S, dtype = torch_like(self.sensitivities, images, self._cache)
            return (images.to(dtype) * S.conj()).sum(dim=axis)
        return np.sum(images * self.sensitivities.conj(), axis=axis)

    def norm_upper_bound(self) -> float:
        """A rigorous upper bound on ``‖A‖``: ``max_pixels sqrt(Σ_c |S_c|²)``, rounded up.

        ``‖A x‖² = Σ_c ‖P F(S_c x)‖² ≤ Σ_c ‖S_c x‖² ≤ max Σ_c |S_c|² · ‖x‖²`` since
        ``P F`` is a contraction; equality for a full mask. The float64 sum of ``2C``
        squares is inflated by Higham's ``γ(2C + 1)`` and the square root rounded up.

        Theorem: none.
        Rigor: rigorous upper bound (float64 rounding accounted for).
        """
        S = self.sensitivities
        power = np.max(np.sum(S.real ** 2 + S.imag ** 2, axis=0))
        bound = float(round_up(float(power) * (1.0 + gamma(2 * self.n_coils + 1))))
        return float(round_up(math.sqrt(bound)))

    def __repr__(self) -> str:
        return (f"MultiCoilFourier(in_shape={self.in_shape}, coils={self.n_coils}, "
                f"samples={self.out_shape[1]}, centered={self.centered})")


def synthetic_coil_sensitivities(shape: int | Sequence[int], n_coils: int, *, width: float = 0.6,
                                 seed: Any = None) -> np.ndarray:
    """Smooth synthetic coil sensitivities ``(n_coils, *shape)``, normalised to ``Σ_c |S_c|² = 1``.

    Coil ``c`` sits at angle ``φ + 2πc/C`` on a circle of radius 1.2 around the image
    (coordinates scaled to ``[-1, 1]`` on each axis; in 1-D, alternately left and right);
    its map is a Gaussian bump ``exp(-|r - p_c|² / (2 width²))`` times a smooth phase
    ``exp(i(a_c · r + b_c))``. The maps are then divided by ``sqrt(Σ_c |S_c|²)``, so every
    pixel is seen with total power 1 and ``MultiCoilFourier`` has ``‖A‖ ≤ 1``.
    ``seed=None`` gives the deterministic layout ``φ = 0`` with phases ``b_c = 2πc/C``
    and ``a_c = 0``; a seed draws ``φ``, ``a_c ~ N(0, (π/2)²)`` per axis and ``b_c``.

    Parameters
    ----------
    shape : int or tuple of int
        Image shape ``(n,)`` or ``(n1, n2)``.
    n_coils : int
        Number of coils, ``1 ≤ n_coils ≤ 1024``.
    width : float
        Width of the bumps in the scaled coordinates (``0.05 ≤ width ≤ 100``).
    seed : int or numpy.random.Generator, optional
        Seed of the layout and phases.

    Returns
    -------
    numpy.ndarray of complex128, shape ``(n_coils, *shape)``

    Theorem: none (test data for multi-coil MRI).
    Rigor: not applicable.

    Examples
    --------
    >>> S = synthetic_coil_sensitivities((16, 16), 8, seed=0)
    >>> S.shape, bool(np.allclose(np.sum(np.abs(S) ** 2, axis=0), 1.0))
    ((8, 16, 16), True)
    """
    dims = validated_shape(shape)
    C = integer_arg(n_coils, "n_coils", maximum=MAX_COILS)
    width = real_arg(width, "width")
    if not 0.05 <= width <= 100.0:
        raise InvalidArgument(f"width={width!r}: pass a number in [0.05, 100] (the scaled image spans [-1, 1])")
    refuse_size(float(C) * math.prod(dims), MAX_SENSITIVITY_ENTRIES,
                f"{C} sensitivity maps of shape {dims} (entries)", "use fewer coils or a smaller image")
    grids = np.meshgrid(*[np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1) for n in dims], indexing="ij")
    random = seed is not None
    rng = seed_arg(seed)
    phi = float(rng.uniform(0.0, 2.0 * math.pi)) if random else 0.0
    logs = np.empty((C,) + dims)
    phases = np.empty((C,) + dims)
    for c in range(C):
        angle = phi + 2.0 * math.pi * c / C
        centre = [1.2 * math.cos(angle), 1.2 * math.sin(angle)] if len(dims) == 2 else [1.2 * (-1) ** c]
        dist2 = sum((g - p) ** 2 for g, p in zip(grids, centre))
        slope = rng.normal(0.0, math.pi / 2, size=len(dims)) if random else np.zeros(len(dims))
        offset = float(rng.uniform(0.0, 2.0 * math.pi)) if random else 2.0 * math.pi * c / C
        phase = offset + sum(a * g for a, g in zip(slope, grids))
        logs[c] = -dist2 / (2.0 * width ** 2)
        phases[c] = phase
    # normalise in the log domain: the strongest coil of each pixel has magnitude ≥ 1/sqrt(C), no underflow
    logs -= logs.max(axis=0)
    logs -= 0.5 * np.log(np.sum(np.exp(2.0 * logs), axis=0))
    return np.exp(logs) * np.exp(1j * phases)
