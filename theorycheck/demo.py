"""``theorycheck demo``: the main job on shipped data, with a short report.

Until the instability certificate lands, the demo shows the foundation at
work on a phantom: a subsampled Fourier operator with an orthonormal wavelet
sparsifier, its adjointness check, and a first saved result that
``theorycheck verify`` re-checks.

Theorem: none yet (see the README's table for what is implemented).
Rigor: each printed result states its own.
"""

from __future__ import annotations

import os
import time

import numpy as np

__all__ = ["run_demo"]


def run_demo(outdir: str = "theorycheck-demo", *, quick: bool = False, progress: bool = True) -> int:
    """Run the demo; write results under ``outdir``; return an exit status.

    Theorem: none (demonstration).
    Rigor: as printed per result.
    """
    from theorycheck.problems.data import shepp_logan
    from theorycheck.problems.masks import variable_density_mask
    from theorycheck.problems.operators import SubsampledFourier, compose
    from theorycheck.problems.sparsifiers import Wavelet
    from theorycheck.results import CheckResult, Outcome, Rigor, Witness

    t0 = time.perf_counter()
    n = 32 if quick else 128
    x = shepp_logan(n)
    mask = variable_density_mask((n, n), 0.25, seed=0)
    A = SubsampledFourier(mask)
    W = Wavelet((n, n), wavelet="db4")
    B = compose(A, W.H)
    err = max(A.adjointness_error(seed=1), B.adjointness_error(seed=1))
    y = A.apply(x)
    zero_filled = np.real(A.adjoint(y))
    rel = float(np.linalg.norm(zero_filled - x) / np.linalg.norm(x))
    print(f"theorycheck demo: {n}x{n} Shepp-Logan phantom, {int(mask.sum())} of {n * n} "
          f"Fourier samples ({mask.mean():.0%}), db4 wavelets")
    print(f"  adjointness error of A and A W^*: {err:.1e}")
    print(f"  zero-filled reconstruction A^*y: relative error {rel:.3f}")
    result = CheckResult(
        "adjointness", Outcome.HOLDS if err < 1e-12 else Outcome.VIOLATED, Rigor.NUMERICAL,
        f"|<Ax,y> - <x,A*y>| relative error {err:.1e} (tolerance 1e-12)",
        values={"error": err, "tolerance": 1e-12}, theorem="exact adjoint",
    )
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "adjointness.json")
    result.to_json(path)
    print(f"  {result.summary()}")
    print(f"  wrote {path}  ({time.perf_counter() - t0:.1f} s)")
    print("The instability certificate (the main job) is not implemented yet: see the README's table.")
    return 0 if result.holds else 1
