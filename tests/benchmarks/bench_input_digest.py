"""What keying cached cases by their scans' bytes costs (issue 40): `identity.input_digest` of the real sample scans,
read in full (no memo: a first run, or the first run after a copy) and with its memo (every later run), beside the
time `prepare` takes to preprocess the same scan.

    python tests/benchmarks/bench_input_digest.py [--results results] [--rounds 3]

The scans are read from the page cache after the first round (the median of the rounds is kept): a cold disk reads
slower. Writes results/input-digest-<cpu>.json with the machine and date; needs ../shared's covid-ct-md sample."""
import argparse
import datetime
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from multideepnet.core import atomic_write_json, machine_info
from multideepnet.identity import input_digest
from multideepnet.preprocess import PrepConfig, process_case

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "covid-ct-md-sample"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    scans = sorted(p for d in SAMPLE.glob("*subjects") for p in d.iterdir() if p.is_dir())
    if not scans: sys.exit(f"{SAMPLE}: no sample scans")
    rows = []
    for scan in scans:
        files = [f for f in scan.iterdir() if f.is_file()]
        full, memo_hit = [], []
        for _ in range(a.rounds):
            memo = Path(tempfile.mkdtemp()) / "memo.json"
            t0 = time.perf_counter(); input_digest(scan, memo); t1 = time.perf_counter()
            input_digest(scan, memo); t2 = time.perf_counter()
            full.append(t1 - t0); memo_hit.append(t2 - t1)
        t0 = time.perf_counter()
        rec = process_case({"patient_id": scan.name, "label": "", "path": str(scan)}, tempfile.mkdtemp(), PrepConfig(),
                           qc_files=False)
        prep = time.perf_counter() - t0
        megabytes = round(sum(f.stat().st_size for f in files) / 1e6, 1)
        rows.append({"scan": scan.name, "files": len(files), "megabytes": megabytes,
                     "digest_full_s": round(statistics.median(full), 4),
                     "digest_memo_s": round(statistics.median(memo_hit), 5),
                     "prepare_s": round(prep, 2), "prepare_status": rec["status"],
                     "digest_share_of_prepare": round(statistics.median(full) / prep, 3)})
        print(rows[-1], flush=True)
    out = {"date": datetime.date.today().isoformat(), "machine": machine_info(), "rounds": a.rounds,
           "note": "page cache warm after the first round; prepare includes its own digest", "scans": rows}
    cpu = re.sub(r"[^a-z0-9]+", "-", out["machine"]["cpu"].lower()).strip("-")
    path = Path(a.results) / f"input-digest-{cpu}.json"
    atomic_write_json(path, out)
    print("->", path)


if __name__ == "__main__":
    main()
