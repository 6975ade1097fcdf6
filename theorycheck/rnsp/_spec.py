"""One rNSP question: the matrix, the thresholds ``τ_j = ρω_j/√ξ`` and the admissible supports.

For a support ``Ω`` the rNSP inequality ``‖v_Ω‖₂ ≤ Σ_{j∉Ω} τ_j|v_j| + γ‖Av‖₂``
holds for all ``v`` iff ``γ ≥ sup_v R_Ω(v)``, with
``R_Ω(v) = (‖v_Ω‖₂ − Σ_{j∉Ω} τ_j|v_j|)/‖Av‖₂`` (docs/theory.md §2). :class:`Spec`
holds the question (plain: ``ω = 1``, ``ξ = s``; weighted:
``ξ = max_{|Ω|=s} Σ_{i∈Ω} ω_i²``; in levels: ``ξ = Σ_k ω_k² s_k``); this module
evaluates ``R_Ω(v)`` in ball arithmetic (:func:`ratio_ball`), proves failures of
the stable NSP on exact kernel vectors (:func:`kernel_violation_assemble`), and
stores / re-reads the question in witnesses (:func:`spec_data`,
:func:`spec_from_witness`).

Theorem: docs/theory.md §2 (rNSP; rNSP in levels).
Rigor: proven (ball arithmetic on the float64 data; exact kernel vectors).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
from typing import Any, Iterator

import flint
import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.backend import as_array
from theorycheck.numerics.exact import ball_lower, ball_upper
from theorycheck.numerics.precision import precision
from theorycheck.numerics.validation import refuse_size
from theorycheck.results import Witness
from theorycheck.rnsp._common import (
    WITNESS_BITS,
    BadWitness,
    ball_mids,
    balls,
    dense_matrix,
    distinct_support,
    exact_kernel_balls,
    exact_rescaling,
    gam,
    levels_arg,
    matvec_balls,
    norm2_ball,
    open_unit_arg,
    order_arg,
    w_choice,
    w_float,
    w_get,
    w_int,
    w_vector,
    widen_down,
)

#: cone programs (supports × net points, or restarts × iterations) a γ computation may ask for
MAX_CONE_PROGRAMS = 10 ** 7


@dataclasses.dataclass
class Spec:
    """Matrix, thresholds ``τ_j = ρω_j/√ξ`` and support structure of one rNSP question."""

    B: np.ndarray                            # the matrix rescaled by a power of two: A = B·2^exp
    rho: float
    omega: np.ndarray
    s: int                                   # support size
    levels: list[tuple[int, int]] | None
    s_levels: list[int] | None
    xi_terms: list[tuple[float, int]]        # ξ = Σ w² · count, exactly
    exp: int = 0                             # γ(A) = γ(B)·2^{−exp}
    structure: str = "plain"                 # "plain", "weighted" or "levels"

    def original(self) -> np.ndarray:
        """The user's matrix ``A = B·2^exp`` (exact: the rescaling was checked to be exact)."""
        if self.exp == 0:
            return self.B
        if self.cplx:
            return np.ldexp(self.B.real, self.exp) + 1j * np.ldexp(self.B.imag, self.exp)
        return np.ldexp(self.B, self.exp)

    @property
    def cplx(self) -> bool:
        return bool(np.iscomplexobj(self.B))

    @property
    def N(self) -> int:
        return self.B.shape[1]

    def xi_ball(self) -> Any:
        total = flint.arb(0)
        for w, c in self.xi_terms:
            total += flint.arb(w) ** 2 * c
        return total

    @property
    def xi(self) -> float:
        return float(sum(w * w * c for w, c in self.xi_terms))

    @property
    def tau(self) -> np.ndarray:
        return self.rho * self.omega / math.sqrt(self.xi)

    def tau_balls(self) -> list[Any]:
        sx = self.xi_ball().sqrt()
        r = flint.arb(self.rho)
        return [r * flint.arb(float(w)) / sx for w in self.omega]

    def tau_lower(self) -> np.ndarray:
        """Floats ≤ the exact thresholds (ξ's float sum and the sqrt/divisions widened by γ_n)."""
        return widen_down(self.tau * (1.0 - gam(len(self.xi_terms) + 4)))

    def level_parts(self) -> list[tuple[tuple[int, int], int]]:
        """``[((start, stop), s_k), …]`` per level (empty without levels)."""
        return list(zip(self.levels or [], self.s_levels or []))

    def count(self) -> int:
        if self.levels is None:
            return math.comb(self.N, self.s)
        total = 1
        for (a, b), k in self.level_parts():
            total *= math.comb(b - a, k)
        return total

    def supports(self) -> Iterator[np.ndarray]:
        if self.levels is None:
            for S in itertools.combinations(range(self.N), self.s):
                yield np.array(S, dtype=np.intp)
            return
        per = [list(itertools.combinations(range(a, b), k)) for (a, b), k in self.level_parts()]
        for parts in itertools.product(*per):
            yield np.array(sorted(itertools.chain.from_iterable(parts)), dtype=np.intp)

    def random_support(self, rng: np.random.Generator) -> np.ndarray:
        if self.levels is None:
            return np.sort(rng.choice(self.N, self.s, replace=False))
        parts = [a + rng.choice(b - a, k, replace=False) for (a, b), k in self.level_parts()]
        return np.sort(np.concatenate(parts)).astype(np.intp)

    def admissible_support(self, S: Any, what: str = "support") -> np.ndarray:
        """``S`` as an admissible support (distinct indices in range; ``|Ω| ≤ s``, or ``≤ s_k`` per level).

        The rNSP inequality is only required for admissible ``Ω``: a "violation"
        on any other set proves nothing, so witnesses are checked here.
        """
        idx = distinct_support(S, self.N)
        if self.levels is None:
            if idx.size > self.s:
                raise InvalidArgument(f"{what} {idx.tolist()} has {idx.size} indices, more than s = {self.s}")
        else:
            for k, ((a, b), sk) in enumerate(self.level_parts()):
                c = int(np.sum((idx >= a) & (idx < b)))
                if c > sk:
                    raise InvalidArgument(f"{what} {idx.tolist()} has {c} indices in level {k}, more than "
                                          f"s_{k} = {sk}")
        return idx

    @precision(prec=WITNESS_BITS)
    def to_original(self, x: float, up_: bool) -> float:
        """A bound of ``γ`` for ``B`` turned into one for ``A = B·2^exp`` (rounded outward)."""
        if self.exp == 0 or not math.isfinite(x):
            return x
        b = flint.arb(x) * flint.arb(2) ** (-self.exp)
        return ball_upper(b) if up_ else ball_lower(b)

    def best_support(self, v: np.ndarray) -> np.ndarray:
        """A support maximising ``‖v_Ω‖₂ − Σ_{j∉Ω} τ_j|v_j|`` among a few natural candidates."""
        a = np.abs(v)
        tau = self.tau
        keys = [a, tau * a, a * (a + tau)]
        best: np.ndarray | None = None
        best_val = -np.inf
        for key in keys:
            if self.levels is None:
                S = np.sort(np.argsort(-key, kind="stable")[: self.s])
            else:
                S = np.sort(np.concatenate([a_ + np.argsort(-key[a_:b_], kind="stable")[:k]
                                            for (a_, b_), k in self.level_parts()]))
            val = _numerator(v, S, tau)
            if val > best_val:
                best, best_val = S, val
        if best is None:
            raise InvalidArgument("the rNSP ratio of this vector is not a number (NaN or inf entries)")
        return best.astype(np.intp)


