"""The kit's ``impossibility_barrier`` judges like ``check_solver_on_family`` and re-checks from its file.

Issue 14, deliverable 5: a raise (or a warning, or a non-optimal status) is a loud failure —
honest, not a violation — in the barrier exactly as in
:func:`theorycheck.impossibility.check_solver_on_family`; an answer presented as a success that
is provably beyond the barrier, or unusable (NaN), violates both. Every barrier result, whatever
its outcome, carries its family cells, so ``verify_result`` re-derives it, and edits are caught.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
import warnings

import numpy as np
import pytest

from theorycheck.impossibility import build_family, check_solver_on_family
from theorycheck.results import Outcome, Rigor, Witness, load, verify_result
from theorycheck.solvers.solution import Solution
from theorycheck.testing import check_impossibility_barrier, check_solver, exact_solver

EXACT = exact_solver()


def _zero(problem, y):  # silently wrong on every member
    return np.zeros(problem.A.in_shape)


def _nan(problem, y):  # an unusable answer presented as a success
    return np.full(problem.A.in_shape, np.nan)


def _raises(problem, y):
    raise RuntimeError("solver exploded")


def _warns(problem, y):  # a wrong answer, but the solver says it did not converge
    warnings.warn("did not converge", RuntimeWarning, stacklevel=2)
    return np.zeros(problem.A.in_shape)


def _bad_status(problem, y):  # a wrong answer with a failure status
    return Solution(x=np.zeros(problem.A.in_shape), status="max_iterations", rigor=Rigor.NUMERICAL)


def _member(problem):
    """1 or 2: which member of its Ω_3 family ``problem`` is (their matrices differ)."""
    for n in (10, 30):
        fam = build_family(3, n, problem="lasso", N2=6, s=2)
        for j in (1, 2):
            if np.array_equal(fam.member(j).problem.A.to_dense(), problem.A.to_dense()):
                return j
    raise AssertionError("not a member of the barrier's families")


def _raises_on_member_2(problem, y):  # accurate on member 1, a loud failure on member 2
    if _member(problem) == 2:
        raise RuntimeError("refusing member 2")
    return EXACT(problem, y)


def _direct(solver):
    """check_solver_on_family run directly on the barrier's grid."""
    builder = functools.partial(build_family, problem="lasso", N2=6, s=2)
    return check_solver_on_family(solver, builder, K_values=[3], n_values=[10, 30])


def _barrier(solver, **kw):
    (r,) = check_solver(solver, checks=["impossibility_barrier"], on_fail="report", **kw).results
    return r


@pytest.mark.parametrize("solver,outcome,kind", [
    (EXACT, Outcome.HOLDS, None),
    (_raises_on_member_2, Outcome.HOLDS, None),
    (_raises, Outcome.INCONCLUSIVE, None),
    (_warns, Outcome.INCONCLUSIVE, None),
    (_bad_status, Outcome.INCONCLUSIVE, None),
    (_zero, Outcome.VIOLATED, "silent-wrong-answer"),
    (_nan, Outcome.VIOLATED, "crash"),
])
def test_the_barrier_judges_like_check_solver_on_family(solver, outcome, kind):
    r = _barrier(solver)
    direct = _direct(solver)
    assert r.outcome is outcome, r.summary()
    assert r.values.get("kind") == kind, r.summary()
    # member for member the same classification as the family check run on its own
    cells = r.witness["cells"]
    assert [c.values["member_outcomes"] for c in cells] == [d.values["member_outcomes"] for d in direct.results]
    assert r.violated == any(d.violated for d in direct.results)
    # a raise, a warning or a failure status is never a violation of the barrier
    if solver in (_raises, _warns, _bad_status):
        assert r["checked_members"] == 0 and "nothing was checked" in r.message
        assert all(set(c.values["member_outcomes"]) == {"loud_failure"} for c in cells)
    if solver is _raises_on_member_2:
        assert all(c.values["member_outcomes"] == ["accurate", "loud_failure"] for c in cells)
        assert "RuntimeError: refusing member 2" in cells[0].values["errors"][1]  # the solver's own text
    # every outcome re-checks from the file alone
    out = verify_result(load(r.to_json()))
    assert out.holds and out.check == "verify:impossibility_barrier", out.message


