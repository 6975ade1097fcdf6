"""Problems: linear operators, sparsifiers, the programs QCBP / U-LASSO / SR-LASSO, sparsity, data.

The ``A`` and ``W`` of every theorem (:mod:`~theorycheck.problems.operators`,
:mod:`~theorycheck.problems.mri`, :mod:`~theorycheck.problems.radon`,
:mod:`~theorycheck.problems.sparsifiers`, :mod:`~theorycheck.problems.tv`; operators of
other libraries through :mod:`~theorycheck.problems.interop`), the programs as immutable specs with their
optimality certificates (:mod:`~theorycheck.problems.programs`), sparsity
helpers (:mod:`~theorycheck.problems.sparsity`), sampling masks
(:mod:`~theorycheck.problems.masks`), synthetic data
(:mod:`~theorycheck.problems.data`) and plain instance builders
(:mod:`~theorycheck.problems.instances`). This package re-exports their
public API.

Theorem: the programs and definitions of docs/theory.md §1–2.
Rigor: per object (exact adjoints up to rounding; float64 certificates).
"""

from theorycheck.problems.data import (
    add_detail,
    detail_image,
    piecewise_smooth_signal,
    random_ellipses,
    shepp_logan,
    sparse_vector,
)
from theorycheck.problems.instances import (
    CertifiedInstance,
    PlantedInstance,
    RNSPInstance,
    plant_instance,
    sensing_matrix,
)
from theorycheck.problems.masks import (
    equispaced_line_mask,
    radial_lines_mask,
    random_line_mask,
    uniform_random_mask,
    variable_density_mask,
)
from theorycheck.problems.mri import MultiCoilFourier, synthetic_coil_sensitivities
from theorycheck.problems.operators import (
    AdjointOperator,
    ComposedOperator,
    ForeignOperator,
    LinearOperator,
    MatrixOperator,
    SubsampledDCT,
    SubsampledFourier,
    SubsampledWalshHadamard,
    as_operator,
    compose,
)
from theorycheck.problems.programs import QCBP, Lasso, Program, SRLasso, program_kind
from theorycheck.problems.radon import Radon, fbp, limited_angle_angles, sparse_view_angles
from theorycheck.problems.sparsifiers import Wavelet
from theorycheck.problems.sparsity import (
    best_s_term,
    is_s_sparse,
    levels_from_sizes,
    sigma_s,
    sigma_s_levels,
    sparsity_in_levels,
    support,
)
from theorycheck.problems.tv import FiniteDifference, total_variation

__all__ = [
    "LinearOperator", "MatrixOperator", "ComposedOperator", "AdjointOperator", "ForeignOperator", "as_operator",
    "compose", "SubsampledFourier", "SubsampledDCT", "SubsampledWalshHadamard", "MultiCoilFourier",
    "synthetic_coil_sensitivities", "Radon", "fbp", "sparse_view_angles",
    "limited_angle_angles", "Wavelet", "FiniteDifference", "total_variation",
    "Program", "QCBP", "Lasso", "SRLasso", "program_kind",
    "sigma_s", "best_s_term", "support", "is_s_sparse", "levels_from_sizes", "sparsity_in_levels",
    "sigma_s_levels",
    "uniform_random_mask", "variable_density_mask", "radial_lines_mask", "equispaced_line_mask", "random_line_mask",
    "shepp_logan", "random_ellipses", "piecewise_smooth_signal", "sparse_vector", "detail_image", "add_detail",
    "sensing_matrix", "plant_instance", "PlantedInstance", "CertifiedInstance", "RNSPInstance",
]
