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
from typing import Any, Sequence

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
    BadWitness,
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
    w_bool,
    w_choice,
    w_float,
    w_int,
    w_matrix,
    w_vector,
)
from theorycheck.rnsp._results import ConstantResult, store_matrix, verify_with
from theorycheck.rnsp._spec import parse_structure
from theorycheck.solvers import solve

__all__ = ["RecoveryConstants", "rnsp_from_rip", "recovery_constants", "check_recovery_bound",
           "check_kernel_awareness", "levels_balls"]

#: ``δ_2s`` must stay below this for Foucart–Rauhut Thm 6.13
RIP_THRESHOLD = 4 / math.sqrt(41)


#: the named forms of Theorem 1's constants (``constants=`` argument)
CONSTANT_FORMS = ("seed", "foucart-rauhut")


@dataclasses.dataclass(frozen=True)
class RecoveryConstants:
    """Constants of the rNSP recovery bounds for given ``(ρ, γ)``.

    Two forms of Theorem 1's constants are kept, by name:

    * ``"seed"`` (the default): the seed's literal constants "in (10)":
      ``C1 = (1+ρ)²/(1−ρ)``, ``C2 = (3ρ+5)γ/(1−ρ)``;
    * ``"foucart-rauhut"``: the sharper ``C1 = (1+ρ)²/(1−ρ)``,
      ``C2 = (3+ρ)γ/(1−ρ)`` of Foucart–Rauhut Thm 4.25 (``3+ρ ≤ 3ρ+5`` since
      ``ρ > −1``; the two ``C1`` coincide).

    Derivation of the sharper form: Cauchy–Schwarz turns the rNSP into the ℓ1 rNSP
    ``‖v_S‖₁ ≤ ρ‖v_{S^c}‖₁ + √s γ‖Av‖``, so (FR Thm 4.20)
    ``‖v‖₁ ≤ (1+ρ)/(1−ρ)(‖z‖₁ − ‖x‖₁ + 2σ_s(x)₁) + 2√s γ/(1−ρ)‖Av‖`` for ``v = z − x``;
    with ``S`` the ``s`` largest entries of ``v``, ``‖v_{S^c}‖₂ ≤ ‖v‖₁/√s`` (Stechkin) and the
    rNSP give ``‖v‖₂ ≤ (1+ρ)/√s ‖v‖₁ + γ‖Av‖``; substituting gives ``C1 = (1+ρ)²/(1−ρ)`` and
    ``C2 = γ(2(1+ρ)/(1−ρ) + 1) = (3+ρ)γ/(1−ρ)``. Theorem 1 then follows from the SR-LASSO
    optimality ``λ‖x̂‖₁ + ‖Ax̂ − y‖ ≤ λ‖x‖₁ + ‖e‖`` for ``λ ≤ C1/(√s C2)``; any larger pair
    (such as the seed's) is also valid, with a smaller admissible ``λ``.

    Attributes
    ----------
    rho, gamma : float
        The rNSP constants.
    C1, C2 : float
        The selected form's constants (``constants`` names it).
    C2_seed : float
        The seed's ``(3ρ+5)γ/(1−ρ)`` (Theorem 3 uses ``C2_seed/2``).
    sparse_pair : float
        The sharp kernel-awareness constant ``√2γ/(1−ρ)``:
        ``‖z − x‖ ≤ sparse_pair·‖A(z − x)‖`` for ``s``-sparse ``x, z``.
    sparse_pair_seed : float
        ``C2_seed/2``, the seed's Theorem 3 constant (≥ ``sparse_pair``).
    constants : str
        ``"seed"`` or ``"foucart-rauhut"``: which form ``C1``, ``C2`` are.
    C1_seed, C1_foucart_rauhut, C2_foucart_rauhut : float
        Both forms, whatever was selected.

    All values are rounded up (they are upper bounds used in inequalities).

    Theorem: Foucart–Rauhut Thm 4.25; seed Theorems 1 and 3, constants (10) (docs/theory.md §2).
    Rigor: proven (evaluated in ball arithmetic and rounded up).
    """

    rho: float
    gamma: float
    C1: float
    C2: float
    C2_seed: float
    sparse_pair: float
    sparse_pair_seed: float
    constants: str = "seed"
    C1_seed: float = math.nan
    C1_foucart_rauhut: float = math.nan
    C2_foucart_rauhut: float = math.nan

    def lambda_max(self, s: int) -> float:
        """Largest admissible SR-LASSO parameter ``C1/(√s C2)`` of Theorem 1 (rounded down).

        Uses the selected form (``constants``) of ``C1`` and ``C2``.

        Theorem: seed Theorem 1 hypothesis ``0 < λ ≤ C1/(√s C2)``.
        Rigor: proven (ball arithmetic, rounded down).
        """
        with precision(prec=WITNESS_BITS):
            return self._lambda_max(s)

    def _lambda_max(self, s: int) -> float:
        s = order_arg(s, None)
        b = recovery_balls(self.rho, self.gamma, self.constants)
        return ball_lower(b["C1"] / (flint.arb(s).sqrt() * b["C2"]))


