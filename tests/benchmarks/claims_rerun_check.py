"""Determinism check of a finished claims study: train some of its units again from scratch, in another folder,
and compare their test predictions with the study's, byte for byte (the rest of a unit's record, timings aside).

Run: .venv/bin/python tests/benchmarks/claims_rerun_check.py [--study reports/claims] [--units 4]
Writes results/rerun-claims-<cpu>.json.
"""
import argparse, datetime, filecmp, json, re, shutil, tempfile
from pathlib import Path

from multideepnet.core import machine_info
from multideepnet.layout import ArmDir
from multideepnet.trials import run_unit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--study", default="reports/claims"); ap.add_argument("--units", type=int, default=4)
    ap.add_argument("--results", default="results")
    a = ap.parse_args()
    study = Path(a.study).resolve()
    runs = sorted(study.glob("trials/*/n*/t*/*/run.json"))
    # spread the picks over regimes and arms: every len/units-th unit
    picks = runs[:: max(1, len(runs) // a.units)][: a.units]
    rows, work = [], Path(tempfile.mkdtemp())
    for run in picks:
        r = json.loads(run.read_text())
        arm_dir = run.parent
        cell = arm_dir.parent
        u = {
            "regime": cell.parts[-3],
            "size": int(cell.parts[-2][1:]),
            "trial": int(cell.parts[-1][1:]),
            "arm": r["arm"],
            "seed": r["preset"]["train"]["seed"],
            "epochs": r["preset"]["train"]["epochs"],
            "preset": r["preset"],
            "cache": str(cell / "cache"),
            "out": str(work / cell.relative_to(study) / r["arm"]),
            "pretrain": str(work / "pretrain" / cell.relative_to(study)),
        }
        res = run_unit(u)
        same = filecmp.cmp(ArmDir(arm_dir).predictions, ArmDir(u["out"]).predictions, shallow=False)
        rows.append(
            {
                "unit": str(arm_dir.relative_to(study)),
                "identical_predictions": same,
                "accuracy": res["accuracy"],
                "seconds": res["seconds"],
            }
        )
        print(rows[-1], flush=True)
    info = machine_info(); cpu = re.sub(r"[^a-z0-9]+", "-", info["cpu"].lower()).strip("-")
    Path(a.results).mkdir(exist_ok=True)
    (Path(a.results) / f"rerun-claims-{cpu}.json").write_text(json.dumps(
        {"date": datetime.date.today().isoformat(), "machine": info, "study": str(study), "units": rows}, indent=1))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
