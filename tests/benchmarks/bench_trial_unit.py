"""Benchmark: claims units per core-hour, today's path against packed trials (and compile / bf16), side by side.

A *unit* here is what a claims trial of a multi-task arm costs: its shared multi-task pre-training and the `full`
arm's fine-tuning, on one fold of a real claims trial cell (the `claims` preset's protocol: 24x48x48, width 0.0625,
600 steps per stage, validation every epoch, 1000 shared test cases), one thread, in one warm process.

Variants, run one after another in this one process, `--rounds` times in turn (each figure is the median round):
- `today`: `train.pretrain_arm` + `train.train_arm` per trial (pack 1);
- `pack<G>`: `train.pretrain_arms_packed` + `train.train_arms_packed` on G trials at once;
- `bf16` / `pack<G>-bf16`: the same with `train.amp: true` (bfloat16 autocast; only where the CPU has native bf16);
- step level (`--steps`): the bare training step of the protocol's network, eager against `torch.compile`, at pack 1
  and the largest pack, with the compile time (compile has no unit-level switch: it is measured where it would act).
Units per core-hour = units / (seconds x threads) x 3600. Writes results/trial-unit-<cpu>.json with the machine and
date, and the largest differences between a trial trained alone and the same trial as member 0 of each pack (test
probabilities and fine-tuned weights).

Run: .venv/bin/python tests/benchmarks/bench_trial_unit.py --data-root /work/runs/data3 --root /work/runs/bench_unit
(the claims pools are made under --data-root where missing: a few minutes).
"""
import argparse, datetime, json, re, shutil, time
from pathlib import Path

import numpy as np
import torch

from multideepnet.config import load_preset
from multideepnet.core import atomic_write_json, machine_info
from multideepnet.devices import cpu_has_bf16
from multideepnet.layout import PROB_COLUMNS, read_table


def units_for(p, root: Path, data_root: Path, n: int) -> list[dict]:
    from multideepnet.trials import _pools, plan_units
    q = p.updated(trials={**p.raw["trials"], "k": n, "max_k": None, "arms": ["full"],
                          "regimes": {"both": {**p.raw["trials"]["regimes"]["both"]}}})
    pools = _pools(q, data_root, 2)
    units = [
        u
        for u in plan_units(q.updated(trials={**q.raw["trials"], "k": 3 * n}), root / "plan", pools)
        if u["arm"] == "full"
    ]
    # trials that can share a pack: the most common epochs and draws per epoch (trials.pack_groups)
    shape = max(
        {(u["epochs"], u["draws"]) for u in units}, key=lambda s: sum((u["epochs"], u["draws"]) == s for u in units)
    )
    return [u for u in units if (u["epochs"], u["draws"]) == shape][:n]


def run_variant(units: list[dict], g: int, out: Path, amp: bool) -> dict:
    from multideepnet.train import pretrain_arm, pretrain_arms_packed, train_arm, train_arms_packed
    shutil.rmtree(out, ignore_errors=True)
    presets = [load_preset(u["preset"]) for u in units]
    if amp: presets = [p.updated(train={**p.raw["train"], "amp": True}) for p in presets]
    outs = [out / f"t{u['trial']}" for u in units]
    pre = [out / f"pre{u['trial']}" for u in units]
    t0 = time.perf_counter()
    if g == 1:
        for p, u, o, d in zip(presets, units, outs, pre):
            pretrain_arm("full", p, u["cache"], d, "cpu", folds=[0])
            train_arm("full", p, u["cache"], o, "cpu", folds=[0], progress=False, pretrain_dir=d)
    else:
        caches = [u["cache"] for u in units]
        pretrain_arms_packed("full", presets, caches, pre, "cpu", folds=[0])
        train_arms_packed("full", presets, caches, outs, "cpu", folds=[0], pretrain_dirs=pre)
    s = time.perf_counter() - t0
    return {"units": len(units), "seconds": round(s, 2), "seconds_per_unit": round(s / len(units), 2),
            "units_per_core_hour": round(len(units) / s * 3600, 1), "outs": [str(o) for o in outs]}


def member_diff(a: str, b: str) -> dict:
    pa, pb = read_table(Path(a) / "predictions.csv"), read_table(Path(b) / "predictions.csv")
    wa = torch.load(Path(a) / "fold0" / "train_best.pt", weights_only=False)
    wb = torch.load(Path(b) / "fold0" / "train_best.pt", weights_only=False)
    buffers = {k for k in wa["model"] if "running_" in k or "num_batches" in k}
    diff = lambda keys: max(float((wa["model"][k].double() - wb["model"][k].double()).abs().max()) for k in keys)
    return {"test_probability": float(np.abs(pa[PROB_COLUMNS].to_numpy() - pb[PROB_COLUMNS].to_numpy()).max()),
            "weights": diff([k for k in wa["model"] if k not in buffers]),       # the learned parameters
            "running_stats": diff([k for k in buffers if "running_" in k]),     # batch norm's running mean and variance
            "epoch_chosen": [wa["epoch"], wb["epoch"]]}


