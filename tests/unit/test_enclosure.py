"""Enclosures of a network's exact real-arithmetic output (theorycheck.nets.enclosure).

Ground truth: an independent evaluator in python-flint ``arb`` balls at 300 bits
(:class:`Ref`), written from the layers' definitions with explicit loops — float
weights and inputs are exact in ``arb``, so its balls (radius ~1e-80) contain the
exact real output; an enclosure must contain every ball entirely (decided by arb
comparisons). Widths are checked too, so an enclosure that is valid but useless fails.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import flint
import numpy as np
import pytest
import torch
from torch import nn

from theorycheck.errors import InsufficientPrecision, InvalidArgument, PreconditionError
from theorycheck.nets.enclosure import Encloser, Enclosure, enclose, lower_bound_ratio
from theorycheck.numerics.precision import precision

torch.set_num_threads(1)
MODES = [True, False]  # tight (double-double) and fast


# ---------------------------------------------------------------------------------------------
# the reference: arb balls at 300 bits
# ---------------------------------------------------------------------------------------------
def arb_array(t) -> np.ndarray:
    a = t.detach().to(torch.float64).numpy() if isinstance(t, torch.Tensor) else np.asarray(t, dtype=np.float64)
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = flint.arb(float(a[idx]))
    return out


def zeros(shape) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        out[idx] = flint.arb(0)
    return out


def amax(a, b):
    return a.max(b)


def contained(enc: Enclosure, ref: np.ndarray, real_ref: np.ndarray | None = None) -> list:
    """Indices where an arb ball is not inside the enclosure (empty: all contained)."""
    c = enc.center.numpy()
    bad = []
    if enc.is_complex:
        rr, ri = enc.radius_real.numpy(), enc.radius_imag.numpy()
        for idx in np.ndindex(c.shape):
            re, im = ref[idx]
            if not ((re - flint.arb(float(c[idx].real))).abs_upper() <= flint.arb(float(rr[idx]))
                    and (im - flint.arb(float(c[idx].imag))).abs_upper() <= flint.arb(float(ri[idx]))):
                bad.append(idx)
        return bad
    r = enc.radius.numpy()
    assert ref.shape == c.shape, (ref.shape, c.shape)
    for idx in np.ndindex(c.shape):
        if not ((ref[idx] - flint.arb(float(c[idx]))).abs_upper() <= flint.arb(float(r[idx]))):
            bad.append(idx)
    return bad


def rel_width(enc: Enclosure) -> float:
    return enc.max_radius / max(float(enc.center.abs().max()), 1e-300)


def check(model, x, ref_fn, *, tight_width=1e-12, fast_width=1e-9, modes=MODES):
    """Enclose in every mode, compare with the arb reference, check widths; return enclosures."""
    with precision(prec=300):
        ref = ref_fn(arb_array(x))
        out = []
        for tight in modes:
            enc = enclose(model, x, tight=tight)
            bad = contained(enc, ref)
            assert not bad, f"tight={tight}: exact value outside at {bad[:5]}"
            w = rel_width(enc)
            assert w <= (tight_width if tight else fast_width), (tight, w)
            out.append(enc)
    return out


# -- layer references -------------------------------------------------------------------------
def ref_linear(x, W, b):
    W = arb_array(W)
    out = x.dot(W.T)
    if b is not None:
        out = out + arb_array(b)
    return out


def ref_conv(x, W, b, stride, padding, dilation, groups):
    """N-d convolution by loops (x: (B, Cin, *sp), W: (Cout, Cin/G, *k))."""
    W = arb_array(W)
    B, Cin = x.shape[:2]
    sp = x.shape[2:]
    Cout = W.shape[0]
    k = W.shape[2:]
    d = len(sp)
    st = [stride] * d if isinstance(stride, int) else list(stride)
    pd = [padding] * d if isinstance(padding, int) else list(padding)
    dl = [dilation] * d if isinstance(dilation, int) else list(dilation)
    osz = [(sp[i] + 2 * pd[i] - dl[i] * (k[i] - 1) - 1) // st[i] + 1 for i in range(d)]
    out = zeros((B, Cout) + tuple(osz))
    cg = Cin // groups
    og = Cout // groups
    bb = arb_array(b) if b is not None else None
    for n, o in itertools.product(range(B), range(Cout)):
        g = o // og
        for pos in itertools.product(*[range(v) for v in osz]):
            acc = flint.arb(0) if bb is None else bb[o]
            for ci in range(cg):
                for kk in itertools.product(*[range(v) for v in k]):
                    src = [pos[i] * st[i] - pd[i] + kk[i] * dl[i] for i in range(d)]
                    if all(0 <= src[i] < sp[i] for i in range(d)):
                        acc = acc + W[(o, ci) + kk] * x[(n, g * cg + ci) + tuple(src)]
            out[(n, o) + pos] = acc
    return out


def ref_conv_transpose(x, W, b, stride, padding, output_padding, groups, dilation=1):
    """Transposed convolution by scattering (W: (Cin, Cout/G, *k))."""
    W = arb_array(W)
    B, Cin = x.shape[:2]
    sp = x.shape[2:]
    k = W.shape[2:]
    d = len(sp)
    st = [stride] * d if isinstance(stride, int) else list(stride)
    pd = [padding] * d if isinstance(padding, int) else list(padding)
    op = [output_padding] * d if isinstance(output_padding, int) else list(output_padding)
    dl = [dilation] * d if isinstance(dilation, int) else list(dilation)
    og = W.shape[1]
    Cout = og * groups
    cg = Cin // groups
    osz = [(sp[i] - 1) * st[i] - 2 * pd[i] + dl[i] * (k[i] - 1) + op[i] + 1 for i in range(d)]
    out = zeros((B, Cout) + tuple(osz))
    if b is not None:
        bb = arb_array(b)
        for idx in np.ndindex(out.shape):
            out[idx] = bb[idx[1]]
    for n, ci in itertools.product(range(B), range(Cin)):
        g = ci // cg
        for pos in itertools.product(*[range(v) for v in sp]):
            for oc in range(og):
                for kk in itertools.product(*[range(v) for v in k]):
                    dst = [pos[i] * st[i] - pd[i] + kk[i] * dl[i] for i in range(d)]
                    if all(0 <= dst[i] < osz[i] for i in range(d)):
                        idx = (n, g * og + oc) + tuple(dst)
                        out[idx] = out[idx] + W[(ci, oc) + kk] * x[(n, ci) + pos]
    return out


def ref_pool(x, k, stride, padding, kind, count_include_pad=True):
    d = len(k)
    sp = x.shape[2:]
    osz = [(sp[i] + 2 * padding[i] - k[i]) // stride[i] + 1 for i in range(d)]
    out = zeros(x.shape[:2] + tuple(osz))
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        for pos in itertools.product(*[range(v) for v in osz]):
            vals, cnt = [], 0
            for kk in itertools.product(*[range(v) for v in k]):
                src = [pos[i] * stride[i] - padding[i] + kk[i] for i in range(d)]
                if all(0 <= src[i] < sp[i] for i in range(d)):
                    vals.append(x[(n, c) + tuple(src)])
                    cnt += 1
                else:
                    cnt += 1 if count_include_pad else 0
            if kind == "max":
                acc = vals[0]
                for v in vals[1:]:
                    acc = amax(acc, v)
            else:
                acc = sum(vals[1:], vals[0]) / (cnt if count_include_pad else len(vals))
            out[(n, c) + pos] = acc
    return out


def interp_matrix(n_in, n_out, align, scale=None):
    """Exact linear interpolation weights (torch's formula with exact rational coordinates)."""
    M = [[Fraction(0)] * n_in for _ in range(n_out)]
    if n_in == n_out:
        for i in range(n_in):
            M[i][i] = Fraction(1)
        return M
    sc = (Fraction(n_in - 1, n_out - 1) if n_out > 1 else Fraction(0)) if align else (
        1 / Fraction(scale) if scale else Fraction(n_in, n_out))
    for dst in range(n_out):
        src = sc * dst if align else max(sc * (dst + Fraction(1, 2)) - Fraction(1, 2), Fraction(0))
        i0 = min(math.floor(src), n_in - 1)
        i1 = i0 + (1 if i0 < n_in - 1 else 0)
        lam = min(max(src - i0, Fraction(0)), Fraction(1))
        M[dst][i0] += 1 - lam
        M[dst][i1] += lam
    return M


def apply_frac(x, M, axis):
    Ma = np.empty((len(M), len(M[0])), dtype=object)
    for i, j in np.ndindex(Ma.shape):
        Ma[i, j] = flint.arb(flint.fmpq(M[i][j].numerator, M[i][j].denominator))
    xt = np.moveaxis(x, axis, -1)
    return np.moveaxis(xt.dot(Ma.T), -1, axis)


def elementwise(x, f):
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape):
        out[idx] = f(x[idx])
    return out


