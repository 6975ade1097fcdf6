"""Certified exact minimisers of (P1) QCBP, (P2) U-LASSO and (P3) SR-LASSO.

A candidate support ``S`` with phases ``σ`` (from any solver's answer, from a
float64 active-set refinement, or, for tiny problems, from enumeration) is
turned into a proof in python-flint ball arithmetic:

1. solve the support system on ``S`` in balls (real data: the closed forms
   below; complex U-LASSO: Newton-refined candidate plus a strong-convexity
   enclosure);
2. prove (a) the phases on ``S`` match and (b) strict dual feasibility off
   ``S``; with ``B_S`` injective this proves that the exact minimiser is
   unique and lies in the computed balls (docs/theory.md §1).

Closed forms on ``(S, σ)``, real data, ``G = B_S^T B_S``, ``v = w_S ⊙ σ``,
``P = B_S G^{-1} B_S^T``, ``q = v^T G^{-1} v``, ``ρ₀ = ‖(I − P)y‖``:

* U-LASSO: ``c_S = G^{-1}(B_S^T y − (λ/2) v)``; certify ``|2B_j^T r| < λw_j``.
* SR-LASSO: if ``λ²q < 1`` and ``ρ₀ > 0``, ``t = ρ₀/sqrt(1 − λ²q)``,
  ``c_S = G^{-1}(B_S^T y − λ t v)``; certify ``|B_j^T r| < λ w_j t``.
  Uniqueness: every minimiser has the residual direction ``u = r/t`` and its
  objective is ``λ v^T G^{-1}B_S^T(y − ρu) + ρ`` with slope ``1 − λ²q > 0`` in
  ``ρ = ‖r‖``, so only one ``ρ`` and one ``c`` are optimal.
* QCBP (active constraint, ``η > ρ₀``): ``θ = sqrt((η² − ρ₀²)/q)``,
  ``c_S = G^{-1}(B_S^T y − θ v)``; certify ``|B_j^T r| < θ w_j``. If
  ``‖y‖ ≤ η`` the unique minimiser is 0.

Hints (``candidate``, ``support``, ``signs``) only steer the search: the
signs a certificate uses are exactly ±1 (validated, never ``int()`` of a
hint) and are proven to be the signs of the enclosed coefficients; complex
phases are those of the enclosure itself.

Data are taken as exact: float64 arrays are the dyadic numbers they are,
mpmath numbers their exact binary values, sympy expressions enclosing balls,
and ``data(dps) -> (A, y)`` callables are re-evaluated when the precision
grows. An operator other than a matrix is taken as its float64 dense matrix
(``to_dense()``), and a sparsifier ``W`` as the exact matrix of its float64
entries, inverted in ball arithmetic (``B = A W^{-1}``).

Theorem: optimality conditions and uniqueness via strict dual feasibility (docs/theory.md §1).
Rigor: proven (python-flint ball arithmetic); undecided inequalities raise
:class:`~theorycheck.errors.InsufficientPrecision` or trigger escalation.
"""

from __future__ import annotations

import itertools
import math
import numbers
import time
from typing import Any, Callable

import flint
import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, SolverError
from theorycheck.numerics.backend import as_array
from theorycheck.numerics.exact import ball_lower, ball_sq, ball_to_strings, exact_input, upper_decimal_string
from theorycheck.numerics.precision import bits_to_dps, dps_to_bits, precision
from theorycheck.numerics.validation import bool_arg, integer_arg, real_arg
from theorycheck.problems.programs import Program, program_kind
from theorycheck.results import Rigor
from theorycheck.solvers._exact_complex import certify_complex_lasso, complex_enclosure
from theorycheck.solvers._exact_data import ExactData, SupportRejected, mid_array, pm1
from theorycheck.solvers._exact_float import complex_candidate_values, float_support_solution, refine_support
from theorycheck.solvers._exact_real import certify_real
from theorycheck.solvers.reference import solve_reference
from theorycheck.solvers.solution import Solution

__all__ = ["solve_exact", "ExactData", "SupportRejected", "MAX_ENUMERATION"]

