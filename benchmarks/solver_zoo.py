"""The solver zoo: every installed adapter of theorycheck.testing.adapters through the core and stress tiers.

Writes ``solver-zoo/report.md`` and ``solver-zoo/report.json`` (or ``--out DIR``):
per solver and program the verdict of each check with its kind, and for every
core-tier silent wrong answer the counterexample (A, y, parameter, answer,
certified minimiser, objective gap) independently confirmed by theorycheck's
exact solver (re-certifying from scratch) and a second method (cvxpy CLARABEL
at tight tolerances, whose objective must be below the answer's).

Run: ``python benchmarks/solver_zoo.py [--quick] [--out DIR]`` (fixed seed 0).
Packages: ``pip install theorycheck[zoo]``; absent packages are listed as skipped.

Theorem: as theorycheck.testing.check_solver.
Rigor: proven (each record re-proven when confirmed).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import pathlib
import sys
import time
import warnings

import numpy as np

#: (label, adapter factory name, kwargs, programs to run, package distribution)
ZOO = [
    ("sklearn Lasso", "sklearn_lasso", {}, ("lasso",), "scikit-learn"),
    ("sklearn Lasso tol=1e-10", "sklearn_lasso", {"tol": 1e-10, "max_iter": 100000}, ("lasso",), "scikit-learn"),
    ("sklearn LassoLars", "sklearn_lasso_lars", {}, ("lasso",), "scikit-learn"),
    ("sklearn ElasticNet(l1_ratio=1)", "sklearn_elastic_net", {}, ("lasso",), "scikit-learn"),
    ("skglm Lasso", "skglm_lasso", {}, ("lasso",), "skglm"),
    ("skglm SqrtLasso", "skglm_sqrt_lasso", {}, ("srlasso",), "skglm"),
    ("celer Lasso", "celer_lasso", {}, ("lasso",), "celer"),
    ("glmnet ElasticNet(alpha=1)", "glmnet_lasso", {}, ("lasso",), "python-glmnet"),
    ("asgl Regressor(lasso)", "asgl_lasso", {}, ("lasso",), "asgl"),
    ("group-lasso GroupLasso(group_reg=0)", "group_lasso_l1", {}, ("lasso",), "group-lasso"),
    ("spams lasso (LARS)", "spams_lasso", {}, ("lasso",), "spams-bin"),
    ("pyproximal FISTA", "pyproximal_lasso", {}, ("lasso",), "pyproximal"),
    ("spgl1 spg_bpdn", "spgl1_bpdn", {}, ("qcbp",), "spgl1"),
    ("spgl1 spg_bp", "spgl1_bp", {}, ("bp",), "spgl1"),
    ("scipy linprog (HiGHS) BP", "scipy_linprog_bp", {}, ("bp",), "scipy"),
] + [(f"cvxpy {b}", "cvxpy_solver", {"solver": b}, progs, dist) for b, progs, dist in (
    ("CLARABEL", ("lasso", "srlasso", "qcbp", "bp"), "clarabel"),
    ("ECOS", ("lasso", "srlasso", "qcbp", "bp"), "ecos"),
    ("SCS", ("lasso", "srlasso", "qcbp", "bp"), "scs"),
    ("OSQP", ("lasso",), "osqp"),
    ("CVXOPT", ("lasso", "srlasso", "qcbp", "bp"), "cvxopt"),
    ("HIGHS", ("lasso", "bp"), "highspy"))]


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _confirm(record) -> dict:
    """Re-certify a silent wrong answer from scratch and compare with a second method."""
    from theorycheck.problems import programs
    from theorycheck.solvers import certify_solution
    from theorycheck.testing import cvxpy_solver

    w = record.witness
    cls = getattr(programs, w["program"])
    wts = None if np.all(w["weights"] == 1) else w["weights"]
    P = cls(w["A"], w["param"], weights=wts)
    again = certify_solution(P, w["y"], w["x"], tol=float(w["tol"]))
    second = {}
    try:
        ref = cvxpy_solver("CLARABEL", tol_gap_abs=1e-14, tol_gap_rel=1e-14, tol_feas=1e-14)(P, w["y"])
        fx, fr = float(P.objective(w["x"], w["y"])), float(P.objective(ref.x, w["y"]))
        second = {"clarabel_tight_objective": fr, "answer_objective": fx,
                  "second_method_agrees": bool(fr < fx) if w["program"] != "QCBP" else None,
                  "clarabel_distance_to_minimiser": float(np.linalg.norm(ref.x - w["minimiser"]))}
    except Exception as exc:  # noqa: BLE001 - reported
        second = {"second_method_error": f"{type(exc).__name__}: {exc}"}
    return {"recertified": again.outcome.value, "recertified_rigor": again.rigor.value, **second}


def _row(label: str, program: str, report, elapsed: float) -> dict:
    checks = {}
    for r in report.results:
        verdict = ("pass" if r.holds else "FAIL" if r.violated
                   else "skip" if r.values.get("skipped") else "undecided")
        checks[r.check] = {"verdict": verdict, "kind": r.values.get("kind"), "tier": r.values.get("tier"),
                           "objective_gap_relative": r.values.get("objective_gap_relative"),
                           "reached_log2": r.values.get("reached_log2", r.values.get("context_reached_log2")),
                           "message": r.message[:400]}
    return {"solver": label, "program": program, "passed": report.passed, "kinds": report.kinds(),
            "elapsed_s": round(elapsed, 1), "checks": checks}


def _counterexample(label: str, program: str, r) -> dict:
    w = r.witness
    return {"solver": label, "program": program, "check": r.check, "A": w["A"].tolist(), "y": w["y"].tolist(),
            "param": w["param"], "answer": w["x"].tolist(), "minimiser": w["minimiser"].tolist(),
            "objective_gap": [r["objective_gap_lower"], r["objective_gap"]],
            "objective_gap_relative": r["objective_gap_relative"], "dual_slack": r["dual_slack"],
            "status": r.values.get("context_status"), "message": r.message, "confirmation": _confirm(r)}


def run(quick: bool, out: pathlib.Path) -> dict:
    from theorycheck.testing import adapters, check_solver

    rows, examples, skipped = [], [], []
    versions = {"theorycheck": _version("theorycheck"), "numpy": np.__version__, "cvxpy": _version("cvxpy")}
    for label, factory, kwargs, progs, dist in ZOO:
        v = _version(dist)
        if v is None:
            skipped.append({"solver": label, "package": dist})
            continue
        versions[dist] = v
        solver = getattr(adapters, factory)(**kwargs)
        for program in progs:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rep = check_solver(solver, problem=program, tier="all", seed=0,
                                   max_examples=4 if quick else 10, time_limit=60)
            rows.append(_row(label, program, rep, time.perf_counter() - t0))
            print(f"{label:40s} {program:8s} {rows[-1]['kinds'] or 'pass'} ({rows[-1]['elapsed_s']} s)", flush=True)
            for r in rep.failures():
                if r.values.get("kind") == "silent-wrong-answer" and r.values.get("tier") == "core" and r.witness:
                    examples.append(_counterexample(label, program, r))
    return {"date": datetime.date.today().isoformat(), "seed": 0, "quick": quick, "versions": versions,
            "rows": rows, "silent_wrong_answers": examples, "skipped": skipped}


def _cell(c: dict | None) -> str:
    if c is None:
        return "–"
    if c["verdict"] == "FAIL":
        return {"silent-wrong-answer": "**SILENT**", "reported-failure": "reported", "crash": "crash",
                "within-tolerance": "within-tol"}.get(c["kind"], "FAIL")
    return {"pass": "ok", "skip": "skip", "undecided": "?"}[c["verdict"]]


def markdown(data: dict) -> str:
    from theorycheck.testing import CHECKS

    core = [c for c in CHECKS if c not in ("certified_optimality_near_degenerate", "extreme_scales",
                                           "impossibility_barrier")]
    stress = ["certified_optimality_near_degenerate", "extreme_scales", "impossibility_barrier"]
    short = {c: c.replace("metamorphic_", "meta_").replace("certified_optimality_near_degenerate", "near_degenerate")
             for c in CHECKS}
    lines = [f"# What the kit finds in popular solvers ({data['date']})", "",
             "`python benchmarks/solver_zoo.py` (seed 0"
             + (", quick" if data["quick"] else "") + "). Versions: "
             + ", ".join(f"{k} {v}" for k, v in sorted(data["versions"].items())) + ".", "",
             "Core tier (a failure = a certified wrong answer): `ok`, `**SILENT**` (silent wrong answer), "
             "`reported` (wrong, but the solver said so), `crash` (no answer), `skip` (variant not solved), "
             "`?` (undecided).", "",
             "| solver | program | " + " | ".join(short[c] for c in core) + " |",
             "|---|---|" + "---|" * len(core)]
    for row in data["rows"]:
        lines.append(f"| {row['solver']} | {row['program']} | "
                     + " | ".join(_cell(row["checks"].get(c)) for c in core) + " |")
    lines += ["", "Stress tier (how far each solver gets; `within-tol` = far from the minimiser with the "
              "objective within the accuracy allowed: the instance's conditioning, not a bug):", "",
              "| solver | program | " + " | ".join(short[c] for c in stress) + " | extreme scales reached |",
              "|---|---|" + "---|" * (len(stress) + 1)]
    for row in data["rows"]:
        ext = row["checks"].get("extreme_scales") or {}
        reach = ext.get("reached_log2")
        lines.append(f"| {row['solver']} | {row['program']} | "
                     + " | ".join(_cell(row["checks"].get(c)) for c in stress)
                     + f" | {'2^±%d' % reach if reach else '–'} |")
    lines += ["", f"## Silent wrong answers in the core tier ({len(data['silent_wrong_answers'])})", ""]
    for ex in data["silent_wrong_answers"]:
        conf = ex["confirmation"]
        lines.append(f"- **{ex['solver']}** ({ex['program']}, `{ex['check']}`): objective gap "
                     f"∈ [{ex['objective_gap'][0]:.3g}, {ex['objective_gap'][1]:.3g}] (relative ≤ "
                     f"{ex['objective_gap_relative']:.3g}), dual slack ≥ {ex['dual_slack']:.2g}, status "
                     f"{ex['status']!r}; re-certified from scratch: {conf.get('recertified')} "
                     f"[{conf.get('recertified_rigor')}]; CLARABEL at 1e-14 objective "
                     f"{conf.get('clarabel_tight_objective', float('nan')):.12g} vs the answer's "
                     f"{conf.get('answer_objective', float('nan')):.12g}. (A, y, λ, answer, minimiser in report.json)")
    if data["skipped"]:
        lines += ["", "Not installed: " + ", ".join(f"{s['solver']} ({s['package']})" for s in data["skipped"])]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 hypothesis examples per check (CI)")
    parser.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parents[1] / "solver-zoo"))
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    data = run(args.quick, out)
    data["elapsed_s"] = round(time.perf_counter() - t0, 1)
    (out / "report.json").write_text(json.dumps(data, indent=1, default=str))
    (out / "report.md").write_text(markdown(data))
    print(f"wrote {out / 'report.md'} in {data['elapsed_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
