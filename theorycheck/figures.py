"""Figures and reports that show an instability certificate: :func:`instability_figure`, :func:`write_report`.

``theorycheck demo`` and ``theorycheck certify`` call these to write ``instability.png`` and
``report.md`` beside the certificate. They only *draw* what the saved result stores (its
witness arrays and the numbers derived from them); they certify nothing themselves and never
re-run the network. matplotlib is imported when a figure is drawn (backend Agg), never when
``theorycheck`` is imported.

The figure of a certificate (:func:`~theorycheck.instability.check_instability`) has two rows:

* the certified pair ``x, x′`` and the network's reconstructions ``Ψ(Ax), Ψ(Ax′)``, all four on
  one intensity scale with one colour bar, a frame around the region where the output changes
  most;
* the perturbation (``x′ − x``: the detail that ``A`` barely sees) and the output change
  ``|Ψ(Ax′) − Ψ(Ax)|`` on one shared scale (so their sizes compare at a glance), then the
  framed region of ``Ψ(Ax)`` and ``Ψ(Ax′)`` enlarged, on the scale of the first row.

A worst-case perturbation (:func:`~theorycheck.instability.search_worst_perturbation`) is drawn
the same way with ``x + r`` in place of ``x′``. Complex images are shown by their modulus,
vectors (1-D signals) as curves.

Theorem: universal instability theorem (docs/theory.md §3) — the figure draws its witness.
Rigor: not applicable (drawing and formatting; the numbers shown are the result's own, with
its rigor printed beside them).
"""

from __future__ import annotations

import math
import os
import pathlib
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.validation import integer_arg
from theorycheck.results import CheckResult, Report, shorten

__all__ = ["instability_figure", "write_report"]

_KINDS = ("instability", "worst_perturbation")


@dataclass(frozen=True)
class _Story:
    """What a figure shows, taken from one saved result."""

    kind: str
    x: np.ndarray
    x2: np.ndarray | None  # x′ or x + r (None: measurement-domain perturbation)
    psi_x: np.ndarray | None
    psi_x2: np.ndarray | None
    perturbation: np.ndarray
    names: tuple[str, str, str, str, str, str]  # x, x2, Ψx, Ψx2, perturbation, change
    title: str
    note: str


def _fmt(v: Any, digits: int = 4) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{f:.{digits}g}" if math.isfinite(f) else str(f)


def _vec(v: Any) -> np.ndarray:
    return np.atleast_1d(np.asarray(v, dtype=np.float64))


def _pick(result: Any) -> CheckResult:
    """The result to draw: an instability certificate or a worst-case perturbation (from a Report:
    the first of them)."""
    if isinstance(result, Report):
        found = [r for r in result if getattr(r, "check", None) in _KINDS]
        if not found:
            raise InvalidArgument("the report holds no instability certificate or worst-case perturbation "
                                  "to draw (checks: " + ", ".join(sorted({r.check for r in result})) + ")")
        return found[0]
    if not isinstance(result, CheckResult) or result.check not in _KINDS:
        raise InvalidArgument("result must be an InstabilityCertificate (check_instability) or a "
                              "PerturbationWitness (search_worst_perturbation), or a Report holding one; "
                              f"got {type(result).__name__}"
                              + (f" with check {result.check!r}" if isinstance(result, CheckResult) else ""))
    return result


def _arr(data: Mapping[str, Any], key: str) -> np.ndarray | None:
    v = data.get(key)
    return None if v is None else np.asarray(v)


