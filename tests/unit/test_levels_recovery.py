"""The rNSP in levels: γ against an independent conic computation, and the recovery bound in levels.

Ground truth: (1) ``γ_Ω(ρ)`` by an independent route — for a unit direction ``u`` on ``Ω``,
``1/min{‖Av‖ : ⟨u, v_Ω⟩ − (ρ/√ξ)‖v_{Ω^c}‖_{1,w} ≥ 1}`` (a convex program solved with cvxpy) is a
lower bound of ``γ_Ω``, and the sup over ``u`` equals it; a fine grid of ``u`` must land
between the library's proven lower and upper bounds. (2) The levels bound recomputed with
``fractions.Fraction`` from the float64 data (σ in levels, ξ, κ, constants).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from theorycheck.errors import InvalidArgument
from theorycheck.results import Outcome, Rigor, Witness, verify_result
from theorycheck.rnsp import check_recovery_bound, recovery_constants, rnsp_gamma
from theorycheck.rnsp.recovery import levels_balls

LEVELS = [(0, 4), (4, 12)]


def _A(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((11, 12)) / math.sqrt(11)


def _gamma_support_lower(A: np.ndarray, omega: tuple[int, int], c: float, w: np.ndarray, grid: int) -> float:
    cp = pytest.importorskip("cvxpy")
    N = A.shape[1]
    rest = [i for i in range(N) if i not in omega]
    best = 0.0
    for t in np.linspace(0, 2 * np.pi, grid, endpoint=False):
        u = np.array([math.cos(t), math.sin(t)])
        v = cp.Variable(N)
        cons = [u @ v[list(omega)] - c * cp.sum(cp.multiply(w[rest], cp.abs(v[rest]))) >= 1]
        prob = cp.Problem(cp.Minimize(cp.norm(A @ v, 2)), cons)
        prob.solve(solver="CLARABEL")
        if prob.status == "optimal" and prob.value > 1e-12:
            best = max(best, 1.0 / prob.value)
    return best


def test_rnsp_gamma_in_levels_matches_an_independent_conic_computation():
    A = _A(0)
    rho, wl = 0.9, [1.0, 0.5]
    g = rnsp_gamma(A, [1, 1], rho, levels=LEVELS, weights=wl, method="exact", progress=False)
    assert g.holds and g.upper_rigor is Rigor.PROVEN and math.isfinite(g.upper)
    w = np.array([1.0] * 4 + [0.5] * 8)
    xi = 1.0 * 1 + 0.25 * 1
    c = rho / math.sqrt(xi)
    coarse = {(i, j): _gamma_support_lower(A, (i, j), c, w, grid=12)
              for i, j in itertools.product(range(4), range(4, 12))}
    top = max(coarse, key=lambda k: coarse[k])
    indep = max(max(coarse.values()), _gamma_support_lower(A, top, c, w, grid=90))
    # every independent value is a lower bound of γ: never above the proven upper bound
    assert indep <= g.upper * (1 + 1e-6)
    # and the grid (4° steps on the worst support) gets within 1% of γ: the proven lower bound is near the truth
    assert indep >= 0.99 * g.lower
    assert g.lower <= g.upper <= g.lower * 1.03 + 1e-12


def _fr(v: float) -> Fraction:
    return Fraction(v)


def test_levels_constants_reduce_to_foucart_rauhut_for_one_level():
    b = levels_balls(0.6, 1.7, [3], [1.0])
    fr = recovery_constants(0.6, 1.7, constants="foucart-rauhut")
    assert abs(float(b["C1"].mid()) - fr.C1) <= 1e-12 * fr.C1
    assert abs(float(b["C2"].mid()) - fr.C2) <= 1e-12 * fr.C2
    assert float(b["kappa"].mid()) == 1.0 and float(b["xi"].mid()) == 3.0


def _levels_bound_fraction(A, x, y, lam, rho, gamma, s_l, w_l, levels):
    """Fraction bracket of 2C1 σ/√ξ + (C1/(√ξλ) + C2)‖e‖ (square roots bracketed)."""
    def sq(q):
        r = Fraction(math.sqrt(float(q)))
        lo, hi = r * (1 - Fraction(1, 2 ** 45)), r * (1 + Fraction(1, 2 ** 45))
        assert lo * lo <= q <= hi * hi
        return lo, hi
    xi = sum(_fr(w) ** 2 * k for w, k in zip(w_l, s_l))
    zeta = min(_fr(w) ** 2 * k for w, k in zip(w_l, s_l))
    r, g = _fr(rho), _fr(gamma)
    sigma = Fraction(0)
    for (a, b), k, w in zip(levels, s_l, w_l):
        mags = sorted((abs(_fr(float(v))) for v in x[a:b]), reverse=True)
        sigma += _fr(w) * sum(mags[k:], Fraction(0))
    e2 = sum((_fr(float(y[i])) - sum(_fr(float(A[i, j])) * _fr(float(x[j])) for j in range(A.shape[1]))) ** 2
             for i in range(A.shape[0]))
    out = []
    for pick in (0, 1):
        rk = sq(xi / zeta)[pick]
        C1 = (1 + r) * (r + rk) / (1 - r)
        C2 = (1 + r + 2 * rk) * g / (1 - r)
        rxi_lo, rxi_hi = sq(xi)
        rxi = rxi_hi if pick == 0 else rxi_lo
        out.append(2 * C1 * sigma / rxi + (C1 / (rxi * _fr(lam)) + C2) * sq(e2)[pick])
    return out[0], out[1]


def test_levels_bound_holds_on_a_certified_instance_and_matches_fractions():
    A = _A(0)
    rho, wl = 0.9, [1.0, 0.5]
    g = rnsp_gamma(A, [1, 1], rho, levels=LEVELS, weights=wl, method="exact", progress=False)
    x = np.zeros(12)
    x[1], x[6], x[9] = 1.0, 0.5, 0.01
    e = 1e-3 * np.random.default_rng(1).standard_normal(11)
    r0 = check_recovery_bound(A, x, e, 1e-3, s=[1, 1], rho=rho, gamma=g, levels=LEVELS, weights=wl)
    lam = 0.5 * r0.values["lambda_max"]
    r = check_recovery_bound(A, x, e, lam, s=[1, 1], rho=rho, gamma=g, levels=LEVELS, weights=wl)
    assert r.outcome is Outcome.HOLDS and r.rigor is Rigor.PROVEN and r.values["constants"] == "levels"
    lo, hi = _levels_bound_fraction(A, x, r.witness.data["y"], lam, rho, g.upper, [1, 1], wl, LEVELS)
    assert lo <= hi
    assert Fraction(r.values["bound_lower"]) <= hi and float(lo) == pytest.approx(r.values["bound"], rel=1e-10)
    assert Fraction(r.values["error_upper"]) <= lo
    assert verify_result(r).holds


def test_levels_arguments_are_validated():
    A, x, e = _A(0), np.eye(12)[0], np.zeros(11)
    kw = {"rho": 0.9, "gamma": 2.0}
    for bad in ({"s": [1, 0], "levels": LEVELS}, {"s": [1], "levels": LEVELS}, {"s": [1, 1], "levels": [(0, 3)]},
                {"s": [1, 1], "levels": LEVELS, "constants": "seed"}, {"s": 1, "weights": np.ones(12)},
                {"s": [1, 1], "levels": LEVELS, "weights": [1.0, -1.0]}, {"s": [1, 1], "levels": "levels"}):
        with pytest.raises(InvalidArgument):
            check_recovery_bound(A, x, e, 1e-3, **kw, **bad)


def test_levels_verifier_rejects_edits_of_the_levels_fields():
    A = _A(0)
    x = np.eye(12)[1] + 0.5 * np.eye(12)[6]
    r = check_recovery_bound(A, x, 1e-3 * np.ones(11), 1e-3, s=[1, 1], rho=0.9, gamma=2.0, levels=LEVELS,
                             weights=[1.0, 0.5])
    assert verify_result(r).holds
    d = r.witness.data
    for edit in ({"levels": np.array([[0, 5], [5, 12]])}, {"s_levels": np.array([2, 1])},
                 {"weights_levels": np.array([1.0, 0.25])}, {"levels": np.array([[0, 4], [4, 13]])},
                 {"s_levels": np.array([1.5, 1.0])}, {"constants": "seed"}):
        f = dataclasses.replace(r, witness=Witness(r.witness.kind, {**d, **edit}))
        assert not verify_result(f).holds, edit
