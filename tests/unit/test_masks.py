"""Cartesian line masks as scanners and fastMRI use them (centre fraction, acceleration, whole lines).

The counts are checked against fastMRI's definition (``round(n · center_fraction)`` low-frequency
lines, ``n / acceleration`` lines in all, Python's rounding) and the geometry against the centred
frequency grid of ``numpy.fft.fftshift(numpy.fft.fftfreq(n))``; through ``SubsampledFourier`` the
centred mask must see the zero frequency of a constant image.
"""

from __future__ import annotations

import numpy as np
import pytest

from theorycheck.errors import InvalidArgument
from theorycheck.problems.masks import equispaced_line_mask, random_line_mask
from theorycheck.problems.operators import SubsampledFourier

BUILDERS = {
    "equispaced": lambda shape, acc, cf, **kw: equispaced_line_mask(shape, acc, cf, **kw),
    "random": lambda shape, acc, cf, **kw: random_line_mask(shape, acc, cf, seed=kw.pop("seed", 0), **kw),
}
# (n1, n2, acceleration, center_fraction): fastMRI's knee (368 columns) and brain sizes, odd sizes
SETTINGS = [(640, 368, 4, 0.08), (640, 372, 8, 0.04), (32, 32, 4, 0.08), (9, 33, 3, 0.1),
            (16, 15, 2.5, 0.2), (8, 8, 1, 0.0), (8, 7, 1, 1.0), (4, 10, 5, 0.0)]


def _lines(mask: np.ndarray, axis: int) -> np.ndarray:
    """The sampled indices along ``axis``, after checking that every one is a whole line."""
    other = 1 - axis % 2
    whole = mask.all(axis=other)
    assert np.array_equal(whole, mask.any(axis=other)), "a line is only partly sampled"
    return np.flatnonzero(whole)


@pytest.mark.parametrize("kind", BUILDERS)
@pytest.mark.parametrize("n1,n2,acc,cf", SETTINGS)
@pytest.mark.parametrize("axis", [-1, 0])
def test_counts_centre_and_whole_lines(kind, n1, n2, acc, cf, axis):
    mask = BUILDERS[kind]((n1, n2), acc, cf, axis=axis)
    assert mask.dtype == bool and mask.shape == (n1, n2)
    n = (n1, n2)[axis]
    lines = _lines(mask, axis)
    n_low = int(round(n * cf))  # fastMRI: int(round(num_cols * center_fraction))
    assert lines.size == round(n / acc)  # exactly n / acceleration lines (Python rounding)
    # the centre block: n_low consecutive lines around the zero frequency of the centred grid
    freqs = np.fft.fftshift(np.fft.fftfreq(n))
    zero = int(np.flatnonzero(freqs == 0)[0])
    assert zero == n // 2
    if n_low:
        lo = (n - n_low + 1) // 2  # fastMRI: pad = (num_cols - num_low_freqs + 1) // 2
        assert set(range(lo, lo + n_low)) <= set(lines.tolist())
        assert lo <= zero < lo + n_low
        # balanced: the block reaches as far (±1 line) into negative as into positive frequencies
        assert abs((zero - lo) - (lo + n_low - 1 - zero)) <= 1


@pytest.mark.parametrize("kind", BUILDERS)
def test_centred_mask_sees_the_zero_frequency_and_unshifted_variant_agrees(kind):
    mask = BUILDERS[kind]((32, 24), 4, 0.08)
    x = np.ones((32, 24))
    A = SubsampledFourier(mask, centered=True)
    assert np.linalg.norm(A.apply(x)) == pytest.approx(np.linalg.norm(x), rel=1e-12)  # the DC line is sampled
    unshifted = BUILDERS[kind]((32, 24), 4, 0.08, centered=False)
    np.testing.assert_array_equal(unshifted, np.fft.ifftshift(mask))
    assert unshifted[0, 0]  # zero frequency at index 0 in numpy's ordering
    Au = SubsampledFourier(unshifted)
    img = np.random.default_rng(0).standard_normal((32, 24))
    np.testing.assert_allclose(A.adjoint(A.apply(img)), Au.adjoint(Au.apply(img)), atol=1e-12)


