"""Shared machinery of the architecture families (FBPConvNet, AutomapNet, CascadeNet, VariationalNet).

Private: the operator checks (subsampled 2-D Fourier or :class:`~theorycheck.problems.radon.Radon`),
the measurement layouts every family accepts, the fixed operator layers (``A``, ``A^*``,
FBP, data consistency), a rigorous bound on ``‖A‖²`` for the gradient-step data
consistency, and seeded initialisation that leaves the global torch RNG untouched.

Measurement layouts accepted by ``forward`` (``core = A.out_shape``: ``(m,)`` for
Fourier, ``(n_angles, detectors)`` for Radon), each real tensor in the model's dtype:

* ``(B, 2, *core)``: real and imaginary parts (what ``train_reconstruction(...,
  input="measurements")`` and ``as_reconstruction_map`` feed for complex data);
* ``(B, 1, *core)``: the real part only (``as_reconstruction_map`` feeds real Radon
  sinograms this way);
* ``(B, *core)`` real, or complex in the matching complex dtype.

For Radon (a real operator) the imaginary part is ignored: the network is a function of
``Re y`` (a real image has a real sinogram; measurement noise in the imaginary part carries
no information).

Theorem: none (architectures used to test the universal instability theorem).
Rigor: not applicable.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.validation import integer_arg, refuse_size
from theorycheck.problems.operators import LinearOperator, SubsampledFourier
from theorycheck.problems.radon import Radon, fbp

__all__: list[str] = []

#: largest number of parameters of one network (float32: 4 bytes each; Adam keeps 2 more copies)
MAX_PARAMETERS = 2 ** 28
#: largest estimated memory (bytes) of the activations one forward pass keeps for autograd
MAX_ACTIVATION_BYTES = 2.0 ** 35
#: largest seed accepted (torch.Generator's range)
_SEED_LIMIT = 2 ** 63
#: power iterations of the Collatz–Wielandt bound on ‖A‖² for Radon
_CW_ITERATIONS = 60


def seed_value(seed: Any) -> int | None:
    """``None`` or an int in ``[0, 2^63)`` (``InvalidArgument`` otherwise)."""
    if seed is None:
        return None
    seed = integer_arg(seed, "seed", minimum=0)
    if seed >= _SEED_LIMIT:
        raise InvalidArgument(f"seed={seed}: pass a seed below 2^63 (torch.Generator's range)")
    return seed


def generator(seed: int | None) -> torch.Generator | None:
    """A CPU generator seeded with ``seed`` (``None``: the global RNG)."""
    return None if seed is None else torch.Generator().manual_seed(seed)


def default_init(module: nn.Module, gen: torch.Generator | None) -> None:
    """PyTorch's default law (Kaiming-uniform weights, uniform biases) for every conv/linear layer."""
    with torch.no_grad():
        for mod in module.modules():
            if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.kaiming_uniform_(mod.weight, a=5 ** 0.5, generator=gen)
                if mod.bias is not None:
                    fan_in = nn.init._calculate_fan_in_and_fan_out(mod.weight)[0]
                    bound = 1.0 / fan_in ** 0.5 if fan_in > 0 else 0.0
                    nn.init.uniform_(mod.bias, -bound, bound, generator=gen)


def radon_norm_squared_bound(radon: Radon) -> float:
    """An upper bound of ``‖A‖² = ρ(AᵀA)`` for a Radon matrix (nonnegative entries).

    Collatz–Wielandt: for a nonnegative matrix ``M = AᵀA`` and any positive ``v``,
    ``ρ(M) ≤ max_i (Mv)_i / v_i``; ``v`` is a power iterate from the all-ones vector
    (made positive), which makes the bound tight. It is capped by Hölder's
    ``‖A‖² ≤ ‖A‖₁‖A‖_∞`` and enlarged by a relative ``1e-9`` for the float rounding.
    """
    M = radon.matrix
    if M.nnz == 0:  # pragma: no cover - every Radon ray through the image has weights
        raise InvalidArgument("the Radon matrix is zero: nothing to reconstruct from")
    data = np.asarray(M.data)
    if float(data.min()) < 0.0:  # pragma: no cover - bilinear weights are nonnegative
        raise InvalidArgument("the Radon matrix has negative entries: cannot bound its norm")
    Mt = M.T.tocsr()
    absM = M
    holder = float(np.max(np.asarray(absM.sum(axis=0)).ravel())) * float(
        np.max(np.asarray(absM.sum(axis=1)).ravel()))
    v = np.ones(M.shape[1])
    for _ in range(_CW_ITERATIONS):
        w = Mt @ (M @ v)
        top = float(w.max())
        if top == 0.0:  # pragma: no cover
            break
        v = w / top
    v = np.maximum(v, 1e-6)
    w = Mt @ (M @ v)
    cw = float(np.max(w / v))
    return min(cw, holder) * (1.0 + 1e-9)


