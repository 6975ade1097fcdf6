"""First-order solver: Chambolle–Pock (PDHG) for QCBP, U-LASSO and SR-LASSO.

:func:`chambolle_pock` solves QCBP, U-LASSO and SR-LASSO (docs/theory.md §1) with
the primal–dual hybrid gradient method of Chambolle and Pock, on numpy or
torch (batched, complex, on any device, differentiable through autograd).
:func:`restarted_primal_dual` (defined in :mod:`theorycheck.solvers.restarted`,
re-exported here) is the restarted scheme of docs/theory.md §6.4 for weighted
SR-LASSO, which converges exponentially in the number of restarts under the
rNSP (the algorithm FIRENET unrolls). The engine both share lives in
:mod:`theorycheck.solvers._pdhg`.

Both iterate on the saddle problem ``min_x max_ξ Re⟨Kx, ξ⟩ + g(x) − f^*(ξ)``:

- synthesis form (no ``W`` or a unitary ``W``): ``x = c = Wz``, ``K = B = AW^*``,
  ``g = λ‖·‖_{1,w}`` (prox: complex soft-thresholding), ``f`` the data term;
- analysis form (non-unitary ``W``, e.g.
  :class:`~theorycheck.problems.tv.FiniteDifference`): ``x = z``, ``g = 0``,
  ``K = [A; W]`` and ``f(v₁, v₂) = data(v₁) + λ‖v₂‖_{1,w}`` (or the isotropic
  ``λΣ_p w_p‖(v₂)_p‖`` with ``tv="isotropic"``), both dualised.

Data terms and the prox of ``σf^*`` (closed form): U-LASSO ``f(v) = ‖v − y‖²``:
``(u − σy)/(1 + σ/2)``; SR-LASSO ``f(v) = ‖v − y‖``: projection of ``u − σy``
onto the unit ball; QCBP ``f = ι_{‖v − y‖ ≤ η}``: by Moreau
``u − σ proj_{B(y,η)}(u/σ) = (u − σy)(1 − ση/‖u − σy‖)_+``. Penalty (analysis):
projection onto ``{|q_i| ≤ λw_i}`` (per pixel disc for isotropic TV).

Stopping measures, evaluated every ``record_every`` iterations:

- synthesis form: the relative duality gap ``(F(x) − D(u))/F(x)`` where
  ``D(u)`` is the best of the program's :meth:`duality_gap` dual point
  (numpy backend) and the primal–dual iterate ``u = −ξ`` rescaled into the
  dual feasible set (:func:`~theorycheck.solvers.reference.ray_dual_value`);
  for QCBP the maximum of that and the relative constraint violation
  ``max(0, ‖Bx − y‖ − η)/η`` (``/‖y‖`` when ``η = 0``);
- analysis form: the relative primal–dual (KKT) residuals
  ``max(‖P‖/(‖K‖‖ξ‖), ‖D‖/(‖K‖‖x‖ + ‖y‖))`` with
  ``P = (x_k − x_{k+1})/τ − K^*(ξ_k − ξ_{k+1}) ∈ ∂g(x_{k+1}) + K^*ξ_{k+1}`` and
  ``D = (ξ_k − ξ_{k+1})/σ + K(x_{k+1} − x_k) ∈ ∂f^*(ξ_{k+1}) − Kx_{k+1}``.

Batched torch input reports the worst measure over the batch. The restarted
scheme records per restart the relative step ``‖ψ_k − ψ_{k−1}‖/‖ψ_k‖`` (its
dual restarts from 0, so its duality gap can stall while ``ψ`` converges).

Theorem: Chambolle–Pock convergence (``τσ‖K‖² < 1``); docs/theory.md §6.4 (restarts).
Rigor: numerical (always ``Rigor.NUMERICAL``: a first-order method proves nothing).
"""


from __future__ import annotations

import contextlib
import math
import time
from typing import Any, Callable

import numpy as np

from theorycheck.numerics.backend import lazy_torch, to_numpy
from theorycheck.numerics.parallel import progress_bar
from theorycheck.numerics.validation import integer_arg, real_arg
from theorycheck.problems.programs import Program
from theorycheck.results import Rigor
from theorycheck.solvers._pdhg import (
    Engine,
    backend_arg,
    build_spec,
    default_step_sizes,
    finish,
    operator_norm_bound,
    prepare,
    program_gap,
)
from theorycheck.solvers.restarted import default_inner_iterations, restarted_primal_dual
from theorycheck.solvers.solution import Solution