def unscale(x: float, exp: int) -> float:
    """Float ``x·2^{−exp}`` (a ratio of the rescaled matrix in the units of ``A``; ``inf`` on overflow)."""
    with np.errstate(over="ignore", under="ignore"):
        return float(np.ldexp(x, -exp))


def _numerator(v: np.ndarray, S: np.ndarray, tau: np.ndarray) -> float:
    mask = np.ones(v.size, bool)
    mask[S] = False
    return float(np.linalg.norm(v[S]) - np.sum(tau[mask] * np.abs(v[mask])))


def ratio_float(B: np.ndarray, v: np.ndarray, S: np.ndarray, tau: np.ndarray) -> float:
    """Float ``R_Ω(v)`` (``inf`` when ``Av = 0`` and the numerator is positive)."""
    num = _numerator(v, S, tau)
    den = float(np.linalg.norm(B @ v))
    if den == 0:
        return math.inf if num > 0 else -math.inf
    return num / den


def _numerator_ball(spec: Spec, vb: list[Any], S: np.ndarray) -> Any:
    """``‖v_Ω‖₂ − Σ_{j∉Ω} τ_j|v_j|`` for the balls ``vb`` of ``v`` (``S`` admissible)."""
    taus = spec.tau_balls()
    inS = set(int(i) for i in S)
    num = norm2_ball([vb[i] for i in S])
    for j in range(len(vb)):
        if j not in inS:
            num -= taus[j] * abs(vb[j])
    return num


