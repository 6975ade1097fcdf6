"""The base of theorycheck's linear operators: ``LinearOperator``, matrices, adjoints, products.

Every operator maps signals of shape ``in_shape`` to measurements of shape
``out_shape`` and accepts a leading batch dimension (any number of leading
axes). numpy input gives numpy output; torch input gives torch output on the
same device, differentiable through autograd (complex included).
``shape`` is ``(m, N)`` with ``m = prod(out_shape)``, ``N = prod(in_shape)``
and ``to_dense()`` is the ``m × N`` matrix acting on flattened (C-order) signals.
The public names are re-exported by :mod:`theorycheck.problems.operators`.

Theorem: none (the operators are the ``A`` and ``W`` of every theorem).
Rigor: adjoints are exact up to floating-point rounding;
``adjointness_error`` measures it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array, check_finite, is_torch, lazy_torch, to_numpy
from theorycheck.numerics.validation import bool_arg, integer_arg, real_arg, refuse_size, seed_arg

__all__ = ["LinearOperator", "MatrixOperator", "ReshapedMatrixOperator", "ComposedOperator", "AdjointOperator"]


def prod(shape: Sequence[int]) -> int:
    """The number of entries of an array of shape ``shape`` (a Python int)."""
    return int(math.prod(shape))


#: largest dense matrix (entries) that ``to_dense`` builds, and the largest SVD (multiply-adds)
MAX_DENSE_ENTRIES = 2 ** 27
MAX_SVD_FLOPS = 2e12
#: largest number of power-method iterations and adjointness trials accepted
MAX_ITERATIONS = 10 ** 6
#: largest number of entries of the random vectors the power method and the adjointness test draw
MAX_VECTOR_ENTRIES = 2 ** 28
#: largest length of one axis of a signal shape (larger ones overflow the C code of the transforms)
MAX_LENGTH = 2 ** 40


class LinearOperator:
    """Base class of theorycheck's linear operators.

    Subclasses implement ``_apply(x)`` and ``_adjoint(y)`` on arrays whose
    trailing axes are ``in_shape`` / ``out_shape`` (numpy or torch); the base
    class validates shapes, handles batching and provides ``to_dense``,
    ``norm``, ``adjointness_error``, ``H`` and composition with ``@``.

    Theorem: none.
    Rigor: not applicable.
    """

    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    dtype: np.dtype
    #: True when the operator is unitary (``A^* A = A A^* = I``).
    unitary: bool = False

    # -- to be provided by subclasses ------------------------------------------------
    def _apply(self, x: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _adjoint(self, y: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- public API -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """``(m, N)``: sizes of the flattened measurement and signal."""
        return (prod(self.out_shape), prod(self.in_shape))

    @property
    def is_complex(self) -> bool:
        """Whether the operator's matrix has complex entries."""
        return np.dtype(self.dtype).kind == "c"

    def apply(self, x: Any) -> Any:
        """Return ``A x`` for ``x`` of shape ``(*batch, *in_shape)``."""
        x = self._validated(x, self.in_shape, "x")
        return self._apply(x)

    def adjoint(self, y: Any) -> Any:
        """Return ``A^* y`` for ``y`` of shape ``(*batch, *out_shape)``."""
        y = self._validated(y, self.out_shape, "y")
        return self._adjoint(y)

    def __call__(self, x: Any) -> Any:
        return self.apply(x)

    @property
    def H(self) -> "LinearOperator":
        """The adjoint operator ``A^*``."""
        return AdjointOperator(self)

    def __matmul__(self, other: "LinearOperator") -> "LinearOperator":
        if not isinstance(other, LinearOperator):
            return NotImplemented
        return ComposedOperator(self, other)

    def _refuse_vectors(self, what: str) -> None:
        m, N = self.shape
        refuse_size(4.0 * (float(m) + N), MAX_VECTOR_ENTRIES,
                    f"{what} on signals of {N} and measurements of {m} entries (vector entries)",
                    "use a smaller operator")

    def _refuse_dense(self) -> None:
        m, N = self.shape
        refuse_size(float(m) * N + float(N) * N, MAX_DENSE_ENTRIES,
                    f"the dense {m} × {N} matrix of {type(self).__name__} (entries)",
                    "use the operator's apply/adjoint, or a smaller signal")

    def to_dense(self) -> np.ndarray:
        """The ``m × N`` matrix of the operator on flattened signals (float64/complex128).

        Refused with :class:`InvalidArgument` beyond :data:`MAX_DENSE_ENTRIES` entries.
        """
        self._refuse_dense()
        m, N = self.shape
        eye = np.eye(N, dtype=np.complex128 if self.is_complex else np.float64)
        cols = self._apply(eye.reshape((N,) + tuple(self.in_shape)))
        return np.asarray(cols).reshape(N, m).T.copy()

    def norm(self, *, exact: bool | None = None, iters: int = 200, tol: float = 1e-12,
             seed: int = 0) -> float:
        """Operator 2-norm ``‖A‖``.

        Parameters
        ----------
        exact : bool, optional
            Use a dense SVD (default: when ``N ≤ 2048``); otherwise a seeded power
            method on ``A^*A`` (a lower estimate that converges from below). An
            SVD beyond :data:`MAX_SVD_FLOPS` is refused.
        iters, tol : int, float
            Power-method iterations (``1 ≤ iters ≤ 10^6``) and relative tolerance (``≥ 0``).
        seed : int
            Seed of the power method's starting vector (``≥ 0``).

        Returns
        -------
        float
            ``‖A‖`` (``1.0`` exactly for unitary operators and subsamplings of them
            with at least one sample).

        Theorem: none.
        Rigor: numerical (SVD or power iteration in float64).
        """
        m, N = self.shape
        if exact is not None:
            exact = bool_arg(exact, "exact")
        iters = integer_arg(iters, "iters")
        if iters > MAX_ITERATIONS:
            raise InvalidArgument(f"iters={iters}: pass at most {MAX_ITERATIONS} power-method iterations")
        tol = real_arg(tol, "tol", allow_zero=True)
        rng = seed_arg(seed)
        self._refuse_vectors("the power method")
        if exact is None:
            exact = N <= 2048
        if exact:
            refuse_size(float(m) * N * min(m, N), MAX_SVD_FLOPS,
                        f"the SVD of the {m} × {N} matrix (multiply-adds)", "pass exact=False")
            return float(np.linalg.norm(self.to_dense(), 2))
        v = rng.standard_normal(self.in_shape)
        if self.is_complex:
            v = v + 1j * rng.standard_normal(self.in_shape)
        v = v / np.linalg.norm(v)
        est = 0.0
        for _ in range(iters):
            w = np.asarray(self._adjoint(self._apply(v)))
            nw = float(np.linalg.norm(w))
            if nw == 0.0:
                return 0.0
            v = w / nw
            if abs(nw - est) <= tol * nw:
                est = nw
                break
            est = nw
        return math.sqrt(est)

    def adjointness_error(self, *, trials: int = 3, seed: Any = 0) -> float:
        """Largest relative error ``|⟨Ax, y⟩ − ⟨x, A^*y⟩| / (‖A‖_F-scale)`` on random pairs.

        Returns ``max |⟨Ax,y⟩ − ⟨x,A^*y⟩| / (‖x‖‖A^*y‖ + ‖Ax‖‖y‖)`` over seeded
        random complex (or real) ``x, y``: about 1e-16 for a correct adjoint.
        ``trials`` (``1 ≤ trials ≤ 10^6``) pairs are drawn from ``seed``; a pair whose
        scale is 0 (an operator that maps it to 0 both ways) counts as exact, and
        NaN/inf outputs give ``inf``.

        Theorem: none.
        Rigor: numerical.
        """
        trials = integer_arg(trials, "trials")
        if trials > MAX_ITERATIONS:
            raise InvalidArgument(f"trials={trials}: pass at most {MAX_ITERATIONS}")
        rng = seed_arg(seed)
        self._refuse_vectors("the adjointness test")
        worst = 0.0
        for _ in range(trials):
            x = rng.standard_normal(self.in_shape)
            y = rng.standard_normal(self.out_shape)
            if self.is_complex:
                x = x + 1j * rng.standard_normal(self.in_shape)
                y = y + 1j * rng.standard_normal(self.out_shape)
            Ax = np.asarray(self._apply(x))
            Aty = np.asarray(self._adjoint(y))
            lhs = np.vdot(y.ravel(), Ax.ravel())
            rhs = np.vdot(Aty.ravel(), x.ravel())
            scale = np.linalg.norm(x) * np.linalg.norm(Aty) + np.linalg.norm(Ax) * np.linalg.norm(y)
            if not (np.isfinite(lhs) and np.isfinite(rhs) and np.isfinite(scale)):
                return math.inf  # an operator producing NaN/inf is not adjoint in any useful sense
            if scale > 0:
                worst = max(worst, float(abs(lhs - rhs) / scale))
        return worst

    # -- helpers ----------------------------------------------------------------------
    def _validated(self, x: Any, core: tuple[int, ...], name: str) -> Any:
        if is_torch(x):
            if not x.dtype.is_floating_point and not x.is_complex():
                # integers and bools: float64 exactly (as_array refuses values it would round),
                # never the default dtype (float32 rounds integers beyond 2^24)
                x = lazy_torch().as_tensor(as_array(x, name, finite=False), device=x.device)
            shape = tuple(x.shape)
        else:
            if not isinstance(x, np.ndarray) or x.dtype.kind not in "fc":
                x = as_array(x, name, finite=False)
            shape = x.shape
        k = len(core)
        if len(shape) < k or tuple(shape[len(shape) - k:]) != tuple(core):
            raise InvalidArgument(
                f"{name} has shape {shape} but {type(self).__name__} expects "
                f"(*batch, {', '.join(map(str, core))}){shape_hint(shape, core)}"
            )
        check_finite(x, name)
        return x

    def __repr__(self) -> str:
        return f"{type(self).__name__}(in_shape={self.in_shape}, out_shape={self.out_shape})"


