"""The batched perturbation searches on the model (torch): DeepFool, gradient directions, line search.

Heuristics run in the search copy's dtype on the search device; what they find
is certified by :func:`~theorycheck.classification.search_minimal_perturbation`
(see :mod:`theorycheck.classification`). Imports torch.

Theorem: docs/theory.md §5 (DeepFool, fast gradient and line searches of seeds 001/003).
Rigor: numerical (heuristics).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from theorycheck.classification._evaluation import chunks, fresh_tensor, logits

__all__ = ["Searcher", "squared_loss_logit_grad", "GRID", "BISECT_RTOL", "PUSH", "PUSH_MAX"]

#: α/‖x‖ values scanned by the line searches (ratio 1.62 between neighbours)
GRID = np.logspace(-6.0, 4.0, 49)
BISECT_RTOL = 1e-6
#: DeepFool's extra step length, relative to ‖x‖ (escapes slow one-sided approaches). The
#: authors' code adds 1e-4 in pixel units of [0, 255] images (about 1e-8 ‖x‖), foolbox 1e-4 in
#: the input's units; 1e-6 ‖x‖ is a few float32 roundings of x and inflates ‖r‖ by about
#: 1e-6 ‖x‖ per step (1e-4 did: 0.1-0.2 % of ‖r‖ on digit CNNs). The certification does not
#: depend on it (the final aim and repairs of the search put x + r past the rounding allowance).
#: The push doubles with every step a sample needs (capped at PUSH_MAX): a piecewise-linear
#: model can trap the iteration at a kink of its boundary, which a fixed 1e-6 does not escape.
PUSH = 1e-6
PUSH_MAX = 1e-2
#: input entries per batched pass of the searches (memory bound)
ENTRIES = 1 << 22



def squared_loss_logit_grad(z: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``∇_z ‖softmax(z) − e_k‖²`` divided by ``2 p_j2²`` (``j2`` the runner-up): same direction, no underflow.

    With ``q_j = exp(z_j − z_j2)`` (``j ≠ k``), ``Q = Σ q_j``, ``S = Σ q_j²``:
    ``g_j = q_j (q_j + p_k Q − p_j2 S)`` for ``j ≠ k`` and ``g_k = −p_k (Q² + S)``.

    Theorem: none (infrastructure for docs/theory.md §5).
    Rigor: numerical (a search direction).
    """
    with np.errstate(all="ignore"):
        n, C = z.shape
        rows = np.arange(n)
        zo = z.copy()
        zo[rows, k] = -np.inf
        j2 = np.argmax(zo, axis=1)
        q = np.exp(zo - zo[rows, j2][:, None])  # 0 at k
        Q = q.sum(axis=1)
        S = (q * q).sum(axis=1)
        zmax = np.max(z, axis=1)
        lse = zmax + np.log(np.exp(z - zmax[:, None]).sum(axis=1))
        pk = np.exp(z[rows, k] - lse)
        pj2 = np.exp(z[rows, j2] - lse)
        g = q * (q + (pk * Q)[:, None] - (pj2 * S)[:, None])
        g[rows, k] = -pk * (Q * Q + S)
        return np.where(np.isfinite(g), g, 0.0)