@precision(prec=WITNESS_BITS)
def ratio_ball(spec: Spec, v: np.ndarray, S: np.ndarray, gamma: float | None = None) -> Any:
    """Ball of ``R_Ω(v)`` or, with ``gamma``, of ``‖v_Ω‖₂ − Σ τ_j|v_j| − γ‖Av‖₂`` for the *original* ``A``.

    ``S`` must be an admissible support (:meth:`Spec.admissible_support`).
    """
    S = spec.admissible_support(S)
    vb = balls(v)
    num = _numerator_ball(spec, vb, S)
    Av = norm2_ball(matvec_balls(spec.B, vb)) * flint.arb(2) ** spec.exp   # ‖A v‖ with A = B·2^exp
    if gamma is not None:
        return num - flint.arb(gamma) * Av
    return num / Av


@precision(prec=WITNESS_BITS)
def kernel_violation_ball(spec: Spec, v: np.ndarray, S: np.ndarray, basic: np.ndarray | None = None
                          ) -> tuple[Any, Any, np.ndarray] | None:
    """``(ball of ‖ẑ_Ω‖₂ − Σ τ_j|ẑ_j|, balls of ẑ, basic columns)`` for an exact kernel vector ``ẑ`` near ``v``."""
    S = spec.admissible_support(S)
    ek = exact_kernel_balls(spec.B, v, basic)
    if ek is None:
        return None
    zb, basic_cols = ek
    return _numerator_ball(spec, zb, S), zb, basic_cols


@precision(prec=WITNESS_BITS)
def prove_kernel_violation(spec: Spec, v: np.ndarray, S: np.ndarray) -> dict[str, Any] | None:
    """Proof that the stable NSP with ``ρ`` fails: an exact kernel vector with ``‖v_Ω‖₂ > Σ τ_j|v_j|``.

    Returns ``{"v", "v_solver", "support", "basic_columns", "margin"}``: ``v`` the
    exact kernel vector rounded to float64, ``v_solver`` the solver's vector, the
    support and the basic columns from which :func:`kernel_violation_assemble`
    re-derives the proof deterministically.
    """
    for Om in (np.asarray(S), spec.best_support(v)):
        out = kernel_violation_assemble(spec, v, Om)
        if out is None:
            return None
        if out["margin"] > 0:
            return out
    return None


@precision(prec=WITNESS_BITS)
def kernel_violation_assemble(spec: Spec, v: np.ndarray, S: np.ndarray, basic: np.ndarray | None = None
                              ) -> dict[str, Any] | None:
    """The kernel-vector violation proof from ``(v, Ω, basic columns)``; ``margin`` rounded down (≤ 0: no proof)."""
    out = kernel_violation_ball(spec, v, S, basic)
    if out is None:
        return None
    margin, zb, basic_cols = out
    m = ball_lower(margin) if margin.is_finite() else -math.inf
    return {"v": ball_mids(zb), "v_solver": np.asarray(v), "support": spec.admissible_support(S),
            "basic_columns": np.asarray(basic_cols, np.int64), "margin": m if margin > 0 else min(m, 0.0)}


