"""Small seeded classifiers, their training and data sets (docs/theory.md §5's experiments; torch).

Data come without downloads: scikit-learn's bundled 8 × 8 digits (1797
images, pixel values scaled to ``[0, 1]``) and a seeded synthetic Gaussian
mixture. The models (an MLP, a small CNN, a wider CNN and a residual CNN:
the four architectures of the transfer table of universal perturbations)
train in seconds on a CPU; :func:`build_classifier` trains any of them on
image data given as a dict (the digits, or the seeded shapes of
:func:`theorycheck.classification.build_false_structure_data`).

Randomness comes only from the ``seed`` argument: weights are initialised and
mini-batches shuffled with a local ``torch.Generator``, and the module
constructors run inside ``torch.random.fork_rng`` so the global torch random
state is left as it was. The same seed gives the same weights on the same CPU
set-up.

The names are also importable from :mod:`theorycheck.classification`, whose
checks (perturbation searches and their certification) use these models; this
module does not import the checks.

Theorem: none (produces the classifiers whose instability docs/theory.md §5 measures).
Rigor: not applicable (data and training).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from theorycheck.errors import InvalidArgument
from theorycheck.nets._arch_common import seed_value
from theorycheck.numerics.backend import to_numpy
from theorycheck.numerics.validation import choice_arg, integer_arg, probability_arg, real_arg, refuse_size

__all__ = ["MLP", "SmallCNN", "WideCNN", "ResidualCNN", "digits_data", "synthetic_data", "train_classifier",
           "build_digits_classifier", "build_classifier", "ARCHITECTURES", "IMAGE_ARCHITECTURES"]

#: Architectures accepted by :func:`build_digits_classifier`.
ARCHITECTURES: tuple[str, ...] = ("mlp", "cnn")

#: Architectures accepted by :func:`build_classifier` (image inputs ``(n, 1, s, s)``).
IMAGE_ARCHITECTURES: tuple[str, ...] = ("mlp", "cnn", "wide_cnn", "res_cnn")

#: limits that keep the data and training helpers bounded (refused with an estimate beyond)
_MAX_ENTRIES = 10 ** 8          # entries of a synthetic data set
_MAX_EPOCHS = 100_000
_MAX_WORK = 1e13                # epochs × samples × parameters of a training run
_MAX_PARAMS = 1e8               # weights of the small models


def _seed(seed: Any) -> int:
    """A torch seed: the int given (``[0, 2^63)``), one drawn from a numpy Generator, or fresh entropy."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**62))
    return int(seed_value(seed))  # type: ignore[arg-type]  # None was handled above


