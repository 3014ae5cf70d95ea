"""The executor seam's overhead and equality: one preset through two executors, side by side on this machine.

For a claims preset (a `trials` section): `run_claims` through each executor, the records compared with
`verdicts.compare_records` (timings apart) and the units' wall time (the run's seconds less its data seconds) compared.
For a study preset: `study.reproduce` through each, every arm's test metrics and predictions compared and the arms'
wall time compared. The first executor's run also makes the data (phantoms, caches), so only the units' time is
compared. Writes results/executor-<preset>-<cpu>.json with the machine and date.

Run: .venv/bin/python tests/benchmarks/bench_executor.py --preset claims --max-k 12 --executors local:2 dask:2 \
         --root /work/runs/exec
"""
import argparse, datetime, json, re, time
from pathlib import Path

import pandas as pd

from multideepnet.config import load_preset
from multideepnet.core import atomic_write_json, machine_info


def run_claims_preset(p, root: Path, data: Path, ex: str) -> dict:
    from multideepnet.trials import run_claims
    rec = run_claims(p, root / ex.replace(":", "_"), data, results_dir="results", executor=ex)
    last = rec["runs"][-1]
    return {
        "record": rec,
        "units_seconds": round(last["seconds"] - last["seconds_data"], 1),
        "seconds": last["seconds"],
        "units_trained": last["units_trained"],
    }


def run_study_preset(p, root: Path, data: Path, ex: str, arms=None) -> dict:
    from multideepnet.study import reproduce
    out = root / ex.replace(":", "_")
    t0 = time.perf_counter()
    st = reproduce(p, out=out, data_root=data, executor=ex, arms=arms)
    arms = {}
    for arm in st["arms"]:
        d = out / "arms" / arm
        m = json.loads((d / "metrics.json").read_text())
        arms[arm] = {
            "status": st["arms"][arm]["status"],
            "test": m.get("metrics"),
            "predictions": pd.read_csv(d / "predictions.csv"),
        }
    return {"study": st, "arms": arms, "seconds": round(time.perf_counter() - t0, 1),
            "units_seconds": round(st["wall_seconds"] - sum(st["seconds"].values()), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="claims")
    ap.add_argument(
        "--max-k", type=int, help="claims presets: cap every arm's trials (a shorter run of the same protocol)"
    )
    ap.add_argument("--arms", nargs="+", help="study presets: the arms to run (default: all four)")
    ap.add_argument("--executors", nargs=2, default=["local:2", "dask:2"])
    ap.add_argument("--root", default="runs/exec")
    ap.add_argument("--results", default="results")
    a = ap.parse_args()
    p = load_preset(a.preset)
    if a.max_k and p.trials is not None: p = p.updated(trials={**p.raw["trials"], "max_k": a.max_k})
    root = Path(a.root).resolve() / p.name; data = Path(a.root).resolve() / "data"
    runs = {}
    for ex in a.executors:
        runs[ex] = (
            run_claims_preset(p, root, data, ex)
            if p.trials is not None
            else run_study_preset(p, root, data, ex, a.arms)
        )
        print(f"[bench] {ex}: {runs[ex]['units_seconds']} s of units", flush=True)
    first, second = a.executors
    out = {"date": datetime.date.today().isoformat(), "machine": machine_info(), "preset": p.name,
           "max_k": a.max_k, "arms": a.arms, "executors": a.executors,
           "units_seconds": {ex: r["units_seconds"] for ex, r in runs.items()},
           "seconds": {ex: r["seconds"] for ex, r in runs.items()},
           "ratio": round(runs[second]["units_seconds"] / runs[first]["units_seconds"], 4)}
    if p.trials is not None:
        from multideepnet.verdicts import compare_records
        out["differing_paths"] = compare_records(runs[first]["record"], runs[second]["record"])
        out["units"] = len(runs[first]["record"]["units"])
        out["units_trained"] = {ex: r["units_trained"] for ex, r in runs.items()}
    else:
        arms = {}
        for arm, x in runs[first]["arms"].items():
            y = runs[second]["arms"][arm]
            cols = [c for c in x["predictions"].columns if c != "fold"]
            arms[arm] = {"status": [x["status"], y["status"]], "test_equal": x["test"] == y["test"],
                         "predictions_equal": x["predictions"][cols].equals(y["predictions"][cols]), "test": x["test"]}
        out["arms"] = arms
    info = out["machine"]; cpu = re.sub(r"[^a-z0-9]+", "-", info["cpu"].lower()).strip("-")
    path = Path(a.results) / f"executor-{p.name}-{cpu}.json"
    atomic_write_json(path, out)
    print(json.dumps({k: v for k, v in out.items() if k != "machine"}, indent=1, default=str)[:3000])
    print(f"[bench] wrote {path}")


if __name__ == "__main__":
    main()
