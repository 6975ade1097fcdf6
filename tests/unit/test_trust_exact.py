"""Soundness of the certified exact solver against independent ground truth (issue 11).

Ground truth never shares the library's code: exact ``fractions.Fraction``
arithmetic and brute-force KKT enumeration over every support and sign pattern
(U-LASSO, QCBP with η = 0 as a linear program over its basic solutions), and
mpmath at 80 digits for SR-LASSO / QCBP with η > 0 (whose closed forms have
square roots).

Classes covered: hints that only steer (signs, supports, candidates), exact
conversion of every input type, the ``certified_optimality`` verifier
re-deriving every field, and degenerate / extreme instances.
"""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest

from theorycheck import QCBP, Lasso, SRLasso
from theorycheck.errors import InsufficientPrecision, InvalidArgument, SolverError
from theorycheck.numerics.backend import as_array
from theorycheck.numerics.exact import arb_matrix, to_arb
from theorycheck.numerics.precision import precision
from theorycheck.results import load, verify_result
from theorycheck.solvers import certify_solution, solve
from theorycheck.solvers.certify import distance_to_enclosure

# --------------------------------------------------------------------------------------
# ground truth: exact rational linear algebra and KKT enumeration
# --------------------------------------------------------------------------------------


def q(v) -> Fraction:
    """The exact value of an int, Fraction, binary float (any width) or mpmath number."""
    if type(v).__name__ == "mpf":
        sign, man, exp, _ = v._mpf_
        return Fraction(-man if sign else man) * Fraction(2) ** exp
    if isinstance(v, (float, np.floating)):
        return Fraction(*v.as_integer_ratio())
    return Fraction(v)


def solve_q(G, b):
    """Exact Gaussian elimination; None when G is singular."""
    n = len(G)
    M = [list(G[i]) + [b[i]] for i in range(n)]
    for col in range(n):
        piv = next((r for r in range(col, n) if M[r][col] != 0), None)
        if piv is None:
            return None
        M[col], M[piv] = M[piv], M[col]
        for r in range(n):
            if r != col and M[r][col] != 0:
                f = M[r][col] / M[col][col]
                M[r] = [a - f * c for a, c in zip(M[r], M[col])]
    return [M[i][n] / M[i][i] for i in range(n)]


def cols(A, S):
    return [[A[i][j] for j in S] for i in range(len(A))]


def gram(BS):
    k = len(BS[0]) if BS else 0
    return [[sum(BS[i][a] * BS[i][b] for i in range(len(BS))) for b in range(k)] for a in range(k)]


def matT_vec(BS, v):
    k = len(BS[0]) if BS else 0
    return [sum(BS[i][a] * v[i] for i in range(len(BS))) for a in range(k)]


def residual(A, S, c, y):
    return [y[i] - sum(A[i][j] * cj for j, cj in zip(S, c)) for i in range(len(A))]


def lasso_truth(A, y, lam, w):
    """Every KKT point of λ‖c‖_{1,w} + ‖Ac − y‖² (exact). Returns (points, strict)."""
    m, N = len(A), len(A[0])
    found = []
    for k in range(0, min(m, N) + 1):
        for S in itertools.combinations(range(N), k):
            BS = cols(A, S)
            G = gram(BS)
            Aty = matT_vec(BS, y)
            for sig in itertools.product((1, -1), repeat=k):
                c = solve_q(G, [Aty[a] - lam / 2 * w[j] * s for a, (j, s) in enumerate(zip(S, sig))]) if k else []
                if c is None or any(ci * s <= 0 for ci, s in zip(c, sig)):
                    continue
                r = residual(A, S, c, y)
                margins = [lam * w[j] - abs(2 * sum(A[i][j] * r[i] for i in range(m)))
                           for j in range(N) if j not in S]
                if any(mg < 0 for mg in margins):
                    continue
                x = [Fraction(0)] * N
                for j, cj in zip(S, c):
                    x[j] = cj
                found.append((x, all(mg > 0 for mg in margins)))
    return found


def bp_truth(A, y, w):
    """Basis pursuit min ‖c‖_{1,w} s.t. Ac = y: optimal basic solutions (exact LP vertices)."""
    m, N = len(A), len(A[0])
    pts = {}
    for k in range(0, min(m, N) + 1):
        for S in itertools.combinations(range(N), k):
            BS = cols(A, S)
            c = solve_q(gram(BS), matT_vec(BS, y)) if k else []
            if c is None:
                continue
            if any(v != 0 for v in residual(A, S, c, y)):
                continue
            x = [Fraction(0)] * N
            for j, cj in zip(S, c):
                x[j] = cj
            pts[tuple(x)] = sum(w[j] * abs(x[j]) for j in range(N))
    if not pts:
        return [], None
    best = min(pts.values())
    return [list(x) for x, v in pts.items() if v == best], best


