"""First-order solvers: Chambolle–Pock (PDHG) and the restarted primal–dual scheme (FIRENET).

:func:`chambolle_pock` solves QCBP, U-LASSO and SR-LASSO (THEORY.md §1) with
the primal–dual hybrid gradient method of Chambolle and Pock, on numpy or
torch (batched, complex, on any device, differentiable through autograd).
:func:`restarted_primal_dual` is the restarted scheme of THEORY.md §6.4 for
weighted SR-LASSO, which converges exponentially in the number of restarts
under the rNSP (the algorithm FIRENET unrolls).

Both iterate on the saddle problem ``min_x max_ξ Re⟨Kx, ξ⟩ + g(x) − f^*(ξ)``:

- synthesis form (no ``W`` or a unitary ``W``): ``x = c = Wz``, ``K = B = AW^*``,
  ``g = λ‖·‖_{1,w}`` (prox: complex soft-thresholding), ``f`` the data term;
- analysis form (non-unitary ``W``, e.g.
  :class:`~theorycheck.problems.tv.FiniteDifference`): ``x = z``, ``g = 0``,
  ``K = [A; W]`` and ``f(v₁, v₂) = data(v₁) + λ‖v₂‖_{1,w}`` (or the isotropic
  ``λΣ_p w_p‖(v₂)_p‖`` with ``tv="isotropic"``), both dualised.

Data terms and the prox of ``σf^*`` (closed form): U-LASSO ``f(v) = ‖v − y‖²``:
``(u − σy)/(1 + σ/2)``; SR-LASSO ``f(v) = ‖v − y‖``: projection of ``u − σy``
onto the unit ball; QCBP ``f = ι_{‖v − y‖ ≤ η}``: by Moreau
``u − σ proj_{B(y,η)}(u/σ) = (u − σy)(1 − ση/‖u − σy‖)_+``. Penalty (analysis):
projection onto ``{|q_i| ≤ λw_i}`` (per pixel disc for isotropic TV).

Stopping measures, evaluated every ``record_every`` iterations:

- synthesis form: the relative duality gap ``(F(x) − D(u))/F(x)`` where
  ``D(u)`` is the best of the program's :meth:`duality_gap` dual point
  (numpy backend) and the primal–dual iterate ``u = −ξ`` rescaled into the
  dual feasible set (:func:`~theorycheck.solvers.reference.ray_dual_value`);
  for QCBP the maximum of that and the relative constraint violation
  ``max(0, ‖Bx − y‖ − η)/η`` (``/‖y‖`` when ``η = 0``);
- analysis form: the relative primal–dual (KKT) residuals
  ``max(‖P‖/(‖K‖‖ξ‖), ‖D‖/(‖K‖‖x‖ + ‖y‖))`` with
  ``P = (x_k − x_{k+1})/τ − K^*(ξ_k − ξ_{k+1}) ∈ ∂g(x_{k+1}) + K^*ξ_{k+1}`` and
  ``D = (ξ_k − ξ_{k+1})/σ + K(x_{k+1} − x_k) ∈ ∂f^*(ξ_{k+1}) − Kx_{k+1}``.

Batched torch input reports the worst measure over the batch. The restarted
scheme records per restart the relative step ``‖ψ_k − ψ_{k−1}‖/‖ψ_k‖`` (its
dual restarts from 0, so its duality gap can stall while ``ψ`` converges).

Theorem: Chambolle–Pock convergence (``τσ‖K‖² < 1``); THEORY.md §6.4 (restarts).
Rigor: numerical (always ``Rigor.NUMERICAL``: a first-order method proves nothing).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import numbers
import time
import weakref
from typing import Any, Callable

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.validation import integer_arg, real_arg
from theorycheck.numerics.backend import (
    as_array,
    check_finite,
    is_torch,
    lazy_torch,
    resolve_device,
    to_numpy,
)
from theorycheck.problems.operators import LinearOperator
from theorycheck.problems.programs import ACTIVE_TOL, Program, program_kind
from theorycheck.problems.tv import tv_weights
from theorycheck.results import Rigor
from theorycheck.solvers.reference import (
    is_synthesis,
    isotropic_mode,
    program_objective,
    ray_dual_value,
    validated_data,
)
from theorycheck.solvers.solution import Solution

__all__ = ["chambolle_pock", "restarted_primal_dual", "default_inner_iterations", "operator_norm_bound",
           "default_step_sizes"]

_TINY = 1e-300
_NORM_CACHE: "weakref.WeakKeyDictionary[LinearOperator, float]" = weakref.WeakKeyDictionary()


# -- array backends -----------------------------------------------------------------------
class _NumpyOps:
    """The few array primitives the iterations need, for numpy."""

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


class _TorchOps:
    """The same primitives for torch tensors on one device and precision."""

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


def _cplx(x: Any) -> bool:
    return bool(x.is_complex()) if is_torch(x) else bool(np.iscomplexobj(x))


def _abs2(x: Any) -> Any:
    return x.real**2 + x.imag**2 if _cplx(x) else x * x


def _norm(ops: Any, x: Any, k: int) -> Any:
    return ops.sqrt(ops.sumk(_abs2(x), k))


def _re_inner(ops: Any, a: Any, b: Any, k: int) -> Any:
    prod = a.conj() * b
    return ops.sumk(prod.real if _cplx(prod) else prod, k)


def _abs(x: Any) -> Any:
    return x.abs() if is_torch(x) else np.abs(x)


# -- problem setup --------------------------------------------------------------------------
@dataclasses.dataclass
class _Spec:
    """Everything the iterations need, derived once from the program."""

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


def _spec(problem: Program, tv: str) -> _Spec:
    kind = program_kind(problem)
    iso = isotropic_mode(problem, tv)
    lam = float(getattr(problem, "lam", 1.0))
    eta = float(getattr(problem, "eta", 0.0))
    w = np.asarray(problem.weights, dtype=np.float64)
    A = problem.A
    if is_synthesis(problem):
        K = problem.synthesis_operator
        x_shape = tuple(K.in_shape)
        return _Spec(problem, kind, True, False, lam, eta, K, None, x_shape, tuple(A.out_shape),
                     (lam * w).reshape(x_shape), operator_norm_bound(A))
    W = problem.W
    thr = (lam * tv_weights(w, W, isotropic=True)) if iso else (lam * w).reshape(W.out_shape)
    norm_K = math.sqrt(operator_norm_bound(A) ** 2 + operator_norm_bound(W) ** 2)
    return _Spec(problem, kind, False, iso, lam, eta, A, W, tuple(A.in_shape), tuple(A.out_shape),
                 thr, norm_K)


# -- one primal–dual engine for both backends -------------------------------------------------
class _Engine:
    """Chambolle–Pock steps, measures and conversions for one spec and one backend."""

    def __init__(self, spec: _Spec, ops: Any):
        self.s = spec
        self.ops = ops
        self.kx = len(spec.x_shape)
        self.ky = len(spec.y_shape)
        self.thr = ops.array(spec.thr, real=True)
        if spec.W is not None:
            self.kw = len(spec.W.out_shape)

    # K and K^* on tuples of dual components
    def K(self, x: Any) -> tuple:
        if self.s.synthesis:
            return (self.s.K._apply(x),)
        return (self.s.K._apply(x), self.s.W._apply(x))

    def Kt(self, xi: tuple) -> Any:
        if self.s.synthesis:
            return self.s.K._adjoint(xi[0])
        return self.s.K._adjoint(xi[0]) + self.s.W._adjoint(xi[1])

    def soft(self, v: Any, t: Any) -> Any:
        """Complex soft-thresholding ``v·(1 − t/|v|)_+`` (safe at 0 for autograd)."""
        mod = _abs(v)
        return v * (self.ops.relu(mod - t) / self.ops.safe(mod))

    def prox_g(self, v: Any, tau: float) -> Any:
        return self.soft(v, tau * self.thr) if self.s.synthesis else v

    def prox_data_conj(self, u: Any, sigma: float, y: Any) -> Any:
        ops, kind = self.ops, self.s.kind
        v = u - sigma * y
        if kind == "lasso":
            return v / (1.0 + sigma / 2.0)
        n = ops.expand(_norm(ops, v, self.ky), self.ky)
        if kind == "srlasso":
            return v / ops.maximum(n, 1.0)
        return v * (ops.relu(n - sigma * self.s.eta) / ops.safe(n))

    def prox_pen_conj(self, q: Any) -> Any:
        """Projection onto ``{|q_i| ≤ λw_i}`` (isotropic: per-pixel discs of radius ``λw_p``)."""
        ops = self.ops
        if self.s.iso:
            axis = -self.kw  # the gradient-component axis of (ndim, *shape)
            n = ops.sqrt(_abs2(q).sum(axis))
            n = n[(...,) + (None,) + (slice(None),) * (self.kw - 1)]
            t = self.thr[(None,) + (slice(None),) * (self.kw - 1)]
            return q * (t / ops.maximum(n, t))
        return q * (self.thr / ops.maximum(_abs(q), self.thr))

    def step(self, st: dict, tau: float, sigma: float, y: Any) -> dict:
        """One step: ``x⁺ = prox_{τg}(x − τK^*ξ)``, ``ξ⁺ = prox_{σf^*}(ξ + σK(2x⁺ − x))``."""
        x_new = self.prox_g(st["x"] - tau * st["Ktxi"], tau)
        Kx_new = self.K(x_new)
        u = [xi + sigma * (2.0 * kn - ko) for xi, kn, ko in zip(st["xi"], Kx_new, st["Kx"])]
        xi_new = [self.prox_data_conj(u[0], sigma, y)]
        if not self.s.synthesis:
            xi_new.append(self.prox_pen_conj(u[1]))
        xi_new = tuple(xi_new)
        return {"x": x_new, "Kx": Kx_new, "xi": xi_new, "Ktxi": self.Kt(xi_new)}

    def init(self, x0: Any) -> dict:
        Kx = self.K(x0)
        xi = tuple(self.ops.zeros(tuple(k.shape)) for k in Kx)
        return {"x": x0, "Kx": Kx, "xi": xi, "Ktxi": self.ops.zeros(tuple(x0.shape))}

    # -- measures (batched: one value per batch element) ----------------------------------
    def rel_gap(self, x: Any, Kx: Any, xi: Any, Ktxi: Any, y: Any) -> Any:
        """Relative duality gap with the rescaled dual iterate (QCBP: and violation)."""
        ops, s = self.ops, self.s
        r = _norm(ops, Kx - y, self.ky)
        pen = ops.sumk(self.thr * _abs(x), self.kx)
        u, Btu = -xi, -Ktxi
        a = _re_inner(ops, y, u, self.ky)
        nu = _norm(ops, u, self.ky)
        den = ops.maxk(_abs(Btu) / self.thr, self.kx)
        if s.kind == "srlasso":
            den = ops.maximum(den, nu)
        smax = 1.0 / ops.maximum(den, _TINY)
        if s.kind == "lasso":
            obj = pen + r * r
            sc = ops.minimum(ops.relu(2.0 * a / ops.maximum(nu * nu, _TINY)), smax)
            dual = sc * a - sc * sc * nu * nu / 4.0
        else:
            obj = pen + (r if s.kind == "srlasso" else 0.0)
            slope = a - (s.eta * nu if s.kind == "qcbp" else 0.0)
            dual = smax * ops.relu(slope)
        gap = _abs(obj - dual) / ops.maximum(_abs(obj), _TINY)
        if s.kind == "qcbp":  # violation relative to η (to ‖y‖ when η = 0)
            scale = s.eta if s.eta > 0 else ops.maximum(_norm(ops, y, self.ky), _TINY)
            gap = ops.maximum(gap, ops.relu(r - s.eta) / scale)
        return gap

    def kkt(self, old: dict, new: dict, tau: float, sigma: float, y: Any) -> Any:
        """Relative primal–dual residuals ``max(‖P‖/(‖K‖‖ξ‖), ‖D‖/(‖K‖‖x‖ + ‖y‖))``."""
        ops = self.ops
        P = (old["x"] - new["x"]) / tau - (old["Ktxi"] - new["Ktxi"])
        nP = _norm(ops, P, self.kx)
        nD2 = 0.0
        nxi2 = 0.0
        for xo, xn, ko, kn in zip(old["xi"], new["xi"], old["Kx"], new["Kx"]):
            k = len(xo.shape) - (len(new["x"].shape) - self.kx)
            nD2 = nD2 + ops.sumk(_abs2((xo - xn) / sigma + (kn - ko)), k)
            nxi2 = nxi2 + ops.sumk(_abs2(xn), k)
        nK = self.s.norm_K
        sP = ops.maximum(nK * ops.sqrt(nxi2), _TINY)
        sD = ops.maximum(nK * _norm(ops, new["x"], self.kx) + _norm(ops, y, self.ky), _TINY)
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


def _backend(backend: Any, y: Any) -> str:
    if backend is None:
        return "torch" if is_torch(y) else "numpy"
    if backend not in ("numpy", "torch"):
        raise InvalidArgument(f"backend={backend!r}: pass 'numpy' or 'torch'")
    return backend


def _torch_dtype(dtype: Any) -> Any:
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


def _prepare(problem: Program, y: Any, x0: Any, backend: str, device: Any, dtype: Any,
             differentiable: bool, spec: _Spec) -> tuple[Any, Any, Any, tuple[int, ...]]:
    """Validated ``(ops, y, x0 in the primal variable, batch shape)``."""
    cplx = problem.is_complex
    if backend == "numpy":
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
        yv = validated_data(problem, y)
        ops = _NumpyOps(cplx)
        batch: tuple[int, ...] = ()
        yv = ops.array(yv)
    else:
        torch = lazy_torch()
        if device is None and is_torch(y):
            device = y.device  # stay where the data are
        ops = _TorchOps(cplx, resolve_device(device), _torch_dtype(dtype))
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
        batch = shape[: len(shape) - len(core)]
        yv = y if differentiable else y.detach()
        yv = ops.array(yv)
    # initial primal point
    in_shape = tuple(problem.A.in_shape)
    if x0 is None:
        x = ops.zeros(batch + spec.x_shape)
    else:
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
        x = spec.problem.W._apply(xa) if (spec.synthesis and spec.problem.W is not None) else xa
        x = ops.array(x)
        if tuple(x.shape) != batch + spec.x_shape:
            x = x + ops.zeros(batch + spec.x_shape)  # broadcast over the batch
    return ops, yv, x, batch


def _certificates(eng: _Engine, z: np.ndarray, y: np.ndarray, xi: np.ndarray | None,
                  tol: float) -> tuple[float, float, float, dict]:
    """Objective, residual, gap (numpy, one sample) with the program's own evidence."""
    s = eng.s
    P = s.problem
    extra: dict[str, Any] = {}
    obj = program_objective(P, z, y, s.iso)
    if not s.synthesis:
        if s.kind == "qcbp":
            extra["constraint_violation"] = float(P.constraint_violation(z, y))
        return obj, math.nan, math.nan, extra
    if s.kind == "qcbp":
        at = max(ACTIVE_TOL, tol)
        extra["active_tol"] = at
        extra["constraint_violation"] = float(P.constraint_violation(z, y))
        residual = float(P.optimality_residual(z, y, active_tol=at))
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


