"""Midpoint–radius arithmetic on float64 tensors with a-priori rounding bounds (private).

Every function here takes *intervals* ``(c, r)``: a float64 tensor of centres
and a float64 tensor of radii (``r is None`` means radius 0, an exact value)
and returns an interval that contains the exact real result for every point
of the input intervals. The rounding model and the proofs are written once in
the docstring of :mod:`theorycheck.nets.enclosure` ("Rounding model"); the
comments here only name the quantities.

Conventions: ``U = 2⁻⁵³`` (unit roundoff), ``ETA = 2⁻¹⁰⁷⁴`` (smallest
subnormal). ``gamma(n) = nU/(1 − nU)`` rounded up. :func:`up` turns a
radius computed in floating point into a proven upper bound.

Theorem: Higham, *Accuracy and Stability of Numerical Algorithms* (2nd ed.),
§2.2 (model of floating-point arithmetic with underflow), Lemma 3.1 and §3.1
(inner products in any order: ``|fl(Σ aᵢbᵢ) − Σ aᵢbᵢ| ≤ γₙ Σ|aᵢ||bᵢ|``).
Rigor: proven for IEEE binary64 with round-to-nearest and gradual underflow
(checked at run time by :func:`check_fp_environment`).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import torch

from theorycheck.errors import PreconditionError
from theorycheck.numerics.exact import ball_lower, ball_upper
from theorycheck.numerics.precision import precision
from theorycheck.numerics.rounding import U, gamma, round_up

ETA = 2.0 ** -1074
INF = math.inf
_MAX = 1.7976931348623157e308
#: libm accuracy assumed for torch's float64 exp, expm1 and tanh (ulps); see the module docstring
LIBM_ULPS = 4


@functools.lru_cache(maxsize=None)
def inflation(m: int) -> float:
    """``1 + γ_{m+2}`` rounded up: covers ``m`` roundings of a nonnegative quantity plus this step."""
    return float(round_up(1.0 + gamma(int(m) + 2)))


def eta_multiple(k: float) -> float:
    """A float ``≥ k · 2⁻¹⁰⁷⁴`` for a (float-computed) count ``k ≥ 0`` (``inf`` when ``k`` is)."""
    if not math.isfinite(k):
        return INF
    # k may carry a relative rounding error far below 2⁻²⁰ (sums of fewer than 2³⁰ terms)
    n = math.ceil(k * (1.0 + 2.0 ** -20)) + 1
    # n · 2⁻¹⁰⁷⁴ is exact: an integer multiple of the subnormal spacing (n < 2⁵³) or a scaled float
    return math.ldexp(float(n), -1074)


def up(x: torch.Tensor, m: int, a: float = 0.0, inplace: bool = False) -> torch.Tensor:
    """Proven upper bound of ``X`` when ``X ≤ (1 − U)^{−m} (x + a)``, ``x ≥ 0`` computed in float64.

    Returns ``fl(fl(fl(x + a) · (1 + γ_{m+2})) + 2⁻¹⁰⁷⁴)`` (a new tensor): the
    addition costs one more rounding, the product a last one (relative, or
    ``2⁻¹⁰⁷⁵`` absolute when subnormal, which the final ``+ 2⁻¹⁰⁷⁴`` covers:
    below ``2⁻¹⁰²¹`` that addition is exact; above, rounding to nearest of a
    value ``≥ p`` stays ``≥ p``).
    """
    if inplace:
        t = x.add_(a) if a else x
    else:
        t = x + a if a else x * 1.0
    t.mul_(inflation(m))
    t.add_(ETA)
    return t


def succ(x: torch.Tensor) -> torch.Tensor:
    """The next float64 above every entry (``inf`` stays ``inf``)."""
    return torch.nextafter(x, x.new_tensor(INF))


def pred(x: torch.Tensor) -> torch.Tensor:
    """The next float64 below every entry."""
    return torch.nextafter(x, x.new_tensor(-INF))


def lower(c: torch.Tensor, r: torch.Tensor | None) -> torch.Tensor:
    """A float ``≤ c − r`` (exact value) entrywise: one correctly rounded subtraction, one step down."""
    return c if r is None else pred(c - r)


def upper(c: torch.Tensor, r: torch.Tensor | None) -> torch.Tensor:
    """A float ``≥ c + r`` entrywise."""
    return c if r is None else succ(c + r)


def from_bounds(lo: torch.Tensor, hi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(c, r)`` with ``[lo, hi] ⊆ [c − r, c + r]`` (``lo ≤ hi`` floats)."""
    c = lo * 0.5 + hi * 0.5
    # c is any float; hi − c and c − lo are ≥ 0 and computed with one rounding: one step up covers it
    r = succ(torch.maximum(hi - c, c - lo))
    return c, r


