"""The ``theorycheck`` command line: ``demo``, ``certify``, ``verify FILE``, ``curve``, ``info``.

Every error a user can cause (a missing or unreadable file, a wrong shape, a
model that does not fit the operator, a bad option) ends the command with one
line on stderr, ``theorycheck: error: ...``, and exit status 2; a check that
does not hold exits with 1; success with 0.

Models (``--model``) come in two forms, both of which **run code**:

* a TorchScript file (``torch.jit.script(model).save(path)``): the file holds
  the model's code, which runs when the model is evaluated — load only files
  you trust;
* ``module:factory``: ``module`` is imported (the current directory is
  importable) and ``factory`` must be either a ``torch.nn.Module`` subclass, a
  Python function *defined in that module* (not imported into it) taking no
  arguments, or a ``torch.nn.Module`` instance; it must return a
  ``torch.nn.Module``. Anything else (builtins such as ``os:abort``, functions
  re-exported from another module, standard-library modules) is refused before
  it is called. ``--weights`` then loads a state dict with
  ``torch.load(weights_only=True)``, which executes no code.

Theorem: none (user layer).
Rigor: ``certify`` reports the certificate's own rigor; ``verify`` re-runs the
saved result's own verifier and reports that verifier's rigor.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import math
import os
import platform
import re
import sys
import tempfile
import warnings
from typing import Any, Callable, Sequence

from theorycheck._cli_curve import add_curve_parser, run_curve
from theorycheck._version import __version__
from theorycheck.demo import run_demo
from theorycheck.errors import InvalidArgument, TheorycheckError
from theorycheck.figures import write_report
from theorycheck.instability import check_instability
from theorycheck.nets._adapter_common import input_for
from theorycheck.numerics.validation import integer_arg, real_arg
from theorycheck.problems import mri, operators, radon
from theorycheck.results import Report, load, verifier_accepts, verify_result

__all__ = ["main"]

# ----------------------------------------------------------------------------------------
# help texts (plain text: they are read in a terminal)
# ----------------------------------------------------------------------------------------

_MAIN_DESCRIPTION = """\
theorycheck: executable checks of the theorems on the limits of deep learning in
inverse problems. Certify that a reconstruction network is unstable, and re-check
saved certificates.

Exit status: 0 the check holds, 1 it does not hold (or is inconclusive),
2 bad input (one line on stderr says what to change)."""

_MAIN_EPILOG = """\
examples:
  theorycheck demo                      run everything on the shipped U-Net
  theorycheck certify --help            certify your own network
  theorycheck verify certificate.json   re-check a saved certificate
  theorycheck curve --help              robustness curve of your network (error vs noise level)
Run 'theorycheck COMMAND --help' for the options of a command."""

_MODEL_RULE = """\
--model takes one of:
  FILE.pt           a TorchScript model (torch.jit.script(model).save(FILE.pt)).
                    A TorchScript file contains code that runs when the model is
                    evaluated: only load files you trust. --weights is ignored.
  module:factory    'module' is imported, which runs its code (the current
                    directory is importable; write the module name without
                    .py). 'factory' must be a torch.nn.Module subclass, or a
                    function defined in that module (not imported into it),
                    taking no arguments and returning a torch.nn.Module; or a
                    torch.nn.Module instance.
                    Builtins, functions re-exported from other modules and
                    standard-library modules are refused before anything is
                    called. --weights STATE.pt loads a state dict
                    (torch.load(weights_only=True): no code runs); without it
                    the model keeps the weights its factory gives it."""

_LAYOUT_HELP = """\
model input layouts (B = batch, core = the shape of y or of the image):
  channels-first  complex data as 2 real channels (B, 2, *core); real data (B, 1, *core)
  channels-last   complex data as (B, *core, 2); real data (B, *core)
  complex         a complex tensor (B, 1, *core)
  flat            (B, 2*size): real parts, then imaginary parts; real data (B, size)
  magnitude       input as channels-first; the model returns a real (magnitude)
                  image, compared with real images x, x'
With --input measurements, core is the shape of y = A x (for the Fourier, DCT and
Hadamard operators a vector of m samples: (B, 2, m) channels-first); with
--input adjoint it is the image shape, filled with the zero-filled adjoint A^* y
((B, 2, n, n) channels-first for n x n images). The model's output may be a
real image, 2 real channels, a trailing axis of 2 or a complex tensor, with or
without a channel axis: it is read automatically."""

_OPERATOR_HELP = """\
operators (--operator SPEC; no default, one is required):
  A.npy                      a dense matrix (m, N); images are vectors of length N
  fourier:MASK.npy           subsampled orthonormal DFT, numpy's unshifted order:
                             y = fftn(x, norm='ortho')[MASK] (zero frequency at
                             index 0); MASK is boolean (n,) or (n1, n2); y holds
                             the sampled entries in C order
  fourier-centered:MASK.npy  the same with fftshift-centred k-space and MASK
                             (fastMRI's fft2c): y = fftshift(fftn(ifftshift(x),
                             norm='ortho'))[MASK], zero frequency at index n//2.
                             Both give the same zero-filled images when the masks
                             agree up to numpy.fft.ifftshift
  multicoil:MASK.npy,SENS.npy
                             multi-coil Fourier: y[c] = fftn(SENS[c] * x,
                             norm='ortho')[MASK] (unshifted order); SENS holds
                             complex coil sensitivities (C, n1, n2); y has
                             shape (C, m), one row of samples per coil
  multicoil-centered:MASK.npy,SENS.npy
                             the same with centred k-space and MASK (fastMRI)
  dct:MASK.npy               subsampled orthonormal DCT-II (scipy.fft.dctn,
                             norm='ortho')
  hadamard:MASK.npy          subsampled Walsh-Hadamard transform (natural order;
                             sizes powers of 2)
  radon:ANGLES.npy           parallel-beam Radon transform at ANGLES (radians, in
                             [0, pi)); the image size is taken from --x
