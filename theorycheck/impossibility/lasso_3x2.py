"""The 3×2 LASSO of docs/theory.md §6.3 ("fails in MATLAB") with its certified minimiser.

``min_x f‖A_δ D_δ x − y‖² + λ‖x‖₁`` with ``A_δ = [[1/√2 − δ, 1/√2], [−1/√2 − δ, −1/√2], [2δ, 0]]``
has the unique minimiser ``x* = (0, 1/√3 − λ/(6f))`` for every ``δ ≠ 0``, with a
dual slack of only ``≈ 3δ²``: float64 solvers fail for small ``δ``.
:func:`build_lasso_3x2` builds it and proves the minimiser with
:func:`theorycheck.solvers.exact.solve_exact` on the exact data (balls);
``lasso_3x2_family`` is its deprecated former name.

Theorem: docs/theory.md §6.3 (unique minimiser for every δ ≠ 0).
Rigor: proven (ball arithmetic on the exact data).
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from fractions import Fraction
from typing import Any

import flint
import mpmath
import numpy as np

from theorycheck.errors import InvalidArgument, SolverError
from theorycheck.impossibility._balls import arb_to_float, arb_to_mpf
from theorycheck.impossibility._common import MAX_3X2_DPS, bounded_int, exact_real
from theorycheck.impossibility.family import Member
from theorycheck.numerics.precision import dps_to_bits, precision
from theorycheck.numerics.validation import choice_arg
from theorycheck.problems.programs import Lasso
from theorycheck.solvers.exact import solve_exact

__all__ = ["build_lasso_3x2", "lasso_3x2_family"]

#: the data-term scalings ``f`` accepted: the seed's ``1/m`` and MATLAB's / scikit-learn's ``1/(2m)``
SCALINGS = ("1/m", "1/(2m)")
_M = 3  # measurements


def build_lasso_3x2(delta: Any, *, scaling: str = "1/m", lam: Any = Fraction(1, 10),
                    dps: int | None = None) -> Member:
    """The 3×2 LASSO of docs/theory.md §6.3 ("fails in MATLAB") with its certified minimiser.

    ``min_x f‖A_δ D_δ x − y‖² + λ‖x‖₁`` with ``f = 1/m`` (the seed's formula) or
    ``f = 1/(2m)`` (MATLAB's and scikit-learn's scaling), ``m = 3``,
    ``A_δ = [[1/√2 − δ, 1/√2], [−1/√2 − δ, −1/√2], [2δ, 0]]``,
    ``y = (1/√2, −1/√2, 0)`` and ``D_δ`` scaling the columns to norm ``√m``.
    For every ``δ ≠ 0`` the unique minimiser is ``x* = (0, 1/√3 − λ/(6f))``
    (``(0, (√3 − 0.15)/3)`` for ``f = 1/m``, ``λ = 1/10``); its dual slack is
    ``≈ 3δ²`` (relative), so float64 solvers fail for small ``δ``.

    Parameters
    ----------
    delta : float, int, Fraction
        ``δ ≠ 0``, taken as the exact value given (a float is the dyadic number it is).
    scaling : {"1/m", "1/(2m)"}
        Data-term scaling ``f``.
    lam : Fraction or float
        ``λ`` (default exactly ``1/10``).
    dps : int, optional
        Working precision (default: enough to decide the dual slack).

    Returns
    -------
    Member
        ``A_exact = A_δ D_δ`` (the program's matrix), ``A_delta = A_δ``, ``D = D_δ``,
        ``y_exact``, ``x_star`` (scaled coordinates), ``z_star = D x*`` (original
        coordinates), ``problem = Lasso(A_float, lam=λ/f)`` (our ``λ'‖x‖₁ + ‖Bx − y‖²``
        with ``λ' = λ/f``, rounded to float64; ``x_star`` is for the exact ``λ``),
        ``sklearn_alpha = λ/(2mf)``, ``delta``, ``lam``, ``lam_prime``,
        ``scaling`` and ``scaling_factor = f`` (fractions).

    Raises
    ------
    InvalidArgument
        ``δ = 0`` (the minimiser is not unique), non-finite or non-real ``δ``, unknown ``scaling``.

    Theorem: docs/theory.md §6.3 (unique minimiser for every δ ≠ 0).
    Rigor: proven (``solve_exact`` on the exact data, which are balls).

    Examples
    --------
    >>> mem = build_lasso_3x2(2 ** -7)
    >>> [round(float(v), 9) for v in mem.x_star]
    [0.0, 0.527350269]
    """
    d, lam_f, f, dps = _arguments(delta, scaling, lam, dps)
    lam_prime = lam_f / f  # our Lasso: λ'‖x‖₁ + ‖Bx − y‖² with λ' = λ/f
    # ‖s(Bx − y)‖² + s²λ'‖x‖₁ with s² = 1/λ' has the same minimiser and λ = 1 exactly
    s2 = 1 / lam_prime
    bits = dps_to_bits(dps)
    t0 = time.perf_counter()
    with precision(prec=bits):
        A, D, B, y = _balls(d)
        Bf = np.array([[arb_to_float(v) for v in r] for r in B])
        Bs = _balls(d, s2)[2]
        Bsf = np.array([[arb_to_float(v) for v in r] for r in Bs])
        sol = solve_exact(Lasso(Bsf, lam=1.0), None, data=lambda dps_: _exact_data(d, dps_, s2), support=[1],
                          signs=[1], dps=dps, max_dps=max(4 * dps, 400))
        x = [flint.arb(0), 1 / flint.arb(3).sqrt() - _arb(lam_f) / (6 * _arb(f))]
        _cross_check(sol.enclosure, sol.info["support"], x)
        sol = dataclasses.replace(sol, solver="exact (3×2 LASSO, data scaled to λ = 1)")
        Dm = mpmath.matrix([[arb_to_mpf(D[0]), 0], [0, arb_to_mpf(D[1])]])
        A_delta = mpmath.matrix([[arb_to_mpf(v) for v in r] for r in A])
        z_star = mpmath.matrix([[0], [arb_to_mpf(D[1] * x[1])]])
    problem = Lasso(Bf, lam=float(lam_prime))
    extra = {"A_delta": A_delta, "z_star": z_star, "delta": d, "scaling": scaling,
             "scaling_factor": f, "lam": lam_f,
             "lam_prime": lam_prime, "sklearn_alpha": float(lam_f / (2 * _M * f)),
             "elapsed_s": time.perf_counter() - t0}
    return Member(index=0, kind="lasso", problem=problem, A_balls=B, y_balls=y, x_balls=x,
                  support=[1], solution=sol, bits=bits,
                  data=lambda dps_: _exact_data(d, dps_), D=Dm, extra=extra)


def lasso_3x2_family(delta: Any, *, scaling: str = "1/m", lam: Any = Fraction(1, 10),
                     dps: int | None = None) -> Member:
    """Deprecated name of :func:`build_lasso_3x2` (kept for one release; emits ``DeprecationWarning``).

    Theorem: docs/theory.md §6.3 (unique minimiser for every δ ≠ 0).
    Rigor: proven (as :func:`build_lasso_3x2`).
    """
    warnings.warn("lasso_3x2_family is deprecated; use build_lasso_3x2 (same arguments)",
                  DeprecationWarning, stacklevel=2)
    return build_lasso_3x2(delta, scaling=scaling, lam=lam, dps=dps)


def _arguments(delta: Any, scaling: Any, lam: Any, dps: Any) -> tuple[Fraction, Fraction, Fraction, int]:
    """Validated ``(δ, λ, f, dps)``: exact rationals, and a precision that decides the dual slack."""
    scaling = choice_arg(scaling, "scaling", SCALINGS)
    if isinstance(delta, str):
        raise InvalidArgument(f"delta={delta!r}: pass a real number δ ≠ 0 (a float, int or Fraction)")
    d = exact_real(delta, "delta")
    if d == 0:
        raise InvalidArgument("delta=0: the two columns coincide and the minimiser is not unique; "
                              "pass δ ≠ 0")
    lam_f = exact_real(lam, "lam")
    if lam_f <= 0:
        raise InvalidArgument(f"lam={lam}: pass λ > 0")
    f = Fraction(1, _M) if scaling == "1/m" else Fraction(1, 2 * _M)
    # the support {2} is optimal while λ/(6f) < 1/√3 (the coefficient stays positive)
    if not (lam_f / (6 * f)) ** 2 < Fraction(1, 3):
        raise InvalidArgument(f"lam={lam}: too large, the minimiser is 0; pass λ < {float(6 * f / 3 ** 0.5):.4g}")
    # dual slack ≈ 3δ²: decide it with ~2 log10(1/δ) + 20 digits (log10 from the exact bit lengths,
    # so that δ below the float range is sized right)
    log2_inv = abs(d.denominator).bit_length() - abs(d.numerator).bit_length()
    need = int(2 * max(0.0, 0.30103 * (log2_inv + 1)) + 25)
    if need > MAX_3X2_DPS:
        raise InvalidArgument(f"delta={float(d):.3g}: deciding the dual slack ≈ 3δ² needs about {need} "
                              f"digits (limit {MAX_3X2_DPS}); pass |δ| ≥ 10^-{(MAX_3X2_DPS - 25) // 2}")
    if dps is None:
        dps = max(30, need)
    else:
        dps = bounded_int(dps, "dps", 5, MAX_3X2_DPS, "working precision in digits")
    return d, lam_f, f, dps


def _arb(q: Fraction) -> Any:
    return flint.arb(flint.fmpq(q.numerator, q.denominator))


def _balls(d: Fraction, scale_sq: Fraction | None = None) -> tuple[list, list, list, list]:
    """``A_δ``, the diagonal of ``D_δ``, ``B = A_δ D_δ`` and ``y`` as balls at the working precision.

    With ``scale_sq = s²`` the data ``B, y`` are multiplied by ``s`` (so that the certificate's λ is 1).
    """
    db = _arb(d)
    r = 1 / flint.arb(2).sqrt()
    A = [[r - db, r], [-r - db, -r], [2 * db, flint.arb(0)]]
    D = [flint.arb(3).sqrt() / (1 + 6 * db * db).sqrt(), flint.arb(3).sqrt()]
    B = [[A[i][k] * D[k] for k in range(2)] for i in range(_M)]
    y = [r, -r, flint.arb(0)]
    if scale_sq is not None:
        t = _arb(scale_sq).sqrt()
        B = [[v * t for v in row] for row in B]
        y = [v * t for v in y]
    return A, D, B, y


def _exact_data(d: Fraction, dps: int, scale_sq: Fraction | None = None) -> tuple[list, list]:
    """``(B, y)`` as balls at ``dps`` digits or the current precision, whichever is higher."""
    with precision(prec=max(dps_to_bits(dps), int(flint.ctx.prec))):
        _, _, B, y = _balls(d, scale_sq)
    return B, y


def _cross_check(enclosure: Any, support: Any, x: list) -> None:
    """The certified balls must contain the closed form ``x`` (a cross-check of both)."""
    for k, (mid, rad) in enumerate(enclosure):
        if not flint.arb(mid, rad).overlaps(x[k]):
            raise SolverError(f"internal: closed form and certificate disagree at {k}")
    if list(support) != [1]:
        raise SolverError("internal: the certified support is not {2}")
