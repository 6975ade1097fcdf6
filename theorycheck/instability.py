"""The universal instability theorem as executable, re-checkable certificates.

* :func:`check_instability`: given ``A``, ``Ψ`` and two images ``x, x′``, check
  the theorem's hypotheses (each with its margin), the witnessed lower bound on
  the local Lipschitz constant, the theorem's bound, a ball of ``y = Ax`` on
  which the bound holds, and the false-negative / false-positive inputs
  (THEORY.md §3 (a), (b)). Every number is computed from ``Ψ`` evaluated twice
  on the CPU in float64; :func:`verify_instability` re-checks a saved certificate.
* :func:`random_noise_instability`: how often random noise of a given norm
  makes ``Ψ`` err by more than a threshold (Clopper–Pearson interval), with the
  worst draw as a certified witness ("instabilities are not rare").
* :func:`accuracy_test` and :func:`sampling_monotonicity_test`: the seeds' two
  other tests (THEORY.md §4).
* :func:`audit_training_set`: every pair of a training set that forces any
  ``η``-accurate interpolant to be unstable, found before training.
* :func:`optimality_constant` and :func:`chebyshev_radius`: Paradox II's
  optimality constant of a finite set, with proven enclosures.

torch is imported only by the functions that evaluate a network.

Theorem: universal instability theorem (Gottschling–Antun–Adcock–Hansen),
THEORY.md §3–4; optimal maps (Paradox II), THEORY.md §3.
Rigor: per result: certified-float64 for re-evaluated witnesses, proven for the
Chebyshev-radius enclosures, numerical for sampled balls and solver baselines.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument, PreconditionError
from theorycheck.numerics.validation import integer_arg, real_arg
from theorycheck.numerics.backend import as_array, to_numpy
from theorycheck.results import (
    CheckResult,
    Outcome,
    Rigor,
    Witness,
    register_result,
    register_verifier,
)

__all__ = [
    "FalseDetection",
    "InstabilityCertificate",
    "NoiseInstabilityResult",
    "TrainingSetAudit",
    "OptimalityConstant",
    "ChebyshevRadius",
    "check_instability",
    "verify_instability",
    "verify_noise_instability",
    "verify_accuracy",
    "verify_sampling_monotonicity",
    "verify_training_set_audit",
    "verify_optimality_constant",
    "verify_chebyshev_radius",
    "random_noise_instability",
    "accuracy_test",
    "sampling_monotonicity_test",
    "audit_training_set",
    "optimality_constant",
    "chebyshev_radius",
]

_EPS = float(np.finfo(np.float64).eps)
_THEOREM = "universal instability theorem (THEORY.md §3)"


# --------------------------------------------------------------------------------------
# shared helpers (also used by theorycheck.search)
# --------------------------------------------------------------------------------------

def _operator(A: Any) -> Any:
    from theorycheck.problems.operators import as_operator

    if A is None:
        raise InvalidArgument("A is None: pass the sampling operator (a matrix or LinearOperator)")
    return as_operator(A)


def _images(x: Any, A: Any, name: str, *, batch: bool = False) -> np.ndarray:
    """``x`` as a float64/complex128 array of shape ``A.in_shape`` (or a batch of them)."""
    arr = as_array(x, name)
    core = tuple(A.in_shape)
    if arr.shape == core:
        return arr
    if batch and arr.ndim == len(core) + 1 and arr.shape[1:] == core:
        return arr
    hint = f": reshape it to {core}" if arr.size == math.prod(core) else ""
    want = f"{core}" + (f" or (batch, {', '.join(map(str, core))})" if batch else "")
    raise InvalidArgument(f"{name} has shape {arr.shape} but A's images have shape {want}{hint}")


def _norms(v: np.ndarray, batch: bool = True) -> np.ndarray:
    """Euclidean norms over all but the first axis (float64)."""
    v = np.asarray(v)
    flat = v.reshape(v.shape[0], -1) if batch else v.reshape(1, -1)
    return np.sqrt(np.sum(np.abs(flat) ** 2, axis=1))


def _norm(v: Any) -> float:
    return float(np.linalg.norm(np.asarray(v).ravel()))


def _rel_tol(A: Any) -> float:
    """Relative rounding allowance for float64 norms and differences of ``A``-sized vectors."""
    m, N = A.shape
    return _tol_mn(m, N)


def _tol_mn(m: int, N: int) -> float:
    """:func:`_rel_tol` from the sizes ``m = A.shape[0]``, ``N = A.shape[1]`` (verifiers recompute it)."""
    return 16.0 * (int(m) + int(N)) * _EPS


_U = 2.0 ** -53


def _down(v: float) -> float:
    """``v`` rounded down past a few ulps of the rounding of the operation that produced it."""
    v = float(v)
    if not math.isfinite(v) or v == 0.0:
        return float(np.nextafter(v, -math.inf)) if v == 0.0 else v
    v = v * (1 - 8 * _U) if v > 0 else v * (1 + 8 * _U)
    return float(np.nextafter(v, -math.inf))


def _up(v: float) -> float:
    """``v`` rounded up past a few ulps (thresholds such as ``ε ≥ ‖A(x − x′)‖``)."""
    return -_down(-float(v))


def _lower_ratio(change: Any, dist: Any, tol: float) -> Any:
    """Certified lower bound on ``‖ΔΨ‖_exact/‖Δy‖_exact`` from float64 norms (0 where ``dist = 0``).

    The norms carry relative errors below ``tol`` (:func:`_rel_tol`); the quotient and the
    product are then rounded down. Scalars give a float, arrays an array.
    """
    c, d = np.asarray(change, dtype=float), np.asarray(dist, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(d > 0, c / np.where(d > 0, d, 1.0), 0.0) * (1 - tol)
    r = np.where(r > 0, np.nextafter(r * (1 - 8 * _U), -np.inf), 0.0)
    return float(r) if r.ndim == 0 else r


def _theorem_bound_value(D: float, eta: float, eps: float, tol: float) -> float:
    """``(‖x − x′‖ − 2η)/ε`` rounded down, with ``D`` the float64 norm (relative error < ``tol``)."""
    num = _down(float(D) * (1 - tol) - 2 * float(eta))
    return _down(num / float(eps))


def _psi_map(psi: Any, A: Any) -> Any:
    from theorycheck.nets.adapters import as_reconstruction_map

    return as_reconstruction_map(psi).bind(A)


def _apply(A: Any, x: np.ndarray) -> np.ndarray:
    y = np.asarray(A.apply(x))
    return y.astype(np.complex128 if np.iscomplexobj(y) else np.float64, copy=False)


def _operator_record(A: Any) -> dict[str, Any]:
    """What a verifier needs to rebuild ``A``: a mask for subsampled transforms, else a dense matrix."""
    from theorycheck.problems import operators as ops

    if type(A) in (ops.SubsampledFourier, ops.SubsampledDCT, ops.SubsampledWalshHadamard):
        return {"kind": type(A).__name__, "mask": np.asarray(A.mask)}
    m, N = A.shape
    if isinstance(A, ops.MatrixOperator) or m * N <= 2 ** 22:
        return {"kind": "dense", "matrix": A.to_dense(), "in_shape": tuple(A.in_shape),
                "out_shape": tuple(A.out_shape)}
    return {"kind": "opaque", "description": repr(A), "in_shape": tuple(A.in_shape),
            "out_shape": tuple(A.out_shape)}


def _operator_from_record(rec: Mapping[str, Any]) -> Callable[[np.ndarray], np.ndarray] | None:
    """A float64 ``x ↦ Ax`` (batched) from :func:`_operator_record`, or None when opaque."""
    from theorycheck.problems import operators as ops

    kind = rec.get("kind")
    if kind in ("SubsampledFourier", "SubsampledDCT", "SubsampledWalshHadamard"):
        op = getattr(ops, kind)(rec["mask"])
        return lambda x: _apply(op, x)
    if kind == "dense":
        M = np.asarray(rec["matrix"])
        out_shape = tuple(rec["out_shape"])
        in_n = math.prod(tuple(rec["in_shape"]))

        def apply(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x)
            batch = x.shape[: x.ndim - len(tuple(rec["in_shape"]))]
            flat = x.reshape((-1, in_n))
            return (flat @ M.T).reshape(batch + out_shape)

        return apply
    return None


def _operator_from_record_op(rec: Mapping[str, Any]) -> Any:
    """The LinearOperator of a record (for re-evaluating ``Ψ``), or None when opaque."""
    from theorycheck.problems import operators as ops

    kind = rec.get("kind")
    if kind in ("SubsampledFourier", "SubsampledDCT", "SubsampledWalshHadamard"):
        return getattr(ops, kind)(rec["mask"])
    if kind == "dense":
        if len(tuple(rec["in_shape"])) == 1 and len(tuple(rec["out_shape"])) == 1:
            return ops.MatrixOperator(rec["matrix"])
        return _ReshapedMatrix(np.asarray(rec["matrix"]), tuple(rec["in_shape"]), tuple(rec["out_shape"]))
    return None


def _ReshapedMatrix(M: np.ndarray, in_shape: tuple, out_shape: tuple) -> Any:
    from theorycheck.problems.operators import LinearOperator, MatrixOperator

    class Reshaped(LinearOperator):
        def __init__(self) -> None:
            self.base = MatrixOperator(M)
            self.in_shape, self.out_shape = in_shape, out_shape
            self.dtype = self.base.dtype

        def _apply(self, x: Any) -> Any:
            b = tuple(x.shape[: len(x.shape) - len(in_shape)])
            return self.base._apply(x.reshape(b + (-1,))).reshape(b + out_shape)

        def _adjoint(self, y: Any) -> Any:
            b = tuple(y.shape[: len(y.shape) - len(out_shape)])
            return self.base._adjoint(y.reshape(b + (-1,))).reshape(b + in_shape)

    return Reshaped()


def _decide(margin: float, tol: float) -> bool | None:
    """True/False when ``margin`` is clearly positive/negative beyond rounding ``tol``; else None."""
    if margin > tol:
        return True
    if margin < -tol:
        return False
    return None




def _random_directions(rng: np.random.Generator, count: int, shape: tuple, cplx: bool) -> np.ndarray:
    """``count`` unit vectors uniformly distributed on the sphere of ``R^shape`` (``C^shape``)."""
    u = rng.standard_normal((count,) + shape)
    if cplx:
        u = u + 1j * rng.standard_normal((count,) + shape)
    n = _norms(u).reshape((count,) + (1,) * len(shape))
    return u / n


# --------------------------------------------------------------------------------------
# result classes
# --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, eq=False)
class FalseDetection:
    """A false negative (a detail vanishes) or false positive (a detail appears).

    ``Ψ`` is fed the measurements of ``truth`` plus the noise ``e``
    (``input = A·truth + e``) and returns ``output``.

    Attributes
    ----------
    kind : str
        ``"false_negative"`` (truth ``x′ = x + z``, noise ``e = A(x − x′)``:
        ``Ψ`` returns about ``x``) or ``"false_positive"`` (truth ``x``, noise
        ``e = A(x′ − x)``: ``Ψ`` returns about ``x′``).
    e : numpy.ndarray
        The measurement perturbation, ``‖e‖ = ‖A(x − x′)‖ ≤ η``.
    input, output, truth : numpy.ndarray
        ``A·truth + e``, ``Ψ(input)`` and the image that was measured.
    error : float
        ``‖output − truth‖``: the reconstruction error caused by ``e``.
    other_distance : float
        ``‖output − other‖`` with ``other`` the image of the pair that was *not*
        measured (small: ``Ψ`` returns it).
    noise_norm : float
        ``‖e‖``.

    Theorem: universal instability theorem (b) (THEORY.md §3).
    Rigor: certified-float64 (the certificate's rigor).
    """

    kind: str
    e: np.ndarray
    input: np.ndarray
    output: np.ndarray
    truth: np.ndarray
    error: float
    other_distance: float
    noise_norm: float

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FalseDetection):
            return NotImplemented
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if not (np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)):
                    return False
            elif a != b and not (isinstance(a, float) and math.isnan(a) and math.isnan(b)):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]


def _false_detection(v: Any) -> Any:
    if isinstance(v, Mapping):
        return FalseDetection(**dict(v))
    return v


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class InstabilityCertificate(CheckResult):
    """Certificate of the universal instability theorem for one pair ``x, x′``.

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s)
    ----------------------------------------------------------------
    lower_bound : float
        The witnessed ratio ``‖Ψ(Ax) − Ψ(Ax′)‖/‖A(x − x′)‖`` (rounded down): a
        lower bound on ``L^ε(Ψ, Ax)`` for every ``ε ≥ ‖A(x − x′)‖``, whatever
        the hypotheses.
    eta : float
        The ``η`` of the hypotheses (the smallest one when not given).
    hypotheses : dict
        name → ``(holds, margin)``; ``holds`` is None when the margin is below
        float64 rounding.
    ball_radius : float
        Radius of a ball ``B_y`` around ``Ax`` on which
        ``L^ε(Ψ, ỹ) ≥ (‖x − x′‖ − 2η)/ε`` for all ``ε ≥ η`` was checked
        (``values["ball_rigor"]``: certified at the centre, sampled inside).
    false_negative, false_positive : FalseDetection or None

    ``outcome`` is ``holds`` when every hypothesis is certified (then ``Ψ`` is
    unstable at ``Ax``), ``inconclusive`` otherwise (the message says why; the
    witnessed ratio is still valid).

    Theorem: universal instability theorem (THEORY.md §3).
    Rigor: certified-float64 (Ψ evaluated twice on the CPU in float64), or
    numerical with an inconclusive outcome when those evaluations disagree.
    """

    lower_bound: float = math.nan
    eta: float = math.nan
    hypotheses: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    ball_radius: float = 0.0
    false_negative: FalseDetection | None = None
    false_positive: FalseDetection | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        hyp = {str(k): tuple(v) for k, v in dict(self.hypotheses or {}).items()}
        object.__setattr__(self, "hypotheses", hyp)
        object.__setattr__(self, "false_negative", _false_detection(self.false_negative))
        object.__setattr__(self, "false_positive", _false_detection(self.false_positive))

    @property
    def certified(self) -> bool:
        """True when the theorem's conclusion is certified (``holds`` at rigor ≥ certified-float64)."""
        return self.holds and self.rigor >= Rigor.CERTIFIED_FLOAT64

    def _tol(self) -> float:
        """The rounding allowance, recomputed from the witness's sizes (never read from a file)."""
        w = self.witness
        if w is not None and "x" in w.data and "y" in w.data:
            return _tol_mn(np.asarray(w["y"]).size, np.asarray(w["x"]).size)
        return max(float(self.values.get("tolerance", 0.0)), _tol_mn(1, 1))

    def theorem_bound(self, eps: float) -> float:
        """The theorem's bound ``(‖x − x′‖ − 2η)/ε`` on ``L^ε(Ψ, ỹ)``, for ``ε ≥ η`` (rounded down).

        Raises :class:`~theorycheck.errors.PreconditionError` (naming the
        hypothesis) unless the certificate holds at rigor ≥ certified-float64,
        and :class:`InvalidArgument` for ``ε < η`` (the theorem says nothing there).
        """
        eps = float(eps)
        if not self.certified:
            bad = [(k, h) for k, h in self.hypotheses.items() if h[0] is not True]
            if bad:
                k, (holds, margin) = bad[0]
                raise PreconditionError(
                    f"the theorem's bound needs every hypothesis certified: {k} "
                    f"{'fails' if holds is False else 'is undecided in float64'} (margin {margin:.3g}); "
                    f"{self.message}", hypothesis=k, margin=float(margin))
            raise PreconditionError(f"this certificate is not certified, so the theorem gives no bound "
                                    f"({self.message})", hypothesis="Ψ evaluated in float64")
        if "distance_images" not in self.values or not self.eta > 0:
            raise InvalidArgument(f"this certificate has no bound ({self.message})")
        if not (eps >= self.eta):
            raise InvalidArgument(f"the theorem's bound holds for ε ≥ η = {self.eta:.6g}, got ε = {eps}")
        return _theorem_bound_value(float(self.values["distance_images"]), self.eta, eps, self._tol())

    def witnessed_bound(self, eps: float) -> float:
        """The witnessed bound on ``L^ε(Ψ, Ax)``: ``lower_bound`` for ``ε ≥ ‖A(x − x′)‖`` (rounded up)."""
        eps = float(eps)
        if "distance_measurements" not in self.values:
            raise InvalidArgument(f"this certificate has no bound ({self.message})")
        # the float64 norm may be a few ulps below the exact distance: round the threshold up
        a = _up(float(self.values["distance_measurements"]) * (1 + self._tol()))
        if not (eps >= a):
            raise InvalidArgument(f"the witness pair is {a:.17g} apart (rounded up): pass ε ≥ {a:.17g}")
        return self.lower_bound


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class NoiseInstabilityResult(CheckResult):
    """How often random noise of a given norm makes ``Ψ`` err by more than a threshold.

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s)
    ----------------------------------------------------------------
    probability : float
        Fraction of draws with error ``> threshold``.
    interval : tuple of float
        Clopper–Pearson interval for the probability at ``values["confidence"]``.
    trials, exceedances : int
    worst_error : float
        Largest error over the draws (the witness re-evaluated in float64).

    Theorem: universal instability theorem, "not rare" (THEORY.md §3).
    Rigor: certified-float64 for the worst draw (one certified draw above the
    threshold proves a positive probability, by continuity of ``Ψ``); the
    interval is statistical.
    """

    probability: float = math.nan
    interval: tuple = (math.nan, math.nan)
    trials: int = 0
    exceedances: int = 0
    worst_error: float = math.nan

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "interval", tuple(self.interval))


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class TrainingSetAudit(CheckResult):
    """Pairs of a training set that force every ``η``-accurate interpolant to be unstable.

    Iterating over it (or indexing with an int) yields ``(i, j, lower_bound)``
    with ``i < j``, ``‖A(x_i − x_j)‖ ≤ η``, ``‖x_i − x_j‖ > 2η`` and
    ``lower_bound = (‖x_i − x_j‖ − 2η)/η``, the bound on ``L^η`` at ``Ax_i``
    of any map with ``‖Ψ(Ax_k) − x_k‖ < η`` on the set; sorted by decreasing
    bound. ``outcome`` is ``violated`` when such pairs exist.

    Theorem: universal instability theorem, training version (THEORY.md §3).
    Rigor: certified-float64 (every reported pair recomputed directly, twice).
    """

    pairs: tuple = ()
    eta: float = math.nan

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "pairs", tuple((int(i), int(j), float(b)) for i, j, b in self.pairs))

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (int, np.integer, slice)):
            return self.pairs[key]
        return self.values[key]


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class ChebyshevRadius(CheckResult):
    """Chebyshev radius ``min_c max_i ‖c − p_i‖`` of a finite point set, with a proven enclosure.

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s)
    ----------------------------------------------------------------
    value : float
        Float64 estimate (the optimum of the refined active-set solve).
    lower, upper : float
        Proven bounds: ``lower² = f(λ)`` of a point ``λ`` of the simplex in the
        dual ``max_λ Σλ_i‖p_i‖² − ‖Σλ_i p_i‖²``, ``upper`` the largest distance
        from the centre ``c = Σλ_i p_i``, both in ball arithmetic.
    center : numpy.ndarray
        ``c`` (float64).
    support : tuple of int
        Points at distance ``≈ upper`` from ``c``.

    Theorem: minimum enclosing ball duality (THEORY.md §3, Paradox II).
    Rigor: proven (ball arithmetic on the exact float inputs).
    """

    value: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    center: Any = None
    support: tuple = ()

    def __float__(self) -> float:
        return float(self.value)


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class OptimalityConstant(CheckResult):
    """Optimality constant ``c_opt(A, M₁)`` of a finite set (Paradox II).

    ``float(result)`` and ``value`` give the float64 estimate; ``lower`` and
    ``upper`` a proven enclosure; ``kersize`` the largest ``‖x − x′‖`` over
    pairs with ``‖Ax − Ax′‖ ≤ 2η`` and the bounds
    ``kersize/2 ≤ c_opt ≤ kersize`` are checked (``values``).
    ``subset`` holds the indices of a set attaining ``c_opt``.

    Theorem: optimal maps, Paradox II (THEORY.md §3).
    Rigor: proven when every feasibility decision was decided in ball
    arithmetic; otherwise the enclosure is widened to cover both answers.
    """

    value: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    kersize: float = math.nan
    subset: tuple = ()

    def __float__(self) -> float:
        return float(self.value)


