"""The comparison across localities: funnel limits for estimates, the pooled estimate, the
minimum detectable effect, and the comparison's content on the demo.

Golden values are independent hand computations (given beside each test) of the published
formulas: Spiegelhalter (2005) normal funnel limits, the fixed-effect inverse-variance mean
(Borenstein et al. 2009, chapter 11) and Bloom's (1995) minimum detectable effect.
"""

from __future__ import annotations

import math
import re

import pytest

from evalkit import narrative
from evalkit.config import load_spec
from evalkit.impact.evidence import evidence_rating
from evalkit.impact.result import ImpactResult
from evalkit.intake import prepare
from evalkit.outcomes.funnel import estimate_limits, estimate_position, pooled_estimate
from evalkit.reports.comparison import compute_comparison, summary_sentences
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import compute_findings

TORBAY, LIVERPOOL, RUTLAND = "E06000027", "E08000012", "E06000017"


def test_pooled_estimate_is_the_inverse_variance_mean() -> None:
    # weights 1/se^2 = 1, 1, 0.25: mean (1 + 2 + 0.75) / 2.25 = 1.6667; SE 1/sqrt(2.25) = 0.6667
    theta, se = pooled_estimate([1.0, 2.0, 3.0], [1.0, 1.0, 2.0])
    assert theta == pytest.approx(3.75 / 2.25, abs=1e-12)
    assert se == pytest.approx(1 / 1.5, abs=1e-12)


def test_estimate_limits_are_target_plus_or_minus_z_se() -> None:
    # z(0.975) = 1.959964, z(0.999) = 3.090232 (standard normal quantiles)
    limits = estimate_limits(0.5, [0.1, 0.2]).set_index("se")
    assert limits.loc[0.1, "upper_0.95"] == pytest.approx(0.5 + 0.1959964, abs=1e-6)
    assert limits.loc[0.2, "lower_0.998"] == pytest.approx(0.5 - 0.6180464, abs=1e-6)
    assert estimate_position(0.85, 0.1, 0.5) == "above"  # 0.85 > 0.5 + 0.309
    assert estimate_position(0.75, 0.1, 0.5) == "within"  # inside 99.8%, outside 95%
    assert estimate_position(0.15, 0.1, 0.5) == "below"


def _result(se: float, scale: str = "difference", ci_level: float = 0.95) -> ImpactResult:
    return ImpactResult(
        estimate=1.0 if scale == "rate ratio" else 0.0,
        se=se,
        ci_low=-1,
        ci_high=1,
        p_value=1.0,
        n=100,
        method="test",
        evidence=evidence_rating("did", comparison_group=True, pre_periods=1),
        outcome="x",
        scale=scale,
        ci_level=ci_level,
    )


def test_minimum_detectable_effect_uses_blooms_multiplier() -> None:
    # Bloom (1995), Table 1: a two-tailed 5% test with 80% power has multiplier 2.80
    # (1.959964 + 0.841621 = 2.801585); with 90% power 3.24 (1.959964 + 1.281552).
    assert _result(1.0).minimum_detectable() == pytest.approx(2.801585, abs=1e-6)
    assert _result(0.5).minimum_detectable(power=0.9) == pytest.approx(0.5 * 3.241516, abs=1e-6)
    # a rate ratio's SE is on the log scale: exp(2.801585 * 0.05) = 1.150398
    assert _result(0.05, "rate ratio").minimum_detectable() == pytest.approx(
        math.exp(2.801585 * 0.05), abs=1e-6
    )


def test_tally_sentence_counts_each_verdict() -> None:
    text = narrative.tally_sentence("Wellbeing", ["better", "cannot tell", "better", "worse"])
    assert text == (
        "Wellbeing: the service made things better in 2 of the 4 localities where its impact "
        "could be estimated, worse in 1, and we cannot tell in 1."
    )
    assert "cannot tell" not in narrative.tally_sentence("X", ["better"])


