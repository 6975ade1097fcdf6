"""Benchmark: forward + adjoint of :class:`theorycheck.problems.radon.Radon` vs scikit-image.

Instance: a 128 × 128 image (random ellipses), 180 equispaced angles in [0, π), 182 detector
bins (both libraries), float64 on the CPU, one thread.

* theorycheck: ``R.apply`` then ``R.adjoint`` (sparse CSR matrix and its transpose), on numpy
  (scipy.sparse) and on torch (sparse CSR tensors), batched (a stack of ``--batch`` images in
  one call) and single.
* baseline: ``skimage.transform.radon(image, theta, circle=False)`` then
  ``skimage.transform.iradon(sinogram, theta, filter_name=None, circle=False)`` (its
  unfiltered back-projection), one image at a time (scikit-image has no batch axis).

The times are medians of ``--reps`` interleaved repetitions (each repetition times every
method once, in turn). The matrix is built once, before timing (its build time is printed).

Also printed: the adjointness error ``|⟨Rx, y⟩ − ⟨x, Bᵀy⟩| / (‖x‖‖Bᵀy‖ + ‖Rx‖‖y‖)`` (worst of
three seeded random pairs) of theorycheck's pair (≤ 1e-12 required: exit 1 otherwise) and of
scikit-image's radon/iradon pair (not adjoint; its back-projection is rescaled by
``2·n_angles/π`` to undo iradon's FBP weight, so only the mismatch of the two discretisations
remains). A correctness check runs too (exit 1 on failure): scikit-image's sinogram of the
128 × 128 image equals theorycheck's ``Radon(129, detectors=183)`` applied to the image padded
by a zero row and column at the bottom and right (bins outside scikit-image's 182 are zero)
(scikit-image rotates even-sized images about pixel (64, 64), the centre
of that padded image; see docs/conventions.md).

Prints ``ratio (scikit-image / theorycheck, batched forward+adjoint): …x (goal >= 5x)``.

Usage::

    python benchmarks/bench_radon.py            # 128 × 128, 180 angles, batch 16, 5 reps
    python benchmarks/bench_radon.py --quick    # 64 × 64, 60 angles, batch 4, 3 reps
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402

GOAL = 5.0
ADJOINT_TOL = 1e-12


def _pair_error(forward, backward, in_shape, out_shape, trials: int = 3, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(trials):
        x = rng.standard_normal(in_shape)
        y = rng.standard_normal(out_shape)
        Rx, By = forward(x), backward(y)
        lhs, rhs = float(np.vdot(y.ravel(), Rx.ravel())), float(np.vdot(By.ravel(), x.ravel()))
        scale = np.linalg.norm(x) * np.linalg.norm(By) + np.linalg.norm(Rx) * np.linalg.norm(y)
        worst = max(worst, abs(lhs - rhs) / scale)
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small instance (CI)")
    parser.add_argument("--n", type=int, default=None, help="image size (default 128; quick 64)")
    parser.add_argument("--angles", type=int, default=None, help="number of angles (default 180; quick 60)")
    parser.add_argument("--batch", type=int, default=None, help="batch size (default 16; quick 4)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 5; quick 3)")
    args = parser.parse_args(argv)

    import torch
    from skimage.transform import iradon, radon

    from theorycheck.problems.data import random_ellipses
    from theorycheck.problems.radon import Radon, sparse_view_angles

    torch.set_num_threads(1)
    n = args.n or (64 if args.quick else 128)
    n_angles = args.angles or (60 if args.quick else 180)
    batch = args.batch or (4 if args.quick else 16)
    reps = args.reps or (3 if args.quick else 5)
    angles = sparse_view_angles(n_angles)
    theta = np.degrees(angles)

    t0 = time.perf_counter()
    R = Radon(n, angles)
    build = time.perf_counter() - t0
    P = math.ceil(math.sqrt(2) * n)  # scikit-image's detector count with circle=False
    print(f"image {n}×{n}, {n_angles} angles, detectors: theorycheck {R.detectors}, "
          f"scikit-image {P}; batch {batch}; {reps} interleaved reps; float64, 1 thread")
    print(f"theorycheck matrix: {R.nnz} nonzeros, built in {build:.2f} s (once)")

    X = random_ellipses(n, seed=0, batch=batch)
    Xt = torch.from_numpy(X)
    R.apply(Xt[:1])  # warm the torch caches (sparse tensors built once)
    R.adjoint(R.apply(Xt[:1]))

    def ours_numpy_batched():
        return R.adjoint(R.apply(X))

    def ours_torch_batched():
        return R.adjoint(R.apply(Xt))

    def ours_numpy_single():
        return R.adjoint(R.apply(X[0]))

    def ours_torch_single():
        return R.adjoint(R.apply(Xt[0]))

    def skimage_one(img):
        s = radon(img, theta=theta, circle=False)
        return iradon(s, theta=theta, filter_name=None, circle=False, output_size=n)

    def skimage_batched():
        return [skimage_one(img) for img in X]

    def skimage_single():
        return skimage_one(X[0])

    methods = {
        "theorycheck numpy, batched": ours_numpy_batched,
        "theorycheck torch, batched": ours_torch_batched,
        "scikit-image, batched (loop)": skimage_batched,
        "theorycheck numpy, single": ours_numpy_single,
        "theorycheck torch, single": ours_torch_single,
        "scikit-image, single": skimage_single,
    }
    times: dict[str, list[float]] = {k: [] for k in methods}
    for _ in range(reps):
        for name, fn in methods.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, t in med.items():
        per = t / (batch if "batched" in name else 1)
        print(f"  {name:32s} {t * 1e3:9.2f} ms   ({per * 1e3:7.2f} ms per image, forward+adjoint)")

    best_batched = min(med["theorycheck numpy, batched"], med["theorycheck torch, batched"])
    best_single = min(med["theorycheck numpy, single"], med["theorycheck torch, single"])
    ratio = med["scikit-image, batched (loop)"] / best_batched
    ratio_single = med["scikit-image, single"] / best_single

    # adjointness
    ours_err = R.adjointness_error(trials=3, seed=0)
    scale = 2.0 * n_angles / math.pi
    sk_err = _pair_error(lambda x: radon(x, theta=theta, circle=False),
                         lambda y: scale * iradon(y, theta=theta, filter_name=None, circle=False,
                                                  output_size=n),
                         (n, n), (P, n_angles))
    print(f"adjointness error: theorycheck {ours_err:.2e} (required <= {ADJOINT_TOL:g}); "
          f"scikit-image radon/iradon(filter_name=None)·2n_angles/π {sk_err:.2e} (not an adjoint pair)")

    # correctness: scikit-image's even-size geometry is ours on the padded odd image
    # (odd detector count d: bin k at s = k − (d − 1)/2; scikit-image's bin j at s = j − P//2)
    d_odd = max(P, math.isqrt(2 * (n + 1) ** 2 - 1) + 1)
    d_odd += 1 - d_odd % 2
    off = (d_odd - 1) // 2 - P // 2
    R_odd = Radon(n + 1, angles, detectors=d_odd)
    padded = np.zeros((n + 1, n + 1))
    padded[:n, :n] = X[0]
    sk_sino = radon(X[0], theta=theta, circle=False).T
    ours_sino = R_odd.apply(padded)
    mismatch = float(np.abs(ours_sino[:, off:off + P] - sk_sino).max() / np.abs(sk_sino).max())
    outside = np.delete(ours_sino, np.s_[off:off + P], axis=1)
    mismatch = max(mismatch, float(np.abs(outside).max(initial=0.0) / np.abs(sk_sino).max()))
    print(f"cross-check: scikit-image's sinogram vs Radon({n + 1}) on the padded image: "
          f"max relative difference {mismatch:.1e}")

    print(f"ratio (scikit-image / theorycheck, batched forward+adjoint): {ratio:.1f}x (goal >= {GOAL:g}x)")
    print(f"ratio (scikit-image / theorycheck, single image forward+adjoint): {ratio_single:.1f}x")
    ok = ours_err <= ADJOINT_TOL and mismatch <= 1e-10
    if not ok:
        print("FAILED: adjointness or cross-check out of tolerance")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
