"""Regression tests for the red-team findings on theorycheck.nets.enclose (issue 13).

One test (or a few) per class of defect, with instances of our own; every enclosure is checked
against exact rational arithmetic (``fractions.Fraction`` of the stored float64 values), never
against theorycheck's own output.

F2  float32 radius bounds whose scale factors underflowed before a large factor applied
F3  discrete operations that round (remainder, floor_divide, round(decimals), bincount weights,
    isclose) treated as exact
F4  Python integer scalars that float64 cannot hold, rounded silently
F5  flush-to-zero / denormals-are-zero not detected
F7  raw tracebacks for unsigned integer inputs and unavailable devices
B3  flush-to-zero switched on and off again inside the forward (unseen before and after it)
B4  int64 constants beyond 2⁵³ reaching the output through cat/stack or as the output itself
B5  raw exceptions: nested/meta inputs, meta models, inf in exact values, non-integer indices
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch import nn

from theorycheck.errors import InvalidArgument, PreconditionError
from theorycheck.nets import _enclosure_arith as ar
from theorycheck.nets.enclosure import enclose, enclose_operator, lower_bound_ratio

torch.set_num_threads(1)
F = Fraction


def _inside(enc, exact) -> list:
    """Indices where the exact value (Fractions, flat) lies outside the enclosure."""
    c = enc.center.reshape(-1).tolist()
    r = enc.radius.reshape(-1).tolist()
    assert len(c) == len(exact)
    return [i for i, (ci, ri, e) in enumerate(zip(c, r, exact)) if abs(e - F(ci)) > F(ri)]


def _exact_linear(layer, x: torch.Tensor, pre=lambda v: v) -> list:
    """Exact output of a bias-free linear layer at ``pre(x)`` (Fractions): its matrix is read off
    unit vectors (every entry a single product ``w·1``: exact in float64)."""
    shape = tuple(x.shape[1:])
    n = int(np.prod(shape))
    with torch.no_grad():
        cols = layer(torch.eye(n, dtype=torch.float64).reshape((n,) + shape)).reshape(n, -1)
    M = [[F(v) for v in row] for row in cols.T.tolist()]
    out = []
    for s in range(x.shape[0]):
        v = [pre(F(t)) for t in x[s].reshape(-1).tolist()]
        out.extend(sum((m * t for m, t in zip(row, v)), F(0)) for row in M)
    return out


# ---------------------------------------------------------------------------------------------
# F2: scale factors multiplied in sequence (float32 radius bounds)
# ---------------------------------------------------------------------------------------------
def test_pow2_and_ldexp_up_against_exact_powers():
    e = torch.arange(-1150, 1100)
    p = ar.pow2(e).tolist()
    for k, v in zip(e.tolist(), p):
        want = math.ldexp(1.0, k) if -1074 <= k <= 1023 else (0.0 if k < -1074 else math.inf)
        assert v == want, k
    rng = np.random.default_rng(3)
    q = torch.tensor(rng.uniform(0, 4, 200) * 2.0 ** rng.integers(-60, 60, 200), dtype=torch.float64)
    ee = torch.tensor(rng.integers(-1200, 1100, 200))
    for qi, ei, vi in zip(q.tolist(), ee.tolist(), ar.ldexp_up(q, ee).tolist()):
        assert vi == math.inf or F(vi) >= F(qi) * F(2) ** ei
        if math.isfinite(vi) and F(qi) * F(2) ** ei > F(2) ** -1000:
            assert F(vi) <= F(qi) * F(2) ** ei * (1 + F(1, 2 ** 50))  # tight, not just an upper bound


def test_radius_f32_with_tiny_weights_and_huge_rows():
    """op(s, |B|) for a 1×k kernel: the bound must exceed the exact sum even when
    w_scale·(float32 sum) underflows while the row scale is huge."""
    rng = np.random.default_rng(11)
    for trial in range(20):
        k = int(rng.integers(1, 6))
        wexp = int(rng.integers(-1070, -900))
        w = torch.tensor(rng.uniform(0.5, 1, k) * 2.0 ** wexp, dtype=torch.float64)
        s = torch.tensor(rng.uniform(0, 1, (3, k)) * 10.0 ** rng.uniform(-300, 300, (3, k)), dtype=torch.float64)
        top = float(w.abs().max())
        wsc = ar.pow2_float(top)
        w32 = ar.f32_up(w.abs() / wsc)

        def op32(a, b):
            return a @ b.reshape(-1, 1)

        R = ar.radius_f32(op32, s.clone(), lambda t: t.amax(dim=-1, keepdim=True), w32, wsc, k)
        for i in range(3):
            exact = sum(F(a) * F(b) for a, b in zip(s[i].tolist(), w.tolist()))
            assert F(float(R[i, 0])) >= exact, (trial, i)


@pytest.mark.parametrize("tight", [True, False])
@pytest.mark.parametrize("kind", ["conv1d", "convT1d", "conv2d", "linear"])
def test_tiny_weights_huge_inputs_against_exact(kind, tight):
    rng = np.random.default_rng(5)
    torch.manual_seed(0)
    if kind == "conv1d":
        layer, shape = nn.Conv1d(2, 2, 3, padding=1, bias=False), (2, 5)
    elif kind == "convT1d":
        layer, shape = nn.ConvTranspose1d(2, 2, 3, stride=2, padding=1, bias=False), (2, 4)
    elif kind == "conv2d":
        layer, shape = nn.Conv2d(1, 2, 2, bias=False), (1, 3, 3)
    else:
        layer, shape = nn.Linear(4, 3, bias=False), (4,)
    layer = layer.double()
    with torch.no_grad():
        w = layer.weight
        w.copy_(torch.tensor(rng.uniform(0.5, 1, w.shape) * rng.choice([-1, 1], w.shape)
                             * 10.0 ** rng.uniform(-305, -295, w.shape)))
    x = rng.choice([-1, 1], (2,) + shape) * 10.0 ** rng.uniform(-300, 300, (2,) + shape)
    x.reshape(2, -1)[:, 0] = 1e300  # a huge entry in every sample: the per-sample scale is huge
    xt = torch.tensor(x, dtype=torch.float64)

    class Pre(nn.Module):  # x/3 first: an inexact input interval (radius ≈ U|x|) into the layer
        def __init__(self):
            super().__init__()
            self.layer = layer

        def forward(self, t):
            return self.layer(t / 3.0)

    for model, pre in ((layer, lambda v: v), (Pre(), lambda v: v / 3)):
        enc = enclose(model, xt, tight=tight)
        assert _inside(enc, _exact_linear(layer, xt, pre)) == []


def test_extreme_weight_and_input_exponents_do_not_crash():
    """Weights or inputs at ≥ 2¹⁰²³: the power-of-two scales stay finite (no OverflowError)."""
    for wv, xv in ((1.5e308, [1e-300, -3e-301]), (1e-300, [1.6e308, 1e100])):
        conv = nn.Conv1d(1, 1, 1, bias=False).double()
        with torch.no_grad():
            conv.weight.fill_(wv)
        x = torch.tensor([[xv]], dtype=torch.float64)
        for tight in (True, False):
            enc = enclose(conv, x, tight=tight)
            assert _inside(enc, [F(wv) * F(v) for v in xv]) == []


# ---------------------------------------------------------------------------------------------
# F3: discrete operations that round
# ---------------------------------------------------------------------------------------------
T = lambda *v: torch.tensor(v, dtype=torch.float64)  # noqa: E731


@pytest.mark.parametrize("f", [
    lambda x: torch.remainder(x, 0.7),
    lambda x: x % 2.5,
    lambda x: torch.remainder(x, T(0.3, 0.3)),
    lambda x: torch.floor_divide(x, 7.0),
    lambda x: x // 0.1,
    lambda x: torch.round(x, decimals=2),
    lambda x: torch.round(x, decimals=-1),
    lambda x: torch.bincount(torch.tensor([1, 1]), weights=x),
    lambda x: torch.isclose(x, x + 0.0).to(x.dtype) * x,
    lambda x: x * float(torch.allclose(x, x * 1.0)),
])
def test_rounding_discrete_ops_are_refused(f):
    with pytest.raises(PreconditionError, match="rounds|data-dependent"):
        enclose(f, T(-0.3, 1.7))


def test_exact_discrete_ops_against_fractions():
    rng = np.random.default_rng(7)
    xs = (rng.choice([-1, 1], 12) * 10.0 ** rng.uniform(-20, 20, 12)).tolist() + [-0.0, 2.5, -2.5, 0.5]
    x = torch.tensor(xs, dtype=torch.float64)
    d = 0.3

    def fmod_exact(a, b):  # C fmod: a − b·trunc(a/b), exact in IEEE arithmetic
        q = F(a) / F(b)
        return F(a) - F(b) * (math.floor(q) if q >= 0 else math.ceil(q))

    def round_half_even(q):
        return F(round(q))  # Python rounds Fractions half to even

    cases = [
        (lambda t: torch.fmod(t, d), [fmod_exact(a, d) for a in xs]),
        (torch.floor, [F(math.floor(F(a))) for a in xs]),
        (torch.ceil, [F(math.ceil(F(a))) for a in xs]),
        (torch.trunc, [F(math.trunc(F(a))) for a in xs]),
        (torch.round, [round_half_even(F(a)) for a in xs]),
        (torch.sign, [F((a > 0) - (a < 0)) for a in xs]),
        (lambda t: (t > 0.5).to(t.dtype), [F(int(a > 0.5)) for a in xs]),
    ]
    for f, exact in cases:
        enc = enclose(f, x)
        assert _inside(enc, exact) == []
    # integer remainder / floor_divide / bincount stay exact (index arithmetic)
    enc = enclose(lambda t: t * (torch.arange(16) % 3) + torch.bincount(torch.arange(16) // 4, minlength=16)[:16], x)
    exact = [F(a) * (i % 3) + (4 if i < 4 else 0) for i, a in enumerate(xs)]
    assert _inside(enc, exact) == []


def test_fmod_against_fractions_or_refused():
    """fmod is exact in IEEE arithmetic; torch's CPU kernel returns NaN for huge ratios: refused."""
    rng = np.random.default_rng(2)
    a = rng.choice([-1, 1], 60) * 10.0 ** rng.uniform(-320, 308, 60)
    b = rng.choice([-1, 1], 60) * 10.0 ** rng.uniform(-320, 308, 60)
    refused = 0
    for x, y in zip(a.tolist(), b.tolist()):
        try:
            enc = enclose(lambda t, y=y: torch.fmod(t, y), T(x))
        except PreconditionError as exc:
            assert "NaN" in str(exc)
            refused += 1
            continue
        q = F(x) / F(y)
        assert _inside(enc, [F(x) - F(y) * (math.floor(q) if q >= 0 else math.ceil(q))]) == []
    assert refused < 60


