"""Rigorous enclosures of a network's exact real-arithmetic output (midpoint–radius arithmetic).

:func:`enclose` returns an :class:`Enclosure` — float64 tensors ``center`` and
``radius`` of the output's shape — such that the output of the network
**evaluated in exact real arithmetic** at the exact input lies in
``[center − radius, center + radius]`` entrywise. It is what turns an
instability certificate about a float64 *program* into one about the network
as a mathematical map (``Rigor.PROVEN``): :func:`lower_bound_ratio` gives a
proven lower bound on ``‖Ψ(y₁) − Ψ(y₀)‖₂ / ‖y₁ − y₀‖₂``.

What is proven
--------------
For a ``torch.nn.Module`` (or a torch function) ``f`` and an input ``y``
(exactly as its ``forward`` takes it, or measurements for a
:class:`~theorycheck.nets.adapters.ReconstructionMap`): let ``f*`` be the map
obtained by reading every parameter and buffer at its exact stored value
(float16/bfloat16/float32/float64 values are converted to float64 exactly) and
performing every operation of ``forward`` in exact real arithmetic (sums,
products, ``tanh``, ``exp``, ``√``, … without rounding; the input conversion
``A^* y`` of a reconstruction map with the exact operator, e.g. the exact
orthonormal DFT). Then ``f*(y) ∈ [center ± radius]`` entrywise. Complex
outputs are enclosed in their real and imaginary parts separately
(``radius_real``, ``radius_imag``; ``radius`` bounds the modulus of the error).
Index maps are the network's own (nearest-neighbour upsampling, padding, slicing);
bilinear interpolation uses the exact rational coordinate map of torch's formula.

How
---
The forward runs once on interval tensors under a ``TorchDispatchMode``
(:mod:`theorycheck.nets._enclosure_ops`): every ATen operation — including
operations on constants — is replaced by a rule with an a-priori error bound,
so no arithmetic escapes. ReLU, max-pool and rearrangements are exact on
centres and radii; monotone functions (tanh, sigmoid, ELU, exp, clamp, √) are
bounded at the endpoints ``[c − r, c + r]`` with directed rounding (one
``nextafter`` step after each correctly rounded operation); batch-norm
coefficients ``γ/√(var + eps)`` and ``β − μ·s`` are arb balls.

Linear maps (convolutions, matrix products, the transform factors of the
operators, interpolation) have two rules:

* *fast* (``tight=False``): the centre ``W c + b`` in float64 and the radius
  ``|W|(r + γ|c|) + γ|b| + n·2⁻¹⁰⁷⁴`` with ``γ = γ_{n+1}`` — Higham's bound
  ``|fl(Σ aᵢbᵢ) − Σ aᵢbᵢ| ≤ γₙ Σ|aᵢ||bᵢ|``, valid for any summation order, blocking
  and FMA (MKL/OpenBLAS GEMM, torch's im2col convolutions; the convolution
  algorithm is checked with ``torch._C._select_conv_backend`` and Winograd, FFT
  and cuDNN algorithms are refused);
* *tight* (default): a double-double centre ``h + l``. Ozaki's error-free split
  ``c = A₁ + A₂``, ``W = B₁ + B₂`` (``A₁`` on a grid per dot product, ``B₁`` per
  output, ``n·2^{k_a + k_b} ≤ 2⁵²``) makes ``W₁·A₁`` exact in float64 in any
  summation order; the small remainder ``A₁·B₂ + (A₂ + l)·W`` (``≈ 2⁻²¹``
  relative) is rounded with error ``≤ γ_{2n+1}`` of itself, and TwoSum
  renormalises. The local error drops from ``≈ n·2⁻⁵³`` to ``≈ 2⁻⁶⁰`` of
  ``|W||c|``, which matters because radii grow by the row sums of ``|W|`` at
  every layer (a factor ~10⁷ through the demo U-Net: 4e-7 relative width with
  the fast rule, ~2e-12 with the tight one). A layer falls back to the fast
  rule when its incoming radius already exceeds ``0.15·γ_{n+1}·max|c|`` (the
  double-double centre would not narrow it; both rules are rigorous).

In both rules the nonnegative radius convolution ``|W|·s`` is bounded from
*above* in float32 (CPU, ``groups=1``): ``s`` and ``|W|`` are scaled by powers
of two, rounded up to float32, convolved with torch's im2col + GEMM kernel
(``thnn_conv2d``/``slow_conv*``, never oneDNN) and the float32 sum of ``n``
nonnegative products is inflated by ``1 + 2γ32ₙ`` plus ``n·2⁻¹⁴⁹`` and scaled back
by one power of two whose exponent is the integer sum of both scales (applied
one after the other, a tiny weight scale could underflow to 0 before a huge
input scale restores it); elsewhere it is a float64 product with Higham's bound.

Rounding model: every radius is computed in float64 as a nonnegative
expression whose exact value exceeds the computed one by at most ``m``
relative roundings (factor ``(1 − 2⁻⁵³)^{−m} ≤ 1 + γ_m``) plus an explicit
absolute term for underflowing products (each ``≤ 2⁻¹⁰⁷⁵``, multiplied by the
sum of the weights it propagates through); the result is then multiplied by
``1 + γ_{m+2}`` (rounded up) and ``2⁻¹⁰⁷⁴`` is added, which makes it an upper
bound also after its own rounding. Overflow (a non-finite centre or radius)
raises :class:`~theorycheck.errors.InsufficientPrecision` naming the module.

Assumptions (``Enclosure.assumptions`` lists those a result used)
-----------------------------------------------------------------
* IEEE binary64 arithmetic with round-to-nearest and gradual underflow for
  torch's elementwise operations and BLAS products on the device (checked at
  run time before and after the forward, and with a cheap CPU probe after every
  operation inside it: a flush-to-zero or a changed rounding mode is refused).
* Only when the network has ``tanh``, ``sigmoid``, ELU/SELU or ``exp`` and
  ``transcendental="libm"`` (the default): torch's float64 ``tanh``, ``exp``
  and ``expm1`` on the device are within 4 ulps of the exact value. Documented
  bounds are ≤ 1 ulp for SLEEF's ``u10`` functions (torch's vectorised CPU
  kernels), ≤ 1 ulp for MKL VML in HA mode, ≤ 2 ulps for glibc's ``tanh``
  (the glibc manual's table; ``exp``/``expm1`` ≤ 1 ulp) and ≤ 1–2 ulps for
  CUDA's libdevice. ``transcendental="arb"`` evaluates the endpoints with
  python-flint balls instead and needs no libm assumption (slow: small tensors).

Supported
---------
``Linear``, ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d`` (any stride, padding,
dilation, groups), ``BatchNorm1d/2d/3d`` in eval mode, ``ReLU``,
``LeakyReLU``, ``PReLU``, ``ELU``, ``SELU``, ``Tanh``, ``Sigmoid``,
``Hardtanh``/``ReLU6``/``clamp``, ``MaxPool1d/2d/3d`` (and adaptive),
``AvgPool1d/2d/3d`` (and adaptive), ``Upsample`` (nearest, nearest-exact,
linear, bilinear), ``cat``, ``stack``, ``+``, ``−``, ``*``, ``/`` (by constants
or by intervals away from 0), ``sum``, ``mean``, ``abs``, ``√``, ``exp``,
``where``/``masked_fill`` with constant masks, padding (constant, reflect,
replicate, circular), reshape/view/flatten/permute/transpose/slicing/indexing,
in-place versions of these (applied to the tracked storage, so views see them),
complex ↔ channel conversions (``torch.complex``, ``view_as_real``,
``.real``/``.imag``, ``stack``) and, for reconstruction maps, the operators
``MatrixOperator``, ``SubsampledFourier``, ``SubsampledDCT``,
``SubsampledWalshHadamard`` and their adjoints/compositions (dense factors with
arb-enclosed entries; see :mod:`theorycheck.nets._enclosure_operators`).
Discrete functions that IEEE arithmetic computes exactly (comparisons, ``sign``,
``floor``/``ceil``/``trunc``, ``round`` to integers, ``fmod``, max/min/sort/topk,
``masked_select``, ``unique``) are allowed on exact values (the input and
constants); those that round — ``remainder``/``%`` and ``floor_divide``/``//`` of
floats, ``round(decimals≠0)``, weighted ``bincount``, ``isclose`` — are refused.
Every Python number in ``forward`` must equal a float64 exactly (an integer
beyond 2⁵³ such as ``2⁵³ + 1`` is refused: torch would round it).

Not supported (raise :class:`~theorycheck.errors.PreconditionError` naming the
operation and the module, so callers can fall back to float64): softmax, GELU,
SiLU, normalisation with batch or instance statistics (BatchNorm in training
mode, InstanceNorm/LayerNorm/GroupNorm), dropout in training mode and other
random operations, data-dependent control flow (``bool``/``item``/comparisons
of computed values), max-pool indices (``MaxUnpool``), casts to a narrower float
type inside ``forward``, writes into parameters or buffers, forward/backward
hooks, TorchScript and ``torch.compile`` modules, complex-valued layers (complex
weights or complex products), wavelet/Radon/TV operators, bicubic/trilinear
interpolation. Inputs with NaN/inf raise :class:`~theorycheck.errors.InvalidArgument`.

The user's model is never modified: modules are deep-copied and converted to
float64 (:class:`Encloser` keeps that copy for repeated calls).

Theorem: Universal instability theorem (docs/theory.md §3): an enclosure of the exact
outputs at ``y₀, y₁`` bounds the local Lipschitz constant of the real network from below.
Rigor: proven for IEEE binary64 round-to-nearest arithmetic; with a libm accuracy
assumption (4 ulps) only when tanh/sigmoid/ELU/exp occur and ``transcendental="libm"``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import numbers
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode, _disable_current_modes
from torch.utils._pytree import tree_flatten

from theorycheck.errors import InsufficientPrecision, InvalidArgument, PreconditionError, TheorycheckError
from theorycheck.nets import (
    _enclosure_activations,  # noqa: F401  (registers the activation rules)
    _enclosure_linear,  # noqa: F401  (registers the linear-map rules)
)
from theorycheck.nets import _enclosure_arith as ar
from theorycheck.nets._enclosure_operators import enclose_operator as _enclose_operator
from theorycheck.nets._enclosure_ops import Iv, Poison, Run, collapse
from theorycheck.numerics.backend import device_arg
from theorycheck.numerics.rounding import U, norm2_bounds, round_down, round_up
from theorycheck.numerics.validation import binary64_exact
from theorycheck.problems.operators import as_operator

__all__ = ["Enclosure", "Encloser", "enclose", "enclose_each", "enclose_operator", "lower_bound_ratio",
           "PURE_FORWARD"]

_IEEE = "IEEE binary64 arithmetic, round-to-nearest, gradual underflow (checked at run time)"
_LIBM = (f"torch's float64 tanh/exp/expm1 within {ar.LIBM_ULPS} ulps of the exact value "
         "(SLEEF u10 ≤ 1 ulp, MKL VML HA ≤ 1 ulp, glibc tanh ≤ 2 ulps, CUDA ≤ 2 ulps)")
_TRANSCENDENTAL = ("libm", "arb")


class _ForwardFailed(PreconditionError):
    """The forward raised a non-theorycheck exception on interval tensors."""


class _Scalars(TorchFunctionMode):
    """Python numbers passed to torch functions: torch's bindings turn a ``float`` argument
    (``F.pad``'s value, ``eps``) into a double *before* dispatch, rounding an integer such as
    ``2⁵³ + 1`` silently. Every number must equal a float64 exactly (:meth:`Run.number`)."""

    def __init__(self, run: Run):
        super().__init__()
        self.run = run

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in _FINITENESS and len(args) == 1 and not kwargs and isinstance(args[0], Iv) \
                and _finite_iv(args[0]):
            # |exact − c| ≤ r with a finite centre and radius: every exact value is a real number, so the
            # predicate is constant (torch would decompose it into comparisons of the activations, which
            # have no enclosure). An Iv holding inf or NaN (a constant fill, a masked where) takes the
            # ordinary path: exact values are compared, computed ones refused
            make = torch.ones if name == "isfinite" else torch.zeros
            return make(tuple(args[0].shape), dtype=torch.bool, device=args[0].c.device)
        for v in tree_flatten((args, kwargs))[0]:
            if isinstance(v, (bool, float, complex)) or not isinstance(v, numbers.Number):
                continue
            name = getattr(func, "__name__", str(func))
            if isinstance(v, numbers.Integral):
                if not -2 ** 53 <= int(v) <= 2 ** 53:
                    self.run.number(int(v), f"an integer argument of {name}")
                continue
            try:
                exact = binary64_exact(v, float(v))  # type: ignore[arg-type]  # numpy scalars, long doubles
            except (TypeError, ValueError, OverflowError):
                exact = False
            if not exact:
                raise self.run.refuse(f"the argument {v!r} of {name} (not exact in float64)")
        return func(*args, **kwargs)


#: the finiteness predicates, constant on enclosed values with a finite centre and radius
_FINITENESS = ("isfinite", "isnan", "isinf")


def _finite_iv(v: Iv) -> bool:
    """Whether the centre (and its low part) and the radius of ``v`` are finite everywhere (computed on the
    plain tensors with the enclosure's dispatch mode set aside: they are not values of the network)."""
    parts = [v.c] + [t for t in (v.lo, v.r) if t is not None]
    with _disable_current_modes():
        return all(bool(torch.isfinite(t).all()) for t in parts)  # complex: both parts finite


class _Mode(TorchDispatchMode):
    def __init__(self, run: Run):
        super().__init__()
        self.run = run

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        return self.run.dispatch(func, args, kwargs or {})


# ------------------------------------------------------------------------------------------
# the result
# ------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class Enclosure:
    """Centre and radius of the exact real-arithmetic output of a network (CPU tensors).

    Attributes
    ----------
    center : torch.Tensor
        float64 (real outputs) or complex128 (complex outputs), the output's shape.
    radius : torch.Tensor
        float64, the output's shape: ``|exact − center| ≤ radius`` entrywise (the
        modulus of the error for complex outputs).
    radius_real, radius_imag : torch.Tensor or None
        Complex outputs: bounds on the errors of the real and imaginary parts
        (``None`` for real outputs).
    assumptions : tuple of str
        What the proof assumes (IEEE arithmetic; a libm accuracy bound when
        transcendental functions were bounded with libm).
    notes : tuple of str
        How special parts were enclosed (operators, transcendental functions).
    rigor : str
        ``"proven"``.

    Theorem: none (a containment statement; see :mod:`theorycheck.nets.enclosure`).
    Rigor: proven under ``assumptions``.
    """

    center: torch.Tensor
    radius: torch.Tensor
    radius_real: torch.Tensor | None = None
    radius_imag: torch.Tensor | None = None
    assumptions: tuple[str, ...] = (_IEEE,)
    notes: tuple[str, ...] = ()
    rigor: str = "proven"

    @property
    def shape(self) -> tuple[int, ...]:
        """The output's shape."""
        return tuple(self.center.shape)

    def __getitem__(self, index: Any) -> "Enclosure":
        """The enclosure of a part of the output (``enc[i]``: sample ``i`` of a batch); exact selection."""
        pick = lambda t: None if t is None else t[index]  # noqa: E731
        what = (f"Enclosure[{index!r}]: index with integers, slices, ellipsis, None or integer/bool "
                "tensors")
        parts = index if isinstance(index, (tuple, list)) else (index,)
        if any(isinstance(i, (str, bytes)) for i in parts):  # torch would read a str as a sequence
            raise InvalidArgument(what)
        try:
            center = self.center[index]
        except TypeError as exc:  # IndexError stays: out of range (and the end of iteration)
            raise InvalidArgument(f"{what} ({exc})") from exc
        return Enclosure(center, self.radius[index], pick(self.radius_real),
                         pick(self.radius_imag), self.assumptions, self.notes, self.rigor)

    @property
    def is_complex(self) -> bool:
        """Whether the output is complex."""
        return bool(self.center.is_complex())

    @property
    def width(self) -> torch.Tensor:
        """``2·radius`` (exact: a power-of-two scaling)."""
        return 2.0 * self.radius

    @property
    def max_radius(self) -> float:
        """The largest radius."""
        return float(self.radius.max()) if self.radius.numel() else 0.0

    @property
    def relative_width(self) -> float:
        """``max radius / max |center|`` rounded up (``inf`` for a zero centre with a radius).

        Theorem: none.
        Rigor: an upper bound of the stated ratio.
        """
        top = float(self.center.abs().max()) if self.center.numel() else 0.0
        rad = self.max_radius
        if rad == 0.0:
            return 0.0
        if top == 0.0:
            return math.inf
        return float(round_up(rad / round_down(top * (1 - 2 * U))))

    def lower(self) -> torch.Tensor:
        """A float64 tensor ``≤`` the exact output entrywise (real outputs)."""
        if self.is_complex:
            raise InvalidArgument("lower() of a complex enclosure: use center.real/imag with radius_real/imag")
        return ar.pred(self.center - self.radius)

    def upper(self) -> torch.Tensor:
        """A float64 tensor ``≥`` the exact output entrywise (real outputs)."""
        if self.is_complex:
            raise InvalidArgument("upper() of a complex enclosure: use center.real/imag with radius_real/imag")
        return ar.succ(self.center + self.radius)

    def contains(self, values: Any) -> bool:
        """Whether every entry of ``values`` lies in the enclosure (decided exactly).

        ``values``: an array/tensor of the output's shape (float, int or complex;
        a numpy object array of ``fractions.Fraction``/ints/floats for exact real
        values). Real and imaginary parts are compared with ``radius_real`` and
        ``radius_imag`` for complex enclosures.

        Theorem: none.
        Rigor: proven (float comparisons where a margin of 4 ulps decides,
        ``Fraction`` arithmetic otherwise).
        """
        arr = _as_numpy(values)
        if arr.shape != self.shape:
            try:
                arr = np.broadcast_to(arr, self.shape)
            except ValueError:
                raise InvalidArgument(f"values have shape {arr.shape}, the enclosure {self.shape}") from None
        c = self.center.numpy()
        if arr.dtype == object:
            if self.is_complex:
                raise InvalidArgument("exact (object) values are supported for real enclosures only")
            return _contains_exact(arr, c, self.radius.numpy())
        if self.is_complex:
            a = arr.astype(np.complex128)
            return (_contains_real(a.real, c.real, self.radius_real.numpy())  # type: ignore[union-attr]
                    and _contains_real(a.imag, c.imag, self.radius_imag.numpy()))  # type: ignore[union-attr]
        if np.iscomplexobj(arr):
            if np.any(arr.imag != 0):
                return False
            arr = arr.real
        return _contains_real(arr.astype(np.float64), c, self.radius.numpy())


def _as_numpy(values: Any) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        t = values.detach().cpu()
        if t.is_complex():
            return t.to(torch.complex128).numpy()
        return t.to(torch.float64).numpy() if t.dtype != torch.float64 else t.numpy()
    arr = np.asarray(values)
    if arr.dtype.kind not in "biufcO":
        raise InvalidArgument(f"values have dtype {arr.dtype}: pass numbers")
    return arr


def _contains_real(v: np.ndarray, c: np.ndarray, r: np.ndarray) -> bool:
    if not np.all(np.isfinite(v)):
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        a = np.abs(v - c)            # |exact difference| ∈ [a(1 − U), a(1 + U)] (or = a below 2⁻¹⁰²²)
        sure_in = a * (1 + 4 * U) <= r
        sure_out = a * (1 - 4 * U) > r
    if np.any(sure_out & np.isfinite(a)):
        return False
    todo = np.argwhere(~sure_in)
    for idx in todo:
        t = tuple(idx)
        if abs(Fraction(float(v[t])) - Fraction(float(c[t]))) > Fraction(float(r[t])):
            return False
    return True


def _contains_exact(v: np.ndarray, c: np.ndarray, r: np.ndarray) -> bool:
    for idx in np.ndindex(v.shape):
        x = v[idx]
        try:
            q = Fraction(x) if not isinstance(x, float) else Fraction(x)
        except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: float inf
            raise InvalidArgument(f"value {x!r} at {idx} of values is not a (finite) rational number: "
                                  "pass Fractions, ints or finite floats") from exc
        if abs(q - Fraction(float(c[idx]))) > Fraction(float(r[idx])):
            return False
    return True


# ------------------------------------------------------------------------------------------
# preparation of a model
# ------------------------------------------------------------------------------------------
def _global_hooks() -> list[str]:
    from torch.nn.modules import module as M

    names = ["_global_forward_hooks", "_global_forward_pre_hooks", "_global_backward_hooks",
             "_global_backward_pre_hooks", "_global_forward_hooks_always_called"]
    return [n for n in names if getattr(M, n, None)]


def _check_module(model: torch.nn.Module) -> None:
    if isinstance(model, torch.jit.ScriptModule):
        raise PreconditionError("enclose: TorchScript modules are not supported: pass the Python module",
                                hypothesis="supported layer")
    if type(model).__name__ == "OptimizedModule":
        raise PreconditionError("enclose: torch.compile'd modules are not supported: pass model._orig_mod",
                                hypothesis="supported layer")
    glob = _global_hooks()
    if glob:
        raise PreconditionError(f"enclose: global module hooks are registered ({', '.join(glob)}): "
                                "remove them", hypothesis="supported layer")
    from torch.nn.modules.batchnorm import _BatchNorm
    from torch.nn.modules.dropout import _DropoutNd

    for name, m in model.named_modules():
        label = f"'{name or '<root>'}' ({type(m).__name__})"
        for attr in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks"):
            if getattr(m, attr, None):
                raise PreconditionError(f"enclose: module {label} has {attr.strip('_').replace('_', ' ')}: "
                                        "hooks can change the output; remove them", hypothesis="supported layer")
        if m.training and isinstance(m, _BatchNorm):
            raise PreconditionError(f"enclose: module {label} is a batch norm in training mode (batch "
                                    "statistics): call model.eval()", hypothesis="supported layer")
        if m.training and isinstance(m, (_DropoutNd, torch.nn.AlphaDropout, torch.nn.FeatureAlphaDropout)):
            raise PreconditionError(f"enclose: module {label} is dropout in training mode (random): call "
                                    "model.eval()", hypothesis="supported layer")


def _float64_copy(model: torch.nn.Module, device: Any, eval_mode: bool | None) -> torch.nn.Module:
    """A private float64 copy on ``device`` (``eval_mode``: True → eval(), False → train(), None → as is)."""
    try:
        work = copy.deepcopy(model)
    except Exception as exc:  # noqa: BLE001 - any deepcopy failure
        raise InvalidArgument(f"enclose: cannot copy the model ({type(exc).__name__}: {exc})") from exc
    with torch.no_grad():
        for name, t in list(work.named_parameters()) + list(work.named_buffers()):
            if t.device.type == "meta" or t.is_nested:
                raise InvalidArgument(f"enclose: parameter or buffer '{name}' is "
                                      f"{'on the meta device' if t.device.type == 'meta' else 'nested'} "
                                      "(no values to enclose): load the weights into a CPU model first")
            if t.is_floating_point():
                t.data = t.data.to(device=device, dtype=torch.float64)
            elif t.is_complex():
                t.data = t.data.to(device=device, dtype=torch.complex128)
            else:
                t.data = t.data.to(device=device)
            if (t.is_floating_point() or t.is_complex()) and not bool(torch.isfinite(t.data).all()):
                raise InvalidArgument(f"enclose: parameter or buffer '{name}' contains NaN or inf")
            if isinstance(t, torch.nn.Parameter):
                t.requires_grad_(False)
    if eval_mode is True:
        work.eval()
    elif eval_mode is False:
        work.train()
    return work


def _input(y: Any, device: Any, name: str = "y") -> torch.Tensor:
    """``y`` as a private float64/complex128 tensor on ``device`` (exact conversion), finite."""
    if isinstance(y, (Iv, Poison)):
        raise InvalidArgument(f"{name} is an interval tensor: pass numbers")
    if isinstance(y, torch.Tensor):
        if y.is_nested:
            raise InvalidArgument(f"{name} is a nested tensor: pass a dense float tensor "
                                  "(e.g. y.to_padded_tensor(0.0) or torch.stack of the parts)")
        if y.device.type == "meta":
            raise InvalidArgument(f"{name} is on the meta device (it has no values): pass a tensor with data")
        if y.is_quantized or y.layout != torch.strided:
            raise InvalidArgument(f"{name} is a {'quantized' if y.is_quantized else str(y.layout)} tensor: pass "
                                  "a dense float tensor (dequantize or .to_dense() it yourself)")
        t = y.detach()
    else:
        try:
            arr = np.asarray(y)
        except Exception as exc:  # noqa: BLE001
            raise InvalidArgument(f"{name} could not be read as an array: {exc}") from exc
        if arr.dtype.kind not in "biufc":
            raise InvalidArgument(f"{name} has dtype {arr.dtype}: pass a float or complex array or tensor")
        if arr.dtype == np.longdouble or arr.dtype == np.clongdouble:
            raise InvalidArgument(f"{name} has dtype {arr.dtype}: convert it to float64 yourself (rounding)")
        t = torch.from_numpy(np.array(arr))
    if t.is_complex():
        out = t.to(device=device, dtype=torch.complex128)
    elif t.is_floating_point():
        out = t.to(device=device, dtype=torch.float64)
    else:
        if t.dtype != torch.bool and t.numel():
            # via numpy: torch has no abs/max for uint16/32/64, and int64 would wrap uint64
            a = t.cpu().numpy()
            if int(a.max()) > 2 ** 53 or int(a.min()) < -2 ** 53:
                raise InvalidArgument(f"{name} has integers beyond 2⁵³ (not exact in float64): convert "
                                      "it to float64 yourself if the rounding is intended")
            t = torch.from_numpy(a.astype(np.float64))
        out = t.to(device=device, dtype=torch.float64)
    if not bool(torch.isfinite(out).all()):
        raise InvalidArgument(f"{name} contains NaN or inf: enclosures need finite inputs")
    return out.clone()


class Encloser:
    """A prepared enclosure evaluator: a private float64 copy of the model, reusable across inputs.

    Parameters
    ----------
    model : torch.nn.Module, torch function or ReconstructionMap
        The network. Modules are deep-copied and converted to float64 once
        (later changes of the user's model are not seen: build a new Encloser);
        a ``ReconstructionMap`` (torch backend) also encloses its input
        conversion (``A^* y``, complex ↔ channels) and its output conversion.
        A plain torch function is run as it is (every tensor operation is
        intercepted and writes into tensors it closes over are refused, but its
        Python-level side effects run).
    device : str or torch.device, optional
        Where to compute (default CPU). On CUDA, cuDNN is disabled during the
        evaluation so that convolutions are plain sums of products.
    transcendental : {"libm", "arb"}
        How tanh/sigmoid/ELU/exp are bounded: with the libm accuracy assumption
        (fast) or with python-flint balls (no assumption; slow).
    tight : bool
        Double-double centres for linear maps (default; relative widths ~1e-12
        on the demo U-Net) or float64 centres with Higham's bound (about twice as
        fast; ~1e-6). Both are proven enclosures.

    Theorem: see :mod:`theorycheck.nets.enclosure`.
    Rigor: proven under the assumptions listed in each :class:`Enclosure`.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
    >>> enc = Encloser(net)(torch.ones(1, 3))
    >>> enc.shape, enc.max_radius < 1e-12
    ((1, 2), True)
    """

    def __init__(self, model: Any, *, device: Any = None, transcendental: str = "libm",
                 tight: bool = True):
        from theorycheck.nets.adapters import ReconstructionMap

        if not isinstance(tight, bool):
            raise InvalidArgument(f"tight must be True or False, got {tight!r}")
        self.tight = tight
        if transcendental not in _TRANSCENDENTAL:
            raise InvalidArgument(f"transcendental={transcendental!r}: use 'libm' or 'arb'")
        self.transcendental = transcendental
        dev = device_arg(device)  # refuses 'meta', unknown types and devices this machine lacks
        self.device = dev if dev is not None else torch.device("cpu")
        if self.device.type not in ("cpu", "cuda"):
            raise InvalidArgument(f"device={device!r}: enclosures run on 'cpu' or 'cuda'")
        self.map = None
        eval_mode = None
        if isinstance(model, ReconstructionMap):
            if model.backend != "torch":
                raise PreconditionError("enclose: a numpy-backend ReconstructionMap cannot be traced; wrap a "
                                        "torch module or function", hypothesis="supported layer")
            self.map = model
            eval_mode = model.eval_mode
            model = model.model
        if isinstance(model, torch.nn.Module):
            if isinstance(model, torch.jit.ScriptModule) or type(model).__name__ == "OptimizedModule":
                _check_module(model)
            # checked on the copy, in the mode the map evaluates it in (eval_mode=)
            self.work = _float64_copy(model, self.device, eval_mode)
            _check_module(self.work)
            self.persistent = {id(t) for t in self.work.parameters()} | {id(t) for t in self.work.buffers()}
            self.path: list[str] = []
            for name, m in self.work.named_modules():
                label = f"{name or '<root>'} ({type(m).__name__})"
                m.register_forward_pre_hook(self._push(label))
                m.register_forward_hook(self._pop, always_call=True)
        elif callable(model):
            self.work = model
            self.persistent = set()
            self.path = []
        else:
            raise InvalidArgument(f"model must be a torch.nn.Module, a torch function or a "
                                  f"ReconstructionMap, got {type(model).__name__}")
        self.cache: dict = {}

    def _push(self, label: str) -> Any:
        def hook(module: Any, args: Any) -> None:
            self.path.append(label)
        return hook

    def _pop(self, module: Any, args: Any, out: Any) -> None:
        if self.path:
            self.path.pop()

    # -- evaluation --------------------------------------------------------------------------
    def _run(self) -> Run:
        run = Run(transcendental=self.transcendental, cache=self.cache, persistent=self.persistent,
                  tight=self.tight)
        self.path.clear()
        run.path = self.path
        return run

    @contextlib.contextmanager
    def _context(self, run: Run) -> Any:
        flags = (torch.backends.cudnn.flags(enabled=False) if self.device.type == "cuda"
                 else contextlib.nullcontext())
        with torch.no_grad(), flags, _Scalars(run), _Mode(run):
            try:
                yield
            except TheorycheckError:
                raise
            except Exception as exc:  # noqa: BLE001 - the forward failed on interval tensors
                raise _ForwardFailed(
                    f"enclose: the forward failed on interval tensors{run.where()} "
                    f"({type(exc).__name__}: {exc}); it may read values into Python or use an "
                    "unsupported feature — fall back to the float64 evaluation",
                    hypothesis="supported layer") from exc

    def __call__(self, y: Any) -> Enclosure:
        """Enclose the output at ``y`` (see :func:`enclose`)."""
        ar.check_fp_environment(self.device)
        if self.map is not None:
            return self._enclose_map(y)
        c = _input(y, self.device)
        run = self._run()
        try:
            with self._context(run):
                out = self.work(Iv(c, None))
        except _ForwardFailed as exc:
            self._diagnose(c, exc)
            raise
        ar.check_fp_environment(self.device)  # again: the forward may have changed the FP mode
        return _result(out, run, ())

    def _diagnose(self, c: torch.Tensor, exc: Exception) -> None:
        """Raise :class:`InvalidArgument` when the plain float64 forward fails on ``y`` too (a shape or
        type error of the input, not a limitation of the enclosure)."""
        try:
            work = copy.deepcopy(self.work)
            with torch.no_grad():
                work(c.clone())
        except TheorycheckError as exc2:
            raise exc2 from exc
        except Exception as exc2:  # noqa: BLE001 - any failure of the model itself
            raise InvalidArgument(f"the model cannot be evaluated on y of shape {tuple(c.shape)} "
                                  f"({type(exc2).__name__}: {exc2}): pass an input its forward accepts"
                                  ) from exc

    def _enclose_map(self, y: Any) -> Enclosure:
        rm = self.map
        assert rm is not None
        yt = _input(y, self.device)
        batch, core = rm._split(tuple(yt.shape))
        yb = yt.reshape((-1,) + core) if rm.operator is not None else yt.unsqueeze(0)
        notes: tuple[str, ...] = ()
        if rm.input == "adjoint":
            if rm.operator is None:
                raise InvalidArgument("input='adjoint' needs the operator: pass A= or call bind(A)")
            zc, zl, zr = _enclose_operator(rm.operator, yb, None, None, adjoint=True, tight=self.tight)
            # the same dtype as the operator's own adjoint (it decides real vs two channels)
            probe = rm.operator.adjoint(torch.zeros((1,) + core, dtype=yb.dtype))
            if probe.is_complex() and not zc.is_complex():
                zc = zc.to(torch.complex128)
                zl = None if zl is None else zl.to(torch.complex128)
                zr = None if zr is None else zr.to(torch.complex128)
            elif not probe.is_complex() and zc.is_complex():
                raise PreconditionError("enclose: the operator's adjoint is real but the enclosure is complex",
                                        hypothesis="supported layer")
            notes = (f"A^* y of {type(rm.operator).__name__} enclosed with dense transform factors "
                     "(arb-enclosed entries) and Higham's bound, not with the FFT",)
        else:
            zc, zl, zr = yb, None, None
        B = int(zc.shape[0])
        size = rm.batch_size or B
        run = self._run()
        outs_c, outs_r, outs = [], [], []
        with self._context(run):
            for s in range(0, B, size):
                chunk = Iv(zc[s:s + size].clone(), None if zr is None else zr[s:s + size].clone(),
                           lo=None if zl is None else zl[s:s + size].clone())
                inp = rm._pack(chunk, torch.float64)
                if rm.batched:
                    out = self.work(inp)
                else:
                    out = torch.stack([self.work(inp[i]) for i in range(int(inp.shape[0]))])
                if not isinstance(out, torch.Tensor):
                    raise InvalidArgument(f"the model returned {type(out).__name__}: enclose one tensor output")
                outs.append(rm._unpack(out, int(chunk.shape[0])))
        for out in outs:  # outside the interpreter: plain tensor operations again
            oc, orr = _parts_of(out, run)
            outs_c.append(oc)
            outs_r.append(orr)
        c = outs_c[0] if len(outs_c) == 1 else torch.cat(outs_c, 0)
        r = outs_r[0] if len(outs_r) == 1 else torch.cat(outs_r, 0)
        if rm.operator is not None:
            c = c.reshape(batch + tuple(c.shape[1:]))
            r = r.reshape(batch + tuple(r.shape[1:]))
        else:
            c, r = c[0], r[0]
        ar.check_fp_environment(self.device)  # again: the forward may have changed the FP mode
        return _build(c, r, run, notes)


def _parts_of(out: Any, run: Run) -> tuple[torch.Tensor, torch.Tensor]:
    if isinstance(out, Poison):
        raise run.refuse("the output is not defined by the real-arithmetic network")
    if isinstance(out, Iv):
        c, r = (out.c, out.r) if out.lo is None else collapse(out.c, out.lo, out.r)
    elif isinstance(out, torch.Tensor):  # a constant output
        if out.is_complex() or out.is_floating_point():
            c = out.detach().to(torch.complex128 if out.is_complex() else torch.float64)
        else:  # integers: the exact conversion (those beyond 2⁵³ are refused, not rounded)
            c = run.ival(out.detach(), out.device)[0]
        r = None
    else:
        raise InvalidArgument(f"the model returned {type(out).__name__}: enclose one tensor output")
    if r is None:
        r = torch.zeros_like(c)
    return c.detach().cpu().clone(), r.detach().cpu().clone()


def _result(out: Any, run: Run, notes: tuple[str, ...]) -> Enclosure:
    c, r = _parts_of(out, run)
    return _build(c, r, run, notes)


def _build(c: torch.Tensor, r: torch.Tensor, run: Run, notes: tuple[str, ...]) -> Enclosure:
    if run.fp_broken:  # the forward caught the refusal of Run.dispatch: it still holds
        raise run.fp_refusal()
    if not (bool(torch.isfinite(c).all()) and bool(torch.isfinite(r).all())):
        raise InsufficientPrecision("enclose: the output's centre or radius is not finite (overflow)")
    assumptions = [_IEEE]
    notes_l = list(notes)
    if "libm" in run.used:
        assumptions.append(_LIBM)
    if "arb" in run.used:
        notes_l.append("tanh/sigmoid/exp/expm1 bounded with python-flint arb balls at the endpoints")
    if c.is_complex():
        rre, rim = r.real.contiguous(), r.imag.contiguous()
        m = torch.maximum(rre, rim)
        q = torch.where(m > 0, torch.minimum(rre, rim) / torch.where(m > 0, m, 1.0), 0.0)
        hyp = m * torch.sqrt(1.0 + q * q)
        radius = torch.where(m > 0, ar.up(hyp, 7, ar.ETA), 0.0)
        return Enclosure(c, radius, rre, rim, tuple(assumptions), tuple(notes_l))
    return Enclosure(c, r, None, None, tuple(assumptions), tuple(notes_l))


def enclose(model: Any, y: Any, *, device: Any = None, transcendental: str = "libm",
            tight: bool = True) -> Enclosure:
    """Enclose the exact real-arithmetic output of ``model`` at the exact input ``y``.

    Parameters
    ----------
    model : torch.nn.Module, torch function or ReconstructionMap
        For a module or function, ``y`` is exactly what its ``forward`` takes
        (batch included). For a :class:`~theorycheck.nets.adapters.ReconstructionMap`
        (torch backend), ``y`` are measurements ``(*batch, *A.out_shape)``: the
        map's input conversion (``A^* y`` for ``input="adjoint"``, complex ↔
        channels, layout) and output conversion are enclosed too.
    y : torch.Tensor or array_like
        Real or complex, finite (NaN/inf raise :class:`InvalidArgument`); float16,
        bfloat16, float32 and integer values are converted to float64 exactly.
    device : optional
        Where to compute (default CPU).
    transcendental : {"libm", "arb"}
        See :class:`Encloser`.
    tight : bool
        See :class:`Encloser` (default True).

    Returns
    -------
    Enclosure
        ``center``, ``radius`` (float64, CPU) with the exact output in ``[center ± radius]``.

    Raises
    ------
    PreconditionError
        Unsupported layer or operation (named), hooks, training-mode batch norm or
        dropout, data-dependent control flow, writes into parameters: fall back to float64.
    InsufficientPrecision
        Overflow during the evaluation.

    Theorem: Universal instability theorem (docs/theory.md §3) — the enclosed map is the network ``Ψ``.
    Rigor: proven (IEEE binary64; libm accuracy assumed only for tanh/sigmoid/ELU/exp with
    ``transcendental="libm"``, as listed in ``Enclosure.assumptions``).

    Examples
    --------
    >>> net = torch.nn.Linear(2, 1)
    >>> enc = enclose(net, torch.tensor([[1.0, 2.0]]))
    >>> bool(enc.contains(net.double()(torch.tensor([[1.0, 2.0]], dtype=torch.float64)).detach()))
    True
    """
    return Encloser(model, device=device, transcendental=transcendental, tight=tight)(y)


#: what a claim derived from :func:`enclose_each` assumes of the forward (stated among its
#: assumptions): checked by two runs per sample in opposite orders, which state kept outside the
#: model's copy (globals, class attributes) and switched at the right call could still evade
PURE_FORWARD = ("the forward is a function of its input, parameters and buffers (two runs per sample, in "
                "opposite orders, agreed bit for bit)")


def _same_run(a: Any, b: Any) -> bool:
    """Whether two runs of one sample agree: the same exception, or bit-identical enclosures."""
    if isinstance(a, Exception) or isinstance(b, Exception):
        return type(a) is type(b) and str(a) == str(b)
    parts = lambda e: (e.center, e.radius, e.radius_real, e.radius_imag)  # noqa: E731
    return a.assumptions == b.assumptions and all(
        (u is None and v is None) or (u is not None and v is not None and torch.equal(u, v))
        for u, v in zip(parts(a), parts(b)))


def enclose_each(model: Any, Y: Any, *, keep: tuple[type[Exception], ...] = ()) -> list[Any]:
    """Enclose ``model`` at each sample ``Y[i:i + 1]`` alone, twice, on fresh copies of the model.

    The claims of a certificate concern the map of one sample, so each sample is a batch of
    one (a model may mix the samples of a batch). The second pass runs in the opposite order,
    each run on a fresh trace and copy; the two runs of a sample must agree bit for bit, else a
    forward with hidden randomness or state would be "proven" for one realisation. That the
    forward is a pure function is stated as :data:`PURE_FORWARD` by the callers.

    Parameters
    ----------
    model : torch.nn.Module, torch function or ReconstructionMap
        As for :func:`enclose`.
    Y : torch.Tensor or array_like
        Samples along the first axis, each in the model's own input layout.
    keep : tuple of exception types
        Returned in place of that sample's enclosure (when both runs raise it alike) instead of
        raised, e.g. ``(InsufficientPrecision,)`` for an overflow at one sample.

    Returns
    -------
    list
        One :class:`Enclosure` (batch of one) or kept exception per sample.

    Raises
    ------
    PreconditionError
        Two runs of a sample differ, or as :func:`enclose`.

    Theorem: none (infrastructure for the proven certificates, docs/theory.md §7.4).
    Rigor: proven, for a forward that is a function of its input, parameters and buffers.

    Examples
    --------
    >>> encs = enclose_each(torch.nn.Linear(2, 1), torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> [e.shape for e in encs]
    [(1, 1), (1, 1)]
    """

    def run(i: int) -> Any:
        try:
            return Encloser(model)(Y[i:i + 1])
        except keep as exc:
            return exc

    n = len(Y)
    first = [run(i) for i in range(n)]
    for i in reversed(range(n)):  # the opposite order: state carried from call to call shows
        if not _same_run(first[i], run(i)):
            raise PreconditionError(f"the model gave different enclosures on two runs at sample {i}: its forward "
                                    "is not a function of its input, parameters and buffers (random numbers, "
                                    "state or hooks), so no claim about it can be proven",
                                    hypothesis="deterministic model")
    return first


def enclose_operator(A: Any, x: Any, *, adjoint: bool = False, tight: bool = True) -> Enclosure:
    """Enclose the exact ``A x`` (or ``A^* x`` with ``adjoint=True``) of one of theorycheck's operators.

    Parameters
    ----------
    A : LinearOperator or array_like
        ``MatrixOperator`` (or a matrix), ``ReshapedMatrixOperator``, ``SubsampledFourier``
        (unshifted or centred), ``SubsampledDCT``, ``SubsampledWalshHadamard`` (these exact
        types), or adjoints/compositions of these. The exact
        operator is meant (e.g. the exact orthonormal DFT, not its float64 FFT):
        transform factors are dense matrices with arb-enclosed entries.
    x : array_like or torch.Tensor
        Shape ``(*batch, *A.in_shape)`` (``A.out_shape`` for the adjoint), real or
        complex, finite.
    adjoint : bool
        Enclose ``A^* x`` instead of ``A x``.
    tight : bool
        Double-double products (default) or float64 products with Higham's bound.

    Returns
    -------
    Enclosure
        Complex (parts enclosed separately) unless the operator and ``x`` are real.

    Raises
    ------
    PreconditionError
        An operator without a rigorous enclosure (wavelets, Radon, user subclasses).

    Theorem: none (the exact ``A`` and ``A^*`` of docs/theory.md §3–4).
    Rigor: proven (arb balls for the entries, Higham's bound or error-free splits for the sums).

    Examples
    --------
    >>> from theorycheck.problems.operators import SubsampledFourier
    >>> A = SubsampledFourier(np.array([True, False, True, True]))
    >>> enc = enclose_operator(A, np.array([1.0, 2.0, 3.0, 4.0]))
    >>> enc.shape, enc.is_complex, enc.max_radius < 1e-14
    ((3,), True, True)
    """

    if not isinstance(adjoint, bool) or not isinstance(tight, bool):
        raise InvalidArgument("adjoint and tight must be True or False")
    try:
        op = as_operator(A)
    except TheorycheckError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise InvalidArgument(f"A could not be read as an operator: {exc}") from exc
    ar.check_fp_environment("cpu")
    xt = _input(x, "cpu", "x")
    core = tuple(op.out_shape if adjoint else op.in_shape)
    k = len(core)
    if xt.dim() < k or tuple(xt.shape[xt.dim() - k:]) != core:
        raise InvalidArgument(f"x has shape {tuple(xt.shape)}: pass (*batch, {', '.join(map(str, core))})")
    batch = tuple(xt.shape[:xt.dim() - k])
    xb = xt.reshape((-1,) + core)
    c, lo, r = _enclose_operator(op, xb, None, None, adjoint=adjoint, tight=tight)
    if lo is not None:
        c, r = collapse(c, lo, r)
    if r is None:
        r = torch.zeros_like(c)
    out = tuple(c.shape[1:])
    run = Run()
    return _build(c.reshape(batch + out).cpu(), r.reshape(batch + out).cpu(), run,
                  (f"{type(op).__name__} enclosed with dense factors (arb-enclosed entries), not the FFT",))


# ------------------------------------------------------------------------------------------
# lower bounds on difference quotients
# ------------------------------------------------------------------------------------------
def _diff_norm_bounds(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """``lo ≤ ‖a − b‖₂ ≤ hi`` for the exact difference of the stored values."""
    with np.errstate(over="ignore", invalid="ignore"):
        d = a - b  # each part: |fl(x) − x| ≤ U|fl(x)| (differences never lose to underflow)
    if not np.all(np.isfinite(d)):
        raise InsufficientPrecision("the difference overflows float64")
    lo, hi = norm2_bounds(d)
    lo = max(0.0, float(round_down(lo * (1 - 2 * U))))
    hi = float(round_up(hi * (1 + 2 * U)))
    return lo, hi


def lower_bound_ratio(enc0: Enclosure, enc1: Enclosure, y0: Any, y1: Any) -> float:
    """A proven lower bound of ``‖Ψ(y₁) − Ψ(y₀)‖₂ / ‖y₁ − y₀‖₂`` for the exact outputs.

    Returns ``(‖c₁ − c₀‖ − ‖r₀ + r₁‖) / ‖y₁ − y₀‖`` rounded down (0.0 when the
    numerator is not positive), where ``‖c₁ − c₀‖`` is bounded below and
    ``‖r₀ + r₁‖`` and ``‖y₁ − y₀‖`` above, counting the rounding of the float
    subtractions and additions themselves. Norms are Euclidean over all entries
    (complex: real and imaginary parts; the part radii are used).

    Parameters
    ----------
    enc0, enc1 : Enclosure
        Enclosures of ``Ψ(y₀)`` and ``Ψ(y₁)`` (same shape).
    y0, y1 : array_like or torch.Tensor
        The exact inputs the enclosures were computed at (same shape, finite).

    Theorem: Universal instability theorem (docs/theory.md §3): the local Lipschitz constant of the
    real network at ``y₀`` is at least this ratio.
    Rigor: proven (given enclosures that hold).

    Examples
    --------
    >>> W = torch.nn.Linear(2, 2, bias=False)
    >>> with torch.no_grad():
    ...     _ = W.weight.copy_(torch.eye(2) * 3)
    >>> y0, y1 = torch.zeros(1, 2), torch.tensor([[1.0, 0.0]])
    >>> 2.99 < lower_bound_ratio(enclose(W, y0), enclose(W, y1), y0, y1) <= 3.0
    True
    """
    for e, nm in ((enc0, "enc0"), (enc1, "enc1")):
        if not isinstance(e, Enclosure):
            raise InvalidArgument(f"{nm} must be an Enclosure, got {type(e).__name__}")
    if enc0.shape != enc1.shape:
        raise InvalidArgument(f"the enclosures have shapes {enc0.shape} and {enc1.shape}")
    ar.check_fp_environment("cpu")  # the bounds below assume IEEE rounding and subnormals too
    a0 = _input(y0, "cpu", "y0").numpy()
    a1 = _input(y1, "cpu", "y1").numpy()
    if a0.shape != a1.shape:
        raise InvalidArgument(f"y0 and y1 have shapes {a0.shape} and {a1.shape}")
    if np.iscomplexobj(a0) != np.iscomplexobj(a1):
        a0, a1 = a0.astype(np.complex128), a1.astype(np.complex128)
    if np.array_equal(a0, a1):
        raise InvalidArgument("y1 equals y0: the ratio is undefined")
    _, den = _diff_norm_bounds(a1, a0)
    c0, c1 = enc0.center.numpy(), enc1.center.numpy()
    if np.iscomplexobj(c0) != np.iscomplexobj(c1):
        c0, c1 = c0.astype(np.complex128), c1.astype(np.complex128)
    num, _ = _diff_norm_bounds(c1, c0)

    def parts(e: Enclosure) -> np.ndarray:
        if e.is_complex:
            return np.concatenate([e.radius_real.numpy().ravel(), e.radius_imag.numpy().ravel()])  # type: ignore[union-attr]
        return np.concatenate([e.radius.numpy().ravel(), np.zeros(e.radius.numel())]) \
            if (enc0.is_complex or enc1.is_complex) else e.radius.numpy().ravel()

    rho = parts(enc0) + parts(enc1)  # each sum rounded: ≤ (1 + U)·computed
    rho_hi = float(round_up(norm2_bounds(rho)[1] * (1 + 2 * U)))
    top = float(round_down(num - rho_hi))
    if not top > 0:
        return 0.0
    return float(max(0.0, round_down(top / den)))
