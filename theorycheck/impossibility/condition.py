"""Condition numbers beyond ``Cond(AA^*)``: the SR-LASSO solution map and (P1) feasibility (docs/theory.md §6.6).

Two proven enclosures, both in python-flint ball arithmetic:

* :func:`certify_srlasso_condition` — the condition number of the SR-LASSO
  solution map ``Ξ(A, y) = argmin λ‖x‖₁ + ‖Ax − y‖`` at an input whose
  minimiser interpolates through a square basis ``T`` (``|T| = m``,
  ``A_T`` invertible). Under the two strict hypotheses (H1) and (H2) below,
  ``Ξ`` coincides near ``(A, y)`` with the smooth map
  ``(A′, y′) ↦ A′_T^{-1} y′`` (zero off ``T``), so

  ``Cond(Ξ)(A, y) = lim_{r↓0} sup_{0<‖(ΔA,Δy)‖≤r} ‖Ξ(A+ΔA, y+Δy) − Ξ(A, y)‖ / ‖(ΔA, Δy)‖
  = √(1 + ‖x₀‖²) / σ_min(A_T)``

  with ``‖(ΔA, Δy)‖ = √(‖ΔA‖² + ‖Δy‖²)`` (``‖ΔA‖`` Frobenius or operator norm:
  the value is the same). With ``M = (A_T^T A_T)^{-1}``, ``B = A_T^{-1} A_{T^c}``,
  ``S = supp x₀``, ``σ = sign x₀_S`` and the box ``Q = {s ∈ [−1, 1]^T : s_S = σ}``:

  (H1) ``λ² max_{s∈Q} sᵀ M s < 1``  (every dual vector ``z = A_T^{-T}s`` has ``λ‖z‖ < 1``:
  the SR-LASSO minimiser interpolates, as basis pursuit's does);

  (H2) ``max_{s∈Q} |sᵀ B_i| = |σᵀ B_{S,i}| + ‖B_{T∖S,i}‖₁ < 1`` for every ``i ∉ T``
  (strict dual feasibility off ``T``, for every sign pattern the zero entries
  of ``x₀`` in ``T`` may take under a perturbation).

* :func:`certify_feasibility_condition` — the feasibility condition of (P1),
  ``{x : ‖Ax − y‖ ≤ η}``, in the Renegar/Bürgisser–Cucker form
  ``C_FP = size / ρ_η(A, y)`` with ``ρ_η`` the distance (in the same norm as
  above) to the set of infeasible inputs. Proven:
  ``σ_min(A) ≤ ρ_η(A, y) ≤ √(‖Aᵀu‖² + max(0, η − |uᵀy|)²)`` for every unit ``u``
  (an infeasible input needs a rank-deficient matrix; ``(A − uuᵀA, y + t u)``
  is infeasible for ``|uᵀy| + t > η``), and the size is ``‖A‖₂`` (also
  reported with the Frobenius size ``‖(A, y)‖_F``).

On the class ``Ω_K`` (:meth:`Family.solution_condition`,
:meth:`Family.feasibility_condition`) both bases and vectors are explicit:
``T`` is ``{j} ∪`` the identity block, ``A_T^T A_T = diag(a_j², ν², …)``,
``Cond(Ξ) = √(1 + ‖x₀‖²)/a_j ≈ 2.1·10^{-K}`` and ``C_FP = ‖A‖₂/σ_min(A) = 1``.

Theorem: docs/theory.md §6.6 (the condition numbers of the impossibility theorem's class).
Rigor: proven (hypotheses decided, eigenvalues enclosed by a Rayleigh quotient and a
ball LDLᵀ positivity certificate, all in ball arithmetic).
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import flint
import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, PreconditionError
from theorycheck.impossibility._balls import arb_to_float
from theorycheck.impossibility._common import (
    MAX_3X2_DPS,
    bounded_int,
    exact_column,
    exact_real,
    fraction_matrix,
    refuse_work,
)
from theorycheck.numerics.exact import ball_lower, ball_upper
from theorycheck.numerics.precision import bits_to_dps, dps_to_bits, precision
from theorycheck.numerics.validation import integer_arg

__all__ = ["ConditionBound", "certify_srlasso_condition", "certify_feasibility_condition",
           "MAX_ENUMERATED_FREE"]

#: up to this many free box coordinates the maximum of ``sᵀMs`` over the box is found by
#: enumerating its vertices (exact); beyond it an upper bound by absolute values is used
MAX_ENUMERATED_FREE = 10


@dataclasses.dataclass(frozen=True)
class ConditionBound:
    """A proven enclosure ``lower ≤ value ≤ upper`` of a condition number.

    Attributes
    ----------
    name : str
        ``"Cond(Xi)"`` (SR-LASSO solution map) or ``"C_FP"`` ((P1) feasibility).
    lower, upper : float
        Outward-rounded float bounds on the value.
    norm : str
        The norms of the definition.
    hypotheses : dict
        Name → proven lower bound (float) on the margin of each hypothesis (all ``> 0``).
    details : dict
        Further proven enclosures (name → ``(lower, upper)``), e.g. ``sigma_min``.
    statement : str
        What exactly is proven.

    Theorem: docs/theory.md §6.6.
    Rigor: proven.
    """

    name: str
    lower: float
    upper: float
    norm: str
    hypotheses: dict[str, float]
    details: dict[str, tuple[float, float]]
    statement: str
    rigor: str = "proven"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the enclosure."""
        return {"name": self.name, "lower": self.lower, "upper": self.upper, "norm": self.norm,
                "hypotheses": dict(self.hypotheses),
                "details": {k: [v[0], v[1]] for k, v in self.details.items()},
                "statement": self.statement, "rigor": self.rigor}


