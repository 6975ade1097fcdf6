"""Loading saved results: fresh processes, hostile and malformed files (issue: trust)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from theorycheck.errors import InvalidArgument
from theorycheck.results import CheckResult, Outcome, Report, Rigor, Witness, load


def _saved(**values) -> dict:
    return CheckResult("demo", Outcome.HOLDS, Rigor.NUMERICAL, "m", values or {"a": 1.0}).to_dict()


@pytest.mark.parametrize("value, needle", [
    ({"__arb__": ["1", "0"], "exact": [["1", 10_000_000_000], ["0", 0]]}, "exact"),
    ({"__arb__": ["1", "0"], "exact": [["1", 0], ["-1", 0]]}, "negative ball radius"),
    ({"__arb__": ["1e99999999999", "0"]}, "bounded exponent"),
    ({"__mpf__": "1", "man_exp": ["1", "99999999999"]}, "man_exp"),
    ({"__mpf__": "1e999999999999"}, "bounded exponent"),
    ({"__fraction__": "1/0"}, "ZeroDivisionError"),
    ({"__fraction__": "import os"}, "not a fraction"),
    ({"__ndarray__": "!!notbase64!!", "dtype": "<f8", "shape": [1]}, "Error"),
    ({"__ndarray__": "AAAAAAAAAAA=", "dtype": "|O", "shape": [1]}, "not a numeric dtype"),
    ({"__ndarray__": "AAAAAAAAAAA=", "dtype": "<f8", "shape": [2]}, "do not hold"),
    ({"__ndarray__": "AAAAAAAAAAA=", "dtype": "<f8", "shape": [-1]}, "negative"),
    ({"__ndarray__": "", "dtype": "<f8", "shape": [2 ** 40, 2 ** 40]}, "outside"),
    ({"__ndarray__": "", "dtype": "<f8", "shape": [2 ** 20, 2 ** 20]}, "exceeds"),
    ({"__ndarray__": "", "dtype": "no-such-dtype", "shape": [0]}, "dtype"),
    ({"__enum__": "Evil", "value": "x"}, "unknown enum"),
    ({"__float__": "1e999999999"}, "bounded exponent"),
    ({"__dict__": [[{"a": 1}, 1]]}, "TypeError"),
    ({"__tuple__": 5}, "TypeError"),
])
def test_hostile_values_are_refused_quickly_with_the_field_named(value, needle):
    d = _saved()
    d["fields"]["values"] = {"bad": value}
    t0 = time.perf_counter()
    with pytest.raises(InvalidArgument) as info:
        load(json.dumps(d))
    assert time.perf_counter() - t0 < 5
    assert "values.bad" in str(info.value) and needle in str(info.value)


@pytest.mark.parametrize("edit, needle", [
    (lambda d: d["fields"].update(extra=1), "unknown field"),
    (lambda d: d["fields"].pop("outcome"), "missing field"),
    (lambda d: d["fields"].update(outcome="maybe"), "maybe"),
    (lambda d: d["fields"].update(message=5), "message"),
    (lambda d: d["fields"].update(values=[1, 2]), "values"),
    (lambda d: d["fields"].update(witness={"__witness__": {"kind": "x"}}), "witness"),
    (lambda d: d.update(type="NoSuchResult"), "unknown result type"),
    (lambda d: d.pop("fields"), "not a theorycheck result"),
])
def test_malformed_structure_is_refused_with_the_field_named(edit, needle):
    d = _saved()
    edit(d)
    with pytest.raises(InvalidArgument, match=needle):
        load(json.dumps(d))


def test_deep_nesting_and_bare_constants_are_refused():
    deep = {"a": 1.0}
    for _ in range(200):
        deep = {"n": deep}
    d = _saved()
    d["fields"]["values"] = deep
    with pytest.raises(InvalidArgument, match="nested deeper"):
        load(json.dumps(d))
    text = json.dumps(_saved()).replace('"a": 1.0', '"a": NaN')
    with pytest.raises(InvalidArgument, match="NaN"):
        load(text)
    very_deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(InvalidArgument):
        load(very_deep)


def test_report_fields_are_validated():
    with pytest.raises(InvalidArgument, match="unknown field"):
        Report.from_json(json.dumps({"type": "Report", "results": [], "evil": 1}))
    with pytest.raises(InvalidArgument, match="results"):
        Report.from_json(json.dumps({"type": "Report", "results": {}}))


def test_round_trip_still_exact_for_balls_and_arrays():
    import flint

    ball = flint.arb(flint.arf((2 ** 200 + 1, -210)), flint.arf((3, -300)))
    arr = np.array([1.0, np.nextafter(1.0, 2.0)])
    r = CheckResult("demo", Outcome.HOLDS, Rigor.PROVEN, "m", {"b": ball, "arr": arr},
                    Witness("w", {"s": np.array(["a", "bc"])}))
    back = load(r.to_json())
    assert back == r
    assert back.values["b"].mid().man_exp() == ball.mid().man_exp()


def _fresh_load_script(result_type: str, check: str) -> str:
    return (
        "import sys, theorycheck.results as R\n"
        f"d = {{'type': {result_type!r}, 'fields': {{'check': {check!r}, 'outcome': 'inconclusive',"
        " 'rigor': 'numerical'}}\n"
        "try:\n    R.CheckResult.from_dict(d)\n"
        "except Exception as e:\n    print(type(e).__name__, e); sys.exit(1)\n"
    )


def test_every_provider_loads_in_a_fresh_process():
    """``load`` finds every registered result class without importing its module first."""
    from theorycheck.results import _RESULT_TYPES, PROVIDERS

    names = sorted(n for n in PROVIDERS if n[0].isupper())
    code = ("import json, theorycheck.results as R\n"
            f"names = {names!r}\n"
            "print(json.dumps({n: R.result_type(n) is not None for n in names}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert all(found.values()), found
    ours = {n for n, c in _RESULT_TYPES.items() if c.__module__.startswith("theorycheck.")}
    assert ours - {"CheckResult"} <= set(PROVIDERS), "a registered class is not in PROVIDERS"


def test_verify_result_imports_the_verifier_on_demand():
    code = ("import theorycheck.results as R\n"
            "r = R.CheckResult('rip_constant', 'holds', 'proven', 'x')\n"
            "v = R.verify_result(r)\n"
            "print('no verifier' in v.message)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("False")
