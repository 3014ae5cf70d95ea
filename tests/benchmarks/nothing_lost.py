"""Nothing finished is lost (issue 40), shown on a smoke study of the four arms and recorded as data: each way a
result can be threatened, what the next commands did, and whether the last good result is byte-identical after.

    python tests/benchmarks/nothing_lost.py [--results results] [--work DIR]

Scenarios, in order, on one study (the baseline arm is the one threatened):
- kill: `reproduce --arms baseline --force` killed as it trains, then a plain run;
- fail: a forced re-run that fails (it asks for a GPU; skipped where there is one);
- fill: a forced re-run under a 3 MB file-size limit (as a full disk), then a plain run once there is room;
- corrupt: a cached array cut in half, then a forced re-run;
- damaged: the finished arm's model.pt cut short, then a plain run;
- copy: data/ and the study copied as `cp -r` copies (new file times), the old data/ gone, then a plain run;
- verify: one flipped byte in a cached array, `prepare --verify`, then `--verify --repair --manifest`;
- batch: `prepare` of the cohort into a new cache under a 10 kB file-size limit (every array fails to write).

Writes results/nothing-lost-<cpu>.json with the machine and date."""
import argparse
import datetime
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

from multideepnet.core import atomic_write_json, machine_info
from multideepnet.testing import same_tensors

EXE = str(Path(sys.executable).with_name("multideepnet"))


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def same_weights(a: Path, b_state) -> bool:
    return same_tensors(torch.load(a, weights_only=True), b_state)


def run(cmd: list[str], cwd: Path, limit: int | None = None) -> dict:
    t0 = time.perf_counter()
    pre = (lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))) if limit else None
    res = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace", cwd=cwd, preexec_fn=pre)
    said = res.stdout + res.stderr
    lines = [ln for ln in said.splitlines() if ln.startswith(("[study]", "bad:", "removed:")) or "verified" in ln]
    return {"rc": res.returncode, "seconds": round(time.perf_counter() - t0, 1), "lines": lines, "said": said}


