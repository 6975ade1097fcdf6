"""Adapt any reconstruction model to a map ``Ψ: y ↦ x`` on numpy or torch data.

:func:`as_reconstruction_map` wraps a ``torch.nn.Module``, a torch function or a
numpy function as a :class:`ReconstructionMap`: called on measurements ``y`` of
shape ``(*batch, *A.out_shape)`` (numpy or torch, real or complex) it returns
images of shape ``(*batch, *A.in_shape)`` of the same kind. It handles

* the input: the measurements themselves (``input="measurements"``) or the
  zero-filled image ``A^* y`` (``input="adjoint"``, e.g. a U-Net post-processor);
* complex data as two real channels (``complex_as_channels``), in the layout the
  model expects (``layout``): ``"channels"`` ``(B, C, *core)``, ``"plain"``
  ``(B, *core)`` (``(B, *core, 2)`` for two channels) or ``"flat"``
  ``(B, C·n)`` (real parts first, then imaginary parts);
* outputs with ``N`` real or complex entries per sample, or ``2N`` real entries
  (two channels, a trailing axis of 2, or real/imaginary halves) read as complex;
* batching (``batch_size`` chunks), devices and dtypes.

Torch modules are evaluated without side effects: the training/eval flags and
``requires_grad`` of the parameters are restored afterwards, parameter
gradients are never accumulated, and other devices or dtypes — and training
mode, whose forward may update buffers such as batch-norm statistics — run on a
private copy of the model, so the user's dtype, device and buffers never
change. The module is evaluated in its current mode unless ``eval_mode=True``;
a module left in training mode with dropout is random, which the checks detect
and report as inconclusive.

:meth:`ReconstructionMap.evaluate_float64` is the evaluation behind every
certified-float64 network claim: each sample alone, twice, on the CPU in float64,
outputs required finite, bit-identical and of full precision; with ``noise=True``
it also estimates the rounding noise of each output
(:meth:`ReconstructionMap.rounding_noise`, :class:`NoiseEstimate`), which the
checks allow for ``NOISE_ALLOWANCE`` times over. :meth:`ReconstructionMap.options`
records how the map was built, so that a verifier can rebuild it from a bare model.

Theorem: none (the map ``Ψ`` of the instability theorem, THEORY.md §3–4).
Rigor: not applicable (evaluation); :meth:`ReconstructionMap.evaluate_float64`
provides the twice-repeated CPU float64 evaluation (and its noise estimate) that
certified results need.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import math
from typing import Any, Callable, Iterator

import numpy as np
import torch

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array, is_torch, to_numpy
from theorycheck.numerics.rounding import norm2, round_up
from theorycheck.numerics.validation import bool_arg, integer_arg
from theorycheck.problems.operators import LinearOperator, as_operator

__all__ = ["ReconstructionMap", "Float64Evaluation", "NoiseEstimate", "as_reconstruction_map",
           "output_rounding_floor", "map_options_problems", "NOISE_ALLOWANCE", "NOISE_SAFETY"]

_INPUTS = ("measurements", "adjoint")
_LAYOUTS = ("channels", "plain", "flat")
_BACKENDS = ("torch", "numpy")
_LAYOUT_TEXT = {"channels": "(B, 2, *core) with real and imaginary channels",
                "plain": "(B, *core, 2)", "flat": "(B, 2n), real parts first"}
_COMPLEX_OF = {torch.float16: torch.complex32, torch.float32: torch.complex64,
               torch.float64: torch.complex128, torch.bfloat16: torch.complex64}
_REAL_OF = {torch.complex32: torch.float16, torch.complex64: torch.float32,
            torch.complex128: torch.float64}


def _prod(shape: Any) -> int:
    return int(math.prod(shape))


def _complex_dtype(real: Any) -> Any:
    return _COMPLEX_OF.get(real, torch.complex128)


def _module_dtype(model: Any) -> Any:
    for t in list(model.parameters()) + list(model.buffers()):
        if t.is_floating_point():
            return t.dtype
        if t.is_complex():
            return _REAL_OF[t.dtype]
    return torch.get_default_dtype()


def _module_device(model: Any) -> Any:
    for t in list(model.parameters()) + list(model.buffers()):
        return t.device
    return torch.device("cpu")


def _cast_module(model: Any, device: Any, dtype: Any) -> None:
    """Move every floating (complex) parameter and buffer of ``model`` to ``device``/``dtype``."""
    cdtype = _complex_dtype(dtype)
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            target = dtype if t.is_floating_point() else cdtype if t.is_complex() else t.dtype
            t.data = t.data.to(device=device, dtype=target)
            if getattr(t, "grad", None) is not None:
                t.grad = None


def _digest(t: Any) -> str:
    """Hash of a tensor's bytes (``p.data.mul_()`` does not bump ``_version``: compare contents)."""
    flat = t.detach().cpu().contiguous().reshape(-1)
    try:
        raw = flat.view(torch.uint8).numpy()
    except (RuntimeError, TypeError):
        raw = flat.to(torch.complex128 if flat.is_complex() else torch.float64).numpy()
    return hashlib.blake2b(raw.tobytes(), digest_size=16).hexdigest()


def _fingerprint(model: Any) -> tuple:
    # contents, not only data_ptr/_version: writes through .data do not bump _version
    return tuple((t.data_ptr(), t._version, str(t.dtype), tuple(t.shape), str(t.device), _digest(t))
                 for t in list(model.parameters()) + list(model.buffers()))


_FLOAT64_OUT = ("float64", "complex128")

#: a certified-float64 claim about ``Ψ`` holds for every evaluation whose outputs lie within
#: ``NOISE_ALLOWANCE`` times the estimated rounding noise of the stored ones (a power of two:
#: scaling by it is exact, so verifiers re-derive the same bits)
NOISE_ALLOWANCE = 16.0
#: a certified change of ``Ψ``'s output must exceed ``NOISE_SAFETY`` times the summed noise
#: estimates of its two outputs (then subtracting the allowance keeps at least half of it)
NOISE_SAFETY = 2.0 * NOISE_ALLOWANCE
#: relative sizes (of ``‖y‖``) of the probe steps ``±δ``: the first alone (a few ulps), the others
#: with ``±2δ`` and ``±4δ`` as well, each only while ``4‖δ‖`` stays below the witness scale over 8
_PROBE_LEVELS = (2.0 ** -50, 2.0 ** -40, 2.0 ** -30, 2.0 ** -20)
_PROBE_DIRECTIONS = (2, 1, 1, 1)
_PROBE_CAP = 2.0 ** -5
#: refinement of witness segments: cells per round and rounds (a final cell of 4⁻¹⁰ ≈ 10⁻⁶ of the segment)
_SEGMENT_POINTS = 4
_SEGMENT_ROUNDS = 10
#: unit roundoff of float64 over that of float32: a float32 evaluation's deviation scaled by it
#: estimates the float64 evaluation's rounding error (the same algorithm, errors ∝ u)
_PROXY_SCALE = 2.0 ** -29