def widen(v: torch.Tensor, ulps: int, direction: int) -> torch.Tensor:
    """Move a libm result ``v = f̃(x)`` with ``|f̃(x) − f(x)| ≤ ulps · ulp(f(x))`` past ``f(x)``.

    ``ulp(f) ≤ 2U|f| + 2⁻¹⁰⁷⁴`` gives ``|f̃ − f| ≤ ε|f̃| + η`` with ``ε = 2kU/(1 − 2kU)``,
    ``η ≈ k·2⁻¹⁰⁷⁴``; this uses ``ε' = (2k + 2)·2U`` and ``η' = (4k + 4)·2⁻¹⁰⁷⁴`` (both
    exact floats, far above what the three roundings below need) and one final step.
    """
    eps = (2 * ulps + 2) * 2.0 * U
    # an overflowed libm result (±inf) means |f| ≥ the largest float up to the error bound
    v = torch.clamp(v, min=-_MAX, max=_MAX)
    d = v.abs().mul_(eps).add_((4 * ulps + 4) * ETA)
    return succ(v + d) if direction > 0 else pred(v - d)


def abs_sum(t: torch.Tensor) -> float:
    """``Σ|t|`` as a float (a float sum: callers pass it through :func:`eta_multiple`)."""
    return float(t.abs().sum()) if t.numel() else 0.0


def _add_opt(a: torch.Tensor | None, b: torch.Tensor | None) -> torch.Tensor | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


