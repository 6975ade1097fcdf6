"""Seeds 001/003 (docs/theory.md §5): how the random / fast gradient / DeepFool gaps depend on the number of pixels.

The seeds attack one ImageNet image (299 × 299 × 3 ≈ 2.7 · 10⁵ pixels) and
find ``‖r‖/‖x‖ = 1.47`` for random noise, ``0.34`` for the fast gradient and
``0.0052`` for DeepFool: fast gradient / DeepFool ≈ 65×, random / DeepFool ≈
283×. On the 64-pixel digits (``proofs_numeric/classifier_ratios.py``) the
fast gradient is only about 1.3× DeepFool. This script measures how the
ratios depend on the number of pixels ``d``, everything else fixed:

* a seeded synthetic image task at 8², 16², 32² and 64² pixels
  (:func:`theorycheck.classification.build_false_structure_data` without a
  false structure: a square or a plus, of a size proportional to the side,
  at a random position, intensity in [0.6, 1], Gaussian pixel noise of
  standard deviation 0.1; ``--task upsampled``: the 8 × 8 images upsampled,
  the same information at every side) and scikit-learn's 8 × 8 digits;
* the same small CNN (:class:`theorycheck.nets.classifiers.SmallCNN`: two 3 × 3
  convolutions, a max-pool, two linear layers) trained the same way at every
  size (seeded initialisation, Adam at learning rate 1e-3, batch 128, 5
  epochs, 600 training images; build_classifier's 5e-3 does not train the
  64² CNN);
* on held-out images, the median certified ``‖r‖/‖x‖`` of random noise,
  fast gradient sign, plain fast gradient and DeepFool
  (:func:`theorycheck.classification.robustness_report`; every flip counted is
  certified-float64; medians over the flipped samples).

The expectation. For a locally linear decision function with gradient
``g`` at ``x`` and margin ``m``, DeepFool needs ``m/‖g‖₂``, the plain
gradient direction the same, the sign direction ``√d · m/‖g‖₁`` (between 1
and ``√d`` times DeepFool's), a random direction (cosine about ``1/√d``
with ``g``) about ``√d`` times DeepFool's: random / DeepFool growing like
``√d``, about 520 at the seeds' size, the order of their 283×.

What is measured (seed 0; printed in full by every run). Full mode:
random / DeepFool 4.3, 4.0, 3.9, 4.2 at 8², 16², 32², 64² (digits 10.8);
fast gradient sign / DeepFool 1.11, 1.29, 1.34, 1.33; plain fast gradient /
DeepFool 0.88–0.99; test accuracy 0.81–0.86; DeepFool certified on every
image; the fast gradients flip 78–100 % (a line along the gradient can miss
the boundary), random noise 55–67 % (a ray from ``x`` may stay in its
class). Quick mode: random / DeepFool 4.0, 4.7, 3.5 at 8², 16², 32²
(``--task upsampled``: 4.0, 6.5, 6.1) — the gap does **not** grow like ``√d`` here, and the fast
gradients stay within 0.85–1.5× DeepFool at every size. In the table,
random noise's and DeepFool's ``‖r‖/‖x‖`` fall *together* with the side
(1.73 → 0.54 and 0.41 → 0.13 from 8² to 64²): the linear picture above,
in which only DeepFool's would fall, does not describe these models at the
scale of ``r``. Not the pixel noise of the training images: with noise 0.02 instead
of 0.1 (one quick run, not a mode of this script) random / DeepFool was
3.7, 4.8, 2.7 at 8², 16², 32². Possible reasons, not tested: a shallow
two-class CNN has few decision boundaries near each image, unlike an
ImageNet network (1000 classes, deep); and the random medians are over the
55–71 % of images a random ray flips at all (the easier ones). So the
seeds' 65× (fast gradient / DeepFool) and 283× (random / DeepFool) are not
a consequence of the pixel count alone for such models; they are not
reproduced here, and the script says so instead of claiming it.

The exit status requires what does hold at every size: random / DeepFool
≥ 2 (random noise is far from the nearest boundary) and DeepFool's certified
success ≥ 90 %. The growth with ``d`` is printed as measured.

Rigor: each flip is certified-float64; the medians (and the ratios between
them) are numerical measurements on these seeded models.

Usage::

    python proofs_numeric/classifier_dimension.py            # 8² to 64² and the digits, 64 attacked (~5 min)
    python proofs_numeric/classifier_dimension.py --quick    # 8² to 32² and the digits, 16 attacked (~30 s)
"""