__all__ = ["chambolle_pock", "restarted_primal_dual", "default_inner_iterations", "operator_norm_bound",
           "default_step_sizes"]


def chambolle_pock(problem: Program, y: Any, *, max_iter: int = 5000, tol: float = 1e-8,
                   tau: float | None = None, sigma: float | None = None, x0: Any = None,
                   backend: str | None = None, device: Any = None, dtype: Any = None,
                   differentiable: bool = False,
                   callback: Callable[[int, Any, float], Any] | None = None,
                   record_every: int = 10, progress: bool = False, tv: str = "anisotropic",
                   certify: bool = True) -> Solution:
    """Solve QCBP, U-LASSO or SR-LASSO with the Chambolle–Pock primal–dual method.

    Iterates ``x⁺ = prox_{τg}(x − τK^*ξ)``, ``ξ⁺ = prox_{σf^*}(ξ + σK(2x⁺ − x))``
    from ``x = x0`` (default 0), ``ξ = 0`` — in ``c = Wz`` for no/unitary ``W``
    (soft-thresholding), on ``z`` with ``K = [A; W]`` otherwise (see the module
    docstring for the proxes and the stopping measures). Stops when the measure,
    evaluated every ``record_every`` iterations, is ``≤ tol``.

    Parameters
    ----------
    problem : QCBP, Lasso or SRLasso
    y : array_like or torch.Tensor
        Data of shape ``A.out_shape``; with ``backend="torch"`` a leading batch
        shape is allowed (the answer gets the same batch shape).
    max_iter : int
        Iteration limit.
    tol : float
        Tolerance on the relative stopping measure (``0``: run ``max_iter`` steps).
    tau, sigma : float, optional
        Step sizes with ``τσ‖K‖² < 1``; default ``τ = σ = 0.99/‖K‖`` with ``‖K‖``
        from the operators' norms (``‖K‖² ≤ ‖A‖² + ‖W‖²`` in the analysis form; an
        SVD up to ``N = 2048``, else the power method plus 1%).
    x0 : array_like, optional
        Initial signal ``z`` (shape ``A.in_shape``, or batched for torch).
    backend : {"numpy", "torch"} or None
        ``None`` picks torch for tensor ``y``.
    device, dtype
        torch only: device (default CUDA when available, else CPU) and real
        precision (``torch.float64`` default, or ``torch.float32``); complex
        problems use the matching complex dtype.
    differentiable : bool
        torch only: keep the autograd graph (gradients w.r.t. ``y``, ``x0`` and
        anything upstream flow through ``info["x_torch"]``); no stopping checks
        in the loop, so exactly ``max_iter`` iterations run.
    callback : callable, optional
        ``callback(iteration, z, measure)`` every ``record_every`` iterations
        (``z`` a numpy array or tensor; ``measure`` nan when differentiable).
    record_every : int
        Iterations between measures (history, callback, stopping check).
    progress : bool
        Show a tqdm bar.
    tv : {"anisotropic", "isotropic"}
        TV norm when ``W`` is a ``FiniteDifference``.
    certify : bool
        Evaluate the program's certificates on the answer (numpy, per batch
        element); ``False`` skips them (``nan``), e.g. inside training loops.

    Returns
    -------
    Solution
        ``x`` the signal (numpy, detached; batched for batched ``y``);
        ``status`` ``"optimal"`` when the measure reached ``tol``, else
        ``"max_iterations"``; ``objective``; ``residual`` and ``gap`` (synthesis
        form: ``problem.optimality_residual`` — QCBP with
        ``active_tol = max(1e-9, tol)`` — and the smaller of
        ``problem.duality_gap`` and the gap of the rescaled dual iterate;
        ``nan`` in the analysis form); batched: worst residual/gap, per-sample
        lists in ``info["objectives"|"residuals"|"gaps"]`` and objective ``nan``.
        ``info``: ``history`` ((iteration, measure) pairs), ``measure``
        ("relative_gap" or "kkt_residual"), ``tau``, ``sigma``, ``norm_K``,
        ``x_torch`` (torch backend), ``dual`` (the final ``ξ``, numpy).

    Theorem: Chambolle–Pock (2011): convergence for ``τσ‖K‖² < 1`` to a saddle
    point of docs/theory.md §1's programs.
    Rigor: numerical (always ``Rigor.NUMERICAL``: a first-order method never proves anything).

    Examples
    --------
    >>> from theorycheck.problems.programs import Lasso
    >>> sol = chambolle_pock(Lasso([[1.0, 0.0], [0.0, 1.0]], lam=1.0), [2.0, 0.25], tol=1e-12)
    >>> sol.status, np.round(sol.x, 6).tolist()
    ('optimal', [1.5, 0.0])
    """
    t0 = time.perf_counter()
    spec = build_spec(problem, tv)
    max_iter = integer_arg(max_iter, "max_iter")
    record_every = integer_arg(record_every, "record_every")
    tol = real_arg(tol, "tol", allow_zero=True)
    backend = backend_arg(backend, y)
    tau, sigma = default_step_sizes(tau, sigma, spec.norm_K)
    ops, yv, x, batch = prepare(problem, y, x0, backend, device, dtype, differentiable, spec)
    eng = Engine(spec, ops)
    torch = lazy_torch() if ops.is_torch else None
    ctx = torch.no_grad() if (torch is not None and not differentiable) else contextlib.nullcontext()
    bar = progress_bar(max_iter, progress, "chambolle_pock")
    try:
        with ctx:
            st, it, meas, status, history = _iterate(eng, x, yv, tau, sigma, max_iter, tol, record_every,
                                                     not differentiable, callback, bar)
            z = eng.signal(st["x"])
    finally:
        bar.close()
    info: dict[str, Any] = {
        "history": history, "measure": "relative_gap" if spec.synthesis else "kkt_residual",
        "tau": tau, "sigma": sigma, "norm_K": spec.norm_K, "tv": tv, "backend": backend,
        "form": "synthesis" if spec.synthesis else "analysis", "final_measure": meas,
    }
    if ops.is_torch:
        info["x_torch"] = z
        info["device"] = str(ops.device)
    xi0 = st["xi"][0]
    info["dual"] = to_numpy(xi0) if ops.is_torch else np.array(xi0)
    zn, obj, res, gap = finish(eng, ops, z, yv, xi0 if spec.synthesis else None, batch, tol,
                               certify, info)
    return Solution(x=zn, status=status, rigor=Rigor.NUMERICAL, objective=obj, residual=res,
                    gap=gap, solver=f"chambolle_pock-{backend}", elapsed_s=time.perf_counter() - t0,
                    iterations=it, info=info)


