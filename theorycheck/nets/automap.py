"""AUTOMAP: fully connected layers from the measurements to the image, then convolutions.

Zhu, Liu, Cauley, Rosen, Rosen (Nature 2018), "Image reconstruction by domain-transform
manifold learning": the measurements (complex as real and imaginary parts) pass through
fully connected layers with tanh activations onto an ``n1 × n2`` grid, then two
convolutions with ReLU and a final 7×7 transposed convolution produce the image.

Theorem: none (architecture used to test the universal instability theorem, docs/theory.md §3–§4).
Rigor: not applicable.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from theorycheck.errors import InvalidArgument
from theorycheck.nets._arch_common import OperatorNet, default_init, generator, seed_value
from theorycheck.numerics.validation import integer_arg

__all__ = ["AutomapNet", "automap_parameter_count"]


def automap_parameter_count(inputs: int, pixels: int, *, fc_layers: int, hidden: int,
                            channels: int, kernel: int) -> int:
    """Exact number of parameters of an :class:`AutomapNet` (computed without building it).

    Parameters
    ----------
    inputs : int
        Real numbers per measurement vector (``2m`` for Fourier, ``m`` for Radon).
    pixels : int
        ``n1 · n2``.
    fc_layers, hidden, channels, kernel : int
        The hyperparameters of :class:`AutomapNet`.

    Returns
    -------
    int

    Theorem: none.
    Rigor: exact (a count).

    Examples
    --------
    >>> automap_parameter_count(8, 16, fc_layers=1, hidden=16, channels=2, kernel=3)
    301
    """
    # each size is bounded like a tensor dimension (2**31): a count of a network that
    # cannot be built is a mistaken argument, not a question
    big = 2 ** 31
    inputs, pixels = integer_arg(inputs, "inputs", maximum=big), integer_arg(pixels, "pixels", maximum=big)
    fc_layers, hidden = integer_arg(fc_layers, "fc_layers", maximum=big), integer_arg(hidden, "hidden", maximum=big)
    channels, kernel = integer_arg(channels, "channels", maximum=big), integer_arg(kernel, "kernel", maximum=big)
    # closed form (no list of fc_layers entries: a huge count must not allocate)
    if fc_layers == 1:
        total = inputs * pixels + pixels
    else:  # inputs → hidden, (fc_layers − 2) × hidden → hidden, hidden → pixels
        total = ((inputs * hidden + hidden) + (fc_layers - 2) * (hidden * hidden + hidden)
                 + (hidden * pixels + pixels))
    total += (kernel * kernel * channels + channels)  # 1 → channels
    total += (kernel * kernel * channels * channels + channels)  # channels → channels
    total += 49 * channels + 1  # 7×7 transposed convolution channels → 1
    return total


class AutomapNet(OperatorNet):
    """Fully connected layers from the measurements to the image, followed by convolutions.

    ``y`` (scaled by ``1/‖A‖``, complex as ``[Re y, Im y]``) → ``fc_layers`` linear
    layers with tanh (the last has ``n1·n2`` outputs, the others ``hidden``) →
    reshape to ``(1, n1, n2)`` → ``kernel × kernel`` convolution to ``channels``, ReLU →
    ``kernel × kernel`` convolution, ReLU → 7×7 transposed convolution to one channel.
    Zhu et al. use ``fc_layers=2, hidden=n1·n2, channels=64, kernel=5``; the default
    here has ``channels=32``. The fully connected layers dominate the size
    (``≈ (inputs + n1 n2)·n1 n2`` weights): keep images small (≤ 32 × 32, or pass a
    smaller ``hidden``). Networks beyond ``2^28`` parameters are refused before any
    allocation.

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
    with ``as_reconstruction_map(model, A=A)`` (``input="measurements"``, the default).

    Parameters
    ----------
    A : SubsampledFourier or Radon
        The sampling operator (2-D images).
    fc_layers : int
        Number of fully connected layers (``≥ 1``).
    hidden : int, optional
        Width of the hidden fully connected layers (default ``n1·n2``).
    channels : int
        Channels of the two convolutions.
    kernel : int
        Odd side of the two convolution kernels.
    seed : int, optional
        Seed of the weight initialisation (a local ``torch.Generator``; the global torch
        RNG is not touched); ``None`` uses the global RNG.

    Theorem: none (architecture used to test the universal instability theorem).
    Rigor: not applicable.

    Examples
    --------
    >>> import numpy as np
    >>> from theorycheck.problems.operators import SubsampledFourier
    >>> A = SubsampledFourier(np.arange(64).reshape(8, 8) % 3 == 0)
    >>> net = AutomapNet(A, channels=4, seed=0)
    >>> net(torch.zeros(2, 2, A.out_shape[0])).shape
    torch.Size([2, 1, 8, 8])
    """

    def __init__(self, A: Any, *, fc_layers: int = 2, hidden: int | None = None, channels: int = 32,
                 kernel: int = 5, seed: int | None = None):
        super().__init__()
        self._set_modality(A)
        n1, n2 = self.modality.image_shape
        pixels = n1 * n2
        self.fc_layers = integer_arg(fc_layers, "fc_layers")
        self.hidden = pixels if hidden is None else integer_arg(hidden, "hidden")
        self.channels = integer_arg(channels, "channels")
        self.kernel = integer_arg(kernel, "kernel")
        if self.kernel % 2 == 0:
            raise InvalidArgument(f"kernel={self.kernel}: pass an odd kernel size (same-size convolutions)")
        seed = seed_value(seed)
        self.inputs = self.modality.meas_reals
        self._refuse_parameters(automap_parameter_count(
            self.inputs, pixels, fc_layers=self.fc_layers, hidden=self.hidden,
            channels=self.channels, kernel=self.kernel))
        #: fixed input scale 1/‖A‖ (an upper bound of ‖A‖ for Radon; 1 for Fourier)
        self.input_scale = 1.0 / math.sqrt(self.modality.norm_sq)
        self._build_seeded(seed, self._build)

    def _build(self) -> None:
        n1, n2 = self.modality.image_shape
        sizes = [self.inputs] + [self.hidden] * (self.fc_layers - 1) + [n1 * n2]
        self.fc = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        k, c = self.kernel, self.channels
        self.conv1 = nn.Conv2d(1, c, k, padding=k // 2)
        self.conv2 = nn.Conv2d(c, c, k, padding=k // 2)
        self.deconv = nn.ConvTranspose2d(c, 1, 7, padding=3)

    def reset_parameters(self, seed: int | None) -> None:
        """Re-initialise every weight from ``seed`` (PyTorch's default law, local generator)."""
        default_init(self, generator(seed_value(seed)))

    def config(self) -> dict[str, Any]:
        """The hyperparameters (plain types; the operator is not included)."""
        return {"fc_layers": self.fc_layers, "hidden": self.hidden, "channels": self.channels,
                "kernel": self.kernel}

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        """``Ψ(y)``: see the class docstring for the layouts."""
        y = self._measurements(inp)
        B = y.shape[0]
        n1, n2 = self.modality.image_shape
        self._refuse_activations(B, 2.0 * (self.hidden * self.fc_layers + n1 * n2 * (2 * self.channels + 2)),
                                 self._param().element_size())
        if B == 0:
            return self._real_image(self._empty_image())
        flat = y.reshape(B, self.modality.meas_reals // (2 if self.modality.complex else 1))
        if flat.is_complex():
            flat = torch.cat([flat.real, flat.imag], dim=1)
        h = flat * self.input_scale
        for layer in self.fc:
            h = torch.tanh(layer(h))
        h = h.reshape(B, 1, n1, n2)
        h = torch.relu(self.conv1(h))
        h = torch.relu(self.conv2(h))
        return self.deconv(h)