def mp_truth(kind, A, y, p, w, dps=80):
    """KKT points of SR-LASSO (p = λ) or QCBP with η = p > 0, in mpmath.

    Returns ``(points, strict, tie, unknown)``: ``unknown`` when some support fits
    ``y`` exactly with ``|S| < m`` (its dual is not unique; brute force cannot
    decide those instances, which the tests then redraw).
    """
    with mpmath.workdps(dps):
        Am = mpmath.matrix([[mpmath.mpf(v) for v in row] for row in A.tolist()])
        ym = mpmath.matrix([mpmath.mpf(v) for v in y.tolist()])
        m, N = A.shape
        eps = mpmath.mpf(10) ** (-dps // 2)
        found, tie, unknown = [], False, False
        if kind == "qcbp" and mpmath.norm(ym) <= p:
            return [np.zeros(N)], True, mpmath.norm(ym) == p, False
        for k in range(1 if kind == "qcbp" else 0, min(m, N) + 1):
            for S in itertools.combinations(range(N), k):
                BS = mpmath.matrix([[Am[i, j] for j in S] for i in range(m)]) if k else None
                if k:
                    G = BS.T * BS
                    if abs(mpmath.det(G)) < eps:
                        continue
                    Gi = G ** -1
                for sig in itertools.product((1, -1), repeat=k):
                    if k:
                        v = mpmath.matrix([w[j] * s for j, s in zip(S, sig)])
                        Gib = Gi * (BS.T * ym)
                        Giv = Gi * v
                        qv = (v.T * Giv)[0]
                        rho0 = mpmath.norm(ym - BS * Gib)
                    if kind == "srlasso" and k == m:
                        # B_S square and invertible: the minimiser may fit y exactly (r = 0, any
                        # dual u with ‖u‖ ≤ 1 and B_S^T u = λ w_S σ, which here is unique)
                        cf = mpmath.lu_solve(BS, ym)
                        if all(cf[a] * s > 0 for a, s in enumerate(sig)):
                            u = mpmath.lu_solve(BS.T, v) * p
                            marg = [p * w[j] - abs(sum(Am[i, j] * u[i] for i in range(m)))
                                    for j in range(N) if j not in S] + [1 - mpmath.norm(u)]
                            if all(mg >= -eps for mg in marg):
                                tie = tie or any(abs(mg) <= eps for mg in marg)
                                x = np.zeros(N)
                                for a, j in enumerate(S):
                                    x[j] = float(cf[a])
                                found.append(x)
                                continue
                    if kind == "srlasso":
                        if k == 0:
                            r = ym
                            t = mpmath.norm(ym)
                            c = []
                        else:
                            den = 1 - p * p * qv
                            if rho0 <= eps and k < m and den > eps:
                                unknown = True  # an exact fit with |S| < m: dual not unique
                            if den <= eps or rho0 <= eps:
                                tie = tie or abs(den) <= eps
                                continue
                            t = rho0 / mpmath.sqrt(den)
                            c = Gib - Giv * (p * t)
                            r = ym - BS * c
                        thr = p * t
                    else:
                        num = p * p - rho0 ** 2
                        if num <= eps or qv <= 0:
                            tie = tie or abs(num) <= eps
                            continue
                        theta = mpmath.sqrt(num / qv)
                        c = Gib - Giv * theta
                        r = ym - BS * c
                        thr = theta
                    if k and any(c[a] * s <= 0 for a, s in enumerate(sig)):
                        tie = tie or any(abs(c[a]) <= eps for a in range(k))
                        continue
                    margins = [thr * w[j] - abs(sum(Am[i, j] * r[i] for i in range(m)))
                               for j in range(N) if j not in S]
                    if any(mg < -eps for mg in margins):
                        continue
                    if any(abs(mg) <= eps for mg in margins):
                        tie = True
                    x = np.zeros(N)
                    for a, j in enumerate(S):
                        x[j] = float(c[a])
                    found.append(x)
        return found, len(found) == 1 and not tie, tie, unknown


def contains(sol, x_exact) -> bool:
    """Every coordinate of the exact point lies in the solution's certified balls."""
    with precision(dps=80):
        for (mid, rad), v in zip(sol.info["z_enclosure"], x_exact):
            ball = flint.arb(mid) + flint.arb(0, flint.arb(rad))
            if not ball.contains(flint.arb(flint.fmpq(v.numerator, v.denominator))):
                return False
    return True


def random_dyadic(rng, m, N, *, degenerate=False):
    A = rng.integers(-4, 5, size=(m, N)) / 4.0
    if degenerate and N >= 3:
        how = rng.integers(0, 3)
        if how == 0:
            A[:, 1] = A[:, 0]          # duplicate column
        elif how == 1:
            A[:, 2] = -A[:, 0]         # negated column
        else:
            A[:, 1] = 0.0              # zero column
    y = rng.integers(-8, 9, size=m) / 4.0
    return A, y


def to_q(A):
    return [[q(float(v)) for v in row] for row in np.atleast_2d(A)]


def certified_or_refused(P, y, **kw):
    try:
        return solve(P, y, method="exact", max_dps=60, **kw)
    except (SolverError, InsufficientPrecision):
        return None


# --------------------------------------------------------------------------------------
# 1. hints only steer: any hint, right or wrong, never changes what is proven
# --------------------------------------------------------------------------------------

def _hint_patterns(N, m, rng, count):
    pats = [(S, sg) for k in range(0, min(N, m) + 1) for S in itertools.combinations(range(N), k)
            for sg in itertools.product((1, -1), repeat=k)]
    idx = rng.choice(len(pats), size=min(count, len(pats)), replace=False)
    return [pats[i] for i in idx]


@pytest.mark.parametrize("seed", range(6))
def test_lasso_hints_never_make_a_false_certificate(seed):
    rng = np.random.default_rng(100 + seed)
    m, N = int(rng.integers(1, 4)), int(rng.integers(2, 6))
    A, y = random_dyadic(rng, m, N, degenerate=seed % 2 == 1)
    w = np.ones(N)
    lam = float(rng.choice([0.25, 0.5, 1.0, 2.0]))
    truth = lasso_truth(to_q(A), [q(v) for v in y], q(lam), [Fraction(1)] * N)
    unique = len(truth) == 1 and truth[0][1]
    P = Lasso(A, lam=lam, weights=w)
    for S, sg in _hint_patterns(N, m, rng, 12):
        sol = certified_or_refused(P, y, support=list(S), signs=list(sg), enumerate_supports=True)
        if sol is not None:
            assert unique, f"certified a minimiser where brute force finds {len(truth)} KKT points"
            assert contains(sol, truth[0][0]), (S, sg, sol.info["z_enclosure"], truth[0][0])
    sol = certified_or_refused(P, y)
    if sol is not None:
        assert unique and contains(sol, truth[0][0])


@pytest.mark.parametrize("seed", range(6))
def test_qcbp_eta0_hints_never_make_a_false_certificate(seed):
    rng = np.random.default_rng(200 + seed)
    m, N = int(rng.integers(1, 4)), int(rng.integers(2, 6))
    A, y = random_dyadic(rng, m, N, degenerate=seed % 2 == 1)
    pts, best = bp_truth(to_q(A), [q(v) for v in y], [Fraction(1)] * N)
    P = QCBP(A, eta=0.0)
    for S, sg in _hint_patterns(N, m, rng, 12):
        sol = certified_or_refused(P, y, support=list(S), signs=list(sg), enumerate_supports=True)
        if sol is not None:
            assert len(pts) == 1, f"certified a unique minimiser where {len(pts)} basic solutions are optimal"
            assert contains(sol, pts[0])


@pytest.mark.parametrize("kind", ["srlasso", "qcbp"])
@pytest.mark.parametrize("seed", range(4))
def test_sqrt_programs_hints_never_make_a_false_certificate(kind, seed):
    rng = np.random.default_rng(300 + seed)
    while True:
        m, N = int(rng.integers(2, 4)), int(rng.integers(2, 6))
        A, y = random_dyadic(rng, m, N, degenerate=seed % 2 == 1)
        p = float(rng.choice([0.125, 0.25, 0.5] if kind == "srlasso" else [0.25, 0.5, 1.0]))
        pts, unique, tie, unknown = mp_truth(kind, A, y, mpmath.mpf(p), [1.0] * N)
        if not unknown:
            break
    P = SRLasso(A, lam=p) if kind == "srlasso" else QCBP(A, eta=p)
    for S, sg in _hint_patterns(N, m, rng, 10) + [(None, None)]:
        hint = {} if S is None else dict(support=list(S), signs=list(sg))
        sol = certified_or_refused(P, y, enumerate_supports=True, **hint)
        if sol is not None:
            assert len(pts) == 1, f"certified where mpmath finds {len(pts)} KKT points"
            lo, hi = distance_to_enclosure(pts[0], sol)
            assert lo <= 1e-12, (S, sg, lo)


@pytest.mark.parametrize("P_factory", [
    lambda: Lasso(np.array([[1.0, 0.5], [0.0, 1.0]]), lam=0.5),
    lambda: QCBP(np.array([[1.0, 2.0]]), eta=0.0),
    lambda: SRLasso(np.array([[1.0, 0.5], [0.0, 1.0]]), lam=0.25),
])
@pytest.mark.parametrize("bad", [[2.0], [0.5], [0], [-3], [float("nan")], [float("inf")], ["1"], [1 + 1j]])
def test_non_unit_signs_are_refused(P_factory, bad):
    P = P_factory()
    y = np.ones(P.A.shape[0])
    with pytest.raises(InvalidArgument, match="signs"):
        solve(P, y, method="exact", support=[0], signs=bad)


def test_reported_instances_of_trusted_signs():
    # signs=[2.0] / [0.5] used to yield "proven" minimisers that are not minimisers
    A = np.array([[1.0, 0.5], [0.0, 1.0]])
    y = np.array([1.0, 0.0])
    truth = lasso_truth(to_q(A), [q(v) for v in y], Fraction(1, 2), [Fraction(1)] * 2)
    assert len(truth) == 1 and truth[0][0] == [Fraction(3, 4), 0]
    for good in ([1], [1.0], np.array([1]), [-1]):
        sol = solve(Lasso(A, lam=0.5), y, method="exact", support=[0], signs=good)
        assert contains(sol, truth[0][0])  # a wrong but valid sign is corrected by the search
    sol = solve(QCBP(np.array([[1.0, 2.0]]), eta=0.0), np.array([1.0]), method="exact",
                support=[0], signs=[1])
    pts, _ = bp_truth([[Fraction(1), Fraction(2)]], [Fraction(1)], [Fraction(1)] * 2)
    assert pts == [[0, Fraction(1, 2)]] and contains(sol, pts[0])


@pytest.mark.parametrize("kw,match", [
    (dict(support=[1.5]), "support"), (dict(support=[-1]), "support"), (dict(support=[2]), "support"),
    (dict(support=[0, 0]), "support"), (dict(support=["a"]), "support"),
    (dict(signs=[1]), "support="), (dict(support=[0], signs=[1, 1]), "signs"),
    (dict(support=[0], candidate=np.zeros(2)), "either"),
    (dict(candidate=np.array([1j, 0])), "complex"), (dict(candidate=np.zeros(3)), "candidate"),
    (dict(candidate=np.array([np.nan, 0])), "NaN"),
])
def test_bad_hints_are_invalid_arguments(kw, match):
    with pytest.raises(InvalidArgument, match=match):
        solve(Lasso(np.eye(2), lam=0.5), np.array([1.0, 0.0]), method="exact", **kw)


def test_complex_phase_hints_must_have_modulus_one():
    A = np.array([[1.0 + 0.5j, 0.25], [0.0, 1.0 - 0.5j]])
    y = np.array([1.0 + 0.25j, -0.5j])
    P = Lasso(A, lam=0.2)
    with pytest.raises(InvalidArgument, match="modulus"):
        solve(P, y, method="exact", support=[0, 1], signs=[2j, 1])
    # a unit phase is accepted; whatever is certified, the phases come from the enclosure
    sol = certified_or_refused(P, y, support=[0, 1], signs=[1j, -1])
    ref = certified_or_refused(P, y)
    if sol is not None and ref is not None:
        assert sol.info["support"] == ref.info["support"]
        assert distance_to_enclosure(ref.x, sol)[0] <= 1e-14


# --------------------------------------------------------------------------------------
# 2. exact conversion of data: the proof is about the data given, or it is refused
# --------------------------------------------------------------------------------------

BIG = 2 ** 53 + 1  # the smallest positive integer float64 cannot hold


@pytest.mark.parametrize("make_y", [
    lambda: [BIG], lambda: np.array([BIG], dtype=np.int64), lambda: np.array([BIG], dtype=np.uint64),
    lambda: np.array([BIG], dtype=object), lambda: [Fraction(BIG)],
])
def test_big_integer_data_are_not_rounded(make_y):
    # λ|c| + (c − y)² with λ = 1: c* = y − 1/2 exactly; rounding y to 2^53 gives 2^53 − 1/2
    sol = solve(Lasso(np.array([[1.0]]), lam=1.0), make_y(), method="exact")
    assert contains(sol, [Fraction(BIG) - Fraction(1, 2)])
    assert not contains(sol, [Fraction(2 ** 53) - Fraction(1, 2)])


def test_big_integer_matrix_via_A_exact():
    A_int = np.array([[BIG, 1], [0, 2]], dtype=np.int64)
    y = [BIG, 1]  # exact (np.array([BIG, 1.0]) would already be rounded)
    P = Lasso(np.array(A_int, dtype=float), lam=1.0)  # the float copy is the user's rounding
    sol = solve(P, y, method="exact", A_exact=A_int)
    truth = lasso_truth([[Fraction(BIG), Fraction(1)], [Fraction(0), Fraction(2)]],
                        [Fraction(BIG), Fraction(1)], Fraction(1), [Fraction(1)] * 2)
    assert len(truth) == 1 and truth[0][1]
    assert contains(sol, truth[0][0])


@pytest.mark.parametrize("make_y", [
    lambda: [Fraction(7, 3)],
    lambda: np.array([7], dtype=np.longdouble) / 3,
    lambda: [mpmath.mpf(7) / 3],  # 120 bits
])
def test_rationals_and_wide_floats_are_exact(make_y):
    with mpmath.workprec(120):
        y = make_y()
    value = q(y[0])
    sol = solve(Lasso(np.array([[1.0]]), lam=1.0), y, method="exact")
    assert contains(sol, [value - Fraction(1, 2)])
    if q(float(value)) != value:  # long double may be binary64 on some platforms
        assert not contains(sol, [q(float(value)) - Fraction(1, 2)])


def test_irrational_sympy_data_are_enclosed_rigorously():
    import sympy as sp

    y = [sp.sqrt(2) + sp.pi / 7 - sp.Rational(1, 3)]
    sol = solve(Lasso(np.array([[1.0]]), lam=1.0), y, method="exact")
    with mpmath.workdps(100):
        val = mpmath.sqrt(2) + mpmath.pi / 7 - mpmath.mpf(1) / 3 - mpmath.mpf(1) / 2
        mid, rad = sol.enclosure[0]
        assert abs(mpmath.mpf(mid) - val) <= mpmath.mpf(rad) * (1 + mpmath.mpf(10) ** -20)
    with pytest.raises(InvalidArgument, match="sympy"):
        solve(Lasso(np.array([[1.0]]), lam=1.0), [sp.Symbol("t")], method="exact")
    with pytest.raises(InvalidArgument):
        to_arb(sp.Integral(sp.Symbol("t"), (sp.Symbol("t"), 0, 1)))
    with pytest.raises(InvalidArgument):
        to_arb((-8) ** sp.Rational(1, 3))  # sympy's principal root is complex


def test_arb_matrix_is_exact_for_every_dtype():
    torch = pytest.importorskip("torch")
    cases = [
        (np.array([BIG, -BIG], dtype=np.int64), [BIG, -BIG]),
        (np.array([2 ** 64 - 1], dtype=np.uint64), [2 ** 64 - 1]),
        (np.array([True, False]), [1, 0]),
        (np.array([2 ** 200, 3], dtype=object), [2 ** 200, 3]),
        (np.array([0.1], dtype=np.float16), [q(float(np.float16(0.1)))]),
        (np.array([1], dtype=np.longdouble) / 3, [q(np.longdouble(1) / 3)]),
        (torch.tensor([0.1], dtype=torch.bfloat16, requires_grad=True), [q(0.10009765625)]),
        ("mpf", None),
    ]
    for data, expected in cases:
        with mpmath.workprec(200):
            if expected is None:
                data = [mpmath.mpf(1) / 3]
                expected = [q(data[0])]
            M = arb_matrix(data)
        for i, v in enumerate(expected):
            ball = M[i, 0]
            man, exp = ball.mid().man_exp()
            value = Fraction(int(man)) * Fraction(2) ** int(exp)
            assert ball.rad() == 0 and value == Fraction(v), (data, i)


@pytest.mark.parametrize("value,ok", [
    (np.array([BIG]), False), (np.array([2 ** 60]), True), (np.array([2 ** 64 - 1], dtype=np.uint64), False),
    (np.array([1], dtype=np.longdouble) / 3, False), (np.array([0.5], dtype=np.longdouble), True),
    ([Fraction(1, 3)], False), ([Fraction(3, 4)], True), ([10 ** 400], False), ([2 ** 100], True),
    ("mpf_hi", False), ([mpmath.mpf(0.25)], True), ("sqrt2", False), ("sym_quarter", True),
    (["1.5"], False), (np.array(["1"]), False), ([None], False),
])
def test_as_array_refuses_inexact_conversions(value, ok):
    import sympy as sp

    if value == "mpf_hi":
        with mpmath.workprec(120):
            value = [mpmath.mpf(1) / 3]
    elif value == "sqrt2":
        value = [sp.sqrt(2)]
    elif value == "sym_quarter":
        value = [sp.Rational(1, 4)]
    if ok:
        arr = as_array(value, "data")
        assert arr.dtype == np.float64
    else:
        with pytest.raises(InvalidArgument, match="data"):
            as_array(value, "data")


def test_as_array_rounding_is_an_explicit_opt_in():
    assert as_array([Fraction(1, 3)], "v", allow_rounding=True)[0] == 1 / 3
    assert as_array(np.array([BIG]), "v", allow_rounding=True)[0] == float(BIG)
    with pytest.raises(InvalidArgument, match="round it yourself"):
        as_array([Fraction(1, 3)], "v")


def test_as_array_reads_every_torch_dtype_exactly():
    torch = pytest.importorskip("torch")
    for dt in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        t = (torch.arange(5, dtype=torch.float64) / 7).to(dt).requires_grad_(True)
        arr = as_array(t, "t")
        assert arr.dtype == np.float64
        assert [q(float(v)) for v in arr] == [q(float(v)) for v in t.detach().to(torch.float64)]
    for dt in (torch.complex64, torch.complex128):
        t = torch.tensor([1 / 3 + 2j / 7], dtype=dt)
        assert as_array(t, "t")[0] == complex(t[0].item())
    assert as_array(torch.tensor([2 ** 53]), "t")[0] == 2 ** 53
    with pytest.raises(InvalidArgument, match="t"):
        as_array(torch.tensor([BIG]), "t")
    assert list(as_array(torch.tensor([True, False]), "t")) == [1.0, 0.0]
    with pytest.raises(InvalidArgument, match="device"):
        as_array(torch.zeros(2, device="meta"), "t")


# --------------------------------------------------------------------------------------
# 3. certify_solution: exact inputs, clear errors, and a verifier that re-derives everything
# --------------------------------------------------------------------------------------

def _instance():
    A = np.array([[1.0, 0.5, -0.25], [0.0, 1.0, 0.5], [0.5, 0.0, 1.0]])
    y = np.array([1.0, -0.5, 0.25])
    lam = 0.3
    truth = lasso_truth(to_q(A), [q(v) for v in y], q(lam), [Fraction(1)] * 3)
    assert len(truth) == 1 and truth[0][1]
    return A, y, lam, truth[0][0]


def test_certified_distance_bounds_contain_the_exact_distance():
    A, y, lam, xstar = _instance()
    rng = np.random.default_rng(3)
    for scale in (0.0, 1e-12, 1e-3, 1.0):
        x = np.array([float(v) for v in xstar]) + scale * rng.standard_normal(3)
        res = certify_solution(Lasso(A, lam=lam), y, x)
        d2 = sum((q(float(a)) - b) ** 2 for a, b in zip(x, xstar))
        lo, hi = q(res["distance_lower"]), q(res["distance_upper"])
        assert lo * lo <= d2 <= hi * hi


@pytest.mark.parametrize("convert", ["requires_grad", "bfloat16", "float16"])
def test_certify_solution_accepts_tensors(convert):
    torch = pytest.importorskip("torch")
    from theorycheck.testing import assert_minimiser

    A, y, lam, xstar = _instance()
    x = np.array([float(v) for v in xstar])
    dt = {"requires_grad": torch.float64, "bfloat16": torch.bfloat16, "float16": torch.float16}[convert]
    xt = torch.tensor(x).to(dt).requires_grad_(True)
    yt = torch.tensor(y).to(dt).requires_grad_(True)
    res = certify_solution(Lasso(A, lam=lam), yt, xt, tol=1e-2)
    y_exact = [q(float(v)) for v in yt.detach().to(torch.float64)]
    truth = lasso_truth(to_q(A), y_exact, q(lam), [Fraction(1)] * 3)
    x_exact = [q(float(v)) for v in xt.detach().to(torch.float64)]
    d2 = sum((a - b) ** 2 for a, b in zip(x_exact, truth[0][0]))
    assert q(res["distance_lower"]) ** 2 <= d2 <= q(res["distance_upper"]) ** 2
    assert res.holds == (q(res["distance_upper"]) <= q(1e-2))
    if res.holds:
        assert_minimiser(Lasso(A, lam=lam), yt, xt, tol=1e-2)
    sol = solve(Lasso(A, lam=lam), yt, method="exact")
    assert contains(sol, truth[0][0])


@pytest.mark.parametrize("bad", ["nan_x", "nan_y", "shape_x", "shape_y", "complex_x", "complex_y",
                                 "tol", "irrational", "dps"])
def test_certify_solution_bad_input_is_invalid_argument(bad):
    import sympy as sp

    A, y, lam, xstar = _instance()
    x = np.zeros(3)
    kw = {}
    if bad == "nan_x":
        x = np.array([np.nan, 0, 0])
    elif bad == "nan_y":
        y = np.array([np.nan, 0, 0])
    elif bad == "shape_x":
        x = np.zeros(4)
    elif bad == "shape_y":
        y = np.zeros((3, 1))
    elif bad == "complex_x":
        x = np.zeros(3, dtype=complex)
    elif bad == "complex_y":
        y = y + 1j
    elif bad == "tol":
        kw["tol"] = "1e-3"
    elif bad == "irrational":
        y = [sp.sqrt(2), 0, 0]
    elif bad == "dps":
        kw["dps"] = 2.5
    with pytest.raises(InvalidArgument):
        certify_solution(Lasso(A, lam=lam), y, x, **kw)


def _saved(res) -> dict:
    return json.loads(res.to_json())


def _verify(d) -> tuple[bool, str]:
    try:
        out = verify_result(load(json.dumps(d)))
    except InvalidArgument as exc:
        return False, str(exc)
    return out.holds, out.message


def test_verifier_rejects_forged_claims_and_names_the_field():
    A, y, lam, xstar = _instance()
    res = certify_solution(Lasso(A, lam=lam), y, np.array([0.5, 0.0, 0.0]))
    d = _saved(res)
    assert _verify(d)[0]  # control
    f = d["fields"]
    edits = {
        "distance_lower": lambda e: e["fields"]["values"].__setitem__(
            "distance_lower", float(np.nextafter(f["values"]["distance_lower"], 0))),
        "distance_upper": lambda e: e["fields"]["values"].__setitem__(
            "distance_upper", float(np.nextafter(f["values"]["distance_upper"], np.inf))),
        "rigor": lambda e: e["fields"].__setitem__("rigor", "certified-float64"),
        "message": lambda e: e["fields"].__setitem__("message", "x is the minimiser"),
        "outcome": lambda e: e["fields"].__setitem__("outcome", "holds"),
    }
    for name, edit in edits.items():
        e = json.loads(json.dumps(d))
        edit(e)
        ok, msg = _verify(e)
        assert not ok and name.split("_")[0] in msg, (name, msg)
    wit = d["fields"]["witness"]["__witness__"]["data"]
    for key, value, field in [("signs", {"__tuple__": [2] * len(wit["signs"]["__tuple__"])}, "signs"),
                              ("support", {"__tuple__": [0, 0]}, "support"),
                              ("support", {"__tuple__": [7]}, "support"),
                              ("prec_bits", 10 ** 9, "prec_bits"),
                              ("program", "Opaque", "program"),
                              ("tol", -1.0, "tol")]:
        e = json.loads(json.dumps(d))
        e["fields"]["witness"]["__witness__"]["data"][key] = value
        ok, msg = _verify(e)
        assert not ok and field in msg, (key, msg)


def test_verifier_rejects_a_wrong_but_valid_certificate():
    A, y, lam, xstar = _instance()
    res = certify_solution(Lasso(A, lam=lam), y, np.array([0.5, 0.0, 0.0]))
    d = _saved(res)
    wit = d["fields"]["witness"]["__witness__"]["data"]
    sig = wit["signs"]["__tuple__"]
    e = json.loads(json.dumps(d))
    e["fields"]["witness"]["__witness__"]["data"]["signs"] = {"__tuple__": [-s for s in sig]}
    ok, msg = _verify(e)
    assert not ok and "re-prove" in msg


def test_suite_style_records_are_checked_against_a_fresh_certificate():
    from theorycheck import CheckResult, Witness

    A, y, lam, xstar = _instance()
    P = Lasso(A, lam=lam)
    sol = solve(P, y, method="exact")
    x = sol.x + 1e-3
    lo, hi = distance_to_enclosure(x, sol)
    rec = {"program": "Lasso", "A": A, "y": y, "param": lam, "weights": np.ones(3)}
    wit = Witness("answer", {**rec, "x": x, "minimiser": sol.x, "enclosure": sol.info["z_enclosure"]})
    vals = {"distance_lower": lo, "distance_upper": hi, "tol": 1e-6, "status": "optimal", "warned": False}
    msg = f"the answer is at distance ≥ {lo:.3g} > tol={1e-6:.2e} from the unique minimiser, silently"
    good = CheckResult("certified_optimality", "violated", "proven", msg, vals, wit, "docs/theory.md §1")
    assert verify_result(load(good.to_json())).holds
    forged = CheckResult("certified_optimality", "holds", "proven", msg, vals, wit, "docs/theory.md §1")
    assert not verify_result(load(forged.to_json())).holds
    bad_bound = CheckResult("certified_optimality", "violated", "proven", msg,
                            {**vals, "distance_lower": 1.0}, wit, "docs/theory.md §1")
    assert not verify_result(load(bad_bound.to_json())).holds
    bad_msg = CheckResult("certified_optimality", "violated", "proven", "x is fine", vals, wit, "docs/theory.md §1")
    out = verify_result(load(bad_msg.to_json()))
    assert not out.holds and "message" in out.message


# --------------------------------------------------------------------------------------
# 4. degenerate and extreme instances
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["lasso", "srlasso", "qcbp", "qcbp0"])
def test_zero_measurements(kind):
    A = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 0.0]])  # with a zero column
    P = {"lasso": Lasso(A, lam=0.5), "srlasso": SRLasso(A, lam=0.5), "qcbp": QCBP(A, eta=0.5),
         "qcbp0": QCBP(A, eta=0.0)}[kind]
    sol = solve(P, np.zeros(2), method="exact")
    assert np.all(sol.x == 0) and contains(sol, [Fraction(0)] * 3)