from __future__ import annotations

import argparse
import os
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

#: the seeds' ImageNet numbers (one image, "otter"): median ‖r‖/‖x‖ per method
SEEDS = {"random": 1.47, "fast_gradient_sign": 0.34, "fast_gradient": 0.34, "deepfool": 0.0052}
METHODS = ("random", "fast_gradient_sign", "fast_gradient", "deepfool")
SIDES = (8, 16, 32, 64)
#: Adam's learning rate at every side (5e-3, build_classifier's, does not train the 64² CNN)
LR = 1e-3
#: pixel noise of the 8 × 8 design of the upsampled task
NOISE_8 = 0.1


def task(side: int, n: int, seed: int, kind: str = "native") -> dict:
    """The shape task at ``side × side`` pixels (``n`` images, a quarter held out), in build_classifier's layout.

    ``"native"``: square or plus drawn at ``side × side`` (size proportional
    to the side), pixel noise 0.1 at every pixel. ``"upsampled"``: the 8 × 8
    images (shapes and noise) upsampled bilinearly: the same information at
    every side, only the number of pixels grows.
    """
    import numpy as np
    from scipy.ndimage import zoom

    from theorycheck.classification import build_false_structure_data

    if kind == "native":
        return build_false_structure_data(n, false_structure=None, side=side, seed=seed).as_dict()
    base = build_false_structure_data(n, false_structure=None, side=8, noise=NOISE_8, n_classes=2,
                                      seed=seed).as_dict()
    for key in ("X_train", "X_test"):
        X8 = np.asarray(base[key]).reshape(-1, 8, 8)
        X = zoom(X8, (1, side / 8, side / 8), order=1) if side != 8 else X8
        base[key] = X.reshape(len(X8), 1, side, side)
    base["image_shape"] = (side, side)
    return base


def digits(seed: int) -> dict:
    from theorycheck.nets.classifiers import digits_data

    return digits_data(seed)


