"""Synthetic test data: phantoms, 1D signals, sparse vectors and small details.

Everything here is generated analytically with numpy: no downloads, no files.
Randomness enters only through an explicit ``seed`` argument (an ``int``, a
:class:`numpy.random.Generator`, or ``None`` for fresh OS entropy), passed to
:func:`numpy.random.default_rng`; the same seed gives the same data.  A
Generator passed as ``seed`` is used (and advanced) directly.

Image conventions: an ``n × n`` image samples the square ``[-1, 1]²`` at the
pixel centres ``-1 + (2k + 1)/n``; row ``0`` is the top (``y = +1``) and column
``0`` the left (``x = -1``), so ``image[i, j]`` is the value at
``(x, y) = (c[j], -c[i])``.

Theorem: none (test data for the accuracy and stability tests of docs/theory.md §4
and the sparse-recovery checks of §1–§2).
Rigor: not applicable (data generators).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence, Union

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array
from theorycheck.numerics.validation import finite_real_arg, integer_arg, refuse_size, seed_arg

__all__ = [
    "SeedLike",
    "DETAIL_KINDS",
    "DEFAULT_DETAIL_TEXT",
    "shepp_logan",
    "random_ellipses",
    "piecewise_smooth_signal",
    "sparse_vector",
    "detail_image",
    "add_detail",
]

#: What ``seed`` arguments accept.
SeedLike = Union[int, np.integer, np.random.Generator, np.random.SeedSequence, None]

#: The kinds accepted by :func:`detail_image`.
DETAIL_KINDS: tuple[str, ...] = ("disc", "strokes", "text")

#: The text drawn by ``detail_image(n, "text")`` unless told otherwise.
DEFAULT_DETAIL_TEXT = "CAN U SEE IT"

#: Largest number of pixels generated in one call (images × n², or N for signals): beyond it
#: the generators refuse with :class:`InvalidArgument` before allocating anything.
MAX_ENTRIES = 2 ** 25
#: Largest amount of work (ellipses × pixels, pieces) in one call.
MAX_WORK = 2 ** 33
MAX_PIECES = 2 ** 20


def _refuse(entries: float, what: str, limit: float = MAX_ENTRIES, hint: str = "use a smaller size") -> None:
    refuse_size(float(entries), float(limit), what, hint)


def _pixel_centres(n: int) -> np.ndarray:
    """Pixel centres ``-1 + (2k + 1)/n``, exactly symmetric about 0."""
    return (2.0 * np.arange(n) + 1.0 - n) / n


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(X, Y)`` of shape ``(n, n)``: x grows to the right, y grows upwards."""
    c = _pixel_centres(n)
    return c[np.newaxis, :], -c[:, np.newaxis]


def _ellipse_mask(X: np.ndarray, Y: np.ndarray, x0: float, y0: float,
                  a: float, b: float, phi_rad: float) -> np.ndarray:
    """Indicator of the ellipse with centre (x0, y0), half-axes a (along the
    direction at angle phi from the x axis) and b, as a boolean array."""
    dx = X - x0
    dy = Y - y0
    cp, sp = math.cos(phi_rad), math.sin(phi_rad)
    u = dx * cp + dy * sp
    v = dy * cp - dx * sp
    return (u / a) ** 2 + (v / b) ** 2 <= 1.0


# ---------------------------------------------------------------------------------
# Shepp–Logan
# ---------------------------------------------------------------------------------
# Geometry of the 10 ellipses (Shepp & Logan 1974; same as MATLAB's ``phantom``):
# (a: half-axis along x before rotation, b: half-axis along y, x0, y0,
#  phi: counter-clockwise rotation in degrees).
_SHEPP_LOGAN_GEOMETRY: tuple[tuple[float, float, float, float, float], ...] = (
    (0.6900, 0.9200, 0.00, 0.0000, 0.0),
    (0.6624, 0.8740, 0.00, -0.0184, 0.0),
    (0.1100, 0.3100, 0.22, 0.0000, -18.0),
    (0.1600, 0.4100, -0.22, 0.0000, 18.0),
    (0.2100, 0.2500, 0.00, 0.3500, 0.0),
    (0.0460, 0.0460, 0.00, 0.1000, 0.0),
    (0.0460, 0.0460, 0.00, -0.1000, 0.0),
    (0.0460, 0.0230, -0.08, -0.6050, 0.0),
    (0.0230, 0.0230, 0.00, -0.6060, 0.0),
    (0.0230, 0.0460, 0.06, -0.6050, 0.0),
)
# Intensities as integers over a common denominator, so that sums such as
# 1 - 0.8 - 0.2 come out exactly 0 (no rounding below 0 or above 1).
_SHEPP_LOGAN_ORIGINAL = ((200, -98, -2, -2, 1, 1, 1, 1, 1, 1), 100)  # Shepp–Logan 1974
_SHEPP_LOGAN_MODIFIED = ((10, -8, -2, -2, 1, 1, 1, 1, 1, 1), 10)  # Toft 1996


