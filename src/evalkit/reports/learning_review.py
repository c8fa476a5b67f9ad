"""The learning review of one locality and period, as HTML for the papermill pipeline.

``notebooks/learning_review.ipynb`` calls :func:`review_html` and nothing else. This module is the
pipeline's side of the review: it reads the programme spec (the store's place, the programme, the
disclosure policy, the reporting period and the locality's name), the prepared series behind the
indicators shown as context, and the evaluation's findings, whose open questions
(:func:`open_questions`) become prompts for the next learning cycle; it hands them to
:func:`evalkit.learning.review.learning_review`, which gathers the review from the learning log.

Paths in a notebook's parameters are written relative to the project folder, while Jupyter starts
a kernel in the notebook's own folder: :func:`evalkit.config.locate` finds them from either.
"""

from __future__ import annotations

import datetime as dt
import html
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from evalkit import narrative
from evalkit.config import ProgrammeSpec, load_spec, locate
from evalkit.exceptions import EvalkitError
from evalkit.learning.records import period_bounds

if TYPE_CHECKING:
    from evalkit.reports.findings import Findings

__all__ = [
    "MAX_QUESTIONS",
    "indicator_context",
    "open_questions",
    "resolve_store_path",
    "review_html",
    "review_period",
]

#: At most this many questions for the next learning cycle: a few to talk about, not a list.
MAX_QUESTIONS = 5

#: How many periods of each indicator the review shows, up to the end of the review's period.
INDICATOR_PERIODS = 8
_FREQUENCY = {"month": "Month", "quarter": "Quarter", "year": "Year"}


def _spec(spec: ProgrammeSpec | str | Path) -> ProgrammeSpec:
    return spec if isinstance(spec, ProgrammeSpec) else load_spec(locate(spec))


def resolve_store_path(spec_path: ProgrammeSpec | str | Path, store_path: str | Path = "") -> Path:
    """``store_path`` if given, else ``data/processed/<programme>/learning.sqlite`` of the spec."""
    if str(store_path):
        return locate(store_path)
    return _spec(spec_path).processed_folder / "learning.sqlite"


def review_period(
    spec: ProgrammeSpec | str | Path, period: str = ""
) -> tuple[str, tuple[dt.date | None, dt.date | None]]:
    """The period a review covers: its label and its first and last days.

    ``period`` empty (or the label of the spec's reporting period, as a report's context holds
    it) means the spec's reporting period: its label and dates, open-ended when the spec gives
    none. Otherwise a quarter (``2024Q3``), a month, a year or a UK financial year
    (``2024/25``), as :func:`evalkit.learning.records.period_bounds` reads them.
    """
    text = str(period).strip()
    reporting = _spec(spec).reporting_period
    if text and text != reporting.label:
        return text, period_bounds(text)
    return reporting.label, (reporting.start, reporting.end)


def _label(when: pd.Series, frequency: str | None) -> pd.Series:
    """Period start dates as a person reads them: 'Mar 2025', '2025 Q1' or '2025'."""
    if frequency == "month":
        return when.dt.strftime("%b %Y")
    if frequency == "year":
        return when.dt.strftime("%Y")
    return when.dt.year.astype(str) + " Q" + when.dt.quarter.astype(str)


def indicator_context(
    spec: ProgrammeSpec | str | Path, locality: str, period: str = ""
) -> pd.DataFrame | None:
    """The spec's series outcomes for ``locality``: the last periods up to the end of ``period``.

    The indicators are the outcomes read from a source of kind ``series``: for each, its count
    (the ``after`` column, headed by the outcome's name) and, when the outcome names its
    ``population``, the rate per ``per`` of that population. Read from the prepared partition of
    the series (:func:`evalkit.intake.load_partition`), the last :data:`INDICATOR_PERIODS`
    periods up to the end of ``period`` (empty: the spec's reporting period), labelled by the
    series' frequency. None when the spec has no series outcome or the locality has no series.
    """
    from evalkit.intake import load_partition

    spec = _spec(spec)
    _, (_, end) = review_period(spec, period)
    outcomes = [o for o in spec.outcomes if spec.outcome_kind(o) == "series"]
    tables = []
    for source in dict.fromkeys(spec.outcome_source(o) for o in outcomes):
        series = load_partition(spec, source, locality)
        if series.empty:
            continue
        when = pd.to_datetime(series["period"])
        if end is not None:
            series, when = series[when.dt.date <= end], when[when.dt.date <= end]
        order = when.sort_values().index[-INDICATOR_PERIODS:]
        series, when = series.loc[order], when.loc[order]
        frequency = spec.sources[source].frequency
        table = pd.DataFrame({_FREQUENCY.get(frequency or "", "Period"): _label(when, frequency)})
        for o in (o for o in outcomes if spec.outcome_source(o) == source):
            count = pd.to_numeric(series[o.after], errors="coerce")
            table[o.name] = count.astype("Int64")
            if o.population:
                population = pd.to_numeric(series[o.population], errors="coerce")
                rate = (count / population.where(population > 0) * o.per).astype("Float64")
                table[f"{o.name} per {o.per:,} population"] = rate.round(1)
        tables.append(table.reset_index(drop=True))
    if not tables:
        return None
    return pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]


