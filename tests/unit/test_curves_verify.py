"""``verify`` of saved robustness curves: re-derivation from the file, and from the re-run network (``model=``).

Forgeries are built two ways: a single edited field (the claims no longer match the witness), and a
consistent one (the witness edited and every claim re-assembled from it, as a forger with the code
would do), which only re-running the network can expose.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skimage")

from theorycheck.errors import InvalidArgument  # noqa: E402
from theorycheck.instability.curves import _assemble_curve, stability_curve, verify_stability_curve  # noqa: E402
from theorycheck.nets.adapters import as_reconstruction_map  # noqa: E402
from theorycheck.results import Outcome, Witness, load, verify_result  # noqa: E402


def _setting(seed=0, m=14, N=8, B=3):
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((m, N)))
    V, _ = np.linalg.qr(rng.standard_normal((N, N)))
    A = U @ np.diag(np.linspace(0.5, 2.0, N)) @ V.T
    Bt = torch.tensor(np.linalg.pinv(A))
    psi = as_reconstruction_map(lambda y: y @ Bt.T.to(y.dtype), backend="torch")
    # the same linear map, evaluated with another rounding (not the stored bits)
    other = as_reconstruction_map(lambda y: (y @ (3.0 * Bt.T).to(y.dtype)) / 3.0, backend="torch")
    X = rng.standard_normal((B, N))
    return A, psi, other, X


@pytest.fixture(scope="module")
def saved():
    A, psi, other, X = _setting()
    c = stability_curve({"pinv": psi}, A, X, noise_levels=(0.0, 0.02, 0.05), restarts=2, steps=15,
                        metrics=("rel_l2",), baseline=None, seed=0, progress=False)
    assert c.holds
    return load(c.to_json()), psi, other


def _forge(c, edit):
    """The witness edited by ``edit(data)`` and every claim re-assembled from it (a consistent forgery)."""
    d = {k: v for k, v in c.witness.data.items()}
    d["runs"] = {m: dict(r) for m, r in d["runs"].items()}
    edit(d)
    out = _assemble_curve(d)
    return dataclasses.replace(out, values={**out.values, "elapsed_s": 0.0})


def test_without_model_the_file_is_rederived_and_the_lower_rigor_is_stated(saved):
    c, _, _ = saved
    v = verify_result(c)
    assert v.holds and v.rigor.value == "numerical"
    assert v.values["psi_reevaluated"] == ()
    assert "not re-checked" in v.values["not_rechecked"] and "model=" in v.values["not_rechecked"]


def test_with_model_every_claim_is_rederived_from_the_rerun_network(saved):
    c, psi, other = saved
    v = verify_result(c, model=psi)
    assert v.holds and v.rigor.value == "certified-float64"
    assert v.values["psi_reevaluated"] == ("pinv",) and "bit for bit" in v.message
    assert verify_stability_curve(c, model={"pinv": psi}).holds
    # another rounding of the same map: not the stored bits, but within the noise allowance
    E = c.witness.data["runs"]["pinv"]["e"]
    Y = (c.witness.data["y0"][None, None] + E).reshape(-1, E.shape[-1])
    yt = torch.tensor(Y)
    assert not np.array_equal(psi(yt).numpy(), other(yt).numpy())
    v = verify_result(c, model=other)
    assert v.holds and v.rigor.value == "certified-float64" and "within the allowed output difference" in v.message


def test_a_consistently_forged_output_is_refused_only_by_rerunning(saved):
    c, psi, other = saved

    def inflate(d):  # a larger error at the top level for image 0, with the metrics recomputed from it
        out = d["runs"]["pinv"]["output"].copy()
        out[2, 0, 0] = out[2, 0, 0] + 0.3
        d["runs"]["pinv"]["output"] = out

    f = _forge(c, inflate)
    assert f.values["pinv"]["rel_l2"][2, 0] > c.values["pinv"]["rel_l2"][2, 0]
    v = verify_result(f)  # the arithmetic is consistent: without the network nothing shows it
    assert v.holds and v.rigor.value == "numerical"
    for model in (psi, other):
        v = verify_result(f, model=model)
        assert not v.holds and "['output'] at level 2, draw 0, image 0" in v.message


def test_an_edited_error_is_refused(saved):
    c, psi, _ = saved
    vals = {k: (dict(v) if isinstance(v, dict) else v) for k, v in c.values.items()}
    rel = vals["pinv"]["rel_l2"].copy()
    rel[1, 1] *= 1.5
    vals["pinv"]["rel_l2"] = rel
    f = dataclasses.replace(c, values=vals)
    for model in (None, psi):
        v = verify_result(f, model=model)
        assert not v.holds and "values['pinv']" in v.message
    mean = {"pinv": {"rel_l2": c.mean["pinv"]["rel_l2"] * 0.9}}
    v = verify_result(dataclasses.replace(c, mean=mean), model=psi)
    assert not v.holds and "mean" in v.message


def test_an_edited_level_is_refused(saved):
    c, psi, _ = saved
    lev = c.levels.copy()
    lev[2] = 0.045  # below the stored perturbations' norms
    v = verify_result(dataclasses.replace(c, levels=lev), model=psi)
    assert not v.holds and "levels" in v.message

    def lower(d):
        d["levels"] = lev

    f = dataclasses.replace(_forge(c, lower), outcome=Outcome.HOLDS, rigor=c.rigor, message=c.message)
    for model in (None, psi):
        v = verify_result(f, model=model)
        assert not v.holds and "exceeds the level's budget" in v.message


def test_a_perturbation_beyond_its_level_is_refused(saved):
    c, psi, _ = saved

    def grow(d):
        E = d["runs"]["pinv"]["e"].copy()
        E[1, 0, 2] *= 1.01
        d["runs"]["pinv"]["e"] = E

    # only the witness edited, or the claims re-assembled and the outcome set back to holds
    raw = dataclasses.replace(c, witness=Witness("stability_curve", {**c.witness.data, "runs": {
        "pinv": {**c.witness.data["runs"]["pinv"], "e": c.witness.data["runs"]["pinv"]["e"] * 1.01}}}))
    f = dataclasses.replace(_forge(c, grow), outcome=Outcome.HOLDS, rigor=c.rigor, message=c.message)
    for bad in (raw, f):
        for model in (None, psi):
            v = verify_result(bad, model=model)
            assert not v.holds and "exceeds the level's budget" in v.message


def test_a_swapped_witness_is_refused(saved):
    c, psi, other = saved

    def swap_e(d):  # the perturbations of images 0 and 1 exchanged, the outputs left in place
        E = d["runs"]["pinv"]["e"].copy()
        E[1, 0, [0, 1]] = E[1, 0, [1, 0]]
        d["runs"]["pinv"]["e"] = E

    raw = dataclasses.replace(c, witness=_forge(c, swap_e).witness)
    v = verify_result(raw)
    assert not v.holds

    def swap_points(d):  # perturbation and output of level 1 given to level 2 and back, claims re-assembled
        for key in ("e", "output", "noise"):
            a = d["runs"]["pinv"][key].copy()
            a[[1, 2]] = a[[2, 1]]
            d["runs"]["pinv"][key] = a

    f = _forge(c, swap_points)
    assert not f.holds  # level 2's perturbation does not fit level 1: the honest assembly says so ...
    f2 = dataclasses.replace(f, outcome=Outcome.HOLDS, rigor=c.rigor, message=c.message)
    assert not verify_result(f2).holds  # ... and a file that claims otherwise is refused

    def swap_images(d):  # images 0 and 1 exchanged in e and output alike, claims re-assembled
        for key in ("e", "output", "noise"):
            a = d["runs"]["pinv"][key].copy()
            a[:, :, [0, 1]] = a[:, :, [1, 0]]
            d["runs"]["pinv"][key] = a

    g = _forge(c, swap_images)
    for model in (psi, other):
        v = verify_result(g, model=model)
        assert not v.holds and "['output']" in v.message


def test_the_baseline_is_rerun_and_models_are_matched_by_name():
    from theorycheck.problems.operators import SubsampledFourier

    rng = np.random.default_rng(1)
    mask = rng.random((8, 8)) < 0.5
    mask[0, 0] = True
    A = SubsampledFourier(mask)
    X = rng.random((2, 8, 8))
    zf = as_reconstruction_map(lambda y: torch.stack([A.adjoint(v).real for v in y]), backend="torch")
    c = load(stability_curve({"zf": zf}, A, X, noise_levels=(0.0, 0.02), restarts=1, steps=3, metrics=("rel_l2",),
                             baseline="l1-wavelet", baseline_iterations=10, seed=5, progress=False).to_json())
    v = verify_result(c, model=zf)
    assert v.holds and set(v.values["psi_reevaluated"]) == {"zf", "l1-wavelet"}
    with pytest.raises(InvalidArgument, match="model"):
        verify_stability_curve(c, model={"unet": zf})
    with pytest.raises(InvalidArgument, match="model"):
        verify_stability_curve(c, model={"zf": 3})

    def forge_baseline(d):
        out = d["runs"]["l1-wavelet"]["output"].copy()
        out[1, 0, 1] *= 0.5
        d["runs"]["l1-wavelet"]["output"] = out

    f = _forge(c, forge_baseline)
    assert verify_result(f).holds  # arithmetic consistent, networks not re-run
    v = verify_result(f, model=zf)
    assert not v.holds and "['l1-wavelet']['output'] at level 1, draw 0, image 1" in v.message


def test_gaussian_curve_rechecks_with_the_model():
    A, psi, other, X = _setting(B=2)
    c = load(stability_curve({"pinv": psi}, A, X, noise_levels=(0.01, 0.04), kind="gaussian", restarts=3,
                             metrics=("rel_l2",), baseline=None, seed=2, progress=False).to_json())
    for model in (psi, other):
        v = verify_result(c, model=model)
        assert v.holds and v.values["psi_reevaluated"] == ("pinv",)
    vals = {k: (dict(v) if isinstance(v, dict) else v) for k, v in c.values.items()}
    rel = vals["pinv"]["rel_l2"].copy()
    rel[0, 0] += 1e-9
    vals["pinv"]["rel_l2"] = rel
    assert not verify_result(dataclasses.replace(c, values=vals), model=other).holds
