"""The sparse-regularisation programs QCBP, U-LASSO and SR-LASSO as immutable specs.

With ``A: C^N → C^m``, a sparsifier ``W`` (optional; ``W = I`` when omitted),
positive weights ``w`` and ``‖c‖_{1,w} = Σ_i w_i |c_i|`` (``|·|`` the modulus
for complex data):

- (P1) :class:`QCBP`:    ``min ‖Wz‖_{1,w}  s.t. ‖Az − y‖₂ ≤ η``
- (P2) :class:`Lasso`:   ``min λ‖Wz‖_{1,w} + ‖Az − y‖₂²``   (U-LASSO)
- (P3) :class:`SRLasso`: ``min λ‖Wz‖_{1,w} + ‖Az − y‖₂``

A *unitary* ``W`` (orthonormal wavelets, DCT, …) turns each program into the
synthesis problem in ``c = Wz`` with matrix ``B = A W^*``
(:attr:`Program.synthesis_operator`); every certificate below (optimality
residual, duality gap, ``λ_max``) is computed in those coordinates, which is
exact because ``W`` preserves distances. A non-unitary ``W`` (analysis form,
e.g. a finite-difference / total-variation operator) is accepted for
:meth:`Program.objective` only.

Scaling conventions. :class:`Lasso` uses the seeds' ``λ‖z‖_{1,w} + ‖Az − y‖²``.
scikit-learn's ``Lasso(alpha)`` minimises ``(1/(2m))‖y − Az‖² + α‖z‖₁`` and
MATLAB's ``lasso(X, y, 'Lambda', α)`` minimises the same
``(1/(2m))Σ(y − Xβ)² + α‖β‖₁``; multiplying by ``2m`` shows both are
:class:`Lasso` with ``λ = 2·m·α`` (see :meth:`Lasso.from_sklearn_alpha`).

Numerical conventions (module constants):

- ``ZERO_RESIDUAL_TOL = 1e-14``: ``Az = y`` is declared when
  ``‖Az − y‖ ≤ 1e-14·‖y‖`` (SR-LASSO's non-smooth point; QCBP with ``η = 0``).
- ``ACTIVE_TOL = 1e-9``: the QCBP constraint is *active* when
  ``η(1 − 1e-9) ≤ ‖Az − y‖ ≤ η(1 + 1e-9)``, *strictly inside* below that band
  and *violated* above it.
- ``SUPPORT_TOL = 1e-12``: in ``optimality_residual`` a coefficient with
  ``|c_i| ≤ 1e-12·max_j |c_j|`` is treated as 0 (its subdifferential is the
  disc). Without it the residual is discontinuous at rounding level: ``c = Wz``
  computed in floating point has ~1e-17 entries where the exact ``c`` has zeros.
  Pass ``support_tol=0`` for the literal definition.

Theorem: optimality conditions of docs/theory.md §1 (Fermat's rule, weak duality).
Rigor: numerical (float64); for proven certificates use theorycheck.solvers.exact.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array
from theorycheck.numerics.validation import binary64_exact, integer_arg
from theorycheck.problems.operators import LinearOperator, as_operator, compose

__all__ = ["Program", "QCBP", "Lasso", "SRLasso", "program_kind", "ZERO_RESIDUAL_TOL", "ACTIVE_TOL",
           "SUPPORT_TOL"]

ZERO_RESIDUAL_TOL = 1e-14
ACTIVE_TOL = 1e-9
SUPPORT_TOL = 1e-12
_DUAL_FEAS_TOL = 1e-10  # relative slack accepted by dual_objective (rounding of the scaling)


# -- shared coordinate-wise subdifferential geometry --------------------------------------
def _phase(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``c/|c|`` where ``c ≠ 0`` (0 elsewhere) and the mask ``c ≠ 0``."""
    mod = np.abs(c)
    nz = mod > 0
    s = np.zeros_like(c)
    s[nz] = c[nz] / mod[nz]
    return s, nz


def _nearest(g: np.ndarray, c: np.ndarray, thr: np.ndarray) -> np.ndarray:
    """The point of ``g + thr·∂‖c‖₁`` (coordinate-wise) nearest to 0.

    ``∂|c_i|`` is ``c_i/|c_i|`` for ``c_i ≠ 0`` and the closed unit disc
    (interval ``[−1, 1]`` for real data) at ``c_i = 0``. Its modulus is the
    coordinate-wise distance ``|g_i + thr_i c_i/|c_i||`` resp.
    ``max(0, |g_i| − thr_i)``; it is also the gradient in ``g`` of half the
    squared distance.
    """
    s, nz = _phase(c)
    mod = np.abs(g)
    shrink = np.zeros(mod.shape)
    big = mod > thr
    shrink[big] = 1.0 - thr[big] / mod[big]
    return np.where(nz, g + thr * s, g * shrink)