def measure(data: dict, n_attack: int, epochs: int, seed: int) -> dict:
    """Train the small CNN on ``data``, attack ``n_attack`` held-out images; medians and success rates."""
    import numpy as np
    import torch

    from theorycheck.classification import robustness_report
    from theorycheck.nets.classifiers import SmallCNN, train_classifier

    t0 = time.perf_counter()
    side = data["image_shape"][0]
    d = dict(data)
    for key in ("X_train", "X_test"):
        d[key] = np.asarray(d[key], dtype=np.float64).reshape(-1, 1, side, side)
    with torch.random.fork_rng(devices=[]):  # seeded initialisation, the global RNG left as it was
        torch.manual_seed(seed)
        model = SmallCNN(side, d["n_classes"])
    train_classifier(model, d["X_train"], d["y_train"], epochs=epochs, lr=LR, seed=seed)
    with torch.no_grad():
        pred = model(torch.as_tensor(d["X_test"], dtype=torch.float32)).argmax(1).numpy()
    d["test_accuracy"] = float(np.mean(pred == d["y_test"]))
    t_train = time.perf_counter() - t0
    rep = robustness_report(model, d["X_test"][:n_attack], methods=METHODS, labels=d["y_test"][:n_attack],
                            seed=seed, device="cpu")
    out = {m: rep.stats[m]["median"] for m in METHODS}
    out["success"] = min(rep.stats[m]["success_rate"] for m in METHODS if m != "random")
    out["random_success"] = rep.stats["random"]["success_rate"]
    out["df_success"] = rep.stats["deepfool"]["success_rate"]
    out["accuracy"] = d["test_accuracy"]
    out["time"] = time.perf_counter() - t0
    out["train_time"] = t_train
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="8² to 32² pixels, 16 attacked images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--task", choices=("native", "upsampled"), default="native",
                        help="shapes drawn at each side (default) or the 8 × 8 images upsampled")
    args = parser.parse_args(argv)
    n, epochs = 800, 5
    sides, n_attack = (SIDES[:3], 16) if args.quick else (SIDES, 64)

    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    print(f"small CNN, {epochs} epochs, {n} images per task ({n - n // 4} to train), seed {args.seed}; "
          f"median certified ‖r‖/‖x‖ on {n_attack} held-out images")
    head = (f"{'task':<14}{'pixels':>7}{'acc':>6}{'random':>9}{'FG sign':>9}{'FG':>9}{'DeepFool':>10}"
            f"{'rand/DF':>9}{'sign/DF':>9}{'FG/DF':>8}{'flipped':>9}{'random':>8}{'time':>7}")
    print(head)
    rows = []
    tasks = [(f"shapes {s}×{s}", s * s, lambda s=s: task(s, n, args.seed, args.task)) for s in sides]
    tasks.append(("digits 8×8", 64, lambda: digits(args.seed)))
    for name, d, make in tasks:
        r = measure(make(), n_attack, epochs, args.seed)
        r.update(name=name, d=d)
        rows.append(r)
        df = r["deepfool"]
        print(f"{name:<14}{d:>7}{r['accuracy']:>6.2f}{r['random']:>9.4f}{r['fast_gradient_sign']:>9.4f}"
              f"{r['fast_gradient']:>9.4f}{df:>10.5f}{r['random'] / df:>9.1f}{r['fast_gradient_sign'] / df:>9.2f}"
              f"{r['fast_gradient'] / df:>8.2f}{100 * r['success']:>8.0f}%{100 * r['random_success']:>7.0f}%"
              f"{r['time']:>6.0f}s", flush=True)
    s = SEEDS
    print(f"{'seeds: ImageNet':<14}{299 * 299 * 3:>7}{'':>6}{s['random']:>9.4f}{s['fast_gradient']:>9.4f}"
          f"{'':>9}{s['deepfool']:>10.5f}{s['random'] / s['deepfool']:>9.1f}"
          f"{s['fast_gradient'] / s['deepfool']:>9.1f}{'':>8}   (one image; their fast gradient's variant)")
    shapes = rows[:len(sides)]
    g_lo = shapes[0]["random"] / shapes[0]["deepfool"]
    g_hi = shapes[-1]["random"] / shapes[-1]["deepfool"]
    growth = g_hi / g_lo
    need = 0.5 * sides[-1] / sides[0]
    print(f"\nrandom / DeepFool grows {growth:.2f}× from {sides[0]}² to {sides[-1]}² pixels "
          f"(√d predicts {sides[-1] / sides[0]:.0f}×)")
    for key, label in (("fast_gradient_sign", "fast gradient sign"), ("fast_gradient", "fast gradient (plain)")):
        lo, hi = (shapes[i][key] / shapes[i]["deepfool"] for i in (0, -1))
        print(f"{label} / DeepFool: {lo:.2f} at {sides[0]}², {hi:.2f} at {sides[-1]}² "
              f"({hi / lo:.2f}×; measured, not required)")
    success = min(r["df_success"] for r in rows)
    gap = min(r["random"] / r["deepfool"] for r in rows)
    print(f"random / DeepFool at least {gap:.1f} at every size (required ≥ 2); DeepFool flipped at least "
          f"{100 * success:.0f} % (required ≥ 90 %)")
    print("the gap grows by the factor √d predicts: " + ("yes" if growth >= need else "NO (measured, not required: "
          "see the docstring)"))
    ok = gap >= 2.0 and success >= 0.9
    print(f"\n{time.perf_counter() - t0:.1f} s")
    print("required claims reproduced (random ≫ DeepFool at every size, DeepFool certified)" if ok else
          "FAIL: random / DeepFool < 2 at some size, or DeepFool flipped < 90 %")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
