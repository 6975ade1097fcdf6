"""theorycheck.strategies: drawn objects have the promised properties, and oracles are sound."""

from __future__ import annotations

import math

import flint
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theorycheck.solvers import certify_solution, solve
from theorycheck.solvers.certify import distance_to_enclosure
from theorycheck.strategies import (
    CertifiedInstance,
    compressible_vectors,
    lasso_problems,
    near_degenerate_problems,
    precisions,
    qcbp_problems,
    sensing_matrices,
    sparse_vectors,
    srlasso_problems,
)

FEW = settings(max_examples=8, deadline=None)


@pytest.mark.parametrize("kind", ["gaussian", "bernoulli", "fourier", "dct", "hadamard"])
def test_sensing_matrices_shapes_dtypes_and_columns(kind):
    @FEW
    @given(sensing_matrices(st.integers(2, 8), 8, kind=kind))
    def run(A):
        assert A.shape[1] == 8 and 2 <= A.shape[0] <= 8
        assert A.dtype == (np.complex128 if kind == "fourier" else np.float64)
        norms = np.linalg.norm(A, axis=0)
        assert np.all(norms > 0)  # no degenerate (zero) column
        if kind in ("fourier", "hadamard"):  # every entry has modulus 1/√m
            assert np.allclose(np.abs(A), 1 / math.sqrt(A.shape[0]))
        if kind == "bernoulli":
            assert np.allclose(np.abs(A), 1 / math.sqrt(A.shape[0]))
        if kind in ("fourier", "dct", "hadamard"):
            # rows of a unitary transform, scaled by √(N/m): orthogonal rows of norm √(N/m)
            G = A @ A.conj().T
            assert np.allclose(G, np.eye(A.shape[0]) * 8 / A.shape[0], atol=1e-12)

    run()


def test_sensing_matrices_complex_and_single_precision():
    @FEW
    @given(sensing_matrices(4, 6, dtype=np.complex64), sensing_matrices(3, 5, dtype=np.float32))
    def run(C, R):
        assert C.dtype == np.complex64 and np.any(C.imag != 0)
        assert R.dtype == np.float32 and R.shape == (3, 5)

    run()


def test_sparse_vectors_have_exactly_s_nonzeros_in_range():
    @FEW
    @given(sparse_vectors(st.integers(3, 12), 3, min_magnitude=0.5, max_magnitude=2.0),
           sparse_vectors(10, st.integers(0, 4), dtype=np.complex128))
    def run(x, z):
        assert np.count_nonzero(x) == 3
        mags = np.abs(x[x != 0])
        assert np.all((mags >= 0.5) & (mags <= 2.0))
        assert z.dtype == np.complex128 and np.count_nonzero(z) <= 4
        assert np.all(np.abs(z[z != 0]) >= 0.1)

    run()


def test_compressible_vectors_decay():
    @FEW
    @given(compressible_vectors(st.integers(1, 30), decay=1.5, scale=2.0))
    def run(x):
        mags = np.sort(np.abs(x))[::-1]
        k = np.arange(1, x.size + 1)
        assert np.all(mags <= 2.0 * k ** -1.5 * (1 + 1e-12))
        assert np.all(mags > 0)

    run()


def _check_certified(inst: CertifiedInstance, slack_min: float | None = 0.09):
    P, y, sol = inst.problem, inst.y, inst.solution
    assert sol.rigor.value == "proven" and sol.status == "optimal"
    # the planted x is (up to the rounding of y) the certified minimiser
    lo, hi = distance_to_enclosure(inst.params["planted_x"], sol)
    assert hi < 1e-6
    assert sorted(sol.info["support"]) == inst.params["support"]
    # an independent route: certify_solution from the planted x alone
    res = certify_solution(P, y, inst.params["planted_x"], tol=1e-6)
    assert res.holds and res.rigor.value == "proven"
    # the float64 optimality residual at the certified answer is tiny
    assert P.optimality_residual(sol.x, y) < 1e-8
    if slack_min is not None:
        assert inst.dual_slack > slack_min