def shepp_logan(n: int = 128, *, modified: bool = True) -> np.ndarray:
    """Return the ``n × n`` Shepp–Logan head phantom.

    The phantom is the sum of the indicator functions of the standard ten
    ellipses, weighted by their intensities, sampled at the pixel centres of
    ``[-1, 1]²`` (row 0 at the top).  The head is taller than wide (outer
    half-axes 0.69 horizontally, 0.92 vertically), the three small ellipses
    sit at the bottom, and the larger dark ventricle is on the left.

    Parameters
    ----------
    n : int
        Side length in pixels (any ``n ≥ 1``; ``n ≥ 64`` shows every ellipse).
    modified : bool
        ``True`` (default): the contrast-enhanced intensities of Toft
        (1, -0.8, -0.2, -0.2, 0.1, …), values in ``[0, 1]`` (skull 1, brain 0.2,
        ventricles 0, background 0).  ``False``: the original intensities of
        Shepp & Logan (1974) (2, -0.98, -0.02, -0.02, 0.01, …), values in
        ``[0, 2]`` (skull 2, brain 1.02, ventricles 1, background 0).

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n, n)``.

    Theorem: none (standard test image for the stability and accuracy tests of
    docs/theory.md §4).
    Rigor: not applicable (data generator); values are exact sums of the
    tabulated intensities at the sampled pixel centres.

    Examples
    --------
    >>> x = shepp_logan(64)
    >>> x.shape, x.dtype, float(x.min()), float(x.max())
    ((64, 64), dtype('float64'), 0.0, 1.0)
    """
    n = integer_arg(n, "n")
    _refuse(float(n) * n, f"a {n} × {n} phantom (pixels)")
    if not isinstance(modified, (bool, np.bool_)):
        raise InvalidArgument(f"modified must be True or False, got {modified!r}")
    weights, denominator = _SHEPP_LOGAN_MODIFIED if modified else _SHEPP_LOGAN_ORIGINAL
    X, Y = _grid(n)
    acc = np.zeros((n, n), dtype=np.int64)
    for (a, b, x0, y0, phi), w in zip(_SHEPP_LOGAN_GEOMETRY, weights):
        acc += w * _ellipse_mask(X, Y, x0, y0, a, b, math.radians(phi))
    return acc.astype(np.float64) / denominator


