"""A small U-Net for image reconstruction from subsampled measurements (torch only).

Input convention ("adjoint" input, the usual post-processing set-up): given
measurements ``y = A x`` of an ``n × n`` image, the network receives the
zero-filled reconstruction ``A^* y`` (complex in general) as a real tensor of
shape ``(B, in_channels, n, n)``:

- ``in_channels = 2``: channel 0 is ``Re(A^* y)``, channel 1 is ``Im(A^* y)``
  (the 2-channel convention of :func:`adjoint_channels`);
- ``in_channels = 1``: the real part ``Re(A^* y)`` only.

The output is a real tensor ``(B, out_channels, n, n)``; with the default
``out_channels = 1`` it is the reconstructed real image. With ``residual=True``
the network learns a correction: the output is ``Re(A^* y) + f(input)``.

``n`` must be divisible by ``2**depth``. There is no batch normalisation and
no dropout: the network is a deterministic continuous map in both train and
eval mode, as the universal instability theorem assumes.

Theorem: none (a network under test for docs/theory.md §3–§4).
Rigor: not applicable.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from theorycheck.errors import InvalidArgument
from theorycheck.nets._arch_common import MAX_PARAMETERS, default_init, generator, seed_value
from theorycheck.numerics.validation import bool_arg, integer_arg, refuse_size

__all__ = ["UNet", "adjoint_channels", "unet_parameter_count"]

#: largest number of down-samplings (an image side must then be divisible by 2**depth)
MAX_DEPTH = 16
#: largest number of parameters of a :class:`UNet` (float32: 4 bytes each): ``MAX_PARAMETERS``, shared
#: with the other architectures (theorycheck.nets._arch_common)


def unet_parameter_count(in_channels: int, out_channels: int, width: int, depth: int) -> int:
    """Exact number of parameters of ``UNet(in_channels, out_channels, width=width, depth=depth)``.

    Computed from the architecture without building it (so that sizes that
    cannot be allocated are refused before any allocation).

    Theorem: none.
    Rigor: exact (a count).

    Examples
    --------
    >>> unet_parameter_count(2, 1, 4, 1)
    1681
    """
    chans = [width * 2 ** k for k in range(depth + 1)]
    conv = lambda cin, cout, k: cin * cout * k * k + cout  # noqa: E731
    total = 0
    for k in range(depth + 1):  # two 3×3 convolutions per level on the way down
        total += conv(in_channels if k == 0 else chans[k - 1], chans[k], 3) + conv(chans[k], chans[k], 3)
    for k in range(depth):  # transposed 2×2 convolution and two 3×3 convolutions on the way up
        total += conv(chans[k + 1], chans[k], 2) + conv(2 * chans[k], chans[k], 3) + conv(chans[k], chans[k], 3)
    return total + conv(chans[0], out_channels, 1)


def adjoint_channels(z: torch.Tensor, channels: int = 2) -> torch.Tensor:
    """Turn a batch of (complex) images ``(B, n, n)`` into the network input ``(B, C, n, n)``.

    Parameters
    ----------
    z : torch.Tensor
        ``A^* y`` of shape ``(B, n, n)``, real or complex.
    channels : {1, 2}
        2: ``(Re z, Im z)``; 1: ``Re z``.

    Returns
    -------
    torch.Tensor
        Real tensor of shape ``(B, channels, n, n)`` (float dtype matching ``z``'s precision).

    Theorem: none (input convention of :class:`UNet`).
    Rigor: not applicable (exact reshaping).

    Examples
    --------
    >>> adjoint_channels(torch.ones(3, 4, 4, dtype=torch.complex64)).shape
    torch.Size([3, 2, 4, 4])
    """
    if not isinstance(channels, int) or isinstance(channels, bool) or channels not in (1, 2):
        raise InvalidArgument(f"channels={channels!r}: pass 1 (real part) or 2 (real, imaginary)")
    if not isinstance(z, torch.Tensor):
        raise InvalidArgument(f"z is a {type(z).__name__}: pass a torch tensor of shape (B, n, n)")
    if z.dim() != 3:
        raise InvalidArgument(f"z has shape {tuple(z.shape)}: pass a batch of images (B, n, n)")
    if z.is_complex():
        parts = [z.real, z.imag] if channels == 2 else [z.real]
    else:
        parts = [z, torch.zeros_like(z)] if channels == 2 else [z]
    return torch.stack(parts, dim=1)


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """Small U-Net (Ronneberger et al. 2015) mapping ``A^* y`` (as channels) to an image.

    Level ``k = 0, …, depth`` has ``width · 2^k`` channels; each level is two
    3×3 convolutions with ReLU; down-sampling by 2×2 max pooling, up-sampling
    by 2×2 transposed convolutions, skip connections by concatenation, a final
    1×1 convolution. ``width=16, depth=2`` has about 1.2e5 parameters.

    Parameters
    ----------
    in_channels : int
        1 (``Re A^*y``) or 2 (``Re A^*y, Im A^*y``); see the module docstring.
    out_channels : int
        Output channels (1: a real image).
    width : int
        Channels of the first level.
    depth : int
        Number of down-samplings (``n`` must be divisible by ``2**depth``).
    residual : bool
        Add input channel 0 (``Re A^*y``) to the output (needs ``out_channels == 1``).
    seed : int, optional
        Seed of a local ``torch.Generator`` for the weight initialisation
        (the global torch RNG is not touched); ``None`` uses the global RNG.

    Theorem: none (a network under test for docs/theory.md §3–§4).
    Rigor: not applicable.

    Examples
    --------
    >>> net = UNet(width=4, depth=1, seed=0)
    >>> net(torch.zeros(2, 2, 8, 8)).shape
    torch.Size([2, 1, 8, 8])
    """

    #: the input convention, read by train_reconstruction and as_reconstruction_map: the zero-filled
    #: image A^* y (a U-Net cannot read the measurement vector itself)
    input = "adjoint"

    def __init__(self, in_channels: int = 2, out_channels: int = 1, *, width: int = 16,
                 depth: int = 2, residual: bool = True, seed: int | None = None):
        super().__init__()
        self.in_channels = integer_arg(in_channels, "in_channels")
        self.out_channels = integer_arg(out_channels, "out_channels")
        self.width = integer_arg(width, "width")
        self.depth = integer_arg(depth, "depth", minimum=0)
        if self.depth > MAX_DEPTH:
            raise InvalidArgument(f"depth={self.depth}: pass depth ≤ {MAX_DEPTH} (an image side must be "
                                  f"divisible by 2**depth, and level k has width·2^k channels)")
        refuse_size(unet_parameter_count(self.in_channels, self.out_channels, self.width, self.depth),
                    MAX_PARAMETERS, f"a UNet with width={self.width}, depth={self.depth} (parameters)",
                    "use a smaller width or depth")
        self.residual = bool_arg(residual, "residual")
        if self.residual and self.out_channels != 1:
            raise InvalidArgument("residual=True adds Re(A^*y) to a single output image: "
                                  "pass out_channels=1 or residual=False")
        seed = seed_value(seed)
        if seed is None:
            self._build()
        else:
            # the layers' default initialisation draws from the global RNG: hide that
            with torch.random.fork_rng(devices=[]):
                self._build()
            self.reset_parameters(seed)

    def _build(self) -> None:
        chans = [self.width * 2**k for k in range(self.depth + 1)]
        self.down = nn.ModuleList(
            [_block(self.in_channels if k == 0 else chans[k - 1], chans[k])
             for k in range(self.depth + 1)])
        self.up = nn.ModuleList(
            [nn.ConvTranspose2d(chans[k + 1], chans[k], 2, stride=2)
             for k in reversed(range(self.depth))])
        self.merge = nn.ModuleList(
            [_block(2 * chans[k], chans[k]) for k in reversed(range(self.depth))])
        self.head = nn.Conv2d(chans[0], self.out_channels, 1)

    def config(self) -> dict[str, Any]:
        """The constructor arguments (plain types), to rebuild the architecture."""
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "width": self.width, "depth": self.depth, "residual": self.residual}

    def reset_parameters(self, seed: int) -> None:
        """Re-initialise every weight from a local ``torch.Generator`` seeded with ``seed``.

        Same initialisation law as PyTorch's default (Kaiming-uniform weights,
        uniform biases), without touching the global RNG.
        """
        default_init(self, generator(seed_value(integer_arg(seed, "seed", minimum=0))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise InvalidArgument(f"UNet input is a {type(x).__name__}: pass a tensor (B, "
                                  f"{self.in_channels}, n, n) (see adjoint_channels)")
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise InvalidArgument(
                f"UNet input has shape {tuple(x.shape)}: pass (B, {self.in_channels}, n, n) "
                "(see theorycheck.nets.unet.adjoint_channels)")
        if x.is_complex():
            raise InvalidArgument("UNet input is complex: pass real channels "
                                  "(adjoint_channels splits A^*y into Re/Im)")
        p = next(self.parameters())
        if not x.is_floating_point():
            raise InvalidArgument(f"UNet input has dtype {x.dtype}: pass a real floating-point tensor")
        if x.dtype != p.dtype or x.device != p.device:
            raise InvalidArgument(
                f"UNet input is {x.dtype} on {x.device} but the weights are {p.dtype} on {p.device}: "
                "convert the input (x.to(dtype, device)); the network is never converted for you")
        f = 2**self.depth
        if x.shape[-1] % f or x.shape[-2] % f:
            raise InvalidArgument(
                f"image size {tuple(x.shape[-2:])} is not divisible by 2**depth = {f}: "
                "pad the image or build the UNet with a smaller depth")
        skips = []
        h = x
        for k, block in enumerate(self.down):
            if k > 0:
                h = nn.functional.max_pool2d(h, 2)
            h = block(h)
            skips.append(h)
        skips.pop()
        for up, merge in zip(self.up, self.merge):
            h = merge(torch.cat([skips.pop(), up(h)], dim=1))
        out = self.head(h)
        if self.residual:
            out = out + x[:, :1]
        return out
