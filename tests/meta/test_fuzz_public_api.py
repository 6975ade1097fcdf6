"""Every public function refuses bad arguments cleanly: a TheorycheckError, quickly, no number.

Each case below is a *valid* small call of a public function. The test replaces one argument
at a time by a value that is invalid for it (wrong type, NaN/inf, negative or fractional
count, unknown option, wrong shape, empty, None where something is required) and requires:

* a :class:`~theorycheck.errors.TheorycheckError` (``InvalidArgument``/``PreconditionError``),
  never a raw numpy/torch/Python exception and never a returned result (a result computed from
  an invalid argument is a wrong number by definition);
* a bounded run time (each call well under a few seconds).

A hypothesis test then throws arbitrary junk (text, dicts, nested lists, objects) at every
parameter of every case with the same requirements.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import signal
import time
import types
from fractions import Fraction
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from theorycheck.errors import TheorycheckError

SECONDS = 20.0  # generous: the machine is shared; a refusal takes milliseconds


def _rng() -> np.random.Generator:
    return np.random.default_rng(1)


def _A() -> np.ndarray:
    return _rng().standard_normal((4, 8))


def _x() -> np.ndarray:
    x = np.zeros(8)
    x[[1, 5]] = [1.0, -2.0]
    return x


def _psi(y):
    A = _A()
    return np.linalg.pinv(A) @ np.asarray(y).reshape(-1, 4).T if np.asarray(y).ndim > 1 else np.linalg.pinv(A) @ y


def _torch_psi():
    import torch

    from theorycheck import as_reconstruction_map

    P = torch.from_numpy(np.linalg.pinv(_A()))
    return as_reconstruction_map(lambda y: y @ P.T, backend="torch")


def _fourier_op():
    from theorycheck import SubsampledFourier

    return SubsampledFourier(_mask())


def _radon_op():
    from theorycheck.problems.radon import Radon, sparse_view_angles

    return Radon(8, sparse_view_angles(4))


def _lasso():
    from theorycheck import Lasso

    return Lasso(_A(), 0.1)


def _mask() -> np.ndarray:
    m = np.zeros((8, 8), dtype=bool)
    m[::2, ::3] = True
    return m


def _classifier():
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 3)).double()


def _X() -> np.ndarray:
    return _rng().standard_normal((3, 6))


@dataclasses.dataclass
class Case:
    target: str                      # "module:attr"
    args: dict[str, Any]             # parameter name → valid value (or zero-argument factory)
    signed: frozenset[str] = frozenset()   # parameters for which a negative number is valid
    zero_ok: frozenset[str] = frozenset()  # parameters for which 0 is valid
    skip: frozenset[str] = frozenset()     # parameters not fuzzed (callbacks, executors)
    exact: frozenset[str] = frozenset()    # numbers that may also be given as exact strings ('1/10')

    @property
    def name(self) -> str:
        return self.target.split(":")[1]

    def function(self) -> Callable[..., Any]:
        mod, attr = self.target.split(":")
        return getattr(importlib.import_module(mod), attr)


def _tgt() -> np.ndarray:
    t = np.zeros(8)
    t[2] = 1.0
    return t


def _fs_model():
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 2)).double()


def _fs_data():
    from theorycheck.classification import build_false_structure_data

    return build_false_structure_data(16, seed=0)


def _small_unet():
    from theorycheck import UNet

    return UNet(width=2, depth=1, seed=0)


def _lazy(v: Any) -> Any:
    """Arguments are given as factories (functions of this module) so each call gets fresh ones."""
    is_factory = isinstance(v, types.FunctionType) and v.__module__ == __name__
    return v() if is_factory else v


CASES = [
    Case("theorycheck:sigma_s", {"x": _x, "s": 1}, zero_ok=frozenset({"s"})),
    Case("theorycheck:MatrixOperator", {"A": _A}),
    Case("theorycheck:SubsampledFourier", {"mask": _mask}),
    Case("theorycheck:SubsampledDCT", {"mask": _mask}),
    Case("theorycheck:Wavelet", {"shape": 8, "wavelet": "haar", "levels": 2}),
    Case("theorycheck:Lasso", {"A": _A, "lam": 0.1}),
    Case("theorycheck:SRLasso", {"A": _A, "lam": 0.1}),
    Case("theorycheck:QCBP", {"A": _A, "eta": 0.1}, zero_ok=frozenset({"eta"})),
    Case("theorycheck:solve", {"problem": _lasso, "y": lambda: _A() @ _x(), "method": "exact"}),
    Case("theorycheck:certify_solution", {"problem": _lasso, "y": lambda: _A() @ _x(), "x": _x}),
    Case("theorycheck:check_instability",
         {"psi": lambda: _psi, "A": _A, "x": _x, "x_prime": lambda: _x() * 0.5, "ball_samples": 2},
         zero_ok=frozenset({"seed", "ball_samples"})),
    Case("theorycheck:check_random_noise",
         {"psi": lambda: _psi, "A": _A, "x": _x, "noise_norm": 0.1, "threshold": 0.5, "trials": 4,
          "seed": 0, "confidence": 0.9}, zero_ok=frozenset({"seed"})),
    Case("theorycheck:search_worst_perturbation",
         {"psi": _torch_psi, "A": _A, "x": _x, "budget": 0.1, "steps": 3, "seed": 0, "progress": False},
         zero_ok=frozenset({"seed", "momentum"}), skip=frozenset({"callback", "device", "dtype"})),
    Case("theorycheck:check_training_set", {"A": _A, "X": lambda: _rng().standard_normal((5, 8)),
                                            "eta": 0.1, "progress": False},
         skip=frozenset({"executor"})),
    Case("theorycheck:optimality_constant", {"A": _A, "points": lambda: _rng().standard_normal((3, 8))},
         zero_ok=frozenset({"eta"})),
    Case("theorycheck:rip_constant", {"A": _A, "s": 2, "progress": False},
         zero_ok=frozenset({"seed"}), skip=frozenset({"executor", "callback"})),
    Case("theorycheck:nsp_constant", {"A": _A, "k": 1, "progress": False}, skip=frozenset({"callback"})),
    Case("theorycheck:rnsp_gamma", {"A": _A, "s": 1, "rho": 0.5, "progress": False},
         zero_ok=frozenset({"seed"}), skip=frozenset({"executor", "callback"})),
    Case("theorycheck:search_rnsp_violation",
         {"A": _A, "s": 1, "rho": 0.5, "gamma": 2.0, "restarts": 2, "iters": 2, "progress": False},
         zero_ok=frozenset({"seed"}), skip=frozenset({"callback"})),
    Case("theorycheck:rnsp_from_rip", {"delta_2s": 0.3}),
    Case("theorycheck:recovery_constants", {"rho": 0.5, "gamma": 2.0}),
    Case("theorycheck:check_kernel_awareness",
         {"A": _A, "x": _x, "z": lambda: _x() * 0.1, "rho": 0.5, "gamma": 2.0, "s": 2}),
    Case("theorycheck:donoho_tanner", {"delta": 0.5}),
    Case("theorycheck:build_family", {"K": 3, "n": 3}, zero_ok=frozenset({"samples", "seed"})),
    Case("theorycheck:search_minimal_perturbation",
         {"model": _classifier, "x": _X, "method": "deepfool", "max_iter": 5},
         zero_ok=frozenset({"seed", "overshoot"}), skip=frozenset({"device"})),
    Case("theorycheck:check_linear_sensitivity", {"w": lambda: np.arange(1.0, 4.0), "x": lambda: np.ones(3),
                                                  "eps": 0.1}, signed=frozenset({"b"})),
    Case("theorycheck:UNet", {"width": 4, "depth": 1, "seed": 0}, zero_ok=frozenset({"seed", "depth"})),
    Case("theorycheck.problems.masks:uniform_random_mask", {"shape": 8, "fraction": 0.5, "seed": 0},
         zero_ok=frozenset({"seed"})),
    Case("theorycheck.problems.masks:variable_density_mask", {"shape": (8, 8), "fraction": 0.3, "seed": 0},
         zero_ok=frozenset({"seed"})),
    Case("theorycheck.problems.masks:radial_lines_mask", {"shape": (8, 8), "n_lines": 3, "seed": 0},
         zero_ok=frozenset({"seed"})),
    Case("theorycheck:MultiCoilFourier", {"mask": _mask, "sensitivities": lambda: __import__("theorycheck")
         .synthetic_coil_sensitivities((8, 8), 2, seed=0)}),
    Case("theorycheck:synthetic_coil_sensitivities", {"shape": (8, 8), "n_coils": 2, "seed": 0},
         zero_ok=frozenset({"seed"})),
    Case("theorycheck:equispaced_line_mask", {"shape": (8, 8), "acceleration": 2.0, "center_fraction": 0.25}),
    Case("theorycheck:random_line_mask", {"shape": (8, 8), "acceleration": 2.0, "center_fraction": 0.25, "seed": 0},
         zero_ok=frozenset({"seed"})),
    Case("theorycheck:as_operator", {"A": _A}),
    Case("theorycheck.problems.data:shepp_logan", {"n": 16}),
    Case("theorycheck.problems.data:random_ellipses", {"n": 16, "seed": 0}, zero_ok=frozenset({"seed"})),
    Case("theorycheck.problems.data:sparse_vector", {"N": 8, "s": 2, "seed": 0}, zero_ok=frozenset({"seed"})),
    Case("theorycheck.problems.sparsity:best_s_term", {"x": _x, "s": 1}, zero_ok=frozenset({"s"})),
    Case("theorycheck:Radon", {"shape": 6, "angles": lambda: np.array([0.0, 0.7, 1.9]), "detectors": 9}),
    Case("theorycheck:fbp",
         {"radon": lambda: __import__("theorycheck").Radon(6, np.array([0.0, 0.7, 1.9]), detectors=9),
                             "y": lambda: np.ones((3, 9)), "filter": "ramp"}),
    Case("theorycheck.problems.radon:sparse_view_angles", {"n": 5}),
    Case("theorycheck.problems.radon:limited_angle_angles", {"n": 5, "max_angle": 1.0}),
    Case("theorycheck.nets.fbpconvnet:FBPConvNet", {"A": _radon_op, "width": 2, "depth": 1, "filter": "ramp",
                                                   "input": "measurements", "seed": 0},
         zero_ok=frozenset({"seed", "depth"})),
    Case("theorycheck.nets.automap:AutomapNet", {"A": _fourier_op, "fc_layers": 1, "hidden": 8, "channels": 2,
                                                 "kernel": 3, "seed": 0}, zero_ok=frozenset({"seed"})),
    Case("theorycheck.nets.cascade:CascadeNet", {"A": _fourier_op, "cascades": 1, "convs": 2, "width": 2, "dc": 0.5,
                                                 "output": "real", "filter": "ramp", "seed": 0},
         zero_ok=frozenset({"seed", "dc"})),
    Case("theorycheck.nets.variational:VariationalNet", {"A": _radon_op, "steps": 1, "filters": 2, "kernel": 3,
                                                         "knots": 5, "vmax": 1.0, "filter": "ramp", "seed": 0},
         zero_ok=frozenset({"seed"})),
    Case("theorycheck.nets.automap:automap_parameter_count", {"inputs": 4, "pixels": 4, "fc_layers": 1, "hidden": 2,
                                                              "channels": 1, "kernel": 3}),
    Case("theorycheck.nets.firenet:FIRENET", {"A": _A, "lam": 0.1, "restarts": 2}),
    Case("theorycheck.nets.lista:LISTA", {"A": _A, "layers": 2}),
    Case("theorycheck.instability.optimal_map:build_paradox_sets",
         {"A": lambda: np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]]), "K": 3, "delta": 0.2}),
    Case("theorycheck.classification:search_universal_perturbation",
         {"model": _classifier, "X": _X, "xi": 1.0, "max_passes": 2, "seed": 0, "progress": False},
         zero_ok=frozenset({"seed", "overshoot"}), skip=frozenset({"device", "callback"})),
    Case("theorycheck.classification:fooling_rate_table",
         {"perturbations": lambda: {"zero": np.zeros(6)}, "models": lambda: {"lin": _classifier()}, "X": _X},
         skip=frozenset({"device"})),
    Case("theorycheck.classification:build_false_structure_data", {"n": 8, "seed": 0},
         zero_ok=frozenset({"seed", "correlation", "noise"})),
    Case("theorycheck.classification:check_false_structure", {"model": _fs_model, "data": _fs_data, "n_search": 2},
         zero_ok=frozenset({"overshoot"}), skip=frozenset({"device"})),
    Case("theorycheck.instability:stability_curve",
         {"reconstructors": lambda: {"pinv": _torch_psi()}, "A": _A, "X": _x, "noise_levels": (0.0, 0.02),
          "restarts": 1, "steps": 2, "metrics": "rel_l2", "baseline": None, "seed": 0, "progress": False},
         zero_ok=frozenset({"seed", "momentum"}),
         skip=frozenset({"executor", "device", "dtype", "batch_size", "baseline"})),
    Case("theorycheck.instability:search_hallucination",
         {"psi": _torch_psi, "A": _A, "x": _x, "target": _tgt, "budget": 0.5, "steps": 2, "seed": 0,
          "progress": False},
         zero_ok=frozenset({"seed", "momentum", "keep_weight"}), skip=frozenset({"device", "dtype"})),
    Case("theorycheck.impossibility:certify_srlasso_condition",
         {"A": lambda: [[4, 1, 0, 1, 0], [1, 5, 1, 0, 1], [0, 1, 6, 1, 1]],
          "y": lambda: [Fraction(2), Fraction(1, 6), Fraction(-2)], "lam": 0.25, "basis": [0, 1, 2]},
         signed=frozenset({"A", "y"}), zero_ok=frozenset({"basis"}), exact=frozenset({"lam"})),
    Case("theorycheck.impossibility:certify_feasibility_condition",
         {"A": lambda: [[3, 0, 0], [0, 3, 0]], "y": lambda: [1, 0], "eta": 0.5},
         signed=frozenset({"A", "y"}), zero_ok=frozenset({"eta", "y"}), exact=frozenset({"eta"})),
    Case("theorycheck.nets:train_reconstruction",
         {"model": _small_unet, "A": _fourier_op, "X_train": lambda: _rng().uniform(size=(2, 8, 8)), "epochs": 1,
          "lr": 1e-3, "batch_size": 2, "seed": 0, "progress": False, "adversarial": 0.1, "pgd_steps": 1},
         zero_ok=frozenset({"seed", "noise", "adversarial", "weight_decay"}),
         skip=frozenset({"callback", "threads"})),
]


# -- invalid values per kind --------------------------------------------------------------

def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, np.integer)):
        return "int"
    if isinstance(v, (float, np.floating)):
        return "float"
    if isinstance(v, str):
        return "str"
    if isinstance(v, np.ndarray):
        return "array"
    if isinstance(v, tuple):
        return "tuple"
    return "object"


def _bad_values(case: Case, name: str, valid: Any) -> list[tuple[str, Any]]:
    kind = _kind(valid)
    out: list[tuple[str, Any]] = []
    if kind == "int":
        out += [("fractional", 1.5), ("string", "3"), ("bool", True), ("nan", math.nan)]
        if name not in case.signed:
            out.append(("negative", -1))
        if name not in case.zero_ok and name not in case.signed:
            out.append(("zero", 0))
    elif kind == "float":
        out += [("nan", math.nan), ("inf", math.inf), ("bool", True),
                ("string", "one tenth" if name in case.exact else "0.1")]
        if name not in case.signed:
            out.append(("negative", -1.0))
    elif kind == "str":
        out += [("unknown option", "no-such-option"), ("number", 3)]
    elif kind == "bool":
        out += [("string", "yes"), ("number", 2)]
    elif kind == "array":
        a = np.array(valid, dtype=float if valid.dtype.kind != "c" else complex)
        nan = a.copy()
        nan.flat[0] = math.nan
        out += [("NaN entry", nan), ("empty", np.zeros((0,))), ("strings", np.array(["a"] * max(1, a.size)))]
        if a.dtype.kind != "b" and a.size > 1:
            inf = a.copy()
            inf.flat[-1] = math.inf
            out.append(("inf entry", inf))
    elif kind == "tuple":
        out += [("negative entries", tuple(-abs(int(v)) - 1 for v in valid)), ("string", "8x8")]
    else:
        out += [("string", "not-an-object"), ("number", 3)]
    if kind != "bool" and _default(case, name) is not None:
        out.append(("None", None))  # None is valid where it is the documented default
    return out


def _default(case: Case, name: str) -> Any:
    import inspect

    try:
        p = inspect.signature(case.function()).parameters.get(name)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return inspect.Parameter.empty
    return inspect.Parameter.empty if p is None else p.default


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - only on a hang
    raise _Timeout()


def _call(case: Case, args: dict[str, Any]) -> tuple[str, float]:
    """'raised' (TheorycheckError) | 'returned' | 'raw <Exception>' | 'timeout', and the seconds taken."""
    fn = case.function()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(SECONDS * 3))
    t0 = time.perf_counter()
    try:
        fn(**args)
        outcome = "returned"
    except TheorycheckError:
        outcome = "raised"
    except _Timeout:
        outcome = "timeout"
    except Exception as exc:  # noqa: BLE001 - that is what the test looks for
        outcome = f"raw {type(exc).__name__}: {str(exc)[:120]}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return outcome, time.perf_counter() - t0


def _valid_args(case: Case) -> dict[str, Any]:
    return {k: _lazy(v) for k, v in case.args.items()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_valid_call_works(case):
    outcome, _ = _call(case, _valid_args(case))
    assert outcome == "returned", f"{case.name}: the reference call itself fails: {outcome}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_invalid_argument_is_refused_cleanly(case):
    problems = []
    for name, valid in _valid_args(case).items():
        if name in case.skip:
            continue
        for what, bad in _bad_values(case, name, valid):
            args = _valid_args(case)
            args[name] = bad
            outcome, secs = _call(case, args)
            if outcome != "raised" or secs > SECONDS:
                problems.append(f"{name}={what}: {outcome} after {secs:.1f} s")
    assert not problems, f"{case.name}:\n" + "\n".join(problems)


_JUNK = st.one_of(
    st.text(max_size=4),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.lists(st.lists(st.text(max_size=1), max_size=2), min_size=1, max_size=2),
    st.builds(object),
    st.sampled_from([math.nan, -math.inf, -7, 2 ** 70, -0.5]),
)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@settings(max_examples=12, derandomize=True, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_arbitrary_junk_is_refused_cleanly(case, data):
    args = _valid_args(case)
    names = [n for n in args if n not in case.skip]
    name = data.draw(st.sampled_from(names), label="parameter")
    junk = data.draw(_JUNK, label="value")
    valid = args[name]
    if _kind(valid) in ("int", "float") and isinstance(junk, (int, float)) and not isinstance(junk, bool):
        if (name in case.signed or junk >= 0) and math.isfinite(junk):
            huge_is_junk = _kind(valid) == "int" and "seed" not in name
            if junk < 2 ** 40 or not huge_is_junk:
                return  # a plain number may be valid for a numeric parameter (reals and seeds may be huge)
    if junk is None and _default(case, name) is None:
        return  # None is the documented default
    if _kind(valid) == "str" and isinstance(junk, str):
        junk = "\x00" + junk  # never a valid option name
    args[name] = junk
    outcome, secs = _call(case, args)
    assert outcome == "raised" and secs <= SECONDS, f"{case.name}({name}={junk!r}): {outcome} after {secs:.1f} s"
