"""Benchmark of the Multi-DeepNet model: inference, three-view Grad-CAM and training throughput.

Prints, for the paper's input size (default 128x256x256, batch 1, width 1):
  forward seconds, forward + three-view Grad-CAM seconds, Grad-CAM overhead, peak memory;
and training throughput (volumes/s, batch 6, one SGD step = forward + backward + update)
at 32x64x64 and 64x128x128. Each figure is the best of `--repeats` runs after one warm-up,
with the load average beside it (the CPU may be shared). Process CPU seconds (all threads) are printed
beside wall seconds: on a shared CPU they are the steadier figure for comparing variants.

Usage: python tests/benchmarks/bench_model.py [--device cpu|cuda] [--json out.json] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import torch

from multideepnet.core import peak_rss_mb
from multideepnet.gradcam import grad_cam
from multideepnet.model import build_model, classification_loss, n_params


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def sync(device: str):
    if device == "cuda": torch.cuda.synchronize()


def best_time(fn, device: str, repeats: int) -> tuple[float, float]:
    """Best wall time and best process CPU time (all threads; less sensitive to a shared CPU) of `repeats` calls after a
    warm-up."""
    fn(); sync(device)
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(); sync(device)
        wall.append(time.perf_counter() - t0); cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def peak_mb(device: str) -> float:
    return torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else peak_rss_mb()


def bench_inference(shape, width, device, repeats, channels_last) -> dict:
    torch.manual_seed(0)
    model = build_model("full", width=width).to(device).eval()
    if channels_last: model = model.to(memory_format=torch.channels_last_3d)
    x = torch.rand(1, 1, *shape, device=device)
    xin = x.contiguous(memory_format=torch.channels_last_3d) if channels_last else x
    if device == "cuda": torch.cuda.reset_peak_memory_stats()

    def forward():
        with torch.inference_mode(): model(xin)
    fwd, fwd_cpu = best_time(forward, device, repeats)
    fwd_peak = peak_mb(device)
    cam, cam_cpu = best_time(lambda: grad_cam(model, x, channels_last=channels_last), device, repeats)
    res = grad_cam(model, x, channels_last=channels_last)
    assert set(res.maps) == {"combined", "axial", "coronal", "sagittal"} and res.maps["axial"].shape[1:] == tuple(shape)
    return {"shape": list(shape), "width": width, "channels_last": channels_last, "forward_s": round(fwd, 3),
            "forward_gradcam_s": round(cam, 3), "gradcam_overhead_pct": round(100 * (cam - fwd) / fwd, 1),
            "forward_cpu_s": round(fwd_cpu, 3), "forward_gradcam_cpu_s": round(cam_cpu, 3),
            "gradcam_overhead_cpu_pct": round(100 * (cam_cpu - fwd_cpu) / fwd_cpu, 1),
            "peak_mem_mb_after_forward": round(fwd_peak), "peak_mem_mb_after_gradcam": round(peak_mb(device)),
            "load": load()}


def bench_training(shape, width, device, repeats, batch, channels_last) -> dict:
    torch.manual_seed(0)
    model = build_model("full", width=width).to(device).train()
    if channels_last: model = model.to(memory_format=torch.channels_last_3d)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-5)
    x = torch.rand(batch, 1, *shape, device=device)
    if channels_last: x = x.contiguous(memory_format=torch.channels_last_3d)
    y = torch.arange(batch, device=device) % 3

    def step():
        opt.zero_grad(set_to_none=True)
        classification_loss(model(x), y).backward()
        opt.step()
    t, t_cpu = best_time(step, device, repeats)
    return {"shape": list(shape), "batch": batch, "width": width, "channels_last": channels_last,
            "step_s": round(t, 3), "volumes_per_s": round(batch / t, 2), "step_cpu_s": round(t_cpu, 3),
            "peak_mem_mb": round(peak_mb(device)),
            "load": load()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--shape", type=int, nargs=3, default=(128, 256, 256), help="inference input (D H W)")
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--batch", type=int, default=6)
    ap.add_argument("--train-shapes", default="32x64x64,64x128x128")
    ap.add_argument("--layouts", default="cl,plain", help="comma list of cl (channels_last_3d) and/or plain")
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, for checking the script itself")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    if args.quick: args.shape, args.width, args.train_shapes, args.repeats = (32, 64, 64), 0.25, "32x64x64", 1
    layouts = [s == "cl" for s in args.layouts.split(",")]
    print(f"torch {torch.__version__}, device {args.device}, threads {torch.get_num_threads()}, "
          f"{platform.processor() or platform.machine()}, {load()}")
    print(f"full-arm parameters at width {args.width}: {n_params(build_model('full', width=args.width)) / 1e6:.2f} M")
    results = {"device": args.device, "torch": torch.__version__, "threads": torch.get_num_threads(),
               "inference": [], "training": []}
    for cl in layouts:
        r = bench_inference(tuple(args.shape), args.width, args.device, args.repeats, cl)
        results["inference"].append(r); print("inference", json.dumps(r), flush=True)
    if not args.skip_training:
        for s in args.train_shapes.split(","):
            shape = tuple(int(v) for v in s.split("x"))
            for cl in layouts:
                r = bench_training(shape, args.width, args.device, args.repeats, args.batch, cl)
                results["training"].append(r); print("training", json.dumps(r), flush=True)
    if args.json:
        with open(args.json, "w") as f: json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
