"""``theorycheck demo``: the main jobs on shipped data, with a short report.

1. **Instability of a trained network** (docs/theory.md §3–4): the shipped U-Net
   (subsampled Fourier sampling, trained on ellipse phantoms with a kernel
   pair ``x, x′`` in its training set) is certified unstable by the universal
   instability theorem; the false negative and false positive are built; a
   worst-case perturbation is searched on a held-out image and compared with
   the stable ℓ1-wavelet baseline; figures are written as PNG.
2. **A silently wrong solver** (docs/theory.md §6.3): on the 3×2 LASSO float64
   solvers report success with an O(1)-wrong answer; the exact solver proves
   the true minimiser and ``certify_solution`` proves the float answers wrong.

Everything is saved to ``certificate.json``: re-check it with ``theorycheck
verify DIR/certificate.json --model theorycheck.demo:demo_model`` (the network
is re-evaluated; without ``--model`` its stored outputs are re-used).

Theorem: universal instability theorem (§3), optimality certificates (§1, §6.3).
Rigor: each printed result states its own.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import numpy as np

from theorycheck.figures import instability_figure, write_report
from theorycheck.impossibility import build_lasso_3x2
from theorycheck.instability import check_instability, search_worst_perturbation
from theorycheck.problems.programs import SRLasso
from theorycheck.problems.sparsifiers import Wavelet
from theorycheck.results import Report, verify_result
from theorycheck.solvers import certify_solution, solve

if TYPE_CHECKING:
    import torch

__all__ = ["run_demo", "demo_model"]

#: the ``--model`` argument that names the shipped network (for ``theorycheck verify``)
DEMO_MODEL_SPEC = "theorycheck.demo:demo_model"


def demo_model() -> "torch.nn.Module":
    """The shipped demo U-Net (float32, CPU, eval mode): the ``--model`` factory of the demo.

    ``theorycheck verify theorycheck-demo/certificate.json --model theorycheck.demo:demo_model``
    re-evaluates the network of the demo's certificates.

    Theorem: none (the network ``Ψ`` of the universal instability theorem, docs/theory.md §3).
    Rigor: not applicable.
    """
    from theorycheck.nets.pretrained import load_demo_unet

    return load_demo_unet()[0]


def run_demo(outdir: str = "theorycheck-demo", *, quick: bool = False, progress: bool = True) -> int:
    """Run the demo; write results under ``outdir``; return an exit status (0 = as expected).

    Theorem: universal instability theorem (docs/theory.md §3) and optimality certificates (§1, §6.3).
    Rigor: as printed per result.
    """

    t0 = time.perf_counter()
    os.makedirs(outdir, exist_ok=True)
    net_results, figure, model = _instability_demo(outdir, quick=quick, progress=progress)
    solver_results, exact_ok = _solver_demo()
    report = Report(net_results + solver_results, title="theorycheck demo")
    path = os.path.join(outdir, "certificate.json")
    report.to_json(path)
    checks = [verify_result(r, model=model) for r in report]  # the network is re-evaluated
    n_ok = sum(c.holds for c in checks)
    for c in checks:
        if not c.holds:
            print(f"   {c.summary()}")
    rep = _report(report, outdir, path)
    print(f"Wrote {path} (re-verified {n_ok}/{len(checks)} results), {figure} and {rep}.")
    print(f"Done in {time.perf_counter() - t0:.1f} s. Re-check with: theorycheck verify {path} "
          f"--model {DEMO_MODEL_SPEC}")
    return 0 if n_ok == len(checks) and exact_ok and net_results[0].holds else 1


def _instability_demo(outdir: str, *, quick: bool, progress: bool):
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.nets.pretrained import load_demo_unet

    model, s = load_demo_unet()
    psi = as_reconstruction_map(model, input="adjoint", eval_mode=True)
    print(f"1. Instability of the shipped U-Net ({s.n}x{s.n} images, {int(s.mask.sum())} of "
          f"{s.n * s.n} Fourier samples), universal instability theorem (docs/theory.md §3)")
    cert = check_instability(psi, s.A, s.x, s.x_prime, ball_samples=4 if quick else 16, seed=0,
                              rigor="auto")  # proven by enclosures; else float64, with why
    print(f"   {cert.outcome.value} [{cert.rigor.value}]: {cert.message}")
    for name, (holds, margin) in cert.hypotheses.items():
        print(f"     {name}: {'holds' if holds else 'fails'} (margin {margin:.3g})")
    eps = s.norm_A_diff
    print(f"   L^ε(Ψ, Ax) ≥ {cert.lower_bound:.4g} for every ε ≥ ‖A(x − x′)‖ = {eps:.3g} "
          f"(pseudo-inverse: 1); theorem's bound at ε = η: {cert.theorem_bound(cert.eta):.4g}")
    for fd in (cert.false_negative, cert.false_positive):
        if fd is not None:
            print(f"   {fd.kind.replace('_', ' ')}: noise ‖e‖ = {fd.noise_norm:.3g} makes Ψ err by "
                  f"{fd.error:.3g} (it returns the other image up to {fd.other_distance:.3g})")
    x = np.asarray(s.test_images[0])
    budget = 0.02 * float(np.linalg.norm(x))
    w = search_worst_perturbation(psi, s.A, x, domain="image", budget=budget,
                                  steps=20 if quick else 100, seed=0, device="cpu", progress=progress)
    print(f"   worst-case search on a held-out image: ‖r‖ = {w.norm_r:.3g} ({w.norm_r / np.linalg.norm(x):.1%} "
          f"of ‖x‖) changes Ψ by {w.output_change:.3g}: ratio {w.ratio:.3g} [{w.rigor.value}]")
    # the stable baseline: ℓ1-wavelet SR-LASSO (its change under the same perturbation)
    base_problem = SRLasso(s.A, lam=0.01, W=Wavelet((s.n, s.n), wavelet="haar"))
    y0, y1 = s.A.apply(x), s.A.apply(x + w.r)
    iters = 150 if quick else 600
    b0 = np.real(solve(base_problem, y0, method="primal_dual", max_iter=iters).x)
    b1 = np.real(solve(base_problem, y1, method="primal_dual", max_iter=iters).x)
    base_change = float(np.linalg.norm(b1 - b0))
    print(f"   ℓ1-wavelet baseline under the same r: change {base_change:.3g} "
          f"(ratio {base_change / max(w.norm_Ar, 1e-300):.3g}) [numerical]")
    figure = str(instability_figure(cert, model=DEMO_MODEL_SPEC, path=os.path.join(outdir, "instability.png")))
    search_fig = instability_figure(w, model=DEMO_MODEL_SPEC, path=os.path.join(outdir, "worst_perturbation.png"))
    print(f"   figures: {figure} (the certified pair), {search_fig} (the worst-case perturbation)")
    return [cert, w], figure, model


def _report(report: Report, outdir: str, path: str) -> str:
    """report.md beside the certificate: the numbers, hypotheses, figures and the re-check command."""
    rep = write_report(report, outdir, model=DEMO_MODEL_SPEC, certificate=path, figure=False)
    text = rep.read_text(encoding="utf-8")
    rep.write_text(text.replace("## Re-check", "### Figures\n\n![the certified pair](instability.png)\n\n"
                                "![the worst-case perturbation](worst_perturbation.png)\n\n## Re-check", 1),
                   encoding="utf-8")
    return str(rep)


def _solver_demo():

    print("2. A LASSO solver that is silently wrong (docs/theory.md §6.3)")
    k = 20
    member = build_lasso_3x2(2.0 ** -k)  # exact data; minimiser certified from them
    exact = member.solution
    problem, yf = member.problem, member.y_float
    print(f"   δ = 2^-{k}: exact minimiser {np.array2string(exact.x, precision=6)} "
          f"[{exact.rigor.value}], dual slack ≥ {float(exact.dual_slack):.2e}")
    results = []
    for method in ("reference", "primal_dual"):
        sol = solve(problem, yf, method=method)
        res = certify_solution(problem, yf, sol.x)
        results.append(res)
        print(f"   {sol.solver}: status '{sol.status}', KKT residual {sol.residual:.1e}, "
              f"answer {np.array2string(sol.x, precision=6)}")
        print(f"     -> {res.outcome.value} [{res.rigor.value}]: {res.message}")
    return results, exact.rigor.value == "proven"