Arrays: .npy files (numpy.save) or single tensors saved with torch.save (.pt)."""


_CERTIFY_DESCRIPTION = """\
Certify the instability of a reconstruction network Psi on two images x, x'
(universal instability theorem). If Psi is accurate on both (errors below eta)
while their measurements are close (|A(x - x')| <= eta) and the images are far
apart (|x - x'| > 2 eta), then Psi is unstable near A x: its local Lipschitz
constant is at least |Psi(Ax) - Psi(Ax')| / |A(x - x')|.

Typical x, x': a training image and the same image with a detail that A barely
sees (theorycheck.instability.audit_training_set finds such pairs in a training
set). The model may be float32 and live on any device: it is evaluated on a
float64 CPU copy, twice, in eval mode, and is never modified. The certificate
(with its witness) is written to --out; re-check it with 'theorycheck verify
FILE --model SPEC', which re-runs the network."""

_CERTIFY_EPILOG = f"""\
{_MODEL_RULE}

{_OPERATOR_HELP}

{_LAYOUT_HELP}

example:
  theorycheck certify --model mynet:build --weights state.pt \\
      --operator fourier:mask.npy --input adjoint --x x.npy --x-prime xp.npy

Exit status: 0 certified, 1 not certified (inconclusive), 2 bad input."""

_VERIFY_DESCRIPTION = """\
Re-check a saved result or report (JSON written by certify, demo or the Python
API): every claim is re-derived from the stored witness; the file's own
verdict, rigor and numbers are not trusted. Network certificates store the
network's outputs, not the network: without --model those outputs are taken
from the file (the message says so); with --model (and --weights) the network
is re-evaluated and must reproduce them."""

_VERIFY_EPILOG = f"""\
{_MODEL_RULE}

examples:
  theorycheck verify certificate.json
  theorycheck verify certificate.json --model mynet:build --weights state.pt
  theorycheck verify theorycheck-demo/certificate.json --model theorycheck.demo:demo_model

Exit status: 0 every result re-checks, 1 some result does not, 2 bad input."""

_DEMO_DESCRIPTION = """\
Run the main jobs on shipped data: certify the instability of the shipped U-Net
(32x32 images, subsampled Fourier measurements), build its false negative and
false positive, search a worst-case perturbation and compare with an
l1-wavelet baseline; then show float64 LASSO solvers that report success with
a wrong answer, proven wrong in exact arithmetic. Writes certificate.json and
instability.png, worst_perturbation.png and report.md into --out (created if
missing); re-check the certificates with
'theorycheck verify FOLDER/certificate.json --model theorycheck.demo:demo_model'.

Exit status: 0 everything as expected, 1 otherwise, 2 bad input."""


class _UsageError(Exception):
    """A command-line usage error (reported on one line)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block) and never exit."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the layout of descriptions and epilogs; shows every default that is a value."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if ("%(default)" not in text and action.option_strings and not action.required
                and default is not None and default is not False and default != argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


# ----------------------------------------------------------------------------------------
# messages
# ----------------------------------------------------------------------------------------

def _oneline(text: Any, limit: int = 600) -> str:
    """One line of at most ``limit`` characters from an exception message (TorchScript's
    multi-line messages are reduced to their final error line)."""
    s = str(text)
    lines = [ln.strip() for ln in s.splitlines() if ln.strip()]
    if len(lines) > 1 and ("TorchScript" in lines[0] or lines[0].startswith("Traceback")):
        errs = [ln for ln in lines if re.match(r"^[A-Za-z_.]*(Error|Exception):", ln)]
        lines = [errs[-1] if errs else lines[-1]]
    out = " ".join(" ".join(lines).split())
    return out if len(out) <= limit else out[:limit - 3] + "..."


def _warn(message: str) -> None:
    print(f"theorycheck: warning: {_oneline(message, 1000)}", file=sys.stderr)


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
                  line: Any = None) -> None:
    """``warnings.showwarning`` for the command line: one line, no source excerpt."""
    _warn(f"{getattr(category, '__name__', 'Warning')}: {message}")


# ----------------------------------------------------------------------------------------
# files
# ----------------------------------------------------------------------------------------

def _check_writable_dir(folder: str, what: str) -> None:
    """Raise unless ``folder`` is an existing folder in which a file can be created."""
    if not os.path.exists(folder):
        raise InvalidArgument(f"{what}: the folder {folder!r} does not exist: create it first")
    if not os.path.isdir(folder):
        raise InvalidArgument(f"{what}: {folder!r} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".theorycheck-", dir=folder)
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        raise InvalidArgument(f"{what}: cannot write into the folder {folder!r} "
                              f"({exc.strerror or exc})") from None


def _check_out_file(path: str, what: str = "--out") -> str:
    """Check, before any work, that the result file ``path`` can be written; return it."""
    if not path:
        raise InvalidArgument(f"{what}: give a file name, e.g. certificate.json")
    if os.path.isdir(path):
        raise InvalidArgument(f"{what}: {path!r} is a folder: give a file name, e.g. "
                              f"{os.path.join(path, 'certificate.json')}")
    _check_writable_dir(os.path.dirname(os.path.abspath(path)), what)
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise InvalidArgument(f"{what}: {path!r} exists and is not writable")
    return path


def _check_out_dir(path: str, what: str = "--out") -> str:
    """Check, before any work, that ``path`` is (or can be made) a writable folder; make it."""
    if not path:
        raise InvalidArgument(f"{what}: give a folder name")
    if os.path.exists(path) and not os.path.isdir(path):
        raise InvalidArgument(f"{what}: {path!r} is a file, not a folder")
    if not os.path.exists(path):
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise InvalidArgument(f"{what}: cannot create {path!r}: the folder {parent!r} does not "
                                  "exist")
        try:
            os.mkdir(path)
        except OSError as exc:
            raise InvalidArgument(f"{what}: cannot create the folder {path!r} "
                                  f"({exc.strerror or exc})") from None
    _check_writable_dir(path, what)
    return path


def _readable_file(path: str, what: str) -> str:
    if not os.path.exists(path):
        raise InvalidArgument(f"{what}: no such file {path!r}")
    if os.path.isdir(path):
        raise InvalidArgument(f"{what}: {path!r} is a folder, not a file")
    if not os.access(path, os.R_OK):
        raise InvalidArgument(f"{what}: {path!r} is not readable")
    return path


def _load_array(path: str, what: str):
    """A numeric array from ``.npy`` or from one tensor saved with ``torch.save`` (weights_only)."""
    import numpy as np

    if not path.endswith((".npy", ".pt", ".pth")):
        raise InvalidArgument(f"{what}: {path!r} is neither .npy (numpy.save) nor .pt/.pth "
                              "(one tensor saved with torch.save)")
    _readable_file(path, what)
    if path.endswith(".npy"):
        try:
            with open(path, "rb") as fh:
                magic = fh.read(6)
        except OSError as exc:
            raise InvalidArgument(f"{what}: cannot read {path!r} ({exc.strerror or exc})") from None
        if magic != b"\x93NUMPY":
            raise InvalidArgument(f"{what}: {path!r} is not a .npy file (no NUMPY header): save it "
                                  "with numpy.save")
        try:
            arr = np.load(path, allow_pickle=False)
        except Exception as exc:  # noqa: BLE001 - numpy raises many kinds on a damaged file
            raise InvalidArgument(f"{what}: cannot read {path!r} as a .npy array "
                                  f"({_oneline(exc, 200)})") from None
        if not isinstance(arr, np.ndarray):
            raise InvalidArgument(f"{what}: {path!r} holds an archive, not one array: use numpy.save")
    else:
        import torch

        value = _torch_load(path, what, "a tensor", "torch.save(tensor, path)")
        if not isinstance(value, torch.Tensor):
            raise InvalidArgument(f"{what}: {path!r} holds a {type(value).__name__}, expected one "
                                  "tensor (torch.save(tensor, path))")
        value = value.detach().cpu()
        if value.dtype == torch.bfloat16:
            value = value.float()  # exact: every bfloat16 is a float32
        arr = value.numpy()
    if arr.dtype.kind not in "biufc":
        raise InvalidArgument(f"{what}: {path!r} has dtype {arr.dtype}: save numbers")
    if arr.size == 0:
        raise InvalidArgument(f"{what}: {path!r} is empty (shape {arr.shape})")
    if arr.dtype.kind in "fc" and not bool(np.all(np.isfinite(arr))):
        raise InvalidArgument(f"{what}: {path!r} contains NaN or inf")
    return arr


#: --operator kinds: name → (what the file(s) hold, builder from the loaded arrays and the image x)
_OPERATOR_KINDS: dict[str, tuple[tuple[str, ...], Callable[..., Any]]] = {
    "fourier": (("mask",), lambda mask, image: operators.SubsampledFourier(mask)),
    "fourier-centered": (("mask",), lambda mask, image: operators.SubsampledFourier(mask, centered=True)),
    "multicoil": (("mask", "sensitivities"), lambda mask, sens, image: mri.MultiCoilFourier(mask, sens)),
    "multicoil-centered": (("mask", "sensitivities"),
                           lambda mask, sens, image: mri.MultiCoilFourier(mask, sens, centered=True)),
    "dct": (("mask",), lambda mask, image: operators.SubsampledDCT(mask)),
    "hadamard": (("mask",), lambda mask, image: operators.SubsampledWalshHadamard(mask)),
    "radon": (("angles",), lambda angles, image: _radon(angles, image)),
}


def _load_operator(spec: str, image: Any):
    """The operator named by ``spec`` (see ``_OPERATOR_HELP``); ``image``: x, for its shape."""
    kind, sep, paths = spec.partition(":")
    if sep and kind in _OPERATOR_KINDS:
        names, build = _OPERATOR_KINDS[kind]
        files = paths.split(",")
        if len(files) != len(names) or not all(files):
            raise InvalidArgument(
                f"--operator {kind}: give {len(names)} file(s), {kind}:{','.join(n.upper() + '.npy' for n in names)}"
                f" (got {paths!r}{'; file names must not contain commas' if len(files) > len(names) else ''})")
        arrays = [_load_array(path, f"--operator {kind} {name}") for name, path in zip(names, files)]
        label = f"--operator {kind}" + (f" {names[0]}" if len(names) == 1 else "")
        try:
            return build(*arrays, image)
        except TheorycheckError as exc:
            raise InvalidArgument(f"{label} {paths!r}: {exc}") from None
    if sep and not os.path.exists(spec):
        known = ", ".join(k + ":" + ",".join(n.upper() for n in v[0]) for k, v in _OPERATOR_KINDS.items())
        raise InvalidArgument(f"--operator: unknown operator kind {kind!r}: use one of {known}, or a matrix "
                              "file A.npy")
    A = _load_array(spec, "--operator matrix")
    if A.ndim != 2:
        raise InvalidArgument(f"--operator: the matrix in {spec!r} has shape {A.shape}: save a 2-D "
                              "array (m, N), or use fourier:MASK.npy and the like")
    try:
        return operators.MatrixOperator(A)
    except TheorycheckError as exc:
        raise InvalidArgument(f"--operator matrix {spec!r}: {exc}") from None


def _radon(angles: Any, image: Any):
    if image.ndim != 2:
        raise InvalidArgument(f"--operator radon: x has shape {image.shape}: the Radon transform "
                              "acts on 2-D images (n1, n2)")
    return radon.Radon(image.shape, angles)


def _check_images(A: Any, x: Any, xp: Any) -> None:
    shape = tuple(A.in_shape)
    for name, img in (("--x", x), ("--x-prime", xp)):
        if tuple(img.shape) != shape:
            hint = ""
            if img.size == math.prod(shape):
                hint = f" (same number of entries: save it reshaped to {shape})"
            raise InvalidArgument(f"{name} has shape {tuple(img.shape)} but the operator's images "
                                  f"have shape {shape}{hint}")
    if x.shape == xp.shape and bool((x == xp).all()):
        raise InvalidArgument("--x and --x-prime hold the same image: the theorem needs two different "
                              "images")


# ----------------------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------------------

_FACTORY = re.compile(r"^(?P<mod>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):(?P<attr>[A-Za-z_]\w*)$")


def _load_model(spec: str, weights: str | None, *, warn: bool = True):
    """The ``torch.nn.Module`` named by ``--model`` (see ``_MODEL_RULE``)."""
    if os.path.exists(spec):
        if os.path.isdir(spec):
            raise InvalidArgument(f"--model: {spec!r} is a folder: give a TorchScript file or "
                                  "module:factory")
        model = _load_torchscript(spec)
        if weights and warn:
            _warn(f"--weights {weights!r} is ignored: the TorchScript file {spec!r} holds its own "
                  "weights (use --model module:factory --weights STATE.pt to load a state dict)")
        return model
    mod_part = spec.rpartition(":")[0]
    if mod_part.endswith(".py"):
        raise InvalidArgument(f"--model {spec!r}: write the module name without .py, e.g. "
                              f"{os.path.basename(mod_part)[:-3]}:{spec.rpartition(':')[2]} (run "
                              "from the folder that holds the file)")
    m = _FACTORY.match(spec)
    if m is None:
        if spec.endswith((".pt", ".pth", ".ts", ".jit", ".zip")) or os.sep in spec:
            raise InvalidArgument(f"--model: no such file {spec!r} (give a TorchScript file or "
                                  "module:factory)")
        raise InvalidArgument(f"--model {spec!r}: give a TorchScript file or module:factory "
                              "(see 'theorycheck certify --help')")
    model = _load_factory(m.group("mod"), m.group("attr"))
    if weights:
        _load_weights(model, weights)
    elif warn and m.group("mod").split(".")[0] != "theorycheck":  # shipped factories load theirs
        _warn(f"no --weights: {spec} is used with the weights its factory gives it "
              "(random unless the factory loads them)")
    return model


def _load_torchscript(path: str):
    import torch

    _readable_file(path, "--model")
    try:
        with warnings.catch_warnings():  # TorchScript is deprecated but still the portable format
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            return torch.jit.load(path, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds on a wrong file
        kind = _torch_file_kind(path)
        why = {"not-zip": "not a TorchScript archive",
               "torch.save": "a file written by torch.save (a state dict or a pickled model), not "
                             "TorchScript"}.get(kind, _oneline(exc, 200))
        raise InvalidArgument(
            f"--model: cannot load {path!r} as TorchScript ({why}): save the model with "
            "torch.jit.script(model).save(path), or, for a state dict, pass --model "
            "module:factory --weights STATE.pt") from None


def _torch_load(path: str, what: str, expected: str, how: str) -> Any:
    """``torch.load(path, weights_only=True)`` (no code runs) with one-line errors."""
    import torch

    kind = _torch_file_kind(path)
    if kind == "torchscript":
        raise InvalidArgument(f"{what}: {path!r} is a TorchScript model, not {expected}"
                              + (": pass it as --model FILE" if what == "--weights" else ""))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds on a wrong file
        why = "not a file written by torch.save" if kind == "not-zip" else _oneline(exc, 200)
        raise InvalidArgument(f"{what}: cannot read {path!r} as {expected} ({why}); save it with "
                              f"{how}") from None


def _torch_file_kind(path: str) -> str:
    """"not-zip", "torch.save" (a zip without TorchScript code) or "torchscript"."""
    import zipfile

    try:
        if not zipfile.is_zipfile(path):
            return "not-zip"
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return "not-zip"
    if any(n.endswith("/constants.pkl") or n.endswith("/code/") or "/code/" in n for n in names):
        return "torchscript"
    return "torch.save"


def _stdlib(name: str) -> bool:
    top = name.split(".")[0]
    names = getattr(sys, "stdlib_module_names", ())
    return top in names or top in sys.builtin_module_names or top == "builtins"


def _required_parameters(obj: Any) -> list[str] | None:
    """Names of the required parameters of calling ``obj`` (None when unknown)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return [p.name for p in sig.parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _candidates(module: Any) -> list[str]:
    import torch

    out = []
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_"):
            continue
        if (isinstance(obj, type) and issubclass(obj, torch.nn.Module)
                and obj.__module__ == module.__name__) or (
                inspect.isfunction(obj) and obj.__module__ == module.__name__):
            out.append(name)
    return out[:8]


def _load_factory(mod_name: str, attr: str):
    import torch

    spec = f"{mod_name}:{attr}"
    if _stdlib(mod_name):
        raise InvalidArgument(f"--model {spec}: {mod_name!r} is a standard-library module, not "
                              "a model factory: name the module that builds your network")
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)  # the current directory is importable (restored by main)
    importlib.invalidate_caches()  # a module file written a moment ago must be found
    try:
        module = importlib.import_module(mod_name)
    except ModuleNotFoundError as exc:
        if exc.name and (mod_name == exc.name or mod_name.startswith(exc.name + ".")):
            raise InvalidArgument(f"--model {spec}: no module named {exc.name!r} (looked in the "
                                  f"current directory {cwd!r} and the installed packages)") from None
        raise InvalidArgument(f"--model {spec}: importing {mod_name!r} failed: "
                              f"{_oneline(exc, 300)}") from None
    except SystemExit as exc:
        raise InvalidArgument(f"--model {spec}: importing {mod_name!r} called sys.exit({exc.code!r})") \
            from None
    except Exception as exc:  # noqa: BLE001 - user code: report any failure on one line
        raise InvalidArgument(f"--model {spec}: importing {mod_name!r} raised "
                              f"{type(exc).__name__}: {_oneline(exc, 300)}") from None
    if not hasattr(module, attr):
        found = _candidates(module)
        hint = f"; it defines {', '.join(found)}" if found else ""
        raise InvalidArgument(f"--model {spec}: module {mod_name!r} has no attribute {attr!r}{hint}")
    obj = getattr(module, attr)
    if isinstance(obj, torch.nn.Module):
        return obj  # an instance: used as is, nothing is called
    rule = ("a factory is a torch.nn.Module subclass, or a function defined in the named module, "
            "taking no arguments and returning a torch.nn.Module")
    if isinstance(obj, type):
        if not issubclass(obj, torch.nn.Module):
            raise InvalidArgument(f"--model {spec}: {attr} is a class but not a torch.nn.Module "
                                  f"subclass: {rule}")
    elif inspect.isfunction(obj):
        if obj.__module__ != module.__name__ and _stdlib(str(obj.__module__)):
            raise InvalidArgument(f"--model {spec}: {attr} is the standard-library function "
                                  f"{obj.__module__}.{obj.__name__}, not a model factory: {rule}")
        if obj.__module__ != module.__name__:
            raise InvalidArgument(
                f"--model {spec}: {attr} is defined in {obj.__module__!r}, not in {mod_name!r} "
                f"(imported into it): name the module that defines it, {obj.__module__}:{attr}, "
                f"if that is your factory; {rule}")
    else:
        kind = "a builtin function" if inspect.isbuiltin(obj) else f"a {type(obj).__name__}"
        raise InvalidArgument(f"--model {spec}: {attr} is {kind}, not a model factory: {rule}")
    required = _required_parameters(obj)
    if required:
        raise InvalidArgument(f"--model {spec}: {attr} has required argument(s) {', '.join(required)}: "
                              "write a function without arguments that builds the model")
    try:
        model = obj()
    except SystemExit as exc:
        raise InvalidArgument(f"--model {spec}: {attr}() called sys.exit({exc.code!r}) instead of "
                              "returning a model") from None
    except Exception as exc:  # noqa: BLE001 - user code: report any failure on one line
        raise InvalidArgument(f"--model {spec}: {attr}() raised {type(exc).__name__}: "
                              f"{_oneline(exc, 300)}") from None
    if not isinstance(model, torch.nn.Module):
        hint = (" (return the module alone)" if isinstance(model, (tuple, list)) else "")
        raise InvalidArgument(f"--model {spec}: {attr}() returned a {type(model).__name__}, not a "
                              f"torch.nn.Module{hint}")
    return model


def _load_weights(model: Any, path: str) -> None:
    import torch

    _readable_file(path, "--weights")
    obj = _torch_load(path, "--weights", "a state dict", "torch.save(model.state_dict(), path)")

    def is_state(d: Any) -> bool:
        return isinstance(d, dict) and bool(d) and all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in d.items())

    state = obj
    if not is_state(state) and isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            if is_state(obj.get(key)):
                state = obj[key]
                break
    if not is_state(state):
        raise InvalidArgument(f"--weights: {path!r} holds a {type(obj).__name__} that is not a state "
                              "dict (names -> tensors): save torch.save(model.state_dict(), path)")
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {missing[:3]}{' ...' if len(missing) > 3 else ''}")
        if extra:
            parts.append(f"unexpected {extra[:3]}{' ...' if len(extra) > 3 else ''}")
        hint = (" (saved from DataParallel: strip the 'module.' prefix)"
                if extra and all(k.startswith("module.") for k in state) else "")
        raise InvalidArgument(f"--weights {path!r} does not fit the model: {'; '.join(parts)}{hint}")
    bad = [f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}" for k, v in own.items()
           if tuple(state[k].shape) != tuple(v.shape)]
    if bad:
        raise InvalidArgument(f"--weights {path!r} does not fit the model: shapes differ: "
                              f"{'; '.join(bad[:3])}{' ...' if len(bad) > 3 else ''}")
    try:
        model.load_state_dict(state)
    except Exception as exc:  # noqa: BLE001 - user modules may override load_state_dict
        raise InvalidArgument(f"--weights {path!r}: {_oneline(exc, 300)}") from None


# ----------------------------------------------------------------------------------------
# model input layouts
# ----------------------------------------------------------------------------------------

#: CLI layout -> (adapter layout, feed complex data as two real channels)
_LAYOUTS: dict[str, tuple[str, bool]] = {
    "channels-first": ("channels", True),
    "channels-last": ("plain", True),
    "complex": ("channels", False),
    "flat": ("flat", True),
    "magnitude": ("channels", True),
}
_INPUTS = ("measurements", "adjoint")


def _psi(model: Any, A: Any, input_: str, layout: str, complex_data: bool):
    """The reconstruction map for a CLI input/layout choice, bound to ``A``."""
    from theorycheck.nets.adapters import as_reconstruction_map

    ad_layout, as_channels = _LAYOUTS[layout]
    return as_reconstruction_map(model, input=input_, layout=ad_layout,
                                 complex_as_channels=bool(as_channels and complex_data),
                                 eval_mode=True, A=A)


def _model_input_complex(A: Any, y: Any, input_: str) -> bool:
    import numpy as np

    z = A.adjoint(y) if input_ == "adjoint" else y
    return bool(np.iscomplexobj(z))


class _Seen(Exception):
    """Raised by the shape probe with the shape and dtype it was called with."""


def _fed_shape(A: Any, y: Any, input_: str, layout: str) -> str:
    """The input shape theorycheck feeds a model for this input/layout (text, batch as B)."""
    import torch

    class _Probe(torch.nn.Module):
        def forward(self, z: Any) -> Any:
            raise _Seen(tuple(z.shape), z.dtype)

    cplx = _model_input_complex(A, y, input_)
    try:
        _psi(_Probe(), A, input_, layout, cplx)(y[None])
    except _Seen as seen:
        shape, dtype = seen.args
        text = "(B, " + ", ".join(str(s) for s in shape[1:]) + ")"
        return text + (" complex" if dtype.is_complex else "")
    except TheorycheckError as exc:  # pragma: no cover - the adapter refuses the layout itself
        return f"not available ({_oneline(exc, 80)})"
    return "?"  # pragma: no cover - the probe always raises


def _runs(model: Any, A: Any, y: Any, input_: str, layout: str) -> bool:
    try:
        _psi(model, A, input_, layout, _model_input_complex(A, y, input_))(y[None])
    except Exception:  # noqa: BLE001 - user code: any failure means "does not run"
        return False
    return True


def _trial(model: Any, A: Any, y: Any, input_: str, layout: str):
    """Build Ψ and evaluate it once on ``y``; on failure, one line with the shapes to use."""
    psi = _psi(model, A, input_, layout, _model_input_complex(A, y, input_))
    try:
        psi(y[None])
        return psi
    except SystemExit as exc:
        raise InvalidArgument(f"the model called sys.exit({exc.code!r}) when evaluated") from None
    except Exception as exc:  # noqa: BLE001 - user code: report any failure on one line
        first = exc
    fed = _fed_shape(A, y, input_, layout)
    table, working = [], []
    for inp in _INPUTS:
        groups: dict[str, list[str]] = {}  # fed shape -> the layouts that feed it
        for lay in _LAYOUTS:
            if lay != "magnitude":
                groups.setdefault(_fed_shape(A, y, inp, lay), []).append(lay)
        table.append(f"--input {inp}: " + ", ".join(f"{' or '.join(lays)} {shape}"
                                                     for shape, lays in groups.items()))
        for shape, lays in groups.items():
            if (inp, shape) != (input_, fed) and _runs(model, A, y, inp, lays[0]):
                working.append(f"--input {inp} --layout {lays[0]}")
    advice = (f"The model runs with {' or '.join(working[:3])}." if working else
              "It runs with none of them: check that the operator matches the model (image size, "
              "number of samples).")
    what = first if isinstance(first, TheorycheckError) else f"{type(first).__name__}: {first}"
    raise InvalidArgument(
        f"the model does not fit --input {input_} --layout {layout} (it gets input {fed}) "
        f"({_oneline(what, 300)}). For this operator the inputs are: {'; '.join(table)}. "
        f"{advice}") from None


# ----------------------------------------------------------------------------------------
# commands
# ----------------------------------------------------------------------------------------

def _cmd_info(args: argparse.Namespace) -> int:
    import numpy

    print(f"theorycheck {__version__} on Python {platform.python_version()}")
    print(f"numpy {numpy.__version__}")
    for mod in ("scipy", "flint", "mpmath", "cvxpy", "torch", "pywt", "hypothesis"):
        try:
            m = importlib.import_module(mod)
            print(f"{mod} {getattr(m, '__version__', '?')}")
        except ImportError:
            print(f"{mod} not installed")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    _check_out_dir(args.out)
    return run_demo(outdir=args.out, quick=args.quick, progress=not args.no_progress)


def _verifier_takes_model(check: str) -> bool:
    return verifier_accepts(check, "model")


def _cmd_verify(args: argparse.Namespace) -> int:
    if args.weights and not args.model:
        raise InvalidArgument("--weights needs --model (the module:factory they belong to)")
    _readable_file(args.file, "verify")
    saved = load(args.file)  # loads the modules that define the saved types on demand
    model = _load_model(args.model, args.weights) if args.model else None
    results = list(saved) if isinstance(saved, Report) else [saved]
    print(f"Re-checking {len(results)} saved result(s) from {args.file}; 'holds' means that the saved "
          "claim re-checks, whatever its own outcome:")
    status = 0
    used_model = False
    failed = 0
    for res in results:
        outcome = verify_result(res, model=model)
        takes_model = _verifier_takes_model(res.check)
        used_model |= takes_model
        # the verifiers speak Python (model=); here the model is given on the command line
        print(outcome.summary().replace("pass model= to", "pass --model SPEC to"))
        if model is None and takes_model:
            print(f"  note: {res.check}: the network was not re-evaluated (pass --model SPEC "
                  "[--weights W] to re-run it)")
        if not outcome.holds:
            status = 1
            failed += 1
    print(f"{len(results) - failed} of {len(results)} re-check" + (
        f"; {failed} do NOT" if failed else "") + ".")
    if model is not None and not used_model:
        _warn(f"--model was not used: no result in {args.file!r} is re-checked by evaluating a "
              "network")
    return status


def _cmd_certify(args: argparse.Namespace) -> int:
    out = _check_out_file(args.out)
    eta = None if args.eta is None else real_arg(args.eta, "--eta")
    samples = integer_arg(args.ball_samples, "--ball-samples", minimum=0)
    seed = integer_arg(args.seed, "--seed", minimum=0)
    x = _load_array(args.x, "--x")
    xp = _load_array(args.x_prime, "--x-prime")
    A = _load_operator(args.operator, x)
    _check_images(A, x, xp)
    if args.layout == "magnitude" and (x.dtype.kind == "c" or xp.dtype.kind == "c"):
        raise InvalidArgument("--layout magnitude compares the model's real output with x and x': "
                              "save real (magnitude) images")
    model = _load_model(args.model, args.weights)
    y = A.apply(x)
    psi = _trial(model, A, y, input_for(model, args.input, default="measurements"), args.layout)
    cert = check_instability(psi, A, x, xp, eta=eta, ball_samples=samples, seed=seed, rigor=args.rigor)
    print(cert.summary())
    for name, (holds, margin) in cert.hypotheses.items():
        print(f"  {name}: {'holds' if holds else 'fails'} (margin {margin:.3e})")
    cert.to_json(out)
    weights_file = args.weights if args.weights and not os.path.exists(args.model) else None
    weights = f" --weights {weights_file}" if weights_file else ""
    if not args.no_report:
        _write_report(cert, out, args.model, weights_file)
    print(f"wrote {out}; re-check with: theorycheck verify {out} --model {args.model}{weights}")
    return 0 if cert.holds else 1


def _show_defaults(parser: argparse.ArgumentParser, none_text: dict[str, str]) -> None:
    """Give a subcommand added by another module this CLI's help conventions: every default shown,
    and what an option without a default means (``none_text``: dest -> text)."""
    parser.formatter_class = _Formatter
    for action in parser._actions:
        if action.option_strings and action.help is None:
            action.help = "see the description above"
        if action.option_strings and action.default is None and not action.required:
            if "default:" not in (action.help or ""):
                action.help = f"{action.help or ''} (default: {none_text.get(action.dest, 'none')})"


def _cmd_curve(args: argparse.Namespace) -> int:
    """``theorycheck curve`` with certify's model and operator loaders (every --model/--operator kind)."""
    return run_curve(args, load_model=_load_model, load_operator=_load_operator)


def _write_report(cert: Any, out: str, model: str, weights: str | None) -> None:
    """instability.png and report.md beside the certificate (a warning, not an error, if they fail)."""
    folder = os.path.dirname(os.path.abspath(out))
    try:
        importlib.import_module("matplotlib")
        figure = True
    except ImportError:
        figure = False
        _warn("matplotlib is not installed: report.md is written without instability.png")
    try:
        rep = write_report(cert, folder, model=model, weights=weights, certificate=out, figure=figure)
    except (TheorycheckError, OSError, ValueError) as exc:
        _warn(f"the report was not written: {exc}")
        return
    print(f"wrote {rep}" + (f" and {os.path.join(folder, 'instability.png')}" if figure else ""))


# ----------------------------------------------------------------------------------------
# parser and entry point
# ----------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="theorycheck", description=_MAIN_DESCRIPTION, epilog=_MAIN_EPILOG,
                     formatter_class=_Formatter)
    parser.add_argument("--version", action="version", version=f"theorycheck {__version__}")
    parser.add_argument("--traceback", action="store_true",
                        help="on an unexpected internal error, show the Python traceback")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    sub.required = True

    p = sub.add_parser("demo", help="run the main checks on the shipped U-Net and a LASSO solver",
                       description=_DEMO_DESCRIPTION, formatter_class=_Formatter)
    p.add_argument("--out", default="theorycheck-demo", metavar="FOLDER",
                   help="folder for certificate.json, report.md and the figures")
    p.add_argument("--quick", action="store_true",
                   help="fewer search steps and samples: faster (used by the tests)")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("certify", help="certify that your reconstruction network is unstable "
                                       "(two images x, x')",
                       description=_CERTIFY_DESCRIPTION, epilog=_CERTIFY_EPILOG,
                       formatter_class=_Formatter)
    p.add_argument("--model", required=True, metavar="SPEC",
                   help="the network: a TorchScript file FILE.pt, or module:factory (see below)")
    p.add_argument("--weights", default=None, metavar="STATE.pt",
                   help="state dict for module:factory (torch.save(model.state_dict(), path); "
                        "default: none, the factory's own weights)")
    p.add_argument("--operator", required=True, metavar="SPEC",
                   help="the sampling operator A (required): A.npy, fourier:MASK.npy, "
                        "fourier-centered:MASK.npy, multicoil:MASK.npy,SENS.npy, "
                        "multicoil-centered:MASK.npy,SENS.npy, dct:MASK.npy, hadamard:MASK.npy or "
                        "radon:ANGLES.npy (see 'operators' below)")
    p.add_argument("--x", required=True, metavar="FILE",
                   help="image x (.npy or .pt), of the operator's image shape")
    p.add_argument("--x-prime", required=True, metavar="FILE",
                   help="image x' (.npy or .pt), same shape, different from x")
    p.add_argument("--input", choices=_INPUTS, default=None,
                   help="what the model reads: the measurements y = A x, or the zero-filled "
                        "adjoint image A^* y (e.g. a U-Net that post-processes it); default: the "
                        "model's own `input` attribute if it has one, else measurements")
    p.add_argument("--layout", choices=tuple(_LAYOUTS), default="channels-first",
                   help="how complex data are fed to the model (see below)")
    p.add_argument("--eta", type=float, default=None, metavar="ETA",
                   help="accuracy level eta > 0 (default: the smallest for which the hypotheses hold)")
    p.add_argument("--ball-samples", type=int, default=16, metavar="K",
                   help="random points per radius when estimating the ball around A x on which the "
                        "bound holds (numerical; 0 skips it)")
    p.add_argument("--seed", type=int, default=0, help="seed of those random points")
    p.add_argument("--rigor", choices=("certified-float64", "proven", "auto"), default="certified-float64",
                   help="certified-float64: the network re-evaluated twice in float64; proven: enclosures of "
                        "the network's exact real-arithmetic output (layers it cannot enclose are refused); "
                        "auto: proven when possible, else certified-float64 with the reason")
    p.add_argument("--out", default="certificate.json", metavar="FILE.json",
                   help="where to write the certificate (its folder must exist); instability.png and "
                        "report.md are written beside it")
    p.add_argument("--no-report", action="store_true",
                   help="write only the certificate, not instability.png and report.md")
    p.set_defaults(func=_cmd_certify)

    p = sub.add_parser("verify", help="re-check a saved certificate (JSON) from its witness",
                       description=_VERIFY_DESCRIPTION, epilog=_VERIFY_EPILOG,
                       formatter_class=_Formatter)
    p.add_argument("file", metavar="FILE", help="a JSON file written by certify, demo or to_json")
    p.add_argument("--model", default=None, metavar="SPEC",
                   help="the network, to re-evaluate it (default: its outputs are taken from the file)")
    p.add_argument("--weights", default=None, metavar="STATE.pt",
                   help="state dict for module:factory (default: none, the factory's own weights)")
    p.set_defaults(func=_cmd_verify)

    add_curve_parser(sub)
    _show_defaults(sub.choices["curve"], {
        "weights": "none, the factory's own weights", "input": "the model's own `input` attribute, else "
        "the network is called on y directly"})
    sub.choices["curve"].set_defaults(func=_cmd_curve)

    p = sub.add_parser("info", help="show the versions of theorycheck and its backends",
                       description="Show the versions of theorycheck, Python and the libraries it "
                                   "uses (or 'not installed').", formatter_class=_Formatter)
    p.set_defaults(func=_cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``theorycheck`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 1 when a check or verification does not
        hold, 2 on bad input (one line on stderr says what to change).

    Theorem: none.
    Rigor: not applicable.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        text = str(exc)
        if "required: COMMAND" in text:
            text = ("theorycheck: error: name a command: demo, certify, verify, curve or info "
                    "(see 'theorycheck --help')")
        print(_oneline(text, 1000), file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    func: Callable[[argparse.Namespace], int] = args.func
    saved_path = list(sys.path)
    try:
        with warnings.catch_warnings():  # Python warnings as one line each, like ours
            warnings.showwarning = _show_warning
            return func(args)
    except TheorycheckError as exc:
        print(f"theorycheck: error: {_oneline(exc, 2000)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("theorycheck: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # user code (a model's forward) called sys.exit
        print(f"theorycheck: error: the model's code called sys.exit({exc.code!r})", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - never a traceback unless asked for
        if args.traceback:
            raise
        print(f"theorycheck: error: unexpected {type(exc).__name__}: {_oneline(exc, 600)} "
              "(rerun with 'theorycheck --traceback ...' to see where)", file=sys.stderr)
        return 2
    finally:
        sys.path[:] = saved_path
