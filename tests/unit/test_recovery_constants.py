"""Seed Theorem 1's constants in both named forms, and the verifier of ``recovery_bound``.

Ground truth: the constants in exact rational arithmetic (``fractions.Fraction``), the
Theorem 1 bound recomputed with Fractions from the stored float64 data, and rNSP constants
certified by :func:`rnsp_gamma` (exact method).
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np
import pytest

from theorycheck.errors import InvalidArgument, PreconditionError
from theorycheck.problems.operators import SubsampledDCT
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, verify_result
from theorycheck.rnsp import check_recovery_bound, recovery_constants, rnsp_gamma


def _gaussian(m: int, N: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((m, N)) / math.sqrt(m)


def _exact(rho: Fraction, gamma: Fraction) -> dict[str, Fraction]:
    return {"C1": (1 + rho) ** 2 / (1 - rho), "C2_seed": (3 * rho + 5) * gamma / (1 - rho),
            "C2_fr": (3 + rho) * gamma / (1 - rho)}


@pytest.mark.parametrize("rho,gamma", [(0.1, 1.0), (0.5, 0.3), (0.85, 2.5), (0.999, 1e-3), (1e-9, 7.0)])
def test_both_forms_are_rounded_up_exact_values_and_the_sharper_is_smaller(rho, gamma):
    ex = _exact(Fraction(rho), Fraction(gamma))
    seed = recovery_constants(rho, gamma)
    fr = recovery_constants(rho, gamma, constants="foucart-rauhut")
    assert seed.constants == "seed" and fr.constants == "foucart-rauhut"
    for c in (seed, fr):
        for name, key in (("C1_seed", "C1"), ("C1_foucart_rauhut", "C1"), ("C2_seed", "C2_seed"),
                          ("C2_foucart_rauhut", "C2_fr")):
            v = getattr(c, name)
            assert Fraction(v) >= ex[key]                                   # rounded up
            assert Fraction(v) <= ex[key] * (1 + Fraction(1, 2 ** 50))      # and tight
    assert seed.C2 == seed.C2_seed and fr.C2 == fr.C2_foucart_rauhut and seed.C1 == fr.C1
    assert ex["C2_fr"] <= ex["C2_seed"] and fr.C2 <= seed.C2                # (3+ρ) ≤ (3ρ+5)
    # λ_max = C1/(√s C2) follows the selected form, rounded down
    for c, key in ((seed, "C2_seed"), (fr, "C2_fr")):
        lm = c.lambda_max(4)
        assert Fraction(lm) <= ex["C1"] / (2 * ex[key]) and lm > 0.999999 * float(ex["C1"] / (2 * ex[key]))
    assert fr.lambda_max(4) >= seed.lambda_max(4)


def test_constants_argument_is_validated():
    for bad in ("sharp", "", None, 1, "SEED", "levels"):
        with pytest.raises(InvalidArgument):
            recovery_constants(0.5, 1.0, constants=bad)
    for bad in ("sharp", "", 1, "SEED", "levels"):        # None: the default form; "levels" needs levels=
        with pytest.raises(InvalidArgument):
            check_recovery_bound(np.eye(3)[:2], np.eye(3)[0], np.zeros(2), 0.1, s=1, rho=0.5, gamma=1.0,
                                 constants=bad)


def _fraction_bound(A: np.ndarray, x: np.ndarray, y: np.ndarray, s: int, lam: float, C1: Fraction,
                    C2: Fraction) -> tuple[Fraction, Fraction]:
    """Lower and upper Fraction bracket of Theorem 1's bound (only ‖e‖ needs a square root)."""
    e = [Fraction(float(y[i])) - sum(Fraction(float(A[i, j])) * Fraction(float(x[j])) for j in range(A.shape[1]))
         for i in range(A.shape[0])]
    e2 = sum(t * t for t in e)
    lo_e = Fraction(math.sqrt(float(e2))) * (1 - Fraction(1, 2 ** 40))
    hi_e = Fraction(math.sqrt(float(e2))) * (1 + Fraction(1, 2 ** 40))
    assert lo_e * lo_e <= e2 <= hi_e * hi_e
    sigma = sum(sorted((abs(Fraction(float(v))) for v in x), reverse=True)[s:])
    rs = Fraction(math.isqrt(s)) if math.isqrt(s) ** 2 == s else None
    assert rs is not None
    lamf = Fraction(lam)
    return tuple(2 * C1 * sigma / rs + (C1 / (rs * lamf) + C2) * en for en in (lo_e, hi_e))  # type: ignore


