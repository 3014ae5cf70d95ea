"""Shared pytest fixtures: paths, the shared real-scan sample, and the slow-test switch."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_SAMPLE = ROOT.parent / "shared" / "data" / "covid-ct-md-sample"


def run_slow(config) -> bool:
    """Slow tests run with --runslow, or always in CI (CI=true)."""
    return bool(config.getoption("--runslow") or os.environ.get("CI"))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: slow test; runs with --runslow or when CI is set")


# The files with the most serial test time in CI (2-core Intel Xeon, 2026-12-02: notebooks 364 s, SIGKILL resume
# 265 s, smoke study 169 s, fresh imports 104 s, plain install 88 s, of 1184 s), collected first so the two xdist
# workers start on them: longest first, no long file left to run alone at the end. xdist's own reordering (by number
# of tests per file) is off in pytest.ini: it put the one-test resume file last, and that run idled a worker 166 s.
LONG_FIRST = ("test_notebooks.py", "test_resume_kill.py", "test_study_smoke.py", "test_fresh_import.py", "test_install.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FIRST)))   # stable: each file keeps its order
    if run_slow(config):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (CI runs it)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The three real COVID-CT-MD scans in ../shared; skip where they are absent."""
    if not SHARED_SAMPLE.is_dir():
        pytest.skip(f"real-scan sample not found at {SHARED_SAMPLE} (../shared is absent)")
    return SHARED_SAMPLE
