"""Example programmes with known true effects, written by ``evalkit demo``.

Each example is one spec among many: its data, its spec and its planted truths live here and
nowhere else in evalkit. ``family-support`` is an early-help programme in 14 English upper-tier
local authorities with a comparison group; see each module for what is planted.
"""

from __future__ import annotations

from evalkit.demo.family_support import (
    AREAS,
    DEFAULT_SEED,
    PROGRAMME,
    DemoData,
    generate,
    load_demo_reflections,
    write,
)

__all__ = [
    "AREAS",
    "DEFAULT_SEED",
    "PROGRAMME",
    "DemoData",
    "generate",
    "load_demo_reflections",
    "write",
]
