"""Hostile patient ids (issue 32): no text from the data runs as code in any page the project writes, and the ids
make the round trip through the CSV files exactly, with no cell a spreadsheet would run as a formula.

The corpus is made here: the smoke preset's phantom cohort with every patient id rewritten (markup with event
handlers, nested SVG, quote and tag breaking, Markdown and TeX, formula prefixes, path pieces, wide Unicode). Each
markup id carries a payload that, if it ever ran, would set the attribute `data-pwned` on the page's root element.
The payload never spells that name (it joins `'data-'` and `'pwned'`), so the name turns up in the rendered DOM only
if a payload ran. A smoke study (the full arm, the report, `index.html`) runs on the manifest, `explore` runs on a
phantom scan whose file name is hostile too, and a page of the viewers' text sinks (every id as a viewer's title,
caption and class, the live viewer's status line, a table) is exported as the study's pages are. Every page is opened
in headless Chromium (`--dump-dom` after the page's scripts ran, widgets drawn). A control page with the same ids
inserted raw shows that the detector sees a payload that runs. Slow (CI runs it); skips without Debian's `chromium`.

`python tests/test_hostile_ids.py` prints the id shapes.
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
EXE = str(Path(sys.executable).with_name("multideepnet"))
PWNED = re.compile(r"""data-pwned\s*=\s*["']?([^"'\s>]*)""")     # the mark on the root element


def payload(tag: str, root: str = "document") -> str:
    """JavaScript that, if it runs, adds `|tag` to the page's mark (never spelling the mark itself; no spaces, so it
    also fits an unquoted attribute)."""
    el, mark = f"{root}.documentElement", "'data-'+'pwned'"
    return f"{el}.setAttribute({mark},({el}.getAttribute({mark})||'')+'|{tag}')"


def payloads_run(dom: str) -> list[str]:
    """The tags of the payloads that ran in a page (from its rendered DOM)."""
    return sorted({t for m in PWNED.findall(dom) for t in m.split("|") if t})


def id_shapes() -> list[tuple[str, str]]:
    """(shape, id): one per phantom of the smoke preset (18); the first 12 carry a payload."""
    p = payload
    return [
        ("tag with handler", f'<img src=x onerror="{p("img")}">'),
        ("nested SVG", f"<svg><svg onload={p('svg')}>"),
        ("double-quote break, script", f'"><script>{p("script")}</script>'),
        ("single-quote break", f"'><img src=x onerror=\"{p('squote')}\">"),
        ("script end tag", f'</script><img src=x onerror="{p("endscript")}">'),
        ("details ontoggle", f'<details open ontoggle="{p("details")}">'),
        ("iframe srcdoc", f'<iframe srcdoc="<img src=x onerror={p("iframe", "parent.document")}>">'),
        ("textarea end tag", f'</textarea><img src=x onerror="{p("textarea")}">'),
        ("title end tag", f'</title><img src=x onerror="{p("title")}">'),
        ("style end tag", f'</style><img src=x onerror="{p("style")}">'),
        (
            "Markdown and HTML",
            f'**bold** `code` <img src=x onerror="{p("markdown")}"> [link](javascript:{p("mdlink")})',
        ),
        ("TeX", "$\\href{javascript:" + p("tex") + "}{x}$ $$\\frac{a}{b}$$"),
        ("formula =", "=cmd|' /C calc'!A0"),
        ("formula +", "+1-2"),
        ("formula -", "-2+3"),
        ("formula @", "@SUM(1+1)"),
        ("quoted formula", "'=already quoted"),
        ("path pieces, Unicode, templates", "../../a/b\\c 患者 é \u202e 🙂 {{7*7}} ${7*7}"),
    ]


def find_chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)