relu = lambda v: amax(v, flint.arb(0))  # noqa: E731


def sigmoid(v):
    if v < 0:  # exp(−v) would overflow arb's range for huge −v
        e = v.exp()
        return e / (1 + e)
    return 1 / (1 + (-v).exp())


def rng_tensor(seed, *shape, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64) * scale


def seeded(module, seed):
    torch.manual_seed(seed)
    return module


# ---------------------------------------------------------------------------------------------
# every supported layer against the reference
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_linear_and_activations(seed):
    torch.manual_seed(seed)
    lin = nn.Linear(5, 4)
    x = rng_tensor(seed, 3, 5)
    W, b = lin.weight.detach(), lin.bias.detach()
    check(lin, x, lambda a: ref_linear(a, W, b))
    acts = [
        (nn.ReLU(), relu),
        (nn.LeakyReLU(0.1), lambda v: v if v > 0 else v * flint.arb(0.1) if v < 0 else v.max(v * flint.arb(0.1))),
        (nn.Tanh(), lambda v: v.tanh()),
        (nn.Sigmoid(), sigmoid),
        (nn.ELU(0.7), lambda v: v if v > 0 else flint.arb(0.7) * v.expm1()),
        (nn.Hardtanh(-0.5, 0.5), lambda v: v.max(flint.arb(-0.5)).min(flint.arb(0.5))),
        (nn.ReLU6(), lambda v: v.max(flint.arb(0)).min(flint.arb(6))),
    ]
    for act, f in acts:
        net = nn.Sequential(lin, act)
        check(net, x, lambda a, f=f: elementwise(ref_linear(a, W, b), f), tight_width=1e-13, fast_width=1e-12)


def test_selu_and_prelu():
    torch.manual_seed(3)
    lin = nn.Linear(4, 6)
    pre = nn.PReLU(6)
    with torch.no_grad():
        pre.weight.copy_(torch.linspace(-0.5, 0.75, 6))
    x = rng_tensor(3, 4, 4)
    W, b = lin.weight.detach(), lin.bias.detach()
    alpha = arb_array(pre.weight)

    def prelu(a):
        out = ref_linear(a, W, b)
        for idx in np.ndindex(out.shape):
            v = out[idx]
            out[idx] = v if v > 0 else alpha[idx[1]] * v
        return out

    check(nn.Sequential(lin, pre), x, prelu)
    # SELU's constants are torch's float literals: the network uses those exact floats
    a_f, s_f = flint.arb(1.6732632423543772), flint.arb(1.0507009873554805)
    check(nn.Sequential(lin, nn.SELU()), x,
          lambda a: elementwise(ref_linear(a, W, b), lambda v: s_f * v if v > 0 else s_f * a_f * v.expm1()),
          tight_width=1e-13, fast_width=1e-12)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_convolutions(dims):
    torch.manual_seed(10 + dims)
    Conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[dims]
    size = {1: (9,), 2: (6, 5), 3: (4, 3, 4)}[dims]
    cases = [dict(stride=1, padding=1, dilation=1, groups=1), dict(stride=2, padding=1, dilation=2, groups=2)]
    for kw in cases:
        conv = Conv(4, 6, 3, **kw)
        x = rng_tensor(dims, 2, 4, *size)
        W, b = conv.weight.detach(), conv.bias.detach()
        check(conv, x, lambda a, W=W, b=b, kw=kw: ref_conv(a, W, b, kw["stride"], kw["padding"],
                                                           kw["dilation"], kw["groups"]))


