"""The training-set audit: pairs of a training set that force every accurate interpolant to be unstable.

:func:`check_training_set` (formerly ``audit_training_set``) finds every pair ``i < j`` with
``‖A(x_i − x_j)‖ ≤ η`` and ``‖x_i − x_j‖ > 2η``: any map that is ``η``-accurate on both is
unstable there, whatever the training. A float64 screen over the Gram matrix of ``AX``
(blocked GEMMs, fanned out over an executor) finds the candidates; each is then decided
rigorously (ball arithmetic on the exact operator). :func:`verify_training_set_audit`
re-proves a saved result's pairs (check name ``"training_set_audit"``, kept so that saved
files still verify).

Theorem: universal instability theorem, training version (docs/theory.md §3; seed 004).
Rigor: certified-float64 for each reported pair; the screen relies on Higham's bound (dense
``A``) or an FFT error model (transforms).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from theorycheck.errors import InvalidArgument, TheorycheckError
from theorycheck.instability._common import (
    THEOREM,
    dist,
    enclosure_below,
    fmt,
    negated,
    operator_arg,
    row_norms,
    theorem_bound_value,
)
from theorycheck.instability._operators import (
    Ball,
    apply_operator,
    ball_distance,
    fft_error_model,
    operator_record,
    record_op,
    record_text,
)
from theorycheck.instability._witness import WitnessCheck, no_witness, result_arg
from theorycheck.numerics.backend import as_array, to_numpy
from theorycheck.numerics.parallel import fan_out, progress_bar, resolve_executor
from theorycheck.numerics.rounding import U, gamma, norm2, round_down, round_up
from theorycheck.numerics.validation import bool_arg, integer_arg, real_arg, refuse_size
from theorycheck.results import (
    CheckResult,
    Outcome,
    Rigor,
    Witness,
    claim_mismatches,
    register_result,
    register_verifier,
    verification,
)

__all__ = ["TrainingSetAudit", "check_training_set", "audit_training_set", "verify_training_set_audit"]


@register_result
@dataclasses.dataclass(frozen=True, eq=False)
class TrainingSetAudit(CheckResult):
    """Pairs of a training set that force every ``η``-accurate interpolant to be unstable.

    Iterating over it (or indexing with an int) yields ``(i, j, lower_bound)``
    with ``i < j``, ``‖A(x_i − x_j)‖ ≤ η``, ``‖x_i − x_j‖ > 2η`` and
    ``lower_bound = (‖x_i − x_j‖ − 2η)/η``, the bound on ``L^η`` at ``Ax_i``
    of any map with ``‖Ψ(Ax_k) − x_k‖ < η`` on the set; sorted by decreasing
    bound. ``outcome`` is ``violated`` when such pairs exist.

    The images of every reported pair are stored in the witness, so that
    ``theorycheck verify`` re-proves each pair's claims; that the stored images are
    images ``i, j`` of the training set, and that no other pair qualifies, needs the
    set itself (``verify_result(result, X=...)``).

    Theorem: universal instability theorem, training version (docs/theory.md §3).
    Rigor: certified-float64: each reported pair's ``‖A(x_i − x_j)‖ ≤ η`` is proven in
    ball arithmetic and ``‖x_i − x_j‖ > 2η`` from a rigorous enclosure; the search for
    candidates (a ``holds`` outcome) allows for the float64 error of ``AX`` (Higham's
    bound for dense ``A``; an FFT error model for transforms).
    """

    #: how the audit ran and what it saw of the set (not re-checkable without the set)
    informational = frozenset({"elapsed_s"})

    pairs: tuple = ()
    eta: float = math.nan

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "pairs", tuple((int(i), int(j), float(b)) for i, j, b in self.pairs))

    def __iter__(self) -> Iterator[tuple[int, int, float]]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (int, np.integer, slice)):
            return self.pairs[key]
        return self.values[key]


#: candidate pairs whose measurement distance is re-checked in ball arithmetic
_AUDIT_BALL_MAX = 1024
#: image entries stored in an audit's witness (the two images of each stored pair)
_AUDIT_STORE = 2 ** 21
_SCREENS = {
    "dense": "Higham's bound 4γ·‖|A||x|‖ on each float64 product Ax",
    "transform": "the FFT error model 64(⌈log₂N⌉ + 2)·u·‖x‖ on each float64 transform",
    "opaque": "a float64 error model 64(⌈log₂N⌉ + 2)·u·‖A‖·‖x‖ (A opaque: numerical)",
}


def _screen(A: Any, rec: Mapping[str, Any]) -> tuple[Callable, Callable, str]:
    """``(apply, rho, kind)``: float64 measurements of a chunk (real-stacked rows) and a bound
    ``rho`` on each row's error ``‖fl(Ax) − Ax‖`` for the candidate search."""
    kind = rec["kind"]
    m, N = A.shape
    if kind == "dense":
        M = np.asarray(rec["matrix"])
        absM = np.abs(M)
        g = gamma(2 * N + 8)

        def apply(Xc: np.ndarray) -> np.ndarray:
            return Xc.reshape(Xc.shape[0], -1) @ M.T

        def rho(Xc: np.ndarray) -> np.ndarray:
            return 4.0 * g * row_norms(np.abs(Xc.reshape(Xc.shape[0], -1)) @ absM.T)

        return apply, rho, "dense"
    c = fft_error_model(N)
    if kind == "opaque":
        c *= float(A.norm(exact=False, iters=50)) * 2.0

    def apply_t(Xc: np.ndarray) -> np.ndarray:
        return apply_operator(A, Xc).reshape(Xc.shape[0], -1)

    return apply_t, (lambda Xc: c * row_norms(Xc)), ("opaque" if kind == "opaque" else "transform")