def test_axis_selects_the_phase_encode_direction():
    cols = equispaced_line_mask((12, 20), 4, 0.1, axis=-1)
    rows = equispaced_line_mask((20, 12), 4, 0.1, axis=0)
    np.testing.assert_array_equal(rows, cols.T)
    np.testing.assert_array_equal(equispaced_line_mask((12, 20), 4, 0.1, axis=1), cols)
    np.testing.assert_array_equal(random_line_mask((20, 12), 4, 0.1, axis=-2, seed=3),
                                  random_line_mask((12, 20), 4, 0.1, axis=-1, seed=3).T)


def test_equispaced_lines_are_evenly_spread_over_the_non_centre_lines():
    n, acc, cf = 368, 4, 0.08
    n_low, total = round(n * cf), round(n / acc)
    for offset in range(0, 3):
        mask = equispaced_line_mask((4, n), acc, cf, offset=offset)
        lines = _lines(mask, -1)
        pad = (n - n_low + 1) // 2
        others = np.setdiff1d(np.arange(n), np.arange(pad, pad + n_low))
        rank = np.searchsorted(others, np.setdiff1d(lines, np.arange(pad, pad + n_low)))
        k = total - n_low
        step = (n - n_low) / k
        assert rank.size == k and rank[0] == offset
        assert set(np.diff(rank).tolist()) <= {int(np.floor(step)), int(np.ceil(step))}
    # the default offset is 0; a seed draws it in [0, step)
    np.testing.assert_array_equal(equispaced_line_mask((4, n), acc, cf),
                                  equispaced_line_mask((4, n), acc, cf, offset=0))
    drawn = {tuple(_lines(equispaced_line_mask((4, n), acc, cf, seed=s), -1)) for s in range(12)}
    assert len(drawn) > 1


def test_random_lines_are_seeded_and_uniform_outside_the_centre():
    a = random_line_mask((4, 64), 4, 0.08, seed=1)
    np.testing.assert_array_equal(a, random_line_mask((4, 64), 4, 0.08, seed=1))
    assert not np.array_equal(a, random_line_mask((4, 64), 4, 0.08, seed=2))
    # over many seeds every non-centre line is drawn with about the same frequency
    n, n_low = 64, round(64 * 0.08)
    pad = (n - n_low + 1) // 2
    counts = np.zeros(n)
    for s in range(400):
        counts += random_line_mask((1, n), 4, 0.08, seed=s)[0]
    outside = np.setdiff1d(np.arange(n), np.arange(pad, pad + n_low))
    assert np.all(counts[pad:pad + n_low] == 400)
    p = (n / 4 - n_low) / (n - n_low)  # fastMRI's per-line probability
    assert np.all(np.abs(counts[outside] / 400 - p) < 0.12)
    assert counts[outside].sum() == 400 * (16 - n_low)


@pytest.mark.parametrize("call,match", [
    (lambda: equispaced_line_mask((8, 8), 0.5, 0.1), "acceleration"),
    (lambda: equispaced_line_mask((8, 8), 4, 1.5), "center_fraction"),
    (lambda: equispaced_line_mask((8, 8), 4, 0.5), "centre lines"),
    (lambda: equispaced_line_mask((8, 8), 20, 0.0), "0 of the 8 lines"),
    (lambda: equispaced_line_mask((8,), 4, 0.1), "shape"),
    (lambda: equispaced_line_mask((4, 4, 4), 4, 0.1), "shape"),
    (lambda: equispaced_line_mask((8, 8), 4, 0.1, axis=2), "axis"),
    (lambda: equispaced_line_mask((8, 8), 4, 0.1, axis=True), "axis"),
    (lambda: equispaced_line_mask((8, 8), 2, 0.25, offset=3), "offset"),
    (lambda: equispaced_line_mask((8, 8), 2, 0.25, offset=-1), "offset"),
    (lambda: equispaced_line_mask((8, 8), 2, 0.25, offset=0, seed=1), "either offset or seed"),
    (lambda: equispaced_line_mask((8, 8), 2, 0.25, centered=1), "centered"),
    (lambda: equispaced_line_mask((8, 8), float("nan"), 0.1), "acceleration"),
    (lambda: random_line_mask((8, 8), 4, 0.1, seed=-3), "seed"),
    (lambda: random_line_mask((8, 8), "4", 0.1), "acceleration"),
    (lambda: random_line_mask((2 ** 20, 2 ** 20), 4, 0.1), "too large"),
])
def test_bad_arguments_are_refused(call, match):
    with pytest.raises(InvalidArgument, match=match):
        call()