# ------------------------------------------------------------------------------------------
# bilinear maps: convolutions and matrix products
# ------------------------------------------------------------------------------------------
def bilinear(op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
             center_op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
             A: tuple[torch.Tensor, torch.Tensor | None], B: tuple[torch.Tensor, torch.Tensor | None],
             n: int, bias: tuple[torch.Tensor, torch.Tensor | None] | None = None,
             bias_shape: Callable[[torch.Tensor], torch.Tensor] | None = None,
             abs_cache: Callable[[torch.Tensor], tuple[torch.Tensor, float]] | None = None,
             radius_op: Callable[[torch.Tensor], torch.Tensor] | None = None,
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """Enclose ``op(a, b) + bias`` for ``a ∈ A``, ``b ∈ B``; ``op`` is a sum of ``n`` products per entry.

    ``radius_op(s)`` (optional, exact ``B`` only): a proven upper bound of ``op(s, |B|)`` for
    ``s ≥ 0`` (e.g. :func:`radius_f32`), used instead of the float64 ``op(s, |B|)``.

    ``center_op(Ac, Bc)`` computes the centre (with the bias, when there is one);
    ``op`` (without bias) is applied to nonnegative tensors for the radius.
    ``bias_shape`` reshapes a bias-sized tensor to broadcast against the output.

    Radius (``g = γ_{n+1}``; centre error by Higham's inner-product bound, the
    bias being one more term; underflow ``≤ n·2⁻¹⁰⁷⁴``)::

        op(Ar + g|Ac|, |Bc|) + op(|Ac| + Ar, Br) + g|bc| + br + n·2⁻¹⁰⁷⁴

    with the interval side first (when only ``B`` has a radius the roles swap).
    Computed in float64 with at most ``n + 6`` roundings per term; the absolute
    errors of underflowing products (``≤ 2⁻¹⁰⁷⁵`` each) are bounded by
    ``(2n + 2 + Σ|const side| + Σ|Br|)·2⁻¹⁰⁷⁴`` and passed to :func:`up`.
    """
    Ac, Ar = A
    Bc, Br = B
    nb = n + (1 if bias is not None else 0)
    g = gamma(nb)
    if g == INF:
        raise PreconditionError(f"an inner product of {n} terms is too long for the rounding bound "
                                "γₙ (n·2⁻⁵³ ≥ 1/2)", hypothesis="supported layer")
    center = center_op(Ac, Bc)
    swap = Ar is None and Br is not None
    if swap and Br is not None:  # put the interval on the left: op(|Ac|, Br + g|Bc|)
        s = Bc.abs().mul_(g).add_(Br)
        absA, sumA = abs_cache(Ac) if abs_cache else (Ac.abs(), abs_sum(Ac))
        T = op(absA, s)
        count = 2.0 * nb + 2.0 + sumA
    else:
        s = Ac.abs().mul_(g)
        if Ar is not None:
            s.add_(Ar)
        absB, sumB = abs_cache(Bc) if abs_cache else (Bc.abs(), abs_sum(Bc))
        T = radius_op(s) if (radius_op is not None and Br is None) else op(s, absB)
        count = 2.0 * nb + 2.0 + sumB
        if Br is not None:
            T = T + op(Ac.abs() + Ar if Ar is not None else Ac.abs(), Br)
            count += abs_sum(Br)
    if bias is not None:
        bc, br = bias
        extra = bc.abs().mul_(g)
        if br is not None:
            extra.add_(br)
        T = T + (bias_shape(extra) if bias_shape else extra)
    return center, up(T, nb + 6, eta_multiple(count))


# ------------------------------------------------------------------------------------------
# double-double centres and error-free products (the "tight" mode)
# ------------------------------------------------------------------------------------------
def two_sum(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Knuth's TwoSum: ``s = fl(a + b)`` and ``e`` with ``s + e = a + b`` exactly (no overflow).

    Two new tensors of the broadcast shape (``a`` and ``b`` are not modified)."""
    s = a + b
    bv = torch.sub(s, a)              # b' = s − a
    av = torch.sub(s, bv)             # a' = s − b'
    torch.sub(a, av, out=av)          # δa = a − a'
    torch.sub(b, bv, out=bv)          # δb = b − b'
    return s, av.add_(bv)


def split(t: torch.Tensor, amax: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Error-free split ``t = t1 + t2`` with ``t1`` on the grid ``2^(E−k)``, ``|t| ≤ amax < 2^E``.

    ``t1 = fl(fl(σ + t) − σ)`` with ``σ = 1.5·2^(E−k+52)`` (Rump–Ogita–Oishi's
    ExtractScalar): ``σ + t`` stays in ``σ``'s binade, so ``t1`` is ``t`` rounded to a
    multiple of ``ulp(σ) = 2^(E−k)``, ``|t1| ≤ 2^E``, and both subtractions are exact.
    Returns ``(t1, t2, E)`` (``E`` an integer tensor broadcastable to ``t``).
    """
    E = torch.frexp(amax).exponent.to(torch.int64)
    E = torch.clamp(E, min=k - 1074)
    sigma = pow2(E - k + 52).mul_(1.5)  # exact (or inf, refused by the callers' exponent checks)
    t1 = (t + sigma).sub_(sigma)
    return t1, torch.sub(t, t1), E


def split_budget(n: int) -> tuple[int, int]:
    """Bits ``(k_a, k_b)`` of the two high parts: ``n·2^(k_a + k_b) ≤ 2⁵²`` keeps every partial
    sum of ``n`` grid products an exact float64 (any order, with or without FMA)."""
    budget = 52 - max(1, int(n)).bit_length()
    kb = budget // 2
    return budget - kb, kb


U32 = 2.0 ** -24
ETA32 = 2.0 ** -149


def f32_up(t: torch.Tensor) -> torch.Tensor:
    """A float32 tensor ``≥ t`` entrywise (``t ≥ 0`` float64 of magnitude ``≤ 2``): the nearest
    float32, then one step up (``0`` becomes ``2⁻¹⁴⁹``)."""
    v = t.to(torch.float32)
    return torch.nextafter(v, v.new_tensor(INF))


def pow2_exponent(amax: torch.Tensor) -> torch.Tensor:
    """Exponents ``e ≤ 1023`` with ``amax ≤ 2·2^e`` (``amax < 2^e`` unless ``amax ≥ 2¹⁰²³``), ``0``
    where ``amax`` is 0 (int64)."""
    return torch.frexp(amax).exponent.to(torch.int64).clamp_(max=1023)


def pow2_float(top: float) -> float:
    """The power of two ``2^e ≥ top/2`` with ``e = min(exponent(top), 1023)`` (``1`` for ``top = 0``)."""
    return math.ldexp(1.0, min(math.frexp(top)[1], 1023)) if top > 0 else 1.0


def pow2(e: torch.Tensor) -> torch.Tensor:
    """``2^e`` in float64 for an int64 tensor ``e``, built from its bit pattern (no libm, no
    intermediate float32): exact for ``−1074 ≤ e ≤ 1023``, ``0`` below, ``inf`` above."""
    e = e.to(torch.int64).clamp(-1075, 1024)
    normal = (e + 1023) << 52                                   # 2047 << 52 is +inf
    sub = torch.ones_like(e) << (e + 1074).clamp_(min=0)        # subnormal powers 2^−1074 … 2^−1023
    bits = torch.where(e >= -1022, normal, torch.where(e >= -1074, sub, torch.zeros_like(e)))
    return bits.view(torch.float64)


def ldexp_up(q: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
    """A float64 ``≥ q·2^e`` for ``q ≥ 0`` float64 and integer ``e`` (any size): ``q = m·2^k``
    exactly (``frexp``), then the single product ``m·2^(k+e)`` — exact in the normal range,
    ``inf`` on overflow, off by at most ``2⁻¹⁰⁷⁵`` when subnormal (``0`` when below ``2⁻¹⁰⁷⁵``) —
    and ``+ 2⁻¹⁰⁷⁴``, which covers that. A product of several powers of two applied one at a
    time could underflow to ``0`` before a large factor brings it back; this never does."""
    m, k = torch.frexp(q)
    return (m * pow2(k.to(torch.int64) + e)).add_(ETA)


def radius_f32(op32: Callable, s: torch.Tensor, s_amax: Callable, w32: torch.Tensor, w_scale: float,
               n: int, inplace_s: bool = False, finish: bool = True) -> torch.Tensor:
    """Upper bound (float64) of ``op(s, |B|)`` for ``s ≥ 0``, from one float32 evaluation.

    ``s = 2^e·s'`` per row with ``s' ≤ 2`` and ``|B| = w_scale·b'`` (``w_scale = 2^f``); ``s32 ≥ s'``
    and ``w32 ≥ b'`` are float32 rounded up, so ``op(s, |B|) ≤ 2^(e+f)·op(s32, w32)``; a float32
    sum of ``n`` nonnegative products ``P`` satisfies ``op(s32, w32) ≤ (P + n·2⁻¹⁵⁰)/(1 − γ32ₙ)``.
    The result is ``Q·2^(e+f)`` with ``Q = (P + n·2⁻¹⁴⁹)·(1 + 2γ32ₙ)`` (two float64 roundings, no
    underflow: ``Q ≥ 2⁻¹⁴⁹``) and the power of two applied once, by :func:`ldexp_up` (the
    exponents are added as integers: ``Q·w_scale`` alone may underflow to 0 before a large ``2^e``
    would bring it back). ``finish=False`` returns it before :func:`up` (three float64 roundings
    for the caller's ``up``).
    """
    mant, f = math.frexp(w_scale)
    if mant != 0.5:  # pragma: no cover - internal (callers pass a power of two)
        raise ValueError("w_scale must be a power of two")
    e = pow2_exponent(s_amax(s))
    scale = pow2(e)
    s32 = f32_up(s.div_(scale)) if inplace_s else f32_up(s / scale)
    P = op32(s32, w32).to(torch.float64)
    nu = n * U32
    if nu >= 0.25:
        raise PreconditionError(f"an inner product of {n} terms is too long for float32 radius bounds",
                                hypothesis="supported layer")
    fac = float(round_up(1.0 + 2.0 * (nu / (1.0 - nu)) * (1.0 + 2.0 ** -20)))
    P = ldexp_up(P.add_(n * ETA32).mul_(fac), e + (f - 1))
    return up(P, 3, inplace=True) if finish else P


class LinearSpec:
    """How to evaluate one bilinear map ``(a, b) ↦ op(a, b)`` (a convolution or a matrix product)
    on split operands: the caller provides the operation, the concatenated operation, per-row
    maxima of the data side (``a``, split per dot product) and of the weight side (``b``, split per
    output), the "box" sums ``Σ|a|`` over each dot product and the shape of a bias."""

    def __init__(self, *, n: int, op: Callable, op_cat: Callable, amax_a: Callable, amax_b: Callable,
                 out_b: Callable, box: Callable, bias_shape: Callable | None = None,
                 op32: Callable | None = None, amin_a: Callable | None = None):
        self.n = max(int(n), 1)
        #: per-row minimum (with amax_a: max|a| without materialising |a|)
        self.amin_a = amin_a if amin_a is not None else (lambda t: -amax_a(t.abs()))
        #: the same map on float32 tensors with a plain sum-of-products algorithm (radius bounds)
        self.op32 = op32
        self.op = op
        self.op_cat = op_cat
        self.amax_a = amax_a
        self.amax_b = amax_b
        self.out_b = out_b
        self.box = box
        self.bias_shape = bias_shape


def prepare_weight(spec: LinearSpec, bh: torch.Tensor, bl: torch.Tensor | None,
                   br: torch.Tensor | None = None) -> dict:
    """The weight side of :func:`dd_bilinear` (cacheable): split, absolute values, bounds.
    ``br`` (optional) bounds ``|b − bh − bl|`` entrywise (an enclosed irrational matrix)."""
    ka, kb = split_budget(spec.n)
    amax = spec.amax_b(bh.abs())
    B1, B2, F = split(bh, amax, kb)
    B2p = B2 if bl is None else B2 + bl
    absB = bh.abs()
    maxB2 = spec.out_b(spec.amax_b(B2p.abs()))
    g = gamma(2 * spec.n + 1)
    W32 = None
    if spec.op32 is not None:
        top = float(absB.max()) if absB.numel() else 0.0
        wsc = pow2_float(top)
        W32 = (f32_up(absB / wsc), wsc)
    beta_r = None
    if br is not None:
        # Σ br_i |a_i| ≤ max br · Σ|a_i| (box sums, computed with ≤ n + 2 roundings)
        beta_r = up(spec.out_b(spec.amax_b(br)) * (1.0 + 2.0 * gamma(spec.n + 2)), 2, ETA)
    return {
        "B1": B1, "B2p": B2p, "bh": bh, "absB": absB, "sumB": abs_sum(bh), "W32": W32, "beta_r": beta_r,
        # β bounds the rounding of T and of B2 + bl against A1, and the float64 box sums (Σ|A1|
        # computed with ≤ n + 2 roundings of nonnegative terms: factor 1 + 2γ_{n+2})
        "beta": up(maxB2 * ((g + U) * (1.0 + 2.0 * gamma(spec.n + 2))), 3, ETA),
        "Fmin": int(F.min()) if F.numel() else 0, "Fmax": int(F.max()) if F.numel() else 0,
        "ka": ka, "kb": kb,
    }


def dd_bilinear(spec: LinearSpec, W: dict, A: tuple, bias: torch.Tensor | None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """Enclose ``op(a, b) + bias`` for ``a ∈ [ah + al ± ar]`` and the exact ``b = bh + bl``,
    with a double-double centre ``(h, l)``; ``None`` when the split grids would under/overflow.

    Ozaki's scheme: ``ah = A1 + A2`` and ``bh = B1 + B2`` exactly (:func:`split`, ``A1`` on a
    grid per dot product, ``B1`` per output), so ``S1 = op(A1, B1)`` is exact in float64;
    ``T = op(A1, B2 + bl) + op(A2 + al, bh)`` is small (``2^−k`` relative) and rounded; the
    neglected ``op(A2 + al, bl)`` is ``≤ U·op(|m|, |bh|)``. ``(h, l)`` is the TwoSum
    renormalisation of ``S1 + T + bias``. Radius::

        op(ar + (γ_{2n+1} + 3U)|m|, |bh|) + β·Σ|A1| + 2U²(|S1 + T| + |h|) + (3n + 6 + Σ|bh|)·2⁻¹⁰⁷⁴

    with ``m = fl(A2 + al)``, ``β = (γ_{2n+1} + U)·max|B2 + bl|`` per output (``≥`` the rounding
    of ``T`` and of ``B2 + bl`` against ``A1``), the factor ``(1 + U)`` of ``|b| ≤ (1 + U)|bh|``
    counted as one more rounding.
    """
    ah, al, ar = A
    n = spec.n
    ka, kb = W["ka"], W["kb"]
    amax = torch.maximum(spec.amax_a(ah), spec.amin_a(ah).neg_())  # max|ah| per row, no |ah| copy
    top = float(amax.max()) if amax.numel() else 0.0
    if top == 0.0:
        Emax = Emin = ka - 1074
    else:
        Emax = math.frexp(top)[1]
        Emin = None
    A1, A2, E = split(ah, amax, ka)
    if Emin is None:
        Emin = int(E.min())
    if Emin - ka + W["Fmin"] - kb < -1074 or Emax + W["Fmax"] + n.bit_length() + 2 > 1020 or \
            max(Emax - ka, W["Fmax"] - kb) + 52 > 1023:  # the split constants σ must be finite
        return None
    m = A2 if al is None else A2 + al
    S1 = spec.op(A1, W["B1"])
    T = spec.op_cat(A1, m, W)
    s1, e1 = two_sum(S1, T)
    del T, S1
    if bias is not None:
        b = spec.bias_shape(bias) if spec.bias_shape else bias
        h, e2 = two_sum(s1, b)
        del s1
        t = e1.add_(e2)      # the only rounding of the renormalisation: ≤ U|t|
        del e2
    else:
        h, t = s1, e1        # exact
    hh, ll = two_sum(h, t)
    del h
    gm = float(round_up(gamma(2 * n + 1) + 3 * U))
    s = m.abs_() if m is A2 else m.abs()
    s.mul_(gm)
    if ar is not None:
        s.add_(ar)
    if W["W32"] is not None and spec.op32 is not None:
        R = radius_f32(spec.op32, s, spec.amax_a, W["W32"][0], W["W32"][1], n, inplace_s=True,
                       finish=False)
        m_round = 12       # the float32 bound already covers its n-term sum
    else:
        R = spec.op(s, W["absB"])
        m_round = n + 12
    del s
    if W["beta_r"] is not None:  # entry radii of b: br·|a| ≤ br·(|ah|(1 + U) + ar) (|al| ≤ U|ah|)
        ta = ah.abs().mul_(1.0 + 2.0 * U)
        if ar is not None:
            ta.add_(ar)
        R.add_(spec.box(ta) * W["beta_r"])
    R.add_(spec.box(A1.abs_()) * W["beta"])
    if bias is not None:
        R.add_(t.abs_().mul_(U))
    return hh, ll, up(R, m_round, eta_multiple(3.0 * n + 6.0 + W["sumB"]), inplace=True)


# ------------------------------------------------------------------------------------------
# elementwise affine maps with interval coefficients: y = s·x + t
# ------------------------------------------------------------------------------------------
def affine(c: torch.Tensor, r: torch.Tensor | None, s: Any = 1.0, s_r: Any = None, t: Any = None,
           t_r: Any = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Enclose ``s·x + t`` for ``x ∈ [c ± r]``, ``s ∈ [s ± s_r]``, ``t ∈ [t ± t_r]`` (broadcasting).

    ``s``, ``t`` are floats or float64 tensors (``t=None``: no offset). The centre
    ``fl(fl(s·c) + t)`` has error ``≤ γ₂(|s||c| + |t|) + 2⁻¹⁰⁷⁵``; the radius::

        |s|·r + γ₂(|s||c|) + s_r(|c| + r) + t_r + γ₂|t| + 2⁻¹⁰⁷⁴

    computed with at most 6 roundings per term (products of nonnegative numbers first, so that
    each underflow error stays an absolute ``2⁻¹⁰⁷⁵``).
    """
    scalar_s = not isinstance(s, torch.Tensor)
    if scalar_s and s_r is None and t is None and t_r is None and s != 0 and \
            math.frexp(abs(float(s)))[0] == 0.5 and abs(float(s)) >= 1.0:
        # a power of two ≥ 1: the product is exact (an overflow shows as inf and is refused)
        return c * s, (None if r is None else r * abs(float(s)))
    if scalar_s and s == 1.0 and s_r is None:
        center = c * 1.0 if t is None else c + t
        exact_map = True
    else:
        center = c * s if t is None else torch.addcmul(t if isinstance(t, torch.Tensor) else
                                                        c.new_tensor(t), c, s if not scalar_s else
                                                        c.new_tensor(s))
        exact_map = False
    g2 = gamma(2)
    if exact_map and t is None and t_r is None:
        return center, (None if r is None else r * 1.0)  # s = 1, no offset: exact copy
    abs_s = abs(s) if scalar_s else s.abs()
    if exact_map:
        # x + t: one rounding of the sum, |fl(x + t) − (x + t)| ≤ U|fl(x + t)| (no underflow loss)
        R = center.abs().mul_(U)
    else:
        # |s|·r + γ₂·(|s|·|c|): every product's underflow (≤ 2⁻¹⁰⁷⁵) stays absolute, never
        # multiplied by a large |s| afterwards
        R = (c.abs() * abs_s).mul_(g2)
        if r is not None:
            R.add_(r * abs_s)
    if s_r is not None:
        R = R + (c.abs() + r if r is not None else c.abs()) * s_r
    if t is not None and not exact_map:
        R = R + (t.abs() if isinstance(t, torch.Tensor) else abs(t)) * g2
    if exact_map and r is not None:
        R = R + r
    if t_r is not None:
        R = R + t_r
    return center, up(R, 8, 4 * ETA)


def add(x: tuple[torch.Tensor, torch.Tensor | None], y: tuple[torch.Tensor, torch.Tensor | None],
        sign: float = 1.0) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Enclose ``x + y`` (``sign=-1``: ``x − y``) for two intervals (broadcasting).

    ``|fl(a ± b) − (a ± b)| ≤ U|fl(a ± b)|`` (additions never lose to underflow),
    so ``r = rx + ry + U|ĉ|`` computed with 3 roundings.
    """
    (cx, rx), (cy, ry) = x, y
    center = cx + cy if sign > 0 else cx - cy
    R = center.abs().mul_(U)
    if rx is not None:
        R = R + rx
    if ry is not None:
        R = R + ry
    return center, up(R, 3, ETA)


def mul(x: tuple[torch.Tensor, torch.Tensor | None], y: tuple[torch.Tensor, torch.Tensor | None],
        ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Enclose the entrywise product ``x · y`` of two intervals (broadcasting).

    ``r = |cx| ry + rx(|cy| + ry) + U|ĉ| + 2⁻¹⁰⁷⁵`` (product rounding, or
    underflow), computed with at most 4 roundings.
    """
    (cx, rx), (cy, ry) = x, y
    if rx is None and ry is None:
        center = cx * cy
        return center, up(center.abs().mul_(U), 1, 2 * ETA)
    if ry is None:
        return affine(cx, rx, s=cy)
    if rx is None:
        return affine(cy, ry, s=cx)
    center = cx * cy
    R = cx.abs() * ry + rx * (cy.abs() + ry) + center.abs().mul_(U)
    return center, up(R, 4, 2 * ETA)


def reciprocal(c: torch.Tensor, r: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Enclose ``1/x`` for ``x ∈ [c ± r]`` not containing 0 (else raises ``PreconditionError``)."""
    lo, hi = lower(c, r), upper(c, r)
    if bool(((lo <= 0) & (hi >= 0)).any()):
        raise PreconditionError("division by an interval that contains 0", hypothesis="nonzero divisor")
    # 1/x is decreasing on each sign: [1/hi, 1/lo], each correctly rounded then one step outward
    return from_bounds(pred(1.0 / hi), succ(1.0 / lo))


# ------------------------------------------------------------------------------------------
# sums and means
# ------------------------------------------------------------------------------------------
def reduce_sum(c: torch.Tensor, r: torch.Tensor | None, dim: Any, keepdim: bool, mean: bool
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Enclose ``sum`` (or ``mean``) over ``dim``: error ``≤ γ_{n+1}Σ|c|`` (the mean's division is one more)."""
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        dims = list(range(c.dim()))
    else:
        dims = [dim] if isinstance(dim, int) else list(dim)
    n = 1
    for d in dims:
        n *= int(c.shape[d])
    n = max(n, 1)
    g = gamma(n + 2)
    if mean:
        center = torch.mean(c, dim=dims, keepdim=keepdim)
    else:
        center = torch.sum(c, dim=dims, keepdim=keepdim)
    s = c.abs().mul_(g)
    if r is not None:
        s.add_(r)
    T = torch.mean(s, dim=dims, keepdim=keepdim) if mean else torch.sum(s, dim=dims, keepdim=keepdim)
    return center, up(T, n + 4, eta_multiple(2.0 * n + 2.0))


# ------------------------------------------------------------------------------------------
# monotone functions through their endpoints
# ------------------------------------------------------------------------------------------
def monotone(c: torch.Tensor, r: torch.Tensor | None,
             f_lo: Callable[[torch.Tensor], torch.Tensor],
             f_hi: Callable[[torch.Tensor], torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Enclose a nondecreasing ``f`` on ``[c ± r]`` from ``f_lo(x) ≤ f(x) ≤ f_hi(x)`` at the endpoints."""
    lo, hi = lower(c, r), upper(c, r)
    return from_bounds(f_lo(lo), f_hi(hi))


def tanh_bounds(x: torch.Tensor, direction: int, ulps: int) -> torch.Tensor:
    """A bound of ``tanh(x)`` in ``direction`` (+1 above, −1 below), clipped to ``[−1, 1]``."""
    v = widen(torch.tanh(x), ulps, direction)
    return v.clamp_(max=1.0) if direction > 0 else v.clamp_(min=-1.0)


def exp_bounds(x: torch.Tensor, direction: int, ulps: int) -> torch.Tensor:
    """A bound of ``exp(x)`` in ``direction`` (never below 0)."""
    v = widen(torch.exp(x), ulps, direction)
    return v if direction > 0 else v.clamp_(min=0.0)


def expm1_bounds(x: torch.Tensor, direction: int, ulps: int) -> torch.Tensor:
    """A bound of ``expm1(x)`` in ``direction`` (never below −1)."""
    v = widen(torch.expm1(x), ulps, direction)
    return v if direction > 0 else v.clamp_(min=-1.0)


def sigmoid_bounds(x: torch.Tensor, direction: int, ulps: int) -> torch.Tensor:
    """A bound of ``σ(x) = 1/(1 + exp(−x))`` in ``direction``, from ``exp`` and IEEE ``+``, ``/``."""
    if direction < 0:
        e = exp_bounds(-x, +1, ulps)           # ≥ exp(−x)
        d = succ(1.0 + e)                      # ≥ 1 + exp(−x)
        v = pred(1.0 / d)                      # ≤ σ(x)
        return v.clamp_(min=0.0)
    e = exp_bounds(-x, -1, ulps)               # ≤ exp(−x)
    d = pred(1.0 + e)                          # ≤ 1 + exp(−x)
    v = succ(1.0 / d)                          # ≥ σ(x)
    return v.clamp_(max=1.0)


def arb_bounds(x: torch.Tensor, fname: str, direction: int) -> torch.Tensor:
    """``f(x)`` bounded in ``direction`` with python-flint balls (no libm assumption; slow)."""
    import flint


    flat = x.detach().cpu().reshape(-1).tolist()
    out = []
    with precision(prec=128):
        for v in flat:
            if not math.isfinite(v):
                out.append(math.nan)
                continue
            a = flint.arb(v)
            if fname == "tanh":
                b = a.tanh()
            elif fname == "exp":
                b = a.exp()
            elif fname == "expm1":
                b = a.expm1()
            elif fname == "sigmoid":
                b = 1 / (1 + (-a).exp())
            else:  # pragma: no cover - internal
                raise ValueError(fname)
            out.append(ball_upper(b) if direction > 0 else ball_lower(b))
    return torch.tensor(out, dtype=torch.float64, device=x.device).reshape(x.shape)


# ------------------------------------------------------------------------------------------
# the floating-point environment
# ------------------------------------------------------------------------------------------
#: 2⁻¹⁰²², 2⁻¹⁰⁷⁴, 1, 2⁻⁵³ + 2⁻⁶⁰, 1, 2⁻⁵³ as bit patterns: built without arithmetic, which
#: flush-to-zero / denormals-are-zero would change
_PROBE_BITS = [1 << 52, 1, 0x3FF << 52, (0x3CA << 52) | (1 << 45), 0x3FF << 52, 0x3CA << 52]
#: expected 2⁻¹⁰²³, 2⁻¹⁰⁷⁴, 1 + 2⁻⁵², −1 − 2⁻⁵², 1, 1 + 2⁻⁵² (as signed int64 bit patterns)
_WANT_BITS = [1 << 51, 1, (0x3FF << 52) | 1, -(1 << 63) + ((0x3FF << 52) | 1), 0x3FF << 52, (0x3FF << 52) | 1]


def check_fp_environment(device: Any) -> None:
    """Raise ``PreconditionError`` unless torch's float64 arithmetic on ``device`` rounds to nearest
    and keeps subnormals (no flush-to-zero / denormals-are-zero), as the bounds assume.

    The results are compared as bit patterns: under denormals-are-zero a float comparison
    would itself take a flushed 0 for the subnormal it should be."""
    t = torch.tensor(_PROBE_BITS, dtype=torch.int64).view(torch.float64).to(device)
    half = t[0] * 0.5                   # 2⁻¹⁰²³: kept unless flush-to-zero
    keep = t[1] * 1.0                   # 2⁻¹⁰⁷⁴: kept unless denormals-are-zero
    s_up = t[2] + t[3]                  # 1 + 2⁻⁵² under round-to-nearest (not toward 0 / −inf)
    s_dn = -t[2] - t[3]                 # −1 − 2⁻⁵² (not toward +inf)
    tie = t[4] + t[5]                   # 1 (ties to even)
    mm = (t[2:3].reshape(1, 1) @ t[3:4].reshape(1, 1)).reshape(()) + 1.0  # BLAS path: 1 + 2⁻⁵² too
    got = torch.stack([half, keep, s_up, s_dn, tie, mm]).cpu().view(torch.int64).tolist()
    if got != _WANT_BITS:
        raise PreconditionError(
            f"torch float64 arithmetic on {device} is not IEEE round-to-nearest with subnormals "
            f"(bit patterns {[hex(g) for g in got]}, expected {[hex(w) for w in _WANT_BITS]}): undo "
            "torch.set_flush_denormal(True) or a changed rounding mode before computing enclosures",
            hypothesis="IEEE binary64 arithmetic")


#: the per-operation probe (:func:`fp_probe_ok`): factors as bit patterns (no arithmetic) —
#: 2⁻¹⁰²²·½ (flush-to-zero), 2⁻¹⁰⁷⁴·1 (denormals-are-zero), (1 + 2⁻⁵²)² = 1 + 2⁻⁵¹ + 2⁻¹⁰⁴
#: (rounding up), −(1 + 2⁻⁵²)(1 + 2⁻⁵²) (rounding down), (1 + 2⁻⁵²)(1.5 + 2⁻⁵²) = 1.5 + 2.5·2⁻⁵²
#: + 2⁻¹⁰⁴ (rounding toward zero: nearest gives 1.5 + 3·2⁻⁵²)
_STEP_A = [1 << 52, 1, (0x3FF << 52) | 1, -(1 << 63) + ((0x3FF << 52) | 1), (0x3FF << 52) | 1]
_STEP_B = [0x3FE << 52, 0x3FF << 52, (0x3FF << 52) | 1, (0x3FF << 52) | 1, (0x3FF8 << 48) | 1]
_STEP_WANT = [1 << 51, 1, (0x3FF << 52) | 2, -(1 << 63) + ((0x3FF << 52) | 2), (0x3FF8 << 48) | 3]
_step_cache: list = []


def fp_probe_ok() -> bool:
    """Whether CPU float64 multiplication still rounds to nearest and keeps subnormals.

    A cheap check (one 5-entry product compared by bit pattern) run after every operation of an
    enclosure: a forward that switches flush-to-zero on *and off again* inside itself escapes the
    checks of :func:`check_fp_environment` before and after it. The comparison is on int64 bit
    patterns: under denormals-are-zero a float comparison would take a flushed 0 for 2⁻¹⁰⁷⁴."""
    if not _step_cache:
        a = torch.tensor(_STEP_A, dtype=torch.int64).view(torch.float64)
        b = torch.tensor(_STEP_B, dtype=torch.int64).view(torch.float64)
        _step_cache.extend([a, b, torch.tensor(_STEP_WANT, dtype=torch.int64)])
    a, b, want = _step_cache
    return bool(torch.equal(torch.mul(a, b).view(torch.int64), want))