@pytest.mark.parametrize("dims", [1, 2])
def test_transposed_convolutions(dims):
    torch.manual_seed(20 + dims)
    Conv = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d}[dims]
    size = {1: (5,), 2: (3, 4)}[dims]
    for kw in (dict(stride=2, padding=0, output_padding=0, groups=1),
               dict(stride=2, padding=1, output_padding=1, groups=2)):
        conv = Conv(4, 6, 3, **kw)
        x = rng_tensor(dims, 2, 4, *size)
        W, b = conv.weight.detach(), conv.bias.detach()
        check(conv, x, lambda a, W=W, b=b, kw=kw: ref_conv_transpose(a, W, b, kw["stride"], kw["padding"],
                                                                     kw["output_padding"], kw["groups"]))


def test_batchnorm_eval():
    torch.manual_seed(5)
    for BN, shape in ((nn.BatchNorm1d, (3, 4)), (nn.BatchNorm2d, (2, 4, 3, 3))):
        bn = BN(4).eval()
        with torch.no_grad():
            bn.running_mean.copy_(torch.randn(4))
            bn.running_var.copy_(torch.rand(4) + 0.1)
            bn.weight.copy_(torch.randn(4))
            bn.bias.copy_(torch.randn(4))
        x = rng_tensor(7, *shape)
        p = {k: arb_array(v) for k, v in bn.state_dict().items() if v.is_floating_point()}
        eps = flint.arb(bn.eps)

        def ref(a, p=p, eps=eps):
            out = np.empty(a.shape, dtype=object)
            for idx in np.ndindex(a.shape):
                c = idx[1]
                out[idx] = (a[idx] - p["running_mean"][c]) / (p["running_var"][c] + eps).sqrt() * \
                    p["weight"][c] + p["bias"][c]
            return out

        check(bn, x, ref, tight_width=1e-13, fast_width=1e-13)


def test_pooling_and_upsampling():
    x = rng_tensor(8, 2, 3, 6, 6)
    check(nn.MaxPool2d(2), x, lambda a: ref_pool(a, (2, 2), (2, 2), (0, 0), "max"))
    check(nn.MaxPool2d(3, stride=2, padding=1), x, lambda a: ref_pool(a, (3, 3), (2, 2), (1, 1), "max"))
    x1 = rng_tensor(9, 2, 3, 8)
    check(nn.MaxPool1d(2), x1, lambda a: ref_pool(a, (2,), (2,), (0,), "max"))
    check(nn.AvgPool2d(3, stride=2, padding=1), x, lambda a: ref_pool(a, (3, 3), (2, 2), (1, 1), "avg"),
          tight_width=1e-14, fast_width=1e-14)
    check(nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), x,
          lambda a: ref_pool(a, (3, 3), (2, 2), (1, 1), "avg", count_include_pad=False),
          tight_width=1e-14, fast_width=1e-14)
    # a mean of 36 values of both signs: the width is relative to a cancelled sum
    check(nn.AdaptiveAvgPool2d(1), x, lambda a: ref_pool(a, (6, 6), (6, 6), (0, 0), "avg"),
          tight_width=1e-12, fast_width=1e-12)
    check(nn.Upsample(scale_factor=2), x, lambda a: a.repeat(2, axis=2).repeat(2, axis=3),
          tight_width=0.0, fast_width=0.0)
    xs = rng_tensor(10, 1, 2, 3, 4)
    check(nn.Upsample(scale_factor=2, mode="bilinear"), xs,
          lambda a: apply_frac(apply_frac(a, interp_matrix(4, 8, False, 2.0), 3), interp_matrix(3, 6, False, 2.0), 2),
          tight_width=1e-15, fast_width=1e-14)
    check(nn.Upsample(size=(5, 7), mode="bilinear", align_corners=True), xs,
          lambda a: apply_frac(apply_frac(a, interp_matrix(4, 7, True), 3), interp_matrix(3, 5, True), 2),
          tight_width=1e-15, fast_width=1e-14)
    check(nn.Upsample(scale_factor=3, mode="linear"), rng_tensor(11, 2, 2, 4),
          lambda a: apply_frac(a, interp_matrix(4, 12, False, 3.0), 2), tight_width=1e-15, fast_width=1e-14)


