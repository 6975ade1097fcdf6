"""The package's import graph: one-way layers, no cycles, no cross-module private imports.

Layers (a module may import its own layer and the ones below, never above)::

    0  errors, _version, numerics.*, results        (results is a base layer)
    1  problems.*
    2  solvers.*, nets.*                             (nets beside solvers; solvers never import nets)
    3  rnsp, instability, impossibility, classification (the checks; each verifier beside its check)
    4  strategies, testing, cli, demo, search (compatibility), __main__

Also checked: no cycle among modules (counting imports inside functions too); a submodule never
imports its own package's ``__init__``; nothing imports another module's ``_private`` names;
internal imports sit at module top level unless the imported module pulls in a heavy optional
dependency (torch, cvxpy, hypothesis, matplotlib, dask); no package exports a name that equals
one of its submodules (importing the submodule would shadow the export).
"""

from __future__ import annotations

import ast
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2] / "theorycheck"
HEAVY = {"torch", "cvxpy", "hypothesis", "matplotlib", "dask", "sklearn", "skimage", "foolbox"}

LAYERS = [
    (0, ("theorycheck.errors", "theorycheck._version", "theorycheck.numerics", "theorycheck.results")),
    (1, ("theorycheck.problems",)),
    (2, ("theorycheck.solvers", "theorycheck.nets")),
    (3, ("theorycheck.rnsp", "theorycheck.instability", "theorycheck.impossibility",
         "theorycheck.classification")),
    (4, ("theorycheck.strategies", "theorycheck.testing", "theorycheck.cli", "theorycheck.demo",
         "theorycheck.figures", "theorycheck._cli_curve",
         "theorycheck.search", "theorycheck.__main__")),
]


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _is_package(name: str) -> bool:
    return MODULES.get(name, pathlib.Path()).name == "__init__.py"


def _resolve(module: str, level: int, target: str | None, current: str) -> str:
    if level == 0:
        return target or ""
    base = current.split(".")
    if not _is_package(current):
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _owner(name: str) -> str | None:
    """The theorycheck module a dotted name refers to (longest existing prefix)."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        cand = ".".join(parts[:i])
        if cand in MODULES:
            return cand
    return None


def _imports(name: str) -> list[tuple[str, str | None, bool, int]]:
    """(imported module, imported name or None, inside a function?, line) for each import."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    out: list[tuple[str, str | None, bool, int]] = []

    def visit(node: ast.AST, in_func: bool, in_typecheck: bool) -> None:
        for child in ast.iter_child_nodes(node):
            func = in_func or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            tc = in_typecheck or (isinstance(child, ast.If) and "TYPE_CHECKING" in ast.dump(child.test))
            if tc:
                continue  # imports for type checkers only never run
            if isinstance(child, ast.Import):
                for a in child.names:
                    out.append((a.name, None, func, child.lineno))
            elif isinstance(child, ast.ImportFrom):
                mod = _resolve(child.module or "", child.level, child.module, name)
                for a in child.names:
                    out.append((mod, a.name, func, child.lineno))
            visit(child, func, tc)

    visit(tree, False, False)
    return out


def _layer(name: str) -> int | None:
    for rank, prefixes in LAYERS:
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return rank
    return None


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for m in MODULES:
        for mod, nm, _func, _line in _imports(m):
            if not mod.startswith("theorycheck"):
                continue
            full = f"{mod}.{nm}" if nm else mod
            tgt = _owner(full) if nm and _owner(full) == full else _owner(mod)
            if tgt and tgt != m:
                edges[m].add(tgt)
    return edges


def _heavy_at_top(name: str, seen: set[str] | None = None) -> bool:
    """Whether importing ``name`` imports a heavy optional dependency (transitively, top level only)."""
    seen = seen or set()
    if name in seen:
        return False
    seen.add(name)
    for mod, nm, func, _ in _imports(name):
        if func:
            continue
        if mod.split(".")[0] in HEAVY:
            return True
        if mod.startswith("theorycheck"):
            full = f"{mod}.{nm}" if nm else mod
            tgt = _owner(full) if nm and _owner(full) == full else _owner(mod)
            if tgt and tgt != name and _heavy_at_top(tgt, seen):
                return True
    return False