#: largest number of (support, sign) patterns the enumeration fallback tries
MAX_ENUMERATION = 200_000
#: patterns tried in ball arithmetic even when float64 screening discards them (small problems)
MAX_BALL_ENUMERATION = 2_000
#: largest working precision (decimal digits) the exact solver accepts
MAX_DPS = 20_000


def solve_exact(
    problem: Program,
    y: Any,
    *,
    candidate: Any = None,
    support: Any = None,
    signs: Any = None,
    A_exact: Any = None,
    data: Callable[[int], tuple[Any, Any]] | None = None,
    dps: int = 30,
    max_dps: int = 1000,
    enumerate_supports: bool | None = None,
    candidate_tol: float = 1e-6,
) -> Solution:
    """Certified unique minimiser of a QCBP / Lasso / SRLasso instance.

    Parameters
    ----------
    problem : QCBP, Lasso or SRLasso
        The program (its ``A`` is ignored when ``A_exact`` or ``data`` is given,
        but its parameter, weights and ``W`` are used).
    y : array_like, mpmath or sympy vector
        Measurements, taken as exact: integers of any size, every binary float
        format (long double, float16, bfloat16 tensors), Fractions, mpmath
        numbers and sympy expressions are converted without rounding (torch
        tensors are detached and copied to the CPU).
    candidate : array_like, optional
        Any solver's answer (signal domain); its support and phases seed the
        search. Without it a float64 active-set iteration (from the
        reference solver's answer when cvxpy is available) finds one.
    support, signs : sequence, optional
        An explicit candidate support (distinct integer coefficient indices)
        and signs (exactly +1 or -1; unit-modulus phases for complex data;
        default all +1). Like ``candidate`` these are hints: they only steer
        the search. A certificate assumes signs ±1 and proves that they are the
        signs of the enclosed coefficients, so a wrong hint is rejected (and the
        search goes on), never certified; anything else raises InvalidArgument.
    A_exact : matrix, optional
        The matrix at higher precision (mpmath or sympy matrix, nested lists of
        strings/rationals): used instead of ``problem.A``.
    data : callable, optional
        ``data(dps) -> (A, y)`` giving the data at ``dps`` digits; re-evaluated
        whenever the working precision grows.
    dps, max_dps : int
        Starting and largest working precision (decimal digits); the precision
        doubles whenever the balls do not decide.
    enumerate_supports : bool, optional
        Try every support and sign pattern (real data, at most
        :data:`MAX_ENUMERATION` patterns). Default: only as a fallback for
        ``N ≤ 10``.
    candidate_tol : float
        Relative threshold under which a candidate's entries count as zero.

    Returns
    -------
    Solution
        ``rigor="proven"``, ``x`` the float64 rounding of the enclosure's
        midpoints, ``enclosure`` the per-coefficient balls and ``dual_slack``
        a certified lower bound on the relative strict dual feasibility margin.

    Raises
    ------
    InsufficientPrecision
        When ``max_dps`` digits do not decide; the message names the precision tried.
    SolverError
        When no candidate support can be certified (the message says why).
    InvalidArgument
        Bad data (NaN/inf, wrong shapes, complex ``y`` for a real program,
        sympy expressions that cannot be enclosed rigorously) or bad hints
        (signs other than ±1, repeated or out-of-range support indices).

    Theorem: uniqueness of the minimiser under strict dual feasibility (docs/theory.md §1).
    Rigor: proven.

    Examples
    --------
    >>> import numpy as np
    >>> from theorycheck import Lasso
    >>> sol = solve_exact(Lasso(np.array([[1.0, 0.5], [0.0, 1.0]]), lam=0.5), np.array([1.0, 0.0]))
    >>> sol.rigor.value, sol.status
    ('proven', 'optimal')
    """
    t0 = time.perf_counter()
    if not isinstance(problem, Program):
        raise InvalidArgument(f"problem must be a QCBP, Lasso or SRLasso, got {type(problem).__name__}")
    kind = program_kind(problem)
    dps, max_dps = precision_args(dps, max_dps)
    if enumerate_supports is not None:
        enumerate_supports = bool_arg(enumerate_supports, "enumerate_supports")
    candidate_tol = real_arg(candidate_tol, "candidate_tol", allow_zero=True)
    if data is not None and A_exact is not None:
        raise InvalidArgument("give either A_exact or data, not both")
    if data is not None and not callable(data):
        raise InvalidArgument("data must be a callable data(dps) -> (A, y)")
    N = problem.penalty_size
    hint = _validated_hints(problem, N, candidate, support, signs)
    bits = dps_to_bits(dps)
    last_exc: InsufficientPrecision | None = None
    cand_S = cand_sig = cand_mags = None
    while True:
        with precision(prec=bits):
            try:
                ed = _exact_data(problem, y, A_exact, data, bits)
                if cand_S is None:
                    cand_S, cand_sig, cand_mags = _initial_candidate(problem, ed, hint, candidate_tol)
                c, slack, extra, S, sig = _certify_with_search(kind, ed, cand_S, cand_sig, cand_mags,
                                                               enumerate_supports)
                return _build_solution(problem, ed, c, slack, S, sig, extra, bits, t0)
            except InsufficientPrecision as exc:
                last_exc = exc
        if bits >= dps_to_bits(max_dps):
            raise InsufficientPrecision(
                f"{last_exc} (tried up to {max_dps} digits); raise max_dps — unless the inequality "
                "is an exact tie (e.g. equal columns, or a dual constraint active off the support): "
                "then the minimiser is not unique and no precision decides it",
                needed_dps=2 * max_dps) from last_exc
        bits = min(2 * bits, dps_to_bits(max_dps))


