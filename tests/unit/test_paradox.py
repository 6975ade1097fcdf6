"""Paradox II constructions (seed 002 Theorems 2(i) and 3(ii)) against independent exact computation.

Ground truth: measurements, distances and norms in ``fractions.Fraction`` from the float64
entries; ``c_opt`` of a finite set with exact fibres recomputed by brute force (group the points
by their exact measurement, Chebyshev radius of each fibre: 0 for a singleton, half the
distance for a pair).
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np
import pytest

from theorycheck.errors import InvalidArgument, PreconditionError, TheorycheckError
from theorycheck.instability.optimal_map import ParadoxSets, build_paradox_sets, verify_paradox_sets
from theorycheck.results import Outcome, Rigor, Witness, verify_result


def _F(v: np.ndarray) -> list[Fraction]:
    return [Fraction(float(a)) for a in np.asarray(v).reshape(-1)]


def _meas(A: np.ndarray, x: np.ndarray) -> tuple[Fraction, ...]:
    xf = _F(x)
    return tuple(sum((Fraction(float(a)) * b for a, b in zip(row, xf)), Fraction(0)) for row in A)


def _dist2(p: np.ndarray, q: np.ndarray) -> Fraction:
    return sum(((a - b) ** 2 for a, b in zip(_F(p), _F(q))), Fraction(0))


def _sqrt_bracket(q: Fraction) -> tuple[Fraction, Fraction]:
    r = Fraction(math.sqrt(float(q)))
    lo, hi = r * (1 - Fraction(1, 2 ** 45)), r * (1 + Fraction(1, 2 ** 45))
    assert lo * lo <= q <= hi * hi
    return lo, hi


def _c_opt_exact_fibres(A: np.ndarray, pts: np.ndarray) -> Fraction:
    """c_opt² for η = 0 when every fibre has at most two points (else fail: not covered here)."""
    fibres: dict[tuple[Fraction, ...], list[int]] = {}
    for i, p in enumerate(pts):
        fibres.setdefault(_meas(A, p), []).append(i)
    best = Fraction(0)
    for idx in fibres.values():
        assert len(idx) <= 2
        if len(idx) == 2:
            best = max(best, _dist2(pts[idx[0]], pts[idx[1]]) / 4)
    return best


EXACT_MATRICES = [
    np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]]),
    np.array([[1.0, 0.0, 0.0]]),
    np.array([[0.5, -0.25, 3.0, 1.0], [2.0, 1.0, 0.0, -1.0], [1.0, 1.0, 1.0, 1.0]]),
    np.array([[1, 1, 1, 1], [1, -1, 1, -1]], dtype=float) / 2,          # two rows of a Hadamard matrix
]


@pytest.mark.parametrize("A", EXACT_MATRICES)
@pytest.mark.parametrize("K,delta", [(2, 0.2), (5, 0.1), (9, 0.2)])
def test_exact_kernel_constructions_against_fractions(A, K, delta):
    r = build_paradox_sets(A, K, delta)
    assert isinstance(r, ParadoxSets) and r.holds and r.rigor is Rigor.PROVEN and r.values["eta"] == 0.0
    T, Z = r.training_domain, r.nonexistence_domain
    assert T.shape == (K + 1, A.shape[1]) and Z.shape == (K, A.shape[1]) and r.training_set == tuple(range(K))
    # distinct points in the closed unit ball
    assert len({tuple(_F(p)) for p in T}) == K + 1 and len({tuple(_F(p)) for p in Z}) == K
    assert all(sum(v * v for v in _F(p)) <= 1 for p in (*T, *Z))
    # (i): x* has exactly the measurement of the training input x0; c_opt by brute force
    assert _meas(A, T[K]) == _meas(A, T[0])
    c2 = _c_opt_exact_fibres(A, T)
    c_lo, c_hi = _sqrt_bracket(c2)
    assert Fraction(r.values["c_opt_lower"]) <= c_hi and c_lo <= Fraction(r.values["c_opt_upper"])
    d_lo, d_hi = _sqrt_bracket(_dist2(T[K], T[0]))
    assert d_lo - Fraction(delta) > c_hi                         # every δ-accurate map is worse than c_opt
    # the proven margin is a lower bound of the exact one, and close to it
    assert Fraction(r.values["margin_training"]) <= d_hi - Fraction(delta) - c_lo
    assert Fraction(r.values["margin_training"]) >= d_lo - Fraction(delta) - c_hi - Fraction(1, 10 ** 12)
    # (ii): two points with one measurement, more than 2δ apart
    assert _meas(A, Z[0]) == _meas(A, Z[1])
    assert _dist2(Z[0], Z[1]) > (2 * Fraction(delta)) ** 2
    assert Fraction(r.values["margin_nonexistence"]) ** 2 < _dist2(Z[0], Z[1])


def test_delta_accurate_maps_are_worse_than_the_chebyshev_centre_map():
    A = EXACT_MATRICES[0]
    r = build_paradox_sets(A, 4, 0.2)
    T = r.training_domain
    rng = np.random.default_rng(0)
    c_opt = r.values["c_opt_upper"]
    for _ in range(50):                              # any answer within δ of x0 for the shared measurement
        d = rng.standard_normal(3)
        z = T[0] + 0.2 * rng.uniform() * d / np.linalg.norm(d)
        assert np.linalg.norm(z - T[0]) <= 0.2 + 1e-15
        assert np.linalg.norm(z - T[-1]) > c_opt
    mid = (T[0] + T[-1]) / 2                         # the optimal (Chebyshev-centre) answer attains c_opt
    assert max(np.linalg.norm(mid - T[0]), np.linalg.norm(mid - T[-1])) == pytest.approx(r.values["c_opt"])
    assert max(np.linalg.norm(mid - T[0]), np.linalg.norm(mid - T[-1])) > 0.2   # ... and is not δ-accurate on T


def test_generic_matrix_uses_a_proven_noise_level():
    A = np.random.default_rng(3).standard_normal((4, 9))
    r = build_paradox_sets(A, 6, 0.15, radius=0.8)
    assert r.holds and r.values["eta"] > 0 and not r.values["exact_kernel"] and "noise" in r.message
    T, Z = r.training_domain, r.nonexistence_domain
    eta = Fraction(r.values["eta"])
    gap2 = sum((a - b) ** 2 for a, b in zip(_meas(A, T[-1]), _meas(A, T[0])))
    assert gap2 <= eta * eta                                  # x0's measurement is admissible for x*
    gap2 = sum((a - b) ** 2 for a, b in zip(_meas(A, Z[1]), _meas(A, Z[0])))
    assert gap2 <= eta * eta
    # the other points are singleton "η-fibres": every other pair is more than 2η apart in measurement
    for i in range(1, 6):
        for j in range(i + 1, 7):
            g2 = sum((a - b) ** 2 for a, b in zip(_meas(A, T[i]), _meas(A, T[j])))
            assert g2 > 4 * eta * eta
    d_lo, _ = _sqrt_bracket(_dist2(T[-1], T[0]))
    _, c_hi = _sqrt_bracket(_dist2(T[-1], T[0]) / 4)
    assert d_lo - Fraction(0.15) > c_hi
    assert r.values["c_opt_upper"] >= float(_sqrt_bracket(_dist2(T[-1], T[0]) / 4)[0])


@pytest.mark.parametrize("kw,err", [
    ({"delta": 0.21}, PreconditionError), ({"delta": 0.0}, TheorycheckError), ({"delta": -0.1}, TheorycheckError),
    ({"delta": math.nan}, InvalidArgument), ({"K": 1}, InvalidArgument), ({"K": 256}, InvalidArgument),
    ({"K": 2.5}, InvalidArgument), ({"radius": 0.3}, InvalidArgument), ({"radius": 1.5}, InvalidArgument),
    ({"A": np.eye(3)}, InvalidArgument), ({"A": np.zeros((1, 3))}, InvalidArgument),
    ({"A": np.array([[1j, 0, 0]])}, InvalidArgument), ({"A": "A"}, InvalidArgument),
    ({"A": np.array([[np.nan, 0, 0]])}, InvalidArgument), ({"A": np.ones(3)}, InvalidArgument),
])
def test_bad_arguments_are_refused(kw, err):
    args = {"A": np.array([[1.0, 0.0, 0.0]]), "K": 3, "delta": 0.2, **kw}
    with pytest.raises(err):
        build_paradox_sets(args.pop("A"), args.pop("K"), args.pop("delta"), **args)


def _edit(r: ParadoxSets, **data: object) -> ParadoxSets:
    assert r.witness is not None
    return dataclasses.replace(r, witness=Witness(r.witness.kind, {**r.witness.data, **data}))


def test_verifier_rederives_every_claim_and_rejects_edits():
    A = EXACT_MATRICES[0]
    r = build_paradox_sets(A, 3, 0.2)
    assert verify_result(r).holds and verify_paradox_sets(r).holds
    T, Z = r.training_domain, r.nonexistence_domain
    T2 = T.copy()
    T2[-1] = T[-1] * 1.0000001
    Zfar = Z.copy()
    Zfar[1] = Z[0] + 0.1 * (Z[1] - Z[0])
    forged = [
        dataclasses.replace(r, outcome=Outcome.VIOLATED), dataclasses.replace(r, rigor=Rigor.NUMERICAL),
        dataclasses.replace(r, message=r.message + " "),
        dataclasses.replace(r, values={**r.values, "margin_training": np.nextafter(r.values["margin_training"], 9)}),
        dataclasses.replace(r, margin_nonexistence=r.margin_nonexistence + 1e-9),
        dataclasses.replace(r, training_set=(0, 1)),
        _edit(r, delta=0.19), _edit(r, delta=0.5), _edit(r, eta=1e-3), _edit(r, eta=-1.0),
        _edit(r, training_domain=T2), _edit(r, nonexistence_domain=Zfar), _edit(r, A=A[:, :2]),
        _edit(r, training_domain=T[:2]), _edit(r, A="matrix"),
    ]
    for f in forged:
        assert not verify_result(f).holds


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_full_radius_points_stay_in_the_closed_unit_ball_exactly(seed):
    # regression: a float kernel direction scaled to norm 1 in float64 may exceed 1 by an ulp in exact arithmetic
    A = np.random.default_rng(seed).standard_normal((4, 10))
    r = build_paradox_sets(A, 5, 0.2)
    assert r.holds
    assert all(sum(v * v for v in _F(p)) <= 1 for p in (*r.training_domain, *r.nonexistence_domain))
