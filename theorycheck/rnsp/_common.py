"""Shared machinery of :mod:`theorycheck.rnsp`: input checks, result types, rigorous evaluation.

Three kinds of evidence are produced by the rNSP/NSP/RIP computations:

* ball arithmetic (python-flint ``arb``/``acb``) for witnesses: a vector is
  turned into exact data (a float64 array *is* a vector of dyadic rationals)
  and the quantity of interest (a Rayleigh quotient, an rNSP ratio, an
  ``ℓ1`` ratio of an *exact* kernel vector) is enclosed in a ball;
* a-priori float64 rounding-error bounds (Higham, *Accuracy and Stability of
  Numerical Algorithms*, 2002, §3.1: ``|fl(xᵀy) − xᵀy| ≤ γ_n |x|ᵀ|y|`` with
  ``γ_n = nu/(1 − nu)``, ``u = 2⁻⁵³``, valid for any summation order and with
  FMA) for the vectorised upper bounds that cover many supports at once. The
  bounds are applied with a safety factor 2 and every derived bound is
  rounded outward (:func:`up`);
* plain floating point, labelled ``numerical``.

A float "kernel vector" returned by an LP or cone solver is only
approximately in the kernel. :func:`exact_kernel_balls` keeps its entries on
``N − m`` free coordinates and solves for the others in ball arithmetic, so
the balls contain a vector that lies *exactly* in ``ker A``; ratios evaluated
on those balls are proven.

Theorem: infrastructure for THEORY.md §2.
Rigor: as stated by each helper (ball arithmetic and outward-rounded a-priori bounds are proven).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import numbers
import os
import sys
import threading
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from theorycheck.errors import InvalidArgument, PreconditionError
from theorycheck.numerics.backend import as_array, is_torch, to_numpy
from theorycheck.numerics.validation import refuse_size
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, register_result

__all__ = ["ConstantResult", "RecoveryConstants"]

#: unit roundoff of binary64
U = 2.0 ** -53
#: working precision (bits) of the ball-arithmetic witness evaluations
WITNESS_BITS = 128


# --------------------------------------------------------------------------------------
# result types
# --------------------------------------------------------------------------------------

@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class ConstantResult(CheckResult):
    """A computed constant (``δ_s``, ``α_k``, ``γ``) as a certified interval.

    Parameters
    ----------
    value : float
        The side of the interval that is safe to use: the upper bound for
        ``δ_s``, ``α_k`` and ``γ`` (small is good for all three).
    lower, upper : float
        Bounds with ``lower ≤ constant ≤ upper``, each rounded outward.
    lower_rigor, upper_rigor : Rigor
        How each side was established; ``rigor`` is the weaker of the two.
    method : str
        The method used (``"exact"``, ``"enumerate"``, ``"milp"``, ``"bounds"`` ...).

    ``outcome`` is ``holds``/``violated`` for the property the constant decides
    (NSP(k) ⇔ ``α_k < 1/2``; rNSP with ``ρ`` ⇔ ``γ < ∞``), ``holds`` for a
    plain enclosure (``δ_s``) and ``inconclusive`` when the interval does not
    decide. ``witness`` holds the worst support and the vector behind
    ``lower``.

    Theorem: THEORY.md §2 (definitions of δ_s, α_k and the rNSP constants).
    Rigor: ``lower_rigor`` and ``upper_rigor`` separately; ``rigor`` the weaker.
    """

    value: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    lower_rigor: Rigor = Rigor.NUMERICAL
    upper_rigor: Rigor = Rigor.NUMERICAL
    method: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "lower_rigor", Rigor(self.lower_rigor))
        object.__setattr__(self, "upper_rigor", Rigor(self.upper_rigor))
        for name in ("value", "lower", "upper"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def exact(self) -> bool:
        """True when ``lower == upper`` up to 1e-9 relative (an exact answer)."""
        if not (math.isfinite(self.lower) and math.isfinite(self.upper)):
            return self.lower == self.upper
        return self.upper - self.lower <= 1e-9 * max(1.0, abs(self.upper))

    def __float__(self) -> float:
        return self.value


@dataclasses.dataclass(frozen=True)
class RecoveryConstants:
    """Constants of the rNSP recovery bounds for given ``(ρ, γ)``.

    Attributes
    ----------
    rho, gamma : float
        The rNSP constants.
    C1 : float
        ``(1+ρ)²/(1−ρ)`` (Foucart–Rauhut Thm 4.25; seed Theorem 1).
    C2 : float
        ``(3+ρ)γ/(1−ρ)`` (Foucart–Rauhut Thm 4.25; seed Theorem 1).
    C2_seed : float
        The seed's ``(3ρ+5)γ/(1−ρ)`` (Theorem 3 uses ``C2_seed/2``).
    sparse_pair : float
        The sharp kernel-awareness constant ``√2γ/(1−ρ)``:
        ``‖z − x‖ ≤ sparse_pair·‖A(z − x)‖`` for ``s``-sparse ``x, z``.
    sparse_pair_seed : float
        ``C2_seed/2``, the seed's Theorem 3 constant (≥ ``sparse_pair``).

    All values are rounded up (they are upper bounds used in inequalities).

    Theorem: Foucart–Rauhut Thm 4.25; seed Theorems 1 and 3 (THEORY.md §2).
    Rigor: proven (evaluated in ball arithmetic and rounded up).
    """

    rho: float
    gamma: float
    C1: float
    C2: float
    C2_seed: float
    sparse_pair: float
    sparse_pair_seed: float

    def lambda_max(self, s: int) -> float:
        """Largest admissible SR-LASSO parameter ``C1/(√s C2)`` of Theorem 1 (rounded down).

        Theorem: seed Theorem 1 hypothesis ``0 < λ ≤ C1/(√s C2)``.
        Rigor: proven (ball arithmetic, rounded down).
        """
        from theorycheck.numerics.precision import precision

        with precision(prec=WITNESS_BITS):
            return self._lambda_max(s)

    def _lambda_max(self, s: int) -> float:
        import flint

        s = check_order(s, None)
        C1 = _recovery_balls(self.rho, self.gamma)["C1"]
        C2 = _recovery_balls(self.rho, self.gamma)["C2"]
        return ball_down(C1 / (flint.arb(s).sqrt() * C2))


def _recovery_balls(rho: float, gamma: float) -> dict[str, Any]:
    import flint

    r, g = flint.arb(rho), flint.arb(gamma)
    one = flint.arb(1)
    return {
        "C1": (one + r) * (one + r) / (one - r),
        "C2": (3 + r) * g / (one - r),
        "C2_seed": (3 * r + 5) * g / (one - r),
        "sparse_pair": flint.arb(2).sqrt() * g / (one - r),
    }


# --------------------------------------------------------------------------------------
# input validation
# --------------------------------------------------------------------------------------

def check_order(s: Any, N: int | None, name: str = "s") -> int:
    """``1 ≤ s ≤ N`` as an int, else :class:`InvalidArgument`."""
    if isinstance(s, (bool, np.bool_)) or not isinstance(s, (numbers.Integral, np.integer)):
        raise InvalidArgument(f"{name} must be a positive integer, got {s!r}")
    s = int(s)
    if s <= 0:
        raise InvalidArgument(f"{name} = {s}: pass a sparsity order ≥ 1")
    if N is not None and s > N:
        raise InvalidArgument(f"{name} = {s} exceeds N = {N}: pass {name} ≤ N")
    return s


def check_open_unit(v: Any, name: str) -> float:
    """A float in the open interval (0, 1), else :class:`InvalidArgument`."""
    x = check_real(v, name)
    if not 0.0 < x < 1.0:
        raise InvalidArgument(f"{name} = {x} must lie in (0, 1)")
    return x


def check_real(v: Any, name: str) -> float:
    """A finite real number, else :class:`InvalidArgument`."""
    if isinstance(v, (bool, np.bool_)):
        raise InvalidArgument(f"{name} must be a real number, got {v!r}")
    if isinstance(v, ConstantResult):
        v = v.value
    if is_torch(v):
        v = to_numpy(v)
    try:
        arr = np.asarray(v)
    except Exception as exc:  # pragma: no cover - defensive
        raise InvalidArgument(f"{name} must be a real number, got {v!r}") from exc
    if arr.shape != () or arr.dtype.kind not in "fiu":
        raise InvalidArgument(f"{name} must be a real number, got {v!r}")
    x = float(arr)
    if not math.isfinite(x):
        raise InvalidArgument(f"{name} = {x} is not finite: pass a finite number")
    return x


def check_positive(v: Any, name: str) -> float:
    """A finite real ``> 0``, else :class:`InvalidArgument`."""
    x = check_real(v, name)
    if x <= 0:
        raise InvalidArgument(f"{name} = {x} must be > 0")
    return x


#: largest number of entries of a dense matrix formed from an operator (``A``, ``W``, ``A W^*``)
MAX_DENSE_ENTRIES = 2 ** 26


def dense_operator(A: Any, name: str) -> np.ndarray:
    """A dense float64/complex128 copy of an array, tensor or :class:`LinearOperator` (validated)."""
    from theorycheck.problems.operators import LinearOperator

    if isinstance(A, LinearOperator):
        n_in = int(np.prod(A.in_shape))
        n_out = int(np.prod(A.out_shape))
        refuse_size(float(n_in) * float(n_out), MAX_DENSE_ENTRIES, f"the dense {n_out}×{n_in} matrix of {name}",
                    "the rNSP computations need a dense matrix: restrict the operator to fewer columns or rows")
        M = np.asarray(A.to_dense())
        if M.ndim != 2 or not np.all(np.isfinite(M)):
            raise InvalidArgument(f"{name} produces NaN or inf: pass a finite operator")
        return np.array(M, dtype=complex if np.iscomplexobj(M) else float)
    if isinstance(A, (str, bytes, bool, np.bool_)) or A is None:
        raise InvalidArgument(f"{name} must be a matrix (array, tensor or LinearOperator), got {A!r}")
    M = as_array(A, name, ndim=2)
    if M.size > MAX_DENSE_ENTRIES:
        refuse_size(M.size, MAX_DENSE_ENTRIES, f"{name} with {M.size:,} entries")
    return M


def unitary_dense(W: Any, N: int) -> tuple[np.ndarray, float]:
    """Dense ``W`` (``N×N``) checked to be unitary to 1e-8; returns ``(W, max |W^*W − I|)``.

    Raises :class:`PreconditionError` naming the hypothesis "W unitary" and the
    deviation when it is not (the rNSP of ``A W^{-1}`` is computed as ``A W^*``).
    """
    Wd = dense_operator(W, "W")
    if Wd.shape != (N, N):
        raise PreconditionError(
            f"W has shape {Wd.shape}: the theorems need a unitary {N}×{N} sparsifier (W^{{-1}} = W^*); "
            "pass an orthonormal sparsifier acting on the signals of A", hypothesis="W unitary",
            margin=math.inf)
    err = float(np.max(np.abs(Wd.conj().T @ Wd - np.eye(N))))
    if not err <= UNITARY_TOL:
        raise PreconditionError(
            f"W is not unitary (max |W*W − I| = {err:.3g} > {UNITARY_TOL:g}): the rNSP of A W^{{-1}} = A W^* "
            "needs a unitary W (orthonormal wavelets); pass an orthonormal sparsifier",
            hypothesis="W unitary", margin=err)
    return Wd, err


#: largest accepted ``max |W^*W − I|`` of a sparsifier
UNITARY_TOL = 1e-8


def unitarity_defect_bound(Wd: np.ndarray) -> float:
    """A proven upper bound of ``‖W^*W − I‖₂`` for the float matrix ``Wd`` (Frobenius norm, Higham bounds)."""
    N = Wd.shape[0]
    cplx = bool(np.iscomplexobj(Wd))
    aW = np.abs(Wd)
    D = np.abs(Wd.conj().T @ Wd - np.eye(N)) + gam(N, cplx) * (aW.T @ aW) * (1.0 + gam(N))
    return float(up(np.sqrt(np.sum(D * D)) * (1.0 + gam(D.size + 2)), 0.0))


def dense_matrix(A: Any, W: Any = None, name: str = "A") -> tuple[np.ndarray, bool]:
    """Dense ``A`` (or ``A W^*`` for a unitary ``W``) as float64/complex128; ``(B, used_W)``.

    ``A`` may be an array, a torch tensor or a :class:`LinearOperator`; ``W``
    an operator or a square matrix, checked to be unitary to 1e-8
    (:func:`unitary_dense`).
    """
    M = dense_operator(A, name)
    m, N = M.shape
    if m == 0 or N == 0:
        raise InvalidArgument(f"{name} has shape {M.shape}: pass a non-empty matrix")
    if W is None:
        return M, False
    Wd, _ = unitary_dense(W, N)
    B = M @ Wd.conj().T
    if not np.all(np.isfinite(B)):
        raise InvalidArgument(f"{name} W^* overflows float64: rescale {name}")
    return B, True


def exact_rescaling(B: np.ndarray) -> tuple[np.ndarray, int]:
    """``(B·2^{−e}, e)`` with ``max|B·2^{−e}| ∈ [1/2, 1)``, an exact rescaling.

    When an entry would fall below the normal range (magnitudes spanning more
    than ~1000 binades) the rescaling is not exact and ``(B, 0)`` is returned.
    """
    amax = float(np.max(np.abs(B))) if B.size else 0.0
    if amax == 0.0 or not math.isfinite(amax):
        return B, 0
    e = int(math.frexp(amax)[1])
    if e == 0:
        return B, 0
    if np.iscomplexobj(B):
        Bs = np.ldexp(B.real, -e) + 1j * np.ldexp(B.imag, -e)
        back = np.ldexp(Bs.real, e) + 1j * np.ldexp(Bs.imag, e)
    else:
        Bs = np.ldexp(B, -e)
        back = np.ldexp(Bs, e)
    if not np.array_equal(back, B):
        return B, 0
    return Bs, e


def vector(x: Any, name: str, N: int, allow_complex: bool = True) -> np.ndarray:
    """A flat float64/complex128 copy of ``x`` of length ``N``."""
    v = as_array(x, name, allow_complex=allow_complex).reshape(-1)
    if v.size != N:
        raise InvalidArgument(f"{name} has {v.size} entries: pass a vector with {N} entries")
    return v


# --------------------------------------------------------------------------------------
# rounding helpers
# --------------------------------------------------------------------------------------

def gam(n: int, cplx: bool = False) -> float:
    """Safety-factored ``γ_n`` (twice Higham's; complex dot products use ``n → 2n + 4``)."""
    if cplx:
        n = 2 * n + 4
    return 2.0 * n * U / (1.0 - n * U)


#: absolute allowance for gradual underflow: every rounded product or sum below the normal
#: range errs by at most 2⁻¹⁰⁷⁵ in absolute terms, which relative (Higham) bounds do not
#: cover; 2⁻¹⁰⁰⁰ covers up to 2⁷⁴ such events in one bounded computation
UNDERFLOW = 2.0 ** -1000


def up(x: Any, scale: Any = 0.0) -> Any:
    """Round a float64 result of a few operations outward (up).

    Adds ``64u(|x| + scale)`` and the underflow allowance :data:`UNDERFLOW`, then one ulp.
    """
    x = np.asarray(x, dtype=float)
    return np.nextafter(x + (np.abs(x) + np.abs(scale)) * 64 * U + UNDERFLOW, np.inf)


def down(x: Any, scale: Any = 0.0) -> Any:
    """Round a float64 result of a few operations outward (down); see :func:`up`."""
    x = np.asarray(x, dtype=float)
    return np.nextafter(x - (np.abs(x) + np.abs(scale)) * 64 * U - UNDERFLOW, -np.inf)


def ball_up(b: Any) -> float:
    """A float ≥ every point of the real ball ``b`` (``inf`` for an unbounded ball)."""
    if not b.is_finite():
        return math.inf
    return float(np.nextafter(float(b.upper()), np.inf))


def ball_down(b: Any) -> float:
    """A float ≤ every point of the real ball ``b`` (``-inf`` for an unbounded ball)."""
    if not b.is_finite():
        return -math.inf
    return float(np.nextafter(float(b.lower()), -np.inf))


# --------------------------------------------------------------------------------------
# ball arithmetic on vectors
# --------------------------------------------------------------------------------------

def balls(v: np.ndarray) -> list[Any]:
    """Exact ``arb``/``acb`` balls of a float64/complex128 vector."""
    import flint

    if np.iscomplexobj(v):
        return [flint.acb(float(z.real), float(z.imag)) for z in v]
    return [flint.arb(float(z)) for z in v]


def ball_mids(bs: list[Any]) -> np.ndarray:
    """Float64 midpoints of a list of ``arb``/``acb`` balls."""
    import flint

    if any(isinstance(b, flint.acb) for b in bs):
        return np.array([complex(float(flint.acb(b).real.mid()), float(flint.acb(b).imag.mid())) for b in bs])
    return np.array([float(b.mid()) for b in bs])


def abs_ball(b: Any) -> Any:
    """``|b|`` as a real ball (modulus for ``acb``)."""
    return abs(b)


def norm2_ball(bs: Iterable[Any]) -> Any:
    """Euclidean norm of a list of balls (a ball within ``[0, ∞)`` even when the sum of squares straddles 0)."""
    import flint

    total = flint.arb(0)
    for b in bs:
        a = abs(b)
        total += a * a
    return sqrt_nonneg(total)


def sqrt_nonneg(t: Any) -> Any:
    """``sqrt`` of a ball known to enclose a non-negative number (rounding may make its lower end negative)."""
    import flint

    if t.lower() >= 0:
        return t.sqrt()
    hi = flint.arb(t.upper()).sqrt().upper()
    return flint.arb(hi / 2, hi / 2)


def norm1_ball(bs: Iterable[Any], weights: Any = None) -> Any:
    """``Σ w_i |b_i|`` of a list of balls (weights as exact floats)."""
    import flint

    total = flint.arb(0)
    if weights is None:
        for b in bs:
            total += abs(b)
    else:
        for b, w in zip(bs, weights):
            total += flint.arb(float(w)) * abs(b)
    return total


def matvec_balls(A: np.ndarray, bs: list[Any]) -> list[Any]:
    """``A b`` for a float matrix ``A`` (exact) and a list of balls."""
    import flint

    cplx = np.iscomplexobj(A) or any(isinstance(b, flint.acb) for b in bs)
    if cplx:
        M = flint.acb_mat(A.shape[0], A.shape[1],
                          [flint.acb(float(z.real), float(z.imag)) for z in A.astype(complex).ravel()])
        x = flint.acb_mat(len(bs), 1, [flint.acb(b) for b in bs])
    else:
        M = flint.arb_mat(A.tolist())
        x = flint.arb_mat(len(bs), 1, list(bs))
    y = M * x
    return [y[i, 0] for i in range(A.shape[0])]


def kernel_basis_columns(A: np.ndarray) -> np.ndarray | None:
    """``m`` columns of ``A`` forming a well-conditioned basis (pivoted QR), or None (rank deficient, m ≥ N)."""
    import scipy.linalg

    m, N = A.shape
    if m >= N:
        return None
    _, R, piv = scipy.linalg.qr(A, pivoting=True, mode="economic")
    d = np.abs(np.diag(R))
    if d.size < m or d[m - 1] <= N * np.finfo(float).eps * max(d[0], 1e-300):
        return None
    return np.sort(piv[:m]).astype(np.int64)


#: largest m for the m×m ball-arithmetic solve behind an exact kernel vector
MAX_KERNEL_ROWS = 600


def exact_kernel_balls(A: np.ndarray, z: np.ndarray, basic: np.ndarray | None = None
                       ) -> tuple[list[Any], np.ndarray] | None:
    """Balls containing a vector ``ẑ`` with ``A ẑ = 0`` exactly, close to the float vector ``z``.

    ``ẑ`` equals ``z`` on ``N − m`` free coordinates; its entries on ``m``
    basic columns (``basic``, default chosen by pivoted QR) solve
    ``A_B ẑ_B = −A_F z_F`` in ball arithmetic. Returns ``(balls, basic_indices)``,
    or None when ``A`` does not have full row rank numerically or ``A_B`` is
    not provably invertible (no certified kernel vector then). A given
    ``basic`` must be ``m`` distinct column indices (else :class:`InvalidArgument`).
    """
    import flint

    m, N = A.shape
    if m > MAX_KERNEL_ROWS:
        return None  # an m×m ball solve would take too long: no certified kernel vector (sound: no claim)
    if basic is None:
        B = kernel_basis_columns(A)
        if B is None:
            return None
    else:
        B = np.asarray(basic)
        if (B.ndim != 1 or B.size != m or B.dtype.kind not in "iu" or np.unique(B).size != m
                or (m and (B.min() < 0 or B.max() >= N)) or m >= N):
            raise InvalidArgument(f"basic columns must be {m} distinct indices in [0, {N}), got {B!r}")
        B = np.sort(B).astype(np.int64)
    F = np.setdiff1d(np.arange(N), B)
    cplx = np.iscomplexobj(A) or np.iscomplexobj(z)
    zf = z[F]
    old = flint.ctx.prec
    try:
        for prec in (128, 256, 1024):
            flint.ctx.prec = prec
            try:
                if cplx:
                    Ac = A.astype(complex)
                    mat = lambda M: flint.acb_mat(M.shape[0], M.shape[1],  # noqa: E731
                                                  [flint.acb(float(v.real), float(v.imag)) for v in M.ravel()])
                    AB, AF = mat(Ac[:, B]), mat(Ac[:, F])
                    xF = flint.acb_mat(F.size, 1, [flint.acb(float(v.real), float(v.imag))
                                                   for v in zf.astype(complex)])
                else:
                    AB, AF = flint.arb_mat(A[:, B].tolist()), flint.arb_mat(A[:, F].tolist())
                    xF = flint.arb_mat(F.size, 1, [flint.arb(float(v)) for v in zf])
                xB = AB.solve(-(AF * xF))
            except ZeroDivisionError:
                continue
            out: list[Any] = [None] * N
            for t, i in enumerate(B):
                out[i] = xB[t, 0]
            for t, i in enumerate(F):
                out[i] = xF[t, 0]
            return out, B
        return None
    finally:
        flint.ctx.prec = old


def topk_ratio_ball(bs: list[Any], k: int) -> tuple[Any, np.ndarray]:
    """``Σ_{i∈K}|b_i| / Σ_i|b_i|`` with ``K`` the ``k`` largest midpoints; returns (ball, K)."""
    mags = [abs(b) for b in bs]
    mids = np.array([float(a.mid()) for a in mags])
    K = np.sort(np.argsort(-mids, kind="stable")[:k])
    import flint

    num = flint.arb(0)
    for i in K:
        num += mags[i]
    den = num
    for i in range(len(bs)):
        if i not in set(K.tolist()):
            den += mags[i]
    return num / den, K


def topk_ratio(z: np.ndarray, k: int) -> float:
    """Float ``Σ_{k largest}|z_i| / ‖z‖₁`` (0 for ``z = 0``)."""
    a = np.abs(z)
    tot = float(a.sum())
    if tot == 0 or not math.isfinite(tot):
        return 0.0
    return float(np.sort(a)[::-1][:k].sum() / tot)


# --------------------------------------------------------------------------------------
# reading saved witnesses (verifiers): every field validated, named in the error
# --------------------------------------------------------------------------------------

class BadWitness(InvalidArgument):
    """A saved witness field that is missing, of the wrong type or out of range (the message names it)."""


def w_get(w: Witness, key: str) -> Any:
    """The witness field ``key`` (:class:`BadWitness` when missing)."""
    if w is None or key not in w.data:
        raise BadWitness(f"witness[{key!r}] is missing")
    return w.data[key]


def w_int(w: Witness, key: str, lo: int, hi: int) -> int:
    """An integer field in ``[lo, hi]``."""
    v = w_get(w, key)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)) \
            or not lo <= int(v) <= hi:
        raise BadWitness(f"witness[{key!r}] = {v!r} must be an integer in [{lo}, {hi}]")
    return int(v)


