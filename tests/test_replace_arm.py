"""Replace, don't delete (issue 40): a forced re-run of a finished arm that is killed half-way, or that fails, leaves
the arm's last good result byte-identical, and the study's report is still built from the arms that finished."""
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_a_failed_forced_rerun_keeps_the_last_good_result(study):
    """The forced run fails (a cached array truncated, as an interrupted copy leaves it): the arm's last good result
    comes back byte for byte, the attempt is kept to read why, the report is built and the command exits 1."""
    root, cmd = study
    arm = root / "study" / "arms" / "baseline"
    before = digest(arm)
    cached = sorted((root / "data" / "cache").glob("*/cases/*.npy"))[0]
    whole = cached.read_bytes()
    try:
        cached.write_bytes(whole[: len(whole) // 2])
        res = subprocess.run(cmd + ["--force"], capture_output=True, encoding="utf-8", errors="replace", cwd=root)
    finally:
        cached.write_bytes(whole)
    said = res.stdout + res.stderr
    assert res.returncode == 1, said[-3000:]
    assert "baseline: the last good result is kept" in said and "1 arm(s) failed: baseline" in said, said[-3000:]
    assert digest(arm) == before
    assert (root / "study" / "arms" / ".baseline.failed" / "arm.ipynb").is_file()   # the attempt, to read why
    rec = json.loads((root / "study" / "study.json").read_text())
    assert rec["arms"]["baseline"]["status"] == "failed" and rec["report"] == "done"  # the report of what finished
