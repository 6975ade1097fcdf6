"""Cone programs and ε-nets behind the smallest ``γ`` of the robust null space property.

For a support ``Ω`` and thresholds ``τ_j = ρω_j/√ξ`` (``ω = 1``, ``ξ = s``
without weights) the rNSP inequality
``‖v_Ω‖₂ ≤ Σ_{j∉Ω} τ_j|v_j| + γ‖Av‖₂`` holds for all ``v`` iff ``γ ≥ γ_Ω``, where
``γ_Ω = sup_v R_Ω(v)``, ``R_Ω(v) = (‖v_Ω‖₂ − Σ_{j∉Ω} τ_j|v_j|)/‖Av‖₂``, and by
conic duality (docs/theory.md §2)

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

Theorem: docs/theory.md §2 (rNSP; smallest γ for a given ρ; rNSP in levels).
Rigor: proven lower and upper bounds (ball arithmetic / outward-rounded a-priori bounds).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from typing import Any, Callable, Iterable, Iterator

import flint
import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.parallel import call_back, fan_out, progress_bar
from theorycheck.numerics.precision import precision
from theorycheck.rnsp._common import WITNESS_BITS, gam, norm2_ball, widen_down, widen_up
from theorycheck.rnsp._spec import Spec, prove_kernel_violation, ratio_float, unscale

#: relative tightening of the thresholds in the programs behind the upper bound
SLACK = 1e-7
#: most ε-net points per support
MAX_NET = 20000


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
    if s == 1:
        T = np.ones((1, 1), dtype=complex if cplx else float)
        return Net(T, 0.0, 1.0, "point")
    if not cplx and s == 2:
        return _polygon_net(tol)
    return _cube_net(s, cplx, tol)


def _polygon_net(tol: float) -> Net:
    """Real ``s = 2``: the regular ``2n``-gon (``c₀ = cos(π/2n)``), ``n`` the smallest with ``1/c₀ − 1 ≤ tol``."""
    # n found in closed form (a loop would never end for tiny tol)
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
        tf = [float(b.mid()) for b in u]
        dt = max(dt, float(norm2_ball([u[0] - tf[0], u[1] - tf[1]]).upper()))
        rows.append(tf)
    return Net(np.array(rows), float(np.nextafter(dt, np.inf)), float(c0.mid()), f"polygon({2 * n})")


def _cube_side(s: int, cplx: bool, tol: float) -> int:
    """Smallest ``n`` with ``1 − (d−1)/n² > 0`` and ``1/sqrt(1 − (d−1)/n²) − 1 ≤ tol`` (refused when too many)."""
    d = 2 * s if cplx else s
    sym = 4 if cplx else 2
    c2_need = 1.0 / (1.0 + tol) ** 2
    n_est = math.sqrt((d - 1) / (1.0 - c2_need)) if c2_need < 1.0 else math.inf
    def too_many(m: int) -> bool:
        return ((m + 1) ** d - (m - 1) ** d) // sym > MAX_NET

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
    if total // sym > MAX_NET:
        raise InvalidArgument(
            f"the ε-net for s = {s}{' (complex)' if cplx else ''} with tol = {tol:g} needs about "
            f"{total // sym:,} cone programs per support (more than {MAX_NET:,}); "
            "raise tol, or use method='bounds'")
    return n


def _cube_points(n: int, s: int, cplx: bool) -> list[tuple[int, ...]]:
    """Grid points on the faces of ``[0, n]^d``, one per orbit of the symmetry group (``±1``, or ``i^k``)."""
    d = 2 * s if cplx else s
    pts = []
    for k in itertools.product(range(n + 1), repeat=d):
        if not any(c == 0 or c == n for c in k):
            continue
        if cplx:
            orbit = [k]
            cur = k
            for _ in range(3):  # multiplication by i: (x, y) -> (−y, x)
                re, im = cur[:s], cur[s:]
                cur = tuple(n - c for c in im) + tuple(re)
                orbit.append(cur)
            if k != max(orbit):
                continue
        elif k <= tuple(n - c for c in k):
            continue
        pts.append(k)
    return pts


def _cube_net(s: int, cplx: bool, tol: float) -> Net:
    """The normalised grid of spacing ``h = 2/n`` on the faces of the cube in ``R^d`` (``c₀ = sqrt(1 − (d−1)h²/4)``)."""
    n = _cube_side(s, cplx, tol)
    d = 2 * s if cplx else s
    # c0 = sqrt(1 − (d−1)h²/4) exactly, h = 2/n
    c0 = (1 - flint.arb(flint.fmpq(d - 1, n * n))).sqrt()
    rows, dt = [], 0.0
    for k in _cube_points(n, s, cplx):
        g = [flint.arb(flint.fmpq(2 * c - n, n)) for c in k]
        ng = norm2_ball(g)
        t = [gi / (ng * c0) for gi in g]
        tf = np.array([float(b.mid()) for b in t])
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
        self.solver: Any = None
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
    eta = float(widen_up(np.max(np.sqrt(np.sum(diff ** 2, axis=1))) * (1 + gam(S.size + 2)) + net.delta_t, 1.0))
    Q = W @ np.conj(BC)
    eQ = gam(m, cplx) * (aW @ np.abs(BC)) * (1 + gam(m))
    r = float(widen_up(np.max((np.abs(Q) + eQ) / tau_lo[mask]), 1.0)) if BC.shape[1] else 0.0
    G = float(widen_up(np.max(np.sqrt(np.sum(aW ** 2, axis=1))) * (1 + gam(2 * m + 2)), 1.0))
    info = {"eta": eta, "r": r, "G": G}
    if not eta < 1.0:
        return math.inf, info
    one_minus = float(widen_down(1.0 - eta, 1.0))
    if float(widen_up(r / one_minus, 1.0)) > 1.0:
        return math.inf, info
    return float(widen_up(G / one_minus, 1.0)), info


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
    upper, info = math.inf, dict[str, float]()
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


def _batches(it: Iterable[np.ndarray], size: int) -> Iterator[list[np.ndarray]]:
    batch = []
    for S in it:
        batch.append(S)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_batch(B: np.ndarray, batch: list[np.ndarray], tau: np.ndarray, tau_lo: np.ndarray, net: Net,
              ascent: int) -> list[dict[str, Any]]:
    """:func:`support_run` on a batch of supports (top level: picklable for executors)."""
    return [support_run(B, S, tau, tau_lo, net, ascent) for S in batch]


def gamma_enumerate(spec: Spec, net: Net, *, ascent: int, executor: Any, progress: bool,
                    callback: Callable | None) -> dict[str, Any]:
    """All supports: best lower witness, max certified upper, NSP-violation candidates.

    Batches of 16 supports run on ``executor`` (any object with ``submit``, or None); results are
    absorbed in support order and the enumeration stops at the first proven violation, so the
    outcome does not depend on the executor.
    """
    tau, tau_lo = spec.tau, spec.tau_lower()
    best: dict[str, Any] = {"lower": -math.inf, "v": None, "support": None}
    upper, failures = 0.0, []
    violation: dict[str, Any] | None = None
    tasks = ((spec.B, batch, tau, tau_lo, net, ascent) for batch in _batches(spec.supports(), 16))

    def found() -> bool:
        return violation is not None

    bar = progress_bar(spec.count(), progress, "rNSP γ: supports")
    try:
        for res_list in fan_out(run_batch, tasks, executor=executor, stop=found):
            for res in res_list:
                if res["v"] is not None and res["lower"] > best["lower"]:
                    best.update(lower=res["lower"], v=res["v"], support=res["support"])
                    call_back(callback, {"gamma_lower": unscale(res["lower"], spec.exp),
                                         "support": res["support"], "v": res["v"]})
                upper = max(upper, res["upper"])
                if res["failed"]:
                    failures.append((res["support"], res["failed"]))
                if res["ray"] is not None and violation is None:
                    violation = prove_kernel_violation(spec, res["ray"], res["support"])
                bar.update(1)
    finally:
        bar.close()
    return {"best": best, "upper": upper, "failures": failures, "violation": violation}


class _Search:
    """State of the ascent search: the matrix's kernel basis, cached cone programs, the best witness."""

    def __init__(self, spec: Spec, callback: Callable | None) -> None:
        self.spec, self.callback = spec, callback
        B = spec.B
        m, N = B.shape
        self.kernel = None
        if m < N <= 4000:  # kernel starts need a full SVD (N × N): skipped for very wide matrices
            _, _, Vh = np.linalg.svd(B)
            self.kernel = Vh[m:].conj().T  # orthonormal basis of (approximately) ker B
        self.progs: dict[tuple, GammaProgram] = {}
        self.best: dict[str, Any] = {"lower": -math.inf, "v": None, "support": None}
        self.violation: dict[str, Any] | None = None

    def program(self, S: np.ndarray) -> GammaProgram:
        key = tuple(int(i) for i in S)
        if key not in self.progs:
            if len(self.progs) > 256:
                self.progs.clear()
            self.progs[key] = GammaProgram(self.spec.B, S, self.spec.tau)
        return self.progs[key]

    def start(self, r: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Restart ``r``: a random kernel vector (even ``r``) or a random vector, and a support."""
        spec = self.spec
        if self.kernel is not None and r % 2 == 0:
            coef = rng.standard_normal(self.kernel.shape[1])
            if spec.cplx:
                coef = coef + 1j * rng.standard_normal(self.kernel.shape[1])
            v = self.kernel @ coef
        else:
            v = rng.standard_normal(spec.N)
            if spec.cplx:
                v = v + 1j * rng.standard_normal(spec.N)
        S = spec.best_support(v) if r % 3 else spec.random_support(rng)
        return v, S

    def ascend(self, v: np.ndarray, S: np.ndarray, iters: int) -> None:
        """Alternate the direction ``u = v_Ω/‖v_Ω‖`` and the support; record the best ratio and Farkas rays."""
        spec, B, tau = self.spec, self.spec.B, self.spec.tau
        prev = -math.inf
        for _ in range(iters):
            nv = np.linalg.norm(v[S])
            t = v[S] / nv if nv > 0 else np.eye(S.size, dtype=v.dtype)[0]
            st, _, v_new = self.program(S).solve(t)
            if st == "infeasible":
                proof = prove_kernel_violation(spec, v_new, S)
                if proof is not None:
                    self.violation = proof
                return
            if st != "ok":
                return
            v = v_new
            S2 = spec.best_support(v)
            R = max(ratio_float(B, v, S, tau), ratio_float(B, v, S2, tau))
            Sbest = S if ratio_float(B, v, S, tau) >= ratio_float(B, v, S2, tau) else S2
            if R > self.best["lower"]:
                self.best.update(lower=R, v=v, support=Sbest)
                call_back(self.callback, {"gamma_lower": unscale(R, spec.exp), "support": Sbest, "v": v})
            if R <= prev * (1 + 1e-12):
                return
            prev = R
            S = S2


def search(spec: Spec, *, restarts: int, iters: int, rng: np.random.Generator, gamma: float | None,
           progress: bool, callback: Callable | None) -> dict[str, Any]:
    """Ascent with random restarts for a large ``R_Ω(v)`` (and Farkas rays)."""
    state = _Search(spec, callback)
    bar = progress_bar(restarts, progress, "rNSP search")
    try:
        for r in range(restarts):
            v, S = state.start(r, rng)
            state.ascend(v, S, iters)
            bar.update(1)
            if state.violation is not None or (gamma is not None
                                               and unscale(state.best["lower"], spec.exp) > gamma * (1 + 1e-9)):
                break
    finally:
        bar.close()
    return {"best": state.best, "violation": state.violation}