# --------------------------------------------------------------------------------------
# the certificate
# --------------------------------------------------------------------------------------

_H_ACC_X = "‖Ψ(Ax) − x‖ < η"
_H_ACC_XP = "‖Ψ(Ax′) − x′‖ < η"
_H_MEAS = "‖Ax − Ax′‖ ≤ η"
_H_FAR = "‖x − x′‖ > 2η"


def _hypotheses(eta: float, dx: float, dxp: float, a: float, D: float,
                tols: Mapping[str, float]) -> dict[str, tuple]:
    margins = {_H_ACC_X: eta - dx, _H_ACC_XP: eta - dxp, _H_MEAS: eta - a, _H_FAR: D - 2 * eta}
    return {k: (_decide(v, tols[k]), float(v)) for k, v in margins.items()}


def _batch_independent(psi_map: Any, Y: np.ndarray, out: np.ndarray, dtype: Any = "float64",
                       device: Any = None, rtol: float = 1e-9) -> bool:
    """Whether the batched outputs ``out`` match ``Ψ`` evaluated on each sample alone."""
    single = np.concatenate([psi_map.evaluate_batch(Y[i:i + 1], dtype=dtype, device=device)
                             for i in range(Y.shape[0])])
    return single.shape == out.shape and _arr_close(single, out, rtol)