def shape_hint(shape: tuple[int, ...], core: tuple[int, ...]) -> str:
    """A hint for an error message when ``shape`` holds as many entries as ``core``."""
    if prod(shape) == prod(core) and tuple(shape) != tuple(core):
        return f": reshape it to {core}"
    return ""


def torch_like(mat: np.ndarray, x: Any, cache: dict) -> Any:
    """``mat`` as a tensor on ``x``'s device with a dtype matching ``x``'s precision."""
    torch = lazy_torch()
    double = x.dtype in (torch.float64, torch.complex128)
    cplx = np.iscomplexobj(mat) or x.is_complex()
    dtype = (torch.complex128 if double else torch.complex64) if cplx else (
        torch.float64 if double else torch.float32)
    key = (str(x.device), dtype)
    if key not in cache:
        cache[key] = torch.from_numpy(np.array(mat)).to(device=x.device, dtype=dtype)
    return cache[key], dtype


class MatrixOperator(LinearOperator):
    """A dense matrix ``A ∈ C^{m×N}`` as an operator (scipy sparse matrices: use ``as_operator``).

    Parameters
    ----------
    A : array_like or torch.Tensor
        The matrix (copied; the caller's array is never modified).

    Theorem: none.
    Rigor: exact adjoint ``A^* = conj(A)^T``.

    Examples
    --------
    >>> op = MatrixOperator([[1.0, 2.0], [0.0, 1.0]])
    >>> op.apply(np.array([1.0, 1.0]))
    array([3., 1.])
    >>> op.adjoint(np.array([1.0, 1.0]))
    array([1., 3.])
    """

    def __init__(self, A: Any):
        if isinstance(A, LinearOperator):
            raise InvalidArgument("A is already a LinearOperator: use it directly")
        arr = as_array(A, "A", ndim=2)
        if arr.size == 0:
            raise InvalidArgument(f"A has shape {arr.shape}: it must have at least one row and column")
        self.matrix = arr
        self.matrix.setflags(write=False)
        self.in_shape = (arr.shape[1],)
        self.out_shape = (arr.shape[0],)
        self.dtype = arr.dtype
        self._cache: dict = {}
        self._cache_h: dict = {}

    def _apply(self, x: Any) -> Any:
        if is_torch(x):
            M, dtype = torch_like(self.matrix, x, self._cache)
            return x.to(dtype) @ M.transpose(0, 1)
        return x @ self.matrix.T

    def _adjoint(self, y: Any) -> Any:
        if is_torch(y):
            M, dtype = torch_like(self.matrix, y, self._cache)
            return y.to(dtype) @ M.conj()
        return y @ self.matrix.conj()

    def to_dense(self) -> np.ndarray:
        return self.matrix.copy()

    def _refuse_dense(self) -> None:
        return None  # the matrix is already held


