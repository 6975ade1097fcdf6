"""Numerics: precision context, exact conversions, rigorous decisions, input validation."""

from __future__ import annotations

from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest
import sympy

from theorycheck.errors import InsufficientPrecision, InvalidArgument
from theorycheck.numerics import as_array
from theorycheck.numerics.exact import (
    acb_matrix,
    arb_matrix,
    ball_lower,
    ball_upper,
    decide_less,
    to_acb,
    to_arb,
    to_fraction,
)
from theorycheck.numerics.precision import precision


def test_precision_context_sets_and_restores_both_libraries():
    before = (flint.ctx.prec, mpmath.mp.prec)
    with precision(dps=50) as p:
        assert mpmath.mp.dps >= 50 and flint.ctx.prec == p.bits >= 166
        with precision(prec=300):
            assert flint.ctx.prec == 300
        assert flint.ctx.prec == p.bits
    assert (flint.ctx.prec, mpmath.mp.prec) == before


def test_precision_restored_after_exception_and_as_decorator():
    before = flint.ctx.prec

    @precision(dps=40)
    def inner():
        assert flint.ctx.prec > 100
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        inner()
    assert flint.ctx.prec == before
    with pytest.raises(ZeroDivisionError):
        with precision(dps=30):
            _ = 1 / 0
    assert flint.ctx.prec == before


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_precision_rejects_bad_values(bad):
    with pytest.raises(InvalidArgument):
        precision(dps=bad)
    with pytest.raises(InvalidArgument):
        precision()


@pytest.mark.parametrize("x", [0.1, -1e-310, 1e308, 2.0 ** -1074, 123456789.123])
def test_float_conversions_are_exact(x):
    f = to_fraction(x)
    assert f == Fraction(*x.as_integer_ratio())
    b = to_arb(x)
    assert b.rad() == 0 and b.mid() == flint.arb(x).mid()
    q = flint.fmpq(f.numerator, f.denominator)
    assert (b - flint.arb(q)).is_zero()


def test_high_precision_inputs_become_enclosing_balls():
    with precision(dps=60):
        s3 = to_arb(sympy.sqrt(3))
        assert s3.contains(flint.arb(3).sqrt().mid())
        assert float(s3.rad()) < 1e-55
        m = mpmath.mpf(1) / 3
        assert to_arb(m).rad() == 0  # an mpf is an exact binary number
    assert to_arb(Fraction(1, 3)).contains(flint.arb(1) / 3)
    assert to_acb(1 + 2j).real.mid() == 1


def test_matrices_from_numpy_mpmath_sympy():
    A = np.array([[0.1, 2.0], [3.0, -4.5]])
    M = arb_matrix(A)
    assert M.nrows() == 2 and M.ncols() == 2 and M[0, 0].mid() == flint.arb(0.1).mid()
    Mm = arb_matrix(mpmath.matrix([[1, 2], [3, 4]]))
    assert Mm[1, 0] == 3
    Ms = arb_matrix(sympy.Matrix([[sympy.Rational(1, 2), 1]]))
    assert Ms[0, 0] == flint.arb(0.5)
    C = acb_matrix(np.array([1 + 1j, 2]))
    assert C.nrows() == 2 and C.ncols() == 1


def test_decide_less_is_rigorous():
    third = flint.arb(1) / 3
    assert decide_less(third, 0.34)
    assert not decide_less(0.34, third)
    with pytest.raises(InsufficientPrecision) as info:
        decide_less(third, third * 3 / 3)
    assert info.value.needed_dps is not None


def test_outward_rounding_helpers():
    b = flint.arb(1) / 3
    assert ball_lower(b) < 1 / 3 < ball_upper(b) or ball_lower(b) <= 1 / 3 <= ball_upper(b)
    assert Fraction(ball_upper(b)) > Fraction(1, 3) > Fraction(ball_lower(b))


def test_as_array_validation_and_copy():
    x = np.array([1.0, 2.0])
    y = as_array(x, "x")
    y[0] = 5.0
    assert x[0] == 1.0
    assert as_array([1, 2], "x").dtype == np.float64
    assert as_array([1j, 2], "x").dtype == np.complex128
    with pytest.raises(InvalidArgument, match="NaN"):
        as_array([1.0, np.nan], "x")
    with pytest.raises(InvalidArgument, match="complex"):
        as_array([1j], "x", allow_complex=False)
    with pytest.raises(InvalidArgument, match="dimension"):
        as_array(np.zeros((2, 2)), "x", ndim=1)
    with pytest.raises(InvalidArgument, match="non-numeric"):
        as_array(["a", "b"], "x")
    with pytest.raises(InvalidArgument):
        as_array(None, "x")


