"""The executor seam on Dask (slow; CI runs it): the tiny claims study on a Dask LocalCluster gives the records of
the local process pool, timings aside; and a worker killed with SIGKILL in the middle of a unit costs nothing but
time: the unit runs again on another worker, the study completes with the same records, every unit exactly once."""
import json
import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import tiny_claims
from multideepnet.trials import run_claims, unit_key
from multideepnet.verdicts import compare_records

pytestmark = pytest.mark.slow
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("claims")
    preset = tiny_claims(root)
    rec = run_claims(preset, root / "local", root / "data", results_dir=root)       # today's process pool
    return {"root": root, "preset": preset, "record": rec}


def test_local_cluster_gives_the_local_records(reference):
    root = reference["root"]
    rec = run_claims(reference["preset"], root / "dask", root / "data", results_dir=root, executor="dask:2")
    assert compare_records(reference["record"], rec) == []
    assert rec["runs"][-1]["executor"] == "dask:2"
    a, b = (pd.read_csv(root / d / "trials.csv").drop(columns="config_hash") for d in ("local", "dask"))
    pd.testing.assert_frame_equal(a, b)


def _running_unit(study: Path, client, run_started: float):
    """A (unit key, worker address) whose unit is training now: its run.json says running, no unit.json yet."""
    for run in study.glob("trials/*/n*/t*/*/run.json"):
        d = run.parent
        if (d / "unit.json").exists() or run.stat().st_mtime < run_started: continue
        try: status = json.loads(run.read_text())["status"]
        except (json.JSONDecodeError, OSError): continue
        if status != "running": continue
        key = "/".join(d.parts[-4:])
        for worker, keys in client.processing().items():
            if any(f"-{key}-" in str(k) for k in keys): return key, worker
    return None


def test_killed_worker_unit_runs_again(reference):
    root, study = reference["root"], reference["root"] / "killed"
    done = {}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, \
            distributed.Client(cluster) as client:
        started = time.time()
        run = threading.Thread(target=lambda: done.update(record=run_claims(
            reference["preset"], study, root / "data", results_dir=root, executor=cluster.scheduler_address)))
        run.start()
        victim, deadline = None, time.time() + 300
        while victim is None and time.time() < deadline and run.is_alive():
            victim = _running_unit(study, client, started)
            time.sleep(0.02)
        assert victim is not None, "no unit was seen training"
        key, worker = victim
        pid = client.run(os.getpid, workers=[worker])[worker]
        os.kill(pid, signal.SIGKILL)                        # the worker dies in the middle of the unit
        killed_at = time.time()
        run.join(timeout=600)
        assert not run.is_alive()
    assert (
        study / "trials" / key / "unit.json"
    ).stat().st_mtime >= killed_at  # the killed unit was finished after the kill
    rec = done["record"]
    assert compare_records(reference["record"], rec) == []
    rows = pd.read_csv(study / "trials.csv")
    keys = [unit_key(r) for r in rows.to_dict(orient="records")]
    assert len(keys) == len(set(keys)) == len(rec["units"])            # every unit exactly once
    assert key in keys and json.loads((study / "trials" / key / "run.json").read_text())["status"] == "done"
