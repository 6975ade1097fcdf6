"""Backend policy: numpy or torch, lazy torch import, devices, input validation.

torch is imported only when a caller hands us a tensor or asks for a torch
feature, so ``import theorycheck`` stays light.

Theorem: none (infrastructure).
Rigor: not applicable.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import numpy as np

from theorycheck.errors import InvalidArgument

__all__ = [
    "torch_available",
    "lazy_torch",
    "is_torch",
    "is_complex",
    "to_numpy",
    "as_array",
    "check_finite",
    "resolve_device",
]


def torch_available() -> bool:
    """Return whether torch can be imported (without importing it).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    return "torch" in sys.modules or importlib.util.find_spec("torch") is not None


def lazy_torch() -> Any:
    """Import and return the ``torch`` module, with a clear error if missing.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    try:
        return importlib.import_module("torch")
    except ImportError as exc:  # pragma: no cover - torch is a dependency
        raise InvalidArgument(
            "this feature needs PyTorch: install it with `pip install torch`"
        ) from exc


def is_torch(x: Any) -> bool:
    """Return whether ``x`` is a torch tensor (never imports torch).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def is_complex(x: Any) -> bool:
    """Return whether ``x`` (array or tensor) has a complex dtype.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    if is_torch(x):
        return bool(x.is_complex())
    return bool(np.iscomplexobj(x))


def to_numpy(x: Any) -> np.ndarray:
    """Return a numpy view/copy of an array, tensor or scalar (detached, on CPU).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    if is_torch(x):
        return x.detach().cpu().resolve_conj().numpy()
    return np.asarray(x)


def check_finite(x: Any, name: str) -> None:
    """Raise :class:`InvalidArgument` if ``x`` holds NaN or inf.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    if is_torch(x):
        torch = lazy_torch()
        ok = bool(torch.isfinite(x.detach()).all())
    else:
        arr = np.asarray(x)
        if arr.dtype == object:
            return
        ok = bool(np.all(np.isfinite(arr)))
    if not ok:
        raise InvalidArgument(f"{name} contains NaN or inf: pass finite values")


def as_array(
    x: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    allow_complex: bool = True,
    finite: bool = True,
) -> np.ndarray:
    """Convert ``x`` to a float64 or complex128 numpy array and validate it.

    Parameters
    ----------
    x : array_like
        The input (numpy array, list, scalar, or torch tensor).
    name : str
        Name used in error messages.
    ndim : int or tuple of int, optional
        Accepted numbers of dimensions.
    allow_complex : bool
        Whether complex input is accepted.
    finite : bool
        Whether NaN/inf are rejected.

    Returns
    -------
    numpy.ndarray
        A new array (never a view of the caller's data) of dtype float64 or
        complex128.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    if x is None:
        raise InvalidArgument(f"{name} is None: pass an array")
    try:
        arr = to_numpy(x)
    except Exception as exc:  # e.g. ragged lists
        raise InvalidArgument(f"{name} could not be read as an array: {exc}") from exc
    if arr.dtype == object or arr.dtype.kind not in "biufc":
        try:
            arr = arr.astype(np.complex128) if any(
                isinstance(v, complex) for v in arr.ravel()
            ) else arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidArgument(
                f"{name} has non-numeric entries (dtype {arr.dtype}): pass numbers"
            ) from exc
    if arr.dtype.kind == "c":
        if not allow_complex:
            raise InvalidArgument(f"{name} is complex but this function needs real input")
        arr = np.array(arr, dtype=np.complex128, copy=True)
    else:
        arr = np.array(arr, dtype=np.float64, copy=True)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise InvalidArgument(
                f"{name} must have {' or '.join(map(str, allowed))} dimension(s), "
                f"got shape {arr.shape}"
            )
    if finite:
        check_finite(arr, name)
    return arr


def resolve_device(device: Any = None) -> Any:
    """Return a ``torch.device``: the given one, else CUDA when present, else CPU.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    torch = lazy_torch()
    if device is not None:
        try:
            return torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise InvalidArgument(f"unknown device {device!r}: use 'cpu' or 'cuda'") from exc
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
