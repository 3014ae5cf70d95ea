"""Which Grad-CAM points at the lesions? Localisation of a trained arm's maps for several layers and methods.

For every correctly classified CAP and COVID-19 test case of an arm (a study's arms/ARM folder) with a lesion mask in
the study's manifest, computes the pointing game (peak within 10 mm of a lesion) and the energy lift for Grad-CAM and
HiResCAM at layer2, layer3 and layer4, and prints one row per combination with bootstrap CIs and the seconds taken.

Run: .venv/bin/python tests/benchmarks/compare_cam.py reports/quick/arms/full [--layers layer2 layer3 layer4]
"""
import argparse
import json
import time
from pathlib import Path

import pandas as pd
import SimpleITK as sitk
import torch

from multideepnet import preprocess as prep
from multideepnet.core import cpu_model
from multideepnet.data import read_cache_index
from multideepnet.gradcam import localization_scores, localization_summary
from multideepnet.geometry import CropGeometry, original_to_crop
from multideepnet.arm import lesion_paths
from multideepnet.predict import ensemble_cam, load_arm_model

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("arm_dir")
    ap.add_argument("--layers", nargs="+", default=["layer2", "layer3", "layer4"])
    ap.add_argument("--methods", nargs="+", default=["gradcam", "hirescam"])
    ap.add_argument("--tolerance", type=float, default=10.0)
    a = ap.parse_args()
    arm_dir = Path(a.arm_dir)
    study = json.loads((arm_dir.parent.parent / "study.json").read_text())
    run = json.loads((arm_dir / "run.json").read_text())
    models, _ = load_arm_model(arm_dir / "model.pt")
    index = read_cache_index(run["cache_dir"]).set_index("patient_id")
    pred = pd.read_csv(arm_dir / "predictions.csv", dtype={"patient_id": str})
    lesions = lesion_paths(study["manifest"])
    sick = pred[(pred.y_true == pred.y_pred) & pred.label.isin(["cap", "covid"]) & pred.patient_id.isin(lesions)]
    cases = []
    for r in sick.itertuples():
        vol, record = prep.load_case(index.loc[r.patient_id, "array"], as_float=True)
        lesion = original_to_crop(sitk.ReadImage(lesions[r.patient_id]), record, vol.shape) >= 0.5
        if lesion.any():
            cases.append(
                (
                    r,
                    torch.from_numpy(vol)[None, None],
                    lesion,
                    CropGeometry.from_record(record).input_spacing(vol.shape),
                )
            )
    print(f"CPU: {cpu_model()}; arm {run['arm']}; {len(cases)} correctly classified sick test cases with lesions")
    for layer in a.layers:
        for method in a.methods:
            t0, rows = time.perf_counter(), []
            for r, x, lesion, spacing in cases:
                res = ensemble_cam(models, x, target=int(r.y_pred), layer=layer, method=method)
                for name, m in res["maps"].items():
                    rows.append({"map": name, "label": r.label, **localization_scores(m, lesion, spacing, a.tolerance)})
            df = pd.DataFrame(rows)
            for name, g in df.groupby("map", sort=False):
                s = localization_summary(g, n_boot=1000)
                by = g.groupby("label").pointing_game.mean().round(2).to_dict()
                print(
                    f"{layer} {method:8s} {name:9s} pointing game {s['pointing_game']:.2f}"
                    f" [{s['pointing_game_ci'][0]:.2f}, {s['pointing_game_ci'][1]:.2f}] {by}  energy lift"
                    f" {s['energy_lift']:.2f} [{s['energy_lift_ci'][0]:.2f}, {s['energy_lift_ci'][1]:.2f}] "
                    f" ({time.perf_counter() - t0:.1f} s)"
                )
