"""Time the paper protocol's building blocks at full size (128x256x256, width 1, batch 6) on a GPU.

Trains the full arm for a few epochs of both stages on a synthetic cache through the real data path and
extrapolates the paper's schedule (300 + 300 epochs, 3 folds, ~540 oversampled training volumes an epoch).
Prints numbers; asserts nothing. Usage: python tests/benchmarks/bench_paper_gpu.py [--device cuda] [--epochs 2]
"""
import argparse, tempfile, time
from pathlib import Path

import pandas as pd
import torch

from multideepnet.testing import write_synthetic_cache
from multideepnet.train import resolve_preset, train_arm

ap = argparse.ArgumentParser()
ap.add_argument("--device", default="cuda")
ap.add_argument("--epochs", type=int, default=2)
ap.add_argument("--per-class", type=int, default=12)
ap.add_argument("--workers", type=int, default=4)
ap.add_argument("--arm", default="full")
ap.add_argument("--amp", default="auto", help="auto | true | false")
args = ap.parse_args()

work = Path(tempfile.mkdtemp())
t0 = time.perf_counter()
cache = write_synthetic_cache(work / "cache", n_per_class=args.per_class, shape=(128, 256, 256))
print(f"synthetic cache of {3 * args.per_class} volumes 128x256x256: {time.perf_counter() - t0:.1f} s")
p = resolve_preset("paper")
p = {
    **p,
    "split": {"test_fraction": 0.25, "folds": 2, "seed": 0},
    "train": {
        **p["train"],
        "epochs": args.epochs,
        "pretrain_epochs": args.epochs,
        "num_workers": args.workers,
        "amp": args.amp,
    },
}
t0 = time.perf_counter()
s = train_arm(args.arm, p, cache, work / "full", device=args.device, progress=False)
wall = time.perf_counter() - t0
log = pd.read_csv(s["log"])
later = log[log.epoch > 1]                      # the first epoch includes warm-up (cuDNN autotuning)
per_epoch = later.groupby("stage").seconds.median()
vols_per_epoch = int(later.train_draws.median())
print(
    f"device {args.device} ({torch.cuda.get_device_name() if args.device.startswith('cuda') else 'cpu'}), {args.arm}"
    f" arm, amp {args.amp}, {args.epochs}+{args.epochs} epochs x 2 folds: {wall:.1f} s; median epoch (incl."
    " validation): "
    + ", ".join(f"{k} {v:.2f} s" for k, v in per_epoch.items())
    + f" for ~{vols_per_epoch} training volumes"
)
rate = vols_per_epoch / per_epoch.mean()
paper_vols = 3 * 180 * 2 / 3          # 3 classes oversampled to the largest (180 healthy), 2/3 of training per fold
hours = 2 * 300 * 3 * paper_vols / rate / 3600
print(
    f"throughput ~{rate:.0f} training volumes/s (epoch incl. validation); paper protocol (300+300 epochs, 3 folds):"
    f" ~{hours:.1f} h for the {args.arm} arm"
)
if args.device.startswith("cuda"): print(f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