def open_questions(findings: Findings, *, period_end: dt.date | None = None) -> list[str]:
    """What the evaluation could not tell for a locality, as questions for the next cycle.

    Read from the same :class:`~evalkit.reports.findings.Findings` the locality's report shows
    (the gaps its "What to consider next" names), and turned from findings into prompts for the
    people reflecting: outcomes whose change could not be told apart from no change, effects
    that could not be estimated or had no comparison, change measured only for the people
    served, value for money resting on assumptions, too few people to measure anything, and a
    service too young for slower effects. At most :data:`MAX_QUESTIONS`, the outcomes first.
    ``period_end`` is the last day of the reporting period (for how long the service had run).
    """
    place = findings.locality_name or findings.locality
    if findings.too_few:
        return [
            f"Too few families used the service in {place} for the evaluation to measure what "
            "changed for them. What do families and workers there say has helped, and what "
            "should the next learning cycle try to find out?"
        ]
    unclear, missing, change_only = [], [], []
    for of in findings.outcomes.values():
        name = narrative.in_sentence(of.name)
        if of.impact is not None and of.impact.crosses_no_effect:
            unclear.append(
                f"The difference the service made to {name} in {place} could not be told apart "
                "from no change. What got in the way, and what would help us see the difference "
                "next time?"
            )
        elif of.impact is None and of.not_used:
            reasons = "; ".join(sorted({n.reason for n in of.not_used}))
            missing.append(
                f"What the service changed for {name} in {place} could not be estimated "
                f"({reasons}). What records or conversations would help the next cycle see it?"
            )
        elif of.impact is None and of.outcome.designs != ["before_after"]:
            missing.append(
                f"There was nobody to compare with for {name} in {place}, so the evaluation "
                "cannot say what the service caused. Who could tell us what would have happened "
                "without it?"
            )
        elif of.impact is None and of.change is not None:
            change_only.append(
                f"{of.name} was measured only for the families served, before and after, so the "
                "evaluation cannot say how much of the change the service caused. What do "
                "families and workers say made the difference?"
            )
    out = unclear + missing
    if findings.benefits and not findings.value_measured:
        assumed = [narrative.in_sentence(b.outcome) for b in findings.benefits if not b.measured]
        out.append(
            "Value for money rests on assumptions for " + ", ".join(assumed) + ". What could "
            "the next cycle measure to test them?"
        )
    if findings.launch is not None and period_end is not None:
        months = (period_end - findings.launch).days // 30
        if months < 18:
            out.append(
                f"The service had run in {place} for about {months} months by the end of the "
                "period. Which effects that take longer to show should the next cycle look for?"
            )
    return (out + change_only)[:MAX_QUESTIONS]


def _findings_questions(spec: ProgrammeSpec, locality: str, period: str) -> list[str]:
    """:func:`open_questions` for a locality, or none when its findings cannot be computed (data
    not prepared yet, say): the review is still worth reading without them."""
    from evalkit.reports.context import ReportContext
    from evalkit.reports.findings import compute_findings

    ctx = ReportContext(spec, locality, period)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            findings = compute_findings(ctx)
    except (EvalkitError, OSError, KeyError, ValueError):
        return []
    return open_questions(findings, period_end=spec.reporting_period.end)


def review_html(
    spec_path: str | Path,
    locality: str,
    period: str = "",
    store_path: str = "",
    *,
    questions: bool = True,
) -> str:
    """The learning review HTML for the notebook: store from the spec unless ``store_path``.

    ``period`` empty means the spec's reporting period. A missing store gives a short note
    rather than an error, so a programme without a learning log yet still gets its other
    reports. With ``questions`` the evaluation's findings for the locality are computed and
    what they could not tell is carried into the review (:func:`open_questions`).
    """
    from evalkit.learning.review import learning_review
    from evalkit.learning.store import ReflectionStore

    spec = _spec(spec_path)
    path = resolve_store_path(spec, store_path)
    name = spec.locality_name(locality)
    if not path.is_file():
        return (
            f"<h2>Learning review: {html.escape(name)}</h2><p>No learning log has been started "
            "for this programme yet. Reflections are added with <code>evalkit reflect add</code>, "
            "<code>evalkit reflect import</code> or the capture page "
            "(<code>evalkit reflect serve</code>).</p>"
        )
    label, dates = review_period(spec, period)
    prompts = _findings_questions(spec, locality, period) if questions else []
    with ReflectionStore(path) as store:
        review = learning_review(
            store,
            locality=locality,
            period=label,
            dates=dates,
            programme=spec.programme,
            indicators=indicator_context(spec, locality, period),
            policy=spec.disclosure.policy,
            locality_name=name,
            open_questions=prompts,
        )
        return review.to_html()
