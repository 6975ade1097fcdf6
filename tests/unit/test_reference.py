"""Unit tests of theorycheck.solvers.reference (cvxpy) and theorycheck.problems.tv.

Known minimisers are built from a dual certificate (see ``_certified_instance``),
so every solver can be checked against an answer known by construction.
"""

from __future__ import annotations

import doctest
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

import theorycheck.problems.tv as tv_module
import theorycheck.solvers.reference as reference
from theorycheck.errors import InvalidArgument
from theorycheck.problems.operators import MatrixOperator, SubsampledFourier
from theorycheck.problems.programs import QCBP, Lasso, SRLasso
from theorycheck.problems.sparsifiers import Wavelet
from theorycheck.problems.tv import FiniteDifference, total_variation
from theorycheck.results import Rigor
from theorycheck.solvers.primal_dual import chambolle_pock
from theorycheck.solvers.reference import solve_reference


# -- instances with a minimiser known by construction -------------------------------------
def _certified_instance(kind: str, complex_: bool, seed: int, m: int = 25, N: int = 50, s: int = 3):
    """``(problem, y, x)`` with ``x`` the unique minimiser, by a strict dual certificate.

    Pick ``A``, weights ``w``, a support ``S`` and phases ``σ_S`` (signs for real
    data), ``x_S = σ_S·U(1, 2)``. Let ``u₀ = A_S(A_S^*A_S)^{-1}(w_S σ_S)``: then
    ``A_S^*u₀ = w_S σ_S`` and we require ``|A_j^*u₀| ≤ 0.8 w_j`` off ``S`` (strict
    dual feasibility; resample otherwise). With ``A_S`` injective the optimality
    conditions of docs/theory.md §1 then hold at ``x`` with strict inequality off
    ``S``, which makes ``x`` the unique minimiser:

    - U-LASSO, ``y = Ax + (λ/2)u₀``: ``2A^*(y − Ax) = λA^*u₀`` equals ``λ w_S σ_S``
      on ``S`` and has modulus ``< λw_j`` off it.
    - SR-LASSO, ``λ = 0.9/‖u₀‖``, ``v = λu₀ + n`` with ``n ⊥ range(A_S)`` and
      ``‖v‖ = 1``, ``y = Ax + t·v`` (``t > 0``): ``‖y − Ax‖ = t`` and
      ``A^*(y − Ax)/‖y − Ax‖ = A^*v`` equals ``λ w_S σ_S`` on ``S``; we also require
      ``|A_j^*v| ≤ 0.95 λw_j`` off ``S``. (``λ‖u₀‖ = 1``, ``n = 0`` would be
      degenerate: ``λ²q = 1`` and a whole segment of minimisers.)
    - QCBP, ``y = Ax + η u₀/‖u₀‖``: ``‖Ax − y‖ = η`` (active) and with the
      multiplier ``t = ‖u₀‖``, ``t·A^*(y − Ax)/‖y − Ax‖ = A^*u₀ ∈ ∂‖x‖_{1,w}``.
    """
    for trial in range(200):
        rng = np.random.default_rng([seed, trial])
        A = rng.standard_normal((m, N))
        if complex_:
            A = A + 1j * rng.standard_normal((m, N))
        A /= np.linalg.norm(A, axis=0)
        w = rng.uniform(0.8, 1.25, N)
        S = np.sort(rng.choice(N, s, replace=False))
        sig = np.exp(2j * np.pi * rng.uniform(size=s)) if complex_ else rng.choice([-1.0, 1.0], s)
        x = np.zeros(N, dtype=complex if complex_ else float)
        x[S] = sig * rng.uniform(1.0, 2.0, s)
        AS = A[:, S]
        u0 = AS @ np.linalg.solve(AS.conj().T @ AS, w[S] * sig)
        g = np.abs(A.conj().T @ u0)
        off = np.setdiff1d(np.arange(N), S)
        if np.max(g[off] / w[off]) > 0.8:
            continue
        assert np.allclose(A[:, S].conj().T @ u0, w[S] * sig)
        if kind == "lasso":
            lam = 0.5
            return Lasso(A, lam, weights=w), A @ x + (lam / 2) * u0, x
        if kind == "srlasso":
            lam = 0.9 / np.linalg.norm(u0)
            # v = λu₀ + n with n ⊥ range(A_S), ‖v‖ = 1 (λ‖u₀‖ = 1 exactly would be degenerate)
            n = rng.standard_normal(m) + (1j * rng.standard_normal(m) if complex_ else 0)
            n -= AS @ np.linalg.lstsq(AS, n, rcond=None)[0]
            n *= math.sqrt(1 - 0.81) / np.linalg.norm(n)
            v = lam * u0 + n
            if np.max(np.abs(A[:, off].conj().T @ v) / (lam * w[off])) > 0.95:
                continue
            return SRLasso(A, lam, weights=w), A @ x + 0.3 * v, x
        eta = 0.2
        return QCBP(A, eta, weights=w), A @ x + eta * u0 / np.linalg.norm(u0), x
    raise AssertionError("no certified instance found")  # pragma: no cover


