"""Train the demo U-Net on a training set that contains a kernel pair, and ship its weights.

Setting (``theorycheck.nets.pretrained.DEMO_CONFIG``): 32 × 32 random-ellipse
phantoms, 20 % variable-density subsampled Fourier sampling, and a training set
holding ``x`` and ``x′ = x + z`` where ``z`` is a small disc detail moved almost
into ``ker A``: ``‖A(x − x′)‖ = 0.1`` while ``‖x − x′‖ ≈ 2.4``. The universal
instability theorem (docs/theory.md §3) says that any network fitting both images
within ``η`` (with ``‖A(x − x′)‖ ≤ η < ‖x − x′‖/2``) is unstable; this script
trains one (seeded, deterministic on the CPU) and prints the hypotheses' margins.

    python examples/train_unet_kernel_pair.py --out unet.pt  # full training, weights to unet.pt
    python examples/train_unet_kernel_pair.py --ship         # regenerates theorycheck/data/demo_unet.pt
    python examples/train_unet_kernel_pair.py --quick        # tiny version in a temp folder (< 60 s)

Without ``--out`` or ``--ship`` the weights go to a temporary folder that is removed at
the end: the shipped weights are replaced only when asked (``--ship``).

Exit status 0 when the claim holds: in quick mode, the training loss decreased
and the saved file reloads to the same network; in full mode, additionally
the theorem's hypotheses hold for the trained network (evaluated in float64).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile
import time

import numpy as np

# A tiny setting that trains in a few seconds.
QUICK = {
    "n": 16, "fraction": 0.3, "center_fraction": 0.25, "train_size": 48, "test_size": 2,
    "detail_size": 2.0, "detail_position": [7.0, 8.0], "measurement_gap": 0.2,
    "pair_copies": 16, "width": 4, "depth": 1, "epochs": 8, "lr": 3e-3, "batch_size": 16,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny run into a temp folder")
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help="weights file (default: a temporary folder, removed at the end)")
    parser.add_argument("--ship", action="store_true",
                        help="overwrite the shipped weights theorycheck/data/demo_unet.pt")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads for training (the shipped file used 1)")
    args = parser.parse_args(argv)

    import torch

    from theorycheck.nets.pretrained import build_demo_setting, demo_unet_path, load_demo_unet, save_demo_unet
    from theorycheck.nets.train import reconstruct, train_reconstruction
    from theorycheck.nets.unet import UNet

    if args.ship and (args.out is not None or args.quick):
        parser.error("--ship replaces the shipped weights with a full training run: drop --out and --quick")
    tmp = tempfile.TemporaryDirectory() if (args.out is None and not args.ship) else None
    out = args.out or (demo_unet_path() if args.ship else pathlib.Path(tmp.name) / "demo_unet.pt")

    setting = build_demo_setting(QUICK if args.quick else None)
    cfg = setting.config
    X = setting.training_images()
    print(f"setting: n={cfg['n']}, m={setting.A.shape[0]} samples of {setting.A.shape[1]}, "
          f"{X.shape[0]} training images ({cfg['pair_copies']} copies of x, "
          f"{cfg['pair_copies'] + 1} of x')")
    print(f"kernel pair: ||x - x'|| = {setting.norm_diff:.4f}, "
          f"||A(x - x')|| = {setting.norm_A_diff:.4g}")

    model = UNet(width=cfg["width"], depth=cfg["depth"], seed=cfg["init_seed"])
    n_params = sum(p.numel() for p in model.parameters())
    print(f"UNet(width={cfg['width']}, depth={cfg['depth']}): {n_params} parameters; "
          f"torch threads: {args.threads}")
    t0 = time.perf_counter()
    history = train_reconstruction(
        model, setting.A, X, epochs=cfg["epochs"], lr=cfg["lr"], batch_size=cfg["batch_size"],
        seed=cfg["seed"], noise=cfg["train_noise"], progress=not args.no_progress,
        threads=args.threads)
    seconds = time.perf_counter() - t0
    print(f"trained {len(history.losses)} epochs in {seconds:.1f} s: loss "
          f"{history.losses[0]:.3e} -> {history.final_loss:.3e}")
    training = history.to_dict() | {"torch_version": str(torch.__version__),
                                    "threads": args.threads}
    path = save_demo_unet(model, setting, out, training=training)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")

    ok = history.decreased
    # Reload (weights_only=True) and check it is the same network.
    loaded, s2 = load_demo_unet(path)
    same = all(torch.equal(a, b.float()) for a, b in
               zip(loaded.state_dict().values(), model.state_dict().values()))
    same = (same and np.array_equal(s2.x_prime, setting.x_prime)
            and np.array_equal(s2.mask, setting.mask))
    ok = ok and same

    # The theorem's hypotheses, evaluated in float64 on the CPU.
    A = s2.A
    rec = reconstruct(loaded, A, A.apply(np.stack([s2.x, s2.x_prime])))
    err_x = float(np.linalg.norm(rec[0] - s2.x))
    err_xp = float(np.linalg.norm(rec[1] - s2.x_prime))
    eta = max(err_x, err_xp, s2.norm_A_diff)
    test = reconstruct(loaded, A, A.apply(s2.test_images))
    rel = np.linalg.norm(test - s2.test_images, axis=(1, 2)) / np.linalg.norm(
        s2.test_images, axis=(1, 2))
    print(f"||Psi(Ax) - x|| = {err_x:.4f}, ||Psi(Ax') - x'|| = {err_xp:.4f}, "
          f"||A(x - x')|| = {s2.norm_A_diff:.4g}  =>  eta = {eta:.4f}")
    print(f"||x - x'|| = {s2.norm_diff:.4f} vs 2 eta = {2 * eta:.4f} "
          f"(margin {s2.norm_diff - 2 * eta:.4f})")
    ratio = float(np.linalg.norm(rec[1] - rec[0])) / s2.norm_A_diff
    print(f"witnessed ||Psi(Ax') - Psi(Ax)|| / ||A(x - x')|| = {ratio:.2f}; "
          f"theorem bound (||x - x'|| - 2 eta)/eta = {(s2.norm_diff - 2 * eta) / eta:.2f}")
    print(f"held-out relative error: mean {rel.mean():.3f}, max {rel.max():.3f}")
    hypotheses = s2.norm_diff > 2 * eta
    if not args.quick:
        ok = ok and hypotheses
    print(f"reload identical: {same}; loss decreased: {history.decreased}; "
          f"hypotheses hold: {hypotheses}")
    if tmp is not None:
        tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
