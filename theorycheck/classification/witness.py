"""The result of a perturbation search: :class:`ClassifierWitness`, its deterministic assembly and verifier.

A :class:`ClassifierWitness` stores the inputs, the perturbations and every
model output the flips were decided from (the witness data laid out below).
:func:`assemble` derives every claim — labels, gaps, margins, rounding
allowances, flips, statuses, ratios, the outcome, rigor and message — from that
data alone; the search and :func:`verify_classifier_witness` both call it, so a
saved result re-derives bit for bit. With ``model=`` the verifier re-runs the
model on every stored input.

Theorem: docs/theory.md §5 (minimal perturbation ``r*``: ``k̂(x + r) ≠ k̂(x)``).
Rigor: certified-float64 for the certified flips (see :mod:`theorycheck.classification`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Iterator, Mapping

import numpy as np

from theorycheck.classification._common import (
    CHECK,
    K_DELTA,
    K_OUT,
    METHODS,
    SEARCH_STATUSES,
    SKIPPED,
    STR_DTYPE,
    THEOREM,
    TINY_BY_DTYPE,
    UNIT_ROUNDOFF,
    others,
    rowmax_abs,
)
from theorycheck.classification._proven import contained, derive_proven, enclose_points, reasons
from theorycheck.errors import InsufficientPrecision, InvalidArgument, PreconditionError
from theorycheck.numerics.rounding import norm2
from theorycheck.results import (
    CheckResult,
    Outcome,
    Rigor,
    Witness,
    claim_mismatches,
    register_result,
    register_verifier,
    verification,
)

__all__ = ["ClassifierWitness", "verify_classifier_witness", "assemble", "derive", "validate_data",
           "float64_backing"]


def _one(v: Any, batched: bool) -> Any:
    """The per-sample array itself (batched) or its only entry as a Python scalar."""
    if batched:
        return v
    a = np.asarray(v)
    return a[0].item() if a.ndim == 1 else a[0].copy()



# --------------------------------------------------------------------------------------
# the witness
# --------------------------------------------------------------------------------------

@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class ClassifierWitness(CheckResult):
    """Perturbations found by :func:`search_minimal_perturbation`, with the evaluations that certify them.

    A :class:`~theorycheck.results.CheckResult` (check ``"classifier_perturbation"``):
    ``violated`` with rigor ``certified-float64`` when some flip is certified
    (the classifier is unstable there), else ``inconclusive`` (``numerical``).
    For a single sample the per-sample attributes are scalars (``r`` and ``x``
    have the sample's shape); for a batch they are arrays with the batch
    first, and ``item(i)`` (or ``w[i]``) is sample ``i``'s own witness.

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s; all read from ``values``/``witness``)
    ----------------------------------------------------------------------------------------------------
    r, x : numpy.ndarray
        The perturbation and the input (float64); ``x_adv = x + r`` is exactly
        what was evaluated. For unsuccessful samples ``r`` is the last attempt
        (zeros for samples that were not searched).
    ratio : float or numpy.ndarray
        ``‖r‖/‖x‖`` for successful samples, NaN otherwise (inf when ``x = 0``).
    label, new_label : int or numpy.ndarray
        ``k̂(x)`` and ``k̂(x + r)`` in the float64 evaluation (-1 when undefined).
    success : bool or numpy.ndarray
        Whether the flip is certified (see :mod:`theorycheck.classification`).
    flipped_float64, flipped_native : bool or numpy.ndarray
        Which evaluations flipped beyond their rounding allowance.
    margin, margin_native : float or numpy.ndarray
        ``max_{j≠k} f_j(x + r) − f_k(x + r)`` in each evaluation (NaN when not evaluated).
    status : str or numpy.ndarray
        Why (see :data:`STATUSES`).
    sample_rigor : Rigor or numpy.ndarray
        ``certified-float64`` where ``success``, else ``numerical`` (``rigor``
        is the rigor of the whole result).
    iterations : int or numpy.ndarray
        DeepFool steps, or bisection steps of the line search.
    method : str
    time_s : float
        Wall-clock time of the whole call (``values["elapsed_s"]``).
    batched : bool
        Whether the per-sample attributes carry a batch dimension.

    Theorem: docs/theory.md §5 (minimal perturbation ``r*``: ``k̂(x + r) ≠ k̂(x)``).
    Rigor: ``certified-float64`` for successful samples (both evaluations, each
    twice, margins beyond rounding); ``ratio`` is an upper bound on the minimal
    ``‖r*‖/‖x‖`` (numerical).
    """

    batched: bool = False

    # -- per-sample views -----------------------------------------------------------
    def _stored(self) -> Mapping[str, Any]:
        if self.witness is None:
            raise InvalidArgument("this ClassifierWitness stores no evaluations (no witness)")
        return self.witness.data

    def _data(self, key: str) -> Any:
        if self.witness is None or key not in self.witness.data:
            raise AttributeError(f"this ClassifierWitness stores no {key!r}")
        return self.witness.data[key]

    @property
    def method(self) -> str:
        return str(self._data("method"))

    @property
    def x(self) -> np.ndarray:
        return _one(self._data("x"), self.batched)

    @property
    def r(self) -> np.ndarray:
        return _one(self._data("r"), self.batched)

    @property
    def x_adv(self) -> np.ndarray:
        """The perturbed input ``x + r`` (float64), exactly what was evaluated."""
        return self.x + self.r

    @property
    def iterations(self) -> Any:
        return self.values["iterations"]

    @property
    def ratio(self) -> Any:
        return self.values["ratio"]

    @property
    def label(self) -> Any:
        return self.values["label"]

    @property
    def new_label(self) -> Any:
        return self.values["new_label"]

    @property
    def success(self) -> Any:
        return self.values["success"]

    @property
    def status(self) -> Any:
        return self.values["status"]

    @property
    def margin(self) -> Any:
        return self.values["margin"]

    @property
    def margin_native(self) -> Any:
        return self.values["margin_native"]

    @property
    def flipped_float64(self) -> Any:
        return self.values["flipped_float64"]

    @property
    def flipped_native(self) -> Any:
        return self.values["flipped_native"]

    @property
    def sample_rigor(self) -> Any:
        v = self.values["sample_rigor"]
        if not self.batched:
            return Rigor(v)
        return np.array([Rigor(s) for s in np.asarray(v).tolist()], dtype=object)

    @property
    def time_s(self) -> float:
        return float(self.values.get("elapsed_s", 0.0))

    @property
    def success_rate(self) -> float:
        """Fraction of certified flips among the samples that were searched (not skipped)."""
        return float(self.values["success_rate"])

    # -- batch access ----------------------------------------------------------------
    def __len__(self) -> int:
        if not self.batched:
            raise TypeError("a single-sample ClassifierWitness has no len()")
        return int(np.asarray(self._data("x")).shape[0])

    def item(self, i: int) -> "ClassifierWitness":
        """Sample ``i`` of a batch as a single-sample witness (re-derived from its own data; self when not batched)."""
        if not self.batched:
            return self
        n = len(self)
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)) or not -n <= int(i) < n:
            raise InvalidArgument(f"sample index must be an integer in [-{n}, {n}), got {i!r}")
        i = int(i) % n
        data = _slice_data(self._stored(), i)
        return assemble(data, False, self.time_s)

    def __getitem__(self, key: Any) -> Any:
        """``w["ratio"]``: a value; ``w[i]``: sample ``i`` of a batch (:meth:`item`)."""
        if isinstance(key, str):
            return self.values[key]
        if not self.batched:
            raise TypeError("index a batched ClassifierWitness only")
        return self.item(key)

    def __iter__(self) -> Iterator["ClassifierWitness"]:
        for i in range(len(self)):
            yield self.item(i)

    def recheck(self, model: Any, *, batch_size: int | None = None) -> Any:
        """Re-run ``model`` on every stored ``x`` and ``x + r``; True where the flip is certified.

        Each input alone, twice, in float64 and in the model's own dtype.

        The same evaluations and rounding allowances as the search (see the
        package docstring); a float32/float16 model is checked in its own
        dtype *and* in float64. The model is never modified. ``batch_size``
        is accepted for compatibility and unused (every input is evaluated alone).

        Theorem: docs/theory.md §5.
        Rigor: certified-float64.
        """
        data = _rerun(self._stored(), model)
        ok = derive(validate_data(data, strict=False))["success"]
        return ok if self.batched else bool(ok[0])

    def to_result(self) -> "ClassifierWitness":
        """The result itself (kept for compatibility: a ClassifierWitness *is* a CheckResult).

        Theorem: docs/theory.md §5.
        Rigor: as the result's.
        """
        return self


def _slice_data(data: Mapping[str, Any], i: int) -> dict[str, Any]:
    """The witness data of sample ``i`` alone (batch dimension kept, of size 1)."""
    out: dict[str, Any] = {}
    sl = slice(i, i + 1)
    for k, v in data.items():
        if k in ("x", "r", "labels", "search_status", "iterations"):
            out[k] = np.asarray(v)[sl]
        elif k in ("f64", "f64_code", "nat", "nat_code"):
            out[k] = np.asarray(v)[:, :, sl]
        elif k in ("probe", "probe_code"):
            out[k] = np.asarray(v)[:, sl]
        elif k in ("dup", "dup_code", "enc_note"):
            out[k] = np.asarray(v)[sl]
        elif k in ("enc_center", "enc_radius", "enc_code"):
            out[k] = np.asarray(v)[:, sl]
        else:
            out[k] = v
    return out


# --------------------------------------------------------------------------------------
# the stored evaluations and everything derived from them (deterministic)
# --------------------------------------------------------------------------------------
#
# Witness data (kind "classifier_perturbation"), n samples, C logit columns:
#   x, r         float64 (n, *shape)   inputs and perturbations (x + r is the evaluated point)
#   method       str                   one of METHODS
#   labels       int64 (n,)            the labels the caller gave (absent when none)
#   search_status <U (n,)              "" (not searched), or one of SEARCH_STATUSES
#   iterations   int64 (n,)
#   f64          float64 (2, 2, n, C)  float64 CPU logits: [point x / x + r][evaluation 1 / 2]
#   f64_code     int8 (2, 2, n)        0 not evaluated, 1 evaluated, 2 the model raised
#   f64_out      str                   dtype of the float64 copy's logits ("float64" unless it casts)
#   native_in, native_device  str     the model's own input dtype and device
#   nat, nat_code, native_out          the same for the native evaluation (absent when it is
#                                      the float64 evaluation)
#   dup, dup_code  float64 (n, C), int8 (n,)  float64 CPU models only: the model on x + r as a
#                                      batch of two copies of itself (first row), another
#                                      accumulation order
#   probe, probe_code, probe_out       float32 CPU copy, one evaluation per point: (2, n, C),
#                                      (2, n) (only for float64 CPU models, when it could be made)
#   certify      str                   "proven" or "auto" (absent: certified-float64 only); then also
#   enc_center, enc_radius  float64 (2, n, C)  enclosures of the exact real-arithmetic logits at
#                                      [x / x + r] (radius widened for re-runs; NaN where not enclosed)
#   enc_code     int8 (2, n)           0 not enclosed, 1 enclosed, 2 no enclosure (reason in enc_note)
#   enc_note     <U (n,)               why a sample has no enclosure ("" otherwise)
#   enc_assumptions str                what the enclosures assume (IEEE arithmetic, libm accuracy)

#: stored by certify="proven"/"auto" only (all together)
_ENC_FIELDS = ("certify", "enc_center", "enc_radius", "enc_code", "enc_note", "enc_assumptions")
_REQUIRED = ("x", "r", "method", "search_status", "iterations", "f64", "f64_code", "f64_out",
             "native_in", "native_device")
_OPTIONAL = ("labels", "nat", "nat_code", "native_out", "probe", "probe_code", "probe_out", "dup",
             "dup_code") + _ENC_FIELDS


def _bad(field: str, why: str) -> InvalidArgument:
    return InvalidArgument(f"witness[{field!r}]: {why}")


def _array(data: Mapping[str, Any], key: str, kind: str, shape: tuple[int | None, ...] | None = None,
           ndim_min: int | None = None) -> np.ndarray:
    v = data[key]
    if not isinstance(v, np.ndarray):
        raise _bad(key, f"expected an array, got {type(v).__name__}")
    if kind == "U":
        if v.dtype.kind != "U":
            raise _bad(key, f"expected a string array, got dtype {v.dtype}")
    elif v.dtype != np.dtype(kind):
        raise _bad(key, f"expected dtype {np.dtype(kind)}, got {v.dtype}")
    if ndim_min is not None and v.ndim < ndim_min:
        raise _bad(key, f"expected at least {ndim_min} dimensions, got shape {v.shape}")
    if shape is not None and (v.ndim != len(shape) or any(s is not None and s != t for s, t in zip(shape, v.shape))):
        want = "(" + ", ".join("·" if s is None else str(s) for s in shape) + ")"
        raise _bad(key, f"expected shape {want}, got {v.shape}")
    return v


def _dtype_field(data: Mapping[str, Any], key: str) -> str:
    v = data[key]
    if not isinstance(v, str) or v not in UNIT_ROUNDOFF:
        raise _bad(key, f"expected one of {', '.join(UNIT_ROUNDOFF)}, got {v!r}")
    return v


def _check_codes(key: str, L: np.ndarray, code: np.ndarray) -> None:
    if not np.isin(code, (0, 1, 2)).all():
        raise _bad(key + "_code", "codes must be 0 (not evaluated), 1 (evaluated) or 2 (the model raised)")
    if (~np.isnan(L[code != 1])).any():
        raise _bad(key, "holds logits where nothing was evaluated (code 0 or 2)")


def validate_data(data: Mapping[str, Any], *, strict: bool = True) -> dict[str, Any]:
    """Check the witness data's fields, types and shapes; the arrays as given (no conversion).

    ``strict`` also checks that the evaluations present are exactly those the
    search makes (which slots are evaluated follows from the statuses).

    Theorem: none (validation of a stored witness).
    Rigor: not applicable (refuses malformed data with :class:`InvalidArgument` naming the field).
    """
    if not isinstance(data, Mapping):
        raise InvalidArgument("witness: expected the stored evaluations")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise InvalidArgument(f"witness: missing field(s) {missing}")
    extra = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if extra:
        raise InvalidArgument(f"witness: unknown field(s) {extra}")
    D: dict[str, Any] = {}
    x = _array(data, "x", "float64", ndim_min=2)
    n = x.shape[0]
    if n == 0:
        raise _bad("x", "holds no sample")
    if not np.isfinite(x).all():
        raise _bad("x", "holds NaN or inf")
    r = _array(data, "r", "float64", shape=x.shape)
    if not np.isfinite(r).all():
        raise _bad("r", "holds NaN or inf")
    method = data["method"]
    if not isinstance(method, str) or method not in METHODS:
        raise _bad("method", f"expected one of {METHODS}, got {method!r}")
    D.update(x=x, r=r, method=method, n=n)
    D["labels"] = _array(data, "labels", "int64", shape=(n,)) if "labels" in data else None
    ss = _array(data, "search_status", "U", shape=(n,))
    if not np.isin(ss, ("",) + SEARCH_STATUSES).all():
        raise _bad("search_status", f"entries must be '' or one of {SEARCH_STATUSES}")
    it = _array(data, "iterations", "int64", shape=(n,))
    if (it < 0).any():
        raise _bad("iterations", "negative count")
    D.update(search_status=ss, iterations=it)
    F = _array(data, "f64", "float64", shape=(2, 2, n, None))
    C = F.shape[3]
    if C < 2:
        raise _bad("f64", f"a classifier has at least 2 logit columns, got {C}")
    Fc = _array(data, "f64_code", "int8", shape=(2, 2, n))
    _check_codes("f64", F, Fc)
    D.update(C=C, f64=F, f64_code=Fc, f64_out=_dtype_field(data, "f64_out"),
             native_in=_dtype_field(data, "native_in"))
    dev = data["native_device"]
    if not isinstance(dev, str) or not 0 < len(dev) <= 64:
        raise _bad("native_device", f"expected a device name, got {dev!r}")
    D["native_device"] = dev
    has_nat = [k in data for k in ("nat", "nat_code", "native_out")]
    if any(has_nat) and not all(has_nat):
        raise InvalidArgument("witness: 'nat', 'nat_code' and 'native_out' come together")
    if all(has_nat):
        N = _array(data, "nat", "float64", shape=(2, 2, n, C))
        Nc = _array(data, "nat_code", "int8", shape=(2, 2, n))
        _check_codes("nat", N, Nc)
        D.update(nat=N, nat_code=Nc, native_out=_dtype_field(data, "native_out"))
        if D["native_in"] == "float64" and dev == "cpu":
            raise _bad("nat", "a float64 CPU model's own evaluation is the float64 evaluation: "
                              "it is not stored twice")
    else:
        if D["native_in"] != "float64" or dev != "cpu":
            raise _bad("nat", f"missing: the model's own evaluation ({D['native_in']} on {dev}) "
                              "is not the float64 one")
        D.update(nat=None, nat_code=None, native_out=None)
    has_dup = [k in data for k in ("dup", "dup_code")]
    if any(has_dup) != all(has_dup) or all(has_dup) != (D["nat"] is None):
        raise InvalidArgument("witness: 'dup' and 'dup_code' are stored exactly for float64 CPU models")
    if all(has_dup):
        Dp = _array(data, "dup", "float64", shape=(n, C))
        Dc = _array(data, "dup_code", "int8", shape=(n,))
        _check_codes("dup", Dp, Dc)
        D.update(dup=Dp, dup_code=Dc)
    else:
        D.update(dup=None, dup_code=None)
    has_probe = [k in data for k in ("probe", "probe_code", "probe_out")]
    if any(has_probe) and not all(has_probe):
        raise InvalidArgument("witness: 'probe', 'probe_code' and 'probe_out' come together")
    if all(has_probe):
        if D["nat"] is not None:
            raise _bad("probe", "a float32 probe is only made for float64 CPU models")
        P = _array(data, "probe", "float64", shape=(2, n, C))
        Pc = _array(data, "probe_code", "int8", shape=(2, n))
        _check_codes("probe", P, Pc)
        D.update(probe=P, probe_code=Pc, probe_out=_dtype_field(data, "probe_out"))
    else:
        D.update(probe=None, probe_code=None, probe_out=None)
    _validate_enclosures(data, D)
    if strict:
        _check_structure(D)
    return D


def _validate_enclosures(data: Mapping[str, Any], D: dict[str, Any]) -> None:
    """The enclosure fields of a certify="proven"/"auto" witness (all or none), into ``D``."""
    n, C = D["n"], D["C"]
    present = [k in data for k in _ENC_FIELDS]
    if not any(present):
        D.update(certify="float64", enc_center=None, enc_radius=None, enc_code=None, enc_note=None,
                 enc_assumptions=None)
        return
    if not all(present):
        raise InvalidArgument(f"witness: the enclosure fields {list(_ENC_FIELDS)} come together")
    mode = data["certify"]
    if not isinstance(mode, str) or mode not in ("proven", "auto"):
        raise _bad("certify", f"expected 'proven' or 'auto' (certified-float64 witnesses store no "
                              f"enclosures), got {mode!r}")
    E = _array(data, "enc_center", "float64", shape=(2, n, C))
    R = _array(data, "enc_radius", "float64", shape=(2, n, C))
    code = _array(data, "enc_code", "int8", shape=(2, n))
    if not np.isin(code, (0, 1, 2)).all():
        raise _bad("enc_code", "codes must be 0 (not enclosed), 1 (enclosed) or 2 (no enclosure)")
    on = code == 1
    if (~np.isnan(E[~on])).any() or (~np.isnan(R[~on])).any():
        raise _bad("enc_center", "holds an enclosure where none was made (code 0 or 2)")
    if not (np.isfinite(E[on]).all() and np.isfinite(R[on]).all()):
        raise _bad("enc_center", "an enclosure is not finite")
    if (R[on] < 0).any():
        raise _bad("enc_radius", "negative radius")
    note = _array(data, "enc_note", "U", shape=(n,))
    failed = (code == 2).any(axis=0)
    if (failed != (note != "")).any():
        raise _bad("enc_note", "a reason is stored exactly for the samples without an enclosure (code 2)")
    if any(len(s) > 2000 for s in note.tolist()):
        raise _bad("enc_note", "reason longer than 2000 characters")
    ass = data["enc_assumptions"]
    if not isinstance(ass, str) or len(ass) > 4000:
        raise _bad("enc_assumptions", "expected the assumptions as text")
    D.update(certify=mode, enc_center=E, enc_radius=R, enc_code=code, enc_note=note, enc_assumptions=ass)


def _codes(D: Mapping[str, Any]) -> list[tuple[str, np.ndarray]]:
    out = [("f64_code", D["f64_code"])]
    if D["nat"] is not None:
        out.append(("nat_code", D["nat_code"]))
    return out


def _check_structure(D: Mapping[str, Any]) -> None:
    """The evaluated slots are exactly those the search makes (given the derived statuses)."""
    dv = derive(D)
    searched = dv["x_status"] == ""
    ss = D["search_status"]
    bad = np.flatnonzero(searched != (ss != ""))
    if bad.size:
        i = int(bad[0])
        why = (f"sample {i} was searched although its label is not usable ({dv['x_status'][i]})"
               if ss[i] else f"sample {i} has a usable label but no search status")
        raise _bad("search_status", why)
    if (D["r"][~searched] != 0).any():
        raise _bad("r", "a sample that was not searched has a non-zero perturbation")
    found = ss == "found"
    for name, code in _codes(D):
        if (code[0, 0] == 0).any():
            raise _bad(name, "every sample's x is evaluated (first evaluation)")
        for p, e in ((0, 1), (1, 0), (1, 1)):
            if ((code[p, e] != 0) != found).any():
                raise _bad(name, "the certification evaluations (x again, x + r twice) are made "
                                 "exactly for the samples whose search found a flip")
    if D["enc_code"] is not None and ((D["enc_code"] != 0) != found).any():
        raise _bad("enc_code", "x and x + r are enclosed exactly for the samples whose search found a flip")
    if D["dup"] is not None and ((D["dup_code"] != 0) != found).any():
        raise _bad("dup_code", "x + r is evaluated as a batch of two copies exactly where a flip was found")
    if D["probe"] is not None:
        pc = D["probe_code"]
        if (pc[0] == 0).any() or ((pc[1] != 0) != found).any():
            raise _bad("probe_code", "the probe evaluates every x, and x + r where a flip was found")




def _disc(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``max_j |a_j − b_j|`` per row (inf where either row is not finite)."""
    d = np.max(np.abs(a - b), axis=-1)
    return np.where(np.isfinite(d), d, np.inf)