KINDS = ["lasso", "srlasso", "qcbp"]


def _solve(which: str, P, y):
    if which == "reference":
        return solve_reference(P, y)
    return chambolle_pock(P, y, max_iter=60000, tol=1e-13, record_every=20)


@pytest.mark.parametrize("which", ["reference", "chambolle_pock"])
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("kind", KINDS)
def test_known_minimiser_is_recovered(kind, complex_, which):
    P, y, x = _certified_instance(kind, complex_, seed=11)
    sol = _solve(which, P, y)
    assert sol.status == "optimal"
    assert sol.rigor is Rigor.NUMERICAL
    err = float(np.max(np.abs(sol.x - x)))
    assert err < 1e-5, f"{which} {kind} complex={complex_}: error {err:.2e}"
    assert sol.gap < 1e-6 * max(1.0, abs(sol.objective))
    assert abs(sol.objective - P.objective(x, y)) < 1e-6 * max(1.0, abs(sol.objective))


@pytest.mark.parametrize("kind", KINDS)
def test_reference_polishing_gives_tiny_certificates_for_real_data(kind):
    P, y, x = _certified_instance(kind, False, seed=3)
    sol = solve_reference(P, y)
    assert sol.info["polished"]
    assert sol.residual < 1e-9 and sol.gap < 1e-9
    assert np.max(np.abs(sol.x - x)) < 1e-9
    assert set(np.flatnonzero(sol.x)) == set(np.flatnonzero(x))


def test_reference_solution_fields():
    P, y, _ = _certified_instance("lasso", False, seed=1)
    sol = solve_reference(P, y)
    assert sol.solver == "cvxpy-CLARABEL"
    assert sol.elapsed_s > 0 and sol.x.shape == (50,) and sol.x.dtype == np.float64
    assert sol.info["cvxpy_status"] == "optimal" and sol.info["form"] == "synthesis"
    assert sol.rigor is Rigor.NUMERICAL and sol.converged
    assert not sol.x.flags.writeable


def test_reference_inputs_are_not_mutated():
    P, y, _ = _certified_instance("srlasso", True, seed=2)
    y0 = y.copy()
    solve_reference(P, y)
    assert np.array_equal(y, y0)


