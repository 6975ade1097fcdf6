"""The shipped demo network: a U-Net trained on a set that contains a kernel pair.

Setting (:data:`DEMO_CONFIG`): ``n × n`` random-ellipse phantoms, the subsampled
unitary Fourier operator ``A = SubsampledFourier(mask)`` with a seeded
variable-density mask, and a training set of ellipse images that also holds
a pair ``x, x′ = x + z`` with ``z`` a small disc detail moved (almost) into
``ker A``: ``‖A(x − x′)‖`` is tiny while ``‖x − x′‖`` is not. The U-Net is
trained until it fits both ``x`` and ``x′`` well, so by the universal
instability theorem (docs/theory.md §3) it must be unstable — which
``theorycheck demo`` certifies.

The weights live in the package file ``theorycheck/data/demo_unet.pt``
(written by ``examples/train_unet_kernel_pair.py``), a plain dictionary of
tensors and numbers read with ``torch.load(..., weights_only=True)``: no
pickled code is executed. The file also stores the sampling mask and the
pair ``(x, x′)`` exactly (float64) and the seeds that regenerate the
training and test images.

Theorem: Universal instability theorem (docs/theory.md §3), hypotheses built in.
Rigor: not applicable (a network and its data); the theorem's hypotheses are
checked by ``theorycheck.instability.check_instability``.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import pathlib
from typing import Any

import numpy as np
import torch

from theorycheck.errors import InvalidArgument
from theorycheck.nets.unet import UNet
from theorycheck.numerics.backend import as_array
from theorycheck.numerics.validation import real_arg, refuse_size
from theorycheck.problems.data import detail_image, random_ellipses
from theorycheck.problems.masks import variable_density_mask
from theorycheck.problems.operators import LinearOperator, SubsampledFourier

__all__ = [
    "DEMO_CONFIG",
    "FORMAT",
    "DemoSetting",
    "build_kernel_pair",
    "build_demo_setting",
    "demo_training_set",
    "demo_unet_path",
    "save_demo_unet",
    "load_demo_unet",
]

#: Tag stored in the weights file.
FORMAT = "theorycheck-demo-unet/1"


class MissingWeightsFile(InvalidArgument, FileNotFoundError):
    """The weights file does not exist (both an :class:`InvalidArgument` and a ``FileNotFoundError``)."""

#: Everything that defines the demo (plain types, stored in the weights file).
DEMO_CONFIG: dict[str, Any] = {
    # sampling
    "n": 32,
    "fraction": 0.2,
    "center_fraction": 0.2,
    "mask_seed": 0,
    # data
    "train_size": 1000,
    "train_seed": 1,
    "test_size": 8,
    "test_seed": 2,
    # the kernel pair: x = training image `pair_index`, x' = x + z
    "pair_index": 0,
    "detail_kind": "disc",
    "detail_size": 3.0,
    "detail_amplitude": 1.0,
    "detail_position": [14.0, 17.0],
    "measurement_gap": 0.1,  # ‖A(x − x′)‖
    "pair_copies": 200,  # copies of x and of x′ in the training set
    # network and training
    "width": 16,
    "depth": 2,
    "init_seed": 0,
    "epochs": 60,
    "lr": 3e-3,
    "batch_size": 32,
    "train_noise": 0.0,
    "seed": 0,
}


@dataclasses.dataclass(frozen=True, eq=False)
class DemoSetting:
    """Everything needed to re-create the demo network's setting.

    Attributes
    ----------
    n : int
        Image side length.
    mask : numpy.ndarray of bool, shape ``(n, n)``
        Sampling mask (unshifted frequency order, read-only).
    A : SubsampledFourier
        The sampling operator ``SubsampledFourier(mask)``.
    input : str
        The network's input convention: ``"adjoint"`` — it receives ``A^* y``
        as 2 real channels (:mod:`theorycheck.nets.unet`) and returns ``(B, 1, n, n)``.
    x, x_prime : numpy.ndarray, shape ``(n, n)``
        The kernel pair of the training set (float64, read-only).
    norm_diff : float
        ``‖x − x′‖`` (float64).
    norm_A_diff : float
        ``‖A(x − x′)‖`` (float64).
    test_images : numpy.ndarray, shape ``(test_size, n, n)``
        Held-out ellipse images (regenerated from ``config["test_seed"]``).
    config : dict
        The configuration the network was trained with (:data:`DEMO_CONFIG` keys).
    training : dict
        Training record: per-epoch losses, seconds, torch version.

    Theorem: Universal instability theorem (docs/theory.md §3): ``x, x′`` satisfy
    ``‖A(x − x′)‖ ≤ η < ‖x − x′‖/2`` for every ``η`` in ``[norm_A_diff, norm_diff/2)``.
    Rigor: not applicable (data).
    """

    n: int
    mask: np.ndarray
    A: SubsampledFourier
    input: str
    x: np.ndarray
    x_prime: np.ndarray
    norm_diff: float
    norm_A_diff: float
    test_images: np.ndarray
    config: dict
    training: dict

    @property
    def detail(self) -> np.ndarray:
        """``z = x′ − x``, the near-kernel detail (a new array)."""
        return self.x_prime - self.x

    def training_images(self) -> np.ndarray:
        """Regenerate the full training set (with the repeated pair) from the seeds."""
        return demo_training_set(self.config, self.x, self.x_prime)


# ---------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------
def _real_rowspace(A: LinearOperator) -> np.ndarray:
    """Orthonormal basis (columns) of the row space of ``A`` acting on *real* signals."""
    m, N = A.shape
    if N > 4096:
        raise InvalidArgument(f"A acts on {N} unknowns: build_kernel_pair uses a dense SVD "
                              "and supports at most 4096 (use a smaller image)")
    M = A.to_dense()
    MR = np.vstack([M.real, M.imag]) if np.iscomplexobj(M) else M
    _, s, vt = np.linalg.svd(MR, full_matrices=False)
    rank = int(np.sum(s > s[0] * max(MR.shape) * np.finfo(float).eps)) if s.size else 0
    return vt[:rank].T


def build_kernel_pair(A: LinearOperator, x: Any, detail: Any, *,
                      measurement_gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(x, x + z)`` with ``z`` a real detail moved towards ``ker A``.

    ``z = P_ker d + t · P_row d`` where ``P_ker``, ``P_row`` are the orthogonal
    projections (over the reals) onto the kernel and the row space of ``A``, and
    ``t ∈ (0, 1]`` is chosen so that ``‖A z‖ = measurement_gap`` exactly (up to
    rounding). Since ``P_ker d ⟂ P_row d``, ``‖z‖ ≥ ‖P_ker d‖``: the detail
    keeps its kernel part while its measurements nearly vanish.

    Parameters
    ----------
    A : LinearOperator
        Sampling operator on real images (``N ≤ 4096``; dense SVD).
    x : array_like
        Real image of shape ``A.in_shape``.
    detail : array_like
        Real detail ``d`` of the same shape.
    measurement_gap : float
        Target ``‖A(x′ − x)‖`` (``0 < gap ≤ ‖A d‖``).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        New float64 arrays ``x`` and ``x′ = x + z``.

    Theorem: Universal instability theorem (docs/theory.md §3): a training set with
    ``‖A(x − x′)‖ ≤ η`` and ``‖x − x′‖ > 2η`` forces every η-accurate network to be unstable.
    Rigor: numerical (float64 SVD; the returned pair is what it is — re-measure it).

    Examples
    --------
    >>> from theorycheck.problems.operators import SubsampledFourier
    >>> A = SubsampledFourier(np.eye(4, dtype=bool))
    >>> d = np.zeros((4, 4)); d[1, 2] = 1.0
    >>> x, xp = build_kernel_pair(A, np.zeros((4, 4)), d, measurement_gap=0.1)
    >>> round(float(np.linalg.norm(A.apply(xp - x))), 12)
    0.1
    """
    if not isinstance(A, LinearOperator):
        raise InvalidArgument(f"A is a {type(A).__name__}: pass a theorycheck LinearOperator")
    x = as_array(x, "x")
    d = as_array(detail, "detail")
    for name, arr in (("x", x), ("detail", d)):
        if np.iscomplexobj(arr):
            raise InvalidArgument(f"{name} is complex: pass a real image")
        if arr.shape != tuple(A.in_shape):
            raise InvalidArgument(f"{name} has shape {arr.shape}; A expects {tuple(A.in_shape)}")
    gap = real_arg(measurement_gap, "measurement_gap")
    V = _real_rowspace(A)
    dv = d.astype(np.float64).ravel()
    row = V @ (V.T @ dv)
    ker = dv - row
    a_row = float(np.linalg.norm(A.apply(row.reshape(A.in_shape))))
    if a_row == 0.0:
        raise InvalidArgument("A(detail) = 0: the detail already lies in ker A, so no "
                              "measurement gap > 0 can be reached; pass another detail")
    t = gap / a_row
    if t > 1.0:
        raise InvalidArgument(f"measurement_gap={gap} exceeds ‖A detail‖ = {a_row:.6g}: "
                              "pass a smaller gap")
    z = (ker + t * row).reshape(A.in_shape)
    x = np.array(x, dtype=np.float64)
    return x, x + z


