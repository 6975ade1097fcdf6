"""The smallest ``γ`` of the robust null space property for a given ``ρ``, and violations of a claimed pair.

:func:`rnsp_gamma` encloses ``γ(ρ) = max_Ω γ_Ω(ρ)`` (plain, weighted, in levels):
``"exact"`` enumerates every admissible support with the ε-net certificate of
:mod:`theorycheck.rnsp._cone` (proven upper bound) and an ascent (proven lower
bound); ``"bounds"`` searches for a large ratio (lower bound) and takes the upper
bound from a certified ``δ_2s`` (Foucart–Rauhut Thm 6.13, plain rNSP only).
:func:`search_rnsp_violation` looks for a vector that disproves a claimed
``(ρ, γ)``. Both results are re-derived from their witnesses by the verifiers at
the end of this module.

Theorem: docs/theory.md §2 (rNSP; smallest γ for a given ρ; rNSP in levels; Foucart–Rauhut Thm 6.13).
Rigor: proven lower and upper bounds (ball arithmetic / outward-rounded a-priori bounds);
certified-float64 when a sparsifier ``W`` is given; a search that finds nothing is numerical.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.exact import ball_lower
from theorycheck.numerics.parallel import resolve_executor
from theorycheck.numerics.precision import precision
from theorycheck.numerics.validation import bool_arg, refuse_size
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, register_verifier
from theorycheck.rnsp._common import (
    MAX_SEED,
    WITNESS_BITS,
    callback_arg,
    count_arg,
    method_arg,
    positive_arg,
    refuse_message,
    seed_value,
    w_bool,
    w_choice,
    w_float,
    w_indices,
    w_int,
    w_matrix,
    w_vector,
)
from theorycheck.rnsp._cone import Net, estimate_seconds, gamma_enumerate, make_net, search
from theorycheck.rnsp._results import (
    VERIFY_MAX_CONE_PROGRAMS,
    ConstantResult,
    Refused,
    big,
    consistent,
    count_value,
    finish,
    make_result,
    verify_with,
)
from theorycheck.rnsp._spec import (
    MAX_CONE_PROGRAMS,
    Spec,
    certify_lower,
    cone_size_guard,
    kernel_violation_assemble,
    ratio_ball,
    spec_data,
    spec_from_witness,
    spec_of,
)
from theorycheck.rnsp.recovery import RIP_THRESHOLD, rnsp_from_rip
from theorycheck.rnsp.rip import MAX_GRAM_N, frobenius_upper, gershgorin_upper, gram_and_error, gram_scale_guard

__all__ = ["rnsp_gamma", "search_rnsp_violation"]


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
        Runs batches of supports (None: serial; ``"processes"``: a local process
        pool; or any object with ``submit``, e.g. a Dask client; the result does
        not depend on it), tqdm bar, ``callback({"gamma_lower", "support", "v"})``.
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

    Theorem: docs/theory.md §2 (rNSP; γ_Ω(ρ) by conic duality; rNSP in levels).
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
    method_arg(method, ("auto", "exact", "bounds"))
    progress = bool_arg(progress, "progress")
    callback = callback_arg(callback)
    seed = seed_value(seed)
    ascent = count_arg(ascent, "ascent", 0, 1000)
    restarts = count_arg(restarts, "restarts", 1, MAX_CONE_PROGRAMS // 2)
    max_seconds = positive_arg(max_seconds, "max_seconds")
    tol = positive_arg(tol, "tol")
    with resolve_executor(executor) as ex:
        spec, used_W, B = spec_of(A, s, rho, W, weights, levels)
        cone_size_guard(spec)
        net = _choose_net(spec, method, tol, ascent, max_seconds)
        if net is not None:
            res = _gamma_exact(spec, net, tol, ascent, executor=ex, progress=progress, callback=callback)
        else:
            res = _gamma_bounds(spec, restarts=restarts, seed=seed, ascent=ascent, progress=progress,
                                callback=callback)
    return finish(res, B, used_W, **spec_data(spec))


def _choose_net(spec: Spec, method: str, tol: float, ascent: int, max_seconds: float) -> Net | None:
    """The ε-net of ``"exact"`` (``"auto"``: when estimated under ``min(max_seconds, 120)`` s), None for bounds."""
    if method == "bounds":
        return None
    net = make_net(spec.s, spec.cplx, tol) if method == "exact" else _try_net(spec, tol)
    est, per_support = estimate_seconds(spec, net, ascent) if net is not None else (math.inf, math.inf)
    limit = max_seconds if method == "exact" else min(max_seconds, 120.0)
    if est <= limit:
        return net
    if method == "exact" and net is not None:
        raise InvalidArgument(refuse_message(
            "γ", spec.count(), 1.0 / max(per_support, 1e-12), max_seconds,
            f"each support needs {net.size} cone programs; use method='bounds' (ascent lower bound, "
            "RIP-based upper bound), search_rnsp_violation, or raise tol / max_seconds"))
    return None


def _try_net(spec: Spec, tol: float) -> Net | None:
    try:
        return make_net(spec.s, spec.cplx, tol)
    except InvalidArgument:
        return None


def _violation_result(spec: Spec, viol: dict[str, Any], method: str) -> ConstantResult:
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
                       theorem="docs/theory.md §2 (rNSP ⇒ stable NSP: ‖v_Ω‖₂ ≤ ρ‖v_Ω^c‖₁/√s on ker A)")


def _gamma_assemble(spec: Spec, best: dict[str, Any], upper: float, method: str, params: dict[str, Any],
                    extra: dict[str, Any], failures: list | None = None) -> ConstantResult:
    """The γ interval from the best witness vector and a proven upper bound (original units)."""
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
                       theorem="docs/theory.md §2: γ_Ω(ρ) = max_{‖u‖≤1} min{‖w‖ : A_Ω^*w = u, |(A^*w)_j| ≤ τ_j}")


def _gamma_exact(spec: Spec, net: Net, tol: float, ascent: int, *, executor: Any, progress: bool,
                 callback: Callable | None) -> ConstantResult:
    out = gamma_enumerate(spec, net, ascent=ascent, executor=executor, progress=progress, callback=callback)
    if out["violation"] is not None:
        return _violation_result(spec, out["violation"], "exact")
    failures = out["failures"]
    upper = spec.to_original(out["upper"], True) if not failures else math.inf
    return _gamma_assemble(spec, out["best"], upper, "exact", {"tol": tol, "ascent": ascent},
                           {"net": net.kind, "net_points": net.size, "supports": count_value(spec.count())},
                           failures)


def _rip_route(spec: Spec) -> tuple[float, str]:
    """Upper bound of γ from a certified ``δ_2s`` (Foucart–Rauhut Thm 6.13), plain rNSP only."""
    if not (spec.levels is None and np.all(spec.omega == 1.0) and 2 * spec.s <= spec.N <= MAX_GRAM_N):
        return math.inf, "upper bound: none (weights or levels, or δ_2s too large for the RIP route)"
    A = spec.original()
    try:
        gram_scale_guard(A)
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


def _gamma_bounds(spec: Spec, *, restarts: int, seed: int, ascent: int, progress: bool,
                  callback: Callable | None) -> ConstantResult:
    refuse_size(float(restarts) * max(ascent, 2), MAX_CONE_PROGRAMS, "the γ search (restarts × ascent steps)",
                "lower restarts or ascent")
    out = search(spec, restarts=restarts, iters=max(ascent, 2), rng=np.random.default_rng(seed), gamma=None,
                 progress=progress, callback=callback)
    if out["violation"] is not None:
        return _violation_result(spec, out["violation"], "bounds")
    return _gamma_bounds_assemble(spec, out["best"], restarts=restarts, seed=seed, ascent=ascent)


def _gamma_bounds_assemble(spec: Spec, best: dict[str, Any], *, restarts: int, seed: int, ascent: int
                           ) -> ConstantResult:
    upper, note = _rip_route(spec)
    return _gamma_assemble(spec, best, upper, "bounds", {"restarts": restarts, "seed": seed, "ascent": ascent},
                           {"upper_note": note})


# --------------------------------------------------------------------------------------
# violations of a claimed (ρ, γ)
# --------------------------------------------------------------------------------------

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

    Theorem: docs/theory.md §2 (rNSP definition).
    Rigor: proven when a violation is found; numerical otherwise.
    """
    progress = bool_arg(progress, "progress")
    callback = callback_arg(callback)
    seed = seed_value(seed)
    restarts = count_arg(restarts, "restarts", 1, MAX_CONE_PROGRAMS)
    iters = count_arg(iters, "iters", 1, MAX_CONE_PROGRAMS)
    refuse_size(float(restarts) * iters, MAX_CONE_PROGRAMS, "the rNSP violation search (restarts × iters)",
                "lower restarts or iters")
    spec, used_W, B = spec_of(A, s, rho, W, weights, levels)
    gamma = positive_arg(gamma, "gamma")
    cone_size_guard(spec)
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
    return finish(_violation_search_assemble(spec, gamma, found, params), B, used_W, **spec_data(spec))


