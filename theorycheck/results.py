"""Result objects: outcome and rigor kept apart, witnesses stored, JSON round-trip.

Every check returns a :class:`CheckResult` (or a subclass). Its ``outcome``
says what was found (the property holds, is violated, or could not be
decided) and its ``rigor`` how sure that is:

* ``proven``: exact or ball arithmetic;
* ``certified-float64``: a witness re-evaluated in float64 on the CPU (twice);
* ``numerical``: an estimate.

``to_json``/``from_json`` round-trip; arbitrary-precision numbers (python-flint
balls, mpmath numbers, fractions) are stored as decimal strings so that no
digit is lost, and arrays keep their dtype and shape.

Theorem: none (infrastructure).
Rigor: not applicable.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
from fractions import Fraction
from typing import Any, Iterable, Mapping

import numpy as np

from theorycheck.errors import InvalidArgument

__all__ = [
    "Outcome",
    "Rigor",
    "Witness",
    "CheckResult",
    "Report",
    "register_result",
    "encode",
    "decode",
    "load",
    "register_verifier",
    "verify_result",
]


class Outcome(str, enum.Enum):
    """What a check found.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """

    HOLDS = "holds"
    VIOLATED = "violated"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


class Rigor(str, enum.Enum):
    """How a result was established; ordered ``NUMERICAL < CERTIFIED_FLOAT64 < PROVEN``.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """

    NUMERICAL = "numerical"
    CERTIFIED_FLOAT64 = "certified-float64"
    PROVEN = "proven"

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        return _RIGOR_RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Rigor):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Rigor):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Rigor):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Rigor):
            return NotImplemented
        return self.rank >= other.rank

    @staticmethod
    def weakest(*rigors: "Rigor") -> "Rigor":
        """The weakest of several rigors (a chain is only as sure as its weakest link)."""
        return min(rigors, key=lambda r: r.rank)


_RIGOR_RANK = {Rigor.NUMERICAL: 0, Rigor.CERTIFIED_FLOAT64: 1, Rigor.PROVEN: 2}


# --------------------------------------------------------------------------------------
# JSON encoding of values
# --------------------------------------------------------------------------------------

def encode(value: Any) -> Any:
    """Encode a value as JSON-compatible data (see :func:`decode`).

    numpy arrays keep dtype and shape (float data bit-exact, via base64);
    python-flint balls, mpmath numbers and fractions become decimal or exact
    strings; nested dicts, lists, tuples and results are encoded recursively.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    if isinstance(value, enum.Enum):  # before str: Outcome and Rigor are str enums
        return {"__enum__": type(value).__name__, "value": value.value}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if np.isfinite(f):
            return f
        return {"__float__": repr(f)}
    if isinstance(value, (complex, np.complexfloating)):
        return {"__complex__": [encode(float(value.real)), encode(float(value.imag))]}
    if isinstance(value, Fraction):
        return {"__fraction__": f"{value.numerator}/{value.denominator}"}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return {"__objarray__": [encode(v) for v in value.ravel()], "shape": list(value.shape)}
        arr = np.ascontiguousarray(value)
        return {
            "__ndarray__": base64.b64encode(arr.tobytes()).decode("ascii"),
            "dtype": arr.dtype.str,
            "shape": list(arr.shape),
        }
    tname = type(value).__name__
    if tname == "arb":
        from theorycheck.numerics.exact import ball_to_strings

        mid, rad = ball_to_strings(value)
        # decimal strings for people, exact dyadic (mantissa, exponent) pairs for the round trip
        exact = [[str(int(m)), int(e)] for m, e in (value.mid().man_exp(), value.rad().man_exp())]
        return {"__arb__": [mid, rad], "exact": exact}
    if tname == "acb":
        return {"__acb__": [encode(value.real), encode(value.imag)]}
    if tname == "mpf":
        import mpmath

        return {"__mpf__": mpmath.nstr(value, int(mpmath.mp.dps) + 5, strip_zeros=False)
                if mpmath.isfinite(value) else str(value),
                "man_exp": [str(m) for m in _signed_man_exp(value)]
                if mpmath.isfinite(value) and value != 0 else None}
    if tname == "mpc":
        return {"__mpc__": [encode(value.real), encode(value.imag)]}
    if isinstance(value, CheckResult):
        return {"__result__": value.to_dict()}
    if isinstance(value, Witness):
        return {"__witness__": value.to_dict()}
    if isinstance(value, Mapping) and all(isinstance(k, str) and not k.startswith("__") for k in value):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, Mapping):
        return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, (list, set, frozenset)):
        return [encode(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__dataclass__": type(value).__name__,
                "fields": {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    raise InvalidArgument(f"cannot store a value of type {type(value).__name__} in a result")


def decode(data: Any) -> Any:
    """Inverse of :func:`encode` (dataclasses other than results come back as dicts).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__enum__" in data:
        cls = {"Outcome": Outcome, "Rigor": Rigor}.get(data["__enum__"])
        return cls(data["value"]) if cls else data["value"]
    if "__float__" in data:
        return float(data["__float__"])
    if "__complex__" in data:
        re, im = data["__complex__"]
        return complex(decode(re), decode(im))
    if "__fraction__" in data:
        return Fraction(data["__fraction__"])
    if "__ndarray__" in data:
        raw = base64.b64decode(data["__ndarray__"])
        return np.frombuffer(raw, dtype=np.dtype(data["dtype"])).reshape(data["shape"]).copy()
    if "__objarray__" in data:
        out = np.empty(len(data["__objarray__"]), dtype=object)
        out[:] = [decode(v) for v in data["__objarray__"]]
        return out.reshape(data["shape"])
    if "__arb__" in data:
        import flint

        if data.get("exact"):
            (mm, me), (rm, re_) = data["exact"]
            return flint.arb(_dyadic(int(mm), int(me)), _dyadic(int(rm), int(re_)))
        mid, rad = data["__arb__"]
        return flint.arb(mid, rad)
    if "__acb__" in data:
        import flint

        return flint.acb(decode(data["__acb__"][0]), decode(data["__acb__"][1]))
    if "__mpf__" in data:
        import mpmath

        if data.get("man_exp"):
            man, exp = (int(v) for v in data["man_exp"])
            return mpmath.mpf((int(man), int(exp)))  # exact binary value
        return mpmath.mpf(data["__mpf__"])
    if "__mpc__" in data:
        import mpmath

        return mpmath.mpc(decode(data["__mpc__"][0]), decode(data["__mpc__"][1]))
    if "__result__" in data:
        return CheckResult.from_dict(data["__result__"])
    if "__witness__" in data:
        return Witness.from_dict(data["__witness__"])
    if "__dict__" in data:
        return {_hashable(decode(k)): decode(v) for k, v in data["__dict__"]}
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__dataclass__" in data:
        return {k: decode(v) for k, v in data["fields"].items()}
    return {k: decode(v) for k, v in data.items()}


def _signed_man_exp(value: Any) -> tuple[int, int]:
    from theorycheck.numerics.exact import _mpf_man_exp

    return _mpf_man_exp(value)


def _dyadic(man: int, exp: int) -> Any:
    import flint

    # exact at any working precision: fmpq holds man * 2^exp without rounding
    return flint.arb(flint.fmpq(man * 2 ** exp, 1) if exp >= 0 else flint.fmpq(man, 2 ** (-exp)))


def _hashable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


# --------------------------------------------------------------------------------------
# Witness and results
# --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Witness:
    """Data that lets anyone re-check a result (inputs, perturbations, vectors).

    Parameters
    ----------
    kind : str
        What the witness is (``"perturbation"``, ``"kernel_vector"``, ...).
    data : dict
        Named values (arrays are stored as read-only copies).

    Theorem: none.
    Rigor: not applicable (the result carrying it states the rigor).
    """

    kind: str
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", _frozen_mapping(self.data))

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "data": {k: encode(v) for k, v in self.data.items()}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Witness":
        return cls(kind=d["kind"], data={k: decode(v) for k, v in d["data"].items()})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Witness) and self.kind == other.kind and _equal(self.data, other.data)

    __hash__ = None  # type: ignore[assignment]


def _readonly(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        v = v.copy()
        v.setflags(write=False)
    return v


def _frozen_mapping(m: Mapping[str, Any] | None) -> dict[str, Any]:
    return {str(k): _readonly(v) for k, v in (m or {}).items()}


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype == object or b.dtype == object:
            return a.shape == b.shape and all(_equal(x, y) for x, y in zip(a.ravel(), b.ravel()))
        nan_ok = a.dtype.kind in "fc"  # equal_nan is only defined for float/complex arrays
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=nan_ok))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if type(a).__name__ == "acb" and type(b).__name__ == "acb":
        return _equal(a.real, b.real) and _equal(a.imag, b.imag)
    if type(a).__name__ == "arb" and type(b).__name__ == "arb":
        # python-flint rounds a rebuilt radius up by one unit of its 30-bit mantissa
        ra, rb = float(a.rad()), float(b.rad())
        return bool(a.mid() == b.mid()) and abs(ra - rb) <= 2.0 ** -28 * max(ra, rb)
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return bool(a == b)


_RESULT_TYPES: dict[str, type] = {}


def register_result(cls: type) -> type:
    """Class decorator: make a :class:`CheckResult` subclass loadable by ``from_json``.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    _RESULT_TYPES[cls.__name__] = cls
    return cls


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class CheckResult:
    """Outcome of one check: what was found, how sure, and the evidence.

    Parameters
    ----------
    check : str
        Name of the check (``"instability"``, ``"certified_optimality"``, ...).
    outcome : Outcome
        ``holds``, ``violated`` or ``inconclusive``.
    rigor : Rigor
        ``proven``, ``certified-float64`` or ``numerical``.
    message : str
        One human-readable sentence, including the reason when inconclusive.
    values : dict
        Named numbers (floats, decimal-string balls, arrays).
    witness : Witness, optional
        Data that lets anyone re-check the result.
    theorem : str
        The theorem (or THEORY.md section) the check implements.

    Theorem: none (container).
    Rigor: carried in ``rigor``.
    """

    check: str
    outcome: Outcome
    rigor: Rigor
    message: str = ""
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    witness: Witness | None = None
    theorem: str = ""

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "outcome", Outcome(self.outcome))
            object.__setattr__(self, "rigor", Rigor(self.rigor))
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from exc
        object.__setattr__(self, "values", _frozen_mapping(self.values))

    # -- convenience ------------------------------------------------------------------
    @property
    def holds(self) -> bool:
        """True when the checked property holds."""
        return self.outcome is Outcome.HOLDS

    @property
    def violated(self) -> bool:
        """True when the checked property is violated."""
        return self.outcome is Outcome.VIOLATED

    @property
    def passed(self) -> bool:
        """Alias of :attr:`holds` (used by check suites)."""
        return self.holds

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return all(_equal(getattr(self, f.name), getattr(other, f.name))
                   for f in dataclasses.fields(self))

    __hash__ = None  # type: ignore[assignment]

    def summary(self) -> str:
        """One line: check, outcome, rigor and message."""
        return f"{self.check}: {self.outcome.value} [{self.rigor.value}] {self.message}".rstrip()

    def __str__(self) -> str:
        return self.summary()

    # -- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict (see :func:`encode`)."""
        return {
            "type": type(self).__name__,
            # outcome and rigor as plain strings: readable, and __post_init__ converts back
            "fields": {f.name: (getattr(self, f.name).value if f.name in ("outcome", "rigor")
                                else encode(getattr(self, f.name)))
                       for f in dataclasses.fields(self)},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "CheckResult":
        """Inverse of :meth:`to_dict`; dispatches to registered subclasses."""
        try:
            target = _RESULT_TYPES[d["type"]]
            fields = {k: decode(v) for k, v in d["fields"].items()}
        except (KeyError, TypeError) as exc:
            raise InvalidArgument(f"not a theorycheck result: {exc}") from exc
        if fields.get("witness") is not None and not isinstance(fields["witness"], Witness):
            raise InvalidArgument("malformed result: witness is not a Witness")
        return target(**fields)

    def to_json(self, path: str | None = None, *, indent: int | None = 1) -> str:
        """Serialise to a JSON string (and write it to ``path`` if given)."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        return text

    @classmethod
    def from_json(cls, text_or_path: str) -> "CheckResult":
        """Load a result from a JSON string or a file path."""
        return cls.from_dict(_load_json(text_or_path))


def _load_json(text_or_path: str) -> Any:
    text = text_or_path
    if not text_or_path.lstrip().startswith(("{", "[")):
        try:
            with open(text_or_path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise InvalidArgument(f"cannot read {text_or_path!r}: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"not valid JSON: {exc}") from exc


@dataclasses.dataclass(frozen=True, eq=False)
class Report:
    """A list of check results with an overall verdict.

    ``passed`` is True when no result is ``violated`` (inconclusive results do
    not fail a report unless ``strict=True``).

    Theorem: none (container).
    Rigor: per result.
    """

    results: tuple[CheckResult, ...] = ()
    title: str = ""
    strict: bool = False

    def __init__(self, results: Iterable[CheckResult] = (), title: str = "", strict: bool = False):
        object.__setattr__(self, "results", tuple(results))
        object.__setattr__(self, "title", title)
        object.__setattr__(self, "strict", strict)
        for r in self.results:
            if not isinstance(r, CheckResult):
                raise InvalidArgument(f"a Report holds CheckResult objects, got {type(r).__name__}")

    @property
    def passed(self) -> bool:
        """True when no check is violated (nor inconclusive, if ``strict``)."""
        return not self.failures()

    def failures(self) -> list[CheckResult]:
        """The results that count as failures."""
        bad = {Outcome.VIOLATED, Outcome.INCONCLUSIVE} if self.strict else {Outcome.VIOLATED}
        return [r for r in self.results if r.outcome in bad]

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Report) and self.title == other.title
                and self.strict == other.strict and list(self.results) == list(other.results))

    __hash__ = None  # type: ignore[assignment]

    def summary(self) -> str:
        """Multi-line text: one line per result and a verdict."""
        lines = [self.title] if self.title else []
        lines += [("  " if self.title else "") + r.summary() for r in self.results]
        n_bad = len(self.failures())
        lines.append(f"{len(self.results) - n_bad} passed, {n_bad} failed")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "Report", "title": self.title, "strict": self.strict,
                "results": [r.to_dict() for r in self.results]}

    def to_json(self, path: str | None = None, *, indent: int | None = 1) -> str:
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        return text

    @classmethod
    def from_json(cls, text_or_path: str) -> "Report":
        d = _load_json(text_or_path)
        if not isinstance(d, dict) or d.get("type") != "Report":
            raise InvalidArgument("not a theorycheck Report")
        return cls([CheckResult.from_dict(r) for r in d["results"]], d.get("title", ""),
                   bool(d.get("strict", False)))


def load(text_or_path: str) -> CheckResult | Report:
    """Load a saved :class:`CheckResult` or :class:`Report` (by its ``type`` field).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    d = _load_json(text_or_path)
    if isinstance(d, dict) and d.get("type") == "Report":
        return Report.from_json(json.dumps(d))
    return CheckResult.from_dict(d)



# --------------------------------------------------------------------------------------
# Re-checking saved results
# --------------------------------------------------------------------------------------

_VERIFIERS: dict[str, Any] = {}


def register_verifier(check: str):
    """Decorator: register ``func(result) -> CheckResult`` that re-checks saved ``check`` results.

    The verifier recomputes the result from its stored witness and returns a
    ``CheckResult`` named ``verify:<check>`` that holds when the saved claims
    are confirmed.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """

    def deco(func):
        _VERIFIERS[check] = func
        return func

    return deco


def verify_result(result: CheckResult) -> CheckResult:
    """Re-check a saved result with the verifier registered for its ``check``.

    Returns an ``inconclusive`` result when no verifier is registered.

    Theorem: the one the saved result states.
    Rigor: the verifier's (never above the saved result's claim).
    """
    func = _VERIFIERS.get(result.check)
    if func is None:
        return CheckResult(f"verify:{result.check}", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           f"no verifier is registered for {result.check!r} results")
    return func(result)
