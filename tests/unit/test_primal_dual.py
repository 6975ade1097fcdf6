"""Unit tests of theorycheck.solvers.primal_dual (Chambolle–Pock) and .restarted (the restarted scheme)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
import torch

import theorycheck.solvers.primal_dual as primal_dual
import theorycheck.solvers.restarted as restarted
from theorycheck.errors import InvalidArgument
from theorycheck.problems.operators import SubsampledFourier
from theorycheck.problems.programs import QCBP, Lasso, SRLasso
from theorycheck.problems.sparsifiers import Wavelet
from theorycheck.problems.tv import FiniteDifference
from theorycheck.results import Rigor
from theorycheck.solvers.primal_dual import chambolle_pock, restarted_primal_dual
from theorycheck.solvers.reference import solve_reference


def _random_instance(kind: str, complex_: bool, seed: int, m: int = 20, N: int = 48, W=None):
    """A random program (noisy 4-sparse data, random weights); parameters make ``x ≠ 0``."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N)) / math.sqrt(m)
    x = np.zeros(N)
    x[rng.choice(N, 4, replace=False)] = rng.uniform(1, 2, 4) * rng.choice([-1, 1], 4)
    if complex_:
        A = A + 1j * rng.standard_normal((m, N)) / math.sqrt(m)
        x = x * np.exp(2j * np.pi * rng.uniform(size=N))
    noise = rng.standard_normal(m) + (1j * rng.standard_normal(m) if complex_ else 0)
    y = A @ x + 0.05 * noise
    w = rng.uniform(0.7, 1.4, N)
    if kind == "lasso":
        return Lasso(A, 0.2, weights=w, W=W), y
    if kind == "srlasso":
        return SRLasso(A, 0.6, weights=w, W=W), y  # large enough that Ax ≠ y at the minimiser
    return QCBP(A, 0.1 * np.linalg.norm(y), weights=w, W=W), y


KINDS = ["lasso", "srlasso", "qcbp"]


# -- agreement with the reference solver ------------------------------------------------------
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("kind", KINDS)
def test_chambolle_pock_agrees_with_reference(kind, complex_):
    P, y = _random_instance(kind, complex_, seed=3)
    ref = solve_reference(P, y)
    cp = chambolle_pock(P, y, max_iter=50000, tol=1e-12)
    assert ref.status == cp.status == "optimal"
    # interior point (tolerance 1e-9) vs a first-order method run to a 1e-12 gap
    assert np.max(np.abs(cp.x - ref.x)) < 1e-5 * max(1.0, float(np.max(np.abs(ref.x))))
    assert cp.gap < 1e-8 * max(1.0, cp.objective) and ref.gap < 1e-7 * max(1.0, ref.objective)
    assert cp.residual < 1e-5
    assert abs(cp.objective - ref.objective) < 1e-7 * max(1.0, ref.objective)
    assert cp.rigor is ref.rigor is Rigor.NUMERICAL
    assert cp.solver == "chambolle_pock-numpy" and cp.info["measure"] == "relative_gap"
    hist = cp.info["history"]
    assert hist[-1][0] == cp.iterations and hist[-1][1] <= 1e-12
    assert all(k % 10 == 0 for k, _ in hist[:-1])


@pytest.mark.parametrize("kind", KINDS)
def test_unitary_wavelet_synthesis_form(kind):
    P, y = _random_instance(kind, False, seed=4, N=32, W=Wavelet(32, "db2", levels=2))
    ref = solve_reference(P, y)
    cp = chambolle_pock(P, y, max_iter=50000, tol=1e-12)
    assert cp.info["form"] == "synthesis"
    assert np.max(np.abs(cp.x - ref.x)) < 1e-5


def test_max_iterations_status_and_rigor():
    P, y = _random_instance("lasso", False, seed=1)
    sol = chambolle_pock(P, y, max_iter=5)
    assert sol.status == "max_iterations" and not sol.converged
    assert sol.iterations == 5 and sol.rigor is Rigor.NUMERICAL
    assert sol.info["history"] == [(5, sol.info["final_measure"])]


