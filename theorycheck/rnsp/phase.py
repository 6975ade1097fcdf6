"""Donoho–Tanner phase transition: the statistical-dimension formula and an empirical sweep.

The statistical dimension of the descent cone of ``‖·‖₁`` at an ``s``-sparse
vector in ``R^N`` is ``N ψ(s/N)`` with (Amelunxen–Lotz–McCoy–Tropp 2014)

    ψ(r) = inf_{τ≥0} r(1+τ²) + 2(1−r)[(1+τ²)Q(τ) − τφ(τ)],

``Q`` the standard normal tail and ``φ`` its density; ℓ1 minimisation recovers
the vector from ``m`` Gaussian measurements with high probability iff
``m > N ψ(s/N)``. With ``δ = m/N`` the weak threshold is ``ρ_W(δ) = r/δ`` where
``ψ(r) = δ``. The infimum is attained where ``rτ = 2(1−r)(φ(τ) − τQ(τ))``.

:func:`donoho_tanner` evaluates ``ρ_W(δ)``; :func:`empirical_phase_transition`
measures the success rate of basis pursuit on Gaussian instances over a grid
(reproducible from its stored seed: the verifier at the end of this module
re-runs it).

Theorem: Amelunxen–Lotz–McCoy–Tropp (2014), Thm II; Donoho–Tanner (2009) (docs/theory.md §2).
Rigor: numerical (root finding to 1e-13; Monte Carlo for the empirical sweep).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, Sequence, cast

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array
from theorycheck.numerics.parallel import fan_out, progress_bar, resolve_executor
from theorycheck.numerics.validation import bool_arg, refuse_size
from theorycheck.results import CheckResult, Outcome, Rigor, Witness, register_result, register_verifier
from theorycheck.rnsp._common import BadWitness, count_arg, order_arg, positive_arg, w_float, w_get, w_int
from theorycheck.rnsp._results import verify_with

#: work (Σ over cells of trials·m²·N, a simplex cost model) a sweep may ask for
MAX_SWEEP_WORK = 5e12
#: largest signal length of the empirical sweep (dense m×N Gaussian matrices)
MAX_N = 20000

__all__ = ["PhaseTransitionResult", "donoho_tanner", "empirical_phase_transition"]


def _psi(r: float) -> float:
    from scipy.optimize import brentq
    from scipy.stats import norm

    if r <= 0:
        return 0.0
    if r >= 1:
        return 1.0

    def h(t: float) -> float:
        return r * t - 2 * (1 - r) * (norm.pdf(t) - t * norm.sf(t))

    hi = 1.0
    while h(hi) < 0:
        hi *= 2
    tau = brentq(h, 0.0, hi, xtol=1e-15, rtol=1e-15)
    return float(r * (1 + tau * tau) + 2 * (1 - r) * ((1 + tau * tau) * norm.sf(tau) - tau * norm.pdf(tau)))


def weak_threshold(delta: float) -> float:
    """``ρ_W(δ)`` for one ``δ ∈ (0, 1)``."""
    from scipy.optimize import brentq

    r = brentq(lambda x: _psi(x) - delta, 1e-15, 1 - 1e-15, xtol=1e-15, rtol=1e-14)
    return float(r / delta)


def _cell(N: int, m: int, s: int, trials: int, seed: np.random.SeedSequence, tol: float) -> int:
    """Successful ℓ1 recoveries of ``s``-sparse Gaussian vectors from ``m`` Gaussian measurements."""
    from scipy.optimize import linprog

    rng = np.random.default_rng(seed)
    ok = 0
    for _ in range(trials):
        A = rng.standard_normal((m, N)) / math.sqrt(m)
        x = np.zeros(N)
        S = rng.choice(N, s, replace=False)
        x[S] = rng.standard_normal(s)
        y = A @ x
        res = linprog(np.ones(2 * N), A_eq=np.hstack([A, -A]), b_eq=y, bounds=(0, None), method="highs")
        if res.status == 0:
            xh = res.x[:N] - res.x[N:]
            ok += int(np.linalg.norm(xh - x) <= tol * np.linalg.norm(x))
    return ok


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class PhaseTransitionResult(CheckResult):
    """An empirical ℓ1 phase-transition sweep compared with the Donoho–Tanner curve.

    Attributes
    ----------
    N : int
        Signal length.
    deltas, rhos : numpy.ndarray
        Undersampling ``δ = m/N`` (rows) and nominal sparsity ``ρ = s/m`` (columns).
    probability : numpy.ndarray
        Fraction of successful recoveries per cell (``len(deltas) × len(rhos)``).
    rho_effective : numpy.ndarray
        The ``s/m`` actually used per cell (``m`` and ``s`` are rounded).
    crossing : numpy.ndarray
        Empirical 50 % crossing in ``ρ`` per ``δ`` (linear interpolation; nan if none).
    theory : numpy.ndarray
        ``ρ_W(δ)`` from :func:`theorycheck.rnsp.donoho_tanner`.
    trials : int
        Trials per cell.

    ``outcome`` is ``holds`` when every crossing lies within ``atol`` of the
    theoretical curve, ``violated`` otherwise, ``inconclusive`` without crossings.

    Theorem: Amelunxen–Lotz–McCoy–Tropp (2014); Donoho–Tanner (2009).
    Rigor: numerical (Monte Carlo).
    """

    N: int = 0
    deltas: Any = None
    rhos: Any = None
    probability: Any = None
    rho_effective: Any = None
    crossing: Any = None
    theory: Any = None
    trials: int = 0

    def plot(self, ax: Any = None, path: str | None = None) -> Any:
        """Heat map of the success probability with the theoretical curve and the 50 % crossings.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw (a new figure otherwise).
        path : str, optional
            Save the figure there.

        Returns
        -------
        matplotlib.axes.Axes

        Theorem: Donoho–Tanner phase transition.
        Rigor: numerical.
        """
        if ax is None:
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(5, 4))
        else:
            fig = ax.figure
        d = np.asarray(self.deltas)
        r = np.asarray(self.rhos)
        ax.pcolormesh(_edges(d), _edges(r), np.asarray(self.probability).T, cmap="gray", vmin=0, vmax=1,
                      shading="flat")
        grid = np.linspace(max(0.02, d.min() * 0.8), min(0.98, d.max() * 1.05), 60)
        ax.plot(grid, [weak_threshold(g) for g in grid], "r-", label="ρ_W(δ) (statistical dimension)")
        ax.plot(d, np.asarray(self.crossing), "co", label="empirical 50 %")
        ax.set_xlabel("δ = m/N")
        ax.set_ylabel("ρ = s/m")
        ax.set_title(f"ℓ1 recovery, N = {self.N}, {self.trials} trials per cell")
        ax.legend(loc="upper left", fontsize=8)
        if path is not None:
            fig.savefig(path, dpi=120, bbox_inches="tight")
        return ax


def _edges(v: np.ndarray) -> np.ndarray:
    if v.size == 1:
        return np.array([v[0] - 0.05, v[0] + 0.05])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def crossing(rho: np.ndarray, p: np.ndarray) -> float:
    """First 50 % crossing of a (mostly decreasing) success curve, by linear interpolation."""
    for j in range(len(p) - 1):
        if p[j] >= 0.5 > p[j + 1]:
            if p[j] == p[j + 1]:
                return float(rho[j])
            return float(rho[j] + (p[j] - 0.5) * (rho[j + 1] - rho[j]) / (p[j] - p[j + 1]))
    return math.nan


def sweep(N: int, deltas: np.ndarray, rhos: np.ndarray, trials: int, executor: Any, seed: Any,
          progress: bool, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Success probabilities and effective ``s/m`` per cell (the same whatever ``executor`` is)."""
    cells = cells_of(N, deltas, rhos)
    seeds = np.random.SeedSequence(seed).spawn(len(cells))
    tasks = ((N, m, s, trials, sq, tol) for (m, s), sq in zip(cells, seeds))
    out = []
    bar = progress_bar(len(cells), progress, "phase transition")
    try:
        for ok in fan_out(_cell, tasks, executor=executor):
            out.append(ok)
            bar.update(1)
    finally:
        bar.close()
    P = np.array(out, dtype=float).reshape(len(deltas), len(rhos)) / trials
    R = np.array([s / m for m, s in cells]).reshape(len(deltas), len(rhos))
    return P, R


