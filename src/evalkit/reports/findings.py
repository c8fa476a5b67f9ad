"""The analysis behind one locality's report, computed once and rendered by the sections.

:func:`compute_findings` runs every estimator the data allow for one locality and keeps the
results (evalkit result objects) together with notes on what could not be estimated and why. The
report's sections and its plain-English summary read from the same :class:`Findings`, so a number
in the summary is always the number in the table.

Designs, strongest first (Maryland Scientific Methods Scale):

- wellbeing and stable housing: difference-in-differences of participants against the comparison
  group of eligible non-participants, before and after (level 3), with errors clustered by person;
- children's social care referrals: interrupted time series of the locality's quarterly series,
  Poisson with the child population as offset and quasi-Poisson dispersion (level 2);
- change over time for participants only (effect size d_z, reliable change, distance travelled):
  level 1, shown as change, never as impact.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import pandas as pd

from evalkit.disclosure import get_policy, is_disclosive
from evalkit.exceptions import EvalkitError, EvidenceWarning, StatisticalWarning
from evalkit.reports.context import ReportContext

__all__ = ["MIN_FOR_ESTIMATES", "Findings", "compute_findings"]

#: Fewer people than this in a group and evalkit does not estimate effects for the locality.
MIN_FOR_ESTIMATES = 20


@dataclasses.dataclass(frozen=True)
class Findings:
    """Everything the report says about one locality."""

    locality: str
    locality_name: str
    policy: Any
    n_served: int
    n_comparison: int
    reach: pd.DataFrame
    indicators: pd.DataFrame | None = None
    wellbeing: Any = None  # EffectSizeResult (d_z), participants before and after
    reliable: Any = None  # ReliableChangeResult
    distance: Any = None  # DistanceTravelledResult
    impact: Any = None  # ImpactResult: DiD on wellbeing
    impact_housing: Any = None  # ImpactResult: DiD on stable housing
    its: Any = None  # ITSResult on referrals
    cba: Any = None  # CostBenefitResult
    monte_carlo: Any = None  # MonteCarloResult
    tornado: pd.DataFrame | None = None
    switching: pd.DataFrame | None = None
    cba_spec: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()

    @property
    def suppressed(self) -> bool:
        """Whether the number served is itself too small to publish."""
        return is_disclosive(self.n_served, self.policy)

    @property
    def too_few(self) -> bool:
        """Whether there are too few people to estimate effects."""
        return self.n_served < MIN_FOR_ESTIMATES


def _reach(people: pd.DataFrame) -> pd.DataFrame:
    """Participants against the eligible population (participants + eligible non-participants)."""
    rows = []
    for column, label in (
        ("age_band", "Age band"),
        ("sex", "Sex"),
        ("ethnic_group", "Ethnic group"),
    ):
        served = people.loc[people["group"] == "participant", column].value_counts()
        eligible = people[column].value_counts()
        for value in sorted(eligible.index):
            rows.append((label, str(value), int(served.get(value, 0)), int(eligible[value])))
    frame = pd.DataFrame(rows, columns=["subgroup", "group", "served", "eligible"])
    totals = frame.groupby("subgroup")[["served", "eligible"]].transform("sum")
    frame["share_served"] = frame["served"] / totals["served"].where(totals["served"] > 0)
    frame["share_eligible"] = frame["eligible"] / totals["eligible"]
    return frame


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
    base = ctx.spec.cost_benefit
    costs = ctx.table("costs")
    if base is None or costs.empty:
        return None
    first = int(costs["financial_year"].str[:4].astype(int).min())
    start_fy = _financial_year(pd.to_datetime(participants["start_date"]))
    cohorts = [
        {"year": int(fy - first), "size": int(n)}
        for fy, n in start_fy.value_counts().sort_index().items()
        if fy >= first
    ]
    template = base.get("costs", [{}])[0]
    cost_lines = [
        {
            "name": f"{row.item} {row.financial_year}",
            "year": int(str(row.financial_year)[:4]) - first,
            "amount": float(row.amount),
            "optimism_bias": template.get("optimism_bias", 0.0),
            **({"agency": template["agency"]} if "agency" in template else {}),
        }
        for row in costs.itertuples()
    ]
    if not cohorts or not cost_lines:
        return None
    spec = dict(base, cohorts=cohorts, costs=cost_lines)
    last_year = max(c["year"] for c in cohorts)
    longest = max(o.get("lag_years", 0) + o.get("duration_years", 1) for o in base["outcomes"])
    spec["horizon_years"] = max(int(base.get("horizon_years", 10)), last_year + longest + 1)
    return spec


def _value_for_money(ctx: ReportContext, participants: pd.DataFrame) -> dict[str, Any]:
    from scipy import stats

    from evalkit.econ import CostBenefitModel, monte_carlo, one_way, switching_values

    spec = locality_cba_spec(ctx, participants)
    if spec is None:
        return {}
    model = CostBenefitModel.from_dict(spec)
    out: dict[str, Any] = {"cba_spec": spec, "cba": model.appraise()}
    known = model.parameters()
    ranges = {k: v for k, v in ctx.spec.sensitivity.ranges.items() if k in known}
    if ranges:
        out["tornado"] = one_way(model, ranges, metric="financial_roi")
        out["switching"] = switching_values(model, list(ranges), metric="financial_roi")
        draws = {k: stats.uniform(lo, hi - lo) for k, (lo, hi) in ranges.items()}
        out["monte_carlo"] = monte_carlo(
            model, draws, n=ctx.spec.sensitivity.draws, seed=ctx.spec.sensitivity.seed
        )
    return out


def _its(ctx: ReportContext) -> Any:
    from evalkit.impact import its

    series = ctx.table("timeseries")
    if series.empty or series["launch_time"].isna().all():
        return None
    start = float(series["launch_time"].dropna().iloc[0])
    return its(
        series.assign(referrals=series["referrals"].astype(float)),
        "referrals",
        "time",
        start,
        family="quasipoisson",
        offset="population_0_17",
        seasonality=1,
        period=4,
    )


def _attempt(notes: list[str], what: str, func, *args, **kwargs) -> Any:
    """Run one estimator; on bad or degenerate data keep a note instead of failing the report."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (StatisticalWarning, EvidenceWarning))
            return func(*args, **kwargs)
    except EvalkitError as exc:
        notes.append(f"{what} could not be estimated: {exc}")
        return None


