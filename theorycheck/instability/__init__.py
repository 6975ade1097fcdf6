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
* :func:`search_worst_perturbation`: the stability test (worst-case
  perturbation by gradient ascent with momentum), whose best witness is
  certified like the others (:mod:`theorycheck.search` re-exports it).

What "certified-float64" promises here
--------------------------------------
A certified-float64 network claim is a statement about ``Ψ`` **evaluated in
float64 on the CPU** (each sample alone, twice, bit-identical outputs), with
rounding accounted for:

* every norm, difference and quotient is enclosed rigorously (the stored
  float64 values are exact rationals; :mod:`theorycheck.numerics.rounding`);
* the measurements ``y`` are ``Ax`` rounded to the nearest float64 from a ball
  arithmetic evaluation of the exact operator (dense matrix, unitary Fourier,
  DCT or Walsh–Hadamard transform), and distances ``‖A(x − x′)‖`` that enter a
  hypothesis are enclosed in ball arithmetic, never computed as a difference of
  rounded products;
* ``Ψ``'s own rounding noise is estimated at every evaluated input
  (:meth:`~theorycheck.nets.adapters.ReconstructionMap.rounding_noise`: output
  ulps, second differences under perturbations far below the witness scale,
  and a float32 evaluation scaled by ``u₆₄/u₃₂``). Every claim holds with a
  margin of ``NOISE_ALLOWANCE = 16`` times that estimate on each output, i.e.
  for every evaluation of ``Ψ`` whose outputs lie that close to the stored ones
  (another BLAS, thread count or summation order), and a certified output change
  must exceed ``NOISE_SAFETY = 32`` times the summed noise of its two outputs;
  otherwise the result is ``inconclusive`` and says why.

The noise estimate is not a proof about the real-arithmetic network (that needs
interval arithmetic through the network); ``proven`` is reserved for that.

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
import time
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument, PreconditionError, TheorycheckError
from theorycheck.numerics.backend import as_array, lazy_torch, resolve_device, to_numpy
from theorycheck.numerics.exact import ball_lower, ball_upper
from theorycheck.numerics.precision import precision
from theorycheck.numerics.rounding import TINY, U, gamma, norm2, norm2_bounds, round_down, round_up
from theorycheck.numerics.validation import (
    bool_arg,
    choice_arg,
    integer_arg,
    probability_arg,
    real_arg,
    refuse_size,
)
from theorycheck.problems import operators as ops
from theorycheck.problems.operators import (
    LinearOperator,
    MatrixOperator,
    SubsampledFourier,
    as_operator,
    validated_mask,
)
from theorycheck.problems.programs import Program, SRLasso
from theorycheck.problems.sparsifiers import Wavelet
from theorycheck.results import (
    CheckResult,
    Outcome,
    Rigor,
    Witness,
    claim_mismatches,
    register_result,
    register_verifier,
    verification,
)
from theorycheck.solvers.primal_dual import chambolle_pock
from theorycheck.solvers.solution import Solution

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
    "PerturbationWitness",
    "search_worst_perturbation",
    "verify_perturbation",
]

_EPS = float(np.finfo(np.float64).eps)
_THEOREM = "universal instability theorem (THEORY.md §3)"
#: the noise allowance and safety factor of certified-float64 network claims
#: (the same numbers as theorycheck.nets.adapters.NOISE_ALLOWANCE / NOISE_SAFETY, which
#: a test keeps equal; duplicated so that verifiers of saved files need not import torch)
_KAPPA = 16.0
_SAFETY = 32.0
#: ball arithmetic precision (bits) for measurements and enclosures
_BALL_PREC = 192
#: largest dense matrix stored in a witness (entries)
_DENSE_LIMIT = 2 ** 22
#: largest number of scalar entries (arrays) a verifier accepts in one witness
_WITNESS_LIMIT = 2 ** 25


# --------------------------------------------------------------------------------------
# shared helpers (also used by theorycheck.search)
# --------------------------------------------------------------------------------------

def _operator(A: Any) -> Any:

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


def _images(x: Any, A: Any, name: str, *, batch: bool = False) -> np.ndarray:
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


def _norms(v: np.ndarray, batch: bool = True) -> np.ndarray:
    """Euclidean norms over all but the first axis (float64, scaled: no overflow; numerical use)."""
    v = np.asarray(v)
    flat = np.abs(v.reshape(v.shape[0], -1) if batch else v.reshape(1, -1))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        top = flat.max(axis=1) if flat.shape[1] else np.zeros(flat.shape[0])
        safe = np.where((top > 0) & np.isfinite(top), top, 1.0)
        out = np.sqrt(np.sum((flat / safe[:, None]) ** 2, axis=1)) * safe
        out = np.where(np.isfinite(top), np.where(top > 0, out, 0.0), top)
    return out


def _norm(v: Any) -> float:
    """Deterministic float64 Euclidean norm (the same bits on every machine)."""
    return norm2(np.asarray(v))


def _bounds(v: Any) -> tuple[float, float]:
    """Enclosure of the exact norm of the stored values of ``v``."""
    return norm2_bounds(np.asarray(v))


def _dist(a: Any, b: Any) -> tuple[float, float, float]:
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


def _add_up(*terms: float) -> float:
    """A float ≥ the exact sum of the (non-negative) terms."""
    s = 0.0
    for t in terms:
        s = round_up(s + float(t)) if math.isfinite(s + float(t)) else math.inf
    return s


def _sub_down(a: float, b: float) -> float:
    """A float ≤ ``a − b`` (exact difference of the floats)."""
    v = float(a) - float(b)
    return round_down(v) if math.isfinite(v) else v


def _div_down(a: float, b: float) -> float:
    v = float(a) / float(b)
    return round_down(v) if math.isfinite(v) and v != 0.0 else v


def _div_up(a: float, b: float) -> float:
    v = float(a) / float(b)
    return round_up(v) if math.isfinite(v) else v


def _noisy(lo: float, hi: float, allowance: float) -> tuple[float, float]:
    """An enclosure widened by an allowance (rounded outward; lower end clipped at 0)."""
    return max(0.0, _sub_down(lo, allowance)), _add_up(hi, allowance)


def _fmt(v: float, digits: int = 6) -> str:
    return format(float(v), f".{digits}g")


def _psi_map(psi: Any, A: Any) -> Any:
    from theorycheck.nets.adapters import as_reconstruction_map

    if psi is None:
        raise InvalidArgument("psi is None: pass the reconstruction map (a torch module or a callable)")
    return as_reconstruction_map(psi).bind(A)


