"""Benchmark: what the study's time buys - accuracy against epochs, on one cohort and one test set.

For each E of --epochs, the preset (default `quick`) with E epochs of training and E of pre-training, everything
else unchanged, runs as `multideepnet reproduce` under --work. All runs share one data root, so the first run makes
the phantoms and the cache and the later ones reuse them: every run is scored on the same test cases. The study
"from nothing" is the run's own `[study] done in` seconds plus, for the runs that found the data made, the data
stage of the run that made it (both from study.json).

Prints one row per E: seconds, each arm's accuracy and macro AUC (mean of the fold models), the lowest McNemar p
between two arms (the report's test, unadjusted) and its pair; then the CPU and torch version. Nothing is tuned
here: it measures the one protocol at several lengths (nbs/experiments/01_quick_preset.ipynb, "What twelve minutes \
buy").

Run: .venv/bin/python tests/benchmarks/bench_epoch_budget.py --epochs 5 9 14 --work /tmp/budget
(about 45 minutes on a 2-core CPU for the quick preset at 5, 9 and 14 epochs; --preset smoke --epochs 1 2 checks
the script in about 3 minutes)
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import torch
import yaml

from multideepnet.config import load_preset
from multideepnet.core import cpu_model
from multideepnet.model import load_arms
from multideepnet.report import collect_study, mcnemar_table

EXE = str(Path(sys.executable).with_name("multideepnet"))


def budget_preset(base: str, epochs: int, out: Path) -> Path:
    """`base` with `epochs` epochs of training and of pre-training (checked by `Preset.updated`), written as a preset
    YAML named BASE-eEPOCHS."""
    p = load_preset(base)
    raw = {**p.updated(train={**p.raw["train"], "epochs": epochs, "pretrain_epochs": epochs}).raw,
           "name": f"{p.name}-e{epochs}"}
    path = out / f"{raw['name']}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def lowest_mcnemar(collected: dict) -> tuple[float, str]:
    """The lowest McNemar p between two arms (the report's table) and the pair."""
    t = mcnemar_table(collected).stack()
    (a, b), p = t.idxmin(), t.min()
    return float(p), f"{a} vs {b}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--epochs", type=int, nargs="+", default=[5, 9, 14])
    ap.add_argument("--work", type=Path, required=True, help="folder for the presets, the data and the studies")
    ap.add_argument("--n-boot", type=int, default=1000)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    data_seconds, rows = None, []
    for e in args.epochs:
        preset = budget_preset(args.preset, e, args.work)
        study = args.work / preset.stem
        cmd = [EXE, "reproduce", "--preset", str(preset), "--data-root", str(args.work / "data"), "--out", str(study),
               "--n-boot", str(args.n_boot)]             # with the HTML export, as `reproduce --preset quick` runs
        print("$", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        info = json.loads((study / "study.json").read_text(encoding="utf-8"))
        made = float(info["seconds"].get("data", 0.0)) > 0      # this run made the phantoms (not found them)
        if made or data_seconds is None:
            data_seconds = sum(float(v) for v in info["seconds"].values())
        own = float(info["wall_seconds"])
        collected = collect_study(study)
        p, pair = lowest_mcnemar(collected)
        rows.append((e, own, own if made else own + data_seconds, collected, p, pair))
    arms = list(load_arms())
    print("\n| epochs (+ pre-training) | study from nothing, s | this run, s | "
          + " | ".join(f"{a}: accuracy / macro AUC" for a in arms) + " | lowest McNemar p |")
    print("|---" * (4 + len(arms)) + "|")
    for e, own, total, collected, p, pair in rows:
        est = {a: collected[a]["ci"]["estimate"] for a in arms}      # ci.csv: the mean of the fold models
        cells = " | ".join(f"{est[a]['accuracy']:.3f} / {est[a]['macro_auc']:.3f}" for a in arms)
        print(f"| {e} + {e} | {total:.1f} | {own:.1f} | {cells} | {p:.4f} ({pair}) |")
    n = len(next(iter(rows[-1][3].values()))["predictions"]) if rows else 0
    print(
        f"\n{n} test cases; CPU {cpu_model()}, {torch.get_num_threads()} torch threads here, torch {torch.__version__}"
    )


if __name__ == "__main__":
    main()
