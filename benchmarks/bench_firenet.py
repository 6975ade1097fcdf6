"""Benchmark: FIRENET layers vs plain Chambolle–Pock iterations to reach relative error 1e-6.

Instance (rNSP with high probability): Gaussian ``A ∈ R^{60×200}`` (entries
``N(0, 1/m)``), a 5-sparse ``x₀`` whose nonzero entries have magnitudes
uniform in ``[16, 255]`` (8-bit intensities) and random signs, noiseless
``y = Ax₀`` (exact rationals), SR-LASSO with ``λ = 0.2``. ``x₀`` is proven to be
the unique minimiser (``certify_interpolating_srlasso``), so the error
``‖x − x₀‖/‖x₀‖`` is the distance to the true minimiser.

* FIRENET: :class:`theorycheck.nets.firenet.FIRENET` with its defaults
  (``p = ⌈2√2 L_A/λ⌉`` layers per restart, ``ε₀ = ‖y‖``), error after every
  restart; cost = layers (one Chambolle–Pock step each) up to the first restart
  at ``≤ 1e-6``.
* baseline: plain Chambolle–Pock (``chambolle_pock``, ``τ = σ = 0.99/‖A‖``,
  ``x₀ = 0``), error every 10 iterations; cost = iterations to ``≤ 1e-6``.

Prints ``ratio (CP iterations / FIRENET layers …): …x (goal >= 10x)`` for the
8-bit instances and, for transparency, the same ratio with the magnitudes
scaled to ``[16, 255]/255`` ("unit", where plain CP, well balanced, is faster)
and to 12-bit ``[16, 255]·4095/255``: FIRENET's restarts rescale the problem,
so its layer count does not depend on the signal's scale, while plain CP's
grows linearly with it. Instances whose ``x₀`` the min-norm dual certificate
cannot certify are skipped (reported). Wall-clock times are printed too; nothing is
asserted except correctness (exit 1 if the certificate fails or a method never
reaches the tolerance).

Usage::

    python benchmarks/bench_firenet.py            # seeds 0..6
    python benchmarks/bench_firenet.py --quick    # seed 0
    python benchmarks/bench_firenet.py --inner 18 # FIRENET with 18 layers per restart

``--inner p`` overrides the default inner count, to measure how far the
restart schedule itself (``ε ← e^{-1}ε`` per restart, 13–14 restarts to
``1e-6``) limits the ratio: on seeds 0–6 the smallest ``p`` with which every
certified instance reaches ``1e-6`` is 18 (234–252 layers), still a median
ratio of about 9× at 8-bit magnitudes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from fractions import Fraction

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402

GOAL = 10.0
TOL = 1e-6


#: magnitude ranges of the nonzero entries: label -> factor applied to U[16, 255]
SCALES = {"8-bit": 1.0, "unit": 1.0 / 255.0, "12-bit": 4095.0 / 255.0}


def instance(seed: int, factor: float):
    rng = np.random.default_rng(seed)
    m, N, s = 60, 200, 5
    A = rng.standard_normal((m, N)) / np.sqrt(m)
    mags = rng.uniform(16.0, 255.0, size=s) * factor
    x0 = np.zeros(N)
    x0[rng.choice(N, size=s, replace=False)] = rng.choice([-1.0, 1.0], size=s) * mags
    y = np.array([sum((Fraction(A[r, i]) * Fraction(x0[i]) for i in np.flatnonzero(x0)), Fraction(0))
                  for r in range(m)], dtype=object)
    return A, x0, y


def measure(seed: int, factor: float, lam: float, inner: int | None = None):
    import torch

    from theorycheck.errors import SolverError
    from theorycheck.impossibility import certify_interpolating_srlasso
    from theorycheck.nets.firenet import FIRENET
    from theorycheck.problems.programs import SRLasso
    from theorycheck.solvers.primal_dual import chambolle_pock

    A, x0, y_exact = instance(seed, factor)
    try:
        certify_interpolating_srlasso(A, y_exact, x0, lam)
    except SolverError:
        return None  # x0 is not provably the minimiser (the min-norm dual certificate fails)
    y = np.array([float(v) for v in y_exact])
    P = SRLasso(A, lam=lam)
    nx = float(np.linalg.norm(x0))
    t0 = time.perf_counter()
    net = FIRENET(P, restarts=40, inner=inner, device="cpu")
    _, hist = net(torch.tensor(y), history=True)
    t_fire = time.perf_counter() - t0
    errs = [float(np.linalg.norm(h.numpy() - x0)) / nx for h in hist]
    k = next((i + 1 for i, e in enumerate(errs) if e <= TOL), None)
    fire_layers = None if k is None else k * net.inner
    first: list[int] = []

    def cb(it, z, _meas):
        if np.linalg.norm(z - x0) / nx <= TOL:
            first.append(it)
            raise StopIteration

    t0 = time.perf_counter()
    try:
        chambolle_pock(P, y, max_iter=500_000, tol=0, record_every=10, certify=False, callback=cb)
    except StopIteration:
        pass
    t_cp = time.perf_counter() - t0
    return fire_layers, (first[0] if first else None), net.inner, t_fire, t_cp


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="one seed")
    ap.add_argument("--lam", type=float, default=0.2)
    ap.add_argument("--inner", type=int, default=None, help="FIRENET layers per restart (default: FIRENET's)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    seeds = [0] if args.quick else [0, 1, 2, 3, 4, 5, 6]
    bad = False
    ratios: dict[str, list[float]] = {k: [] for k in SCALES}
    for label, factor in SCALES.items():
        for seed in seeds:
            out = measure(seed, factor, args.lam, args.inner)
            if out is None:
                print(f"{label}, seed {seed}: x0 not certified as the unique minimiser: skipped")
                continue
            fl, cl, p, tf, tc = out
            if fl is None or cl is None:
                print(f"{label}, seed {seed}: a method did not reach {TOL:g} (FIRENET {fl}, CP {cl})")
                bad = True
                continue
            ratios[label].append(cl / fl)
            print(f"{label} magnitudes, seed {seed}: FIRENET {fl} layers ({p}/restart, {tf:.2f} s) vs "
                  f"Chambolle-Pock {cl} iterations ({tc:.2f} s)")
    if not ratios["8-bit"]:
        print("ratio: unavailable (no certified instance)")
        return 1
    r = float(np.median(ratios["8-bit"]))
    print(f"ratio (CP iterations / FIRENET layers to {TOL:g}, 8-bit magnitudes, median over "
          f"{len(ratios['8-bit'])} instance(s)): {r:.1f}x (goal >= {GOAL:.0f}x)")
    for label in ("unit", "12-bit"):
        if ratios[label]:
            print(f"  same ratio with {label} magnitudes: {float(np.median(ratios[label])):.2f}x "
                  "(FIRENET's layer count does not depend on the scale, plain CP's grows with it)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