def recovery_balls(rho: float, gamma: float, constants: str = "seed") -> dict[str, Any]:
    """Balls of both forms of ``C1``, ``C2``, of ``sparse_pair``, and ``C1``/``C2`` of the selected form."""
    r, g = flint.arb(rho), flint.arb(gamma)
    one = flint.arb(1)
    c1 = (one + r) * (one + r) / (one - r)
    out = {
        "C1_seed": c1,
        "C1_foucart_rauhut": c1,
        "C2_foucart_rauhut": (3 + r) * g / (one - r),
        "C2_seed": (3 * r + 5) * g / (one - r),
        "sparse_pair": flint.arb(2).sqrt() * g / (one - r),
    }
    suffix = "seed" if constants == "seed" else "foucart_rauhut"
    out["C1"], out["C2"] = out[f"C1_{suffix}"], out[f"C2_{suffix}"]
    return out


def levels_balls(rho: float, gamma: float, s_levels: Sequence[int], w_levels: Sequence[float]) -> dict[str, Any]:
    """Balls of the recovery constants under the weighted rNSP in levels (docs/theory.md §2.5).

    With ``ξ = Σ_k w_k² s_k``, ``ζ = min_k w_k² s_k`` and ``κ = ξ/ζ`` (all ``s_k ≥ 1``):
    ``C1 = (1+ρ)(ρ+√κ)/(1−ρ)``, ``C2 = (1+ρ+2√κ)γ/(1−ρ)`` — Foucart–Rauhut's constants
    for ``κ = 1``. Derivation: Cauchy–Schwarz on an ``(s, M)``-sparse ``Δ`` gives
    ``‖v_Δ‖_{1,w} ≤ √ξ‖v_Δ‖₂``, so the weighted ℓ1 NSP
    ``‖v_Δ‖_{1,w} ≤ ρ‖v_{Δ^c}‖_{1,w} + γ√ξ‖Av‖`` holds and Foucart–Rauhut Thm 4.20
    (separable norm) gives ``‖v‖_{1,w} ≤ (1+ρ)/(1−ρ)(‖z‖_{1,w} − ‖x‖_{1,w} + 2σ_{s,M}(x)_{1,w})
    + 2γ√ξ/(1−ρ)‖Av‖``; Stechkin in each level (``σ_{s_k}(v_k)₂ ≤ ‖v_k‖₁/√s_k``) gives
    ``‖v_{Δ^c}‖₂ ≤ ‖v‖_{1,w}/√ζ = √κ‖v‖_{1,w}/√ξ`` for the largest entries ``Δ`` per level,
    so ``‖v‖₂ ≤ (ρ+√κ)/√ξ ‖v‖_{1,w} + γ‖Av‖``; combining and the SR-LASSO step of Theorem 1
    give the bound with ``√ξ`` in place of ``√s`` for ``0 < λ ≤ C1/(√ξ C2)``.

    Returns a dict of balls: ``C1``, ``C2``, ``xi``, ``zeta``, ``kappa``.

    Theorem: seed Theorem 1 under the weighted rNSP in levels (docs/theory.md §2.5), derived as above.
    Rigor: proven (ball arithmetic).
    """
    r, g = flint.arb(rho), flint.arb(gamma)
    one = flint.arb(1)
    terms = [flint.arb(w) * flint.arb(w) * sk for w, sk in zip(w_levels, s_levels)]
    xi = sum(terms, flint.arb(0))
    zeta = terms[0]
    for t in terms[1:]:
        zeta = zeta.min(t)
    kappa = xi / zeta
    rk = kappa.sqrt()
    return {"C1": (one + r) * (r + rk) / (one - r), "C2": (one + r + 2 * rk) * g / (one - r), "xi": xi,
            "zeta": zeta, "kappa": kappa}


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
def recovery_constants(rho: float, gamma: float, *, constants: str = "seed") -> RecoveryConstants:
    """Constants of the recovery theorems for the rNSP constants ``(ρ, γ)``.

    ``constants="seed"`` (default) gives the seed's literal constants (10):
    ``C1 = (1+ρ)²/(1−ρ)``, ``C2 = (3ρ+5)γ/(1−ρ)``;
    ``constants="foucart-rauhut"`` the sharper ``C2 = (3+ρ)γ/(1−ρ)`` of
    Foucart–Rauhut Thm 4.25 (same ``C1``). Both forms are always reported
    (``C1_seed``, ``C2_seed``, ``C1_foucart_rauhut``, ``C2_foucart_rauhut``),
    with the Theorem 3 bound ``C2_seed/2`` and the sharp ``sparse_pair = √2γ/(1−ρ)``.

    Parameters
    ----------
    rho : float
        ``0 < ρ < 1``.
    gamma : float or ConstantResult
        ``γ > 0`` (a result is read through its upper side).
    constants : {"seed", "foucart-rauhut"}
        Which form ``C1``, ``C2`` (and :meth:`RecoveryConstants.lambda_max`) use.

    Returns
    -------
    RecoveryConstants

    Theorem: Foucart–Rauhut Thm 4.25; seed Theorems 1 and 3, constants (10) (docs/theory.md §2).
    Rigor: proven (ball arithmetic, rounded up).

    Examples
    --------
    >>> c = recovery_constants(0.5, 1.0)
    >>> c.constants, round(c.C1, 12), round(c.C2, 12), round(c.C2_foucart_rauhut, 12)
    ('seed', 4.5, 13.0, 7.0)
    >>> round(recovery_constants(0.5, 1.0, constants="foucart-rauhut").C2, 12), round(c.sparse_pair, 9)
    (7.0, 2.828427125)
    """
    constants = choice_arg(constants, "constants", CONSTANT_FORMS)
    rho = open_unit_arg(rho, "rho")
    g = positive_arg(_upper_side(gamma), "gamma")
    b = recovery_balls(rho, g, constants)
    up = {k: ball_upper(v) for k, v in b.items()}
    return RecoveryConstants(rho=rho, gamma=g, C1=up["C1"], C2=up["C2"], C2_seed=up["C2_seed"],
                             sparse_pair=up["sparse_pair"], sparse_pair_seed=ball_upper(b["C2_seed"] / 2),
                             constants=constants, C1_seed=up["C1_seed"], C1_foucart_rauhut=up["C1_foucart_rauhut"],
                             C2_foucart_rauhut=up["C2_foucart_rauhut"])


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
    """``C1/(√s C2)`` (``√ξ`` in levels); :class:`PreconditionError` when ``λ`` exceeds it (Theorem 1's hypothesis)."""
    rs = b["xi"].sqrt() if "xi" in b else flint.arb(s).sqrt()
    lam_max = b["C1"] / (rs * b["C2"])
    if not flint.arb(lam) <= lam_max:
        bound = ball_lower(lam_max)
        what = "C1/(√ξ C2)" if "xi" in b else "C1/(√s C2)"
        raise PreconditionError(
            f"λ = {lam:.6g} exceeds {what} = {bound:.6g} (seed Theorem 1 needs 0 < λ ≤ {what}); "
            "pass a smaller λ", hypothesis=f"0 < λ ≤ {what}", margin=lam - bound)
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