def test_torch_inputs_are_detected_without_importing_torch_elsewhere():
    torch = pytest.importorskip("torch")
    from theorycheck.numerics import is_torch, to_numpy

    t = torch.tensor([1.0, 2.0], requires_grad=True)
    assert is_torch(t) and not is_torch(np.zeros(2))
    assert np.array_equal(to_numpy(t), [1.0, 2.0])
    with pytest.raises(InvalidArgument):
        as_array(torch.tensor([float("inf")]), "t")


@pytest.mark.parametrize("text", ["-1.5", "1.5", "-0.1", "0", "-3e-40"])
def test_mpmath_numbers_keep_their_sign(text):
    x = mpmath.mpf(text)
    assert to_fraction(x) == Fraction(*float(x).as_integer_ratio()) or abs(float(to_fraction(x)) - float(x)) == 0
    assert (to_arb(x) - to_arb(to_fraction(x))).is_zero()
    assert (float(to_arb(x).mid()) < 0) == (x < 0)
    with pytest.raises(InvalidArgument):
        to_fraction(mpmath.mpf("inf"))


def test_exact_solver_reads_mpmath_matrices_with_their_signs():
    from theorycheck import Lasso
    from theorycheck.solvers import solve

    A = np.array([[1.0, -0.5], [-2.0, 1.0], [0.25, 3.0]])
    y = np.array([1.0, -2.0, 0.5])
    P = Lasso(A, lam=0.3)
    ref = solve(P, y, method="exact")
    with mpmath.workdps(30):
        via_mp = solve(P, mpmath.matrix(y.tolist()), method="exact", A_exact=mpmath.matrix(A.tolist()))
    assert np.array_equal(ref.x, via_mp.x) and ref.enclosure == via_mp.enclosure


def test_decimal_string_of_a_rational_carries_every_requested_digit():
    # red-team class: a rational was turned into a ball at the ambient 53-bit precision,
    # so "exact" strings of proven results were wrong beyond ~16 digits
    from fractions import Fraction

    from theorycheck.numerics.exact import decimal_string

    q = Fraction(2 ** 54 - 1, 2 ** 54)
    s = decimal_string(q, 25)
    assert s.replace("0.", "").count("9") >= 16 and len(s.replace("0.", "")) == 25
    assert abs(Fraction(s) - q) <= Fraction(1, 2 * 10 ** 25)
    tiny = 1 + Fraction(1, 10 ** 30)
    assert Fraction(decimal_string(tiny, 40)) == tiny


@pytest.mark.parametrize("value", [Fraction(1, 3), sympy.Rational(1, 3), sympy.Float("0.1", 50),
                                   mpmath.mpf(1) / 3 if mpmath.mp.prec > 53 else sympy.Rational(2, 3),
                                   2 ** 60 + 1, np.longdouble(1) / 3 if np.finfo(np.longdouble).nmant > 52
                                   else Fraction(1, 7)])
def test_scalar_parameters_that_float64_would_round_are_refused(value):
    # red-team class: scalar parameters (λ, η, ε, ρ, γ, tolerances) of types float64 cannot
    # hold were rounded silently, so proven claims were about another parameter
    from theorycheck import Lasso
    from theorycheck.numerics.validation import binary64_exact, real_arg

    assert not binary64_exact(value, float(value))
    with pytest.raises(InvalidArgument, match="not a float64 value"):
        real_arg(value, "eps")
    with pytest.raises(InvalidArgument, match="not a float64 value"):
        Lasso(np.eye(2), lam=value)


@pytest.mark.parametrize("value", [0.25, 3, np.float32(0.1), sympy.Rational(1, 4), sympy.Float(0.5),
                                   mpmath.mpf(0.75), Fraction(5, 8), 2 ** 60])
def test_scalar_parameters_held_exactly_by_float64_are_accepted(value):
    from theorycheck.numerics.validation import binary64_exact, real_arg

    assert binary64_exact(value, float(value))
    assert Fraction(real_arg(value, "eps")) == Fraction(float(value))
