"""Benchmark: `multideepnet predict` of one real DICOM series with a paper-size bundle (3 fold models of the full
arm, width 1, 128x256x256), as a user runs it: a fresh process per prediction, wall time of the whole command and
peak RSS of its largest process, the command's own breakdown (read, preprocess, model + Grad-CAM, the explanation
map, NIfTI, figure), and the references measured in the same run: one channels-last forward of the full arm, one
forward with autograd and its backward to the input (in forwards), and the first convolution's input gradient by
oneDNN and by `gradcam.conv_input_grad`.

The variants, side by side and interleaved (the CPU may be shared: compare within a round, not across runs):
the bundle's chosen map none (Grad-CAM only), gradient x input, SmoothGrad with --samples copies, each run by this
checkout ("new") and by the code of --old-ref ("old": `git archive` of that commit's package, run with PYTHONPATH
pointing at it). Then the maps in crop space (float32) old against new, and the NIfTIs predict wrote.

The bundle holds untrained weights (seeded): speed does not depend on their values. It is written once to
--work (about 400 MB). Results: results/bench_predict-<cpu>.json (machine, torch, date), unless --no-json.

Run: .venv/bin/python tests/benchmarks/bench_predict.py [--scan \
../shared/data/covid-ct-md-sample/COVID-19\\ subjects/P001]
"""
import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import io
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from multideepnet.core import CLASSES, atomic_write_json, cpu_model, machine_info
from multideepnet.model import build_model, fuse_for_inference
from multideepnet.predict import MODEL_FORMAT

ROOT = Path(__file__).resolve().parents[2]
OLD_REF = "1d3c85e"     # the last commit before Grad-CAM and gradient x input shared a pass
LAUNCH = "import sys; from multideepnet.cli import console_main; console_main()"

def write_result(name: str, result: dict) -> Path:
    """results/<name>-<cpu>.json: a benchmark's figures, named by the machine that measured them."""
    slug = re.sub(r"[^a-z0-9]+", "-", cpu_model().lower()).strip("-")
    path = ROOT / "results" / f"{name}-{slug}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"written: {path}")
    return path


def paper_bundle(path: Path, shape: tuple, folds: int = 3) -> Path:
    if path.exists() and path.stat().st_mtime > Path(__file__).stat().st_mtime: return path
    states = []
    for k in range(folds):
        torch.manual_seed(k)
        sd = build_model("full", width=1.0).state_dict()   # conv weights channels-last, as export_arm_model stores them
        states.append(
            {n: v.contiguous(memory_format=torch.channels_last_3d) if v.ndim == 5 else v for n, v in sd.items()}
        )
    prep = {"out_shape": list(shape), "window_level": -600, "window_width": 600, "dtype": "uint8"}
    bundle = {"format": MODEL_FORMAT, "arm": "full", "model": {"width": 1.0}, "classes": list(CLASSES), "prep": prep,
              "gradcam": {"layer": "layer4", "method": "gradcam", "tolerance_mm": 10.0}, "config_hash": "bench"}
    torch.save({**bundle, "states": states}, path)
    # model.json beside it, as export_arm_model writes it: predict then preprocesses the scan while it loads PyTorch
    atomic_write_json(path.with_suffix(".json"), bundle)
    return path


def _best(f, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter(); f(); best = min(best, time.perf_counter() - t0)
    return best


def forward_seconds(shape: tuple, repeats: int = 3) -> float:
    """Best of `repeats` channels-last forwards of the full arm (no autograd)."""
    m = build_model("full", width=1.0).eval().to(memory_format=torch.channels_last_3d)
    x = torch.rand(1, 1, *shape).contiguous(memory_format=torch.channels_last_3d)
    with torch.no_grad():
        m(x)
        return _best(lambda: m(x), repeats)


def grad_pass(shape: tuple, repeats: int = 2) -> dict:
    """As predict runs them (fused, channels-last): a forward without autograd, and `grad_forward` with its backward to
    the input (best of `repeats` each, interleaved); their ratio is what predict's GRAD_PASS_FORWARDS estimates."""
    from multideepnet.gradcam import grad_forward
    m = fuse_for_inference(build_model("full", width=1.0).eval()).to(memory_format=torch.channels_last_3d)
    x = torch.rand(1, 1, *shape)
    def both():
        f = grad_forward(m, x, None)
        torch.autograd.grad(f.out.prob[:, 2].sum(), f.x)
    with torch.no_grad(): m(x)
    both()
    fwd, grad = [], []
    for _ in range(repeats):
        with torch.no_grad():
            t0 = time.perf_counter(); m(x); fwd.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); both(); grad.append(time.perf_counter() - t0)
    return {"forward_s": min(fwd), "grad_pass_s": min(grad), "grad_pass_forwards": min(grad) / min(fwd)}


