"""Unit tests of theorycheck.problems.data (synthetic phantoms, signals, details)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import theorycheck.problems.data as data
from theorycheck.errors import InvalidArgument
from theorycheck.problems.data import (
    add_detail,
    detail_image,
    piecewise_smooth_signal,
    random_ellipses,
    shepp_logan,
    sparse_vector,
)


def _centres(n: int) -> np.ndarray:
    return (2.0 * np.arange(n) + 1.0 - n) / n


# ------------------------------------------------------------------ doctests
def test_module_doctests_pass():
    result = doctest.testmod(data, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    "fn",
    [shepp_logan, random_ellipses, piecewise_smooth_signal, sparse_vector,
     detail_image, add_detail],
)
def test_docstrings_have_theorem_and_rigor_lines(fn):
    lines = [line.strip() for line in fn.__doc__.splitlines()]
    assert any(line.startswith("Theorem:") for line in lines)
    assert any(line.startswith("Rigor:") for line in lines)


# ------------------------------------------------------------------ Shepp–Logan
@pytest.mark.parametrize("n", [2, 3, 17, 64, 128])
def test_shepp_logan_shape_dtype_range(n):
    x = shepp_logan(n)
    assert x.shape == (n, n) and x.dtype == np.float64
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_shepp_logan_modified_values():
    x = shepp_logan(256)
    # exact tabulated sums: background/ventricles 0, brain 0.2, small 0.3/0.4, skull 1
    assert set(np.unique(x)) <= {0.0, 0.1, 0.2, 0.3, 0.4, 1.0}
    assert x.max() == 1.0 and x.min() == 0.0
    assert x[128, 128] == pytest.approx(0.2)  # brain matter at the centre
    # brain matter is the most common value inside the head
    inside = x[x > 0]
    values, counts = np.unique(inside, return_counts=True)
    assert values[np.argmax(counts)] == pytest.approx(0.2)


def test_shepp_logan_original_values():
    x = shepp_logan(256, modified=False)
    assert x.dtype == np.float64
    assert x.max() == 2.0 and x.min() == 0.0
    assert x[128, 128] == pytest.approx(1.02)
    # no value strictly between 0 and 1: the head is x ≥ 1, the ventricles 1.0
    assert not np.any((x > 0) & (x < 1.0))
    # the modified phantom's nonzeros lie inside the same head
    assert np.all(x[shepp_logan(256) > 0] >= 1.0)


def test_shepp_logan_background_zero_outside_head():
    n = 128
    x = shepp_logan(n)
    c = _centres(n)
    X, Y = c[None, :], -c[:, None]
    outside = (X / 0.69) ** 2 + (Y / 0.92) ** 2 > 1.0
    assert np.all(x[outside] == 0.0)
    # the skull ring (inside the outer, outside the inner ellipse) is exactly 1
    inner = (X / 0.6624) ** 2 + ((Y + 0.0184) / 0.874) ** 2 <= 1.0
    ring = ~outside & ~inner
    assert ring.sum() > 0
    assert np.all(x[ring] == 1.0)
    # corners and borders are background
    assert x[0, 0] == x[0, -1] == x[-1, 0] == x[-1, -1] == 0.0


def test_shepp_logan_taller_than_wide_and_upright():
    x = shepp_logan(128)
    rows = np.flatnonzero(x.any(axis=1))
    cols = np.flatnonzero(x.any(axis=0))
    height = rows[-1] - rows[0] + 1
    width = cols[-1] - cols[0] + 1
    assert height > width
    assert height == pytest.approx(0.92 * 128, abs=3)
    assert width == pytest.approx(0.69 * 128, abs=3)


def test_shepp_logan_left_right_mirror_symmetry():
    x = shepp_logan(128)
    mirrored = x[:, ::-1]
    # the head outline is exactly mirror symmetric (the original phantom is
    # nonzero exactly on the head)
    head = shepp_logan(128, modified=False) > 0
    np.testing.assert_array_equal(head, head[:, ::-1])
    np.testing.assert_array_equal(x == 1.0, mirrored == 1.0)
    # only the two ventricles (|y| < 0.4) and the tiny bottom ellipses
    # (y ≈ -0.6, |x| < 0.15) break the symmetry; everywhere else it is exact
    c = _centres(128)
    X, Y = c[None, :], -c[:, None]
    asymmetric_zone = (np.abs(Y) < 0.45) | ((Y < -0.5) & (np.abs(X) < 0.2))
    differ = x != mirrored
    assert differ.any()
    assert not np.any(differ & ~asymmetric_zone)
    # but not up-down symmetric: the head is shifted and the features differ
    assert np.mean(x != x[::-1, :]) > np.mean(x != mirrored)


def test_shepp_logan_orientation_of_features():
    n = 256
    x = shepp_logan(n)
    half = n // 2
    # the larger dark ventricle (x0 = -0.22) is in the left half of the image
    head = shepp_logan(n, modified=False) > 0
    dark_inside = (x == 0.0) & head
    dark_left = dark_inside[:, :half].sum()
    dark_right = dark_inside[:, half:].sum()
    assert dark_left > dark_right > 0
    # the 0.3-valued ellipse (y0 = +0.35) lies in the top half
    rows_03 = np.flatnonzero((x == 0.3).any(axis=1))
    assert rows_03.mean() < half
    # the three small bottom ellipses (y0 ≈ -0.605) are in the bottom quarter
    c = _centres(n)
    row = int(np.argmin(np.abs(-c - (-0.605))))
    assert np.any(x[row, :] == 0.3)
    assert row > 3 * n // 4 - 10


def test_shepp_logan_is_deterministic_and_validates():
    np.testing.assert_array_equal(shepp_logan(33), shepp_logan(33))
    for bad in [0, -3, 2.5, True, "64", None]:
        with pytest.raises(InvalidArgument):
            shepp_logan(bad)
    with pytest.raises(InvalidArgument):
        shepp_logan(8, modified="yes")


# ------------------------------------------------------------------ random ellipses
def test_random_ellipses_shape_range_and_unit_disc():
    n = 48
    x = random_ellipses(n, seed=0, batch=5)
    assert x.shape == (5, n, n) and x.dtype == np.float64
    assert x.min() >= 0.0 and x.max() <= 1.0
    c = _centres(n)
    outside = c[None, :] ** 2 + c[:, None] ** 2 > 1.0
    assert np.all(x[:, outside] == 0.0)
    assert all(img.any() for img in x)
    # the batch holds different images
    assert not np.array_equal(x[0], x[1])
    single = random_ellipses(n, seed=0)
    assert single.shape == (n, n)


def test_random_ellipses_seed_determinism():
    a = random_ellipses(32, count=5, seed=7, batch=2)
    b = random_ellipses(32, count=5, seed=7, batch=2)
    c = random_ellipses(32, count=5, seed=8, batch=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(random_ellipses(16, seed=g1), random_ellipses(16, seed=g2))


def test_random_ellipses_intensities_are_sums_clipped():
    # a single ellipse: values are 0 or its intensity in [0.1, 1]
    x = random_ellipses(64, count=1, seed=2)
    vals = np.unique(x)
    assert len(vals) == 2 and vals[0] == 0.0 and 0.1 <= vals[1] <= 1.0


def test_random_ellipses_validation():
    for kwargs in [dict(n=0), dict(n=True), dict(n=8, count=0), dict(n=8, count=2.0),
                   dict(n=8, batch=0), dict(n=8, batch=False), dict(n=8, seed="x"),
                   dict(n=8, seed=-1), dict(n=8, seed=1.5)]:
        with pytest.raises(InvalidArgument):
            random_ellipses(**kwargs)


# ------------------------------------------------------------------ piecewise smooth
@pytest.mark.parametrize("pieces", [1, 2, 4, 7])
def test_piecewise_smooth_signal_has_pieces_minus_one_jumps(pieces):
    N = 512
    x = piecewise_smooth_signal(N, pieces=pieces, seed=pieces)
    assert x.shape == (N,) and x.dtype == np.float64
    assert np.all(np.isfinite(x))
    d = np.abs(np.diff(x))
    big = d >= 0.5
    assert big.sum() == pieces - 1
    assert np.all(d[big] <= 1.5 + 1e-12)
    # between jumps the signal is smooth: tiny increments
    assert np.all(d[~big] < 12.0 / N)


def test_piecewise_smooth_signal_seed_and_validation():
    np.testing.assert_array_equal(piecewise_smooth_signal(64, seed=1),
                                  piecewise_smooth_signal(64, seed=1))
    assert not np.array_equal(piecewise_smooth_signal(64, seed=1),
                              piecewise_smooth_signal(64, seed=2))
    assert piecewise_smooth_signal(1, pieces=1, seed=0).shape == (1,)
    assert piecewise_smooth_signal(5, pieces=5, seed=0).shape == (5,)
    for args, kwargs in [((0,), {}), ((10,), dict(pieces=0)), ((10,), dict(pieces=11)),
                         ((True,), {}), ((10.0,), {}), ((10,), dict(pieces=2.5))]:
        with pytest.raises(InvalidArgument):
            piecewise_smooth_signal(*args, **kwargs)


# ------------------------------------------------------------------ sparse vectors
@pytest.mark.parametrize("N,s", [(1, 1), (10, 3), (50, 50), (200, 17)])
@pytest.mark.parametrize("cplx", [False, True])
def test_sparse_vector_exact_sparsity(N, s, cplx):
    x = sparse_vector(N, s, complex=cplx, seed=N + s)
    assert x.shape == (N,)
    assert x.dtype == (np.complex128 if cplx else np.float64)
    nz = x != 0
    assert nz.sum() == s
    assert np.all(np.abs(x[nz]) >= 0.1)
    if cplx:
        assert np.any(x.imag != 0)


def test_sparse_vector_seed_and_distribution():
    a = sparse_vector(100, 10, seed=0)
    np.testing.assert_array_equal(a, sparse_vector(100, 10, seed=0))
    assert not np.array_equal(a, sparse_vector(100, 10, seed=1))
    # values look standard normal and supports vary
    many = np.stack([sparse_vector(40, 20, seed=k) for k in range(50)])
    vals = many[many != 0]
    assert abs(vals.mean()) < 0.15 and 0.8 < vals.std() < 1.2
    assert (many != 0).any(axis=0).all()


def test_sparse_vector_validation():
    for args, kwargs in [((10, 11), {}), ((10, 0), {}), ((0, 1), {}), ((10, 2.0), {}),
                         ((True, 1), {}), ((10, True), {}), ((10, 2), dict(complex="no")),
                         ((10, 2), dict(seed="a"))]:
        with pytest.raises(InvalidArgument):
            sparse_vector(*args, **kwargs)
    # InvalidArgument is a ValueError and the message says what to change
    with pytest.raises(ValueError, match="s ≤ 10"):
        sparse_vector(10, 11)


# ------------------------------------------------------------------ details
@pytest.mark.parametrize("kind", ["disc", "strokes", "text"])
def test_detail_image_small_nonzero_area(kind):
    n = 128
    d = detail_image(n, kind, seed=0)
    assert d.shape == (n, n) and d.dtype == np.float64
    nz = d != 0
    assert 1 <= nz.sum() <= 0.03 * n * n
    assert set(np.unique(d)) == {0.0, 1.0}
    rows = np.flatnonzero(nz.any(axis=1))
    cols = np.flatnonzero(nz.any(axis=0))
    # the detail is compact: its bounding box is small
    assert rows[-1] - rows[0] < n // 2 and cols[-1] - cols[0] < n // 2
    # determinism under a seed, difference between seeds
    np.testing.assert_array_equal(d, detail_image(n, kind, seed=0))
    assert not np.array_equal(d, detail_image(n, kind, seed=1))


def test_detail_disc_geometry_and_amplitude():
    d = detail_image(64, "disc", size=2, position=(20, 40), amplitude=-0.5)
    nz = np.argwhere(d != 0)
    assert len(nz) == 13  # lattice points with i² + j² ≤ 4
    assert np.all(d[d != 0] == -0.5)
    assert tuple(nz.mean(axis=0)) == (20.0, 40.0)
    # cropped at the border, never an error
    corner = detail_image(16, "disc", size=3, position=(0, 0))
    assert 0 < (corner != 0).sum() < 29


def test_detail_text_is_the_rendered_string():
    d = detail_image(64, "text", position=(32, 32))
    nz = np.argwhere(d != 0)
    h = nz[:, 0].max() - nz[:, 0].min() + 1
    w = nz[:, 1].max() - nz[:, 1].min() + 1
    assert (h, w) == (5, 4 * len("CAN U SEE IT") - 1)
    big = detail_image(128, "text", size=2, position=(64, 64))
    assert (big != 0).sum() == 4 * (d != 0).sum()
    other = detail_image(64, "text", position=(32, 32), text="HI")
    assert (other != 0).sum() < (d != 0).sum()
    # case-insensitive
    np.testing.assert_array_equal(other, detail_image(64, "text", position=(32, 32),
                                                      text="hi"))


def test_detail_image_validation():
    bad_calls = [
        ((64, "square"), {}),
        ((64, 3), {}),
        ((0, "disc"), {}),
        ((True, "disc"), {}),
        ((64, "disc"), dict(amplitude=0.0)),
        ((64, "disc"), dict(amplitude=float("nan"))),
        ((64, "disc"), dict(size=-1.0)),
        ((64, "disc"), dict(position=(70, 3))),
        ((64, "disc"), dict(position=(3,))),
        ((64, "disc"), dict(position=5)),
        ((32, "text"), {}),  # "CAN U SEE IT" is 47 pixels wide
        ((64, "text"), dict(size=1.5)),
        ((64, "text"), dict(text="µ")),
        ((64, "text"), dict(text="   ")),
        ((64, "text"), dict(position=(32, 2))),  # does not fit there
    ]
    for args, kwargs in bad_calls:
        with pytest.raises(InvalidArgument):
            detail_image(*args, **kwargs)


# ------------------------------------------------------------------ add_detail
def test_add_detail_returns_new_array_and_does_not_mutate():
    x = shepp_logan(32)
    d = detail_image(32, "disc", seed=0)
    x0, d0 = x.copy(), d.copy()
    y = add_detail(x, d)
    np.testing.assert_array_equal(y, x0 + d0)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(d, d0)
    assert y is not x and not np.shares_memory(y, x)
    # batch broadcast and complex images
    batch = random_ellipses(32, seed=1, batch=3)
    yb = add_detail(batch, d)
    assert yb.shape == (3, 32, 32)
    np.testing.assert_array_equal(yb[2], batch[2] + d)
    yc = add_detail(x + 0j, d)
    assert yc.dtype == np.complex128


def test_add_detail_validation():
    x = np.zeros((8, 8))
    for bad in [np.zeros((8, 7)), np.zeros((2, 8, 8)), np.zeros(8), 1.0, np.zeros((1, 8)),
                np.full((8, 8), np.nan)]:
        with pytest.raises(InvalidArgument):
            add_detail(x, bad)
    with pytest.raises(InvalidArgument):
        add_detail(3.0, 1.0)
    # 1D signals: same shape only
    assert add_detail(np.ones(5), np.ones(5)).shape == (5,)
    with pytest.raises(InvalidArgument):
        add_detail(np.ones((3, 5)), np.ones(5))


# -- issue 11: sizes refused before allocating ---------------------------------------------------

def test_issue11_generators_refuse_sizes_that_cannot_be_computed():
    import time

    t0 = time.perf_counter()
    for call in (lambda: shepp_logan(10 ** 6), lambda: random_ellipses(64, batch=10 ** 7),
                 lambda: random_ellipses(2 ** 13, count=10 ** 6), lambda: sparse_vector(10 ** 12, 1),
                 lambda: piecewise_smooth_signal(2 ** 25, pieces=2 ** 21),
                 lambda: detail_image(10 ** 5, "disc"), lambda: detail_image(64, "strokes", size=1e15),
                 lambda: detail_image(64, "text", size=10 ** 9)):
        with pytest.raises(InvalidArgument):
            call()
    assert time.perf_counter() - t0 < 2.0


def test_issue11_text_width_counts_the_upper_cased_text():
    # 'ß'.upper() is 'SS': two glyphs, the size check must use the rendered text
    img = detail_image(32, "text", text="ß", position=(16.0, 16.0))
    expected = detail_image(32, "text", text="SS", position=(16.0, 16.0))
    assert np.array_equal(img, expected)
