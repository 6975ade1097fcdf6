"""Adapters for modelling layers and first-order packages: cvxpy backends, scipy linprog, spgl1, pyproximal.

======================  ==================================================  ======================
adapter                 program                                             status read from
======================  ==================================================  ======================
``cvxpy_solver(b)``     U-LASSO / SR-LASSO / QCBP / BP written in cvxpy      ``problem.status``
``scipy_linprog_bp``    basis pursuit as an LP (``z = u − v``, HiGHS)        ``res.status``
``spgl1_bpdn``          ``spg_bpdn``: QCBP ``η > 0``                         ``info["stat"]``
``spgl1_bp``            ``spg_bp``: basis pursuit                            ``info["stat"]``
``pyproximal_lasso``    FISTA on ``‖Az − y‖² + λ‖z‖₁``                       (none: fixed iterations)
``exact_solver``        theorycheck's certified exact solver                 ``Solution.status``
======================  ==================================================  ======================

``spg_lasso`` (``min ‖Az − y‖ s.t. ‖z‖₁ ≤ τ``) has no λ- or η-form without
knowing ``‖x*‖₁``; it is exercised inside ``spg_bpdn``'s root finding.

Declared accuracies (``solver.accuracy``, ``(relative, absolute)``): ten times
the backend's default stopping tolerance as cvxpy calls it — the gap of the
conic or QP reformulation plus its feasibility residual bounds the objective
of the returned ``z`` only up to such a factor (the solver zoo measured up to
3× for CLARABEL). CLARABEL and ECOS: gap and feasibility ``1e-8`` →
``(1e-7, 1e-7)``; CVXOPT: ``reltol = 1e-6``, ``abstol = feastol = 1e-7`` →
``(1e-5, 1e-6)``; SCS (cvxpy's ``eps = 1e-4``) → ``(1e-3, 1e-3)``; OSQP (cvxpy's
``eps_abs = eps_rel = 1e-5``) → ``(1e-4, 1e-4)``; HiGHS (feasibility ``1e-7``)
→ ``(1e-6, 1e-6)``; spgl1: ``opt_tol = 1e-4`` (relative duality gap, and the
residual within ``opt_tol`` of ``η``) → ``10·opt_tol``. A cvxpy backend given
options declares nothing (the kit's default applies). scipy ``linprog``, pyproximal (fixed iterations) declare none.

Theorem: none (changes of scaling, equivalent reformulations).
Rigor: numerical, proven for :func:`exact_solver`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from theorycheck.errors import InvalidArgument, SolverError
from theorycheck.results import Rigor
from theorycheck.solvers import solve
from theorycheck.solvers.solution import Solution
from theorycheck.testing.adapters._common import Timer, answer, declare, plain_program

__all__ = ["cvxpy_solver", "scipy_linprog_bp", "spgl1_bpdn", "spgl1_bp", "pyproximal_lasso", "exact_solver",
           "CVXPY_PROGRAMS"]

#: the program variants each cvxpy backend accepts (LP/QP-only backends cannot take second-order cones)
CVXPY_PROGRAMS: dict[str, tuple[str, ...]] = {"OSQP": ("lasso",), "HIGHS": ("lasso", "bp")}
#: default stopping tolerances (relative, absolute) of the backends as cvxpy calls them
_CVXPY_TOLERANCE = {"CLARABEL": (1e-8, 1e-8), "ECOS": (1e-8, 1e-8), "CVXOPT": (1e-6, 1e-7),
                    "SCS": (1e-4, 1e-4), "OSQP": (1e-5, 1e-5), "HIGHS": (1e-7, 1e-7)}
#: the factor between a stated stopping tolerance and the declared objective accuracy
SAFETY = 10.0
_STATUS = {"optimal": "optimal", "optimal_inaccurate": "optimal_inaccurate", "user_limit": "max_iterations"}


def _cvxpy_program(problem: Any, y: np.ndarray) -> tuple[Any, Any]:
    import cvxpy as cp

    A = problem.A.to_dense()
    z = cp.Variable(A.shape[1], complex=bool(np.iscomplexobj(A) or np.iscomplexobj(y)))
    pen = cp.sum(cp.multiply(np.asarray(problem.weights), cp.abs(z)))
    res = A @ z - y
    kind = type(problem).__name__
    if kind == "Lasso":
        return cp.Problem(cp.Minimize(problem.lam * pen + cp.sum_squares(res))), z
    if kind == "SRLasso":
        return cp.Problem(cp.Minimize(problem.lam * pen + cp.norm(res, 2))), z
    if float(problem.eta) == 0.0:
        return cp.Problem(cp.Minimize(pen), [A @ z == y]), z
    return cp.Problem(cp.Minimize(pen), [cp.norm(res, 2) <= problem.eta]), z


def cvxpy_solver(solver: str = "CLARABEL", **options: Any) -> Callable[[Any, np.ndarray], Any]:
    """cvxpy with the given backend (CLARABEL, ECOS, SCS, OSQP, CVXOPT, HIGHS, ...), no polishing.

    The program is written directly in cvxpy (real or complex, weighted, no
    ``W``): U-LASSO ``λ‖w∘z‖₁ + ‖Az − y‖²``, SR-LASSO ``λ‖w∘z‖₁ + ‖Az − y‖``,
    QCBP ``min ‖w∘z‖₁ s.t. ‖Az − y‖ ≤ η``, basis pursuit ``Az = y`` — what a
    user of cvxpy would write. LP/QP-only backends (OSQP, HiGHS) declare the
    variants they take (:data:`CVXPY_PROGRAMS`); the others are skipped.

    Parameters
    ----------
    solver : str
        A solver installed for cvxpy (``cvxpy.installed_solvers()``).
    **options
        Passed to ``cvxpy.Problem.solve``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution`` with cvxpy's status (``"optimal"``,
        ``"optimal_inaccurate"``, ...) and rigor ``numerical``.

    Theorem: none.
    Rigor: numerical (interior point / ADMM / simplex in float64).
    """
    if not isinstance(solver, str):
        raise InvalidArgument(f"solver must be a cvxpy solver name, got {solver!r}")
    programs = CVXPY_PROGRAMS.get(solver.upper(), ("lasso", "srlasso", "qcbp", "bp"))
    who = f"cvxpy_{solver}"

    def run(problem: Any, y: np.ndarray) -> Any:
        plain_program(problem, who, kinds=programs, complex_ok=True, weights_ok=True)
        prob, z = _cvxpy_program(problem, np.asarray(y))
        with Timer() as t:
            prob.solve(solver=solver, **options)
        if z.value is None:
            raise SolverError(f"{who} returned no answer (status {prob.status!r})")
        return Solution(x=np.asarray(z.value).reshape(problem.A.in_shape),
                        status=_STATUS.get(prob.status, "error"), rigor=Rigor.NUMERICAL, solver=who,
                        elapsed_s=t.elapsed)

    tol = None if options else _CVXPY_TOLERANCE.get(solver.upper())
    accuracy = None if tol is None else (SAFETY * tol[0], SAFETY * tol[1])
    return declare(run, who, programs, accuracy)


def scipy_linprog_bp(**options: Any) -> Callable[[Any, np.ndarray], Any]:
    """Basis pursuit ``min ‖w∘z‖₁ s.t. Az = y`` as a linear program for ``scipy.optimize.linprog`` (HiGHS).

    ``z = u − v`` with ``u, v ≥ 0``: ``min wᵀ(u + v)`` s.t. ``[A, −A][u; v] = y``.

    Parameters
    ----------
    **options
        Passed to ``scipy.optimize.linprog`` (default ``method="highs"``).

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution`` (status from ``res.status``); basis pursuit only.

    Theorem: none (an equivalent linear program).
    Rigor: numerical (simplex / interior point in float64).
    """
    options = {"method": "highs", **options}

    def run(problem: Any, y: np.ndarray) -> Any:
        from scipy.optimize import linprog

        plain_program(problem, "scipy_linprog_bp", kinds=("bp",), weights_ok=True)
        A = problem.A.to_dense()
        w = np.asarray(problem.weights, dtype=float)
        with Timer() as t:
            res = linprog(np.concatenate([w, w]), A_eq=np.hstack([A, -A]), b_eq=np.asarray(y, dtype=float),
                          bounds=(0, None), **options)
        if res.x is None:
            raise SolverError(f"linprog returned no answer: {res.message}")
        N = A.shape[1]
        status = "optimal" if res.status == 0 else "max_iterations" if res.status == 1 else "error"
        return answer(res.x[:N] - res.x[N:], problem, "scipy_linprog_bp", status, t.elapsed, message=res.message)

    return declare(run, "scipy_linprog_bp", ("bp",))


#: spgl1's exit codes that report a solution (root found, BP solution, least squares, optimal)
_SPGL1_OK = {1, 2, 3, 4}


def _spgl1(who: str, programs: tuple[str, ...], options: dict[str, Any]) -> Callable:
    opt_tol = options.get("opt_tol", 1e-4)

    def run(problem: Any, y: np.ndarray) -> Any:
        import spgl1

        plain_program(problem, who, kinds=programs)
        A = problem.A.to_dense()
        b = np.asarray(y, dtype=float)
        with Timer() as t:
            if who == "spgl1_bp":
                x, _, _, info = spgl1.spg_bp(A, b, **{"verbosity": 0, **options})
            else:
                x, _, _, info = spgl1.spg_bpdn(A, b, float(problem.eta), **{"verbosity": 0, **options})
        stat = int(info.get("stat", 0))
        status = "optimal" if stat in _SPGL1_OK else "max_iterations" if stat in (5, 8) else "error"
        return answer(x, problem, who, status, t.elapsed, spgl1_stat=stat)

    return declare(run, who, programs, SAFETY * float(opt_tol))


def spgl1_bpdn(**options: Any) -> Callable[[Any, np.ndarray], Any]:
    """spgl1's ``spg_bpdn`` (basis pursuit denoise = QCBP, ``η > 0``), reading its exit status.

    Parameters
    ----------
    **options
        Passed to ``spgl1.spg_bpdn``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution``: status ``optimal`` for exit codes 1–4
        (root found, BP solution, least squares, optimal), ``max_iterations``
        for 5 and 8 (iteration / mat-vec limit), ``error`` otherwise
        (line-search error, suboptimal BP, active-set exit).

    Theorem: none.
    Rigor: numerical (spectral projected gradient).
    """
    return _spgl1("spgl1_bpdn", ("qcbp",), options)


def spgl1_bp(**options: Any) -> Callable[[Any, np.ndarray], Any]:
    """spgl1's ``spg_bp`` (basis pursuit, QCBP with ``η = 0``), reading its exit status.

    Parameters
    ----------
    **options
        Passed to ``spgl1.spg_bp``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution`` (status as in :func:`spgl1_bpdn`).

    Theorem: none.
    Rigor: numerical (spectral projected gradient).
    """
    return _spgl1("spgl1_bp", ("bp",), options)


def pyproximal_lasso(*, niter: int = 2000, acceleration: str | None = "fista",
                     **options: Any) -> Callable[[Any, np.ndarray], Any]:
    """pyproximal's proximal gradient (FISTA) for U-LASSO; needs ``pip install pyproximal``.

    Minimises ``‖Az − y‖² + λ‖z‖₁`` with ``pyproximal.L2(Op, b, sigma=2)`` and
    ``pyproximal.L1(sigma=λ)`` at step ``1/(2‖A‖²)``.

    Parameters
    ----------
    niter : int
        Iterations (pyproximal stops only there unless ``tol``/``rtol`` are passed).
    acceleration : {"fista", "vandenberghe", None}
    **options
        Passed to ``pyproximal.optimization.primal.ProximalGradient``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution`` for real, unweighted U-LASSO.

    Theorem: none.
    Rigor: numerical (first-order method in float64).
    """

    def run(problem: Any, y: np.ndarray) -> Any:
        import pylops
        import pyproximal

        plain_program(problem, "pyproximal_lasso", kinds=("lasso",))
        A = problem.A.to_dense()
        f = pyproximal.L2(Op=pylops.MatrixMult(A), b=np.asarray(y, dtype=float), sigma=2.0)
        g = pyproximal.L1(sigma=problem.lam)
        L = 2.0 * float(np.linalg.norm(A, 2)) ** 2
        with Timer() as t:
            x = pyproximal.optimization.primal.ProximalGradient(
                f, g, x0=np.zeros(A.shape[1]), tau=1.0 / L, niter=niter, acceleration=acceleration,
                **{"show": False, **options})
        x = x[0] if isinstance(x, tuple) else x
        return answer(x, problem, "pyproximal_lasso", "optimal", t.elapsed)

    return declare(run, "pyproximal_lasso", ("lasso",))


def exact_solver(**options: Any) -> Callable[[Any, np.ndarray], Any]:
    """theorycheck's certified solver ``solve(problem, y, method="exact")`` as a solver.

    Parameters
    ----------
    **options
        Passed to :func:`theorycheck.solvers.exact.solve_exact`.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution`` (rigor ``proven``).

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven.

    Examples
    --------
    >>> exact_solver().name
    'theorycheck_exact'
    """

    def exact(problem: Any, y: np.ndarray) -> Any:
        return solve(problem, y, method="exact", **options)

    exact.name = "theorycheck_exact"  # type: ignore[attr-defined]
    return exact
