"""Plain-English sentences from results, with words chosen by the numbers.

Rules the sentences keep:

- a confidence interval that includes no effect gives "we cannot tell whether ...", never a claim;
- a design at level 1 of the Maryland Scientific Methods Scale (before/after, no comparison) is
  described as change over time, never as something the service caused;
- standardised effect sizes are called negligible, small, small-to-moderate, moderate or large
  (after Cohen 1988; see :func:`evalkit.outcomes.magnitude`);
- counts too small to publish are given in words ("fewer than 8"), never exactly;
- money says its price year, and whether it is gross or net of what would have happened anyway.
"""

from __future__ import annotations

import math
from typing import Any

from evalkit.disclosure import get_policy, is_disclosive, protect_count
from evalkit.outcomes import magnitude

__all__ = [
    "change_sentence",
    "count_phrase",
    "evidence_words",
    "impact_sentence",
    "interval_phrase",
    "money",
    "size_word",
    "value_sentence",
]

_LEVEL_WORDS = {
    1: "a weak design: it compares before with after, with no comparison group, so it cannot "
    "separate the service's effect from change that would have happened anyway",
    2: "a moderate design: it adjusts for other influences but has no comparison group observed "
    "before and after",
    3: "a reasonably strong design: a comparison group observed before and after nets off change "
    "that would have happened anyway, though the groups may still differ in ways we cannot see",
    4: "a strong design: it uses quasi-random variation in who was served",
    5: "the strongest design: who was served was decided at random",
}


def target_verdict(row: Any) -> str:
    """Whether a share met its target, judged with its interval, not the point estimate alone:
    'met' (the whole interval is on the right side), 'not met' (the whole interval is on the
    wrong side), 'cannot tell yet' (the interval spans the target), or 'no target'."""
    target = getattr(row, "target", None)
    if target is None or (isinstance(target, float) and math.isnan(target)):
        return "no target"
    low, high = float(row.ci_low), float(row.ci_high)
    if getattr(row, "polarity", "higher_is_better") == "lower_is_better":
        low, high, target = -high, -low, -target
    if low >= target:
        return "met"
    if high < target:
        return "not met"
    return "cannot tell yet"


def in_sentence(name: str) -> str:
    """A name from the spec for the middle of a sentence: 'Stable housing' -> 'stable housing',
    while acronyms and names keep their capitals ('YP-CORE score', 'Known to CAMHS')."""

    def word(w: str) -> str:
        capitals = sum(c.isupper() for c in w)
        return w if capitals > 1 or (capitals == 1 and not w[:1].isupper()) else w.lower()

    return " ".join(word(w) for w in name.split(" "))


def size_word(d: float) -> str:
    """Negligible / small / small-to-moderate / moderate / large for a standardised effect."""
    return magnitude(d)


