"""Benchmark: certify a 256 × 256 complex single-coil U-Net-class network (4× line mask).

Setting: ``A = SubsampledFourier(mask, centered=True)`` with a fastMRI-style equispaced
line mask (acceleration 4, 8 % fully sampled centre), complex images ``x`` (random ellipse
phantoms with a smooth phase), and a U-Net (``theorycheck.nets.UNet``, random weights,
2 input and 2 output channels: complex in, complex out) reading the zero-filled image
``A^* y`` channels-first ``(B, 2, n, n)``.

Measured, on the CPU and (when present) on CUDA:

* ``search_worst_perturbation(psi, A, x, steps=S, device=...)``: the whole call (ascent
  plus the float64 re-evaluation of the witness that makes it certified);
* a raw autograd ascent loop of the same ``S`` steps on the same ``Ψ∘A`` (the baseline a
  user would write): ``ratio = raw loop seconds / whole search seconds`` (throughput of
  the certified search relative to the bare loop; goal ≥ 0.8), the median over ``--reps``
  interleaved repetitions (alternating which runs first). Both ascend in the model's
  float32 (complex64 data), so the ascent alone is also compared; what the search adds is
  its certificate: ``Ψ`` re-evaluated in float64 at ``y₀`` and ``y₁`` (each alone, twice)
  and the estimate of its rounding noise (probes at both ends, the refinement of the
  segment between them, a float32 proxy): about 90 float64 forwards of the network, a
  cost that does not depend on ``S``, run on the search's device (on CUDA: deterministic
  cuDNN, TF32 off, the CPU as fallback; the line "evaluated in float64 on ..." says
  where); the script prints it in raw ascent steps and the ``S`` at which the ratio
  would reach 0.8;
* ``check_instability(psi, A, x, x + z)`` for a detail ``z`` close to the kernel of ``A``
  (the certificate's float64 evaluations; with random weights the theorem's accuracy
  hypotheses fail, so the outcome is inconclusive: the timing is what is measured);
* peak memory: the process's peak resident set size after each phase (CPU) and
  ``torch.cuda.max_memory_allocated`` (CUDA).

Timings are printed, never asserted; the exit status is non-zero only if the search's
certified ratio is not finite.

Measured on a shared 2-core CPU machine (1 torch thread, 3 interleaved reps, other jobs
running: single timings vary up to 4x, the ratios less): torch has no fast float64
convolution on the CPU (no oneDNN path; its im2col fallback runs a float64 forward of this
U-Net in the time of 2-3 float32 forward+backward steps), so the certificate costs 150-290
raw ascent steps and the goal is not met on the CPU. Before/after evaluating the large
noise probes one at a time: ``--n 128``: 0.038 -> 0.059 (``--steps 200``: 0.36 -> 0.56);
``--n 256``: 0.029 and 0.035 (two runs) -> 0.036 and 0.033, peak RSS 6.1 GiB -> 0.8 GiB.

Usage::

    python benchmarks/bench_scale.py            # 256 x 256, width 16, depth 4, 10 steps, 3 reps
    python benchmarks/bench_scale.py --quick    # 32 x 32, width 4, depth 2, 3 steps (CI)
    python benchmarks/bench_scale.py --n 128 --steps 20 --device cuda
    bash benchmarks/device_check.sh         # on a GPU machine: this at 10 and 200 steps, gpu tests, curves
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402


def _rss_mib() -> float:
    """Peak resident set size of this process so far (MiB; Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / 2 ** 20


def _images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A complex phantom and a small disc detail (the same disc, almost in ker A after projection)."""
    from theorycheck.problems.data import random_ellipses

    rng = np.random.default_rng(seed)
    mag = np.asarray(random_ellipses(n, seed=seed), dtype=float).reshape(n, n)
    yy, xx = np.mgrid[0:n, 0:n] / n
    x = mag * np.exp(1j * (0.5 * np.sin(2 * np.pi * xx) + 0.3 * yy))
    disc = ((yy - 0.55) ** 2 + (xx - 0.45) ** 2 < (0.04) ** 2).astype(float)
    return x, disc * (1.0 + 0.1 * rng.standard_normal((n, n)))


def _raw_loop(net, A, x: np.ndarray, steps: int, lr: float, device: str) -> float:
    """The bare forward+backward ascent a user would write on the same Ψ∘A; returns seconds."""
    import torch

    net = net.to(device)
    for p in net.parameters():
        p.requires_grad_(False)
    xt = torch.as_tensor(x, dtype=torch.complex64, device=device)
    mask = torch.as_tensor(np.array(A.mask, dtype=bool), device=device)

    def fwd(img):  # centred orthonormal FFT, sampled
        k = torch.fft.fftshift(torch.fft.fft2(torch.fft.ifftshift(img, dim=(-2, -1)), norm="ortho"), dim=(-2, -1))
        return k[..., mask]

    def adj(y):
        k = torch.zeros(y.shape[:-1] + mask.shape, dtype=y.dtype, device=device)
        k[..., mask] = y
        return torch.fft.fftshift(torch.fft.ifft2(torch.fft.ifftshift(k, dim=(-2, -1)), norm="ortho"), dim=(-2, -1))

    def psi(y):
        z = adj(y)
        return net(torch.stack([z.real, z.imag], 1))

    with torch.no_grad():
        y0 = fwd(xt[None])
        ref = psi(y0)
    r = 1e-3 * torch.randn(xt.shape, generator=torch.Generator().manual_seed(0)).to(device)
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        r = r.detach().to(torch.complex64).requires_grad_(True)
        out = psi(y0 + fwd(r[None]))
        loss = 0.5 * (out - ref).pow(2).sum()
        (g,) = torch.autograd.grad(loss, r)
        with torch.no_grad():
            r = r + lr * g
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def _search_once(psi, A, x, budget: float, steps: int, seed: int, device: str):
    """One whole ``search_worst_perturbation`` call; returns (witness, seconds)."""
    import torch

    from theorycheck import search_worst_perturbation

    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    w = search_worst_perturbation(psi, A, x, budget=budget, steps=steps, seed=seed, device=device,
                                  progress=False)
    if device == "cuda":
        torch.cuda.synchronize()
    return w, time.perf_counter() - t0


def run(device: str, n: int, width: int, depth: int, steps: int, seed: int, reps: int,
        check: bool = True) -> tuple[bool, str]:
    import torch

    from theorycheck import SubsampledFourier, UNet, as_reconstruction_map, check_instability, equispaced_line_mask

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    mask = equispaced_line_mask((n, n), 4, 0.08, centered=True)
    A = SubsampledFourier(mask, centered=True)
    x, detail = _images(n, seed)
    z = detail - A.adjoint(A.apply(detail)) + 1e-3 * A.adjoint(A.apply(detail))  # almost in ker A
    net = UNet(in_channels=2, out_channels=2, width=width, depth=depth, residual=False, seed=seed)
    params = sum(p.numel() for p in net.parameters())
    psi = as_reconstruction_map(net, input="adjoint", layout="channels", complex_as_channels=True, A=A,
                                device=device)
    budget = 0.02 * float(np.linalg.norm(x))
    print(f"[{device}] {n}x{n} complex, {int(mask.sum())} of {n * n} samples (4x lines), UNet width={width} "
          f"depth={depth} ({params / 1e6:.2f} M parameters), {steps} steps, {reps} interleaved reps, "
          f"{torch.get_num_threads()} torch thread(s)")
    rss0 = _rss_mib()
    raw_net = UNet(in_channels=2, out_channels=2, width=width, depth=depth, residual=False, seed=seed)
    # both sides ascend in the model's float32 (complex64 data); the search then adds its certificate
    # (the float64 re-evaluation of the witness and its rounding-noise estimate): the extra work measured
    t_raw, t_search, t_ascent, ratios = [], [], [], []
    w = None
    for rep in range(reps):  # interleaved, alternating which runs first
        order = ("raw", "search") if rep % 2 == 0 else ("search", "raw")
        for which in order:
            if which == "raw":
                t_raw.append(_raw_loop(raw_net, A, x, steps, 0.05, device))
            else:
                w, t = _search_once(psi, A, x, budget, steps, seed, device)
                t_search.append(t)
                ascent = w.values.get("ascent_seconds")
                t_ascent.append(float(ascent) if isinstance(ascent, (int, float)) else math.nan)
        ratios.append(t_raw[-1] / t_search[-1])
    assert w is not None
    rss1 = _rss_mib()
    t0 = time.perf_counter()
    cert = check_instability(psi, A, x, x + z, ball_samples=0) if check else None
    t_cert = time.perf_counter() - t0
    rss2 = _rss_mib()
    med = statistics.median
    ratio = med(ratios)
    certify_s = med([s - a for s, a in zip(t_search, t_ascent)])
    per_step = med(t_raw) / steps
    print(f"  search_worst_perturbation: {med(t_search):.2f} s whole call (median; ascent {med(t_ascent):.2f} s, "
          f"certificate {certify_s:.2f} s); {w.outcome.value} [{w.rigor.value}], ratio {float(np.max(w.ratio)):.4g}, "
          f"evaluated in {w.values.get('psi_precision')} on {w.values.get('psi_device', 'cpu')}")
    print(f"  raw ascent loop, same {steps} steps: {med(t_raw):.2f} s (median)")
    print(f"  ascent only: raw loop time / search ascent time: {med(t_raw) / med(t_ascent):.3f}")
    print(f"  ratio (raw loop time / whole search time, median of {reps} interleaved reps): {ratio:.3f} "
          f"(goal >= 0.8; per rep {', '.join(f'{r:.3f}' for r in ratios)})")
    if certify_s > 0 and per_step > 0:
        print(f"  the certificate costs {certify_s / per_step:.0f} raw ascent steps: ratio 0.8 needs "
              f">= {4 * certify_s / per_step:.0f} steps")
    if cert is not None:
        print(f"  check_instability on (x, x + z), ‖A z‖/‖z‖ = "
              f"{np.linalg.norm(A.apply(z)) / np.linalg.norm(z):.2g}: {t_cert:.2f} s; {cert.outcome.value} "
              f"[{cert.rigor.value}]")
    print(f"  peak RSS: {rss0:.0f} MiB before, {rss1:.0f} MiB after the searches, {rss2:.0f} MiB after the certificate")
    if device == "cuda":
        print(f"  CUDA peak allocated: {torch.cuda.max_memory_allocated() / 2 ** 20:.0f} MiB")
    ok = bool(np.all(np.isfinite(np.asarray(w.ratio, dtype=float))))
    return ok, (f"{device}: ratio {ratio:.3f}, search {med(t_search):.2f} s, raw {med(t_raw):.2f} s"
                + (f", check_instability {t_cert:.2f} s" if check else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="32 x 32, width 4, depth 2, 3 steps")
    ap.add_argument("--n", type=int, default=None, help="image side (default 256; quick 32)")
    ap.add_argument("--width", type=int, default=None, help="U-Net width (default 16; quick 4)")
    ap.add_argument("--depth", type=int, default=None, help="U-Net depth (default 4; quick 2)")
    ap.add_argument("--steps", type=int, default=None, help="ascent steps (default 10; quick 3)")
    ap.add_argument("--device", choices=("cpu", "cuda", "all"), default="all",
                    help="cpu, cuda, or all available (default)")
    ap.add_argument("--reps", type=int, default=None, help="interleaved repetitions (default 3; quick 1)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-check", action="store_true",
                    help="skip the check_instability timing (its float64 evaluations run on the CPU: minutes at 256)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(max(1, args.threads))
    n = args.n or (32 if args.quick else 256)
    width = args.width or (4 if args.quick else 16)
    depth = args.depth or (2 if args.quick else 4)
    steps = args.steps or (3 if args.quick else 10)
    reps = max(1, args.reps or (1 if args.quick else 3))
    if n % (2 ** depth):
        ap.error(f"--n must be divisible by 2**depth = {2 ** depth}")
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not torch.cuda.is_available():
        if args.device == "cuda":
            ap.error("--device cuda: no CUDA device here")
        devices.remove("cuda")
        print("(no CUDA device: CPU only)")
    ok, lines = True, []
    for dev in devices:
        good, line = run(dev, n, width, depth, steps, args.seed, reps, check=not args.no_check)
        ok &= good
        lines.append(line)
    print("summary: " + "; ".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
