"""Distance travelled on multi-area tools (star-style readings in several life areas).

The areas are column names supplied by the user: no licensed tool wording ships with evalkit.
Input is wide, one row per review (person, review date or number, one column per area).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit._results import Result
from evalkit._validate import require_columns, require_numeric
from evalkit.exceptions import DataError, ParameterError
from evalkit.outcomes._display import shown

__all__ = ["DistanceTravelledResult", "distance_travelled"]

#: Days in a quarter, for the "change per 90 days in service" rate.
DAYS_PER_PERIOD = 90


@dataclasses.dataclass(frozen=True)
class DistanceTravelledResult(Result):
    """First-to-latest change per area and overall, per person and summarised."""

    n_people: int
    n_single_review: int
    mean_first: float
    mean_latest: float
    mean_change: float
    share_moving_up: float
    share_deteriorating: float
    change_per_90_days: float
    method: str
    areas: pd.DataFrame = dataclasses.field(repr=False)
    people: pd.DataFrame = dataclasses.field(repr=False)
    groups: pd.DataFrame | None = dataclasses.field(default=None, repr=False)

    def summary(self) -> str:
        verb = "rose" if self.mean_change > 0 else "fell" if self.mean_change < 0 else "held"
        best = self.areas["mean_change"].idxmax()
        text = (
            f"Across {self.n_people} people with at least two reviews, the average reading "
            f"{verb} from {self.mean_first:.1f} to {self.mean_latest:.1f} "
            f"({self.mean_change:+.2f} points per area, {self.change_per_90_days:+.2f} per 90 "
            f"days in service). {self.share_moving_up:.0%} moved up overall and "
            f"{self.share_deteriorating:.0%} moved down. The largest average gain was in "
            f"{best} ({self.areas.at[best, 'mean_change']:+.2f})."
        )
        if self.n_single_review:
            text += f" {self.n_single_review} people with a single review are left out."
        return text + " This is distance travelled, not an impact estimate."


def distance_travelled(
    reviews: pd.DataFrame,
    *,
    areas: Sequence[str],
    person: str = "person_id",
    date: str = "date",
    order: str | None = None,
    by: Sequence[str] | str | None = None,
    scale: tuple[float, float] | None = (1, 10),
) -> DistanceTravelledResult:
    """First-to-latest change per area and overall, share moving up and down, rate per 90 days.

    Parameters
    ----------
    reviews : DataFrame
        Wide: one row per review with ``person``, ``date`` (and ``order``) and the area columns.
    areas : sequence of str
        The area columns (at least one), e.g. ``["housing", "money"]``.
    person, date, order : str
        Column names. Reviews are ordered by ``order`` when given, else by ``date``.
    by : str or sequence of str, optional
        Columns constant within a person (e.g. ``"locality_code"``) for a per-group table.
    scale : (low, high) or None
        Valid range of area readings; readings outside raise DataError. None skips the check.

    Notes
    -----
    Per person and area, the first and latest non-missing readings are taken; change =
    latest - first. The overall reading is the mean over areas of the first (latest) readings.
    "Moving up" is an overall change > 0 and "deteriorating" < 0. The rate is the overall
    change x 90 / days between the first and latest review, averaged over people whose
    reviews span at least one day. People with one review have no change and are counted in
    ``n_single_review``.
    """
    areas = list(areas)
    if not areas:
        raise ParameterError("areas must name at least one area column; got an empty list")
    groups = [by] if isinstance(by, str) else list(by or [])
    require_columns(reviews, [person, date, order, *areas, *groups], source="reviews")
    data = reviews[[person, *groups, *([order] if order else [])]].copy()
    data["_date"] = pd.to_datetime(reviews[date], errors="coerce")
    if data["_date"].isna().any():
        row = data["_date"].isna().idxmax()
        raise DataError(
            f"column {date!r} in reviews, row {row}: value {shown(reviews.at[row, date])} "
            "is not a date"
        )
    for area in areas:
        values = require_numeric(reviews, area, source="reviews")
        if scale is not None:
            outside = values.notna() & ((values < scale[0]) | (values > scale[1]))
            if outside.any():
                row = outside.idxmax()
                raise DataError(
                    f"column {area!r} in reviews, row {row}: value {shown(values.loc[row])} is "
                    f"outside the scale; expected {scale[0]} to {scale[1]}"
                )
        data[area] = values
    if data[areas].isna().all(axis=None):
        raise DataError(f"every reading in the area columns {areas} is missing")
    data = data.sort_values([person, order or "_date", "_date"])
    grouped = data.groupby(person, sort=False)
    first, latest = grouped[areas].first(), grouped[areas].last()
    span = (grouped["_date"].max() - grouped["_date"].min()).dt.days
    reviews_n = grouped.size()
    people = pd.DataFrame(index=first.index)
    for g in groups:
        people[g] = grouped[g].first()
    people["n_reviews"] = reviews_n
    people["days_in_service"] = span
    people["first"] = first.mean(axis=1)
    people["latest"] = latest.mean(axis=1)
    people["change"] = people["latest"] - people["first"]
    for area in areas:
        people[f"change_{area}"] = latest[area] - first[area]
    several = people["n_reviews"] >= 2
    people.loc[~several, ["change", *[f"change_{a}" for a in areas]]] = np.nan
    people["change_per_90_days"] = (
        people["change"] * DAYS_PER_PERIOD / people["days_in_service"].where(span > 0)
    )
    counted = people[several]
    if counted.empty:
        raise DataError(f"no person in reviews has two or more reviews (column {person!r})")
    area_table = pd.DataFrame(
        {
            "n": [int(counted[f"change_{a}"].notna().sum()) for a in areas],
            "mean_first": [float(first.loc[several, a].mean()) for a in areas],
            "mean_latest": [float(latest.loc[several, a].mean()) for a in areas],
            "mean_change": [float(counted[f"change_{a}"].mean()) for a in areas],
            "share_moving_up": [float((counted[f"change_{a}"] > 0).mean()) for a in areas],
            "share_deteriorating": [float((counted[f"change_{a}"] < 0).mean()) for a in areas],
        },
        index=pd.Index(areas, name="area"),
    )
    group_table = None
    if groups:
        g = counted.assign(up=counted["change"] > 0, down=counted["change"] < 0).groupby(groups)
        group_table = g.agg(
            n_people=("change", "size"),
            mean_first=("first", "mean"),
            mean_latest=("latest", "mean"),
            mean_change=("change", "mean"),
            share_moving_up=("up", "mean"),
            share_deteriorating=("down", "mean"),
            change_per_90_days=("change_per_90_days", "mean"),
        )
    return DistanceTravelledResult(
        n_people=int(several.sum()),
        n_single_review=int((~several).sum()),
        mean_first=float(counted["first"].mean()),
        mean_latest=float(counted["latest"].mean()),
        mean_change=float(counted["change"].mean()),
        share_moving_up=float((counted["change"] > 0).mean()),
        share_deteriorating=float((counted["change"] < 0).mean()),
        change_per_90_days=float(counted["change_per_90_days"].mean()),
        method=(
            f"first-to-latest reading per person over {len(areas)} areas; overall = mean of "
            "areas; rate = change x 90 / days between first and latest review"
        ),
        areas=area_table,
        people=people,
        groups=group_table,
    )