def _sigma_levels_ball(c: np.ndarray, levels: Sequence[tuple[int, int]], s_levels: Sequence[int],
                       w_levels: Sequence[float]) -> Any:
    """``σ_{s,M}(c)_{1,w}``: per level, the weighted ℓ1 norm of all but the ``s_k`` largest entries (balls)."""
    total = flint.arb(0)
    for (a, b), sk, wk in zip(levels, s_levels, w_levels):
        total += flint.arb(wk) * _sigma_ball(np.asarray(c[a:b]), int(sk))
    return total


def _theorem1_bound(Ad: np.ndarray, Wd: np.ndarray | None, xa: np.ndarray, y: np.ndarray, s: int, lam: float,
                    b: dict[str, Any], lv: Any = None) -> tuple[Any, Any, Any, str]:
    """``(bound, σ, ‖e‖₂, note)``: ``2C1 σ/√ξ + (C1/(√ξ λ) + C2)‖e‖₂`` with the exact ``e = y − Ax``.

    Without levels ``σ = σ_s(Wx)₁`` and ``ξ = s``; with ``lv = (levels, s_levels, w_levels)``
    ``σ = σ_{s,M}(Wx)_{1,w}`` and ``ξ = Σ w_k² s_k``. ``note`` is non-empty when ``W x`` differs
    between two float64 evaluations (then numerical).
    """
    Axb = matvec_balls(Ad, balls(xa))
    e_norm = norm2_ball([a - c for a, c in zip(balls(y), Axb)])
    note = ""
    if Wd is None:
        c = xa
    else:
        c = np.asarray(Wd @ xa).reshape(-1)
        if not np.array_equal(c, np.asarray(Wd @ xa).reshape(-1)):
            note = " (W x differs between two float64 evaluations)"
    if lv is None:
        sigma, rs = _sigma_ball(c, s), flint.arb(s).sqrt()
    else:
        sigma, rs = _sigma_levels_ball(c, *lv), b["xi"].sqrt()
    C1, C2 = b["C1"], b["C2"]
    return 2 * C1 * sigma / rs + (C1 / (rs * flint.arb(lam)) + C2) * e_norm, sigma, e_norm, note


