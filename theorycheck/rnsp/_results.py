"""The result type of the rNSP constants and the plumbing shared by their checks and verifiers.

:class:`ConstantResult` is what :func:`~theorycheck.rnsp.rip_constant`,
:func:`~theorycheck.rnsp.nsp_constant` and :func:`~theorycheck.rnsp.rnsp_gamma`
return. Every result stores what ``theorycheck verify`` needs (:func:`finish`:
the matrix when it has at most :data:`MAX_STORED_ENTRIES` entries, ``W_used``,
the options) and each verifier, which sits beside its check, re-derives the
whole result through :func:`verify_with` and compares it field by field.

Theorem: docs/theory.md §2 (definitions of δ_s, α_k and the rNSP constants).
Rigor: ``lower_rigor`` and ``upper_rigor`` separately; ``rigor`` the weaker.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Mapping

import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, PreconditionError, SolverError
from theorycheck.numerics.precision import precision
from theorycheck.results import (
    CheckResult,
    Outcome,
    Rigor,
    Witness,
    claim_mismatches,
    register_result,
    verification,
)
from theorycheck.rnsp._common import WITNESS_BITS, BadWitness

__all__ = ["ConstantResult"]


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class ConstantResult(CheckResult):
    """A computed constant (``δ_s``, ``α_k``, ``γ``) as a certified interval.

    Parameters
    ----------
    value : float
        The side of the interval that is safe to use: the upper bound for
        ``δ_s``, ``α_k`` and ``γ`` (small is good for all three).
    lower, upper : float
        Bounds with ``lower ≤ constant ≤ upper``, each rounded outward.
    lower_rigor, upper_rigor : Rigor
        How each side was established; ``rigor`` is the weaker of the two.
    method : str
        The method used (``"exact"``, ``"enumerate"``, ``"milp"``, ``"bounds"`` ...).

    ``outcome`` is ``holds``/``violated`` for the property the constant decides
    (NSP(k) ⇔ ``α_k < 1/2``; rNSP with ``ρ`` ⇔ ``γ < ∞``), ``holds`` for a
    plain enclosure (``δ_s``) and ``inconclusive`` when the interval does not
    decide. ``witness`` holds the worst support and the vector behind
    ``lower``.

    Theorem: docs/theory.md §2 (definitions of δ_s, α_k and the rNSP constants).
    Rigor: ``lower_rigor`` and ``upper_rigor`` separately; ``rigor`` the weaker.
    """

    value: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    lower_rigor: Rigor = Rigor.NUMERICAL
    upper_rigor: Rigor = Rigor.NUMERICAL
    method: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "lower_rigor", Rigor(self.lower_rigor))
        object.__setattr__(self, "upper_rigor", Rigor(self.upper_rigor))
        for name in ("value", "lower", "upper"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def exact(self) -> bool:
        """True when ``lower == upper`` up to 1e-9 relative (an exact answer)."""
        if not (math.isfinite(self.lower) and math.isfinite(self.upper)):
            return self.lower == self.upper
        return self.upper - self.lower <= 1e-9 * max(1.0, abs(self.upper))

    def __float__(self) -> float:
        return self.value


def make_result(check: str, *, lower: float, upper: float, lower_rigor: Rigor, upper_rigor: Rigor,
                method: str, message: str, outcome: Outcome = Outcome.HOLDS,
                values: Mapping[str, Any] | None = None, witness: Witness | None = None,
                theorem: str = "docs/theory.md §2") -> ConstantResult:
    """Build a :class:`ConstantResult` with ``value = upper``."""
    vals = {"lower": float(lower), "upper": float(upper)}
    vals.update(values or {})
    return ConstantResult(
        check=check, outcome=outcome, rigor=Rigor.weakest(lower_rigor, upper_rigor), message=message,
        values=vals, witness=witness, theorem=theorem, value=float(upper), lower=float(lower),
        upper=float(upper), lower_rigor=lower_rigor, upper_rigor=upper_rigor, method=method)


def consistent(lower: float, upper: float, what: str) -> None:
    """Two proven bounds must not cross: if they do, a certificate is wrong (raise, never report)."""
    if lower > upper:
        raise SolverError(f"internal inconsistency: proven bounds of {what} cross ({lower!r} > {upper!r}); "
                          "please report this instance")


def count_value(n: int) -> int | float:
    """A count for ``values``: the int itself up to 2⁵³, else a float (``inf`` beyond the float range)."""
    if n <= 2 ** 53:
        return int(n)
    try:
        return float(n)
    except OverflowError:
        return math.inf


# --------------------------------------------------------------------------------------
# what every result stores (the matrix, W_used) and the rigor cap of A W^*
# --------------------------------------------------------------------------------------

#: matrices up to this many entries are stored in witnesses (for ``theorycheck verify``)
MAX_STORED_ENTRIES = 250_000

W_NOTE = (" [rigor capped at certified-float64: the matrix A W^* was formed in float64, so the "
          "certificate is for fl(A W^*)]")


def cap_for_W(res: Any, used_W: bool) -> Any:
    """``res`` with every rigor capped at certified-float64 when ``A W^*`` was formed in float64."""
    if not used_W:
        return res

    def cap(r: Rigor) -> Rigor:
        return min(r, Rigor.CERTIFIED_FLOAT64, key=lambda x: x.rank)

    if isinstance(res, ConstantResult):
        return dataclasses.replace(res, rigor=cap(res.rigor), lower_rigor=cap(res.lower_rigor),
                                   upper_rigor=cap(res.upper_rigor), message=res.message + W_NOTE)
    return dataclasses.replace(res, rigor=cap(res.rigor), message=res.message + W_NOTE)


def store_matrix(w: Witness, B: np.ndarray) -> Witness:
    """``w`` with the matrix ``B`` as ``w["A"]`` when it is small enough to store."""
    if B.size <= MAX_STORED_ENTRIES:
        return Witness(w.kind, {**w.data, "A": B})
    return w


def finish(res: Any, B: np.ndarray, used_W: bool, **extra: Any) -> Any:
    """The returned (and re-derived) form of a result: matrix, ``W_used`` and ``extra`` stored, rigor capped."""
    w = store_matrix(res.witness if res.witness is not None else Witness(res.check, {}), B)
    w = Witness(w.kind, {**w.data, "W_used": bool(used_W), **extra})
    return cap_for_W(dataclasses.replace(res, witness=w), used_W)


# --------------------------------------------------------------------------------------
# verifier plumbing
# --------------------------------------------------------------------------------------
#
# Each verifier reads the saved witness only (never the file's outcome, rigor, message or
# values), validates every field it uses, re-derives the whole result — by the same
# deterministic assembly the check used, re-running the enumeration or the certificate where
# that is what proved a bound — and compares it field by field with the saved one
# (claim_mismatches: floats bit for bit). Re-runs use LAPACK, HiGHS and clarabel: a file made
# on another machine can differ in the last bits of such numbers and is then reported, never
# accepted with slack.

#: largest re-run a verifier performs (supports for δ_s, (support, sign) patterns for α_k)
VERIFY_MAX_SUPPORTS = 10 ** 8
VERIFY_MAX_PATTERNS = 5 * 10 ** 7
VERIFY_MAX_CONE_PROGRAMS = 2 * 10 ** 6


def big(n: int) -> str:
    """A count for a message (``10^k`` beyond 30 digits: Python refuses to print huge ints)."""
    return f"{n:,}" if n < 10 ** 30 else f"about 10^{int(math.log10(n))}"


class Refused(InvalidArgument):
    """A saved result too large to re-derive here (raised, with the size)."""


def verify_with(check: str, result: CheckResult, derive: Callable[[Witness], tuple[CheckResult, str]],
                needs_matrix: bool = True) -> CheckResult:
    """Run ``derive(witness) -> (re-derived result, what was re-derived)`` and compare exactly."""
    w = result.witness
    if w is None:
        return verification(result, ["the result has no witness"], rederived="nothing")
    if needs_matrix and "A" not in w.data:
        return CheckResult(f"verify:{check}", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           "the witness does not store the matrix (too large): re-run the computation")
    try:
        with precision(prec=WITNESS_BITS):
            derived, what = derive(w)
    except Refused:
        raise
    except BadWitness as exc:
        return verification(result, [str(exc)], rederived="nothing (invalid witness)")
    except (InvalidArgument, PreconditionError, SolverError, InsufficientPrecision) as exc:
        return verification(result, [f"the witness does not re-derive the result: {exc}"], rederived="nothing")
    except (ValueError, TypeError, IndexError, KeyError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return verification(result, [f"re-derivation failed on the stored witness: {type(exc).__name__}: {exc}"],
                            rederived="nothing")
    return verification(result, claim_mismatches(result, derived), rederived=what)