def w_float(w: Witness, key: str, lo: float = -math.inf, hi: float = math.inf, *, open_lo: bool = False,
            open_hi: bool = False, finite: bool = True) -> float:
    """A real field in the interval ``lo ≤ v ≤ hi`` (ends open on request)."""
    v = w_get(w, key)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.floating, np.integer)):
        raise BadWitness(f"witness[{key!r}] = {v!r} must be a real number")
    x = float(v)
    bad = (math.isnan(x) or (finite and not math.isfinite(x)) or x < lo or x > hi
           or (open_lo and x == lo) or (open_hi and x == hi))
    if bad:
        lb, rb = "(" if open_lo else "[", ")" if open_hi else "]"
        raise BadWitness(f"witness[{key!r}] = {v!r} must lie in {lb}{lo:g}, {hi:g}{rb}")
    return x


def w_bool(w: Witness, key: str) -> bool:
    """A boolean field."""
    v = w_get(w, key)
    if not isinstance(v, (bool, np.bool_)):
        raise BadWitness(f"witness[{key!r}] = {v!r} must be true or false")
    return bool(v)


def w_choice(w: Witness, key: str, choices: tuple[str, ...]) -> str:
    """A string field among ``choices``."""
    v = w_get(w, key)
    if not isinstance(v, str) or v not in choices:
        raise BadWitness(f"witness[{key!r}] = {v!r} must be one of {list(choices)}")
    return v


