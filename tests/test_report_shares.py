"""Percentages beside published counts: from the published numbers, honest about rounding.

A user trial found a reach table giving 75% for a group whose true share was 59% (13 of 22
people, published as 15 of 20). Shares are worked out from the published (rounded) counts so
that they reveal nothing more than the counts; where rounding leaves more than
``SHARE_DOUBT`` points of doubt, the range the true share must lie in is shown instead.
"""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.disclosure import protect_count
from evalkit.reports.sections._html import SHARE_DOUBT, published_shares


def test_the_trial_case_gives_the_range_not_a_wrong_figure():
    # Pendle, age 35-49: 13 of 22 eligible (59%); NHS rounding publishes 15 and 20.
    # 15 stands for 13..17 and 20 for 18..22: the true share lies between 13/22 = 59.1%
    # (floor 59) and 17/18 = 94.4% (ceil 95). The other group: 9 of 22, published 10
    # (8..12): 8/22 = 36.4% (floor 36) to 12/18 = 66.7% (ceil 67).
    shown = published_shares(pd.Series([13, 9]), pd.Series([15, 10]), "nhs")
    assert shown == ["59\u201395", "36\u201367"]


def test_large_counts_give_one_figure():
    # 150 and 250 of 400: 148/402 = 36.8% to 152/398 = 38.2% (floor 36, ceil 39: 3 points
    # of doubt, within 4), so the published 150/400 = 37.5% is shown, rounded to 38.
    assert published_shares(pd.Series([150, 250]), pd.Series([150, 250]), "nhs") == ["38", "62"]


def test_suppressed_counts_keep_their_symbol_and_zero_is_zero():
    # 77 + 6 = 83, published 85 (83..87); 75 stands for 73..77: 73/87 = 83.9% to 77/83 = 92.8%
    shown = published_shares(pd.Series([77, 6, 0]), pd.Series([75, "*", 0]), "nhs")
    assert shown == ["83\u201393", "*", "0"]


def test_exact_policy_gives_exact_shares():
    # DfE publishes counts of 6 or more exactly: 13/22 = 59.1%
    assert published_shares(pd.Series([13, 9]), pd.Series([13, 9]), "dfe") == ["59", "41"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), min_size=2, max_size=6))
def test_the_true_share_is_always_inside_what_is_shown(counts):
    total = sum(counts)
    if total == 0:
        return
    published = pd.Series([protect_count(n, "nhs") for n in counts])
    for n, text in zip(counts, published_shares(pd.Series(counts), published, "nhs"), strict=True):
        true = 100 * n / total
        if text in ("*", ""):  # withheld with a suppressed count or total
            continue
        span = re.fullmatch(r"(\d+)\u2013(\d+)", text)
        if span:
            assert int(span[1]) <= true <= int(span[2])
        else:
            assert abs(float(text) - true) <= SHARE_DOUBT + 0.5
