"""Rules for the linear maps of the interval interpreter (private): convolutions, matrix
products, batch normalisation and interpolation, in their fast (Higham's bound) and tight
(double-double centre, Ozaki's error-free splits) forms; see :mod:`theorycheck.nets.enclosure`.

Theorem: Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1; Ozaki, Ogita, Oishi
and Rump, "Error-free transformations of matrix multiplication by using fast routines of
matrix multiplication and its applications", Numer. Algorithms 59 (2012).
Rigor: proven, under the assumptions listed in :mod:`theorycheck.nets.enclosure`.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable

import torch

from theorycheck.nets import _enclosure_arith as ar
from theorycheck.nets._enclosure_ops import (
    PLAIN_CONV,
    Iv,
    Poison,
    Run,
    aten,
    collapse,
    real_operand,
    register,
)
from theorycheck.numerics.exact import ball_upper
from theorycheck.numerics.precision import precision


# -- bilinear maps --------------------------------------------------------------------------------
def _operands(run: Run, *xs: Any) -> tuple:
    dev = run.device_of(*xs)
    out = []
    for x in xs:
        c, r = run.ival(x, dev)
        if c.is_complex():
            raise run.refuse("a complex matrix product or convolution")
        out.append((c, r))
    return tuple(out)


def _abs_cache(run: Run, originals: dict) -> Callable:
    """``|t|``, ``Σ|t|`` of an operand, cached when it is the conversion of a parameter or buffer."""
    keep = {k for k, v in originals.items() if not isinstance(v, Iv) and id(v) in run.persistent}

    def f(t: torch.Tensor) -> tuple[torch.Tensor, float]:
        return run.absolute(t, persistent=id(t) in keep)
    return f


def _dd_weight(run: Run, spec: ar.LinearSpec, key: tuple, original: Any, bh: torch.Tensor,
               bl: torch.Tensor | None = None) -> dict:
    """The split weight of a tight linear map, cached for parameters and buffers."""
    persistent = not isinstance(original, Iv) and id(original) in run.persistent
    ck = ("ddw", id(original)) + key
    if persistent:
        hit = run.cache.get(ck)
        if hit is not None and hit[0] is original:
            return hit[1]
    W = ar.prepare_weight(spec, bh, bl)
    if persistent:
        run.cache[ck] = (original, W)
    return W


#: a layer uses the float64 rule once max(radius) ≥ TIGHT_SWITCH·γ_{n+1}·max|centre| at its input
TIGHT_SWITCH = 0.15


def _tight_operands(run: Run, x: Any, w: Any, bias: Any, n: int | None = None) -> tuple | None:
    """``(ah, al, ar)``, ``bh``, exact bias centre — or None when the tight path does not apply
    (the weight or the bias carries a radius, complex data, tight mode off)."""
    if not run.tight:
        return None
    dev = run.device_of(x, w)
    ah, al, ar_ = run.ival_dd(x, dev)
    if ah.is_complex():
        return None
    if ar_ is not None and n is not None:
        # the incoming radius already exceeds the float64 rule's rounding term several times over:
        # a double-double centre would not narrow the result (both rules are rigorous)
        top = float(ah.abs().max()) if ah.numel() else 0.0
        if top > 0 and float(ar_.max()) >= TIGHT_SWITCH * ar.gamma(n + 1) * top:
            run.used.add("tight-switched")
            return None
    if isinstance(w, Iv) and (w.r is not None or w.lo is not None):
        return None
    bh = run.ival(w, dev)[0]
    if bh.is_complex():
        return None
    bc = None
    if bias is not None:
        if isinstance(bias, Iv) and (bias.r is not None or bias.lo is not None):
            return None
        bc = run.ival(bias, dev)[0]
        if bc.is_complex():
            return None
    return (ah, al, ar_), bh, bc


def _conv_spec(stride: Any, padding: Any, dilation: Any, transposed: bool, out_pad: Any, groups: int,
               W: torch.Tensor, nd: int, n: int) -> ar.LinearSpec:
    G = groups
    conv = aten.convolution.default

    def op(a: torch.Tensor, wt: torch.Tensor) -> torch.Tensor:
        return conv(a, wt, None, stride, padding, dilation, transposed, out_pad, G)

    def op_cat(a1: torch.Tensor, m: torch.Tensor, Wd: dict) -> torch.Tensor:
        # two n-term convolutions and one addition (each term: ≤ n + 1 roundings ≤ γ_{2n+1});
        # torch's float64 im2col convolution slows down more than linearly with the channel count
        T = conv(a1, Wd["B2p"], None, stride, padding, dilation, transposed, out_pad, G)
        return T.add_(conv(m, Wd["bh"], None, stride, padding, dilation, transposed, out_pad, G))

    def amax_a(t: torch.Tensor) -> torch.Tensor:
        return t.amax(dim=tuple(range(1, t.dim())), keepdim=True)

    def amin_a(t: torch.Tensor) -> torch.Tensor:
        return t.amin(dim=tuple(range(1, t.dim())), keepdim=True)

    Cout = int(W.shape[1]) * G if transposed else int(W.shape[0])

    def amax_b(t: torch.Tensor) -> torch.Tensor:
        if not transposed:
            return t.amax(dim=tuple(range(1, t.dim())), keepdim=True)
        ks = tuple(t.shape[2:])
        v = t.reshape((G, -1, t.shape[1]) + ks)
        mx = v.amax(dim=(1,) + tuple(range(3, v.dim())), keepdim=True)
        return mx.expand_as(v).reshape(t.shape)

    def out_b(t: torch.Tensor) -> torch.Tensor:
        if not transposed:
            vec = t.reshape(Cout)
        else:
            ks = tuple(t.shape[2:])
            v = t.reshape((G, -1, t.shape[1]) + ks)
            vec = v[:, 0].reshape(G, t.shape[1], -1)[:, :, 0].reshape(Cout)
        return vec.reshape((1, Cout) + (1,) * (nd - 2))

    ksz = tuple(int(v) for v in W.shape[2:])

    def box(t: torch.Tensor) -> torch.Tensor:
        # Σ over each receptive field of t ≥ 0: channel sums per group, then a one-channel conv of ones
        N = t.shape[0]
        sp = tuple(t.shape[2:])
        csum = t.reshape((N, G, -1) + sp).sum(2)
        ones = torch.ones(((G, 1) if not transposed else (G, 1)) + ksz, dtype=t.dtype, device=t.device)
        out = conv(csum, ones, None, stride, padding, dilation, transposed, out_pad, G)
        return out if G == 1 else out.repeat_interleave(Cout // G, dim=1)

    def bias_shape(t: torch.Tensor) -> torch.Tensor:
        return t.reshape((1, -1) + (1,) * (nd - 2))

    return ar.LinearSpec(n=n, op=op, op_cat=op_cat, amax_a=amax_a, amax_b=amax_b, out_b=out_b, box=box,
                         bias_shape=bias_shape, amin_a=amin_a,
                         op32=_slow_conv32(stride, padding, dilation, transposed, out_pad, G, nd)
                         if W.device.type == "cpu" else None)


def _slow_conv32(stride: Any, padding: Any, dilation: Any, transposed: bool, out_pad: Any, groups: int,
                 nd: int) -> Callable | None:
    """A float32 convolution through torch's im2col + GEMM kernels (``thnn``/``slow_conv*``: plain
    sums of products, never oneDNN, Winograd or FFT), or None where there is none (groups, CUDA)."""
    if groups != 1 or nd not in (3, 4, 5):
        return None
    st, pd, dl, op_ = list(stride), list(padding), list(dilation), list(out_pad)

    def f(a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        if a.device.type != "cpu":
            raise RuntimeError("float32 radius convolution on CPU only")
        if nd == 3:  # 1-D: as 2-D with a unit axis
            out = f2(a.unsqueeze(2), w.unsqueeze(2), [1] + st, [0] + pd, [1] + dl, [0] + op_)
            return out.squeeze(2)
        return f2(a, w, st, pd, dl, op_)

    def f2(a: torch.Tensor, w: torch.Tensor, st: list, pd: list, dl: list, op_: list) -> torch.Tensor:
        ks = list(w.shape[2:])
        if len(ks) == 2:
            if transposed:
                return aten.slow_conv_transpose2d(a, w, ks, None, st, pd, op_, dl)
            if all(d == 1 for d in dl):
                return aten.thnn_conv2d(a, w, ks, None, st, pd)
            return aten.slow_conv_dilated2d(a, w, ks, None, st, pd, dl)
        if transposed:
            return aten.slow_conv_transpose3d(a, w, ks, None, st, pd, op_, dl)
        if all(d == 1 for d in dl):
            return aten.slow_conv3d(a, w, ks, None, st, pd)
        return aten.slow_conv_dilated3d(a, w, ks, None, st, pd, dl)

    return f


def _matmul_spec(n: int) -> ar.LinearSpec:
    def op_cat(a1: torch.Tensor, m: torch.Tensor, Wd: dict) -> torch.Tensor:
        bc = Wd.get("Bcat")
        if bc is None:
            bc = Wd["Bcat"] = torch.cat([Wd["B2p"], Wd["bh"]], -2)
        return torch.matmul(torch.cat([a1, m], -1), bc)

    return ar.LinearSpec(
        n=n, op=torch.matmul, op_cat=op_cat,
        amax_a=lambda t: t.amax(dim=-1, keepdim=True),
        amin_a=lambda t: t.amin(dim=-1, keepdim=True),
        amax_b=lambda t: t.amax(dim=-2, keepdim=True),
        out_b=lambda t: t,
        box=lambda t: t.sum(dim=-1, keepdim=True))


@register("convolution")
def _convolution(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x, w, bias = b["input"], b["weight"], b["bias"]
    stride, padding, dilation = b["stride"], b["padding"], b["dilation"]
    transposed, out_pad, groups = bool(b["transposed"]), b["output_padding"], int(b["groups"])
    dev = run.device_of(x, w)
    # centres only (no rounding of double-double centres yet): shapes, dtypes, the algorithm check
    xc = x.c if isinstance(x, Iv) else run.ival(x, dev)[0]
    W = w.c if isinstance(w, Iv) else run.ival(w, dev)[0]
    if xc.is_complex() or W.is_complex():
        raise run.refuse("a complex convolution")
    ck = ("conv_checked", tuple(xc.shape), tuple(W.shape), transposed, str(stride), str(padding),
          str(dilation), groups, str(xc.device), bias is None)
    if not run.cache.get(ck):
        bc0 = None if bias is None else (bias.c if isinstance(bias, Iv) else run.ival(bias, dev)[0])
        backend = torch._C._select_conv_backend(xc, W, bc0,
                                                list(stride), list(padding), list(dilation), transposed,
                                                list(out_pad), groups, None)
        name = str(backend).split(".")[-1]
        if name not in PLAIN_CONV:
            raise run.refuse(f"convolution backend {name}",
                             "only plain sum-of-products algorithms have Higham's bound (not Winograd/FFT/"
                             "cuDNN): run the enclosure on the CPU")
        run.cache[ck] = True
    ksize = 1
    for sz in W.shape[2:]:
        ksize *= int(sz)
    n = max((int(W.shape[0]) // groups if transposed else int(W.shape[1])) * ksize, 1)
    nd = xc.dim()
    tight = _tight_operands(run, x, w, bias, n)
    if tight is not None:
        spec = _conv_spec(stride, padding, dilation, transposed, out_pad, groups, W, nd, n)
        Wd = _dd_weight(run, spec, ("conv", transposed, groups), w, tight[1])
        res = ar.dd_bilinear(spec, Wd, tight[0], tight[2])
        if res is not None:
            h, lo, r = res
            return run.wrap(h, r, (x, w, bias), lo=lo)
        run.used.add("tight-fallback")
    (A, B) = _operands(run, x, w)
    bias_iv = _operands(run, bias)[0] if bias is not None else None
    W = B[0]

    def op(a: torch.Tensor, wt: torch.Tensor) -> torch.Tensor:
        return aten.convolution.default(a, wt, None, stride, padding, dilation, transposed, out_pad, groups)

    bc = None if bias_iv is None else bias_iv[0]

    def center_op(a: torch.Tensor, wt: torch.Tensor) -> torch.Tensor:
        return aten.convolution.default(a, wt, bc, stride, padding, dilation, transposed, out_pad, groups)

    def bshape(t: torch.Tensor) -> torch.Tensor:
        return t.reshape((1, -1) + (1,) * (nd - 2))

    originals = {id(B[0]): w}
    radius_op = None
    if B[1] is None:
        spec = _conv_spec(stride, padding, dilation, transposed, out_pad, groups, W, nd, n)
        if spec.op32 is not None and A[0].device.type == "cpu":
            w32, wsc = _f32_weight(run, w, B[0])
            radius_op = lambda s_: ar.radius_f32(spec.op32, s_, spec.amax_a, w32, wsc, n,  # noqa: E731
                                                 inplace_s=True)
    c, r = ar.bilinear(op, center_op, A, B, n, bias_iv, bshape, _abs_cache(run, originals), radius_op)
    return run.wrap(c, r, (x, w, bias))


def _f32_weight(run: Run, original: Any, W: torch.Tensor) -> tuple[torch.Tensor, float]:
    """``|W|/2^e`` rounded up to float32 and the power of two ``2^e ≥ max|W|/2`` (``e ≤ 1023``: finite;
    cached for parameters)."""
    persistent = not isinstance(original, Iv) and id(original) in run.persistent
    key = ("f32w", id(original))
    if persistent:
        hit = run.cache.get(key)
        if hit is not None and hit[0] is original:
            return hit[1]
    absW = W.abs()
    top = float(absW.max()) if absW.numel() else 0.0
    wsc = ar.pow2_float(top)
    out = (ar.f32_up(absW / wsc), wsc)
    if persistent:
        run.cache[key] = (original, out)
    return out


@register("mm", "bmm", "addmm", "mv", "dot", "baddbmm", "addmv", "addbmm")
def _matmul(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    name = func.overloadpacket.__name__
    if b.get("beta", 1) != 1 or b.get("alpha", 1) != 1:
        raise run.refuse(f"{func} with beta/alpha ≠ 1")
    if name in ("addmm", "addmv", "baddbmm", "addbmm"):
        bias = b["self"]
        m1, m2 = (b["mat1"], b["mat2"]) if name == "addmm" else (b["mat"], b["vec"]) if name == "addmv" \
            else (b["batch1"], b["batch2"])
    else:
        bias = None
        m1, m2 = b["self"], b.get("mat2", b.get("vec", b.get("tensor")))
    if name == "addbmm":
        raise run.refuse(f"{func}")
    if name in ("mm", "addmm", "bmm", "baddbmm"):
        tight = _tight_operands(run, m1, m2, bias, int(run.ival(m1, run.device_of(m1))[0].shape[-1]))
        if tight is not None:
            n = max(int(tight[0][0].shape[-1]), 1)
            spec = _matmul_spec(n)
            Wd = _dd_weight(run, spec, ("mm",), m2, tight[1])
            res = ar.dd_bilinear(spec, Wd, tight[0], tight[2])
            if res is not None:
                h, lo, r = res
                return run.wrap(h, r, (m1, m2, bias), lo=lo)
            run.used.add("tight-fallback")
    A, B = _operands(run, m1, m2)
    bias_iv = _operands(run, bias)[0] if bias is not None else None
    n = max(int(A[0].shape[-1]), 1)
    bc = None if bias_iv is None else bias_iv[0]

    def center_op(a: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        if bc is None:
            return torch.matmul(a, m)
        if name == "addmm":
            return torch.addmm(bc, a, m)
        if name == "addmv":
            return torch.addmv(bc, a, m)
        return torch.baddbmm(bc, a, m)

    originals = {id(B[0]): m2, id(A[0]): m1}
    c, r = ar.bilinear(torch.matmul, center_op, A, B, n, bias_iv, None, _abs_cache(run, originals))
    return run.wrap(c, r, (m1, m2, bias))


# -- batch normalisation ----------------------------------------------------------------------------
def _bn_coefficients(run: Run, weight: Any, bias: Any, mean: Any, var: Any, eps: float, dev: Any
                     ) -> tuple[torch.Tensor, ...]:
    """``s = γ/√(var + eps)``, ``t = β − μ·s`` per channel, as float64 centres and radii (arb balls)."""
    import flint


    key = ("bn", id(weight), id(bias), id(mean), id(var), float(eps))
    hit = run.cache.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], (weight, bias, mean, var))):
        return hit[1]
    vals: list[Any] = []
    for t in (weight, bias, mean, var):
        if t is None:
            vals.append(None)
            continue
        if isinstance(t, Iv):
            if t.r is not None or t.lo is not None:  # (a double-double centre is not one float)
                raise run.refuse("batch norm with computed statistics")
            t = t.c
        vals.append(run.const(t, torch.device("cpu")).reshape(-1).tolist())
    C = len(vals[2])
    w = vals[0] or [1.0] * C
    bb = vals[1] or [0.0] * C
    sc: list[float] = []
    sr: list[float] = []
    tc: list[float] = []
    tr: list[float] = []
    with precision(prec=160):
        e = flint.arb(float(eps))
        for i in range(C):
            v = flint.arb(vals[3][i]) + e
            if not v > 0:
                raise run.refuse("batch norm with running_var + eps ≤ 0")
            s = flint.arb(w[i]) / v.sqrt()
            t = flint.arb(bb[i]) - flint.arb(vals[2][i]) * s
            for ball, cs, rs in ((s, sc, sr), (t, tc, tr)):
                mid = float(ball.mid())
                cs.append(mid)
                rs.append(ball_upper((ball - flint.arb(mid)).abs_upper()))
    out = tuple(torch.tensor(v, dtype=torch.float64, device=dev) for v in (sc, sr, tc, tr))
    run.cache[key] = ((weight, bias, mean, var), out)
    return out


@register("native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training",
           "batch_norm", "_batch_norm_impl_index", "_batch_norm_no_update")
def _batch_norm(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    name = func.overloadpacket.__name__
    training = bool(b.get("training", False)) if name != "_native_batch_norm_legit_no_training" else False
    mean, var = b.get("running_mean"), b.get("running_var")
    if training or mean is None or var is None:
        raise run.refuse("batch normalisation with batch statistics (training mode)",
                         "put the model in eval mode: batch statistics make the output depend on the "
                         "whole batch")
    x = b["input"]
    c, r = real_operand(run, x, "batch norm")
    sc, sr, tc, tr = _bn_coefficients(run, b.get("weight"), b.get("bias"), mean, var, float(b["eps"]),
                                      c.device)
    shape = (1, -1) + (1,) * (c.dim() - 2)
    out_c, out_r = ar.affine(c, r, s=sc.reshape(shape), s_r=sr.reshape(shape), t=tc.reshape(shape),
                             t_r=tr.reshape(shape))
    out = run.wrap(out_c, out_r, (x,))
    if name in ("native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training"):
        empty = torch.empty(0, dtype=torch.float64, device=c.device)
        return (out, Poison(empty, "batch-norm statistics"), Poison(empty, "batch-norm statistics"))
    if name == "_batch_norm_impl_index":
        raise run.refuse(f"{func}")
    return out


# -- interpolation ------------------------------------------------------------------------------------
def _linear_weights(n_in: int, n_out: int, align_corners: bool, scale: float | None
                    ) -> tuple[list[list[Fraction]], None]:
    """Exact interpolation matrix (``n_out × n_in``) of torch's linear interpolation along one axis,
    with the exact rational coordinate map (``scale`` = the exact ratio, or ``1/scale_factor``)."""
    M = [[Fraction(0)] * n_in for _ in range(n_out)]
    if n_in == n_out:
        for i in range(n_out):
            M[i][i] = Fraction(1)
        return M, None
    if align_corners:
        sc = Fraction(n_in - 1, n_out - 1) if n_out > 1 else Fraction(0)
    elif scale is not None and scale > 0:
        sc = 1 / Fraction(scale)
    else:
        sc = Fraction(n_in, n_out)
    for d in range(n_out):
        src = sc * d if align_corners else sc * (d + Fraction(1, 2)) - Fraction(1, 2)
        if src < 0:
            src = Fraction(0)
        i0 = min(math.floor(src), n_in - 1)
        off = 1 if i0 < n_in - 1 else 0
        lam1 = min(max(src - i0, Fraction(0)), Fraction(1))
        M[d][i0] += 1 - lam1
        M[d][i0 + off] += lam1
    return M, None


def _fraction_matrix(M: list[list[Fraction]], dev: Any
                     ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """Float64 double-double centres ``hi + lo`` and radii of an exact rational matrix."""
    import numpy as np

    rows, cols = len(M), len(M[0]) if M else 0
    hi = np.zeros((rows, cols))
    lo = np.zeros((rows, cols))
    rad = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            q = M[i][j]
            h = float(q)  # correctly rounded
            rest = q - Fraction(h)
            lv = float(rest)
            err = abs(rest - Fraction(lv))
            hi[i, j] = h
            lo[i, j] = lv
            if err:
                e = float(err)
                rad[i, j] = e if Fraction(e) >= err else float(np.nextafter(e, np.inf))
    t = lambda a: torch.tensor(a, dtype=torch.float64, device=dev)  # noqa: E731
    return t(hi), (t(lo) if lo.any() else None), (t(rad) if rad.any() else None)


def apply_matrix(c: torch.Tensor, lo: torch.Tensor | None, r: torch.Tensor | None, Mc: torch.Tensor,
                 Ml: torch.Tensor | None, Mr: torch.Tensor | None, axis: int, tight: bool = True
                 ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """Enclose ``M`` applied along ``axis`` of a real interval with centre ``c + lo``, where the
    exact matrix is within ``Mr`` of ``Mc + Ml`` entrywise. Returns ``(c, lo, r)``."""
    ct = c.movedim(axis, -1)
    lt = None if lo is None else lo.movedim(axis, -1)
    rt = None if r is None else r.movedim(axis, -1)
    n = max(int(Mc.shape[1]), 1)
    MT = Mc.t().contiguous()
    if tight:
        spec = _matmul_spec(n)
        W = ar.prepare_weight(spec, MT, None if Ml is None else Ml.t().contiguous(),
                              None if Mr is None else Mr.t().contiguous())
        res = ar.dd_bilinear(spec, W, (ct, lt, rt), None)
        if res is not None:
            h, low, rr = res
            return h.movedim(-1, axis).contiguous(), low.movedim(-1, axis).contiguous(), \
                rr.movedim(-1, axis).contiguous()
    if lt is not None:
        ct, rt = collapse(ct, lt, rt)
    # plain: the matrix Mc + Ml is rounded into Mc with its rounding added to Mr
    if Ml is not None:
        Mc2, Mr2 = collapse(Mc, Ml, Mr)
        MT = Mc2.t().contiguous()
        Mr = Mr2
    MrT = None if Mr is None else Mr.t().contiguous()
    oc, orr = ar.bilinear(torch.matmul, torch.matmul, (ct, rt), (MT, MrT), n)
    return oc.movedim(-1, axis).contiguous(), None, orr.movedim(-1, axis).contiguous()


@register("upsample_bilinear2d", "upsample_linear1d")
def _upsample_linear(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x = args[0]
    c, lo, r = run.ival_dd(x, run.device_of(x))
    if c.is_complex():
        raise run.refuse("interpolation of a complex interval")
    k = 2 if func.overloadpacket.__name__ == "upsample_bilinear2d" else 1
    align = bool(b["align_corners"])
    in_sizes = [int(s) for s in c.shape[-k:]]
    if func._overloadname == "vec":
        osz, sf = b.get("output_size"), b.get("scale_factors")
        scales = list(sf) if sf is not None else [None] * k
        if osz is None:
            if any(v is None for v in scales):
                raise run.refuse(f"{func} without output size or scale factors")
            osz = [int(i * float(v)) for i, v in zip(in_sizes, scales) if v is not None]
    else:
        osz = b["output_size"]
        scales = [b.get("scales_h"), b.get("scales_w")] if k == 2 else [b.get("scales")]
    out_c, out_l, out_r = c, lo, r
    for j in range(k):
        axis = c.dim() - k + j
        M, _ = _linear_weights(in_sizes[j], int(osz[j]), align, scales[j])
        key = ("interp", in_sizes[j], int(osz[j]), align, scales[j], str(c.device))
        mats = run.cache.get(key)
        if mats is None:
            mats = _fraction_matrix(M, c.device)
            run.cache[key] = mats
        out_c, out_l, out_r = apply_matrix(out_c, out_l, out_r, mats[0], mats[1], mats[2], axis, run.tight)
    return run.wrap(out_c, out_r, (x,), lo=out_l)
