"""A plain (non-editable) install of a clean copy works from any folder, without npm (slow; CI runs it).

The tracked files are copied (a clean checkout), installed with `pip install --no-deps --target` (the dependencies
come from this environment), and `multideepnet reproduce --preset smoke` runs from an empty folder with that install
first on the path, an `npm` that always fails first on PATH and an empty widget-JavaScript cache: it must find its
study notebooks inside the package, fall back to the public CDN for the widget JavaScript, and write report.html.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def test_plain_install_reproduces_without_npm(tmp_path):
    src, site, work = tmp_path / "src", tmp_path / "site", tmp_path / "work"
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, encoding="utf-8", errors="replace", check=True
    ).stdout.split()
    for f in files:
        (src / f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(ROOT / f, src / f)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(src),
        ],
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert (site / "multideepnet" / "study_notebooks" / "arm.ipynb").exists(), "study notebooks shipped in the package"
    assert (site / "multideepnet" / "configs" / "presets" / "smoke.yaml").exists()
    bin_dir = tmp_path / "bin"; bin_dir.mkdir(); work.mkdir()
    (bin_dir / "npm").write_text("#!/bin/sh\necho 'npm: no network here' >&2\nexit 1\n"); (bin_dir / "npm").chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(site), "PATH": f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin",
           "MULTIDEEPNET_WIDGETS_JS": str(tmp_path / "empty-js-cache")}
    where = subprocess.run(
        [sys.executable, "-c", "import multideepnet; print(multideepnet.__file__)"],
        env=env,
        cwd=work,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
    ).stdout.strip()
    assert where.startswith(str(site)), f"the plain install is not the one imported: {where}"
    res = subprocess.run(
        [
            str(site / "bin" / "multideepnet"),
            "reproduce",
            "--preset",
            "smoke",
            "--out",
            "report",
            "--data-root",
            "data",
            "--n-boot",
            "50",
        ],
        env=env,
        cwd=work,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=1200,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    study = json.loads((work / "report" / "study.json").read_text(encoding="utf-8"))
    assert study["report"] == "done" and all(a["status"] == "done" for a in study["arms"].values())
    html = (work / "report" / "report.html").read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager" in html      # the CDN fallback, with a warning
    assert "cdn.jsdelivr.net" in res.stderr and "widget JavaScript not available locally" in res.stderr   # the warning
