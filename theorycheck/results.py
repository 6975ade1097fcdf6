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
import binascii
import dataclasses
import enum
import importlib
import inspect
import json
import re
from fractions import Fraction
from typing import Any, ClassVar, Iterable, Mapping

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.numerics.exact import ball_to_strings, mpf_man_exp

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
    "result_type",
    "shorten",
    "verifier_accepts",
    "claim_mismatches",
    "verification",
    "PROVIDERS",
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
                "man_exp": [str(m) for m in mpf_man_exp(value)]
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


#: limits on what a loaded file may ask for (a hostile file must not hang or exhaust memory)
MAX_FILE_BYTES = 512 * 2 ** 20
MAX_DEPTH = 64
MAX_EXPONENT = 2 ** 20          # binary exponents of stored balls and mpmath numbers
MAX_DIGITS = 100_000            # decimal digits of a stored integer, fraction or decimal string
MAX_ARRAY_ITEMS = 2 ** 27       # entries of one stored array
_ARRAY_KINDS = "biufcU"         # bool, int, uint, float, complex, unicode: never object or raw bytes


class _Malformed(InvalidArgument):
    """A loaded value that does not decode (message names the field)."""


def _bad(path: str, why: str) -> _Malformed:
    return _Malformed(f"malformed result file at {path or 'top level'}: {why}")


def _int_field(v: Any, path: str, *, bound: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise _bad(path, f"expected an integer, got {type(v).__name__}")
    if isinstance(v, str):
        t = v.strip()
        if len(t) > MAX_DIGITS or not re.fullmatch(r"[+-]?\d+", t):
            raise _bad(path, "expected an integer string of at most "
                             f"{MAX_DIGITS} digits")
        v = int(t)
    if bound is not None and abs(v) > bound:
        raise _bad(path, f"integer {v} outside ±{bound}")
    return v


def _str_field(v: Any, path: str, *, numeric: bool = False) -> str:
    if not isinstance(v, str):
        raise _bad(path, f"expected a string, got {type(v).__name__}")
    if len(v) > MAX_DIGITS:
        raise _bad(path, f"string longer than {MAX_DIGITS} characters")
    if numeric:
        m = re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?(\d+))?\s*|\s*[+-]?(inf|nan)\s*", v,
                         re.IGNORECASE)
        if m is None or (m.group(3) and int(m.group(3)) > MAX_EXPONENT):
            raise _bad(path, f"not a decimal number with a bounded exponent: {v[:40]!r}")
    return v


def _depth_ok(data: Any) -> None:
    stack = [(data, 0)]
    while stack:
        v, d = stack.pop()
        if d > MAX_DEPTH:
            raise _bad("", f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)


