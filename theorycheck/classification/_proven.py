"""Proven label flips: enclosures of a classifier's exact real-arithmetic logits at ``x`` and ``x + r``.

:func:`certify_arg` reads ``certify=`` of :func:`search_minimal_perturbation`
(``"float64"``, ``"proven"``, ``"auto"``); :func:`enclose_points` encloses the
logits of the model at stored inputs with :class:`theorycheck.nets.Encloser`
(every input alone, a batch of one, exactly as the float64 evaluation feeds it)
and widens each radius (:func:`widen_radius`) so that a re-run on another
machine still lies inside the stored enclosure (:func:`contained`, the
verifier's check); :func:`derive_proven` decides, from the stored enclosures
alone, whether the label of ``x`` and the new label at ``x + r`` are proven.

A flip is proven when, with ``lo = ↓(c − R)`` and ``hi = ↑(c + R)``, the label
``k`` of ``x`` has ``lo_k(x) > hi_j(x)`` for every ``j ≠ k``, and some ``j* ≠ k``
has ``lo_{j*}(x + r) > hi_i(x + r)`` for every ``i ≠ j*``: then the exact network
labels ``x`` with ``k`` and ``x + r`` with ``j*``.

Theorem: docs/theory.md §5 (``k̂(x + r) ≠ k̂(x)`` for the network in exact arithmetic).
Rigor: proven (the enclosures of :mod:`theorycheck.nets.enclosure`; comparisons of
outward-rounded bounds are exact).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from theorycheck.classification._common import others
from theorycheck.errors import InsufficientPrecision, InvalidArgument
from theorycheck.numerics.rounding import ball_contained as contained
from theorycheck.numerics.rounding import widen_radius

__all__ = ["CERTIFY_MODES", "certify_arg", "enclose_points", "derive_proven", "widen_radius", "contained",
           "proven_repair_factor"]

#: the values of ``certify=`` (``True`` means ``"float64"``)
CERTIFY_MODES: tuple[str, ...] = ("float64", "proven", "auto")

#: longest stored reason per sample
NOTE_MAX = 400


def certify_arg(certify: Any) -> str:
    """``certify=`` validated: ``True``/``"float64"``/``"certified-float64"`` → ``"float64"``, ``"proven"``, ``"auto"``.

    Theorem: none (argument validation).
    Rigor: not applicable.
    """
    if isinstance(certify, (bool, np.bool_)):
        if bool(certify):
            return "float64"
        raise InvalidArgument("certify=False: flips are always re-evaluated; use 'float64' (or True), "
                              "'proven' or 'auto'")
    if isinstance(certify, str):
        if certify == "certified-float64":
            return "float64"
        if certify in CERTIFY_MODES:
            return certify
    raise InvalidArgument(f"certify={certify!r}: use 'float64' (or True), 'proven' or 'auto'")


def _as_logits(t: Any, C: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The enclosure of one sample's output as ``C`` logit columns (a single logit ``f`` becomes ``[0, f]``)."""
    c = np.asarray(t.center.numpy(), dtype=np.float64)
    r = np.asarray(t.radius.numpy(), dtype=np.float64)
    if c.ndim == 1 and c.shape[0] == 1:
        c, r = c[:, None], r[:, None]
    if c.ndim != 2 or c.shape[0] != 1:
        return None
    if c.shape[1] == 1:
        c = np.concatenate([np.zeros_like(c), c], axis=1)
        r = np.concatenate([np.zeros_like(r), r], axis=1)
    if c.shape[1] != C:
        return None
    return c[0].copy(), r[0].copy()


def enclose_points(model: Any, Xp: np.ndarray, C: int,
                   widen: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], set[str]]:
    """Enclosures of the logits at each row of ``Xp`` alone: centres, radii (widened unless ``widen=False``),
    codes, notes, assumptions.

    Each row is enclosed alone, twice, on fresh copies of ``model``
    (:func:`theorycheck.nets.enclose_each`: two runs that differ raise
    :class:`~theorycheck.errors.PreconditionError`). Codes: 1 enclosed, 2 no enclosure for this
    input (overflow, an output of another shape; the reason in its note). An unsupported node or
    an unusable model raises (:class:`~theorycheck.errors.PreconditionError`,
    :class:`InvalidArgument`): it fails on every input.

    Theorem: none (infrastructure; the enclosures are those of :func:`theorycheck.nets.enclose`).
    Rigor: proven (widening rounds up), for a forward that is a function of its input, parameters
    and buffers (checked as above, and stated among the assumptions).
    """
    import torch

    from theorycheck.nets.enclosure import PURE_FORWARD, enclose_each  # torch

    m = Xp.shape[0]
    cen = np.full((m, C), np.nan)
    rad = np.full((m, C), np.nan)
    code = np.zeros(m, dtype=np.int8)
    notes = [""] * m
    assumptions: set[str] = {PURE_FORWARD} if m else set()
    # exactly the float64 inputs the float64 evaluation is fed, each alone
    first = enclose_each(model, torch.tensor(np.ascontiguousarray(Xp), dtype=torch.float64),
                         keep=(InsufficientPrecision,))
    for i in range(m):
        enc = first[i]
        if isinstance(enc, InsufficientPrecision):
            code[i], notes[i] = 2, f"no enclosure: {enc}"[:NOTE_MAX]
            continue
        if enc.is_complex:
            raise InvalidArgument("the model returned complex logits: classifiers must return real logits")
        got = _as_logits(enc, C)
        if got is None:
            code[i], notes[i] = 2, f"no enclosure: the enclosed output has shape {enc.shape}, not (1, {C})"
            continue
        c, r = got
        R = widen_radius(c, r) if widen else r
        if not (np.isfinite(c).all() and np.isfinite(R).all()):
            code[i], notes[i] = 2, "no enclosure: the enclosure overflows float64"
            continue
        cen[i], rad[i], code[i] = c, R, 1
        assumptions.update(enc.assumptions)
    return cen, rad, code, notes, assumptions


