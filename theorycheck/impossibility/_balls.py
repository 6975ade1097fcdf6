"""Ball-arithmetic helpers of the impossibility checks (python-flint ``arb``).

Conversions of balls to float64, mpmath numbers, exact fractions and decimal
strings, the orthonormal DCT-II as balls, the "undecided or wrong" error of a
ball inequality, and a certified lower bound on ``−log10``.

Theorem: none (infrastructure for docs/theory.md §6).
Rigor: proven (ball arithmetic; conversions of midpoints are exact or correctly rounded).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import flint
import mpmath

from theorycheck.errors import InsufficientPrecision, SolverError
from theorycheck.numerics.exact import ball_lower, ball_to_strings
from theorycheck.numerics.precision import bits_to_dps, precision

__all__ = ["dct_balls", "clear_dct_cache", "arb_to_float", "arb_to_mpf", "arb_mid_fraction", "ball_strings",
           "undecided_or_wrong", "neg_log10_lower"]

#: the DCT matrices built so far, by ``(size, precision in bits)`` (at most 64 kept)
DCT_CACHE: dict[tuple[int, int], list] = {}


def dct_balls(M: int) -> list:
    """Orthonormal DCT-II matrix of size ``M`` as balls at the working precision (cached).

    Theorem: none (infrastructure).
    Rigor: proven (ball arithmetic).
    """
    key = (M, int(flint.ctx.prec))
    if key not in DCT_CACHE:
        if len(DCT_CACHE) > 64:
            DCT_CACHE.clear()
        s0 = (flint.arb(1) / M).sqrt()
        s1 = (flint.arb(2) / M).sqrt()
        DCT_CACHE[key] = [[(s0 if k == 0 else s1 * flint.arb(flint.fmpq(k * (2 * i + 1), 2 * M)).cos_pi())
                           for i in range(M)] for k in range(M)]
    return DCT_CACHE[key]


def clear_dct_cache() -> None:
    """Forget the cached DCT matrices (benchmarks time a cold build).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    DCT_CACHE.clear()


def arb_to_float(b: Any) -> float:
    """Float64 nearest to the ball's midpoint (explicit round-to-nearest of the exact dyadic midpoint).

    Theorem: none (infrastructure).
    Rigor: exact midpoint, correctly rounded.
    """
    man, exp = b.mid().man_exp()
    man, exp = int(man), int(exp)
    if man == 0:
        return 0.0
    if abs(man).bit_length() > 900:  # float(man) would overflow: Fraction → float rounds correctly too
        return float(Fraction(man) * Fraction(2) ** exp)
    return math.ldexp(float(man), exp)  # int → float rounds correctly, ldexp is then exact


def arb_to_mpf(b: Any) -> Any:
    """The ball's midpoint as an mpmath number (exact).

    Theorem: none (infrastructure).
    Rigor: exact.
    """
    man, exp = b.mid().man_exp()
    return mpmath.mpf((int(man), int(exp)))


def arb_mid_fraction(b: Any) -> Fraction:
    """The ball's midpoint as an exact fraction.

    Theorem: none (infrastructure).
    Rigor: exact.
    """
    man, exp = b.mid().man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2 ** exp) if exp >= 0 else Fraction(man, 2 ** (-exp))


def ball_strings(v: Any) -> tuple[str, str]:
    """``(midpoint, radius)`` decimal strings of a ball (``("0", "0")`` for an exact zero).

    Theorem: none (infrastructure).
    Rigor: proven (the printed ball contains the original).
    """
    return ("0", "0") if v.is_zero() else ball_to_strings(v)


def undecided_or_wrong(ball: Any, what: str) -> Exception:
    """The error to raise when ``ball > 0`` is not proven: undecided (it contains 0) or false.

    Theorem: none (infrastructure).
    Rigor: proven (the distinction is decided on the ball).
    """
    if ball.contains(0):
        return InsufficientPrecision(f"could not decide {what} at {flint.ctx.prec} bits",
                                     needed_dps=2 * bits_to_dps(int(flint.ctx.prec)))
    return SolverError(f"the dual certificate fails: {what} does not hold (x is not the unique "
                       "minimiser on this support, or not provably so)")


def neg_log10_lower(hi: float) -> float:
    """A lower bound on ``−log10(hi)`` (``inf`` for 0), rounded deterministically (ball arithmetic).

    Theorem: none (infrastructure).
    Rigor: proven (outward rounded).
    """
    if hi == 0:
        return float("inf")
    with precision(prec=80):
        return ball_lower(-(flint.arb(hi).log() / flint.arb(10).log()))
