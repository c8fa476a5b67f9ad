"""Example programmes with known true effects, written by ``evalkit demo``.

Each example is one spec among many: its data, its spec and its planted truths live here and
nowhere else in evalkit. ``family-support`` is an early-help programme in 14 English upper-tier
local authorities with a comparison group; ``homelessness-prevention`` is a service in four
English district councils with a staggered launch, exported as a provider's own workbook. See each
module for what is planted; :data:`EXAMPLES` maps each example's name to its module.
"""

from __future__ import annotations

from types import ModuleType

from evalkit.demo import family_support, homelessness_prevention
from evalkit.demo.family_support import (
    AREAS,
    DEFAULT_SEED,
    PROGRAMME,
    DemoData,
    generate,
    load_demo_reflections,
    write,
)

#: Example programmes by name: each module has PROGRAMME, generate(seed=...) and write(directory,
#: seed=...) -> the path of the spec it wrote.
EXAMPLES: dict[str, ModuleType] = {
    family_support.PROGRAMME: family_support,
    homelessness_prevention.PROGRAMME: homelessness_prevention,
}

__all__ = [
    "AREAS",
    "DEFAULT_SEED",
    "EXAMPLES",
    "PROGRAMME",
    "DemoData",
    "generate",
    "load_demo_reflections",
    "write",
]
