"""Benchmark: where the time of gradient x input goes, in process and warm (no process start, no first-call set-up):
`predict.ensemble_cam` of 3 fold models of the full arm at width 1 and 128x256x256 (folded, channels-last, as
predict loads them), Grad-CAM only against Grad-CAM with gradient x input from the same pass; then one fold
model's input backward under the PyTorch profiler, its operators by self CPU time. Untrained seeded weights and a
random volume: speed does not depend on the values.

bench_predict measures the whole command in fresh processes; this one separates the input backward's own cost
from what a fresh process adds. Results: results/bench_gradxinput_pass-<cpu>.json (machine, torch, date).

Run: .venv/bin/python tests/benchmarks/bench_gradxinput_pass.py [--reps 3 --threads 2]
"""
import argparse, datetime, json, statistics, sys, time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from multideepnet.core import cpu_model, machine_info
from multideepnet.explain import ExplainConfig, gradxinput_maps
from multideepnet.gradcam import cam_maps, grad_forward
from multideepnet.model import build_model, fuse_for_inference
from multideepnet.predict import ensemble_cam

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_predict import write_result   # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3); ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--shape", default="128x256x256")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    shape = tuple(int(s) for s in a.shape.split("x"))
    models = []
    for k in range(3):
        torch.manual_seed(k)
        models.append(
            fuse_for_inference(build_model("full", width=1.0).eval()).to(memory_format=torch.channels_last_3d)
        )
    x = torch.rand(1, 1, *shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        models[0](x.contiguous(memory_format=torch.channels_last_3d))      # first-call set-up, not timed
    cfg, rounds = ExplainConfig(), []
    for r in range(a.reps):
        t0 = time.perf_counter(); ensemble_cam(models, x, maps=["combined"]); t_cam = time.perf_counter() - t0
        t0 = time.perf_counter()
        e = ensemble_cam(models, x, maps=["combined"], gradxinput=cfg)
        t_gxi = time.perf_counter() - t0
        with torch.no_grad():
            t0 = time.perf_counter()
            models[0](x.contiguous(memory_format=torch.channels_last_3d))
            t_fwd = time.perf_counter() - t0
        rounds.append({"forward_s": t_fwd, "gradcam_3_folds_s": t_cam, "gradcam_gradxinput_3_folds_s": t_gxi,
                       "input_backward_and_maps_s": e["gradxinput_s"]})
        print(rounds[-1], flush=True)
    fwd = grad_forward(models[0], x, "layer4"); cam_maps(fwd, target=0, retain_graph=True)
    with profile(activities=[ProfilerActivity.CPU]) as prof: gradxinput_maps(fwd, 0, cfg)
    ops = sorted(prof.key_averages(), key=lambda ev: -ev.self_cpu_time_total)[:12]
    median = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    res = {
        "benchmark": "bench_gradxinput_pass",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "lscpu_model": cpu_model(),
        "torch": torch.__version__,
        "shape": list(shape),
        "threads": a.threads,
        "rounds": rounds,
        "median": median,
        "gradxinput_extra_over_gradcam": (
            (median["gradcam_gradxinput_3_folds_s"] - median["gradcam_3_folds_s"]) / median["gradcam_3_folds_s"]
        ),
        "input_backward_per_fold_in_forwards": median["input_backward_and_maps_s"] / 3 / median["forward_s"],
        "profile_one_fold_input_backward": [
            {"op": ev.key, "self_cpu_s": ev.self_cpu_time_total / 1e6, "calls": ev.count} for ev in ops
        ],
    }
    print(
        json.dumps(
            {k: res[k] for k in ("median", "gradxinput_extra_over_gradcam", "input_backward_per_fold_in_forwards")},
            indent=1,
        )
    )
    for o in res["profile_one_fold_input_backward"]: print(f"  {o['op']:<45} {o['self_cpu_s']:.3f} s  x{o['calls']}")
    write_result("bench_gradxinput_pass", res)
