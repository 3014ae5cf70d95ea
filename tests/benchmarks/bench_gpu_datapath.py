"""Benchmark: the paper-size training step on its own and through each data path, for a GPU.

What it measures (training volumes per second, the median of `--repeats` timed passes after one warm-up pass):
- **bare step**: the optimisation step of `train.train_epoch` (autocast, channels-last, fused SGD as training uses them)
  over batches that already sit on the device as float32: the ceiling for any data path;
- **bare step, torch.compile**: the same with the model compiled (compile time printed separately; `--no-compile` \
skips);
- **device cache**: `data.DeviceCache` + `data.DeviceLoader` (uint8 volumes on the device, batches gathered and
  converted there), the path `train.device_cache` selects;
- **file-backed loader**: `data.CacheDataset` + `make_loader` with `--workers` processes reading memory-mapped uint8
  arrays and the conversion on the device, the path used when the cache does not fit.
The overhead of a data path is its time per volume over the bare step's. The paper protocol's hours follow from the
device-cache rate (300 + 300 epochs, 3 folds, ~360 oversampled training volumes per fold and epoch).

Prints numbers; asserts nothing. On a GPU:
    python tests/benchmarks/bench_gpu_datapath.py                    # 128x256x256, width 1, batch 6, full arm
A quick check of the script itself on a CPU:
    python tests/benchmarks/bench_gpu_datapath.py --device cpu --shape 16 32 32 --width 0.125 --per-class 4 --no-compile
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from multideepnet.core import cpu_model
from multideepnet.data import CacheDataset, DeviceCache, DeviceLoader, make_loader, read_cache_index
from multideepnet.model import build_model
from multideepnet.testing import write_synthetic_cache
from multideepnet.devices import cuda_amp_dtype
from multideepnet.train import StepContext, train_epoch

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--device", default="cuda")
ap.add_argument("--shape", type=int, nargs=3, default=[128, 256, 256])
ap.add_argument("--width", type=float, default=1.0)
ap.add_argument("--arm", default="full")
ap.add_argument("--batch", type=int, default=6)
ap.add_argument(
    "--per-class", type=int, default=16, help="cached volumes per class (48 by default: 400 MB at paper size)"
)
ap.add_argument("--workers", type=int, default=4, help="loader processes of the file-backed path")
ap.add_argument("--repeats", type=int, default=3)
ap.add_argument("--no-compile", action="store_true")
args = ap.parse_args()

dev = torch.device(args.device)
amp = dev.type == "cuda"
ctx = StepContext(dev, amp=amp, stage="train")
sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else cpu_model()
print(
    f"device {dev} ({name}); torch {torch.__version__}; autocast {cuda_amp_dtype() if amp else 'off'}, channels-last"
    f" {ctx.channels_last}; {args.arm} arm, width {args.width}, batch {args.batch}, volumes {tuple(args.shape)}"
)


def new_model(compiled: bool = False):
    torch.manual_seed(0)
    m = build_model(args.arm, width=args.width).to(dev)
    if ctx.channels_last: m = m.to(memory_format=torch.channels_last_3d)
    opt = torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-5, fused=dev.type == "cuda" or None)
    return (torch.compile(m) if compiled else m), opt


def rate(model, opt, loader, n_volumes: int) -> tuple[float, float]:
    """(volumes/s: median of the timed passes, seconds of the warm-up pass)."""
    sync(); t0 = time.perf_counter(); train_epoch(model, loader, opt, None, ctx); sync()
    warm = time.perf_counter() - t0
    times = []
    for _ in range(args.repeats):
        sync(); t0 = time.perf_counter(); train_epoch(model, loader, opt, None, ctx); sync()
        times.append(time.perf_counter() - t0)
    return n_volumes / statistics.median(times), warm


work = Path(tempfile.mkdtemp())
t0 = time.perf_counter()
cache_dir = write_synthetic_cache(work / "cache", n_per_class=args.per_class, shape=tuple(args.shape))
index = read_cache_index(cache_dir)
n = len(index)
steps = -(-n // args.batch)
print(
    f"synthetic cache: {n} uint8 volumes in {time.perf_counter() - t0:.1f} s; one pass = {steps} steps of {args.batch}"
)

rows = []
g = torch.Generator().manual_seed(0)
ready = [
    (
        torch.rand(args.batch, 1, *args.shape, generator=g).to(dev),
        torch.randint(0, 3, (args.batch,), generator=g).to(dev),
    )
    for _ in range(2)
]
bare_batches = [ready[i % 2] for i in range(steps)]
m, opt = new_model()
bare, warm = rate(m, opt, bare_batches, steps * args.batch)
rows.append(("bare step", bare, warm))
if not args.no_compile:
    mc, optc = new_model(compiled=True)
    r, warm = rate(mc, optc, bare_batches, steps * args.batch)
    rows.append(("bare step, torch.compile", r, warm))

cache = DeviceCache(index, dev)
m, opt = new_model()
dl = DeviceLoader(cache, range(n), args.batch, train=True, seed=0, oversample=False)
r, warm = rate(m, opt, dl, n)
rows.append((f"device cache ({cache.nbytes / 2**30:.2f} GiB on the device)", r, warm))
del cache, dl

ds = CacheDataset(index, raw=True)
fl = make_loader(ds, args.batch, train=True, seed=0, oversample=False, num_workers=args.workers,
                 pin_memory=dev.type == "cuda")
m, opt = new_model()
r, warm = rate(m, opt, fl, n)
rows.append((f"file-backed loader ({args.workers} workers)", r, warm))

print("\n| path | volumes/s | overhead over the bare step | first pass (s) |\n|---|---|---|---|")
for label, r, warm in rows:
    print(f"| {label} | {r:.1f} | {100 * (bare / r - 1):+.1f}% | {warm:.1f} |")
dc = rows[-2][1]
paper_vols = 3 * 180 * 2 / 3     # 3 classes oversampled to the largest (180 healthy training cases), 2/3 per fold
hours = (300 + 300) * 3 * paper_vols / dc / 3600
print(
    f"\npaper protocol at the device-cache rate (training steps only, without validation): ~{hours:.1f} h per"
    " multi-task arm"
)
if dev.type == "cuda": print(f"peak GPU memory {torch.cuda.max_memory_allocated(dev) / 2**30:.2f} GiB")