def test_rounding_op_on_a_computed_interval_is_refused():
    with pytest.raises(PreconditionError):
        enclose(lambda t: torch.fmod(t / 3.0, 1.0), T(0.5))


# ---------------------------------------------------------------------------------------------
# F4: Python scalars float64 cannot hold
# ---------------------------------------------------------------------------------------------
BIG = 3 * 2 ** 54 + 1  # odd, beyond 2⁵³: not a float64


@pytest.mark.parametrize("f", [
    lambda t: t * BIG,
    lambda t: BIG * t,
    lambda t: t / BIG,
    lambda t: torch.add(t, t, alpha=BIG),
    lambda t: torch.sub(t, t, alpha=-BIG),
    lambda t: torch.clamp(t, max=-BIG),
    lambda t: torch.clamp(t, min=BIG),
    lambda t: nn.functional.hardtanh(t, min_val=-BIG, max_val=BIG),
    lambda t: t.masked_fill(torch.tensor([True, False]), BIG),
    lambda t: nn.functional.pad(t, (1, 0), value=BIG),
    lambda t: nn.functional.leaky_relu(t, BIG),
    lambda t: nn.functional.elu(t, alpha=BIG),
    lambda t: t + torch.full((2,), BIG, dtype=torch.float64),
    lambda t: t.clone().fill_(BIG),
    lambda t: torch.where(t > 0, t, BIG),
    lambda t: t * (t.detach() == BIG).to(t.dtype),
    lambda t: t + torch.arange(BIG, BIG + 2, dtype=torch.float64),
    lambda t: t * np.int64(BIG),
    lambda t: t * (np.longdouble(1) / 3),
])
def test_inexact_integer_scalars_are_refused(f):
    with pytest.raises(PreconditionError, match="not exact in float64"):
        enclose(f, T(1.0, -2.0))


