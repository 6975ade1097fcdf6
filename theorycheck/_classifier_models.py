"""Small seeded classifiers and data sets for the classification checks (torch only, private).

Data come without downloads: scikit-learn's bundled 8 × 8 digits (1797
images, pixel values scaled to ``[0, 1]``) and a seeded synthetic Gaussian
mixture. The models (an MLP and a small CNN) train in seconds on a CPU.

Randomness comes only from the ``seed`` argument: weights are initialised and
mini-batches shuffled with a local ``torch.Generator``, and the module
constructors run inside ``torch.random.fork_rng`` so the global torch random
state is left as it was. The same seed gives the same weights on the same CPU
set-up.

Public entry points live in :mod:`theorycheck.classification`
(``digits_data``, ``synthetic_data``, ``train_classifier``,
``build_digits_classifier``), which imports this module lazily.

Theorem: none (produces the classifiers whose instability THEORY.md §5 measures).
Rigor: not applicable (data and training).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import torch
from torch import nn

from theorycheck.errors import InvalidArgument

__all__ = ["MLP", "SmallCNN", "digits_data", "synthetic_data", "train_classifier",
           "build_digits_classifier", "ARCHITECTURES"]

#: Architectures accepted by :func:`build_digits_classifier`.
ARCHITECTURES: tuple[str, ...] = ("mlp", "cnn")


def _int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidArgument(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _seed(seed: Any) -> int:
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**62))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InvalidArgument(f"seed must be None, a non-negative int or a numpy Generator, got {seed!r}")
    return int(seed)


def _split(X: np.ndarray, y: np.ndarray, test_fraction: float, seed: int) -> dict[str, Any]:
    if not 0.0 < float(test_fraction) < 1.0:
        raise InvalidArgument(f"test_fraction must lie in (0, 1), got {test_fraction!r}")
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

    Theorem: none (data for THEORY.md §5).
    Rigor: not applicable (data).
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    X = np.asarray(d.data, dtype=np.float64) / 16.0
    y = np.asarray(d.target, dtype=np.int64)
    out = _split(X, y, test_fraction, _seed(seed))
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

    Theorem: none (data for THEORY.md §5).
    Rigor: not applicable (data).
    """
    n = _int(n, "n", 2)
    d = _int(d, "d", 1)
    n_classes = _int(n_classes, "n_classes", 2)
    if not math.isfinite(float(separation)) or float(separation) <= 0:
        raise InvalidArgument(f"separation must be a positive number, got {separation!r}")
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

    Theorem: none (a model under test for THEORY.md §5).
    Rigor: not applicable (model).
    """

    def __init__(self, d: int = 64, n_classes: int = 10, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(d, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SmallCNN(nn.Module):
    """Two 3 × 3 convolutions, a 2 × 2 max-pool and two linear layers, for ``(n, 1, s, s)`` images.

    Theorem: none (a model under test for THEORY.md §5).
    Rigor: not applicable (model).
    """

    def __init__(self, side: int = 8, n_classes: int = 10, channels: int = 16):
        super().__init__()
        if side % 2:
            raise InvalidArgument(f"SmallCNN needs an even image side, got {side}")
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * channels * (side // 2) ** 2, 64),
                                  nn.ReLU(), nn.Linear(64, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


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
    epochs = _int(epochs, "epochs", 0)
    batch_size = _int(batch_size, "batch_size", 1)
    if not isinstance(model, nn.Module):
        raise InvalidArgument(f"model must be a torch.nn.Module, got {type(model).__name__}")
    p = next(model.parameters(), None)
    dtype = p.dtype if p is not None else torch.float32
    device = p.device if p is not None else torch.device("cpu")
    Xt = torch.as_tensor(np.asarray(X), dtype=dtype, device=device).clone()
    yt = torch.as_tensor(np.asarray(y), dtype=torch.long, device=device).clone()
    if Xt.shape[0] != yt.shape[0]:
        raise InvalidArgument(f"X has {Xt.shape[0]} samples but y has {yt.shape[0]} labels")
    gen = torch.Generator().manual_seed(_seed(seed))
    opt = torch.optim.Adam(model.parameters(), lr=float(lr), weight_decay=float(weight_decay))
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    n = Xt.shape[0]
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(_int(threads, "threads", 1))
    try:
        for _ in range(epochs):
            perm = torch.randperm(n, generator=gen).to(device)
            for i in range(0, n, batch_size):
                idx = perm[i:i + batch_size]
                opt.zero_grad(set_to_none=True)
                loss_fn(model(Xt[idx]), yt[idx]).backward()
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
    (CNN) on a CPU with the default ``epochs`` (MLP 40, CNN 10).

    Theorem: none (produces the classifier of THEORY.md §5's experiments).
    Rigor: not applicable (training).
    """
    if arch not in ARCHITECTURES:
        raise InvalidArgument(f"arch must be one of {ARCHITECTURES}, got {arch!r}")
    s = _seed(seed)
    data = dict(digits_data(s) if data is None else data)
    gen = torch.Generator().manual_seed(s)
    with torch.random.fork_rng(devices=[]):  # constructors draw from the global RNG: keep it untouched
        if arch == "mlp":
            model = MLP(64, data["n_classes"])
        else:
            model = SmallCNN(8, data["n_classes"])
            for key in ("X_train", "X_test"):
                data[key] = np.asarray(data[key]).reshape(-1, 1, 8, 8)
    _init_(model, gen)
    if epochs is None:
        epochs = 40 if arch == "mlp" else 10
    train_classifier(model, data["X_train"], data["y_train"], epochs=epochs, seed=s)
    with torch.no_grad():
        pred = model(torch.as_tensor(data["X_test"], dtype=torch.float32)).argmax(1).numpy()
    data["test_accuracy"] = float(np.mean(pred == data["y_test"]))
    return model, data
