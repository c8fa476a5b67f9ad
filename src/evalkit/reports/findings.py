"""The analysis behind one locality's report, computed once and rendered by the sections.

:func:`compute_findings` follows the programme's evaluation plan: for each outcome the spec
declares it measures change for the people served and estimates impact by the strongest design
that the plan and the data allow (Maryland Scientific Methods Scale):

- people or readings outcomes: a comparison group of eligible people not served, before and
  after (difference-in-differences, level 3); a matched comparison on named covariates (level 2);
  otherwise change over time for the people served (level 1: change, never impact);
- series outcomes: the locality's series against never-treated comparison areas (controlled
  interrupted time series, level 3); the series' own pre-launch trend (interrupted time series,
  level 2).

Each planned design that could not be used is kept with the reason, so the report can name it.
The report's sections and its plain-English summary read from the same :class:`Findings`, so a
number in the summary is always the number in the table.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pandas as pd

from evalkit import narrative
from evalkit.config import OutcomeSpec
from evalkit.config.plan import DESIGN_LEVELS, PERSON_DESIGNS, SERIES_DESIGNS
from evalkit.disclosure import get_policy, is_disclosive, protect_count
from evalkit.exceptions import EvalkitError, EvidenceWarning, StatisticalWarning
from evalkit.reports.context import ReportContext

__all__ = [
    "MIN_FOR_ESTIMATES",
    "BenefitSource",
    "DesignNote",
    "Findings",
    "OutcomeFindings",
    "compute_findings",
    "locality_cba_spec",
    "outcome_findings",
    "reach_table",
    "too_few_to_estimate",
]

#: Fewer people than this in a group and evalkit does not estimate effects for the locality.
MIN_FOR_ESTIMATES = 20
#: Harmonic period of a series by its frequency (None: no seasonality within a year).
SEASON = {"month": 12, "quarter": 4, "year": None}


@dataclasses.dataclass(frozen=True)
class DesignNote:
    """A design the plan allows that was not used for an outcome, and why."""

    design: str
    level: int
    reason: str


@dataclasses.dataclass(frozen=True)
class OutcomeFindings:
    """What the report says about one outcome of the plan.

    ``indicator`` (binary outcomes) is the row of :func:`evalkit.outcomes.indicator_results`;
    ``change`` is a :class:`~evalkit.outcomes.MeanResult` (numbers) or a
    :class:`~evalkit.outcomes.PairedBinaryResult` (yes/no) for the people served, before and
    after; ``level`` the mean after when there is no before; ``impact`` the estimate of the
    design used (``design``), an :class:`~evalkit.impact.ImpactResult`; ``series`` the
    :class:`~evalkit.impact.ITSResult` behind it for series outcomes. ``caveats`` are plain
    sentences for the reader about whom the estimate describes (e.g. served people left out of a
    matched comparison because no one comparable was in the comparison group).
    """

    outcome: OutcomeSpec
    source_kind: str
    n: int
    design: str = "before_after"
    indicator: pd.Series | None = None
    change: Any = None
    level: Any = None
    effect_size: Any = None
    reliable: Any = None
    distance: Any = None
    impact: Any = None
    series: Any = None
    pairs: pd.DataFrame | None = None
    not_used: tuple[DesignNote, ...] = ()
    notes: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.outcome.name

    @property
    def evidence_level(self) -> int:
        """The Maryland level of what the report can say about this outcome."""
        return int(self.impact.evidence.level) if self.impact is not None else 1


@dataclasses.dataclass(frozen=True)
class Findings:
    """Everything the report says about one locality."""

    locality: str
    locality_name: str
    policy: Any
    n_served: int
    n_comparison: int
    reach: pd.DataFrame
    eligible_source: str = "none"
    launch: Any = None
    outcomes: dict[str, OutcomeFindings] = dataclasses.field(default_factory=dict)
    cba: Any = None  # CostBenefitResult
    monte_carlo: Any = None  # MonteCarloResult
    tornado: pd.DataFrame | None = None
    switching: pd.DataFrame | None = None
    cba_spec: dict[str, Any] | None = None
    benefits: tuple[BenefitSource, ...] = ()
    notes: tuple[str, ...] = ()
    n_households: int | None = None
    #: The locality's recorded spending (its rows of the costs source, the cost-benefit
    #: model's costs), with or without a cost-benefit section; None when the plan has no costs
    #: source or it has no rows here.
    spend: float | None = None
    #: The price year of the spending, where the plan gives one (``cost_benefit.price_year``).
    spend_price_year: int | None = None

    def unit_costs(self) -> dict[str, tuple[float, float]]:
        """Spending per person served and per household, as (low, high), over published counts.

        A reader who knows the spend and a cost per head can work back the count (spend / cost);
        that must never narrow the published count's own rounding interval (the count ± half
        the rounding base). So the cost per head over the published count is rounded to two
        significant figures and given as one figure (low == high) where the counts it implies
        cover that whole interval; where they do not, it is the range of spend over the
        interval's ends, which says no more than the published count. A suppressed count gives
        no unit cost.
        """
        if self.spend is None:
            return {}
        half = get_policy(self.policy).rounding / 2
        out = {}
        for unit, n in (("person", self.n_served), ("household", self.n_households)):
            if not n or is_disclosive(n, self.policy):
                continue
            shown = protect_count(n, self.policy)
            out[unit] = (self.spend / (shown + half), self.spend / max(shown - half, 0.5))
            if half < 1:
                out[unit] = (self.spend / shown,) * 2
                continue
            per = float(f"{self.spend / shown:.2g}")
            step = 10 ** (np.floor(np.log10(per)) - 1) / 2  # half a unit of the second figure
            low, high = self.spend / (per + step), self.spend / max(per - step, 1e-9)
            if low <= shown - half and high >= shown + half:
                out[unit] = (per, per)
        return out

    @property
    def value_measured(self) -> bool:
        """Whether every benefit of the cost-benefit model comes from a measured impact."""
        return bool(self.benefits) and all(b.measured for b in self.benefits)

    @property
    def suppressed(self) -> bool:
        """Whether the number served is itself too small to publish."""
        return is_disclosive(self.n_served, self.policy)

    @property
    def too_few(self) -> bool:
        """Whether there are too few people to estimate effects (see :func:`too_few_to_estimate`)."""
        return too_few_to_estimate(self.n_served, self.policy)


def too_few_to_estimate(n: int, policy: Any) -> bool:
    """Whether ``n`` people served are too few to estimate changes or effects from.

    Judged on the count as published (fewer than :data:`MIN_FOR_ESTIMATES`, or suppressed), so
    that the judgement says nothing the published count does not: 19 people, published as
    "about 20", are not said to be "fewer than 20".
    """
    shown = protect_count(n, policy)
    return not isinstance(shown, int) or shown < MIN_FOR_ESTIMATES


# -- who was reached ----------------------------------------------------------------------


def _categories(values: pd.Series, declared: list[str] | None) -> list[str]:
    found = sorted(str(v) for v in values.dropna().unique())
    order = list(declared or [])
    return order + [v for v in found if v not in order]


def reach_table(ctx: ReportContext, people: pd.DataFrame) -> pd.DataFrame:
    """People served (and eligible, where the plan says who was) by each characteristic.

    Columns ``subgroup``, ``group`` (the category), ``served``, ``eligible`` (missing when the
    plan has no eligible population), ``share_served`` and ``share_eligible``. People whose
    characteristic was not recorded are counted as "Not recorded".
    """
    spec = ctx.spec
    source = spec.eligible_population.source
    served_people = people[people["group"] == "participant"]
    eligible_file = ctx.table("eligible") if source == "file" else None
    rows = []
    for c in spec.characteristics:
        declared = c.band_labels() if c.bands is not None else c.categories
        column = people[c.column].astype("string")
        served = served_people[c.column].astype("string").fillna("Not recorded").value_counts()
        if source == "comparison_group":
            eligible = column.fillna("Not recorded").value_counts()
        elif eligible_file is not None and not eligible_file.empty:
            mine = eligible_file[eligible_file["characteristic"] == c.name]
            eligible = mine.groupby("category")["count"].sum()
        else:
            eligible = None
        labels = _categories(column.fillna("Not recorded"), declared)
        if eligible is not None:
            labels += [str(v) for v in eligible.index if str(v) not in labels]
        for label in labels:
            n_served = int(served.get(label, 0))
            n_eligible = None if eligible is None else int(eligible.get(label, 0))
            if n_served == 0 and not n_eligible and label == "Not recorded":
                continue
            rows.append((c.name, label, n_served, n_eligible))
    frame = pd.DataFrame(rows, columns=["subgroup", "group", "served", "eligible"])
    if frame.empty:
        return frame.assign(share_served=[], share_eligible=[])
    frame["eligible"] = pd.array(frame["eligible"], dtype="Int64")
    totals = frame.groupby("subgroup")[["served", "eligible"]].transform("sum")
    frame["share_served"] = frame["served"] / totals["served"].where(totals["served"] > 0)
    frame["share_eligible"] = frame["eligible"].astype(float) / totals["eligible"].astype(
        float
    ).where(lambda t: t > 0)
    return frame


# -- value for money ------------------------------------------------------------------------


def _financial_year(dates: pd.Series) -> pd.Series:
    """The financial year (April to March) of each date, by its starting calendar year."""
    return dates.dt.year - (dates.dt.month < 4).astype(int)


def locality_cba_spec(ctx: ReportContext, participants: pd.DataFrame) -> dict[str, Any] | None:
    """The programme's cost-benefit spec with this locality's cohorts and costs put in.

    Cohorts are the participants by financial year of starting; costs are the locality's
    recorded costs by financial year (already in the spec's price year); year 0 is the first
    financial year with costs. Everything else (success rates, deadweight, values) is the
    programme's assumption from the spec.
    """
    if ctx.spec.cost_benefit is None:
        return None
    costs_source = ctx.spec.source_of("costs")
    costs = ctx.table(costs_source) if costs_source else pd.DataFrame()
    if costs.empty:
        return None
    base = ctx.spec.cost_benefit.model_dump(exclude_none=True)
    first = int(costs["financial_year"].str[:4].astype(int).min())
    start_fy = _financial_year(pd.to_datetime(participants["start_date"]))
    cohorts = [
        {"year": int(fy - first), "size": int(n)}
        for fy, n in start_fy.value_counts().sort_index().items()
        if fy >= first
    ]
    template = base.get("costs", [{}])[0]
    items = costs["item"] if "item" in costs else pd.Series("spending", index=costs.index)
    cost_lines = [
        {
            "name": f"{item} {fy}",
            "year": int(str(fy)[:4]) - first,
            "amount": float(amount),
            # Recorded spending is what was spent: optimism bias belongs to forecasts.
            "optimism_bias": 0.0,
            **({"agency": template["agency"]} if "agency" in template else {}),
        }
        for item, fy, amount in zip(items, costs["financial_year"], costs["amount"], strict=True)
    ]
    if not cohorts or not cost_lines:
        return None
    spec = dict(base, cohorts=cohorts, costs=cost_lines)
    last_year = max(c["year"] for c in cohorts)
    longest = max(o.get("lag_years", 0) + o.get("duration_years", 1) for o in base["outcomes"])
    spec["horizon_years"] = max(int(base.get("horizon_years", 10)), last_year + longest + 1)
    return spec


@dataclasses.dataclass(frozen=True)
class BenefitSource:
    """Where a cost-benefit outcome's successes come from: the measured impact or assumptions.

    ``rate`` is the successes per person engaged the model uses, ``low`` and ``high`` the range
    the Monte Carlo and the tornado draw from (the impact's 95% interval when measured).
    """

    outcome: str
    measured: bool
    rate: float
    low: float | None = None
    high: float | None = None
    measured_by: str | None = None
    design: str | None = None
    level: int | None = None
    crosses_no_effect: bool = False
    reason: str = ""


def _from_impact(
    cba: dict[str, Any], outcomes: dict[str, OutcomeFindings], plan: dict[str, OutcomeSpec]
) -> BenefitSource:
    """The successes of one cost-benefit outcome: the measured impact where there is one."""
    name, link = cba["name"], cba.get("measured_by")
    assumed = cba["success_rate"] * (1 - cba["deadweight"])
    if link is None:
        return BenefitSource(name, False, assumed, reason="no outcome of the plan measures it")
    found = outcomes.get(link)
    if found is None or found.impact is None or found.impact.scale != "difference":
        why = "" if found is None else "; ".join(n.reason for n in found.not_used)
        return BenefitSource(
            name,
            False,
            assumed,
            measured_by=link,
            reason=f"no estimate of impact on {narrative.in_sentence(link)}"
            + (f" ({why})" if why else ""),
        )
    sign = 1.0 if plan[link].higher_is_better else -1.0
    r = found.impact
    low, high = sorted((sign * r.ci_low, sign * r.ci_high))
    clip = lambda v: float(min(1.0, max(0.0, v)))  # noqa: E731
    return BenefitSource(
        name,
        True,
        clip(sign * r.estimate),
        clip(low),
        clip(high),
        measured_by=link,
        design=found.design,
        level=int(r.evidence.level),
        crosses_no_effect=bool(r.crosses_no_effect),
    )


def _value_for_money(
    ctx: ReportContext, participants: pd.DataFrame, outcomes: dict[str, OutcomeFindings]
) -> dict[str, Any]:
    """The cost-benefit model with this locality's costs and cohorts, and successes from the
    measured impact wherever the plan links an outcome to one (net of what would have
    happened anyway, so with no deadweight or optimism bias on top); assumed rates elsewhere."""
    from scipy import stats

    from evalkit.econ import CostBenefitModel, monte_carlo, one_way, switching_values

    spec = locality_cba_spec(ctx, participants)
    if spec is None:
        return {}
    plan = {o.name: o for o in ctx.spec.outcomes}
    sources = [_from_impact(o, outcomes, plan) for o in spec["outcomes"]]
    ranges = dict(ctx.spec.sensitivity.ranges)
    for o, source in zip(spec["outcomes"], sources, strict=True):
        if source.measured:
            o.update(success_rate=source.rate, deadweight=0.0, optimism_bias=0.0)
            o.pop("confidence_grade", None)
            for key in ("success_rate", "deadweight", "optimism_bias"):
                ranges.pop(f"{o['name']}.{key}", None)
            if source.low is not None and source.high is not None and source.low < source.high:
                ranges[f"{o['name']}.success_rate"] = (source.low, source.high)
        else:
            o.pop("measured_by", None)  # named, but no measured impact: the assumption stands
    model = CostBenefitModel.from_dict(spec)
    out: dict[str, Any] = {"cba_spec": spec, "cba": model.appraise(), "benefits": tuple(sources)}
    known = model.parameters()
    ranges = {k: v for k, v in ranges.items() if k in known}
    if ranges:
        out["tornado"] = one_way(model, ranges, metric="financial_roi")
        out["switching"] = switching_values(model, list(ranges), metric="financial_roi")
        draws = {k: stats.uniform(lo, hi - lo) for k, (lo, hi) in ranges.items()}
        out["monte_carlo"] = monte_carlo(
            model, draws, n=ctx.spec.sensitivity.draws, seed=ctx.spec.sensitivity.seed
        )
    return out


# -- one outcome ----------------------------------------------------------------------------


def _attempt(notes: list[str], what: str, func, *args, **kwargs) -> Any:
    """Run one estimator; on bad or degenerate data keep a note instead of failing the report."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (StatisticalWarning, EvidenceWarning))
            return func(*args, **kwargs)
    except EvalkitError as exc:
        notes.append(f"{what} could not be estimated: {exc}")
        return None


def plain_reason(note: str, characteristics: list[str] | None = None) -> str:
    """Why an estimator failed, in words for the reader (the technical note stays in Methods).

    ``characteristics`` are the matching characteristics in words (see :func:`covariate_words`):
    when given, a matching failure names them.
    """
    text = note.lower()
    if any(w in text for w in ("separation", "caliper", "overlap", "common support")):
        if characteristics:
            return (
                "too few people in the comparison group are like those served on "
                + narrative.joined(characteristics)
            )
        return (
            "the people served and those not served differ too much on the matching "
            "characteristics to be compared like with like"
        )
    if "period" in text and ("before" in text or "after" in text):
        return "there are too few periods before or after the launch to see a change of course"
    if "variation" in text or "constant" in text:
        return "the figures do not vary enough to estimate a change"
    return "the data did not allow this estimate (the technical reason is under Methods)"


def covariate_words(ctx: ReportContext, column: str) -> str:
    """A matching covariate in words: its characteristic's name where the plan names the column,
    "their reading before the service" for the reading before, else the column's name."""
    if column == "before":
        return "their reading before the service"
    for c in ctx.spec.characteristics:
        if c.column == column:
            return narrative.in_sentence(c.name)
    return column


def support_words(ctx: ReportContext, result: Any) -> str:
    """The sentence saying which served people a matched comparison left out for common support
    (categories with no comparison person), or "" when it left none out. No counts: a small
    number of people left out would be disclosive."""
    off = getattr(result, "off_support", None)
    if not off:
        return ""
    who = []
    for column, labels in off.items():
        quoted = narrative.joined([f"'{label}'" for label in labels], "or")
        if column == "before":
            who.append(f"whose reading before the service was {quoted}")
        else:
            who.append(f"whose {covariate_words(ctx, column)} is {quoted}")
    return (
        f"Served people {', or '.join(who)} had no one comparable in the comparison group, so "
        "the matched comparison leaves them out."
    )


def _planned(ctx: ReportContext, o: OutcomeSpec, candidates: tuple[str, ...]) -> list[str]:
    """The designs the plan allows for ``o``, strongest first."""
    allowed = ctx.spec.designs.enabled()
    chosen = [x for x in candidates if allowed[x] and (o.designs is None or x in o.designs)]
    return sorted(chosen, key=lambda x: -DESIGN_LEVELS[x])


def _select(readings: pd.DataFrame, which: str, column: str) -> pd.Series:
    """Each person's reading on the ``first``, ``last`` or named occasion, by person."""
    have = readings.dropna(subset=[column])
    order = [c for c in ("date", "occasion") if c in have.columns]
    have = have.sort_values(order, kind="stable")
    if which in ("first", "last"):
        picked = have.groupby("person_id")[column].agg(which)
    else:
        named = have[have["occasion"].astype(str).str.strip().str.casefold() == which.casefold()]
        picked = named.groupby("person_id")[column].last()
    return picked.astype(float)


def _pairs(ctx: ReportContext, o: OutcomeSpec, people: pd.DataFrame) -> pd.DataFrame:
    """One row per person: ``person_id``, ``group``, ``before`` (may be all missing), ``after``."""
    source = ctx.spec.outcome_source(o)
    keys = ["person_id", "group", *(["household_id"] if "household_id" in people else [])]
    base = people[keys].drop_duplicates("person_id").set_index("person_id")
    if ctx.spec.sources[source].kind == "people":
        frame = people.set_index("person_id")
        before = frame[o.before].astype(float) if o.before else np.nan
        out = base.assign(before=before, after=frame[o.after].astype(float))
    else:
        readings = ctx.table(source)
        column = str(o.column)
        first, last = o.before or "first", o.after or "last"
        out = base.assign(
            before=_select(readings, first, column) if first != last else np.nan,
            after=_select(readings, last, column),
        )
    return out.reset_index()


def _change(o: OutcomeSpec, served: pd.DataFrame, notes: list[str]) -> dict[str, Any]:
    from evalkit.outcomes import (
        Indicator,
        effect_size,
        indicator_results,
        mean_change,
        mean_level,
        paired_binary,
    )

    label = narrative.in_sentence(o.name)
    has_before = served["before"].notna().any()
    out: dict[str, Any] = {}
    if o.kind == "binary":
        indicator = Indicator(
            name=o.name,
            definition=o.definition,
            column="after",
            baseline_column="before" if has_before else None,
            polarity=o.polarity,
            target=o.target,
        )
        table = _attempt(notes, o.name, indicator_results, served, [indicator])
        out["indicator"] = None if table is None else table.iloc[0]
        if has_before:
            both = served.dropna(subset=["before", "after"])
            out["change"] = _attempt(notes, o.name, paired_binary, both["before"], both["after"])
        return out
    if has_before:
        both = served.dropna(subset=["before", "after"])
        out["change"] = _attempt(
            notes, o.name, mean_change, both["before"], both["after"], outcome=label
        )
        out["effect_size"] = _attempt(
            notes, o.name, effect_size, both["before"], both["after"], kind="d_z", outcome=label
        )
    else:
        out["level"] = _attempt(notes, o.name, mean_level, served["after"], outcome=label)
    return out


def _reliable(o: OutcomeSpec, pairs: pd.DataFrame, served: pd.DataFrame, notes: list[str]):
    from evalkit.outcomes import reliable_change

    if o.kind != "scale" or o.reliability is None or not served["before"].notna().any():
        return None
    both = served.dropna(subset=["before", "after"])
    sd = o.norm_sd or float(pairs["before"].std())
    return _attempt(
        notes,
        f"Reliable change in {narrative.in_sentence(o.name)}",
        reliable_change,
        both["before"],
        both["after"],
        sd=sd,
        reliability=o.reliability,
        higher_is_better=o.higher_is_better,
        cutoff=o.cutoff,
    )


def _person_impact(
    ctx: ReportContext, o: OutcomeSpec, pairs: pd.DataFrame, people: pd.DataFrame
) -> tuple[str, Any, list[DesignNote], list[str]]:
    from evalkit.impact import did, match, stack_pre_post

    label = narrative.in_sentence(o.name)
    not_used: list[DesignNote] = []
    notes: list[str] = []
    comparison = pairs[pairs["group"] == "comparison"]
    for design in _planned(ctx, o, PERSON_DESIGNS):
        level = DESIGN_LEVELS[design]
        characteristics: list[str] | None = None  # named by a failed matching
        if design == "before_after":
            return design, None, not_used, notes
        n_comp = int(comparison["after"].notna().sum())
        reason = ""
        if n_comp < MIN_FOR_ESTIMATES:
            reason = (
                f"fewer than {MIN_FOR_ESTIMATES} people in the comparison group here have a reading"
            )
        elif design == "comparison_group" and not pairs["before"].notna().any():
            reason = "there is no reading from before the service"
        if reason:
            not_used.append(DesignNote(design, level, reason))
            continue
        before = len(notes)
        if design == "comparison_group":
            panel = stack_pre_post(pairs, "before", "after", outcome=label)
            # Errors clustered at the highest level at which outcomes are shared: the household
            # (or family) where the data have one, else the person seen twice.
            cluster = "person_id"
            if "household_id" in pairs and pairs["household_id"].notna().all():
                households = pairs.set_index("person_id")["household_id"]
                panel = panel.assign(household_id=panel["person_id"].map(households))
                cluster = "household_id"
            result = _attempt(notes, o.name, did, panel, label, "treated", "post", cluster=cluster)
        else:
            matching = ctx.spec.designs.matching
            covariates = list(matching.covariates)  # type: ignore[union-attr]
            frame = pairs.merge(
                people[["person_id", *covariates]].drop_duplicates("person_id"), on="person_id"
            ).dropna(subset=["after", *covariates])
            frame = frame.assign(treated=(frame["group"] == "participant").astype(int))
            if frame["before"].notna().any():
                # Match on the reading before the service too: people who started worse off
                # are compared with people who started worse off.
                frame = frame.dropna(subset=["before"])
                covariates = [*covariates, "before"]
            characteristics = [covariate_words(ctx, c) for c in covariates]
            result = _attempt(
                notes,
                o.name,
                match,
                frame,
                "treated",
                covariates,
                "after",
                caliper=matching.caliper,  # type: ignore[union-attr]
            )
        if result is not None:
            return design, result, not_used, notes
        not_used.append(DesignNote(design, level, plain_reason(notes[before], characteristics)))
    return "before_after", None, not_used, notes


def _series_frame(ctx: ReportContext, o: OutcomeSpec, codes: list[str]) -> pd.DataFrame:
    """Counts (and populations) per period, summed over ``codes``, with a rate column."""
    source = ctx.spec.outcome_source(o)
    frames = [ctx.table(source, code) for code in codes]
    data = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    if data.empty:
        return data
    columns = [str(o.after)] + ([o.population] if o.population else [])
    summed = data.groupby("period")[columns].sum(min_count=1).astype(float).sort_index()
    rate = summed[str(o.after)]
    if o.population:
        rate = rate / summed[o.population] * o.per
    return summed.assign(rate=rate).reset_index()


def _series_impact(ctx: ReportContext, o: OutcomeSpec) -> dict[str, Any]:
    from evalkit.impact import controlled_its, its

    notes: list[str] = []
    not_used: list[DesignNote] = []
    launch = ctx.spec.launches.get(ctx.locality)
    mine = _series_frame(ctx, o, [ctx.locality])
    out: dict[str, Any] = {"n": len(mine)}
    planned = _planned(ctx, o, SERIES_DESIGNS)
    if mine.empty or launch is None:
        reason = "no series for this locality" if mine.empty else "no launch date in the plan"
        not_used += [DesignNote(d, DESIGN_LEVELS[d], reason) for d in planned]
        return out | {"not_used": tuple(not_used), "notes": tuple(notes)}
    mine = mine.assign(time=np.arange(len(mine), dtype=float))
    after = mine["period"] >= pd.Timestamp(launch)
    start = float(mine.loc[after, "time"].min()) if after.any() else float(len(mine))
    freq = ctx.spec.sources[ctx.spec.outcome_source(o)].frequency or "year"
    period = SEASON[freq]
    seasonal = 1 if (ctx.spec.designs.seasonality and period) else 0
    for design in planned:
        before = len(notes)
        if design == "never_treated":
            control = _series_frame(ctx, o, list(ctx.spec.comparison_localities))
            if control.empty:
                not_used.append(DesignNote(design, 3, "no series for the comparison areas"))
                continue
            both = mine.merge(
                control[["period", "rate"]].rename(columns={"rate": "control"}), on="period"
            )
            result = _attempt(
                notes,
                o.name,
                controlled_its,
                both,
                "rate",
                "control",
                "time",
                start,
                seasonality=seasonal,
                period=period or 1,
            )
        else:
            result = _attempt(
                notes,
                o.name,
                its,
                mine.assign(count=mine[str(o.after)]),
                "count",
                "time",
                start,
                family="quasipoisson",
                offset=o.population,
                seasonality=seasonal,
                period=period or 1,
            )
        if result is not None:
            return out | {
                "design": design,
                "series": result,
                "impact": result.level_change,
                "pairs": mine,
                "not_used": tuple(not_used),
                "notes": tuple(notes),
            }
        not_used.append(DesignNote(design, DESIGN_LEVELS[design], plain_reason(notes[before])))
    return out | {"pairs": mine, "not_used": tuple(not_used), "notes": tuple(notes)}


def outcome_findings(ctx: ReportContext, o: OutcomeSpec, people: pd.DataFrame) -> OutcomeFindings:
    """What the report says about one outcome of the plan for ``ctx``'s locality."""
    from evalkit.outcomes import distance_travelled

    kind = ctx.spec.outcome_kind(o)
    if kind == "series":
        found = _series_impact(ctx, o)
        return OutcomeFindings(outcome=o, source_kind=kind, **found)
    notes: list[str] = []
    if o.areas:
        readings = ctx.table(ctx.spec.outcome_source(o))
        served_ids = set(people.loc[people["group"] == "participant", "person_id"])
        mine = readings[readings["person_id"].isin(served_ids)]
        result = _attempt(
            notes,
            o.name,
            distance_travelled,
            mine,
            areas=o.areas,
            person="person_id",
            date="date",
            order=None,
            scale=o.range,
        )
        n = 0 if result is None else int(result.n_people)
        return OutcomeFindings(o, kind, n, distance=result, notes=tuple(notes))
    pairs = _pairs(ctx, o, people)
    served = pairs[pairs["group"] == "participant"]
    found = _change(o, served, notes)
    reliable = _reliable(o, pairs, served, notes)
    design, impact, not_used, more = _person_impact(ctx, o, pairs, people)
    caveats = support_words(ctx, impact) if design == "matching" else ""
    return OutcomeFindings(
        outcome=o,
        source_kind=kind,
        n=int(served["after"].notna().sum()),
        design=design,
        reliable=reliable,
        impact=impact,
        pairs=pairs,
        not_used=tuple(not_used),
        notes=tuple(notes + more),
        caveats=(caveats,) if caveats else (),
        **found,
    )


def compute_findings(ctx: ReportContext) -> Findings:
    """Compute everything the report shows for ``ctx``'s locality, outcome by outcome."""
    people = ctx.table(ctx.spec.people_source)
    participants = people[people["group"] == "participant"]
    n_served = len(participants)
    n_comparison = int((people["group"] == "comparison").sum())
    notes: list[str] = []
    found: dict[str, Any] = {"reach": reach_table(ctx, people)}
    policy = ctx.disclosure_policy
    outcomes: dict[str, OutcomeFindings] = {}
    if too_few_to_estimate(n_served, policy):
        limit = get_policy(policy).high
        notes.append(
            f"Fewer than {MIN_FOR_ESTIMATES} people used the service here, so evalkit does not "
            "estimate changes or effects for this locality"
            + (
                f"; counts of {limit} or fewer are suppressed to protect privacy."
                if is_disclosive(n_served, policy)
                else "."
            )
        )
    else:
        for o in ctx.spec.outcomes:
            outcomes[o.name] = outcome_findings(ctx, o, people)
        found.update(
            _attempt(notes, "Value for money", _value_for_money, ctx, participants, outcomes) or {}
        )
    costs_source = ctx.spec.source_of("costs")
    costs = ctx.table(costs_source) if costs_source else pd.DataFrame()
    if not costs.empty:
        found["spend"] = float(pd.to_numeric(costs["amount"]).sum())
        if ctx.spec.cost_benefit is not None:
            found["spend_price_year"] = ctx.spec.cost_benefit.price_year
    return Findings(
        locality=ctx.locality,
        locality_name=ctx.locality_name,
        policy=policy,
        n_served=n_served,
        n_comparison=n_comparison,
        n_households=int(participants["household_id"].nunique())
        if "household_id" in participants and participants["household_id"].notna().any()
        else None,
        eligible_source=ctx.spec.eligible_population.source,
        launch=ctx.spec.launches.get(ctx.locality),
        outcomes=outcomes,
        notes=tuple(notes),
        **found,
    )
