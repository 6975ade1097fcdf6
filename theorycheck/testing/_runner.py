"""Guarded solver calls for the check suite: copies, a time limit, crash and warning capture.

Every call of a solver under test goes through :class:`Runner`: the solver gets
a copy of ``y``, runs in a daemon thread with a time limit, and whatever it
does — raise, warn, return NaN, the wrong shape, a string, complex values for a
real program, run forever — becomes a :class:`Call` that says why there is no
answer (or carries the answer, normalised to float64/complex128). The suite
never raises because of the solver.

Also here: the options every check reads (:class:`Options`, validated once by
:func:`make_options`) and what a report does on failure (:func:`apply_on_fail`).

Theorem: none (test infrastructure).
Rigor: not applicable.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from theorycheck.errors import CertificationError, InvalidArgument
from theorycheck.numerics.backend import is_torch, to_numpy
from theorycheck.numerics.validation import bool_arg, choice_arg, integer_arg, real_arg
from theorycheck.results import CheckResult, Report, shorten

__all__ = ["PROBLEMS", "ON_FAIL", "Call", "Runner", "normalise_answer", "Options", "make_options",
           "time_limit_arg", "apply_on_fail", "UnsupportedProgram", "program_variant", "SESSION",
           "shorten"]

#: the programs a solver under test can solve (``"bp"``: QCBP with ``η = 0``, basis pursuit)
PROBLEMS: tuple[str, ...] = ("lasso", "srlasso", "qcbp", "bp")
#: defaults set by the pytest plugin (``--theorycheck-seed``, ``--theorycheck-profile``)
SESSION: dict[str, Any] = {"seed": None, "profile": None}


class UnsupportedProgram(InvalidArgument):
    """Raised by a solver (adapter) for a program variant it does not solve: the check is skipped.

    Theorem: none (test infrastructure).
    Rigor: not applicable.
    """


def program_variant(problem: Any) -> str:
    """``"lasso"``, ``"srlasso"``, ``"qcbp"`` or ``"bp"`` (QCBP with ``η = 0``) for a program.

    Theorem: none.
    Rigor: not applicable.
    """
    name = type(problem).__name__
    if name == "QCBP":
        return "bp" if float(problem.eta) == 0.0 else "qcbp"
    return {"Lasso": "lasso", "SRLasso": "srlasso"}.get(name, name.lower())


#: what a suite does with an unexpected failure
ON_FAIL: tuple[str, ...] = ("raise", "warn", "report")
#: longest third-party text (exception or warnings) kept in a message
_MAX_TEXT = 300


@dataclasses.dataclass
class Call:
    """One guarded solver call: the answer (``x``) or why there is none (``reason``).

    Theorem: none (test infrastructure).
    Rigor: not applicable.
    """

    x: np.ndarray | None
    reason: str = ""
    warned: tuple[str, ...] = ()
    status: str | None = None
    elapsed: float = 0.0
    timed_out: bool = False
    caught: tuple = ()  # the warnings.WarningMessage objects, to re-issue them
    unsupported: bool = False  # the solver declared that it does not solve this program variant
    raised: bool = False  # the solver raised (a loud failure)
    error: Any = None  # the exception it raised
    answer: Any = None  # an unusable answer as the solver returned it (NaN, wrong shape, ...), else None

    @property
    def claims_success(self) -> bool:
        """The solver raised no warning and reported no non-optimal status."""
        return not self.warned and self.status in (None, "optimal")

    def describe(self) -> str:
        """How the solver presented its answer (warned, a status, or silently)."""
        if self.warned:
            unique = list(dict.fromkeys(self.warned))
            more = f" (+{len(self.warned) - len(unique)} repeated)" if len(unique) < len(self.warned) else ""
            return f"the solver warned ({shorten('; '.join(unique), 200)}){more}"
        if self.status not in (None, "optimal"):
            return f"the solver reported status {self.status!r}"
        return "silently: the solver reported success and issued no warning"


class Runner:
    """Calls the solver on copies of the data, in a thread with a time limit.

    Once a call exceeds ``time_limit`` its thread is abandoned and every later
    call returns a failed :class:`Call` without running the solver.

    Theorem: none (test infrastructure).
    Rigor: not applicable.
    """

    def __init__(self, solver: Callable, time_limit: float | None):
        self.solver = solver
        self.time_limit = time_limit
        self.dead = ""  # set once a call exceeded the time limit: later calls are not made
        self.calls = 0

    def __call__(self, problem: Any, y: np.ndarray) -> Call:
        if self.dead:
            return Call(None, f"not run: {self.dead}", timed_out=True)
        variant = program_variant(problem)
        programs = getattr(self.solver, "programs", None)
        if programs is not None and variant not in programs:
            return Call(None, f"skipped: the solver declares that it solves {', '.join(programs)}, "
                              f"not {variant}", unsupported=True)
        self.calls += 1
        box: dict[str, Any] = {}
        y_copy = np.array(y, copy=True)

        def target() -> None:
            try:
                box["out"] = self.solver(problem, y_copy)
            except BaseException as exc:  # noqa: BLE001 - any failure of the solver is a finding
                box["exc"] = exc

        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if self.time_limit is None:
                target()
            else:
                th = threading.Thread(target=target, daemon=True, name="theorycheck-solver")
                th.start()
                th.join(self.time_limit)
                if th.is_alive():
                    self.dead = (f"the solver exceeded the time limit of {self.time_limit:g} s "
                                 "(call abandoned)")
                    return Call(None, self.dead, elapsed=time.perf_counter() - t0, timed_out=True)
        elapsed = time.perf_counter() - t0
        warned = tuple(f"{w.category.__name__}: {shorten(str(w.message), _MAX_TEXT)}" for w in caught)
        if "exc" in box:
            exc = box["exc"]
            if isinstance(exc, UnsupportedProgram):
                call = Call(None, f"skipped: {shorten(str(exc), _MAX_TEXT)}", warned, elapsed=elapsed,
                            unsupported=True)
            else:
                call = Call(None, f"the solver raised {type(exc).__name__}: {shorten(str(exc), _MAX_TEXT)}",
                            warned, elapsed=elapsed, raised=True, error=exc)
        else:
            call = normalise_answer(box.get("out"), problem, warned, elapsed)
        call.caught = tuple(caught)
        return call


def normalise_answer(out: Any, problem: Any, warned: tuple[str, ...], elapsed: float) -> Call:
    """A solver's return value as a :class:`Call`: a float64/complex128 array of the right shape, or why not.

    Theorem: none (test infrastructure).
    Rigor: not applicable.
    """
    status = None
    if hasattr(out, "x") and not isinstance(out, np.ndarray):
        status = getattr(out, "status", None)
        status = status if isinstance(status, str) else None
        out = out.x
    try:
        x = to_numpy(out) if is_torch(out) else np.asarray(out)
    except Exception as exc:  # noqa: BLE001 - whatever the solver returned
        return Call(None, f"the solver returned {type(out).__name__}, not an array ({exc})",
                    warned, status, elapsed, answer=out)
    if x.dtype.kind not in "biufc":
        return Call(None, f"the solver returned an array of dtype {x.dtype}, not numbers",
                    warned, status, elapsed, answer=out)
    shape = tuple(problem.A.in_shape)
    if x.shape != shape:
        return Call(None, f"the solver returned shape {x.shape}, expected {shape}", warned, status, elapsed,
                    answer=out)
    if not np.all(np.isfinite(x)):
        return Call(None, "the solver returned NaN or inf", warned, status, elapsed, answer=out)
    if np.iscomplexobj(x) and not problem.is_complex:
        if np.any(np.imag(x) != 0):
            return Call(None, "the solver returned complex values for a real problem", warned,
                        status, elapsed, answer=out)
        x = np.real(x)
    x = x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)
    return Call(x, "", warned, status, elapsed)


@dataclasses.dataclass(frozen=True)
class Options:
    """What every check reads: the program, tolerances, the seed and hypothesis's budget.

    ``tol`` is the accepted distance relative to the instance's scale
    (``tol·‖x*‖``; ``tol·‖y‖/max_j‖a_j‖`` when ``x* = 0``), ``accuracy`` the
    objective accuracy (:class:`~theorycheck.testing.triage.Accuracy`), ``tier``
    the tier of the check being run (set by the registry).

    Theorem: none (test infrastructure).
    Rigor: not applicable.
    """

    problem: str
    tol: float
    seed: int
    max_examples: int = 10
    shrink: bool = True
    instances: int = 3
    accuracy: Any = None
    tier: str = "core"
    derandomize: bool = False


def _profile_settings() -> tuple[int | None, bool]:
    """(max_examples, derandomize) of the hypothesis profile loaded by ``--theorycheck-profile``."""
    if not SESSION.get("profile"):
        return None, False
    try:
        from hypothesis import settings

        current = settings.default
        if current is None:
            return None, False
        return int(current.max_examples), bool(current.derandomize)
    except Exception:  # noqa: BLE001 - no hypothesis: the kit's defaults
        return None, False


def make_options(problem: Any = "lasso", tol: Any = 1e-4, seed: Any = None, max_examples: Any = None,
                 shrink: Any = True, accuracy: Any = None) -> Options:
    """Validated :class:`Options` (``InvalidArgument`` naming the bad one).

    ``seed=None`` takes ``--theorycheck-seed`` when the pytest plugin set it
    (else 0); ``max_examples=None`` takes the loaded ``--theorycheck-profile``'s
    ``max_examples`` (else 10).

    Theorem: none (test infrastructure).
    Rigor: not applicable.
    """
    problem = choice_arg(problem, "problem", PROBLEMS)
    tol = real_arg(tol, "tol")
    if seed is None:
        seed = SESSION.get("seed") or 0
    seed = integer_arg(seed, "seed", minimum=0)
    prof_examples, derandomize = _profile_settings()
    if max_examples is None:
        max_examples = prof_examples or 10
    max_examples = integer_arg(max_examples, "max_examples")
    return Options(problem, tol, seed, max_examples, bool_arg(shrink, "shrink"), accuracy=accuracy,
                   derandomize=derandomize)


def time_limit_arg(time_limit: Any) -> float | None:
    """``None`` or a positive number of seconds.

    Theorem: none (test infrastructure).
    Rigor: not applicable.
    """
    return None if time_limit is None else real_arg(time_limit, "time_limit")


def apply_on_fail(report: Report, failures: Sequence[CheckResult], on_fail: str, text: str,
                  stacklevel: int = 3) -> Report:
    """Raise :class:`CertificationError` (carrying the report) or warn when ``failures`` is not empty.

    ``on_fail="report"`` only returns the report.

    Theorem: none (test infrastructure).
    Rigor: not applicable.
    """
    __tracebackhide__ = True  # pytest: show the message, not the kit's source
    if failures and on_fail != "report":
        if on_fail == "raise":
            exc = CertificationError(text)
            exc.report = report  # type: ignore[attr-defined]
            raise exc
        warnings.warn(text, UserWarning, stacklevel=stacklevel)
    return report

