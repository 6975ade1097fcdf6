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

It also holds the torch side of :mod:`theorycheck.classification` (imported
lazily from there, so ``import theorycheck`` stays free of torch): the set of
evaluations of a user's model (:class:`ModelSet`: the model as it is, a
float64 CPU copy, a float32 CPU probe), per-sample evaluation
(:func:`run_alone`) and the batched searches (:class:`Searcher`: DeepFool,
gradient directions, line search).

Theorem: none (produces the classifiers whose instability THEORY.md §5 measures).
Rigor: not applicable (data and training); the searches are heuristics whose
results :mod:`theorycheck.classification` certifies.
"""

from __future__ import annotations

import copy
import math
import numbers
from typing import Any, Iterator

import numpy as np
import torch
from torch import nn

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.validation import integer_arg, probability_arg, real_arg, refuse_size

__all__ = ["MLP", "SmallCNN", "digits_data", "synthetic_data", "train_classifier",
           "build_digits_classifier", "ARCHITECTURES", "ModelSet", "Searcher", "logits", "run_alone",
           "evaluate_batch", "probe_batched", "chunks", "squared_loss_logit_grad", "dtype_name", "GRID"]

#: Architectures accepted by :func:`build_digits_classifier`.
ARCHITECTURES: tuple[str, ...] = ("mlp", "cnn")


def _int(value: Any, name: str, minimum: int) -> int:
    return integer_arg(value, name, minimum=minimum)


#: limits that keep the data and training helpers bounded (refused with an estimate beyond)
_MAX_ENTRIES = 10 ** 8          # entries of a synthetic data set
_MAX_EPOCHS = 100_000
_MAX_WORK = 1e13                # epochs × samples × parameters of a training run
_MAX_PARAMS = 1e8               # weights of the small models


def _seed(seed: Any) -> int:
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**62))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2 ** 63:
        raise InvalidArgument(f"seed must be None, an int in [0, 2^63) or a numpy Generator, got {seed!r}")
    return int(seed)


def _numeric(a: Any, name: str) -> np.ndarray:
    if a is None or isinstance(a, (str, bytes)):
        raise InvalidArgument(f"{name} must be an array of numbers, got {a!r}")
    try:
        arr = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
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

    Theorem: none (data for THEORY.md §5).
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

    Theorem: none (data for THEORY.md §5).
    Rigor: not applicable (data).
    """
    n = _int(n, "n", 2)
    d = _int(d, "d", 1)
    n_classes = _int(n_classes, "n_classes", 2)
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

    Theorem: none (a model under test for THEORY.md §5).
    Rigor: not applicable (model).
    """

    def __init__(self, d: int = 64, n_classes: int = 10, hidden: int = 128):
        d, n_classes, hidden = _int(d, "d", 1), _int(n_classes, "n_classes", 1), _int(hidden, "hidden", 1)
        refuse_size(float(d + hidden + n_classes) * hidden, _MAX_PARAMS, "an MLP with "
                    f"{float(d + hidden + n_classes) * hidden:.3g} weights", "use smaller layers")
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
        side, n_classes, channels = _int(side, "side", 2), _int(n_classes, "n_classes", 1), _int(channels, "channels", 1)
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
    if epochs > _MAX_EPOCHS:
        raise InvalidArgument(f"epochs must be at most {_MAX_EPOCHS}, got {epochs}")
    batch_size = _int(batch_size, "batch_size", 1)
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
        torch.set_num_threads(_int(threads, "threads", 1))
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
    (CNN) on a CPU with the default ``epochs`` (MLP 40, CNN 10).

    Theorem: none (produces the classifier of THEORY.md §5's experiments).
    Rigor: not applicable (training).
    """
    if not isinstance(arch, str) or arch not in ARCHITECTURES:
        raise InvalidArgument(f"arch must be one of {ARCHITECTURES}, got {arch!r}")
    if epochs is not None:
        epochs = _int(epochs, "epochs", 0)
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


# --------------------------------------------------------------------------------------
# the torch side of theorycheck.classification: evaluations and searches
# --------------------------------------------------------------------------------------

