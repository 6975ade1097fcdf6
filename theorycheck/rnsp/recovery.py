"""The constants and the recovery theorems of the robust null space property (seed Theorems 1 and 3).

* :func:`rnsp_from_rip` — the rNSP constants implied by ``δ_2s < 4/√41``
  (Foucart–Rauhut Thm 6.13);
* :func:`recovery_constants` — ``C1``, ``C2`` and the kernel-awareness
  constants of the theorems for given ``(ρ, γ)``;
* :func:`check_recovery_bound` — seed Theorem 1: the SR-LASSO error against its
  rNSP bound, with the certified solver's minimiser enclosure;
* :func:`check_kernel_awareness` — seed Theorem 3 for a pair of sparse vectors
  (its verifier sits at the end of this module).

Theorem: seed Theorems 1 and 3; Foucart–Rauhut Thm 4.25 and 6.13 (docs/theory.md §2).
Rigor: proven (ball arithmetic, rounded outward); certified-float64 with a sparsifier ``W``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import flint
import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, PreconditionError, SolverError
from theorycheck.numerics.backend import as_array
from theorycheck.numerics.exact import ball_lower, ball_upper
from theorycheck.numerics.precision import precision
from theorycheck.numerics.rounding import norm2
from theorycheck.numerics.validation import choice_arg, refuse_size
from theorycheck.problems.programs import SRLasso
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, register_verifier
from theorycheck.rnsp._common import (
    WITNESS_BITS,
    balls,
    count_arg,
    dense_matrix,
    dense_operator,
    matvec_balls,
    norm2_ball,
    open_unit_arg,
    order_arg,
    outcome_of,
    positive_arg,
    real_scalar,
    unitarity_defect_bound,
    unitary_dense,
    vector,
    w_choice,
    w_float,
    w_int,
    w_matrix,
    w_vector,
)
from theorycheck.rnsp._results import ConstantResult, store_matrix, verify_with
from theorycheck.solvers import solve

__all__ = ["RecoveryConstants", "rnsp_from_rip", "recovery_constants", "check_recovery_bound",
           "check_kernel_awareness"]

#: ``δ_2s`` must stay below this for Foucart–Rauhut Thm 6.13
RIP_THRESHOLD = 4 / math.sqrt(41)


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

    Theorem: Foucart–Rauhut Thm 4.25; seed Theorems 1 and 3 (docs/theory.md §2).
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
        with precision(prec=WITNESS_BITS):
            return self._lambda_max(s)

    def _lambda_max(self, s: int) -> float:
        s = order_arg(s, None)
        b = recovery_balls(self.rho, self.gamma)
        return ball_lower(b["C1"] / (flint.arb(s).sqrt() * b["C2"]))


def recovery_balls(rho: float, gamma: float) -> dict[str, Any]:
    """Balls of ``C1``, ``C2``, ``C2_seed`` and ``sparse_pair`` for the rNSP constants ``(ρ, γ)``."""
    r, g = flint.arb(rho), flint.arb(gamma)
    one = flint.arb(1)
    return {
        "C1": (one + r) * (one + r) / (one - r),
        "C2": (3 + r) * g / (one - r),
        "C2_seed": (3 * r + 5) * g / (one - r),
        "sparse_pair": flint.arb(2).sqrt() * g / (one - r),
    }


@precision(prec=WITNESS_BITS)
def rnsp_from_rip(delta_2s: Any) -> tuple[float, float]:
    """rNSP constants implied by the RIP: ``δ_{2s} < 4/√41 ⇒ (ρ, γ)`` (Foucart–Rauhut Thm 6.13).

    ``ρ = δ/(sqrt(1−δ²) − δ/4)``, ``γ = sqrt(1+δ)/(sqrt(1−δ²) − δ/4)``, both
    increasing in ``δ`` — pass an upper bound of ``δ_{2s}`` (a
    :class:`ConstantResult` is read through its ``upper`` side).

    Parameters
    ----------
    delta_2s : float or ConstantResult
        (An upper bound of) the restricted isometry constant of order ``2s``.

    Returns
    -------
    (float, float)
        ``(ρ, γ)``, rounded up.

    Raises
    ------
    PreconditionError
        If ``δ_{2s} ≥ 4/√41`` (the theorem's hypothesis), with the margin.

    Theorem: Foucart–Rauhut Thm 6.13 (docs/theory.md §2).
    Rigor: proven (ball arithmetic, rounded up).

    Examples
    --------
    >>> rho, gamma = rnsp_from_rip(0.3)
    >>> round(rho, 6), round(gamma, 6)
    (0.341321, 1.297218)
    """
    d = delta_2s.upper if isinstance(delta_2s, ConstantResult) else delta_2s
    d = real_scalar(d, "delta_2s")
    if d < 0:
        raise InvalidArgument(f"delta_2s = {d} is negative: a restricted isometry constant is ≥ 0")
    if not d < RIP_THRESHOLD:
        raise PreconditionError(
            f"δ_2s = {d:.6g} ≥ 4/√41 ≈ {RIP_THRESHOLD:.6f}: Foucart–Rauhut Thm 6.13 does not apply",
            hypothesis="δ_2s < 4/√41", margin=d - RIP_THRESHOLD)
    db = flint.arb(d)
    den = (1 - db * db).sqrt() - db / 4
    return ball_upper(db / den), ball_upper((1 + db).sqrt() / den)


@precision(prec=WITNESS_BITS)
def recovery_constants(rho: float, gamma: float) -> RecoveryConstants:
    """Constants of the recovery theorems for the rNSP constants ``(ρ, γ)``.

    ``C1 = (1+ρ)²/(1−ρ)``, ``C2 = (3+ρ)γ/(1−ρ)`` (Foucart–Rauhut Thm 4.25,
    seed Theorem 1), the seed's ``C2_seed = (3ρ+5)γ/(1−ρ)`` (Theorem 3 bound
    ``C2_seed/2``) and the sharp ``sparse_pair = √2γ/(1−ρ)``.

    Parameters
    ----------
    rho : float
        ``0 < ρ < 1``.
    gamma : float or ConstantResult
        ``γ > 0`` (a result is read through its upper side).

    Returns
    -------
    RecoveryConstants

    Theorem: Foucart–Rauhut Thm 4.25; seed Theorems 1 and 3 (docs/theory.md §2).
    Rigor: proven (ball arithmetic, rounded up).

    Examples
    --------
    >>> c = recovery_constants(0.5, 1.0)
    >>> round(c.C1, 12), round(c.C2, 12), round(c.C2_seed, 12), round(c.sparse_pair, 9)
    (4.5, 7.0, 13.0, 2.828427125)
    """
    rho = open_unit_arg(rho, "rho")
    g = positive_arg(_upper_side(gamma), "gamma")
    b = recovery_balls(rho, g)
    return RecoveryConstants(rho=rho, gamma=g, C1=ball_upper(b["C1"]), C2=ball_upper(b["C2"]),
                             C2_seed=ball_upper(b["C2_seed"]), sparse_pair=ball_upper(b["sparse_pair"]),
                             sparse_pair_seed=ball_upper(b["C2_seed"] / 2))


def _upper_side(v: Any) -> Any:
    """A :class:`ConstantResult` is read through its upper side (the side safe to use)."""
    return v.upper if isinstance(v, ConstantResult) else v


@precision(prec=WITNESS_BITS)
def _enclosure_distance(sol: Any, x: np.ndarray) -> tuple[Any, Any]:
    """Balls bounding ``‖x̂ − x‖₂`` from below and above, from the exact solver's enclosure."""
    enc = sol.info.get("z_enclosure") or sol.enclosure
    lo2, hi2 = flint.arb(0), flint.arb(0)
    for e, xi in zip(enc, x.reshape(-1)):
        if len(e) == 2:
            d = abs(flint.arb(e[0]) - flint.arb(float(np.real(xi))))
            rad = flint.arb(e[1])
        else:
            d = abs(flint.acb(flint.arb(e[0]), flint.arb(e[1])) - flint.acb(float(np.real(xi)), float(np.imag(xi))))
            rad = flint.arb(e[2])
        hi = d + rad
        lo = d - rad
        lo2 += (lo * lo) if lo > 0 else flint.arb(0)
        hi2 += hi * hi
    return lo2.sqrt(), hi2.sqrt()


