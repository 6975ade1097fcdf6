"""theorycheck.rnsp: RIP, NSP and rNSP constants, recovery theorems, phase transition.

Known answers are closed forms computed independently of the code under test:
a matrix whose kernel is spanned by one vector ``v`` has
``α_k = (sum of the k largest |v_i|)/‖v‖₁``; ``A = I`` has ``γ(ρ) = 1``; a
matrix with orthonormal columns has ``δ_s = 0``; two equal unit columns give
``δ_2 = 1``. Brute-force baselines (a per-support eigenvalue loop, one LP per
support and sign with scipy) check the enumerations.
"""

from __future__ import annotations

import itertools
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from theorycheck.errors import InvalidArgument, PreconditionError
from theorycheck.results import CheckResult, Outcome, Rigor
from theorycheck.rnsp import (
    RIP_THRESHOLD,
    check_kernel_awareness,
    check_recovery_bound,
    donoho_tanner,
    empirical_phase_transition,
    nsp_constant,
    recovery_constants,
    rip_constant,
    rnsp_from_rip,
    rnsp_gamma,
    search_rnsp_violation,
)


def one_dim_kernel(v: np.ndarray, seed: int = 0) -> np.ndarray:
    """A ``(n−1)×n`` matrix whose kernel is spanned by ``v`` (rows: an orthonormal basis of v^⊥)."""
    rng = np.random.default_rng(seed)
    n = v.size
    M = np.column_stack([v, rng.standard_normal((n, n - 1)) + (1j * rng.standard_normal((n, n - 1))
                                                                 if np.iscomplexobj(v) else 0)])
    Q, _ = np.linalg.qr(M)
    return Q[:, 1:].conj().T


def alpha_closed_form(v: np.ndarray, k: int) -> float:
    a = np.sort(np.abs(v))[::-1]
    return float(a[:k].sum() / a.sum())


def gaussian(m: int, N: int, seed: int, cplx: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N))
    if cplx:
        A = A + 1j * rng.standard_normal((m, N))
    return A / math.sqrt(m * (2 if cplx else 1))


