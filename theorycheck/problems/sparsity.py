"""Sparsity helpers: best s-term approximation, supports, sparsity in levels.

Signals of any shape are read flattened in C order (indices refer to
``x.ravel()``); complex entries are measured by their modulus. With positive
weights ``w`` the (cardinality-based) weighted best ``s``-term error is
``σ_s(x)_{1,w} = min_{|S| ≤ s} Σ_{i ∉ S} w_i |x_i|``, attained by keeping the
``s`` largest ``w_i|x_i|``.

Levels are a partition of ``range(N)`` into contiguous blocks
``[(0, M_1), (M_1, M_2), …, (M_{r−1}, N)]``; an ``(s, M)``-sparse vector has at
most ``s_k`` non-zeros in level ``k`` (docs/theory.md §2, rNSP in levels).

Theorem: definitions of docs/theory.md §2 (σ_s(x)₁ in the recovery lemma and seed Theorem 1).
Rigor: exact up to float64 summation (sorting and adding moduli).
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array
from theorycheck.numerics.validation import integer_arg, real_arg

#: largest number of levels accepted by :func:`levels_from_sizes`
MAX_LEVELS = 2 ** 20
#: largest sparsity or level bound accepted (beyond the size of any array)
MAX_COUNT = 2 ** 53

__all__ = [
    "sigma_s",
    "best_s_term",
    "support",
    "is_s_sparse",
    "levels_from_sizes",
    "sparsity_in_levels",
    "sigma_s_levels",
]


def _signal(x: Any) -> np.ndarray:
    """``x`` as a float64/complex128 array with at least one entry (scalars and empty arrays refused)."""
    arr = as_array(x, "x")
    if arr.ndim == 0:
        raise InvalidArgument(f"x is a scalar ({arr!r}): pass a signal (a vector or an array)")
    if arr.size == 0:
        raise InvalidArgument(f"x has shape {arr.shape}: pass a signal with at least one entry")
    return arr


def _vec(x: Any) -> np.ndarray:
    return _signal(x).reshape(-1)


def _count(s: Any, name: str = "s") -> int:
    s = integer_arg(s, name, minimum=0)
    if s > MAX_COUNT:
        raise InvalidArgument(f"{name} = {s} exceeds {MAX_COUNT}: no signal has that many entries")
    return s


def _tol(tol: Any) -> float:
    return real_arg(tol, "tol", allow_zero=True)


def _weights(weights: Any, n: int, shape: tuple[int, ...]) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = as_array(weights, "weights", allow_complex=False)
    if w.shape not in {(n,), tuple(shape)}:
        raise InvalidArgument(f"weights has shape {w.shape}: pass {n} positive weights (one per entry of x)")
    w = w.reshape(-1)
    if np.any(w <= 0):
        raise InvalidArgument("weights must be positive: replace zero or negative entries")
    return w


def _keep(mags: np.ndarray, s: int) -> np.ndarray:
    """Indices of the ``s`` largest ``mags``, ties broken by lowest index."""
    return np.argsort(-mags, kind="stable")[:s]


def sigma_s(x: Any, s: int, *, weights: Any = None) -> float:
    """Best ``s``-term ℓ1 approximation error ``σ_s(x)_{1,w} = min_{|S| ≤ s} ‖x − x_S‖_{1,w}``.

    Parameters
    ----------
    x : array_like
        Real or complex signal (flattened).
    s : int
        Sparsity ``≥ 0``; ``s = 0`` gives ``‖x‖_{1,w}``, ``s ≥ N`` gives 0.
    weights : array_like, optional
        Positive weights (default all ones).

    Returns
    -------
    float

    Theorem: σ_s(x)₁ of the recovery lemma (docs/theory.md §2).
    Rigor: exact up to float64 summation.

    Examples
    --------
    >>> sigma_s([3.0, -1.0, 0.5, 2.0], 2)
    1.5
    """
    arr = _signal(x)
    v = arr.reshape(-1)
    s = _count(s)
    vals = np.sort(_weights(weights, v.size, arr.shape) * np.abs(v))
    return float(np.sum(vals[: max(0, v.size - s)]))


def best_s_term(x: Any, s: int, *, weights: Any = None) -> np.ndarray:
    """A new array keeping the ``s`` largest entries of ``x`` (by ``w_i|x_i|``), zeros elsewhere.

    Ties are broken by the lowest (flattened) index; the shape of ``x`` is kept.

    Theorem: the minimiser of σ_s (docs/theory.md §2).
    Rigor: exact.

    Examples
    --------
    >>> best_s_term([1.0, -2.0, 2.0, 0.5], 1)
    array([ 0., -2.,  0.,  0.])
    """
    arr = _signal(x)
    v = arr.reshape(-1)
    s = _count(s)
    out = np.zeros_like(v)
    idx = _keep(_weights(weights, v.size, arr.shape) * np.abs(v), s)
    out[idx] = v[idx]
    return out.reshape(arr.shape)


def support(x: Any, *, tol: float = 0.0) -> np.ndarray:
    """Sorted flat indices ``i`` with ``|x_i| > tol``.

    Theorem: none (definition).
    Rigor: exact.

    Examples
    --------
    >>> support([0.0, 1e-12, -3.0], tol=1e-9)
    array([2])
    """
    return np.flatnonzero(np.abs(_vec(x)) > _tol(tol))


def is_s_sparse(x: Any, s: int, tol: float = 0.0) -> bool:
    """Whether ``x`` has at most ``s`` entries with ``|x_i| > tol``.

    Theorem: none (definition).
    Rigor: exact.
    """
    return bool(support(x, tol=tol).size <= _count(s))


def levels_from_sizes(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """Contiguous levels ``[(0, M_1), (M_1, M_2), …]`` from positive level sizes.

    Theorem: none (definition of levels, docs/theory.md §2).
    Rigor: exact.

    Examples
    --------
    >>> levels_from_sizes([2, 3])
    [(0, 2), (2, 5)]
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise InvalidArgument(f"sizes must be a sequence of positive integers, got {sizes!r}")
    sizes = list(itertools.islice(iter(sizes), MAX_LEVELS + 1))
    if len(sizes) > MAX_LEVELS:
        raise InvalidArgument(f"sizes has more than {MAX_LEVELS} levels")
    if not sizes:
        raise InvalidArgument("sizes is empty: pass at least one level size")
    out, start = [], 0
    for k, n in enumerate(sizes):
        n = _count(n, f"sizes[{k}]")
        if n == 0:
            raise InvalidArgument(f"sizes[{k}] = 0: every level must hold at least one index")
        out.append((start, start + n))
        start += n
    return out


