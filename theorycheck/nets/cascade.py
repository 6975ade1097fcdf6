"""Deep cascade of CNNs with data-consistency layers (Schlemper et al. 2017, "Deep MRI").

Schlemper, Caballero, Hajnal, Price, Rueckert, "A deep cascade of convolutional neural
networks for dynamic MR image reconstruction" (IEEE TMI 2018; MICCAI/IPMI 2017): residual
CNN blocks interleaved with data-consistency (DC) layers that put the measured k-space
samples back into the current image.

Theorem: none (architecture used to test the universal instability theorem, docs/theory.md §3–§4).
Rigor: not applicable.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import torch
from torch import nn

from theorycheck.errors import InvalidArgument
from theorycheck.nets._arch_common import OperatorNet, default_init, generator, seed_value
from theorycheck.numerics.validation import choice_arg, integer_arg
from theorycheck.problems.radon import FBP_FILTERS

__all__ = ["CascadeNet", "DC_MODES"]

#: the named data-consistency modes of :class:`CascadeNet` (a number λ ≥ 0 is also accepted)
DC_MODES: tuple[str, ...] = ("exact", "gradient", "learned")
#: weights λ at or above this are refused (use the named modes)
MAX_DC_LAMBDA = 2.0 ** 40


def _conv_count(cin: int, cout: int, k: int = 3) -> int:
    return cin * cout * k * k + cout


class CascadeNet(OperatorNet):
    """CNN blocks interleaved with data-consistency layers (Deep-MRI cascade, D``c``C``l``).

    ``x₀`` is the zero-filled ``A^* y`` (Fourier; complex, two channels inside the
    network) or ``fbp(A, y)`` (Radon; real, one channel). Each of the ``cascades``
    blocks is a residual CNN ``x ← x + f_k(x)`` (``convs`` 3×3 convolutions, ``width``
    channels, ReLU between them, no batch normalisation) followed by the DC layer

    ``x ← x + t_k · A^*(y − A x)``.

    DC modes (``dc``):

    * ``"exact"`` (default for Fourier; Fourier only): ``t_k = 1``. Since
      ``A A^* = I`` for a subsampled unitary DFT, this *replaces the sampled k-space
      entries of x by the measured ones* and keeps the others — the noise-free DC of
      Schlemper et al. (λ → ∞): ``A x = y`` after every DC layer (to rounding).
    * a number ``λ ≥ 0``: the weighted combination ``(k + λ y)/(1 + λ)`` on the sampled
      entries (Fourier), i.e. ``t_k = λ/(1 + λ)``; for Radon ``t_k = λ/((1 + λ) L)``.
    * ``"learned"``: ``t_k = σ(θ_k)/L`` with a trainable ``θ_k`` per block (σ the logistic
      function, ``θ_k = 0`` initially); for Fourier this is a learned ``λ_k = e^{θ_k}``.
    * ``"gradient"`` (default for Radon): ``t_k = 1/L``, a gradient step on ``½‖Ax − y‖²``.

    ``L ≥ ‖A‖²``: ``1`` for Fourier; for Radon a rigorous upper bound (Collatz–Wielandt
    bound of the nonnegative matrix ``AᵀA``, tight to a fraction of a percent), so every
    Radon step has ``t_k ≤ 1/‖A‖²`` and does not increase ``‖Ax − y‖``. CT has no exact
    DC in closed form (``AAᵀ ≠ I``): ``"exact"`` is refused for Radon.

    ``output="real"`` (default) returns ``Re x`` after the last DC layer: the real image
    that ``train_reconstruction`` fits. ``output="complex"`` (Fourier) returns ``x`` itself
    as ``(B, 2, n1, n2)`` (real, imaginary), which ``as_reconstruction_map`` reads as a
    complex image; with ``dc="exact"`` it satisfies ``A Ψ(y) = y``. (Taking the real part
    breaks exact consistency unless the mask is conjugate-symmetric.)

    Input layout (``core = A.out_shape``):

    ==================  ===========================================  ==========================
    modality            ``forward`` takes (real tensors, model dtype)  ``forward`` returns
    ==================  ===========================================  ==========================
    Fourier (complex)   ``(B, 2, m)`` real/imaginary parts, or        ``(B, 1, n1, n2)`` real
                        ``(B, m)`` complex                            image (``(B, 2, n1, n2)``
                                                                      with ``output="complex"``)
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
    cascades : int
        Number of CNN + DC blocks (Schlemper et al.: 5).
    convs : int
        Convolutions per CNN block (``≥ 2``; Schlemper et al.: 5).
    width : int
        Channels of the hidden convolutions (Schlemper et al.: 64).
    dc : {"exact", "gradient", "learned"} or float, optional
        Data-consistency mode (above); default ``"exact"`` for Fourier, ``"gradient"`` for Radon.
    output : {"real", "complex"}
        What ``forward`` returns (above; ``"complex"`` only for Fourier).
    filter : str
        FBP filter of the Radon initialisation (see :func:`~theorycheck.problems.radon.fbp`).
    seed : int, optional
        Seed of the weight initialisation (a local ``torch.Generator``; the global torch
        RNG is not touched); ``None`` uses the global RNG.

    Theorem: none (architecture used to test the universal instability theorem).
    Rigor: not applicable (the DC identity ``A x = y`` holds to floating-point rounding).

    Examples
    --------
    >>> import numpy as np
    >>> from theorycheck.problems.operators import SubsampledFourier
    >>> A = SubsampledFourier(np.arange(64).reshape(8, 8) % 3 == 0)
    >>> net = CascadeNet(A, cascades=2, convs=2, width=4, seed=0).double()
    >>> y = A.apply(torch.rand(2, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0)))
    >>> x = net.iterates(y)[-1]
    >>> bool((A.apply(x) - y).abs().max() < 1e-12)
    True
    """

    def __init__(self, A: Any, *, cascades: int = 5, convs: int = 5, width: int = 32,
                 dc: Any = None, output: str = "real", filter: str = "ramp",  # noqa: A002
                 seed: int | None = None):
        super().__init__()
        self._set_modality(A)
        self.cascades = integer_arg(cascades, "cascades")
        self.convs = integer_arg(convs, "convs", minimum=2)
        self.width = integer_arg(width, "width")
        self.filter = choice_arg(filter, "filter", FBP_FILTERS)
        self.output = choice_arg(output, "output", ("real", "complex"))
        radon = self.modality.kind == "radon"
        if self.output == "complex" and radon:
            raise InvalidArgument("output='complex' is for Fourier data: a CT image is real, pass "
                                  "output='real'")
        if dc is None:
            dc = "gradient" if radon else "exact"
        self.dc_lambda: float | None = None
        if isinstance(dc, str):
            self.dc = choice_arg(dc, "dc", DC_MODES)
            if self.dc == "exact" and radon:
                raise InvalidArgument(
                    "dc='exact' needs A A^* = I (subsampled Fourier); CT has no exact data "
                    "consistency in closed form: pass dc='gradient' (t = 1/‖A‖²), 'learned' or a "
                    "weight λ ≥ 0")
        elif isinstance(dc, numbers.Real) and not isinstance(dc, bool):
            lam = float(dc)
            if not math.isfinite(lam) or lam < 0:
                raise InvalidArgument(f"dc={dc!r}: pass a weight λ ≥ 0 (finite; use dc='exact' for "
                                      "λ = ∞), or one of 'exact', 'gradient', 'learned'")
            if lam >= MAX_DC_LAMBDA:
                raise InvalidArgument(
                    f"dc={dc!r}: a weight λ ≥ 2^40 is data consistency with step λ/(1 + λ) = 1 to "
                    "12 digits: pass dc='exact' (Fourier) or dc='gradient' (Radon)")
            self.dc, self.dc_lambda = "weighted", lam
        else:
            raise InvalidArgument(f"dc={dc!r}: pass 'exact', 'gradient', 'learned' or a weight λ ≥ 0")
        seed = seed_value(seed)
        C = self.modality.channels
        per_block = (_conv_count(C, self.width) + (self.convs - 2) * _conv_count(self.width, self.width)
                     + _conv_count(self.width, C))
        self._refuse_parameters(self.cascades * per_block + self.cascades)
        self._build_seeded(seed, self._build)

    def _build(self) -> None:
        C, w = self.modality.channels, self.width
        blocks = []
        for _ in range(self.cascades):
            layers: list[nn.Module] = [nn.Conv2d(C, w, 3, padding=1), nn.ReLU()]
            for _ in range(self.convs - 2):
                layers += [nn.Conv2d(w, w, 3, padding=1), nn.ReLU()]
            layers.append(nn.Conv2d(w, C, 3, padding=1))
            blocks.append(nn.Sequential(*layers))
        self.blocks = nn.ModuleList(blocks)
        if self.dc == "learned":
            self.dc_logit = nn.Parameter(torch.zeros(self.cascades))

    def reset_parameters(self, seed: int | None) -> None:
        """Re-initialise every weight from ``seed`` (PyTorch's default law, local generator)."""
        default_init(self, generator(seed_value(seed)))
        if self.dc == "learned":
            with torch.no_grad():
                self.dc_logit.zero_()

    def config(self) -> dict[str, Any]:
        """The hyperparameters (plain types; the operator is not included)."""
        dc = self.dc_lambda if self.dc == "weighted" else self.dc
        return {"cascades": self.cascades, "convs": self.convs, "width": self.width, "dc": dc,
                "output": self.output, "filter": self.filter}

    def dc_steps(self) -> list[Any]:
        """The step ``t_k`` of each DC layer (numbers, or 0-d tensors for ``dc="learned"``)."""
        L = self.modality.norm_sq
        if self.dc == "exact":
            return [1.0] * self.cascades
        if self.dc == "gradient":
            return [1.0 / L] * self.cascades
        if self.dc_lambda is not None:  # dc == "weighted"
            lam = self.dc_lambda
            return [lam / ((1.0 + lam) * L)] * self.cascades
        s = torch.sigmoid(self.dc_logit) / L
        return [s[k] for k in range(self.cascades)]

    def iterates(self, inp: torch.Tensor) -> list[torch.Tensor]:
        """The image after each DC layer: ``(B, n1, n2)``, complex for Fourier, real for Radon."""
        y = self._measurements(inp)
        n1, n2 = self.modality.image_shape
        self._refuse_activations(y.shape[0], 2.0 * self.cascades * self.convs * self.width * n1 * n2,
                                 self._param().element_size())
        if y.shape[0] == 0:
            return [self._empty_image(self.modality.complex)] * self.cascades
        x = self._initial_image(y, self.filter)
        out = []
        for block, t in zip(self.blocks, self.dc_steps()):
            h = self._to_channels(x)
            x = self._from_channels(h + block(h))
            x = self._dc(x, y, t)
            out.append(x)
        return out

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        """``Ψ(y)``: see the class docstring for the layouts."""
        x = self.iterates(inp)[-1]
        if self.output == "complex":
            return self._to_channels(x)
        return self._real_image(x)