@pytest.mark.parametrize("strategy", [lasso_problems, srlasso_problems, qcbp_problems])
def test_program_strategies_draw_certified_minimisers(strategy):
    @FEW
    @given(strategy())
    def run(inst):
        _check_certified(inst)
        # a point that is clearly not the minimiser is proven wrong
        bad = inst.minimiser + 0.1
        assert certify_solution(inst.problem, inst.y, bad).violated

    run()


def test_program_strategy_options():
    @FEW
    @given(lasso_problems(m=6, N=12, s=2, lam=0.3, weighted=True),
           lasso_problems(dtype=np.complex128, kind="fourier"),
           srlasso_problems(kind="dct", noise=st.floats(0.3, 0.6)))
    def run(a, b, c):
        _check_certified(a)
        assert a.problem.A.shape == (6, 12) and a.problem.lam == 0.3
        assert np.any(a.problem.weights != 1)
        assert b.problem.is_complex
        assert distance_to_enclosure(b.params["planted_x"], b.solution)[1] < 1e-6
        _check_certified(c)

    run()


@pytest.mark.parametrize("problem", ["lasso", "srlasso", "qcbp"])
def test_near_degenerate_problems(problem):
    @FEW
    @given(near_degenerate_problems(problem=problem))
    def run(inst):
        _check_certified(inst, slack_min=None)
        A = inst.problem.A.to_dense()
        j, jp = inst.params["near_duplicate"]
        delta = inst.params["delta"]
        # two nearly collinear columns ...
        assert abs(np.linalg.norm(A[:, j] - A[:, jp]) - delta) <= 1e-12 + 1e-9 * delta
        # ... and a certified dual slack of the order of δ (positive, but tiny for small δ)
        assert 0 < inst.dual_slack <= 10 * delta

    run()


def test_near_degenerate_fixed_delta_is_tiny_slack():
    @settings(max_examples=3, deadline=None)
    @given(near_degenerate_problems(delta=2.0 ** -30))
    def run(inst):
        assert 0 < inst.dual_slack < 1e-8

    run()


def test_exact_solver_without_the_planted_candidate_agrees():
    @settings(max_examples=5, deadline=None)
    @given(lasso_problems())
    def run(inst):
        sol = solve(inst.problem, inst.y, method="exact")
        assert distance_to_enclosure(sol.x, inst.solution)[1] < 1e-12

    run()


def test_precisions_set_and_restore():
    before = (flint.ctx.prec, mpmath.mp.prec)

    @FEW
    @given(precisions(min_dps=20, max_dps=60))
    def run(p):
        with p:
            assert 20 <= mpmath.mp.dps <= 60
            assert flint.ctx.prec == p.bits
        assert (flint.ctx.prec, mpmath.mp.prec) == before

    run()


def test_rnsp_instances():
    rnsp = pytest.importorskip("theorycheck.rnsp")
    from theorycheck.strategies import rnsp_instances

    @settings(max_examples=3, deadline=None)
    @given(rnsp_instances(m=5, N=7))
    def run(inst):
        assert inst.A.shape == (5, 7) and 0 < inst.rho < 1 and 0 < inst.gamma < math.inf
        # γ is the smallest constant: the rNSP inequality holds with it on random vectors ...
        rng = np.random.default_rng(0)
        for _ in range(50):
            v = rng.standard_normal(7)
            big = np.argsort(-np.abs(v))[: inst.s]
            rest = np.delete(v, big)
            lhs = np.linalg.norm(v[big])
            rhs = inst.rho / math.sqrt(inst.s) * np.abs(rest).sum() + inst.gamma * np.linalg.norm(inst.A @ v)
            assert lhs <= rhs * (1 + 1e-9)
        # ... and the computation reports its own witness
        assert inst.result is not None and inst.result.value == pytest.approx(inst.gamma)
        assert rnsp is not None

    run()


