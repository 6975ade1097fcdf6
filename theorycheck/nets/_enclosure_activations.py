"""Activation functions for the interval interpreter of :mod:`theorycheck.nets.enclosure` (private).

ReLU, leaky ReLU / PReLU, ELU / SELU, tanh, sigmoid, exp, sqrt and clamp / hardtanh: Lipschitz
bounds around the centre (the piecewise linear ones) or the monotone map of the interval
endpoints, bounded above and below (:func:`theorycheck.nets._enclosure_arith.monotone`).
Importing this module registers the rules in :data:`theorycheck.nets._enclosure_ops.HANDLERS`.

Theorem: see :mod:`theorycheck.nets.enclosure`.
Rigor: proven, under the assumptions listed there.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from theorycheck.nets import _enclosure_arith as ar
from theorycheck.nets._enclosure_ops import Iv, Run, real_operand, register


@register("relu")
def _relu(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    """``|relu(x) − relu(c)| ≤ |x − c|``; the radius is 0 where the whole interval is ``≤ 0``.
    A double-double centre ``(h, l)`` (``|l| ≤ ulp(h)/2``) has the sign of ``h``."""
    x = b["self"]
    c, lo, r = run.ival_dd(x, run.device_of(x))
    if c.is_complex():
        raise run.refuse("relu of a complex interval")
    center = torch.relu(c)
    out_lo = None if lo is None else lo.masked_fill(c <= 0, 0.0)
    if r is None:
        return run.wrap(center, None, (x,), check=False, lo=out_lo)
    if lo is None:
        dead = c <= -r
    else:  # h + l + r ≤ 0 when h < −r(1 + 2⁻⁵⁰) (then |l| ≤ U|h| cannot lift it above 0)
        dead = c < -(r * (1.0 + 2.0 ** -50))
    return run.wrap(center, r.masked_fill(dead, 0.0), (x,), check=False, lo=out_lo)


def _leaky(run: Run, x: Any, alpha: Any, inputs: tuple) -> Iv:
    c, r = real_operand(run, x, "leaky relu")
    dev = c.device
    abs_a: Any
    if isinstance(alpha, torch.Tensor):
        slope, slope_r = run.ival(alpha, dev)
        if slope_r is not None:
            raise run.refuse("PReLU with a computed slope")
        if slope.is_complex():
            raise run.refuse("complex PReLU slope")
        center = torch.where(c > 0, c, c * slope)
        abs_a = slope.abs()
    else:
        a = run.real_number(alpha, "negative slope")
        center = torch.where(c > 0, c, c * a)
        abs_a = abs(a)
    # centre: one rounded product on the negative side (U|ĉ| + 2⁻¹⁰⁷⁵)
    R = center.abs().mul_(ar.U)
    if r is not None:
        one = torch.ones_like(c)
        slope_neg = one * abs_a
        slope_mix = torch.maximum(one, slope_neg)
        slope = torch.where(c >= r, one, torch.where(c <= -r, slope_neg, slope_mix))
        R = R + slope * r
    return run.wrap(center, ar.up(R, 3, 2 * ar.ETA), inputs)


@register("leaky_relu")
def _leaky_relu(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    return _leaky(run, b["self"], b.get("negative_slope", 0.01), (b["self"],))


@register("_prelu_kernel", "prelu")
def _prelu(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    return _leaky(run, b["self"], b["weight"], (b["self"], b["weight"]))


def _monotone(run: Run, x: Any, name: str, f_lo: Callable, f_hi: Callable) -> Iv:
    c, r = real_operand(run, x, name)
    lo, hi = ar.monotone(c, r, f_lo, f_hi)
    return run.wrap(lo, hi, (x,))


def _transcendental(run: Run, fname: str) -> tuple[Callable, Callable]:
    if run.transcendental == "arb":
        run.used.add("arb")
        return (lambda t: ar.arb_bounds(t, fname, -1)), (lambda t: ar.arb_bounds(t, fname, +1))
    run.used.add("libm")
    k = run.ulps
    f = {"tanh": ar.tanh_bounds, "exp": ar.exp_bounds, "expm1": ar.expm1_bounds,
         "sigmoid": ar.sigmoid_bounds}[fname]
    return (lambda t: f(t, -1, k)), (lambda t: f(t, +1, k))


@register("tanh", "sigmoid", "exp")
def _tanh(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    name = func.overloadpacket.__name__
    lo, hi = _transcendental(run, name)
    return _monotone(run, b["self"], name, lo, hi)


@register("sqrt")
def _sqrt(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x = b["self"]
    c, r = real_operand(run, x, "sqrt")
    lo = ar.lower(c, r)
    if bool((lo < 0).any()):
        raise run.refuse("sqrt of an interval that reaches below 0")
    # IEEE sqrt is correctly rounded: one step outward
    return run.wrap(*ar.from_bounds(ar.pred(torch.sqrt(lo)).clamp_(min=0.0), ar.succ(torch.sqrt(ar.upper(c, r)))),
                    (x,))


@register("elu")
def _elu(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    """ELU/SELU ``scale·x`` (x > 0), ``scale·α·expm1(input_scale·x)``: nondecreasing for
    ``scale > 0``, ``α ≥ 0``, ``input_scale > 0``; bounded at the endpoints."""
    x = b["self"]
    alpha, scale, iscale = (run.real_number(b.get(k, 1), f"ELU {k}") for k in ("alpha", "scale", "input_scale"))
    if not (alpha >= 0 and scale > 0 and iscale > 0):
        raise run.refuse(f"ELU with alpha={alpha}, scale={scale}, input_scale={iscale} (not monotone)")
    em_lo, em_hi = _transcendental(run, "expm1")

    def bound(t: torch.Tensor, d: int) -> torch.Tensor:
        step = ar.succ if d > 0 else ar.pred
        pos = t if scale == 1.0 else step(t * scale)
        u = t if iscale == 1.0 else step(t * iscale)
        e = (em_hi if d > 0 else em_lo)(torch.clamp(u, max=0.0))
        neg = step(e * alpha)
        if scale != 1.0:
            neg = step(neg * scale)
        return torch.where(t > 0, pos, neg)

    return _monotone(run, x, "elu", lambda t: bound(t, -1), lambda t: bound(t, +1))


@register("hardtanh", "clamp", "clamp_min", "clamp_max")
def _clamp(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    name = func.overloadpacket.__name__
    if name == "hardtanh":
        lo_v, hi_v = b.get("min_val", -1.0), b.get("max_val", 1.0)
    elif name == "clamp":
        lo_v, hi_v = b.get("min"), b.get("max")
    elif name == "clamp_min":
        lo_v, hi_v = b.get("min"), None
    else:
        lo_v, hi_v = None, b.get("max")
    for v in (lo_v, hi_v):
        if v is not None and (isinstance(v, (torch.Tensor, bool, complex)) or not isinstance(v, (int, float))):
            raise run.refuse(f"{func} with tensor bounds")
    lo_v, hi_v = (None if v is None else run.real_number(v, f"bound of {func}") for v in (lo_v, hi_v))

    def f(t: torch.Tensor) -> torch.Tensor:
        return torch.clamp(t, min=lo_v, max=hi_v)

    x = b["self"]
    c, r = real_operand(run, x, name)
    if r is None:
        return run.wrap(f(c), None, (x,), check=False)
    return _monotone(run, x, name, f, f)