class Searcher:
    """Batched perturbation searches on ``model`` in ``dtype`` on ``device``.

    Theorem: docs/theory.md §5 (DeepFool, fast gradient, line search along a direction).
    Rigor: numerical (heuristics; :mod:`theorycheck.classification` certifies what they find).
    """

    def __init__(self, model: Any, dtype: Any, device: Any):
        self.model = model
        self.dtype = dtype
        self.device = device
        self.batched_grads = True  # is_grads_batched works for this model (until it fails once)

    def tensor(self, a: np.ndarray) -> Any:
        return fresh_tensor(a, self.dtype, self.device)

    def logits_at(self, X: np.ndarray) -> np.ndarray:
        """Float64 copies of the batched logits at the rows of ``X`` (search precision)."""
        d = int(np.prod(X.shape[1:])) if X.ndim > 1 else 1
        outs = []
        with torch.no_grad():
            for sl in chunks(X.shape[0], max(1, ENTRIES // max(d, 1))):
                outs.append(logits(self.model, self.tensor(X[sl])).detach().to("cpu", torch.float64).numpy())
        return np.concatenate(outs, axis=0)

    def margin_grads(self, x: Any, out: Any, G: Any) -> Any:
        """``G`` (J, n, C) cotangents → (J, n, *shape) gradients.

        On CUDA in one vectorised backward (``is_grads_batched``) where the
        model allows it; on the CPU one backward per cotangent, which is faster
        there (measured 1.6× on a 28 × 28 CNN, batch 64, and no vmap start-up).
        """
        if self.batched_grads and getattr(x.device, "type", "cpu") != "cpu":
            try:
                return torch.autograd.grad(out, x, grad_outputs=G, is_grads_batched=True,
                                           retain_graph=True)[0]
            except (RuntimeError, NotImplementedError):
                self.batched_grads = False
        return torch.stack([torch.autograd.grad(out, x, grad_outputs=G[j], retain_graph=True)[0]
                            for j in range(G.shape[0])])

    # -- DeepFool ---------------------------------------------------------------------
    def deepfool(self, X: np.ndarray, k: np.ndarray, cand: np.ndarray, overshoot: float,
                 max_iter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = X.shape[0]
        dev = self.device
        X0 = self.tensor(X)
        kt = torch.as_tensor(k, device=dev)
        ct = torch.as_tensor(cand, device=dev)
        r_tot = torch.zeros_like(X0)
        iters = np.zeros(n, dtype=np.int64)
        status = np.full(n, "not_found", dtype=object)
        # a small push past the linearised boundary, relative to ‖x‖ (like the 1e-4 of the
        # authors' code, but scale-free): a step landing exactly on it (linear models,
        # overshoot 0) still crosses, and concave boundaries are not approached forever
        xnorm = X0.reshape(n, -1).norm(dim=1)
        push = PUSH * torch.where(xnorm > 0, xnorm, torch.ones_like(xnorm))
        active = torch.arange(n, device=dev)
        K = ct.shape[1]
        for it in range(max_iter + 1):
            if active.numel() == 0:
                break
            xa = (X0[active] + (1.0 + overshoot) * r_tot[active]).detach().requires_grad_(True)
            with torch.enable_grad():  # a clone: in-place first layers must not touch the leaf
                out = logits(self.model, xa.clone())
            na = active.numel()
            finite = torch.isfinite(out).all(dim=1)
            ka = kt[active]
            done = finite & (out.argmax(dim=1) != ka)
            idx_done = active[done].cpu().numpy()
            status[idx_done] = "found"
            iters[idx_done] = it
            idx_bad = active[~finite].cpu().numpy()
            status[idx_bad] = "nan_during_search"
            iters[idx_bad] = it
            keep = finite & ~done
            if it == max_iter or not bool(keep.any()):
                iters[active[keep].cpu().numpy()] = it
                break
            ca = ct[active]
            rows = torch.arange(na, device=dev)
            # cotangents of the margins f_cj − f_k, j = 1..K-1 (c_j ≠ k: no index collides)
            G = torch.zeros((K - 1, na, out.shape[1]), dtype=out.dtype, device=dev)
            jj = torch.arange(K - 1, device=dev)[:, None].expand(K - 1, na)
            rr = rows[None, :].expand(K - 1, na)
            G[jj, rr, ca[:, 1:].T] = 1.0
            G[jj, rr, ka[None, :].expand(K - 1, na)] = -1.0
            grads = self.margin_grads(xa, out, G).detach()  # (K-1, na, *shape)
            w = grads.transpose(0, 1).reshape(na, K - 1, -1)
            f = (out.gather(1, ca[:, 1:]) - out.gather(1, ka[:, None])).detach()  # < 0
            wn = w.norm(dim=2)
            dist = torch.where(wn > 0, f.abs() / torch.where(wn > 0, wn, torch.ones_like(wn)),
                               torch.full_like(wn, float("inf")))
            dist = torch.where(torch.isnan(dist), torch.full_like(dist, float("inf")), dist)
            jstar = dist.argmin(dim=1)
            d_best = dist[rows, jstar]
            w_best = w[rows, jstar]
            n_best = wn[rows, jstar]
            stuck = ~torch.isfinite(d_best) | ~torch.isfinite(w_best).all(dim=1)
            idx_stuck = active[keep & stuck].cpu().numpy()
            status[idx_stuck] = "zero_gradient"
            iters[idx_stuck] = it
            move = keep & ~stuck
            grow = min(2.0 ** it, PUSH_MAX / PUSH)  # doubles per step: escapes kinks, negligible otherwise
            scale = (d_best + grow * push[active]) / torch.where(n_best > 0, n_best, torch.ones_like(n_best))
            step = (scale[:, None] * w_best).reshape(xa.shape)
            sel = active[move]
            r_tot[sel] = r_tot[sel] + step[move]
            active = sel
        R = ((1.0 + overshoot) * r_tot).detach().to("cpu", torch.float64).numpy()
        return R, iters, status

    # -- directions -----------------------------------------------------------------
    def fast_gradient_direction(self, X: np.ndarray, k: np.ndarray) -> np.ndarray:
        x = self.tensor(X).requires_grad_(True)
        with torch.enable_grad():
            out = logits(self.model, x.clone())
        z = out.detach().to("cpu", torch.float64).numpy()
        g = squared_loss_logit_grad(z, k)
        G = torch.as_tensor(g, dtype=out.dtype, device=self.device)
        v = torch.autograd.grad(out, x, grad_outputs=G)[0]
        return v.detach().to("cpu", torch.float64).numpy()

    # -- line search ----------------------------------------------------------------
    def line_search(self, X: np.ndarray, k: np.ndarray, V: np.ndarray, scale: np.ndarray,
                    max_iter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Smallest ``α`` (grid, then bisection) with ``k̂(x + α v) ≠ k``; ``V`` rows of unit norm.

        Evaluated in batches of at most about 4M input entries (sample and grid
        point pairs), whatever the sample size.
        """
        n = X.shape[0]
        shape = X.shape[1:]
        ones = (1,) * len(shape)
        d = int(np.prod(shape)) if shape else 1
        G = len(GRID)
        alphas = scale[:, None] * GRID[None, :]  # (n, G)
        flips = np.zeros((n, G), dtype=bool)
        finite = np.zeros((n, G), dtype=bool)
        ii = np.repeat(np.arange(n), G)
        gg = np.tile(np.arange(G), n)
        per = max(1, ENTRIES // max(d, 1))
        with torch.no_grad():
            for sl in chunks(n * G, per):
                i, g = ii[sl], gg[sl]
                Z = self.tensor(X[i]) + self.tensor(alphas[i, g]).reshape((-1,) + ones) * self.tensor(V[i])
                L = logits(self.model, Z)
                fin = torch.isfinite(L).all(dim=1).cpu().numpy()
                pred = L.argmax(dim=1).cpu().numpy()
                finite[i, g] = fin
                flips[i, g] = fin & (pred != k[i])
        iters = np.zeros(n, dtype=np.int64)
        status = np.full(n, "not_found", dtype=object)
        status[~finite.any(axis=1)] = "nan_during_search"
        has = flips.any(axis=1)
        first = np.argmax(flips, axis=1)
        hi = np.where(has, alphas[np.arange(n), first], np.nan)
        lo = np.where(has & (first > 0), alphas[np.arange(n), np.maximum(first - 1, 0)], 0.0)
        status[has] = "found"
        active = np.flatnonzero(has)
        with torch.no_grad():
            for _ in range(max_iter):
                active = active[(hi[active] - lo[active]) > BISECT_RTOL * hi[active]]
                if active.size == 0:
                    break
                mid = 0.5 * (lo[active] + hi[active])
                fl = np.zeros(active.size, dtype=bool)
                for sl in chunks(active.size, per):
                    ia = active[sl]
                    Z = self.tensor(X[ia]) + self.tensor(mid[sl]).reshape((-1,) + ones) * self.tensor(V[ia])
                    L = logits(self.model, Z)
                    fin = torch.isfinite(L).all(dim=1).cpu().numpy()
                    fl[sl] = fin & (L.argmax(dim=1).cpu().numpy() != k[ia])  # NaN counts as no flip
                hi[active] = np.where(fl, mid, hi[active])
                lo[active] = np.where(fl, lo[active], mid)
                iters[active] += 1
        return np.where(has, hi, 0.0), iters, status