def lines_with(r: dict, *words: str) -> list[str]:
    return [ln for ln in r["lines"] if any(w in ln for w in words)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results")
    ap.add_argument("--work", help="folder to work in (default: a new temporary one)")
    a = ap.parse_args()
    root = Path(a.work or tempfile.mkdtemp(prefix="nothing-lost-")).resolve()
    root.mkdir(parents=True, exist_ok=True)
    base = [EXE, "reproduce", "--preset", "smoke", "--n-boot", "50", "--no-html"]
    cmd = base + ["--out", str(root / "study"), "--data-root", str(root / "data")]
    arm = root / "study" / "arms" / "baseline"
    out: dict = {"date": datetime.date.today().isoformat(), "machine": machine_info(), "preset": "smoke",
                 "torch": torch.__version__, "scenarios": {}}
    sc = out["scenarios"]

    made = run(cmd, root)
    assert made["rc"] == 0, made["said"][-3000:]
    sc["make"] = {"rc": made["rc"], "seconds": made["seconds"]}
    good = digest(arm)
    print(f"made the study in {made['seconds']} s", flush=True)

    # kill: a forced re-run killed as it trains; then a plain run
    proc = subprocess.Popen(cmd + ["--arms", "baseline", "--force"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            encoding="utf-8", errors="replace", cwd=root, start_new_session=True)
    for line in proc.stdout:
        if "[train] baseline" in line:
            os.killpg(proc.pid, signal.SIGKILL); break
    proc.wait(timeout=120)
    aside = (root / "study" / "arms" / ".baseline.previous").is_dir()
    nxt = run(cmd, root)
    sc["kill"] = {"killed_while": "[train] baseline", "set_aside_after_kill": aside, "next_rc": nxt["rc"],
                  "next_said": lines_with(nxt, "interrupted", "baseline:"), "next_seconds": nxt["seconds"],
                  "report": json.loads((root / "study" / "study.json").read_text())["report"],
                  "identical": digest(arm) == good}
    print("kill:", sc["kill"]["identical"], flush=True)

    # fail: a forced re-run that fails
    if not torch.cuda.is_available():
        r = run(cmd + ["--arms", "baseline", "--force", "--device", "cuda:0"], root)
        sc["fail"] = {"rc": r["rc"], "said": lines_with(r, "kept", "failed"), "identical": digest(arm) == good,
                      "report": json.loads((root / "study" / "study.json").read_text())["report"]}
        print("fail:", sc["fail"]["identical"], flush=True)

    # fill: a forced re-run under a file-size limit, then a plain run once there is room
    limit = 3_000_000
    r = run(cmd + ["--arms", "baseline", "--force"], root, limit=limit)
    stray = [str(p.relative_to(root)) for p in (root / "study").rglob("*") if p.is_file()
             and ((p.name.startswith(".") and p.name != ".study.lock") or p.stat().st_size == limit)]
    nxt = run(cmd, root)
    sc["fill"] = {"file_size_limit": limit, "rc": r["rc"], "said": lines_with(r, "cannot write"),
                  "stray_files": stray, "identical": digest(arm) == good, "next_rc": nxt["rc"],
                  "next_report": json.loads((root / "study" / "study.json").read_text())["report"]}
    print("fill:", sc["fill"]["identical"], sc["fill"]["said"][:1], flush=True)

    # corrupt: a cached array cut in half, then a forced re-run
    weights = torch.load(arm / "model.pt", weights_only=True)
    predictions = (arm / "predictions.csv").read_bytes()
    cached = sorted((root / "data" / "cache").glob("*/cases/*.npy"))[0]
    whole = cached.read_bytes()
    cached.write_bytes(whole[: len(whole) // 2])
    r = run(cmd + ["--arms", "baseline", "--force"], root)
    sc["corrupt"] = {"rc": r["rc"], "array_healed_identical": cached.read_bytes() == whole,
                     "predictions_identical": (arm / "predictions.csv").read_bytes() == predictions,
                     "weights_identical": same_weights(arm / "model.pt", weights), "seconds": r["seconds"]}
    print("corrupt:", sc["corrupt"], flush=True)
    good = digest(arm)

    # damaged: the finished arm's model.pt cut short, then a plain run
    model = (arm / "model.pt").read_bytes()
    (arm / "model.pt").write_bytes(model[:1000])
    r = run(cmd, root)
    sc["damaged"] = {"rc": r["rc"], "said": lines_with(r, "damaged"),
                     "predictions_identical": (arm / "predictions.csv").read_bytes() == predictions,
                     "weights_identical": same_weights(arm / "model.pt", weights), "seconds": r["seconds"],
                     "others_skipped": len(lines_with(r, "finished earlier, skipped"))}
    print("damaged:", sc["damaged"]["said"], flush=True)

    # copy: data/ and the study copied with new file times, the old data/ gone, then a plain run
    (root / "copy").mkdir()
    shutil.copytree(root / "data", root / "copy" / "data", copy_function=shutil.copy)
    shutil.copytree(root / "study", root / "copy" / "study", copy_function=shutil.copy)
    (root / "data").rename(root / "data.gone")
    r = run(base + ["--out", str(root / "copy" / "study"), "--data-root", str(root / "copy" / "data")], root)
    (index,) = [pd.read_csv(p) for p in (root / "copy" / "data" / "cache").glob("*/index.csv")]
    ok = index[index.status != "failed"]
    sc["copy"] = {"rc": r["rc"], "cases": len(ok), "cases_reused": int(ok.cached.sum()),
                  "cases_preprocessed_again": int((~ok.cached.astype(bool)).sum()),
                  "arms_skipped": len(lines_with(r, "finished earlier, skipped")),
                  "arms_trained_again": len(lines_with(r, "running arm notebook")), "seconds": r["seconds"]}
    (root / "data.gone").rename(root / "data")
    print("copy:", sc["copy"], flush=True)

    # verify: one flipped byte, found; then repaired
    cache = next((root / "copy" / "data" / "cache").glob("*/index.csv")).parent
    npy = sorted((cache / "cases").glob("*.npy"))[0]
    whole = npy.read_bytes()
    npy.write_bytes(whole[:-1] + bytes([whole[-1] ^ 1]))
    v = run([EXE, "prepare", "--verify", "--out", str(cache)], root)
    manifest = next((root / "copy" / "data" / "phantoms").glob("*/manifest.csv"))
    prep = ["--out-shape", "16", "32", "32", "--window", "-600", "600", "--dtype", "uint8", "--quiet"]   # smoke's
    rep = run([EXE, "prepare", "--verify", "--repair", "--out", str(cache), "--manifest", str(manifest), *prep], root)
    sc["verify"] = {"verify_rc": v["rc"], "verify_said": v["lines"], "repair_rc": rep["rc"],
                    "repair_said": rep["lines"], "repaired_identical": npy.read_bytes() == whole}
    print("verify:", sc["verify"], flush=True)

    # batch: a preprocessing batch under a 10 kB file-size limit
    fresh = root / "limited-cache"
    b = run([EXE, "prepare", "--manifest", str(manifest), "--out", str(fresh), *prep, "--no-qc-files"], root,
            limit=10_000)
    idx = pd.read_csv(fresh / "index.csv") if (fresh / "index.csv").is_file() else pd.DataFrame()
    sc["batch"] = {"file_size_limit": 10_000, "rc": b["rc"], "cases": len(idx),
                   "failed": int((idx.status == "failed").sum()) if len(idx) else None,
                   "error_example": str(idx.error.iloc[0]) if len(idx) else None,
                   "arrays_left": len(list((fresh / "cases").glob("*.npy"))),
                   "partial_files": [p.name for p in (fresh / "cases").iterdir() if p.name.startswith(".")]}
    print("batch:", sc["batch"], flush=True)

    cpu = re.sub(r"[^a-z0-9]+", "-", out["machine"]["cpu"].lower()).strip("-")
    path = Path(a.results) / f"nothing-lost-{cpu}.json"
    atomic_write_json(path, json.loads(json.dumps(out).replace(str(root), "WORK")))   # paths as in any folder
    print("->", path)
    if not a.work: shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
