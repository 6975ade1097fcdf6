"""Enclosures of theorycheck's linear operators ``A x`` and ``A^* y`` (private).

The FFT-, DCT- and Walsh–Hadamard-based operators are *not* evaluated with
their fast transforms: a rigorous error bound for pocketfft / torch.fft would
need the accuracy of their twiddle factors, which neither documents. Instead
each separable factor (one per signal axis) is applied as a dense
``n × n`` matrix product: the exact entries (``e^{∓2πijk/n}/√n``,
``s_k cos(πk(2j+1)/2n)``, ``±1/√n``) are enclosed by python-flint ``arb``
balls at 128 bits and stored as float64 centres with radii, and the product
is bounded by Higham's inner-product bound plus the entry radii
(:func:`theorycheck.nets._enclosure_ops.apply_matrix`). A complex matrix acts
on complex data as the real ``2n × 2n`` block matrix ``[[Re, −Im], [Im, Re]]``,
so every output part is one real inner product of ``2n`` terms. Sampling
(``P_mask``) and zero filling (``P_maskᵀ``) are exact.

Theorem: Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1.
Rigor: proven (ball arithmetic for the entries, a-priori bounds for the products).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch

from theorycheck.errors import PreconditionError
from theorycheck.nets._enclosure_ops import apply_matrix

Pair = tuple[torch.Tensor, "torch.Tensor | None"]

#: largest axis length for which a dense transform factor is built (entries: n²)
MAX_AXIS = 4096


def _ball(x: Any) -> tuple[float, float]:
    """Float centre and radius of an arb ball (radius rounded up, covering the centre's rounding)."""
    import flint

    from theorycheck.numerics.exact import ball_upper

    mid = float(x.mid())
    return mid, ball_upper((x - flint.arb(mid)).abs_upper())


@functools.lru_cache(maxsize=64)
def _factor(kind: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``(Re c, Re r, Im c, Im r)`` of the ``n × n`` forward factor of a transform (Im None: real)."""
    import flint

    from theorycheck.numerics.precision import precision

    if n > MAX_AXIS:
        raise PreconditionError(f"enclose: a transform axis of length {n} > {MAX_AXIS} (dense factor)",
                                hypothesis="supported layer")
    j = np.arange(n)
    with precision(prec=128):
        inv_sqrt = flint.arb(n).rsqrt()
        if kind == "fourier":
            # F[j, k] = exp(−2πi jk/n)/√n; the value depends on m = jk mod n only
            cos_v = np.zeros((n, 2))
            sin_v = np.zeros((n, 2))
            for m in range(n):
                s, c = flint.arb.sin_cos_pi_fmpq(flint.fmpq(2 * m, n))
                cos_v[m] = _ball(c * inv_sqrt)
                sin_v[m] = _ball(-(s * inv_sqrt))
            idx = np.outer(j, j) % n
            return cos_v[idx, 0], cos_v[idx, 1], sin_v[idx, 0], sin_v[idx, 1]
        if kind == "dct":
            # C[k, j] = s_k cos(π k (2j + 1) / (2n)); value depends on m = k(2j+1) mod 4n and on k = 0
            s0 = inv_sqrt
            s1 = (flint.arb(2) / n).sqrt()
            vals = np.zeros((4 * n, 2))
            vals0 = np.zeros((4 * n, 2))
            for m in range(4 * n):
                c = flint.arb.cos_pi_fmpq(flint.fmpq(m, 2 * n))
                vals[m] = _ball(c * s1)
                vals0[m] = _ball(c * s0)
            idx = np.outer(j, 2 * j + 1) % (4 * n)
            cen = vals[idx, 0]
            rad = vals[idx, 1]
            cen[0] = vals0[idx[0], 0]
            rad[0] = vals0[idx[0], 1]
            return cen, rad, None, None
        if kind == "hadamard":
            h = _ball(inv_sqrt)
            sign = np.ones((n, n))
            bits = np.bitwise_and(np.outer(j, np.ones(n, dtype=int)), np.outer(np.ones(n, dtype=int), j))
            parity = np.vectorize(lambda v: bin(int(v)).count("1") % 2)(bits) if n > 1 else np.zeros((1, 1))
            sign[parity == 1] = -1.0
            return sign * h[0], np.full((n, n), h[1]), None, None
    raise ValueError(kind)  # pragma: no cover - internal


def _parts(c: torch.Tensor, r: torch.Tensor | None) -> tuple[list, list]:
    if c.is_complex():
        rr = [None, None] if r is None else [r.real, r.imag]
        return [c.real, c.imag], rr
    return [c], [r]


def _join(cs: list, rs: list) -> Pair:
    if len(cs) == 1:
        return cs[0], rs[0]
    c = torch.complex(cs[0].contiguous(), cs[1].contiguous())
    r = torch.complex(rs[0].contiguous(), rs[1].contiguous())
    return c, r


def apply_along(c: torch.Tensor, r: torch.Tensor | None, M: tuple, axis: int, *, adjoint: bool) -> Pair:
    """Enclose ``M`` (``adjoint``: ``M^*``) applied along ``axis``; ``M = (Re c, Re r, Im c, Im r)``
    as numpy arrays (``Im`` None for a real matrix)."""
    dev = c.device
    re_c, re_r, im_c, im_r = M
    if adjoint:
        re_c, re_r = re_c.T, re_r.T
        if im_c is not None:
            im_c, im_r = -im_c.T, im_r.T
    def tc(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64, device=dev)

    def tr(a: np.ndarray) -> torch.Tensor | None:
        return tc(a) if np.any(a) else None  # exact entries: no radius term
    cs, rs = _parts(c, r)
    if im_c is None:  # a real matrix: each part separately
        outs = [apply_matrix(ci, ri, tc(re_c), tr(re_r), axis) for ci, ri in zip(cs, rs)]
        return _join([o[0] for o in outs], [o[1] for o in outs])
    p = re_c.shape[0]
    if len(cs) == 1:  # complex matrix, real data: rows [Re; Im]
        Mc = np.concatenate([re_c, im_c], 0)
        Mr = np.concatenate([re_r, im_r], 0)
        v, vr = cs[0], rs[0]
    else:  # [[Re, −Im], [Im, Re]] on [vr; vi]
        Mc = np.block([[re_c, -im_c], [im_c, re_c]])
        Mr = np.block([[re_r, im_r], [im_r, re_r]])
        v = torch.cat([cs[0], cs[1]], axis)
        vr = None if rs[0] is None and rs[1] is None else torch.cat(
            [rs[0] if rs[0] is not None else torch.zeros_like(cs[0]),
             rs[1] if rs[1] is not None else torch.zeros_like(cs[1])], axis)
    oc, orr = apply_matrix(v, vr, tc(Mc), tr(Mr), axis)
    re_o, im_o = oc.narrow(axis, 0, p), oc.narrow(axis, p, p)
    re_or, im_or = orr.narrow(axis, 0, p), orr.narrow(axis, p, p)
    return _join([re_o, im_o], [re_or, im_or])


def _kind(op: Any) -> str:
    from theorycheck.problems.operators import SubsampledDCT, SubsampledFourier, SubsampledWalshHadamard

    if isinstance(op, SubsampledFourier):
        return "fourier"
    if isinstance(op, SubsampledDCT):
        return "dct"
    if isinstance(op, SubsampledWalshHadamard):
        return "hadamard"
    return ""


def _transform(op: Any, c: torch.Tensor, r: torch.Tensor | None, *, adjoint: bool) -> Pair:
    kind = _kind(op)
    shape = tuple(op.in_shape)
    k = len(shape)
    # axes −1, then −2 (the factors commute: they act on different axes)
    for j in range(k):
        axis = c.dim() - 1 - j
        n = int(shape[k - 1 - j])
        c, r = apply_along(c, r, _factor(kind, n), axis, adjoint=adjoint)
    return c, r


def enclose_operator(op: Any, c: torch.Tensor, r: torch.Tensor | None, *, adjoint: bool) -> Pair:
    """Enclose ``A x`` (``adjoint=False``, ``c`` of shape ``(B, *A.in_shape)``) or ``A^* y``
    (``adjoint=True``, ``(B, *A.out_shape)``) for theorycheck's operators.

    Supported: ``MatrixOperator``, ``SubsampledFourier``, ``SubsampledDCT``,
    ``SubsampledWalshHadamard``, ``AdjointOperator`` and ``ComposedOperator`` of
    these. Others (wavelets, Radon, user subclasses) raise :class:`PreconditionError`.
    """
    from theorycheck.problems.operators import AdjointOperator, ComposedOperator, MatrixOperator

    if isinstance(op, AdjointOperator):
        return enclose_operator(op.op, c, r, adjoint=not adjoint)
    if isinstance(op, ComposedOperator):
        if adjoint:
            c, r = enclose_operator(op.outer, c, r, adjoint=True)
            return enclose_operator(op.inner, c, r, adjoint=True)
        c, r = enclose_operator(op.inner, c, r, adjoint=False)
        return enclose_operator(op.outer, c, r, adjoint=False)
    B = int(c.shape[0])
    if isinstance(op, MatrixOperator):
        A = np.asarray(op.matrix)
        if A.dtype.kind == "c":
            M = (A.real.astype(np.float64), np.zeros(A.shape), A.imag.astype(np.float64), np.zeros(A.shape))
        else:
            M = (A.astype(np.float64), np.zeros(A.shape), None, None)
        c = c.reshape((B, -1))
        r = None if r is None else r.reshape((B, -1))
        oc, orr = apply_along(c, r, M, 1, adjoint=adjoint)
        out_shape = tuple(op.in_shape if adjoint else op.out_shape)
        return oc.reshape((B,) + out_shape), orr.reshape((B,) + out_shape)
    kind = _kind(op)
    if not kind:
        raise PreconditionError(
            f"enclose: no rigorous enclosure for the operator {type(op).__name__}",
            hypothesis="supported layer")
    idx = torch.as_tensor(np.asarray(op._idx), device=c.device)
    N = int(np.prod(op.in_shape))
    if kind == "fourier" and not c.is_complex():
        c = c.to(torch.complex128)
        r = None if r is None else r.to(torch.complex128)
    if adjoint:
        zc = torch.zeros((B, N), dtype=c.dtype, device=c.device)
        zc[:, idx] = c
        zr = None
        if r is not None:
            zr = torch.zeros((B, N), dtype=r.dtype, device=c.device)
            zr[:, idx] = r
        zc = zc.reshape((B,) + tuple(op.in_shape))
        zr = None if zr is None else zr.reshape((B,) + tuple(op.in_shape))
        return _transform(op, zc, zr, adjoint=True)
    tc_, tr_ = _transform(op, c, r, adjoint=False)
    tc_ = tc_.reshape((B, N))[:, idx]
    tr_ = tr_.reshape((B, N))[:, idx]
    return tc_, tr_
