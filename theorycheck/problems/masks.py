"""Seeded sampling masks for the subsampled transforms of :mod:`theorycheck.problems.operators`.

Every builder returns a new boolean numpy array (True = sampled). The uniform,
variable-density and radial masks are in the *unshifted* frequency ordering of
``SubsampledFourier(mask)`` (``numpy.fft.fftn(..., norm="ortho")`` without
``fftshift``): the zero frequency is at index 0 and the low frequencies sit at the
corners of the array; apply ``numpy.fft.fftshift`` to display them with the zero
frequency in the centre, and to use them with ``SubsampledFourier(mask,
centered=True)``. The Cartesian line masks (:func:`equispaced_line_mask`,
:func:`random_line_mask`) are built as scanners and fastMRI store them, in the
*centred* ordering (zero frequency at index ``n // 2``), for
``SubsampledFourier(mask, centered=True)``; ``centered=False`` returns them
``ifftshift``-ed for the unshifted operator (the same frequencies).

Randomness comes only from ``numpy.random.default_rng(seed)``: the same
integer seed gives the same mask; ``seed=None`` draws fresh OS entropy.

Theorem: none (the sampling patterns of the instability and rNSP theorems).
Rigor: not applicable.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.validation import bool_arg, integer_arg, real_arg, refuse_size, seed_arg
from theorycheck.problems.operators import validated_shape

__all__ = ["uniform_random_mask", "variable_density_mask", "radial_lines_mask", "equispaced_line_mask",
           "random_line_mask"]

Seed = int | np.random.Generator | None


#: largest number of mask entries built (the variable-density mask holds a few float64 arrays of it)
MAX_MASK_ENTRIES = 2 ** 26


def _dims(shape: int | Sequence[int], *, ndims: tuple[int, ...] = (1, 2)) -> tuple[int, ...]:
    dims = validated_shape(shape, ndims=ndims)
    refuse_size(math.prod(dims), MAX_MASK_ENTRIES, f"a sampling mask of shape {dims} (entries)",
                "use a smaller shape")
    return dims


def _fraction(fraction: Any, name: str = "fraction", *, allow_zero: bool = False) -> float:
    """``fraction`` in ``(0, 1]`` (``[0, 1]`` with ``allow_zero``)."""
    v = real_arg(fraction, name, allow_zero=allow_zero)
    if v > 1.0:
        raise InvalidArgument(f"{name}={fraction!r}: pass a number in {'[' if allow_zero else '('}0, 1]")
    return v


def _count(shape: tuple[int, ...], fraction: float) -> int:
    N = math.prod(shape)
    return min(N, max(1, round(fraction * N)))


def _radius(shape: tuple[int, ...]) -> np.ndarray:
    """Normalised distance of each (unshifted) frequency to zero (1 at the Nyquist edge)."""
    grids = np.meshgrid(
        *[np.fft.fftfreq(n) * n / max(n / 2, 1) for n in shape], indexing="ij"
    )
    return np.sqrt(sum(g**2 for g in grids))


def uniform_random_mask(
    shape: int | Sequence[int], fraction: float, *, seed: Seed = None
) -> np.ndarray:
    """Mask with ``round(fraction * N)`` entries (at least one) drawn uniformly without replacement.

    Parameters
    ----------
    shape : int or tuple of int
        Signal shape (1D or 2D).
    fraction : float
        Sampling rate ``m / N`` in ``(0, 1]``.
    seed : int or numpy.random.Generator, optional
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray of bool

    Theorem: none.
    Rigor: not applicable.

    Examples
    --------
    >>> int(uniform_random_mask((4, 4), 0.25, seed=0).sum())
    4
    """
    dims = _dims(shape)
    m = _count(dims, _fraction(fraction))
    rng = seed_arg(seed)
    mask = np.zeros(math.prod(dims), dtype=bool)
    mask[rng.choice(mask.size, size=m, replace=False)] = True
    return mask.reshape(dims)


def variable_density_mask(
    shape: int | Sequence[int],
    fraction: float,
    *,
    center_fraction: float = 0.08,
    decay: float = 2.0,
    seed: Seed = None,
) -> np.ndarray:
    """Variable-density mask: a fully sampled low-frequency region plus random samples
    with density ``(1 + r)^(-decay)`` (``r``: normalised distance to the zero frequency).

    The mask is built in the unshifted ordering (zero frequency at index 0, low
    frequencies at the corners), matching ``SubsampledFourier`` without
    ``fftshift``. The fully sampled region is the box of frequencies ``|k_i| <
    center_fraction * n_i / 2`` on each axis, always containing the zero
    frequency; if it holds more than ``round(fraction * N)`` points, only that
    many of its lowest frequencies are kept.

    Parameters
    ----------
    shape : int or tuple of int
        Signal shape (1D or 2D).
    fraction : float
        Sampling rate ``m / N`` in ``(0, 1]``; exactly ``round(fraction * N)`` (at
        least one) entries are True.
    center_fraction : float
        Side of the fully sampled box relative to each length, in ``[0, 1]``.
    decay : float
        Exponent (``>= 0``) of the density outside the box; 0 is uniform.
    seed : int or numpy.random.Generator, optional
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray of bool

    Theorem: none (multilevel/variable-density sampling of compressed-sensing MRI).
    Rigor: not applicable.

    Examples
    --------
    >>> mask = variable_density_mask((8, 8), 0.25, seed=0)
    >>> bool(mask[0, 0]), int(mask.sum())
    (True, 16)
    """
    dims = _dims(shape)
    m = _count(dims, _fraction(fraction))
    center_fraction = _fraction(center_fraction, "center_fraction", allow_zero=True)
    decay = real_arg(decay, "decay", allow_zero=True)
    rng = seed_arg(seed)
    r = _radius(dims).ravel()
    box = np.ones(r.size, dtype=bool)
    for g, n in zip(np.meshgrid(*[np.fft.fftfreq(n) * n for n in dims], indexing="ij"), dims):
        box &= np.abs(g.ravel()) < max(center_fraction * n / 2, 0.5)
    centre = np.flatnonzero(box)
    if centre.size > m:
        centre = centre[np.argsort(r[centre], kind="stable")[:m]]
    mask = np.zeros(r.size, dtype=bool)
    mask[centre] = True
    rest = np.flatnonzero(~mask)
    if m > centre.size:
        k = m - centre.size
        with np.errstate(under="ignore", over="ignore"):
            p = (1.0 + r[rest]) ** (-float(decay))
        if np.count_nonzero(p) >= k and np.all(np.isfinite(p)) and p.sum() > 0:
            mask[rng.choice(rest, size=k, replace=False, p=p / p.sum())] = True
        else:  # the density underflows (huge decay): the same law, drawn in the log domain
            # (Gumbel top-k = successive sampling without replacement ∝ p); ties → lowest radius
            keys = -float(decay) * np.log1p(r[rest]) + rng.gumbel(size=rest.size)
            mask[rest[np.argsort(-keys, kind="stable")[:k]]] = True
    return mask.reshape(dims)


def radial_lines_mask(shape: Sequence[int], n_lines: int, *, seed: Seed = None) -> np.ndarray:
    """2D mask of ``n_lines`` lines through the zero frequency at equally spaced angles.

    The lines are drawn in the shifted picture (zero frequency at ``(n1//2,
    n2//2)``, angles ``offset + pi*j/n_lines``) and ``ifftshift``-ed to the
    unshifted ordering. With ``seed=None`` the offset is 0 (deterministic);
    with a seed it is drawn uniformly in ``[0, pi/n_lines)``.

    Parameters
    ----------
    shape : tuple of int
        Image shape ``(n1, n2)``.
    n_lines : int
        Number of lines (``>= 1``).
    seed : int or numpy.random.Generator, optional
        Seed of the random rotation.

    Returns
    -------
    numpy.ndarray of bool

    Theorem: none (radial sampling in MRI).
    Rigor: not applicable.

    Examples
    --------
    >>> mask = radial_lines_mask((8, 8), 2)
    >>> bool(mask[0, 0]), int(mask.sum())
    (True, 15)
    """
    dims = _dims(shape, ndims=(2,))
    n_lines = integer_arg(n_lines, "n_lines")
    reach = math.hypot(*dims)
    # each line rasterises 8·reach points; more lines than boundary pixels add nothing new
    refuse_size(float(n_lines) * 8 * reach, 8 * MAX_MASK_ENTRIES,
                f"{n_lines} radial lines on a {dims[0]} × {dims[1]} grid (points)",
                f"pass n_lines ≤ {2 * (dims[0] + dims[1])} (every boundary pixel already has a line)")
    offset = 0.0 if seed is None else float(
        seed_arg(seed).uniform(0.0, math.pi / n_lines))
    c0, c1 = dims[0] // 2, dims[1] // 2
    t = np.arange(-reach, reach + 0.25, 0.25)
    mask = np.zeros(dims, dtype=bool)
    for theta in offset + math.pi * np.arange(n_lines) / n_lines:
        i = np.rint(c0 + t * math.sin(theta)).astype(int)
        j = np.rint(c1 + t * math.cos(theta)).astype(int)
        ok = (i >= 0) & (i < dims[0]) & (j >= 0) & (j < dims[1])
        mask[i[ok], j[ok]] = True
    return np.fft.ifftshift(mask)


# -- Cartesian line masks (fastMRI / scanner style) ---------------------------------------
def _line_plan(shape: Any, acceleration: Any, center_fraction: Any, axis: Any
               ) -> tuple[tuple[int, ...], int, int, np.ndarray, int]:
    """Validate the arguments; return ``(dims, axis, n, centre lines, number of other lines)``."""
    dims = _dims(shape, ndims=(2,))
    axis = integer_arg(axis, "axis", minimum=-2, maximum=1) % 2
    acc = real_arg(acceleration, "acceleration")
    if acc < 1.0:
        raise InvalidArgument(f"acceleration={acceleration!r}: pass a factor ≥ 1 (1 samples every line)")
    cf = _fraction(center_fraction, "center_fraction", allow_zero=True)
    n = dims[axis]
    n_low = round(n * cf)  # Python's round (half to even), as fastMRI's MaskFunc
    total = round(n / acc)
    if total < 1:
        raise InvalidArgument(f"acceleration={acceleration!r} leaves round({n}/{acc:g}) = 0 of the {n} lines: "
                              "pass a smaller acceleration")
    if n_low > total:
        raise InvalidArgument(
            f"center_fraction={center_fraction!r} asks for round({n}·{cf:g}) = {n_low} centre lines, more than "
            f"the round({n}/{acc:g}) = {total} lines the acceleration allows: lower center_fraction or the "
            "acceleration")
    pad = (n - n_low + 1) // 2  # fastMRI's centre block; it contains the zero frequency n // 2
    return dims, axis, n, np.arange(pad, pad + n_low), total - n_low


def _lines_to_mask(dims: tuple[int, ...], axis: int, lines: np.ndarray, centered: bool) -> np.ndarray:
    keep = np.zeros(dims[axis], dtype=bool)
    keep[lines] = True
    mask = np.broadcast_to(keep[:, None] if axis == 0 else keep[None, :], dims).copy()
    return mask if centered else np.fft.ifftshift(mask)


def equispaced_line_mask(shape: Sequence[int], acceleration: float, center_fraction: float, *,
                         axis: int = -1, offset: int | None = None, seed: Seed = None,
                         centered: bool = True) -> np.ndarray:
    """2-D Cartesian mask of whole k-space lines: a fully sampled centre plus equispaced lines.

    As fastMRI's ``EquispacedMaskFunc`` (its "fraction" variant): along the
    phase-encode axis ``axis`` of length ``n``, the ``n_low = round(n · center_fraction)``
    lines ``pad, …, pad + n_low − 1`` with ``pad = (n − n_low + 1) // 2`` are sampled
    (they contain the zero frequency ``n // 2``), and ``k = round(n / acceleration) − n_low``
    further lines are spread evenly over the ``n − n_low`` others: the
    ``⌊offset + j (n − n_low) / k⌋``-th of them, ``j = 0, …, k − 1``. The mask samples
    exactly ``round(n / acceleration)`` lines (``round``: half to even, as Python and
    fastMRI); each sampled index ``i`` along ``axis`` gives a whole line (for
    ``axis=-1``, the column ``mask[:, i]``, as fastMRI's masks of shape ``(1, n, 1)``).

    Parameters
    ----------
    shape : tuple of int
        k-space shape ``(n1, n2)``.
    acceleration : float
        Acceleration factor ``R ≥ 1`` (``n / R`` lines sampled).
    center_fraction : float
        Fraction of fully sampled central lines, in ``[0, 1]``; ``n_low`` must not
        exceed ``round(n / R)``.
    axis : int
        The phase-encode axis (``-2 … 1``); default the last.
    offset : int, optional
        Position of the first line among the non-centre lines, ``0 ≤ offset <
        (n − n_low) / k``. Default: drawn uniformly from ``seed``; 0 when ``seed`` is
        None too.
    seed : int or numpy.random.Generator, optional
        Seed of the offset (not with ``offset``).
    centered : bool
        ``True`` (default): centred ordering (zero frequency at index ``n // 2``), for
        ``SubsampledFourier(mask, centered=True)``; ``False``: ``numpy.fft.ifftshift`` of
        it, for ``SubsampledFourier(mask)``.

    Returns
    -------
    numpy.ndarray of bool, shape ``shape``

    Theorem: none (Cartesian undersampling as in fastMRI and parallel imaging).
    Rigor: not applicable.

    Examples
    --------
    >>> mask = equispaced_line_mask((8, 16), 4, 0.125)
    >>> np.flatnonzero(mask[0]).tolist()  # centre lines 7, 8 and two more
    [0, 7, 8, 9]
    """
    dims, axis, n, centre, k = _line_plan(shape, acceleration, center_fraction, axis)
    centered = bool_arg(centered, "centered")
    others = np.setdiff1d(np.arange(n), centre)
    if k == 0:
        return _lines_to_mask(dims, axis, centre, centered)
    step = others.size / k
    if offset is not None:
        if seed is not None:
            raise InvalidArgument("pass either offset or seed: the seed only draws the offset")
        offset = integer_arg(offset, "offset", minimum=0)
        if offset >= step:
            raise InvalidArgument(f"offset={offset}: pass 0 ≤ offset < {step:g} (the spacing of the "
                                  f"{k} lines among the {others.size} non-centre lines)")
    else:
        offset = 0 if seed is None else int(seed_arg(seed).integers(0, math.ceil(step)))
    picks = np.floor(offset + step * np.arange(k)).astype(np.int64)
    return _lines_to_mask(dims, axis, np.concatenate([centre, others[picks]]), centered)


def random_line_mask(shape: Sequence[int], acceleration: float, center_fraction: float, *,
                     axis: int = -1, seed: Seed = None, centered: bool = True) -> np.ndarray:
    """2-D Cartesian mask of whole k-space lines: a fully sampled centre plus random lines.

    As fastMRI's ``RandomMaskFunc``, with an exact count: the ``n_low = round(n ·
    center_fraction)`` central lines of :func:`equispaced_line_mask` plus
    ``round(n / acceleration) − n_low`` lines drawn uniformly without replacement from
    the others (fastMRI draws each with probability ``(n/R − n_low)/(n − n_low)``, the
    same count on average). Every sampled index along ``axis`` is a whole line.

    Parameters
    ----------
    shape : tuple of int
        k-space shape ``(n1, n2)``.
    acceleration : float
        Acceleration factor ``R ≥ 1``.
    center_fraction : float
        Fraction of fully sampled central lines, in ``[0, 1]``.
    axis : int
        The phase-encode axis (``-2 … 1``); default the last.
    seed : int or numpy.random.Generator, optional
        Seed of ``numpy.random.default_rng``; ``None`` draws fresh entropy.
    centered : bool
        ``True`` (default): centred ordering, for ``SubsampledFourier(mask,
        centered=True)``; ``False``: ``ifftshift``-ed, for ``SubsampledFourier(mask)``.

    Returns
    -------
    numpy.ndarray of bool, shape ``shape``

    Theorem: none (Cartesian undersampling as in fastMRI).
    Rigor: not applicable.

    Examples
    --------
    >>> mask = random_line_mask((8, 64), 4, 0.08, seed=0)
    >>> int(mask[0].sum()), bool(mask[:, 32].all())
    (16, True)
    """
    dims, axis, n, centre, k = _line_plan(shape, acceleration, center_fraction, axis)
    centered = bool_arg(centered, "centered")
    rng = seed_arg(seed)
    others = np.setdiff1d(np.arange(n), centre)
    picks = rng.choice(others, size=k, replace=False) if k else np.zeros(0, dtype=np.int64)
    return _lines_to_mask(dims, axis, np.concatenate([centre, picks]), centered)