def decode(data: Any, path: str = "") -> Any:
    """Inverse of :func:`encode` (dataclasses other than results come back as dicts).

    Malformed or hostile data (unknown dtypes, inconsistent shapes, bad base64,
    exponents beyond :data:`MAX_EXPONENT`, ``1/0``) raise
    :class:`~theorycheck.errors.InvalidArgument` naming the field; nothing in
    a file is ever executed.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    try:
        return _decode(data, path)
    except InvalidArgument:
        raise
    except (TypeError, ValueError, KeyError, IndexError, OverflowError, ZeroDivisionError,
            RecursionError, MemoryError, binascii.Error) as exc:
        raise _bad(path, f"{type(exc).__name__}: {exc}") from None


def _decode(data: Any, path: str) -> Any:
    try:
        return _decode_node(data, path)
    except InvalidArgument:
        raise
    except (TypeError, ValueError, KeyError, IndexError, OverflowError, ZeroDivisionError,
            MemoryError, binascii.Error) as exc:
        raise _bad(path, f"{type(exc).__name__}: {exc}") from None


def _decode_node(data: Any, path: str) -> Any:
    if isinstance(data, list):
        return [_decode(v, f"{path}[{i}]") for i, v in enumerate(data)]
    if isinstance(data, float) and not np.isfinite(data):
        raise _bad(path, "non-finite numbers are stored as {'__float__': ...}")
    if isinstance(data, int) and not isinstance(data, bool) and abs(data) >= 10 ** MAX_DIGITS:
        raise _bad(path, "integer too large")
    if not isinstance(data, dict):
        return data
    if "__enum__" in data:
        cls = {"Outcome": Outcome, "Rigor": Rigor}.get(data["__enum__"])
        if cls is None:
            raise _bad(path, f"unknown enum {data['__enum__']!r}")
        return cls(data["value"])
    if "__float__" in data:
        text = _str_field(data["__float__"], path, numeric=True)
        return float(text)
    if "__complex__" in data:
        re_, im = data["__complex__"]
        return complex(_decode(re_, path + ".real"), _decode(im, path + ".imag"))
    if "__fraction__" in data:
        text = _str_field(data["__fraction__"], path)
        if not re.fullmatch(r"\s*[+-]?\d+\s*(/\s*\d+\s*)?", text):
            raise _bad(path, f"not a fraction p/q: {text[:40]!r}")
        return Fraction(text)
    if "__ndarray__" in data:
        return _decode_array(data, path)
    if "__objarray__" in data:
        items = data["__objarray__"]
        shape = _shape(data.get("shape"), path)
        if not isinstance(items, list) or len(items) != int(np.prod(shape, dtype=np.int64)):
            raise _bad(path, "object array: the entries do not match the shape")
        out = np.empty(len(items), dtype=object)
        out[:] = [_decode(v, f"{path}[{i}]") for i, v in enumerate(items)]
        return out.reshape(shape)
    if "__arb__" in data:
        import flint

        exact = data.get("exact")
        if exact:
            (mm, me), (rm, re_) = exact
            mid = flint.arf((_int_field(mm, path + ".exact"), _int_field(me, path + ".exact", bound=MAX_EXPONENT)))
            rad = flint.arf((_int_field(rm, path + ".exact"), _int_field(re_, path + ".exact", bound=MAX_EXPONENT)))
            if rad < 0:
                raise _bad(path, "negative ball radius")
            return flint.arb(mid, rad)  # exact midpoint; the radius is rounded up
        mid, rad = data["__arb__"]
        return flint.arb(_str_field(mid, path, numeric=True), _str_field(rad, path, numeric=True))
    if "__acb__" in data:
        import flint

        return flint.acb(_decode(data["__acb__"][0], path + ".real"), _decode(data["__acb__"][1], path + ".imag"))
    if "__mpf__" in data:
        import mpmath

        if data.get("man_exp"):
            man, exp = data["man_exp"]
            return mpmath.mpf((_int_field(man, path + ".man_exp"),
                               _int_field(exp, path + ".man_exp", bound=MAX_EXPONENT)))  # exact binary value
        return mpmath.mpf(_str_field(data["__mpf__"], path, numeric=True))
    if "__mpc__" in data:
        import mpmath

        return mpmath.mpc(_decode(data["__mpc__"][0], path + ".real"), _decode(data["__mpc__"][1], path + ".imag"))
    if "__result__" in data:
        return CheckResult.from_dict(data["__result__"], path=path)
    if "__witness__" in data:
        return Witness.from_dict(data["__witness__"], path=path)
    if "__dict__" in data:
        mapping: dict[Any, Any] = {}
        for i, (k, v) in enumerate(data["__dict__"]):
            key = _hashable(_decode(k, f"{path}.key[{i}]"))
            mapping[key] = _decode(v, f"{path}[{key!r}]")
        return mapping
    if "__tuple__" in data:
        return tuple(_decode(v, f"{path}[{i}]") for i, v in enumerate(data["__tuple__"]))
    if "__dataclass__" in data:
        return {k: _decode(v, f"{path}.{k}") for k, v in data["fields"].items()}
    return {k: _decode(v, f"{path}.{k}" if path else k) for k, v in data.items()}


def _shape(shape: Any, path: str) -> tuple[int, ...]:
    if not isinstance(shape, list) or len(shape) > 32:
        raise _bad(path, "shape must be a list of at most 32 non-negative integers")
    dims = tuple(_int_field(n, path + ".shape", bound=MAX_ARRAY_ITEMS) for n in shape)
    if any(n < 0 for n in dims):
        raise _bad(path, f"negative dimension in shape {list(dims)}")
    total = 1
    for n in dims:
        total *= n
    if total > MAX_ARRAY_ITEMS:
        raise _bad(path, f"array of {total} entries exceeds the limit {MAX_ARRAY_ITEMS}")
    return dims


def _decode_array(data: Mapping[str, Any], path: str) -> np.ndarray:
    try:
        dt = np.dtype(_str_field(data["dtype"], path + ".dtype"))
    except TypeError as exc:
        raise _bad(path, f"unknown dtype {data.get('dtype')!r}") from exc
    if dt.kind not in _ARRAY_KINDS or dt.fields is not None or dt.subdtype is not None:
        raise _bad(path, f"dtype {dt} is not a numeric dtype")
    shape = _shape(data.get("shape"), path)
    b64 = data["__ndarray__"]
    if not isinstance(b64, str):
        raise _bad(path, "array data must be a base64 string")
    raw = base64.b64decode(b64, validate=True)
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) != count * dt.itemsize:
        raise _bad(path, f"{len(raw)} bytes do not hold {count} entries of {dt}")
    return np.frombuffer(raw, dtype=dt).reshape(shape).copy()


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
    def from_dict(cls, d: Mapping[str, Any], path: str = "witness") -> "Witness":
        if not isinstance(d, Mapping) or set(d) != {"kind", "data"}:
            raise _bad(path, "a witness has exactly the fields 'kind' and 'data'")
        if not isinstance(d["kind"], str) or not isinstance(d["data"], Mapping):
            raise _bad(path, "witness 'kind' must be a string and 'data' an object")
        return cls(kind=d["kind"], data={k: decode(v, f"{path}.data.{k}") for k, v in d["data"].items()})

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

#: saved result type or ``check`` name → the module that defines its class and its
#: verifier. Loading imports it on demand, so a fresh process can load and verify
#: any file; ``tests/meta`` checks that every registered type and verifier is listed.
PROVIDERS: dict[str, str] = {
    # result classes
    "ConstantResult": "theorycheck.rnsp",
    "PhaseTransitionResult": "theorycheck.rnsp",
    "InstabilityCertificate": "theorycheck.instability",
    "NoiseInstabilityResult": "theorycheck.instability",
    "TrainingSetAudit": "theorycheck.instability",
    "ChebyshevRadius": "theorycheck.instability",
    "OptimalityConstant": "theorycheck.instability",
    "PerturbationWitness": "theorycheck.search",
    "RobustnessReport": "theorycheck.classification",
    "ClassifierWitness": "theorycheck.classification",
    "UniversalWitness": "theorycheck.classification",
    "FoolingRateTable": "theorycheck.classification",
    "FalseStructureResult": "theorycheck.classification",
    "StabilityCurve": "theorycheck.instability",
    "HallucinationWitness": "theorycheck.instability",
    "ParadoxSets": "theorycheck.instability",
    # check names with a registered verifier
    "certified_optimality": "theorycheck.solvers.certify",
    "certified_optimality_near_degenerate": "theorycheck.testing.checks",
    "zero_above_lambda_max": "theorycheck.testing.checks",
    "optimality": "theorycheck.testing.checks",
    "metamorphic_scaling": "theorycheck.testing.checks",
    "metamorphic_permutation": "theorycheck.testing.checks",
    "metamorphic_sign_phase": "theorycheck.testing.checks",
    "metamorphic_zero_column": "theorycheck.testing.checks",
    "l1_norm_monotone": "theorycheck.testing.checks",
    "scale_and_dynamic_range": "theorycheck.testing.checks",
    "exact_recovery_nsp": "theorycheck.testing.checks",
    "recovery_bound_rnsp": "theorycheck.testing.checks",
    "extreme_scales": "theorycheck.testing.checks",
    "impossibility_barrier": "theorycheck.testing.checks",
    "rip_constant": "theorycheck.rnsp",
    "nsp_constant": "theorycheck.rnsp",
    "rnsp_gamma": "theorycheck.rnsp",
    "rnsp_violation": "theorycheck.rnsp",
    "kernel_awareness": "theorycheck.rnsp",
    "instability": "theorycheck.instability",
    "random_noise_instability": "theorycheck.instability",
    "accuracy": "theorycheck.instability",
    "sampling_monotonicity": "theorycheck.instability",
    "training_set_audit": "theorycheck.instability",
    "optimality_constant": "theorycheck.instability",
    "chebyshev_radius": "theorycheck.instability",
    "worst_perturbation": "theorycheck.search",
    "solver_on_impossibility_family": "theorycheck.impossibility",
    "linear_sensitivity": "theorycheck.classification",
    "classifier_perturbation": "theorycheck.classification",
    "classifier_robustness": "theorycheck.classification",
    "phase_transition": "theorycheck.rnsp",
    "universal_perturbation": "theorycheck.classification",
    "fooling_rate_table": "theorycheck.classification",
    "false_structure": "theorycheck.classification",
    "stability_curve": "theorycheck.instability",
    "hallucination": "theorycheck.instability",
    "paradox_sets": "theorycheck.instability",
    "recovery_bound": "theorycheck.rnsp",
}


def _provide(name: str) -> None:
    module = PROVIDERS.get(name)
    if module is not None:
        importlib.import_module(module)


def result_type(name: str) -> type | None:
    """The registered result class called ``name`` (importing its module if needed), or None.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    if name not in _RESULT_TYPES:
        _provide(name)
    return _RESULT_TYPES.get(name)


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
        The theorem (or docs/theory.md section) the check implements.

    Theorem: none (container).
    Rigor: carried in ``rigor``.
    """

    #: keys of ``values`` (and field names) that record how the result was obtained
    #: (wall time and the like) rather than what it claims; verifiers skip them
    informational: ClassVar[frozenset[str]] = frozenset({"elapsed_s"})

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
    def from_dict(cls, d: Mapping[str, Any], path: str = "") -> "CheckResult":
        """Inverse of :meth:`to_dict`; dispatches to registered subclasses.

        The defining module of the saved type is imported on demand (see
        :func:`provider_module`), so loading works in a fresh process. Unknown,
        missing or mistyped fields raise :class:`InvalidArgument` naming them.
        """
        if not isinstance(d, Mapping) or not isinstance(d.get("type"), str) \
                or not isinstance(d.get("fields"), Mapping):
            raise _bad(path, "not a theorycheck result (expected {'type': ..., 'fields': {...}})")
        target = result_type(d["type"])
        if target is None:
            raise _bad(path + ".type" if path else "type", f"unknown result type {d['type']!r}")
        names = {f.name: f for f in dataclasses.fields(target)}
        unknown = sorted(set(d["fields"]) - set(names))
        if unknown:
            raise _bad(path, f"unknown field(s) {unknown} for {target.__name__}")
        missing = sorted(n for n, f in names.items() if n not in d["fields"]
                         and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
        if missing:
            raise _bad(path, f"missing field(s) {missing} for {target.__name__}")
        prefix = f"{path}." if path else ""
        fields = {k: decode(v, f"{prefix}{k}") for k, v in d["fields"].items()}
        for k in ("check", "message", "theorem"):
            if k in fields and not isinstance(fields[k], str):
                raise _bad(prefix + k, f"expected a string, got {type(fields[k]).__name__}")
        if "values" in fields and not isinstance(fields["values"], Mapping):
            raise _bad(prefix + "values", "expected an object of named values")
        if fields.get("witness") is not None and not isinstance(fields["witness"], Witness):
            raise _bad(prefix + "witness", "not a Witness")
        try:
            return target(**fields)
        except InvalidArgument as exc:
            raise _bad(path, f"{target.__name__}: {exc}") from None
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise _bad(path, f"{target.__name__} rejects the stored fields: {type(exc).__name__}: {exc}") from None

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
    if not isinstance(text_or_path, str):
        raise InvalidArgument(f"pass a JSON string or a file path, got {type(text_or_path).__name__}")
    text = text_or_path
    if not text_or_path.lstrip().startswith(("{", "[")):
        try:
            with open(text_or_path, encoding="utf-8") as fh:
                text = fh.read(MAX_FILE_BYTES + 1)
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidArgument(f"cannot read {text_or_path!r}: {exc}") from exc
    if len(text) > MAX_FILE_BYTES:
        raise InvalidArgument(f"the result file is larger than {MAX_FILE_BYTES} bytes")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise InvalidArgument(f"not valid JSON: {exc}") from None
    _depth_ok(data)
    return data


def _reject_constant(name: str) -> Any:
    raise ValueError(f"bare {name} is not allowed in a result file")


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
        return cls._from_dict(_load_json(text_or_path))

    @classmethod
    def _from_dict(cls, d: Any) -> "Report":
        if not isinstance(d, dict) or d.get("type") != "Report":
            raise InvalidArgument("not a theorycheck Report")
        extra = sorted(set(d) - {"type", "title", "strict", "results"})
        if extra:
            raise _bad("", f"unknown field(s) {extra} for Report")
        results, title, strict = d.get("results"), d.get("title", ""), d.get("strict", False)
        if not isinstance(results, list) or not isinstance(title, str) or not isinstance(strict, bool):
            raise _bad("", "a Report has 'results' (a list), 'title' (a string) and 'strict' (a bool)")
        return cls([CheckResult.from_dict(r, path=f"results[{i}]") for i, r in enumerate(results)],
                   title, strict)


def load(text_or_path: str) -> CheckResult | Report:
    """Load a saved :class:`CheckResult` or :class:`Report` (by its ``type`` field).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    d = _load_json(text_or_path)
    if isinstance(d, dict) and d.get("type") == "Report":
        return Report._from_dict(d)
    return CheckResult.from_dict(d)



