"""Benchmark: `multideepnet predict` of one real DICOM series with a paper-size bundle (3 fold models of the full
arm, width 1, 128x256x256), as a user runs it: a fresh process, wall time of the whole command and peak memory
(of its largest process, and of the command and its reading process together, sampled),
the command's own breakdown (read, preprocess, model + Grad-CAM, NIfTI, figure), and the reference the issue asks
for: one channels-last forward of the full arm at paper size, measured in the same run.

The bundle holds untrained weights (seeded): speed does not depend on their values. It is written once to
--work (about 400 MB).

Run: .venv/bin/python tests/benchmarks/bench_predict.py [--scan ../shared/data/covid-ct-md-sample/COVID-19\\ subjects/P001]
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import psutil                     # comes with ipykernel
import torch

from multideepnet.core import CLASSES, cpu_model
from multideepnet.model import build_model
from multideepnet.predict import MODEL_FORMAT

ROOT = Path(__file__).resolve().parents[2]


def paper_bundle(path: Path, folds: int = 3) -> Path:
    if path.exists() and path.stat().st_mtime > Path(__file__).stat().st_mtime: return path
    states = []
    for k in range(folds):
        torch.manual_seed(k)
        sd = build_model("full", width=1.0).state_dict()   # conv weights channels-last, as export_arm_model stores them
        states.append({n: v.contiguous(memory_format=torch.channels_last_3d) if v.ndim == 5 else v for n, v in sd.items()})
    prep = {"out_shape": [128, 256, 256], "window_level": -600, "window_width": 600, "dtype": "uint8"}
    torch.save({"format": MODEL_FORMAT, "arm": "full", "model": {"width": 1.0}, "classes": list(CLASSES), "prep": prep,
                "gradcam": {"layer": "layer4", "method": "gradcam", "tolerance_mm": 10.0}, "config_hash": "bench",
                "states": states}, path)
    return path


def forward_seconds(repeats: int = 3) -> float:
    """Best of `repeats` channels-last forwards of the full arm at 128x256x256 (no autograd)."""
    m = build_model("full", width=1.0).eval().to(memory_format=torch.channels_last_3d)
    x = torch.rand(1, 1, 128, 256, 256).contiguous(memory_format=torch.channels_last_3d)
    best = float("inf")
    with torch.no_grad():
        m(x)
        for _ in range(repeats):
            t0 = time.perf_counter(); m(x); best = min(best, time.perf_counter() - t0)
    return best


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--scan", default=str(ROOT.parent / "shared/data/covid-ct-md-sample/COVID-19 subjects/P001"))
    ap.add_argument("--work", default=str(ROOT / ".scratch" / "bench_predict"))
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--explanation", default="gradxinput",
                    help="also time predict with a bundle whose arm chose this map (the quick arms choose gradient x input); none: skip")
    a = ap.parse_args()
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    bundle = paper_bundle(work / "paper_full_3fold.pt")
    print(f"CPU: {cpu_model()}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    fwd = forward_seconds()
    print(f"one channels-last forward of the full arm at 128x256x256: {fwd:.2f} s -> target 3 x {fwd:.2f} + 3 = {3 * fwd + 3:.1f} s")
    exe = str(Path(sys.executable).with_name("multideepnet"))
    def run(out: Path, sample: bool, bundle: Path = bundle) -> tuple[float, float, float]:
        """(wall s, peak RSS of the largest process MB, peak of the command and its reading process together MB:
        sampled every 20 ms, and only when `sample`, since the sampling takes CPU from the command)."""
        t0 = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-v", exe, "predict", a.scan, "--checkpoint", str(bundle), "--out", str(out)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8", errors="replace")
        tree_peak = 0
        while sample and proc.poll() is None:
            try:
                procs = psutil.Process(proc.pid).children(recursive=True)
                tree_peak = max(tree_peak, sum(q.memory_info().rss for q in procs if q.name() != "time"))
            except psutil.Error: pass
            time.sleep(0.02)
        _, stderr = proc.communicate()
        wall = time.perf_counter() - t0
        if proc.returncode != 0: sys.exit(stderr[-2000:])
        rss = next(int(l.split()[-1]) for l in stderr.splitlines() if "Maximum resident set size" in l) / 1024
        return wall, rss, tree_peak / 2**20

    name = Path(a.scan).name
    for r in range(a.runs):
        out = work / f"out{r}"
        wall, rss, _ = run(out, sample=False)
        t = json.loads((out / f"{name}.json").read_text())["timings_s"]
        inside = t["total_s"]
        print(f"run {r}: wall {wall:.2f} s, peak RSS {rss:.0f} MB; inside the command {inside:.2f} s "
              f"({', '.join(f'{k} {v:.2f}' for k, v in t.items() if k != 'total_s')}); start-up and loading {wall - inside:.2f} s")
    _, rss, tree = run(work / "out_mem", sample=True)
    print(f"memory run: peak RSS {rss:.0f} MB (largest process), {tree:.0f} MB (the command and its reading process together, sampled)")
    if a.explanation != "none":   # the same bundle with a chosen explanation: predict also writes that map (one backward pass per fold model)
        import shutil
        from multideepnet.config import ExplainConfig
        from multideepnet.predict import set_bundle_explanation
        chosen = work / f"paper_full_3fold_{a.explanation}.pt"
        shutil.copyfile(bundle, chosen)
        set_bundle_explanation(chosen, a.explanation, ExplainConfig().as_dict(), "benchmark")
        for r in range(a.runs):
            out = work / f"out_{a.explanation}{r}"
            wall, rss, _ = run(out, sample=False, bundle=chosen)
            t = json.loads((out / f"{name}.json").read_text())["timings_s"]
            print(f"with the {a.explanation} map, run {r}: wall {wall:.2f} s, peak RSS {rss:.0f} MB; "
                  f"{', '.join(f'{k} {v:.2f}' for k, v in t.items())}")
