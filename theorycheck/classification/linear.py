"""The seeds' linear-model fact as a proven check: ``w·x`` moves by ``ε‖w‖₁`` under ``‖Δx‖_∞ ≤ ε`` (docs/theory.md §5).

:func:`check_linear_sensitivity` computes the change in exact rational
arithmetic on the float64 data; its verifier recomputes it from the stored
``w, x, ε, b``.

Theorem: docs/theory.md §5 (Goodfellow, Shlens, Szegedy 2014).
Rigor: proven (exact rational arithmetic; Hölder's inequality).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from theorycheck.classification._common import THEOREM, as_float64
from theorycheck.errors import InvalidArgument
from theorycheck.numerics.exact import decimal_string
from theorycheck.numerics.validation import finite_real_arg, real_arg, refuse_size
from theorycheck.results import (
    CheckResult,
    Outcome,
    Rigor,
    Witness,
    claim_mismatches,
    register_verifier,
    verification,
)

__all__ = ["check_linear_sensitivity", "verify_linear_sensitivity"]


def _exact_dot(a: np.ndarray, b: np.ndarray) -> Fraction:
    """Exact ``Σ a_i b_i`` of float64 arrays (binary64 numbers are dyadic rationals)."""
    ma, ea = np.frexp(a)
    mb, eb = np.frexp(b)
    Ma = (ma * 2.0 ** 53).astype(np.int64)  # exact: |m| < 1 has 53 significant bits
    Mb = (mb * 2.0 ** 53).astype(np.int64)
    E = ea.astype(np.int64) + eb.astype(np.int64) - 106
    nz = (Ma != 0) & (Mb != 0)
    if not nz.any():
        return Fraction(0)
    Ma, Mb, E = Ma[nz], Mb[nz], E[nz]
    emin = int(E.min())
    total = sum((int(p) * int(q)) << (int(e) - emin) for p, q, e in zip(Ma, Mb, E))
    return Fraction(total) * (Fraction(2) ** emin)


def _frac_str(f: Fraction) -> str:
    return decimal_string(f, 25)


def _frac_overflows(f: Fraction) -> bool:
    try:
        float(f)
    except OverflowError:
        return True
    return False


def _frac_float(f: Fraction) -> float:
    """``float(f)``, or ±inf where ``f`` exceeds the float64 range (``float(Fraction)`` raises)."""
    try:
        return float(f)
    except OverflowError:
        return math.inf if f > 0 else -math.inf


_LINEAR_MAX_D = 10 ** 7


def check_linear_sensitivity(w: Any, x: Any, eps: float, *, b: float = 0.0) -> CheckResult:
    """The seeds' linear-model fact: under ``‖Δx‖_∞ ≤ ε``, ``w·x`` changes by at most ``ε‖w‖₁``, attained.

    ``w·(x + Δx) + b − (w·x + b) = w·Δx ≤ ‖w‖₁‖Δx‖_∞`` (Hölder), with
    equality at ``Δx = ε sign(w)``; and ``ε‖w‖₁ = ε d ⟨|w|⟩`` grows with the
    dimension ``d``. The check computes, in exact rational arithmetic, the
    change ``w·Δx`` at ``Δx = ε sign(w)`` and confirms that it equals
    ``ε‖w‖₁``; it also decides exactly whether that perturbation (pointed
    towards the boundary) flips the sign of ``w·x + b``, i.e. whether
    ``ε‖w‖₁ > |w·x + b|``, and the smallest such ``ε``, ``|w·x + b|/‖w‖₁``.

    Parameters
    ----------
    w, x : array_like
        Weights and input (same shape, real, finite).
    eps : float
        The ``ℓ∞`` radius ``ε ≥ 0`` (a number: strings and bools are refused).
    b : float
        Bias (finite).

    Returns
    -------
    CheckResult
        ``holds`` (``proven``) with values ``change`` (= ``ε‖w‖₁``),
        ``change_exact`` (decimal string), ``l1_norm``, ``d``, ``mean_abs_w``,
        ``score`` (``w·x + b``), ``eps_to_flip``, ``flips`` and
        ``float64_change`` (the same change evaluated in float64 at the rounded
        input ``x + Δx``); witness ``Δx``.

    Examples
    --------
    >>> res = check_linear_sensitivity([1.0, -2.0, 0.5], [0.1, 0.2, 0.3], 0.01)
    >>> res.holds, res["change"], round(res["eps_to_flip"], 6), res["flips"]
    (True, 0.035, 0.042857, False)

    Theorem: docs/theory.md §5 (linear model under ``‖Δx‖_∞ ≤ ε`` changes by
    ``ε‖w‖₁ ≈ ε d ⟨|w|⟩``; Goodfellow, Shlens, Szegedy 2014).
    Rigor: proven (exact rational arithmetic on the float64 data; the upper
    bound is Hölder's inequality).
    """
    eps_f = real_arg(eps, "eps", allow_zero=True)
    b_f = finite_real_arg(b, "b")
    W = as_float64(w, "w").ravel()
    Xv = as_float64(x, "x")
    if Xv.size != W.size:
        raise InvalidArgument(f"w has {W.size} entries but x has {Xv.size}: pass arrays of the same size")
    Xv = Xv.ravel()
    if not (np.isfinite(W).all() and np.isfinite(Xv).all()):
        raise InvalidArgument("w and x must be finite (no NaN or inf)")
    refuse_size(W.size, _LINEAR_MAX_D, "the exact sums over w and x",
                "the exact rational arithmetic costs about a microsecond per entry")
    d = W.size
    dx = eps_f * np.sign(W)  # exact: ±ε or 0
    l1 = _exact_dot(np.abs(W), np.ones(d))
    bound = Fraction(eps_f) * l1
    attained = _exact_dot(W, dx)
    holds = attained == bound
    score = _exact_dot(W, Xv) + Fraction(b_f)
    eps_flip = abs(score) / l1 if l1 else None
    flips = bool(bound > abs(score)) if l1 else False
    # towards the boundary; the sign from the exact score (float(score) may overflow or underflow)
    sgn = (score > 0) - (score < 0)
    x_adv = Xv - sgn * dx if sgn != 0 else Xv + dx
    with np.errstate(all="ignore"):
        f64_change = float(np.dot(W, x_adv) - np.dot(W, Xv))
    overflow = [name for name, f in (("change", bound), ("l1_norm", l1), ("score", score),
                                     ("eps_to_flip", eps_flip)) if f is not None and _frac_overflows(f)]
    values = {
        "change": _frac_float(bound), "change_exact": _frac_str(bound), "l1_norm": _frac_float(l1), "d": d,
        "mean_abs_w": _frac_float(l1 / d) if d else 0.0, "eps": eps_f, "score": _frac_float(score),
        "score_exact": _frac_str(score),
        "eps_to_flip": _frac_float(eps_flip) if eps_flip is not None else float("inf"),
        "eps_to_flip_exact": _frac_str(eps_flip) if eps_flip is not None else "inf",
        "flips": flips, "float64_change": abs(f64_change),
    }
    note = ""
    if overflow:
        note = (f"; {', '.join(overflow)} exceed the float64 range (stored as ±inf; exact decimal "
                "values in *_exact)")
    if not math.isfinite(f64_change):
        note += "; float64_change overflows in float64 (the exact change is change_exact)"
    msg = (f"max over ‖Δx‖∞ ≤ {eps_f:g} of w·Δx = ε‖w‖₁ = ε d⟨|w|⟩ = {values['change']:.6g} "
           f"(d = {d}), attained at Δx = ε sign(w) (exact); the sign of w·x + b "
           f"{'flips' if flips else 'does not flip'} (it needs ε > {values['eps_to_flip']:.6g})" + note)
    outcome = Outcome.HOLDS if holds else Outcome.VIOLATED  # VIOLATED would mean an arithmetic bug
    return CheckResult("linear_sensitivity", outcome, Rigor.PROVEN, msg, values,
                       Witness("linf_perturbation", {"w": W, "x": Xv, "eps": eps_f, "b": b_f, "dx": dx}),
                       THEOREM)


@register_verifier("linear_sensitivity")
def verify_linear_sensitivity(result: CheckResult) -> CheckResult:
    """Recompute the check from the stored ``w, x, ε, b`` (exact arithmetic) and compare every claim.

    Registered for ``linear_sensitivity`` results (``theorycheck verify``).

    Theorem: docs/theory.md §5 (linear model under ``‖Δx‖_∞ ≤ ε``).
    Rigor: proven (exact rational arithmetic, re-derived).
    """
    wit = result.witness
    keys = ("w", "x", "eps", "b", "dx")
    if wit is None or wit.kind != "linf_perturbation" or set(wit.data) != set(keys):
        return verification(result, ["witness: expected a 'linf_perturbation' witness with exactly "
                                     "w, x, eps, b and dx"], rederived="nothing")
    try:
        again = check_linear_sensitivity(wit["w"], wit["x"], wit["eps"], b=wit["b"])
    except InvalidArgument as exc:
        return verification(result, [f"witness: not valid input: {exc}"], rederived="nothing")
    return verification(result, claim_mismatches(result, again),
                        rederived="every value, Δx, the outcome, rigor and message, in exact rational "
                                  "arithmetic from the stored w, x, ε and b")
