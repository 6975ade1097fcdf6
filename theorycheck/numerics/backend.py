"""Backend policy: numpy or torch, lazy torch import, devices, input validation.

torch is imported only when a caller hands us a tensor or asks for a torch
feature, so ``import theorycheck`` stays light.

Theorem: none (infrastructure).
Rigor: not applicable.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
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
    "device_arg",
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
    """Return a numpy view/copy of an array, tensor or scalar (detached, on CPU), without rounding.

    torch tensors are detached (``requires_grad`` is fine) and moved to the CPU;
    dtypes numpy lacks are widened exactly (bfloat16 and the float8 formats →
    float32, complex32 → complex64). Quantized or otherwise unconvertible tensors
    raise :class:`InvalidArgument`.

    Theorem: none (infrastructure).
    Rigor: exact (no value changes).
    """
    if is_torch(x):
        return _tensor_to_numpy(x)
    return np.asarray(x)


def _tensor_to_numpy(x: Any) -> np.ndarray:
    torch = lazy_torch()
    t = x.detach()
    if t.is_quantized or t.layout != torch.strided:
        what = "quantized" if t.is_quantized else f"{t.layout}"
        raise InvalidArgument(f"cannot read a {what} tensor as an array: pass a dense tensor "
                              "(e.g. t.dequantize() or t.to_dense())")
    if t.device.type != "cpu":
        try:
            t = t.to("cpu")
        except (RuntimeError, NotImplementedError) as exc:
            raise InvalidArgument(f"cannot copy a tensor from device {t.device} to the CPU: {exc}") from None
    if t.is_complex():
        if t.dtype not in (torch.complex64, torch.complex128):
            t = t.to(torch.complex64)  # complex32 → complex64: exact widening
    elif t.is_floating_point():
        if t.dtype not in (torch.float16, torch.float32, torch.float64):
            t = t.to(torch.float32)  # bfloat16 / float8: every value is a float32 value
    t = t.resolve_conj().resolve_neg()
    try:
        return t.numpy()
    except (TypeError, RuntimeError) as exc:
        raise InvalidArgument(f"cannot read a tensor of dtype {t.dtype} as an array: {exc}") from None


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
    allow_rounding: bool = False,
) -> np.ndarray:
    """Convert ``x`` to a float64 or complex128 numpy array and validate it, never rounding silently.

    Parameters
    ----------
    x : array_like
        The input (numpy array of any numeric dtype, list, scalar, Fraction,
        mpmath/sympy numbers, or a torch tensor of any dtype, also with
        ``requires_grad`` or on another device: it is detached and copied to the CPU).
    name : str
        Name used in error messages.
    ndim : int or tuple of int, optional
        Accepted numbers of dimensions.
    allow_complex : bool
        Whether complex input is accepted.
    finite : bool
        Whether NaN/inf are rejected.
    allow_rounding : bool
        Keyword only. By default an input whose value float64/complex128 cannot
        hold exactly (int64 beyond 2^53 that are not representable, long double
        with extra bits, a Fraction like 1/3, an mpmath number with more than 53
        bits, an irrational sympy number) raises :class:`InvalidArgument`;
        ``allow_rounding=True`` rounds it to the nearest float64 instead.

    Returns
    -------
    numpy.ndarray
        A new array (never a view of the caller's data) of dtype float64 or
        complex128.

    Raises
    ------
    InvalidArgument
        For ``None``, strings and other non-numbers, inexact conversions (see
        ``allow_rounding``), complex input when ``allow_complex=False``, wrong
        dimensions, NaN/inf when ``finite=True``.

    Theorem: none (infrastructure).
    Rigor: exact conversion (or explicit rounding with ``allow_rounding=True``).
    """
    if x is None:
        raise InvalidArgument(f"{name} is None: pass an array")
    if isinstance(x, (str, bytes)):
        raise InvalidArgument(f"{name} is a string ({x[:20]!r}): pass numbers")
    try:
        arr = to_numpy(x)
    except InvalidArgument as exc:
        raise InvalidArgument(f"{name}: {exc}") from None
    except Exception as exc:  # e.g. ragged lists
        raise InvalidArgument(f"{name} could not be read as an array: {exc}") from exc
    kind = arr.dtype.kind
    if kind == "O":
        arr = _objects_to_float(arr, name, allow_rounding)
    elif kind not in "biufc":
        raise InvalidArgument(f"{name} has non-numeric entries (dtype {arr.dtype}): pass numbers")
    elif not allow_rounding:
        _check_exact_dtype(arr, name)
    if arr.dtype.kind == "c":
        if not allow_complex:
            raise InvalidArgument(f"{name} is complex but this function needs real input: "
                                  "pass real values (e.g. x.real if the imaginary part is meant to be 0)")
        with np.errstate(over="ignore", invalid="ignore"):
            arr = np.array(arr, dtype=np.complex128, copy=True)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
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


_ROUNDING_HINT = ("round it yourself if the rounded values are what you mean (e.g. "
                  "np.asarray(x, dtype=float)), or pass float64-representable values")


def _inexact(name: str, where: Any, value: Any, why: str = "") -> InvalidArgument:
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return InvalidArgument(
        f"{name} has entries that float64 cannot hold exactly (entry {where}: {text}{why}): "
        f"{_ROUNDING_HINT}")


def _check_exact_dtype(arr: np.ndarray, name: str) -> None:
    """Raise unless every entry of a numeric array converts to float64/complex128 exactly."""
    dt = arr.dtype
    if dt.kind == "b" or dt.itemsize <= 4 and dt.kind in "iu":
        return
    if dt.kind in "iu":  # 64-bit integers: exact up to 2^53, beyond only if the low bits vanish
        big = (arr > 2 ** 53) | ((arr < -(2 ** 53)) if dt.kind == "i" else False)
        if np.any(big):
            idx = np.argwhere(big)
            for i in idx:
                v = int(arr[tuple(i)])
                if int(float(v)) != v:
                    raise _inexact(name, tuple(int(k) for k in i), v, f" is not a float64 value, "
                                   f"the nearest is {float(v)!r}")
        return
    if dt.kind == "f" and dt.itemsize <= 8 or dt.kind == "c" and dt.itemsize <= 16:
        return
    # long double (or wider complex): every entry must survive a round trip through binary64
    parts = (arr.real, arr.imag) if dt.kind == "c" else (arr,)
    for part in parts:
        with np.errstate(over="ignore", invalid="ignore"):
            back = part.astype(np.float64).astype(part.dtype)
        same = (back == part) | (np.isnan(part) & np.isnan(back))
        if not np.all(same):
            where = tuple(int(k) for k in np.argwhere(~same)[0])
            raise _inexact(name, where, arr[where], f" of dtype {dt}")


def _objects_to_float(arr: np.ndarray, name: str, allow_rounding: bool) -> np.ndarray:
    """Entries of an object array (Python ints, Fractions, mpmath, sympy, ...) → float64/complex128."""
    flat = arr.ravel()
    out = []
    cplx = False
    for i, v in enumerate(flat):
        z = _object_entry(v, name, np.unravel_index(i, arr.shape) if arr.ndim else (), allow_rounding)
        cplx = cplx or isinstance(z, complex)
        out.append(z)
    res = np.array(out, dtype=np.complex128 if cplx else np.float64)
    return res.reshape(arr.shape)


def _object_entry(v: Any, name: str, where: Any, allow_rounding: bool) -> float | complex:

    where = tuple(int(k) for k in where)
    if is_torch(v):
        a = to_numpy(v)
        if a.ndim:
            raise InvalidArgument(f"{name} entry {where} is a tensor of shape {tuple(a.shape)}: "
                                  "pass a rectangular array")
        v = a[()]
    if isinstance(v, (str, bytes)) or v is None:
        raise InvalidArgument(f"{name} has non-numeric entries (entry {where}: {v!r}): pass numbers")
    if isinstance(v, (bool, np.bool_)):
        return float(v)
    if isinstance(v, np.generic):
        a = np.asarray(v)
        if a.dtype.kind not in "biufc":
            raise InvalidArgument(f"{name} has non-numeric entries (entry {where}: {v!r}): pass numbers")
        if not allow_rounding:
            _check_exact_dtype(a.reshape(1), name)
        return complex(a[()]) if a.dtype.kind == "c" else float(a[()])
    if isinstance(v, float):
        return v
    if isinstance(v, complex):
        return v
    tname = type(v).__name__
    if tname in ("mpc", "acb") or _is_sympy_complex(v):
        re_, im_ = (v.real, v.imag) if tname in ("mpc", "acb") else v.as_real_imag()
        if _is_sympy_complex(re_) or _is_sympy_complex(im_):
            raise InvalidArgument(f"{name} entry {where} ({str(v)[:40]}) has no real and imaginary parts "
                                  "that can be evaluated: pass numbers")
        return complex(_object_entry(re_, name, where, allow_rounding),
                       _object_entry(im_, name, where, allow_rounding))
    exact = _rational_value(v)
    if exact is not None:
        f, is_exact = exact
        if f is None:
            raise _inexact(name, where, v, " is beyond the float64 range")
        if not is_exact and not allow_rounding:
            raise _inexact(name, where, v, f"; the nearest float64 is {f!r}")
        return f
    # irrational or unknown numbers (sympy sqrt(2), arb balls, ...): only with allow_rounding
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidArgument(f"{name} has non-numeric entries (entry {where}: "
                              f"{type(v).__name__}): pass numbers ({exc})") from None
    if not math.isfinite(f):
        return f  # NaN / inf: the caller's finiteness check decides
    if not allow_rounding:
        raise _inexact(name, where, v, " is not a rational number that float64 holds")
    return f


def _is_sympy_complex(v: Any) -> bool:
    mod = type(v).__module__ or ""
    # extended-real: oo and -oo are not complex (their finiteness is checked later)
    return (mod.startswith("sympy") and getattr(v, "is_number", False)
            and getattr(v, "is_extended_real", None) is False)


def _rational_value(v: Any) -> tuple[float | None, bool] | None:
    """``(nearest float64, whether it is exact)`` for a rational-valued number; None if not one.

    The float is None when the value is beyond the float64 range.
    """
    import numbers
    from fractions import Fraction

    tname = type(v).__name__
    mod = type(v).__module__ or ""
    if tname == "mpf" or (mod.startswith("sympy") and getattr(v, "is_Float", False)):
        import mpmath

        m = mpmath.mpf(v._mpf_) if tname != "mpf" else v
        if not mpmath.isfinite(m):
            return None  # inf / nan: handled by the caller's finiteness check
        f = float(m)  # correctly rounded
        if math.isinf(f):
            return None, False
        return f, bool(mpmath.mpf(f) == m)
    q = None
    if isinstance(v, Fraction):
        q = v
    elif isinstance(v, numbers.Integral):
        q = Fraction(int(v))
    elif tname == "Decimal":
        if not v.is_finite():
            return None
        q = Fraction(v)
    elif tname in ("fmpq", "fmpz"):
        q = Fraction(int(v.p), int(v.q)) if tname == "fmpq" else Fraction(int(v))
    elif mod.startswith("sympy") and getattr(v, "is_Rational", False):
        q = Fraction(int(v.p), int(v.q))
    if q is None:
        return None
    try:
        f = float(q)  # correctly rounded
    except OverflowError:
        return None, False
    return f, Fraction(f) == q


def device_arg(device: Any) -> Any:
    """``None``, or a ``torch.device`` that exists on this machine (else :class:`InvalidArgument`).

    Accepts ``"cpu"``, ``"cuda"``/``"cuda:N"`` when CUDA is available (and ``N``
    is a present device), ``"mps"`` when available, or a ``torch.device``;
    refuses ``"meta"``, unknown types and anything else with a message saying
    what to pass.

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> device_arg(None) is None
    True
    """
    if device is None:
        return None
    torch = lazy_torch()
    if not isinstance(device, (str, torch.device)):
        raise InvalidArgument(f"device must be 'cpu', 'cuda' or a torch.device, got {device!r}")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError, OverflowError) as exc:
        raise InvalidArgument(f"unknown device {device!r}: use 'cpu' or 'cuda'") from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidArgument(f"device {device!r}: CUDA is not available here; use 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InvalidArgument(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s) here")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise InvalidArgument(f"device {device!r}: MPS is not available here; use 'cpu'")
    elif dev.type != "cpu":
        raise InvalidArgument(f"device {device!r}: theorycheck runs on 'cpu', 'cuda' or 'mps'")
    return dev


def resolve_device(device: Any = None) -> Any:
    """Return a ``torch.device``: the given one (validated by :func:`device_arg`), else CUDA when present, else CPU.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    dev = device_arg(device)
    if dev is not None:
        return dev
    torch = lazy_torch()
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
