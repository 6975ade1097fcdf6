"""The impossibility class ``Ω_K`` and its U-LASSO and QCBP analogues (docs/theory.md §6.2).

:func:`build_family` builds the class ``Ω_K`` of docs/theory.md §6.2 (SR-LASSO) and
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

Training samples ``y_k = C(1, g_k + r_k)`` with ``s``-sparse Gaussian ``g_k``
have the exact minimisers ``x_k = x*_first-block ⊕ g_k/ν`` (``r_k`` is 0 for
SR-LASSO, ``λ sign(g_k)/(2ν)`` for U-LASSO and the active-constraint residual
for QCBP).

Every member's minimiser is *certified*: U-LASSO and QCBP by
:func:`theorycheck.solvers.exact.solve_exact` fed the data as python-flint
balls (``data=``); SR-LASSO by the interpolating dual certificate of
:mod:`theorycheck.impossibility.certificate`.

Theorem: impossibility theorem, class Ω_K (docs/theory.md §6.1–6.2, Colbrook–Antun–Hansen 2022).
Rigor: proven (minimisers, jumps, condition numbers and oracle error bounds are decided in
python-flint ball arithmetic).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from fractions import Fraction
from typing import Any, Callable

import flint
import mpmath
import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, SolverError
from theorycheck.impossibility._balls import (
    arb_mid_fraction,
    arb_to_float,
    arb_to_mpf,
    ball_strings,
    dct_balls,
)
from theorycheck.impossibility._common import (
    GUARD_DPS,
    KINDS,
    MAX_FAMILY_MEMBERS,
    MAX_FAMILY_SECONDS,
    MAX_K,
    MAX_N,
    MAX_SAMPLE_ENTRIES,
    MAX_SAMPLES,
    answer_vector,
    bounded_int,
    estimated_family_seconds,
    refuse_work,
    required_dps,
)
from theorycheck.impossibility.certificate import certify_interpolating_dual, solution_from_balls
from theorycheck.impossibility.condition import (
    ConditionBound,
    feasibility_condition_balls,
    srlasso_condition_balls,
)
from theorycheck.numerics.exact import ball_lower, ball_sq, ball_upper, to_arb
from theorycheck.numerics.precision import bits_to_dps, dps_to_bits, precision
from theorycheck.numerics.validation import bool_arg, choice_arg, finite_real_arg, integer_arg, refuse_size
from theorycheck.problems.programs import QCBP, Lasso, Program, SRLasso
from theorycheck.solvers.certify import distance_to_enclosure
from theorycheck.solvers.exact import solve_exact
from theorycheck.solvers.solution import Solution

__all__ = ["Member", "Family", "build_family"]


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
        C = dct_balls(m)
        A = [[C[r][0] * a[i] for i in range(N1)] + [C[r][1 + l] * nu for l in range(spec.N2)]
             for r in range(m)]
        y = [C[r][0] + sum((C[r][1 + l] * y2[l] for l in supp), zero) for r in range(m)]
    else:
        A = [list(a) + [zero] * spec.N2] + [[zero] * N1 + [nu if l == r else zero for l in range(spec.N2)]
                                            for r in range(spec.N2)]
        y = [flint.arb(1)] + y2
    return A, y, x, S, sig



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
        :func:`~theorycheck.impossibility.build_lasso_3x2` only: the column scaling ``D_δ``.

    Theorem: docs/theory.md §6.2–6.3 (the minimiser is unique; strict dual feasibility).
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
            with precision(prec=self.bits):
                self._cache[key] = mpmath.matrix([[arb_to_mpf(v) for v in r] for r in rows])
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
            self._cache["Af"] = np.array([[arb_to_float(v) for v in r] for r in self._A])
        return self._cache["Af"]

    @property
    def y_float(self) -> np.ndarray:
        """float64 rounding of ``y`` (nearest)."""
        if "yf" not in self._cache:
            self._cache["yf"] = np.array([arb_to_float(v) for v in self._y])
        return self._cache["yf"]

    @property
    def x_star_float(self) -> np.ndarray:
        """float64 rounding of the minimiser."""
        if "xf" not in self._cache:
            self._cache["xf"] = np.array([arb_to_float(v) for v in self._x])
        return self._cache["xf"]

    def distance(self, x: Any) -> tuple[float, float]:
        """Certified bounds ``(lower, upper)`` on ``‖x − x*‖₂`` for any float array ``x``.

        Theorem: the certificate's balls contain the exact minimiser.
        Rigor: proven (ball arithmetic, outward rounded).
        """
        xa, why = answer_vector(x, len(self._x))  # exact float64/complex128 (complex keeps its
        if xa is None:                              # imaginary part: it counts in the distance)
            raise InvalidArgument(f"x: {why}")
        with precision(prec=self.bits):
            return distance_to_enclosure(xa, self.solution)



def _program(kind: str, A_float: np.ndarray, lam: float, eta: float) -> Program:
    if kind == "srlasso":
        return SRLasso(A_float, lam=lam)
    if kind == "lasso":
        return Lasso(A_float, lam=lam)
    return QCBP(A_float, eta=eta)


def _enclosure(sol: Solution) -> tuple:
    """The certified balls of a proven solution (every member's solution has them)."""
    if sol.enclosure is None:
        raise SolverError("internal: a certified minimiser without its enclosure")
    return tuple(sol.enclosure)


def _make_member(spec: _Spec, j: int, g: np.ndarray | None, bits: int, index: int) -> Member:
    """Build and certify member ``j`` (``g``: a training sample's sparse part, None: the test input)."""
    t0 = time.perf_counter()

    def data(dps: int):
        with precision(prec=max(dps_to_bits(dps), int(flint.ctx.prec))):
            A, y, _, _, _ = _instance(spec, j, g)
        return A, y

    with precision(prec=bits):
        A, y, x, S, sig = _instance(spec, j, g)
        Af = np.array([[arb_to_float(v) for v in r] for r in A])
        problem = _program(spec.kind, Af, spec.lam, spec.eta)
        if spec.kind == "srlasso":
            w = [flint.arb(1)] * spec.N
            slack = certify_interpolating_dual(A, y, to_arb(spec.lam), w, S, sig, x)
            sol = solution_from_balls(problem, x, slack, S, bits, t0, "interpolating dual certificate")
        else:
            dps = bits_to_dps(bits)
            sol = solve_exact(problem, None, data=data, support=S, signs=sig, dps=dps,
                              max_dps=max(4 * dps, 200))
            # the certified balls must contain the closed form (a cross-check of both)
            for k, (v, (mid, rad)) in enumerate(zip(x, _enclosure(sol))):
                if not flint.arb(mid, rad).overlaps(v):
                    raise SolverError(f"internal: closed form and certificate disagree at {k}")
            if list(sol.info["support"]) != S:
                raise SolverError("internal: the certified support differs from the closed form")
    return Member(index=index, kind=spec.kind, problem=problem, A_balls=A, y_balls=y, x_balls=x,
                  support=S, solution=sol, bits=bits, data=data)



def _rounding_gap(own: Member, other: Member, cols: tuple[int, int], m: int) -> Any:
    """``‖fl(A_own) − A_other‖² − ‖fl(A_own) − A_own‖²`` (Frobenius, a ball) over the columns ``cols``.

    Two members differ only in the columns ``cols``: the other columns cancel.
    """
    d_own = d_other = flint.arb(0)
    for r in range(m):
        for c in cols:
            f = flint.arb(float(own.A_float[r, c]))
            d_own += ball_sq(f - own._A[r][c])
            d_other += ball_sq(f - other._A[r][c])
    return d_other - d_own


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
    * :meth:`solution_condition`, :meth:`feasibility_condition` — proven enclosures of the
      solution map's condition number and of the (P1) feasibility condition (docs/theory.md §6.6);
    * :attr:`float64_represents` — whether the float64 roundings still tell the members apart;
    * :meth:`sample`, :meth:`training_data` — training samples with exact minimisers.

    Theorem: docs/theory.md §6.1–6.2 (the well-conditioned class of the impossibility theorem).
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
        self._cache: dict[Any, Any] = {}
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
        j = integer_arg(j, "j", minimum=1)
        if j > self.members:
            raise InvalidArgument(f"j={j}: members are numbered 1..{self.members}")
        return j

    def member(self, j: int) -> Member:
        """Member ``j`` (``1 ≤ j ≤ N₁``) with its certified minimiser.

        Theorem: docs/theory.md §6.2.
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
        if "jump" not in self._cache:
            m1, m2 = self.member(1), self.member(2)
            with precision(prec=self.bits):
                d2 = flint.arb(0)
                for (a, ra), (b, rb) in zip(_enclosure(m1.solution), _enclosure(m2.solution)):
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
            return ball_strings(self._jump_ball())[0]

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
        if "cond" not in self._cache:
            mem = self.member(1)
            with precision(prec=self.bits):
                A = flint.arb_mat(mem._A)
                G = A * A.transpose()
                m = G.nrows()
                lo: Any = None
                hi: Any = None
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

    # -- condition of the solution map and feasibility (docs/theory.md §6.6) -------------
    def _input(self, j: int, sample: Any) -> Member:
        j = self._check_j(j)
        return self.member(j) if sample is None else self.sample(sample, j)

    def solution_condition(self, j: int = 1, sample: int | None = None) -> ConditionBound:
        """Proven enclosure of the SR-LASSO solution map's condition number at member ``j``'s input.

        The basis is ``T = {j} ∪`` the identity block (``|T| = m``); hypotheses
        (H1) ``λ²(1/a_j² + N₂/ν²) < 1`` (up to rounding of the balls) and (H2)
        ``a_i/a_j < 1`` (``i ≠ j``) are decided, and the condition number
        ``√(1 + ‖x₀‖²)/σ_min(A_T) = √(1 + ‖x₀‖²)/a_j`` is enclosed
        (:func:`~theorycheck.impossibility.condition.certify_srlasso_condition`).
        For ``K ≥ 1`` it is below ``0.22``: the class is well conditioned in this
        sense. The linearisation holds on a neighbourhood whose size is of the
        order of the (H2) margin ``ε/(α + ε)``, which is why members ``2^{-n-1/2}``
        apart can still have minimisers ``≈ 3·10^{-K}`` apart.

        Parameters
        ----------
        j : int
            Member (``1 ≤ j ≤ N₁``).
        sample : int, optional
            A training sample's input (see :meth:`sample`) instead of the test input.

        Returns
        -------
        ConditionBound

        Raises
        ------
        InvalidArgument
            The family is not the SR-LASSO class.
        PreconditionError
            (H1) fails (large ``N₂`` with ``K = 1``, ``λ = 1``).

        Theorem: docs/theory.md §6.6 (condition of the solution map on Ω_K).
        Rigor: proven (ball arithmetic).
        """
        if self.kind != "srlasso":
            raise InvalidArgument(f"the solution map's condition is derived for the SR-LASSO class Ω_K; "
                                  f"this family is {self.kind!r}: build it with problem='srlasso'")
        mem = self._input(j, sample)
        key = ("cond_xi", mem.index if sample is not None else -1, j)
        if key not in self._cache:
            T = [j - 1] + list(range(self._spec.N1, self.N))
            with precision(prec=self.bits):
                self._cache[key] = srlasso_condition_balls(mem._A, mem._y, to_arb(self._spec.lam), T)
        return self._cache[key]

    def feasibility_condition(self, j: int = 1, *, eta: float | None = None,
                              sample: int | None = None) -> ConditionBound:
        """Proven enclosure of the (P1) feasibility condition ``C_FP = ‖A‖₂/ρ_η`` on member ``j``'s data.

        ``ρ_η`` is the distance to the inputs for which ``{x : ‖Ax − y‖ ≤ η}`` is
        empty. ``AA^* = ν²I`` gives ``σ_min(A) = ‖A‖₂ = ν``, and ``u = y/‖y‖``
        shows ``ρ_η ≤ ν`` whenever ``η < ‖y‖ = 1``: so ``ρ_η = ν`` and
        ``C_FP = 1`` (``details["frobenius_size"]``: ``‖(A, y)‖_F/ρ_η ≈ √m``).

        Parameters
        ----------
        j : int
            Member.
        eta : float, optional
            ``η ≥ 0``; default the family's ``η`` for QCBP families, else ``0``
            (basis pursuit, ``Ax = y``).
        sample : int, optional
            A training sample's input instead of the test input.

        Returns
        -------
        ConditionBound

        Theorem: docs/theory.md §6.6 (feasibility condition of (P1), Renegar/Bürgisser–Cucker).
        Rigor: proven (ball arithmetic).
        """
        if eta is None:
            eta = self._spec.eta if self.kind == "qcbp" else 0.0
        eta = finite_real_arg(eta, "eta")
        if eta < 0:
            raise InvalidArgument(f"eta={eta}: pass η ≥ 0")
        mem = self._input(j, sample)
        key = ("cond_fp", mem.index if sample is not None else -1, j, eta)
        if key not in self._cache:
            with precision(prec=self.bits):
                self._cache[key] = feasibility_condition_balls(mem._A, mem._y, to_arb(eta))
        return self._cache[key]

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

        Theorem: docs/theory.md §6.1 (inexact input through oracles).
        Rigor: proven (the error bound is checked in ball arithmetic).
        """
        k = integer_arg(k, "k", minimum=0)
        if k > MAX_N:
            raise InvalidArgument(f"k={k} is too large: pass 0 ≤ k ≤ {MAX_N}")
        adversarial = bool_arg(adversarial, "adversarial")
        j = self._check_j(j)
        refuse_work(4.0 * self.m * self.N, max(self.bits, k + 3.33 * self.K + 96),
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
                return Fraction(round(arb_mid_fraction(b) * scale), scale)

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
        if "float64" not in self._cache:
            mems = [self.member(j) for j in range(1, self.members + 1)]
            distinct = all(not np.array_equal(mems[a].A_float, mems[b].A_float)
                           for a in range(len(mems)) for b in range(a + 1, len(mems)))
            nearest = True
            undecided = False
            with precision(prec=self.bits):
                for a, b in itertools.permutations(range(len(mems)), 2):
                    diff = _rounding_gap(mems[a], mems[b], (a, b), self.m)
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

        Theorem: docs/theory.md §6.2 (training inputs with exact minimisers).
        Rigor: proven.
        """
        k = integer_arg(k, "k", minimum=0)
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

        Theorem: docs/theory.md §6.2.
        Rigor: numerical (float64 evaluation of exact formulas).
        """
        j = self._check_j(j)
        sp = self._spec
        R = len(self._g)
        if R == 0:
            raise InvalidArgument("the family has no training samples: pass samples=R to build_family")
        with precision(prec=self.bits):
            a, nu = _entries(sp, j)
            a_j = a[j - 1]
            c1, _ = _first_block(sp, a_j, nu, sp.s)
            inv_nu = arb_to_float(1 / nu)
            c1f = arb_to_float(c1)
            lam = to_arb(sp.lam)
            shift = (arb_to_float(lam / (2 * nu)) if sp.kind == "lasso" else
                     arb_to_float(to_arb(sp.eta) / ((1 / (a_j * a_j) + flint.arb(sp.s) / (nu * nu)).sqrt()
                                                     * nu)) if sp.kind == "qcbp" else 0.0)
            C = (np.array([[arb_to_float(v) for v in r] for r in dct_balls(sp.m)])
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
    """The impossibility class ``Ω_K`` at precision level ``n`` (docs/theory.md §6.2) and its analogues.

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

    Theorem: docs/theory.md §6.1–6.2 (impossibility theorem, class Ω_K).
    Rigor: proven (minimisers certified, numbers decided in ball arithmetic).

    Examples
    --------
    >>> fam = build_family(3, 10)
    >>> fam.member(1).support, fam.member(2).support
    ([0], [1])
    >>> 1e-3 < fam.half_jump_lower and fam.jump_bounds[1] < 1e-2
    True
    """
    K = bounded_int(K, "K", 1, MAX_K, "the barrier is 10^-K")
    strict = bool_arg(strict, "strict")
    if strict and K <= 2:
        raise InvalidArgument(f"K={K}: the impossibility theorem needs K > 2 (the barrier 10^-K with "
                              "K−1 and K−2 digits achievable); pass K ≥ 3, or strict=False to build "
                              "the class anyway (as the seed's table does for K = 1)")
    n = bounded_int(n, "n", 1, MAX_N, "the precision level must be n ≥ 1")
    problem = choice_arg(problem, "problem", KINDS)
    N1 = bounded_int(N1, "N1", 2, MAX_FAMILY_MEMBERS, "a family needs N1 ≥ 2 members")
    N2 = integer_arg(N2, "N2", minimum=1)
    s = integer_arg(s, "s", minimum=1)
    if s > N2:
        raise InvalidArgument(f"s={s} > N2={N2}: the samples' sparse block has only N2 entries")
    samples = integer_arg(samples, "samples", minimum=0)
    if samples > MAX_SAMPLES:
        raise InvalidArgument(f"samples={samples}: pass at most {MAX_SAMPLES} training samples per member "
                              "(they are drawn one by one when the family is built)")
    if samples * N2 > MAX_SAMPLE_ENTRIES:
        raise InvalidArgument(f"samples={samples} with N2={N2} would store {samples * N2} sample "
                              f"entries (limit {MAX_SAMPLE_ENTRIES}): pass fewer samples or a smaller N2")
    lam = finite_real_arg(lam, "lam")
    if not 0 < lam <= 1:
        raise InvalidArgument(f"lam={lam}: docs/theory.md §6.2 needs λ ∈ (0, 1]")
    delta = finite_real_arg(delta, "delta")
    if not 0 < delta < 0.25:
        raise InvalidArgument(f"delta={delta}: docs/theory.md §6.2 needs δ ∈ (0, 1/4) (the paper uses 1/6)")
    eta = finite_real_arg(eta, "eta")
    if problem == "qcbp" and not 0 < eta < 1:
        raise InvalidArgument(f"eta={eta}: the QCBP family needs η ∈ (0, 1) (‖y‖ = 1)")
    dct = bool_arg(dct, "dct")
    if seed is not None:
        seed = integer_arg(seed, "seed", minimum=0)
    need = required_dps(K, n)
    if dps is None:
        dps = need + GUARD_DPS
    else:
        dps = integer_arg(dps, "dps", minimum=1)
        if dps < need:
            raise InsufficientPrecision(
                f"dps={dps} cannot separate the members of Ω_{K} at n={n} (their largest entries "
                f"≈ 10^{K} differ by 2^-{n + 1}): pass dps ≥ {need}", needed_dps=need)
    # refuse what cannot be computed before any exact arithmetic (10^K, 2^-n, the balls)
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