def _ball_radius(psi_map: Any, y: np.ndarray, delta: np.ndarray, need: float, samples: int,
                 seed: Any, guess: float) -> tuple[float, int, str]:
    """Largest tested radius ``ρ`` with ``‖Ψ(ỹ) − Ψ(ỹ + Δ)‖ ≥ need`` at sampled ``ỹ ∈ B(y, ρ)``.

    Each sample point gives ``L^ε(Ψ, ỹ) ≥ need/‖Δ‖`` for every ``ε ≥ ‖Δ‖``.
    Radii ``guess·2^k`` are tested, doubling (up to 16 times) while they
    pass, or halving (up to 8 times) until one passes (0 otherwise). The
    points are evaluated in batches; the first batch is compared with ``Ψ``
    evaluated on each point alone, and a batch-dependent ``Ψ`` gets radius 0.
    """
    a = _norm(delta)
    if samples <= 0 or a == 0 or not math.isfinite(need) or not guess > 0:
        return 0.0, 0, ""
    cplx = bool(np.iscomplexobj(y) or np.iscomplexobj(delta))
    dim = y.size * (2 if cplx else 1)
    tested = 0
    checked = [False]

    class _BatchDependent(Exception):
        pass

    def passes(rho: float) -> bool:
        nonlocal tested
        rng = np.random.default_rng(seed)
        u = _random_directions(rng, samples, y.shape, cplx)
        # half the points on the sphere, half uniform inside the ball
        radii = np.ones(samples)
        radii[samples // 2:] = rng.random(samples - samples // 2) ** (1.0 / dim)
        pts = y[None] + rho * radii.reshape((-1,) + (1,) * y.ndim) * u
        Y = np.concatenate([pts, pts + delta[None]])
        out = psi_map.evaluate_batch(Y, dtype="float64")
        if not checked[0]:
            checked[0] = True
            if not _batch_independent(psi_map, Y, out):
                raise _BatchDependent
        tested += 2 * samples
        diff = _norms(out[:samples] - out[samples:])
        return bool(np.all(np.isfinite(diff)) and np.all(diff >= need))

    try:
        if passes(guess):
            rho = guess
            for k in range(1, 17):
                if not passes(guess * 2 ** k):
                    break
                rho = guess * 2 ** k
            return rho, tested, ""
        for k in range(1, 9):
            if passes(guess * 2.0 ** -k):
                return guess * 2.0 ** -k, tested, ""
    except _BatchDependent:
        return 0.0, tested, ("Ψ's outputs depend on the other samples of a batch: the ball was not "
                             "sampled (radius 0)")
    return 0.0, tested, ""


def check_instability(psi: Any, A: Any, x: Any, x_prime: Any, *, eta: float | None = None,
                      ball_samples: int = 16, seed: Any = 0) -> InstabilityCertificate:
    """Certify the universal instability theorem for ``Ψ`` on the pair ``x, x′``.

    ``Ψ`` is evaluated twice on the CPU in float64 at ``Ax``, ``Ax′`` and the
    false-negative/positive inputs; every reported number comes from those
    evaluations. Then:

    * hypotheses, each with its margin: ``‖Ψ(Ax) − x‖ < η``,
      ``‖Ψ(Ax′) − x′‖ < η``, ``‖Ax − Ax′‖ ≤ η``, ``‖x − x′‖ > 2η`` (``Ψ``
      continuous is assumed: true for networks of continuous layers);
    * the witnessed bound ``L^ε(Ψ, Ax) ≥ ‖Ψ(Ax) − Ψ(Ax′)‖/‖A(x − x′)‖`` for every
      ``ε ≥ ‖A(x − x′)‖`` (``lower_bound``), and the theorem's
      ``(‖x − x′‖ − 2η)/ε`` for ``ε ≥ η`` (:meth:`~InstabilityCertificate.theorem_bound`);
    * a ball ``B_y`` around ``Ax`` on which the theorem's bound was checked at
      ``ball_samples`` random points per tested radius (radii doubled from a
      Lipschitz-style guess while they pass; numerical; radius 0 means only
      the certified centre);
    * the false negative (measure ``x′``, add ``e = A(x − x′)``: ``Ψ`` returns
      about ``x``, the detail ``x′ − x`` vanishes) and the false positive
      (measure ``x``, add ``e = A(x′ − x)``: a detail appears).

    Parameters
    ----------
    psi : torch.nn.Module, callable or ReconstructionMap
        The reconstruction map (see :func:`~theorycheck.nets.adapters.as_reconstruction_map`).
    A : array_like or LinearOperator
        Sampling operator.
    x, x_prime : array_like
        Two different images of shape ``A.in_shape``.
    eta : float, optional
        ``η > 0``. Default: the smallest ``η`` for which the hypotheses hold
        (``max(‖Ψ(Ax) − x‖, ‖Ψ(Ax′) − x′‖, ‖A(x − x′)‖)``, raised by float64
        rounding), reported in the message.
    ball_samples : int
        Random points per tested radius of ``B_y`` (0: skip the ball).
    seed : int or numpy.random.Generator
        Seed of the ball's random points.

    Returns
    -------
    InstabilityCertificate
        ``holds`` (certified-float64) when every hypothesis holds beyond
        rounding; ``inconclusive`` with the reason otherwise (a hypothesis
        fails or is undecided, or ``Ψ`` returned NaN/inf or different outputs on
        the two evaluations).

    Raises
    ------
    PreconditionError
        ``x == x′``.
    InvalidArgument
        Shapes of ``x``, ``x′``, ``A`` and ``Ψ`` do not match, non-finite data, ``η ≤ 0``.

    Theorem: universal instability theorem (a), (b) (THEORY.md §3; seeds 002, 004).
    Rigor: certified-float64 (Ψ evaluated twice on the CPU in float64, all
    arithmetic in float64 with margins beyond rounding); the ball radius is
    numerical (sampled) unless 0.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0], [0.0, 1e-3]])
    >>> psi = lambda y: np.array([y[0], 1e3 * y[1]])   # exact inverse: far too accurate
    >>> cert = check_instability(psi, A, [0.0, 0.0], [0.0, 1.0], ball_samples=0)
    >>> cert.outcome.value, round(cert.lower_bound)
    ('holds', 1000)
    """
    A = _operator(A)
    xv = _images(x, A, "x")
    xpv = _images(x_prime, A, "x_prime")
    if np.array_equal(xv, xpv):
        raise PreconditionError("x and x_prime are equal: the theorem needs two different images",
                                hypothesis="x ≠ x′", margin=0.0)
    if eta is not None:
        eta = real_arg(eta, "eta")
    ball_samples = integer_arg(ball_samples, "ball_samples", minimum=0)
    pm = _psi_map(psi, A)
    y, yp = _apply(A, xv), _apply(A, xpv)
    e_fn = y - yp                 # A(x − x′)
    e_fp = yp - y                 # A(x′ − x)
    y_fn, y_fp = yp + e_fn, y + e_fp
    ev = pm.evaluate_float64(np.stack([y, yp, y_fn, y_fp]))
    rec = _operator_record(A)
    base = {"x": xv, "x_prime": xpv, "y": y, "y_prime": yp, "y_fn": y_fn, "y_fp": y_fp,
            "operator": rec}
    if not ev.ok or ev.reason:  # NaN, irreproducible, or not a float64 evaluation
        return InstabilityCertificate(
            "instability", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
            f"not certified: {ev.reason}", values={"psi_precision": ev.precision},
            witness=Witness("instability_pair", base), theorem=_THEOREM)
    p, pp, p_fn, p_fp = ev.output
    tol = _rel_tol(A)
    D = _norm(xv - xpv)
    a = _norm(e_fn)
    dx, dxp = _norm(p - xv), _norm(pp - xpv)
    dpsi = _norm(p - pp)
    nx, nxp, ny, nyp = _norm(xv), _norm(xpv), _norm(y), _norm(yp)
    tols = {_H_ACC_X: tol * (_norm(p) + nx), _H_ACC_XP: tol * (_norm(pp) + nxp),
            _H_MEAS: tol * (ny + nyp), _H_FAR: tol * (nx + nxp)}
    if a > 0:
        ratio = dpsi / a
        lower = _lower_ratio(dpsi, a, tol)
    else:  # identical measurements: Ψ(Ax) = Ψ(Ax′), no ratio (and the hypotheses cannot hold)
        ratio, lower = math.nan, 0.0
    eta_min = max(dx, dxp, a)
    chosen = eta is None
    if chosen:
        # the smallest η, raised past rounding so the strict inequalities hold with a margin
        eta = eta_min + 2 * max(tols[_H_ACC_X], tols[_H_ACC_XP], tols[_H_MEAS]) + tol * eta_min
    hyp = _hypotheses(eta, dx, dxp, a, D, tols)
    all_hold = all(h[0] is True for h in hyp.values())
    # the theorem's bound is reported only when the hypotheses hold (rounded down)
    theorem_at_eta = _theorem_bound_value(D, eta, eta, tol) if all_hold else math.nan
    fn = FalseDetection("false_negative", e_fn, y_fn, p_fn, xpv, _norm(p_fn - xpv), _norm(p_fn - xv), a)
    fp = FalseDetection("false_positive", e_fp, y_fp, p_fp, xv, _norm(p_fp - xv), _norm(p_fp - xpv), a)
    radius, tested, ball_note = 0.0, 0, ""
    if all_hold:
        # first radius: the centre's slack over the local gain, a Lipschitz-style guess
        guess = min(a, (dpsi - (D - 2 * eta)) / (2 * ratio)) if ratio > 0 else a
        radius, tested, ball_note = _ball_radius(pm, y, yp - y, D - 2 * eta, ball_samples, seed, guess)
    values = {
        "distance_images": D, "distance_measurements": a, "error_x": dx, "error_x_prime": dxp,
        "output_distance": dpsi, "ratio": ratio, "eta_min": eta_min, "eta_chosen": chosen,
        "tolerance": tol, "psi_precision": ev.precision,
        "ball_samples": ball_samples, "ball_points_tested": tested,
        "ball_rigor": (Rigor.NUMERICAL.value if radius > 0 else Rigor.CERTIFIED_FLOAT64.value),
        "assumption": "Ψ continuous (true for networks built from continuous layers)",
    }
    if all_hold:
        values["theorem_bound_at_eta"] = theorem_at_eta
    if ball_note:
        values["ball_note"] = ball_note
    witness = Witness("instability_pair", {**base, "psi_y": p, "psi_y_prime": pp, "psi_fn": p_fn,
                                           "psi_fp": p_fp})
    eta_txt = (f"η = {eta:.6g} (the smallest η for which the hypotheses hold: "
               f"max(‖Ψ(Ax) − x‖, ‖Ψ(Ax′) − x′‖, ‖A(x − x′)‖) = {eta_min:.6g}, raised by rounding)"
               if chosen else f"η = {eta:.6g}")
    if all_hold:
        msg = (f"Ψ is unstable at Ax: L^ε(Ψ, Ax) ≥ {lower:.6g} for every ε ≥ {a:.3g} (witness pair), "
               f"and ≥ the theorem's (‖x − x′‖ − 2η)/ε for every ε ≥ η ({theorem_at_eta:.6g} at ε = η); "
               f"{eta_txt}; "
               f"false negative: the detail of norm {D:.3g} vanishes (error {fn.error:.3g}) under "
               f"noise of norm {a:.3g}")
        outcome = Outcome.HOLDS
    else:
        failed = [k for k, h in hyp.items() if h[0] is False]
        undecided = [k for k, h in hyp.items() if h[0] is None]
        if failed:
            why = "; ".join(f"{k} fails by {-hyp[k][1]:.3g}" for k in failed)
            if chosen:
                why += (f" (no η works: Ψ is not accurate enough on both images, "
                        f"‖Ψ(Ax) − x‖ + ‖Ψ(Ax′) − x′‖ = {dx + dxp:.3g} vs ‖x − x′‖ = {D:.3g}"
                        + (", and A(x − x′) = 0" if a == 0 else "") + ")")
        else:
            why = ("margins below float64 rounding for " + ", ".join(undecided)
                   + (": pass a slightly different eta" if not chosen else ""))
        msg = (f"the theorem does not apply with {eta_txt}: {why}; the witnessed ratio "
               f"L^ε(Ψ, Ax) ≥ {lower:.6g} for ε ≥ {a:.3g} still holds")
        outcome = Outcome.INCONCLUSIVE
    # an inconclusive certificate certifies nothing about the theorem: numerical
    rigor = Rigor.CERTIFIED_FLOAT64 if outcome is Outcome.HOLDS else Rigor.NUMERICAL
    return InstabilityCertificate(
        "instability", outcome, rigor, msg, values, witness, _THEOREM,
        lower_bound=float(lower), eta=float(eta), hypotheses=hyp, ball_radius=float(radius),
        false_negative=fn, false_positive=fp)


# --------------------------------------------------------------------------------------
# verification of saved certificates
# --------------------------------------------------------------------------------------

def _close(a: float, b: float, scale: float, rtol: float = 1e-9) -> bool:
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= rtol * max(abs(scale), abs(a), abs(b), 1e-300)


def _arr_close(a: Any, b: Any, rtol: float = 1e-12) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    scale = max(float(np.max(np.abs(a))) if a.size else 0.0, float(np.max(np.abs(b))) if b.size else 0.0)
    return bool(np.all(np.abs(a - b) <= rtol * max(scale, 1e-300)))


def verify_instability(cert: CheckResult, psi: Any = None) -> CheckResult:
    """Re-check a saved :class:`InstabilityCertificate` from its witness, in float64.

    Recomputes ``Ax`` and ``Ax′`` from the stored operator (mask or dense
    matrix), every norm, the ratio, the hypotheses' margins and verdicts, the
    theorem's bound and the false negative/positive from the stored ``x``,
    ``x′`` and ``Ψ`` outputs, and compares them with the saved claims. ``Ψ``
    itself cannot be stored in JSON: without ``psi`` its outputs are taken from
    the file (say so in the message); with ``psi`` they are re-evaluated twice
    on the CPU in float64 and must match.

    Parameters
    ----------
    cert : CheckResult
        A loaded ``instability`` result.
    psi : torch.nn.Module, callable or ReconstructionMap, optional
        The model, to re-evaluate ``Ψ``.

    Returns
    -------
    CheckResult
        ``verify:instability``: ``holds`` when every saved claim re-checks,
        ``violated`` (listing the discrepancies) for a tampered or inconsistent
        file, ``inconclusive`` when the file has no witness.

    Theorem: universal instability theorem (THEORY.md §3).
    Rigor: certified-float64 (never above the saved certificate's).
    """
    name = "verify:instability"
    w = cert.witness
    if not isinstance(cert, InstabilityCertificate) or w is None or "x" not in w.data:
        return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           "the saved result is not an instability certificate with a witness")
    problems: list[str] = []
    d = w.data
    try:
        x, xp = np.asarray(d["x"]), np.asarray(d["x_prime"])
        y, yp = np.asarray(d["y"]), np.asarray(d["y_prime"])
        rec = d["operator"]
    except KeyError as exc:
        return CheckResult(name, Outcome.VIOLATED, Rigor.NUMERICAL, f"the witness lacks {exc}")
    apply = _operator_from_record(rec) if isinstance(rec, Mapping) else None
    if apply is None:
        note_a = "A is not stored (opaque operator): Ax and Ax′ taken from the file"
    else:
        note_a = ""
        try:
            if not _arr_close(apply(x), y):
                problems.append("y ≠ Ax for the stored A and x")
            if not _arr_close(apply(xp), yp):
                problems.append("y′ ≠ Ax′ for the stored A and x′")
        except Exception as exc:  # noqa: BLE001 - a malformed file
            problems.append(f"cannot apply the stored operator: {exc}")
    if "psi_y" not in d:  # an inconclusive certificate without outputs: nothing more to check
        if cert.outcome is not Outcome.INCONCLUSIVE:
            problems.append("a conclusive certificate without Ψ outputs")
        return _verdict(name, cert, problems, "inconclusive certificate re-checked", False)
    p, pp = np.asarray(d["psi_y"]), np.asarray(d["psi_y_prime"])
    p_fn, p_fp = np.asarray(d["psi_fn"]), np.asarray(d["psi_fp"])
    v = cert.values
    D, a = _norm(x - xp), _norm(y - yp)
    dx, dxp, dpsi = _norm(p - x), _norm(pp - xp), _norm(p - pp)
    # the rounding allowance is recomputed from the sizes, never read from the file
    tol = _tol_mn(y.size, x.size)
    if "tolerance" in v and float(v["tolerance"]) != tol:
        problems.append(f"tolerance: saved {v.get('tolerance')!r}, recomputed {tol!r} from A's shape")
    checks = {"distance_images": D, "distance_measurements": a, "error_x": dx,
              "error_x_prime": dxp, "output_distance": dpsi}
    for k, val in checks.items():
        if k not in v or not _close(v[k], val, val):
            problems.append(f"{k}: saved {v.get(k)!r}, recomputed {val!r}")
    ratio = dpsi / a if a > 0 else math.nan
    if not _close(v.get("ratio", math.nan), ratio, ratio if a > 0 else 1.0):
        problems.append(f"ratio: saved {v.get('ratio')!r}, recomputed {ratio!r}")
    lb = float(cert.lower_bound)
    if a > 0:
        lb_max = _lower_ratio(dpsi, a, tol)
        if not (lb <= lb_max) or not (lb >= ratio * (1 - 2 * tol - 1e-12)):
            problems.append(f"lower_bound {lb!r} does not match the witnessed ratio {ratio!r} "
                            f"(at most {lb_max!r} after rounding down)")
    elif lb != 0.0:
        problems.append("lower_bound must be 0 when A(x − x′) = 0")
    eta = float(cert.eta)
    if not (eta > 0):
        problems.append(f"eta = {eta!r} is not positive")
    else:
        nx, nxp = _norm(x), _norm(xp)
        tols = {_H_ACC_X: tol * (_norm(p) + nx), _H_ACC_XP: tol * (_norm(pp) + nxp),
                _H_MEAS: tol * (_norm(y) + _norm(yp)), _H_FAR: tol * (nx + nxp)}
        hyp = _hypotheses(eta, dx, dxp, a, D, tols)
        saved = cert.hypotheses
        if set(saved) != set(hyp):
            problems.append(f"hypotheses: saved {sorted(saved)}, expected {sorted(hyp)}")
        for k, (holds, margin) in hyp.items():
            if k in saved:
                s_holds, s_margin = saved[k]
                if s_holds is not holds and s_holds != holds:
                    problems.append(f"hypothesis {k}: saved holds={s_holds}, recomputed {holds}")
                if not _close(s_margin, margin, max(eta, D)):
                    problems.append(f"hypothesis {k}: saved margin {s_margin!r}, recomputed {margin!r}")
        all_hold = all(h[0] is True for h in hyp.values())
        if cert.outcome is Outcome.HOLDS and not all_hold:
            problems.append("outcome 'holds' but the hypotheses do not all hold")
        if all_hold:
            tb = _theorem_bound_value(D, eta, eta, tol)
            stb = float(v.get("theorem_bound_at_eta", math.nan))
            if not (stb <= tb and _close(stb, tb, tb)):
                problems.append(f"theorem_bound_at_eta: saved {v.get('theorem_bound_at_eta')!r}, "
                                f"recomputed {tb!r} (rounded down)")
            if a > 0 and not (ratio >= tb * (1 - 1e-9)):
                problems.append("the witnessed ratio is below the theorem's bound: inconsistent data")
        elif "theorem_bound_at_eta" in v and not math.isnan(float(v["theorem_bound_at_eta"])):
            problems.append("theorem_bound_at_eta reported although the hypotheses do not all hold")
        if cert.outcome is not Outcome.HOLDS and cert.rigor >= Rigor.CERTIFIED_FLOAT64:
            problems.append(f"a '{cert.outcome.value}' certificate labelled {cert.rigor.value}: "
                            "only a certificate that holds is certified")
    # false negative / positive
    e_fn, e_fp = y - yp, yp - y
    for fd, kind, e, yin, out, truth, other in (
            (cert.false_negative, "false_negative", e_fn, d.get("y_fn"), p_fn, xp, x),
            (cert.false_positive, "false_positive", e_fp, d.get("y_fp"), p_fp, x, xp)):
        if yin is None or not _arr_close(np.asarray(yin), (yp if kind == "false_negative" else y) + e):
            problems.append(f"{kind}: stored input is not A·truth + e")
        if fd is None:
            problems.append(f"{kind} missing")
            continue
        if not (_arr_close(fd.e, e) and _arr_close(fd.output, out) and _arr_close(fd.truth, truth)):
            problems.append(f"{kind}: e, output or truth differ from the witness")
        if not _close(fd.error, _norm(out - truth), _norm(out - truth)):
            problems.append(f"{kind}: saved error {fd.error!r}, recomputed {_norm(out - truth)!r}")
        if not _close(fd.other_distance, _norm(out - other), _norm(out - other)):
            problems.append(f"{kind}: saved distance {fd.other_distance!r}, recomputed {_norm(out - other)!r}")
    reevaluated = False
    if psi is not None and not problems:
        op = _operator_from_record_op(rec) if isinstance(rec, Mapping) else None
        if op is None:
            problems.append("cannot re-evaluate Ψ: the operator is not stored")
        else:
            ev = _psi_map(psi, op).evaluate_float64(np.stack([y, yp, np.asarray(d["y_fn"]), np.asarray(d["y_fp"])]))
            if not ev.ok or ev.reason:
                problems.append(f"re-evaluating Ψ: {ev.reason}")
            else:
                for got, want, nm in zip(ev.output, (p, pp, p_fn, p_fp),
                                         ("Ψ(Ax)", "Ψ(Ax′)", "Ψ(false-negative input)", "Ψ(false-positive input)")):
                    if not _arr_close(got, want, 1e-9):
                        problems.append(f"{nm} re-evaluated differs from the stored output "
                                        f"(max diff {float(np.max(np.abs(got - want))):.3g})")
            reevaluated = True
    note = "Ψ re-evaluated twice in float64" if reevaluated else (
        "Ψ outputs taken from the file (pass psi= to re-evaluate the network)")
    if note_a:
        note += "; " + note_a
    return _verdict(name, cert, problems, note, reevaluated)