def step_level(p, packs: list[int], n: int = 30) -> dict:
    from multideepnet.model import model_from_config, pack_models
    from multideepnet.train import StepContext
    ctx, out = StepContext(torch.device("cpu")), {}
    shape, b = p.prep.out_shape, p.train.batch_size
    for g in packs:
        for compiled in (False, True):
            torch.manual_seed(0)
            members = [model_from_config("full", p.model) for _ in range(g)]
            net = (members[0] if g == 1 else pack_models(members)).to(memory_format=torch.channels_last_3d).train()
            opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-5)
            x = ctx.to_device(torch.rand(b, g, *shape))
            y = torch.randint(0, 3, (b, g)) if g > 1 else torch.randint(0, 3, (b,))
            run = torch.compile(net) if compiled else net
            def step():
                loss = ctx.losses(run(x), y).sum(); opt.zero_grad(); loss.backward(); opt.step()
            t0 = time.perf_counter(); step(); first = time.perf_counter() - t0
            for _ in range(3): step()
            t0 = time.perf_counter()
            for _ in range(n): step()
            dt = (time.perf_counter() - t0) / n
            out[f"pack{g}{'-compiled' if compiled else ''}"] = {"ms_per_model_step": round(dt / g * 1000, 2),
                                                                 "first_step_s": round(first, 2)}
            print(f"[bench] step pack {g} {'compiled' if compiled else 'eager'}: {dt / g * 1000:.1f} ms per model step "
                  f"(first step {first:.1f} s)", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="claims")
    ap.add_argument("--packs", type=int, nargs="+", default=[2, 3, 4, 6])
    ap.add_argument("--today-units", type=int, default=2, help="trials timed on today's path")
    ap.add_argument("--bf16-pack", type=int, default=4, help="the pack also timed with bf16 (0: none)")
    ap.add_argument("--no-steps", action="store_true", help="skip the step-level compile comparison")
    ap.add_argument("--no-bf16", action="store_true", help="skip the bf16 variants")
    ap.add_argument("--rounds", type=int, default=1, help="times every variant runs, in turn (the median is kept)")
    ap.add_argument("--tag", default="", help="added to the results file name")
    ap.add_argument("--data-root", default="data")
    ap.add_argument("--root", default="runs/bench_unit")
    ap.add_argument("--results", default="results")
    a = ap.parse_args()
    torch.set_num_threads(1)
    p = load_preset(a.preset)
    root = Path(a.root).resolve()
    units = units_for(p, root, Path(a.data_root).resolve(), max(a.packs + [a.today_units]))
    variants = [("today", 1, False)] + [(f"pack{g}", g, False) for g in a.packs]
    if cpu_has_bf16() and not a.no_bf16:
        variants += [("bf16", 1, True)] + ([(f"pack{a.bf16_pack}-bf16", a.bf16_pack, True)] if a.bf16_pack else [])
    rounds = {name: [] for name, _, _ in variants}
    for r in range(a.rounds):
        for name, g, amp in variants:
            n = a.today_units if g == 1 else g
            rounds[name].append(run_variant(units[:n], g, root / name, amp))
            x = rounds[name][-1]
            print(
                f"[bench] round {r + 1} {name}: {x['seconds_per_unit']} s per unit, {x['units_per_core_hour']} units"
                " per core-hour",
                flush=True,
            )
    res = {}
    for name, runs in rounds.items():
        med = sorted(runs, key=lambda x: x["seconds"])[len(runs) // 2]
        res[name] = med | {"seconds_per_unit_rounds": [x["seconds_per_unit"] for x in runs]}
    base = res["today"]["units_per_core_hour"]
    for r in res.values(): r["speedup"] = round(r["units_per_core_hour"] / base, 3)
    fp32 = {k: v for k, v in res.items() if "bf16" not in k}
    best = max(res, key=lambda k: res[k]["units_per_core_hour"])
    equality = {name: member_diff(res["today"]["outs"][0], r["outs"][0]) for name, r in res.items() if name != "today"}
    out = {
        "date": datetime.date.today().isoformat(),
        "machine": machine_info(),
        "torch_threads": 1,
        "preset": p.name,
        "rounds": a.rounds,
        "unit": "shared multi-task pre-training + full arm fine-tuning of one claims trial (fold 0), one thread",
        "variants": {k: {kk: vv for kk, vv in v.items() if kk != "outs"} for k, v in res.items()},
        "best": best,
        "best_float32": max(fp32, key=lambda k: fp32[k]["units_per_core_hour"]),
        "member0_vs_alone": equality,
    }
    if not a.no_steps: out["step_level"] = step_level(p, [1, max(a.packs)])
    cpu = re.sub(r"[^a-z0-9]+", "-", out["machine"]["cpu"].lower()).strip("-")
    path = Path(a.results) / f"trial-unit{'-' + a.tag if a.tag else ''}-{cpu}.json"
    atomic_write_json(path, out)
    print(json.dumps({k: v["units_per_core_hour"] for k, v in res.items()}), "->", path, flush=True)


if __name__ == "__main__":
    main()