def test_callback_receives_the_signal_and_measure():
    P, y = _random_instance("srlasso", True, seed=2, W=None)
    seen = []
    chambolle_pock(P, y, max_iter=40, tol=0, record_every=10,
                   callback=lambda k, z, m: seen.append((k, z.shape, m)))
    assert [s[0] for s in seen] == [10, 20, 30, 40]
    assert all(s[1] == (48,) and s[2] > 0 for s in seen)


def test_inputs_are_not_mutated():
    P, y = _random_instance("lasso", True, seed=5)
    x0 = np.ones(48, dtype=complex)
    y0, x00 = y.copy(), x0.copy()
    chambolle_pock(P, y, x0=x0, max_iter=20)
    assert np.array_equal(y, y0) and np.array_equal(x0, x00)


def test_warm_start_from_the_answer_converges_faster():
    P, y = _random_instance("lasso", False, seed=6)
    sol = chambolle_pock(P, y, tol=1e-12, max_iter=50000)
    cold = chambolle_pock(P, y, tol=1e-8, record_every=1)
    warm = chambolle_pock(P, y, x0=sol.x, tol=1e-8, record_every=1)  # the dual still starts at 0
    assert warm.status == "optimal" and warm.iterations < cold.iterations


# -- invalid input ------------------------------------------------------------------------------
def test_invalid_inputs_are_rejected():
    P, y = _random_instance("lasso", False, seed=1)
    bad = y.copy()
    bad[0] = np.nan
    with pytest.raises(InvalidArgument):
        chambolle_pock(P, bad)
    with pytest.raises(InvalidArgument):
        chambolle_pock(P, y + 1j)
    with pytest.raises(InvalidArgument):
        chambolle_pock(P, torch.as_tensor(bad))
    with pytest.raises(InvalidArgument, match="tau·sigma"):
        chambolle_pock(P, y, tau=1.0, sigma=1.0)
    with pytest.raises(InvalidArgument, match="backend"):
        chambolle_pock(P, y, backend="jax")
    with pytest.raises(InvalidArgument, match="torch"):
        chambolle_pock(P, y, differentiable=True)
    with pytest.raises(InvalidArgument, match="max_iter"):
        chambolle_pock(P, y, max_iter=0)
    with pytest.raises(InvalidArgument):
        chambolle_pock(P, y, x0=np.ones(47))
    with pytest.raises(InvalidArgument):
        chambolle_pock("not a program", y)


# -- torch backend ---------------------------------------------------------------------------
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("kind", KINDS)
def test_torch_matches_numpy_and_batches(kind, complex_):
    P, y = _random_instance(kind, complex_, seed=7)
    Y = np.stack([y, 0.5 * y, -y])
    ref = [chambolle_pock(P, yy, max_iter=300, tol=0) for yy in Y]
    single = chambolle_pock(P, torch.as_tensor(y), max_iter=300, tol=0)
    assert single.solver == "chambolle_pock-torch" and isinstance(single.x, np.ndarray)
    assert np.max(np.abs(single.x - ref[0].x)) < 1e-6
    assert torch.is_tensor(single.info["x_torch"])
    batched = chambolle_pock(P, torch.as_tensor(Y), max_iter=300, tol=0)
    assert batched.x.shape == (3, 48)
    for i in range(3):
        assert np.max(np.abs(batched.x[i] - ref[i].x)) < 1e-6
    assert len(batched.info["gaps"]) == 3 and math.isnan(batched.objective)
    assert batched.gap == pytest.approx(max(batched.info["gaps"]))


def test_torch_stops_on_tolerance_and_float32_works():
    P, y = _random_instance("lasso", True, seed=8)
    sol = chambolle_pock(P, torch.as_tensor(y), tol=1e-10, max_iter=20000)
    ref = solve_reference(P, y)
    assert sol.status == "optimal" and np.max(np.abs(sol.x - ref.x)) < 1e-5
    f32 = chambolle_pock(P, torch.as_tensor(y), tol=1e-4, max_iter=5000, dtype=torch.float32)
    assert f32.info["x_torch"].dtype == torch.complex64
    assert np.max(np.abs(f32.x - ref.x)) < 1e-2


