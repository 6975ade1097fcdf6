"""Operators from other libraries, admitted only after their adjoint has been measured.

:class:`ForeignOperator` wraps

* objects with ``matvec``, ``rmatvec`` and ``shape`` — ``scipy.sparse.linalg.LinearOperator``
  and ``pylops`` operators (``rmatvec`` applies the adjoint ``A^H``; pylops' ``dims`` and
  ``dimsd`` give the signal and measurement shapes);
* objects with methods ``A(x)`` and ``A_adjoint(y)`` acting on torch tensors with a leading
  batch axis — the physics protocol of ``deepinv`` (``deepinv.physics.LinearPhysics``).

Before use, seeded random pairs measure the relative adjointness error
``|⟨Ax, y⟩ − ⟨x, A^*y⟩| / (‖x‖‖A^*y‖ + ‖Ax‖‖y‖)`` and the linearity error
``‖A(ax + z) − aAx − Az‖ / (|a|‖Ax‖ + ‖Az‖)``; an operator for which either exceeds the
tolerance (default ``1e-10``) is refused with :class:`~theorycheck.errors.InvalidArgument`
stating the measured error. The wrapper then behaves like every theorycheck operator:
batches, numpy in → numpy out, torch in → torch out (through the object's own torch code
for the physics protocol, differentiably; through a float64 numpy round trip with an exact
adjoint backward for matvec operators).

Theorem: none (every theorem needs the exact adjoint ``A^*`` of its ``A``).
Rigor: numerical (adjointness and linearity are measured on random pairs, not proven).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from theorycheck.errors import InvalidArgument, TheorycheckError
from theorycheck.numerics.backend import is_torch, lazy_torch
from theorycheck.numerics.validation import integer_arg, real_arg, refuse_size, seed_arg
from theorycheck.problems._operator_base import (
    MAX_VECTOR_ENTRIES,
    LinearOperator,
    batch_shape,
    prod,
    validated_shape,
)

__all__ = ["ForeignOperator", "is_foreign_operator", "DEFAULT_ADJOINT_TOL"]

#: default largest relative adjointness / linearity error accepted from a foreign operator
DEFAULT_ADJOINT_TOL = 1e-10
#: largest number of random pairs of the admission test
MAX_TRIALS = 1000
#: accepted numbers of signal axes
_NDIMS = tuple(range(1, 9))


def _is_matvec(obj: Any) -> bool:
    return all(callable(getattr(obj, name, None)) for name in ("matvec", "rmatvec")) and hasattr(obj, "shape")


def _is_physics(obj: Any) -> bool:
    return callable(getattr(obj, "A", None)) and callable(getattr(obj, "A_adjoint", None))


def is_foreign_operator(obj: Any) -> bool:
    """Whether ``obj`` follows a protocol :class:`ForeignOperator` wraps (matvec/rmatvec or A/A_adjoint).

    Theorem: none.
    Rigor: not applicable.
    """
    return not isinstance(obj, LinearOperator) and (_is_matvec(obj) or _is_physics(obj))


def _refuse_signal(N: int) -> None:
    """Refuse signals too large for the random vectors of the admission test, before drawing one."""
    refuse_size(4.0 * N, MAX_VECTOR_ENTRIES, f"the admission test on signals of {N} entries (vector entries)",
                "use a smaller operator")


def _call_guarded(fn: Callable[[Any], Any], arg: Any, what: str) -> Any:
    """``fn(arg)``; an exception of the wrapped library becomes :class:`InvalidArgument`."""
    try:
        return fn(arg)
    except TheorycheckError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of foreign code is reported, not crashed on
        raise InvalidArgument(f"the wrapped operator's {what} raised {type(exc).__name__}: "
                              f"{str(exc)[:300]}") from exc


class ForeignOperator(LinearOperator):
    """A linear operator of another library (scipy, pylops, deepinv), wrapped after measuring its adjoint.

    Usually built through :func:`~theorycheck.problems.operators.as_operator`.

    Parameters
    ----------
    obj : object
        A ``scipy.sparse.linalg.LinearOperator`` or ``pylops`` operator (``matvec``,
        ``rmatvec``, ``shape``), or an object with ``A(x)`` and ``A_adjoint(y)`` on torch
        tensors of shape ``(B, *shape)`` (deepinv physics). Kept as ``wrapped``; never modified.
    shape : int or tuple of int, optional
        Signal shape without the batch axis: required for the ``A``/``A_adjoint``
        protocol; for matvec operators the default is ``obj.dims`` (pylops) or ``(N,)``.
    adjoint_tol : float
        Largest accepted relative adjointness and linearity error, ``0 < adjoint_tol < 1``.
    trials : int
        Number of seeded random pairs (``1 ≤ trials ≤ 1000``).
    seed : int
        Seed of the pairs.

    Attributes
    ----------
    protocol : str
        ``"matvec"`` or ``"physics"``.
    adjoint_error, linearity_error : float
        The measured relative errors (at most ``adjoint_tol``).

    Theorem: none.
    Rigor: numerical (measured adjoint; refused with :class:`InvalidArgument` beyond
    ``adjoint_tol``).
    """

    def __init__(self, obj: Any, *, shape: Any = None, adjoint_tol: float = DEFAULT_ADJOINT_TOL,
                 trials: int = 3, seed: int = 0):
        self.adjoint_tol = real_arg(adjoint_tol, "adjoint_tol")
        if self.adjoint_tol >= 1.0:  # the relative adjointness error never exceeds 1 (Cauchy–Schwarz)
            raise InvalidArgument(f"adjoint_tol={adjoint_tol!r} would admit any operator (the relative error is "
                                  "at most 1): pass 0 < adjoint_tol < 1, e.g. 1e-10")
        trials = integer_arg(trials, "trials", maximum=MAX_TRIALS)
        rng = seed_arg(seed)  # validated before any call of the wrapped object
        if isinstance(obj, LinearOperator):
            raise InvalidArgument("obj is already a theorycheck LinearOperator: use it directly")
        self.wrapped = obj
        if _is_matvec(obj):
            self.protocol = "matvec"
            self._init_matvec(obj, shape)
        elif _is_physics(obj):
            self.protocol = "physics"
            self._init_physics(shape)
        else:
            raise InvalidArgument(
                f"{type(obj).__name__} is not an operator theorycheck can wrap: pass an object with "
                "matvec/rmatvec/shape (scipy, pylops) or with methods A(x) and A_adjoint(y) (deepinv)")
        self.adjoint_error = self.adjointness_error(trials=trials, seed=rng)
        self.linearity_error = self._linearity_error(trials, rng)
        self._admit()

    # -- construction --------------------------------------------------------------------
    def _init_matvec(self, obj: Any, shape: Any) -> None:
        try:
            m, N = (int(v) for v in obj.shape)
        except Exception:  # noqa: BLE001 - a malformed shape attribute of foreign code
            raise InvalidArgument(f"the wrapped operator's shape {getattr(obj, 'shape', None)!r} is not "
                                  "(m, N)") from None
        if m < 1 or N < 1:
            raise InvalidArgument(f"the wrapped operator has shape {(m, N)}: it needs m, N ≥ 1")
        _refuse_signal(N)
        self.in_shape = self._shape_or(shape, getattr(obj, "dims", None), N, "N")
        self.out_shape = self._shape_or(None, getattr(obj, "dimsd", None), m, "m")
        try:
            declared = np.dtype(getattr(obj, "dtype", None) or "float64")
        except TypeError:
            declared = np.dtype(np.float64)
        self._real = declared.kind != "c"
        self.dtype = np.dtype(np.float64 if self._real else np.complex128)
        self._refuse_vectors("the admission test")
        if self._real:  # a "real" operator that maps real vectors to complex ones is complex
            probe = np.asarray(self._call_numpy(self._probe(self.in_shape), adjoint=False))
            if probe.dtype.kind == "c" and bool(np.any(probe.imag != 0)):
                self._real = False
                self.dtype = np.dtype(np.complex128)

    def _shape_or(self, given: Any, attr: Any, size: int, name: str) -> tuple[int, ...]:
        if given is not None:
            dims = validated_shape(given, ndims=_NDIMS)
            if prod(dims) != size:
                raise InvalidArgument(f"shape={given!r} has {prod(dims)} entries but the wrapped operator "
                                      f"acts on vectors of {name} = {size}")
            return dims
        try:
            dims = validated_shape(tuple(int(v) for v in attr), ndims=_NDIMS)
        except Exception:  # noqa: BLE001 - no (or a useless) dims attribute: flat vectors
            return (size,)
        return dims if prod(dims) == size else (size,)

    def _init_physics(self, shape: Any) -> None:
        torch = lazy_torch()
        if shape is None:
            raise InvalidArgument(f"{type(self.wrapped).__name__} has A/A_adjoint but no known signal shape: "
                                  "pass shape= (without the batch axis, e.g. (1, 64, 64) for images "
                                  "(B, 1, 64, 64))")
        self.in_shape = validated_shape(shape, ndims=_NDIMS)
        _refuse_signal(prod(self.in_shape))
        self._real = True
        x = torch.from_numpy(self._probe(self.in_shape)[None])
        with torch.no_grad():
            out = _call_guarded(self.wrapped.A, x, "A")
        if not is_torch(out) or out.dim() < 2 or int(out.shape[0]) != 1 or out.numel() == 0:
            raise InvalidArgument(f"the wrapped operator's A returned {type(out).__name__} "
                                  f"{tuple(getattr(out, 'shape', ()))} for a tensor of shape {tuple(x.shape)}: "
                                  "it must return a non-empty tensor (B, ...) with the same batch axis")
        self.out_shape = tuple(int(v) for v in out.shape[1:])
        self._real = not out.is_complex()
        self.dtype = np.dtype(np.float64 if self._real else np.complex128)
        self._refuse_vectors("the admission test")

    @staticmethod
    def _probe(shape: tuple[int, ...]) -> np.ndarray:
        return np.random.default_rng(12345).standard_normal(shape)

    def _linearity_error(self, trials: int, rng: np.random.Generator) -> float:
        """``max ‖A(ax + z) − aAx − Az‖ / (|a|‖Ax‖ + ‖Az‖)`` over random pairs (``inf`` on NaN)."""
        worst = 0.0
        for _ in range(trials):
            x, z = rng.standard_normal((2,) + tuple(self.in_shape))
            a: complex = float(rng.standard_normal())
            if self.is_complex:
                x = x + 1j * rng.standard_normal(self.in_shape)
                z = z + 1j * rng.standard_normal(self.in_shape)
                a = complex(a, float(rng.standard_normal()))
            Ax, Az, Ab = (np.asarray(self._apply(v)) for v in (x, z, a * x + z))
            scale = abs(a) * float(np.linalg.norm(Ax)) + float(np.linalg.norm(Az))
            err = float(np.linalg.norm(Ab - a * Ax - Az))
            if not (math.isfinite(err) and math.isfinite(scale)):
                return math.inf
            if scale > 0:
                worst = max(worst, err / scale)
        return worst

    def _admit(self) -> None:
        tol = self.adjoint_tol
        for what, err in (("adjoint", self.adjoint_error), ("linearity", self.linearity_error)):
            if not err <= tol:  # NaN refused too
                raise InvalidArgument(
                    f"{type(self.wrapped).__name__}: the {what} test failed — measured relative error "
                    f"{err:.3e} > adjoint_tol = {tol:.3e}. theorycheck needs a linear A with an exact "
                    f"adjoint: fix the operator's {'adjoint (A_adjoint / rmatvec)' if what == 'adjoint' else 'A'}"
                    ", or pass a larger adjoint_tol if the error is rounding of a lower precision")

    # -- application ---------------------------------------------------------------------
    def _apply(self, x: Any) -> Any:
        return self._run(x, adjoint=False)

    def _adjoint(self, y: Any) -> Any:
        return self._run(y, adjoint=True)

    def _run(self, x: Any, *, adjoint: bool) -> Any:
        core_in, core_out = (self.out_shape, self.in_shape) if adjoint else (self.in_shape, self.out_shape)
        batch = batch_shape(x, len(core_in))
        flat = x.reshape((-1,) + tuple(core_in))
        if is_torch(x):
            if self.protocol == "physics":
                out = self._call_torch(flat, adjoint)
            else:
                out = _numpy_bridge().apply(flat, self, adjoint)
        else:
            out = self._call_numpy(flat, adjoint)
        want = (int(flat.shape[0]),) + tuple(core_out)
        if tuple(out.shape) != want:
            raise InvalidArgument(f"the wrapped operator's {'adjoint' if adjoint else 'A'} returned shape "
                                  f"{tuple(out.shape)} for input {tuple(flat.shape)}: expected {want}")
        return out.reshape(batch + tuple(core_out))

    def _call_numpy(self, flat: np.ndarray, adjoint: bool) -> np.ndarray:
        """The wrapped map on numpy input ``(B, *core)`` (or one signal of shape core), float64/complex128."""
        core = self.out_shape if adjoint else self.in_shape
        single = tuple(flat.shape) == tuple(core)
        X = np.asarray(flat).reshape((-1,) + tuple(core))
        if len(X) == 0:
            out_core = self.in_shape if adjoint else self.out_shape
            cplx = X.dtype.kind == "c" or not self._real
            return np.zeros((0,) + tuple(out_core), dtype=np.complex128 if cplx else np.float64)
        if self._real and X.dtype.kind == "c":  # a real matrix acts on real and imaginary parts
            out = self._call_numpy(X.real.copy(), adjoint) + 1j * self._call_numpy(X.imag.copy(), adjoint)
        elif self.protocol == "matvec":
            out = self._matvec_rows(X, adjoint)
        else:
            out = self._physics_numpy(X, adjoint)
        return out[0] if single else out

    def _matvec_rows(self, X: np.ndarray, adjoint: bool) -> np.ndarray:
        fn = self.wrapped.rmatvec if adjoint else self.wrapped.matvec
        size = prod(self.in_shape if adjoint else self.out_shape)
        data = X.astype(np.float64 if self._real else np.complex128).reshape(X.shape[0], -1)
        rows = []
        for v in data:
            out = np.asarray(_call_guarded(fn, np.ascontiguousarray(v), "rmatvec" if adjoint else "matvec"))
            if out.size != size or out.dtype.kind not in "biufc":
                raise InvalidArgument(f"the wrapped operator's {'rmatvec' if adjoint else 'matvec'} returned "
                                      f"{out.size} entries of dtype {out.dtype}: expected {size} numbers")
            rows.append(out.reshape(-1))
        res = np.stack(rows)
        res = res.astype(np.complex128 if res.dtype.kind == "c" else np.float64)
        return res.reshape((X.shape[0],) + tuple(self.in_shape if adjoint else self.out_shape))

    def _physics_numpy(self, X: np.ndarray, adjoint: bool) -> np.ndarray:
        torch = lazy_torch()
        with torch.no_grad():
            out = self._call_torch(torch.from_numpy(np.array(X, copy=True)), adjoint)
        arr = out.detach().cpu().resolve_conj().numpy()
        return arr.astype(np.complex128 if arr.dtype.kind == "c" else np.float64)

    def _call_torch(self, X: Any, adjoint: bool) -> Any:
        """The physics protocol on a tensor ``(B, *core)``; real operators act on Re and Im separately."""
        torch = lazy_torch()
        if X.shape[0] == 0:
            out_core = self.in_shape if adjoint else self.out_shape
            cplx = X.is_complex() or not self._real
            real = torch.float64 if X.dtype in (torch.float64, torch.complex128) else torch.float32
            dtype = {torch.float64: torch.complex128, torch.float32: torch.complex64}[real] if cplx else real
            return torch.zeros((0,) + tuple(out_core), dtype=dtype, device=X.device)
        if self._real and X.is_complex():
            return torch.complex(self._call_torch(X.real, adjoint), self._call_torch(X.imag, adjoint))
        fn = self.wrapped.A_adjoint if adjoint else self.wrapped.A
        out = _call_guarded(fn, X.clone(), "A_adjoint" if adjoint else "A")  # a clone: never the caller's
        if not is_torch(out):
            raise InvalidArgument(f"the wrapped operator's {'A_adjoint' if adjoint else 'A'} returned a "
                                  f"{type(out).__name__}, expected a torch tensor")
        return out

    def __repr__(self) -> str:
        return (f"ForeignOperator({type(self.wrapped).__name__}, protocol={self.protocol!r}, "
                f"in_shape={self.in_shape}, out_shape={self.out_shape}, "
                f"adjoint_error={self.adjoint_error:.1e})")


_BRIDGE: list[Any] = []


def _numpy_bridge() -> Any:
    """A torch autograd Function applying a matvec operator through numpy (float64), backward = adjoint.

    For a linear ``y = A x`` torch's gradient convention gives ``grad_x = A^H grad_y``
    (its real part when ``x`` is real). The output keeps ``x``'s device and precision.
    """
    if _BRIDGE:
        return _BRIDGE[0]
    torch = lazy_torch()

    def run(op: ForeignOperator, t: Any, adjoint: bool, like: tuple[Any, Any]) -> Any:
        data = t.detach().cpu().resolve_conj().numpy()
        data = data.astype(np.complex128 if data.dtype.kind == "c" else np.float64)
        out = op._call_numpy(data, adjoint)
        double = like[0] in (torch.float64, torch.complex128)
        if out.dtype.kind == "c":
            dtype = torch.complex128 if double else torch.complex64
        else:
            dtype = torch.float64 if double else torch.float32
        return torch.from_numpy(np.ascontiguousarray(out)).to(device=like[1], dtype=dtype)

    function: Any = torch.autograd.Function

    class NumpyBridge(function):
        @staticmethod
        def forward(ctx: Any, x: Any, op: ForeignOperator, adjoint: bool) -> Any:  # type: ignore[override]
            ctx.op, ctx.adjoint, ctx.real_in, ctx.like = op, adjoint, not x.is_complex(), (x.dtype, x.device)
            return run(op, x, adjoint, ctx.like)

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:  # type: ignore[override]
            g = run(ctx.op, grad, not ctx.adjoint, ctx.like)
            if ctx.real_in and g.is_complex():
                g = g.real
            return g.to(ctx.like[0]), None, None

    _BRIDGE.append(NumpyBridge)
    return NumpyBridge