def _audit_block(Yi: np.ndarray, ni: np.ndarray, ri: np.ndarray, Yj: np.ndarray, nj: np.ndarray,
                 rj: np.ndarray, eta: float, gm: float, i0: int, j0: int, diag: bool) -> np.ndarray:
    """Candidate pairs of one block: expanded squared distances within ``(η + ρ_i + ρ_j)²`` plus
    the rounding of the expansion."""
    G = Yi @ Yj.T
    G *= -2.0
    G += ni[:, None]
    G += nj[None, :]
    thr = (eta + ri[:, None] + rj[None, :]) ** 2 * (1.0 + 8 * U) + gm * (ni[:, None] + nj[None, :]) + 1e-300
    mask = G <= thr
    if not mask.any():  # the usual block: no candidate (skips triu and nonzero, most of this step)
        return np.empty((0, 2), dtype=np.int64)
    if diag:
        mask = np.triu(mask, 1)
    ii, jj = np.nonzero(mask)
    return np.stack([ii + i0, jj + j0], 1) if ii.size else np.empty((0, 2), dtype=np.int64)


def _audit_row_task(Yrows: np.ndarray, nrows: np.ndarray, rrows: np.ndarray, Ytail: np.ndarray, ntail: np.ndarray,
                    rtail: np.ndarray, eta: float, gm: float, i0: int, bs: int) -> np.ndarray:
    """The candidates of one row block against every later row (blocks of ``bs`` columns)."""
    out = []
    for j0 in range(0, Ytail.shape[0], bs):
        j1 = min(j0 + bs, Ytail.shape[0])
        out.append(_audit_block(Yrows, nrows, rrows, Ytail[j0:j1], ntail[j0:j1], rtail[j0:j1], eta, gm,
                                i0, i0 + j0, j0 == 0))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)