# --------------------------------------------------------------------------------------
# α_k
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["enumerate", "milp", "lp-bound"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_alpha_closed_form_real(method, k):
    v = np.array([3.0, -1.0, 0.5, 2.0, -0.25, 1.5])
    A = one_dim_kernel(v)
    exact = alpha_closed_form(v, k)
    r = nsp_constant(A, k, method=method, progress=False)
    assert r.lower <= exact <= r.upper
    assert r.upper - r.lower < 1e-9
    assert r.value == r.upper
    assert r.lower_rigor is Rigor.PROVEN
    assert r.upper_rigor is (Rigor.PROVEN if method != "milp" else r.upper_rigor)
    z = r.witness["kernel_vector"]
    assert np.linalg.norm(A @ z) <= 1e-10 * np.abs(z).sum()


@pytest.mark.parametrize("k", [1, 2, 3])
def test_alpha_closed_form_complex(k):
    rng = np.random.default_rng(5)
    v = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    A = one_dim_kernel(v, seed=1)
    assert np.linalg.norm(A @ v) < 1e-12
    exact = alpha_closed_form(v, k)
    r = nsp_constant(A, k, progress=False)
    assert r.lower <= exact <= r.upper
    assert r.upper - r.lower < 1e-7
    assert r.rigor is Rigor.PROVEN


def test_alpha_matches_bruteforce_lp_enumeration():
    from scipy.optimize import linprog

    A = gaussian(5, 8, seed=2)
    m, N = A.shape
    k = 3
    brute = 0.0
    for K in itertools.combinations(range(N), k):
        for sg in itertools.product([1.0, -1.0], repeat=k - 1):
            c = np.zeros(N)
            c[list(K)] = (1.0,) + sg
            res = linprog(-np.r_[c, -c], A_ub=np.ones((1, 2 * N)), b_ub=[1.0],
                          A_eq=np.hstack([A, -A]), b_eq=np.zeros(m), bounds=(0, None))
            brute = max(brute, -res.fun)
    for method in ("enumerate", "milp"):
        r = nsp_constant(A, k, method=method, progress=False)
        assert r.lower <= brute + 1e-9 and brute <= r.upper + 1e-9, method
        assert r.upper - r.lower < 1e-8
    lp = nsp_constant(A, k, method="lp-bound", progress=False)
    assert lp.lower <= brute + 1e-9 <= lp.upper + 2e-9


def test_nsp_outcome_decides_nsp():
    v = np.array([3.0, 1, 1, 1, 1, 1])      # α_1 = 3/8, α_3 = 5/8
    A = one_dim_kernel(v)
    assert nsp_constant(A, 1, progress=False).outcome is Outcome.HOLDS
    r3 = nsp_constant(A, 3, progress=False)
    assert r3.outcome is Outcome.VIOLATED and r3.lower >= 0.5


def test_nsp_callback_and_json_round_trip():
    seen = []
    r = nsp_constant(gaussian(4, 7, seed=3), 2, progress=False, callback=seen.append)
    assert seen and seen[-1]["alpha_lower"] <= r.upper + 1e-12
    back = CheckResult.from_json(r.to_json())
    assert back == r and back.lower == r.lower and back.lower_rigor is r.lower_rigor


def test_nsp_refuses_huge_enumeration():
    A = gaussian(100, 200, seed=0)
    with pytest.raises(InvalidArgument, match=r"lp-bound") as exc:
        nsp_constant(A, 4, method="enumerate", progress=False)
    assert "patterns" in str(exc.value) and "," in str(exc.value)


def test_nsp_complex_enumeration_refused():
    with pytest.raises(InvalidArgument, match="lp-bound"):
        nsp_constant(gaussian(3, 5, 0, cplx=True), 2, method="enumerate", progress=False)


# --------------------------------------------------------------------------------------
# δ_s
# --------------------------------------------------------------------------------------

def _rip_loop(A: np.ndarray, s: int) -> float:
    G = A.conj().T @ A
    best = 0.0
    for S in itertools.combinations(range(A.shape[1]), s):
        w = np.linalg.eigvalsh(G[np.ix_(S, S)])
        best = max(best, w[-1] - 1, 1 - w[0])
    return best


@pytest.mark.parametrize("cplx", [False, True])
def test_rip_exact_matches_loop(cplx):
    A = gaussian(8, 12, seed=4, cplx=cplx)
    loop = _rip_loop(A, 3)
    r = rip_constant(A, 3, method="exact", progress=False)
    assert r.lower <= loop + 1e-12 and loop <= r.upper + 1e-12
    assert r.upper - r.lower < 1e-10
    assert r.rigor is Rigor.PROVEN
    S, x = r.witness["support"], r.witness["vector"]
    q = np.linalg.norm(A[:, S] @ x) ** 2 / np.linalg.norm(x) ** 2
    assert abs(abs(q - 1) - r.lower) < 1e-12
    b = rip_constant(A, 3, method="bounds", progress=False)
    assert b.lower <= r.upper + 1e-12 and r.lower <= b.upper + 1e-12
    assert b.rigor is Rigor.PROVEN


def test_rip_known_answers():
    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 4)))
    r = rip_constant(Q, 2, progress=False)
    assert r.upper < 1e-12
    a = np.array([1.0, 2.0, 2.0]) / 3
    A = np.column_stack([a, a, [1.0, 0, 0]])     # two equal unit columns: eigenvalues 0 and 2
    r = rip_constant(A, 2, progress=False)
    assert r.lower <= 1.0 <= r.upper and r.upper - r.lower < 1e-12


def test_rip_executor_same_answer_and_refusal():
    A = gaussian(6, 10, seed=5)
    serial = rip_constant(A, 3, method="exact", progress=False)
    with ThreadPoolExecutor(2) as ex:
        par = rip_constant(A, 3, method="exact", progress=False, executor=ex)
    assert par.lower == serial.lower and par.upper == serial.upper
    with pytest.raises(InvalidArgument, match=r"method='bounds'") as exc:
        rip_constant(gaussian(30, 200, seed=0), 6, method="exact", max_seconds=1.0, progress=False)
    assert "supports" in str(exc.value)
    auto = rip_constant(gaussian(30, 200, seed=0), 6, max_seconds=1.0, progress=False)
    assert auto.method == "bounds" and auto.lower <= auto.upper


