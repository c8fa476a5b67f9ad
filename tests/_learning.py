"""Test data shared by the tests/test_learning_*.py files (not collected by pytest)."""

from __future__ import annotations

from typing import Any

KEY = "learning-tests-key-0123456789"


def reflection(**changes: Any) -> dict[str, Any]:
    """A valid HLS reflection as a dict; keyword arguments replace fields."""
    record = {
        "programme": "family-support",
        "learning_cycle": "E08000012-cycle-1",
        "locality": "E08000012",
        "period": "2024Q3",
        "system_scale": "team",
        "author": "Alex Morgan",
        "role": "frontline worker",
        "template": "hls",
        "what_we_tried": "We met parents at the school gate rather than in the office.",
        "what_happened": "More fathers came along to the first meeting.",
        "what_we_learned": "Where we meet people shapes who turns up.",
        "what_we_will_change": "We will book community venues for first meetings.",
        "confidence": "emerging",
        "consent": "yes",
        "sharing_scope": "programme",
        "status": "submitted",
    }
    record.update(changes)
    return record