def _finish(eng: _Engine, ops: Any, z: Any, y: Any, xi: Any, batch: tuple[int, ...], tol: float,
            certify: bool, info: dict) -> tuple[np.ndarray, float, float, float]:
    """Numpy answer and certificates (per batch element when batched)."""
    zn = to_numpy(z) if ops.is_torch else np.asarray(z)
    yn = to_numpy(y) if ops.is_torch else np.asarray(y)
    xin = None
    if xi is not None:
        xin = to_numpy(xi) if ops.is_torch else np.asarray(xi)
    if not certify:
        return zn, math.nan, math.nan, math.nan
    if not batch:
        obj, res, gap, extra = _certificates(eng, zn, yn, xin, tol)
        info.update(extra)
        return zn, obj, res, gap
    n = int(np.prod(batch))
    zs = zn.reshape((n,) + zn.shape[len(batch):])
    ys = yn.reshape((n,) + yn.shape[len(batch):])
    xs = None if xin is None else xin.reshape((n,) + xin.shape[len(batch):])
    rows = [_certificates(eng, zs[i], ys[i], None if xs is None else xs[i], tol) for i in range(n)]
    info["objectives"] = [r[0] for r in rows]
    info["residuals"] = [r[1] for r in rows]
    info["gaps"] = [r[2] for r in rows]
    res = [r for r in info["residuals"] if not math.isnan(r)]
    gaps = [g for g in info["gaps"] if not math.isnan(g)]
    return zn, math.nan, max(res) if res else math.nan, max(gaps) if gaps else math.nan


