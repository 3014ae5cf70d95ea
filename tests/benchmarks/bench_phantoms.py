"""Benchmark: time to write a cohort of default-size phantoms (target: 90 in under 2 minutes with 2 workers).

    .venv/bin/python tests/benchmarks/bench_phantoms.py [--n 90] [--workers 2] [--matrix 512] [--keep DIR]

Prints the wall time, the mean per phantom (wall / n, and the mean worker time per phantom), the CPU
time used (a figure that depends less on other load than wall time), the slice-count range, the size on
disk and the machine load, since the CPU may be shared.
"""
import argparse, json, os, resource, shutil, sys, tempfile, time
from pathlib import Path

from multideepnet.core import peak_rss_mb
from multideepnet.phantoms import DEFAULT_MATRIX, DEFAULT_SLICE_RANGE, make_cohort


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=90)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--matrix", type=int, default=DEFAULT_MATRIX)
    ap.add_argument("--slice-range", type=float, nargs=2, default=list(DEFAULT_SLICE_RANGE))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", help="write here and keep the files (default: a temporary folder, removed)")
    ap.add_argument("--limit-s", type=float, default=120.0, help="target wall time")
    args = ap.parse_args(argv)
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_phantoms_"))
    load0 = os.getloadavg()
    cpu0 = _cpu_seconds()
    t = time.perf_counter()
    make_cohort(
        out, args.n, seed=args.seed, workers=args.workers, matrix=args.matrix, slice_range=tuple(args.slice_range)
    )
    wall = time.perf_counter() - t
    cpu = _cpu_seconds() - cpu0
    info = json.loads((out / "phantoms.json").read_text())
    cases = info["cases"].values()
    slices = [c["geometry"]["shape"][0] for c in cases]
    worker_s = [c["seconds"] for c in cases]
    mb = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6
    print(
        f"phantoms: {len(slices)} written, {len(info['failed'])} failed; matrix {args.matrix}, slice spacing"
        f" {args.slice_range[0]}-{args.slice_range[1]} mm, {min(slices)}-{max(slices)} slices (mean"
        f" {sum(slices) / len(slices):.0f})"
    )
    print(f"wall time: {wall:.1f} s for {args.n} phantoms with {args.workers} worker(s) "
          f"(target < {args.limit_s:.0f} s): {'OK' if wall < args.limit_s else 'TOO SLOW'}")
    print(f"per phantom: {wall / args.n:.2f} s wall, {sum(worker_s) / len(worker_s):.2f} s mean worker time "
          f"(make + write), max {max(worker_s):.2f} s")
    print(f"CPU time (this process and its workers): {cpu:.1f} s, {cpu / args.n:.2f} s per phantom; on "
          f"{args.workers} otherwise idle cores that is about {cpu / min(args.workers, os.cpu_count()):.0f} s wall")
    print(
        f"on disk: {mb:.0f} MB; peak RSS: this process {peak_rss_mb():.0f} MB, largest worker"
        f" {peak_rss_mb(children=True):.0f} MB"
    )
    print(f"load average before/after: {load0[0]:.2f} / {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if not args.keep: shutil.rmtree(out)
    return 0 if wall < args.limit_s and not info["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
