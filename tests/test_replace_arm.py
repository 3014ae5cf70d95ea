"""Replace, don't delete (issue 40): a forced re-run of a finished arm that is killed half-way, or that fails, leaves
the arm's last good result byte-identical, and the study's report is still built from the arms that finished."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from multideepnet.testing import same_tensors

EXE = str(Path(sys.executable).with_name("multideepnet"))
pytestmark = pytest.mark.slow


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A finished smoke study of the baseline arm, and the command that made it."""
    root = tmp_path_factory.mktemp("replace")
    cmd = [EXE, "reproduce", "--preset", "smoke", "--arms", "baseline", "--out", str(root / "study"),
           "--data-root", str(root / "data"), "--n-boot", "50", "--no-html"]
    res = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace", cwd=root)
    assert res.returncode == 0, res.stderr[-3000:]
    return root, cmd


def test_a_killed_forced_rerun_keeps_the_last_good_result(study):
    root, cmd = study
    arm = root / "study" / "arms" / "baseline"
    before = digest(arm)
    proc = subprocess.Popen(cmd + ["--force"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, encoding="utf-8",
                            errors="replace", cwd=root, start_new_session=True)
    seen = []
    for line in proc.stdout:                      # killed as training runs, as a closed laptop stops it
        seen.append(line)
        if "[train] baseline" in line:
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert any("set aside" in s for s in seen), "".join(seen)[-2000:]
    assert (root / "study" / "arms" / ".baseline.previous").is_dir()          # the last good result, kept aside
    res = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace", cwd=root)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "baseline: a rebuild was interrupted" in res.stdout and "finished earlier, skipped" in res.stdout
    assert digest(arm) == before                                              # byte for byte
    assert json.loads((root / "study" / "study.json").read_text())["report"] == "done"


@pytest.mark.skipif(torch.cuda.is_available(), reason="the failure is asking for CUDA where there is none")
def test_a_failed_forced_rerun_keeps_the_last_good_result(study):
    """The forced run fails (it asks for a GPU this machine lacks): the arm's last good result comes back byte for
    byte, the attempt is kept to read why, the report is built from what finished and the command exits 1."""
    root, cmd = study
    arm = root / "study" / "arms" / "baseline"
    before = digest(arm)
    res = subprocess.run(cmd + ["--force", "--device", "cuda:0"], capture_output=True, encoding="utf-8",
                         errors="replace", cwd=root)
    said = res.stdout + res.stderr
    assert res.returncode == 1, said[-3000:]
    assert "baseline: the last good result is kept" in said and "1 arm(s) failed: baseline" in said, said[-3000:]
    assert digest(arm) == before
    assert (root / "study" / "arms" / ".baseline.failed" / "arm.ipynb").is_file()   # the attempt, to read why
    rec = json.loads((root / "study" / "study.json").read_text())
    assert rec["arms"]["baseline"]["status"] == "failed" and rec["report"] == "done"  # the report of what finished
    assert "the last good result is kept" in (root / "study" / "index.html").read_text()     # and the page says so


def test_a_full_disk_during_a_forced_rerun_keeps_the_last_good_result(study):
    """A forced re-run under a file-size limit (as a full disk): the arm's training checkpoint cannot be written. The
    arm fails with one line naming the file and the reason, no partial file is left anywhere, and its last good result
    stays byte for byte; once there is room, the next plain run builds the report."""
    import resource
    root, cmd = study
    arm, limit = root / "study" / "arms" / "baseline", 3_000_000
    assert max(p.stat().st_size for p in arm.rglob("*_last.pt")) > limit      # the limit falls inside training
    before = digest(arm)
    res = subprocess.run(cmd + ["--force"], capture_output=True, encoding="utf-8", errors="replace", cwd=root,
                         preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    said = res.stdout + res.stderr
    assert res.returncode == 1, said[-3000:]
    assert "_last.pt: cannot write (File too large)" in said, said[-3000:]
    assert "baseline: the last good result is kept" in said and "Traceback" not in said, said[-3000:]
    assert digest(arm) == before
    stray = [p for p in (root / "study").rglob("*") if p.is_file()
             and (p.name.startswith(".") and p.name != ".study.lock" or p.stat().st_size == limit)]
    assert not stray, stray                                     # no temporary, no file cut off at the limit
    res = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace", cwd=root)
    assert res.returncode == 0 and "baseline: finished earlier, skipped" in res.stdout, res.stderr[-3000:]
    assert json.loads((root / "study" / "study.json").read_text())["report"] == "done"
    assert digest(arm) == before


def test_a_corrupt_cache_is_healed_before_a_forced_rerun(study):
    """A cached array truncated (an interrupted copy): the study's preprocessing makes it again, and the forced arm
    trains to the same weights as before."""
    root, cmd = study
    model = root / "study" / "arms" / "baseline" / "model.pt"
    before = torch.load(model, weights_only=False, map_location="cpu")
    cached = sorted((root / "data" / "cache").glob("*/cases/*.npy"))[0]
    whole = cached.read_bytes()
    cached.write_bytes(whole[: len(whole) // 2])
    res = subprocess.run(cmd + ["--force"], capture_output=True, encoding="utf-8", errors="replace", cwd=root)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert cached.read_bytes() == whole                                            # healed: made again, the same
    assert same_tensors(before, torch.load(model, weights_only=False, map_location="cpu"))


def test_a_damaged_finished_arm_is_found_and_built_again(study):
    """A finished arm's model file cut short after it finished (a bad disk, an interrupted copy): its done.json's list
    of files finds it on the next plain run, which names the file and builds the arm again, to the same predictions
    and weights; an intact arm is trusted and skipped."""
    root, cmd = study
    arm = root / "study" / "arms" / "baseline"
    predictions, before = (arm / "predictions.csv").read_bytes(), torch.load(arm / "model.pt", weights_only=True)
    whole = (arm / "model.pt").read_bytes()
    (arm / "model.pt").write_bytes(whole[:1000])
    res = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace", cwd=root)
    said = res.stdout + res.stderr
    assert res.returncode == 0, said[-3000:]
    assert f"baseline: its finished result is damaged ({arm / 'model.pt'}: 1000 bytes, {len(whole)} when" in said, said
    assert (arm / "predictions.csv").read_bytes() == predictions
    assert same_tensors(before, torch.load(arm / "model.pt", weights_only=True))
    res = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace", cwd=root)
    assert "baseline: finished earlier, skipped" in res.stdout, res.stdout[-2000:]


def test_a_moved_data_folder_and_a_copied_study_keep_their_work(study):
    """The data folder copied elsewhere as `cp -r` copies (every file a new time) and the old one gone, and the study
    copied the same way: no case is preprocessed again and no arm trained again. The cache is keyed by what the
    manifest says and by the scans' bytes, not by where they are or their file times."""
    root, cmd = study
    moved, gone = root / "elsewhere" / "data", root / "data.gone"
    shutil.copytree(root / "data", moved, copy_function=shutil.copy)          # new file times, as `cp -r`
    shutil.copytree(root / "study", root / "copy", copy_function=shutil.copy)
    (root / "data").rename(gone)
    try:
        argv = [str(moved) if c == str(root / "data") else str(root / "copy") if c == str(root / "study") else c
                for c in cmd]
        t0 = time.perf_counter()
        res = subprocess.run(argv, capture_output=True, encoding="utf-8", errors="replace", cwd=root)
        seconds = time.perf_counter() - t0
        assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
        assert "baseline: finished earlier, skipped" in res.stdout, res.stdout[-2000:]
        (cache,) = [p.parent for p in (moved / "cache").glob("*/index.csv")]
        index = pd.read_csv(cache / "index.csv")
        ok = index[index.status != "failed"]
        assert len(ok) and ok.cached.all(), index[["patient_id", "cached"]]          # nothing preprocessed again
        print(f"copied data and study: {len(ok)} cases reused, 0 preprocessed, 0 arms trained, {seconds:.1f} s")
    finally:
        gone.rename(root / "data")