def _min_on_ray(v: np.ndarray, c: np.ndarray, thr: np.ndarray) -> float:
    """Exact ``min_{t ≥ 0} ‖nearest(t·v, c, thr)‖`` (QCBP with an active constraint).

    The squared distance is convex and piecewise quadratic in ``t``: support
    coordinates give ``|t v_i + thr_i s_i|²`` everywhere, off-support ones
    ``max(0, t|v_i| − thr_i)²`` with breakpoint ``thr_i/|v_i|``. Each piece is
    minimised in closed form; the distance is then re-evaluated at the best
    ``t`` (avoids cancellation in the expanded quadratic).
    """
    s, nz = _phase(c)
    a0 = float(np.sum(np.abs(v[nz]) ** 2))
    b0 = float(np.sum(2.0 * np.real(np.conj(v[nz]) * thr[nz] * s[nz])))
    c0 = float(np.sum(thr[nz] ** 2))
    mv, tv = np.abs(v[~nz]), thr[~nz]
    pos = mv > 0
    mv, tv = mv[pos], tv[pos]
    order = np.argsort(tv / mv)
    mv, tv = mv[order], tv[order]
    bps = tv / mv
    # piece k = [bps[k-1], bps[k]] (bps[-1] := 0, bps[K] := inf) has the first k off-support terms
    a = a0 + np.concatenate([[0.0], np.cumsum(mv**2)])
    b = b0 + np.concatenate([[0.0], np.cumsum(-2.0 * tv * mv)])
    cc = c0 + np.concatenate([[0.0], np.cumsum(tv**2)])
    lo = np.concatenate([[0.0], bps])
    hi = np.concatenate([bps, [np.inf]])
    vertex = np.where(a > 0, -b / (2.0 * np.where(a > 0, a, 1.0)), np.where(b < 0, hi, lo))
    t = np.clip(vertex, lo, hi)
    t = np.where(np.isfinite(t), t, lo)  # a == 0 and b < 0 cannot happen on the last piece
    with np.errstate(over="ignore", invalid="ignore"):  # huge breakpoints when |v_i| ≈ 0
        f = a * t**2 + b * t + cc
    f = np.where(np.isfinite(f), f, np.inf)
    t_best = float(t[int(np.argmin(f))])
    return float(np.linalg.norm(_nearest(t_best * v, c, thr)))


def _sqnorm(v: np.ndarray) -> float:
    return float(np.real(np.vdot(v, v)))