def test_impossibility_instances():
    pytest.importorskip("theorycheck.impossibility")
    from theorycheck.strategies import impossibility_instances

    @settings(max_examples=3, deadline=None)
    @given(impossibility_instances(st.integers(3, 4), n=st.integers(5, 20)))
    def run(fam):
        assert fam.K in (3, 4) and fam.members == 2
        lo, hi = fam.jump_bounds
        # the members' minimisers are about 3·10^-K apart although the data differ by 2^-(n+1)
        assert 10.0 ** -fam.K < lo <= hi < 10.0 ** -(fam.K - 1)

    run()


# -- issue 11: strategies refuse sizes that cannot be drawn -------------------------------------

def test_issue11_strategies_refuse_huge_sizes_eagerly():
    import time

    from theorycheck.strategies import InvalidArgument as StrategyInvalid
    from theorycheck.strategies import compressible_vectors, impossibility_instances, sparse_vectors

    t0 = time.perf_counter()
    for build in (lambda: sensing_matrices(10 ** 9, 10 ** 9), lambda: sensing_matrices(4096, 4096),
                  lambda: sensing_matrices(8, 2 ** 13, kind="dct"), lambda: sparse_vectors(10 ** 9, 1),
                  lambda: sparse_vectors(100, 10 ** 6), lambda: compressible_vectors(10 ** 9),
                  lambda: impossibility_instances(10 ** 9), lambda: impossibility_instances(3, n=10 ** 9),
                  lambda: impossibility_instances(3, N1=10 ** 9), lambda: impossibility_instances(3, N2=10 ** 9),
                  lambda: sensing_matrices(4, 8, dtype=np.zeros(3))):
        with pytest.raises(StrategyInvalid):
            build()
    assert time.perf_counter() - t0 < 2.0


def test_issue11_drawn_impossibility_sizes_are_refused_when_drawn():
    from hypothesis import HealthCheck, find
    from hypothesis import settings as hsettings

    from theorycheck.strategies import InvalidArgument as StrategyInvalid
    from theorycheck.strategies import impossibility_instances

    with pytest.raises(StrategyInvalid):
        find(impossibility_instances(st.just(10 ** 6)), lambda f: True,
             settings=hsettings(database=None, max_examples=2, suppress_health_check=list(HealthCheck)))


@pytest.mark.parametrize("problem", ["lasso", "srlasso", "qcbp"])
def test_plain_builders_without_hypothesis(problem):
    # the builders behind the strategies, seeded: same seed, same instance; planted x is the proven minimiser
    from theorycheck.problems.instances import plant_instance, sensing_matrix
    from theorycheck.solvers.certify import build_certified_instance

    A1 = sensing_matrix("gaussian", 5, 9, np.dtype(np.float64), np.random.default_rng(3))
    A2 = sensing_matrix("gaussian", 5, 9, np.dtype(np.float64), np.random.default_rng(3))
    assert np.array_equal(A1, A2) and A1.shape == (5, 9)
    p1 = plant_instance(problem, np.random.default_rng(7), m=6, N=12, s=2, lam=0.4, noise=0.5)
    p2 = plant_instance(problem, np.random.default_rng(7), m=6, N=12, s=2, lam=0.4, noise=0.5)
    assert p1 is not None and p2 is not None
    assert np.array_equal(p1.y, p2.y) and np.array_equal(p1.problem.A.to_dense(), p2.problem.A.to_dense())
    inst = build_certified_instance(problem, np.random.default_rng(7), m=6, N=12, s=2, lam=0.4, noise=0.5)
    assert isinstance(inst, CertifiedInstance)
    assert np.array_equal(inst.y, p1.y) and np.array_equal(inst.params["planted_x"], p1.x)
    _check_certified(inst)
    # impossible margins (every matrix fails): None, never a wrong instance
    assert plant_instance(problem, np.random.default_rng(0), m=6, N=12, s=2, min_slack=1.0, attempts=3) is None