# --------------------------------------------------------------------------------------
# Re-checking saved results
# --------------------------------------------------------------------------------------

_VERIFIERS: dict[str, Any] = {}


def register_verifier(check: str):
    """Decorator: register ``func(result, **context) -> CheckResult`` for saved ``check`` results.

    The verifier re-derives every claim of the saved result from its stored
    witness (see :func:`claim_mismatches`) and returns a ``CheckResult`` named
    ``verify:<check>`` that holds only when all of them are confirmed. Keyword
    parameters it declares (for example ``model``) receive the context given to
    :func:`verify_result`.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """

    def deco(func):
        _VERIFIERS[check] = func
        return func

    return deco


def verify_result(result: CheckResult, **context: Any) -> CheckResult:
    """Re-check a saved result with the verifier registered for its ``check``.

    ``context`` (for example ``model=`` for network certificates) is passed to
    verifiers that declare the parameter; a verifier that cannot use a given
    item ignores it and its message says what was re-checked. Returns an
    ``inconclusive`` result when no verifier is registered.

    Theorem: the one the saved result states.
    Rigor: the verifier's (never above the saved result's claim).
    """
    if not isinstance(result, CheckResult):
        raise InvalidArgument(f"verify_result takes a CheckResult, got {type(result).__name__}")
    if result.check not in _VERIFIERS:
        _provide(result.check)
    func = _VERIFIERS.get(result.check)
    if func is None:
        return CheckResult(f"verify:{result.check}", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                           f"no verifier is registered for {result.check!r} results")
    params = inspect.signature(func).parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in context.items() if v is not None and (accepts_any or k in params)}
    return func(result, **kwargs)