# ---------------------------------------------------------------------------------
# random ellipses
# ---------------------------------------------------------------------------------
def _one_random_ellipse_image(n: int, count: int | None, rng: np.random.Generator,
                              X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    k = int(rng.integers(3, 11)) if count is None else count
    img = np.zeros((n, n), dtype=np.float64)
    for _ in range(k):
        # centre uniform in the disc of radius 0.8, half-axes ≤ 0.95 (1 - |c|):
        # the whole ellipse then lies inside the unit disc.
        r = 0.8 * math.sqrt(rng.uniform())
        theta = rng.uniform(0.0, 2.0 * math.pi)
        x0, y0 = r * math.cos(theta), r * math.sin(theta)
        room = 0.95 * (1.0 - r)
        a, b = rng.uniform(0.1, 1.0, size=2) * room
        phi = rng.uniform(0.0, math.pi)
        intensity = rng.uniform(0.1, 1.0)
        img += intensity * _ellipse_mask(X, Y, x0, y0, a, b, phi)
    np.clip(img, 0.0, 1.0, out=img)
    return img


def random_ellipses(n: int = 128, *, count: int | None = None, seed: SeedLike = None,
                    batch: int | None = None) -> np.ndarray:
    """Return random-ellipse phantoms (sums of ellipse indicators, clipped to [0, 1]).

    Each image is the sum of ``count`` ellipses with random centre, half-axes,
    orientation and intensity in ``[0.1, 1]``, clipped to ``[0, 1]``.  Every
    ellipse lies inside the unit disc, so the image is 0 outside it.

    Parameters
    ----------
    n : int
        Side length in pixels (``≥ 1``).
    count : int, optional
        Number of ellipses per image (``≥ 1``); default: random in ``3…10``
        for each image.
    seed : int, numpy.random.Generator or None
        Source of randomness (``None``: fresh OS entropy).
    batch : int, optional
        If given, return ``batch`` independent images stacked along axis 0.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n, n)``, or ``(batch, n, n)`` if ``batch``
        is given, with values in ``[0, 1]``.

    Theorem: none (training/test images for the networks checked in docs/theory.md
    §3–§4).
    Rigor: not applicable (data generator).

    Examples
    --------
    >>> random_ellipses(32, seed=0).shape
    (32, 32)
    >>> x = random_ellipses(16, count=4, seed=1, batch=3)
    >>> x.shape, x.dtype
    ((3, 16, 16), dtype('float64'))
    """
    n = integer_arg(n, "n")
    if count is not None:
        count = integer_arg(count, "count")
    if batch is not None:
        batch = integer_arg(batch, "batch")
    images = 1 if batch is None else batch
    _refuse(float(images) * n * n, f"{images} random-ellipse image(s) of {n} × {n} pixels")
    _refuse(float(images) * n * n * (count if count is not None else 10), "drawing the ellipses "
            "(ellipses × pixels)", MAX_WORK, "use fewer or smaller images, or a smaller count")
    rng = seed_arg(seed)
    X, Y = _grid(n)
    if batch is None:
        return _one_random_ellipse_image(n, count, rng, X, Y)
    out = np.empty((batch, n, n), dtype=np.float64)
    for i in range(batch):
        out[i] = _one_random_ellipse_image(n, count, rng, X, Y)
    return out


# ---------------------------------------------------------------------------------
# piecewise smooth 1D signal
# ---------------------------------------------------------------------------------
def piecewise_smooth_signal(N: int, *, pieces: int = 4, seed: SeedLike = None) -> np.ndarray:
    """Return a 1D signal of ``pieces`` smooth pieces separated by jumps.

    Each piece is a cubic polynomial plus a low-frequency sinusoid in the
    global coordinate ``t = k/N`` (so within a piece consecutive samples
    differ by at most about ``11/N``); at each of the ``pieces - 1`` random
    breakpoints ``b`` the signal jumps: ``|x[b] - x[b-1]|`` is in ``[0.5, 1.5]``.

    Parameters
    ----------
    N : int
        Length of the signal (``≥ 1``).
    pieces : int
        Number of smooth pieces (``1 ≤ pieces ≤ N``).
    seed : int, numpy.random.Generator or None
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(N,)``.

    Theorem: none (test signal, compressible in wavelets, for the sparse
    regularisation checks of docs/theory.md §1–§2).
    Rigor: not applicable (data generator).

    Examples
    --------
    >>> x = piecewise_smooth_signal(64, pieces=3, seed=0)
    >>> x.shape, x.dtype
    ((64,), dtype('float64'))
    """
    N = integer_arg(N, "N")
    _refuse(N, f"a signal of length {N}")
    pieces = integer_arg(pieces, "pieces")
    _refuse(pieces, f"{pieces} pieces", MAX_PIECES, "use fewer pieces")
    if pieces > N:
        raise InvalidArgument(
            f"pieces ({pieces}) must not exceed the signal length N ({N}): "
            f"pass pieces ≤ {N} or a longer N"
        )
    rng = seed_arg(seed)
    if pieces > 1:
        cuts = np.sort(rng.choice(np.arange(1, N), size=pieces - 1, replace=False))
    else:
        cuts = np.zeros(0, dtype=np.int64)
    bounds = [0, *map(int, cuts), N]
    t = np.arange(N, dtype=np.float64) / N
    x = np.empty(N, dtype=np.float64)
    for k in range(pieces):
        lo, hi = bounds[k], bounds[k + 1]
        coeffs = rng.uniform(-1.0, 1.0, size=4)  # c0 + c1 t + c2 t² + c3 t³
        amp = rng.uniform(0.0, 0.3)
        freq = rng.uniform(0.5, 2.5)
        phase = rng.uniform(0.0, 2.0 * math.pi)
        tt = t[lo:hi]
        smooth = np.polynomial.polynomial.polyval(tt, coeffs) + amp * np.sin(
            2.0 * math.pi * freq * tt + phase
        )
        if k == 0:
            x[lo:hi] = smooth
        else:
            jump = rng.uniform(0.5, 1.5) * (1.0 if rng.uniform() < 0.5 else -1.0)
            x[lo:hi] = smooth - smooth[0] + (x[lo - 1] + jump)
    return x


# ---------------------------------------------------------------------------------
# sparse vectors
# ---------------------------------------------------------------------------------
_MIN_MAGNITUDE = 0.1


def sparse_vector(N: int, s: int, *, complex: bool = False,  # noqa: A002 - public name
                  seed: SeedLike = None) -> np.ndarray:
    """Return a vector of length ``N`` with exactly ``s`` nonzero entries.

    The support is uniform among the ``s``-subsets of ``{0, …, N-1}``; the
    values are standard normal (real) or standard complex normal
    (``(g₁ + i g₂)/√2``), with magnitudes below 0.1 raised to 0.1 (phase
    kept), so every nonzero has ``|x_i| ≥ 0.1``.

    Parameters
    ----------
    N : int
        Length (``≥ 1``).
    s : int
        Number of nonzeros (``1 ≤ s ≤ N``).
    complex : bool
        Whether to return complex128 values.
    seed : int, numpy.random.Generator or None
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        float64 (or complex128) array of shape ``(N,)``.

    Theorem: none (``s``-sparse ground truth for the rNSP recovery bounds of
    docs/theory.md §2).
    Rigor: not applicable (data generator); the sparsity is exact.

    Examples
    --------
    >>> x = sparse_vector(20, 3, seed=0)
    >>> x.shape, x.dtype, int((x != 0).sum())
    ((20,), dtype('float64'), 3)
    >>> sparse_vector(8, 2, complex=True, seed=0).dtype
    dtype('complex128')
    """
    N = integer_arg(N, "N")
    _refuse(N, f"a vector of length {N}")
    s = integer_arg(s, "s")
    if s > N:
        raise InvalidArgument(f"s ({s}) must not exceed N ({N}): pass s ≤ {N}")
    if not isinstance(complex, (bool, np.bool_)):
        raise InvalidArgument(f"complex must be True or False, got {complex!r}")
    rng = seed_arg(seed)
    support = rng.choice(N, size=s, replace=False)
    if complex:
        vals = (rng.standard_normal(s) + 1j * rng.standard_normal(s)) / math.sqrt(2.0)
        mag = np.abs(vals)
        unit = np.where(mag > 0, vals / np.where(mag > 0, mag, 1.0), 1.0 + 0j)
        vals = unit * np.maximum(mag, _MIN_MAGNITUDE)
        out = np.zeros(N, dtype=np.complex128)
    else:
        vals = rng.standard_normal(s)
        sign = np.where(vals < 0, -1.0, 1.0)
        vals = sign * np.maximum(np.abs(vals), _MIN_MAGNITUDE)
        out = np.zeros(N, dtype=np.float64)
    out[support] = vals
    return out


# ---------------------------------------------------------------------------------
# small details
# ---------------------------------------------------------------------------------
# A 3 × 5 bitmap font: each glyph is 5 rows of 3 columns ('#' on, '.' off).
_FONT_3X5: dict[str, tuple[str, str, str, str, str]] = {
    "A": (".#.", "#.#", "###", "#.#", "#.#"),
    "B": ("##.", "#.#", "##.", "#.#", "##."),
    "C": (".##", "#..", "#..", "#..", ".##"),
    "D": ("##.", "#.#", "#.#", "#.#", "##."),
    "E": ("###", "#..", "##.", "#..", "###"),
    "F": ("###", "#..", "##.", "#..", "#.."),
    "G": (".##", "#..", "#.#", "#.#", ".##"),
    "H": ("#.#", "#.#", "###", "#.#", "#.#"),
    "I": ("###", ".#.", ".#.", ".#.", "###"),
    "J": ("..#", "..#", "..#", "#.#", ".#."),
    "K": ("#.#", "#.#", "##.", "#.#", "#.#"),
    "L": ("#..", "#..", "#..", "#..", "###"),
    "M": ("#.#", "###", "###", "#.#", "#.#"),
    "N": ("##.", "#.#", "#.#", "#.#", "#.#"),
    "O": (".#.", "#.#", "#.#", "#.#", ".#."),
    "P": ("##.", "#.#", "##.", "#..", "#.."),
    "Q": (".#.", "#.#", "#.#", "##.", ".##"),
    "R": ("##.", "#.#", "##.", "#.#", "#.#"),
    "S": (".##", "#..", ".#.", "..#", "##."),
    "T": ("###", ".#.", ".#.", ".#.", ".#."),
    "U": ("#.#", "#.#", "#.#", "#.#", "###"),
    "V": ("#.#", "#.#", "#.#", "#.#", ".#."),
    "W": ("#.#", "#.#", "###", "###", "#.#"),
    "X": ("#.#", "#.#", ".#.", "#.#", "#.#"),
    "Y": ("#.#", "#.#", ".#.", ".#.", ".#."),
    "Z": ("###", "..#", ".#.", "#..", "###"),
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("##.", "..#", ".#.", "#..", "###"),
    "3": ("##.", "..#", ".#.", "..#", "##."),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "##.", "..#", "##."),
    "6": (".##", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", ".#.", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "##."),
    " ": ("...", "...", "...", "...", "..."),
    ".": ("...", "...", "...", "...", ".#."),
    ",": ("...", "...", "...", ".#.", "#.."),
    "!": (".#.", ".#.", ".#.", "...", ".#."),
    "?": ("##.", "..#", ".#.", "...", ".#."),
    "-": ("...", "...", "###", "...", "..."),
    ":": ("...", ".#.", "...", ".#.", "..."),
}


def _render_text(text: str, scale: int) -> np.ndarray:
    """Boolean bitmap of ``text`` in the 3×5 font, glyphs 1 column apart, scaled."""
    upper = text.upper()
    bad = sorted({ch for ch in upper if ch not in _FONT_3X5})
    if bad:
        raise InvalidArgument(
            f"text contains characters the built-in 3×5 font lacks: {bad!r}; "
            f"use letters A–Z, digits, space and . , ! ? - :"
        )
    width = 4 * len(upper) - 1
    bitmap = np.zeros((5, width), dtype=bool)
    for k, ch in enumerate(upper):
        glyph = np.array([[c == "#" for c in row] for row in _FONT_3X5[ch]], dtype=bool)
        bitmap[:, 4 * k: 4 * k + 3] = glyph
    return np.kron(bitmap, np.ones((scale, scale), dtype=bool))


def _position_arg(position: Any, n: int) -> tuple[float, float]:
    try:
        items = list(position)
    except TypeError:
        items = None
    if items is None or len(items) != 2:
        raise InvalidArgument(
            f"position must be a pair (row, col) of pixel coordinates, got {position!r}"
        )
    row = finite_real_arg(items[0], "position[0] (row)")
    col = finite_real_arg(items[1], "position[1] (col)")
    for value, axis in ((row, "row"), (col, "col")):
        if not 0.0 <= value <= n - 1:
            raise InvalidArgument(
                f"position {axis} {value} lies outside the image: pass a value in "
                f"[0, {n - 1}]"
            )
    return row, col


def _random_centre(n: int, half_extent: tuple[float, float],
                   rng: np.random.Generator) -> tuple[float, float]:
    """A random centre in the middle half of the image where the detail fits."""
    centre = []
    for h in half_extent:
        lo_fit, hi_fit = h, (n - 1) - h
        lo, hi = max(lo_fit, n / 4.0), min(hi_fit, 3.0 * n / 4.0 - 1.0)
        if lo > hi:
            lo, hi = lo_fit, hi_fit
        if lo > hi:
            lo = hi = (n - 1) / 2.0
        centre.append(float(rng.uniform(lo, hi)) if hi > lo else float(lo))
    return centre[0], centre[1]


def detail_image(n: int, kind: str = "disc", *, amplitude: float = 1.0,
                 size: float | None = None, position: Sequence[float] | None = None,
                 seed: SeedLike = None, text: str = DEFAULT_DETAIL_TEXT) -> np.ndarray:
    """Return an ``n × n`` image that is zero except for one small detail.

    Add it to an image (:func:`add_detail`) for the accuracy test: can a
    network reconstruct a detail that a stable sparse-regularisation method
    recovers?

    Parameters
    ----------
    n : int
        Side length in pixels (``≥ 1``).
    kind : {"disc", "strokes", "text"}
        ``"disc"``: a filled disc of radius ``size`` pixels (default
        ``max(1, n/50)``).  ``"strokes"``: two short 1-pixel-wide line
        segments of length at most ``size`` pixels (default ``max(3, n/16)``)
        with random orientations.  ``"text"``: ``text`` (default
        ``"CAN U SEE IT"``) rendered with a built-in 3×5 bitmap font, each font
        pixel a ``size × size`` block (integer ``size``, default 1).
    amplitude : float
        Value of the detail's pixels (nonzero, finite; negative for a dark
        detail).
    size : float, optional
        Size parameter described under ``kind``.
    position : (row, col), optional
        Centre of the detail in pixel coordinates (``0 ≤ row, col ≤ n-1``);
        default: random (from ``seed``) in the middle of the image, where the
        detail fits.
    seed : int, numpy.random.Generator or None
        Source of randomness (position; stroke orientations).
    text : str
        The text for ``kind="text"`` (letters, digits, space, ``. , ! ? - :``).

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n, n)``: ``amplitude`` on the detail, 0
        elsewhere.  Discs and strokes that reach the border are cropped; text
        that does not fit raises :class:`InvalidArgument`.

    Theorem: none (test data for the accuracy test of docs/theory.md §4).
    Rigor: not applicable (data generator).

    Examples
    --------
    >>> d = detail_image(64, "disc", size=2, position=(32, 32))
    >>> d.shape, d.dtype, int((d != 0).sum())
    ((64, 64), dtype('float64'), 13)
    >>> float(detail_image(64, "text", seed=0).max())
    1.0
    """
    n = integer_arg(n, "n")
    _refuse(float(n) * n, f"a {n} × {n} detail image (pixels)")
    if not isinstance(kind, str) or kind not in DETAIL_KINDS:
        raise InvalidArgument(
            f"kind must be one of {', '.join(map(repr, DETAIL_KINDS))}, got {kind!r}"
        )
    amplitude = finite_real_arg(amplitude, "amplitude")
    if amplitude == 0.0:
        raise InvalidArgument("amplitude is 0, so the detail would be invisible: "
                              "pass a nonzero amplitude")
    if not isinstance(text, str):
        raise InvalidArgument(f"text must be a str, got {type(text).__name__}")
    rng = seed_arg(seed)
    centre = None if position is None else _position_arg(position, n)
    out = np.zeros((n, n), dtype=np.float64)
    rows = np.arange(n, dtype=np.float64)[:, np.newaxis]
    cols = np.arange(n, dtype=np.float64)[np.newaxis, :]

    if kind == "disc":
        radius = max(1.0, n / 50.0) if size is None else finite_real_arg(size, "size")
        if radius <= 0:
            raise InvalidArgument(f"size (the disc radius) must be positive, got {radius}")
        if centre is None:
            centre = _random_centre(n, (radius, radius), rng)
        mask = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius ** 2
        if not mask.any():  # a sub-pixel disc between pixel centres: keep one pixel
            mask[int(round(centre[0])), int(round(centre[1]))] = True
        out[mask] = amplitude
        return out

    if kind == "strokes":
        length = max(3.0, n / 16.0) if size is None else finite_real_arg(size, "size")
        if length <= 0:
            raise InvalidArgument(f"size (the stroke length) must be positive, got {length}")
        if length > 4.0 * n:
            raise InvalidArgument(f"size={length:g} (the stroke length) exceeds 4n = {4 * n}: strokes "
                                  "that long leave the image; pass a smaller size")
        if centre is None:
            centre = _random_centre(n, (0.5 * length, 1.1 * length), rng)
        for k in range(2):
            angle = rng.uniform(0.0, math.pi)
            seg = length * rng.uniform(0.6, 1.0)
            # the two strokes sit side by side, 1.2 stroke lengths apart
            r0 = centre[0]
            c0 = centre[1] + (k - 0.5) * 1.2 * length
            ts = np.linspace(-0.5, 0.5, max(2, int(math.ceil(4 * seg)) + 1)) * seg
            rr = np.rint(r0 - ts * math.sin(angle)).astype(np.int64)
            cc = np.rint(c0 + ts * math.cos(angle)).astype(np.int64)
            keep = (rr >= 0) & (rr < n) & (cc >= 0) & (cc < n)
            out[rr[keep], cc[keep]] = amplitude
        if not out.any():
            out[int(round(centre[0])), int(round(centre[1]))] = amplitude
        return out

    # text
    if size is None:
        scale = 1
    else:
        if isinstance(size, (bool, np.bool_)) or not (
            isinstance(size, numbers.Integral)
            or (isinstance(size, numbers.Real) and float(size).is_integer())
        ):
            raise InvalidArgument(
                f"size for kind='text' is the integer scale of the font, got {size!r}"
            )
        scale = integer_arg(int(size), "size")
    if not text.strip():
        raise InvalidArgument("text is empty: pass at least one visible character")
    h, w = 5 * scale, (4 * len(text.upper()) - 1) * scale  # the bitmap's size, before rendering
    if h > n or w > n:
        raise InvalidArgument(
            f"text {text!r} at size {scale} needs {h} × {w} pixels but the image is "
            f"{n} × {n}: use n ≥ {max(h, w)}, a smaller size or a shorter text"
        )
    bitmap = _render_text(text, scale)
    if centre is None:
        centre = _random_centre(n, ((h - 1) / 2.0, (w - 1) / 2.0), rng)
    top = int(round(centre[0] - (h - 1) / 2.0))
    left = int(round(centre[1] - (w - 1) / 2.0))
    if top < 0 or left < 0 or top + h > n or left + w > n:
        raise InvalidArgument(
            f"text {text!r} ({h} × {w} pixels) centred at {tuple(centre)} does not fit "
            f"in the {n} × {n} image: move position towards the centre"
        )
    out[top:top + h, left:left + w][bitmap] = amplitude
    return out


def add_detail(x: Any, detail: Any) -> np.ndarray:
    """Return ``x + detail`` as a new array (neither input is modified).

    Parameters
    ----------
    x : array_like
        Image ``(n, n)``, batch of images ``(..., n, n)`` or signal ``(N,)``;
        real or complex.
    detail : array_like
        Real or complex detail with the shape of ``x``, or, when ``x`` is a
        batch ``(..., n, n)``, of shape ``(n, n)`` (added to every image).

    Returns
    -------
    numpy.ndarray
        float64 (complex128 if either input is complex) array of ``x``'s shape.

    Theorem: none (builds ``x + x_detail`` for the accuracy test of docs/theory.md
    §4).
    Rigor: not applicable (exact up to one floating-point addition).

    Examples
    --------
    >>> x = shepp_logan(32)
    >>> y = add_detail(x, detail_image(32, "disc", seed=0))
    >>> y.shape, y.dtype
    ((32, 32), dtype('float64'))
    """
    xa = as_array(x, "x")
    da = as_array(detail, "detail")
    if xa.ndim == 0:
        raise InvalidArgument("x is a scalar: pass an image array")
    batch_ok = da.ndim == 2 and xa.ndim > 2 and xa.shape[-2:] == da.shape
    if da.shape != xa.shape and not batch_ok:
        hint = (f" (or {xa.shape[-2:]} to add it to every image of the batch)"
                if xa.ndim > 2 else "")
        raise InvalidArgument(
            f"detail has shape {da.shape} but x has shape {xa.shape}: pass a detail "
            f"of shape {xa.shape}{hint}"
        )
    return xa + da