#: what a recovery_bound claim is about (the lead's note: not the operator in closed form)
_ABOUT = (" [about the float64 matrix A as given (its dense float64 entries, not an operator's exact "
          "closed form), y = Ax + e as formed in float64 and e := y − Ax exactly]")


def _recovery_result(Ad: np.ndarray, Wd: np.ndarray | None, xa: np.ndarray, y: np.ndarray, lam: float, s: int,
                     rho: float, gamma: float, constants: str, dps: int, lv: Any = None) -> CheckResult:
    """The whole ``recovery_bound`` result from the dense data (the check and its verifier both call this).

    ``lv = (levels, s_levels, w_levels)`` for the rNSP in levels (weighted SR-LASSO), else None.
    """
    omega = None
    if lv is not None:
        omega = np.concatenate([np.full(b - a, wk) for (a, b), wk in zip(lv[0], lv[2])])
    P = SRLasso(Ad, lam, W=Wd, weights=omega)
    defect = flint.arb(0)
    if Wd is not None:
        # Theorem 1 bounds ‖W(x̂ − x)‖ (the rNSP is for A W^{-1}); it is ‖x̂ − x‖ only for a unitary W
        Wd, _ = unitary_dense(Wd, Ad.shape[1])
        defect = flint.arb(unitarity_defect_bound(Wd))
    if lv is None:
        consts = recovery_constants(rho, gamma, constants=constants)
        b = recovery_balls(rho, gamma, constants)
        cvals: dict[str, Any] = {"C1": consts.C1, "C2": consts.C2, "C2_seed": consts.C2_seed,
                 "C2_foucart_rauhut": consts.C2_foucart_rauhut}
    else:
        b = levels_balls(rho, gamma, lv[1], lv[2])
        cvals = {"C1": ball_upper(b["C1"]), "C2": ball_upper(b["C2"]), "xi": ball_upper(b["xi"]),
                 "kappa": ball_upper(b["kappa"]), "levels": [list(t) for t in lv[0]],
                 "s_levels": [int(k) for k in lv[1]], "weights_levels": [float(w) for w in lv[2]]}
    lam_max = _lambda_max_ball(lam, s, b)
    lhs_lo, lhs_hi, sol, note = _error_enclosure(P, y, xa, dps)
    rhs, sigma, e_norm, w_note = _theorem1_bound(Ad, Wd, xa, y, s, lam, b, lv)
    rigor = Rigor.NUMERICAL if note or w_note else (Rigor.PROVEN if Wd is None else Rigor.CERTIFIED_FLOAT64)
    # ‖x̂ − x‖ ≤ ‖W^{-1}‖·‖W(x̂ − x)‖ and ‖W^{-1}‖ ≤ 1/sqrt(1 − ‖W^*W − I‖₂): a violation must beat that factor
    inflate = 1 / (1 - defect).sqrt() if Wd is not None else flint.arb(1)
    outcome = outcome_of(bool(lhs_hi <= rhs), bool(lhs_lo > rhs * inflate))
    err_f, rhs_f = float(lhs_hi.mid()), float(rhs.mid())
    tight = err_f / rhs_f if rhs_f > 0 else math.inf
    verdict = {
        Outcome.VIOLATED: (f"the bound fails, so {'A W^{-1}' if Wd is not None else 'A'} does NOT have the rNSP "
                           f"{'in levels ' if lv is not None else ''}of order "
                           f"{list(lv[1]) if lv is not None else s} with (ρ, γ) = ({rho}, {gamma})"),
        Outcome.HOLDS: f"the bound holds (tightness {tight:.3g})",
        Outcome.INCONCLUSIVE: "the enclosures overlap: undecided"}[outcome]
    msg = (f"‖x̂ − x‖₂ = {err_f:.6g} vs Theorem 1's bound {rhs_f:.6g} ({constants} constants C1 = {cvals['C1']:.6g}, "
           f"C2 = {cvals['C2']:.6g}; certified solver from dps = {dps}): {verdict}{note}{w_note}{_ABOUT}")
    data: dict[str, Any] = {"x": np.asarray(xa), "y": np.asarray(y), "x_hat": np.asarray(sol.x).reshape(-1),
                            "lam": lam, "s": s, "rho": rho, "gamma": gamma, "constants": constants, "dps": dps,
                            "W_used": Wd is not None}
    if Wd is not None:
        data["W"] = np.asarray(Wd)
    if lv is not None:
        data["levels"] = np.array(lv[0], dtype=np.int64).reshape(-1, 2)
        data["s_levels"] = np.array(lv[1], dtype=np.int64)
        data["weights_levels"] = np.array(lv[2], dtype=np.float64)
    return CheckResult(
        check="recovery_bound", outcome=outcome, rigor=rigor, message=msg,
        values={"error": err_f, "error_upper": ball_upper(lhs_hi), "bound": rhs_f, "bound_lower": ball_lower(rhs),
                "tightness": tight, "lam": lam, "lambda_max": ball_lower(lam_max),
                "sigma_s": float(sigma.mid()), "noise_norm": float(e_norm.mid()), "s": s, "rho": rho,
                "gamma": gamma, "constants": constants, **cvals, "solver": sol.solver},
        witness=store_matrix(Witness("recovery", data), Ad),
        theorem=("seed Theorem 1 (SR-LASSO under the rNSP), docs/theory.md §2" if lv is None else
                 "seed Theorem 1 under the weighted rNSP in levels (docs/theory.md §2.5; constants of levels_balls)")
        + "; for the float64 matrix A as given")