# --------------------------------------------------------------------------------------
# symmetric eigenvalue enclosures
# --------------------------------------------------------------------------------------

def _positive_definite(G: Any) -> bool:
    """True when ball LDLᵀ (no pivoting) proves every pivot of the symmetric ``G`` positive.

    Every symmetric matrix inside the balls then has positive leading principal
    minors (products of the pivots), hence is positive definite (Sylvester).
    """
    m = G.nrows()
    W = [[G[i, k] for k in range(m)] for i in range(m)]
    for p in range(m):
        piv = W[p][p]
        if not piv > 0:
            return False
        for i in range(p + 1, m):
            f = W[i][p] / piv
            for k in range(p + 1, m):
                W[i][k] = W[i][k] - f * W[p][k]
    return True


def _lambda_min(G: Any) -> tuple[Any, Any, np.ndarray]:
    """Enclosure ``(lo, hi)`` (exact arb numbers) of the smallest eigenvalue of the symmetric ball
    matrix ``G``, and the float eigenvector used.

    ``hi``: the Rayleigh quotient of an approximate eigenvector (an upper bound for
    any vector). ``lo``: a shift ``θ`` just below it with ``G − θI`` proven positive
    definite by :func:`_positive_definite`, or the Gershgorin bound, whichever is larger.
    """
    m = G.nrows()
    scale = flint.arb(0)
    for i in range(m):
        d = flint.arb(abs(G[i, i]).upper())
        scale = d if d > scale else scale
    scale = scale if scale > 0 else flint.arb(1)
    Gf = np.array([[arb_to_float(G[i, k] / scale) for k in range(m)] for i in range(m)])
    Gf = 0.5 * (Gf + Gf.T)
    _, vecs = np.linalg.eigh(Gf)
    v = vecs[:, 0]
    vb = flint.arb_mat([[flint.arb(float(c))] for c in v])
    num = (vb.transpose() * G * vb)[0, 0]
    den = (vb.transpose() * vb)[0, 0]
    ray = num / den
    hi = flint.arb(ray.upper())
    # Gershgorin: every eigenvalue is ≥ min_i (G_ii − Σ_{k≠i} |G_ik|)
    lo: Any = None
    for i in range(m):
        g = flint.arb((G[i, i] - sum((abs(G[i, k]) for k in range(m) if k != i), flint.arb(0))).lower())
        lo = g if lo is None or g < lo else lo
    base = flint.arb(ray.lower())
    for f in (2.0 ** -40, 2.0 ** -20, 2.0 ** -8, 0.5):
        theta = flint.arb((base - abs(base) * f - scale * flint.arb(2) ** (-int(flint.ctx.prec) // 2)).lower())
        if theta <= lo:
            break
        shifted = G - theta * flint.arb_mat([[1 if i == k else 0 for k in range(m)] for i in range(m)])
        if _positive_definite(shifted):
            lo = theta
            break
    return lo, hi, v


def _lambda_max(G: Any) -> tuple[Any, Any, np.ndarray]:
    """Enclosure of the largest eigenvalue of the symmetric ball matrix ``G`` (``−λ_min(−G)``)."""
    lo, hi, v = _lambda_min(-G)
    return -hi, -lo, v


# --------------------------------------------------------------------------------------
# the SR-LASSO solution map
# --------------------------------------------------------------------------------------

def _box_max_quadratic(M: Any, S: list[int], sig: list[int], free: list[int]) -> Any:
    """An upper bound (ball) on ``max sᵀMs`` over ``s_S = σ``, ``s_free ∈ [−1, 1]`` (``M`` PSD).

    ``sᵀMs`` is convex, so its maximum over the box is at a vertex: enumerated
    exactly for at most :data:`MAX_ENUMERATED_FREE` free coordinates, else bounded by
    ``σᵀM_SSσ + 2Σ_k |(M_{k,S}σ)| + Σ_{k,l} |M_kl|`` (``k, l`` free).
    """
    fixed = flint.arb(0)
    for a, sa in zip(S, sig):
        for b, sb in zip(S, sig):
            fixed += sa * sb * M[a, b]
    cross = [sum((M[k, a] * sa for a, sa in zip(S, sig)), flint.arb(0)) for k in free]
    if len(free) <= MAX_ENUMERATED_FREE:
        best: Any = None
        for signs in itertools.product((-1, 1), repeat=len(free)):
            val = fixed + 2 * sum((c * s for c, s in zip(cross, signs)), flint.arb(0))
            for k, sk in zip(free, signs):
                for l, sl in zip(free, signs):
                    val += sk * sl * M[k, l]
            best = val if best is None or val.upper() > best.upper() else best
        return flint.arb(best.upper())
    bound = fixed + 2 * sum((abs(c) for c in cross), flint.arb(0))
    bound += sum((abs(M[k, l]) for k in free for l in free), flint.arb(0))
    return flint.arb(bound.upper())


def _pair(b: Any) -> tuple[float, float]:
    return ball_lower(b), ball_upper(b)


def srlasso_condition_balls(A: list, y: list, lam: Any, T: list[int]) -> ConditionBound:
    """:func:`certify_srlasso_condition` on ball data at the working precision (``A`` rows, ``y``, ``λ``, basis ``T``).

    Theorem: docs/theory.md §6.6 (condition of the SR-LASSO solution map at an interpolating input).
    Rigor: proven (ball arithmetic at the caller's working precision).
    """
    m, N = len(A), len(A[0])
    Tc = [i for i in range(N) if i not in set(T)]
    AT = flint.arb_mat([[A[r][i] for i in T] for r in range(m)])
    yb = flint.arb_mat([[v] for v in y])
    need = 2 * bits_to_dps(int(flint.ctx.prec))
    try:
        xT = AT.solve(yb)
        M = (AT.transpose() * AT).inv()
        B = AT.solve(flint.arb_mat([[A[r][i] for i in Tc] for r in range(m)])) if Tc else None
    except ZeroDivisionError:
        raise InsufficientPrecision("cannot invert A_T in ball arithmetic (singular, or too little "
                                    "precision): pass a basis T with A_T invertible, or raise dps",
                                    needed_dps=need) from None
    # S: coordinates proven nonzero (a ball containing 0 is kept free: the box only grows,
    # so the hypotheses proven for it imply those of the true support)
    S = [k for k in range(m) if not xT[k, 0].contains(0)]
    sig = [1 if xT[k, 0] > 0 else -1 for k in S]
    free = [k for k in range(m) if k not in set(S)]
    lam = flint.arb(lam)
    h1 = 1 - lam * lam * _box_max_quadratic(M, S, sig, free)
    if not h1 > 0:
        raise PreconditionError(
            f"(H1) λ² max_Q sᵀ(A_TᵀA_T)^{{-1}}s < 1 is not proven (margin {h1.str(5)}): a perturbation "
            "may make the SR-LASSO minimiser stop interpolating; use a smaller λ or another basis",
            hypothesis="H1", margin=ball_upper(h1))
    h2 = flint.arb(1)
    for c in range(len(Tc)):
        assert B is not None
        val = abs(sum((sg * B[k, c] for k, sg in zip(S, sig)), flint.arb(0)))
        val += sum((abs(B[k, c]) for k in free), flint.arb(0))
        marg = 1 - val
        if not marg > 0:
            raise PreconditionError(
                f"(H2) strict dual feasibility off T fails or is undecided at column {Tc[c]} "
                f"(margin {marg.str(5)}): the support may grow beyond T under a perturbation",
                hypothesis="H2", margin=ball_upper(marg))
        if marg.lower() < h2.lower():
            h2 = flint.arb(marg.lower())
    lo, hi, _ = _lambda_min(AT.transpose() * AT)
    if not lo > 0:
        raise InsufficientPrecision("cannot bound σ_min(A_T) away from 0", needed_dps=need)
    x2 = sum((xT[k, 0] * xT[k, 0] for k in range(m)), flint.arb(0))
    num_lo = (1 + flint.arb(x2.lower())).sqrt()
    num_hi = (1 + flint.arb(x2.upper())).sqrt()
    c_lo = num_lo / hi.sqrt()
    c_hi = num_hi / lo.sqrt()
    xnorm = x2.sqrt()
    size = (sum((A[r][i] * A[r][i] for r in range(m) for i in range(N)), flint.arb(0))
            + sum((v * v for v in y), flint.arb(0))).sqrt()
    details = {
        "sigma_min(A_T)": (ball_lower(lo.sqrt()), ball_upper(hi.sqrt())),
        "norm(x0)": _pair(xnorm),
        # relative condition: Cond · ‖(A, y)‖_F / ‖x₀‖ (reported, not claimed small)
        "relative": ((ball_lower(c_lo * size / xnorm), ball_upper(c_hi * size / xnorm))
                     if xnorm > 0 else (float("inf"), float("inf"))),
    }
    return ConditionBound(
        name="Cond(Xi)", lower=ball_lower(c_lo), upper=ball_upper(c_hi),
        norm="absolute; input ‖(ΔA, Δy)‖ = √(‖ΔA‖² + ‖Δy‖²) (Frobenius or operator ‖ΔA‖), output ℓ²",
        hypotheses={"H1": ball_lower(h1), "H2": ball_lower(h2)}, details=details,
        statement=("(H1), (H2) hold, so near (A, y) the SR-LASSO solution map is single valued and "
                   "equals (A′, y′) ↦ A′_T^{-1}y′; its condition number √(1 + ‖x₀‖²)/σ_min(A_T) "
                   "lies in [lower, upper]"))


def certify_srlasso_condition(A: Any, y: Any, lam: Any, basis: Any, *, dps: int = 40) -> ConditionBound:
    """Proven enclosure of the SR-LASSO solution map's condition number at an interpolating input.

    ``x₀ = A_T^{-1}y`` (zero off the basis ``T``) is the unique minimiser of
    ``λ‖x‖₁ + ‖Ax − y‖`` and, near ``(A, y)``, the solution map is
    ``(A′, y′) ↦ A′_T^{-1}y′``, provided the hypotheses (H1) and (H2) of the
    module docstring hold (both are decided here). Its condition number (the
    limit of output over input distance ratios) is then
    ``√(1 + ‖x₀‖²)/σ_min(A_T)``.

    Parameters
    ----------
    A : array_like
        Real ``m × N`` matrix (``m ≤ N``), read as the exact values it holds.
    y : array_like
        Real data (``m`` entries).
    lam : float
        ``λ > 0`` (its exact value).
    basis : sequence of int
        ``m`` distinct column indices ``T`` (0-based) with ``A_T`` invertible and
        ``supp x₀ ⊆ T``.
    dps : int
        Working precision of the ball arithmetic.

    Returns
    -------
    ConditionBound
        ``name="Cond(Xi)"``; ``hypotheses`` the proven margins of (H1) and (H2);
        ``details`` enclosures of ``σ_min(A_T)``, ``‖x₀‖`` and the relative
        condition ``Cond·‖(A, y)‖_F/‖x₀‖``.

    Raises
    ------
    InvalidArgument
        Shapes, a basis that is not ``m`` distinct valid indices, ``λ ≤ 0``.
    PreconditionError
        (H1) or (H2) fails (``hypothesis`` names it).
    InsufficientPrecision
        The balls do not decide at ``dps`` digits, or ``A_T`` is singular.

    Theorem: docs/theory.md §6.6 (condition of the SR-LASSO solution map).
    Rigor: proven (exact data, ball arithmetic).

    Examples
    --------
    >>> c = certify_srlasso_condition([[2, 1, 0], [0, 0, 4]], [1, 0], 0.5, [0, 2])
    >>> c.lower <= (1 + 0.25) ** 0.5 / 2 <= c.upper
    True
    """
    Aq = fraction_matrix(A, "A")
    m, N = len(Aq), len(Aq[0])
    yq = [r[0] for r in fraction_matrix(exact_column(y, "y"), "y")]
    if len(yq) != m:
        raise InvalidArgument(f"y has {len(yq)} entries but A has {m} rows")
    if m > N:
        raise InvalidArgument(f"A is {m}×{N}: a basis of m columns needs m ≤ N")
    lam_q = exact_real(lam, "lam")
    if lam_q <= 0:
        raise InvalidArgument(f"lam={lam}: pass λ > 0")
    if isinstance(basis, (str, bytes)) or not hasattr(basis, "__iter__"):
        raise InvalidArgument("basis: pass a sequence of m column indices")
    T = [integer_arg(i, "basis entry", minimum=0) for i in basis]
    if len(T) != m or len(set(T)) != m or any(not 0 <= i < N for i in T):
        raise InvalidArgument(f"basis={list(T)[:8]}: pass {m} distinct column indices in 0..{N - 1}")
    dps = bounded_int(dps, "dps", 5, MAX_3X2_DPS, "working precision in digits")
    refuse_work(float(m) ** 3 + float(m) * N * m + 2.0 ** min(MAX_ENUMERATED_FREE, m) * m * m,
                dps_to_bits(dps), f"the condition of a {m}×{N} SR-LASSO", "use a smaller instance or dps")
    with precision(prec=dps_to_bits(dps)):
        q = lambda f: flint.arb(flint.fmpq(f.numerator, f.denominator))  # noqa: E731
        return srlasso_condition_balls([[q(v) for v in r] for r in Aq], [q(v) for v in yq],
                                       q(lam_q), T)


# --------------------------------------------------------------------------------------
# (P1) feasibility
# --------------------------------------------------------------------------------------

def feasibility_condition_balls(A: list, y: list, eta: Any) -> ConditionBound:
    """:func:`certify_feasibility_condition` on ball data at the working precision.

    Theorem: docs/theory.md §6.6 (distance to infeasibility of (P1)).
    Rigor: proven (ball arithmetic at the caller's working precision).
    """
    m, N = len(A), len(A[0])
    need = 2 * bits_to_dps(int(flint.ctx.prec))
    Ab = flint.arb_mat(A)
    G = Ab * Ab.transpose()
    lo_min, hi_min, v_min = _lambda_min(G)
    if not lo_min > 0:
        raise PreconditionError("A is not proven surjective (σ_min(A) > 0 undecided or false): "
                                "(P1) is then ill-posed at (A, y)", hypothesis="rank A = m",
                                margin=ball_upper(lo_min))
    lo_max, hi_max, _ = _lambda_max(G)
    sig_lo = lo_min.sqrt()
    eta = flint.arb(eta)
    # upper bounds on ρ from the candidates u = y/‖y‖ and u = the approximate bottom singular vector
    cands = []
    ynorm = sum((v * v for v in y), flint.arb(0)).sqrt()
    if ynorm > 0:
        cands.append([v / ynorm for v in y])
    vb = [flint.arb(float(c)) for c in v_min]
    vn = sum((c * c for c in vb), flint.arb(0)).sqrt()
    cands.append([c / vn for c in vb])
    rho_hi: Any = None
    for u in cands:
        Atu = [sum((A[r][i] * u[r] for r in range(m)), flint.arb(0)) for i in range(N)]
        Atu2 = sum((c * c for c in Atu), flint.arb(0))
        uty = abs(sum((a * b for a, b in zip(u, y)), flint.arb(0)))
        gap = eta - uty
        g_up = gap.upper()
        extra = flint.arb(0) if g_up <= 0 else flint.arb(g_up) * flint.arb(g_up)
        bound = flint.arb((Atu2 + extra).sqrt().upper())
        rho_hi = bound if rho_hi is None or bound < rho_hi else rho_hi
    if not rho_hi >= sig_lo.lower():
        raise InsufficientPrecision("internal: the enclosure of ρ is empty", needed_dps=need)
    opn_lo, opn_hi = flint.arb(lo_max.lower()).sqrt(), flint.arb(hi_max.upper()).sqrt()
    c_lo = opn_lo / rho_hi
    c_hi = opn_hi / sig_lo
    fro = (sum((A[r][i] * A[r][i] for r in range(m) for i in range(N)), flint.arb(0))
           + ynorm * ynorm).sqrt()
    details = {
        "rho": (ball_lower(sig_lo), ball_upper(rho_hi)),
        "norm(A)_2": (ball_lower(opn_lo), ball_upper(opn_hi)),
        "frobenius_size": (ball_lower(fro / rho_hi), ball_upper(fro / sig_lo)),
    }
    return ConditionBound(
        name="C_FP", lower=ball_lower(c_lo), upper=ball_upper(c_hi),
        norm="size ‖A‖₂; distance ρ_η in √(‖ΔA‖² + ‖Δy‖²) (Frobenius or operator ‖ΔA‖)",
        hypotheses={"sigma_min(A) > 0": ball_lower(sig_lo)}, details=details,
        statement=("σ_min(A) ≤ ρ_η(A, y) ≤ √(‖Aᵀu‖² + max(0, η − |uᵀy|)²) (u = y/‖y‖ or the bottom "
                   "singular vector): ρ_η and C_FP = ‖A‖₂/ρ_η lie in the given intervals; "
                   "'frobenius_size' is ‖(A, y)‖_F/ρ_η"))


def certify_feasibility_condition(A: Any, y: Any, eta: Any = 0, *, dps: int = 40) -> ConditionBound:
    """Proven enclosure of the (P1) feasibility condition ``C_FP = ‖A‖₂/ρ_η(A, y)``.

    ``ρ_η(A, y) = inf{‖(ΔA, Δy)‖ : no x has ‖(A+ΔA)x − (y+Δy)‖ ≤ η}``. An
    infeasible input needs ``A + ΔA`` rank deficient, so ``ρ_η ≥ σ_min(A)``
    (Eckart–Young); for a unit ``u``, ``(A − uuᵀA, y + tu)`` with
    ``|uᵀy| + t > η`` is infeasible, so ``ρ_η ≤ √(‖Aᵀu‖² + max(0, η − |uᵀy|)²)``.

    Parameters
    ----------
    A : array_like
        Real ``m × N`` matrix of full row rank (exact values).
    y : array_like
        Real data.
    eta : float
        ``η ≥ 0`` of (P1) (``0``: basis pursuit ``Ax = y``).
    dps : int
        Working precision of the ball arithmetic.

    Returns
    -------
    ConditionBound
        ``name="C_FP"``; ``details["rho"]`` the enclosure of ``ρ_η``,
        ``details["norm(A)_2"]`` of ``‖A‖₂``, ``details["frobenius_size"]`` of
        ``‖(A, y)‖_F/ρ_η``.

    Raises
    ------
    InvalidArgument
        Shapes, ``η < 0``.
    PreconditionError
        ``A`` not proven surjective.

    Theorem: docs/theory.md §6.6 (feasibility condition of (P1), Renegar/Bürgisser–Cucker).
    Rigor: proven (exact data, ball arithmetic).

    Examples
    --------
    >>> c = certify_feasibility_condition([[3, 0, 0], [0, 3, 0]], [1, 0], 0.5)
    >>> c.lower <= 1 <= c.upper, c.details["rho"][0] <= 3 <= c.details["rho"][1]
    (True, True)
    """
    Aq = fraction_matrix(A, "A")
    m, N = len(Aq), len(Aq[0])
    yq = [r[0] for r in fraction_matrix(exact_column(y, "y"), "y")]
    if len(yq) != m:
        raise InvalidArgument(f"y has {len(yq)} entries but A has {m} rows")
    eta_q = exact_real(eta, "eta")
    if eta_q < 0:
        raise InvalidArgument(f"eta={eta}: pass η ≥ 0")
    dps = bounded_int(dps, "dps", 5, MAX_3X2_DPS, "working precision in digits")
    refuse_work(float(m) ** 3 + float(m) * m * N, dps_to_bits(dps),
                f"the feasibility condition of a {m}×{N} (P1)", "use a smaller instance or dps")
    with precision(prec=dps_to_bits(dps)):
        q = lambda f: flint.arb(flint.fmpq(f.numerator, f.denominator))  # noqa: E731
        return feasibility_condition_balls([[q(v) for v in r] for r in Aq], [q(v) for v in yq], q(eta_q))
