"""Enclosures of the centred Fourier operator (``SubsampledFourier(mask, centered=True)``).

Ground truth is independent of the code under test: the centred DFT written out entry by entry,
``(F_c x)[k] = Σ_j e^{−2πi (k − ⌊n/2⌋)(j − ⌊n/2⌋)/n} x[j] / √n`` per axis, in python-flint ``arb``
balls at 300 bits (no fftshift involved); the float64 operator is only used to confirm that formula.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

flint = pytest.importorskip("flint")
torch = pytest.importorskip("torch")

from theorycheck.nets._enclosure_operators import enclose_operator  # noqa: E402
from theorycheck.numerics.precision import precision  # noqa: E402
from theorycheck.problems.operators import SubsampledFourier  # noqa: E402

torch.set_num_threads(1)


def _phase(n: int, k: int, j: int, sign: int) -> tuple:
    """``e^{sign·2πi (k − h)(j − h)/n}`` (h = n // 2) as arb ``(cos, sin)``."""
    h = n // 2
    m = ((k - h) * (j - h)) % n
    s, c = flint.arb.sin_cos_pi_fmpq(flint.fmpq(2 * m, n))
    return c, sign * s


def _exact_centred(x: np.ndarray, shape: tuple, sign: int) -> np.ndarray:
    """The exact centred DFT (sign −1) or its inverse (+1) of a complex sample ``x`` (object pairs)."""
    out = np.empty(shape, dtype=object)
    scale = flint.arb(int(np.prod(shape))).rsqrt()
    for k in itertools.product(*(range(n) for n in shape)):
        re, im = flint.arb(0), flint.arb(0)
        for j in itertools.product(*(range(n) for n in shape)):
            wr, wi = flint.arb(1), flint.arb(0)
            for n, ka, ja in zip(shape, k, j):
                c, s = _phase(n, ka, ja, sign)
                wr, wi = wr * c - wi * s, wr * s + wi * c
            xr, xi = x[j]
            re += wr * xr - wi * xi
            im += wr * xi + wi * xr
        out[k] = (re * scale, im * scale)
    return out


def _pairs(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = (flint.arb(float(a[idx].real)), flint.arb(float(a[idx].imag)))
    return out


def _inside(ref: tuple, c: complex, lo: complex | None, r: complex) -> bool:
    """Whether the arb pair ``ref`` lies within ``c + lo ± r`` (real and imaginary parts)."""
    ok = True
    for part, cc, ll, rr in ((0, c.real, None if lo is None else lo.real, r.real),
                             (1, c.imag, None if lo is None else lo.imag, r.imag)):
        mid = flint.arb(float(cc)) + (flint.arb(float(ll)) if ll is not None else 0)
        ok &= bool((ref[part] - mid).abs_upper() <= flint.arb(float(rr)))
    return ok


CASES = [((4, 4), 0), ((8, 8), 1), ((3, 5), 2), ((5,), 3), ((6,), 4)]


@pytest.mark.parametrize("shape,seed", CASES)
@pytest.mark.parametrize("tight", [True, False])
def test_centred_forward_and_adjoint_contain_the_exact_value(shape, seed, tight):
    rng = np.random.default_rng(seed)
    mask = rng.random(shape) < 0.6
    mask.flat[0] = True
    A = SubsampledFourier(mask, centered=True)
    x = rng.standard_normal((2,) + shape) + 1j * rng.standard_normal((2,) + shape)
    y = rng.standard_normal((2, A.shape[0])) + 1j * rng.standard_normal((2, A.shape[0]))
    samples = np.flatnonzero(mask)
    with precision(prec=300):
        # forward: F_c x at the sampled (centred) frequencies
        c, lo, r = enclose_operator(A, torch.tensor(x), None, None, adjoint=False, tight=tight)
        assert tuple(c.shape) == (2, A.shape[0])
        fl = A.apply(x[0])
        for b in range(2):
            ref = _exact_centred(_pairs(x[b]), shape, -1).reshape(-1)[samples]
            for t in range(len(samples)):
                lt = None if lo is None else complex(lo[b, t])
                assert _inside(ref[t], complex(c[b, t]), lt, complex(r[b, t])), (b, t)
                if b == 0:  # the formula is the operator's (float64 agrees to rounding)
                    assert abs(float(ref[t][0].mid()) - fl[t].real) < 1e-12
                    assert abs(float(ref[t][1].mid()) - fl[t].imag) < 1e-12
            assert float(r.real.max()) < 1e-12 and float(r.imag.max()) < 1e-12
        # adjoint: zero-fill the centred k-space, inverse centred DFT
        c, lo, r = enclose_operator(A, torch.tensor(y), None, None, adjoint=True, tight=tight)
        assert tuple(c.shape) == (2,) + shape
        for b in range(2):
            z = np.empty(int(np.prod(shape)), dtype=object)
            for t in range(z.size):
                z[t] = (flint.arb(0), flint.arb(0))
            for t, flat in enumerate(samples):
                z[flat] = (flint.arb(float(y[b, t].real)), flint.arb(float(y[b, t].imag)))
            ref = _exact_centred(z.reshape(shape), shape, +1)
            for k in np.ndindex(shape):
                lk = None if lo is None else complex(lo[(b,) + k])
                assert _inside(ref[k], complex(c[(b,) + k]), lk, complex(r[(b,) + k])), (b, k)


def test_centred_differs_from_unshifted_enclosure():
    # the enclosure really is of the centred map: for an even length the unshifted one is elsewhere
    rng = np.random.default_rng(5)
    mask = np.ones((4, 4), dtype=bool)
    x = torch.tensor(rng.standard_normal((1, 4, 4)))
    cc, _, rc = enclose_operator(SubsampledFourier(mask, centered=True), x, None, None, adjoint=False)
    cu, _, ru = enclose_operator(SubsampledFourier(mask), x, None, None, adjoint=False)
    assert float((cc - cu).abs().max()) > 1e-3
    ref = SubsampledFourier(mask, centered=True).apply(x[0].numpy())
    assert np.max(np.abs(cc[0].numpy() - ref)) < 1e-13


def test_check_instability_proven_with_centred_operator():
    # Ψ(y) = B Re(A^* y), B fitted to recover x and x′ whose measurements are close: unstable, and
    # proven so, through the centred operator's adjoint inside the reconstruction map
    from theorycheck.instability import check_instability
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.results import Rigor, load, verify_result

    rng = np.random.default_rng(11)
    n = 16
    mask = np.zeros(n, dtype=bool)
    mask[[5, 6, 7, 8, 9, 10, 11]] = True  # centred low frequencies (symmetric about n // 2)
    A = SubsampledFourier(mask, centered=True)
    x = rng.standard_normal(n)
    k = rng.standard_normal(n)
    k -= np.real(A.adjoint(A.apply(k)))   # (nearly) in the kernel of A
    xp = x + k / np.linalg.norm(k) + 1e-3 * rng.standard_normal(n)
    Z = np.stack([np.real(A.adjoint(A.apply(v))) for v in (x, xp)], 1)   # the network's inputs
    B = np.stack([x, xp], 1) @ np.linalg.pinv(Z)
    lin = torch.nn.Linear(n, n, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(B))
    psi = as_reconstruction_map(lin, input="adjoint", A=A, layout="flat", complex_as_channels="real")
    cert = check_instability(psi, A, x, xp, ball_samples=0, rigor="proven")
    flt = check_instability(psi, A, x, xp, ball_samples=0)
    assert flt.holds, flt.message
    assert cert.holds and cert.rigor is Rigor.PROVEN, cert.message
    # a lower bound of the exact ratio: at most the float64 one (up to its rounding), and close to it
    assert cert.lower_bound <= flt.lower_bound * (1 + 1e-9)
    assert cert.lower_bound >= flt.lower_bound * (1 - 1e-6)
    saved = load(cert.to_json())
    assert verify_result(saved, model=lin).rigor is Rigor.PROVEN
    assert verify_result(saved).rigor is Rigor.NUMERICAL


def test_subclasses_are_refused_naming_them():
    # a user's subclass may redefine the transform: never enclosed as if it were the built-in one
    from theorycheck.errors import PreconditionError

    class Mine(SubsampledFourier):
        pass

    mask = np.array([True, False, True, True])
    x = torch.zeros((1, 4), dtype=torch.float64)
    for op, match in ((Mine(mask, centered=True), "Mine.*centred"), (Mine(mask), "Mine")):
        with pytest.raises(PreconditionError, match=match):
            enclose_operator(op, x, None, None, adjoint=False)


@pytest.mark.parametrize("shape,seed", CASES)
def test_saved_records_keep_the_centred_transform_exact(shape, seed):
    # a certificate stores a centred operator by its mask and re-evaluates it in ball arithmetic: the
    # balls contain the exact centred DFT (a record read as the unshifted transform would not)
    from theorycheck.instability._operators import Ball, operator_record, record_op

    rng = np.random.default_rng(seed)
    mask = rng.random(shape) < 0.6
    mask.flat[0] = True
    A = SubsampledFourier(mask, centered=True)
    rec = operator_record(A)
    assert rec["kind"] == "CenteredSubsampledFourier" and type(record_op(rec)) is type(A)
    x = rng.standard_normal(shape)
    balls = Ball(rec).apply(x[None])[0]
    with precision(prec=300):
        ref = _exact_centred(_pairs(x.astype(complex)), shape, -1)
    want = [ref[np.unravel_index(k, shape)] for k in np.flatnonzero(mask)]
    assert len(balls) == len(want)
    for b, (re, im) in zip(balls, want):
        assert b.real.overlaps(re) and b.imag.overlaps(im)

    class Mine(SubsampledFourier):  # a user's subclass is stored by the matrix it computes
        pass

    assert operator_record(Mine(mask, centered=True))["kind"] == "dense"


def test_a_reassigned_centered_flag_is_stored_by_its_matrix():
    # red-team B: SubsampledFourier(mask) with .centered set to True afterwards computes the centred
    # transform, but was saved as the unshifted one (kind 'SubsampledFourier')
    from theorycheck.instability._operators import operator_record, record_op

    mask = np.array([True, False, True, True, False, True])
    A = SubsampledFourier(mask)
    A.centered = True
    rec = operator_record(A)
    assert rec["kind"] == "dense"
    x = np.random.default_rng(0).standard_normal(6)
    np.testing.assert_allclose(record_op(rec).apply(x), A.apply(x), atol=1e-14)
