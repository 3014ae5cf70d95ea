"""The shape of the code, measured: module sizes, export cells (the longest, how many are over 20 and 40 lines, how
many have no test right after them, and how many define names that no test cell of their notebook uses), module
lines over 120 characters, and the import graph against the index's order.

    python tests/benchmarks/code_shape.py [REPO] [--json OUT]

REPO defaults to this repository; run it on two checkouts to compare them (issue 38's before and after)."""
import argparse
import ast
import json
import re
from pathlib import Path

NOT_TESTS = ("#| export", "#| default_exp", "#| hide")


def defined_names(code: str) -> set[str]:
    """The names a cell defines at its top level (functions, classes, assignments)."""
    names = set()
    for n in ast.parse(code).body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, (ast.Assign, ast.AnnAssign)):
            for t in n.targets if isinstance(n, ast.Assign) else [n.target]:
                names |= {x.id for x in ast.walk(t) if isinstance(x, ast.Name)}
    return names


def export_cells(nbs: Path) -> list[dict]:
    """Every `#| export` cell: notebook, lines, whether a test cell (a code cell that exports nothing) comes right
    after it (`tested`), and whether a later test cell of the notebook names anything it defines (`used`)."""
    out = []
    for nb_path in sorted(nbs.glob("[0-9][0-9]*_*.ipynb")):
        cells = [c for c in json.loads(nb_path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        src = ["".join(c["source"]) for c in cells]
        is_test = [not s.lstrip().startswith(NOT_TESTS) for s in src]
        for i, s in enumerate(src):
            if not s.lstrip().startswith("#| export"):
                continue
            words = set(re.findall(r"\w+", "\n".join(t for t, ok in zip(src[i + 1:], is_test[i + 1:]) if ok)))
            names = defined_names(s)
            out.append({"notebook": nb_path.stem, "lines": len(s.splitlines()) - 1,
                        "tested": i + 1 < len(src) and is_test[i + 1], "used": not names or bool(names & words)})
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
    lines = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in modules.items()}
    long = sum(len(line) > 120 for p in modules.values() for line in p.read_text(encoding="utf-8").splitlines())
    return {"modules": len(modules), "module_lines": lines,
            "largest_modules": sorted(lines.items(), key=lambda t: -t[1])[:5],
            "export_cells": len(cells), "longest_export_cell": max(cells, key=lambda c: c["lines"]),
            "export_cells_over_40": sum(c["lines"] > 40 for c in cells),
            "export_cells_over_20": sum(c["lines"] > 20 for c in cells),
            "export_cells_without_test_after": sum(not c["tested"] for c in cells),
            "export_cells_unused_by_tests": sum(not c["used"] for c in cells),
            "lines_over_120": long, "import_edges": sum(len(v) for v in graph.values()),
            "layers": len(order), "not_in_index": sorted(set(modules) - set(order)), "imports_up_the_chain": back}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo", nargs="?", default=str(Path(__file__).resolve().parents[2]))
    ap.add_argument("--json", help="write the figures here as JSON")
    a = ap.parse_args()
    s = shape(Path(a.repo))
    print(json.dumps({k: v for k, v in s.items() if k != "module_lines"}, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(s, indent=1), encoding="utf-8")
