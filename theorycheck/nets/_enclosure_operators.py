"""Enclosures of theorycheck's linear operators ``A x`` and ``A^* y`` (private).

The FFT-, DCT- and Walsh–Hadamard-based operators are *not* evaluated with
their fast transforms: a rigorous error bound for pocketfft / torch.fft would
need the accuracy of their twiddle factors, which neither documents. Instead
each separable factor (one per signal axis) is applied as a dense
``n × n`` matrix product: the exact entries (``e^{∓2πijk/n}/√n``,
``s_k cos(πk(2j+1)/2n)``, ``±1/√n``) are enclosed by python-flint ``arb``
balls at 128 bits and stored as float64 centres with radii, and the product
is bounded by Higham's inner-product bound plus the entry radii
(:func:`theorycheck.nets._enclosure_linear.apply_matrix`). A complex matrix acts
on complex data as the real ``2n × 2n`` block matrix ``[[Re, −Im], [Im, Re]]``,
so every output part is one real inner product of ``2n`` terms. Sampling
(``P_mask``) and zero filling (``P_maskᵀ``) are exact, and so are the
``fftshift``/``ifftshift`` permutations of the centred Fourier transform
(``SubsampledFourier(mask, centered=True)``).

Theorem: Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1.
Rigor: proven (ball arithmetic for the entries, a-priori bounds for the products).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch

from theorycheck.errors import PreconditionError
from theorycheck.nets._enclosure_linear import apply_matrix
from theorycheck.numerics.exact import ball_upper
from theorycheck.numerics.precision import precision
from theorycheck.problems.operators import (
    AdjointOperator,
    CenteredSubsampledFourier,
    ComposedOperator,
    MatrixOperator,
    ReshapedMatrixOperator,
    SubsampledDCT,
    SubsampledFourier,
    SubsampledWalshHadamard,
)

Triple = tuple  # (centre, low part or None, radius or None)

#: largest axis length for which a dense transform factor is built (entries: n²)
MAX_AXIS = 4096


def _ball(x: Any) -> tuple[float, float, float]:
    """An arb ball as ``(hi, lo, rad)``: ``hi + lo`` (double-double, ``hi`` the nearest float)
    within ``rad`` of every point of the ball."""
    import flint


    hi = float(x.mid())
    rest = x - flint.arb(hi)
    lo = float(rest.mid())
    return hi, lo, ball_upper((rest - flint.arb(lo)).abs_upper())


class _Mat:
    """A real matrix enclosure: ``hi + lo`` within ``rad`` entrywise (numpy float64 arrays)."""

    def __init__(self, hi: np.ndarray, lo: np.ndarray, rad: np.ndarray):
        self.hi, self.lo, self.rad = hi, lo, rad

    @property
    def T(self) -> "_Mat":
        return _Mat(self.hi.T, self.lo.T, self.rad.T)

    def __neg__(self) -> "_Mat":
        return _Mat(-self.hi, -self.lo, self.rad)


def _block(rows: list) -> _Mat:
    return _Mat(np.block([[m.hi for m in r] for r in rows]), np.block([[m.lo for m in r] for r in rows]),
                np.block([[m.rad for m in r] for r in rows]))


@functools.lru_cache(maxsize=64)
def _factor(kind: str, n: int) -> tuple:
    """``(Re, Im)`` enclosures of the ``n × n`` forward factor of a transform (Im None: real)."""
    import flint


    if n > MAX_AXIS:
        raise PreconditionError(f"enclose: a transform axis of length {n} > {MAX_AXIS} (dense factor)",
                                hypothesis="supported layer")
    j = np.arange(n)
    with precision(prec=192):
        inv_sqrt = flint.arb(n).rsqrt()
        if kind == "fourier":
            # F[j, k] = exp(−2πi jk/n)/√n; the value depends on m = jk mod n only
            cos_v = np.zeros((n, 3))
            sin_v = np.zeros((n, 3))
            for m in range(n):
                sn, cs = flint.arb.sin_cos_pi_fmpq(flint.fmpq(2 * m, n))
                cos_v[m] = _ball(cs * inv_sqrt)
                sin_v[m] = _ball(-(sn * inv_sqrt))
            idx = np.outer(j, j) % n
            return (_Mat(cos_v[idx, 0], cos_v[idx, 1], cos_v[idx, 2]),
                    _Mat(sin_v[idx, 0], sin_v[idx, 1], sin_v[idx, 2]))
        if kind == "dct":
            # C[k, j] = s_k cos(π k (2j + 1) / (2n)), s_0 = √(1/n), s_k = √(2/n)
            s1 = (flint.arb(2) / n).sqrt()
            vals = np.zeros((4 * n, 3))
            vals0 = np.zeros((4 * n, 3))
            for m in range(4 * n):
                c = flint.arb.cos_pi_fmpq(flint.fmpq(m, 2 * n))
                vals[m] = _ball(c * s1)
                vals0[m] = _ball(c * inv_sqrt)
            idx = np.outer(j, 2 * j + 1) % (4 * n)
            out = vals[idx]
            out[0] = vals0[idx[0]]
            return _Mat(out[..., 0], out[..., 1], out[..., 2]), None
        if kind == "hadamard":
            h = _ball(inv_sqrt)
            bits = np.bitwise_and.outer(j, j)
            parity = np.array([[bin(int(v)).count("1") % 2 for v in row] for row in bits]).reshape(n, n)
            sign = np.where(parity == 1, -1.0, 1.0)
            return _Mat(sign * h[0], sign * h[1], np.full((n, n), h[2])), None
    raise ValueError(kind)  # pragma: no cover - internal


def _parts(c: torch.Tensor, lo: Any, r: Any) -> list:
    if c.is_complex():
        return [(c.real, None if lo is None else lo.real, None if r is None else r.real),
                (c.imag, None if lo is None else lo.imag, None if r is None else r.imag)]
    return [(c, lo, r)]


def _join(parts: list) -> Triple:
    if len(parts) == 1:
        return parts[0]
    (c0, l0, r0), (c1, l1, r1) = parts

    def cx(a: Any, b: Any, like: torch.Tensor) -> Any:
        if a is None and b is None:
            return None
        a = torch.zeros_like(like) if a is None else a
        b = torch.zeros_like(like) if b is None else b
        return torch.complex(a.contiguous(), b.contiguous())

    return torch.complex(c0.contiguous(), c1.contiguous()), cx(l0, l1, c0), cx(r0, r1, c0)


def _cat(ts: list, like: list, axis: int) -> Any:
    if all(t is None for t in ts):
        return None
    return torch.cat([t if t is not None else torch.zeros_like(x) for t, x in zip(ts, like)], axis)


def apply_along(c: torch.Tensor, lo: Any, r: Any, M: tuple, axis: int, *, adjoint: bool,
                tight: bool = True) -> Triple:
    """Enclose ``M`` (``adjoint``: ``M^*``) applied along ``axis``; ``M = (Re, Im)`` (:class:`_Mat`,
    ``Im`` None for a real matrix)."""
    dev = c.device
    re, im = M
    if adjoint:
        re = re.T
        im = None if im is None else -(im.T)

    def tens(m: _Mat) -> tuple:
        t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64, device=dev)  # noqa: E731
        return t(m.hi), (t(m.lo) if np.any(m.lo) else None), (t(m.rad) if np.any(m.rad) else None)

    parts = _parts(c, lo, r)
    if im is None:  # a real matrix: each part separately
        Mh, Ml, Mr = tens(re)
        return _join([apply_matrix(pc, pl, pr, Mh, Ml, Mr, axis, tight) for pc, pl, pr in parts])
    p = re.hi.shape[0]
    if len(parts) == 1:  # complex matrix, real data: rows [Re; Im]
        big = _Mat(np.concatenate([re.hi, im.hi]), np.concatenate([re.lo, im.lo]),
                   np.concatenate([re.rad, im.rad]))
        v, vl, vr = parts[0]
    else:  # [[Re, −Im], [Im, Re]] acting on [vr; vi]
        big = _block([[re, -im], [im, re]])
        (c0, l0, r0), (c1, l1, r1) = parts
        v = torch.cat([c0, c1], axis)
        vl = _cat([l0, l1], [c0, c1], axis)
        vr = _cat([r0, r1], [c0, c1], axis)
    Mh, Ml, Mr = tens(big)
    oc, ol, orr = apply_matrix(v, vl, vr, Mh, Ml, Mr, axis, tight)
    sl = lambda t, a, b: None if t is None else t.narrow(axis, a, b)  # noqa: E731
    return _join([(sl(oc, 0, p), sl(ol, 0, p), sl(orr, 0, p)), (sl(oc, p, p), sl(ol, p, p), sl(orr, p, p))])


def _kind(op: Any) -> str:
    # exact types only: a user's subclass may redefine the transform the dense factors rebuild
    if type(op) in (SubsampledFourier, CenteredSubsampledFourier):
        return "fourier"
    if type(op) is SubsampledDCT:
        return "dct"
    if type(op) is SubsampledWalshHadamard:
        return "hadamard"
    return ""


def _transform(op: Any, c: torch.Tensor, lo: Any, r: Any, *, adjoint: bool, tight: bool) -> Triple:
    kind = _kind(op)
    shape = tuple(op.in_shape)
    k = len(shape)
    for j in range(k):  # axes −1, then −2 (the factors act on different axes and commute)
        axis = c.dim() - 1 - j
        n = int(shape[k - 1 - j])
        c, lo, r = apply_along(c, lo, r, _factor(kind, n), axis, adjoint=adjoint, tight=tight)
    return c, lo, r


def enclose_operator(op: Any, c: torch.Tensor, lo: Any, r: Any, *, adjoint: bool, tight: bool = True
                     ) -> Triple:
    """Enclose ``A x`` (``adjoint=False``, ``c`` of shape ``(B, *A.in_shape)``) or ``A^* y``
    (``adjoint=True``, ``(B, *A.out_shape)``) for theorycheck's operators; returns
    ``(centre, low part or None, radius)``.

    Supported: ``MatrixOperator``, ``ReshapedMatrixOperator``, ``SubsampledFourier`` (unshifted or
    centred), ``SubsampledDCT``, ``SubsampledWalshHadamard`` (these exact types), ``AdjointOperator``
    and ``ComposedOperator`` of these. Others (wavelets, Radon, user subclasses) raise :class:`PreconditionError`.
    """

    if isinstance(op, AdjointOperator):
        return enclose_operator(op.op, c, lo, r, adjoint=not adjoint, tight=tight)
    if isinstance(op, ComposedOperator):
        first, second = (op.outer, op.inner) if adjoint else (op.inner, op.outer)
        c, lo, r = enclose_operator(first, c, lo, r, adjoint=adjoint, tight=tight)
        return enclose_operator(second, c, lo, r, adjoint=adjoint, tight=tight)
    B = int(c.shape[0])
    if type(op) in (MatrixOperator, ReshapedMatrixOperator):  # exact types: a subclass may act otherwise
        A = np.asarray(op.matrix)
        z = np.zeros(A.shape)
        M: tuple[_Mat, _Mat | None]
        if A.dtype.kind == "c":
            M = (_Mat(A.real.astype(np.float64), z, z), _Mat(A.imag.astype(np.float64), z, z))
        else:
            M = (_Mat(A.astype(np.float64), z, z), None)
        flat = lambda t: None if t is None else t.reshape((B, -1))  # noqa: E731
        oc, ol, orr = apply_along(c.reshape((B, -1)), flat(lo), flat(r), M, 1, adjoint=adjoint, tight=tight)
        out_shape = (B,) + tuple(op.in_shape if adjoint else op.out_shape)
        shp = lambda t: None if t is None else t.reshape(out_shape)  # noqa: E731
        return shp(oc), shp(ol), shp(orr)
    kind = _kind(op)
    if not kind:
        why = (" (a subclass of the centred Fourier transform: only SubsampledFourier(mask, centered=True) "
               "itself is enclosed)" if getattr(op, "centered", False) is True else "")
        raise PreconditionError(f"enclose: no rigorous enclosure for the operator {type(op).__name__}{why}",
                                hypothesis="supported layer")
    # a centred Fourier transform is fftshift ∘ F ∘ ifftshift (over the signal axes): the shifts
    # are exact permutations, applied alike to centre, low part and radius, so the unshifted
    # transform's enclosure carries over (``op._idx`` refuses centred operators on purpose)
    centered = type(op) is CenteredSubsampledFourier
    samples = op._samples if centered else op._idx
    idx = torch.as_tensor(np.asarray(samples), device=c.device)
    N = int(np.prod(op.in_shape))
    dims = tuple(range(-len(op.in_shape), 0))

    def shift(t3: Triple, inverse: bool) -> Triple:
        if not centered:
            return t3
        f = torch.fft.ifftshift if inverse else torch.fft.fftshift
        return tuple(None if t is None else f(t, dim=dims) for t in t3)

    if kind == "fourier" and not c.is_complex():
        c = c.to(torch.complex128)
        lo = None if lo is None else lo.to(torch.complex128)
        r = None if r is None else r.to(torch.complex128)
    if adjoint:
        def fill(t: Any) -> Any:
            if t is None:
                return None
            z = torch.zeros((B, N), dtype=t.dtype, device=t.device)
            z[:, idx] = t
            return z.reshape((B,) + tuple(op.in_shape))
        zc, zl, zr = shift((fill(c), fill(lo), fill(r)), inverse=True)
        return shift(_transform(op, zc, zl, zr, adjoint=True, tight=tight), inverse=False)
    c, lo, r = shift((c, lo, r), inverse=True)
    tc, tl, tr = shift(_transform(op, c, lo, r, adjoint=False, tight=tight), inverse=False)
    pick = lambda t: None if t is None else t.reshape((B, N))[:, idx]  # noqa: E731
    return pick(tc), pick(tl), pick(tr)