def test_the_scalar_validator_itself():
    """The one gate every Python scalar of a handler goes through (also behind the torch-function gate)."""
    from theorycheck.nets._enclosure_ops import Run

    run = Run()
    for bad in (2 ** 53 + 1, -(2 ** 70 + 1), 10 ** 400, True, "1", None):
        with pytest.raises(PreconditionError):
            run.number(bad, "x")
    for ok in (2 ** 53, 2 ** 60, -(2 ** 1000), 0, 1.5, -0.0, 3 - 4j):
        v = run.number(ok, "x")
        assert (F(v) == F(ok)) if not isinstance(ok, complex) else v == ok
    with pytest.raises(PreconditionError, match="complex"):
        run.real_number(1j, "slope")


def test_exact_large_integer_scalars_still_work():
    big = 2 ** 60 + 2 ** 10  # beyond 2⁵³ but a float64
    x = T(1.5, -2.0)
    enc = enclose(lambda t: torch.add(t * big, t, alpha=big), x)
    assert _inside(enc, [F(a) * big + F(a) * big for a in (1.5, -2.0)]) == []


def test_float_to_integer_conversion_out_of_range_is_refused():
    with pytest.raises(PreconditionError, match="outside the range"):
        enclose(lambda t: t + torch.full((2,), 1e30, dtype=torch.float64).long().to(t.dtype), T(1.0, 2.0))


