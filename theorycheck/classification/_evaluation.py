"""The torch side of the certification: the evaluations of a user's classifier, sample by sample.

:class:`ModelSet` holds the evaluations of a user's model (the model as it
is, a float64 CPU copy, a float32 CPU probe, the search copy), :func:`run_alone`
evaluates every input alone (a batch of one, a fresh input), and
:class:`Evaluations` lays the per-sample results out as the witness data of a
:class:`~theorycheck.classification.ClassifierWitness`. Imports torch: the
light modules of :mod:`theorycheck.classification` import it inside functions.

Theorem: none (infrastructure for docs/theory.md §5).
Rigor: not applicable (model handling); logits are converted to float64 exactly.
"""

from __future__ import annotations

import copy
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from theorycheck.classification._common import UNIT_ROUNDOFF
from theorycheck.errors import InvalidArgument

__all__ = ["ModelSet", "Evaluations", "device_arg", "logits", "run_alone", "evaluate_batch", "probe_batched",
           "chunks", "dtype_name", "fresh_tensor"]


def dtype_name(dt: Any) -> str:
    """``torch.float32`` → ``"float32"``.

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    return str(dt).replace("torch.", "")


def chunks(n: int, size: int | None) -> Iterator[slice]:
    """Consecutive slices of ``range(n)`` of at most ``size`` items (all at once when None).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    size = n if not size else size
    for i in range(0, n, max(size, 1)):
        yield slice(i, min(i + size, n))


def logits(model: Any, x: Any) -> Any:
    """Model output as ``(n, C)`` floating logits; a single logit ``f`` becomes ``[0, f]`` (label ``f > 0``).

    Every failure (the model raises, returns something else than a floating
    tensor of ``n`` rows) is an :class:`InvalidArgument` saying what is wrong.

    Theorem: none (infrastructure for docs/theory.md §5).
    Rigor: not applicable (adapter).
    """
    try:
        out = model(x)
    except Exception as exc:
        raise InvalidArgument(
            f"the model raised {type(exc).__name__} on an input of shape {tuple(x.shape)}: {exc}. "
            "Pass x of the model's input shape, or a batch with the batch dimension first "
            "(set batched= if the guess is wrong)") from exc
    if not isinstance(out, torch.Tensor):
        raise InvalidArgument(f"the model must return a tensor of logits, got {type(out).__name__}")
    if out.is_complex():
        raise InvalidArgument("the model returned complex logits: classifiers must return real logits")
    if not out.is_floating_point():
        raise InvalidArgument(f"the model returned {dtype_name(out.dtype)} logits: classifiers must "
                              "return floating-point logits")
    n = x.shape[0]
    if out.ndim == 1 and out.shape[0] == n:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != n or out.shape[1] < 1:
        raise InvalidArgument(
            f"the model returned shape {tuple(out.shape)} for {n} input(s): expected (n, C) logits "
            "or (n,) / (n, 1) for a binary classifier")
    if out.shape[1] == 1:
        out = torch.cat([torch.zeros_like(out), out], dim=1)
    return out


def fresh_tensor(a: np.ndarray, dtype: Any, device: Any) -> Any:
    """A new tensor holding a copy of ``a`` (the model may write into its input).

    Theorem: none (infrastructure).
    Rigor: not applicable (the caller picks the dtype; float64 copies are exact).
    """
    try:
        return torch.tensor(np.ascontiguousarray(a), dtype=dtype, device=device)
    except Exception as exc:  # e.g. a device that is not available
        raise InvalidArgument(f"cannot build an input of dtype {dtype_name(dtype)} on {device}: {exc}") from exc