def first_conv_grad(shape: tuple, repeats: int = 2) -> dict:
    """The stem convolution's input gradient at this input size: oneDNN's (convolution_backward, channels-last) and
    `conv_input_grad`'s, best of `repeats` each, interleaved, and their largest difference."""
    from multideepnet.gradcam import conv_input_grad
    conv = (
        fuse_for_inference(build_model("full", width=1.0).eval())
        .to(memory_format=torch.channels_last_3d)
        .backbone.stem[0]
    )
    out = F.conv3d(torch.zeros(1, 1, *shape), conv.weight, stride=2, padding=3).shape
    g = torch.randn(out).contiguous(memory_format=torch.channels_last_3d)
    xin = torch.empty(1, 1, *shape).contiguous(memory_format=torch.channels_last_3d)
    native = lambda: torch.ops.aten.convolution_backward(
        g, xin, conv.weight, None, [2, 2, 2], [3, 3, 3], [1, 1, 1], False, [0, 0, 0], 1, [True, False, False]
    )[0]
    poly = lambda: conv_input_grad(g, conv.weight, (2, 2, 2), (3, 3, 3), shape)
    with torch.no_grad():
        diff = float((native() - poly()).abs().max() / native().abs().max())
        tn, tp = [], []
        for _ in range(repeats):
            tn.append(_best(native, 1)); tp.append(_best(poly, 1))
    return {"onednn_s": min(tn), "polyphase_s": min(tp), "max_rel_diff": diff}


def old_package(ref: str, work: Path) -> tuple[Path, str]:
    """The package of commit `ref`, unpacked once under `work` (for PYTHONPATH); (folder, full commit id)."""
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", ref], capture_output=True, text=True, check=True
    ).stdout.strip()
    dest = work / f"old-{sha[:10]}"
    if not (dest / "multideepnet" / "__init__.py").exists():
        tar = subprocess.run(
            ["git", "-C", str(ROOT), "archive", sha, "multideepnet"], capture_output=True, check=True
        ).stdout
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(tar)) as t: t.extractall(dest)
    return dest, sha


def env_for(version: str, old_dir: Path) -> dict:
    env = dict(os.environ)
    if version == "old":
        env["PYTHONPATH"] = str(old_dir) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_predict(scan: str, bundle: Path, out: Path, env: dict) -> dict:
    """One `multideepnet predict` in a fresh process: wall s, peak RSS MB (largest process), its timings, its stdout."""
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            "/usr/bin/time",
            "-v",
            sys.executable,
            "-c",
            LAUNCH,
            "predict",
            scan,
            "--checkpoint",
            str(bundle),
            "--out",
            str(out),
            "--no-figure",
        ],
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        cwd=out.parent,
    )  # not the repository root: its package would shadow PYTHONPATH's
    wall = time.perf_counter() - t0
    if proc.returncode != 0: sys.exit(proc.stderr[-3000:])
    lines = proc.stderr.splitlines()
    rss = next(int(l.split()[-1]) for l in lines if "Maximum resident set size" in l) / 1024
    cpu = sum(float(l.split()[-1]) for l in lines if "User time (seconds)" in l or "System time (seconds)" in l)
    res = json.loads(next(out.glob("*.json")).read_text())
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mb": round(rss), "timings_s": res["timings_s"],
            "plan": (res.get("explanation") or {}).get("plan"), "stdout": proc.stdout.strip().splitlines()[:3]}


DUMP = r"""
import inspect, sys, numpy as np, torch
from pathlib import Path
from multideepnet.predict import _prepare_scan, bundle_prep, ensemble_cam, explanation_map, load_arm_model
from multideepnet.config import ExplainConfig, GradcamConfig
from multideepnet.preprocess import to_unit
import multideepnet
scan, bundle, out = sys.argv[1:4]
models, info = load_arm_model(bundle)
p = _prepare_scan(Path(scan), bundle_prep(info))
x = torch.from_numpy(to_unit(p["arr"]))[None, None]
cam = GradcamConfig.from_dict(info.get("gradcam"))
method = (info.get("explanation") or {}).get("method")
kw = {}
if method == "gradxinput" and "gradxinput" in inspect.signature(ensemble_cam).parameters:
    kw["gradxinput"] = ExplainConfig.from_dict(info["explanation"]["config"])
ens = ensemble_cam(models, x, layer=cam.layer, method=cam.method, maps=["combined"], **kw)
xmap = (ens["gradxinput"] if "gradxinput" in ens else explanation_map(models, to_unit(p["arr"]), ens["target"], info)
        if method else np.zeros(0, np.float32))
np.savez(out, gradcam=ens["maps"]["combined"], explanation=xmap, prob=ens["prob"],
         package=str(Path(multideepnet.__file__).parent))
"""


