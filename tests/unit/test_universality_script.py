"""proofs_numeric/universality.py: the kernel pair, the nested patterns and the training sets at tiny size."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("universality_script", ROOT / "proofs_numeric" / "universality.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    try:
        spec.loader.exec_module(mod)
        yield mod
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def mods(script):
    return script.modalities(0, ("Fourier", "Radon"))


@pytest.mark.parametrize("name", ["Fourier", "Radon"])
def test_kernel_pair_meets_the_theorem_geometry(script, mods, name):
    m = mods[name]
    D = np.linalg.norm(m.xp - m.x)
    gap = np.linalg.norm(np.asarray(m.A.apply(m.xp - m.x)))
    # ‖z‖ = 2 up to the small range part, ‖Az‖ = 2/κ exactly (to rounding): hypotheses satisfiable
    assert abs(D - script.DETAIL) < 0.05 * script.DETAIL
    assert gap == pytest.approx(script.DETAIL / script.KAPPA[name], rel=1e-9)
    assert gap == pytest.approx(m.gap, rel=1e-12)
    assert D > 2 * gap
    # the detail is almost invisible to A relative to A's scale, and ‖A‖ is the operator norm
    assert gap / D < m.norm_A / 4
    v = np.random.default_rng(0).standard_normal(m.x.shape)
    assert np.linalg.norm(np.asarray(m.A.apply(v))) <= m.norm_A * np.linalg.norm(v) * (1 + 1e-9)


@pytest.mark.parametrize("name", ["Fourier", "Radon"])
def test_patterns_are_nested_and_growing(mods, name):
    pats = mods[name].patterns
    counts = [int(np.sum(p)) for p in pats]
    assert all(b > a for a, b in zip(counts, counts[1:]))
    assert all(np.all(p <= q) for p, q in zip(pats, pats[1:]))  # each contains the previous
    A0 = mods[name].make(pats[0])
    assert A0.shape == mods[name].A.shape


def test_training_sets(script, mods):
    m = mods["Fourier"]
    b = script.Budget(phantoms=3, repeats=2, epochs=1, batch=4, search_steps=1, trials=1, ball=0,
                      fire_layers=(1, 1), fire_steps=1)
    ordinary = script.training_set(m, "ordinary", b, 0)
    pair = script.training_set(m, "kernel pair", b, 0)
    assert ordinary.shape == (3, 16, 16)
    assert pair.shape == (7, 16, 16)
    # the pair is held out of the ordinary set and present (repeated) in the other
    assert not any(np.array_equal(img, m.x) or np.array_equal(img, m.xp) for img in ordinary)
    assert sum(np.array_equal(img, m.x) for img in pair) == 2
    assert sum(np.array_equal(img, m.xp) for img in pair) == 2
