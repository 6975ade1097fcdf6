"""Sparsifying transforms ``W``: orthonormal wavelets via PyWavelets.

``Wavelet(shape)`` is the analysis operator ``W`` (signal → flat coefficient
vector of the same size); ``W.H`` is the synthesis ``W^* = W^{-1}``, so the
synthesis matrix of the programs is ``compose(A, W.H)`` (``A @ W.H``).

Theorem: none (the sparsifier ``W`` of the QCBP/LASSO programs and of the rNSP theorems).
Rigor: exact orthogonality up to the rounding of PyWavelets' filter coefficients
(about 1e-16 for ``haar``/``db*``; ``adjointness_error`` measures it).
"""

from __future__ import annotations

import math
import warnings
from functools import partial
from typing import Any, Callable, Sequence

import numpy as np
import pywt

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array, is_torch, lazy_torch, to_numpy
from theorycheck.numerics.validation import integer_arg
from theorycheck.problems.operators import LinearOperator, validated_shape

__all__ = ["Wavelet"]

_MODE = "periodization"


def _real_linear(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Apply a real-linear map to complex input through its real and imaginary parts."""
    if np.iscomplexobj(x):
        return f(np.ascontiguousarray(x.real)) + 1j * f(np.ascontiguousarray(x.imag))
    return f(np.asarray(x, dtype=np.float64))


def _torch_function() -> Any:
    torch = lazy_torch()

    class _NumpyLinear(torch.autograd.Function):  # type: ignore[name-defined]  # torch: a lazy local
        """Autograd wrapper of a real orthogonal map computed by numpy on the CPU.

        The backward of a real linear map ``A`` is ``A^T g`` (``A^H g`` with torch's
        complex convention, the same since ``A`` is real); it calls this Function
        again, so higher derivatives work too.
        """

        @staticmethod
        def forward(ctx: Any, x: Any, fwd: Callable, bwd: Callable) -> Any:
            ctx.maps = (fwd, bwd)
            out = fwd(to_numpy(x).astype(np.complex128 if x.is_complex() else np.float64))
            return torch.from_numpy(out).to(device=x.device, dtype=x.dtype)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            fwd, bwd = ctx.maps
            return _NumpyLinear.apply(g, bwd, fwd), None, None

    return _NumpyLinear


_FUNCTION: list = []


def _numpy_linear(x: Any, fwd: Callable, bwd: Callable) -> Any:
    if not _FUNCTION:
        _FUNCTION.append(_torch_function())
    return _FUNCTION[0].apply(x, fwd, bwd)


class Wavelet(LinearOperator):
    """Orthonormal discrete wavelet transform ``W`` (analysis) of 1D or 2D signals.

    ``apply`` maps a signal of shape ``shape`` to a flat coefficient vector of
    length ``prod(shape)`` with PyWavelets' ``wavedec``/``wavedec2`` in mode
    ``"periodization"`` (exactly orthogonal); ``adjoint`` is the synthesis
    ``W^* = W^{-1}``. Coefficient ordering: the coarsest approximation first,
    then the details from the coarsest level to the finest; in 2D each level's
    details are ``(horizontal, vertical, diagonal)`` as PyWavelets returns
    them, each flattened in C order. ``level_slices[j]`` is the ``(start,
    stop)`` range of level ``j`` (``j = 0`` the approximation, ``j = levels``
    the finest details). Complex signals are transformed in their real and
    imaginary parts. torch input runs PyWavelets on the CPU in float64 and
    returns a tensor of the input's dtype and device; autograd uses the
    synthesis as the backward.

    Parameters
    ----------
    shape : int or tuple of int
        Signal shape, 1D or 2D; every length divisible by ``2**levels``.
    wavelet : str or pywt.Wavelet
        An orthogonal wavelet (``haar``, ``db1``–``db38``, ``sym*``, ``coif*``).
    levels : int, optional
        Decomposition depth ``>= 1``. Default: the largest depth allowed by the
        divisibility of ``shape``, capped by ``pywt.dwt_max_level`` (at least 1).

    Attributes
    ----------
    levels : int
    level_slices : list of tuple of int
        ``levels + 1`` ranges in the flat coefficient vector.

    Theorem: none (the sparsifier ``W`` of the QCBP/LASSO programs).
    Rigor: orthogonal up to filter rounding; ``unitary`` is True.

    Examples
    --------
    >>> W = Wavelet(8, "haar", levels=2)
    >>> W.level_slices
    [(0, 2), (2, 4), (4, 8)]
    >>> x = np.arange(8.0)
    >>> bool(np.allclose(W.adjoint(W.apply(x)), x))
    True
    """

    dtype = np.dtype(np.float64)
    unitary = True

    def __init__(self, shape: int | Sequence[int], wavelet: str | pywt.Wavelet = "db4",
                 levels: int | None = None):
        self.in_shape = validated_shape(shape)
        N = math.prod(self.in_shape)
        self.out_shape = (N,)
        if not isinstance(wavelet, (str, pywt.Wavelet)):
            raise InvalidArgument(f"wavelet={wavelet!r}: pass a wavelet name such as 'haar' or 'db4' "
                                  "(see pywt.wavelist(kind='discrete')) or a pywt.Wavelet")
        try:
            self.wavelet = wavelet if isinstance(wavelet, pywt.Wavelet) else pywt.Wavelet(wavelet)
        except (ValueError, TypeError, AttributeError) as exc:
            raise InvalidArgument(
                f"unknown wavelet {wavelet!r}: pass a name from pywt.wavelist(kind='discrete')"
            ) from exc
        if not self.wavelet.orthogonal:
            raise InvalidArgument(
                f"wavelet {self.wavelet.name!r} is not orthogonal: use an orthogonal one "
                "(haar, db*, sym*, coif*) so that W^* = W^{-1}"
            )
        div = min((n & -n).bit_length() - 1 for n in self.in_shape)  # 2-adic valuation
        if levels is None:
            cap = max(1, min(pywt.dwt_max_level(n, self.wavelet.dec_len) for n in self.in_shape))
            levels = min(div, cap)
            if levels < 1:
                raise InvalidArgument(
                    f"shape {self.in_shape} has an odd length: every length must be even "
                    "(pad the signal)"
                )
        levels = integer_arg(levels, "levels")
        if levels > div:
            power = f" = {2 ** int(levels)}" if levels <= 64 else ""  # never build 2**(2**70)
            raise InvalidArgument(
                f"levels={levels} is too deep for shape {self.in_shape}: every length must be "
                f"divisible by 2**levels{power}; use levels <= {div} or pad the signal"
            )
        self.levels = int(levels)
        # detail keys per level, in PyWavelets' wavedec2 order (horizontal, vertical, diagonal)
        self._keys = ["d"] if len(self.in_shape) == 1 else ["da", "ad", "dd"]
        self._axes = tuple(range(-len(self.in_shape), 0))
        coarse = [n >> self.levels for n in self.in_shape]
        sizes = [math.prod(coarse)]
        for j in range(self.levels, 0, -1):
            sizes.append((2 ** len(self.in_shape) - 1) * math.prod(n >> j for n in self.in_shape))
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        self.level_slices: list[tuple[int, int]] = list(zip(bounds[:-1], bounds[1:]))

    # -- numpy kernels (real float64, batch on leading axes) ---------------------------
    def _analysis(self, x: np.ndarray) -> np.ndarray:
        batch = x.shape[: x.ndim - len(self.in_shape)]
        if x.size == 0:  # an empty batch (PyWavelets cannot reshape it)
            return np.zeros(batch + self.out_shape, dtype=x.dtype)
        with warnings.catch_warnings():  # periodization stays orthogonal at any depth
            warnings.simplefilter("ignore", UserWarning)
            c = pywt.wavedecn(x, self.wavelet, mode=_MODE, level=self.levels, axes=self._axes)
        parts = [c[0]] + [d[k] for d in c[1:] for k in self._keys]
        return np.concatenate([p.reshape(batch + (-1,)) for p in parts], axis=-1)

    def _synthesis(self, y: np.ndarray) -> np.ndarray:
        batch = y.shape[:-1]
        if y.size == 0:  # an empty batch
            return np.zeros(batch + self.in_shape, dtype=y.dtype)
        pieces = [y[..., a:b] for a, b in self.level_slices]
        coarse = tuple(n >> self.levels for n in self.in_shape)
        coeffs: list[Any] = [pieces[0].reshape(batch + coarse)]
        for j, piece in zip(range(self.levels, 0, -1), pieces[1:]):
            sub = batch + tuple(n >> j for n in self.in_shape)
            blocks = np.split(piece, len(self._keys), axis=-1)
            coeffs.append({k: b.reshape(sub) for k, b in zip(self._keys, blocks)})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return pywt.waverecn(coeffs, self.wavelet, mode=_MODE, axes=self._axes)

    def _run(self, x: Any, f: Callable, f_adjoint: Callable) -> Any:
        fwd, bwd = partial(_real_linear, f), partial(_real_linear, f_adjoint)
        return _numpy_linear(x, fwd, bwd) if is_torch(x) else fwd(x)

    def _apply(self, x: Any) -> Any:
        return self._run(x, self._analysis, self._synthesis)

    def _adjoint(self, y: Any) -> Any:
        return self._run(y, self._synthesis, self._analysis)

    def level_weights(self, weights_per_level: Sequence[float]) -> np.ndarray:
        """Per-coefficient weight vector from one weight per level.

        Parameters
        ----------
        weights_per_level : sequence of float
            ``levels + 1`` positive finite weights, in the order of
            ``level_slices`` (approximation first, finest details last).

        Returns
        -------
        numpy.ndarray
            Length ``prod(shape)``, float64: coefficient ``i`` in level ``j`` gets
            ``weights_per_level[j]``.

        Theorem: none (weights of the weighted ℓ¹ programs in levels).
        Rigor: exact.

        Examples
        --------
        >>> Wavelet(4, "haar", levels=1).level_weights([1.0, 2.0])
        array([1., 1., 2., 2.])
        """
        w = as_array(weights_per_level, "weights_per_level", ndim=1, allow_complex=False)
        if w.size != len(self.level_slices):
            raise InvalidArgument(
                f"weights_per_level has {w.size} entries: pass one per level, "
                f"{len(self.level_slices)} (approximation + {self.levels} detail levels)"
            )
        if not np.all(w > 0):
            raise InvalidArgument("weights_per_level must be positive")
        return np.repeat(w, [b - a for a, b in self.level_slices])

    def __repr__(self) -> str:
        return f"Wavelet(shape={self.in_shape}, wavelet={self.wavelet.name!r}, levels={self.levels})"
