"""Adapters: third-party solvers (and theorycheck's own) in the calling convention of the kit.

The kit calls ``solver(problem, y)`` with a theorycheck
:class:`~theorycheck.problems.programs.Lasso` / ``SRLasso`` / ``QCBP``; these
wrappers translate to each package's scaling and read what it reports:
:func:`sklearn_lasso_solver` (``α = λ/(2m)``), :func:`cvxpy_solver` (any conic
backend, with its status), :func:`spgl1_solver`, :func:`pyproximal_lasso_solver`
and :func:`exact_solver` (theorycheck's certified solver). The third-party
packages are optional and imported when a wrapper is first called; a wrapper
given a program it does not solve raises :class:`~theorycheck.errors.InvalidArgument`
(a failed check naming the reason, not a crash of the suite).

Theorem: none (changes of scaling; see each adapter).
Rigor: numerical for the third-party solvers, proven for :func:`exact_solver`.
"""

from __future__ import annotations

import functools
import time
from typing import Any, Callable

import numpy as np

from theorycheck.errors import InvalidArgument, SolverError
from theorycheck.results import Rigor
from theorycheck.solvers import solve
from theorycheck.solvers.solution import Solution

__all__ = [
    "solver_name",
    "sklearn_lasso_solver",
    "cvxpy_solver",
    "spgl1_solver",
    "pyproximal_lasso_solver",
    "exact_solver",
    "plain_program",
]


def solver_name(solver: Any) -> str:
    """A short readable name for a solver (function name, class name, partial's function).

    Theorem: none.
    Rigor: not applicable.

    Examples
    --------
    >>> solver_name(exact_solver())
    'theorycheck_exact'
    """
    name = getattr(solver, "name", None)
    if isinstance(name, str) and name:
        return name
    if isinstance(solver, functools.partial):
        return solver_name(solver.func)
    name = getattr(solver, "__name__", None) or type(solver).__name__
    return "lambda" if name == "<lambda>" else name


def plain_program(problem: Any, who: str, *, kinds: tuple[str, ...], complex_ok: bool,
                  weights_ok: bool = False) -> None:
    """Raise :class:`InvalidArgument` unless ``problem`` is a program the adapter ``who`` solves.

    Parameters
    ----------
    problem : Lasso, SRLasso or QCBP
    who : str
        The adapter's name (for the message).
    kinds : tuple of str
        The program classes it solves (``"Lasso"``, ``"SRLasso"``, ``"QCBP"``).
    complex_ok, weights_ok : bool
        Whether it takes complex data / weights (no adapter takes a sparsifier ``W``).

    Theorem: none.
    Rigor: not applicable.
    """
    name = type(problem).__name__
    if name not in kinds:
        raise InvalidArgument(f"{who} solves {', '.join(kinds)} problems, not {name}")
    if problem.W is not None:
        raise InvalidArgument(f"{who} does not take a sparsifier W")
    if not weights_ok and not np.all(np.asarray(problem.weights) == 1):
        raise InvalidArgument(f"{who} does not take weights")
    if problem.is_complex and not complex_ok:
        raise InvalidArgument(f"{who} needs real data")


def sklearn_lasso_solver(**params: Any) -> Callable[[Any, np.ndarray], np.ndarray]:
    """scikit-learn's ``Lasso`` as a solver for theorycheck's U-LASSO (``α = λ/(2m)``).

    Parameters
    ----------
    **params
        Passed to ``sklearn.linear_model.Lasso`` (``fit_intercept`` is always False).

    Returns
    -------
    callable
        ``solver(problem, y) -> coef_`` (real, unweighted U-LASSO without ``W`` only).

    Theorem: none (a change of scaling, see :meth:`Lasso.from_sklearn_alpha`).
    Rigor: numerical (scikit-learn's coordinate descent).
    """
    params = dict(params)
    params["fit_intercept"] = False

    def sklearn_lasso(problem: Any, y: np.ndarray) -> np.ndarray:
        from sklearn.linear_model import Lasso as SkLasso

        plain_program(problem, "sklearn_lasso", kinds=("Lasso",), complex_ok=False)
        est = SkLasso(alpha=problem.sklearn_alpha, **params)
        est.fit(problem.A.to_dense(), np.asarray(y))
        return np.asarray(est.coef_, dtype=float)

    sklearn_lasso.name = "sklearn_lasso"  # type: ignore[attr-defined]
    return sklearn_lasso


