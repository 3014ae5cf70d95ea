"""End to end: `multideepnet reproduce --preset smoke` through papermill and the HTML export, a re-run that skips
finished arms, clear errors, and `multideepnet predict` on a real scan with the study's model (slow; CI runs it)."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from multideepnet.cli import main

pytestmark = pytest.mark.slow
EXE = str(Path(sys.executable).with_name("multideepnet"))


@pytest.fixture(scope="module")
def smoke_study(tmp_path_factory):
    root = tmp_path_factory.mktemp("smoke")
    out, data = root / "report", root / "data"
    cmd = [EXE, "reproduce", "--preset", "smoke", "--out", str(out), "--data-root", str(data), "--n-boot", "200"]
    res = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace", timeout=1800)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    return {"out": out, "data": data, "cmd": cmd, "stdout": res.stdout}


def test_reproduce_smoke_leaves_the_report(smoke_study):
    out = smoke_study["out"]
    study = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert [s["status"] for s in study["arms"].values()] == ["done"] * 4
    assert study["report"] == "done" and study["source"] == "phantoms"
    for arm in ("baseline", "multiview", "multitask", "full"):
        d = out / "arms" / arm
        for f in (
            "arm.ipynb",
            "arm.html",
            "metrics.json",
            "predictions.csv",
            "ci.csv",
            "confusion.png",
            "model.pt",
            "done.json",
        ):
            assert (d / f).exists(), f"{arm}/{f}"
        m = json.loads((d / "metrics.json").read_text(encoding="utf-8"))
        assert m["config"]["train"]["epochs"] == 2 and m["preset"]["name"] == "smoke"  # configuration kept with results
        # every method's four checks, the chosen one among them, and the paper's Grad-CAM score kept for old readers
        pred = pd.read_csv(d / "predictions.csv")
        n_sick_right = int(((pred.y_true == pred.y_pred) & pred.label.isin(["cap", "covid"])).sum())
        methods = {"gradcam", "gradxinput", "smoothgrad", "integrated_gradients", "occlusion"}
        assert m["explanation_chosen"] in methods and m["explanation_rule"] and "localization" in m, arm
        assert set(m["explanations"]) == (methods if n_sick_right else set()), (arm, n_sick_right, m["explanations"])
        for name, s in m["explanations"].items():
            keys = {"pointing_game", "pointing_game_ci", "chance_pointing_game", "energy_lift", "deletion_score",
                    "random_deletion_score", "randomisation_rank_corr", "repeatability", "n_cases"}
            assert keys <= set(s) and 0 < s["chance_pointing_game"] < 1, (arm, name, s)
            assert s["n_cases"] == min(4, n_sick_right), (arm, name, s["n_cases"])   # smoke: max_cases 4
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Table 2" in html and "McNemar" in html and "widgets-js/embed-amd.js" in html
    assert "Which explanation is faithful?" in html and "chance" in html
    assert "application/vnd.jupyter.widget-state+json" in html                          # viewers work without a kernel
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="report.html"' in index and 'href="arms/full/arm.html"' in index


def test_rerun_skips_finished_arms(smoke_study):
    res = subprocess.run(smoke_study["cmd"], capture_output=True, encoding="utf-8", errors="replace", timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.count("finished earlier, skipped") == 4
    assert "phantoms:" not in res.stderr                                                 # the cohort is not made again


def test_smoke_arms_on_a_dask_local_cluster(smoke_study):
    """The same study through the executor seam on a Dask LocalCluster of two workers: the shared pre-training as a
    unit of its own, each arm notebook on a worker, and every arm's predictions and metrics those of the local pool."""
    pytest.importorskip("distributed")
    out = smoke_study["out"].parent / "report_dask"
    cmd = [EXE, "reproduce", "--preset", "smoke", "--out", str(out), "--data-root", str(smoke_study["data"]),
           "--n-boot", "200", "--executor", "dask:2", "--no-html"]
    res = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace", timeout=1800)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    assert "Dask scheduler tcp://" in res.stdout and "shared pre-training, fold 1" in res.stdout
    study = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert study["executor"] == "dask:2" and [s["status"] for s in study["arms"].values()] == ["done"] * 4
    assert len(list((out / "pretrain").glob("*_fold*.pt"))) == 2                      # smoke: two folds
    for arm in ("baseline", "multiview", "multitask", "full"):
        a, b = (pd.read_csv(d / "arms" / arm / "predictions.csv") for d in (smoke_study["out"], out))
        pd.testing.assert_frame_equal(a, b)
        ma, mb = (
            json.loads((d / "arms" / arm / "metrics.json").read_text(encoding="utf-8"))["metrics"]
            for d in (smoke_study["out"], out)
        )
        assert ma == mb, arm


