"""Impossibility families: well-conditioned inputs on which every solver must fail (THEORY.md §6).

:func:`build_family` builds the class ``Ω_K`` of THEORY.md §6.2 (SR-LASSO) and
the analogous U-LASSO and QCBP classes on the same mechanism. Member ``j``
(``j = 1..N₁``) has

``A^{(j)} = C [[a^{(j)ᵀ}, 0], [0, ν I_{N₂}]]``, ``a_i = α = √2·10^K/3`` (``i ≠ j``),
``a_j = α + ε``, ``ε = 2^{-n-1}``, ``ν = ‖a‖`` (the same for every member),

``C`` the orthonormal DCT-II of size ``N₂ + 1`` (``dct=False``: ``C = I``),
and the test input ``y = C e₁``. ``AA^* = ν²I`` (condition number 1). Each
member's unique minimiser puts its mass on the largest entry of ``a``:

* SR-LASSO ``λ‖x‖₁ + ‖Ax − y‖``: ``x* = e_j/a_j`` (``= (ρ_min/(λγ)) e_j``);
* U-LASSO ``λ‖x‖₁ + ‖Ax − y‖²``: ``x* = (1/a_j − λ/(2a_j²)) e_j``;
* QCBP ``min ‖x‖₁ s.t. ‖Ax − y‖ ≤ η``: ``x* = ((1 − η)/a_j) e_j``.

Neighbouring members differ by ``‖A^{(j)} − A^{(j′)}‖ = 2^{-n-1/2}`` with the
same ``y``, yet their minimisers are ``√2·|x*_j|`` apart (``≈ 3·10^{-K}``): any
method that reads ``A`` to precision ``2^{-n}`` — where the data of all members
coincide — errs by at least half that jump (``> 10^{-K}``) on one of them.
Training samples ``y_k = C(1, g_k + r_k)`` with ``s``-sparse Gaussian ``g_k``
have the exact minimisers ``x_k = x*_first-block ⊕ g_k/ν`` (``r_k`` is 0 for
SR-LASSO, ``λ sign(g_k)/(2ν)`` for U-LASSO and the active-constraint residual
for QCBP).

Every member's minimiser is *certified*: U-LASSO and QCBP by
:func:`theorycheck.solvers.exact.solve_exact` fed the data as python-flint
balls (``data=``); SR-LASSO — whose minimisers interpolate (``Ax* = y`` with
``|supp x*| < m``, a case the exact solver's closed forms do not cover) — by
the explicit dual certificate of THEORY.md §1: ``u = A_S G^{-1} λ w_S σ_S``
with ``‖u‖ < 1`` and ``|A_i^* u| < λ w_i`` off ``S``, proved in ball arithmetic.
The identities ``A x* = y`` and ``A_S^* u = λ w_S σ_S`` hold by construction
(they are algebraic); the balls confirm them.

:func:`lasso_3x2_family` is THEORY.md §6.3 and :func:`check_solver_on_family`
runs any solver on the families and reports the digits it achieves, the
*silent failures* (success reported, error provably beyond the barrier
``10^{-K}``, or no usable answer at all), the *loud* ones (an exception, a
warning or a failure status: honest, but they prove nothing, so a solver that
fails loudly everywhere does not pass) and where float64 can no longer
represent the input. :func:`verify_solver_on_family` re-derives every claim of
a saved result from its witness (the stored answers and what the solver
reported), rebuilding the family from its bounded parameters.

Sizes are bounded before any work: families whose certification is estimated
(:func:`estimated_family_seconds`) to exceed :data:`MAX_FAMILY_SECONDS`, and
``K``, ``n``, ``N₁``, training samples and precisions beyond the module's
``MAX_*`` limits, are refused with :class:`~theorycheck.errors.InvalidArgument`.

Theorem: impossibility of computing accurate solutions of (P1)–(P3) from
inexact input (THEORY.md §6.1, Colbrook–Antun–Hansen 2022), with the classes
of THEORY.md §6.2–6.3.
Rigor: proven (minimisers, jumps, condition numbers, oracle error bounds and
solver errors are decided in python-flint ball arithmetic).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
import time
import warnings
from fractions import Fraction
from typing import Any, Callable, Iterable

import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, SolverError
from theorycheck.numerics.exact import (
    ball_lower, ball_sq, ball_to_strings, ball_upper, to_arb, to_fraction,
)
from theorycheck.numerics.precision import bits_to_dps, dps_to_bits, precision
from theorycheck.problems.programs import QCBP, Lasso, Program, SRLasso
from theorycheck.results import (
    CheckResult,
    Outcome,
    Report,
    Rigor,
    Witness,
    register_verifier,
)
from theorycheck.solvers.solution import Solution

__all__ = [
    "Member",
    "Family",
    "build_family",
    "lasso_3x2_family",
    "check_solver_on_family",
    "required_dps",
    "estimated_family_seconds",
    "certify_interpolating_srlasso",
    "verify_solver_on_family",
]

KINDS = ("srlasso", "lasso", "qcbp")
_CHECK = "solver_on_impossibility_family"
_THEOREM = "THEORY.md §6.1–6.2 (Colbrook–Antun–Hansen 2022)"
#: extra decimal digits above :func:`required_dps` used by default
GUARD_DPS = 10
#: largest number of members ``N₁`` of a family (the float64 check compares every pair)
MAX_FAMILY_MEMBERS = 1000
#: largest barrier exponent ``K`` and precision level ``n`` accepted (the work is then refused
#: by the estimate below long before these are reached; they keep the estimate's arithmetic finite)
MAX_K = 100_000
MAX_N = 1_000_000
#: largest estimated time (seconds) of building and certifying a family, an oracle or a certificate;
#: bigger requests (``dps = 10**7``, ``N₂ = 10**6``, ...) are refused before any work
MAX_FAMILY_SECONDS = 300.0
#: largest number of training samples and of stored sample entries (``samples · N₂``)
MAX_SAMPLES = 2 ** 18
MAX_SAMPLE_ENTRIES = 2 ** 26


# --------------------------------------------------------------------------------------
# argument checking
# --------------------------------------------------------------------------------------

def _int_arg(v: Any, name: str, minimum: int, hint: str) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise InvalidArgument(f"{name}={v!r}: pass an integer ({hint})")
    if v < minimum:
        raise InvalidArgument(f"{name}={v}: {hint}")
    return int(v)


def _real_arg(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
        raise InvalidArgument(f"{name}={v!r}: pass a finite real number")
    return float(v)


def required_dps(K: int, n: int) -> int:
    """Decimal digits needed to separate the members of ``Ω_K`` at precision level ``n``.

    ``⌈0.302(n + 1) + K + 3⌉``: the members' largest entries ``α`` and
    ``α + 2^{-n-1}`` (``α ≈ 10^K``) differ in the ``0.302(n+1) + K``-th digit.

    Parameters
    ----------
    K : int
        Barrier exponent, ``1 ≤ K ≤ MAX_K``.
    n : int
        Precision level, ``1 ≤ n ≤ MAX_N``.

    Theorem: THEORY.md §6.2 (the precision the family needs).
    Rigor: not applicable (a sizing rule; separation itself is decided in balls).

    Examples
    --------
    >>> required_dps(6, 30)
    19
    """
    K = _bounded_int(K, "K", 1, MAX_K, "the barrier is 10^-K")
    n = _bounded_int(n, "n", 1, MAX_N, "the precision level")
    return int(math.ceil(0.302 * (n + 1) + K + 3))


def _bounded_int(v: Any, name: str, lo: int, hi: int, what: str) -> int:
    v = _int_arg(v, name, lo, f"pass {lo} ≤ {name} ≤ {hi} ({what})")
    if v > hi:
        raise InvalidArgument(f"{name}={v} is too large: pass {lo} ≤ {name} ≤ {hi} ({what}); "
                              "the exact arithmetic would not finish")
    return v


def _ball_seconds(ops: float, bits: float) -> float:
    """Rough time of ``ops`` ball operations at ``bits`` bits (calibrated on python-flint; ~3× high)."""
    return float(ops) * 5e-6 * max(1.0, float(bits) / 90.0) ** 1.1


def _refuse_work(ops: float, bits: float, what: str, hint: str) -> None:
    from theorycheck.numerics.validation import refuse_size

    refuse_size(_ball_seconds(ops, bits), MAX_FAMILY_SECONDS, f"{what} (estimated seconds)", hint)


def estimated_family_seconds(N1: int, N2: int, dps: int) -> float:
    """Estimated seconds to build and certify every member of a family and its float64 check.

    ``(N₁ m N + N₁² m + m²)`` ball operations (``m = N₂ + 1``, ``N = N₁ + N₂``:
    the members' dual certificates, the pairwise float64 separation test and
    the DCT) at ``dps`` digits; calibrated to overestimate by about 3×.
    :func:`build_family` refuses families above :data:`MAX_FAMILY_SECONDS`.

    Theorem: none (a cost model).
    Rigor: not applicable (an estimate).

    Examples
    --------
    >>> estimated_family_seconds(2, 20, 20) < 1
    True
    """
    N1 = _int_arg(N1, "N1", 1, "pass N1 ≥ 1")
    N2 = _int_arg(N2, "N2", 1, "pass N2 ≥ 1")
    dps = _int_arg(dps, "dps", 1, "pass dps ≥ 1")
    m, N = float(N2) + 1, float(N1) + float(N2)
    return _ball_seconds(N1 * m * N + float(N1) ** 2 * m + m * m, 3.33 * dps)


# --------------------------------------------------------------------------------------
# ball data
# --------------------------------------------------------------------------------------

_DCT_CACHE: dict[tuple[int, int], list] = {}


def _dct_balls(M: int) -> list:
    """Orthonormal DCT-II matrix of size ``M`` as balls at the working precision (cached)."""
    import flint

    key = (M, int(flint.ctx.prec))
    if key not in _DCT_CACHE:
        if len(_DCT_CACHE) > 64:
            _DCT_CACHE.clear()
        s0 = (flint.arb(1) / M).sqrt()
        s1 = (flint.arb(2) / M).sqrt()
        _DCT_CACHE[key] = [[(s0 if k == 0 else s1 * flint.arb(flint.fmpq(k * (2 * i + 1), 2 * M)).cos_pi())
                            for i in range(M)] for k in range(M)]
    return _DCT_CACHE[key]


def _arb_to_float(b: Any) -> float:
    """Float64 nearest to the ball's midpoint (explicit round-to-nearest of the exact dyadic midpoint)."""
    man, exp = b.mid().man_exp()
    man, exp = int(man), int(exp)
    if man == 0:
        return 0.0
    if abs(man).bit_length() > 900:  # float(man) would overflow: Fraction → float rounds correctly too
        return float(Fraction(man) * Fraction(2) ** exp)
    return math.ldexp(float(man), exp)  # int → float rounds correctly, ldexp is then exact


def _arb_to_mpf(b: Any) -> Any:
    import mpmath

    man, exp = b.mid().man_exp()
    return mpmath.mpf((int(man), int(exp)))


