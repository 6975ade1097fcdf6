"""Validation and re-evaluation of the witnesses of saved instability results (the verifiers).

:class:`WitnessCheck` reads the fields of a stored witness and records a problem naming the
field for anything malformed (type, dtype, shape, range, finiteness), an operator record
that cannot be used, adapter options that cannot rebuild ``Ψ``, measurements that are not
``A·x`` for the stored operator and image (ball arithmetic), and noise estimates below an
output's own rounding. :func:`reevaluate` re-runs ``Ψ`` (rebuilt from a model and the stored
options) in float64 and compares with the stored outputs within the noise allowance.

Theorem: infrastructure for the verifiers of docs/theory.md §3–4.
Rigor: the checks are exact comparisons or proven enclosures; the re-evaluation compares
within the certificates' noise allowance.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument, TheorycheckError
from theorycheck.instability._operators import (
    Ball,
    apply_operator,
    ball_round,
    measurement_allowance,
    record_core,
    record_op,
    record_problems,
)
from theorycheck.nets._adapter_common import NOISE_ALLOWANCE, map_options_problems, output_rounding_floor
from theorycheck.numerics.rounding import U, norm2
from theorycheck.results import CheckResult, Outcome, Rigor

#: largest number of scalar entries (arrays) a verifier accepts in one witness
WITNESS_LIMIT = 2 ** 25


class WitnessCheck:
    """Collects the problems of a stored witness (each names its field)."""

    def __init__(self, w: Mapping[str, Any], where: str = "witness"):
        self.w, self.where = w, where
        self.problems: list[str] = []

    def bad(self, key: str, why: str) -> None:
        """Record that field ``key`` is unusable, and why."""
        self.problems.append(f"{self.where}[{key!r}]: {why}")

    def array(self, key: str, *, shape: tuple | None = None, kinds: str = "fc", finite: bool = True,
              ndim: int | None = None) -> np.ndarray | None:
        """The array ``key`` (dtype ``kinds``: ``"fc"`` float64/complex128, ``"f"`` float64, else numpy
        kind letters), or None with the problem recorded."""
        v = self.w.get(key)
        if not isinstance(v, np.ndarray):
            self.bad(key, "missing or not an array")
            return None
        ok_dtype = (v.dtype in (np.float64, np.complex128) if kinds == "fc" else
                    v.dtype == np.float64 if kinds == "f" else v.dtype.kind in kinds)
        if not ok_dtype:
            self.bad(key, f"dtype {v.dtype} is not allowed here")
            return None
        if v.size > WITNESS_LIMIT:
            self.bad(key, f"{v.size} entries exceed the limit {WITNESS_LIMIT}")
            return None
        if shape is not None and v.shape != tuple(shape):
            self.bad(key, f"shape {v.shape}, expected {tuple(shape)}")
            return None
        if ndim is not None and v.ndim != ndim:
            self.bad(key, f"{v.ndim} dimensions, expected {ndim}")
            return None
        if finite and v.dtype.kind in "fc" and not bool(np.all(np.isfinite(v))):
            self.bad(key, "not finite")
            return None
        return v

    def number(self, key: str, *, minimum: float | None = None, positive: bool = False,
               integer: bool = False, none: bool = False, maximum: float | None = None) -> Any:
        """The finite number ``key`` in range (None allowed when ``none``), or None with the problem recorded."""
        v = self.w.get(key, "__missing__")
        if v is None and none:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
            self.bad(key, f"expected {'an integer' if integer else 'a number'}, got {v!r}"[:200])
            return None
        if not math.isfinite(float(v)) or (positive and not v > 0) or (minimum is not None and v < minimum) \
                or (maximum is not None and v > maximum):
            self.bad(key, f"{v!r} is out of range")
            return None
        return v

    def text(self, key: str, choices: tuple | None = None) -> str | None:
        """The string ``key`` (one of ``choices`` when given), or None with the problem recorded."""
        v = self.w.get(key)
        if not isinstance(v, str) or len(v) > 2000 or (choices is not None and v not in choices):
            self.bad(key, f"expected {'one of ' + repr(choices) if choices else 'a string'}, got {v!r}"[:200])
            return None
        return v

    def operator(self, key: str = "operator") -> Mapping[str, Any] | None:
        """The stored operator record (None, with the problems recorded, when unusable)."""
        rec = self.w.get(key)
        bad = record_problems(rec, f"{self.where}[{key!r}]")
        if bad:
            self.problems += bad
            return None
        return rec

    def options(self, key: str = "psi") -> Mapping[str, Any] | None:
        """The stored adapter options of ``Ψ`` (None, with the problems recorded, when unusable)."""
        bad = map_options_problems(self.w.get(key))
        if bad:
            self.problems += [f"{self.where}[{key!r}]: {b}" for b in bad]
            return None
        return self.w[key]

    def measurements(self, rec: Mapping[str, Any], X: np.ndarray, stored: Sequence[np.ndarray],
                     names: Sequence[str]) -> bool:
        """``stored[i]`` is ``A·X[i]`` up to the rounding of A's float64 evaluation; False when
        not re-checkable (opaque operator).

        The exact ``A·X[i]`` is enclosed in ball arithmetic on the stored operator (or, for
        transforms too large for it, recomputed in float64) and the stored vector must lie
        within :func:`measurement_allowance` of it.
        """
        if rec.get("kind") == "opaque":
            return False
        X = np.asarray(X)
        core = record_core(rec)
        if X.ndim != len(core) + 1 or tuple(X.shape[1:]) != core:
            self.problems.append(f"{self.where}: images of shape {tuple(X.shape[1:])} do not match the "
                                 f"operator's {core}")
            return True
        if len(stored) != X.shape[0]:
            self.problems.append(f"{self.where}[{names[0] if names else 'y'}]: {len(stored)} measurement "
                                 f"vectors for {X.shape[0]} images")
            return True
        try:
            if Ball.available(rec):
                ball = Ball(rec)
                cplx = ball.complex_out or bool(np.iscomplexobj(X))
                ref = [ball_round(b, cplx) for b in ball.apply(X)]
            else:
                op = record_op(rec)
                ref = list(apply_operator(op, X).reshape(X.shape[0], -1))
        except TheorycheckError as exc:
            self.problems.append(f"cannot apply the stored operator: {exc}")
            return True
        for i, name in enumerate(names):
            s = np.asarray(stored[i])
            r = ref[i]
            if r is None or s.size != r.size:
                self.problems.append(f"{self.where}[{name!r}] does not have A's output shape")
                continue
            with np.errstate(over="ignore", invalid="ignore"):
                d = norm2(s.reshape(-1) - r.reshape(-1))
            allow = 2.0 * measurement_allowance(rec, X[i]) + 4.0 * U * norm2(r)
            if not d <= allow:
                self.problems.append(f"{self.where}[{name!r}] is not A·x for the stored operator and image "
                                     f"(off by {d:.3g}, more than the rounding allowance {allow:.3g})")
        return True

    def psi_outputs(self, keys: Sequence[str], shape: tuple | None,
                    unusable: Sequence[str] = ()) -> tuple[str | None, list]:
        """``psi_status`` and, for a usable float64 evaluation (empty status), the stored outputs ``keys``
        (of ``shape``) and their noise estimates ``psi_noise``; outputs (or ``unusable`` fields) stored for
        an evaluation marked unusable are a problem."""
        status = self.text("psi_status")
        prec = self.text("psi_precision")
        if status == "" and prec != "float64":
            self.bad("psi_precision", "an evaluation that backs the claims must be float64")
        if status != "":
            if status is not None and any(k in self.w for k in (*keys, "psi_noise", *unusable)):
                self.problems.append("witness: Ψ outputs stored for an evaluation marked unusable")
            return status, []
        outs: list = [self.array(k, shape=shape) for k in keys]
        if all(o is not None for o in outs):
            self.noise("psi_noise", outs)
        return status, outs

    def noise(self, key: str, outputs: Sequence[np.ndarray]) -> np.ndarray | None:
        """Stored noise estimates, one per output, none below the output's own rounding."""
        nu = self.array(key, shape=(len(outputs),), kinds="f")
        if nu is None:
            return None
        for i, p in enumerate(outputs):
            if not (nu[i] >= output_rounding_floor(p)):
                self.bad(key, f"entry {i} = {nu[i]!r} is below the output's own rounding ½‖ulp‖ = "
                              f"{output_rounding_floor(p)!r}")
                return None
        return nu


