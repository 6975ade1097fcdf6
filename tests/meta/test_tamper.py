"""Forgeries ``verify`` must reject: one field edited at a time, on every registered result type.

Each module in ``tests/meta/tamper_samples/`` provides ``samples()``: factories of real, small
results (optionally with a verification context such as ``{"model": net}``). For every sample
the untouched file must verify (control), and every single-field edit — outcome, rigor,
message, each claimed value by one ulp, each witness entry, each extra field of the result
class, the check name — must be rejected: either loading refuses the file, or
``verify_result`` does not report ``holds``. Every registered result type and every check name
with a verifier must be covered by at least one sample.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import math
import pathlib
from typing import Any, Callable, Iterator

import numpy as np
import pytest

from theorycheck.errors import InvalidArgument
from theorycheck.results import _RESULT_TYPES, _VERIFIERS, PROVIDERS, load, verify_result

_FOLDER = pathlib.Path(__file__).with_name("tamper_samples")


def _sample_modules() -> list[Any]:
    mods = []
    for path in sorted(_FOLDER.glob("[!_]*.py")):
        spec = importlib.util.spec_from_file_location(f"tamper_samples_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mods.append(mod)
    return mods


def _all_samples() -> dict[str, tuple[Callable[[], Any], dict[str, Any]]]:
    out: dict[str, tuple[Callable[[], Any], dict[str, Any]]] = {}
    for mod in _sample_modules():
        for name, entry in mod.samples().items():
            factory, ctx = entry if isinstance(entry, tuple) else (entry, {})
            key = f"{mod.__name__.removeprefix('tamper_samples_')}:{name}"
            assert key not in out, f"duplicate sample name {key}"
            out[key] = (factory, dict(ctx))
    return out


SAMPLES = _all_samples()
_CACHE: dict[str, tuple[dict, dict]] = {}


def _saved(key: str) -> tuple[dict, dict]:
    if key not in _CACHE:
        factory, ctx = SAMPLES[key]
        result = factory()
        ctx = {k: (v() if callable(v) and k.endswith("_factory") else v) for k, v in ctx.items()}
        ctx = {k.removesuffix("_factory"): v for k, v in ctx.items()}
        _CACHE[key] = (json.loads(result.to_json()), ctx)
    return _CACHE[key]


# -- edits ----------------------------------------------------------------------------------

def _ulp_edits(v: Any) -> Iterator[tuple[str, Any]]:
    """Small edits of one encoded value (JSON form)."""
    if isinstance(v, bool):
        yield "negated", (not v)
    elif isinstance(v, int):
        yield "+1", v + 1
    elif isinstance(v, float):
        if math.isfinite(v):
            yield "one ulp up", float(np.nextafter(v, math.inf))
            yield "one ulp down", float(np.nextafter(v, -math.inf))
    elif isinstance(v, str):
        yield "text changed", v + " (edited)"
    elif isinstance(v, list):
        if v:
            yield "shortened", v[:-1]
            for how, new in _ulp_edits(v[0]):
                yield f"first entry {how}", [new, *v[1:]]
                break
    elif isinstance(v, dict):
        if "__ndarray__" in v:
            arr = load_array(v)
            if arr.size:
                flat = arr.ravel().copy()
                if flat.dtype.kind == "f":
                    flat[0] = flat[0] * 1.5 + 1.0 if np.isfinite(flat[0]) else 0.5
                elif flat.dtype.kind == "c":
                    flat[0] = flat[0] * 1.5 + (1.0 + 1.0j) if np.isfinite(flat[0]) else 0.5
                elif flat.dtype.kind == "b":
                    flat[0] = not flat[0]
                elif flat.dtype.kind in "iu":
                    flat[0] = flat[0] + 1
                elif flat.dtype.kind == "U":
                    flat[0] = str(flat[0]) + "x"
                yield "first entry changed", dump_array(flat.reshape(arr.shape))
                if arr.ndim >= 1 and arr.shape[0] > 1:
                    yield "shortened", dump_array(arr[:-1])
        elif "__float__" in v:
            yield "replaced", 0.5
        elif "__tuple__" in v and v["__tuple__"]:
            yield "shortened", {"__tuple__": v["__tuple__"][:-1]}
        elif "__arb__" in v and v.get("exact"):
            (mm, me), rad = v["exact"]
            yield "midpoint moved", {**v, "exact": [[str(int(mm) + 1), me], rad]}
        elif "__fraction__" in v:
            yield "changed", {"__fraction__": v["__fraction__"] + "1"}
        elif "__enum__" in v:
            pass
        else:
            for k in sorted(v):
                if k.startswith("__"):
                    continue
                for how, new in _ulp_edits(v[k]):
                    yield f"[{k!r}] {how}", {**v, k: new}
                    break


def load_array(enc: dict) -> np.ndarray:
    from theorycheck.results import decode

    return decode(enc)


def dump_array(arr: np.ndarray) -> dict:
    from theorycheck.results import encode

    return encode(np.ascontiguousarray(arr))


def _edits(d: dict, informational: frozenset[str]) -> Iterator[tuple[str, dict]]:
    fields = d["fields"]
    for outcome in ("holds", "violated", "inconclusive"):
        if fields.get("outcome") != outcome:
            e = copy.deepcopy(d)
            e["fields"]["outcome"] = outcome
            yield f"outcome → {outcome}", e
    for rigor in ("proven", "certified-float64", "numerical"):
        if fields.get("rigor") != rigor:
            e = copy.deepcopy(d)
            e["fields"]["rigor"] = rigor
            yield f"rigor → {rigor}", e
    e = copy.deepcopy(d)
    e["fields"]["message"] = str(fields.get("message", "")) + " (edited)"
    yield "message", e
    for name, value in fields.items():
        if name in ("outcome", "rigor", "message", "check", "theorem") or name in informational:
            continue
        if name == "values":
            for k, v in value.items():
                if k in informational:
                    continue
                for how, new in _ulp_edits(v):
                    e = copy.deepcopy(d)
                    e["fields"]["values"][k] = new
                    yield f"values[{k!r}] {how}", e
        elif name == "witness" and isinstance(value, dict) and "__witness__" in value:
            for k, v in value["__witness__"]["data"].items():
                for how, new in _ulp_edits(v):
                    e = copy.deepcopy(d)
                    e["fields"]["witness"]["__witness__"]["data"][k] = new
                    yield f"witness[{k!r}] {how}", e
        else:
            for how, new in _ulp_edits(value):
                e = copy.deepcopy(d)
                e["fields"][name] = new
                yield f"{name} {how}", e


def _rejected(text: str, ctx: dict) -> tuple[bool, str]:
    try:
        res = load(text)
    except InvalidArgument as exc:
        return True, f"load refused: {exc}"
    try:
        out = verify_result(res, **ctx)
    except InvalidArgument as exc:
        return True, f"verify refused: {exc}"
    return (not out.holds), out.message


def _informational(d: dict) -> frozenset[str]:
    cls = _RESULT_TYPES.get(d["type"])
    return frozenset(getattr(cls, "informational", ()))


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_untouched_file_verifies(key):
    d, ctx = _saved(key)
    out = verify_result(load(json.dumps(d)), **ctx)
    assert out.holds, f"{key}: the control file does not verify: {out.message}"


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_every_single_field_edit_is_rejected(key):
    d, ctx = _saved(key)
    accepted = []
    n = 0
    for what, edited in _edits(d, _informational(d)):
        n += 1
        ok, why = _rejected(json.dumps(edited), ctx)
        if not ok:
            accepted.append(f"{what}: {why[:160]}")
    assert n > 3
    assert not accepted, f"{key}: {len(accepted)} of {n} forged files verify:\n" + "\n".join(accepted)


def test_samples_cover_every_result_type_and_verifier():
    for mod in set(PROVIDERS.values()):
        importlib.import_module(mod)
    types = {n for n, c in _RESULT_TYPES.items()
             if c.__module__.startswith("theorycheck.") and n != "CheckResult"}
    checks = set(_VERIFIERS)
    seen_types, seen_checks = set(), set()
    for key in SAMPLES:
        d, _ = _saved(key)
        seen_types.add(d["type"])
        seen_checks.add(d["fields"]["check"])
    assert types <= seen_types, f"result types without a tamper sample: {sorted(types - seen_types)}"
    assert checks <= seen_checks, f"verifiers without a tamper sample: {sorted(checks - seen_checks)}"