def dump_maps(scan: str, bundle: Path, out: Path, env: dict) -> dict:
    subprocess.run([sys.executable, "-c", DUMP, scan, str(bundle), str(out)], env=env, check=True, cwd=out.parent)
    with np.load(out) as z: return {k: z[k] for k in z.files}


def nifti_diff(a: Path, b: Path) -> float:
    import SimpleITK as sitk
    return float(
        np.abs(sitk.GetArrayFromImage(sitk.ReadImage(str(a))) - sitk.GetArrayFromImage(sitk.ReadImage(str(b)))).max()
    )


def summarise(result: dict, variants: list, versions: list, samples: int) -> tuple[dict, dict]:
    """Per variant and code: the median and the least contended (min) round, of wall time and of CPU time (user + sys
    of the command, less sensitive than wall time to other processes on a shared CPU); a map's extra cost is its time
    minus Grad-CAM only's. The checks of the issue's targets on the medians (and on the minima)."""
    summary = {}
    for ver in versions:
        s = {}
        for v in variants:
            rows = [row for rr in result["rounds"] for row in rr if row["variant"] == v and row["version"] == ver]
            s[v] = {
                f"{m}_{f.__name__}": f([x[m] for x in rows])
                for m in ("wall_s", "cpu_s")
                for f in (statistics.median, min)
            }
            s[v]["peak_rss_mb"] = max(x["peak_rss_mb"] for x in rows)
        for v in variants:
            if v != "gradcam" and "gradcam" in variants:
                for k in ("wall_s_median", "cpu_s_median", "wall_s_min", "cpu_s_min"):
                    s[v][f"extra_{k}"] = round(s[v][k] - s["gradcam"][k], 2)
        summary[ver] = s
    checks = {}
    if "new" in summary and {"gradcam", "gradxinput"} <= set(variants):
        n = summary["new"]
        for k in ("cpu_s_median", "wall_s_median", "cpu_s_min", "wall_s_min"):
            checks[f"gradxinput_over_gradcam_{k}"] = n["gradxinput"][k] / n["gradcam"][k]
            if "smoothgrad" in variants:
                checks[f"smoothgrad_extra_over_n_gradxinput_extra_{k}"] = n["smoothgrad"][f"extra_{k}"] / (
                    samples * n["gradxinput"][f"extra_{k}"]
                )
            if "old" in summary: checks[f"gradcam_new_over_old_{k}"] = n["gradcam"][k] / summary["old"]["gradcam"][k]
        if "smoothgrad" in variants:
            checks["smoothgrad_peak_rss_mb"] = n["smoothgrad"]["peak_rss_mb"]
            # one noisy copy in forwards as predict times them (its Grad-CAM step: one forward per fold model)
            sg = [
                row
                for rows in result["rounds"]
                for row in rows
                if row["variant"] == "smoothgrad" and row["version"] == "new"
            ]
            checks["smoothgrad_copy_forwards"] = statistics.median(
                row["timings_s"]["explanation_s"] / samples / row["timings_s"]["model_gradcam_s"] for row in sg)
    return summary, checks


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--scan", default=str(ROOT.parent / "shared/data/covid-ct-md-sample/COVID-19 subjects/P001"))
    ap.add_argument("--work", default=str(ROOT / ".scratch" / "bench_predict"))
    ap.add_argument(
        "--out-shape", default="128x256x256", help="the bundle's network input DxHxW (the paper's by default)"
    )
    ap.add_argument("--runs", type=int, default=2, help="rounds; each runs every variant with both codes, interleaved")
    ap.add_argument("--samples", type=int, default=4, help="SmoothGrad's noisy copies")
    ap.add_argument("--variants", default="gradcam,gradxinput,smoothgrad")
    ap.add_argument("--versions", default="old,new")
    ap.add_argument("--old-ref", default=OLD_REF, help="the code to compare against (a git commit of this repository)")
    ap.add_argument("--no-compare", action="store_true", help="skip the crop-space map comparison (old against new)")
    ap.add_argument("--no-json", action="store_true")
    ap.add_argument(
        "--summarise", metavar="JSON", help="only recompute the summary and checks of a results file from its rounds"
    )
    a = ap.parse_args()
    if a.summarise:
        res = json.loads(Path(a.summarise).read_text())
        rows = [row for rr in res["rounds"] for row in rr]
        res["summary"], res["checks"] = summarise(
            res,
            list(dict.fromkeys(r["variant"] for r in rows)),
            list(dict.fromkeys(r["version"] for r in rows)),
            res["smoothgrad_samples"],
        )
        Path(a.summarise).write_text(json.dumps(res, indent=1) + "\n")
        print(json.dumps({"summary": res["summary"], "checks": res["checks"]}, indent=1))
        sys.exit(0)
    shape = tuple(int(s) for s in a.out_shape.split("x"))
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    variants, versions = a.variants.split(","), a.versions.split(",")
    from multideepnet.config import ExplainConfig
    from multideepnet.predict import set_bundle_explanation
    base = paper_bundle(work / f"full_3fold_{a.out_shape}.pt", shape)
    bundles = {"gradcam": base}
    for v in variants:
        if v == "gradcam": continue
        bundles[v] = work / f"full_3fold_{a.out_shape}_{v}{a.samples if v == 'smoothgrad' else ''}.pt"
        shutil.copyfile(base, bundles[v])
        set_bundle_explanation(bundles[v], v, ExplainConfig(smoothgrad_samples=a.samples).as_dict(), "benchmark")
    old_dir, old_sha = old_package(a.old_ref, work)
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"CPU: {cpu_model()}; {os.cpu_count()} cores; torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"input {a.out_shape}; old = {old_sha[:10]}, new = {head[:10]} (+ working tree)", flush=True)
    result = {"benchmark": "bench_predict", "date": datetime.datetime.now().isoformat(timespec="seconds"),
              "machine": machine_info(), "lscpu_model": cpu_model(), "torch": torch.__version__, "scan": a.scan,
              "out_shape": list(shape), "smoothgrad_samples": a.samples, "old_commit": old_sha, "new_commit": head,
              "rounds": [], "reference": {}}
    ref = result["reference"]
    ref["forward_s"] = [forward_seconds(shape)]
    print(f"one channels-last forward of the full arm at {a.out_shape}: {ref['forward_s'][0]:.2f} s", flush=True)
    ref["grad_pass"] = grad_pass(shape)
    print(
        f"fused, as predict runs it: forward {ref['grad_pass']['forward_s']:.2f} s; grad_forward + backward to the"
        f" input {ref['grad_pass']['grad_pass_s']:.2f} s = {ref['grad_pass']['grad_pass_forwards']:.2f} forwards",
        flush=True,
    )
    ref["first_conv_grad"] = first_conv_grad(shape)
    print(
        f"first convolution's input gradient: oneDNN {ref['first_conv_grad']['onednn_s']:.2f} s, polyphase"
        f" {ref['first_conv_grad']['polyphase_s']:.2f} s (largest difference"
        f" {ref['first_conv_grad']['max_rel_diff']:.1e} of the largest value)",
        flush=True,
    )
    for r in range(a.runs):
        rows = []
        for v in variants:
            for ver in (versions if r % 2 == 0 else versions[::-1]):     # alternate who goes first
                row = {
                    "variant": v,
                    "version": ver,
                    **run_predict(a.scan, bundles[v], work / f"out_{v}_{ver}", env_for(ver, old_dir)),
                }
                rows.append(row)
                t = row["timings_s"]
                print(
                    f"round {r}: {v:10s} {ver}: wall {row['wall_s']:6.2f} s, CPU {row['cpu_s']:6.2f} s, peak RSS"
                    f" {row['peak_rss_mb']:5d} MB; model+gradcam {t.get('model_gradcam_s', 0):.2f} s, explanation"
                    f" {t.get('explanation_s', 0):.2f} s"
                    + (f"; plan: {row['plan']}" if row.get("plan") else ""),
                    flush=True,
                )
        ref["forward_s"].append(forward_seconds(shape, repeats=1))
        result["rounds"].append(rows)
    result["summary"], result["checks"] = summarise(result, variants, versions, a.samples)
    summary, checks = result["summary"], result["checks"]
    print(json.dumps({"summary": summary, "checks": checks}, indent=1), flush=True)
    if not a.no_compare and {"old", "new"} <= set(versions):
        diffs = {}
        for v in variants:
            m = {
                ver: dump_maps(a.scan, bundles[v], work / f"maps_{v}_{ver}.npz", env_for(ver, old_dir))
                for ver in ("old", "new")
            }
            assert m["old"]["package"] != m["new"]["package"], "the old code did not run"
            diffs[v] = {
                "gradcam_max_abs": float(np.abs(m["old"]["gradcam"] - m["new"]["gradcam"]).max()),
                "prob_max_abs": float(np.abs(m["old"]["prob"] - m["new"]["prob"]).max()),
                "nifti_gradcam_max_abs": nifti_diff(
                    *(next((work / f"out_{v}_{ver}").glob("*_gradcam.nii.gz")) for ver in ("old", "new"))
                ),
            }
            if v != "gradcam":
                diffs[v]["explanation_max_abs"] = float(np.abs(m["old"]["explanation"] - m["new"]["explanation"]).max())
                diffs[v]["nifti_explanation_max_abs"] = nifti_diff(
                    *(next((work / f"out_{v}_{ver}").glob(f"*_{v}.nii.gz")) for ver in ("old", "new"))
                )
            print(f"maps old vs new, {v}: {diffs[v]}", flush=True)
        result["map_differences"] = diffs
    if not a.no_json:
        write_result("bench_predict", result)