def w_matrix(w: Witness, key: str = "A", max_entries: int = MAX_DENSE_ENTRIES) -> np.ndarray:
    """A non-empty finite 2-D float64/complex128 array."""
    v = w_get(w, key)
    if not isinstance(v, np.ndarray) or v.ndim != 2 or v.dtype not in (np.float64, np.complex128) \
            or v.size == 0:
        raise BadWitness(f"witness[{key!r}] must be a non-empty 2-D float64 or complex128 array")
    if v.size > max_entries:
        raise BadWitness(f"witness[{key!r}] has {v.size:,} entries (limit {max_entries:,})")
    if not np.all(np.isfinite(v)):
        raise BadWitness(f"witness[{key!r}] has NaN or inf entries")
    return np.array(v)


def w_vector(w: Witness, key: str, n: int, *, allow_complex: bool = True) -> np.ndarray:
    """A finite 1-D float64 (or complex128) array of length ``n``."""
    v = w_get(w, key)
    kinds = (np.float64, np.complex128) if allow_complex else (np.float64,)
    if not isinstance(v, np.ndarray) or v.ndim != 1 or v.dtype not in kinds or v.size != n:
        raise BadWitness(f"witness[{key!r}] must be a 1-D {'float64/complex128' if allow_complex else 'float64'} "
                         f"array of length {n}")
    if not np.all(np.isfinite(v)):
        raise BadWitness(f"witness[{key!r}] has NaN or inf entries")
    return np.array(v)


