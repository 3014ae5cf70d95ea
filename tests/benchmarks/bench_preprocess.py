"""Benchmark: preprocessing of the real COVID-CT-MD scans (read -> cached array), speed and memory.

Target on the 2-core project machine: <= 3 s per scan and <= 2.5 GB peak (a direct grt123 port: 55-70 s,
2.6-3.3 GB). Prints, per real scan, each in a fresh process (so peak RSS is that scan's alone):
  wall seconds by step (read, segment, resample, mask_window, to_cache = read -> cached array, qc_files),
  CPU seconds of the process, peak RSS;
then a batch of all scans with --workers 1 and 2 (wall time, speed-up), and optionally (--profile) a
cProfile of one scan grouped by function. The load average is printed beside the figures: the CPU may be
shared with other jobs, which inflates wall times.

Run: .venv/bin/python tests/benchmarks/bench_preprocess.py [--sample DIR] [--profile] [--no-batch]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT.parent / "shared" / "data" / "covid-ct-md-sample"
SCANS = {"P001": "COVID-19 subjects/P001", "cap001": "Cap subjects/cap001", "normal001": "Normal subjects/normal001"}

ONE_CASE = r"""
import json, sys, time, resource
t0 = time.perf_counter(); c0 = time.process_time()
from multideepnet.config import PrepConfig
from multideepnet.preprocess import process_case
t_import = time.perf_counter() - t0
row = {"patient_id": sys.argv[1], "label": "", "path": sys.argv[2]}
t1 = time.perf_counter(); c1 = time.process_time()
r = process_case(row, sys.argv[3], PrepConfig())
wall = time.perf_counter() - t1; cpu = time.process_time() - c1
rec = json.load(open(f"{sys.argv[3]}/{r['record']}"))
print(json.dumps({"status": r["status"], "seconds": rec["qc"].get("seconds"), "wall": wall, "cpu": cpu,
                  "segment_seconds": rec["qc"].get("segment_seconds"),
                  "decoder": rec["qc"].get("scan", {}).get("decoder"),
                  "import_s": t_import, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "volume_l": rec["qc"].get("lung_volume_l")}))
"""


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def per_scan(sample: Path) -> None:
    print(f"\n== per scan, fresh process each ({load()}, {os.cpu_count()} CPUs)")
    steps = []
    print(f"{'scan':<10} {'status':<7} {'read':>5} {'seg':>5} {'resmp':>5} {'mask+w':>6} {'->cache':>7} {'qc':>5} "
          f"{'cpu':>5} {'peakMB':>7}  volume (L)")
    for pid, rel in SCANS.items():
        with tempfile.TemporaryDirectory() as out:
            res = subprocess.run([sys.executable, "-c", ONE_CASE, pid, str(sample / rel), out],
                                 capture_output=True, encoding="utf-8", errors="replace", cwd=ROOT)
            if res.returncode:
                print(pid, "failed:", res.stderr[-500:]); continue
            r = json.loads(res.stdout.strip().splitlines()[-1]); s = r["seconds"] or {}
            print(
                f"{pid:<10} {r['status']:<7} {s.get('read', 0):5.2f} {s.get('segment', 0):5.2f}"
                f" {s.get('resample', 0):5.2f} {s.get('mask_window', 0):6.2f} {s.get('to_cache', 0):7.2f}"
                f" {s.get('qc_files', 0):5.2f} {r['cpu']:5.2f} {r['peak_rss_mb']:7.0f}  {r['volume_l']}"
            )
            steps.append((pid, r.get("segment_seconds") or {}))
    print(f"({load()} after)")
    print("segmentation steps (wall s): " + "; ".join(f"{pid}: " + " ".join(f"{k} {v:.2f}" for k, v in st.items())
                                                     for pid, st in steps))


def batch(sample: Path, repeat: int = 2) -> None:
    paths = [str(sample / rel) for rel in SCANS.values()] * repeat   # each scan `repeat` times, as distinct cases
    print(f"\n== batch of {len(paths)} cases ({len(SCANS)} scans x {repeat}) ({load()})")
    times = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as out:
            code = (
                "import sys, time, pandas as pd; from multideepnet.preprocess import prepare; m ="
                " pd.DataFrame({'patient_id': [f'case{i}' for i in range(len(sys.argv) - 1)], 'path':"
                f" sys.argv[1:]}}); t = time.perf_counter(); df = prepare(m, {out!r}, workers={workers},"
                " progress=False); print(time.perf_counter() - t, (df.status == 'ok').sum())"
            )
            res = subprocess.run(
                [sys.executable, "-c", code, *paths], capture_output=True, encoding="utf-8", errors="replace", cwd=ROOT
            )
            wall, ok = res.stdout.split()[-2:] if res.returncode == 0 else ("nan", "0")
            times[workers] = float(wall)
            print(
                f"workers={workers}: {float(wall):6.2f} s for {len(paths)} cases ({float(wall) / len(paths):.2f}"
                f" s/scan), {ok} ok  [{load()}]"
            )
    print(f"speed-up workers=2 vs 1: {times[1] / times[2]:.2f}x")


def profile(sample: Path) -> None:
    import cProfile, pstats
    import SimpleITK as sitk
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
    from multideepnet.io import read_ct
    from multideepnet.config import PrepConfig
    from multideepnet.preprocess import preprocess_volume
    print(f"\n== cProfile (CPU time, 1 ITK thread) of cap001, the slowest scan ({load()})")
    pr = cProfile.Profile(time.process_time); pr.enable()
    ct = read_ct(sample / SCANS["cap001"])
    preprocess_volume(ct, PrepConfig())
    pr.disable()
    pstats.Stats(pr).sort_stats("cumulative").print_stats(r"(preprocess|lungseg|io)\.py", 25)


def warm(sample: Path) -> None:
    """Read -> cached array per scan in one warmed-up process, as cases run inside a batch worker."""
    import numpy as np
    from multideepnet.io import read_ct
    from multideepnet.config import PrepConfig
    from multideepnet.preprocess import preprocess_volume
    print(f"\n== per scan, one warm process (as inside a batch worker; {load()})")
    cfg, out = PrepConfig(), Path(tempfile.mkdtemp())
    preprocess_volume(read_ct(sample / SCANS["normal001"]), cfg)   # warm-up: first GDCM/ITK calls, imports
    for pid, rel in SCANS.items():
        t0 = time.perf_counter(); vol = read_ct(sample / rel); t1 = time.perf_counter()
        arr, _, _ = preprocess_volume(vol, cfg); t2 = time.perf_counter()
        np.save(out / f"{pid}.npy", arr); t3 = time.perf_counter()
        print(f"{pid:<10} read {t1 - t0:5.2f} s  preprocess {t2 - t1:5.2f} s  read -> cached array {t3 - t0:5.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=Path, default=SAMPLE)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--no-batch", action="store_true")
    a = ap.parse_args()
    if not a.sample.is_dir(): sys.exit(f"real-scan sample not found at {a.sample}")
    per_scan(a.sample)
    warm(a.sample)
    if not a.no_batch: batch(a.sample)
    if a.profile: profile(a.sample)


if __name__ == "__main__":
    main()