def test_duplicate_columns_are_never_certified():
    a = np.array([1.0, 2.0, -1.0])
    A = np.stack([a, a, np.array([0.0, 1.0, 3.0])], axis=1)
    y = 2.0 * a
    truth = lasso_truth(to_q(A), [q(v) for v in y], Fraction(1, 2), [Fraction(1)] * 3)
    assert not (len(truth) == 1 and truth[0][1])  # brute force: not a strict unique minimiser
    for hint in (dict(), dict(support=[0], signs=[1]), dict(support=[1], signs=[1]),
                 dict(candidate=np.array([1.0, 0.5, 0.0]))):
        assert certified_or_refused(Lasso(A, lam=0.5), y, **hint) is None


def test_lambda_at_the_breakpoint():
    # λ = λ_max = 2‖A^T y‖_∞: 0 is the minimiser but dual feasibility is tight
    A = np.array([[1.0, 0.5], [0.0, 1.0]])
    y = np.array([1.0, 0.5])
    lam = float(2 * np.max(np.abs(A.T @ y)))
    truth = lasso_truth(to_q(A), [q(v) for v in y], q(lam), [Fraction(1)] * 2)
    assert len(truth) == 1 and not truth[0][1]
    sol = certified_or_refused(Lasso(A, lam=lam), y)
    assert sol is None  # a tie is never certified as strict
    sol = solve(Lasso(A, lam=lam * (1 + 2 ** -40)), y, method="exact")
    assert np.all(sol.x == 0)