class ReshapedMatrixOperator(MatrixOperator):
    """A dense matrix acting on signals of shape ``in_shape`` with measurements of shape ``out_shape``.

    The matrix acts on flattened (C-order) signals, as ``to_dense()`` of any operator does;
    saved certificates use it to store an operator by its matrix while keeping its shapes.

    Parameters
    ----------
    A : array_like
        The ``m × N`` matrix, ``m = prod(out_shape)``, ``N = prod(in_shape)``.
    in_shape, out_shape : tuple of int
        Signal and measurement shapes.

    Theorem: none.
    Rigor: exact adjoint ``A^* = conj(A)^T`` (as :class:`MatrixOperator`).
    """

    def __init__(self, A: Any, in_shape: Sequence[int], out_shape: Sequence[int]):
        super().__init__(A)
        ins, outs = tuple(int(n) for n in in_shape), tuple(int(n) for n in out_shape)
        if not ins or not outs or min(ins + outs) < 1 or math.prod(ins) != self.matrix.shape[1] \
                or math.prod(outs) != self.matrix.shape[0]:
            raise InvalidArgument(f"in_shape {ins} and out_shape {outs} do not fit a matrix of shape "
                                  f"{self.matrix.shape}: their products must be its column and row counts")
        self.in_shape, self.out_shape = ins, outs

    def _apply(self, x: Any) -> Any:
        b = tuple(x.shape[: len(x.shape) - len(self.in_shape)])
        return super()._apply(x.reshape(b + (-1,))).reshape(b + self.out_shape)

    def _adjoint(self, y: Any) -> Any:
        b = tuple(y.shape[: len(y.shape) - len(self.out_shape)])
        return super()._adjoint(y.reshape(b + (-1,))).reshape(b + self.in_shape)


