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


def pytest_collection_modifyitems(config, items):
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