def test_unknown_arm_and_missing_manifest_fail_clearly(tmp_path, capsys):
    assert main(["reproduce", "--preset", "smoke", "--arms", "resnet50", "--out", str(tmp_path)]) == 2
    assert "unknown arm(s) resnet50" in capsys.readouterr().err
    assert main(["reproduce", "--preset", "smoke", "--manifest", str(tmp_path / "m.csv"), "--out", str(tmp_path)]) == 2
    assert "m.csv: manifest not found" in capsys.readouterr().err


def test_predict_real_scan(smoke_study, sample_dir, tmp_path):
    scan = sample_dir / "COVID-19 subjects" / "P001"
    model = smoke_study["out"] / "arms" / "full" / "model.pt"
    res = subprocess.run([EXE, "predict", str(scan), "--checkpoint", str(model), "--out", str(tmp_path)],
                         capture_output=True, encoding="utf-8", errors="replace", timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    r = json.loads((tmp_path / "P001.json").read_text(encoding="utf-8"))
    assert r["status"] == "ok" and abs(sum(r["probabilities"].values()) - 1) < 1e-4
    assert set(r["view_probabilities"]) == {"axial", "coronal", "sagittal"}
    import SimpleITK as sitk
    heat = sitk.ReadImage(str(tmp_path / "P001_gradcam.nii.gz"))
    assert heat.GetSize() == (512, 512, 148)                                            # the original scan's grid
    assert (tmp_path / "P001.png").exists() and r["timings_s"]["total_s"] > 0
    # the model says what it has seen: only synthetic phantoms (console, JSON)
    assert r["training_data"]["synthetic"] is True and r["training_data"]["preset"] == "smoke"
    assert "trained only on synthetic phantoms" in res.stdout and "synthetic phantoms" in r["provenance"]
    chosen = r["explanation"]["method"] if r["explanation"] else None  # the arm's chosen map, beside Grad-CAM
    if chosen: assert (tmp_path / f"P001_{chosen}.nii.gz").exists()


def test_explore_command(smoke_study, sample_dir, tmp_path):
    """`multideepnet explore` (`explore_scan`, then `run_notebook`) runs the packaged notebook from any folder and
    writes a kernel-free page with both maps."""
    scan = sample_dir / "COVID-19 subjects" / "P001"
    model = smoke_study["out"] / "arms" / "full" / "model.pt"
    res = subprocess.run([EXE, "explore", str(scan), "--checkpoint", str(model), "--out", str(tmp_path / "ex")],
                         capture_output=True, encoding="utf-8", errors="replace", timeout=900, cwd=tmp_path)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    page = (tmp_path / "ex" / "P001_explore.html").read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" in page and "Grad-CAM" in page
    # beside the prediction, what the model was trained on, in predict's words; no kernel transport warning
    assert "note: this model was trained only on synthetic phantoms (18 medium phantoms, preset smoke)" in page
    assert "without encryption" not in res.stdout + res.stderr
    chosen = json.loads(model.with_suffix(".json").read_text(encoding="utf-8"))["explanation"]["method"]
    assert (tmp_path / "ex" / "P001_gradcam.nii.gz").exists()
    if chosen != "gradcam": assert (tmp_path / "ex" / f"P001_{chosen}.nii.gz").exists()
    assert main(["explore", str(tmp_path / "none.nii.gz"), "--checkpoint", str(model)]) == 2   # a clear error
