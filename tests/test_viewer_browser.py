"""The exported Grad-CAM viewer in a real browser: headless Chromium, no kernel, no internet.

A tiny notebook builds a `static_viewer` on a synthetic volume whose brightness grows with the slice
number; it is executed with its widget state saved, exported with the widget JavaScript copied beside
the page, served from 127.0.0.1 and opened in headless Chromium, driven through the DevTools protocol
over a pipe (`--remote-debugging-pipe`: no extra Python package, no port). Dragging the axial slider
must show a brighter, different slice; every request must stay on 127.0.0.1; without the JavaScript the
static fallback figure must show instead. The view selector must swap the heatmap.
A page with formulas beside a viewer (as the book's are) must have them typeset by the KaTeX copied
beside it, in KaTeX's fonts, with nothing fetched from elsewhere.

Needs Debian's `chromium` (skips without it) and npm once to fetch the widget JavaScript and KaTeX.
Set MULTIDEEPNET_SCREENSHOT_DIR to keep the screenshots.
"""
from __future__ import annotations

import base64
import fcntl
import functools
import http.server
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--no-default-browser-check", "--mute-audio", "--hide-scrollbars",
                  "--remote-debugging-pipe"]


def find_chromium() -> str | None:
    """Path of a Chromium binary: $MULTIDEEPNET_CHROMIUM, else chromium / chromium-browser on PATH."""
    names = [os.environ.get("MULTIDEEPNET_CHROMIUM", ""), "chromium", "chromium-browser"]
    return next((shutil.which(n) for n in names if n and shutil.which(n)), None)


class Chromium:
    """Headless Chromium driven by the DevTools protocol over fds 3 (commands in) and 4 (replies out)."""

    def __init__(self, exe: str, user_data_dir: Path, timeout: float = 30):
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()
        cmd_r, out_w = (self._above_4(fd) for fd in (cmd_r, out_w))   # so "3<&N 4>&M" cannot clobber them
        script = f'exec "$0" "$@" 3<&{cmd_r} 4>&{out_w} {cmd_r}<&- {out_w}>&-'
        self.proc = subprocess.Popen(["bash", "-c", script, exe, *CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}",
                                      "about:blank"], pass_fds=(cmd_r, out_w),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_r); os.close(out_w)
        self.timeout, self._next_id, self.events = timeout, 0, []
        self._replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.session = None

    @staticmethod
    def _above_4(fd: int) -> int:
        high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
        os.close(fd)
        return high

    def _read(self) -> None:
        buf = b""
        while chunk := os.read(self._out_r, 1 << 16):
            buf += chunk
            *msgs, buf = buf.split(b"\0")
            for m in msgs:
                msg = json.loads(m)
                (self._replies.put(msg) if "id" in msg else self.events.append(msg))
        self._replies.put(None)

    def send(self, method: str, params: dict | None = None, session: bool = True) -> dict:
        """Send one command and wait for its reply (raising on a protocol error)."""
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session: msg["sessionId"] = self.session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._replies.get(timeout=max(0.1, deadline - time.monotonic()))
            if reply is None: raise RuntimeError(f"chromium exited while waiting for {method}")
            if reply["id"] == self._next_id: break
        if "error" in reply: raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def open_page(self, width: int = 1280, height: int = 900) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Network"): self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def js(self, expression: str):
        """Evaluate a JavaScript expression in the page (awaiting promises) and return its value."""
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in res: raise RuntimeError(f"JS error in {expression[:80]!r}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.js(expression):
            if time.monotonic() > deadline: raise TimeoutError(f"timed out waiting for: {expression}")
            time.sleep(0.2)

    def mouse(self, kind: str, x: float, y: float) -> None:
        self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                               "buttons": 0 if kind == "mouseReleased" else 1, "clickCount": 1})

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"]))
        return path

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try: self.send("Browser.close", session=False)
        except Exception: pass
        try: self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired: self.proc.kill(); self.proc.wait()
        os.close(self._cmd_w)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


