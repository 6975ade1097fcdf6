"""train_reconstruction(adversarial=...): measurement-domain PGD training (Madry et al.)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck.errors import InvalidArgument  # noqa: E402
from theorycheck.nets.train import train_reconstruction  # noqa: E402
from theorycheck.problems.masks import variable_density_mask  # noqa: E402
from theorycheck.problems.operators import SubsampledFourier  # noqa: E402
from theorycheck.problems.radon import Radon, sparse_view_angles  # noqa: E402

N = 8


class LinearMeasurementNet(torch.nn.Module):
    """``Ψ(y) = W [Re y; Im y] + b`` reading ``(B, 2, m)``; records the inputs of its forward passes."""

    input = "measurements"

    def __init__(self, m: int, seed: int = 0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.lin = torch.nn.Linear(2 * m, N * N)
        with torch.no_grad():
            self.lin.weight.copy_(0.01 * torch.randn(self.lin.weight.shape, generator=gen))
            self.lin.bias.zero_()
        self.seen: list[torch.Tensor] = []

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        self.seen.append(inp.detach().clone())
        return self.lin(inp.reshape(inp.shape[0], -1)).reshape(-1, 1, N, N)


@pytest.fixture(scope="module")
def fourier():
    A = SubsampledFourier(variable_density_mask((N, N), 0.4, seed=0))
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(6, N, N))
    return A, X


def _gain(net: LinearMeasurementNet) -> float:
    return float(torch.linalg.matrix_norm(net.lin.weight.detach(), ord=2))


def test_adversarial_training_is_seeded_and_differs_from_plain(fourier):
    A, X = fourier
    m = A.out_shape[0]

    def run(adv: float, seed: int = 0) -> tuple[LinearMeasurementNet, tuple]:
        net = LinearMeasurementNet(m)
        h = train_reconstruction(net, A, X, epochs=3, lr=1e-2, batch_size=3, seed=seed, progress=False,
                                 adversarial=adv)
        return net, h.losses

    n1, l1 = run(0.1)
    n2, l2 = run(0.1)
    n0, _ = run(0.0)
    assert l1 == l2 and all(np.isfinite(l1))
    assert torch.equal(n1.lin.weight, n2.lin.weight)
    assert not torch.equal(n1.lin.weight, n0.lin.weight)


def test_the_attack_stays_in_budget_and_beats_random_noise(fourier):
    """The trained-on input of each step is ``y + e`` with ``‖e‖ ≤ eps`` and a loss above random noise."""
    A, X = fourier
    m = A.out_shape[0]
    eps, steps = 0.3, 3
    net = LinearMeasurementNet(m, seed=1)
    with torch.no_grad():  # a map with a large gain, so that the attack has something to find
        net.lin.weight.mul_(50.0)
    train_reconstruction(net, A, X, epochs=1, lr=1e-12, batch_size=6, seed=0, progress=False,
                         adversarial=eps, pgd_steps=steps)
    # one batch: `steps` attack passes, then the training pass on y + e
    assert len(net.seen) == steps + 1
    xt = torch.as_tensor(X, dtype=torch.float32)
    y = A.apply(xt.to(torch.complex64))
    clean = torch.stack([y.real, y.imag], 1)
    trained = net.seen[-1]
    # the permutation of the batch is unknown: match each trained-on input to its nearest clean one
    dist = torch.cdist(trained.reshape(6, -1), clean.reshape(6, -1))
    order = dist.argmin(1)
    assert sorted(order.tolist()) == list(range(6))
    e = trained - clean[order]
    norms = torch.linalg.vector_norm(e.reshape(6, -1), dim=1)
    assert bool(torch.all(norms <= eps * (1 + 1e-5))) and bool(torch.all(norms >= 0.9 * eps))

    def loss(inp: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return ((net.lin(inp.reshape(6, -1)).reshape(6, N, N) - xt[order]) ** 2).sum(dim=(1, 2))

    gen = torch.Generator().manual_seed(5)
    rnd = torch.randn((20,) + tuple(clean.shape), generator=gen)
    best_random = torch.stack([loss(clean[order] + eps * r / torch.linalg.vector_norm(r.reshape(6, -1), dim=1)
                                    .reshape(6, 1, 1)) for r in rnd]).max(0).values
    assert bool(torch.all(loss(trained) > best_random))


def test_adversarial_training_lowers_the_gain_on_a_kernel_pair(fourier):
    """Fitting a near-kernel pair needs a large gain; the adversarial objective (worst ‖e‖ ≤ ε adds about
    ε²‖W‖² to the loss) trades accuracy on the pair for a smaller one."""
    A, X = fourier
    m = A.out_shape[0]
    M = np.asarray(A.to_dense())
    _, _, Vt = np.linalg.svd(np.vstack([M.real, M.imag]))
    z = Vt[-1].reshape(N, N)  # in ker A (the mask samples fewer than N² coefficients)
    pair = np.stack([X[0], X[0] + 2 * z / np.linalg.norm(z)])
    data = np.concatenate([X, np.repeat(pair, 3, 0)])
    gains = {}
    for adv in (0.0, 0.5):
        net = LinearMeasurementNet(m)
        train_reconstruction(net, A, data, epochs=60, lr=1e-2, batch_size=len(data), seed=0, progress=False,
                             adversarial=adv)
        gains[adv] = _gain(net)
    assert gains[0.5] < 0.8 * gains[0.0]


def test_real_operator_adversarial_training_runs():
    A = Radon(N, sparse_view_angles(4))
    X = np.random.default_rng(1).uniform(size=(4, N, N))
    m = int(np.prod(A.out_shape))

    class Flat(torch.nn.Module):
        input = "measurements"

        def __init__(self) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(2 * m, N * N)

        def forward(self, inp: torch.Tensor) -> torch.Tensor:
            return self.lin(inp.reshape(inp.shape[0], -1)).reshape(-1, 1, N, N)

    torch.manual_seed(0)
    h = train_reconstruction(Flat(), A, X, epochs=2, lr=1e-3, batch_size=2, seed=0, progress=False,
                             adversarial=0.1, pgd_steps=2)
    assert len(h.losses) == 2 and all(np.isfinite(h.losses))


@pytest.mark.parametrize("kw, name", [({"adversarial": -0.1}, "adversarial"), ({"adversarial": float("nan")},
                                      "adversarial"), ({"adversarial": 0.1, "pgd_steps": 0}, "pgd_steps"),
                                      ({"adversarial": 0.1, "pgd_steps": 2.5}, "pgd_steps")])
def test_bad_adversarial_arguments_are_refused(fourier, kw, name):
    A, X = fourier
    with pytest.raises(InvalidArgument, match=name):
        train_reconstruction(LinearMeasurementNet(A.out_shape[0]), A, X, epochs=1, lr=1e-3, batch_size=2, seed=0,
                             progress=False, **kw)


def test_the_attack_leaves_batch_norm_statistics_to_the_training_step(fourier):
    """Red-team: the attack's forward passes (training mode) moved the running statistics as well."""
    A, X = fourier
    m = A.out_shape[0]

    class WithNorm(LinearMeasurementNet):
        def __init__(self) -> None:
            super().__init__(m)
            self.bn = torch.nn.BatchNorm1d(N * N)

        def forward(self, inp: torch.Tensor) -> torch.Tensor:
            h = self.lin(inp.reshape(inp.shape[0], -1))
            return self.bn(h).reshape(-1, 1, N, N)

    stats = {}
    for adv in (0.0, 0.2):
        net = WithNorm()
        train_reconstruction(net, A, X, epochs=1, lr=1e-3, batch_size=3, seed=0, progress=False,
                             adversarial=adv, pgd_steps=3)
        stats[adv] = int(net.bn.num_batches_tracked)
    assert stats[0.2] == stats[0.0] == 2  # one update per training batch, none from the attack


def test_a_budget_that_overflows_the_dtype_is_named(fourier):
    A, X = fourier
    with pytest.raises(InvalidArgument, match="adversarial=1e.300: the perturbed measurements overflow"):
        train_reconstruction(LinearMeasurementNet(A.out_shape[0]), A, X, epochs=1, lr=1e-3, batch_size=2, seed=0,
                             progress=False, adversarial=1e300)
