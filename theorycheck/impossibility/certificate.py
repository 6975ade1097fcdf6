"""The interpolating SR-LASSO certificate: ``x`` with ``Ax = y`` is the unique minimiser (docs/theory.md §1).

The exact solver's SR-LASSO closed form (:func:`theorycheck.solvers.exact.solve_exact`)
needs ``‖(I − P_S)y‖ > 0``; when ``A x = y`` with ``|supp x| < m`` (the
impossibility families' SR-LASSO members) optimality is proved instead by the
explicit dual certificate ``u = A_S G^{-1} λ w_S σ_S`` (``G = A_S^T A_S``) with
``‖u‖ < 1`` and ``|A_i^T u| < λ w_i`` off ``S``, decided in ball arithmetic.
(``solvers.exact`` proves the same fact for rational data on its own; the two
are kept apart so that the solvers layer stays below the checks.)

Theorem: SR-LASSO optimality and uniqueness when ``Ax = y`` (docs/theory.md §1).
Rigor: proven (exact rationals and ball arithmetic).
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

import flint
import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, SolverError
from theorycheck.impossibility._balls import arb_to_float, ball_strings, undecided_or_wrong
from theorycheck.impossibility._common import (
    MAX_3X2_DPS,
    bounded_int,
    exact_column,
    exact_real,
    fraction_matrix,
    refuse_work,
)
from theorycheck.numerics.exact import ball_lower
from theorycheck.numerics.precision import bits_to_dps, dps_to_bits, precision
from theorycheck.problems.programs import Program, SRLasso
from theorycheck.results import Rigor
from theorycheck.solvers.solution import Solution

__all__ = ["certify_interpolating_srlasso", "certify_interpolating_dual", "solution_from_balls"]


def certify_interpolating_srlasso(A: Any, y: Any, x: Any, lam: float, *, weights: Any = None,
                                  dps: int = 40) -> Solution:
    """Prove that ``x`` with ``Ax = y`` is the unique SR-LASSO minimiser (the ``Az = y`` case of docs/theory.md §1).

    The data are taken as the exact rationals they are (float64 arrays,
    fractions, integers). ``Ax = y`` is checked in exact rational arithmetic;
    then, with ``S = supp x`` and ``σ = sign(x_S)``, the dual vector
    ``u = A_S (A_S^T A_S)^{-1} λ w_S σ`` (the minimum-norm, Fuchs-type dual
    vector) is shown in ball arithmetic to satisfy
    ``‖u‖ < 1`` and ``|A_i^T u| < λ w_i`` off ``S``, which makes ``x`` the unique
    minimiser of ``λ‖z‖_{1,w} + ‖Az − y‖`` (see the proof in the module). This
    complements :func:`theorycheck.solvers.exact.solve_exact`, whose SR-LASSO
    closed form needs ``‖(I − P_S)y‖ > 0``.

    Parameters
    ----------
    A : array_like
        Real ``m × N`` matrix (exact values).
    y : array_like
        Real data with ``Ax = y`` exactly.
    x : array_like
        The candidate (exact values); its support and signs define the certificate.
    lam : float
        ``λ > 0`` (its exact value).
    weights : array_like, optional
        Positive weights (default ones).
    dps : int
        Working precision of the ball arithmetic.

    Returns
    -------
    Solution
        ``rigor="proven"``, ``enclosure`` the exact ``x`` (radius 0), ``dual_slack``
        a certified lower bound on ``min(1 − ‖u‖, min_{i∉S} 1 − |A_i^T u|/(λw_i))``.

    Raises
    ------
    SolverError
        ``Ax ≠ y``, or the dual certificate fails (``x`` is not the unique minimiser,
        or the minimum-norm dual vector does not prove it: other dual vectors may).
    InsufficientPrecision
        The balls do not decide at ``dps`` digits.

    Theorem: SR-LASSO optimality and uniqueness when ``Ax = y`` (docs/theory.md §1).
    Rigor: proven (exact rationals and ball arithmetic).

    Examples
    --------
    >>> sol = certify_interpolating_srlasso([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]], [1.0, 0.0],
    ...                                     [1.0, 0.0, 0.0], 0.5)
    >>> sol.rigor.value, sol.info["support"]
    ('proven', [0])
    """
    t0 = time.perf_counter()
    Aq = fraction_matrix(A, "A")
    m, N = len(Aq), len(Aq[0])
    yq = [r[0] for r in fraction_matrix(exact_column(y, "y"), "y")]
    xq = [r[0] for r in fraction_matrix(exact_column(x, "x"), "x")]
    if len(yq) != m or len(xq) != N:
        raise InvalidArgument(f"shapes: A is {m}x{N}, y has {len(yq)} entries, x has {len(xq)}")
    lam_q = exact_real(lam, "lam")
    if lam_q <= 0:
        raise InvalidArgument("lam must be positive")
    if weights is None:
        wq = [Fraction(1)] * N
    else:
        warr = exact_column(weights, "weights").ravel()
        if warr.size != N:
            raise InvalidArgument(f"weights must be {N} positive numbers, got {warr.size}")
        wq = [exact_real(v, "weights") for v in warr]
    if len(wq) != N or any(v <= 0 for v in wq):
        raise InvalidArgument(f"weights must be {N} positive numbers")
    S = [i for i in range(N) if xq[i] != 0]
    if not S:
        raise SolverError("x = 0 does not interpolate y ≠ 0; use solve_exact for this case")
    dps = bounded_int(dps, "dps", 5, MAX_3X2_DPS, "working precision in digits")
    refuse_work(float(m) * N * (len(S) + 2) + float(len(S)) ** 3, dps_to_bits(dps),
                f"the dual certificate of a {m}×{N} SR-LASSO with |supp x| = {len(S)}",
                "use a smaller instance or dps")
    # exact check of A x = y in rational arithmetic
    for r in range(m):
        if sum((Aq[r][i] * xq[i] for i in S), Fraction(0)) != yq[r]:
            raise SolverError(f"A x ≠ y (row {r}): this certificate needs an interpolating x")
    sig = [1 if xq[i] > 0 else -1 for i in S]
    bits = dps_to_bits(dps)
    with precision(prec=bits):
        q = lambda f: flint.arb(flint.fmpq(f.numerator, f.denominator))  # noqa: E731
        Ab = [[q(v) for v in row] for row in Aq]
        xb = [q(v) for v in xq]
        slack = certify_interpolating_dual(Ab, [q(v) for v in yq], q(lam_q), [q(v) for v in wq],
                                           S, sig, xb)
        problem = SRLasso(np.array([[float(v) for v in row] for row in Aq]), lam=float(lam_q),
                          weights=np.array([float(v) for v in wq]))
        return solution_from_balls(problem, xb, slack, S, bits, t0, "interpolating dual certificate")


def certify_interpolating_dual(A: list, y: list, lam: Any, w: list, S: list[int],
                               sig: list[int], x_closed: list) -> Any:
    """Prove that ``x_closed`` is the unique SR-LASSO minimiser when ``A x = y`` (docs/theory.md §1).

    ``u = A_S G^{-1} λ w_S σ_S`` (``G = A_S^T A_S``) satisfies ``A_S^T u = λ w_S σ_S``;
    with ``‖u‖ < 1`` and ``|A_i^T u| < λ w_i`` off ``S``: ``λ‖z‖_{1,w} + ‖Az − y‖ ≥
    ⟨u, y⟩ = F(x)`` for every ``z``, with equality only if ``Az = y`` and
    ``supp z ⊆ S``, i.e. ``z = x`` (``A_S`` injective). Returns the relative slack.

    Theorem: SR-LASSO optimality and uniqueness when ``Ax = y`` (docs/theory.md §1).
    Rigor: proven (ball arithmetic at the caller's working precision).
    """
    m, N = len(A), len(A[0])
    AS = flint.arb_mat([[A[r][k] for k in S] for r in range(m)])
    ASt = AS.transpose()
    G = ASt * AS
    yb = flint.arb_mat([[v] for v in y])
    v = flint.arb_mat([[lam * w[k] * s] for k, s in zip(S, sig)])
    try:
        cS = G.solve(ASt * yb)
        u = AS * G.solve(v)
    except ZeroDivisionError:
        raise InsufficientPrecision("cannot invert A_S^T A_S in ball arithmetic",
                                    needed_dps=2 * bits_to_dps(int(flint.ctx.prec))) from None
    for k, (idx, s) in enumerate(zip(S, sig)):
        val = cS[k, 0]
        if not (val > 0 if s > 0 else val < 0):
            raise undecided_or_wrong(val, f"the sign of coefficient {idx}")
        if not val.overlaps(x_closed[idx]):
            raise SolverError(f"internal: the closed-form minimiser disagrees at coefficient {idx}")
    res = AS * cS - yb
    if not all(res[r, 0].contains(0) for r in range(m)):
        raise SolverError("internal: the data do not interpolate (A x* ≠ y)")
    nu2 = sum((u[r, 0] * u[r, 0] for r in range(m)), flint.arb(0))
    slack = 1 - nu2.sqrt()
    if not slack > 0:
        raise undecided_or_wrong(slack, "‖u‖ < 1")
    inS = set(S)
    for i in range(N):
        if i in inS:
            continue
        corr = sum((A[r][i] * u[r, 0] for r in range(m)), flint.arb(0))
        rel = 1 - abs(corr) / (lam * w[i])
        if not rel > 0:
            raise undecided_or_wrong(rel, f"strict dual feasibility at column {i}")
        if rel.lower() < slack.lower():
            slack = rel
    return flint.arb(slack.lower())



def solution_from_balls(problem: Program, x: list, slack: Any, S: list[int], bits: int, t0: float,
                        how: str) -> Solution:
    """A proven :class:`~theorycheck.solvers.solution.Solution` from the minimiser's balls and the dual slack.

    Theorem: none (packaging of a certificate proved elsewhere).
    Rigor: proven (the balls and the slack are proven by the caller).
    """
    enc = tuple(ball_strings(v) for v in x)
    xf = np.array([arb_to_float(v) for v in x])
    return Solution(x=xf, status="optimal", rigor=Rigor.PROVEN, solver=how,
                    elapsed_s=time.perf_counter() - t0, enclosure=enc,
                    dual_slack=repr(ball_lower(slack)),
                    info={"support": list(S), "prec_bits": bits, "dps": bits_to_dps(bits),
                          "z_enclosure": enc, "certificate": how})
