"""Robustness curves and a targeted hallucination on the demo U-Net (docs/theory.md §3–4).

What practitioners measure (Genzel–Macdonald–März's study design): the reconstruction error as a
function of the relative noise level ``‖e‖/‖Ax‖`` (0–8 %), worst case over the noise
(adversarial, :func:`theorycheck.stability_curve` with ``kind="adversarial"``) and, for
contrast, Gaussian noise of the same norm — mean ± std over ellipse test images under the
demo's subsampled Fourier sampling, for

* the shipped demo U-Net (:func:`theorycheck.nets.pretrained.load_demo_unet`),
* the ℓ1-wavelet SR-LASSO baseline (unrolled Chambolle–Pock, ``baseline="l1-wavelet"``),
* FIRENET (the unrolled restarted primal–dual network for the same program).

Claims checked (exit status 1 when one fails):

1. every adversarial point is certified-float64 (Ψ re-evaluated twice in float64 with its
   rounding noise), and the saved curve re-verifies from its JSON;
2. at the largest level the adversarial error of each method is at least its Gaussian error
   (worst case ≥ typical case, as it must be for a search that starts near random noise);
3. a targeted hallucination on the demo U-Net plants a detail (a small disc) with certified
   positive strength, using a measurement perturbation of a few per cent of ``‖Ax‖``.

Note printed with the output: the slope of the adversarial curve at 0 is bounded below by the
certified ratio of :func:`~theorycheck.search_worst_perturbation` — for ``‖e‖ ≤ δ‖Ax‖``,
``sup‖Ψ(Ax + e) − x‖ ≥ sup‖Ψ(Ax + e) − Ψ(Ax)‖ − ‖Ψ(Ax) − x‖`` and the middle term is at least
``L^ε·‖e‖`` for the witnessed local Lipschitz lower bound ``L^ε`` (docs/theory.md §3), so the
curve rises at least like ``δ‖Ax‖L^ε/‖x‖`` minus the error at 0.

Usage: ``python proofs_numeric/robustness_curves.py [--quick] [--out DIR]`` (figures and tables
are written only to ``--out``; without it nothing is written).
Runtime: quick about a minute on 2 CPU cores; full several minutes.

Theorem: stability test (docs/theory.md §4); false positives (docs/theory.md §3 (b)).
Rigor: certified-float64 adversarial points and hallucination; numerical Gaussian means.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 images, 4 levels, fewer steps")
    parser.add_argument("--out", default=None, help="folder for the figures, tables and JSON (default: none)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from theorycheck.instability.curves import stability_curve
    from theorycheck.instability.hallucination import search_hallucination
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.nets.firenet import FIRENET
    from theorycheck.nets.pretrained import load_demo_unet
    from theorycheck.problems.data import detail_image
    from theorycheck.problems.programs import SRLasso
    from theorycheck.problems.sparsifiers import Wavelet
    from theorycheck.results import load, verify_result

    net, s = load_demo_unet()
    A = s.A
    B = 3 if args.quick else 8
    X = np.asarray(s.test_images[:B], dtype=np.float64)
    levels = (0.0, 0.01, 0.03, 0.08) if args.quick else (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08)
    fire = FIRENET(SRLasso(A, 0.01, W=Wavelet((s.n, s.n), "haar")), restarts=2 if args.quick else 6,
                   inner=10 if args.quick else 25, device="cpu")
    unet = as_reconstruction_map(net, input="adjoint", eval_mode=True)
    methods = {"demo U-Net": unet, "FIRENET": as_reconstruction_map(fire, complex_as_channels=False)}
    common = dict(noise_levels=levels, metrics=("rel_l2", "psnr", "ssim"), baseline="l1-wavelet",
                  baseline_iterations=30 if args.quick else 150, seed=args.seed, progress=False)
    adv = stability_curve(methods, A, X, kind="adversarial", restarts=1 if args.quick else 4,
                          steps=8 if args.quick else 60, **common)
    gau = stability_curve(methods, A, X, kind="gaussian", restarts=2 if args.quick else 8, **common)
    failures = []
    for c in (adv, gau):
        print(c.summary())
        print(c.to_markdown())
    if not (adv.holds and adv.rigor.value == "certified-float64"):
        failures.append(f"claim 1: the adversarial curve is not certified: {adv.message}")
    # the saved curve re-checks with both networks re-run in float64 (not only from the stored outputs)
    ver = verify_result(load(adv.to_json()), model={"demo U-Net": net, "FIRENET": fire})
    print(f"re-check with the networks re-run: {ver.outcome.value} [{ver.rigor.value}]")
    if not ver.holds:
        failures.append(f"claim 1: the saved curve does not re-verify: {ver.message}")
    for m in adv.methods:
        a, g = adv.mean[m]["rel_l2"][-1], gau.mean[m]["rel_l2"][-1]
        print(f"{m}: at {100 * levels[-1]:g} % adversarial {a:.4g} vs Gaussian {g:.4g} (ratio {a / g:.3g})")
        if not a >= g * (1 - 1e-9):
            failures.append(f"claim 2: {m}: adversarial error {a:.4g} below the Gaussian {g:.4g}")

    # a targeted hallucination: a small disc planted by the U-Net
    x = X[0]
    disc = detail_image(s.n, "disc", amplitude=0.5, seed=args.seed)
    budget = 0.03 * float(np.linalg.norm(A.apply(x)))
    h = search_hallucination(unet, A, x, disc, budget=budget, steps=30 if args.quick else 300, seed=args.seed,
                             progress=False)
    print(h.summary())
    if not (h.holds and h.strength > 0):
        failures.append(f"claim 3: no certified hallucination: {h.message}")

    print("\nNote: for ‖e‖ ≤ δ‖Ax‖ the worst-case error is at least L^ε·δ‖Ax‖ − ‖Ψ(Ax) − x‖ for the certified "
          "local Lipschitz lower bound L^ε of search_worst_perturbation (docs/theory.md §3): the slope of the "
          "adversarial curve at 0 is bounded below by the certified ratio (times ‖Ax‖/‖x‖).")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        adv.plot(os.path.join(args.out, "adversarial.png"))
        gau.plot(os.path.join(args.out, "gaussian.png"))
        h.figure(os.path.join(args.out, "hallucination.png"))
        with open(os.path.join(args.out, "curves.md"), "w", encoding="utf-8") as fh:
            fh.write(adv.to_markdown() + "\n\n" + gau.to_markdown())
        adv.to_json(os.path.join(args.out, "adversarial.json"))
        print(f"figures, tables and JSON written to {args.out}")
    for f in failures:
        print("FAILED:", f)
    print("all claims reproduced" if not failures else f"{len(failures)} claim(s) failed")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
