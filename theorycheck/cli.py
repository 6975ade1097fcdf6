"""The ``theorycheck`` command line: ``demo``, ``verify FILE``, ``info``.

Theorem: none (user layer).
Rigor: ``verify`` re-runs the saved result's own verifier and reports that
verifier's rigor.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
from typing import Callable, Sequence

from theorycheck._version import __version__
from theorycheck.errors import TheorycheckError

__all__ = ["main", "VERIFIER_MODULES"]

#: modules that register verifiers for saved results (imported by ``verify``)
VERIFIER_MODULES: tuple[str, ...] = (
    "theorycheck.solvers.certify",
    "theorycheck.rnsp",
    "theorycheck.impossibility",
    "theorycheck.classification",
    "theorycheck.instability",
    "theorycheck.search",
)


def _cmd_info(args: argparse.Namespace) -> int:
    import numpy

    print(f"theorycheck {__version__} on Python {platform.python_version()}")
    print(f"numpy {numpy.__version__}")
    for mod in ("scipy", "flint", "mpmath", "cvxpy", "torch", "pywt", "hypothesis"):
        try:
            m = importlib.import_module(mod)
            print(f"{mod} {getattr(m, '__version__', '?')}")
        except ImportError:
            print(f"{mod} not installed")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from theorycheck.demo import run_demo

    return run_demo(outdir=args.out, quick=args.quick, progress=not args.no_progress)


def _cmd_verify(args: argparse.Namespace) -> int:
    from theorycheck.results import Report, load, verify_result

    for mod in VERIFIER_MODULES:
        importlib.import_module(mod)
    saved = load(args.file)
    results = list(saved) if isinstance(saved, Report) else [saved]
    status = 0
    for res in results:
        outcome = verify_result(res)
        print(outcome.summary())
        if not outcome.holds:
            status = 1
    return status


def _load_array(path: str, name: str):
    """An array from ``.npy`` or a tensor file saved with ``torch.save`` (loaded with weights_only)."""
    import numpy as np

    from theorycheck.errors import InvalidArgument

    if path.endswith(".npy"):
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InvalidArgument(f"cannot read {name} from {path!r}: {exc}") from exc
    if path.endswith((".pt", ".pth")):
        import torch

        try:
            value = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many kinds: report them all the same way
            raise InvalidArgument(f"cannot read {name} from {path!r}: {exc}") from exc
        if not isinstance(value, torch.Tensor):
            raise InvalidArgument(f"{path!r} holds a {type(value).__name__}, expected one tensor")
        return value.detach().cpu().numpy()
    raise InvalidArgument(f"{name}: use a .npy file or a tensor saved with torch.save (.pt)")


def _load_operator(spec: str):
    """``A.npy`` (dense matrix) or ``fourier:|dct:|hadamard:MASK.npy`` (subsampled transform)."""
    from theorycheck.errors import InvalidArgument
    from theorycheck.problems import operators

    kinds = {"fourier": operators.SubsampledFourier, "dct": operators.SubsampledDCT,
             "hadamard": operators.SubsampledWalshHadamard}
    kind, _, path = spec.partition(":")
    if path and kind in kinds:
        return kinds[kind](_load_array(path, "mask").astype(bool))
    if path:
        raise InvalidArgument(f"unknown operator kind {kind!r}: use {sorted(kinds)} or a matrix file")
    return operators.MatrixOperator(_load_array(spec, "operator"))


def _load_model(spec: str, weights: str | None):
    """A TorchScript file, or ``module:factory`` (+ a state dict loaded with weights_only)."""
    import torch

    from theorycheck.errors import InvalidArgument

    if ":" in spec and not spec.endswith((".pt", ".pth")):
        mod_name, _, attr = spec.partition(":")
        try:
            factory = getattr(importlib.import_module(mod_name), attr)
        except (ImportError, AttributeError) as exc:
            raise InvalidArgument(f"cannot import {spec!r}: {exc}") from exc
        model = factory()
        if weights:
            try:
                state = torch.load(weights, map_location="cpu", weights_only=True)
                model.load_state_dict(state)
            except Exception as exc:
                raise InvalidArgument(f"cannot load weights {weights!r}: {exc}") from exc
        return model
    import warnings

    try:
        with warnings.catch_warnings():  # TorchScript is deprecated but still the portable format
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.load(spec, map_location="cpu")
    except Exception as exc:
        raise InvalidArgument(
            f"cannot load {spec!r} as TorchScript ({exc}): save the model with "
            "torch.jit.script(model).save(path), or pass --model module:factory --weights state.pt"
        ) from exc


def _cmd_certify(args: argparse.Namespace) -> int:
    from theorycheck.instability import check_instability
    from theorycheck.nets.adapters import as_reconstruction_map

    A = _load_operator(args.operator)
    x = _load_array(args.x, "x")
    x_prime = _load_array(args.x_prime, "x_prime")
    model = _load_model(args.model, args.weights)
    psi = as_reconstruction_map(model, input=args.input, eval_mode=True)
    cert = check_instability(psi, A, x, x_prime, eta=args.eta, seed=0)
    print(cert.summary())
    for name, (holds, margin) in cert.hypotheses.items():
        print(f"  {name}: {'holds' if holds else 'fails'} (margin {margin:.3e})")
    cert.to_json(args.out)
    print(f"wrote {args.out}; re-check with: theorycheck verify {args.out}")
    return 0 if cert.holds else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``theorycheck`` command.

    Returns
    -------
    int
        Exit status: 0 on success, 1 when a verification fails, 2 on bad input.

    Theorem: none.
    Rigor: not applicable.
    """
    parser = argparse.ArgumentParser(prog="theorycheck", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"theorycheck {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p_demo = sub.add_parser("demo", help="run the main job on shipped data and print a report")
    p_demo.add_argument("--out", default="theorycheck-demo", help="folder for certificates and figures")
    p_demo.add_argument("--quick", action="store_true", help="smaller sizes (used by the tests)")
    p_demo.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p_demo.set_defaults(func=_cmd_demo)

    p_verify = sub.add_parser("verify", help="re-check a saved certificate (JSON)")
    p_verify.add_argument("file")
    p_verify.set_defaults(func=_cmd_verify)

    p_cert = sub.add_parser("certify", help="certify the instability of a reconstruction network "
                                            "on a pair x, x' (universal instability theorem)")
    p_cert.add_argument("--model", required=True,
                        help="TorchScript file, or module:factory (with --weights)")
    p_cert.add_argument("--weights", default=None, help="state dict (.pt) for module:factory")
    p_cert.add_argument("--operator", required=True,
                        help="A.npy (dense matrix) or fourier:|dct:|hadamard:MASK.npy")
    p_cert.add_argument("--x", required=True, help="image x (.npy or .pt)")
    p_cert.add_argument("--x-prime", required=True, help="image x' (.npy or .pt)")
    p_cert.add_argument("--eta", type=float, default=None,
                        help="accuracy level η (default: the smallest for which the hypotheses hold)")
    p_cert.add_argument("--input", choices=("measurements", "adjoint"), default="measurements",
                        help="what the model takes: y, or the adjoint reconstruction A^*y")
    p_cert.add_argument("--out", default="certificate.json")
    p_cert.set_defaults(func=_cmd_certify)

    p_info = sub.add_parser("info", help="versions and backends")
    p_info.set_defaults(func=_cmd_info)

    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except TheorycheckError as exc:
        print(f"theorycheck: error: {exc}", file=sys.stderr)
        return 2