class Mixed(nn.Module):
    """cat, +, −, scalar * and /, views, permute, slicing, sum/mean, in-place ReLU."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(2, 3, 3, padding=1)
        self.b = nn.Conv2d(2, 3, 1)
        self.lin = nn.Linear(2 * 3 * 4 * 4 // 4, 3)

    def forward(self, x):
        h = torch.cat([self.a(x), self.b(x)], dim=1)          # (B, 6, 4, 4)
        h = nn.functional.relu(h, inplace=True)
        h = 0.5 * h - x[:, :1] + 2 * x[:, 1:] / 4             # broadcast over channels
        h = h.permute(0, 2, 3, 1).reshape(h.shape[0], 4, 4, 6)[:, ::2, ::2]  # (B, 2, 2, 6)
        z = self.lin(h.flatten(1))
        return torch.stack([z.sum(1), z.mean(1), z[:, 0] * z[:, 1]], 1)


def test_mixed_graph():
    torch.manual_seed(2)
    net = Mixed()
    x = rng_tensor(12, 2, 2, 4, 4)
    Wa, ba = net.a.weight.detach(), net.a.bias.detach()
    Wb, bb = net.b.weight.detach(), net.b.bias.detach()
    Wl, bl = net.lin.weight.detach(), net.lin.bias.detach()

    def ref(a):
        h = np.concatenate([ref_conv(a, Wa, ba, 1, 1, 1, 1), ref_conv(a, Wb, bb, 1, 0, 1, 1)], 1)
        h = elementwise(h, relu)
        h = h * flint.arb(0.5) - a[:, :1] + flint.arb(2) * a[:, 1:] / 4
        h = h.transpose(0, 2, 3, 1).reshape(h.shape[0], 4, 4, 6)[:, ::2, ::2]
        z = ref_linear(h.reshape(h.shape[0], -1), Wl, bl)
        out = np.empty((z.shape[0], 3), dtype=object)
        for i in range(z.shape[0]):
            out[i, 0] = sum(z[i, 1:], z[i, 0])
            out[i, 1] = out[i, 0] / 3
            out[i, 2] = z[i, 0] * z[i, 1]
        return out

    check(net, x, ref, tight_width=1e-13, fast_width=1e-12)


# ---------------------------------------------------------------------------------------------
# adversarial cases
# ---------------------------------------------------------------------------------------------
def test_huge_tiny_weights_and_large_offsets():
    for scale_w, scale_x in ((1e150, 1e-150), (1e-150, 1e150), (1e-150, 1e-150), (1e100, 1e100)):
        torch.manual_seed(4)
        lin = nn.Linear(6, 5).double()
        with torch.no_grad():
            lin.weight.mul_(scale_w)
            lin.bias.mul_(scale_w * scale_x)
        x = rng_tensor(4, 2, 6, scale=scale_x)
        W, b = lin.weight.detach(), lin.bias.detach()
        net = nn.Sequential(lin, nn.ReLU())
        check(net, x, lambda a, W=W, b=b: elementwise(ref_linear(a, W, b), relu), tight_width=1e-12,
              fast_width=1e-12)
    # cancellation: a large offset removed again (b = 1e6, then −1e6), small weights
    lin1, lin2 = nn.Linear(4, 4).double(), nn.Linear(4, 3).double()
    with torch.no_grad():
        lin1.weight.mul_(1e-6)
        lin1.bias.fill_(1e6)
        lin2.bias.copy_(-lin2.weight.sum(1) * 1e6)
    x = rng_tensor(5, 3, 4)
    W1, b1, W2, b2 = (t.detach() for t in (lin1.weight, lin1.bias, lin2.weight, lin2.bias))
    # outputs are O(1e-6) after cancelling 1e6: only the absolute width is meaningful
    with precision(prec=300):
        ref = ref_linear(ref_linear(arb_array(x), W1, b1), W2, b2)
        for tight in MODES:
            enc = enclose(nn.Sequential(lin1, lin2), x, tight=tight)
            assert not contained(enc, ref)
            assert enc.max_radius < (1e-18 if tight else 1e-8)


def test_relu_kinks_exact():
    """Pre-activations exactly 0 (dyadic weights and inputs): the kink itself, both modes."""
    lin = nn.Linear(2, 3).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, -1.0], [0.5, 0.25], [-2.0, 1.0]]))
        lin.bias.copy_(torch.tensor([0.0, -0.75, 0.0]))
    x = torch.tensor([[1.0, 1.0], [2.0, -1.0], [0.5, 1.0]], dtype=torch.float64)
    W, b = lin.weight.detach(), lin.bias.detach()
    net = nn.Sequential(lin, nn.ReLU(), nn.Linear(3, 2).double())
    W2, b2 = net[2].weight.detach(), net[2].bias.detach()
    encs = check(net, x, lambda a: ref_linear(elementwise(ref_linear(a, W, b), relu), W2, b2))
    for e in encs:
        assert e.center.shape == (3, 2)


def test_deep_stack_and_subnormals():
    torch.manual_seed(6)
    layers = []
    for _ in range(20):
        layers += [nn.Linear(4, 4).double(), nn.ReLU()]
    net = nn.Sequential(*layers)
    x = rng_tensor(6, 2, 4)
    params = [(m.weight.detach(), m.bias.detach()) for m in net if isinstance(m, nn.Linear)]

    def ref(a):
        for W, b in params:
            a = elementwise(ref_linear(a, W, b), relu)
        return a

    check(net, x, ref, tight_width=1e-12, fast_width=1e-8)
    # subnormal inputs and weights
    lin = nn.Linear(3, 2).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[2.0 ** -1070, 3e-320, -1.0], [1e-310, 2.0 ** -1074, 0.5]]))
        lin.bias.copy_(torch.tensor([2.0 ** -1074, -5e-324]))
    x = torch.tensor([[1e-310, 2.0 ** -1060, 3e-322], [4e-320, 1.0, -2.0 ** -1073]], dtype=torch.float64)
    W, b = lin.weight.detach(), lin.bias.detach()
    with precision(prec=300):
        ref = elementwise(ref_linear(arb_array(x), W, b), relu)
        for tight in MODES:
            enc = enclose(nn.Sequential(lin, nn.ReLU()), x, tight=tight)
            assert not contained(enc, ref)
            assert enc.max_radius < 1e-300


def test_a_wrong_radius_is_caught():
    """The comparison can fail: a shrunken enclosure of a rounding-dominated output is rejected."""
    lin = nn.Linear(3, 2).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1e-3, 3e-3, -7e-3], [0.1, 0.2, 0.3]]))
        lin.bias.fill_(1e6)
    x = torch.tensor([[0.1, 0.7, 0.3]], dtype=torch.float64)
    with precision(prec=300):
        ref = ref_linear(arb_array(x), lin.weight.detach(), lin.bias.detach())
        enc = enclose(lin, x, tight=False)
        assert not contained(enc, ref)
        fl = lin(x).detach()
        # the float64 value itself with a zero radius misses the exact one (rounding at 1e6)
        wrong = Enclosure(fl, torch.zeros_like(fl))
        assert contained(wrong, ref)
        shrunk = Enclosure(enc.center, enc.radius * 1e-6)
        assert contained(shrunk, ref)
        assert not enc.contains(enc.center + 2 * enc.radius)
        assert enc.contains(enc.center + 0.5 * enc.radius)


# ---------------------------------------------------------------------------------------------
# reconstruction maps: operators and complex data
# ---------------------------------------------------------------------------------------------
def ref_dft_adjoint(y, mask):
    """Exact zero-filled inverse orthonormal 2-D DFT of y (pairs of arb (re, im))."""
    n0, n1 = mask.shape
    idx = np.flatnonzero(mask)
    out = np.empty((y.shape[0], n0, n1), dtype=object)
    cs = {}
    for n in (n0, n1):
        for m in range(n):
            s, c = flint.arb.sin_cos_pi_fmpq(flint.fmpq(2 * m, n))
            cs[(n, m)] = (c, s)
    scale = flint.arb(n0 * n1).rsqrt()
    for b in range(y.shape[0]):
        for j0, j1 in itertools.product(range(n0), range(n1)):
            re, im = flint.arb(0), flint.arb(0)
            for t, flat in enumerate(idx):
                k0, k1 = divmod(int(flat), n1)
                c0, s0 = cs[(n0, (j0 * k0) % n0)]
                c1, s1 = cs[(n1, (j1 * k1) % n1)]
                wr, wi = c0 * c1 - s0 * s1, s0 * c1 + c0 * s1   # e^{+2πi(j0k0/n0 + j1k1/n1)}
                yr, yi = y[b, t]
                re += wr * yr - wi * yi
                im += wr * yi + wi * yr
            out[b, j0, j1] = (re * scale, im * scale)
    return out


def test_reconstruction_map_fourier_complex():
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.problems.operators import SubsampledFourier

    rng = np.random.default_rng(0)
    mask = rng.random((4, 4)) < 0.6
    mask[0, 0] = True
    A = SubsampledFourier(mask)
    torch.manual_seed(7)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 2, 1))
    rm = as_reconstruction_map(net, input="adjoint", A=A)
    y = rng.standard_normal((2, A.shape[0])) + 1j * rng.standard_normal((2, A.shape[0]))
    W1, b1 = net[0].weight.detach(), net[0].bias.detach()
    W2, b2 = net[2].weight.detach(), net[2].bias.detach()
    with precision(prec=300):
        ya = np.empty(y.shape, dtype=object)
        for idx in np.ndindex(y.shape):
            ya[idx] = (flint.arb(float(y[idx].real)), flint.arb(float(y[idx].imag)))
        z = ref_dft_adjoint(ya, mask)
        ch = np.empty((2, 2, 4, 4), dtype=object)
        for idx in np.ndindex(z.shape):
            ch[(idx[0], 0) + idx[1:]] = z[idx][0]
            ch[(idx[0], 1) + idx[1:]] = z[idx][1]
        h = ref_conv(elementwise(ref_conv(ch, W1, b1, 1, 1, 1, 1), relu), W2, b2, 1, 0, 1, 1)
        ref = np.empty((2, 4, 4), dtype=object)
        for idx in np.ndindex(ref.shape):
            ref[idx] = (h[(idx[0], 0) + idx[1:]], h[(idx[0], 1) + idx[1:]])
        for tight in MODES:
            enc = enclose(rm, y, tight=tight)
            assert enc.is_complex and enc.shape == (2, 4, 4)
            assert not contained(enc, ref)
            assert rel_width(enc) < (1e-13 if tight else 1e-12)
            assert any("dense transform" in n for n in enc.notes)
            # (the float64 FFT evaluation need not lie inside: it is not the exact network)


@pytest.mark.parametrize("kind", ["dct", "hadamard", "matrix"])
def test_reconstruction_map_other_operators(kind):
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.problems.operators import MatrixOperator, SubsampledDCT, SubsampledWalshHadamard

    rng = np.random.default_rng(1)
    if kind == "matrix":
        M = rng.standard_normal((5, 8)) + 1j * rng.standard_normal((5, 8))
        A = MatrixOperator(M)
    else:
        mask = np.zeros(8, dtype=bool)
        mask[[0, 2, 3, 6, 7]] = True
        A = SubsampledDCT(mask) if kind == "dct" else SubsampledWalshHadamard(mask)
    lin = nn.Linear(16, 8).double()
    rm = as_reconstruction_map(lin, input="adjoint", A=A, layout="flat", complex_as_channels=True)
    y = rng.standard_normal((2, 5)) + 1j * rng.standard_normal((2, 5))
    Mfull = A.to_dense()
    with precision(prec=300):
        if kind == "matrix":
            Mr, Mi = arb_array(Mfull.real.T), arb_array(-Mfull.imag.T)  # A^* = conj(A)^T
        elif kind == "dct":
            n = 8
            C = np.empty((n, n), dtype=object)
            for k, j in np.ndindex(C.shape):
                s = (flint.arb(1) / n).sqrt() if k == 0 else (flint.arb(2) / n).sqrt()
                C[k, j] = s * flint.arb.cos_pi_fmpq(flint.fmpq(k * (2 * j + 1), 2 * n))
            Mr, Mi = C[np.flatnonzero(mask)].T, None
        else:
            n = 8
            H = np.empty((n, n), dtype=object)
            for j, k in np.ndindex(H.shape):
                H[j, k] = (-1) ** bin(j & k).count("1") * flint.arb(n).rsqrt()
            Mr, Mi = H[:, np.flatnonzero(mask)], None
        yr, yi = arb_array(y.real), arb_array(y.imag)
        zr = yr.dot(Mr.T) - (yi.dot(Mi.T) if Mi is not None else 0)
        zi = yi.dot(Mr.T) + (yr.dot(Mi.T) if Mi is not None else 0)
        # 8 real outputs per sample: a real image of A's 8 entries
        ref = ref_linear(np.concatenate([zr, zi], 1), lin.weight.detach(), lin.bias.detach())
        for tight in MODES:
            enc = enclose(rm, y, tight=tight)
            assert not contained(enc, ref)
            assert rel_width(enc) < (1e-14 if tight else 1e-12)


def test_operators_forward_and_adjoint_exact():
    from theorycheck.nets._enclosure_operators import enclose_operator
    from theorycheck.problems.operators import SubsampledFourier

    rng = np.random.default_rng(2)
    mask = rng.random(6) < 0.7
    mask[0] = True
    A = SubsampledFourier(mask)
    x = torch.tensor(rng.standard_normal((1, 6)), dtype=torch.float64)
    with precision(prec=300):
        for tight in MODES:
            c, lo, r = enclose_operator(A, x, None, None, adjoint=False, tight=tight)
            for t, k in enumerate(np.flatnonzero(mask)):
                re, im = flint.arb(0), flint.arb(0)
                for j in range(6):
                    s, co = flint.arb.sin_cos_pi_fmpq(flint.fmpq(2 * j * int(k), 6))
                    re += co * flint.arb(float(x[0, j])) / flint.arb(6).sqrt()
                    im -= s * flint.arb(float(x[0, j])) / flint.arb(6).sqrt()
                hr = (flint.arb(float(c[0, t].real)) + (flint.arb(float(lo[0, t].real)) if lo is not None else 0))
                hi = (flint.arb(float(c[0, t].imag)) + (flint.arb(float(lo[0, t].imag)) if lo is not None else 0))
                assert (re - hr).abs_upper() <= flint.arb(float(r[0, t].real))
                assert (im - hi).abs_upper() <= flint.arb(float(r[0, t].imag))


# ---------------------------------------------------------------------------------------------
# the demo U-Net
# ---------------------------------------------------------------------------------------------
def test_demo_unet_width_and_float64():
    from theorycheck.nets.pretrained import load_demo_unet

    model, setting = load_demo_unet()
    x = rng_tensor(13, 2, 2, 32, 32)
    enc = enclose(model, x)
    assert enc.relative_width <= 1e-10
    m64 = Encloser(model).work
    with torch.no_grad():
        f64 = m64(x)
    assert enc.contains(f64)
    assert next(model.parameters()).dtype == torch.float32  # untouched


# ---------------------------------------------------------------------------------------------
# lower bounds on difference quotients
# ---------------------------------------------------------------------------------------------
def test_lower_bound_ratio_affine_large_offset_never_exceeds_norm():
    """Ψ(y) = W y + b with b = 1e6 and small W: the proven ratio stays below the exact one."""
    rng = np.random.default_rng(3)
    W = rng.standard_normal((4, 5)) * 1e-3
    lin = nn.Linear(5, 4).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(W))
        lin.bias.fill_(1e6)
    sigma = np.linalg.norm(W, 2)
    y0 = rng.standard_normal((1, 5))
    Wf = [[Fraction(float(v)) for v in row] for row in W]
    E = Encloser(lin)
    e0 = E(y0)
    positive = 0
    for k in range(40):
        eps = 10.0 ** rng.uniform(-12, 2)
        y1 = y0 + eps * rng.standard_normal((1, 5))
        e1 = E(y1)
        L = lower_bound_ratio(e0, e1, y0, y1)
        d = [Fraction(float(a)) - Fraction(float(b)) for a, b in zip(y1[0], y0[0])]
        num = sum((sum(w * di for w, di in zip(row, d))) ** 2 for row in Wf)
        den = sum(di * di for di in d)
        assert Fraction(L) ** 2 <= num / den, (k, eps, L)
        assert L <= sigma * (1 + 1e-12)
        positive += L > 0
    assert positive > 5  # not vacuous: large enough perturbations are proven


def test_lower_bound_ratio_validation():
    lin = nn.Linear(2, 2).double()
    y = torch.zeros(1, 2, dtype=torch.float64)
    e = enclose(lin, y)
    with pytest.raises(InvalidArgument):
        lower_bound_ratio(e, e, y, y)
    with pytest.raises(InvalidArgument):
        lower_bound_ratio(e, e, y, torch.zeros(1, 3))
    with pytest.raises(InvalidArgument):
        lower_bound_ratio(e, "x", y, y + 1)


# ---------------------------------------------------------------------------------------------
# bad input and refusals
# ---------------------------------------------------------------------------------------------
def test_invalid_inputs():
    lin = nn.Linear(2, 2)
    for bad in (torch.tensor([[float("nan"), 1.0]]), np.array([[np.inf, 0.0]])):
        with pytest.raises(InvalidArgument):
            enclose(lin, bad)
    with pytest.raises(InvalidArgument):
        enclose(lin, np.array([["a", "b"]]))
    with pytest.raises(InvalidArgument):
        Encloser(lin, transcendental="fast")
    with pytest.raises(InvalidArgument):
        Encloser("not a model")


class Branchy(nn.Module):
    def forward(self, x):
        if x.sum() > 0:          # data-dependent control flow
            return x
        return -x


class Writer(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("count", torch.zeros(1))

    def forward(self, x):
        self.count.add_(1)       # state update
        return x * 2


def test_refusals_name_the_problem():
    x = torch.randn(2, 4)
    cases = [
        (nn.Sequential(nn.Linear(4, 4), nn.GELU()), "gelu"),
        (nn.Sequential(nn.Linear(4, 4), nn.Softmax(1)), "softmax"),
        (nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4).train()), "batch norm"),
        (nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5).train()), "dropout"),
        (Branchy(), "data-dependent"),
        (Writer(), "writes into a parameter"),
        (nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4)), "layer_norm"),
    ]
    for net, words in cases:
        with pytest.raises(PreconditionError) as info:
            enclose(net, x)
        assert words in str(info.value).lower(), (words, str(info.value))
    hooked = nn.Linear(4, 4)
    hooked.register_forward_hook(lambda m, a, o: o * 0)
    with pytest.raises(PreconditionError, match="hook"):
        enclose(hooked, x)
    # the refusal names the module it happened in
    net = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.ReLU(), nn.GELU()))
    with pytest.raises(PreconditionError, match=r"1\.1 \(GELU\)"):
        enclose(net, x)


class Caster(nn.Module):
    def forward(self, x):
        return x.float() * 2


def test_casts_and_randomness_refused():
    x = rng_tensor(16, 2, 3)  # float64 values that float32 rounds
    with pytest.raises(PreconditionError, match="float32"):
        enclose(Caster(), x)
    # a cast that changes no value is exact and allowed
    enc = enclose(Caster(), x.float())
    assert torch.equal(enc.center, x.float().double() * 2) and enc.max_radius == 0.0

    class Noisy(nn.Module):
        def forward(self, x):
            return x + torch.randn_like(x)

    with pytest.raises(PreconditionError, match="random"):
        enclose(Noisy(), torch.randn(2, 3))


def test_user_model_untouched_and_low_precision_weights_exact():
    torch.manual_seed(8)
    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2)).half().train(False)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    flags = [m.training for m in net.modules()]
    x = rng_tensor(14, 1, 2, 4, 4)
    enc = enclose(net, x)
    after = net.state_dict()
    assert all(after[k].dtype == torch.float16 and torch.equal(after[k], before[k]) for k in before)
    assert [m.training for m in net.modules()] == flags
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in net.modules())
    # the reference uses the float16 values exactly
    W1, b1 = net[0].weight.detach().double(), net[0].bias.detach().double()
    W2, b2 = net[3].weight.detach().double(), net[3].bias.detach().double()
    with precision(prec=300):
        h = elementwise(ref_conv(arb_array(x), W1, b1, 1, 0, 1, 1), relu).reshape(1, 12)
        assert not contained(enc, ref_linear(h, W2, b2))


def test_overflow_is_reported():
    lin = nn.Linear(2, 2).double()
    with torch.no_grad():
        lin.weight.fill_(1e300)
    with pytest.raises(InsufficientPrecision):
        enclose(nn.Sequential(lin, lin), torch.full((1, 2), 1e300, dtype=torch.float64))


def test_arb_transcendentals_without_libm_assumption():
    torch.manual_seed(9)
    lin = nn.Linear(3, 3).double()
    x = rng_tensor(15, 2, 3)
    enc = enclose(nn.Sequential(lin, nn.Tanh(), nn.Sigmoid()), x, transcendental="arb")
    assert all("ulps" not in a for a in enc.assumptions)
    enc2 = enclose(nn.Sequential(lin, nn.Tanh(), nn.Sigmoid()), x)
    assert any("ulps" in a for a in enc2.assumptions)
    W, b = lin.weight.detach(), lin.bias.detach()
    with precision(prec=300):
        ref = elementwise(elementwise(ref_linear(arb_array(x), W, b), lambda v: v.tanh()), sigmoid)
        assert not contained(enc, ref) and not contained(enc2, ref)


# ---------------------------------------------------------------------------------------------
# aliasing, modes of reconstruction maps, diagnostics
# ---------------------------------------------------------------------------------------------
class ViewWriter(nn.Module):
    """In-place operations through views must reach the viewed tensor (as in torch)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 6)

    def forward(self, x):
        h = self.lin(x)                 # (B, 6)
        v = h[:, 1:4]                   # a view
        v.relu_()                       # changes h
        w = h.view(h.shape[0], 2, 3)
        w[:, 0].mul_(2.0)               # changes h again through another view
        z = torch.zeros(h.shape[0], 8, dtype=h.dtype)
        z[:, 2:8] = h                   # copy_ into a slice of a fresh tensor
        return z


