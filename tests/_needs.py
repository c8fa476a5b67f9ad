"""What a test needs from the machine: a skip with its reason locally, a failure in CI.

A test that needs Chromium, Playwright, PostgreSQL, Voila or a tmpfs mount calls :func:`need` (or
:func:`need_import`) instead of ``pytest.skip``. On a developer's machine a missing piece skips
the test, saying why; under ``CI=true`` (set by ``.ci/run``) it fails it, so CI cannot pass
without having run the browser, database and full-disk tests.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

__all__ = ["in_ci", "need", "need_import"]


def in_ci() -> bool:
    """Whether the tests run in CI (the environment variable ``CI`` is ``true``)."""
    return os.environ.get("CI", "").lower() == "true"


def need(condition: object, reason: str) -> None:
    """Go on when ``condition`` holds; otherwise skip the test saying ``reason`` (fail in CI)."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"CI=true, so this is a failure, not a skip: {reason}", pytrace=False)
    pytest.skip(reason)


def need_import(module: str, reason: str) -> ModuleType:
    """The module ``module``, imported; when it is missing, :func:`need` fails or skips."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        missing = str(err)
    need(False, f"{reason} ({missing})")
    raise AssertionError("unreachable: need() skips or fails")
