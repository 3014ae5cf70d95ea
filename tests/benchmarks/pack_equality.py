"""Packed against alone on the claims protocol, per arm: how far member 0 of a pack lies from the same trial trained
on its own (same initialisation, same data order), after one epoch of each stage and after the whole unit.

For each arm, trials 0..G-1 of the `claims` preset's regime `both` train as one pack (`train.train_arms_packed`, with
the packed pre-training for the multi-task arms) and trial 0 trains alone (`train.train_arm`, its own pre-training);
the largest absolute differences of the selected epoch's weights and of the 1000 test probabilities are written,
with the epochs each chose, to results/pack-equality-<cpu>.json (machine, date, torch).

Run: .venv/bin/python tests/benchmarks/pack_equality.py --data-root /work/runs/data3 --root /work/runs/pack_eq --pack 4
"""
import argparse, datetime, re, shutil, time
from pathlib import Path

import torch

from multideepnet.config import load_preset
from multideepnet.core import atomic_write_json, machine_info

from bench_trial_unit import member_diff, units_for

ARMS = ["baseline", "multiview", "multitask", "full", "baseline_matched"]


def run(units: list[dict], arm: str, out: Path, epochs: int | None) -> tuple[str, str]:
    from multideepnet.train import train_arm, train_arms_packed
    shutil.rmtree(out, ignore_errors=True)
    presets = [load_preset(u["preset"]) for u in units]
    if epochs: presets = [p.updated(train={**p.raw["train"], "epochs": epochs, "pretrain_epochs": epochs}) for p in presets]
    alone = out / "alone"
    train_arm(arm, presets[0], units[0]["cache"], alone, "cpu", folds=[0], progress=False, pretrain_dir=out / "alone_pre")
    outs = [out / f"pack_t{u['trial']}" for u in units]
    train_arms_packed(arm, presets, [u["cache"] for u in units], outs, "cpu", folds=[0],
                      pretrain_dirs=[out / f"pack_pre{u['trial']}" for u in units])
    return str(alone), str(outs[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pack", type=int, default=4)
    ap.add_argument("--arms", nargs="+", default=ARMS)
    ap.add_argument("--data-root", default="data")
    ap.add_argument("--root", default="runs/pack_eq")
    ap.add_argument("--results", default="results")
    a = ap.parse_args()
    torch.set_num_threads(1)
    p, root = load_preset("claims"), Path(a.root).resolve()
    units = units_for(p, root, Path(a.data_root).resolve(), a.pack)
    out = {"date": datetime.date.today().isoformat(), "machine": machine_info(), "preset": p.name, "pack": a.pack,
           "compared": "member 0 of a pack against the same trial trained alone", "arms": {}}
    for arm in a.arms:
        res = {}
        for name, epochs in (("one_epoch_per_stage", 1), ("whole_unit", None)):
            t0 = time.perf_counter()
            alone, member = run([{**u, "arm": arm} for u in units], arm, root / arm / name, epochs)
            res[name] = member_diff(alone, member) | {"seconds": round(time.perf_counter() - t0, 1)}
            print(f"[equality] {arm} {name}: {res[name]}", flush=True)
        out["arms"][arm] = res
    cpu = re.sub(r"[^a-z0-9]+", "-", out["machine"]["cpu"].lower()).strip("-")
    atomic_write_json(Path(a.results) / f"pack-equality-{cpu}.json", out)


if __name__ == "__main__":
    main()
