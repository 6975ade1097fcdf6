"""The smallest ``γ`` of the robust null space property for a given ``ρ``.

For a support ``Ω`` and thresholds ``τ_j = ρω_j/√ξ`` (``ω = 1``, ``ξ = s``
without weights) the rNSP inequality
``‖v_Ω‖₂ ≤ Σ_{j∉Ω} τ_j|v_j| + γ‖Av‖₂`` holds for all ``v`` iff ``γ ≥ γ_Ω``, where
``γ_Ω = sup_v R_Ω(v)``, ``R_Ω(v) = (‖v_Ω‖₂ − Σ_{j∉Ω} τ_j|v_j|)/‖Av‖₂``, and by
conic duality (THEORY.md §2)

    γ_Ω = max_{‖u‖₂ ≤ 1} g_Ω(u),   g_Ω(u) = min{‖w‖₂ : A_Ω^* w = u, |(A^*w)_j| ≤ τ_j (j ∉ Ω)}.

``γ = max_Ω γ_Ω`` over the supports of size ``s`` (in levels: the
``(s, M)``-sparse supports); smaller supports are dominated.

* Lower bounds: every solve of the cone program for ``g_Ω(u)`` returns a
  dual vector ``v`` with ``R_Ω(v) ≥ g_Ω(u)`` for a unit ``u``; ascent
  iterates ``u ← v_Ω/‖v_Ω‖``. The best ``R_Ω(v)`` is re-evaluated in ball
  arithmetic: proven.
* Upper bounds (ε-net): let ``u_k`` be unit vectors that, with their
  symmetric images (``±u_k`` real; ``e^{iθ}u_k`` complex), cover the unit
  sphere with ``⟨u, d⟩ ≥ c₀`` for the nearest ``u`` to any unit ``d``. Solve
  the programs at ``t_k = u_k/c₀`` (a polytope containing the ball) with
  thresholds ``(1 − 10⁻⁷)τ``; with ``p_k = A_Ω^* w_k``,
  ``η ≥ max‖p_k − t_k‖``, ``r = max_{k,j∉Ω} |(A^*w_k)_j|/τ_j`` and
  ``G = max‖w_k‖``, every ``v`` satisfies
  ``(1 − η)‖v_Ω‖ ≤ max_k |⟨p_k, v_Ω⟩| ≤ G‖Av‖ + r Σ_{j∉Ω} τ_j|v_j|``, so
  ``γ_Ω ≤ G/(1 − η)`` once ``r ≤ 1 − η``. The nets: ``s = 1``: ``u = 1``
  (``c₀ = 1``, exact up to the solver); real ``s = 2``: a regular polygon
  (``c₀ = cos(π/2n)``); otherwise the normalised grid of spacing ``h`` on
  the faces of the cube in ``R^d`` (``d = s`` real, ``2s`` complex) with
  ``c₀ = sqrt(1 − (d−1)h²/4)``. ``η``, ``r`` and ``G`` are evaluated with
  a-priori rounding bounds and the exact targets' enclosures: proven.
* ``γ = ∞`` (the stable NSP with ``ρ`` fails) when a program is infeasible:
  its Farkas ray is a kernel vector with ``‖v_Ω‖₂ > Σ τ_j|v_j|``, re-proven on
  an exact kernel vector in ball arithmetic.

Theorem: THEORY.md §2 (rNSP; smallest γ for a given ρ; rNSP in levels).
Rigor: proven lower and upper bounds (ball arithmetic / outward-rounded a-priori bounds).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from typing import Any, Callable

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.precision import precision
from theorycheck.rnsp._common import (
    WITNESS_BITS,
    ball_down, ball_mids, balls, call_back, exact_kernel_balls, gam, matvec_balls, norm2_ball, progress_bar, up, down,
)

#: relative tightening of the thresholds in the programs behind the upper bound
SLACK = 1e-7
#: most ε-net points per support
MAX_NET = 20000


# --------------------------------------------------------------------------------------
# problem specification (thresholds, supports)
# --------------------------------------------------------------------------------------

@dataclasses.dataclass
class Spec:
    """Matrix, thresholds ``τ_j = ρω_j/√ξ`` and support structure of one rNSP question."""

    B: np.ndarray                            # the matrix rescaled by a power of two: A = B·2^exp
    rho: float
    omega: np.ndarray
    s: int                                   # support size
    levels: list[tuple[int, int]] | None
    s_levels: list[int] | None
    xi_terms: list[tuple[float, int]]        # ξ = Σ w² · count, exactly
    exp: int = 0                             # γ(A) = γ(B)·2^{−exp}
    structure: str = "plain"                 # "plain", "weighted" or "levels"

    def original(self) -> np.ndarray:
        """The user's matrix ``A = B·2^exp`` (exact: the rescaling was checked to be exact)."""
        if self.exp == 0:
            return self.B
        if self.cplx:
            return np.ldexp(self.B.real, self.exp) + 1j * np.ldexp(self.B.imag, self.exp)
        return np.ldexp(self.B, self.exp)

    @property
    def cplx(self) -> bool:
        return bool(np.iscomplexobj(self.B))

    @property
    def N(self) -> int:
        return self.B.shape[1]

    def xi_ball(self) -> Any:
        import flint

        total = flint.arb(0)
        for w, c in self.xi_terms:
            total += flint.arb(w) ** 2 * c
        return total

    @property
    def xi(self) -> float:
        return float(sum(w * w * c for w, c in self.xi_terms))

    @property
    def tau(self) -> np.ndarray:
        return self.rho * self.omega / math.sqrt(self.xi)

    def tau_balls(self) -> list[Any]:
        import flint

        sx = self.xi_ball().sqrt()
        r = flint.arb(self.rho)
        return [r * flint.arb(float(w)) / sx for w in self.omega]

    def tau_lower(self) -> np.ndarray:
        """Floats ≤ the exact thresholds (ξ's float sum and the sqrt/divisions widened by γ_n)."""
        return down(self.tau * (1.0 - gam(len(self.xi_terms) + 4)))

    def count(self) -> int:
        if self.levels is None:
            return math.comb(self.N, self.s)
        return math.prod(math.comb(b - a, k) for (a, b), k in zip(self.levels, self.s_levels))

    def supports(self):
        if self.levels is None:
            for S in itertools.combinations(range(self.N), self.s):
                yield np.array(S, dtype=np.intp)
            return
        per = [list(itertools.combinations(range(a, b), k)) for (a, b), k in zip(self.levels, self.s_levels)]
        for parts in itertools.product(*per):
            yield np.array(sorted(itertools.chain.from_iterable(parts)), dtype=np.intp)

    def random_support(self, rng: np.random.Generator) -> np.ndarray:
        if self.levels is None:
            return np.sort(rng.choice(self.N, self.s, replace=False))
        parts = [a + rng.choice(b - a, k, replace=False) for (a, b), k in zip(self.levels, self.s_levels)]
        return np.sort(np.concatenate(parts)).astype(np.intp)

    def check_support(self, S: Any, what: str = "support") -> np.ndarray:
        """``S`` as an admissible support (distinct indices in range; ``|Ω| ≤ s``, or ``≤ s_k`` per level).

        The rNSP inequality is only required for admissible ``Ω``: a "violation"
        on any other set proves nothing, so witnesses are checked here.
        """
        from theorycheck.rnsp._common import distinct_support

        idx = distinct_support(S, self.N)
        if self.levels is None:
            if idx.size > self.s:
                raise InvalidArgument(f"{what} {idx.tolist()} has {idx.size} indices, more than s = {self.s}")
        else:
            for k, ((a, b), sk) in enumerate(zip(self.levels, self.s_levels)):
                c = int(np.sum((idx >= a) & (idx < b)))
                if c > sk:
                    raise InvalidArgument(f"{what} {idx.tolist()} has {c} indices in level {k}, more than "
                                          f"s_{k} = {sk}")
        return idx

    @precision(prec=WITNESS_BITS)
    def to_original(self, x: float, up_: bool) -> float:
        """A bound of ``γ`` for ``B`` turned into one for ``A = B·2^exp`` (rounded outward)."""
        import flint

        from theorycheck.rnsp._common import ball_up

        if self.exp == 0 or not math.isfinite(x):
            return x
        b = flint.arb(x) * flint.arb(2) ** (-self.exp)
        return ball_up(b) if up_ else ball_down(b)

    def best_support(self, v: np.ndarray) -> np.ndarray:
        """A support maximising ``‖v_Ω‖₂ − Σ_{j∉Ω} τ_j|v_j|`` among a few natural candidates."""
        a = np.abs(v)
        tau = self.tau
        keys = [a, tau * a, a * (a + tau)]
        best, best_val = None, -np.inf
        for key in keys:
            if self.levels is None:
                S = np.sort(np.argsort(-key, kind="stable")[: self.s])
            else:
                S = np.sort(np.concatenate([a_ + np.argsort(-key[a_:b_], kind="stable")[:k]
                                            for (a_, b_), k in zip(self.levels, self.s_levels)]))
            val = _numerator(v, S, tau)
            if val > best_val:
                best, best_val = S, val
        return best.astype(np.intp)


