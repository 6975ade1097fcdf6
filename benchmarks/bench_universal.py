"""Benchmark: the batched universal-perturbation search vs a per-sample loop of the same algorithm.

Model: the seeded small CNN of :func:`theorycheck.nets.classifiers.build_classifier`
(``"cnn"``: two 3 × 3 convolutions, max-pool, two linear layers; 10 classes)
trained on scikit-learn's bundled 8 × 8 digits. Data: the first ``--n``
(1000) training images; ``ξ = 0.5 ×`` their mean ``‖x‖`` (``ℓ2``), target
fooling rate 80 %.

Timed, in this process (one thread), each the same call of
:func:`~theorycheck.classification.search_universal_perturbation` (same seed,
same passes over the data in the same order, DeepFool with 10 iterations):

* ``batched``: ``batch_size=64`` (the default) — 64 samples' DeepFool steps
  computed in one batched search at the current ``v``, then applied one after
  the other;
* ``loop``: ``batch_size=1`` — the original sequential algorithm, one sample
  (one forward pass to test it, one DeepFool search) at a time.

The number of passes the algorithm needs to reach 80 % depends on the order
of the samples as much as on anything else (the iteration is not monotone),
so each is run with ``--seeds`` seeds. Printed per run: the time until a pass
ends with the search's fooling rate at or above 80 % (reported by the
callback: the *time to reach 80 %*; "-" if not within ``--passes`` passes),
the passes that took, the time of one pass after the first (throughput), the
whole call (which adds the certification of every flip, each input alone:
the same work for both) and the certified fooling rate. Then
``ratio (loop / batched)`` of the median times to 80 % (a run that never
reaches it counts with its whole search time, a lower bound: the ratio is
then printed as "≥"; > 1: batched is faster; the goal is ≥ 5) and of the
median times per pass. Timings are reported, never asserted; the exit status
is non-zero only if no batched run reaches 80 %.

Measured (2-core shared CPU under load, one thread; DeepFool with separate
backward passes on the CPU): ``python benchmarks/bench_universal.py`` — seed
0: batched 80 % in 5.04 s (7 passes, 0.52 s per pass), loop 164.8 s (18.4 s
per pass): 32.7×; seed 1: batched 1.62 s (1 pass), loop not within 20 passes
(328.6 s): ≥ 203× (the run was stopped there: the loop needs minutes per
seed). ``--quick`` (300 images): ratio of median times to 80 % ≥ 4.02, per
pass 4.19 (on 300 images a pass has only 5 batches: the per-batch costs weigh
more).

Usage::

    python benchmarks/bench_universal.py            # 1000 images, 5 seeds (the loop: minutes per seed)
    python benchmarks/bench_universal.py --quick    # 300 images, 2 seeds (~30 s)
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
import torch  # noqa: E402


def timed(model, X, xi: float, batch_size: int, passes: int, seed: int) -> dict:
    from theorycheck.classification import search_universal_perturbation

    t0 = time.perf_counter()
    stamps: list[float] = []
    reached: dict = {}

    def cb(state: dict) -> None:
        stamps.append(time.perf_counter())
        if "t" not in reached and state["fooling_rate"] >= 0.8:
            reached.update(t=stamps[-1] - t0, passes=state["pass"])

    w = search_universal_perturbation(model, X, xi=xi, target_fooling=0.8, max_passes=passes, batch_size=batch_size,
                                      seed=seed, device="cpu", progress=False, callback=cb)
    per = float(np.median(np.diff(stamps))) if len(stamps) > 1 else float("nan")
    return {"to80": reached.get("t", float("inf")), "passes": reached.get("passes"), "per_pass": per,
            "search": stamps[-1] - t0 if stamps else float("nan"),
            "total": time.perf_counter() - t0, "rate": w.fooling_rate, "interval": w.interval}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 images, 2 seeds")
    parser.add_argument("--n", type=int, default=None, help="images (default 1000)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds of the sample order (default 5)")
    parser.add_argument("--passes", type=int, default=20)
    args = parser.parse_args(argv)
    n = args.n or (300 if args.quick else 1000)
    seeds = range(args.seeds or (2 if args.quick else 5))
    torch.set_num_threads(1)

    from theorycheck.nets.classifiers import build_classifier, digits_data

    model, data = build_classifier("cnn", digits_data(0), seed=0)
    X = data["X_train"][:n]
    xi = 0.5 * float(np.mean(np.linalg.norm(X.reshape(len(X), -1), axis=1)))
    print(f"small CNN on the digits (test accuracy {data['test_accuracy']:.3f}); {len(X)} images, "
          f"xi = {xi:.4f} (l2), target 80 %, at most {args.passes} passes")
    res: dict = {"batched": [], "loop": []}
    for seed in seeds:
        for name, bs in (("batched", 64), ("loop", 1)):
            r = timed(model, X, xi, bs, args.passes, seed)
            res[name].append(r)
            lo, hi = r["interval"]
            to80 = f"{r['to80']:6.2f} s after {r['passes']:>2} pass(es)" if np.isfinite(r["to80"]) else \
                f"{'-':>6}   (not within {args.passes})"
            print(f"seed {seed} {name:<8} (batch_size={bs:>2}): 80 % {to80}; {r['per_pass']:.3f} s per pass; "
                  f"whole call {r['total']:.2f} s; certified {r['rate']:.1%} [{lo:.3f}, {hi:.3f}]")
    # a run that never reaches 80 % took at least its whole search: a lower bound on its time to 80 %
    low = {k: [r["to80"] if np.isfinite(r["to80"]) else r["search"] for r in v] for k, v in res.items()}
    bound = {k: any(not np.isfinite(r["to80"]) for r in v) for k, v in res.items()}
    med = {k: float(np.median(v)) for k, v in low.items()}
    per = {k: float(np.nanmedian([r["per_pass"] for r in v])) for k, v in res.items()}
    for k in res:
        hit = sum(np.isfinite(r["to80"]) for r in res[k])
        print(f"{k:<8}: reached 80 % in {hit} of {len(res[k])} run(s); median time to 80 % "
              f"{'>= ' if bound[k] else ''}{med[k]:.2f} s")
    sign = ">= " if bound["loop"] and not bound["batched"] else ("~ " if bound["batched"] else "")
    print(f"ratio (loop / batched), median time to 80 %: {sign}{med['loop'] / med['batched']:.2f}   (goal >= 5)")
    print(f"ratio (loop / batched), median time per pass: {per['loop'] / per['batched']:.2f}")
    return 0 if any(np.isfinite(r["to80"]) for r in res["batched"]) else 1


if __name__ == "__main__":
    sys.exit(main())