@pytest.fixture(scope="module")
def comparison(demo_spec_path):
    spec = load_spec(demo_spec_path)
    prepare(spec)
    return compute_comparison(spec)


def test_every_figure_equals_the_localitys_own_report(comparison) -> None:
    """One source: the comparison's estimates are the localities' findings, figure for figure."""
    spec = comparison.spec
    for code in (TORBAY, LIVERPOOL):
        own = compute_findings(ReportContext(spec=spec, locality=code, period=""))
        mine = comparison.impacts[comparison.impacts["locality_code"] == code]
        assert set(mine["outcome"]) == {n for n, of in own.outcomes.items() if of.impact}
        for row in mine.itertuples():
            r = own.outcomes[row.outcome].impact
            scale = 100.0 if own.outcomes[row.outcome].outcome.kind == "binary" else 1.0
            assert row.estimate == pytest.approx(r.estimate * scale, rel=1e-12)
            assert (row.low, row.high) == pytest.approx((r.ci_low * scale, r.ci_high * scale))
        assert comparison.findings[code].cba.financial_roi == pytest.approx(
            own.cba.financial_roi, rel=1e-12
        )


def test_the_weak_locality_reads_weak_and_the_tiny_one_is_not_estimated(comparison) -> None:
    impacts = comparison.impacts.set_index(["locality_code", "outcome"])
    torbay = impacts.loc[TORBAY]
    liverpool = impacts.loc[LIVERPOOL]
    # Torbay's planted effect is a fraction of the others': most of its estimates cannot be told
    # from zero, and on wellbeing it sits below the programme's funnel limits.
    assert (torbay["verdict"] == "cannot tell").sum() >= 2
    assert torbay.loc["Wellbeing", "position"] == "below"
    assert (liverpool["verdict"] == "better").sum() >= 3
    assert RUTLAND not in comparison.impacts["locality_code"].tolist()
    sentences = summary_sentences(comparison)
    assert any("Torbay (below the others)" in s for s in sentences)
    assert any(s.startswith("Too few people") and "Rutland" in s for s in sentences)
    # the launch waves: a larger share of estimates better where the service started first
    wave = next(s for s in sentences if s.startswith("Where the service started first"))
    found = re.search(r"\), (\d+) of (\d+) estimates .* started later, (\d+) of (\d+) do", wave)
    b1, n1, b2, n2 = (int(x) for x in found.groups())
    assert b1 / n1 > b2 / n2


@pytest.mark.parametrize("n", [20, 23, 25, 48, 150, 152, 420, 1003])
def test_cost_per_person_never_narrows_the_published_count(n: int) -> None:
    """Spend / (cost per head, as printed) bounds the count a reader could work back; that range
    must cover the published count's own rounding (nearest 5 under NHS rules), so the unit cost
    adds nothing to what is published. Mid Devon's £84,770 over 25 people once read 'about
    £3,400', which pinned the count to 25 exactly."""
    import pandas as pd

    from evalkit.disclosure import protect_count
    from evalkit.reports.findings import Findings

    spend = 84_770.0 * n / 25
    f = Findings("x", "X", "nhs", n, 0, pd.DataFrame(), spend=spend)
    low, high = f.unit_costs()["person"]
    shown = protect_count(n, "nhs")
    if low == high:  # one figure, rounded: the counts it implies
        digits = len(f"{low:.0f}".rstrip("0"))
        step = 10 ** (len(f"{low:.0f}") - digits) / 2
        low, high = spend / (low + step), spend / (low - step)
        assert low <= shown - 2.5 and high >= shown + 2.5
    else:  # a range: spend over the ends of the published count's rounding interval
        assert (spend / high, spend / low) == pytest.approx((shown - 2.5, shown + 2.5))
        from evalkit.reports.sections.value import cost_phrase

        printed = [
            float(x.replace(",", "")) for x in re.findall(r"£([\d,]+)", cost_phrase(low, high))
        ]
        assert spend / printed[1] <= shown - 2.5 and spend / printed[0] >= shown + 2.5
