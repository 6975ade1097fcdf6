"""The command line: demo (quick), verify of a saved certificate, tampering detected."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from theorycheck.cli import main
from theorycheck.results import decode, encode


def test_demo_quick_writes_a_certificate_that_verifies(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--no-progress", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "[proven]" in text and "violated" in text
    cert = out / "certificate.json"
    assert cert.exists()
    assert main(["verify", str(cert)]) == 0
    assert "re-certified" in capsys.readouterr().out

    # tamper: move the saved float answer onto the true minimiser's column
    data = json.loads(cert.read_text())
    fields = data["results"][0]["fields"]
    wit = fields["witness"]["__witness__"]["data"]
    x = decode(wit["x"])
    wit["x"] = encode(np.array([0.0, (np.sqrt(3) - 0.15) / 3]) + 0 * x)
    cert.write_text(json.dumps(data))
    assert main(["verify", str(cert)]) == 1
    assert "does not re-check" in capsys.readouterr().out


def test_verify_rejects_garbage(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["verify", str(bad)]) == 2
    assert "error" in capsys.readouterr().err


def test_console_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "theorycheck", "info"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and "theorycheck" in out.stdout
