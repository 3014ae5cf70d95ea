"""Run each library notebook's own tests (nbdev_test) and report them through pytest.

Cells flagged `#| slow` in a notebook run only with --runslow or in CI.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_slow

NOTEBOOKS = sorted((ROOT / "nbs").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb: Path, request):
    cmd = [str(Path(sys.executable).with_name("nbdev_test")), "--path", str(nb), "--do_print"]
    if run_slow(request.config):
        cmd += ["--flags", "slow"]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, f"nbdev_test failed for {nb.name}:\n{res.stdout[-6000:]}\n{res.stderr[-6000:]}"