@pytest.mark.parametrize("a,b", [(900, -900), (-500, 400), (500, 500), (-500, -500)])
def test_extreme_scales(a, b):
    # U-LASSO with A·2^a, y·2^b and λ·2^(a+b) has the minimiser 2^(b−a)·c* exactly
    A, y, lam, xstar = _instance()
    t, s = 2.0 ** a, 2.0 ** b
    sol = solve(Lasso(A * t, lam=lam * t * s), y * s, method="exact", enumerate_supports=True)
    scale = Fraction(2) ** (b - a)
    assert contains(sol, [v * scale for v in xstar])
    # SR-LASSO with A·2^a, y·2^b and λ·2^a: the minimiser scales by 2^(b−a) too; the two
    # certified enclosures of the same exact numbers must overlap after exact rescaling
    base = solve(SRLasso(A, lam=0.2), y, method="exact")
    scaled = solve(SRLasso(A * t, lam=0.2 * t), y * s, method="exact", enumerate_supports=True)
    with precision(dps=60):
        k = flint.arb(2) ** (b - a)
        for (m0, r0), (m1, r1) in zip(base.info["z_enclosure"], scaled.info["z_enclosure"]):
            b0 = flint.arb(m0) + flint.arb(0, flint.arb(r0))
            b1 = (flint.arb(m1) + flint.arb(0, flint.arb(r1))) / k
            assert b0.overlaps(b1)