class ModelSet:
    """The evaluations of a user's classifier; train/eval flags restored on exit.

    * ``user``: the model as it is (its own dtype and device): the *native*
      evaluation, in ``native_dtype`` on ``native_device``;
    * ``f64``: a float64 CPU copy (the model itself when it is float64 on the CPU);
    * ``probe``: a float32 CPU copy, made only when the native evaluation *is*
      the float64 one, to estimate float64 rounding (None if it cannot be made);
    * ``search``: the model on the search device in ``search_dtype`` (its own dtype, float32
      for float16/bfloat16 models, whose gradients are too coarse to search with; made on first use).

    The caller's model is never modified (copies are deep copies).

    Theorem: none (infrastructure for docs/theory.md §5).
    Rigor: not applicable (model handling).
    """

    def __init__(self, model: Any, device: Any = None):
        if not isinstance(model, nn.Module):
            raise InvalidArgument(
                f"model must be a torch.nn.Module returning logits, got {type(model).__name__}")
        if any(t.is_complex() for t in list(model.parameters()) + list(model.buffers())):
            raise InvalidArgument("complex-valued classifiers are not supported: use real logits")
        tensors = [t for t in list(model.parameters()) + list(model.buffers()) if t.is_floating_point()]
        cpu = torch.device("cpu")
        self.user = model
        self.native_dtype = tensors[0].dtype if tensors else torch.get_default_dtype()
        self.native_device = tensors[0].device if tensors else cpu
        self._tensors = tensors
        self._device_arg = device
        self._search: Any = None
        is64 = all(t.device == cpu and t.dtype == torch.float64 for t in tensors)
        self.f64 = model if is64 else self._copy(model, cpu, torch.float64)
        self.native_is_f64 = (self.f64 is model and self.native_dtype == torch.float64
                              and self.native_device == cpu)
        self.probe: Any = None
        if self.native_is_f64:
            try:
                self.probe = copy.deepcopy(model).to(device=cpu, dtype=torch.float32)
            except Exception:  # noqa: BLE001 - no probe: the allowance is then output-based only
                self.probe = None
        self._flags: list[tuple[Any, bool]] = []

    @staticmethod
    def _copy(model: Any, device: Any, dtype: Any) -> Any:
        try:
            return copy.deepcopy(model).to(device=device, dtype=dtype)
        except Exception as exc:  # e.g. non-leaf tensors stored as attributes
            raise InvalidArgument(
                f"could not copy the model to {device} / {dtype_name(dtype)} ({exc}); make it "
                "deep-copyable (store tensors as parameters or buffers)") from exc

    @property
    def native(self) -> str:
        """``"float32 on cpu"``: the model's own evaluation."""
        return f"{dtype_name(self.native_dtype)} on {self.native_device}"

    @property
    def search_device(self) -> Any:
        dev = self._device_arg
        if dev is None:
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return dev

    @property
    def search_dtype(self) -> Any:
        coarse = self.native_dtype in (torch.float16, torch.bfloat16)
        return torch.float32 if coarse else self.native_dtype

    @property
    def search(self) -> Any:
        """The model on the search device, in ``search_dtype`` (a copy only where needed)."""
        if self._search is None:
            dev, dt = self.search_device, self.search_dtype
            same = all(t.device == dev and t.dtype == dt for t in self._tensors)
            self._search = self.user if same else self._copy(self.user, dev, dt)
            self._search.eval()
        return self._search

    def evaluation(self, kind: str) -> tuple[Any, Any, Any]:
        """``(model, input dtype, device)`` of ``"f64"``, ``"nat"`` or ``"probe"``."""
        cpu = torch.device("cpu")
        if kind == "f64":
            return self.f64, torch.float64, cpu
        if kind == "nat":
            return self.user, self.native_dtype, self.native_device
        return self.probe, torch.float32, cpu

    def __enter__(self) -> "ModelSet":
        self._flags = [(m, m.training) for m in self.user.modules()]
        for mdl in {id(m): m for m in (self.user, self.f64, self.probe, self._search) if m is not None}.values():
            mdl.eval()  # classification is inference: dropout off, batch-norm statistics frozen
        return self

    def __exit__(self, *exc: Any) -> None:
        for m, flag in self._flags:
            m.training = flag


def run_alone(model: Any, X: np.ndarray, dtype: Any, device: Any, out_dtypes: set[str],
              repeat: int = 1, duplicate: bool = False) -> tuple[list[list[np.ndarray | None]], Exception | None]:
    """Logits of every sample of ``X`` evaluated alone (a batch of one, a fresh input in ``dtype`` on ``device``).

    With ``repeat=2`` each sample is evaluated twice in a row (consecutive
    calls, so that a model alternating between calls shows it). With
    ``duplicate`` each sample is evaluated as a batch of two copies of itself
    instead (the first row is returned): the same input through another
    accumulation order (matrix-matrix instead of matrix-vector kernels), while
    batch statistics of identical samples equal those of the sample. Returns, per
    repetition, one float64 row per sample (the logits converted exactly),
    None where the model raised, and the first exception. The dtypes of the
    returned logits are added to ``out_dtypes``.

    Theorem: none (infrastructure for docs/theory.md §5).
    Rigor: exact conversion of the model's outputs to float64.
    """
    rows: list[list[np.ndarray | None]] = [[] for _ in range(repeat)]
    first: Exception | None = None
    with torch.no_grad():
        for i in range(X.shape[0]):
            for rep in range(repeat):
                try:
                    xi = np.repeat(X[i:i + 1], 2, axis=0) if duplicate else X[i:i + 1]
                    out = logits(model, fresh_tensor(xi, dtype, device))
                except InvalidArgument as exc:
                    rows[rep].append(None)
                    first = first if first is not None else exc
                    continue
                out_dtypes.add(dtype_name(out.dtype))
                rows[rep].append(out.detach().to("cpu", torch.float64).numpy()[0].copy())
    return rows, first


