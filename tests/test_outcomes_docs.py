"""The examples in the outcomes docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["binary", "effect_sizes", "reliable_change", "wellbeing"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    # import by path: the package re-exports functions that share some module names
    module = importlib.import_module(f"evalkit.outcomes.{name}")
    failures, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0
