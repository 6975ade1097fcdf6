"""The interval interpreter behind :func:`theorycheck.nets.enclosure.enclose` (private).

A model's ``forward`` runs on :class:`Iv` tensors (wrapper subclasses without
storage that carry a centre ``c`` and a radius ``r``) under a
``TorchDispatchMode``: every ATen operation the forward performs — on
intervals *and* on plain tensors — reaches :meth:`Run.dispatch`, which applies
the rule of :data:`HANDLERS` or raises :class:`PreconditionError` naming the
operation and the module it ran in. Nothing is evaluated behind the
interpreter's back: an unlisted operation, a read of a value into Python
(``bool``, ``item``, comparisons: data-dependent control flow), a random or
uninitialised tensor, a cast to a narrower float type, or a write into a
parameter or buffer is refused.

Theorem: see :mod:`theorycheck.nets.enclosure`.
Rigor: proven, under the assumptions listed there.
"""

from __future__ import annotations

import math
import weakref
from typing import Any, Callable

import torch
from torch.utils._pytree import tree_flatten, tree_map, tree_unflatten

from theorycheck.errors import InsufficientPrecision, PreconditionError
from theorycheck.nets import _enclosure_arith as ar
from theorycheck.numerics.validation import binary64_exact

aten = torch.ops.aten

_REAL = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_CPLX = (torch.complex32, torch.complex64, torch.complex128)
#: convolution algorithms that evaluate plain sums of products (im2col + GEMM, direct loops)
PLAIN_CONV = {"Slow2d", "Slow3d", "SlowDilated2d", "SlowDilated3d", "SlowTranspose2d",
               "SlowTranspose3d", "CudaDepthwise2d", "CudaDepthwise3d", "Empty"}


class _Group:
    """The views of one storage: every member's centre shares it (and so do the radii)."""

    __slots__ = ("members", "__weakref__")

    def __init__(self) -> None:
        self.members: weakref.WeakSet = weakref.WeakSet()


class Iv(torch.Tensor):
    """An interval tensor ``[c + lo − r, c + lo + r]`` (``r is None``: radius 0; ``lo is None``:
    a float64 centre, else the double-double centre ``c + lo``); complex ``c`` has a complex ``r``
    whose real and imaginary parts bound the errors of the real and imaginary parts."""

    c: torch.Tensor
    lo: torch.Tensor | None
    r: torch.Tensor | None
    group: _Group

    @staticmethod
    def __new__(cls, c: torch.Tensor, r: torch.Tensor | None, group: _Group | None = None,
                lo: torch.Tensor | None = None) -> "Iv":
        t = torch.Tensor._make_wrapper_subclass(  # type: ignore[attr-defined]
            cls, c.size(), strides=c.stride(), storage_offset=c.storage_offset(), dtype=c.dtype,
            device=c.device, requires_grad=False)
        t.c = c
        t.r = r
        t.lo = lo
        t.group = group if group is not None else _Group()
        t.group.members.add(t)
        return t

    __torch_function__ = torch._C._disabled_torch_function_impl  # type: ignore[assignment]

    @classmethod
    def __torch_dispatch__(cls, func: Any, types: Any, args: Any = (),  # type: ignore[override]
                           kwargs: Any = None) -> Any:
        raise PreconditionError(f"an interval tensor reached {func} outside enclose(): a model kept "
                                "a tensor from the enclosure run", hypothesis="supported layer")

    def __repr__(self) -> str:  # type: ignore[override]  # never shows data: there is none
        return f"Iv(shape={tuple(self.shape)}, dtype={self.dtype}, exact={self.r is None})"

    # Python-level access to memory bypasses the dispatcher: refuse it (a forward that reads
    # storages or pointers, or swaps ``.data``, has no enclosure)
    def _memory(self, *args: Any, **kwargs: Any) -> Any:
        raise PreconditionError("enclose: the forward reads or replaces a tensor's memory directly "
                                "(.data =, storage(), data_ptr(), numpy()): not supported",
                                hypothesis="supported layer")

    untyped_storage = storage = _typed_storage = data_ptr = numpy = apply_ = map_ = map2_ = _memory

    @property  # type: ignore[override]
    def data(self) -> torch.Tensor:
        return self.detach()

    @data.setter
    def data(self, value: Any) -> None:
        self._memory()


class Poison(torch.Tensor):
    """A tensor the real-arithmetic network does not define (max-pool indices, batch-norm
    statistics, dropout masks): any use is refused."""

    why: str

    @staticmethod
    def __new__(cls, like: torch.Tensor, why: str) -> "Poison":
        t = torch.Tensor._make_wrapper_subclass(  # type: ignore[attr-defined]
            cls, like.size(), dtype=like.dtype, device=like.device, requires_grad=False)
        t.why = why
        return t

    __torch_function__ = torch._C._disabled_torch_function_impl  # type: ignore[assignment]

    @classmethod
    def __torch_dispatch__(cls, func: Any, types: Any, args: Any = (),  # type: ignore[override]
                           kwargs: Any = None) -> Any:
        raise PreconditionError(f"{func} reads a tensor that has no exact meaning", hypothesis="supported layer")

    def __repr__(self) -> str:  # type: ignore[override]
        return f"Poison({self.why})"


def _is_float(t: Any) -> bool:
    return isinstance(t, torch.Tensor) and (t.dtype in _REAL or t.dtype in _CPLX)


def bind(func: Any, args: tuple, kwargs: dict) -> dict:
    """Arguments of an ATen call by name, defaults filled in."""
    out = {}
    for i, a in enumerate(func._schema.arguments):
        if i < len(args) and not a.kwarg_only:
            out[a.name] = args[i]
        elif a.name in kwargs:
            out[a.name] = kwargs[a.name]
        elif a.has_default_value():
            out[a.name] = a.default_value
        else:
            out[a.name] = None
    return out


def _storages(t: torch.Tensor | None) -> int | None:
    if t is None:
        return None
    try:
        return t.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):  # pragma: no cover - exotic tensors
        return None