def test_in_place_operations_through_views():
    torch.manual_seed(11)
    net = ViewWriter()
    x = rng_tensor(17, 3, 4)
    W, b = net.lin.weight.detach(), net.lin.bias.detach()

    def ref(a):
        h = ref_linear(a, W, b)
        for i in range(h.shape[0]):
            for j in range(1, 4):
                h[i, j] = relu(h[i, j])
            for j in range(3):
                h[i, j] = h[i, j] * 2
        z = zeros((h.shape[0], 8))
        z[:, 2:8] = h
        return z

    check(net, x, ref, tight_width=1e-14, fast_width=1e-14)


def test_reconstruction_map_eval_mode_and_measurement_input():
    from theorycheck.nets.adapters import as_reconstruction_map

    torch.manual_seed(12)
    net = nn.Sequential(nn.Linear(6, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.3)).train()
    A = np.random.default_rng(4).standard_normal((3, 6))
    y = np.random.default_rng(5).standard_normal((2, 3)) + 1j * np.random.default_rng(6).standard_normal((2, 3))
    # the map evaluates in eval mode: enclosable although the user's model trains
    rm = as_reconstruction_map(net, input="measurements", A=A, layout="flat", complex_as_channels=True,
                               eval_mode=True)
    enc = enclose(rm, y)
    assert net.training and enc.shape == (2, 6)
    assert enc.contains(rm.evaluate_float64(y).output) or enc.max_radius < 1e-12
    with pytest.raises(PreconditionError, match="training mode"):
        enclose(as_reconstruction_map(net, input="measurements", A=A, layout="flat",
                                      complex_as_channels=True), y)
    with pytest.raises(InvalidArgument):
        enclose(rm, y[:, :2])  # not A's measurement shape


