"""Measure the hand-written prose: README length, lines naming a date or a CPU, figures typed in more than one place.

The places read (everything a person writes by hand; generated blocks are skipped):
- README.md and every other Markdown file at the top level or under nbs/ (CHANGELOG.md, docs pages);
- the presets, multideepnet/configs/presets/*.yaml (comments and values alike);
- the markdown cells of every notebook under nbs/ (library notebooks, nbs/index.ipynb, nbs/experiments/).

Counts:
- `readme_lines`: lines of README.md;
- `dated_lines`: lines, outside generated blocks, naming a date (2026-..., a month's name) or a CPU model (EPYC,
  Xeon, AVX), in README.md, the presets and the library notebooks' markdown (`nbs/NN*_*.ipynb`), per file, and the
  same count leaving out table rows (`| ... |`), the way issue 31 counted the README;
- `shared_figures`: decimal figures (1218.6, 0.897, 0.41; not version numbers such as 2.13.0) found in more than one
  place, a place being one file; `shared_figures_3sig`: those of them with three or more significant digits (1218.6,
  0.897, 0.0625: a measurement or a precise setting rather than a round 0.5 or a short 0.41); listed with their places.

Run: .venv/bin/python tests/benchmarks/docs_hygiene.py [--json] [--list]
"""
import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = re.compile(r"<!-- generated:([\w.-]+) .*?-->.*?<!-- /generated:\1 -->", re.S)
DATED = re.compile(r"\b2026-\d\d|\b(January|February|March|April|June|July|August|September|October|November|"
                   r"December)\b|\bEPYC\b|\bXeon\b|\bAVX", re.I)
FIGURE = re.compile(r"(?<![\w.])\d+\.\d+(?![\w]|\.\d)")   # 1218.6, 0.897; not 2.13.0, v1.2, 3.5mm


def _strip_generated(text: str) -> str:
    return GENERATED.sub("", text)


def _markdown_of(nb: Path) -> str:
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def library_notebooks(root: Path = ROOT) -> list[Path]:
    return sorted((root / "nbs").glob("[0-9][0-9]*_*.ipynb"))


def dated_places(root: Path = ROOT) -> dict[str, str]:
    """README, presets and library notebooks' markdown: the places where a date or a CPU is counted."""
    places = {"README.md": (root / "README.md").read_text(encoding="utf-8")}
    for p in sorted((root / "multideepnet/configs/presets").glob("*.yaml")):
        places[str(p.relative_to(root))] = p.read_text(encoding="utf-8")
    for nb in library_notebooks(root):
        places[str(nb.relative_to(root))] = _markdown_of(nb)
    return {k: _strip_generated(v) for k, v in places.items()}


def figure_places(root: Path = ROOT) -> dict[str, str]:
    """Every hand-written place: Markdown files, presets, notebooks' markdown (generated blocks removed)."""
    places = dated_places(root)
    for p in sorted([*root.glob("*.md"), *(root / "nbs").rglob("*.md")]):
        places.setdefault(str(p.relative_to(root)), _strip_generated(p.read_text(encoding="utf-8")))
    for nb in sorted((root / "nbs").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in nb.parts: continue
        places.setdefault(str(nb.relative_to(root)), _strip_generated(_markdown_of(nb)))
    return places


def measure(root: Path = ROOT) -> dict:
    dated = {k: [ln for ln in v.splitlines() if DATED.search(ln)] for k, v in dated_places(root).items()}
    dated = {k: v for k, v in dated.items() if v}
    where = defaultdict(set)
    for name, text in figure_places(root).items():
        for f in FIGURE.findall(text):
            where[f].add(name)
    shared = {f: sorted(p) for f, p in sorted(where.items()) if len(p) > 1}
    sig3 = {f: p for f, p in shared.items() if len(f.replace(".", "").lstrip("0")) >= 3}
    return {"readme_lines": len((root / "README.md").read_text(encoding="utf-8").splitlines()),
            "dated_lines": sum(map(len, dated.values())),
            "dated_lines_outside_tables": sum(1 for v in dated.values() for ln in v if not ln.lstrip().startswith("|")),
            "dated_lines_per_file": {k: len(v) for k, v in dated.items()},
            "dated_examples": {k: v[:3] for k, v in dated.items()},
            "shared_figures": len(shared), "shared_figures_3sig": len(sig3), "shared_figure_places": shared,
            "shared_figure_3sig_places": sig3}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(ROOT))
    ap.add_argument("--json", action="store_true", help="print the whole record as JSON")
    ap.add_argument("--list", action="store_true", help="list the dated lines and the shared figures")
    args = ap.parse_args(argv)
    m = measure(Path(args.root))
    if args.json:
        print(json.dumps(m, indent=1)); return 0
    print(f"README lines: {m['readme_lines']}")
    print(f"lines naming a date or CPU (README, presets, library notebooks' markdown): {m['dated_lines']} "
          f"({m['dated_lines_outside_tables']} outside tables)")
    for k, n in m["dated_lines_per_file"].items():
        print(f"  {n:4d}  {k}")
        if args.list:
            for ln in dated_places(Path(args.root))[k].splitlines():
                if DATED.search(ln): print(f"        {ln.strip()[:140]}")
    print(f"figures in more than one hand-written place: {m['shared_figures']} "
          f"({m['shared_figures_3sig']} with three or more significant digits)")
    if args.list:
        for f, p in m["shared_figure_3sig_places"].items(): print(f"  {f}: {', '.join(p)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