def _verdict(name: str, saved: CheckResult, problems: list[str], note: str,
             reevaluated: bool) -> CheckResult:
    rigor = Rigor.weakest(saved.rigor, Rigor.CERTIFIED_FLOAT64)
    vals = {"psi_reevaluated": reevaluated, "problems": tuple(problems)}
    if problems:
        return CheckResult(name, Outcome.VIOLATED, rigor,
                           "the saved certificate does not re-check: " + "; ".join(problems[:6])
                           + (f" (+{len(problems) - 6} more)" if len(problems) > 6 else ""), vals)
    return CheckResult(name, Outcome.HOLDS, rigor,
                       f"re-checked: {saved.outcome.value} claims consistent with the witness ({note})",
                       vals)


@register_verifier("instability")
def _verify_saved_instability(result: CheckResult) -> CheckResult:
    return verify_instability(result)


# --------------------------------------------------------------------------------------
# random noise
# --------------------------------------------------------------------------------------

def _clopper_pearson(k: int, n: int, confidence: float) -> tuple[float, float]:
    from scipy.stats import beta

    alpha = 1.0 - confidence
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def random_noise_instability(psi: Any, A: Any, x: Any, *, noise_norm: float, trials: int = 100,
                             threshold: float, seed: Any = None, reference: str = "prediction",
                             confidence: float = 0.95, batch_size: int = 64, device: Any = None,
                             dtype: Any = None, progress: bool = False) -> NoiseInstabilityResult:
    """Probability that random noise of norm ``noise_norm`` makes ``Ψ`` err by more than ``threshold``.

    Draws ``trials`` noise vectors ``e`` uniformly on the sphere ``‖e‖ = noise_norm``
    of the measurement space (complex when the measurements are), evaluates
    ``error(e) = ‖Ψ(Ax + e) − ref‖`` with ``ref = Ψ(Ax)`` (``reference="prediction"``)
    or ``x`` (``"truth"``), and reports the fraction above ``threshold`` with a
    Clopper–Pearson interval. The worst draw is re-evaluated twice on the CPU
    in float64: if its error exceeds the threshold, the set of such noise
    vectors is open and non-empty (``Ψ`` continuous), so the probability is
    positive — certified.

    Parameters
    ----------
    psi : model, callable or ReconstructionMap
    A : array_like or LinearOperator
    x : array_like
        One image (``A.in_shape``).
    noise_norm : float
        ``‖e‖ > 0``.
    trials : int
        Number of draws.
    threshold : float
        Error level (absolute, same units as ``x``).
    seed : int or numpy.random.Generator
        Source of the draws (same seed, same draws).
    reference : {"prediction", "truth"}
    confidence : float
        Level of the two-sided Clopper–Pearson interval.
    batch_size : int
        Draws per model call.
    device, dtype
        Where and at which real precision torch models evaluate the draws
        (default: the model's own); the worst draw is always re-evaluated in
        float64 on the CPU.
    progress : bool
        Show a tqdm bar.

    Returns
    -------
    NoiseInstabilityResult
        ``holds`` when a draw exceeds the threshold and its float64 re-evaluation
        confirms it; ``inconclusive`` otherwise.

    Theorem: universal instability theorem, "not rare" (THEORY.md §3; seed 004).
    Rigor: certified-float64 for the positive-probability claim (worst draw);
    the interval is a statistical (Clopper–Pearson) confidence interval.
    """
    A = _operator(A)
    xv = _images(x, A, "x")
    noise_norm = real_arg(noise_norm, "noise_norm")
    threshold = real_arg(threshold, "threshold", allow_zero=True)
    trials = integer_arg(trials, "trials")
    batch_size = integer_arg(batch_size, "batch_size")
    if reference not in ("prediction", "truth"):
        raise InvalidArgument(f"reference={reference!r}: use 'prediction' or 'truth'")
    if not (0 < float(confidence) < 1):
        raise InvalidArgument(f"confidence must lie in (0, 1), got {confidence!r}")
    pm = _psi_map(psi, A)
    y0 = _apply(A, xv)
    cplx = bool(np.iscomplexobj(y0))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    ref = pm.evaluate_batch(y0[None], dtype=dtype, device=device)[0] if reference == "prediction" else xv
    errors = np.empty(trials)
    worst_e, worst = None, -math.inf
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=trials, desc="random_noise_instability")
    try:
        for s in range(0, trials, batch_size):
            k = min(batch_size, trials - s)
            e = noise_norm * _random_directions(rng, k, y0.shape, cplx)
            out = pm.evaluate_batch(y0[None] + e, dtype=dtype, device=device)
            err = _norms(out - ref[None])
            errors[s:s + k] = err
            i = int(np.nanargmax(np.where(np.isnan(err), -np.inf, err))) if np.any(~np.isnan(err)) else 0
            if err[i] > worst or worst_e is None:
                worst, worst_e = float(err[i]), e[i].copy()
            if bar is not None:
                bar.update(k)
    finally:
        if bar is not None:
            bar.close()
    exceed = int(np.sum(errors > threshold))
    prob = exceed / trials
    lo, hi = _clopper_pearson(exceed, trials, float(confidence))
    # the draws ran in batches: the worst one alone must give the same error, else Ψ depends on
    # the batch composition and the interval describes another map
    single = pm.evaluate_batch((y0 + worst_e)[None], dtype=dtype, device=device)[0]
    err1 = _norm(single - ref)
    batch_ok = bool(np.isfinite(err1) and abs(err1 - worst) <= 1e-4 * (abs(worst) + _norm(ref)) + 1e-300)
    ev = pm.evaluate_float64(np.stack([y0, y0 + worst_e]))
    values = {"noise_norm": noise_norm, "threshold": threshold, "confidence": float(confidence),
              "reference": reference, "errors": errors,
              "interval_rigor": ("statistical (Clopper–Pearson)" if batch_ok else
                                 "unreliable: Ψ's outputs depend on the batch (pass batch_size=1)"),
              "psi_precision": ev.precision}
    wdata = {"x": xv, "y": y0, "e": worst_e, "operator": _operator_record(A)}
    if not ev.ok or ev.reason:
        return NoiseInstabilityResult(
            "random_noise_instability", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
            f"worst draw not certified: {ev.reason}; {exceed}/{trials} draws above the threshold",
            values, Witness("noise", wdata), _THEOREM, probability=prob, interval=(lo, hi),
            trials=trials, exceedances=exceed, worst_error=worst)
    p0, p1 = ev.output
    ref64 = p0 if reference == "prediction" else xv
    werr = _norm(p1 - ref64)
    wdata.update(psi_y=p0, psi_y_noisy=p1)
    certified = exceed > 0 and werr > threshold * (1 + _rel_tol(A)) + _rel_tol(A) * _norm(ref64)
    txt = (f"{exceed}/{trials} random perturbations of norm {noise_norm:.3g} give an error above "
           f"{threshold:.3g} (probability {prob:.3g}, {confidence:.0%} interval [{lo:.3g}, {hi:.3g}])")
    if not batch_ok:
        txt += (f" [the worst draw evaluated alone gives error {err1:.4g}, in its batch {worst:.4g}: Ψ "
                "depends on the batch, the interval is unreliable; pass batch_size=1]")
    if certified:
        return NoiseInstabilityResult(
            "random_noise_instability", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
            txt + f"; worst draw certified: error {werr:.4g} > {threshold:.3g}, so the probability is "
            "positive", values, Witness("noise", wdata), _THEOREM, probability=prob,
            interval=(lo, hi), trials=trials, exceedances=exceed, worst_error=werr)
    return NoiseInstabilityResult(
        "random_noise_instability", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
        txt + ("" if exceed == 0 else f"; the worst draw re-evaluated in float64 gives {werr:.4g}, "
               "not above the threshold"),
        values, Witness("noise", wdata), _THEOREM, probability=prob, interval=(lo, hi),
        trials=trials, exceedances=exceed, worst_error=werr)


