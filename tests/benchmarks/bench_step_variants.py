"""Benchmark: one training step of the quick model, eager float32 against bfloat16 autocast and torch.compile.

Prints the median milliseconds per step (forward, loss, backward, SGD step; batch 6, 32x64x64, one thread,
channels-last), the warm-up time (compiling, for torch.compile) and an evaluation forward of the same batch.
The variants run in one process, interleaved in rounds; compare them within one run and name the CPU.

Run: .venv/bin/python tests/benchmarks/bench_step_variants.py [--arm baseline] [--variants eager,bf16,compile]
"""
import argparse, statistics, time

import torch
import torch.nn.functional as F

from multideepnet.model import build_model
from multideepnet.core import machine_info


def step_fn(arm: str, variant: str, x: torch.Tensor, y: torch.Tensor):
    model = build_model(arm, width=0.125, output_stride=8).to(memory_format=torch.channels_last_3d)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-5)
    run = torch.compile(model) if variant == "compile" else model

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=variant == "bf16"):
            out = run(x)
            z = out.logits if out.logits is not None else sum(out.view_logits.values())
            loss = F.cross_entropy(z.float(), y)
        loss.backward(); opt.step()
    return step, model


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arm", default="baseline")
    ap.add_argument("--variants", default="eager,bf16,compile")
    ap.add_argument("--steps", type=int, default=5, help="steps per variant per round")
    ap.add_argument("--rounds", type=int, default=6)
    a = ap.parse_args(argv)
    torch.set_num_threads(1); torch.manual_seed(0)
    m = machine_info()
    print(f"CPU {m['cpu']}, torch {m['torch']}, capability {m['torch_cpu_capability']}")
    x = torch.rand(6, 1, 32, 64, 64).contiguous(memory_format=torch.channels_last_3d)
    y = torch.randint(0, 3, (6,))
    steps, warm = {}, {}
    for v in a.variants.split(","):
        step, model = step_fn(a.arm, v, x, y)
        t = time.perf_counter(); step(); step(); warm[v] = time.perf_counter() - t
        steps[v] = (step, model, [])
    for _ in range(a.rounds):        # interleaved, so a changing machine load hits every variant alike
        for v, (step, _, times) in steps.items():
            for _ in range(a.steps):
                t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
    for v, (step, model, times) in steps.items():
        model.eval()
        with torch.no_grad():
            t = time.perf_counter()
            for _ in range(5): model(x)
            fwd = (time.perf_counter() - t) / 5
        med = statistics.median(times)
        print(f"{a.arm} {v}: {med * 1000:.1f} ms/step ({6 / med:.1f} volumes/s; {len(times)} steps), warm-up "
              f"{warm[v]:.1f} s, evaluation forward of the batch {fwd * 1000:.1f} ms", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