@precision(prec=WITNESS_BITS)
def check_recovery_bound(A: Any, x: Any, e: Any, lam: float, *, s: Any, rho: float, gamma: float,
                         W: Any = None, dps: int = 30, constants: str | None = None, levels: Any = None,
                         weights: Any = None) -> CheckResult:
    """Seed Theorem 1: compare the SR-LASSO error ``‖x̂ − x‖₂`` with its rNSP bound.

    With ``y = Ax + e`` (formed in float64; the bound uses the exact
    ``e = y − Ax``), every minimiser of ``λ‖Wz‖₁ + ‖Az − y‖₂`` satisfies
    ``‖x̂ − x‖₂ ≤ 2C1 σ_s(Wx)₁/√s + (C1/(√s λ) + C2)‖e‖₂`` when ``A W^{-1}``
    has the rNSP of order ``s`` with ``(ρ, γ)`` and ``0 < λ ≤ C1/(√s C2)``.
    ``x̂`` comes from the certified solver (``solve(..., method="exact")``).
    Everything is about the **float64 matrix A as given** (an operator is
    taken as its dense float64 matrix: for an irrational operator such as a
    Fourier matrix the claim is about its rounded entries, not the exact
    operator) and, with ``W``, the dense float64 ``W``.

    With ``levels`` (the weighted rNSP in levels of docs/theory.md §2.5,
    local sparsities ``s = [s_1, …]``, all ``≥ 1``, weights ``w_k`` constant per
    level) the program is the weighted SR-LASSO ``λ‖Wz‖_{1,w} + ‖Az − y‖₂`` and
    the bound is ``2C1 σ_{s,M}(Wx)_{1,w}/√ξ + (C1/(√ξ λ) + C2)‖e‖₂`` for
    ``0 < λ ≤ C1/(√ξ C2)``, ``ξ = Σ w_k² s_k``, ``κ = ξ/min_k w_k² s_k``,
    ``C1 = (1+ρ)(ρ+√κ)/(1−ρ)``, ``C2 = (1+ρ+2√κ)γ/(1−ρ)`` (Foucart–Rauhut's
    constants when ``κ = 1``; derivation in :func:`levels_balls`).

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
    s : int or sequence of int
        rNSP order (the local sparsities with ``levels``).
    rho, gamma : float
        rNSP constants of ``A W^*`` (in levels with ``levels``) (e.g. from :func:`rnsp_gamma`; a result is
        read through its upper side).
    W : LinearOperator, optional
        Unitary sparsifier.
    dps : int
        Starting precision of the exact solver.
    constants : {"seed", "foucart-rauhut", "levels"}, optional
        ``C2 = (3ρ+5)γ/(1−ρ)`` (the seed's (10), default without levels) or the
        sharper ``(3+ρ)γ/(1−ρ)`` (Foucart–Rauhut Thm 4.25); ``C1 = (1+ρ)²/(1−ρ)``
        in both; ``"levels"`` (the only form, and the default, with ``levels``).
        Recorded in ``values["constants"]``.
    levels : sequence of (start, stop), optional
        Contiguous levels partitioning the coefficients ``Wx``.
    weights : array_like, optional
        With ``levels``: positive weights, one per level or constant per level (default 1).

    Returns
    -------
    CheckResult
        ``holds`` if the bound is proven to hold, ``violated`` if proven to fail
        (then ``A W^*`` does **not** have the rNSP with ``(ρ, γ)``), else
        inconclusive; ``values`` has ``error``, ``bound``, ``tightness``
        (``error/bound``) and the constants. The witness stores ``A`` (dense,
        when small), ``W``, ``x``, ``y``, ``x̂`` and the parameters; the
        verifier re-runs the certified solve and re-derives every field.

    Raises
    ------
    PreconditionError
        If ``λ > C1/(√s C2)`` (hypothesis of Theorem 1), with the margin.

    Theorem: seed Theorem 1 (docs/theory.md §2; Foucart–Rauhut Thm 4.25), for the float64 matrix A.
    Rigor: proven (certified minimiser enclosure and ball arithmetic, for the float64
    matrix A as given) without ``W``; certified-float64 with ``W`` (``Wx`` evaluated in
    float64); numerical if the exact solver fails and the reference solver is used instead.
    """
    if constants is None:
        constants = "seed" if levels is None else "levels"
    constants = choice_arg(constants, "constants", (*CONSTANT_FORMS, "levels"))
    if (constants == "levels") != (levels is not None):
        raise InvalidArgument(f"constants={constants!r}: the 'levels' constants go with levels=..., and levels=... "
                              "only with them (omit constants)")
    if weights is not None and levels is None:
        raise InvalidArgument("weights are supported with levels=... only (the weighted rNSP in levels)")
    lam = positive_arg(lam, "lam")
    rho = open_unit_arg(rho, "rho")
    gamma = positive_arg(_upper_side(gamma), "gamma")
    dps = count_arg(dps, "dps", 15, 2000)
    P = SRLasso(A, lam, W=W)
    lv = None
    if levels is None:
        s = order_arg(s, P.penalty_size)
    else:
        N = int(P.penalty_size)
        _, lvl, s_lv, _, xi_terms = parse_structure(N, s, weights, levels)
        if lvl is None or s_lv is None or any(k < 1 for k in s_lv):
            raise InvalidArgument(f"s = {s!r}: the levels bound needs a local sparsity s_k ≥ 1 in every level "
                                  "(merge a level with s_k = 0 into a neighbour)")
        lv = (lvl, s_lv, [float(w) for w, _ in xi_terms])
        s = sum(s_lv)
    Wd = None
    if W is not None:
        Wd, _ = unitary_dense(P.W, int(np.prod(P.A.in_shape)))
    xa, _, y = _signal_pair(P, x, e)
    Ad = dense_operator(P.A, "A")
    return _recovery_result(Ad, Wd, xa.reshape(-1), y.reshape(-1), lam, s, rho, gamma, constants, dps, lv)


