"""The universal instability certificate: :func:`check_instability` and :func:`verify_instability`.

Given ``A``, ``Ψ`` and two images ``x, x′``, :func:`check_instability` checks the theorem's
hypotheses (each with its margin), the witnessed lower bound on the local Lipschitz
constant, the theorem's bound, a ball of ``y = Ax`` on which the bound holds, and the
false-negative / false-positive inputs (docs/theory.md §3 (a), (b)). The measurement and
evaluation part builds a witness; ``_assemble_instability`` derives every value,
hypothesis, bound, the outcome, rigor and message from the witness alone, and
:func:`verify_instability` (registered for ``"instability"``) re-derives them from a saved
file. What certified-float64 promises is described in :mod:`theorycheck.instability`.

Theorem: universal instability theorem (docs/theory.md §3; seeds 002, 004).
Rigor: certified-float64 (Ψ evaluated twice on the CPU in float64, its rounding noise allowed
for; every norm enclosed rigorously), or proven with ``rigor="proven"`` (Ψ's exact outputs
enclosed, docs/theory.md §7.4); the sampled ball radius is numerical.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping

import numpy as np

from theorycheck.errors import InsufficientPrecision, InvalidArgument, PreconditionError
from theorycheck.instability._common import (
    THEOREM,
    add_up,
    dist,
    div_down,
    enclosure_below,
    fmt,
    images_arg,
    negated,
    operator_arg,
    psi_map,
    psi_text,
    random_directions,
    row_norms,
    seed_int,
    sub_down,
    theorem_bound_value,
    widen,
)
from theorycheck.instability._operators import (
    TRANSFORMS,
    Ball,
    apply_operator,
    ball_distance,
    operator_record,
    record_op,
    record_text,
)
from theorycheck.instability._proven import (
    assumption_problems,
    contained,
    enclose_outputs,
    radius_norm_up,
    rigor_arg,
)
from theorycheck.instability._witness import WitnessCheck, model_arg, no_witness, reevaluate, result_arg
from theorycheck.nets._adapter_common import NOISE_ALLOWANCE, NOISE_SAFETY
from theorycheck.numerics.rounding import TINY, norm2, round_up
from theorycheck.numerics.validation import integer_arg, real_arg, refuse_size
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

__all__ = ["FalseDetection", "InstabilityCertificate", "check_instability", "verify_instability"]


@dataclasses.dataclass(frozen=True, eq=False)
class FalseDetection:
    """A false negative (a detail vanishes) or false positive (a detail appears).

    ``Ψ`` is fed the measurements of ``truth`` plus the noise ``e``
    (``input = A·truth + e``) and returns ``output``.

    Attributes
    ----------
    kind : str
        ``"false_negative"`` (truth ``x′ = x + z``, noise ``e = A(x − x′)``:
        ``Ψ`` returns about ``x``) or ``"false_positive"`` (truth ``x``, noise
        ``e = A(x′ − x)``: ``Ψ`` returns about ``x′``).
    e : numpy.ndarray
        The measurement perturbation, ``‖e‖ = ‖A(x − x′)‖ ≤ η``.
    input, output, truth : numpy.ndarray
        ``A·truth + e``, ``Ψ(input)`` and the image that was measured.
    error : float
        ``‖output − truth‖``: the reconstruction error caused by ``e``.
    other_distance : float
        ``‖output − other‖`` with ``other`` the image of the pair that was *not*
        measured (small: ``Ψ`` returns it).
    noise_norm : float
        ``‖e‖``.

    Theorem: universal instability theorem (b) (docs/theory.md §3).
    Rigor: certified-float64 (the certificate's rigor).
    """

    kind: str
    e: np.ndarray
    input: np.ndarray
    output: np.ndarray
    truth: np.ndarray
    error: float
    other_distance: float
    noise_norm: float

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FalseDetection):
            return NotImplemented
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if not (np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)):
                    return False
            elif a != b and not (isinstance(a, float) and math.isnan(a) and math.isnan(b)):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]


def _false_detection(v: Any) -> Any:
    """A FalseDetection from its stored record (a loaded file), else ``v`` as is."""
    if isinstance(v, Mapping):
        return FalseDetection(**dict(v))
    return v


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class InstabilityCertificate(CheckResult):
    """Certificate of the universal instability theorem for one pair ``x, x′``.

    Attributes (besides :class:`~theorycheck.results.CheckResult`'s)
    ----------------------------------------------------------------
    lower_bound : float
        A lower bound on ``L^ε(Ψ, y)`` at the stored measurements ``y ≈ Ax`` for every
        ``ε ≥ ‖y − y′‖`` (rounded up, ``values["distance_measurements_bounds"][1]``),
        whatever the hypotheses: ``(‖Ψ(y) − Ψ(y′)‖ − 16(ν + ν′))/‖y − y′‖`` rounded
        down, with ``ν, ν′`` the estimated rounding noise of the two outputs
        (0 when that is not positive).
    eta : float
        The ``η`` of the hypotheses (the smallest one when not given).
    hypotheses : dict
        name → ``(holds, margin)``; ``holds`` is None when the margin is within
        the rounding allowance (norm enclosures plus 16 times ``Ψ``'s noise estimate).
    ball_radius : float
        Radius of a ball ``B_y`` around ``Ax`` on which
        ``L^ε(Ψ, ỹ) ≥ (‖x − x′‖ − 2η)/η`` for all ``ε ≥ η`` was checked
        (``values["ball_rigor"]``: certified at the centre, sampled inside).
    false_negative, false_positive : FalseDetection or None

    ``outcome`` is ``holds`` when every hypothesis is certified and the output
    change exceeds 32 times the summed noise estimates (then ``Ψ`` is unstable
    at ``Ax``), ``inconclusive`` otherwise (the message says why).

    Theorem: universal instability theorem (docs/theory.md §3).
    Rigor: certified-float64 (Ψ evaluated twice on the CPU in float64, its rounding
    noise allowed for; see :mod:`theorycheck.instability`), or numerical with an
    inconclusive outcome.
    """

    lower_bound: float = math.nan
    eta: float = math.nan
    hypotheses: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    ball_radius: float = 0.0
    false_negative: FalseDetection | None = None
    false_positive: FalseDetection | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        hyp = {str(k): tuple(v) for k, v in dict(self.hypotheses or {}).items()}
        object.__setattr__(self, "hypotheses", hyp)
        object.__setattr__(self, "false_negative", _false_detection(self.false_negative))
        object.__setattr__(self, "false_positive", _false_detection(self.false_positive))

    @property
    def certified(self) -> bool:
        """True when the theorem's conclusion is certified (``holds`` at rigor ≥ certified-float64)."""
        return self.holds and self.rigor >= Rigor.CERTIFIED_FLOAT64

    def theorem_bound(self, eps: float) -> float:
        """The theorem's bound ``(‖x − x′‖ − 2η)/η`` on ``L^ε(Ψ, Ax)``, for every ``ε ≥ η`` (rounded down).

        The strongest valid form (seed 004): ``L^ε`` is non-decreasing in ``ε``, so the bound at
        ``ε = η`` holds for every ``ε ≥ η``; seed 002's ``(‖x − x′‖ − 2η)/ε`` is never larger.
        ``values["theorem_bound_form"]`` names the form used.

        Raises :class:`~theorycheck.errors.PreconditionError` (naming the
        hypothesis) unless the certificate holds at rigor ≥ certified-float64,
        and :class:`InvalidArgument` for ``ε < η`` (the theorem says nothing there).

        Theorem: universal instability theorem (a) (docs/theory.md §3).
        Rigor: the certificate's (the bound is rounded down from an enclosure of ``‖x − x′‖``).
        """
        eps = real_arg(eps, "eps")
        if not self.certified:
            bad = [(k, h) for k, h in self.hypotheses.items() if h[0] is not True]
            if bad:
                k, (holds, margin) = bad[0]
                raise PreconditionError(
                    f"the theorem's bound needs every hypothesis certified: {k} "
                    f"{'fails' if holds is False else 'is undecided in float64'} (margin {margin:.3g}); "
                    f"{self.message}", hypothesis=k, margin=float(margin))
            raise PreconditionError(f"this certificate is not certified, so the theorem gives no bound "
                                    f"({self.message})", hypothesis="Ψ evaluated in float64")
        bounds = self.values.get("distance_images_bounds")
        if bounds is None or not self.eta > 0:
            raise InvalidArgument(f"this certificate has no bound ({self.message})")
        if not (eps >= self.eta):
            raise InvalidArgument(f"the theorem's bound holds for ε ≥ η = {self.eta:.6g}, got ε = {eps}")
        return theorem_bound_value(float(bounds[0]), self.eta, self.eta)

    def witnessed_bound(self, eps: float) -> float:
        """The witnessed bound on ``L^ε(Ψ, y)``: ``lower_bound`` for ``ε ≥ ‖y − y′‖`` (rounded up).

        Theorem: definition of ``L^ε`` (docs/theory.md §3).
        Rigor: the certificate's.
        """
        eps = real_arg(eps, "eps")
        bounds = self.values.get("distance_measurements_bounds")
        if bounds is None:
            raise InvalidArgument(f"this certificate has no bound ({self.message})")
        a = float(bounds[1])
        if not (eps >= a):
            raise InvalidArgument(f"the witness pair is {a:.17g} apart (rounded up): pass ε ≥ {a:.17g}")
        return self.lower_bound


_H_ACC_X = "‖Ψ(Ax) − x‖ < η"
_H_ACC_XP = "‖Ψ(Ax′) − x′‖ < η"
_H_ACC_SUM = "‖Ψ(Ax) − x‖ + ‖Ψ(Ax′) − x′‖ < 2η"
_H_MEAS = "‖Ax − Ax′‖ ≤ η"
_FORM = "(‖x − x′‖ − 2η)/η for every ε ≥ η (seed 004: L^ε is non-decreasing in ε)"
_ACC_EACH = "each error below η (seed 002)"
_ACC_SUM = "the two errors sum to less than 2η (seed 004)"
_H_FAR = "‖x − x′‖ > 2η"
_ASSUMPTION = "Ψ continuous (true for networks built from continuous layers)"


# -- the check: measure, evaluate, assemble, sample the ball ------------------------------------

def _batch_independent(psi_map: Any, Y: np.ndarray, out: np.ndarray, dtype: Any = "float64",
                       device: Any = None, rtol: float = 1e-9) -> bool:
    """Whether the batched outputs ``out`` match ``Ψ`` evaluated on each sample alone."""
    single = np.concatenate([psi_map.evaluate_batch(Y[i:i + 1], dtype=dtype, device=device)
                             for i in range(Y.shape[0])])
    return single.shape == out.shape and _arr_close(single, out, rtol)


def _arr_close(a: Any, b: Any, rtol: float = 1e-12) -> bool:
    """Same shape and every entry within ``rtol`` times the largest entry."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        scale = max(float(np.max(np.abs(a))) if a.size else 0.0, float(np.max(np.abs(b))) if b.size else 0.0)
        return bool(np.all(np.abs(a - b) <= rtol * max(scale, 1e-300)))


def _ball_radius(psi_map: Any, y: np.ndarray, delta: np.ndarray, need: float, samples: int,
                 seed: Any, guess: float) -> tuple[float, int, str]:
    """Largest tested radius ``ρ`` with ``‖Ψ(ỹ) − Ψ(ỹ + Δ)‖ ≥ need`` at sampled ``ỹ ∈ B(y, ρ)``.

    Each sample point gives ``L^ε(Ψ, ỹ) ≥ need/‖Δ‖`` for every ``ε ≥ ‖Δ‖``.
    Radii ``guess·2^k`` are tested, doubling (up to 16 times) while they
    pass, or halving (up to 8 times) until one passes (0 otherwise). The
    points are evaluated in batches; the first batch is compared with ``Ψ``
    evaluated on each point alone, and a batch-dependent ``Ψ`` gets radius 0.
    """
    a = norm2(delta)
    if samples <= 0 or a == 0 or not math.isfinite(need) or not guess > 0 or not math.isfinite(guess):
        return 0.0, 0, ""
    cplx = bool(np.iscomplexobj(y) or np.iscomplexobj(delta))
    dim = y.size * (2 if cplx else 1)
    tested = 0
    checked = [False]

    class _BatchDependent(Exception):
        pass

    def passes(rho: float) -> bool:
        nonlocal tested
        rng = np.random.default_rng(seed)
        u = random_directions(rng, samples, y.shape, cplx)
        # half the points on the sphere, half uniform inside the ball
        radii = np.ones(samples)
        radii[samples // 2:] = rng.random(samples - samples // 2) ** (1.0 / dim)
        pts = y[None] + rho * radii.reshape((-1,) + (1,) * y.ndim) * u
        Y = np.concatenate([pts, pts + delta[None]])
        if not np.all(np.isfinite(Y)):
            return False
        out = psi_map.evaluate_batch(Y, dtype="float64")
        if not checked[0]:
            checked[0] = True
            if not _batch_independent(psi_map, Y, out):
                raise _BatchDependent
        tested += 2 * samples
        diff = row_norms(out[:samples] - out[samples:])
        return bool(np.all(np.isfinite(diff)) and np.all(diff >= need))

    try:
        if passes(guess):
            rho = guess
            for k in range(1, 17):
                if not passes(guess * 2 ** k):
                    break
                rho = guess * 2 ** k
            return rho, tested, ""
        for k in range(1, 9):
            if passes(guess * 2.0 ** -k):
                return guess * 2.0 ** -k, tested, ""
    except _BatchDependent:
        return 0.0, tested, ("Ψ's outputs depend on the other samples of a batch: the ball was not "
                             "sampled (radius 0)")
    return 0.0, tested, ""


def check_instability(psi: Any, A: Any, x: Any, x_prime: Any, *, eta: float | None = None,
                      ball_samples: int = 16, seed: Any = 0,
                      rigor: str = "certified-float64") -> InstabilityCertificate:
    """Certify the universal instability theorem for ``Ψ`` on the pair ``x, x′``.

    The measurements ``y, y′`` are ``Ax, Ax′`` rounded to float64 from a ball
    arithmetic evaluation of the exact operator. ``Ψ`` is evaluated twice on
    the CPU in float64 at ``y``, ``y′`` and the false-negative/positive inputs,
    and its rounding noise ``ν`` is estimated at each (see the module
    docstring: every claim allows 16ν on each output). Then:

    * hypotheses, each with its margin: accuracy in seed 002's form ``‖Ψ(y) − x‖ < η``,
      ``‖Ψ(y′) − x′‖ < η`` when it holds, else in seed 004's weaker form
      ``‖Ψ(y) − x‖ + ‖Ψ(y′) − x′‖ < 2η`` (``values["accuracy_form"]`` says which),
      ``‖Ax − Ax′‖ ≤ η`` (the exact distance, enclosed in ball arithmetic, and
      ``‖y − y′‖``), ``‖x − x′‖ > 2η`` (``Ψ`` continuous is assumed: true for
      networks of continuous layers);
    * the witnessed bound ``L^ε(Ψ, y) ≥ (‖Ψ(y) − Ψ(y′)‖ − 16(ν + ν′))/‖y − y′‖`` for
      every ``ε ≥ ‖y − y′‖`` (``lower_bound``), and the theorem's
      ``(‖x − x′‖ − 2η)/η`` for every ``ε ≥ η`` (seed 004's form, :meth:`~InstabilityCertificate.theorem_bound`);
    * a ball ``B_y`` around ``y`` on which the theorem's bound was checked at
      ``ball_samples`` random points per tested radius (radii doubled from a
      Lipschitz-style guess while they pass; numerical; radius 0 means only
      the certified centre);
    * the false negative (measure ``x′``, add ``e = y − y′``: ``Ψ`` returns
      about ``x``, the detail ``x′ − x`` vanishes) and the false positive
      (measure ``x``, add ``e = y′ − y``: a detail appears).

    Parameters
    ----------
    psi : torch.nn.Module, callable or ReconstructionMap
        The reconstruction map (see :func:`~theorycheck.nets.adapters.as_reconstruction_map`).
    A : array_like or LinearOperator
        Sampling operator.
    x, x_prime : array_like
        Two different images of shape ``A.in_shape``.
    eta : float, optional
        ``η > 0``. Default: the smallest ``η`` for which the hypotheses hold
        beyond rounding (about ``max(‖Ψ(Ax) − x‖, ‖Ψ(Ax′) − x′‖, ‖A(x − x′)‖)``),
        reported in the message.
    ball_samples : int
        Random points per tested radius of ``B_y`` (0: skip the ball).
    seed : int, Generator or None
        Seed of the ball's random points (the value used is stored in the witness).
    rigor : {"certified-float64", "proven", "auto"}
        ``"proven"``: ``Ψ``'s outputs are enclosed rigorously
        (:func:`theorycheck.nets.enclose`, docs/theory.md §7.4) and every claim is derived from
        the enclosures with outward rounding (an unsupported layer raises
        :class:`PreconditionError` naming it); ``"auto"``: proven when the enclosure succeeds and
        decides the claims, else certified-float64 with the reason in the message and
        ``values["rigor_note"]``.

    Returns
    -------
    InstabilityCertificate
        ``holds`` (certified-float64, or proven) when every hypothesis holds beyond
        rounding and the output change exceeds 32 times ``Ψ``'s estimated
        noise (proven: the enclosures of the two outputs are disjoint in norm);
        ``inconclusive`` with the reason otherwise (a hypothesis fails
        or is undecided, the change is within rounding noise, or ``Ψ`` returned
        NaN/inf, reduced-precision output or different outputs on the two
        evaluations).

    Raises
    ------
    PreconditionError
        ``x == x′``; with ``rigor="proven"``, a layer or operation the enclosure does not
        support (named).
    InvalidArgument
        Shapes of ``x``, ``x′``, ``A`` and ``Ψ`` do not match, non-finite data, ``η ≤ 0``,
        an unknown ``rigor``.

    Theorem: universal instability theorem (a), (b) (docs/theory.md §3; seeds 002, 004).
    Rigor: certified-float64 (a statement about Ψ evaluated in float64 on the CPU,
    its rounding noise allowed for; every norm enclosed rigorously), or proven with
    ``rigor="proven"`` (Ψ's exact real-arithmetic outputs enclosed); the ball
    radius is numerical (sampled) unless 0.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0], [0.0, 1e-3]])
    >>> psi = lambda y: np.array([y[0], 1e3 * y[1]])   # exact inverse: far too accurate
    >>> cert = check_instability(psi, A, [0.0, 0.0], [0.0, 1.0], ball_samples=0)
    >>> cert.outcome.value, round(cert.lower_bound)
    ('holds', 1000)
    """
    A = operator_arg(A)
    xv = images_arg(x, A, "x")
    xpv = images_arg(x_prime, A, "x_prime")
    if np.array_equal(xv, xpv):
        raise PreconditionError("x and x_prime are equal: the theorem needs two different images",
                                hypothesis="x ≠ x′", margin=0.0)
    if eta is not None:
        eta = real_arg(eta, "eta")
    ball_samples = integer_arg(ball_samples, "ball_samples", minimum=0)
    refuse_size(ball_samples, 2 ** 16, "ball_samples", "pass at most 65536 points per radius")
    seed = seed_int(seed)
    mode = rigor_arg(rigor)
    pm = psi_map(psi, A)
    w, cert = None, None
    note = ""
    if mode in ("proven", "auto"):
        try:
            w = _pair_witness(pm, A, xv, xpv, proven=True)
            w.update(eta=eta, ball_samples=ball_samples, seed=seed)
            cert = _assemble_instability(w)
            if mode == "auto" and not cert.holds:
                note = f"the proven enclosures do not decide the claims ({cert.message})"
                w, cert = None, None
        except (PreconditionError, InsufficientPrecision) as exc:
            if mode == "proven":
                raise
            note = f"no proven enclosure of Ψ: {exc}"
    if w is None:
        w = _pair_witness(pm, A, xv, xpv)
        w.update(eta=eta, ball_samples=ball_samples, seed=seed, rigor_note=note[:1500])
        cert = _assemble_instability(w)
    assert cert is not None
    if cert.holds and ball_samples > 0:
        w.update(_sample_ball(pm, cert, np.asarray(w["y"]), np.asarray(w["y_prime"]), ball_samples, seed))
        cert = _assemble_instability(w)
    return cert


def _pair_witness(pm: Any, A: Any, xv: np.ndarray, xpv: np.ndarray, proven: bool = False) -> dict[str, Any]:
    """Measure the pair (each image alone: as the user's own ``A @ x``), evaluate ``Ψ`` twice in
    float64 at ``y``, ``y′`` and the false-negative/positive inputs with its rounding noise (or,
    ``proven``, enclose its exact outputs there), and return the witness (without ``eta``,
    ``ball_samples``, ``seed``)."""
    y, yp = apply_operator(A, xv), apply_operator(A, xpv)
    if y.dtype != yp.dtype:
        y, yp = y.astype(np.complex128), yp.astype(np.complex128)
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(yp))):
        raise InvalidArgument("A·x overflows float64: rescale A or the images")
    with np.errstate(over="ignore", invalid="ignore"):
        y_fn, y_fp = yp + (y - yp), y + (yp - y)
    if not (np.all(np.isfinite(y_fn)) and np.all(np.isfinite(y_fp))):
        raise InvalidArgument("A(x − x′) overflows float64: rescale A or the images")
    a = norm2(y - yp)
    if proven:
        c, r, assumptions = enclose_outputs(pm, np.stack([y, yp, y_fn, y_fp]))
        if c.shape != (4,) + xv.shape:
            raise InvalidArgument(f"Ψ returns shape {c.shape[1:]}, the images have shape {xv.shape}")
        return {"x": xv, "x_prime": xpv, "y": y, "y_prime": yp, "y_fn": y_fn, "y_fp": y_fp,
                "operator": operator_record(A), "psi": pm.options(), "psi_precision": "enclosure",
                "psi_status": "", "ball_radius": 0.0, "ball_points_tested": 0, "ball_note": "",
                "rigor_mode": "proven", "rigor_note": "", "psi_center": c, "psi_radius": r,
                "psi_assumptions": assumptions}
    ev = pm.evaluate_float64(np.stack([y, yp, y_fn, y_fp]), noise=True, noise_scale=a if a > 0 else None,
                             noise_segments=[(0, 1)] if a > 0 else None)
    w: dict[str, Any] = {"x": xv, "x_prime": xpv, "y": y, "y_prime": yp, "y_fn": y_fn, "y_fp": y_fp,
                         "operator": operator_record(A), "psi": pm.options(), "psi_precision": ev.precision,
                         "psi_status": ev.reason, "ball_radius": 0.0, "ball_points_tested": 0, "ball_note": "",
                         "rigor_mode": "certified-float64", "rigor_note": ""}
    if ev.ok and not ev.reason:
        p, pp, p_fn, p_fp = ev.output
        w.update(psi_y=p, psi_y_prime=pp, psi_fn=p_fn, psi_fp=p_fp,
                 psi_noise=np.asarray(ev.noise.noise, dtype=np.float64))
    elif not ev.reason:  # not ok but no reason: cannot happen (ok means finite and consistent)
        w["psi_status"] = "Ψ's float64 evaluation is not usable"
    return w


def _sample_ball(pm: Any, cert: InstabilityCertificate, y: np.ndarray, yp: np.ndarray, samples: int,
                 seed: int) -> dict[str, Any]:
    """The ball fields of the witness: the largest tested radius around ``y`` on which the theorem's
    bound held at every sampled point."""
    a = norm2(y - yp)
    D_lo = float(cert.values["distance_images_bounds"][0])
    need = D_lo - 2 * cert.eta
    ratio = float(cert.values["ratio"])
    dpsi = float(cert.values["output_distance"])
    # first radius: the centre's slack over the local gain, a Lipschitz-style guess
    guess = min(a, (dpsi - need) / (2 * ratio)) if ratio > 0 else a
    radius, tested, note = _ball_radius(pm, y, yp - y, need, samples, seed, guess)
    return {"ball_radius": float(radius), "ball_points_tested": int(tested), "ball_note": note}


# -- the deterministic assembly (the check and the verifier share it) ---------------------------

@dataclasses.dataclass(frozen=True)
class _Pair:
    """Distances of the pair: images ``D`` and measurements ``a`` (value, enclosure), and the
    ball-arithmetic enclosure of the exact ``‖A(x − x′)‖`` (None when the operator has none)."""

    D: float
    D_lo: float
    D_hi: float
    a: float
    a_lo: float
    a_hi: float
    exact: tuple[float, float] | None


@dataclasses.dataclass(frozen=True)
class _Fit:
    """``Ψ``'s errors on both images and its output change, widened by the noise allowance."""

    dx: float
    dx_lo: float
    dx_hi: float
    dxp: float
    dxp_lo: float
    dxp_hi: float
    C: float
    C_lo_n: float
    nu: tuple[float, float]
    allowance: float
    noise_ok: bool


def _pair(w: Mapping[str, Any], rec: Mapping[str, Any]) -> _Pair:
    x, xp, y, yp = (np.asarray(w[k]) for k in ("x", "x_prime", "y", "y_prime"))
    D, D_lo, D_hi = dist(x, xp)
    a, a_lo, a_hi = dist(y, yp)
    exact = None
    if rec.get("kind") != "opaque" and Ball.available(rec):
        bx = Ball(rec).apply(np.stack([x, xp]) if x.dtype == xp.dtype
                             else np.stack([x.astype(complex), xp.astype(complex)]))
        exact = ball_distance(bx[0], bx[1])
    return _Pair(D, D_lo, D_hi, a, a_lo, a_hi, exact)


def _proven(w: Mapping[str, Any]) -> bool:
    return w.get("rigor_mode", "certified-float64") == "proven"


def _fit(w: Mapping[str, Any]) -> _Fit:
    x, xp = np.asarray(w["x"]), np.asarray(w["x_prime"])
    if _proven(w):  # enclosures: every number is an outward-rounded bound
        c, r = np.asarray(w["psi_center"]), np.asarray(w["psi_radius"])
        n0, n1 = radius_norm_up(r[0]), radius_norm_up(r[1])
        dx, dx_lo, dx_hi = dist(c[0], x)
        dx_lo, dx_hi = widen(dx_lo, dx_hi, n0)
        dxp, dxp_lo, dxp_hi = dist(c[1], xp)
        dxp_lo, dxp_hi = widen(dxp_lo, dxp_hi, n1)
        C, C_lo, _ = dist(c[0], c[1])
        both = radius_norm_up(r[0], r[1])
        C_lo_n = sub_down(C_lo, both)
        return _Fit(dx, dx_lo, dx_hi, dxp, dxp_lo, dxp_hi, C, C_lo_n, (n0, n1), both, C_lo_n > 0)
    p, pp = np.asarray(w["psi_y"]), np.asarray(w["psi_y_prime"])
    nu = [float(v) for v in np.asarray(w["psi_noise"])]
    allow = [NOISE_ALLOWANCE * v for v in nu]  # exact (power of two)
    dx, dx_lo, dx_hi = dist(p, x)
    dx_lo, dx_hi = widen(dx_lo, dx_hi, allow[0])
    dxp, dxp_lo, dxp_hi = dist(pp, xp)
    dxp_lo, dxp_hi = widen(dxp_lo, dxp_hi, allow[1])
    C, C_lo, _ = dist(p, pp)
    C_lo_n = sub_down(C_lo, add_up(allow[0], allow[1]))
    noise_ok = C_lo > add_up(NOISE_SAFETY * nu[0], NOISE_SAFETY * nu[1])
    return _Fit(dx, dx_lo, dx_hi, dxp, dxp_lo, dxp_hi, C, C_lo_n, (nu[0], nu[1]), add_up(allow[0], allow[1]),
                noise_ok)


def _hypotheses(pair: _Pair, fit: _Fit, eta: float) -> dict[str, tuple[bool | None, float]]:
    """Each hypothesis: (holds: True/False, or None when undecided beyond rounding; margin)."""
    meas = enclosure_below(pair.a_lo, pair.a_hi, eta, strict=False)
    if pair.exact is not None:  # both the stored measurements and the exact A(x − x′) must be within η
        exact = enclosure_below(pair.exact[0], pair.exact[1], eta, strict=False)
        meas = False if False in (meas, exact) else (True if (meas is True and exact is True) else None)
    each = (enclosure_below(fit.dx_lo, fit.dx_hi, eta, strict=True),
            enclosure_below(fit.dxp_lo, fit.dxp_hi, eta, strict=True))
    acc: dict[str, tuple[bool | None, float]]
    if each == (True, True):  # seed 002's form holds (it implies seed 004's)
        acc = {_H_ACC_X: (True, float(eta - fit.dx)), _H_ACC_XP: (True, float(eta - fit.dxp))}
    else:  # seed 004's weaker form: the two errors sum to less than 2η (2η exact)
        s_lo, s_hi = sub_down(fit.dx_lo, -fit.dxp_lo), add_up(fit.dx_hi, fit.dxp_hi)
        acc = {_H_ACC_SUM: (enclosure_below(s_lo, s_hi, 2 * eta, strict=True), float(2 * eta - (fit.dx + fit.dxp)))}
    return {
        **acc,
        _H_MEAS: (meas, float(eta - pair.a)),
        _H_FAR: (negated(enclosure_below(pair.D_lo, pair.D_hi, 2 * eta, strict=False)), float(pair.D - 2 * eta)),
    }


def _smallest_eta(pair: _Pair, fit: _Fit) -> float:
    """The smallest ``η`` for which the accuracy (seed 004's summed form) and measurement hypotheses
    hold beyond rounding: ``max((‖Ψ(Ax) − x‖ + ‖Ψ(Ax′) − x′‖)/2, ‖A(x − x′)‖)`` raised by rounding."""
    half = add_up(fit.dx_hi, fit.dxp_hi) / 2  # exact halving (no underflow at these sizes)
    top = max(half, pair.a_hi, pair.exact[1] if pair.exact else 0.0)
    return round_up(top * (1.0 + 2.0 ** -40)) if top > 0 else TINY


def _no_eta_reason(pair: _Pair, fit: _Fit) -> str:
    """Why no ``η`` satisfies every hypothesis: the theorem needs
    ``max(‖Ψ(Ax) − x‖, ‖Ψ(Ax′) − x′‖, ‖A(x − x′)‖) ≤ η < ‖x − x′‖/2``; name each term that is
    not below ``‖x − x′‖/2`` (a measurement distance and an inaccuracy are different causes)."""
    half = pair.D / 2
    causes = []
    if pair.a >= half:
        causes.append(f"‖A(x − x′)‖ = {fmt(pair.a, 3)} is not below ‖x − x′‖/2 = {fmt(half, 3)}: the "
                      "measurements of x and x′ are too far apart (the theorem needs ‖A(x − x′)‖ ≤ η < "
                      "‖x − x′‖/2, i.e. x′ − x close to the kernel of A)")
    if (fit.dx + fit.dxp) / 2 >= half:
        causes.append(f"Ψ is not accurate enough: ‖Ψ(Ax) − x‖ = {fmt(fit.dx, 3)} and ‖Ψ(Ax′) − x′‖ = "
                      f"{fmt(fit.dxp, 3)} sum to at least ‖x − x′‖ = {fmt(pair.D, 3)}"
                      + (" (and A(x − x′) = 0)" if pair.a == 0 else ""))
    if not causes:
        causes.append(f"max((‖Ψ(Ax) − x‖ + ‖Ψ(Ax′) − x′‖)/2, ‖A(x − x′)‖) = "
                      f"{fmt(max((fit.dx + fit.dxp) / 2, pair.a), 3)} "
                      f"is within rounding of ‖x − x′‖/2 = {fmt(half, 3)}")
    return f" (no η works: {'; '.join(causes)})"


def _operator_note(rec: Mapping[str, Any]) -> str:
    """What messages add about the operator: nothing for a stored matrix or an exact transform."""
    exact = (rec.get("kind") == "dense" and rec.get("source") == "MatrixOperator") or rec.get("kind") in TRANSFORMS
    return "" if exact else f"; {record_text(rec)}"


def _assemble_instability(w: Mapping[str, Any]) -> InstabilityCertificate:
    """Every value, hypothesis, bound, outcome, rigor and message from the witness (deterministic)."""
    rec = w["operator"]
    pair = _pair(w, rec)
    radius = float(w["ball_radius"])
    values: dict[str, Any] = {
        "distance_images": pair.D, "distance_images_bounds": (pair.D_lo, pair.D_hi),
        "distance_measurements": pair.a, "distance_measurements_bounds": (pair.a_lo, pair.a_hi),
        "measurement_distance_exact": pair.exact, "psi_precision": str(w["psi_precision"]),
        "psi": psi_text(w["psi"]), "operator": record_text(rec), "assumption": _ASSUMPTION,
        "ball_samples": int(w["ball_samples"]), "ball_seed": int(w["seed"]),
        "ball_points_tested": int(w["ball_points_tested"]),
        "ball_rigor": (Rigor.NUMERICAL.value if radius > 0 else Rigor.CERTIFIED_FLOAT64.value),
        "ball_note": str(w["ball_note"]), "rigor_mode": str(w.get("rigor_mode", "certified-float64")),
        "rigor_note": str(w.get("rigor_note", "")),
    }
    witness = Witness("instability_pair", dict(w))
    eta_in, note = w["eta"], _operator_note(rec)
    if w["psi_status"]:
        return InstabilityCertificate(
            "instability", Outcome.INCONCLUSIVE, Rigor.NUMERICAL, f"not certified: {w['psi_status']}{note}",
            values, witness, THEOREM, eta=math.nan if eta_in is None else float(eta_in), ball_radius=radius)
    fit = _fit(w)
    chosen = eta_in is None
    eta = _smallest_eta(pair, fit) if chosen else float(eta_in)
    hyp = _hypotheses(pair, fit, eta)
    all_hold = all(h[0] is True for h in hyp.values())
    proven = _proven(w)
    lower = (div_down(fit.C_lo_n, pair.a_hi) if (pair.a_lo > 0 and fit.C_lo_n > 0 and math.isfinite(pair.a_hi))
             else 0.0)
    fn, fp = _false_detections(w)
    values.update({
        "error_x": fit.dx, "error_x_prime": fit.dxp, "output_distance": fit.C,
        "ratio": fit.C / pair.a if pair.a > 0 else math.nan, "eta_min": max((fit.dx + fit.dxp) / 2, pair.a),
        "eta_chosen": chosen, "noise_allowance": fit.allowance, "output_distance_lower": max(0.0, fit.C_lo_n),
        "theorem_bound_form": _FORM,
        "accuracy_form": (_ACC_EACH if _H_ACC_X in hyp else _ACC_SUM),
    })
    if proven:
        values["enclosure_assumptions"] = str(w["psi_assumptions"])
    if all_hold:
        values["theorem_bound_at_eta"] = theorem_bound_value(pair.D_lo, eta, eta)
    outcome = Outcome.HOLDS if all_hold and fit.noise_ok else Outcome.INCONCLUSIVE
    if proven:
        note += ("; proven: Ψ's exact real-arithmetic outputs enclosed (theorycheck.nets.enclose), every "
                 "claim derived from the enclosures with outward rounding")
    elif w.get("rigor_note"):
        note += f"; certified-float64 instead of proven: {w['rigor_note']}"
    msg = _message(values, hyp, pair, fit, eta, lower, fn, note, proven)
    # an inconclusive certificate certifies nothing about the theorem: numerical
    rigor = ((Rigor.PROVEN if proven else Rigor.CERTIFIED_FLOAT64) if outcome is Outcome.HOLDS
             else Rigor.NUMERICAL)
    return InstabilityCertificate(
        "instability", outcome, rigor, msg, values, witness, THEOREM,
        lower_bound=float(lower), eta=float(eta), hypotheses=hyp, ball_radius=radius,
        false_negative=fn, false_positive=fp)


def _false_detections(w: Mapping[str, Any]) -> tuple[FalseDetection, FalseDetection]:
    """The false negative (measure x′, add y − y′) and the false positive (measure x, add y′ − y).

    Proven: outputs are the enclosures' centres, ``error`` a lower bound, ``other_distance`` and
    ``noise_norm`` upper bounds of the exact values."""
    x, xp, y, yp = (np.asarray(w[k]) for k in ("x", "x_prime", "y", "y_prime"))
    if _proven(w):
        c, r = np.asarray(w["psi_center"]), np.asarray(w["psi_radius"])
        out = []
        for kind, i, e, truth, other in (("false_negative", 2, y - yp, xp, x), ("false_positive", 3, yp - y, x, xp)):
            nr = radius_norm_up(r[i])
            err_lo = max(0.0, sub_down(dist(c[i], truth)[1], nr))
            oth_hi = add_up(dist(c[i], other)[2], nr)
            out.append(FalseDetection(kind, e, np.asarray(w["y_fn" if i == 2 else "y_fp"]), c[i], truth, err_lo,
                                      oth_hi, dist(e, 0.0)[2]))
        return out[0], out[1]
    p_fn, p_fp = np.asarray(w["psi_fn"]), np.asarray(w["psi_fp"])
    fn = FalseDetection("false_negative", y - yp, np.asarray(w["y_fn"]), p_fn, xp, norm2(p_fn - xp),
                        norm2(p_fn - x), norm2(y - yp))
    fp = FalseDetection("false_positive", yp - y, np.asarray(w["y_fp"]), p_fp, x, norm2(p_fp - x),
                        norm2(p_fp - xp), norm2(yp - y))
    return fn, fp


def _message(values: Mapping[str, Any], hyp: Mapping[str, tuple], pair: _Pair, fit: _Fit, eta: float,
             lower: float, fn: FalseDetection, note: str, proven: bool = False) -> str:
    """The certificate's message: the conclusion when it holds, else every reason it does not."""
    chosen = bool(values["eta_chosen"])
    eta_txt = (f"η = {fmt(eta)} (the smallest η for which the hypotheses hold: "
               f"max((‖Ψ(Ax) − x‖ + ‖Ψ(Ax′) − x′‖)/2, ‖A(x − x′)‖) = {fmt(values['eta_min'])}, raised by rounding)"
               if chosen else f"η = {fmt(eta)}")
    all_hold = all(h[0] is True for h in hyp.values())
    if all_hold and fit.noise_ok:
        # the theorem's conclusion; below 1 it bounds L^ε but shows no amplification: not called unstable
        head = ("Ψ is unstable at Ax" if lower > 1 else
                "the theorem holds at Ax, but its bound shows no amplification (below 1)")
        return (f"{head}: L^ε(Ψ, Ax) ≥ {fmt(lower)} for every ε ≥ {fmt(pair.a_hi, 3)} (witness "
                f"pair), and ≥ the theorem's (‖x − x′‖ − 2η)/η = {fmt(values['theorem_bound_at_eta'])} for every "
                f"ε ≥ η; {eta_txt}; accuracy hypothesis: {values['accuracy_form']}; false negative: the detail of "
                f"norm {fmt(pair.D, 3)} vanishes (error {fmt(fn.error, 3)}) under noise of norm "
                f"{fmt(pair.a, 3)}{note}")
    failed = [k for k, h in hyp.items() if h[0] is False]
    undecided = [k for k, h in hyp.items() if h[0] is None]
    parts = []
    if failed:
        why = "; ".join(f"{k} fails by {fmt(-hyp[k][1], 3)}" for k in failed)
        parts.append(why + (_no_eta_reason(pair, fit) if chosen else ""))
    if undecided and proven:
        parts.append("the enclosures of Ψ's outputs are too wide to decide " + ", ".join(undecided))
    elif undecided:
        parts.append("margins within the rounding allowance (norm enclosures and 16× Ψ's noise "
                     "estimate) for " + ", ".join(undecided)
                     + (": pass a slightly different eta" if not chosen else ""))
    if not fit.noise_ok and proven:
        parts.append(f"the enclosures of Ψ(Ax) and Ψ(Ax′) overlap (‖c₀ − c₁‖ = {fmt(fit.C, 4)}, radii "
                     f"‖r₀ + r₁‖ ≤ {fmt(fit.allowance, 3)}): no proven output change")
    elif not fit.noise_ok:
        parts.append(f"the output change ‖Ψ(Ax) − Ψ(Ax′)‖ = {fmt(fit.C, 4)} is within {NOISE_SAFETY:g} times "
                     f"Ψ's estimated float64 rounding noise ({fmt(fit.nu[0], 3)} + {fmt(fit.nu[1], 3)}; a jump "
                     "of Ψ inside the witness segment counts as noise: a rounding step and a discontinuity look "
                     "alike, and the theorem assumes Ψ continuous)")
    if all_hold:
        return f"not certified: {'; '.join(parts)}; {eta_txt}{note}"
    return (f"the theorem does not apply with {eta_txt}: {'; '.join(parts)}; the witnessed ratio "
            f"L^ε(Ψ, Ax) ≥ {fmt(lower)} for ε ≥ {fmt(pair.a_hi, 3)} still holds{note}")


# -- the verifier ---------------------------------------------------------------------------------

_INSTABILITY_KEYS = {"x", "x_prime", "y", "y_prime", "y_fn", "y_fp", "operator", "psi", "eta", "ball_samples",
                     "seed", "psi_precision", "psi_status", "ball_radius", "ball_points_tested", "ball_note",
                     "rigor_mode", "rigor_note"}
_PROVEN_KEYS = {"psi_center", "psi_radius", "psi_assumptions"}
_OUTPUT_KEYS = ("psi_y", "psi_y_prime", "psi_fn", "psi_fp")


def verify_instability(cert: CheckResult, psi: Any = None, *, model: Any = None) -> CheckResult:
    """Re-check a saved :class:`InstabilityCertificate` from its witness, in float64.

    Validates the witness (shapes, dtypes, finiteness, the operator record,
    the adapter options, the noise estimates against the outputs' own
    rounding), re-derives the measurements ``y = Ax`` bit for bit (ball
    arithmetic on the stored operator; an opaque or unknown operator is
    reported, never skipped silently), then every value, enclosure,
    hypothesis, bound, the outcome, rigor and message from the witness
    (:func:`_assemble_instability`) and compares them exactly with the file.
    ``Ψ`` itself cannot be stored in JSON: without ``model`` its outputs and
    noise estimates are taken from the file (the result says so); with
    ``model`` (a torch module, callable or ReconstructionMap: the map is
    rebuilt with the stored adapter options) they are re-evaluated and must
    lie within the certificate's noise allowance.

    Parameters
    ----------
    cert : CheckResult
        A loaded ``instability`` result.
    psi : torch.nn.Module, callable or ReconstructionMap, optional
        The network (older name of ``model``).
    model : torch.nn.Module, callable or ReconstructionMap, optional
        The network, to re-evaluate ``Ψ``.

    Returns
    -------
    CheckResult
        ``verify:instability``: ``holds`` when every saved claim re-checks,
        ``violated`` (naming the fields) otherwise.

    Theorem: universal instability theorem (docs/theory.md §3).
    Rigor: the saved certificate's (never above it).
    """
    result_arg(cert)
    model = model_arg(psi, model)
    w = cert.witness
    if not isinstance(cert, InstabilityCertificate) or w is None or w.kind != "instability_pair":
        return no_witness("verify:instability", cert, "instability_pair")
    d = w.data
    chk, rec, opts, outs, status = _witness_problems(d)
    if chk.problems:
        return verification(cert, chk.problems, rederived="nothing: the witness is malformed",
                            values={"psi_reevaluated": False})
    problems = claim_mismatches(cert, _assemble_instability(d))
    reevaluated = False
    proven = _proven(d)
    if proven and model is not None and not problems:
        problems += _reenclose(model, opts, rec, d)
        reevaluated = True
    elif model is not None and status == "" and not problems:
        Y = np.stack([np.asarray(d[k]) for k in ("y", "y_prime", "y_fn", "y_fp")])
        a = float(cert.values.get("distance_measurements", 0.0))
        problems += reevaluate(model, opts, rec, Y, outs, d["psi_noise"],
                                ["Ψ(Ax)", "Ψ(Ax′)", "Ψ(false-negative input)", "Ψ(false-positive input)"],
                                scale=a if a > 0 else None, segments=[(0, 1)] if a > 0 else None)
        reevaluated = True
    not_re = []
    if proven and not reevaluated:
        not_re.append("the enclosures of Ψ's exact outputs: a network cannot be stored in the file, so the "
                      "proven claims were re-derived from the stored enclosures but not re-proven (pass model= "
                      "to re-run the enclosures); this verification is numerical")
    elif status == "" and not reevaluated:
        not_re.append("Ψ's outputs and noise estimates (pass model= to re-run the network)")
    if rec is not None and rec.get("kind") == "opaque":
        not_re.append("that y, y′ are A·x, A·x′ (the operator is opaque: not stored)")
    if float(d.get("ball_radius", 0.0)) > 0:
        not_re.append("the sampled ball radius (numerical)")
    how = ("; Ψ's enclosures re-run with the model and contained in the stored ones" if proven else
           "; Ψ re-evaluated twice in float64 within the noise allowance")
    return verification(cert, problems,
                        rederived="the measurements, every enclosure, value, hypothesis, bound, the outcome, "
                                  "rigor and message from the witness" + (how if reevaluated else ""),
                        not_rechecked="; ".join(not_re), values={"psi_reevaluated": reevaluated},
                        rigor=Rigor.NUMERICAL if (proven and not reevaluated) else None)


def _witness_problems(d: Mapping[str, Any]) -> tuple[WitnessCheck, Any, Any, list, str | None]:
    """Validate a stored ``instability_pair`` witness: every field, the operator record and adapter
    options, the outputs' noise estimates, and the measurements (``y = Ax`` bit for bit, the
    false-negative/positive inputs). Returns the checker (its problems), the record, the options,
    the stored outputs and ``psi_status``."""
    chk = WitnessCheck(d)
    extra = set(d) - _INSTABILITY_KEYS - set(_OUTPUT_KEYS) - {"psi_noise"} - _PROVEN_KEYS
    if extra:
        chk.problems.append(f"witness: unknown field(s) {sorted(extra)}")
    mode = chk.text("rigor_mode", ("certified-float64", "proven")) if "rigor_mode" in d else "certified-float64"
    if "rigor_note" in d:
        chk.text("rigor_note")
        if mode == "proven" and d["rigor_note"] != "":
            chk.bad("rigor_note", "a proven certificate has no fallback note")
    rec, opts = chk.operator(), chk.options()
    x = chk.array("x")
    xp = chk.array("x_prime", shape=None if x is None else x.shape)
    y, yp, y_fn, y_fp = (chk.array(k) for k in ("y", "y_prime", "y_fn", "y_fp"))
    chk.number("eta", positive=True, none=True)
    chk.number("ball_samples", minimum=0, integer=True, maximum=2 ** 16)
    chk.number("seed", minimum=0, integer=True)
    chk.number("ball_radius", minimum=0)
    chk.number("ball_points_tested", minimum=0, integer=True)
    chk.text("ball_note")
    if mode == "proven":
        status, outs = _proven_outputs(chk, None if x is None else x.shape)
    else:
        if any(k in d for k in _PROVEN_KEYS):
            chk.problems.append("witness: enclosures stored for a certified-float64 certificate")
        status, outs = chk.psi_outputs(_OUTPUT_KEYS, None if x is None else x.shape)
    if rec is None or x is None or xp is None or y is None or yp is None or y_fn is None or y_fp is None:
        return chk, rec, opts, outs, status
    if tuple(x.shape) != tuple(rec["mask"].shape if "mask" in rec else rec["in_shape"]):
        chk.bad("x", f"shape {x.shape} does not match the operator")
        return chk, rec, opts, outs, status
    X = np.stack([x, xp]) if x.dtype == xp.dtype else np.stack([x.astype(complex), xp.astype(complex)])
    chk.measurements(rec, X, [y, yp], ["y", "y_prime"])
    if y.shape != yp.shape:
        chk.bad("y_prime", "shape differs from y")
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            if not np.array_equal(y_fn, yp + (y - yp)) or y_fn.dtype != y.dtype:
                chk.bad("y_fn", "is not y′ + (y − y′)")
            if not np.array_equal(y_fp, y + (yp - y)) or y_fp.dtype != y.dtype:
                chk.bad("y_fp", "is not y + (y′ − y)")
    return chk, rec, opts, outs, status


def _proven_outputs(chk: WitnessCheck, shape: tuple | None) -> tuple[str | None, list]:
    """The stored enclosures of a proven certificate: centres and radii ``(4, *x.shape)``, radii ≥ 0."""
    if chk.text("psi_precision", ("enclosure",)) is None or chk.text("psi_status", ("",)) is None:
        return None, []
    chk.text("psi_assumptions")
    if any(k in chk.w for k in (*_OUTPUT_KEYS, "psi_noise")):
        chk.problems.append("witness: float64 outputs stored for a proven certificate")
    full = None if shape is None else (4,) + tuple(shape)
    c = chk.array("psi_center", shape=full)
    r = chk.array("psi_radius", shape=full, kinds="f")
    if r is not None and not bool(np.all(r >= 0)):
        chk.bad("psi_radius", "negative radius")
    return "", [c, r]


def _reenclose(model: Any, opts: Any, rec: Any, d: Mapping[str, Any]) -> list[str]:
    """Re-run the enclosures of Ψ at the stored inputs; each must lie inside the stored one."""
    from theorycheck.nets.adapters import ReconstructionMap  # torch

    op = record_op(rec)
    if op is None:
        return ["cannot re-prove the enclosures: the operator is opaque (not stored in the file)"]
    Y = np.stack([np.asarray(d[k]) for k in ("y", "y_prime", "y_fn", "y_fp")])
    try:
        pm = ReconstructionMap.from_options(model, dict(opts), op)
        c, r, assumptions = enclose_outputs(pm, Y, widen=False)
    except (PreconditionError, InsufficientPrecision, InvalidArgument) as exc:
        return [f"re-enclosing Ψ with the given model failed: {exc}"]
    c_s, r_s = np.asarray(d["psi_center"]), np.asarray(d["psi_radius"])
    bad = [k for i, k in enumerate(("Ψ(Ax)", "Ψ(Ax′)", "Ψ(false-negative input)", "Ψ(false-positive input)"))
           if not contained(c[i], r[i], c_s[i], r_s[i])]
    out = [f"witness['psi_center'/'psi_radius']: the model's enclosure of {k} is not inside the stored one"
           for k in bad]
    return out + assumption_problems(assumptions, d["psi_assumptions"])


@register_verifier("instability")
def _verify_saved_instability(result: CheckResult, model: Any = None) -> CheckResult:
    """``theorycheck verify`` of a saved certificate (:func:`verify_instability`)."""
    return verify_instability(result, model=model)
