"""Benchmark: bootstrap confidence intervals (multideepnet.metrics.bootstrap_ci).

Target: 1000 resamples of a ~160-case predictions table in a few seconds at most.
Prints seconds per call for a few table sizes and resample counts, with the machine load.
Run: .venv/bin/python tests/benchmarks/bench_metrics.py
"""
import os
import time

import numpy as np
import pandas as pd

from multideepnet.core import CLASSES, peak_rss_mb
from multideepnet.metrics import bootstrap_ci


def fake_predictions(n: int, seed: int = 0) -> pd.DataFrame:
    """A predictions table of `n` cases in the paper's class proportions, about 85% correct."""
    r = np.random.default_rng(seed)
    yt = r.choice(3, n, p=[67 / 158, 28 / 158, 63 / 158])
    yp = np.where(r.random(n) < 0.85, yt, r.integers(0, 3, n))
    logits = r.normal(0, 1, (n, 3)); logits[np.arange(n), yp] += 2.0
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    df = pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "y_true": yt, "y_pred": yp})
    return df.join(pd.DataFrame(p, columns=[f"p_{c}" for c in CLASSES]))


def main() -> None:
    print(f"load average: {os.getloadavg()}")
    for n, n_boot in [(158, 1000), (158, 10000), (1000, 1000), (10000, 1000)]:
        df = fake_predictions(n)
        bootstrap_ci(df, n_boot=10)  # warm-up
        best = min(_timed(df, n_boot) for _ in range(3))
        print(f"bootstrap_ci n_cases={n:>6} n_boot={n_boot:>6}: {best:.3f} s (best of 3)")
    print(f"peak RSS {peak_rss_mb():.0f} MiB")


def _timed(df: pd.DataFrame, n_boot: int) -> float:
    t0 = time.perf_counter(); bootstrap_ci(df, n_boot=n_boot, seed=0)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
