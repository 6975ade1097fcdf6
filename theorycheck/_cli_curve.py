"""``theorycheck curve``: a robustness curve of a network from the command line.

``theorycheck curve --model SPEC --operator SPEC --images X.npy [--levels 0,0.01,...] --out DIR``
runs :func:`theorycheck.instability.curves.stability_curve` on the images in ``X.npy`` (a batch
``(B, *A.in_shape)``) and writes ``curve.json`` (re-checkable with ``theorycheck verify``),
``curve.md``, ``curve.tex`` and ``curve.png`` into ``DIR``.

The model and operator loaders are injected by :mod:`theorycheck.cli` (``run_curve(args,
load_model=..., load_operator=...)``), so ``--model`` and ``--operator`` accept exactly what
``theorycheck certify`` accepts; without them a minimal loader is used (``--model
module:factory``, ``--operator MATRIX.npy`` or ``fourier:MASK.npy``).

Theorem: stability test (docs/theory.md §4).
Rigor: the curve's (certified-float64 adversarial points; numerical Gaussian means).
"""

from __future__ import annotations

import argparse
import importlib
import os
from typing import Any, Callable

import numpy as np

from theorycheck.errors import InvalidArgument, TheorycheckError
from theorycheck.instability.curves import DEFAULT_LEVELS, stability_curve
from theorycheck.problems.operators import MatrixOperator, SubsampledFourier

__all__ = ["add_curve_parser", "run_curve"]


def add_curve_parser(subparsers: Any) -> None:
    """Add the ``curve`` subcommand to an ``argparse`` subparsers object.

    Theorem: none (command line).
    Rigor: not applicable.
    """
    p = subparsers.add_parser(
        "curve", help="robustness curve: error against the relative noise level (adversarial or Gaussian)",
        description=__doc__.split("\n\n")[1] if __doc__ else None, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="the network (as for 'theorycheck certify')")
    p.add_argument("--weights", default=None, help="state dict for a module:factory model")
    p.add_argument("--operator", required=True, help="the sampling operator (as for 'theorycheck certify')")
    p.add_argument("--input", default=None, choices=("measurements", "adjoint"), help="what the network reads")
    p.add_argument("--images", required=True, help="X.npy: a batch of images (B, *image shape)")
    p.add_argument("--levels", default=",".join(f"{v:g}" for v in DEFAULT_LEVELS),
                   help="comma-separated relative noise levels ‖e‖/‖Ax‖ (default 0–8 %%)")
    p.add_argument("--kind", default="adversarial", choices=("adversarial", "gaussian"))
    p.add_argument("--restarts", type=int, default=4, help="random starts (adversarial) or draws (Gaussian)")
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--metrics", default="rel_l2,psnr,ssim")
    p.add_argument("--baseline", default="l1-wavelet", choices=("l1-wavelet", "tv", "none"))
    p.add_argument("--name", default="model", help="the network's name in the tables")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="folder for curve.json, curve.md, curve.tex, curve.png")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _minimal_model(spec: str, weights: str | None) -> Any:
    if ":" not in spec:
        raise InvalidArgument(f"--model {spec!r}: give module:factory")
    mod, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(mod), attr)
    except (ImportError, AttributeError) as exc:
        raise InvalidArgument(f"--model {spec!r}: {exc}") from None
    model = factory()
    if weights is not None:
        import torch

        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model


def _minimal_operator(spec: str, image: Any) -> Any:
    if spec.startswith("fourier:"):
        return SubsampledFourier(_load(spec.split(":", 1)[1], "--operator fourier mask").astype(bool))
    return MatrixOperator(_load(spec, "--operator matrix"))


def _load(path: str, what: str) -> np.ndarray:
    if not os.path.isfile(path):
        raise InvalidArgument(f"{what}: no such file {path!r}")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InvalidArgument(f"{what}: cannot read {path!r} as a .npy array: {exc}") from None


def _levels(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise InvalidArgument(f"--levels {text!r}: give comma-separated numbers, e.g. 0,0.01,0.05") from None


def run_curve(args: argparse.Namespace, *, load_model: Callable[..., Any] | None = None,
              load_operator: Callable[[str, Any], Any] | None = None) -> int:
    """Run ``theorycheck curve``; return the exit status (0 ok, 1 inconclusive, 2 bad input).

    Theorem: stability test (docs/theory.md §4).
    Rigor: the curve's.
    """
    try:
        X = _load(args.images, "--images")
        if X.dtype.kind not in "iufc" or X.ndim < 2:
            raise InvalidArgument(f"--images: expected a numeric batch (B, *image shape), got {X.dtype} {X.shape}")
        model = (load_model or _minimal_model)(args.model, args.weights)
        A = (load_operator or _minimal_operator)(args.operator, X[0])
        psi: Any = model
        if args.input is not None:
            from theorycheck.nets.adapters import as_reconstruction_map  # torch

            psi = as_reconstruction_map(model, input=args.input)
        out = args.out
        if os.path.exists(out) and not os.path.isdir(out):
            raise InvalidArgument(f"--out {out!r} is a file: give a folder")
        curve = stability_curve({args.name: psi}, A, X, noise_levels=_levels(args.levels), kind=args.kind,
                                restarts=args.restarts, steps=args.steps,
                                metrics=tuple(m.strip() for m in args.metrics.split(",") if m.strip()),
                                baseline=None if args.baseline == "none" else args.baseline, seed=args.seed,
                                progress=not args.quiet)
        os.makedirs(out, exist_ok=True)
    except (TheorycheckError, OSError) as exc:
        print(f"theorycheck curve: error: {exc}")
        return 2
    curve.to_json(os.path.join(out, "curve.json"))
    with open(os.path.join(out, "curve.md"), "w", encoding="utf-8") as fh:
        fh.write(curve.to_markdown())
    with open(os.path.join(out, "curve.tex"), "w", encoding="utf-8") as fh:
        fh.write(curve.to_latex())
    try:
        curve.plot(os.path.join(out, "curve.png"))
    except ImportError:
        print("note: matplotlib is not installed: no curve.png")
    print(curve.summary())
    print(curve.to_markdown())
    weights = f" --weights {args.weights}" if args.weights else ""
    print(f"written to {out}: curve.json (re-check it, re-running the network, with: theorycheck verify "
          f"{os.path.join(out, 'curve.json')} --model {args.model}{weights}), curve.md, curve.tex, curve.png")
    return 0 if curve.holds else 1
