"""executor= with dask.distributed: a LocalCluster gives exactly the serial results.

Audit of a training set, RIP enumeration and the phase-transition sweep fan out over any
object with ``submit``; results are collected in task order, so the distributed run must
match the serial one claim for claim (``claim_mismatches``: every field, floats bit for bit).
Skipped when dask.distributed is not installed (``pip install "dask[distributed]"``).
"""

from __future__ import annotations

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from theorycheck import check_training_set, empirical_phase_transition, rip_constant  # noqa: E402
from theorycheck.problems import SubsampledFourier  # noqa: E402
from theorycheck.results import claim_mismatches  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _same(serial, parallel):
    assert claim_mismatches(serial, parallel) == []
    assert serial.outcome == parallel.outcome and serial.rigor == parallel.rigor
    assert serial.message == parallel.message


@pytest.mark.parametrize("as_executor", [False, True], ids=["client", "client.get_executor()"])
def test_training_set_audit_on_dask_matches_serial(client, as_executor):
    rng = np.random.default_rng(0)
    n = 8
    mask = np.zeros((n, n), bool)
    mask[:, :3] = True
    A = SubsampledFourier(mask)
    X = rng.standard_normal((40, n, n)) + 1j * rng.standard_normal((40, n, n))
    z = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    z -= A.adjoint(A.apply(z))  # a kernel direction (A is a partial isometry): planted pairs (X[i], X[i] + z)
    X[5], X[17] = X[3] + z, X[11] + z
    ex = client.get_executor() if as_executor else client
    serial = check_training_set(A, X, eta=1e-6, block_size=8, progress=False)
    parallel = check_training_set(A, X, eta=1e-6, block_size=8, executor=ex, progress=False)
    _same(serial, parallel)
    pairs = {tuple(int(i) for i in p[:2]) for p in serial.pairs}
    assert {(3, 5), (11, 17)} <= pairs  # the planted pairs (independent ground truth)


def test_rip_enumeration_on_dask_matches_serial(client):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 10)) / np.sqrt(6)
    serial = rip_constant(A, 2, method="exact", progress=False)
    parallel = rip_constant(A, 2, method="exact", progress=False, executor=client)
    _same(serial, parallel)
    # brute force over all supports of size 2 (independent of the library)
    from itertools import combinations

    delta = max(max(abs(np.linalg.eigvalsh(A[:, list(S)].T @ A[:, list(S)]) - 1))
                for S in combinations(range(10), 2))
    assert float(serial.values["lower"]) <= delta * (1 + 1e-12) and float(serial.values["upper"]) >= delta * (1 - 1e-12)
    assert float(serial.values["upper"]) == pytest.approx(delta, rel=1e-9)


def test_phase_transition_sweep_on_dask_matches_serial(client):
    kw = dict(trials=2, seed=3, progress=False)
    serial = empirical_phase_transition(12, [0.5], [0.2, 0.4], **kw)
    parallel = empirical_phase_transition(12, [0.5], [0.2, 0.4], executor=client, **kw)
    _same(serial, parallel)


def test_identical_tasks_submitted_again_are_not_cancelled(client):
    """Regression: fan_out cancelled every future when done; Dask keys identical tasks alike, so the
    asynchronous cancel of a finished run cancelled the same tasks of the next run."""
    from theorycheck.numerics.parallel import fan_out

    tasks = [(i, 2) for i in range(20)]
    for _ in range(5):
        assert list(fan_out(pow, tasks, executor=client)) == [i ** 2 for i in range(20)]
        assert list(fan_out(pow, tasks, executor=client.get_executor())) == [i ** 2 for i in range(20)]