def evaluate_batch(model: Any, X: np.ndarray, batch_size: int | None) -> np.ndarray:
    """Float64 CPU logits of the batch ``X`` evaluated as a batch (numerical use only).

    Theorem: none (infrastructure).
    Rigor: numerical (a batch may differ from its samples evaluated alone).
    """
    outs = []
    with torch.no_grad():
        for sl in chunks(X.shape[0], batch_size):
            outs.append(logits(model, fresh_tensor(X[sl], torch.float64, "cpu")).to(torch.float64).numpy())
    return np.concatenate(outs, axis=0)


def probe_batched(model: Any, X: np.ndarray) -> bool:
    """Guess whether ``X`` is a batch.

    ``X`` is a batch if the model maps ``X[:2]`` to two rows of logits and
    ``len(X) > 1``; otherwise a single sample if it maps ``X[None]`` to one
    row; otherwise a batch of one.

    Theorem: none (infrastructure for docs/theory.md §5).
    Rigor: not applicable (a guess of the layout).
    """

    def rows(a: np.ndarray) -> int | None:
        try:
            with torch.no_grad():
                out = model(fresh_tensor(a, torch.float64, "cpu"))
        except Exception:  # noqa: BLE001 - a guess: failure means "not this layout"
            return None
        if not isinstance(out, torch.Tensor) or out.ndim not in (1, 2):
            return None
        return int(out.shape[0])

    if X.ndim >= 2 and X.shape[0] > 1 and rows(X[:2]) == 2:
        return True
    if rows(X[None]) == 1:
        return False
    return True


def device_arg(device: Any) -> Any:
    """``None`` (CUDA when present, else CPU), or a CPU/CUDA device that exists here.

    Stricter than :func:`theorycheck.numerics.backend.resolve_device`: ``"cuda"``
    without CUDA, ``"meta"`` and other device types are refused with
    :class:`~theorycheck.errors.InvalidArgument` (the searches run on CPU or CUDA).

    Theorem: none (infrastructure).
    Rigor: not applicable.
    """
    if device is None:
        return None
    if not isinstance(device, (str, torch.device)):
        raise InvalidArgument(f"device must be 'cpu', 'cuda' or a torch.device, got {device!r}")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise InvalidArgument(f"unknown device {device!r}: use 'cpu' or 'cuda'") from exc
    if dev.type not in ("cpu", "cuda"):
        raise InvalidArgument(f"device {device!r}: searches run on 'cpu' or 'cuda'")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidArgument(f"device {device!r}: CUDA is not available here; use 'cpu'")
    return dev