def dump_dom(chromium: str, page: Path, profile: Path) -> str:
    """The page's DOM after its scripts ran (virtual time: widgets drawn), every host name unresolvable."""
    res = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                          "--no-first-run", "--disable-background-networking", f"--user-data-dir={profile}",
                          "--host-resolver-rules=MAP * ~NOTFOUND", "--allow-file-access-from-files",
                          "--virtual-time-budget=20000", "--dump-dom", page.resolve().as_uri()],
                         capture_output=True, encoding="utf-8", errors="replace", timeout=180)
    assert res.returncode == 0 and "<html" in res.stdout, (page, res.stderr[-2000:])
    return res.stdout


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = find_chromium()
    if exe is None: pytest.skip("chromium not installed (Debian package `chromium`)")
    return exe


@pytest.fixture(scope="module")
def hostile_study(tmp_path_factory):
    """A smoke study (the full arm) on the phantom cohort with every id hostile, and `explore` on a phantom
    scan with a hostile file name, run with the full arm's model."""
    from multideepnet.cohort import read_manifest, write_manifest
    from multideepnet.config import load_preset
    from multideepnet.pipeline import ensure_phantoms
    root = tmp_path_factory.mktemp("hostile")
    data, out = root / "data", root / "study"
    phantoms = ensure_phantoms(load_preset("smoke"), data)
    df = read_manifest(phantoms)
    ids = [i for _, i in id_shapes()]
    assert len(df) == len(ids), (len(df), len(ids))
    df["patient_id"] = ids
    manifest = write_manifest(df, phantoms.parent / "hostile.csv")    # beside phantoms.json: provenance says phantoms
    cmd = [EXE, "reproduce", "--preset", "smoke", "--manifest", str(manifest), "--arms", "full",
           "--out", str(out), "--data-root", str(data), "--n-boot", "50"]
    res = subprocess.run(cmd, capture_output=True, encoding="utf-8", errors="replace", timeout=1800)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    scan = next(p for p in df.path if p.endswith(".nii.gz"))
    evil_scan = root / "scans" / f'<img src=x onerror="{payload("explore")}">.nii.gz'
    evil_scan.parent.mkdir(); shutil.copy(scan, evil_scan)
    ex = subprocess.run([EXE, "explore", str(evil_scan), "--checkpoint", str(out / "arms" / "full" / "model.pt"),
                         "--out", str(root / "explore")], capture_output=True, encoding="utf-8", errors="replace",
                        timeout=900, cwd=root)
    assert ex.returncode == 0, ex.stdout[-3000:] + ex.stderr[-3000:]
    return {"out": out, "ids": ids, "manifest": manifest, "cache": data / "cache", "explore": root / "explore",
            "output": res.stdout + res.stderr + ex.stdout + ex.stderr}


SINKS_CODE = """\
import json, numpy as np, pandas as pd
from IPython.display import display
from multideepnet import viewer
ids = json.loads({ids!r})
ct = np.linspace(0, 1, 8, dtype=np.float32)[:, None, None] * np.ones((8, 16, 16), np.float32)
for i in ids:   # the id as title, caption and class; the missing pairs' notes name it too
    display(viewer.static_viewer(ct, {{i: ct, "cap": {{"axial": ct}}}}, title=i, caption=i, max_slices=2, size=32))
lv = viewer.LiveViewer(ct, {{ids[0]: ct, "cap": {{"axial": ct}}}}, size=32); lv.view.value = "axial"   # its status line
display(lv.widget)
pd.DataFrame({{"patient_id": ids}})
"""


@pytest.fixture(scope="module")
def sinks_page(tmp_path_factory) -> Path:
    """Every id through every text sink of the viewers, executed and exported as the study's pages are."""
    import json
    import nbformat
    from multideepnet.notebooks import execute_notebook, export_html
    d = tmp_path_factory.mktemp("sinks")
    code = SINKS_CODE.format(ids=json.dumps([i for _, i in id_shapes()]))
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), d / "sinks.ipynb")
    executed = execute_notebook(d / "sinks.ipynb", d / "sinks.executed.ipynb", timeout=300)
    return export_html(executed, d / "site" / "sinks.html", d / "site" / "widgets-js")