def grid_arg(values: Any, name: str, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """A 1-D increasing float array with entries in ``(lo, hi)``."""
    v = as_array(values, name, allow_complex=False).reshape(-1)
    if v.size == 0:
        raise InvalidArgument(f"{name} is empty: pass at least one value")
    if np.any(v <= lo) or np.any(v >= hi):
        raise InvalidArgument(f"{name} must lie in ({lo:g}, {hi:g})")
    if np.any(np.diff(v) <= 0):
        raise InvalidArgument(f"{name} must be strictly increasing")
    return v


def seed_entropy(seed: Any) -> int:
    """The entropy (a non-negative int) of ``seed``: None (fresh), an int ≥ 0, or a fresh ``SeedSequence``.

    The sweep's seeds are ``SeedSequence(entropy).spawn(cells)``: storing the
    entropy makes the sweep reproducible (``theorycheck verify`` re-runs it).
    """
    if seed is None:
        return int(cast(int, np.random.SeedSequence().entropy))  # a fresh SeedSequence draws an int
    if isinstance(seed, np.random.SeedSequence):
        entropy = seed.entropy
        if seed.spawn_key or seed.n_children_spawned or not isinstance(entropy, int):
            raise InvalidArgument("seed: pass an int or a fresh SeedSequence(int) (no spawn key, no children)")
        return int(entropy)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (numbers.Integral, np.integer)) or int(seed) < 0:
        raise InvalidArgument(f"seed must be a non-negative integer, None or a SeedSequence, got {seed!r}")
    if int(seed) >= 2 ** 128:
        raise InvalidArgument("seed must be below 2^128")
    return int(seed)


