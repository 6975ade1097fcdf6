"""Adapters for estimator-style LASSO packages (scikit-learn, skglm, celer, glmnet, asgl, group-lasso, spams).

Each wrapper converts theorycheck's U-LASSO ``min λ‖z‖₁ + ‖Az − y‖²`` (or
SR-LASSO ``min λ‖z‖₁ + ‖Az − y‖``) to the package's scaling, fits without
intercept or standardisation, and returns a :class:`~theorycheck.solvers.solution.Solution`
whose status says whether the package stopped at its iteration limit. The
packages are imported when a wrapper is first called.

==========================  =================================================  ===========================
adapter                     package objective                                  conversion
==========================  =================================================  ===========================
``sklearn_lasso``           ``‖y − Xw‖²/(2n) + α‖w‖₁``                          ``α = λ/(2n)``
``sklearn_lasso_lars``      same (LARS path)                                   ``α = λ/(2n)``
``sklearn_elastic_net``     same with ``l1_ratio = 1``                           ``α = λ/(2n)``
``skglm_lasso``             ``‖y − Xw‖²/(2n) + α‖w‖₁``                          ``α = λ/(2n)``
``skglm_sqrt_lasso``        ``‖y − Xw‖ + α‖w‖₁`` (SR-LASSO)                     ``α = λ``
``celer_lasso``             ``‖y − Xw‖²/(2n) + α‖w‖₁``                          ``α = λ/(2n)``
``glmnet_lasso``            ``‖y − Xβ‖²/(2n) + λ_g‖β‖₁`` (``alpha = 1``)        ``λ_g = λ/(2n)``
``asgl_lasso``              ``‖y − Xβ‖²/n + λ₁‖β‖₁``                            ``λ₁ = λ/n``
``group_lasso_l1``          ``‖y − Xw‖²/(2n) + l1_reg‖w‖₁`` (``group_reg = 0``)  ``l1_reg = λ/(2n)``
``spams_lasso``             ``½‖x − Dα‖² + λ₁‖α‖₁`` (LARS, ``mode = 2``)         ``λ₁ = λ/2``
==========================  =================================================  ===========================

Declared accuracies (``solver.accuracy``, used by ``check_solver`` when the
user gives none): scikit-learn's ``Lasso``/``ElasticNet`` and celer stop when
their duality gap is below ``tol·‖y‖²`` (celer: ``tol·‖y‖²/n`` in its
``1/n``-scaled objective), i.e. ``2·tol`` relative to ``f(0) = ‖y‖²`` in
theorycheck's scaling (a rigorous bound: the gap is computed at the answer).
python-glmnet stops when the largest change of the objective after a
coordinate update is below ``tol`` times the null deviance: ``10·tol``
relative (the factor as for the cvxpy backends). The other packages' rules are
not objective bounds (KKT violation, iterate changes, exact paths): no
declaration (the kit's default applies).

group-lasso 1.5.0: its documented loss is ``½·MSE + l1_reg‖w‖₁``
(``_unregularised_loss``), but its FISTA step is ``0.5·∇/L`` with the prox at
``l1_reg/L`` (``group_lasso/_fista.py``, ``_update_step``), whose fixed point
minimises ``½·MSE + 2·l1_reg‖w‖₁``: the adapter keeps the documented
conversion, and the kit reports the difference.

Theorem: none (changes of scaling).
Rigor: numerical.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from theorycheck.testing.adapters._common import Timer, answer, declare, plain_program

__all__ = ["sklearn_lasso", "sklearn_lasso_lars", "sklearn_elastic_net", "skglm_lasso", "skglm_sqrt_lasso",
           "celer_lasso", "glmnet_lasso", "asgl_lasso", "group_lasso_l1", "spams_lasso"]


def _iter_status(n_iter: Any, max_iter: Any) -> str:
    n = int(np.max(np.atleast_1d(n_iter))) if n_iter is not None else 0
    return "max_iterations" if max_iter is not None and n >= int(max_iter) else "optimal"


def _estimator(who: str, make: Callable[[Any], Any], programs: tuple[str, ...] = ("lasso",),
               accuracy: Any = None, max_iter: Any = None) -> Callable:
    def run(problem: Any, y: np.ndarray) -> Any:
        plain_program(problem, who, kinds=programs)
        A = problem.A.to_dense()
        est = make(problem)
        with Timer() as t:
            est.fit(A, np.asarray(y, dtype=float))
        status = _iter_status(getattr(est, "n_iter_", None), getattr(est, "max_iter", max_iter))
        return answer(np.ravel(est.coef_), problem, who, status, t.elapsed)

    return declare(run, who, programs, accuracy)


def sklearn_lasso(**params: Any) -> Callable[[Any, np.ndarray], Any]:
    """scikit-learn's ``Lasso`` (coordinate descent) for U-LASSO, ``α = λ/(2m)``.

    Parameters
    ----------
    **params
        Passed to ``sklearn.linear_model.Lasso`` (``fit_intercept`` is always False).

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution`` (status ``max_iterations`` when ``n_iter_ = max_iter``);
        ``accuracy = 2·tol`` relative (its duality-gap stopping rule).

    Theorem: none (a change of scaling, see :meth:`Lasso.from_sklearn_alpha`).
    Rigor: numerical (scikit-learn's coordinate descent).
    """
    params = {**params, "fit_intercept": False}

    def make(problem: Any) -> Any:
        from sklearn.linear_model import Lasso as SkLasso

        return SkLasso(alpha=problem.sklearn_alpha, **params)

    return _estimator("sklearn_lasso", make, accuracy=2 * float(params.get("tol", 1e-4)))


def sklearn_lasso_lars(**params: Any) -> Callable[[Any, np.ndarray], Any]:
    """scikit-learn's ``LassoLars`` (least-angle regression) for U-LASSO, ``α = λ/(2m)``.

    Parameters
    ----------
    **params
        Passed to ``sklearn.linear_model.LassoLars`` (``fit_intercept`` False).

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution``.

    Theorem: none (a change of scaling).
    Rigor: numerical (LARS homotopy in float64).
    """
    params = {**params, "fit_intercept": False}

    def make(problem: Any) -> Any:
        from sklearn.linear_model import LassoLars

        return LassoLars(alpha=problem.sklearn_alpha, **params)

    return _estimator("sklearn_lasso_lars", make, max_iter=params.get("max_iter", 500))


def sklearn_elastic_net(**params: Any) -> Callable[[Any, np.ndarray], Any]:
    """scikit-learn's ``ElasticNet`` with ``l1_ratio = 1`` for U-LASSO, ``α = λ/(2m)``.

    Parameters
    ----------
    **params
        Passed to ``sklearn.linear_model.ElasticNet``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution``; ``accuracy = 2·tol`` relative.

    Theorem: none (a change of scaling).
    Rigor: numerical.
    """
    params = {**params, "fit_intercept": False, "l1_ratio": 1.0}

    def make(problem: Any) -> Any:
        from sklearn.linear_model import ElasticNet

        return ElasticNet(alpha=problem.sklearn_alpha, **params)

    return _estimator("sklearn_elastic_net", make, accuracy=2 * float(params.get("tol", 1e-4)))


def skglm_lasso(**params: Any) -> Callable[[Any, np.ndarray], Any]:
    """skglm's ``Lasso`` (working sets + Anderson CD) for U-LASSO, ``α = λ/(2m)``.

    Parameters
    ----------
    **params
        Passed to ``skglm.Lasso``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution``.

    Theorem: none (a change of scaling).
    Rigor: numerical.
    """
    params = {**params, "fit_intercept": False}

    def make(problem: Any) -> Any:
        from skglm import Lasso as SkglmLasso

        return SkglmLasso(alpha=problem.sklearn_alpha, **params)

    return _estimator("skglm_lasso", make)


def skglm_sqrt_lasso(**params: Any) -> Callable[[Any, np.ndarray], Any]:
    """skglm's ``SqrtLasso`` (prox-Newton) for SR-LASSO ``λ‖z‖₁ + ‖Az − y‖``: ``α = λ``.

    Parameters
    ----------
    **params
        Passed to ``skglm.experimental.SqrtLasso``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution``.

    Theorem: none (the same objective).
    Rigor: numerical.
    """
    params = {**params, "fit_intercept": False}

    def make(problem: Any) -> Any:
        from skglm.experimental import SqrtLasso

        return SqrtLasso(alpha=problem.lam, **params)

    return _estimator("skglm_sqrt_lasso", make, programs=("srlasso",))


def celer_lasso(**params: Any) -> Callable[[Any, np.ndarray], Any]:
    """celer's ``Lasso`` (dual extrapolation, working sets) for U-LASSO, ``α = λ/(2m)``.

    Parameters
    ----------
    **params
        Passed to ``celer.Lasso``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution``; ``accuracy = 2·tol`` relative (its duality-gap rule).

    Theorem: none (a change of scaling).
    Rigor: numerical.
    """
    params = {**params, "fit_intercept": False}

    def make(problem: Any) -> Any:
        from celer import Lasso as CelerLasso

        return CelerLasso(alpha=problem.sklearn_alpha, **params)

    return _estimator("celer_lasso", make, accuracy=2 * float(params.get("tol", 1e-4)))


def glmnet_lasso(**params: Any) -> Callable[[Any, np.ndarray], Any]:
    """python-glmnet's ``ElasticNet(alpha=1)`` for U-LASSO, ``λ_g = λ/(2m)`` (no standardisation).

    Parameters
    ----------
    **params
        Passed to ``glmnet.ElasticNet``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution`` (the coefficients at ``λ_g``).

    Theorem: none (a change of scaling).
    Rigor: numerical (glmnet's Fortran coordinate descent).
    """
    params = {**params, "alpha": 1.0, "standardize": False, "fit_intercept": False}

    def run(problem: Any, y: np.ndarray) -> Any:
        import glmnet

        plain_program(problem, "glmnet_lasso", kinds=("lasso",))
        lam = problem.sklearn_alpha
        est = glmnet.ElasticNet(lambda_path=np.array([2 * lam, lam]), n_splits=0, **params)
        with Timer() as t:
            est.fit(problem.A.to_dense(), np.asarray(y, dtype=float))
        coef = est.coef_path_[:, -1] if est.coef_path_.ndim == 2 else est.coef_
        status = "error" if getattr(est, "jerr_", 0) not in (0, None) else "optimal"
        return answer(coef, problem, "glmnet_lasso", status, t.elapsed)

    return declare(run, "glmnet_lasso", ("lasso",), 10.0 * float(params.get("tol", 1e-7)))


def asgl_lasso(**params: Any) -> Callable[[Any, np.ndarray], Any]:
    """asgl's ``Regressor(model='lm', penalization='lasso')`` for U-LASSO, ``λ₁ = λ/m`` (solved by cvxpy).

    Parameters
    ----------
    **params
        Passed to ``asgl.Regressor``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution``.

    Theorem: none (a change of scaling).
    Rigor: numerical.
    """
    params = {**params, "model": "lm", "penalization": "lasso", "fit_intercept": False}

    def make(problem: Any) -> Any:
        import asgl

        m = problem.A.shape[0]
        return asgl.Regressor(lambda1=problem.lam / m, **params)

    return _estimator("asgl_lasso", make)


def group_lasso_l1(**params: Any) -> Callable[[Any, np.ndarray], Any]:
    """group-lasso's ``GroupLasso`` with ``group_reg = 0`` (FISTA) for U-LASSO, ``l1_reg = λ/(2m)``.

    Parameters
    ----------
    **params
        Passed to ``group_lasso.GroupLasso``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution`` (status ``max_iterations`` when it warns that it did not converge).

    Theorem: none (a change of scaling).
    Rigor: numerical.
    """
    params = {"n_iter": 1000, **params, "group_reg": 0.0, "fit_intercept": False, "supress_warning": True}

    def make(problem: Any) -> Any:
        from group_lasso import GroupLasso

        N = problem.A.shape[1]
        return GroupLasso(groups=np.arange(N), l1_reg=problem.sklearn_alpha, **params)

    return _estimator("group_lasso_l1", make)


def spams_lasso(**params: Any) -> Callable[[Any, np.ndarray], Any]:
    """SPAMS's ``lasso`` (LARS, ``mode=2``: ``½‖x − Dα‖² + λ₁‖α‖₁``) for U-LASSO, ``λ₁ = λ/2``.

    Parameters
    ----------
    **params
        Passed to ``spams.lasso``.

    Returns
    -------
    callable
        ``solver(problem, y) -> Solution``.

    Theorem: none (a change of scaling).
    Rigor: numerical.
    """

    def run(problem: Any, y: np.ndarray) -> Any:
        import spams

        plain_program(problem, "spams_lasso", kinds=("lasso",))
        D = np.asfortranarray(problem.A.to_dense(), dtype=float)
        X = np.asfortranarray(np.asarray(y, dtype=float).reshape(-1, 1))
        with Timer() as t, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            out = spams.lasso(X, D=D, lambda1=problem.lam / 2, mode=2, numThreads=1, **params)
        x = np.asarray(out.todense() if hasattr(out, "todense") else out).ravel()
        return answer(x, problem, "spams_lasso", "optimal", t.elapsed)

    return declare(run, "spams_lasso", ("lasso",))