def _config(config: dict | None) -> dict[str, Any]:
    out = copy.deepcopy(DEMO_CONFIG)
    if config is not None:
        if not isinstance(config, dict):
            raise InvalidArgument(f"config must be a dict of DEMO_CONFIG keys, got {type(config).__name__}")
        unknown = set(config) - set(DEMO_CONFIG)
        if unknown:
            raise InvalidArgument(f"unknown config keys {sorted(map(str, unknown))}: use keys of DEMO_CONFIG")
        for k, v in config.items():
            _validate_config_value(k, v)
        out.update(copy.deepcopy(dict(config)))
    return out


def _validate_config_value(key: str, value: Any) -> None:
    """The type of a configuration value must match :data:`DEMO_CONFIG`'s (sizes are checked where used)."""
    ref = DEMO_CONFIG[key]
    if isinstance(ref, bool):
        ok = isinstance(value, bool)
    elif isinstance(ref, int):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif isinstance(ref, float):
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value))
    elif isinstance(ref, str):
        ok = isinstance(value, str)
    elif isinstance(ref, list):
        ok = (isinstance(value, (list, tuple)) and len(value) == len(ref) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value))
    else:  # pragma: no cover - DEMO_CONFIG holds only the types above
        ok = True
    if not ok:
        raise InvalidArgument(f"config[{key!r}]={value!r}: expected a value like {ref!r} "
                              f"({type(ref).__name__}{', ≥ 0' if isinstance(ref, int) else ''})")


