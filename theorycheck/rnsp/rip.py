"""Restricted isometry constants ``δ_s``: batched exact enumeration and certified bounds.

``δ_s = max_{|S| = s} max |eig(A_S^* A_S) − 1|``.

* Exact: all ``C(N, s)`` supports in batches; the principal ``s×s`` blocks of
  the Gram matrix are diagonalised together (``numpy.linalg.eigh`` on a
  ``(batch, s, s)`` stack). Each block's eigenvalues are then *enclosed*
  (Gershgorin discs of ``Q^* G_S Q`` with the computed eigenvectors ``Q``,
  Ostrowski's theorem for the non-orthogonality of ``Q``, and a-priori
  float64 rounding-error bounds for every product), which gives a proven
  upper bound; the worst support's eigenvector gives a proven lower bound (a
  Rayleigh quotient ``‖A_S x‖²/‖x‖²`` in ball arithmetic).
* Bounds: a Gershgorin/coherence upper bound
  ``δ_s ≤ max_i (|G_ii − 1| + sum of the s − 1 largest |G_ij|)`` (proven) and a
  lower bound from greedy support growth and a truncated power method
  (witness re-evaluated in ball arithmetic: proven).

The verifier of saved ``rip_constant`` results sits at the end of this module.

Theorem: definition of δ_s (docs/theory.md §2; Foucart–Rauhut Ch. 6).
Rigor: proven for both sides of the exact enumeration (with ``enclose=True``) and of the bounds.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import Any, Callable, Iterator

import numpy as np

from theorycheck.errors import InvalidArgument, SolverError
from theorycheck.numerics.exact import ball_lower
from theorycheck.numerics.parallel import call_back, fan_out, progress_bar, resolve_executor
from theorycheck.numerics.precision import precision
from theorycheck.numerics.validation import bool_arg
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, register_verifier
from theorycheck.rnsp._common import (
    MAX_SEED,
    WITNESS_BITS,
    balls,
    callback_arg,
    dense_matrix,
    distinct_support,
    gam,
    matvec_balls,
    method_arg,
    norm2_ball,
    order_arg,
    positive_arg,
    refuse_message,
    seconds_for,
    seed_value,
    w_bool,
    w_choice,
    w_indices,
    w_int,
    w_matrix,
    w_vector,
    widen_down,
    widen_up,
)
from theorycheck.rnsp._results import (
    VERIFY_MAX_SUPPORTS,
    ConstantResult,
    Refused,
    big,
    consistent,
    count_value,
    finish,
    make_result,
    verify_with,
)

__all__ = ["rip_constant"]

#: largest N for which the RIP computations form the dense N×N Gram matrix
MAX_GRAM_N = 8192

CHUNK = 32768
#: entries (``batch·s²``) of one batch of principal blocks
CHUNK_ENTRIES = 2 ** 22
#: largest order ``s`` (one ``s×s`` eigendecomposition per support)
MAX_BLOCK = 4096
#: ``‖A‖_F`` above this would let the Gram matrix and its error bounds overflow
MAX_FROBENIUS = 2.0 ** 400


def chunk_for(s: int, chunk: int = CHUNK) -> int:
    """Supports per batch: ``CHUNK`` for small ``s``, fewer so that a batch holds ≤ 2²² block entries."""
    return max(1, min(chunk, CHUNK_ENTRIES // (s * s)))


def gram_scale_guard(A: np.ndarray) -> None:
    """Refuse matrices whose Gram matrix would overflow float64 (``δ_s`` is not scale-invariant)."""
    amax = float(np.max(np.abs(A)))
    if amax == 0.0:
        return
    fro = float(np.sqrt(np.sum(np.abs(A / amax) ** 2))) * amax
    if not fro <= MAX_FROBENIUS:
        raise InvalidArgument(
            f"‖A‖_F ≈ {fro:.3g} exceeds 2^400: A^*A would overflow float64, and δ_s ≥ ‖a_j‖² − 1 is "
            "astronomically large anyway (δ_s is not scale-invariant); normalise the columns of A")


def gram_and_error(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float Gram ``Ĝ = fl(A^*A)`` and ``E`` with ``|Ĝ − A^*A| ≤ E`` entrywise (a-priori bound)."""
    m = A.shape[0]
    cplx = np.iscomplexobj(A)
    G = A.conj().T @ A  # need not be exactly Hermitian: the bounds below hold for any Ĝ within E
    absA = np.abs(A)
    E = widen_up(gam(m, cplx) * (absA.T @ absA) * (1.0 + gam(m)))
    return G, E


