"""`import theorycheck` must stay light, and every error must pickle."""

from __future__ import annotations

import inspect
import pickle
import subprocess
import sys

import pytest

import theorycheck
import theorycheck.errors as errors

HEAVY = ("torch", "cvxpy", "matplotlib", "hypothesis")


def test_import_does_not_load_heavy_modules():
    code = (
        "import sys, theorycheck; "
        "print(','.join(m for m in %r if m in sys.modules))" % (HEAVY,)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import theorycheck loaded: {out.stdout.strip()}"


def test_lazy_exports_resolve():
    for name in theorycheck.__all__:
        assert getattr(theorycheck, name) is not None, name
    with pytest.raises(AttributeError):
        theorycheck.no_such_name  # noqa: B018


ERROR_CLASSES = [
    obj for _, obj in inspect.getmembers(errors, inspect.isclass)
    if issubclass(obj, errors.TheorycheckError)
]


def test_error_hierarchy():
    assert issubclass(errors.InvalidArgument, ValueError)
    assert issubclass(errors.InsufficientPrecision, ArithmeticError)
    assert issubclass(errors.SolverError, RuntimeError)
    assert issubclass(errors.CertificationError, AssertionError)
    for cls in ERROR_CLASSES:
        assert issubclass(cls, errors.TheorycheckError)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_error_pickles(cls):
    if cls is errors.PreconditionError:
        exc = cls("eta too small", hypothesis="||Ax - Ax'|| <= eta", margin=-0.5)
    elif cls is errors.InsufficientPrecision:
        exc = cls("undecided at 53 bits", needed_dps=40)
    else:
        exc = cls("message")
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is cls
    assert str(back) == str(exc)
    assert back.__dict__ == exc.__dict__