def check_training_set(A: Any, X: Any, *, eta: float, block_size: int = 1024, executor: Any = None,
                       progress: bool = True) -> TrainingSetAudit:
    """Find every pair of a training set that makes any ``η``-accurate interpolant unstable.

    A pair ``i < j`` is reported when ``‖A(x_i − x_j)‖ ≤ η`` and
    ``‖x_i − x_j‖ > 2η``: any map with ``‖Ψ(Ax_k) − x_k‖ < η`` on both has
    ``L^ε(Ψ, Ax_i) ≥ (‖x_i − x_j‖ − 2η)/ε`` for ``ε ≥ η`` (the pair's
    ``lower_bound`` is the value at ``ε = η``). Checkable before training.

    Computation: ``Y = AX`` once (float64, ``n × m``, real-stacked for complex
    data; ``X`` is read chunk by chunk, never copied whole), then the upper
    triangle of the Gram matrix of ``Y`` in ``block_size × block_size`` blocks
    (one GEMM per block), keeping as candidates the pairs whose expanded
    distance is within ``η`` plus the float64 error of ``Ax_i`` and ``Ax_j``
    (``values["screen"]``: Higham's bound for a dense ``A``, an FFT error model
    for transforms: images near ``ker A`` have ``‖Ax‖`` tiny but ``|A||x|``
    not) and the rounding of the expansion. Every candidate is then decided
    rigorously: ``‖x_i − x_j‖`` from an enclosure of the float64 difference,
    ``‖A(x_i − x_j)‖`` in ball arithmetic on the exact operator (at most 1024
    candidates; more are counted as unconfirmed). The two images of each
    reported pair are stored in the witness (up to 2²¹ entries; the pairs with
    the largest bounds first), so that ``theorycheck verify`` re-proves them.

    Parameters
    ----------
    A : array_like or LinearOperator
    X : array_like
        Training images, shape ``(n, *A.in_shape)``.
    eta : float
        ``η > 0``.
    block_size : int
        Rows per block.
    executor : None, "processes" or an executor, optional
        Runs the row blocks: serially in this process (default), on a local
        process pool (``"processes"``), or on any object with ``submit`` (a
        :class:`concurrent.futures.Executor`, a Dask client).
    progress : bool
        Show a tqdm bar over row blocks.

    Returns
    -------
    TrainingSetAudit
        ``violated`` with the pairs ``(i, j, lower_bound)`` (largest bound
        first) when any are proven, ``holds`` when no candidate remains,
        ``inconclusive`` when some are within rounding of a boundary.

    Theorem: universal instability theorem, training version (docs/theory.md §3; seed 004).
    Rigor: certified-float64: each reported pair is proven (ball arithmetic and
    rigorous enclosures); a ``holds`` outcome relies on the screen's error bound
    (rigorous for dense ``A``, an FFT error model for transforms); numerical for
    opaque operators.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0, 0.0]])
    >>> X = np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [5.0, 0.0, 0.0]])
    >>> [(i, j, round(b, 9)) for i, j, b in check_training_set(A, X, eta=0.1, progress=False)]
    [(0, 1, 8.0)]
    """

    A = operator_arg(A)
    eta = real_arg(eta, "eta")
    block_size = integer_arg(block_size, "block_size")
    progress = bool_arg(progress, "progress")
    Xv = _training_set_arg(A, X)
    rec = operator_record(A)
    apply, rho_fn, screen = _screen(A, rec)
    with resolve_executor(executor) as ex:  # an unusable executor is refused before any work
        Y, n2, rho = _measure(Xv, apply, rho_fn)
        cand = _candidates(Y, n2, rho, eta, block_size, ex, progress)
    del Y
    rows = _Rows(Xv)
    far, borderline = _far_pairs(cand, rows, eta)
    unconfirmed = max(0, len(far) - _AUDIT_BALL_MAX)
    pairs, undecided = _proven_pairs(far[:_AUDIT_BALL_MAX], rows, rec, eta, apply, rho_fn)
    keep = pairs[:max(1, _AUDIT_STORE // (2 * math.prod(A.in_shape)))] if pairs else []
    core = tuple(A.in_shape)
    stored = (np.stack([np.stack([rows(i), rows(j)]) for _, i, j, _, _ in keep]) if keep
              else np.zeros((0, 2) + core))
    w: dict[str, Any] = {
        "pair_images": stored,
        "pair_index": np.array([[i, j] for _, i, j, _, _ in keep], dtype=np.int64).reshape(-1, 2),
        "operator": rec, "eta": eta, "n": int(Xv.shape[0]), "block_size": block_size,
        "candidates": int(cand.shape[0]), "borderline": int(borderline + undecided),
        "unconfirmed": int(unconfirmed), "pairs_found": len(pairs), "screen": screen}
    if not _ball_rigorous(rec):
        w["pair_measure"] = np.array([[lo, hi] for _, _, _, lo, hi in keep], dtype=np.float64).reshape(-1, 2)
    return _assemble_audit(w)


def audit_training_set(A: Any, X: Any, *, eta: float, block_size: int = 1024, executor: Any = None,
                       progress: bool = True) -> TrainingSetAudit:
    """Deprecated name of :func:`check_training_set` (kept for one release; emits ``DeprecationWarning``).

    Theorem: universal instability theorem, training version (docs/theory.md §3).
    Rigor: as :func:`check_training_set`.
    """
    warnings.warn("audit_training_set is deprecated; use check_training_set (same arguments)",
                  DeprecationWarning, stacklevel=2)
    return check_training_set(A, X, eta=eta, block_size=block_size, executor=executor, progress=progress)


def _ball_rigorous(rec: Mapping[str, Any]) -> bool:
    """Whether the operator record is evaluated in ball arithmetic (else: float64 with the screen's bound)."""
    return rec.get("kind") != "opaque" and Ball.available(rec)


def _training_set_arg(A: Any, X: Any) -> np.ndarray:
    """``X`` as an array ``(n, *A.in_shape)`` with ``n ≥ 2`` (not converted: rows are, chunk by chunk)."""
    if X is None or isinstance(X, (str, bytes)):
        raise InvalidArgument("X must be an array of training images (n, *A.in_shape)")
    try:  # no float64 copy of the whole set: rows are converted chunk by chunk
        Xv = np.asarray(to_numpy(X))
    except TheorycheckError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise InvalidArgument(f"X could not be read as an array: {exc}") from exc
    if Xv.dtype.kind not in "biufc":
        raise InvalidArgument(f"X has dtype {Xv.dtype}: pass numbers")
    core = tuple(A.in_shape)
    if Xv.ndim != len(core) + 1 or Xv.shape[1:] != core:
        raise InvalidArgument(f"X has shape {Xv.shape} but a training set of A's images has shape "
                              f"(n, {', '.join(map(str, core))})")
    if Xv.shape[0] < 2:
        raise InvalidArgument("X holds fewer than two images: nothing to compare")
    refuse_size(float(Xv.shape[0]) * A.shape[0]
                * (2 if Xv.dtype.kind == "c" or np.dtype(A.dtype).kind == "c" else 1)
                * 8, 2 ** 31, "the measurement matrix AX (bytes)", "audit a subset")
    return Xv


class _Rows:
    """Exact float64 conversion of single images of the set (values float64 cannot hold are refused)."""

    def __init__(self, Xv: np.ndarray) -> None:
        self.Xv = Xv

    def __call__(self, idx: Any) -> np.ndarray:
        return as_array(self.Xv[idx], "X")


def _measure(Xv: np.ndarray, apply: Callable, rho_fn: Callable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``Y = AX`` (real-stacked rows: ``Re⟨y_i, y_j⟩`` from one real GEMM of ``[Re, Im]``), ``‖y_i‖²``
    and each row's error bound ``ρ_i``; ``X`` is converted 1024 rows at a time."""
    rows = _Rows(Xv)
    chunks, rhos = [], []
    for s0 in range(0, Xv.shape[0], 1024):
        Xc = rows(slice(s0, s0 + 1024))
        with np.errstate(over="ignore", invalid="ignore"):
            Yc = apply(Xc)
            rhos.append(rho_fn(Xc))
        chunks.append(np.concatenate([Yc.real, Yc.imag], 1) if np.iscomplexobj(Yc) else Yc)
    Y = np.ascontiguousarray(np.concatenate(chunks))
    rho = np.concatenate(rhos)
    if not (np.all(np.isfinite(Y)) and np.all(np.isfinite(rho))):
        raise InvalidArgument("A·X overflows float64: rescale A or the images")
    with np.errstate(over="ignore"):
        n2 = np.einsum("ij,ij->i", Y, Y)
    if not np.all(np.isfinite(n2)):
        raise InvalidArgument("‖A·x‖² overflows float64: rescale A or the images")
    return Y, n2, rho


def _candidates(Y: np.ndarray, n2: np.ndarray, rho: np.ndarray, eta: float, block_size: int, executor: Any,
                progress: bool) -> np.ndarray:
    """Index pairs ``(i, j)``, ``i < j``, whose expanded distance is within the screen's bound of ``η``."""
    gm = 4.0 * gamma(Y.shape[1] + 4)
    starts = list(range(0, Y.shape[0], block_size))
    tasks = [(Y[i0:i0 + block_size], n2[i0:i0 + block_size], rho[i0:i0 + block_size], Y[i0:], n2[i0:], rho[i0:],
              eta, gm, i0, block_size) for i0 in starts]
    found: list[np.ndarray] = []
    bar = progress_bar(len(starts), progress, "check_training_set")
    try:
        for part in fan_out(_audit_row_task, tasks, executor=executor):
            found.append(part)
            bar.update(1)
    finally:
        bar.close()
    return np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)


def _far_pairs(cand: np.ndarray, rows: _Rows, eta: float) -> tuple[list[tuple[float, int, int]], int]:
    """Candidates with ``‖x_i − x_j‖ > 2η`` proven (``(D_lo, i, j)``, largest first), and how many are
    undecided."""
    far, borderline = [], 0
    for i, j in cand.tolist():
        _, D_lo, D_hi = dist(rows(i), rows(j))
        far_apart = negated(enclosure_below(D_lo, D_hi, 2 * eta, strict=False))
        if far_apart is True:
            far.append((D_lo, i, j))
        elif far_apart is None:
            borderline += 1
    far.sort(key=lambda t: (-t[0], t[1], t[2]))
    return far, borderline


def _proven_pairs(far: list[tuple[float, int, int]], rows: _Rows, rec: Mapping[str, Any], eta: float,
                  apply: Callable, rho_fn: Callable) -> tuple[list[tuple], int]:
    """The pairs with ``‖A(x_i − x_j)‖ ≤ η`` proven (ball arithmetic on the exact operator, else the
    float64 product with the screen's bound): ``(bound, i, j, a_lo, a_hi)``, largest bound first; and
    how many are undecided."""
    ball = Ball(rec) if _ball_rigorous(rec) else None
    pairs, borderline = [], 0
    for s in range(0, len(far), 64):
        part = far[s:s + 64]
        imgs = np.stack([np.stack([rows(i), rows(j)]) for _, i, j in part])
        if ball is not None:
            balls = ball.apply(imgs.reshape((-1,) + imgs.shape[2:]))
            encl = [ball_distance(balls[2 * k], balls[2 * k + 1]) for k in range(len(part))]
        else:
            encl = []
            for k in range(len(part)):
                with np.errstate(over="ignore", invalid="ignore"):
                    dd = imgs[k, 0] - imgs[k, 1]
                    v = norm2(apply(dd[None]))
                    r = float(rho_fn(dd[None])[0])
                encl.append((max(0.0, round_down(v - r)), round_up(v + r)))
        for (D_lo, i, j), (a_lo, a_hi) in zip(part, encl):
            within = enclosure_below(a_lo, a_hi, eta, strict=False)
            if within is True:
                pairs.append((theorem_bound_value(D_lo, eta, eta), i, j, a_lo, a_hi))
            elif within is None:
                borderline += 1
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    return pairs, borderline


def _assemble_audit(w: Mapping[str, Any]) -> TrainingSetAudit:
    """Every pair, value, the outcome, rigor and message of an audit from its witness (deterministic)."""
    rec, eta = w["operator"], float(w["eta"])
    imgs = np.asarray(w["pair_images"])
    idx = np.asarray(w["pair_index"])
    P = idx.shape[0]
    rigorous = "pair_measure" not in w
    if rigorous and P:
        ball = Ball(rec)
        balls = ball.apply(imgs.reshape((-1,) + imgs.shape[2:]))
        encl = [ball_distance(balls[2 * k], balls[2 * k + 1]) for k in range(P)]
    else:
        encl = [(float(lo), float(hi)) for lo, hi in np.asarray(w.get("pair_measure", np.zeros((0, 2))))]
    rows = []
    for k in range(P):
        D, D_lo, _ = dist(imgs[k, 0], imgs[k, 1])
        a_lo, a_hi = encl[k]
        if a_hi <= eta and D_lo > 2 * eta:  # both proven (the enclosures decide it)
            rows.append((theorem_bound_value(D_lo, eta, eta), int(idx[k, 0]), int(idx[k, 1]), D, a_lo, a_hi))
    rows.sort(key=lambda t: (-t[0], t[1], t[2]))
    pairs = tuple((i, j, b) for b, i, j, _, _, _ in rows)
    found, n = int(w["pairs_found"]), int(w["n"])
    borderline, unconfirmed = int(w["borderline"]), int(w["unconfirmed"])
    values = {"n": n, "candidates": int(w["candidates"]), "borderline": borderline, "unconfirmed": unconfirmed,
              "pairs_found": found, "block_size": int(w["block_size"]),
              "pair_norms": np.array([[r[3], r[5]] for r in rows], dtype=np.float64).reshape(-1, 2),
              "pair_measurement_bounds": np.array([[r[4], r[5]] for r in rows], dtype=np.float64).reshape(-1, 2),
              "screen": _SCREENS[w["screen"]], "operator": record_text(rec)}
    wit = Witness("training_pairs", dict(w))
    rigor = Rigor.CERTIFIED_FLOAT64 if rigorous else Rigor.NUMERICAL
    extra = ""
    if borderline:
        extra += f"; {borderline} candidate pair(s) within rounding of a boundary"
    if unconfirmed:
        extra += f"; {unconfirmed} further candidate pair(s) not re-checked (more than {_AUDIT_BALL_MAX})"
    if pairs:
        i, j, b = pairs[0]
        more = f" (the {len(pairs)} with the largest bounds are stored)" if found > len(pairs) else ""
        msg = (f"{found} pair(s) with ‖A(x_i − x_j)‖ ≤ η = {fmt(eta, 3)} and ‖x_i − x_j‖ > 2η{more}: any map "
               f"η-accurate on the set is unstable (worst: ({i}, {j}), L^η ≥ {fmt(b, 4)}){extra}")
        return TrainingSetAudit("training_set_audit", Outcome.VIOLATED, rigor, msg, values, wit, THEOREM,
                                pairs=pairs, eta=eta)
    if borderline or unconfirmed:
        return TrainingSetAudit("training_set_audit", Outcome.INCONCLUSIVE, Rigor.NUMERICAL,
                                f"no pair proven among {n} images at η = {fmt(eta, 3)}{extra}", values, wit,
                                THEOREM, pairs=(), eta=eta)
    return TrainingSetAudit("training_set_audit", Outcome.HOLDS, rigor,
                            f"no pair with ‖A(x_i − x_j)‖ ≤ η = {fmt(eta, 3)} and ‖x_i − x_j‖ > 2η "
                            f"among {n} images", values, wit, THEOREM, pairs=(), eta=eta)


@register_verifier("training_set_audit")
def verify_training_set_audit(result: CheckResult, X: Any = None) -> CheckResult:
    """Re-check a saved :func:`check_training_set` result.

    Every stored pair is re-proven from its two stored images: ``‖x_i − x_j‖ > 2η``
    from a rigorous enclosure, ``‖A(x_i − x_j)‖ ≤ η`` in ball arithmetic on the stored
    operator, the bound, the order, the verdict, rigor and message; a pair whose
    index repeats with a different image is rejected. That the images are images
    ``i, j`` of the training set, and that no other pair qualifies, needs the set:
    pass ``X`` to compare the images and re-run the audit.

    Theorem: universal instability theorem, training version (docs/theory.md §3).
    Rigor: the saved result's (never above it).
    """
    result_arg(result)
    name = "verify:training_set_audit"
    w = result.witness
    if not isinstance(result, TrainingSetAudit) or w is None or w.kind != "training_pairs":
        return no_witness(name, result, "training_pairs")
    d = w.data
    chk = WitnessCheck(d)
    want = {"pair_images", "pair_index", "operator", "eta", "n", "block_size", "candidates", "borderline",
            "unconfirmed", "pairs_found", "screen"}
    if not (set(d) == want or set(d) == want | {"pair_measure"}):
        chk.problems.append(f"witness: fields {sorted(d)}, expected {sorted(want)}")
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    rec = chk.operator()
    chk.number("eta", positive=True)
    n = chk.number("n", minimum=2, integer=True)
    chk.number("block_size", minimum=1, integer=True)
    for k in ("candidates", "borderline", "unconfirmed"):
        chk.number(k, minimum=0, integer=True)
    found = chk.number("pairs_found", minimum=0, integer=True)
    chk.text("screen", tuple(_SCREENS))
    imgs = chk.array("pair_images")
    idx = chk.array("pair_index", kinds="iu", finite=False, ndim=2)
    if rec is not None and imgs is not None and idx is not None and n is not None:
        _pair_problems(chk, d, rec, imgs, idx, n, found)
    if chk.problems:
        return verification(result, chk.problems, rederived="nothing: the witness is malformed")
    problems = claim_mismatches(result, _assemble_audit(d))
    rerun = False
    if X is not None and not problems:
        rerun, more = _rerun_on_set(result, d, rec, X)
        problems += more
    not_re = "" if rerun else ("that the stored images are images i, j of the training set, and the search over "
                               "the whole set (n, candidates, that no other pair qualifies): pass X= to re-run")
    if rec is not None and rec.get("kind") == "opaque" or "pair_measure" in d:
        not_re += "; the pairs' measurement distances (no ball evaluation of the operator)"
    return verification(result, problems, rederived="each stored pair's distances (enclosures, ball "
                        "arithmetic), bound and order, the verdict, rigor and message",
                        not_rechecked=not_re.strip("; "))


def _pair_problems(chk: WitnessCheck, d: Mapping[str, Any], rec: Mapping[str, Any], imgs: np.ndarray,
                   idx: np.ndarray, n: int, found: int | None) -> None:
    """Check the stored pairs: shapes, ``0 ≤ i < j < n``, no pair twice, each image stored with one
    value, and ``pair_measure`` present exactly when the operator has no ball evaluation."""
    core = tuple(rec["mask"].shape if "mask" in rec else rec["in_shape"])
    P = idx.shape[0]
    if imgs.shape != (P, 2) + core or idx.shape != (P, 2):
        chk.bad("pair_images", f"shape {imgs.shape} does not hold two images of shape {core} per pair")
    elif found is not None and P > found:
        chk.bad("pairs_found", f"{found} is below the {P} stored pairs")
    else:
        seen: dict[int, np.ndarray] = {}
        for k, (i, j) in enumerate(idx.tolist()):
            if not (0 <= i < j < n):
                chk.bad("pair_index", f"pair {k} = ({i}, {j}) is not 0 ≤ i < j < n = {n}")
                break
            for t, v in ((0, i), (1, j)):
                if v in seen and not np.array_equal(seen[v], imgs[k, t]):
                    chk.bad("pair_images", f"image {v} is stored twice with different values")
                seen.setdefault(v, imgs[k, t])
        if len({tuple(p) for p in idx.tolist()}) != P:
            chk.bad("pair_index", "a pair is stored twice")
    rigorous = _ball_rigorous(rec)
    if rigorous == ("pair_measure" in d):
        chk.bad("pair_measure", "present exactly when the operator has no ball evaluation")
    elif not rigorous:
        pm = chk.array("pair_measure", kinds="f", shape=(P, 2))
        if pm is not None and not bool(np.all(pm[:, 0] <= pm[:, 1])):
            chk.bad("pair_measure", "lower bounds above upper bounds")


def _rerun_on_set(result: CheckResult, d: Mapping[str, Any], rec: Any, X: Any) -> tuple[bool, list[str]]:
    """Compare the stored images with the training set ``X`` and re-run the audit on it: (re-run?, problems)."""
    problems: list[str] = []
    try:
        Xv = as_array(X, "X")
        if Xv.ndim < 1:
            raise InvalidArgument("X must be the training set (n, *A.in_shape)")
        op = record_op(rec)
        if op is None:
            return False, ["cannot re-run the audit: the operator is opaque (not stored)"]
        if Xv.shape[0] != int(d["n"]):
            return False, [f"X holds {Xv.shape[0]} images, the file says n = {d['n']}"]
        for k, (i, j) in enumerate(np.asarray(d["pair_index"]).tolist()):
            for t, v in ((0, i), (1, j)):
                if not np.array_equal(as_array(Xv[v], "X"), np.asarray(d["pair_images"])[k, t]):
                    problems.append(f"pair_images: stored image {v} is not X[{v}]")
        fresh = check_training_set(op, Xv, eta=float(d["eta"]), block_size=int(d["block_size"]), progress=False)
        problems += [f"re-running the audit on X: {p}" for p in claim_mismatches(result, fresh)]
        return True, problems
    except TheorycheckError as exc:
        return False, problems + [f"cannot re-run the audit on X: {exc}"]
