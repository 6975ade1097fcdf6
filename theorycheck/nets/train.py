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

Input conventions (``input=``; by default the model's own ``model.input`` when it
declares one, as the architectures of :mod:`theorycheck.nets` do, else ``"adjoint"``):

- ``"adjoint"``: the model receives ``A^* y`` split into real channels by
  :func:`theorycheck.nets.unet.adjoint_channels`: ``(B, C, *in_shape)`` with
  ``C = model.in_channels`` (2: real and imaginary parts; 1: real part; a
  model without that attribute gets 2);
- ``"measurements"``: the model receives ``y`` as a real tensor ``(B, 2, *out_shape)``
  (real and imaginary parts; the imaginary part of a real operator's ``y`` is 0).

The model's output, ``(B, *in_shape)`` or ``(B, 1, *in_shape)``, is the real image.

Theorem: none (produces the networks whose instability docs/theory.md §3–§4 certifies).
Rigor: not applicable (training); :func:`reconstruct` is a plain evaluation.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import time
from typing import Any, Callable, Iterator

import numpy as np
import torch
from torch import nn

from theorycheck.errors import InvalidArgument
from theorycheck.nets._adapter_common import INPUTS, input_for
from theorycheck.nets._arch_common import complex_dtype, refuse_other_operator, seed_value
from theorycheck.nets.unet import adjoint_channels
from theorycheck.numerics.backend import is_torch
from theorycheck.numerics.parallel import progress_bar
from theorycheck.numerics.validation import bool_arg, choice_arg, integer_arg, real_arg
from theorycheck.problems.operators import LinearOperator

__all__ = ["TrainingHistory", "train_reconstruction", "reconstruct", "INPUTS"]

#: Largest number of torch CPU threads ``train_reconstruction`` sets.
MAX_THREADS = 1024
#: Largest number of epochs accepted (beyond it the learning-rate schedule's counters overflow).
MAX_EPOCHS = 10 ** 7
#: attack steps per mini-batch of adversarial training (each is a forward and a backward pass)
MAX_PGD_STEPS = 1000


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
def _operator_arg(A: Any) -> LinearOperator:
    if not isinstance(A, LinearOperator):
        raise InvalidArgument(
            f"A is a {type(A).__name__}: pass a theorycheck LinearOperator "
            "(e.g. SubsampledFourier(mask), or as_operator(matrix))")
    return A


def _bounded(value: Any, name: str, minimum: int, maximum: int) -> int:
    n = integer_arg(value, name, minimum=minimum)
    if n > maximum:
        raise InvalidArgument(f"{name}={n}: pass at most {maximum}")
    return n


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


def _network_input(model: nn.Module, A: LinearOperator, y: torch.Tensor,
                   input: str) -> torch.Tensor:  # noqa: A002
    if input == "adjoint":
        z = A.adjoint(y)
        if z.dim() != 3:
            raise InvalidArgument(
                f"input='adjoint' needs 2D images, but A's images have shape {tuple(A.in_shape)}")
        return adjoint_channels(z, int(getattr(model, "in_channels", 2)))
    y = y if y.is_complex() else y.to(complex_dtype(y.dtype))
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
@contextlib.contextmanager
def _training_mode(model: nn.Module, threads: int | None) -> Iterator[None]:
    """Deterministic algorithms (and ``threads`` CPU threads) for the block; model mode and torch state restored."""
    was_training = model.training
    det, warn_only = (torch.are_deterministic_algorithms_enabled(),
                      torch.is_deterministic_algorithms_warn_only_enabled())
    old_threads = torch.get_num_threads()
    torch.use_deterministic_algorithms(True, warn_only=True)
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        model.train()
        yield
    finally:
        model.train(was_training)
        torch.use_deterministic_algorithms(det, warn_only=warn_only)
        torch.set_num_threads(old_threads)


def _measurements(A: LinearOperator, xb: torch.Tensor, noise: float, gen: torch.Generator) -> torch.Tensor:
    """``y = A x + e``: complex Gaussian ``e`` (parts ``noise/√2``) for a complex ``A``, real ``e`` (``noise``) else."""
    dtype, device = xb.dtype, xb.device
    if not A.is_complex:
        y = A.apply(xb)
        if noise > 0:
            y = y + noise * torch.randn(tuple(y.shape), generator=gen, dtype=dtype).to(device)
        return y
    y = A.apply(xb.to(complex_dtype(dtype)))
    if noise > 0:
        g = torch.randn((2,) + tuple(y.shape), generator=gen, dtype=dtype).to(device)
        y = y + (noise / math.sqrt(2.0)) * torch.complex(g[0], g[1])
    return y


def _pgd_measurements(model: nn.Module, A: LinearOperator, y: torch.Tensor, xb: torch.Tensor, input: str,  # noqa: A002
                      eps: float, steps: int, gen: torch.Generator) -> torch.Tensor:
    """``y + e`` with ``‖e‖ ≤ eps`` per image raising ``‖Ψ(y + e) − x‖²``: ``steps`` projected steps of
    ``eps/2`` along the normalised gradient from a seeded random start of norm ``eps/10``."""
    B = y.shape[0]
    shape = (B,) + (1,) * (y.dim() - 1)
    real = y.real.dtype if y.is_complex() else y.dtype
    tiny = torch.finfo(real).tiny

    def norms(t: torch.Tensor) -> torch.Tensor:
        return torch.linalg.vector_norm(t.reshape(B, -1), dim=1).reshape(shape).clamp_min(tiny)

    if y.is_complex():
        g = torch.randn((2,) + tuple(y.shape), generator=gen, dtype=real).to(y.device)
        e = torch.complex(g[0], g[1])
    else:
        e = torch.randn(tuple(y.shape), generator=gen, dtype=real).to(y.device)
    e = e * (0.1 * eps / norms(e))
    y = y.detach()
    # the attack's forward passes run in training mode (batch statistics) but must not move the
    # running statistics (batch-norm buffers): only the training step on y + e does
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    try:
        for _ in range(steps):
            if not bool(torch.isfinite(y + e).all()):  # complex: both parts finite
                raise InvalidArgument(f"adversarial={eps:g}: the perturbed measurements overflow the model's "
                                      f"dtype ({y.dtype}); pass a budget of the order of ‖A x‖")
            e = e.detach().requires_grad_(True)
            out = _network_output(model(_network_input(model, A, y + e, input)), A, B)
            err = torch.sum((out - xb) ** 2)
            if not bool(torch.isfinite(err)):
                raise InvalidArgument("the adversarial loss became NaN/inf: lower adversarial or lr, or check "
                                      "the model")
            (grad,) = torch.autograd.grad(err, e)
            with torch.no_grad():
                # for a complex e, autograd's gradient of a real loss is the steepest-ascent direction
                e = e + (0.5 * eps) * grad / norms(grad)
                e = e * torch.clamp(eps / norms(e), max=1.0)
    finally:
        with torch.no_grad():
            for b, saved in buffers:
                b.copy_(saved)
    return (y + e).detach()


def _epoch(model: nn.Module, A: LinearOperator, X: torch.Tensor, inputs: Callable[[torch.Tensor], torch.Tensor],
           opt: torch.optim.Optimizer, sched: Any, batch_size: int, gen: torch.Generator) -> float:
    """One pass over a seeded permutation of ``X``; the mean loss (MSE per pixel) of the epoch."""
    K = X.shape[0]
    perm = torch.randperm(K, generator=gen).to(X.device)
    total = 0.0
    for start in range(0, K, batch_size):
        idx = perm[start:start + batch_size]
        xb = X[idx]
        out = _network_output(model(inputs(idx)), A, xb.shape[0])
        loss = torch.mean((out - xb) ** 2)
        if not bool(torch.isfinite(loss)):
            raise InvalidArgument("the training loss became NaN/inf: lower lr or check the model")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        total += float(loss.detach()) * xb.shape[0]
    return total / K


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
    input: str | None = None,  # noqa: A002 - the documented keyword
    progress: bool = True,
    callback: Callable[[TrainingHistory], Any] | None = None,
    weight_decay: float = 0.0,
    schedule: str = "cosine",
    threads: int | None = None,
    adversarial: float = 0.0,
    pgd_steps: int = 3,
) -> TrainingHistory:
    """Train ``model`` in place so that ``Ψ(A x + e) ≈ x`` on the images ``X_train``.

    Adam on the mean squared error per pixel, mini-batches drawn by a seeded
    permutation each epoch, optional Gaussian measurement noise (complex for a
    complex operator, real for a real one such as Radon) and optional
    adversarial training (``adversarial > 0``: each mini-batch is trained on
    its worst measurement perturbation within the budget, found by projected
    gradient ascent, Madry et al. 2018).
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
        Standard deviation of the Gaussian noise added to each measurement,
        drawn afresh every epoch; 0 for noise-free training. For a complex
        operator (``A.is_complex``, e.g. subsampled Fourier) the noise is
        complex (real and imaginary parts each ``noise / sqrt(2)``); for a real
        operator (Radon, DCT, Walsh–Hadamard, a real matrix) it is real with
        standard deviation ``noise``, so ``E‖e‖² = m·noise²`` in both cases.
    input : {"adjoint", "measurements"}, optional
        What the model receives (module docstring). Default: the model's own
        ``model.input`` when it declares one (the architectures of
        :mod:`theorycheck.nets` do), else ``"adjoint"``. An ``input`` that
        contradicts ``model.input`` is refused.
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
    adversarial : float
        Measurement-domain adversarial training budget (``≥ 0``; 0: none). Each
        mini-batch is trained on ``y + e`` with ``‖e‖ ≤ adversarial`` per image
        (ℓ2 over the measurement vector, complex entries by modulus; on top of
        the Gaussian ``noise`` when both are given): ``e`` starts at a seeded
        random vector of norm ``adversarial/10`` and takes ``pgd_steps`` steps of
        length ``adversarial/2`` along the normalised gradient of the batch's
        squared error, projected back onto the ball (``‖e‖`` is exact up to the
        rounding of ``y + e`` in the model's dtype). The attack runs in the
        model's training mode (batch statistics, as in Madry et al.'s training),
        with its buffers (batch-norm running statistics) restored after it: only
        the training step on ``y + e`` updates them. It costs ``pgd_steps`` extra
        forward and backward passes per step.
    pgd_steps : int
        Projected gradient steps of the attack (``≥ 1``, checked always; used when ``adversarial > 0``).

    Returns
    -------
    TrainingHistory

    Theorem: none (produces a network Ψ; docs/theory.md §3 says that if ``X_train``
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
    A = _operator_arg(A)
    refuse_other_operator(model, A)
    input = input_for(model, input)  # noqa: A001
    epochs = _bounded(epochs, "epochs", 1, MAX_EPOCHS)
    batch_size = integer_arg(batch_size, "batch_size")
    seed = integer_arg(seed, "seed", minimum=0)
    seed_value(seed)  # below 2^63, torch.Generator's range
    lr = real_arg(lr, "lr")
    noise = real_arg(noise, "noise", allow_zero=True)
    adversarial = real_arg(adversarial, "adversarial", allow_zero=True)
    pgd_steps = _bounded(pgd_steps, "pgd_steps", 1, MAX_PGD_STEPS)
    weight_decay = real_arg(weight_decay, "weight_decay", allow_zero=True)
    schedule = choice_arg(schedule, "schedule", ("cosine", "constant"))
    progress = bool_arg(progress, "progress")
    if threads is not None:
        threads = _bounded(threads, "threads", 1, MAX_THREADS)
    if callback is not None and not callable(callback):
        raise InvalidArgument("callback is not callable: pass a function of the history")
    dtype, device = _model_dtype_device(model)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise InvalidArgument("the model has no parameter with requires_grad=True: nothing to train")
    X = _images(X_train, A, dtype, "X_train").to(device)
    K = X.shape[0]
    gen = torch.Generator().manual_seed(seed)

    def fresh(idx: torch.Tensor) -> torch.Tensor:
        y = _measurements(A, X[idx], noise, gen)
        if adversarial > 0:
            y = _pgd_measurements(model, A, y, X[idx], input, adversarial, pgd_steps, gen)
        return _network_input(model, A, y, input)

    losses: list[float] = []
    stopped = False
    t0 = time.perf_counter()
    with _training_mode(model, threads):
        inputs: Callable[[torch.Tensor], torch.Tensor] = fresh
        if noise == 0 and adversarial == 0:  # the inputs never change: compute them once
            with torch.no_grad():
                cached = torch.cat([fresh(torch.arange(i, min(i + 256, K))) for i in range(0, K, 256)])
            inputs = cached.__getitem__
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
        sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * math.ceil(K / batch_size))
                 if schedule == "cosine" else None)
        bar = progress_bar(epochs, progress, "training")
        try:
            for _ in range(epochs):
                losses.append(_epoch(model, A, X, inputs, opt, sched, batch_size, gen))
                bar.update(1)
                bar.set_postfix(loss=f"{losses[-1]:.3g}")
                if callback is not None and callback(
                        TrainingHistory(tuple(losses), time.perf_counter() - t0, seed, epochs)) is True:
                    stopped = True
                    break
        finally:
            bar.close()
    return TrainingHistory(tuple(losses), time.perf_counter() - t0, seed, epochs, stopped)


# ---------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------
def reconstruct(model: nn.Module, A: LinearOperator, y: Any, *,
                input: str | None = None,  # noqa: A002 - the documented keyword
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
    input : {"adjoint", "measurements"}, optional
        What the model receives; default ``model.input`` when the model
        declares one, else ``"adjoint"`` (a contradicting value is refused).
    dtype : torch.dtype
        ``torch.float64`` (default) or ``torch.float32``.
    batch_size : int
        Evaluation batch size.

    Returns
    -------
    numpy.ndarray
        float64 images of shape ``(*in_shape)`` or ``(B, *in_shape)``.

    Theorem: none (evaluates the Ψ whose hypotheses docs/theory.md §3 checks).
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
    A = _operator_arg(A)
    input = input_for(model, input)  # noqa: A001
    _model_dtype_device(model)
    if not isinstance(dtype, torch.dtype) or dtype not in (torch.float64, torch.float32):
        raise InvalidArgument(f"dtype={dtype!r}: pass torch.float64 or torch.float32")
    batch_size = integer_arg(batch_size, "batch_size")
    if is_torch(y):
        yt = y.detach().to(device="cpu", dtype=complex_dtype(dtype), copy=True)
    else:
        arr = _np(y, "y")
        if arr.dtype.kind not in "biufc":
            raise InvalidArgument(f"y has dtype {arr.dtype}: pass numbers")
        yt = torch.tensor(arr.astype(np.complex128), dtype=complex_dtype(dtype))
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