# ---------------------------------------------------------------------------------------------
# F5: flush-to-zero / denormals-are-zero
# ---------------------------------------------------------------------------------------------
def test_flush_denormal_is_detected_everywhere():
    from theorycheck.problems.operators import MatrixOperator

    lin = nn.Linear(1, 1, bias=False).double()
    with torch.no_grad():
        lin.weight.fill_(0.5)
    x = torch.tensor([[1.25 * 2.0 ** -1022]], dtype=torch.float64)  # 0.5·x is subnormal
    enc0, enc1 = enclose(lin, x), enclose(lin, 2 * x)  # with gradual underflow
    if not torch.set_flush_denormal(True):
        pytest.skip("this CPU cannot flush denormals")
    errors = []
    try:
        for call in (lambda: ar.check_fp_environment("cpu"), lambda: enclose(lin, x),
                     lambda: enclose_operator(MatrixOperator(np.eye(2)), np.ones(2)),
                     lambda: lower_bound_ratio(enc0, enc1, x, 2 * x)):
            try:
                call()
                errors.append(None)
            except PreconditionError as exc:
                errors.append(str(exc))
    finally:
        torch.set_flush_denormal(False)
    assert all(e is not None and "set_flush_denormal" in e for e in errors), errors
    ar.check_fp_environment("cpu")  # restored: passes again
    assert _inside(enclose(lin, x), [F(1, 2) * F(1.25 * 2.0 ** -1022)]) == []


def test_a_forward_that_switches_on_flush_to_zero_is_refused():
    from theorycheck.nets import as_reconstruction_map

    class Sneaky(nn.Module):
        def forward(self, t):
            torch.set_flush_denormal(True)
            return t * 0.5

    x = torch.tensor([[1.25 * 2.0 ** -1022]], dtype=torch.float64)
    supported = torch.set_flush_denormal(True)
    torch.set_flush_denormal(False)
    if not supported:
        pytest.skip("this CPU cannot flush denormals")
    try:
        for model in (Sneaky(), as_reconstruction_map(Sneaky(), layout="plain")):
            with pytest.raises(PreconditionError, match="set_flush_denormal"):
                enclose(model, x)
            torch.set_flush_denormal(False)
    finally:
        torch.set_flush_denormal(False)