def combination_chunks(N: int, s: int, chunk: int = CHUNK) -> Iterator[np.ndarray]:
    """Yield ``(batch, s)`` int arrays of all ``s``-subsets of ``range(N)`` in lexicographic order."""
    it = itertools.combinations(range(N), s)
    while True:
        flat = np.fromiter(itertools.chain.from_iterable(itertools.islice(it, chunk)), dtype=np.intp)
        if flat.size == 0:
            return
        yield flat.reshape(-1, s)


def gershgorin_matrix(G: np.ndarray, E: np.ndarray) -> np.ndarray:
    """``H`` with ``H_ii ≥ |G_ii − 1|`` and ``H_ij ≥ |G_ij|`` for the exact Gram (entries widened by ``E``)."""
    H = np.abs(G) + E
    np.fill_diagonal(H, np.abs(np.real(np.diag(G)) - 1.0) + np.abs(np.imag(np.diag(G))) + np.diag(E))
    return H


def rip_chunk(G: np.ndarray, E: np.ndarray, S: np.ndarray, enclose: bool, H: np.ndarray | None = None,
              thr: float = -math.inf) -> dict[str, Any]:
    """Float ``δ_S`` of a batch of supports, the worst one and (optionally) a proven upper bound.

    With ``H`` (:func:`gershgorin_matrix`), supports whose Gershgorin bound
    ``max_i Σ_{j∈S} H_ij`` (a proven bound of ``δ_S``) is ≤ ``thr`` are not
    diagonalised: their bound enters the proven upper bound instead.
    """
    s = S.shape[1]
    cplx = np.iscomplexobj(G)
    out: dict[str, Any] = {"delta": -math.inf, "support": None, "vector": None, "side": "max", "upper": -math.inf,
           "count": int(S.shape[0]), "diagonalised": int(S.shape[0])}
    if H is not None and math.isfinite(thr):
        gb = widen_up(H[S[:, :, None], S[:, None, :]].sum(axis=2).max(axis=1) * (1.0 + gam(s)), 1.0)
        keep = gb > thr
        if not np.all(keep):
            out["upper"] = float(np.max(gb[~keep]))
            S = S[keep]
        out["diagonalised"] = int(S.shape[0])
        if S.shape[0] == 0:
            return out
    Gs = G[S[:, :, None], S[:, None, :]]
    w, Q = np.linalg.eigh(Gs)
    dS = np.maximum(w[:, -1] - 1.0, 1.0 - w[:, 0])
    i = int(np.argmax(dS))
    side = "max" if w[i, -1] - 1.0 >= 1.0 - w[i, 0] else "min"
    vec = Q[i, :, -1] if side == "max" else Q[i, :, 0]
    out.update(delta=float(dS[i]), support=S[i].copy(), vector=vec.copy(), side=side)
    if enclose:
        enc = float(np.max(_enclosure_upper(Gs, E[S[:, :, None], S[:, None, :]], Q, s, cplx)))
        out["upper"] = max(out["upper"], enc)
    else:
        out["upper"] = math.nan
    return out