def compute_findings(ctx: ReportContext) -> Findings:
    """Compute everything the report shows for ``ctx``'s locality."""
    from evalkit.impact import did, stack_pre_post
    from evalkit.outcomes import distance_travelled, effect_size, indicator_results, reliable_change

    people = ctx.table("service_users")
    participants = people[people["group"] == "participant"]
    n_served = len(participants)
    n_comparison = int((people["group"] == "comparison").sum())
    notes: list[str] = []
    found: dict[str, Any] = {"reach": _reach(people)}
    policy = ctx.disclosure_policy
    if n_served < MIN_FOR_ESTIMATES:
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
        if ctx.spec.indicators:
            found["indicators"] = _attempt(
                notes, "Outcome indicators", indicator_results, participants, ctx.spec.indicators
            )
        wb = ctx.spec.wellbeing
        if wb is not None:
            both = participants.dropna(subset=[wb.pre, wb.post])
            pre, post = both[wb.pre].astype(float), both[wb.post].astype(float)
            found["wellbeing"] = _attempt(
                notes,
                "Wellbeing change",
                effect_size,
                pre,
                post,
                kind="d_z",
                outcome="wellbeing score",
            )
            sd = wb.sd or float(people[wb.pre].astype(float).std())
            found["reliable"] = _attempt(
                notes,
                "Reliable change",
                reliable_change,
                pre,
                post,
                sd=sd,
                reliability=wb.reliability,
                higher_is_better=wb.higher_is_better,
                cutoff=wb.cutoff,
            )
            if n_comparison >= MIN_FOR_ESTIMATES:
                found["impact"] = _attempt(
                    notes,
                    "The impact on wellbeing",
                    did,
                    stack_pre_post(people, wb.pre, wb.post, outcome="wellbeing score"),
                    "wellbeing score",
                    "treated",
                    "post",
                    cluster="person_id",
                )
        housing = next((i for i in ctx.spec.indicators if i.baseline_column), None)
        if housing is not None and n_comparison >= MIN_FOR_ESTIMATES:
            found["impact_housing"] = _attempt(
                notes,
                f"The impact on {housing.name.lower()}",
                did,
                stack_pre_post(
                    people, housing.baseline_column, housing.column, outcome=housing.name.lower()
                ),
                housing.name.lower(),
                "treated",
                "post",
                cluster="person_id",
            )
        dt_spec = ctx.spec.distance_travelled
        reviews = ctx.table("reviews") if dt_spec is not None else pd.DataFrame()
        if dt_spec is not None and not reviews.empty:
            found["distance"] = _attempt(
                notes,
                "Distance travelled",
                distance_travelled,
                reviews,
                areas=dt_spec.areas,
                scale=(dt_spec.low, dt_spec.high),
            )
        found["its"] = _attempt(notes, "The change in referrals after launch", _its, ctx)
        found.update(_attempt(notes, "Value for money", _value_for_money, ctx, participants) or {})
    return Findings(
        locality=ctx.locality,
        locality_name=ctx.locality_name,
        policy=policy,
        n_served=n_served,
        n_comparison=n_comparison,
        notes=tuple(notes),
        **found,
    )