def reevaluate(model: Any, opts: Any, rec: Any, Y: np.ndarray, stored: Sequence[np.ndarray], noise: Any,
               names: Sequence[str], scale: Any = None, segments: Any = None) -> list[str]:
    """Re-run ``Ψ`` (rebuilt from ``model`` and the stored options) in float64 and compare.

    A re-evaluated output may differ from the stored one by at most 16 times the stored
    noise estimate (the certificate's promise), and the new noise estimate may not
    exceed 16 times the stored one (an understated estimate).
    """
    from theorycheck.nets.adapters import ReconstructionMap  # torch

    op = record_op(rec)
    if op is None:
        return ["cannot re-evaluate Ψ: the operator is opaque (not stored in the file)"]
    try:
        pm = ReconstructionMap.from_options(model, dict(opts), op)
        ev = pm.evaluate_float64(np.asarray(Y), noise=True, noise_scale=scale, noise_segments=segments)
    except TheorycheckError as exc:
        return [f"re-evaluating Ψ with the given model failed: {exc}"]
    if not ev.ok or ev.reason:
        return [f"re-evaluating Ψ with the given model: {ev.reason or 'not usable'}"]
    out = []
    for i, name in enumerate(names):
        got, want = ev.output[i], np.asarray(stored[i])
        if got.shape != want.shape:
            out.append(f"{name}: the model returns shape {got.shape}, the file stores {want.shape}")
            continue
        d = norm2(got - want) if got.dtype == want.dtype or np.iscomplexobj(want) else norm2(np.real(got) - want)
        allow = NOISE_ALLOWANCE * float(noise[i])
        if not d <= allow:
            out.append(f"{name}: the model's float64 output differs from the stored one by {d:.3g}, more "
                       f"than the noise allowance {allow:.3g}")
        if float(ev.noise.noise[i]) > allow:
            out.append(f"{name}: the model's rounding noise estimate {float(ev.noise.noise[i]):.3g} exceeds 16 "
                       f"times the stored one ({float(noise[i]):.3g}): the file understates it")
    return out


def model_arg(psi: Any, model: Any) -> Any:
    """The network a verifier re-runs: ``model=`` (or its older name ``psi=``), callable or None."""
    if psi is not None and model is not None and psi is not model:
        raise InvalidArgument("pass the network once, as model= (psi= is its older name)")
    model = model if model is not None else psi
    if model is not None and not callable(model):
        raise InvalidArgument(f"model must be a torch.nn.Module, a callable or a ReconstructionMap, got "
                              f"{type(model).__name__}")
    return model


def result_arg(result: Any) -> CheckResult:
    """A loaded result (refused otherwise)."""
    if not isinstance(result, CheckResult):
        raise InvalidArgument(f"pass a loaded result (CheckResult), got {type(result).__name__}")
    return result


def no_witness(name: str, result: CheckResult, kind: str) -> CheckResult:
    """The verification of a result without the witness it needs: violated, nothing re-derived."""
    return CheckResult(name, Outcome.VIOLATED, Rigor.NUMERICAL,
                       f"the saved result has no {kind!r} witness: none of its claims can be re-derived",
                       {"problems": (f"witness: missing or not of kind {kind!r}",), "not_rechecked": ""})
