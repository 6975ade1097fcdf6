"""Robustness curves: reconstruction error against the relative noise level, adversarial or Gaussian.

:func:`stability_curve` measures, for several reconstruction maps and a sparse-regularisation
baseline, the error ``Ψ(Ax + e)`` against the truth ``x`` as a function of the relative noise
level ``δ = ‖e‖/‖Ax‖`` (the study design of Genzel–Macdonald–März and of the seeds): worst
case over ``‖e‖ ≤ δ‖Ax‖`` by projected gradient ascent (levels, restarts and images in one
batch), or Gaussian noise with ``‖e‖ = δ‖Ax‖``; relative ℓ2 error, PSNR and SSIM (scikit-image);
mean ± std over the images. Every stored perturbation is re-evaluated twice on the CPU in
float64 with ``Ψ``'s rounding noise allowed for, so each adversarial point is a certified lower
bound on the worst-case error at its level. :class:`StabilityCurve` holds the result (plot,
Markdown and LaTeX tables, JSON) and :func:`verify_stability_curve` (registered for
``"stability_curve"``) re-derives every claim from the stored witnesses, and with ``model=`` from
the networks re-run at every stored input.

Theorem: stability test of docs/theory.md §4 (worst-case error under measurement noise);
``sup_{‖e‖≤δ‖Ax‖} ‖Ψ(Ax + e) − x‖ ≥ ‖Ψ(Ax + e*) − x‖`` for the stored ``e*``.
Rigor: certified-float64 for the adversarial lower bounds; numerical for the Gaussian means and
for every mean and standard deviation as an estimate of a population quantity.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Mapping, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.instability._common import (
    dist,
    div_down,
    fmt,
    images_arg,
    operator_arg,
    psi_map,
    psi_text,
    seed_int,
    sub_down,
)
from theorycheck.instability._curve_verify import (
    models_arg,
    over_budget_problems,
    rerun_method,
    run_problems,
    settings_problems,
)
from theorycheck.instability._operators import apply_operator, operator_record, record_text
from theorycheck.instability._witness import WitnessCheck, result_arg
from theorycheck.nets._adapter_common import NOISE_ALLOWANCE
from theorycheck.numerics.backend import lazy_torch, resolve_device
from theorycheck.numerics.parallel import progress_bar
from theorycheck.numerics.rounding import U, norm2, norm2_bounds, round_down
from theorycheck.numerics.validation import bool_arg, choice_arg, integer_arg, real_arg, refuse_size
from theorycheck.problems.programs import SRLasso
from theorycheck.problems.sparsifiers import Wavelet
from theorycheck.problems.tv import FiniteDifference
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
from theorycheck.solvers._pdhg import operator_norm_bound
from theorycheck.solvers.primal_dual import chambolle_pock

__all__ = ["StabilityCurve", "stability_curve", "verify_stability_curve", "image_metrics", "DEFAULT_LEVELS"]

#: the relative noise levels of Genzel–Macdonald–März's curves (0–8 %)
DEFAULT_LEVELS = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08)
_METRICS = ("rel_l2", "psnr", "ssim")
_HIGHER_IS_BETTER = {"rel_l2": False, "psnr": True, "ssim": True}
_LABELS = {"rel_l2": "relative ℓ2 error", "psnr": "PSNR (dB)", "ssim": "SSIM"}
_THEOREM = "stability test (docs/theory.md §4): worst-case and Gaussian error against the noise level"
_BASELINES = ("l1-wavelet", "tv")


# -- metrics ---------------------------------------------------------------------------------

def _skimage_metrics() -> Any:
    try:
        from skimage import metrics  # heavy optional dependency (the test extra)
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise InvalidArgument("PSNR and SSIM need scikit-image: pip install scikit-image (or pass "
                              "metrics=('rel_l2',))") from exc
    return metrics


def image_metrics(truth: Any, reconstruction: Any, metrics: Sequence[str] = _METRICS) -> dict[str, float]:
    """Relative ℓ2 error, PSNR and SSIM of one reconstruction against the truth.

    ``rel_l2 = ‖x̂ − x‖/‖x‖`` (:func:`~theorycheck.numerics.rounding.norm2`, the same bits on
    every machine); PSNR and SSIM from scikit-image (``peak_signal_noise_ratio``,
    ``structural_similarity``; scikit-image must be installed) with ``data_range`` the truth's
    range ``max x − min x`` (``max |x|`` for a constant image). For a real truth the real part
    of a complex reconstruction is compared; for a complex truth PSNR and SSIM compare
    magnitudes (``rel_l2`` the complex values).

    Parameters
    ----------
    truth, reconstruction : array_like
        Same shape; SSIM needs every side ≥ 7.
    metrics : sequence of {"rel_l2", "psnr", "ssim"}

    Returns
    -------
    dict
        metric name → float (PSNR ``inf`` for a perfect reconstruction).

    Theorem: definitions (relative error; Wang et al.'s SSIM; PSNR = 10 log₁₀(range²/MSE)).
    Rigor: numerical (float64 evaluation; rel_l2 deterministic bit for bit).
    """
    x = np.asarray(truth)
    r = np.asarray(reconstruction)
    if x.dtype.kind not in "biufc" or r.dtype.kind not in "biufc":
        raise InvalidArgument("truth and reconstruction must be numeric arrays")
    if x.shape != r.shape:
        raise InvalidArgument(f"reconstruction has shape {r.shape}, the truth {x.shape}: pass the same shape")
    ms = _metrics_arg(metrics)
    x = x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)
    r = r.astype(np.complex128 if np.iscomplexobj(r) else np.float64)
    if ("ssim" in ms) and min(x.shape, default=0) < 7:
        raise InvalidArgument(f"SSIM needs images with every side ≥ 7, got {x.shape}: leave 'ssim' out of metrics")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(r))):
        raise InvalidArgument("truth and reconstruction must be finite")
    if norm2(x) == 0:
        raise InvalidArgument("the truth is zero: relative errors are undefined")
    return _metric_values(x, r, ms)


def _metric_values(x: np.ndarray, r: np.ndarray, ms: Sequence[str]) -> dict[str, float]:
    """The metrics of one reconstruction (deterministic; inputs float64/complex128, validated)."""
    real = not np.iscomplexobj(x)
    q = np.real(r) if real else r
    out: dict[str, float] = {}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if "rel_l2" in ms:
            out["rel_l2"] = norm2(q - x) / norm2(x)
        if "psnr" in ms or "ssim" in ms:
            sk = _skimage_metrics()
            a, b = (x, q) if real else (np.abs(x), np.abs(q))
            rng = float(np.max(a) - np.min(a))
            if not rng > 0:
                rng = float(np.max(np.abs(a)))
            if "psnr" in ms:
                mse = float(np.mean((a - b) ** 2))
                out["psnr"] = math.inf if mse == 0 else float(sk.peak_signal_noise_ratio(a, b, data_range=rng))
            if "ssim" in ms:
                out["ssim"] = float(sk.structural_similarity(a, b, data_range=rng))
    return out


def _metrics_arg(metrics: Any) -> tuple[str, ...]:
    if isinstance(metrics, str):
        metrics = (metrics,)
    try:
        ms = tuple(metrics)
    except TypeError:
        raise InvalidArgument(f"metrics must be a sequence of {_METRICS}, got {metrics!r}") from None
    if not ms:
        raise InvalidArgument(f"metrics is empty: pass some of {_METRICS}")
    for m in ms:
        if not isinstance(m, str) or m not in _METRICS:
            raise InvalidArgument(f"metrics: unknown metric {m!r}; use some of {_METRICS}")
    if len(set(ms)) != len(ms):
        raise InvalidArgument(f"metrics has repeated entries: {ms}")
    return ms


def _levels_arg(levels: Any) -> np.ndarray:
    if isinstance(levels, (str, bytes)) or levels is None:
        raise InvalidArgument(f"noise_levels must be a sequence of relative levels, got {levels!r}")
    try:
        arr = np.asarray(levels)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"noise_levels could not be read as numbers: {exc}") from None
    if arr.ndim == 0:
        arr = arr[None]
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iuf":
        raise InvalidArgument(f"noise_levels must be a non-empty 1-D sequence of real numbers, got {levels!r}")
    if arr.size > 1000:
        raise InvalidArgument(f"noise_levels has {arr.size} entries: at most 1000")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InvalidArgument(f"noise_levels must be finite and non-negative, got {arr.tolist()}")
    if np.any(np.diff(arr) <= 0):
        raise InvalidArgument(f"noise_levels must be strictly increasing, got {arr.tolist()}")
    if arr[-1] > 10:
        raise InvalidArgument(f"noise_levels are relative (‖e‖/‖Ax‖); {arr[-1]} is absurdly large: at most 10")
    return arr


def _reconstructors_arg(reconstructors: Any) -> dict[str, Any]:
    if not isinstance(reconstructors, Mapping):
        raise InvalidArgument("reconstructors must be a mapping name → Ψ (e.g. {'unet': net}), got "
                              f"{type(reconstructors).__name__}")
    if not reconstructors:
        raise InvalidArgument("reconstructors is empty: pass at least one name → Ψ")
    out = {}
    for k, v in reconstructors.items():
        if not isinstance(k, str) or not k.strip() or len(k) > 100:
            raise InvalidArgument(f"reconstructors: every name must be a non-empty string (≤ 100 chars), got {k!r}")
        if v is None or not callable(v):
            raise InvalidArgument(f"reconstructors[{k!r}] must be a torch module or a torch callable, "
                                  f"got {type(v).__name__}")
        out[k] = v
    return out


# -- baselines -------------------------------------------------------------------------------

class UnrolledBaseline:
    """A sparse-regularisation baseline as a differentiable map: ``iterations`` Chambolle–Pock steps.

    SR-LASSO ``min λ‖Wz‖₁ + ‖Az − y‖`` with orthonormal wavelets (``"l1-wavelet"``: db4 when
    the shape allows, else haar) or isotropic total variation (``"tv"``: ``W = ∇``), ``λ = lam``,
    solved by :func:`~theorycheck.solvers.primal_dual.chambolle_pock` from 0 for exactly
    ``iterations`` steps in torch (differentiable; no stopping test, so the map is a fixed,
    deterministic function of ``y`` that autograd can differentiate and the float64 evaluation
    can certify). Call it on a torch batch of measurements.

    Theorem: Chambolle–Pock (2011) on docs/theory.md §1's SR-LASSO; the seeds' stable baseline.
    Rigor: not applicable (a map; its evaluations are certified like any ``Ψ``).
    """

    def __init__(self, A: Any, kind: str = "l1-wavelet", *, lam: float = 0.01, iterations: int = 200) -> None:
        self.kind = choice_arg(kind, "baseline", _BASELINES)
        self.lam = real_arg(lam, "lam")
        self.iterations = integer_arg(iterations, "baseline_iterations")
        refuse_size(float(self.iterations), 1e5, "the baseline's iterations", "lower baseline_iterations")
        A = operator_arg(A)
        shape = tuple(A.in_shape)
        if self.kind == "tv":
            W: Any = FiniteDifference(shape)
            self.tv = "isotropic" if len(shape) > 1 else "anisotropic"
        else:
            W = None
            for name in ("db4", "haar"):
                try:
                    W = Wavelet(shape, name)
                    break
                except InvalidArgument:
                    continue
            self.tv = "anisotropic"
        self.problem = SRLasso(A, self.lam, W=W)
        # the step sizes once, from bounds (the solver's default computes ‖K‖ by an SVD on every call):
        # ‖K‖ = ‖A‖ for an orthonormal W (synthesis form), ‖K‖² ≤ ‖A‖² + ‖∇‖² with ‖∇‖ ≤ 2√ndim for TV
        L = operator_norm_bound(A)
        if self.kind == "tv":
            L = math.sqrt(L * L + 4.0 * len(shape))
        if not (math.isfinite(L) and L > 0):
            raise InvalidArgument("A is the zero operator: there is no baseline reconstruction")
        self.tau = self.sigma = 0.99 / (1.01 * L)

    def __call__(self, y: Any) -> Any:
        torch = lazy_torch()
        real = torch.float32 if y.dtype in (torch.float32, torch.complex64) else torch.float64
        sol = chambolle_pock(self.problem, y, backend="torch", differentiable=True, max_iter=self.iterations,
                             tol=0.0, certify=False, device=y.device, dtype=real, tv=self.tv,
                             tau=self.tau, sigma=self.sigma)
        return sol.info["x_torch"]

    def __repr__(self) -> str:
        return f"UnrolledBaseline({self.kind!r}, lam={self.lam}, iterations={self.iterations})"


# -- the result ------------------------------------------------------------------------------

@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class StabilityCurve(CheckResult):
    """Reconstruction error against the relative noise level, per method (:func:`stability_curve`).

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s)
    ----------------------------------------------------------------
    levels : numpy.ndarray
        The relative levels ``δ`` (``‖e‖ ≤ δ‖Ax‖``; ``= δ‖Ax‖`` for Gaussian noise), shape ``(K,)``.
    methods : tuple of str
        The reconstructors' names, then the baseline's.
    metrics : tuple of str
    kind : {"adversarial", "gaussian"}
    mean, std : dict
        ``mean[method][metric]``: shape ``(K,)``, over the images (std with ``ddof=1``; 0 for one image).
    values : dict
        ``values[method][metric]``: per level and image ``(K, B)`` (Gaussian: the mean over the
        draws); also ``values[method]["rel_l2_lower"]`` ``(K, D, B)``, the certified lower bound
        on ``‖Ψ(Ax + e) − x‖/‖x‖`` for each stored perturbation (NaN when not certified), and
        ``values[method]["relative_norm"]`` ``(K, D, B)``, ``‖e‖/‖Ax‖``.
    descriptions : dict
        How each ``Ψ`` was evaluated.
    settings : dict
        restarts/draws, steps, step size, momentum, seed, baseline.

    ``witnesses[method]`` (a property) gives the stored perturbations ``e`` ``(K, D, B, *m)``,
    the float64 outputs ``(K, D, B, *N)``, their noise estimates and the derived bounds
    (``D = 1`` for adversarial curves, the number of draws for Gaussian ones).

    Theorem: stability test (docs/theory.md §4).
    Rigor: certified-float64 lower bounds for adversarial curves (``outcome`` holds); numerical
    for Gaussian curves and for the statistics.
    """

    informational = frozenset({"elapsed_s", "search_seconds"})

    levels: Any = None
    methods: tuple = ()
    metrics: tuple = ()
    kind: str = "adversarial"
    mean: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    std: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    descriptions: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    search_seconds: float = 0.0

    @property
    def witnesses(self) -> dict[str, dict[str, Any]]:
        """Per method: ``e``, ``output``, ``noise`` (stored) and ``rel_l2_lower``, ``relative_norm`` (derived)."""
        if self.witness is None or self.witness.kind != "stability_curve":
            return {}
        runs = self.witness.data["runs"]
        out = {}
        for m in self.methods:
            run = runs[m]
            out[m] = {"e": run["e"], "output": run.get("output"), "noise": run.get("noise"),
                      "rel_l2_lower": self.values[m]["rel_l2_lower"],
                      "relative_norm": self.values[m]["relative_norm"]}
        return out

    def _best(self, metric: str, k: int) -> set[str]:
        vals = {m: float(self.mean[m][metric][k]) for m in self.methods}
        finite = [v for v in vals.values() if not math.isnan(v)]
        if not finite:
            return set()
        best = max(finite) if _HIGHER_IS_BETTER[metric] else min(finite)
        return {m for m, v in vals.items() if v == best}

    def _cell(self, m: str, metric: str, k: int) -> str:
        mu, sd = float(self.mean[m][metric][k]), float(self.std[m][metric][k])
        digits = 2 if metric == "psnr" else 4
        return f"{mu:.{digits}f} ± {sd:.{digits}f}"

    def to_markdown(self) -> str:
        """One Markdown table per metric: a row per level, ``mean ± std`` per method, best in bold.

        Theorem: none (presentation).
        Rigor: the result's.
        """
        lines = [f"{self.kind} noise, {len(self.levels)} levels, mean ± std over "
                 f"{self.values[self.methods[0]][self.metrics[0]].shape[1]} images", ""]
        for metric in self.metrics:
            arrow = "higher is better" if _HIGHER_IS_BETTER[metric] else "lower is better"
            lines += [f"**{_LABELS[metric]}** ({arrow})", "",
                      "| level | " + " | ".join(self.methods) + " |",
                      "|---:|" + "---:|" * len(self.methods)]
            for k, lev in enumerate(self.levels):
                best = self._best(metric, k)
                cells = [f"**{self._cell(m, metric, k)}**" if m in best else self._cell(m, metric, k)
                         for m in self.methods]
                lines.append(f"| {100 * float(lev):g} % | " + " | ".join(cells) + " |")
            lines.append("")
        return "\n".join(lines)

    def to_latex(self) -> str:
        """One LaTeX ``tabular`` per metric (booktabs), best per level in ``\\textbf``.

        Theorem: none (presentation).
        Rigor: the result's.
        """
        def esc(s: str) -> str:
            return "".join("\\" + c if c in "&%$#_{}" else c for c in s)

        out = []
        for metric in self.metrics:
            out += [f"% {_LABELS[metric]} ({self.kind} noise), mean $\\pm$ std",
                    "\\begin{tabular}{r" + "c" * len(self.methods) + "}", "\\toprule",
                    "level & " + " & ".join(esc(m) for m in self.methods) + " \\\\", "\\midrule"]
            for k, lev in enumerate(self.levels):
                best = self._best(metric, k)
                cells = []
                for m in self.methods:
                    c = self._cell(m, metric, k).replace("±", "$\\pm$").replace("inf", "$\\infty$")
                    cells.append(f"\\textbf{{{c}}}" if m in best else c)
                out.append(f"{100 * float(lev):g}\\% & " + " & ".join(cells) + " \\\\")
            out += ["\\bottomrule", "\\end{tabular}", ""]
        return "\n".join(out)

    def plot(self, path: str | None = None) -> Any:
        """Curves with ±std bands, one panel per metric (matplotlib); saved to ``path`` when given.

        Theorem: none (presentation).
        Rigor: the result's.
        """
        import matplotlib

        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(self.metrics), figsize=(4.2 * len(self.metrics), 3.4), squeeze=False)
        pct = 100 * np.asarray(self.levels, dtype=float)
        for ax, metric in zip(axes[0], self.metrics):
            for m in self.methods:
                mu = np.asarray(self.mean[m][metric], dtype=float)
                sd = np.asarray(self.std[m][metric], dtype=float)
                ok = np.isfinite(mu)
                ax.plot(pct[ok], mu[ok], "o-", label=m)
                ax.fill_between(pct[ok], (mu - sd)[ok], (mu + sd)[ok], alpha=0.2)
            ax.set_xlabel("relative noise level ‖e‖/‖Ax‖ (%)")
            ax.set_ylabel(_LABELS[metric])
            ax.grid(alpha=0.3)
        axes[0][0].legend()
        fig.suptitle(f"{self.kind} noise")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
            plt.close(fig)
        return fig


# -- the check -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Options:
    kind: str
    levels: np.ndarray
    restarts: int
    steps: int
    lr: float
    momentum: float
    seed: int
    metrics: tuple
    certify: bool
    progress: bool
    batch_size: int | None
    dtype: Any
    device: Any


def stability_curve(
    reconstructors: Mapping[str, Any], A: Any, X: Any, *, noise_levels: Sequence[float] = DEFAULT_LEVELS,
    kind: str = "adversarial", restarts: int = 4, steps: int = 50, lr: float = 0.05, momentum: float = 0.9,
    metrics: Sequence[str] = _METRICS, baseline: str | None = "l1-wavelet", baseline_lam: float = 0.01,
    baseline_iterations: int = 200, seed: Any = None, executor: Any = None, progress: bool = True,
    certify: bool = True, batch_size: int | None = None, device: Any = None, dtype: Any = None,
) -> StabilityCurve:
    """Error of each reconstruction map against the relative noise level ``δ = ‖e‖/‖Ax‖``.

    For every method, level ``δ_k`` and image ``x_i``:

    * ``kind="adversarial"``: the worst case over ``‖e‖ ≤ δ_k‖Ax_i‖`` of ``‖Ψ(Ax_i + e) − x_i‖``,
      searched like :func:`~theorycheck.instability.search_worst_perturbation` in the
      measurement domain with ``reference="truth"`` (projected heavy-ball ascent, steps
      ``lr·budget·g/‖g‖``, the best of ``restarts`` random starts), with every level, restart and
      image of a method in one batch (``batch_size`` splits it);
    * ``kind="gaussian"``: ``restarts`` draws ``e = δ_k‖Ax_i‖ g/‖g‖`` with ``g`` standard normal
      (complex normal for complex measurements): ``‖e‖ = δ_k‖Ax_i‖`` exactly up to rounding;
      the per-image value is the mean over the draws.

    Each stored perturbation is re-evaluated twice on the CPU in float64 with ``Ψ``'s rounding
    noise; the metrics (:func:`image_metrics`: relative ℓ2, PSNR, SSIM from scikit-image, which
    must be installed for the latter two) are computed from those outputs. The PSNR and SSIM of
    an adversarial point are those of the perturbation that maximises the ℓ2 error (they are
    not searched separately). When the images are real, the real part of ``Ψ``'s output is
    compared (and ascended).

    Parameters
    ----------
    reconstructors : mapping str → Ψ
        Torch modules or torch callables (anything
        :func:`~theorycheck.nets.adapters.as_reconstruction_map` accepts with the torch backend).
    A : array_like or LinearOperator
    X : array_like
        One image ``A.in_shape`` or a batch ``(B, *A.in_shape)``, each nonzero.
    noise_levels : sequence of float
        Non-negative, strictly increasing relative levels (default 0–8 %).
    kind : {"adversarial", "gaussian"}
    restarts : int
        Random starts per level and image (adversarial) or draws (Gaussian).
    steps, lr, momentum
        The ascent (as in ``search_worst_perturbation`` with a budget).
    metrics : sequence of {"rel_l2", "psnr", "ssim"}
    baseline : {"l1-wavelet", "tv"} or None
        Add the sparse-regularisation baseline (:class:`UnrolledBaseline`: SR-LASSO with
        ``λ = baseline_lam``, ``baseline_iterations`` Chambolle–Pock steps) as a method.
    seed : int, optional
        Starts and draws (CPU generators: the same seed, the same result on any device).
    executor : concurrent.futures.Executor, optional
        Runs the methods in parallel (``executor.submit``); default serial.
    progress : bool
        tqdm bar.
    certify : bool
        Re-evaluate in float64 (False: the search's own evaluation, numerical).
    batch_size : int, optional
        Largest batch handed to ``Ψ`` in the search (default: all of them on CUDA, one forward and
        one backward per step; chunks of 64 on the CPU, where the arithmetic is the same either way).
    device, dtype
        Where and at which real torch precision the search runs (default: as
        ``search_worst_perturbation``).

    Returns
    -------
    StabilityCurve

    Raises
    ------
    InvalidArgument
        Negative or non-increasing levels, an empty mapping, a zero image, unknown metrics.

    Theorem: stability test (docs/theory.md §4);
    ``sup_{‖e‖≤δ‖Ax‖} ‖Ψ(Ax + e) − x‖ ≥ ‖Ψ(Ax + e*) − x‖`` for each stored ``e*``.
    Rigor: certified-float64 (adversarial: per point, a lower bound on the worst-case error of
    ``Ψ`` evaluated in float64 with its rounding noise allowed for); numerical (Gaussian; means).
    """
    t0 = time.perf_counter()
    torch = lazy_torch()
    recs = _reconstructors_arg(reconstructors)
    base = None if baseline is None else choice_arg(baseline, "baseline", _BASELINES)
    if base is not None and base in recs:
        raise InvalidArgument(f"reconstructors already has a method called {base!r}: rename it or pass baseline=None")
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise InvalidArgument(f"dtype must be a real torch floating dtype, got {dtype!r}")
    if batch_size is not None:
        batch_size = integer_arg(batch_size, "batch_size")
    if executor is not None and not hasattr(executor, "submit"):
        raise InvalidArgument("executor must be a concurrent.futures.Executor (with submit), or None")
    opt = _Options(kind=choice_arg(kind, "kind", ("adversarial", "gaussian")), levels=_levels_arg(noise_levels),
                   restarts=integer_arg(restarts, "restarts"), steps=integer_arg(steps, "steps"),
                   lr=real_arg(lr, "lr"), momentum=_momentum_arg(momentum), seed=seed_int(seed),
                   metrics=_metrics_arg(metrics), certify=bool_arg(certify, "certify"),
                   progress=bool_arg(progress, "progress"), batch_size=batch_size, dtype=dtype,
                   device=None if device is None else resolve_device(device))
    refuse_size(float(opt.steps) * opt.restarts * opt.levels.size, 1e8, "the ascent", "lower steps or restarts")
    A = operator_arg(A)
    xv = images_arg(X, A, "X", batch=True)
    xb = xv if xv.shape != tuple(A.in_shape) else xv[None]
    B = xb.shape[0]
    refuse_size(float(xb.size) * max(A.shape) * opt.levels.size * opt.restarts, 2 ** 36,
                "the batch of perturbed measurements", "pass fewer images, levels or restarts")
    for i in range(B):
        n = norm2(xb[i])
        if n == 0 or not math.isfinite(n):
            raise InvalidArgument(f"X[{i}] has norm {n}: relative errors need nonzero finite images")
    if "ssim" in opt.metrics and min(xb.shape[1:]) < 7:
        raise InvalidArgument(f"SSIM needs images with every side ≥ 7 (got {xb.shape[1:]}): leave 'ssim' out of "
                              "metrics")
    if "psnr" in opt.metrics or "ssim" in opt.metrics:
        _skimage_metrics()
    y0 = apply_operator(A, xb)
    if not np.all(np.isfinite(y0)):
        raise InvalidArgument("A·X overflows float64: rescale A or the images")
    for i in range(B):
        if norm2(y0[i]) == 0:
            raise InvalidArgument(f"A·X[{i}] = 0: a relative noise level needs nonzero measurements")
    maps: dict[str, Any] = {}
    for name, psi in recs.items():
        maps[name] = psi_map(psi, A)
        if not maps[name].differentiable and opt.kind == "adversarial":
            raise InvalidArgument(f"reconstructors[{name!r}] is not torch-differentiable: pass a torch module, or "
                                  "as_reconstruction_map(f, backend='torch')")
    if base is not None:
        ub = UnrolledBaseline(A, base, lam=baseline_lam, iterations=baseline_iterations)
        maps[base] = psi_map(_torch_map(ub), A)
    jobs = [(name, pm) for name, pm in maps.items()]
    if executor is None:
        runs = {name: _run_method(pm, A, xb, y0, opt, idx) for idx, (name, pm) in enumerate(jobs)}
    else:
        futs = {name: executor.submit(_run_method, pm, A, xb, y0, opt, idx) for idx, (name, pm) in enumerate(jobs)}
        runs = {name: f.result() for name, f in futs.items()}
    settings = {"restarts": opt.restarts, "steps": opt.steps, "lr": opt.lr, "momentum": opt.momentum,
                "seed": opt.seed, "baseline": base, "baseline_lam": (None if base is None else float(baseline_lam)),
                "baseline_iterations": (None if base is None else int(baseline_iterations)),
                "certify": opt.certify}
    w = {"x": xb, "y0": y0, "levels": opt.levels, "kind": opt.kind, "metrics": opt.metrics,
         "methods": tuple(maps), "operator": operator_record(A), "settings": settings,
         "runs": {name: runs[name][0] for name in maps}}
    out = _assemble_curve(w)
    secs = float(sum(runs[name][1] for name in maps))
    return dataclasses.replace(out, search_seconds=secs, values={**out.values, "elapsed_s": time.perf_counter() - t0})


def _torch_map(f: Any) -> Any:
    """``as_reconstruction_map(f, backend="torch")``: a torch callable as a differentiable ``Ψ``."""
    from theorycheck.nets.adapters import as_reconstruction_map  # torch

    return as_reconstruction_map(f, backend="torch")


def _baseline_map(A: Any, kind: str, *, lam: float, iterations: int) -> Any:
    """The baseline of a saved curve as a differentiable map (for its verifier)."""
    return _torch_map(UnrolledBaseline(A, kind, lam=lam, iterations=iterations))


def _momentum_arg(momentum: Any) -> float:
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
        raise InvalidArgument(f"momentum must lie in [0, 1), got {momentum!r}")
    return float(momentum)


def _device_for(pm: Any, device: Any) -> Any:
    torch = lazy_torch()
    if device is not None:
        return device
    return resolve_device(None) if pm.is_module and pm.device is None else (pm.device or torch.device("cpu"))


def _run_method(pm: Any, A: Any, xb: np.ndarray, y0: np.ndarray, opt: _Options, index: int) -> tuple[dict, float]:
    """Search (or draw) the perturbations of one method and re-evaluate them: its witness run."""
    K, B = opt.levels.size, xb.shape[0]
    t0 = time.perf_counter()
    seed = opt.seed + 7919 * index  # distinct, reproducible starts per method
    if opt.kind == "adversarial":
        E, search_out = _adversarial(pm, xb, y0, opt, seed)
        E = E[:, None]  # (K, 1, B, *m)
    else:
        E = _gaussian(y0, opt, seed)  # (K, R, B, *m)
        search_out = None
    secs = time.perf_counter() - t0
    D = E.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        Y1 = y0[None, None] + E
    flat = Y1.reshape((K * D * B,) + y0.shape[1:])
    run: dict[str, Any] = {"psi": pm.options(), "e": E}
    if opt.certify:
        scale = np.array([norm2(e) for e in E.reshape((K * D * B,) + y0.shape[1:])])
        ev = pm.evaluate_float64(flat, noise=True, noise_scale=np.where(scale > 0, scale, np.inf))
        status = ev.reason if ev.reason or ev.ok else "Ψ's float64 evaluation is not usable"
        run.update(precision=ev.precision, status=status)
        if not status:
            run.update(output=np.asarray(ev.output).reshape((K, D, B) + xb.shape[1:]),
                       noise=np.asarray(ev.noise.noise, dtype=np.float64).reshape(K, D, B))
    else:
        out = search_out if search_out is not None else _evaluate(pm, flat, opt)
        out = np.asarray(out).reshape((K, D, B) + xb.shape[1:])
        run.update(precision="", status="not re-evaluated in float64 (certify=False)",
                   output=out.astype(np.complex128 if np.iscomplexobj(out) else np.float64))
    return run, secs


def _evaluate(pm: Any, Y: np.ndarray, opt: _Options) -> np.ndarray:
    """``Ψ`` on a batch in the search's precision (numerical)."""
    torch = lazy_torch()
    dev = _device_for(pm, opt.device)
    with pm.session(device=dev, dtype=opt.dtype) as f, torch.no_grad():
        rdt = f.dtype or torch.float64
        cdt = f.complex_dtype or torch.complex128
        yt = torch.as_tensor(Y, device=f.device).to(cdt if np.iscomplexobj(Y) else rdt)
        size = opt.batch_size or Y.shape[0]
        return np.concatenate([f(yt[s:s + size]).detach().cpu().numpy() for s in range(0, Y.shape[0], size)])


def _gaussian(y0: np.ndarray, opt: _Options, seed: int) -> np.ndarray:
    """``e = δ‖y₀‖ g/‖g‖`` for every level, draw and image (level 0: zeros)."""
    rng = np.random.default_rng(seed)
    K, R, B = opt.levels.size, opt.restarts, y0.shape[0]
    shape = (K, R, B) + y0.shape[1:]
    g = rng.standard_normal(shape)
    if np.iscomplexobj(y0):
        g = g + 1j * rng.standard_normal(shape)
    E = np.zeros(shape, dtype=y0.dtype)
    for k in range(K):
        for i in range(B):
            budget = float(opt.levels[k]) * norm2(y0[i])
            for r in range(R):
                if budget > 0:
                    E[k, r, i] = _within(g[k, r, i] * (budget / norm2(g[k, r, i])), y0[i], float(opt.levels[k]))
    return E


def _within(e: np.ndarray, y0: np.ndarray, level: float) -> np.ndarray:
    """``e`` shrunk (by a few ulps) until ``‖(y₀ + e) − y₀‖ ≤ δ‖y₀‖`` holds rigorously."""
    limit = round_down(level * norm2_bounds(y0)[0])
    for _ in range(8):
        with np.errstate(over="ignore", invalid="ignore"):
            hi = dist(y0 + e, y0)[2]
        if hi <= limit:
            return e
        e = e * (limit / hi) * (1 - 8 * U)
    return e


def _adversarial(pm: Any, xb: np.ndarray, y0: np.ndarray, opt: _Options, seed: int) -> tuple[np.ndarray, Any]:
    """Projected heavy-ball ascent on ``½‖Ψ(y₀ + e) − x‖²`` over ``‖e‖ ≤ δ‖y₀‖``, levels × restarts × images
    in one batch; the best restart per level and image, as float64 perturbations ``(K, B, *m)``, and the
    search's outputs at them (for ``certify=False``)."""
    torch = lazy_torch()
    K, R, B = opt.levels.size, opt.restarts, xb.shape[0]
    mshape = y0.shape[1:]
    nz = [k for k in range(K) if opt.levels[k] > 0]
    E = np.zeros((K, B) + mshape, dtype=y0.dtype)
    outs_best: np.ndarray | None = None
    dev = _device_for(pm, opt.device)
    real_x = not np.iscomplexobj(xb)
    if not nz:  # every level is 0: nothing to search
        if not opt.certify:
            return E, _evaluate(pm, np.asarray(y0[None] + E).reshape((K * B,) + mshape), opt).reshape(
                (K, 1, B) + xb.shape[1:])
        return E, None
    bar = progress_bar(opt.steps, opt.progress, "stability_curve")
    try:
        with pm.session(device=dev, dtype=opt.dtype) as f:
            rdt = f.dtype or torch.float64
            cdt = f.complex_dtype or torch.complex128
            ydt = cdt if np.iscomplexobj(y0) else rdt
            # the flattened batch: j = (level index in nz, restart, image)
            idx_k = np.repeat(np.array(nz, dtype=int), R * B)
            idx_i = np.tile(np.arange(B), len(nz) * R)
            J = idx_k.size
            budgets = np.array([float(opt.levels[k]) * norm2(y0[i]) for k, i in zip(idx_k, idx_i)])
            Y0 = torch.as_tensor(y0, device=f.device).to(ydt)
            Xt = torch.as_tensor(xb, device=f.device).to(rdt if real_x else cdt)
            ki = torch.as_tensor(idx_i, device=f.device)
            # the inputs and truths of the whole batch, gathered once (not on every step)
            YJ, XJ = Y0[ki], Xt[ki]
            bt = torch.as_tensor(budgets, device=f.device).to(rdt)
            # restart r starts every level from the directions of torch.Generator(seed + r), drawn as
            # search_worst_perturbation(seed=seed + r) draws its (B, *m) start: the same searches
            zs = []
            for r in range(R):
                gen = torch.Generator().manual_seed(seed + r)
                zr = torch.randn((B,) + mshape, generator=gen, dtype=torch.float64)
                if np.iscomplexobj(y0):
                    zr = torch.complex(zr, torch.randn((B,) + mshape, generator=gen, dtype=torch.float64))
                zs.append(zr)
            z = torch.stack(zs)[None].expand((len(nz), R, B) + mshape).reshape((J,) + mshape)
            z = z.to(device=f.device, dtype=ydt)
            nd = len(mshape) + 1
            e = z * _bshape(0.1 * bt / _bnorm(z).to(rdt), nd)
            v = torch.zeros_like(e)
            best_obj = torch.full((J,), -math.inf, dtype=rdt, device=f.device)
            best_e = e.clone()
            # one forward and one backward per step over every level, restart and image on CUDA; on the CPU
            # the arithmetic is the same for any split and chunks of 64 keep the activations in cache
            # (U-Net 32×32, 448 images, one thread: 1.83 s per step in chunks of 64, 1.93 s in one batch)
            size = opt.batch_size or (J if getattr(f.device, "type", "cpu") == "cuda" else min(J, 64))
            for _ in range(opt.steps):
                grads, objs = [], []
                for s in range(0, J, size):
                    es = e[s:s + size].detach().requires_grad_(True)
                    out = f(YJ[s:s + size] + es)
                    if real_x and out.is_complex():
                        out = out.real
                    diff = (out - XJ[s:s + size]).reshape(es.shape[0], -1)
                    obj = 0.5 * (diff.real ** 2 + diff.imag ** 2 if diff.is_complex() else diff ** 2).sum(1)
                    (g,) = torch.autograd.grad(obj.sum(), es)
                    grads.append(g)
                    objs.append(obj.detach())
                g = grads[0] if len(grads) == 1 else torch.cat(grads)
                with torch.no_grad():
                    o = (objs[0] if len(objs) == 1 else torch.cat(objs)).to(rdt)
                    better = o > best_obj
                    best_obj = torch.where(better, o, best_obj)
                    best_e = torch.where(_bshape(better, nd), e, best_e)
                    gn = _bnorm(g).to(rdt)
                    gn = torch.where(gn > 0, gn, torch.ones_like(gn))
                    v = opt.momentum * v + g * _bshape(opt.lr * bt / gn, nd)
                    e = e + v
                    en = _bnorm(e).to(rdt)
                    e = e * _bshape(torch.clamp(bt / torch.where(en > 0, en, torch.ones_like(en)), max=1.0), nd)
                bar.update(1)
            bo = best_obj.detach().cpu().numpy().reshape(len(nz), R, B)
            be = best_e.detach().cpu().numpy().reshape((len(nz), R, B) + mshape)
            pick = np.argmax(bo, axis=1)  # (len(nz), B)
            for a, k in enumerate(nz):
                for i in range(B):
                    e64 = be[a, pick[a, i], i].astype(y0.dtype)
                    E[k, i] = _within(e64, y0[i], float(opt.levels[k]))
    finally:
        bar.close()
    if not opt.certify:
        flat = (y0[None] + E).reshape((K * B,) + mshape)
        outs_best = _evaluate(pm, flat, opt).reshape((K, 1, B) + xb.shape[1:])
    return E, outs_best


def _bnorm(t: Any) -> Any:
    return t.reshape(t.shape[0], -1).abs().pow(2).sum(1).sqrt()


def _bshape(v: Any, ndim: int) -> Any:
    return v.reshape((-1,) + (1,) * (ndim - 1))


# -- assembly (every claim from the witness) -------------------------------------------------

def _assemble_curve(w: Mapping[str, Any]) -> StabilityCurve:
    """Every value, field, outcome, rigor and message of a curve from its witness alone."""
    xb, y0 = np.asarray(w["x"]), np.asarray(w["y0"])
    levels = np.asarray(w["levels"], dtype=np.float64)
    kind, metrics, methods = w["kind"], tuple(w["metrics"]), tuple(w["methods"])
    K, B = levels.size, xb.shape[0]
    y0_lo = [norm2_bounds(y0[i])[0] for i in range(B)]
    y0_n = [norm2(y0[i]) for i in range(B)]
    x_hi = [norm2_bounds(xb[i])[1] for i in range(B)]
    real = not np.iscomplexobj(xb)
    values: dict[str, Any] = {}
    mean: dict[str, Any] = {}
    std: dict[str, Any] = {}
    desc: dict[str, str] = {}
    statuses: dict[str, str] = {}
    over_budget: list[str] = []
    for m in methods:
        run = w["runs"][m]
        desc[m] = psi_text(run["psi"])
        E = np.asarray(run["e"])
        D = E.shape[1]
        out = np.asarray(run["output"]) if "output" in run else None
        status = str(run["status"])
        statuses[m] = status
        relnorm = np.zeros((K, D, B))
        lower = np.full((K, D, B), math.nan)
        per = {metric: np.full((K, D, B), math.nan) for metric in metrics}
        for k in range(K):
            for d in range(D):
                for i in range(B):
                    with np.errstate(over="ignore", invalid="ignore"):
                        y1 = y0[i] + E[k, d, i]
                    dy, _, dy_hi = dist(y1, y0[i])
                    relnorm[k, d, i] = dy / y0_n[i]
                    limit = round_down(float(levels[k]) * y0_lo[i])
                    # a zero perturbation is exact (y₁ = y₀); any other must fit its level rigorously
                    if np.any(E[k, d, i]) and not dy_hi <= limit:
                        over_budget.append(f"{m}: level {k}, draw {d}, image {i}")
                    if out is None:
                        continue
                    q = np.real(out[k, d, i]) if real else out[k, d, i]
                    vals = _metric_values(xb[i], q, metrics)
                    for metric in metrics:
                        per[metric][k, d, i] = vals[metric]
                    if not status:
                        c_lo = dist(q, xb[i])[1]
                        nu = float(np.asarray(run["noise"])[k, d, i])
                        num = max(0.0, sub_down(c_lo, NOISE_ALLOWANCE * nu))
                        lower[k, d, i] = div_down(num, x_hi[i]) if num > 0 else 0.0
        values[m] = {metric: per[metric].mean(axis=1) for metric in metrics}
        values[m]["rel_l2_lower"] = lower
        values[m]["relative_norm"] = relnorm
        with np.errstate(invalid="ignore", over="ignore"):
            mean[m] = {metric: values[m][metric].mean(axis=1) for metric in metrics}
            std[m] = {metric: (values[m][metric].std(axis=1, ddof=1) if B > 1 else np.zeros(K))
                      for metric in metrics}
    settings = {**dict(w["settings"]), "operator": record_text(w["operator"])}
    kw = dict(levels=levels, methods=methods, metrics=metrics, kind=kind, mean=mean, std=std, descriptions=desc,
              settings=settings)
    wit = Witness("stability_curve", dict(w))
    span = f"{len(levels)} levels ({fmt(100 * levels[0], 3)}–{fmt(100 * levels[-1], 3)} %)"
    head = f"{kind} robustness curve of {len(methods)} method(s) over {span} on {B} image(s)"
    bad = {m: s for m, s in statuses.items() if s}
    if over_budget:
        return StabilityCurve("stability_curve", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                              f"{head}: not certified: perturbations exceed their level ({over_budget[0]}, "
                              f"{len(over_budget)} in all)", values, wit, _THEOREM, **kw)
    last = K - 1
    summary = "; ".join(f"{m} {fmt(mean[m][metrics[0]][last], 4)} ± {fmt(std[m][metrics[0]][last], 3)}"
                        for m in methods)
    at = f"at {fmt(100 * levels[last], 3)} % the mean {_LABELS[metrics[0]]} is {summary}"
    if bad:
        m0 = next(iter(bad))
        return StabilityCurve("stability_curve", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                              f"{head}: {at}; not certified: {m0}: {bad[m0]}", values, wit, _THEOREM, **kw)
    if kind == "adversarial":
        worst = "; ".join(f"{m} ≥ {fmt(np.min(values[m]['rel_l2_lower'][last]), 4)}" for m in methods)
        msg = (f"{head}: {at}; every adversarial point is a certified-float64 lower bound on the worst-case "
               f"relative ℓ2 error at its level (at {fmt(100 * levels[last], 3)} %, smallest over the images: "
               f"{worst})")
        return StabilityCurve("stability_curve", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64, msg, values, wit,
                              _THEOREM, **kw)
    D = int(np.asarray(w["runs"][methods[0]]["e"]).shape[1])
    msg = (f"{head}: {at}; each image's value is the mean over {D} Gaussian draws (an estimate of the expected "
           "error; every draw re-evaluated in float64)")
    return StabilityCurve("stability_curve", Outcome.HOLDS, Rigor.NUMERICAL, msg, values, wit, _THEOREM, **kw)


# -- the verifier ----------------------------------------------------------------------------

_WITNESS_KEYS = {"x", "y0", "levels", "kind", "metrics", "methods", "operator", "settings", "runs"}
def verify_stability_curve(result: CheckResult, *, model: Any = None) -> CheckResult:
    """Re-check a saved :class:`StabilityCurve` from its witness, re-running the networks when given.

    Always: validates the witness (shapes, dtypes, ranges, the options of each ``Ψ``, noise
    estimates not below the outputs' own rounding), re-derives ``y₀ = Ax`` for the stored operator
    (ball arithmetic) and ``y₁ = y₀ + e``, every perturbation norm against its level
    (``‖e‖ ≤ δ‖Ax‖`` rigorously), then every metric (PSNR and SSIM with scikit-image, which must be
    installed), certified lower bound, mean, std, the outcome, rigor and message from the stored
    outputs, and compares them exactly with the file.

    With ``model``, every certified method's ``Ψ`` is re-evaluated twice in float64 at each stored
    input ``y₀ + e`` (rebuilt from the stored adapter options; the sparse-regularisation baseline
    is rebuilt from the stored settings and operator, no model needed): each stored output must lie
    within the noise allowance of the model's, the noise estimates must agree within a factor
    ``NOISE_ALLOWANCE``, each saved lower bound must hold for the model's output, and every
    per-image metric, mean and std re-derived from the model's outputs must match the saved one
    (bit for bit when the re-run reproduces the stored outputs, else within what the allowed output
    difference can change it by; SSIM within 1e-6). Without ``model`` (or for a method it does not
    name) the network evaluations are taken from the file: the verification says so and is
    numerical.

    Parameters
    ----------
    result : CheckResult
        A loaded ``stability_curve`` result.
    model : torch.nn.Module, callable, ReconstructionMap or mapping, optional
        The networks: a mapping method name → model, or one model when the curve has one method
        besides the baseline.

    Returns
    -------
    CheckResult
        ``verify:stability_curve`` (``values["psi_reevaluated"]``: the methods re-run).

    Raises
    ------
    InvalidArgument
        ``model`` names a method the curve does not have, or is not callable.

    Theorem: stability test (docs/theory.md §4).
    Rigor: the saved result's with every network re-run (never above it); numerical otherwise.
    """
    result_arg(result)
    name = "verify:stability_curve"
    w = result.witness
    if not isinstance(result, StabilityCurve) or w is None or w.kind != "stability_curve":
        return CheckResult(name, Outcome.VIOLATED, Rigor.NUMERICAL,
                           "the saved result has no 'stability_curve' witness: none of its claims can be re-derived",
                           {"problems": ("witness: missing or not of kind 'stability_curve'",), "not_rechecked": ""})
    d = w.data
    chk = WitnessCheck(d)
    none_run = {"psi_reevaluated": ()}
    if set(d) != _WITNESS_KEYS:
        chk.problems.append(f"witness: fields {sorted(d)}, expected {sorted(_WITNESS_KEYS)}")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed", values=none_run)
    rec = chk.operator()
    kind = chk.text("kind", ("adversarial", "gaussian"))
    xb = chk.array("x")
    y0 = chk.array("y0")
    lev = chk.array("levels", kinds="f", ndim=1)
    if lev is not None:
        try:
            _levels_arg(lev)
        except InvalidArgument as exc:
            chk.bad("levels", str(exc))
            lev = None
    try:
        _metrics_arg(d["metrics"]) if isinstance(d["metrics"], tuple) else chk.bad("metrics", "expected a tuple")
    except InvalidArgument as exc:
        chk.bad("metrics", str(exc))
    methods = d["methods"]
    runs = d["runs"]
    if not isinstance(methods, tuple) or not methods or not all(isinstance(m, str) for m in methods) \
            or len(set(methods)) != len(methods):
        chk.bad("methods", "expected a non-empty tuple of distinct names")
        methods = None
    elif not isinstance(runs, dict) or set(runs) != set(methods):
        chk.bad("runs", "expected one run per method")
        methods = None
    settings_problems(chk, d["settings"], _BASELINES)
    models = models_arg(model, methods, d["settings"]) if methods is not None and not chk.problems else {}
    if xb is not None and (xb.ndim < 2 or xb.shape[0] < 1):
        chk.bad("x", "expected a batch of at least one image")
        xb = None
    if xb is not None and y0 is not None and y0.shape[0] != xb.shape[0]:
        chk.bad("y0", f"{y0.shape[0]} measurement vectors for {xb.shape[0]} images")
        y0 = None
    if xb is not None and any(norm2(xb[i]) == 0 for i in range(xb.shape[0])):
        chk.bad("x", "an image is zero")
    if y0 is not None and any(norm2(y0[i]) == 0 for i in range(y0.shape[0])):
        chk.bad("y0", "a measurement vector is zero")
    if rec is not None and xb is not None and y0 is not None:
        core = tuple(rec["mask"].shape if "mask" in rec else rec["in_shape"])
        if xb.shape[1:] != core:
            chk.bad("x", f"shape {xb.shape} does not match the operator")
        else:
            chk.measurements(rec, xb, list(y0), ["y0"] * xb.shape[0])
    if not chk.problems and methods is not None and lev is not None and kind is not None and xb is not None \
            and y0 is not None:
        st = d["settings"]
        for m in methods:
            run_problems(chk, m, runs[m], lev.size, xb.shape[0], xb, y0, kind, st["restarts"], st["certify"])
    if "ssim" in (d["metrics"] if isinstance(d["metrics"], tuple) else ()) and xb is not None \
            and min(xb.shape[1:]) < 7:
        chk.bad("metrics", "SSIM needs images with every side ≥ 7")
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed", values=none_run)
    assert xb is not None and y0 is not None and lev is not None and methods is not None and rec is not None
    problems = over_budget_problems(d, xb, y0, lev) if result.outcome is Outcome.HOLDS else []
    problems += claim_mismatches(result, _assemble_curve(d))
    certified = [m for m in methods if runs[m]["status"] == ""]
    rerun: list[str] = []
    exact = True
    if models and not problems:
        for m in certified:
            if m not in models:
                continue
            p, same = rerun_method(result, d, m, models[m], rec, xb, y0, metric_values=_metric_values,
                                   assemble=_assemble_curve, baseline=_baseline_map)
            problems += p
            rerun.append(m)
            exact = exact and same
    not_re = []
    left = [m for m in certified if m not in rerun]
    if left:
        not_re.append(f"the network evaluations of {', '.join(left)}: Ψ's outputs and noise estimates are taken "
                      "from the file, not re-checked (pass model= to re-run the networks; the baseline is re-run "
                      "from the stored settings whenever model= is given); this verification is numerical")
    unchecked = [m for m in methods if m not in certified]
    if unchecked:
        not_re.append(f"the outputs of {', '.join(unchecked)} (not evaluated in float64: numerical, not re-run)")
    not_re.append("the search itself (a heuristic: larger errors may exist)")
    if rec.get("kind") == "opaque":
        not_re.append("that y0 = A·x (the operator is opaque: not stored)")
    how = ""
    if rerun:
        how = (f"; Ψ of {', '.join(rerun)} re-run twice in float64 at every stored input: outputs within the noise "
               "allowance, every lower bound, metric, mean and std re-derived from the re-run outputs"
               + (" (bit for bit)" if exact else " (within the allowed output difference; SSIM within 1e-6)"))
    return verification(result, problems,
                        rederived="the measurements, every perturbation norm against its level, metric, certified "
                                  "lower bound, mean and std, the outcome, rigor and message" + how,
                        not_rechecked="; ".join(not_re), rigor=Rigor.NUMERICAL if left else None,
                        values={"psi_reevaluated": tuple(rerun)})


@register_verifier("stability_curve")
def _verify_saved_curve(result: CheckResult, model: Any = None) -> CheckResult:
    """``theorycheck verify`` of a saved curve (:func:`verify_stability_curve`)."""
    return verify_stability_curve(result, model=model)
