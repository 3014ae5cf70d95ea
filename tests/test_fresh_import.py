"""The library as a user meets it: each module imported in a fresh interpreter, and each command run in a fresh
process on tiny inputs. Notebook tests share one namespace, so a name an exported cell forgot to import stays
hidden there (train's missing `import json` crashed every resumed arm); a fresh process sees it (slow; CI runs it)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from multideepnet.cli import COMMANDS

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p.stem for p in (ROOT / "multideepnet").glob("*.py") if not p.stem.startswith("_"))
EXE = str(Path(sys.executable).with_name("multideepnet"))


def run(args: list[str], cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    res = subprocess.run(args, capture_output=True, encoding="utf-8", errors="replace", timeout=timeout, cwd=cwd)
    assert res.returncode == 0, f"{' '.join(args)} exited {res.returncode}:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_fresh(module):
    run([sys.executable, "-c", f"import multideepnet.{module}"])


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_help_fresh(command):
    assert "usage:" in run([EXE, command, "--help"]).stdout


def test_commands_on_tiny_inputs_fresh(tmp_path):
    """phantoms -> info -> prepare, and train interrupted then resumed: each command in its own process."""
    run([EXE, "phantoms", "--n", "3", "--matrix", "64", "--out", str(tmp_path / "ph"), "--quiet"])
    first = (
        (tmp_path / "ph" / "manifest.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[2]
    )  # a NIfTI or DICOM folder
    run([EXE, "info", str(tmp_path / "ph" / first)])
    run([EXE, "prepare", "--manifest", str(tmp_path / "ph" / "manifest.csv"), "--out", str(tmp_path / "cache"),
         "--out-shape", "8", "16", "16", "--quiet"])
    cache = tmp_path / "syn"
    run(
        [
            sys.executable,
            "-c",
            f"from multideepnet.testing import write_synthetic_cache; write_synthetic_cache({str(cache)!r})",
        ]
    )
    train = [EXE, "train", "--arm", "full", "--preset", "smoke", "--cache", str(cache), "--out", str(tmp_path / "arm"),
             "--no-progress"]
    assert "interrupted" in run(train + ["--stop-after-epochs", "1"]).stdout
    assert "done" in run(train).stdout                                   # the resume path, in a fresh process



def test_cli_on_an_ascii_console(tmp_path):
    """CI's console was ASCII (no UTF-8 mode): a non-ASCII file name printed by a command or named in an error
    line must not become a traceback, and the tests read a child's UTF-8 progress bars whatever the locale."""
    import numpy as np
    import SimpleITK as sitk
    from multideepnet.io import itk_path
    name = lambda stem: os.fsdecode(f"{stem}_\u00e9.nii.gz".encode("utf-8"))   # the bytes on disk, whatever this locale
    scan = tmp_path / name("scan")
    sitk.WriteImage(sitk.GetImageFromArray(np.full((4, 8, 8), -1000, np.int16)), itk_path(scan))
    env = {"PATH": str(Path(sys.executable).parent), "PYTHONUTF8": "0", "LC_ALL": "C", "HOME": str(tmp_path)}
    for path, code in ((scan, 0), (tmp_path / name("missing"), 2)):
        res = subprocess.run([EXE, "info", str(path)], capture_output=True, env=env, timeout=120)
        out, err = res.stdout.decode("ascii"), res.stderr.decode("ascii")     # escaped, so plain ASCII
        assert res.returncode == code and "Traceback" not in err, err
        if code == 0: assert "scan_" in out and "4 x 8 x 8" in out, out
    assert "missing_" in err and "no such file" in err


@pytest.mark.parametrize("section,bad,good", [("data", "mtrix", "matrix"), ("prep", "out_shap", "out_shape"),
                                              ("model", "widht", "width"), ("split", "fold", "folds"),
                                              ("train", "epoch", "epochs"), ("gradcam", "layers", "layer"),
                                              ("explanations", "max_case", "max_cases")])
def test_misspelt_preset_key_is_refused_in_one_line(tmp_path, section, bad, good):
    """`reproduce --dry-run` with a misspelt key in any section: exit 2 and one line naming the file, the section,
    the key and the closest known key, before anything runs."""
    import yaml
    from multideepnet.core import config_path
    preset = yaml.safe_load(config_path("presets", "smoke.yaml").read_text(encoding="utf-8"))
    preset[section] = {**preset.get(section, {}), bad: 1}
    (tmp_path / "typo.yaml").write_text(yaml.safe_dump(preset), encoding="utf-8")
    res = subprocess.run(
        [EXE, "reproduce", "--dry-run", "--preset", str(tmp_path / "typo.yaml"), "--out", str(tmp_path / "out")],
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=300,
    )
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2 and len(lines) == 1, res.stderr
    assert f"typo.yaml: {section} section: unknown key {bad!r} (did you mean {good!r}?)" in lines[0], lines[0]
    assert not (tmp_path / "out").exists()