def verifier_accepts(check: str, name: str) -> bool:
    """Whether the verifier of ``check`` results takes the context item ``name`` (e.g. ``"model"``).

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> verifier_accepts("no-such-check", "model")
    False
    """
    if check not in _VERIFIERS:
        _provide(check)
    func = _VERIFIERS.get(check)
    if func is None:
        return False
    params = inspect.signature(func).parameters
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _describe(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"array{v.shape} {v.dtype}"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def claim_mismatches(saved: CheckResult, derived: CheckResult) -> list[str]:
    """Every difference between a saved result and the one re-derived from its witness.

    Compares the type and every dataclass field (outcome, rigor, message,
    theorem, each value of ``values``, the witness and the fields of
    subclasses) *exactly*: floats bit for bit, arrays entry by entry. Keys
    listed in ``derived.informational`` (timings and the like, which are not
    claims) are skipped. Each mismatch names its field.

    Theorem: none (infrastructure for verifiers).
    Rigor: exact comparison.
    """
    if type(saved) is not type(derived):
        return [f"type: saved {type(saved).__name__}, re-derived {type(derived).__name__}"]
    skip = set(getattr(derived, "informational", ()))
    out: list[str] = []
    for f in dataclasses.fields(derived):
        if f.name in skip:
            continue
        a, b = getattr(saved, f.name), getattr(derived, f.name)
        if f.name == "values":
            keys = (set(a) | set(b)) - skip
            for k in sorted(keys):
                if k not in a:
                    out.append(f"values[{k!r}] missing from the file (re-derived {_describe(b[k])})")
                elif k not in b:
                    out.append(f"values[{k!r}] = {_describe(a[k])} is not a claim this check makes")
                elif not _equal(a[k], b[k]):
                    out.append(f"values[{k!r}]: saved {_describe(a[k])}, re-derived {_describe(b[k])}")
        elif f.name == "witness" and isinstance(a, Witness) and isinstance(b, Witness):
            if a.kind != b.kind:
                out.append(f"witness.kind: saved {a.kind!r}, re-derived {b.kind!r}")
            for k in sorted(set(a.data) | set(b.data)):
                if k not in a.data or k not in b.data or not _equal(a.data[k], b.data[k]):
                    out.append(f"witness.data[{k!r}] differs from the re-derived witness")
        elif not _equal(a, b):
            out.append(f"{f.name}: saved {_describe(a)}, re-derived {_describe(b)}")
    return out


def verification(saved: CheckResult, problems: list[str], *, rederived: str,
                 not_rechecked: str = "", rigor: Rigor | None = None,
                 values: Mapping[str, Any] | None = None) -> CheckResult:
    """The ``verify:<check>`` result of a verifier.

    Parameters
    ----------
    saved : CheckResult
        The loaded result.
    problems : list of str
        Every discrepancy found (each names its field); empty when the file re-checks.
    rederived : str
        What was re-derived (for the message), e.g. "every bound and value from the witness".
    not_rechecked : str
        What could not be re-checked and was taken from the file, if anything.
    rigor : Rigor, optional
        The verifier's own rigor (default: the saved result's); never above the saved claim.

    Theorem: none (infrastructure for verifiers).
    Rigor: as given.
    """
    r = Rigor.weakest(saved.rigor, rigor) if rigor is not None else saved.rigor
    vals = {"problems": tuple(problems), "not_rechecked": not_rechecked, **(values or {})}
    name = f"verify:{saved.check}"
    if problems:
        more = f" (+{len(problems) - 6} more)" if len(problems) > 6 else ""
        return CheckResult(name, Outcome.VIOLATED, r,
                           "the saved result does not re-check: " + "; ".join(problems[:6]) + more, vals)
    note = f"; taken from the file: {not_rechecked}" if not_rechecked else ""
    return CheckResult(name, Outcome.HOLDS, r,
                       f"re-checked: {saved.outcome.value} [{saved.rigor.value}] — {rederived}{note}", vals)


def shorten(text: str, limit: int) -> str:
    """``text`` (whitespace collapsed) cut to at most ``limit`` characters at a word boundary, with "…".

    Messages quote third-party text (exceptions, warnings) and long messages through it, so
    that nothing is cut mid-word.

    Theorem: none.
    Rigor: not applicable.

    Examples
    --------
    >>> shorten("the smallest eta raised by rounding", 20)
    'the smallest eta…'
    """
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"