def unscale(x: float, exp: int) -> float:
    """Float ``x·2^{−exp}`` (a ratio of the rescaled matrix in the units of ``A``; ``inf`` on overflow)."""
    with np.errstate(over="ignore", under="ignore"):
        return float(np.ldexp(x, -exp))


def _numerator(v: np.ndarray, S: np.ndarray, tau: np.ndarray) -> float:
    mask = np.ones(v.size, bool)
    mask[S] = False
    return float(np.linalg.norm(v[S]) - np.sum(tau[mask] * np.abs(v[mask])))


def ratio_float(B: np.ndarray, v: np.ndarray, S: np.ndarray, tau: np.ndarray) -> float:
    """Float ``R_Ω(v)`` (``inf`` when ``Av = 0`` and the numerator is positive)."""
    num = _numerator(v, S, tau)
    den = float(np.linalg.norm(B @ v))
    if den == 0:
        return math.inf if num > 0 else -math.inf
    return num / den


@precision(prec=WITNESS_BITS)
def ratio_ball(spec: Spec, v: np.ndarray, S: np.ndarray, gamma: float | None = None) -> Any:
    """Ball of ``R_Ω(v)`` or, with ``gamma``, of ``‖v_Ω‖₂ − Σ τ_j|v_j| − γ‖Av‖₂`` for the *original* ``A``.

    ``S`` must be an admissible support (:meth:`Spec.check_support`).
    """
    import flint

    S = spec.check_support(S)
    vb = balls(v)
    taus = spec.tau_balls()
    inS = set(int(i) for i in S)
    num = norm2_ball([vb[i] for i in S])
    for j in range(len(vb)):
        if j not in inS:
            num -= taus[j] * abs(vb[j])
    Av = norm2_ball(matvec_balls(spec.B, vb)) * flint.arb(2) ** spec.exp   # ‖A v‖ with A = B·2^exp
    if gamma is not None:
        return num - flint.arb(gamma) * Av
    return num / Av