# --------------------------------------------------------------------------------------
# accuracy and more samples
# --------------------------------------------------------------------------------------

def _default_baseline(A: Any) -> Callable[[np.ndarray], Any]:
    """SR-LASSO (λ = 0.01) with orthonormal wavelets (db4 when the shape allows, else haar,
    else none) solved by Chambolle–Pock to a relative gap of 1e-5 (at most 3000 steps)."""
    from theorycheck.problems.programs import SRLasso
    from theorycheck.problems.sparsifiers import Wavelet
    from theorycheck.solvers.primal_dual import chambolle_pock

    shape = tuple(A.in_shape)
    W = None
    for name in ("db4", "haar"):
        try:
            W = Wavelet(shape, name)
            break
        except InvalidArgument:
            continue
    problem = SRLasso(A, 0.01, W=W)
    return lambda y: chambolle_pock(problem, y, tol=1e-5, max_iter=3000)


def _run_baseline(baseline: Any, A: Any, ys: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[str]]:
    from theorycheck.problems.programs import Program
    from theorycheck.solvers.solution import Solution

    if baseline is None:
        fn = _default_baseline(A)
    elif isinstance(baseline, Program):
        from theorycheck.solvers.primal_dual import chambolle_pock

        fn = lambda y: chambolle_pock(baseline, y, tol=1e-6, max_iter=5000)  # noqa: E731
    elif callable(baseline):
        fn = baseline
    else:
        raise InvalidArgument("baseline must be None, a QCBP/Lasso/SRLasso program, or a callable y -> x")
    outs, notes = [], []
    for y in ys:
        r = fn(y)
        if isinstance(r, Solution):
            notes.append(f"{r.solver}: {r.status}")
            r = r.x
        arr = np.asarray(to_numpy(r))
        if arr.shape != tuple(A.in_shape):
            if arr.size != math.prod(A.in_shape):
                raise InvalidArgument(f"the baseline returned shape {arr.shape}, expected {tuple(A.in_shape)}")
            arr = arr.reshape(A.in_shape)
        outs.append(arr.astype(np.complex128 if np.iscomplexobj(arr) else np.float64))
    return outs, notes


def accuracy_test(psi: Any, A: Any, x: Any, detail: Any, *, baseline: Any = None,
                  threshold: float = 0.5) -> CheckResult:
    """Does ``Ψ`` recover a small detail that a stable sparse-regularisation baseline recovers?

    Measures ``x`` and ``x + detail``; the detail recovered by a method ``R``
    is ``R(A(x + detail)) − R(Ax)`` and its relative error is
    ``‖R(A(x + detail)) − R(Ax) − detail‖/‖detail‖``; a method recovers the
    detail when that error is ``≤ threshold``. When the truth is real, the real
    part of complex reconstructions is used.

    Parameters
    ----------
    psi : model, callable or ReconstructionMap
    A : array_like or LinearOperator
    x, detail : array_like
        Image and detail (``A.in_shape``; the detail nonzero), e.g. from
        :func:`~theorycheck.problems.data.detail_image`.
    baseline : callable, Program or None
        ``y ↦ x`` (a :class:`~theorycheck.solvers.solution.Solution` is
        accepted), a QCBP/Lasso/SRLasso program (solved by Chambolle–Pock to a
        relative gap of 1e-6), or None: SR-LASSO (``λ = 0.01``) with
        orthonormal db4/haar wavelets, solved by Chambolle–Pock to a relative
        gap of 1e-5 (at most 3000 steps).
    threshold : float
        Largest relative detail error that counts as recovered.

    Returns
    -------
    CheckResult
        ``accuracy``: ``violated`` when the baseline recovers the detail and
        ``Ψ`` does not (a false negative), ``holds`` when both do,
        ``inconclusive`` when the baseline does not (enlarge the detail) or
        ``Ψ`` is not deterministic. ``values``: the detail errors, the
        reconstruction errors and the baseline's solver status.

    Theorem: accuracy test of THEORY.md §4 (seeds 000, 002).
    Rigor: numerical (the baseline is a numerical solve; Ψ is evaluated twice
    in float64).
    """
    A = _operator(A)
    xv = _images(x, A, "x")
    dv = _images(detail, A, "detail")
    nd = _norm(dv)
    if nd == 0:
        raise InvalidArgument("detail is zero: pass a nonzero detail (e.g. detail_image)")
    threshold = real_arg(threshold, "threshold")
    pm = _psi_map(psi, A)
    y0, y1 = _apply(A, xv), _apply(A, xv + dv)
    ev = pm.evaluate_float64(np.stack([y0, y1]))
    witness = {"x": xv, "detail": dv, "y": y0, "y_detail": y1, "operator": _operator_record(A)}
    if not ev.ok:
        return CheckResult("accuracy", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           f"not decided: {ev.reason}", {}, Witness("accuracy", witness),
                           "accuracy test (THEORY.md §4)")
    real = not (np.iscomplexobj(xv) or np.iscomplexobj(dv))
    fix = (lambda v: np.real(v)) if real else (lambda v: v)
    p0, p1 = (fix(o) for o in ev.output)
    (b0, b1), notes = _run_baseline(baseline, A, [y0, y1])
    b0, b1 = fix(b0), fix(b1)
    err_psi = _norm(p1 - p0 - dv) / nd
    err_base = _norm(b1 - b0 - dv) / nd
    values = {"detail_error_psi": err_psi, "detail_error_baseline": err_base, "threshold": threshold,
              "detail_norm": nd, "error_psi": _norm(p1 - xv - dv), "error_baseline": _norm(b1 - xv - dv),
              "baseline_status": tuple(notes)}
    witness.update(psi_y=p0, psi_y_detail=p1, baseline_y=b0, baseline_y_detail=b1)
    psi_ok, base_ok = err_psi <= threshold, err_base <= threshold
    if base_ok and not psi_ok:
        outcome, msg = Outcome.VIOLATED, (
            f"false negative: the baseline recovers the detail (relative error {err_base:.3g}) but Ψ "
            f"does not ({err_psi:.3g} > {threshold:.3g})")
    elif base_ok:
        outcome, msg = Outcome.HOLDS, (
            f"Ψ recovers the detail (relative error {err_psi:.3g}; baseline {err_base:.3g})")
    else:
        outcome, msg = Outcome.INCONCLUSIVE, (
            f"the baseline does not recover the detail either (relative error {err_base:.3g} > "
            f"{threshold:.3g}; Ψ: {err_psi:.3g}): use a larger detail or more samples")
    return CheckResult("accuracy", outcome, Rigor.NUMERICAL, msg, values, Witness("accuracy", witness),
                       "accuracy test (THEORY.md §4)")


def sampling_monotonicity_test(psis_or_factory: Any, masks: Sequence[Any], x: Any, *,
                               operator: Callable[[Any], Any] | None = None,
                               tol: float = 0.0) -> CheckResult:
    """More samples must not hurt: does the error of ``Ψ`` decrease as the sampling pattern grows?

    For each mask ``M_k`` (non-decreasing sample counts; nested patterns are
    the intended use) builds ``A_k = operator(M_k)`` and measures the relative
    error ``e_k = ‖Ψ_k(A_k x) − x‖/‖x‖`` (mean over a batch of images); a
    violation is ``e_{k+1} > e_k + tol``.

    Parameters
    ----------
    psis_or_factory : sequence, model or callable
        One map per mask (a list/tuple); a single torch module or
        :class:`~theorycheck.nets.adapters.ReconstructionMap` used for every
        mask (e.g. ``input="adjoint"``); or a factory ``mask -> Ψ``.
    masks : sequence of boolean arrays
        The sampling patterns, by non-decreasing number of samples.
    x : array_like
        An image or a batch of images.
    operator : callable, optional
        ``mask -> LinearOperator`` (default :class:`~theorycheck.problems.operators.SubsampledFourier`).
    tol : float
        Allowed increase of the relative error.

    Returns
    -------
    CheckResult
        ``sampling_monotonicity``: ``violated`` with the worst increase when
        more samples give a larger error, else ``holds``; ``values["errors"]``
        per mask.

    Theorem: "more samples must not hurt" (THEORY.md §4; seed 000).
    Rigor: certified-float64 (each Ψ evaluated twice on the CPU in float64).
    """
    from theorycheck.nets.adapters import ReconstructionMap
    from theorycheck.problems.operators import SubsampledFourier, validated_mask

    masks = [validated_mask(mk, f"masks[{k}]") for k, mk in enumerate(masks)]
    if len(masks) < 2:
        raise InvalidArgument("pass at least two masks to compare")
    counts = [int(mk.sum()) for mk in masks]
    if any(b < a for a, b in zip(counts, counts[1:])):
        raise InvalidArgument(f"masks must have non-decreasing numbers of samples, got {counts}")
    tol = real_arg(tol, "tol", allow_zero=True)
    operator = operator or SubsampledFourier
    ops = [_operator(operator(mk)) for mk in masks]
    if isinstance(psis_or_factory, (list, tuple)):
        if len(psis_or_factory) != len(masks):
            raise InvalidArgument(f"got {len(psis_or_factory)} maps for {len(masks)} masks")
        psis = list(psis_or_factory)
    elif isinstance(psis_or_factory, ReconstructionMap) or _is_module(psis_or_factory):
        psis = [psis_or_factory] * len(masks)
    elif callable(psis_or_factory):
        psis = [psis_or_factory(mk) for mk in masks]
    else:
        raise InvalidArgument("psis_or_factory must be a list of maps, a model, or a factory mask -> Ψ")
    xv = _images(x, ops[0], "x", batch=True)
    xb = xv if xv.shape != tuple(ops[0].in_shape) else xv[None]
    errors, nested = [], all(bool(np.all(b[a])) for a, b in zip(masks, masks[1:]))
    precisions = []
    for psi, op in zip(psis, ops):
        pm = _psi_map(psi, op)
        ev = pm.evaluate_float64(_apply(op, xb))
        if not ev.ok or ev.reason:
            return CheckResult("sampling_monotonicity", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                               f"not decided for the mask with {int(op.shape[0])} samples: {ev.reason}",
                               {"sample_counts": tuple(counts)}, None, "THEORY.md §4")
        out = ev.output
        if not np.iscomplexobj(xb):
            out = np.real(out)
        rel = _norms(out - xb) / np.maximum(_norms(xb), 1e-300)
        errors.append(float(np.mean(rel)))
        precisions.append(ev.precision)
    incr = [(k, errors[k + 1] - errors[k]) for k in range(len(errors) - 1)]
    bad = [(k, d) for k, d in incr if d > tol]
    values = {"errors": tuple(errors), "sample_counts": tuple(counts), "nested": nested, "tol": tol,
              "psi_precision": tuple(precisions)}
    err_txt = ", ".join(f"{c}: {e:.4g}" for c, e in zip(counts, errors))
    if bad:
        k, d = max(bad, key=lambda t: t[1])
        return CheckResult("sampling_monotonicity", Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64,
                           f"more samples hurt: the relative error grows by {d:.3g} from {counts[k]} "
                           f"to {counts[k + 1]} samples (errors by sample count: {err_txt})",
                           values, None, "THEORY.md §4")
    return CheckResult("sampling_monotonicity", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
                       f"the error does not grow with the samples ({err_txt})"
                       + ("" if nested else "; note: the masks are not nested"),
                       values, None, "THEORY.md §4")


def _is_module(obj: Any) -> bool:
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


# --------------------------------------------------------------------------------------
# training-set audit
# --------------------------------------------------------------------------------------

def _audit_block(Yi: np.ndarray, ni: np.ndarray, Yj: np.ndarray, nj: np.ndarray, thr: float,
                 i0: int, j0: int, diag: bool) -> np.ndarray:
    """Candidate pairs ``(i, j)`` of one block whose squared measurement distance is ``≤ thr``."""
    G = Yi @ Yj.T
    G *= -2.0
    G += ni[:, None]
    G += nj[None, :]
    mask = G <= thr
    if diag:
        mask = np.triu(mask, 1)
    ii, jj = np.nonzero(mask)
    return np.stack([ii + i0, jj + j0], 1) if ii.size else np.empty((0, 2), dtype=np.int64)


def _audit_row(Y: np.ndarray, n2: np.ndarray, thr: float, i0: int, i1: int, bs: int) -> np.ndarray:
    out = []
    for j0 in range(i0, Y.shape[0], bs):
        j1 = min(j0 + bs, Y.shape[0])
        out.append(_audit_block(Y[i0:i1], n2[i0:i1], Y[j0:j1], n2[j0:j1], thr, i0, j0, j0 == i0))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)