def demo_training_set(config: dict | None, x: np.ndarray, x_prime: np.ndarray) -> np.ndarray:
    """The training set: ``train_size`` ellipse images with ``x′`` appended, the pair repeated.

    Returns the ``train_size`` images of ``random_ellipses(n, seed=train_seed)``
    (image ``pair_index`` is ``x``), followed by ``pair_copies`` copies of ``x``
    and ``pair_copies + 1`` copies of ``x′`` (so the pair carries equal weight).

    Theorem: Universal instability theorem (docs/theory.md §3, training sets).
    Rigor: not applicable (data).
    """
    cfg = _config(config)
    n = cfg["n"]
    pair = []
    for name, img in (("x", x), ("x_prime", x_prime)):
        arr = as_array(img, name, allow_complex=False)
        if arr.shape != (n, n):
            raise InvalidArgument(f"{name} has shape {arr.shape}: the configuration's images are {n} × {n}")
        pair.append(arr)
    k = int(cfg["pair_copies"])
    refuse_size((float(cfg["train_size"]) + 2 * k + 1) * n * n, 2 ** 28,
                "the demo training set (pixels)", "use smaller train_size, pair_copies or n")
    X = random_ellipses(n, seed=cfg["train_seed"], batch=cfg["train_size"])
    return np.concatenate([X, np.repeat(pair[0][None], k, axis=0), np.repeat(pair[1][None], k + 1, axis=0)])


def build_demo_setting(config: dict | None = None, *, training: dict | None = None) -> DemoSetting:
    """Build the demo's setting from a configuration (:data:`DEMO_CONFIG` updated by ``config``).

    Mask from :func:`~theorycheck.problems.masks.variable_density_mask`
    (``mask_seed``), ``x`` = image ``pair_index`` of the seeded training
    ellipses, ``x′`` from :func:`build_kernel_pair` with a disc
    :func:`~theorycheck.problems.data.detail_image`, test images from ``test_seed``.

    Theorem: Universal instability theorem (docs/theory.md §3).
    Rigor: not applicable (data).
    """
    cfg = _config(config)
    n = int(cfg["n"])
    mask = variable_density_mask((n, n), cfg["fraction"], center_fraction=cfg["center_fraction"],
                                 seed=cfg["mask_seed"])
    A = SubsampledFourier(mask)
    # the first k images of a seeded batch do not depend on the batch size
    idx = int(cfg["pair_index"])
    if not 0 <= idx < int(cfg["train_size"]):
        raise InvalidArgument(f"pair_index={idx} is not an index of the {cfg['train_size']} "
                              "training images")
    x = random_ellipses(n, seed=cfg["train_seed"], batch=idx + 1)[idx]
    d = detail_image(n, cfg["detail_kind"], amplitude=cfg["detail_amplitude"],
                     size=cfg["detail_size"], position=tuple(cfg["detail_position"]))
    x, xp = build_kernel_pair(A, x, d, measurement_gap=cfg["measurement_gap"])
    return _setting(cfg, A.mask, x, xp, training or {})


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.setflags(write=False)
    return a


def _setting(cfg: dict, mask: np.ndarray, x: np.ndarray, xp: np.ndarray,
             training: dict) -> DemoSetting:
    A = SubsampledFourier(mask)
    n = int(cfg["n"])
    test = random_ellipses(n, seed=cfg["test_seed"], batch=cfg["test_size"])
    return DemoSetting(
        n=n, mask=A.mask, A=A, input="adjoint", x=_readonly(x), x_prime=_readonly(xp),
        norm_diff=float(np.linalg.norm(xp - x)),
        norm_A_diff=float(np.linalg.norm(A.apply(xp - x))),
        test_images=_readonly(test), config=cfg, training=dict(training))