@precision(prec=WITNESS_BITS)
def certify_lower(spec: Spec, best: dict[str, Any]) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """Proven lower bound from the best witness (max over its own and its best support)."""
    v = best.get("v")
    if v is None:
        return 0.0, None, None
    cands = [np.asarray(best["support"]), spec.best_support(v)]
    lo, Sbest = -math.inf, cands[0]
    for S in cands:
        b = ratio_ball(spec, v, S)
        val = ball_lower(b) if b.is_finite() else -math.inf
        if val > lo:
            lo, Sbest = val, S
    return max(lo, 0.0), v, Sbest


def _weights_in_range(w: np.ndarray) -> None:
    if np.any(w < 2.0 ** -200) or np.any(w > 2.0 ** 200):
        raise InvalidArgument("weights must lie in [2^-200, 2^200] (ξ = Σ w_k² s_k must not under- or overflow): "
                              "rescale them (the rNSP in levels is invariant under a common factor)")


def make_spec(B: np.ndarray, s: Any, rho: float, weights: Any, levels: Any) -> Spec:
    """The :class:`Spec` of one rNSP question; ``B`` is rescaled exactly by a power of two for the solvers."""
    size, lv, s_lv, omega, xi_terms = parse_structure(B.shape[1], s, weights, levels)
    Bs, e = exact_rescaling(B)
    structure = "levels" if levels is not None else ("plain" if weights is None else "weighted")
    return Spec(B=Bs, rho=float(rho), omega=omega, s=size, levels=lv, s_levels=s_lv, xi_terms=xi_terms, exp=e,
                structure=structure)


def parse_structure(N: int, s: Any, weights: Any, levels: Any) -> tuple[int, list | None, list | None,
                                                                        np.ndarray, list[tuple[float, int]]]:
    """Validate ``s``/``weights``/``levels``; return ``(support size, levels, s per level, ω, ξ terms)``."""
    if levels is None:
        s = order_arg(s, N)
        if weights is None:
            return s, None, None, np.ones(N), [(1.0, s)]
        w = as_array(weights, "weights", allow_complex=False).reshape(-1)
        if w.size != N or np.any(w <= 0):
            raise InvalidArgument(f"weights must be {N} positive numbers (one per column), got {w.size}")
        _weights_in_range(w)
        top = np.sort(w)[::-1][:s]
        # ξ = max_{|Ω| = s} Σ_{i∈Ω} w_i² (constant weights give ξ = s w²)
        return s, None, None, w, [(float(x), 1) for x in top]
    lv = levels_arg(levels, N)
    raw = list(np.asarray(s).ravel()) if isinstance(s, np.ndarray) else (
        list(s) if isinstance(s, (list, tuple)) else [s] * len(lv))
    for x in raw:
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Integral, np.integer)):
            raise InvalidArgument(f"s must be a sequence of integer local sparsities, one per level; got {s!r}")
    s_list = [int(x) for x in raw]
    if len(s_list) != len(lv):
        raise InvalidArgument(f"s has {len(s_list)} entries but there are {len(lv)} levels")
    for k, ((a, b), sk) in enumerate(zip(lv, s_list)):
        if sk < 0 or sk > b - a:
            raise InvalidArgument(f"s[{k}] = {sk} must lie in [0, {b - a}] (the size of level {k})")
    if sum(s_list) == 0:
        raise InvalidArgument("all local sparsities are 0: pass at least one s_k ≥ 1")
    if weights is None:
        w_lv = [1.0] * len(lv)
    else:
        w = as_array(weights, "weights", allow_complex=False).reshape(-1)
        if w.size == len(lv):
            w_lv = [float(x) for x in w]
        elif w.size == N:
            w_lv = []
            for k, (a, b) in enumerate(lv):
                if np.any(w[a:b] != w[a]):
                    raise InvalidArgument(f"weights must be constant within each level (level {k} is not)")
                w_lv.append(float(w[a]))
        else:
            raise InvalidArgument(f"weights must have one entry per level ({len(lv)}) or per column ({N})")
        if any(x <= 0 for x in w_lv):
            raise InvalidArgument("weights must be positive")
        _weights_in_range(np.asarray(w_lv))
    omega = np.concatenate([np.full(b - a, wk) for (a, b), wk in zip(lv, w_lv)])
    return sum(s_list), lv, s_list, omega, [(wk, sk) for wk, sk in zip(w_lv, s_list)]


