"""Shared machinery of the adapters: names, what a wrapper solves, and the Solution it returns.

Theorem: none (infrastructure).
Rigor: not applicable.
"""

from __future__ import annotations

import functools
import time
from typing import Any, Callable

import numpy as np

from theorycheck.results import Rigor
from theorycheck.solvers.solution import Solution
from theorycheck.testing._runner import UnsupportedProgram, program_variant

__all__ = ["solver_name", "plain_program", "declare", "answer", "Timer"]

#: theorycheck's program classes by variant name
_CLASSES = {"lasso": "Lasso", "srlasso": "SRLasso", "qcbp": "QCBP", "bp": "QCBP"}


def solver_name(solver: Any) -> str:
    """A short readable name for a solver (its ``name``, function name, class name, partial's function).

    Theorem: none.
    Rigor: not applicable.
    """
    name = getattr(solver, "name", None)
    if isinstance(name, str) and name:
        return name
    if isinstance(solver, functools.partial):
        return solver_name(solver.func)
    name = getattr(solver, "__name__", None) or type(solver).__name__
    return "lambda" if name == "<lambda>" else name


def plain_program(problem: Any, who: str, *, kinds: tuple[str, ...], complex_ok: bool = False,
                  weights_ok: bool = False) -> None:
    """Raise :class:`UnsupportedProgram` unless ``problem`` is a program variant the adapter ``who`` solves.

    Parameters
    ----------
    problem : Lasso, SRLasso or QCBP
    who : str
        The adapter's name (for the message).
    kinds : tuple of str
        The variants it solves: ``"lasso"``, ``"srlasso"``, ``"qcbp"`` (``η > 0``), ``"bp"`` (``η = 0``).
    complex_ok, weights_ok : bool
        Whether it takes complex data / weights (no adapter takes a sparsifier ``W``).

    Theorem: none.
    Rigor: not applicable.
    """
    variant = program_variant(problem)
    if variant not in kinds:
        names = ", ".join(dict.fromkeys(_CLASSES.get(k, k) + (" with η = 0" if k == "bp" else "") for k in kinds))
        raise UnsupportedProgram(f"{who} solves {names} problems, not {type(problem).__name__}"
                                 + (" with η = 0" if variant == "bp" else ""))
    if problem.W is not None:
        raise UnsupportedProgram(f"{who} does not take a sparsifier W")
    if not weights_ok and not np.all(np.asarray(problem.weights) == 1):
        raise UnsupportedProgram(f"{who} does not take weights")
    if problem.is_complex and not complex_ok:
        raise UnsupportedProgram(f"{who} needs real data")


def declare(fn: Callable, name: str, programs: tuple[str, ...], accuracy: Any = None) -> Callable:
    """Give a wrapper its ``name``, the program variants it solves (``programs``) and its ``accuracy``.

    ``accuracy`` is the objective accuracy the package's documented stopping
    rule promises, in theorycheck's scaling (relative, or ``(relative,
    absolute)``), or None when its rule is not an objective bound.

    Theorem: none.
    Rigor: not applicable.
    """
    fn.name = name  # type: ignore[attr-defined]
    fn.programs = programs  # type: ignore[attr-defined]
    fn.accuracy = accuracy  # type: ignore[attr-defined]
    fn.__name__ = name
    return fn


class Timer:
    """Wall time of an adapter call (``with Timer() as t: ...; t.elapsed``).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """

    def __enter__(self) -> "Timer":
        self.t0 = time.perf_counter()
        self.elapsed = 0.0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.elapsed = time.perf_counter() - self.t0


def answer(x: Any, problem: Any, who: str, status: str, elapsed: float = 0.0, **info: Any) -> Solution:
    """The package's answer as a :class:`Solution` with the status the package reported.

    Theorem: none.
    Rigor: numerical.
    """
    arr = np.asarray(x, dtype=float).reshape(problem.A.in_shape)
    return Solution(x=arr, status=status, rigor=Rigor.NUMERICAL, solver=who, elapsed_s=elapsed, info=info)