def test_a_silent_wrong_answer_is_triaged_and_confirmed_by_the_objective():
    r = _barrier(_zero)
    assert r.rigor is Rigor.PROVEN and r["tier"] == "stress"
    # 0 on a member whose minimiser is far from 0: the certified gap is far above the accuracy
    assert r["objective_gap"] >= r["objective_gap_lower"] > r["allowed_gap"] > 0
    fam = build_family(3, 10, problem="lasso", N2=6, s=2)
    m = fam.member(r["triaged_member"])
    P, y = m.problem, np.asarray(m.y_float)
    gap = P.objective(np.zeros(P.A.shape[1]), y) - P.objective(np.asarray(m.x_star_float), y)
    assert r["objective_gap_lower"] <= gap * (1 + 1e-12) and gap <= r["objective_gap"] * (1 + 1e-12)


def test_edits_of_a_saved_barrier_result_are_rejected():
    r = _barrier(_zero)
    forged = [
        dataclasses.replace(r, outcome=Outcome.HOLDS),
        dataclasses.replace(r, rigor=Rigor.NUMERICAL),
        dataclasses.replace(r, message=r.message.replace("silent", "loud")),
        dataclasses.replace(r, values={**r.values, "kind": "within-tolerance"}),
        dataclasses.replace(r, values={**r.values, "accuracy_relative": 1.0}),
        dataclasses.replace(r, witness=Witness(r.witness.kind, {**r.witness.data, "accuracy_relative": 1.0})),
        dataclasses.replace(r, witness=Witness(r.witness.kind, {**r.witness.data, "problem": "srlasso"})),
        dataclasses.replace(r, witness=Witness(r.witness.kind, {**r.witness.data,
                                                                "cells": r.witness["cells"][:1]})),
        dataclasses.replace(r, witness=None),
    ]
    # a cell of another family (n = 20), itself a valid saved result, in place of the barrier's
    builder = functools.partial(build_family, problem="lasso", N2=6, s=2)
    n20 = check_solver_on_family(_zero, builder, K_values=[3], n_values=[20]).results[0]
    assert n20.violated and verify_result(n20).holds
    forged.append(dataclasses.replace(r, witness=Witness(r.witness.kind, {
        **r.witness.data, "cells": (n20, r.witness["cells"][1])})))
    # an answer in a cell edited (the cell no longer re-checks)
    d = json.loads(r.to_json())
    cell = d["fields"]["witness"]["__witness__"]["data"]["cells"]["__tuple__"][0]["__result__"]
    cell["fields"]["message"] += " (edited)"
    forged_json = [json.dumps(d)]
    for f in forged:
        out = verify_result(load(f.to_json()))
        assert not out.holds, (f.summary(), out.message)
    for text in forged_json:
        assert not verify_result(load(text)).holds


def test_a_time_out_ends_the_barrier_like_any_failed_call():
    def slow(problem, y):
        time.sleep(1.0)
        return np.zeros(problem.A.in_shape)

    t0 = time.perf_counter()
    r = _barrier(slow, time_limit=0.1)
    assert time.perf_counter() - t0 < 10
    # a hang is not an honest failure report: a crash (numerical: the time is measured)
    assert r.violated and r["kind"] == "crash" and r.rigor is Rigor.NUMERICAL, r.summary()
    assert "time limit" in r.message


def test_the_standalone_check_is_the_battery_check():
    r = check_impossibility_barrier(_raises)
    b = _barrier(_raises)  # the same verdict (the cells' witnesses differ only in the measured times)
    assert (r.outcome, r.rigor, r.message) == (b.outcome, b.rigor, b.message)
    assert r.outcome is Outcome.INCONCLUSIVE and not r.violated


def test_theorycheck_verify_re_checks_a_saved_barrier_in_a_fresh_process(tmp_path):
    import os
    import pathlib
    import subprocess
    import sys

    path = tmp_path / "barrier.json"
    _barrier(_zero).to_json(str(path))
    root = pathlib.Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-m", "theorycheck", "verify", str(path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "1 of 1 re-check." in proc.stdout, proc.stdout + proc.stderr
    assert "verify:impossibility_barrier: holds" in proc.stdout
