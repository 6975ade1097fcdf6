"""Operator records (what a verifier needs to rebuild ``A``) and ``A·x`` in ball arithmetic.

A saved instability result stores its sampling operator as a *record*: the mask of a
subsampled unitary transform (Fourier, DCT, Walsh–Hadamard), else the dense float64 matrix
(up to 2²² entries; ``source`` names the operator it was computed from), else an ``opaque``
description whose measurements cannot be re-checked (:func:`operator_record`,
:func:`record_problems`, :func:`record_op`). :class:`Ball` evaluates the exact operator of a
record in python-flint ball arithmetic, so that measurements ``y ≈ Ax`` and distances
``‖A(x − x′)‖`` are enclosed rigorously (:func:`ball_round`, :func:`ball_distance`);
:func:`measurement_allowance` bounds the error of ``A``'s own float64 evaluation.

Theorem: infrastructure for docs/theory.md §3 (the measurements of the theorem's hypotheses).
Rigor: proven (ball arithmetic; Higham's bound for dense products); the FFT error model of
:func:`fft_error_model` is a model, not a bound.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import flint
import numpy as np

from theorycheck.errors import TheorycheckError
from theorycheck.instability._common import row_norms
from theorycheck.numerics.exact import ball_lower, ball_upper
from theorycheck.numerics.precision import precision
from theorycheck.numerics.rounding import TINY, U, gamma, norm2
from theorycheck.problems import operators as ops
from theorycheck.problems.operators import ReshapedMatrixOperator

#: ball arithmetic precision (bits) for measurements and enclosures
BALL_PREC = 192
#: largest dense matrix stored in a witness (entries)
DENSE_LIMIT = 2 ** 22

TRANSFORMS = ("SubsampledFourier", "CenteredSubsampledFourier", "SubsampledDCT", "SubsampledWalshHadamard")
FOURIER = ("SubsampledFourier", "CenteredSubsampledFourier")
RECORD_KINDS = ("dense",) + TRANSFORMS + ("opaque",)
#: largest transform length handled by dense ball matrices (DCT, Walsh–Hadamard), and largest
#: Fourier image (entries) evaluated in ball arithmetic; larger ones are checked in float64
BALL_TRANSFORM_LIMIT = 256
BALL_FOURIER_LIMIT = 2 ** 22


def operator_record(A: Any) -> dict[str, Any]:
    """What a verifier needs to rebuild ``A``: a mask for subsampled transforms, else a dense matrix.

    Operators that are neither and too large to store densely are ``opaque``: their
    measurements cannot be re-checked from the file (results say so).
    """
    # exact types only: a user's subclass may compute another map than its mask says
    # (and a ``centered`` flag that matches the type: it is a plain attribute a user can reassign)
    if type(A).__name__ in TRANSFORMS and type(A) in (ops.SubsampledFourier, ops.CenteredSubsampledFourier,
                                                        ops.SubsampledDCT, ops.SubsampledWalshHadamard) \
            and getattr(A, "centered", False) is (type(A) is ops.CenteredSubsampledFourier):
        return {"kind": type(A).__name__, "mask": np.asarray(A.mask, dtype=bool)}
    m, N = A.shape
    if isinstance(A, ops.MatrixOperator) or m * N <= DENSE_LIMIT:
        with np.errstate(over="ignore", invalid="ignore"):
            M = np.asarray(A.to_dense()) if isinstance(A, ops.MatrixOperator) else dense_columns(A)
        M = M.astype(np.complex128 if np.iscomplexobj(M) else np.float64)
        if M.size <= DENSE_LIMIT and bool(np.all(np.isfinite(M))):
            return {"kind": "dense", "matrix": M, "in_shape": tuple(int(s) for s in A.in_shape),
                    "out_shape": tuple(int(s) for s in A.out_shape), "source": type(A).__name__}
    return {"kind": "opaque", "description": repr(A)[:200], "in_shape": tuple(int(s) for s in A.in_shape),
            "out_shape": tuple(int(s) for s in A.out_shape)}


def dense_columns(A: Any) -> np.ndarray:
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


def shape_ok(s: Any) -> bool:
    """A stored shape: a tuple of 1 to 8 positive ints with at most 2²⁸ entries."""
    return (isinstance(s, tuple) and 1 <= len(s) <= 8 and all(isinstance(n, int) and not isinstance(n, bool)
                                                              and 1 <= n <= 2 ** 26 for n in s)
            and math.prod(s) <= 2 ** 28)


def record_problems(rec: Any, where: str = "operator") -> list[str]:
    """Why a stored operator record cannot be used (empty list when it can)."""
    if not isinstance(rec, Mapping):
        return [f"{where}: not an operator record"]
    kind = rec.get("kind")
    if kind not in RECORD_KINDS:
        return [f"{where}: unknown operator kind {kind!r} (the measurements y = Ax cannot be checked)"]
    want = {"dense": {"kind", "matrix", "in_shape", "out_shape", "source"},
            "opaque": {"kind", "description", "in_shape", "out_shape"}}.get(kind, {"kind", "mask"})
    if set(rec) != want:
        return [f"{where}: fields {sorted(rec)}, expected {sorted(want)}"]
    if kind == "dense":
        M = rec["matrix"]
        if not isinstance(M, np.ndarray) or M.ndim != 2 or M.dtype not in (np.float64, np.complex128):
            return [f"{where}.matrix: a 2-D float64/complex128 array is required"]
        if M.size == 0 or M.size > DENSE_LIMIT or not bool(np.all(np.isfinite(M))):
            return [f"{where}.matrix: empty, larger than {DENSE_LIMIT} entries, or not finite"]
        if not (shape_ok(rec["in_shape"]) and shape_ok(rec["out_shape"])):
            return [f"{where}: in_shape/out_shape must be tuples of positive ints"]
        if math.prod(rec["in_shape"]) != M.shape[1] or math.prod(rec["out_shape"]) != M.shape[0]:
            return [f"{where}: in_shape {rec['in_shape']} / out_shape {rec['out_shape']} do not match the "
                    f"matrix {M.shape}"]
        if not isinstance(rec["source"], str) or len(rec["source"]) > 200:
            return [f"{where}.source: a type name is required"]
        return []
    if kind == "opaque":
        if not (shape_ok(rec["in_shape"]) and shape_ok(rec["out_shape"])):
            return [f"{where}: in_shape/out_shape must be tuples of positive ints"]
        if not isinstance(rec["description"], str) or len(rec["description"]) > 200:
            return [f"{where}.description: a string is required"]
        return []
    mask = rec["mask"]
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.ndim not in (1, 2) \
            or mask.size > 2 ** 24 or not mask.any():
        return [f"{where}.mask: a 1-D or 2-D boolean array with at least one sample is required"]
    try:
        record_op(rec)
    except TheorycheckError as exc:
        return [f"{where}.mask: {exc}"]
    return []


def record_core(rec: Mapping[str, Any]) -> tuple[int, ...]:
    """The image shape of a (valid) record."""
    return tuple(np.shape(rec["mask"])) if "mask" in rec else tuple(rec["in_shape"])


def record_op(rec: Mapping[str, Any]) -> Any:
    """The LinearOperator of a (valid) record, or None when opaque."""
    kind = rec.get("kind")
    if kind in TRANSFORMS:
        return getattr(ops, kind)(rec["mask"])
    if kind == "dense":
        if len(tuple(rec["in_shape"])) == 1 and len(tuple(rec["out_shape"])) == 1:
            return ops.MatrixOperator(rec["matrix"])
        return ReshapedMatrixOperator(np.asarray(rec["matrix"]), tuple(rec["in_shape"]), tuple(rec["out_shape"]))
    return None


def record_text(rec: Mapping[str, Any]) -> str:
    """What the stored operator record is (values and messages of the results)."""
    kind = rec.get("kind")
    if kind == "dense":
        return (f"A stored as its dense {rec['matrix'].shape[0]}×{rec['matrix'].shape[1]} float64 matrix"
                + ("" if rec["source"] == "MatrixOperator" else
                   f" (computed from the {rec['source']}: the certificate concerns that matrix)"))
    if kind in TRANSFORMS:
        return f"A = {kind} with a stored mask of {int(np.sum(rec['mask']))} samples (exact transform)"
    return ("A is opaque (too large to store): the claims concern Ψ at the stored measurement vectors; "
            "that they are A·x was computed in float64 and cannot be re-checked from the file")


_DCT_CACHE: dict = {}


def transform_matrix(kind: str, n: int) -> Any:
    """The orthonormal DCT-II or Walsh–Hadamard matrix of size ``n`` as an ``arb_mat`` (cached)."""
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


class Ball:
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
        self.complex_out = self.kind in FOURIER or (self.kind == "dense" and np.iscomplexobj(self.M))
        self._blocks: dict = {}

    @staticmethod
    def available(rec: Mapping[str, Any]) -> bool:
        """Whether the record is evaluated in ball arithmetic (dense, or a transform not too large)."""
        kind = rec.get("kind")
        if kind == "dense":
            return True
        if kind in ("SubsampledDCT", "SubsampledWalshHadamard"):
            return max(np.shape(rec["mask"])) <= BALL_TRANSFORM_LIMIT
        return kind in FOURIER and np.size(rec["mask"]) <= BALL_FOURIER_LIMIT

    def apply(self, X: np.ndarray) -> list[list[Any]]:
        """The output balls of every sample of ``X`` (at ``BALL_PREC`` bits)."""
        X = np.asarray(X)
        with precision(prec=BALL_PREC):
            if self.kind == "dense":
                return self._dense(X)
            return [self._transform(x) for x in X]

    def _dense(self, X: np.ndarray) -> list[list[Any]]:
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
        cplx = np.iscomplexobj(x) or self.kind in FOURIER
        conv = flint.acb if cplx else flint.arb
        grid = x.reshape(self.in_shape)
        centred = self.kind == "CenteredSubsampledFourier"
        if centred:  # fftshift ∘ DFT ∘ ifftshift: the shifts are exact permutations
            grid = np.fft.ifftshift(grid)
        if grid.ndim == 1:
            grid = grid[None, :]
            shape2 = (1, self.in_shape[0])
        else:
            shape2 = self.in_shape
        n1, n2 = shape2
        rows: list[list[Any]] = [[conv(v) for v in row] for row in np.asarray(grid).tolist()]
        if self.kind in FOURIER:
            rows = [flint.acb.dft(r) for r in rows]
            if len(self.in_shape) == 2:
                cols = [flint.acb.dft([rows[i][j] for i in range(n1)]) for j in range(n2)]
                rows = [[cols[j][i] for j in range(n2)] for i in range(n1)]
            scale = flint.arb(math.prod(self.in_shape)).rsqrt()
            full = [v * scale for r in rows for v in r]
            if centred:
                perm = np.fft.fftshift(np.arange(len(full)).reshape(self.in_shape)).ravel()
                full = [full[int(p)] for p in perm]
        else:
            def along(mat_n: Any, data: list[list[Any]]) -> list[list[Any]]:
                # apply the n2 × n2 matrix to every row of data
                if cplx:
                    re = flint.arb_mat([[v.real for v in r] for r in data]) * mat_n.transpose()
                    im = flint.arb_mat([[v.imag for v in r] for r in data]) * mat_n.transpose()
                    return [[flint.acb(re[i, j], im[i, j]) for j in range(re.ncols())] for i in range(re.nrows())]
                res = flint.arb_mat(data) * mat_n.transpose()
                return [[res[i, j] for j in range(res.ncols())] for i in range(res.nrows())]

            rows = along(transform_matrix(self.kind, n2), rows)
            if len(self.in_shape) == 2:
                colsT = [[rows[i][j] for i in range(n1)] for j in range(n2)]
                colsT = along(transform_matrix(self.kind, n1), colsT)
                rows = [[colsT[j][i] for j in range(n2)] for i in range(n1)]
            full = [v for r in rows for v in r]
        return [full[int(k)] for k in self.idx]


def ball_round(balls: list[Any], cplx: bool) -> np.ndarray | None:
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
    return np.array(vals, dtype=np.complex128 if cplx else np.float64)


def ball_distance(b1: list[Any], b2: list[Any]) -> tuple[float, float]:
    """Proven enclosure of ``‖b1 − b2‖`` for two lists of balls."""
    with precision(prec=BALL_PREC):
        s = flint.arb(0)
        for u, v in zip(b1, b2):
            d = u - v
            if type(d).__name__ == "acb":
                s += d.real * d.real + d.imag * d.imag
            else:
                s += d * d
        # the square root in ball arithmetic, before rounding to float64: squares of distances
        # beyond 1.3e154 or below 1e-162 would overflow or underflow a float64
        hi = ball_upper(flint.arb(s.abs_upper()).sqrt())   # |s| ≥ s: an upper bound in any case
        lo = ball_lower(s.sqrt()) if s > 0 else 0.0         # the whole ball positive
    return max(0.0, lo), hi


def measurement_allowance(rec: Mapping[str, Any], x: np.ndarray) -> float:
    """A bound on ``‖fl(Ax) − Ax‖`` for A's own float64 evaluation (checks compute ``y`` that way).

    Dense matrices: Higham's ``γ·‖|A||x|‖`` for any summation order (complex included),
    doubled; transforms (FFT, DCT, Walsh–Hadamard): the FFT error model
    ``64(⌈log₂N⌉ + 2)·u·‖x‖`` (unitary transforms); a dense matrix computed from
    another operator adds that model too (its columns came from that operator).
    """
    N = int(np.asarray(x).size)
    model = fft_error_model(N)
    if rec["kind"] == "dense":
        M = np.asarray(rec["matrix"])
        with np.errstate(over="ignore", invalid="ignore"):
            v = row_norms((np.abs(M) @ np.abs(np.asarray(x).reshape(-1)))[None])[0]
            out = 4.0 * gamma(2 * N + 8) * float(v)
            if rec["source"] != "MatrixOperator":
                out += model * float(row_norms(M.reshape(1, -1))[0]) * norm2(x)
        return out + 1e3 * TINY
    return model * norm2(x) + 1e3 * TINY


def fft_error_model(N: int) -> float:
    """The relative error model ``64(⌈log₂N⌉ + 2)·u`` of a float64 unitary transform of length ``N``."""
    return 64.0 * (math.ceil(math.log2(max(N, 2))) + 2) * U


def apply_operator(A: Any, x: np.ndarray) -> np.ndarray:
    """``A·x`` in float64 (complex128 when complex), overflow left to the caller's finiteness check."""
    with np.errstate(over="ignore", invalid="ignore"):
        y = np.asarray(A.apply(x))
    return y.astype(np.complex128 if np.iscomplexobj(y) else np.float64, copy=False)
