"""The torch-free part of the reconstruction-map adapter: conventions, the noise model, records.

What a *verifier* of a saved certificate needs without running a network lives here, so
that checking a file never imports torch: the accepted ``input``/``layout``/``backend``
values, the noise allowance and safety factor of certified-float64 network claims
(:data:`NOISE_ALLOWANCE`, :data:`NOISE_SAFETY`), the output's own rounding
(:func:`output_rounding_floor`), the :class:`NoiseEstimate` record, the validation of a
stored :meth:`~theorycheck.nets.adapters.ReconstructionMap.options` record
(:func:`map_options_problems`), the input convention of a model (:func:`input_for`) and the
exact conversion of measurement arrays (:func:`measurements_arg`).
:mod:`theorycheck.nets.adapters` re-exports the public names.

Theorem: none (rounding model and conventions of the map ``Ψ``, docs/theory.md §3–4).
Rigor: not applicable (conventions); :func:`output_rounding_floor` is exact.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array
from theorycheck.numerics.rounding import norm2, round_up
from theorycheck.numerics.validation import choice_arg

__all__ = ["INPUTS", "LAYOUTS", "BACKENDS", "FLOAT64_OUT", "NOISE_ALLOWANCE", "NOISE_SAFETY",
           "output_rounding_floor", "NoiseEstimate", "map_options_problems", "input_for", "measurements_arg"]

#: What a reconstruction model reads: ``A^* y`` (``"adjoint"``) or ``y`` itself (``"measurements"``).
INPUTS: tuple[str, ...] = ("adjoint", "measurements")
#: Model input layouts of the adapter (see :mod:`theorycheck.nets.adapters`).
LAYOUTS: tuple[str, ...] = ("channels", "plain", "flat")
#: How a model is called: torch tensors or numpy arrays.
BACKENDS: tuple[str, ...] = ("torch", "numpy")
#: Raw output dtypes of a float64 evaluation.
FLOAT64_OUT: tuple[str, ...] = ("float64", "complex128")

#: a certified-float64 claim about ``Ψ`` holds for every evaluation whose outputs lie within
#: ``NOISE_ALLOWANCE`` times the estimated rounding noise of the stored ones (a power of two:
#: scaling by it is exact, so verifiers re-derive the same bits)
NOISE_ALLOWANCE = 16.0
#: a certified change of ``Ψ``'s output must exceed ``NOISE_SAFETY`` times the summed noise
#: estimates of its two outputs (then subtracting the allowance keeps at least half of it)
NOISE_SAFETY = 2.0 * NOISE_ALLOWANCE


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

    Examples
    --------
    >>> map_options_problems({"input": "adjoint", "layout": "channels", "complex_as_channels": None,
    ...                       "backend": "torch", "batched": True, "eval_mode": True, "model": "UNet"})
    []
    """
    if not isinstance(options, dict):
        return ["psi options: not a record"]
    want = {"input", "layout", "complex_as_channels", "backend", "batched", "eval_mode", "model"}
    out = []
    if set(options) != want:
        out.append(f"psi options: fields {sorted(options)}, expected {sorted(want)}")
        return out
    if options["input"] not in INPUTS:
        out.append(f"psi options: input={options['input']!r}")
    if options["layout"] not in LAYOUTS:
        out.append(f"psi options: layout={options['layout']!r}")
    if options["backend"] not in BACKENDS:
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


def input_for(model: Any, input: Any, *, default: str = "adjoint") -> str:  # noqa: A002 - the documented keyword
    """The input convention: ``input`` if given, else the model's ``model.input``, else ``default``.

    A model that declares ``model.input`` (one of :data:`INPUTS`, as the architectures of
    :mod:`theorycheck.nets` do) is only fed that way: an explicit ``input`` that
    contradicts it raises :class:`InvalidArgument`. :func:`~theorycheck.nets.train.train_reconstruction`
    defaults to ``"adjoint"``, :func:`~theorycheck.nets.adapters.as_reconstruction_map`
    to ``"measurements"``.

    Theorem: none (input convention of the reconstruction networks).
    Rigor: not applicable.

    Examples
    --------
    >>> class Net:
    ...     input = "measurements"
    >>> input_for(Net(), None), input_for(object(), None), input_for(object(), None, default="measurements")
    ('measurements', 'adjoint', 'measurements')
    """
    declared = getattr(model, "input", None)
    declared = declared if isinstance(declared, str) and declared in INPUTS else None
    if input is None:
        return declared or choice_arg(default, "default", INPUTS)
    input = choice_arg(input, "input", INPUTS)  # noqa: A001
    if declared is not None and input != declared:
        raise InvalidArgument(
            f"input={input!r} contradicts the model's own input convention model.input={declared!r} "
            f"({type(model).__name__} takes {'A^* y' if declared == 'adjoint' else 'the measurements y'}): "
            f"omit input= or pass input={declared!r}")
    return input


def measurements_arg(y: Any, name: str, batch: bool = False) -> np.ndarray:
    """A float64/complex128 copy of measurements (converted exactly: values float64 cannot hold are
    refused, never rounded); NaN/inf, non-numbers and (``batch``) empty batches refused.

    Theorem: none (input validation).
    Rigor: exact (no rounding of the data).

    Examples
    --------
    >>> measurements_arg([1, 2], "y")
    array([1., 2.])
    """

    if isinstance(y, (bool, np.bool_)):
        raise InvalidArgument(f"{name} must be an array of measurements, got {y!r}")
    arr = as_array(y, name)
    if batch and (arr.ndim == 0 or arr.shape[0] == 0):
        raise InvalidArgument(f"{name} must be a non-empty batch (B, *A.out_shape) of measurements, "
                              f"got shape {arr.shape}")
    if arr.size == 0:
        raise InvalidArgument(f"{name} is empty: pass measurements")
    return arr
