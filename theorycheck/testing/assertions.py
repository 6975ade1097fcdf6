"""``assert_*`` helpers for users' test suites: raise :class:`CertificationError` on a violation.

:class:`~theorycheck.errors.CertificationError` subclasses ``AssertionError``,
so pytest reports these as ordinary assertion failures, with the check's
message (what was found, the certified numbers, the reason when undecided).

Theorem: as the wrapped check states.
Rigor: as the wrapped check states (an ``assert_*`` never passes on a result
weaker than the caller accepts).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from theorycheck.errors import CertificationError, InvalidArgument
from theorycheck.numerics.validation import bool_arg
from theorycheck.results import CheckResult, Outcome, Report
from theorycheck.solvers.certify import certify_solution
from theorycheck.testing.reconstructor import check_reconstructor
from theorycheck.testing.suite import check_solver

__all__ = [
    "assert_holds",
    "assert_minimiser",
    "assert_solver_passes",
    "assert_reconstructor_stable",
]


def assert_holds(result: CheckResult | Report, *, allow_inconclusive: bool = False) -> None:
    """Raise :class:`CertificationError` unless ``result`` (a check or a report) holds.

    Parameters
    ----------
    result : CheckResult or Report
    allow_inconclusive : bool
        Accept inconclusive results (default: they fail too, with their reason).

    Theorem: the one the result states.
    Rigor: the result's.

    Examples
    --------
    >>> from theorycheck import CheckResult
    >>> assert_holds(CheckResult("demo", "holds", "proven"))
    """
    if isinstance(result, Report):
        bad = [r for r in result.results if r.violated
               or (r.outcome is Outcome.INCONCLUSIVE and not allow_inconclusive)]
        if bad:
            head = result.title or "report"
            raise CertificationError(f"{head}: {len(bad)} check(s) did not hold\n"
                                     + "\n".join("  " + r.summary() for r in bad))
        return
    if not isinstance(result, CheckResult):
        raise InvalidArgument(f"assert_holds takes a CheckResult or a Report, got {type(result).__name__}")
    if result.violated or (result.outcome is Outcome.INCONCLUSIVE and not allow_inconclusive):
        raise CertificationError(result.summary())


def assert_minimiser(problem: Any, y: Any, x: Any, *, tol: float | None = None,
                     allow_inconclusive: bool = False, **options: Any) -> CheckResult:
    """Assert that ``x`` is within ``tol`` of the unique minimiser of ``(problem, y)``, provably.

    Parameters
    ----------
    problem : Lasso, SRLasso or QCBP
    y, x : array_like
    tol : float, optional
        As in :func:`theorycheck.solvers.certify.certify_solution` (default ``1e-6·max(1, ‖x‖)``).
    allow_inconclusive : bool
        Pass when no certificate can be found (default: fail with the reason).
    **options
        ``dps``, ``max_dps`` of the certificate.

    Returns
    -------
    CheckResult
        The ``certified_optimality`` result (when it does not raise).

    Theorem: uniqueness of the minimiser under strict dual feasibility (docs/theory.md §1).
    Rigor: proven (passes only on a proven ``holds`` unless ``allow_inconclusive``).

    Examples
    --------
    >>> import numpy as np
    >>> from theorycheck import Lasso
    >>> _ = assert_minimiser(Lasso(np.eye(2), lam=1.0), np.array([2.0, 0.1]), np.array([1.5, 0.0]))
    """
    allow_inconclusive = bool_arg(allow_inconclusive, "allow_inconclusive")
    unknown = sorted(set(options) - {"dps", "max_dps"})
    if unknown:
        raise InvalidArgument(f"unknown option(s) {unknown}: assert_minimiser takes tol, dps, max_dps "
                              "and allow_inconclusive")
    res = certify_solution(problem, y, x, tol=tol, **options)
    assert_holds(res, allow_inconclusive=allow_inconclusive)
    return res


def assert_solver_passes(solver: Callable[[Any, np.ndarray], Any], **options: Any) -> Report:
    """Run :func:`theorycheck.testing.check_solver` and raise on any unexpected failure.

    Parameters
    ----------
    solver : callable
        ``solver(problem, y)``.
    **options
        Passed to :func:`~theorycheck.testing.check_solver` (``problem``,
        ``expected_failed_checks``, ``tol``, ...; ``on_fail`` is ``"raise"``).

    Returns
    -------
    Report

    Theorem: as :func:`~theorycheck.testing.check_solver`.
    Rigor: as :func:`~theorycheck.testing.check_solver`.
    """
    options["on_fail"] = "raise"
    return check_solver(solver, **options)


def assert_reconstructor_stable(psi: Any, A: Any, **options: Any) -> Report:
    """Run :func:`theorycheck.testing.check_reconstructor` and raise if any check fails.

    Parameters
    ----------
    psi : torch.nn.Module or callable
    A : array_like or LinearOperator
    **options
        Passed to :func:`~theorycheck.testing.check_reconstructor` (``images``
        is required; ``eta``, ``lipschitz_bound``, ...).

    Returns
    -------
    Report

    Theorem: universal instability theorem (docs/theory.md §3).
    Rigor: certified-float64.
    """
    options["on_fail"] = "report"
    report = check_reconstructor(psi, A, **options)
    assert_holds(report)
    return report