def precision_args(dps: Any, max_dps: Any) -> tuple[int, int]:
    """precision args.

    Theorem: none (argument validation).
    Rigor: not applicable.
    """
    dps = integer_arg(dps, "dps", minimum=5)
    max_dps = integer_arg(max_dps, "max_dps", minimum=5)
    if max_dps < dps:
        raise InvalidArgument(f"need 5 ≤ dps ≤ max_dps, got dps={dps}, max_dps={max_dps}")
    if max_dps > MAX_DPS:
        raise InvalidArgument(f"max_dps={max_dps} exceeds {MAX_DPS} digits: ball arithmetic at that "
                              "precision would not finish; pass a smaller max_dps")
    return dps, max_dps


def _exact_data(problem: Program, y: Any, A_exact: Any, data: Any, bits: int) -> "ExactData":
    if data is None:
        return ExactData(problem, y, A_exact)
    try:
        out = data(bits_to_dps(bits) + 10)
        A_d, y_d = out
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"data(dps) must return a pair (A, y): {exc}") from None
    return ExactData(problem, y_d, A_d)


def _validated_hints(problem: Program, N: int, candidate: Any, support: Any, signs: Any) -> dict:
    """Check the search hints. They only steer the search: no certificate trusts them."""
    if signs is not None and support is None:
        raise InvalidArgument("signs= needs support= (the indices the signs belong to)")
    if support is not None and candidate is not None:
        raise InvalidArgument("give either candidate= or support= (with signs=), not both")
    if support is not None:
        try:
            idx = list(exact_input(support, "support").reshape(-1)) if not isinstance(support, range) \
                else list(support)
        except InvalidArgument as exc:
            raise InvalidArgument(f"support must be a sequence of indices: {exc}") from None
        S = []
        for j in idx:
            if isinstance(j, (bool, np.bool_)) or not isinstance(j, (numbers.Integral, np.integer)):
                if isinstance(j, (float, np.floating)) and float(j).is_integer():
                    j = int(j)
                else:
                    raise InvalidArgument(f"support holds {j!r}: pass integer indices in [0, {N})")
            S.append(int(j))
        if any(j < 0 or j >= N for j in S) or len(set(S)) != len(S):
            raise InvalidArgument(f"support must hold distinct indices in [0, {N}), got {S}")
        if signs is None:
            sig = [1] * len(S)
        else:
            sig = _validated_signs(signs, len(S), problem.is_complex)
        return {"support": S, "signs": sig}
    if candidate is not None:
        x = as_array(candidate, "candidate", allow_rounding=True)  # a hint: rounding is harmless
        n_sig = int(np.prod(problem.A.in_shape))
        if x.size != n_sig:
            raise InvalidArgument(f"candidate has {x.size} entries, expected {n_sig} (the signal size)")
        if np.iscomplexobj(x) and not problem.is_complex:
            if np.any(np.imag(x) != 0):
                raise InvalidArgument("candidate is complex but the problem is real: pass a real candidate")
            x = np.real(x).copy()
        return {"candidate": x}
    return {}