def cells_of(N: int, deltas: np.ndarray, rhos: np.ndarray) -> list[tuple[int, int]]:
    """``(m, s)`` per cell (row-major over ``deltas × rhos``)."""
    cells = []
    for d in deltas:
        m = max(1, min(N, int(round(d * N))))
        for r in rhos:
            cells.append((m, max(1, min(m, int(round(r * m))))))
    return cells


def sweep_size_guard(N: int, deltas: np.ndarray, rhos: np.ndarray, trials: int) -> None:
    """Refuse sweeps far beyond what can be computed (with the estimate)."""
    if N > MAX_N:
        raise InvalidArgument(f"N = {N} exceeds {MAX_N}: each trial forms a dense m×N Gaussian matrix")
    work = float(trials) * sum(float(m) * m * N + float(m) * N for m, _ in cells_of(N, deltas, rhos))
    refuse_size(work, MAX_SWEEP_WORK, f"the phase-transition sweep (≈ {work:.3g} operations over "
                f"{len(deltas) * len(rhos)} cells × {trials} trials)", "lower N, trials or the grid sizes")


def run_sweep(N: int, deltas: np.ndarray, rhos: np.ndarray, trials: int, entropy: int, tol: float, atol: float,
              executor: Any = None, progress: bool = False) -> "PhaseTransitionResult":
    """The sweep and its result: a deterministic function of the arguments (not of ``executor``)."""
    P, R = sweep(N, deltas, rhos, trials, executor, entropy, progress, tol)
    return build_result(N, deltas, rhos, P, R, trials, atol, entropy, tol)