def serve(folder: Path) -> http.server.ThreadingHTTPServer:
    """A static file server for `folder` on 127.0.0.1 (random port), in a daemon thread."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


NOTEBOOK_CODE = """\
import numpy as np
from multideepnet.viewer import static_viewer
D, H, W = 30, 40, 48
z = np.linspace(0, 1, D, dtype=np.float32)[:, None, None]
ct = np.broadcast_to(z, (D, H, W)).copy()              # slice k has brightness k / (D - 1)
zz, yy, xx = np.meshgrid(np.linspace(-1, 1, D), np.linspace(-1, 1, H), np.linspace(-1, 1, W), indexing="ij")
heat = np.exp(-(((zz + 0.5) / 0.2) ** 2 + ((yy - 0.6) / 0.2) ** 2 + ((xx - 0.6) / 0.2) ** 2)).astype(np.float32)
static_viewer(ct, {"covid": {"combined": heat, "axial": np.ones_like(heat)}}, max_slices=10, size=160)
"""

AXIAL_MEAN = """(() => {
  const img = document.querySelector('.mdn-stack-axial img');
  if (!img || !img.complete || !img.naturalWidth) return null;
  const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data; let s = 0;
  for (let i = 0; i < d.length; i += 4) s += (d[i] + d[i + 1] + d[i + 2]) / 3;
  return {mean: s / (d.length / 4), src: img.src,
          readout: document.querySelector('.mdn-slider-axial .widget-readout').textContent.trim()};
})()"""

RECT = """(() => {{ const r = document.querySelector({sel!r}).getBoundingClientRect();
  return {{x: r.x, y: r.y, w: r.width, h: r.height}}; }})()"""


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = find_chromium()
    if exe is None:
        pytest.skip("chromium not found (Debian: apt-get install -y chromium; or set MULTIDEEPNET_CHROMIUM)")
    return exe


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """Executed tiny notebook exported to site/viewer.html with its JavaScript in site/widgets-js/."""
    import nbformat
    from multideepnet.notebooks import execute_notebook, export_html
    d = tmp_path_factory.mktemp("viewer_browser")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(NOTEBOOK_CODE)]), d / "viewer.ipynb")
    executed = execute_notebook(d / "viewer.ipynb", d / "viewer.executed.ipynb", timeout=300)
    html = export_html(executed, d / "site" / "viewer.html", d / "site" / "widgets-js")
    print(f"exported HTML: {html.stat().st_size / 1e3:.0f} kB; widget JS folder: "
          f"{sum(f.stat().st_size for f in (d / 'site' / 'widgets-js').iterdir()) / 1e6:.1f} MB")
    return html


def screenshot_dir(tmp_path: Path) -> Path:
    d = Path(os.environ.get("MULTIDEEPNET_SCREENSHOT_DIR") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_slider_steps_through_slices_offline(chromium, report, tmp_path):
    server = serve(report.parent)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    browser = Chromium(chromium, tmp_path / "profile")
    try:
        browser.open_page()
        browser.send("Page.navigate", {"url": f"{origin}/{report.name}"})
        browser.wait_for(f"({AXIAL_MEAN}) !== null", timeout=60)
        before = browser.js(AXIAL_MEAN)
        browser.screenshot(screenshot_dir(tmp_path) / "viewer_before.png")

        handle = browser.js(RECT.format(sel=".mdn-slider-axial .noUi-handle"))
        track = browser.js(RECT.format(sel=".mdn-slider-axial .noUi-base"))
        x, y = handle["x"] + handle["w"] / 2, handle["y"] + handle["h"] / 2
        browser.mouse("mousePressed", x, y)
        for k in range(1, 11): browser.mouse("mouseMoved", x + (track["x"] + track["w"] + 20 - x) * k / 10, y)
        browser.mouse("mouseReleased", track["x"] + track["w"] + 20, y)
        browser.wait_for(f"(({AXIAL_MEAN}) || {{}}).readout === '29'", timeout=15)
        browser.wait_for(f"(({AXIAL_MEAN}) || {{}}).src !== {before['src']!r}", timeout=15)
        after = browser.js(AXIAL_MEAN)
        browser.screenshot(screenshot_dir(tmp_path) / "viewer_after.png")

        assert before["readout"] != "29", before
        assert after["mean"] > before["mean"] + 60, (before, after)   # the last slice is the brightest
        fallback_display = browser.js("getComputedStyle(document.querySelector('img.mdn-fallback')).display")
        assert fallback_display == "none", "the static fallback is hidden once the widgets are drawn"
        foreign = [u for u in browser.requested_urls() if not u.startswith((origin, "data:", "blob:"))]
        assert foreign == [], f"requests outside the report's folder: {foreign}"
        assert f"{origin}/widgets-js/embed-amd.js" in browser.requested_urls()

        # the view selector swaps the whole panel: the "axial" view's heatmap is 1 everywhere (dark red)
        browser.js(
            "[...document.querySelectorAll('.mdn-view button')].find(b => b.textContent.trim() === 'axial').click()"
        )
        browser.wait_for(f"(({AXIAL_MEAN}) || {{}}).src !== {after['src']!r}", timeout=15)
        swapped = browser.js(AXIAL_MEAN)
        assert swapped["readout"] == "29" and swapped["mean"] < after["mean"] - 60, (after, swapped)
        browser.screenshot(screenshot_dir(tmp_path) / "viewer_view_axial.png")
    finally:
        browser.close()
        server.shutdown()


def test_fallback_figure_without_widget_javascript(chromium, report, tmp_path):
    bare = tmp_path / "bare"; bare.mkdir()
    shutil.copy(report, bare / report.name)                      # the page without its widgets-js folder
    server = serve(bare)
    browser = Chromium(chromium, tmp_path / "profile")
    try:
        browser.open_page()
        browser.send("Page.navigate", {"url": f"http://127.0.0.1:{server.server_address[1]}/{report.name}"})
        browser.wait_for("(() => { const i = document.querySelector('img.mdn-fallback');"
                         " return !!i && i.complete && i.naturalWidth > 0; })()", timeout=30)
        time.sleep(1.0)                                          # give a (failing) widget renderer time to act
        shown = browser.js(
            "(() => { const i = document.querySelector('img.mdn-fallback');"
            " return getComputedStyle(i).display !== 'none' && i.getBoundingClientRect().width > 100; })()"
        )
        assert shown, "the static three-plane figure shows when the widget JavaScript is missing"
        assert browser.js("document.querySelectorAll('.mdn-stack-axial').length") == 0
        browser.screenshot(screenshot_dir(tmp_path) / "viewer_fallback.png")
    finally:
        browser.close()
        server.shutdown()


def capture(chromium: str, page: Path, tmp_path: Path, ready_js: str, shot_name: str, *readers: str):
    """Serve `page`, open it in Chromium, wait until `ready_js` holds, screenshot it; the screenshot and each reader's
    value."""
    server = serve(page.parent)
    browser = Chromium(chromium, tmp_path / "profile")
    try:
        browser.open_page(1400, 1000)
        browser.send("Page.navigate", {"url": f"http://127.0.0.1:{server.server_address[1]}/{page.name}"})
        browser.wait_for(ready_js, timeout=60)
        return (browser.screenshot(screenshot_dir(tmp_path) / shot_name), *(browser.js(r) for r in readers))
    finally:
        browser.close()
        server.shutdown()


FIG7_CODE = """\
import numpy as np, pandas as pd
from pathlib import Path
from multideepnet import report
d = Path("arm"); (d / "gradcam").mkdir(parents=True, exist_ok=True)
D, H, W = 32, 64, 64
zz, yy, xx = np.meshgrid(np.arange(D), np.arange(H), np.arange(W), indexing="ij")
vol = np.full((D, H, W), 0.1, np.float32)
blob = ((zz - 20) / 4.0) ** 2 + ((yy - 20) / 8.0) ** 2 + ((xx - 44) / 8.0) ** 2 <= 1   # a lesion away from the heat
vol[blob] = 0.8
heat = np.zeros((D, H, W), np.float32); heat[16:24, 32:48, 8:24] = 1.0        # a coarse cell: flat maximum
np.savez(d / "gradcam" / "p1.npz", volume=vol.astype(np.float16), map_combined=heat.astype(np.float16),
         lesion=blob.astype(np.uint8), spacing=np.array([7.0, 2.3, 3.9], np.float32))