def _validated_signs(signs: Any, n: int, cplx: bool) -> list:
    """Signs ±1 (real problems) or unit-modulus phases (complex), one per support index."""
    try:
        arr = exact_input(signs, "signs")
    except InvalidArgument as exc:
        raise InvalidArgument(f"signs must be a sequence of ±1: {exc}") from None
    vals = list(np.asarray(arr, dtype=object).reshape(-1))
    if len(vals) != n:
        raise InvalidArgument(f"signs must have one entry per support index ({n}), got {len(vals)}")
    out: list = []
    for v in vals:
        if isinstance(v, (bool, np.bool_, str, bytes)) or not isinstance(v, (numbers.Number, np.number)):
            raise InvalidArgument(f"signs holds {v!r}: pass +1 or -1")
        try:
            z = complex(v)  # type: ignore[arg-type]  # numbers.Number: complex() decides
        except (TypeError, ValueError):
            raise InvalidArgument(f"signs holds {v!r}: pass +1 or -1") from None
        if not cplx:
            if z not in (1, -1):
                raise InvalidArgument(f"signs holds {v!r}: a real problem's signs must be exactly +1 or -1")
            out.append(int(z.real))
        else:
            if not (np.isfinite(z.real) and np.isfinite(z.imag)) or abs(abs(z) - 1) > 1e-9:
                raise InvalidArgument(f"signs holds {v!r}: a complex problem's phases must have modulus 1")
            out.append(z / abs(z))
    return out


def _initial_candidate(problem, ed, hint, tol):
    if "support" in hint:
        S = list(hint["support"])
        sig = np.array(hint["signs"], dtype=complex if ed.complex else float)
        return S, sig, None
    candidate = hint.get("candidate")
    if candidate is None:
        candidate = _reference_candidate(problem, ed)
    x = np.asarray(candidate)
    if x.size != ed.N:
        raise InvalidArgument(f"candidate has {x.size} entries, expected {ed.N}")
    if not np.all(np.isfinite(x)):
        raise InvalidArgument("candidate contains NaN or inf")
    if problem.W is None or x.size != int(np.prod(problem.A.in_shape)):
        cvec = x.reshape(-1)
    else:
        cvec = np.asarray(problem.W.apply(x.reshape(problem.A.in_shape))).reshape(-1)
    with np.errstate(all="ignore"):
        scale = float(np.max(np.abs(cvec))) if cvec.size else 0.0
    if not np.isfinite(scale):
        scale = 0.0
    S = [j for j in range(ed.N) if abs(cvec[j]) > tol * scale] if scale > 0 else []
    if ed.complex:
        sig = cvec[S] / np.abs(cvec[S]) if S else np.zeros(0, dtype=complex)
    else:  # exactly ±1 from the entries' signs (a real candidate's entries are nonzero on S)
        S = [j for j in S if np.real(cvec[j]) != 0]
        sig = np.array([1.0 if np.real(cvec[j]) > 0 else -1.0 for j in S])
    return S, sig, np.abs(cvec[S])


def _reference_candidate(problem, ed):
    """A float64 candidate: cvxpy's answer when available, else the active-set iteration from ∅."""
    try:
        sol = solve_reference(problem, ed.yf.reshape(problem.A.out_shape))
        if np.all(np.isfinite(sol.x)):
            return sol.x
    except Exception:  # any failure: fall back to the active-set iteration below
        pass
    if ed.complex:
        raise SolverError("no candidate for a complex problem: pass candidate= (any solver's answer)")
    S, sig = refine_support(ed.kind, ed, [], np.zeros(0))
    out = float_support_solution(ed.kind, ed, S, sig)
    c = np.zeros(ed.N)
    if out is not None and S:
        c[S] = out[0]
    z = c if problem.W is None else mid_array(ed.Winv, False) @ c
    return z.reshape(problem.A.in_shape)


