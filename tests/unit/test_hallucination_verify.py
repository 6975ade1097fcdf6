"""``verify`` of saved hallucinations: from the file alone (numerical, stated) and with the network re-run."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.instability.hallucination import _assemble, search_hallucination, verify_hallucination  # noqa: E402
from theorycheck.nets.adapters import as_reconstruction_map  # noqa: E402
from theorycheck.results import Witness, load, verify_result  # noqa: E402


@pytest.fixture(scope="module")
def saved():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((10, 12))
    Bt = torch.tensor(rng.standard_normal((12, 10)))
    psi = as_reconstruction_map(lambda y: y @ Bt.T.to(y.dtype), backend="torch")
    other = as_reconstruction_map(lambda y: (y @ (3.0 * Bt.T).to(y.dtype)) / 3.0, backend="torch")
    x = rng.standard_normal(12)
    t = np.zeros(12)
    t[2:5] = [1.0, 2.0, 1.0]
    h = search_hallucination(psi, A, x, t, budget=1.0, steps=100, seed=0, progress=False)
    assert h.holds
    return load(h.to_json()), psi, other


def _forge(h, **fields):
    out = _assemble({**h.witness.data, **fields})
    return dataclasses.replace(out, values={**out.values, "elapsed_s": 0.0})


def test_without_and_with_the_model(saved):
    h, psi, other = saved
    v = verify_result(h)
    assert v.holds and v.rigor.value == "numerical" and v.values["psi_reevaluated"] is False
    assert "not re-checked" in v.values["not_rechecked"]
    v = verify_hallucination(h, model=psi)
    assert v.holds and v.rigor.value == "certified-float64" and "bit for bit" in v.message
    y = torch.tensor(np.stack([h.witness.data["y0"], h.witness.data["y1"]]))
    assert not np.array_equal(psi(y).numpy(), other(y).numpy())  # another rounding of the same map
    v = verify_result(h, model=other)
    assert v.holds and v.values["psi_reevaluated"] is True and "confirm the saved bounds" in v.message


def test_a_consistently_forged_detail_is_refused_only_by_rerunning(saved):
    h, psi, other = saved
    d = h.witness.data
    boosted = d["psi_y1"] + 0.5 * d["target"]  # a stronger planted detail, claims re-assembled from it
    f = _forge(h, psi_y1=boosted)
    assert f.strength > h.strength
    assert verify_result(f).holds
    for model in (psi, other):
        v = verify_result(f, model=model)
        assert not v.holds and "psi_y1" in v.message


def test_edited_and_swapped_witnesses_are_refused(saved):
    h, psi, _ = saved
    for model in (None, psi):
        assert not verify_result(dataclasses.replace(h, strength=h.strength * 1.01), model=model).holds
        assert not verify_result(dataclasses.replace(h, outside_change=h.outside_change * 0.99), model=model).holds
    d = h.witness.data
    swapped = dataclasses.replace(h, witness=Witness("hallucination", {**d, "psi_y0": d["psi_y1"],
                                                                       "psi_y1": d["psi_y0"]}))
    assert not verify_result(swapped).holds
    f = _forge(h, psi_y0=d["psi_y1"], psi_y1=d["psi_y0"], remove=True)  # "removes" the detail it planted
    assert f.holds and verify_result(f).holds
    v = verify_result(f, model=psi)
    assert not v.holds and "psi_y0" in v.message
    big = _forge(h, perturbation=d["perturbation"] * 1.5, y1=d["y0"] + d["perturbation"] * 1.5)
    assert not verify_result(big).holds and "budget" in verify_result(big).message
