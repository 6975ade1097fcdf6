"""The ℓ1 null space constant ``α_k = max{‖z_K‖₁ : Az = 0, ‖z‖₁ ≤ 1, |K| ≤ k}``.

For a support ``K`` and signs ``σ`` the linear program
``v(K, σ) = max{Σ_{i∈K} σ_i z_i : Az = 0, ‖z‖₁ ≤ 1}`` has the dual
``min_y ‖σ1_K − A^T y‖_∞``, so *any* ``y`` gives a certified upper bound and
every primal solution ``z`` a kernel vector; ``α_k = max_{K,σ} v(K, σ)``.

Exact (real ``A``), ``method="enumerate"``: a hierarchical branch and bound
over levels ``j = 1..k``. Since each ``i ∈ K`` lies in ``j − 1`` of the
``(j−1)``-subsets of ``K``, ``v(K, σ) ≤ Σ_{L ⊂ K, |L| = j−1} u(L, σ_L)/(j − 1)``
for any upper bounds ``u`` of the level below; an LP is solved only where that
bound exceeds the best lower bound found so far, in decreasing order of the
bound. Level 1 is the Juditsky–Nemirovski LP ``α_1^{(i)} = min_y ‖e_i − A^T y‖_∞``.
Every LP's dual ``y`` is re-evaluated with a-priori rounding bounds (proven
upper bound); the best primal vector is made an exact kernel vector in ball
arithmetic (proven lower bound).

``method="milp"``: ``max Σ_i (p_i + q_i)`` over ``Az = 0``, ``‖z‖₁ ≤ 1`` with
binaries selecting ``k`` coordinates and their signs, big-M values the
certified ``α_1^{(i)}`` (tight big-M matters: ``M = 1`` is orders of magnitude
slower). HiGHS's dual bound is a floating-point number: the upper side is
``numerical``.

``method="lp-bound"``: the Juditsky–Nemirovski bound ``α_k ≤`` sum of the ``k``
largest ``α_1^{(i)}`` (proven) and a lower bound from kernel vectors improved
by sign/support ascent (proven). Complex ``A`` uses second-order cone programs
(``|·|`` is the modulus); exact for ``k = 1``, bounds for ``k ≥ 2``.

The verifier of saved ``nsp_constant`` results sits at the end of this module.

Theorem: docs/theory.md §2 (NSP(k) ⇔ α_k < 1/2; Juditsky–Nemirovski 2011; Tillmann–Pfetsch 2014).
Rigor: proven (enumerate, lp-bound, complex k = 1); the MILP's upper side numerical.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import Any, Callable

import numpy as np

from theorycheck.errors import InvalidArgument, SolverError
from theorycheck.numerics.exact import ball_lower
from theorycheck.numerics.parallel import call_back, progress_bar
from theorycheck.numerics.precision import precision
from theorycheck.numerics.validation import bool_arg, refuse_size
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, register_verifier
from theorycheck.rnsp._common import (
    MAX_KERNEL_ROWS,
    WITNESS_BITS,
    callback_arg,
    count_arg,
    dense_matrix,
    exact_kernel_balls,
    exact_rescaling,
    gam,
    human_time,
    method_arg,
    new_highs,
    order_arg,
    outcome_of,
    positive_arg,
    seconds_for,
    topk_ratio,
    topk_ratio_ball,
    w_bool,
    w_choice,
    w_float,
    w_int,
    w_matrix,
    widen_up,
)
from theorycheck.rnsp._results import (
    VERIFY_MAX_PATTERNS,
    ConstantResult,
    Refused,
    big,
    consistent,
    finish,
    make_result,
    verify_with,
)

__all__ = ["nsp_constant"]

#: largest N of an exact MILP without a time limit
MAX_MILP_N = 100


#: largest number of (support, sign) patterns the enumeration keeps in memory
MAX_PATTERNS = 5_000_000


# --------------------------------------------------------------------------------------
# the LP  max c^T z  s.t.  Az = 0, ‖z‖₁ ≤ 1  (real)
# --------------------------------------------------------------------------------------

class RealLP:
    """``max cᵀz`` over ``{Az = 0, ‖z‖₁ ≤ 1}`` with a warm-started HiGHS model (``z = p − q``)."""

    def __init__(self, A: np.ndarray) -> None:
        self.A = A
        self.m, self.N = A.shape
        self.h = new_highs()
        self.count = 0
        if self.h is not None:
            self._build()

    def _build(self) -> None:
        import highspy
        import scipy.sparse as sp

        m, N = self.m, self.N
        nv = 2 * N
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_ = nv
        lp.num_row_ = m + 1
        lp.col_cost_ = np.zeros(nv)
        lp.col_lower_ = np.zeros(nv)
        lp.col_upper_ = np.full(nv, inf)
        M = sp.csc_matrix(np.vstack([np.hstack([self.A, -self.A]), np.ones((1, nv))]))
        lp.row_lower_ = np.r_[np.zeros(m), -inf]
        lp.row_upper_ = np.r_[np.zeros(m), 1.0]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = M.indptr
        lp.a_matrix_.index_ = M.indices
        lp.a_matrix_.value_ = M.data
        lp.sense_ = highspy.ObjSense.kMaximize
        self.h.passModel(lp)
        self._idx = np.arange(nv, dtype=np.int32)
        self._optimal = highspy.HighsModelStatus.kOptimal

    def solve(self, c: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``(value, z, y)``: optimal value, primal kernel vector, dual multipliers of ``Az = 0``."""
        self.count += 1
        N, m = self.N, self.m
        if self.h is None:
            return self._solve_scipy(c)
        self.h.changeColsCost(2 * N, self._idx, np.r_[c, -c])
        self.h.run()
        if self.h.getModelStatus() != self._optimal:
            # a stale basis can confuse the simplex: retry from scratch once
            self.h.clearSolver()
            self.h.run()
            if self.h.getModelStatus() != self._optimal:
                return self._solve_scipy(c)
        sol = self.h.getSolution()
        x = np.asarray(sol.col_value)
        z = x[:N] - x[N:]
        y = np.asarray(sol.row_dual)[:m]
        return float(self.h.getInfo().objective_function_value), z, y

    def _solve_scipy(self, c: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        from scipy.optimize import linprog

        N, m = self.N, self.m
        res = linprog(-np.r_[c, -c], A_ub=np.ones((1, 2 * N)), b_ub=[1.0],
                      A_eq=np.hstack([self.A, -self.A]), b_eq=np.zeros(m), bounds=(0, None),
                      method="highs")
        if res.status != 0:
            raise SolverError(f"HiGHS failed on an NSP linear program: {res.message}")
        z = res.x[:N] - res.x[N:]
        return float(-res.fun), z, np.asarray(res.eqlin.marginals)


def certified_bounds(A: np.ndarray, C: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Proven ``min(‖c − A^*y‖_∞, ‖c + A^*y‖_∞)`` per row (a-priori rounding bounds, rounded up).

    Each is an upper bound of ``max{Re⟨c, z⟩ : Az = 0, ‖z‖₁ ≤ 1}`` (weak duality),
    whatever ``y`` is; both signs are tried because solvers differ in their dual
    sign convention.
    """
    m = A.shape[0]
    cplx = np.iscomplexobj(A) or np.iscomplexobj(Y) or np.iscomplexobj(C)
    AtY = Y @ np.conj(A)  # rows: (A^* y)^T
    err = gam(m + 1, cplx) * (np.abs(C) + np.abs(Y) @ np.abs(A)) * (1.0 + gam(m + 1))
    b1 = np.max(np.abs(C - AtY) + err, axis=1)
    b2 = np.max(np.abs(C + AtY) + err, axis=1)
    bound = widen_up(np.fmin(b1, b2), 1.0)
    # a solver's NaN/inf dual proves nothing: the trivial bound +inf stays valid
    return np.where(np.isfinite(bound), bound, np.inf)


# --------------------------------------------------------------------------------------
# complex: min_y ‖c − A^* y‖_∞ as a second-order cone program (clarabel)
# --------------------------------------------------------------------------------------

class ComplexLinf:
    """``max Re⟨c, z⟩`` over ``{Az = 0, ‖z‖₁ ≤ 1}`` for complex ``A`` via its SOCP dual."""

    def __init__(self, A: np.ndarray) -> None:
        import clarabel
        import scipy.sparse as sp

        self.A = A.astype(complex)
        m, N = A.shape
        self.m, self.N = m, N
        ar, ai = self.A.real, self.A.imag
        rows = []
        for j in range(N):
            rows.append(np.r_[np.zeros(2 * m), -1.0])
            rows.append(np.r_[ar[:, j], ai[:, j], 0.0])
            rows.append(np.r_[-ai[:, j], ar[:, j], 0.0])
        self.Ac = sp.csc_matrix(np.array(rows))
        self.P = sp.csc_matrix((2 * m + 1, 2 * m + 1))
        self.q = np.r_[np.zeros(2 * m), 1.0]
        self.cones = [clarabel.SecondOrderConeT(3) for _ in range(N)]
        self.settings = clarabel.DefaultSettings()
        self.settings.verbose = False
        self.count = 0

    def solve(self, c: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``(value, z, y)`` as :meth:`RealLP.solve` (``z`` complex)."""
        import clarabel

        self.count += 1
        N, m = self.N, self.m
        c = np.asarray(c, dtype=complex)
        b = np.zeros(3 * N)
        b[1::3] = c.real
        b[2::3] = c.imag
        solver = clarabel.DefaultSolver(self.P, self.q, self.Ac, b, self.cones, self.settings)
        sol = solver.solve()
        if str(sol.status) not in ("Solved", "AlmostSolved"):
            raise SolverError(f"clarabel failed on an NSP cone program: {sol.status}")
        x = np.asarray(sol.x)
        y = x[:m] + 1j * x[m:2 * m]
        zz = np.asarray(sol.z)
        zeta = zz[1::3] + 1j * zz[2::3]
        # the kernel vector is ζ or its conjugate depending on the convention: keep the one in ker A
        cand = [zeta, np.conj(zeta)]
        z = min(cand, key=lambda v: float(np.linalg.norm(self.A @ v)))
        return float(x[-1]), z, y


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------

def _comb_table(N: int, k: int) -> np.ndarray:
    T = np.zeros((N + 1, k + 1), dtype=np.int64)
    for n in range(N + 1):
        for t in range(k + 1):
            T[n, t] = math.comb(n, t)
    return T


def _colex_rank(S: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Colex rank of sorted subsets (rows of ``S``)."""
    j = S.shape[1]
    return sum(T[S[:, t], t + 1] for t in range(j)).astype(np.int64) if j else np.zeros(S.shape[0], np.int64)


def _patterns(j: int) -> np.ndarray:
    """Sign patterns (first sign +1) of length ``j`` as a ``(2^{j−1}, j)`` array; row index = pattern id."""
    P = 2 ** (j - 1)
    bits = (np.arange(P)[:, None] >> np.arange(j - 1)[None, :]) & 1
    return np.concatenate([np.ones((P, 1)), 1.0 - 2.0 * bits], axis=1)


def _pattern_id(sig: np.ndarray) -> np.ndarray:
    """Pattern id of sign rows normalised to a positive first sign."""
    s = sig * sig[:, :1]
    j = s.shape[1]
    bits = (s[:, 1:] < 0).astype(np.int64)
    return (bits * (1 << np.arange(j - 1))[None, :]).sum(axis=1) if j > 1 else np.zeros(s.shape[0], np.int64)


def _objective(N: int, K: np.ndarray, sig: np.ndarray) -> np.ndarray:
    c = np.zeros(N)
    c[K] = sig
    return c


class _Best:
    """Best kernel vector found (largest top-k ratio)."""

    def __init__(self, k: int, callback: Callable | None) -> None:
        self.k, self.callback = k, callback
        self.ratio, self.z = -1.0, None

    def offer(self, z: np.ndarray) -> None:
        r = topk_ratio(z, self.k)
        if r > self.ratio + 1e-15:
            self.ratio, self.z = r, z.copy()
            call_back(self.callback, {"alpha_lower": r, "z": self.z})


def _level1(solver: Any, A: np.ndarray, best: _Best) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``α_1^{(i)}`` for all ``i``: float values, certified upper bounds, the duals."""
    N = A.shape[1]
    vals, C, Y = np.zeros(N), [], []
    for i in range(N):
        c = np.zeros(N, dtype=A.dtype)
        c[i] = 1.0
        v, z, y = solver.solve(c)
        vals[i] = v
        best.offer(z)
        C.append(c)
        Y.append(y)
    cert = certified_bounds(A, np.array(C), np.array(Y))
    return vals, cert, np.array(Y)


@precision(prec=WITNESS_BITS)
def lower_bound(A: np.ndarray, z: np.ndarray | None, k: int, basic: np.ndarray | None = None
                ) -> tuple[float, Rigor, dict[str, Any]]:
    """Proven lower bound of ``α_k`` from a float kernel vector (via an exact kernel vector).

    ``basic`` (optional) fixes the ``m`` columns on which ``z`` is corrected
    (default: pivoted QR); the result is a deterministic function of ``(A, z, basic)``.
    """
    if z is None or not np.any(z):
        return 0.0, Rigor.PROVEN, {}
    ek = exact_kernel_balls(A, z, basic)
    if ek is None:
        # no exact kernel vector: report the float ratio as a numerical estimate only
        why = (f"m = {A.shape[0]} > {MAX_KERNEL_ROWS} rows: no exact kernel vector is computed"
               if A.shape[0] > MAX_KERNEL_ROWS else "A is rank deficient")
        return 0.0, Rigor.PROVEN, {"note": f"{why}: the lower bound 0 is trivial"}
    bs, B = ek
    ratio, K = topk_ratio_ball(bs, k)
    lower = max(0.0, ball_lower(ratio)) if ratio.is_finite() else 0.0
    return lower, Rigor.PROVEN, {"support": K.astype(np.int64), "basic_columns": B, "ratio_float": topk_ratio(z, k)}


def _ascent(solver: Any, A: np.ndarray, k: int, best: _Best, iters: int, starts: list[np.ndarray]) -> None:
    """Support/sign ascent: ``K`` = top-k of ``z``, ``σ`` = its signs (phases), solve, repeat."""
    N = A.shape[1]
    for z in starts:
        prev = -1.0
        for _ in range(iters):
            K = np.sort(np.argsort(-np.abs(z), kind="stable")[:k])
            mag = np.abs(z[K])
            if not np.any(mag):
                break
            sig = np.where(mag > 0, z[K] / np.where(mag > 0, mag, 1), 1.0)
            # maximise Re⟨c, z⟩ = Σ_K Re(conj(c_i) z_i): c_i = phase of z_i
            c = np.zeros(N, dtype=complex if np.iscomplexobj(A) else float)
            c[K] = sig if np.iscomplexobj(A) else np.real(sig)
            v, z, _ = solver.solve(c)
            best.offer(z)
            if v <= prev + 1e-12:
                break
            prev = v


# --------------------------------------------------------------------------------------
# methods
# --------------------------------------------------------------------------------------

def _refuse_enumeration(A: np.ndarray, k: int, max_patterns: int) -> None:
    """Refuse an enumeration whose bound arrays exceed ``max_patterns`` (with the worst-case estimate)."""
    N = A.shape[1]
    if pattern_count(N, k, max_patterns) <= max_patterns:
        return
    worst = math.comb(N, k) * 2 ** (k - 1) if k < 2000 else math.inf
    shown = f"{worst:,}" if worst < 10 ** 30 else "astronomically many"
    seconds = seconds_for(worst, 1.0 / _lp_seconds(A)) if worst != math.inf else math.inf
    raise InvalidArgument(
        f"exact α_{k} by enumeration needs bounds for more than {max_patterns:,} (support, sign) patterns "
        f"(max_patterns), and up to {shown} linear programs (about {human_time(seconds)} in the worst "
        "case on this machine); use method='milp' (exact, numerical upper side) or method='lp-bound' "
        "(certified Juditsky–Nemirovski upper bound and a certified lower bound)")


def _level_bounds(u_prev: np.ndarray, combos: np.ndarray, pats: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``v(K, σ) ≤ Σ_{L ⊂ K, |L| = j−1} u(L, σ_L)/(j − 1)`` for every level-``j`` pattern (widened up)."""
    j = combos.shape[1]
    bound = np.zeros((combos.shape[0], pats.shape[0]))
    for r in range(j):
        keep = [t for t in range(j) if t != r]
        bound += u_prev[_colex_rank(combos[:, keep], T)][:, _pattern_id(pats[:, keep])]
    return widen_up(bound / (j - 1), 1.0)


def _solve_level(solver: RealLP, A: np.ndarray, k: int, j: int, best: _Best, u_prev: np.ndarray,
                 T: np.ndarray, progress: bool) -> tuple[np.ndarray, int]:
    """Upper bounds of every level-``j`` pattern; an LP only where the bound can still matter, largest first."""
    N = A.shape[1]
    combos = np.array(list(itertools.combinations(range(N), j)), dtype=np.int64)
    ranks = _colex_rank(combos, T)
    pats = _patterns(j)
    bound = _level_bounds(u_prev, combos, pats, T)
    u_cur = np.empty_like(bound)
    u_cur[ranks] = bound
    C, Y, where = [], [], []
    bar = progress_bar(None, progress, f"α_{k}: level {j}/{k}, LPs")
    try:
        for f in np.argsort(-bound, axis=None, kind="stable"):
            ci, pi = divmod(int(f), pats.shape[0])
            if bound[ci, pi] <= (j / k) * max(best.ratio, 0.0) + 1e-12:
                break
            c = _objective(N, combos[ci], pats[pi])
            _, z, y = solver.solve(c)
            best.offer(z)
            C.append(c)
            Y.append(y)
            where.append((ranks[ci], pi))
            bar.update(1)
    finally:
        bar.close()
    if C:
        cert = certified_bounds(A, np.array(C), np.array(Y))
        for (rk, pi), cb in zip(where, cert):
            u_cur[rk, pi] = min(u_cur[rk, pi], cb)
    return u_cur, len(C)


def nsp_enumerate(A: np.ndarray, k: int, *, progress: bool, callback: Callable | None,
                  max_patterns: int = MAX_PATTERNS) -> dict[str, Any]:
    """Hierarchical exact enumeration (real ``A``); returns a dict for :func:`finish_nsp`."""
    N = A.shape[1]
    _refuse_enumeration(A, k, max_patterns)
    t0 = time.perf_counter()
    solver = RealLP(A)
    best = _Best(k, callback)
    _, u1, _ = _level1(solver, A, best)
    T = _comb_table(N, k)
    u_prev = u1.reshape(N, 1)
    solved_lps = N
    for j in range(2, k + 1):
        u_prev, n = _solve_level(solver, A, k, j, best, u_prev, T, progress)
        solved_lps += n
    upper = float(np.max(u_prev)) if k > 1 else float(np.max(u1))
    return {"upper": upper, "upper_rigor": Rigor.PROVEN, "z": best.z, "lps": solved_lps,
            "elapsed_s": time.perf_counter() - t0, "jn": _jn(u1, k)}


def pattern_count(N: int, k: int, cap: int) -> int:
    """``Σ_{j≤k} C(N, j)·2^{j−1}`` (the enumeration's patterns), or ``cap + 1`` as soon as it exceeds ``cap``."""
    total, c = 0, 1
    for j in range(1, k + 1):
        c = c * (N - j + 1) // j
        total += c * 2 ** (j - 1)
        if total > cap:
            return cap + 1
    return total


def _lp_seconds(A: np.ndarray, trials: int = 8) -> float:
    """Seconds per warm-started LP on this machine (pilot)."""
    solver = RealLP(A)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(trials):
        solver.solve(np.asarray(rng.standard_normal(A.shape[1])))
    return (time.perf_counter() - t0) / trials


def _jn(u1: np.ndarray, k: int) -> float:
    return float(widen_up(np.sort(u1)[::-1][:k].sum(), 1.0))


def nsp_milp(A: np.ndarray, k: int, *, time_limit: float | None, loose: bool = False,
             callback: Callable | None = None) -> dict[str, Any]:
    """Exact ``α_k`` by a MILP with big-M = certified ``α_1^{(i)}`` (or 1 when ``loose``)."""
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    m, N = A.shape
    t0 = time.perf_counter()
    solver = RealLP(A)
    best = _Best(k, callback)
    _, u1, _ = _level1(solver, A, best)
    Mb = np.ones(N) if loose else np.minimum(u1, 1.0)
    I = sp.identity(N, format="csr")
    Z = sp.csr_matrix((N, N))
    D = sp.diags(Mb)
    blocks = [
        (sp.hstack([sp.csr_matrix(A), -sp.csr_matrix(A), sp.csr_matrix((m, 4 * N))]), np.zeros(m), np.zeros(m)),
        (sp.csr_matrix(np.r_[np.ones(2 * N), np.zeros(4 * N)][None]), [-np.inf], [1.0]),
        (sp.hstack([Z, Z, I, Z, -D, Z]), np.full(N, -np.inf), np.zeros(N)),    # P ≤ M s⁺
        (sp.hstack([-I, I, I, Z, D, Z]), np.full(N, -np.inf), Mb),             # P ≤ z + M(1 − s⁺)
        (sp.hstack([Z, Z, Z, I, Z, -D]), np.full(N, -np.inf), np.zeros(N)),    # Q ≤ M s⁻
        (sp.hstack([I, -I, Z, I, Z, D]), np.full(N, -np.inf), Mb),             # Q ≤ −z + M(1 − s⁻)
        (sp.hstack([Z, Z, Z, Z, I, I]), np.full(N, -np.inf), np.ones(N)),      # s⁺ + s⁻ ≤ 1
        (sp.csr_matrix(np.r_[np.zeros(4 * N), np.ones(2 * N)][None]), [-np.inf], [float(k)]),
    ]
    Cm = sp.vstack([b[0] for b in blocks]).tocsr()
    lo = np.concatenate([np.asarray(b[1], float) for b in blocks])
    hi = np.concatenate([np.asarray(b[2], float) for b in blocks])
    c = np.r_[np.zeros(2 * N), -np.ones(2 * N), np.zeros(2 * N)]
    integ = np.r_[np.zeros(4 * N), np.ones(2 * N)]
    ub = np.r_[np.full(2 * N, np.inf), Mb, Mb, np.ones(2 * N)]
    opts: dict[str, Any] = {"mip_rel_gap": 1e-10}  # HiGHS's default 1e-4 gap would make "exact" loose
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    res = milp(c, constraints=LinearConstraint(Cm, lo, hi), integrality=integ,
               bounds=Bounds(np.zeros(6 * N), ub), options=opts)
    if res.x is None:
        raise SolverError(f"the NSP MILP failed: {res.message}")
    z = res.x[:N] - res.x[N:2 * N]
    best.offer(z)
    dual = getattr(res, "mip_dual_bound", None)
    mip_upper = float(-dual) if dual is not None and np.isfinite(dual) else float(-res.fun)
    if res.status != 0:  # time limit: the dual bound is all we know
        mip_upper = float(-dual) if dual is not None and np.isfinite(dual) else math.inf
    jn = _jn(u1, k)
    upper, rig = (jn, Rigor.PROVEN) if jn <= mip_upper else (float(widen_up(mip_upper, 1.0)), Rigor.NUMERICAL)
    return {"upper": upper, "upper_rigor": rig, "z": best.z, "lps": solver.count,
            "elapsed_s": time.perf_counter() - t0, "jn": jn, "milp_status": str(res.message),
            "milp_value": float(-res.fun) if res.fun is not None else math.nan,
            "optimal": res.status == 0}


def nsp_lp_bound(A: np.ndarray, k: int, *, ascent_iters: int, callback: Callable | None) -> dict[str, Any]:
    """Juditsky–Nemirovski upper bound and an ascent lower bound (real or complex)."""
    t0 = time.perf_counter()
    solver = ComplexLinf(A) if np.iscomplexobj(A) else RealLP(A)
    best = _Best(k, callback)
    vals, u1, _ = _level1(solver, A, best)
    if k > 1 and ascent_iters > 0:
        # restart from the level-1 vectors of the largest α_1^{(i)}
        starts = []
        for i in np.argsort(-vals)[: min(4, A.shape[1])]:
            c = np.zeros(A.shape[1], dtype=A.dtype)
            c[i] = 1.0
            starts.append(solver.solve(c)[1])
        if best.z is not None:
            starts.insert(0, best.z)
        _ascent(solver, A, k, best, ascent_iters, starts)
    jn = _jn(u1, k)
    return {"upper": min(jn, 1.0), "upper_rigor": Rigor.PROVEN, "z": best.z, "lps": solver.count,
            "elapsed_s": time.perf_counter() - t0, "jn": jn}


def finish_nsp(A: np.ndarray, k: int, raw: dict[str, Any], method: str, params: dict[str, Any] | None = None
               ) -> ConstantResult:
    """Certify the lower side and assemble the :class:`ConstantResult`.

    ``params`` (the method's options) are stored both in the witness (what
    ``theorycheck verify`` re-runs with) and in ``values`` (what it compares).
    """
    params = dict(params or {})
    lower, lrig, info = lower_bound(A, raw["z"], k)
    upper = float(raw["upper"])
    if raw["upper_rigor"] is Rigor.PROVEN:
        consistent(lower, upper, f"α_{k}")
    upper = max(upper, lower)
    outcome = outcome_of(upper < 0.5, lower >= 0.5)
    verdict = {Outcome.VIOLATED: f"NSP of order {k} fails (α_{k} ≥ {lower:.6g} ≥ 1/2)",
               Outcome.HOLDS: f"NSP of order {k} holds (α_{k} ≤ {upper:.6g} < 1/2)",
               Outcome.INCONCLUSIVE: f"NSP of order {k} undecided: 1/2 lies in [{lower:.6g}, {upper:.6g}]"}[outcome]
    z = raw["z"]
    wdata: dict[str, Any] = {"kernel_vector": np.zeros(A.shape[1], dtype=A.dtype) if z is None else np.asarray(z)}
    wdata.update({k_: (np.asarray(v) if isinstance(v, np.ndarray) else v) for k_, v in info.items()})
    wdata.update({"k": k, "method": method, **params})
    values = {"k": k, "juditsky_nemirovski": raw["jn"], "linear_programs": raw["lps"],
              "elapsed_s": raw["elapsed_s"], **params}
    for key in ("milp_status", "milp_value", "optimal"):
        if key in raw:
            values[key] = raw[key]
    msg = (f"α_{k} ∈ [{lower:.12g}, {upper:.12g}] ({method}); {verdict}. The lower bound is the ratio "
           f"‖z_K‖₁/‖z‖₁ of an exact kernel vector (float kernel vector corrected on {A.shape[0]} basic "
           "coordinates in ball arithmetic)")
    return make_result("nsp_constant", lower=lower, upper=upper, lower_rigor=lrig,
                       upper_rigor=raw["upper_rigor"], method=method, message=msg, outcome=outcome,
                       values=values, witness=Witness("kernel_vector", wdata),
                       theorem="docs/theory.md §2: α_k = max{‖z_K‖₁ : Az = 0, ‖z‖₁ ≤ 1, |K| ≤ k}; NSP(k) ⇔ α_k < 1/2")


# --------------------------------------------------------------------------------------
# the public function and its verifier
# --------------------------------------------------------------------------------------

@precision(prec=WITNESS_BITS)
def nsp_constant(A: Any, k: int, *, method: str = "auto", W: Any = None, progress: bool = True,
                 callback: Callable[[Any], Any] | None = None, time_limit: float | None = None,
                 max_patterns: int | None = None, ascent_iters: int = 20) -> ConstantResult:
    """ℓ1 null space constant ``α_k = max{‖z_K‖₁ : Az = 0, ‖z‖₁ ≤ 1, |K| ≤ k}``; NSP(k) ⇔ ``α_k < 1/2``.

    Parameters
    ----------
    A : array_like or LinearOperator, shape (m, N)
        Real or complex matrix.
    k : int
        Order, ``1 ≤ k ≤ N``.
    method : {"auto", "enumerate", "milp", "lp-bound"}
        ``"enumerate"``: exact, hierarchical support/sign enumeration of LPs
        (refused when the bound arrays exceed ``max_patterns``); ``"milp"``:
        exact, MILP with big-M the certified ``α_1^{(i)}``; ``"lp-bound"``:
        Juditsky–Nemirovski upper bound and an ascent lower bound; ``"auto"``:
        enumerate for real ``A`` when affordable, else lp-bound. Complex ``A``:
        lp-bound (exact for ``k = 1``).
    W : LinearOperator or array, optional
        Unitary sparsifier: the constant of ``A W^*``.
    progress : bool
        tqdm bar over the enumeration levels.
    callback : callable, optional
        Called with ``{"alpha_lower", "z"}`` whenever the best kernel vector improves.
    time_limit : float, optional
        Seconds for the MILP (then its dual bound is reported).
    max_patterns : int, optional
        Memory limit of the enumeration (default 5,000,000 patterns).
    ascent_iters : int
        Iterations of the support/sign ascent of ``"lp-bound"``.

    Returns
    -------
    ConstantResult
        ``outcome`` holds (``upper < 1/2``), violated (``lower ≥ 1/2``) or
        inconclusive; ``witness`` a kernel vector with ``‖z_K‖₁/‖z‖₁ = lower``.

    Theorem: docs/theory.md §2 (NSP(k) ⇔ α_k < 1/2; Juditsky–Nemirovski LP bound).
    Rigor: proven lower bound (the float kernel vector is corrected on ``m`` basic
    coordinates to an exact kernel vector in ball arithmetic); proven upper bound
    for enumerate and lp-bound (every LP dual re-evaluated with outward-rounded
    a-priori bounds); numerical upper bound for the MILP (HiGHS's dual bound).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])   # ker A = span{(1, -1, 1)}
    >>> r = nsp_constant(A, 1, progress=False)
    >>> round(r.lower, 9), round(r.upper, 9), r.holds
    (0.333333333, 0.333333333, True)
    """
    method_arg(method, ("auto", "enumerate", "milp", "lp-bound"))
    progress = bool_arg(progress, "progress")
    callback = callback_arg(callback)
    B, used_W = dense_matrix(A, W)
    N = B.shape[1]
    k = order_arg(k, N, "k")
    mp = MAX_PATTERNS if max_patterns is None else count_arg(max_patterns, "max_patterns", 1, 10 ** 8)
    if time_limit is not None:
        time_limit = positive_arg(time_limit, "time_limit")
    ascent_iters = count_arg(ascent_iters, "ascent_iters", 0, 10_000)
    _refuse_nsp(B, k, method, time_limit)
    label, params = _nsp_method(B, k, method, mp, time_limit, ascent_iters)
    return _nsp_run(B, k, label, params, progress=progress, callback=callback, max_patterns=mp, used_W=used_W)


def _refuse_nsp(B: np.ndarray, k: int, method: str, time_limit: float | None) -> None:
    """Refuse what cannot be computed: exact complex α_k (k > 1), huge programs, an unbounded MILP."""
    m, N = B.shape
    cplx = bool(np.iscomplexobj(B))
    if cplx and method in ("enumerate", "milp") and k > 1:
        raise InvalidArgument(
            f"exact α_{k} for complex A would need a continuum of phases (no finite sign enumeration): "
            "use method='lp-bound' (certified Juditsky–Nemirovski upper bound and kernel-vector lower bound); "
            "k = 1 is exact")
    # every method solves at least N linear (or cone) programs with 2N variables and m + 1 rows
    refuse_size(float(N) * N * (m + 1), 5e11, f"the N = {N} linear programs of size {m + 1}×{2 * N} behind α_{k}",
                "restrict A to fewer columns")
    if cplx:
        refuse_size(3.0 * N * (2 * m + 1), 2e7, f"the dense cone-program data of complex α_{k} (A is {m}×{N})",
                    "restrict A to fewer columns or rows")
    if method == "milp" and time_limit is None and N > MAX_MILP_N:
        raise InvalidArgument(f"the MILP for α_{k} with N = {N} > {MAX_MILP_N} columns may run for hours (the problem "
                              "is NP-hard): pass time_limit (seconds; its dual bound is then reported), or use "
                              "method='lp-bound'")


def _nsp_method(B: np.ndarray, k: int, method: str, max_patterns: int, time_limit: float | None,
                ascent_iters: int) -> tuple[str, dict[str, Any]]:
    """The method label stored in results and its options (``"auto"`` resolved)."""
    cplx = bool(np.iscomplexobj(B))
    if method == "auto":
        method = "lp-bound" if cplx or pattern_count(B.shape[1], k, max_patterns) > max_patterns else "enumerate"
    if cplx or method == "lp-bound":
        return ("lp-bound" if k > 1 else ("socp" if cplx else "lp")), {"ascent_iters": ascent_iters}
    if method == "enumerate":
        return "enumerate", {}
    return "milp", {"time_limit": math.inf if time_limit is None else time_limit}


def _nsp_run(B: np.ndarray, k: int, label: str, params: dict[str, Any], *, progress: bool,
             callback: Callable | None, max_patterns: int, used_W: bool) -> ConstantResult:
    """Run one NSP method on ``B`` (rescaled exactly by a power of two: ``α_k`` only depends on ``ker B``)."""
    Bs, _ = exact_rescaling(B)
    if label in ("lp-bound", "lp", "socp"):
        raw = nsp_lp_bound(Bs, k, ascent_iters=int(params["ascent_iters"]), callback=callback)
    elif label == "enumerate":
        raw = nsp_enumerate(Bs, k, progress=progress, callback=callback, max_patterns=max_patterns)
    else:
        tl = params["time_limit"]
        raw = nsp_milp(Bs, k, time_limit=None if math.isinf(tl) else tl, callback=callback)
    return finish(finish_nsp(Bs, k, raw, label, params), B, used_W)


@register_verifier("nsp_constant")
def _verify_nsp(result: CheckResult) -> CheckResult:
    """Re-derive a saved ``nsp_constant`` result by re-running its method on the stored matrix.

    Theorem: docs/theory.md §2 (NSP(k) ⇔ α_k < 1/2).
    Rigor: the saved result's (never above it).
    """

    def derive(w: Witness) -> tuple[CheckResult, str]:
        B = w_matrix(w)
        used_W = w_bool(w, "W_used")
        m, N = B.shape
        k = w_int(w, "k", 1, N)
        label = w_choice(w, "method", ("enumerate", "milp", "lp-bound", "lp", "socp"))
        cplx = bool(np.iscomplexobj(B))
        if (label == "socp") != (cplx and k == 1) or (label == "lp" and (cplx or k != 1)) \
                or (label in ("enumerate", "milp") and cplx and k > 1) or (label == "lp-bound" and k == 1):
            raise InvalidArgument(f"witness['method'] = {label!r} is not what nsp_constant uses for this matrix and k")
        refuse_size(float(N) * N * (m + 1), 5e11, "re-running the NSP linear programs")
        params = _verify_params(w, label, N, k)
        res = _nsp_run(B, k, label, params, progress=False, callback=None, max_patterns=VERIFY_MAX_PATTERNS,
                       used_W=used_W)
        note = (" (a MILP stopped by its time limit is not reproducible)"
                if label == "milp" and not bool(res.values.get("optimal", True)) else "")
        return res, f"the {label} computation re-run on the stored matrix (bounds, values, witness){note}"

    return verify_with("nsp_constant", result, derive)


def _verify_params(w: Witness, label: str, N: int, k: int) -> dict[str, Any]:
    """The options a saved result was computed with (validated; absurd re-runs refused)."""
    if label == "enumerate":
        total = pattern_count(N, k, VERIFY_MAX_PATTERNS)
        if total > VERIFY_MAX_PATTERNS:
            raise Refused(f"re-running the enumeration of α_{k} needs {big(total)} (support, sign) patterns "
                          f"(more than {VERIFY_MAX_PATTERNS:,}): too large to verify here")
        return {}
    if label == "milp":
        tl = w_float(w, "time_limit", 0.0, math.inf, open_lo=True, finite=False)
        if math.isinf(tl) and N > MAX_MILP_N:
            raise Refused(f"re-running an MILP without time limit on N = {N} > {MAX_MILP_N} columns: "
                          "too large to verify here")
        return {"time_limit": tl}
    return {"ascent_iters": w_int(w, "ascent_iters", 0, 10_000)}