def test_process_pool_gives_the_serial_results_claim_for_claim():
    """executor="processes" (a local process pool) changes nothing: every claim equals the serial run's."""
    from theorycheck.results import claim_mismatches, verify_result

    A = gaussian(6, 9, seed=5)
    runs = [
        lambda ex: rip_constant(A, 3, method="exact", progress=False, executor=ex),
        lambda ex: rnsp_gamma(gaussian(7, 8, seed=0), 1, 0.9, method="exact", progress=False, executor=ex),
        lambda ex: empirical_phase_transition(12, [0.5], [0.1, 0.9], trials=2, seed=5, progress=False,
                                              executor=ex),
    ]
    for run in runs:
        serial, pooled = run(None), run("processes")
        assert claim_mismatches(serial, pooled) == []
        assert verify_result(pooled).holds
    # an executor that is neither None, "processes" nor has submit() is refused before any work
    for bad in ("threads", 3, object()):
        with pytest.raises(InvalidArgument, match="executor"):
            rip_constant(A, 2, method="bounds", progress=False, executor=bad)
        with pytest.raises(InvalidArgument, match="executor"):
            rnsp_gamma(A, 1, 0.9, method="bounds", restarts=1, progress=False, executor=bad)
        with pytest.raises(InvalidArgument, match="executor"):
            empirical_phase_transition(12, [0.5], [0.5], trials=1, progress=False, executor=bad)


def test_rip_with_unitary_W_and_non_unitary_W():
    A = gaussian(5, 7, seed=6)
    Q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((7, 7)))
    r = rip_constant(A, 2, W=Q, progress=False)
    ref = rip_constant(A @ Q.T, 2, progress=False)
    assert abs(r.upper - ref.upper) < 1e-12
    assert r.rigor is Rigor.CERTIFIED_FLOAT64
    with pytest.raises(PreconditionError, match="unitary"):
        rip_constant(A, 2, W=2 * Q, progress=False)


# --------------------------------------------------------------------------------------
# γ(ρ)
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("s", [1, 2])
def test_gamma_identity_is_one(s):
    r = rnsp_gamma(np.eye(4), s, 0.5, progress=False)
    assert r.lower <= 1.0 + 1e-12 and 1.0 <= r.upper <= 1.03
    assert r.outcome is Outcome.HOLDS and r.rigor is Rigor.PROVEN


def test_gamma_levels_weights_identity():
    r = rnsp_gamma(np.eye(4), [1, 1], 0.5, levels=[(0, 2), (2, 4)], weights=[1.0, 2.0], progress=False)
    assert r.lower <= 1.0 + 1e-12 <= r.upper + 1e-12 and r.upper <= 1.03
    assert r.values["xi"] == pytest.approx(5.0)


def test_gamma_levels_weights_inequality_holds_on_samples():
    A = gaussian(13, 16, seed=0)
    levels, s, w, rho = [(0, 8), (8, 16)], [1, 1], np.r_[np.ones(8), 2.0 * np.ones(8)], 0.9
    r = rnsp_gamma(A, s, rho, levels=levels, weights=[1.0, 2.0], progress=False)
    assert r.outcome is Outcome.HOLDS and r.lower <= r.upper <= 1.05 * r.lower
    xi = 1.0 * 1 + 4.0 * 1
    rng = np.random.default_rng(3)
    worst = -np.inf
    for _ in range(2000):
        v = rng.standard_normal(16) * (rng.random(16) < 0.4)
        if not v.any():
            continue
        a = np.abs(v)
        D = [int(np.argmax(a[:8])), 8 + int(np.argmax(a[8:]))]
        mask = np.ones(16, bool)
        mask[D] = False
        num = np.linalg.norm(v[D]) - rho / np.sqrt(xi) * np.sum(w[mask] * a[mask])
        worst = max(worst, num / np.linalg.norm(A @ v))
    assert worst <= r.upper