#: α/‖x‖ values scanned by the line searches (ratio 1.62 between neighbours)
GRID = np.logspace(-6.0, 4.0, 49)
BISECT_RTOL = 1e-6
#: DeepFool's extra step length, relative to ‖x‖ (escapes slow one-sided approaches)
PUSH = 1e-4
#: input entries per batched pass of the searches (memory bound)
_ENTRIES = 1 << 22


def dtype_name(dt: Any) -> str:
    """``torch.float32`` → ``"float32"``.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    return str(dt).replace("torch.", "")


def chunks(n: int, size: int | None) -> Iterator[slice]:
    """Consecutive slices of ``range(n)`` of at most ``size`` items (all at once when None).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    size = n if not size else size
    for i in range(0, n, max(size, 1)):
        yield slice(i, min(i + size, n))


def logits(model: Any, x: Any) -> Any:
    """Model output as ``(n, C)`` floating logits; a single logit ``f`` becomes ``[0, f]`` (label ``f > 0``).

    Every failure (the model raises, returns something else than a floating
    tensor of ``n`` rows) is an :class:`InvalidArgument` saying what is wrong.

    Theorem: none (infrastructure for THEORY.md §5).
    Rigor: not applicable (adapter).
    """
    try:
        out = model(x)
    except Exception as exc:
        raise InvalidArgument(
            f"the model raised {type(exc).__name__} on an input of shape {tuple(x.shape)}: {exc}. "
            "Pass x of the model's input shape, or a batch with the batch dimension first "
            "(set batched= if the guess is wrong)") from exc
    if not isinstance(out, torch.Tensor):
        raise InvalidArgument(f"the model must return a tensor of logits, got {type(out).__name__}")
    if out.is_complex():
        raise InvalidArgument("the model returned complex logits: classifiers must return real logits")
    if not out.is_floating_point():
        raise InvalidArgument(f"the model returned {dtype_name(out.dtype)} logits: classifiers must "
                              "return floating-point logits")
    n = x.shape[0]
    if out.ndim == 1 and out.shape[0] == n:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != n or out.shape[1] < 1:
        raise InvalidArgument(
            f"the model returned shape {tuple(out.shape)} for {n} input(s): expected (n, C) logits "
            "or (n,) / (n, 1) for a binary classifier")
    if out.shape[1] == 1:
        out = torch.cat([torch.zeros_like(out), out], dim=1)
    return out


def _tensor(a: np.ndarray, dtype: Any, device: Any) -> Any:
    """A new tensor holding a copy of ``a`` (the model may write into its input)."""
    try:
        return torch.tensor(np.ascontiguousarray(a), dtype=dtype, device=device)
    except Exception as exc:  # e.g. a device that is not available
        raise InvalidArgument(f"cannot build an input of dtype {dtype_name(dtype)} on {device}: {exc}") from exc