def _sigma_ball(c: np.ndarray, s: int) -> Any:
    """``σ_s(c)₁``: the ℓ1 norm of all but the ``s`` largest entries, in ball arithmetic."""
    mags = [abs(b) for b in balls(c)]
    total = flint.arb(0)
    for i in np.argsort(-np.abs(c), kind="stable")[s:]:
        total += mags[int(i)]
    return total


def _lambda_max_ball(lam: float, s: int, b: dict[str, Any]) -> Any:
    """``C1/(√s C2)``; :class:`PreconditionError` when ``λ`` exceeds it (Theorem 1's hypothesis)."""
    lam_max = b["C1"] / (flint.arb(s).sqrt() * b["C2"])
    if not flint.arb(lam) <= lam_max:
        bound = ball_lower(lam_max)
        raise PreconditionError(
            f"λ = {lam:.6g} exceeds C1/(√s C2) = {bound:.6g} (seed Theorem 1 needs 0 < λ ≤ C1/(√s C2)); "
            "pass a smaller λ", hypothesis="0 < λ ≤ C1/(√s C2)", margin=lam - bound)
    return lam_max


def _signal_pair(P: SRLasso, x: Any, e: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, e, y = A x + e)`` validated against the program's shapes (``y`` formed in float64)."""
    xa, ea = as_array(x, "x"), as_array(e, "e")
    if xa.shape != tuple(P.A.in_shape):
        raise InvalidArgument(f"x has shape {xa.shape}: pass an array of shape {tuple(P.A.in_shape)}")
    if ea.shape != tuple(P.A.out_shape):
        raise InvalidArgument(f"e has shape {ea.shape}: pass an array of shape {tuple(P.A.out_shape)}")
    y = np.asarray(P.A.apply(xa)) + ea
    if not np.all(np.isfinite(y)):
        raise InvalidArgument("A x + e overflows float64: rescale x, e or A")
    return xa, ea, y