def _max_sampled_ratio(A, s, rho, rng, trials=3000):
    N = A.shape[1]
    worst = -np.inf
    for _ in range(trials):
        v = rng.standard_normal(N) * (rng.random(N) < 0.4)
        if not v.any():
            continue
        a = np.abs(v)
        S = np.argsort(-a)[:s]
        mask = np.ones(N, bool)
        mask[S] = False
        worst = max(worst, (np.linalg.norm(v[S]) - rho / np.sqrt(s) * a[mask].sum()) / np.linalg.norm(A @ v))
    return worst


@pytest.mark.parametrize("s,rho", [(1, 0.8), (2, 0.9)])
def test_gamma_interval_is_sound(s, rho):
    A = gaussian(13, 16, seed=0)
    r = rnsp_gamma(A, s, rho, progress=False)
    assert r.outcome is Outcome.HOLDS and r.rigor is Rigor.PROVEN
    assert r.lower <= r.upper <= r.lower * (1.05 if s > 1 else 1 + 1e-6)
    # the rNSP inequality holds with the certified γ on sampled vectors
    assert _max_sampled_ratio(A, s, rho, np.random.default_rng(1)) <= r.upper
    # the witness attains the lower bound
    v, S = r.witness["v"], r.witness["support"]
    mask = np.ones(A.shape[1], bool)
    mask[S] = False
    R = (np.linalg.norm(v[S]) - rho / np.sqrt(s) * np.abs(v[mask]).sum()) / np.linalg.norm(A @ v)
    assert R >= r.lower * (1 - 1e-9)


def test_gamma_constant_weights_match_unweighted():
    A = gaussian(13, 16, seed=0)
    plain = rnsp_gamma(A, 1, 0.8, progress=False)
    weighted = rnsp_gamma(A, 1, 0.8, weights=2.0 * np.ones(16), progress=False)   # τ = ρ·2/√(4s) = ρ/√s
    assert weighted.lower == pytest.approx(plain.lower, rel=1e-9)
    assert weighted.upper == pytest.approx(plain.upper, rel=1e-9)


def test_gamma_is_infinite_when_stable_nsp_fails():
    v = np.r_[1.0, 0.01 * np.ones(5)]
    A = one_dim_kernel(v)
    r = rnsp_gamma(A, 1, 0.5, progress=False)
    assert r.outcome is Outcome.VIOLATED and r.value == math.inf and r.lower == math.inf
    w = r.witness["v"]
    assert np.linalg.norm(A @ w) < 1e-10 * np.linalg.norm(w)
    S = r.witness["support"]
    mask = np.ones(6, bool)
    mask[S] = False
    assert np.linalg.norm(w[S]) > 0.5 * np.abs(w[mask]).sum()
    sv = search_rnsp_violation(A, 1, 0.5, 1e6, seed=0, progress=False, restarts=4)
    assert sv.outcome is Outcome.VIOLATED and sv.values["kernel"]


def test_search_violation_below_lower_and_not_above_upper():
    A = gaussian(13, 16, seed=0)
    r = rnsp_gamma(A, 1, 0.8, progress=False)
    bad = search_rnsp_violation(A, 1, 0.8, 0.98 * r.lower, seed=0, progress=False, restarts=10)
    assert bad.outcome is Outcome.VIOLATED and bad.rigor is Rigor.PROVEN
    v, S = bad.witness["v"], bad.witness["support"]
    mask = np.ones(16, bool)
    mask[S] = False
    assert np.linalg.norm(v[S]) > 0.8 * np.abs(v[mask]).sum() + 0.98 * r.lower * np.linalg.norm(A @ v)
    ok = search_rnsp_violation(A, 1, 0.8, 1.01 * r.upper, seed=0, progress=False, restarts=6)
    assert ok.outcome is Outcome.INCONCLUSIVE and ok.rigor is Rigor.NUMERICAL
    again = search_rnsp_violation(A, 1, 0.8, 1.01 * r.upper, seed=0, progress=False, restarts=6)
    assert again.values["ratio"] == ok.values["ratio"]


def test_gamma_complex_s1():
    A = gaussian(6, 8, seed=3, cplx=True)
    r = rnsp_gamma(A, 1, 0.9, progress=False)
    if r.outcome is Outcome.HOLDS:
        assert r.lower <= r.upper <= r.lower * (1 + 1e-6)
    else:
        assert r.outcome is Outcome.VIOLATED


