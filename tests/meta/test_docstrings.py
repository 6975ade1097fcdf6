"""Every public function and class documents its theorem and rigor."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import theorycheck

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(theorycheck.__path__, "theorycheck.")
    if not m.name.endswith("__main__")
)


def _public_objects():
    for modname in MODULES:
        mod = importlib.import_module(modname)
        names = getattr(mod, "__all__", None)
        if names is None:
            continue
        for name in names:
            obj = getattr(mod, name)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == modname:
                yield f"{modname}.{name}", obj


PUBLIC = list(_public_objects())


def test_found_public_api():
    assert len(PUBLIC) > 20


@pytest.mark.parametrize("qualname,obj", PUBLIC, ids=[q for q, _ in PUBLIC])
def test_public_object_documents_theorem_and_rigor(qualname, obj):
    doc = inspect.getdoc(obj) or ""
    if inspect.isclass(obj) and issubclass(obj, (Exception, str)):
        assert doc, f"{qualname} has no docstring"
        return
    assert "Theorem:" in doc, f"{qualname}: docstring lacks a 'Theorem:' line"
    assert "Rigor:" in doc, f"{qualname}: docstring lacks a 'Rigor:' line"