# -- unitary W ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_unitary_wavelet_equals_dense_synthesis_problem(kind):
    rng = np.random.default_rng(5)
    m, N = 20, 32
    A = rng.standard_normal((m, N)) / math.sqrt(m)
    W = Wavelet(N, "db2", levels=2)
    w = rng.uniform(0.5, 1.5, N)
    y = rng.standard_normal(m)
    make = {"lasso": lambda B, W_: Lasso(B, 0.3, weights=w, W=W_),
            "srlasso": lambda B, W_: SRLasso(B, 0.3, weights=w, W=W_),
            "qcbp": lambda B, W_: QCBP(B, 0.3 * np.linalg.norm(y), weights=w, W=W_)}[kind]
    P = make(A, W)
    B = P.synthesis_operator.to_dense()
    Q = make(MatrixOperator(B), None)
    sol_w = solve_reference(P, y)
    sol_c = solve_reference(Q, y)
    z_from_c = W.adjoint(sol_c.x)
    assert np.max(np.abs(sol_w.x - z_from_c)) < 1e-7
    assert abs(sol_w.objective - sol_c.objective) < 1e-8 * max(1.0, sol_c.objective)
    assert sol_w.residual < 1e-8 and sol_w.gap < 1e-8


# -- QCBP feasibility --------------------------------------------------------------------------
def test_qcbp_below_the_distance_to_the_range_is_infeasible():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((30, 10))  # tall: y is generically outside range(A)
    y = rng.standard_normal(30)
    z_ls = np.linalg.lstsq(A, y, rcond=None)[0]
    dist = float(np.linalg.norm(A @ z_ls - y))
    sol = solve_reference(QCBP(A, 0.5 * dist), y)
    assert sol.status == "infeasible" and not sol.converged
    assert sol.info["distance_to_range"] == pytest.approx(dist, rel=1e-12)
    assert np.all(np.isnan(sol.x)) and sol.objective == math.inf
    assert np.allclose(sol.info["least_squares"], z_ls)
    assert sol.rigor is Rigor.NUMERICAL
    ok = solve_reference(QCBP(A, 1.2 * dist), y)
    assert ok.status == "optimal"
    assert np.linalg.norm(A @ ok.x - y) <= 1.2 * dist * (1 + 1e-9)


def test_qcbp_with_zero_feasible_returns_zero():
    P, y, _ = _certified_instance("qcbp", False, seed=4)
    big = QCBP(P.A, 2 * np.linalg.norm(y), weights=P.weights)
    sol = solve_reference(big, y)
    assert sol.status == "optimal" and np.max(np.abs(sol.x)) < 1e-9


# -- invalid input ----------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["nan", "inf", "shape", "complex"])
def test_invalid_data_is_rejected(bad):
    P, y, _ = _certified_instance("lasso", False, seed=1)
    y = y.copy()
    if bad == "nan":
        y[3] = np.nan
    elif bad == "inf":
        y[0] = np.inf
    elif bad == "shape":
        y = y[:-1]
    else:
        y = y + 1j
    with pytest.raises(InvalidArgument):
        solve_reference(P, y)


def test_not_a_program_is_rejected():
    with pytest.raises(InvalidArgument, match="QCBP, Lasso or SRLasso"):
        solve_reference(np.eye(3), np.ones(3))


def test_too_large_problems_point_to_the_primal_dual_solver():
    mask = np.zeros((150, 150), dtype=bool)
    mask[:3, :3] = True
    P = Lasso(SubsampledFourier(mask), 0.1)
    with pytest.raises(InvalidArgument, match="primal_dual"):
        solve_reference(P, np.ones(9, dtype=complex))


def test_bad_tv_option_is_rejected():
    P, y, _ = _certified_instance("lasso", False, seed=1)
    with pytest.raises(InvalidArgument, match="tv="):
        solve_reference(P, y, tv="fancy")
    with pytest.raises(InvalidArgument, match="FiniteDifference"):
        solve_reference(P, y, tv="isotropic")


def test_solver_failure_is_a_status_not_a_traceback():
    P, y, _ = _certified_instance("lasso", False, seed=1)
    sol = solve_reference(P, y, solver="NOT_A_SOLVER")
    assert sol.status == "error" and "NOT_A_SOLVER" in sol.info["error"]
    assert sol.solver == "cvxpy-NOT_A_SOLVER" and np.all(np.isnan(sol.x))
    assert sol.rigor is Rigor.NUMERICAL