def test_gamma_exact_refused_and_bounds():
    A = gaussian(40, 60, seed=0)
    with pytest.raises(InvalidArgument, match="method='bounds'"):
        rnsp_gamma(A, 3, 0.9, method="exact", max_seconds=1.0, progress=False)
    b = rnsp_gamma(gaussian(13, 16, seed=0), 2, 0.9, method="bounds", restarts=6, progress=False)
    assert b.lower <= b.upper and b.method == "bounds"


# --------------------------------------------------------------------------------------
# constants and theorems
# --------------------------------------------------------------------------------------

def test_rnsp_from_rip_and_recovery_constants():
    d = 0.4
    rho, gamma = rnsp_from_rip(d)
    den = math.sqrt(1 - d * d) - d / 4
    assert rho == pytest.approx(d / den, rel=1e-15) and rho >= d / den
    assert gamma == pytest.approx(math.sqrt(1 + d) / den, rel=1e-15)
    with pytest.raises(PreconditionError) as exc:
        rnsp_from_rip(0.7)
    assert exc.value.margin == pytest.approx(0.7 - RIP_THRESHOLD)
    c = recovery_constants(0.3, 2.0)                   # default: the seed's literal constants (10)
    assert c.constants == "seed" and c.C2 == c.C2_seed
    assert c.C1 == pytest.approx(1.3 ** 2 / 0.7) and c.C2_foucart_rauhut == pytest.approx(3.3 * 2 / 0.7)
    assert c.C2_seed == pytest.approx(5.9 * 2 / 0.7)
    assert c.sparse_pair == pytest.approx(math.sqrt(2) * 2 / 0.7) and c.sparse_pair <= c.sparse_pair_seed
    assert c.lambda_max(4) == pytest.approx(c.C1 / (2 * c.C2))


def test_check_recovery_bound_holds_violates_and_precondition():
    A = gaussian(13, 16, seed=0)
    g = rnsp_gamma(A, 1, 0.8, progress=False)
    x = np.zeros(16)
    x[3], x[7] = 1.0, 0.05
    e = 1e-3 * np.random.default_rng(2).standard_normal(13)
    r = check_recovery_bound(A, x, e, 0.4, s=1, rho=0.8, gamma=g, constants="foucart-rauhut")
    assert r.outcome is Outcome.HOLDS and r.rigor is Rigor.PROVEN
    assert 0 < r.values["tightness"] < 1 and r.values["error"] <= r.values["bound"]
    # bogus constants: a huge λ is admissible and the bound fails, disproving (ρ, γ)
    bad = check_recovery_bound(A, x, e, 100.0, s=1, rho=0.01, gamma=1e-3)
    assert bad.outcome is Outcome.VIOLATED and "NOT" in bad.message
    with pytest.raises(PreconditionError) as exc:
        check_recovery_bound(A, x, e, 0.9, s=1, rho=0.8, gamma=g)
    assert exc.value.margin > 0


def test_check_kernel_awareness():
    A = gaussian(13, 16, seed=0)
    x, z = np.eye(16)[2], -0.5 * np.eye(16)[5]
    ok = check_kernel_awareness(A, x, z, rho=0.8, gamma=1.7, bound="sharp")
    assert ok.holds and ok.rigor is Rigor.PROVEN
    assert ok.values["K_sharp"] <= ok.values["K_seed"]
    bad = check_kernel_awareness(A, x, z, rho=0.8, gamma=0.01)
    assert bad.violated
    with pytest.raises(PreconditionError):
        check_kernel_awareness(A, x + np.eye(16)[9], z, rho=0.8, gamma=1.0, s=1)


# --------------------------------------------------------------------------------------
# phase transition
# --------------------------------------------------------------------------------------

def test_donoho_tanner_known_value_and_monotone():
    assert donoho_tanner(0.5) == pytest.approx(0.3857, abs=5e-4)
    vals = donoho_tanner([0.1, 0.3, 0.5, 0.7, 0.9])
    assert vals.shape == (5,) and np.all(np.diff(vals) > 0)
    with pytest.raises(InvalidArgument):
        donoho_tanner(1.2)