def _story(result: CheckResult, index: int | None) -> _Story:
    data = dict(result.witness.data) if result.witness is not None else {}
    rig = result.rigor.value
    if result.check == "instability":
        x, xp = _arr(data, "x"), _arr(data, "x_prime")
        if x is None or xp is None:
            raise InvalidArgument("the certificate stores no images x, x′ (its witness is missing)")
        v = result.values
        if result.holds:
            low = float(getattr(result, "lower_bound", math.nan))
            head = "Ψ is unstable at Ax" if low > 1 else "theorem holds at Ax, no amplification (bound < 1)"
            title = (f"{head} [{rig}]: L^ε(Ψ, Ax) ≥ {_fmt(low)} "
                     f"for every ε ≥ {_fmt(v.get('distance_measurements_bounds', (0, math.nan))[1], 3)}; "
                     f"theorem's bound {_fmt(v.get('theorem_bound_at_eta'))} at ε = η = "
                     f"{_fmt(getattr(result, 'eta', math.nan))}")
        else:
            title = f"NOT certified [{rig}]: {shorten(result.message, 160)}"
        note = (f"‖x − x′‖ = {_fmt(v.get('distance_images'), 3)}, ‖A(x − x′)‖ = "
                f"{_fmt(v.get('distance_measurements'), 3)}, ‖Ψ(Ax′) − Ψ(Ax)‖ = {_fmt(v.get('output_distance'), 3)}")
        p0, p1 = _arr(data, "psi_y"), _arr(data, "psi_y_prime")
        centres = _arr(data, "psi_center")  # proven certificates store enclosure centres instead
        if p0 is None and centres is not None and len(centres) >= 2:
            p0, p1 = centres[0], centres[1]
        return _Story("instability", x, xp, p0, p1, xp - x,
                      ("x", "x′", "Ψ(Ax)", "Ψ(Ax′)", "x′ − x (A barely sees it)", "Ψ(Ax′) − Ψ(Ax)"), title, note)
    # worst_perturbation
    batched = bool(data.get("batched", False))
    x, pert = _arr(data, "x"), _arr(data, "perturbation")
    p0, p1 = _arr(data, "psi_y0"), _arr(data, "psi_y1")
    if x is None or pert is None:
        raise InvalidArgument("the search result stores no image x or perturbation (its witness is missing)")
    ratio = _vec(getattr(result, "ratio", math.nan))
    if batched:
        k = int(np.nanargmax(ratio)) if index is None else int(index)
        if not 0 <= k < x.shape[0]:
            raise InvalidArgument(f"index must lie in [0, {x.shape[0]}) for this batch of {x.shape[0]} images")
        x, pert = x[k], pert[k]
        p0 = None if p0 is None else p0[k]
        p1 = None if p1 is None else p1[k]
    else:
        k = 0
    image = str(data.get("domain", "image")) == "image"
    sym = "r" if image else "e"
    norm_r = _vec(getattr(result, "norm_r", math.nan))[k]
    norm_ar = _vec(getattr(result, "norm_Ar", math.nan))[k]
    change = _vec(getattr(result, "output_change", math.nan))[k]
    title = (f"worst-case perturbation [{rig}]: L^ε(Ψ, Ax) ≥ {_fmt(ratio[k])} for ε ≥ ‖Δy‖ = {_fmt(norm_ar, 3)}"
             if result.holds else f"search NOT certified [{rig}]: {shorten(result.message, 160)}")
    note = (f"‖{sym}‖ = {_fmt(norm_r, 3)} ({_fmt(100 * norm_r / max(float(np.linalg.norm(x)), 1e-300), 2)} % of ‖x‖), "
            f"‖Ψ(y₁) − Ψ(Ax)‖ = {_fmt(change, 3)}" + (f"; image {k} of the batch" if batched else ""))
    if image:
        return _Story("worst_perturbation", x, x + pert, p0, p1, pert,
                      ("x", "x + r", "Ψ(Ax)", "Ψ(A(x + r))", "r", "Ψ(A(x + r)) − Ψ(Ax)"), title, note)
    return _Story("worst_perturbation", x, None, p0, p1, pert,
                  ("x", "", "Ψ(Ax)", "Ψ(Ax + e)", "e (measurements)", "Ψ(Ax + e) − Ψ(Ax)"), title, note)