@precision(prec=WITNESS_BITS)
def kernel_violation_ball(spec: Spec, v: np.ndarray, S: np.ndarray, basic: np.ndarray | None = None
                          ) -> tuple[Any, Any, np.ndarray] | None:
    """``(ball of ‖ẑ_Ω‖₂ − Σ τ_j|ẑ_j|, balls of ẑ, basic columns)`` for an exact kernel vector ``ẑ`` near ``v``."""
    S = spec.check_support(S)
    ek = exact_kernel_balls(spec.B, v, basic)
    if ek is None:
        return None
    zb, basic_cols = ek
    taus = spec.tau_balls()
    inS = set(int(i) for i in S)
    num = norm2_ball([zb[i] for i in S])
    for j in range(len(zb)):
        if j not in inS:
            num -= taus[j] * abs(zb[j])
    return num, zb, basic_cols


# --------------------------------------------------------------------------------------
# ε-nets of the unit sphere modulo the symmetry group
# --------------------------------------------------------------------------------------

@dataclasses.dataclass
class Net:
    """Targets ``t_k ≈ u_k/c₀`` (floats) with a proven bound ``delta_t ≥ max‖t̃_k − t_k‖``."""

    T: np.ndarray
    delta_t: float
    c0: float
    kind: str

    @property
    def size(self) -> int:
        return self.T.shape[0]


