"""Universal instability theorem (docs/theory.md §3; seeds 002, 004), reproduced numerically.

Setting: ``A`` a seeded Gaussian ``m × N`` matrix, ``x`` a piecewise-smooth
signal and ``x′ = x + z`` with ``z`` a spike detail moved almost into
``ker A`` (``‖Az‖ ≪ ‖z‖``). Three reconstruction maps:

1. an explicit continuous map that is *exactly* accurate on ``x`` and ``x′``
   (``Ψ(y) = A⁺y + P_ker x + t(y) P_ker z`` with ``t`` a clipped projection);
2. a small torch network ``Ψ(y) = A⁺y + MLP(y)`` trained on a set holding
   ``x`` and ``x′``;
3. the pseudo-inverse ``A⁺`` (stable, not accurate on the pair).

Claims checked (exit status 1 if one fails):

* maps 1 and 2: every hypothesis holds with its margin (certified-float64),
  the witnessed ratio ``‖Ψ(Ax) − Ψ(Ax′)‖/‖A(x − x′)‖`` is at least the
  theorem's bound ``(‖x − x′‖ − 2η)/ε`` for every tested ``ε ≥ η``, a ball
  ``B_y`` of positive radius was found (numerical), the false negative
  (``Ψ(Ax′ + e)`` within ``η`` of ``x``: the detail vanishes) and false positive
  (``Ψ(Ax + e′)`` within ``η`` of ``x′``) hold with ``‖e‖ ≤ η``;
* the certificate survives a JSON round trip, ``verify`` re-checks it (also
  re-evaluating ``Ψ``) and flags a tampered copy;
* random noise of norm ``2‖A(x − x′)‖`` triggers an error above ``‖x − x′‖/4``
  with positive (certified) probability for map 1 ("not rare");
* the worst-case search on map 2 finds a certified ratio ``> 1``;
* the pseudo-inverse: the theorem does not apply and its witnessed ratio is at
  most ``‖A⁺‖`` (its Lipschitz constant).

Usage: ``python proofs_numeric/universal_instability.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402

FAILURES: list[str] = []


def claim(ok: bool, text: str) -> None:
    print(f"  [{'ok' if ok else 'FAIL'}] {text}")
    if not ok:
        FAILURES.append(text)


def setting(N: int, m: int, seed: int = 0):
    from theorycheck.problems.data import piecewise_smooth_signal

    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N)) / np.sqrt(m)
    x = piecewise_smooth_signal(N, seed=seed)
    d = np.zeros(N)
    d[N // 3] = 1.0
    d[N // 3 + 1] = -0.5
    P = np.linalg.pinv(A)
    ker = d - P @ (A @ d)                     # the detail's component in ker A
    z = 2.0 * ker / np.linalg.norm(ker) + 1e-4 * (P @ (A @ d))  # a tiny range part: ‖Az‖ > 0
    return A, P, x, x + z


def explicit_map(A: np.ndarray, P: np.ndarray, x: np.ndarray, xp: np.ndarray):
    """Continuous, exactly accurate on x and x′: ``A⁺y + P_ker x + t(y)·P_ker(x′ − x)``."""
    Ax = A @ x
    delta = A @ (xp - x)
    kx = x - P @ Ax
    kz = (xp - x) - P @ delta

    def psi(y):
        t = np.clip(np.dot(y - Ax, delta) / np.dot(delta, delta), 0.0, 1.0)
        return P @ y + kx + t * kz

    return psi


def trained_map(A: np.ndarray, P: np.ndarray, x: np.ndarray, xp: np.ndarray, steps: int, seed: int = 0):
    """``A⁺y + MLP((y − c)/s)`` trained (Adam) on x, x′ and a few random signals.

    ``c`` and ``s`` standardise the inputs as usual (centre and scale of the
    pair's measurements); the MLP learns the kernel components.
    """
    import torch

    torch.manual_seed(seed)
    m, N = A.shape
    Ax, Axp = A @ x, A @ xp

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("P", torch.as_tensor(P, dtype=torch.float64))
            self.register_buffer("c", torch.as_tensor((Ax + Axp) / 2, dtype=torch.float64))
            self.s = float(np.linalg.norm(Axp - Ax))
            self.mlp = torch.nn.Sequential(torch.nn.Linear(m, 32), torch.nn.Tanh(),
                                           torch.nn.Linear(32, N)).double()

        def forward(self, y):
            return y @ self.P.T + self.mlp((y - self.c) / self.s)

    net = Net()
    rng = np.random.default_rng(seed)
    X = np.vstack([x, xp, x + 0.05 * rng.standard_normal((4, N))])
    Xt = torch.as_tensor(X)
    Yt = Xt @ torch.as_tensor(A.T)
    w = torch.tensor([10.0, 10.0] + [1.0] * (len(X) - 2), dtype=torch.float64)
    opt = torch.optim.Adam(net.mlp.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        loss = (w * ((net(Yt) - Xt) ** 2).sum(1)).mean()
        loss.backward()
        opt.step()
    return net.eval()


def check_map(name: str, psi, A, x, xp) -> object:
    from theorycheck.instability import check_instability

    t0 = time.perf_counter()
    cert = check_instability(psi, A, x, xp, ball_samples=16, seed=0)
    print(f"{name}: {cert.summary()}  ({time.perf_counter() - t0:.2f} s)")
    for k, (holds, margin) in cert.hypotheses.items():
        print(f"    {k}: holds={holds}, margin={margin:.4g}")
    return cert


def main(argv=None) -> int:
    from theorycheck.instability import check_random_noise, search_worst_perturbation, verify_instability
    from theorycheck.results import load, verify_result

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    N, m = (48, 24) if args.quick else (128, 64)
    steps = 400 if args.quick else 1500
    A, P, x, xp = setting(N, m)
    D, a = np.linalg.norm(x - xp), np.linalg.norm(A @ (x - xp))
    print(f"A: {m}x{N} Gaussian; ‖x − x′‖ = {D:.4g}, ‖A(x − x′)‖ = {a:.3g}")

    maps = {"explicit accurate map": explicit_map(A, P, x, xp),
            "trained A⁺ + MLP": trained_map(A, P, x, xp, steps)}
    certs = {}
    for name, psi in maps.items():
        cert = check_map(name, psi, A, x, xp)
        certs[name] = cert
        eta = cert.eta
        claim(cert.certified, f"{name}: certified instability (all hypotheses hold beyond rounding)")
        eps_grid = [eta * f for f in (1.0, 2.0, 10.0, 1e3)]
        claim(all(cert.witnessed_bound(e) >= cert.theorem_bound(e) for e in eps_grid),
              f"{name}: witnessed ratio {cert.lower_bound:.4g} ≥ theorem bound (‖x−x′‖−2η)/ε "
              f"for ε ∈ η·{{1, 2, 10, 1000}} (at ε = η: {cert.theorem_bound(eta):.4g})")
        claim(abs(cert.theorem_bound(eta) - (D - 2 * eta) / eta) <= 1e-9 * cert.theorem_bound(eta),
              f"{name}: theorem bound at ε = η equals (‖x − x′‖ − 2η)/η")
        claim(cert.ball_radius > 0, f"{name}: ball B_y of radius {cert.ball_radius:.3g} around Ax "
              f"({cert.values['ball_points_tested']} sampled points, {cert.values['ball_rigor']})")
        fn, fp = cert.false_negative, cert.false_positive
        claim(fn.noise_norm <= eta and fn.other_distance < eta and fn.error > D - eta,
              f"{name}: false negative: ‖e‖ = {fn.noise_norm:.3g} ≤ η, ‖Ψ(Ax′ + e) − x‖ = "
              f"{fn.other_distance:.3g} < η, error {fn.error:.4g} > ‖x − x′‖ − η")
        claim(fp.noise_norm <= eta and fp.other_distance < eta and fp.error > D - eta,
              f"{name}: false positive: ‖Ψ(Ax + e′) − x′‖ = {fp.other_distance:.3g} < η, "
              f"error {fp.error:.4g} > ‖x − x′‖ − η")

    # re-checkable certificates
    cert = certs["trained A⁺ + MLP"]
    loaded = load(cert.to_json())
    claim(loaded == cert and verify_result(loaded).holds, "JSON round trip, and verify re-checks it")
    claim(verify_instability(loaded, psi=maps["trained A⁺ + MLP"]).holds,
          "verify with the model re-evaluates Ψ twice in float64 and matches")
    bad = json.loads(cert.to_json())
    bad["fields"]["eta"] = cert.eta / 3
    claim(verify_result(load(json.dumps(bad))).violated, "a tampered certificate (η changed) is detected")

    # not rare
    noise = check_random_noise(maps["explicit accurate map"], A, x, noise_norm=2 * a,
                               trials=200 if args.quick else 1000, threshold=D / 4, seed=0)
    print(f"random noise: {noise.summary()}")
    claim(noise.holds and noise.interval[0] > 0,
          f"random noise of norm 2‖A(x − x′)‖: P(error > ‖x − x′‖/4) = {noise.probability:.3f} "
          f"∈ [{noise.interval[0]:.3f}, {noise.interval[1]:.3f}] (95%), worst draw certified")

    # worst-case search on the network
    w = search_worst_perturbation(maps["trained A⁺ + MLP"], A, x, domain="measurement", budget=2 * a,
                                  steps=100 if args.quick else 300, seed=0, progress=False, device="cpu")
    print(f"search: {w.summary()}")
    claim(w.holds and w.ratio > 1.0, f"worst-case search: certified L^ε ≥ {w.ratio:.4g} for ε ≥ {w.norm_Ar:.3g}")

    # the stable pseudo-inverse
    pc = check_map("pseudo-inverse A⁺", lambda y: P @ y, A, x, xp)
    normP = np.linalg.norm(P, 2)
    claim(not pc.holds and pc.lower_bound <= normP * (1 + 1e-12),
          f"A⁺: the theorem does not apply; witnessed ratio {pc.lower_bound:.4g} ≤ ‖A⁺‖ = {normP:.4g}")
    print(f"{len(FAILURES)} claim(s) failed" if FAILURES else "all claims hold")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
