"""Benchmark: training steps per second of the 3-D ResNet18 in the default layout vs channels-last, per thread count.

Prints volumes/s of forward + backward + SGD step (batch 6) for each combination, interleaved so machine load hits
both layouts alike. The CPU name is printed with the numbers: absolute figures are not comparable across CPUs.

Run: .venv/bin/python tests/benchmarks/bench_channels_last.py [--shape 32 64 64] [--width 0.125] [--threads 1 2]
"""
import argparse
import platform
import time

import torch
import torch.nn.functional as F

from multideepnet.model import build_model


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"): return line.split(":", 1)[1].strip()
    except OSError: pass
    return platform.processor() or platform.machine()


def volumes_per_s(shape, width: float, threads: int, channels_last: bool, steps: int, batch: int = 6) -> float:
    torch.set_num_threads(threads); torch.manual_seed(0)
    model = build_model("baseline", width=width)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.rand(batch, 1, *shape), torch.randint(0, 3, (batch,))
    if channels_last:
        model = model.to(memory_format=torch.channels_last_3d); x = x.contiguous(memory_format=torch.channels_last_3d)
    for i in range(steps + 2):
        if i == 2: t0 = time.perf_counter()
        loss = F.cross_entropy(model(x).logits, y)
        opt.zero_grad(); loss.backward(); opt.step()
    return batch * steps / (time.perf_counter() - t0)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", type=int, nargs=3, default=[32, 64, 64])
    ap.add_argument("--width", type=float, default=0.125)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    print(f"CPU: {cpu_name()}; torch {torch.__version__}; shape {a.shape}, width {a.width}")
    for th in a.threads:
        res = {False: [], True: []}
        for _ in range(a.rounds):
            for cl in (False, True): res[cl].append(volumes_per_s(a.shape, a.width, th, cl, a.steps))
        best = {cl: max(v) for cl, v in res.items()}
        print(f"threads {th}: default layout {best[False]:.1f} vol/s, channels-last {best[True]:.1f} vol/s "
              f"({best[True] / best[False]:.2f}x)")
