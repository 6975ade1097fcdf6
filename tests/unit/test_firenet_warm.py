"""FIRENET with the dual carried across restarts (``warm_dual=True``, docs/theory.md §6.4).

Checked against an independent numpy implementation of the scheme written
here from docs/theory.md §6.4 (dual start = the previous restart's final dual),
against the certified minimiser of a noiseless sparse instance, for positive
homogeneity, batching, and that ``warm_dual=False`` is unchanged.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from theorycheck.errors import InvalidArgument
from theorycheck.impossibility import certify_interpolating_srlasso
from theorycheck.nets.firenet import FIRENET


def _instance(seed=0, m=30, N=80, s=3, scale=1.0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N)) / np.sqrt(m)
    x0 = np.zeros(N)
    x0[rng.choice(N, size=s, replace=False)] = scale * rng.choice([-1.0, 1.0], size=s) * (1 + rng.random(s))
    y_exact = np.array([sum((Fraction(A[r, i]) * Fraction(x0[i]) for i in np.flatnonzero(x0)), Fraction(0))
                        for r in range(m)], dtype=object)
    return A, x0, y_exact


def _reference(A, y, lam, L, p, restarts, warm, tau, sigma):
    """docs/theory.md §6.4 in numpy, ε₀ = ‖y‖, δ = 0; ``warm``: ξ₀ of a restart = last ξ."""
    psi = np.zeros(A.shape[1])
    eps = float(np.linalg.norm(y))
    xi = np.zeros(A.shape[0])
    hist = []
    for _ in range(restarts):
        eps = eps / math.e
        alpha = 2 * L / (eps * p)
        b, x = alpha * y, alpha * psi
        if not warm:
            xi = np.zeros(A.shape[0])
        acc = np.zeros_like(x)
        for _ in range(p):
            v = x - tau * (A.T @ xi)
            xn = np.sign(v) * np.maximum(np.abs(v) - tau * lam, 0)
            w = xi + sigma * (A @ (2 * xn - x)) - sigma * b
            xi = w / max(1.0, np.linalg.norm(w))
            acc += xn
            x = xn
        psi = acc / (p * alpha)
        hist.append(psi.copy())
    return hist


@pytest.mark.parametrize("warm", [False, True])
def test_matches_independent_numpy_scheme(warm):
    A, x0, ye = _instance(1)
    y = np.array([float(v) for v in ye])
    net = FIRENET(A, 0.2, restarts=8, inner=25, warm_dual=warm, device="cpu")
    _, hist = net(torch.tensor(y), history=True)
    # FIRENET runs on y/s (s a power of two, exact) and multiplies back: same numbers up to rounding
    ref = _reference(A, y, 0.2, net.L_A, 25, 8, warm, net.tau, net.sigma)
    for h, r in zip(hist, ref):
        assert np.allclose(h.numpy(), r, rtol=1e-10, atol=1e-12 * np.linalg.norm(r))
    other = _reference(A, y, 0.2, net.L_A, 25, 8, not warm, net.tau, net.sigma)
    assert not np.allclose(hist[-1].numpy(), other[-1], rtol=1e-6)  # the option changes the scheme


def test_warm_dual_reaches_the_certified_minimiser_in_fewer_layers():
    A, x0, ye = _instance(5)
    lam = 0.2
    sol = certify_interpolating_srlasso(A, ye, x0, lam)  # x0 is the unique minimiser (proven)
    assert sol.rigor.value == "proven"
    y = np.array([float(v) for v in ye])
    nx = np.linalg.norm(x0)

    def first(warm):
        net = FIRENET(A, lam, restarts=30, warm_dual=warm, device="cpu")
        _, hist = net(torch.tensor(y), history=True)
        errs = [np.linalg.norm(h.numpy() - x0) / nx for h in hist]
        assert min(errs) < 1e-9
        return next(i + 1 for i, e in enumerate(errs) if e <= 1e-6) * net.inner

    cold, warm = first(False), first(True)
    assert warm < cold


def test_homogeneous_and_batched():
    A, _, ye = _instance(3)
    y = np.array([float(v) for v in ye])
    net = FIRENET(A, 0.2, restarts=6, inner=20, warm_dual=True, device="cpu")
    z = net(torch.tensor(y)).numpy()
    z8 = net(torch.tensor(256.0 * y)).numpy()
    assert np.array_equal(256.0 * z, z8)  # power-of-two scaling is exact
    Y = torch.tensor(np.stack([y, 3.0 * y, -y]))
    Z = net(Y).numpy()
    for k, c in enumerate((1.0, 3.0, -1.0)):
        assert np.allclose(Z[k], net(torch.tensor(c * y)).numpy(), rtol=1e-12, atol=1e-14)


def test_default_is_the_analysed_scheme():
    A, _, ye = _instance(4)
    y = torch.tensor([float(v) for v in ye])
    a = FIRENET(A, 0.2, restarts=5, inner=15, device="cpu")(y)
    b = FIRENET(A, 0.2, restarts=5, inner=15, warm_dual=False, device="cpu")(y)
    assert torch.equal(a, b) and "warm_dual=False" in repr(FIRENET(A, 0.2, restarts=1, inner=2, device="cpu"))
    with pytest.raises(InvalidArgument, match="warm_dual"):
        FIRENET(A, 0.2, warm_dual="yes", device="cpu")


@pytest.mark.parametrize("warm", [False, True])
def test_restarted_primal_dual_has_the_same_option(warm):
    """solvers.restarted_primal_dual(warm_dual=) runs the same scheme as FIRENET(warm_dual=) (numpy and
    torch backends against the independent reference), reaches the certified minimiser in fewer iterations
    when warm, and its duality gap no longer stalls at the restarts."""
    from theorycheck.problems.programs import SRLasso
    from theorycheck.solvers.primal_dual import restarted_primal_dual

    A, x0, ye = _instance(1)
    y = np.array([float(v) for v in ye])
    P = SRLasso(A, lam=0.2)
    sol = restarted_primal_dual(P, y, restarts=8, inner=25, tol=0, warm_dual=warm)
    assert sol.info["warm_dual"] is warm
    ref = _reference(A, y, 0.2, sol.info["L_A"], 25, 8, warm, sol.info["tau"], sol.info["sigma"])
    assert np.allclose(sol.x, ref[-1], rtol=1e-10, atol=1e-12 * np.linalg.norm(ref[-1]))
    solt = restarted_primal_dual(P, torch.tensor(y), restarts=8, inner=25, tol=0, warm_dual=warm, device="cpu")
    assert np.allclose(solt.x, sol.x, rtol=1e-10, atol=1e-12 * np.linalg.norm(sol.x))
    net = FIRENET(P, restarts=8, inner=25, warm_dual=warm, device="cpu")
    assert np.max(np.abs(net(torch.tensor(y)).numpy() - sol.x)) <= 1e-12 * np.max(np.abs(sol.x))


def test_restarted_primal_dual_warm_needs_fewer_iterations():
    from theorycheck.problems.programs import SRLasso
    from theorycheck.solvers.primal_dual import restarted_primal_dual

    A, x0, ye = _instance(5)
    y = np.array([float(v) for v in ye])
    nx = np.linalg.norm(x0)

    def first(warm):
        errs = []
        restarted_primal_dual(SRLasso(A, lam=0.2), y, restarts=30, tol=0, warm_dual=warm,
                              callback=lambda k, psi, m: errs.append(np.linalg.norm(np.asarray(psi) - x0) / nx))
        return next(i + 1 for i, e in enumerate(errs) if e <= 1e-6)

    assert first(True) < first(False)
    with pytest.raises(InvalidArgument, match="warm_dual"):
        restarted_primal_dual(SRLasso(A, lam=0.2), y, warm_dual="yes")
