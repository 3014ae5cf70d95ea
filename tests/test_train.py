"""End-to-end training of every arm on a tiny synthetic cache (16x32x32, width 0.125, 2 epochs, 2 folds)."""
import json
import time
from pathlib import Path

import pandas as pd
import pytest

ARMS = ("baseline", "multiview", "multitask", "full")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from multideepnet.testing import write_synthetic_cache
    from multideepnet.config import load_preset
    work = tmp_path_factory.mktemp("train")
    cache = write_synthetic_cache(work / "cache", n_per_class=6, shape=(16, 32, 32))
    preset = load_preset("smoke").updated(
        split={"test_fraction": 0.34, "folds": 2, "seed": 0}
    )  # width 0.125, 2 epochs, batch 6
    return work, cache, preset


@pytest.mark.slow
@pytest.mark.parametrize("arm", ARMS)
def test_arm_end_to_end(tiny, arm):
    from multideepnet.train import PROB_COLUMNS, VIEW_COLUMNS, train_arm
    work, cache, preset = tiny
    t0 = time.perf_counter()
    s = train_arm(arm, preset, cache, work / arm, progress=False)
    seconds = time.perf_counter() - t0
    print(f"{arm}: {seconds:.1f} s")
    assert s["status"] == "done"
    pred = pd.read_csv(s["predictions"])
    assert len(pred) == s["n_test"] == 7   # sklearn rounds the test share up: ceil(0.34 * 18)
    assert {"patient_id", "label", "y_true", "y_pred", *PROB_COLUMNS} <= set(pred.columns)
    assert (set(VIEW_COLUMNS) <= set(pred.columns)) == (arm in ("multiview", "full"))
    log = pd.read_csv(s["log"])
    stages = 2 if arm in ("multitask", "full") else 1
    assert len(log) == 2 * stages * 2
    run = json.loads(Path(s["run"]).read_text(encoding="utf-8"))
    assert run["config"]["train"]["epochs"] == 2 and run["config"]["model"]["width"] == 0.125
    assert len(s["checkpoints"]) == 2 * stages * 2 and all(Path(p).stat().st_size > 0 for p in s["checkpoints"])
    for k in range(2):
        assert (work / arm / f"fold{k}" / "test_predictions.csv").exists()
        assert (work / arm / f"fold{k}" / "val_predictions.csv").exists()