_VIOLATION_THEOREM = "docs/theory.md §2: ‖v_Ω‖₂ ≤ ρ‖v_Ω^c‖₁/√s + γ‖Av‖₂"


@precision(prec=WITNESS_BITS)
def _violation_search_assemble(spec: Spec, gamma: float, found: dict[str, Any], params: dict[str, Any]
                               ) -> CheckResult:
    """The ``rnsp_violation`` result from its witness (deterministic; re-run by ``theorycheck verify``)."""
    base = {"rho": spec.rho, "s": spec.s, "gamma": gamma, **params}
    wd: dict[str, Any] = {"gamma": gamma, "kernel": bool(found["kernel"]), **params}
    if found["kernel"]:
        return _kernel_violation_result(spec, found, base, wd)
    v = found["v"]
    ratio = -math.inf
    if v is not None:
        S = spec.admissible_support(found["support"])
        wd.update(v=np.asarray(v), support=S)
        rb = ratio_ball(spec, np.asarray(v), S)
        ratio = float(rb.mid()) if rb.is_finite() else math.inf
        margin = ratio_ball(spec, np.asarray(v), S, gamma)
        if margin > 0:
            lo = ball_lower(margin)
            return CheckResult(
                check="rnsp_violation", outcome=Outcome.VIOLATED, rigor=Rigor.PROVEN,
                message=(f"‖v_Ω‖₂ − ρ‖v_Ω^c‖₁/√ξ − γ‖Av‖₂ ≥ {lo:.6g} > 0 on Ω = {S.tolist()}: "
                         f"(ρ, γ) = ({spec.rho}, {gamma}) is not a valid rNSP pair"),
                values={**base, "margin": lo, "ratio": ratio, "kernel": False},
                witness=Witness("rnsp_violation", wd), theorem=_VIOLATION_THEOREM)
    return CheckResult(
        check="rnsp_violation", outcome=Outcome.INCONCLUSIVE, rigor=Rigor.NUMERICAL,
        message=(f"no violation found in {params['restarts']} restarts (largest ratio R_Ω(v) = {ratio:.6g} ≤ "
                 f"γ = {gamma}); this is not a proof of the rNSP"),
        values={**base, "ratio": ratio, "kernel": False}, witness=Witness("rnsp_violation", wd),
        theorem=_VIOLATION_THEOREM)


