"""Search a small perturbation that flips a classifier's label, and certify the flip (docs/theory.md §5).

:func:`search_minimal_perturbation` validates its arguments, evaluates every
input alone, runs the batched search (:mod:`~theorycheck.classification._searchers`:
DeepFool, fast gradient (sign), random directions), aims slightly past the
boundary, then evaluates ``x`` again and ``x + r`` twice in float64 and in the
model's own dtype, enlarging ``r`` where the margins fall short of the rounding
allowance. The result is assembled by :func:`~theorycheck.classification.witness.assemble`
from the stored evaluations alone (see :mod:`theorycheck.classification`).

Theorem: docs/theory.md §5 (``r* ∈ argmin ‖r‖ s.t. k̂(x + r) ≠ k̂(x)``).
Rigor: certified-float64 for certified flips; ratios are numerical upper bounds.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from theorycheck.classification._common import (
    AIM,
    K_OUT,
    MAX_ITER,
    MAX_OVERSHOOT,
    METHODS,
    REPAIR_MAX,
    REPAIR_MIN,
    REPAIR_ROUNDS,
    STR_DTYPE,
    UNIT_ROUNDOFF,
    as_float64,
    others,
    rowmax_abs,
)
from theorycheck.classification._proven import (
    NOTE_MAX,
    certify_arg,
    derive_proven,
    enclose_points,
    proven_repair_factor,
)
from theorycheck.classification.witness import ClassifierWitness, assemble, derive, validate_data
from theorycheck.errors import InsufficientPrecision, InvalidArgument, PreconditionError
from theorycheck.numerics.backend import is_torch, to_numpy
from theorycheck.numerics.rounding import norm2
from theorycheck.numerics.validation import bool_arg, choice_arg, integer_arg, real_arg, seed_arg

if TYPE_CHECKING:  # pragma: no cover
    from theorycheck.classification._evaluation import Evaluations

__all__ = ["search_minimal_perturbation"]


def _labels(labels: Any, n: int, batched: bool) -> np.ndarray | None:
    if labels is None:
        return None
    if isinstance(labels, (str, bytes)):
        raise InvalidArgument(f"labels must be integers (class indices), got {labels!r}")
    try:
        arr = to_numpy(labels) if is_torch(labels) else np.asarray(labels)
    except Exception as exc:  # noqa: BLE001
        raise InvalidArgument(f"labels could not be read as integers: {exc}") from exc
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)) \
            and np.all(np.abs(arr) < 2 ** 62):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise InvalidArgument(f"labels must be integers (class indices), got dtype {arr.dtype}")
    if arr.size and (int(arr.max()) >= 2 ** 62 or int(arr.min()) < -(2 ** 62)):
        raise InvalidArgument("labels hold integers out of any class range")
    if arr.ndim > 1:
        raise InvalidArgument(f"labels must be an int or a 1-D array (one label per sample), got shape "
                              f"{arr.shape}")
    arr = arr.astype(np.int64).reshape(-1)
    if arr.size != n:
        raise InvalidArgument(
            f"labels has {arr.size} entries for {n} sample(s): pass one label per sample"
            + ("" if batched else " (an int for a single sample)"))
    return arr



def _finite_samples(X: np.ndarray, batched: bool) -> None:
    bad = np.flatnonzero(~np.isfinite(X.reshape(X.shape[0], -1)).all(axis=1))
    if bad.size:
        where = f"x[{int(bad[0])}]" if batched else "x"
        more = f" (and {bad.size - 1} more sample(s))" if bad.size > 1 else ""
        raise InvalidArgument(f"{where} holds NaN or inf{more}: a perturbation of a non-finite "
                              "input means nothing; remove or repair the sample")


def search_args(method: Any, overshoot: Any, max_iter: Any, batch_size: Any, candidates: Any,
                 batched: Any) -> tuple[str, float, int, int | None, int | None, bool | None]:
    """The search arguments validated (:class:`InvalidArgument` naming the first bad one)."""
    method = choice_arg(method, "method", METHODS)
    overshoot = real_arg(overshoot, "overshoot", allow_zero=True)
    if overshoot > MAX_OVERSHOOT:
        raise InvalidArgument(f"overshoot must be at most {MAX_OVERSHOOT:g} (DeepFool uses 0.02), "
                              f"got {overshoot!r}")
    max_iter = integer_arg(max_iter, "max_iter")
    if max_iter > MAX_ITER:
        raise InvalidArgument(f"max_iter must be at most {MAX_ITER} (DeepFool converges in a few "
                              f"steps; bisection needs about 20), got {max_iter}")
    if batch_size is not None:
        batch_size = integer_arg(batch_size, "batch_size")
    if candidates is not None:
        candidates = integer_arg(candidates, "candidates", minimum=2)
    if batched is not None:
        batched = bool_arg(batched, "batched")
    return method, overshoot, max_iter, batch_size, candidates, batched



def search_minimal_perturbation(
    model: Any,
    x: Any,
    *,
    method: str = "deepfool",
    overshoot: float = 0.02,
    max_iter: int = 50,
    seed: Any = None,
    device: Any = None,
    batch_size: int | None = None,
    labels: Any = None,
    candidates: int | None = 10,
    batched: bool | None = None,
    certify: bool | str = "float64",
) -> ClassifierWitness:
    """Search a small perturbation ``r`` with ``k̂(x + r) ≠ k̂(x)`` and certify the flip.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits ``(n, C)``, or ``(n,)``/``(n, 1)`` for a binary
        classifier (label ``f > 0``), in float64, float32, float16 or
        bfloat16. Never modified (deep-copied where its device or dtype must
        change; train/eval flags restored).
    x : array_like or torch.Tensor
        One sample (the model's input shape) or a batch (batch first); finite
        (a sample with NaN or inf is refused, naming it).
    method : {"deepfool", "fast_gradient", "fast_gradient_sign", "random"}
        See the package docstring (:mod:`theorycheck.classification`).
    overshoot : float
        DeepFool's ``η`` in ``[0, 10]`` (ignored by the line searches, which
        return the smallest flipping ``α`` they find).
    max_iter : int
        DeepFool iterations, or bisection halvings of the line searches (at most 10000).
    seed : int, numpy.random.Generator or None
        Random directions (``"random"`` only); same seed, same result.
    device : str or torch.device, optional
        Where to search (default: CUDA if present, else CPU), in the model's
        dtype (float32 for float16/bfloat16 models). Certification uses the
        float64 CPU copy and the model where it is, in its own dtype.
    batch_size : int, optional
        Samples per search pass (memory); the result does not depend on it.
        Default: as many as fit in a few hundred MB.
    labels : int or array of int, optional
        True labels: samples whose prediction differs are reported
        ``already_misclassified`` (and labels outside ``0..C-1``
        ``label_out_of_range``) without a search.
    candidates : int or None
        DeepFool: linearise the margins of the ``candidates`` classes with the
        largest logits at ``x`` only (10, as in the authors' code and foolbox;
        ``None``: every class). Memory per iteration grows like
        ``candidates × batch × input size``.
    batched : bool, optional
        Whether ``x`` carries a batch dimension (default: guessed: a batch if
        ``len(x) > 1`` and the model maps ``x[:2]`` to two rows of logits,
        else a single sample if it maps ``x[None]`` to one row).
    certify : {"float64", "proven", "auto"} or True
        ``"float64"`` (or True, the default): flips certified in the float64
        and native evaluations (``certified-float64``). ``"proven"``: a flip
        counts only where enclosures of the network's exact real-arithmetic
        logits (:func:`theorycheck.nets.enclose`, each input alone, at ``x`` and
        at the stored float64 ``x + r``) prove the label of ``x`` and another
        label at ``x + r`` (the winning enclosure above every other); ``r`` is
        enlarged where the enclosures almost separate. A model the enclosures
        do not support raises :class:`~theorycheck.errors.PreconditionError`
        naming the node. ``"auto"``: proven where the enclosures separate, else
        the certified-float64 flip, with the reason stored
        (``values["rigor_note"]``).

    Returns
    -------
    ClassifierWitness
        A :class:`CheckResult`: per-sample perturbation, ``‖r‖/‖x‖``, labels,
        success, which evaluations flipped, status; every model output it
        was decided from is stored in its witness.

    Examples
    --------
    >>> import torch
    >>> lin = torch.nn.Linear(2, 1).double()
    >>> with torch.no_grad():
    ...     _ = lin.weight.copy_(torch.tensor([[1.0, 0.0]])); _ = lin.bias.zero_()
    >>> w = search_minimal_perturbation(lin, [0.5, 0.0], device="cpu")
    >>> bool(w.success), w.label, w.new_label, round(float(w.ratio), 2)
    (True, 1, 0, 1.02)

    Theorem: docs/theory.md §5 (``r* ∈ argmin ‖r‖ s.t. k̂(x + r) ≠ k̂(x)``; DeepFool,
    fast gradient and random-noise searches of seeds 001/003).
    Rigor: certified-float64 for ``success`` samples (``model(x)`` and
    ``model(x + r)``, each alone and twice, in float64 on the CPU and in the
    model's own dtype and device, the flip beyond the rounding allowance);
    proven with ``certify="proven"`` (and per sample with ``"auto"``) where the
    enclosures of the exact logits separate (IEEE binary64; a libm accuracy
    bound only for tanh/sigmoid/ELU/exp, as ``values["enclosure_assumptions"]``
    lists); the ratios are numerical upper bounds on the minimal perturbation.
    """
    from theorycheck.classification._evaluation import ModelSet, device_arg, dtype_name, probe_batched

    t0 = time.perf_counter()
    method, overshoot, max_iter, batch_size, candidates, batched = search_args(
        method, overshoot, max_iter, batch_size, candidates, batched)
    rng = seed_arg(seed)
    mode = certify_arg(certify)
    X = as_float64(x, "x")
    dev = device_arg(device)
    with ModelSet(model, dev) as ms, np.errstate(all="ignore"):
        if dtype_name(ms.native_dtype) not in UNIT_ROUNDOFF:
            raise InvalidArgument(f"the model's dtype {dtype_name(ms.native_dtype)} is not supported: "
                                  f"use one of {', '.join(UNIT_ROUNDOFF)}")
        if batched is None:
            batched = probe_batched(ms.f64, X)
        if not batched:
            X = X[None]
        elif X.ndim < 2:
            raise InvalidArgument(f"a batch needs shape (n, *input_shape), got {X.shape}")
        n = X.shape[0]
        _finite_samples(X, batched)
        y = _labels(labels, n, batched)
        ev = _first_evaluation(ms, X, batch_size)
        base = {"x": X, "r": np.zeros_like(X), "method": method,
                "search_status": np.full(n, "", dtype=STR_DTYPE), "iterations": np.zeros(n, dtype=np.int64)}
        if y is not None:
            base["labels"] = y
        dv = derive(validate_data({**base, **ev.data()}, strict=False))
        label = dv["label"]
        todo = np.flatnonzero(dv["x_status"] == "")
        u = UNIT_ROUNDOFF[dtype_name(ms.native_dtype)]
        R, iters, sstat = _search(ms, X, label, ev.F[0, 0], todo, method, overshoot, max_iter, rng,
                                  batch_size, candidates, u)
        base.update(r=R, iterations=iters, search_status=sstat)
        _certify(ev, base, X, u)
        if mode != "float64":
            base.update(prove_flips(ms, ev, base, X, mode, u))
        data = {**base, **ev.data()}
    return assemble(data, bool(batched), time.perf_counter() - t0)


def _first_evaluation(ms: Any, X: np.ndarray, batch_size: int | None) -> Evaluations:
    """Every sample's ``x`` alone, once, in float64 (which decides the number of classes), natively, probe."""
    import torch

    from theorycheck.classification._evaluation import Evaluations, evaluate_batch, run_alone

    n = X.shape[0]
    outs: set[str] = set()
    rows, exc0 = run_alone(ms.f64, X, torch.float64, torch.device("cpu"), outs)
    sizes = [r.size for r in rows[0] if r is not None]
    if sizes:
        C = sizes[0]
    else:
        # fails on every sample alone: a bad input (say why) unless the model runs on the
        # whole batch (batch statistics): then every sample is reported model_error
        try:
            Lb = evaluate_batch(ms.f64, X, batch_size) if n > 1 else None
        except InvalidArgument:
            Lb = None
        if Lb is None:
            raise exc0 if exc0 is not None else InvalidArgument("the model could not be evaluated")
        C = Lb.shape[1]
    ev = Evaluations(ms, n, C, with_probe=True)
    ev.outs["f64"] |= outs
    idx = np.arange(n)
    ev.put("f64", 0, 0, idx, rows[0])
    ev.first_exc = exc0
    ev.run("nat", 0, 0, idx, X)
    ev.run("probe", 0, 0, idx, X)
    return ev


def _search(ms: Any, X: np.ndarray, label: np.ndarray, L0: np.ndarray, todo: np.ndarray, method: str,
            overshoot: float, max_iter: int, rng: np.random.Generator, batch_size: int | None,
            candidates: int | None, u: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the search on the samples ``todo``, then aim slightly past the boundary (see the package docstring).

    ``u`` is the unit roundoff of the model's own dtype.
    """
    from theorycheck.classification._evaluation import chunks
    from theorycheck.classification._searchers import Searcher

    n = X.shape[0]
    nd = X.ndim - 1
    shape1 = (-1,) + (1,) * nd
    d = int(np.prod(X.shape[1:]))
    C = L0.shape[1]
    R = np.zeros_like(X)
    iters = np.zeros(n, dtype=np.int64)
    sstat = np.full(n, "", dtype=STR_DTYPE)
    # random directions for the whole batch up front: results do not depend on batch_size
    V_all = rng.standard_normal(X.shape) if method == "random" else None
    K = C if candidates is None else min(candidates, C)
    per = batch_size or max(1, (1 << 25) // (max(K - 1, 1) * d) if method == "deepfool" else (1 << 24) // d)
    searcher = Searcher(ms.search, ms.search_dtype, ms.search_device)
    xnorm = np.array([norm2(X[i]) for i in range(n)])
    for sl in chunks(todo.size, per):
        idx = todo[sl]
        Xi, ki = X[idx], label[idx]
        if method == "deepfool":
            cand = np.argsort(-L0[idx], axis=1, kind="stable")[:, :K]  # the (strict) label first
            Ri, it, st = searcher.deepfool(Xi, ki, cand, overshoot, max_iter)
        else:
            V = V_all[idx] if V_all is not None else searcher.fast_gradient_direction(Xi, ki)
            if method == "fast_gradient_sign":
                V = np.sign(V)
            Ri, it, st = _along(searcher, Xi, ki, V, xnorm[idx], max_iter)
        Ri = np.where(np.isfinite(Ri), Ri, 0.0)
        found = np.flatnonzero(st == "found")
        if found.size:  # aim past the boundary by 4 × the output rounding term
            L1 = searcher.logits_at(Xi[found] + Ri[found])
            t = _aim_factor(L0[idx[found]], L1, ki[found], u)
            aimed = Ri[found] * t.reshape(shape1)
            Ri[found] = np.where(np.isfinite(aimed), aimed, Ri[found])
        R[idx], iters[idx], sstat[idx] = Ri, it, st.astype(STR_DTYPE)
    return R, iters, sstat


def _along(searcher: Any, X: np.ndarray, k: np.ndarray, V: np.ndarray, xnorm: np.ndarray,
           max_iter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The smallest flipping step along each direction ``V`` (normalised here; zero directions are reported)."""
    shape1 = (-1,) + (1,) * (X.ndim - 1)
    vn = np.linalg.norm(V.reshape(len(X), -1), axis=1)
    ok_dir = np.isfinite(vn) & (vn > 0)
    V = np.where(ok_dir.reshape(shape1), V / np.where(ok_dir, vn, 1.0).reshape(shape1), 0.0)
    scale = np.where(xnorm > 0, xnorm, 1.0)
    alpha, it, st = searcher.line_search(X, k, V, scale, max_iter)
    st[~ok_dir] = "zero_gradient"
    alpha = np.where(ok_dir, alpha, 0.0)
    return alpha.reshape(shape1) * V, it, st


def _aim_factor(L0: np.ndarray, L1: np.ndarray, k: np.ndarray, u: float) -> np.ndarray:
    """``t ≥ 1`` such that the runner-up's margin, linear in ``t`` from ``x`` to ``x + r``, reaches the aim."""
    with np.errstate(all="ignore"):
        rows = np.arange(len(k))
        top, j = others(L1, k)
        m1 = top - L1[rows, k]
        m0 = L0[rows, j] - L0[rows, k]
        aim = AIM * K_OUT * max(u, UNIT_ROUNDOFF["float64"]) * rowmax_abs(L1)
        t = np.where((m1 < aim) & (m1 > m0), (aim - m0) / (m1 - m0), 1.0)
        return np.clip(np.where(np.isfinite(t), t, 1.0), 1.0, 1.0 + max(REPAIR_MAX, 256 * u))


def _certify(ev: Evaluations, base: dict[str, Any], X: np.ndarray, u: float) -> None:
    """Evaluate ``x`` again and ``x + r`` twice (each alone, both evaluations).

    Where the margins fall short of the allowance, ``r`` is enlarged and ``x + r``
    evaluated again (at most ``REPAIR_ROUNDS`` rounds). ``u`` is the unit roundoff of the model's own dtype.
    """
    R = base["r"]
    found = np.flatnonzero(base["search_status"] == "found")
    if not found.size:
        return
    ev.point(0, 1, found, X[found])
    todo = found
    for rnd in range(REPAIR_ROUNDS + 1):
        ev.point(1, None, todo, X[todo] + R[todo])  # each x + r twice in a row
        if rnd == REPAIR_ROUNDS:
            break
        dv = derive(validate_data({**base, **ev.data()}, strict=False))
        short = found[np.isin(dv["status"][found], ("not_certified", "precision_mismatch"))]
        if not short.size:
            break
        t = _repair_factor(ev, dv, short, rnd, u)
        bigger = R[short] * t.reshape((-1,) + (1,) * (X.ndim - 1))
        R[short] = np.where(np.isfinite(bigger), bigger, R[short])  # never overflow the stored r
        ev.clear(1, short)
        todo = short


def _repair_factor(ev: Evaluations, dv: Mapping[str, np.ndarray], idx: np.ndarray, rnd: int, u: float) -> np.ndarray:
    """Per sample, the enlargement of ``r`` that brings both evaluations' margins to twice their allowance."""
    k = dv["k"][idx]
    rows = np.arange(idx.size)
    ts = []
    pairs = [(ev.F, dv["tau64"])] + ([(ev.N, dv["tauN"])] if ev.has_nat else [])
    with np.errstate(all="ignore"):
        for L, tau in pairs:
            A, B = L[0, 0, idx], L[1, 0, idx]
            top, j = others(B, k)
            m1 = top - B[rows, k]
            m0 = A[rows, j] - A[rows, k]
            aim = 2.0 * tau[1, idx]
            ts.append(np.where(m1 > m0, (aim - m0) / (m1 - m0), np.inf))
        t = np.max(ts, axis=0)
        lo, hi = 1.0 + REPAIR_MIN[rnd], 1.0 + max(REPAIR_MAX, 256 * u)
        t = np.where(np.isfinite(t), t, 1.0 + 10 * REPAIR_MIN[rnd])
        return np.clip(t, lo, hi)


def prove_flips(ms: Any, ev: Evaluations, base: dict[str, Any], X: np.ndarray, mode: str, u: float, *,
                repair: bool = True) -> dict[str, Any]:
    """Enclose the exact logits at ``x`` and ``x + r`` of every sample whose search found a flip.

    Where the label of ``x`` is proven but the enclosures at ``x + r`` overlap, ``r`` is
    enlarged (as in :func:`_certify`: at most ``REPAIR_ROUNDS`` rounds; never with
    ``repair=False``, as for a fixed universal perturbation) and ``x + r`` evaluated and
    enclosed again. Returns the witness fields (see :mod:`theorycheck.classification.witness`).
    ``mode="proven"`` re-raises a model the enclosures do not support; ``"auto"`` stores the reason.

    Theorem: none (the evaluations behind proven flips, docs/theory.md §5).
    Rigor: proven for the enclosures it returns (re-derived by the witness's verifier).
    """
    n, C = X.shape[0], ev.C
    R = base["r"]
    E = np.full((2, n, C), np.nan)
    Rad = np.full((2, n, C), np.nan)
    code = np.zeros((2, n), dtype=np.int8)
    notes = [""] * n
    assumptions: set[str] = set()
    dv = derive(validate_data({**base, **ev.data()}, strict=False))
    found = np.flatnonzero((base["search_status"] == "found") & (dv["x_status"] == ""))

    def put(p: int, idx: np.ndarray, Xp: np.ndarray) -> None:
        c, r, got, why, ass = enclose_points(ms.user, Xp, C)
        E[p, idx], Rad[p, idx], code[p, idx] = c, r, got
        for j, i in enumerate(idx.tolist()):
            if why[j]:
                notes[i] = why[j]
        assumptions.update(ass)

    try:
        if found.size:
            put(0, found, X[found])
            todo = found
            rounds = REPAIR_ROUNDS if repair else 0
            for rnd in range(rounds + 1):
                put(1, todo, X[todo] + R[todo])
                if rnd == 0:
                    keep = (R.copy(), E[1].copy(), Rad[1].copy(), code[1].copy())
                if rnd == rounds:
                    break
                pv = derive_proven(E, Rad, code, dv["label"], np.isin(np.arange(n), found))
                short = found[pv["x_proven"][found] & (code[1, found] == 1) & ~pv["adv_proven"][found]]
                if not short.size:
                    break
                t = proven_repair_factor(E, Rad, dv["label"], short, 1.0 + REPAIR_MIN[rnd],
                                         1.0 + max(REPAIR_MAX, 256 * u))
                bigger = R[short] * t.reshape((-1,) + (1,) * (X.ndim - 1))
                R[short] = np.where(np.isfinite(bigger), bigger, R[short])
                ev.clear(1, short)  # the float64 evaluations follow the stored x + r
                ev.point(1, None, short, X[short] + R[short])
                E[1, short], Rad[1, short], code[1, short] = np.nan, np.nan, 0
                todo = short
            # enlarged in vain: back to the search's r (and its evaluations), whose ratio is smaller
            pv = derive_proven(E, Rad, code, dv["label"], np.isin(np.arange(n), found))
            back = found[~pv["proven"][found] & np.any(R[found] != keep[0][found], axis=tuple(range(1, X.ndim)))]
            if back.size:
                R[back] = keep[0][back]
                E[1, back], Rad[1, back], code[1, back] = keep[1][back], keep[2][back], keep[3][back]
                ev.clear(1, back)
                ev.point(1, None, back, X[back] + R[back])
    except (PreconditionError, InvalidArgument, InsufficientPrecision) as exc:
        if mode == "proven":
            raise
        why = f"no proven enclosure of the classifier: {exc}"[:NOTE_MAX]
        for p in (0, 1):
            miss = found[code[p, found] == 0]
            code[p, miss] = 2
            for i in miss.tolist():
                notes[i] = why
    for i in range(n):  # a note only where an enclosure is missing
        if not (code[:, i] == 2).any():
            notes[i] = ""
    return {"certify": mode, "enc_center": E, "enc_radius": Rad, "enc_code": code,
            "enc_note": np.array(notes, dtype=str), "enc_assumptions": "; ".join(sorted(assumptions))}
