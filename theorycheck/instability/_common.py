"""Shared helpers of :mod:`theorycheck.instability`: arguments, rigorous norms, formatting.

* argument readers: :func:`operator_arg`, :func:`images_arg`, :func:`seed_int` (a seed that
  can be stored in a witness), :func:`psi_map` (the network as a bound
  :class:`~theorycheck.nets.adapters.ReconstructionMap`);
* norms and outward-rounded arithmetic on enclosures: :func:`dist` (the float64 distance and
  an enclosure of the exact one), :func:`add_up`, :func:`sub_down`, :func:`div_down`,
  :func:`div_up`, :func:`widen` (an enclosure widened by ``Ψ``'s noise allowance) and
  :func:`enclosure_below` (the one three-way decision of an enclosed value against a bound);
  :func:`row_norms` for numerical (not claimed) per-sample norms;
* :func:`theorem_bound_value` (the theorem's ``(‖x − x′‖ − 2η)/ε``, rounded down),
  :func:`psi_text` and :func:`fmt` for messages.

Every derived float is a deterministic function of the stored floats (the verifiers
re-derive them bit for bit): norms through :func:`theorycheck.numerics.rounding.norm2`.

Theorem: infrastructure for docs/theory.md §3–4.
Rigor: the enclosures are proven (outward rounding); :func:`row_norms` is numerical.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Mapping

import numpy as np

from theorycheck.errors import InvalidArgument, TheorycheckError
from theorycheck.numerics.backend import as_array
from theorycheck.numerics.rounding import U, norm2, norm2_bounds, round_down, round_up
from theorycheck.problems.operators import LinearOperator, as_operator

#: the theorem every instability certificate names
THEOREM = "universal instability theorem (docs/theory.md §3)"


# -- arguments -------------------------------------------------------------------------------

def operator_arg(A: Any) -> Any:
    """``A`` as a :class:`~theorycheck.problems.operators.LinearOperator` (refused with the reason otherwise)."""
    if A is None:
        raise InvalidArgument("A is None: pass the sampling operator (a matrix or LinearOperator)")
    if isinstance(A, (str, bytes, bool)) or (not isinstance(A, LinearOperator) and not hasattr(A, "__len__")
                                              and not hasattr(A, "__array__") and not hasattr(A, "shape")):
        raise InvalidArgument(f"A must be a matrix or a LinearOperator, got {type(A).__name__}")
    try:
        return as_operator(A)
    except TheorycheckError:
        raise
    except Exception as exc:  # noqa: BLE001 - anything as_operator cannot read
        raise InvalidArgument(f"A could not be read as an operator: {exc}") from exc


def images_arg(x: Any, A: Any, name: str, *, batch: bool = False) -> np.ndarray:
    """``x`` as a float64/complex128 array of shape ``A.in_shape`` (or a batch of them)."""
    arr = as_array(x, name)
    core = tuple(A.in_shape)
    if arr.shape == core:
        return arr
    if batch and arr.ndim == len(core) + 1 and arr.shape[1:] == core and arr.shape[0] >= 1:
        return arr
    hint = f": reshape it to {core}" if arr.size == math.prod(core) else ""
    want = f"{core}" + (f" or (batch, {', '.join(map(str, core))})" if batch else "")
    raise InvalidArgument(f"{name} has shape {arr.shape} but A's images have shape {want}{hint}")


def seed_int(seed: Any, name: str = "seed") -> int:
    """A storable seed: a non-negative int as given; None → fresh entropy; a Generator → a draw."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2 ** 62))
    if seed is None:
        return int(np.random.default_rng().integers(2 ** 62))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise InvalidArgument(f"{name} must be None, a non-negative int or a numpy.random.Generator, "
                              f"got {seed!r} ({type(seed).__name__})")
    if int(seed) < 0:
        raise InvalidArgument(f"{name} must be non-negative, got {int(seed)}")
    return int(seed)


def psi_map(psi: Any, A: Any) -> Any:
    """The network as a :class:`~theorycheck.nets.adapters.ReconstructionMap` bound to ``A``."""
    from theorycheck.nets.adapters import as_reconstruction_map  # torch

    if psi is None:
        raise InvalidArgument("psi is None: pass the reconstruction map (a torch module or a callable)")
    return as_reconstruction_map(psi).bind(A)


# -- norms and enclosures ----------------------------------------------------------------------

