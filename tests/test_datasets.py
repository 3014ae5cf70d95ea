"""Public datasets end to end, on replicas of their layouts (`03d_datasets`): a smoke study on the CC-CCII replica
(PNG/JPG slices nested by patient and scan, read through --spacing and --window, split by patient), the dry run of
a mixed-source manifest with its shortcut warning, the refusal of a one-class dataset, and the pointing game on the
COVID-19-CT-Seg replica's own masks carried through preprocessing (slow; CI runs them)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from multideepnet import datasets as ds
from multideepnet.cohort import read_manifest

pytestmark = pytest.mark.slow
EXE = str(Path(sys.executable).with_name("multideepnet"))


def _cli(*args, timeout=1200):
    return subprocess.run(
        [EXE, *map(str, args)], capture_output=True, encoding="utf-8", errors="replace", timeout=timeout
    )


@pytest.fixture(scope="module")
def cc_ccii(tmp_path_factory):
    root = tmp_path_factory.mktemp("datasets")
    ds.write_cc_ccii_replica(root / "CC-CCII", patients=4)
    res = _cli("manifest", "--dataset", "cc-ccii", root / "CC-CCII", "--out", root / "cc.csv",
               "--spacing", *ds.REPLICA_SPACING, "--window", *ds.REPLICA_WINDOW)
    assert res.returncode == 0, res.stderr
    return {"root": root, "manifest": root / "cc.csv", "summary": res.stderr}


def test_smoke_study_on_the_cc_ccii_replica(cc_ccii):
    root, m = cc_ccii["root"], cc_ccii["manifest"]
    df = read_manifest(m)
    assert len(df) == 18 and df.group.nunique() == 12 and set(df.spacing) == {"5 5 5"}
    assert _cli("manifest", "--check", m).returncode == 0                      # every slice folder reads
    out = root / "study"
    res = _cli("reproduce", "--preset", "smoke", "--manifest", m, "--out", out, "--data-root", root / "data",
               "--n-boot", "50", "--no-html")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    study = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert study["source"] == "manifest" and {s["status"] for s in study["arms"].values()} == {"done"}
    cache = Path(study["cache"])
    index = pd.read_csv(cache / "index.csv", dtype=str, keep_default_na=False)
    assert set(index.status) <= {"ok", "fallback"} and set(index.group) == set(df.group)  # the groups reach the split
    for arm in study["arms"]:
        m_ = json.loads((out / "arms" / arm / "metrics.json").read_text(encoding="utf-8"))
        pred = pd.read_csv(out / "arms" / arm / "predictions.csv", dtype={"patient_id": str})
        groups = df.set_index("patient_id").group
        test_groups = set(groups[pred.patient_id])
        train_groups = set(df.group) - test_groups
        assert not test_groups & train_groups and len(pred) == int(df.group.isin(test_groups).sum())   # whole patients
        assert 0 <= m_["metrics"]["accuracy"] <= 1
        print(arm, {k: m_["metrics"][k] for k in ("accuracy", "macro_f1") if k in m_["metrics"]})


def test_mixed_sources_dry_run_warns_and_one_class_is_refused(cc_ccii):
    root = cc_ccii["root"]
    ds.write_mosmed_replica(root / "COVID19_1110", per_grade=(4, 3, 1, 0, 0), masks=1)
    assert _cli("manifest", "--dataset", "mosmed", root / "COVID19_1110", "--out", root / "mosmed.csv").returncode == 0
    res = _cli("reproduce", "--preset", "smoke", "--manifest", root / "mosmed.csv", "--dry-run", "--calibrate", "0")
    assert res.returncode == 2 and "no CAP scans (mosmed)" in res.stderr and "cc-ccii (CP)" in res.stderr, res.stderr
    assert res.stderr.count("\n") == 1
    res = _cli("manifest", "--merge", root / "mosmed.csv", f"{cc_ccii['manifest']}:cap", "--out", root / "mixed.csv")
    assert res.returncode == 0 and "warning: CAP comes from cc-ccii only" in res.stderr, res.stderr
    res = _cli("reproduce", "--preset", "smoke", "--manifest", root / "mixed.csv", "--dry-run", "--calibrate", "0")
    assert res.returncode == 0, res.stderr
    assert (
        "source cc-ccii: Healthy 0, CAP 6, COVID-19 0" in res.stdout
        and "source mosmed: Healthy 4, CAP 0, COVID-19 4" in res.stdout
    )
    assert res.stdout.count("warning: ") == 3 and "comes from cc-ccii only" in res.stdout
    print(res.stdout)


def test_pointing_game_on_the_covid19_ct_seg_replica_masks(tmp_path):
    from multideepnet.config import load_preset
    from multideepnet.geometry import CropGeometry, original_to_crop
    from multideepnet.gradcam import localization_scores
    from multideepnet.preprocess import load_case, prepare
    build = ds.build_covid19_ct_seg(ds.write_covid19_ct_seg_replica(tmp_path / "ctseg", n=2))
    index = prepare(build.manifest, tmp_path / "cache", load_preset("smoke").prep, progress=False)
    assert (index.status == "ok").all(), index.error.tolist()
    for row, case in zip(build.manifest.itertuples(), index.itertuples()):
        vol, record = load_case(tmp_path / "cache" / case.array)
        lesion = original_to_crop(sitk.ReadImage(row.lesion_mask), record, vol.shape) >= 0.5
        assert lesion.any(), row.patient_id
        spacing = CropGeometry.from_record(record).input_spacing(vol.shape)
        on = localization_scores(lesion.astype(float), lesion, spacing)               # a map on the lesion: a hit
        far = np.zeros(vol.shape); far[tuple(np.unravel_index(np.argmax(np.where(lesion, -1, 1)), vol.shape))] = 1
        far_hit = localization_scores(far, lesion, spacing, tolerance_mm=0)                # a map off it: a miss
        assert on["pointing_game"] and not far_hit["pointing_game"] and on["energy_lift"] > 1
