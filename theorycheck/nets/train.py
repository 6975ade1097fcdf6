"""Seeded training of reconstruction networks ``Ψ: y ↦ x`` and their evaluation (torch only).

:func:`train_reconstruction` fits a model to ``x ≈ Ψ(A x + e)`` on a training
set of images by Adam on the mean squared error. Randomness (shuffling,
noise) comes only from a local ``torch.Generator`` seeded with ``seed``, and
deterministic algorithms are switched on for the duration of the training
(and restored afterwards), so the same seed, data and initial weights give
the same weights on the same CPU set-up. The training data are never
modified.

:func:`reconstruct` evaluates a trained model on measurements, in float64 by
default, on a copy of the model (the caller's model is left untouched).

Input conventions (``input=``):

- ``"adjoint"``: the model receives ``A^* y`` split into real channels by
  :func:`theorycheck.nets.unet.adjoint_channels`: ``(B, C, *in_shape)`` with
  ``C = model.in_channels`` (2: real and imaginary parts; 1: real part; a
  model without that attribute gets 2);
- ``"measurements"``: the model receives ``y`` as a real tensor ``(B, 2, m)``
  (real and imaginary parts).

The model's output, ``(B, *in_shape)`` or ``(B, 1, *in_shape)``, is the real image.

Theorem: none (produces the networks whose instability THEORY.md §3–§4 certifies).
Rigor: not applicable (training); :func:`reconstruct` is a plain evaluation.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import numbers
import time
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from theorycheck.errors import InvalidArgument
from theorycheck.nets.unet import adjoint_channels
from theorycheck.numerics.backend import is_torch
from theorycheck.problems.operators import LinearOperator

__all__ = ["TrainingHistory", "train_reconstruction", "reconstruct", "INPUTS"]

#: The accepted values of ``input=``.
INPUTS: tuple[str, ...] = ("adjoint", "measurements")
#: Largest number of torch CPU threads ``train_reconstruction`` sets.
MAX_THREADS = 1024
#: Largest number of epochs accepted (beyond it the learning-rate schedule's counters overflow).
MAX_EPOCHS = 10 ** 7


@dataclasses.dataclass(frozen=True)
class TrainingHistory:
    """What :func:`train_reconstruction` did.

    Attributes
    ----------
    losses : tuple of float
        Mean training loss (mean squared error per pixel) of each completed epoch.
    seconds : float
        Wall-clock time of the training.
    seed : int
        The seed used.
    epochs : int
        Epochs requested (``len(losses)`` is smaller when a callback stopped early).
    stopped_early : bool
        Whether a callback asked to stop.

    Theorem: none.
    Rigor: not applicable (training record).
    """

    losses: tuple[float, ...]
    seconds: float
    seed: int
    epochs: int
    stopped_early: bool = False

    @property
    def final_loss(self) -> float:
        """Loss of the last completed epoch (``nan`` if none)."""
        return self.losses[-1] if self.losses else math.nan

    @property
    def decreased(self) -> bool:
        """Whether the last epoch's loss is below the first epoch's."""
        return len(self.losses) >= 2 and self.losses[-1] < self.losses[0]

    def to_dict(self) -> dict[str, Any]:
        """Plain-type dictionary (JSON- and ``weights_only``-safe)."""
        return {"losses": list(self.losses), "seconds": self.seconds, "seed": self.seed,
                "epochs": self.epochs, "stopped_early": self.stopped_early}


# ---------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------
def _int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise InvalidArgument(f"{name}={value!r}: pass an integer >= {minimum}")
    return int(value)


def _real(value: Any, name: str, *, positive: bool) -> float:
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real)
    value = float(value) if ok else math.nan
    if not ok or not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise InvalidArgument(f"{name}={value!r}: pass a finite number "
                              f"{'> 0' if positive else '>= 0'}")
    return value


def _check_operator(A: Any) -> LinearOperator:
    if not isinstance(A, LinearOperator):
        raise InvalidArgument(
            f"A is a {type(A).__name__}: pass a theorycheck LinearOperator "
            "(e.g. SubsampledFourier(mask), or as_operator(matrix))")
    return A


def _check_input(input: str) -> str:  # noqa: A002 - public keyword
    if not isinstance(input, str) or input not in INPUTS:
        raise InvalidArgument(f"input={input!r}: pass one of {', '.join(map(repr, INPUTS))}")
    return input


def _np(x: Any, name: str) -> np.ndarray:
    """``np.asarray(x)`` with a clear error for ``None``, strings and ragged lists."""
    if x is None or isinstance(x, (str, bytes)):
        raise InvalidArgument(f"{name} must be a numeric array or tensor, got {x!r}")
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"{name} could not be read as an array: {exc}") from None


def _model_dtype_device(model: Any) -> tuple[torch.dtype, torch.device]:
    if not isinstance(model, nn.Module):
        raise InvalidArgument(f"model is a {type(model).__name__}: pass a torch.nn.Module")
    p = next(iter(model.parameters()), None)
    if p is None:
        return torch.get_default_dtype(), torch.device("cpu")
    if not p.dtype.is_floating_point:
        raise InvalidArgument(f"model parameters have dtype {p.dtype}: use a real float dtype")
    return p.dtype, p.device


def _images(X: Any, A: LinearOperator, dtype: torch.dtype, name: str) -> torch.Tensor:
    """A float copy of the images ``X`` (never a view of the caller's data)."""
    if is_torch(X):
        if X.is_complex():
            raise InvalidArgument(f"{name} is complex: the networks reconstruct real images")
        t = X.detach().to(device="cpu", dtype=torch.float64, copy=True)
    else:
        arr = _np(X, name)
        if arr.dtype.kind == "c":
            raise InvalidArgument(f"{name} is complex: the networks reconstruct real images")
        if arr.dtype.kind not in "biuf":
            raise InvalidArgument(f"{name} has dtype {arr.dtype}: pass real numbers")
        t = torch.tensor(arr, dtype=torch.float64)
    core = tuple(A.in_shape)
    if t.dim() != len(core) + 1 or tuple(t.shape[1:]) != core:
        raise InvalidArgument(
            f"{name} has shape {tuple(t.shape)} but A expects images {core}: pass a stack "
            f"of shape (K, {', '.join(map(str, core))})")
    if t.shape[0] < 1:
        raise InvalidArgument(f"{name} is empty: pass at least one image")
    if not bool(torch.isfinite(t).all()):
        raise InvalidArgument(f"{name} contains NaN or inf")
    return t.to(dtype)


def _complex(dtype: torch.dtype) -> torch.dtype:
    return torch.complex128 if dtype == torch.float64 else torch.complex64


def _network_input(model: nn.Module, A: LinearOperator, y: torch.Tensor,
                   input: str) -> torch.Tensor:  # noqa: A002
    if input == "adjoint":
        z = A.adjoint(y)
        if z.dim() != 3:
            raise InvalidArgument(
                f"input='adjoint' needs 2D images, but A's images have shape {tuple(A.in_shape)}")
        return adjoint_channels(z, int(getattr(model, "in_channels", 2)))
    y = y if y.is_complex() else y.to(_complex(y.dtype))
    return torch.stack([y.real, y.imag], dim=1)


def _network_output(out: Any, A: LinearOperator, batch: int) -> torch.Tensor:
    core = tuple(A.in_shape)
    if not isinstance(out, torch.Tensor):
        raise InvalidArgument(f"the model returned a {type(out).__name__}: return a tensor")
    if tuple(out.shape) == (batch, 1) + core:
        out = out[:, 0]
    if tuple(out.shape) != (batch,) + core:
        raise InvalidArgument(
            f"the model returned shape {tuple(out.shape)}; expected "
            f"(B, {', '.join(map(str, core))}) or (B, 1, {', '.join(map(str, core))})")
    if out.is_complex():
        raise InvalidArgument("the model returned a complex image: return real images")
    return out


# ---------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------
def train_reconstruction(
    model: nn.Module,
    A: LinearOperator,
    X_train: Any,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    noise: float = 0.0,
    input: str = "adjoint",  # noqa: A002 - the documented keyword
    progress: bool = True,
    callback: Callable[[TrainingHistory], Any] | None = None,
    weight_decay: float = 0.0,
    schedule: str = "cosine",
    threads: int | None = None,
) -> TrainingHistory:
    """Train ``model`` in place so that ``Ψ(A x + e) ≈ x`` on the images ``X_train``.

    Adam on the mean squared error per pixel, mini-batches drawn by a seeded
    permutation each epoch, optional complex Gaussian measurement noise.
    Deterministic on the CPU: the same model initialisation, data and seed give
    the same weights (``torch.use_deterministic_algorithms`` is on during
    training and restored afterwards). The model is left in its original
    train/eval mode; ``X_train`` is copied, never modified.

    Parameters
    ----------
    model : torch.nn.Module
        The network; trained in its own dtype and on its own device. See the
        module docstring for the input/output conventions.
    A : LinearOperator
        Sampling operator (e.g. ``SubsampledFourier(mask)``).
    X_train : array_like or torch.Tensor, shape ``(K, *A.in_shape)``
        Real training images. Repeat an image to give it more weight.
    epochs, lr, batch_size : int, float, int
        Number of passes, Adam's learning rate (> 0), mini-batch size.
    seed : int
        Seed of the local ``torch.Generator`` (shuffling and noise), in ``[0, 2^63)``.
    noise : float
        Standard deviation of the complex Gaussian noise added to each
        measurement (real and imaginary parts each ``noise / sqrt(2)``), drawn
        afresh every epoch; 0 for noise-free training.
    input : {"adjoint", "measurements"}
        What the model receives (module docstring).
    progress : bool
        Show a tqdm progress bar over the epochs.
    callback : callable, optional
        Called after each epoch with the :class:`TrainingHistory` so far;
        return ``True`` to stop early.
    weight_decay : float
        Adam's weight decay (≥ 0).
    schedule : {"cosine", "constant"}
        Learning-rate schedule over the steps (cosine annealing to 0, or constant).
    threads : int, optional
        Number of torch CPU threads during training (restored afterwards);
        default: leave ``torch.get_num_threads()`` as is. One thread is often
        faster for small images on a busy machine, and fixes the reduction
        order, so results do not depend on the number of cores.

    Returns
    -------
    TrainingHistory

    Theorem: none (produces a network Ψ; THEORY.md §3 says that if ``X_train``
    holds a pair with ``‖A(x − x′)‖ ≤ η < ‖x − x′‖/2``, fitting both within η
    makes Ψ unstable).
    Rigor: not applicable (training).

    Examples
    --------
    >>> import numpy as np
    >>> from theorycheck.nets.unet import UNet
    >>> from theorycheck.problems.operators import SubsampledFourier
    >>> A = SubsampledFourier(np.arange(64).reshape(8, 8) % 3 == 0)
    >>> X = np.random.default_rng(0).uniform(size=(4, 8, 8))
    >>> h = train_reconstruction(UNet(width=2, depth=1, seed=0), A, X, epochs=2, lr=1e-3,
    ...                          batch_size=2, seed=0, progress=False)
    >>> len(h.losses)
    2
    """
    A = _check_operator(A)
    input = _check_input(input)  # noqa: A001
    epochs = _int(epochs, "epochs", 1)
    if epochs > MAX_EPOCHS:
        raise InvalidArgument(f"epochs={epochs}: pass at most {MAX_EPOCHS}")
    batch_size = _int(batch_size, "batch_size", 1)
    seed = _int(seed, "seed", 0)
    if seed >= 2 ** 63:
        raise InvalidArgument(f"seed={seed}: pass a seed below 2^63 (torch.Generator's range)")
    lr = _real(lr, "lr", positive=True)
    noise = _real(noise, "noise", positive=False)
    weight_decay = _real(weight_decay, "weight_decay", positive=False)
    if not isinstance(schedule, str) or schedule not in ("cosine", "constant"):
        raise InvalidArgument(f"schedule={schedule!r}: pass 'cosine' or 'constant'")
    if not isinstance(progress, (bool, np.bool_)):
        raise InvalidArgument(f"progress={progress!r}: pass True or False")
    if threads is not None:
        threads = _int(threads, "threads", 1)
        if threads > MAX_THREADS:
            raise InvalidArgument(f"threads={threads}: pass at most {MAX_THREADS}")
    if callback is not None and not callable(callback):
        raise InvalidArgument("callback is not callable: pass a function of the history")
    dtype, device = _model_dtype_device(model)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise InvalidArgument(
            "the model has no parameter with requires_grad=True: nothing to train")
    X = _images(X_train, A, dtype, "X_train").to(device)
    K = X.shape[0]
    gen = torch.Generator().manual_seed(seed)

    def inputs(xb: torch.Tensor) -> torch.Tensor:
        y = A.apply(xb.to(_complex(dtype)))
        if noise > 0:
            g = torch.randn((2,) + tuple(y.shape), generator=gen, dtype=dtype).to(device)
            y = y + (noise / math.sqrt(2.0)) * torch.complex(g[0], g[1])
        return _network_input(model, A, y, input)

    from tqdm.auto import tqdm

    was_training = model.training
    det, warn_only = (torch.are_deterministic_algorithms_enabled(),
                      torch.is_deterministic_algorithms_warn_only_enabled())
    old_threads = torch.get_num_threads()
    torch.use_deterministic_algorithms(True, warn_only=True)
    if threads is not None:
        torch.set_num_threads(threads)
    losses: list[float] = []
    stopped = False
    t0 = time.perf_counter()
    try:
        # Without noise the inputs never change: compute them once.
        cached = None
        if noise == 0:
            with torch.no_grad():
                cached = torch.cat([inputs(X[i:i + 256]) for i in range(0, K, 256)])
        steps_per_epoch = math.ceil(K / batch_size)
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
        sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
                 if schedule == "cosine" else None)
        model.train()
        bar = tqdm(range(epochs), disable=not progress, desc="training", leave=False)
        for _ in bar:
            perm = torch.randperm(K, generator=gen).to(device)
            total = 0.0
            for start in range(0, K, batch_size):
                idx = perm[start:start + batch_size]
                xb = X[idx]
                inp = cached[idx] if cached is not None else inputs(xb)
                out = _network_output(model(inp), A, xb.shape[0])
                loss = torch.mean((out - xb) ** 2)
                if not bool(torch.isfinite(loss)):
                    raise InvalidArgument(
                        "the training loss became NaN/inf: lower lr or check the model")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if sched is not None:
                    sched.step()
                total += float(loss.detach()) * xb.shape[0]
            losses.append(total / K)
            bar.set_postfix(loss=f"{losses[-1]:.3g}")
            if callback is not None:
                so_far = TrainingHistory(tuple(losses), time.perf_counter() - t0, seed, epochs)
                if callback(so_far) is True:
                    stopped = True
                    break
    finally:
        model.train(was_training)
        torch.use_deterministic_algorithms(det, warn_only=warn_only)
        torch.set_num_threads(old_threads)
    return TrainingHistory(tuple(losses), time.perf_counter() - t0, seed, epochs, stopped)