def _error_enclosure(P: SRLasso, y: np.ndarray, xa: np.ndarray, dps: int) -> tuple[Any, Any, Any, str]:
    """``(lower, upper, solution, note)`` for ``‖x̂ − x‖₂``: the exact solver's enclosure, else the reference.

    The note is empty for the certified solve; the reference solver's distance is numerical.
    """
    try:
        sol = solve(P, y, method="exact", dps=dps)
        lo, hi = _enclosure_distance(sol, xa)
        return lo, hi, sol, ""
    except (SolverError, InsufficientPrecision) as exc:
        sol = solve(P, y, method="reference")
        d = flint.arb(norm2(np.asarray(sol.x) - xa))
        return d, d, sol, f" (exact solver failed: {exc}; reference solver used, numerical)"


def _theorem1_bound(P: SRLasso, W: Any, xa: np.ndarray, y: np.ndarray, s: int, lam: float,
                    b: dict[str, Any]) -> tuple[Any, Any, Any, str]:
    """``(bound, σ_s(Wx)₁, ‖e‖₂, note)``: ``2C1 σ_s(Wx)₁/√s + (C1/(√s λ) + C2)‖e‖₂`` with the exact ``e = y − Ax``.

    ``note`` is non-empty when ``W x`` differs between two float64 evaluations (then numerical).
    """
    Ad = dense_operator(P.A, "A")
    Axb = matvec_balls(Ad, balls(xa.reshape(-1)))
    e_norm = norm2_ball([a - c for a, c in zip(balls(y.reshape(-1)), Axb)])
    note = ""
    if W is None:
        c = xa.reshape(-1)
    else:
        c = np.asarray(P.W.apply(xa)).reshape(-1)
        if not np.array_equal(c, np.asarray(P.W.apply(xa)).reshape(-1)):
            note = " (W x differs between two float64 evaluations)"
    sigma = _sigma_ball(c, s)
    rs = flint.arb(s).sqrt()
    C1, C2 = b["C1"], b["C2"]
    return 2 * C1 * sigma / rs + (C1 / (rs * flint.arb(lam)) + C2) * e_norm, sigma, e_norm, note


