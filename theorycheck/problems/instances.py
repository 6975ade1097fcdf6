"""Plain builders of test instances: sensing matrices and planted program instances.

These are the builders behind :mod:`theorycheck.strategies` and the check
suites of :mod:`theorycheck.testing`, usable without hypothesis:

* :func:`sensing_matrix`: an ``m × N`` matrix with (expected) unit-norm
  columns from a seeded generator (Gaussian, Bernoulli, or rows of the DFT,
  DCT or Walsh–Hadamard transforms);
* :func:`plant_instance`: a U-LASSO / SR-LASSO / QCBP instance whose minimiser
  is a chosen sparse ``x`` by construction (``y = A x + r`` with a strict dual
  certificate); :func:`theorycheck.solvers.certify.build_certified_instance`
  then proves it in ball arithmetic and returns a :class:`CertifiedInstance`;
* :class:`CertifiedInstance` and :class:`RNSPInstance`, the records the
  strategies draw.

Randomness only through the ``numpy.random.Generator`` passed in.

Theorem: optimality and uniqueness under strict dual feasibility (docs/theory.md §1)
for the planted instances; rNSP (docs/theory.md §2) for :class:`RNSPInstance`.
Rigor: numerical for the planting (float64 margins); the certified instances
are proven by the exact solver.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from theorycheck.problems.operators import SubsampledDCT, SubsampledFourier, SubsampledWalshHadamard
from theorycheck.problems.programs import QCBP, Lasso, Program, SRLasso

__all__ = ["MATRIX_KINDS", "PROBLEM_KINDS", "sensing_matrix", "orthogonal_part", "gaussian", "PlantedInstance",
           "plant_instance", "plant_basis_pursuit", "CertifiedInstance", "RNSPInstance"]

#: the kinds of :func:`sensing_matrix`
MATRIX_KINDS = ("gaussian", "bernoulli", "fourier", "dct", "hadamard")
#: the programs :func:`plant_instance` builds
PROBLEM_KINDS = ("lasso", "srlasso", "qcbp")

_TRANSFORMS = {"fourier": SubsampledFourier, "dct": SubsampledDCT, "hadamard": SubsampledWalshHadamard}


def sensing_matrix(kind: str, m: int, N: int, dtype: np.dtype, rng: np.random.Generator) -> np.ndarray:
    """An ``m × N`` sensing matrix with columns of (expected) unit norm, drawn from ``rng``.

    ``"gaussian"``: i.i.d. ``N(0, 1/m)`` (complex: ``N(0, 1/(2m))`` real and
    imaginary parts); ``"bernoulli"``: i.i.d. ``±1/√m``; ``"fourier"``, ``"dct"``,
    ``"hadamard"``: ``m`` distinct rows of the unitary transform drawn uniformly,
    scaled by ``√(N/m)`` (``m ≤ N``; Hadamard: ``N`` a power of two). The
    arguments are not validated here (the strategies validate them).

    Theorem: none (random matrices of compressed sensing).
    Rigor: not applicable.
    """
    cplx = dtype.kind == "c"
    A: np.ndarray
    if kind == "gaussian":
        A = rng.standard_normal((m, N))
        if cplx:
            A = (A + 1j * rng.standard_normal((m, N))) / math.sqrt(2)
        A = A / math.sqrt(m)
    elif kind == "bernoulli":
        A = rng.choice([-1.0, 1.0], (m, N))
        if cplx:
            A = (A + 1j * rng.choice([-1.0, 1.0], (m, N))) / math.sqrt(2)
        A = A / math.sqrt(m)
    else:
        mask = np.zeros(N, dtype=bool)
        mask[rng.choice(N, m, replace=False)] = True
        A = _TRANSFORMS[kind](mask).to_dense() * math.sqrt(N / m)
    return np.ascontiguousarray(A, dtype=dtype)


def orthogonal_part(g: np.ndarray, AS: np.ndarray) -> np.ndarray:
    """``g`` minus its (least-squares) projection on ``range(A_S)``.

    Theorem: none (orthogonal projection).
    Rigor: numerical (float64 least squares).
    """
    if AS.shape[1] == 0:
        return g
    return g - AS @ np.linalg.lstsq(AS, g, rcond=None)[0]


def gaussian(rng: np.random.Generator, shape: Any, cplx: bool) -> np.ndarray:
    """Standard normal draws (complex: independent real and imaginary parts).

    Theorem: none.
    Rigor: not applicable.
    """
    g = rng.standard_normal(shape)
    return g + 1j * rng.standard_normal(shape) if cplx else g


@dataclasses.dataclass(frozen=True, eq=False)
class PlantedInstance:
    """A program instance whose minimiser is ``x`` by construction (before any proof).

    Attributes
    ----------
    problem : Lasso, SRLasso or QCBP
    y : numpy.ndarray
    x : numpy.ndarray
        The planted minimiser (float64/complex128).
    params : dict
        How it was built (see :class:`CertifiedInstance`).

    Theorem: optimality under strict dual feasibility (docs/theory.md §1), with float64 margins.
    Rigor: numerical (the margins are float64; the exact solver proves the minimiser).
    """

    problem: Program
    y: np.ndarray
    x: np.ndarray
    params: dict = dataclasses.field(default_factory=dict)


def _planted_residual(A: np.ndarray, S: list[int], sig: np.ndarray, w: np.ndarray, lam: float,
                      noise: float, rng: np.random.Generator, cplx: bool) -> tuple[np.ndarray, np.ndarray, float]:
    """``r = (λ/2) A_S G^{-1}(w_S σ) + noise·‖·‖·g⊥``: its two parts and the scale of the first."""
    m = A.shape[0]
    AS = A[:, S]
    if S:
        G = AS.conj().T @ AS
        r0 = (lam / 2) * AS @ np.linalg.solve(G, w[S] * sig)
    else:
        r0 = np.zeros(m, dtype=A.dtype)
    gp = orthogonal_part(gaussian(rng, m, cplx), AS)
    ngp = float(np.linalg.norm(gp))
    scale = float(np.linalg.norm(r0)) if S else lam
    r = r0 + (noise * scale * gp / ngp if ngp > 1e-8 and noise > 0 else 0)
    return r, r0, scale


def _near_duplicate(A: np.ndarray, S: list[int], sig: np.ndarray, r: np.ndarray, dup: int, delta: float,
                    rng: np.random.Generator, cplx: bool) -> None:
    """Replace column ``dup`` by ``a_{S[0]} + δ d`` with ``d`` turned against the residual (in place)."""
    m = A.shape[0]
    rhat = r / float(np.linalg.norm(r))
    z = gaussian(rng, m, cplx)
    z = z - rhat * np.vdot(rhat, z)
    d = -np.conj(sig[0]) * rhat + z / np.linalg.norm(z)
    d = d / np.linalg.norm(d)
    A[:, dup] = A[:, S[0]] + delta * d


def _margins_hold(A: np.ndarray, S: list[int], r: np.ndarray, w: np.ndarray, lam: float, min_slack: float,
                  dup: int | None) -> bool:
    """``|2a_j^* r| ≤ (1 − min_slack) λ w_j`` off ``S`` (the near-duplicate: strictly below ``λ w``)."""
    corr = 2 * np.abs(A.conj().T @ r)
    thr = lam * w
    off = np.ones(A.shape[1], dtype=bool)
    off[S] = False
    if dup is not None:
        off[dup] = False
        if not corr[dup] < thr[dup]:
            return False
    return not np.any(corr[off] > (1 - min_slack) * thr[off])


def plant_instance(
    problem: str,
    rng: np.random.Generator,
    *,
    m: int,
    N: int,
    s: int,
    lam: float = 0.5,
    noise: float = 0.5,
    dtype: Any = np.float64,
    kind: str = "gaussian",
    weights: np.ndarray | None = None,
    support: list[int] | None = None,
    values: np.ndarray | None = None,
    degenerate: tuple[int, float] | None = None,
    min_slack: float = 0.1,
    attempts: int = 40,
    seed: int | None = None,
    basis_pursuit: bool = False,
) -> PlantedInstance | None:
    """Planted instance: ``y = A x + r`` with a strict dual certificate for the chosen ``x``.

    ``r = (λ/2) A_S G^{-1}(w_S σ) + noise·‖·‖·g⊥`` (``g⊥ ⊥ range(A_S)``) makes
    ``x`` the U-LASSO minimiser when ``|2a_j^* r| < λ w_j`` off ``S``; the same
    ``x`` minimises SR-LASSO with ``λ/(2‖r‖)`` and QCBP with ``η = ‖r‖``
    (``noise > 0`` keeps them off the degenerate case ``λ²q = 1``). With
    ``degenerate = (j', δ)`` column ``j'`` becomes ``a_{S[0]} + δ d`` with ``d``
    chosen so that its dual correlation is ``λ w (1 − O(δ))``: nearly collinear
    columns and a dual slack of order ``δ``. Matrices that miss the margins
    (``1 − min_slack`` of the thresholds) are redrawn (``attempts`` times, from
    ``rng``); ``None`` if all fail. The arguments are not validated here (the
    strategies validate them).

    ``basis_pursuit=True`` (``problem="qcbp"``, real data) plants a basis
    pursuit instance instead: QCBP with ``η = 0``, ``A`` rounded to multiples of
    ``2^-20`` and ``x`` to multiples of ``2^-10`` so that ``y = A x`` holds
    exactly in float64, and a strict minimum-norm dual certificate
    ``|a_j^T v| ≤ (1 − min_slack) w_j`` off ``S`` (see :func:`plant_basis_pursuit`).

    Theorem: optimality under strict dual feasibility (docs/theory.md §1).
    Rigor: numerical (float64 margins; prove the minimiser with the exact solver).
    """
    if basis_pursuit:
        return plant_basis_pursuit(rng, m=m, N=N, s=s, kind=kind, weights=weights, support=support,
                                   values=values, min_slack=min_slack, attempts=attempts, seed=seed)
    dt = np.dtype(dtype)
    cplx = dt.kind == "c"
    cdt = np.complex128 if cplx else np.float64
    w = np.ones(N) if weights is None else np.asarray(weights, dtype=float)
    S = sorted(int(j) for j in (support if support is not None else rng.choice(N, s, replace=False)))
    if values is None:
        mags = rng.uniform(0.5, 2.0, s)
        phase = np.exp(2j * np.pi * rng.uniform(0, 1, s)) if cplx else rng.choice([-1.0, 1.0], s)
        values = mags * phase
    vals = np.asarray(values, dtype=cdt)
    dup = None
    if degenerate is not None:
        dup = int(degenerate[0])
        w = w.copy()
        w[dup] = w[S[0]]  # the near-duplicate carries the same weight as its twin
    x = np.zeros(N, dtype=cdt)
    x[S] = vals
    sig = vals / np.abs(vals) if s else vals
    for _ in range(attempts):
        A = np.asarray(sensing_matrix(kind, m, N, dt, rng), dtype=cdt)
        if s and np.linalg.cond(A[:, S]) > 1e6:
            continue
        r, r0, scale = _planted_residual(A, S, sig, w, lam, noise, rng, cplx)
        if problem != "lasso" and float(np.linalg.norm(r - r0)) <= 1e-3 * scale:
            continue  # SR-LASSO / QCBP need a component off range(A_S)
        if degenerate is not None:
            _near_duplicate(A, S, sig, r, int(degenerate[0]), float(degenerate[1]), rng, cplx)
        if not _margins_hold(A, S, r, w, lam, min_slack, dup):
            continue
        y = A @ x + r
        weights_arg = None if weights is None and degenerate is None else w
        if problem == "lasso":
            P: Program = Lasso(A, lam=lam, weights=weights_arg)
        elif problem == "srlasso":
            P = SRLasso(A, lam=lam / (2 * float(np.linalg.norm(r))), weights=weights_arg)
        else:
            P = QCBP(A, eta=float(np.linalg.norm(r)), weights=weights_arg)
        params = {"m": m, "N": N, "s": s, "support": S, "kind": kind, "noise": noise,
                  "lam_lasso": lam, "planted_x": x, "seed": seed}
        if degenerate is not None:
            params.update(delta=float(degenerate[1]), near_duplicate=(S[0], int(degenerate[0])))
        return PlantedInstance(P, y, x, params)
    return None


def plant_basis_pursuit(
    rng: np.random.Generator,
    *,
    m: int,
    N: int,
    s: int,
    kind: str = "gaussian",
    weights: np.ndarray | None = None,
    support: list[int] | None = None,
    values: np.ndarray | None = None,
    min_slack: float = 0.1,
    attempts: int = 40,
    seed: int | None = None,
) -> PlantedInstance | None:
    """Planted basis pursuit: ``min ‖z‖_{1,w} s.t. Az = y`` (QCBP with ``η = 0``) with ``y = A x`` exactly.

    ``A`` is a real sensing matrix rounded to multiples of ``2^-20`` and the
    planted ``x`` has entries that are multiples of ``2^-10`` (at least one
    unit), so every product and sum in ``A @ x`` is exact in float64 and ``y``
    lies exactly in ``range(A_S)``. The minimum-norm dual vector
    ``v = A_S (A_S^T A_S)^{-1} (w_S σ)`` must satisfy ``|a_j^T v| ≤ (1 − min_slack) w_j``
    off ``S``: then ``x`` is the unique minimiser (Fuchs). Matrices that miss
    the margin are redrawn ``attempts`` times; ``None`` if all fail.

    Theorem: strict dual certificate ⇒ unique ℓ1 minimiser given ``y = Ax`` (docs/theory.md §1–2).
    Rigor: numerical (float64 margin; the exact solver proves the minimiser).
    """
    w = np.ones(N) if weights is None else np.asarray(weights, dtype=float)
    S = sorted(int(j) for j in (support if support is not None else rng.choice(N, s, replace=False)))
    if values is None:
        values = rng.uniform(0.5, 2.0, s) * rng.choice([-1.0, 1.0], s)
    q = np.rint(np.real(np.asarray(values, dtype=complex)) * 2**10)
    q = np.where(q == 0, np.where(np.real(values) < 0, -1.0, 1.0), q)
    x = np.zeros(N)
    x[S] = q / 2**10
    sig = np.sign(x[S])
    for _ in range(attempts):
        A = np.rint(sensing_matrix(kind, m, N, np.dtype(np.float64), rng) * 2**20) / 2**20
        AS = A[:, S]
        if s and np.linalg.cond(AS) > 1e6:
            continue
        v = AS @ np.linalg.solve(AS.T @ AS, w[S] * sig) if s else np.zeros(m)
        corr = np.abs(A.T @ v) / w
        off = np.ones(N, dtype=bool)
        off[S] = False
        if np.any(corr[off] > 1 - min_slack):
            continue
        y = A @ x
        weights_arg = None if weights is None else w
        params = {"m": m, "N": N, "s": s, "support": S, "kind": kind, "noise": 0.0, "lam_lasso": 0.0,
                  "planted_x": x, "seed": seed, "basis_pursuit": True}
        return PlantedInstance(QCBP(A, eta=0.0, weights=weights_arg), y, x, params)
    return None


@dataclasses.dataclass(frozen=True, eq=False)
class CertifiedInstance:
    """A program instance drawn together with its proven unique minimiser.

    Attributes
    ----------
    problem : Lasso, SRLasso or QCBP
        The program (dense float64/complex128 matrix; ``problem.A.to_dense()``).
    y : numpy.ndarray
        The data.
    solution : Solution
        ``rigor="proven"``: the certified unique minimiser of ``(problem, y)``
        (``solution.x`` its float64 rounding, ``solution.info["z_enclosure"]``
        the balls; compare with
        :func:`theorycheck.solvers.certify.distance_to_enclosure`).
    params : dict
        How the instance was built: ``m``, ``N``, ``s``, ``support``, ``kind``
        (matrix kind), ``noise``, for near-degenerate instances ``delta`` and
        ``near_duplicate`` (the pair of nearly collinear columns), ``seed``.

    Theorem: uniqueness of the minimiser under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (``solution.rigor``).
    """

    problem: Any
    y: np.ndarray
    solution: Any
    params: dict = dataclasses.field(default_factory=dict)

    @property
    def minimiser(self) -> np.ndarray:
        """The float64 rounding of the certified minimiser (``solution.x``)."""
        return self.solution.x

    @property
    def dual_slack(self) -> float:
        """Certified lower bound on the relative strict dual feasibility margin."""
        return float(self.solution.dual_slack)

    def __repr__(self) -> str:
        p = self.params
        par = getattr(self.problem, "lam", getattr(self.problem, "eta", None))
        extra = ""
        if "delta" in p:
            extra = f", delta={p['delta']:.3g}, near_duplicate={p['near_duplicate']}"
        return (f"CertifiedInstance({type(self.problem).__name__}, m={p.get('m')}, N={p.get('N')}, "
                f"s={p.get('s')}, {self.problem._param_name}={par:.6g}, kind={p.get('kind')!r}, "
                f"support={p.get('support')}{extra}, dual_slack≥{self.dual_slack:.2e}, "
                f"seed={p.get('seed')})")


@dataclasses.dataclass(frozen=True, eq=False)
class RNSPInstance:
    """A matrix with robust null space property constants computed by :mod:`theorycheck.rnsp`.

    Attributes
    ----------
    A : numpy.ndarray
        The ``m × N`` matrix.
    s : int
        The order.
    rho, gamma : float
        The rNSP holds with ``(ρ, γ)`` (``γ`` the certified safe side).
    rigor : Rigor
        Of ``gamma`` (``proven`` when exact or certified).
    result : object
        The :func:`theorycheck.rnsp.rnsp_gamma` result (``value``, ``lower``,
        ``upper``, ``witness``).

    Theorem: rNSP of docs/theory.md §2.
    Rigor: as in ``rigor``.
    """

    A: np.ndarray
    s: int
    rho: float
    gamma: float
    rigor: Any
    result: Any = None

    def __repr__(self) -> str:
        return (f"RNSPInstance(m={self.A.shape[0]}, N={self.A.shape[1]}, s={self.s}, "
                f"rho={self.rho:.4g}, gamma={self.gamma:.6g}, rigor={getattr(self.rigor, 'value', self.rigor)})")