# ---------------------------------------------------------------------------------
# the weights file
# ---------------------------------------------------------------------------------
def demo_unet_path() -> pathlib.Path:
    """Path of the shipped weights file ``theorycheck/data/demo_unet.pt``.

    Theorem: none.
    Rigor: not applicable.
    """
    return pathlib.Path(__file__).resolve().parent.parent / "data" / "demo_unet.pt"


def _plain(obj: Any) -> Any:
    """``obj`` with only the plain types ``weights_only`` loading accepts."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    if obj is None:
        return None
    return str(obj)


def save_demo_unet(model: UNet, setting: DemoSetting, path: str | pathlib.Path,
                   *, training: dict | None = None) -> pathlib.Path:
    """Write ``model``'s weights with the setting into a ``weights_only``-loadable file.

    The state dict is stored in float32 on the CPU (the caller's model is not
    modified), with the architecture, the configuration, the mask, the pair
    ``(x, x′)`` in float64 and the training record.

    Theorem: none.
    Rigor: not applicable.
    """
    if not isinstance(model, UNet):
        raise InvalidArgument(f"model is a {type(model).__name__}: save_demo_unet stores a UNet")
    state = {k: v.detach().to(device="cpu", dtype=torch.float32).clone()
             for k, v in model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "architecture": model.config(),
        "state_dict": state,
        "config": _plain(setting.config),
        "mask": torch.from_numpy(np.array(setting.mask, dtype=bool)),
        "x": torch.from_numpy(np.array(setting.x, dtype=np.float64)),
        "x_prime": torch.from_numpy(np.array(setting.x_prime, dtype=np.float64)),
        "training": _plain(training if training is not None else setting.training),
        "torch_version": str(torch.__version__),
    }
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    return path


def load_demo_unet(path: str | pathlib.Path | None = None) -> tuple[UNet, DemoSetting]:
    """Load the shipped demo U-Net and its setting.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A file written by :func:`save_demo_unet`; default the shipped
        ``theorycheck/data/demo_unet.pt``.

    Returns
    -------
    (UNet, DemoSetting)
        The network (float32, CPU, eval mode; input ``A^* y`` as 2 real
        channels ``(B, 2, n, n)``, output ``(B, 1, n, n)``) and everything needed to
        use it: ``setting.A``, ``setting.x``, ``setting.x_prime``, ``setting.test_images``, ….

    Theorem: Universal instability theorem (docs/theory.md §3): the network was trained to fit
    ``x`` and ``x′`` with ``‖A(x − x′)‖ = setting.norm_A_diff`` ≪ ``setting.norm_diff``.
    Rigor: not applicable (loading; the file is read with ``weights_only=True``).

    Examples
    --------
    >>> model, setting = load_demo_unet()
    >>> setting.A.shape, model.training
    ((205, 1024), False)
    """
    if path is not None and not isinstance(path, (str, pathlib.PurePath)):
        raise InvalidArgument(f"path must be a str or pathlib.Path, got {type(path).__name__}")
    path = demo_unet_path() if path is None else pathlib.Path(path)
    if not path.is_file():
        raise MissingWeightsFile(
            f"{path} does not exist: run `python examples/train_unet_kernel_pair.py` "
            "to (re)generate the demo network")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle errors, truncated files, non-torch files
        raise InvalidArgument(f"{path} cannot be read as a weights-only torch file "
                              f"({type(exc).__name__}): regenerate it") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise InvalidArgument(f"{path} is not a theorycheck demo network ({FORMAT})")
    try:
        model = UNet(**payload["architecture"])
        model.load_state_dict(payload["state_dict"])
    except (KeyError, TypeError, RuntimeError) as exc:  # missing keys, wrong shapes
        raise InvalidArgument(f"{path} does not hold a valid UNet ({type(exc).__name__}: "
                              f"{str(exc)[:200]}): regenerate it") from None
    model.eval()
    cfg = _config(payload.get("config"))
    try:
        mask, x, xp = (payload[k].numpy() for k in ("mask", "x", "x_prime"))
        training = payload.get("training", {})
        if not isinstance(training, dict):
            raise TypeError("the training record is not a dict")
    except (KeyError, AttributeError, TypeError) as exc:
        raise InvalidArgument(f"{path} lacks the demo's mask and pair ({type(exc).__name__}: {exc}): "
                              "regenerate it") from None
    setting = _setting(cfg, mask.astype(bool), x.astype(np.float64), xp.astype(np.float64), training)
    return model, setting
