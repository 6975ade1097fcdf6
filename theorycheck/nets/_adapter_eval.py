"""The float64 evaluation behind certified-float64 network claims, and its rounding-noise estimate.

:class:`Float64Evaluator` is a mixin of :class:`~theorycheck.nets.adapters.ReconstructionMap`:
:meth:`~Float64Evaluator.evaluate_float64` evaluates ``Ψ`` in float64 — on the CPU, or on a
CUDA device when asked and usable there (deterministic cuDNN, no TF32; the CPU otherwise) — each
sample alone and repeatedly (outputs required finite, bit-identical and of full precision), and
:meth:`~Float64Evaluator.rounding_noise` estimates the rounding noise of each output
(:class:`~theorycheck.nets._adapter_common.NoiseEstimate`). The mixin needs from the map only
``_evaluate`` (one or more evaluations of a numpy batch in a session), ``_split`` (the
shape check of measurements), ``operator``, ``image_shape``, ``backend``, ``is_module`` and
``model``.

Theorem: none (rounding model of certified-float64 claims, docs/theory.md §3–4).
Rigor: certified-float64 when an evaluation is ``ok`` with an empty ``reason``; the noise
estimate is numerical (an estimate, not a bound).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np
import torch

from theorycheck.errors import InvalidArgument
from theorycheck.nets._adapter_common import FLOAT64_OUT, NoiseEstimate, measurements_arg, output_rounding_floor
from theorycheck.numerics.backend import device_arg, to_numpy
from theorycheck.numerics.rounding import norm2, round_up
from theorycheck.numerics.validation import bool_arg, integer_arg

__all__ = ["Float64Evaluation", "Float64Evaluator"]

#: relative sizes (of ``‖y‖``) of the probe steps ``±δ``: the first alone (a few ulps), the others
#: with ``±2δ`` and ``±4δ`` as well, each only while ``4‖δ‖`` stays below the witness scale over 8
PROBE_LEVELS = (2.0 ** -50, 2.0 ** -40, 2.0 ** -30, 2.0 ** -20)
PROBE_DIRECTIONS = (2, 1, 1, 1)
PROBE_CAP = 2.0 ** -5
#: refinement of witness segments: cells per round and rounds (a final cell of 4⁻¹⁰ ≈ 10⁻⁶ of the segment)
SEGMENT_POINTS = 4
SEGMENT_ROUNDS = 10
#: unit roundoff of float64 over that of float32: a float32 evaluation's deviation scaled by it
#: estimates the float64 evaluation's rounding error (the same algorithm, errors ∝ u)
PROXY_SCALE = 2.0 ** -29
#: probe points evaluated per model call (bounded memory)
PROBE_BATCH = 32
#: on the CPU, samples with more real entries than this are evaluated one at a time: torch's float64
#: convolutions have no oneDNN path, and its im2col fallback is slower per sample in a batch (measured
#: 2.5x slower per sample for batches of 32 at 2x128x128; equal at 2x8x8), and uses a batch's memory
CPU_CHUNK_ENTRIES = 2 ** 11
#: on a GPU, batches of probe points hold at most this many real input entries (bounded memory: 32
#: probes of a 2 × 256 × 256 complex image)
DEVICE_CHUNK_ENTRIES = 2 ** 22


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
    device : str
        Where the evaluations (and the noise estimate) ran: ``"cpu"`` or ``"cuda"``.
    fallback : str
        Why a requested CUDA evaluation was replaced by the CPU one (empty otherwise).

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
    device: str = "cpu"
    fallback: str = ""

    @property
    def ok(self) -> bool:
        """True when the outputs are finite and identical across evaluations."""
        return self.consistent and self.finite

    @property
    def output(self) -> np.ndarray:
        """The (first) output."""
        return self.outputs[0]


class Float64Evaluator:
    """Mixin: the float64 CPU evaluation of a reconstruction map and its rounding-noise estimate.

    Theorem: none (rounding model of certified-float64 claims).
    Rigor: certified-float64 for a usable :meth:`evaluate_float64`; the noise estimate is numerical.
    """

    if TYPE_CHECKING:  # provided by ReconstructionMap
        backend: str
        is_module: bool
        model: Any
        operator: Any

        @property
        def image_shape(self) -> tuple[int, ...] | None: ...

        def _split(self, shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]: ...

        def _evaluate(self, yb: Any, dtype: Any, device: Any, *, repeats: int = 1, per_sample: bool = False,
                      fresh: bool = False, single: bool = False) -> tuple[list, set]: ...

    def _batch_arg(self, y: Any) -> np.ndarray:
        arr = measurements_arg(y, "y", batch=True)
        if self.operator is not None:
            self._split(arr.shape[1:])
        return arr

    # -- the float64 evaluation -----------------------------------------------------------
    def evaluate_float64(self, y: Any, *, repeats: int = 2, noise: bool = False,
                         noise_scale: Any = None, noise_segments: Any = None,
                         device: Any = None) -> Float64Evaluation:
        """Evaluate ``Ψ`` on a batch ``(B, *A.out_shape)`` ``repeats`` times in float64 (CPU by default).

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

        ``device``: ``None`` or ``"cpu"`` (default), or a CUDA device for a torch
        module: the evaluations and the noise estimate then run there on a fresh
        float64 copy, with cuDNN's deterministic algorithms, no autotuning and TF32
        off (restored afterwards). When they fail, are not bit-identical, not finite
        or of reduced precision, or the noise estimate is not finite, everything is
        evaluated on the CPU instead and ``fallback`` says why; ``device`` of the
        result says where the returned outputs came from. The rounding model is the
        same on both: IEEE binary64 operations whose rounding the noise estimate
        measures (a CUDA evaluation may round differently from the CPU one, e.g.
        with fused multiply–adds; verifiers compare within the noise allowance).

        Theorem: none.
        Rigor: certified-float64 when the returned evaluation is ``ok`` and its ``reason`` empty.
        """
        dev = self._float64_device(device)
        if dev.type == "cpu":
            ev = self._evaluate_float64_on(y, repeats, noise, noise_scale, noise_segments, dev)
            asked = device_arg(device)
            if asked is not None and asked.type == "cuda":  # a function, or numpy: CPU tensors/arrays
                return dataclasses.replace(ev, fallback="Ψ is not a torch module (it is evaluated on CPU "
                                                        "inputs): float64 on the CPU")
            return ev
        try:
            with _cuda_float64():
                ev = self._evaluate_float64_on(y, repeats, noise, noise_scale, noise_segments, dev)
            # on the device every part of the noise estimate must have run: a float32 proxy lost to an
            # error there (e.g. out of memory) would understate the noise, so the CPU decides instead
            lost = noise and ev.noise is not None and not bool(np.all(np.isfinite(ev.noise.proxy)))
            if ev.ok and not ev.reason and not lost:
                return dataclasses.replace(ev, device="cuda")
            why = ev.reason or ("part of the noise estimate failed there: " + "; ".join(ev.noise.notes)
                                if lost else "not usable")
        except Exception as exc:  # noqa: BLE001 - whatever fails on the device, the CPU evaluation decides
            why = str(exc) or type(exc).__name__
        ev = self._evaluate_float64_on(y, repeats, noise, noise_scale, noise_segments, torch.device("cpu"))
        return dataclasses.replace(ev, fallback=f"float64 on {dev} not usable ({why[:300]}): evaluated on the CPU")

    def _float64_device(self, device: Any) -> Any:
        """The device of float64 evaluations: CPU unless ``device`` is CUDA and ``Ψ`` a torch module."""
        dev = device_arg(device)
        if dev is None or dev.type != "cuda" or not (self.backend == "torch" and self.is_module):
            return torch.device("cpu")
        return dev if dev.index is not None else torch.device("cuda", torch.cuda.current_device())

    def _evaluate_float64_on(self, y: Any, repeats: Any, noise: Any, noise_scale: Any, noise_segments: Any,
                             dev: Any) -> Float64Evaluation:
        arr = self._batch_arg(y)
        repeats = integer_arg(repeats, "repeats")
        if repeats > 64:
            raise InvalidArgument(f"repeats={repeats}: at most 64 evaluations of the same input")
        noise = bool_arg(noise, "noise")
        if noise:
            scales_arg(noise_scale, int(arr.shape[0]))
            segment_pairs(noise_segments, int(arr.shape[0]))
        outs, dtypes, precision = self._float64_outputs(arr, repeats, dev)
        low = sorted(d for d in dtypes if d not in FLOAT64_OUT)
        if precision == "float64" and low:
            precision = low[0]
        finite = all(bool(np.all(np.isfinite(o))) for o in outs)
        diff = _largest_difference(outs)
        consistent = all(o.shape == outs[0].shape and np.array_equal(o, outs[0], equal_nan=True)
                         for o in outs[1:])
        reason = self._unusable(finite, consistent, diff, precision, low)
        est = None
        if noise and not reason:
            est = self._rounding_noise_on(arr, outs[0], noise_scale, 0, noise_segments, dev)
            if not bool(np.all(np.isfinite(est.noise))):
                reason = ("Ψ's rounding noise could not be estimated: Ψ returns NaN/inf or non-float64 output "
                          "at inputs a few ulps away from the evaluated ones" + (
                              f" ({'; '.join(est.notes)})" if est.notes else ""))
        return Float64Evaluation(tuple(outs), consistent, finite, diff, precision, reason, est)

    def _float64_outputs(self, arr: np.ndarray, repeats: int, dev: Any) -> tuple[list, set, str]:
        """``repeats`` per-sample evaluations in float64 on ``dev`` (float32 on the CPU for a torch
        function that rejects float64), the raw output dtypes and the precision of the inputs."""
        try:
            outs, dtypes = self._evaluate(arr, torch.float64, dev, repeats=repeats, per_sample=True,
                                          fresh=True)
            return outs, dtypes, "float64"
        except InvalidArgument as exc:
            if self.backend != "torch" or self.is_module:
                raise
            # a torch function closing over a float32 model: evaluate at its own precision (numerical)
            try:
                outs, dtypes = self._evaluate(arr, torch.float32, "cpu", repeats=repeats, per_sample=True,
                                              fresh=True)
            except InvalidArgument:
                raise exc from None
            return outs, dtypes, "float32"

    def _unusable(self, finite: bool, consistent: bool, diff: float, precision: str, low: list) -> str:
        """Why the evaluation cannot back a certificate (empty when it can)."""
        if not finite:
            return "Ψ returned NaN or inf"
        if not consistent:
            hint = ""
            if self.is_module and any(m.training for m in self.model.modules()):
                hint = (" (the model is in training mode: dropout/batch-norm make it random; call "
                        "model.eval() or pass eval_mode=True)")
            return (f"Ψ gave different outputs on two evaluations of the same input "
                    f"(largest difference {diff:.3g}){hint}")
        if precision == "float32" and not low:
            return ("Ψ (a torch function) rejects float64 input and was evaluated in float32: not a "
                    "float64 evaluation, numerical only")
        if precision != "float64":
            return (f"Ψ returned {', '.join(low)} output (reduced precision), not float64/complex128: "
                    "numerical only")
        return ""

    # -- the rounding-noise estimate ------------------------------------------------------
    def rounding_noise(self, y: Any, outputs: Any = None, *, scale: Any = None, seed: int = 0,
                       segments: Any = None, device: Any = None) -> NoiseEstimate:
        """Estimate the rounding noise of ``Ψ``'s float64 evaluation at each sample of ``y``.

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
        search for large changes seeks out) keeps about its full size. ``device``:
        where the float64 evaluations run (CPU by default; a CUDA device for a torch
        module, as in :meth:`evaluate_float64`, without the fallback).

        Theorem: none (rounding model of certified-float64 claims).
        Rigor: numerical (an estimate, not a bound).
        """
        dev = self._float64_device(device)
        if dev.type == "cpu":
            return self._rounding_noise_on(y, outputs, scale, seed, segments, dev)
        try:
            with _cuda_float64():
                return self._rounding_noise_on(y, outputs, scale, seed, segments, dev)
        except InvalidArgument:
            raise
        except Exception as exc:  # noqa: BLE001 - a device failure (no CUDA build, out of memory) named
            raise InvalidArgument(f"the rounding-noise estimate on {dev} failed ({str(exc)[:300]}): estimate it "
                                  "on the CPU (device=None)") from exc

    def _rounding_noise_on(self, y: Any, outputs: Any, scale: Any, seed: Any, segments: Any,
                           dev: Any) -> NoiseEstimate:
        arr = self._batch_arg(y)
        seed = integer_arg(seed, "seed", minimum=0)
        B = int(arr.shape[0])
        scales = scales_arg(scale, B)
        pairs = segment_pairs(segments, B)
        if outputs is None:
            ev = self._evaluate_float64_on(arr, 1, False, None, None, dev)
            if not ev.ok:
                raise InvalidArgument(f"cannot estimate the rounding noise: {ev.reason}")
            outputs = ev.output
        P = measurements_arg(outputs, "outputs", batch=True)
        if P.shape[0] != B or (self.image_shape is not None and P.shape[1:] != tuple(self.image_shape)):
            raise InvalidArgument(f"outputs must hold one image {self.image_shape} per input ({B}), got "
                                  f"shape {P.shape}")
        floor = np.array([output_rounding_floor(P[i]) for i in range(B)])
        notes: list[str] = []
        state: dict = {"device": dev}  # and whether Ψ depends on the batch (checked once)
        probe = self._probe_noise(arr, P, scales, seed, floor, notes, state)
        for i, j in pairs:
            try:
                v = self._segment_noise(arr[i], arr[j], P[i], P[j], notes, floor[i], state)
            except InvalidArgument as exc:
                v = math.inf
                notes.append(f"segment evaluations failed: {exc}")
            probe[i] = max(probe[i], v)
            probe[j] = max(probe[j], v)
        proxy = self._proxy_noise(arr, P, notes, dev)
        noise = np.array([round_up(max(floor[i], probe[i], 0.0 if math.isnan(proxy[i]) else proxy[i]))
                          for i in range(B)])
        return NoiseEstimate(noise, floor, probe, proxy, tuple(notes))

    def _probe_noise(self, arr: np.ndarray, P: np.ndarray, scales: np.ndarray, seed: int, floor: np.ndarray,
                     notes: list, state: dict) -> np.ndarray:
        """The ``probe`` part of :class:`NoiseEstimate`: second differences under random steps."""
        B = int(arr.shape[0])
        probes, owner = probe_points(arr, scales, seed)
        probe = np.zeros(B)
        if not probes:
            return probe
        try:
            out, gap, who = self._batched_eval(np.stack(probes), notes, lambda idx: probe_owner(owner, idx),
                                               floor, state)
            if who is not None:
                probe[who] = max(probe[who], gap)  # batch-order rounding is noise too
            pos = 0
            for i, k in owner:
                n_pts = 2 if k == 0 else 6
                probe[i] = max(probe[i], _second_difference(out[pos:pos + n_pts], P[i], k))
                pos += n_pts
        except InvalidArgument as exc:
            probe[:] = math.inf
            notes.append(f"probe evaluations failed: {exc}")
        return probe

    def _proxy_noise(self, arr: np.ndarray, P: np.ndarray, notes: list, dev: Any) -> np.ndarray:
        """The ``proxy`` part of :class:`NoiseEstimate`: a float32 evaluation's deviation × ``u₆₄/u₃₂``."""
        B = int(arr.shape[0])
        proxy = np.full(B, math.nan)
        try:
            outs32, _ = self._evaluate(arr, torch.float32, dev, per_sample=False, fresh=True, single=True)
            o32 = outs32[0]
            for i in range(B):
                if o32[i].shape == P[i].shape and bool(np.all(np.isfinite(o32[i]))):
                    with np.errstate(over="ignore", invalid="ignore"):
                        v = norm2(o32[i] - P[i])
                    if math.isfinite(v):
                        proxy[i] = v * PROXY_SCALE
            if np.any(np.isnan(proxy)):
                notes.append("the float32 evaluation overflowed or changed shape for some samples")
        except (InvalidArgument, RuntimeError, TypeError, ValueError) as exc:
            notes.append(f"no float32 evaluation ({str(exc)[:120]})")
        return proxy

    def _batched_eval(self, stack: np.ndarray, notes: list, owner_of: Callable[[int], int],
                      floor: np.ndarray, state: dict) -> tuple[np.ndarray, float, int | None]:
        """Outputs of many probe points in batches of :meth:`_probe_chunk` points (up to 32: fewer
        calls; one at a time for large samples, where a CPU batch is slower per point). The first
        time (``state`` is shared by one estimate), one point is also evaluated alone: when the batched
        output differs from it beyond rounding (``Ψ`` depends on the batch), every point is evaluated
        alone from then on. Points evaluated one at a time are what the certified outputs are (no
        batch, nothing to compare). Returns the outputs, the batch-order difference seen and the
        sample it belongs to."""
        dev = state["device"]
        chunk = self._probe_chunk(stack, dev)
        if state.get("alone") or chunk == 1:  # one at a time: nothing depends on the batch
            return self._alone(stack, dev), 0.0, None
        first = "checked" not in state
        last = min(chunk, stack.shape[0]) - 1  # the last of the first batch (the first may be unaffected)
        dts: set = set()
        if first:
            alone, dts = self._evaluate(stack[last:last + 1], torch.float64, dev, per_sample=True, fresh=True)
        parts = []
        for c0 in range(0, stack.shape[0], chunk):  # bounded memory
            o, dt = self._evaluate(stack[c0:c0 + chunk], torch.float64, dev, per_sample=False, fresh=True)
            parts.append(o[0])
            dts |= dt
        if any(d not in FLOAT64_OUT for d in dts):
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
            return self._alone(stack, dev), 0.0, None
        return np.concatenate(parts), gap, who

    def _alone(self, stack: np.ndarray, dev: Any) -> np.ndarray:
        """Float64 outputs on ``dev`` of the points of ``stack``, each evaluated alone (full precision required)."""
        outs, dts = self._evaluate(stack, torch.float64, dev, per_sample=True, fresh=True)
        if any(d not in FLOAT64_OUT for d in dts):
            raise InvalidArgument(f"reduced-precision output {sorted(dts)}")
        return outs[0]

    def _probe_chunk(self, stack: np.ndarray, dev: Any = None) -> int:
        """Probe points per model call: :data:`PROBE_BATCH`, fewer on the CPU (``dev`` None or the CPU)
        for large samples (:data:`CPU_CHUNK_ENTRIES`), down to one at a time."""
        width = 2 if stack.dtype.kind == "c" else 1  # a complex entry is two real ones (channels)
        entries = width * max(_prod(stack.shape[1:]), _prod(self.image_shape or ()))
        limit = CPU_CHUNK_ENTRIES if dev is None or dev.type == "cpu" else DEVICE_CHUNK_ENTRIES
        return max(1, min(PROBE_BATCH, limit // max(1, entries)))

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
            for _ in range(SEGMENT_ROUNDS):
                ts = lo + (hi - lo) * np.arange(1, SEGMENT_POINTS) / SEGMENT_POINTS
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


@contextlib.contextmanager
def _cuda_float64() -> Iterator[None]:
    """cuDNN deterministic, without autotuning, and no TF32 (float32 proxy) for the block; restored after.

    Matrix products go through ``set_float32_matmul_precision`` (the legacy ``matmul.allow_tf32``
    setter does not round-trip a user's ``"medium"`` precision)."""
    cudnn = torch.backends.cudnn
    saved = (cudnn.deterministic, cudnn.benchmark, cudnn.allow_tf32)
    precision = torch.get_float32_matmul_precision()
    cudnn.deterministic, cudnn.benchmark, cudnn.allow_tf32 = True, False, False
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        cudnn.deterministic, cudnn.benchmark, cudnn.allow_tf32 = saved
        torch.set_float32_matmul_precision(precision)


def _prod(shape: Any) -> int:
    return int(math.prod(shape))


def _largest_difference(outs: list) -> float:
    """Largest finite entrywise difference between the first evaluation and the others."""
    diff = 0.0
    for o in outs[1:]:
        if o.shape != outs[0].shape:
            diff = math.inf
        else:
            with np.errstate(invalid="ignore", over="ignore"):
                d = np.abs(o - outs[0])
            d = d[np.isfinite(d)]
            diff = max(diff, float(d.max()) if d.size else 0.0)
    return diff


def probe_points(arr: np.ndarray, scales: np.ndarray, seed: int) -> tuple[list, list]:
    """The probe inputs of every sample and their owners ``(sample, level)``: level 0 gives the two
    points ``y ± δ``, a higher level the six points ``y ± δ, y ± 2δ, y ± 4δ`` (Richardson)."""
    cplx = arr.dtype.kind == "c"
    probes, owner = [], []
    for i in range(arr.shape[0]):
        ny = norm2(arr[i])
        base = ny if ny > 0 else (float(scales[i]) if 0 < scales[i] < math.inf else 1.0)
        rng = np.random.default_rng([int(seed), i])
        sizes = []
        for k, (level, count) in enumerate(zip(PROBE_LEVELS, PROBE_DIRECTIONS)):
            s = level * base
            if k > 0 and not (s <= float(scales[i]) * PROBE_CAP):
                break
            sizes.append((s, count, k))
        sc = float(scales[i])
        if math.isfinite(sc) and sc * PROBE_CAP > sizes[-1][0]:
            # the largest step allowed below the witness: quanta up to scale/8 are crossed
            sizes.append((sc * PROBE_CAP, 1, 1))
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
    return probes, owner


def _second_difference(pts: Any, p: np.ndarray, k: int) -> float:
    """``‖Δ(δ)‖`` at level 0, else ``max(0, 2‖Δ(δ)‖ − ‖Δ(2δ)‖, 2‖Δ(2δ)‖ − ‖Δ(4δ)‖)`` (inf when not finite)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if any(q.shape != p.shape for q in pts):
            return math.inf
        sd = [norm2((pts[2 * t] - p) + (pts[2 * t + 1] - p)) for t in range(len(pts) // 2)]
        v = sd[0] if k == 0 else max(0.0, 2.0 * sd[0] - sd[1], 2.0 * sd[1] - sd[2])
    return v if math.isfinite(v) else math.inf


def segment_pairs(segments: Any, B: int) -> list[tuple[int, int]]:
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


def probe_owner(owner: list, index: int) -> int:
    """The sample that probe point ``index`` belongs to (2 points at level 0, else 6 per entry)."""
    pos = 0
    for i, k in owner:
        pos += 2 if k == 0 else 6
        if index < pos:
            return i
    return owner[-1][0]


def scales_arg(scale: Any, B: int) -> np.ndarray:
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