def spec_of(A: Any, s: Any, rho: Any, W: Any, weights: Any, levels: Any) -> tuple[Spec, bool, np.ndarray]:
    """``(spec, used_W, B)`` for the user's arguments (``B`` the dense ``A`` or ``A W^*``)."""
    B, used_W = dense_matrix(A, W)
    rho = open_unit_arg(rho, "rho")
    return make_spec(B, s, rho, weights, levels), used_W, B


def cone_size_guard(spec: Spec) -> None:
    """Refuse rNSP questions whose cone programs would be too large."""
    m, N = spec.B.shape
    refuse_size(float(m) * N, 1e6, f"the cone programs of the rNSP constant (A is {m}×{N})",
                "each program has m variables and 2N constraints; restrict A to fewer columns")
    refuse_size(float(N), 20_000, f"the rNSP constant for N = {N} columns", "restrict A to fewer columns")


def spec_data(spec: Spec) -> dict[str, Any]:
    """The rNSP question (ρ, order, weights, levels) as witness fields (re-read by :func:`spec_from_witness`)."""
    d: dict[str, Any] = {"rho": spec.rho, "structure": spec.structure}
    if spec.structure == "levels":
        d["s"] = np.array(spec.s_levels, dtype=np.int64)
        d["levels"] = np.array(spec.levels, dtype=np.int64).reshape(-1, 2)
        d["weights"] = np.array([float(spec.omega[a]) for (a, _), _k in spec.level_parts()])
    else:
        d["s"] = int(spec.s)
        if spec.structure == "weighted":
            d["weights"] = np.asarray(spec.omega, dtype=float)
    return d


def spec_from_witness(w: Witness, B: np.ndarray) -> Spec:
    """Rebuild the rNSP question from a saved witness (every field validated)."""
    N = B.shape[1]
    rho = w_float(w, "rho", 0.0, 1.0, open_lo=True, open_hi=True)
    structure = w_choice(w, "structure", ("plain", "weighted", "levels"))
    try:
        if structure == "plain":
            return make_spec(B, w_int(w, "s", 1, N), rho, None, None)
        if structure == "weighted":
            return make_spec(B, w_int(w, "s", 1, N), rho, w_vector(w, "weights", N, allow_complex=False), None)
        lv, sl = w_get(w, "levels"), w_get(w, "s")
        if not (isinstance(lv, np.ndarray) and lv.dtype.kind in "iu" and lv.ndim == 2 and lv.shape[1] == 2
                and 1 <= lv.shape[0] <= N):
            raise BadWitness("witness['levels'] must be an (L, 2) integer array of (start, stop) pairs")
        if not (isinstance(sl, np.ndarray) and sl.dtype.kind in "iu" and sl.shape == (lv.shape[0],)):
            raise BadWitness("witness['s'] must hold one integer local sparsity per level")
        weights = w_vector(w, "weights", lv.shape[0], allow_complex=False)
        return make_spec(B, [int(x) for x in sl], rho, weights, [(int(a), int(b)) for a, b in lv])
    except BadWitness:
        raise
    except InvalidArgument as exc:
        raise BadWitness(f"the saved rNSP question is invalid: {exc}") from None