def _sign(v: float) -> int:
    return 1 if v > 0 else -1


@dataclasses.dataclass(frozen=True)
class _Spec:
    K: int
    n: int
    kind: str
    N1: int
    N2: int
    s: int
    lam: float
    eta: float
    delta: float
    dct: bool
    samples: int
    seed: int | None
    strict: bool

    @property
    def m(self) -> int:
        return self.N2 + 1

    @property
    def N(self) -> int:
        return self.N1 + self.N2


def _entries(spec: _Spec, j: int, variant: str = "member") -> tuple[list, Any]:
    """``a`` (list of balls) and ``ν`` of member ``j`` (``variant="midpoint"``: all ``a_i = α + ε/N₁``)."""
    import flint

    alpha = flint.arb(2).sqrt() * (10 ** spec.K) / 3
    eps = flint.arb(flint.fmpq(1, 2 ** (spec.n + 1)))
    a_max = alpha + eps
    # ν² = (N₁ − 1)α² + (α + ε)² for every member; the midpoint data keep the same ν
    nu = ((spec.N1 - 1) * alpha * alpha + a_max * a_max).sqrt()
    if variant == "midpoint":
        a = [alpha + eps / spec.N1] * spec.N1
    else:
        a = [a_max if i == j - 1 else alpha for i in range(spec.N1)]
    return a, nu


def _first_block(spec: _Spec, a_j: Any, nu: Any, n_nonzero: int) -> tuple[Any, Any]:
    """Coefficient of ``e_j`` in the minimiser and ``r₁`` (QCBP: the residual's first entry)."""
    import flint

    lam = to_arb(spec.lam)
    if spec.kind == "srlasso":
        return 1 / a_j, flint.arb(0)
    if spec.kind == "lasso":
        return 1 / a_j - lam / (2 * a_j * a_j), flint.arb(0)
    eta = to_arb(spec.eta)
    mu = (1 / (a_j * a_j) + flint.arb(n_nonzero) / (nu * nu)).sqrt()
    r1 = eta / (mu * a_j)
    return (1 - r1) / a_j, r1


def _instance(spec: _Spec, j: int, g: np.ndarray | None, variant: str = "member"):
    """Balls ``(A rows, y, x*)``, support and signs of member ``j`` for the sample ``g`` (None: test input).

    Pre-DCT data: ``A = [[aᵀ, 0], [0, νI]]``, ``y = (1, g + r₂)``; then ``A ← CA``, ``y ← Cy``.
    """
    import flint

    m, N, N1 = spec.m, spec.N, spec.N1
    a, nu = _entries(spec, j, variant)
    zero = flint.arb(0)
    g = np.zeros(spec.N2) if g is None else np.asarray(g, dtype=float)
    supp = [int(l) for l in np.flatnonzero(g)]
    a_j = a[j - 1]
    c1, _ = _first_block(spec, a_j, nu, len(supp))
    # second block of y before the DCT
    lam = to_arb(spec.lam)
    y2 = [zero] * spec.N2
    for l in supp:
        gl = to_arb(float(g[l]))
        if spec.kind == "srlasso":
            y2[l] = gl
        elif spec.kind == "lasso":
            y2[l] = gl + _sign(g[l]) * lam / (2 * nu)
        else:
            eta = to_arb(spec.eta)
            mu = (1 / (a_j * a_j) + flint.arb(len(supp)) / (nu * nu)).sqrt()
            y2[l] = gl + _sign(g[l]) * eta / (mu * nu)
    x = [zero] * N
    x[j - 1] = c1
    for l in supp:
        x[N1 + l] = to_arb(float(g[l])) / nu
    S = [j - 1] + [N1 + l for l in supp]
    sig = [1] + [_sign(g[l]) for l in supp]
    if spec.dct:
        C = _dct_balls(m)
        A = [[C[r][0] * a[i] for i in range(N1)] + [C[r][1 + l] * nu for l in range(spec.N2)]
             for r in range(m)]
        y = [C[r][0] + sum((C[r][1 + l] * y2[l] for l in supp), zero) for r in range(m)]
    else:
        A = [list(a) + [zero] * spec.N2] + [[zero] * N1 + [nu if l == r else zero for l in range(spec.N2)]
                                            for r in range(spec.N2)]
        y = [flint.arb(1)] + y2
    return A, y, x, S, sig


# --------------------------------------------------------------------------------------
# certificates
# --------------------------------------------------------------------------------------

def _certify_srlasso_interpolating(A: list, y: list, lam: Any, w: list, S: list[int],
                                   sig: list[int], x_closed: list):
    """Prove that ``x_closed`` is the unique SR-LASSO minimiser when ``A x = y`` (THEORY.md §1).

    ``u = A_S G^{-1} λ w_S σ_S`` (``G = A_S^T A_S``) satisfies ``A_S^T u = λ w_S σ_S``;
    with ``‖u‖ < 1`` and ``|A_i^T u| < λ w_i`` off ``S``: ``λ‖z‖_{1,w} + ‖Az − y‖ ≥
    ⟨u, y⟩ = F(x)`` for every ``z``, with equality only if ``Az = y`` and
    ``supp z ⊆ S``, i.e. ``z = x`` (``A_S`` injective). Returns the relative slack.
    """
    import flint

    m, N = len(A), len(A[0])
    AS = flint.arb_mat([[A[r][k] for k in S] for r in range(m)])
    ASt = AS.transpose()
    G = ASt * AS
    yb = flint.arb_mat([[v] for v in y])
    v = flint.arb_mat([[lam * w[k] * s] for k, s in zip(S, sig)])
    try:
        cS = G.solve(ASt * yb)
        u = AS * G.solve(v)
    except ZeroDivisionError:
        raise InsufficientPrecision("cannot invert A_S^T A_S in ball arithmetic",
                                    needed_dps=2 * bits_to_dps(int(flint.ctx.prec))) from None
    for k, (idx, s) in enumerate(zip(S, sig)):
        val = cS[k, 0]
        if not (val > 0 if s > 0 else val < 0):
            raise _undecided_or_wrong(val, f"the sign of coefficient {idx}")
        if not val.overlaps(x_closed[idx]):
            raise SolverError(f"internal: the closed-form minimiser disagrees at coefficient {idx}")
    res = AS * cS - yb
    if not all(res[r, 0].contains(0) for r in range(m)):
        raise SolverError("internal: the data do not interpolate (A x* ≠ y)")
    nu2 = sum((u[r, 0] * u[r, 0] for r in range(m)), flint.arb(0))
    slack = 1 - nu2.sqrt()
    if not slack > 0:
        raise _undecided_or_wrong(slack, "‖u‖ < 1")
    inS = set(S)
    for i in range(N):
        if i in inS:
            continue
        corr = sum((A[r][i] * u[r, 0] for r in range(m)), flint.arb(0))
        rel = 1 - abs(corr) / (lam * w[i])
        if not rel > 0:
            raise _undecided_or_wrong(rel, f"strict dual feasibility at column {i}")
        if rel.lower() < slack.lower():
            slack = rel
    return flint.arb(slack.lower())


def certify_interpolating_srlasso(A: Any, y: Any, x: Any, lam: float, *, weights: Any = None,
                                  dps: int = 40) -> Solution:
    """Prove that ``x`` with ``Ax = y`` is the unique SR-LASSO minimiser (the ``Az = y`` case of THEORY.md §1).

    The data are taken as the exact rationals they are (float64 arrays,
    fractions, integers). ``Ax = y`` is checked in exact rational arithmetic;
    then, with ``S = supp x`` and ``σ = sign(x_S)``, the dual vector
    ``u = A_S (A_S^T A_S)^{-1} λ w_S σ`` (the minimum-norm, Fuchs-type dual
    vector) is shown in ball arithmetic to satisfy
    ``‖u‖ < 1`` and ``|A_i^T u| < λ w_i`` off ``S``, which makes ``x`` the unique
    minimiser of ``λ‖z‖_{1,w} + ‖Az − y‖`` (see the proof in the module). This
    complements :func:`theorycheck.solvers.exact.solve_exact`, whose SR-LASSO
    closed form needs ``‖(I − P_S)y‖ > 0``.

    Parameters
    ----------
    A : array_like
        Real ``m × N`` matrix (exact values).
    y : array_like
        Real data with ``Ax = y`` exactly.
    x : array_like
        The candidate (exact values); its support and signs define the certificate.
    lam : float
        ``λ > 0`` (its exact value).
    weights : array_like, optional
        Positive weights (default ones).
    dps : int
        Working precision of the ball arithmetic.

    Returns
    -------
    Solution
        ``rigor="proven"``, ``enclosure`` the exact ``x`` (radius 0), ``dual_slack``
        a certified lower bound on ``min(1 − ‖u‖, min_{i∉S} 1 − |A_i^T u|/(λw_i))``.

    Raises
    ------
    SolverError
        ``Ax ≠ y``, or the dual certificate fails (``x`` is not the unique minimiser,
        or the minimum-norm dual vector does not prove it: other dual vectors may).
    InsufficientPrecision
        The balls do not decide at ``dps`` digits.

    Theorem: SR-LASSO optimality and uniqueness when ``Ax = y`` (THEORY.md §1).
    Rigor: proven (exact rationals and ball arithmetic).

    Examples
    --------
    >>> sol = certify_interpolating_srlasso([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]], [1.0, 0.0],
    ...                                     [1.0, 0.0, 0.0], 0.5)
    >>> sol.rigor.value, sol.info["support"]
    ('proven', [0])
    """
    import flint

    t0 = time.perf_counter()
    Aq = _fraction_matrix(A, "A")
    m, N = len(Aq), len(Aq[0])
    yq = [r[0] for r in _fraction_matrix(_column(y, "y"), "y")]
    xq = [r[0] for r in _fraction_matrix(_column(x, "x"), "x")]
    if len(yq) != m or len(xq) != N:
        raise InvalidArgument(f"shapes: A is {m}x{N}, y has {len(yq)} entries, x has {len(xq)}")
    lam_q = _exact_real(lam, "lam")
    if lam_q <= 0:
        raise InvalidArgument("lam must be positive")
    if weights is None:
        wq = [Fraction(1)] * N
    else:
        warr = _column(weights, "weights").ravel()
        if warr.size != N:
            raise InvalidArgument(f"weights must be {N} positive numbers, got {warr.size}")
        wq = [_exact_real(v, "weights") for v in warr]
    if len(wq) != N or any(v <= 0 for v in wq):
        raise InvalidArgument(f"weights must be {N} positive numbers")
    S = [i for i in range(N) if xq[i] != 0]
    if not S:
        raise SolverError("x = 0 does not interpolate y ≠ 0; use solve_exact for this case")
    dps = _bounded_int(dps, "dps", 5, MAX_3X2_DPS, "working precision in digits")
    _refuse_work(float(m) * N * (len(S) + 2) + float(len(S)) ** 3, dps_to_bits(dps),
                 f"the dual certificate of a {m}×{N} SR-LASSO with |supp x| = {len(S)}",
                 "use a smaller instance or dps")
    # exact check of A x = y in rational arithmetic
    for r in range(m):
        if sum((Aq[r][i] * xq[i] for i in S), Fraction(0)) != yq[r]:
            raise SolverError(f"A x ≠ y (row {r}): this certificate needs an interpolating x")
    sig = [1 if xq[i] > 0 else -1 for i in S]
    bits = dps_to_bits(dps)
    with precision(prec=bits):
        q = lambda f: flint.arb(flint.fmpq(f.numerator, f.denominator))  # noqa: E731
        Ab = [[q(v) for v in row] for row in Aq]
        xb = [q(v) for v in xq]
        slack = _certify_srlasso_interpolating(Ab, [q(v) for v in yq], q(lam_q), [q(v) for v in wq],
                                               S, sig, xb)
        problem = SRLasso(np.array([[float(v) for v in row] for row in Aq]), lam=float(lam_q),
                          weights=np.array([float(v) for v in wq]))
        return _solution_from_balls(problem, xb, slack, S, bits, t0, "interpolating dual certificate")


