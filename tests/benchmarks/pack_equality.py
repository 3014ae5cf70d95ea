"""Packed against alone on the claims protocol, per arm: how far member 0 of a pack lies from the same trial trained
on its own (same initialisation, same data order), after one epoch of each stage and after the whole unit.

For each arm, trials 0..G-1 of the `claims` preset's regime `both` train as one pack (`train.train_arms_packed`, with
the packed pre-training for the multi-task arms) and trial 0 trains alone (`train.train_arm`, its own pre-training);
the largest absolute differences of the selected epoch's weights (learned parameters; batch norm's running statistics
apart) and of the 1000 test probabilities are written, with the epochs each chose, to results/pack-equality-<cpu>.json
(machine, date, torch).

Beside them, the yardstick of training's own sensitivity (`sensitivity`): on the protocol's network and random
batches, the weight difference after 1, 5 and 38 steps (one epoch) between a model trained alone and (a) the same
model with every weight changed by one part in a million, (b) the same model as member 0 of a pack. If (b) is of the
size of (a), the packed runs part from the runs alone as any rounding would make them part, not by an error.
`--from-outputs` recomputes the differences from the folders of an earlier run.

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
    if epochs:
        presets = [p.updated(train={**p.raw["train"], "epochs": epochs, "pretrain_epochs": epochs}) for p in presets]
    alone = out / "alone"
    train_arm(
        arm, presets[0], units[0]["cache"], alone, "cpu", folds=[0], progress=False, pretrain_dir=out / "alone_pre"
    )
    outs = [out / f"pack_t{u['trial']}" for u in units]
    train_arms_packed(arm, presets, [u["cache"] for u in units], outs, "cpu", folds=[0],
                      pretrain_dirs=[out / f"pack_pre{u['trial']}" for u in units])
    return str(alone), str(outs[0])


def sensitivity(p, pack: int, steps=(1, 5, 38), seed: int = 0) -> dict:
    import copy
    from multideepnet.model import model_from_config, pack_models, unpack_state
    from multideepnet.train import StepContext
    ctx, cl = StepContext(torch.device("cpu")), torch.channels_last_3d
    torch.manual_seed(seed)
    members = [model_from_config("baseline", p.model) for _ in range(pack)]
    alone, nudged = copy.deepcopy(members[0]), copy.deepcopy(members[0])
    with torch.no_grad():
        for w in nudged.parameters(): w.mul_(1 + 1e-6 * torch.randn_like(w))
    packed = pack_models(members).to(memory_format=cl)
    nets = {"alone": alone.to(memory_format=cl), "nudged": nudged.to(memory_format=cl), "packed": packed}
    opts = {
        k: torch.optim.SGD(m.parameters(), lr=p.train.lr, momentum=p.train.momentum, weight_decay=p.train.weight_decay)
        for k, m in nets.items()
    }
    gen, out = torch.Generator().manual_seed(seed + 1), {}
    for step in range(1, max(steps) + 1):
        x = torch.rand(p.train.batch_size, pack, *p.prep.out_shape, generator=gen)
        y = torch.randint(0, 3, (p.train.batch_size, pack), generator=gen)
        for k, m in nets.items():
            m.train()
            xi, yi = (x, y) if k == "packed" else (x[:, :1], y[:, 0])
            loss = ctx.losses(m(xi.contiguous(memory_format=cl)), yi).sum()
            opts[k].zero_grad(); loss.backward(); opts[k].step()
        if step in steps:
            ref = {n: w.detach() for n, w in alone.named_parameters()}
            member = unpack_state(packed, 0)
            out[str(step)] = {
                "nudged_1e-6": max(float((w.detach() - ref[n]).abs().max()) for n, w in nudged.named_parameters()),
                "packed_member": max(float((member[n] - ref[n]).abs().max()) for n in ref),
            }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pack", type=int, default=4)
    ap.add_argument("--arms", nargs="+", default=ARMS)
    ap.add_argument("--data-root", default="data")
    ap.add_argument("--root", default="runs/pack_eq")
    ap.add_argument("--results", default="results")
    ap.add_argument("--from-outputs", action="store_true", help="only recompute the differences from --root")
    a = ap.parse_args()
    torch.set_num_threads(1)
    p, root = load_preset("claims"), Path(a.root).resolve()
    units = [] if a.from_outputs else units_for(p, root, Path(a.data_root).resolve(), a.pack)
    out = {"date": datetime.date.today().isoformat(), "machine": machine_info(), "preset": p.name, "pack": a.pack,
           "compared": "member 0 of a pack against the same trial trained alone", "arms": {}}
    out["sensitivity"] = sensitivity(p, a.pack)
    print(f"[equality] sensitivity: {out['sensitivity']}", flush=True)
    for arm in a.arms:
        res = {}
        for name, epochs in (("one_epoch_per_stage", 1), ("whole_unit", None)):
            t0 = time.perf_counter()
            if a.from_outputs: alone, member = str(root / arm / name / "alone"), str(root / arm / name / "pack_t0")
            else: alone, member = run([{**u, "arm": arm} for u in units], arm, root / arm / name, epochs)
            res[name] = member_diff(alone, member) | (
                {} if a.from_outputs else {"seconds": round(time.perf_counter() - t0, 1)}
            )
            print(f"[equality] {arm} {name}: {res[name]}", flush=True)
        out["arms"][arm] = res
    cpu = re.sub(r"[^a-z0-9]+", "-", out["machine"]["cpu"].lower()).strip("-")
    atomic_write_json(Path(a.results) / f"pack-equality-{cpu}.json", out)


if __name__ == "__main__":
    main()
