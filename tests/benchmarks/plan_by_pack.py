"""What packing buys the claims study: the dry run's plan of a preset at pack 1 and at its own pack, side by side
on this machine (each calibrated here, alternately, `--rounds` times): the core-hours of the whole plan, and what one
hour on `--workers` workers gives each primary test (its k and expected half-width). Writes
results/plan-<preset>-packs-<cpu>.json with the machine and date.

Run: .venv/bin/python tests/benchmarks/plan_by_pack.py --preset claims --workers 2
"""
import argparse, datetime, re, statistics
from pathlib import Path

from multideepnet.config import load_preset
from multideepnet.core import atomic_write_json, machine_info
from multideepnet.trials import plan_claims


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="claims")
    ap.add_argument("--workers", type=int, nargs="+", default=[2])
    ap.add_argument("--calibrate", type=float, default=20.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--results", default="results")
    a = ap.parse_args()
    p = load_preset(a.preset)
    packs = sorted({1, p.trials.pack})
    plans = {g: [] for g in packs}
    for _ in range(a.rounds):
        for g in packs:
            plans[g].append(
                plan_claims(p.updated(trials={**p.raw["trials"], "pack": g}), a.calibrate, workers=a.workers)
            )
    out = {"date": datetime.date.today().isoformat(), "machine": machine_info(), "preset": p.name, "workers": a.workers,
           "rounds": a.rounds, "packs": {}}
    for g, runs in plans.items():
        med = sorted(runs, key=lambda r: r["estimate"]["seconds_per_step"])[len(runs) // 2]  # the median calibration
        out["packs"][str(g)] = {
            "seconds_per_step": [r["estimate"]["seconds_per_step"] for r in runs],
            "seconds_per_step_median": statistics.median(r["estimate"]["seconds_per_step"] for r in runs),
            "core_hours": med["estimate"]["core_hours"],
            "in_an_hour": med["estimate"]["in_an_hour"],
            "planned": [
                {k: r[k] for k in ("claim", "test", "planned_k", "k", "expected_half_width")} for r in med["power"]
            ],
        }
        print(f"[plan] pack {g}: {out['packs'][str(g)]['core_hours']} core-hours; one hour on {a.workers}: "
              f"{out['packs'][str(g)]['in_an_hour']}", flush=True)
    cpu = re.sub(r"[^a-z0-9]+", "-", out["machine"]["cpu"].lower()).strip("-")
    atomic_write_json(Path(a.results) / f"plan-{p.name}-packs-{cpu}.json", out)


if __name__ == "__main__":
    main()