class Modality:
    """What a network needs to know about its sampling operator (private)."""

    def __init__(self, A: Any, who: str):
        if isinstance(A, SubsampledFourier):
            if len(A.in_shape) != 2:
                raise InvalidArgument(
                    f"{who} reconstructs 2-D images, but the Fourier mask has shape {A.in_shape}: "
                    "pass SubsampledFourier(mask) with a 2-D mask (n1, n2)")
            self.kind = "fourier"
            self.norm_sq = 1.0  # a subsampling of the unitary DFT with at least one sample
        elif isinstance(A, Radon):
            self.kind = "radon"
            self.norm_sq = radon_norm_squared_bound(A)
        else:
            kind = type(A).__name__
            hint = ("a LinearOperator of another kind" if isinstance(A, LinearOperator) else f"a {kind}")
            raise InvalidArgument(
                f"{who} needs A = SubsampledFourier(mask) (2-D mask; complex data as 2 channels) "
                f"or Radon(shape, angles) (real sinograms); got {hint} ({kind})")
        self.operator = A
        self.image_shape = tuple(int(v) for v in A.in_shape)
        self.meas_shape = tuple(int(v) for v in A.out_shape)
        self.complex = self.kind == "fourier"
        #: channels of an image inside the network: (Re, Im) for Fourier, the image for Radon
        self.channels = 2 if self.complex else 1
        #: real numbers per measurement vector
        self.meas_reals = int(math.prod(self.meas_shape)) * (2 if self.complex else 1)


def refuse_other_operator(model: Any, A: Any) -> None:
    """:class:`InvalidArgument` when ``model`` is an architecture of :mod:`theorycheck.nets` built for
    another operator than ``A`` (any other model: nothing to compare)."""
    if isinstance(model, OperatorNet):
        why = model.operator_mismatch(A)
        if why:
            raise InvalidArgument(f"{why}: pass the operator the network was built with (model.operator), "
                                  "or build the network for this A")


def complex_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.complex128 if dtype == torch.float64 else torch.complex64