pd.DataFrame([{"patient_id": "p1", "label": "covid", "predicted": "covid", "p_healthy": 0.05, "p_cap": 0.05,
               "p_covid": 0.9, "npz": "gradcam/p1.npz"}]).to_csv(d / "gradcam" / "cases.csv", index=False)
report.fig7_viewers({"full": {"dir": d}}, "full", max_slices=16)[0]
"""

READOUTS = """(() => Object.fromEntries(['axial', 'coronal', 'sagittal'].map(p => {
  const r = document.querySelector('.mdn-slider-' + p + ' .widget-readout'); return [p, r ? r.textContent.trim() : \
null]; })))()"""

PIXELS = """(() => {
  const im = document.querySelector('.mdn-stack-axial img');     // a Stack shows only its selected slice
  if (!im || !im.complete || !im.naturalWidth) return null;
  const c = document.createElement('canvas'); c.width = im.naturalWidth; c.height = im.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(im, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data; let green = 0, warm = 0, grey = 0;
  for (let i = 0; i < d.length; i += 4) {
    const [r, gg, b] = [d[i], d[i + 1], d[i + 2]];
    if (gg > 150 && gg > r + 60 && gg > b + 60) green++; else if (r > 60 && r > gg + 40 && r > b + 40) warm++;   // \
JPEG-tolerant; jet at 1 is dark red
    else if (Math.abs(r - gg) < 12 && Math.abs(gg - b) < 12) grey++;
  }
  return {green, warm, grey, total: d.length / 4};
})()"""


@pytest.fixture(scope="module")
def fig7_page(tmp_path_factory) -> Path:
    """A report-style Fig. 7 viewer (report.fig7_viewers) executed, exported with its widget JavaScript."""
    import nbformat
    from multideepnet.notebooks import execute_notebook, export_html
    d = tmp_path_factory.mktemp("fig7")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FIG7_CODE)]), d / "fig7.ipynb")
    executed = execute_notebook(d / "fig7.ipynb", d / "fig7.executed.ipynb", timeout=300)
    return export_html(executed, d / "site" / "fig7.html", d / "site" / "widgets-js")


def test_fig7_viewer_opens_at_the_peak(chromium, fig7_page, tmp_path):
    """The Fig. 7 viewer opens on the map's peak (the centre of the flat maximum: z 19-20, y 39-40, x 15-16), not on
    slice 0; the heat is drawn there in warm colours over a grey CT, and the lesion outline in green."""
    shot, readouts, pixels = capture(
        chromium, fig7_page, tmp_path, f"({PIXELS}) !== null", "fig7_viewer.png", READOUTS, PIXELS
    )
    assert shot.stat().st_size > 10_000
    peak = {"axial": (19, 20), "coronal": (39, 40), "sagittal": (15, 16)}    # the plateau's centre-most voxel
    for plane, (lo, hi) in peak.items():
        assert readouts[plane] is not None and lo <= int(readouts[plane]) <= hi, (plane, readouts)
    assert pixels["green"] > 20, pixels                     # the lesion outline
    assert pixels["warm"] > 50, pixels                      # the heat at its peak
    assert pixels["grey"] > 0.5 * pixels["total"], pixels   # the CT stays grey where the map is low: no wash


FIG7_PAIR_CODE = """\
import numpy as np, pandas as pd
from pathlib import Path
from multideepnet import report
d = Path("arm"); (d / "gradcam").mkdir(parents=True, exist_ok=True)
D, H, W = 16, 32, 32                                       # the network input; the scan is twice as fine
vol = np.full((D, H, W), 0.1, np.float32)
cam = np.zeros((D, H, W), np.float32); cam[4:12, 8:24, 8:24] = 1.0        # a coarse Grad-CAM cell
xmap = np.zeros((D, H, W), np.float32); xmap[10, 20:23, 5:8] = 1.0       # the chosen map: on the lesion
up = lambda a: np.kron(a, np.ones((2, 2, 2))).astype(a.dtype)
lesion = (xmap > 0).astype(np.uint8)
np.savez(d / "gradcam" / "p1.npz", volume=vol.astype(np.float16), map_combined=cam.astype(np.float16), lesion=lesion,
         spacing=np.array([4.0, 2.0, 2.0], np.float32), xmap_combined=xmap.astype(np.float16),
         scan=(up(vol) * 1000 - 1000).astype(np.int16), scan_spacing=np.array([2.0, 1.0, 1.0], np.float32),
         scan_map_gradcam=up(cam).astype(np.float16), scan_map_gradxinput=up(xmap).astype(np.float16), \
scan_lesion=up(lesion))
pd.DataFrame([{"patient_id": "p1", "label": "covid", "predicted": "covid", "p_healthy": 0.05, "p_cap": 0.05,
               "p_covid": 0.9, "npz": "gradcam/p1.npz"}]).to_csv(d / "gradcam" / "cases.csv", index=False)
report.fig7_viewers({"full": {"dir": d, "metrics": {"explanation_chosen": "gradxinput"}}}, "full", max_slices=40)[0]
"""

BOXES = """(() => [...document.querySelectorAll('.mdn-static-viewer')].map(v => {
  const r = v.getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width,
    axial: [...v.querySelectorAll('.mdn-slider-axial .widget-readout')].map(e => e.textContent.trim())}; }))()"""


def test_fig7_pair_side_by_side_at_scan_resolution(chromium, tmp_path):
    """Fig. 7 puts the paper's Grad-CAM and the chosen explanation side by side, each opening at its own peak on the
    scan's own (here twice finer) grid: the chosen map's peak is axial slice 20-21 of 32, beyond the network's 16."""
    import nbformat
    from multideepnet.notebooks import execute_notebook, export_html
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FIG7_PAIR_CODE)]), tmp_path / "pair.ipynb")
    page = export_html(execute_notebook(tmp_path / "pair.ipynb", tmp_path / "pair.executed.ipynb", timeout=300),
                       tmp_path / "site" / "pair.html", tmp_path / "site" / "widgets-js")
    shot, boxes = capture(
        chromium,
        page,
        tmp_path,
        f"({BOXES}).length === 2 && ({BOXES}).every(b => b.axial.length === 1)",
        "fig7_pair.png",
        BOXES,
    )
    assert shot.stat().st_size > 10_000
    left, right = boxes
    assert right["x"] >= left["x"] + left["w"] - 5 and abs(right["y"] - left["y"]) < 5, boxes   # side by side
    assert 14 <= int(left["axial"][0]) <= 17, boxes          # Grad-CAM's plateau centre (scan slices 8-23)
    assert 20 <= int(right["axial"][0]) <= 21, boxes         # the chosen map's peak: slice 10 of 16 -> 20-21 of 32