def row_norms(v: np.ndarray, batch: bool = True) -> np.ndarray:
    """Euclidean norms over all but the first axis (float64, scaled: no overflow; numerical use)."""
    v = np.asarray(v)
    flat = np.abs(v.reshape(v.shape[0], -1) if batch else v.reshape(1, -1))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        top = flat.max(axis=1) if flat.shape[1] else np.zeros(flat.shape[0])
        safe = np.where((top > 0) & np.isfinite(top), top, 1.0)
        out = np.sqrt(np.sum((flat / safe[:, None]) ** 2, axis=1)) * safe
        out = np.where(np.isfinite(top), np.where(top > 0, out, 0.0), top)
    return out


def random_directions(rng: np.random.Generator, count: int, shape: tuple, cplx: bool) -> np.ndarray:
    """``count`` unit vectors uniformly distributed on the sphere of ``R^shape`` (``C^shape``)."""
    u = rng.standard_normal((count,) + shape)
    if cplx:
        u = u + 1j * rng.standard_normal((count,) + shape)
    n = row_norms(u).reshape((count,) + (1,) * len(shape))
    return u / n


def dist(a: Any, b: Any) -> tuple[float, float, float]:
    """``(value, lo, hi)``: the float64 norm of ``a − b`` and an enclosure of the exact ``‖a − b‖``.

    ``a − b`` is computed in float64 (each entry with relative error ≤ u; exact when
    subnormal), so the exact distance lies within ``[‖d‖/(1 + u), ‖d‖/(1 − u)]``.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        d = np.asarray(a) - np.asarray(b)
    value = norm2(d)
    lo, hi = norm2_bounds(d)
    if not (math.isfinite(value) and math.isfinite(hi)):
        return value, (0.0 if math.isnan(lo) else lo), math.inf
    return value, max(0.0, round_down(lo * (1.0 - 2 * U))), round_up(hi * (1.0 + 2 * U))


def add_up(*terms: float) -> float:
    """A float ≥ the exact sum of the (non-negative) terms."""
    s = 0.0
    for t in terms:
        s = round_up(s + float(t)) if math.isfinite(s + float(t)) else math.inf
    return s


def sub_down(a: float, b: float) -> float:
    """A float ≤ ``a − b`` (exact difference of the floats)."""
    v = float(a) - float(b)
    return round_down(v) if math.isfinite(v) else v


def div_down(a: float, b: float) -> float:
    """A float ≤ ``a / b`` (exact quotient of the floats; zero stays zero)."""
    v = float(a) / float(b)
    return round_down(v) if math.isfinite(v) and v != 0.0 else v


def div_up(a: float, b: float) -> float:
    """A float ≥ ``a / b`` (exact quotient of the floats)."""
    v = float(a) / float(b)
    return round_up(v) if math.isfinite(v) else v


def widen(lo: float, hi: float, allowance: float) -> tuple[float, float]:
    """An enclosure widened by an allowance (rounded outward; lower end clipped at 0)."""
    return max(0.0, sub_down(lo, allowance)), add_up(hi, allowance)


def enclosure_below(lo: float, hi: float, bound: float, *, strict: bool) -> bool | None:
    """Is the exact value enclosed in ``[lo, hi]`` below ``bound`` (``<`` when ``strict``, else ``≤``)?

    True or False when the whole enclosure decides it, None (undecided) when ``bound``
    lies inside it. ``not`` of the answer decides the opposite inequality (``≥``, ``>``).
    Unlike :func:`theorycheck.numerics.rounding.decide` (a margin against a rounding
    tolerance) this compares the ends of a rigorous enclosure, with the theorem's own
    strictness.
    """
    if strict:
        return True if hi < bound else (False if lo >= bound else None)
    return True if hi <= bound else (False if lo > bound else None)


def negated(decision: bool | None) -> bool | None:
    """The opposite inequality's decision (None stays None)."""
    return None if decision is None else not decision


def theorem_bound_value(D_lo: float, eta: float, eps: float) -> float:
    """``(‖x − x′‖ − 2η)/ε`` rounded down, from a lower bound ``D_lo`` on ``‖x − x′‖``."""
    num = sub_down(float(D_lo), 2.0 * float(eta))  # 2η: exact doubling
    return div_down(num, float(eps))


# -- messages --------------------------------------------------------------------------------

def fmt(v: float, digits: int = 6) -> str:
    """``v`` with ``digits`` significant digits (messages)."""
    return format(float(v), f".{digits}g")


def psi_text(opts: Mapping[str, Any]) -> str:
    """How ``Ψ`` was evaluated, from its stored adapter options (messages and values)."""
    return (f"{opts.get('model')} (input={opts.get('input')!r}, layout={opts.get('layout')!r}, "
            f"complex_as_channels={opts.get('complex_as_channels')!r}, backend={opts.get('backend')!r}, "
            f"batched={opts.get('batched')!r}, eval_mode={opts.get('eval_mode')!r}) evaluated in float64 "
            "on the CPU, each sample alone")