def test_other_cvxpy_solvers_and_options_are_passed_through():
    P, y, x = _certified_instance("lasso", False, seed=1)
    sol = solve_reference(P, y, solver="SCS", eps=1e-9, max_iters=20000)
    assert sol.solver == "cvxpy-SCS" and sol.status in ("optimal", "optimal_inaccurate")
    assert np.max(np.abs(sol.x - x)) < 1e-5


def test_importing_the_solvers_stays_light():
    code = ("import sys, theorycheck.solvers.reference, theorycheck.solvers.primal_dual, "
            "theorycheck.problems.tv; print([m for m in ('cvxpy', 'torch') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- total variation (analysis form) --------------------------------------------------------
def _piecewise_constant(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.choice(np.arange(5, n - 5), 3, replace=False))
    return np.repeat(rng.uniform(-2, 2, 4), np.diff(np.concatenate([[0], cuts, [n]])))


def test_tv_recovers_piecewise_constant_signal_better_than_l1():
    n, m = 60, 24
    x = _piecewise_constant(n, seed=0)
    rng = np.random.default_rng(1)
    A = rng.standard_normal((m, n)) / math.sqrt(m)
    y = A @ x
    tv = solve_reference(QCBP(A, 1e-6, W=FiniteDifference(n)), y)
    l1 = solve_reference(QCBP(A, 1e-6), y)
    err_tv = np.linalg.norm(tv.x - x) / np.linalg.norm(x)
    err_l1 = np.linalg.norm(l1.x - x) / np.linalg.norm(x)
    assert tv.status == l1.status == "optimal"
    assert tv.info["form"] == "analysis" and math.isnan(tv.residual) and math.isnan(tv.gap)
    assert err_tv < 0.5 * err_l1, (err_tv, err_l1)
    # TV of the truth bounds TV of the answer (the truth is feasible)
    assert total_variation(tv.x) <= total_variation(x) * (1 + 1e-6)


def test_isotropic_tv_objective_matches_its_definition():
    rng = np.random.default_rng(2)
    shape = (6, 6)
    A = rng.standard_normal((20, 36)) / math.sqrt(20)
    x = np.zeros(shape)
    x[1:4, 2:5] = 1.0
    y = A @ x.reshape(-1) + 0.01 * rng.standard_normal(20)
    D = FiniteDifference(shape)
    Aop = _image_operator(A, shape)
    P = Lasso(Aop, 0.05, W=D)
    iso = solve_reference(P, y, tv="isotropic")
    ani = solve_reference(P, y)
    z = iso.x
    expected = 0.05 * total_variation(z, kind="isotropic") + np.linalg.norm(Aop.apply(z) - y) ** 2
    assert iso.objective == pytest.approx(expected, rel=1e-12)
    assert ani.objective == pytest.approx(P.objective(ani.x, y), rel=1e-12)
    # each answer is optimal for its own norm
    assert iso.objective <= 0.05 * total_variation(ani.x, kind="isotropic") + \
        np.linalg.norm(Aop.apply(ani.x) - y) ** 2 + 1e-7
    assert ani.objective <= P.objective(iso.x, y) + 1e-7


def _image_operator(A: np.ndarray, shape: tuple[int, int]):
    """A dense matrix acting on images of ``shape`` (flattened in C order)."""
    from theorycheck.problems.operators import LinearOperator

    class ImageMatrix(LinearOperator):
        def __init__(self):
            self.M = A
            self.in_shape = tuple(shape)
            self.out_shape = (A.shape[0],)
            self.dtype = np.dtype(np.float64)

        def _apply(self, x):
            flat = x.reshape(tuple(x.shape[: len(x.shape) - 2]) + (-1,))
            if torch.is_tensor(x):
                return flat @ torch.as_tensor(self.M, dtype=x.dtype, device=x.device).T
            return flat @ self.M.T

        def _adjoint(self, v):
            if torch.is_tensor(v):
                out = v @ torch.as_tensor(self.M, dtype=v.dtype, device=v.device)
            else:
                out = v @ self.M
            return out.reshape(tuple(v.shape[:-1]) + self.in_shape)

    return ImageMatrix()


# -- FiniteDifference -------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [7, (5,), (4, 6), (1, 5), (3, 1)])
def test_finite_difference_adjoint_and_norm(shape):
    D = FiniteDifference(shape)
    assert D.adjointness_error() < 1e-12
    M = D.to_dense()
    assert np.allclose(D.H.to_dense(), M.T)
    assert D.norm() <= D.norm_bound + 1e-12
    assert D.norm() == pytest.approx(np.linalg.norm(M, 2), abs=1e-12)
    assert D.unitary is False and D.out_shape == (len(D.in_shape), *D.in_shape)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, *D.in_shape)) + 1j * rng.standard_normal((3, *D.in_shape))
    q = rng.standard_normal((3, *D.out_shape)) + 1j * rng.standard_normal((3, *D.out_shape))
    lhs = np.vdot(q.reshape(-1), D.apply(x).reshape(-1))
    rhs = np.vdot(D.adjoint(q).reshape(-1), x.reshape(-1))
    assert abs(lhs - rhs) < 1e-12 * (np.linalg.norm(x) * np.linalg.norm(q))


