"""The layering rule of `nbs/index.ipynb`, enforced: no library module imports one listed after it in the index's
table of notebooks (at the top of the file or inside a function), and no library module runs a study notebook
(`nbs/study/*.ipynb`) that imports a module listed after that library module."""
import ast
import json
import re

from conftest import ROOT

PACKAGE = ROOT / "multideepnet"


def table_order() -> list[str]:
    """The modules in the order of the index's table (the pipeline's order)."""
    index = json.loads((ROOT / "nbs" / "index.ipynb").read_text(encoding="utf-8"))
    text = "".join("".join(c["source"]) for c in index["cells"] if c["cell_type"] == "markdown")
    return re.findall(r"^\| `\w+` \| `(\w+)` \|", text, re.M)


def imported_modules(tree: ast.AST) -> list[tuple[str, int]]:
    """(module of this package, line) of every import in `tree`, relative or absolute, wherever it is."""
    out = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                names = [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
            elif node.module and node.module.startswith("multideepnet."):
                names = [node.module.split(".")[1]]
            elif node.module == "multideepnet":
                names = [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".")[1] for a in node.names if a.name.startswith("multideepnet.")]
        out += [(n, node.lineno) for n in names]
    return out


def test_every_module_is_in_the_table():
    order = table_order()
    modules = {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")}
    assert modules == set(
        order
    ), f"not in the index's table: {modules - set(order)}; in it but gone: {set(order) - modules}"
    assert len(order) == len(set(order))


def import_graph() -> dict[str, list[tuple[str, int]]]:
    pos = {m: i for i, m in enumerate(table_order())}
    return {p.stem: [(t, line) for t, line in imported_modules(ast.parse(p.read_text(encoding="utf-8"))) if t in pos]
            for p in sorted(PACKAGE.glob("*.py")) if p.stem in pos}


def test_no_module_imports_one_listed_after_it():
    pos = {m: i for i, m in enumerate(table_order())}
    back = [f"{m}.py:{line} imports {t}" for m, edges in import_graph().items() for t, line in edges if pos[t] > pos[m]]
    assert not back, "imports up the chain (the index's table order): " + "; ".join(back)


def test_the_check_finds_an_import_up_the_chain():
    """The rule can fail: an import of a later module, even inside a function, is found."""
    tree = ast.parse("def f():\n    from .trials import run_claims\nfrom multideepnet import study\n")
    assert sorted(imported_modules(tree)) == [("study", 3), ("trials", 2)]
    pos = {m: i for i, m in enumerate(table_order())}
    assert pos["trials"] > pos["study"] > pos["arm"]           # so an `arm` holding these lines would break the rule


def test_no_module_runs_a_notebook_that_imports_it_back():
    pos = {m: i for i, m in enumerate(table_order())}
    runs = re.compile(r"""(?:run_notebook|study_notebook)\(\s*["'](\w+)["']""")
    problems, checked = [], []
    for p in sorted(PACKAGE.glob("*.py")):
        if p.stem not in pos:
            continue
        for name in set(runs.findall(p.read_text(encoding="utf-8"))):
            checked.append((p.stem, name))
            nb = json.loads((ROOT / "nbs" / "study" / f"{name}.ipynb").read_text(encoding="utf-8"))
            code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
            code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
            for t, _ in imported_modules(ast.parse(code)):
                if t in pos and pos[t] >= pos[p.stem]:
                    problems.append(f"{p.stem} runs nbs/study/{name}.ipynb, which imports {t}")
    assert {("study", "arm"), ("study", "report")} <= set(checked), checked    # the runs are found, not skipped
    assert not problems, "; ".join(problems)


def generated_lines(text: str) -> set[int]:
    """Line numbers that nbdev writes itself: the module docstring (line 1) and the `__all__` block."""
    lines, out = text.splitlines(), {1}
    for i, line in enumerate(lines, 1):
        if line.startswith("__all__ = ["):
            j = i
            while j <= len(lines) and not lines[j - 1].rstrip().endswith("]"):
                j += 1
            out |= set(range(i, j + 1))
    return out


def test_module_lines_fit():
    """Every module line we write (the notebooks' export cells) is at most 120 characters."""
    long = [f"{p.name}:{i}" for p in sorted(PACKAGE.glob("*.py")) if p.name != "_modidx.py"
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if len(line) > 120 and i not in generated_lines(p.read_text(encoding="utf-8"))]
    assert not long, f"{len(long)} module lines over 120 characters: {', '.join(long[:20])}"
    text = '"""A docstring."""\n# %% auto #0\n__all__ = [\'a\',\n           \'b\']\nx = 1\n'
    assert generated_lines(text) == {1, 3, 4}         # the exemption covers nbdev's lines, not the code after them
