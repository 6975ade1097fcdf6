"""FBPConvNet: a residual U-Net on the filtered back-projection (Jin, McCann, Froustey, Unser 2017).

The fixed, differentiable input layer computes an initial image from the measurements
— the filtered back-projection :func:`theorycheck.problems.radon.fbp` for CT, the
zero-filled reconstruction ``A^* y`` for subsampled Fourier data — and a residual
:class:`~theorycheck.nets.unet.UNet` removes its artefacts: ``Ψ(y) = x₀ + U(x₀)``.

Theorem: none (architecture used to test the universal instability theorem, docs/theory.md §3–§4).
Rigor: not applicable.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from theorycheck.errors import InvalidArgument
from theorycheck.nets._arch_common import OperatorNet, seed_value
from theorycheck.nets.unet import UNet, unet_parameter_count
from theorycheck.numerics.validation import choice_arg, integer_arg
from theorycheck.problems.radon import FBP_FILTERS

__all__ = ["FBPConvNet"]


class FBPConvNet(OperatorNet):
    """Residual U-Net applied to the FBP (CT) or zero-filled (Fourier) reconstruction.

    ``Ψ(y) = Re x₀ + U(x₀)`` with the fixed first layer ``x₀ = fbp(A, y)`` (Radon,
    ramp-type filter ``filter``) or ``x₀ = A^* y`` (subsampled Fourier, complex, fed to
    the U-Net as two channels), and ``U`` a :class:`~theorycheck.nets.unet.UNet`
    (``width`` channels at the first of ``depth + 1`` levels, no batch normalisation,
    so ``Ψ`` is the same deterministic map in train and eval mode). Jin et al. use
    ``width=64, depth=4`` with batch normalisation; the defaults here train on a CPU.
    The first layer is part of the network (differentiable through autograd, no
    parameters).

    Input layout (``input="measurements"``, the default; ``core = A.out_shape``):

    ==================  ===========================================  ==========================
    modality            ``forward`` takes (real tensors, model dtype)  ``forward`` returns
    ==================  ===========================================  ==========================
    Fourier (complex)   ``(B, 2, m)`` real/imaginary parts, or        ``(B, 1, n1, n2)`` real
                        ``(B, m)`` complex                            image
    Radon (real)        ``(B, 1, n_angles, d)`` or ``(B, n_angles,     ``(B, 1, n1, n2)`` real
                        d)``; ``(B, 2, n_angles, d)`` is accepted      image
                        and its imaginary channel ignored
    ==================  ===========================================  ==========================

    This is what ``train_reconstruction(model, A, X, input="measurements")`` and
    ``as_reconstruction_map(model, A=A)`` feed. With ``input="adjoint"`` (Fourier
    only) the network takes ``A^* y`` as ``(B, 2, n1, n2)`` (real, imaginary), as
    :class:`~theorycheck.nets.unet.UNet` does (``train_reconstruction``'s default
    ``input="adjoint"``); the CT variant needs the sinogram, since FBP is not a
    function of ``Aᵀy`` that the network could evaluate.

    Parameters
    ----------
    A : SubsampledFourier or Radon
        The sampling operator (2-D images; ``n1`` and ``n2`` divisible by ``2**depth``).
    width : int
        Channels of the U-Net's first level (level ``k`` has ``width · 2^k``).
    depth : int
        Down-samplings of the U-Net (``≥ 0``).
    filter : str
        FBP filter for Radon (``"ramp"``, ``"shepp-logan"``, ``"cosine"``, ``"hamming"``,
        ``"hann"``); ignored for Fourier.
    input : {"measurements", "adjoint"}
        What ``forward`` takes (table above).
    seed : int, optional
        Seed of the weight initialisation (a local ``torch.Generator``; the global torch
        RNG is not touched); ``None`` uses the global RNG.

    Theorem: none (architecture used to test the universal instability theorem).
    Rigor: not applicable.

    Examples
    --------
    >>> import numpy as np
    >>> from theorycheck.problems.radon import Radon, sparse_view_angles
    >>> R = Radon(16, sparse_view_angles(8))
    >>> net = FBPConvNet(R, width=4, depth=1, seed=0)
    >>> net(torch.zeros(3, 1, *R.out_shape)).shape
    torch.Size([3, 1, 16, 16])
    """

    def __init__(self, A: Any, *, width: int = 16, depth: int = 2, filter: str = "ramp",  # noqa: A002
                 input: str = "measurements", seed: int | None = None):  # noqa: A002
        super().__init__()
        self._set_modality(A)
        self.width = integer_arg(width, "width")
        self.depth = integer_arg(depth, "depth", minimum=0)
        self.filter = choice_arg(filter, "filter", FBP_FILTERS)
        self.input = choice_arg(input, "input", ("measurements", "adjoint"))
        if self.input == "adjoint" and self.modality.kind == "radon":
            raise InvalidArgument(
                "input='adjoint' is for Fourier data: the CT FBPConvNet computes fbp(radon, y) "
                "from the sinogram itself, so pass input='measurements' (and train with "
                "train_reconstruction(..., input='measurements'))")
        seed = seed_value(seed)
        n1, n2 = self.modality.image_shape
        f = 2 ** min(self.depth, 64)
        if self.depth > 16 or n1 % f or n2 % f:
            raise InvalidArgument(
                f"depth={self.depth}: the image sides {(n1, n2)} must be divisible by 2**depth; "
                "use a smaller depth or another image size")
        #: channels of the U-Net input (read by train_reconstruction with input="adjoint")
        self.in_channels = self.modality.channels
        self._refuse_parameters(unet_parameter_count(self.in_channels, 1, self.width, self.depth))
        self.unet = UNet(self.in_channels, 1, width=self.width, depth=self.depth, residual=True,
                         seed=seed)

    def reset_parameters(self, seed: int | None) -> None:
        """Re-initialise the U-Net from ``seed`` (PyTorch's default law, local generator)."""
        seed = seed_value(seed)
        if seed is None:
            with torch.no_grad():
                for mod in self.unet.modules():
                    if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):  # the U-Net's only parametrised layers
                        mod.reset_parameters()
        else:
            self.unet.reset_parameters(seed)

    def config(self) -> dict[str, Any]:
        """The hyperparameters (plain types; the operator is not included)."""
        return {"width": self.width, "depth": self.depth, "filter": self.filter, "input": self.input}

    def first_layer(self, inp: torch.Tensor) -> torch.Tensor:
        """The fixed first layer's output ``x₀`` as U-Net channels ``(B, C, n1, n2)``."""
        if self.input == "adjoint":
            return self._adjoint_input(inp)
        y = self._measurements(inp)
        if y.shape[0] == 0:
            return self._to_channels(self._empty_image(self.modality.complex))
        return self._to_channels(self._initial_image(y, self.filter))

    def _adjoint_input(self, inp: Any) -> torch.Tensor:
        n1, n2 = self.modality.image_shape
        expected = f"(B, 2, {n1}, {n2}) (Re A^*y, Im A^*y)"
        x = self._input_tensor(inp, expected)
        if x.is_complex():
            if x.dim() == 3 and tuple(x.shape[1:]) == (n1, n2):
                return self._to_channels(x)
        elif x.dim() == 4 and tuple(x.shape[2:]) == (n1, n2) and x.shape[1] in (1, 2):
            if x.shape[1] == 1:
                x = torch.cat([x, torch.zeros_like(x)], dim=1)
            return x
        raise InvalidArgument(f"FBPConvNet(input='adjoint') input has shape {tuple(x.shape)}: pass "
                              f"{expected}, (B, 1, {n1}, {n2}) or a complex (B, {n1}, {n2})")

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        """``Ψ(y)``: see the class docstring for the layouts."""
        h = self.first_layer(inp)
        n1, n2 = self.modality.image_shape
        self._refuse_activations(h.shape[0], 6.0 * self.width * n1 * n2 * (self.depth + 1),
                                 h.element_size())
        return self.unet(h)