def test_shape_errors_are_invalid_arguments_and_unpool_is_refused():
    with pytest.raises(InvalidArgument):
        enclose(nn.Linear(3, 2), torch.zeros(2, 5))

    class Unpool(nn.Module):
        def forward(self, x):
            v, i = nn.functional.max_pool2d(x, 2, return_indices=True)
            return nn.functional.max_unpool2d(v, i, 2)

    with pytest.raises(PreconditionError, match="indices of a max-pool"):
        enclose(Unpool(), torch.randn(1, 1, 4, 4))


def test_encloser_reuses_its_copy():
    torch.manual_seed(13)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    E = Encloser(net)
    x = rng_tensor(18, 2, 1, 5, 5)
    a, b = E(x), E(x)
    assert torch.equal(a.center, b.center) and torch.equal(a.radius, b.radius)
    with torch.no_grad():
        net[0].weight.add_(1.0)     # a later change of the user's model is not seen
    c = E(x)
    assert torch.equal(a.center, c.center)


def test_memory_access_and_data_swaps_refused():
    class SwapData(nn.Module):
        def forward(self, x):
            x.data = torch.zeros_like(x.data)   # would silently change the real output
            return x

    class Pointer(nn.Module):
        def forward(self, x):
            return x * (x.data_ptr() % 2)

    for net in (SwapData(), Pointer()):
        with pytest.raises(PreconditionError, match="memory"):
            enclose(net, torch.ones(2, 2))