def test_bound_holds_with_both_forms_on_certified_instances_and_matches_fractions():
    A = _gaussian(10, 12, seed=4)
    rho = 0.8
    g = rnsp_gamma(A, 1, rho, method="exact", progress=False)
    assert g.holds and g.upper_rigor is Rigor.PROVEN and math.isfinite(g.upper)
    rng = np.random.default_rng(5)
    for t in range(2):
        x = np.zeros(12)
        x[t], x[5 + t] = 1.0, 0.02
        e = 1e-3 * rng.standard_normal(10)
        lam = 0.5 * recovery_constants(rho, g).lambda_max(1)   # admissible for both forms
        res = {}
        for form in ("seed", "foucart-rauhut"):
            r = check_recovery_bound(A, x, e, lam, s=1, rho=rho, gamma=g, constants=form)
            assert r.outcome is Outcome.HOLDS and r.rigor is Rigor.PROVEN, r.message
            assert r.values["constants"] == form and form in r.message
            ex = _exact(Fraction(rho), Fraction(g.upper))
            C2 = ex["C2_seed"] if form == "seed" else ex["C2_fr"]
            lo, hi = _fraction_bound(A, x, r.witness.data["y"], 1, lam, ex["C1"], C2)
            # the saved lower side of the bound lies below the exact bound's upper bracket, and the value agrees
            assert Fraction(r.values["bound_lower"]) <= hi and float(hi) == pytest.approx(r.values["bound"], rel=1e-11)
            assert Fraction(r.values["error_upper"]) <= lo           # the theorem, checked with exact numbers
            res[form] = r
        assert res["foucart-rauhut"].values["bound"] <= res["seed"].values["bound"]
        assert res["foucart-rauhut"].values["error"] == res["seed"].values["error"]


def test_lambda_admissible_for_the_sharper_form_only_is_refused_with_the_seed_constants():
    rho, gamma = 0.5, 1.0
    seed, fr = recovery_constants(rho, gamma), recovery_constants(rho, gamma, constants="foucart-rauhut")
    lam = 0.5 * (seed.lambda_max(1) + fr.lambda_max(1))
    A = np.eye(4)[:3]
    x = np.eye(4)[0]
    check_recovery_bound(A, x, np.zeros(3), lam, s=1, rho=rho, gamma=gamma, constants="foucart-rauhut")
    with pytest.raises(PreconditionError):
        check_recovery_bound(A, x, np.zeros(3), lam, s=1, rho=rho, gamma=gamma)


def test_claim_names_the_float64_matrix_and_an_operator_verifies_as_its_dense_matrix():
    mask = np.zeros(8, dtype=bool)
    mask[[0, 1, 2, 3, 5, 6]] = True
    A = SubsampledDCT(mask)                           # irrational entries: the claim is about fl(C)
    x = np.zeros(8)
    x[1] = 1.0
    r = check_recovery_bound(A, x, 1e-4 * np.ones(6), 0.01, s=1, rho=0.9, gamma=3.0)
    assert "float64 matrix A as given" in r.message and "float64 matrix A" in r.theorem
    assert np.array_equal(r.witness.data["A"], np.asarray(A.to_dense(), dtype=float))
    v = verify_result(r)
    assert v.holds, v.message


def _edited(r: CheckResult, **data: object) -> CheckResult:
    assert r.witness is not None
    return dataclasses.replace(r, witness=Witness(r.witness.kind, {**r.witness.data, **data}))


def test_recovery_bound_verifier_rederives_every_field():
    A = _gaussian(7, 8, seed=0)
    x = np.eye(8)[2] + 0.01 * np.eye(8)[5]
    r = check_recovery_bound(A, x, 1e-3 * np.ones(7), 0.05, s=1, rho=0.8, gamma=2.0)
    assert verify_result(r).holds
    forged = [
        dataclasses.replace(r, outcome=Outcome.VIOLATED),
        dataclasses.replace(r, rigor=Rigor.NUMERICAL),
        dataclasses.replace(r, message=r.message + "!"),
        dataclasses.replace(r, values={**r.values, "bound": float(np.nextafter(r.values["bound"], 0))}),
        dataclasses.replace(r, values={**r.values, "constants": "foucart-rauhut"}),
        _edited(r, constants="foucart-rauhut"),
        _edited(r, gamma=2.5),
        _edited(r, s=2),
        _edited(r, x=x + 1e-3),
        _edited(r, A=A[:, :7]),
        _edited(r, W_used=True),
        _edited(r, rho=1.5),
        _edited(r, dps=10 ** 9),
    ]
    for f in forged:
        v = verify_result(f)
        assert not v.holds, f
