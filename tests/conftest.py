"""Shared fixtures: a pseudonymisation key for the test session and a demo project on disk."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# A test-only key (an environment variable, as a user would set one), never a real secret.
os.environ.setdefault("EVALKIT_PSEUDONYM_KEY", "evalkit-test-key-not-a-secret-0001")


def make_project(root: Path, seed: int = 2024) -> Path:
    """A project folder with the repository's notebooks and the demo data; returns the spec path."""
    from evalkit import demo

    shutil.copytree(REPO / "notebooks", root / "notebooks")
    return demo.write(root / "data" / "raw" / "demo", seed=seed)


@pytest.fixture(scope="session")
def demo_spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo project shared by the tests that only read it."""
    return make_project(tmp_path_factory.mktemp("demo-project"))


@pytest.fixture
def fresh_project(tmp_path: Path) -> Path:
    """A demo project of the test's own, to change or run; returns the spec path."""
    return make_project(tmp_path)