def _certify_with_search(kind, ed, S, sig, mags, enumerate_supports):
    """Certify the candidate or its float64 refinement; as a last resort enumerate.

    Only acceptance needs proof: a support the balls reject, or one that float64
    screening discards, is simply not the certificate. Undecided attempts are
    re-tried at a higher precision.
    """
    if ed.complex:
        if kind != "lasso":
            raise InvalidArgument(
                "exact certificates for complex data are implemented for Lasso only; "
                "use real data or method='reference' (numerical)")
        try:
            c0 = complex_candidate_values(ed, S, sig)
            c, slack, extra = certify_complex_lasso(ed, S, c0)
        except (SupportRejected, np.linalg.LinAlgError) as exc:
            raise SolverError(f"the candidate support of this complex Lasso could not be certified "
                              f"({exc}): pass a better candidate= (e.g. a tighter solve)") from None
        return c, slack, extra, S, sig
    sig = np.asarray(sig, dtype=float)

    def attempts():  # the refinement only runs when the candidate itself fails
        yield list(S), sig
        yield refine_support(kind, ed, S, sig, mags)

    undecided = None
    tried = set()
    for S_, sig_ in attempts():
        key = (tuple(S_), tuple(sig_))
        if key in tried:
            continue
        tried.add(key)
        try:
            c, slack, extra = certify_real(kind, ed, S_, sig_)
            return c, slack, extra, S_, sig_
        except SupportRejected:
            continue
        except InsufficientPrecision as exc:
            undecided = exc
    if undecided is not None:
        raise undecided
    if enumerate_supports is None:
        enumerate_supports = ed.N <= 10
    if enumerate_supports:
        return _enumerate(kind, ed)
    raise SolverError("the candidate support could not be certified and the float64 refinement "
                      "did not find one that can: pass a better candidate= or "
                      "enumerate_supports=True (small N)")


def _enumerate(kind, ed):
    N, m = ed.N, ed.m
    total = sum(math.comb(N, k) * 2 ** k for k in range(0, min(N, m) + 1))
    if total > MAX_ENUMERATION:
        raise SolverError(f"enumeration would try {total} support/sign patterns "
                          f"(limit {MAX_ENUMERATION}): pass candidate=")
    skipped = []
    for k in range(0, min(N, m) + 1):
        for S in itertools.combinations(range(N), k):
            for sg in itertools.product((1.0, -1.0), repeat=k):
                sig = np.array(sg)
                out = float_support_solution(kind, ed, list(S), sig)
                if out is None:
                    skipped.append((S, sig))
                    continue
                cS, ratio, _ = out
                off = np.delete(ratio, list(S)) if S else ratio
                if np.any(cS * sig <= 0) or (off.size and np.max(off) > 1 + 1e-6):
                    skipped.append((S, sig))
                    continue
                try:
                    c, slack, extra = certify_real(kind, ed, list(S), sig)
                    return c, slack, extra, list(S), sig
                except SupportRejected:
                    continue
    if total <= MAX_BALL_ENUMERATION:
        # float64 screening can discard the right pattern when rounding dominates (huge or tiny
        # scales, cancellation): on small problems try every skipped pattern in balls
        undecided = None
        for S, sig in skipped:
            try:
                c, slack, extra = certify_real(kind, ed, list(S), sig)
                return c, slack, extra, list(S), sig
            except SupportRejected:
                continue
            except InsufficientPrecision as exc:
                undecided = undecided or exc
        if undecided is not None:
            raise undecided
    raise SolverError("no support/sign pattern could be certified: the minimiser may not be "
                      "unique (dual feasibility is not strict)")


