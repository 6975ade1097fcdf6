"""Every proofs_numeric/ and examples/ script runs in its quick mode and exits 0."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

# slow (each script is a subprocess): run by .ci/run with `pytest -m scripts`, not by default
pytestmark = pytest.mark.scripts

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = sorted(
    p for folder in ("proofs_numeric", "examples") for p in (ROOT / folder).glob("*.py")
    if not p.name.startswith("_")
)


def test_scripts_exist_or_folders_are_empty():
    assert all(p.is_file() for p in SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_script_runs_quick(script, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    out = subprocess.run([sys.executable, str(script), "--quick"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"{script.name} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
