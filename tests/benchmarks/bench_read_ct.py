"""Benchmark: reading the real COVID-CT-MD scans (header scan, pixel decode, total), wall and CPU seconds.

Run: .venv/bin/python tests/benchmarks/bench_read_ct.py [--repeat 3]
Prints one line per scan and the machine load, since the CPU may be shared.
"""
import argparse
import os
import time
from pathlib import Path

import SimpleITK as sitk

from multideepnet.core import peak_rss_mb
from multideepnet.io import read_ct, scan_dicom_folder

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "covid-ct-md-sample"


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3, help="reads per scan; the best is reported")
    args = ap.parse_args()
    if not SAMPLE.is_dir():
        print(f"skipped: real-scan sample not found at {SAMPLE}")
        return
    print(f"load average before: {os.getloadavg()}, cpus: {os.cpu_count()}, SimpleITK {sitk.__version__}")
    for folder in sorted(p for p in SAMPLE.glob("*subjects/*") if p.is_dir()):
        best = {}
        for _ in range(args.repeat):
            _, hw, hc = timed(lambda: scan_dicom_folder(folder))
            vol, w, c = timed(lambda: read_ct(folder))
            for k, v in (("header_wall", hw), ("header_cpu", hc), ("total_wall", w), ("total_cpu", c)):
                best[k] = min(best.get(k, 1e9), v)
        print(
            f"{folder.name:10s} {vol.shape} headers {best['header_wall']:.2f} s wall / {best['header_cpu']:.2f} s cpu; "
            f"read_ct {best['total_wall']:.2f} s wall / {best['total_cpu']:.2f} s cpu (best of {args.repeat})"
        )
    print(f"peak RSS {peak_rss_mb():.0f} MiB; load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
