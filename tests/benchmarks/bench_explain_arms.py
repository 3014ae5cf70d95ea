"""Benchmark: each trained arm's explanation step of a finished quick study (`arm.explain_step`: the model bundle,
the figure cases' Grad-CAM, and every method's four checks), by this checkout ("new") and by the code of --old-ref
("old", from `git archive` of that commit with PYTHONPATH), interleaved, in fresh processes with one thread each (as
the study gives an arm on a 2-core CPU), each on its own copy of the arm's folder. Then the explanation tables the
two wrote, old against new: the largest absolute difference per numeric column, and how many text cells differ.

Unlike bench_explain_step (untrained models, random volumes), these are the study's own models and phantoms.
Results: results/bench_explain_arms-<cpu>.json (machine, torch, date), unless --no-json.

Run: .venv/bin/python tests/benchmarks/bench_explain_arms.py [--study reports/quick --runs 1]
"""
import argparse
import datetime
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_predict import OLD_REF, env_for, old_package, write_result   # noqa: E402

WORKER = r'''
import json, sys, time
import torch
torch.set_num_threads(1)
from multideepnet.arm import explain_step
import multideepnet
arm_dir, preset, manifest, out = sys.argv[1:5]
t0 = time.perf_counter(); explain_step(arm_dir, json.loads(preset), manifest, 1000)
json.dump({"explain_step_s": time.perf_counter() - t0, "package": multideepnet.__file__}, open(out, "w"))
'''
TABLES = ("test.csv", "validation.csv", "randomisation.csv")


def table_differences(a: Path, b: Path) -> dict:
    """Per table: rows in each, the largest absolute difference per numeric column, text cells that differ."""
    out = {}
    for name in TABLES:
        if not (a / name).is_file() or not (b / name).is_file():
            out[name] = "missing"; continue
        x, y = pd.read_csv(a / name), pd.read_csv(b / name)
        if x.shape != y.shape or list(x.columns) != list(y.columns):
            out[name] = {"shape": [list(x.shape), list(y.shape)]}; continue
        d = {}
        for c in x.columns:
            numeric = [pd.api.types.is_numeric_dtype(t[c]) and not pd.api.types.is_bool_dtype(t[c]) for t in (x, y)]
            if all(numeric):
                diff = (x[c] - y[c]).abs()
                both_nan = x[c].isna() & y[c].isna()
                d[c] = float(diff[~both_nan].max()) if (~both_nan).any() else 0.0
                if (x[c].isna() != y[c].isna()).any(): d[c] = "nan differs"
            else:
                d[c] = int((x[c].astype(str) != y[c].astype(str)).sum())
        out[name] = d
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--study", default=str(ROOT / "reports" / "quick"))
    ap.add_argument("--arms", nargs="+", default=["baseline", "multiview", "multitask", "full"])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--old-ref", default=OLD_REF)
    ap.add_argument("--work", default=str(ROOT / ".scratch" / "bench_explain_arms"))
    ap.add_argument("--no-json", action="store_true")
    a = ap.parse_args()
    import torch
    from multideepnet.core import cpu_model, machine_info
    study = Path(a.study).resolve()
    rec = json.loads((study / "study.json").read_text())
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    old_dir, old_sha = old_package(a.old_ref, work)
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    res = {"benchmark": "bench_explain_arms", "date": datetime.datetime.now().isoformat(timespec="seconds"),
           "machine": machine_info(), "lscpu_model": cpu_model(), "torch": torch.__version__, "study": str(study),
           "preset": rec["preset_name"], "old_commit": old_sha, "new_commit": head, "runs": [], "tables": {}}
    for r in range(a.runs):
        for arm in a.arms:
            for ver in (("old", "new") if r % 2 == 0 else ("new", "old")):
                dest = work / f"{arm}-{ver}"
                shutil.rmtree(dest, ignore_errors=True)
                shutil.copytree(
                    study / "arms" / arm,
                    dest,
                    ignore=shutil.ignore_patterns("explanations", "gradcam", "*.html", "*.ipynb"),
                )
                out = work / f"{arm}-{ver}.json"
                subprocess.run(
                    [sys.executable, "-c", WORKER, str(dest), json.dumps(rec["preset"]), rec["manifest"], str(out)],
                    env=env_for(ver, old_dir),
                    check=True,
                    cwd=work,
                    capture_output=True,
                )
                o = json.loads(out.read_text())
                assert (ver == "old") == (str(old_dir) in o["package"]), f"{ver} ran {o['package']}"
                res["runs"].append(
                    {"round": r, "arm": arm, "version": ver, "explain_step_s": round(o["explain_step_s"], 2)}
                )
                print(f"round {r} {arm} {ver}: explain_step {o['explain_step_s']:.1f} s ({o['package']})", flush=True)
            res["tables"][arm] = table_differences(
                work / f"{arm}-old" / "explanations", work / f"{arm}-new" / "explanations"
            )
    res["median"] = {
        arm: {
            ver: statistics.median(x["explain_step_s"] for x in res["runs"] if x["arm"] == arm and x["version"] == ver)
            for ver in ("old", "new")
        }
        for arm in a.arms
    }
    print(json.dumps({k: res[k] for k in ("median", "tables")}, indent=1))
    if not a.no_json:
        write_result("bench_explain_arms", res)
