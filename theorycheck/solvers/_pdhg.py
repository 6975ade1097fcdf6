"""The Chambolle–Pock engine shared by the primal–dual and the restarted solvers.

Both solvers iterate on the saddle problem ``min_x max_ξ Re⟨Kx, ξ⟩ + g(x) − f^*(ξ)``
(see :mod:`theorycheck.solvers.primal_dual` for the forms, the proxes and the
stopping measures). This module holds what they share: the array primitives
for numpy and torch (:class:`NumpyOps`, :class:`TorchOps`), the program read
once (:class:`Spec`), one step and the measures (:class:`Engine`), argument
handling (step sizes, backend, dtype, data and initial point) and the
program's own certificates on the answer.

Theorem: Chambolle–Pock convergence (``τσ‖K‖² < 1``); weak duality (docs/theory.md §1).
Rigor: numerical.
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from typing import Any, cast

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array, check_finite, is_torch, lazy_torch, resolve_device, to_numpy
from theorycheck.numerics.validation import real_arg
from theorycheck.problems.operators import LinearOperator
from theorycheck.problems.programs import ACTIVE_TOL, QCBP, Program, program_kind
from theorycheck.problems.tv import FiniteDifference, tv_weights
from theorycheck.solvers._arrays import (
    is_synthesis,
    isotropic_mode,
    program_objective,
    ray_dual_value,
    validated_data,
)

__all__ = ["DIVISION_FLOOR", "NumpyOps", "TorchOps", "Spec", "Engine", "abs2", "batched_norm", "re_inner",
           "absolute", "operator_norm_bound", "build_spec", "default_step_sizes", "backend_arg", "torch_dtype",
           "prepare", "certificates", "finish", "program_gap"]

#: floor of the denominators of the relative measures (keeps ``1/den`` finite, unlike a subnormal floor)
DIVISION_FLOOR = 1e-300
_NORM_CACHE: "weakref.WeakKeyDictionary[LinearOperator, float]" = weakref.WeakKeyDictionary()


# -- array backends -----------------------------------------------------------------------
class NumpyOps:
    """The few array primitives the iterations need, for numpy.

    Theorem: none (array backend of the Chambolle–Pock iterations).
    Rigor: not applicable.
    """

    is_torch = False

    def __init__(self, complex_: bool):
        self.dtype = np.complex128 if complex_ else np.float64
        self.rdtype = np.float64

    def array(self, a: Any, real: bool = False) -> np.ndarray:
        return np.array(a, dtype=self.rdtype if real else self.dtype)

    def zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(shape, dtype=self.dtype)

    @staticmethod
    def sumk(x: Any, k: int) -> Any:
        return np.sum(x, axis=tuple(range(-k, 0)))

    @staticmethod
    def maxk(x: Any, k: int) -> Any:
        return np.max(x, axis=tuple(range(-k, 0)))

    @staticmethod
    def expand(v: Any, k: int) -> Any:
        return np.asarray(v)[(...,) + (None,) * k]

    @staticmethod
    def safe(x: Any) -> Any:
        return np.where(x > 0, x, 1.0)

    @staticmethod
    def relu(x: Any) -> Any:
        return np.maximum(x, 0.0)

    @staticmethod
    def sqrt(x: Any) -> Any:
        return np.sqrt(x)

    @staticmethod
    def minimum(a: Any, b: Any) -> Any:
        return np.minimum(a, b)

    @staticmethod
    def maximum(a: Any, b: Any) -> Any:
        return np.maximum(a, b)

    @staticmethod
    def where(c: Any, a: Any, b: Any) -> Any:
        return np.where(c, a, b)

    @staticmethod
    def to_float(v: Any) -> float:
        return float(np.max(v))


class TorchOps:
    """The same primitives for torch tensors on one device and precision.

    Theorem: none (array backend of the Chambolle–Pock iterations).
    Rigor: not applicable.
    """

    is_torch = True

    def __init__(self, complex_: bool, device: Any, dtype: Any):
        torch = lazy_torch()
        self.torch = torch
        self.device = device
        self.rdtype = dtype
        cplx = {torch.float32: torch.complex64, torch.float64: torch.complex128}[dtype]
        self.dtype = cplx if complex_ else dtype

    def array(self, a: Any, real: bool = False) -> Any:
        dt = self.rdtype if real else self.dtype
        if is_torch(a):
            return a.to(device=self.device, dtype=dt)
        return self.torch.as_tensor(np.asarray(a), device=self.device).to(dt)

    def zeros(self, shape: tuple[int, ...]) -> Any:
        return self.torch.zeros(shape, dtype=self.dtype, device=self.device)

    @staticmethod
    def sumk(x: Any, k: int) -> Any:
        return x.sum(dim=tuple(range(-k, 0)))

    @staticmethod
    def maxk(x: Any, k: int) -> Any:
        return x.amax(dim=tuple(range(-k, 0)))

    @staticmethod
    def expand(v: Any, k: int) -> Any:
        return v[(...,) + (None,) * k]

    def safe(self, x: Any) -> Any:
        return self.torch.where(x > 0, x, self.torch.ones_like(x))

    def relu(self, x: Any) -> Any:
        return self.torch.clamp(x, min=0.0)

    def sqrt(self, x: Any) -> Any:
        return self.torch.sqrt(x)

    def minimum(self, a: Any, b: Any) -> Any:
        return self.torch.minimum(a, self._like(b, a))

    def maximum(self, a: Any, b: Any) -> Any:
        return self.torch.maximum(a, self._like(b, a))

    def where(self, c: Any, a: Any, b: Any) -> Any:
        return self.torch.where(c, self._like(a, c, float_=True), self._like(b, c, float_=True))

    def _like(self, v: Any, ref: Any, float_: bool = False) -> Any:
        if is_torch(v):
            return v
        dt = self.rdtype if float_ or ref.dtype == self.torch.bool else ref.dtype
        return self.torch.as_tensor(v, dtype=dt, device=self.device)

    @staticmethod
    def to_float(v: Any) -> float:
        return float(v.detach().max().item())


def _is_cplx(x: Any) -> bool:
    return bool(x.is_complex()) if is_torch(x) else bool(np.iscomplexobj(x))


def abs2(x: Any) -> Any:
    """``|x|²`` entrywise (real or complex, numpy or torch).

    Theorem: none (array primitive of the Chambolle–Pock iterations).
    Rigor: not applicable.
    """
    return x.real**2 + x.imag**2 if _is_cplx(x) else x * x


def batched_norm(ops: Any, x: Any, k: int) -> Any:
    """Euclidean norm over the last ``k`` axes (one value per batch element).

    Theorem: none (array primitive of the Chambolle–Pock iterations).
    Rigor: not applicable.
    """
    return ops.sqrt(ops.sumk(abs2(x), k))


def re_inner(ops: Any, a: Any, b: Any, k: int) -> Any:
    """``Re⟨a, b⟩`` over the last ``k`` axes (one value per batch element).

    Theorem: none (array primitive of the Chambolle–Pock iterations).
    Rigor: not applicable.
    """
    prod = a.conj() * b
    return ops.sumk(prod.real if _is_cplx(prod) else prod, k)


def absolute(x: Any) -> Any:
    """``|x|`` entrywise (numpy or torch).

    Theorem: none (array primitive of the Chambolle–Pock iterations).
    Rigor: not applicable.
    """
    return x.abs() if is_torch(x) else np.abs(x)


# -- problem setup --------------------------------------------------------------------------
@dataclasses.dataclass
class Spec:
    """Everything the iterations need, derived once from the program.

    Theorem: docs/theory.md §1 (the synthesis and analysis forms of the programs).
    Rigor: not applicable.
    """

    problem: Program
    kind: str
    synthesis: bool
    iso: bool
    lam: float
    eta: float
    K: LinearOperator  # synthesis: B = AW^*; analysis: A
    W: LinearOperator | None  # analysis only
    x_shape: tuple[int, ...]
    y_shape: tuple[int, ...]
    thr: np.ndarray  # synthesis: λw on x_shape; analysis: λw on W.out_shape (iso: per pixel)
    norm_K: float


def operator_norm_bound(op: LinearOperator) -> float:
    """``‖op‖`` or a bound above it (cached per operator): closed form, SVD, or power method + 1%.

    Theorem: none (step sizes of Chambolle–Pock need ``τσ‖A‖² < 1``).
    Rigor: numerical.
    """
    if op in _NORM_CACHE:
        return _NORM_CACHE[op]
    N = int(np.prod(op.in_shape))
    if hasattr(op, "norm_bound") or N <= 2048:
        val = float(op.norm())
    else:  # the power method converges from below: keep τσ‖K‖² < 1 safely
        val = 1.01 * float(op.norm())
    _NORM_CACHE[op] = val
    return val


def build_spec(problem: Program, tv: str) -> Spec:
    """Read a program once: its form, parameter, thresholds ``λw`` and the norm bound of ``K``.

    Theorem: docs/theory.md §1 (the synthesis and analysis forms of the programs).
    Rigor: not applicable.
    """
    kind = program_kind(problem)
    iso = isotropic_mode(problem, tv)
    lam = float(getattr(problem, "lam", 1.0))
    eta = float(getattr(problem, "eta", 0.0))
    w = np.asarray(problem.weights, dtype=np.float64)
    A = problem.A
    if is_synthesis(problem):
        K = problem.synthesis_operator
        x_shape = tuple(K.in_shape)
        return Spec(problem, kind, True, False, lam, eta, K, None, x_shape, tuple(A.out_shape),
                     (lam * w).reshape(x_shape), operator_norm_bound(A))
    W = cast(LinearOperator, problem.W)  # the analysis form: a non-unitary W
    thr = (lam * tv_weights(w, cast(FiniteDifference, W), isotropic=True)) if iso \
        else (lam * w).reshape(W.out_shape)
    norm_K = math.sqrt(operator_norm_bound(A) ** 2 + operator_norm_bound(W) ** 2)
    return Spec(problem, kind, False, iso, lam, eta, A, W, tuple(A.in_shape), tuple(A.out_shape),
                 thr, norm_K)


# -- one primal–dual engine for both backends -------------------------------------------------
class Engine:
    """Chambolle–Pock steps, measures and conversions for one spec and one backend.

    Theorem: Chambolle–Pock (2011) steps; the relative duality gap and KKT residuals as measures.
    Rigor: numerical.
    """

    def __init__(self, spec: Spec, ops: Any):
        self.s = spec
        self.ops = ops
        self.kx = len(spec.x_shape)
        self.ky = len(spec.y_shape)
        self.thr = ops.array(spec.thr, real=True)
        self.W: Any = spec.W  # analysis form only
        if spec.W is not None:
            self.kw = len(spec.W.out_shape)

    # K and K^* on tuples of dual components
    def K(self, x: Any) -> tuple:
        if self.s.synthesis:
            return (self.s.K._apply(x),)
        return (self.s.K._apply(x), self.W._apply(x))

    def Kt(self, xi: tuple) -> Any:
        if self.s.synthesis:
            return self.s.K._adjoint(xi[0])
        return self.s.K._adjoint(xi[0]) + self.W._adjoint(xi[1])

    def soft(self, v: Any, t: Any) -> Any:
        """Complex soft-thresholding ``v·(1 − t/|v|)_+`` (safe at 0 for autograd)."""
        mod = absolute(v)
        return v * (self.ops.relu(mod - t) / self.ops.safe(mod))

    def prox_g(self, v: Any, tau: float) -> Any:
        return self.soft(v, tau * self.thr) if self.s.synthesis else v

    def prox_data_conj(self, u: Any, sigma: float, y: Any) -> Any:
        ops, kind = self.ops, self.s.kind
        v = u - sigma * y
        if kind == "lasso":
            return v / (1.0 + sigma / 2.0)
        n = ops.expand(batched_norm(ops, v, self.ky), self.ky)
        if kind == "srlasso":
            return v / ops.maximum(n, 1.0)
        return v * (ops.relu(n - sigma * self.s.eta) / ops.safe(n))

    def prox_pen_conj(self, q: Any) -> Any:
        """Projection onto ``{|q_i| ≤ λw_i}`` (isotropic: per-pixel discs of radius ``λw_p``)."""
        ops = self.ops
        if self.s.iso:
            axis = -self.kw  # the gradient-component axis of (ndim, *shape)
            n = ops.sqrt(abs2(q).sum(axis))
            n = n[(...,) + (None,) + (slice(None),) * (self.kw - 1)]
            t = self.thr[(None,) + (slice(None),) * (self.kw - 1)]
            return q * (t / ops.maximum(n, t))
        return q * (self.thr / ops.maximum(absolute(q), self.thr))

    def step(self, st: dict, tau: float, sigma: float, y: Any) -> dict:
        """One step: ``x⁺ = prox_{τg}(x − τK^*ξ)``, ``ξ⁺ = prox_{σf^*}(ξ + σK(2x⁺ − x))``."""
        x_new = self.prox_g(st["x"] - tau * st["Ktxi"], tau)
        Kx_new = self.K(x_new)
        u = [xi + sigma * (2.0 * kn - ko) for xi, kn, ko in zip(st["xi"], Kx_new, st["Kx"])]
        xi_new: tuple[Any, ...] = (self.prox_data_conj(u[0], sigma, y),)
        if not self.s.synthesis:
            xi_new = xi_new + (self.prox_pen_conj(u[1]),)
        return {"x": x_new, "Kx": Kx_new, "xi": xi_new, "Ktxi": self.Kt(xi_new)}

    def init(self, x0: Any) -> dict:
        Kx = self.K(x0)
        xi = tuple(self.ops.zeros(tuple(k.shape)) for k in Kx)
        return {"x": x0, "Kx": Kx, "xi": xi, "Ktxi": self.ops.zeros(tuple(x0.shape))}

    # -- measures (batched: one value per batch element) ----------------------------------
    def rel_gap(self, x: Any, Kx: Any, xi: Any, Ktxi: Any, y: Any) -> Any:
        """Relative duality gap with the rescaled dual iterate (QCBP: and violation)."""
        ops, s = self.ops, self.s
        r = batched_norm(ops, Kx - y, self.ky)
        pen = ops.sumk(self.thr * absolute(x), self.kx)
        u, Btu = -xi, -Ktxi
        a = re_inner(ops, y, u, self.ky)
        nu = batched_norm(ops, u, self.ky)
        den = ops.maxk(absolute(Btu) / self.thr, self.kx)
        if s.kind == "srlasso":
            den = ops.maximum(den, nu)
        smax = 1.0 / ops.maximum(den, DIVISION_FLOOR)
        if s.kind == "lasso":
            obj = pen + r * r
            sc = ops.minimum(ops.relu(2.0 * a / ops.maximum(nu * nu, DIVISION_FLOOR)), smax)
            dual = sc * a - sc * sc * nu * nu / 4.0
        else:
            obj = pen + (r if s.kind == "srlasso" else 0.0)
            slope = a - (s.eta * nu if s.kind == "qcbp" else 0.0)
            dual = smax * ops.relu(slope)
        gap = absolute(obj - dual) / ops.maximum(absolute(obj), DIVISION_FLOOR)
        if s.kind == "qcbp":  # violation relative to η (to ‖y‖ when η = 0)
            scale = s.eta if s.eta > 0 else ops.maximum(batched_norm(ops, y, self.ky), DIVISION_FLOOR)
            gap = ops.maximum(gap, ops.relu(r - s.eta) / scale)
        return gap

    def kkt(self, old: dict, new: dict, tau: float, sigma: float, y: Any) -> Any:
        """Relative primal–dual residuals ``max(‖P‖/(‖K‖‖ξ‖), ‖D‖/(‖K‖‖x‖ + ‖y‖))``."""
        ops = self.ops
        P = (old["x"] - new["x"]) / tau - (old["Ktxi"] - new["Ktxi"])
        nP = batched_norm(ops, P, self.kx)
        nD2 = 0.0
        nxi2 = 0.0
        for xo, xn, ko, kn in zip(old["xi"], new["xi"], old["Kx"], new["Kx"]):
            k = len(xo.shape) - (len(new["x"].shape) - self.kx)
            nD2 = nD2 + ops.sumk(abs2((xo - xn) / sigma + (kn - ko)), k)
            nxi2 = nxi2 + ops.sumk(abs2(xn), k)
        nK = self.s.norm_K
        sP = ops.maximum(nK * ops.sqrt(nxi2), DIVISION_FLOOR)
        sD = ops.maximum(nK * batched_norm(ops, new["x"], self.kx) + batched_norm(ops, y, self.ky), DIVISION_FLOOR)
        return ops.maximum(nP / sP, ops.sqrt(nD2) / sD)

    def measure(self, old: dict, new: dict, tau: float, sigma: float, y: Any) -> Any:
        if self.s.synthesis:
            return self.rel_gap(new["x"], new["Kx"][0], new["xi"][0], new["Ktxi"], y)
        return self.kkt(old, new, tau, sigma, y)

    def signal(self, x: Any) -> Any:
        """The signal ``z`` of a primal iterate (``W^*c`` in the synthesis form)."""
        W = self.s.problem.W
        if self.s.synthesis and W is not None:
            return W._adjoint(x)
        return x


# -- argument handling -----------------------------------------------------------------------


def default_step_sizes(tau: Any, sigma: Any, L: float) -> tuple[float, float]:
    """Default ``τ = σ = 0.99/L``; one given: the other from ``τσL² = 0.98``.

    Theorem: Chambolle–Pock convergence needs ``τσL² < 1``.
    Rigor: not applicable.
    """
    for v, n in ((tau, "tau"), (sigma, "sigma")):
        if v is not None and (real_arg(v, n, allow_zero=True) == 0):
            raise InvalidArgument(f"{n}={v!r}: pass a positive step size")
    if L == 0:
        return (float(tau) if tau is not None else 1.0, float(sigma) if sigma is not None else 1.0)
    if tau is None and sigma is None:
        return 0.99 / L, 0.99 / L
    if sigma is None:
        return float(tau), 0.98 / (float(tau) * L * L)
    if tau is None:
        return 0.98 / (float(sigma) * L * L), float(sigma)
    tau, sigma = float(tau), float(sigma)
    if tau * sigma * L * L >= 1.0:
        raise InvalidArgument(
            f"tau·sigma·‖K‖² = {tau * sigma * L * L:.4g} ≥ 1 (‖K‖ ≈ {L:.6g}): the iteration may "
            "diverge; pass smaller steps (or leave them out for τ = σ = 0.99/‖K‖)"
        )
    return tau, sigma


def backend_arg(backend: Any, y: Any) -> str:
    """Validate ``backend`` (``None`` picks torch for tensor ``y``, numpy otherwise).

    Theorem: none (argument validation).
    Rigor: not applicable.
    """
    if backend is None:
        return "torch" if is_torch(y) else "numpy"
    if backend not in ("numpy", "torch"):
        raise InvalidArgument(f"backend={backend!r}: pass 'numpy' or 'torch'")
    return backend


def torch_dtype(dtype: Any) -> Any:
    """The real torch working precision of a ``dtype`` argument (default ``torch.float64``).

    Theorem: none (argument validation).
    Rigor: not applicable.
    """
    torch = lazy_torch()
    if dtype is None:
        return torch.float64
    table = {"float32": torch.float32, "float64": torch.float64, "complex64": torch.float32,
             "complex128": torch.float64, torch.float32: torch.float32,
             torch.float64: torch.float64, torch.complex64: torch.float32,
             torch.complex128: torch.float64, np.float32: torch.float32,
             np.float64: torch.float64}
    key = dtype if not isinstance(dtype, np.dtype) else dtype.type
    if key not in table:
        raise InvalidArgument(f"dtype={dtype!r}: pass torch.float32 or torch.float64")
    return table[key]


def _numpy_data(problem: Program, y: Any, device: Any, dtype: Any,
                differentiable: bool) -> tuple[NumpyOps, np.ndarray]:
    """The numpy backend and ``y`` validated by the program (float64/complex128 only)."""
    if differentiable:
        raise InvalidArgument("differentiable=True needs backend='torch'")
    if device is not None:
        raise InvalidArgument("device applies to backend='torch' only")
    if dtype is not None:
        try:
            ok = np.dtype(dtype) in (np.dtype(np.float64), np.dtype(np.complex128))
        except TypeError:
            ok = False
        if not ok:
            raise InvalidArgument("the numpy backend computes in float64/complex128: leave "
                                  "dtype out (or use backend='torch')")
    ops = NumpyOps(problem.is_complex)
    return ops, ops.array(validated_data(problem, y))


def _torch_data(problem: Program, y: Any, device: Any, dtype: Any, differentiable: bool,
                spec: Spec) -> tuple[TorchOps, Any, tuple[int, ...]]:
    """The torch backend (on ``y``'s device unless told), ``y`` validated, and its batch shape."""
    torch = lazy_torch()
    cplx = problem.is_complex
    if device is None and is_torch(y):
        device = y.device  # stay where the data are
    ops = TorchOps(cplx, resolve_device(device), torch_dtype(dtype))
    if not is_torch(y):
        y = torch.as_tensor(as_array(y, "y"))
    core = spec.y_shape
    shape = tuple(y.shape)
    if len(shape) < len(core) or shape[len(shape) - len(core):] != core:
        raise InvalidArgument(
            f"y has shape {shape}: pass an array of shape (*batch, {', '.join(map(str, core))})")
    check_finite(y, "y")
    if y.is_complex() and not cplx:
        raise InvalidArgument(
            "y is complex but the problem is real (A and W are real): pass a complex operator or real y")
    yv = y if differentiable else y.detach()
    return ops, ops.array(yv), shape[: len(shape) - len(core)]


def _initial_point(ops: Any, x0: Any, batch: tuple[int, ...], differentiable: bool, spec: Spec) -> Any:
    """``x0`` (a signal, default 0) in the primal variable (``Wx0`` in the synthesis form), batched."""
    if x0 is None:
        return ops.zeros(batch + spec.x_shape)
    cplx = spec.problem.is_complex
    in_shape = tuple(spec.problem.A.in_shape)
    if ops.is_torch and is_torch(x0):
        check_finite(x0, "x0")
        xa = x0 if differentiable else x0.detach()
        if xa.is_complex() and not cplx:
            raise InvalidArgument("x0 is complex but the problem is real: pass real x0")
        xs = tuple(xa.shape)
    else:
        xa = as_array(x0, "x0")
        if np.iscomplexobj(xa) and not cplx:
            raise InvalidArgument("x0 is complex but the problem is real: pass real x0")
        xs = xa.shape
    if xs != in_shape and xs != batch + in_shape:
        raise InvalidArgument(
            f"x0 has shape {xs}: pass shape {in_shape}" + (f" or {batch + in_shape}" if batch else ""))
    xa = ops.array(xa)
    W = spec.problem.W
    x = ops.array(W._apply(xa) if (spec.synthesis and W is not None) else xa)
    if tuple(x.shape) != batch + spec.x_shape:
        x = x + ops.zeros(batch + spec.x_shape)  # broadcast over the batch
    return x


def prepare(problem: Program, y: Any, x0: Any, backend: str, device: Any, dtype: Any,
            differentiable: bool, spec: Spec) -> tuple[Any, Any, Any, tuple[int, ...]]:
    """Validated ``(ops, y, x0 in the primal variable, batch shape)``.

    Theorem: none (argument validation).
    Rigor: not applicable.
    """
    ops: Any
    if backend == "numpy":
        ops, yv = _numpy_data(problem, y, device, dtype, differentiable)
        batch: tuple[int, ...] = ()
    else:
        ops, yv, batch = _torch_data(problem, y, device, dtype, differentiable, spec)
    return ops, yv, _initial_point(ops, x0, batch, differentiable, spec), batch


def certificates(eng: Engine, z: np.ndarray, y: np.ndarray, xi: np.ndarray | None,
                  tol: float) -> tuple[float, float, float, dict]:
    """Objective, residual, gap (numpy, one sample) with the program's own evidence.

    Theorem: optimality conditions and weak duality of docs/theory.md §1.
    Rigor: numerical (float64).
    """
    s = eng.s
    P = s.problem
    extra: dict[str, Any] = {}
    obj = program_objective(P, z, y, s.iso)
    if s.kind == "qcbp":
        extra["constraint_violation"] = float(cast(QCBP, P).constraint_violation(z, y))
    if not s.synthesis:
        return obj, math.nan, math.nan, extra
    if s.kind == "qcbp":
        at = max(ACTIVE_TOL, tol)
        extra["active_tol"] = at
        residual = float(cast(QCBP, P).optimality_residual(z, y, active_tol=at))
    else:
        residual = float(P.optimality_residual(z, y))
    gap = float(P.duality_gap(z, y))
    # QCBP: within the band of the stopping tolerance the iterate counts as feasible
    if xi is not None and (math.isfinite(gap) or math.isfinite(residual)):
        u = -np.asarray(xi)
        Btu = np.asarray(s.K._adjoint(u)).reshape(-1)
        d = ray_dual_value(s.kind, y.reshape(-1), u.reshape(-1), Btu, s.thr.reshape(-1), s.eta)
        if math.isfinite(d):
            gap = min(gap, max(0.0, obj - d))
    return obj, residual, gap, extra


def finish(eng: Engine, ops: Any, z: Any, y: Any, xi: Any, batch: tuple[int, ...], tol: float,
            certify: bool, info: dict) -> tuple[np.ndarray, float, float, float]:
    """Numpy answer and certificates (per batch element when batched).

    Theorem: optimality conditions and weak duality of docs/theory.md §1.
    Rigor: numerical (float64).
    """
    zn = to_numpy(z) if ops.is_torch else np.asarray(z)
    yn = to_numpy(y) if ops.is_torch else np.asarray(y)
    xin = None
    if xi is not None:
        xin = to_numpy(xi) if ops.is_torch else np.asarray(xi)
    if not certify:
        return zn, math.nan, math.nan, math.nan
    if not batch:
        obj, res, gap, extra = certificates(eng, zn, yn, xin, tol)
        info.update(extra)
        return zn, obj, res, gap
    n = int(np.prod(batch))
    zs = zn.reshape((n,) + zn.shape[len(batch):])
    ys = yn.reshape((n,) + yn.shape[len(batch):])
    xs = None if xin is None else xin.reshape((n,) + xin.shape[len(batch):])
    rows = [certificates(eng, zs[i], ys[i], None if xs is None else xs[i], tol) for i in range(n)]
    info["objectives"] = [r[0] for r in rows]
    info["residuals"] = [r[1] for r in rows]
    info["gaps"] = [r[2] for r in rows]
    residuals = [r for r in info["residuals"] if not math.isnan(r)]
    gaps = [g for g in info["gaps"] if not math.isnan(g)]
    return zn, math.nan, max(residuals) if residuals else math.nan, max(gaps) if gaps else math.nan




def program_gap(eng: Engine, st: dict, y: Any) -> float:
    """``problem.duality_gap`` relative to the objective at the current iterate (numpy only).

    Theorem: weak duality of docs/theory.md §1.
    Rigor: numerical (float64).
    """
    P = eng.s.problem
    z = np.asarray(eng.signal(st["x"]))
    if eng.s.kind == "srlasso":
        r = float(np.linalg.norm(np.asarray(P.A.apply(z)) - y))
        if r <= 1e-13 * float(np.linalg.norm(y)):
            return math.inf  # the program's Az = y branch runs an inner solver: too slow here
    g = float(P.duality_gap(z, y))
    obj = float(P.objective(z, y))
    return g / max(abs(obj), DIVISION_FLOOR)