def _bounds(E: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``↓(c − R)`` and ``↑(c + R)``: below and above every point of the enclosure."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.nextafter(E - R, -np.inf), np.nextafter(E + R, np.inf)


def derive_proven(E: np.ndarray, R: np.ndarray, code: np.ndarray, k: np.ndarray,
                  eligible: np.ndarray) -> dict[str, np.ndarray]:
    """Per sample, from stored enclosures ``E ± R`` (``(2, n, C)``: at ``x``, at ``x + r``) and the label ``k``.

    ``eligible``: the samples whose flip the search found (label of ``x`` usable).
    Returns ``lower``/``upper`` (``(n, 2, C)``, NaN where not enclosed), ``gap_lower``
    (``≤ f_k(x) − max_{j≠k} f_j(x)``), ``margin_lower`` (``≤ f_{j*}(x + r) − max_{i≠j*} f_i(x + r)``,
    ``j* = argmax_{j≠k} lo_j(x + r)``), ``new_label`` (``j*`` where proven, else -1),
    ``x_proven``, ``adv_proven`` and ``proven`` (both, on eligible samples).

    Theorem: docs/theory.md §5 (the exact network labels ``x`` with ``k`` and ``x + r`` with ``j*``).
    Rigor: proven (comparisons of outward-rounded bounds; the differences rounded down).
    """
    n = E.shape[1]
    rows = np.arange(n)
    ok = (code == 1)                                   # (2, n)
    lo, hi = _bounds(E, R)
    lo = np.where(ok[..., None], lo, np.nan)
    hi = np.where(ok[..., None], hi, np.nan)
    with np.errstate(invalid="ignore", over="ignore"):
        kk = np.where(k >= 0, k, 0)
        top0 = others(np.where(ok[0][:, None], hi[0], 0.0), kk)[0]       # max_{j≠k} hi_j(x)
        gap = np.nextafter(lo[0][rows, kk] - top0, -np.inf)
        x_sep = ok[0] & (lo[0][rows, kk] > top0)
        lo1 = np.where(ok[1][:, None], lo[1], -np.inf)
        js = others(lo1, kk)[1]                                          # best other class at x + r
        top1 = others(np.where(ok[1][:, None], hi[1], 0.0), js)[0]       # max_{i≠j*} hi_i(x + r)
        margin = np.nextafter(lo1[rows, js] - top1, -np.inf)
        adv_sep = ok[1] & (lo1[rows, js] > top1)
    proven = eligible & (k >= 0) & x_sep & adv_sep
    return {
        "lower": np.transpose(lo, (1, 0, 2)), "upper": np.transpose(hi, (1, 0, 2)),
        "gap_lower": np.where(ok[0] & (k >= 0), gap, np.nan),
        "margin_lower": np.where(ok[1] & (k >= 0), margin, np.nan),
        "new_label": np.where(proven, js, -1).astype(np.int64),
        "x_proven": x_sep & (k >= 0), "adv_proven": adv_sep, "proven": proven,
    }


def reasons(pv: Mapping[str, np.ndarray], code: np.ndarray, notes: np.ndarray, eligible: np.ndarray) -> list[str]:
    """Per sample, why its flip is not proven ("" where it is proven or not eligible).

    Theorem: none (messages).
    Rigor: not applicable.
    """
    out = []
    for i in range(code.shape[1]):
        if not eligible[i] or pv["proven"][i]:
            out.append("")
        elif code[0, i] != 1 or code[1, i] != 1:
            out.append(str(notes[i]) or "not enclosed")
        elif not pv["x_proven"][i]:
            out.append(f"the label of x is not proven: the enclosures of its logit and another overlap "
                       f"(gap lower bound {float(pv['gap_lower'][i]):.3g} ≤ 0)")
        else:
            out.append(f"the flip at x + r is not proven: the enclosures of the new class's logit and another "
                       f"overlap (margin lower bound {float(pv['margin_lower'][i]):.3g} ≤ 0)")
    return out


def proven_repair_factor(E: np.ndarray, R: np.ndarray, k: np.ndarray, idx: np.ndarray, lo_t: float,
                         hi_t: float) -> np.ndarray:
    """Per sample ``idx``, the enlargement ``t`` of ``r`` that brings the new class's centre margin over
    ``k`` to ``4 max R(x + r)``, interpolated linearly between ``x`` and ``x + r``; clipped to ``[lo_t, hi_t]``.

    Theorem: none (a search heuristic; the result is decided by :func:`derive_proven`).
    Rigor: not applicable.
    """
    rows = np.arange(idx.size)
    kk = k[idx]
    c0, c1, R1 = E[0, idx], E[1, idx], R[1, idx]
    with np.errstate(all="ignore"):
        j = others(c1, kk)[1]
        m0 = c0[rows, j] - c0[rows, kk]
        m1 = c1[rows, j] - c1[rows, kk]
        aim = 4.0 * np.max(R1, axis=1)
        t = np.where(m1 > m0, (aim - m0) / (m1 - m0), np.inf)
        t = np.where(np.isfinite(t), t, hi_t)
    return np.clip(t, lo_t, hi_t)
