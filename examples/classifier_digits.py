"""Fool a small digits classifier with tiny perturbations (docs/theory.md §5, seeds 001/003).

1. Train a seeded MLP (or ``--arch cnn``: a small CNN) on scikit-learn's
   bundled 8 × 8 digits — no download, about a second on a CPU.
2. Attack held-out digits with random noise, the fast gradient and DeepFool
   (:func:`theorycheck.classification.robustness_report`); every flip is
   re-evaluated twice in float64 and in the model's own dtype before it counts. Print the table of
   ``‖r‖/‖x‖`` and save a figure of ``x``, ``r`` and ``x + r``.
3. Show one certified DeepFool witness in detail and re-check it.
4. The linear-model fact behind it (Goodfellow et al.): a logistic regression's
   score ``w·x + b`` moves by exactly ``ε‖w‖₁ = ε d ⟨|w|⟩`` under
   ``‖Δx‖_∞ ≤ ε`` (:func:`~theorycheck.classification.check_linear_sensitivity`,
   proven in exact arithmetic).

Usage::

    python examples/classifier_digits.py              # 200 test digits, MLP
    python examples/classifier_digits.py --arch cnn
    python examples/classifier_digits.py --quick      # 40 test digits
"""

from __future__ import annotations

import argparse
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 test digits")
    parser.add_argument("--arch", choices=("mlp", "cnn"), default="mlp")
    parser.add_argument("--n", type=int, default=None, help="test digits attacked (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--figure", default=None,
                        help="save a figure of x, r and x + r to this PNG (default: no figure)")
    args = parser.parse_args(argv)
    n = args.n or (40 if args.quick else 200)

    from theorycheck.classification import (
        build_digits_classifier,
        check_linear_sensitivity,
        robustness_report,
        search_minimal_perturbation,
    )

    # 1. a seeded classifier
    model, data = build_digits_classifier(args.arch, seed=args.seed)
    print(f"{args.arch} trained on the digits: test accuracy {data['test_accuracy']:.3f}")

    # 2. the seeds' three searches on held-out digits
    X, y = data["X_test"][:n], data["y_test"][:n]
    rep = robustness_report(model, X, labels=y, seed=args.seed, device="cpu", figure=args.figure,
                            image_shape=(8, 8))
    print(rep.table())
    print(rep.summary())
    if rep.figure:
        print(f"figure: {rep.figure}")

    # 3. one witness, in detail
    w = search_minimal_perturbation(model, X[0], method="deepfool", device="cpu")
    print(f"\nDeepFool on one digit: label {w.label} -> {w.new_label}, ‖r‖/‖x‖ = {w.ratio:.4f}, "
          f"{w.iterations} iteration(s), max |r_i| = {np.abs(w.r).max():.3f} (pixels in [0, 1]), "
          f"status {w.status}, rigor {w.rigor}")
    again = w.recheck(model)
    print(f"re-checked in float64 and in the model's own dtype: flips = {again}")

    # 4. the linear picture: logistic regression, 0 vs 1
    from sklearn.linear_model import LogisticRegression

    d2 = data["X_train"].reshape(len(data["y_train"]), -1)
    mask = data["y_train"] <= 1
    clf = LogisticRegression(max_iter=2000).fit(d2[mask], data["y_train"][mask])
    wvec, b = clf.coef_[0], float(clf.intercept_[0])
    x0 = d2[mask][0]
    res = check_linear_sensitivity(wvec, x0, 0.1, b=b)
    print(f"\nlogistic regression (0 vs 1): {res.summary()}")
    print(f"  ε = 0.1: change ε‖w‖₁ = {res['change']:.3f} = ε·d·⟨|w|⟩ with d = {res['d']}, "
          f"⟨|w|⟩ = {res['mean_abs_w']:.3f}; score {res['score']:.3f}; smallest flipping ε = "
          f"{res['eps_to_flip']:.3f}")

    ok = (rep.stats["deepfool"]["success_rate"] >= 0.9 and bool(w.success) and bool(again)
          and res.holds)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