def test_conv_transpose_3d_and_dilation():
    torch.manual_seed(14)
    m = nn.ConvTranspose3d(2, 4, 3, stride=1, padding=1, groups=2, dilation=2)
    x = rng_tensor(19, 1, 2, 3, 2, 3)
    W, b = m.weight.detach(), m.bias.detach()
    check(m, x, lambda a: ref_conv_transpose(a, W, b, 1, 1, 0, 2, 2))


def test_public_enclose_operator():
    from theorycheck.nets.enclosure import enclose_operator
    from theorycheck.problems.operators import SubsampledDCT, compose
    from theorycheck.problems.sparsifiers import Wavelet

    mask = np.zeros((4, 4), dtype=bool)
    mask[[0, 1, 3], [0, 2, 3]] = True
    A = SubsampledDCT(mask)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 4, 4)) + 1j * rng.standard_normal((2, 4, 4))
    with precision(prec=300):
        n = 4
        C = np.empty((n, n), dtype=object)
        for k, j in np.ndindex(C.shape):
            s = (flint.arb(1) / n).sqrt() if k == 0 else (flint.arb(2) / n).sqrt()
            C[k, j] = s * flint.arb.cos_pi_fmpq(flint.fmpq(k * (2 * j + 1), 2 * n))
        for tight in MODES:
            enc = enclose_operator(A, x, tight=tight)
            assert enc.shape == (2, 3) and enc.is_complex
            ref = np.empty((2, 3), dtype=object)
            for b in range(2):
                parts = []
                for part in (x[b].real, x[b].imag):
                    X = arb_array(part)
                    Y = C.dot(X).dot(C.T)          # C X Cᵀ: both axes
                    parts.append([Y[i, j] for i, j in zip(*np.nonzero(mask))])
                for t in range(3):
                    ref[b, t] = (parts[0][t], parts[1][t])
            assert not contained(enc, ref)
            # A^* A x for the composition: shapes and containment of the float64 value's neighbourhood
            back = enclose_operator(compose(A.H, A), x[0], tight=tight)
            assert back.shape == (4, 4) and back.max_radius < 1e-13
    with pytest.raises(PreconditionError, match="Wavelet"):
        enclose_operator(Wavelet((4, 4), "haar"), np.zeros((4, 4)))
    with pytest.raises(InvalidArgument):
        enclose_operator(A, np.zeros((2, 5)))


