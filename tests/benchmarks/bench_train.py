"""Benchmark: training throughput through the real data path vs the bare model step.

Target: the data path (memory-mapped cache -> CacheDataset -> oversampling DataLoader -> device) costs at most
10% of throughput compared with the same optimisation steps on batches already in memory (batch 6).
Both paths run the same `multideepnet.train.train_epoch`; only the loader differs. The two are interleaved
(data, bare, data, bare, ...) so a changing machine load hits both alike; the median per-step time is used.
With --e2e it also times a tiny end-to-end run of every arm (16x32x32, width 0.125, 2 epochs, 2 folds).

Run: .venv/bin/python tests/benchmarks/bench_train.py [--shapes 32x64x64 64x128x128] [--width 0.25] [--device auto]
"""
import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from multideepnet.core import peak_rss_mb
from multideepnet.data import CacheDataset, make_loader, read_cache_index
from multideepnet.testing import write_synthetic_cache
from multideepnet.model import build_model
from multideepnet.config import load_preset
from multideepnet.devices import resolve_device, seed_everything
from multideepnet.train import StepContext, train_arm, train_epoch


def step_times(model, batches, optimizer, scaler, ctx) -> float:
    """Seconds per optimisation step of one pass of train_epoch over `batches`."""
    n = len(batches) if hasattr(batches, "__len__") else None
    if ctx.device.type == "cuda": torch.cuda.synchronize()
    t0 = time.perf_counter()
    train_epoch(model, batches, optimizer, scaler, ctx)
    if ctx.device.type == "cuda": torch.cuda.synchronize()
    return (time.perf_counter() - t0) / n


def bench_shape(shape, width: float, device: torch.device, rounds: int, workers: int, work: Path):
    cache = write_synthetic_cache(work / "x".join(map(str, shape)), n_per_class=12, shape=shape)  # 36 cases
    ds = CacheDataset(read_cache_index(cache), raw=True)
    loader = make_loader(ds, 6, train=True, seed=0, num_workers=workers, pin_memory=device.type == "cuda")
    seed_everything(0)
    model = build_model("baseline", width=width).to(device)
    amp = device.type == "cuda"
    if amp: model = model.to(memory_format=torch.channels_last_3d)
    ctx = StepContext(device, amp=amp)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-5)
    scaler = torch.amp.GradScaler("cuda") if amp else None
    # the bare path: the same number of batches of the same size, already on the device
    bare = [
        (torch.rand(6, 1, *shape, device=device), torch.randint(0, 3, (6,), device=device)) for _ in range(len(loader))
    ]
    list(loader)  # start the workers (persistent) before timing
    t0 = time.perf_counter()
    for x, _ in loader: ctx.to_device(x)
    if device.type == "cuda": torch.cuda.synchronize()
    load_only = (time.perf_counter() - t0) / len(loader)
    step_times(model, bare, opt, scaler, ctx)  # warm-up (allocator, kernels)
    data_t, bare_t = [], []
    for r in range(rounds):
        loader.sampler.set_epoch(r)
        data_t.append(step_times(model, loader, opt, scaler, ctx))
        bare_t.append(step_times(model, bare, opt, scaler, ctx))
    d, b = statistics.median(data_t), statistics.median(bare_t)
    print(f"{'x'.join(map(str, shape)):>12} width {width}: data path {6 / d:7.2f} vol/s ({d:.3f} s/step), "
          f"bare {6 / b:7.2f} vol/s ({b:.3f} s/step), data path cost {100 * (d - b) / b:+.1f}% "
          f"(loading alone {load_only:.4f} s/batch of 6 = {100 * load_only / b:.1f}% of a bare step; "
          f"{len(loader)} steps x {rounds} rounds)")


def bench_e2e(work: Path):
    cache = write_synthetic_cache(work / "e2e_cache", n_per_class=6, shape=(16, 32, 32))
    preset = load_preset("smoke").updated(split={"test_fraction": 0.34, "folds": 2, "seed": 0})
    for arm in ("baseline", "multiview", "multitask", "full"):
        t0 = time.perf_counter()
        s = train_arm(arm, preset, cache, work / f"e2e_{arm}", progress=False)
        run = json.loads(Path(s["run"]).read_text())
        print(f"end to end {arm:>9} (16x32x32, width 0.125, 2 epochs x 2 folds): {time.perf_counter() - t0:5.1f} s, "
              f"{s['status']}, test accuracy {s.get('test_accuracy', float('nan')):.2f}; device {run['device']}, "
              f"amp {run['amp']}, channels_last_3d {run['channels_last_3d']}, deterministic {run['deterministic']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", nargs="+", default=["32x64x64", "64x128x128"])
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--e2e", action="store_true", help="also time the tiny end-to-end run of every arm")
    a = ap.parse_args()
    dev = resolve_device(a.device)
    print(f"device {dev}, torch threads {torch.get_num_threads()}, load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        for s in a.shapes:
            bench_shape(tuple(int(v) for v in s.split("x")), a.width, dev, a.rounds, a.workers, Path(tmp))
        if a.e2e: bench_e2e(Path(tmp))
    print(f"load average {os.getloadavg()}, peak RSS {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