def test_every_module_has_a_layer():
    missing = sorted(m for m in MODULES if m != "theorycheck" and _layer(m) is None)
    assert not missing, f"modules outside every layer (add them to LAYERS): {missing}"


def test_no_upward_imports():
    bad = []
    for m in MODULES:
        if m == "theorycheck":
            continue  # the top-level lazy table may name anything
        lm = _layer(m)
        for mod, nm, _func, line in _imports(m):
            if not mod.startswith("theorycheck"):
                continue
            full = f"{mod}.{nm}" if nm else mod
            tgt = _owner(full) if nm and _owner(full) == full else _owner(mod)
            if tgt is None or tgt == "theorycheck":
                continue
            lt = _layer(tgt)
            if lm is not None and lt is not None and lt > lm:
                bad.append(f"{m}:{line} imports {tgt} (layer {lt} > {lm})")
            if m.startswith("theorycheck.solvers") and tgt.startswith("theorycheck.nets"):
                bad.append(f"{m}:{line} imports {tgt} (solvers never import nets)")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    edges = _edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    sccs: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:  # Tarjan
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    for v in edges:
        if v not in index:
            strong(v)
    # a package __init__ re-exporting its submodules is not a cycle unless a submodule imports it back
    real = [c for c in sccs if not all(m == c[0] or m.startswith(c[0] + ".") for m in c)
            or any(c[0] in edges[m] for m in c if m != c[0])]
    assert not real, f"import cycles: {real}"


def test_submodules_never_import_their_own_package_init():
    bad = []
    for m in MODULES:
        pkg = m.rsplit(".", 1)[0]
        if _is_package(m) or pkg == m or pkg == "theorycheck":
            continue
        for mod, nm, _func, line in _imports(m):
            full = f"{mod}.{nm}" if nm else mod
            if mod == pkg and _owner(full) != full:
                bad.append(f"{m}:{line} imports {nm} from its own package {pkg}")
    assert not bad, "\n".join(bad)


def test_no_cross_module_private_imports():
    bad = []
    for m in MODULES:
        for mod, nm, _func, line in _imports(m):
            if not mod.startswith("theorycheck") or nm is None or not nm.startswith("_"):
                continue
            if nm.startswith("__") or f"{mod}.{nm}" in MODULES:
                continue  # dunders, and private *modules* (their public names are fine)
            bad.append(f"{m}:{line} imports the private name {nm} from {mod}")
    assert not bad, "\n".join(bad)


def test_internal_imports_inside_functions_only_for_heavy_modules():
    bad = []
    for m in MODULES:
        if m == "theorycheck" or m.endswith("__init__"):
            continue
        for mod, nm, func, line in _imports(m):
            if not func or not mod.startswith("theorycheck"):
                continue
            full = f"{mod}.{nm}" if nm else mod
            tgt = _owner(full) if nm and _owner(full) == full else _owner(mod)
            if tgt and tgt != m and not _heavy_at_top(tgt) and _layer(tgt) is not None \
                    and _layer(tgt) <= (_layer(m) or 0):
                bad.append(f"{m}:{line} imports {tgt} inside a function (it is light: import it at the top)")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("pkg", sorted(m for m in MODULES if _is_package(m)))
def test_no_export_is_shadowed_by_a_submodule(pkg):
    mod = importlib.import_module(pkg)
    exported = set(getattr(mod, "__all__", ())) | set(getattr(mod, "_LAZY", {}))
    subs = {m.rsplit(".", 1)[1] for m in MODULES if m.startswith(pkg + ".") and m.count(".") == pkg.count(".") + 1}
    # exporting the submodule itself is no shadowing; anything else under its name is
    clash = sorted(n for n in exported & subs
                   if getattr(mod, n, None) is not importlib.import_module(f"{pkg}.{n}"))
    assert not clash, f"{pkg} exports names that are also submodules: {clash}"