def joined(items: list[str], conjunction: str = "and") -> str:
    """A list in a sentence: 'a', 'a and b', 'a, b and c' (or with another conjunction)."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def count_phrase(n: int, policy: Any = "nhs") -> str:
    """A count as it may be published in a sentence: 'fewer than 8', 'about 420', or exact."""
    if is_disclosive(n, policy):
        return f"fewer than {get_policy(policy).high + 1}"
    shown = protect_count(n, policy)
    # "about" whenever the policy rounds: dropping it when the count happens to be a multiple
    # of the base would tell the reader the exact count
    rounds = get_policy(policy).rounding > 1 and n != 0
    return f"about {shown:,}" if rounds else f"{n:,}"


def _num(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def interval_phrase(
    low: float, high: float, *, digits: int = 1, unit: str = "", level: float = 0.95
) -> str:
    """'95% confidence interval 2.4 to 3.4 points'."""
    suffix = f" {unit}" if unit else ""
    return f"{level:.0%} confidence interval {_num(low, digits)} to {_num(high, digits)}{suffix}"


def change_sentence(
    what: str, before: float, after: float, *, unit: str = "points", digits: int = 1, who: str = ""
) -> str:
    """Change over time for the same people, never worded as an effect of the service."""
    diff = after - before
    verb = "rose" if diff > 0 else "fell" if diff < 0 else "stayed"
    amount = f" by {_num(abs(diff), digits)} {unit}" if diff else " the same"
    whom = f" for {who}" if who else ""
    return (
        f"{what[0].upper()}{what[1:]} {verb}{amount}{whom}, from {_num(before, digits)} to "
        f"{_num(after, digits)}. This is change over time, not an estimate of what the service caused."
    )


def evidence_words(level: int) -> str:
    """What a Maryland level means for the claim, in words."""
    return f"level {level} of 5 on the Maryland Scientific Methods Scale, {_LEVEL_WORDS[level]}"


def impact_sentence(
    result: Any,
    what: str,
    *,
    unit: str = "",
    digits: int = 1,
    scale: float = 1.0,
    evidence: bool = True,
    compared_with: str = "expected from the earlier trend",
) -> str:
    """The plain-English claim an impact result supports, and no more.

    ``result`` is an :class:`evalkit.impact.ImpactResult` (its ``crosses_no_effect`` decides
    "we cannot tell"). ``scale`` multiplies the numbers for display (100 turns a
    proportion into percentage points). ``evidence=False`` leaves out the sentence on the
    strength of the design (for a summary that states it once). ``compared_with`` says what
    a rate ratio compares with ("in the comparison areas" for a controlled time series).
    """
    level = int(result.evidence.level)
    ratio = result.scale == "rate ratio"
    est, lo, hi = (result.estimate, result.ci_low, result.ci_high)
    if level <= 1:
        return (
            f"{what[0].upper()}{what[1:]} changed by {_num(est * scale, digits)} {unit}, but this "
            "compares before with after only: it is not an estimate of what the service caused."
        ).replace("  ", " ")
    if ratio:
        figure = ratio_words(est)
        ci = f"{level_ci(result)} {ratio_range(lo, hi)}"
    else:
        direction = "raised" if est > 0 else "lowered"
        figure = f"{_num(abs(est) * scale, digits)} {unit}".strip()
        # a claim's interval is given in the claim's direction ("lowered ... by 26.1 points
        # (95% confidence interval 6.7 to 45.5 points)"); an interval that includes no change
        # keeps its signs, since it runs both ways
        if not result.crosses_no_effect and est < 0:
            lo, hi = -hi, -lo
        ci = interval_phrase(lo * scale, hi * scale, digits=digits, unit=unit)
        if unit.strip().lower() in POUNDS:
            figure = amount(abs(est) * scale, unit)
            ci = f"{level_ci(result)} {amount(lo * scale, unit)} to {amount(hi * scale, unit)}"
    strength = f" This rests on {evidence_words(level)}." if evidence else ""
    if result.crosses_no_effect:
        signed = figure if ratio else ("-" if est < 0 else "+") + figure
        return (
            f"We cannot tell whether the service changed {what}: the best estimate is "
            f"{'a change of ' + signed if not ratio else figure}, but the {ci} includes no "
            f"change.{strength}"
        )
    if ratio:
        claim = f"{what} was an estimated {figure} than {compared_with}"
    else:
        claim = f"the service is estimated to have {direction} {what} by {figure}"
    return f"{claim[0].upper()}{claim[1:]} ({ci}).{strength}"


def ratio_words(ratio: float, digits: int = 0) -> str:
    """A ratio as a change in words: 0.87 -> '13% lower', 1.2 -> '20% higher'."""
    return f"{abs(1 - ratio) * 100:.{digits}f}% {'lower' if ratio < 1 else 'higher'}"


def ratio_range(low: float, high: float, digits: int = 0) -> str:
    """A ratio's interval in the words of the estimate: '9% to 17% lower', '3% to 12%
    higher', or 'from 5% lower to 8% higher' when it includes no change."""

    def pct(r: float) -> str:
        return f"{abs(1 - r) * 100:.{digits}f}%"

    if high < 1:
        return f"{pct(high)} to {pct(low)} lower"
    if low > 1:
        return f"{pct(low)} to {pct(high)} higher"
    return f"from {pct(low)} lower to {pct(high)} higher"