def _audit_row_task(args: tuple) -> np.ndarray:
    Yrows, nrows, Ytail, ntail, thr, i0, bs = args
    out = []
    rows = Yrows.shape[0]
    for j0 in range(0, Ytail.shape[0], bs):
        j1 = min(j0 + bs, Ytail.shape[0])
        out.append(_audit_block(Yrows, nrows, Ytail[j0:j1], ntail[j0:j1], thr, i0, i0 + j0, j0 == 0))
    del rows
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)


def audit_training_set(A: Any, X: Any, *, eta: float, block_size: int = 1024, executor: Any = None,
                       progress: bool = True) -> TrainingSetAudit:
    """Find every pair of a training set that makes any ``η``-accurate interpolant unstable.

    A pair ``i < j`` is reported when ``‖A(x_i − x_j)‖ ≤ η`` and
    ``‖x_i − x_j‖ > 2η``: any map with ``‖Ψ(Ax_k) − x_k‖ < η`` on both has
    ``L^ε(Ψ, Ax_i) ≥ (‖x_i − x_j‖ − 2η)/ε`` for ``ε ≥ η`` (the pair's
    ``lower_bound`` is the value at ``ε = η``). Checkable before training.

    Computation: ``Y = AX`` once (float64, ``n × m``, real-stacked for complex
    data; ``X`` itself is read chunk by chunk, never copied whole), then the
    upper triangle of the Gram matrix of ``Y`` in ``block_size × block_size``
    blocks (O(block²) working memory, one GEMM per block), a threshold with a
    rounding cushion on the expanded distances, and a direct float64
    recomputation (twice) of ``‖A(x_i − x_j)‖`` and ``‖x_i − x_j‖`` for every
    candidate.

    Parameters
    ----------
    A : array_like or LinearOperator
    X : array_like
        Training images, shape ``(n, *A.in_shape)``.
    eta : float
        ``η > 0``.
    block_size : int
        Rows per block.
    executor : concurrent.futures.Executor, optional
        Runs the row blocks (default: serially in this process).
    progress : bool
        Show a tqdm bar over row blocks.

    Returns
    -------
    TrainingSetAudit
        ``violated`` with the pairs ``(i, j, lower_bound)`` (largest bound
        first) when any exist, ``holds`` otherwise.

    Theorem: universal instability theorem, training version (THEORY.md §3; seed 004).
    Rigor: certified-float64 (each reported pair recomputed directly in
    float64, twice; pairs within rounding of a boundary are left out and
    counted in ``values["borderline"]``).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0, 0.0]])
    >>> X = np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [5.0, 0.0, 0.0]])
    >>> [(i, j, round(b, 9)) for i, j, b in audit_training_set(A, X, eta=0.1, progress=False)]
    [(0, 1, 8.0)]
    """
    A = _operator(A)
    eta = real_arg(eta, "eta")
    block_size = integer_arg(block_size, "block_size")
    try:  # no float64 copy of the whole set: rows are converted chunk by chunk
        Xv = np.asarray(to_numpy(X))
    except Exception as exc:  # noqa: BLE001
        raise InvalidArgument(f"X could not be read as an array: {exc}") from exc
    if Xv.dtype.kind not in "biufc":
        raise InvalidArgument(f"X has dtype {Xv.dtype}: pass numbers")
    core = tuple(A.in_shape)
    if Xv.ndim != len(core) + 1 or Xv.shape[1:] != core:
        raise InvalidArgument(f"X has shape {Xv.shape} but a training set of A's images has shape "
                              f"(n, {', '.join(map(str, core))})")
    n = Xv.shape[0]
    if n < 2:
        raise InvalidArgument("X holds fewer than two images: nothing to compare")
    wide = np.complex128 if Xv.dtype.kind == "c" else np.float64

    def rows(idx: Any) -> np.ndarray:
        return np.asarray(Xv[idx], dtype=wide)

    chunks = []
    for s0 in range(0, n, 1024):
        Xc = rows(slice(s0, s0 + 1024))
        if not np.all(np.isfinite(Xc)):
            raise InvalidArgument("X contains NaN or inf: pass finite values")
        Yc = _apply(A, Xc).reshape(Xc.shape[0], -1)
        chunks.append(np.concatenate([Yc.real, Yc.imag], 1) if np.iscomplexobj(Yc) else Yc)
    # complex data: Re⟨y_i, y_j⟩ from one real GEMM of [Re, Im]
    Y = np.ascontiguousarray(np.concatenate(chunks))
    del chunks
    n2 = np.einsum("ij,ij->i", Y, Y)
    # expanded distances lose about eps·(‖y_i‖² + ‖y_j‖²): a cushion keeps every true pair
    thr = eta * eta + 64.0 * Y.shape[1] * _EPS * 2.0 * float(n2.max()) + 1e-300
    starts = list(range(0, n, block_size))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(starts), desc="audit_training_set")
    found: list[np.ndarray] = []
    try:
        if executor is None:
            for i0 in starts:
                found.append(_audit_row(Y, n2, thr, i0, min(i0 + block_size, n), block_size))
                if bar is not None:
                    bar.update(1)
        else:
            futures = [executor.submit(_audit_row_task, (Y[i0:i0 + block_size], n2[i0:i0 + block_size],
                                                         Y[i0:], n2[i0:], thr, i0, block_size))
                       for i0 in starts]
            for fut in futures:
                found.append(fut.result())
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    cand = np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)
    pairs, borderline = [], 0
    tol = _rel_tol(A)
    for s in range(0, cand.shape[0], 2048):
        c = cand[s:s + 2048]
        xi, xj = rows(c[:, 0]), rows(c[:, 1])
        diff = xi - xj
        runs = []
        for _ in range(2):  # twice: the certified-float64 protocol
            Ad = _apply(A, diff)
            runs.append((_norms(Ad), _norms(diff)))
        (ma, md), (ma2, md2) = runs
        if not (np.array_equal(ma, ma2) and np.array_equal(md, md2)):
            raise InvalidArgument("applying A twice gave different results: A is not deterministic")
        scale_a = _norms(_apply(A, xi)) + _norms(_apply(A, xj))
        scale_d = _norms(xi) + _norms(xj)
        m_meas = eta - ma
        m_far = md - 2 * eta
        for k in range(c.shape[0]):
            dm = _decide(float(m_meas[k]), tol * float(scale_a[k]))
            df = _decide(float(m_far[k]), tol * float(scale_d[k]))
            if dm is True and df is True:
                bound = _theorem_bound_value(float(md[k]), eta, eta, tol)  # rounded down
                pairs.append((int(c[k, 0]), int(c[k, 1]), bound, float(md[k]), float(ma[k])))
            elif dm is not False and df is not False:
                borderline += 1
    pairs.sort(key=lambda t: (-t[2], t[0], t[1]))
    norms = np.array([[p[3], p[4]] for p in pairs]).reshape(-1, 2)
    pairs = [p[:3] for p in pairs]
    values = {"n": n, "candidates": int(cand.shape[0]), "borderline": borderline, "block_size": block_size,
              "pair_norms": norms, "tolerance": tol, "operator_shape": tuple(int(s) for s in A.shape)}
    if pairs:
        i, j, b = pairs[0]
        msg = (f"{len(pairs)} pair(s) with ‖A(x_i − x_j)‖ ≤ η = {eta:.3g} and ‖x_i − x_j‖ > 2η: any map "
               f"η-accurate on the set is unstable (worst: ({i}, {j}), L^η ≥ {b:.4g})")
        return TrainingSetAudit("training_set_audit", Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64, msg,
                                values, None, _THEOREM, pairs=tuple(pairs), eta=eta)
    return TrainingSetAudit("training_set_audit", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
                            f"no pair with ‖A(x_i − x_j)‖ ≤ η = {eta:.3g} and ‖x_i − x_j‖ > 2η "
                            f"among {n} images" + (f" ({borderline} within rounding of a boundary)"
                                                   if borderline else ""),
                            values, None, _THEOREM, pairs=(), eta=eta)


# --------------------------------------------------------------------------------------
# Chebyshev radius and the optimality constant (Paradox II)
# --------------------------------------------------------------------------------------

def _real_points(points: Any, name: str = "points") -> np.ndarray:
    P = as_array(points, name)
    if P.ndim < 1 or P.shape[0] < 1:
        raise InvalidArgument(f"{name} must hold at least one point, got shape {P.shape}")
    P = P.reshape(P.shape[0], -1)
    if np.iscomplexobj(P):  # distances in C^N equal those of [Re, Im] in R^{2N}
        P = np.concatenate([P.real, P.imag], 1)
    return np.ascontiguousarray(P, dtype=np.float64)


def _simplex_qp(G: np.ndarray, iters: int = 200) -> np.ndarray:
    """Maximise ``f(λ) = Σλ_i G_ii − λᵀGλ`` over the simplex (the MEB dual), in float64.

    Active-set iteration: solve the equality-constrained optimum on a support,
    drop negative weights, add the farthest point, until the KKT conditions hold.
    """
    K = G.shape[0]
    d = np.diag(G).copy()
    if K == 1:
        return np.ones(1)
    # start: the two farthest points (the MEB of a pair is its midpoint)
    D2 = d[:, None] + d[None, :] - 2 * G
    i, j = np.unravel_index(int(np.argmax(D2)), D2.shape)
    S = sorted({int(i), int(j)})
    lam = np.zeros(K)
    lam[S] = 1.0 / len(S)
    for _ in range(iters):
        # KKT on S: 2 G_SS λ_S + μ 1 = d_S, 1ᵀλ_S = 1
        GS = G[np.ix_(S, S)]
        M = np.zeros((len(S) + 1, len(S) + 1))
        M[:-1, :-1] = 2 * GS
        M[:-1, -1] = 1.0
        M[-1, :-1] = 1.0
        rhs = np.concatenate([d[S], [1.0]])
        sol = np.linalg.lstsq(M, rhs, rcond=None)[0]
        new = sol[:-1]
        if np.any(new < 0):
            # step from the current λ_S towards new until a weight hits zero, drop it
            cur = lam[S]
            dirn = new - cur
            neg = dirn < 0
            t = np.min(np.where(neg, cur / np.where(neg, -dirn, 1.0), np.inf))
            t = min(max(t, 0.0), 1.0)
            cur = cur + t * dirn
            cur[cur < 1e-15] = 0.0
            lam[:] = 0.0
            lam[S] = cur / cur.sum()
            S = [s for s in S if lam[s] > 0]
            continue
        lam[:] = 0.0
        lam[S] = new
        c2 = lam @ G @ lam
        dist2 = c2 - 2 * (G @ lam) + d
        r2 = float(np.max(dist2[S]))
        k = int(np.argmax(dist2))
        if dist2[k] <= r2 * (1 + 1e-13) + 1e-300 or k in S:
            break
        S = sorted(set(S) | {k})
    return lam


_ARB_PREC = 192  # bits: products of doubles are exact, sums lose a few bits at most


def _gram_arb(P: np.ndarray) -> Any:
    """Gram matrix ``P Pᵀ`` of float rows as an ``arb_mat`` (call at high precision)."""
    import flint

    Pm = flint.arb_mat(P.tolist())
    return Pm * Pm.transpose()


def _sub(G_arb: Any, S: Sequence[int]) -> Any:
    import flint

    out = flint.arb_mat(len(S), len(S))
    for a, i in enumerate(S):
        for b, j in enumerate(S):
            out[a, b] = G_arb[i, j]
    return out


def _radius_enclosure(G_arb: Any, lam: np.ndarray) -> tuple[float, float]:
    """Proven ``(lower, upper)`` of the Chebyshev radius from a dual point ``λ`` and its centre.

    ``lower² = Σλ_i G_ii − λᵀGλ`` (any ``λ`` in the simplex; normalised exactly in
    ball arithmetic), ``upper² = max_i ‖c − p_i‖² = max_i (λᵀGλ − 2(Gλ)_i + G_ii)``.
    """
    import flint

    from theorycheck.numerics.exact import ball_lower, ball_upper

    K = G_arb.nrows()
    lam = np.maximum(np.asarray(lam, dtype=float), 0.0)
    if not lam.sum() > 0:
        lam = np.ones(K) / K
    la = [flint.arb(float(v)) for v in lam]
    s = sum(la, flint.arb(0))
    la = [v / s for v in la]
    Gl = [sum((G_arb[i, j] * la[j] for j in range(K)), flint.arb(0)) for i in range(K)]
    c2 = sum((la[i] * Gl[i] for i in range(K)), flint.arb(0))
    f = sum((la[i] * G_arb[i, i] for i in range(K)), flint.arb(0)) - c2
    hi2 = max(ball_upper(c2 - 2 * Gl[i] + G_arb[i, i]) for i in range(K))
    lo2 = ball_lower(f)
    hi = ball_upper(flint.arb(max(hi2, 0.0)).sqrt())
    lo = ball_lower(flint.arb(lo2).sqrt()) if lo2 > 0 else 0.0
    return max(0.0, min(lo, hi)), hi