class ModelSet:
    """The evaluations of a user's classifier; train/eval flags restored on exit.

    * ``user``: the model as it is (its own dtype and device): the *native*
      evaluation, in ``native_dtype`` on ``native_device``;
    * ``f64``: a float64 CPU copy (the model itself when it is float64 on the CPU);
    * ``probe``: a float32 CPU copy, made only when the native evaluation *is*
      the float64 one, to estimate float64 rounding (None if it cannot be made);
    * ``search``: the model on the search device in ``search_dtype`` (its own dtype, float32
      for float16/bfloat16 models, whose gradients are too coarse to search with; made on first use).

    The caller's model is never modified (copies are deep copies).

    Theorem: none (infrastructure for THEORY.md §5).
    Rigor: not applicable (model handling).
    """

    def __init__(self, model: Any, device: Any = None):
        if not isinstance(model, nn.Module):
            raise InvalidArgument(
                f"model must be a torch.nn.Module returning logits, got {type(model).__name__}")
        if any(t.is_complex() for t in list(model.parameters()) + list(model.buffers())):
            raise InvalidArgument("complex-valued classifiers are not supported: use real logits")
        tensors = [t for t in list(model.parameters()) + list(model.buffers()) if t.is_floating_point()]
        cpu = torch.device("cpu")
        self.user = model
        self.native_dtype = tensors[0].dtype if tensors else torch.get_default_dtype()
        self.native_device = tensors[0].device if tensors else cpu
        self._tensors = tensors
        self._device_arg = device
        self._search: Any = None
        is64 = all(t.device == cpu and t.dtype == torch.float64 for t in tensors)
        self.f64 = model if is64 else self._copy(model, cpu, torch.float64)
        self.native_is_f64 = (self.f64 is model and self.native_dtype == torch.float64
                              and self.native_device == cpu)
        self.probe: Any = None
        if self.native_is_f64:
            try:
                self.probe = copy.deepcopy(model).to(device=cpu, dtype=torch.float32)
            except Exception:  # noqa: BLE001 - no probe: the allowance is then output-based only
                self.probe = None
        self._flags: list[tuple[Any, bool]] = []

    @staticmethod
    def _copy(model: Any, device: Any, dtype: Any) -> Any:
        try:
            return copy.deepcopy(model).to(device=device, dtype=dtype)
        except Exception as exc:  # e.g. non-leaf tensors stored as attributes
            raise InvalidArgument(
                f"could not copy the model to {device} / {dtype_name(dtype)} ({exc}); make it "
                "deep-copyable (store tensors as parameters or buffers)") from exc

    @property
    def native(self) -> str:
        """``"float32 on cpu"``: the model's own evaluation."""
        return f"{dtype_name(self.native_dtype)} on {self.native_device}"

    @property
    def search_device(self) -> Any:
        dev = self._device_arg
        if dev is None:
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return dev

    @property
    def search_dtype(self) -> Any:
        coarse = self.native_dtype in (torch.float16, torch.bfloat16)
        return torch.float32 if coarse else self.native_dtype

    @property
    def search(self) -> Any:
        """The model on the search device, in ``search_dtype`` (a copy only where needed)."""
        if self._search is None:
            dev, dt = self.search_device, self.search_dtype
            same = all(t.device == dev and t.dtype == dt for t in self._tensors)
            self._search = self.user if same else self._copy(self.user, dev, dt)
            self._search.eval()
        return self._search

    def evaluation(self, kind: str) -> tuple[Any, Any, Any]:
        """``(model, input dtype, device)`` of ``"f64"``, ``"nat"`` or ``"probe"``."""
        cpu = torch.device("cpu")
        if kind == "f64":
            return self.f64, torch.float64, cpu
        if kind == "nat":
            return self.user, self.native_dtype, self.native_device
        return self.probe, torch.float32, cpu

    def __enter__(self) -> "ModelSet":
        self._flags = [(m, m.training) for m in self.user.modules()]
        for mdl in {id(m): m for m in (self.user, self.f64, self.probe, self._search) if m is not None}.values():
            mdl.eval()  # classification is inference: dropout off, batch-norm statistics frozen
        return self

    def __exit__(self, *exc: Any) -> None:
        for m, flag in self._flags:
            m.training = flag


def run_alone(model: Any, X: np.ndarray, dtype: Any, device: Any, out_dtypes: set[str],
              repeat: int = 1, duplicate: bool = False) -> tuple[list[list[np.ndarray | None]], Exception | None]:
    """Logits of every sample of ``X`` evaluated alone (a batch of one, a fresh input in ``dtype`` on ``device``).

    With ``repeat=2`` each sample is evaluated twice in a row (consecutive
    calls, so that a model alternating between calls shows it). With
    ``duplicate`` each sample is evaluated as a batch of two copies of itself
    instead (the first row is returned): the same input through another
    accumulation order (matrix-matrix instead of matrix-vector kernels), while
    batch statistics of identical samples equal those of the sample. Returns, per
    repetition, one float64 row per sample (the logits converted exactly),
    None where the model raised, and the first exception. The dtypes of the
    returned logits are added to ``out_dtypes``.

    Theorem: none (infrastructure for THEORY.md §5).
    Rigor: exact conversion of the model's outputs to float64.
    """
    rows: list[list[np.ndarray | None]] = [[] for _ in range(repeat)]
    first: Exception | None = None
    with torch.no_grad():
        for i in range(X.shape[0]):
            for rep in range(repeat):
                try:
                    xi = np.repeat(X[i:i + 1], 2, axis=0) if duplicate else X[i:i + 1]
                    out = logits(model, _tensor(xi, dtype, device))
                except InvalidArgument as exc:
                    rows[rep].append(None)
                    first = first if first is not None else exc
                    continue
                out_dtypes.add(dtype_name(out.dtype))
                rows[rep].append(out.detach().to("cpu", torch.float64).numpy()[0].copy())
    return rows, first


