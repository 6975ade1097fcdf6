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

    p_info = sub.add_parser("info", help="versions and backends")
    p_info.set_defaults(func=_cmd_info)

    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except TheorycheckError as exc:
        print(f"theorycheck: error: {exc}", file=sys.stderr)
        return 2
