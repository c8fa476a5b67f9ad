"""Shared fixtures: a pseudonymisation key for the test session and a demo project on disk."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: A test-only pseudonymisation key, never a real secret.
TEST_KEY = "evalkit-test-key-not-a-secret-0001"


@pytest.fixture(scope="session", autouse=True)
def pseudonym_key() -> Iterator[str]:
    """The test key in ``EVALKIT_PSEUDONYM_KEY`` (as a user would set one) for the session.

    Set with a MonkeyPatch (undone at the end), not at import, and always the test key: a key or
    key file in the developer's own environment does not change what the tests see. A test that
    needs no key, or another one, changes it with its own ``monkeypatch``.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVALKIT_PSEUDONYM_KEY", TEST_KEY)
        mp.delenv("EVALKIT_KEY_FILE", raising=False)
        yield TEST_KEY


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