def _enclosure_upper(Gs: np.ndarray, Es: np.ndarray, Q: np.ndarray, s: int, cplx: bool) -> np.ndarray:
    """Proven upper bounds of ``δ_S`` for a stack of blocks (see module docstring)."""
    QH = np.conj(np.swapaxes(Q, 1, 2))
    M = QH @ (Gs @ Q)
    aQ = np.abs(Q)
    aQT = np.swapaxes(aQ, 1, 2)
    # |Q^* G Q − M| ≤ F : rounding of the two products plus the Gram's own error E
    F = gam(2 * s + 2, cplx) * (aQT @ (np.abs(Gs) @ aQ)) + aQT @ (Es @ aQ)
    F = widen_up(F * (1.0 + gam(2 * s + 2)))
    absM = np.abs(M)
    diag = np.real(np.diagonal(M, axis1=1, axis2=2))
    off = absM.sum(axis=2) - np.abs(np.diagonal(M, axis1=1, axis2=2))
    R = widen_up((np.maximum(off, 0.0) + F.sum(axis=2)) * (1.0 + gam(2 * s)), absM.sum(axis=2))
    UH = widen_up(np.max(diag + R, axis=1), np.max(np.abs(diag) + R, axis=1))
    LH = widen_down(np.min(diag - R, axis=1), np.max(np.abs(diag) + R, axis=1))
    # Ostrowski: eig_i(Q^*GQ) = θ_i eig_i(G), θ_i ∈ [1 − f, 1 + f] with f ≥ ‖Q^*Q − I‖₂
    D = QH @ Q - np.eye(s)
    f = np.sqrt(np.sum(np.abs(D) ** 2, axis=(1, 2))) + gam(s + 2, cplx) * np.sqrt(
        np.sum((aQT @ aQ) ** 2, axis=(1, 2)))
    f = widen_up(f, 1.0)
    ok = f < 0.5
    fs = np.where(ok, f, 0.0)
    lmax = widen_up(np.where(UH >= 0, UH / (1.0 - fs), UH / (1.0 + fs)), 1.0)
    lmin = widen_down(np.where(LH >= 0, LH / (1.0 + fs), LH / (1.0 - fs)), 1.0)
    lmin = np.maximum(lmin, 0.0)  # A_S^*A_S is positive semidefinite
    d = widen_up(np.maximum(lmax - 1.0, 1.0 - lmin), 1.0)
    return np.where(ok, d, np.inf)