MATH_MARKDOWN = r"""# Grad-CAM

Each channel $k$ of $A \in \mathbb{R}^{K \times d \times h \times w}$ gets a weight, the average gradient

$$\alpha_k^c = \frac{1}{d\,h\,w} \sum_{z,y,x} \frac{\partial y^c}{\partial A_{k,z,y,x}},$$

and the map is $L^c = \mathrm{ReLU}\big(\sum_k \alpha_k^c A_k\big)$.
"""

MATH_STATE = """(() => ({
  katex: document.querySelectorAll('.katex').length, display: document.querySelectorAll('.katex-display').length,
  errors: document.querySelectorAll('.katex-error').length,
  raw: [...document.querySelectorAll('.jp-RenderedMarkdown')].some(e => e.textContent.includes('$')),
  fonts: [...document.fonts].filter(f => f.family.startsWith('KaTeX') && f.status === 'loaded').map(f => f.family),
  resources: performance.getEntriesByType('resource').map(e => e.name)}))()"""


def test_formulas_typeset_offline_beside_a_viewer(chromium, tmp_path):
    """A page with formulas and a viewer, as the book's pages are: KaTeX, copied beside the page, typesets every
    formula with its own fonts, nothing is fetched from outside the page's folder, and the viewer still draws
    (KaTeX and the widget renderer share the page's require.js)."""
    import nbformat
    from multideepnet.notebooks import execute_notebook, export_html
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(MATH_MARKDOWN),
                                                   nbformat.v4.new_code_cell(NOTEBOOK_CODE)]), tmp_path / "math.ipynb")
    page = export_html(execute_notebook(tmp_path / "math.ipynb", tmp_path / "math.executed.ipynb", timeout=300),
                       tmp_path / "site" / "math.html", tmp_path / "site" / "widgets-js")
    assert (tmp_path / "site" / "katex" / "katex.min.js").exists()
    ready = (f"(({MATH_STATE}).katex >= 4) && ({AXIAL_MEAN}) !== null && document.fonts.status === 'loaded'")
    shot, state = capture(chromium, page, tmp_path, ready, "formulas.png", MATH_STATE)
    assert shot.stat().st_size > 10_000
    assert (state["katex"], state["display"], state["errors"], state["raw"]) == (4, 1, 0, False), state
    assert {"KaTeX_Main", "KaTeX_Math"} <= set(state["fonts"]), state["fonts"]   # the formulas' own fonts, loaded
    foreign = [u for u in state["resources"] if not u.startswith("http://127.0.0.1:")]
    assert foreign == [], f"requests outside the page's folder: {foreign}"
    assert any(u.endswith("/katex/katex.min.js") for u in state["resources"]), state["resources"]
    assert any("/katex/fonts/KaTeX_Main-Regular.woff2" in u for u in state["resources"]), state["resources"]