@precision(prec=WITNESS_BITS)
def check_recovery_bound(A: Any, x: Any, e: Any, lam: float, *, s: int, rho: float, gamma: float,
                         W: Any = None, dps: int = 30) -> CheckResult:
    """Seed Theorem 1: compare the SR-LASSO error ``‖x̂ − x‖₂`` with its rNSP bound.

    With ``y = Ax + e`` (formed in float64; the bound uses the exact
    ``e = y − Ax``), every minimiser of ``λ‖Wz‖₁ + ‖Az − y‖₂`` satisfies
    ``‖x̂ − x‖₂ ≤ 2C1 σ_s(Wx)₁/√s + (C1/(√s λ) + C2)‖e‖₂`` when ``A W^{-1}``
    has the rNSP of order ``s`` with ``(ρ, γ)`` and ``0 < λ ≤ C1/(√s C2)``.
    ``x̂`` comes from the certified solver (``solve(..., method="exact")``).

    Parameters
    ----------
    A : array_like or LinearOperator
        Measurement operator.
    x : array_like
        The true signal (shape ``A.in_shape``).
    e : array_like
        Noise (shape ``A.out_shape``).
    lam : float
        SR-LASSO parameter ``λ``.
    s : int
        rNSP order.
    rho, gamma : float
        rNSP constants of ``A W^*`` (e.g. from :func:`rnsp_gamma`; a result is
        read through its upper side).
    W : LinearOperator, optional
        Unitary sparsifier.
    dps : int
        Starting precision of the exact solver.

    Returns
    -------
    CheckResult
        ``holds`` if the bound is proven to hold, ``violated`` if proven to fail
        (then ``A W^*`` does **not** have the rNSP with ``(ρ, γ)``), else
        inconclusive; ``values`` has ``error``, ``bound``, ``tightness``
        (``error/bound``) and the constants.

    Raises
    ------
    PreconditionError
        If ``λ > C1/(√s C2)`` (hypothesis of Theorem 1), with the margin.

    Theorem: seed Theorem 1 (docs/theory.md §2; Foucart–Rauhut Thm 4.25).
    Rigor: proven (certified minimiser enclosure and ball arithmetic) without
    ``W``; certified-float64 with ``W`` (``Wx`` evaluated in float64); numerical
    if the exact solver fails and the reference solver is used instead.
    """
    lam = positive_arg(lam, "lam")
    rho = open_unit_arg(rho, "rho")
    gamma = positive_arg(_upper_side(gamma), "gamma")
    dps = count_arg(dps, "dps", 15, 2000)
    P = SRLasso(A, lam, W=W)
    s = order_arg(s, P.penalty_size)
    defect = flint.arb(0)
    if W is not None:
        # Theorem 1 bounds ‖W(x̂ − x)‖ (the rNSP is for A W^{-1}); it is ‖x̂ − x‖ only for a unitary W
        Wd, _ = unitary_dense(P.W, int(np.prod(P.A.in_shape)))
        defect = flint.arb(unitarity_defect_bound(Wd))
    xa, _, y = _signal_pair(P, x, e)
    consts = recovery_constants(rho, gamma)
    b = recovery_balls(rho, gamma)
    lam_max = _lambda_max_ball(lam, s, b)
    lhs_lo, lhs_hi, sol, note = _error_enclosure(P, y, xa, dps)
    rhs, sigma, e_norm, w_note = _theorem1_bound(P, W, xa, y, s, lam, b)
    rigor = Rigor.NUMERICAL if note or w_note else (Rigor.PROVEN if W is None else Rigor.CERTIFIED_FLOAT64)
    # ‖x̂ − x‖ ≤ ‖W^{-1}‖·‖W(x̂ − x)‖ and ‖W^{-1}‖ ≤ 1/sqrt(1 − ‖W^*W − I‖₂): a violation must beat that factor
    inflate = 1 / (1 - defect).sqrt() if W is not None else flint.arb(1)
    outcome = outcome_of(bool(lhs_hi <= rhs), bool(lhs_lo > rhs * inflate))
    err_f, rhs_f = float(lhs_hi.mid()), float(rhs.mid())
    tight = err_f / rhs_f if rhs_f > 0 else math.inf
    verdict = {
        Outcome.VIOLATED: (f"the bound fails, so {'A W^{-1}' if W is not None else 'A'} does NOT have the rNSP "
                           f"of order {s} with (ρ, γ) = ({rho}, {gamma})"),
        Outcome.HOLDS: f"the bound holds (tightness {tight:.3g})",
        Outcome.INCONCLUSIVE: "the enclosures overlap: undecided"}[outcome]
    msg = f"‖x̂ − x‖₂ = {err_f:.6g} vs Theorem 1's bound {rhs_f:.6g}: {verdict}{note}{w_note}"
    return CheckResult(
        check="recovery_bound", outcome=outcome, rigor=rigor, message=msg,
        values={"error": err_f, "error_upper": ball_upper(lhs_hi), "bound": rhs_f, "bound_lower": ball_lower(rhs),
                "tightness": tight, "lam": lam, "lambda_max": ball_lower(lam_max),
                "sigma_s": float(sigma.mid()), "noise_norm": float(e_norm.mid()), "s": s, "rho": rho,
                "gamma": gamma, "C1": consts.C1, "C2": consts.C2, "solver": sol.solver},
        witness=Witness("recovery", {"x": np.asarray(xa), "y": np.asarray(y), "x_hat": np.asarray(sol.x)}),
        theorem="seed Theorem 1 (SR-LASSO under the rNSP), docs/theory.md §2")


