"""Finite-difference gradient ``∇`` for total-variation (TV) regularisation.

``FiniteDifference(shape)`` is the analysis operator ``W = ∇`` of the TV
programs ``min λ‖∇z‖ + data(z)``: it maps an image of shape ``(n,)`` or
``(n1, n2)`` to its forward differences, stacked along a new leading axis,
``out_shape = (ndim, *shape)``. ``∇`` is not unitary (its kernel holds the
constant images), so the programs use it in *analysis* form: the penalty is
``‖∇z‖`` evaluated on ``z`` itself, not a change of variables.

Two TV norms are in use:

- anisotropic ``‖∇z‖_{1,w} = Σ_{k,p} w_{k,p} |(D_k z)_p|`` — the weighted ℓ¹
  norm of *all* differences, which is exactly ``‖Wz‖_{1,w}`` of the
  programs in :mod:`theorycheck.problems.programs` with ``W = FiniteDifference``;
- isotropic ``‖∇z‖_{2,1} = Σ_p w_p (Σ_k |(D_k z)_p|²)^{1/2}`` (the seeds' TV),
  selected in the solvers with ``tv="isotropic"`` (:func:`total_variation`).

In 1D the two coincide.

Theorem: none (the sparsifier ``W`` of the TV programs, docs/theory.md §1 analysis form).
Rigor: the adjoint is exact (a sum of the same differences with opposite
signs); ``norm_bound`` is the analytic bound ``‖∇‖ ≤ 2√ndim``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array, is_torch, lazy_torch
from theorycheck.numerics.validation import bool_arg, integer_arg, real_arg, seed_arg
from theorycheck.problems.operators import LinearOperator, validated_shape

__all__ = ["FiniteDifference", "total_variation"]


def _cat(parts: Sequence[Any], axis: int) -> Any:
    if is_torch(parts[0]):
        return lazy_torch().cat(list(parts), dim=axis)
    return np.concatenate(parts, axis=axis)


def _zeros_like_slice(x: Any, axis: int) -> Any:
    """Zeros shaped like ``x`` with length 1 along ``axis`` (same dtype/device)."""
    shape = list(x.shape)
    shape[axis] = 1
    if is_torch(x):
        return x.new_zeros(shape)
    return np.zeros(shape, dtype=x.dtype)


def _take(x: Any, axis: int, start: int | None, stop: int | None) -> Any:
    idx = [slice(None)] * len(x.shape)
    idx[axis] = slice(start, stop)
    return x[tuple(idx)]


class FiniteDifference(LinearOperator):
    """Forward differences with Neumann boundary: the discrete gradient ``∇``.

    For an image ``z`` of shape ``shape`` (1D or 2D), component ``k`` of
    ``∇z`` is ``(D_k z)_p = z_{p + e_k} − z_p`` where ``p + e_k`` is inside the
    image and ``0`` on the last slice along axis ``k`` (Neumann boundary: the
    image is continued by reflection, so the last difference vanishes). The
    output has shape ``(ndim, *shape)`` (component axis first; the last slice
    of each component is identically zero, so ``m = ndim·N`` counts ``ndim·N/n_k``
    structural zeros). The adjoint is the negative divergence
    ``∇^* q = −div q`` with the matching boundary rule, exact on numpy and
    torch (autograd, complex included: the operator is real and acts on real
    and imaginary parts alike). Leading batch axes are supported.

    Parameters
    ----------
    shape : int or tuple of int
        Image shape ``(n,)`` or ``(n1, n2)``.

    Attributes
    ----------
    norm_bound : float
        Analytic upper bound on ``‖∇‖``: ``2`` in 1D, ``√8`` in 2D
        (``‖D_k‖ ≤ 2`` and ``‖∇‖² ≤ Σ_k ‖D_k‖²``).

    Theorem: none (the TV sparsifier of the analysis-form programs).
    Rigor: exact adjoint up to float rounding; ``unitary`` is False.

    Examples
    --------
    >>> D = FiniteDifference(4)
    >>> D.apply(np.array([0.0, 1.0, 1.0, 3.0]))
    array([[1., 0., 2., 0.]])
    >>> D.adjoint(np.array([[1.0, 0.0, 2.0, 5.0]]))
    array([-1.,  1., -2.,  2.])
    """

    dtype = np.dtype(np.float64)
    unitary = False

    def __init__(self, shape: int | Sequence[int]):
        self.in_shape = validated_shape(shape)
        self.ndim = len(self.in_shape)
        self.out_shape = (self.ndim, *self.in_shape)
        self.norm_bound = 2.0 * math.sqrt(self.ndim)

    def _apply(self, x: Any) -> Any:
        k = self.ndim
        comps = []
        for j in range(k):
            axis = x.ndim - k + j if not is_torch(x) else len(x.shape) - k + j
            d = _take(x, axis, 1, None) - _take(x, axis, None, -1)
            comps.append(_cat([d, _zeros_like_slice(x, axis)], axis))
        if is_torch(x):
            return lazy_torch().stack(comps, dim=len(x.shape) - k)
        return np.stack(comps, axis=x.ndim - k)

    def _adjoint(self, y: Any) -> Any:
        k = self.ndim
        nd = len(y.shape)
        out = None
        for j in range(k):
            comp = y[(slice(None),) * (nd - k - 1) + (j,)]
            axis = len(comp.shape) - k + j
            q = _take(comp, axis, None, -1)  # the last difference is structurally zero
            z = _zeros_like_slice(comp, axis)
            term = _cat([z, q], axis) - _cat([q, z], axis)  # D^T q = shift(q) − q
            out = term if out is None else out + term
        return out

    def norm(self, *, exact: bool | None = None, iters: int = 200, tol: float = 1e-12,
             seed: int = 0) -> float:
        """Operator norm ``‖∇‖``: closed form ``(Σ_k 4 sin²(π(n_k − 1)/(2n_k)))^{1/2}``.

        ``D_k^T D_k`` is the Neumann Laplacian along axis ``k`` with eigenvalues
        ``4 sin²(πj/(2n_k))``, ``j = 0..n_k−1``; the 2D gradient's ``∇^*∇`` is the
        Kronecker sum, so its largest eigenvalue is the sum of the axes' largest.
        ``exact`` and the power-method arguments are accepted for signature
        compatibility and ignored.

        Theorem: spectrum of the 1D Neumann Laplacian (a DCT-II diagonalises it).
        Rigor: numerical (closed form in float64).
        """
        if exact is not None:  # validated like the base class's, although unused
            bool_arg(exact, "exact")
        integer_arg(iters, "iters")
        real_arg(tol, "tol", allow_zero=True)
        seed_arg(seed)
        return math.sqrt(sum(4.0 * math.sin(math.pi * (n - 1) / (2 * n)) ** 2 for n in self.in_shape))

    def __repr__(self) -> str:
        return f"FiniteDifference(shape={self.in_shape})"


def total_variation(z: Any, shape: Sequence[int] | None = None, *, kind: str = "anisotropic",
                    weights: Any = None) -> float:
    """Total variation of an image: ``‖∇z‖_{1,w}`` (anisotropic) or ``‖∇z‖_{2,1}`` (isotropic).

    Parameters
    ----------
    z : array_like
        Image (real or complex), shape ``shape`` (default ``z.shape``).
    shape : tuple of int, optional
        Image shape, when ``z`` is given flat.
    kind : {"anisotropic", "isotropic"}
        Anisotropic: ``Σ_{k,p} w_{k,p}|(D_k z)_p|``. Isotropic:
        ``Σ_p w_p (Σ_k |(D_k z)_p|²)^{1/2}``.
    weights : array_like, optional
        Positive weights of shape ``(ndim, *shape)`` (or flat); for the
        isotropic norm they must agree across the ``ndim`` components (one weight
        per pixel; a per-pixel array of shape ``shape`` is accepted too).

    Returns
    -------
    float

    Theorem: none (definition of the TV penalties).
    Rigor: numerical (float64).

    Examples
    --------
    >>> total_variation(np.array([[0.0, 1.0], [1.0, 1.0]]), kind="isotropic")
    1.4142135623730951
    """
    if not isinstance(kind, str) or kind not in ("anisotropic", "isotropic"):
        raise InvalidArgument(f"kind={kind!r}: pass 'anisotropic' or 'isotropic'")
    arr = as_array(z, "z")
    shape = validated_shape(arr.shape if shape is None else shape)
    if arr.size != math.prod(shape):
        raise InvalidArgument(f"z has {arr.size} entries but shape={shape}: pass an image of that shape")
    D = FiniteDifference(shape)
    g = np.abs(D.apply(arr.reshape(shape)))
    if kind == "anisotropic":
        w = np.ones(D.out_shape) if weights is None else tv_weights(weights, D, isotropic=False)
        return float(np.sum(w * g))
    if kind == "isotropic":
        w = np.ones(shape) if weights is None else tv_weights(weights, D, isotropic=True)
        return float(np.sum(w * np.sqrt(np.sum(g**2, axis=0))))
    raise InvalidArgument(f"kind={kind!r}: pass 'anisotropic' or 'isotropic'")


def tv_weights(weights: Any, D: FiniteDifference, *, isotropic: bool) -> np.ndarray:
    """Weights as an array of shape ``D.out_shape`` (anisotropic) or ``D.in_shape`` (isotropic).

    Isotropic TV has one weight per pixel: weights given per difference must
    agree across the ``ndim`` components.

    Theorem: none.
    Rigor: not applicable.
    """
    if not isinstance(D, FiniteDifference):
        raise InvalidArgument(f"D must be a FiniteDifference operator, got {type(D).__name__}")
    if not isinstance(isotropic, (bool, np.bool_)):
        raise InvalidArgument(f"isotropic={isotropic!r}: pass True or False")
    w = as_array(weights, "weights", allow_complex=False)
    N = math.prod(D.in_shape)
    if w.size == D.ndim * N:
        w = w.reshape(D.out_shape)
        if not isotropic:
            return w
        if not np.all(w == w[:1]):
            raise InvalidArgument(
                "isotropic TV needs one weight per pixel: the weights differ across the gradient "
                "components (use tv='anisotropic' or equal weights per pixel)"
            )
        return np.array(w[0])
    if isotropic and w.size == N:
        return w.reshape(D.in_shape)
    raise InvalidArgument(
        f"weights has {w.size} entries: pass {D.ndim * N} (one per difference"
        f"{f' or {N}, one per pixel' if isotropic else ''})"
    )