def output_rounding_floor(p: Any) -> float:
    """``½‖ulp(p)‖``: the rounding of a float64 output ``p`` itself (a floor of any noise estimate).

    Deterministic (the same bits on every machine): ``numpy.spacing`` is exact and the
    norm is :func:`theorycheck.numerics.rounding.norm2`, rounded up.

    Theorem: none (rounding model of certified-float64 claims).
    Rigor: exact (a deterministic function of ``p``).

    Examples
    --------
    >>> 2.0 ** -53 <= output_rounding_floor(np.array([1.0])) < 2.0 ** -52
    True
    """

    a = np.asarray(p)
    parts = [a.real, a.imag] if a.dtype.kind == "c" else [a]
    with np.errstate(invalid="ignore"):
        sp = np.concatenate([np.spacing(np.abs(np.asarray(q, dtype=np.float64))).ravel() for q in parts])
    if sp.size == 0:
        return 0.0
    v = norm2(sp)
    return round_up(0.5 * v) if math.isfinite(v) else math.inf


@dataclasses.dataclass(frozen=True)
class NoiseEstimate:
    """Estimated rounding noise of ``Ψ``'s float64 evaluation at each sample (numpy arrays ``(B,)``).

    ``noise = max(floor, probe, proxy)`` per sample:

    * ``floor``: :func:`output_rounding_floor` of the output (its own rounding);
    * ``probe``: from random steps ``δ`` of relative size ``2⁻⁵⁰`` (a few ulps), ``2⁻⁴⁰``,
      ``2⁻³⁰``, ``2⁻²⁰`` and the witness scale over 32 (``4‖δ‖`` never above the witness
      scale over 8). At the smallest size, the second difference
      ``‖Δ(δ)‖ = ‖Ψ(y + δ) + Ψ(y − δ) − 2Ψ(y)‖`` itself (the linear part of ``Ψ`` cancels);
      at the larger sizes ``max(0, 2‖Δ(δ)‖ − ‖Δ(2δ)‖, 2‖Δ(2δ)‖ − ‖Δ(4δ)‖)``, which also
      vanishes for curvature (``‖Δ(2δ)‖ = 4‖Δ(δ)‖``) and for a kink of a piecewise-linear
      network near ``y`` (``‖Δ(2δ)‖ ≥ 2‖Δ(δ)‖``), while rounding that is not a smooth
      function of the input (large offsets, cancellation inside ``Ψ``: quanta of any
      size up to the largest step) does not scale with ``δ`` and shows up in full (the
      idea of Moré and Wild's ECnoise, in its simplest form). For a witness segment
      (``segments``), also the change left in a ``4⁻¹⁰`` cell of the segment after
      refining it where the output changes most (less half the change over the cell
      before): ``Ψ`` continuous changes there in proportion to the cell, a rounding
      step of ``Ψ`` crossed by the witness keeps about its full size;
    * ``proxy``: the float32 evaluation's deviation from the float64 one times
      ``2⁻²⁹ = u₆₄/u₃₂`` (a second evaluation of the same computation, whose rounding
      errors scale with the unit roundoff; NaN when ``Ψ`` cannot run in float32).

    This is an *estimate*, not a bound: it does not prove anything about the
    real-arithmetic network (a proven enclosure needs interval arithmetic through the
    network). It makes certified-float64 claims robust to the rounding of ``Ψ``'s own
    evaluation: they require margins of ``NOISE_ALLOWANCE`` times it.

    Theorem: none (rounding model of certified-float64 claims).
    Rigor: numerical (an estimate).
    """

    noise: np.ndarray
    floor: np.ndarray
    probe: np.ndarray
    proxy: np.ndarray
    notes: tuple = ()


def map_options_problems(options: Any) -> list[str]:
    """Problems of a stored ``ReconstructionMap.options()`` record (empty when usable).

    Theorem: none.
    Rigor: not applicable.
    """
    if not isinstance(options, dict):
        return ["psi options: not a record"]
    want = {"input", "layout", "complex_as_channels", "backend", "batched", "eval_mode", "model"}
    out = []
    if set(options) != want:
        out.append(f"psi options: fields {sorted(options)}, expected {sorted(want)}")
        return out
    if options["input"] not in _INPUTS:
        out.append(f"psi options: input={options['input']!r}")
    if options["layout"] not in _LAYOUTS:
        out.append(f"psi options: layout={options['layout']!r}")
    if options["backend"] not in _BACKENDS:
        out.append(f"psi options: backend={options['backend']!r}")
    if options["complex_as_channels"] not in (None, True, False, "real") or isinstance(
            options["complex_as_channels"], (int, float)) and not isinstance(options["complex_as_channels"], bool):
        out.append(f"psi options: complex_as_channels={options['complex_as_channels']!r}")
    if not isinstance(options["batched"], bool):
        out.append(f"psi options: batched={options['batched']!r}")
    if options["eval_mode"] not in (None, True, False) or (
            options["eval_mode"] is not None and not isinstance(options["eval_mode"], bool)):
        out.append(f"psi options: eval_mode={options['eval_mode']!r}")
    if not isinstance(options["model"], str) or len(options["model"]) > 200:
        out.append("psi options: model must be the model's type name")
    return out


def _dtype_name(dt: Any) -> str:
    return str(dt).replace("torch.", "")


@dataclasses.dataclass(frozen=True)
class Float64Evaluation:
    """Outputs of ``Ψ`` evaluated several times on the CPU in float64 (numpy arrays).

    Attributes
    ----------
    outputs : tuple of numpy.ndarray
        One array ``(B, *A.in_shape)`` per evaluation (float64 or complex128).
    consistent : bool
        All evaluations bit-identical.
    finite : bool
        No NaN or inf in any output.
    max_difference : float
        Largest entrywise difference between two evaluations.
    precision : str
        The lowest precision involved: ``"float64"`` when the inputs were
        float64/complex128 and every raw model output was float64/complex128;
        ``"float32"`` for a torch callable that rejects float64 input; else the
        dtype of a reduced-precision raw output (e.g. ``"float16"``).
    reason : str
        Empty when usable for a certificate; otherwise why not (NaN, different
        outputs, or a reduced ``precision``: then ``ok`` may still be True but
        the outputs only support numerical results).
    noise : NoiseEstimate or None
        The estimated rounding noise of each output (``evaluate_float64(noise=True)``
        on a usable evaluation; None otherwise). A non-finite estimate sets ``reason``.

    Theorem: none.
    Rigor: certified-float64 when ``ok`` and ``reason`` is empty (claims must then allow
    ``NOISE_ALLOWANCE`` times ``noise``); nothing otherwise.
    """

    outputs: tuple
    consistent: bool
    finite: bool
    max_difference: float
    precision: str
    reason: str = ""
    noise: Any = None

    @property
    def ok(self) -> bool:
        """True when the outputs are finite and identical across evaluations."""
        return self.consistent and self.finite

    @property
    def output(self) -> np.ndarray:
        """The (first) output."""
        return self.outputs[0]