#: largest number of entries :func:`certify_interpolating_srlasso` converts to exact rationals
MAX_EXACT_ENTRIES = 2 ** 20


def _column(v: Any, name: str) -> np.ndarray:
    """``v`` as an object column (tensors of any dtype included), sizes bounded."""
    from theorycheck.numerics.backend import is_torch

    if v is None or isinstance(v, (str, bytes)):
        raise InvalidArgument(f"{name} must be a numeric vector, got {v!r}")
    if is_torch(v):
        v = _torch_numpy(v)
    try:
        if np.size(v) > MAX_EXACT_ENTRIES:
            raise InvalidArgument(f"{name} has more than {MAX_EXACT_ENTRIES} entries")
        return np.asarray(v, dtype=object).reshape(-1, 1)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InvalidArgument):
            raise
        raise InvalidArgument(f"{name} could not be read as a vector: {exc}") from None


def _fraction_matrix(M: Any, name: str) -> list[list[Fraction]]:
    from theorycheck.numerics.backend import is_torch

    if M is None or isinstance(M, (str, bytes)):
        raise InvalidArgument(f"{name} must be a numeric matrix, got {M!r}")
    if is_torch(M):
        M = _torch_numpy(M)
    try:
        size = np.size(M)
        if size > MAX_EXACT_ENTRIES:
            raise InvalidArgument(f"{name} has {size} entries: at most {MAX_EXACT_ENTRIES} are converted "
                                  "to exact rationals (use a smaller instance)")
        arr = np.asarray(M, dtype=object)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InvalidArgument):
            raise
        raise InvalidArgument(f"{name} could not be read as a matrix: {exc}") from None
    if arr.ndim != 2 or arr.size == 0:
        raise InvalidArgument(f"{name} must be a non-empty matrix (or vector), got shape {arr.shape}")
    return [[_exact_real(v, name) for v in row] for row in arr]


def _undecided_or_wrong(ball: Any, what: str) -> Exception:
    import flint

    if ball.contains(0):
        return InsufficientPrecision(f"could not decide {what} at {flint.ctx.prec} bits",
                                     needed_dps=2 * bits_to_dps(int(flint.ctx.prec)))
    return SolverError(f"the dual certificate fails: {what} does not hold (x is not the unique "
                       "minimiser on this support, or not provably so)")


def _strings(v: Any) -> tuple[str, str]:
    return ("0", "0") if v.is_zero() else ball_to_strings(v)


# --------------------------------------------------------------------------------------
# members
# --------------------------------------------------------------------------------------

class Member:
    """One input ``(A, y)`` of an impossibility family with its certified unique minimiser.

    Attributes
    ----------
    index : int
        ``j`` (1-based) for family members; the sample number for training samples.
    kind : str
        ``"srlasso"``, ``"lasso"`` or ``"qcbp"``.
    problem : Program
        The program spec on the float64 data (``SRLasso``/``Lasso``/``QCBP``).
    A_exact, y_exact : mpmath.matrix
        The exact data at the working precision (``y_exact`` a column).
    x_star : mpmath.matrix
        The unique minimiser (column) at the working precision.
    A_float, y_float, x_star_float : numpy.ndarray
        float64 roundings (nearest) of the data and of the minimiser.
    solution : Solution
        The certificate: ``rigor="proven"``, ``enclosure`` balls containing ``x*``.
    support : list of int
        ``supp x*`` (0-based).
    dps : int
        Working precision (decimal digits).
    D : mpmath.matrix or None
        :func:`lasso_3x2_family` only: the column scaling ``D_δ``.

    Theorem: THEORY.md §6.2–6.3 (the minimiser is unique; strict dual feasibility).
    Rigor: proven (``solution.rigor``).
    """

    def __init__(self, *, index: int, kind: str, problem: Program, A_balls: list, y_balls: list,
                 x_balls: list, support: list[int], solution: Solution, bits: int,
                 data: Callable[[int], tuple[list, list]], D: Any = None, extra: dict | None = None):
        self.index = index
        self.kind = kind
        self.problem = problem
        self.support = list(support)
        self.solution = solution
        self.bits = bits
        self.dps = bits_to_dps(bits)
        self.data = data
        self.D = D
        self._A = A_balls
        self._y = y_balls
        self._x = x_balls
        self._cache: dict[str, Any] = {}
        for k, v in (extra or {}).items():
            setattr(self, k, v)

    def __repr__(self) -> str:
        return (f"Member(index={self.index}, kind={self.kind!r}, shape={self.A_float.shape}, "
                f"support={self.support}, dps={self.dps})")

    def _mp(self, key: str, rows: list) -> Any:
        if key not in self._cache:
            import mpmath

            with precision(prec=self.bits):
                self._cache[key] = mpmath.matrix([[_arb_to_mpf(v) for v in r] for r in rows])
        return self._cache[key]

    @property
    def A_exact(self) -> Any:
        """Exact data matrix (mpmath, working precision)."""
        return self._mp("A", self._A)

    @property
    def y_exact(self) -> Any:
        """Exact data vector (mpmath column, working precision)."""
        return self._mp("y", [[v] for v in self._y])

    @property
    def x_star(self) -> Any:
        """The certified unique minimiser (mpmath column, working precision)."""
        return self._mp("x", [[v] for v in self._x])

    @property
    def A_float(self) -> np.ndarray:
        """float64 rounding of ``A`` (nearest)."""
        if "Af" not in self._cache:
            self._cache["Af"] = np.array([[_arb_to_float(v) for v in r] for r in self._A])
        return self._cache["Af"]

    @property
    def y_float(self) -> np.ndarray:
        """float64 rounding of ``y`` (nearest)."""
        if "yf" not in self._cache:
            self._cache["yf"] = np.array([_arb_to_float(v) for v in self._y])
        return self._cache["yf"]

    @property
    def x_star_float(self) -> np.ndarray:
        """float64 rounding of the minimiser."""
        if "xf" not in self._cache:
            self._cache["xf"] = np.array([_arb_to_float(v) for v in self._x])
        return self._cache["xf"]

    def distance(self, x: Any) -> tuple[float, float]:
        """Certified bounds ``(lower, upper)`` on ``‖x − x*‖₂`` for any float array ``x``.

        Theorem: the certificate's balls contain the exact minimiser.
        Rigor: proven (ball arithmetic, outward rounded).
        """
        from theorycheck.solvers.certify import distance_to_enclosure

        xa, why = _answer_vector(x, len(self._x))  # exact float64/complex128 (complex keeps its
        if xa is None:                              # imaginary part: it counts in the distance)
            raise InvalidArgument(f"x: {why}")
        with precision(prec=self.bits):
            return distance_to_enclosure(xa, self.solution)


def _solution_from_balls(problem: Program, x: list, slack: Any, S: list[int], bits: int, t0: float,
                         how: str) -> Solution:
    enc = tuple(_strings(v) for v in x)
    xf = np.array([_arb_to_float(v) for v in x])
    return Solution(x=xf, status="optimal", rigor=Rigor.PROVEN, solver=how,
                    elapsed_s=time.perf_counter() - t0, enclosure=enc,
                    dual_slack=repr(ball_lower(slack)),
                    info={"support": list(S), "prec_bits": bits, "dps": bits_to_dps(bits),
                          "z_enclosure": enc, "certificate": how})


def _program(kind: str, A_float: np.ndarray, lam: float, eta: float) -> Program:
    if kind == "srlasso":
        return SRLasso(A_float, lam=lam)
    if kind == "lasso":
        return Lasso(A_float, lam=lam)
    return QCBP(A_float, eta=eta)


def _make_member(spec: _Spec, j: int, g: np.ndarray | None, bits: int, index: int) -> Member:
    """Build and certify member ``j`` (``g``: a training sample's sparse part, None: the test input)."""
    import flint

    t0 = time.perf_counter()

    def data(dps: int):
        with precision(prec=max(dps_to_bits(dps), int(flint.ctx.prec))):
            A, y, _, _, _ = _instance(spec, j, g)
        return A, y

    with precision(prec=bits):
        A, y, x, S, sig = _instance(spec, j, g)
        Af = np.array([[_arb_to_float(v) for v in r] for r in A])
        problem = _program(spec.kind, Af, spec.lam, spec.eta)
        if spec.kind == "srlasso":
            w = [flint.arb(1)] * spec.N
            slack = _certify_srlasso_interpolating(A, y, to_arb(spec.lam), w, S, sig, x)
            sol = _solution_from_balls(problem, x, slack, S, bits, t0, "interpolating dual certificate")
        else:
            from theorycheck.solvers.exact import solve_exact

            dps = bits_to_dps(bits)
            sol = solve_exact(problem, None, data=data, support=S, signs=sig, dps=dps,
                              max_dps=max(4 * dps, 200))
            # the certified balls must contain the closed form (a cross-check of both)
            for k, (v, (mid, rad)) in enumerate(zip(x, sol.enclosure)):
                if not flint.arb(mid, rad).overlaps(v):
                    raise SolverError(f"internal: closed form and certificate disagree at {k}")
            if list(sol.info["support"]) != S:
                raise SolverError("internal: the certified support differs from the closed form")
    return Member(index=index, kind=spec.kind, problem=problem, A_balls=A, y_balls=y, x_balls=x,
                  support=S, solution=sol, bits=bits, data=data)


# --------------------------------------------------------------------------------------
# families
# --------------------------------------------------------------------------------------