def _levels_arg(levels: Any, n: int) -> list[tuple[int, int]]:
    if isinstance(levels, (str, bytes)):
        raise InvalidArgument(f"levels must be a sequence of (start, stop) pairs, got {levels!r}")
    try:
        pairs = [(a, b) for a, b in itertools.islice(iter(levels), n + 1)]
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"levels must be a sequence of (start, stop) pairs: {exc}") from exc
    expected = 0
    for k, (a, b) in enumerate(pairs):
        a, b = _count(a, f"levels[{k}] start"), _count(b, f"levels[{k}] stop")
        if a != expected or b <= a:
            raise InvalidArgument(
                f"levels[{k}] = {(a, b)}: levels must be contiguous, increasing and non-empty, "
                f"starting at {expected} (use levels_from_sizes)"
            )
        expected = b
    if not pairs or expected != n:
        raise InvalidArgument(
            f"levels cover range({expected}) but x has {n} entries: the levels must partition range({n})"
        )
    return [(int(a), int(b)) for a, b in pairs]


def sparsity_in_levels(x: Any, levels: Sequence[tuple[int, int]], *, tol: float = 0.0) -> np.ndarray:
    """Number of entries with ``|x_i| > tol`` in each level.

    Theorem: none (definition of (s, M)-sparsity, docs/theory.md §2).
    Rigor: exact.

    Examples
    --------
    >>> sparsity_in_levels([1.0, 0.0, 2.0, 3.0, 0.0], [(0, 2), (2, 5)])
    array([1, 2])
    """
    v = _vec(x)
    big = np.abs(v) > _tol(tol)
    return np.array([int(np.count_nonzero(big[a:b])) for a, b in _levels_arg(levels, v.size)])


def sigma_s_levels(x: Any, s_per_level: Sequence[int], levels: Sequence[tuple[int, int]], *,
                   weights: Any = None) -> float:
    """Best ``(s, M)``-term error in levels ``Σ_k σ_{s_k}(x_{level k})_{1,w}``.

    Parameters
    ----------
    x : array_like
        Signal (flattened).
    s_per_level : sequence of int
        Local sparsities ``s_k ≥ 0`` (``s_k`` larger than the level is fine).
    levels : sequence of (start, stop)
        A partition of ``range(N)`` into contiguous levels.
    weights : array_like, optional
        Positive weights (default all ones).

    Theorem: σ_{s,M}(x)_{1,w} of the rNSP in levels (docs/theory.md §2).
    Rigor: exact up to float64 summation.

    Examples
    --------
    >>> sigma_s_levels([3.0, 1.0, 2.0, -4.0, 0.5], [1, 1], [(0, 2), (2, 5)])
    3.5
    """
    arr = _signal(x)
    v = arr.reshape(-1)
    lv = _levels_arg(levels, v.size)
    if isinstance(s_per_level, (str, bytes)) or not hasattr(s_per_level, "__iter__"):
        raise InvalidArgument(f"s_per_level must be a sequence of integers, got {s_per_level!r}")
    s_list = list(itertools.islice(iter(s_per_level), len(lv) + 1))
    if len(s_list) != len(lv):
        raise InvalidArgument(f"s_per_level has {len(s_list)} entries but there are {len(lv)} levels")
    w = _weights(weights, v.size, arr.shape)
    return float(sum(sigma_s(v[a:b], _count(s, f"s_per_level[{k}]"), weights=w[a:b])
                     for k, (s, (a, b)) in enumerate(zip(s_list, lv))))