def evaluate_batch(model: Any, X: np.ndarray, batch_size: int | None) -> np.ndarray:
    """Float64 CPU logits of the batch ``X`` evaluated as a batch (numerical use only).

    Theorem: none (infrastructure).
    Rigor: numerical (a batch may differ from its samples evaluated alone).
    """
    outs = []
    with torch.no_grad():
        for sl in chunks(X.shape[0], batch_size):
            outs.append(logits(model, _tensor(X[sl], torch.float64, "cpu")).to(torch.float64).numpy())
    return np.concatenate(outs, axis=0)


def probe_batched(model: Any, X: np.ndarray) -> bool:
    """Guess whether ``X`` is a batch.

    ``X`` is a batch if the model maps ``X[:2]`` to two rows of logits and
    ``len(X) > 1``; otherwise a single sample if it maps ``X[None]`` to one
    row; otherwise a batch of one.

    Theorem: none (infrastructure for THEORY.md §5).
    Rigor: not applicable (a guess of the layout).
    """

    def rows(a: np.ndarray) -> int | None:
        try:
            with torch.no_grad():
                out = model(_tensor(a, torch.float64, "cpu"))
        except Exception:  # noqa: BLE001 - a guess: failure means "not this layout"
            return None
        if not isinstance(out, torch.Tensor) or out.ndim not in (1, 2):
            return None
        return int(out.shape[0])

    if X.ndim >= 2 and X.shape[0] > 1 and rows(X[:2]) == 2:
        return True
    if rows(X[None]) == 1:
        return False
    return True


