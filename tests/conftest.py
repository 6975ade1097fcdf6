"""Shared test configuration: hypothesis profiles, gpu skipping, precision reset."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# database=None: the tests write no .hypothesis/ folder into the repository
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=40, print_blob=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100, database=None)
settings.load_profile(os.environ.get("THEORYCHECK_HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _restore_precision():
    """Every test starts and ends at the default working precision."""
    import flint
    import mpmath

    before = (flint.ctx.prec, mpmath.mp.prec)
    yield
    flint.ctx.prec, mpmath.mp.prec = before