class _Session:
    """A ready-to-call ``Ψ`` on torch batches ``(B, *A.out_shape) -> (B, *A.in_shape)``."""

    def __init__(self, rmap: "ReconstructionMap", call: Callable[[Any], Any], device: Any,
                 dtype: Any):
        self.map = rmap
        self._call = call
        self.device = device
        self.dtype = dtype  # real dtype of the evaluation (None: inputs keep their dtype)
        self.complex_dtype = None if dtype is None else _complex_dtype(dtype)
        self.out_dtypes: set = set()  # dtypes of the raw model outputs (before widening)

    def __call__(self, y: Any) -> Any:
        rm = self.map
        back = y.device
        y = y.to(self.device)
        z = rm._model_input(y)
        B = int(z.shape[0])
        size = rm.batch_size or B
        outs = []
        for s in range(0, B, size):
            zc = z[s:s + size]
            # a private copy of the input: in-place layers (ReLU(inplace=True)) must never write into
            # the caller's array, a witness or the reference measurements (clone keeps autograd)
            inp = rm._pack(zc, self.dtype).clone()
            try:
                if rm.batched:
                    out = _as_tensor(self._call(inp), inp)
                    self.out_dtypes.add(_dtype_name(out.dtype))
                else:
                    parts = []
                    for i in range(inp.shape[0]):
                        o = _as_tensor(self._call(inp[i].clone()), inp)
                        self.out_dtypes.add(_dtype_name(o.dtype))
                        parts.append(o)
                    out = torch.stack(parts)
            except InvalidArgument:
                raise
            except (RuntimeError, TypeError, ValueError, IndexError) as exc:
                raise InvalidArgument(
                    f"Ψ could not be evaluated on an input of shape {tuple(inp.shape)} and dtype "
                    f"{inp.dtype} ({rm._describe()}): {exc}. Check that A matches the model, or "
                    "set input=, layout=, complex_as_channels= in as_reconstruction_map"
                ) from exc
            outs.append(rm._unpack(_as_tensor(out, inp), int(zc.shape[0]),
                                   packed=rm._channels(zc) and bool(zc.is_complex())))
        x = outs[0] if len(outs) == 1 else torch.cat(outs, 0)
        return x.to(back)


def _as_tensor(out: Any, like: Any) -> Any:
    if is_torch(out):
        return out
    if isinstance(out, (tuple, list)) and out and is_torch(out[0]):
        raise InvalidArgument("Ψ returned a tuple of tensors: return a single tensor (the image)")
    try:
        return torch.as_tensor(np.asarray(out), device=like.device)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"Ψ returned {type(out).__name__}, not an array or tensor") from exc