@register_verifier("recovery_bound")
def _verify_recovery_bound(result: CheckResult) -> CheckResult:
    """Re-derive a saved ``recovery_bound`` result: re-run the certified solve on the stored data.

    Theorem: seed Theorem 1 (SR-LASSO under the rNSP), for the stored float64 matrix.
    Rigor: the saved result's (never above it).
    """

    def derive(w: Witness) -> tuple[CheckResult, str]:
        Ad = w_matrix(w)
        m, N = Ad.shape
        refuse_size(float(Ad.size), 4e6, f"re-running the certified SR-LASSO solve with the {m}×{N} matrix",
                    "re-run the computation instead")
        Wd = w_matrix(w, "W") if w_bool(w, "W_used") else None
        constants = w_choice(w, "constants", (*CONSTANT_FORMS, "levels"))
        lv = None
        if constants == "levels":
            lvl, sl, wl = w.data.get("levels"), w.data.get("s_levels"), w.data.get("weights_levels")
            for key, arr, kind in (("levels", lvl, "i"), ("s_levels", sl, "i"), ("weights_levels", wl, "f")):
                if not isinstance(arr, np.ndarray) or arr.dtype.kind != kind or arr.size > 2 * N:
                    raise BadWitness(f"witness[{key!r}] must be a small {'integer' if kind == 'i' else 'float'} array")
            lva, sla, wla = np.asarray(lvl), np.asarray(sl), np.asarray(wl)
            _, lvp, s_lv, _, xi_terms = parse_structure(N, [int(k) for k in sla.reshape(-1)],
                                                        [float(v) for v in wla.reshape(-1)],
                                                        [tuple(int(a) for a in row) for row in lva.reshape(-1, 2)])
            if lvp is None or s_lv is None or any(k < 1 for k in s_lv):
                raise BadWitness("witness['s_levels'] must hold a local sparsity ≥ 1 per level")
            lv = (lvp, s_lv, [float(v) for v, _ in xi_terms])
        res = _recovery_result(
            Ad, Wd, w_vector(w, "x", N), w_vector(w, "y", m), w_float(w, "lam", 0.0, math.inf, open_lo=True),
            w_int(w, "s", 1, N), w_float(w, "rho", 0.0, 1.0, open_lo=True, open_hi=True),
            w_float(w, "gamma", 0.0, math.inf, open_lo=True), constants, w_int(w, "dps", 15, 2000), lv)
        return res, "the certified SR-LASSO solve re-run and every value re-evaluated in ball arithmetic"

    return verify_with("recovery_bound", result, derive)


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