# ---------------------------------------------------------------------------------------------
# F7: unsigned integers and devices
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.uint8, torch.uint16, torch.uint32, torch.uint64, torch.int16])
def test_unsigned_integer_inputs_are_exact(dtype):
    net = nn.Linear(2, 1, bias=False).double()
    with torch.no_grad():
        net.weight.copy_(torch.tensor([[0.1, -3.0]], dtype=torch.float64))
    vals = [[200, 7]]
    for y in (torch.tensor(vals, dtype=dtype), torch.tensor(vals, dtype=dtype).numpy()):
        enc = enclose(net, y)
        assert _inside(enc, [F(0.1) * 200 - 3 * 7]) == []
    # constants of these types inside the forward
    enc = enclose(lambda t: t * torch.tensor([5, 6], dtype=dtype), T(0.1, 0.2))
    assert _inside(enc, [F(0.1) * 5, F(0.2) * 6]) == []
    assert lower_bound_ratio(enclose(net, torch.tensor(vals, dtype=dtype)), enclose(net, np.zeros((1, 2))),
                             torch.tensor(vals, dtype=dtype), np.zeros((1, 2))) > 0


def test_unsigned_integers_beyond_2_53_are_refused():
    net = nn.Linear(2, 1).double()
    y = np.array([[2 ** 63 + 1, 1]], dtype=np.uint64)
    with pytest.raises(InvalidArgument, match="2⁵³"):
        enclose(net, y)
    with pytest.raises(InvalidArgument, match="2⁵³"):
        enclose(net, torch.from_numpy(y))
    with pytest.raises(PreconditionError, match="2⁵³"):
        enclose(lambda t: t * torch.from_numpy(np.array([2 ** 60 + 1, 1], dtype=np.uint64)), T(1.0, 1.0))


def test_quantized_and_sparse_inputs_are_invalid_arguments():
    net = nn.Linear(2, 2).double()
    with warnings.catch_warnings():  # quantized tensors are deprecated in recent torch
        warnings.simplefilter("ignore")
        q = torch.quantize_per_tensor(torch.tensor([[1.0, 2.0]]), 0.1, 0, torch.qint8)
    for y in (q, torch.tensor([[1.0, 2.0]], dtype=torch.float64).to_sparse()):
        with pytest.raises(InvalidArgument, match="dense"):
            enclose(net, y)


@pytest.mark.parametrize("device", ["meta", "mps", "xla", 3, "cuda:99"] +
                         ([] if torch.cuda.is_available() else ["cuda"]))
def test_unavailable_devices_are_invalid_arguments(device):
    with pytest.raises(InvalidArgument, match="device"):
        enclose(nn.Linear(2, 2).double(), np.ones((1, 2)), device=device)


# ---------------------------------------------------------------------------------------------
# B3: flush-to-zero switched on and off again inside the forward
# ---------------------------------------------------------------------------------------------
def _bits_to_float(b: int) -> float:
    return torch.tensor([b], dtype=torch.int64).view(torch.float64).item()


def test_the_per_operation_probe_expects_round_to_nearest_with_subnormals():
    """Each expected bit pattern is the round-to-nearest of the exact product (Fractions), and
    the product under flush-to-zero / directed rounding differs from it."""
    for a, b, w in zip(ar._STEP_A, ar._STEP_B, ar._STEP_WANT):
        fa, fb, fw = _bits_to_float(a), _bits_to_float(b), _bits_to_float(w)
        exact = F(fa) * F(fb)
        ulp = F(2) ** (max(math.frexp(fw)[1] - 53, -1074))   # spacing of float64 at fw
        assert abs(F(fw) - exact) < ulp / 2                 # strictly nearest (no tie)
        assert F(fw) != 0
    assert ar.fp_probe_ok()


class _FTZInside(nn.Module):
    """Switches flush-to-zero on, computes, switches it off (the checks before and after pass)."""

    def __init__(self, swallow: bool = False):
        super().__init__()
        self.swallow = swallow

    def forward(self, x):
        torch.set_flush_denormal(True)
        try:
            y = x * 2.0 ** -1000
            y = y * 3.0
        except Exception:  # noqa: BLE001 - a forward that hides the refusal
            if not self.swallow:
                raise
            y = x
        finally:
            torch.set_flush_denormal(False)
        return y