@precision(prec=WITNESS_BITS)
def rip_witness(A: np.ndarray, S: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """Proven lower bound of ``δ_s`` from an ``s``-sparse vector: ``|‖A_S x‖²/‖x‖² − 1|``; also the float ratio.

    ``S`` must be distinct column indices and ``x`` a non-zero vector of the same
    length (else :class:`InvalidArgument`): a support that repeats a column is not
    a support, and would "prove" ``δ ≥ 1`` for an identity.
    """
    x = np.asarray(x)
    S = distinct_support(S, A.shape[1], size=x.size if x.ndim == 1 else None)
    if x.ndim != 1 or not np.all(np.isfinite(x)) or not np.any(x):
        raise InvalidArgument("the RIP witness vector must be a finite non-zero vector with one entry per column")
    xb = balls(x)
    Ax = matvec_balls(A[:, S], xb)
    nA, nx = norm2_ball(Ax), norm2_ball(xb)
    ratio = (nA * nA) / (nx * nx)  # not ** 2: python-flint 0.9 gives nan for arb(0, r) ** 2
    d = ratio - 1 if float(ratio.mid()) >= 1 else 1 - ratio
    return (max(0.0, ball_lower(d)) if d.is_finite() else 0.0), float(ratio.mid())


def estimate_rate(G: np.ndarray, E: np.ndarray, s: int, enclose: bool) -> float:
    """Supports per second of :func:`rip_chunk` on this machine (pilot run on at most one batch)."""
    N = G.shape[0]
    n = min(math.comb(N, s), max(8, min(2048, chunk_for(s), 2 ** 21 // s ** 3)))
    S = next(combination_chunks(N, s, n))
    t0 = time.perf_counter()
    rip_chunk(G, E, S, enclose)
    dt = max(time.perf_counter() - t0, 1e-6)
    return S.shape[0] / dt


def _enumerate(G: np.ndarray, E: np.ndarray, s: int, *, enclose: bool, H: np.ndarray | None, thr: float,
               chunk: int, executor: Any, progress: bool, callback: Callable | None) -> dict[str, Any]:
    """Every support in batches: the worst float ``δ_S`` (first in lexicographic order) and the upper bound."""
    N = G.shape[0]
    total = math.comb(N, s)
    tasks = ((G, E, S, enclose, H, thr) for S in combination_chunks(N, s, chunk_for(s, chunk)))
    best: dict[str, Any] = {"delta": -math.inf, "support": None, "vector": None, "side": "max"}
    upper, diagonalised = -math.inf, 0
    bar = progress_bar(total, progress, f"δ_{s}: supports")
    try:
        for res in fan_out(rip_chunk, tasks, executor=executor):
            if res["support"] is not None and res["delta"] > best["delta"]:
                best = res
                call_back(callback, {"delta": res["delta"], "support": res["support"]})
            if math.isnan(res["upper"]) or math.isnan(upper):
                upper = math.nan  # some block was not enclosed: the upper side is numerical
            else:
                upper = max(upper, res["upper"])
            diagonalised += res["diagonalised"]
            bar.update(res["count"])
    finally:
        bar.close()
    if best["support"] is None:  # pragma: no cover - the heuristic's own support is always diagonalised
        raise SolverError("no support was diagonalised (internal error of the RIP enumeration)")
    return {"best": best, "upper": upper, "diagonalised": diagonalised, "total": total}


def rip_exact(A: np.ndarray, s: int, *, enclose: bool, executor: Any, progress: bool,
              callback: Callable | None, chunk: int = CHUNK, prune: bool = True, seed: int = 0
              ) -> ConstantResult:
    """Exact ``δ_s`` by batched enumeration (see module docstring).

    With ``prune``, a greedy / truncated-power candidate (seeded by ``seed``)
    gives a threshold ``θ`` and supports whose Gershgorin bound is ``≤ θ`` are
    not diagonalised (their Gershgorin bound is proven and enters the upper
    bound instead): the answer is the same, only faster. The same ``θ`` is
    used for every batch, so the result — bounds, counts and witness (the first
    worst support in lexicographic order) — does not depend on ``executor`` and
    is reproduced bit for bit by ``theorycheck verify`` (same machine: the
    eigendecompositions come from LAPACK).
    """
    G, E = gram_and_error(A)
    H = gershgorin_matrix(G, E) if prune else None
    t0 = time.perf_counter()
    thr = float(_heuristic_worst(G, s, np.random.default_rng(seed))[0]) if prune else -math.inf
    run = _enumerate(G, E, s, enclose=enclose, H=H, thr=thr, chunk=chunk, executor=executor,
                     progress=progress, callback=callback)
    best, upper = run["best"], run["upper"]
    S = np.asarray(best["support"], dtype=np.int64)
    lower, ratio = rip_witness(A, S, best["vector"])
    elapsed = time.perf_counter() - t0
    if enclose and math.isfinite(upper):
        upper_rigor = Rigor.PROVEN
        consistent(lower, upper, "δ_s")
    else:
        upper, upper_rigor = max(float(widen_up(best["delta"], 1.0)), lower), Rigor.NUMERICAL
    witness = Witness("rip_support", {"support": S, "vector": np.asarray(best["vector"]),
                                      "rayleigh_quotient": ratio, "side": best["side"], "s": s,
                                      "method": "exact", "enclose": bool(enclose), "seed": int(seed)})
    msg = (f"δ_{s} ∈ [{lower:.12g}, {upper:.12g}] over all {run['total']} supports "
           f"(worst support {S.tolist()}, {'largest' if best['side'] == 'max' else 'smallest'} eigenvalue; "
           f"{run['diagonalised']} supports diagonalised, the others bounded by Gershgorin discs"
           f"{'' if enclose else '; upper side the float maximum (enclose=False)'})")
    return make_result("rip_constant", lower=lower, upper=upper, lower_rigor=Rigor.PROVEN,
                       upper_rigor=upper_rigor, method="exact", message=msg,
                       values={"s": s, "supports": run["total"], "diagonalised": run["diagonalised"],
                               "enclose": bool(enclose), "seed": int(seed), "elapsed_s": elapsed},
                       witness=witness, theorem="docs/theory.md §2: δ_s = max_S max |eig(A_S^*A_S) − 1|")


def _heuristic_worst(G: np.ndarray, s: int, rng: np.random.Generator) -> tuple[float, list[int], np.ndarray, str]:
    """Best ``δ_S`` over greedy and truncated-power supports: ``(δ, S, eigenvector, side)``."""
    best: tuple[float, Any, Any, str] = (-math.inf, None, None, "max")
    for which in ("max", "min"):
        for S in greedy_supports(G, s, which) + truncated_power(G, s, which, rng):
            lam, x = _best_support(G, S, which)
            d = lam - 1.0 if which == "max" else 1.0 - lam
            if d > best[0]:
                best = (d, sorted(S), x, which)
    return best


# --------------------------------------------------------------------------------------
# bounds for sizes beyond enumeration
# --------------------------------------------------------------------------------------

def gershgorin_upper(G: np.ndarray, E: np.ndarray, s: int) -> float:
    """Proven ``δ_s ≤ max_i(|G_ii − 1| + Σ_{s−1 largest} |G_ij|)`` (entries widened by ``E``)."""
    N = G.shape[0]
    d = np.abs(np.real(np.diag(G)) - 1.0) + np.abs(np.imag(np.diag(G))) + np.diag(E)
    if s == 1:
        return float(np.max(widen_up(d, 1.0)))
    off = np.abs(G) + E
    np.fill_diagonal(off, 0.0)
    k = min(s - 1, N - 1)
    top = -np.partition(-off, k - 1, axis=1)[:, :k] if k > 0 else np.zeros((N, 0))
    return float(np.max(widen_up((d + top.sum(axis=1)) * (1.0 + gam(s + 1)), 1.0)))


def frobenius_upper(A: np.ndarray) -> float:
    """Proven ``max(1, ‖A‖_F² − 1) ≥ δ_s`` for every ``s`` (``λ_max(A_S^*A_S) ≤ ‖A‖_F²``, ``λ_min ≥ 0``)."""
    fro2 = float(widen_up(np.sum(np.abs(A) ** 2) * (1 + gam(A.size)), 1.0))
    return max(1.0, float(widen_up(fro2 - 1.0, 1.0)))


def _best_support(G: np.ndarray, S: list[int], which: str) -> tuple[float, np.ndarray]:
    w, Q = np.linalg.eigh(G[np.ix_(S, S)])
    return (float(w[-1]), Q[:, -1]) if which == "max" else (float(w[0]), Q[:, 0])


#: floating-point operations the heuristic supports may cost (greedy growth, power iterations)
HEURISTIC_FLOPS = 2e10


def greedy_supports(G: np.ndarray, s: int, which: str, starts: int = 4) -> list[list[int]]:
    """Supports grown greedily (each step the column that moves the extreme eigenvalue most).

    Seeds are the ``starts`` pairs ``i < j`` of largest ``|G_ij|`` (never a
    diagonal entry: a "support" ``[i, i]`` is not a support). Returns ``[]``
    when growing them would cost more than :data:`HEURISTIC_FLOPS`.
    """
    N = G.shape[0]
    if s == 1:
        dg = np.real(np.diag(G))
        return [[int(np.argmax(dg) if which == "max" else np.argmin(dg))]]
    if float(N) * s ** 4 / 4.0 * 2 * starts > HEURISTIC_FLOPS or float(N) * s * s > 2 ** 25:
        return []
    iu, ju = np.triu_indices(N, 1)
    vals = np.abs(G[iu, ju])
    order = np.argsort(-vals, kind="stable")[:starts]
    out = []
    for t in order:
        S = [int(iu[t]), int(ju[t])]
        while len(S) < s:
            cand = np.setdiff1d(np.arange(N), S)
            idx = np.concatenate([np.tile(np.asarray(S), (cand.size, 1)), cand[:, None]], axis=1)
            w = np.linalg.eigvalsh(G[idx[:, :, None], idx[:, None, :]])
            pick = int(np.argmax(w[:, -1]) if which == "max" else np.argmin(w[:, 0]))
            S.append(int(cand[pick]))
        out.append(sorted(S))
    return out


def truncated_power(G: np.ndarray, s: int, which: str, rng: np.random.Generator, starts: int = 4,
                    iters: int = 100) -> list[list[int]]:
    """Supports found by the truncated power method on ``G`` (``which="max"``) or ``cI − G``.

    The number of iterations is capped so that all starts cost at most
    :data:`HEURISTIC_FLOPS` (at least 3 iterations).
    """
    N = G.shape[0]
    iters = max(3, min(iters, int(HEURISTIC_FLOPS / (8.0 * starts * N * N))))
    if which == "min":
        c = float(np.max(np.real(np.diag(G))) + np.max(np.sort(np.abs(G), axis=1)[:, -s:].sum(axis=1)))
        M = c * np.eye(N) - G
    else:
        M = G
    out = []
    for _ in range(starts):
        x: Any = rng.standard_normal(N)
        if np.iscomplexobj(G):
            x = x + 1j * rng.standard_normal(N)
        x = x / np.linalg.norm(x)
        S_prev: list[int] = []
        for _ in range(iters):
            y = M @ x
            S = np.sort(np.argsort(-np.abs(y), kind="stable")[:s])
            x = np.zeros_like(y)
            x[S] = y[S]
            nx = np.linalg.norm(x)
            if not nx > 0 or not math.isfinite(nx):
                break
            x /= nx
            if list(S) == S_prev:
                break
            S_prev = [int(i) for i in S]
        out.append(S_prev if S_prev else list(range(s)))
    return out


def rip_bounds(A: np.ndarray, s: int, *, seed: int, callback: Callable | None) -> ConstantResult:
    """Certified ``δ_s`` interval without enumeration (see module docstring)."""
    G, _ = gram_and_error(A)
    _, S, x, which = _heuristic_worst(G, s, np.random.default_rng(seed))
    call_back(callback, {"support": np.asarray(S)})
    return rip_bounds_assemble(A, s, np.asarray(S, dtype=np.int64), np.asarray(x), which)


def rip_bounds_assemble(A: np.ndarray, s: int, S: np.ndarray, x: np.ndarray, side: str) -> ConstantResult:
    """The ``"bounds"`` result from its witness: a deterministic function of ``(A, s, S, x, side)``.

    Lower bound: ``|‖A_S x‖²/‖x‖² − 1|`` in ball arithmetic; upper bound:
    ``min(Gershgorin, max(1, ‖A‖_F² − 1))`` with a-priori rounding bounds.
    ``theorycheck verify`` calls it on the stored witness.
    """
    G, E = gram_and_error(A)
    upper = min(gershgorin_upper(G, E, s), frobenius_upper(A))
    S = distinct_support(S, A.shape[1], size=s)
    lower, ratio = rip_witness(A, S, x)
    consistent(lower, upper, "δ_s")
    witness = Witness("rip_support", {"support": S, "vector": np.asarray(x), "rayleigh_quotient": ratio,
                                      "side": side, "s": s, "method": "bounds"})
    msg = (f"δ_{s} ∈ [{lower:.6g}, {upper:.6g}]: lower bound from the support {S.tolist()} "
           "(greedy / truncated power), upper bound from Gershgorin discs of the Gram matrix")
    return make_result("rip_constant", lower=lower, upper=upper, lower_rigor=Rigor.PROVEN,
                       upper_rigor=Rigor.PROVEN, method="bounds", message=msg,
                       outcome=Outcome.HOLDS, values={"s": s, "supports": count_value(math.comb(A.shape[1], s))},
                       witness=witness, theorem="docs/theory.md §2: δ_s = max_S max |eig(A_S^*A_S) − 1|")


# --------------------------------------------------------------------------------------
# the public function and its verifier
# --------------------------------------------------------------------------------------

def _choose_method(B: np.ndarray, s: int, method: str, enclose: bool, max_seconds: float) -> str:
    """``"exact"`` or ``"bounds"``: ``"auto"`` is exact when estimated under ``min(max_seconds, 60)`` s."""
    if method == "bounds":
        return method
    count = math.comb(B.shape[1], s)
    G, E = gram_and_error(B)
    rate = estimate_rate(G, E, s, enclose)
    limit = max_seconds if method == "exact" else min(max_seconds, 60.0)
    if seconds_for(count, rate) <= limit:
        return "exact"
    if method == "exact":
        raise InvalidArgument(refuse_message(
            f"δ_{s}", count, rate, max_seconds,
            "use method='bounds' (proven Gershgorin upper and greedy lower bounds) or raise max_seconds"))
    return "bounds"


@precision(prec=WITNESS_BITS)
def rip_constant(A: Any, s: int, *, method: str = "auto", W: Any = None, executor: Any = None,
                 progress: bool = True, callback: Callable[[Any], Any] | None = None,
                 enclose: bool = True, max_seconds: float = 600.0, seed: int = 0) -> ConstantResult:
    """Restricted isometry constant ``δ_s = max_{|S|=s} max |eig(A_S^*A_S) − 1|``.

    Parameters
    ----------
    A : array_like or LinearOperator, shape (m, N)
        Real or complex measurement matrix.
    s : int
        Order, ``1 ≤ s ≤ N``.
    method : {"auto", "exact", "bounds"}
        ``"exact"``: all ``C(N, s)`` supports, diagonalised in batches (refused
        with the count and an estimate when it would exceed ``max_seconds``);
        ``"bounds"``: Gershgorin/coherence upper bound and a greedy / truncated
        power lower bound; ``"auto"``: exact when estimated under
        ``min(max_seconds, 60)`` seconds, else bounds.
    W : LinearOperator or array, optional
        Unitary sparsifier: the constant of ``A W^*``.
    executor : None, "processes" or an executor, optional
        Runs the batches of supports (default: serial; ``"processes"``: a local
        process pool; or any object with ``submit``, e.g. a Dask client). The
        result does not depend on it.
    progress : bool
        Show a tqdm bar over supports.
    callback : callable, optional
        Called with ``{"delta", "support"}`` whenever the worst support improves.
    enclose : bool
        Enclose every block's eigenvalues (Gershgorin + Ostrowski with
        a-priori rounding bounds) for a proven upper bound; without it the
        upper side is the float maximum (numerical).
    max_seconds : float
        Refusal threshold for ``"exact"``.
    seed : int
        Seed of the truncated power method's starts.

    Returns
    -------
    ConstantResult
        ``value = upper``; ``witness`` the worst support and its eigenvector
        (``lower`` is ``|‖A_S x‖²/‖x‖² − 1|`` of that vector in ball arithmetic).

    Theorem: definition of δ_s (docs/theory.md §2; Foucart–Rauhut Ch. 6).
    Rigor: proven lower bound (witness in ball arithmetic); proven upper bound
    (enclosures / Gershgorin with outward-rounded a-priori float64 error bounds);
    certified-float64 when ``W`` is given.

    Examples
    --------
    >>> import numpy as np
    >>> r = rip_constant(np.eye(4), 2, progress=False)
    >>> r.lower <= r.upper < 1e-12
    True
    """
    method_arg(method, ("auto", "exact", "bounds"))
    progress = bool_arg(progress, "progress")
    enclose = bool_arg(enclose, "enclose")
    seed = seed_value(seed)
    callback = callback_arg(callback)
    max_seconds = positive_arg(max_seconds, "max_seconds")
    with resolve_executor(executor) as ex:
        B, used_W = dense_matrix(A, W)
        N = B.shape[1]
        s = order_arg(s, N)
        if N > MAX_GRAM_N:
            raise InvalidArgument(f"N = {N} columns: the dense {N}×{N} Gram matrix would not fit in memory "
                                  f"(limit N ≤ {MAX_GRAM_N}); restrict A to a subset of columns")
        if s > MAX_BLOCK:
            raise InvalidArgument(f"s = {s}: every support needs an {s}×{s} eigendecomposition (limit s ≤ "
                                  f"{MAX_BLOCK}); bound δ_s by δ_s ≤ max(1, ‖A‖_F² − 1) or restrict A")
        gram_scale_guard(B)
        if _choose_method(B, s, method, enclose, max_seconds) == "exact":
            res = rip_exact(B, s, enclose=enclose, executor=ex, progress=progress, callback=callback, seed=seed)
        else:
            res = rip_bounds(B, s, seed=seed, callback=callback)
    return finish(res, B, used_W)


@register_verifier("rip_constant")
def _verify_rip(result: CheckResult) -> CheckResult:
    """Re-derive a saved ``rip_constant`` result (witness bounds; the exact enumeration is re-run).

    Theorem: definition of δ_s (docs/theory.md §2).
    Rigor: the saved result's (never above it).
    """

    def derive(w: Witness) -> tuple[CheckResult, str]:
        B = w_matrix(w)
        used_W = w_bool(w, "W_used")
        N = B.shape[1]
        s = w_int(w, "s", 1, min(N, MAX_BLOCK))
        method = w_choice(w, "method", ("exact", "bounds"))
        S = w_indices(w, "support", N, size=s)
        x = w_vector(w, "vector", s)
        side = w_choice(w, "side", ("max", "min"))
        gram_scale_guard(B)
        if method == "bounds":
            res = rip_bounds_assemble(B, s, S, x, side)
            what = "both bounds from the witness (ball arithmetic; Gershgorin/Frobenius bounds of the stored A)"
        else:
            enclose = w_bool(w, "enclose")
            seed = w_int(w, "seed", 0, MAX_SEED)
            count = math.comb(N, s)
            if count > VERIFY_MAX_SUPPORTS:
                raise Refused(f"re-running the enumeration of δ_{s} needs {big(count)} supports (more than "
                              f"{VERIFY_MAX_SUPPORTS:,}): too large to verify here")
            res = rip_exact(B, s, enclose=enclose, executor=None, progress=False, callback=None, seed=seed)
            what = f"the enumeration of all {count} supports re-run (bounds, counts, witness)"
        return finish(res, B, used_W), what

    return verify_with("rip_constant", result, derive)
