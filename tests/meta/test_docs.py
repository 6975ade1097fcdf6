"""The documents users read stay true: their code runs and every name they mention exists.

* Every fenced ```python block in README.md and docs/*.md runs as a script (in a temporary
  folder, so nothing is written into the repository).
* Every ``theorycheck`` name the README and docs mention in backticks — ``check_instability``,
  ``theorycheck.nets.enclose``, ``theorycheck.testing.check_solver`` — can be imported, so
  renames keep their old public names working and the docs do not promise missing functions.
* User-facing text points to docs/theory.md, never to a THEORY.md that is not shipped.
"""

from __future__ import annotations

import importlib
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "examples" / "README.md",
        ROOT / "proofs_numeric" / "README.md"]
DOCS = [d for d in DOCS if d.exists()]


def _blocks(path: pathlib.Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


BLOCKS = [(d, i, code) for d in DOCS for i, code in enumerate(_blocks(d))]


@pytest.mark.parametrize("doc, index, code", BLOCKS,
                         ids=[f"{d.relative_to(ROOT)}#{i}" for d, i, _ in BLOCKS])
def test_python_blocks_run(doc, index, code, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"{doc.name} block {index} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"


def _mentioned_names() -> set[str]:
    names: set[str] = set()
    for d in DOCS:
        for tok in re.findall(r"`([^`\n]+)`", d.read_text(encoding="utf-8")):
            tok = tok.strip()
            m = re.fullmatch(r"(theorycheck(?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?:\(.*\))?", tok)
            if m and not any(part.isupper() and len(part) > 1 for part in m.group(1).split(".")[1:]):
                names.add(m.group(1))
    return names


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


@pytest.mark.parametrize("name", sorted(_mentioned_names()))
def test_every_dotted_name_in_the_docs_exists(name):
    try:
        _resolve(name)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{name} is mentioned in the docs but cannot be imported: {exc}")


def test_readme_table_functions_exist():
    """Bare function names in the README's theorem table are top-level or submodule exports."""
    import theorycheck

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("|")]
    classes = [getattr(theorycheck, n) for n in theorycheck.__all__ if isinstance(getattr(theorycheck, n), type)]
    missing = []
    for row in rows:
        cells = row.split("|")
        if len(cells) < 3:
            continue
        for tok in re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", cells[2]):
            if any(hasattr(c, tok) for c in classes):
                continue  # a method of an exported class (Lasso.objective, ...)
            if not (hasattr(theorycheck, tok) or any(hasattr(importlib.import_module(f"theorycheck.{m}"), tok)
                                                     for m in ("testing", "nets", "problems", "solvers",
                                                               "classification", "instability", "rnsp",
                                                               "impossibility"))):
                missing.append(tok)
    assert not missing, f"README table names that do not exist: {sorted(set(missing))}"


def test_no_pointer_to_a_file_that_is_not_shipped():
    offenders = []
    for path in [*ROOT.joinpath("theorycheck").rglob("*.py"), *DOCS,
                 *ROOT.joinpath("proofs_numeric").glob("*.py"), *ROOT.joinpath("examples").glob("*.py")]:
        if "THEORY.md" in path.read_text(encoding="utf-8"):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"these point users to THEORY.md (point to docs/theory.md instead): {offenders}"
