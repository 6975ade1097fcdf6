"""The instability checks of docs/theory.md §3–4 on a reconstruction map ``Ψ`` (a network).

:func:`check_reconstructor` evaluates ``Ψ`` on the measurements of a few
images (each evaluation repeated on the CPU in float64 and required to be
bit-identical), hands every pair that satisfies the universal instability
theorem's hypotheses to :func:`theorycheck.instability.check_instability`,
audits the images as a training set and reports the largest witnessed local
Lipschitz ratio over image pairs and random perturbations.

Theorem: universal instability theorem (docs/theory.md §3), random-noise test (docs/theory.md §4).
Rigor: certified-float64 (witnesses re-evaluated twice on the CPU in float64);
numerical where ``Ψ`` does not evaluate in float64.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Sequence

import numpy as np

from theorycheck.errors import InvalidArgument
from theorycheck.instability import check_instability, check_training_set
from theorycheck.numerics.rounding import norm2
from theorycheck.numerics.validation import choice_arg, integer_arg, real_arg, seed_arg
from theorycheck.problems.operators import as_operator
from theorycheck.results import CheckResult, Outcome, Report, Rigor
from theorycheck.testing._runner import ON_FAIL, apply_on_fail, shorten

__all__ = ["check_reconstructor"]

_THEOREM3 = "universal instability theorem (docs/theory.md §3)"


def check_reconstructor(
    psi: Any,
    A: Any,
    *,
    images: Sequence[Any],
    eta: float | None = None,
    lipschitz_bound: float | None = None,
    noise_level: float = 1e-2,
    trials: int = 8,
    seed: int = 0,
    on_fail: str = "report",
    **adapter_options: Any,
) -> Report:
    """Run the instability checks of docs/theory.md §3–4 on a reconstruction map ``Ψ``.

    Checks (each evaluation of ``Ψ`` is repeated on the CPU in float64 and
    must be bit-identical, else the check is inconclusive):

    * ``reconstructor_call``: ``Ψ(Ax)`` runs and is finite for every image.
    * ``universal_instability``: every pair ``x, x′`` of images that ``Ψ`` fits
      within ``η`` with ``‖A(x − x′)‖ ≤ η`` is handed to
      :func:`theorycheck.instability.check_instability`; a certified pair means
      ``Ψ`` is provably unstable there (``L^ε(Ψ, Ax) ≥ ‖Ψ(Ax) − Ψ(Ax′)‖/‖A(x − x′)‖``
      for every ``ε ≥ ‖A(x − x′)‖``): violated, with that certificate (needs ``eta``).
    * ``training_pairs``: the training-set audit of :mod:`theorycheck.instability` —
      pairs with ``‖A(x − x′)‖ ≤ η`` and ``‖x − x′‖ > 2η`` make every map accurate
      within ``η`` on both unstable; checkable before training (needs ``eta``).
    * ``local_lipschitz``: the largest witnessed ratio over image pairs and over
      ``trials`` random perturbations ``‖e‖ = noise_level·‖Ax‖`` must not
      exceed ``lipschitz_bound`` (needs ``lipschitz_bound``; otherwise the
      ratios are only reported, outcome ``holds``).

    Parameters
    ----------
    psi : torch.nn.Module or callable
        The reconstruction map (see :func:`theorycheck.nets.adapters.as_reconstruction_map`;
        ``adapter_options`` are passed to it).
    A : array_like or LinearOperator
        Sampling operator.
    images : sequence of arrays
        At least one image of shape ``A.in_shape``.
    eta : float, optional
        The accuracy / noise level ``η > 0`` of the theorem.
    lipschitz_bound : float, optional
        Largest acceptable local Lipschitz constant.
    noise_level : float
        Relative size of the random perturbations.
    trials : int
        Random perturbations per image.
    seed : int
    on_fail : {"raise", "warn", "report"}

    Returns
    -------
    Report

    Theorem: universal instability theorem (docs/theory.md §3), random-noise test (docs/theory.md §4).
    Rigor: certified-float64 (witnesses re-evaluated twice on the CPU in float64).
    """
    from theorycheck.nets.adapters import as_reconstruction_map

    on_fail = choice_arg(on_fail, "on_fail", ON_FAIL)
    op, imgs = _validated_images(A, images)
    eta = None if eta is None else real_arg(eta, "eta")
    lipschitz_bound = None if lipschitz_bound is None else real_arg(lipschitz_bound, "lipschitz_bound")
    noise_level = real_arg(noise_level, "noise_level")
    trials = integer_arg(trials, "trials", minimum=0)
    rng = seed_arg(seed)
    ev = _Evaluator(as_reconstruction_map(psi, A=op, **adapter_options), tuple(op.in_shape))
    Y = np.stack([np.asarray(op.apply(x)) for x in imgs])
    rec, why = ev(Y)
    if rec is None:
        return _finish([CheckResult("reconstructor_call", Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64,
                                    why, theorem="docs/theory.md §3")], ev.notes, on_fail)
    errors = [norm2(rec[i] - imgs[i]) for i in range(len(imgs))]
    results = [CheckResult("reconstructor_call", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
                           f"Ψ(Ax) is finite and reproducible on {len(imgs)} image(s)",
                           {"errors": errors}, theorem="docs/theory.md §3")]
    pairs = _pairs(Y, imgs, rec)
    best: tuple[float, Any] = (0.0, None)
    for i, j, *_, ratio in pairs:
        if ratio > best[0]:
            best = (ratio, ("pair", i, j))
    if eta is not None:
        results += _instability_results(ev.rmap, op, imgs, pairs, errors, eta)
    noisy = _noise_ratios(ev, Y, rec, trials, noise_level, rng)
    if isinstance(noisy, CheckResult):
        return _finish([*results, noisy], ev.notes, on_fail)
    noisy_ratio, noisy_best = noisy
    if noisy_best[0] > best[0]:
        best = noisy_best
    results.append(_lipschitz_result(best, noisy_ratio, lipschitz_bound))
    return _finish(results, ev.notes, on_fail)


def _validated_images(A: Any, images: Sequence[Any]) -> tuple[Any, list[np.ndarray]]:
    op = as_operator(A)
    imgs = [np.asarray(x) for x in images]
    if not imgs:
        raise InvalidArgument("pass at least one image")
    for i, x in enumerate(imgs):
        if x.shape != tuple(op.in_shape):
            raise InvalidArgument(f"images[{i}] has shape {x.shape}: pass images of shape {tuple(op.in_shape)}")
        if not np.all(np.isfinite(x)):
            raise InvalidArgument(f"images[{i}] contains NaN or inf")
    return op, imgs


@dataclasses.dataclass
class _Evaluator:
    """``Ψ`` evaluated twice in float64; notes why an evaluation was not a float64 one."""

    rmap: Any
    shape: tuple[int, ...]
    notes: list[str] = dataclasses.field(default_factory=list)

    def __call__(self, Y: np.ndarray) -> tuple[np.ndarray | None, str]:
        try:
            ev = self.rmap.evaluate_float64(Y, repeats=2)
        except Exception as exc:  # noqa: BLE001 - a failing Ψ is a finding
            return None, f"Ψ raised {type(exc).__name__}: {shorten(str(exc), 300)}"
        if not ev.ok:
            return None, ev.reason
        if ev.reason:  # e.g. a float32/float16 model: reproducible, but not a float64 evaluation
            self.notes.append(ev.reason)
        out = ev.output
        if out.shape[1:] != self.shape:
            return None, f"Ψ returned shape {out.shape[1:]}, expected {self.shape}"
        return out, ""


def _pairs(Y: np.ndarray, imgs: list[np.ndarray], rec: np.ndarray) -> list[tuple]:
    """``(i, j, ‖A(x_i − x_j)‖, ‖x_i − x_j‖, ‖Ψ(y_i) − Ψ(y_j)‖, ratio)`` for every pair of images."""
    pairs = []
    for i in range(len(imgs)):
        for j in range(i + 1, len(imgs)):
            dA = norm2(Y[i] - Y[j])
            dx = norm2(imgs[i] - imgs[j])
            dpsi = norm2(rec[i] - rec[j])
            ratio = dpsi / dA if dA > 0 else (math.inf if dpsi > 0 else 0.0)
            pairs.append((i, j, dA, dx, dpsi, ratio))
    return pairs


def _instability_results(rmap: Any, op: Any, imgs: list[np.ndarray], pairs: list[tuple],
                         errors: list[float], eta: float) -> list[CheckResult]:
    """``universal_instability`` (certified pairs) and ``training_pairs`` (the audit)."""
    # pairs the float64 evaluation says satisfy the hypotheses; check_instability decides
    forced = [p for p in pairs if p[2] <= eta and errors[p[0]] < eta and errors[p[1]] < eta]
    certs: list[tuple[int, int, Any]] = []
    undecided: list[tuple[int, int, Any]] = []
    for i, j, *_ in sorted(forced, key=lambda p: -p[5]):
        cert = check_instability(rmap, op, imgs[i], imgs[j], eta=eta, ball_samples=0)
        (certs if cert.holds else undecided).append((i, j, cert))
    if certs:
        i, j, cert = certs[0]
        first = CheckResult(
            "universal_instability", Outcome.VIOLATED, cert.rigor, f"images {i} and {j}: {cert.message}",
            {**dict(cert.values), "lipschitz_lower": cert.lower_bound, "pair": (i, j),
             "certified_pairs": len(certs)}, cert.witness, cert.theorem or _THEOREM3)
    elif undecided:
        # the plain float64 evaluation says the hypotheses hold, the certificate could not confirm it:
        # neither "unstable" nor "no pair satisfies the hypotheses" is known
        i, j, cert = undecided[0]
        first = CheckResult(
            "universal_instability", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
            f"{len(forced)} pair(s) of images satisfy the theorem's hypotheses at η = {eta:g} in a plain float64 "
            f"evaluation, but none is certified; images {i} and {j}: {cert.message}",
            {**dict(cert.values), "lipschitz_lower": cert.lower_bound, "pair": (i, j),
             "candidate_pairs": len(forced), "certified_pairs": 0}, cert.witness, cert.theorem or _THEOREM3)
    else:
        first = CheckResult(
            "universal_instability", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
            f"no pair of images satisfies the theorem's hypotheses at η = {eta:g} "
            f"({len(pairs)} pair(s) checked)", {"pairs": len(pairs)}, theorem=_THEOREM3)
    audit = check_training_set(op, np.stack(imgs), eta=eta, progress=False)
    return [first, CheckResult("training_pairs", audit.outcome, audit.rigor, audit.message,
                               dict(audit.values), audit.witness, audit.theorem or _THEOREM3)]


def _noise_ratios(ev: _Evaluator, Y: np.ndarray, rec: np.ndarray, trials: int, noise_level: float,
                  rng: np.random.Generator) -> CheckResult | tuple[float, tuple[float, Any]]:
    """Largest ``‖Ψ(y + e) − Ψ(y)‖/‖e‖`` over random ``e``, or the inconclusive result of a failed evaluation."""
    noisy_ratio = 0.0
    best: tuple[float, Any] = (0.0, None)
    for i in range(len(Y) if trials else 0):
        shape = Y[i].shape
        E = rng.standard_normal((trials,) + shape)
        if np.iscomplexobj(Y):
            E = E + 1j * rng.standard_normal((trials,) + shape)
        nrm = np.array([norm2(e) for e in E]).reshape((trials,) + (1,) * len(shape))
        E = E / nrm * noise_level * max(norm2(Y[i]), 1e-12)
        out, why = ev(Y[i][None] + E)
        if out is None:
            return CheckResult("local_lipschitz", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                               f"on perturbed measurements: {why}", theorem=_THEOREM3)
        for t in range(trials):
            r = norm2(out[t] - rec[i]) / norm2(E[t])
            noisy_ratio = max(noisy_ratio, r)
            if r > best[0]:
                best = (r, ("noise", i, t))
    return noisy_ratio, best


def _lipschitz_result(best: tuple[float, Any], noisy_ratio: float, bound: float | None) -> CheckResult:
    L = best[0]
    values = {"lipschitz_lower": L, "from": best[1], "random_noise_ratio": noisy_ratio}
    if bound is not None and L > bound:
        return CheckResult("local_lipschitz", Outcome.VIOLATED, Rigor.CERTIFIED_FLOAT64,
                           f"witnessed local Lipschitz constant {L:.3g} > bound {bound:g}",
                           values, theorem=_THEOREM3)
    return CheckResult("local_lipschitz", Outcome.HOLDS, Rigor.CERTIFIED_FLOAT64,
                       f"largest witnessed ratio {L:.3g}"
                       + (f" ≤ bound {bound:g}" if bound else " (no bound given)"), values, theorem=_THEOREM3)


def _finish(results: list[CheckResult], notes: list[str], on_fail: str) -> Report:
    """Downgrade certified-float64 claims when ``Ψ`` did not evaluate in float64; apply ``on_fail``."""
    if notes:  # keep the finding, label it numerical
        results = [dataclasses.replace(r, rigor=Rigor.NUMERICAL, message=f"{r.message} (numerical: {notes[0]})")
                   if r.rigor is Rigor.CERTIFIED_FLOAT64 else r for r in results]
    report = Report(results, title="check_reconstructor")
    return apply_on_fail(report, report.failures(), on_fail, report.summary(), stacklevel=4)
