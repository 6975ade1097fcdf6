"""LISTA: learned iterative shrinkage–thresholding (Gregor–LeCun 2010; docs/theory.md §6.4) and a seeded trainer.

``LISTA(A, layers=10)`` is the unrolled network

``x₀ = 0``,  ``x_{k+1} = soft_{θ_k}(x_k + W_k^*(y − A x_k)/c)``,  ``k = 0..L−1``,

with per-layer trainable matrices ``W_k`` (``m × N``) and thresholds ``θ_k``.
It is initialised as ISTA for ``λ‖x‖₁ + ‖Ax − y‖²`` (``W_k = A``,
``c = ‖A‖²``, ``θ_k = λ/(2c)``), so an untrained LISTA is ``L`` ISTA steps.
The parameters are stored scale-free — ``W_k = A + ‖A‖·ΔW_k`` and
``θ_k = θ_init·exp(ρ_k)`` with ``ΔW_k = 0``, ``ρ_k = 0`` initially — so that
Adam's steps are relative whatever the scale of ``A`` and ``x`` (the
impossibility families have ``‖A‖ ≈ 10^K`` and ``x ≈ 10^{-K}``).
Real or complex ``A`` (complex soft-thresholding), any batch shape.

:func:`train_lista` trains a copy (or the model itself with ``inplace=True``)
by (relative) mean-squared error with Adam, shuffling with a seeded
``torch.Generator``: same seed, same result on CPU.

Theorem: docs/theory.md §6.4 (LISTA, the trained baseline of the seed's table).
Rigor: numerical (a trained network proves nothing; see theorycheck.impossibility
for what no network can achieve).
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import numpy as np
import torch

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array, check_finite, resolve_device
from theorycheck.numerics.parallel import progress_bar
from theorycheck.numerics.validation import bool_arg, choice_arg, integer_arg, real_arg, refuse_size
from theorycheck.problems.operators import LinearOperator

__all__ = ["LISTA", "train_lista"]

#: largest number of trainable matrix entries (``layers · m · N``) and largest SVD (``m N min(m, N)``)
MAX_PARAMETERS = 2 ** 25
MAX_SVD_FLOPS = 2e12


def _dense(A: Any) -> np.ndarray:
    if isinstance(A, LinearOperator):
        return np.asarray(A.to_dense())  # refuses operators too large to densify
    if A is None or isinstance(A, (str, bytes)):
        raise InvalidArgument("A must be a numeric matrix, a tensor or a LinearOperator")
    return as_array(A, "A", ndim=2)  # exact conversion of tensors (any dtype), lists, fractions


class LISTA(torch.nn.Module):
    """Learned ISTA with ``layers`` untied layers (docs/theory.md §6.4).

    Parameters
    ----------
    A : array_like, torch.Tensor or LinearOperator
        The ``m × N`` measurement matrix (operators are densified).
    layers : int
        Number of layers ``L`` (the seed's table uses 10).
    lam : float
        ``λ`` of the ISTA initialisation (thresholds ``λ/(2‖A‖²)``).
    c : float, optional
        Step normalisation (default ``‖A‖²``).
    dtype : torch.dtype
        ``torch.float64`` (default) or ``torch.float32``; complex ``A`` uses the
        matching complex dtype.
    device : str or torch.device, optional
        Default: CUDA when available, else CPU.

    Theorem: docs/theory.md §6.4 (LISTA ``x_{k+1} = soft_{θ_k}(x_k + W_k^*(y − Ax_k)/c)``).
    Rigor: numerical.

    Examples
    --------
    >>> net = LISTA(np.eye(2), layers=3, lam=0.0, device="cpu")
    >>> [round(v, 6) for v in net(torch.tensor([1.0, -2.0], dtype=torch.float64)).tolist()]
    [1.0, -2.0]
    """

    A: torch.Tensor  # buffers: the matrix and the initial threshold
    theta0: torch.Tensor

    def __init__(self, A: Any, layers: int = 10, *, lam: float = 1e-3, c: float | None = None,
                 dtype: Any = torch.float64, device: Any = None):
        super().__init__()
        Ad = _dense(A)
        if Ad.ndim != 2 or Ad.size == 0:
            raise InvalidArgument(f"A must be a non-empty matrix, got shape {Ad.shape}")
        if not np.all(np.isfinite(Ad)):
            raise InvalidArgument("A contains NaN or inf: pass finite values")
        layers = integer_arg(layers, "layers")
        m_, N_ = Ad.shape
        refuse_size(float(layers) * m_ * N_, MAX_PARAMETERS,
                    f"LISTA with {layers} layers of {m_} × {N_} matrices (trainable entries)",
                    "use fewer layers or a smaller A")
        refuse_size(float(m_) * N_ * min(m_, N_), MAX_SVD_FLOPS,
                    f"the SVD of the {m_} × {N_} matrix (multiply-adds)", "use a smaller A")
        lam = real_arg(lam, "lam", allow_zero=True)
        if not isinstance(dtype, torch.dtype) or dtype not in (torch.float32, torch.float64):
            raise InvalidArgument(f"dtype={dtype!r}: pass torch.float32 or torch.float64")
        norm = float(np.linalg.norm(Ad, 2))
        if norm == 0:
            raise InvalidArgument("A is zero: nothing to reconstruct from")
        c = norm * norm if c is None else real_arg(c, "c")
        self.complex = bool(np.iscomplexobj(Ad))
        self.m, self.N = Ad.shape
        self.n_layers = int(layers)
        self.c = float(c)
        self.scale = norm
        dev = resolve_device(device)
        dt = ({torch.float32: torch.complex64, torch.float64: torch.complex128}[dtype]
              if self.complex else dtype)
        self.register_buffer("A", torch.as_tensor(Ad).to(device=dev, dtype=dt))
        self.register_buffer("theta0", torch.tensor(lam / (2.0 * self.c), dtype=dtype, device=dev))
        self.dW = torch.nn.Parameter(torch.zeros((layers, self.m, self.N), dtype=dt, device=dev))
        self.log_theta = torch.nn.Parameter(torch.zeros(layers, dtype=dtype, device=dev))

    def extra_repr(self) -> str:
        return f"m={self.m}, N={self.N}, layers={self.n_layers}, complex={self.complex}"

    def thresholds(self) -> torch.Tensor:
        """The current thresholds ``θ_k`` (detached)."""
        return (self.theta0 * torch.exp(self.log_theta)).detach()

    def forward(self, y: Any) -> torch.Tensor:
        """Reconstruct ``x`` from ``y`` of shape ``(*batch, m)``.

        Theorem: docs/theory.md §6.4.
        Rigor: numerical.
        """
        y = _tensor(y, "y")
        if y.ndim < 1 or y.shape[-1] != self.m:
            raise InvalidArgument(f"y has shape {tuple(y.shape)}: pass shape (*batch, {self.m})")
        check_finite(y, "y")
        if y.is_complex() and not self.complex:
            raise InvalidArgument("y is complex but A is real: pass real y")
        y = y.to(device=self.A.device, dtype=self.A.dtype)
        A = self.A
        x = torch.zeros(y.shape[:-1] + (self.N,), dtype=A.dtype, device=A.device)
        theta = self.theta0 * torch.exp(self.log_theta)
        for k in range(self.n_layers):
            Wk = A + self.scale * self.dW[k]
            r = y - x @ A.transpose(0, 1)
            v = x + (r @ Wk.conj()) / self.c
            mod = v.abs()
            x = v * (torch.clamp(mod - theta[k], min=0.0) / torch.where(mod > 0, mod, torch.ones_like(mod)))
        if not bool(torch.isfinite(x.detach()).all()):
            raise InvalidArgument("LISTA's output is not finite (the weights or c make the iteration "
                                  "diverge, or y overflows the working precision)")
        return x


def _tensor(v: Any, name: str) -> torch.Tensor:
    """``v`` as a tensor (arrays and lists converted exactly to float64/complex128), or :class:`InvalidArgument`."""
    if isinstance(v, torch.Tensor):
        return v
    return torch.as_tensor(as_array(v, name))


def _as_tensor(v: Any, name: str, dtype: Any, device: Any) -> torch.Tensor:
    v = _tensor(v, name)
    check_finite(v, name)
    if v.is_complex() and not dtype.is_complex:
        raise InvalidArgument(f"{name} is complex but A is real: pass real {name}")
    return v.detach().to(device=device, dtype=dtype)


def train_lista(model: LISTA, y: Any, x: Any, *, epochs: int = 50, batch_size: int = 64,
                lr: float = 1e-3, seed: int = 0, loss: str = "relative", inplace: bool = False,
                progress: bool = False,
                callback: Callable[[int, float], Any] | None = None) -> tuple[LISTA, dict[str, Any]]:
    """Train a LISTA network on pairs ``(y_k, x_k)`` by mean-squared error (Adam, seeded).

    Parameters
    ----------
    model : LISTA
        The network (not modified unless ``inplace=True``; its train/eval mode is restored).
    y, x : array_like or torch.Tensor
        Inputs of shape ``(R, m)`` and targets of shape ``(R, N)``.
    epochs, batch_size : int
        Passes over the data and mini-batch size.
    lr : float
        Adam learning rate (the parameters are scale-free, see :class:`LISTA`).
    seed : int
        Seed of the shuffling generator, in ``[0, 2^63)`` (same seed, same result on CPU).
    loss : {"relative", "mse"}
        ``"mse"``: mean ``‖Ψ(y_k) − x_k‖²``; ``"relative"``: the same divided by
        the mean ``‖x_k‖²`` (same minimiser, independent of the scale of ``x``).
    inplace : bool
        Train ``model`` itself instead of a deep copy.
    progress : bool
        Show a tqdm bar over epochs.
    callback : callable, optional
        ``callback(epoch, mean_loss)`` after every epoch.

    Returns
    -------
    (LISTA, dict)
        The trained network (in the mode ``model`` was in) and the
        history ``{"loss": [...per epoch...], "seed": seed, "epochs": epochs}``.

    Theorem: docs/theory.md §6.4 (LISTA trained by MSE).
    Rigor: numerical.
    """
    if not isinstance(model, LISTA):
        raise InvalidArgument("model must be a theorycheck.nets.lista.LISTA")
    epochs = integer_arg(epochs, "epochs")
    batch_size = integer_arg(batch_size, "batch_size")
    if epochs > 10 ** 7:
        raise InvalidArgument(f"epochs={epochs}: pass at most 10**7")
    seed = integer_arg(seed, "seed", minimum=0)
    if seed >= 2 ** 63:
        raise InvalidArgument(f"seed={seed!r}: pass an integer in [0, 2^63)")
    inplace = bool_arg(inplace, "inplace")
    progress = bool_arg(progress, "progress")
    if callback is not None and not callable(callback):
        raise InvalidArgument("callback must be callable: callback(epoch, mean_loss)")
    lr = real_arg(lr, "lr")
    loss = choice_arg(loss, "loss", ("relative", "mse"))
    net = model if inplace else copy.deepcopy(model)
    was_training = model.training
    dev, dt = net.A.device, net.A.dtype
    Y = _as_tensor(y, "y", dt, dev)
    X = _as_tensor(x, "x", dt, dev)
    if Y.ndim != 2 or Y.shape[1] != net.m:
        raise InvalidArgument(f"y has shape {tuple(Y.shape)}: pass (R, {net.m})")
    if X.ndim != 2 or X.shape != (Y.shape[0], net.N):
        raise InvalidArgument(f"x has shape {tuple(X.shape)}: pass ({Y.shape[0]}, {net.N})")
    R = Y.shape[0]
    sq = lambda t: (t.real ** 2 + t.imag ** 2) if t.is_complex() else t * t  # noqa: E731
    norm = float(sq(X).sum(dim=1).mean()) if loss == "relative" else 1.0
    if norm == 0:
        norm = 1.0
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    opt = torch.optim.Adam(net.parameters(), lr=float(lr))
    history: list[float] = []
    bar = progress_bar(epochs, progress, "train_lista")
    net.train()
    try:
        for ep in range(epochs):
            perm = torch.randperm(R, generator=gen).to(dev)
            total = 0.0
            for start in range(0, R, batch_size):
                idx = perm[start:start + batch_size]
                opt.zero_grad()
                err = sq(net(Y[idx]) - X[idx]).sum(dim=1).mean() / norm
                err.backward()
                opt.step()
                total += float(err.detach()) * len(idx)
            history.append(total / R)
            if callback is not None:
                callback(ep, history[-1])
            bar.update(1)
            bar.set_postfix(loss=f"{history[-1]:.3e}")
    finally:
        bar.close()
        net.train(was_training)  # the returned network keeps the model's mode
        model.train(was_training)
    return net, {"loss": history, "seed": int(seed), "epochs": int(epochs), "loss_kind": loss}
