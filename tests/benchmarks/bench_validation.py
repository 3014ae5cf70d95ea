"""Benchmark (issue 19): what the validation stage costs against preprocessing one scan, per real COVID-CT-MD scan.

For each scan, as its DICOM series and as a .nii.gz of the same volume:
- prepare: `process_case` end to end (read, validate, segment, crop, cache, QC files), wall and CPU seconds;
- validation, DICOM: the series checks (`_choose_series`, `_check_series`, `_check_rescale`, the metadata allow-list)
  and `validate_ct` on the volume;
- validation, NIfTI: `read_volume_file` (gzip's CRC check, nibabel's header, NaN scan, then SimpleITK on the checked
  bytes) minus a bare `sitk.ReadImage` of the same file (what reading cost before), plus `validate_ct`.
Each figure is the best of --repeat runs (the CPU may be shared: the load average is printed).

Run: .venv/bin/python tests/benchmarks/bench_validation.py [--repeat 3]
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from multideepnet.core import cpu_model
from multideepnet.dicom import _check_rescale, _check_series, _choose_series, _dicom_meta, _scan_fast, _slice_geometry
from multideepnet.io import read_ct, read_volume_file, validate_ct, write_volume
from multideepnet.config import PrepConfig
from multideepnet.preprocess import process_case

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "covid-ct-md-sample"


def best(fn, repeat):
    """(result, best wall s, best CPU s) of `repeat` calls."""
    w_best = c_best = float("inf")
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        w_best, c_best = min(w_best, time.perf_counter() - w), min(c_best, time.process_time() - c)
    return out, w_best, c_best


def dicom_checks(folder: Path, vol) -> None:
    series = _scan_fast(folder)
    uid, _ = _choose_series(series, folder, None)
    headers, _ = _check_series(series[uid], uid)
    headers, pos, _ = _slice_geometry(headers)
    _check_rescale(headers, vol.array)
    _dicom_meta(headers, uid, pos, float(np.median(np.diff(pos))))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is reported")
    args = ap.parse_args()
    if not SAMPLE.is_dir():
        print(f"skipped: real-scan sample not found at {SAMPLE}")
        return
    print(f"CPU: {cpu_model()} ({os.cpu_count()} cores); load average before: {os.getloadavg()}")
    print(
        f"{'scan':10s} {'format':7s} {'prepare s (wall/cpu)':>21s} {'validation s (wall/cpu)':>24s}"
        f" {'share (wall/cpu)':>17s}"
    )
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for folder in sorted(p for p in SAMPLE.glob("*subjects/*") if p.is_dir()):
            vol = read_ct(folder)
            nii = write_volume(read_ct(folder, canonical=False), tmp / f"{folder.name}.nii.gz")
            for fmt, src in (("dicom", folder), ("nii.gz", nii)):
                k = iter(range(10 ** 6))
                _, pw, pc = best(
                    lambda: process_case(
                        {"patient_id": folder.name, "path": str(src)}, tmp / f"out{next(k)}", PrepConfig()
                    ),
                    args.repeat,
                )
                _, vw, vc = best(lambda: validate_ct(vol), args.repeat * 3)
                if fmt == "dicom":
                    # the header scan itself is reading, not validation: time it alone and subtract it
                    _, sw, sc = best(lambda: _scan_fast(folder), args.repeat * 3)
                    _, dw, dc = best(lambda: dicom_checks(folder, vol), args.repeat * 3)
                    cw, cc = max(0.0, dw - sw), max(0.0, dc - sc)
                else:
                    _, bw, bc = best(lambda: sitk.ReadImage(str(nii)), args.repeat * 2)
                    _, rw, rc = best(lambda: read_volume_file(nii), args.repeat * 2)
                    cw, cc = rw - bw, rc - bc
                tw, tc = vw + cw, vc + cc
                print(f"{folder.name:10s} {fmt:7s} {pw:10.2f} / {pc:8.2f}  {tw:11.3f} / {tc:9.3f}  "
                      f"{100 * tw / pw:7.1f}% / {100 * tc / pc:5.1f}%")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
