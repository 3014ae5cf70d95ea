"""Packed trials (slow; CI runs them): the tiny claims study with its three trials of each arm trained as one packed
network gives the units of today's path (one network per trial), each with its own record; a packed study re-run
from nothing is identical; a lost member of a finished pack is trained again alone, nothing else."""
import json

import numpy as np
import pandas as pd
import pytest

from conftest import tiny_claims
from multideepnet.trials import run_claims
from multideepnet.verdicts import compare_records

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    root = tmp_path_factory.mktemp("packed")
    alone = tiny_claims(root)
    packed = alone.updated(trials={**alone.raw["trials"], "pack": 3})
    recs = {"alone": run_claims(alone, root / "alone", root / "data", results_dir=root),
            "packed": run_claims(packed, root / "packed", root / "data", results_dir=root)}
    return {"root": root, "packed_preset": packed, **recs}


def test_packed_units_are_the_units_alone(studies):
    """The same units with the same records' fields, every member marked as packed. Their numbers are not compared
    here: a packed network sums its grouped convolutions in another order, and over these units' steps (batch 6, a few
    validation cases) a difference of float rounding grows until the chosen epochs can differ (the train notebook
    shows packed and alone equal to float rounding over a short run; results/trial-unit-*.json measures the full
    protocol)."""
    root = studies["root"]
    a, b = (pd.read_csv(root / d / "trials.csv") for d in ("alone", "packed"))
    keys = ["regime", "size", "trial", "arm", "seed", "epochs", "n_test"]
    assert len(a) > 0 and a[keys].equals(b[keys]) and list(a.columns) == list(b.columns)
    for _, r in b.iterrows():
        run = root / "packed" / "trials" / r.regime / f"n{r['size']}" / f"t{r.trial}" / r.arm / "run.json"
        assert json.loads(run.read_text()).get("pack") == 3
    assert np.isfinite(b[["accuracy", "macro_auc"]].to_numpy()).all()
    assert studies["packed"]["runs"][-1]["pack"] == 3 and len(studies["packed"]["units"]) == len(
        studies["alone"]["units"]
    )


def test_packed_rerun_from_nothing_is_identical(studies):
    root = studies["root"]
    again = run_claims(studies["packed_preset"], root / "packed2", root / "data", results_dir=root)
    assert compare_records(studies["packed"], again) == []
    a, b = (pd.read_csv(root / d / "trials.csv").drop(columns="config_hash") for d in ("packed", "packed2"))
    pd.testing.assert_frame_equal(a, b)


def test_packed_study_resumes_per_unit(studies):
    root = studies["root"]
    # one member of a pack lost: only it is trained again, alone
    lost = next((root / "packed" / "trials").glob("both/n*/t1/baseline"))
    (lost / "predictions.csv").unlink()
    before = pd.read_csv(root / "packed" / "trials.csv")
    rec = run_claims(studies["packed_preset"], root / "packed", root / "data", results_dir=root)
    assert rec["runs"][-1]["units_trained"] == 1
    after = pd.read_csv(root / "packed" / "trials.csv")
    kept = ~((after.regime == "both") & (after.trial == 1) & (after.arm == "baseline"))
    pd.testing.assert_frame_equal(before[kept], after[kept])       # every other unit's record as it was
    assert json.loads((lost / "run.json").read_text()).get("pack") is None       # the lost one, alone: today's path