@pytest.mark.parametrize("kind", KINDS)
def test_differentiable_gives_gradients_wrt_y(kind):
    P, y = _random_instance(kind, True, seed=9)
    yt = torch.as_tensor(np.stack([y, 0.8 * y])).requires_grad_(True)
    sol = chambolle_pock(P, yt, max_iter=60, differentiable=True, certify=False)
    assert sol.iterations == 60  # no early stopping when differentiable
    z = sol.info["x_torch"]
    assert z.requires_grad and z.shape == (2, 48)
    (g,) = torch.autograd.grad(z.abs().pow(2).sum(), yt)
    assert g is not None and g.shape == yt.shape and bool(torch.isfinite(g).all())
    assert float(g.abs().max()) > 0


def test_unrolled_solver_gradient_matches_finite_differences():
    P, y = _random_instance("lasso", False, seed=10, m=8, N=12)
    yt = torch.as_tensor(y).requires_grad_(True)
    f = lambda v: chambolle_pock(P, v, max_iter=15, differentiable=True,  # noqa: E731
                                 certify=False).info["x_torch"]
    assert torch.autograd.gradcheck(f, (yt,), eps=1e-7, atol=1e-6)


# -- analysis form: total variation ----------------------------------------------------------
def _piecewise_constant(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.choice(np.arange(5, n - 5), 3, replace=False))
    return np.repeat(rng.uniform(-2, 2, 4), np.diff(np.concatenate([[0], cuts, [n]])))


@pytest.mark.parametrize("kind", KINDS)
def test_tv_analysis_form_agrees_with_reference(kind):
    n, m = 40, 20
    x = _piecewise_constant(n, seed=2)
    rng = np.random.default_rng(3)
    A = rng.standard_normal((m, n)) / math.sqrt(m)
    y = A @ x + 0.02 * rng.standard_normal(m)
    D = FiniteDifference(n)
    P = {"lasso": Lasso(A, 0.05, W=D), "srlasso": SRLasso(A, 0.05, W=D),
         "qcbp": QCBP(A, 0.05, W=D)}[kind]
    ref = solve_reference(P, y)
    cp = chambolle_pock(P, y, max_iter=60000, tol=1e-10)
    assert cp.info["form"] == "analysis" and cp.info["measure"] == "kkt_residual"
    assert math.isnan(cp.residual) and math.isnan(cp.gap)
    assert np.max(np.abs(cp.x - ref.x)) < 1e-4
    assert abs(cp.objective - ref.objective) < 1e-6 * max(1.0, ref.objective)


def test_tv_recovers_piecewise_constant_better_than_l1():
    n, m = 60, 24
    x = _piecewise_constant(n, seed=0)
    rng = np.random.default_rng(1)
    A = rng.standard_normal((m, n)) / math.sqrt(m)
    y = A @ x
    tv = chambolle_pock(SRLasso(A, 0.05, W=FiniteDifference(n)), y, max_iter=20000, tol=1e-8)
    l1 = chambolle_pock(SRLasso(A, 0.05), y, max_iter=20000, tol=1e-8)
    err_tv = np.linalg.norm(tv.x - x) / np.linalg.norm(x)
    err_l1 = np.linalg.norm(l1.x - x) / np.linalg.norm(x)
    assert err_tv < 0.5 * err_l1, (err_tv, err_l1)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_isotropic_tv_2d_agrees_with_reference(backend):
    shape = (8, 8)
    img = np.zeros(shape)
    img[2:6, 1:5] = 1.0
    img[5:7, 4:8] += 0.5
    mask = np.zeros(shape, dtype=bool)
    rng = np.random.default_rng(4)
    mask.flat[rng.choice(64, 30, replace=False)] = True
    mask[0, 0] = True
    A = SubsampledFourier(mask)
    m = A.shape[0]
    y = A.apply(img) + 0.01 * (rng.standard_normal(m) + 1j * rng.standard_normal(m))
    P = Lasso(A, 0.02, W=FiniteDifference(shape))
    ref = solve_reference(P, y, tv="isotropic")
    yy = torch.as_tensor(y) if backend == "torch" else y
    cp = chambolle_pock(P, yy, tv="isotropic", max_iter=60000, tol=1e-9)
    assert cp.status == "optimal"
    assert np.max(np.abs(cp.x - ref.x)) < 1e-4
    assert cp.objective == pytest.approx(ref.objective, rel=1e-6)
    ani = chambolle_pock(P, y, max_iter=60000, tol=1e-9)
    assert np.max(np.abs(ani.x - cp.x)) > 1e-3  # the two TV norms differ in 2D