def _numeric(a: Any, name: str) -> np.ndarray:
    if a is None or isinstance(a, (str, bytes)):
        raise InvalidArgument(f"{name} must be an array of numbers, got {a!r}")
    try:
        arr = to_numpy(a)
    except Exception as exc:  # noqa: BLE001
        raise InvalidArgument(f"{name} could not be read as an array: {exc}") from exc
    if arr.dtype.kind not in "biuf":
        raise InvalidArgument(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr


def _split(X: np.ndarray, y: np.ndarray, test_fraction: float, seed: int) -> dict[str, Any]:
    test_fraction = probability_arg(test_fraction, "test_fraction")
    perm = np.random.default_rng(seed).permutation(len(y))
    n_test = max(1, int(round(test_fraction * len(y))))
    te, tr = perm[:n_test], perm[n_test:]
    return {"X_train": X[tr].copy(), "y_train": y[tr].copy(),
            "X_test": X[te].copy(), "y_test": y[te].copy()}


def digits_data(seed: int = 0, test_fraction: float = 0.25) -> dict[str, Any]:
    """scikit-learn's bundled 8 × 8 digits, scaled to ``[0, 1]``, split by a seeded permutation.

    Returns
    -------
    dict
        ``X_train, y_train, X_test, y_test`` (``X`` of shape ``(n, 64)``,
        float64; ``y`` int64 in ``0..9``), ``image_shape = (8, 8)`` and
        ``n_classes = 10``.

    Theorem: none (data for docs/theory.md §5).
    Rigor: not applicable (data).
    """
    from sklearn.datasets import load_digits

    test_fraction = probability_arg(test_fraction, "test_fraction")
    s = _seed(seed)
    d = load_digits()
    X = np.asarray(d.data, dtype=np.float64) / 16.0
    y = np.asarray(d.target, dtype=np.int64)
    out = _split(X, y, test_fraction, s)
    out.update(image_shape=(8, 8), n_classes=10)
    return out


def synthetic_data(n: int = 600, d: int = 20, n_classes: int = 3, *, seed: int = 0,
                   separation: float = 3.0, test_fraction: float = 0.25) -> dict[str, Any]:
    """A seeded Gaussian mixture: ``n_classes`` unit-variance clouds whose means lie ``separation`` apart on average.

    Returns
    -------
    dict
        ``X_train, y_train, X_test, y_test`` (``X`` of shape ``(·, d)``),
        ``image_shape = None`` and ``n_classes``.

    Theorem: none (data for docs/theory.md §5).
    Rigor: not applicable (data).
    """
    n = integer_arg(n, "n", minimum=2)
    d = integer_arg(d, "d", minimum=1)
    n_classes = integer_arg(n_classes, "n_classes", minimum=2)
    separation = real_arg(separation, "separation")
    if separation > 1e150:
        raise InvalidArgument(f"separation must be at most 1e150 (the data must stay finite), got {separation!r}")
    test_fraction = probability_arg(test_fraction, "test_fraction")
    refuse_size(float(n + n_classes) * d, _MAX_ENTRIES, f"a synthetic data set of {n} samples in dimension {d}",
                "use fewer samples or dimensions")
    s = _seed(seed)
    rng = np.random.default_rng(s)
    means = rng.standard_normal((n_classes, d)) * (float(separation) / math.sqrt(2.0))
    y = rng.integers(0, n_classes, size=n).astype(np.int64)
    X = means[y] + rng.standard_normal((n, d))
    out = _split(X, y, test_fraction, s + 1)
    out.update(image_shape=None, n_classes=n_classes)
    return out


class MLP(nn.Module):
    """Fully connected ReLU classifier ``d → hidden → hidden → n_classes`` (flattens its input).

    Theorem: none (a model under test for docs/theory.md §5).
    Rigor: not applicable (model).
    """

    def __init__(self, d: int = 64, n_classes: int = 10, hidden: int = 128):
        d, n_classes = integer_arg(d, "d", minimum=1), integer_arg(n_classes, "n_classes", minimum=1)
        hidden = integer_arg(hidden, "hidden", minimum=1)
        refuse_size(float(d + hidden + n_classes) * hidden, _MAX_PARAMS, "an MLP with "
                    f"{float(d + hidden + n_classes) * hidden:.3g} weights", "use smaller layers")
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(d, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SmallCNN(nn.Module):
    """Two 3 × 3 convolutions, a 2 × 2 max-pool and two linear layers, for ``(n, 1, s, s)`` images.

    Theorem: none (a model under test for docs/theory.md §5).
    Rigor: not applicable (model).
    """

    def __init__(self, side: int = 8, n_classes: int = 10, channels: int = 16):
        side, n_classes = integer_arg(side, "side", minimum=2), integer_arg(n_classes, "n_classes", minimum=1)
        channels = integer_arg(channels, "channels", minimum=1)
        if side % 2:
            raise InvalidArgument(f"SmallCNN needs an even image side, got {side}")
        n_par = float(channels) * (9 + 18 * channels) + 2.0 * channels * (side // 2) ** 2 * 64
        refuse_size(n_par, _MAX_PARAMS, f"a SmallCNN with {n_par:.3g} weights", "use a smaller side or fewer channels")
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * channels * (side // 2) ** 2, 64),
                                  nn.ReLU(), nn.Linear(64, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _conv_args(name: str, side: Any, n_classes: Any, channels: Any,
               weights: Callable[[int, int, int], float]) -> tuple[int, int, int]:
    """Validated ``(side, n_classes, channels)`` of a CNN for even-sided images, its size bounded."""
    side, n_classes = integer_arg(side, "side", minimum=2), integer_arg(n_classes, "n_classes", minimum=1)
    channels = integer_arg(channels, "channels", minimum=1)
    if side % 2:
        raise InvalidArgument(f"{name} needs an even image side, got {side}")
    n_par = float(weights(side, channels, n_classes))
    refuse_size(n_par, _MAX_PARAMS, f"a {name} with {n_par:.3g} weights", "use a smaller side or fewer channels")
    return side, n_classes, channels


class WideCNN(nn.Module):
    """A wider CNN: a 5 × 5 and a 3 × 3 convolution, a 2 × 2 max-pool, a third convolution, one linear layer.

    For ``(n, 1, s, s)`` images (``s`` even); ``channels`` feature maps in
    the first two layers and twice as many in the third (default 32: four
    times :class:`SmallCNN`'s first layer and a larger receptive field).

    Theorem: none (a model under test for docs/theory.md §5).
    Rigor: not applicable (model).
    """

    def __init__(self, side: int = 8, n_classes: int = 10, channels: int = 32):
        side, n_classes, channels = _conv_args("WideCNN", side, n_classes, channels, lambda s, c, k:
                                               c * (25 + 27 * c) + 2.0 * c * (s // 2) ** 2 * k)
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, 5, padding=2), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * channels * (side // 2) ** 2, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class _ResidualBlock(nn.Module):
    """``relu(x + conv(relu(conv(x))))`` with 3 × 3 convolutions that keep the shape."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.conv2(torch.relu(self.conv1(x))))


class ResidualCNN(nn.Module):
    """A residual CNN: a 3 × 3 stem, a residual block, a 2 × 2 max-pool, a second block, one linear layer.

    For ``(n, 1, s, s)`` images (``s`` even). Skip connections and no batch
    normalisation (every input is classified on its own, as the certification
    evaluates it).

    Theorem: none (a model under test for docs/theory.md §5).
    Rigor: not applicable (model).
    """

    def __init__(self, side: int = 8, n_classes: int = 10, channels: int = 16):
        side, n_classes, channels = _conv_args("ResidualCNN", side, n_classes, channels, lambda s, c, k:
                                               c * (9 + 36 * c) + float(c) * (s // 2) ** 2 * k)
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.ReLU())
        self.blocks = nn.Sequential(_ResidualBlock(channels), nn.MaxPool2d(2), _ResidualBlock(channels))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(channels * (side // 2) ** 2, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


def _init_(model: nn.Module, gen: torch.Generator) -> None:
    """He-uniform weights, zero biases, drawn from ``gen`` (the global RNG is not touched)."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (nn.Linear, nn.Conv2d)):
                fan_in = mod.weight[0].numel()
                bound = math.sqrt(6.0 / fan_in) / math.sqrt(2.0)
                mod.weight.uniform_(-bound, bound, generator=gen)
                if mod.bias is not None:
                    mod.bias.zero_()


def train_classifier(model: nn.Module, X: Any, y: Any, *, epochs: int = 30, lr: float = 5e-3,
                     batch_size: int = 128, weight_decay: float = 0.0, seed: int = 0,
                     threads: int | None = 1) -> nn.Module:
    """Fit ``model`` (logits) to ``(X, y)`` by Adam on the cross-entropy, in place; returns it in eval mode.

    Shuffling uses a local ``torch.Generator`` seeded with ``seed``. ``X`` is
    never modified. ``threads`` sets ``torch.set_num_threads`` for the
    duration of the training (restored afterwards): small models train
    fastest, and reproducibly, on one thread.

    Theorem: none (training).
    Rigor: not applicable (training).
    """
    epochs = integer_arg(epochs, "epochs", minimum=0)
    if epochs > _MAX_EPOCHS:
        raise InvalidArgument(f"epochs must be at most {_MAX_EPOCHS}, got {epochs}")
    batch_size = integer_arg(batch_size, "batch_size", minimum=1)
    lr = real_arg(lr, "lr")
    weight_decay = real_arg(weight_decay, "weight_decay", allow_zero=True)
    if lr > 1e30 or weight_decay > 1e30:
        raise InvalidArgument(f"lr and weight_decay must be at most 1e30, got {lr!r}, {weight_decay!r}")
    if not isinstance(model, nn.Module):
        raise InvalidArgument(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not any(p.requires_grad for p in model.parameters()):
        raise InvalidArgument("the model has no trainable parameters")
    p = next(model.parameters())
    if not p.is_floating_point() or p.is_complex():
        raise InvalidArgument(f"the model's parameters must be real floating point, got {p.dtype}")
    dtype, device = p.dtype, p.device
    Xa = _numeric(X, "X")
    ya = _numeric(y, "y")
    if Xa.ndim < 2 or Xa.shape[0] == 0:
        raise InvalidArgument(f"X must be a non-empty batch (n, *input_shape), got shape {Xa.shape}")
    if not np.isfinite(Xa.astype(np.float64)).all():
        raise InvalidArgument("X holds NaN or inf")
    if ya.ndim != 1 or ya.shape[0] != Xa.shape[0]:
        raise InvalidArgument(f"y must hold one label per sample: X has {Xa.shape[0]} samples, y has shape "
                              f"{ya.shape}")
    if ya.dtype.kind == "f" and np.all(np.isfinite(ya)) and np.all(ya == np.round(ya)) and np.all(np.abs(ya) < 2 ** 62):
        ya = ya.astype(np.int64)
    if ya.dtype.kind not in "iu" or (ya < 0).any():
        raise InvalidArgument("y must hold class indices (non-negative integers)")
    n_par = sum(q.numel() for q in model.parameters())
    refuse_size(float(epochs) * Xa.shape[0] * max(n_par, 1), _MAX_WORK, "the training run",
                "use fewer epochs or a smaller model")
    Xt = torch.as_tensor(Xa, dtype=dtype, device=device).clone()
    yt = torch.as_tensor(ya.astype(np.int64), dtype=torch.long, device=device).clone()
    gen = torch.Generator().manual_seed(_seed(seed))
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    n = Xt.shape[0]
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(integer_arg(threads, "threads", minimum=1))
    try:
        for _ in range(epochs):
            perm = torch.randperm(n, generator=gen).to(device)
            for i in range(0, n, batch_size):
                idx = perm[i:i + batch_size]
                opt.zero_grad(set_to_none=True)
                try:
                    loss = loss_fn(model(Xt[idx]), yt[idx])
                except (RuntimeError, IndexError, ValueError, TypeError) as exc:
                    raise InvalidArgument(f"the model cannot be trained on (X, y): {type(exc).__name__}: "
                                          f"{exc}; check the input shape and that the labels are below "
                                          "the number of logits") from exc
                loss.backward()
                opt.step()
    finally:
        torch.set_num_threads(old_threads)
    opt.zero_grad(set_to_none=True)
    return model.eval()


def build_digits_classifier(arch: str = "mlp", *, seed: int = 0, epochs: int | None = None,
                            data: dict[str, Any] | None = None) -> tuple[nn.Module, dict[str, Any]]:
    """Train an MLP or a small CNN on the digits, seeded; returns ``(model, data)``.

    ``data`` is :func:`digits_data` (same ``seed``) with ``X_train``/``X_test``
    shaped for the model (``(n, 64)`` for the MLP, ``(n, 1, 8, 8)`` for the
    CNN) and ``test_accuracy`` added. About a second (MLP) or a few seconds
    (CNN) on a CPU with the default ``epochs`` (MLP 40, CNN 10). For the wider
    and residual CNNs (and every model on ``(n, 1, 8, 8)`` inputs) see
    :func:`build_classifier`.

    Theorem: none (produces the classifier of docs/theory.md §5's experiments).
    Rigor: not applicable (training).
    """
    arch = choice_arg(arch, "arch", ARCHITECTURES)
    if epochs is not None:
        epochs = integer_arg(epochs, "epochs", minimum=0)
    s = _seed(seed)
    data = dict(digits_data(s) if data is None else data)
    return _build(arch, data, s, epochs, (8, 8), flat_mlp=True)


#: default epochs of :func:`build_classifier` per architecture
_EPOCHS = {"mlp": 40, "cnn": 10, "wide_cnn": 10, "res_cnn": 10}


def _build(arch: str, data: dict[str, Any], s: int, epochs: int | None, side2: tuple[int, int],
           flat_mlp: bool) -> tuple[nn.Module, dict[str, Any]]:
    """Construct (seeded, global RNG untouched), reshape the data for it, train, measure the test accuracy."""
    side = side2[0]
    gen = torch.Generator().manual_seed(s)
    n_classes = data["n_classes"]
    model: nn.Module
    with torch.random.fork_rng(devices=[]):  # constructors draw from the global RNG: keep it untouched
        if arch == "mlp":
            model = MLP(side * side, n_classes)
        elif arch == "cnn":
            model = SmallCNN(side, n_classes)
        elif arch == "wide_cnn":
            model = WideCNN(side, n_classes)
        else:
            model = ResidualCNN(side, n_classes)
    if not (arch == "mlp" and flat_mlp):
        for key in ("X_train", "X_test"):
            data[key] = np.asarray(data[key]).reshape(-1, 1, side, side)
    _init_(model, gen)
    if epochs is None:
        epochs = _EPOCHS[arch]
    train_classifier(model, data["X_train"], data["y_train"], epochs=epochs, seed=s)
    with torch.no_grad():
        pred = model(torch.as_tensor(data["X_test"], dtype=torch.float32)).argmax(1).numpy()
    data["test_accuracy"] = float(np.mean(pred == data["y_test"]))
    return model, data


def build_classifier(arch: str, data: dict[str, Any], *, seed: int = 0,
                     epochs: int | None = None) -> tuple[nn.Module, dict[str, Any]]:
    """Train one of :data:`IMAGE_ARCHITECTURES` on square images, seeded; returns ``(model, data)``.

    ``data`` holds ``X_train, y_train, X_test, y_test``, ``n_classes`` and
    ``image_shape = (s, s)`` (:func:`digits_data`, or the shapes of
    :func:`theorycheck.classification.build_false_structure_data`); it is not
    modified. The returned copy has ``X_train``/``X_test`` shaped
    ``(n, 1, s, s)`` for *every* architecture (the MLP flattens its input), so
    that one perturbation applies to all of them, and ``test_accuracy``.
    ``"mlp"`` is :class:`MLP`, ``"cnn"`` :class:`SmallCNN`, ``"wide_cnn"``
    :class:`WideCNN`, ``"res_cnn"`` :class:`ResidualCNN` (``s`` even for the
    CNNs). Default ``epochs``: 40 for the MLP, 10 for the CNNs.

    Theorem: none (produces the classifiers of docs/theory.md §5's transfer table).
    Rigor: not applicable (training).
    """
    arch = choice_arg(arch, "arch", IMAGE_ARCHITECTURES)
    if epochs is not None:
        epochs = integer_arg(epochs, "epochs", minimum=0)
    if not isinstance(data, dict):
        raise InvalidArgument(f"data must be a dict with X_train, y_train, X_test, y_test, n_classes and "
                              f"image_shape, got {type(data).__name__}")
    missing = [k for k in ("X_train", "y_train", "X_test", "y_test", "n_classes", "image_shape") if k not in data]
    if missing:
        raise InvalidArgument(f"data lacks {missing}: pass digits_data() or build_false_structure_data(...).as_dict()")
    shape = data["image_shape"]
    if not (isinstance(shape, tuple) and len(shape) == 2 and shape[0] == shape[1]
            and isinstance(shape[0], (int, np.integer)) and shape[0] >= 2):
        raise InvalidArgument(f"data['image_shape'] must be a square (s, s) with s >= 2, got {shape!r}")
    n_classes = integer_arg(data["n_classes"], "data['n_classes']", minimum=2)
    side = int(shape[0])
    for key in ("X_train", "X_test"):
        arr = _numeric(data[key], f"data[{key!r}]")
        if arr.ndim < 1 or arr.size != arr.shape[0] * side * side:
            raise InvalidArgument(f"data[{key!r}] has shape {arr.shape}: expected {side * side} entries per sample")
    out = dict(data)
    out["n_classes"] = n_classes
    return _build(arch, out, _seed(seed), epochs, (side, side), flat_mlp=False)
