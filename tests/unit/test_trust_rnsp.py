"""Trust regressions for theorycheck.rnsp (issue 11): every certified claim true, every saved claim re-proven.

Ground truths are independent of the code under test: brute force over all ``C(N, s)``
supports with ``numpy.linalg.eigvalsh`` (plus a margin far above float64 rounding), closed
forms (identity and orthonormal columns: ``δ_s = 0``; two unit columns at angle ``θ``:
``δ_2 = |cos θ|``; one-vector kernels: ``α_k`` = top-k mass of the kernel vector), and exact
rational arithmetic (:class:`fractions.Fraction`) for the rNSP inequality of a witness.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import numpy as np
import pytest

from theorycheck.errors import InvalidArgument, PreconditionError, TheorycheckError
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, load, verify_result
from theorycheck.rnsp import (
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


def gaussian(m: int, N: int, seed: int, cplx: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N))
    if cplx:
        A = A + 1j * rng.standard_normal((m, N))
    return A / math.sqrt(m * (2 if cplx else 1))


def one_dim_kernel(v: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = v.size
    Q, _ = np.linalg.qr(np.column_stack([v, rng.standard_normal((n, n - 1))]))
    return Q[:, 1:].T


def brute_rip(A: np.ndarray, s: int) -> float:
    G = A.conj().T @ A
    best = 0.0
    for S in itertools.combinations(range(A.shape[1]), s):
        w = np.linalg.eigvalsh(G[np.ix_(S, S)])
        best = max(best, w[-1] - 1.0, 1.0 - w[0])
    return best


def verified(result: CheckResult) -> CheckResult:
    return verify_result(load(result.to_json()))


def edited(result: CheckResult, edit) -> CheckResult:
    """Load a copy of the saved JSON after ``edit(dict)`` changed it."""
    d = json.loads(result.to_json())
    edit(d["fields"])
    return load(json.dumps(d))


def rejected(result: CheckResult) -> bool:
    try:
        return not verify_result(result).holds
    except InvalidArgument:
        return True


def with_witness(result: CheckResult, **changes) -> CheckResult:
    data = dict(result.witness.data)
    data.update(changes)
    return dataclasses.replace(result, witness=Witness(result.witness.kind, data))


# --------------------------------------------------------------------------------------
# class 1: supports that repeat a column (tiny N)
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["exact", "bounds"])
@pytest.mark.parametrize("N", [2, 3, 4])
def test_rip_tiny_identity_and_orthonormal_columns(method, N):
    # exactly orthonormal columns (δ_s = 0 exactly): identity, a signed permutation, Hadamard/2 columns
    H = 0.5 * np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]], dtype=float)
    P = np.eye(N)[::-1] * np.where(np.arange(N) % 2, -1.0, 1.0)
    for A in (np.eye(N), P, H[:, :N]):
        for s in range(1, N + 1):
            r = rip_constant(A, s, method=method, progress=False)
            assert r.lower <= 0.0 <= r.upper < 1e-12, (N, s, r.message)
            S = r.witness["support"]
            assert len(set(S.tolist())) == s == S.size
            assert verified(r).holds


@pytest.mark.parametrize("method", ["exact", "bounds"])
@pytest.mark.parametrize("theta", [0.3, 1.1, 2.5])
def test_rip_two_columns_closed_form(method, theta):
    a = np.array([1.0, 0.0, 0.0])
    b = np.array([math.cos(theta), math.sin(theta), 0.0])
    A = np.column_stack([a, b, [0.0, 0.0, 1.0]])           # δ_2 = |cos θ| (the pair a, b)
    r = rip_constant(A, 2, method=method, progress=False)
    assert r.lower <= abs(math.cos(theta)) + 1e-15 and abs(math.cos(theta)) <= r.upper + 1e-15
    assert r.upper - r.lower < 1e-9 if method == "exact" else True


@pytest.mark.parametrize("seed", range(4))
def test_rip_small_random_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    N = int(rng.integers(2, 6))
    A = rng.standard_normal((int(rng.integers(1, 5)), N))
    for s in range(1, N + 1):
        truth = brute_rip(A, s)
        margin = 1e-9 * max(1.0, truth)
        for method in ("exact", "bounds"):
            r = rip_constant(A, s, method=method, progress=False)
            assert r.lower <= truth + margin and truth - margin <= r.upper, (method, s, truth, r.message)


def test_greedy_supports_never_repeat_a_column():
    from theorycheck.rnsp.rip import greedy_supports

    for N in (2, 3, 4):
        G = np.eye(N)
        for s in range(2, N + 1):
            for which in ("max", "min"):
                for S in greedy_supports(G, s, which):
                    assert len(set(S)) == len(S) == s


@pytest.mark.parametrize("bad", [[0, 0], [0, 5], [-1, 0], [0.0, 1.0]])
def test_rip_verifier_rejects_invalid_witness_support(bad):
    for method in ("exact", "bounds"):
        r = rip_constant(np.eye(3), 2, method=method, progress=False)
        forged = with_witness(r, support=np.array(bad))
        # the bogus witness of the old bug: δ_2(I_3) "= 1" from the non-support [0, 0]
        forged = dataclasses.replace(forged, lower=1.0 - 2 ** -53, upper=1.0, value=1.0)
        assert rejected(load(forged.to_json())), (method, bad)


def test_rip_witness_refuses_repeated_columns():
    from theorycheck.rnsp.rip import rip_witness

    with pytest.raises(InvalidArgument, match="repeats"):
        rip_witness(np.eye(3), np.array([0, 0]), np.array([1.0, 1.0]))


def test_gamma_and_violation_verifiers_reject_non_admissible_supports():
    A = gaussian(7, 8, seed=0)
    r = search_rnsp_violation(A, 1, 0.9, 0.05, restarts=4, progress=False)
    assert r.violated and verified(r).holds
    j = int(r.witness["support"][0])
    for S in ([j, j], [j, (j + 1) % 8], [8], [-1]):
        assert rejected(with_witness(r, support=np.array(S))), S
    lv = rnsp_gamma(A, [1, 1], 0.9, levels=[(0, 4), (4, 8)], method="bounds", restarts=3, progress=False)
    assert verified(lv).holds
    # two indices in level 0 are not (s, M)-sparse for s = (1, 1)
    assert rejected(with_witness(lv, support=np.array([0, 1])))


def test_ratio_ball_refuses_repeated_support():
    from theorycheck.rnsp._spec import ratio_ball, spec_of

    spec, _, _ = spec_of(np.eye(3), 2, 0.5, None, None, None)
    with pytest.raises(InvalidArgument):
        ratio_ball(spec, np.array([1.0, 0.0, 0.0]), np.array([0, 0]))


# --------------------------------------------------------------------------------------
# class 2: non-unitary W
# --------------------------------------------------------------------------------------

def test_non_unitary_W_is_refused_everywhere_with_the_deviation():
    A = gaussian(12, 16, seed=1)
    Q, _ = np.linalg.qr(np.random.default_rng(2).standard_normal((16, 16)))
    W = 2.0 * Q                                       # W^*W = 4I: max |W^*W − I| = 3
    x = Q.T @ np.eye(16)[3]
    e = 1e-3 * np.random.default_rng(3).standard_normal(12)
    calls = [
        lambda: check_recovery_bound(A, x, e, 0.05, s=1, rho=0.85, gamma=1.5, W=W),
        lambda: rnsp_gamma(A, 1, 0.85, W=W, progress=False),
        lambda: rip_constant(A, 2, W=W, progress=False),
        lambda: nsp_constant(A, 1, W=W, progress=False),
        lambda: search_rnsp_violation(A, 1, 0.85, 1.0, W=W, restarts=2, progress=False),
    ]
    for call in calls:
        with pytest.raises(PreconditionError, match="unitary") as exc:
            call()
        assert exc.value.margin == pytest.approx(3.0)


def test_recovery_bound_with_unitary_W_holds_for_a_certified_pair():
    A = gaussian(12, 16, seed=1)
    Q, _ = np.linalg.qr(np.random.default_rng(2).standard_normal((16, 16)))
    g = rnsp_gamma(A, 1, 0.85, W=Q, progress=False)
    assert g.holds and g.rigor is Rigor.CERTIFIED_FLOAT64
    lam = 0.8 * recovery_constants(0.85, g).lambda_max(1)
    for t in range(3):
        x = Q.T @ np.eye(16)[t]
        e = 1e-3 * np.random.default_rng(t).standard_normal(12)
        r = check_recovery_bound(A, x, e, lam, s=1, rho=0.85, gamma=g, W=Q)
        assert r.outcome is not Outcome.VIOLATED, r.message   # a proven pair can never be "disproved"


def test_recovery_bound_rejects_W_of_the_wrong_shape():
    A = gaussian(4, 6, seed=0)
    with pytest.raises(TheorycheckError):
        check_recovery_bound(A, np.zeros(6), np.zeros(4), 0.1, s=1, rho=0.5, gamma=1.0, W=np.ones((5, 6)))


# --------------------------------------------------------------------------------------
# class 3: verifiers re-derive every claim
# --------------------------------------------------------------------------------------

def test_nsp_flipped_to_holds_with_forged_upper_is_rejected():
    v = np.array([3.0, 1, 1, 1, 1, 1])          # α_3 = 5/8 ≥ 1/2: NSP(3) fails
    A = one_dim_kernel(v)
    r = nsp_constant(A, 3, progress=False)
    assert r.violated and r.lower <= 5 / 8 <= r.upper
    assert verified(r).holds

    def forge(f):
        f["outcome"] = "holds"
        f["upper"] = 0.4
        f["value"] = 0.4
        f["values"]["upper"] = 0.4
    assert not verify_result(edited(r, forge)).holds


def test_gamma_witness_with_changed_rho_is_rejected():
    A = gaussian(7, 8, seed=0)
    r = rnsp_gamma(A, 1, 0.9, progress=False)
    assert r.holds and verified(r).holds
    forged = with_witness(r, rho=0.5)
    forged = dataclasses.replace(forged, values={**forged.values, "rho": 0.5},
                                 message=forged.message.replace("0.9", "0.5"))
    assert rejected(load(forged.to_json()))


@pytest.mark.parametrize("field", ["lower", "upper", "value"])
def test_every_bound_moved_by_one_ulp_is_rejected(field):
    A = gaussian(6, 8, seed=1)
    results = [rip_constant(A, 2, method="exact", progress=False),
               rip_constant(A, 2, method="bounds", progress=False),
               nsp_constant(A[:4], 2, progress=False),
               rnsp_gamma(gaussian(7, 8, seed=0), 1, 0.9, progress=False)]
    for r in results:
        for direction in (math.inf, -math.inf):
            def forge(f, direction=direction):
                f[field] = float(np.nextafter(f[field], direction))
            assert not verify_result(edited(r, forge)).holds, (r.check, r.method, field)


def test_rigor_and_message_edits_are_rejected():
    A = gaussian(6, 8, seed=1)
    Q, _ = np.linalg.qr(np.random.default_rng(3).standard_normal((8, 8)))
    r = rip_constant(A, 2, W=Q, progress=False)
    assert r.rigor is Rigor.CERTIFIED_FLOAT64

    def up_rigor(f):
        f["rigor"] = "proven"
        f["upper_rigor"] = {"__enum__": "Rigor", "value": "proven"}
        f["lower_rigor"] = {"__enum__": "Rigor", "value": "proven"}
    assert not verify_result(edited(r, up_rigor)).holds

    def new_message(f):
        f["message"] = "δ_2 ∈ [0, 0.01] (forged)"
    assert not verify_result(edited(r, new_message)).holds


def test_kernel_awareness_values_are_rederived():
    A = gaussian(7, 8, seed=0)
    r = check_kernel_awareness(A, np.eye(8)[0], -0.5 * np.eye(8)[3], rho=0.8, gamma=2.0, bound="sharp")
    assert verified(r).holds

    def forge(f):
        f["values"]["K_sharp"] = 1e9
    assert not verify_result(edited(r, forge)).holds
    # independent check of the claimed difference norm (exact rationals)
    d = [Fraction(a) - Fraction(b) for a, b in zip(-0.5 * np.eye(8)[3], np.eye(8)[0])]
    assert abs(math.sqrt(float(sum(t * t for t in d))) - r.values["difference"]) < 1e-15


def test_violation_witness_is_a_true_violation_in_exact_arithmetic():
    A = gaussian(7, 8, seed=0)
    rho, gamma = 0.9, 0.05
    r = search_rnsp_violation(A, 1, rho, gamma, restarts=4, progress=False)
    assert r.violated and not r.values["kernel"]
    v, S = r.witness["v"], r.witness["support"]
    # ‖v_Ω‖₂ > ρ/√s Σ_{j∉Ω}|v_j| + γ‖Av‖₂, decided with exact rationals (squares compared)
    V = [Fraction(float(t)) for t in v]
    Ar = [[Fraction(float(a)) for a in row] for row in A]
    Av2 = sum(sum(a * t for a, t in zip(row, V)) ** 2 for row in Ar)
    rest = sum(abs(V[j]) for j in range(8) if j not in set(S.tolist()))
    lhs2 = sum(V[i] ** 2 for i in S)
    # bound the irrational terms: ρ·rest + γ·sqrt(Av2) ≤ ρ·rest + γ·(sqrt upper)
    sqrt_up = Fraction(math.sqrt(float(Av2))) * (1 + Fraction(1, 2 ** 40))
    rhs = Fraction(rho) * rest + Fraction(gamma) * sqrt_up
    assert lhs2 > rhs * rhs


def test_verification_is_independent_of_the_executor_and_of_the_process(tmp_path):
    A = gaussian(6, 10, seed=5)
    with ThreadPoolExecutor(2) as ex:
        par = rip_constant(A, 3, method="exact", progress=False, executor=ex)
        gpar = rnsp_gamma(gaussian(7, 8, seed=0), 1, 0.9, method="exact", progress=False, executor=ex)
    serial = rip_constant(A, 3, method="exact", progress=False)
    assert par.lower == serial.lower and par.upper == serial.upper
    assert np.array_equal(par.witness["support"], serial.witness["support"])
    assert verified(par).holds and verified(gpar).holds
    paths = []
    for name, r in (("rip", par), ("gamma", gpar),
                    ("nsp", nsp_constant(A[:4], 2, progress=False)),
                    ("pt", empirical_phase_transition(12, [0.5], [0.2, 0.8], trials=2, seed=1, progress=False))):
        p = tmp_path / f"{name}.json"
        r.to_json(str(p))
        paths.append(str(p))
    code = ("import sys; from theorycheck.results import load, verify_result\n"
            "for p in sys.argv[1:]:\n"
            "    v = verify_result(load(p)); print(v.outcome.value, v.message[:80]); assert v.holds, v.message\n")
    out = subprocess.run([sys.executable, "-c", code, *paths], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr


def test_absurd_sizes_in_a_file_are_refused_quickly():
    r = rip_constant(gaussian(2, 6, seed=0), 3, method="exact", progress=False)
    big = gaussian(2, 40, seed=1)
    forged = with_witness(r, A=big, s=20, support=np.arange(20), vector=np.ones(20))
    t0 = time.perf_counter()
    with pytest.raises(InvalidArgument, match="too large"):
        verify_result(load(forged.to_json()))
    assert time.perf_counter() - t0 < 5
    g = rnsp_gamma(np.eye(4), 2, 0.5, method="exact", progress=False)
    t0 = time.perf_counter()
    assert rejected(load(with_witness(g, tol=1e-300).to_json()))
    assert time.perf_counter() - t0 < 5
    pt = empirical_phase_transition(12, [0.5], [0.2, 0.8], trials=2, seed=1, progress=False)
    for change in ({"N": 10 ** 9}, {"trials": 10 ** 12}, {"seed": -1}, {"tol": math.nan}):
        t0 = time.perf_counter()
        assert rejected(load(with_witness(pt, **change).to_json())), change
        assert time.perf_counter() - t0 < 5


def test_verifier_never_raises_raw_on_hostile_witness_fields():
    r = rnsp_gamma(gaussian(7, 8, seed=0), 1, 0.9, progress=False)
    hostile = [{"A": np.array(["a", "b"])}, {"A": np.full((2, 2), np.nan)}, {"rho": "0.5"}, {"rho": 1.5},
               {"support": np.array([[0]])}, {"v": np.ones(3)}, {"structure": "levels"}, {"tol": -1.0},
               {"ascent": 10 ** 9}, {"W_used": "yes"}, {"s": 10 ** 9}, {"method": "magic"}]
    for change in hostile:
        res = load(with_witness(r, **change).to_json())
        try:
            out = verify_result(res)
        except InvalidArgument:
            continue
        assert not out.holds, change


# --------------------------------------------------------------------------------------
# class 4: input validation, scale, sizes
# --------------------------------------------------------------------------------------

def test_rip_huge_scale_refused_and_tiny_scale_sound():
    A = gaussian(4, 6, seed=0)
    with pytest.raises(InvalidArgument, match="overflow"):
        rip_constant(A * 1e300, 2, progress=False)
    for c in (1e-300, 2.0 ** -1000):
        r = rip_constant(A * c, 2, progress=False)
        # δ_2 = 1 − λ_min(A_S^T A_S)c² ∈ (1 − 1e-590, 1]: the interval must contain it
        assert r.lower <= 1.0 <= r.upper and r.upper - 1.0 < 1e-12


@pytest.mark.parametrize("k", [-900, -300, 300, 900])
def test_alpha_is_scale_invariant_bit_for_bit(k):
    A = gaussian(4, 7, seed=3)
    ref = nsp_constant(A, 2, progress=False)
    r = nsp_constant(np.ldexp(A, k), 2, progress=False)
    assert (r.lower, r.upper) == (ref.lower, ref.upper)
    assert verified(r).holds


@pytest.mark.parametrize("c", [2.0 ** -600, 1e-20, 1e8, 1e300])
def test_gamma_scales_as_one_over_c(c):
    A = gaussian(7, 8, seed=0)
    ref = rnsp_gamma(A, 1, 0.9, progress=False)
    r = rnsp_gamma(A * c, 1, 0.9, progress=False)
    assert r.holds and verified(r).holds
    # γ(cA) = γ(A)/c exactly; A*c is rounded unless c is a power of two (relative change ≤ 1e-15)
    slack = 0.0 if math.frexp(c)[0] == 0.5 else 1e-12
    assert r.lower * c <= ref.upper * (1 + 1e-12 + slack)
    assert ref.lower * (1 - 1e-12 - slack) <= r.upper * c
    assert r.upper / r.lower < 1 + 1e-6


@pytest.mark.parametrize("bad", [0, -1, "5", 1.5, True, None, 10 ** 12])
def test_search_rnsp_violation_restarts_validated(bad):
    with pytest.raises(InvalidArgument):
        search_rnsp_violation(gaussian(4, 8, 0), 1, 0.5, 1.0, restarts=bad, progress=False)


BAD_INPUTS = {
    "rip_constant": (lambda **kw: rip_constant(**{"A": gaussian(4, 8, 0), "s": 2, "progress": False, **kw}),
                     {"s": [0, 9, 1.5, "2", True, -1], "method": ["fast", 3], "seed": [-1, 1.5, "a", 2 ** 70],
                      "enclose": ["yes", 2], "max_seconds": [0.0, -1.0, math.nan, "1"],
                      "callback": [3], "executor": ["pool"], "W": ["abc", np.ones((3, 3))],
                      "A": [np.full((2, 2), np.nan), np.zeros((0, 3)), "A", [[1 + 1j, np.inf]], None]}),
    "nsp_constant": (lambda **kw: nsp_constant(**{"A": gaussian(4, 8, 0), "k": 2, "progress": False, **kw}),
                     {"k": [0, 9, 2.0], "method": ["exact"], "max_patterns": [0, 1.5, "9"],
                      "time_limit": [0.0, math.inf, "1"], "ascent_iters": [-1, "3", 1.5, 10 ** 9]}),
    "rnsp_gamma": (lambda **kw: __import__("theorycheck.rnsp", fromlist=["rnsp_gamma"]).rnsp_gamma(
        **{"A": gaussian(4, 8, 0), "s": 1, "rho": 0.5, "progress": False, **kw}),
        {"rho": [0.0, 1.0, 1.5, -0.1, 1j, "0.5", True, math.nan], "s": [0, 9, [1, 1]], "tol": [0.0, -1.0, math.inf],
         "ascent": [-1, "2", 1.5], "restarts": [0, "3"], "seed": [-1, "x"], "weights": [np.zeros(8), np.ones(3),
                                                                                      np.full(8, 1e300), "w"],
         "levels": [[(0, 3), (4, 8)], "L"], "method": ["fast"]}),
    "search_rnsp_violation": (lambda **kw: search_rnsp_violation(
        **{"A": gaussian(4, 8, 0), "s": 1, "rho": 0.5, "gamma": 1.0, "restarts": 2, "progress": False, **kw}),
        {"gamma": [0.0, -1.0, math.inf, 1j, "1"], "iters": [0, "3", 10 ** 9], "seed": [2 ** 70, -3]}),
    "check_kernel_awareness": (lambda **kw: check_kernel_awareness(
        **{"A": gaussian(4, 8, 0), "x": np.eye(8)[0], "z": np.eye(8)[1], "rho": 0.5, "gamma": 1.0, **kw}),
        {"s": [0, 9, 1.5], "bound": ["tight", 1], "x": [np.ones(3), np.full(8, np.nan)], "rho": [1.0, 1j]}),
    "check_recovery_bound": (lambda **kw: check_recovery_bound(
        **{"A": gaussian(6, 8, 0), "x": np.eye(8)[0], "e": np.zeros(6), "lam": 0.1, "s": 1, "rho": 0.5,
           "gamma": 1.0, **kw}),
        {"dps": [0, "30", 10 ** 9], "lam": [0.0, math.nan], "x": [np.ones(3)], "e": [np.ones(2)], "s": [0, 9]}),
    "rnsp_from_rip": (lambda **kw: rnsp_from_rip(**{"delta_2s": 0.3, **kw}),
                      {"delta_2s": [-0.1, math.nan, "0.3", True, 1j]}),
    "recovery_constants": (lambda **kw: recovery_constants(**{"rho": 0.5, "gamma": 1.0, **kw}),
                           {"rho": [0.0, 1.0, True], "gamma": [0.0, math.inf, "1"]}),
    "donoho_tanner": (lambda **kw: donoho_tanner(**{"delta": 0.5, **kw}),
                      {"delta": [[], [[]], 0.0, 1.0, "0.5", True, np.full(10 ** 5, 0.5)]}),
    "empirical_phase_transition": (lambda **kw: empirical_phase_transition(
        **{"N": 12, "deltas": [0.5], "rhos": [0.2], "trials": 1, "progress": False, **kw}),
        {"N": [1, 10 ** 9, 2.5, "12"], "trials": [0, 10 ** 12, "2"], "seed": [-1, "x", 1.5, 2 ** 200],
         "deltas": [[], [0.5, 0.4], [1.5]], "tol": [0.0, math.nan], "atol": [-1.0], "progress": ["no"]}),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_inputs_refused_cleanly_and_quickly(name):
    call, cases = BAD_INPUTS[name]
    problems = []
    for param, values in cases.items():
        for bad in values:
            t0 = time.perf_counter()
            try:
                call(**{param: bad})
                problems.append(f"{param}={bad!r}: returned a result")
            except TheorycheckError:
                pass
            except Exception as exc:  # noqa: BLE001 - the point of the test
                problems.append(f"{param}={bad!r}: raw {type(exc).__name__}: {exc}")
            if time.perf_counter() - t0 > 10:
                problems.append(f"{param}={bad!r}: took {time.perf_counter() - t0:.1f} s")
    assert not problems, "\n".join(problems)


def test_tiny_tol_net_is_refused_not_a_hang():
    t0 = time.perf_counter()
    for tol in (1e-300, 1e-17, 1e-12):
        with pytest.raises(InvalidArgument, match="ε-net"):
            rnsp_gamma(gaussian(6, 8, 0), 2, 0.9, tol=tol, method="exact", progress=False)
    assert time.perf_counter() - t0 < 10


def test_huge_enumerations_refused_with_an_estimate():
    with pytest.raises(InvalidArgument, match="supports") as exc:
        rip_constant(gaussian(20, 300, 0), 40, method="exact", max_seconds=5, progress=False)
    assert "10^" in str(exc.value) or "years" in str(exc.value) or "days" in str(exc.value)
    with pytest.raises(InvalidArgument):
        rnsp_gamma(gaussian(20, 300, 0), 40, 0.9, method="exact", max_seconds=5, progress=False)


def test_results_do_not_depend_on_the_ambient_precision():
    from theorycheck.numerics.precision import precision

    G = gaussian(7, 8, seed=0)
    with precision(dps=50):
        inside = [rnsp_gamma(G, 1, 0.9, progress=False),
                  rnsp_gamma(G, [1, 1], 0.9, levels=[(0, 4), (4, 8)], weights=[1.0, 2.0], progress=False),
                  rnsp_gamma(np.eye(4), 2, 0.5, progress=False),
                  rnsp_gamma(G, 1, 0.9, method="bounds", restarts=2, progress=False),
                  rip_constant(G, 2, progress=False), nsp_constant(G[:4], 2, progress=False)]
    for r in inside:
        assert verified(r).holds, r.message


def test_large_orders_and_exact_milp_sizes_are_refused_or_fast():
    t0 = time.perf_counter()
    A = gaussian(2, 200, seed=0)
    r = nsp_constant(A, 150, progress=False)          # auto: pattern count capped early, lp-bound
    assert r.method == "lp-bound" and r.lower <= r.upper
    with pytest.raises(InvalidArgument, match="time_limit"):
        nsp_constant(A, 2, method="milp", progress=False)
    with pytest.raises(InvalidArgument, match="patterns"):
        nsp_constant(A, 150, method="enumerate", progress=False)
    assert time.perf_counter() - t0 < 60


def test_outward_widening_and_safety_factored_gamma_bound_the_exact_values():
    """widen_up/widen_down (rnsp._common) enclose exact results of a few float operations; gam(n) ≥ 2γ_n."""
    from fractions import Fraction

    from theorycheck.rnsp._common import gam, widen_down, widen_up

    rng = np.random.default_rng(11)
    for _ in range(200):
        x, y, z = rng.standard_normal(3) * 10.0 ** rng.integers(-170, 150, 3)
        s = (x * y) + z  # two roundings
        exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
        scale = abs(x * y) + abs(z)
        assert Fraction(float(widen_down(s, scale))) <= exact <= Fraction(float(widen_up(s, scale)))
    u = Fraction(1, 2 ** 53)
    for n in (1, 7, 1000, 10 ** 6):
        assert Fraction(gam(n)) >= 2 * n * u / (1 - n * u)
        assert Fraction(gam(n, True)) >= 2 * (2 * n + 4) * u / (1 - (2 * n + 4) * u)