# ---------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------
def reconstruct(model: nn.Module, A: LinearOperator, y: Any, *,
                input: str = "adjoint",  # noqa: A002 - the documented keyword
                dtype: torch.dtype = torch.float64, batch_size: int = 256) -> np.ndarray:
    """Evaluate ``Ψ(y)`` on the CPU (float64 by default) without touching ``model``.

    A deep copy of the model is converted to ``dtype``, put on the CPU in eval
    mode and evaluated under ``torch.no_grad()``; the caller's model keeps its
    dtype, device, mode and ``requires_grad`` flags.

    Parameters
    ----------
    model : torch.nn.Module
        A network with the conventions of the module docstring.
    A : LinearOperator
        The sampling operator.
    y : array_like, shape ``(m,)`` or ``(B, m)`` (``A.out_shape``)
        Measurements (complex).
    input : {"adjoint", "measurements"}
        What the model receives.
    dtype : torch.dtype
        ``torch.float64`` (default) or ``torch.float32``.
    batch_size : int
        Evaluation batch size.

    Returns
    -------
    numpy.ndarray
        float64 images of shape ``(*in_shape)`` or ``(B, *in_shape)``.

    Theorem: none (evaluates the Ψ whose hypotheses THEORY.md §3 checks).
    Rigor: numerical (a plain float evaluation; certificates re-evaluate it).

    Examples
    --------
    >>> import numpy as np
    >>> from theorycheck.nets.unet import UNet
    >>> from theorycheck.problems.operators import SubsampledFourier
    >>> A = SubsampledFourier(np.ones((4, 4), dtype=bool))
    >>> reconstruct(UNet(width=2, depth=1, seed=0), A, A.apply(np.eye(4))).shape
    (4, 4)
    """
    A = _check_operator(A)
    input = _check_input(input)  # noqa: A001
    _model_dtype_device(model)
    if not isinstance(dtype, torch.dtype) or dtype not in (torch.float64, torch.float32):
        raise InvalidArgument(f"dtype={dtype!r}: pass torch.float64 or torch.float32")
    batch_size = _int(batch_size, "batch_size", 1)
    if is_torch(y):
        yt = y.detach().to(device="cpu", dtype=_complex(dtype), copy=True)
    else:
        arr = _np(y, "y")
        if arr.dtype.kind not in "biufc":
            raise InvalidArgument(f"y has dtype {arr.dtype}: pass numbers")
        yt = torch.tensor(arr.astype(np.complex128), dtype=_complex(dtype))
    core = tuple(A.out_shape)
    single = tuple(yt.shape) == core
    if single:
        yt = yt[None]
    if yt.dim() != len(core) + 1 or tuple(yt.shape[1:]) != core:
        raise InvalidArgument(f"y has shape {tuple(yt.shape)}: pass {core} or (B, {core[0]})")
    if not bool(torch.isfinite(torch.view_as_real(yt)).all()):
        raise InvalidArgument("y contains NaN or inf")
    net = copy.deepcopy(model).to(device="cpu", dtype=dtype).eval()
    outs = []
    with torch.no_grad():
        for i in range(0, yt.shape[0], batch_size):
            yb = yt[i:i + batch_size]
            outs.append(_network_output(net(_network_input(net, A, yb, input)), A, yb.shape[0]))
    out = torch.cat(outs).to(torch.float64).numpy()
    return out[0] if single else out
