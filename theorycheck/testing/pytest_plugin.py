"""Opt-in pytest plugin for test suites that use theorycheck.

Enable it with ``pytest -p theorycheck.testing.pytest_plugin`` (or
``pytest_plugins = ["theorycheck.testing.pytest_plugin"]`` in a root
``conftest.py``); it is not registered automatically. It adds

* the markers ``slow`` (long tests; deselect with ``-m "not slow"``) and
  ``gpu`` (tests that need CUDA: skipped when torch sees no GPU);
* ``--theorycheck-seed=INT``: the seed of the ``theorycheck_seed`` and
  ``theorycheck_rng`` fixtures (default 0), and the default ``seed`` of
  :func:`~theorycheck.testing.check_solver` and of the checks of
  :func:`~theorycheck.testing.parametrize_with_checks`;
* ``--theorycheck-profile=NAME``: load that hypothesis settings profile
  (``theorycheck-ci``: derandomised, no deadline, 20 examples;
  ``theorycheck-dev``: 100 examples; or any profile registered by your conftest);
  the kit's checks then take its ``max_examples`` and ``derandomize``;
* an autouse fixture that resets the working precision (python-flint and
  mpmath) to its default before each test and restores it afterwards;
* a report header line with the versions of theorycheck and its numerical
  backends (numpy, scipy, python-flint, mpmath, hypothesis, torch with its
  CUDA status, cvxpy with its installed solvers).

Theorem: none (test infrastructure).
Rigor: not applicable.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any, Callable, Iterator

import pytest

from theorycheck._version import __version__
from theorycheck.testing._runner import SESSION
from theorycheck.testing.suite import check_solver

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_unconfigure",
    "pytest_collection_modifyitems",
    "pytest_report_header",
    "theorycheck_seed",
    "theorycheck_rng",
    "theorycheck_check_solver",
]

_PROFILES: dict[str, dict[str, Any]] = {
    "theorycheck-ci": dict(derandomize=True, deadline=None, max_examples=20, print_blob=True),
    "theorycheck-dev": dict(deadline=None, max_examples=100),
}
_MARKERS = (
    "slow: long-running test (theorycheck); deselect with -m 'not slow'",
    "gpu: needs CUDA (theorycheck); skipped when torch sees no GPU",
)
#: python-flint's and mpmath's default precision (53 bits, as at import)
_DEFAULT_PREC = 53


def pytest_addoption(parser: Any) -> None:
    """Register ``--theorycheck-seed`` and ``--theorycheck-profile``.

    Theorem: none (pytest hook).
    Rigor: not applicable.
    """
    group = parser.getgroup("theorycheck")
    group.addoption("--theorycheck-seed", action="store", type=int, default=None,
                    dest="theorycheck_seed", metavar="INT",
                    help="seed of the theorycheck_seed / theorycheck_rng fixtures (default 0)")
    group.addoption("--theorycheck-profile", action="store", default=None,
                    dest="theorycheck_profile", metavar="NAME",
                    help="hypothesis settings profile to load (theorycheck-ci, theorycheck-dev, "
                         "or one registered by your conftest)")


def pytest_configure(config: Any) -> None:
    """Add the markers, register the hypothesis profiles and load the requested one.

    Theorem: none (pytest hook).
    Rigor: not applicable.
    """
    for line in _MARKERS:
        config.addinivalue_line("markers", line)
    from hypothesis import settings

    for name, kw in _PROFILES.items():
        settings.register_profile(name, **kw)
    profile = config.getoption("theorycheck_profile")
    # the kit reads these when a check runs (parametrize_with_checks, check_solver without seed=)
    SESSION["seed"] = config.getoption("theorycheck_seed")
    SESSION["profile"] = profile
    if profile:
        try:
            settings.load_profile(profile)
        except Exception as exc:  # hypothesis raises InvalidArgument for unknown names
            raise pytest.UsageError(
                f"--theorycheck-profile={profile}: {exc} (theorycheck registers "
                f"{', '.join(_PROFILES)})") from None


def pytest_unconfigure(config: Any) -> None:
    """Forget the session's seed and profile (the kit's defaults apply again).

    Theorem: none (pytest hook).
    Rigor: not applicable.
    """
    SESSION["seed"] = None
    SESSION["profile"] = None


def _cuda() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001 - no torch: no GPU
        return False


def pytest_collection_modifyitems(config: Any, items: list) -> None:
    """Skip ``gpu``-marked tests when torch sees no CUDA device.

    Theorem: none (pytest hook).
    Rigor: not applicable.
    """
    gpu_items = [it for it in items if it.get_closest_marker("gpu") is not None]
    if not gpu_items or _cuda():
        return
    skip = pytest.mark.skip(reason="needs CUDA (theorycheck gpu marker)")
    for item in gpu_items:
        item.add_marker(skip)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def pytest_report_header(config: Any) -> list[str]:
    """One line of versions and one of backends (torch/CUDA, cvxpy solvers).

    Theorem: none (pytest hook).
    Rigor: not applicable.
    """
    versions = ", ".join(f"{name} {_version(dist)}" for name, dist in (
        ("numpy", "numpy"), ("scipy", "scipy"), ("python-flint", "python-flint"),
        ("mpmath", "mpmath"), ("hypothesis", "hypothesis")))
    torch_v = _version("torch")
    if torch_v != "not installed":
        torch_v += f" (CUDA {'available' if _cuda() else 'not available'})"
    try:
        import cvxpy

        solvers = ", ".join(sorted(cvxpy.installed_solvers()))
        cvx = f"cvxpy {_version('cvxpy')} ({solvers})"
    except Exception:  # noqa: BLE001
        cvx = "cvxpy not available"
    seed = config.getoption("theorycheck_seed")
    profile = config.getoption("theorycheck_profile")
    return [f"theorycheck {__version__}: {versions}",
            f"theorycheck backends: torch {torch_v}; {cvx}; seed {0 if seed is None else seed}"
            + (f"; hypothesis profile {profile}" if profile else "")]


@pytest.fixture(autouse=True)
def _theorycheck_reset_precision() -> Iterator[None]:
    """Run each test at the default working precision and restore the previous one afterwards."""
    import flint
    import mpmath

    before = (flint.ctx.prec, mpmath.mp.prec)
    flint.ctx.prec = _DEFAULT_PREC
    mpmath.mp.prec = _DEFAULT_PREC
    try:
        yield
    finally:
        flint.ctx.prec, mpmath.mp.prec = before


@pytest.fixture
def theorycheck_seed(request: Any) -> int:
    """The seed given by ``--theorycheck-seed`` (default 0).

    Theorem: none.
    Rigor: not applicable.
    """
    seed = request.config.getoption("theorycheck_seed")
    return 0 if seed is None else int(seed)


@pytest.fixture
def theorycheck_rng(theorycheck_seed: int) -> Any:
    """A fresh ``numpy.random.Generator`` seeded with :func:`theorycheck_seed`.

    Theorem: none.
    Rigor: not applicable.
    """
    import numpy as np

    return np.random.default_rng(theorycheck_seed)


@pytest.fixture
def theorycheck_check_solver(theorycheck_seed: int) -> Callable[..., Any]:
    """:func:`theorycheck.testing.check_solver` with ``seed`` defaulting to ``--theorycheck-seed``.

    Theorem: as :func:`theorycheck.testing.check_solver`.
    Rigor: as :func:`theorycheck.testing.check_solver`.
    """
    def run(solver: Any, **options: Any) -> Any:
        options.setdefault("seed", theorycheck_seed)
        return check_solver(solver, **options)

    return run