def test_no_page_runs_injected_script(chromium, hostile_study, sinks_page, tmp_path):
    out = hostile_study["out"]
    pages = [out / "index.html", out / "report.html", *sorted((out / "arms").glob("*/arm.html")),
             *sorted(hostile_study["explore"].glob("*_explore.html")), sinks_page]
    assert len(pages) == 5, pages
    ran, shown = {}, {}
    for k, page in enumerate(pages):
        dom = dump_dom(chromium, page, tmp_path / f"profile{k}")
        ran[page.name if page.parent.parent != out / "arms" else f"arms/{page.parent.name}/{page.name}"] = payloads_run(
            dom
        )
        shown[page.name] = ("onerror=" in dom, "widget-html" in dom)
    print("pages and the payloads that ran in them:", ran)
    assert all(not v for v in ran.values()), f"injected script ran: {ran}"
    # the ids reached the pages, as text, and the widget viewers were drawn (so their titles were tried)
    assert shown["report.html"] == shown["arm.html"] == shown["sinks.html"] == (True, True), shown
    explore = next(p for p in pages if p.name.endswith("_explore.html")).read_text(encoding="utf-8")
    maps = [p.name for p in hostile_study["explore"].glob("*.nii.gz")]              # named by the scan's name
    assert any(m.endswith('">_gradcam.nii.gz') for m in maps) and not any(".nii.gz_" in m for m in maps), maps
    assert "note: this model was trained only on synthetic phantoms (18 medium phantoms, preset smoke)" in explore
    assert "without encryption" not in hostile_study["output"]                       # the kernel's transport warning


def test_detector_sees_a_payload_that_runs(chromium, tmp_path):
    """Control: the same ids inserted as markup, as an HTML widget's value is (innerHTML, each into its own element),
    do run, and the detector names them: every shape but the `<script>` (not run when inserted so) and TeX ones."""
    import json
    ids = [i for _, i in id_shapes()[:12]]
    literal = lambda text: json.dumps(text).replace("</", "<\\/")         # a JS string that cannot end the script
    js = "".join(f"document.body.insertAdjacentHTML('beforeend', '<div>' + {literal(i)} + '</div>');" for i in ids)
    page = tmp_path / "control.html"
    page.write_text(f"<!doctype html><html><head><title>x</title></head><body><script>{js}</script></body></html>",
                    encoding="utf-8")
    assert payloads_run(dump_dom(chromium, page, tmp_path / "p1")) == [
        "details", "endscript", "iframe", "img", "markdown", "squote", "style", "svg", "textarea", "title"]


FORMULA = ("=", "+", "-", "@", "\t", "\r")


def test_ids_round_trip_through_the_csv_files(hostile_study):
    """index.csv and predictions.csv give the ids back exactly; no cell of any CSV written starts as a formula."""
    from multideepnet.layout import CacheDir, ArmDir, read_table
    ids, out = hostile_study["ids"], hostile_study["out"]
    (cache,) = [d for d in hostile_study["cache"].iterdir() if (d / "index.csv").is_file()]
    index = CacheDir(cache).read_index()
    assert sorted(index.patient_id) == sorted(ids) and (index.status == "ok").all(), index[["status", "error"]]
    splits = read_table(ArmDir(out / "arms" / "full").splits)
    assert sorted(splits.patient_id) == sorted(ids)
    pred = ArmDir(out / "arms" / "full").read_predictions()
    assert len(pred) and set(pred.patient_id) == set(splits.patient_id[splits.split == "test"])
    assert any(i.startswith("=") for i in splits.patient_id)                          # the formula ids went through
    files = [hostile_study["manifest"], *cache.glob("*.csv"), *out.rglob("*.csv")]
    for f in files:
        with open(f, newline="", encoding="utf-8") as fh:
            bad = [c for row in csv.reader(fh) for c in row if c.startswith(FORMULA)]
        # numbers may be negative: only text cells count
        bad = [c for c in bad if not re.fullmatch(r"-?\d+(\.\d*)?(e-?\d+)?", c)]
        assert not bad, (f, bad)


if __name__ == "__main__":
    for shape, pid in id_shapes(): print(f"| {shape} | `{pid}` |")