class Family:
    """An impossibility family: ``N₁`` certified members whose data differ by ``2^{-n-1/2}``.

    Built by :func:`build_family`. Attributes: ``K``, ``n``, ``kind``
    (``"srlasso"``/``"lasso"``/``"qcbp"``), ``members`` (the count ``N₁``),
    ``m``, ``N``, ``dps``, ``barrier`` (``10^{-K}``), ``params`` (the
    arguments that rebuild it). Methods and properties:

    * :meth:`member` — member ``j`` (a :class:`Member`);
    * :attr:`problem` — the program spec (member 1's float64 data; every member
      has the same program type, parameter and weights);
    * :meth:`oracle` — ``(A_k, y_k)`` as exact rationals, ``‖A_k − A‖ ≤ 2^{-k}``;
    * :attr:`jump` — certified distance between two members' minimisers
      (decimal string; :attr:`jump_bounds` the enclosing interval);
    * :attr:`cond_AAstar` — ``Cond(AA^*)`` (an upper bound; it is 1);
    * :attr:`float64_represents` — whether the float64 roundings still tell the members apart;
    * :meth:`sample`, :meth:`training_data` — training samples with exact minimisers.

    Theorem: THEORY.md §6.1–6.2 (the well-conditioned class of the impossibility theorem).
    Rigor: proven (every number is decided in ball arithmetic).
    """

    def __init__(self, spec: _Spec, dps: int):
        self._spec = spec
        self.K = spec.K
        self.n = spec.n
        self.kind = spec.kind
        self.members = spec.N1
        self.m = spec.m
        self.N = spec.N
        self.dps = dps
        self.bits = dps_to_bits(dps)
        self.barrier = 10.0 ** (-spec.K)
        self._members: dict[int, Member] = {}
        self._samples: dict[tuple[int, int], Member] = {}
        self._cache: dict[str, Any] = {}
        self._g = self._draw_samples()

    def __repr__(self) -> str:
        return (f"Family(kind={self.kind!r}, K={self.K}, n={self.n}, members={self.members}, "
                f"m={self.m}, N={self.N}, dps={self.dps})")

    @property
    def params(self) -> dict[str, Any]:
        """Keyword arguments of :func:`build_family` that rebuild this family."""
        sp = self._spec
        return {"K": sp.K, "n": sp.n, "problem": sp.kind, "N1": sp.N1, "N2": sp.N2, "s": sp.s,
                "lam": sp.lam, "eta": sp.eta, "delta": sp.delta, "dct": sp.dct,
                "samples": sp.samples, "seed": sp.seed, "strict": sp.strict, "dps": self.dps}

    @property
    def epsilon(self) -> str:
        """``ε = 2^{-n-1}``, the difference of the members' largest entries (exact, as a fraction)."""
        return f"1/{2 ** (self.n + 1)}"

    def _check_j(self, j: Any) -> int:
        j = _int_arg(j, "j", 1, f"members are numbered 1..{self.members}")
        if j > self.members:
            raise InvalidArgument(f"j={j}: members are numbered 1..{self.members}")
        return j

    def member(self, j: int) -> Member:
        """Member ``j`` (``1 ≤ j ≤ N₁``) with its certified minimiser.

        Theorem: THEORY.md §6.2.
        Rigor: proven.
        """
        j = self._check_j(j)
        if j not in self._members:
            self._members[j] = _make_member(self._spec, j, None, self.bits, j)
        return self._members[j]

    @property
    def problem(self) -> Program:
        """The program spec on member 1's float64 data."""
        return self.member(1).problem

    # -- the jump -----------------------------------------------------------------------
    def _jump_ball(self) -> Any:
        import flint

        if "jump" not in self._cache:
            m1, m2 = self.member(1), self.member(2)
            with precision(prec=self.bits):
                d2 = flint.arb(0)
                for (a, ra), (b, rb) in zip(m1.solution.enclosure, m2.solution.enclosure):
                    diff = flint.arb(a, ra) - flint.arb(b, rb)
                    d2 += diff * diff
                self._cache["jump"] = d2.sqrt()
        return self._cache["jump"]

    @property
    def jump(self) -> str:
        """Certified distance between two members' minimisers (decimal string of the ball's midpoint).

        Every pair of members is the same distance apart (``√2`` times the
        minimiser's nonzero entry); :attr:`jump_bounds` gives the enclosure.
        """
        with precision(prec=self.bits):
            return _strings(self._jump_ball())[0]

    @property
    def jump_bounds(self) -> tuple[float, float]:
        """Outward-rounded float bounds ``(lower, upper)`` on the jump."""
        b = self._jump_ball()
        return ball_lower(b), ball_upper(b)

    @property
    def half_jump_lower(self) -> float:
        """A certified lower bound on ``jump/2``: the error some member must suffer from any
        method whose input is the same for all members (e.g. the oracle at level ``k ≤ n``)."""
        return ball_lower(self._jump_ball() / 2)

    # -- condition number ---------------------------------------------------------------
    def _cond(self) -> tuple[Any, Any]:
        import flint

        if "cond" not in self._cache:
            mem = self.member(1)
            with precision(prec=self.bits):
                A = flint.arb_mat(mem._A)
                G = A * A.transpose()
                m = G.nrows()
                lo = hi = None
                for i in range(m):  # Gershgorin discs of the symmetric G enclose its spectrum
                    off = sum((abs(G[i, k]) for k in range(m) if k != i), flint.arb(0))
                    l_i, h_i = (G[i, i] - off).lower(), (G[i, i] + off).upper()
                    lo = l_i if lo is None or l_i < lo else lo
                    hi = h_i if hi is None or h_i > hi else hi
                if not lo > 0:
                    raise InsufficientPrecision("cannot bound λ_min(AA^*) away from 0",
                                                needed_dps=2 * self.dps)
                upper = flint.arb(hi) / flint.arb(lo)
                self._cache["cond"] = (flint.arb(1), flint.arb(upper.upper()))
        return self._cache["cond"]

    @property
    def cond_AAstar(self) -> str:
        """``Cond(AA^*) = ‖AA^*‖‖(AA^*)^{-1}‖`` — a certified upper bound (decimal string).

        ``AA^* = ν²I`` exactly, so the condition number is 1; Gershgorin discs in
        ball arithmetic prove ``1 ≤ Cond(AA^*) ≤`` the returned value.
        """
        lo, hi = self._cond()
        with precision(prec=self.bits):
            return hi.str(self.dps, radius=False)

    @property
    def cond_AAstar_bounds(self) -> tuple[str, str]:
        """``(lower, upper)`` decimal strings enclosing ``Cond(AA^*)``."""
        lo, hi = self._cond()
        with precision(prec=self.bits):
            return "1", hi.str(self.dps, radius=False)

    # -- oracle -------------------------------------------------------------------------
    def oracle(self, k: int, j: int, *, adversarial: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Data ``(A_k, y_k)`` of member ``j``: exact rationals, ``‖A_k − A‖, ‖y_k − y‖ ≤ 2^{-k}``.

        With ``adversarial=True`` (the theorem's oracle) every ``k ≤ n`` returns
        the *same* data for all members: a dyadic rounding of the members'
        midpoint (``a_i = α + ε/N₁``, same ``ν``), which lies within
        ``ε√((N₁−1)/N₁) < 2^{-n-1}`` of each member. For ``k > n`` (or
        ``adversarial=False``) it rounds member ``j``'s own data. The bound
        ``‖A_k − A^{(j)}‖₂ ≤ ‖A_k − A^{(j)}‖_F ≤ 2^{-k}`` is proven in ball arithmetic.

        Parameters
        ----------
        k : int
            Accuracy level (``k ≥ 0``).
        j : int
            Member.
        adversarial : bool
            Use the common midpoint data for ``k ≤ n``.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            Object arrays of :class:`fractions.Fraction` (shapes ``(m, N)`` and ``(m,)``).

        Theorem: THEORY.md §6.1 (inexact input through oracles).
        Rigor: proven (the error bound is checked in ball arithmetic).
        """
        import flint

        k = _int_arg(k, "k", 0, "pass an accuracy level k ≥ 0")
        if k > MAX_N:
            raise InvalidArgument(f"k={k} is too large: pass 0 ≤ k ≤ {MAX_N}")
        if not isinstance(adversarial, (bool, np.bool_)):
            raise InvalidArgument(f"adversarial={adversarial!r}: pass True or False")
        j = self._check_j(j)
        _refuse_work(4.0 * self.m * self.N, max(self.bits, k + 3.33 * self.K + 96),
                     f"the oracle at level k={k}", "pass a smaller k")
        common = adversarial and k <= self.n
        key = ("oracle", k, 0 if common else j)
        if key in self._cache:
            A_k, y_k = self._cache[key]
            return A_k.copy(), y_k.copy()
        m, N = self.m, self.N
        p = k + 3 + math.ceil(0.5 * math.log2(m * N + 1))  # dyadic grid 2^-p: Frobenius error ≤ 2^-k-2
        bits = max(self.bits, p + int(3.33 * self.K) + 96)
        with precision(prec=bits):
            A_src, y_src, _, _, _ = _instance(self._spec, j, None, "midpoint" if common else "member")
            scale = 2 ** p

            def rnd(b):
                return Fraction(round(_arb_mid_fraction(b) * scale), scale)

            A_k = np.empty((m, N), dtype=object)
            A_k[:, :] = [[rnd(v) for v in r] for r in A_src]
            y_k = np.empty(m, dtype=object)
            y_k[:] = [rnd(v) for v in y_src]
            # prove the bound against member j's exact data (not the midpoint)
            A_j, y_j, _, _, _ = _instance(self._spec, j, None)
            errA = sum((ball_sq(to_arb(A_k[r, c]) - A_j[r][c]) for r in range(m) for c in range(N)),
                       flint.arb(0)).sqrt()
            erry = sum((ball_sq(to_arb(y_k[r]) - y_j[r]) for r in range(m)), flint.arb(0)).sqrt()
            bound = flint.arb(flint.fmpq(1, 2 ** k))
            if not (errA < bound and erry < bound):
                raise InsufficientPrecision(f"could not prove the oracle's error ≤ 2^-{k}",
                                            needed_dps=2 * bits_to_dps(bits))
        self._cache[key] = (A_k, y_k)
        return A_k.copy(), y_k.copy()

    # -- float64 ------------------------------------------------------------------------
    def _float64(self) -> dict[str, Any]:
        import flint

        if "float64" not in self._cache:
            mems = [self.member(j) for j in range(1, self.members + 1)]
            distinct = all(not np.array_equal(mems[a].A_float, mems[b].A_float)
                           for a in range(len(mems)) for b in range(a + 1, len(mems)))
            nearest = True
            undecided = False
            with precision(prec=self.bits):
                for a, ma in enumerate(mems):
                    for b, mb in enumerate(mems):
                        if a == b:
                            continue
                        # the members differ only in columns a and b: the other columns cancel
                        cols = (a, b)
                        d_own = d_other = flint.arb(0)
                        for r in range(self.m):
                            for c in cols:
                                f = flint.arb(float(ma.A_float[r, c]))
                                d_own += ball_sq(f - ma._A[r][c])
                                d_other += ball_sq(f - mb._A[r][c])
                        diff = d_other - d_own
                        if not diff > 0:
                            nearest = False
                            undecided = undecided or not diff <= 0
            ok = distinct and nearest
            self._cache["float64"] = {
                "represents": ok, "distinct": distinct, "nearest_member": nearest,
                "undecided": undecided,
                "reason": ("the float64 roundings of the members are distinct and each is nearer "
                           "to its own member" if ok else
                           "the float64 roundings of some members coincide" if not distinct else
                           "the float64 rounding of a member is not nearer to it than to another "
                           "member (rounding error ≥ half the member separation)"),
            }
        return self._cache["float64"]

    @property
    def float64_represents(self) -> bool:
        """Whether float64 can still represent the family: the members' roundings are
        distinct and each is (provably, in Frobenius norm) nearer to its own member
        than to any other. For ``K = 6`` it turns False from ``n = 34`` (``dct=False``)
        or ``n = 38`` (with the DCT, which spreads the difference over all rows)."""
        return bool(self._float64()["represents"])

    @property
    def float64_report(self) -> dict[str, Any]:
        """Details behind :attr:`float64_represents` (``distinct``, ``nearest_member``, ``reason``)."""
        return dict(self._float64())

    # -- training samples ---------------------------------------------------------------
    def _draw_samples(self) -> list[np.ndarray]:
        sp = self._spec
        if sp.samples == 0:
            return []
        rng = np.random.default_rng(sp.seed)
        out = []
        for _ in range(sp.samples):
            g = np.zeros(sp.N2)
            idx = rng.choice(sp.N2, size=sp.s, replace=False)
            vals = rng.standard_normal(sp.s)
            vals[vals == 0] = 1.0  # probability zero, but the support must be exact
            g[idx] = vals
            out.append(g)
        return out

    def sample(self, k: int, j: int = 1) -> Member:
        """Training sample ``k`` (0-based) of member ``j``: exact data ``y_k`` and certified ``x_k``.

        Theorem: THEORY.md §6.2 (training inputs with exact minimisers).
        Rigor: proven.
        """
        k = _int_arg(k, "k", 0, f"samples are numbered 0..{len(self._g) - 1}")
        if k >= len(self._g):
            raise InvalidArgument(f"k={k}: the family has {len(self._g)} samples "
                                  "(pass samples= to build_family)")
        j = self._check_j(j)
        if (k, j) not in self._samples:
            self._samples[(k, j)] = _make_member(self._spec, j, self._g[k], self.bits, k)
        return self._samples[(k, j)]

    def training_data(self, j: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """All training samples of member ``j`` in float64: ``Y`` of shape ``(R, m)``, ``X`` ``(R, N)``.

        Evaluated in float64 from exactly computed scalars (accurate to a few
        ulps; :meth:`sample` gives the exact data and certified minimisers).

        Theorem: THEORY.md §6.2.
        Rigor: numerical (float64 evaluation of exact formulas).
        """
        import flint

        j = self._check_j(j)
        sp = self._spec
        R = len(self._g)
        if R == 0:
            raise InvalidArgument("the family has no training samples: pass samples=R to build_family")
        with precision(prec=self.bits):
            a, nu = _entries(sp, j)
            a_j = a[j - 1]
            c1, _ = _first_block(sp, a_j, nu, sp.s)
            inv_nu = _arb_to_float(1 / nu)
            c1f = _arb_to_float(c1)
            lam = to_arb(sp.lam)
            shift = (_arb_to_float(lam / (2 * nu)) if sp.kind == "lasso" else
                     _arb_to_float(to_arb(sp.eta) / ((1 / (a_j * a_j) + flint.arb(sp.s) / (nu * nu)).sqrt()
                                                     * nu)) if sp.kind == "qcbp" else 0.0)
            C = (np.array([[_arb_to_float(v) for v in r] for r in _dct_balls(sp.m)])
                 if sp.dct else np.eye(sp.m))
        G = np.stack(self._g)
        Y2 = G + shift * np.sign(G)
        Ypre = np.concatenate([np.ones((R, 1)), Y2], axis=1)
        Y = Ypre @ C.T
        X = np.zeros((R, sp.N))
        X[:, j - 1] = c1f
        X[:, sp.N1:] = G * inv_nu
        return Y, X


def build_family(K: int, n: int, *, problem: str = "srlasso", N1: int = 2, N2: int = 20, s: int = 5,
                 lam: float = 1.0, delta: float = 1 / 6, dct: bool = True, samples: int = 0,
                 seed: int | None = None, eta: float = 0.125, dps: int | None = None,
                 strict: bool = True) -> Family:
    """The impossibility class ``Ω_K`` at precision level ``n`` (THEORY.md §6.2) and its analogues.

    Parameters
    ----------
    K : int
        Accuracy barrier ``10^{-K}``; the theorem needs ``K > 2`` (``strict=False``
        allows ``K = 1, 2``, as in the seed's table).
    n : int
        Precision level ``n ≥ 1``: members differ by ``ε = 2^{-n-1}`` in one entry.
    problem : {"srlasso", "lasso", "qcbp"}
        Program: SR-LASSO (the paper's ``Ω_K``), U-LASSO or QCBP.
    N1 : int
        Number of members (``≥ 2``); ``N = N₁ + N₂`` unknowns.
    N2 : int
        Size of the identity block (``≥ 1``); ``m = N₂ + 1`` measurements.
    s : int
        Sparsity of the training samples' second block (``1 ≤ s ≤ N₂``).
    lam : float
        ``λ ∈ (0, 1]`` (SR-LASSO, U-LASSO), taken as the exact value of the float.
    delta : float
        ``δ ∈ (0, 1/4)`` of the construction (``ρ = 1 − δ``); it cancels from the data.
    dct : bool
        Apply the orthonormal DCT-II ``C`` (``A ← CA``, ``y ← Cy``).
    samples : int
        Number ``R`` of training samples per member (see :meth:`Family.sample`),
        at most :data:`MAX_SAMPLES` (and ``R·N₂ ≤`` :data:`MAX_SAMPLE_ENTRIES`).
    seed : int, optional
        Seed of the samples' supports and Gaussian values.
    eta : float
        QCBP only: ``η ∈ (0, 1)`` (default ``1/8``, exact in binary).
    dps : int, optional
        Working precision; default :func:`required_dps` ``+ 10``.
    strict : bool
        Enforce the theorem's hypothesis ``K > 2``.

    Returns
    -------
    Family

    Raises
    ------
    InvalidArgument
        ``K ≤ 2`` (strict), ``N1 < 2``, ``n < 1``, ``δ ∉ (0, 1/4)``, ``λ ∉ (0, 1]``, ...
    InsufficientPrecision
        ``dps`` below :func:`required_dps` (``needed_dps`` says how many digits).

    Theorem: THEORY.md §6.1–6.2 (impossibility theorem, class Ω_K).
    Rigor: proven (minimisers certified, numbers decided in ball arithmetic).

    Examples
    --------
    >>> fam = build_family(3, 10)
    >>> fam.member(1).support, fam.member(2).support
    ([0], [1])
    >>> 1e-3 < fam.half_jump_lower and fam.jump_bounds[1] < 1e-2
    True
    """
    K = _bounded_int(K, "K", 1, MAX_K, "the barrier is 10^-K")
    if not isinstance(strict, (bool, np.bool_)):
        raise InvalidArgument(f"strict={strict!r}: pass True or False")
    if strict and K <= 2:
        raise InvalidArgument(f"K={K}: the impossibility theorem needs K > 2 (the barrier 10^-K with "
                              "K−1 and K−2 digits achievable); pass K ≥ 3, or strict=False to build "
                              "the class anyway (as the seed's table does for K = 1)")
    n = _bounded_int(n, "n", 1, MAX_N, "the precision level must be n ≥ 1")
    if not isinstance(problem, str) or problem not in KINDS:
        raise InvalidArgument(f"problem={problem!r}: use one of {KINDS}")
    N1 = _bounded_int(N1, "N1", 2, MAX_FAMILY_MEMBERS, "a family needs N1 ≥ 2 members")
    N2 = _int_arg(N2, "N2", 1, "pass N2 ≥ 1")
    s = _int_arg(s, "s", 1, "pass a sparsity 1 ≤ s ≤ N2")
    if s > N2:
        raise InvalidArgument(f"s={s} > N2={N2}: the samples' sparse block has only N2 entries")
    samples = _int_arg(samples, "samples", 0, "pass samples ≥ 0")
    if samples > MAX_SAMPLES:
        raise InvalidArgument(f"samples={samples}: pass at most {MAX_SAMPLES} training samples per member "
                              "(they are drawn one by one when the family is built)")
    if samples * N2 > MAX_SAMPLE_ENTRIES:
        raise InvalidArgument(f"samples={samples} with N2={N2} would store {samples * N2} sample "
                              f"entries (limit {MAX_SAMPLE_ENTRIES}): pass fewer samples or a smaller N2")
    lam = _real_arg(lam, "lam")
    if not 0 < lam <= 1:
        raise InvalidArgument(f"lam={lam}: THEORY.md §6.2 needs λ ∈ (0, 1]")
    delta = _real_arg(delta, "delta")
    if not 0 < delta < 0.25:
        raise InvalidArgument(f"delta={delta}: THEORY.md §6.2 needs δ ∈ (0, 1/4) (the paper uses 1/6)")
    eta = _real_arg(eta, "eta")
    if problem == "qcbp" and not 0 < eta < 1:
        raise InvalidArgument(f"eta={eta}: the QCBP family needs η ∈ (0, 1) (‖y‖ = 1)")
    if not isinstance(dct, (bool, np.bool_)):
        raise InvalidArgument(f"dct={dct!r}: pass True or False")
    if seed is not None:
        seed = _int_arg(seed, "seed", 0, "pass a seed ≥ 0 or None")
    need = required_dps(K, n)
    if dps is None:
        dps = need + GUARD_DPS
    else:
        dps = _int_arg(dps, "dps", 1, "pass a positive number of digits")
        if dps < need:
            raise InsufficientPrecision(
                f"dps={dps} cannot separate the members of Ω_{K} at n={n} (their largest entries "
                f"≈ 10^{K} differ by 2^-{n + 1}): pass dps ≥ {need}", needed_dps=need)
    # refuse what cannot be computed before any exact arithmetic (10^K, 2^-n, the balls)
    from theorycheck.numerics.validation import refuse_size

    refuse_size(estimated_family_seconds(N1, N2, min(dps, 10 ** 9)), MAX_FAMILY_SECONDS,
                f"the family Ω_{K} at n={n} with N1={N1}, N2={N2} and {dps} digits (estimated seconds)",
                "use smaller K, n, N1, N2 or dps")
    spec = _Spec(K, n, problem, N1, N2, s, lam, eta if problem == "qcbp" else 0.0, delta, bool(dct),
                 samples, seed, bool(strict))
    # the members must be separable at this precision (decided in balls)
    with precision(dps=dps):
        a, _ = _entries(spec, 1)
        if N1 > 1 and not a[0] > a[1]:
            raise InsufficientPrecision(f"the members cannot be separated at {dps} digits",
                                        needed_dps=2 * dps)
    return Family(spec, dps)


# --------------------------------------------------------------------------------------
# THEORY.md §6.3: the 3×2 LASSO
# --------------------------------------------------------------------------------------

def _arb_mid_fraction(b: Any) -> Fraction:
    man, exp = b.mid().man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2 ** exp) if exp >= 0 else Fraction(man, 2 ** (-exp))


def lasso_3x2_family(delta: Any, *, scaling: str = "1/m", lam: Any = Fraction(1, 10),
                     dps: int | None = None) -> Member:
    """The 3×2 LASSO of THEORY.md §6.3 ("fails in MATLAB") with its certified minimiser.

    ``min_x f‖A_δ D_δ x − y‖² + λ‖x‖₁`` with ``f = 1/m`` (the seed's formula) or
    ``f = 1/(2m)`` (MATLAB's and scikit-learn's scaling), ``m = 3``,
    ``A_δ = [[1/√2 − δ, 1/√2], [−1/√2 − δ, −1/√2], [2δ, 0]]``,
    ``y = (1/√2, −1/√2, 0)`` and ``D_δ`` scaling the columns to norm ``√m``.
    For every ``δ ≠ 0`` the unique minimiser is ``x* = (0, 1/√3 − λ/(6f))``
    (``(0, (√3 − 0.15)/3)`` for ``f = 1/m``, ``λ = 1/10``); its dual slack is
    ``≈ 3δ²`` (relative), so float64 solvers fail for small ``δ``.

    Parameters
    ----------
    delta : float, int, Fraction
        ``δ ≠ 0``, taken as the exact value given (a float is the dyadic number it is).
    scaling : {"1/m", "1/(2m)"}
        Data-term scaling ``f``.
    lam : Fraction or float
        ``λ`` (default exactly ``1/10``).
    dps : int, optional
        Working precision (default: enough to decide the dual slack).

    Returns
    -------
    Member
        ``A_exact = A_δ D_δ`` (the program's matrix), ``A_delta = A_δ``, ``D = D_δ``,
        ``y_exact``, ``x_star`` (scaled coordinates), ``z_star = D x*`` (original
        coordinates), ``problem = Lasso(A_float, lam=λ/f)`` (our ``λ'‖x‖₁ + ‖Bx − y‖²``
        with ``λ' = λ/f``, rounded to float64; ``x_star`` is for the exact ``λ``),
        ``sklearn_alpha = λ/(2mf)``, ``delta``, ``lam``, ``lam_prime``,
        ``scaling`` and ``scaling_factor = f`` (fractions).

    Raises
    ------
    InvalidArgument
        ``δ = 0`` (the minimiser is not unique), non-finite or non-real ``δ``, unknown ``scaling``.

    Theorem: THEORY.md §6.3 (unique minimiser for every δ ≠ 0).
    Rigor: proven (``solve_exact`` on the exact data, which are balls).

    Examples
    --------
    >>> mem = lasso_3x2_family(2 ** -7)
    >>> [round(float(v), 9) for v in mem.x_star]
    [0.0, 0.527350269]
    """
    import flint
    import mpmath

    if not isinstance(scaling, str) or scaling not in ("1/m", "1/(2m)"):
        raise InvalidArgument(f"scaling={scaling!r}: use '1/m' (the seed's formula) or '1/(2m)' (MATLAB)")
    if isinstance(delta, str):
        raise InvalidArgument(f"delta={delta!r}: pass a real number δ ≠ 0 (a float, int or Fraction)")
    d = _exact_real(delta, "delta")
    if d == 0:
        raise InvalidArgument("delta=0: the two columns coincide and the minimiser is not unique; "
                              "pass δ ≠ 0")
    lam_f = _exact_real(lam, "lam")
    if lam_f <= 0:
        raise InvalidArgument(f"lam={lam}: pass λ > 0")
    m = 3
    f = Fraction(1, m) if scaling == "1/m" else Fraction(1, 2 * m)
    # the support {2} is optimal while λ/(6f) < 1/√3 (the coefficient stays positive)
    if not (lam_f / (6 * f)) ** 2 < Fraction(1, 3):
        raise InvalidArgument(f"lam={lam}: too large, the minimiser is 0; pass λ < {float(6 * f / 3 ** 0.5):.4g}")
    lam_prime = lam_f / f  # our Lasso: λ'‖x‖₁ + ‖Bx − y‖² with λ' = λ/f
    # dual slack ≈ 3δ²: decide it with ~2 log10(1/δ) + 20 digits (log10 from the exact bit lengths,
    # so that δ below the float range is sized right)
    log2_inv = abs(d.denominator).bit_length() - abs(d.numerator).bit_length()
    need = int(2 * max(0.0, 0.30103 * (log2_inv + 1)) + 25)
    if need > MAX_3X2_DPS:
        raise InvalidArgument(f"delta={float(d):.3g}: deciding the dual slack ≈ 3δ² needs about {need} "
                              f"digits (limit {MAX_3X2_DPS}); pass |δ| ≥ 10^-{(MAX_3X2_DPS - 25) // 2}")
    if dps is None:
        dps = max(30, need)
    else:
        dps = _bounded_int(dps, "dps", 5, MAX_3X2_DPS, "working precision in digits")
    bits = dps_to_bits(dps)

    def balls(scale_sq: Fraction | None = None):
        db = flint.arb(flint.fmpq(d.numerator, d.denominator))
        r = 1 / flint.arb(2).sqrt()
        A = [[r - db, r], [-r - db, -r], [2 * db, flint.arb(0)]]
        D = [flint.arb(3).sqrt() / (1 + 6 * db * db).sqrt(), flint.arb(3).sqrt()]
        B = [[A[i][k] * D[k] for k in range(2)] for i in range(3)]
        y = [r, -r, flint.arb(0)]
        if scale_sq is not None:  # scale the data so that the certificate's λ is exactly 1
            t = flint.arb(flint.fmpq(scale_sq.numerator, scale_sq.denominator)).sqrt()
            B = [[v * t for v in row] for row in B]
            y = [v * t for v in y]
        return A, D, B, y

    # ‖s(Bx − y)‖² + s²λ'‖x‖₁ with s² = 1/λ' has the same minimiser and λ = 1 exactly
    s2 = 1 / lam_prime

    def data(dps_: int):
        with precision(prec=max(dps_to_bits(dps_), int(flint.ctx.prec))):
            _, _, B, y = balls(s2)
        return B, y

    t0 = time.perf_counter()
    from theorycheck.solvers.exact import solve_exact

    with precision(prec=bits):
        A, D, B, y = balls()
        Bf = np.array([[_arb_to_float(v) for v in r] for r in B])
        _, _, Bs, ys = balls(s2)
        Bsf = np.array([[_arb_to_float(v) for v in r] for r in Bs])
        sol = solve_exact(Lasso(Bsf, lam=1.0), None, data=data, support=[1], signs=[1], dps=dps,
                          max_dps=max(4 * dps, 400))
        x2 = 1 / flint.arb(3).sqrt() - flint.arb(flint.fmpq(lam_f.numerator, lam_f.denominator)) / (
            6 * flint.arb(flint.fmpq(f.numerator, f.denominator)))
        x = [flint.arb(0), x2]
        for k, (mid, rad) in enumerate(sol.enclosure):
            if not flint.arb(mid, rad).overlaps(x[k]):
                raise SolverError(f"internal: closed form and certificate disagree at {k}")
        if list(sol.info["support"]) != [1]:
            raise SolverError("internal: the certified support is not {2}")
        sol = dataclasses.replace(sol, solver="exact (3×2 LASSO, data scaled to λ = 1)")
        Dm = mpmath.matrix([[_arb_to_mpf(D[0]), 0], [0, _arb_to_mpf(D[1])]])
        A_delta = mpmath.matrix([[_arb_to_mpf(v) for v in r] for r in A])
        z_star = mpmath.matrix([[0], [_arb_to_mpf(D[1] * x2)]])
    problem = Lasso(Bf, lam=float(lam_prime))
    extra = {"A_delta": A_delta, "z_star": z_star, "delta": d, "scaling": scaling,
             "scaling_factor": f, "lam": lam_f,
             "lam_prime": lam_prime, "sklearn_alpha": float(lam_f / (2 * m * f)),
             "elapsed_s": time.perf_counter() - t0}
    return Member(index=0, kind="lasso", problem=problem, A_balls=B, y_balls=y, x_balls=x,
                  support=[1], solution=sol, bits=bits,
                  data=lambda dps_: _unscaled_data(d, dps_), D=Dm, extra=extra)


#: largest working precision (digits) of :func:`lasso_3x2_family`
MAX_3X2_DPS = 50_000
_MAX_RATIONAL_BITS = 400_000


def _exact_real(v: Any, name: str) -> Fraction:
    """The exact rational value of a finite real number (int, float, Fraction, numpy scalar, p/q string)."""
    if isinstance(v, (bool, np.bool_)):
        raise InvalidArgument(f"{name}={v!r}: pass a real number, not a bool")
    if isinstance(v, str):
        t = v.strip()
        if len(t) > 1000:
            raise InvalidArgument(f"{name}: the string is too long")
        try:
            f = Fraction(t)
        except (ValueError, ZeroDivisionError):
            raise InvalidArgument(f"{name}={v!r}: not a number (pass e.g. 0.1 or '1/10')") from None
    elif isinstance(v, (numbers.Real, Fraction, np.floating, np.integer)):
        try:
            f = to_fraction(v)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidArgument(f"{name}={v!r}: pass a finite real number ({exc})") from None
    else:
        raise InvalidArgument(f"{name}={v!r}: pass a finite real number")
    if max(abs(f.numerator).bit_length(), f.denominator.bit_length()) > _MAX_RATIONAL_BITS:
        raise InvalidArgument(f"{name}: numerator or denominator longer than {_MAX_RATIONAL_BITS} bits")
    return f


def _unscaled_data(d: Fraction, dps: int):
    import flint

    with precision(prec=max(dps_to_bits(dps), int(flint.ctx.prec))):
        db = flint.arb(flint.fmpq(d.numerator, d.denominator))
        r = 1 / flint.arb(2).sqrt()
        D = [flint.arb(3).sqrt() / (1 + 6 * db * db).sqrt(), flint.arb(3).sqrt()]
        A = [[r - db, r], [-r - db, -r], [2 * db, flint.arb(0)]]
        return [[A[i][k] * D[k] for k in range(2)] for i in range(3)], [r, -r, flint.arb(0)]


# --------------------------------------------------------------------------------------
# running solvers on the families
# --------------------------------------------------------------------------------------

#: statuses by which a solver reports success (anything else is a declared failure)
SUCCESS_STATUSES = ("optimal", "returned")
#: largest grid of ``(K, n)`` cells :func:`check_solver_on_family` accepts
MAX_GRID_CELLS = 10_000
_MAX_TEXT = 2_000          # characters kept of one status, warning or exception message
_MAX_WARNINGS = 50         # distinct warnings kept per member
_WITNESS_KEYS = frozenset({"answers", "family", "solver", "status", "warnings", "exceptions",
                           "answer_problems", "time_s"})
_FAMILY_KEYS = frozenset({"K", "n", "problem", "N1", "N2", "s", "lam", "eta", "delta", "dct",
                          "samples", "seed", "strict", "dps"})
#: what each member's answer came to (``values["member_outcomes"]``)
MEMBER_OUTCOMES = ("accurate", "silent_failure", "invalid_answer", "undecided", "loud_failure")


def _solver_callable(solver: Any) -> tuple[Callable, str]:
    if isinstance(solver, str):
        from theorycheck.solvers import METHODS, solve

        if solver not in METHODS:
            raise InvalidArgument(f"solver={solver!r}: pass a callable solver(problem, y) or one of "
                                  f"{sorted(METHODS)}")
        return (lambda P, y: solve(P, y, method=solver)), solver
    if not callable(solver):
        raise InvalidArgument("solver must be a callable solver(problem, y) -> array or Solution, "
                              "or a method name of theorycheck.solve")
    name = getattr(solver, "__name__", None)
    return solver, (name if isinstance(name, str) else type(solver).__name__)[:200]


def _clip(text: Any) -> str:
    return str(text)[:_MAX_TEXT]


def _torch_numpy(t: Any) -> np.ndarray:
    """A tensor's values as numpy (bfloat16/float16 widened exactly; numpy has no bfloat16)."""
    import torch

    t = t.detach().cpu().resolve_conj()
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.to(torch.float64)
    elif t.dtype == torch.complex32:
        t = t.to(torch.complex128)
    return t.numpy()


def _answer_vector(x: Any, N: int) -> tuple[np.ndarray | None, str]:
    """``(vector, "")`` for a usable answer (float64 or complex128, exactly converted), else ``(None, why)``."""
    from theorycheck.numerics.backend import is_torch

    try:
        if is_torch(x):
            x = _torch_numpy(x)
        arr = np.asarray(x)
    except Exception as exc:  # noqa: BLE001 - ragged lists, objects that refuse conversion
        return None, f"the answer cannot be read as an array ({type(exc).__name__})"
    if arr.dtype.kind not in "iufc":
        return None, f"the answer is not a numeric vector (dtype {arr.dtype})"
    if arr.size != N or sum(d != 1 for d in arr.shape) > 1:
        return None, f"the answer has shape {arr.shape}, the minimiser has {N} entries"
    flat = arr.reshape(-1)
    target = np.dtype(np.complex128 if flat.dtype.kind == "c" else np.float64)
    with np.errstate(all="ignore"):
        conv = flat.astype(target)
        if flat.dtype.kind in "iu":  # integers beyond 2^53 would be rounded
            exact = bool(np.all((flat >= -(2 ** 53)) & (flat <= 2 ** 53)))
        elif flat.dtype.itemsize <= target.itemsize:
            exact = True  # float16/32/64, complex64/128: exact in binary64
        else:  # long double: exact only if every entry survives the round trip
            exact = bool(np.all((conv.astype(flat.dtype) == flat) | ~np.isfinite(flat)))
    if not exact:
        return None, f"the answer's dtype {arr.dtype} cannot be converted to {np.dtype(target)} exactly"
    if not np.all(np.isfinite(conv)):
        return None, "the answer contains NaN or inf"
    return conv, ""


def _run_solver(fn: Callable, member: Member) -> dict[str, Any]:
    """Call the solver on the member's float64 data; record answer, status, warnings, exception, time."""
    rec: dict[str, Any] = {"x": None, "status": "", "warnings": [], "exception": "",
                           "answer_problem": ""}
    N = member.problem.A.shape[1]
    t0 = time.perf_counter()
    out = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(member.problem, member.y_float.copy())
            raised = False
        except Exception as exc:  # noqa: BLE001 - a solver failing loudly is an honest failure
            raised = True
            rec["exception"] = _clip(f"{type(exc).__name__}: {exc}") or "exception"
        if not raised:
            try:
                status = getattr(out, "status", None)
                x = getattr(out, "x", out)
                rec["status"] = _clip(status) if status is not None else "returned"
                rec["x"], rec["answer_problem"] = _answer_vector(x, N)
            except Exception as exc:  # noqa: BLE001 - an answer object that breaks when read
                rec["status"] = rec["status"] or "returned"
                rec["x"], rec["answer_problem"] = None, _clip(
                    f"the answer cannot be read ({type(exc).__name__}: {exc})")
        else:
            rec["status"] = "raised"
            rec["answer_problem"] = "no answer (the solver raised)"
    rec["time_s"] = float(time.perf_counter() - t0)
    rec["warnings"] = sorted({_clip(f"{w.category.__name__}: {w.message}") for w in caught})[:_MAX_WARNINGS]
    return rec


def _records_witness(fam: "Family", recs: list[dict[str, Any]], solver_name: str) -> Witness:
    cplx = any(r["x"] is not None and np.iscomplexobj(r["x"]) for r in recs)
    # members without a usable answer get a row of zeros (never NaN: an edit must change the bits)
    answers = np.zeros((len(recs), fam.N), dtype=np.complex128 if cplx else np.float64)
    for j, r in enumerate(recs):
        if r["x"] is not None:
            answers[j] = r["x"]
    return Witness("solver_answers", {
        "answers": answers, "family": fam.params, "solver": solver_name,
        "status": [r["status"] for r in recs], "warnings": [list(r["warnings"]) for r in recs],
        "exceptions": [r["exception"] for r in recs],
        "answer_problems": [r["answer_problem"] for r in recs],
        "time_s": [float(r["time_s"]) for r in recs]})


def _digits(hi: float) -> float:
    """A lower bound on ``−log10(hi)`` (``inf`` for 0), rounded deterministically (ball arithmetic)."""
    import flint

    if hi == 0:
        return float("inf")
    with precision(prec=80):
        return ball_lower(-(flint.arb(hi).log() / flint.arb(10).log()))


def _assemble(fam: "Family", w: Witness) -> CheckResult:
    """Every value, the outcome, rigor and message of a family cell, from the witness alone.

    Deterministic (ball arithmetic and exact rational comparisons with the
    barrier ``10^{-K}``), so :func:`verify_solver_on_family` re-derives the
    saved result bit for bit.
    """
    answers = w["answers"]
    solver_name = w["solver"]
    barrier_q = Fraction(1, 10 ** fam.K)
    N1 = fam.members
    dist_lo: list[float] = []
    dist_hi: list[float] = []
    digits: list[float] = []
    kinds: list[str] = []
    reported = []
    for j in range(1, N1 + 1):
        i = j - 1
        ok = (not w["exceptions"][i] and not w["warnings"][i]
              and w["status"][i] in SUCCESS_STATUSES)
        reported.append(ok)
        if w["answer_problems"][i]:
            dist_lo.append(float("nan"))
            dist_hi.append(float("nan"))
            digits.append(0.0)
            kinds.append("invalid_answer" if ok else "loud_failure")
            continue
        lo, hi = fam.member(j).distance(answers[i])
        dist_lo.append(lo)
        dist_hi.append(hi)
        digits.append(_digits(hi))
        if Fraction(hi) <= barrier_q:
            kinds.append("accurate")
        elif not ok:
            kinds.append("loud_failure")
        elif Fraction(lo) > barrier_q:
            kinds.append("silent_failure")
        else:
            kinds.append("undecided")
    pick = lambda kind: [j for j, k in enumerate(kinds, start=1) if k == kind]  # noqa: E731
    silent, invalid, undecided = pick("silent_failure"), pick("invalid_answer"), pick("undecided")
    accurate, loud = pick("accurate"), pick("loud_failure")
    f64 = fam.float64_report
    note = "" if f64["represents"] else f" Float64 cannot represent this input: {f64['reason']}."
    K = fam.K
    rigor = Rigor.PROVEN
    if silent or invalid:
        outcome = Outcome.VIOLATED
        parts = []
        if silent:
            parts.append(f"silent failure on member(s) {silent}: {solver_name} reported success but "
                         f"is ≥ {min(dist_lo[j - 1] for j in silent):.3g} > 10^-{K} from the "
                         "certified minimiser")
        if invalid:
            parts.append(f"invalid answer on member(s) {invalid}: {solver_name} reported success but "
                         f"returned no usable vector ({w['answer_problems'][invalid[0] - 1]})")
        msg = "; ".join(parts) + "." + note
    elif undecided:
        outcome = Outcome.INCONCLUSIVE
        msg = f"the error on member(s) {undecided} straddles the barrier 10^-{K}.{note}"
    elif not accurate:
        outcome, rigor = Outcome.INCONCLUSIVE, Rigor.NUMERICAL
        first = w["exceptions"][0] or (w["warnings"][0][0] if w["warnings"][0] else
                                       f"status {w['status'][0]!r}")
        msg = (f"nothing was checked: {solver_name} reported failure on every member (loud failures, "
               f"not silent ones; member 1: {first[:200]}).{note}")
    else:
        outcome = Outcome.HOLDS
        msg = ((f"{solver_name} is within 10^-{K} on member(s) {accurate} and reports failure on "
                f"member(s) {loud}" if loud else
                f"{solver_name} is within 10^-{K} of every member's minimiser") + "." + note)
    values = {
        "K": K, "n": fam.n, "problem": fam.kind, "family": fam.params,
        "barrier": float(barrier_q),
        "digits": digits, "min_digits": float(min(digits)) if digits else 0.0,
        "distance_lower": dist_lo, "distance_upper": dist_hi,
        "status": list(w["status"]), "warnings": [len(v) for v in w["warnings"]],
        "warning_messages": [list(v) for v in w["warnings"]],
        "errors": list(w["exceptions"]), "answer_problems": list(w["answer_problems"]),
        "time_s": list(w["time_s"]),
        "reported_success": reported, "member_outcomes": kinds,
        "silent_failures": silent, "invalid_answers": invalid, "undecided": undecided,
        "loud_failures": loud, "accurate": accurate,
        "checked_members": len(accurate) + len(silent) + len(invalid) + len(undecided),
        "float64_represents": bool(f64["represents"]), "float64_reason": f64["reason"],
        "jump": fam.jump, "half_jump_lower": fam.half_jump_lower,
    }
    return CheckResult(_CHECK, outcome, rigor, msg, values, w, _THEOREM)


def _evaluate_cell(fam: "Family", recs: list[dict[str, Any]], solver_name: str) -> CheckResult:
    return _assemble(fam, _records_witness(fam, recs, solver_name))


def _grid(values: Any, name: str) -> list[int]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidArgument(f"{name} must be an iterable of integers, got {values!r}")
    out = []
    for v in itertools.islice(values, MAX_GRID_CELLS + 1):
        out.append(_int_arg(v, f"an entry of {name}", 1, f"every entry of {name} must be an integer ≥ 1"))
    if len(out) > MAX_GRID_CELLS:
        raise InvalidArgument(f"{name} has more than {MAX_GRID_CELLS} entries: pass a finite, smaller grid")
    if not out:
        raise InvalidArgument("K_values and n_values must not be empty")
    return out


def check_solver_on_family(solver: Any, family_or_builder: Any = None, *,
                           K_values: Iterable[int] | None = None,
                           n_values: Iterable[int] | None = None,
                           progress: bool = False,
                           callback: Callable[[CheckResult], Any] | None = None) -> Report:
    """Run a solver on impossibility families and report digits, silent failures and float64 limits.

    For every ``(K, n)`` and every member ``j`` the solver gets the member's
    program on float64 data (``solver(member.problem, member.y_float)``); its
    answer is compared with the certified minimiser in ball arithmetic.

    Each member's answer is classified (``values["member_outcomes"]``):

    * ``accurate`` — a usable vector provably within ``10^{-K}`` of the minimiser;
    * ``silent_failure`` — the solver *reported success* (no exception, no
      warning, status ``"optimal"`` or a plain array) yet its answer is
      provably farther than ``10^{-K}``;
    * ``invalid_answer`` — the solver reported success but returned no usable
      vector (NaN/inf, wrong size, a string, a non-numeric or inexactly
      convertible dtype): a silent failure too;
    * ``loud_failure`` — the solver said it failed (raised, warned, or
      returned a status other than ``"optimal"``) and its answer is not
      accurate: an honest failure, not a violation;
    * ``undecided`` — success reported, the error straddles ``10^{-K}``.

    Parameters
    ----------
    solver : callable or str
        ``solver(problem, y) -> array or Solution`` (a ``Solution``'s ``status``
        is read), or a method name of :func:`theorycheck.solve`.
    family_or_builder : Family or callable, optional
        A :class:`Family` (its construction parameters are reused for every
        ``(K, n)``) or ``builder(K, n) -> Family``; default :func:`build_family`.
    K_values, n_values : iterable of int, optional
        The grid (default: the given family's ``K`` and ``n``; required
        otherwise; at most :data:`MAX_GRID_CELLS` entries each).
    progress : bool
        Show a tqdm bar.
    callback : callable, optional
        ``callback(result)`` after each ``(K, n)``.

    Returns
    -------
    Report
        One ``solver_on_impossibility_family`` result per ``(K, n)``:
        ``violated [proven]`` when some member is a silent failure or an
        invalid answer; ``inconclusive [proven]`` when an error straddles the
        barrier; ``inconclusive [numerical]`` when *nothing was checked* (the
        solver failed loudly on every member — honest, but it proves nothing
        about the solver); ``holds [proven]`` when at least one member is
        accurate and every other one is a loud failure. When some cell checked
        nothing the report is ``strict`` (inconclusive cells fail it), so
        ``Report.passed`` is False: a solver that answers nothing cannot pass.
        ``values``: ``digits`` per member (a certified lower bound on
        ``−log10`` of the error; 0 without an answer), distances, statuses,
        warnings, exceptions, the member outcomes, ``float64_represents``
        (False where float64 can no longer tell the members apart) and the
        certified ``jump``. The witness stores every answer and what the
        solver reported, so :func:`verify_solver_on_family` re-derives all of it.

    Theorem: THEORY.md §6.1 (no algorithm reaches 10^{-K} on Ω_K from inexact input).
    Rigor: proven (errors decided in ball arithmetic against certified minimisers,
    compared exactly with 10^{-K}); numerical for cells where nothing was checked.
    """
    fn, name = _solver_callable(solver)
    if not isinstance(progress, (bool, np.bool_)):
        raise InvalidArgument(f"progress={progress!r}: pass True or False")
    if callback is not None and not callable(callback):
        raise InvalidArgument("callback must be callable (it receives each cell's result)")
    if isinstance(family_or_builder, Family):
        base = family_or_builder.params
        K_values = [base["K"]] if K_values is None else K_values
        n_values = [base["n"]] if n_values is None else n_values

        def builder(K: int, n: int) -> Family:
            if (K, n) == (base["K"], base["n"]):
                return family_or_builder
            kw = {k: v for k, v in base.items() if k not in ("K", "n", "dps")}
            return build_family(K, n, **kw)
    elif family_or_builder is None:
        builder = build_family
    elif callable(family_or_builder):
        builder = family_or_builder
    else:
        raise InvalidArgument("family_or_builder must be a Family, a callable builder(K, n), or None")
    if K_values is None or n_values is None:
        raise InvalidArgument("pass K_values= and n_values= (the grid of (K, n) to test)")
    Ks = _grid(K_values, "K_values")
    ns = _grid(n_values, "n_values")
    if len(Ks) * len(ns) > MAX_GRID_CELLS:
        raise InvalidArgument(f"the grid has {len(Ks) * len(ns)} cells, more than {MAX_GRID_CELLS}")
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(Ks) * len(ns), desc="check_solver_on_family", leave=False)
    results = []
    try:
        for K in Ks:
            for n in ns:
                fam = builder(K, n)
                if not isinstance(fam, Family):
                    raise InvalidArgument("the builder must return a Family (see build_family)")
                recs = [_run_solver(fn, fam.member(j)) for j in range(1, fam.members + 1)]
                res = _evaluate_cell(fam, recs, name)
                results.append(res)
                if callback is not None:
                    callback(res)
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    nothing = any(r.values.get("checked_members", 1) == 0 for r in results)
    return Report(results, title=f"{name} on impossibility families (THEORY.md §6)", strict=nothing)


def _witness_problems(w: Any) -> list[str]:
    """Shape and type checks of a saved family witness (before any work)."""
    if not isinstance(w, Witness):
        return ["witness: missing (nothing to re-check)"]
    if w.kind != "solver_answers":
        return [f"witness.kind: expected 'solver_answers', got {w.kind!r}"]
    keys = set(w.data)
    if keys != _WITNESS_KEYS:
        out = []
        if _WITNESS_KEYS - keys:
            out.append(f"witness: missing field(s) {sorted(_WITNESS_KEYS - keys)}")
        if keys - _WITNESS_KEYS:
            out.append(f"witness: unknown field(s) {sorted(keys - _WITNESS_KEYS)}")
        return out
    out = []
    fam = w["family"]
    if not isinstance(fam, dict) or set(fam) != _FAMILY_KEYS:
        return ["witness.family: expected the parameters of build_family "
                f"({', '.join(sorted(_FAMILY_KEYS))})"]
    for k, v in fam.items():
        if not (v is None or isinstance(v, (bool, int, float, str))):
            out.append(f"witness.family[{k!r}]: a {type(v).__name__} is not a parameter value")
        if isinstance(v, str) and len(v) > 20:
            out.append(f"witness.family[{k!r}]: string too long")
    if not isinstance(w["solver"], str) or len(w["solver"]) > 200:
        out.append("witness.solver: expected a solver name (a string of at most 200 characters)")
    N1 = fam.get("N1")
    if not isinstance(N1, int) or isinstance(N1, bool) or not 2 <= N1 <= MAX_FAMILY_MEMBERS:
        out.append(f"witness.family['N1']: expected an integer in [2, {MAX_FAMILY_MEMBERS}]")
        return out
    for key in ("status", "exceptions", "answer_problems"):
        v = w[key]
        if not isinstance(v, (list, tuple)) or len(v) != N1 or not all(
                isinstance(t, str) and len(t) <= _MAX_TEXT for t in v):
            out.append(f"witness.{key}: expected {N1} strings (one per member)")
    v = w["warnings"]
    if not isinstance(v, (list, tuple)) or len(v) != N1 or not all(
            isinstance(ws, (list, tuple)) and len(ws) <= _MAX_WARNINGS
            and all(isinstance(t, str) and len(t) <= _MAX_TEXT for t in ws) for ws in v):
        out.append(f"witness.warnings: expected {N1} lists of warning messages")
    v = w["time_s"]
    if not isinstance(v, (list, tuple)) or len(v) != N1 or not all(
            isinstance(t, float) and math.isfinite(t) and t >= 0 for t in v):
        out.append(f"witness.time_s: expected {N1} finite non-negative times")
    a = w["answers"]
    if not isinstance(a, np.ndarray) or a.dtype not in (np.dtype(np.float64), np.dtype(np.complex128)):
        out.append("witness.answers: expected a float64 or complex128 array")
    elif isinstance(fam.get("N2"), int) and a.shape != (N1, N1 + fam["N2"]):
        out.append(f"witness.answers: shape {a.shape}, the family needs ({N1}, {N1 + fam['N2']})")
    elif not out:
        for i in range(N1):
            bad = w["answer_problems"][i]
            row = a[i]
            if not bad and not np.all(np.isfinite(row)):
                out.append(f"witness.answers[{i}]: not finite, yet stored as a usable answer")
            if bad and np.any(row != 0):
                out.append(f"witness.answers[{i}]: nonzero for a member without a usable answer")
            if not bad and w["status"][i] == "raised":
                out.append(f"witness.status[{i}]: 'raised' with a usable answer")
            if bool(w["exceptions"][i]) != (w["status"][i] == "raised"):
                out.append(f"witness.exceptions[{i}]: inconsistent with status {w['status'][i]!r}")
    return out


@register_verifier(_CHECK)
def verify_solver_on_family(result: CheckResult) -> CheckResult:
    """Re-check a saved :func:`check_solver_on_family` result from its witness.

    Validates the witness (field set, types, lengths, bounded family
    parameters: absurd sizes or precisions are refused before any work),
    rebuilds the family deterministically from the stored parameters
    (which must be exactly the rebuilt family's parameters), re-certifies the
    minimisers and re-derives every value, the outcome, the rigor and the
    message from the stored answers and what the solver reported; every field
    must agree exactly with the file (:func:`~theorycheck.results.claim_mismatches`).
    The solver itself is not re-run: its answers, statuses, warnings,
    exceptions and times are the witness.

    Theorem: THEORY.md §6.1–6.2.
    Rigor: proven (the saved result's rigor, re-derived).
    """
    from theorycheck.errors import TheorycheckError
    from theorycheck.results import claim_mismatches, verification

    if not isinstance(result, CheckResult):
        raise InvalidArgument(f"verify_solver_on_family takes a CheckResult, got {type(result).__name__}")
    w = result.witness
    problems = _witness_problems(w)
    if not problems:
        params = dict(w["family"])
        try:
            fam = build_family(**params)
        except TheorycheckError as exc:
            problems.append(f"witness.family: the stored parameters are refused: {exc}")
        else:
            if not _same(params, fam.params):
                problems.append("witness.family: not the canonical parameters of the family they "
                                f"build ({fam.params})")
            else:
                try:
                    derived = _assemble(fam, w)
                except TheorycheckError as exc:
                    problems.append(f"witness: cannot be re-evaluated: {exc}")
                else:
                    problems.extend(claim_mismatches(result, derived))
    return verification(result, problems, rederived=(
        "family rebuilt from its parameters, minimisers re-certified, every distance, digit, "
        "member outcome, value, the outcome, rigor and message re-derived from the stored answers"),
        not_rechecked="the solver is not re-run: its answers, statuses, warnings and times are the witness")


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        type(a[k]) is type(b[k]) and (a[k] == b[k]) for k in a)