def _plane(a: np.ndarray | None) -> tuple[np.ndarray | None, str]:
    """A real 2-D (or 1-D) array to draw, and a note on what was taken (modulus, slice)."""
    if a is None:
        return None, ""
    a = np.squeeze(np.asarray(a))
    note = ""
    if a.ndim > 2:
        note = f" [slice {(0,) * (a.ndim - 2)}]"
        a = a[(0,) * (a.ndim - 2)]
    if np.iscomplexobj(a):
        return np.abs(a), note
    return np.asarray(a, dtype=float), note


def _zoom_box(change: np.ndarray) -> tuple[int, int, int, int] | None:
    """A square box (r0, r1, c0, c1) around the pixels where ``change`` is largest (≥ half its peak),
    at least a quarter of the image wide; None when nothing changes."""
    h, w = change.shape
    peak = float(np.max(change)) if change.size else 0.0
    if not peak > 0 or not math.isfinite(peak):
        return None
    rows, cols = np.nonzero(change >= 0.5 * peak)
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    side = max(r1 - r0, c1 - c0, max(4, min(h, w) // 4))
    side = min(side + 2, h, w)
    rc, cc = (r0 + r1) // 2, (c0 + c1) // 2
    r0 = int(min(max(rc - side // 2, 0), h - side))
    c0 = int(min(max(cc - side // 2, 0), w - side))
    if side >= min(h, w) * 0.9:
        return None  # the change is everywhere: a zoom would show the whole image again
    return r0, r0 + side, c0, c0 + side


def instability_figure(result: CheckResult | Report, *, model: str | None = None,
                       path: str | os.PathLike[str], index: int | None = None, dpi: int = 110) -> pathlib.Path:
    """Draw the instability a certificate or a worst-case perturbation witnesses; write a PNG.

    Row 1: ``x``, ``x′`` (or ``x + r``), ``Ψ(Ax)``, ``Ψ(Ax′)`` on one intensity scale with one colour
    bar, a frame around the region where the output changes most. Row 2: the perturbation and the
    output change ``|Ψ(Ax′) − Ψ(Ax)|`` on one shared scale, and the framed region of both
    reconstructions enlarged (on the first row's scale). The title states the certified bounds and
    the rigor; a line below gives the norms. Complex images are drawn by modulus, vectors as curves.

    Parameters
    ----------
    result : InstabilityCertificate, PerturbationWitness or Report
        What :func:`~theorycheck.instability.check_instability` or
        :func:`~theorycheck.instability.search_worst_perturbation` returned (or a loaded file);
        from a Report the first of them is drawn.
    model : str, optional
        A name for the network (e.g. the ``--model`` spec), shown in the title.
    path : str or path-like
        The PNG file to write (its folder must exist).
    index : int, optional
        For a batched search, the image to draw (default: the one with the largest ratio).
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InvalidArgument
        ``result`` is not an instability certificate or a search result, ``path``'s folder does not
        exist, or ``index`` is out of range.

    Theorem: universal instability theorem (docs/theory.md §3): the witness pair it draws.
    Rigor: not applicable (a drawing of the stored witness; the title prints the result's rigor).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from theorycheck.instability import check_instability
    >>> A = np.array([[1.0, 0.0], [0.0, 1e-3]])
    >>> cert = check_instability(lambda y: np.array([y[0], 1e3 * y[1]]), A, [0.0, 0.0], [0.0, 1.0],
    ...                          ball_samples=0)
    >>> p = instability_figure(cert, path=os.path.join(tempfile.mkdtemp(), "f.png"))
    >>> p.name
    'f.png'
    """
    res = _pick(result)
    if index is not None:
        index = integer_arg(index, "index", minimum=0)
    dpi = integer_arg(dpi, "dpi", minimum=20)
    story = _story(res, index)
    out = _out_path(path, "path")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise InvalidArgument(f"model must be a non-empty name (str) shown in the title, got {model!r:.60}")
    if not dpi <= 600:
        raise InvalidArgument(f"dpi must lie in [20, 600], got {dpi}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    planes = [_plane(a) for a in (story.x, story.x2, story.psi_x, story.psi_x2)]
    pert, pnote = _plane(story.perturbation)
    diff = None
    if story.psi_x is not None and story.psi_x2 is not None:
        diff, _ = _plane(np.abs(np.asarray(story.psi_x2) - np.asarray(story.psi_x)))
    ndim = planes[0][0].ndim if planes[0][0] is not None else 1
    title = story.title + (f" — {model}" if model else "")
    if ndim == 1:
        fig = _curves(plt, story, planes, pert, diff)
    else:
        fig = _images(plt, story, planes, pert, pnote, diff)
    fig.suptitle(_wrap(title, 110), fontsize=10)
    cplx = np.iscomplexobj(story.x) or (story.psi_x is not None and np.iscomplexobj(story.psi_x))
    fig.supxlabel(story.note + ("; complex images shown by modulus" if cplx else ""), fontsize=8)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _out_path(path: Any, what: str) -> pathlib.Path:
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgument(f"{what} must be a file name, got {type(path).__name__}")
    p = pathlib.Path(path)
    if p.suffix.lower() != ".png":
        raise InvalidArgument(f"{what}: give a .png file name (got {str(path)!r})")
    if not p.parent.is_dir():
        raise InvalidArgument(f"{what}: the folder {str(p.parent)!r} does not exist")
    if p.is_dir():
        raise InvalidArgument(f"{what}: {str(p)!r} is a folder: give a file name")
    return p


def _images(plt: Any, story: _Story, planes: list, pert: np.ndarray | None, pnote: str,
            diff: np.ndarray | None) -> Any:
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(2, 4, figsize=(14.5, 7.6), layout="constrained")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    shown = [p for p, _ in planes if p is not None]
    lo = min(float(np.min(p)) for p in shown)
    hi = max(float(np.max(p)) for p in shown)
    if not hi > lo:
        hi = lo + 1.0
    box = _zoom_box(diff) if diff is not None and diff.ndim == 2 else None
    im = None
    for ax, (img, note), name in zip(axes[0], planes, story.names[:4]):
        if img is None:
            what = "not available" if name else "no second image:\nthe perturbation is in the measurements"
            ax.text(0.5, 0.5, what, ha="center", va="center", transform=ax.transAxes, fontsize=9)
            ax.set_title(name or "—", fontsize=10)
            continue
        im = ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_title(("|" + name + "|" if np.iscomplexobj(story.x) else name) + note, fontsize=10)
        if box is not None:
            r0, r1, c0, c1 = box
            ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False, ec="tab:orange", lw=1.5))
    if im is not None:
        fig.colorbar(im, ax=list(axes[0]), shrink=0.85, label="intensity (row 1 and zooms)")
    # row 2: perturbation and output change on one scale
    mags = []
    if pert is not None and pert.ndim == 2:
        mags.append(np.abs(pert))
    if diff is not None:
        mags.append(diff)
    top = max((float(np.max(m)) for m in mags), default=1.0) or 1.0
    ax = axes[1, 0]
    bar_axes = [axes[1, 0], axes[1, 1]]  # the axes that share the difference colour bar
    if pert is not None and pert.ndim == 2:
        im2 = ax.imshow(np.abs(pert), cmap="magma", vmin=0, vmax=top, interpolation="nearest")
        ax.set_title(f"|{story.names[4]}|{pnote}", fontsize=10)
    elif pert is not None:
        bar_axes = [axes[1, 1]]  # a measurement-domain perturbation is a line plot: no colour scale
        ax.remove()
        ax = fig.add_subplot(2, 4, 5)
        ax.plot(np.abs(pert).ravel(), lw=0.8)
        ax.set_title(f"|{story.names[4]}|", fontsize=10)
        ax.set_xlabel("sample index")
        im2 = None
    ax = axes[1, 1]
    if diff is not None:
        im2 = ax.imshow(diff, cmap="magma", vmin=0, vmax=top, interpolation="nearest")
        ax.set_title(f"|{story.names[5]}|", fontsize=10)
        if box is not None:
            r0, r1, c0, c1 = box
            ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False, ec="tab:cyan", lw=1.2))
    else:
        ax.text(0.5, 0.5, "Ψ's outputs not stored\n(not evaluated in float64)", ha="center", va="center",
                transform=ax.transAxes)
    if im2 is not None:
        fig.colorbar(im2, ax=bar_axes, shrink=0.85, label="|difference| (shared scale)")
    for ax, (img, _), name in zip(axes[1, 2:], planes[2:], story.names[2:4]):
        if img is None or box is None:
            ax.text(0.5, 0.5, "no zoom: the change is not localised" if img is not None else "not available",
                    ha="center", va="center", transform=ax.transAxes, fontsize=9, color="0.4")
            ax.set_frame_on(False)
            continue
        r0, r1, c0, c1 = box
        ax.imshow(img[r0:r1, c0:c1], cmap="gray", vmin=lo, vmax=hi, interpolation="nearest",
                  extent=(c0 - 0.5, c1 - 0.5, r1 - 0.5, r0 - 0.5))
        ax.set_title(f"zoom: {name}, rows {r0}–{r1 - 1}, cols {c0}–{c1 - 1}", fontsize=9)
        for s in ax.spines.values():
            s.set_edgecolor("tab:orange")
            s.set_linewidth(1.5)
    return fig


def _curves(plt: Any, story: _Story, planes: list, pert: np.ndarray | None, diff: np.ndarray | None) -> Any:
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), layout="constrained")
    ax = axes[0]
    styles = [("k-", 3.5), ("C0-", 2.5), ("C1--", 1.5), ("C3:", 1.5)]  # overlapping curves stay visible
    bars = "|" if np.iscomplexobj(story.x) else ""
    for (img, _), name, (st, lw) in zip(planes, story.names[:4], styles):
        if img is not None and name:
            ax.plot(img.ravel(), st, lw=lw, alpha=0.8, label=f"{bars}{name}{bars}")
    ax.set_title("the pair and its reconstructions (one scale)", fontsize=10)
    ax.set_xlabel("index")
    ax.legend(fontsize=9)
    ax = axes[1]
    if pert is not None:
        ax.plot(np.abs(pert).ravel(), "C2-", lw=3.5, alpha=0.6, label=f"|{story.names[4]}|")
    if diff is not None:
        ax.plot(diff.ravel(), "C3--", lw=1.5, label=f"|{story.names[5]}|")
    ax.set_title("perturbation and output change (shared scale)", fontsize=10)
    ax.set_xlabel("index")
    ax.legend(fontsize=9)
    return fig


# -- the report ----------------------------------------------------------------------------------

def _md_escape(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def write_report(result: CheckResult | Report, folder: str | os.PathLike[str], *, model: str | None = None,
                 weights: str | None = None, certificate: str | None = None, figure: bool = True,
                 name: str = "report.md", figure_name: str = "instability.png") -> pathlib.Path:
    """Write ``report.md`` (and the figure ``instability.png``) for instability results into ``folder``.

    The report states, for each instability certificate and worst-case perturbation in ``result``:
    the verdict with its rigor and message; the numbers (distances, errors, ``η``, the witnessed and
    the theorem's bounds, the ball radius); every hypothesis with its margin; the false negative and
    false positive; the figure; and the command that re-checks the saved certificate. Other results
    of a Report are listed with their verdict.

    Parameters
    ----------
    result : InstabilityCertificate, PerturbationWitness or Report
    folder : str or path-like
        An existing folder; ``name`` and ``figure_name`` are written into it (replacing files of
        those names).
    model, weights : str, optional
        The ``--model`` spec (and ``--weights`` file) of the network, for the re-check command and
        the figure's title.
    certificate : str, optional
        The saved JSON file, for the re-check command.
    figure : bool
        Draw the figure (needs matplotlib) of the first drawable result.
    name, figure_name : str
        File names of the report and the figure inside ``folder``.

    Returns
    -------
    pathlib.Path
        The report's path.

    Theorem: universal instability theorem (docs/theory.md §3): the report restates the result's claims.
    Rigor: not applicable (formatting; every number is the result's own, with its rigor).

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from theorycheck.instability import check_instability
    >>> A = np.array([[1.0, 0.0], [0.0, 1e-3]])
    >>> cert = check_instability(lambda y: np.array([y[0], 1e3 * y[1]]), A, [0.0, 0.0], [0.0, 1.0],
    ...                          ball_samples=0)
    >>> write_report(cert, tempfile.mkdtemp(), figure=False).name
    'report.md'
    """
    if not isinstance(folder, (str, os.PathLike)):
        raise InvalidArgument(f"folder must be a folder name, got {type(folder).__name__}")
    if not str(folder):
        raise InvalidArgument("folder must name a folder (use '.' for the current folder)")
    dest = pathlib.Path(folder)
    if not dest.is_dir():
        raise InvalidArgument(f"folder {str(dest)!r} does not exist (or is not a folder): create it first")
    for what, v in (("model", model), ("weights", weights), ("certificate", certificate)):
        if v is not None and (not isinstance(v, str) or not v.strip()):
            raise InvalidArgument(f"{what} must be a non-empty str (or None), got {v!r:.60}")
    for what, v in (("name", name), ("figure_name", figure_name)):
        if not isinstance(v, str) or not v or os.path.basename(v) != v or v in (".", ".."):
            raise InvalidArgument(f"{what} must be a plain file name (no folder), got {v!r}")
    if not figure_name.lower().endswith(".png"):
        raise InvalidArgument(f"figure_name must end in .png, got {figure_name!r}")
    if not isinstance(figure, bool):
        raise InvalidArgument(f"figure must be True or False, got {figure!r}")
    results = list(result) if isinstance(result, Report) else [result]
    if not all(isinstance(r, CheckResult) for r in results):
        raise InvalidArgument("result must be a CheckResult or a Report of them")
    drawable = [r for r in results if r.check in _KINDS]
    if not drawable:
        _pick(result)  # raises with the reason
    lines = ["# theorycheck: instability report", ""]
    if model:
        lines += [f"Network: `{model}`" + (f" with weights `{weights}`" if weights else ""), ""]
    fig_path = None
    if figure:
        fig_path = instability_figure(drawable[0], model=model, path=dest / figure_name)
    for r in drawable:
        lines += _section(r)
        if fig_path is not None and r is drawable[0]:
            lines += ["### Figure", "", f"![the certified instability]({figure_name})", "",
                      "Row 1: the images and their reconstructions on one intensity scale (colour bar on the "
                      "right); the orange frame marks where the output changes most. Row 2: the perturbation "
                      "and the output change on one shared scale, then the framed region enlarged.", ""]
    others = [r for r in results if r.check not in _KINDS]
    if others:
        lines += ["## Other results", "", "| check | outcome | rigor | message |", "|---|---|---|---|"]
        lines += [f"| {r.check} | {r.outcome.value} | {r.rigor.value} | {_md_escape(r.message)} |" for r in others]
        lines.append("")
    lines += ["## Re-check", ""]
    if certificate:
        cmd = f"theorycheck verify {certificate}" + (f" --model {model}" if model else "") + (
            f" --weights {weights}" if weights and model else "")
        lines += ["Every claim above is re-derived from the witness stored in the certificate:", "", "```",
                  cmd, "```", ""]
        if model:
            lines += ["With `--model` the network is re-evaluated and must reproduce the stored outputs.", ""]
    else:
        lines += ["Save the result with `to_json(path)` and run `theorycheck verify path` to re-derive every "
                  "claim from its witness.", ""]
    lines += ["What the rigor labels mean and the statement of the theorem: docs/theory.md §3 in the "
              "theorycheck repository.", ""]
    path = dest / name
    try:
        path.write_text("\n".join(lines), encoding="utf-8")
    except OSError as exc:
        raise InvalidArgument(f"cannot write {str(path)!r} ({exc.strerror or exc})") from None
    return path


def _section(r: CheckResult) -> list[str]:
    v = r.values
    if r.check == "instability":
        out = ["## Universal instability certificate", "",
               f"**{r.outcome.value}** [{r.rigor.value}]: {_md_escape(r.message)}", "",
               "| quantity | value |", "|---|---|"]
        eta_name = "η" + (" (smallest admissible)" if v.get("eta_chosen") else "")
        rows = [("‖x − x′‖", v.get("distance_images")),
                ("‖A(x − x′)‖ (stored measurements)", v.get("distance_measurements")),
                ("‖Ψ(Ax) − x‖", v.get("error_x")), ("‖Ψ(Ax′) − x′‖", v.get("error_x_prime")),
                ("‖Ψ(Ax) − Ψ(Ax′)‖", v.get("output_distance")), (eta_name, getattr(r, "eta", None)),
                ("witnessed bound L^ε(Ψ, Ax) for ε ≥ ‖A(x − x′)‖", getattr(r, "lower_bound", None)),
                ("theorem's bound (‖x − x′‖ − 2η)/η at ε = η", v.get("theorem_bound_at_eta")),
                (f"ball radius around Ax ({v.get('ball_rigor', '')}, {v.get('ball_points_tested', 0)} points)",
                 getattr(r, "ball_radius", None)),
                ("Ψ evaluated in", v.get("psi_precision")), ("operator", v.get("operator"))]
        out += [f"| {_md_escape(k)} | {_md_escape(_fmt(val, 6))} |" for k, val in rows if val is not None]
        hyp = getattr(r, "hypotheses", {}) or {}
        if hyp:
            out += ["", "### Hypotheses", "", "| hypothesis | holds | margin |", "|---|---|---|"]
            for k, (holds, margin) in hyp.items():
                verdict = "yes" if holds is True else ("NO" if holds is False else "undecided (within rounding)")
                out.append(f"| {_md_escape(k)} | {verdict} | {_fmt(margin, 4)} |")
            out += ["", f"Assumed: {v.get('assumption', 'Ψ continuous')}."]
        fds = [fd for fd in (getattr(r, "false_negative", None), getattr(r, "false_positive", None)) if fd is not None]
        if fds:
            out += ["", "### False negative and false positive", ""]
            for fd in fds:
                what = "the detail vanishes" if fd.kind == "false_negative" else "a detail appears"
                out.append(f"- {fd.kind.replace('_', ' ')} ({what}): measurement noise of norm "
                           f"{_fmt(fd.noise_norm, 4)} makes Ψ err by {_fmt(fd.error, 4)}; it returns the other "
                           f"image up to {_fmt(fd.other_distance, 4)}.")
        return out + [""]
    out = ["## Worst-case perturbation", "", f"**{r.outcome.value}** [{r.rigor.value}]: {_md_escape(r.message)}", "",
           "| quantity | value |", "|---|---|"]
    g = lambda k: getattr(r, k, None)  # noqa: E731
    rows2 = [("‖r‖" if g("domain") == "image" else "‖e‖", g("norm_r")), ("‖Δy‖ = ‖y₁ − Ax‖", g("norm_Ar")),
             ("‖Ψ(y₁) − Ψ(Ax)‖", g("output_change")), ("certified ratio (lower bound on L^ε)", g("ratio")),
             ("Ψ evaluated in", v.get("psi_precision"))]
    for k, val in rows2:
        arr = np.asarray(val) if not isinstance(val, str) else None
        shown = (", ".join(_fmt(t, 4) for t in arr.ravel()[:8]) + (" …" if arr.size > 8 else "")
                 if arr is not None and arr.ndim > 0 else _fmt(val, 6))
        out.append(f"| {_md_escape(k)} | {_md_escape(shown)} |")
    return out + [""]
