"""Paradox II: the optimality constant of a finite set and Chebyshev radii, with proven enclosures.

:func:`optimality_constant` computes ``c_opt(A, M₁) = inf_φ sup_{x ∈ M₁, ‖e‖ ≤ η} ‖φ(Ax + e) − x‖``
of a finite domain ``M₁``: the best answer to ``y`` is the Chebyshev centre of the points
consistent with it, so ``c_opt`` is the largest Chebyshev radius of a set whose measurements
fit in one ball of radius ``η``; :func:`chebyshev_radius` computes one radius with a proven
enclosure (minimum enclosing ball duality, ball arithmetic). Both are deterministic
functions of their witness, which :func:`verify_optimality_constant` and
:func:`verify_chebyshev_radius` re-run.

Theorem: optimal maps and Paradox II (docs/theory.md §3; seed 002); minimum enclosing ball duality.
Rigor: proven (ball arithmetic on the exact float inputs); numerical for an opaque operator.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
from fractions import Fraction
from typing import Any, Mapping, Sequence

import flint
import numpy as np

from theorycheck.errors import InvalidArgument, PreconditionError
from theorycheck.instability._common import enclosure_below, operator_arg
from theorycheck.instability._operators import BALL_PREC, Ball, apply_operator, operator_record, record_text
from theorycheck.instability._witness import WitnessCheck, no_witness, result_arg
from theorycheck.numerics.backend import as_array
from theorycheck.numerics.exact import ball_lower, ball_upper
from theorycheck.numerics.precision import precision
from theorycheck.numerics.rounding import U, norm2, round_down, round_up
from theorycheck.numerics.validation import integer_arg, real_arg, refuse_size
from theorycheck.results import (
    CheckResult,
    Outcome,
    Rigor,
    Witness,
    claim_mismatches,
    register_result,
    register_verifier,
    verification,
)

__all__ = ["ChebyshevRadius", "OptimalityConstant", "ParadoxSets", "build_paradox_sets", "chebyshev_radius",
           "optimality_constant", "verify_chebyshev_radius", "verify_optimality_constant", "verify_paradox_sets"]


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class ChebyshevRadius(CheckResult):
    """Chebyshev radius ``min_c max_i ‖c − p_i‖`` of a finite point set, with a proven enclosure.

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s)
    ----------------------------------------------------------------
    value : float
        Float64 estimate (the optimum of the refined active-set solve).
    lower, upper : float
        Proven bounds: ``lower² = f(λ)`` of a point ``λ`` of the simplex in the
        dual ``max_λ Σλ_i‖p_i‖² − ‖Σλ_i p_i‖²``, ``upper`` the largest distance
        from the centre ``c = Σλ_i p_i``, both in ball arithmetic.
    center : numpy.ndarray
        ``c`` (float64).
    support : tuple of int
        Points at distance ``≈ upper`` from ``c``.

    Theorem: minimum enclosing ball duality (docs/theory.md §3, Paradox II).
    Rigor: proven (ball arithmetic on the exact float inputs).
    """

    value: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    center: Any = None
    support: tuple = ()

    def __float__(self) -> float:
        return float(self.value)


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class OptimalityConstant(CheckResult):
    """Optimality constant ``c_opt(A, M₁)`` of a finite set (Paradox II).

    ``float(result)`` and ``value`` give the float64 estimate; ``lower`` and
    ``upper`` a proven enclosure; ``kersize`` the largest ``‖x − x′‖`` over
    pairs with ``‖Ax − Ax′‖ ≤ 2η`` and the bounds
    ``kersize/2 ≤ c_opt ≤ kersize`` are checked (``values``).
    ``subset`` holds the indices of a set attaining ``c_opt``.

    Theorem: optimal maps, Paradox II (docs/theory.md §3).
    Rigor: proven when every feasibility decision was decided in ball
    arithmetic; otherwise the enclosure is widened to cover both answers.
    """

    value: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    kersize: float = math.nan
    subset: tuple = ()

    def __float__(self) -> float:
        return float(self.value)


def _real_points(points: Any, name: str = "points") -> np.ndarray:
    """Points as float64 rows (complex points as ``[Re, Im]``: the same distances)."""
    P = as_array(points, name)
    if P.ndim < 1 or P.shape[0] < 1:
        raise InvalidArgument(f"{name} must hold at least one point, got shape {P.shape}")
    P = P.reshape(P.shape[0], -1)
    if P.shape[1] == 0:
        raise InvalidArgument(f"{name} has points of dimension 0")
    if np.iscomplexobj(P):  # distances in C^N equal those of [Re, Im] in R^{2N}
        P = np.concatenate([P.real, P.imag], 1)
    return np.ascontiguousarray(P, dtype=np.float64)


def _fdot(a: Any, b: Any) -> float:
    """Deterministic dot product: IEEE products, correctly rounded sum (math.fsum)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return math.fsum((np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)).tolist())