@precision(prec=WITNESS_BITS)
def check_kernel_awareness(A: Any, x: Any, z: Any, *, rho: float, gamma: float, s: int | None = None,
                           bound: str = "seed") -> CheckResult:
    """Seed Theorem 3: ``‖z − x‖₂ ≤ K‖A(z − x)‖₂`` for ``s``-sparse ``x, z`` under the rNSP.

    ``K = C2_seed/2 = (3ρ+5)γ/(2(1−ρ))`` (the seed's) or the sharp
    ``K = √2γ/(1−ρ)`` (apply the rNSP to the two halves of the ``2s``-sparse
    difference); both are reported, ``bound`` selects the verdict.

    Parameters
    ----------
    A : array_like or LinearOperator
        The matrix.
    x, z : array_like
        ``s``-sparse vectors.
    rho, gamma : float
        rNSP constants of order ``s`` (a result is read through its upper side).
    s : int, optional
        The order; default ``max(‖x‖₀, ‖z‖₀)``.
    bound : {"seed", "sharp"}
        Which constant decides the outcome.

    Returns
    -------
    CheckResult
        ``holds``/``violated`` (a violation proves that ``A`` does not have the
        rNSP with ``(ρ, γ)``), ``values`` with both bounds and the ratios.

    Raises
    ------
    PreconditionError
        If ``x`` or ``z`` is not ``s``-sparse.

    Theorem: seed Theorem 3 (kernel awareness), docs/theory.md §2.
    Rigor: proven (ball arithmetic on the float64 data).

    Examples
    --------
    >>> import numpy as np
    >>> r = check_kernel_awareness(np.eye(3), [1.0, 0, 0], [0, 2.0, 0], rho=0.5, gamma=1.0)
    >>> r.holds, r.rigor.value
    (True, 'proven')
    """
    bound = choice_arg(bound, "bound", ("seed", "sharp"))
    B, _ = dense_matrix(A)
    N = B.shape[1]
    refuse_size(float(B.size), 4e6, f"ball arithmetic with the {B.shape[0]}×{N} matrix A",
                "restrict A to fewer rows or columns")
    xv, zv = vector(x, "x", N), vector(z, "z", N)
    rho = open_unit_arg(rho, "rho")
    gamma = positive_arg(_upper_side(gamma), "gamma")
    nnz = max(int(np.count_nonzero(xv)), int(np.count_nonzero(zv)))
    s = order_arg(max(nnz, 1) if s is None else s, N)
    if nnz > s:
        raise PreconditionError(
            f"x or z has {nnz} non-zeros > s = {s}: Theorem 3 is for s-sparse vectors",
            hypothesis="x, z s-sparse", margin=float(nnz - s))
    # z − x is not exact in float64: take the difference in balls
    db = [b - a for a, b in zip(balls(xv), balls(zv))]
    lhs = norm2_ball(db)
    Ad = norm2_ball(matvec_balls(B, db))
    rb = recovery_balls(rho, gamma)
    K_seed, K_sharp = rb["C2_seed"] / 2, rb["sparse_pair"]
    K = K_seed if bound == "seed" else K_sharp
    outcome = outcome_of(bool(lhs <= K * Ad), bool(lhs > K * Ad))
    lf, af = float(lhs.mid()), float(Ad.mid())
    ratio = float((lhs / Ad).mid()) if Ad > 0 else math.inf
    verdict = {Outcome.HOLDS: "holds", Outcome.VIOLATED: "fails: A does NOT have the rNSP with these constants",
               Outcome.INCONCLUSIVE: "undecided"}[outcome]
    msg = (f"‖z − x‖₂ = {lf:.6g}, ‖A(z − x)‖₂ = {af:.6g} (ratio {ratio:.6g}); bound K = {float(K.mid()):.6g} "
           f"({bound}) {verdict}")
    return CheckResult(
        check="kernel_awareness", outcome=outcome, rigor=Rigor.PROVEN, message=msg,
        values={"difference": lf, "measured_difference": af, "ratio": ratio, "K_seed": ball_upper(K_seed),
                "K_sharp": ball_upper(K_sharp), "holds_seed": bool(lhs <= K_seed * Ad),
                "holds_sharp": bool(lhs <= K_sharp * Ad), "s": s, "rho": rho, "gamma": gamma},
        witness=store_matrix(Witness("pair", {"x": xv, "z": zv, "bound": bound, "rho": rho, "gamma": gamma,
                                              "s": s}), B),
        theorem="seed Theorem 3 (kernel awareness), docs/theory.md §2")


@register_verifier("kernel_awareness")
def _verify_kernel_awareness(result: CheckResult) -> CheckResult:
    """Re-derive a saved ``kernel_awareness`` result from the stored matrix, pair and constants.

    Theorem: seed Theorem 3 (kernel awareness).
    Rigor: the saved result's (never above it).
    """

    def derive(w: Witness) -> tuple[CheckResult, str]:
        B = w_matrix(w)
        N = B.shape[1]
        res = check_kernel_awareness(
            B, w_vector(w, "x", N), w_vector(w, "z", N), rho=w_float(w, "rho", 0.0, 1.0, open_lo=True, open_hi=True),
            gamma=w_float(w, "gamma", 0.0, math.inf, open_lo=True), s=w_int(w, "s", 1, N),
            bound=w_choice(w, "bound", ("seed", "sharp")))
        return res, "every value re-evaluated in ball arithmetic"

    return verify_with("kernel_awareness", result, derive)