def _apply(A: Any, x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        y = np.asarray(A.apply(x))
    return y.astype(np.complex128 if np.iscomplexobj(y) else np.float64, copy=False)


def _seed_int(seed: Any, name: str = "seed") -> int:
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


def _random_directions(rng: np.random.Generator, count: int, shape: tuple, cplx: bool) -> np.ndarray:
    """``count`` unit vectors uniformly distributed on the sphere of ``R^shape`` (``C^shape``)."""
    u = rng.standard_normal((count,) + shape)
    if cplx:
        u = u + 1j * rng.standard_normal((count,) + shape)
    n = _norms(u).reshape((count,) + (1,) * len(shape))
    return u / n


def _decide(margin: float, tol: float) -> bool | None:
    """True/False when ``margin`` is clearly positive/negative beyond rounding ``tol``; else None."""
    if margin > tol:
        return True
    if margin < -tol:
        return False
    return None


# --------------------------------------------------------------------------------------
# operator records (what a verifier needs to rebuild A) and ball arithmetic with them
# --------------------------------------------------------------------------------------

_TRANSFORMS = ("SubsampledFourier", "SubsampledDCT", "SubsampledWalshHadamard")
_RECORD_KINDS = ("dense",) + _TRANSFORMS + ("opaque",)
#: largest transform length handled by dense ball matrices (DCT, Walsh–Hadamard), and largest
#: Fourier image (entries) evaluated in ball arithmetic; larger ones are checked in float64
_BALL_TRANSFORM_LIMIT = 256
_BALL_FOURIER_LIMIT = 2 ** 22


def _operator_record(A: Any) -> dict[str, Any]:
    """What a verifier needs to rebuild ``A``: a mask for subsampled transforms, else a dense matrix.

    Operators that are neither and too large to store densely are ``opaque``: their
    measurements cannot be re-checked from the file (results say so).
    """

    if type(A).__name__ in _TRANSFORMS and type(A) in (ops.SubsampledFourier, ops.SubsampledDCT,
                                                        ops.SubsampledWalshHadamard):
        return {"kind": type(A).__name__, "mask": np.asarray(A.mask, dtype=bool)}
    m, N = A.shape
    if isinstance(A, ops.MatrixOperator) or m * N <= _DENSE_LIMIT:
        with np.errstate(over="ignore", invalid="ignore"):
            M = np.asarray(A.to_dense()) if isinstance(A, ops.MatrixOperator) else _dense_columns(A)
        M = M.astype(np.complex128 if np.iscomplexobj(M) else np.float64)
        if M.size <= _DENSE_LIMIT and bool(np.all(np.isfinite(M))):
            return {"kind": "dense", "matrix": M, "in_shape": tuple(int(s) for s in A.in_shape),
                    "out_shape": tuple(int(s) for s in A.out_shape), "source": type(A).__name__}
    return {"kind": "opaque", "description": repr(A)[:200], "in_shape": tuple(int(s) for s in A.in_shape),
            "out_shape": tuple(int(s) for s in A.out_shape)}


def _dense_columns(A: Any) -> np.ndarray:
    """``A``'s matrix from its own ``apply`` on blocks of unit vectors (memory ≤ 2²² entries per block)."""
    m, N = A.shape
    cplx = A.is_complex
    cols = []
    step = max(1, min(N, 2 ** 22 // max(N, 1)))
    for k0 in range(0, N, step):
        k1 = min(N, k0 + step)
        E = np.zeros((k1 - k0, N), dtype=np.complex128 if cplx else np.float64)
        E[np.arange(k1 - k0), np.arange(k0, k1)] = 1.0
        cols.append(np.asarray(A.apply(E.reshape((k1 - k0,) + tuple(A.in_shape)))).reshape(k1 - k0, m))
    return np.concatenate(cols).T.copy()


def _shape_ok(s: Any) -> bool:
    return (isinstance(s, tuple) and 1 <= len(s) <= 8 and all(isinstance(n, int) and not isinstance(n, bool)
                                                              and 1 <= n <= 2 ** 26 for n in s)
            and math.prod(s) <= 2 ** 28)


def _record_problems(rec: Any, where: str = "operator") -> list[str]:
    """Why a stored operator record cannot be used (empty list when it can)."""
    if not isinstance(rec, Mapping):
        return [f"{where}: not an operator record"]
    kind = rec.get("kind")
    if kind not in _RECORD_KINDS:
        return [f"{where}: unknown operator kind {kind!r} (the measurements y = Ax cannot be checked)"]
    want = {"dense": {"kind", "matrix", "in_shape", "out_shape", "source"},
            "opaque": {"kind", "description", "in_shape", "out_shape"}}.get(kind, {"kind", "mask"})
    if set(rec) != want:
        return [f"{where}: fields {sorted(rec)}, expected {sorted(want)}"]
    if kind == "dense":
        M = rec["matrix"]
        if not isinstance(M, np.ndarray) or M.ndim != 2 or M.dtype not in (np.float64, np.complex128):
            return [f"{where}.matrix: a 2-D float64/complex128 array is required"]
        if M.size == 0 or M.size > _DENSE_LIMIT or not bool(np.all(np.isfinite(M))):
            return [f"{where}.matrix: empty, larger than {_DENSE_LIMIT} entries, or not finite"]
        if not (_shape_ok(rec["in_shape"]) and _shape_ok(rec["out_shape"])):
            return [f"{where}: in_shape/out_shape must be tuples of positive ints"]
        if math.prod(rec["in_shape"]) != M.shape[1] or math.prod(rec["out_shape"]) != M.shape[0]:
            return [f"{where}: in_shape {rec['in_shape']} / out_shape {rec['out_shape']} do not match the "
                    f"matrix {M.shape}"]
        if not isinstance(rec["source"], str) or len(rec["source"]) > 200:
            return [f"{where}.source: a type name is required"]
        return []
    if kind == "opaque":
        if not (_shape_ok(rec["in_shape"]) and _shape_ok(rec["out_shape"])):
            return [f"{where}: in_shape/out_shape must be tuples of positive ints"]
        if not isinstance(rec["description"], str) or len(rec["description"]) > 200:
            return [f"{where}.description: a string is required"]
        return []
    mask = rec["mask"]
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.ndim not in (1, 2) \
            or mask.size > 2 ** 24 or not mask.any():
        return [f"{where}.mask: a 1-D or 2-D boolean array with at least one sample is required"]
    try:
        _record_op(rec)
    except TheorycheckError as exc:
        return [f"{where}.mask: {exc}"]
    return []


def _record_core(rec: Mapping[str, Any]) -> tuple[int, ...]:
    """The image shape of a (valid) record."""
    return tuple(np.shape(rec["mask"])) if "mask" in rec else tuple(rec["in_shape"])


def _record_op(rec: Mapping[str, Any]) -> Any:
    """The LinearOperator of a (valid) record, or None when opaque."""

    kind = rec.get("kind")
    if kind in _TRANSFORMS:
        return getattr(ops, kind)(rec["mask"])
    if kind == "dense":
        if len(tuple(rec["in_shape"])) == 1 and len(tuple(rec["out_shape"])) == 1:
            return ops.MatrixOperator(rec["matrix"])
        return _ReshapedMatrix(np.asarray(rec["matrix"]), tuple(rec["in_shape"]), tuple(rec["out_shape"]))
    return None


def _ReshapedMatrix(M: np.ndarray, in_shape: tuple, out_shape: tuple) -> Any:

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


def _record_text(rec: Mapping[str, Any]) -> str:
    kind = rec.get("kind")
    if kind == "dense":
        return (f"A stored as its dense {rec['matrix'].shape[0]}×{rec['matrix'].shape[1]} float64 matrix"
                + ("" if rec["source"] == "MatrixOperator" else
                   f" (computed from the {rec['source']}: the certificate concerns that matrix)"))
    if kind in _TRANSFORMS:
        return f"A = {kind} with a stored mask of {int(np.sum(rec['mask']))} samples (exact transform)"
    return ("A is opaque (too large to store): the claims concern Ψ at the stored measurement vectors; "
            "that they are A·x was computed in float64 and cannot be re-checked from the file")


_DCT_CACHE: dict = {}


def _transform_matrix(kind: str, n: int) -> Any:
    """The orthonormal DCT-II or Walsh–Hadamard matrix of size ``n`` as an ``arb_mat`` (cached)."""
    import flint

    key = (kind, n, int(flint.ctx.prec))
    if key not in _DCT_CACHE:
        if len(_DCT_CACHE) > 8:
            _DCT_CACHE.clear()
        rows = []
        if kind == "SubsampledDCT":
            s0, s = (flint.arb(1) / n).sqrt(), (flint.arb(2) / n).sqrt()
            for k in range(n):
                sk = s0 if k == 0 else s
                rows.append([sk * flint.arb.cos_pi(flint.arb(k * (2 * j + 1)) / (2 * n)) for j in range(n)])
        else:
            r = flint.arb(n).rsqrt()
            rows = [[r if bin(j & k).count("1") % 2 == 0 else -r for k in range(n)] for j in range(n)]
        _DCT_CACHE[key] = flint.arb_mat(rows)
    return _DCT_CACHE[key]


class _Ball:
    """``A·x`` in ball arithmetic (python-flint) for a dense or transform operator record.

    ``apply(X)`` returns, for each sample of ``X`` (shape ``(K, *in_shape)``), the list of
    output balls (``arb`` or ``acb``) in C order. The exact operator is used: the stored
    matrix, or the unitary DFT (``acb.dft``), DCT-II or Walsh–Hadamard transform.
    """

    def __init__(self, rec: Mapping[str, Any]):
        self.kind = rec["kind"]
        if self.kind == "dense":
            self.M = np.asarray(rec["matrix"])
            self.in_shape, self.out_shape = tuple(rec["in_shape"]), tuple(rec["out_shape"])
        else:
            mask = np.asarray(rec["mask"], dtype=bool)
            self.in_shape, self.out_shape = tuple(mask.shape), (int(mask.sum()),)
            self.idx = np.flatnonzero(mask)
        self.complex_out = self.kind == "SubsampledFourier" or (self.kind == "dense" and np.iscomplexobj(self.M))
        self._blocks: dict = {}

    @staticmethod
    def available(rec: Mapping[str, Any]) -> bool:
        kind = rec.get("kind")
        if kind == "dense":
            return True
        if kind in ("SubsampledDCT", "SubsampledWalshHadamard"):
            return max(np.shape(rec["mask"])) <= _BALL_TRANSFORM_LIMIT
        return kind == "SubsampledFourier" and np.size(rec["mask"]) <= _BALL_FOURIER_LIMIT

    def apply(self, X: np.ndarray) -> list[list[Any]]:

        X = np.asarray(X)
        with precision(prec=_BALL_PREC):
            if self.kind == "dense":
                return self._dense(X)
            return [self._transform(x) for x in X]

    def _dense(self, X: np.ndarray) -> list[list[Any]]:
        import flint

        K = X.shape[0]
        flat = X.reshape(K, -1)
        cplx = np.iscomplexobj(flat) or np.iscomplexobj(self.M)
        mat = flint.acb_mat if cplx else flint.arb_mat
        cols = mat(flat.T.tolist())
        out: list[list[Any]] = [[] for _ in range(K)]
        m, N = self.M.shape
        step = max(1, 2 ** 18 // N)
        cache = self.M.size <= 2 ** 20  # keep the converted blocks (at most ~100 MB of balls)
        for r0 in range(0, m, step):
            key = (cplx, r0)
            blk = self._blocks.get(key) if cache else None
            if blk is None:
                blk = mat(self.M[r0:r0 + step].tolist())
                if cache:
                    self._blocks[key] = blk
            block = blk * cols
            for k in range(K):
                out[k].extend(block[i, k] for i in range(block.nrows()))
        return out

    def _transform(self, x: np.ndarray) -> list[Any]:
        import flint

        cplx = np.iscomplexobj(x) or self.kind == "SubsampledFourier"
        conv = flint.acb if cplx else flint.arb
        grid = x.reshape(self.in_shape)
        if grid.ndim == 1:
            grid = grid[None, :]
            shape2 = (1, self.in_shape[0])
        else:
            shape2 = self.in_shape
        n1, n2 = shape2
        rows = [[conv(v) for v in row] for row in np.asarray(grid).tolist()]
        if self.kind == "SubsampledFourier":
            rows = [flint.acb.dft(r) for r in rows]
            if len(self.in_shape) == 2:
                cols = [flint.acb.dft([rows[i][j] for i in range(n1)]) for j in range(n2)]
                rows = [[cols[j][i] for j in range(n2)] for i in range(n1)]
            scale = flint.arb(math.prod(self.in_shape)).rsqrt()
            full = [v * scale for r in rows for v in r]
        else:
            def along(mat_n: Any, data: list[list[Any]]) -> list[list[Any]]:
                # apply the n2 × n2 matrix to every row of data
                if cplx:
                    re = flint.arb_mat([[v.real for v in r] for r in data]) * mat_n.transpose()
                    im = flint.arb_mat([[v.imag for v in r] for r in data]) * mat_n.transpose()
                    return [[flint.acb(re[i, j], im[i, j]) for j in range(re.ncols())] for i in range(re.nrows())]
                res = flint.arb_mat(data) * mat_n.transpose()
                return [[res[i, j] for j in range(res.ncols())] for i in range(res.nrows())]

            rows = along(_transform_matrix(self.kind, n2), rows)
            if len(self.in_shape) == 2:
                colsT = [[rows[i][j] for i in range(n1)] for j in range(n2)]
                colsT = along(_transform_matrix(self.kind, n1), colsT)
                rows = [[colsT[j][i] for j in range(n2)] for i in range(n1)]
            full = [v for r in rows for v in r]
        return [full[int(k)] for k in self.idx]


def _ball_round(balls: list[Any], cplx: bool) -> np.ndarray | None:
    """Nearest float64 of each ball's midpoint (None when a radius is not negligible)."""
    vals = []
    for b in balls:
        parts = (b.real, b.imag) if hasattr(b, "imag") and type(b).__name__ == "acb" else (b,)
        out = []
        for p in parts:
            mid = float(p.mid())
            rad = float(p.rad())
            if not math.isfinite(mid) or rad > 2.0 ** -60 * abs(mid) + 2.0 ** -1070:
                return None
            out.append(mid)
        vals.append(complex(out[0], out[1]) if len(out) == 2 else out[0])
    arr = np.array(vals, dtype=np.complex128 if cplx else np.float64)
    return arr


def _ball_distance(b1: list[Any], b2: list[Any]) -> tuple[float, float]:
    """Proven enclosure of ``‖b1 − b2‖`` for two lists of balls."""
    import flint


    with precision(prec=_BALL_PREC):
        s = flint.arb(0)
        for u, v in zip(b1, b2):
            d = u - v
            if type(d).__name__ == "acb":
                s += d.real * d.real + d.imag * d.imag
            else:
                s += d * d
        lo2, hi2 = ball_lower(s), ball_upper(s)
        hi = ball_upper(flint.arb(max(hi2, 0.0)).sqrt())
        lo = ball_lower(flint.arb(lo2).sqrt()) if lo2 > 0 else 0.0
    return max(0.0, lo), hi


def _measurement_allowance(rec: Mapping[str, Any], x: np.ndarray) -> float:
    """A bound on ``‖fl(Ax) − Ax‖`` for A's own float64 evaluation (checks compute ``y`` that way).

    Dense matrices: Higham's ``γ·‖|A||x|‖`` for any summation order (complex included),
    doubled; transforms (FFT, DCT, Walsh–Hadamard): the FFT error model
    ``64(⌈log₂N⌉ + 2)·u·‖x‖`` (unitary transforms); a dense matrix computed from
    another operator adds that model too (its columns came from that operator).
    """
    N = int(np.asarray(x).size)
    model = 64.0 * (math.ceil(math.log2(max(N, 2))) + 2) * U
    if rec["kind"] == "dense":
        M = np.asarray(rec["matrix"])
        with np.errstate(over="ignore", invalid="ignore"):
            v = _norms((np.abs(M) @ np.abs(np.asarray(x).reshape(-1)))[None])[0]
            out = 4.0 * gamma(2 * N + 8) * float(v)
            if rec["source"] != "MatrixOperator":
                out += model * float(_norms(M.reshape(1, -1))[0]) * _norm(x)
        return out + 1e3 * TINY
    return model * _norm(x) + 1e3 * TINY


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
        A lower bound on ``L^ε(Ψ, y)`` at the stored measurements ``y ≈ Ax`` for every
        ``ε ≥ ‖y − y′‖`` (rounded up, ``values["distance_measurements_bounds"][1]``),
        whatever the hypotheses: ``(‖Ψ(y) − Ψ(y′)‖ − 16(ν + ν′))/‖y − y′‖`` rounded
        down, with ``ν, ν′`` the estimated rounding noise of the two outputs
        (0 when that is not positive).
    eta : float
        The ``η`` of the hypotheses (the smallest one when not given).
    hypotheses : dict
        name → ``(holds, margin)``; ``holds`` is None when the margin is within
        the rounding allowance (norm enclosures plus 16 times ``Ψ``'s noise estimate).
    ball_radius : float
        Radius of a ball ``B_y`` around ``Ax`` on which
        ``L^ε(Ψ, ỹ) ≥ (‖x − x′‖ − 2η)/ε`` for all ``ε ≥ η`` was checked
        (``values["ball_rigor"]``: certified at the centre, sampled inside).
    false_negative, false_positive : FalseDetection or None

    ``outcome`` is ``holds`` when every hypothesis is certified and the output
    change exceeds 32 times the summed noise estimates (then ``Ψ`` is unstable
    at ``Ax``), ``inconclusive`` otherwise (the message says why).

    Theorem: universal instability theorem (THEORY.md §3).
    Rigor: certified-float64 (Ψ evaluated twice on the CPU in float64, its rounding
    noise allowed for; see the module docstring), or numerical with an
    inconclusive outcome.
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

    def theorem_bound(self, eps: float) -> float:
        """The theorem's bound ``(‖x − x′‖ − 2η)/ε`` on ``L^ε(Ψ, ỹ)``, for ``ε ≥ η`` (rounded down).

        Raises :class:`~theorycheck.errors.PreconditionError` (naming the
        hypothesis) unless the certificate holds at rigor ≥ certified-float64,
        and :class:`InvalidArgument` for ``ε < η`` (the theorem says nothing there).

        Theorem: universal instability theorem (a) (THEORY.md §3).
        Rigor: the certificate's (the bound is rounded down from an enclosure of ``‖x − x′‖``).
        """
        eps = real_arg(eps, "eps")
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
        bounds = self.values.get("distance_images_bounds")
        if bounds is None or not self.eta > 0:
            raise InvalidArgument(f"this certificate has no bound ({self.message})")
        if not (eps >= self.eta):
            raise InvalidArgument(f"the theorem's bound holds for ε ≥ η = {self.eta:.6g}, got ε = {eps}")
        return _theorem_bound_value(float(bounds[0]), self.eta, eps)

    def witnessed_bound(self, eps: float) -> float:
        """The witnessed bound on ``L^ε(Ψ, y)``: ``lower_bound`` for ``ε ≥ ‖y − y′‖`` (rounded up).

        Theorem: definition of ``L^ε`` (THEORY.md §3).
        Rigor: the certificate's.
        """
        eps = real_arg(eps, "eps")
        bounds = self.values.get("distance_measurements_bounds")
        if bounds is None:
            raise InvalidArgument(f"this certificate has no bound ({self.message})")
        a = float(bounds[1])
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
        The worst draw's error ``‖Ψ(y + e) − ref‖``, re-evaluated on the CPU in float64.

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

    The images of every reported pair are stored in the witness, so that
    ``theorycheck verify`` re-proves each pair's claims; that the stored images are
    images ``i, j`` of the training set, and that no other pair qualifies, needs the
    set itself (``verify_result(result, X=...)``).

    Theorem: universal instability theorem, training version (THEORY.md §3).
    Rigor: certified-float64: each reported pair's ``‖A(x_i − x_j)‖ ≤ η`` is proven in
    ball arithmetic and ``‖x_i − x_j‖ > 2η`` from a rigorous enclosure; the search for
    candidates (a ``holds`` outcome) allows for the float64 error of ``AX`` (Higham's
    bound for dense ``A``; an FFT error model for transforms).
    """

    #: how the audit ran and what it saw of the set (not re-checkable without the set)
    informational = frozenset({"elapsed_s"})

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
_ASSUMPTION = "Ψ continuous (true for networks built from continuous layers)"


def _theorem_bound_value(D_lo: float, eta: float, eps: float) -> float:
    """``(‖x − x′‖ − 2η)/ε`` rounded down, from a lower bound ``D_lo`` on ``‖x − x′‖``."""
    num = _sub_down(float(D_lo), 2.0 * float(eta))  # 2η: exact doubling
    return _div_down(num, float(eps))


def _floor(p: Any) -> float:
    from theorycheck.nets.adapters import output_rounding_floor

    return output_rounding_floor(p)


def _psi_text(opts: Mapping[str, Any]) -> str:
    return (f"{opts.get('model')} (input={opts.get('input')!r}, layout={opts.get('layout')!r}, "
            f"complex_as_channels={opts.get('complex_as_channels')!r}, backend={opts.get('backend')!r}, "
            f"batched={opts.get('batched')!r}, eval_mode={opts.get('eval_mode')!r}) evaluated in float64 "
            "on the CPU, each sample alone")


def _batch_independent(psi_map: Any, Y: np.ndarray, out: np.ndarray, dtype: Any = "float64",
                       device: Any = None, rtol: float = 1e-9) -> bool:
    """Whether the batched outputs ``out`` match ``Ψ`` evaluated on each sample alone."""
    single = np.concatenate([psi_map.evaluate_batch(Y[i:i + 1], dtype=dtype, device=device)
                             for i in range(Y.shape[0])])
    return single.shape == out.shape and _arr_close(single, out, rtol)


def _arr_close(a: Any, b: Any, rtol: float = 1e-12) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        scale = max(float(np.max(np.abs(a))) if a.size else 0.0, float(np.max(np.abs(b))) if b.size else 0.0)
        return bool(np.all(np.abs(a - b) <= rtol * max(scale, 1e-300)))


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
    if samples <= 0 or a == 0 or not math.isfinite(need) or not guess > 0 or not math.isfinite(guess):
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
        if not np.all(np.isfinite(Y)):
            return False
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

    The measurements ``y, y′`` are ``Ax, Ax′`` rounded to float64 from a ball
    arithmetic evaluation of the exact operator. ``Ψ`` is evaluated twice on
    the CPU in float64 at ``y``, ``y′`` and the false-negative/positive inputs,
    and its rounding noise ``ν`` is estimated at each (see the module
    docstring: every claim allows 16ν on each output). Then:

    * hypotheses, each with its margin: ``‖Ψ(y) − x‖ < η``, ``‖Ψ(y′) − x′‖ < η``,
      ``‖Ax − Ax′‖ ≤ η`` (the exact distance, enclosed in ball arithmetic, and
      ``‖y − y′‖``), ``‖x − x′‖ > 2η`` (``Ψ`` continuous is assumed: true for
      networks of continuous layers);
    * the witnessed bound ``L^ε(Ψ, y) ≥ (‖Ψ(y) − Ψ(y′)‖ − 16(ν + ν′))/‖y − y′‖`` for
      every ``ε ≥ ‖y − y′‖`` (``lower_bound``), and the theorem's
      ``(‖x − x′‖ − 2η)/ε`` for ``ε ≥ η`` (:meth:`~InstabilityCertificate.theorem_bound`);
    * a ball ``B_y`` around ``y`` on which the theorem's bound was checked at
      ``ball_samples`` random points per tested radius (radii doubled from a
      Lipschitz-style guess while they pass; numerical; radius 0 means only
      the certified centre);
    * the false negative (measure ``x′``, add ``e = y − y′``: ``Ψ`` returns
      about ``x``, the detail ``x′ − x`` vanishes) and the false positive
      (measure ``x``, add ``e = y′ − y``: a detail appears).

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
        beyond rounding (about ``max(‖Ψ(Ax) − x‖, ‖Ψ(Ax′) − x′‖, ‖A(x − x′)‖)``),
        reported in the message.
    ball_samples : int
        Random points per tested radius of ``B_y`` (0: skip the ball).
    seed : int, Generator or None
        Seed of the ball's random points (the value used is stored in the witness).

    Returns
    -------
    InstabilityCertificate
        ``holds`` (certified-float64) when every hypothesis holds beyond
        rounding and the output change exceeds 32 times ``Ψ``'s estimated
        noise; ``inconclusive`` with the reason otherwise (a hypothesis fails
        or is undecided, the change is within rounding noise, or ``Ψ`` returned
        NaN/inf, reduced-precision output or different outputs on the two
        evaluations).

    Raises
    ------
    PreconditionError
        ``x == x′``.
    InvalidArgument
        Shapes of ``x``, ``x′``, ``A`` and ``Ψ`` do not match, non-finite data, ``η ≤ 0``.

    Theorem: universal instability theorem (a), (b) (THEORY.md §3; seeds 002, 004).
    Rigor: certified-float64 (a statement about Ψ evaluated in float64 on the CPU,
    its rounding noise allowed for; every norm enclosed rigorously); the ball
    radius is numerical (sampled) unless 0.

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
    refuse_size(ball_samples, 2 ** 16, "ball_samples", "pass at most 65536 points per radius")
    seed = _seed_int(seed)
    pm = _psi_map(psi, A)
    rec = _operator_record(A)
    y, yp = _apply(A, xv), _apply(A, xpv)  # each alone: as the user's own A @ x
    if y.dtype != yp.dtype:
        y, yp = y.astype(np.complex128), yp.astype(np.complex128)
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(yp))):
        raise InvalidArgument("A·x overflows float64: rescale A or the images")
    with np.errstate(over="ignore", invalid="ignore"):
        y_fn, y_fp = yp + (y - yp), y + (yp - y)
    if not (np.all(np.isfinite(y_fn)) and np.all(np.isfinite(y_fp))):
        raise InvalidArgument("A(x − x′) overflows float64: rescale A or the images")
    a = _norm(y - yp)
    ev = pm.evaluate_float64(np.stack([y, yp, y_fn, y_fp]), noise=True, noise_scale=a if a > 0 else None,
                             noise_segments=[(0, 1)] if a > 0 else None)
    w: dict[str, Any] = {"x": xv, "x_prime": xpv, "y": y, "y_prime": yp, "y_fn": y_fn, "y_fp": y_fp,
                         "operator": rec, "psi": pm.options(), "eta": eta, "ball_samples": ball_samples,
                         "seed": seed, "psi_precision": ev.precision, "psi_status": ev.reason,
                         "ball_radius": 0.0, "ball_points_tested": 0, "ball_note": ""}
    if ev.ok and not ev.reason:
        p, pp, p_fn, p_fp = ev.output
        w.update(psi_y=p, psi_y_prime=pp, psi_fn=p_fn, psi_fp=p_fp,
                 psi_noise=np.asarray(ev.noise.noise, dtype=np.float64))
    elif not ev.reason:  # not ok but no reason: cannot happen (ok means finite and consistent)
        w["psi_status"] = "Ψ's float64 evaluation is not usable"
    cert = _assemble_instability(w)
    if cert.holds and ball_samples > 0:
        D_lo = float(cert.values["distance_images_bounds"][0])
        need = D_lo - 2 * cert.eta
        ratio = float(cert.values["ratio"])
        dpsi = float(cert.values["output_distance"])
        # first radius: the centre's slack over the local gain, a Lipschitz-style guess
        guess = min(a, (dpsi - need) / (2 * ratio)) if ratio > 0 else a
        radius, tested, note = _ball_radius(pm, y, yp - y, need, ball_samples, seed, guess)
        w.update(ball_radius=float(radius), ball_points_tested=int(tested), ball_note=note)
        cert = _assemble_instability(w)
    return cert


def _assemble_instability(w: Mapping[str, Any]) -> InstabilityCertificate:
    """Every value, hypothesis, bound, outcome, rigor and message from the witness (deterministic)."""
    rec, opts = w["operator"], w["psi"]
    x, xp, y, yp = (np.asarray(w[k]) for k in ("x", "x_prime", "y", "y_prime"))
    D, D_lo, D_hi = _dist(x, xp)
    a, a_lo, a_hi = _dist(y, yp)
    exact = None
    if rec.get("kind") != "opaque" and _Ball.available(rec):
        bx = _Ball(rec).apply(np.stack([x, xp]) if x.dtype == xp.dtype
                              else np.stack([x.astype(complex), xp.astype(complex)]))
        exact = _ball_distance(bx[0], bx[1])
    radius = float(w["ball_radius"])
    values: dict[str, Any] = {
        "distance_images": D, "distance_images_bounds": (D_lo, D_hi),
        "distance_measurements": a, "distance_measurements_bounds": (a_lo, a_hi),
        "measurement_distance_exact": exact, "psi_precision": str(w["psi_precision"]),
        "psi": _psi_text(opts), "operator": _record_text(rec), "assumption": _ASSUMPTION,
        "ball_samples": int(w["ball_samples"]), "ball_seed": int(w["seed"]),
        "ball_points_tested": int(w["ball_points_tested"]),
        "ball_rigor": (Rigor.NUMERICAL.value if radius > 0 else Rigor.CERTIFIED_FLOAT64.value),
        "ball_note": str(w["ball_note"]),
    }
    witness = Witness("instability_pair", dict(w))
    eta_in = w["eta"]
    note = "" if (rec.get("kind") == "dense" and rec.get("source") == "MatrixOperator") or \
        rec.get("kind") in _TRANSFORMS else f"; {_record_text(rec)}"
    if w["psi_status"]:
        return InstabilityCertificate(
            "instability", Outcome.INCONCLUSIVE, Rigor.NUMERICAL, f"not certified: {w['psi_status']}{note}",
            values, witness, _THEOREM, eta=math.nan if eta_in is None else float(eta_in), ball_radius=radius)
    p, pp, p_fn, p_fp = (np.asarray(w[k]) for k in ("psi_y", "psi_y_prime", "psi_fn", "psi_fp"))
    nu = [float(v) for v in np.asarray(w["psi_noise"])]
    allow = [_KAPPA * v for v in nu]  # exact (power of two)
    dx, dx_lo, dx_hi = _dist(p, x)
    dx_lo, dx_hi = _noisy(dx_lo, dx_hi, allow[0])
    dxp, dxp_lo, dxp_hi = _dist(pp, xp)
    dxp_lo, dxp_hi = _noisy(dxp_lo, dxp_hi, allow[1])
    C, C_lo, C_hi = _dist(p, pp)
    C_lo_n = _sub_down(C_lo, _add_up(allow[0], allow[1]))
    noise_need = _add_up(_SAFETY * nu[0], _SAFETY * nu[1])
    noise_ok = C_lo > noise_need
    ratio = C / a if a > 0 else math.nan
    lower = _div_down(C_lo_n, a_hi) if (a_lo > 0 and C_lo_n > 0 and math.isfinite(a_hi)) else 0.0
    eta_min = max(dx, dxp, a)
    chosen = eta_in is None
    if chosen:
        top = max(dx_hi, dxp_hi, a_hi, exact[1] if exact else 0.0)
        eta = round_up(top * (1.0 + 2.0 ** -40)) if top > 0 else TINY
    else:
        eta = float(eta_in)
    if exact is None:
        meas = True if a_hi <= eta else (False if a_lo > eta else None)
    else:
        meas = (True if (a_hi <= eta and exact[1] <= eta) else
                False if (a_lo > eta or exact[0] > eta) else None)
    hyp = {
        _H_ACC_X: (True if dx_hi < eta else (False if dx_lo >= eta else None), float(eta - dx)),
        _H_ACC_XP: (True if dxp_hi < eta else (False if dxp_lo >= eta else None), float(eta - dxp)),
        _H_MEAS: (meas, float(eta - a)),
        _H_FAR: (True if D_lo > 2 * eta else (False if D_hi <= 2 * eta else None), float(D - 2 * eta)),
    }
    all_hold = all(h[0] is True for h in hyp.values())
    fn = FalseDetection("false_negative", y - yp, np.asarray(w["y_fn"]), p_fn, xp, _norm(p_fn - xp),
                        _norm(p_fn - x), _norm(y - yp))
    fp = FalseDetection("false_positive", yp - y, np.asarray(w["y_fp"]), p_fp, x, _norm(p_fp - x),
                        _norm(p_fp - xp), _norm(yp - y))
    values.update({
        "error_x": dx, "error_x_prime": dxp, "output_distance": C, "ratio": ratio, "eta_min": eta_min,
        "eta_chosen": chosen, "noise_allowance": _add_up(allow[0], allow[1]),
        "output_distance_lower": max(0.0, C_lo_n),
    })
    theorem_at_eta = math.nan
    if all_hold:
        theorem_at_eta = _theorem_bound_value(D_lo, eta, eta)
        values["theorem_bound_at_eta"] = theorem_at_eta
    eta_txt = (f"η = {_fmt(eta)} (the smallest η for which the hypotheses hold: "
               f"max(‖Ψ(Ax) − x‖, ‖Ψ(Ax′) − x′‖, ‖A(x − x′)‖) = {_fmt(eta_min)}, raised by rounding)"
               if chosen else f"η = {_fmt(eta)}")
    noise_txt = (f"the output change ‖Ψ(Ax) − Ψ(Ax′)‖ = {_fmt(C, 4)} is within {_SAFETY:g} times Ψ's "
                 f"estimated float64 rounding noise ({_fmt(nu[0], 3)} + {_fmt(nu[1], 3)}; a jump of Ψ inside "
                 "the witness segment counts as noise: a rounding step and a discontinuity look alike, and "
                 "the theorem assumes Ψ continuous)")
    if all_hold and noise_ok:
        msg = (f"Ψ is unstable at Ax: L^ε(Ψ, Ax) ≥ {_fmt(lower)} for every ε ≥ {_fmt(a_hi, 3)} (witness "
               f"pair), and ≥ the theorem's (‖x − x′‖ − 2η)/ε for every ε ≥ η ({_fmt(theorem_at_eta)} at "
               f"ε = η); {eta_txt}; false negative: the detail of norm {_fmt(D, 3)} vanishes (error "
               f"{_fmt(fn.error, 3)}) under noise of norm {_fmt(a, 3)}{note}")
        outcome = Outcome.HOLDS
    else:
        failed = [k for k, h in hyp.items() if h[0] is False]
        undecided = [k for k, h in hyp.items() if h[0] is None]
        parts = []
        if failed:
            why = "; ".join(f"{k} fails by {_fmt(-hyp[k][1], 3)}" for k in failed)
            if chosen:
                why += (f" (no η works: Ψ is not accurate enough on both images, "
                        f"‖Ψ(Ax) − x‖ + ‖Ψ(Ax′) − x′‖ = {_fmt(dx + dxp, 3)} vs ‖x − x′‖ = {_fmt(D, 3)}"
                        + (", and A(x − x′) = 0" if a == 0 else "") + ")")
            parts.append(why)
        if undecided:
            parts.append("margins within the rounding allowance (norm enclosures and 16× Ψ's noise "
                         "estimate) for " + ", ".join(undecided)
                         + (": pass a slightly different eta" if not chosen else ""))
        if not noise_ok:
            parts.append(noise_txt)
        if all_hold:
            msg = f"not certified: {'; '.join(parts)}; {eta_txt}{note}"
        else:
            msg = (f"the theorem does not apply with {eta_txt}: {'; '.join(parts)}; the witnessed ratio "
                   f"L^ε(Ψ, Ax) ≥ {_fmt(lower)} for ε ≥ {_fmt(a_hi, 3)} still holds{note}")
        outcome = Outcome.INCONCLUSIVE
    # an inconclusive certificate certifies nothing about the theorem: numerical
    rigor = Rigor.CERTIFIED_FLOAT64 if outcome is Outcome.HOLDS else Rigor.NUMERICAL
    return InstabilityCertificate(
        "instability", outcome, rigor, msg, values, witness, _THEOREM,
        lower_bound=float(lower), eta=float(eta), hypotheses=hyp, ball_radius=radius,
        false_negative=fn, false_positive=fp)


# --------------------------------------------------------------------------------------
# verification of saved certificates: shared witness checks
# --------------------------------------------------------------------------------------

class _Check:
    """Collects the problems of a stored witness (each names its field)."""

    def __init__(self, w: Mapping[str, Any], where: str = "witness"):
        self.w, self.where, self.problems = w, where, []

    def bad(self, key: str, why: str) -> None:
        self.problems.append(f"{self.where}[{key!r}]: {why}")

    def array(self, key: str, *, shape: tuple | None = None, kinds: str = "fc", finite: bool = True,
              ndim: int | None = None) -> np.ndarray | None:
        v = self.w.get(key)
        if not isinstance(v, np.ndarray):
            self.bad(key, "missing or not an array")
            return None
        ok_dtype = (v.dtype in (np.float64, np.complex128) if kinds == "fc" else
                    v.dtype == np.float64 if kinds == "f" else v.dtype.kind in kinds)
        if not ok_dtype:
            self.bad(key, f"dtype {v.dtype} is not allowed here")
            return None
        if v.size > _WITNESS_LIMIT:
            self.bad(key, f"{v.size} entries exceed the limit {_WITNESS_LIMIT}")
            return None
        if shape is not None and v.shape != tuple(shape):
            self.bad(key, f"shape {v.shape}, expected {tuple(shape)}")
            return None
        if ndim is not None and v.ndim != ndim:
            self.bad(key, f"{v.ndim} dimensions, expected {ndim}")
            return None
        if finite and v.dtype.kind in "fc" and not bool(np.all(np.isfinite(v))):
            self.bad(key, "not finite")
            return None
        return v

    def number(self, key: str, *, minimum: float | None = None, positive: bool = False,
               integer: bool = False, none: bool = False, maximum: float | None = None) -> Any:
        v = self.w.get(key, "__missing__")
        if v is None and none:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
            self.bad(key, f"expected {'an integer' if integer else 'a number'}, got {v!r}"[:200])
            return None
        if not math.isfinite(float(v)) or (positive and not v > 0) or (minimum is not None and v < minimum) \
                or (maximum is not None and v > maximum):
            self.bad(key, f"{v!r} is out of range")
            return None
        return v

    def text(self, key: str, choices: tuple | None = None) -> str | None:
        v = self.w.get(key)
        if not isinstance(v, str) or len(v) > 2000 or (choices is not None and v not in choices):
            self.bad(key, f"expected {'one of ' + repr(choices) if choices else 'a string'}, got {v!r}"[:200])
            return None
        return v

    def operator(self, key: str = "operator") -> Mapping[str, Any] | None:
        rec = self.w.get(key)
        bad = _record_problems(rec, f"{self.where}[{key!r}]")
        if bad:
            self.problems += bad
            return None
        return rec

    def options(self, key: str = "psi") -> Mapping[str, Any] | None:
        from theorycheck.nets.adapters import map_options_problems

        bad = map_options_problems(self.w.get(key))
        if bad:
            self.problems += [f"{self.where}[{key!r}]: {b}" for b in bad]
            return None
        return self.w[key]

    def measurements(self, rec: Mapping[str, Any], X: np.ndarray, stored: Sequence[np.ndarray],
                     names: Sequence[str]) -> bool:
        """``stored[i]`` is ``A·X[i]`` up to the rounding of A's float64 evaluation; False when
        not re-checkable (opaque operator).

        The exact ``A·X[i]`` is enclosed in ball arithmetic on the stored operator (or, for
        transforms too large for it, recomputed in float64) and the stored vector must lie
        within :func:`_measurement_allowance` of it.
        """
        if rec.get("kind") == "opaque":
            return False
        X = np.asarray(X)
        core = _record_core(rec)
        if X.ndim != len(core) + 1 or tuple(X.shape[1:]) != core:
            self.problems.append(f"{self.where}: images of shape {tuple(X.shape[1:])} do not match the "
                                 f"operator's {core}")
            return True
        if len(stored) != X.shape[0]:
            self.problems.append(f"{self.where}[{names[0] if names else 'y'}]: {len(stored)} measurement "
                                 f"vectors for {X.shape[0]} images")
            return True
        try:
            if _Ball.available(rec):
                balls = _Ball(rec).apply(X)
                ref = []
                for b in balls:
                    r = _ball_round(b, _Ball(rec).complex_out or bool(np.iscomplexobj(X)))
                    ref.append(r)
            else:
                op = _record_op(rec)
                ref = list(_apply(op, X).reshape(X.shape[0], -1))
        except TheorycheckError as exc:
            self.problems.append(f"cannot apply the stored operator: {exc}")
            return True
        for i, name in enumerate(names):
            s = np.asarray(stored[i])
            r = ref[i]
            if r is None or s.size != r.size:
                self.problems.append(f"{self.where}[{name!r}] does not have A's output shape")
                continue
            with np.errstate(over="ignore", invalid="ignore"):
                d = _norm(s.reshape(-1) - r.reshape(-1))
            allow = 2.0 * _measurement_allowance(rec, X[i]) + 4.0 * U * _norm(r)
            if not d <= allow:
                self.problems.append(f"{self.where}[{name!r}] is not A·x for the stored operator and image "
                                     f"(off by {d:.3g}, more than the rounding allowance {allow:.3g})")
        return True

    def noise(self, key: str, outputs: Sequence[np.ndarray]) -> np.ndarray | None:
        nu = self.array(key, shape=(len(outputs),), kinds="f")
        if nu is None:
            return None
        for i, p in enumerate(outputs):
            if not (nu[i] >= _floor(p)):
                self.bad(key, f"entry {i} = {nu[i]!r} is below the output's own rounding ½‖ulp‖ = {_floor(p)!r}")
                return None
        return nu


def _reevaluate(model: Any, opts: Mapping[str, Any], rec: Mapping[str, Any], Y: np.ndarray,
                stored: Sequence[np.ndarray], noise: Sequence[float], names: Sequence[str],
                scale: Any = None, segments: Any = None) -> list[str]:
    """Re-run ``Ψ`` (rebuilt from ``model`` and the stored options) in float64 and compare.

    A re-evaluated output may differ from the stored one by at most 16 times the stored
    noise estimate (the certificate's promise), and the new noise estimate may not
    exceed 16 times the stored one (an understated estimate).
    """
    from theorycheck.nets.adapters import ReconstructionMap

    op = _record_op(rec)
    if op is None:
        return ["cannot re-evaluate Ψ: the operator is opaque (not stored in the file)"]
    try:
        pm = ReconstructionMap.from_options(model, dict(opts), op)
        ev = pm.evaluate_float64(np.asarray(Y), noise=True, noise_scale=scale, noise_segments=segments)
    except TheorycheckError as exc:
        return [f"re-evaluating Ψ with the given model failed: {exc}"]
    if not ev.ok or ev.reason:
        return [f"re-evaluating Ψ with the given model: {ev.reason or 'not usable'}"]
    out = []
    for i, name in enumerate(names):
        got, want = ev.output[i], np.asarray(stored[i])
        if got.shape != want.shape:
            out.append(f"{name}: the model returns shape {got.shape}, the file stores {want.shape}")
            continue
        d = _norm(got - want) if got.dtype == want.dtype or np.iscomplexobj(want) else _norm(np.real(got) - want)
        allow = _KAPPA * float(noise[i])
        if not d <= allow:
            out.append(f"{name}: the model's float64 output differs from the stored one by {d:.3g}, more "
                       f"than the noise allowance {allow:.3g}")
        if float(ev.noise.noise[i]) > allow:
            out.append(f"{name}: the model's rounding noise estimate {float(ev.noise.noise[i]):.3g} exceeds 16 "
                       f"times the stored one ({float(noise[i]):.3g}): the file understates it")
    return out


def _model_arg(psi: Any, model: Any) -> Any:
    if psi is not None and model is not None and psi is not model:
        raise InvalidArgument("pass the network once, as model= (psi= is its older name)")
    model = model if model is not None else psi
    if model is not None and not callable(model):
        raise InvalidArgument(f"model must be a torch.nn.Module, a callable or a ReconstructionMap, got "
                              f"{type(model).__name__}")
    return model


def _result_arg(result: Any) -> CheckResult:
    if not isinstance(result, CheckResult):
        raise InvalidArgument(f"pass a loaded result (CheckResult), got {type(result).__name__}")
    return result


def _no_witness(name: str, result: CheckResult, kind: str) -> CheckResult:
    return CheckResult(name, Outcome.VIOLATED, Rigor.NUMERICAL,
                       f"the saved result has no {kind!r} witness: none of its claims can be re-derived",
                       {"problems": (f"witness: missing or not of kind {kind!r}",), "not_rechecked": ""})


_INSTABILITY_KEYS = {"x", "x_prime", "y", "y_prime", "y_fn", "y_fp", "operator", "psi", "eta", "ball_samples",
                     "seed", "psi_precision", "psi_status", "ball_radius", "ball_points_tested", "ball_note"}
_OUTPUT_KEYS = ("psi_y", "psi_y_prime", "psi_fn", "psi_fp")


def verify_instability(cert: CheckResult, psi: Any = None, *, model: Any = None) -> CheckResult:
    """Re-check a saved :class:`InstabilityCertificate` from its witness, in float64.

    Validates the witness (shapes, dtypes, finiteness, the operator record,
    the adapter options, the noise estimates against the outputs' own
    rounding), re-derives the measurements ``y = Ax`` bit for bit (ball
    arithmetic on the stored operator; an opaque or unknown operator is
    reported, never skipped silently), then every value, enclosure,
    hypothesis, bound, the outcome, rigor and message from the witness
    (:func:`_assemble_instability`) and compares them exactly with the file.
    ``Ψ`` itself cannot be stored in JSON: without ``model`` its outputs and
    noise estimates are taken from the file (the result says so); with
    ``model`` (a torch module, callable or ReconstructionMap: the map is
    rebuilt with the stored adapter options) they are re-evaluated and must
    lie within the certificate's noise allowance.

    Parameters
    ----------
    cert : CheckResult
        A loaded ``instability`` result.
    psi : torch.nn.Module, callable or ReconstructionMap, optional
        The network (older name of ``model``).
    model : torch.nn.Module, callable or ReconstructionMap, optional
        The network, to re-evaluate ``Ψ``.

    Returns
    -------
    CheckResult
        ``verify:instability``: ``holds`` when every saved claim re-checks,
        ``violated`` (naming the fields) otherwise.

    Theorem: universal instability theorem (THEORY.md §3).
    Rigor: the saved certificate's (never above it).
    """
    _result_arg(cert)
    model = _model_arg(psi, model)
    name = "verify:instability"
    w = cert.witness
    if not isinstance(cert, InstabilityCertificate) or w is None or w.kind != "instability_pair":
        return _no_witness(name, cert, "instability_pair")
    d = w.data
    chk = _Check(d)
    extra = set(d) - _INSTABILITY_KEYS - set(_OUTPUT_KEYS) - {"psi_noise"}
    if extra:
        chk.problems.append(f"witness: unknown field(s) {sorted(extra)}")
    rec, opts = chk.operator(), chk.options()
    x = chk.array("x")
    xp = chk.array("x_prime", shape=None if x is None else x.shape)
    ys = [chk.array(k) for k in ("y", "y_prime", "y_fn", "y_fp")]
    chk.number("eta", positive=True, none=True)
    chk.number("ball_samples", minimum=0, integer=True, maximum=2 ** 16)
    chk.number("seed", minimum=0, integer=True)
    chk.number("ball_radius", minimum=0)
    chk.number("ball_points_tested", minimum=0, integer=True)
    chk.text("ball_note")
    status = chk.text("psi_status")
    prec = chk.text("psi_precision")
    if status == "" and prec != "float64":
        chk.bad("psi_precision", "a certified evaluation must be float64")
    outs: list = []
    if status == "":
        outs = [chk.array(k, shape=None if x is None else x.shape) for k in _OUTPUT_KEYS]
        if all(o is not None for o in outs):
            chk.noise("psi_noise", outs)
    elif status is not None and any(k in d for k in _OUTPUT_KEYS + ("psi_noise",)):
        chk.problems.append("witness: Ψ outputs stored for an evaluation marked unusable")
    if rec is not None and x is not None and xp is not None and all(v is not None for v in ys):
        if tuple(x.shape) != tuple(rec["mask"].shape if "mask" in rec else rec["in_shape"]):
            chk.bad("x", f"shape {x.shape} does not match the operator")
        else:
            y, yp, y_fn, y_fp = ys
            X = np.stack([x, xp]) if x.dtype == xp.dtype else np.stack([x.astype(complex), xp.astype(complex)])
            chk.measurements(rec, X, [y, yp], ["y", "y_prime"])
            if y.shape != yp.shape:
                chk.bad("y_prime", "shape differs from y")
            else:
                with np.errstate(over="ignore", invalid="ignore"):
                    if not np.array_equal(y_fn, yp + (y - yp)) or y_fn.dtype != y.dtype:
                        chk.bad("y_fn", "is not y′ + (y − y′)")
                    if not np.array_equal(y_fp, y + (yp - y)) or y_fp.dtype != y.dtype:
                        chk.bad("y_fp", "is not y + (y′ − y)")
    if chk.problems:
        return verification(cert, chk.problems, rederived="nothing: the witness is malformed",
                            values={"psi_reevaluated": False})
    problems = claim_mismatches(cert, _assemble_instability(d))
    reevaluated = False
    if model is not None and status == "" and not problems:
        Y = np.stack([np.asarray(d[k]) for k in ("y", "y_prime", "y_fn", "y_fp")])
        a = float(cert.values.get("distance_measurements", 0.0))
        problems += _reevaluate(model, opts, rec, Y, outs, d["psi_noise"],
                                ["Ψ(Ax)", "Ψ(Ax′)", "Ψ(false-negative input)", "Ψ(false-positive input)"],
                                scale=a if a > 0 else None, segments=[(0, 1)] if a > 0 else None)
        reevaluated = True
    not_re = []
    if status == "" and not reevaluated:
        not_re.append("Ψ's outputs and noise estimates (pass model= to re-run the network)")
    if rec is not None and rec.get("kind") == "opaque":
        not_re.append("that y, y′ are A·x, A·x′ (the operator is opaque: not stored)")
    if float(d.get("ball_radius", 0.0)) > 0:
        not_re.append("the sampled ball radius (numerical)")
    return verification(cert, problems,
                        rederived="the measurements, every enclosure, value, hypothesis, bound, the outcome, "
                                  "rigor and message from the witness"
                                  + ("; Ψ re-evaluated twice in float64 within the noise allowance"
                                     if reevaluated else ""),
                        not_rechecked="; ".join(not_re), values={"psi_reevaluated": reevaluated})


@register_verifier("instability")
def _verify_saved_instability(result: CheckResult, model: Any = None) -> CheckResult:
    return verify_instability(result, model=model)


# --------------------------------------------------------------------------------------
# random noise
# --------------------------------------------------------------------------------------

def _round_sig(v: float, digits: int, up: bool) -> float:
    """``v`` rounded outward to ``digits`` significant decimal digits (deterministic across
    library versions whose results agree to that many digits)."""
    from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

    v = float(v)
    if v == 0.0 or not math.isfinite(v):
        return v
    e = math.floor(math.log10(abs(v))) - digits + 1
    d = Decimal(v).quantize(Decimal(1).scaleb(e), rounding=ROUND_CEILING if up else ROUND_FLOOR)
    f = float(d)
    if up and Decimal(f) < d:
        f = round_up(f)
    if not up and Decimal(f) > d:
        f = round_down(f)
    return f


def _clopper_pearson(k: int, n: int, confidence: float) -> tuple[float, float]:
    """Two-sided Clopper–Pearson interval, rounded outward to 10 significant digits."""
    from scipy.stats import beta

    alpha = 1.0 - confidence
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return max(0.0, _round_sig(lo, 10, up=False)), min(1.0, _round_sig(hi, 10, up=True))


def random_noise_instability(psi: Any, A: Any, x: Any, *, noise_norm: float, trials: int = 100,
                             threshold: float, seed: Any = None, reference: str = "prediction",
                             confidence: float = 0.95, batch_size: int = 64, device: Any = None,
                             dtype: Any = None, progress: bool = False) -> NoiseInstabilityResult:
    """Probability that random noise of norm ``noise_norm`` makes ``Ψ`` err by more than ``threshold``.

    Draws ``trials`` noise vectors ``e`` uniformly on the sphere ``‖e‖ = noise_norm``
    of the measurement space (complex when the measurements are), evaluates
    ``error(e) = ‖Ψ(y + e) − ref‖`` (``y = Ax``) with ``ref = Ψ(y)``
    (``reference="prediction"``) or ``x`` (``"truth"``), and reports the fraction
    above ``threshold`` with a Clopper–Pearson interval. The worst draw is
    re-evaluated twice on the CPU in float64 with its rounding noise estimated:
    if its error exceeds the threshold by more than 16 times that noise, the set of
    such noise vectors is open and non-empty (``Ψ`` continuous), so the
    probability is positive — certified.

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
    seed : int, numpy.random.Generator or None
        Source of the draws (same seed, same draws; the value used is stored).
    reference : {"prediction", "truth"}
    confidence : float
        Level of the two-sided Clopper–Pearson interval, in (0, 1).
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
        confirms it beyond rounding; ``inconclusive`` otherwise (also when any
        draw's error is not finite).

    Theorem: universal instability theorem, "not rare" (THEORY.md §3; seed 004).
    Rigor: certified-float64 for the positive-probability claim (worst draw, Ψ in
    float64 on the CPU with its rounding noise allowed for); the interval is a
    statistical (Clopper–Pearson) confidence interval from the draws' errors.
    """

    A = _operator(A)
    xv = _images(x, A, "x")
    noise_norm = real_arg(noise_norm, "noise_norm")
    threshold = real_arg(threshold, "threshold", allow_zero=True)
    trials = integer_arg(trials, "trials")
    batch_size = integer_arg(batch_size, "batch_size")
    reference = choice_arg(reference, "reference", ("prediction", "truth"))
    confidence = probability_arg(confidence, "confidence")
    progress = bool_arg(progress, "progress")
    refuse_size(float(trials) * A.shape[0], 2 ** 31, "the random draws",
                "lower trials (the work is trials × the measurement size)")
    seed = _seed_int(seed)
    pm = _psi_map(psi, A)
    rec = _operator_record(A)
    y0 = _apply(A, xv[None])[0]
    if not np.all(np.isfinite(y0)):
        raise InvalidArgument("A·x overflows float64: rescale A or x")
    if not math.isfinite(noise_norm * 2.0) or not math.isfinite(_norm(y0) + noise_norm):
        raise InvalidArgument(f"noise_norm={noise_norm!r} is too large for float64 measurements")
    cplx = bool(np.iscomplexobj(y0))
    rng = np.random.default_rng(seed)
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
            with np.errstate(over="ignore", invalid="ignore"):
                err = _norms(out - ref[None])
            errors[s:s + k] = err
            fin = np.where(np.isfinite(err), err, -np.inf)
            i = int(np.argmax(fin))
            if worst_e is None or fin[i] > worst:
                worst, worst_e = float(fin[i]), e[i].copy()
            if bar is not None:
                bar.update(k)
    finally:
        if bar is not None:
            bar.close()
    # the draws ran in batches: the worst one alone must give the same error, else Ψ depends on
    # the batch composition and the interval describes another map
    single = pm.evaluate_batch((y0 + worst_e)[None], dtype=dtype, device=device)[0]
    err1 = float(_norms((single - ref)[None])[0])
    batch_ok = bool(np.isfinite(err1) and math.isfinite(worst)
                    and abs(err1 - worst) <= 1e-4 * (abs(worst) + float(_norms(ref[None])[0])) + 1e-300)
    y_noisy = y0 + worst_e
    ev = pm.evaluate_float64(np.stack([y0, y_noisy]), noise=True, noise_scale=noise_norm,
                             noise_segments=[(0, 1)])
    w: dict[str, Any] = {
        "x": xv, "y": y0, "e": worst_e, "y_noisy": y_noisy, "operator": rec, "psi": pm.options(),
        "noise_norm": noise_norm, "threshold": threshold, "confidence": confidence, "reference": reference,
        "trials": trials, "seed": seed, "batch_size": batch_size, "errors": errors,
        "batch_consistent": batch_ok, "worst_alone": err1 if math.isfinite(err1) else math.inf,
        "worst_in_batch": worst if math.isfinite(worst) else -math.inf,
        "psi_precision": ev.precision, "psi_status": ev.reason}
    if ev.ok and not ev.reason:
        w.update(psi_y=ev.output[0], psi_y_noisy=ev.output[1],
                 psi_noise=np.asarray(ev.noise.noise, dtype=np.float64))
    elif not ev.reason:
        w["psi_status"] = "Ψ's float64 evaluation is not usable"
    return _assemble_noise(w)


def _assemble_noise(w: Mapping[str, Any]) -> NoiseInstabilityResult:
    errors = np.asarray(w["errors"], dtype=np.float64)
    thr, conf, ref_kind = float(w["threshold"]), float(w["confidence"]), w["reference"]
    trials = int(errors.size)
    with np.errstate(invalid="ignore"):
        exceed = int(np.sum(errors > thr))
    finite = bool(np.all(np.isfinite(errors)))
    prob = exceed / trials
    lo, hi = _clopper_pearson(exceed, trials, conf)
    batch_ok = bool(w["batch_consistent"])
    values = {"noise_norm": float(w["noise_norm"]), "threshold": thr, "confidence": conf,
              "reference": ref_kind, "errors": errors, "seed": int(w["seed"]), "batch_size": int(w["batch_size"]),
              "worst_alone": float(w["worst_alone"]), "worst_in_batch": float(w["worst_in_batch"]),
              "interval_rigor": ("statistical (Clopper–Pearson)" if batch_ok else
                                 "unreliable: Ψ's outputs depend on the batch (pass batch_size=1)"),
              "psi_precision": str(w["psi_precision"]), "psi": _psi_text(w["psi"]),
              "operator": _record_text(w["operator"]), "worst_noise_norm": _norm(np.asarray(w["y_noisy"]) -
                                                                                 np.asarray(w["y"]))}
    txt = (f"{exceed}/{trials} random perturbations of norm {_fmt(w['noise_norm'], 3)} give an error above "
           f"{_fmt(thr, 3)} (probability {_fmt(prob, 3)}, {conf:.0%} interval [{_fmt(lo, 3)}, {_fmt(hi, 3)}])")
    if not batch_ok:
        txt += (f" [the worst draw evaluated alone gives error {_fmt(w['worst_alone'], 4)}, in its batch "
                f"{_fmt(w['worst_in_batch'], 4)}: Ψ depends on the batch, the interval is unreliable; pass "
                "batch_size=1]")
    if not finite:
        txt += " [some draws gave a non-finite error: nothing is certified]"
    wit = Witness("noise", dict(w))
    kw = dict(probability=prob, interval=(lo, hi), trials=trials, exceedances=exceed)
    if w["psi_status"]:
        return NoiseInstabilityResult(
            "random_noise_instability", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
            f"worst draw not certified: {w['psi_status']}; {txt}", values, wit, _THEOREM,
            worst_error=float(w["worst_in_batch"]), **kw)
    x = np.asarray(w["x"])
    p0, p1 = np.asarray(w["psi_y"]), np.asarray(w["psi_y_noisy"])
    nu = [float(v) for v in np.asarray(w["psi_noise"])]
    ref64 = p0 if ref_kind == "prediction" else x
    werr, werr_lo, _ = _dist(p1, ref64)
    allow = _add_up(_KAPPA * nu[1], _KAPPA * nu[0] if ref_kind == "prediction" else 0.0)
    werr_lo_n = _sub_down(werr_lo, allow)
    values["worst_error_lower"] = max(0.0, werr_lo_n)
    values["noise_allowance"] = allow
    certified = exceed > 0 and finite and werr_lo_n > thr
    if certified:
        return NoiseInstabilityResult(
            "random_noise_instability", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
            txt + f"; worst draw certified: error {_fmt(werr, 4)} > {_fmt(thr, 3)} beyond Ψ's rounding "
            "noise, so the probability is positive", values, wit, _THEOREM, worst_error=werr, **kw)
    why = ""
    if exceed > 0 and finite:
        why = (f"; the worst draw re-evaluated in float64 gives {_fmt(werr, 4)}, not above the threshold by "
               f"more than Ψ's rounding allowance {_fmt(allow, 3)}")
    return NoiseInstabilityResult(
        "random_noise_instability", Outcome.INCONCLUSIVE, Rigor.NUMERICAL, txt + why, values, wit, _THEOREM,
        worst_error=werr, **kw)


_NOISE_KEYS = {"x", "y", "e", "y_noisy", "operator", "psi", "noise_norm", "threshold", "confidence",
               "reference", "trials", "seed", "batch_size", "errors", "batch_consistent", "worst_alone",
               "worst_in_batch", "psi_precision", "psi_status"}


@register_verifier("random_noise_instability")
def verify_noise_instability(result: CheckResult, psi: Any = None, *, model: Any = None) -> CheckResult:
    """Re-check a saved :func:`random_noise_instability` result from its witness.

    Validates the witness, re-derives ``y = Ax`` (bit for bit) and ``y + e``, the
    exceedance count, probability and Clopper–Pearson interval from the stored
    per-draw errors, and the worst draw's error, margin, outcome, rigor and
    message from its stored ``Ψ`` outputs and noise estimates; with ``model`` the
    worst draw is re-evaluated (the per-draw errors are statistical evidence
    and are taken from the file).

    Theorem: universal instability theorem, "not rare" (THEORY.md §3).
    Rigor: the saved result's (never above it).
    """
    _result_arg(result)
    model = _model_arg(psi, model)
    name = "verify:random_noise_instability"
    w = result.witness
    if not isinstance(result, NoiseInstabilityResult) or w is None or w.kind != "noise":
        return _no_witness(name, result, "noise")
    d = w.data
    chk = _Check(d)
    extra = set(d) - _NOISE_KEYS - {"psi_y", "psi_y_noisy", "psi_noise"}
    if extra:
        chk.problems.append(f"witness: unknown field(s) {sorted(extra)}")
    rec, opts = chk.operator(), chk.options()
    x, y = chk.array("x"), chk.array("y")
    e = chk.array("e", shape=None if y is None else y.shape)
    yn = chk.array("y_noisy", shape=None if y is None else y.shape)
    nn = chk.number("noise_norm", positive=True)
    chk.number("threshold", minimum=0)
    conf = chk.number("confidence", positive=True, maximum=1.0)
    if conf is not None and not conf < 1:
        chk.bad("confidence", "must be below 1")
    chk.text("reference", ("prediction", "truth"))
    trials = chk.number("trials", minimum=1, integer=True, maximum=2 ** 27)
    chk.number("seed", minimum=0, integer=True)
    chk.number("batch_size", minimum=1, integer=True)
    errors = chk.array("errors", kinds="f", finite=False, ndim=1)
    if errors is not None and trials is not None and errors.size != trials:
        chk.bad("errors", f"{errors.size} errors for {trials} trials")
    if not isinstance(d.get("batch_consistent"), bool):
        chk.bad("batch_consistent", "expected a bool")
    for k in ("worst_alone", "worst_in_batch"):
        if isinstance(d.get(k), bool) or not isinstance(d.get(k), float):
            chk.bad(k, "expected a float")
    status = chk.text("psi_status")
    prec = chk.text("psi_precision")
    if status == "" and prec != "float64":
        chk.bad("psi_precision", "a certified evaluation must be float64")
    outs: list = []
    if status == "":
        outs = [chk.array(k, shape=None if x is None else x.shape) for k in ("psi_y", "psi_y_noisy")]
        if all(o is not None for o in outs):
            chk.noise("psi_noise", outs)
    elif status is not None and any(k in d for k in ("psi_y", "psi_y_noisy", "psi_noise")):
        chk.problems.append("witness: Ψ outputs stored for an evaluation marked unusable")
    if rec is not None and x is not None and y is not None and e is not None and yn is not None:
        chk.measurements(rec, x[None], [y], ["y"])
        with np.errstate(over="ignore", invalid="ignore"):
            if not np.array_equal(yn, y + e) or yn.dtype != (y + e).dtype:
                chk.bad("y_noisy", "is not y + e")
        if nn is not None and not abs(_norm(e) - nn) <= 1e-12 * nn:
            chk.bad("e", f"its norm {_norm(e)!r} is not the stated noise_norm {nn!r}")
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed",
                            values={"psi_reevaluated": False})
    problems = claim_mismatches(result, _assemble_noise(d))
    reevaluated = False
    if model is not None and status == "" and not problems:
        problems += _reevaluate(model, opts, rec, np.stack([d["y"], d["y_noisy"]]), outs, d["psi_noise"],
                                ["Ψ(Ax)", "Ψ(Ax + e)"], scale=float(d["noise_norm"]), segments=[(0, 1)])
        reevaluated = True
    not_re = ["the per-draw errors (statistical evidence of the interval)"]
    if status == "" and not reevaluated:
        not_re.append("the worst draw's Ψ outputs and noise estimates (pass model= to re-run the network)")
    if rec is not None and rec.get("kind") == "opaque":
        not_re.append("that y is A·x (the operator is opaque: not stored)")
    return verification(result, problems,
                        rederived="the measurements, the count, probability and interval, the worst draw's "
                                  "error and margin, the outcome, rigor and message"
                                  + ("; Ψ re-evaluated within the noise allowance" if reevaluated else ""),
                        not_rechecked="; ".join(not_re), values={"psi_reevaluated": reevaluated})


# --------------------------------------------------------------------------------------
# accuracy and more samples
# --------------------------------------------------------------------------------------

def _default_baseline(A: Any) -> Callable[[np.ndarray], Any]:
    """SR-LASSO (λ = 0.01) with orthonormal wavelets (db4 when the shape allows, else haar,
    else none) solved by Chambolle–Pock to a relative gap of 1e-5 (at most 3000 steps)."""

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

    if baseline is None:
        fn = _default_baseline(A)
    elif isinstance(baseline, Program):

        fn = lambda y: chambolle_pock(baseline, y, tol=1e-6, max_iter=5000)  # noqa: E731
    elif callable(baseline):
        fn = baseline
    else:
        raise InvalidArgument("baseline must be None, a QCBP/Lasso/SRLasso program, or a callable y -> x")
    outs, notes = [], []
    for y in ys:
        try:
            with np.errstate(all="ignore"):
                r = fn(np.array(y))
        except TheorycheckError:
            raise
        except (ArithmeticError, ValueError, TypeError, IndexError, np.linalg.LinAlgError) as exc:
            raise InvalidArgument(f"the baseline failed on these measurements ({type(exc).__name__}: {exc}): "
                                  "rescale A and the images, or pass another baseline") from exc
        if isinstance(r, Solution):
            notes.append(f"{r.solver}: {r.status}")
            r = r.x
        try:
            arr = np.asarray(to_numpy(r))
        except Exception as exc:  # noqa: BLE001
            raise InvalidArgument(f"the baseline returned {type(r).__name__}, not an array") from exc
        if arr.dtype.kind not in "biufc":
            raise InvalidArgument(f"the baseline returned dtype {arr.dtype}: return numbers")
        if arr.shape != tuple(A.in_shape):
            if arr.size != math.prod(A.in_shape):
                raise InvalidArgument(f"the baseline returned shape {arr.shape}, expected {tuple(A.in_shape)}")
            arr = arr.reshape(A.in_shape)
        outs.append(np.array(arr, dtype=np.complex128 if np.iscomplexobj(arr) else np.float64))
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
    if not math.isfinite(nd) or not math.isfinite(_norm(xv)):
        raise InvalidArgument("x or detail is too large for float64 norms: rescale them")
    threshold = real_arg(threshold, "threshold")
    pm = _psi_map(psi, A)
    rec = _operator_record(A)
    with np.errstate(over="ignore", invalid="ignore"):
        xd = xv + dv
    if not np.all(np.isfinite(xd)):
        raise InvalidArgument("x + detail overflows float64: rescale them")
    y0, y1 = _apply(A, xv), _apply(A, xd)
    if y0.dtype != y1.dtype:
        y0, y1 = y0.astype(np.complex128), y1.astype(np.complex128)
    if not (np.all(np.isfinite(y0)) and np.all(np.isfinite(y1))) or not math.isfinite(_norm(y0) + _norm(y1)):
        raise InvalidArgument("A·x overflows float64: rescale A or the images")
    ev = pm.evaluate_float64(np.stack([y0, y1]), noise=True)
    w: dict[str, Any] = {"x": xv, "detail": dv, "y": y0, "y_detail": y1, "operator": rec, "psi": pm.options(),
                         "threshold": threshold, "psi_precision": ev.precision, "psi_status": ev.reason}
    if ev.ok and not ev.reason:
        w.update(psi_y=ev.output[0], psi_y_detail=ev.output[1],
                 psi_noise=np.asarray(ev.noise.noise, dtype=np.float64))
        (b0, b1), notes = _run_baseline(baseline, A, [y0, y1])
        w.update(baseline_y=b0, baseline_y_detail=b1, baseline_status=tuple(notes))
    elif not ev.reason:
        w["psi_status"] = "Ψ's float64 evaluation is not usable"
    return _assemble_accuracy(w)


def _assemble_accuracy(w: Mapping[str, Any]) -> CheckResult:
    theorem = "accuracy test (THEORY.md §4)"
    wit = Witness("accuracy", dict(w))
    thr = float(w["threshold"])
    base_vals = {"threshold": thr, "psi_precision": str(w["psi_precision"]), "psi": _psi_text(w["psi"]),
                 "operator": _record_text(w["operator"])}
    if w["psi_status"]:
        return CheckResult("accuracy", Outcome.INCONCLUSIVE, Rigor.NUMERICAL, f"not decided: {w['psi_status']}",
                           base_vals, wit, theorem)
    xv, dv = np.asarray(w["x"]), np.asarray(w["detail"])
    real = not (np.iscomplexobj(xv) or np.iscomplexobj(dv))
    fix = (lambda v: np.real(np.asarray(v))) if real else (lambda v: np.asarray(v))
    p0, p1 = fix(w["psi_y"]), fix(w["psi_y_detail"])
    b0, b1 = fix(w["baseline_y"]), fix(w["baseline_y_detail"])
    nd = _norm(dv)
    with np.errstate(over="ignore", invalid="ignore"):
        err_psi = _norm(p1 - p0 - dv) / nd
        err_base = _norm(b1 - b0 - dv) / nd
        values = {**base_vals, "detail_error_psi": err_psi, "detail_error_baseline": err_base,
                  "detail_norm": nd, "error_psi": _norm(p1 - xv - dv), "error_baseline": _norm(b1 - xv - dv),
                  "baseline_status": tuple(str(s) for s in w["baseline_status"])}
    nu = [float(v) for v in np.asarray(w["psi_noise"])]
    # Ψ's rounding noise moves its detail error by at most this much (relative)
    allow = _div_up(_add_up(_KAPPA * nu[0], _KAPPA * nu[1]), nd)
    values["psi_noise_allowance"] = allow
    psi_ok, base_ok = err_psi <= thr, err_base <= thr
    if not (math.isfinite(err_psi) and math.isfinite(err_base)):
        outcome, msg = Outcome.INCONCLUSIVE, (
            f"not decided: a detail error is not finite (Ψ: {_fmt(err_psi, 3)}, baseline: {_fmt(err_base, 3)})")

    elif base_ok and not psi_ok:
        outcome, msg = Outcome.VIOLATED, (
            f"false negative: the baseline recovers the detail (relative error {_fmt(err_base, 3)}) but Ψ "
            f"does not ({_fmt(err_psi, 3)} > {_fmt(thr, 3)})")
    elif base_ok:
        outcome, msg = Outcome.HOLDS, (
            f"Ψ recovers the detail (relative error {_fmt(err_psi, 3)}; baseline {_fmt(err_base, 3)})")
    else:
        outcome, msg = Outcome.INCONCLUSIVE, (
            f"the baseline does not recover the detail either (relative error {_fmt(err_base, 3)} > "
            f"{_fmt(thr, 3)}; Ψ: {_fmt(err_psi, 3)}): use a larger detail or more samples")
    return CheckResult("accuracy", outcome, Rigor.NUMERICAL, msg, values, wit, theorem)


_ACCURACY_KEYS = {"x", "detail", "y", "y_detail", "operator", "psi", "threshold", "psi_precision", "psi_status"}
_ACCURACY_OUT = {"psi_y", "psi_y_detail", "psi_noise", "baseline_y", "baseline_y_detail", "baseline_status"}


@register_verifier("accuracy")
def verify_accuracy(result: CheckResult, psi: Any = None, *, model: Any = None) -> CheckResult:
    """Re-check a saved :func:`accuracy_test` result: measurements, detail errors and verdict.

    Re-derives ``Ax`` and ``A(x + detail)`` (bit for bit), both detail errors,
    the verdict and the message from the stored outputs; with ``model`` also
    re-evaluates ``Ψ`` in float64 (the baseline's outputs are taken from the file).

    Theorem: accuracy test of THEORY.md §4.
    Rigor: numerical (the saved result's).
    """
    _result_arg(result)
    model = _model_arg(psi, model)
    name = "verify:accuracy"
    w = result.witness
    if w is None or w.kind != "accuracy":
        return _no_witness(name, result, "accuracy")
    d = w.data
    chk = _Check(d)
    extra = set(d) - _ACCURACY_KEYS - _ACCURACY_OUT
    if extra:
        chk.problems.append(f"witness: unknown field(s) {sorted(extra)}")
    rec, opts = chk.operator(), chk.options()
    x = chk.array("x")
    dv = chk.array("detail", shape=None if x is None else x.shape)
    y, y1 = chk.array("y"), chk.array("y_detail")
    chk.number("threshold", positive=True)
    status = chk.text("psi_status")
    prec = chk.text("psi_precision")
    outs: list = []
    if status == "":
        if prec != "float64":
            chk.bad("psi_precision", "a usable evaluation must be float64")
        shp = None if x is None else x.shape
        outs = [chk.array(k, shape=shp) for k in ("psi_y", "psi_y_detail")]
        if all(o is not None for o in outs):
            chk.noise("psi_noise", outs)
        chk.array("baseline_y", shape=shp)
        chk.array("baseline_y_detail", shape=shp)
        bs = d.get("baseline_status")
        if not isinstance(bs, tuple) or not all(isinstance(s, str) for s in bs):
            chk.bad("baseline_status", "expected a tuple of strings")
        elif x is not None and dv is not None and _norm(dv) == 0:
            chk.bad("detail", "is zero")
    elif status is not None and set(d) & _ACCURACY_OUT:
        chk.problems.append("witness: outputs stored for an evaluation marked unusable")
    if rec is not None and x is not None and dv is not None and y is not None and y1 is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            xd = x + dv
        X = np.stack([x, xd]) if x.dtype == xd.dtype else np.stack([x.astype(complex), xd.astype(complex)])
        chk.measurements(rec, X, [y, y1], ["y", "y_detail"])
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed",
                            values={"psi_reevaluated": False})
    problems = claim_mismatches(result, _assemble_accuracy(d))
    reevaluated = False
    if model is not None and status == "" and not problems:
        problems += _reevaluate(model, opts, rec, np.stack([d["y"], d["y_detail"]]), outs, d["psi_noise"],
                                ["Ψ(Ax)", "Ψ(A(x + detail))"])
        reevaluated = True
    not_re = ["the baseline's outputs (a numerical solve)"]
    if status == "" and not reevaluated:
        not_re.append("Ψ's outputs (pass model= to re-run the network)")
    if rec is not None and rec.get("kind") == "opaque":
        not_re.append("that y is A·x (the operator is opaque: not stored)")
    return verification(result, problems, rederived="the measurements, both detail errors, the verdict and "
                        "the message" + ("; Ψ re-evaluated within the noise allowance" if reevaluated else ""),
                        not_rechecked="; ".join(not_re), values={"psi_reevaluated": reevaluated})


def sampling_monotonicity_test(psis_or_factory: Any, masks: Sequence[Any], x: Any, *,
                               operator: Callable[[Any], Any] | None = None,
                               tol: float = 0.0) -> CheckResult:
    """More samples must not hurt: does the error of ``Ψ`` decrease as the sampling pattern grows?

    For each mask ``M_k`` (non-decreasing sample counts; nested patterns are
    the intended use) builds ``A_k = operator(M_k)`` and measures the relative
    error ``e_k = ‖Ψ_k(A_k x) − x‖/‖x‖`` (mean over a batch of images); a
    violation is ``e_{k+1} > e_k + tol``, decided beyond rounding (norm
    enclosures and 16 times ``Ψ``'s estimated rounding noise).

    Parameters
    ----------
    psis_or_factory : sequence, model or callable
        One map per mask (a list/tuple); a single torch module or
        :class:`~theorycheck.nets.adapters.ReconstructionMap` used for every
        mask (e.g. ``input="adjoint"``); or a factory ``mask -> Ψ``.
    masks : sequence of boolean arrays
        The sampling patterns, by non-decreasing number of samples.
    x : array_like
        An image or a batch of images (none of them zero).
    operator : callable, optional
        ``mask -> LinearOperator`` (default :class:`~theorycheck.problems.operators.SubsampledFourier`).
    tol : float
        Allowed increase of the relative error.

    Returns
    -------
    CheckResult
        ``sampling_monotonicity``: ``violated`` with the worst increase when
        more samples give a larger error beyond rounding, ``holds`` when no
        error grows by more than ``tol`` beyond rounding, ``inconclusive``
        otherwise; ``values["errors"]`` per mask.

    Theorem: "more samples must not hurt" (THEORY.md §4; seed 000).
    Rigor: certified-float64 (each Ψ evaluated twice on the CPU in float64, its
    rounding noise allowed for).
    """
    from theorycheck.nets.adapters import ReconstructionMap

    if isinstance(masks, (str, bytes)) or not isinstance(masks, (list, tuple)) and not (
            isinstance(masks, np.ndarray) and masks.ndim >= 2):
        raise InvalidArgument("masks must be a list of boolean arrays (one per sampling pattern)")
    masks = [validated_mask(mk, f"masks[{k}]") for k, mk in enumerate(masks)]
    if len(masks) < 2:
        raise InvalidArgument("pass at least two masks to compare")
    if len({mk.shape for mk in masks}) != 1:
        raise InvalidArgument(f"the masks must share one shape, got {[mk.shape for mk in masks]}")
    counts = [int(mk.sum()) for mk in masks]
    if any(b < a for a, b in zip(counts, counts[1:])):
        raise InvalidArgument(f"masks must have non-decreasing numbers of samples, got {counts}")
    tol = real_arg(tol, "tol", allow_zero=True)
    if operator is not None and not callable(operator):
        raise InvalidArgument("operator must be a callable mask -> LinearOperator")
    operator = operator or SubsampledFourier
    try:
        ops = [_operator(operator(mk)) for mk in masks]
    except TheorycheckError:
        raise
    except Exception as exc:  # noqa: BLE001 - a user operator factory
        raise InvalidArgument(f"operator(mask) failed: {exc}") from exc
    if isinstance(psis_or_factory, (list, tuple)):
        if len(psis_or_factory) != len(masks):
            raise InvalidArgument(f"got {len(psis_or_factory)} maps for {len(masks)} masks")
        psis = list(psis_or_factory)
    elif isinstance(psis_or_factory, ReconstructionMap) or _is_module(psis_or_factory):
        psis = [psis_or_factory] * len(masks)
    elif callable(psis_or_factory):
        psis = []
        for mk in masks:
            try:
                psis.append(psis_or_factory(mk))
            except TheorycheckError:
                raise
            except Exception as exc:  # noqa: BLE001 - a user factory
                raise InvalidArgument(f"the factory failed on a mask: {exc}") from exc
    else:
        raise InvalidArgument("psis_or_factory must be a list of maps, a model, or a factory mask -> Ψ")
    xv = _images(x, ops[0], "x", batch=True)
    xb = xv if xv.shape != tuple(ops[0].in_shape) else xv[None]
    if any(_norm(xi) == 0 for xi in xb):
        raise InvalidArgument("x holds a zero image: the relative error is undefined")
    recs, ys, outs, noises, opts, statuses, precisions = [], [], [], [], [], [], []
    for psi, op in zip(psis, ops):
        rec = _operator_record(op)
        Y = _apply(op, xb)
        if not np.all(np.isfinite(Y)):
            raise InvalidArgument("A·x overflows float64: rescale the images")
        pm = _psi_map(psi, op)
        ev = pm.evaluate_float64(Y, noise=True)
        recs.append(rec)
        ys.append(Y)
        opts.append(pm.options())
        precisions.append(ev.precision)
        statuses.append(ev.reason or ("" if ev.ok else "Ψ's float64 evaluation is not usable"))
        if statuses[-1]:
            break
        outs.append(ev.output)
        noises.append(np.asarray(ev.noise.noise, dtype=np.float64))
    w = {"masks": np.stack(masks), "x": xb, "operators": tuple(recs), "y": tuple(ys), "psi": tuple(opts),
         "outputs": tuple(outs), "noise": tuple(noises), "statuses": tuple(statuses),
         "precisions": tuple(precisions), "tol": tol}
    return _assemble_sampling(w)


def _rel_error_bounds(out: np.ndarray, xb: np.ndarray, nu: np.ndarray) -> tuple[float, float, float]:
    """Mean relative error over a batch: (value, lower, upper) with Ψ's noise allowed for."""
    vals, los, his = [], [], []
    for o, xi, n in zip(out, xb, nu):
        v, lo, hi = _dist(o, xi)
        lo, hi = _noisy(lo, hi, _KAPPA * float(n))
        nx, nx_lo, nx_hi = norm2(xi), *norm2_bounds(xi)
        vals.append(v / nx)
        los.append(_div_down(lo, nx_hi))
        his.append(_div_up(hi, nx_lo))
    B = len(vals)
    return (math.fsum(vals) / B, _div_down(round_down(math.fsum(los)), B),
            _div_up(round_up(math.fsum(his)), B))


def _assemble_sampling(w: Mapping[str, Any]) -> CheckResult:
    masks = np.asarray(w["masks"])
    counts = tuple(int(mk.sum()) for mk in masks)
    xb = np.asarray(w["x"])
    nested = all(bool(np.all(b[a])) for a, b in zip(masks, masks[1:]))
    tol = float(w["tol"])
    wit = Witness("sampling", dict(w))
    bad = [k for k, s in enumerate(w["statuses"]) if s]
    if bad:
        k = bad[0]
        return CheckResult("sampling_monotonicity", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           f"not decided for the mask with {counts[k]} samples: {w['statuses'][k]}",
                           {"sample_counts": counts, "tol": tol}, wit, "THEORY.md §4")
    errors, lows, highs = [], [], []
    for out, nu in zip(w["outputs"], w["noise"]):
        out = np.asarray(out)
        if not np.iscomplexobj(xb):
            out = np.real(out)
        v, lo, hi = _rel_error_bounds(out, xb, np.asarray(nu))
        errors.append(v)
        lows.append(lo)
        highs.append(hi)
    K = len(errors)
    grows = [k for k in range(K - 1) if _sub_down(lows[k + 1], highs[k]) > tol]
    stays = all(round_up(highs[k + 1] - lows[k]) <= tol for k in range(K - 1))
    values = {"errors": tuple(errors), "error_bounds": tuple(zip(lows, highs)), "sample_counts": counts,
              "nested": nested, "tol": tol, "psi_precision": tuple(str(p) for p in w["precisions"]),
              "psi": tuple(_psi_text(o) for o in w["psi"]),
              "operator": tuple(_record_text(r) for r in w["operators"])}
    err_txt = ", ".join(f"{c}: {_fmt(e, 4)}" for c, e in zip(counts, errors))
    if grows:
        k = max(grows, key=lambda i: errors[i + 1] - errors[i])
        return CheckResult("sampling_monotonicity", Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64,
                           f"more samples hurt: the relative error grows by {_fmt(errors[k + 1] - errors[k], 3)} "
                           f"from {counts[k]} to {counts[k + 1]} samples (errors by sample count: {err_txt})",
                           values, wit, "THEORY.md §4")
    if stays:
        return CheckResult("sampling_monotonicity", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
                           f"the error does not grow with the samples ({err_txt})"
                           + ("" if nested else "; note: the masks are not nested"),
                           values, wit, "THEORY.md §4")
    return CheckResult("sampling_monotonicity", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                       f"an error change is within the rounding allowance of tol = {_fmt(tol, 3)} "
                       f"(errors by sample count: {err_txt})", values, wit, "THEORY.md §4")


def _is_module(obj: Any) -> bool:
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


@register_verifier("sampling_monotonicity")
def verify_sampling_monotonicity(result: CheckResult, model: Any = None) -> CheckResult:
    """Re-check a saved :func:`sampling_monotonicity_test` result from its witness.

    Re-derives each mask's measurements (bit for bit), every relative error and
    its enclosure, the verdict, rigor and message from the stored outputs and
    noise estimates; with ``model`` (one network for every mask, or a list with
    one per mask) ``Ψ`` is re-evaluated.

    Theorem: "more samples must not hurt" (THEORY.md §4).
    Rigor: the saved result's (never above it).
    """
    _result_arg(result)
    name = "verify:sampling_monotonicity"
    w = result.witness
    if w is None or w.kind != "sampling":
        return _no_witness(name, result, "sampling")
    d = w.data
    chk = _Check(d)
    want = {"masks", "x", "operators", "y", "psi", "outputs", "noise", "statuses", "precisions", "tol"}
    if set(d) != want:
        chk.problems.append(f"witness: fields {sorted(d)}, expected {sorted(want)}")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    masks = chk.array("masks", kinds="b")
    xb = chk.array("x")
    chk.number("tol", minimum=0)
    K = 0 if masks is None else masks.shape[0]
    seqs = {k: d[k] for k in ("operators", "y", "psi", "outputs", "noise", "statuses", "precisions")}
    if masks is not None and (masks.ndim < 2 or K < 2 or not all(bool(mk.any()) for mk in masks)):
        chk.bad("masks", "at least two non-empty masks are required")
    if any(not isinstance(v, tuple) for v in seqs.values()):
        chk.problems.append("witness: operators, y, psi, outputs, noise, statuses and precisions must be tuples")
    elif masks is not None and xb is not None and not chk.problems:
        n_ok = sum(1 for s in seqs["statuses"] if s == "")
        if not seqs["statuses"] or not (len(seqs["operators"]) == len(seqs["y"]) == len(seqs["psi"]) == len(seqs["statuses"])
                == len(seqs["precisions"]) <= K) or len(seqs["outputs"]) != len(seqs["noise"]) \
                or len(seqs["outputs"]) != n_ok or (len(seqs["statuses"]) < K and seqs["statuses"][-1] == ""):
            chk.problems.append("witness: the per-mask records do not match the masks")
        else:
            counts = [int(mk.sum()) for mk in masks]
            if any(b < a for a, b in zip(counts, counts[1:])):
                chk.bad("masks", f"sample counts {counts} decrease")
            for k, (rec, y, st) in enumerate(zip(seqs["operators"], seqs["y"], seqs["statuses"])):
                sub = _Check({"operator": rec, "y": y, "psi": seqs["psi"][k], "status": st,
                              "precision": seqs["precisions"][k]}, where=f"witness[mask {k}]")
                r = sub.operator()
                sub.options()
                yk = sub.array("y")
                s = sub.text("status")
                if s == "" and seqs["precisions"][k] != "float64":
                    sub.bad("precision", "a certified evaluation must be float64")
                if r is not None and yk is not None:
                    sub.measurements(r, xb, list(yk), ["y"] * len(yk))
                if s == "" and k < len(seqs["outputs"]):
                    sub2 = _Check({"out": seqs["outputs"][k], "noise": seqs["noise"][k]},
                                  where=f"witness[mask {k}]")
                    o = sub2.array("out", shape=xb.shape)
                    if o is not None:
                        sub2.noise("noise", list(o))
                    sub.problems += sub2.problems
                chk.problems += sub.problems
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed",
                            values={"psi_reevaluated": False})
    problems = claim_mismatches(result, _assemble_sampling(d))
    reevaluated = False
    if model is not None and not problems:
        models = list(model) if isinstance(model, (list, tuple)) else [model] * len(seqs["outputs"])
        if len(models) < len(seqs["outputs"]):
            problems.append(f"{len(models)} models for {len(seqs['outputs'])} masks")
        else:
            for k in range(len(seqs["outputs"])):
                out = seqs["outputs"][k]
                problems += [f"mask {k}: {p}" for p in _reevaluate(
                    models[k], seqs["psi"][k], seqs["operators"][k], seqs["y"][k], list(out),
                    list(seqs["noise"][k]), [f"Ψ(A x_{b})" for b in range(len(out))])]
            reevaluated = True
    return verification(result, problems, rederived="each mask's measurements, every error and its enclosure, "
                        "the verdict, rigor and message" + ("; Ψ re-evaluated" if reevaluated else ""),
                        not_rechecked="" if reevaluated else "Ψ's outputs (pass model= to re-run the networks)",
                        values={"psi_reevaluated": reevaluated})


# --------------------------------------------------------------------------------------
# training-set audit
# --------------------------------------------------------------------------------------

#: candidate pairs whose measurement distance is re-checked in ball arithmetic
_AUDIT_BALL_MAX = 1024
#: image entries stored in an audit's witness (the two images of each stored pair)
_AUDIT_STORE = 2 ** 21
_SCREENS = {
    "dense": "Higham's bound 4γ·‖|A||x|‖ on each float64 product Ax",
    "transform": "the FFT error model 64(⌈log₂N⌉ + 2)·u·‖x‖ on each float64 transform",
    "opaque": "a float64 error model 64(⌈log₂N⌉ + 2)·u·‖A‖·‖x‖ (A opaque: numerical)",
}


def _screen(A: Any, rec: Mapping[str, Any]) -> tuple[Callable, Callable, str]:
    """``(apply, rho, kind)``: float64 measurements of a chunk (real-stacked rows) and a bound
    ``rho`` on each row's error ``‖fl(Ax) − Ax‖`` for the candidate search."""
    kind = rec["kind"]
    m, N = A.shape
    if kind == "dense":
        M = np.asarray(rec["matrix"])
        absM = np.abs(M)
        g = gamma(2 * N + 8)

        def apply(Xc: np.ndarray) -> np.ndarray:
            return Xc.reshape(Xc.shape[0], -1) @ M.T

        def rho(Xc: np.ndarray) -> np.ndarray:
            return 4.0 * g * _norms(np.abs(Xc.reshape(Xc.shape[0], -1)) @ absM.T)

        return apply, rho, "dense"
    c = 64.0 * (math.ceil(math.log2(max(N, 2))) + 2) * U
    if kind == "opaque":
        c *= float(A.norm(exact=False, iters=50)) * 2.0

    def apply_t(Xc: np.ndarray) -> np.ndarray:
        return _apply(A, Xc).reshape(Xc.shape[0], -1)

    return apply_t, (lambda Xc: c * _norms(Xc)), ("opaque" if kind == "opaque" else "transform")


def _audit_block(Yi: np.ndarray, ni: np.ndarray, ri: np.ndarray, Yj: np.ndarray, nj: np.ndarray,
                 rj: np.ndarray, eta: float, gm: float, i0: int, j0: int, diag: bool) -> np.ndarray:
    """Candidate pairs of one block: expanded squared distances within ``(η + ρ_i + ρ_j)²`` plus
    the rounding of the expansion."""
    G = Yi @ Yj.T
    G *= -2.0
    G += ni[:, None]
    G += nj[None, :]
    thr = (eta + ri[:, None] + rj[None, :]) ** 2 * (1.0 + 8 * U) + gm * (ni[:, None] + nj[None, :]) + 1e-300
    mask = G <= thr
    if diag:
        mask = np.triu(mask, 1)
    ii, jj = np.nonzero(mask)
    return np.stack([ii + i0, jj + j0], 1) if ii.size else np.empty((0, 2), dtype=np.int64)


def _audit_row_task(args: tuple) -> np.ndarray:
    Yrows, nrows, rrows, Ytail, ntail, rtail, eta, gm, i0, bs = args
    out = []
    for j0 in range(0, Ytail.shape[0], bs):
        j1 = min(j0 + bs, Ytail.shape[0])
        out.append(_audit_block(Yrows, nrows, rrows, Ytail[j0:j1], ntail[j0:j1], rtail[j0:j1], eta, gm,
                                i0, i0 + j0, j0 == 0))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)


def audit_training_set(A: Any, X: Any, *, eta: float, block_size: int = 1024, executor: Any = None,
                       progress: bool = True) -> TrainingSetAudit:
    """Find every pair of a training set that makes any ``η``-accurate interpolant unstable.

    A pair ``i < j`` is reported when ``‖A(x_i − x_j)‖ ≤ η`` and
    ``‖x_i − x_j‖ > 2η``: any map with ``‖Ψ(Ax_k) − x_k‖ < η`` on both has
    ``L^ε(Ψ, Ax_i) ≥ (‖x_i − x_j‖ − 2η)/ε`` for ``ε ≥ η`` (the pair's
    ``lower_bound`` is the value at ``ε = η``). Checkable before training.

    Computation: ``Y = AX`` once (float64, ``n × m``, real-stacked for complex
    data; ``X`` is read chunk by chunk, never copied whole), then the upper
    triangle of the Gram matrix of ``Y`` in ``block_size × block_size`` blocks
    (one GEMM per block), keeping as candidates the pairs whose expanded
    distance is within ``η`` plus the float64 error of ``Ax_i`` and ``Ax_j``
    (``values["screen"]``: Higham's bound for a dense ``A``, an FFT error model
    for transforms: images near ``ker A`` have ``‖Ax‖`` tiny but ``|A||x|``
    not) and the rounding of the expansion. Every candidate is then decided
    rigorously: ``‖x_i − x_j‖`` from an enclosure of the float64 difference,
    ``‖A(x_i − x_j)‖`` in ball arithmetic on the exact operator (at most 1024
    candidates; more are counted as unconfirmed). The two images of each
    reported pair are stored in the witness (up to 2²¹ entries; the pairs with
    the largest bounds first), so that ``theorycheck verify`` re-proves them.

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
        first) when any are proven, ``holds`` when no candidate remains,
        ``inconclusive`` when some are within rounding of a boundary.

    Theorem: universal instability theorem, training version (THEORY.md §3; seed 004).
    Rigor: certified-float64: each reported pair is proven (ball arithmetic and
    rigorous enclosures); a ``holds`` outcome relies on the screen's error bound
    (rigorous for dense ``A``, an FFT error model for transforms); numerical for
    opaque operators.

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
    progress = bool_arg(progress, "progress")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise InvalidArgument("executor must be a concurrent.futures.Executor (with submit) or None")
    if X is None or isinstance(X, (str, bytes)):
        raise InvalidArgument("X must be an array of training images (n, *A.in_shape)")
    try:  # no float64 copy of the whole set: rows are converted chunk by chunk
        Xv = np.asarray(to_numpy(X))
    except TheorycheckError:
        raise
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
    refuse_size(float(n) * A.shape[0] * (2 if Xv.dtype.kind == "c" or np.dtype(A.dtype).kind == "c" else 1)
                * 8, 2 ** 31, "the measurement matrix AX (bytes)", "audit a subset")

    def rows(idx: Any) -> np.ndarray:
        return as_array(Xv[idx], "X")  # exact conversion (refuses values float64 cannot hold), finite

    rec = _operator_record(A)
    apply, rho_fn, screen = _screen(A, rec)
    chunks, rhos = [], []
    for s0 in range(0, n, 1024):
        Xc = rows(slice(s0, s0 + 1024))
        with np.errstate(over="ignore", invalid="ignore"):
            Yc = apply(Xc)
            rhos.append(rho_fn(Xc))
        chunks.append(np.concatenate([Yc.real, Yc.imag], 1) if np.iscomplexobj(Yc) else Yc)
    # complex data: Re⟨y_i, y_j⟩ from one real GEMM of [Re, Im]
    Y = np.ascontiguousarray(np.concatenate(chunks))
    rho = np.concatenate(rhos)
    del chunks
    if not (np.all(np.isfinite(Y)) and np.all(np.isfinite(rho))):
        raise InvalidArgument("A·X overflows float64: rescale A or the images")
    with np.errstate(over="ignore"):
        n2 = np.einsum("ij,ij->i", Y, Y)
    if not np.all(np.isfinite(n2)):
        raise InvalidArgument("‖A·x‖² overflows float64: rescale A or the images")
    gm = 4.0 * gamma(Y.shape[1] + 4)
    starts = list(range(0, n, block_size))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(starts), desc="audit_training_set")
    found: list[np.ndarray] = []
    try:
        tasks = [(Y[i0:i0 + block_size], n2[i0:i0 + block_size], rho[i0:i0 + block_size], Y[i0:], n2[i0:],
                  rho[i0:], eta, gm, i0, block_size) for i0 in starts]
        if executor is None:
            for t in tasks:
                found.append(_audit_row_task(t))
                if bar is not None:
                    bar.update(1)
        else:
            for fut in [executor.submit(_audit_row_task, t) for t in tasks]:
                found.append(fut.result())
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    cand = np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)
    far, borderline = [], 0
    for i, j in cand.tolist():
        _, D_lo, D_hi = _dist(rows(i), rows(j))
        if D_hi <= 2 * eta:
            continue  # certainly not a pair: the images are close
        if D_lo > 2 * eta:
            far.append((D_lo, i, j))
        else:
            borderline += 1
    far.sort(key=lambda t: (-t[0], t[1], t[2]))
    unconfirmed = max(0, len(far) - _AUDIT_BALL_MAX)
    far = far[:_AUDIT_BALL_MAX]
    pairs, measures = [], []
    ball = _Ball(rec) if rec["kind"] != "opaque" and _Ball.available(rec) else None
    for s in range(0, len(far), 64):
        part = far[s:s + 64]
        imgs = np.stack([np.stack([rows(i), rows(j)]) for _, i, j in part])
        if imgs.dtype.kind != "c" and np.iscomplexobj(imgs):
            imgs = imgs.astype(complex)
        if ball is not None:
            balls = ball.apply(imgs.reshape((-1,) + core))
            encl = [_ball_distance(balls[2 * k], balls[2 * k + 1]) for k in range(len(part))]
        else:
            encl = []
            for k in range(len(part)):
                with np.errstate(over="ignore", invalid="ignore"):
                    dd = imgs[k, 0] - imgs[k, 1]
                    v = _norm(apply(dd[None]))
                    r = float(rho_fn(dd[None])[0])
                encl.append((max(0.0, round_down(v - r)), round_up(v + r)))
        for (D_lo, i, j), (a_lo, a_hi) in zip(part, encl):
            if a_hi <= eta:
                pairs.append((_theorem_bound_value(D_lo, eta, eta), i, j, a_lo, a_hi))
            elif not a_lo > eta:
                borderline += 1
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    per_pair = 2 * math.prod(core)
    keep = pairs[:max(1, _AUDIT_STORE // per_pair)] if pairs else []
    stored = np.stack([np.stack([rows(i), rows(j)]) for _, i, j, _, _ in keep]) if keep else \
        np.zeros((0, 2) + core)
    w: dict[str, Any] = {
        "pair_images": stored, "pair_index": np.array([[i, j] for _, i, j, _, _ in keep], dtype=np.int64).reshape(-1, 2),
        "operator": rec, "eta": eta, "n": int(n), "block_size": block_size, "candidates": int(cand.shape[0]),
        "borderline": int(borderline), "unconfirmed": int(unconfirmed), "pairs_found": len(pairs), "screen": screen}
    if ball is None:
        w["pair_measure"] = np.array([[lo, hi] for _, _, _, lo, hi in keep], dtype=np.float64).reshape(-1, 2)
    return _assemble_audit(w)


def _assemble_audit(w: Mapping[str, Any]) -> TrainingSetAudit:
    rec, eta = w["operator"], float(w["eta"])
    imgs = np.asarray(w["pair_images"])
    idx = np.asarray(w["pair_index"])
    P = idx.shape[0]
    rigorous = "pair_measure" not in w
    if rigorous and P:
        ball = _Ball(rec)
        balls = ball.apply(imgs.reshape((-1,) + imgs.shape[2:]))
        encl = [_ball_distance(balls[2 * k], balls[2 * k + 1]) for k in range(P)]
    else:
        encl = [(float(lo), float(hi)) for lo, hi in np.asarray(w.get("pair_measure", np.zeros((0, 2))))]
    rows = []
    for k in range(P):
        D, D_lo, _ = _dist(imgs[k, 0], imgs[k, 1])
        a_lo, a_hi = encl[k]
        if a_hi <= eta and D_lo > 2 * eta:
            rows.append((_theorem_bound_value(D_lo, eta, eta), int(idx[k, 0]), int(idx[k, 1]), D, a_lo, a_hi))
    rows.sort(key=lambda t: (-t[0], t[1], t[2]))
    pairs = tuple((i, j, b) for b, i, j, _, _, _ in rows)
    found, n = int(w["pairs_found"]), int(w["n"])
    borderline, unconfirmed = int(w["borderline"]), int(w["unconfirmed"])
    values = {"n": n, "candidates": int(w["candidates"]), "borderline": borderline, "unconfirmed": unconfirmed,
              "pairs_found": found, "block_size": int(w["block_size"]),
              "pair_norms": np.array([[r[3], r[5]] for r in rows], dtype=np.float64).reshape(-1, 2),
              "pair_measurement_bounds": np.array([[r[4], r[5]] for r in rows], dtype=np.float64).reshape(-1, 2),
              "screen": _SCREENS[w["screen"]], "operator": _record_text(rec)}
    wit = Witness("training_pairs", dict(w))
    rigor = Rigor.CERTIFIED_FLOAT64 if rigorous else Rigor.NUMERICAL
    extra = ""
    if borderline:
        extra += f"; {borderline} candidate pair(s) within rounding of a boundary"
    if unconfirmed:
        extra += f"; {unconfirmed} further candidate pair(s) not re-checked (more than {_AUDIT_BALL_MAX})"
    if pairs:
        i, j, b = pairs[0]
        more = f" (the {len(pairs)} with the largest bounds are stored)" if found > len(pairs) else ""
        msg = (f"{found} pair(s) with ‖A(x_i − x_j)‖ ≤ η = {_fmt(eta, 3)} and ‖x_i − x_j‖ > 2η{more}: any map "
               f"η-accurate on the set is unstable (worst: ({i}, {j}), L^η ≥ {_fmt(b, 4)}){extra}")
        return TrainingSetAudit("training_set_audit", Outcome.VIOLATED, rigor, msg, values, wit, _THEOREM,
                                pairs=pairs, eta=eta)
    if borderline or unconfirmed:
        return TrainingSetAudit("training_set_audit", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                                f"no pair proven among {n} images at η = {_fmt(eta, 3)}{extra}", values, wit,
                                _THEOREM, pairs=(), eta=eta)
    return TrainingSetAudit("training_set_audit", Outcome.HOLDS, rigor,
                            f"no pair with ‖A(x_i − x_j)‖ ≤ η = {_fmt(eta, 3)} and ‖x_i − x_j‖ > 2η "
                            f"among {n} images", values, wit, _THEOREM, pairs=(), eta=eta)


@register_verifier("training_set_audit")
def verify_training_set_audit(result: CheckResult, X: Any = None) -> CheckResult:
    """Re-check a saved :func:`audit_training_set` result.

    Every stored pair is re-proven from its two stored images: ``‖x_i − x_j‖ > 2η``
    from a rigorous enclosure, ``‖A(x_i − x_j)‖ ≤ η`` in ball arithmetic on the stored
    operator, the bound, the order, the verdict, rigor and message; a pair whose
    index repeats with a different image is rejected. That the images are images
    ``i, j`` of the training set, and that no other pair qualifies, needs the set:
    pass ``X`` to compare the images and re-run the audit.

    Theorem: universal instability theorem, training version (THEORY.md §3).
    Rigor: the saved result's (never above it).
    """
    _result_arg(result)
    name = "verify:training_set_audit"
    w = result.witness
    if not isinstance(result, TrainingSetAudit) or w is None or w.kind != "training_pairs":
        return _no_witness(name, result, "training_pairs")
    d = w.data
    chk = _Check(d)
    want = {"pair_images", "pair_index", "operator", "eta", "n", "block_size", "candidates", "borderline",
            "unconfirmed", "pairs_found", "screen"}
    if not (set(d) == want or set(d) == want | {"pair_measure"}):
        chk.problems.append(f"witness: fields {sorted(d)}, expected {sorted(want)}")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    rec = chk.operator()
    chk.number("eta", positive=True)
    n = chk.number("n", minimum=2, integer=True)
    chk.number("block_size", minimum=1, integer=True)
    for k in ("candidates", "borderline", "unconfirmed"):
        chk.number(k, minimum=0, integer=True)
    found = chk.number("pairs_found", minimum=0, integer=True)
    chk.text("screen", tuple(_SCREENS))
    imgs = chk.array("pair_images")
    idx = chk.array("pair_index", kinds="iu", finite=False, ndim=2)
    if rec is not None and imgs is not None and idx is not None and n is not None:
        core = tuple(rec["mask"].shape if "mask" in rec else rec["in_shape"])
        P = idx.shape[0]
        if imgs.shape != (P, 2) + core or idx.shape != (P, 2):
            chk.bad("pair_images", f"shape {imgs.shape} does not hold two images of shape {core} per pair")
        elif found is not None and P > found:
            chk.bad("pairs_found", f"{found} is below the {P} stored pairs")
        else:
            seen: dict[int, np.ndarray] = {}
            for k, (i, j) in enumerate(idx.tolist()):
                if not (0 <= i < j < n):
                    chk.bad("pair_index", f"pair {k} = ({i}, {j}) is not 0 ≤ i < j < n = {n}")
                    break
                for t, v in ((0, i), (1, j)):
                    if v in seen and not np.array_equal(seen[v], imgs[k, t]):
                        chk.bad("pair_images", f"image {v} is stored twice with different values")
                    seen.setdefault(v, imgs[k, t])
            if len({tuple(p) for p in idx.tolist()}) != P:
                chk.bad("pair_index", "a pair is stored twice")
        rigorous = rec.get("kind") != "opaque" and _Ball.available(rec)
        if rigorous == ("pair_measure" in d):
            chk.bad("pair_measure", "present exactly when the operator has no ball evaluation")
        elif not rigorous:
            pm = chk.array("pair_measure", kinds="f", shape=(P, 2))
            if pm is not None and not bool(np.all(pm[:, 0] <= pm[:, 1])):
                chk.bad("pair_measure", "lower bounds above upper bounds")
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    problems = claim_mismatches(result, _assemble_audit(d))
    rerun = False
    if X is not None and not problems:
        try:
            Xv = as_array(X, "X")
            if Xv.ndim < 1:
                raise InvalidArgument("X must be the training set (n, *A.in_shape)")
            op = _record_op(rec)
            if op is None:
                problems.append("cannot re-run the audit: the operator is opaque (not stored)")
            elif Xv.shape[0] != int(d["n"]):
                problems.append(f"X holds {Xv.shape[0]} images, the file says n = {d['n']}")
            else:
                for k, (i, j) in enumerate(np.asarray(d["pair_index"]).tolist()):
                    for t, v in ((0, i), (1, j)):
                        if not np.array_equal(as_array(Xv[v], "X"), np.asarray(d["pair_images"])[k, t]):
                            problems.append(f"pair_images: stored image {v} is not X[{v}]")
                fresh = audit_training_set(op, Xv, eta=float(d["eta"]), block_size=int(d["block_size"]),
                                           progress=False)
                problems += [f"re-running the audit on X: {p}" for p in claim_mismatches(result, fresh)]
                rerun = True
        except TheorycheckError as exc:
            problems.append(f"cannot re-run the audit on X: {exc}")
    not_re = "" if rerun else ("that the stored images are images i, j of the training set, and the search over "
                               "the whole set (n, candidates, that no other pair qualifies): pass X= to re-run")
    if rec is not None and rec.get("kind") == "opaque" or "pair_measure" in d:
        not_re += "; the pairs' measurement distances (no ball evaluation of the operator)"
    return verification(result, problems, rederived="each stored pair's distances (enclosures, ball "
                        "arithmetic), bound and order, the verdict, rigor and message",
                        not_rechecked=not_re.strip("; "))


# --------------------------------------------------------------------------------------
# Chebyshev radius and the optimality constant (Paradox II)
# --------------------------------------------------------------------------------------

def _real_points(points: Any, name: str = "points") -> np.ndarray:
    P = as_array(points, name)
    if P.ndim < 1 or P.shape[0] < 1:
        raise InvalidArgument(f"{name} must hold at least one point, got shape {P.shape}")
    P = P.reshape(P.shape[0], -1)
    if P.shape[1] == 0:
        raise InvalidArgument(f"{name} has points of dimension 0")
    if np.iscomplexobj(P):  # distances in C^N equal those of [Re, Im] in R^{2N}
        P = np.concatenate([P.real, P.imag], 1)
    return np.ascontiguousarray(P, dtype=np.float64)


def _fdot(a: Any, b: Any) -> float:
    """Deterministic dot product: IEEE products, correctly rounded sum (math.fsum)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return math.fsum((np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)).tolist())


def _fmatvec(G: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.array([_fdot(G[i], v) for i in range(G.shape[0])])


def _solve_det(M: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """Gaussian elimination with partial pivoting in plain IEEE operations (the same bits on
    every machine); None when a pivot vanishes (singular to working accuracy)."""
    M = np.array(M, dtype=np.float64)
    b = np.array(rhs, dtype=np.float64)
    n = M.shape[0]
    scale = float(np.max(np.abs(M))) if M.size else 0.0
    if not scale > 0:
        return None
    for c in range(n):
        p = c + int(np.argmax(np.abs(M[c:, c])))
        if not abs(M[p, c]) > 1e-13 * scale:
            return None
        if p != c:
            M[[c, p]] = M[[p, c]]
            b[[c, p]] = b[[p, c]]
        f = M[c + 1:, c] / M[c, c]
        M[c + 1:] = M[c + 1:] - f[:, None] * M[c]
        b[c + 1:] = b[c + 1:] - f * b[c]
    x = np.zeros(n)
    for i in range(n - 1, -1, -1):
        x[i] = (b[i] - _fdot(M[i, i + 1:], x[i + 1:])) / M[i, i]
    return x if bool(np.all(np.isfinite(x))) else None


def _simplex_qp(G: np.ndarray, iters: int = 200) -> np.ndarray:
    """Maximise ``f(λ) = Σλ_i G_ii − λᵀGλ`` over the simplex (the MEB dual), deterministically.

    Active-set iteration: solve the equality-constrained optimum on a support,
    drop negative weights, add the farthest point, until the KKT conditions hold.
    Every operation is an IEEE elementwise operation or a correctly rounded sum, so
    the result has the same bits on every machine (verifiers re-derive it).
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
        sol = _solve_det(M, rhs)
        if sol is None:  # affinely dependent support (repeated points): drop the last point added
            if len(S) <= 1:
                break
            gone = S.pop()
            lam[gone] = 0.0
            lam[S] = lam[S] / math.fsum(lam[S].tolist()) if math.fsum(lam[S].tolist()) > 0 else 1.0 / len(S)
            continue
        new = sol[:-1]
        if np.any(new < 0):
            # step from the current λ_S towards new until a weight hits zero, drop it
            cur = lam[S]
            dirn = new - cur
            neg = dirn < 0
            t = float(np.min(np.where(neg, cur / np.where(neg, -dirn, 1.0), np.inf)))
            t = min(max(t, 0.0), 1.0)
            cur = cur + t * dirn
            cur[cur < 1e-15] = 0.0
            lam[:] = 0.0
            total = math.fsum(cur.tolist())
            lam[S] = cur / total
            S = [s for s in S if lam[s] > 0]
            continue
        lam[:] = 0.0
        lam[S] = new
        Gl = _fmatvec(G, lam)
        c2 = _fdot(lam, Gl)
        dist2 = c2 - 2 * Gl + d
        r2 = float(np.max(dist2[S]))
        k = int(np.argmax(dist2))
        if dist2[k] <= r2 * (1 + 1e-13) + 1e-300 or k in S:
            break
        S = sorted(set(S) | {k})
    return lam


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


def _radius_enclosure(G_arb: Any, lam: np.ndarray) -> tuple[float, float, float]:
    """Proven ``(lower, upper)`` of the Chebyshev radius from a dual point ``λ``, and an estimate.

    ``lower² = Σλ_i G_ii − λᵀGλ`` (any ``λ`` in the simplex; normalised exactly in
    ball arithmetic), ``upper² = max_i ‖c − p_i‖² = max_i (λᵀGλ − 2(Gλ)_i + G_ii)``;
    the estimate is the square root of the midpoint of ``lower²`` (deterministic).
    """
    import flint


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
    lo = max(0.0, min(lo, hi))
    est = math.sqrt(max(0.0, float(f.mid())))
    return lo, hi, min(max(est, lo), hi)


def _cheb(G_arb: Any) -> tuple[float, float, float, np.ndarray]:
    """(estimate, proven lower, proven upper, λ) of the Chebyshev radius of points with exact Gram
    matrix ``G_arb``; ``λ`` from the deterministic QP on the Gram matrix of the points shifted to
    the first one (rounded from the exact one, for accuracy)."""

    K = G_arb.nrows()
    if K == 1:
        return 0.0, 0.0, 0.0, np.ones(1)
    with precision(prec=_BALL_PREC):
        G = np.array([[float((G_arb[i, j] - G_arb[i, 0] - G_arb[0, j] + G_arb[0, 0]).mid()) for j in range(K)]
                      for i in range(K)])
    lam = _simplex_qp(G)
    with precision(prec=_BALL_PREC):
        lo, hi, est = _radius_enclosure(G_arb, lam)
    return est, lo, hi, lam


def chebyshev_radius(points: Any) -> ChebyshevRadius:
    """Chebyshev radius ``min_c max_i ‖c − p_i‖`` of finitely many points, with a proven enclosure.

    Solves the dual ``max_{λ ∈ simplex} Σλ_i‖p_i‖² − ‖Σλ_i p_i‖²`` (whose value
    is the squared radius) by an active-set method on the Gram matrix, then
    bounds the radius in ball arithmetic on the exact float inputs: any ``λ``
    gives a lower bound, the centre ``c = Σλ_i p_i`` an upper bound. Complex
    points are treated as real points of twice the dimension. Every reported
    number is a deterministic function of the points and ``λ`` (stored).

    Parameters
    ----------
    points : array_like
        Shape ``(K, ...)``: ``K`` points (each flattened).

    Returns
    -------
    ChebyshevRadius
        ``value`` (estimate), ``lower ≤ radius ≤ upper`` (proven), ``center``, ``support``.

    Theorem: minimum enclosing ball duality (THEORY.md §3).
    Rigor: proven (ball arithmetic); the enclosure is tight to about 1e-15 relative.

    Examples
    --------
    >>> r = chebyshev_radius([[0.0, 0.0], [2.0, 0.0], [1.0, 0.5]])
    >>> round(r.value, 12), r.lower <= 1.0 <= r.upper
    (1.0, True)
    """

    P = _real_points(points)
    refuse_size(float(P.shape[0]) ** 2 * P.shape[1], 2e8, "the exact Gram matrix of the points",
                "pass fewer or smaller points")
    with precision(prec=_BALL_PREC):
        G_arb = _gram_arb(P)
    _, _, _, lam = _cheb(G_arb)
    return _assemble_chebyshev({"points": P, "lambda": np.asarray(lam, dtype=np.float64)}, G_arb)


def _assemble_chebyshev(w: Mapping[str, Any], G_arb: Any = None) -> ChebyshevRadius:

    P, lam = np.asarray(w["points"]), np.asarray(w["lambda"])
    with precision(prec=_BALL_PREC):
        if G_arb is None:
            G_arb = _gram_arb(P)
        if P.shape[0] == 1:
            lo = hi = est = 0.0
        else:
            lo, hi, est = _radius_enclosure(G_arb, lam)
    ln = np.maximum(lam, 0.0)
    total = math.fsum(ln.tolist())
    ln = ln / total if total > 0 else np.full(len(ln), 1.0 / len(ln))
    c = np.array([_fdot(ln, P[:, k]) for k in range(P.shape[1])])
    d = np.array([_norm(p - c) for p in P])
    support = tuple(int(i) for i in np.flatnonzero(d >= d.max() * (1 - 1e-9)))
    return ChebyshevRadius("chebyshev_radius", Outcome.HOLDS, Rigor.PROVEN,
                           f"Chebyshev radius {est:.15g} ∈ [{lo:.17g}, {hi:.17g}]",
                           {"lambda": lam}, Witness("points", {"points": P, "lambda": lam}),
                           "minimum enclosing ball (THEORY.md §3)",
                           value=est, lower=lo, upper=hi, center=c, support=support)


def _digest(w: Mapping[str, Any]) -> str:
    """SHA-256 of a witness's data (arrays by dtype, shape and bytes): names the instance a claim is about."""
    import hashlib

    h = hashlib.sha256()

    def feed(v: Any) -> None:
        if isinstance(v, np.ndarray):
            a = np.ascontiguousarray(v)
            h.update(f"array{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        elif isinstance(v, Mapping):
            h.update(b"{")
            for k in sorted(v):
                h.update(str(k).encode())
                feed(v[k])
            h.update(b"}")
        elif isinstance(v, (list, tuple)):
            h.update(b"[")
            for t in v:
                feed(t)
            h.update(b"]")
        else:
            h.update(repr(v).encode())

    feed(dict(w))
    return h.hexdigest()


def _cliques(adj: np.ndarray) -> list[tuple[int, ...]]:
    """Maximal cliques of a small undirected graph (Bron–Kerbosch with pivoting)."""
    K = adj.shape[0]
    nbrs = [{int(j) for j in np.flatnonzero(adj[i])} - {i} for i in range(K)]
    out: list[tuple[int, ...]] = []

    def bk(R: set, P: set, X: set) -> None:
        if not P and not X:
            out.append(tuple(sorted(R)))
            return
        u = max(sorted(P | X), key=lambda v: len(nbrs[v] & P))
        for v in sorted(P - nbrs[u]):
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
    ``η = 0`` the sets are the fibres ``M₁ ∩ (x + ker A)``. The measurements
    are compared in ball arithmetic on the exact operator (dense matrix,
    unitary Fourier, DCT or Walsh–Hadamard transform). Candidate sets are the
    maximal cliques of the graph ``‖Ax − Ax′‖ ≤ 2η``, shrunk until they fit;
    every radius is a proven enclosure (:func:`chebyshev_radius`). Also
    reports ``kersize = max{‖x − x′‖ : ‖Ax − Ax′‖ ≤ 2η}`` and checks
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
        Refuse larger sets (the search is exponential in the worst case; at most 256).

    Returns
    -------
    OptimalityConstant
        ``value``, proven ``lower``/``upper``, ``kersize``, ``subset``.

    Theorem: optimal maps and Paradox II (THEORY.md §3; seed 002).
    Rigor: proven when every feasibility decision is decided (numerical for an
    opaque operator); otherwise the enclosure covers both answers of the
    undecided ones.

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
    A = _operator(A)
    eta = real_arg(eta, "eta", allow_zero=True)
    max_points = integer_arg(max_points, "max_points")
    if max_points > 256:
        raise InvalidArgument(f"max_points={max_points}: at most 256 (the set search is exponential)")
    Xv = as_array(points, "points")
    core = tuple(A.in_shape)
    if Xv.ndim != len(core) + 1 or Xv.shape[1:] != core or Xv.shape[0] < 1:
        raise InvalidArgument(f"points has shape {Xv.shape}; expected (K, {', '.join(map(str, core))})")
    K = Xv.shape[0]
    if K > max_points:
        raise InvalidArgument(f"{K} points exceed max_points={max_points}: the set search is exponential; "
                              "raise max_points if you can wait")
    rec = _operator_record(A)
    w: dict[str, Any] = {"points": Xv, "operator": rec, "eta": eta, "max_points": max_points}
    if rec["kind"] == "opaque" or not _Ball.available(rec):
        Y = _apply(A, Xv)
        if not np.all(np.isfinite(Y)):
            raise InvalidArgument("A·x overflows float64: rescale A or the points")
        w["measurements"] = Y
    return _assemble_optimality(w)


def _assemble_optimality(w: Mapping[str, Any]) -> OptimalityConstant:
    """The whole (deterministic) computation of :func:`optimality_constant` from its witness."""
    import flint


    Xv, rec, eta = np.asarray(w["points"]), w["operator"], float(w["eta"])
    K = Xv.shape[0]
    P = _real_points(Xv)
    exact_meas = "measurements" not in w
    with precision(prec=_BALL_PREC):
        GP = _gram_arb(P)
        if exact_meas:
            balls = _Ball(rec).apply(Xv)
            rows = []
            for b in balls:
                if b and type(b[0]).__name__ == "acb":
                    rows.append([v.real for v in b] + [v.imag for v in b])
                else:
                    rows.append(list(b))
            Ya = flint.arb_mat(rows)
            GY = Ya * Ya.transpose()
            slack = 0.0
        else:
            Yf = _real_points(np.asarray(w["measurements"]), "measurements")
            GY = _gram_arb(Yf)
            m, N = Yf.shape[1], P.shape[1]
            # float64 measurements carry rounding: widen their distances (then only numerical)
            slack = 64.0 * math.log2(m + N + 2) * _EPS * max(_norm(y) for y in Yf)

    def meas_dist(i: int, j: int) -> tuple[float, float]:
        with precision(prec=_BALL_PREC):
            d2 = GY[i, i] + GY[j, j] - 2 * GY[i, j]
            if d2.is_zero():  # exactly equal measurements
                return 0.0, 2 * slack
            lo2, hi2 = ball_lower(d2), ball_upper(d2)
        lo = math.sqrt(lo2) if lo2 > 0 else 0.0
        hi = math.sqrt(hi2) if hi2 > 0 else 0.0
        return max(0.0, round_down(lo) - 2 * slack), round_up(hi) + 2 * slack

    adj = np.zeros((K, K), dtype=bool)    # possibly within 2η
    sure = np.zeros((K, K), dtype=bool)   # certainly within 2η
    for i in range(K):
        for j in range(i + 1, K):
            lo, hi = meas_dist(i, j)
            adj[i, j] = adj[j, i] = lo <= 2 * eta
            sure[i, j] = sure[j, i] = hi <= 2 * eta
    undecided = int(np.sum(adj & ~sure) // 2)

    def img_dist(i: int, j: int) -> tuple[float, float]:
        with precision(prec=_BALL_PREC):
            d2 = GP[i, i] + GP[j, j] - 2 * GP[i, j]
            lo2, hi2 = ball_lower(d2), ball_upper(d2)
        return (round_down(math.sqrt(lo2)) if lo2 > 0 else 0.0, round_up(math.sqrt(max(hi2, 0.0))))

    ks_lo = ks_hi = ks_est = 0.0
    for i in range(K):
        for j in range(i + 1, K):
            if adj[i, j]:
                lo, hi = img_dist(i, j)
                ks_hi = max(ks_hi, hi)
                ks_est = max(ks_est, _norm(P[i] - P[j]))
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
        _, lo, hi, _ = _cheb(_sub(GY, S))
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
        est, lo, hi, _ = _cheb(_sub(GP, S))
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

    for C in sorted(_cliques(adj), key=lambda c: (-len(c), c)):
        visit(C)
    est, lo, hi_best, S = best
    hi = max(hi_best, upper_all)
    decided = undecided == 0 and hi == hi_best
    checks = {"kersize/2 <= c_opt": ks_lo / 2 <= hi, "c_opt <= kersize": lo <= ks_hi}
    values = {"eta": eta, "kersize_lower": ks_lo, "kersize_upper": ks_hi, "kersize_bounds_hold": checks,
              "undecided_pairs": undecided, "exact_measurements": exact_meas, "operator": _record_text(rec),
              "points": K, "max_points": int(w["max_points"]), "instance_digest": _digest(w)}
    msg = (f"c_opt = {est:.12g} ∈ [{lo:.15g}, {hi:.15g}] (attained by points {list(S)}); kersize = "
           f"{ks_est:.12g}: kersize/2 = {ks_est / 2:.6g} ≤ c_opt ≤ kersize")
    if not decided:
        msg += "; some sets were undecided in ball arithmetic: the enclosure covers both answers"
    outcome = Outcome.HOLDS if all(checks.values()) else Outcome.VIOLATED
    rigor = Rigor.PROVEN if exact_meas else Rigor.NUMERICAL
    if not exact_meas:
        msg += "; measurements compared in float64 with a rounding allowance (numerical)"
    return OptimalityConstant("optimality_constant", outcome, rigor, msg, values,
                              Witness("points", dict(w)), "optimal maps, Paradox II (THEORY.md §3)",
                              value=est, lower=lo, upper=hi, kersize=ks_est, subset=tuple(int(i) for i in S))


# --------------------------------------------------------------------------------------
# verifiers of the Paradox II results (``theorycheck verify``)
# --------------------------------------------------------------------------------------

@register_verifier("optimality_constant")
def verify_optimality_constant(result: CheckResult) -> CheckResult:
    """Re-run the (deterministic) :func:`optimality_constant` computation on the stored points and
    operator and compare every field exactly.

    Theorem: optimal maps, Paradox II (THEORY.md §3).
    Rigor: the saved result's (proven when the recomputation is).
    """
    _result_arg(result)
    name = "verify:optimality_constant"
    w = result.witness
    if not isinstance(result, OptimalityConstant) or w is None or w.kind != "points":
        return _no_witness(name, result, "points")
    d = w.data
    chk = _Check(d)
    want = {"points", "operator", "eta", "max_points"}
    if not (set(d) == want or set(d) == want | {"measurements"}):
        chk.problems.append(f"witness: fields {sorted(d)}, expected {sorted(want)}")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    rec = chk.operator()
    chk.number("eta", minimum=0)
    mp = chk.number("max_points", minimum=1, integer=True, maximum=256)
    X = chk.array("points")
    if rec is not None and X is not None:
        core = tuple(rec["mask"].shape if "mask" in rec else rec["in_shape"])
        if X.ndim != len(core) + 1 or X.shape[1:] != core or X.shape[0] < 1:
            chk.bad("points", f"shape {X.shape} is not (K, *{core})")
        elif mp is not None and X.shape[0] > mp:
            chk.bad("points", f"{X.shape[0]} points exceed max_points = {mp}")
        exact = rec.get("kind") != "opaque" and _Ball.available(rec)
        if exact == ("measurements" in d):
            chk.bad("measurements", "present exactly when the operator has no ball evaluation")
        elif not exact:
            Y = chk.array("measurements")
            if Y is not None and (Y.shape[0] != X.shape[0]):
                chk.bad("measurements", "one measurement vector per point is required")
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    problems = claim_mismatches(result, _assemble_optimality(d))
    return verification(result, problems, rederived="every set, enclosure, bound, check, the outcome, rigor and "
                        "message (the whole computation, in ball arithmetic)",
                        not_rechecked="that the stored measurements are A·x (opaque operator)"
                        if "measurements" in d else "")


@register_verifier("chebyshev_radius")
def verify_chebyshev_radius(result: CheckResult) -> CheckResult:
    """Re-prove a saved :func:`chebyshev_radius` from the stored points and dual point ``λ``.

    Theorem: minimum enclosing ball duality (THEORY.md §3).
    Rigor: proven.
    """
    _result_arg(result)
    name = "verify:chebyshev_radius"
    w = result.witness
    if not isinstance(result, ChebyshevRadius) or w is None or w.kind != "points":
        return _no_witness(name, result, "points")
    d = w.data
    chk = _Check(d)
    if set(d) != {"points", "lambda"}:
        chk.problems.append(f"witness: fields {sorted(d)}, expected ['lambda', 'points']")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    P = chk.array("points", kinds="f", ndim=2)
    lam = chk.array("lambda", kinds="f", ndim=1)
    if P is not None and lam is not None:
        if P.shape[0] < 1 or P.shape[1] < 1 or lam.shape != (P.shape[0],):
            chk.bad("lambda", f"shape {lam.shape} does not match {P.shape[0]} points")
        elif float(P.shape[0]) ** 2 * P.shape[1] > 2e8:
            chk.bad("points", "too many points to re-check")
        elif bool(np.any(lam < 0)) or not math.fsum(lam.tolist()) > 0:
            chk.bad("lambda", "not a point of the simplex (negative or all zero)")
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    problems = claim_mismatches(result, _assemble_chebyshev(d))
    return verification(result, problems, rederived="the enclosure (ball arithmetic from the stored λ), the "
                        "estimate, centre, support and message")


# --------------------------------------------------------------------------------------
# worst-case perturbations: the stability test (theorycheck.search re-exports these)
# --------------------------------------------------------------------------------------

_SEARCH_THEOREM = "stability test (THEORY.md §4); L^ε of THEORY.md §3"


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class PerturbationWitness(CheckResult):
    """A worst-case perturbation found by :func:`search_worst_perturbation`.

    For a batch of images every numeric attribute is an array with one entry
    per image (``item(i)`` gives image ``i``'s witness); for one image they are floats.

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s)
    ----------------------------------------------------------------
    r : numpy.ndarray or None
        Image-domain perturbation (``domain="image"``).
    e : numpy.ndarray or None
        Measurement-domain perturbation (``domain="measurement"``).
    ratio : float or numpy.ndarray
        ``(‖Ψ(y₁) − Ψ(y₀)‖ − 16(ν₀ + ν₁))/‖y₁ − y₀‖`` rounded down, with
        ``y₀ = Ax``, ``y₁ = A(x + r)`` (or ``Ax + e``) and ``ν`` the estimated
        rounding noise of each output: a lower bound on ``L^ε(Ψ, y₀)`` for every
        ``ε ≥ ‖y₁ − y₀‖`` (0 for an image whose change is within 32 times its
        noise, ``values["certified"]`` False).
    norm_r : float or numpy.ndarray
        ``‖r‖`` (``‖e‖`` in the measurement domain).
    norm_Ar : float or numpy.ndarray
        ``‖y₁ − y₀‖`` (``values["norm_Ar_upper"]``: rounded up, the ``ε`` threshold).
    output_change : float or numpy.ndarray
        ``‖Ψ(y₁) − Ψ(y₀)‖``.
    trace : dict
        Every ``record_every`` steps: ``step``, ``restart``, ``objective``,
        ``output_change``, ``norm`` (per image).
    domain, reference : str

    Theorem: definition of ``L^ε`` (THEORY.md §3); stability test (THEORY.md §4).
    Rigor: certified-float64 when ``outcome`` is ``holds`` (Ψ re-evaluated twice on
    the CPU in float64, its rounding noise allowed for); numerical otherwise.
    """

    #: how long the ascent took (not a claim)
    informational = frozenset({"elapsed_s", "ascent_seconds"})

    r: Any = None
    e: Any = None
    ratio: Any = math.nan
    norm_r: Any = math.nan
    norm_Ar: Any = math.nan
    output_change: Any = math.nan
    trace: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    domain: str = "image"
    reference: str = "prediction"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "trace", dict(self.trace or {}))

    @property
    def perturbation(self) -> np.ndarray:
        """``r`` or ``e``, whichever the domain uses."""
        return self.r if self.domain == "image" else self.e

    @property
    def batched(self) -> bool:
        """True when the witness holds a batch of images."""
        return isinstance(self.ratio, np.ndarray) and self.ratio.ndim == 1

    def item(self, i: int) -> "PerturbationWitness":
        """The witness of image ``i`` of a batch (self when not batched), re-assembled from its data.

        Theorem: definition of ``L^ε`` (THEORY.md §3).
        Rigor: the batch's, per image (an image whose change is within its noise is inconclusive).
        """
        if not self.batched:
            return self
        i = integer_arg(i, "i", minimum=0)
        if i >= self.ratio.size:
            raise InvalidArgument(f"image {i} of a batch of {self.ratio.size}")
        if self.witness is None or self.witness.kind != "perturbation":
            raise InvalidArgument("this result has no witness to take an image from")
        out = _assemble_perturbation(_slice_witness(self.witness.data, i))
        extra = {k: v for k, v in self.values.items() if k in self.informational}
        return dataclasses.replace(out, values={**out.values, **extra}) if extra else out


def _slice_witness(w: Mapping[str, Any], i: int) -> dict[str, Any]:
    """The witness data of image ``i`` of a batched witness."""
    out = dict(w)
    out["batched"] = False
    for k in ("x", "perturbation", "y0", "y1", "psi_y0", "psi_y1", "search_change"):
        if k in w:
            out[k] = np.asarray(w[k])[i]
    if "psi_noise" in w:
        out["psi_noise"] = np.asarray(w["psi_noise"])[:, i]
    out["trace"] = {k: (np.asarray(v)[:, i] if np.asarray(v).ndim == 2 else v) for k, v in w["trace"].items()}
    search = dict(w["search"])
    if isinstance(search.get("lam"), np.ndarray):
        search["lam"] = float(search["lam"][i])
    out["search"] = search
    return out


def _bnorm(t: Any) -> Any:
    """Per-sample Euclidean norms of a torch batch (real result)."""
    return t.reshape(t.shape[0], -1).abs().pow(2).sum(1).sqrt()


def _bshape(v: Any, ndim: int) -> Any:
    return v.reshape((-1,) + (1,) * (ndim - 1))


def search_worst_perturbation(
    psi: Any, A: Any, x: Any, *, domain: str = "image", reference: str = "prediction",
    lam: float | None = None, budget: float | None = None, steps: int = 200, lr: float | None = None,
    momentum: float = 0.9, restarts: int = 1, seed: Any = None, device: Any = None, dtype: Any = None,
    init_scale: float | None = None, max_norm: float | None = None,
    callback: Callable[["PerturbationWitness"], Any] | None = None, progress: bool = True,
    record_every: int = 10, certify: bool = True,
) -> PerturbationWitness:
    """Search a perturbation that changes ``Ψ``'s output most: gradient ascent with momentum.

    Objective (per image, summed over a batch):
    ``Q(r) = ½‖Ψ(A(x + r)) − ref‖² − (λ/2)‖r‖²`` when ``budget`` is None, else
    ``½‖Ψ(A(x + r)) − ref‖²`` subject to ``‖r‖ ≤ budget`` (projected ascent);
    ``ref = Ψ(Ax)`` (``reference="prediction"``) or ``x`` (``"truth"``). In the
    measurement domain ``r`` is replaced by ``e`` and ``A(x + r)`` by ``Ax + e``.
    Heavy-ball steps ``v ← γv + step``, ``r ← r + v``: with a budget the step is
    ``lr·budget·g/‖g‖`` (``lr`` default 0.05); penalised it is ``lr·g`` with
    ``lr`` (default) chosen at the first step so that it moves ``r`` by 10% of
    its initial norm. Gradients come from autograd through ``A`` (its exact
    adjoint) and ``Ψ``; complex data stay complex. The best iterate per image
    (largest objective) is kept, also when interrupted (Ctrl-C), then
    re-evaluated twice on the CPU in float64.

    Parameters
    ----------
    psi : torch.nn.Module, torch callable or ReconstructionMap
        Must be differentiable by torch (``as_reconstruction_map(f, backend="torch")``
        for a plain torch function).
    A : array_like or LinearOperator
    x : array_like
        One image ``A.in_shape`` or a batch ``(B, *A.in_shape)``.
    domain : {"image", "measurement"}
    reference : {"prediction", "truth"}
    lam : float, optional
        ``λ ≥ 0`` of the penalised objective. Default: the squared gain
        ``(‖Ψ(A(x + r₀)) − Ψ(Ax)‖/‖r₀‖)²`` of the random start ``r₀``, so that
        ``Q`` rewards directions that amplify more than random noise.
    budget : float, optional
        Projected ascent on ``‖r‖ ≤ budget`` (``‖e‖ ≤ budget``).
    steps : int
        Ascent steps per restart.
    lr : float, optional
        Step size (see above).
    momentum : float
        Heavy-ball ``γ ∈ [0, 1)`` (the authors' 0.9).
    restarts : int
        Random starts; the best is kept.
    seed : int, optional
        Seed of the random starts (drawn on the CPU: same seed, same result on
        any device). Default: fresh entropy (the value used is in ``values["seed"]``).
    device, dtype
        Where and at which real precision the ascent runs (default: CUDA when
        available for modules, else CPU; the model's dtype, float64 for a plain
        torch function).
    init_scale : float, optional
        ``‖r₀‖`` (default ``budget/10``, or ``1e-3·‖x‖`` / ``1e-3·‖Ax‖``).
    max_norm : float, optional
        Penalised mode: cap on ``‖r‖`` (default ``0.1·‖x‖`` / ``0.1·‖Ax‖``)
        so that the ascent cannot diverge.
    callback : callable, optional
        Called every ``record_every`` steps with the best-so-far witness
        (numerical, not re-evaluated); returning True stops the search.
    progress : bool
        Show a tqdm bar.
    record_every : int
        Steps between trace records (and callbacks).
    certify : bool
        Re-evaluate the best witness in float64 (False: leave it numerical).

    Returns
    -------
    PerturbationWitness

    Theorem: stability test of THEORY.md §4; ``L^ε(Ψ, y) ≥ ‖Ψ(z) − Ψ(y)‖/‖z − y‖``
    for ``‖z − y‖ ≤ ε`` (definition, THEORY.md §3).
    Rigor: certified-float64 (ratio re-evaluated twice on the CPU in float64;
    inconclusive with the reason when the evaluations differ or are not finite).
    """
    torch = lazy_torch()
    domain = choice_arg(domain, "domain", ("image", "measurement"))
    reference = choice_arg(reference, "reference", ("prediction", "truth"))
    steps = integer_arg(steps, "steps")
    restarts = integer_arg(restarts, "restarts")
    record_every = integer_arg(record_every, "record_every")
    refuse_size(float(steps) * restarts, 1e8, "the number of ascent steps", "lower steps or restarts")
    progress = bool_arg(progress, "progress")
    certify = bool_arg(certify, "certify")
    if lam is not None:
        lam = real_arg(lam, "lam", allow_zero=True)
    if budget is not None:
        budget = real_arg(budget, "budget")
    if lr is not None:
        lr = real_arg(lr, "lr")
    if init_scale is not None:
        init_scale = real_arg(init_scale, "init_scale")
    if max_norm is not None:
        max_norm = real_arg(max_norm, "max_norm")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
        raise InvalidArgument(f"momentum must lie in [0, 1), got {momentum!r}")
    if callback is not None and not callable(callback):
        raise InvalidArgument("callback must be a callable (or None)")
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise InvalidArgument(f"dtype must be a real torch floating dtype (e.g. torch.float32), got {dtype!r}")
    seed = _seed_int(seed)
    A = _operator(A)
    xv = _images(x, A, "x", batch=True)
    batched = xv.shape != tuple(A.in_shape)
    xb = xv if batched else xv[None]
    refuse_size(float(xb.size) * max(A.shape), 2 ** 34, "the batch of images", "search fewer images at once")
    _refuse_zero_operator(A, xb)
    pm = _psi_map(psi, A)
    if not pm.differentiable:
        raise InvalidArgument(
            "search_worst_perturbation needs a torch-differentiable Ψ: pass a torch.nn.Module, or "
            "as_reconstruction_map(f, backend='torch') for a torch function (use "
            "random_noise_instability for a black box)")
    if device is None:
        dev = resolve_device(None) if pm.is_module and pm.device is None else (pm.device or torch.device("cpu"))
    else:
        dev = resolve_device(device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise InvalidArgument(f"device {device!r}: CUDA is not available on this machine; use 'cpu'")
        if dev.type not in ("cpu", "cuda"):
            raise InvalidArgument(f"device {device!r}: use 'cpu' or 'cuda'")
    B = xb.shape[0]
    interrupted = False
    trace_rows: list[tuple] = []
    t_ascent = 0.0
    steps_done = 0
    with pm.session(device=dev, dtype=dtype) as f:
        rdt = f.dtype or torch.float64  # a plain torch function gets float64 unless told otherwise
        cdt = f.complex_dtype or torch.complex128
        xt = torch.as_tensor(xb, device=f.device).to(cdt if np.iscomplexobj(xb) else rdt)
        with torch.no_grad():
            y0 = A.apply(xt)
            p0 = f(y0)
        ref = p0 if reference == "prediction" else xt
        like = xt if domain == "image" else y0
        nd = like.dim()
        base = _bnorm(like).to(rdt)
        base = torch.where(base > 0, base, torch.ones_like(base))
        cap = (torch.full_like(base, budget) if budget is not None
               else torch.full_like(base, max_norm) if max_norm is not None else 0.1 * base)
        r0n = (torch.full_like(base, init_scale) if init_scale is not None
               else 0.1 * cap if budget is not None else 1e-3 * base)
        gen = torch.Generator().manual_seed(seed)

        def start() -> Any:
            z = torch.randn(tuple(like.shape), generator=gen, dtype=torch.float64)
            if like.is_complex():
                z = torch.complex(z, torch.randn(tuple(like.shape), generator=gen, dtype=torch.float64))
            z = z.to(device=f.device, dtype=like.dtype)
            return z * _bshape(r0n / _bnorm(z).to(rdt), nd)

        def forward(r: Any) -> tuple[Any, Any, Any]:
            dy = A.apply(r) if domain == "image" else r
            out = f(y0 + dy)
            # ½‖·‖² without the square root: its gradient at a zero difference is 0, not 0·∞ = NaN
            diff = (out - ref).reshape(out.shape[0], -1)
            fit = 0.5 * (diff.real ** 2 + diff.imag ** 2 if diff.is_complex() else diff ** 2).sum(1)
            with torch.no_grad():
                change = _bnorm(out - p0)
            return fit, change, out

        lam_t = None if budget is not None else (
            torch.full_like(base, lam) if lam is not None else None)
        best_obj = torch.full((B,), -math.inf, dtype=rdt, device=f.device)
        best_r = torch.zeros_like(like)
        best_change = torch.zeros_like(best_obj)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=steps * restarts, desc="search_worst_perturbation")

        def snapshot() -> PerturbationWitness:
            rr = best_r.detach().cpu().numpy()
            return _numerical_witness(rr if batched else rr[0], domain, reference,
                                      best_change.cpu().numpy(), batched)

        t0 = time.perf_counter()
        try:
            for rs in range(restarts):
                r = start()
                v = torch.zeros_like(r)
                lr_t = None
                if lam_t is None and budget is None:  # λ = squared gain of the random start
                    with torch.no_grad():
                        _, ch0, _ = forward(r)
                        lam_t = (ch0 / _bnorm(r).to(rdt)) ** 2
                for it in range(steps):
                    r.requires_grad_(True)
                    fit, change, _ = forward(r)
                    rr = r.reshape(r.shape[0], -1)
                    sq_r = (rr.real ** 2 + rr.imag ** 2 if rr.is_complex() else rr ** 2).sum(1)
                    obj = fit if budget is not None else fit - 0.5 * lam_t * sq_r
                    (g,) = torch.autograd.grad(obj.sum(), r)
                    with torch.no_grad():
                        r = r.detach()
                        o = obj.detach()
                        rn_eval = _bnorm(r).to(rdt)
                        better = o > best_obj
                        best_obj = torch.where(better, o, best_obj)
                        best_change = torch.where(better, change.detach(), best_change)
                        best_r = torch.where(_bshape(better, nd), r, best_r)
                        gn = _bnorm(g).to(rdt)
                        gn = torch.where(gn > 0, gn, torch.ones_like(gn))
                        if budget is not None:
                            step = g * _bshape((lr if lr is not None else 0.05) * cap / gn, nd)
                        else:
                            if lr_t is None:
                                lr_t = torch.full_like(gn, lr) if lr is not None else 0.1 * r0n / gn
                            step = g * _bshape(lr_t, nd)
                        v = momentum * v + step
                        r = r + v
                        rn = _bnorm(r).to(rdt)
                        r = r * _bshape(torch.clamp(cap / torch.where(rn > 0, rn, torch.ones_like(rn)),
                                                    max=1.0), nd)
                    steps_done += 1
                    if bar is not None:
                        bar.update(1)
                    if (it + 1) % record_every == 0 or it == steps - 1:
                        trace_rows.append((steps_done, rs, o, change.detach(), rn_eval))
                        if callback is not None and callback(snapshot()) is True:
                            raise StopIteration
        except (KeyboardInterrupt, StopIteration) as exc:
            interrupted = isinstance(exc, KeyboardInterrupt)
        finally:
            t_ascent = time.perf_counter() - t0
            if bar is not None:
                bar.close()
        r_best = best_r.detach().cpu().numpy()
        lam_used = None if lam_t is None else lam_t.detach().cpu().numpy().astype(float)
        change_ws = best_change.detach().cpu().numpy().astype(float)
        precision_ws = str(rdt).replace("torch.", "")
    trace = _trace(trace_rows, batched)
    wide = np.complex128 if np.iscomplexobj(r_best) else np.float64
    r64 = r_best.astype(wide)
    search = {
        "budget": budget, "lam": (lam_used if batched or lam_used is None else float(lam_used[0])),
        "steps": steps, "restarts": restarts, "momentum": float(momentum), "lr": lr, "seed": seed,
        "init_scale": init_scale, "max_norm": max_norm, "record_every": record_every,
        "device": str(dev), "search_precision": precision_ws, "interrupted": interrupted,
        "steps_done": steps_done,
    }
    out = _certified(pm, A, xb, r64, domain, reference, batched, search, trace, certify, change_ws)
    return dataclasses.replace(out, values={**out.values, "ascent_seconds": t_ascent})


def _refuse_zero_operator(A: Any, xb: np.ndarray) -> None:
    """A zero operator has no measurements to perturb: say so (instead of blaming x)."""
    rng = np.random.default_rng(0)
    probe = rng.standard_normal(xb.shape[1:])
    if A.is_complex or np.iscomplexobj(xb):
        probe = probe + 1j * rng.standard_normal(xb.shape[1:])
    with np.errstate(all="ignore"):
        Ap = np.asarray(A.apply(probe))
    if Ap.size and not np.any(Ap):
        raise InvalidArgument("A is the zero operator: every image has the measurements 0, so no perturbation "
                              "changes Ψ's input; pass the sampling operator")
    if not np.all(np.isfinite(Ap)):
        raise InvalidArgument("A·x overflows float64 on a random image: rescale A")
def _trace(rows: list[tuple], batched: bool) -> dict[str, np.ndarray]:
    if not rows:
        return {}
    pick = (lambda a: a) if batched else (lambda a: a[:, 0])
    return {
        "step": np.array([r[0] for r in rows]),
        "restart": np.array([r[1] for r in rows]),
        "objective": pick(np.stack([r[2].cpu().numpy().astype(float) for r in rows])),
        "output_change": pick(np.stack([r[3].cpu().numpy().astype(float) for r in rows])),
        "norm": pick(np.stack([r[4].cpu().numpy().astype(float) for r in rows])),
    }


def _numerical_witness(r: np.ndarray, domain: str, reference: str, change: np.ndarray,
                       batched: bool) -> PerturbationWitness:
    """A cheap best-so-far witness for callbacks (not re-evaluated)."""
    norm = _norms(r if batched else r[None])
    ch = change if batched else float(change[0])
    return PerturbationWitness(
        "worst_perturbation", Outcome.INCONCLUSIVE, Rigor.NUMERICAL, "best so far (not re-evaluated)",
        r=r if domain == "image" else None, e=r if domain == "measurement" else None,
        norm_r=norm if batched else float(norm[0]), output_change=ch, domain=domain, reference=reference)


def _certified(pm: Any, A: Any, xb: np.ndarray, r64: np.ndarray, domain: str, reference: str,
               batched: bool, search: dict, trace: dict, certify: bool,
               change_ws: np.ndarray) -> PerturbationWitness:
    """Measure, re-evaluate the best perturbation twice on the CPU in float64 (with its rounding
    noise) and assemble the witness."""
    rec = _operator_record(A)
    Y0 = _apply(A, xb)
    with np.errstate(over="ignore", invalid="ignore"):
        Y1 = _apply(A, xb + r64) if domain == "image" else Y0 + r64
    if not (np.all(np.isfinite(Y0)) and np.all(np.isfinite(Y1))):
        raise InvalidArgument("A·x overflows float64: rescale A or the images")
    sq = (lambda a: a) if batched else (lambda a: a[0])
    w: dict[str, Any] = {
        "x": sq(xb), "perturbation": sq(r64), "domain": domain, "reference": reference, "batched": batched,
        "y0": sq(Y0), "y1": sq(Y1), "operator": rec, "psi": pm.options(), "search": search, "trace": trace,
        "search_change": sq(np.asarray(change_ws, dtype=np.float64)), "certify": certify,
        "psi_precision": "", "psi_status": "not re-evaluated in float64 (certify=False)"}
    if certify:
        B = xb.shape[0]
        dy = np.array([_norm(Y1[i] - Y0[i]) for i in range(B)])
        scale = np.where(dy > 0, dy, np.inf)
        # each sample alone (evaluate_float64): the batched search may be batch-dependent
        ev = pm.evaluate_float64(np.concatenate([Y0, Y1]), noise=True, noise_scale=np.concatenate([scale, scale]),
                                 noise_segments=[(i, B + i) for i in range(B) if dy[i] > 0])
        w["psi_precision"] = ev.precision
        w["psi_status"] = ev.reason if ev.reason or ev.ok else "Ψ's float64 evaluation is not usable"
        if not w["psi_status"]:
            w.update(psi_y0=sq(ev.output[:B]), psi_y1=sq(ev.output[B:]),
                     psi_noise=np.asarray(ev.noise.noise, dtype=np.float64).reshape(2, B)[:, 0 if not batched
                                                                                        else slice(None)])
    return _assemble_perturbation(w)


def _assemble_perturbation(w: Mapping[str, Any]) -> PerturbationWitness:
    """Every value, field, outcome, rigor and message of a search result from its witness."""
    batched, domain, reference = bool(w["batched"]), w["domain"], w["reference"]
    lift = (lambda a: np.asarray(a)) if batched else (lambda a: np.asarray(a)[None])
    xb, rb, Y0, Y1 = lift(w["x"]), lift(w["perturbation"]), lift(w["y0"]), lift(w["y1"])
    B = xb.shape[0]
    dists = [_dist(Y1[i], Y0[i]) for i in range(B)]
    dy = np.array([t[0] for t in dists])
    dy_hi = np.array([t[2] for t in dists])
    norm_r = np.array([_norm(rb[i]) for i in range(B)])
    one = (lambda a: np.asarray(a)) if batched else (lambda a: float(np.asarray(a)[0]))
    search = dict(w["search"])
    values: dict[str, Any] = {**search, "psi_precision": str(w["psi_precision"]), "psi": _psi_text(w["psi"]),
                              "operator": _record_text(w["operator"]), "norm_Ar_upper": one(dy_hi),
                              "search_change": (np.asarray(w["search_change"]) if batched
                                                else float(w["search_change"]))}
    wit = Witness("perturbation", dict(w))
    kw = dict(r=w["perturbation"] if domain == "image" else None,
              e=w["perturbation"] if domain == "measurement" else None,
              norm_r=one(norm_r), norm_Ar=one(dy), domain=domain, reference=reference, trace=dict(w["trace"]))
    status = w["psi_status"]
    if status:
        ch = lift(w["search_change"])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(dy > 0, ch / np.where(dy > 0, dy, 1.0), 0.0)
        return PerturbationWitness(
            "worst_perturbation", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
            status if status.startswith("not re-evaluated") else f"not certified: {status}", values, wit,
            _SEARCH_THEOREM, ratio=one(ratio), output_change=one(ch), **kw)
    p0, p1 = lift(w["psi_y0"]), lift(w["psi_y1"])
    nu = np.asarray(w["psi_noise"]).reshape(2, -1)
    change, ratios, unrounded, ok, allowances = [], [], [], [], []
    for i in range(B):
        C, C_lo, _ = _dist(p1[i], p0[i])
        allow = _add_up(_KAPPA * float(nu[0, i]), _KAPPA * float(nu[1, i]))
        C_lo_n = _sub_down(C_lo, allow)
        good = bool(C_lo > _add_up(_SAFETY * float(nu[0, i]), _SAFETY * float(nu[1, i])) and dists[i][1] > 0
                    and math.isfinite(dy_hi[i]))
        change.append(C)
        allowances.append(allow)
        unrounded.append(C / dy[i] if dy[i] > 0 else 0.0)
        ratios.append(_div_down(C_lo_n, dy_hi[i]) if good and C_lo_n > 0 else 0.0)
        ok.append(good)
    ratio = np.array(ratios)
    values.update({"error_vs_truth": one(np.array([_norm(p1[i] - xb[i]) for i in range(B)])),
                   "ratio_unrounded": one(np.array(unrounded)), "noise_allowance": one(np.array(allowances)),
                   "certified": (np.array(ok) if batched else bool(ok[0]))})
    sym = "r" if domain == "image" else "e"
    if any(ok):
        k = int(np.argmax(ratio))
        msg = (f"L^ε(Ψ, Ax) ≥ {_fmt(ratio[k])} for ε ≥ ‖Δy‖ = {_fmt(dy_hi[k], 3)}: a perturbation with "
               f"‖{sym}‖ = {_fmt(norm_r[k], 3)} changes Ψ's output by {_fmt(change[k], 4)}"
               + (f" (image {k} of {B}; {sum(ok)} of {B} certified, per-image values in arrays)" if batched
                  else ""))
        if search.get("interrupted"):
            msg += "; search interrupted, best so far"
        return PerturbationWitness("worst_perturbation", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64, msg, values,
                                   wit, _SEARCH_THEOREM, ratio=one(ratio), output_change=one(np.array(change)), **kw)
    k = int(np.argmax(unrounded))
    if not dists[k][1] > 0:
        why = "the perturbation does not change the measurements (Δy = 0): no ratio"
    else:
        why = (f"the output change {_fmt(change[k], 4)} is within {_SAFETY:g} times Ψ's estimated float64 rounding "
               f"noise ({_fmt(nu[0, k], 3)} + {_fmt(nu[1, k], 3)}; a jump of Ψ inside the perturbation's segment "
               "counts as noise): pass a larger budget")
    return PerturbationWitness("worst_perturbation", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                               f"not certified: {why}" + (f" (image {k} of {B})" if batched else ""), values, wit,
                               _SEARCH_THEOREM, ratio=one(ratio), output_change=one(np.array(change)), **kw)


_SEARCH_KEYS = {"budget", "lam", "steps", "restarts", "momentum", "lr", "seed", "init_scale", "max_norm",
                "record_every", "device", "search_precision", "interrupted", "steps_done"}
_WITNESS_KEYS = {"x", "perturbation", "domain", "reference", "batched", "y0", "y1", "operator", "psi", "search",
                 "trace", "search_change", "certify", "psi_precision", "psi_status"}


def _search_problems(chk: _Check, search: Any, trace: Any, B: int, batched: bool) -> None:
    if not isinstance(search, dict) or set(search) != _SEARCH_KEYS:
        chk.bad("search", f"expected the fields {sorted(_SEARCH_KEYS)}")
        return
    sub = _Check(search, "witness['search']")
    for k in ("budget", "lr", "init_scale", "max_norm"):
        sub.number(k, positive=True, none=True)
    for k in ("steps", "restarts", "record_every"):
        sub.number(k, minimum=1, integer=True)
    sub.number("steps_done", minimum=0, integer=True)
    sub.number("seed", minimum=0, integer=True)
    sub.number("momentum", minimum=0, maximum=1)
    sub.text("device")
    sub.text("search_precision")
    if not isinstance(search["interrupted"], bool):
        sub.bad("interrupted", "expected a bool")
    lam = search["lam"]
    if lam is not None:
        if batched:
            sub.array("lam", shape=(B,), kinds="f")
        else:
            sub.number("lam", minimum=0)
    chk.problems += sub.problems
    if not isinstance(trace, dict) or (trace and set(trace) != {"step", "restart", "objective",
                                                                 "output_change", "norm"}):
        chk.bad("trace", "expected the fields step, restart, objective, output_change, norm")
        return
    sub = _Check(trace, "witness['trace']")
    for k in trace:
        v = sub.array(k, kinds="iuf", finite=False)
        if v is not None and (v.shape[0] != np.asarray(trace["step"]).shape[0] or
                              (k in ("objective", "output_change", "norm") and batched and v.shape[1:] != (B,))):
            sub.bad(k, "inconsistent shape")
    chk.problems += sub.problems


def verify_perturbation(result: CheckResult, psi: Any = None, *, model: Any = None) -> CheckResult:
    """Re-check a saved :class:`PerturbationWitness` from its witness.

    Validates the witness, re-derives ``y₀ = Ax`` and ``y₁ = A(x + r)`` (``Ax + e``)
    bit for bit (ball arithmetic on the stored operator), then every norm, output
    change, noise allowance, ratio, the outcome, rigor and message, and compares
    them exactly with the file; with ``model`` (module, callable or
    ReconstructionMap; the map is rebuilt with the stored adapter options) ``Ψ`` is
    re-evaluated in float64 and must agree within the noise allowance.

    Theorem: definition of ``L^ε`` (THEORY.md §3).
    Rigor: the saved result's (never above it).
    """
    model = _model_arg(psi, model)
    if not isinstance(result, CheckResult):
        raise InvalidArgument(f"pass a loaded result (CheckResult), got {type(result).__name__}")
    name = "verify:worst_perturbation"
    w = result.witness
    if not isinstance(result, PerturbationWitness) or w is None or w.kind != "perturbation":
        return _no_witness(name, result, "perturbation")
    d = w.data
    chk = _Check(d)
    extra = set(d) - _WITNESS_KEYS - {"psi_y0", "psi_y1", "psi_noise"}
    if extra or not _WITNESS_KEYS <= set(d):
        chk.problems.append(f"witness: fields {sorted(d)}, expected {sorted(_WITNESS_KEYS)} (+ Ψ outputs)")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    rec, opts = chk.operator(), chk.options()
    domain = chk.text("domain", ("image", "measurement"))
    chk.text("reference", ("prediction", "truth"))
    batched = d["batched"]
    if not isinstance(batched, bool) or not isinstance(d["certify"], bool):
        chk.bad("batched", "batched and certify must be bools")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    x = chk.array("x")
    y0, y1 = chk.array("y0"), chk.array("y1")
    pert = chk.array("perturbation")
    change = chk.array("search_change", kinds="f", finite=False) if batched else chk.number("search_change")
    status, prec = chk.text("psi_status"), chk.text("psi_precision")
    B = (x.shape[0] if (x is not None and x.ndim >= 1) else 0) if batched else 1
    if batched and (x is None or B < 1):
        chk.bad("x", "a batch of at least one image is required")
    _search_problems(chk, d["search"], d["trace"], B, batched)
    if batched and change is not None and change.shape != (B,):
        chk.bad("search_change", f"shape {change.shape}, expected ({B},)")
    if d["certify"] is False and status != "not re-evaluated in float64 (certify=False)":
        chk.bad("psi_status", "a search run with certify=False is not re-evaluated")
    outs: list = []
    if status == "":
        if prec != "float64":
            chk.bad("psi_precision", "a certified evaluation must be float64")
        outs = [chk.array(k, shape=None if x is None else x.shape) for k in ("psi_y0", "psi_y1")]
        nu = chk.array("psi_noise", kinds="f", shape=(2, B) if batched else (2,))
        if nu is not None and all(o is not None for o in outs):
            flat = [outs[0][i] if batched else outs[0] for i in range(B)] + \
                   [outs[1][i] if batched else outs[1] for i in range(B)]
            chk.w = {"nu": nu.reshape(-1)}
            chk.noise("nu", flat)
            chk.w = d
    elif status is not None and any(k in d for k in ("psi_y0", "psi_y1", "psi_noise")):
        chk.problems.append("witness: Ψ outputs stored for an evaluation marked unusable")
    if rec is not None and x is not None and y0 is not None and y1 is not None and pert is not None \
            and domain is not None:
        xb = x if batched else x[None]
        core = tuple(rec["mask"].shape if "mask" in rec else rec["in_shape"])
        if xb.shape[1:] != core:
            chk.bad("x", f"shape {x.shape} does not match the operator")
        else:
            y0b, y1b, pb = (v if batched else v[None] for v in (y0, y1, pert))
            chk.measurements(rec, xb, list(y0b), ["y0"] * B)
            if domain == "image":
                if pb.shape != xb.shape:
                    chk.bad("perturbation", "must have the images' shape")
                else:
                    with np.errstate(over="ignore", invalid="ignore"):
                        chk.measurements(rec, xb + pb, list(y1b), ["y1"] * B)
            else:
                with np.errstate(over="ignore", invalid="ignore"):
                    if pb.shape != y0b.shape or not np.array_equal(y1b, y0b + pb) or y1b.dtype != (y0b + pb).dtype:
                        chk.bad("y1", "is not y0 + e")
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed",
                            values={"psi_reevaluated": False})
    problems = claim_mismatches(result, _assemble_perturbation(d))
    reevaluated = False
    if model is not None and status == "" and not problems:
        lift = (lambda a: np.asarray(a)) if batched else (lambda a: np.asarray(a)[None])
        Y = np.concatenate([lift(d["y0"]), lift(d["y1"])])
        stored = list(lift(d["psi_y0"])) + list(lift(d["psi_y1"]))
        nu = np.asarray(d["psi_noise"]).reshape(2, -1).reshape(-1)
        dy = np.atleast_1d(np.asarray(result.norm_Ar, dtype=float))
        scale = np.concatenate([np.where(dy > 0, dy, np.inf)] * 2)
        problems += _reevaluate(model, opts, rec, Y, stored, nu,
                                [f"Ψ(y0[{i}])" for i in range(B)] + [f"Ψ(y1[{i}])" for i in range(B)], scale=scale,
                                segments=[(i, B + i) for i in range(B) if dy[i] > 0])
        reevaluated = True
    not_re = []
    if status == "" and not reevaluated:
        not_re.append("Ψ's outputs and noise estimates (pass model= to re-run the network)")
    if rec is not None and rec.get("kind") == "opaque":
        not_re.append("that y0, y1 are A·x, A·(x + r) (the operator is opaque: not stored)")
    not_re.append("the search itself (a heuristic; its trace is stored as found)")
    return verification(result, problems,
                        rederived="the measurements, every norm, change, allowance and ratio, the outcome, rigor "
                                  "and message" + ("; Ψ re-evaluated within the noise allowance" if reevaluated
                                                   else ""),
                        not_rechecked="; ".join(not_re), values={"psi_reevaluated": reevaluated})


@register_verifier("worst_perturbation")
def _verify_saved_perturbation(result: CheckResult, model: Any = None) -> CheckResult:
    return verify_perturbation(result, model=model)
