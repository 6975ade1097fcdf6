"""Constants and small helpers shared by the modules of :mod:`theorycheck.classification`.

The search methods, the per-sample statuses, the rounding model of the
certification (unit roundoff and smallest subnormal of each floating dtype, the
allowance factors) and the float64 reading of user inputs.

Theorem: none (infrastructure for docs/theory.md §5).
Rigor: not applicable (constants; :func:`as_float64` converts exactly or refuses).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import is_torch, to_numpy
from theorycheck.numerics.rounding import TINY, U

__all__ = ["METHODS", "SEED_METHODS", "STATUSES", "as_float64", "others", "rowmax_abs"]

#: The search methods of :func:`search_minimal_perturbation`.
METHODS: tuple[str, ...] = ("deepfool", "fast_gradient", "fast_gradient_sign", "random")

#: The seeds' three methods (the default of :func:`robustness_report`).
SEED_METHODS: tuple[str, ...] = ("random", "fast_gradient", "deepfool")

#: Per-sample statuses of a :class:`ClassifierWitness` (see :mod:`theorycheck.classification`).
STATUSES: tuple[str, ...] = (
    "flipped", "already_misclassified", "label_out_of_range", "nan_output", "label_tie",
    "precision_mismatch", "nan_during_search", "zero_gradient", "not_found", "not_certified",
    "nondeterministic", "model_error", "output_not_float64", "not_proven",
)


THEOREM = "docs/theory.md §5 (classification instabilities; seeds 001, 003)"
CHECK = "classifier_perturbation"
#: unit roundoff of each floating dtype a model may evaluate in
UNIT_ROUNDOFF: dict[str, float] = {"float64": U, "float32": 2.0 ** -24, "float16": 2.0 ** -11,
                                   "bfloat16": 2.0 ** -8}
#: smallest positive (subnormal) number of each dtype: the absolute error floor of one operation
TINY_BY_DTYPE: dict[str, float] = {"float64": TINY, "float32": 2.0 ** -149, "float16": 2.0 ** -24,
                                   "bfloat16": 2.0 ** -133}
K_OUT = 16.0       # rounding allowance: τ = 16 (u max|f| + tiny) + 4 δ
K_DELTA = 4.0
AIM = 4.0          # the search aims at a margin of 4 × 16 u max|f|
REPAIR_ROUNDS = 4
REPAIR_MIN = (1e-6, 1e-5, 1e-4, 1e-3)   # smallest relative enlargement per round
REPAIR_MAX = 1e-2                        # largest relative enlargement per round (256 u if larger)
MAX_ITER = 10_000
MAX_OVERSHOOT = 10.0
SEARCH_STATUSES = ("found", "not_found", "zero_gradient", "nan_during_search")
SKIPPED = ("already_misclassified", "label_out_of_range")
STR_DTYPE = "<U24"       # dtype of the per-sample string arrays (statuses, rigors)


def rowmax_abs(L: np.ndarray) -> np.ndarray:
    """``max_j |L_j|`` per row.

    Theorem: none (infrastructure).
    Rigor: exact (a maximum of stored floats).
    """
    return np.max(np.abs(L), axis=-1)


def others(L: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Max and argmax over ``j ≠ k`` per row.

    Theorem: none (infrastructure).
    Rigor: exact (a maximum of stored floats).
    """
    rows = np.arange(L.shape[0])
    O = L.copy()
    O[rows, k] = -np.inf
    return O.max(axis=1), O.argmax(axis=1)


def as_float64(x: Any, name: str) -> np.ndarray:
    """A float64 copy of real numeric data, refusing what float64 cannot hold exactly.

    Theorem: none (infrastructure).
    Rigor: exact (no rounding: what float64 cannot hold is refused).
    """
    if x is None:
        raise InvalidArgument(f"{name} is None: pass an array or tensor")
    if isinstance(x, (str, bytes)):
        raise InvalidArgument(f"{name} is a string: pass an array of numbers")
    try:
        arr = to_numpy(x) if is_torch(x) else np.asarray(x)
    except InvalidArgument:
        raise
    except Exception as exc:
        raise InvalidArgument(f"{name} could not be read as an array: {exc}") from exc
    if arr.dtype.kind == "c":
        raise InvalidArgument(f"{name} is complex: classifiers take real inputs")
    if arr.dtype.kind not in "biuf":
        raise InvalidArgument(f"{name} has non-numeric entries (dtype {arr.dtype}): pass numbers")
    if arr.ndim == 0:
        raise InvalidArgument(f"{name} is a scalar: pass the model's input (an array)")
    if arr.size == 0:
        raise InvalidArgument(f"{name} is empty (shape {arr.shape}): pass at least one sample")
    if arr.dtype.kind in "iu" and arr.dtype.itemsize > 4:
        big = np.abs(arr.astype(object)).max() if arr.dtype.kind == "i" else int(arr.max())
        if int(big) > 2 ** 53:
            raise InvalidArgument(f"{name} holds integers beyond 2^53 that float64 cannot represent "
                                  "exactly: scale them or pass floats")
    out = np.array(arr, dtype=np.float64, copy=True)
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
        with np.errstate(all="ignore"):
            exact = np.array_equal(out.astype(arr.dtype), arr, equal_nan=True)
        if not exact:
            raise InvalidArgument(f"{name} has {arr.dtype} entries that float64 cannot represent "
                                  "exactly: round them to float64 first")
    return out