def test_empirical_phase_transition_deterministic(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    kw = dict(trials=3, seed=7, progress=False)
    a = empirical_phase_transition(24, [0.5], [0.1, 0.9], **kw)
    with ThreadPoolExecutor(2) as ex:
        b = empirical_phase_transition(24, [0.5], [0.1, 0.9], executor=ex, **kw)
    assert np.array_equal(a.probability, b.probability)
    assert a.probability[0, 0] >= a.probability[0, 1]
    assert a.rigor is Rigor.NUMERICAL
    a.plot(path=str(tmp_path / "pt.png"))
    assert (tmp_path / "pt.png").stat().st_size > 0


def test_saved_results_verify():
    from theorycheck.results import verify_result

    A = gaussian(13, 16, seed=0)
    B = one_dim_kernel(np.r_[1.0, 0.01 * np.ones(5)])
    results = [rip_constant(A, 2, progress=False), nsp_constant(A, 2, progress=False),
               rnsp_gamma(A, 1, 0.8, progress=False), rnsp_gamma(B, 1, 0.5, progress=False),
               search_rnsp_violation(A, 1, 0.8, 1.0, progress=False, restarts=4),
               check_kernel_awareness(A, np.eye(16)[0], np.eye(16)[1], rho=0.8, gamma=2.0)]
    for r in results:
        v = verify_result(CheckResult.from_json(r.to_json()))
        assert v.outcome is Outcome.HOLDS, (r.check, v.message)
    # a tampered lower bound is caught
    import dataclasses

    bad = dataclasses.replace(results[1], lower=results[1].lower + 0.01)
    assert verify_result(CheckResult.from_json(bad.to_json())).outcome is Outcome.VIOLATED


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda A: rip_constant(A, 0, progress=False),
    lambda A: rip_constant(A, 9, progress=False),
    lambda A: nsp_constant(A, -1, progress=False),
    lambda A: nsp_constant(A, 9, progress=False),
    lambda A: rnsp_gamma(A, 0, 0.5, progress=False),
    lambda A: rnsp_gamma(A, 9, 0.5, progress=False),
    lambda A: rnsp_gamma(A, 1, 1.0, progress=False),
    lambda A: rnsp_gamma(A, 1, 0.0, progress=False),
    lambda A: rnsp_gamma(A, 1, float("nan"), progress=False),
    lambda A: search_rnsp_violation(A, 1, 0.5, -1.0, progress=False),
    lambda A: recovery_constants(1.5, 1.0),
    lambda A: rnsp_from_rip(float("nan")),
    lambda A: rip_constant(A, 2, method="fast", progress=False),
    lambda A: rnsp_gamma(A, [1, 1], 0.5, levels=[(0, 3), (3, 7)], progress=False),
])
def test_bad_input_is_invalid_argument(call):
    with pytest.raises(InvalidArgument):
        call(gaussian(4, 8, seed=0))


def test_nan_matrix_rejected():
    A = gaussian(4, 8, seed=0)
    A[1, 2] = np.nan
    for f in (lambda: rip_constant(A, 2, progress=False), lambda: nsp_constant(A, 2, progress=False),
              lambda: rnsp_gamma(A, 1, 0.5, progress=False)):
        with pytest.raises(InvalidArgument, match="NaN"):
            f()


def test_inputs_not_mutated():
    A = gaussian(5, 7, seed=1)
    before = A.copy()
    rip_constant(A, 2, progress=False)
    nsp_constant(A, 2, progress=False)
    rnsp_gamma(A, 1, 0.9, progress=False)
    assert np.array_equal(A, before)


def test_nan_duals_never_become_a_proven_upper_bound():
    # review finding: a solver's NaN dual must not propagate into a PROVEN bound
    from theorycheck.rnsp.nsp import certified_bounds

    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 5))
    Y = rng.standard_normal((5, 3))
    Y[1, 0] = np.nan
    b = certified_bounds(A, np.eye(5), Y)
    assert b[1] == np.inf and np.all(np.isfinite(np.delete(b, 1)))