def cvxpy_solver(solver: str = "CLARABEL", **options: Any) -> Callable[[Any, np.ndarray], Any]:
    """cvxpy with the given conic solver (CLARABEL, SCS, ...) as a plain solver, no polishing.

    The program is written directly in cvxpy (real or complex, weighted, no
    ``W``): U-LASSO ``λ‖w∘z‖₁ + ‖Az − y‖²``, SR-LASSO ``λ‖w∘z‖₁ + ‖Az − y‖``,
    QCBP ``min ‖w∘z‖₁ s.t. ‖Az − y‖ ≤ η`` — what a user of cvxpy would write.

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
    Rigor: numerical (interior point / ADMM in float64).
    """
    if not isinstance(solver, str):
        raise InvalidArgument(f"solver must be a cvxpy solver name, got {solver!r}")

    def run(problem: Any, y: np.ndarray) -> Any:
        import cvxpy as cp

        plain_program(problem, f"cvxpy-{solver}", kinds=("Lasso", "SRLasso", "QCBP"),
                       complex_ok=True, weights_ok=True)
        A = problem.A.to_dense()
        y = np.asarray(y)
        z = cp.Variable(A.shape[1], complex=bool(np.iscomplexobj(A) or np.iscomplexobj(y)))
        pen = cp.sum(cp.multiply(np.asarray(problem.weights), cp.abs(z)))
        res = A @ z - y
        kind = type(problem).__name__
        if kind == "Lasso":
            prob = cp.Problem(cp.Minimize(problem.lam * pen + cp.sum_squares(res)))
        elif kind == "SRLasso":
            prob = cp.Problem(cp.Minimize(problem.lam * pen + cp.norm(res, 2)))
        else:
            prob = cp.Problem(cp.Minimize(pen), [cp.norm(res, 2) <= problem.eta])
        t0 = time.perf_counter()
        prob.solve(solver=solver, **options)
        if z.value is None:
            raise SolverError(f"cvxpy-{solver} returned no answer (status {prob.status!r})")
        status = {"optimal": "optimal", "optimal_inaccurate": "optimal_inaccurate",
                  "user_limit": "max_iterations"}.get(prob.status, "error")
        return Solution(x=np.asarray(z.value).reshape(problem.A.in_shape), status=status,
                        rigor=Rigor.NUMERICAL, solver=f"cvxpy-{solver}",
                        elapsed_s=time.perf_counter() - t0)

    run.name = f"cvxpy_{solver}"  # type: ignore[attr-defined]
    return run


def spgl1_solver(**options: Any) -> Callable[[Any, np.ndarray], np.ndarray]:
    """spgl1's ``spg_bpdn`` (basis pursuit denoise = QCBP) as a solver; needs ``pip install spgl1``.

    Parameters
    ----------
    **options
        Passed to ``spgl1.spg_bpdn``.

    Returns
    -------
    callable
        ``solver(problem, y) -> x`` for real, unweighted QCBP.

    Theorem: none.
    Rigor: numerical (spectral projected gradient).
    """

    def spgl1_bpdn(problem: Any, y: np.ndarray) -> np.ndarray:
        import spgl1

        plain_program(problem, "spgl1", kinds=("QCBP",), complex_ok=False)
        x, *_ = spgl1.spg_bpdn(problem.A.to_dense(), np.asarray(y, dtype=float), problem.eta,
                               **{"verbosity": 0, **options})
        return np.asarray(x, dtype=float)

    spgl1_bpdn.name = "spgl1_bpdn"  # type: ignore[attr-defined]
    return spgl1_bpdn


def pyproximal_lasso_solver(*, niter: int = 2000, acceleration: str | None = "fista",
                            **options: Any) -> Callable[[Any, np.ndarray], np.ndarray]:
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
        ``solver(problem, y) -> x`` for real, unweighted U-LASSO.

    Theorem: none.
    Rigor: numerical (first-order method in float64).
    """

    def pyproximal_lasso(problem: Any, y: np.ndarray) -> np.ndarray:
        import pylops
        import pyproximal

        plain_program(problem, "pyproximal_lasso", kinds=("Lasso",), complex_ok=False)
        A = problem.A.to_dense()
        f = pyproximal.L2(Op=pylops.MatrixMult(A), b=np.asarray(y, dtype=float), sigma=2.0)
        g = pyproximal.L1(sigma=problem.lam)
        L = 2.0 * float(np.linalg.norm(A, 2)) ** 2
        x = pyproximal.optimization.primal.ProximalGradient(
            f, g, x0=np.zeros(A.shape[1]), tau=1.0 / L, niter=niter, acceleration=acceleration,
            **{"show": False, **options})
        return np.asarray(x, dtype=float).reshape(problem.A.in_shape)

    pyproximal_lasso.name = "pyproximal_lasso"  # type: ignore[attr-defined]
    return pyproximal_lasso


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

    Theorem: uniqueness under strict dual feasibility (THEORY.md §1).
    Rigor: proven.
    """

    def exact(problem: Any, y: np.ndarray) -> Any:
        return solve(problem, y, method="exact", **options)

    exact.name = "theorycheck_exact"  # type: ignore[attr-defined]
    return exact