def _cheb(P: np.ndarray, G_arb: Any) -> tuple[float, float, float, np.ndarray]:
    """(estimate, proven lower, proven upper, λ) of the Chebyshev radius of the rows of ``P``.

    ``λ`` comes from the float QP on ``P`` (shifted to its first row for
    accuracy); the enclosure from ``G_arb``, the exact Gram matrix of the points.
    """
    from theorycheck.numerics.precision import precision

    K = P.shape[0]
    if K == 1:
        return 0.0, 0.0, 0.0, np.ones(1)
    Q = P - P[0]
    G = Q @ Q.T
    lam = _simplex_qp(G)
    with precision(prec=_ARB_PREC):
        lo, hi = _radius_enclosure(G_arb, lam)
    est = math.sqrt(max(0.0, float(lam @ np.diag(G) - lam @ G @ lam)))
    return min(max(est, lo), hi), lo, hi, lam


def chebyshev_radius(points: Any) -> ChebyshevRadius:
    """Chebyshev radius ``min_c max_i ‖c − p_i‖`` of finitely many points, with a proven enclosure.

    Solves the dual ``max_{λ ∈ simplex} Σλ_i‖p_i‖² − ‖Σλ_i p_i‖²`` (whose value
    is the squared radius) by an active-set method on the Gram matrix, then
    bounds the radius in ball arithmetic on the exact float inputs: any ``λ``
    gives a lower bound, the centre ``c = Σλ_i p_i`` an upper bound. Complex
    points are treated as real points of twice the dimension.

    Parameters
    ----------
    points : array_like
        Shape ``(K, ...)``: ``K`` points (each flattened).

    Returns
    -------
    ChebyshevRadius
        ``value`` (float64), ``lower ≤ radius ≤ upper`` (proven), ``center``, ``support``.

    Theorem: minimum enclosing ball duality (THEORY.md §3).
    Rigor: proven (ball arithmetic); the enclosure is tight to about 1e-15 relative.

    Examples
    --------
    >>> r = chebyshev_radius([[0.0, 0.0], [2.0, 0.0], [1.0, 0.5]])
    >>> round(r.value, 12), r.lower <= 1.0 <= r.upper
    (1.0, True)
    """
    from theorycheck.numerics.precision import precision

    P = _real_points(points)
    with precision(prec=_ARB_PREC):
        G_arb = _gram_arb(P)
    est, lo, hi, lam = _cheb(P, G_arb)
    c = lam @ P
    d = np.sqrt(np.sum((P - c) ** 2, 1))
    support = tuple(int(i) for i in np.flatnonzero(d >= d.max() * (1 - 1e-9)))
    return ChebyshevRadius("chebyshev_radius", Outcome.HOLDS, Rigor.PROVEN,
                           f"Chebyshev radius {est:.15g} ∈ [{lo:.17g}, {hi:.17g}]",
                           {"lambda": lam}, Witness("points", {"points": P}),
                           "minimum enclosing ball (THEORY.md §3)",
                           value=est, lower=lo, upper=hi, center=c, support=support)


def _cliques(adj: np.ndarray) -> list[tuple[int, ...]]:
    """Maximal cliques of a small undirected graph (Bron–Kerbosch with pivoting)."""
    K = adj.shape[0]
    nbrs = [{int(j) for j in np.flatnonzero(adj[i])} - {i} for i in range(K)]
    out: list[tuple[int, ...]] = []

    def bk(R: set, P: set, X: set) -> None:
        if not P and not X:
            out.append(tuple(sorted(R)))
            return
        u = max(P | X, key=lambda v: len(nbrs[v] & P))
        for v in list(P - nbrs[u]):
            bk(R | {v}, P & nbrs[v], X & nbrs[v])
            P = P - {v}
            X = X | {v}

    bk(set(), set(range(K)), set())
    return out


def optimality_constant(A: Any, points: Any, *, eta: float = 0.0, max_points: int = 64) -> OptimalityConstant:
    """Optimality constant ``c_opt(A, M₁)`` of a finite set ``M₁`` (Paradox II), with kersize bounds.

    ``c_opt = inf_φ sup_{x ∈ M₁, ‖e‖ ≤ η} ‖φ(Ax + e) − x‖``. The best answer to
    ``y`` is the Chebyshev centre of the points consistent with it, so
    ``c_opt = max{rad(S) : S ⊆ M₁, AS fits in one ball of radius η}``; for
    ``η = 0`` the sets are the fibres ``M₁ ∩ (x + ker A)`` (measurements compared
    exactly, in ball arithmetic). Candidate sets are the maximal cliques of
    the graph ``‖Ax − Ax′‖ ≤ 2η``, shrunk until they fit; every radius is a
    proven enclosure (:func:`chebyshev_radius`). Also reports
    ``kersize = max{‖x − x′‖ : ‖Ax − Ax′‖ ≤ 2η}`` and checks
    ``kersize/2 ≤ c_opt ≤ kersize``.

    Parameters
    ----------
    A : array_like or LinearOperator
    points : array_like
        ``(K, *A.in_shape)``: the finite domain ``M₁``.
    eta : float
        Noise level ``η ≥ 0`` (for points built in ``ker A`` in floating point,
        whose measurements agree only to rounding, pass a tiny ``η``).
    max_points : int
        Refuse larger sets (the search is exponential in the worst case).

    Returns
    -------
    OptimalityConstant
        ``value``, proven ``lower``/``upper``, ``kersize``, ``subset``.

    Theorem: optimal maps and Paradox II (THEORY.md §3; seed 002).
    Rigor: proven when every feasibility decision is decided; otherwise the
    enclosure covers both answers of the undecided ones.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0, 0.0]])                       # ker A = last two coordinates
    >>> s = np.sqrt(3) / 2
    >>> tri = np.array([[0.0, 0.0, 1.0], [0.0, -s, -0.5], [0.0, s, -0.5]])
    >>> res = optimality_constant(A, tri)
    >>> round(res.value, 12), round(res.kersize / 2, 3)
    (1.0, 0.866)
    """
    import flint

    from theorycheck.numerics.exact import ball_lower, ball_upper
    from theorycheck.numerics.precision import precision

    A = _operator(A)
    eta = real_arg(eta, "eta", allow_zero=True)
    Xv = as_array(points, "points")
    core = tuple(A.in_shape)
    if Xv.ndim != len(core) + 1 or Xv.shape[1:] != core:
        raise InvalidArgument(f"points has shape {Xv.shape}; expected (K, {', '.join(map(str, core))})")
    K = Xv.shape[0]
    if K > integer_arg(max_points, "max_points"):
        raise InvalidArgument(f"{K} points exceed max_points={max_points}: the set search is exponential; "
                              "raise max_points if you can wait")
    P = _real_points(Xv)
    Yf = _real_points(_apply(A, Xv))
    m, N = A.shape
    with precision(prec=_ARB_PREC):
        GP = _gram_arb(P)
        exact_meas = m * N * K <= 4_000_000
        if exact_meas:
            # the measurement vectors in ball arithmetic from the dense A: no float64 rounding
            M = A.to_dense()
            if np.iscomplexobj(M) or np.iscomplexobj(Xv):
                M = np.asarray(M, dtype=np.complex128)
                Mr = np.block([[M.real, -M.imag], [M.imag, M.real]])
                Xr = np.concatenate([Xv.reshape(K, -1).real, np.imag(Xv.reshape(K, -1))], 1)
            else:
                Mr, Xr = np.asarray(M, dtype=float), Xv.reshape(K, -1)
            Ya = flint.arb_mat(Xr.tolist()) * flint.arb_mat(Mr.T.tolist())
            GY = Ya * Ya.transpose()
        else:
            GY = _gram_arb(Yf)
    # float64 measurements carry rounding: widen their distances (then only numerical)
    slack = 0.0 if exact_meas else 64.0 * math.log2(m + N + 2) * _EPS * float(np.max(np.sqrt(np.sum(Yf ** 2, 1))))

    def meas_dist(i: int, j: int) -> tuple[float, float]:
        with precision(prec=_ARB_PREC):
            d2 = GY[i, i] + GY[j, j] - 2 * GY[i, j]
            if d2.is_zero():  # exactly equal measurements
                return 0.0, 2 * slack
            lo2, hi2 = ball_lower(d2), ball_upper(d2)
        lo = math.sqrt(lo2) if lo2 > 0 else 0.0
        hi = math.sqrt(hi2) if hi2 > 0 else 0.0
        return max(0.0, float(np.nextafter(lo, -np.inf)) - 2 * slack), float(np.nextafter(hi, np.inf)) + 2 * slack

    adj = np.zeros((K, K), dtype=bool)    # possibly within 2η
    sure = np.zeros((K, K), dtype=bool)   # certainly within 2η
    for i in range(K):
        for j in range(i + 1, K):
            lo, hi = meas_dist(i, j)
            adj[i, j] = adj[j, i] = lo <= 2 * eta
            sure[i, j] = sure[j, i] = hi <= 2 * eta
    undecided = int(np.sum(adj & ~sure) // 2)

    def img_dist(i: int, j: int) -> tuple[float, float]:
        with precision(prec=_ARB_PREC):
            d2 = GP[i, i] + GP[j, j] - 2 * GP[i, j]
            lo2, hi2 = ball_lower(d2), ball_upper(d2)
        return (float(np.nextafter(math.sqrt(lo2), -np.inf)) if lo2 > 0 else 0.0,
                float(np.nextafter(math.sqrt(max(hi2, 0.0)), np.inf)))

    ks_lo = ks_hi = ks_est = 0.0
    for i in range(K):
        for j in range(i + 1, K):
            if adj[i, j]:
                lo, hi = img_dist(i, j)
                ks_hi = max(ks_hi, hi)
                ks_est = max(ks_est, float(np.linalg.norm(P[i] - P[j])))
                if sure[i, j]:
                    ks_lo = max(ks_lo, lo)

    def fits(S: tuple[int, ...]) -> bool | None:
        """Does AS fit in one ball of radius η? (None: undecided)."""
        pairs = list(itertools.combinations(S, 2))
        if all(sure[i, j] for i, j in pairs) and (eta == 0 or len(S) <= 2):
            return True  # η = 0: equal measurements; two points: the midpoint is the centre
        if not all(adj[i, j] for i, j in pairs):
            return False
        if eta == 0:
            return None
        _, lo, hi, _ = _cheb(Yf[list(S)], _sub(GY, S))
        hi, lo = hi + slack, max(0.0, lo - slack)
        return True if hi <= eta else (False if lo > eta else None)

    best = (0.0, 0.0, 0.0, (0,))   # (estimate, lower, upper, subset) of the best certainly-fitting set
    upper_all = 0.0                # largest upper bound over every set that may fit
    seen: set = set()

    def visit(S: tuple[int, ...]) -> None:
        nonlocal best, upper_all
        if S in seen:
            return
        seen.add(S)
        est, lo, hi, _ = _cheb(P[list(S)], _sub(GP, S))
        if hi <= best[1]:
            return  # neither S nor its subsets can raise c_opt above what is proven
        f = fits(S)
        if f is True:
            if lo > best[1] or (lo == best[1] and est > best[0]):
                best = (est, lo, hi, S)
            upper_all = max(upper_all, hi)
            return
        if f is None:
            upper_all = max(upper_all, hi)
        for k in range(len(S)):
            visit(S[:k] + S[k + 1:])

    for C in sorted(_cliques(adj), key=len, reverse=True):
        visit(C)
    est, lo, hi_best, S = best
    hi = max(hi_best, upper_all)
    decided = undecided == 0 and hi == hi_best
    checks = {"kersize/2 <= c_opt": ks_lo / 2 <= hi, "c_opt <= kersize": lo <= ks_hi}
    values = {"eta": eta, "kersize_lower": ks_lo, "kersize_upper": ks_hi, "kersize_bounds_hold": checks,
              "undecided_pairs": undecided, "exact_measurements": exact_meas}
    msg = (f"c_opt = {est:.12g} ∈ [{lo:.15g}, {hi:.15g}] (attained by points {list(S)}); kersize = "
           f"{ks_est:.12g}: kersize/2 = {ks_est / 2:.6g} ≤ c_opt ≤ kersize")
    if not decided:
        msg += "; some sets were undecided in ball arithmetic: the enclosure covers both answers"
    outcome = Outcome.HOLDS if all(checks.values()) else Outcome.VIOLATED
    rigor = Rigor.PROVEN if exact_meas else Rigor.NUMERICAL
    if not exact_meas:
        msg += "; measurements compared in float64 with a rounding allowance (numerical)"
    return OptimalityConstant("optimality_constant", outcome, rigor, msg, values,
                              Witness("points", {"points": Xv, "operator": _operator_record(A)}),
                              "optimal maps, Paradox II (THEORY.md §3)", value=est, lower=lo, upper=hi,
                              kersize=ks_est, subset=tuple(int(i) for i in S))


# --------------------------------------------------------------------------------------
# verifiers of the other saved results (``theorycheck verify``)
# --------------------------------------------------------------------------------------

def _check_operator(w: Witness, pairs: Sequence[tuple[str, str]], problems: list[str]) -> bool:
    """Recompute ``A·x`` for the stored (input, output) names; False when A is not stored."""
    rec = w.data.get("operator")
    apply = _operator_from_record(rec) if isinstance(rec, Mapping) else None
    if apply is None:
        return False
    for xin, yout in pairs:
        try:
            if not _arr_close(apply(np.asarray(w[xin])), np.asarray(w[yout])):
                problems.append(f"{yout} ≠ A·{xin} for the stored A")
        except Exception as exc:  # noqa: BLE001 - a malformed file
            problems.append(f"cannot apply the stored operator: {exc}")
    return True


@register_verifier("random_noise_instability")
def verify_noise_instability(result: CheckResult, psi: Any = None) -> CheckResult:
    """Re-check a saved :func:`random_noise_instability` result in float64.

    Recomputes the exceedance count, the probability and the Clopper–Pearson
    interval from the stored errors, and the worst draw's error from its
    stored ``Ψ`` outputs (re-evaluated when ``psi`` is given); ``Ax`` from the
    stored operator.

    Theorem: universal instability theorem, "not rare" (THEORY.md §3).
    Rigor: certified-float64 for the worst draw (never above the saved result's).
    """
    name = "verify:random_noise_instability"
    w = result.witness
    if not isinstance(result, NoiseInstabilityResult) or w is None or "e" not in w.data:
        return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL, "no re-checkable witness")
    problems: list[str] = []
    v = result.values
    stored_a = _check_operator(w, [("x", "y")], problems)
    errors = np.asarray(v.get("errors", []), dtype=float)
    thr = float(v.get("threshold", math.nan))
    k = int(np.sum(errors > thr))
    if k != result.exceedances or errors.size != result.trials:
        problems.append(f"exceedances: saved {result.exceedances}/{result.trials}, recomputed {k}/{errors.size}")
    elif errors.size:
        if not _close(result.probability, k / errors.size, 1.0):
            problems.append("probability does not match the stored errors")
        lo, hi = _clopper_pearson(k, errors.size, float(v.get("confidence", 0.95)))
        if not (_close(result.interval[0], lo, 1.0) and _close(result.interval[1], hi, 1.0)):
            problems.append("the Clopper–Pearson interval does not match")
    if not _close(np.linalg.norm(np.asarray(w["e"])), float(v.get("noise_norm", math.nan)), 1.0, 1e-12):
        problems.append("the worst draw does not have the stated noise norm")
    if "psi_y" in w.data:
        x, y, e = np.asarray(w["x"]), np.asarray(w["y"]), np.asarray(w["e"])
        p0, p1 = np.asarray(w["psi_y"]), np.asarray(w["psi_y_noisy"])
        ref = p0 if v.get("reference") == "prediction" else x
        werr = _norm(p1 - ref)
        if not _close(result.worst_error, werr, werr):
            problems.append(f"worst_error: saved {result.worst_error!r}, recomputed {werr!r}")
        if result.outcome is Outcome.HOLDS and not (k > 0 and werr > thr):
            problems.append("outcome 'holds' without a draw above the threshold")
        if psi is not None and not problems:
            op = _operator_from_record_op(w["operator"]) if isinstance(w.data.get("operator"), Mapping) else None
            if op is None:
                problems.append("cannot re-evaluate Ψ: the operator is not stored")
            else:
                ev = _psi_map(psi, op).evaluate_float64(np.stack([y, y + e]))
                if not ev.ok or ev.reason or not (_arr_close(ev.output[0], p0, 1e-9) and _arr_close(ev.output[1], p1, 1e-9)):
                    problems.append("re-evaluated Ψ outputs differ from the stored ones"
                                    + (f" ({ev.reason})" if not ev.ok else ""))
    elif result.outcome is Outcome.HOLDS:
        problems.append("a certified result without stored Ψ outputs")
    note = "Ψ re-evaluated" if psi is not None else "Ψ outputs taken from the file"
    return _verdict(name, result, problems, note + ("" if stored_a else "; A not stored"), psi is not None)