def w_indices(w: Witness, key: str, N: int, *, size: int | None = None, max_size: int | None = None
              ) -> np.ndarray:
    """Distinct integer indices in ``[0, N)`` (exactly ``size`` of them, or at most ``max_size``)."""
    v = w_get(w, key)
    if not isinstance(v, np.ndarray) or v.ndim != 1 or v.dtype.kind not in "iu":
        raise BadWitness(f"witness[{key!r}] must be a 1-D integer array of column indices")
    idx = v.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= N):
        raise BadWitness(f"witness[{key!r}] has indices outside [0, {N})")
    if np.unique(idx).size != idx.size:
        raise BadWitness(f"witness[{key!r}] repeats an index: a support is a set of distinct columns")
    if size is not None and idx.size != size:
        raise BadWitness(f"witness[{key!r}] has {idx.size} indices, the order is {size}")
    if max_size is not None and idx.size > max_size:
        raise BadWitness(f"witness[{key!r}] has {idx.size} indices, more than the order {max_size}")
    return idx


def distinct_support(S: Any, N: int, size: int | None = None) -> np.ndarray:
    """``S`` as distinct int64 indices in ``[0, N)`` (of length ``size``), else :class:`InvalidArgument`."""
    idx = np.asarray(S)
    if idx.ndim != 1 or idx.dtype.kind not in "iu":
        raise InvalidArgument(f"a support must be a 1-D array of integer indices, got {S!r}")
    idx = idx.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= N):
        raise InvalidArgument(f"support {idx.tolist()} has indices outside [0, {N})")
    if np.unique(idx).size != idx.size:
        raise InvalidArgument(f"support {idx.tolist()} repeats an index")
    if size is not None and idx.size != size:
        raise InvalidArgument(f"support {idx.tolist()} has {idx.size} indices, expected {size}")
    return idx


