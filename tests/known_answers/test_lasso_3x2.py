"""docs/theory.md §6.3: the 3×2 LASSO family on which float64 solvers fail silently.

With exact data the unique minimiser is ``(0, (√3 − 0.15)/3)`` in the scaled
coordinates for every δ ≠ 0; the same data rounded to float64 at δ = 2^-28
has a different exact minimiser ≈ (0.054433, 0.472917).
"""

from __future__ import annotations

import flint
import numpy as np
import pytest
import sympy as sp

from theorycheck import Lasso
from theorycheck.errors import InsufficientPrecision
from theorycheck.numerics.precision import precision
from theorycheck.solvers import certify_solution, solve

M = 3
LAM = 0.1  # the seed's λ for (1/m)‖·‖² + λ‖x‖₁; ours is m·λ for ‖·‖² + λ'‖x‖₁


def family(k: int):
    """Exact (sympy) data ``B = A_δ D_δ``, ``y`` at ``δ = 2^-k``."""
    d = sp.Rational(1, 2 ** k)
    r = 1 / sp.sqrt(2)
    A = sp.Matrix([[r - d, r], [-r - d, -r], [2 * d, 0]])
    D = sp.diag(sp.sqrt(3) / sp.sqrt(1 + 6 * d ** 2), sp.sqrt(3))  # columns of norm √m
    return A * D, sp.Matrix([r, -r, 0])


def problem(B) -> Lasso:
    return Lasso(np.array(B.evalf(40), dtype=float), lam=M * LAM)


@pytest.mark.parametrize("k", [1, 7, 15, 20])
def test_exact_minimiser_for_exact_data(k):
    B, y = family(k)
    P = problem(B)
    sol = solve(P, y, method="exact", A_exact=B)
    assert sol.rigor.value == "proven" and sol.info["support"] == [1]
    # the enclosure contains (√3 − λ'/2)/3·... = (2√3 − λ')/6 with λ' the float64 value used
    mid, rad = sol.enclosure[1]
    with precision(dps=60):  # the reference value, far tighter than the enclosure
        t = (2 * flint.arb(3).sqrt() - flint.arb(P.lam)) / 6
        assert flint.arb(mid, rad).contains(t)
    assert sol.enclosure[0] == ("0", "0") or flint.arb(*sol.enclosure[0]).contains(0)
    assert abs(sol.x[1] - (np.sqrt(3) - 0.15) / 3) < 1e-15
    # the dual slack shrinks like δ²: a certified margin, positive but tiny
    slack = float(sol.dual_slack)
    assert 0 < slack < 2.0 ** (-2 * k + 2)


def test_float64_rounding_changes_the_minimiser():
    B, y = family(28)
    Bf = np.array(B.evalf(40), dtype=float)
    yf = np.array(y.evalf(40), dtype=float).ravel()
    sol = solve(Lasso(Bf, lam=M * LAM), yf, method="exact")
    assert sol.rigor.value == "proven"
    assert np.allclose(sol.x, [0.054433, 0.472917], atol=2e-6)
    # and the answer for the exact data is far from it
    exact = solve(problem(B), y, method="exact", A_exact=B)
    assert np.linalg.norm(exact.x - sol.x) > 0.05


def test_silently_wrong_answer_is_proven_wrong():
    B, y = family(20)
    P = problem(B)
    yf = np.array(y.evalf(40), dtype=float).ravel()
    # a solver that puts all the weight on the first column (the seed's MATLAB failure)
    wrong = np.array([(np.sqrt(3) - 0.15) / 3, 0.0])
    res = certify_solution(P, yf, wrong)
    assert res.violated and res.rigor.value == "proven"
    assert res["distance_lower"] > 0.5


def test_too_little_precision_is_reported_not_guessed():
    B, y = family(40)  # dual slack ≈ 0.3·2^-80: undecidable at 10 digits
    with pytest.raises(InsufficientPrecision) as info:
        solve(problem(B), y, method="exact", A_exact=B, dps=10, max_dps=12)
    assert info.value.needed_dps is not None and info.value.needed_dps > 12
    sol = solve(problem(B), y, method="exact", A_exact=B, dps=10, max_dps=200)
    assert sol.info["support"] == [1] and sol.info["dps"] > 20


def test_data_callable_is_reevaluated_as_precision_grows():
    """``data(dps) -> (A, y)`` at any precision: mpmath values, re-read when the precision escalates."""
    import mpmath

    B, y = family(40)  # needs ~30+ digits: forces at least one escalation from 10
    calls = []

    def data(dps):
        calls.append(dps)
        with mpmath.workdps(dps):
            A = mpmath.matrix([[mpmath.mpf(str(B[i, j].evalf(dps + 5))) for j in range(2)] for i in range(3)])
            yy = mpmath.matrix([mpmath.mpf(str(y[i].evalf(dps + 5))) for i in range(3)])
        return A, yy

    sol = solve(problem(B), None, method="exact", data=data, dps=10, max_dps=200)
    assert sol.rigor.value == "proven" and sol.info["support"] == [1]
    assert len(calls) >= 2 and calls == sorted(calls)  # re-evaluated at growing precision
    assert abs(sol.x[1] - (np.sqrt(3) - 0.15) / 3) < 1e-15
