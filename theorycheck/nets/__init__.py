"""Networks and adapters (torch): reconstruction-map adapter, architectures, training.

Names are loaded lazily on first access (``theorycheck.nets.UNet``), so that
``import theorycheck`` and ``import theorycheck.nets`` do not import torch.

Theorem: none (models under test and unrolled solvers).
Rigor: not applicable.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> submodule that defines it
_LAZY: dict[str, str] = {
    "as_reconstruction_map": "adapters",
    "ReconstructionMap": "adapters",
    "UNet": "unet",
    "FBPConvNet": "fbpconvnet",
    "AutomapNet": "automap",
    "automap_parameter_count": "automap",
    "CascadeNet": "cascade",
    "VariationalNet": "variational",
    "FIRENET": "firenet",
    "LISTA": "lista",
    "train_lista": "lista",
    "train_reconstruction": "train",
    "reconstruct": "train",
    "load_demo_unet": "pretrained",
    "MLP": "classifiers",
    "SmallCNN": "classifiers",
    "train_classifier": "classifiers",
    "build_digits_classifier": "classifiers",
    "digits_data": "classifiers",
    "synthetic_data": "classifiers",
    "enclose": "enclosure",
    "Enclosure": "enclosure",
    "Encloser": "enclosure",
    "enclose_operator": "enclosure",
    "lower_bound_ratio": "enclosure",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'theorycheck.nets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"theorycheck.nets.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # pragma: no cover
    from theorycheck.nets.adapters import ReconstructionMap, as_reconstruction_map
    from theorycheck.nets.automap import AutomapNet, automap_parameter_count
    from theorycheck.nets.cascade import CascadeNet
    from theorycheck.nets.classifiers import (
        MLP,
        SmallCNN,
        build_digits_classifier,
        digits_data,
        synthetic_data,
        train_classifier,
    )
    from theorycheck.nets.enclosure import Encloser, Enclosure, enclose, enclose_operator, lower_bound_ratio
    from theorycheck.nets.fbpconvnet import FBPConvNet
    from theorycheck.nets.firenet import FIRENET
    from theorycheck.nets.lista import LISTA, train_lista
    from theorycheck.nets.pretrained import load_demo_unet
    from theorycheck.nets.train import reconstruct, train_reconstruction
    from theorycheck.nets.unet import UNet
    from theorycheck.nets.variational import VariationalNet
