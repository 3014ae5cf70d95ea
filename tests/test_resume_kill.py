"""Resumption as a property of the whole study: `multideepnet reproduce --preset smoke` killed with SIGKILL at six
points, started again each time, must finish with exit 0, give the same predictions as an uninterrupted run, and
redo nothing that was finished (slow; CI runs it).

One chain of runs: run -> SIGKILL when a kill point is reached -> run again -> SIGKILL at the next point -> ... -> a
last run that finishes. The kill goes to the whole process group (the command, its papermill kernels and worker
processes), as a terminal's kill or the OOM killer of a container would. `--jobs 1` runs the arms one after the
other so the kill points are well defined; the uninterrupted reference uses the same settings.

"Redo nothing that was finished" is checked by file modification times (nanoseconds): at each kill, the files of
everything already finished (phantoms with their record, cached arrays with theirs, arms with done.json, shared
pre-trainings) are noted with their mtime; after the last run every one of them must be unchanged.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow
EXE = str(Path(sys.executable).with_name("multideepnet"))
ARMS = ("baseline", "multiview", "multitask", "full")


def cmd(root: Path) -> list[str]:
    return [EXE, "reproduce", "--preset", "smoke", "--out", str(root / "report"), "--data-root", str(root / "data"),
            "--n-boot", "100", "--jobs", "1", "--no-html"]


def glob_count(root: Path, pattern: str, since: float = 0.0) -> int:
    """Files matching `pattern` under `root`, written at or after `since` (a time.time())."""
    return sum(1 for f in root.glob(pattern) if f.stat().st_mtime >= since)


# (name, condition on the study root that means "this point is reached"); units run in the order: the shared
# pre-training fold by fold (a unit of its own, in report/pretrain/<hash>/), then multitask, full (both load it),
# baseline, multiview.
KILL_POINTS = [
    ("phantom writing", lambda r, t: glob_count(r, "data/phantoms/*/cases/*.json") >= 5),
    ("preprocessing", lambda r, t: glob_count(r, "data/cache/*/cases/*.npy") >= 5),
    # per fold: pre-training, then 3-class training; fold 1 comes after fold 0, so each point lies beyond the last
    # (a checkpoint written by this very run: the kill falls inside that stage, not at the restart)
    ("shared pre-training (fold 1)", lambda r, t: glob_count(r, "report/pretrain/*/fold1/pretrain_last.pt", t) > 0),
    (
        "3-class training (multitask arm, fold 1)",
        lambda r, t: glob_count(r, "report/arms/multitask/fold1/train_last.pt", t) > 0,
    ),
    ("between arms", lambda r, t: (r / "report/arms/multitask/done.json").exists()),
    ("report", lambda r, t: any((r / "report" / n).exists() for n in (".report.running.ipynb", "report.ipynb"))),
]


def finished_files(root: Path) -> dict[Path, int]:
    """mtime (ns) of every file of everything finished so far."""
    files: list[Path] = []
    for rec in root.glob("data/phantoms/*/cases/*.json"):            # a phantom with its record
        row = json.loads(rec.read_text(encoding="utf-8"))["row"]
        base = rec.parent.parent
        for key in ("path", "lung_mask", "lesion_mask"):
            p = base / row[key]
            files += [f for f in p.rglob("*") if f.is_file()] if p.is_dir() else [p]
        files.append(rec)
    for rec in root.glob("data/cache/*/cases/*.json"):               # a cached array with its record
        if json.loads(rec.read_text(encoding="utf-8")).get("status") == "ok": files += [rec, rec.with_suffix(".npy")]
    for done in root.glob("report/arms/*/done.json"):                # a finished arm: all its files
        files += [f for f in done.parent.rglob("*") if f.is_file()]
    files += list(root.glob("report/pretrain/*.pt"))                 # shared pre-trainings
    return {f: f.stat().st_mtime_ns for f in files}


def predictions(root: Path) -> dict[str, pd.DataFrame]:
    return {a: pd.read_csv(root / "report" / "arms" / a / "predictions.csv", dtype={"patient_id": str}) for a in ARMS}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("uninterrupted")
    t0 = time.perf_counter()
    res = subprocess.run(cmd(root), capture_output=True, encoding="utf-8", errors="replace", timeout=1800)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return {"root": root, "seconds": time.perf_counter() - t0, "predictions": predictions(root)}


def run_until(root: Path, point, timeout: float = 900) -> tuple[bool, float]:
    """Run the study; SIGKILL its process group once `point` holds. (killed?, seconds)."""
    t0, started = time.perf_counter(), time.time()
    proc = subprocess.Popen(cmd(root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while proc.poll() is None:
        if point is not None and point(root, started):
            os.killpg(proc.pid, signal.SIGKILL); proc.wait()
            return True, time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout:
            os.killpg(proc.pid, signal.SIGKILL); raise TimeoutError("study did not finish")
        time.sleep(0.02)
    assert proc.returncode == 0, f"run exited {proc.returncode}"
    return False, time.perf_counter() - t0


def test_reproduce_survives_sigkill_at_every_stage(reference, tmp_path):
    root, log, kept = tmp_path, [], {}
    for name, point in KILL_POINTS:
        killed, secs = run_until(root, point)
        assert killed, f"the study finished before reaching the kill point {name!r}"
        kept.update({f: m for f, m in finished_files(root).items() if f not in kept})
        log.append((name, round(secs, 1)))
    _, last = run_until(root, None)
    total = sum(s for _, s in log) + last
    print(f"\nkill points and seconds run before each kill: {log}; last run {last:.1f} s; "
          f"total {total:.1f} s vs {reference['seconds']:.1f} s uninterrupted "
          f"({total - reference['seconds']:+.1f} s, including {len(log)} restarts)")
    # exit 0 (run_until asserts it), the same predictions as the uninterrupted run
    got, ref = predictions(root), reference["predictions"]
    for arm in ARMS:
        cols = [c for c in ref[arm].columns if c.startswith("p_")]
        pd.testing.assert_frame_equal(got[arm][["patient_id", "y_pred"]], ref[arm][["patient_id", "y_pred"]])
        diff = float(np.abs(got[arm][cols].to_numpy(float) - ref[arm][cols].to_numpy(float)).max()) if cols else 0.0
        print(f"{arm}: max |probability difference| vs uninterrupted = {diff:.3g}")
        assert diff == 0.0, (arm, diff)
    # nothing finished was redone: every file noted at a kill is untouched
    changed = [str(f.relative_to(root)) for f, m in kept.items() if not f.exists() or f.stat().st_mtime_ns != m]
    assert not changed, f"{len(changed)} finished file(s) rewritten after a kill: {changed[:10]}"
    assert len(kept) > 50, len(kept)                                  # the check looked at real work
    study = json.loads((root / "report" / "study.json").read_text(encoding="utf-8"))
    assert study["report"] == "done" and (root / "report" / "index.html").exists()