class Evaluations:
    """The per-sample evaluations of a search (or of a re-run), laid out as the witness data.

    ``F``/``Fc`` the float64 CPU logits and codes, ``N``/``Nc`` the native ones
    (absent for float64 CPU models), ``P``/``Pc`` the float32 probe and
    ``Dp``/``Dc`` the duplicate-batch evaluation (see
    :mod:`theorycheck.classification.witness` for the layout).

    Theorem: none (infrastructure for docs/theory.md §5).
    Rigor: not applicable (bookkeeping; every logit is stored exactly).
    """

    def __init__(self, ms: Any, n: int, C: int, *, with_probe: bool):
        self.ms = ms
        self.n, self.C = n, C
        self.F = np.full((2, 2, n, C), np.nan)
        self.Fc = np.zeros((2, 2, n), dtype=np.int8)
        self.has_nat = not ms.native_is_f64
        self.N: Any = np.full((2, 2, n, C), np.nan) if self.has_nat else None
        self.Nc: Any = np.zeros((2, 2, n), dtype=np.int8) if self.has_nat else None
        self.has_probe = bool(with_probe) and ms.native_is_f64 and ms.probe is not None
        self.P: Any = np.full((2, n, C), np.nan) if self.has_probe else None
        self.Pc: Any = np.zeros((2, n), dtype=np.int8) if self.has_probe else None
        self.Dp = np.full((n, C), np.nan)
        self.Dc = np.zeros(n, dtype=np.int8)
        self.outs: dict[str, set[str]] = {"f64": set(), "nat": set(), "probe": set(), "dup": set()}
        self.first_exc: Exception | None = None

    def put(self, kind: str, p: int, e: int, idx: np.ndarray, rows: Sequence[np.ndarray | None]) -> None:
        for i, row in zip(idx.tolist(), rows):
            ok = row is not None and row.size == self.C
            if kind == "probe":
                self.P[p, i] = row if ok else np.nan
                self.Pc[p, i] = 1 if ok else 2
                continue
            if kind == "dup":
                self.Dp[i] = row if ok else np.nan
                self.Dc[i] = 1 if ok else 2
                continue
            L, c = (self.F, self.Fc) if kind == "f64" else (self.N, self.Nc)
            L[p, e, i] = row if ok else np.nan
            c[p, e, i] = 1 if ok else 2
            if row is not None and not ok and self.first_exc is None:
                self.first_exc = InvalidArgument(
                    f"the model returned {row.size} logits for one sample and {self.C} for another")

    def run(self, kind: str, p: int, e: int, idx: np.ndarray, Xp: np.ndarray, twice: bool = False) -> None:
        """Evaluation ``e`` of the rows ``Xp`` (samples ``idx``) at point ``p``.

        ``twice``: evaluations 0 and 1 in a row.
        """
        if (kind == "nat" and not self.has_nat) or (kind == "probe" and not self.has_probe) \
                or (kind == "dup" and self.has_nat):
            return
        model, dtype, device = self.ms.evaluation("f64" if kind == "dup" else kind)
        reps, exc = run_alone(model, Xp, dtype, device, self.outs[kind], repeat=2 if twice else 1,
                              duplicate=kind == "dup")
        if kind not in ("probe", "dup") and self.first_exc is None:
            self.first_exc = exc
        for j, rows in enumerate(reps):
            self.put(kind, p, j if twice else e, idx, rows)

    def point(self, p: int, e: int | None, idx: np.ndarray, Xp: np.ndarray) -> None:
        """Evaluate the rows ``Xp`` (samples ``idx``) at point ``p`` (0: x, 1: x + r).

        Evaluation ``e``, or both in a row (``e=None``).
        """
        self.run("f64", p, e or 0, idx, Xp, twice=e is None)
        self.run("nat", p, e or 0, idx, Xp, twice=e is None)
        if not e:
            self.run("probe", p, 0, idx, Xp)
        if p == 1 and e is None and not self.has_nat:
            self.run("dup", 1, 0, idx, Xp)

    def clear(self, p: int, idx: np.ndarray) -> None:
        self.F[p, :, idx] = np.nan
        self.Fc[p, :, idx] = 0
        if self.has_nat:
            self.N[p, :, idx] = np.nan
            self.Nc[p, :, idx] = 0
        if self.has_probe:
            self.P[p, idx] = np.nan
            self.Pc[p, idx] = 0
        if p == 1:
            self.Dp[idx] = np.nan
            self.Dc[idx] = 0

    @staticmethod
    def _coarsest(names: set[str], default: str) -> str:
        known = [s for s in names if s in UNIT_ROUNDOFF]
        return max(known, key=lambda s: UNIT_ROUNDOFF[s]) if known else default

    def data(self) -> dict[str, Any]:
        ms = self.ms
        d: dict[str, Any] = {
            "f64": self.F.copy(), "f64_code": self.Fc.copy(),
            "f64_out": self._coarsest(self.outs["f64"], "float64"),
            "native_in": dtype_name(ms.native_dtype), "native_device": str(ms.native_device),
        }
        if not self.has_nat:
            d.update(dup=self.Dp.copy(), dup_code=self.Dc.copy())
        if self.has_nat:
            d.update(nat=self.N.copy(), nat_code=self.Nc.copy(),
                     native_out=self._coarsest(self.outs["nat"], d["native_in"]))
        if self.has_probe:
            d.update(probe=self.P.copy(), probe_code=self.Pc.copy(),
                     probe_out=self._coarsest(self.outs["probe"], "float32"))
        return d