def test_isotropic_option_needs_finite_differences():
    P, y = _random_instance("lasso", False, seed=1)
    with pytest.raises(InvalidArgument, match="FiniteDifference"):
        chambolle_pock(P, y, tv="isotropic")


# -- the restarted scheme (docs/theory.md §6.4) ------------------------------------------------------
def _rnsp_instance(seed: int = 1, scale: float = 1.0):
    """Gaussian 40×100 with a 4-sparse x and noise-free data: SR-LASSO's minimiser is x."""
    rng = np.random.default_rng(seed)
    m, N, s = 40, 100, 4
    A = rng.standard_normal((m, N)) / math.sqrt(m)
    x = np.zeros(N)
    x[rng.choice(N, s, replace=False)] = scale * rng.choice([-1, 1], s) * rng.uniform(1, 2, s)
    return SRLasso(A, 0.2), A @ x, x


def _first_below(errors: list[tuple[int, float]], level: float) -> int | None:
    return next((k for k, e in errors if e < level), None)


def test_restarted_scheme_converges_exponentially_and_beats_plain_cp(capsys):
    P, y, x = _rnsp_instance(scale=50.0)  # image-like magnitudes; the restarts are scale-free
    rel = lambda z: float(np.linalg.norm(z - x) / np.linalg.norm(x))  # noqa: E731
    errs: list[float] = []
    sol = restarted_primal_dual(P, y, restarts=25, tol=0.0,
                                callback=lambda k, z, m: errs.append(rel(z)))
    p = sol.info["inner"]
    assert len(errs) == 25 and sol.iterations == 25 * p
    # exponential decay: log-error is a line with negative slope (until float64 rounding)
    k = np.arange(1, 21)
    logs = np.log(np.array(errs[:20]))
    slope, icpt = np.polyfit(k, logs, 1)
    r2 = 1 - np.sum((logs - (slope * k + icpt)) ** 2) / np.sum((logs - logs.mean()) ** 2)
    assert slope < -0.5 and r2 > 0.95, (slope, r2)
    assert errs[4] / errs[14] >= 100
    assert errs[-1] < 1e-9
    # history: (total CP iterations, relative step) decaying like the error
    steps = [h[1] for h in sol.info["history"]]
    assert [h[0] for h in sol.info["history"]] == [p * j for j in range(1, 26)]
    assert steps[14] < 1e-3 * steps[4]
    # iterations to reach relative error 1e-6: restarted vs plain Chambolle–Pock
    r_it = p * (1 + next(i for i, e in enumerate(errs) if e < 1e-6))
    cp_errs: list[tuple[int, float]] = []
    chambolle_pock(P, y, max_iter=20000, tol=0.0, record_every=10,
                   callback=lambda it, z, m: cp_errs.append((it, rel(z))))
    cp_it = _first_below(cp_errs, 1e-6)
    assert cp_it is not None
    with capsys.disabled():
        print(f"\n[restarted vs plain CP] iterations to rel. error 1e-6: restarted {r_it} "
              f"(p = {p}), plain CP {cp_it}, ratio {cp_it / r_it:.1f}")
    assert r_it * 2 <= cp_it