def _real_scalar(value: Any, name: str) -> float:
    """``value`` as a finite float, refusing values that float64 would round (the spec holds floats)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidArgument(f"{name} must be a real number, got {value!r}")
    try:
        v = float(value)
    except (OverflowError, ValueError, TypeError):
        raise InvalidArgument(f"{name} = {value!r} is not a finite float64 number") from None
    if not math.isfinite(v):
        raise InvalidArgument(f"{name} = {v} is not finite: pass a finite number")
    if not binary64_exact(value, v):  # sympy Rational / Float, mpmath, Fraction, long double, huge ints
        raise InvalidArgument(f"{name} = {value!r} is not a float64 value (the programs hold float64 "
                              f"parameters): pass float({name}) = {v!r} if the rounded value is meant")
    return v


#: largest number of inner iterations accepted by ``max_iter``
MAX_INNER_ITERATIONS = 10 ** 7


def _iterations(max_iter: Any) -> int:
    v = integer_arg(max_iter, "max_iter")
    if v > MAX_INNER_ITERATIONS:
        raise InvalidArgument(f"max_iter={max_iter!r}: pass an integer in [1, {MAX_INNER_ITERATIONS}]")
    return v


class Program:
    """Base class of the immutable program specs :class:`QCBP`, :class:`Lasso`, :class:`SRLasso`.

    Subclasses are frozen dataclasses with fields ``A``, the parameter
    (``eta`` or ``lam``), ``weights`` and ``W``; arrays are stored as read-only
    copies (``A`` and ``W`` given as arrays become :class:`MatrixOperator`; a
    matrix ``W`` is treated as non-unitary: wrap an orthonormal one in an
    operator with ``unitary = True``). :meth:`with_` returns a modified copy.

    Theorem: optimality conditions of docs/theory.md §1 (Fermat's rule).
    Rigor: numerical (float64); for proven certificates use theorycheck.solvers.exact.
    """

    A: LinearOperator
    weights: np.ndarray
    W: LinearOperator | None
    _param_name: ClassVar[str]

    # -- construction ------------------------------------------------------------------
    def _validate(self) -> None:
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 - frozen dataclass
        A = as_operator(self.A)
        set_("A", A)
        W = self.W
        if W is not None:
            W = as_operator(W)
            if tuple(W.in_shape) != tuple(A.in_shape):
                raise InvalidArgument(
                    f"W has in_shape {tuple(W.in_shape)} but A has in_shape {tuple(A.in_shape)}: "
                    "W must act on the same signals as A"
                )
            set_("W", W)
        P = self.penalty_size
        if self.weights is None:
            w = np.ones(P)
        else:
            w = as_array(self.weights, "weights", allow_complex=False)
            shapes = {(P,), tuple(W.out_shape) if W is not None else tuple(A.in_shape)}
            if w.shape not in shapes:
                raise InvalidArgument(
                    f"weights has shape {w.shape}: pass {P} positive weights (one per entry of "
                    f"{'Wz' if W is not None else 'z'})"
                )
            w = w.reshape(-1)
            if np.any(w <= 0):
                raise InvalidArgument("weights must be positive: replace zero or negative entries")
        w.setflags(write=False)
        set_("weights", w)

    @classmethod
    def _param_arg(cls, value: Any, *, allow_zero: bool) -> float:
        name = cls._param_name
        v = _real_scalar(value, name)
        if v < 0 or (v == 0 and not allow_zero):
            hint = "pass λ > 0 (λ = 0 is least squares: use a least-squares solver)" if not allow_zero \
                else "pass η ≥ 0"
            raise InvalidArgument(f"{name} = {v} is invalid: {hint}")
        return v

    def with_(self, **changes: Any) -> "Program":
        """Return a new spec with some fields replaced, e.g. ``P.with_(lam=0.1)``.

        Theorem: none.
        Rigor: not applicable.
        """
        names = {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        unknown = set(changes) - names
        if unknown:
            raise InvalidArgument(
                f"unknown field(s) {sorted(unknown)} for {type(self).__name__}: use {sorted(names)}"
            )
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def __repr__(self) -> str:
        w = "ones" if np.all(self.weights == 1) else f"<{self.penalty_size} weights>"
        return (f"{type(self).__name__}(A={self.A!r}, {self._param_name}="
                f"{getattr(self, self._param_name)!r}, weights={w}, W={self.W!r})")

    # -- properties --------------------------------------------------------------------
    @property
    def penalty_size(self) -> int:
        """Number of penalised coefficients (size of ``Wz``, or ``N`` without ``W``)."""
        return int(np.prod(self.W.out_shape if self.W is not None else self.A.in_shape))

    @property
    def is_complex(self) -> bool:
        """Whether ``A`` or ``W`` is complex (then ``z`` and ``y`` may be complex)."""
        return bool(self.A.is_complex or (self.W is not None and self.W.is_complex))

    @property
    def synthesis_operator(self) -> LinearOperator:
        """``B = A W^*`` for a unitary ``W``, ``A`` when ``W`` is None.

        Theorem: ``‖Wz‖_{1,w}`` with unitary ``W`` equals the synthesis problem in
        ``c = Wz`` with matrix ``A W^*`` (docs/theory.md §1).
        Rigor: exact.
        """
        self._require_unitary("synthesis_operator")
        return self.A if self.W is None else compose(self.A, self.W.H)

    @cached_property
    def _norm_B(self) -> float:
        return float(self.A.norm())  # ‖A W^*‖ = ‖A‖ for unitary W

    @property
    def _thr(self) -> np.ndarray:
        """Radii of the coordinate discs: ``λ w`` (QCBP: ``w``)."""
        return getattr(self, "lam", 1.0) * self.weights

    # -- internal linear algebra -------------------------------------------------------
    def _require_unitary(self, method: str) -> None:
        if self.W is not None and not self.W.unitary:
            raise InvalidArgument(
                f"{method} needs a unitary W (synthesis form c = Wz); this W is not unitary "
                "(analysis form, e.g. total variation): only objective() is available"
            )

    def _arg(self, v: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
        arr = as_array(v, name)
        if arr.shape != tuple(shape):
            raise InvalidArgument(f"{name} has shape {arr.shape}: pass an array of shape {tuple(shape)}")
        if np.iscomplexobj(arr) and not self.is_complex:
            msg = f"pass a complex operator or real {name}"
            raise InvalidArgument(f"{name} is complex but the problem is real (A and W are real): {msg}")
        return arr

    def _zy(self, z: Any, y: Any, support_tol: float | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Validated ``z, y`` with ``c = Wz`` (flat) and ``r = Az − y``.

        With ``support_tol``, entries ``|c_i| ≤ support_tol·max|c|`` are set to 0.
        """
        z = self._arg(z, "z", self.A.in_shape)
        y = self._arg(y, "y", self.A.out_shape)
        c = self._coef(z)
        if support_tol is not None and c.size:
            tol = _real_scalar(support_tol, "support_tol")
            if tol < 0:
                raise InvalidArgument(f"support_tol = {tol} is negative: pass a value ≥ 0")
            c = np.where(np.abs(c) <= tol * float(np.max(np.abs(c))), 0, c)
        return z, y, c, np.asarray(self.A.apply(z)) - y

    def _coef(self, z: np.ndarray) -> np.ndarray:
        return (z if self.W is None else np.asarray(self.W.apply(z))).reshape(-1)

    def _Bt(self, u: np.ndarray) -> np.ndarray:
        """``B^* u = W A^* u`` as a flat vector."""
        x = np.asarray(self.A.adjoint(u))
        return self._coef(x)

    def _B(self, c: np.ndarray) -> np.ndarray:
        """``B c = A W^* c``."""
        if self.W is None:
            return np.asarray(self.A.apply(c.reshape(self.A.in_shape)))
        return np.asarray(self.A.apply(np.asarray(self.W.adjoint(c.reshape(self.W.out_shape)))))

    def _penalty(self, c: np.ndarray) -> float:
        return float(np.sum(self.weights * np.abs(c)))

    def _zero_tol(self, y: np.ndarray) -> float:
        return ZERO_RESIDUAL_TOL * float(np.linalg.norm(y))

    def _max_scale(self, v: np.ndarray, norm_bound: float = np.inf) -> float:
        """Largest ``s ≥ 0`` with ``|B^*(s v)| ≤ thr`` and ``‖s v‖ ≤ norm_bound``."""
        g = np.abs(self._Bt(v))
        pos = g > 0
        s = float(np.min(self._thr[pos] / g[pos])) if np.any(pos) else np.inf
        nv = float(np.linalg.norm(v))
        return min(s, norm_bound / nv) if nv > 0 else s

    def _dual_feasible(self, u: np.ndarray, norm_bound: float = np.inf) -> bool:
        ok = bool(np.all(np.abs(self._Bt(u)) <= self._thr * (1 + _DUAL_FEAS_TOL)))
        return ok and float(np.linalg.norm(u)) <= norm_bound * (1 + _DUAL_FEAS_TOL)

    def _min_over_ball(self, c: np.ndarray, radius: float, max_iter: int) -> tuple[float, np.ndarray]:
        """``min_{‖u‖ ≤ radius} ‖nearest(B^*u, c, thr)‖`` by FISTA with adaptive restart.

        The squared distance is convex in ``u`` with ``‖B‖²``-Lipschitz gradient
        ``B·nearest(B^*u)``. Returns the best value seen (an upper bound of the
        minimum, exact up to the solver's tolerance) and its ``u``.
        """
        thr = self._thr
        dtype = np.complex128 if self.is_complex else np.float64
        u = np.zeros(self.A.out_shape, dtype=dtype)
        G = self._Bt(u)
        d = best = float(np.linalg.norm(_nearest(G, c, thr)))
        best_u = u
        L = self._norm_B**2
        if L == 0 or best == 0:
            return best, best_u
        yk, Gy, t = u, G, 1.0
        for _ in range(max_iter):
            un = yk - self._B(_nearest(Gy, c, thr)) / L
            nu = float(np.linalg.norm(un))
            if nu > radius:
                un = un * (radius / nu)
            Gn = self._Bt(un)
            dn = float(np.linalg.norm(_nearest(Gn, c, thr)))
            if dn < best:
                best, best_u = dn, un
            step = float(np.linalg.norm(un - u))
            if best == 0 or step <= 1e-15 * max(1.0, float(np.linalg.norm(un))):
                break
            if dn > d:  # restart the momentum
                yk, Gy, t = un, Gn, 1.0
            else:
                tn = (1 + math.sqrt(1 + 4 * t * t)) / 2
                beta = (t - 1) / tn
                yk, Gy, t = un + beta * (un - u), Gn + beta * (Gn - G), tn
            u, G, d = un, Gn, dn
        return best, best_u

    # -- public API shared by the programs ---------------------------------------------
    def objective(self, z: Any, y: Any) -> float:  # pragma: no cover - overridden
        """Objective value at ``z`` for data ``y`` (see subclasses)."""
        raise NotImplementedError

    def dual_point(self, z: Any, y: Any) -> np.ndarray:  # pragma: no cover - overridden
        """A dual-feasible point built from the residual at ``z`` (see subclasses)."""
        raise NotImplementedError

    def optimality_residual(self, z: Any, y: Any) -> float:  # pragma: no cover - overridden
        """Distance from 0 to the subdifferential of the objective at ``z`` (see subclasses)."""
        raise NotImplementedError

    def dual_objective(self, u: Any, y: Any) -> float:  # pragma: no cover - overridden
        """Dual objective at ``u`` (see subclasses)."""
        raise NotImplementedError

    def _gap_defined(self, z: np.ndarray, y: np.ndarray) -> bool:
        return True

    def duality_gap(self, z: Any, y: Any) -> float:
        """Duality gap ``objective(z) − dual_objective(dual_point(z))``.

        By weak duality the gap is ≥ 0 and bounds ``objective(z) − min``; gap = 0
        certifies that ``z`` is a minimiser in exact arithmetic. Negative values
        caused by rounding are returned as 0. For QCBP the gap is only meaningful
        for feasible ``z`` (within ``ACTIVE_TOL``): it is ``inf`` otherwise.

        Parameters
        ----------
        z : array_like, shape ``A.in_shape``
        y : array_like, shape ``A.out_shape``

        Returns
        -------
        float

        Theorem: weak duality for the Fenchel duals of docs/theory.md §1's programs.
        Rigor: numerical (float64); for proven certificates use theorycheck.solvers.exact.
        """
        self._require_unitary("duality_gap")
        z, y, _, _ = self._zy(z, y)
        if not self._gap_defined(z, y):
            return math.inf
        gap = self.objective(z, y) - self.dual_objective(self.dual_point(z, y), y)
        return max(0.0, float(gap))


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class QCBP(Program):
    """(P1) Quadratically constrained basis pursuit ``min ‖Wz‖_{1,w} s.t. ‖Az − y‖₂ ≤ η``.

    Parameters
    ----------
    A : array_like or LinearOperator
        The measurement operator ``C^N → C^m``.
    eta : float
        Noise level ``η ≥ 0`` (``η = 0``: basis pursuit ``Az = y``).
    weights : array_like, optional
        Positive weights, one per entry of ``Wz`` (default all ones).
    W : LinearOperator, optional
        Sparsifier with ``W.in_shape == A.in_shape``.

    Theorem: (P1) of docs/theory.md §1 and its optimality conditions.
    Rigor: numerical (float64); for proven certificates use theorycheck.solvers.exact.

    Examples
    --------
    >>> P = QCBP([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], eta=2.0**0.5)
    >>> P.objective([1.0, 0.0, 0.0], [2.0, 1.0])
    1.0
    >>> round(P.optimality_residual([1.0, 0.0, 0.0], [2.0, 1.0]) ** 2, 12)
    0.2
    """

    A: Any
    eta: float
    weights: Any = None
    W: Any = None
    _param_name: ClassVar[str] = "eta"

    def __post_init__(self) -> None:
        object.__setattr__(self, "eta", self._param_arg(self.eta, allow_zero=True))
        self._validate()

    def objective(self, z: Any, y: Any) -> float:
        """``‖Wz‖_{1,w}`` (whether or not ``z`` is feasible: see :meth:`constraint_violation`).

        Theorem: (P1) of docs/theory.md §1.
        Rigor: numerical (float64).
        """
        _, _, c, _ = self._zy(z, y)
        return self._penalty(c)

    def constraint_violation(self, z: Any, y: Any) -> float:
        """``max(0, ‖Az − y‖ − η)``.

        Theorem: (P1) of docs/theory.md §1.
        Rigor: numerical (float64).
        """
        _, _, _, r = self._zy(z, y)
        return max(0.0, float(np.linalg.norm(r)) - self.eta)

    def is_feasible(self, z: Any, y: Any, tol: float = 0.0) -> bool:
        """Whether ``‖Az − y‖ ≤ η + tol``.

        Theorem: (P1) of docs/theory.md §1.
        Rigor: numerical (float64).
        """
        tol = _real_scalar(tol, "tol")
        if tol < 0:
            raise InvalidArgument(f"tol = {tol} is negative: pass a tolerance ≥ 0")
        return self.constraint_violation(z, y) <= tol

    def zero_is_feasible(self, y: Any) -> bool:
        """Whether ``‖y‖ ≤ η``; then ``z = 0`` is a minimiser (objective 0).

        Theorem: (P1) of docs/theory.md §1.
        Rigor: numerical (float64).
        """
        y = self._arg(y, "y", self.A.out_shape)
        return float(np.linalg.norm(y)) <= self.eta

    def _state(self, z: np.ndarray, y: np.ndarray, active_tol: float = ACTIVE_TOL) -> str:
        n = float(np.linalg.norm(np.asarray(self.A.apply(z)) - y))
        if n < self.eta * (1 - active_tol):
            return "inside"
        if n <= max(self.eta * (1 + active_tol), self._zero_tol(y)):
            return "active"
        return "infeasible"

    def _gap_defined(self, z: np.ndarray, y: np.ndarray) -> bool:
        return self._state(z, y) != "infeasible"

    def optimality_residual(self, z: Any, y: Any, *, active_tol: float = ACTIVE_TOL,
                            support_tol: float = SUPPORT_TOL, max_iter: int = 10000) -> float:
        """Distance from 0 to ``∂(‖W·‖_{1,w} + ι_{‖A·−y‖≤η})(z)``.

        With ``c = Wz``, ``B = AW^*``, ``r = Bc − y``: ``inf`` if ``z`` is
        infeasible; if ``‖r‖ < η(1 − active_tol)`` the distance of 0 to
        ``∂‖c‖_{1,w}``; on the boundary ``min_{t ≥ 0}`` of the distance to
        ``t·B^*r/‖r‖ + ∂‖c‖_{1,w}``, minimised exactly (piecewise quadratic in
        ``t``). When the constraint is ``Az = y`` (``η ≈ 0`` and
        ``‖r‖ ≤ 1e-14‖y‖``) the normal cone is ``range(B^*)`` and the minimum
        over ``u`` is computed by FISTA (an upper bound, exact up to its tolerance).

        Parameters
        ----------
        z, y : array_like
            Candidate (shape ``A.in_shape``) and data (shape ``A.out_shape``).
        active_tol : float
            Relative width of the band ``|‖r‖ − η| ≤ active_tol·η`` treated as active.
        support_tol : float
            Entries ``|c_i| ≤ support_tol·max|c|`` count as zero (see the module docstring).
        max_iter : int
            Iterations of the inner solver (``η = 0`` case only).

        Returns
        -------
        float
            0 exactly at a minimiser in exact arithmetic.

        Theorem: QCBP optimality conditions of docs/theory.md §1 (Fermat's rule).
        Rigor: numerical (float64); for proven certificates use theorycheck.solvers.exact.
        """
        self._require_unitary("optimality_residual")
        active_tol = _real_scalar(active_tol, "active_tol")
        if not 0 <= active_tol < 1:
            raise InvalidArgument(f"active_tol = {active_tol}: pass a relative band width in [0, 1)")
        max_iter = _iterations(max_iter)
        z, y, c, r = self._zy(z, y, support_tol)
        state = self._state(z, y, active_tol)
        if state == "infeasible":
            return math.inf
        if state == "inside":
            return float(np.linalg.norm(_nearest(np.zeros_like(c), c, self._thr)))
        n = float(np.linalg.norm(r))
        if n <= self._zero_tol(y):
            return self._min_over_ball(c, np.inf, max_iter)[0]
        return _min_on_ray(self._Bt(r) / n, c, self._thr)

    def dual_point(self, z: Any, y: Any, *, max_iter: int = 10000) -> np.ndarray:
        """Dual-feasible ``u = s·(y − Az)/‖y − Az‖`` with the best feasible scale ``s ≥ 0``.

        The QCBP dual is ``max Re⟨y,u⟩ − η‖u‖ s.t. |(B^*u)_i| ≤ w_i``; along the
        ray it is linear in ``s``, so ``s`` is the largest feasible scale when
        the slope is positive and 0 otherwise. If ``Az = y`` and ``η = 0`` the
        ray is replaced by the inner solver's ``u`` (see :meth:`optimality_residual`).

        Theorem: Fenchel duality for (P1).
        Rigor: numerical (float64).
        """
        self._require_unitary("dual_point")
        max_iter = _iterations(max_iter)
        z, y, c, r = self._zy(z, y, SUPPORT_TOL)
        n = float(np.linalg.norm(r))
        if n > self._zero_tol(y):
            v = -r / n
        elif self.eta == 0:
            v = -self._min_over_ball(c, np.inf, max_iter)[1]  # 0 ∈ B^*u + ∂‖c‖ ⇒ −u is dual
        else:
            return np.zeros_like(r)
        s = self._max_scale(v)
        slope = float(np.real(np.vdot(y, v))) - self.eta * float(np.linalg.norm(v))
        return (s * v) if slope > 0 and math.isfinite(s) else np.zeros_like(v)

    def dual_objective(self, u: Any, y: Any) -> float:
        """``Re⟨y,u⟩ − η‖u‖`` if ``|(B^*u)_i| ≤ w_i`` (relative slack 1e-10), else ``−inf``.

        Theorem: Fenchel duality for (P1) (weak duality: ≤ the QCBP minimum).
        Rigor: numerical (float64).
        """
        self._require_unitary("dual_objective")
        u = self._arg(u, "u", self.A.out_shape)
        y = self._arg(y, "y", self.A.out_shape)
        if not self._dual_feasible(u):
            return -math.inf
        return float(np.real(np.vdot(y, u))) - self.eta * float(np.linalg.norm(u))


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Lasso(Program):
    """(P2) U-LASSO ``min λ‖Wz‖_{1,w} + ‖Az − y‖₂²`` (the seeds' scaling).

    scikit-learn's ``Lasso(alpha)`` and MATLAB's ``lasso`` minimise
    ``(1/(2m))‖y − Az‖² + α‖z‖₁``: the same problem with ``λ = 2·m·α``
    (:meth:`from_sklearn_alpha`, :attr:`sklearn_alpha`).

    Parameters
    ----------
    A : array_like or LinearOperator
        The measurement operator ``C^N → C^m``.
    lam : float
        ``λ > 0`` (``λ = 0`` is rejected: use a least-squares solver).
    weights : array_like, optional
        Positive weights, one per entry of ``Wz`` (default all ones).
    W : LinearOperator, optional
        Sparsifier with ``W.in_shape == A.in_shape``.

    Theorem: (P2) of docs/theory.md §1 and its optimality conditions.
    Rigor: numerical (float64); for proven certificates use theorycheck.solvers.exact.

    Examples
    --------
    >>> P = Lasso([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], lam=1.0)
    >>> P.objective([1.0, 0.0, 0.0], [2.0, 1.0])
    3.0
    >>> P.lambda_max([2.0, 1.0])
    6.0
    """

    A: Any
    lam: float
    weights: Any = None
    W: Any = None
    _param_name: ClassVar[str] = "lam"

    def __post_init__(self) -> None:
        object.__setattr__(self, "lam", self._param_arg(self.lam, allow_zero=False))
        self._validate()

    @classmethod
    def from_sklearn_alpha(cls, A: Any, alpha: float, weights: Any = None, W: Any = None) -> "Lasso":
        """The :class:`Lasso` solved by ``sklearn.linear_model.Lasso(alpha, fit_intercept=False)``.

        scikit-learn minimises ``(1/(2m))‖y − Az‖² + α‖z‖₁`` (MATLAB's ``lasso``
        uses the same ``1/(2m)`` scaling), so ``λ = 2·m·α``.

        Theorem: none (a change of scaling).
        Rigor: exact up to one floating-point multiplication.
        """
        op = as_operator(A)
        a = _real_scalar(alpha, "alpha")
        return cls(op, 2.0 * op.shape[0] * a, weights=weights, W=W)

    @property
    def sklearn_alpha(self) -> float:
        """scikit-learn's / MATLAB's ``α = λ/(2m)`` for this problem."""
        return self.lam / (2.0 * self.A.shape[0])

    def objective(self, z: Any, y: Any) -> float:
        """``λ‖Wz‖_{1,w} + ‖Az − y‖²``.

        Theorem: (P2) of docs/theory.md §1.
        Rigor: numerical (float64).
        """
        _, _, c, r = self._zy(z, y)
        return self.lam * self._penalty(c) + _sqnorm(r)

    def optimality_residual(self, z: Any, y: Any, *, support_tol: float = SUPPORT_TOL) -> float:
        """Distance from 0 to ``2B^*(Bc − y) + λ∂‖c‖_{1,w}`` (``c = Wz``, ``B = AW^*``).

        Coordinate-wise ``|g_i + λw_i c_i/|c_i||`` if ``c_i ≠ 0`` and
        ``max(0, |g_i| − λw_i)`` if ``c_i = 0`` (the subdifferential of the
        modulus at 0 is the closed unit disc), combined in the Euclidean norm.
        Entries ``|c_i| ≤ support_tol·max|c|`` count as zero (module docstring).

        Theorem: U-LASSO optimality conditions of docs/theory.md §1 (Fermat's rule).
        Rigor: numerical (float64); for proven certificates use theorycheck.solvers.exact.
        """
        self._require_unitary("optimality_residual")
        _, _, c, r = self._zy(z, y, support_tol)
        return float(np.linalg.norm(_nearest(2.0 * self._Bt(r), c, self._thr)))

    def dual_point(self, z: Any, y: Any) -> np.ndarray:
        """``u = 2(y − Bc)·min(1, min_i λw_i/|2B^*(y − Bc)|_i)`` (dual feasible).

        Theorem: Fenchel duality for (P2).
        Rigor: numerical (float64).
        """
        self._require_unitary("dual_point")
        _, _, _, r = self._zy(z, y)
        v = -2.0 * r
        return v * min(1.0, self._max_scale(v))

    def dual_objective(self, u: Any, y: Any) -> float:
        """``Re⟨y,u⟩ − ‖u‖²/4`` if ``|(B^*u)_i| ≤ λw_i`` (relative slack 1e-10), else ``−inf``.

        Theorem: Fenchel duality for (P2) (weak duality: ≤ the U-LASSO minimum).
        Rigor: numerical (float64).
        """
        self._require_unitary("dual_objective")
        u = self._arg(u, "u", self.A.out_shape)
        y = self._arg(y, "y", self.A.out_shape)
        if not self._dual_feasible(u):
            return -math.inf
        return float(np.real(np.vdot(y, u))) - _sqnorm(u) / 4.0

    def lambda_max(self, y: Any) -> float:
        """``max_i |2(B^*y)_i|/w_i``: the smallest ``λ`` for which ``z = 0`` is a minimiser.

        Theorem: U-LASSO optimality at ``z = 0`` (docs/theory.md §1).
        Rigor: numerical (float64).
        """
        self._require_unitary("lambda_max")
        y = self._arg(y, "y", self.A.out_shape)
        return float(np.max(np.abs(2.0 * self._Bt(y)) / self.weights))


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class SRLasso(Program):
    """(P3) Square-root LASSO ``min λ‖Wz‖_{1,w} + ‖Az − y‖₂``.

    Parameters
    ----------
    A : array_like or LinearOperator
        The measurement operator ``C^N → C^m``.
    lam : float
        ``λ > 0``.
    weights : array_like, optional
        Positive weights, one per entry of ``Wz`` (default all ones).
    W : LinearOperator, optional
        Sparsifier with ``W.in_shape == A.in_shape``.

    Theorem: (P3) of docs/theory.md §1 and its optimality conditions.
    Rigor: numerical (float64); for proven certificates use theorycheck.solvers.exact.

    Examples
    --------
    >>> P = SRLasso([[1.0, 0.0], [0.0, 1.0]], lam=0.5)
    >>> P.optimality_residual([1.0, 0.0], [1.0, 0.0]) < 1e-12   # Az = y, ‖u‖ ≤ 1 certificate
    True
    """

    A: Any
    lam: float
    weights: Any = None
    W: Any = None
    _param_name: ClassVar[str] = "lam"

    def __post_init__(self) -> None:
        object.__setattr__(self, "lam", self._param_arg(self.lam, allow_zero=False))
        self._validate()

    def objective(self, z: Any, y: Any) -> float:
        """``λ‖Wz‖_{1,w} + ‖Az − y‖``.

        Theorem: (P3) of docs/theory.md §1.
        Rigor: numerical (float64).
        """
        _, _, c, r = self._zy(z, y)
        return self.lam * self._penalty(c) + float(np.linalg.norm(r))

    def optimality_residual(self, z: Any, y: Any, *, support_tol: float = SUPPORT_TOL,
                            max_iter: int = 10000) -> float:
        """Distance from 0 to ``∂(λ‖·‖_{1,w} + ‖B· − y‖)(c)`` (``c = Wz``, ``B = AW^*``).

        If ``‖Bc − y‖ > 1e-14‖y‖``: the coordinate distance with
        ``g = B^*(Bc − y)/‖Bc − y‖``. Otherwise (``Az = y``) the subdifferential
        of the norm at 0 is ``{B^*u : ‖u‖ ≤ 1}`` and the minimum over ``u`` of
        the (convex) coordinate distance is computed by FISTA with restarts: the
        value returned is an upper bound of the distance, exact up to the inner
        solver's tolerance. Entries ``|c_i| ≤ support_tol·max|c|`` count as zero
        (module docstring); ``max_iter`` bounds the inner solver.

        Theorem: SR-LASSO optimality conditions of docs/theory.md §1 (Fermat's rule).
        Rigor: numerical (float64); for proven certificates use theorycheck.solvers.exact.
        """
        self._require_unitary("optimality_residual")
        max_iter = _iterations(max_iter)
        _, y, c, r = self._zy(z, y, support_tol)
        n = float(np.linalg.norm(r))
        if n <= self._zero_tol(y):
            return self._min_over_ball(c, 1.0, max_iter)[0]
        return float(np.linalg.norm(_nearest(self._Bt(r) / n, c, self._thr)))

    def dual_point(self, z: Any, y: Any, *, max_iter: int = 10000) -> np.ndarray:
        """``u = s·(y − Bc)/‖y − Bc‖`` scaled into ``{‖u‖ ≤ 1, |(B^*u)_i| ≤ λw_i}``.

        ``s`` is the largest feasible scale (the dual is linear along the ray;
        ``s = 0`` if the slope is negative). If ``Az = y`` the inner solver's
        ``u`` of :meth:`optimality_residual` replaces the ray.

        Theorem: Fenchel duality for (P3).
        Rigor: numerical (float64).
        """
        self._require_unitary("dual_point")
        max_iter = _iterations(max_iter)
        _, y, c, r = self._zy(z, y, SUPPORT_TOL)
        n = float(np.linalg.norm(r))
        # 0 ∈ B^*u + λ∂‖c‖_{1,w} ⇒ −u is the dual candidate (as −r/‖r‖ on the ray)
        v = -r / n if n > self._zero_tol(y) else -self._min_over_ball(c, 1.0, max_iter)[1]
        s = self._max_scale(v, 1.0)
        return (s * v) if float(np.real(np.vdot(y, v))) > 0 and math.isfinite(s) else np.zeros_like(v)

    def dual_objective(self, u: Any, y: Any) -> float:
        """``Re⟨y,u⟩`` if ``‖u‖ ≤ 1`` and ``|(B^*u)_i| ≤ λw_i`` (relative slack 1e-10), else ``−inf``.

        Theorem: Fenchel duality for (P3) (weak duality: ≤ the SR-LASSO minimum).
        Rigor: numerical (float64).
        """
        self._require_unitary("dual_objective")
        u = self._arg(u, "u", self.A.out_shape)
        y = self._arg(y, "y", self.A.out_shape)
        if not self._dual_feasible(u, 1.0):
            return -math.inf
        return float(np.real(np.vdot(y, u)))

    def lambda_max(self, y: Any) -> float:
        """``max_i |(B^*y)_i|/(w_i‖y‖)`` (0 for ``y = 0``): the smallest ``λ`` making ``z = 0`` optimal.

        Theorem: SR-LASSO optimality at ``z = 0`` (docs/theory.md §1).
        Rigor: numerical (float64).
        """
        self._require_unitary("lambda_max")
        y = self._arg(y, "y", self.A.out_shape)
        ny = float(np.linalg.norm(y))
        if ny == 0:
            return 0.0
        return float(np.max(np.abs(self._Bt(y)) / self.weights)) / ny


def program_kind(problem: Any) -> str:
    """``"qcbp"``, ``"lasso"`` or ``"srlasso"``; :class:`InvalidArgument` for anything else.

    Theorem: none.
    Rigor: not applicable.
    """
    if isinstance(problem, QCBP):
        return "qcbp"
    if isinstance(problem, Lasso):
        return "lasso"
    if isinstance(problem, SRLasso):
        return "srlasso"
    raise InvalidArgument(
        f"problem is a {type(problem).__name__}: pass a theorycheck program "
        "(QCBP, Lasso or SRLasso from theorycheck.problems.programs)"
    )
