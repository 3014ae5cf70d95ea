"""Pilot of the claims study: is each regime's difficulty neither at chance nor saturated for the baseline?

Runs the claims preset's baseline arm only (2 trials, each regime's largest training size) and reads its
*validation* predictions (fold 0's held-out part of the training draw), never the test set. The rule, written
before the pilot ran: a regime keeps its difficulty when the baseline's mean validation accuracy lies in
[0.55, 0.90]; below it the regime would move to `easy`, above it to `hard`. Writes \
results/pilot-<shape>-<steps>steps-<difficulty>-<cpu>.json.

Run: .venv/bin/python tests/benchmarks/pilot_claims.py [--out reports/claims-pilot]
"""
import argparse, datetime, json, re
from pathlib import Path

import pandas as pd
import yaml

from multideepnet.config import load_preset
from multideepnet.core import config_path, load_yaml, machine_info
from multideepnet.layout import ArmDir
from multideepnet.trials import run_claims

LOW, HIGH = 0.55, 0.90

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="reports/claims-pilot"); ap.add_argument("--data-root", default="data")
    ap.add_argument("--results", default="results")
    a = ap.parse_args()
    p = load_preset("claims_v1")   # the pilot that chose the protocol (v1; v2 keeps it)
    t = p.raw["trials"]
    regimes = {n: {**r, "train_sizes": [max(r["train_sizes"])], "arms": ["baseline"]} for n, r in t["regimes"].items()}
    claims = load_yaml(
        config_path(t.get("claims", "claims.yaml"))
    )  # no comparison in a pilot: only the claims without tests
    claims["claims"] = {k: c for k, c in claims["claims"].items() if c.get("source", "trials") != "trials"}
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / "pilot_claims.yaml").write_text(yaml.safe_dump(claims))
    pilot = p.updated(
        trials={
            **t,
            "k": 2,
            "arms": ["baseline"],
            "regimes": regimes,
            "claims": str(Path(a.out).resolve() / "pilot_claims.yaml"),
        }
    )
    run_claims(pilot, a.out, a.data_root, results_dir=a.results)
    rows = []
    for f in sorted(Path(a.out, "trials").glob("*/n*/t*/baseline")):
        val = ArmDir(f).fold_predictions(0, "val")
        v = pd.read_csv(val)
        rows.append(
            {
                "regime": f.parts[-4],
                "trial": f.parts[-2],
                "val_accuracy": float((v.y_true == v.y_pred).mean()),
                "n_val": len(v),
            }
        )
    df = pd.DataFrame(rows)
    out = {
        "protocol": {"out_shape": list(p.prep.out_shape), "steps": t["steps"]},
        "date": datetime.date.today().isoformat(),
        "machine": machine_info(),
        "rule": f"keep the difficulty when the baseline's mean validation accuracy lies in [{LOW}, {HIGH}]",
        "regimes": {},
    }
    for name, g in df.groupby("regime"):
        acc = g.val_accuracy.mean()
        out["regimes"][name] = {
            "difficulty": t["regimes"][name]["difficulty"],
            "val_accuracy": g.val_accuracy.round(4).tolist(),
            "mean": round(acc, 4),
            "decision": "keep" if LOW <= acc <= HIGH else ("easier" if acc < LOW else "harder"),
        }
    cpu = re.sub(r"[^a-z0-9]+", "-", machine_info()["cpu"].lower()).strip("-")
    Path(a.results).mkdir(exist_ok=True)
    (
        Path(a.results)
        / f"pilot-{'x'.join(map(str, p.prep.out_shape))}-{t['steps']}steps-"
        f"{'-'.join(sorted({r['difficulty'] for r in t['regimes'].values()}))}-{cpu}.json"
    ).write_text(json.dumps(out, indent=1))
    print(json.dumps(out["regimes"], indent=1))

if __name__ == "__main__":
    main()
