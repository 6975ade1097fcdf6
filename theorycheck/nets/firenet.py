"""FIRENET: the restarted primal–dual scheme for weighted SR-LASSO unrolled into a network (docs/theory.md §6.4).

``FIRENET(A, lam=…)`` is a :class:`torch.nn.Module` whose forward pass is the
algorithm of docs/theory.md §6.4 with ``restarts`` blocks of ``inner`` Chambolle–Pock
layers (``restarts·inner`` layers in all):

.. code-block:: text

    ψ ← 0; ε ← ε₀
    repeat n times:
        ε ← e^{-1}(δ + ε);  β ← ε/(2 L_A);  α ← 1/(β p)
        p steps on b = α y from x₀ = α ψ, ξ₀ = 0:
            x_{j+1} = soft_{τλw}(x_j − τ B^* ξ_j)
            ξ_{j+1} = proj_{‖·‖₂ ≤ 1}(ξ_j + σ B(2x_{j+1} − x_j) − σ b)
        ψ ← mean(x₁..x_p)/α
    return W^* ψ

with ``B = A W^*`` for a unitary sparsifier ``W`` (``B = A`` without one).
``warm_dual=True`` starts each block's dual ``ξ`` from the previous block's
final ``ξ`` instead of 0 (docs/theory.md §6.7): the same schedule, about half
the layers to a given accuracy.
Real and complex data, weights, any leading batch shape, any device, and
autograd (gradients flow to ``y``). The parameters, step sizes and defaults
(``L_A = ‖A‖``, ``τ = σ = 0.99/L_A``, ``p`` from
:func:`~theorycheck.solvers.restarted.default_inner_iterations`, ``ε₀ = ‖y‖``)
are those of :func:`theorycheck.solvers.restarted.restarted_primal_dual`, and
the two agree to rounding (the tests check it).

Theorem: docs/theory.md §6.4 (exponential convergence in the number of restarts
under the rNSP in levels; stability).
Rigor: numerical (a network's output proves nothing by itself).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array, check_finite, resolve_device
from theorycheck.numerics.validation import bool_arg, integer_arg, real_arg, refuse_size
from theorycheck.problems.operators import LinearOperator, MatrixOperator
from theorycheck.problems.programs import Program, SRLasso
from theorycheck.solvers._arrays import is_synthesis
from theorycheck.solvers._pdhg import default_step_sizes, operator_norm_bound
from theorycheck.solvers.restarted import default_inner_iterations

__all__ = ["FIRENET"]

#: largest number of layers (``restarts · inner``) and of multiply-adds per sample of a forward pass
MAX_LAYERS = 10 ** 6
MAX_FLOPS = 1e13


def _apply_flops(op: LinearOperator) -> float:
    """Rough multiply-adds of one ``apply`` + ``adjoint`` (dense: ``2mN``; fast transforms: ``~(m+N) log N``)."""
    m, N = op.shape
    inner = getattr(op, "op", None) or getattr(op, "outer", None)
    if isinstance(op, MatrixOperator) or isinstance(inner, MatrixOperator):
        return 2.0 * m * N
    return 20.0 * (m + N) * math.log2(N + 2)


class FIRENET(torch.nn.Module):
    """Unrolled restarted primal–dual network for weighted SR-LASSO (docs/theory.md §6.4).

    Parameters
    ----------
    A : array_like, torch.Tensor, LinearOperator or SRLasso
        The measurement matrix/operator, or a whole :class:`SRLasso` spec (then
        ``lam``, ``weights`` and ``W`` come from it and must not be passed).
    lam : float
        ``λ > 0`` (required unless ``A`` is an ``SRLasso``).
    weights : array_like, optional
        Positive weights ``w`` (one per coefficient of ``Wz``).
    W : LinearOperator, optional
        A unitary sparsifier.
    restarts : int
        Number of restarts ``n`` (blocks).
    inner : int, optional
        Chambolle–Pock layers per block ``p``.
    eps0 : float, optional
        Initial ``ε₀`` (default ``‖y‖`` per sample, 1 for ``y = 0``).
    delta : float
        ``δ ≥ 0``.
    warm_dual : bool
        Start each restart's dual variable from the previous restart's final ``ξ``
        instead of ``0`` (docs/theory.md §6.4). The saddle points of the rescaled
        problem (data ``αy``) are ``(αx*, ξ*)`` with the *same* dual ``ξ*`` for
        every ``α > 0`` (SR-LASSO is positively homogeneous and its dual lives in
        the unit ball), so the carried ``ξ`` stays a good start while ``ψ`` is
        rescaled; with ``p`` unchanged it reaches a given accuracy in about half
        the layers (``benchmarks/bench_firenet.py``). Default ``False``: the
        scheme as analysed (``ξ₀ = 0``), equal to
        :func:`~theorycheck.solvers.restarted.restarted_primal_dual`.
    L_A : float, optional
        Upper bound on ``‖A‖`` (default computed as in ``restarted_primal_dual``).
    tau, sigma : float, optional
        Steps with ``τσL_A² < 1`` (default ``0.99/L_A`` each).
    dtype : torch.dtype
        Real working precision (``torch.float64`` default, or ``torch.float32``).
    device : str or torch.device, optional
        Default: CUDA when available, else CPU.

    Theorem: docs/theory.md §6.4 (FIRENET; exponential convergence under the rNSP).
    Rigor: numerical.

    Examples
    --------
    >>> net = FIRENET(np.eye(2), lam=0.5, restarts=25, device="cpu")
    >>> [round(v, 6) for v in net(torch.tensor([2.0, 0.0], dtype=torch.float64)).tolist()]
    [2.0, 0.0]
    """

    thr: torch.Tensor  # buffer: λw in the shape of the coefficients

    def __init__(self, A: Any, lam: float | None = None, *, weights: Any = None, W: Any = None,
                 restarts: int = 10, inner: int | None = None, eps0: float | None = None,
                 delta: float = 0.0, warm_dual: bool = False, L_A: float | None = None,
                 tau: float | None = None, sigma: float | None = None, dtype: Any = torch.float64,
                 device: Any = None):
        super().__init__()
        if isinstance(A, SRLasso):
            if lam is not None or weights is not None or W is not None:
                raise InvalidArgument("A is an SRLasso spec: leave lam, weights and W out (they come "
                                      "from the spec)")
            problem = A
        elif isinstance(A, Program):
            raise InvalidArgument(f"FIRENET solves SR-LASSO: got a {type(A).__name__} spec; pass an "
                                  "SRLasso or a matrix/operator with lam")
        else:
            if lam is None:
                raise InvalidArgument("pass lam (λ > 0), or an SRLasso spec as A")
            problem = SRLasso(A, lam, weights=weights, W=W)  # tensors are read (exactly) by the spec
        if not is_synthesis(problem):
            raise InvalidArgument("FIRENET needs no W or a unitary W (synthesis form); for a "
                                  "non-unitary W use theorycheck.solvers.primal_dual.chambolle_pock")
        if not isinstance(dtype, torch.dtype) or dtype not in (torch.float32, torch.float64):
            raise InvalidArgument(f"dtype={dtype!r}: pass torch.float32 or torch.float64")
        self.problem = problem
        self.B: LinearOperator = problem.synthesis_operator
        self.x_shape = tuple(self.B.in_shape)
        self.y_shape = tuple(problem.A.out_shape)
        self.complex = bool(problem.is_complex)
        self.restarts = integer_arg(restarts, "restarts")
        self.delta = real_arg(delta, "delta", allow_zero=True)
        self.warm_dual = bool_arg(warm_dual, "warm_dual")
        if L_A is None:
            L_A = operator_norm_bound(problem.A)
            if not (math.isfinite(L_A) and L_A > 0):
                raise InvalidArgument(
                    f"A is the zero operator (‖A‖ = {L_A}): every z has the same data misfit ‖y‖ and "
                    "the SR-LASSO minimiser is z = 0; the restarted scheme's steps 1/‖A‖ are undefined")
        else:
            L_A = real_arg(L_A, "L_A", allow_zero=True)
            if L_A == 0:
                raise InvalidArgument("L_A must be positive (an upper bound on ‖A‖)")
        self.L_A = float(L_A)
        if inner is None:
            p_default = 2.0 * math.sqrt(2.0) * self.L_A / (problem.lam * float(np.min(problem.weights)))
            refuse_size(self.restarts * max(10.0, p_default), MAX_LAYERS,
                        f"FIRENET with {self.restarts} restarts of the default ⌈2√2‖A‖/(λ min w)⌉ = "
                        f"{p_default:.3g} inner layers (layers)",
                        "pass inner= (and restarts=) explicitly, or rescale A and y")
            self.inner = default_inner_iterations(self.L_A, problem.lam, np.asarray(problem.weights))
        else:
            self.inner = integer_arg(inner, "inner")
        refuse_size(float(self.restarts) * self.inner, MAX_LAYERS,
                    f"FIRENET with {self.restarts} restarts × {self.inner} inner layers (layers)",
                    "pass fewer restarts or inner layers")
        refuse_size(float(self.restarts) * self.inner * _apply_flops(problem.synthesis_operator), MAX_FLOPS,
                    "a FIRENET forward pass (multiply-adds per sample)", "pass fewer restarts or inner layers")
        self.tau, self.sigma = default_step_sizes(tau, sigma, self.L_A)
        if eps0 is not None:
            eps0 = real_arg(eps0, "eps0", allow_zero=True)
            if eps0 == 0:
                raise InvalidArgument("eps0 must be positive")
        self.eps0 = eps0
        self.rdtype = dtype
        self.cdtype = {torch.float32: torch.complex64, torch.float64: torch.complex128}[dtype]
        thr = torch.as_tensor(problem.lam * np.asarray(problem.weights, dtype=np.float64))
        self.register_buffer("thr", thr.reshape(self.x_shape).to(device=resolve_device(device), dtype=dtype))

    @classmethod
    def from_problem(cls, problem: SRLasso, **kwargs: Any) -> "FIRENET":
        """FIRENET for an :class:`SRLasso` spec (same as ``FIRENET(problem, **kwargs)``).

        Theorem: docs/theory.md §6.4.
        Rigor: numerical.
        """
        return cls(problem, **kwargs)

    @property
    def layers(self) -> int:
        """Total Chambolle–Pock layers ``restarts · inner``."""
        return self.restarts * self.inner

    def extra_repr(self) -> str:
        return (f"x_shape={self.x_shape}, y_shape={self.y_shape}, lam={self.problem.lam}, "
                f"restarts={self.restarts}, inner={self.inner}, L_A={self.L_A:.6g}, "
                f"complex={self.complex}, warm_dual={self.warm_dual}")

    # -- building blocks ------------------------------------------------------------------
    def _soft(self, v: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        mod = v.abs()
        return v * (torch.clamp(mod - t, min=0.0) / torch.where(mod > 0, mod, torch.ones_like(mod)))

    def _norm(self, v: torch.Tensor) -> torch.Tensor:
        k = len(self.y_shape)
        sq = v.real ** 2 + v.imag ** 2 if v.is_complex() else v * v
        return torch.sqrt(sq.sum(dim=tuple(range(-k, 0))))

    def _prepare(self, y: Any) -> tuple[torch.Tensor, tuple[int, ...]]:
        dev = self.thr.device
        if not isinstance(y, torch.Tensor):
            y = torch.as_tensor(as_array(y, "y"))  # exact: values float64 cannot hold are refused
        shape = tuple(y.shape)
        core = self.y_shape
        if len(shape) < len(core) or shape[len(shape) - len(core):] != core:
            raise InvalidArgument(f"y has shape {shape}: pass shape (*batch, {', '.join(map(str, core))})")
        check_finite(y, "y")
        if y.is_complex() and not self.complex:
            raise InvalidArgument("y is complex but the problem is real: pass real y or a complex operator")
        dt = self.cdtype if self.complex else self.rdtype
        return y.to(device=dev, dtype=dt), shape[: len(shape) - len(core)]

    # -- forward ----------------------------------------------------------------------------
    def forward(self, y: Any, *, history: bool = False) -> Any:
        """Reconstruct ``z ≈ argmin λ‖Wz‖_{1,w} + ‖Az − y‖`` from ``y`` (shape ``(*batch, *A.out_shape)``).

        With ``history=True`` returns ``(z, [z after restart 1, …, z after restart n])``.

        The scheme is positively homogeneous (``Ψ(cy) = cΨ(y)`` for ``c > 0``, with
        ``ε₀`` and ``δ`` scaled alike), so each sample is run on ``y/s`` with ``s``
        the largest power of two ``≤ max|y_i|`` (kept within ``2^{±900}`` of
        a given ``ε₀`` and ``δ``) and the result multiplied by
        ``s``: bit for bit the same as the unscaled iteration wherever that one
        neither overflows nor underflows, and correct for data near the float
        range (``‖y‖ ≈ 1e200`` or ``1e-310``) where it would give NaN or 0.
        An output that still overflows raises :class:`InvalidArgument`.

        Theorem: docs/theory.md §6.4.
        Rigor: numerical.
        """
        history = bool_arg(history, "history")
        yv, batch = self._prepare(y)
        ky, kx = len(self.y_shape), len(self.x_shape)
        B = self.B
        p, tau, sigma = self.inner, self.tau, self.sigma
        # exact power-of-two normalisation per sample (no overflow in ‖y‖², no underflow in 1/ε)
        with torch.no_grad():
            k = math.prod(self.y_shape)
            amax = (yv.abs().reshape(batch + (k,)).amax(dim=-1) if k and yv.numel()
                    else torch.zeros(batch, device=yv.device)).to(self.rdtype)
            _, expo = torch.frexp(torch.where(amax > 0, amax, torch.ones_like(amax)))
            expo = expo - 1  # max|y/s| ∈ [1, 2); s ≤ 2^1023
            for given in (self.eps0, self.delta):  # keep ε₀/s and δ/s far from over- and underflow
                if given:
                    e_g = math.frexp(given)[1]
                    expo = torch.clamp(expo, e_g - 900, e_g + 900)
            scale = torch.ldexp(torch.ones_like(amax), expo)
        yv = yv / scale[(...,) + (None,) * ky]
        delta = torch.full_like(scale, self.delta) / scale  # tensor / tensor: float / tensor uses 1/scale
        if self.eps0 is None:
            ny = self._norm(yv)
            eps = torch.where(ny > 0, ny, torch.ones_like(ny))
        else:
            eps = torch.full(batch, self.eps0, dtype=self.rdtype, device=yv.device) / scale
        xdt = self.cdtype if self.complex else self.rdtype
        psi = torch.zeros(batch + self.x_shape, dtype=xdt, device=yv.device)
        out = []
        carried: Any = None
        s_x = scale[(...,) + (None,) * kx]
        for _ in range(self.restarts):
            eps = (delta + eps) / math.e
            alpha = 2.0 * self.L_A / (eps * p)  # α = 1/(βp), β = ε/(2L_A)
            a_y = alpha[(...,) + (None,) * ky]
            a_x = alpha[(...,) + (None,) * kx]
            b = a_y * yv
            x = a_x * psi
            Bx = B._apply(x)
            if carried is None:
                xi = torch.zeros_like(Bx)
                Btxi = torch.zeros_like(x)
            else:  # the dual is invariant under the rescaling by α: keep it
                xi, Btxi = carried
            acc: Any = None
            for _ in range(p):
                x_new = self._soft(x - tau * Btxi, tau * self.thr)
                Bx_new = B._apply(x_new)
                v = xi + sigma * (2.0 * Bx_new - Bx) - sigma * b
                n = self._norm(v)[(...,) + (None,) * ky]
                xi = v / torch.clamp(n, min=1.0)
                Btxi = B._adjoint(xi)
                acc = x_new if acc is None else acc + x_new
                x, Bx = x_new, Bx_new
            psi = acc / (p * a_x)
            if self.warm_dual:
                carried = (xi, Btxi)
            if history:
                out.append(self._finite(self._signal(psi * s_x)))
        z = self._finite(self._signal(psi * s_x))
        return (z, out) if history else z

    @staticmethod
    def _finite(z: torch.Tensor) -> torch.Tensor:
        if not bool(torch.isfinite(z.detach()).all()):
            raise InvalidArgument("FIRENET's output is not finite (it overflows the working precision, "
                                  "or L_A is below ‖A‖): rescale y, use float64, or pass a valid L_A")
        return z

    def _signal(self, psi: torch.Tensor) -> torch.Tensor:
        W = self.problem.W
        return W._adjoint(psi) if W is not None else psi
