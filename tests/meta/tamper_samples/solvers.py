"""Tamper samples: real ``certified_optimality`` results (certify_solution) of every proven kind.

Real U-LASSO (holds, violated, straddling tol), SR-LASSO with exact rational
data, QCBP with η = 0 (interpolating certificate), a sparsifier W, complex
U-LASSO (a Newton centre in the certificate) and measurements that float64
cannot hold (exact rationals in the witness).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def _lasso_instance():
    A = np.array([[1.0, 0.5, -0.25], [0.0, 1.0, 0.5], [0.5, 0.0, 1.0]])
    y = np.array([1.0, -0.5, 0.25])
    return A, y


def _lasso_holds():
    from theorycheck import Lasso
    from theorycheck.solvers import certify_solution, solve

    A, y = _lasso_instance()
    P = Lasso(A, lam=0.3)
    x = solve(P, y, method="exact").x
    return certify_solution(P, y, x)


def _lasso_violated():
    from theorycheck import Lasso
    from theorycheck.solvers import certify_solution

    A, y = _lasso_instance()
    return certify_solution(Lasso(A, lam=0.3), y, np.array([0.5, 0.0, 0.0]))


def _lasso_straddles():
    from theorycheck import Lasso
    from theorycheck.solvers import certify_solution, solve

    A, y = _lasso_instance()
    P = Lasso(A, lam=0.3)
    x = solve(P, y, method="exact").x + np.array([1e-20, 0.0, 0.0])
    first = certify_solution(P, y, x)
    lo, hi = first["distance_lower"], first["distance_upper"]
    return certify_solution(P, y, x, tol=0.5 * (lo + hi))


def _srlasso_rational():
    from theorycheck import SRLasso
    from theorycheck.solvers import certify_solution

    A = np.array([[1.0, 0.5, 0.25, 0.0], [0.0, 1.0, -0.5, 0.5], [0.5, 0.0, 1.0, -1.0]])
    x = np.array([0.0, 1.5, 0.0, 0.0])
    return certify_solution(SRLasso(A, lam=0.3), A @ x, x)


def _qcbp_interpolating():
    from theorycheck import QCBP
    from theorycheck.solvers import certify_solution

    A = np.array([[1.0, 2.0, 0.5], [0.0, 1.0, 3.0]])
    return certify_solution(QCBP(A, eta=0.0), np.array([1.0, 1.0]), np.array([0.0, 0.5, 0.2]))


def _with_W():
    from theorycheck import Lasso
    from theorycheck.solvers import certify_solution

    A = np.array([[1.0, 0.5, 0.0, 0.25], [0.0, 1.0, 0.5, 0.0], [0.25, 0.0, 1.0, 0.5]])
    W = np.array([[1.0, 1.0, 0.0, 0.0], [1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0],
                  [0.0, 0.0, 1.0, -1.0]]) * np.sqrt(0.5)
    from theorycheck import MatrixOperator

    P = Lasso(A, lam=0.2, W=MatrixOperator(W))
    return certify_solution(P, np.array([1.0, 0.5, -0.5]), np.zeros(4))


def _complex_lasso():
    from theorycheck import Lasso
    from theorycheck.solvers import certify_solution

    A = np.array([[1.0 + 0.5j, 0.25, 0.0], [0.0, 1.0 - 0.5j, 0.5j], [0.5, 0.0, 1.0]])
    y = np.array([1.0 + 0.25j, -0.5j, 0.25])
    return certify_solution(Lasso(A, lam=0.2), y, np.array([0.8 + 0.2j, -0.1 - 0.4j, 0.1]))


def _rational_measurements():
    from theorycheck import Lasso
    from theorycheck.solvers import certify_solution, solve

    A, _ = _lasso_instance()
    y = [Fraction(1, 3), Fraction(-1, 7), Fraction(2 ** 60 + 1, 2 ** 60)]  # no float64 holds them
    P = Lasso(A, lam=0.3)
    return certify_solution(P, y, solve(P, y, method="exact").x)


def samples():
    return {
        "lasso holds": _lasso_holds,
        "lasso violated": _lasso_violated,
        "lasso straddles tol": _lasso_straddles,
        "srlasso exact rational fit": _srlasso_rational,
        "qcbp eta=0 interpolating": _qcbp_interpolating,
        "lasso with W": _with_W,
        "complex lasso (Newton centre)": _complex_lasso,
        "rational measurements": _rational_measurements,
    }
