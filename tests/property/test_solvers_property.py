"""Property tests of theorycheck's own solvers against certified oracles (hypothesis, profile "ci").

Every instance comes from :mod:`theorycheck.strategies` with its proven unique
minimiser, so each property compares an answer with the truth, not with
another solver.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from theorycheck.solvers import certify_solution, solve
from theorycheck.solvers.certify import distance_to_enclosure
from theorycheck.strategies import (
    lasso_problems,
    near_degenerate_problems,
    qcbp_problems,
    srlasso_problems,
)

# the "ci" profile of tests/conftest.py (derandomised, no deadline), with few examples
FEW = settings(max_examples=12)

programs = st.one_of(lasso_problems(), srlasso_problems(), qcbp_problems())


@FEW
@given(programs)
def test_reference_solver_is_accurate_on_well_conditioned_instances(inst):
    sol = solve(inst.problem, inst.y, method="reference")
    assert sol.status == "optimal"
    lo, hi = distance_to_enclosure(sol.x, inst.solution)
    assert lo <= 1e-6 * max(1.0, np.linalg.norm(inst.minimiser))


@FEW
@given(programs)
def test_exact_solver_finds_the_certified_minimiser_without_help(inst):
    sol = solve(inst.problem, inst.y, method="exact")
    assert sol.rigor.value == "proven"
    assert distance_to_enclosure(sol.x, inst.solution)[1] <= 1e-12 * max(1.0, np.linalg.norm(sol.x))
    assert sorted(sol.info["support"]) == sorted(inst.solution.info["support"])


@FEW
@given(lasso_problems(), srlasso_problems())
def test_primal_dual_converges_to_the_minimiser(a, b):
    for inst in (a, b):
        sol = solve(inst.problem, inst.y, method="primal_dual", max_iter=20000, tol=1e-10)
        assert distance_to_enclosure(sol.x, inst.solution)[0] <= 1e-4 * max(1.0, np.linalg.norm(inst.minimiser))


@FEW
@given(programs, st.floats(1e-5, 1e-1))
def test_certify_solution_decides_perturbations(inst, size):
    P, y, x = inst.problem, inst.y, inst.minimiser
    assert certify_solution(P, y, x, tol=1e-9).holds
    rng = np.random.default_rng(0)
    d = rng.standard_normal(x.shape)
    d *= size / np.linalg.norm(d)
    res = certify_solution(P, y, x + d, tol=size / 2)
    assert res.violated and res.rigor.value == "proven"
    assert res["distance_lower"] <= size * (1 + 1e-9) + 1e-15 and res["distance_upper"] >= size / 2


@FEW
@given(programs, st.randoms(use_true_random=False))
def test_exact_solver_is_equivariant_under_column_permutation(inst, rnd):
    P, y = inst.problem, inst.y
    perm = np.array(rnd.sample(range(P.A.shape[1]), P.A.shape[1]))
    w = np.asarray(P.weights)
    P2 = type(P)(P.A.to_dense()[:, perm], getattr(P, P._param_name),
                 weights=None if np.all(w == 1) else w[perm])
    sol = solve(P2, y, method="exact")
    assert distance_to_enclosure(sol.x[np.argsort(perm)], inst.solution)[1] <= 1e-12


@settings(max_examples=8)
@given(near_degenerate_problems(problem="lasso"))
def test_exact_solver_is_right_where_float_solvers_break(inst):
    # tiny certified dual slack, nearly collinear columns: the certificate still decides
    sol = solve(inst.problem, inst.y, method="exact", candidate=inst.params["planted_x"])
    assert sol.rigor.value == "proven"
    assert distance_to_enclosure(sol.x, inst.solution)[1] <= 1e-12