def rerun_from_witness(w: Witness) -> "PhaseTransitionResult":
    """Re-run a saved sweep from its witness (every field validated; absurd sizes refused)."""
    N = w_int(w, "N", 2, MAX_N)
    grids = []
    for key, hi in (("deltas", 1.0), ("rhos", 1.0 + 1e-12)):
        v = w_get(w, key)
        if not (isinstance(v, np.ndarray) and v.dtype == np.float64 and v.ndim == 1 and 1 <= v.size <= 10_000):
            raise BadWitness(f"witness[{key!r}] must be a 1-D float64 array")
        try:
            grids.append(grid_arg(v, key, 0.0, hi))
        except InvalidArgument as exc:
            raise BadWitness(f"witness[{key!r}]: {exc}") from None
    trials = w_int(w, "trials", 1, 10 ** 6)
    entropy = w_int(w, "seed", 0, 2 ** 128 - 1)
    tol = w_float(w, "tol", 0.0, math.inf, open_lo=True)
    atol = w_float(w, "atol", 0.0, math.inf, open_lo=True)
    sweep_size_guard(N, grids[0], grids[1], trials)
    return run_sweep(N, grids[0], grids[1], trials, entropy, tol, atol)


def build_result(N: int, deltas: np.ndarray, rhos: np.ndarray, P: np.ndarray, R: np.ndarray, trials: int,
                 atol: float, entropy: int = 0, tol: float = 1e-4) -> PhaseTransitionResult:
    """Assemble the :class:`PhaseTransitionResult` and its verdict (the seed and options go in the witness)."""
    cross = np.array([crossing(R[i], P[i]) for i in range(len(deltas))])
    theory = np.array([weak_threshold(float(d)) for d in deltas])
    ok = np.isfinite(cross)
    if not np.any(ok):
        outcome, msg = Outcome.INCONCLUSIVE, "no 50 % crossing inside the ρ grid: widen rhos"
    else:
        err = float(np.max(np.abs(cross[ok] - theory[ok])))
        outcome = Outcome.HOLDS if err <= atol else Outcome.VIOLATED
        msg = (f"max |empirical crossing − ρ_W(δ)| = {err:.3f} over {int(ok.sum())} δ values "
               f"({'within' if outcome is Outcome.HOLDS else 'outside'} atol = {atol:g}; finite-N "
               "transitions are smoothed over a width ~ 1/√N)")
    witness = Witness("phase_transition", {"N": int(N), "deltas": np.asarray(deltas, dtype=float),
                                           "rhos": np.asarray(rhos, dtype=float), "trials": int(trials),
                                           "seed": int(entropy), "tol": float(tol), "atol": float(atol)})
    return PhaseTransitionResult(
        check="phase_transition", outcome=outcome, rigor=Rigor.NUMERICAL, message=msg,
        values={"max_deviation": float(np.max(np.abs(cross[ok] - theory[ok]))) if np.any(ok) else math.nan,
                "atol": atol, "tol": tol, "seed": int(entropy)},
        witness=witness, theorem="Donoho–Tanner / statistical dimension (docs/theory.md §2)",
        N=N, deltas=deltas, rhos=rhos, probability=P, rho_effective=R, crossing=cross, theory=theory,
        trials=trials)


# --------------------------------------------------------------------------------------
# the public functions and the verifier
# --------------------------------------------------------------------------------------

def donoho_tanner(delta: Any) -> Any:
    """Donoho–Tanner weak threshold ``ρ_W(δ)`` (``s/m`` at the ℓ1 phase transition for ``m/N = δ``).

    Solves ``ψ(δρ) = δ`` with the statistical-dimension formula
    ``ψ(r) = inf_τ r(1+τ²) + 2(1−r)[(1+τ²)Q(τ) − τφ(τ)]``.

    Parameters
    ----------
    delta : float or array_like
        Undersampling ratios ``m/N`` in ``(0, 1)``.

    Returns
    -------
    float or numpy.ndarray
        ``ρ_W(δ)`` (same shape as ``delta``).

    Theorem: Amelunxen–Lotz–McCoy–Tropp (2014); Donoho–Tanner (2009) (docs/theory.md §2).
    Rigor: numerical (nested root finding to ~1e-13).

    Examples
    --------
    >>> round(donoho_tanner(0.5), 4)
    0.3857
    """
    if isinstance(delta, (bool, np.bool_, str, bytes)):
        raise InvalidArgument(f"delta must be a number or an array of numbers in (0, 1), got {delta!r}")
    arr = as_array(delta, "delta", allow_complex=False)
    if arr.size == 0:
        raise InvalidArgument("delta is empty: pass at least one undersampling ratio in (0, 1)")
    refuse_size(arr.size, 10_000, f"donoho_tanner on {arr.size:,} values (each a nested root finding)",
                "pass at most 10,000 values")
    if np.any(arr <= 0) or np.any(arr >= 1):
        raise InvalidArgument("delta must lie in (0, 1) (δ = m/N with m < N)")
    out = np.vectorize(weak_threshold, otypes=[float])(arr)
    return float(out) if out.shape == () else out


