"""Thread layout of packed claims units on this machine: one-thread processes side by side (today's layout: one unit
per core) against one process using every core, at the preset's pack size. Each figure is one model's share of a
calibrated training step (`pipeline.calibrate_training`, the protocol's network, deterministic algorithms as training
uses them); the machine-wide rate is models trained per step time over all processes. Writes
results/thread-layout-<preset>-<cpu>.json with the machine and date.

Run: .venv/bin/python tests/benchmarks/bench_thread_layout.py --preset claims
"""
import argparse, datetime, json, os, re, subprocess, sys
from pathlib import Path

from multideepnet.config import load_preset
from multideepnet.core import atomic_write_json, machine_info

ONE = """
import json, sys, torch
from multideepnet.pipeline import calibrate_training
from multideepnet.devices import deterministic_mode
torch.set_num_threads(int(sys.argv[2]))
with deterministic_mode(True):
    print(json.dumps(calibrate_training(load_preset(sys.argv[1]), "cpu", float(sys.argv[4]), \
pack=int(sys.argv[3]))["seconds_per_step"]))
"""


def measure(preset: str, procs: int, threads: int, pack: int, seconds: float) -> dict:
    ps = [
        subprocess.Popen(
            [sys.executable, "-c", ONE, preset, str(threads), str(pack), str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(procs)
    ]
    per_model = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in ps]
    return {"processes": procs, "threads_each": threads, "pack": pack, "seconds_per_model_step": per_model,
            "models_per_second": round(sum(1 / s for s in per_model), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="claims")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--results", default="results")
    a = ap.parse_args()
    cores, pack = os.cpu_count() or 1, load_preset(a.preset).trials.pack
    layouts = {
        "one thread per process": measure(a.preset, cores, 1, pack, a.seconds),
        f"one process, {cores} threads": measure(a.preset, 1, cores, pack, a.seconds),
        f"one process, {cores} threads, pack {pack * cores}": measure(a.preset, 1, cores, pack * cores, a.seconds),
    }
    for k, v in layouts.items(): print(f"[layout] {k}: {v['models_per_second']} model steps per second", flush=True)
    out = {
        "date": datetime.date.today().isoformat(),
        "machine": machine_info(),
        "preset": a.preset,
        "cores": cores,
        "layouts": layouts,
    }
    cpu = re.sub(r"[^a-z0-9]+", "-", out["machine"]["cpu"].lower()).strip("-")
    atomic_write_json(Path(a.results) / f"thread-layout-{a.preset}-{cpu}.json", out)


if __name__ == "__main__":
    main()
