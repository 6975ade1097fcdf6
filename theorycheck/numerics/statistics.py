"""Confidence intervals for counted events (random-noise trials, fooling rates, failure frequencies).

Theorem: Clopper–Pearson (1934): the exact binomial confidence interval.
Rigor: statistical; the interval ends are rounded outward to 10 significant
digits so that verifiers re-derive the same bits with any scipy that agrees to
that many digits.
"""

from __future__ import annotations

from typing import Any

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.rounding import round_sig
from theorycheck.numerics.validation import integer_arg, probability_arg

__all__ = ["clopper_pearson"]


def clopper_pearson(k: Any, n: Any, confidence: Any = 0.95) -> tuple[float, float]:
    """Two-sided Clopper–Pearson interval for ``k`` successes in ``n`` independent trials.

    The ends come from scipy's ``beta.ppf`` and are rounded outward to 10
    significant digits. ``n = 0`` gives ``(0, 1)``.

    Parameters
    ----------
    k, n : int
        Successes and trials, ``0 ≤ k ≤ n``.
    confidence : float
        Coverage of the interval, in ``(0, 1)``.

    Returns
    -------
    tuple of float
        ``(low, high)`` with ``0 ≤ low ≤ k/n ≤ high ≤ 1``.

    Examples
    --------
    >>> clopper_pearson(0, 10)[0], clopper_pearson(10, 10)[1]
    (0.0, 1.0)

    Theorem: Clopper–Pearson (1934): the exact binomial confidence interval.
    Rigor: statistical (coverage ≥ ``confidence`` for independent trials); ends to 10 digits, outward.
    """
    from scipy.stats import beta  # scipy.stats is slow to import: only when drawing intervals

    k = integer_arg(k, "k", minimum=0)
    n = integer_arg(n, "n", minimum=0)
    if k > n:
        raise InvalidArgument(f"k = {k} successes exceed n = {n} trials: pass 0 ≤ k ≤ n")
    confidence = probability_arg(confidence, "confidence")
    if n == 0:
        return 0.0, 1.0
    alpha = 1.0 - confidence
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return max(0.0, round_sig(lo, 10, up=False)), min(1.0, round_sig(hi, 10, up=True))
