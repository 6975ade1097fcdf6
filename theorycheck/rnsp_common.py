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


def dense_matrix(A: Any, W: Any = None, name: str = "A") -> tuple[np.ndarray, bool]:
    """Dense ``A`` (or ``A W^*`` for a unitary ``W``) as float64/complex128; ``(B, used_W)``.

    ``A`` may be an array, a torch tensor or a :class:`LinearOperator`; ``W``
    an operator or a square matrix, checked to be unitary to 1e-8.
    """
    from theorycheck.problems.operators import LinearOperator

    if isinstance(A, LinearOperator):
        M = A.to_dense()
        if not np.all(np.isfinite(M)):
            raise InvalidArgument(f"{name} produces NaN or inf: pass a finite operator")
    else:
        M = as_array(A, name, ndim=2)
    m, N = M.shape
    if m == 0 or N == 0:
        raise InvalidArgument(f"{name} has shape {M.shape}: pass a non-empty matrix")
    if W is None:
        return M, False
    if isinstance(W, LinearOperator):
        Wd = W.to_dense()
    else:
        Wd = as_array(W, "W", ndim=2)
    if Wd.shape != (N, N):
        raise InvalidArgument(f"W has shape {Wd.shape}: pass a unitary {N}×{N} sparsifier")
    err = float(np.max(np.abs(Wd.conj().T @ Wd - np.eye(N)))) if N else 0.0
    if not err <= 1e-8:
        raise PreconditionError(
            f"W is not unitary (max |W*W − I| = {err:.3g}): the rNSP of A W^{{-1}} = A W^* needs a "
            "unitary W (orthonormal wavelets); pass an orthonormal sparsifier",
            hypothesis="W unitary", margin=err)
    return M @ Wd.conj().T, True


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


def up(x: Any, scale: Any = 0.0) -> Any:
    """Round a float64 result of a few operations outward (up): adds 64u(|x| + scale), then one ulp."""
    x = np.asarray(x, dtype=float)
    return np.nextafter(x + (np.abs(x) + np.abs(scale)) * 64 * U, np.inf)


def down(x: Any, scale: Any = 0.0) -> Any:
    """Round a float64 result of a few operations outward (down); see :func:`up`."""
    x = np.asarray(x, dtype=float)
    return np.nextafter(x - (np.abs(x) + np.abs(scale)) * 64 * U, -np.inf)


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


def exact_kernel_balls(A: np.ndarray, z: np.ndarray) -> tuple[list[Any], np.ndarray] | None:
    """Balls containing a vector ``ẑ`` with ``A ẑ = 0`` exactly, close to the float vector ``z``.

    ``ẑ`` equals ``z`` on ``N − m`` free coordinates; its entries on ``m``
    basic columns (chosen by pivoted QR) solve ``A_B ẑ_B = −A_F z_F`` in ball
    arithmetic. Returns ``(balls, basic_indices)``, or None when ``A`` does not
    have full row rank numerically (no certified kernel vector then).
    """
    import flint
    import scipy.linalg

    m, N = A.shape
    if m >= N:
        return None
    _, R, piv = scipy.linalg.qr(A, pivoting=True, mode="economic")
    d = np.abs(np.diag(R))
    if d.size < m or d[m - 1] <= N * np.finfo(float).eps * max(d[0], 1e-300):
        return None
    B = np.sort(piv[:m])
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