class Run:
    """One enclosure evaluation: the rules, the module path (for messages) and caches."""

    def __init__(self, *, ulps: int = ar.LIBM_ULPS, transcendental: str = "libm",
                 cache: dict | None = None, persistent: set | None = None, tight: bool = True):
        self.ulps = int(ulps)
        #: double-double centres and error-free products for linear maps (see dd_bilinear)
        self.tight = bool(tight)
        #: ids of the model's parameters and buffers: the only tensors whose conversions are cached
        self.persistent = persistent if persistent is not None else set()
        self.transcendental = transcendental
        self.cache = cache if cache is not None else {}
        self.path: list[str] = []
        self.at = ""  # the innermost module of the last operation (kept after an exception unwinds)
        self.used: set[str] = set()  # notes: which assumptions were used
        self.fp_broken = False  # the per-operation FP probe failed (see dispatch)

    # -- messages ---------------------------------------------------------------------------
    def where(self) -> str:
        at = self.path[-1] if self.path else self.at
        return f" in module '{at}'" if at else " (top level)"

    def refuse(self, what: str, hint: str = "") -> PreconditionError:
        msg = f"enclose: {what}{self.where()}"
        if hint:
            msg += f": {hint}"
        return PreconditionError(msg, hypothesis="supported layer")

    # -- conversions --------------------------------------------------------------------------
    def const(self, t: torch.Tensor, device: Any) -> torch.Tensor:
        """A plain constant as float64/complex128 on ``device`` (exact conversion, cached)."""
        key = ("const", id(t), str(device))
        hit = self.cache.get(key)
        if hit is not None and hit[0] is t:
            return hit[1]
        if t.dtype in _CPLX:
            v = t.detach().to(device=device, dtype=torch.complex128)
        elif t.dtype in _REAL:
            v = t.detach().to(device=device, dtype=torch.float64)
        else:
            v = t.detach().to(device=device)
        if id(t) in self.persistent:
            self.cache[key] = (t, v)
        return v

    def absolute(self, t: torch.Tensor, persistent: bool = False) -> tuple[torch.Tensor, float]:
        """``(|t|, Σ|t|)`` of a tensor (cached by identity for converted parameters)."""
        key = ("abs", id(t))
        hit = self.cache.get(key)
        if hit is not None and hit[0] is t:
            return hit[1], hit[2]
        a = t.abs()
        s = float(a.sum()) if a.numel() else 0.0
        if persistent:
            self.cache[key] = (t, a, s)
        return a, s

    def ival(self, x: Any, device: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(c, r)`` of an interval, a plain tensor or a Python number (as a 0-d tensor); a
        double-double centre is rounded to float64 and its rounding added to the radius."""
        if isinstance(x, Iv):
            if x.lo is None:
                return x.c, x.r
            return collapse(x.c, x.lo, x.r)
        if isinstance(x, torch.Tensor):
            if _is_float(x):
                return self.const(x, device), None
            if x.dtype == torch.bool or not x.is_floating_point():
                # int → float64 is monotone: an entry beyond 2⁵³ converts to ≥ 2⁵³ (no abs: uint32/64)
                v = x.to(device=device, dtype=torch.float64)
                if v.numel() and x.dtype != torch.bool and float(v.abs().max()) >= 2 ** 53:
                    raise self.refuse("an integer tensor with entries beyond 2⁵³ (not exact in float64)")
                return v, None
            raise self.refuse(f"a tensor of dtype {x.dtype}")
        n = self.number(x, "an argument")
        if isinstance(n, complex):
            return torch.tensor(n, dtype=torch.complex128, device=device), None
        return torch.tensor(n, dtype=torch.float64, device=device), None

    def number(self, v: Any, what: str) -> float | complex:
        """The one gate for Python scalars: ``v`` as the float64 (complex128) it equals exactly.
        Bools, other types and integers that float64 cannot hold (e.g. ``2⁵³ + 1``) are refused:
        torch would round them silently."""
        if isinstance(v, bool) or not isinstance(v, (int, float, complex)):
            raise self.refuse(f"{what} of type {type(v).__name__}")
        if isinstance(v, int):
            try:
                f = float(v)
            except OverflowError:
                f = math.inf
            if not binary64_exact(v, f):
                raise self.refuse(f"{what} = {v}: an integer that is not exact in float64 (beyond 2⁵³)")
            return f
        return v

    def real_number(self, v: Any, what: str) -> float:
        """:meth:`number` for real parameters (slopes, bounds): complex values are refused."""
        n = self.number(v, what)
        if isinstance(n, complex):
            raise self.refuse(f"a complex {what}")
        return float(n)

    def ival_dd(self, x: Any, device: Any) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """``(c, lo, r)``: the centre as a double-double (``lo`` may be None)."""
        if isinstance(x, Iv):
            return x.c, x.lo, x.r
        c, r = self.ival(x, device)
        return c, None, r

    def wrap(self, c: torch.Tensor, r: torch.Tensor | None, inputs: tuple = (),
             check: bool = True, lo: torch.Tensor | None = None) -> Iv:
        """A new interval (a fresh storage: copies anything that aliases an input)."""
        if inputs:
            taken = set()
            for x in inputs:
                if isinstance(x, Iv):
                    taken.add(_storages(x.c))
                    taken.add(_storages(x.r))
                elif isinstance(x, torch.Tensor) and not isinstance(x, Poison):
                    taken.add(_storages(x))
            taken.discard(None)
            if _storages(c) in taken:
                c = c.clone()
            if r is not None and _storages(r) in taken:
                r = r.clone()
            if lo is not None and _storages(lo) in taken:
                lo = lo.clone()
        if r is not None and (r.stride() != c.stride() or tuple(r.shape) != tuple(c.shape)):
            r = torch.empty_strided(c.size(), c.stride(), dtype=r.dtype, device=r.device).copy_(r)
        if lo is not None and (lo.stride() != c.stride() or tuple(lo.shape) != tuple(c.shape)):
            lo = torch.empty_strided(c.size(), c.stride(), dtype=lo.dtype, device=lo.device).copy_(lo)
        if check:
            self.check_finite(c, r)
        return Iv(c, r, lo=lo)

    def check_finite(self, c: torch.Tensor, r: torch.Tensor | None) -> None:
        """Raise :class:`InsufficientPrecision` if a centre or radius entry is inf or NaN.

        Fast path: the (float) sums are finite only if every entry is; a sum that overflows
        although every entry is finite falls back to the entrywise test."""
        total = float(c.sum().abs()) if not c.is_complex() else float(torch.view_as_real(c).sum().abs())
        if r is not None:
            total += float(r.sum().abs()) if not r.is_complex() else float(torch.view_as_real(r).sum().abs())
        if math.isfinite(total):
            return
        ok = bool(torch.isfinite(c).all()) and (r is None or bool(torch.isfinite(r).all()))
        if not ok:
            raise InsufficientPrecision(
                f"enclose: float64 overflow (or NaN){self.where()}: the centre or radius is not finite, "
                "no enclosure can be given; rescale the input or the weights")

    def device_of(self, *xs: Any) -> Any:
        for x in xs:
            if isinstance(x, Iv):
                return x.c.device
        for x in xs:
            if isinstance(x, torch.Tensor):
                return x.device
        return torch.device("cpu")

    # -- the dispatcher ---------------------------------------------------------------------
    def dispatch(self, func: Any, args: tuple, kwargs: dict) -> Any:
        out = self._dispatch(func, args, kwargs)
        # after every operation: a forward may switch flush-to-zero (or the rounding mode) on and
        # off again inside itself, unseen by the checks before and after the forward
        if not ar.fp_probe_ok():
            self.fp_broken = True
        if self.fp_broken:  # kept: a forward that catches the exception cannot hide it
            raise self.fp_refusal()
        return out

    def fp_refusal(self) -> PreconditionError:
        return PreconditionError(
            f"enclose: float64 arithmetic was not IEEE round-to-nearest with subnormals during the "
            f"forward{self.where()} (flush-to-zero, denormals-are-zero or a changed rounding mode): "
            "remove torch.set_flush_denormal(True) (or the library call that sets it) from the forward",
            hypothesis="IEEE binary64 arithmetic")

    def _dispatch(self, func: Any, args: tuple, kwargs: dict) -> Any:
        if self.path:
            self.at = self.path[-1]
        leaves, spec = tree_flatten((args, kwargs))
        poison = [leaf for leaf in leaves if isinstance(leaf, Poison)]
        if poison:
            if HANDLERS.get(func.overloadpacket.__name__) is _rearrange and not func._schema.is_mutable:
                # reshaping an undefined tensor (e.g. max_pool1d squeezes its unused indices) is harmless;
                # the result stays undefined
                dummy = [torch.zeros(x.shape, dtype=x.dtype, device=x.device) if isinstance(x, Poison)
                         else x.c if isinstance(x, Iv) else x for x in leaves]
                a, k = tree_unflatten(dummy, spec)
                out = func(*a, **k)
                return tree_map(lambda o: Poison(o, poison[0].why) if isinstance(o, torch.Tensor) else o, out)
            raise self.refuse(f"{func} uses {poison[0].why}", "this value is data-dependent or undefined "
                              "for the real-arithmetic network")
        if func._schema.is_mutable:
            return self.inplace(func, args, kwargs)
        handler = HANDLERS.get(func.overloadpacket.__name__)
        if handler is None:
            raise self.refuse(f"unsupported operation {func}",
                              "enclosures support the layers listed in theorycheck.nets.enclosure; "
                              "fall back to the float64 evaluation")
        return handler(self, func, bind(func, args, kwargs), args, kwargs)

    # -- in-place operations ----------------------------------------------------------------
    def inplace(self, func: Any, args: tuple, kwargs: dict) -> Any:
        schema = func._schema
        writes = [i for i, a in enumerate(schema.arguments) if a.alias_info is not None and a.alias_info.is_write]
        if len(writes) != 1 or writes[0] != 0 or any(a.kwarg_only and a.name == "out" for a in schema.arguments):
            raise self.refuse(f"operation {func} writes into an output argument")
        target = args[0]
        if not isinstance(target, Iv):
            raise self.refuse(f"{func} writes into a parameter, buffer or constant",
                              "a forward that changes the model's state has no fixed real-arithmetic "
                              "output (e.g. BatchNorm in training mode): put the model in eval mode")
        name = func.overloadpacket.__name__
        if name == "relu_" and not target.c.is_complex():
            # in place on the tracked storages (every view sees it), no temporaries to copy back
            c, lo, r = target.c, target.lo, target.r
            if r is not None:
                r.masked_fill_(c <= -r if lo is None else c < -(r * (1.0 + 2.0 ** -50)), 0.0)
            if lo is not None:
                lo.masked_fill_(c <= 0, 0.0)
            c.clamp_(min=0.0)
            return target
        if name == "copy_":
            src = args[1]
            c, lo, r = self.ival_dd(src, target.c.device)
            if target.c.is_complex() is False and c.is_complex():
                raise self.refuse("copy of a complex value into a real tensor")
            new_c = torch.broadcast_to(c, target.shape)
            new_r = None if r is None else torch.broadcast_to(r, target.shape)
            new_lo = None if lo is None else torch.broadcast_to(lo, target.shape)
            self.write(target, new_c, new_r, new_lo)
            return target
        base = name[:-1]
        packet = getattr(aten, base, None)
        functional = getattr(packet, func._overloadname, None) if packet is not None else None
        if functional is None or functional._schema.is_mutable:
            raise self.refuse(f"unsupported in-place operation {func}")
        out = self.dispatch(functional, args, kwargs)
        if not isinstance(out, Iv):
            raise self.refuse(f"in-place operation {func} with a non-interval result")
        if tuple(out.shape) != tuple(target.shape):
            raise self.refuse(f"in-place operation {func} changes the shape")
        self.write(target, out.c, out.r, out.lo)
        return target

    def write(self, target: Iv, c: torch.Tensor, r: torch.Tensor | None, lo: torch.Tensor | None = None) -> None:
        """Write ``(c, lo, r)`` into ``target``'s storage, so that every view of it sees the change."""
        target.c.copy_(c)
        for attr, val in (("r", r), ("lo", lo)):
            cur = getattr(target, attr)
            if val is None:
                if cur is not None:
                    cur.zero_()
                continue
            if cur is None:
                self.materialize(target, attr)
                cur = getattr(target, attr)
            cur.copy_(val)

    def materialize(self, target: Iv, attr: str = "r") -> None:
        """Give an exact group of views a zero ``attr`` (radius or low part) that mirrors the storage
        of their centres."""
        store = target.c.untyped_storage()
        members = [m for m in target.group.members if getattr(m, attr) is None]
        for m in members:
            if m.c.untyped_storage().data_ptr() != store.data_ptr():
                raise self.refuse("in-place operation on a view whose storage cannot be followed")
        flat = torch.zeros(store.nbytes() // 8, dtype=torch.float64, device=target.c.device)
        for m in members:
            if m.c.is_complex():
                base = flat.as_strided(tuple(m.c.size()) + (2,), tuple(2 * s for s in m.c.stride()) + (1,),
                                       2 * m.c.storage_offset())
                setattr(m, attr, torch.view_as_complex(base))
            else:
                setattr(m, attr, flat.as_strided(m.c.size(), m.c.stride(), m.c.storage_offset()))


def collapse(c: torch.Tensor, lo: torch.Tensor, r: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Round a double-double centre ``c + lo`` to float64; the rounding (``≤ U|ĉ|`` per part)
    joins the radius."""
    if c.is_complex():
        cr, lr = torch.view_as_real(c), torch.view_as_real(lo)
        rr = None if r is None else torch.view_as_real(r)
        out = cr + lr
        R = out.abs().mul_(ar.U)
        if rr is not None:
            R.add_(rr)
        return torch.view_as_complex(out), torch.view_as_complex(ar.up(R, 2, ar.ETA))
    out = c + lo
    R = out.abs().mul_(ar.U)
    if r is not None:
        R.add_(r)
    return out, ar.up(R, 2, ar.ETA)


# ==========================================================================================
# handlers
# ==========================================================================================
HANDLERS: dict[str, Callable[..., Any]] = {}


def register(*names: str) -> Callable:
    def deco(f: Callable) -> Callable:
        for n in names:
            HANDLERS[n] = f
        return f
    return deco


def _is_view(func: Any) -> bool:
    return any(ret.alias_info is not None for ret in func._schema.returns)


def _wrap_tree(run: Run, out_c: Any, out_r: Any, out_lo: Any, base: Iv | None, view: bool,
               inputs: tuple) -> Any:
    if isinstance(out_c, torch.Tensor):
        if not _is_float(out_c):
            if any(isinstance(x, Iv) and x.r is not None for x in inputs):
                raise run.refuse("an operation that turns a computed value into integers (data-dependent)")
            return out_c
        if view and base is not None:
            return Iv(out_c, out_r, base.group, lo=out_lo)
        return run.wrap(out_c, out_r, inputs, check=False, lo=out_lo)
    if isinstance(out_c, (list, tuple)):
        rs = out_r if out_r is not None else [None] * len(out_c)
        ls = out_lo if out_lo is not None else [None] * len(out_c)
        items = [_wrap_tree(run, c, r, lo, base, view, inputs) for c, r, lo in zip(out_c, rs, ls)]
        return type(out_c)(items) if isinstance(out_c, tuple) else items
    return out_c


@register("view", "_unsafe_view", "reshape", "permute", "transpose", "t", "unsqueeze", "squeeze",
           "expand", "slice", "select", "alias", "detach", "clone", "unbind", "split",
           "split_with_sizes", "unsafe_split", "chunk", "narrow", "unfold", "flip", "roll", "repeat",
           "index", "index_select", "gather", "pixel_shuffle", "pixel_unshuffle", "cat", "stack",
           "view_as_real", "view_as_complex", "complex", "upsample_nearest1d", "upsample_nearest2d",
           "upsample_nearest3d", "_upsample_nearest_exact1d", "_upsample_nearest_exact2d",
           "_upsample_nearest_exact3d", "reflection_pad1d", "reflection_pad2d", "reflection_pad3d",
           "replication_pad1d", "replication_pad2d", "replication_pad3d", "movedim", "diagonal",
           "tril", "triu", "_unsafe_index", "expand_as", "contiguous", "lift_fresh", "lift_fresh_copy",
           "unflatten", "flatten", "squeeze_copy", "view_copy", "permute_copy", "select_copy",
           "slice_copy", "transpose_copy", "unsqueeze_copy", "expand_copy", "t_copy", "alias_copy")
def _rearrange(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    """Selections, copies and permutations: the same operation on centres and on radii (zeros
    for exact operands; index and mask tensors pass unchanged)."""
    if func is aten.view.dtype:
        raise run.refuse("a reinterpreting view (Tensor.view(dtype))")
    leaves, spec = tree_flatten((args, kwargs))
    ivs = [x for x in leaves if isinstance(x, Iv)]
    dev = run.device_of(*leaves)
    if func.overloadpacket.__name__ in ("cat", "stack") and any(
            isinstance(x, Iv) or (isinstance(x, torch.Tensor) and _is_float(x)) for x in leaves):
        # integer operands are data here (no indices): type promotion would round those beyond 2⁵³,
        # so they go through the exact conversion (refused there) like any other operand
        leaves = [run.ival(x, dev)[0] if isinstance(x, torch.Tensor) and not isinstance(x, Iv)
                  and not _is_float(x) else x for x in leaves]
    if not ivs:
        # only plain tensors: exact constants; views of them stay plain (they are constants too)
        c_leaves = [run.const(x, dev) if _is_float(x) else x for x in leaves]
        a, k = tree_unflatten(c_leaves, spec)
        out = func(*a, **k)
        return out
    c_leaves = [x.c if isinstance(x, Iv) else run.const(x, dev) if _is_float(x) else x for x in leaves]
    a, k = tree_unflatten(c_leaves, spec)
    out_c = func(*a, **k)
    outs = {}
    for attr in ("r", "lo"):
        if any(getattr(x, attr) is not None for x in ivs):
            z_leaves = [(getattr(x, attr) if getattr(x, attr) is not None else torch.zeros_like(x.c))
                        if isinstance(x, Iv) else torch.zeros_like(run.const(x, dev)) if _is_float(x)
                        else x for x in leaves]
            a, k = tree_unflatten(z_leaves, spec)
            outs[attr] = func(*a, **k)
    view = _is_view(func)
    base = ivs[0] if view else None
    if view and not isinstance(args[0], Iv):
        view, base = False, None
    return _wrap_tree(run, out_c, outs.get("r"), outs.get("lo"), base, view, tuple(leaves))


@register("_to_copy")
def _to_copy(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x = b["self"]
    dtype = b.get("dtype") or x.dtype
    dev = b.get("device") or x.device
    c, lo, r = run.ival_dd(x, dev)
    c = c.to(dev)
    r = None if r is None else r.to(dev)
    lo = None if lo is None else lo.to(dev)
    if dtype in _REAL + _CPLX:
        if c.is_complex() and dtype in _REAL:
            raise run.refuse("conversion of a complex tensor to a real one")
        target = torch.complex128 if dtype in _CPLX else torch.float64
        if dtype not in (torch.float64, torch.complex128) and not (
                r is None and lo is None and bool((c.to(dtype).to(c.dtype) == c).all())):
            raise run.refuse(f"conversion to {dtype} (rounding)",
                             "the enclosure is about the real-arithmetic network with float64 weights; "
                             "a cast inside forward rounds: remove it")
        return run.wrap(c.to(target), None if r is None else r.to(target), (x,), check=False,
                        lo=None if lo is None else lo.to(target))
    if r is not None or lo is not None:
        raise run.refuse(f"conversion of a computed value to {dtype} (data-dependent)")
    if not c.is_complex() and dtype != torch.bool and c.numel():
        info = torch.iinfo(dtype)  # float → int truncates; out of range it is undefined
        if not bool(((c >= float(info.min)) & (c < float(info.max + 1))).all()):  # (powers of two)
            raise run.refuse(f"conversion of a value outside the range of {dtype}")
    return c.to(dtype)


# -- factories ---------------------------------------------------------------------------------
@register("zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "new_zeros", "new_ones",
           "new_full", "scalar_tensor", "eye", "arange", "empty", "empty_like", "new_empty",
           "empty_strided", "new_empty_strided", "empty_permuted")
def _factory(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    name = func.overloadpacket.__name__
    leaves, spec = tree_flatten((args, kwargs))
    if name == "arange":
        nums = [v for k, v in b.items() if k in ("start", "end", "step") and v is not None]
        if not all(isinstance(v, int) or (isinstance(v, float) and v.is_integer()) for v in nums) or \
                any(abs(v) > 2 ** 53 for v in nums):
            raise run.refuse("arange with non-integer arguments or beyond 2⁵³ (rounded values)")
    if name in ("full", "full_like", "new_full", "scalar_tensor"):
        v = b.get("fill_value", b.get("s"))
        if isinstance(v, torch.Tensor):
            raise run.refuse(f"{func} with a tensor fill value")
        run.number(v, f"the fill value of {func}")
    c_leaves = [x.c if isinstance(x, Iv) else x for x in leaves]
    a, k = tree_unflatten(c_leaves, spec)
    out = func(*a, **k)
    if not _is_float(out):
        return out
    target = torch.complex128 if out.dtype in _CPLX else torch.float64
    c = out.to(target)
    if name.startswith("empty") or name == "new_empty" or name == "new_empty_strided":
        # uninitialised memory: unknown values until written
        c = torch.zeros_like(c)
        r = torch.full_like(c, math.inf) if not c.is_complex() else torch.full_like(c, complex(math.inf, math.inf))
        return Iv(c, r)
    return Iv(c, None)


# -- random and data-dependent operations: refused with a reason ---------------------------------
@register("native_dropout", "dropout", "bernoulli", "rand", "randn", "rand_like", "randn_like",
           "randint", "randperm", "normal", "multinomial", "uniform", "feature_dropout",
           "alpha_dropout", "feature_alpha_dropout")
def _random(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    raise run.refuse(f"random operation {func}", "dropout in training mode or random layers have no "
                     "fixed output: put the model in eval mode")


_COMPARE = ("eq", "ne", "gt", "lt", "ge", "le", "logical_and", "logical_or", "logical_not",
            "logical_xor", "bitwise_and", "bitwise_or", "bitwise_not", "is_nonzero", "_local_scalar_dense",
            "equal", "isnan", "isinf", "isfinite", "sign", "argmax", "argmin", "nonzero", "any", "all",
            "max", "min", "sort", "argsort", "topk", "floor", "ceil", "round", "trunc",
            "fmod", "masked_select", "unique", "_unique2", "count_nonzero")
#: exact on integers only; on floats they round: a − b·⌊a/b⌋, ⌊a/b⌋, sums of weights
_INTEGER_ONLY = ("remainder", "floor_divide", "bincount")


@register(*_COMPARE, *_INTEGER_ONLY, "isclose", "allclose")
def _exact_or_refuse(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    """Discrete functions that IEEE arithmetic computes exactly (comparisons, floor/ceil/trunc,
    round to integers, fmod, selections): computed on exact operands (constants), refused on
    intervals. Functions that round (remainder and floor_divide of floats, weighted bincount,
    round to decimals, isclose) are refused."""
    leaves, spec = tree_flatten((args, kwargs))
    name = func.overloadpacket.__name__
    floats = any(isinstance(x, (float, complex)) or _is_float(x) for x in leaves)
    if name in ("isclose", "allclose") or (name in _INTEGER_ONLY and floats) or \
            (name == "round" and b.get("decimals", 0) != 0):
        raise run.refuse(f"{func} of floating-point values", "it rounds (not exact in float64), so it "
                         "has no exact value to enclose")
    for x in leaves:  # torch compares with the rounded scalar (x == 2⁵³ + 1 would hold at x = 2⁵³)
        if isinstance(x, int) and not isinstance(x, bool):
            run.number(x, f"a scalar argument of {func}")
    if any(isinstance(x, Iv) and (x.r is not None or x.lo is not None) for x in leaves):
        raise run.refuse(f"{func} on a computed value (data-dependent)",
                         "data-dependent control flow, comparisons and discrete functions of the "
                         "activations have no enclosure")
    c_leaves = [x.c if isinstance(x, Iv) else x for x in leaves]
    a, k = tree_unflatten(c_leaves, spec)
    out = func(*a, **k)
    for o in (out if isinstance(out, (tuple, list)) else (out,)):
        if isinstance(o, torch.Tensor) and _is_float(o) and bool(torch.isnan(o).any()):
            # e.g. torch's CPU fmod of a huge ratio (|a/b| ≳ 2¹⁰²⁴) returns NaN, not the exact value
            raise run.refuse(f"{func} returned NaN", "no exact value to enclose")
    if isinstance(out, torch.Tensor) and _is_float(out):
        return Iv(out.to(torch.complex128 if out.is_complex() else torch.float64), None)
    return out


# -- arithmetic ----------------------------------------------------------------------------------
def _real_pair(c: torch.Tensor) -> torch.Tensor:
    return torch.view_as_real(c) if c.is_complex() else c


def _complex_lift(run: Run, x: Any, dev: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    c, r = run.ival(x, dev)
    if not c.is_complex():
        c = c.to(torch.complex128)
        r = None if r is None else r.to(torch.complex128)
    return torch.view_as_real(c), None if r is None else torch.view_as_real(r)


def _finish_complex(run: Run, c: torch.Tensor, r: torch.Tensor | None, inputs: tuple) -> Iv:
    c = torch.view_as_complex(c.contiguous())
    r = None if r is None else torch.view_as_complex(r.contiguous())
    return run.wrap(c, r, inputs)


@register("add", "sub", "rsub")
def _add(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    name = func.overloadpacket.__name__
    x, y = b["self"], b["other"]
    alpha = b.get("alpha", 1)
    if name == "rsub":
        x, y, sign = y, x, -1.0
    else:
        sign = 1.0 if name == "add" else -1.0
    alpha = run.real_number(alpha, f"alpha of {func}")
    dev = run.device_of(x, y)
    cplx = any(isinstance(v, complex) or isinstance(v, torch.Tensor) and v.is_complex() for v in (x, y))
    if not cplx and alpha == 1 and any(isinstance(v, Iv) and v.lo is not None for v in (x, y)):
        return _add_dd(run, x, y, sign, dev)
    if cplx:
        X, Y = _complex_lift(run, x, dev), _complex_lift(run, y, dev)
    else:
        X, Y = run.ival(x, dev), run.ival(y, dev)
    if alpha != 1:
        Y = ar.affine(Y[0], Y[1], s=float(alpha))
    c, r = ar.add(X, Y, sign)
    if cplx:
        return _finish_complex(run, c, r, (x, y))
    return run.wrap(c, r, (x, y))


def _add_dd(run: Run, x: Any, y: Any, sign: float, dev: Any) -> Iv:
    """Double-double ``x ± y``: ``s + e = hx ± hy`` (TwoSum), ``t = fl(lx ± ly + e)``
    (error ``≤ γ₂(|lx| + |ly| + |e|) ≤ 3U²(|hx| + |hy| + |s|)``), renormalised by TwoSum."""
    hx, lx, rx = run.ival_dd(x, dev)
    hy, ly, ry = run.ival_dd(y, dev)
    if sign < 0:
        hy = -hy
        ly = None if ly is None else -ly
    s_, e = ar.two_sum(hx, hy)
    t = e
    if lx is not None:
        t = t + lx
    if ly is not None:
        t = t + ly
    h, lo = ar.two_sum(s_, t)
    R = (hx.abs() + hy.abs()).add_(s_.abs()).mul_(3 * ar.U * ar.U)
    if rx is not None:
        R = R + rx
    if ry is not None:
        R = R + ry
    return run.wrap(h, ar.up(R, 4, 2 * ar.ETA), (x, y), lo=lo)


@register("neg")
def _neg(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x = b["self"]
    c, lo, r = run.ival_dd(x, run.device_of(x))
    return run.wrap(-c, None if r is None else r.clone(), (x,), lo=None if lo is None else -lo)


@register("abs")
def _abs(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x = b["self"]
    c, r = run.ival(x, run.device_of(x))
    if c.is_complex():
        raise run.refuse("abs of a complex interval")
    return run.wrap(c.abs(), None if r is None else r.clone(), (x,))


def _exact_value(run: Run, v: Any, dev: Any) -> Any:
    """A Python number or an exact tensor (plain or exact interval), else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return run.number(v, "a scalar factor")
    if isinstance(v, Iv):
        return v.c if v.r is None and v.lo is None else None
    if isinstance(v, torch.Tensor):
        return run.ival(v, dev)[0]
    return None


@register("mul")
def _mul(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x, y = b["self"], b["other"]
    dev = run.device_of(x, y)
    ex, ey = _exact_value(run, x, dev), _exact_value(run, y, dev)
    if ey is None and ex is not None:
        x, y, ex, ey = y, x, ey, ex
    if ey is not None:  # interval (or exact) times an exact value
        cx, rx = run.ival(x, dev)
        s = ey
        if isinstance(s, complex) or isinstance(s, torch.Tensor) and s.is_complex():
            raise run.refuse("multiplication by a complex factor")
        if cx.is_complex():
            sc = s.unsqueeze(-1) if isinstance(s, torch.Tensor) else s
            c, r = ar.affine(torch.view_as_real(cx), None if rx is None else torch.view_as_real(rx), s=sc)
            return _finish_complex(run, c, r, (x, y))
        if rx is None and ex is not None and isinstance(s, torch.Tensor):
            c, r = ar.mul((cx, None), (s, None))
        else:
            c, r = ar.affine(cx, rx, s=s)
        return run.wrap(c, r, (x, y))
    cx, rx = run.ival(x, dev)
    cy, ry = run.ival(y, dev)
    if cx.is_complex() or cy.is_complex():
        raise run.refuse("product of two complex intervals")
    c, r = ar.mul((cx, rx), (cy, ry))
    return run.wrap(c, r, (x, y))


@register("div")
def _div(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x, y = b["self"], b["other"]
    if b.get("rounding_mode") is not None:
        raise run.refuse(f"{func} with rounding_mode={b.get('rounding_mode')!r}")
    dev = run.device_of(x, y)
    cx, rx = run.ival(x, dev)
    ey = _exact_value(run, y, dev)
    if ey is not None:
        if isinstance(ey, torch.Tensor) and ey.is_complex():
            raise run.refuse("division by a complex value")
        cxr = _real_pair(cx)
        rxr = None if rx is None else _real_pair(rx)
        d = ey.unsqueeze(-1) if (cx.is_complex() and isinstance(ey, torch.Tensor)) else ey
        center = cxr / d
        # |fl(c/d) − c/d| ≤ U|ĉ| + 2⁻¹⁰⁷⁵; the radius r/|d| is computed with one rounding
        R = center.abs().mul_(ar.U)
        if rxr is not None:
            R = R + rxr / (d.abs() if isinstance(d, torch.Tensor) else abs(d))
        r = ar.up(R, 3, 2 * ar.ETA)
        if cx.is_complex():
            return _finish_complex(run, center, r, (x, y))
        return run.wrap(center, r, (x, y))
    cy, ry = run.ival(y, dev)
    if cx.is_complex() or cy.is_complex():
        raise run.refuse("division by a complex interval")
    inv = ar.reciprocal(cy, ry)
    cq, rq = ar.mul((cx, rx), inv)
    return run.wrap(cq, rq, (x, y))


@register("sum", "mean")
def _sum(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x = b["self"]
    if b.get("dtype") not in (None, torch.float64):
        raise run.refuse(f"{func} with dtype={b.get('dtype')}")
    c, r = run.ival(x, run.device_of(x))
    if c.is_complex():
        raise run.refuse(f"{func} of a complex interval")
    c2, r2 = ar.reduce_sum(c, r, b.get("dim"), bool(b.get("keepdim", False)),
                           func.overloadpacket.__name__ == "mean")
    return run.wrap(c2, r2, (x,))


# -- pooling --------------------------------------------------------------------------------------
@register("max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
           "max_pool1d", "max_pool2d", "max_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool3d")
def _maxpool(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    """``|max xᵢ − max cᵢ| ≤ max |xᵢ − cᵢ|``: centre and radius are max-pooled (exact operations).
    A double-double centre: the low part of the maximum is the max-pool of the low parts over
    the positions where the high part attains the maximum (non-overlapping windows), else the
    low parts are rounded into the radius first."""
    x = args[0]
    rest = args[1:]
    name = func.overloadpacket.__name__
    c, lo, r = run.ival_dd(x, run.device_of(x))
    kfull = _tiles(b, c, name) if lo is not None else None
    if lo is not None and kfull is None:
        c, r = run.ival(x, run.device_of(x))
        lo = None
    if c.is_complex():
        raise run.refuse("max-pool of a complex interval")
    oc = func(c, *rest, **kwargs)
    orr = None if r is None else func(r, *rest, **kwargs)
    vals = oc[0] if isinstance(oc, (tuple, list)) else oc
    out_lo = None
    if lo is not None and kfull is not None:
        nd = c.dim() - len(kfull)
        up_ = vals
        for i, kk in enumerate(kfull):
            up_ = up_.repeat_interleave(kk, dim=nd + i)
        masked = torch.where(c == up_, lo, lo.new_tensor(-math.inf))
        out_lo = func(masked, *rest, **kwargs)
        out_lo = out_lo[0] if isinstance(out_lo, (tuple, list)) else out_lo
    rv = None if orr is None else (orr[0] if isinstance(orr, (tuple, list)) else orr)
    out = run.wrap(vals, rv, (x,), check=False, lo=out_lo)
    if isinstance(oc, (tuple, list)):
        return out, Poison(oc[1], "the indices of a max-pool (which input attains the maximum is "
                                  "not determined by an enclosure)")
    return out


def _tiles(b: dict, c: torch.Tensor, name: str) -> list[int] | None:
    """The kernel (one size per spatial axis) when a max-pool's windows tile the input exactly
    (stride = kernel, no padding or dilation), else None."""
    if name.startswith("adaptive"):
        return None
    k = [int(v) for v in b["kernel_size"]]
    st = [int(v) for v in (b.get("stride") or k)] or k
    pad = b.get("padding", 0)
    dil = b.get("dilation", 1)
    pads = [int(v) for v in (pad if isinstance(pad, (list, tuple)) else [pad])]
    dils = [int(v) for v in (dil if isinstance(dil, (list, tuple)) else [dil])]
    dims = {"max_pool1d": 1, "max_pool2d": 2, "max_pool3d": 3}.get(name.replace("_with_indices", ""), len(k))
    if len(k) == 1:
        k = k * dims
    if len(st) == 1:
        st = st * dims
    sizes = [int(v) for v in c.shape[-dims:]]
    ok = (k == st and all(p == 0 for p in pads) and all(d == 1 for d in dils)
          and all(sz % kk == 0 for sz, kk in zip(sizes, k)) and not b.get("ceil_mode", False))
    return k if ok else None


@register("avg_pool1d", "avg_pool2d", "avg_pool3d", "_adaptive_avg_pool2d", "_adaptive_avg_pool3d",
           "adaptive_avg_pool1d")
def _avgpool(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    """Window sums divided by an integer: error ``≤ γ_{n+2}·avg(|c|)``; radius ``avg(r + γ|c|)``."""
    x = args[0]
    c, r = run.ival(x, run.device_of(x))
    if c.is_complex():
        raise run.refuse("average pool of a complex interval")
    name = func.overloadpacket.__name__
    if name.startswith("_adaptive") or name.startswith("adaptive"):
        out = b["output_size"]
        spatial = c.shape[-len(out):]
        n = 1
        for i, o in zip(spatial, out):
            n *= (-(-int(i) // max(int(o), 1))) + 1
    else:
        ks = [int(k) for k in b["kernel_size"]]
        spatial_dims = {"avg_pool1d": 1, "avg_pool2d": 2, "avg_pool3d": 3}[name]
        if len(ks) == 1:
            ks = ks * spatial_dims
        n = 1
        for k in ks:
            n *= k
        if b.get("divisor_override") is not None:
            raise run.refuse(f"{func} with divisor_override")
    rest = args[1:]
    center = func(c, *rest, **kwargs)
    g = ar.gamma(n + 2)
    s = c.abs().mul_(g)
    if r is not None:
        s.add_(r)
    T = func(s, *rest, **kwargs)
    return run.wrap(center, ar.up(T, n + 5, ar.eta_multiple(2.0 * n + 2.0)), (x,))


# -- activations ----------------------------------------------------------------------------------
def real_operand(run: Run, x: Any, what: str) -> tuple[torch.Tensor, torch.Tensor | None]:
    c, r = run.ival(x, run.device_of(x))
    if c.is_complex():
        raise run.refuse(f"{what} of a complex interval")
    return c, r


@register("where")
def _where(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    cond = b["condition"]
    if isinstance(cond, Iv):
        raise run.refuse("torch.where with a computed condition (data-dependent)")
    x, y = b["self"], b["other"]
    dev = run.device_of(x, y)
    cx, rx = run.ival(x, dev)
    cy, ry = run.ival(y, dev)
    c = torch.where(cond, cx, cy)
    if rx is None and ry is None:
        return run.wrap(c, None, (x, y), check=False)
    zx = rx if rx is not None else torch.zeros_like(cx)
    zy = ry if ry is not None else torch.zeros_like(cy)
    return run.wrap(c, torch.where(cond, zx, zy), (x, y), check=False)


@register("masked_fill")
def _masked_fill(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x, mask, value = b["self"], b["mask"], b["value"]
    if isinstance(mask, Iv):
        raise run.refuse("masked_fill with a computed mask (data-dependent)")
    if isinstance(value, torch.Tensor):
        ev = _exact_value(run, value, run.device_of(x))
        if ev is None:
            raise run.refuse("masked_fill with a computed fill value")
        value = ev
    else:
        value = run.number(value, "the fill value")
    c, r = run.ival(x, run.device_of(x))
    out_c = c.masked_fill(mask, value)
    out_r = None if r is None else r.masked_fill(mask, 0.0)
    return run.wrap(out_c, out_r, (x,))


@register("fill", "zero")
def _fill(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x = b["self"]
    value = b.get("value", 0.0)
    c, r = run.ival(x, run.device_of(x))
    if isinstance(value, torch.Tensor):
        ev = _exact_value(run, value, c.device)
        if ev is None:
            raise run.refuse("fill with a computed value")
        value = ev
    else:
        value = run.number(value, "the fill value")
    out = torch.zeros_like(c) + value if isinstance(value, torch.Tensor) else torch.full_like(c, value)
    return run.wrap(out, None, (x,))


@register("index_put")
def _index_put(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x, indices, values, acc = b["self"], b["indices"], b["values"], bool(b.get("accumulate", False))
    if acc:
        raise run.refuse("index_put with accumulate=True (a sum)")
    for i in indices:
        if isinstance(i, Iv):
            raise run.refuse("index_put with computed indices")
    dev = run.device_of(x, values)
    c, r = run.ival(x, dev)
    vc, vr = run.ival(values, dev)
    # aten's index_put takes None for a full slice (``k[:, mask] = v``), the Python method does not
    idx = list(indices)
    put = torch.ops.aten.index_put.default
    # repeated indices would let the centre and the radius come from different writes
    probe = put(torch.zeros(c.shape, dtype=torch.float64, device=dev), idx,
                torch.ones((), dtype=torch.float64, device=dev), True)
    if bool((probe > 1).any()):
        raise run.refuse("index_put with repeated indices")
    out_c = put(c, idx, vc)
    if r is None and vr is None:
        return run.wrap(out_c, None, (x, values))
    rr = r if r is not None else torch.zeros_like(c)
    out_r = put(rr, idx, vr if vr is not None else torch.zeros_like(vc))
    return run.wrap(out_c, out_r, (x, values))


@register("constant_pad_nd")
def _pad(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x, pad, value = b["self"], b["pad"], b.get("value", 0.0)
    value = 0.0 if value is None else run.number(value, "the padding value")
    c, lo, r = run.ival_dd(x, run.device_of(x))
    out_c = aten.constant_pad_nd.default(c, pad, value)
    out_r = None if r is None else aten.constant_pad_nd.default(r, pad, 0.0)
    out_lo = None if lo is None else aten.constant_pad_nd.default(lo, pad, 0.0)
    return run.wrap(out_c, out_r, (x,), check=False, lo=out_lo)


@register("copy")
def _copy(run: Run, func: Any, b: dict, args: tuple, kwargs: dict) -> Any:
    x, src = b["self"], b["src"]
    dev = run.device_of(x, src)
    c, _ = run.ival(x, dev)
    sc, sl, sr = run.ival_dd(src, dev)
    if sc.is_complex() and not c.is_complex():
        raise run.refuse("copy of a complex value into a real tensor")
    out_c = torch.broadcast_to(sc.to(c.dtype), c.shape).clone()
    out_r = None if sr is None else torch.broadcast_to(sr.to(c.dtype), c.shape).clone()
    out_l = None if sl is None else torch.broadcast_to(sl.to(c.dtype), c.shape).clone()
    return run.wrap(out_c, out_r, (x, src), check=False, lo=out_l)


# the linear maps (convolutions, matrix products, batch norm, interpolation) register their rules
