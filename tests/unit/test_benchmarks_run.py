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