def level_ci(result: Any) -> str:
    """'95% confidence interval' for the result's coverage."""
    return f"{getattr(result, 'ci_level', 0.95):.0%} confidence interval"


def money(amount: float, price_year: Any = None, *, digits: int = 0) -> str:
    """'£1,234 (2024 prices)'; negative amounts as '-£1,234'."""
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return "not available"
    sign = "-" if amount < 0 else ""
    text = f"{sign}£{abs(amount):,.{digits}f}"
    return f"{text} ({price_year} prices)" if price_year is not None else text


#: Units that mean pounds sterling: amounts are written £1,234 rather than 1,234 pounds.
POUNDS = frozenset({"£", "pounds", "gbp", "pounds sterling"})


def amount(value: float, unit: str = "", *, digits: int = 1, signed: bool = False) -> str:
    """A quantity with its unit: '+2.5 points', '-£469', '1,234.5 referrals'."""
    sign = (
        ("+" if value > 0 else "-" if value < 0 else "") if signed else ("-" if value < 0 else "")
    )
    if unit.strip().lower() in POUNDS:
        return f"{sign}£{abs(value):,.0f}"
    text = f"{sign}{abs(value):,.{digits}f}"
    return f"{text} {unit}".strip()


def payback_phrase(years: float | None, horizon: int) -> str:
    """When discounted savings to public budgets catch up with costs, in words: 'after 2.4
    years', 'within the first year' (year 0 already pays its way) or 'not within 10 years'."""
    if years is None:
        return f"not within {horizon} year" + ("" if horizon == 1 else "s")
    if years == 0:
        return "within the first year"
    return f"after {years:.1f} years"


def value_sentence(cba: Any, monte_carlo: Any | None = None) -> str:
    """The financial and public value returns, labelled gross or net, with the simulated range."""
    basis = {
        "gross": "GROSS: it includes what would have happened anyway, so it is not the impact",
        "net of a measured counterfactual": "net of what would have happened anyway, as the "
        "comparison measured it",
    }.get(cba.basis, "net of deadweight, the outcomes that would have happened anyway")
    text = (
        f"Each £1 spent is estimated to return £{cba.financial_roi:.2f} to public budgets "
        f"({cba.price_year} prices, discounted; {basis})"
    )
    if monte_carlo is not None:
        q = monte_carlo.samples["financial_roi"].quantile([0.05, 0.95])
        text += (
            f"; in simulations varying the uncertain assumptions, 90% of results lay between "
            f"£{q.iloc[0]:.2f} and £{q.iloc[1]:.2f}"
        )
    if f"{cba.public_value_roi:.2f}" != f"{cba.financial_roi:.2f}":
        text += (
            f". Counting wider economic and social value as well, the return is "
            f"£{cba.public_value_roi:.2f} per £1."
        )
    else:  # no wider value counted (or too little to show): one figure, said once
        text += "."
    if round(cba.financial_roi, 2) < 1:  # as printed: £1.00 never reads as falling short
        text += " The savings to public budgets do not cover the cost."
    return text


def tally_sentence(outcome: str, verdicts: list[str]) -> str:
    """One outcome across localities: 'Wellbeing: the service made things better in 9 of the 13
    localities where its impact could be estimated, and we cannot tell in 4.' ``verdicts``
    holds 'better', 'worse' or 'cannot tell' per locality."""
    better, worse = verdicts.count("better"), verdicts.count("worse")
    unclear = len(verdicts) - better - worse
    text = (
        f"{outcome}: the service made things better in {better} of the {len(verdicts)} "
        "localities where its impact could be estimated"
    )
    if worse:
        text += f", worse in {worse}"
    if unclear:
        text += f", and we cannot tell in {unclear}"
    return text + "."
