"""Unit tests of theorycheck.problems.sparsity (σ_s, best s-term, supports, levels)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import theorycheck.problems.sparsity as sparsity
from theorycheck.errors import InvalidArgument
from theorycheck.problems.sparsity import (
    best_s_term,
    is_s_sparse,
    levels_from_sizes,
    sigma_s,
    sigma_s_levels,
    sparsity_in_levels,
    support,
)

X = np.array([3.0, -1.0, 0.5, 2.0])  # moduli sorted: 3, 2, 1, 0.5; ‖x‖₁ = 6.5


def test_module_doctests_pass():
    result = doctest.testmod(sparsity)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("s,expected", [(0, 6.5), (1, 3.5), (2, 1.5), (3, 0.5), (4, 0.0), (10, 0.0)])
def test_sigma_s_hand(s, expected):
    assert sigma_s(X, s) == expected


def test_sigma_s_complex_weights_and_shape():
    # moduli 5, 1, 2: keeping the largest leaves 1 + 2 = 3
    assert sigma_s([3 + 4j, 1j, -2.0], 1) == pytest.approx(3.0)
    # w|x| = 3, 10, 0.5, 2: keep 10 → 3 + 0.5 + 2; keep 10, 3 → 2.5
    w = [1.0, 10.0, 1.0, 1.0]
    assert sigma_s(X, 1, weights=w) == pytest.approx(5.5)
    assert sigma_s(X, 2, weights=w) == pytest.approx(2.5)
    assert sigma_s(X, 0, weights=w) == pytest.approx(15.5)
    # images are flattened
    assert sigma_s(X.reshape(2, 2), 1) == 3.5
    assert sigma_s(X.reshape(2, 2), 1, weights=np.reshape(w, (2, 2))) == pytest.approx(5.5)
    assert sigma_s(np.int64(5) * np.ones(3, dtype=int), np.int64(1)) == 10.0


def test_sigma_s_matches_best_s_term():
    rng = np.random.default_rng(0)
    for cplx in (False, True):
        x = rng.standard_normal(17) + (1j * rng.standard_normal(17) if cplx else 0)
        w = rng.uniform(0.5, 2.0, 17)
        for s in range(0, 19, 3):
            assert sigma_s(x, s) == pytest.approx(np.sum(np.abs(x - best_s_term(x, s))), abs=1e-14)
            err = np.sum(w * np.abs(x - best_s_term(x, s, weights=w)))
            assert sigma_s(x, s, weights=w) == pytest.approx(err, abs=1e-14)


def test_best_s_term():
    x = np.array([1.0, -2.0, 2.0, 0.5])
    np.testing.assert_array_equal(best_s_term(x, 1), [0.0, -2.0, 0.0, 0.0])  # tie: lowest index
    np.testing.assert_array_equal(best_s_term(x, 2), [0.0, -2.0, 2.0, 0.0])
    np.testing.assert_array_equal(best_s_term(x, 0), np.zeros(4))
    np.testing.assert_array_equal(best_s_term(x, 9), x)
    out = best_s_term(x, 4)
    assert out is not x
    out[0] = 99.0
    assert x[0] == 1.0  # input untouched, new array
    z = np.array([[1j, 0.0], [0.0, -3.0]])
    b = best_s_term(z, 1)
    assert b.shape == (2, 2) and b.dtype == np.complex128
    np.testing.assert_array_equal(b, [[0, 0], [0, -3.0]])
    np.testing.assert_array_equal(best_s_term([0.0, 0.0, 0.0], 2), np.zeros(3))


def test_support_and_is_s_sparse():
    x = [0.0, 1e-12, -3.0, 0.0, 2j]
    np.testing.assert_array_equal(support(x), [1, 2, 4])
    np.testing.assert_array_equal(support(x, tol=1e-9), [2, 4])
    assert support(np.zeros(3)).size == 0
    assert is_s_sparse(x, 3) and not is_s_sparse(x, 2)
    assert is_s_sparse(x, 2, tol=1e-9)
    np.testing.assert_array_equal(support(np.array([[0.0, 1.0], [2.0, 0.0]])), [1, 2])


def test_levels():
    assert levels_from_sizes([2, 3, 1]) == [(0, 2), (2, 5), (5, 6)]
    x = [1.0, 0.0, 2.0, 3.0, 0.0, 1e-10]
    lv = levels_from_sizes([2, 3, 1])
    np.testing.assert_array_equal(sparsity_in_levels(x, lv), [1, 2, 1])
    np.testing.assert_array_equal(sparsity_in_levels(x, lv, tol=1e-9), [1, 2, 0])
    # level 1: {3, 1} keep 3 → 1; level 2: {2, 4, 0.5} keep 4 → 2.5; total 3.5
    assert sigma_s_levels([3.0, 1.0, 2.0, -4.0, 0.5], [1, 1], [(0, 2), (2, 5)]) == 3.5
    assert sigma_s_levels([3.0, 1.0, 2.0, -4.0, 0.5], [0, 5], [(0, 2), (2, 5)]) == 4.0
    # weights (per level) change which entries are kept: w|x| = 3, 5, 2, 4, 0.5
    w = [1.0, 5.0, 1.0, 1.0, 1.0]
    assert sigma_s_levels([3.0, 1.0, 2.0, -4.0, 0.5], [1, 1], [(0, 2), (2, 5)], weights=w) == 5.5
    # one level is plain σ_s
    rng = np.random.default_rng(1)
    v = rng.standard_normal(9)
    assert sigma_s_levels(v, [4], [(0, 9)]) == pytest.approx(sigma_s(v, 4))


@pytest.mark.parametrize("levels", [
    [(0, 2), (3, 5)],          # gap
    [(0, 3), (2, 5)],          # overlap
    [(0, 2), (2, 4)],          # does not cover
    [(0, 2), (2, 6)],          # too long
    [(1, 5)],                  # does not start at 0
    [(0, 3), (3, 3), (3, 5)],  # empty level
    [(2, 5), (0, 2)],          # not increasing
    [],
    [(0, 2, 3)],
    "abc",
    [(0, 2.5), (2.5, 5)],
])
def test_bad_levels(levels):
    with pytest.raises(InvalidArgument):
        sparsity_in_levels(np.ones(5), levels)
    with pytest.raises(InvalidArgument):
        sigma_s_levels(np.ones(5), [1] * max(1, len(levels)), levels)


@pytest.mark.parametrize("call", [
    lambda: sigma_s(X, -1),
    lambda: sigma_s(X, 1.5),
    lambda: sigma_s(X, True),
    lambda: sigma_s(X, "2"),
    lambda: sigma_s([1.0, np.nan], 1),
    lambda: sigma_s([1.0, np.inf], 1),
    lambda: sigma_s(X, 1, weights=[1.0, 1.0]),
    lambda: sigma_s(X, 1, weights=[1.0, 0.0, 1.0, 1.0]),
    lambda: sigma_s(X, 1, weights=[1.0, -1.0, 1.0, 1.0]),
    lambda: sigma_s(X, 1, weights=[1.0, 1j, 1.0, 1.0]),
    lambda: best_s_term(X, -2),
    lambda: best_s_term([np.nan], 0),
    lambda: support(X, tol=-1.0),
    lambda: support(X, tol=np.nan),
    lambda: is_s_sparse(X, -1),
    lambda: levels_from_sizes([]),
    lambda: levels_from_sizes([2, 0]),
    lambda: levels_from_sizes([2, -1]),
    lambda: levels_from_sizes([2.5]),
    lambda: sigma_s_levels(X, [1], [(0, 2), (2, 4)]),
    lambda: sigma_s_levels(X, [1, -1], [(0, 2), (2, 4)]),
    lambda: sigma_s(None, 1),
])
def test_bad_inputs(call):
    with pytest.raises(InvalidArgument):
        call()


def test_inputs_not_mutated():
    x = X.copy()
    w = np.ones(4)
    sigma_s(x, 2, weights=w), best_s_term(x, 2), support(x), sigma_s_levels(x, [1, 1], [(0, 2), (2, 4)])
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(w, np.ones(4))


# -- issue 11: scalars and empty signals are not signals -----------------------------------------

@pytest.mark.parametrize("x", [-7.0, 3, np.float64(2.0), np.zeros(0), [], np.zeros((2, 0))])
def test_issue11_scalar_or_empty_x_is_refused(x):
    for call in (lambda: sigma_s(x, 1), lambda: best_s_term(x, 1), lambda: support(x),
                 lambda: is_s_sparse(x, 1), lambda: sparsity_in_levels(x, [(0, 1)]),
                 lambda: sigma_s_levels(x, [1], [(0, 1)])):
        with pytest.raises(InvalidArgument):
            call()


def test_issue11_levels_and_counts_from_unbounded_iterables_are_refused():
    import itertools

    with pytest.raises(InvalidArgument):
        levels_from_sizes(itertools.repeat(1))
    with pytest.raises(InvalidArgument):
        sparsity_in_levels(np.ones(4), itertools.repeat((0, 1)))
    with pytest.raises(InvalidArgument):
        sigma_s_levels(np.ones(4), itertools.repeat(1), [(0, 2), (2, 4)])
    with pytest.raises(InvalidArgument):
        levels_from_sizes("12")
