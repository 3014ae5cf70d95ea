"""Benchmark: the explanation checks of each quick-preset arm (`explain.score_case` on test cases with the arm's three
fold models, `randomisation_check` on two cases with one model), by this checkout ("new") and by the code of
--old-ref ("old", run from `git archive` of that commit with PYTHONPATH), interleaved, in fresh processes; then the
rows old against new (the explanation tables' columns).

The models have the quick preset's architecture (each arm's, its width and output stride), folded and channels-last
as `load_arm_model` makes them, with untrained seeded weights; the cases are seeded random 32x64x64 volumes with a
bright block as the lesion; one thread, as the study gives each arm on a 2-core CPU. Speed does not depend on the \
values; the rows show how far the two codes' tables differ
on the same inputs. Results: results/bench_explain_step-<cpu>.json (machine, torch, date), unless --no-json.

Run: .venv/bin/python tests/benchmarks/bench_explain_step.py [--cases 6 --runs 2 --arms baseline multiview multitask \
full]
"""
import argparse
import datetime
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_predict import OLD_REF, env_for, old_package, write_result   # noqa: E402

WORKER = r"""
import json, sys, time
import numpy as np, torch
from multideepnet.config import load_preset
from multideepnet.explain import ExplainCase, randomisation_check, score_case
from multideepnet.model import fuse_for_inference, model_from_config
import multideepnet
n_cases, out, arm = int(sys.argv[1]), sys.argv[2], sys.argv[3]
torch.set_num_threads(1)   # as the study runs an arm on 2 cores (two arms at a time, one thread each)
p = load_preset("quick")
cfg = p.explanations
models = []
for k in range(3):
    torch.manual_seed(k)
    models.append(fuse_for_inference(model_from_config(arm, p.model).eval()).to(memory_format=torch.channels_last_3d))
rng = np.random.default_rng(0)
cases = []
for i in range(n_cases):
    vol = (0.3 * rng.random((32, 64, 64))).astype(np.float32)
    z, y, x = rng.integers(4, 24), rng.integers(8, 48), rng.integers(8, 48)
    vol[z:z + 6, y:y + 10, x:x + 10] += 0.5
    les = np.zeros(vol.shape, bool); les[z:z + 6, y:y + 10, x:x + 10] = True
    cases.append(ExplainCase(f"case{i:02d}", "covid", vol, 2, les, (5.0, 4.0, 4.0)))
layer = p.gradcam.layer
t0 = time.perf_counter()
rows = [r for c in cases for r in score_case(models, c, cfg, p.gradcam.tolerance_mm, layer)[0]]
t_test = time.perf_counter() - t0
t0 = time.perf_counter(); rand = randomisation_check(models[0], cases[:cfg.randomisation_cases], cfg, layer)
t_rand = time.perf_counter() - t0
json.dump({"test_s": t_test, "randomisation_s": t_rand, "rows": rows, "randomisation": rand,
           "package": multideepnet.__file__, "methods": list(cfg.methods)}, open(out, "w"), default=float)
"""


def run(version: str, n: int, out: Path, old_dir: Path, arm: str) -> dict:
    subprocess.run(
        [sys.executable, "-c", WORKER, str(n), str(out), arm], env=env_for(version, old_dir), check=True, cwd=out.parent
    )
    return json.loads(out.read_text())


def compare(old: list[dict], new: list[dict]) -> dict:
    """Largest absolute difference per numeric column, and how many boolean or text values differ."""
    out = {}
    for a, b in zip(old, new):
        for k, va in a.items():
            vb = b[k]
            if isinstance(va, bool) or isinstance(va, str): out[k] = out.get(k, 0) + int(va != vb)
            else: out[k] = max(out.get(k, 0.0), abs(float(va) - float(vb)))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=6)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--arms", nargs="+", default=["baseline", "multiview", "multitask", "full"])
    ap.add_argument("--old-ref", default=OLD_REF)
    ap.add_argument("--work", default=str(ROOT / ".scratch" / "bench_explain_step"))
    ap.add_argument("--no-json", action="store_true")
    a = ap.parse_args()
    import torch
    from multideepnet.core import cpu_model, machine_info
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    old_dir, old_sha = old_package(a.old_ref, work)
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    res = {
        "benchmark": "bench_explain_step",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "lscpu_model": cpu_model(),
        "torch": torch.__version__,
        "cases": a.cases,
        "old_commit": old_sha,
        "new_commit": head,
        "arms": a.arms,
        "runs": [],
    }
    last = {}
    for r in range(a.runs):
        for arm in a.arms:
            for ver in (("old", "new") if r % 2 == 0 else ("new", "old")):
                out = run(ver, a.cases, work / f"{ver}.json", old_dir, arm)
                last[arm, ver] = out
                res["runs"].append(
                    {
                        "round": r,
                        "arm": arm,
                        "version": ver,
                        "test_s": out["test_s"],
                        "randomisation_s": out["randomisation_s"],
                    }
                )
                print(
                    f"round {r} {arm} {ver}: score_case on {a.cases} cases x 3 models {out['test_s']:.1f} s,"
                    f" randomisation check {out['randomisation_s']:.1f} s ({out['package']})",
                    flush=True,
                )
    assert all(last[arm, "old"]["package"] != last[arm, "new"]["package"] for arm in a.arms), "the old code did not run"
    res["median"] = {
        arm: {
            ver: {
                k: statistics.median(x[k] for x in res["runs"] if x["version"] == ver and x["arm"] == arm)
                for k in ("test_s", "randomisation_s")
            }
            for ver in ("old", "new")
        }
        for arm in a.arms
    }
    res["row_differences"] = {
        arm: {
            "test": compare(last[arm, "old"]["rows"], last[arm, "new"]["rows"]),
            "randomisation": compare(last[arm, "old"]["randomisation"], last[arm, "new"]["randomisation"]),
        }
        for arm in a.arms
    }
    print(json.dumps({k: res[k] for k in ("median", "row_differences")}, indent=1))
    if not a.no_json:
        write_result("bench_explain_step", res)
