"""What matplotlib's colormap costs the viewer: `viewer.colormap_lut` imports matplotlib for its table.

Each number is a fresh `python -c` process timing, inside itself, only the step that makes the (256, 3) jet table:
- "hand": the table written out (matplotlib's jet segments through np.interp, as viewer.py did before), numpy only;
- "matplotlib": `import matplotlib` and `colormaps["jet"].resampled(256)`, as `colormap_lut` does now.
Once in a bare process (numpy imported first) and once in `predict`'s (PyTorch, the viewer and Grad-CAM modules
imported first, as when `predict` draws its figure). Five runs each, side by side, then the medians and the
largest difference between the two tables (in uint8 units).

Run: .venv/bin/python tests/benchmarks/bench_colormap.py   (not collected by pytest; prints numbers)
"""
import statistics
import subprocess
import sys

RUNS = 5
CONTEXTS = {"bare (numpy imported)": "import numpy\n",
            "predict's (torch, viewer, gradcam imported)": "import torch, multideepnet.viewer, multideepnet.gradcam\n"}
HAND = """import time; t = time.perf_counter(); import numpy as np
jet = {"red": [(0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)], "green": [(0, 0), (0.125, 0), (0.375, 1), (0.64, 1),
       (0.91, 0), (1, 0)], "blue": [(0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)]}
x = np.linspace(0, 1, 256)
lut = (np.stack([np.interp(x, *zip(*jet[c])) for c in ("red", "green", "blue")], 1) * 255).round().astype(np.uint8)
print(time.perf_counter() - t)
"""
MPL = """import time; t = time.perf_counter(); import numpy as np
from matplotlib import colormaps
lut = (colormaps["jet"].resampled(256)(np.arange(256))[:, :3] * 255).round().astype(np.uint8)
print(time.perf_counter() - t)
"""


def cpu_name() -> str:
    try:
        names = [ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")]
    except OSError:
        return "unknown CPU"
    return f"{names[0]} x {len(names)}" if names else "unknown CPU"


def timed(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def table_difference() -> int:
    import numpy as np
    from multideepnet.viewer import colormap_lut
    ns: dict = {}
    exec(HAND.replace("print(time.perf_counter() - t)", ""), ns)
    return int(np.abs(ns["lut"].astype(int) - colormap_lut("jet").astype(int)).max())


def main():
    print(f"CPU: {cpu_name()}; Python {sys.version.split()[0]}")
    for label, ctx in CONTEXTS.items():
        rows = [(timed(ctx + HAND), timed(ctx + MPL)) for _ in range(RUNS)]
        print(f"{label}: hand / matplotlib, ms: " + "  ".join(f"{a * 1e3:.1f} / {b * 1e3:.1f}" for a, b in rows))
        hand, mpl = statistics.median(a for a, _ in rows), statistics.median(b for _, b in rows)
        print(f"  median: hand {hand * 1e3:.1f} ms, matplotlib {mpl * 1e3:.1f} ms (+{(mpl - hand) * 1e3:.0f} ms)")
    print(f"largest difference between the two jet tables: {table_difference()} (uint8 units)")


if __name__ == "__main__":
    main()