def test_hinted_support_with_zero_column_or_zero_coefficient():
    A = np.array([[1.0, 0.0, 0.5], [0.0, 0.0, 1.0]])
    y = np.array([1.0, 0.0])
    truth = lasso_truth(to_q(A), [q(v) for v in y], Fraction(1, 2), [Fraction(1)] * 3)
    for S, sg in [([1], [1]), ([0, 1], [1, -1]), ([2], [-1])]:
        sol = certified_or_refused(Lasso(A, lam=0.5), y, support=S, signs=sg, enumerate_supports=True)
        if sol is not None:
            assert len(truth) == 1 and truth[0][1] and contains(sol, truth[0][0])


def test_sympy_infinities_and_complex_entries_are_handled():
    import sympy as sp

    P = Lasso(np.eye(2), lam=1.0)
    for bad in ([[1, sp.oo], [0, 1]], [[1, -sp.oo], [0, 1]], [[1, sp.zoo], [0, 1]], [[1, sp.nan], [0, 1]]):
        with pytest.raises(InvalidArgument):
            solve(P, [1, 0], method="exact", A_exact=bad)
        with pytest.raises(InvalidArgument):
            as_array(bad, "A")
    # a complex sympy entry makes the data complex (acb balls), never a real ball of a complex number
    A = [[1, 1 + sp.sqrt(2) * sp.I], [0, 1]]
    with pytest.raises((SolverError, InsufficientPrecision)):
        solve(P, [1, 0], method="exact", A_exact=A, candidate=np.array([0.5, 0.0]))