def _fmatvec(G: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``G v`` with deterministic dot products."""
    return np.array([_fdot(G[i], v) for i in range(G.shape[0])])


def _solve_det(M: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """Gaussian elimination with partial pivoting in plain IEEE operations (the same bits on
    every machine); None when a pivot vanishes (singular to working accuracy)."""
    M = np.array(M, dtype=np.float64)
    b = np.array(rhs, dtype=np.float64)
    n = M.shape[0]
    scale = float(np.max(np.abs(M))) if M.size else 0.0
    if not scale > 0:
        return None
    for c in range(n):
        p = c + int(np.argmax(np.abs(M[c:, c])))
        if not abs(M[p, c]) > 1e-13 * scale:
            return None
        if p != c:
            M[[c, p]] = M[[p, c]]
            b[[c, p]] = b[[p, c]]
        f = M[c + 1:, c] / M[c, c]
        M[c + 1:] = M[c + 1:] - f[:, None] * M[c]
        b[c + 1:] = b[c + 1:] - f * b[c]
    x = np.zeros(n)
    for i in range(n - 1, -1, -1):
        x[i] = (b[i] - _fdot(M[i, i + 1:], x[i + 1:])) / M[i, i]
    return x if bool(np.all(np.isfinite(x))) else None


def _simplex_qp(G: np.ndarray, iters: int = 200) -> np.ndarray:
    """Maximise ``f(λ) = Σλ_i G_ii − λᵀGλ`` over the simplex (the MEB dual), deterministically.

    Active-set iteration: solve the equality-constrained optimum on a support,
    drop negative weights, add the farthest point, until the KKT conditions hold.
    Every operation is an IEEE elementwise operation or a correctly rounded sum, so
    the result has the same bits on every machine (verifiers re-derive it).
    """
    K = G.shape[0]
    d = np.diag(G).copy()
    if K == 1:
        return np.ones(1)
    # start: the two farthest points (the MEB of a pair is its midpoint)
    D2 = d[:, None] + d[None, :] - 2 * G
    i, j = np.unravel_index(int(np.argmax(D2)), D2.shape)
    S = sorted({int(i), int(j)})
    lam = np.zeros(K)
    lam[S] = 1.0 / len(S)
    for _ in range(iters):
        # KKT on S: 2 G_SS λ_S + μ 1 = d_S, 1ᵀλ_S = 1
        GS = G[np.ix_(S, S)]
        M = np.zeros((len(S) + 1, len(S) + 1))
        M[:-1, :-1] = 2 * GS
        M[:-1, -1] = 1.0
        M[-1, :-1] = 1.0
        rhs = np.concatenate([d[S], [1.0]])
        sol = _solve_det(M, rhs)
        if sol is None:  # affinely dependent support (repeated points): drop the last point added
            if len(S) <= 1:
                break
            gone = S.pop()
            lam[gone] = 0.0
            lam[S] = lam[S] / math.fsum(lam[S].tolist()) if math.fsum(lam[S].tolist()) > 0 else 1.0 / len(S)
            continue
        new = sol[:-1]
        if np.any(new < 0):
            # step from the current λ_S towards new until a weight hits zero, drop it
            cur = lam[S]
            dirn = new - cur
            neg = dirn < 0
            t = float(np.min(np.where(neg, cur / np.where(neg, -dirn, 1.0), np.inf)))
            t = min(max(t, 0.0), 1.0)
            cur = cur + t * dirn
            cur[cur < 1e-15] = 0.0
            lam[:] = 0.0
            total = math.fsum(cur.tolist())
            lam[S] = cur / total
            S = [s for s in S if lam[s] > 0]
            continue
        lam[:] = 0.0
        lam[S] = new
        Gl = _fmatvec(G, lam)
        c2 = _fdot(lam, Gl)
        dist2 = c2 - 2 * Gl + d
        r2 = float(np.max(dist2[S]))
        k = int(np.argmax(dist2))
        if dist2[k] <= r2 * (1 + 1e-13) + 1e-300 or k in S:
            break
        S = sorted(set(S) | {k})
    return lam


def _gram_arb(P: np.ndarray) -> Any:
    """Gram matrix ``P Pᵀ`` of float rows as an ``arb_mat`` (call at high precision)."""
    Pm = flint.arb_mat(P.tolist())
    return Pm * Pm.transpose()


def _sub(G_arb: Any, S: Sequence[int]) -> Any:
    """The principal submatrix of ``G_arb`` on the indices ``S``."""
    out = flint.arb_mat(len(S), len(S))
    for a, i in enumerate(S):
        for b, j in enumerate(S):
            out[a, b] = G_arb[i, j]
    return out


def _radius_enclosure(G_arb: Any, lam: np.ndarray) -> tuple[float, float, float]:
    """Proven ``(lower, upper)`` of the Chebyshev radius from a dual point ``λ``, and an estimate.

    ``lower² = Σλ_i G_ii − λᵀGλ`` (any ``λ`` in the simplex; normalised exactly in
    ball arithmetic), ``upper² = max_i ‖c − p_i‖² = max_i (λᵀGλ − 2(Gλ)_i + G_ii)``;
    the estimate is the square root of the midpoint of ``lower²`` (deterministic).
    """
    K = G_arb.nrows()
    lam = np.maximum(np.asarray(lam, dtype=float), 0.0)
    if not lam.sum() > 0:
        lam = np.ones(K) / K
    la = [flint.arb(float(v)) for v in lam]
    s = sum(la, flint.arb(0))
    la = [v / s for v in la]
    Gl = [sum((G_arb[i, j] * la[j] for j in range(K)), flint.arb(0)) for i in range(K)]
    c2 = sum((la[i] * Gl[i] for i in range(K)), flint.arb(0))
    f = sum((la[i] * G_arb[i, i] for i in range(K)), flint.arb(0)) - c2
    hi2 = max(ball_upper(c2 - 2 * Gl[i] + G_arb[i, i]) for i in range(K))
    lo2 = ball_lower(f)
    hi = ball_upper(flint.arb(max(hi2, 0.0)).sqrt())
    lo = ball_lower(flint.arb(lo2).sqrt()) if lo2 > 0 else 0.0
    lo = max(0.0, min(lo, hi))
    est = math.sqrt(max(0.0, float(f.mid())))
    return lo, hi, min(max(est, lo), hi)


def _cheb(G_arb: Any) -> tuple[float, float, float, np.ndarray]:
    """(estimate, proven lower, proven upper, λ) of the Chebyshev radius of points with exact Gram
    matrix ``G_arb``; ``λ`` from the deterministic QP on the Gram matrix of the points shifted to
    the first one (rounded from the exact one, for accuracy)."""
    K = G_arb.nrows()
    if K == 1:
        return 0.0, 0.0, 0.0, np.ones(1)
    with precision(prec=BALL_PREC):
        G = np.array([[float((G_arb[i, j] - G_arb[i, 0] - G_arb[0, j] + G_arb[0, 0]).mid()) for j in range(K)]
                      for i in range(K)])
    lam = _simplex_qp(G)
    with precision(prec=BALL_PREC):
        lo, hi, est = _radius_enclosure(G_arb, lam)
    return est, lo, hi, lam


def chebyshev_radius(points: Any) -> ChebyshevRadius:
    """Chebyshev radius ``min_c max_i ‖c − p_i‖`` of finitely many points, with a proven enclosure.

    Solves the dual ``max_{λ ∈ simplex} Σλ_i‖p_i‖² − ‖Σλ_i p_i‖²`` (whose value
    is the squared radius) by an active-set method on the Gram matrix, then
    bounds the radius in ball arithmetic on the exact float inputs: any ``λ``
    gives a lower bound, the centre ``c = Σλ_i p_i`` an upper bound. Complex
    points are treated as real points of twice the dimension. Every reported
    number is a deterministic function of the points and ``λ`` (stored).

    Parameters
    ----------
    points : array_like
        Shape ``(K, ...)``: ``K`` points (each flattened).

    Returns
    -------
    ChebyshevRadius
        ``value`` (estimate), ``lower ≤ radius ≤ upper`` (proven), ``center``, ``support``.

    Theorem: minimum enclosing ball duality (docs/theory.md §3).
    Rigor: proven (ball arithmetic); the enclosure is tight to about 1e-15 relative.

    Examples
    --------
    >>> r = chebyshev_radius([[0.0, 0.0], [2.0, 0.0], [1.0, 0.5]])
    >>> round(r.value, 12), r.lower <= 1.0 <= r.upper
    (1.0, True)
    """
    P = _real_points(points)
    refuse_size(float(P.shape[0]) ** 2 * P.shape[1], 2e8, "the exact Gram matrix of the points",
                "pass fewer or smaller points")
    with precision(prec=BALL_PREC):
        G_arb = _gram_arb(P)
    _, _, _, lam = _cheb(G_arb)
    return _assemble_chebyshev({"points": P, "lambda": np.asarray(lam, dtype=np.float64)}, G_arb)


def _assemble_chebyshev(w: Mapping[str, Any], G_arb: Any = None) -> ChebyshevRadius:
    """Enclosure, estimate, centre and support of the Chebyshev radius from the points and ``λ``."""
    P, lam = np.asarray(w["points"]), np.asarray(w["lambda"])
    with precision(prec=BALL_PREC):
        if G_arb is None:
            G_arb = _gram_arb(P)
        if P.shape[0] == 1:
            lo = hi = est = 0.0
        else:
            lo, hi, est = _radius_enclosure(G_arb, lam)
    ln = np.maximum(lam, 0.0)
    total = math.fsum(ln.tolist())
    ln = ln / total if total > 0 else np.full(len(ln), 1.0 / len(ln))
    c = np.array([_fdot(ln, P[:, k]) for k in range(P.shape[1])])
    d = np.array([norm2(p - c) for p in P])
    support = tuple(int(i) for i in np.flatnonzero(d >= d.max() * (1 - 1e-9)))
    return ChebyshevRadius("chebyshev_radius", Outcome.HOLDS, Rigor.PROVEN,
                           f"Chebyshev radius {est:.15g} ∈ [{lo:.17g}, {hi:.17g}]",
                           {"lambda": lam}, Witness("points", {"points": P, "lambda": lam}),
                           "minimum enclosing ball (docs/theory.md §3)",
                           value=est, lower=lo, upper=hi, center=c, support=support)


def _digest(w: Mapping[str, Any]) -> str:
    """SHA-256 of a witness's data (arrays by dtype, shape and bytes): names the instance a claim is about."""
    h = hashlib.sha256()

    def feed(v: Any) -> None:
        if isinstance(v, np.ndarray):
            a = np.ascontiguousarray(v)
            h.update(f"array{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        elif isinstance(v, Mapping):
            h.update(b"{")
            for k in sorted(v):
                h.update(str(k).encode())
                feed(v[k])
            h.update(b"}")
        elif isinstance(v, (list, tuple)):
            h.update(b"[")
            for t in v:
                feed(t)
            h.update(b"]")
        else:
            h.update(repr(v).encode())

    feed(dict(w))
    return h.hexdigest()


def _cliques(adj: np.ndarray) -> list[tuple[int, ...]]:
    """Maximal cliques of a small undirected graph (Bron–Kerbosch with pivoting)."""
    K = adj.shape[0]
    nbrs = [{int(j) for j in np.flatnonzero(adj[i])} - {i} for i in range(K)]
    out: list[tuple[int, ...]] = []

    def bk(R: set, P: set, X: set) -> None:
        if not P and not X:
            out.append(tuple(sorted(R)))
            return
        u = max(sorted(P | X), key=lambda v: len(nbrs[v] & P))
        for v in sorted(P - nbrs[u]):
            bk(R | {v}, P & nbrs[v], X & nbrs[v])
            P = P - {v}
            X = X | {v}

    bk(set(), set(range(K)), set())
    return out


def optimality_constant(A: Any, points: Any, *, eta: float = 0.0, max_points: int = 64) -> OptimalityConstant:
    """Optimality constant ``c_opt(A, M₁)`` of a finite set ``M₁`` (Paradox II), with kersize bounds.

    ``c_opt = inf_φ sup_{x ∈ M₁, ‖e‖ ≤ η} ‖φ(Ax + e) − x‖``. The best answer to
    ``y`` is the Chebyshev centre of the points consistent with it, so
    ``c_opt = max{rad(S) : S ⊆ M₁, AS fits in one ball of radius η}``; for
    ``η = 0`` the sets are the fibres ``M₁ ∩ (x + ker A)``. The measurements
    are compared in ball arithmetic on the exact operator (dense matrix,
    unitary Fourier, DCT or Walsh–Hadamard transform). Candidate sets are the
    maximal cliques of the graph ``‖Ax − Ax′‖ ≤ 2η``, shrunk until they fit;
    every radius is a proven enclosure (:func:`chebyshev_radius`). Also
    reports ``kersize = max{‖x − x′‖ : ‖Ax − Ax′‖ ≤ 2η}`` and checks
    ``kersize/2 ≤ c_opt ≤ kersize``.

    Parameters
    ----------
    A : array_like or LinearOperator
    points : array_like
        ``(K, *A.in_shape)``: the finite domain ``M₁``.
    eta : float
        Noise level ``η ≥ 0`` (for points built in ``ker A`` in floating point,
        whose measurements agree only to rounding, pass a tiny ``η``).
    max_points : int
        Refuse larger sets (the search is exponential in the worst case; at most 256).

    Returns
    -------
    OptimalityConstant
        ``value``, proven ``lower``/``upper``, ``kersize``, ``subset``.

    Theorem: optimal maps and Paradox II (docs/theory.md §3; seed 002).
    Rigor: proven when every feasibility decision is decided (numerical for an
    opaque operator); otherwise the enclosure covers both answers of the
    undecided ones.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0, 0.0]])                       # ker A = last two coordinates
    >>> s = np.sqrt(3) / 2
    >>> tri = np.array([[0.0, 0.0, 1.0], [0.0, -s, -0.5], [0.0, s, -0.5]])
    >>> res = optimality_constant(A, tri)
    >>> round(res.value, 12), round(res.kersize / 2, 3)
    (1.0, 0.866)
    """
    A = operator_arg(A)
    eta = real_arg(eta, "eta", allow_zero=True)
    max_points = integer_arg(max_points, "max_points")
    if max_points > 256:
        raise InvalidArgument(f"max_points={max_points}: at most 256 (the set search is exponential)")
    Xv = as_array(points, "points")
    core = tuple(A.in_shape)
    if Xv.ndim != len(core) + 1 or Xv.shape[1:] != core or Xv.shape[0] < 1:
        raise InvalidArgument(f"points has shape {Xv.shape}; expected (K, {', '.join(map(str, core))})")
    K = Xv.shape[0]
    if K > max_points:
        raise InvalidArgument(f"{K} points exceed max_points={max_points}: the set search is exponential; "
                              "raise max_points if you can wait")
    rec = operator_record(A)
    w: dict[str, Any] = {"points": Xv, "operator": rec, "eta": eta, "max_points": max_points}
    if rec["kind"] == "opaque" or not Ball.available(rec):
        Y = apply_operator(A, Xv)
        if not np.all(np.isfinite(Y)):
            raise InvalidArgument("A·x overflows float64: rescale A or the points")
        w["measurements"] = Y
    return _assemble_optimality(w)


def _measurement_gram(w: Mapping[str, Any], Xv: np.ndarray, P: np.ndarray) -> tuple[Any, float]:
    """The Gram matrix of the measurements (``arb_mat``: exact operator in ball arithmetic, or the stored
    float64 measurements) and the slack that float64 measurements add to every distance."""
    with precision(prec=BALL_PREC):
        if "measurements" not in w:
            rows = []
            for b in Ball(w["operator"]).apply(Xv):
                if b and type(b[0]).__name__ == "acb":
                    rows.append([v.real for v in b] + [v.imag for v in b])
                else:
                    rows.append(list(b))
            Ya = flint.arb_mat(rows)
            return Ya * Ya.transpose(), 0.0
        Yf = _real_points(np.asarray(w["measurements"]), "measurements")
        m, N = Yf.shape[1], P.shape[1]
        # float64 measurements carry rounding: widen their distances (then only numerical)
        return _gram_arb(Yf), 64.0 * math.log2(m + N + 2) * (2 * U) * max(norm2(y) for y in Yf)


def _gram_distance(G: Any, i: int, j: int) -> tuple[Any, float, float]:
    """``‖p_i − p_j‖²`` from a Gram matrix as a ball, and its proven lower and upper ends."""
    with precision(prec=BALL_PREC):
        d2 = G[i, i] + G[j, j] - 2 * G[i, j]
        return d2, ball_lower(d2), ball_upper(d2)


class _SetSearch:
    """The sets ``S ⊆ M₁`` whose measurements fit in one ball of radius ``η``, and the largest radius.

    ``adj``: pairs possibly within ``2η`` in measurement, ``sure``: certainly within. Candidate
    sets are the maximal cliques of ``adj``, shrunk until they fit; a set whose proven radius
    cannot beat the best proven one is pruned with its subsets.
    """

    def __init__(self, GP: Any, GY: Any, slack: float, eta: float, K: int) -> None:
        self.GP, self.GY, self.slack, self.eta = GP, GY, slack, eta
        self.adj = np.zeros((K, K), dtype=bool)    # possibly within 2η
        self.sure = np.zeros((K, K), dtype=bool)   # certainly within 2η
        for i in range(K):
            for j in range(i + 1, K):
                lo, hi = self.measurement_distance(i, j)
                self.adj[i, j] = self.adj[j, i] = lo <= 2 * eta
                self.sure[i, j] = self.sure[j, i] = hi <= 2 * eta
        self.undecided = int(np.sum(self.adj & ~self.sure) // 2)
        self.best: tuple[float, float, float, tuple[int, ...]] = (0.0, 0.0, 0.0, (0,))  # est, lower, upper, S
        self.upper_all = 0.0   # largest upper bound over every set that may fit
        self.seen: set = set()

    def measurement_distance(self, i: int, j: int) -> tuple[float, float]:
        """Proven ``(lower, upper)`` of ``‖Ax_i − Ax_j‖`` (widened by the slack of float64 measurements)."""
        d2, lo2, hi2 = _gram_distance(self.GY, i, j)
        if d2.is_zero():  # exactly equal measurements
            return 0.0, 2 * self.slack
        lo = math.sqrt(lo2) if lo2 > 0 else 0.0
        hi = math.sqrt(hi2) if hi2 > 0 else 0.0
        return max(0.0, round_down(lo) - 2 * self.slack), round_up(hi) + 2 * self.slack

    def kersize(self, P: np.ndarray) -> tuple[float, float, float]:
        """``kersize = max{‖x − x′‖ : ‖Ax − Ax′‖ ≤ 2η}``: proven lower, upper and the float64 estimate."""
        ks_lo = ks_hi = ks_est = 0.0
        K = self.adj.shape[0]
        for i in range(K):
            for j in range(i + 1, K):
                if self.adj[i, j]:
                    _, lo2, hi2 = _gram_distance(self.GP, i, j)
                    ks_hi = max(ks_hi, round_up(math.sqrt(max(hi2, 0.0))))
                    ks_est = max(ks_est, norm2(P[i] - P[j]))
                    if self.sure[i, j]:
                        ks_lo = max(ks_lo, round_down(math.sqrt(lo2)) if lo2 > 0 else 0.0)
        return ks_lo, ks_hi, ks_est

    def fits(self, S: tuple[int, ...]) -> bool | None:
        """Does ``AS`` fit in one ball of radius ``η``? (None: undecided)."""
        pairs = list(itertools.combinations(S, 2))
        if all(self.sure[i, j] for i, j in pairs) and (self.eta == 0 or len(S) <= 2):
            return True  # η = 0: equal measurements; two points: the midpoint is the centre
        if not all(self.adj[i, j] for i, j in pairs):
            return False
        if self.eta == 0:
            return None
        _, lo, hi, _ = _cheb(_sub(self.GY, S))
        return enclosure_below(max(0.0, lo - self.slack), hi + self.slack, self.eta, strict=False)

    def visit(self, S: tuple[int, ...]) -> None:
        """Consider ``S`` and, unless it fits or cannot beat the best, its subsets one point smaller."""
        if S in self.seen:
            return
        self.seen.add(S)
        est, lo, hi, _ = _cheb(_sub(self.GP, S))
        if hi <= self.best[1]:
            return  # neither S nor its subsets can raise c_opt above what is proven
        f = self.fits(S)
        if f is True:
            if lo > self.best[1] or (lo == self.best[1] and est > self.best[0]):
                self.best = (est, lo, hi, S)
            self.upper_all = max(self.upper_all, hi)
            return
        if f is None:
            self.upper_all = max(self.upper_all, hi)
        for k in range(len(S)):
            self.visit(S[:k] + S[k + 1:])

    def run(self) -> None:
        """Visit every maximal clique of ``adj`` (largest first)."""
        for C in sorted(_cliques(self.adj), key=lambda c: (-len(c), c)):
            self.visit(C)


def _assemble_optimality(w: Mapping[str, Any]) -> OptimalityConstant:
    """The whole (deterministic) computation of :func:`optimality_constant` from its witness."""
    Xv, rec, eta = np.asarray(w["points"]), w["operator"], float(w["eta"])
    K = Xv.shape[0]
    P = _real_points(Xv)
    exact_meas = "measurements" not in w
    with precision(prec=BALL_PREC):
        GP = _gram_arb(P)
    GY, slack = _measurement_gram(w, Xv, P)
    search = _SetSearch(GP, GY, slack, eta, K)
    ks_lo, ks_hi, ks_est = search.kersize(P)
    search.run()
    est, lo, hi_best, S = search.best
    hi = max(hi_best, search.upper_all)
    decided = search.undecided == 0 and hi == hi_best
    checks = {"kersize/2 <= c_opt": ks_lo / 2 <= hi, "c_opt <= kersize": lo <= ks_hi}
    values = {"eta": eta, "kersize_lower": ks_lo, "kersize_upper": ks_hi, "kersize_bounds_hold": checks,
              "undecided_pairs": search.undecided, "exact_measurements": exact_meas, "operator": record_text(rec),
              "points": K, "max_points": int(w["max_points"]), "instance_digest": _digest(w)}
    msg = (f"c_opt = {est:.12g} ∈ [{lo:.15g}, {hi:.15g}] (attained by points {list(S)}); kersize = "
           f"{ks_est:.12g}: kersize/2 = {ks_est / 2:.6g} ≤ c_opt ≤ kersize")
    if not decided:
        msg += "; some sets were undecided in ball arithmetic: the enclosure covers both answers"
    outcome = Outcome.HOLDS if all(checks.values()) else Outcome.VIOLATED
    rigor = Rigor.PROVEN if exact_meas else Rigor.NUMERICAL
    if not exact_meas:
        msg += "; measurements compared in float64 with a rounding allowance (numerical)"
    return OptimalityConstant("optimality_constant", outcome, rigor, msg, values,
                              Witness("points", dict(w)), "optimal maps, Paradox II (docs/theory.md §3)",
                              value=est, lower=lo, upper=hi, kersize=ks_est, subset=tuple(int(i) for i in S))


@register_verifier("optimality_constant")
def verify_optimality_constant(result: CheckResult) -> CheckResult:
    """Re-run the (deterministic) :func:`optimality_constant` computation on the stored points and
    operator and compare every field exactly.

    Theorem: optimal maps, Paradox II (docs/theory.md §3).
    Rigor: the saved result's (proven when the recomputation is).
    """
    result_arg(result)
    name = "verify:optimality_constant"
    w = result.witness
    if not isinstance(result, OptimalityConstant) or w is None or w.kind != "points":
        return no_witness(name, result, "points")
    d = w.data
    chk = WitnessCheck(d)
    want = {"points", "operator", "eta", "max_points"}
    if not (set(d) == want or set(d) == want | {"measurements"}):
        chk.problems.append(f"witness: fields {sorted(d)}, expected {sorted(want)}")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    rec = chk.operator()
    chk.number("eta", minimum=0)
    mp = chk.number("max_points", minimum=1, integer=True, maximum=256)
    X = chk.array("points")
    if rec is not None and X is not None:
        core = tuple(rec["mask"].shape if "mask" in rec else rec["in_shape"])
        if X.ndim != len(core) + 1 or X.shape[1:] != core or X.shape[0] < 1:
            chk.bad("points", f"shape {X.shape} is not (K, *{core})")
        elif mp is not None and X.shape[0] > mp:
            chk.bad("points", f"{X.shape[0]} points exceed max_points = {mp}")
        exact = rec.get("kind") != "opaque" and Ball.available(rec)
        if exact == ("measurements" in d):
            chk.bad("measurements", "present exactly when the operator has no ball evaluation")
        elif not exact:
            Y = chk.array("measurements")
            if Y is not None and (Y.shape[0] != X.shape[0]):
                chk.bad("measurements", "one measurement vector per point is required")
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    problems = claim_mismatches(result, _assemble_optimality(d))
    return verification(result, problems, rederived="every set, enclosure, bound, check, the outcome, rigor and "
                        "message (the whole computation, in ball arithmetic)",
                        not_rechecked="that the stored measurements are A·x (opaque operator)"
                        if "measurements" in d else "")


@register_verifier("chebyshev_radius")
def verify_chebyshev_radius(result: CheckResult) -> CheckResult:
    """Re-prove a saved :func:`chebyshev_radius` from the stored points and dual point ``λ``.

    Theorem: minimum enclosing ball duality (docs/theory.md §3).
    Rigor: proven.
    """
    result_arg(result)
    name = "verify:chebyshev_radius"
    w = result.witness
    if not isinstance(result, ChebyshevRadius) or w is None or w.kind != "points":
        return no_witness(name, result, "points")
    d = w.data
    chk = WitnessCheck(d)
    if set(d) != {"points", "lambda"}:
        chk.problems.append(f"witness: fields {sorted(d)}, expected ['lambda', 'points']")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    P = chk.array("points", kinds="f", ndim=2)
    lam = chk.array("lambda", kinds="f", ndim=1)
    if P is not None and lam is not None:
        if P.shape[0] < 1 or P.shape[1] < 1 or lam.shape != (P.shape[0],):
            chk.bad("lambda", f"shape {lam.shape} does not match {P.shape[0]} points")
        elif float(P.shape[0]) ** 2 * P.shape[1] > 2e8:
            chk.bad("points", "too many points to re-check")
        elif bool(np.any(lam < 0)) or not math.fsum(lam.tolist()) > 0:
            chk.bad("lambda", "not a point of the simplex (negative or all zero)")
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    problems = claim_mismatches(result, _assemble_chebyshev(d))
    return verification(result, problems, rederived="the enclosure (ball arithmetic from the stored λ), the "
                        "estimate, centre, support and message")


# --------------------------------------------------------------------------------------
# Paradox II constructions: seed 002 Theorems 2(i) and 3(ii)
# --------------------------------------------------------------------------------------

#: δ must not exceed this (the seed's hypothesis δ ≤ 1/5)
PARADOX_DELTA_MAX = 0.2
#: largest |M₁| of a construction (optimality_constant's set search is capped at 256 points)
PARADOX_MAX_K = 255
#: exact rational kernels are tried up to this many matrix entries
_EXACT_KERNEL_ENTRIES = 4096


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class ParadoxSets(CheckResult):
    """Finite demonstrations of Paradox II (seed 002, Theorems 2(i) and 3(ii)) with proven margins.

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s)
    ----------------------------------------------------------------
    training_domain : numpy.ndarray
        ``(K+1, N)``: the domain ``M₁`` of part (i). Rows ``0..K−1`` are the
        training inputs (``T = {(Ax, x)}`` of size ``K``), row ``K`` is the held-out
        point ``x*``, which has the measurement of row 0 (exactly when ``eta = 0``;
        within ``eta`` otherwise).
    training_set : tuple of int
        ``(0, …, K−1)``, the indices of ``T`` in ``training_domain``.
    nonexistence_domain : numpy.ndarray
        ``(K, N)``: the domain of part (ii); rows 0 and 1 share a measurement and are
        more than ``2δ`` apart.
    c_opt : OptimalityConstant
        :func:`optimality_constant` of ``(A, training_domain, eta)``.
    margin_training, margin_nonexistence : float
        Proven lower bounds of ``(‖x* − x₀‖ − δ) − c_opt`` and ``‖x₁ − x₀‖ − 2δ``.

    Theorem: seed 002 Theorems 2(i) and 3(ii) (Paradox II), docs/theory.md §3.
    Rigor: proven (ball arithmetic on the float64 points and matrix; ``c_opt`` by
    :func:`optimality_constant`).
    """

    training_domain: Any = None
    training_set: tuple = ()
    nonexistence_domain: Any = None
    c_opt: Any = None
    margin_training: float = math.nan
    margin_nonexistence: float = math.nan


def _paradox_matrix(A: Any) -> np.ndarray:
    """A real 2-D float64 matrix with ``m < N`` and a non-zero entry (rank ≥ 1)."""
    if isinstance(A, (str, bytes, bool)) or A is None:
        raise InvalidArgument(f"A must be a real m×N matrix (m < N), got {type(A).__name__}")
    M = as_array(A, "A", ndim=2)
    if np.iscomplexobj(M):
        raise InvalidArgument("A is complex: build_paradox_sets takes a real matrix (pass [Re; Im] stacked rows)")
    M = np.ascontiguousarray(M, dtype=np.float64)
    m, N = M.shape
    if not (1 <= m < N):
        raise InvalidArgument(f"A has shape {M.shape}: the theorems need m < N (a non-trivial kernel)")
    refuse_size(float(m) * N, 2e5, f"ball arithmetic with the {m}×{N} matrix A", "pass a smaller matrix")
    if not np.all(np.isfinite(M)):
        raise InvalidArgument("A has NaN or inf entries")
    if not np.any(M != 0):
        raise InvalidArgument("A = 0: the theorems need rank(A) ≥ 1")
    return M


def _exact_kernel_vector(M: np.ndarray) -> np.ndarray | None:
    """A non-zero float64 vector ``v`` with ``Mv = 0`` *exactly* (rational elimination), or None.

    None when the exact kernel has no float64-representable generator (entries of the primitive
    integer kernel vector beyond 2⁵³) or the matrix is too large for rational elimination.
    """
    m, N = M.shape
    if m * N > _EXACT_KERNEL_ENTRIES:
        return None
    R = [[Fraction(float(v)) for v in row] for row in M]
    pivots: list[int] = []
    r = 0
    for c in range(N):
        p = next((i for i in range(r, m) if R[i][c] != 0), None)
        if p is None:
            continue
        R[r], R[p] = R[p], R[r]
        piv = R[r][c]
        R[r] = [v / piv for v in R[r]]
        for i in range(m):
            if i != r and R[i][c] != 0:
                f = R[i][c]
                R[i] = [a - f * b for a, b in zip(R[i], R[r])]
        pivots.append(c)
        r += 1
        if r == m:
            break
    free = next(c for c in range(N) if c not in pivots)
    v = [Fraction(0)] * N
    v[free] = Fraction(1)
    for i, c in enumerate(pivots):
        v[c] = -R[i][free]
    lcm = 1
    for q in v:
        lcm = lcm * q.denominator // math.gcd(lcm, q.denominator)
    ints = [int(q * lcm) for q in v]
    g = 0
    for k in ints:
        g = math.gcd(g, k)
    ints = [k // g for k in ints]
    if max(abs(k) for k in ints) > 2 ** 53:
        return None
    return np.array([float(k) for k in ints])


def _ball_norm(v: Sequence[Any]) -> Any:
    """``‖v‖₂`` of a sequence of balls."""
    return sum((b * b for b in v), flint.arb(0)).sqrt()


def _ball_diff(p: np.ndarray, q: np.ndarray) -> list[Any]:
    """``p − q`` entrywise as exact balls."""
    return [flint.arb(float(a)) - flint.arb(float(b)) for a, b in zip(p, q)]


def _ball_apply(M: np.ndarray, v: Sequence[Any]) -> list[Any]:
    """``Mv`` for a float64 matrix and a vector of balls."""
    return [sum((flint.arb(float(a)) * b for a, b in zip(row, v) if a != 0), flint.arb(0)) for row in M]


def _paradox_points(M: np.ndarray, K: int, radius: float) -> tuple[np.ndarray, np.ndarray, float]:
    """``(training_domain, nonexistence_domain, eta)`` of the construction (see :func:`build_paradox_sets`)."""
    N = M.shape[1]
    v = _exact_kernel_vector(M)
    exact = v is not None
    if v is None:
        v = np.linalg.svd(M)[2][-1]          # a float64 kernel direction: measurements agree to rounding
    nv = norm2(v)
    if exact:
        # x* = 2^k v stays exactly in ker A; choose k with ‖x*‖ ∈ (radius/2, radius]
        k = math.floor(math.log2(radius / nv))
        xs = np.ldexp(v, k)
        while norm2(xs) > radius * (1 - 8 * U):
            k -= 1
            xs = np.ldexp(v, k)
    else:
        xs = (radius / nv) * v
        with precision(prec=BALL_PREC):
            while not _ball_norm([flint.arb(float(a)) for a in xs]) <= flint.arb(radius):
                xs = xs * (1 - 4 * U)  # ‖x*‖ ≤ radius proven, not just in float64
    x1 = -xs
    # other points on a line of the row space: distinct, separated measurements
    row = M[int(np.argmax(np.sum(M * M, axis=1)))]
    u = row / norm2(row)
    others = [(j / K) * radius * u for j in range(1, K)]
    train = np.array([x1, *others, xs], dtype=np.float64).reshape(K + 1, N)
    none = np.array([x1, xs, *[(j / K) * radius * u for j in range(1, K - 1)]], dtype=np.float64).reshape(K, N)
    if exact:
        return train, none, 0.0
    with precision(prec=BALL_PREC):
        gap = _ball_norm(_ball_apply(M, _ball_diff(xs, x1)))
        eta = ball_upper(gap)
    return train, none, eta


@precision(prec=BALL_PREC)
def _assemble_paradox(w: Mapping[str, Any]) -> ParadoxSets:
    """Every value, bound, outcome, rigor and message of :class:`ParadoxSets` from its witness."""
    M = np.asarray(w["A"])
    T, Z = np.asarray(w["training_domain"]), np.asarray(w["nonexistence_domain"])
    delta, eta = float(w["delta"]), float(w["eta"])
    K = T.shape[0] - 1
    c = optimality_constant(M, T, eta=eta, max_points=K + 1)
    d = flint.arb(delta)
    gap_i = _ball_norm(_ball_apply(M, _ball_diff(T[K], T[0])))
    gap_ii = _ball_norm(_ball_apply(M, _ball_diff(Z[1], Z[0])))
    dist_i = _ball_norm(_ball_diff(T[K], T[0]))
    dist_ii = _ball_norm(_ball_diff(Z[1], Z[0]))
    norms = [_ball_norm([flint.arb(float(a)) for a in p]) for p in (*T, *Z)]
    max_norm = max(ball_upper(n) for n in norms)

    def within(g: Any) -> bool:
        return bool(g.is_zero()) if eta == 0 else bool(g <= flint.arb(eta))

    worst = ball_lower(dist_i - d)
    margin_i = ball_lower(dist_i - d - flint.arb(c.upper))
    margin_ii = ball_lower(dist_ii - 2 * d)
    distinct = (len({p.tobytes() for p in T}) == K + 1 and len({p.tobytes() for p in Z}) == K)
    checks = {"training: x* has the measurement of x0 (within eta)": within(gap_i),
              "training: worst error of any delta-accurate map > c_opt": margin_i > 0,
              "nonexistence: x0, x1 share a measurement (within eta)": within(gap_ii),
              "nonexistence: ||x1 - x0|| > 2 delta": margin_ii > 0,
              "domains in the closed unit ball": all(bool(n <= flint.arb(1)) for n in norms),
              "points distinct (|M1| = K+1 and K)": distinct,
              "delta <= 1/5": 0 < delta <= PARADOX_DELTA_MAX,
              "c_opt result holds": c.outcome is Outcome.HOLDS}
    ok = all(checks.values())
    noise = ("exact measurements (η = 0)" if eta == 0 else
             f"measurements with noise ‖e‖ ≤ η = {eta:.3g} (the kernel of A has no float64 generator: "
             "x* − x0 lies in ker A only up to rounding)")
    msg = (f"Paradox II, K = {K}, δ = {delta:g}, {noise}: (i) every map δ-accurate on the {K} training pairs "
           f"has worst error ≥ {worst:.6g} > c_opt(A, M₁) ≤ {c.upper:.6g} (margin ≥ {margin_i:.3g}), so none is "
           f"optimal; (ii) on a domain of {K} points no map, even multivalued, is δ-accurate "
           f"(‖x₁ − x₀‖ − 2δ ≥ {margin_ii:.3g})")
    if not ok:
        msg += "; FAILED: " + ", ".join(k for k, v in checks.items() if not v)
    values = {"K": K, "delta": delta, "eta": eta, "exact_kernel": eta == 0, "c_opt": c.value,
              "c_opt_lower": c.lower, "c_opt_upper": c.upper, "worst_error_lower": worst,
              "margin_training": margin_i, "margin_nonexistence": margin_ii,
              "distance_training_lower": ball_lower(dist_i), "distance_nonexistence_lower": ball_lower(dist_ii),
              "measurement_gap_training_upper": ball_upper(gap_i),
              "measurement_gap_nonexistence_upper": ball_upper(gap_ii), "max_norm_upper": max_norm,
              "checks": checks}
    rigor = Rigor.weakest(c.rigor, Rigor.PROVEN)
    return ParadoxSets("paradox_sets", Outcome.HOLDS if ok else Outcome.VIOLATED, rigor, msg, values,
                       Witness("paradox", dict(w)), "seed 002 Theorems 2(i) and 3(ii) (Paradox II), docs/theory.md §3",
                       training_domain=T, training_set=tuple(range(K)), nonexistence_domain=Z, c_opt=c,
                       margin_training=margin_i, margin_nonexistence=margin_ii)


def build_paradox_sets(A: Any, K: int, delta: float, *, radius: float = 1.0) -> ParadoxSets:
    """Paradox II on finite sets: training may not yield optimal maps, and the sought map may not exist.

    For a real ``m×N`` matrix ``A`` (``m < N``, ``rank A ≥ 1``), ``K ≥ 2`` and
    ``0 < δ ≤ 1/5`` (the seed's hypothesis) this builds, in the Euclidean unit ball:

    (i) (Theorem 2(i)) a domain ``M₁`` of ``K + 1`` points and a training set
        ``T = {(Ax, x) : x ∈ M₁ \\ {x*}}`` of size ``K`` such that every map
        (even multivalued) with ``d^H(Ψ(Ax), x) ≤ δ`` on ``T`` has worst error
        ``≥ ‖x* − x₀‖ − δ > c_opt(A, M₁)`` — so none is optimal. Here ``x* = −x₀``
        spans ``ker A`` (``Ax* = Ax₀``) and ``c_opt`` is computed by
        :func:`optimality_constant` (about ``‖x*‖ ≈ radius``, the midpoint answer);
    (ii) (Theorem 3(ii)) a domain of ``K`` points containing ``x₀, x*`` with
        ``‖x* − x₀‖ > 2δ`` and equal measurements: no map, not even multivalued,
        is δ-accurate on it (a point within ``δ`` of both would put them ``≤ 2δ`` apart).

    ``x*`` is an exact float64 generator of ``ker A`` scaled by a power of two
    when one exists (rational elimination: integer and dyadic matrices, one row,
    Hadamard-like matrices), and then the measurements agree exactly (``η = 0``).
    Otherwise (generic float matrices) ``x*`` is a float kernel direction, its
    measurements agree only to rounding, and both statements are proven for
    measurements with noise ``‖e‖ ≤ η``, ``η`` the proven bound of
    ``‖A(x* − x₀)‖`` (``c_opt`` is then the noisy optimality constant).
    The other points lie on a line of the row space of ``A``.

    Parameters
    ----------
    A : array_like
        Real ``m × N`` matrix, ``m < N``.
    K : int
        ``2 ≤ K ≤ 255``: the size of the training set (``|M₁| = K + 1`` in (i), ``K`` in (ii)).
    delta : float
        Accuracy ``0 < δ ≤ 1/5``.
    radius : float
        ``2δ < radius ≤ 1``: the scale of ``x*`` (``‖x*‖ ∈ (radius/2, radius]``
        with an exact kernel, ``≈ radius`` otherwise); each value gives other sets.

    Returns
    -------
    ParadoxSets
        ``holds`` when every margin is proven positive; ``values`` has the margins,
        ``c_opt``'s enclosure, ``eta`` and each checked condition.

    Raises
    ------
    PreconditionError
        If a margin cannot be proven (e.g. ``A`` so small that the row-space points
        merge with the kernel pair within ``η``).

    Theorem: seed 002 Theorems 2(i) and 3(ii) (Paradox II), docs/theory.md §3.
    Rigor: proven (ball arithmetic on the float64 points and matrix; ``c_opt`` by
    :func:`optimality_constant`), for exact measurements when ``eta = 0`` and for
    noise ``‖e‖ ≤ eta`` otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> r = build_paradox_sets(np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]]), 3, 0.2)
    >>> r.holds, r.values["eta"], r.training_domain.shape, r.nonexistence_domain.shape
    (True, 0.0, (4, 3), (3, 3))
    """
    M = _paradox_matrix(A)
    K = integer_arg(K, "K")
    if not 2 <= K <= PARADOX_MAX_K:
        raise InvalidArgument(f"K = {K}: pass 2 ≤ K ≤ {PARADOX_MAX_K} (the theorems need K ≥ 2; the set search "
                              "of optimality_constant is capped at 256 points)")
    delta = real_arg(delta, "delta")
    if not 0 < delta <= PARADOX_DELTA_MAX:
        raise PreconditionError(f"δ = {delta!r}: the theorems need 0 < δ ≤ 1/5", hypothesis="δ ≤ 1/5",
                                margin=delta - PARADOX_DELTA_MAX)
    radius = real_arg(radius, "radius")
    if not 2 * delta < radius <= 1:
        raise InvalidArgument(f"radius = {radius!r}: pass 2δ = {2 * delta:g} < radius ≤ 1 (x* must lie in the unit "
                              "ball and more than δ from the midpoint answer)")
    train, none, eta = _paradox_points(M, K, radius)
    w = {"A": M, "training_domain": train, "nonexistence_domain": none, "delta": delta, "eta": eta}
    res = _assemble_paradox(w)
    if not res.holds:
        raise PreconditionError(f"the construction's margins are not proven for this A: {res.message}",
                                hypothesis="rank(A) ≥ 1 with measurements separated beyond η",
                                margin=min(res.margin_training, res.margin_nonexistence))
    return res


@register_verifier("paradox_sets")
def verify_paradox_sets(result: CheckResult) -> CheckResult:
    """Re-derive a saved :func:`build_paradox_sets` result from its stored matrix, domains, δ and η.

    Theorem: seed 002 Theorems 2(i) and 3(ii) (Paradox II), docs/theory.md §3.
    Rigor: the saved result's (proven when the recomputation is).
    """
    result_arg(result)
    name = "verify:paradox_sets"
    w = result.witness
    if not isinstance(result, ParadoxSets) or w is None or w.kind != "paradox":
        return no_witness(name, result, "paradox")
    d = w.data
    chk = WitnessCheck(d)
    want = {"A", "training_domain", "nonexistence_domain", "delta", "eta"}
    if set(d) != want:
        chk.problems.append(f"witness: fields {sorted(d)}, expected {sorted(want)}")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    M = chk.array("A", kinds="f", ndim=2)
    T = chk.array("training_domain", kinds="f", ndim=2)
    Z = chk.array("nonexistence_domain", kinds="f", ndim=2)
    chk.number("delta", positive=True, maximum=PARADOX_DELTA_MAX)
    chk.number("eta", minimum=0)
    if M is not None:
        if not 1 <= M.shape[0] < M.shape[1] or float(M.size) > 2e5:
            chk.bad("A", f"shape {M.shape}: need m < N and at most 200000 entries")
        else:
            N = M.shape[1]
            if T is not None and not (T.shape[1] == N and 3 <= T.shape[0] <= PARADOX_MAX_K + 1):
                chk.bad("training_domain", f"shape {T.shape}: expected (K+1, {N}) with 2 ≤ K ≤ {PARADOX_MAX_K}")
            if Z is not None and T is not None and Z.shape != (T.shape[0] - 1, N):
                chk.bad("nonexistence_domain", f"shape {Z.shape}: expected ({T.shape[0] - 1}, {N})")
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    problems = claim_mismatches(result, _assemble_paradox(d))
    return verification(result, problems, rederived="c_opt (optimality_constant re-run), every distance, "
                        "measurement gap, margin, check, the outcome, rigor and message (ball arithmetic)")
