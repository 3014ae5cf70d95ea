"""Two full claims studies on the same machine: are their records the same, timings apart?

Compares two `claims.json` files with `verdicts.compare_records` and, where both study folders hold one, their
`trials.csv` cell by cell. Writes results/rerun-claims-full-<cpu>.json (not `claims-*.json`: the docs take those
as claims results).

Run: .venv/bin/python tests/benchmarks/claims_compare.py FIRST.json SECOND.json [--note "why a path differs"] [--name \
STEM]
"""
import argparse, datetime, json, re
from pathlib import Path

import pandas as pd

from multideepnet.core import machine_info
from multideepnet.verdicts import TIMING_KEYS, compare_records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("first"); ap.add_argument("second")
    ap.add_argument("--note", action="append", default=[], help="explanation of an expected difference (repeatable)")
    ap.add_argument("--results", default="results")
    ap.add_argument("--name", default="rerun-claims-full", help="result file stem (rules v2: rerun-claims-v2)")
    a = ap.parse_args()
    first, second = (json.loads(Path(p).read_text()) for p in (a.first, a.second))
    differ = compare_records(first, second)
    trials = {}
    csvs = [Path(p).parent / "trials.csv" for p in (a.first, a.second)]
    if all(p.is_file() for p in csvs):
        t1, t2 = (pd.read_csv(p) for p in csvs)
        keys = ["regime", "size", "trial", "arm"]
        m = t1.merge(t2, on=keys, how="outer", suffixes=("_1", "_2"), indicator=True)
        cols = [c for c in t1.columns if c not in keys]
        cells = {c: int((m[f"{c}_1"].ne(m[f"{c}_2"]) & ~(m[f"{c}_1"].isna() & m[f"{c}_2"].isna())).sum()) for c in cols}
        trials = {"units": [len(t1), len(t2)], "unmatched_units": int((m["_merge"] != "both").sum()),
                  "differing_cells": cells}
    info = machine_info(); cpu = re.sub(r"[^a-z0-9]+", "-", info["cpu"].lower()).strip("-")
    out = {"date": datetime.date.today().isoformat(), "machine": info, "first": a.first, "second": a.second,
           "ignored": list(TIMING_KEYS), "differing_paths": differ, "trials_csv": trials, "notes": a.note,
           "timings": {k: {f: r.get(f) for f in ("date", "seconds", "seconds_data", "runs")} for k, r in
                       (("first", first), ("second", second))}}
    Path(a.results).mkdir(exist_ok=True)
    path = Path(a.results) / f"{a.name}-{cpu}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({k: out[k] for k in ("differing_paths", "trials_csv")}, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
