"""The restarted primal–dual scheme for weighted SR-LASSO (docs/theory.md §6.4, the algorithm FIRENET unrolls).

Each restart runs ``p`` Chambolle–Pock steps (the engine of
:mod:`theorycheck.solvers._pdhg`) on the rescaled data ``αy`` from ``αψ`` and
averages them; under the rNSP the error decays like ``e^{-k}`` in the number
of restarts ``k``. The scheme records per restart the relative step
``‖ψ_k − ψ_{k−1}‖/‖ψ_k‖`` (its dual restarts from 0, so its duality gap can
stall while ``ψ`` converges).

Theorem: docs/theory.md §6.4 (exponential convergence under the rNSP in levels).
Rigor: numerical (always ``Rigor.NUMERICAL``: a first-order method proves nothing).
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Any, Callable

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import lazy_torch, to_numpy
from theorycheck.numerics.parallel import progress_bar
from theorycheck.numerics.validation import bool_arg, integer_arg, real_arg
from theorycheck.problems.programs import Program, program_kind
from theorycheck.results import Rigor
from theorycheck.solvers._arrays import is_synthesis
from theorycheck.solvers._pdhg import (
    DIVISION_FLOOR,
    Engine,
    backend_arg,
    batched_norm,
    build_spec,
    default_step_sizes,
    finish,
    prepare,
    program_gap,
)
from theorycheck.solvers.solution import Solution

__all__ = ["restarted_primal_dual", "default_inner_iterations"]


def default_inner_iterations(L_A: float, lam: float, weights: np.ndarray) -> int:
    """Default inner iterations ``p = ⌈2√2·L_A/(λ·min w)⌉`` (at least 10) of the restarted scheme.

    A CP run of ``p`` steps reduces the SR-LASSO objective error like
    ``L_A²‖ψ − x*‖²/(εp²) + ε/4``; under the rNSP the sharpness constant of
    SR-LASSO grows like ``1/(λ min w)``, so ``p ∝ L_A/(λ min w)`` keeps the
    per-restart contraction below ``e^{-1}``. The constant ``2√2`` is empirical:
    on Gaussian 40 × 100 instances with 4-sparse data and ``λ ∈ [0.05, 0.3]`` the
    error still tracked ``ε`` with about half this ``p`` (a safety factor ≈ 2);
    too small a ``p`` makes the error lag behind ``ε`` and stall.

    Theorem: docs/theory.md §6.4 (restarted primal–dual for SR-LASSO).
    Rigor: numerical (a heuristic default, not a proven bound).
    """
    wmin = float(np.min(weights)) if np.size(weights) else 1.0
    return max(10, int(math.ceil(2.0 * math.sqrt(2.0) * L_A / (lam * wmin))))


def restarted_primal_dual(problem: Program, y: Any, *, restarts: int = 20, inner: int | None = None,
                          eps0: float | None = None, delta: float = 0.0, L_A: float | None = None,
                          tau: float | None = None, sigma: float | None = None, tol: float = 1e-8,
                          backend: str | None = None, device: Any = None, dtype: Any = None,
                          differentiable: bool = False,
                          callback: Callable[[int, Any, float], Any] | None = None,
                          progress: bool = False, certify: bool = True, warm_dual: bool = False) -> Solution:
    """Restarted primal–dual iteration for weighted SR-LASSO (docs/theory.md §6.4, FIRENET).

    ``ψ ← 0``, ``ε ← ε₀``; each restart: ``ε ← e^{-1}(δ + ε)``, ``β = ε/(2L_A)``,
    ``α = 1/(βp)``; ``p`` Chambolle–Pock steps on data ``b = αy`` from
    ``x₀ = αψ``, ``ξ₀ = 0`` (the last restart's ``ξ`` with ``warm_dual``):
    ``x_{j+1} = soft_{τλw}(x_j − τB^*ξ_j)``,
    ``ξ_{j+1} = proj_{‖·‖≤1}(ξ_j + σB(2x_{j+1} − x_j) − σb)``, ``B = AW^*``;
    ``ψ ← mean(x₁..x_p)/α``. Under the rNSP the error decays like ``e^{-k}``
    in the number of restarts ``k`` (down to the level set by ``δ``).
    ``status="optimal"`` means only that the relative step reached ``tol``; it is
    not a certificate (``certify_solution`` decides optimality).

    Parameters
    ----------
    problem : SRLasso
        Weighted SR-LASSO with no ``W`` or a unitary ``W`` (else :class:`InvalidArgument`).
    y : array_like or torch.Tensor
        Data (torch: leading batch axes allowed; ``ε₀`` is then per sample).
    restarts : int
        Maximal number of restarts ``n``.
    inner : int, optional
        Inner CP steps ``p``; default :func:`default_inner_iterations`.
    eps0 : float, optional
        Initial accuracy ``ε₀`` (default ``‖y‖``, or 1 for ``y = 0``).
    delta : float
        ``δ ≥ 0`` (``0``: pure exponential decay).
    L_A : float, optional
        Upper bound on ``‖B‖ = ‖A‖`` (default: computed).
    tau, sigma : float, optional
        Steps with ``τσL_A² < 1`` (default ``τ = σ = 0.99/L_A``).
    tol : float
        Stop after the restart whose relative step ``‖ψ_k − ψ_{k−1}‖/‖ψ_k‖`` is
        ``≤ tol`` (``0``: run all restarts). Under linear convergence this
        fixed-point residual decays like the error; it is not a certificate (the
        duality gap is, see below).
    backend, device, dtype, differentiable, callback, progress, certify
        As in :func:`chambolle_pock`; ``callback(restart, ψ, measure)`` after each restart.
    warm_dual : bool
        Start each restart's dual ``ξ`` from the previous restart's last ``ξ``
        instead of 0 (as ``FIRENET(warm_dual=True)``): SR-LASSO is positively
        homogeneous, so the rescaled problem of the next restart has the same dual
        solutions (docs/theory.md §6.7); the same schedule, and measured fewer
        iterations to a given accuracy on noiseless sparse instances (a
        measurement, not a theorem; ``info["restart_gaps"]`` still need not decay).

    Returns
    -------
    Solution
        ``x = ψ``; ``status`` ``"optimal"`` when the relative step reached ``tol``,
        else ``"max_iterations"``; ``iterations`` the total CP steps;
        ``info["history"]`` the (total CP iterations, relative step) pairs, one
        per restart; ``info["restart_gaps"]`` the relative duality gaps per
        restart (the last inner dual iterate rescaled into the dual feasible set,
        or the program's dual point, whichever is better: a restart's dual starts
        from 0 (or, with ``warm_dual``, from the last one, rescaled with the data),
        so this gap can stall, or grow again, even while ``ψ`` converges);
        ``info["eps"]`` the ``ε`` sequence; ``inner``, ``restarts`` (performed),
        ``L_A``, ``tau``, ``sigma``; ``residual``/``gap`` as in :func:`chambolle_pock`.

    Theorem: docs/theory.md §6.4 (exponential convergence under the rNSP in levels).
    Rigor: numerical (always ``Rigor.NUMERICAL``).

    Examples
    --------
    >>> from theorycheck.problems.programs import SRLasso
    >>> sol = restarted_primal_dual(SRLasso([[1.0, 0.0], [0.0, 1.0]], lam=0.5), [2.0, 0.0])
    >>> np.round(sol.x, 6).tolist()
    [2.0, 0.0]
    """
    t0 = time.perf_counter()
    if program_kind(problem) != "srlasso":
        raise InvalidArgument(
            f"restarted_primal_dual solves weighted SR-LASSO only, got {type(problem).__name__}: "
            "use chambolle_pock for QCBP and U-LASSO"
        )
    if not is_synthesis(problem):
        raise InvalidArgument(
            "restarted_primal_dual needs no W or a unitary W (synthesis form); for a non-unitary W "
            "(e.g. total variation) use chambolle_pock"
        )
    spec = build_spec(problem, "anisotropic")
    restarts = integer_arg(restarts, "restarts")
    warm_dual = bool_arg(warm_dual, "warm_dual")
    tol = real_arg(tol, "tol", allow_zero=True)
    delta = real_arg(delta, "delta", allow_zero=True)
    L_A = spec.norm_K if L_A is None else _positive(L_A, "L_A", "an upper bound on ‖A‖")
    p = default_inner_iterations(L_A, spec.lam, np.asarray(problem.weights)) if inner is None \
        else integer_arg(inner, "inner")
    tau, sigma = default_step_sizes(tau, sigma, L_A)
    backend = backend_arg(backend, y)
    ops, yv, psi, batch = prepare(problem, y, None, backend, device, dtype, differentiable, spec)
    eng = Engine(spec, ops)
    if eps0 is None:
        ny = batched_norm(ops, yv, eng.ky)
        eps = ops.where(ny > 0, ny, 1.0) if ops.is_torch else np.where(ny > 0, ny, 1.0)
    else:
        eps = _positive(eps0, "eps0", "the initial accuracy")
    torch = lazy_torch() if ops.is_torch else None
    ctx = torch.no_grad() if (torch is not None and not differentiable) else contextlib.nullcontext()
    run = _Run(eng, yv, L_A, p, tau, sigma, delta, tol, not differentiable, warm_dual)
    bar = progress_bar(restarts, progress, "restarted_primal_dual")
    try:
        with ctx:
            psi, xi_last = run.loop(psi, eps, restarts, callback, bar)
            z = eng.signal(psi)
    finally:
        bar.close()
    info: dict[str, Any] = {
        "history": run.history, "restart_gaps": run.gaps, "eps": run.eps_seq,
        "inner": p, "restarts": run.k_done, "L_A": L_A, "tau": tau, "sigma": sigma, "delta": delta,
        "warm_dual": warm_dual,
        "measure": "relative_step", "backend": backend, "final_measure": run.meas,
    }
    if ops.is_torch:
        info["x_torch"] = z
        info["device"] = str(ops.device)
    xi0 = xi_last["xi"][0]
    info["dual"] = to_numpy(xi0) if ops.is_torch else np.array(xi0)
    zn, obj, res, gap = finish(eng, ops, z, yv, xi0, batch, tol, certify, info)
    return Solution(x=zn, status=run.status, rigor=Rigor.NUMERICAL, objective=obj, residual=res,
                    gap=gap, solver=f"restarted_primal_dual-{backend}",
                    elapsed_s=time.perf_counter() - t0, iterations=run.total, info=info)


def _positive(value: Any, name: str, what: str) -> float:
    v = real_arg(value, name, allow_zero=True)
    if v == 0:
        raise InvalidArgument(f"{name} must be positive ({what})")
    return v


class _Run:
    """The restart loop and what it records (history, gaps per restart, ``ε`` sequence, status)."""

    def __init__(self, eng: Engine, yv: Any, L_A: float, p: int, tau: float, sigma: float, delta: float,
                 tol: float, check: bool, warm_dual: bool = False):
        self.eng, self.yv, self.L_A, self.p, self.warm_dual = eng, yv, L_A, p, warm_dual
        self.carried: dict | None = None  # the last restart's dual (warm_dual)
        self.tau, self.sigma, self.delta, self.tol, self.check = tau, sigma, delta, tol, check
        self.history: list[tuple[int, float]] = []
        self.gaps: list[float] = []
        self.eps_seq: list[Any] = []
        self.status, self.total, self.meas, self.k_done = "max_iterations", 0, math.nan, 0

    def restart(self, psi: Any, eps: Any) -> tuple[Any, dict]:
        """One restart: ``p`` CP steps on ``b = αy`` from ``αψ``, ``ξ = 0`` (the last ``ξ`` with
        ``warm_dual``); the new ``ψ`` and last state."""
        ops, eng, p = self.eng.ops, self.eng, self.p
        alpha = 2.0 * self.L_A / (eps * p)  # α = 1/(βp), β = ε/(2L_A)
        a_y = ops.expand(alpha, eng.ky) if not isinstance(alpha, float) else alpha
        a_x = ops.expand(alpha, eng.kx) if not isinstance(alpha, float) else alpha
        b = a_y * self.yv
        st = eng.init(a_x * psi)
        if self.carried is not None:  # the dual is invariant under the rescaling by α: keep it
            st = {**st, "xi": self.carried["xi"], "Ktxi": self.carried["Ktxi"]}
        acc: Any = None
        for _ in range(p):
            st = eng.step(st, self.tau, self.sigma, b)
            acc = st["x"] if acc is None else acc + st["x"]
        self.total += p
        if self.warm_dual:
            self.carried = st
        return acc / (p * a_x), st

    def relative_step(self, psi: Any, psi_old: Any) -> float:
        """``‖ψ_k − ψ_{k−1}‖/‖ψ_k‖`` (worst over the batch)."""
        ops, kx = self.eng.ops, self.eng.kx
        step = batched_norm(ops, psi - psi_old, kx) / ops.maximum(batched_norm(ops, psi, kx), DIVISION_FLOOR)
        return ops.to_float(step)

    def record(self, psi: Any, psi_old: Any, st: dict) -> None:
        """The fixed-point residual and the relative duality gap of this restart."""
        eng, ops = self.eng, self.eng.ops
        # ‖ψ_k − ψ_{k−1}‖/‖ψ_k‖ decays like the error under linear convergence (the
        # per-restart dual restarts from 0, so the gap stalls)
        self.meas = self.relative_step(psi, psi_old)
        self.history.append((self.total, self.meas))
        # the dual feasible set is scale-invariant: ξ of the scaled problem is a dual point
        g = ops.to_float(eng.rel_gap(psi, eng.K(psi)[0], st["xi"][0], st["Ktxi"], self.yv))
        if not ops.is_torch and g > self.tol:
            g = min(g, program_gap(eng, {"x": psi}, self.yv))
        self.gaps.append(g)

    def loop(self, psi: Any, eps: Any, restarts: int, callback: Callable[[int, Any, float], Any] | None,
             bar: Any) -> tuple[Any, dict]:
        """Run up to ``restarts`` restarts; return the last ``ψ`` and the last inner state."""
        check = self.check
        psi_old, xi_last = psi, None
        for k in range(1, restarts + 1):
            eps = (self.delta + eps) / math.e
            self.eps_seq.append(float(np.max(to_numpy(eps))) if check else eps)
            psi_old = psi
            psi, xi_last = self.restart(psi, eps)
            self.k_done = k
            if check:
                self.record(psi, psi_old, xi_last)
            if callback is not None:
                callback(k, self.eng.signal(psi), self.meas if check else math.nan)
            bar.update(1)
            if check and self.meas <= self.tol:
                self.status = "optimal"
                break
        if not check:  # one measure after the loop (no .item() inside it)
            self.meas = self.relative_step(psi, psi_old)
            self.history.append((self.total, self.meas))
            self.eps_seq = [float(np.max(to_numpy(e))) if not isinstance(e, float) else e for e in self.eps_seq]
            if self.meas <= self.tol:
                self.status = "optimal"
        assert xi_last is not None  # restarts ≥ 1
        return psi, xi_last