class AdjointOperator(LinearOperator):
    """The adjoint ``A^*`` of an operator (``A.H``).

    Theorem: none.
    Rigor: exact (swaps ``apply`` and ``adjoint``).
    """

    def __init__(self, op: LinearOperator):
        self.op = op
        self.in_shape = op.out_shape
        self.out_shape = op.in_shape
        self.dtype = op.dtype
        self.unitary = op.unitary

    def _apply(self, x: Any) -> Any:
        return self.op._adjoint(x)

    def _adjoint(self, y: Any) -> Any:
        return self.op._apply(y)

    @property
    def H(self) -> LinearOperator:
        return self.op

    def to_dense(self) -> np.ndarray:
        return self.op.to_dense().conj().T.copy()

    def _refuse_dense(self) -> None:
        self.op._refuse_dense()


class ComposedOperator(LinearOperator):
    """The product ``outer ∘ inner`` (``outer @ inner``), e.g. ``A W^*``.

    Theorem: none.
    Rigor: exact adjoint ``inner^* outer^*``.
    """

    def __init__(self, outer: LinearOperator, inner: LinearOperator):
        if tuple(inner.out_shape) != tuple(outer.in_shape):
            raise InvalidArgument(
                f"cannot compose: inner operator outputs shape {inner.out_shape} but the outer "
                f"operator expects {outer.in_shape}"
            )
        self.outer = outer
        self.inner = inner
        self.in_shape = inner.in_shape
        self.out_shape = outer.out_shape
        self.dtype = np.result_type(outer.dtype, inner.dtype)
        self.unitary = outer.unitary and inner.unitary

    def _apply(self, x: Any) -> Any:
        return self.outer._apply(self.inner._apply(x))

    def _adjoint(self, y: Any) -> Any:
        return self.inner._adjoint(self.outer._adjoint(y))