def _kernel_violation_result(spec: Spec, found: dict[str, Any], base: dict[str, Any], wd: dict[str, Any]
                             ) -> CheckResult:
    """A proven failure of the stable NSP (an exact kernel vector), or :class:`InvalidArgument`."""
    viol = kernel_violation_assemble(spec, np.asarray(found["v"]), np.asarray(found["support"]), found["basic"])
    if viol is None or not viol["margin"] > 0:
        raise InvalidArgument("the stored kernel-vector violation is not re-proven (margin ≤ 0 or no exact "
                              "kernel vector)")
    wd.update(v=viol["v"], v_solver=viol["v_solver"], support=viol["support"], basic_columns=viol["basic_columns"])
    return CheckResult(
        check="rnsp_violation", outcome=Outcome.VIOLATED, rigor=Rigor.PROVEN,
        message=(f"kernel vector with ‖v_Ω‖₂ − Σ τ_j|v_j| ≥ {viol['margin']:.6g} > 0: the rNSP with "
                 f"ρ = {spec.rho} fails for every γ"),
        values={**base, "margin": viol["margin"], "kernel": True},
        witness=Witness("rnsp_violation", wd), theorem=_VIOLATION_THEOREM)


# --------------------------------------------------------------------------------------
# verifiers
# --------------------------------------------------------------------------------------

