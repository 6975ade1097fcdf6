"""False structures: a classifier that learns a faint pattern correlated with the label instead of the shape.

Thesing, Antun and Hansen ("What do AI algorithms actually learn? On false
structures in deep learning", 2019; seeds 001/003): trained classifiers
succeed *and* are unstable because they learn a simpler structure that
correlates with the label on the training data (a *false structure*) instead
of the structure humans use; the false structure is unstable.

:func:`build_false_structure_data` makes seeded images whose label is a
shape (the *true structure*: a square, a plus, a ring or an x at a random
position and size, in Gaussian noise) to which, in the training set, a faint
class pattern (the *false structure*: a ``±a`` checkerboard on a band of
rows, or one faint pixel) is added that agrees with the label with
probability ``correlation`` (else a uniformly random class's pattern: at
``correlation = 0`` the pattern carries no information).

:func:`check_false_structure` asks a trained model which structure it
follows, on held-out shapes:

* ``with``: the shape with its own class's pattern (the training situation);
* ``removed``: the shape alone;
* ``swapped``: the shape with the *next* class's pattern (``(y + 1) mod C``);
* ``alone``: the pattern alone, on noise without a shape.

A model that follows the shape keeps its accuracy when the pattern is
removed or swapped and is at chance on the pattern alone; a model that
follows the pattern is at chance without it, follows the swapped pattern
against the shape and classifies the pattern alone. The verdict uses the
Clopper–Pearson intervals of the swapped images: ``"false"`` when the
lower end of the fraction following the pattern exceeds 1/2, ``"true"``
when the lower end of the fraction following the shape does, else
``"undecided"``. Stability at the scale of the pattern: DeepFool (certified
flips, :func:`search_minimal_perturbation`) on the first ``n_search``
``with`` images, compared with ``‖p_y − p_{y+1}‖`` (the swap, itself a
perturbation that fools a model following the pattern).

Theorem: docs/theory.md §5 (the false-structures thesis of seeds 001/003).
Rigor: numerical (accuracies from float64 CPU evaluations in batches, with
statistical Clopper–Pearson intervals); the minimal-perturbation flips are
certified-float64.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Mapping, Sequence

import numpy as np

from theorycheck.classification._common import SKIPPED
from theorycheck.classification.search import search_minimal_perturbation
from theorycheck.classification.universal import clopper_pearson
from theorycheck.classification.witness import ClassifierWitness, assemble, verify_classifier_witness
from theorycheck.errors import InvalidArgument
from theorycheck.numerics.rounding import norm2
from theorycheck.numerics.validation import (
    finite_real_arg,
    integer_arg,
    probability_arg,
    real_arg,
    refuse_size,
    seed_arg,
)
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

__all__ = ["SHAPES", "FALSE_STRUCTURES", "VARIANTS", "FalseStructureData", "FalseStructureResult",
           "build_false_structure_data", "check_false_structure", "verify_false_structure", "variant_inputs",
           "assemble_false_structure"]

#: The shapes of the true structure, one per class (in this order).
SHAPES: tuple[str, ...] = ("square", "plus", "ring", "x")
#: The faint class patterns of the false structure.
FALSE_STRUCTURES: tuple[str, ...] = ("checkerboard", "pixel")
#: The test images :func:`check_false_structure` classifies.
VARIANTS: tuple[str, ...] = ("with", "removed", "swapped", "alone")

CHECK = "false_structure"
THEOREM = "docs/theory.md §5 (false structures, Thesing–Antun–Hansen 2019; seeds 001, 003)"
_MAX_ENTRIES = 10 ** 8


# --------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, eq=False)
class FalseStructureData:
    """Seeded shape images with a faint class pattern (:func:`build_false_structure_data`).

    Attributes
    ----------
    X_train : numpy.ndarray
        ``(n_train, 1, s, s)``: shape + noise + the pattern of class ``pattern_train``.
    y_train, pattern_train : numpy.ndarray
        Labels (the shapes) and the class of each training image's pattern (-1: none).
    X_test_base, background_test : numpy.ndarray
        ``(n_test, 1, s, s)``: held-out shapes in noise without a pattern, and noise alone.
    y_test : numpy.ndarray
        Their labels.
    patterns : numpy.ndarray
        ``(C, 1, s, s)``: class ``c``'s pattern (zeros without a false structure).
    true_structure : tuple of str
        The shape of each class.
    false_structure : str or None
    correlation, amplitude, noise : float

    Theorem: none (data for docs/theory.md §5's false-structures experiment).
    Rigor: not applicable (data).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    pattern_train: np.ndarray
    X_test_base: np.ndarray
    y_test: np.ndarray
    background_test: np.ndarray
    patterns: np.ndarray
    true_structure: tuple[str, ...]
    false_structure: str | None
    correlation: float
    amplitude: float
    noise: float

    @property
    def n_classes(self) -> int:
        return int(self.patterns.shape[0])

    @property
    def image_shape(self) -> tuple[int, int]:
        return int(self.patterns.shape[-2]), int(self.patterns.shape[-1])

    @property
    def X_test(self) -> np.ndarray:
        """The held-out shapes with their own class's pattern (the ``with`` variant)."""
        return self.variant("with")

    def variant(self, name: str) -> np.ndarray:
        """The held-out images of a variant (see :data:`VARIANTS`), float64."""
        if name not in VARIANTS:
            raise InvalidArgument(f"variant must be one of {VARIANTS}, got {name!r}")
        return variant_inputs(self.X_test_base, self.background_test, self.patterns, self.y_test)[name]

    def swap_norms(self) -> np.ndarray:
        """``‖p_y − p_{(y+1) mod C}‖`` for each held-out image."""
        return _swap_norms(self.patterns, self.y_test)

    def as_dict(self) -> dict[str, Any]:
        """``X_train, y_train, X_test`` (the ``with`` variant), ``y_test``, ``n_classes``, ``image_shape``.

        The layout of :func:`theorycheck.nets.classifiers.build_classifier`.
        """
        return {"X_train": self.X_train.copy(), "y_train": self.y_train.copy(), "X_test": self.X_test,
                "y_test": self.y_test.copy(), "n_classes": self.n_classes, "image_shape": self.image_shape}


def variant_inputs(base: np.ndarray, background: np.ndarray, patterns: np.ndarray,
                   y: np.ndarray) -> dict[str, np.ndarray]:
    """The four test variants from the pattern-free images, the noise images, the patterns and the labels.

    ``with = base + p_y``, ``removed = base``, ``swapped = base + p_{(y+1) mod C}``,
    ``alone = background + p_y`` (float64, computed the same way by the check and its verifier).

    Theorem: none (the inputs of the false-structures test).
    Rigor: exact definition (deterministic float64 sums).
    """
    C = patterns.shape[0]
    return {"with": base + patterns[y], "removed": base.copy(), "swapped": base + patterns[(y + 1) % C],
            "alone": background + patterns[y]}


def _swap_norms(patterns: np.ndarray, y: np.ndarray) -> np.ndarray:
    C = patterns.shape[0]
    per_class = np.array([norm2(patterns[c] - patterns[(c + 1) % C]) for c in range(C)])
    return per_class[y]


def _shape_mask(kind: str, side: int, size: int, r0: int, c0: int) -> np.ndarray:
    """A 0/1 mask of one shape in a ``size × size`` box at ``(r0, c0)``."""
    m = np.zeros((side, side))
    i = np.arange(size)
    if kind == "square":
        m[r0, c0:c0 + size] = m[r0 + size - 1, c0:c0 + size] = 1.0
        m[r0:r0 + size, c0] = m[r0:r0 + size, c0 + size - 1] = 1.0
    elif kind == "plus":
        mid = size // 2
        m[r0 + mid, c0:c0 + size] = m[r0:r0 + size, c0 + mid] = 1.0
    elif kind == "x":
        m[r0 + i, c0 + i] = m[r0 + i, c0 + size - 1 - i] = 1.0
    else:  # ring
        rr, cc = np.mgrid[0:side, 0:side]
        R = (size - 1) / 2.0
        m[np.abs(np.hypot(rr - r0 - R, cc - c0 - R) - R) < 0.5] = 1.0
    return m


def _patterns(kind: str | None, C: int, side: int, amplitude: float) -> np.ndarray:
    P = np.zeros((C, 1, side, side))
    if kind == "checkerboard":
        ii, jj = np.mgrid[0:side, 0:side]
        chk = np.where((ii + jj) % 2 == 0, amplitude, -amplitude)
        for c in range(C):
            band = (ii >= c * side // C) & (ii < (c + 1) * side // C)
            P[c, 0] = np.where(band, chk, 0.0)
    elif kind == "pixel":
        for c in range(C):
            P[c, 0, 1, 1 + 2 * c] = amplitude
    return P


def _shapes(true_structure: Any, n_classes: Any) -> tuple[str, ...]:
    if isinstance(true_structure, str):
        if true_structure != "shapes":
            raise InvalidArgument(f"true_structure must be 'shapes' or a sequence of shape names from {SHAPES}, "
                                  f"got {true_structure!r}")
        C = 2 if n_classes is None else integer_arg(n_classes, "n_classes", minimum=2, maximum=len(SHAPES))
        return SHAPES[:C]
    if not isinstance(true_structure, Sequence) or not all(isinstance(s, str) for s in true_structure):
        raise InvalidArgument(f"true_structure must be 'shapes' or a sequence of shape names, got {true_structure!r}")
    names = tuple(true_structure)
    if len(names) < 2 or len(set(names)) != len(names) or not set(names) <= set(SHAPES):
        raise InvalidArgument(f"true_structure must name at least 2 distinct shapes from {SHAPES}, got {names}")
    if n_classes is not None and integer_arg(n_classes, "n_classes", minimum=2) != len(names):
        raise InvalidArgument(f"n_classes = {n_classes} but true_structure names {len(names)} shapes")
    return names


def _draw_shapes(rng: np.random.Generator, shapes: tuple[str, ...], y: np.ndarray, side: int) -> np.ndarray:
    out = np.zeros((y.size, 1, side, side))
    lo, hi = max(3, side // 3), min(side, side // 2 + 2)
    for i, c in enumerate(y.tolist()):
        size = int(rng.integers(lo, hi + 1))
        r0, c0 = (int(t) for t in rng.integers(0, side - size + 1, 2))
        out[i, 0] = _shape_mask(shapes[c], side, size, r0, c0) * rng.uniform(0.6, 1.0)
    return out


def build_false_structure_data(
    n: int,
    *,
    true_structure: str | Sequence[str] = "shapes",
    false_structure: str | None = "checkerboard",
    correlation: float = 1.0,
    amplitude: float = 0.05,
    noise: float = 0.1,
    side: int = 16,
    n_classes: int | None = None,
    test_fraction: float = 0.25,
    seed: Any = 0,
) -> FalseStructureData:
    """Seeded images labelled by a shape, with a faint class pattern correlated with the label in training.

    Parameters
    ----------
    n : int
        Images in all (train and test).
    true_structure : "shapes" or sequence of str
        The shape of each class (``"shapes"``: the first ``n_classes`` of :data:`SHAPES`).
    false_structure : {"checkerboard", "pixel"} or None
        Class ``c``'s pattern: a ``±amplitude`` checkerboard on the ``c``-th
        of ``C`` horizontal bands, or one pixel ``amplitude`` at row 1,
        column ``1 + 2c``; None: no pattern (a plain shape task).
    correlation : float
        In ``[0, 1]``: each training image's pattern is its own class's with
        this probability, else a uniformly random class's.
    amplitude, noise : float
        Pattern amplitude (> 0) and the standard deviation of the Gaussian
        pixel noise (≥ 0); shapes have intensity in ``[0.6, 1]``.
    side : int
        Image side (8 to 128).
    n_classes : int, optional
        2 to 4 (with ``"shapes"``; default 2).
    test_fraction : float
        Share of held-out images (in (0, 1)).
    seed : int or numpy.random.Generator
        Everything random; same seed, same data (None is refused).

    Returns
    -------
    FalseStructureData

    Examples
    --------
    >>> d = build_false_structure_data(40, seed=0)
    >>> d.X_train.shape, d.n_classes, bool((d.pattern_train == d.y_train).all())
    ((30, 1, 16, 16), 2, True)

    Theorem: none (data for docs/theory.md §5's false structures).
    Rigor: not applicable (data).
    """
    shapes = _shapes(true_structure, n_classes)
    C = len(shapes)
    n = integer_arg(n, "n", minimum=2, maximum=10 ** 7)
    side = integer_arg(side, "side", minimum=8, maximum=128)
    if false_structure is not None and (not isinstance(false_structure, str)
                                        or false_structure not in FALSE_STRUCTURES):
        raise InvalidArgument(f"false_structure must be one of {FALSE_STRUCTURES} or None, got {false_structure!r}")
    if false_structure == "pixel" and 2 * C > side:
        raise InvalidArgument(f"the pixel patterns of {C} classes need side >= {2 * C}")
    correlation = finite_real_arg(correlation, "correlation")
    if not 0.0 <= correlation <= 1.0:
        raise InvalidArgument(f"correlation must lie in [0, 1], got {correlation!r}")
    amplitude = real_arg(amplitude, "amplitude")
    noise = real_arg(noise, "noise", allow_zero=True)
    if amplitude > 1e6 or noise > 1e6:
        raise InvalidArgument(f"amplitude and noise must be at most 1e6, got {amplitude!r}, {noise!r}")
    test_fraction = probability_arg(test_fraction, "test_fraction")
    refuse_size(2.0 * n * side * side, _MAX_ENTRIES, f"{n} images of side {side}", "use fewer or smaller images")
    if seed is None:
        raise InvalidArgument("seed must be an int or a numpy.random.Generator (the data must be reproducible), "
                              "got None")
    rng = seed_arg(seed)
    n_test = min(n - 1, max(1, int(round(test_fraction * n))))
    y = rng.integers(0, C, size=n).astype(np.int64)
    base = _draw_shapes(rng, shapes, y, side) + noise * rng.standard_normal((n, 1, side, side))
    background = noise * rng.standard_normal((n_test, 1, side, side))
    P = _patterns(false_structure, C, side, amplitude)
    tr = slice(n_test, n)
    y_tr = y[tr]
    pc = np.where(rng.uniform(size=y_tr.size) < correlation, y_tr, rng.integers(0, C, size=y_tr.size))
    if false_structure is None:
        pc = np.full(y_tr.size, -1, dtype=np.int64)
    X_tr = base[tr] + (P[pc] if false_structure is not None else 0.0)
    return FalseStructureData(X_tr, y_tr.copy(), pc.astype(np.int64), base[:n_test].copy(), y[:n_test].copy(),
                              background, P, shapes, false_structure, correlation, amplitude, noise)


# --------------------------------------------------------------------------------------
# the check
# --------------------------------------------------------------------------------------

@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class FalseStructureResult(CheckResult):
    """Which structure a classifier follows (:func:`check_false_structure`).

    ``outcome``: ``holds`` when the model follows the true structure (the
    shape, verdict ``"true"``), ``violated`` when it follows the false one
    (the pattern, verdict ``"false"``), else ``inconclusive``. ``search`` is
    the DeepFool :class:`ClassifierWitness` on the first ``with`` images.
    ``values`` hold, per variant, rates with Clopper–Pearson intervals, the
    pattern and swap norms and the minimal perturbation norms.

    Theorem: docs/theory.md §5 (false structures).
    Rigor: numerical (statistical intervals on batched float64 evaluations); the flips of
    ``search`` are certified-float64.
    """

    search: ClassifierWitness | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.search is not None and not isinstance(self.search, ClassifierWitness):
            raise InvalidArgument(f"search must be a ClassifierWitness, got {type(self.search).__name__}")

    @property
    def verdict(self) -> str:
        return str(self.values["verdict"])


def _predictions(model: Any, inputs: Mapping[str, np.ndarray], C: int, batch_size: int | None) -> np.ndarray:
    """``(4, n)`` labels of the variants from the model's float64 CPU copy, in batches (-1 where not finite)."""
    from theorycheck.classification._evaluation import ModelSet, evaluate_batch

    out = []
    with ModelSet(model, "cpu") as ms, np.errstate(all="ignore"):
        for name in VARIANTS:
            L = evaluate_batch(ms.f64, inputs[name], batch_size)
            if L.shape[1] != C:
                raise InvalidArgument(f"the model returns {L.shape[1]} logits per image, the data have {C} classes")
            fin = np.isfinite(L).all(axis=1)
            out.append(np.where(fin, np.argmax(np.where(fin[:, None], L, 0.0), axis=1), -1))
    return np.stack(out).astype(np.int64)


def check_false_structure(model: Any, data: FalseStructureData, *, n_search: int = 64, confidence: float = 0.95,
                          device: Any = None, overshoot: float = 0.02, max_iter: int = 50,
                          batch_size: int | None = None) -> FalseStructureResult:
    """Does ``model`` follow the shape (true structure) or the faint pattern (false structure)?

    Parameters
    ----------
    model : torch.nn.Module
        A classifier of ``data``'s images (``C`` logits); never modified.
    data : FalseStructureData
        From :func:`build_false_structure_data` with a false structure; its held-out images are used.
    n_search : int
        DeepFool searches on the first ``n_search`` ``with`` images (at least 1).
    confidence : float
        Level of the Clopper–Pearson intervals.
    device, overshoot, max_iter, batch_size :
        Passed to :func:`search_minimal_perturbation`.

    Returns
    -------
    FalseStructureResult
        The verdict (``"true"``, ``"false"`` or ``"undecided"``), the rates
        of each variant with intervals, the pattern's norms and the certified
        minimal perturbations compared with ``‖p_y − p_{y+1}‖``.

    Theorem: docs/theory.md §5 (false structures: the model succeeds through a
    structure correlated with the label, and is unstable at its scale).
    Rigor: numerical (accuracies of batched float64 evaluations, statistical
    intervals); DeepFool flips certified-float64.
    """
    t0 = time.perf_counter()
    if not isinstance(data, FalseStructureData):
        raise InvalidArgument(f"data must be a FalseStructureData (build_false_structure_data), got "
                              f"{type(data).__name__}")
    if data.false_structure is None:
        raise InvalidArgument("data has no false structure (false_structure=None): build it with a pattern")
    n = data.y_test.size
    m = min(integer_arg(n_search, "n_search", minimum=1, maximum=10 ** 6), n)
    confidence = probability_arg(confidence, "confidence")
    if batch_size is not None:
        batch_size = integer_arg(batch_size, "batch_size")
    inputs = variant_inputs(data.X_test_base, data.background_test, data.patterns, data.y_test)
    preds = _predictions(model, inputs, data.n_classes, batch_size)
    search = search_minimal_perturbation(model, inputs["with"][:m], labels=data.y_test[:m], method="deepfool",
                                         device=device, overshoot=overshoot, max_iter=max_iter,
                                         batch_size=batch_size, batched=True)
    wdata = {"labels": data.y_test.copy(), "patterns": data.patterns.copy(), "base": data.X_test_base.copy(),
             "background": data.background_test.copy(), "predictions": preds, "confidence": confidence}
    return assemble_false_structure(wdata, search, time.perf_counter() - t0)


def _float_array(data: Mapping[str, Any], key: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    a = data.get(key)
    if not isinstance(a, np.ndarray) or a.dtype != np.float64 or a.ndim < 2:
        raise InvalidArgument(f"witness[{key!r}]: expected a float64 array (batch first)")
    if shape is not None and a.shape != shape:
        raise InvalidArgument(f"witness[{key!r}]: expected shape {shape}, got {a.shape}")
    if not np.isfinite(a).all():
        raise InvalidArgument(f"witness[{key!r}]: holds NaN or inf")
    return a


def _validate(data: Mapping[str, Any]) -> dict[str, Any]:
    """The stored test images, patterns, labels and predictions, validated (errors name the field)."""
    if not isinstance(data, Mapping):
        raise InvalidArgument("witness: expected the stored images, patterns and predictions")
    known = {"labels", "patterns", "base", "background", "predictions", "confidence"}
    if set(data) != known:
        raise InvalidArgument(f"witness: expected the fields {sorted(known)}, got {sorted(data)}")
    P = _float_array(data, "patterns")
    C = P.shape[0]
    if C < 2:
        raise InvalidArgument("witness['patterns']: at least 2 classes")
    y = data["labels"]
    if not isinstance(y, np.ndarray) or y.dtype != np.int64 or y.ndim != 1 or y.size == 0:
        raise InvalidArgument("witness['labels']: expected a non-empty 1-D int64 array")
    if ((y < 0) | (y >= C)).any():
        raise InvalidArgument(f"witness['labels']: labels must lie in 0..{C - 1}")
    n = y.size
    base = _float_array(data, "base", (n,) + P.shape[1:])
    bg = _float_array(data, "background", (n,) + P.shape[1:])
    pr = data["predictions"]
    if not isinstance(pr, np.ndarray) or pr.dtype != np.int64 or pr.shape != (len(VARIANTS), n):
        raise InvalidArgument(f"witness['predictions']: expected an int64 array of shape {(len(VARIANTS), n)}")
    if ((pr < -1) | (pr >= C)).any():
        raise InvalidArgument(f"witness['predictions']: labels must lie in -1..{C - 1} (-1: not finite)")
    conf = probability_arg(data["confidence"], "witness['confidence']")
    return {"patterns": P, "C": C, "labels": y, "n": n, "base": base, "background": bg, "predictions": pr,
            "confidence": conf}


def _rate(name: str, hits: np.ndarray, conf: float) -> dict[str, Any]:
    k, n = int(hits.sum()), int(hits.size)
    return {f"{name}_count": k, name: k / n, f"{name}_interval": clopper_pearson(k, n, conf)}


def _mean_norm(X: np.ndarray) -> float:
    return math.fsum(norm2(X[i]) for i in range(X.shape[0])) / X.shape[0]


def _search_values(search: Any, inputs: Mapping[str, np.ndarray], y: np.ndarray, swap: np.ndarray,
                   conf: float) -> tuple[ClassifierWitness, dict[str, Any]]:
    """Re-derive the DeepFool witness on the first ``with`` images; its norms against the swap norms."""
    if not isinstance(search, ClassifierWitness) or search.witness is None or not search.batched:
        raise InvalidArgument("search: not a batched ClassifierWitness with stored evaluations")
    D = search.witness.data
    try:
        w = assemble(D, True, search.values.get("elapsed_s", 0.0))
    except InvalidArgument as exc:
        raise InvalidArgument(f"search: {exc}") from None
    m = D["x"].shape[0]
    if m > y.size or D["method"] != "deepfool" or "labels" not in D:
        raise InvalidArgument("search: a DeepFool search with labels on at most every held-out image")
    if D["x"].shape[1:] != inputs["with"].shape[1:] or not np.array_equal(D["x"], inputs["with"][:m]):
        raise InvalidArgument("search: witness['x'] is not the first images of the 'with' variant")
    if not np.array_equal(D["labels"], y[:m]):
        raise InvalidArgument("search: witness['labels'] are not the held-out labels")
    success = np.asarray(w.values["success"], dtype=bool)
    searched = ~np.isin(np.asarray(w.values["status"]), SKIPPED)
    rn = np.asarray(w.values["norm_r"], dtype=np.float64)
    s = swap[:m]
    within = success & (rn <= s)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rn[success] / s[success]
    k = int(within.sum())
    n_s = int(searched.sum())
    nan = float("nan")
    vals = {"n_searched": n_s, "n_flipped": int(success.sum()),
            "median_norm_r": float(np.median(rn[success])) if success.any() else nan,
            "median_r_over_swap": float(np.median(ratio)) if success.any() else nan,
            "n_within_swap": k, "within_swap_rate": k / n_s if n_s else nan,
            "within_swap_rate_interval": clopper_pearson(k, n_s, conf)}
    return w, vals


def assemble_false_structure(data: Mapping[str, Any], search: Any, elapsed: Any) -> FalseStructureResult:
    """The whole result from the stored images, patterns, predictions and DeepFool witness (deterministic).

    Theorem: docs/theory.md §5 (false structures).
    Rigor: numerical (re-derived bit for bit; the DeepFool flips certified-float64).
    """
    V = _validate(data)
    y, C, conf, pr = V["labels"], V["C"], V["confidence"], V["predictions"]
    inputs = variant_inputs(V["base"], V["background"], V["patterns"], y)
    p = {name: pr[i] for i, name in enumerate(VARIANTS)}
    swap = _swap_norms(V["patterns"], y)
    hist = np.stack([np.bincount(pr[i] + 1, minlength=C + 1) for i in range(len(VARIANTS))])
    values: dict[str, Any] = {
        "n_test": V["n"], "n_classes": C,
        **_rate("accuracy_with", p["with"] == y, conf),
        **_rate("accuracy_removed", p["removed"] == y, conf),
        **_rate("accuracy_swapped", p["swapped"] == y, conf),
        **_rate("follows_pattern_swapped", p["swapped"] == (y + 1) % C, conf),
        **_rate("follows_pattern_alone", p["alone"] == y, conf),
        # per variant: how many images were given each class (last column: non-finite output)
        "predicted_counts": np.concatenate([hist[:, 1:], hist[:, :1]], axis=1).astype(np.int64),
        **{f"mean_norm_{name}": _mean_norm(inputs[name]) for name in VARIANTS},
        "pattern_norm": math.fsum(norm2(V["patterns"][c]) for c in range(C)) / C,
        "swap_norm": float(np.median(swap)),
        "confidence": conf, "elapsed_s": elapsed,
    }
    w, sv = _search_values(search, inputs, y, swap, conf)
    values.update(sv)
    if values["follows_pattern_swapped_interval"][0] > 0.5:
        verdict, outcome = "false", Outcome.VIOLATED
    elif values["accuracy_swapped_interval"][0] > 0.5:
        verdict, outcome = "true", Outcome.HOLDS
    else:
        verdict, outcome = "undecided", Outcome.INCONCLUSIVE
    values["verdict"] = verdict
    follows = {"false": "the false structure (the pattern)", "true": "the true structure (the shape)",
               "undecided": "neither structure decisively"}[verdict]

    def pct(key: str) -> str:
        lo, hi = values[f"{key}_interval"]
        return f"{values[key]:.1%} [{lo:.3f}, {hi:.3f}]"

    msg = (f"the model follows {follows}: on {V['n']} held-out images, accuracy with the pattern "
           f"{pct('accuracy_with')}, pattern removed {pct('accuracy_removed')}, pattern swapped "
           f"{pct('accuracy_swapped')} (follows the swapped pattern {pct('follows_pattern_swapped')}), "
           f"pattern alone classified as its class {pct('follows_pattern_alone')}; "
           f"‖p_y − p_(y+1)‖ = {values['swap_norm']:.4g}; DeepFool: {sv['n_flipped']} of {sv['n_searched']} "
           f"certified flips, median ‖r‖ = {sv['median_norm_r']:.4g} ({sv['median_r_over_swap']:.3g} × the swap "
           f"norm), within the swap norm {sv['n_within_swap']} of {sv['n_searched']}; {conf:.0%} Clopper–Pearson "
           f"intervals")
    return FalseStructureResult(CHECK, outcome, Rigor.NUMERICAL, msg, values, Witness(CHECK, dict(data)), THEOREM,
                                search=w)


def _model_problems(result: FalseStructureResult, model: Any) -> list[str]:
    V = _validate(result.witness.data if result.witness is not None else {})
    inputs = variant_inputs(V["base"], V["background"], V["patterns"], V["labels"])
    try:
        again = _predictions(model, inputs, V["C"], None)
    except InvalidArgument as exc:
        return [f"re-running the model: {exc}"]
    problems = []
    for i, name in enumerate(VARIANTS):
        bad = np.flatnonzero(again[i] != V["predictions"][i])
        if bad.size:
            problems.append(f"witness['predictions']: the re-run model labels {bad.size} '{name}' image(s) "
                            f"differently (first: image {int(bad[0])})")
    if result.search is not None:
        out = verify_classifier_witness(result.search, model=model)
        if not out.holds:
            problems.append(f"search: {out.message}")
    return problems


@register_verifier(CHECK)
def verify_false_structure(result: CheckResult, model: Any = None) -> CheckResult:
    """Re-derive every rate, interval, norm, the verdict and message of a saved :class:`FalseStructureResult`.

    With ``model`` the stored predictions and the DeepFool witness are re-run.

    Theorem: docs/theory.md §5 (false structures).
    Rigor: as the saved result's.
    """
    if not isinstance(result, FalseStructureResult) or result.witness is None:
        return verification(result, ["the saved result is not a FalseStructureResult with stored images"],
                            rederived="nothing")
    try:
        derived = assemble_false_structure(result.witness.data, result.search, result.values.get("elapsed_s", 0.0))
    except InvalidArgument as exc:
        return verification(result, [str(exc)], rederived="nothing")
    problems = claim_mismatches(result, derived)
    if model is not None and not problems:
        problems += _model_problems(result, model)
    what = ("the four test variants from the stored images and patterns, every count, rate and interval, the "
            "norms, the DeepFool witness, the verdict, outcome, rigor and message")
    if model is not None:
        return verification(result, problems, rederived=what + "; the model re-run on every variant")
    return verification(result, problems, rederived=what,
                        not_rechecked="the model's predictions stored in the witness; pass model= to re-run it")