def _progress(total: int, enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def _program_gap(eng: _Engine, st: dict, y: Any) -> float:
    """``problem.duality_gap`` relative to the objective at the current iterate (numpy only)."""
    P = eng.s.problem
    z = np.asarray(eng.signal(st["x"]))
    if eng.s.kind == "srlasso":
        r = float(np.linalg.norm(np.asarray(P.A.apply(z)) - y))
        if r <= 1e-13 * float(np.linalg.norm(y)):
            return math.inf  # the program's Az = y branch runs an inner solver: too slow here
    g = float(P.duality_gap(z, y))
    obj = float(P.objective(z, y))
    return g / max(abs(obj), _TINY)


# -- Chambolle–Pock -----------------------------------------------------------------------------
def chambolle_pock(problem: Program, y: Any, *, max_iter: int = 5000, tol: float = 1e-8,
                   tau: float | None = None, sigma: float | None = None, x0: Any = None,
                   backend: str | None = None, device: Any = None, dtype: Any = None,
                   differentiable: bool = False,
                   callback: Callable[[int, Any, float], Any] | None = None,
                   record_every: int = 10, progress: bool = False, tv: str = "anisotropic",
                   certify: bool = True) -> Solution:
    """Solve QCBP, U-LASSO or SR-LASSO with the Chambolle–Pock primal–dual method.

    Iterates ``x⁺ = prox_{τg}(x − τK^*ξ)``, ``ξ⁺ = prox_{σf^*}(ξ + σK(2x⁺ − x))``
    from ``x = x0`` (default 0), ``ξ = 0`` — in ``c = Wz`` for no/unitary ``W``
    (soft-thresholding), on ``z`` with ``K = [A; W]`` otherwise (see the module
    docstring for the proxes and the stopping measures). Stops when the measure,
    evaluated every ``record_every`` iterations, is ``≤ tol``.

    Parameters
    ----------
    problem : QCBP, Lasso or SRLasso
    y : array_like or torch.Tensor
        Data of shape ``A.out_shape``; with ``backend="torch"`` a leading batch
        shape is allowed (the answer gets the same batch shape).
    max_iter : int
        Iteration limit.
    tol : float
        Tolerance on the relative stopping measure (``0``: run ``max_iter`` steps).
    tau, sigma : float, optional
        Step sizes with ``τσ‖K‖² < 1``; default ``τ = σ = 0.99/‖K‖`` with ``‖K‖``
        from the operators' norms (``‖K‖² ≤ ‖A‖² + ‖W‖²`` in the analysis form; an
        SVD up to ``N = 2048``, else the power method plus 1%).
    x0 : array_like, optional
        Initial signal ``z`` (shape ``A.in_shape``, or batched for torch).
    backend : {"numpy", "torch"} or None
        ``None`` picks torch for tensor ``y``.
    device, dtype
        torch only: device (default CUDA when available, else CPU) and real
        precision (``torch.float64`` default, or ``torch.float32``); complex
        problems use the matching complex dtype.
    differentiable : bool
        torch only: keep the autograd graph (gradients w.r.t. ``y``, ``x0`` and
        anything upstream flow through ``info["x_torch"]``); no stopping checks
        in the loop, so exactly ``max_iter`` iterations run.
    callback : callable, optional
        ``callback(iteration, z, measure)`` every ``record_every`` iterations
        (``z`` a numpy array or tensor; ``measure`` nan when differentiable).
    record_every : int
        Iterations between measures (history, callback, stopping check).
    progress : bool
        Show a tqdm bar.
    tv : {"anisotropic", "isotropic"}
        TV norm when ``W`` is a ``FiniteDifference``.
    certify : bool
        Evaluate the program's certificates on the answer (numpy, per batch
        element); ``False`` skips them (``nan``), e.g. inside training loops.

    Returns
    -------
    Solution
        ``x`` the signal (numpy, detached; batched for batched ``y``);
        ``status`` ``"optimal"`` when the measure reached ``tol``, else
        ``"max_iterations"``; ``objective``; ``residual`` and ``gap`` (synthesis
        form: ``problem.optimality_residual`` — QCBP with
        ``active_tol = max(1e-9, tol)`` — and the smaller of
        ``problem.duality_gap`` and the gap of the rescaled dual iterate;
        ``nan`` in the analysis form); batched: worst residual/gap, per-sample
        lists in ``info["objectives"|"residuals"|"gaps"]`` and objective ``nan``.
        ``info``: ``history`` ((iteration, measure) pairs), ``measure``
        ("relative_gap" or "kkt_residual"), ``tau``, ``sigma``, ``norm_K``,
        ``x_torch`` (torch backend), ``dual`` (the final ``ξ``, numpy).

    Theorem: Chambolle–Pock (2011): convergence for ``τσ‖K‖² < 1`` to a saddle
    point of THEORY.md §1's programs.
    Rigor: numerical (always ``Rigor.NUMERICAL``: a first-order method never proves anything).

    Examples
    --------
    >>> from theorycheck.problems.programs import Lasso
    >>> sol = chambolle_pock(Lasso([[1.0, 0.0], [0.0, 1.0]], lam=1.0), [2.0, 0.25], tol=1e-12)
    >>> sol.status, np.round(sol.x, 6).tolist()
    ('optimal', [1.5, 0.0])
    """
    t0 = time.perf_counter()
    spec = _spec(problem, tv)
    max_iter = integer_arg(max_iter, "max_iter")
    record_every = integer_arg(record_every, "record_every")
    tol = real_arg(tol, "tol", allow_zero=True)
    backend = _backend(backend, y)
    tau, sigma = default_step_sizes(tau, sigma, spec.norm_K)
    ops, yv, x, batch = _prepare(problem, y, x0, backend, device, dtype, differentiable, spec)
    eng = _Engine(spec, ops)
    torch = lazy_torch() if ops.is_torch else None
    ctx = torch.no_grad() if (torch is not None and not differentiable) else contextlib.nullcontext()
    check = not differentiable
    use_program_gap = spec.synthesis and not ops.is_torch
    history: list[tuple[int, float]] = []
    status, it, meas = "max_iterations", 0, math.nan
    bar = _progress(max_iter, progress, "chambolle_pock")
    with ctx:
        st = eng.init(x)
        for k in range(1, max_iter + 1):
            new = eng.step(st, tau, sigma, yv)
            it = k
            if k % record_every == 0 or k == max_iter:
                if check:
                    meas = ops.to_float(eng.measure(st, new, tau, sigma, yv))
                    if use_program_gap and meas > tol and spec.kind != "qcbp":
                        meas = min(meas, _program_gap(eng, new, yv))
                    history.append((k, meas))
                if callback is not None:
                    callback(k, eng.signal(new["x"]), meas if check else math.nan)
                if bar is not None:
                    bar.update(record_every if k % record_every == 0 else k % record_every)
                    if check:
                        bar.set_postfix(measure=f"{meas:.2e}")
                if check and meas <= tol:
                    status = "optimal"
                    st = new
                    break
            st = new
        if not check:  # one measure after the loop (no .item() inside it)
            meas = ops.to_float(eng.measure(st, st, tau, sigma, yv)) if spec.synthesis else math.nan
            history.append((it, meas))
            if meas <= tol:
                status = "optimal"
        z = eng.signal(st["x"])
    if bar is not None:
        bar.close()
    info: dict[str, Any] = {
        "history": history, "measure": "relative_gap" if spec.synthesis else "kkt_residual",
        "tau": tau, "sigma": sigma, "norm_K": spec.norm_K, "tv": tv, "backend": backend,
        "form": "synthesis" if spec.synthesis else "analysis", "final_measure": meas,
    }
    if ops.is_torch:
        info["x_torch"] = z
        info["device"] = str(ops.device)
    xi0 = st["xi"][0]
    info["dual"] = to_numpy(xi0) if ops.is_torch else np.array(xi0)
    zn, obj, res, gap = _finish(eng, ops, z, yv, xi0 if spec.synthesis else None, batch, tol,
                                certify, info)
    return Solution(x=zn, status=status, rigor=Rigor.NUMERICAL, objective=obj, residual=res,
                    gap=gap, solver=f"chambolle_pock-{backend}", elapsed_s=time.perf_counter() - t0,
                    iterations=it, info=info)


# -- restarted primal–dual (THEORY.md §6.4) ---------------------------------------------------
def default_inner_iterations(L_A: float, lam: float, weights: np.ndarray) -> int:
    """Default inner iterations ``p = ⌈2√2·L_A/(λ·min w)⌉`` (at least 10) of the restarted scheme.

    A CP run of ``p`` steps reduces the SR-LASSO objective error like
    ``L_A²‖ψ − x*‖²/(εp²) + ε/4``; under the rNSP the sharpness constant of
    SR-LASSO grows like ``1/(λ min w)``, so ``p ∝ L_A/(λ min w)`` keeps the
    per-restart contraction below ``e^{-1}``. The constant ``2√2`` is empirical:
    on Gaussian 40 × 100 instances with 4-sparse data and ``λ ∈ [0.05, 0.3]`` the
    error still tracked ``ε`` with about half this ``p`` (a safety factor ≈ 2);
    too small a ``p`` makes the error lag behind ``ε`` and stall.

    Theorem: THEORY.md §6.4 (restarted primal–dual for SR-LASSO).
    Rigor: numerical (a heuristic default, not a proven bound).
    """
    wmin = float(np.min(weights)) if np.size(weights) else 1.0
    return max(10, int(math.ceil(2.0 * math.sqrt(2.0) * L_A / (lam * wmin))))


def restarted_primal_dual(problem: Program, y: Any, *, restarts: int = 20, inner: int | None = None,
                          eps0: float | None = None, delta: float = 0.0, L_A: float | None = None,
                          tau: float | None = None, sigma: float | None = None, tol: float = 1e-8,
                          backend: str | None = None, device: Any = None, dtype: Any = None,
                          differentiable: bool = False,
                          callback: Callable[[int, Any, float], Any] | None = None,
                          progress: bool = False, certify: bool = True) -> Solution:
    """Restarted primal–dual iteration for weighted SR-LASSO (THEORY.md §6.4, FIRENET).

    ``ψ ← 0``, ``ε ← ε₀``; each restart: ``ε ← e^{-1}(δ + ε)``, ``β = ε/(2L_A)``,
    ``α = 1/(βp)``; ``p`` Chambolle–Pock steps on data ``b = αy`` from
    ``x₀ = αψ``, ``ξ₀ = 0`` (``x_{j+1} = soft_{τλw}(x_j − τB^*ξ_j)``,
    ``ξ_{j+1} = proj_{‖·‖≤1}(ξ_j + σB(2x_{j+1} − x_j) − σb)``, ``B = AW^*``);
    ``ψ ← mean(x₁..x_p)/α``. Under the rNSP the error decays like ``e^{-k}``
    in the number of restarts ``k`` (down to the level set by ``δ``).

    Parameters
    ----------
    problem : SRLasso
        Weighted SR-LASSO with no ``W`` or a unitary ``W`` (else :class:`InvalidArgument`).
    y : array_like or torch.Tensor
        Data (torch: leading batch axes allowed; ``ε₀`` is then per sample).
    restarts : int
        Maximal number of restarts ``n``.
    inner : int, optional
        Inner CP steps ``p``; default :func:`default_inner_iterations`.
    eps0 : float, optional
        Initial accuracy ``ε₀`` (default ``‖y‖``, or 1 for ``y = 0``).
    delta : float
        ``δ ≥ 0`` (``0``: pure exponential decay).
    L_A : float, optional
        Upper bound on ``‖B‖ = ‖A‖`` (default: computed).
    tau, sigma : float, optional
        Steps with ``τσL_A² < 1`` (default ``τ = σ = 0.99/L_A``).
    tol : float
        Stop after the restart whose relative step ``‖ψ_k − ψ_{k−1}‖/‖ψ_k‖`` is
        ``≤ tol`` (``0``: run all restarts). Under linear convergence this
        fixed-point residual decays like the error; it is not a certificate (the
        duality gap is, see below).
    backend, device, dtype, differentiable, callback, progress, certify
        As in :func:`chambolle_pock`; ``callback(restart, ψ, measure)`` after each restart.

    Returns
    -------
    Solution
        ``x = ψ``; ``status`` ``"optimal"`` when the relative step reached ``tol``,
        else ``"max_iterations"``; ``iterations`` the total CP steps;
        ``info["history"]`` the (total CP iterations, relative step) pairs, one
        per restart; ``info["restart_gaps"]`` the relative duality gaps per
        restart (the last inner dual iterate rescaled into the dual feasible set,
        or the program's dual point, whichever is better: since every restart
        starts the dual from 0, this gap can stall even while ``ψ`` converges);
        ``info["eps"]`` the ``ε`` sequence; ``inner``, ``restarts`` (performed),
        ``L_A``, ``tau``, ``sigma``; ``residual``/``gap`` as in :func:`chambolle_pock`.

    Theorem: THEORY.md §6.4 (exponential convergence under the rNSP in levels).
    Rigor: numerical (always ``Rigor.NUMERICAL``).

    Examples
    --------
    >>> from theorycheck.problems.programs import SRLasso
    >>> sol = restarted_primal_dual(SRLasso([[1.0, 0.0], [0.0, 1.0]], lam=0.5), [2.0, 0.0])
    >>> np.round(sol.x, 6).tolist()
    [2.0, 0.0]
    """
    t0 = time.perf_counter()
    if program_kind(problem) != "srlasso":
        raise InvalidArgument(
            f"restarted_primal_dual solves weighted SR-LASSO only, got {type(problem).__name__}: "
            "use chambolle_pock for QCBP and U-LASSO"
        )
    if not is_synthesis(problem):
        raise InvalidArgument(
            "restarted_primal_dual needs no W or a unitary W (synthesis form); for a non-unitary W "
            "(e.g. total variation) use chambolle_pock"
        )
    spec = _spec(problem, "anisotropic")
    restarts = integer_arg(restarts, "restarts")
    tol = real_arg(tol, "tol", allow_zero=True)
    delta = real_arg(delta, "delta", allow_zero=True)
    if L_A is None:
        L_A = spec.norm_K
    else:
        L_A = real_arg(L_A, "L_A", allow_zero=True)
        if L_A == 0:
            raise InvalidArgument("L_A must be positive (an upper bound on ‖A‖)")
    p = default_inner_iterations(L_A, spec.lam, np.asarray(problem.weights)) if inner is None \
        else integer_arg(inner, "inner")
    tau, sigma = default_step_sizes(tau, sigma, L_A)
    backend = _backend(backend, y)
    ops, yv, psi, batch = _prepare(problem, y, None, backend, device, dtype, differentiable, spec)
    eng = _Engine(spec, ops)
    ky, kx = eng.ky, eng.kx
    if eps0 is None:
        ny = _norm(ops, yv, ky)
        eps = ops.where(ny > 0, ny, 1.0) if ops.is_torch else np.where(ny > 0, ny, 1.0)
    else:
        eps = real_arg(eps0, "eps0", allow_zero=True)
        if eps == 0:
            raise InvalidArgument("eps0 must be positive")
    torch = lazy_torch() if ops.is_torch else None
    ctx = torch.no_grad() if (torch is not None and not differentiable) else contextlib.nullcontext()
    check = not differentiable
    history: list[tuple[int, float]] = []
    gaps: list[float] = []
    eps_seq: list[Any] = []
    status, total, meas, k_done = "max_iterations", 0, math.nan, 0
    bar = _progress(restarts, progress, "restarted_primal_dual")
    xi_last = None
    with ctx:
        for k in range(1, restarts + 1):
            eps = (delta + eps) / math.e
            eps_seq.append(float(np.max(to_numpy(eps))) if check else eps)
            alpha = 2.0 * L_A / (eps * p)  # α = 1/(βp), β = ε/(2L_A)
            a_y = ops.expand(alpha, ky) if not isinstance(alpha, float) else alpha
            a_x = ops.expand(alpha, kx) if not isinstance(alpha, float) else alpha
            b = a_y * yv
            st = eng.init(a_x * psi)
            acc = None
            for _ in range(p):
                st = eng.step(st, tau, sigma, b)
                acc = st["x"] if acc is None else acc + st["x"]
            total += p
            psi_old, psi = psi, acc / (p * a_x)
            xi_last, k_done = st, k
            if check:
                # fixed-point residual ‖ψ_k − ψ_{k−1}‖/‖ψ_k‖: decays like the error under
                # linear convergence (the per-restart dual restarts from 0, so the gap stalls)
                step = _norm(ops, psi - psi_old, kx) / ops.maximum(_norm(ops, psi, kx), _TINY)
                meas = ops.to_float(step)
                history.append((total, meas))
                # the dual feasible set is scale-invariant: ξ of the scaled problem is a dual point
                g = ops.to_float(eng.rel_gap(psi, eng.K(psi)[0], st["xi"][0], st["Ktxi"], yv))
                if not ops.is_torch and g > tol:
                    g = min(g, _program_gap(eng, {"x": psi}, yv))
                gaps.append(g)
            if callback is not None:
                callback(k, eng.signal(psi), meas if check else math.nan)
            if bar is not None:
                bar.update(1)
            if check and meas <= tol:
                status = "optimal"
                break
        if not check:  # one measure after the loop (no .item() inside it)
            step = _norm(ops, psi - psi_old, kx) / ops.maximum(_norm(ops, psi, kx), _TINY)
            meas = ops.to_float(step)
            history.append((total, meas))
            eps_seq = [float(np.max(to_numpy(e))) if not isinstance(e, float) else e for e in eps_seq]
            if meas <= tol:
                status = "optimal"
        z = eng.signal(psi)
    if bar is not None:
        bar.close()
    info: dict[str, Any] = {
        "history": history, "restart_gaps": gaps, "eps": eps_seq,
        "inner": p, "restarts": k_done, "L_A": L_A, "tau": tau, "sigma": sigma, "delta": delta,
        "measure": "relative_step", "backend": backend, "final_measure": meas,
    }
    if ops.is_torch:
        info["x_torch"] = z
        info["device"] = str(ops.device)
    xi0 = xi_last["xi"][0]
    info["dual"] = to_numpy(xi0) if ops.is_torch else np.array(xi0)
    zn, obj, res, gap = _finish(eng, ops, z, yv, xi0, batch, tol, certify, info)
    return Solution(x=zn, status=status, rigor=Rigor.NUMERICAL, objective=obj, residual=res,
                    gap=gap, solver=f"restarted_primal_dual-{backend}",
                    elapsed_s=time.perf_counter() - t0, iterations=total, info=info)
