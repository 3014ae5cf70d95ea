"""Benchmark the Grad-CAM viewers at the paper's input size: build time, precomputed image bytes, HTML size.

Run: .venv/bin/python tests/benchmarks/bench_viewer.py   (not collected by pytest; prints numbers)
The HTML part executes a notebook with papermill (as the study does) and exports it with `export_html`.
"""
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from multideepnet.notebooks import export_html
from multideepnet.viewer import LiveViewer, static_viewer, viewer_image_bytes

SHAPE = (128, 256, 256)


def volumes(shape=SHAPE, seed=0):
    """A smooth random CT in [0, 1] and four smooth heatmaps in [0, 1] (combined + three views), on a coarse grid."""
    rng = np.random.default_rng(seed)
    z, y, x = np.meshgrid(*[np.linspace(-1, 1, s, dtype=np.float32) for s in shape], indexing="ij")
    ct = np.clip(0.5 + 0.3 * np.sin(4 * x) * np.cos(3 * y) + 0.1 * rng.standard_normal(shape, dtype=np.float32), 0, 1)
    heat = {v: rng.random((8, 16, 16)).astype(np.float32) for v in ("combined", "axial", "coronal", "sagittal")}
    return ct.astype(np.float32), heat


def main():
    ct, heat = volumes()
    for label, maps in [
        ("1 class x 4 views", {"covid": heat}),
        ("3 classes x 1 view", {c: heat["combined"] for c in ("healthy", "cap", "covid")}),
    ]:
        t = time.perf_counter()
        sv = static_viewer(ct, maps, max_slices=24, size=192)
        print(
            f"static_viewer {SHAPE}, {label}, 24 slices/plane, 192 px JPEG: build {time.perf_counter() - t:.1f} s,"
            f" images {viewer_image_bytes(sv) / 1e6:.2f} MB (~{viewer_image_bytes(sv) * 4 / 3 / 1e6:.2f} MB base64 in"
            " HTML)"
        )
    lv = LiveViewer(ct, {"covid": heat}, size=256)
    t = time.perf_counter()
    for i in range(0, 128, 4): lv.sliders["axial"].value = i
    print(f"LiveViewer refresh (3 planes, 256 px PNG): {(time.perf_counter() - t) / 32 * 1000:.0f} ms per slider step")

    import nbformat, papermill
    d = Path(tempfile.mkdtemp())
    code = (
        "import sys; sys.path.insert(0, %r)\nfrom bench_viewer import volumes\nfrom multideepnet.viewer import"
        " static_viewer\nct, heat = volumes()\nstatic_viewer(ct, {'covid': heat}, max_slices=24, size=192)"
        % str(Path(__file__).parent)
    )
    nbformat.write(
        nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(code)],
            metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        ),
        d / "nb.ipynb",
    )
    t = time.perf_counter()
    papermill.execute_notebook(str(d / "nb.ipynb"), str(d / "out.ipynb"), kernel_name="python3", progress_bar=False)
    t_exec = time.perf_counter() - t
    t = time.perf_counter()
    html = export_html(d / "out.ipynb", d / "site" / "nb.html", d / "site" / "widgets-js")
    print(f"papermill run {t_exec:.1f} s, export_html {time.perf_counter() - t:.1f} s; HTML with one viewer "
          f"(1 class x 4 views): {html.stat().st_size / 1e6:.2f} MB; widget JS folder "
          f"{sum(f.stat().st_size for f in (d / 'site' / 'widgets-js').iterdir()) / 1e6:.1f} MB")
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average)")


if __name__ == "__main__":
    main()
