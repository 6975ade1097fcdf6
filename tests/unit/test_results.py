"""Results: outcome/rigor semantics, immutability and the JSON round trip."""

from __future__ import annotations

import json
from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest

from theorycheck.errors import InvalidArgument
from theorycheck.results import (
    CheckResult,
    Outcome,
    Report,
    Rigor,
    Witness,
    decode,
    encode,
    load,
    verify_result,
)


def _result(outcome="holds", rigor="proven", **values):
    w = Witness("pair", {"x": np.array([1.0, -2.5, 1e-300]), "z": np.array([[1 + 2j, 3 - 1e-17j]])})
    return CheckResult("demo", outcome, rigor, "msg", values or {"bound": 0.1}, w, "Thm 1")


def test_rigor_order_and_weakest():
    assert Rigor.NUMERICAL < Rigor.CERTIFIED_FLOAT64 < Rigor.PROVEN
    assert Rigor.weakest(Rigor.PROVEN, Rigor.NUMERICAL, Rigor.CERTIFIED_FLOAT64) is Rigor.NUMERICAL
    assert str(Rigor.CERTIFIED_FLOAT64) == "certified-float64"


def test_strings_are_converted_and_bad_ones_rejected():
    r = _result("violated", "numerical")
    assert r.outcome is Outcome.VIOLATED and r.rigor is Rigor.NUMERICAL
    assert r.violated and not r.holds
    with pytest.raises(InvalidArgument):
        CheckResult("c", "maybe", "proven")
    with pytest.raises(InvalidArgument):
        CheckResult("c", "holds", "pretty sure")


def test_results_are_immutable_and_copy_arrays():
    arr = np.array([1.0, 2.0])
    r = CheckResult("c", "holds", "proven", values={"a": arr})
    arr[0] = 99.0  # the caller's later edit must not leak into the result
    assert r["a"][0] == 1.0
    with pytest.raises(ValueError):
        r["a"][0] = 5.0
    with pytest.raises(AttributeError):
        r.outcome = Outcome.VIOLATED  # type: ignore[misc]


@pytest.mark.parametrize(
    "value",
    [
        0.1, 1e-300, -0.0, float("inf"), float("nan"), 3, True, None, "text", 1 + 2j,
        Fraction(1, 3), (1, 2.5), [1, [2, 3]], {"a": 1}, {(1, 2): "tuple key"},
        np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1 + 1j, 2], dtype=np.complex64),
        np.array([[True, False]]), np.array(["ok", "no"]), np.int64(7), np.float64(2.5),
        Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64,
    ],
    ids=repr,
)
def test_encode_decode_round_trip(value):
    back = decode(json.loads(json.dumps(encode(value))))
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        assert np.array_equal(back, value)
    elif isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    else:
        assert back == value and type(back) is type(value) or isinstance(value, np.generic)


def test_float_arrays_round_trip_bit_exactly():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(50) * 10.0 ** rng.integers(-300, 300, 50)
    back = decode(json.loads(json.dumps(encode(x))))
    assert back.tobytes() == x.tobytes()


def test_arbitrary_precision_numbers_keep_every_digit():
    with mpmath.workdps(60):
        third = mpmath.mpf(1) / 3
        back = decode(json.loads(json.dumps(encode(third))))
        assert back == third  # exact binary value restored
    old = flint.ctx.prec
    flint.ctx.prec = 200
    try:
        ball = flint.arb(1) / 3
        data = json.loads(json.dumps(encode(ball)))
        assert data["__arb__"][0].startswith("0.3333333333333333333333333333333333333333")
        back = decode(data)
        assert back.contains(ball)  # never narrower than what was saved
        assert float(back.rad()) <= float(ball.rad()) * (1 + 2.0 ** -28)
    finally:
        flint.ctx.prec = old


def test_decimal_strings_of_balls_enclose_the_ball():
    from theorycheck.numerics.exact import ball_to_strings

    for k in (3, 7, 11):
        b = flint.arb(2).sqrt() / k
        mid, rad = ball_to_strings(b)
        rebuilt = flint.arb(mid, rad)
        assert rebuilt.contains(b)


def test_check_result_json_round_trip(tmp_path):
    r = _result(bound=mpmath.mpf("0.25"), pair=(1, 2), arr=np.eye(2), ball=flint.arb(1) / 7)
    text = r.to_json()
    assert json.loads(text)["fields"]["outcome"] == "holds"
    back = CheckResult.from_json(text)
    assert back == r
    path = tmp_path / "r.json"
    r.to_json(str(path))
    assert load(str(path)) == r


def test_subclass_round_trip_by_registration():
    import dataclasses

    from theorycheck.results import register_result

    @register_result
    @dataclasses.dataclass(frozen=True, eq=False)
    class BoundResult(CheckResult):
        lower_bound: float = 0.0

    r = BoundResult("b", "holds", "certified-float64", lower_bound=3.5)
    back = CheckResult.from_json(r.to_json())
    assert type(back) is BoundResult and back.lower_bound == 3.5 and back == r


def test_report_verdicts_and_round_trip():
    ok, bad, unk = _result(), _result("violated", "numerical"), _result("inconclusive", "numerical")
    rep = Report([ok, bad, unk], title="suite")
    assert not rep.passed and rep.failures() == [bad]
    assert Report([ok, unk]).passed and not Report([ok, unk], strict=True).passed
    assert "1 failed" in rep.summary().splitlines()[-1]
    assert Report.from_json(rep.to_json()) == rep
    assert load(rep.to_json()) == rep
    with pytest.raises(InvalidArgument):
        Report([1.0])  # type: ignore[list-item]


def test_malformed_json_is_rejected(tmp_path):
    with pytest.raises(InvalidArgument):
        CheckResult.from_json("{not json")
    with pytest.raises(InvalidArgument):
        CheckResult.from_json('{"type": "Nope", "fields": {}}')
    with pytest.raises(InvalidArgument):
        CheckResult.from_json(str(tmp_path / "missing.json"))


def test_verify_without_verifier_is_inconclusive():
    v = verify_result(_result())
    assert v.outcome is Outcome.INCONCLUSIVE and v.rigor is Rigor.NUMERICAL
