"""Variational network: unrolled gradient steps with learned filters and activations (MRI-VN).

Hammernik, Klatzer, Kobler, Recht, Sodickson, Pock, Knoll, "Learning a variational network
for reconstruction of accelerated MRI data" (Magn. Reson. Med. 2018): ``T`` gradient steps
on a learned fields-of-experts regulariser plus the data term,

``x_{k+1} = x_k − Σ_i K_{k,i}ᵀ φ_{k,i}(K_{k,i} x_k) − λ_k A^*(A x_k − y)``,

with per-step filters ``K_{k,i}``, activations ``φ_{k,i}`` and data weights ``λ_k``.

Theorem: none (architecture used to test the universal instability theorem, docs/theory.md §3–§4).
Rigor: not applicable.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from theorycheck.errors import InvalidArgument
from theorycheck.nets._arch_common import OperatorNet, generator, seed_value
from theorycheck.numerics.validation import choice_arg, integer_arg, real_arg
from theorycheck.problems.radon import FBP_FILTERS

__all__ = ["VariationalNet"]

#: largest kernel side and number of activation knots accepted
MAX_KERNEL = 255
MAX_KNOTS = 4096
#: largest activation range accepted
MAX_VMAX = 2.0 ** 40


class VariationalNet(OperatorNet):
    """Unrolled variational network (MRI-VN style) with learned filters and activations.

    ``x₀`` is ``A^* y`` (Fourier; complex, two real channels inside the network) or
    ``fbp(A, y)`` (Radon; real, one channel). Step ``k = 0, …, steps − 1``:

    ``x_{k+1} = x_k − Σ_{i=1}^{F} K_{k,i}ᵀ φ_{k,i}(K_{k,i} x_k) − λ_k A^*(A x_k − y)``

    * ``K_{k,i}``: a ``kernel × kernel`` convolution from the ``C`` image channels to one
      (zero padding), ``K_{k,i}ᵀ`` its exact adjoint (the transposed convolution with the
      same weights). Initialised with zero mean and unit ℓ1 norm (so ``‖K‖ ≤ 1``).
    * ``φ_{k,i}``: a learned piecewise-linear activation with ``knots`` equispaced knots on
      ``[−vmax, vmax]`` (the values at the knots are the parameters; linear extrapolation
      outside), initialised as ``φ(u) = u/(2F)`` so that the untrained regulariser step
      has norm ``≤ 1/2``. (Hammernik et al. use Gaussian RBF combinations; linear
      splines have the same expressiveness and need ``O(F)`` memory per pixel.)
    * ``λ_k = e^{θ_k}/L`` with trainable ``θ_k`` (``0`` initially, the step ``1/L``), where
      ``L ≥ ‖A‖²``: ``1`` for Fourier, a rigorous upper bound for Radon.

    The output is the real image ``Re x_T``.

    Input layout (``core = A.out_shape``):

    ==================  ===========================================  ==========================
    modality            ``forward`` takes (real tensors, model dtype)  ``forward`` returns
    ==================  ===========================================  ==========================
    Fourier (complex)   ``(B, 2, m)`` real/imaginary parts, or        ``(B, 1, n1, n2)`` real
                        ``(B, m)`` complex                            image
    Radon (real)        ``(B, 1, n_angles, d)`` or ``(B, n_angles,     ``(B, 1, n1, n2)`` real
                        d)``; ``(B, 2, n_angles, d)`` is accepted      image
                        and its imaginary channel ignored
    ==================  ===========================================  ==========================

    Train with ``train_reconstruction(model, A, X, input="measurements")``; evaluate
    with ``as_reconstruction_map(model, A=A)``.

    Parameters
    ----------
    A : SubsampledFourier or Radon
        The sampling operator (2-D images).
    steps : int
        Number of unrolled steps ``T`` (Hammernik et al.: 10).
    filters : int
        Filters per step ``F`` (Hammernik et al.: 48).
    kernel : int
        Odd filter side (Hammernik et al.: 11).
    knots : int
        Knots of each activation (``≥ 2``; Hammernik et al.: 31 RBF centres).
    vmax : float
        The knots cover ``[−vmax, vmax]`` (the range of the filter responses of images
        with values of order 1).
    filter : str
        FBP filter of the Radon initialisation (see :func:`~theorycheck.problems.radon.fbp`).
    seed : int, optional
        Seed of the filter initialisation (a local ``torch.Generator``; the global torch
        RNG is not touched); ``None`` uses the global RNG.

    Theorem: none (architecture used to test the universal instability theorem).
    Rigor: not applicable.

    Examples
    --------
    >>> import numpy as np
    >>> from theorycheck.problems.radon import Radon, sparse_view_angles
    >>> R = Radon(8, sparse_view_angles(6))
    >>> net = VariationalNet(R, steps=2, filters=4, kernel=3, seed=0)
    >>> net(torch.zeros(2, *R.out_shape)).shape
    torch.Size([2, 1, 8, 8])
    """

    def __init__(self, A: Any, *, steps: int = 8, filters: int = 16, kernel: int = 7, knots: int = 31,
                 vmax: float = 1.0, filter: str = "ramp", seed: int | None = None):  # noqa: A002
        super().__init__()
        self._set_modality(A)
        self.steps = integer_arg(steps, "steps")
        self.filters = integer_arg(filters, "filters")
        self.kernel = integer_arg(kernel, "kernel")
        if self.kernel % 2 == 0 or self.kernel > MAX_KERNEL:
            raise InvalidArgument(f"kernel={self.kernel}: pass an odd kernel size ≤ {MAX_KERNEL} "
                                  "(same-size convolutions)")
        self.knots = integer_arg(knots, "knots", minimum=2)
        if self.knots > MAX_KNOTS:
            raise InvalidArgument(f"knots={self.knots}: pass at most {MAX_KNOTS}")
        self.vmax = real_arg(vmax, "vmax")
        if self.vmax >= MAX_VMAX:
            raise InvalidArgument(f"vmax={vmax!r}: pass a range below 2^40 (the filter responses of "
                                  "images of order 1 are of order 1)")
        self.filter = choice_arg(filter, "filter", FBP_FILTERS)
        seed = seed_value(seed)
        C = self.modality.channels
        self._refuse_parameters(self.steps * (self.filters * C * self.kernel ** 2
                                              + self.filters * self.knots + 1))
        self._build_seeded(seed, self._build)

    def _build(self) -> None:
        C, Fi, k, J = self.modality.channels, self.filters, self.kernel, self.knots
        self.weight = nn.Parameter(torch.empty(self.steps, Fi, C, k, k))
        self.activation = nn.Parameter(torch.empty(self.steps, Fi, J))
        self.data_logit = nn.Parameter(torch.zeros(self.steps))

    def reset_parameters(self, seed: int | None) -> None:
        """Re-initialise from ``seed``: random zero-mean unit-ℓ1 filters, linear activations, ``λ_k = 1/L``."""
        gen = generator(seed_value(seed))
        with torch.no_grad():
            w = torch.randn(self.weight.shape, generator=gen, dtype=torch.float64)
            w = w - w.mean(dim=(2, 3, 4), keepdim=True)
            w = w / w.abs().sum(dim=(2, 3, 4), keepdim=True)
            self.weight.copy_(w.to(self.weight.dtype))
            mu = torch.linspace(-self.vmax, self.vmax, self.knots, dtype=torch.float64)
            slope = 0.5 / self.filters
            self.activation.copy_((slope * mu).expand(self.activation.shape).to(self.activation.dtype))
            self.data_logit.zero_()

    def config(self) -> dict[str, Any]:
        """The hyperparameters (plain types; the operator is not included)."""
        return {"steps": self.steps, "filters": self.filters, "kernel": self.kernel,
                "knots": self.knots, "vmax": self.vmax, "filter": self.filter}

    def phi(self, k: int, u: torch.Tensor) -> torch.Tensor:
        """The activations of step ``k`` applied to the filter responses ``u`` ``(B, F, n1, n2)``."""
        J = self.knots
        delta = 2.0 * self.vmax / (J - 1)
        pos = (u + self.vmax) / delta
        j = torch.clamp(torch.floor(pos.detach()), 0, J - 2).to(torch.long)
        frac = pos - j.to(pos.dtype)
        offset = (torch.arange(self.filters, device=u.device) * J).view(1, -1, 1, 1)
        idx = j + offset
        table = self.activation[k].reshape(-1)
        return table[idx] * (1.0 - frac) + table[idx + 1] * frac

    def data_weights(self) -> torch.Tensor:
        """``λ_k`` of each step (a tensor of shape ``(steps,)``)."""
        return torch.exp(self.data_logit) / self.modality.norm_sq

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        """``Ψ(y)``: see the class docstring for the layouts."""
        y = self._measurements(inp)
        n1, n2 = self.modality.image_shape
        self._refuse_activations(y.shape[0], self.steps * (6.0 * self.filters + 8.0) * n1 * n2,
                                 self._param().element_size())
        if y.shape[0] == 0:
            return self._real_image(self._empty_image())
        x = self._initial_image(y, self.filter)
        lam = self.data_weights()
        pad = self.kernel // 2
        for k in range(self.steps):
            h = self._to_channels(x)
            u = F.conv2d(h, self.weight[k], padding=pad)
            reg = F.conv_transpose2d(self.phi(k, u), self.weight[k], padding=pad)
            x = self._dc(x, y, lam[k]) - self._from_channels(reg)
        return self._real_image(x)
