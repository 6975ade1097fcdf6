"""Targeted hallucinations (theorycheck.instability.hallucination) against least squares on linear maps.

For ``Ψ = B`` linear and a budget that does not bind, the search minimises the weighted least-squares
objective ``½‖M(Be − t)‖² + (w/2)‖(1 − M)Be‖²``, whose optimum ``numpy.linalg.lstsq`` computes
independently; with a binding ℓ∞ budget the answer must respect it.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.errors import InvalidArgument  # noqa: E402
from theorycheck.instability.hallucination import search_hallucination, verify_hallucination  # noqa: E402
from theorycheck.nets.adapters import as_reconstruction_map  # noqa: E402
from theorycheck.results import load  # noqa: E402


def _linear(seed=0, m=10, N=12):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N))
    Bm = rng.standard_normal((N, m))
    Bt = torch.tensor(Bm)
    psi = as_reconstruction_map(lambda y: y @ Bt.T.to(y.dtype), backend="torch")
    x = rng.standard_normal(N)
    t = np.zeros(N)
    t[2:5] = [1.0, 2.0, 1.0]
    return A, Bm, psi, x, t


def _objective(Bm, e, t, M, kw):
    r = Bm @ e
    return 0.5 * np.sum((M * (r - t)) ** 2) + 0.5 * kw * np.sum(((1 - M) * r) ** 2)


@pytest.mark.parametrize("kw, remove", [(0.5, False), (2.0, True)])
def test_search_reaches_the_least_squares_optimum(kw, remove):
    A, Bm, psi, x, t = _linear()
    M = (t != 0).astype(float)
    Wd = np.sqrt(M + kw * (1 - M))
    goal = -t if remove else t
    e_ls = np.linalg.lstsq(Wd[:, None] * Bm, Wd * goal, rcond=None)[0]
    h = search_hallucination(psi, A, x, t, budget=1.5 * np.linalg.norm(e_ls), keep_weight=kw, steps=2000, seed=0,
                             progress=False, remove=remove)
    best = _objective(Bm, e_ls, goal, M, kw)
    got = _objective(Bm, h.e, goal, M, kw)
    assert best <= got <= best * (1 + 1e-4)
    # the reported strength is a lower bound on the exact ⟨Δ_R, t_R⟩/‖t_R‖² of the stored outputs
    d = h.witness.data
    delta = (d["psi_y0"] - d["psi_y1"]) if remove else (d["psi_y1"] - d["psi_y0"])
    exact = np.dot(M * delta, t) / np.dot(t, t)
    assert h.holds and 0 < h.strength <= exact
    assert h.outside_change >= np.linalg.norm((1 - M) * delta)
    np.testing.assert_allclose(h.relative_norm, np.linalg.norm(h.e) / np.linalg.norm(A @ x), rtol=1e-12)
    assert verify_hallucination(load(h.to_json())).holds


def test_linf_budget_in_the_image_domain_is_respected():
    A, Bm, psi, x, t = _linear()
    h = search_hallucination(psi, A, x, t, budget=0.05, norm="linf", domain="image", steps=50, seed=1,
                             progress=False)
    assert h.r is not None and h.e is None
    assert np.max(np.abs(h.r)) <= 0.05 * (1 + 1e-12)
    assert verify_hallucination(load(h.to_json())).holds


@pytest.mark.parametrize("kwargs, name", [
    ({"target": np.zeros(5)}, "target"),
    ({"region": np.zeros(12, dtype=bool)}, "region"),
    ({"region": np.ones(5, dtype=bool)}, "region"),
    ({"budget": 0.0}, "budget"),
    ({"budget": -1.0}, "budget"),
    ({"norm": "l1"}, "norm"),
    ({"domain": "kspace"}, "domain"),
    ({"keep_weight": -1.0}, "keep_weight"),
])
def test_bad_arguments_are_refused_naming_them(kwargs, name):
    A, _, psi, x, t = _linear()
    args = dict(target=t, budget=1.0, steps=2, progress=False)
    args.update(kwargs)
    target = args.pop("target")
    with pytest.raises(InvalidArgument, match=name):
        search_hallucination(psi, A, x, target, **args)


def test_figure_outlines_the_region(tmp_path):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    n = 8
    A = rng.standard_normal((80, n * n))
    from theorycheck.problems.operators import MatrixOperator

    op = MatrixOperator(A)
    Bt = torch.tensor(np.linalg.pinv(A))
    x = rng.random(n * n)
    t = np.zeros(n * n)
    t[27:29] = 1.0
    psi = as_reconstruction_map(lambda y: y @ Bt.T.to(y.dtype), backend="torch")
    h = search_hallucination(psi, op, x, t, budget=1.0, steps=20, seed=0, progress=False)
    with pytest.raises(InvalidArgument):
        h.figure()  # 1-D images: no figure
