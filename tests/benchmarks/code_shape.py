"""The shape of the code, measured: module sizes, export cells (the longest, how many are over 20 and 40 lines, how
many have no test after them), module lines over 120 characters, and the import graph against the index's order.

    python tests/benchmarks/code_shape.py [REPO] [--json OUT]

REPO defaults to this repository; run it on two checkouts to compare them (issue 38's before and after)."""
import argparse
import ast
import json
import re
import sys
from pathlib import Path


def export_cells(nbs: Path) -> list[dict]:
    """Every `#| export` cell: notebook, its lines, and whether a test (a code cell that exports nothing) follows it
    before the next export cell."""
    out = []
    for nb_path in sorted(nbs.glob("[0-9][0-9]*_*.ipynb")):
        cells = [c for c in json.loads(nb_path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        src = ["".join(c["source"]) for c in cells]
        for i, s in enumerate(src):
            if not s.lstrip().startswith("#| export"):
                continue
            nxt = src[i + 1] if i + 1 < len(src) else ""
            tested = bool(nxt) and not nxt.lstrip().startswith(("#| export", "#| default_exp", "#| hide"))
            out.append({"notebook": nb_path.stem, "lines": len(s.splitlines()) - 1, "tested": tested})
    return out


def imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                names |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
            elif node.module and node.module.startswith("multideepnet."):
                names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith("multideepnet.")}
    return names


def shape(repo: Path) -> dict:
    pkg = repo / "multideepnet"
    modules = {p.stem: p for p in sorted(pkg.glob("*.py")) if not p.stem.startswith("_")}
    index = json.loads((repo / "nbs" / "index.ipynb").read_text(encoding="utf-8"))
    table = "".join("".join(c["source"]) for c in index["cells"] if c["cell_type"] == "markdown")
    order = re.findall(r"^\| `\w+` \| `(\w+)` \|", table, re.M)
    pos = {m: i for i, m in enumerate(order)}
    graph = {m: sorted(imports(ast.parse(p.read_text(encoding="utf-8"))) & set(modules)) for m, p in modules.items()}
    back = [f"{m} -> {t}" for m, ts in graph.items() for t in ts if m in pos and t in pos and pos[t] > pos[m]]
    cells = export_cells(repo / "nbs")
    longest = max(cells, key=lambda c: c["lines"])
    lines = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in modules.items()}
    return {
        "modules": len(modules),
        "module_lines": lines,
        "largest_modules": sorted(lines.items(), key=lambda t: -t[1])[:5],
        "export_cells": len(cells),
        "longest_export_cell": longest,
        "export_cells_over_40": sum(c["lines"] > 40 for c in cells),
        "export_cells_over_20": sum(c["lines"] > 20 for c in cells),
        "export_cells_without_test": sum(not c["tested"] for c in cells),
        "lines_over_120": sum(
            len(line) > 120 for p in modules.values() for line in p.read_text(encoding="utf-8").splitlines()
        ),
        "import_edges": sum(len(v) for v in graph.values()),
        "not_in_index": sorted(set(modules) - set(order)),
        "imports_up_the_chain": back,
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo", nargs="?", default=str(Path(__file__).resolve().parents[2]))
    ap.add_argument("--json", help="write the figures here as JSON")
    a = ap.parse_args()
    s = shape(Path(a.repo))
    print(json.dumps({k: v for k, v in s.items() if k != "module_lines"}, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(s, indent=1), encoding="utf-8")
    sys.exit(0)