class ReconstructionMap:
    """A reconstruction map ``Ψ: C^m → C^N`` built from a model (see :func:`as_reconstruction_map`).

    Call it on measurements (numpy or torch, shape ``(*batch, *A.out_shape)``);
    numpy input gives a float64/complex128 numpy output, torch input a tensor
    on the input's device that keeps the autograd graph when the input
    requires gradients. Unbound maps (no ``A``) treat their input as one sample.

    Attributes
    ----------
    model : torch.nn.Module or callable
    operator : LinearOperator or None
    input, layout, backend : str
    complex_as_channels : bool, "real" or None
    batched : bool
    eval_mode : bool or None
    batch_size : int or None
    device : torch.device or None

    Theorem: none (the ``Ψ`` of THEORY.md §3–4).
    Rigor: not applicable.
    """

    def __init__(self, model: Any, *, input: str = "measurements",  # noqa: A002 - public name
                 complex_as_channels: bool | str | None = None, device: Any = None,
                 batch_size: int | None = None, A: Any = None, layout: str | None = None,
                 backend: str | None = None, batched: bool | None = None,
                 eval_mode: bool | None = None):
        if not callable(model):
            raise InvalidArgument(f"model must be a torch.nn.Module or a callable, got {type(model).__name__}")
        for name, v in (("input", input), ("layout", layout), ("backend", backend)):
            if v is not None and not isinstance(v, str):
                raise InvalidArgument(f"{name} must be a string, got {type(v).__name__}")
        for name, v in (("complex_as_channels", complex_as_channels), ("eval_mode", eval_mode),
                        ("batched", batched)):
            if v is not None and not isinstance(v, (bool, str)):
                raise InvalidArgument(f"{name} must be None, True or False, got {type(v).__name__}")
        if batched is not None and not isinstance(batched, bool):
            raise InvalidArgument(f"batched must be None, True or False, got {batched!r}")
        if input not in _INPUTS:
            raise InvalidArgument(f"input={input!r}: use 'measurements' or 'adjoint'")
        self.is_module = isinstance(model, torch.nn.Module)
        if backend is None:
            backend = "torch" if self.is_module else "numpy"
        if backend not in _BACKENDS:
            raise InvalidArgument(f"backend={backend!r}: use 'torch' or 'numpy'")
        if self.is_module and backend != "torch":
            raise InvalidArgument("a torch.nn.Module needs backend='torch'")
        if layout is None:
            layout = "channels" if self.is_module else "plain"
        if layout not in _LAYOUTS:
            raise InvalidArgument(f"layout={layout!r}: use one of {_LAYOUTS}")
        if complex_as_channels not in (None, True, False, "real"):
            raise InvalidArgument("complex_as_channels must be None, True, False or 'real'")
        if eval_mode not in (None, True, False):
            raise InvalidArgument("eval_mode must be None, True or False")
        if batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                                       or batch_size < 1):
            raise InvalidArgument(f"batch_size must be a positive int, got {batch_size!r}")
        if batched is None:
            batched = backend == "torch"
        self.model = model
        self.input = input
        self.complex_as_channels = complex_as_channels
        self.layout = layout
        self.backend = backend
        self.batched = bool(batched)
        self.eval_mode = eval_mode
        self.batch_size = batch_size
        self.device = _torch_device(device)
        self.operator: LinearOperator | None = None if A is None else as_operator(A)
        if self.input == "adjoint" and self.operator is None:
            pass  # bound later by the checks (bind(A))
        self._copies: dict = {}

    # -- configuration --------------------------------------------------------------------
    def _options(self) -> dict:
        return dict(input=self.input, complex_as_channels=self.complex_as_channels,
                    device=self.device, batch_size=self.batch_size, A=self.operator,
                    layout=self.layout, backend=self.backend, batched=self.batched,
                    eval_mode=self.eval_mode)

    def bind(self, A: Any) -> "ReconstructionMap":
        """Return a copy of this map bound to the operator ``A`` (shapes and ``A^*``).

        Theorem: none.
        Rigor: not applicable.
        """
        op = as_operator(A)
        if op is self.operator:
            return self
        opts = self._options()
        opts["A"] = op
        out = ReconstructionMap(self.model, **opts)
        out._copies = self._copies  # share cached device/dtype copies
        return out

    @property
    def differentiable(self) -> bool:
        """True when torch autograd can differentiate through ``Ψ`` (torch backend)."""
        return self.backend == "torch"

    @property
    def measurement_shape(self) -> tuple[int, ...] | None:
        """Shape of one measurement vector (``A.out_shape``), None when unbound."""
        return None if self.operator is None else tuple(self.operator.out_shape)

    @property
    def image_shape(self) -> tuple[int, ...] | None:
        """Shape of one image (``A.in_shape``), None when unbound."""
        return None if self.operator is None else tuple(self.operator.in_shape)

    def _describe(self) -> str:
        kind = type(self.model).__name__
        return (f"{kind}, input={self.input!r}, layout={self.layout!r}, "
                f"complex_as_channels={self.complex_as_channels}")

    def __repr__(self) -> str:
        return f"ReconstructionMap({self._describe()}, backend={self.backend!r})"

    # -- shapes ---------------------------------------------------------------------------
    def _split(self, shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(batch, core) of a measurement array's shape."""
        core = self.measurement_shape
        if core is None:
            return (), tuple(shape)
        k = len(core)
        if len(shape) < k or tuple(shape[len(shape) - k:]) != core:
            raise InvalidArgument(
                f"measurements have shape {tuple(shape)} but A.out_shape is {core}: "
                f"pass y of shape (*batch, {', '.join(map(str, core))})")
        return tuple(shape[:len(shape) - k]), core

    def _model_input(self, y: Any) -> Any:
        """``y`` or ``A^* y`` (torch or numpy batch)."""
        if self.input == "adjoint":
            if self.operator is None:
                raise InvalidArgument("input='adjoint' needs the operator: pass A= or call bind(A)")
            return self.operator.adjoint(y)
        return y

    def _channels(self, z: Any) -> bool:
        if self.complex_as_channels == "real":
            return False
        if self.complex_as_channels is not None:
            return self.complex_as_channels
        if not self.is_module:
            return False
        cplx = z.is_complex() if is_torch(z) else np.iscomplexobj(z)
        return bool(cplx) and not any(p.is_complex() for p in self.model.parameters())

    def _pack(self, z: Any, dtype: Any) -> Any:
        """Arrange a batch ``(B, *core)`` in the model's layout and dtype."""
        B = int(z.shape[0])
        if self.complex_as_channels == "real":  # one channel: the real part (e.g. Re A^*y)
            z = z.real if (z.is_complex() if is_torch(z) else np.iscomplexobj(z)) else z
        if is_torch(z):
            if self._channels(z):
                parts = (z.real, z.imag) if z.is_complex() else (z, torch.zeros_like(z))
                if dtype is not None:
                    parts = tuple(p.to(dtype) for p in parts)
                if self.layout == "channels":
                    return torch.stack(parts, 1)
                if self.layout == "plain":
                    return torch.stack(parts, -1)
                return torch.cat([p.reshape(B, -1) for p in parts], 1)
            if dtype is not None:
                z = z.to(_complex_dtype(dtype) if z.is_complex() else dtype)
            if self.layout == "channels":
                return z.unsqueeze(1)
            return z if self.layout == "plain" else z.reshape(B, -1)
        # numpy backend: keep float64 / complex128
        if self._channels(z):
            parts = (z.real, z.imag) if np.iscomplexobj(z) else (z, np.zeros_like(z))
            if self.layout == "channels":
                return np.stack(parts, 1)
            if self.layout == "plain":
                return np.stack(parts, -1)
            return np.concatenate([p.reshape(B, -1) for p in parts], 1)
        if self.layout == "channels":
            return z[:, None]
        return z if self.layout == "plain" else z.reshape(B, -1)

    def _unpack(self, out: Any, B: int, packed: bool = False) -> Any:
        """Read a model output batch as images ``(B, *A.in_shape)`` (complex from two channels).

        ``packed``: the input was complex data fed as two real channels.
        """
        tor = is_torch(out)
        shape = tuple(out.shape)
        if self.batched and (len(shape) == 0 or shape[0] != B):
            raise InvalidArgument(
                f"Ψ returned shape {shape} for a batch of {B}: the first axis must be the batch "
                "(pass batched=False for a function of one sample)")
        cplx = out.is_complex() if tor else np.iscomplexobj(out)
        img = self.image_shape
        if img is None:  # unbound: keep the model's shape, minus a channel axis
            if packed:  # complex input fed as two real channels: read two channels back as complex
                if cplx:
                    return out
                if self.layout == "channels" and len(shape) >= 2 and shape[1] == 2:
                    return _complex(out[:, 0], out[:, 1])
                if self.layout == "plain" and len(shape) >= 2 and shape[-1] == 2:
                    return _complex(out[..., 0], out[..., 1])
                if self.layout == "flat" and len(shape) == 2 and shape[1] % 2 == 0:
                    h = shape[1] // 2
                    return _complex(out[:, :h], out[:, h:])
                raise InvalidArgument(
                    f"the complex input was fed to the model as two real channels (layout="
                    f"{self.layout!r}: {_LAYOUT_TEXT[self.layout]}) but the model returned shape "
                    f"{shape}, which has no (real, imaginary) pair to read back: bind the operator "
                    "(A=...) so that the image shape is known, pass complex_as_channels='real' to "
                    "feed the real part only, or choose the layout the model expects")
            if self.layout == "channels" and len(shape) >= 2 and shape[1] == 1:
                return out[:, 0]
            return out
        N = _prod(img)
        n = _prod(shape[1:])
        if n == N:
            return out.reshape((B,) + img)
        if n == 2 * N and not cplx:
            if self.layout == "channels" and len(shape) >= 2 and shape[1] == 2:
                re, im = out[:, 0], out[:, 1]
            elif self.layout == "plain" and shape[-1] == 2:
                re, im = out[..., 0], out[..., 1]
            else:
                halves = out.reshape(B, 2, N)
                re, im = halves[:, 0], halves[:, 1]
            return _complex(re, im).reshape((B,) + img)
        raise InvalidArgument(
            f"Ψ returned {n} entries per sample (shape {shape}) but A's images have shape {img} "
            f"({N} entries; or {2 * N} real entries read as a complex image): the model does not "
            "match the operator A")

    # -- sessions -------------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, device: Any = None, dtype: Any = None) -> Iterator[_Session]:
        """Context in which ``Ψ`` runs on torch batches on ``device`` in real ``dtype``.

        For a module: a private copy when ``device``/``dtype`` differ from the
        model's or when it runs in training mode (whose forward may update
        buffers such as batch-norm statistics; copies are cached until the
        weights change), eval mode when ``eval_mode=True``, parameters frozen
        (no gradients accumulate); every flag and ``requires_grad`` is restored
        on exit. Inside, gradients flow to the *input* only.

        Theorem: none.
        Rigor: not applicable.
        """
        with self._session(_torch_device(device), _torch_dtype(dtype)) as f:
            yield f

    @contextlib.contextmanager
    def _session(self, device: Any = None, dtype: Any = None, fresh: bool = False) -> Iterator[_Session]:
        """:meth:`session`; ``fresh=True``: a new private copy, never a cached one (certificates)."""
        if self.backend != "torch":
            raise InvalidArgument(
                "this needs a torch-differentiable Ψ: pass a torch.nn.Module, or a torch "
                "function with as_reconstruction_map(f, backend='torch')")
        if not self.is_module:
            dev = torch.device(device) if device is not None else (self.device or torch.device("cpu"))
            yield _Session(self, self.model, dev, dtype)
            return
        model = self.model
        own_dev, own_dtype = _module_device(model), _module_dtype(model)
        dev = torch.device(device) if device is not None else (self.device or own_dev)
        if dev.type == "cuda" and dev.index is None:
            dev = torch.device("cuda", torch.cuda.current_device())
        dt = dtype or own_dtype
        # a module in training mode may update buffers (batch-norm statistics) in the forward:
        # run it on a private copy so that the user's buffers are never written
        trains = self.eval_mode is False or (
            self.eval_mode is None and any(m.training for m in model.modules()))
        same = dev == own_dev and dt == own_dtype
        work = model if (same and not trains) else self._copy(dev, dt, trains, cache=not fresh)
        modules = list(work.modules())
        training = [m.training for m in modules]
        params = list(work.parameters())
        req = [p.requires_grad for p in params]
        if self.eval_mode is True:
            work.eval()
        elif self.eval_mode is False:
            work.train()
        try:
            for p in params:
                p.requires_grad_(False)
            yield _Session(self, work, dev, dt)
        finally:
            for p, r in zip(params, req):
                p.requires_grad_(r)
            for m, t in zip(modules, training):
                m.training = t

    def _copy(self, device: Any, dtype: Any, training: bool = False, cache: bool = True) -> Any:
        key = (str(device), dtype, training)
        fp = _fingerprint(self.model) if cache else None
        hit = self._copies.get(key) if cache else None
        if hit is not None and hit[0] == fp:
            return hit[1]
        try:
            work = copy.deepcopy(self.model)
        except Exception as exc:  # noqa: BLE001 - any deepcopy failure
            raise InvalidArgument(
                f"cannot copy the model to evaluate it on {device} in {dtype} ({exc}): move the "
                "model there yourself, or pass device=/dtype= matching it") from exc
        _cast_module(work, device, dtype)
        if cache:
            self._copies.clear()  # one copy at a time: bounded memory
            self._copies[key] = (fp, work)
        return work

    # -- evaluation -----------------------------------------------------------------------
    def __call__(self, y: Any) -> Any:
        if is_torch(y):
            if not bool(lazy_torch_isfinite(y)):
                raise InvalidArgument("y contains NaN or inf: pass finite measurements")
            if self.backend == "numpy":
                return torch.as_tensor(self._numpy_call(to_numpy(y)), device=y.device)
            batch, core = self._split(tuple(y.shape))
            if y.numel() == 0:
                raise InvalidArgument(f"y is empty (shape {tuple(y.shape)}): pass measurements")
            yb = y.reshape((-1,) + core) if self.operator is not None else y.unsqueeze(0)
            ctx = contextlib.nullcontext() if y.requires_grad else torch.no_grad()
            with ctx, self.session() as f:
                out = f(yb)
            return out.reshape(batch + tuple(out.shape[1:])) if self.operator is not None else out[0]
        return self._numpy_call(y)

    def _numpy_call(self, y: Any) -> np.ndarray:
        arr = _measurements(y, "y")
        batch, core = self._split(arr.shape)
        if any(b == 0 for b in batch):
            raise InvalidArgument(f"y has an empty batch (shape {arr.shape}): pass measurements")
        yb = arr.reshape((-1,) + core) if self.operator is not None else arr[None]
        out = self.evaluate_batch(yb)
        return out.reshape(batch + out.shape[1:]) if self.operator is not None else out[0]

    def evaluate_batch(self, yb: Any, dtype: Any = None, device: Any = None) -> np.ndarray:
        """Evaluate ``Ψ`` once on a numpy batch ``(B, *A.out_shape)``; numpy output.

        Torch models run on ``device`` in real ``dtype`` (default: the model's
        own; ``dtype="float64"`` means float64 on the CPU); the output is
        widened to float64/complex128 (exactly). The model always gets a
        private copy of the input (``yb`` is never written).

        Theorem: none.
        Rigor: not applicable (one evaluation; see :meth:`evaluate_float64`).
        """
        if isinstance(dtype, str):
            if dtype != "float64":
                raise InvalidArgument(f"dtype={dtype!r}: pass a torch dtype or 'float64'")
            dtype, device = torch.float64, device or "cpu"
        dtype, device = _torch_dtype(dtype), _torch_device(device)
        arr = _measurements(yb, "yb", batch=True)
        if self.operator is not None:
            self._split(arr.shape[1:])
        outs, _ = self._evaluate(arr, dtype, device)
        return outs[0]

    def _evaluate(self, yb: Any, dtype: Any, device: Any, *, repeats: int = 1, per_sample: bool = False,
                  fresh: bool = False, single: bool = False) -> tuple[list, set]:
        """``repeats`` evaluations of ``Ψ`` on a numpy batch in one session; also the raw output dtypes.

        ``per_sample``: each sample alone (a batch of 1), so that no output depends on
        the other samples of the batch; ``fresh``: a new private model copy (no cache);
        ``single``: a numpy function gets float32/complex64 input (the float32 evaluation).
        """
        yb = _measurements(yb, "y", batch=True)  # a float64/complex128 copy, finite, exact
        if single:
            yb = yb.astype(np.complex64 if yb.dtype.kind == "c" else np.float32)
        B = int(yb.shape[0])
        chunks = [slice(i, i + 1) for i in range(B)] if per_sample else [slice(0, B)]
        results: list = []
        if self.backend == "torch":
            with torch.no_grad(), self._session(device=device, dtype=dtype, fresh=fresh) as f:
                for _ in range(max(1, int(repeats))):
                    parts = [to_numpy(f(torch.from_numpy(yb[c].copy()))) for c in chunks]
                    results.append(parts[0] if len(parts) == 1 else np.concatenate(parts, 0))
            dtypes = set(f.out_dtypes)
        else:
            dtypes = set()
            for _ in range(max(1, int(repeats))):
                parts = [self._numpy_eval(yb[c], dtypes) for c in chunks]
                results.append(parts[0] if len(parts) == 1 else np.concatenate(parts, 0))
        with np.errstate(over="ignore", invalid="ignore"):
            outs = [np.asarray(o).astype(np.complex128 if np.iscomplexobj(o) else np.float64, copy=False)
                    for o in results]
        return outs, dtypes

    def _numpy_eval(self, yb: np.ndarray, dtypes: set) -> np.ndarray:
        z = self._model_input(yb)
        size = self.batch_size or z.shape[0]
        outs = []
        for s in range(0, z.shape[0], size):
            inp = np.array(self._pack(z[s:s + size], None))  # a private copy for in-place functions
            try:
                if self.batched:
                    o = np.asarray(to_numpy(self.model(inp)))
                    dtypes.add(str(o.dtype))
                else:
                    items = []
                    for i in range(inp.shape[0]):
                        oi = np.asarray(to_numpy(self.model(inp[i].copy())))
                        dtypes.add(str(oi.dtype))
                        items.append(oi)
                    o = np.stack(items)
            except InvalidArgument:
                raise
            except (RuntimeError, TypeError, ValueError, IndexError, ArithmeticError) as exc:
                raise InvalidArgument(
                    f"Ψ could not be evaluated on an input of shape {inp.shape[1:] if not self.batched else inp.shape} "
                    f"({self._describe()}): {exc}. Check that A matches the model") from exc
            if o.dtype.kind not in "biufc":
                raise InvalidArgument(f"Ψ returned dtype {o.dtype}: return numbers")
            zc = z[s:s + size]
            outs.append(self._unpack(o, inp.shape[0], packed=self._channels(zc) and bool(np.iscomplexobj(zc))))
        return np.concatenate(outs, 0)

    def evaluate_float64(self, y: Any, *, repeats: int = 2, noise: bool = False,
                         noise_scale: Any = None, noise_segments: Any = None) -> Float64Evaluation:
        """Evaluate ``Ψ`` on a batch ``(B, *A.out_shape)`` ``repeats`` times on the CPU in float64.

        Each sample is evaluated alone (a batch of 1: no output depends on the
        rest of the batch, e.g. through batch-norm in training mode). Modules run
        as a fresh float64 CPU copy (never a cached one; the user's model is
        untouched); torch functions get float64 CPU tensors (float32 if they
        reject float64: then ``precision`` is ``"float32"`` and ``reason`` says
        the result is numerical); numpy functions get float64/complex128
        arrays. A raw output of reduced precision (e.g. ``.half()``) sets
        ``precision`` and ``reason`` likewise. The outputs must be finite,
        bit-identical and of full precision (empty ``reason``) for a certificate.

        With ``noise=True`` the rounding noise of each output is estimated as
        well (:meth:`rounding_noise`, with probe perturbations far below
        ``noise_scale``, the witness scale per sample, and refining the witness
        segments ``noise_segments``, pairs of sample indices): certified-float64 claims
        must hold with margins of ``NOISE_ALLOWANCE`` times it. A non-finite
        estimate (``Ψ`` returns NaN/inf next to the input) sets ``reason``.

        Theorem: none.
        Rigor: certified-float64 when the returned evaluation is ``ok`` and its ``reason`` empty.
        """
        arr = _measurements(y, "y", batch=True)
        if self.operator is not None:
            self._split(arr.shape[1:])
        repeats = _count(repeats, "repeats")
        if repeats > 64:
            raise InvalidArgument(f"repeats={repeats}: at most 64 evaluations of the same input")
        noise = _flag(noise, "noise")
        if noise:
            _scales(noise_scale, int(arr.shape[0]))
            _segment_pairs(noise_segments, int(arr.shape[0]))
        precision = "float64"
        try:
            outs, dtypes = self._evaluate(arr, torch.float64, "cpu", repeats=repeats, per_sample=True,
                                          fresh=True)
        except InvalidArgument as exc:
            if self.backend != "torch" or self.is_module:
                raise
            # a torch function closing over a float32 model: evaluate at its own precision (numerical)
            try:
                outs, dtypes = self._evaluate(arr, torch.float32, "cpu", repeats=repeats, per_sample=True,
                                              fresh=True)
            except InvalidArgument:
                raise exc from None
            precision = "float32"
        low = sorted(d for d in dtypes if d not in _FLOAT64_OUT)
        if precision == "float64" and low:
            precision = low[0]
        finite = all(bool(np.all(np.isfinite(o))) for o in outs)
        diff = 0.0
        for o in outs[1:]:
            if o.shape != outs[0].shape:
                diff = math.inf
            else:
                with np.errstate(invalid="ignore", over="ignore"):
                    d = np.abs(o - outs[0])
                d = d[np.isfinite(d)]
                diff = max(diff, float(d.max()) if d.size else 0.0)
        consistent = all(o.shape == outs[0].shape and np.array_equal(o, outs[0], equal_nan=True)
                         for o in outs[1:])
        reason = ""
        if not finite:
            reason = "Ψ returned NaN or inf"
        elif not consistent:
            hint = ""
            if self.is_module and any(m.training for m in self.model.modules()):
                hint = (" (the model is in training mode: dropout/batch-norm make it random; call "
                        "model.eval() or pass eval_mode=True)")
            reason = (f"Ψ gave different outputs on two evaluations of the same input "
                      f"(largest difference {diff:.3g}){hint}")
        elif precision == "float32" and not low:
            reason = ("Ψ (a torch function) rejects float64 input and was evaluated in float32: not a "
                      "float64 evaluation, numerical only")
        elif precision != "float64":
            reason = (f"Ψ returned {', '.join(low)} output (reduced precision), not float64/complex128: "
                      "numerical only")
        est = None
        if noise and not reason:
            est = self.rounding_noise(arr, outs[0], scale=noise_scale, segments=noise_segments)
            if not bool(np.all(np.isfinite(est.noise))):
                reason = ("Ψ's rounding noise could not be estimated: Ψ returns NaN/inf or non-float64 output "
                          "at inputs a few ulps away from the evaluated ones" + (
                              f" ({'; '.join(est.notes)})" if est.notes else ""))
        return Float64Evaluation(tuple(outs), consistent, finite, diff, precision, reason, est)

    def rounding_noise(self, y: Any, outputs: Any = None, *, scale: Any = None, seed: int = 0,
                       segments: Any = None) -> NoiseEstimate:
        """Estimate the rounding noise of ``Ψ``'s float64 CPU evaluation at each sample of ``y``.

        See :class:`NoiseEstimate` for the estimate (output ulps, probe
        perturbations of a few ulps up to a 32nd of ``scale``, a float32
        evaluation scaled by ``u₆₄/u₃₂``, and the refinement of witness segments).
        ``outputs``: the float64 outputs at ``y`` (evaluated when None);
        ``scale``: per sample (or one number) the size of the witness the
        estimate is for (``None``: no limit); ``seed``: of the probe directions
        (deterministic); ``segments``: pairs ``(i, j)`` of samples joined by a
        witness (a claimed change ``Ψ(y_j) − Ψ(y_i)``): the segment is refined
        (3 points, then 3 inside the quarter with the largest change, ten times: a
        cell of ``4⁻¹⁰ ≈ 10⁻⁶`` of the segment) and the change left in the final cell,
        less half the change over the cell before, counts as noise of both ends —
        a continuous ``Ψ`` changes over the last cell by about a quarter of the
        cell before (nothing is left), while a rounding step of ``Ψ`` (which a
        search for large changes seeks out) keeps about its full size.

        Theorem: none (rounding model of certified-float64 claims).
        Rigor: numerical (an estimate, not a bound).
        """

        arr = _measurements(y, "y", batch=True)
        if self.operator is not None:
            self._split(arr.shape[1:])
        seed = integer_arg(seed, "seed", minimum=0)
        B = int(arr.shape[0])
        scales = _scales(scale, B)
        pairs = _segment_pairs(segments, B)
        if outputs is None:
            ev = self.evaluate_float64(arr, repeats=1)
            if not ev.ok:
                raise InvalidArgument(f"cannot estimate the rounding noise: {ev.reason}")
            outputs = ev.output
        P = _measurements(outputs, "outputs", batch=True)
        if P.shape[0] != B or (self.image_shape is not None and P.shape[1:] != tuple(self.image_shape)):
            raise InvalidArgument(f"outputs must hold one image {self.image_shape} per input ({B}), got "
                                  f"shape {P.shape}")
        floor = np.array([output_rounding_floor(P[i]) for i in range(B)])
        cplx = arr.dtype.kind == "c"
        probes, owner = [], []  # owner: (sample, level): level 0 plain (2 points), else Richardson (6)
        for i in range(B):
            ny = norm2(arr[i])
            base = ny if ny > 0 else (float(scales[i]) if 0 < scales[i] < math.inf else 1.0)
            rng = np.random.default_rng([int(seed), i])
            sizes = []
            for k, (level, count) in enumerate(zip(_PROBE_LEVELS, _PROBE_DIRECTIONS)):
                s = level * base
                if k > 0 and not (s <= float(scales[i]) * _PROBE_CAP):
                    break
                sizes.append((s, count, k))
            sc = float(scales[i])
            if math.isfinite(sc) and sc * _PROBE_CAP > sizes[-1][0]:
                # the largest step allowed below the witness: quanta up to scale/8 are crossed
                sizes.append((sc * _PROBE_CAP, 1, 1))
            for s, count, k in sizes:
                for _ in range(count):
                    d = rng.standard_normal(arr[i].shape)
                    if cplx:
                        d = d + 1j * rng.standard_normal(arr[i].shape)
                    d = d * (s / norm2(d))
                    probes += [arr[i] + d, arr[i] - d]
                    if k > 0:
                        probes += [arr[i] + 2 * d, arr[i] - 2 * d, arr[i] + 4 * d, arr[i] - 4 * d]
                    owner.append((i, k))
        probe = np.zeros(B)
        notes: list[str] = []
        state: dict = {}  # whether Ψ depends on the batch (checked once)
        if probes:
            try:
                out, gap, who = self._batched_eval(np.stack(probes), notes,
                                                   lambda idx: _probe_owner(owner, idx), floor, state)
                if who is not None:
                    probe[who] = max(probe[who], gap)  # batch-order rounding is noise too
                pos = 0
                for i, k in owner:
                    n_pts = 2 if k == 0 else 6
                    pts = out[pos:pos + n_pts]
                    pos += n_pts
                    with np.errstate(over="ignore", invalid="ignore"):
                        if any(q.shape != P[i].shape for q in pts):
                            v = math.inf
                        else:
                            sd = [norm2((pts[2 * t] - P[i]) + (pts[2 * t + 1] - P[i])) for t in range(n_pts // 2)]
                            v = sd[0] if k == 0 else max(0.0, 2.0 * sd[0] - sd[1], 2.0 * sd[1] - sd[2])
                    probe[i] = max(probe[i], v if math.isfinite(v) else math.inf)
            except InvalidArgument as exc:
                probe[:] = math.inf
                notes.append(f"probe evaluations failed: {exc}")
        for i, j in pairs:
            try:
                v = self._segment_noise(arr[i], arr[j], P[i], P[j], notes, floor[i], state)
            except InvalidArgument as exc:
                v = math.inf
                notes.append(f"segment evaluations failed: {exc}")
            probe[i] = max(probe[i], v)
            probe[j] = max(probe[j], v)
        proxy = np.full(B, math.nan)
        try:
            outs32, _ = self._evaluate(arr, torch.float32, "cpu", per_sample=False, fresh=True, single=True)
            o32 = outs32[0]
            for i in range(B):
                if o32[i].shape == P[i].shape and bool(np.all(np.isfinite(o32[i]))):
                    with np.errstate(over="ignore", invalid="ignore"):
                        v = norm2(o32[i] - P[i])
                    if math.isfinite(v):
                        proxy[i] = v * _PROXY_SCALE
            if np.any(np.isnan(proxy)):
                notes.append("the float32 evaluation overflowed or changed shape for some samples")
        except (InvalidArgument, RuntimeError, TypeError, ValueError) as exc:
            notes.append(f"no float32 evaluation ({str(exc)[:120]})")
        noise = np.array([round_up(max(floor[i], probe[i], 0.0 if math.isnan(proxy[i]) else proxy[i]))
                          for i in range(B)])
        return NoiseEstimate(noise, floor, probe, proxy, tuple(notes))

    def _batched_eval(self, stack: np.ndarray, notes: list, owner_of: Callable[[int], int],
                      floor: np.ndarray, state: dict) -> tuple[np.ndarray, float, int | None]:
        """Outputs of many probe points in batches of 32 (fast). The first time (``state`` is shared
        by one estimate), one point is also evaluated alone: when the batched output differs from it
        beyond rounding (``Ψ`` depends on the batch), every point is evaluated alone from then on.
        Returns the outputs, the batch-order difference seen and the sample it belongs to."""
        if state.get("alone"):
            return self._evaluate(stack, torch.float64, "cpu", per_sample=True, fresh=True)[0][0], 0.0, None
        first = "checked" not in state
        last = min(32, stack.shape[0]) - 1  # the last of the first batch (the first may be unaffected)
        dts: set = set()
        if first:
            alone, dts = self._evaluate(stack[last:last + 1], torch.float64, "cpu", per_sample=True, fresh=True)
        parts = []
        for c0 in range(0, stack.shape[0], 32):  # bounded memory
            o, dt = self._evaluate(stack[c0:c0 + 32], torch.float64, "cpu", per_sample=False, fresh=True)
            parts.append(o[0])
            dts |= dt
        if any(d not in _FLOAT64_OUT for d in dts):
            raise InvalidArgument(f"reduced-precision output {sorted(dts)}")
        if not first:
            return np.concatenate(parts), 0.0, None
        state["checked"] = True
        with np.errstate(over="ignore", invalid="ignore"):
            gap = (norm2(parts[0][last] - alone[0][0]) if parts[0][last].shape == alone[0][0].shape
                   else math.inf)
        who = owner_of(last)
        if not gap <= 2.0 ** 20 * max(float(floor[who]), output_rounding_floor(alone[0][0])):
            notes.append("Ψ depends on the batch: probes evaluated one by one")
            state["alone"] = True
            return self._evaluate(stack, torch.float64, "cpu", per_sample=True, fresh=True)[0][0], 0.0, None
        return np.concatenate(parts), gap, who

    def _segment_noise(self, a: np.ndarray, b: np.ndarray, pa: np.ndarray, pb: np.ndarray, notes: list,
                       floor_a: float, state: dict) -> float:
        """The output change left in a ``4⁻¹⁰`` cell of the segment ``[a, b]`` after refining where it
        changes most, less half the change over the cell before."""
        if np.array_equal(a, b):
            return 0.0
        lo, hi, plo, phi = 0.0, 1.0, pa, pb
        change = prev = math.inf
        with np.errstate(over="ignore", invalid="ignore"):
            step = b - a
            for _ in range(_SEGMENT_ROUNDS):
                ts = lo + (hi - lo) * np.arange(1, _SEGMENT_POINTS) / _SEGMENT_POINTS
                pts = a[None] + ts.reshape((-1,) + (1,) * a.ndim) * step[None]
                out, _, _ = self._batched_eval(pts, notes, lambda idx: 0, np.array([floor_a]), state)
                if any(q.shape != pa.shape for q in out):
                    return math.inf
                seq = [plo] + list(out) + [phi]
                tt = [lo] + list(ts) + [hi]
                changes = [norm2(seq[k + 1] - seq[k]) for k in range(len(seq) - 1)]
                if not all(math.isfinite(c) for c in changes):
                    return math.inf
                k = int(np.argmax(changes))
                prev, change = change, changes[k]
                lo, hi, plo, phi = tt[k], tt[k + 1], seq[k], seq[k + 1]
        # a continuous Ψ changes over the last cell by about a quarter of the change over the cell
        # before (half of that is subtracted); a rounding step of Ψ keeps its size from cell to cell
        return max(0.0, change - prev / 2.0) if math.isfinite(prev) else change

    # -- stored description ---------------------------------------------------------------
    def options(self) -> dict:
        """The adapter options as a JSON-able record (no device, batch size or operator).

        With :func:`as_reconstruction_map` (``model, **record``) it rebuilds the same
        map from a bare model: what a saved certificate stores so that
        ``theorycheck verify FILE --model SPEC`` can re-run ``Ψ``.

        Theorem: none.
        Rigor: not applicable.
        """
        return {"input": self.input, "layout": self.layout, "complex_as_channels": self.complex_as_channels,
                "backend": self.backend, "batched": self.batched, "eval_mode": self.eval_mode,
                "model": type(self.model).__name__}

    @classmethod
    def from_options(cls, model: Any, options: dict, A: Any = None) -> "ReconstructionMap":
        """Rebuild a map from a bare model and an :meth:`options` record (a map is bound as is).

        Theorem: none.
        Rigor: not applicable.
        """
        if isinstance(model, ReconstructionMap):
            return model if A is None else model.bind(A)
        bad = map_options_problems(options)
        if bad:
            raise InvalidArgument("; ".join(bad))
        opts = {k: v for k, v in options.items() if k != "model"}
        if isinstance(model, torch.nn.Module):
            opts["backend"] = "torch"
        return cls(model, A=A, **opts)


def _segment_pairs(segments: Any, B: int) -> list[tuple[int, int]]:
    """Validated witness segments: pairs of distinct sample indices."""
    if segments is None:
        return []
    if isinstance(segments, (str, bytes)) or not hasattr(segments, "__iter__"):
        raise InvalidArgument(f"segments must be a list of index pairs (i, j), got {segments!r}")
    out = []
    for p in segments:
        try:
            i, j = (int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) else None
                    for v in p)
        except (TypeError, ValueError):
            raise InvalidArgument(f"segments must hold index pairs (i, j), got {p!r}") from None
        if i is None or j is None or not (0 <= i < B and 0 <= j < B) or i == j:
            raise InvalidArgument(f"segment {p!r}: two different sample indices in [0, {B}) are required")
        out.append((i, j))
    if len(out) > 4 * B:
        raise InvalidArgument(f"{len(out)} segments for {B} samples: at most {4 * B}")
    return out


def _probe_owner(owner: list, index: int) -> int:
    """The sample that probe point ``index`` belongs to (2 points at level 0, else 6 per entry)."""
    pos = 0
    for i, k in owner:
        pos += 2 if k == 0 else 6
        if index < pos:
            return i
    return owner[-1][0]


def lazy_torch_isfinite(t: Any) -> Any:
    """``torch.isfinite(t).all()`` for real and complex tensors (detached)."""
    return torch.isfinite(t.detach()).all()


def _flag(v: Any, name: str) -> bool:

    return bool_arg(v, name)


def _scales(scale: Any, B: int) -> np.ndarray:
    """Per-sample witness scales: None (no limit), a positive number, or one per sample."""
    if scale is None:
        return np.full(B, math.inf)
    if isinstance(scale, (bool, np.bool_, str, bytes)):
        raise InvalidArgument(f"scale must be None, a positive number or one per sample, got {scale!r}")
    try:
        arr = np.asarray(to_numpy(scale), dtype=np.float64)
    except (TypeError, ValueError, InvalidArgument) as exc:
        raise InvalidArgument(f"scale must be None, a positive number or one per sample: {exc}") from None
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size != B) or np.any(np.isnan(arr)) or np.any(arr <= 0):
        raise InvalidArgument(f"scale must be positive (inf: no limit), one number or {B} numbers; got {scale!r}")
    return np.broadcast_to(arr, (B,)).copy()


def _count(v: Any, name: str) -> int:

    return integer_arg(v, name)


def _measurements(y: Any, name: str, batch: bool = False) -> np.ndarray:
    """A float64/complex128 copy of measurements (converted exactly: values float64 cannot hold are
    refused, never rounded); NaN/inf, non-numbers and (``batch``) empty batches refused."""

    if isinstance(y, (bool, np.bool_)):
        raise InvalidArgument(f"{name} must be an array of measurements, got {y!r}")
    arr = as_array(y, name)
    if batch and (arr.ndim == 0 or arr.shape[0] == 0):
        raise InvalidArgument(f"{name} must be a non-empty batch (B, *A.out_shape) of measurements, "
                              f"got shape {arr.shape}")
    if arr.size == 0:
        raise InvalidArgument(f"{name} is empty: pass measurements")
    return arr


def _torch_dtype(dtype: Any) -> Any:
    """``None`` or a real torch floating dtype (refused otherwise, with the reason)."""
    if dtype is None:
        return None
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise InvalidArgument(f"dtype must be a real torch floating dtype (e.g. torch.float64), got {dtype!r}")
    return dtype


def _torch_device(device: Any) -> Any:
    """A usable ``torch.device`` (None stays None); unknown or unavailable devices refused."""
    if device is None:
        return None
    if isinstance(device, (bool, np.bool_)) or not isinstance(device, (str, int, torch.device)):
        raise InvalidArgument(f"device must be 'cpu', 'cuda', 'cuda:N' or a torch.device, got {device!r}")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise InvalidArgument(f"unknown device {device!r}: use 'cpu' or 'cuda'") from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidArgument(f"device {device!r}: CUDA is not available on this machine; use 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InvalidArgument(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s)")
    elif dev.type != "cpu":
        raise InvalidArgument(f"device {device!r}: use 'cpu' or 'cuda'")
    return dev


def _complex(re: Any, im: Any) -> Any:
    if is_torch(re):
        if re.dtype not in (torch.float32, torch.float64):
            re, im = re.float(), im.float()
        return torch.complex(re, im)
    return re + 1j * im


def as_reconstruction_map(model: Any, *, input: str = "measurements",  # noqa: A002 - public name
                          complex_as_channels: bool | str | None = None, device: Any = None,
                          batch_size: int | None = None, A: Any = None, layout: str | None = None,
                          backend: str | None = None, batched: bool | None = None,
                          eval_mode: bool | None = None) -> ReconstructionMap:
    """Wrap a model or function as a reconstruction map ``Ψ: y ↦ x``.

    Parameters
    ----------
    model : torch.nn.Module, callable or ReconstructionMap
        The reconstruction. A ``ReconstructionMap`` is returned as is (bound to
        ``A`` when given).
    input : {"measurements", "adjoint"}
        What the model reads: ``y`` itself, or the zero-filled image ``A^* y``
        (needs ``A``, here or later through ``bind``; the checks bind it).
    complex_as_channels : bool or "real", optional
        Feed complex data as two real channels (real, imaginary) and read a
        two-channel output as complex. Default: for modules without complex
        parameters, when the data are complex; never for plain functions.
        ``"real"``: feed only the real part, as one channel.
    device : str or torch.device, optional
        Where a module runs (default: where its parameters are; a private copy
        is made for another device).
    batch_size : int, optional
        Evaluate at most this many samples per model call.
    A : array_like or LinearOperator, optional
        The sampling operator (fixes the shapes of ``y`` and ``x``).
    layout : {"channels", "plain", "flat"}, optional
        Model input layout (default ``"channels"`` for modules, ``"plain"`` for
        functions; see the module docstring).
    backend : {"torch", "numpy"}, optional
        How a plain function is called (default ``"numpy"``: numpy arrays;
        ``"torch"``: tensors, differentiable). Modules always use torch.
    batched : bool, optional
        Whether the model takes a batch (default: True for torch, False for
        numpy functions, which are then called once per sample).
    eval_mode : bool, optional
        ``True``: evaluate a module in eval mode; ``False``: in training mode;
        ``None`` (default): in its current mode. The flags are restored afterwards.

    Returns
    -------
    ReconstructionMap

    Theorem: none (the map ``Ψ`` of THEORY.md §3–4).
    Rigor: not applicable.

    Examples
    --------
    >>> import numpy as np
    >>> psi = as_reconstruction_map(lambda y: 2 * y, A=np.eye(2))
    >>> psi(np.array([1.0, 2.0]))
    array([2., 4.])
    """
    if isinstance(model, ReconstructionMap):
        return model if A is None else model.bind(A)
    return ReconstructionMap(model, input=input, complex_as_channels=complex_as_channels,
                             device=device, batch_size=batch_size, A=A, layout=layout,
                             backend=backend, batched=batched, eval_mode=eval_mode)