def validated_shape(shape: Any, *, ndims: tuple[int, ...] = (1, 2)) -> tuple[int, ...]:
    """Return ``shape`` (an int or a sequence of ints) as a tuple of positive ints.

    Raises :class:`InvalidArgument` unless it has ``len`` in ``ndims`` and positive
    integer entries.

    Theorem: none.
    Rigor: not applicable.
    """
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise InvalidArgument(f"shape={shape!r}: pass an int or a tuple of ints") from None
    if len(dims) not in ndims or not all(
        isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_)) and int(n) > 0 for n in dims
    ):
        raise InvalidArgument(
            f"shape={shape!r}: pass {' or '.join(map(str, ndims))} positive integer length(s)"
        )
    if any(int(n) > MAX_LENGTH for n in dims):
        raise InvalidArgument(f"shape={shape!r}: every length must be at most {MAX_LENGTH}")
    return tuple(int(n) for n in dims)


def validated_mask(mask: Any, name: str = "mask", *, ndims: tuple[int, ...] = (1, 2)) -> np.ndarray:
    """Return ``mask`` as a new read-only boolean numpy array, or raise :class:`InvalidArgument`.

    Accepts booleans and numbers equal to 0 or 1 (numpy, lists or tensors) with
    ``ndim`` in ``ndims``, no empty axis and at least one ``True`` entry.

    Theorem: none.
    Rigor: not applicable.
    """
    try:
        arr = to_numpy(mask)
    except Exception as exc:
        raise InvalidArgument(f"{name} could not be read as an array: {exc}") from exc
    if arr.ndim not in ndims:
        raise InvalidArgument(
            f"{name} has shape {arr.shape}: it must have {' or '.join(map(str, ndims))} "
            "dimension(s), the shape of the signal"
        )
    if arr.size == 0:
        raise InvalidArgument(f"{name} has shape {arr.shape}: every axis needs length >= 1")
    if arr.dtype != np.bool_:
        if arr.dtype.kind not in "biuf":
            raise InvalidArgument(
                f"{name} has dtype {arr.dtype}: pass a boolean array (or 0/1 numbers)")
        if not np.all(np.isfinite(arr)):
            raise InvalidArgument(f"{name} contains NaN or inf: pass a boolean array")
        if not np.all((arr == 0) | (arr == 1)):
            raise InvalidArgument(
                f"{name} has values other than 0 and 1: pass a boolean array (True = sampled)")
    out = np.array(arr, dtype=bool, copy=True)
    if not out.any():
        raise InvalidArgument(f"{name} is all False: sample at least one entry")
    out.setflags(write=False)
    return out


def batch_shape(x: Any, k: int) -> tuple[int, ...]:
    """The leading (batch) axes of ``x`` before its last ``k`` axes."""
    return tuple(x.shape[: len(x.shape) - k])