class OperatorNet(nn.Module):
    """Base class: operator handling, input parsing and the fixed operator layers (private)."""

    #: what ``forward`` takes ("measurements" or "adjoint"); see the class docstrings
    input: str = "measurements"

    def _set_modality(self, A: Any) -> None:
        self.modality = Modality(A, type(self).__name__)
        self.operator = A

    def operator_mismatch(self, A: Any) -> str:
        """Why ``A`` is not the operator this network was built for (empty when it is the same map).

        The architectures hold their operator in their layers (FBP input, data consistency, the
        gradient steps): evaluated or trained with another ``A`` of the same shapes they would
        silently compute something else.

        Theorem: none.
        Rigor: exact (masks, angles and sizes compared exactly).
        """
        op = self.operator
        if A is op:
            return ""
        who = type(self).__name__
        if type(A) is not type(op):
            return f"{who} was built for a {type(op).__name__}, not a {type(A).__name__}"
        if isinstance(op, SubsampledFourier):
            same = (np.array_equal(np.asarray(A.mask), np.asarray(op.mask))
                    and bool(getattr(A, "centered", False)) == bool(getattr(op, "centered", False)))
            what = "mask (and centring)"
        else:  # Radon
            same = (tuple(A.in_shape) == tuple(op.in_shape) and A.detectors == op.detectors
                    and bool(A.circle) == bool(op.circle) and np.array_equal(A.angles, op.angles))
            what = "image shape, angles, detectors and circle flag"
        return "" if same else f"{who} was built for another {type(op).__name__} (its {what} differ from A's)"

    # the operator is immutable (read-only arrays, private caches): copies share it
    def __deepcopy__(self, memo: dict) -> "OperatorNet":
        memo[id(self.operator)] = self.operator
        memo[id(self.modality)] = self.modality
        cls = type(self)
        new = cls.__new__(cls)
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            new.__dict__[key] = copy.deepcopy(value, memo)
        return new

    def _build_seeded(self, seed: int | None, build: Callable[[], None]) -> None:
        """Build the layers without touching the global RNG (when seeded), then initialise them."""
        if seed is None:
            build()
            self.reset_parameters(None)
        else:
            with torch.random.fork_rng(devices=[]):
                build()
            self.reset_parameters(seed)

    def reset_parameters(self, seed: int | None) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _refuse_parameters(self, count: int) -> None:
        refuse_size(float(count), MAX_PARAMETERS,
                    f"{type(self).__name__} with these hyperparameters on images "
                    f"{self.modality.image_shape} (parameters)",
                    "use smaller widths, fewer layers or a smaller image")

    def _refuse_activations(self, batch: int, floats_per_sample: float, itemsize: int) -> None:
        refuse_size(float(batch) * floats_per_sample * itemsize, MAX_ACTIVATION_BYTES,
                    f"the activations of one {type(self).__name__} forward pass on a batch of {batch} "
                    "(bytes)", "evaluate smaller batches")

    # -- input ----------------------------------------------------------------------------
    def _param(self) -> torch.Tensor:
        return next(self.parameters())

    def _input_tensor(self, x: Any, expected: str) -> torch.Tensor:
        name = type(self).__name__
        if not isinstance(x, torch.Tensor):
            raise InvalidArgument(f"{name} input is a {type(x).__name__}: pass a tensor {expected}")
        p = self._param()
        if x.is_complex():
            want = complex_dtype(p.dtype)
        elif x.is_floating_point():
            want = p.dtype
        else:
            raise InvalidArgument(f"{name} input has dtype {x.dtype}: pass a floating-point tensor "
                                  f"{expected}")
        if x.dtype != want or x.device != p.device:
            raise InvalidArgument(
                f"{name} input is {x.dtype} on {x.device} but the weights are {p.dtype} on "
                f"{p.device}: convert the input (x.to(dtype, device)); the network is never "
                "converted for you")
        return x

    def _measurements(self, inp: Any) -> torch.Tensor:
        """The measurements ``y`` (complex ``(B, m)`` for Fourier, real ``(B, *core)`` for Radon)."""
        mod = self.modality
        core = mod.meas_shape
        k = len(core)
        c = ", ".join(map(str, core))
        expected = (f"(B, 2, {c}) (real, imaginary), (B, 1, {c}) (real part), or (B, {c}) real or "
                    "complex")
        x = self._input_tensor(inp, expected)
        shape = tuple(x.shape)
        if x.is_complex():
            if x.dim() != k + 1 or shape[1:] != core:
                raise InvalidArgument(f"{type(self).__name__} input has shape {shape}: pass "
                                      f"{expected}{self._hint(shape)}")
            y = x
        elif x.dim() == k + 2 and shape[2:] == core and shape[1] in (1, 2):
            y = torch.complex(x[:, 0], x[:, 1]) if (shape[1] == 2 and mod.complex) else x[:, 0]
        elif x.dim() == k + 1 and shape[1:] == core:
            y = x
        else:
            raise InvalidArgument(f"{type(self).__name__} input has shape {shape}: pass "
                                  f"{expected}{self._hint(shape)}")
        if mod.complex and not y.is_complex():
            y = torch.complex(y, torch.zeros_like(y))
        if not mod.complex and y.is_complex():
            y = y.real
        if not bool(torch.isfinite(y if not y.is_complex() else torch.view_as_real(y)).all()):
            raise InvalidArgument(f"{type(self).__name__} input contains NaN or inf")
        return y

    def _hint(self, shape: tuple[int, ...]) -> str:
        img = self.modality.image_shape
        if len(shape) >= 2 and tuple(shape[-2:]) == img and self.input == "measurements":
            return (f" — this looks like an image {img}: {type(self).__name__} takes the measurements "
                    "y (train_reconstruction(..., input='measurements'), as_reconstruction_map("
                    "model, input='measurements'))")
        return ""

    # -- fixed operator layers -----------------------------------------------------------------
    def _apply_A(self, x: torch.Tensor) -> torch.Tensor:
        return self.operator.apply(x)

    def _adjoint_A(self, y: torch.Tensor) -> torch.Tensor:
        return self.operator.adjoint(y)

    def _initial_image(self, y: torch.Tensor, fbp_filter: str = "ramp") -> torch.Tensor:
        """``A^* y`` (Fourier, complex) or ``fbp(radon, y)`` (Radon, real): ``(B, n1, n2)``."""
        if self.modality.kind == "fourier":
            return self._adjoint_A(y)
        return fbp(self.operator, y, filter=fbp_filter)

    def _dc(self, x: torch.Tensor, y: torch.Tensor, t: Any) -> torch.Tensor:
        """``x + t · A^*(y − A x)`` (``t``: a number or a 0-d tensor)."""
        return x + t * self._adjoint_A(y - self._apply_A(x))

    def _to_channels(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, n1, n2)`` (complex for Fourier) → ``(B, C, n1, n2)`` real."""
        if self.modality.complex:
            return torch.stack([x.real, x.imag], dim=1)
        return x.unsqueeze(1)

    def _from_channels(self, h: torch.Tensor) -> torch.Tensor:
        """``(B, C, n1, n2)`` real → ``(B, n1, n2)`` (complex for Fourier)."""
        if self.modality.complex:
            return torch.complex(h[:, 0], h[:, 1])
        return h[:, 0]

    def _empty_image(self, complex_: bool = False) -> torch.Tensor:
        """An empty batch of images ``(0, n1, n2)`` in the model's (complex) dtype and device.

        Empty batches are answered directly: torch's FFTs refuse them.
        """
        p = self._param()
        dtype = complex_dtype(p.dtype) if complex_ else p.dtype
        return torch.zeros((0,) + self.modality.image_shape, dtype=dtype, device=p.device)

    @staticmethod
    def _real_image(x: torch.Tensor) -> torch.Tensor:
        """``(B, n1, n2)`` → the real image ``(B, 1, n1, n2)``."""
        return (x.real if x.is_complex() else x).unsqueeze(1)