def prove_support(problem: Program, y: Any, support: Any, signs: Any, prec_bits: int, *,
                   centre: Any = None, A_exact: Any = None) -> Solution:
    """Re-prove one certificate, exactly as :func:`solve_exact` found it (for verifiers).

    No search and no escalation: the data are converted at ``prec_bits`` bits and
    the support ``S`` with signs ``σ`` (real data) or with the Newton ``centre``
    (complex U-LASSO) is certified by the same deterministic ball arithmetic, so
    the enclosure, slack and every derived number come out bit for bit the same.
    A support that does not certify raises :class:`SolverError`.

    Theorem: uniqueness under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (the same deterministic ball arithmetic as :func:`solve_exact`).
    """
    t0 = time.perf_counter()
    kind = program_kind(problem)
    with precision(prec=int(prec_bits)):
        ed = ExactData(problem, y, A_exact)
        S = [int(j) for j in support]
        try:
            if ed.complex:
                if kind != "lasso":
                    raise InvalidArgument("exact certificates for complex data are implemented for Lasso only")
                if centre is None or len(centre) != len(S):
                    raise SolverError("a complex certificate needs the Newton centre of every support entry")
                c, slack, extra = complex_enclosure(ed, S, list(centre))
                sig = []
            else:
                sig = pm1(S, list(signs), ed.N)
                c, slack, extra = certify_real(kind, ed, S, sig)
        except SupportRejected as exc:
            raise SolverError(f"the stored support and signs do not certify a minimiser: {exc}") from None
        return _build_solution(problem, ed, c, slack, S, sig, extra, int(prec_bits), t0)


def _build_solution(problem, ed, c, slack, S, sig, extra, bits, t0) -> Solution:
    N = ed.N
    if ed.Winv is not None:
        mat = flint.acb_mat if ed.complex else flint.arb_mat
        z_balls_col = ed.Winv * mat([[v] for v in c])
        z_balls = [z_balls_col[i, 0] for i in range(N)]
    else:
        z_balls = list(c)
    strings = _acb_strings if ed.complex else _arb_strings
    enclosure = tuple(strings(v) for v in c)
    z_enclosure = enclosure if ed.Winv is None else tuple(strings(v) for v in z_balls)
    if ed.complex:
        x = np.array([complex(float(v.real.mid()), float(v.imag.mid())) for v in z_balls])
    else:
        x = np.array([float(v.mid()) for v in z_balls])
    x = x.reshape(problem.A.in_shape)
    yf = ed.yf.reshape(problem.A.out_shape)
    objective = residual = gap = float("nan")
    try:  # float64 evidence at the rounded answer, for comparison with other solvers
        with np.errstate(over="ignore", invalid="ignore"):
            objective = problem.objective(x, yf)
            residual = problem.optimality_residual(x, yf)
            gap = problem.duality_gap(x, yf)
    except (InvalidArgument, OverflowError, FloatingPointError, ValueError):
        pass  # e.g. data near the float64 range: the proof stands, the float evidence is nan
    info = {"support": list(S), "prec_bits": bits, "dps": bits_to_dps(bits),
            "z_enclosure": z_enclosure}
    if not ed.complex:
        info["signs"] = tuple(pm1(list(S), list(sig), N))
    info.update({k: (ball_to_strings(v) if type(v).__name__ == "arb" else v) for k, v in extra.items()})
    return Solution(
        x=x, status="optimal", rigor=Rigor.PROVEN, objective=objective, residual=residual, gap=gap,
        solver="exact", elapsed_s=time.perf_counter() - t0, iterations=0,
        enclosure=enclosure, dual_slack=repr(ball_lower(slack)), info=info,
    )


def _arb_strings(v) -> tuple[str, str]:
    return ("0", "0") if v.is_zero() else ball_to_strings(v)


def _acb_strings(v) -> tuple[str, str, str]:
    if v.real.is_zero() and v.imag.is_zero():
        return ("0", "0", "0")
    re_mid, re_rad = ball_to_strings(v.real)
    im_mid, im_rad = ball_to_strings(v.imag)
    rad = (ball_sq(flint.arb(re_rad)) + ball_sq(flint.arb(im_rad))).sqrt()
    return re_mid, im_mid, upper_decimal_string(rad)