@pytest.mark.parametrize("swallow", [False, True])
def test_flush_to_zero_on_and_off_inside_the_forward_is_refused(swallow):
    x = torch.tensor([[0.7, 2.0 ** -40, 1.5]], dtype=torch.float64)
    exact = [F(v) * F(2) ** -1000 * 3 for v in x[0].tolist()]
    assert exact[1] != 0 and exact[1] < F(2) ** -1022            # a subnormal exact value
    # without flush-to-zero the enclosure contains the exact values (the probe does not refuse)
    assert _inside(enclose(lambda t: (t * 2.0 ** -1000) * 3.0, x), exact) == []
    supported = torch.set_flush_denormal(True)
    torch.set_flush_denormal(False)
    if not supported:
        pytest.skip("this CPU cannot flush denormals")
    try:
        with pytest.raises(PreconditionError, match="flush-to-zero"):
            enclose(_FTZInside(swallow), x)
    finally:
        torch.set_flush_denormal(False)
    ar.check_fp_environment("cpu")


# ---------------------------------------------------------------------------------------------
# B4: int64 constants beyond 2⁵³ reaching the output
# ---------------------------------------------------------------------------------------------
class _IntBuffer(nn.Module):
    def __init__(self, value: int, how: str):
        super().__init__()
        self.how = how
        self.register_buffer("offset", torch.tensor([[value]], dtype=torch.int64))

    def forward(self, y):
        if self.how == "cat":
            return torch.cat([y, self.offset.expand(y.shape[0], 1)], 1)
        if self.how == "stack":
            return torch.stack([y[0], self.offset[0]])
        if self.how == "hstack":
            return torch.hstack([y, self.offset])
        if self.how == "const_cat":
            return torch.cat([torch.ones(1, 1, dtype=torch.float64), self.offset], 1) + 0 * y.sum()
        return self.offset


@pytest.mark.parametrize("how", ["cat", "stack", "hstack", "const_cat", "return"])
def test_integer_constants_beyond_2_53_reaching_the_output_are_refused(how):
    y = torch.tensor([[1.0]], dtype=torch.float64)
    with pytest.raises(PreconditionError, match="2⁵³"):
        enclose(_IntBuffer(2 ** 53 + 1, how), y)
    # exact integers below 2⁵³ still pass and are enclosed exactly
    n = 2 ** 53 - 1
    enc = enclose(_IntBuffer(n, how), y)
    want = {"cat": [F(1), F(n)], "stack": [F(1), F(n)], "hstack": [F(1), F(n)],
            "const_cat": [F(1), F(n)], "return": [F(n)]}[how]
    assert _inside(enc, want) == []
    assert enc.contains(np.array(want, dtype=object).reshape(enc.shape))
    assert not enc.contains(np.array([w + 1 for w in want], dtype=object).reshape(enc.shape))


# ---------------------------------------------------------------------------------------------
# B5: raw exceptions on user input
# ---------------------------------------------------------------------------------------------
def test_nested_and_meta_inputs_and_meta_models_are_invalid_arguments():
    lin = nn.Linear(2, 3).double()
    with warnings.catch_warnings():  # nested tensors are a prototype API
        warnings.simplefilter("ignore")
        nested = torch.nested.nested_tensor([torch.ones(2, dtype=torch.float64)])
    with pytest.raises(InvalidArgument, match="nested"):
        enclose(lin, nested)
    with pytest.raises(InvalidArgument, match="meta"):
        enclose(lin, torch.ones(1, 2, device="meta"))
    with pytest.raises(InvalidArgument, match="meta device"):
        enclose(nn.Linear(2, 1).to("meta"), np.array([[0.5, 0.2]]))


def test_contains_with_inf_and_bad_indices_are_invalid_arguments():
    lin = nn.Linear(2, 3, bias=False).double()
    x = torch.tensor([[0.5, 0.25]], dtype=torch.float64)
    enc = enclose(lin, x)
    exact = _exact_linear(lin, x)
    assert enc.contains(np.array([exact], dtype=object))
    for bad in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(InvalidArgument, match="rational"):
            enc.contains(np.array([[bad] + exact[1:]], dtype=object))
    for bad_index in ("a", (0, "b"), ["a"]):
        with pytest.raises(InvalidArgument, match="index"):
            enc[bad_index]
    part = enc[0]                                    # integer indices still select exactly
    assert _inside(part, exact) == []
    with pytest.raises(IndexError):                  # out of range stays an IndexError
        enc[5]
