"""Issue 14, deliverable 5: the spgl1 adapters read the exit status; third-party text is never cut mid-word.

spgl1 is an optional package (the ``zoo`` extra): a stand-in module with spgl1's calling convention
(``x, r, g, info = spg_bpdn(A, b, sigma, ...)``, ``info["stat"]`` one of spgl1's exit codes 1–9)
shows that the adapter turns the exit code into the status the kit judges — an iteration-limit exit
with a wrong answer is a ``reported-failure``, the same answer with a success code a
``silent-wrong-answer`` — whether or not spgl1 is installed. With spgl1 installed, the real
package is run too.
"""

from __future__ import annotations

import sys
import types
import warnings

import numpy as np
import pytest

from theorycheck.problems.programs import QCBP
from theorycheck.testing import check_solver, exact_solver
from theorycheck.testing.adapters import spgl1_bp, spgl1_bpdn

EXACT = exact_solver()

#: spgl1's exit codes (spgl1/spgl1.py: EXIT_ROOT_FOUND = 1 ... EXIT_ACTIVE_SET = 9) and the status read
SPGL1_CODES = {1: "optimal", 2: "optimal", 3: "optimal", 4: "optimal", 5: "max_iterations", 6: "error",
               7: "error", 8: "max_iterations", 9: "error"}


def _fake_spgl1(stat: int, wrong: bool) -> types.ModuleType:
    """A stand-in for spgl1: the certified minimiser (or 0 when ``wrong``) and the exit code ``stat``."""
    mod = types.ModuleType("spgl1")

    def solve(A, b, sigma=0.0, **options):
        assert options.get("verbosity") == 0  # the adapter silences spgl1's printing
        P = QCBP(np.asarray(A), float(sigma))
        x = np.zeros(A.shape[1]) if wrong else np.asarray(EXACT(P, b).x, dtype=float)
        return x, b - A @ x, A.T @ (b - A @ x), {"stat": stat, "niters": 3}

    mod.spg_bpdn = solve
    mod.spg_bp = lambda A, b, **options: solve(A, b, 0.0, **options)
    return mod


@pytest.mark.parametrize("stat,status", sorted(SPGL1_CODES.items()))
def test_spgl1_exit_codes_become_statuses(monkeypatch, stat, status):
    monkeypatch.setitem(sys.modules, "spgl1", _fake_spgl1(stat, wrong=False))
    A = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.5]])
    y = np.array([1.0, -0.5])
    for adapter, eta in ((spgl1_bpdn(), 0.1), (spgl1_bp(), 0.0)):
        sol = adapter(QCBP(A, eta), y)
        assert sol.status == status and sol.info["spgl1_stat"] == stat


def test_spgl1_without_an_exit_code_is_an_error(monkeypatch):
    mod = _fake_spgl1(1, wrong=False)
    inner = mod.spg_bpdn
    mod.spg_bpdn = lambda *a, **k: (*inner(*a, **k)[:3], {})  # no "stat" in info: not a success
    monkeypatch.setitem(sys.modules, "spgl1", mod)
    sol = spgl1_bpdn()(QCBP(np.eye(2), 0.1), np.array([1.0, 2.0]))
    assert sol.status == "error"


@pytest.mark.parametrize("stat,kind", [(1, "silent-wrong-answer"), (5, "reported-failure"),
                                       (8, "reported-failure"), (6, "reported-failure")])
def test_the_kit_judges_spgl1_by_its_exit_status(monkeypatch, stat, kind):
    monkeypatch.setitem(sys.modules, "spgl1", _fake_spgl1(stat, wrong=True))
    (r,) = check_solver(spgl1_bpdn(), problem="qcbp", checks=["optimality"], max_examples=2, shrink=False).results
    assert r.violated and r["kind"] == kind, r.summary()
    if stat != 1:
        assert f"the solver reported status '{SPGL1_CODES[stat]}'" in r.message
    # the same stand-in returning the minimiser passes, whatever spgl1 says
    monkeypatch.setitem(sys.modules, "spgl1", _fake_spgl1(stat, wrong=False))
    assert check_solver(spgl1_bpdn(), problem="qcbp", checks=["optimality"], max_examples=2).passed


def test_real_spgl1_reports_an_iteration_limit():
    pytest.importorskip("spgl1")
    A = np.random.default_rng(0).standard_normal((8, 20))
    y = A @ np.r_[1.0, -2.0, np.zeros(18)]
    sol = spgl1_bp(iter_lim=1)(QCBP(A, 0.0), y)
    assert sol.info["spgl1_stat"] == 5 and sol.status == "max_iterations"


def test_third_party_warnings_are_not_cut_mid_word_in_check_messages():
    long = "diverged " * 80 + "tail"  # 9 characters a word: a cut at 200 or 300 lands mid-word

    def warns(problem, y):  # a wrong answer with a long warning
        warnings.warn(long, RuntimeWarning, stacklevel=2)
        return np.zeros(problem.A.in_shape)

    def raises(problem, y):
        raise RuntimeError(long)

    for solver in (warns, raises):
        (r,) = check_solver(solver, checks=["optimality"], max_examples=1, shrink=False).results
        assert r.violated
        words = [w.strip("().;,:'\"…") for w in r.message.split()]
        # every piece of the third-party text in the message is a whole word: cut at a space, marked "…"
        assert "…" in r.message and "diverged" in words
        assert not any(w and "diverged".startswith(w) and w != "diverged" for w in words), r.message
        assert not any(w and w.startswith("diverged") and w != "diverged" for w in words), r.message
