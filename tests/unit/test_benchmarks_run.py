"""Every benchmark script in ``benchmarks/`` runs with ``--quick``, exits 0 and prints a ratio.

Parametrised over ``benchmarks/bench_*.py``, so new benchmarks are covered
automatically. Timings are never asserted: a non-zero exit is a correctness
failure (e.g. the baseline's answer lies outside a certified enclosure).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# slow (each script is a subprocess): run by .ci/run with `pytest -m scripts`, not by default
pytestmark = pytest.mark.scripts

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted((ROOT / "benchmarks").glob("bench_*.py"))


@pytest.mark.parametrize("script", BENCHMARKS, ids=[p.name for p in BENCHMARKS])
def test_benchmark_quick_runs(script: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, str(script.relative_to(ROOT)), "--quick"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{script.name} --quick exited {proc.returncode}:\n{out[-4000:]}"
    assert "ratio" in out, f"{script.name} --quick printed no ratio:\n{out[-4000:]}"


def test_solver_zoo_quick_runs(tmp_path: Path) -> None:
    """``solver_zoo.py --quick`` (the test extra's packages) runs and writes its report nowhere it was not asked.

    Run from an empty working directory without ``--out``: it writes into a fresh temporary folder
    (printed), not into the repository (the committed report is untouched) nor the working directory.
    Every row's verdicts come from ``check_solver``; the report lists each silent wrong answer it
    found (none is expected or forbidden here: anything found is reported as found).
    """
    import json

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    committed = {name: (ROOT / "solver-zoo" / name).read_bytes() for name in ("report.md", "report.json")}
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "solver_zoo.py"), "--quick"], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"solver_zoo.py --quick exited {proc.returncode}:\n{text[-4000:]}"
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("wrote ")][-1]
    where = Path(line.split()[1]).parent
    assert ROOT not in where.parents and cwd not in where.parents and where != cwd
    data = json.loads((where / "report.json").read_text())
    assert data["quick"] is True and data["seed"] == 0 and data["rows"]
    assert {row["solver"] for row in data["rows"]} <= {"sklearn Lasso", "sklearn Lasso tol=1e-10",
                                                       "sklearn LassoLars", "sklearn ElasticNet(l1_ratio=1)",
                                                       "scipy linprog (HiGHS) BP", "cvxpy CLARABEL"}
    for row in data["rows"]:  # both tiers ran, each check with a verdict
        assert {"optimality", "extreme_scales"} <= set(row["checks"]), row
    assert "# What the kit finds in popular solvers" in (where / "report.md").read_text()
    assert list(cwd.iterdir()) == []
    # the committed report is a deliverable: a run without --out never overwrites it
    assert {name: (ROOT / "solver-zoo" / name).read_bytes() for name in committed} == committed


def test_solver_zoo_writes_where_out_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--out DIR`` (e.g. ``--out solver-zoo`` to refresh the committed report) writes there (the run is stubbed)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("solver_zoo", ROOT / "benchmarks" / "solver_zoo.py")
    zoo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(zoo)
    monkeypatch.setattr(zoo, "run", lambda quick: {"date": "today", "seed": 0, "quick": quick, "versions": {},
                                                   "rows": [], "silent_wrong_answers": [], "skipped": []})
    monkeypatch.chdir(tmp_path)
    assert zoo.main(["--out", "here"]) == 0
    assert sorted(p.name for p in (tmp_path / "here").iterdir()) == ["report.json", "report.md"]
    assert [p.name for p in tmp_path.iterdir()] == ["here"]