@precision(prec=WITNESS_BITS)
def make_net(s: int, cplx: bool, tol: float) -> Net:
    """The ε-net for supports of size ``s`` whose bound is within a factor ``1 + tol`` (see module doc)."""
    import flint

    if s == 1:
        T = np.ones((1, 1), dtype=complex if cplx else float)
        return Net(T, 0.0, 1.0, "point")
    if not cplx and s == 2:
        # smallest n with 1/cos(π/2n) − 1 ≤ tol, found in closed form (a loop would never end for tiny tol)
        c_need = 1.0 / (1.0 + tol)
        n_est = math.pi / (2.0 * math.acos(c_need)) if c_need < 1.0 else math.inf
        if not n_est <= 2 * MAX_NET:
            raise InvalidArgument(
                f"the ε-net for s = 2 with tol = {tol:g} needs about {n_est:.3g} cone programs per support "
                f"(more than {MAX_NET:,}); raise tol, or use method='bounds'")
        n = max(2, int(n_est) - 2)
        while 1.0 / math.cos(math.pi / (2 * n)) - 1.0 > tol:
            n += 1
        if n > MAX_NET:
            raise InvalidArgument(
                f"the ε-net for s = 2 with tol = {tol:g} needs {n:,} cone programs per support (more than "
                f"{MAX_NET:,}); raise tol, or use method='bounds'")
        c0 = flint.arb(flint.fmpq(1, 2 * n)).cos_pi()
        rows, dt = [], 0.0
        for k in range(n):
            u = [flint.arb(flint.fmpq(k, n)).cos_pi() / c0, flint.arb(flint.fmpq(k, n)).sin_pi() / c0]
            tf = [float(x.mid()) for x in u]
            dt = max(dt, float(norm2_ball([u[0] - tf[0], u[1] - tf[1]]).upper()))
            rows.append(tf)
        return Net(np.array(rows), float(np.nextafter(dt, np.inf)),
                   float(c0.mid()), f"polygon({2 * n})")
    d = 2 * s if cplx else s
    # smallest n with 1 − (d−1)/n² > 0 and 1/sqrt(1 − (d−1)/n²) − 1 ≤ tol, from the closed form
    c2_need = 1.0 / (1.0 + tol) ** 2
    n_est = math.sqrt((d - 1) / (1.0 - c2_need)) if c2_need < 1.0 else math.inf
    too_many = lambda n_: ((n_ + 1) ** d - (n_ - 1) ** d) // (4 if cplx else 2) > MAX_NET  # noqa: E731
    if not n_est < 2 ** 40 or too_many(max(1, int(n_est) - 1)):
        raise InvalidArgument(
            f"the ε-net for s = {s}{' (complex)' if cplx else ''} with tol = {tol:g} needs more than "
            f"{MAX_NET:,} cone programs per support; raise tol, or use method='bounds'")
    n = max(1, int(n_est) - 2)
    while True:
        h2 = (2.0 / n) ** 2
        c0f = math.sqrt(max(1.0 - (d - 1) * h2 / 4.0, 1e-300))
        if 1.0 - (d - 1) * h2 / 4.0 > 0 and 1.0 / c0f - 1.0 <= tol:
            break
        n += 1
    total = (n + 1) ** d - (n - 1) ** d
    if total // (4 if cplx else 2) > MAX_NET:
        raise InvalidArgument(
            f"the ε-net for s = {s}{' (complex)' if cplx else ''} with tol = {tol:g} needs about "
            f"{total // (4 if cplx else 2):,} cone programs per support (more than {MAX_NET:,}); "
            "raise tol, or use method='bounds'")
    # c0 = sqrt(1 − (d−1)h²/4) exactly, h = 2/n
    c0 = (1 - flint.arb(flint.fmpq(d - 1, n * n))).sqrt()
    pts = []
    for k in itertools.product(range(n + 1), repeat=d):
        if not any(x == 0 or x == n for x in k):
            continue
        if cplx:
            orbit = [k]
            cur = k
            for _ in range(3):  # multiplication by i: (x, y) -> (−y, x)
                x, y = cur[:s], cur[s:]
                cur = tuple(n - yy for yy in y) + tuple(x)
                orbit.append(cur)
            if k != max(orbit):
                continue
        else:
            if k <= tuple(n - x for x in k):
                continue
        pts.append(k)
    rows, dt = [], 0.0
    for k in pts:
        g = [flint.arb(flint.fmpq(2 * x - n, n)) for x in k]
        ng = norm2_ball(g)
        t = [gi / (ng * c0) for gi in g]
        tf = np.array([float(x.mid()) for x in t])
        err = norm2_ball([ti - fi for ti, fi in zip(t, tf)])
        dt = max(dt, float(err.upper()))
        rows.append(tf[:s] + 1j * tf[s:] if cplx else tf)
    return Net(np.array(rows), float(np.nextafter(dt, np.inf)), float(c0.mid()), f"cube-grid(n={n}, d={d})")


# --------------------------------------------------------------------------------------
# the cone program g_Ω(t)
# --------------------------------------------------------------------------------------

