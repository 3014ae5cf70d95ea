"""Shared pytest fixtures: paths, the shared real-scan sample, and the slow-test switch."""
import os
from pathlib import Path

import pytest
import yaml

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


def tiny_claims(root: Path):
    """The claims preset shrunk to seconds (two regimes of 30 phantoms of 8x16x16, three trials, a few steps)."""
    from multideepnet.config import load_preset
    from multideepnet.core import config_path, load_yaml
    claims = load_yaml(config_path("claims_v2.yaml"))
    claims["rules"]["guard"]["min"] = 0.0                  # a tiny study is near chance
    (root / "claims.yaml").write_text(yaml.safe_dump(claims))
    p = load_preset("claims")
    return p.updated(
        data={"source": "phantoms", "n": 30, "seed": 0, "difficulty": "easy", "matrix": 64, "dicom_fraction": 0},
        prep={**p.raw["prep"], "out_shape": [8, 16, 16]},
        trials={
            "k": "power",
            "max_k": 3,
            "steps": 12,
            "test_size": 9,
            "test_set": "shared",
            "seed_scope": "trial",
            "claims": str(root / "claims.yaml"),
            "arms": ["baseline", "multiview", "multitask", "full", "baseline_matched"],
            "regimes": {
                "both": {"pool": 30, "ratio": [1, 1, 1], "difficulty": "easy", "train_sizes": [18]},
                "where": {
                    "cue": "where",
                    "pool": 30,
                    "ratio": [1, 1, 1],
                    "difficulty": "easy",
                    "train_sizes": [18],
                    "arms": ["baseline", "multiview", "multitask"],
                },
            },
        },
    )