def empirical_phase_transition(N: int, deltas: Sequence[float], rhos: Sequence[float], *, trials: int = 20,
                               executor: Any = None, seed: Any = 0, progress: bool = True,
                               tol: float = 1e-4, atol: float = 0.1) -> PhaseTransitionResult:
    """Empirical ℓ1 phase transition: success rate of basis pursuit on Gaussian instances.

    For each ``δ`` (``m = round(δN)``) and ``ρ`` (``s = round(ρm)``), ``trials``
    Gaussian matrices and ``s``-sparse Gaussian vectors; success when the LP
    solution of ``min ‖z‖₁ s.t. Az = Ax`` satisfies ``‖ẑ − x‖ ≤ tol‖x‖``.

    Parameters
    ----------
    N : int
        Signal length.
    deltas, rhos : sequence of float
        Increasing grids in ``(0, 1)``.
    trials : int
        Trials per cell.
    executor : None, "processes" or an executor, optional
        Runs the cells (default serial; ``"processes"``: a local process pool;
        or any object with ``submit``, e.g. a Dask client); results do not depend on it.
    seed : int or SeedSequence
        Seed (one child seed per cell).
    progress : bool
        tqdm bar over cells.
    tol : float
        Relative recovery tolerance.
    atol : float
        Allowed deviation of the 50 % crossing from ``ρ_W(δ)`` for ``holds``.

    Returns
    -------
    PhaseTransitionResult
        Probabilities, crossings, the theoretical curve and a ``plot`` method.

    Theorem: Donoho–Tanner (2009) / Amelunxen–Lotz–McCoy–Tropp (2014), docs/theory.md §2.
    Rigor: numerical (Monte Carlo).
    """
    N = order_arg(N, None, "N")
    if N < 2:
        raise InvalidArgument("N must be at least 2")
    d = grid_arg(deltas, "deltas")
    r = grid_arg(rhos, "rhos", 0.0, 1.0 + 1e-12)
    trials = count_arg(trials, "trials", 1, 10 ** 6)
    tol = positive_arg(tol, "tol")
    atol = positive_arg(atol, "atol")
    progress = bool_arg(progress, "progress")
    with resolve_executor(executor) as ex:
        entropy = seed_entropy(seed)
        if d.size > 10_000 or r.size > 10_000:
            raise InvalidArgument("deltas and rhos may have at most 10,000 entries each")
        sweep_size_guard(N, d, r, trials)
        return run_sweep(N, d, r, trials, entropy, tol, atol, executor=ex, progress=progress)


@register_verifier("phase_transition")
def _verify_phase_transition(result: CheckResult) -> CheckResult:
    """Re-run a saved phase-transition sweep from its stored seed and grid (Monte Carlo, reproducible).

    Theorem: Donoho–Tanner (2009) / Amelunxen–Lotz–McCoy–Tropp (2014).
    Rigor: numerical (as the saved result).
    """

    def derive(w: Witness) -> tuple[CheckResult, str]:
        return rerun_from_witness(w), "the sweep re-run from the stored seed (every probability and crossing)"

    return verify_with("phase_transition", result, derive, needs_matrix=False)