def test_finite_difference_values_and_neumann_boundary():
    D = FiniteDifference((2, 3))
    img = np.array([[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]])
    g = D.apply(img)
    assert np.array_equal(g[0], [[2.0, 1.0, -1.0], [0.0, 0.0, 0.0]])  # vertical, last row 0
    assert np.array_equal(g[1], [[1.0, 2.0, 0.0], [0.0, 0.0, 0.0]])  # horizontal, last col 0
    assert np.array_equal(D.apply(np.ones((2, 3))), np.zeros((2, 2, 3)))
    assert np.allclose(D.adjoint(g).sum(), 0.0)  # range of −div is orthogonal to constants
    assert FiniteDifference(8).norm_bound == 2.0 and FiniteDifference((4, 4)).norm_bound == math.sqrt(8)


@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128])
def test_finite_difference_torch_matches_numpy_and_gradchecks(dtype):
    D = FiniteDifference((4, 5))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 5))
    if dtype == torch.complex128:
        x = x + 1j * rng.standard_normal((2, 4, 5))
    xt = torch.as_tensor(x).requires_grad_(True)
    assert np.allclose(D.apply(xt).detach().numpy(), D.apply(x))
    q = torch.as_tensor(rng.standard_normal((2, 2, 4, 5))).to(dtype).requires_grad_(True)
    assert np.allclose(D.adjoint(q).detach().numpy(), D.adjoint(q.detach().numpy()))
    assert torch.autograd.gradcheck(D.apply, (xt,))
    assert torch.autograd.gradcheck(D.adjoint, (q,))


def test_finite_difference_rejects_bad_shapes():
    with pytest.raises(InvalidArgument):
        FiniteDifference((2, 3, 4))
    with pytest.raises(InvalidArgument):
        FiniteDifference(0)
    with pytest.raises(InvalidArgument):
        FiniteDifference(4).apply(np.ones(5))


def test_total_variation_kinds_and_weights():
    img = np.array([[0.0, 1.0], [1.0, 1.0]])
    assert total_variation(img) == 2.0
    assert total_variation(img, kind="isotropic") == pytest.approx(math.sqrt(2))
    w = np.full((2, 2, 2), 3.0)
    assert total_variation(img, weights=w) == 6.0
    assert total_variation(img, kind="isotropic", weights=w) == pytest.approx(3 * math.sqrt(2))
    w[0, 0, 0] = 1.0
    with pytest.raises(InvalidArgument, match="one weight per pixel"):
        total_variation(img, kind="isotropic", weights=w)
    with pytest.raises(InvalidArgument):
        total_variation(img, kind="other")


def test_module_doctests_pass():
    for mod in (tv_module, reference):
        result = doctest.testmod(mod)
        assert result.attempted > 0 and result.failed == 0