def test_restarted_scheme_is_scale_invariant():
    P, y, x = _rnsp_instance(scale=1.0)
    a = restarted_primal_dual(P, y, restarts=12, tol=0.0)
    b = restarted_primal_dual(P, 1000.0 * y, restarts=12, tol=0.0)
    assert np.max(np.abs(b.x / 1000.0 - a.x)) < 1e-10 * np.max(np.abs(a.x))


def test_restarted_scheme_stops_on_tolerance_and_reports_certificates():
    P, y, x = _rnsp_instance()
    sol = restarted_primal_dual(P, y, restarts=60, tol=1e-10)
    assert sol.status == "optimal" and sol.info["restarts"] < 60
    assert np.max(np.abs(sol.x - x)) < 1e-8
    assert len(sol.info["restart_gaps"]) == sol.info["restarts"]
    assert sol.rigor is Rigor.NUMERICAL and sol.solver == "restarted_primal_dual-numpy"
    eps = sol.info["eps"]
    assert eps[1] == pytest.approx(eps[0] / math.e) and eps[0] == pytest.approx(np.linalg.norm(y) / math.e)
    short = restarted_primal_dual(P, y, restarts=2)
    assert short.status == "max_iterations"


def test_restarted_torch_matches_numpy_batched_and_differentiable():
    P, y, x = _rnsp_instance()
    Y = np.stack([y, 2.0 * y])
    a = restarted_primal_dual(P, y, restarts=6, tol=0.0)
    b = restarted_primal_dual(P, torch.as_tensor(Y), restarts=6, tol=0.0)
    assert b.x.shape == (2, 100)
    assert np.max(np.abs(b.x[0] - a.x)) < 1e-6 and np.max(np.abs(b.x[1] - 2 * a.x)) < 1e-6
    yt = torch.as_tensor(Y).requires_grad_(True)
    c = restarted_primal_dual(P, yt, restarts=3, differentiable=True, certify=False)
    (g,) = torch.autograd.grad(c.info["x_torch"].sum(), yt)
    assert bool(torch.isfinite(g).all()) and float(g.abs().max()) > 0


def test_restarted_scheme_with_complex_weighted_wavelet_problem():
    rng = np.random.default_rng(12)
    m, N = 24, 64
    A = (rng.standard_normal((m, N)) + 1j * rng.standard_normal((m, N))) / math.sqrt(2 * m)
    W = Wavelet(N, "haar", levels=3)
    c = np.zeros(N, dtype=complex)
    c[rng.choice(N, 3, replace=False)] = rng.uniform(1, 2, 3) * np.exp(1j * rng.uniform(0, 6, 3))
    y = A @ W.adjoint(c)
    P = SRLasso(A, 0.2, weights=rng.uniform(0.8, 1.2, N), W=W)
    ref = solve_reference(P, y)
    sol = restarted_primal_dual(P, y, restarts=40, tol=1e-12)
    assert np.max(np.abs(sol.x - ref.x)) < 1e-5


@pytest.mark.parametrize("make", [
    lambda A: Lasso(A, 0.1), lambda A: QCBP(A, 0.1), lambda A: SRLasso(A, 0.1, W=FiniteDifference(10)),
], ids=["lasso", "qcbp", "tv"])
def test_restarted_scheme_rejects_other_programs(make):
    A = np.random.default_rng(0).standard_normal((5, 10))
    with pytest.raises(InvalidArgument):
        restarted_primal_dual(make(A), np.ones(5))


def test_restarted_scheme_rejects_bad_steps():
    P, y, _ = _rnsp_instance()
    with pytest.raises(InvalidArgument, match="tau·sigma"):
        restarted_primal_dual(P, y, tau=1.0, sigma=1.0)
    with pytest.raises(InvalidArgument):
        restarted_primal_dual(P, y, L_A=0.0)


@pytest.mark.parametrize("module", [primal_dual, restarted])
def test_module_doctests_pass(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