def derive(D: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Every per-sample claim from the stored evaluations (see the package docstring).

    ``D`` is :func:`validate_data`'s output. Labels, gaps, margins, rounding
    allowances, which evaluation flipped and the statuses, as arrays over the samples.

    Theorem: docs/theory.md §5 (a flip beyond the rounding allowance of both evaluations).
    Rigor: certified-float64 (deterministic float64 arithmetic on the stored logits).
    """
    with np.errstate(all="ignore"):
        return _derive_impl(D)


def _derive_impl(D: Mapping[str, Any]) -> dict[str, np.ndarray]:
    n, C = D["n"], D["C"]
    rows = np.arange(n)
    F, Fc = D["f64"], D["f64_code"]
    nat = D["nat"] is not None
    N, Nc = (D["nat"], D["nat_code"]) if nat else (F, Fc)
    u64, t64 = UNIT_ROUNDOFF[D["f64_out"]], TINY_BY_DTYPE[D["f64_out"]]
    uN = max(UNIT_ROUNDOFF[D["native_in"]], UNIT_ROUNDOFF[D["native_out"]]) if nat else u64
    tN = max(TINY_BY_DTYPE[D["native_in"]], TINY_BY_DTYPE[D["native_out"]]) if nat else t64
    # rounding estimates δ per point (0: x, 1: x + r), from the first evaluations
    d64 = np.zeros((2, n))
    dN = np.zeros((2, n))
    if nat:
        dN = _disc(N[:, 0], F[:, 0])
        d64 = dN * (u64 / uN)  # a power of two: exact
    elif D["probe"] is not None:
        uP = max(UNIT_ROUNDOFF["float32"], UNIT_ROUNDOFF[D["probe_out"]])
        dp = _disc(D["probe"], F[:, 0])
        usable = (D["probe_code"] == 1) & np.isfinite(dp)
        d64 = np.where(usable, dp * (u64 / uP), 0.0)  # an unusable probe: no estimate
    # another accumulation order at x + r (a raising duplicate gives no estimate; NaN gives inf)
    if D["dup"] is not None:
        dd = np.where(D["dup_code"] == 1, _disc(D["dup"], F[1, 0]), 0.0)
        d64[1] = np.maximum(d64[1], dd)
    if not nat:
        dN = d64
    tau64 = K_OUT * (u64 * rowmax_abs(F[:, 0]) + t64) + K_DELTA * d64          # (2, n)
    tauN = K_OUT * (uN * rowmax_abs(N[:, 0]) + tN) + K_DELTA * dN if nat else tau64
    # the label of x (first float64 evaluation) and its gaps
    A, NA = F[0, 0], N[0, 0]
    fin_x = np.isfinite(A).all(axis=1) & np.isfinite(NA).all(axis=1)
    k = np.where(fin_x, np.argmax(np.where(np.isfinite(A), A, -np.inf), axis=1), 0)
    gap = A[rows, k] - others(A, k)[0]
    gapN = NA[rows, k] - others(NA, k)[0]
    xs = np.full(n, "", dtype=STR_DTYPE)
    xs[(Fc[0, 0] == 2) | (Nc[0, 0] == 2)] = "model_error"
    xs[(xs == "") & ~fin_x] = "nan_output"
    xs[(xs == "") & ~(gap > tau64[0])] = "label_tie"
    xs[(xs == "") & (gapN < -tauN[0])] = "precision_mismatch"
    xs[(xs == "") & ~(gapN > tauN[0])] = "label_tie"
    y = D["labels"]
    if y is not None:
        xs[(xs == "") & ((y < 0) | (y >= C))] = "label_out_of_range"
        xs[(xs == "") & (y != k)] = "already_misclassified"
    label = np.where(fin_x & (Fc[0, 0] == 1) & (Nc[0, 0] == 1), k, -1).astype(np.int64)
    # the certification evaluations
    found = (xs == "") & (D["search_status"] == "found")
    slots = [(F, Fc, p, e) for p in (0, 1) for e in (0, 1)] + ([(N, Nc, p, e) for p in (0, 1) for e in (0, 1)]
                                                              if nat else [])
    evaluated = np.all([c[p, e] != 0 for _, c, p, e in slots], axis=0)
    err = np.any([c[p, e] == 2 for _, c, p, e in slots], axis=0)
    fin = np.all([np.isfinite(L[p, e]).all(axis=1) for L, _, p, e in slots], axis=0)
    det = np.all([(L[p, 0] == L[p, 1]).all(axis=1) for L, _, p, e in slots if e == 0], axis=0)
    B, NB = F[1, 0], N[1, 0]
    m64 = others(B, k)[0] - B[rows, k]
    mN = others(NB, k)[0] - NB[rows, k]
    ok_adv = found & evaluated & ~err & fin & det
    flip64 = ok_adv & (m64 > tau64[1])
    flipN = ok_adv & (mN > tauN[1])
    not64 = D["f64_out"] != "float64"
    cert = np.select(
        [~evaluated, err, ~fin, ~det, flip64 & flipN & not64, flip64 & flipN, flip64 ^ flipN],
        ["not_certified", "model_error", "nan_output", "nondeterministic", "output_not_float64", "flipped",
         "precision_mismatch"], "not_certified")
    status = np.where(xs != "", xs, np.where(found, cert, D["search_status"])).astype(STR_DTYPE)
    adv_ok = (Fc[1, 0] == 1) & np.isfinite(B).all(axis=1)
    advN_ok = (Nc[1, 0] == 1) & np.isfinite(NB).all(axis=1)
    new_label = np.where(adv_ok, np.argmax(np.where(np.isfinite(B), B, -np.inf), axis=1), -1).astype(np.int64)
    x_ok = (Fc[0, 0] == 1) & fin_x
    return {
        "x_status": xs, "label": label, "new_label": new_label, "status": status,
        "success": status == "flipped", "flipped_float64": flip64, "flipped_native": flipN,
        "gap": np.where(x_ok, gap, np.nan), "gap_native": np.where(x_ok, gapN, np.nan),
        "margin": np.where(adv_ok & (label >= 0), m64, np.nan),
        "margin_native": np.where(advN_ok & (label >= 0), mN, np.nan),
        "allowance_float64": np.stack([np.where(x_ok, tau64[0], np.nan),
                                       np.where(adv_ok, tau64[1], np.nan)], axis=1),
        "allowance_native": np.stack([np.where(x_ok, tauN[0], np.nan),
                                      np.where(advN_ok, tauN[1], np.nan)], axis=1),
        "k": k, "tau64": tau64, "tauN": tauN,
    }


def _native_desc(D: Mapping[str, Any]) -> str:
    if D["nat"] is None:
        probe = ("; float64 rounding estimated with a float32 probe" if D["probe"] is not None
                 else "; no float32 probe: output-based rounding allowance only")
        return f"float64 on cpu (the float64 evaluation){probe}"
    return f"{D['native_in']} on {D['native_device']}"


def _proven_claims(D: Mapping[str, Any], dv: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Success, status, per-sample rigor and the proven values of a certify="proven"/"auto" witness.

    ``proven``: a flip counts only where the stored enclosures prove it (samples the float64
    evaluations flip but the enclosures do not: ``not_proven``). ``auto``: a flip counts where the
    enclosures prove it (rigor proven) or the float64 evaluations certify it (certified-float64).
    """
    eligible = (dv["x_status"] == "") & (D["search_status"] == "found")
    pv = derive_proven(D["enc_center"], D["enc_radius"], D["enc_code"], dv["label"], eligible)
    proven, s64, ok64 = pv["proven"], dv["status"], dv["success"]
    if D["certify"] == "proven":
        success = proven
        status = np.where(proven, "flipped", np.where(s64 == "flipped", "not_proven", s64))
    else:
        success = proven | ok64
        status = np.where(proven, "flipped", s64)
    why = reasons(pv, D["enc_code"], D["enc_note"], eligible)
    n = len(why)
    bad = [(i, w) for i, w in enumerate(why) if w]
    if n == 1:
        note = bad[0][1] if bad else ""
    else:
        note = "; ".join(f"sample {i}: {w}" for i, w in bad[:4]) + (
            f" (+{len(bad) - 4} more sample(s))" if len(bad) > 4 else "")
    return {
        "success": success, "status": status.astype(STR_DTYPE), "proven": proven,
        "sample_rigor": np.where(proven, Rigor.PROVEN.value, np.where(
            success, Rigor.CERTIFIED_FLOAT64.value, Rigor.NUMERICAL.value)).astype(STR_DTYPE),
        "proven_new_label": pv["new_label"], "proven_gap": pv["gap_lower"], "proven_margin": pv["margin_lower"],
        "logit_lower": pv["lower"], "logit_upper": pv["upper"], "note": note,
    }


def assemble(data: Mapping[str, Any], batched: bool, elapsed: Any) -> ClassifierWitness:
    """The whole result, deterministically, from the witness data (the check and the verifier both call it).

    Theorem: docs/theory.md §5.
    Rigor: proven for flips the stored enclosures prove (certify="proven"/"auto"),
    certified-float64 for certified flips, else numerical (re-derived bit for bit).
    """
    if not isinstance(batched, (bool, np.bool_)):
        raise InvalidArgument(f"batched must be True or False, got {batched!r}")
    D = validate_data(data)
    n = D["n"]
    if not batched and n != 1:
        raise InvalidArgument(f"batched: a single-sample witness holds 1 sample, this one {n}")
    dv = derive(D)
    mode = D["certify"]
    pc = _proven_claims(D, dv) if mode != "float64" else None
    X, R = D["x"].reshape(n, -1), D["r"].reshape(n, -1)
    xn = np.array([norm2(X[i]) for i in range(n)])
    rn = np.array([norm2(R[i]) for i in range(n)])
    success = dv["success"] if pc is None else pc["success"]
    proven = np.zeros(n, dtype=bool) if pc is None else pc["proven"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(success, np.where(xn > 0, rn / np.where(xn > 0, xn, 1.0), np.inf), np.nan)
    status = dv["status"] if pc is None else pc["status"]
    searched = ~np.isin(status, SKIPPED)
    n_ok = int(success.sum())
    ok_r = ratio[success]
    nan = float("nan")
    b = bool(batched)
    sample_rigor = (np.where(success, Rigor.CERTIFIED_FLOAT64.value, Rigor.NUMERICAL.value).astype(STR_DTYPE)
                    if pc is None else pc["sample_rigor"])
    values: dict[str, Any] = {
        "ratio": _one(ratio, b), "norm_r": _one(rn, b), "norm_x": _one(xn, b),
        "label": _one(dv["label"], b), "new_label": _one(dv["new_label"], b),
        "success": _one(success, b), "status": _one(status, b),
        "sample_rigor": _one(sample_rigor, b),
        "iterations": _one(D["iterations"], b),
        "flipped_float64": _one(dv["flipped_float64"], b), "flipped_native": _one(dv["flipped_native"], b),
        "margin": _one(dv["margin"], b), "margin_native": _one(dv["margin_native"], b),
        "gap": _one(dv["gap"], b), "gap_native": _one(dv["gap_native"], b),
        "allowance_float64": _one(dv["allowance_float64"], b), "allowance_native": _one(dv["allowance_native"], b),
        "n": n, "n_searched": int(searched.sum()), "n_flipped": n_ok,
        "success_rate": float(success[searched].mean()) if searched.any() else nan,
        "min_ratio": float(np.min(ok_r)) if n_ok else nan,
        "median_ratio": float(np.median(ok_r)) if n_ok else nan,
        "mean_ratio": math.fsum(ok_r.tolist()) / n_ok if n_ok else nan,
        "native": _native_desc(D),
        "elapsed_s": elapsed,
    }
    note = ""
    if pc is not None:
        note = pc["note"]
        values.update({
            "certify": mode, "proven": _one(proven, b), "proven_new_label": _one(pc["proven_new_label"], b),
            "proven_gap": _one(pc["proven_gap"], b), "proven_margin": _one(pc["proven_margin"], b),
            "logit_lower": _one(pc["logit_lower"], b), "logit_upper": _one(pc["logit_upper"], b),
            "float64_status": _one(dv["status"], b), "rigor_note": note,
            "enclosure_assumptions": D["enc_assumptions"],
        })
    method = D["method"]
    native = ("the float64 evaluation on the CPU (the model's own)" if D["nat"] is None else
              f"the float64 evaluation on the CPU and the model's own {values['native']}")
    if n_ok:
        i = int(np.argmin(np.where(success, ratio, np.inf)))
        where = f" (sample {i})" if b else ""
        n_pr = int((success & proven).sum())
        certified = (f"certified in {native}: each input alone, twice, margins beyond the rounding allowance")
        if pc is None:
            how = certified
        elif n_pr == n_ok:
            how = ("proven: the enclosures of the exact real-arithmetic logits (theorycheck.nets.enclose) at x "
                   "and at x + r separate the label of x, and another label at x + r, from every other class")
        else:
            how = (f"{n_pr} proven by enclosures of the exact real-arithmetic logits, {n_ok - n_pr} only "
                   f"{certified} (certify='auto' fell back)")
        msg = (f"{method}: {n_ok} of {values['n_searched']} searched sample(s) flipped, {how}; smallest "
               f"‖r‖/‖x‖ = {ratio[i]:.6g}{where}")
        outcome = Outcome.VIOLATED
        rigor = Rigor.PROVEN if (pc is not None and n_pr == n_ok) else Rigor.CERTIFIED_FLOAT64
    else:
        names, counts = np.unique(status, return_counts=True)
        what = "certified" if pc is None else ("proven" if mode == "proven" else "proven or certified")
        msg = (f"{method}: no {what} flip among {n} sample(s) (statuses: "
               + ", ".join(f"{s} {c}" for s, c in zip(names.tolist(), counts.tolist())) + ")")
        outcome, rigor = Outcome.INCONCLUSIVE, Rigor.NUMERICAL
    if note:
        msg += f"; not proven: {note}"
    return ClassifierWitness(CHECK, outcome, rigor, msg, values, Witness(CHECK, dict(data)), THEOREM,
                             batched=b)


def _rerun(data: Mapping[str, Any], model: Any) -> dict[str, Any]:
    """The witness data with every stored evaluation re-run on ``model`` (same slots, alone, twice)."""
    from theorycheck.classification._evaluation import Evaluations, ModelSet, dtype_name

    D = validate_data(data, strict=False)
    with ModelSet(model, "cpu") as ms, np.errstate(all="ignore"):
        if ms.native_is_f64 != (D["nat"] is None) or (
                D["nat"] is not None and (dtype_name(ms.native_dtype), str(ms.native_device))
                != (D["native_in"], D["native_device"])):
            raise InvalidArgument(
                f"native_in/native_device: the stored evaluation is the model's own "
                f"{D['native_in']} on {D['native_device']}, the given model runs in {ms.native}")
        ev = Evaluations(ms, D["n"], D["C"], with_probe=D["probe"] is not None)
        Xp = (D["x"], D["x"] + D["r"])
        for kind, code in (("f64", D["f64_code"]), ("nat", D["nat_code"])):
            if code is None:
                continue
            both = (code[1, 0] != 0) & (code[1, 1] != 0)  # x + r: twice in a row, as the search
            if both.any():
                idx = np.flatnonzero(both)
                ev.run(kind, 1, 0, idx, Xp[1][idx], twice=True)
            for p, e in ((0, 0), (0, 1), (1, 0), (1, 1)):
                idx = np.flatnonzero((code[p, e] != 0) & ~(both if p == 1 else False))
                if idx.size:
                    ev.run(kind, p, e, idx, Xp[p][idx])
        if D["probe"] is not None:
            for p in (0, 1):
                idx = np.flatnonzero(D["probe_code"][p] != 0)
                if idx.size:
                    ev.run("probe", p, 0, idx, Xp[p][idx])
        idx = np.flatnonzero(D["dup_code"] != 0) if D["dup"] is not None else np.zeros(0, dtype=int)
        if idx.size:
            ev.run("dup", 1, 0, idx, Xp[1][idx])
        new = dict(data)
        new.update(ev.data())
    return new




def _model_problems(result: ClassifierWitness, model: Any) -> list[str]:
    """Re-run the model on the stored inputs; the flips (and the stored logits, within rounding) must agree."""
    data = result._stored()
    try:
        new = _rerun(data, model)
        again = assemble(new, True, 0.0)
    except InvalidArgument as exc:
        return [f"re-running the model: {exc}"]
    saved = assemble(data, True, 0.0)
    problems = []
    for key in ("label", "new_label", "status", "success", "flipped_float64", "flipped_native"):
        a, b = np.asarray(saved.values[key]), np.asarray(again.values[key])
        bad = np.flatnonzero(a != b)
        if bad.size:
            i = int(bad[0])
            problems.append(f"re-running the model: values[{key!r}] of sample {i}: saved {a[i]!r}, "
                            f"re-derived {b[i]!r}")
    for kind, tol_key in (("f64", "allowance_float64"), ("nat", "allowance_native")):
        if kind not in data:
            continue
        old, fresh = np.asarray(data[kind]), np.asarray(new[kind])
        tol = np.asarray(again.values[tol_key])  # (n, 2): at x, at x + r
        with np.errstate(invalid="ignore"):
            diff = np.max(np.abs(old - fresh), axis=-1)  # (2, 2, n)
            both = np.isfinite(old).all(axis=-1) & np.isfinite(fresh).all(axis=-1)
            off = both & ~(diff <= tol.T[:, None, :])
            off |= np.isfinite(old).all(axis=-1) != np.isfinite(fresh).all(axis=-1)
        if off.any():
            p, e, i = (int(v[0]) for v in np.nonzero(off))
            problems.append(f"witness[{kind!r}]: the stored logits of sample {i} at "
                            f"{'x' if p == 0 else 'x + r'} (evaluation {e + 1}) differ from the "
                            "re-run model's beyond the rounding allowance")
    return problems


def _enclosure_problems(result: ClassifierWitness, model: Any) -> list[str]:
    """Re-enclose the model's exact logits at every stored enclosed input; each must lie in the stored one."""
    from theorycheck.classification._evaluation import ModelSet

    D = validate_data(result._stored(), strict=False)
    code, E, R = D["enc_code"], D["enc_center"], D["enc_radius"]
    out: list[str] = []
    try:
        with ModelSet(model, "cpu") as ms:
            rederived: set[str] = set()
            for p, name in ((0, "x"), (1, "x + r")):
                idx = np.flatnonzero(code[p] == 1)
                if not idx.size:
                    continue
                Xp = (D["x"] if p == 0 else D["x"] + D["r"])[idx]
                c, r, got, notes, ass = enclose_points(ms.user, Xp, D["C"], widen=False)
                rederived.update(ass)
                for j, i in enumerate(idx.tolist()):
                    if got[j] != 1:
                        out.append(f"re-enclosing the model at {name} of sample {i}: {notes[j]}")
                    elif not contained(c[j], r[j], E[p, i], R[p, i]):
                        out.append(f"witness['enc_center'/'enc_radius']: the model's enclosure of the logits at "
                                   f"{name} of sample {i} is not inside the stored one")
            # the proofs rest on these: re-derived, not read (an edited list is refused)
            if rederived and "; ".join(sorted(rederived)) != str(D["enc_assumptions"]):
                out.append(f"witness['enc_assumptions']: the enclosures rest on {'; '.join(sorted(rederived))!r}, "
                           f"the file states {str(D['enc_assumptions'])[:200]!r}")
    except (PreconditionError, InsufficientPrecision, InvalidArgument) as exc:
        out.append(f"re-enclosing the logits with the given model failed: {exc}")
    return out


def float64_backing(witness: ClassifierWitness, samples: Any = None) -> Rigor | None:
    """What a witness's stored float64 logits back, without the model, for its counted flips (or ``samples``).

    A certify="proven"/"auto" flip verified without the model is re-decided from the stored
    enclosures, not re-proven: certified-float64 where the stored float64 logits certify the
    flip too, else numerical. None for a certified-float64 witness (no enclosures: nothing to cap).
    Shared by the verifiers of witnesses, robustness reports and universal perturbations.

    Theorem: none.
    Rigor: not applicable (the rigor a verification without the model can state).
    """
    if witness.witness is None or "certify" not in witness.witness.data:
        return None
    s64 = np.atleast_1d(np.asarray(witness.values["float64_status"]))
    idx = np.atleast_1d(np.asarray(witness.values["success"], dtype=bool)) if samples is None else samples
    return Rigor.CERTIFIED_FLOAT64 if bool(np.all(s64[idx] == "flipped")) else Rigor.NUMERICAL


def _unchecked_rigor(derived: ClassifierWitness) -> tuple[Rigor | None, str]:
    """Without the model: what the stored evaluations still back (enclosures cannot be re-proven)."""
    cap = float64_backing(derived)
    if cap is Rigor.CERTIFIED_FLOAT64:
        return cap, "certified-float64: every counted flip is also certified by the stored float64 logits"
    return cap, "numerical: some counted flip rests on the stored enclosures alone"


@register_verifier(CHECK)
def verify_classifier_witness(result: CheckResult, model: Any = None) -> CheckResult:
    """Re-derive every claim of a saved :class:`ClassifierWitness`; with ``model`` re-run the model.

    Registered for ``classifier_perturbation`` results (``theorycheck verify``,
    ``verify_result(result, model=m)``). For certify="proven"/"auto" results the
    proven flips are re-decided from the stored enclosures; with ``model`` the
    enclosures are re-run and each must lie inside the stored one (then the
    flips are proven again), without it the verification's rigor is capped at
    what the stored float64 logits back (certified-float64 when every counted
    flip is also certified in float64, else numerical).

    Theorem: docs/theory.md §5.
    Rigor: as the saved result's, re-derived from the stored evaluations; without
    ``model``, at most certified-float64 for proven results.
    """
    if not isinstance(result, ClassifierWitness) or result.witness is None:
        return verification(result, ["the saved result is not a ClassifierWitness with stored evaluations"],
                            rederived="nothing")
    try:
        derived = assemble(result.witness.data, result.batched, result.values.get("elapsed_s", 0.0))
    except InvalidArgument as exc:
        return verification(result, [str(exc)], rederived="nothing")
    problems = claim_mismatches(result, derived)
    proven_mode = "certify" in result.witness.data
    if model is not None and not problems:
        problems += _model_problems(result, model)
        if proven_mode and not problems:
            problems += _enclosure_problems(result, model)
    what = ("every label, gap, margin, rounding allowance, flip, status and ratio, the outcome, rigor "
            "and message, from the stored inputs, perturbations and model outputs"
            + ("; the proven flips from the stored enclosures" if proven_mode else ""))
    if model is not None:
        return verification(result, problems, rederived=what + "; the model re-run on every stored input "
                            "(alone, twice, in float64 and in its own dtype) gives the same flips"
                            + ("; the enclosures of the exact logits re-run with the model lie inside the "
                               "stored ones" if proven_mode else ""))
    cap, why = (None, "") if not proven_mode or problems else _unchecked_rigor(derived)
    not_re = "the model outputs (logits) stored in the witness; pass model= to re-run the model"
    if proven_mode:
        not_re += ("; the enclosures of the exact logits (a network cannot be stored in the file: the proven flips "
                   "were re-decided from the stored enclosures, not re-proven; pass model= to re-enclose)"
                   + (f"; this verification is {why}" if why else ""))
    return verification(result, problems, rederived=what, not_rechecked=not_re, rigor=cap,
                        values={"rigor_cap_reason": why} if proven_mode else None)