def test_big_integer_answers_are_measured_exactly():
    # y = 2^53 + 1, λ = 1: the minimiser is 2^53 + 1/2; x = 2^53 + 1 is at distance exactly 1/2
    P = Lasso(np.array([[1.0]]), lam=1.0)
    res = certify_solution(P, [BIG], [BIG], tol=0.25)
    assert res.violated and res.rigor.value == "proven"
    assert q(res["distance_lower"]) <= Fraction(1, 2) <= q(res["distance_upper"])
    assert res["distance_upper"] - res["distance_lower"] < 1e-15  # one ulp outward on each side
    # the witness stores the exact rationals, and the file re-verifies
    assert list(res.witness["y"]) == [Fraction(BIG)] and verify_result(load(res.to_json())).holds
    # float64's rounding of the same x is at distance 1/2 from the exact minimiser of the *exact* y
    res2 = certify_solution(P, [BIG], np.array([float(BIG)]), tol=0.25)
    assert q(res2["distance_lower"]) <= Fraction(1, 2) <= q(res2["distance_upper"])


def test_certificate_result_from_a_solution_found_elsewhere():
    from theorycheck.solvers.certify import certificate_result

    A, y, lam, xstar = _instance()
    P = Lasso(A, lam=lam)
    sol = solve(P, y, method="exact")
    x = np.zeros(3)
    res = certificate_result(P, y, x, sol, tol=1e-6, context={"status": "optimal", "warned": False,
                                                               "note": "silently wrong"})
    assert res.violated and res.message.endswith("silently wrong")
    d2 = sum(v * v for v in xstar)
    assert q(res["distance_lower"]) ** 2 <= d2 <= q(res["distance_upper"]) ** 2
    assert verify_result(load(res.to_json())).holds
    d = _saved(res)
    d["fields"]["witness"]["__witness__"]["data"]["context"]["note"] = "fine"
    assert not _verify(d)[0]
    # sol is only a hint: its certificate is re-proven for (P, y), so a solution of another
    # instance either re-proves for this one (the claim is about P) or is refused
    other = solve(Lasso(A, lam=2 * lam), y, method="exact")
    res = certificate_result(P, y, x, other, tol=1e-6)
    assert q(res["distance_lower"]) ** 2 <= d2 <= q(res["distance_upper"]) ** 2
    zero = solve(Lasso(A, lam=100.0), y, method="exact")
    assert zero.info["support"] == []
    with pytest.raises(InvalidArgument, match="not a solution"):
        certificate_result(P, y, x, zero, tol=1e-6)


def test_acb_matrix_is_exact_for_every_dtype():
    torch = pytest.importorskip("torch")
    from theorycheck.numerics.exact import acb_matrix

    third = np.clongdouble(1 + 2j) / 3
    cases = [
        (np.array([BIG], dtype=np.int64), [(BIG, 0)]),
        (np.array([True]), [(1, 0)]),
        (np.array([third]), [(q(third.real), q(third.imag))]),
        (torch.tensor([0.1 + 0.2j], dtype=torch.complex64, requires_grad=True),
         [(q(float(np.float32(0.1))), q(float(np.float32(0.2))))]),
        (np.array([Fraction(1, 4) + 0], dtype=object), [(Fraction(1, 4), 0)]),
    ]
    for data, expected in cases:
        M = acb_matrix(data)
        for i, (re_, im_) in enumerate(expected):
            z = M[i, 0]
            for part, v in ((z.real, re_), (z.imag, im_)):
                man, exp = part.mid().man_exp()
                assert part.rad() == 0 and Fraction(int(man)) * Fraction(2) ** int(exp) == Fraction(v), data