def _iterate(eng: Engine, x: Any, yv: Any, tau: float, sigma: float, max_iter: int, tol: float,
             record_every: int, check: bool, callback: Callable[[int, Any, float], Any] | None,
             bar: Any) -> tuple[dict, int, float, str, list[tuple[int, float]]]:
    """The Chambolle–Pock loop: ``(last state, iterations, measure, status, history)``.

    With ``check`` (not differentiable) the measure is evaluated every
    ``record_every`` iterations and the loop stops at ``tol``; otherwise it
    runs ``max_iter`` steps and measures once after the loop (no ``.item()``
    inside it, so the autograd graph stays intact).
    """
    spec, ops = eng.s, eng.ops
    use_program_gap = spec.synthesis and not ops.is_torch
    history: list[tuple[int, float]] = []
    status, it, meas = "max_iterations", 0, math.nan
    st = eng.init(x)
    for k in range(1, max_iter + 1):
        new = eng.step(st, tau, sigma, yv)
        it = k
        if k % record_every == 0 or k == max_iter:
            if check:
                meas = ops.to_float(eng.measure(st, new, tau, sigma, yv))
                if use_program_gap and meas > tol and spec.kind != "qcbp":
                    meas = min(meas, program_gap(eng, new, yv))
                history.append((k, meas))
            if callback is not None:
                callback(k, eng.signal(new["x"]), meas if check else math.nan)
            bar.update(record_every if k % record_every == 0 else k % record_every)
            if check:
                bar.set_postfix(measure=f"{meas:.2e}")
            if check and meas <= tol:
                return new, it, meas, "optimal", history
        st = new
    if not check:  # one measure after the loop (no .item() inside it)
        meas = ops.to_float(eng.measure(st, st, tau, sigma, yv)) if spec.synthesis else math.nan
        history.append((it, meas))
        if meas <= tol:
            status = "optimal"
    return st, it, meas, status, history
