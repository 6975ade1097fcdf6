"""Benchmark: rigorous enclosure of a U-Net's exact output vs one float64 forward of the same model.

Models: the shipped demo U-Net (``load_demo_unet``, 32 × 32, width 16, depth 2) and a
seeded U-Net of the same architecture at 128 × 128; input batch 8 (``--batch``), CPU,
``torch.set_num_threads(1)`` unless ``--threads``.

Timed, each in this process (median over ``--repeats`` interleaved runs, after a warm-up):

* ``float64``: one forward of a float64 copy of the model under ``torch.no_grad()``;
* ``tight``: :class:`theorycheck.nets.enclosure.Encloser` (prepared once) in its default
  mode — double-double centres with error-free (Ozaki) splits of every convolution,
  float32 upper bounds for the radius convolutions;
* ``fast``: the same with ``tight=False`` (float64 centres, Higham's bound ``γₙ``).

Printed: median times, ``ratio (tight / float64)`` and ``ratio (fast / float64)`` per model
(the issue's goal: ≤ 4; the ratio of the fastest runs too: on a shared machine the float64
forward itself varies by 2–3× between runs, mostly with the allocator's page faults for
torch's im2col buffers), and the relative enclosure width ``max radius / max |centre|``
on the demo U-Net (goal ≤ 1e-10). Timings are reported, never asserted; the exit
status is non-zero only if the two enclosures of the same exact output fail to
intersect somewhere (a correctness failure: both must contain the exact value).

Usage::

    python benchmarks/bench_enclosure.py            # batch 8, 5 interleaved repeats
    python benchmarks/bench_enclosure.py --quick    # batch 2, 64 × 64 instead of 128, 1 repeat
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import torch  # noqa: E402


def _intersect(a, b) -> bool:
    """Whether the enclosures ``a`` and ``b`` overlap in every entry (decided with outward rounding)."""
    lo = torch.maximum(a.lower(), b.lower())
    hi = torch.minimum(a.upper(), b.upper())
    return bool((lo <= hi).all())


def _time(f, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        out.append(time.perf_counter() - t0)
    return out


def run_model(name: str, model: torch.nn.Module, x: torch.Tensor, repeats: int) -> tuple[dict, dict, int]:
    from theorycheck.nets.enclosure import Encloser

    tight = Encloser(model)
    fast = Encloser(model, tight=False)
    m64 = fast.work  # the float64 copy (its module hooks only record names)
    with torch.no_grad():
        ref = m64(x)
    enc_t, enc_f = tight(x), fast(x)  # warm-up (first calls: caches, allocator)
    status = 0
    if not _intersect(enc_t, enc_f):
        print(f"FAIL ({name}): the tight and the fast enclosures do not intersect")
        status = 1
    runs = {"float64": lambda: m64(x), "tight": lambda: tight(x), "fast": lambda: fast(x)}
    times: dict[str, list[float]] = {k: [] for k in runs}
    with torch.no_grad():
        for _ in range(repeats):
            for key, f in runs.items():
                times[key] += _time(f, 1)
    med = {k: statistics.median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    widths = {"tight": enc_t.relative_width, "fast": enc_f.relative_width,
              "float64 inside tight": bool(enc_t.contains(ref)), "float64 inside fast": bool(enc_f.contains(ref))}
    print(f"{name}: float64 forward {med['float64'] * 1e3:8.1f} ms | tight {med['tight'] * 1e3:8.1f} ms | "
          f"fast {med['fast'] * 1e3:8.1f} ms")
    print(f"  ratio (tight / float64) = {med['tight'] / med['float64']:.2f}   "
          f"(of the fastest runs: {best['tight'] / best['float64']:.2f})")
    print(f"  ratio (fast / float64)  = {med['fast'] / med['float64']:.2f}   "
          f"(of the fastest runs: {best['fast'] / best['float64']:.2f})")
    print(f"  relative width: tight {widths['tight']:.2e}, fast {widths['fast']:.2e} "
          f"(float64 output inside: tight {widths['float64 inside tight']}, fast {widths['float64 inside fast']})")
    return med, widths, status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="batch 2, 64 × 64, 1 repeat (CI smoke run)")
    parser.add_argument("--batch", type=int, default=None, help="batch size (default 8; quick 2)")
    parser.add_argument("--size", type=int, default=None, help="the larger U-Net's image size (default 128)")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats (default 5; quick 1)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    batch = args.batch or (2 if args.quick else 8)
    size = args.size or (64 if args.quick else 128)
    repeats = args.repeats or (1 if args.quick else 5)

    from theorycheck.nets.pretrained import load_demo_unet
    from theorycheck.nets.unet import UNet

    model, setting = load_demo_unet()
    gen = torch.Generator().manual_seed(0)
    print(f"batch {batch}, torch threads {torch.get_num_threads()}, {repeats} interleaved repeat(s), medians")
    x = torch.randn(batch, 2, setting.n, setting.n, generator=gen, dtype=torch.float64)
    _, widths, status = run_model(f"demo U-Net {setting.n}×{setting.n}", model, x, repeats)
    big = UNet(width=16, depth=2, seed=0).eval()
    xb = torch.randn(batch, 2, size, size, generator=gen, dtype=torch.float64)
    _, _, st2 = run_model(f"U-Net {size}×{size} (seeded, same architecture)", big, xb, repeats)
    print(f"relative enclosure width on the demo U-Net: {widths['tight']:.2e} (tight), "
          f"{widths['fast']:.2e} (fast); goal ≤ 1e-10")
    return status or st2


if __name__ == "__main__":
    sys.exit(main())
