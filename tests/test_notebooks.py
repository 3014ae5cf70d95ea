"""Run each library notebook's own tests (nbdev_test) and report them through pytest.

Cells flagged `#| slow` in a notebook run only with --runslow or in CI; cells flagged `#| shared` (they read the real
scans in ../shared) run only where that folder exists, and `test_shared_sample_present` reports a skip where not.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SHARED_SAMPLE, run_slow

NOTEBOOKS = sorted((ROOT / "nbs").glob("[0-9][0-9]*_*.ipynb"))   # 03a_, 03b_: parts of one step


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb: Path, request):
    cmd = [str(Path(sys.executable).with_name("nbdev_test")), "--path", str(nb), "--do_print"]
    flags = (["slow"] if run_slow(request.config) else []) + (["shared"] if SHARED_SAMPLE.is_dir() else [])
    if flags:
        cmd += ["--flags", " ".join(flags)]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, encoding="utf-8", errors="replace", timeout=1800)
    assert res.returncode == 0, f"nbdev_test failed for {nb.name}:\n{res.stdout[-6000:]}\n{res.stderr[-6000:]}"


def test_shared_sample_present():
    """The notebooks' real-scan cells ran (see above) only if the sample exists: say so where it does not."""
    if not SHARED_SAMPLE.is_dir():
        pytest.skip(f"notebook cells flagged `shared` not run: real-scan sample not found at {SHARED_SAMPLE}")
    assert any(SHARED_SAMPLE.glob("*subjects/*")), f"{SHARED_SAMPLE}: no scans in the sample"