@register_verifier("rnsp_gamma")
def _verify_gamma(result: CheckResult) -> CheckResult:
    """Re-derive a saved ``rnsp_gamma`` result from its witness (the exact ε-net enumeration is re-run).

    Theorem: docs/theory.md §2 (rNSP; γ_Ω(ρ)).
    Rigor: the saved result's (never above it).
    """

    def derive(w: Witness) -> tuple[CheckResult, str]:
        B = w_matrix(w)
        used_W = w_bool(w, "W_used")
        spec = spec_from_witness(w, B)
        method = w_choice(w, "method", ("exact", "bounds"))
        if w.kind == "kernel_vector":
            res, what = _rederive_kernel_vector(w, spec, method), "the kernel-vector violation re-proven"
        elif method == "bounds":
            res = _rederive_bounds(w, spec)
            what = "the lower bound from the witness vector, the upper bound from the stored matrix"
        else:
            res = _rederive_exact(w, spec)
            what = f"the ε-net enumeration over {spec.count()} supports re-run (bounds, witness)"
        return finish(res, B, used_W, **spec_data(spec)), what

    return verify_with("rnsp_gamma", result, derive)


def _rederive_kernel_vector(w: Witness, spec: Spec, method: str) -> ConstantResult:
    m, N = spec.B.shape
    v = w_vector(w, "v_solver", N)
    S = w_indices(w, "support", N, max_size=spec.s)
    basic = w_indices(w, "basic_columns", N, size=m)
    viol = kernel_violation_assemble(spec, v, S, basic)
    if viol is None or not viol["margin"] > 0:
        raise InvalidArgument("the stored vector does not prove a stable-NSP violation")
    return _violation_result(spec, viol, method)


def _rederive_bounds(w: Witness, spec: Spec) -> ConstantResult:
    N = spec.N
    best: dict[str, Any] = {"v": None}
    if "v" in w.data:
        best = {"v": w_vector(w, "v", N), "support": w_indices(w, "support", N, max_size=spec.s)}
    return _gamma_bounds_assemble(spec, best, restarts=w_int(w, "restarts", 1, MAX_CONE_PROGRAMS // 2),
                                  seed=w_int(w, "seed", 0, MAX_SEED), ascent=w_int(w, "ascent", 0, 1000))


def _rederive_exact(w: Witness, spec: Spec) -> ConstantResult:
    tol = w_float(w, "tol", 0.0, math.inf, open_lo=True)
    ascent = w_int(w, "ascent", 0, 1000)
    cone_size_guard(spec)
    net = make_net(spec.s, spec.cplx, tol)
    programs = spec.count() * net.size * (1 + ascent)
    if programs > VERIFY_MAX_CONE_PROGRAMS:
        raise Refused(f"re-running the ε-net enumeration needs up to {big(programs)} cone programs (more "
                      f"than {VERIFY_MAX_CONE_PROGRAMS:,}): too large to verify here")
    return _gamma_exact(spec, net, tol, ascent, executor=None, progress=False, callback=None)


@register_verifier("rnsp_violation")
def _verify_violation(result: CheckResult) -> CheckResult:
    """Re-derive a saved ``rnsp_violation`` result from its witness vector.

    Theorem: docs/theory.md §2 (rNSP definition).
    Rigor: the saved result's (never above it).
    """

    def derive(w: Witness) -> tuple[CheckResult, str]:
        B = w_matrix(w)
        used_W = w_bool(w, "W_used")
        m, N = B.shape
        spec = spec_from_witness(w, B)
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
        return finish(res, B, used_W, **spec_data(spec)), "every value from the witness vector (ball arithmetic)"

    return verify_with("rnsp_violation", result, derive)