# --------------------------------------------------------------------------------------
# misc
# --------------------------------------------------------------------------------------

def progress_bar(total: int, enabled: bool, desc: str) -> Any:
    """A tqdm bar (or None when disabled)."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def call_back(callback: Callable[[Any], Any] | None, best: Any) -> None:
    """Call the user's callback with the best-so-far object, if any."""
    if callback is not None:
        callback(best)


_HIGHS_LOCK = threading.Lock()
_HIGHS_BANNER_DONE = False


def new_highs() -> Any:
    """A silent ``highspy.Highs`` instance, or None when highspy is not installed.

    HiGHS prints a banner on the first construction in a process; it is
    swallowed once (at file-descriptor level) so library calls stay quiet.
    """
    global _HIGHS_BANNER_DONE
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy comes with cvxpy
        return None
    with _HIGHS_LOCK:
        if not _HIGHS_BANNER_DONE:
            with _quiet_stdout():
                h = highspy.Highs()
            _HIGHS_BANNER_DONE = True
        else:
            h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


@contextlib.contextmanager
def _quiet_stdout():
    # HiGHS writes to the C-level stdout (file descriptor 1), whatever sys.stdout is
    try:
        sys.stdout.flush()
    except Exception:  # pragma: no cover - exotic stdout replacements
        pass
    try:
        saved = os.dup(1)
    except OSError:  # pragma: no cover - no fd 1
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(null)
        os.close(saved)


def weakest(*rigors: Rigor) -> Rigor:
    """The weakest rigor."""
    return Rigor.weakest(*rigors)


def make_result(check: str, *, lower: float, upper: float, lower_rigor: Rigor, upper_rigor: Rigor,
                method: str, message: str, outcome: Outcome = Outcome.HOLDS,
                values: Mapping[str, Any] | None = None, witness: Witness | None = None,
                theorem: str = "THEORY.md §2") -> ConstantResult:
    """Build a :class:`ConstantResult` with ``value = upper``."""
    vals = {"lower": float(lower), "upper": float(upper)}
    vals.update(values or {})
    return ConstantResult(
        check=check, outcome=outcome, rigor=weakest(lower_rigor, upper_rigor), message=message,
        values=vals, witness=witness, theorem=theorem, value=float(upper), lower=float(lower),
        upper=float(upper), lower_rigor=lower_rigor, upper_rigor=upper_rigor, method=method)