@register_verifier("accuracy")
def verify_accuracy(result: CheckResult, psi: Any = None) -> CheckResult:
    """Re-check a saved :func:`accuracy_test` result: detail errors and verdict from the stored outputs.

    Recomputes ``Ax`` and ``A(x + detail)`` from the stored operator, both
    detail errors and the verdict; with ``psi`` also re-evaluates ``Ψ`` twice in
    float64 (the baseline's outputs are taken from the file).

    Theorem: accuracy test of THEORY.md §4.
    Rigor: numerical (the saved result's).
    """
    name = "verify:accuracy"
    w = result.witness
    if w is None or "detail" not in w.data:
        return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL, "no re-checkable witness")
    problems: list[str] = []
    x, dv = np.asarray(w["x"]), np.asarray(w["detail"])
    rec = w.data.get("operator")
    apply = _operator_from_record(rec) if isinstance(rec, Mapping) else None
    if apply is not None:
        if not _arr_close(apply(x), np.asarray(w["y"])) or not _arr_close(apply(x + dv), np.asarray(w["y_detail"])):
            problems.append("the stored measurements are not A·x and A·(x + detail)")
    if "psi_y" in w.data:
        nd = _norm(dv)
        p0, p1 = np.asarray(w["psi_y"]), np.asarray(w["psi_y_detail"])
        e_psi = _norm(p1 - p0 - dv) / nd
        e_base = _norm(np.asarray(w["baseline_y_detail"]) - np.asarray(w["baseline_y"]) - dv) / nd
        v = result.values
        for key, val in (("detail_error_psi", e_psi), ("detail_error_baseline", e_base)):
            if not _close(v.get(key, math.nan), val, val):
                problems.append(f"{key}: saved {v.get(key)!r}, recomputed {val!r}")
        thr = float(v.get("threshold", math.nan))
        want = (Outcome.VIOLATED if e_base <= thr < e_psi else Outcome.HOLDS if e_base <= thr
                else Outcome.INCONCLUSIVE)
        if result.outcome is not want:
            problems.append(f"outcome: saved {result.outcome.value}, recomputed {want.value}")
        if psi is not None and not problems:
            op = _operator_from_record_op(rec) if isinstance(rec, Mapping) else None
            if op is None:
                problems.append("cannot re-evaluate Ψ: the operator is not stored")
            else:
                ev = _psi_map(psi, op).evaluate_float64(np.stack([np.asarray(w["y"]), np.asarray(w["y_detail"])]))
                outs = [np.real(o) if not np.iscomplexobj(p0) else o for o in ev.output] if ev.ok else []
                if not ev.ok or not (_arr_close(outs[0], p0, 1e-9) and _arr_close(outs[1], p1, 1e-9)):
                    problems.append("re-evaluated Ψ outputs differ from the stored ones"
                                    + (f" ({ev.reason})" if not ev.ok else ""))
    return _verdict(name, result, problems,
                    "Ψ re-evaluated" if psi is not None else "from the stored outputs", psi is not None)


@register_verifier("sampling_monotonicity")
def verify_sampling_monotonicity(result: CheckResult) -> CheckResult:
    """Re-check a saved :func:`sampling_monotonicity_test` verdict from its stored errors.

    Theorem: "more samples must not hurt" (THEORY.md §4).
    Rigor: the saved result's (the errors themselves are taken from the file).
    """
    name = "verify:sampling_monotonicity"
    v = result.values
    if "errors" not in v:
        return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL, "no stored errors")
    errs = [float(e) for e in v["errors"]]
    tol = float(v.get("tol", 0.0))
    bad = any(b - a > tol for a, b in zip(errs, errs[1:]))
    want = Outcome.VIOLATED if bad else Outcome.HOLDS
    problems = [] if result.outcome is want else [f"outcome: saved {result.outcome.value}, recomputed {want.value}"]
    return _verdict(name, result, problems, "verdict recomputed from the stored errors", False)


@register_verifier("training_set_audit")
def verify_training_set_audit(result: CheckResult) -> CheckResult:
    """Re-check a saved :func:`audit_training_set` result: each pair's conditions and bound.

    The training images are not stored: the pairs' stored norms ``‖x_i − x_j‖``
    and ``‖A(x_i − x_j)‖`` are checked against ``η``, the bounds recomputed and
    the order and verdict checked.

    Theorem: universal instability theorem, training version (THEORY.md §3).
    Rigor: the saved result's (the norms are taken from the file).
    """
    name = "verify:training_set_audit"
    if not isinstance(result, TrainingSetAudit):
        return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL, "not a training-set audit")
    problems: list[str] = []
    eta = float(result.eta)
    shape = result.values.get("operator_shape")
    try:
        tol = _tol_mn(*shape) if shape is not None else float(result.values.get("tolerance", math.nan))
    except (TypeError, ValueError):
        tol = math.nan
    if not (tol >= _tol_mn(1, 1)):
        problems.append(f"the rounding allowance cannot be recomputed (operator_shape {shape!r})")
        tol = _tol_mn(1, 1)
    norms = np.asarray(result.values.get("pair_norms", np.empty((0, 2))), dtype=float).reshape(-1, 2)
    if len(norms) != len(result.pairs):
        problems.append("the stored pair norms do not match the pairs")
    else:
        for (i, j, b), (D, a) in zip(result.pairs, norms):
            if not (i < j and a <= eta and D > 2 * eta):
                problems.append(f"pair ({i}, {j}) does not satisfy ‖A(x_i − x_j)‖ ≤ η < ‖x_i − x_j‖/2")
            bmax = _theorem_bound_value(D, eta, eta, tol)
            if not (b <= bmax and _close(b, bmax, bmax)):
                problems.append(f"pair ({i}, {j}): bound {b!r} ≠ (‖x_i − x_j‖ − 2η)/η = {bmax!r} rounded down")
    bounds = [b for _, _, b in result.pairs]
    if bounds != sorted(bounds, reverse=True):
        problems.append("pairs are not sorted by decreasing bound")
    want = Outcome.VIOLATED if result.pairs else Outcome.HOLDS
    if result.outcome is not want:
        problems.append(f"outcome: saved {result.outcome.value}, recomputed {want.value}")
    return _verdict(name, result, problems, "from the stored pair norms (images not stored)", False)


@register_verifier("optimality_constant")
def verify_optimality_constant(result: CheckResult) -> CheckResult:
    """Re-run :func:`optimality_constant` on the stored points and operator and compare.

    Theorem: optimal maps, Paradox II (THEORY.md §3).
    Rigor: proven when the recomputation is (ball arithmetic).
    """
    name = "verify:optimality_constant"
    w = result.witness
    op = _operator_from_record_op(w["operator"]) if (w is not None and isinstance(w.data.get("operator"), Mapping)) else None
    if not isinstance(result, OptimalityConstant) or op is None:
        return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL, "no re-checkable witness")
    fresh = optimality_constant(op, w["points"], eta=float(result.values.get("eta", 0.0)),
                                max_points=max(64, len(w["points"])))
    problems = []
    if not (result.lower <= fresh.upper and fresh.lower <= result.upper):
        problems.append(f"saved c_opt ∈ [{result.lower!r}, {result.upper!r}], recomputed "
                        f"[{fresh.lower!r}, {fresh.upper!r}]")
    if fresh.outcome is not result.outcome:
        problems.append("outcome differs")
    if not _close(result.kersize, fresh.kersize, fresh.kersize):
        problems.append("kersize differs")
    out = _verdict(name, result, problems, "recomputed", False)
    return dataclasses.replace(out, rigor=Rigor.weakest(result.rigor, fresh.rigor))


@register_verifier("chebyshev_radius")
def verify_chebyshev_radius(result: CheckResult) -> CheckResult:
    """Re-run :func:`chebyshev_radius` on the stored points and compare the enclosures.

    Theorem: minimum enclosing ball duality (THEORY.md §3).
    Rigor: proven.
    """
    name = "verify:chebyshev_radius"
    w = result.witness
    if not isinstance(result, ChebyshevRadius) or w is None or "points" not in w.data:
        return CheckResult(name, Outcome.INCONCLUSIVE, Rigor.NUMERICAL, "no re-checkable witness")
    fresh = chebyshev_radius(w["points"])
    ok = result.lower <= fresh.upper and fresh.lower <= result.upper
    problems = [] if ok else [f"saved [{result.lower!r}, {result.upper!r}], recomputed [{fresh.lower!r}, {fresh.upper!r}]"]
    out = _verdict(name, result, problems, "recomputed", False)
    return dataclasses.replace(out, rigor=Rigor.weakest(result.rigor, Rigor.PROVEN))
