"""Robust null space property: constants, certified bounds and the recovery theorems (seed 002).

Sparse regularisation is accurate and stable when ``A`` (or ``A W^*``) has the
robust null space property of order ``s`` with constants ``0 < ρ < 1``, ``γ > 0``:

    ‖P_Ω v‖₂ ≤ ρ/√s ‖P_Ω^⊥ v‖₁ + γ‖Av‖₂   for all v and all |Ω| ≤ s.

Computing the constants is NP-hard in general (Tillmann–Pfetsch 2014), so
every function here returns an *interval* with the rigor of each side:

* :func:`rip_constant` — ``δ_s`` by batched support enumeration with proven
  eigenvalue enclosures, or certified Gershgorin / greedy bounds;
* :func:`nsp_constant` — ``α_k`` (NSP(k) ⇔ ``α_k < 1/2``) by hierarchical
  support/sign enumeration (LPs), a tight big-M MILP, or the Juditsky–Nemirovski
  bound;
* :func:`rnsp_gamma` — the smallest ``γ`` for a given ``ρ`` (plain, weighted,
  in levels): proven ascent lower bound, proven ε-net upper bound, ``inf`` with
  a kernel vector when the stable NSP fails;
* :func:`search_rnsp_violation` — a vector that disproves a claimed ``(ρ, γ)``;
* :func:`rnsp_from_rip`, :func:`recovery_constants` — the constants of the
  theorems; :func:`check_recovery_bound` (seed Theorem 1, with the certified
  SR-LASSO solver) and :func:`check_kernel_awareness` (seed Theorem 3);
* :func:`donoho_tanner`, :func:`empirical_phase_transition` — the ℓ1 phase
  transition.

Each constant's result has ``value`` (the side safe to use: the upper bound),
``lower``, ``upper``, ``lower_rigor``, ``upper_rigor``, ``rigor`` (the weaker)
and a ``witness``. Exact requests that would take far too long are refused with
the count and an estimate, pointing to the bound methods. ``α_k`` and ``γ`` are
computed on ``A`` rescaled by an exact power of two (``α_k`` is scale-invariant,
``γ(cA) = γ(A)/c``), so any scale of ``A`` works; ``δ_s`` is not scale-invariant
and matrices whose Gram matrix would overflow are refused.

Every result stores what ``theorycheck verify`` needs (the matrix when it has at
most 250,000 entries, the witness, the options) and every verifier re-derives
the *whole* result from it — outcome, rigor, message, both bounds, every value
and the witness — and compares field by field, floats bit for bit: witness-only
re-derivations (ball arithmetic) for the bounds methods, γ = ∞, violations and
kernel awareness, and a re-run of the deterministic enumeration for the exact
methods. Witness supports must be sets of distinct, in-range, admissible
indices. Re-runs call LAPACK, HiGHS and clarabel: a file made on another
machine can differ in the last bits of such numbers and is then reported as not
re-checking (never accepted with slack).

Theorem: THEORY.md §2 (seed 002: rNSP, Theorems 1 and 3; Foucart–Rauhut 4.25, 6.13).
Rigor: per result (``proven`` for ball-arithmetic / outward-rounded certificates,
``certified-float64`` when a float product such as ``A W^*`` enters, ``numerical`` otherwise).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, Callable, Sequence

import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, PreconditionError, SolverError
from theorycheck.numerics.precision import precision
from theorycheck.numerics.validation import bool_arg, integer_arg, refuse_size
from theorycheck.results import (
    CheckResult, Outcome, Rigor, Witness, claim_mismatches, register_verifier, verification,
)
from theorycheck.rnsp._common import (
    WITNESS_BITS,
    ConstantResult, RecoveryConstants, _recovery_balls, ball_down, ball_up, check_open_unit, check_order,
    check_positive, check_real, dense_matrix, make_result, vector,
)
from theorycheck.rnsp.phase import PhaseTransitionResult

__all__ = [
    "rip_constant",
    "nsp_constant",
    "rnsp_gamma",
    "search_rnsp_violation",
    "rnsp_from_rip",
    "recovery_constants",
    "check_recovery_bound",
    "check_kernel_awareness",
    "donoho_tanner",
    "empirical_phase_transition",
    "ConstantResult",
    "RecoveryConstants",
    "PhaseTransitionResult",
]

#: largest N for which the RIP computations form the dense N×N Gram matrix
MAX_GRAM_N = 8192

#: largest N of an exact MILP without a time limit
MAX_MILP_N = 100

#: ``δ_2s`` must stay below this for Foucart–Rauhut Thm 6.13
RIP_THRESHOLD = 4 / math.sqrt(41)

_W_NOTE = (" [rigor capped at certified-float64: the matrix A W^* was formed in float64, so the "
           "certificate is for fl(A W^*)]")


def _cap_for_W(res: Any, used_W: bool) -> Any:
    if not used_W:
        return res
    cap = lambda r: min(r, Rigor.CERTIFIED_FLOAT64, key=lambda x: x.rank)  # noqa: E731
    if isinstance(res, ConstantResult):
        return dataclasses.replace(res, rigor=cap(res.rigor), lower_rigor=cap(res.lower_rigor),
                                   upper_rigor=cap(res.upper_rigor), message=res.message + _W_NOTE)
    return dataclasses.replace(res, rigor=cap(res.rigor), message=res.message + _W_NOTE)


#: matrices up to this many entries are stored in witnesses (for ``theorycheck verify``)
MAX_STORED_ENTRIES = 250_000


def _attach(res: Any, B: np.ndarray, **extra: Any) -> Any:
    """Store the matrix (when small) and ``extra`` in the witness so the result can be re-checked."""
    w = res.witness if res.witness is not None else Witness(res.check, {})
    data = dict(w.data)
    if B.size <= MAX_STORED_ENTRIES:
        data["A"] = B
    data.update(extra)
    return dataclasses.replace(res, witness=Witness(w.kind, data))


def _finish(res: Any, B: np.ndarray, used_W: bool, **extra: Any) -> Any:
    """The returned (and re-derived) form of a result: matrix and ``W_used`` stored, rigor capped for ``W``."""
    return _cap_for_W(_attach(res, B, W_used=bool(used_W), **extra), used_W)


def _store(w: Witness, B: np.ndarray) -> Witness:
    if B.size <= MAX_STORED_ENTRIES:
        return Witness(w.kind, {**w.data, "A": B})
    return w


def _seconds(v: Any, name: str) -> float:
    return check_positive(v, name)


#: seeds are stored in results: non-negative ints below 2⁶³
MAX_SEED = 2 ** 63 - 1


def _seed(v: Any) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)) \
            or not 0 <= int(v) <= MAX_SEED:
        raise InvalidArgument(f"seed must be an integer in [0, 2^63), got {v!r}")
    return int(v)


def _count(v: Any, name: str, minimum: int, maximum: int) -> int:
    n = integer_arg(v, name, minimum=minimum)
    if n > maximum:
        raise InvalidArgument(f"{name} = {n} is too large (at most {maximum:,}): each unit costs cone programs or "
                              "linear programs")
    return n


def _callback(cb: Any) -> Callable[[Any], Any] | None:
    if cb is not None and not callable(cb):
        raise InvalidArgument(f"callback must be callable or None, got {cb!r}")
    return cb


def _executor(ex: Any) -> Any:
    if ex is not None and not callable(getattr(ex, "submit", None)):
        raise InvalidArgument(f"executor must be a concurrent.futures.Executor (with submit) or None, got {ex!r}")
    return ex


# --------------------------------------------------------------------------------------
# δ_s
# --------------------------------------------------------------------------------------

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
    executor : concurrent.futures.Executor, optional
        Runs the batches of supports (default: serial).
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

    Theorem: definition of δ_s (THEORY.md §2; Foucart–Rauhut Ch. 6).
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
    from theorycheck.rnsp.rip import (MAX_BLOCK, check_method, check_scale, estimate_rate, gram_and_error,
                                      refuse_message, rip_bounds, rip_exact, seconds_for)

    check_method(method, ("auto", "exact", "bounds"))
    progress = bool_arg(progress, "progress")
    enclose = bool_arg(enclose, "enclose")
    seed = _seed(seed)
    callback = _callback(callback)
    executor = _executor(executor)
    max_seconds = _seconds(max_seconds, "max_seconds")
    B, used_W = dense_matrix(A, W)
    N = B.shape[1]
    s = check_order(s, N)
    if N > MAX_GRAM_N:
        raise InvalidArgument(f"N = {N} columns: the dense {N}×{N} Gram matrix would not fit in memory "
                              f"(limit N ≤ {MAX_GRAM_N}); restrict A to a subset of columns")
    if s > MAX_BLOCK:
        raise InvalidArgument(f"s = {s}: every support needs an {s}×{s} eigendecomposition (limit s ≤ {MAX_BLOCK}); "
                              "bound δ_s by δ_s ≤ max(1, ‖A‖_F² − 1) or restrict A")
    check_scale(B)
    if method in ("auto", "exact"):
        count = math.comb(N, s)
        G, E = gram_and_error(B)
        rate = estimate_rate(G, E, s, enclose)
        limit = max_seconds if method == "exact" else min(max_seconds, 60.0)
        if seconds_for(count, rate) > limit:
            if method == "exact":
                raise InvalidArgument(refuse_message(
                    f"δ_{s}", count, rate, max_seconds,
                    "use method='bounds' (proven Gershgorin upper and greedy lower bounds) or raise max_seconds"))
            method = "bounds"
        else:
            method = "exact"
    if method == "exact":
        res = rip_exact(B, s, enclose=enclose, executor=executor, progress=progress, callback=callback, seed=seed)
    else:
        res = rip_bounds(B, s, seed=seed, callback=callback)
    return _finish(res, B, used_W)


# --------------------------------------------------------------------------------------
# α_k
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

    Theorem: THEORY.md §2 (NSP(k) ⇔ α_k < 1/2; Juditsky–Nemirovski LP bound).
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
    from theorycheck.rnsp.nsp import MAX_PATTERNS
    from theorycheck.rnsp.rip import check_method

    check_method(method, ("auto", "enumerate", "milp", "lp-bound"))
    progress = bool_arg(progress, "progress")
    callback = _callback(callback)
    B, used_W = dense_matrix(A, W)
    N = B.shape[1]
    k = check_order(k, N, "k")
    mp = MAX_PATTERNS if max_patterns is None else _count(max_patterns, "max_patterns", 1, 10 ** 8)
    if time_limit is not None:
        time_limit = check_positive(time_limit, "time_limit")
    ascent_iters = _count(ascent_iters, "ascent_iters", 0, 10_000)
    cplx = bool(np.iscomplexobj(B))
    if cplx and method in ("enumerate", "milp") and k > 1:
        raise InvalidArgument(
            f"exact α_{k} for complex A would need a continuum of phases (no finite sign enumeration): "
            "use method='lp-bound' (certified Juditsky–Nemirovski upper bound and kernel-vector lower bound); "
            "k = 1 is exact")
    m = B.shape[0]
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
    if method == "auto":
        from theorycheck.rnsp.nsp import pattern_count

        method = "lp-bound" if cplx or pattern_count(N, k, mp) > mp else "enumerate"
    if cplx or method == "lp-bound":
        label = "lp-bound" if k > 1 else ("socp" if cplx else "lp")
        params: dict[str, Any] = {"ascent_iters": ascent_iters}
    elif method == "enumerate":
        label, params = "enumerate", {}
    else:
        label, params = "milp", {"time_limit": math.inf if time_limit is None else time_limit}
    return _nsp_run(B, k, label, params, progress=progress, callback=callback, max_patterns=mp, used_W=used_W)


def _nsp_run(B: np.ndarray, k: int, label: str, params: dict[str, Any], *, progress: bool,
             callback: Callable | None, max_patterns: int, used_W: bool) -> ConstantResult:
    """Run one NSP method on ``B`` (rescaled exactly by a power of two: ``α_k`` only depends on ``ker B``)."""
    from theorycheck.rnsp._common import exact_rescaling
    from theorycheck.rnsp.nsp import finish, nsp_enumerate, nsp_lp_bound, nsp_milp

    Bs, _ = exact_rescaling(B)
    if label in ("lp-bound", "lp", "socp"):
        raw = nsp_lp_bound(Bs, k, ascent_iters=int(params["ascent_iters"]), callback=callback)
    elif label == "enumerate":
        raw = nsp_enumerate(Bs, k, progress=progress, callback=callback, max_patterns=max_patterns)
    else:
        tl = params["time_limit"]
        raw = nsp_milp(Bs, k, time_limit=None if math.isinf(tl) else tl, callback=callback)
    return _finish(finish(Bs, k, raw, label, params), B, used_W)


# --------------------------------------------------------------------------------------
# γ for a given ρ
# --------------------------------------------------------------------------------------

def _spec(A: Any, s: Any, rho: Any, W: Any, weights: Any, levels: Any):
    from theorycheck.rnsp.gamma import make_spec

    B, used_W = dense_matrix(A, W)
    rho = check_open_unit(rho, "rho")
    return make_spec(B, s, rho, weights, levels), used_W, B


#: cone programs (supports × net points, or restarts × iterations) a γ computation may ask for
MAX_CONE_PROGRAMS = 10 ** 7


def _cone_size_guard(spec: Any) -> None:
    m, N = spec.B.shape
    refuse_size(float(m) * N, 1e6, f"the cone programs of the rNSP constant (A is {m}×{N})",
                "each program has m variables and 2N constraints; restrict A to fewer columns")
    refuse_size(float(N), 20_000, f"the rNSP constant for N = {N} columns", "restrict A to fewer columns")


@precision(prec=WITNESS_BITS)
def rnsp_gamma(A: Any, s: Any, rho: float, *, W: Any = None, weights: Any = None, levels: Any = None,
               method: str = "auto", tol: float = 0.02, ascent: int = 10, executor: Any = None,
               progress: bool = True, callback: Callable[[Any], Any] | None = None,
               max_seconds: float = 600.0, restarts: int = 40, seed: int = 0) -> ConstantResult:
    """The smallest ``γ`` such that ``A`` (or ``A W^*``) has the rNSP of order ``s`` with ``ρ``.

    The inequality is ``‖v_Ω‖₂ ≤ ρ‖v_{Ω^c}‖_{1,ω}/√ξ + γ‖Av‖₂`` for every
    admissible ``Ω``: plain (``ω = 1``, ``ξ = s``, ``|Ω| ≤ s``); weighted
    (``ξ = max_{|Ω|=s} Σ_{i∈Ω} ω_i²``); in levels (``s`` the local sparsities,
    weights constant per level, ``ξ = Σ_k ω_k² s_k``, ``Ω`` ``(s, M)``-sparse).

    Parameters
    ----------
    A : array_like or LinearOperator, shape (m, N)
        Real or complex matrix.
    s : int or sequence of int
        Order (or local sparsities with ``levels``).
    rho : float
        ``0 < ρ < 1``.
    W : LinearOperator or array, optional
        Unitary sparsifier: the rNSP of ``A W^{-1} = A W^*``.
    weights : array_like, optional
        Positive weights (per column, or per level with ``levels``).
    levels : sequence of (start, stop), optional
        Contiguous levels partitioning ``range(N)``.
    method : {"auto", "exact", "bounds"}
        ``"exact"``: every admissible support, ε-net upper bound and ascent
        lower bound per support (refused with the count and an estimate when
        over ``max_seconds``); ``"bounds"``: ascent search with ``restarts``
        random restarts for the lower bound, and the RIP route
        (:func:`rnsp_from_rip` with a certified ``δ_{2s}`` upper bound) for the
        upper bound (plain rNSP only; otherwise ``inf``); ``"auto"``: exact when
        estimated under ``min(max_seconds, 120)`` seconds.
    tol : float
        Relative looseness of the ε-net (the upper bound evaluates the programs
        at radius ``1/c₀ ≤ 1 + tol``); ``s = 1`` is exact whatever ``tol``.
    ascent : int
        Ascent iterations per support.
    executor, progress, callback
        Parallel map over supports, tqdm bar, ``callback({"gamma_lower", "support", "v"})``.
    max_seconds : float
        Refusal threshold of ``"exact"``.
    restarts, seed : int
        Random restarts and seed of the ``"bounds"`` search.

    Returns
    -------
    ConstantResult
        ``value = upper`` (``inf`` when no certificate was found); ``outcome``
        holds when ``upper < ∞``, violated when the stable NSP with ``ρ`` fails
        (``lower = upper = inf``, witness an exact kernel vector), else
        inconclusive; ``witness`` the vector ``v`` and support ``Ω`` of ``lower``.

    Theorem: THEORY.md §2 (rNSP; γ_Ω(ρ) by conic duality; rNSP in levels).
    Rigor: proven (lower: ``R_Ω(v)`` in ball arithmetic; upper: ε-net certificate
    with outward-rounded a-priori bounds; ``inf``: exact kernel vector);
    certified-float64 when ``W`` is given.

    Examples
    --------
    >>> import numpy as np
    >>> r = rnsp_gamma(np.eye(3), 1, 0.5, progress=False)   # A = I: γ = 1 exactly
    >>> r.lower <= 1.0 <= r.upper < 1.0 + 1e-6
    True
    """
    from theorycheck.rnsp.gamma import estimate_seconds, make_net
    from theorycheck.rnsp.rip import check_method, refuse_message

    check_method(method, ("auto", "exact", "bounds"))
    progress = bool_arg(progress, "progress")
    callback = _callback(callback)
    executor = _executor(executor)
    seed = _seed(seed)
    ascent = _count(ascent, "ascent", 0, 1000)
    restarts = _count(restarts, "restarts", 1, MAX_CONE_PROGRAMS // 2)
    max_seconds = _seconds(max_seconds, "max_seconds")
    tol = check_positive(tol, "tol")
    spec, used_W, B = _spec(A, s, rho, W, weights, levels)
    _cone_size_guard(spec)
    if method in ("auto", "exact"):
        net = make_net(spec.s, spec.cplx, tol) if method == "exact" else _try_net(spec, tol)
        est, per_support = estimate_seconds(spec, net, ascent) if net is not None else (math.inf, math.inf)
        limit = max_seconds if method == "exact" else min(max_seconds, 120.0)
        if est > limit:
            if method == "exact":
                raise InvalidArgument(refuse_message(
                    "γ", spec.count(), 1.0 / max(per_support, 1e-12), max_seconds,
                    f"each support needs {net.size} cone programs; use method='bounds' (ascent lower bound, "
                    "RIP-based upper bound), search_rnsp_violation, or raise tol / max_seconds"))
            method = "bounds"
        else:
            method = "exact"
    if method == "exact":
        res = _gamma_exact(spec, net, tol, ascent, executor=executor, progress=progress, callback=callback)
    else:
        res = _gamma_bounds(spec, restarts=restarts, seed=seed, ascent=ascent, progress=progress,
                            callback=callback)
    return _finish(res, B, used_W, **_spec_data(spec))


def _spec_data(spec: Any) -> dict[str, Any]:
    """The rNSP question (ρ, order, weights, levels) as witness fields (re-read by :func:`_spec_from_witness`)."""
    d: dict[str, Any] = {"rho": spec.rho, "structure": spec.structure}
    if spec.structure == "levels":
        d["s"] = np.array(spec.s_levels, dtype=np.int64)
        d["levels"] = np.array(spec.levels, dtype=np.int64).reshape(-1, 2)
        d["weights"] = np.array([float(spec.omega[a]) for a, _ in spec.levels])
    else:
        d["s"] = int(spec.s)
        if spec.structure == "weighted":
            d["weights"] = np.asarray(spec.omega, dtype=float)
    return d


def _spec_from_witness(w: Witness, B: np.ndarray) -> Any:
    """Rebuild the rNSP question from a saved witness (every field validated)."""
    from theorycheck.rnsp._common import BadWitness, w_choice, w_float, w_get, w_int, w_vector
    from theorycheck.rnsp.gamma import make_spec

    N = B.shape[1]
    rho = w_float(w, "rho", 0.0, 1.0, open_lo=True, open_hi=True)
    structure = w_choice(w, "structure", ("plain", "weighted", "levels"))
    try:
        if structure == "plain":
            return make_spec(B, w_int(w, "s", 1, N), rho, None, None)
        if structure == "weighted":
            return make_spec(B, w_int(w, "s", 1, N), rho, w_vector(w, "weights", N, allow_complex=False), None)
        lv, sl = w_get(w, "levels"), w_get(w, "s")
        if not (isinstance(lv, np.ndarray) and lv.dtype.kind in "iu" and lv.ndim == 2 and lv.shape[1] == 2
                and 1 <= lv.shape[0] <= N):
            raise BadWitness("witness['levels'] must be an (L, 2) integer array of (start, stop) pairs")
        if not (isinstance(sl, np.ndarray) and sl.dtype.kind in "iu" and sl.shape == (lv.shape[0],)):
            raise BadWitness("witness['s'] must hold one integer local sparsity per level")
        weights = w_vector(w, "weights", lv.shape[0], allow_complex=False)
        return make_spec(B, [int(x) for x in sl], rho, weights, [(int(a), int(b)) for a, b in lv])
    except BadWitness:
        raise
    except InvalidArgument as exc:
        raise BadWitness(f"the saved rNSP question is invalid: {exc}") from None


def _try_net(spec: Any, tol: float):
    from theorycheck.rnsp.gamma import make_net

    try:
        return make_net(spec.s, spec.cplx, tol)
    except InvalidArgument:
        return None


def _violation_result(spec: Any, viol: dict[str, Any], method: str) -> ConstantResult:
    """γ = ∞: the stable NSP with ρ fails (a deterministic function of the proof's ``v``, ``Ω`` and basic columns)."""
    v, S = viol["v"], viol["support"]
    msg = (f"the stable NSP with ρ = {spec.rho} fails: an exact kernel vector has "
           f"‖v_Ω‖₂ − Σ τ_j|v_j| ≥ {viol['margin']:.6g} > 0 on Ω = {np.asarray(S).tolist()}, so no γ works")
    return make_result("rnsp_gamma", lower=math.inf, upper=math.inf, lower_rigor=Rigor.PROVEN,
                       upper_rigor=Rigor.PROVEN, method=method, message=msg, outcome=Outcome.VIOLATED,
                       values={"rho": spec.rho, "s": spec.s, "xi": spec.xi, "margin": viol["margin"]},
                       witness=Witness("kernel_vector", {"v": np.asarray(v), "v_solver": np.asarray(viol["v_solver"]),
                                                         "support": np.asarray(S, np.int64),
                                                         "basic_columns": np.asarray(viol["basic_columns"]),
                                                         "method": method}),
                       theorem="THEORY.md §2 (rNSP ⇒ stable NSP: ‖v_Ω‖₂ ≤ ρ‖v_Ω^c‖₁/√s on ker A)")


def _gamma_assemble(spec: Any, best: dict[str, Any], upper: float, method: str, params: dict[str, Any],
                    extra: dict[str, Any], failures: list | None = None) -> ConstantResult:
    """The γ interval from the best witness vector and a proven upper bound (original units)."""
    from theorycheck.rnsp.gamma import certify_lower
    from theorycheck.rnsp.rip import consistent

    lower, v, S = certify_lower(spec, best)
    failures = failures or []
    if math.isfinite(upper):
        consistent(lower, upper, "γ")
        outcome = Outcome.HOLDS
        verdict = f"the rNSP of order {spec.s} holds with ρ = {spec.rho} and γ = {upper:.9g}"
    else:
        outcome = Outcome.INCONCLUSIVE
        why = failures[0][1] if failures else "no upper certificate"
        verdict = (f"no finite upper bound certified ({why} on {len(failures)} support(s)); "
                   "refine tol, or the stable NSP with this ρ nearly fails")
    msg = f"γ(ρ = {spec.rho}) ∈ [{lower:.9g}, {upper:.9g}] ({method}); {verdict}"
    values = {"rho": spec.rho, "s": spec.s, "xi": spec.xi, **params, **extra}
    wd: dict[str, Any] = {"method": method, **params}
    if v is not None:
        wd.update(v=np.asarray(v), support=np.asarray(S, dtype=np.int64))
    return make_result("rnsp_gamma", lower=lower, upper=upper, lower_rigor=Rigor.PROVEN,
                       upper_rigor=Rigor.PROVEN, method=method, message=msg, outcome=outcome, values=values,
                       witness=Witness("rnsp_vector", wd),
                       theorem="THEORY.md §2: γ_Ω(ρ) = max_{‖u‖≤1} min{‖w‖ : A_Ω^*w = u, |(A^*w)_j| ≤ τ_j}")


def _gamma_exact(spec: Any, net: Any, tol: float, ascent: int, *, executor: Any, progress: bool,
                 callback: Callable | None) -> ConstantResult:
    from theorycheck.rnsp.gamma import gamma_enumerate
    from theorycheck.rnsp.rip import count_value

    out = gamma_enumerate(spec, net, ascent=ascent, executor=executor, progress=progress, callback=callback)
    if out["violation"] is not None:
        return _violation_result(spec, out["violation"], "exact")
    failures = out["failures"]
    upper = spec.to_original(out["upper"], True) if not failures else math.inf
    return _gamma_assemble(spec, out["best"], upper, "exact", {"tol": tol, "ascent": ascent},
                           {"net": net.kind, "net_points": net.size, "supports": count_value(spec.count())},
                           failures)


def _rip_route(spec: Any) -> tuple[float, str]:
    """Upper bound of γ from a certified ``δ_2s`` (Foucart–Rauhut Thm 6.13), plain rNSP only."""
    from theorycheck.rnsp.rip import check_scale, frobenius_upper, gershgorin_upper, gram_and_error

    if not (spec.levels is None and np.all(spec.omega == 1.0) and 2 * spec.s <= spec.N <= MAX_GRAM_N):
        return math.inf, "upper bound: none (weights or levels, or δ_2s too large for the RIP route)"
    A = spec.original()
    try:
        check_scale(A)
    except InvalidArgument:
        return math.inf, "upper bound: none (A is too large for the RIP route)"
    G, E = gram_and_error(A)
    d2s = min(gershgorin_upper(G, E, 2 * spec.s), frobenius_upper(A))
    if not d2s < RIP_THRESHOLD:
        return math.inf, f"δ_2s ≤ {d2s:.4g} is not below 4/√41: no upper bound from RIP"
    r_rip, g_rip = rnsp_from_rip(d2s)
    if r_rip > spec.rho:
        return math.inf, f"RIP route gives ρ = {r_rip:.4g} > {spec.rho}: no upper bound"
    return g_rip, f"upper bound from δ_2s ≤ {d2s:.6g} (Gershgorin) via Foucart–Rauhut Thm 6.13"


def _gamma_bounds(spec: Any, *, restarts: int, seed: int, ascent: int, progress: bool,
                  callback: Callable | None) -> ConstantResult:
    from theorycheck.rnsp.gamma import search

    refuse_size(float(restarts) * max(ascent, 2), MAX_CONE_PROGRAMS, "the γ search (restarts × ascent steps)",
                "lower restarts or ascent")
    out = search(spec, restarts=restarts, iters=max(ascent, 2), rng=np.random.default_rng(seed), gamma=None,
                 progress=progress, callback=callback)
    if out["violation"] is not None:
        return _violation_result(spec, out["violation"], "bounds")
    return _gamma_bounds_assemble(spec, out["best"], restarts=restarts, seed=seed, ascent=ascent)


def _gamma_bounds_assemble(spec: Any, best: dict[str, Any], *, restarts: int, seed: int, ascent: int
                           ) -> ConstantResult:
    upper, note = _rip_route(spec)
    return _gamma_assemble(spec, best, upper, "bounds", {"restarts": restarts, "seed": seed, "ascent": ascent},
                           {"upper_note": note})


@precision(prec=WITNESS_BITS)
def search_rnsp_violation(A: Any, s: Any, rho: float, gamma: float, *, seed: int = 0, W: Any = None,
                          weights: Any = None, levels: Any = None, restarts: int = 50, iters: int = 20,
                          progress: bool = True, callback: Callable[[Any], Any] | None = None) -> CheckResult:
    """Search for a vector violating the rNSP inequality with ``(ρ, γ)``: a proof the pair is invalid.

    Ascent on ``R_Ω(v) = (‖v_Ω‖₂ − Σ_{j∉Ω} τ_j|v_j|)/‖Av‖₂`` through the cone
    programs of :func:`rnsp_gamma` (alternating the support ``Ω`` and the
    direction ``u = v_Ω/‖v_Ω‖``), from random kernel and random vectors.

    Parameters
    ----------
    A : array_like or LinearOperator
        The matrix.
    s : int or sequence of int
        Order (local sparsities with ``levels``).
    rho, gamma : float
        The claimed constants (``0 < ρ < 1``, ``γ > 0``).
    seed : int
        Seed of the restarts (same seed, same result).
    W, weights, levels
        As in :func:`rnsp_gamma`.
    restarts, iters : int
        Random restarts and ascent steps per restart.
    progress, callback
        tqdm bar; ``callback({"gamma_lower", "support", "v"})`` on improvement.

    Returns
    -------
    CheckResult
        ``violated`` with a proven witness (``witness["v"]``, ``witness["support"]``)
        when ``‖v_Ω‖₂ > Σ τ_j|v_j| + γ‖Av‖₂`` is proven in ball arithmetic;
        ``inconclusive`` (numerical) when nothing was found — not a proof that
        the pair is valid (use :func:`rnsp_gamma` for that).

    Theorem: THEORY.md §2 (rNSP definition).
    Rigor: proven when a violation is found; numerical otherwise.
    """
    from theorycheck.rnsp.gamma import ratio_ball, search

    progress = bool_arg(progress, "progress")
    callback = _callback(callback)
    seed = _seed(seed)
    restarts = _count(restarts, "restarts", 1, MAX_CONE_PROGRAMS)
    iters = _count(iters, "iters", 1, MAX_CONE_PROGRAMS)
    refuse_size(float(restarts) * iters, MAX_CONE_PROGRAMS, "the rNSP violation search (restarts × iters)",
                "lower restarts or iters")
    spec, used_W, B = _spec(A, s, rho, W, weights, levels)
    gamma = check_positive(gamma, "gamma")
    _cone_size_guard(spec)
    out = search(spec, restarts=restarts, iters=iters, rng=np.random.default_rng(seed), gamma=gamma,
                 progress=progress, callback=callback)
    params = {"restarts": restarts, "iters": iters, "seed": seed}
    if out["violation"] is not None:
        viol = out["violation"]
        found = {"kernel": True, "v": viol["v_solver"], "support": viol["support"], "basic": viol["basic_columns"]}
    else:
        best = out["best"]
        found = {"kernel": False, "v": best["v"], "support": best["support"], "basic": None}
        if best["v"] is not None:
            for S in (np.asarray(best["support"]), spec.best_support(best["v"])):
                if ratio_ball(spec, best["v"], S, gamma) > 0:
                    found["support"] = S
                    break
    return _finish(_violation_search_assemble(spec, gamma, found, params), B, used_W, **_spec_data(spec))


@precision(prec=WITNESS_BITS)
def _violation_search_assemble(spec: Any, gamma: float, found: dict[str, Any], params: dict[str, Any]
                               ) -> CheckResult:
    """The ``rnsp_violation`` result from its witness (deterministic; re-run by ``theorycheck verify``)."""
    from theorycheck.rnsp.gamma import kernel_violation_assemble, ratio_ball

    theorem = "THEORY.md §2: ‖v_Ω‖₂ ≤ ρ‖v_Ω^c‖₁/√s + γ‖Av‖₂"
    base = {"rho": spec.rho, "s": spec.s, "gamma": gamma, **params}
    wd: dict[str, Any] = {"gamma": gamma, "kernel": bool(found["kernel"]), **params}
    v = found["v"]
    if found["kernel"]:
        viol = kernel_violation_assemble(spec, np.asarray(v), np.asarray(found["support"]), found["basic"])
        if viol is not None and viol["margin"] > 0:
            wd.update(v=viol["v"], v_solver=viol["v_solver"], support=viol["support"],
                      basic_columns=viol["basic_columns"])
            return CheckResult(
                check="rnsp_violation", outcome=Outcome.VIOLATED, rigor=Rigor.PROVEN,
                message=(f"kernel vector with ‖v_Ω‖₂ − Σ τ_j|v_j| ≥ {viol['margin']:.6g} > 0: the rNSP with "
                         f"ρ = {spec.rho} fails for every γ"),
                values={**base, "margin": viol["margin"], "kernel": True},
                witness=Witness("rnsp_violation", wd), theorem=theorem)
        raise InvalidArgument("the stored kernel-vector violation is not re-proven (margin ≤ 0 or no exact "
                              "kernel vector)")
    ratio = -math.inf
    if v is not None:
        S = spec.check_support(found["support"])
        wd.update(v=np.asarray(v), support=S)
        rb = ratio_ball(spec, np.asarray(v), S)
        ratio = float(rb.mid()) if rb.is_finite() else math.inf
        margin = ratio_ball(spec, np.asarray(v), S, gamma)
        if margin > 0:
            lo = ball_down(margin)
            return CheckResult(
                check="rnsp_violation", outcome=Outcome.VIOLATED, rigor=Rigor.PROVEN,
                message=(f"‖v_Ω‖₂ − ρ‖v_Ω^c‖₁/√ξ − γ‖Av‖₂ ≥ {lo:.6g} > 0 on Ω = {S.tolist()}: "
                         f"(ρ, γ) = ({spec.rho}, {gamma}) is not a valid rNSP pair"),
                values={**base, "margin": lo, "ratio": ratio, "kernel": False},
                witness=Witness("rnsp_violation", wd), theorem=theorem)
    return CheckResult(
        check="rnsp_violation", outcome=Outcome.INCONCLUSIVE, rigor=Rigor.NUMERICAL,
        message=(f"no violation found in {params['restarts']} restarts (largest ratio R_Ω(v) = {ratio:.6g} ≤ "
                 f"γ = {gamma}); this is not a proof of the rNSP"),
        values={**base, "ratio": ratio, "kernel": False}, witness=Witness("rnsp_violation", wd), theorem=theorem)


# --------------------------------------------------------------------------------------
# constants of the theorems
# --------------------------------------------------------------------------------------

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

    Theorem: Foucart–Rauhut Thm 6.13 (THEORY.md §2).
    Rigor: proven (ball arithmetic, rounded up).

    Examples
    --------
    >>> rho, gamma = rnsp_from_rip(0.3)
    >>> round(rho, 6), round(gamma, 6)
    (0.341321, 1.297218)
    """
    import flint

    d = delta_2s.upper if isinstance(delta_2s, ConstantResult) else delta_2s
    d = check_real(d, "delta_2s")
    if d < 0:
        raise InvalidArgument(f"delta_2s = {d} is negative: a restricted isometry constant is ≥ 0")
    if not d < RIP_THRESHOLD:
        raise PreconditionError(
            f"δ_2s = {d:.6g} ≥ 4/√41 ≈ {RIP_THRESHOLD:.6f}: Foucart–Rauhut Thm 6.13 does not apply",
            hypothesis="δ_2s < 4/√41", margin=d - RIP_THRESHOLD)
    db = flint.arb(d)
    den = (1 - db * db).sqrt() - db / 4
    return ball_up(db / den), ball_up((1 + db).sqrt() / den)


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

    Theorem: Foucart–Rauhut Thm 4.25; seed Theorems 1 and 3 (THEORY.md §2).
    Rigor: proven (ball arithmetic, rounded up).

    Examples
    --------
    >>> c = recovery_constants(0.5, 1.0)
    >>> round(c.C1, 12), round(c.C2, 12), round(c.C2_seed, 12), round(c.sparse_pair, 9)
    (4.5, 7.0, 13.0, 2.828427125)
    """
    rho = check_open_unit(rho, "rho")
    g = gamma.upper if isinstance(gamma, ConstantResult) else gamma
    g = check_positive(g, "gamma")
    b = _recovery_balls(rho, g)
    return RecoveryConstants(rho=rho, gamma=g, C1=ball_up(b["C1"]), C2=ball_up(b["C2"]),
                             C2_seed=ball_up(b["C2_seed"]), sparse_pair=ball_up(b["sparse_pair"]),
                             sparse_pair_seed=ball_up(b["C2_seed"] / 2))


def _arb_of_string(sx: str) -> Any:
    import flint

    return flint.arb(sx)


@precision(prec=WITNESS_BITS)
def _enclosure_distance(sol: Any, x: np.ndarray) -> tuple[Any, Any]:
    """Balls bounding ``‖x̂ − x‖₂`` from below and above, from the exact solver's enclosure."""
    import flint

    enc = sol.info.get("z_enclosure") or sol.enclosure
    lo2, hi2 = flint.arb(0), flint.arb(0)
    for e, xi in zip(enc, x.reshape(-1)):
        if len(e) == 2:
            d = abs(_arb_of_string(e[0]) - flint.arb(float(np.real(xi))))
            rad = _arb_of_string(e[1])
        else:
            d = abs(flint.acb(_arb_of_string(e[0]), _arb_of_string(e[1]))
                    - flint.acb(float(np.real(xi)), float(np.imag(xi))))
            rad = _arb_of_string(e[2])
        hi = d + rad
        lo = d - rad
        lo2 += (lo * lo) if lo > 0 else flint.arb(0)
        hi2 += hi * hi
    return lo2.sqrt(), hi2.sqrt()


def _sigma_ball(c: np.ndarray, s: int) -> Any:
    import flint

    from theorycheck.rnsp._common import balls

    bs = balls(c)
    mags = [abs(b) for b in bs]
    order = np.argsort(-np.abs(c), kind="stable")
    total = flint.arb(0)
    for i in order[s:]:
        total += mags[int(i)]
    return total


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

    Theorem: seed Theorem 1 (THEORY.md §2; Foucart–Rauhut Thm 4.25).
    Rigor: proven (certified minimiser enclosure and ball arithmetic) without
    ``W``; certified-float64 with ``W`` (``Wx`` evaluated in float64); numerical
    if the exact solver fails and the reference solver is used instead.
    """
    import flint

    from theorycheck.numerics.backend import as_array
    from theorycheck.problems.programs import SRLasso
    from theorycheck.solvers import solve

    from theorycheck.rnsp._common import dense_operator, unitarity_defect_bound, unitary_dense

    lam = check_positive(lam, "lam")
    rho = check_open_unit(rho, "rho")
    gamma = check_positive(gamma.upper if isinstance(gamma, ConstantResult) else gamma, "gamma")
    dps = _count(dps, "dps", 15, 2000)
    P = SRLasso(A, lam, W=W)
    N = P.penalty_size
    s = check_order(s, N)
    defect = flint.arb(0)
    if W is not None:
        # Theorem 1 bounds ‖W(x̂ − x)‖ (the rNSP is for A W^{-1}); it is ‖x̂ − x‖ only for a unitary W
        Wd, _ = unitary_dense(P.W, int(np.prod(P.A.in_shape)))
        defect = flint.arb(unitarity_defect_bound(Wd))
    xa = as_array(x, "x")
    ea = as_array(e, "e")
    if xa.shape != tuple(P.A.in_shape):
        raise InvalidArgument(f"x has shape {xa.shape}: pass an array of shape {tuple(P.A.in_shape)}")
    if ea.shape != tuple(P.A.out_shape):
        raise InvalidArgument(f"e has shape {ea.shape}: pass an array of shape {tuple(P.A.out_shape)}")
    consts = recovery_constants(rho, gamma)
    balls_ = _recovery_balls(rho, gamma)
    lam_max_ball = balls_["C1"] / (flint.arb(s).sqrt() * balls_["C2"])
    if not flint.arb(lam) <= lam_max_ball:
        bound = ball_down(lam_max_ball)
        raise PreconditionError(
            f"λ = {lam:.6g} exceeds C1/(√s C2) = {bound:.6g} (seed Theorem 1 needs 0 < λ ≤ C1/(√s C2)); "
            "pass a smaller λ", hypothesis="0 < λ ≤ C1/(√s C2)", margin=lam - bound)
    Ad = dense_operator(P.A, "A")
    y = np.asarray(P.A.apply(xa)) + ea
    if not np.all(np.isfinite(y)):
        raise InvalidArgument("A x + e overflows float64: rescale x, e or A")
    rigor = Rigor.PROVEN if W is None else Rigor.CERTIFIED_FLOAT64
    note = ""
    try:
        sol = solve(P, y, method="exact", dps=dps)
        lhs_lo, lhs_hi = _enclosure_distance(sol, xa)
    except (SolverError, InsufficientPrecision) as exc:
        sol = solve(P, y, method="reference")
        d = flint.arb(float(np.linalg.norm(np.asarray(sol.x) - xa)))
        lhs_lo = lhs_hi = d
        rigor = Rigor.NUMERICAL
        note = f" (exact solver failed: {exc}; reference solver used, numerical)"
    from theorycheck.rnsp._common import balls, matvec_balls, norm2_ball

    # the exact noise e = y − Ax of the float data
    yb = balls(y.reshape(-1))
    Axb = matvec_balls(Ad, balls(xa.reshape(-1)))
    e_norm = norm2_ball([a - b for a, b in zip(yb, Axb)])
    if W is None:
        c = xa.reshape(-1)
    else:
        c1 = np.asarray(P.W.apply(xa)).reshape(-1)
        c2 = np.asarray(P.W.apply(xa)).reshape(-1)
        if not np.array_equal(c1, c2):
            rigor = Rigor.NUMERICAL
            note += " (W x differs between two float64 evaluations)"
        c = c1
    sigma = _sigma_ball(c, s)
    rs = flint.arb(s).sqrt()
    C1, C2 = balls_["C1"], balls_["C2"]
    rhs = 2 * C1 * sigma / rs + (C1 / (rs * flint.arb(lam)) + C2) * e_norm
    # ‖x̂ − x‖ ≤ ‖W^{-1}‖·‖W(x̂ − x)‖ and ‖W^{-1}‖ ≤ 1/sqrt(1 − ‖W^*W − I‖₂): a violation must beat that factor
    inflate = 1 / (1 - defect).sqrt() if W is not None else flint.arb(1)
    if lhs_hi <= rhs:
        outcome = Outcome.HOLDS
    elif lhs_lo > rhs * inflate:
        outcome = Outcome.VIOLATED
    else:
        outcome = Outcome.INCONCLUSIVE
    err_f, rhs_f = float(lhs_hi.mid()), float(rhs.mid())
    tight = err_f / rhs_f if rhs_f > 0 else math.inf
    if outcome is Outcome.VIOLATED:
        verdict = (f"the bound fails, so {'A W^{-1}' if W is not None else 'A'} does NOT have the rNSP of order "
                   f"{s} with (ρ, γ) = ({rho}, {gamma})")
    elif outcome is Outcome.HOLDS:
        verdict = f"the bound holds (tightness {tight:.3g})"
    else:
        verdict = "the enclosures overlap: undecided"
    msg = f"‖x̂ − x‖₂ = {err_f:.6g} vs Theorem 1's bound {rhs_f:.6g}: {verdict}{note}"
    return CheckResult(
        check="recovery_bound", outcome=outcome, rigor=rigor, message=msg,
        values={"error": err_f, "error_upper": ball_up(lhs_hi), "bound": rhs_f, "bound_lower": ball_down(rhs),
                "tightness": tight, "lam": lam, "lambda_max": ball_down(lam_max_ball),
                "sigma_s": float(sigma.mid()), "noise_norm": float(e_norm.mid()), "s": s, "rho": rho,
                "gamma": gamma, "C1": consts.C1, "C2": consts.C2, "solver": sol.solver},
        witness=Witness("recovery", {"x": np.asarray(xa), "y": np.asarray(y), "x_hat": np.asarray(sol.x)}),
        theorem="seed Theorem 1 (SR-LASSO under the rNSP), THEORY.md §2")


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

    Theorem: seed Theorem 3 (kernel awareness), THEORY.md §2.
    Rigor: proven (ball arithmetic on the float64 data).

    Examples
    --------
    >>> import numpy as np
    >>> r = check_kernel_awareness(np.eye(3), [1.0, 0, 0], [0, 2.0, 0], rho=0.5, gamma=1.0)
    >>> r.holds, r.rigor.value
    (True, 'proven')
    """
    from theorycheck.rnsp._common import balls, matvec_balls, norm2_ball

    if not isinstance(bound, str) or bound not in ("seed", "sharp"):
        raise InvalidArgument(f"bound must be 'seed' or 'sharp', got {bound!r}")
    B, _ = dense_matrix(A)
    N = B.shape[1]
    refuse_size(float(B.size), 4e6, f"ball arithmetic with the {B.shape[0]}×{N} matrix A",
                "restrict A to fewer rows or columns")
    xv, zv = vector(x, "x", N), vector(z, "z", N)
    rho = check_open_unit(rho, "rho")
    gamma = check_positive(gamma.upper if isinstance(gamma, ConstantResult) else gamma, "gamma")
    nnz = max(int(np.count_nonzero(xv)), int(np.count_nonzero(zv)))
    if s is None:
        s = max(nnz, 1)
    s = check_order(s, N)
    if nnz > s:
        raise PreconditionError(
            f"x or z has {nnz} non-zeros > s = {s}: Theorem 3 is for s-sparse vectors",
            hypothesis="x, z s-sparse", margin=float(nnz - s))
    # z − x is not exact in float64: take the difference in balls
    xb, zb = balls(xv), balls(zv)
    db = [b - a for a, b in zip(xb, zb)]
    lhs = norm2_ball(db)
    Ad = norm2_ball(matvec_balls(B, db))
    b = _recovery_balls(rho, gamma)
    K_seed = b["C2_seed"] / 2
    K_sharp = b["sparse_pair"]
    K = K_seed if bound == "seed" else K_sharp
    rhs = K * Ad
    if lhs <= rhs:
        outcome = Outcome.HOLDS
    elif lhs > rhs:
        outcome = Outcome.VIOLATED
    else:
        outcome = Outcome.INCONCLUSIVE
    lf, af = float(lhs.mid()), float(Ad.mid())
    ratio = float((lhs / Ad).mid()) if Ad > 0 else math.inf
    verdict = {Outcome.HOLDS: "holds", Outcome.VIOLATED: "fails: A does NOT have the rNSP with these constants",
               Outcome.INCONCLUSIVE: "undecided"}[outcome]
    msg = (f"‖z − x‖₂ = {lf:.6g}, ‖A(z − x)‖₂ = {af:.6g} (ratio {ratio:.6g}); bound K = {float(K.mid()):.6g} "
           f"({bound}) {verdict}")
    return CheckResult(
        check="kernel_awareness", outcome=outcome, rigor=Rigor.PROVEN, message=msg,
        values={"difference": lf, "measured_difference": af, "ratio": ratio, "K_seed": ball_up(K_seed),
                "K_sharp": ball_up(K_sharp), "holds_seed": bool(lhs <= K_seed * Ad),
                "holds_sharp": bool(lhs <= K_sharp * Ad), "s": s, "rho": rho, "gamma": gamma},
        witness=_store(Witness("pair", {"x": xv, "z": zv, "bound": bound, "rho": rho, "gamma": gamma, "s": s}), B),
        theorem="seed Theorem 3 (kernel awareness), THEORY.md §2")


# --------------------------------------------------------------------------------------
# phase transition
# --------------------------------------------------------------------------------------

def donoho_tanner(delta: Any) -> Any:
    """Donoho–Tanner weak threshold ``ρ_W(δ)`` (``s/m`` at the ℓ1 phase transition for ``m/N = δ``).

    Solves ``ψ(δρ) = δ`` with the statistical-dimension formula
    ``ψ(r) = inf_τ r(1+τ²) + 2(1−r)[(1+τ²)Q(τ) − τφ(τ)]``.

    Parameters
    ----------
    delta : float or array_like
        Undersampling ratios ``m/N`` in ``(0, 1)``.

    Returns
    -------
    float or numpy.ndarray
        ``ρ_W(δ)`` (same shape as ``delta``).

    Theorem: Amelunxen–Lotz–McCoy–Tropp (2014); Donoho–Tanner (2009) (THEORY.md §2).
    Rigor: numerical (nested root finding to ~1e-13).

    Examples
    --------
    >>> round(donoho_tanner(0.5), 4)
    0.3857
    """
    from theorycheck.numerics.backend import as_array
    from theorycheck.rnsp.phase import weak_threshold

    if isinstance(delta, (bool, np.bool_, str, bytes)):
        raise InvalidArgument(f"delta must be a number or an array of numbers in (0, 1), got {delta!r}")
    arr = as_array(delta, "delta", allow_complex=False)
    if arr.size == 0:
        raise InvalidArgument("delta is empty: pass at least one undersampling ratio in (0, 1)")
    refuse_size(arr.size, 10_000, f"donoho_tanner on {arr.size:,} values (each a nested root finding)",
                "pass at most 10,000 values")
    if np.any(arr <= 0) or np.any(arr >= 1):
        raise InvalidArgument("delta must lie in (0, 1) (δ = m/N with m < N)")
    out = np.vectorize(weak_threshold, otypes=[float])(arr)
    return float(out) if out.shape == () else out


def empirical_phase_transition(N: int, deltas: Sequence[float], rhos: Sequence[float], *, trials: int = 20,
                               executor: Any = None, seed: Any = 0, progress: bool = True,
                               tol: float = 1e-4, atol: float = 0.1) -> PhaseTransitionResult:
    """Empirical ℓ1 phase transition: success rate of basis pursuit on Gaussian instances.

    For each ``δ`` (``m = round(δN)``) and ``ρ`` (``s = round(ρm)``), ``trials``
    Gaussian matrices and ``s``-sparse Gaussian vectors; success when the LP
    solution of ``min ‖z‖₁ s.t. Az = Ax`` satisfies ``‖ẑ − x‖ ≤ tol‖x‖``.

    Parameters
    ----------
    N : int
        Signal length.
    deltas, rhos : sequence of float
        Increasing grids in ``(0, 1)``.
    trials : int
        Trials per cell.
    executor : concurrent.futures.Executor, optional
        Runs the cells (default serial); results do not depend on it.
    seed : int or SeedSequence
        Seed (one child seed per cell).
    progress : bool
        tqdm bar over cells.
    tol : float
        Relative recovery tolerance.
    atol : float
        Allowed deviation of the 50 % crossing from ``ρ_W(δ)`` for ``holds``.

    Returns
    -------
    PhaseTransitionResult
        Probabilities, crossings, the theoretical curve and a ``plot`` method.

    Theorem: Donoho–Tanner (2009) / Amelunxen–Lotz–McCoy–Tropp (2014), THEORY.md §2.
    Rigor: numerical (Monte Carlo).
    """
    from theorycheck.rnsp.phase import check_grid, check_work, run_sweep, seed_entropy

    N = check_order(N, None, "N")
    if N < 2:
        raise InvalidArgument("N must be at least 2")
    d = check_grid(deltas, "deltas")
    r = check_grid(rhos, "rhos", 0.0, 1.0 + 1e-12)
    trials = _count(trials, "trials", 1, 10 ** 6)
    tol = check_positive(tol, "tol")
    atol = check_positive(atol, "atol")
    progress = bool_arg(progress, "progress")
    executor = _executor(executor)
    entropy = seed_entropy(seed)
    if d.size > 10_000 or r.size > 10_000:
        raise InvalidArgument("deltas and rhos may have at most 10,000 entries each")
    check_work(N, d, r, trials)
    return run_sweep(N, d, r, trials, entropy, tol, atol, executor=executor, progress=progress)


# --------------------------------------------------------------------------------------
# verifiers for `theorycheck verify`
# --------------------------------------------------------------------------------------
#
# Each verifier reads the saved witness only (never the file's outcome, rigor, message or
# values), validates every field it uses, re-derives the whole result — by the same
# deterministic assembly the check used, re-running the enumeration or the certificate where
# that is what proved a bound — and compares it field by field with the saved one
# (claim_mismatches: floats bit for bit). Re-runs use LAPACK, HiGHS and clarabel: a file made
# on another machine can differ in the last bits of such numbers and is then reported, never
# accepted with slack.

#: largest re-run a verifier performs (supports for δ_s, (support, sign) patterns for α_k)
VERIFY_MAX_SUPPORTS = 10 ** 8
VERIFY_MAX_PATTERNS = 5 * 10 ** 7
VERIFY_MAX_CONE_PROGRAMS = 2 * 10 ** 6


def _big(n: int) -> str:
    """A count for a message (``10^k`` beyond 30 digits: Python refuses to print huge ints)."""
    return f"{n:,}" if n < 10 ** 30 else f"about 10^{int(math.log10(n))}"


class _Refused(InvalidArgument):
    """A saved result too large to re-derive here (raised, with the size)."""


def _no_matrix(check: str) -> CheckResult:
    return CheckResult(f"verify:{check}", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                       "the witness does not store the matrix (too large): re-run the computation")


def _verify_with(check: str, result: CheckResult, derive: Callable[[Witness], tuple[CheckResult, str]],
                 needs_matrix: bool = True) -> CheckResult:
    """Run ``derive(witness) -> (re-derived result, what was re-derived)`` and compare exactly."""
    from theorycheck.rnsp._common import BadWitness

    w = result.witness
    if w is None:
        return verification(result, ["the result has no witness"], rederived="nothing")
    if needs_matrix and "A" not in w.data:
        return _no_matrix(check)
    try:
        with precision(prec=WITNESS_BITS):
            derived, what = derive(w)
    except _Refused:
        raise
    except BadWitness as exc:
        return verification(result, [str(exc)], rederived="nothing (invalid witness)")
    except (InvalidArgument, PreconditionError, SolverError, InsufficientPrecision) as exc:
        return verification(result, [f"the witness does not re-derive the result: {exc}"], rederived="nothing")
    except (ValueError, TypeError, IndexError, KeyError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return verification(result, [f"re-derivation failed on the stored witness: {type(exc).__name__}: {exc}"],
                            rederived="nothing")
    return verification(result, claim_mismatches(result, derived), rederived=what)


@register_verifier("rip_constant")
def _verify_rip(result: CheckResult) -> CheckResult:
    """Re-derive a saved ``rip_constant`` result (witness bounds; the exact enumeration is re-run).

    Theorem: definition of δ_s (THEORY.md §2).
    Rigor: the saved result's (never above it).
    """
    from theorycheck.rnsp._common import w_bool, w_choice, w_indices, w_int, w_matrix, w_vector
    from theorycheck.rnsp.rip import MAX_BLOCK, check_scale, rip_bounds_assemble, rip_exact

    def derive(w: Witness) -> tuple[CheckResult, str]:
        B = w_matrix(w)
        used_W = w_bool(w, "W_used")
        N = B.shape[1]
        s = w_int(w, "s", 1, min(N, MAX_BLOCK))
        method = w_choice(w, "method", ("exact", "bounds"))
        S = w_indices(w, "support", N, size=s)
        x = w_vector(w, "vector", s)
        w_choice(w, "side", ("max", "min"))
        check_scale(B)
        if method == "bounds":
            res = rip_bounds_assemble(B, s, S, x, w_choice(w, "side", ("max", "min")))
            what = "both bounds from the witness (ball arithmetic; Gershgorin/Frobenius bounds of the stored A)"
        else:
            enclose = w_bool(w, "enclose")
            seed = w_int(w, "seed", 0, MAX_SEED)
            count = math.comb(N, s)
            if count > VERIFY_MAX_SUPPORTS:
                raise _Refused(f"re-running the enumeration of δ_{s} needs {_big(count)} supports (more than "
                               f"{VERIFY_MAX_SUPPORTS:,}): too large to verify here")
            res = rip_exact(B, s, enclose=enclose, executor=None, progress=False, callback=None, seed=seed)
            what = f"the enumeration of all {count} supports re-run (bounds, counts, witness)"
        return _finish(res, B, used_W), what

    return _verify_with("rip_constant", result, derive)


@register_verifier("nsp_constant")
def _verify_nsp(result: CheckResult) -> CheckResult:
    """Re-derive a saved ``nsp_constant`` result by re-running its method on the stored matrix.

    Theorem: THEORY.md §2 (NSP(k) ⇔ α_k < 1/2).
    Rigor: the saved result's (never above it).
    """
    from theorycheck.rnsp._common import w_bool, w_choice, w_float, w_int, w_matrix

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
        if label == "enumerate":
            from theorycheck.rnsp.nsp import pattern_count

            total = pattern_count(N, k, VERIFY_MAX_PATTERNS)
            if total > VERIFY_MAX_PATTERNS:
                raise _Refused(f"re-running the enumeration of α_{k} needs {_big(total)} (support, sign) patterns "
                               f"(more than {VERIFY_MAX_PATTERNS:,}): too large to verify here")
            params: dict[str, Any] = {}
        elif label == "milp":
            params = {"time_limit": w_float(w, "time_limit", 0.0, math.inf, open_lo=True, finite=False)}
            if math.isinf(params["time_limit"]) and N > MAX_MILP_N:
                raise _Refused(f"re-running an MILP without time limit on N = {N} > {MAX_MILP_N} columns: "
                               "too large to verify here")
        else:
            params = {"ascent_iters": w_int(w, "ascent_iters", 0, 10_000)}
        res = _nsp_run(B, k, label, params, progress=False, callback=None, max_patterns=VERIFY_MAX_PATTERNS,
                       used_W=used_W)
        note = (" (a MILP stopped by its time limit is not reproducible)"
                if label == "milp" and not bool(res.values.get("optimal", True)) else "")
        return res, f"the {label} computation re-run on the stored matrix (bounds, values, witness){note}"

    return _verify_with("nsp_constant", result, derive)


@register_verifier("rnsp_gamma")
def _verify_gamma(result: CheckResult) -> CheckResult:
    """Re-derive a saved ``rnsp_gamma`` result from its witness (the exact ε-net enumeration is re-run).

    Theorem: THEORY.md §2 (rNSP; γ_Ω(ρ)).
    Rigor: the saved result's (never above it).
    """
    from theorycheck.rnsp._common import w_bool, w_choice, w_float, w_indices, w_int, w_matrix, w_vector
    from theorycheck.rnsp.gamma import kernel_violation_assemble, make_net

    def derive(w: Witness) -> tuple[CheckResult, str]:
        B = w_matrix(w)
        used_W = w_bool(w, "W_used")
        m, N = B.shape
        spec = _spec_from_witness(w, B)
        method = w_choice(w, "method", ("exact", "bounds"))
        if w.kind == "kernel_vector":
            v = w_vector(w, "v_solver", N)
            S = w_indices(w, "support", N, max_size=spec.s)
            basic = w_indices(w, "basic_columns", N, size=m)
            viol = kernel_violation_assemble(spec, v, S, basic)
            if viol is None or not viol["margin"] > 0:
                raise InvalidArgument("the stored vector does not prove a stable-NSP violation")
            res, what = _violation_result(spec, viol, method), "the kernel-vector violation re-proven"
        elif method == "bounds":
            best: dict[str, Any] = {"v": None}
            if "v" in w.data:
                best = {"v": w_vector(w, "v", N), "support": w_indices(w, "support", N, max_size=spec.s)}
            res = _gamma_bounds_assemble(spec, best, restarts=w_int(w, "restarts", 1, MAX_CONE_PROGRAMS // 2),
                                         seed=w_int(w, "seed", 0, MAX_SEED), ascent=w_int(w, "ascent", 0, 1000))
            what = "the lower bound from the witness vector, the upper bound from the stored matrix"
        else:
            tol = w_float(w, "tol", 0.0, math.inf, open_lo=True)
            ascent = w_int(w, "ascent", 0, 1000)
            _cone_size_guard(spec)
            net = make_net(spec.s, spec.cplx, tol)
            programs = spec.count() * net.size * (1 + ascent)
            if programs > VERIFY_MAX_CONE_PROGRAMS:
                raise _Refused(f"re-running the ε-net enumeration needs up to {_big(programs)} cone programs (more "
                               f"than {VERIFY_MAX_CONE_PROGRAMS:,}): too large to verify here")
            res = _gamma_exact(spec, net, tol, ascent, executor=None, progress=False, callback=None)
            what = f"the ε-net enumeration over {spec.count()} supports re-run (bounds, witness)"
        return _finish(res, B, used_W, **_spec_data(spec)), what

    return _verify_with("rnsp_gamma", result, derive)


@register_verifier("rnsp_violation")
def _verify_violation(result: CheckResult) -> CheckResult:
    """Re-derive a saved ``rnsp_violation`` result from its witness vector.

    Theorem: THEORY.md §2 (rNSP definition).
    Rigor: the saved result's (never above it).
    """
    from theorycheck.rnsp._common import w_bool, w_float, w_indices, w_int, w_matrix, w_vector

    def derive(w: Witness) -> tuple[CheckResult, str]:
        B = w_matrix(w)
        used_W = w_bool(w, "W_used")
        m, N = B.shape
        spec = _spec_from_witness(w, B)
        gamma = w_float(w, "gamma", 0.0, math.inf, open_lo=True)
        kernel = w_bool(w, "kernel")
        params = {"restarts": w_int(w, "restarts", 1, MAX_CONE_PROGRAMS),
                  "iters": w_int(w, "iters", 1, MAX_CONE_PROGRAMS), "seed": w_int(w, "seed", 0, MAX_SEED)}
        found: dict[str, Any] = {"kernel": kernel, "v": None, "support": None, "basic": None}
        if kernel or "v" in w.data:
            found.update(v=w_vector(w, "v_solver" if kernel else "v", N),
                         support=w_indices(w, "support", N, max_size=spec.s))
        if kernel:
            found["basic"] = w_indices(w, "basic_columns", N, size=m)
        res = _violation_search_assemble(spec, gamma, found, params)
        return _finish(res, B, used_W, **_spec_data(spec)), "every value from the witness vector (ball arithmetic)"

    return _verify_with("rnsp_violation", result, derive)


@register_verifier("kernel_awareness")
def _verify_kernel_awareness(result: CheckResult) -> CheckResult:
    """Re-derive a saved ``kernel_awareness`` result from the stored matrix, pair and constants.

    Theorem: seed Theorem 3 (kernel awareness).
    Rigor: the saved result's (never above it).
    """
    from theorycheck.rnsp._common import w_choice, w_float, w_int, w_matrix, w_vector

    def derive(w: Witness) -> tuple[CheckResult, str]:
        B = w_matrix(w)
        N = B.shape[1]
        res = check_kernel_awareness(
            B, w_vector(w, "x", N), w_vector(w, "z", N), rho=w_float(w, "rho", 0.0, 1.0, open_lo=True, open_hi=True),
            gamma=w_float(w, "gamma", 0.0, math.inf, open_lo=True), s=w_int(w, "s", 1, N),
            bound=w_choice(w, "bound", ("seed", "sharp")))
        return res, "every value re-evaluated in ball arithmetic"

    return _verify_with("kernel_awareness", result, derive)


@register_verifier("phase_transition")
def _verify_phase_transition(result: CheckResult) -> CheckResult:
    """Re-run a saved phase-transition sweep from its stored seed and grid (Monte Carlo, reproducible).

    Theorem: Donoho–Tanner (2009) / Amelunxen–Lotz–McCoy–Tropp (2014).
    Rigor: numerical (as the saved result).
    """
    from theorycheck.rnsp.phase import rerun_from_witness

    def derive(w: Witness) -> tuple[CheckResult, str]:
        return rerun_from_witness(w), "the sweep re-run from the stored seed (every probability and crossing)"

    return _verify_with("phase_transition", result, derive, needs_matrix=False)
