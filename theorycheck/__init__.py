"""theorycheck: executable checks of the theorems on the limits of deep learning
in inverse problems.

Top-level names are loaded lazily, so ``import theorycheck`` imports neither
torch, cvxpy, matplotlib nor hypothesis.

Theorem: see the README's table (theorem ↔ function).
Rigor: every result states its own (``proven``, ``certified-float64``, ``numerical``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from theorycheck._version import __version__
from theorycheck.errors import (
    CertificationError,
    InsufficientPrecision,
    InvalidArgument,
    PreconditionError,
    SolverError,
    TheorycheckError,
)
from theorycheck.results import CheckResult, Outcome, Report, Rigor, Witness

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "precision": "theorycheck.numerics.precision",
    "LinearOperator": "theorycheck.problems.operators",
    "MatrixOperator": "theorycheck.problems.operators",
    "SubsampledFourier": "theorycheck.problems.operators",
    "SubsampledDCT": "theorycheck.problems.operators",
    "SubsampledWalshHadamard": "theorycheck.problems.operators",
    "compose": "theorycheck.problems.operators",
    "as_operator": "theorycheck.problems.operators",
    "MultiCoilFourier": "theorycheck.problems.mri",
    "synthetic_coil_sensitivities": "theorycheck.problems.mri",
    "equispaced_line_mask": "theorycheck.problems.masks",
    "random_line_mask": "theorycheck.problems.masks",
    "uniform_random_mask": "theorycheck.problems.masks",
    "variable_density_mask": "theorycheck.problems.masks",
    "radial_lines_mask": "theorycheck.problems.masks",
    "Radon": "theorycheck.problems.radon",
    "fbp": "theorycheck.problems.radon",
    "Wavelet": "theorycheck.problems.sparsifiers",
    "QCBP": "theorycheck.problems.programs",
    "Lasso": "theorycheck.problems.programs",
    "SRLasso": "theorycheck.problems.programs",
    "sigma_s": "theorycheck.problems.sparsity",
    "solve": "theorycheck.solvers",
    "certify_solution": "theorycheck.solvers",
    "Solution": "theorycheck.solvers.solution",
    # instability of reconstruction maps (docs/theory.md §3-4)
    "as_reconstruction_map": "theorycheck.nets.adapters",
    "check_instability": "theorycheck.instability",
    "verify_instability": "theorycheck.instability",
    "check_random_noise": "theorycheck.instability",
    "check_accuracy": "theorycheck.instability",
    "check_sampling_monotonicity": "theorycheck.instability",
    "check_training_set": "theorycheck.instability",
    "random_noise_instability": "theorycheck.instability",
    "accuracy_test": "theorycheck.instability",
    "sampling_monotonicity_test": "theorycheck.instability",
    "audit_training_set": "theorycheck.instability",
    "optimality_constant": "theorycheck.instability",
    "InstabilityCertificate": "theorycheck.instability",
    "search_worst_perturbation": "theorycheck.instability",
    "search_universal_perturbation": "theorycheck.classification",
    "fooling_rate_table": "theorycheck.classification",
    "build_false_structure_data": "theorycheck.classification",
    "check_false_structure": "theorycheck.classification",
    "stability_curve": "theorycheck.instability",
    "StabilityCurve": "theorycheck.instability",
    "search_hallucination": "theorycheck.instability",
    "HallucinationWitness": "theorycheck.instability",
    "build_paradox_sets": "theorycheck.instability",
    "ParadoxSets": "theorycheck.instability",
    "load_demo_unet": "theorycheck.nets.pretrained",
    "UNet": "theorycheck.nets.unet",
    "FBPConvNet": "theorycheck.nets.fbpconvnet",
    "AutomapNet": "theorycheck.nets.automap",
    "CascadeNet": "theorycheck.nets.cascade",
    "VariationalNet": "theorycheck.nets.variational",
    "train_reconstruction": "theorycheck.nets.train",
    "PerturbationWitness": "theorycheck.instability",
    # rNSP (docs/theory.md §2)
    "rip_constant": "theorycheck.rnsp",
    "nsp_constant": "theorycheck.rnsp",
    "rnsp_gamma": "theorycheck.rnsp",
    "search_rnsp_violation": "theorycheck.rnsp",
    "rnsp_from_rip": "theorycheck.rnsp",
    "recovery_constants": "theorycheck.rnsp",
    "check_recovery_bound": "theorycheck.rnsp",
    "check_kernel_awareness": "theorycheck.rnsp",
    "donoho_tanner": "theorycheck.rnsp",
    "empirical_phase_transition": "theorycheck.rnsp",
    # impossibility (docs/theory.md §6)
    "build_family": "theorycheck.impossibility",
    "build_lasso_3x2": "theorycheck.impossibility",
    "lasso_3x2_family": "theorycheck.impossibility",
    "check_solver_on_family": "theorycheck.impossibility",
    # classification (docs/theory.md §5)
    "search_minimal_perturbation": "theorycheck.classification",
    "robustness_report": "theorycheck.classification",
    "check_linear_sensitivity": "theorycheck.classification",
}

# submodules reachable as attributes (``theorycheck.strategies`` imports hypothesis)
_SUBMODULES = ("strategies", "testing")

__all__ = [
    "__version__",
    "CheckResult",
    "Outcome",
    "Report",
    "Rigor",
    "Witness",
    "TheorycheckError",
    "InvalidArgument",
    "PreconditionError",
    "InsufficientPrecision",
    "SolverError",
    "CertificationError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"theorycheck.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'theorycheck' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from theorycheck.classification import (
        check_linear_sensitivity,
        robustness_report,
        search_minimal_perturbation,
    )
    from theorycheck.impossibility import build_family, build_lasso_3x2, check_solver_on_family, lasso_3x2_family
    from theorycheck.instability import (
        InstabilityCertificate,
        PerturbationWitness,
        accuracy_test,
        audit_training_set,
        check_accuracy,
        check_instability,
        check_random_noise,
        check_sampling_monotonicity,
        check_training_set,
        optimality_constant,
        random_noise_instability,
        sampling_monotonicity_test,
        search_worst_perturbation,
        verify_instability,
    )
    from theorycheck.nets.adapters import as_reconstruction_map
    from theorycheck.nets.automap import AutomapNet
    from theorycheck.nets.cascade import CascadeNet
    from theorycheck.nets.fbpconvnet import FBPConvNet
    from theorycheck.nets.pretrained import load_demo_unet
    from theorycheck.nets.train import train_reconstruction
    from theorycheck.nets.unet import UNet
    from theorycheck.nets.variational import VariationalNet
    from theorycheck.numerics.precision import precision
    from theorycheck.problems.masks import (
        equispaced_line_mask,
        radial_lines_mask,
        random_line_mask,
        uniform_random_mask,
        variable_density_mask,
    )
    from theorycheck.problems.mri import MultiCoilFourier, synthetic_coil_sensitivities
    from theorycheck.problems.operators import (
        LinearOperator,
        MatrixOperator,
        SubsampledDCT,
        SubsampledFourier,
        SubsampledWalshHadamard,
        as_operator,
        compose,
    )
    from theorycheck.problems.programs import QCBP, Lasso, SRLasso
    from theorycheck.problems.radon import Radon, fbp
    from theorycheck.problems.sparsifiers import Wavelet
    from theorycheck.problems.sparsity import sigma_s
    from theorycheck.rnsp import (
        check_kernel_awareness,
        check_recovery_bound,
        donoho_tanner,
        empirical_phase_transition,
        nsp_constant,
        recovery_constants,
        rip_constant,
        rnsp_from_rip,
        rnsp_gamma,
        search_rnsp_violation,
    )
    from theorycheck.solvers import certify_solution, solve
    from theorycheck.solvers.solution import Solution
