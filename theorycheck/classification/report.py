"""Several perturbation searches on a batch, summarised per method: :func:`robustness_report` (docs/theory.md §5).

The seeds' comparison of random noise, the fast gradient and DeepFool in
``‖r‖/‖x‖``. :class:`RobustnessReport` keeps every method's
:class:`~theorycheck.classification.ClassifierWitness`; its verifier verifies
each of them and re-derives the statistics, the outcome and the message.

Theorem: docs/theory.md §5 (random noise ≫ fast gradient ≫ DeepFool in ``‖r‖/‖x‖``).
Rigor: certified-float64 for the flips (and a ``violated`` outcome); statistics numerical.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np

from theorycheck.classification._common import CHECK, METHODS, SEED_METHODS, THEOREM, as_float64
from theorycheck.classification._proven import certify_arg
from theorycheck.classification.search import search_args, search_minimal_perturbation
from theorycheck.classification.witness import ClassifierWitness, float64_backing, verify_classifier_witness
from theorycheck.errors import InvalidArgument
from theorycheck.numerics.validation import integer_arg, real_arg, seed_arg
from theorycheck.results import (
    CheckResult,
    Outcome,
    Rigor,
    Witness,
    claim_mismatches,
    register_result,
    register_verifier,
    verification,
)

__all__ = ["RobustnessReport", "robustness_report", "verify_robustness_report"]


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class RobustnessReport(CheckResult):
    """Per-method statistics of ``‖r‖/‖x‖`` over a set of samples (:func:`robustness_report`).

    Attributes
    ----------
    stats : dict
        ``method → {"median", "mean", "min", "success_rate", "time_s", "n",
        "n_searched", "n_flipped"}`` (ratios over the certified flips).
    witnesses : dict
        ``method →`` :class:`ClassifierWitness` (batched), each a result of its own.
    figure : str or None
        Path of the saved figure (x, r, x + r for a few samples), if any.

    ``outcome`` is ``violated`` when some certified flip has
    ``‖r‖/‖x‖ ≤ tol`` (the classifier is unstable at that sample), else
    ``inconclusive`` (a search that finds nothing proves no robustness).
    ``theorycheck verify`` re-derives every statistic and the outcome from the
    stored witnesses (each verified as a :class:`ClassifierWitness`).

    Theorem: docs/theory.md §5.
    Rigor: ``certified-float64`` when ``violated`` (see :class:`ClassifierWitness`),
    else ``numerical``; the statistics are numerical.
    """

    informational: ClassVar[frozenset[str]] = frozenset({"elapsed_s", "figure"})

    stats: Mapping[str, Mapping[str, float]] = dataclasses.field(default_factory=dict)
    witnesses: Mapping[str, ClassifierWitness] = dataclasses.field(default_factory=dict)
    figure: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.witnesses, Mapping) or not isinstance(self.stats, Mapping):
            raise InvalidArgument("witnesses and stats must be mappings from method names")
        wits = {}
        for key, w in self.witnesses.items():
            if not isinstance(w, ClassifierWitness):
                raise InvalidArgument(f"witnesses[{key!r}] is not a ClassifierWitness")
            wits[str(key)] = w
        object.__setattr__(self, "witnesses", wits)
        stats = {}
        for k, v in self.stats.items():
            if not isinstance(v, Mapping):
                raise InvalidArgument(f"stats[{k!r}] must map statistic names to numbers")
            stats[str(k)] = dict(v)
        object.__setattr__(self, "stats", stats)
        if self.figure is not None and not isinstance(self.figure, str):
            raise InvalidArgument("figure must be a path (a string) or None")

    def table(self) -> str:
        """The statistics as a text table (one row per method)."""
        head = f"{'method':<20}{'median':>10}{'mean':>10}{'min':>10}{'success':>9}{'time (s)':>10}"
        rows = [head]
        for m, s in self.stats.items():
            rows.append(f"{m:<20}{s['median']:>10.4g}{s['mean']:>10.4g}{s['min']:>10.4g}"
                        f"{100 * s['success_rate']:>8.0f}%{s['time_s']:>10.3f}")
        return "\n".join(rows)


def _stats(w: ClassifierWitness) -> dict[str, float]:
    v = w.values
    return {"median": v["median_ratio"], "mean": v["mean_ratio"], "min": v["min_ratio"],
            "success_rate": v["success_rate"], "time_s": w.time_s, "n": v["n"],
            "n_searched": v["n_searched"], "n_flipped": v["n_flipped"]}


def _assemble_report(witnesses: Mapping[str, ClassifierWitness], tol: Any, figure: str | None,
                     elapsed: Any) -> RobustnessReport:
    """The report, deterministically, from the per-method witnesses (the check and the verifier call it)."""
    tol = real_arg(tol, "tol", allow_zero=True)
    if not witnesses:
        raise InvalidArgument("witnesses: a report holds at least one method")
    x0 = None
    for m, w in witnesses.items():
        if not isinstance(w, ClassifierWitness) or w.witness is None or not w.batched:
            raise InvalidArgument(f"witnesses[{m!r}]: not a batched ClassifierWitness")
        if w.method != m:
            raise InvalidArgument(f"witnesses[{m!r}]: holds a {w.method!r} search")
        if x0 is None:
            x0 = w.x
        elif not (w.x.shape == x0.shape and np.array_equal(w.x, x0)):
            raise InvalidArgument(f"witnesses[{m!r}]: the methods were run on different inputs")
    stats = {m: _stats(w) for m, w in witnesses.items()}
    values: dict[str, Any] = {}
    for m, s in stats.items():
        for key in ("median", "mean", "min", "success_rate", "time_s"):
            values[f"{m}_{key}"] = s[key]
    values["tol"] = tol
    values["elapsed_s"] = elapsed
    best = None
    for m, w in witnesses.items():
        succ = np.asarray(w.success, dtype=bool)
        if succ.any():
            ratio = np.asarray(w.ratio, dtype=float)
            i = int(np.argmin(np.where(succ, ratio, np.inf)))
            if best is None or ratio[i] < best[2]:
                best = (m, i, float(ratio[i]))
    parts = [f"{m}: {100 * s['success_rate']:.0f}% flipped, median ‖r‖/‖x‖ = {s['median']:.3g}"
             for m, s in stats.items()]
    if best is not None and best[2] <= tol:
        m, i, best_ratio = best
        w = witnesses[m]
        wit: Witness | None = Witness(CHECK, {"x": w.x[i], "r": w.r[i], "label": int(w.label[i]),
                                              "new_label": int(w.new_label[i]), "method": m, "sample": i})
        # the flip's own rigor: proven where enclosures of the exact logits decide it (certify="proven"/"auto")
        sample_rigor = w.values.get("sample_rigor")
        rigor = (Rigor(str(np.asarray(sample_rigor)[i])) if sample_rigor is not None
                 else Rigor.CERTIFIED_FLOAT64)
        if rigor not in (Rigor.PROVEN, Rigor.CERTIFIED_FLOAT64):
            raise InvalidArgument(f"witnesses[{m!r}]: a counted flip of rigor {rigor.value}")
        outcome = Outcome.VIOLATED
        msg = (f"a perturbation of ‖r‖/‖x‖ = {best_ratio:.6g} <= tol = {tol!r} flips label {int(w.label[i])} "
               f"of sample {i} ({m}; {'proven' if rigor is Rigor.PROVEN else 'certified'}); " + "; ".join(parts))
    else:
        wit, outcome, rigor = None, Outcome.INCONCLUSIVE, Rigor.NUMERICAL
        msg = f"no certified flip with ‖r‖/‖x‖ <= tol = {tol!r}; " + "; ".join(parts)
    return RobustnessReport("classifier_robustness", outcome, rigor, msg, values, wit, THEOREM,
                            stats=stats, witnesses=dict(witnesses), figure=figure)


@register_verifier("classifier_robustness")
def verify_robustness_report(result: CheckResult, model: Any = None) -> CheckResult:
    """Verify every method's witness, then re-derive the statistics, outcome and message from them.

    Registered for ``classifier_robustness`` results; with ``model`` every
    witness's model outputs are re-run too.

    Theorem: docs/theory.md §5.
    Rigor: as the saved result's (certified-float64 flips, numerical statistics), re-derived.
    """
    if not isinstance(result, RobustnessReport):
        return verification(result, ["the saved result is not a RobustnessReport"], rederived="nothing")
    problems: list[str] = []
    for m, w in result.witnesses.items():
        v = verify_classifier_witness(w, model=model)
        if not v.holds:
            problems.append(f"witnesses[{m!r}]: {v.message}")
    try:
        derived = _assemble_report(result.witnesses, result.values.get("tol"), result.figure,
                                   result.values.get("elapsed_s"))
    except InvalidArgument as exc:
        problems.append(str(exc))
    else:
        problems += claim_mismatches(result, derived)
    what = "every method's witness, the statistics, the outcome, rigor and message"
    if model is not None:
        return verification(result, problems, rederived=what + "; the model re-run on every stored input")
    return verification(result, problems, rederived=what,
                        not_rechecked="the model outputs stored in the witnesses (and, for proven flips, their "
                                      "enclosures); pass model= to re-run it",
                        rigor=_unchecked_cap(result) if not problems else None)


def _unchecked_cap(result: RobustnessReport) -> Rigor | None:
    """Without the model, what the stored float64 logits back for the reported flip (a proven flip is
    re-decided from the stored enclosures, not re-proven)."""
    if result.rigor is not Rigor.PROVEN or result.witness is None:
        return None
    m, i = result.witness.data["method"], int(result.witness.data["sample"])
    return float64_backing(result.witnesses[m], [i])


def _figure_path(figure: Any) -> str | None:
    """Check the figure's path before any work: a folder that exists, a format matplotlib writes."""
    if figure is None:
        return None
    try:
        path = os.fspath(figure)
    except TypeError as exc:
        raise InvalidArgument(f"figure must be a path, got {figure!r}") from exc
    if not isinstance(path, str) or not path:
        raise InvalidArgument(f"figure must be a file path, got {figure!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidArgument(f"figure: the folder {folder!r} does not exist; create it first")
    ext = os.path.splitext(path)[1][1:].lower()
    if ext:
        from matplotlib.backend_bases import FigureCanvasBase

        if ext not in FigureCanvasBase.get_supported_filetypes():
            raise InvalidArgument(f"figure: matplotlib cannot write .{ext} files; use .png, .pdf or .svg")
    return path


def _image_shape(image_shape: Any, d: int) -> tuple[int, ...] | None:
    if image_shape is None:
        return None
    if isinstance(image_shape, (str, bytes)) or not isinstance(image_shape, Sequence):
        raise InvalidArgument(f"image_shape must be a tuple of positive ints, got {image_shape!r}")
    shape = tuple(integer_arg(s, "image_shape entries") for s in image_shape)
    if len(shape) not in (1, 2) or math.prod(shape) != d:
        raise InvalidArgument(f"image_shape {shape} must have one or two entries whose product is the "
                              f"sample size {d}")
    return shape


def robustness_report(
    model: Any,
    X: Any,
    *,
    methods: Sequence[str] = SEED_METHODS,
    labels: Any = None,
    seed: Any = None,
    overshoot: float = 0.02,
    max_iter: int = 50,
    device: Any = None,
    batch_size: int | None = None,
    candidates: int | None = 10,
    tol: float = 0.1,
    figure: str | os.PathLike | None = None,
    n_figure: int = 4,
    image_shape: Sequence[int] | None = None,
    certify: bool | str = "float64",
) -> RobustnessReport:
    """Run several perturbation searches on a batch and summarise ``‖r‖/‖x‖`` per method.

    Parameters
    ----------
    model : torch.nn.Module
        Classifier returning logits (see :func:`search_minimal_perturbation`).
    X : array_like or torch.Tensor
        A batch of samples, batch first (finite).
    methods : sequence of str
        Any of :data:`METHODS` (default: the seeds' three, random noise, fast
        gradient and DeepFool), each once.
    labels : array of int, optional
        True labels (misclassified samples are skipped and counted apart).
    seed : int or None
        Seed of the random directions.
    tol : float
        The report is ``violated`` when a certified flip has ``‖r‖/‖x‖ ≤ tol``.
    figure : path, optional
        Save a figure of ``x``, ``r`` and ``x + r`` (each method) for the first
        ``n_figure`` samples with a certified flip (matplotlib, imported only
        then). Its folder must exist (checked before any work).
    n_figure : int
        Samples shown (≥ 1).
    image_shape : tuple of int, optional
        How to show a sample (default: its own shape if 2-D, a square if
        its size is a perfect square, else a line plot).
    certify : {"float64", "proven", "auto"} or True
        How each method's flips are certified (:func:`search_minimal_perturbation`):
        float64 re-evaluations (default), enclosures of the exact
        real-arithmetic logits (``"proven"``), or proven where the enclosures
        separate and certified-float64 elsewhere (``"auto"``). The report's
        rigor is that of the flip it reports.

    Other parameters are passed to :func:`search_minimal_perturbation`.

    Returns
    -------
    RobustnessReport
        ``stats[method]`` with median, mean and min of ``‖r‖/‖x‖`` (over
        certified flips), success rate and time; ``witnesses[method]``.

    Theorem: docs/theory.md §5 (the seeds' comparison: random noise ≫ fast
    gradient ≫ DeepFool in ``‖r‖/‖x‖``).
    Rigor: certified-float64 for the flips (and a ``violated`` outcome), proven for
    flips the enclosures decide (``certify="proven"``/``"auto"``); statistics numerical.
    """
    t0 = time.perf_counter()
    certify_arg(certify)
    if isinstance(methods, str):
        methods = (methods,)
    if not isinstance(methods, Sequence):
        raise InvalidArgument(f"methods must be a sequence of method names, got {methods!r}")
    methods = tuple(methods)
    if not methods:
        raise InvalidArgument("methods is empty: pass some of " + ", ".join(METHODS))
    for m in methods:
        if not isinstance(m, str) or m not in METHODS:
            raise InvalidArgument(f"unknown method {m!r}: use {METHODS}")
    if len(set(methods)) != len(methods):
        raise InvalidArgument(f"methods repeats a method: {methods}")
    tol = real_arg(tol, "tol", allow_zero=True)
    n_figure = integer_arg(n_figure, "n_figure")
    path = _figure_path(figure)
    search_args(methods[0], overshoot, max_iter, batch_size, candidates, True)
    seed_arg(seed)
    Xv = as_float64(X, "X")
    if Xv.ndim < 2:
        raise InvalidArgument(f"X must be a batch (n, *input_shape), got shape {Xv.shape}")
    shape = _image_shape(image_shape, int(np.prod(Xv.shape[1:])))
    witnesses: dict[str, ClassifierWitness] = {}
    for m in methods:
        witnesses[m] = search_minimal_perturbation(
            model, Xv, method=m, overshoot=overshoot, max_iter=max_iter, seed=seed, device=device,
            batch_size=batch_size, labels=labels, candidates=candidates, batched=True, certify=certify)
    if path is not None:
        try:
            _save_figure(path, witnesses, n_figure, shape)
        except (OSError, ValueError) as exc:
            raise InvalidArgument(f"figure: cannot write {path!r}: {exc}") from exc
    return _assemble_report(witnesses, tol, path, time.perf_counter() - t0)


def _save_figure(path: str, witnesses: Mapping[str, ClassifierWitness], n_show: int,
                 image_shape: Sequence[int] | None) -> str:
    from matplotlib.figure import Figure  # no pyplot: the caller's backend and figures are untouched

    methods = list(witnesses)
    w0 = witnesses[methods[0]]
    ok_all = np.all([np.asarray(w.success, dtype=bool) for w in witnesses.values()], axis=0)
    rows = list(np.flatnonzero(ok_all)[:n_show]) or list(range(min(n_show, len(w0))))
    rows = rows or [0]
    shape = tuple(image_shape) if image_shape is not None else None
    sample_shape = w0.x.shape[1:]
    if shape is None:
        squeezed = tuple(s for s in sample_shape if s != 1)
        d = int(np.prod(sample_shape))
        side = int(round(math.sqrt(d)))
        shape = squeezed if len(squeezed) == 2 else ((side, side) if side * side == d else None)

    def show(ax: Any, a: np.ndarray, diverging: bool = False, vrange: Any = None) -> None:
        if shape is not None and len(shape) == 2:
            img = a.reshape(shape)
            if diverging:
                v = float(np.max(np.abs(img))) or 1.0
                ax.imshow(img, cmap="RdBu_r", vmin=-v, vmax=v)
            else:  # x and x + r on the same grey scale (that of x)
                ax.imshow(img, cmap="gray", vmin=vrange[0], vmax=vrange[1])
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            ax.plot(a.ravel())

    ncol = 1 + 2 * len(methods)
    fig = Figure(figsize=(1.8 * ncol, 1.9 * len(rows)))
    axes = fig.subplots(len(rows), ncol, squeeze=False)
    for r_i, i in enumerate(rows):
        lo, hi = float(np.min(w0.x[i])), float(np.max(w0.x[i]))
        vr = (lo, hi if hi > lo else lo + 1.0)
        show(axes[r_i, 0], w0.x[i], vrange=vr)
        axes[r_i, 0].set_title(f"x (label {int(w0.label[i])})", fontsize=7)
        for j, m in enumerate(methods):
            w = witnesses[m]
            show(axes[r_i, 1 + 2 * j], w.r[i], diverging=True)
            axes[r_i, 1 + 2 * j].set_title(f"{m}: r, ratio {float(w.ratio[i]):.2g}", fontsize=7)
            show(axes[r_i, 2 + 2 * j], w.x[i] + w.r[i], vrange=vr)
            axes[r_i, 2 + 2 * j].set_title(f"x + r (label {int(w.new_label[i])})", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
