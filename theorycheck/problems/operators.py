"""Linear operators ``A: C^N -> C^m`` with exact adjoints, for numpy and torch.

Every operator maps signals of shape ``in_shape`` to measurements of shape
``out_shape`` and accepts a leading batch dimension (any number of leading
axes). numpy input gives numpy output; torch input gives torch output on the
same device, differentiable through autograd (complex included).
``shape`` is ``(m, N)`` with ``m = prod(out_shape)``, ``N = prod(in_shape)``
and ``to_dense()`` is the ``m × N`` matrix acting on flattened (C-order) signals.

The base classes live in :mod:`theorycheck.problems._operator_base` and the
wrappers of other libraries' operators in :mod:`theorycheck.problems.interop`;
this module re-exports them with the subsampled transforms and
:func:`as_operator`. Multi-coil MRI is in :mod:`theorycheck.problems.mri`.

Theorem: none (the operators are the ``A`` and ``W`` of every theorem).
Rigor: adjoints are exact up to floating-point rounding;
``adjointness_error`` measures it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.fft
import scipy.sparse
import scipy.sparse.linalg

from theorycheck.errors import InvalidArgument, PreconditionError
from theorycheck.numerics.backend import is_torch, lazy_torch
from theorycheck.numerics.validation import bool_arg
from theorycheck.problems._operator_base import MAX_DENSE_ENTRIES as MAX_DENSE_ENTRIES
from theorycheck.problems._operator_base import MAX_ITERATIONS as MAX_ITERATIONS
from theorycheck.problems._operator_base import MAX_LENGTH as MAX_LENGTH
from theorycheck.problems._operator_base import MAX_SVD_FLOPS as MAX_SVD_FLOPS
from theorycheck.problems._operator_base import MAX_VECTOR_ENTRIES as MAX_VECTOR_ENTRIES
from theorycheck.problems._operator_base import (
    AdjointOperator,
    ComposedOperator,
    LinearOperator,
    MatrixOperator,
    ReshapedMatrixOperator,
    batch_shape,
    prod,
    torch_like,
    validated_shape,
)
from theorycheck.problems._operator_base import validated_mask as validated_mask
from theorycheck.problems.interop import DEFAULT_ADJOINT_TOL, ForeignOperator, is_foreign_operator

__all__ = [
    "LinearOperator",
    "MatrixOperator",
    "ReshapedMatrixOperator",
    "ComposedOperator",
    "AdjointOperator",
    "ForeignOperator",
    "as_operator",
    "compose",
    "SubsampledFourier",
    "CenteredSubsampledFourier",
    "SubsampledDCT",
    "SubsampledWalshHadamard",
]

def compose(outer: LinearOperator, inner: LinearOperator) -> LinearOperator:
    """Return ``outer ∘ inner``; ``compose(A, W.H)`` is the synthesis matrix ``A W^*``.

    Theorem: none.
    Rigor: exact.
    """
    return ComposedOperator(as_operator(outer), as_operator(inner))


def as_operator(A: Any, *, shape: Any = None, adjoint_tol: float = DEFAULT_ADJOINT_TOL, trials: int = 3,
                seed: int = 0) -> LinearOperator:
    """Return ``A`` as a theorycheck :class:`LinearOperator`, refusing inexact adjoints.

    Accepted:

    * a theorycheck :class:`LinearOperator`: returned as is;
    * an object with ``matvec``, ``rmatvec`` and ``shape`` — a
      ``scipy.sparse.linalg.LinearOperator`` or a ``pylops`` operator (``rmatvec`` is
      its adjoint ``A^H``);
    * an object with methods ``A(x)`` and ``A_adjoint(y)`` on torch tensors with a
      leading batch axis — the ``deepinv`` physics protocol (``LinearPhysics``);
    * anything else is read as a matrix (numpy array, list, torch tensor):
      ``MatrixOperator(A)``, whose adjoint ``conj(A)^T`` is exact by construction.

    Operators of other libraries are wrapped in a :class:`ForeignOperator` after
    their adjoint has been measured: ``trials`` seeded random pairs ``(x, y)``
    (complex when the operator is) give the relative error
    ``|⟨Ax, y⟩ − ⟨x, A^*y⟩| / (‖x‖‖A^*y‖ + ‖Ax‖‖y‖)`` and a linearity error; when
    either exceeds ``adjoint_tol`` (or is NaN) the operator is refused with
    :class:`InvalidArgument` stating the measured error and the tolerance.

    Parameters
    ----------
    A : LinearOperator, scipy/pylops operator, deepinv-style physics, or array_like
        The operator.
    shape : int or tuple of int, optional
        The signal shape ``in_shape`` without batch axes. Required for the deepinv
        protocol (e.g. ``(1, 64, 64)`` for images ``(B, 1, 64, 64)``); for
        scipy/pylops operators the default is pylops' ``dims`` or ``(N,)``, and the
        measurement shape is pylops' ``dimsd`` or ``(m,)``. For a theorycheck
        operator or a matrix it must equal the signal shape when given.
    adjoint_tol : float
        Largest accepted relative adjointness (and linearity) error, in ``(0, 1)``
        (default ``1e-10``; float64 rounding gives about ``1e-16``).
    trials : int
        Number of random pairs (``1 ≤ trials ≤ 1000``).
    seed : int
        Seed of the random pairs.

    Returns
    -------
    LinearOperator

    Theorem: none (every theorem needs the exact adjoint ``A^*`` of its ``A``).
    Rigor: numerical (the adjoint of a foreign operator is measured on random
    pairs, not proven; theorycheck's own operators are exact up to rounding).

    Examples
    --------
    >>> import scipy.sparse.linalg as spla
    >>> M = np.array([[1.0, 2.0], [0.0, 1.0]])
    >>> op = as_operator(spla.aslinearoperator(M))
    >>> op.apply(np.array([1.0, 1.0]))
    array([3., 1.])
    >>> op.adjoint_error < 1e-15
    True
    """
    if scipy.sparse.issparse(A):  # applied sparsely, admitted like every foreign operator
        A = scipy.sparse.linalg.aslinearoperator(A)
    if isinstance(A, LinearOperator) or not is_foreign_operator(A):
        op = A if isinstance(A, LinearOperator) else MatrixOperator(A)
        if shape is not None and validated_shape(shape, ndims=tuple(range(1, 9))) != tuple(op.in_shape):
            raise InvalidArgument(
                f"shape={shape!r} but the operator acts on signals of shape {tuple(op.in_shape)}: "
                "drop shape= (it is needed only for operators of other libraries)")
        return op
    return ForeignOperator(A, shape=shape, adjoint_tol=adjoint_tol, trials=trials, seed=seed)


# -- subsampled unitary transforms ------------------------------------------------------
class _SubsampledTransform(LinearOperator):
    """``A = P_mask T`` for a unitary transform ``T`` acting on the last 1 or 2 axes.

    Subclasses implement ``_transform`` (``T``) and ``_inverse`` (``T^{-1} = T^*``) for
    numpy and torch input; this class does the sampling (C-order of ``mask``) and the
    zero-filling adjoint ``A^* y = T^* P_mask^T y``.

    Theorem: none.
    Rigor: exact adjoint (``T`` unitary).
    """

    def __init__(self, mask: Any):
        self.mask = validated_mask(mask)
        self._refuse_shape(self.mask.shape)
        self.in_shape = tuple(int(n) for n in self.mask.shape)
        self._samples = np.flatnonzero(self.mask)
        self.out_shape = (int(self._samples.size),)
        self._axes = tuple(range(-len(self.in_shape), 0))
        self.unitary = bool(self.mask.all())
        self._tidx: dict = {}

    def _refuse_shape(self, shape: tuple[int, ...]) -> None:
        """Hook: raise :class:`InvalidArgument` for signal shapes the transform rejects."""

    @property
    def _idx(self) -> np.ndarray:
        """The sampled flat indices, for the rigorous enclosures of ``nets`` (which read ``op._idx``)."""
        return self._samples

    def _transform(self, x: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _inverse(self, y: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _index(self, x: Any) -> Any:
        if not is_torch(x):
            return self._samples
        key = str(x.device)
        if key not in self._tidx:
            self._tidx[key] = lazy_torch().as_tensor(self._samples, device=x.device)
        return self._tidx[key]

    def _apply(self, x: Any) -> Any:
        X = self._transform(x)
        N = prod(self.in_shape)
        return X.reshape(batch_shape(X, len(self.in_shape)) + (N,))[..., self._index(X)]

    def _adjoint(self, y: Any) -> Any:
        full = batch_shape(y, 1) + (prod(self.in_shape),)
        z = y.new_zeros(full) if is_torch(y) else np.zeros(full, dtype=y.dtype)
        z[..., self._index(y)] = y
        return self._inverse(z.reshape(batch_shape(y, 1) + self.in_shape))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(in_shape={self.in_shape}, samples={self.out_shape[0]}, "
                f"fraction={self.out_shape[0] / prod(self.in_shape):.3g})")


class SubsampledFourier(_SubsampledTransform):
    """Subsampled unitary discrete Fourier transform ``A = P_mask F`` (1D or 2D).

    ``F`` is the orthonormal DFT over the last one or two axes and ``P_mask``
    keeps the entries where ``mask`` is True, in C order; ``A^* y`` zero-fills and
    applies ``F^{-1} = F^*``. Two orderings of k-space:

    * ``centered=False`` (default): ``F x = numpy.fft.fftn(x, norm="ortho")``, the
      *unshifted* ordering of numpy: the zero frequency is at index 0 and the low
      frequencies sit at the corners of the mask.
    * ``centered=True``: the fastMRI convention (``fastmri.fft2c``),
      ``F x = fftshift(fftn(ifftshift(x), norm="ortho"))`` with the shifts over the
      transformed axes: the zero frequency is at index ``n // 2`` of each axis (the
      centre of k-space, as scanners and fastMRI store it), and the image origin at
      pixel ``n // 2`` too. ``A^* y = fftshift(ifftn(ifftshift(M ⊙ y)))`` is fastMRI's
      ``ifft2c`` of the zero-filled k-space.

    Both are unitary. A centred mask ``M_c`` and the unshifted mask
    ``numpy.fft.ifftshift(M_c)`` sample the same frequencies and give the same
    zero-filled images ``A^* A x``; the measurement vectors differ in order and by
    unimodular phases (for even lengths the signs ``(-1)^(k1 + k2 - n1/2 - n2/2)`` at
    the centred index ``(k1, k2)``).

    Parameters
    ----------
    mask : array_like of bool, shape ``(n,)`` or ``(n1, n2)``
        Sampling pattern in the ordering chosen by ``centered`` (see
        :mod:`theorycheck.problems.masks`); copied, kept read-only as ``mask``.
    centered : bool
        Keyword only: fftshift-centred k-space and mask (fastMRI) instead of
        numpy's unshifted ordering.

    Theorem: none (the MRI sampling operator of the instability and rNSP theorems).
    Rigor: exact adjoint up to float rounding; ``unitary`` only for a full mask.

    Examples
    --------
    >>> A = SubsampledFourier(np.array([True, False, True, False]))
    >>> A.shape
    (2, 4)
    >>> np.round(A.apply(np.array([1.0, 0.0, 0.0, 0.0])), 3)
    array([0.5+0.j, 0.5+0.j])
    >>> Ac = SubsampledFourier(np.array([False, False, True, False]), centered=True)
    >>> np.round(Ac.apply(np.array([0.0, 0.0, 1.0, 0.0])), 3)  # the image origin is pixel n // 2
    array([0.5+0.j])
    """

    dtype = np.dtype(np.complex128)

    def __new__(cls, *args: Any, centered: Any = False, **kwargs: Any) -> "SubsampledFourier":
        # centred operators are instances of a subclass: code that recognises the unshifted
        # transform by its exact type (saved operator records) must not take them for it
        if cls is SubsampledFourier and isinstance(centered, (bool, np.bool_)) and bool(centered):
            cls = CenteredSubsampledFourier
        return super().__new__(cls)

    def __init__(self, mask: Any, *, centered: bool = False):
        self.centered = bool_arg(centered, "centered")
        super().__init__(mask)

    def _transform(self, x: Any) -> Any:
        if is_torch(x):
            if self.centered:
                torch = lazy_torch()
                x = torch.fft.ifftshift(x, dim=self._axes)
                return torch.fft.fftshift(_torch_fftn(x, self._axes, inverse=False), dim=self._axes)
            return _torch_fftn(x, self._axes, inverse=False)
        if self.centered:
            x = np.fft.ifftshift(x, axes=self._axes)
            return np.fft.fftshift(np.fft.fftn(x, axes=self._axes, norm="ortho"), axes=self._axes)
        return np.fft.fftn(x, axes=self._axes, norm="ortho")

    def _inverse(self, y: Any) -> Any:
        if is_torch(y):
            if self.centered:
                torch = lazy_torch()
                y = torch.fft.ifftshift(y, dim=self._axes)
                return torch.fft.fftshift(_torch_fftn(y, self._axes, inverse=True), dim=self._axes)
            return _torch_fftn(y, self._axes, inverse=True)
        if self.centered:
            y = np.fft.ifftshift(y, axes=self._axes)
            return np.fft.fftshift(np.fft.ifftn(y, axes=self._axes, norm="ortho"), axes=self._axes)
        return np.fft.ifftn(y, axes=self._axes, norm="ortho")

    @property
    def _idx(self) -> np.ndarray:
        """The sampled indices of the *unshifted* DFT: refused for a centred transform (any
        subclass included), whose indices live in the shifted ordering, so that code reading them
        as unshifted indices fails instead of describing another map. The enclosures of ``nets``
        read ``CenteredSubsampledFourier`` (exact type) through the shifts instead."""
        if self.centered:
            raise PreconditionError(
                "the sampled indices of a centred Fourier transform (SubsampledFourier(..., centered=True)) "
                "are in the shifted ordering: use SubsampledFourier(numpy.fft.ifftshift(mask)) for the same "
                "frequencies in numpy's unshifted ordering", hypothesis="supported layer")
        return self._samples

    def __repr__(self) -> str:
        text = super().__repr__()
        return text[:-1] + ", centered=True)" if self.centered else text


class CenteredSubsampledFourier(SubsampledFourier):
    """What ``SubsampledFourier(mask, centered=True)`` returns: the fastMRI-centred transform.

    A subclass so that code written for the unshifted transform and recognising it by
    its exact type (saved operator records, which store only the mask) does not mistake
    a centred operator for it. The rigorous enclosures of :mod:`theorycheck.nets` enclose
    this exact type as ``fftshift ∘ F ∘ ifftshift`` (exact permutations around the enclosed
    DFT) and refuse user subclasses, whose maps they cannot know. Build it with ``SubsampledFourier(mask,
    centered=True)``; it behaves exactly like that.

    Theorem: none.
    Rigor: exact adjoint up to float rounding (as :class:`SubsampledFourier`).
    """

    def __init__(self, mask: Any, *, centered: bool = True):
        if not (isinstance(centered, (bool, np.bool_)) and bool(centered)):
            raise InvalidArgument("CenteredSubsampledFourier is always centred: use SubsampledFourier(mask) "
                                  "for numpy's unshifted ordering")
        super().__init__(mask, centered=True)


def _torch_fftn(x: Any, axes: tuple[int, ...], *, inverse: bool) -> Any:
    """Orthonormal (inverse) DFT over ``axes`` of a tensor; an empty batch gives an empty complex tensor.

    torch's FFT backends (MKL, cuFFT) refuse tensors with no elements, so an
    empty batch is answered directly: the transform of nothing is nothing.
    """
    torch = lazy_torch()
    if x.numel() == 0:
        cdtype = x.dtype if x.is_complex() else (torch.complex128 if x.dtype == torch.float64
                                                 else torch.complex64)
        return x.to(cdtype)
    fft = torch.fft.ifftn if inverse else torch.fft.fftn
    return fft(x, dim=axes, norm="ortho")


class SubsampledDCT(_SubsampledTransform):
    """Subsampled orthonormal DCT-II ``A = P_mask C`` (1D or 2D).

    ``C`` is ``scipy.fft.dctn(x, type=2, norm="ortho")`` over the last one or two
    axes, a real orthogonal matrix (``dtype`` float64); complex input is transformed
    in its real and imaginary parts. The torch path multiplies by the dense DCT
    matrix along each axis (cached per size, device and dtype), so autograd works.

    Parameters
    ----------
    mask : array_like of bool, shape ``(n,)`` or ``(n1, n2)``
        Which DCT coefficients are sampled (C order).

    Theorem: none.
    Rigor: exact adjoint up to float rounding (``C^{-1} = C^T``).

    Examples
    --------
    >>> A = SubsampledDCT(np.ones(4, dtype=bool))
    >>> np.round(A.apply(np.ones(4)), 12)
    array([2., 0., 0., 0.])
    """

    dtype = np.dtype(np.float64)

    def __init__(self, mask: Any):
        super().__init__(mask)
        self._mats: dict = {}

    def _matrix(self, n: int, x: Any) -> Any:
        cache = self._mats.setdefault(n, {})
        if "np" not in cache:
            cache["np"] = scipy.fft.dct(np.eye(n), type=2, norm="ortho", axis=0)
        return torch_like(cache["np"], x, cache)[0]

    def _torch(self, x: Any, inverse: bool) -> Any:
        C = self._matrix(self.in_shape[-1], x)
        x = x.to(C.dtype)
        x = x @ (C if inverse else C.transpose(0, 1))
        if len(self.in_shape) == 2:
            C0 = self._matrix(self.in_shape[0], x)
            x = (C0.transpose(0, 1) if inverse else C0) @ x
        return x

    def _transform(self, x: Any) -> Any:
        if is_torch(x):
            return self._torch(x, inverse=False)
        return scipy.fft.dctn(x, type=2, norm="ortho", axes=self._axes)

    def _inverse(self, y: Any) -> Any:
        if is_torch(y):
            return self._torch(y, inverse=True)
        return scipy.fft.idctn(y, type=2, norm="ortho", axes=self._axes)


def _fwht_last(x: Any) -> Any:
    """Orthonormal Walsh–Hadamard transform (natural ordering) along the last axis.

    Butterfly in O(n log n): each pass applies ``H_2`` to the lowest index bit and
    rotates it to the top, so ``log2 n`` passes give ``H_2^{⊗k} = hadamard(n)``.
    """
    n = int(x.shape[-1])
    batch = batch_shape(x, 1)
    stack = lazy_torch().stack if is_torch(x) else np.stack
    for _ in range(n.bit_length() - 1):
        x = x.reshape(batch + (n // 2, 2))
        a, b = x[..., 0], x[..., 1]
        x = stack((a + b, a - b), -2)
    return x.reshape(batch + (n,)) / math.sqrt(n)


class SubsampledWalshHadamard(_SubsampledTransform):
    """Subsampled orthonormal Walsh–Hadamard transform ``A = P_mask H`` (1D or 2D).

    ``H = scipy.linalg.hadamard(n) / sqrt(n)`` (natural, Sylvester ordering) along
    the last axis, and along both axes in 2D; computed by a fast butterfly on
    numpy and torch. ``H`` is real, symmetric and its own inverse.

    Parameters
    ----------
    mask : array_like of bool, shape ``(n,)`` or ``(n1, n2)``
        Which coefficients are sampled; every length must be a power of two.

    Theorem: none (binary sampling, e.g. single-pixel imaging).
    Rigor: exact adjoint up to float rounding.

    Examples
    --------
    >>> A = SubsampledWalshHadamard(np.ones(4, dtype=bool))
    >>> A.apply(np.array([1.0, 0.0, 0.0, 0.0]))
    array([0.5, 0.5, 0.5, 0.5])
    """

    dtype = np.dtype(np.float64)

    def _refuse_shape(self, shape: tuple[int, ...]) -> None:
        bad = [n for n in shape if n & (n - 1)]
        if bad:
            raise InvalidArgument(
                f"mask has shape {tuple(shape)} but the Walsh–Hadamard transform needs every "
                f"length to be a power of two (got {bad}): pad or crop the signal"
            )

    def _transform(self, x: Any) -> Any:
        x = _fwht_last(x)
        if len(self.in_shape) == 2:
            x = _fwht_last(x.swapaxes(-1, -2)).swapaxes(-1, -2)
        return x

    def _inverse(self, y: Any) -> Any:
        return self._transform(y)  # H is symmetric and orthogonal: its own inverse