class GammaProgram:
    """``min ½‖w‖² s.t. A_Ω^* w = t, |(A^*w)_j| ≤ τ_j (j ∉ Ω)`` with clarabel (data updated per target)."""

    def __init__(self, B: np.ndarray, S: np.ndarray, tau: np.ndarray) -> None:
        import clarabel
        import scipy.sparse as sp

        self.B, self.S = B, np.asarray(S)
        m, N = B.shape
        self.cplx = bool(np.iscomplexobj(B))
        mask = np.ones(N, bool)
        mask[self.S] = False
        self.Sc = np.nonzero(mask)[0]
        s, nc = self.S.size, self.Sc.size
        BS, BC = B[:, self.S], B[:, self.Sc]
        if self.cplx:
            br, bi = BS.real, BS.imag
            eq = np.vstack([np.hstack([br.T, bi.T]), np.hstack([-bi.T, br.T])])  # Re rows then Im rows
            cr, ci = BC.real, BC.imag
            soc = np.zeros((3 * nc, 2 * m))
            soc[1::3] = np.hstack([cr.T, ci.T])
            soc[2::3] = np.hstack([-ci.T, cr.T])
            self.Ac = sp.csc_matrix(np.vstack([eq, soc]))
            self.cones = [clarabel.ZeroConeT(2 * s)] + [clarabel.SecondOrderConeT(3)] * nc
            self.nvar = 2 * m
            self.b_tail = np.zeros(3 * nc)
            self.b_tail[0::3] = tau[self.Sc]
        else:
            self.Ac = sp.csc_matrix(np.vstack([BS.T, BC.T, -BC.T]))
            self.cones = [clarabel.ZeroConeT(s), clarabel.NonnegativeConeT(2 * nc)]
            self.nvar = m
            self.b_tail = np.r_[tau[self.Sc], tau[self.Sc]]
        self.P = sp.identity(self.nvar, format="csc")
        self.q = np.zeros(self.nvar)
        self.settings = clarabel.DefaultSettings()
        self.settings.verbose = False
        self.solver = None
        self.pinv = np.linalg.pinv(BS.conj().T) if s else np.zeros((m, 0))
        self.BS = BS

    def _b(self, t: np.ndarray) -> np.ndarray:
        head = np.r_[t.real, t.imag] if self.cplx else np.asarray(t, float)
        return np.r_[head, self.b_tail]

    def solve(self, t: np.ndarray) -> tuple[str, np.ndarray | None, np.ndarray]:
        """``(status, w, v)``: status ``"ok"`` (``w`` optimal, ``v`` the dual vector) or
        ``"infeasible"`` (``w`` None, ``v`` the Farkas ray, approximately in ``ker A``) or ``"failed"``."""
        import clarabel

        b = self._b(t)
        if self.solver is None:
            self.solver = clarabel.DefaultSolver(self.P, self.q, self.Ac, b, self.cones, self.settings)
        else:
            self.solver.update(b=b)
        sol = self.solver.solve()
        status = str(sol.status)
        z = np.asarray(sol.z)
        v = self._dual_vector(z)
        if status in ("Solved", "AlmostSolved"):
            x = np.asarray(sol.x)
            w = x[: self.nvar // 2] + 1j * x[self.nvar // 2:] if self.cplx else x.copy()
            # sharpen A_Ω^* w = t (least-norm correction; the thresholds keep their 1e-7 slack)
            w = w + self.pinv @ (t - self.BS.conj().T @ w)
            return "ok", w, v
        if status in ("PrimalInfeasible", "AlmostPrimalInfeasible"):
            return "infeasible", None, v
        return "failed", None, v

    def _dual_vector(self, z: np.ndarray) -> np.ndarray:
        N = self.B.shape[1]
        s, nc = self.S.size, self.Sc.size
        nu = np.zeros(N, dtype=complex if self.cplx else float)
        if self.cplx:
            nu[self.S] = z[:s] + 1j * z[s:2 * s]
            soc = z[2 * s:]
            nu[self.Sc] = soc[1::3] + 1j * soc[2::3]
        else:
            nu[self.S] = z[:s]
            nu[self.Sc] = z[s:s + nc] - z[s + nc:]
        return -nu  # KKT: w = −A_c^T z = A(−ν)


def net_certificate(B: np.ndarray, S: np.ndarray, W: np.ndarray, net: Net, tau_lo: np.ndarray
                    ) -> tuple[float, dict[str, float]]:
    """Proven upper bound ``G/(1 − η)`` of ``γ_Ω`` from the net solutions (``inf`` if the test fails)."""
    m = B.shape[0]
    cplx = bool(np.iscomplexobj(B) or np.iscomplexobj(W))
    mask = np.ones(B.shape[1], bool)
    mask[S] = False
    BS, BC = B[:, S], B[:, mask]
    aW = np.abs(W)
    P = W @ np.conj(BS)
    eP = gam(m, cplx) * (aW @ np.abs(BS)) * (1 + gam(m))
    diff = np.abs(P - net.T) + eP
    eta = float(up(np.max(np.sqrt(np.sum(diff ** 2, axis=1))) * (1 + gam(S.size + 2)) + net.delta_t, 1.0))
    Q = W @ np.conj(BC)
    eQ = gam(m, cplx) * (aW @ np.abs(BC)) * (1 + gam(m))
    r = float(up(np.max((np.abs(Q) + eQ) / tau_lo[mask]), 1.0)) if BC.shape[1] else 0.0
    G = float(up(np.max(np.sqrt(np.sum(aW ** 2, axis=1))) * (1 + gam(2 * m + 2)), 1.0))
    info = {"eta": eta, "r": r, "G": G}
    if not eta < 1.0:
        return math.inf, info
    one_minus = float(down(1.0 - eta, 1.0))
    if float(up(r / one_minus, 1.0)) > 1.0:
        return math.inf, info
    return float(up(G / one_minus, 1.0)), info


def support_run(B: np.ndarray, S: np.ndarray, tau: np.ndarray, tau_lo: np.ndarray, net: Net,
                ascent: int) -> dict[str, Any]:
    """Net solves, ascent and the certificate for one support (top level: picklable for executors)."""
    prog = GammaProgram(B, S, tau * (1 - SLACK))
    Ws, best_R, best_v = [], -math.inf, None
    ray, failed = None, None
    for t in net.T:
        st, w, v = prog.solve(t)
        if st == "ok":
            Ws.append(w)
            R = ratio_float(B, v, S, tau)
            if R > best_R:
                best_R, best_v = R, v
        elif st == "infeasible":
            failed = "a target of the ε-net is infeasible"
            # is the unit target itself infeasible? then the Farkas ray is an NSP violation candidate
            st2, _, v2 = prog.solve(t / np.linalg.norm(t))
            if st2 == "infeasible":
                ray = v2
            break
        else:
            failed = f"the cone solver failed ({st})"
            break
    if best_v is not None and ray is None:
        v = best_v
        for _ in range(ascent):
            nv = np.linalg.norm(v[S])
            if nv == 0:
                break
            st, w, v = prog.solve(v[S] / nv)
            if st == "infeasible":
                ray = v
                break
            if st != "ok":
                break
            R = ratio_float(B, v, S, tau)
            if R <= best_R * (1 + 1e-12):
                break
            best_R, best_v = R, v
    upper, info = math.inf, {}
    if failed is None and Ws:
        upper, info = net_certificate(B, S, np.array(Ws), net, tau_lo)
        if not math.isfinite(upper):
            failed = f"net certificate failed (η = {info['eta']:.3g}, r = {info['r']:.9g})"
    return {"support": S, "lower": best_R, "v": best_v, "upper": upper, "ray": ray, "failed": failed,
            "info": info}


# --------------------------------------------------------------------------------------
# drivers
# --------------------------------------------------------------------------------------

def estimate_seconds(spec: Spec, net: Net, ascent: int) -> tuple[float, float]:
    """Estimated seconds for all supports and per support (one pilot support; ``inf`` on overflow)."""
    S = next(iter(spec.supports()))
    t0 = time.perf_counter()
    support_run(spec.B, S, spec.tau, spec.tau_lower(), net, ascent)
    per = max(time.perf_counter() - t0, 1e-9)
    try:
        return per * float(spec.count()), per
    except OverflowError:
        return math.inf, per


def _batches(it, size: int):
    batch = []
    for S in it:
        batch.append(S)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _run_batch(B, batch, tau, tau_lo, net, ascent):
    return [support_run(B, S, tau, tau_lo, net, ascent) for S in batch]


def gamma_enumerate(spec: Spec, net: Net, *, ascent: int, executor: Any, progress: bool,
                    callback: Callable | None) -> dict[str, Any]:
    """All supports: best lower witness, max certified upper, NSP-violation candidates."""
    tau, tau_lo = spec.tau, spec.tau_lower()
    bar = progress_bar(spec.count(), progress, "rNSP γ: supports")
    best = {"lower": -math.inf, "v": None, "support": None}
    upper, failures, violation = 0.0, [], None

    def absorb(res_list):
        nonlocal upper, violation
        for res in res_list:
            if res["v"] is not None and res["lower"] > best["lower"]:
                best.update(lower=res["lower"], v=res["v"], support=res["support"])
                call_back(callback, {"gamma_lower": unscale(res["lower"], spec.exp), "support": res["support"],
                                     "v": res["v"]})
            upper = max(upper, res["upper"])
            if res["failed"]:
                failures.append((res["support"], res["failed"]))
            if res["ray"] is not None and violation is None:
                proof = prove_kernel_violation(spec, res["ray"], res["support"])
                if proof is not None:
                    violation = proof
            if bar is not None:
                bar.update(1)

    try:
        batches = _batches(spec.supports(), 16)
        if executor is None:
            for batch in batches:
                absorb(_run_batch(spec.B, batch, tau, tau_lo, net, ascent))
                if violation is not None:
                    break
        else:
            futures = [executor.submit(_run_batch, spec.B, batch, tau, tau_lo, net, ascent) for batch in batches]
            for fut in futures:
                if violation is not None:
                    fut.cancel()
                    continue
                absorb(fut.result())
    finally:
        if bar is not None:
            bar.close()
    return {"best": best, "upper": upper, "failures": failures, "violation": violation}


@precision(prec=WITNESS_BITS)
def prove_kernel_violation(spec: Spec, v: np.ndarray, S: np.ndarray) -> dict[str, Any] | None:
    """Proof that the stable NSP with ``ρ`` fails: an exact kernel vector with ``‖v_Ω‖₂ > Σ τ_j|v_j|``.

    Returns ``{"v", "v_solver", "support", "basic_columns", "margin"}``: ``v`` the
    exact kernel vector rounded to float64, ``v_solver`` the solver's vector, the
    support and the basic columns from which :func:`kernel_violation_assemble`
    re-derives the proof deterministically.
    """
    for Om in (np.asarray(S), spec.best_support(v)):
        out = kernel_violation_assemble(spec, v, Om)
        if out is None:
            return None
        if out["margin"] > 0:
            return out
    return None


@precision(prec=WITNESS_BITS)
def kernel_violation_assemble(spec: Spec, v: np.ndarray, S: np.ndarray, basic: np.ndarray | None = None
                              ) -> dict[str, Any] | None:
    """The kernel-vector violation proof from ``(v, Ω, basic columns)``; ``margin`` rounded down (≤ 0: no proof)."""
    out = kernel_violation_ball(spec, v, S, basic)
    if out is None:
        return None
    margin, zb, basic_cols = out
    m = ball_down(margin) if margin.is_finite() else -math.inf
    return {"v": ball_mids(zb), "v_solver": np.asarray(v), "support": spec.check_support(S),
            "basic_columns": np.asarray(basic_cols, np.int64), "margin": m if margin > 0 else min(m, 0.0)}


def search(spec: Spec, *, restarts: int, iters: int, rng: np.random.Generator, gamma: float | None,
           progress: bool, callback: Callable | None) -> dict[str, Any]:
    """Ascent with random restarts for a large ``R_Ω(v)`` (and Farkas rays)."""
    B, tau = spec.B, spec.tau
    m, N = B.shape
    kernel = None
    if m < N <= 4000:  # kernel starts need a full SVD (N × N): skipped for very wide matrices
        _, _, Vh = np.linalg.svd(B)
        kernel = Vh[m:].conj().T  # orthonormal basis of (approximately) ker B
    progs: dict[tuple, GammaProgram] = {}

    def program(S):
        key = tuple(int(i) for i in S)
        if key not in progs:
            if len(progs) > 256:
                progs.clear()
            progs[key] = GammaProgram(B, S, tau)
        return progs[key]

    best = {"lower": -math.inf, "v": None, "support": None}
    violation = None
    bar = progress_bar(restarts, progress, "rNSP search")
    try:
        for r in range(restarts):
            if kernel is not None and r % 2 == 0:
                coef = rng.standard_normal(kernel.shape[1])
                if spec.cplx:
                    coef = coef + 1j * rng.standard_normal(kernel.shape[1])
                v = kernel @ coef
            else:
                v = rng.standard_normal(N)
                if spec.cplx:
                    v = v + 1j * rng.standard_normal(N)
            S = spec.best_support(v) if r % 3 else spec.random_support(rng)
            prev = -math.inf
            for _ in range(iters):
                nv = np.linalg.norm(v[S])
                t = v[S] / nv if nv > 0 else np.eye(S.size, dtype=v.dtype)[0]
                st, _, v_new = program(S).solve(t)
                if st == "infeasible":
                    proof = prove_kernel_violation(spec, v_new, S)
                    if proof is not None:
                        violation = proof
                    break
                if st != "ok":
                    break
                v = v_new
                S2 = spec.best_support(v)
                R = max(ratio_float(B, v, S, tau), ratio_float(B, v, S2, tau))
                Sbest = S if ratio_float(B, v, S, tau) >= ratio_float(B, v, S2, tau) else S2
                if R > best["lower"]:
                    best.update(lower=R, v=v, support=Sbest)
                    call_back(callback, {"gamma_lower": unscale(R, spec.exp), "support": Sbest, "v": v})
                if R <= prev * (1 + 1e-12):
                    break
                prev = R
                S = S2
            if bar is not None:
                bar.update(1)
            if violation is not None or (gamma is not None
                                         and unscale(best["lower"], spec.exp) > gamma * (1 + 1e-9)):
                break
    finally:
        if bar is not None:
            bar.close()
    return {"best": best, "violation": violation}


@precision(prec=WITNESS_BITS)
def certify_lower(spec: Spec, best: dict[str, Any]) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """Proven lower bound from the best witness (max over its own and its best support)."""
    v = best.get("v")
    if v is None:
        return 0.0, None, None
    cands = [np.asarray(best["support"]), spec.best_support(v)]
    lo, Sbest = -math.inf, cands[0]
    for S in cands:
        b = ratio_ball(spec, v, S)
        val = ball_down(b) if b.is_finite() else -math.inf
        if val > lo:
            lo, Sbest = val, S
    return max(lo, 0.0), v, Sbest


def _check_weight_range(w: np.ndarray) -> None:
    if np.any(w < 2.0 ** -200) or np.any(w > 2.0 ** 200):
        raise InvalidArgument("weights must lie in [2^-200, 2^200] (ξ = Σ w_k² s_k must not under- or overflow): "
                              "rescale them (the rNSP in levels is invariant under a common factor)")


def make_spec(B: np.ndarray, s: Any, rho: float, weights: Any, levels: Any) -> Spec:
    """The :class:`Spec` of one rNSP question; ``B`` is rescaled exactly by a power of two for the solvers."""
    from theorycheck.rnsp._common import exact_rescaling

    size, lv, s_lv, omega, xi_terms = parse_structure(B.shape[1], s, weights, levels)
    Bs, e = exact_rescaling(B)
    structure = "levels" if levels is not None else ("plain" if weights is None else "weighted")
    return Spec(B=Bs, rho=float(rho), omega=omega, s=size, levels=lv, s_levels=s_lv, xi_terms=xi_terms, exp=e,
                structure=structure)


def parse_structure(N: int, s: Any, weights: Any, levels: Any) -> tuple[int, list | None, list | None,
                                                                        np.ndarray, list[tuple[float, int]]]:
    """Validate ``s``/``weights``/``levels``; return ``(support size, levels, s per level, ω, ξ terms)``."""
    from theorycheck.numerics.backend import as_array
    from theorycheck.problems.sparsity import _check_levels
    from theorycheck.rnsp._common import check_order

    if levels is None:
        s = check_order(s, N)
        if weights is None:
            return s, None, None, np.ones(N), [(1.0, s)]
        w = as_array(weights, "weights", allow_complex=False).reshape(-1)
        if w.size != N or np.any(w <= 0):
            raise InvalidArgument(f"weights must be {N} positive numbers (one per column), got {w.size}")
        _check_weight_range(w)
        top = np.sort(w)[::-1][:s]
        # ξ = max_{|Ω| = s} Σ_{i∈Ω} w_i² (constant weights give ξ = s w²)
        return s, None, None, w, [(float(x), 1) for x in top]
    lv = _check_levels(levels, N)
    raw = list(np.asarray(s).ravel()) if isinstance(s, np.ndarray) else (
        list(s) if isinstance(s, (list, tuple)) else [s] * len(lv))
    import numbers

    for x in raw:
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Integral, np.integer)):
            raise InvalidArgument(f"s must be a sequence of integer local sparsities, one per level; got {s!r}")
    s_list = [int(x) for x in raw]
    if len(s_list) != len(lv):
        raise InvalidArgument(f"s has {len(s_list)} entries but there are {len(lv)} levels")
    for k, ((a, b), sk) in enumerate(zip(lv, s_list)):
        if sk < 0 or sk > b - a:
            raise InvalidArgument(f"s[{k}] = {sk} must lie in [0, {b - a}] (the size of level {k})")
    if sum(s_list) == 0:
        raise InvalidArgument("all local sparsities are 0: pass at least one s_k ≥ 1")
    if weights is None:
        w_lv = [1.0] * len(lv)
    else:
        w = as_array(weights, "weights", allow_complex=False).reshape(-1)
        if w.size == len(lv):
            w_lv = [float(x) for x in w]
        elif w.size == N:
            w_lv = []
            for k, (a, b) in enumerate(lv):
                if np.any(w[a:b] != w[a]):
                    raise InvalidArgument(f"weights must be constant within each level (level {k} is not)")
                w_lv.append(float(w[a]))
        else:
            raise InvalidArgument(f"weights must have one entry per level ({len(lv)}) or per column ({N})")
        if any(x <= 0 for x in w_lv):
            raise InvalidArgument("weights must be positive")
        _check_weight_range(np.asarray(w_lv))
    omega = np.concatenate([np.full(b - a, wk) for (a, b), wk in zip(lv, w_lv)])
    return sum(s_list), lv, s_list, omega, [(wk, sk) for wk, sk in zip(w_lv, s_list)]

