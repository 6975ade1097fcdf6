"""Every export of theorycheck.strategies is documented and validates its arguments eagerly.

"Eagerly" means at the call that *builds* the strategy, before anything is
drawn, with ``hypothesis.errors.InvalidArgument`` (the style of
``hypothesis.extra.numpy``); theorycheck's own ``InvalidArgument`` catches it too.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument as HypothesisInvalidArgument
from hypothesis.strategies import SearchStrategy

import theorycheck.errors
import theorycheck.strategies as S

FUNCTIONS = [n for n in S.__all__ if inspect.isfunction(getattr(S, n))]

# for every strategy function: calls that must be refused at once
BAD_CALLS = {
    "sensing_matrices": [
        lambda: S.sensing_matrices(0, 5), lambda: S.sensing_matrices(3, "5"),
        lambda: S.sensing_matrices(3, 5, kind="sparse"), lambda: S.sensing_matrices(3, 5, dtype=int),
        lambda: S.sensing_matrices(3, 6, kind="hadamard"), lambda: S.sensing_matrices(8, 4, kind="dct"),
        lambda: S.sensing_matrices(3, 4, kind="fourier", dtype=np.float64),
        lambda: S.sensing_matrices(True, 4),
    ],
    "sparse_vectors": [
        lambda: S.sparse_vectors(4, 5), lambda: S.sparse_vectors(4, -1),
        lambda: S.sparse_vectors(4, 2, min_magnitude=0), lambda: S.sparse_vectors(4, 2, max_magnitude=np.inf),
        lambda: S.sparse_vectors(4, 2, min_magnitude=3, max_magnitude=2),
        lambda: S.sparse_vectors(4, 2, dtype="U3"), lambda: S.sparse_vectors(4.5, 2),
    ],
    "compressible_vectors": [
        lambda: S.compressible_vectors(0), lambda: S.compressible_vectors(5, decay=0),
        lambda: S.compressible_vectors(5, scale=-1), lambda: S.compressible_vectors(5, decay=np.nan),
        lambda: S.compressible_vectors(5, dtype=object),
    ],
    "lasso_problems": [
        lambda: S.lasso_problems(m=0), lambda: S.lasso_problems(lam=0), lambda: S.lasso_problems(lam=-1.0),
        lambda: S.lasso_problems(s=5, N=4), lambda: S.lasso_problems(s=5, m=4),
        lambda: S.lasso_problems(kind="nope"), lambda: S.lasso_problems(weighted="yes"),
        lambda: S.lasso_problems(N=10_000), lambda: S.lasso_problems(noise=-0.1),
        lambda: S.lasso_problems(kind="fourier"),
    ],
    "srlasso_problems": [
        lambda: S.srlasso_problems(s=4, m=4), lambda: S.srlasso_problems(noise=0.0),
        lambda: S.srlasso_problems(dtype=np.complex128), lambda: S.srlasso_problems(lam="1"),
    ],
    "qcbp_problems": [
        lambda: S.qcbp_problems(s=3, m=3), lambda: S.qcbp_problems(dtype=np.complex128),
        lambda: S.qcbp_problems(m=-2), lambda: S.qcbp_problems(m=1),
    ],
    "near_degenerate_problems": [
        lambda: S.near_degenerate_problems(problem="bp"), lambda: S.near_degenerate_problems(delta=0.0),
        lambda: S.near_degenerate_problems(delta=0.9), lambda: S.near_degenerate_problems(s=4, N=4),
        lambda: S.near_degenerate_problems(problem="qcbp", dtype=np.complex128),
    ],
    "rnsp_instances": [
        lambda: S.rnsp_instances(rho=1.0), lambda: S.rnsp_instances(rho=0), lambda: S.rnsp_instances(s=0),
        lambda: S.rnsp_instances(kind="fourier"), lambda: S.rnsp_instances(s=9, N=8),
    ],
    "impossibility_instances": [
        lambda: S.impossibility_instances(2), lambda: S.impossibility_instances(3, n=0),
        lambda: S.impossibility_instances(3, problem="tv"), lambda: S.impossibility_instances(3, N1=1),
        lambda: S.impossibility_instances(3, s=7, N2=6), lambda: S.impossibility_instances("3"),
    ],
    "precisions": [
        lambda: S.precisions(min_dps=0), lambda: S.precisions(min_dps=50, max_dps=20),
        lambda: S.precisions(max_dps=10**6), lambda: S.precisions(min_dps=st.integers(1, 3)),
    ],
}

# for every strategy function: a valid call (the strategy is built without error)
GOOD_CALLS = {
    "sensing_matrices": lambda: S.sensing_matrices(3, st.integers(4, 6)),
    "sparse_vectors": lambda: S.sparse_vectors(st.integers(4, 6), 2),
    "compressible_vectors": lambda: S.compressible_vectors(6),
    "lasso_problems": lambda: S.lasso_problems(m=st.integers(3, 5)),
    "srlasso_problems": lambda: S.srlasso_problems(),
    "qcbp_problems": lambda: S.qcbp_problems(),
    "near_degenerate_problems": lambda: S.near_degenerate_problems(problem="srlasso"),
    "rnsp_instances": lambda: S.rnsp_instances(),
    "impossibility_instances": lambda: S.impossibility_instances(st.integers(3, 5)),
    "precisions": lambda: S.precisions(),
}


def test_every_function_has_bad_and_good_calls():
    assert sorted(BAD_CALLS) == sorted(FUNCTIONS)
    assert sorted(GOOD_CALLS) == sorted(FUNCTIONS)


@pytest.mark.parametrize("name", S.__all__)
def test_documented(name):
    obj = getattr(S, name)
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{name} has no docstring"
    if inspect.isclass(obj) and issubclass(obj, Exception):
        return
    assert "Theorem:" in doc and "Rigor:" in doc, name
    if inspect.isfunction(obj):
        assert "Parameters" in doc and "Returns" in doc, name
        for p in inspect.signature(obj).parameters:
            assert p in doc, f"{name}: parameter {p!r} is not documented"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_options_are_keyword_only(name):
    """hypothesis.extra.numpy style: only the required arguments may be positional."""
    for p in inspect.signature(getattr(S, name)).parameters.values():
        if p.default is not inspect.Parameter.empty:
            assert p.kind is inspect.Parameter.KEYWORD_ONLY, f"{name}: option {p.name} is positional"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_bad_arguments_raise_at_once(name):
    for call in BAD_CALLS[name]:
        with pytest.raises(HypothesisInvalidArgument) as info:
            call()  # raises here: nothing is drawn
        assert isinstance(info.value, theorycheck.errors.InvalidArgument)
        assert str(info.value)  # says what to change


@pytest.mark.parametrize("name", FUNCTIONS)
def test_good_arguments_build_a_strategy(name):
    assert isinstance(GOOD_CALLS[name](), SearchStrategy)