def squared_loss_logit_grad(z: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``∇_z ‖softmax(z) − e_k‖²`` divided by ``2 p_j2²`` (``j2`` the runner-up): same direction, no underflow.

    With ``q_j = exp(z_j − z_j2)`` (``j ≠ k``), ``Q = Σ q_j``, ``S = Σ q_j²``:
    ``g_j = q_j (q_j + p_k Q − p_j2 S)`` for ``j ≠ k`` and ``g_k = −p_k (Q² + S)``.

    Theorem: none (infrastructure for THEORY.md §5).
    Rigor: numerical (a search direction).
    """
    with np.errstate(all="ignore"):
        n, C = z.shape
        rows = np.arange(n)
        zo = z.copy()
        zo[rows, k] = -np.inf
        j2 = np.argmax(zo, axis=1)
        q = np.exp(zo - zo[rows, j2][:, None])  # 0 at k
        Q = q.sum(axis=1)
        S = (q * q).sum(axis=1)
        zmax = np.max(z, axis=1)
        lse = zmax + np.log(np.exp(z - zmax[:, None]).sum(axis=1))
        pk = np.exp(z[rows, k] - lse)
        pj2 = np.exp(z[rows, j2] - lse)
        g = q * (q + (pk * Q)[:, None] - (pj2 * S)[:, None])
        g[rows, k] = -pk * (Q * Q + S)
        return np.where(np.isfinite(g), g, 0.0)


class Searcher:
    """Batched perturbation searches on ``model`` in ``dtype`` on ``device``.

    Theorem: THEORY.md §5 (DeepFool, fast gradient, line search along a direction).
    Rigor: numerical (heuristics; :mod:`theorycheck.classification` certifies what they find).
    """

    def __init__(self, model: Any, dtype: Any, device: Any):
        self.model = model
        self.dtype = dtype
        self.device = device
        self.batched_grads = True  # is_grads_batched works for this model (until it fails once)

    def tensor(self, a: np.ndarray) -> Any:
        return _tensor(a, self.dtype, self.device)

    def logits_at(self, X: np.ndarray) -> np.ndarray:
        """Float64 copies of the batched logits at the rows of ``X`` (search precision)."""
        d = int(np.prod(X.shape[1:])) if X.ndim > 1 else 1
        outs = []
        with torch.no_grad():
            for sl in chunks(X.shape[0], max(1, _ENTRIES // max(d, 1))):
                outs.append(logits(self.model, self.tensor(X[sl])).detach().to("cpu", torch.float64).numpy())
        return np.concatenate(outs, axis=0)

    def margin_grads(self, x: Any, out: Any, G: Any) -> Any:
        """``G`` (J, n, C) cotangents → (J, n, *shape) gradients, in one vectorised backward if possible."""
        if self.batched_grads:
            try:
                return torch.autograd.grad(out, x, grad_outputs=G, is_grads_batched=True,
                                           retain_graph=True)[0]
            except (RuntimeError, NotImplementedError):
                self.batched_grads = False
        return torch.stack([torch.autograd.grad(out, x, grad_outputs=G[j], retain_graph=True)[0]
                            for j in range(G.shape[0])])

    # -- DeepFool ---------------------------------------------------------------------
    def deepfool(self, X: np.ndarray, k: np.ndarray, cand: np.ndarray, overshoot: float,
                 max_iter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = X.shape[0]
        dev = self.device
        X0 = self.tensor(X)
        kt = torch.as_tensor(k, device=dev)
        ct = torch.as_tensor(cand, device=dev)
        r_tot = torch.zeros_like(X0)
        iters = np.zeros(n, dtype=np.int64)
        status = np.full(n, "not_found", dtype=object)
        # a small push past the linearised boundary, relative to ‖x‖ (like the 1e-4 of the
        # authors' code, but scale-free): a step landing exactly on it (linear models,
        # overshoot 0) still crosses, and concave boundaries are not approached forever
        xnorm = X0.reshape(n, -1).norm(dim=1)
        push = PUSH * torch.where(xnorm > 0, xnorm, torch.ones_like(xnorm))
        active = torch.arange(n, device=dev)
        K = ct.shape[1]
        for it in range(max_iter + 1):
            if active.numel() == 0:
                break
            xa = (X0[active] + (1.0 + overshoot) * r_tot[active]).detach().requires_grad_(True)
            with torch.enable_grad():  # a clone: in-place first layers must not touch the leaf
                out = logits(self.model, xa.clone())
            na = active.numel()
            finite = torch.isfinite(out).all(dim=1)
            ka = kt[active]
            done = finite & (out.argmax(dim=1) != ka)
            idx_done = active[done].cpu().numpy()
            status[idx_done] = "found"
            iters[idx_done] = it
            idx_bad = active[~finite].cpu().numpy()
            status[idx_bad] = "nan_during_search"
            iters[idx_bad] = it
            keep = finite & ~done
            if it == max_iter or not bool(keep.any()):
                iters[active[keep].cpu().numpy()] = it
                break
            ca = ct[active]
            rows = torch.arange(na, device=dev)
            # cotangents of the margins f_cj − f_k, j = 1..K-1 (c_j ≠ k: no index collides)
            G = torch.zeros((K - 1, na, out.shape[1]), dtype=out.dtype, device=dev)
            jj = torch.arange(K - 1, device=dev)[:, None].expand(K - 1, na)
            rr = rows[None, :].expand(K - 1, na)
            G[jj, rr, ca[:, 1:].T] = 1.0
            G[jj, rr, ka[None, :].expand(K - 1, na)] = -1.0
            grads = self.margin_grads(xa, out, G).detach()  # (K-1, na, *shape)
            w = grads.transpose(0, 1).reshape(na, K - 1, -1)
            f = (out.gather(1, ca[:, 1:]) - out.gather(1, ka[:, None])).detach()  # < 0
            wn = w.norm(dim=2)
            dist = torch.where(wn > 0, f.abs() / torch.where(wn > 0, wn, torch.ones_like(wn)),
                               torch.full_like(wn, float("inf")))
            dist = torch.where(torch.isnan(dist), torch.full_like(dist, float("inf")), dist)
            jstar = dist.argmin(dim=1)
            d_best = dist[rows, jstar]
            w_best = w[rows, jstar]
            n_best = wn[rows, jstar]
            stuck = ~torch.isfinite(d_best) | ~torch.isfinite(w_best).all(dim=1)
            idx_stuck = active[keep & stuck].cpu().numpy()
            status[idx_stuck] = "zero_gradient"
            iters[idx_stuck] = it
            move = keep & ~stuck
            scale = (d_best + push[active]) / torch.where(n_best > 0, n_best, torch.ones_like(n_best))
            step = (scale[:, None] * w_best).reshape(xa.shape)
            sel = active[move]
            r_tot[sel] = r_tot[sel] + step[move]
            active = sel
        R = ((1.0 + overshoot) * r_tot).detach().to("cpu", torch.float64).numpy()
        return R, iters, status

    # -- directions -----------------------------------------------------------------
    def fast_gradient_direction(self, X: np.ndarray, k: np.ndarray) -> np.ndarray:
        x = self.tensor(X).requires_grad_(True)
        with torch.enable_grad():
            out = logits(self.model, x.clone())
        z = out.detach().to("cpu", torch.float64).numpy()
        g = squared_loss_logit_grad(z, k)
        G = torch.as_tensor(g, dtype=out.dtype, device=self.device)
        v = torch.autograd.grad(out, x, grad_outputs=G)[0]
        return v.detach().to("cpu", torch.float64).numpy()

    # -- line search ----------------------------------------------------------------
    def line_search(self, X: np.ndarray, k: np.ndarray, V: np.ndarray, scale: np.ndarray,
                    max_iter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Smallest ``α`` (grid, then bisection) with ``k̂(x + α v) ≠ k``; ``V`` rows of unit norm.

        Evaluated in batches of at most about 4M input entries (sample and grid
        point pairs), whatever the sample size.
        """
        n = X.shape[0]
        shape = X.shape[1:]
        ones = (1,) * len(shape)
        d = int(np.prod(shape)) if shape else 1
        G = len(GRID)
        alphas = scale[:, None] * GRID[None, :]  # (n, G)
        flips = np.zeros((n, G), dtype=bool)
        finite = np.zeros((n, G), dtype=bool)
        ii = np.repeat(np.arange(n), G)
        gg = np.tile(np.arange(G), n)
        per = max(1, _ENTRIES // max(d, 1))
        with torch.no_grad():
            for sl in chunks(n * G, per):
                i, g = ii[sl], gg[sl]
                Z = self.tensor(X[i]) + self.tensor(alphas[i, g]).reshape((-1,) + ones) * self.tensor(V[i])
                L = logits(self.model, Z)
                fin = torch.isfinite(L).all(dim=1).cpu().numpy()
                pred = L.argmax(dim=1).cpu().numpy()
                finite[i, g] = fin
                flips[i, g] = fin & (pred != k[i])
        iters = np.zeros(n, dtype=np.int64)
        status = np.full(n, "not_found", dtype=object)
        status[~finite.any(axis=1)] = "nan_during_search"
        has = flips.any(axis=1)
        first = np.argmax(flips, axis=1)
        hi = np.where(has, alphas[np.arange(n), first], np.nan)
        lo = np.where(has & (first > 0), alphas[np.arange(n), np.maximum(first - 1, 0)], 0.0)
        status[has] = "found"
        active = np.flatnonzero(has)
        with torch.no_grad():
            for _ in range(max_iter):
                active = active[(hi[active] - lo[active]) > BISECT_RTOL * hi[active]]
                if active.size == 0:
                    break
                mid = 0.5 * (lo[active] + hi[active])
                fl = np.zeros(active.size, dtype=bool)
                for sl in chunks(active.size, per):
                    ia = active[sl]
                    Z = self.tensor(X[ia]) + self.tensor(mid[sl]).reshape((-1,) + ones) * self.tensor(V[ia])
                    L = logits(self.model, Z)
                    fin = torch.isfinite(L).all(dim=1).cpu().numpy()
                    fl[sl] = fin & (L.argmax(dim=1).cpu().numpy() != k[ia])  # NaN counts as no flip
                hi[active] = np.where(fl, mid, hi[active])
                lo[active] = np.where(fl, lo[active], mid)
                iters[active] += 1
        return np.where(has, hi, 0.0), iters, status