def test_per_sample_enclosures_and_ratios():
    lin = nn.Linear(3, 2).double()
    y0 = rng_tensor(20, 2, 3)
    y1 = y0 + 0.5
    e0, e1 = enclose(lin, y0), enclose(lin, y1)
    for i in range(2):
        assert e0[i].shape == (2,) and torch.equal(e0[i].center, e0.center[i])
        L = lower_bound_ratio(e0[i], e1[i], y0[i], y1[i])
        exact = float(torch.linalg.vector_norm(lin.weight.detach() @ (y1[i] - y0[i])) /
                      torch.linalg.vector_norm(y1[i] - y0[i]))
        assert 0 < L <= exact * (1 + 1e-12) and L > exact * (1 - 1e-10)


# ---------------------------------------------------------------------------------------------
# finiteness guards and index_put with full slices (newcomer trial: the library's own AutomapNet and
# FBPConvNet were refused at their NaN guard; a zero-filled adjoint writes k[:, mask] = v)
# ---------------------------------------------------------------------------------------------
class _Guarded(nn.Module):
    """``tanh(W x)`` with a NaN guard on the activation and a zero-filled scatter ``out[:, idx] = h``."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 3).double()
        self.register_buffer("idx", torch.tensor([5, 0, 2]))

    def forward(self, x):
        h = torch.tanh(self.lin(x))
        if not bool(torch.isfinite(h).all()) or bool(torch.isnan(h).any()) or bool(torch.isinf(h).any()):
            raise ValueError("non-finite activation")
        out = torch.zeros(x.shape[0], 7, dtype=h.dtype)
        out[:, self.idx] = h
        return out


def test_finiteness_guards_are_constant_and_full_slice_index_put_is_exact():
    torch.manual_seed(0)
    net = _Guarded()
    x = rng_tensor(3, 2, 4)
    W, b = net.lin.weight.detach(), net.lin.bias.detach()

    def ref(a):
        h = elementwise(ref_linear(a, W, b), lambda v: v.tanh())
        out = np.array([[flint.arb(0)] * 7 for _ in range(a.shape[0])], dtype=object)
        for j, k in enumerate((5, 0, 2)):
            out[:, k] = h[:, j]
        return out

    check(net, x, ref, tight_width=1e-13, fast_width=1e-12)


def test_repeated_indices_with_a_full_slice_are_refused():
    class Twice(nn.Module):
        def forward(self, x):
            out = torch.zeros(x.shape[0], 3, dtype=x.dtype)
            out[:, torch.tensor([1, 1])] = x[:, :2] * 2.0
            return out

    with pytest.raises(PreconditionError, match="repeated indices"):
        enclose(Twice(), rng_tensor(1, 2, 4))


def test_finiteness_of_a_constant_is_not_assumed():
    """The rule concerns values of the network (enclosed intervals); a constant tensor holding inf is never
    taken for finite: refused, or the branch float arithmetic takes."""
    class Const(nn.Module):
        def forward(self, x):
            c = torch.tensor([1.0, math.inf], dtype=torch.float64)
            return x * 2.0 if bool(torch.isfinite(c).all()) else x

    x = rng_tensor(2, 2, 2)
    try:
        enc = enclose(Const(), x)
    except (PreconditionError, InvalidArgument, InsufficientPrecision):
        return
    assert np.array_equal(enc.center.numpy(), x.numpy())


class _InfGuard(nn.Module):
    """Exactly ``Ψ(y) = y``: ``isinf`` of an inf constant made by a factory (an exact interval holding inf)."""

    def forward(self, y):
        t = torch.full_like(y, math.inf)
        return torch.where(torch.isinf(t), y, 1000.0 * y)


class _MaskedInf(nn.Module):
    """``where(mask, h, -inf)`` then a guard on the computed value holding -inf: never taken for finite."""

    def forward(self, x):
        h = torch.tanh(x)
        m = torch.where(torch.tensor([True, False]), h, torch.full_like(h, -math.inf))
        return torch.where(torch.isinf(m), torch.zeros_like(h), h)


def test_finiteness_rule_never_answers_for_an_interval_holding_inf():
    """Red-team: the constant rule called every interval finite, so an inf made by full_like was 'finite'
    and a proven ratio 1000 was certified for the identity. The rule now needs a finite centre and
    radius; other intervals are compared exactly (constants) or refused (computed)."""
    from theorycheck.instability import search_worst_perturbation

    x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    enc = enclose(_InfGuard(), x)
    assert np.array_equal(enc.center.numpy(), x.numpy()) and float(enc.radius.max()) == 0.0
    w = search_worst_perturbation(_InfGuard().double(), np.eye(2), np.array([1.0, 2.0]), budget=0.5, steps=5,
                                  seed=0, progress=False, device="cpu", certify="proven")
    assert w.rigor.value == "proven" and float(w.ratio) <= 1.0
    try:
        enc = enclose(_MaskedInf(), x)
    except (PreconditionError, InsufficientPrecision):
        return
    exact0 = float(np.tanh(1.0))
    assert enc.center[0, 1] == 0.0 and abs(float(enc.center[0, 0]) - exact0) <= float(enc.radius[0, 0]) + 1e-15
