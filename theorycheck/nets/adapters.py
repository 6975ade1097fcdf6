"""Adapt any reconstruction model to a map ``Ψ: y ↦ x`` on numpy or torch data.

:func:`as_reconstruction_map` wraps a ``torch.nn.Module``, a torch function or a
numpy function as a :class:`ReconstructionMap`: called on measurements ``y`` of
shape ``(*batch, *A.out_shape)`` (numpy or torch, real or complex) it returns
images of shape ``(*batch, *A.in_shape)`` of the same kind. It handles

* the input: the measurements themselves (``input="measurements"``) or the
  zero-filled image ``A^* y`` (``input="adjoint"``, e.g. a U-Net post-processor);
  by default the model's own ``model.input`` when it declares one (the
  architectures of :mod:`theorycheck.nets` do), else the measurements;
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
The evaluation lives in ``_adapter_eval`` (a mixin of :class:`ReconstructionMap`), the
torch-free conventions and noise model in ``_adapter_common`` (what verifiers import).

Theorem: none (the map ``Ψ`` of the instability theorem, docs/theory.md §3–4).
Rigor: not applicable (evaluation); :meth:`ReconstructionMap.evaluate_float64`
provides the twice-repeated CPU float64 evaluation (and its noise estimate) that
certified results need.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import math
from typing import Any, Callable, Iterator

import numpy as np
import torch

from theorycheck.errors import InvalidArgument
from theorycheck.nets._adapter_common import (
    BACKENDS,
    INPUTS,
    LAYOUTS,
    NOISE_ALLOWANCE,
    NOISE_SAFETY,
    NoiseEstimate,
    input_for,
    map_options_problems,
    measurements_arg,
    output_rounding_floor,
)
from theorycheck.nets._adapter_eval import Float64Evaluation, Float64Evaluator
from theorycheck.nets._arch_common import refuse_other_operator
from theorycheck.numerics.backend import device_arg, is_torch, to_numpy
from theorycheck.problems.operators import LinearOperator, as_operator

__all__ = ["ReconstructionMap", "Float64Evaluation", "NoiseEstimate", "as_reconstruction_map",
           "output_rounding_floor", "map_options_problems", "input_for", "NOISE_ALLOWANCE", "NOISE_SAFETY"]

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


def _dtype_name(dt: Any) -> str:
    return str(dt).replace("torch.", "")


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


class ReconstructionMap(Float64Evaluator):
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

    Theorem: none (the ``Ψ`` of docs/theory.md §3–4).
    Rigor: not applicable.
    """

    def __init__(self, model: Any, *, input: str | None = None,  # noqa: A002 - public name
                 complex_as_channels: bool | str | None = None, device: Any = None,
                 batch_size: int | None = None, A: Any = None, layout: str | None = None,
                 backend: str | None = None, batched: bool | None = None,
                 eval_mode: bool | None = None):
        if not callable(model):
            raise InvalidArgument(f"model must be a torch.nn.Module or a callable, got {type(model).__name__}")
        for name, v in (("input", input), ("layout", layout), ("backend", backend)):
            if v is not None and not isinstance(v, str):
                raise InvalidArgument(f"{name} must be a string, got {type(v).__name__}")
        for name, flag in (("complex_as_channels", complex_as_channels), ("eval_mode", eval_mode),
                           ("batched", batched)):
            if flag is not None and not isinstance(flag, (bool, str)):
                raise InvalidArgument(f"{name} must be None, True or False, got {type(flag).__name__}")
        if batched is not None and not isinstance(batched, bool):
            raise InvalidArgument(f"batched must be None, True or False, got {batched!r}")
        if input is not None and input not in INPUTS:
            raise InvalidArgument(f"input={input!r}: use 'measurements' or 'adjoint'")
        # the model's own convention (model.input) when it declares one; a contradicting input= is refused
        input = input_for(model, input, default="measurements")  # noqa: A001
        self.is_module = isinstance(model, torch.nn.Module)
        if backend is None:
            backend = "torch" if self.is_module else "numpy"
        if backend not in BACKENDS:
            raise InvalidArgument(f"backend={backend!r}: use 'torch' or 'numpy'")
        if self.is_module and backend != "torch":
            raise InvalidArgument("a torch.nn.Module needs backend='torch'")
        if layout is None:
            layout = "channels" if self.is_module else "plain"
        if layout not in LAYOUTS:
            raise InvalidArgument(f"layout={layout!r}: use one of {LAYOUTS}")
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
        self.device = device_arg(device)
        # input="adjoint" without A is bound later by the checks (bind(A))
        self.operator: LinearOperator | None = None if A is None else as_operator(A)
        if self.operator is not None:
            refuse_other_operator(model, self.operator)
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
            return bool(self.complex_as_channels)  # True or False here
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
                parts: tuple[Any, ...] = (z.real, z.imag) if z.is_complex() else (z, torch.zeros_like(z))
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
        with self._session(device_arg(device), _torch_dtype(dtype)) as f:
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
        arr = measurements_arg(y, "y")
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
        dtype, device = _torch_dtype(dtype), device_arg(device)
        arr = measurements_arg(yb, "yb", batch=True)
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
        yb = measurements_arg(yb, "y", batch=True)  # a float64/complex128 copy, finite, exact
        if single:
            with np.errstate(over="ignore"):  # beyond float32's range: inf, reported by the caller
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


def lazy_torch_isfinite(t: Any) -> Any:
    """``torch.isfinite(t).all()`` for real and complex tensors (detached)."""
    return torch.isfinite(t.detach()).all()


def _torch_dtype(dtype: Any) -> Any:
    """``None`` or a real torch floating dtype (refused otherwise, with the reason)."""
    if dtype is None:
        return None
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise InvalidArgument(f"dtype must be a real torch floating dtype (e.g. torch.float64), got {dtype!r}")
    return dtype


def _complex(re: Any, im: Any) -> Any:
    if is_torch(re):
        if re.dtype not in (torch.float32, torch.float64):
            re, im = re.float(), im.float()
        return torch.complex(re, im)
    return re + 1j * im


def as_reconstruction_map(model: Any, *, input: str | None = None,  # noqa: A002 - public name
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
    input : {"measurements", "adjoint"}, optional
        What the model reads: ``y`` itself, or the zero-filled image ``A^* y``
        (needs ``A``, here or later through ``bind``; the checks bind it).
        Default: the model's own ``model.input`` when it declares one (the
        architectures of :mod:`theorycheck.nets` do), else ``"measurements"``;
        a value that contradicts ``model.input`` raises :class:`InvalidArgument`.
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

    Theorem: none (the map ``Ψ`` of docs/theory.md §3–4).
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
