"""The learning review of one locality and period, from a learning log.

:func:`learning_review` gathers what a learning review shows - themes over time, what we learned
and what we will change (redacted quotes attributed by role only), open actions, where learning has
paused, and indicators as context - from reflections that are reviewed, shareable and consented
and shared beyond their own learning cycle. :meth:`LearningReview.to_html` renders it; every piece
of free text is HTML-escaped, and theme counts pass through small-number suppression.
``notebooks/learning_review.ipynb`` reaches it through
:func:`evalkit.reports.learning_review.review_html`, which reads the programme spec and the
indicators.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from typing import Any

import pandas as pd

from evalkit._results import Result
from evalkit.learning.actions import Continuity, continuity, open_actions
from evalkit.learning.coding import theme_counts
from evalkit.learning.records import period_bounds, period_end
from evalkit.learning.store import ReflectionStore
from evalkit.plots import PALETTE, figure_html, new_figure

__all__ = ["LearningReview", "learning_review", "themes_chart"]

_LABELS = {"what_we_learned": "What we learned", "what_we_will_change": "What we will change"}
_CAVEAT = (
    "These figures are shown as context for the conversation. They are not evidence that "
    "anything described in the reflections caused them to change, and nothing here scores a "
    "person or a team."
)


@dataclasses.dataclass(frozen=True)
class LearningReview(Result):
    """What a learning review shows for one locality and period."""

    programme: str
    locality: str
    period: str
    themes: pd.DataFrame
    themes_note: str
    quotes: pd.DataFrame
    open_actions: pd.DataFrame
    continuity: Continuity
    indicators: pd.DataFrame | None = None

    def summary(self) -> str:
        return (
            f"Learning review for {self.locality}, {self.period}: {self.themes.shape[0]} themes, "
            f"{len(self.quotes)} shared quotes, {len(self.open_actions)} open actions."
        )

    def to_html(self) -> str:
        """The review as an HTML fragment; all free text escaped."""
        e = html.escape
        parts = [
            f"<h2>Learning review: {e(self.locality)}, {e(self.period or 'all periods')}</h2>",
            "<p>Drawn only from reflections their authors agreed to share, after redaction and a "
            "person's review. Quotes are attributed by role only.</p>",
            "<h3>Themes over time</h3>",
        ]
        if self.themes.empty:
            parts.append("<p>No shared reflections have been coded yet.</p>")
        else:
            chart = themes_chart(self.themes)
            if chart:
                parts.append(chart)
            parts.append(self.themes.to_html(escape=True, na_rep=""))
            parts.append(f"<p><em>{e(self.themes_note)}</em></p>")
        for slot, label in _LABELS.items():
            parts.append(f"<h3>{label}</h3>")
            chosen = self.quotes[self.quotes["slot"] == slot]
            if chosen.empty:
                parts.append("<p>No shared reflections for this period.</p>")
            for q in chosen.to_dict("records"):
                parts.append(
                    f"<blockquote>{e(str(q['quote']))}<br><small>- {e(str(q['role']))}, "
                    f"{e(str(q['period']))}</small></blockquote>"
                )
        parts.append("<h3>Open actions</h3>")
        if self.open_actions.empty:
            parts.append("<p>No open actions.</p>")
        else:
            table = self.open_actions.rename(
                columns={
                    "description": "Action",
                    "owner_role": "Owner (role)",
                    "due_on": "Due",
                    "days_to_due": "Days to due date",
                }
            )
            parts.append(table.to_html(index=False, escape=True))
        parts.append("<h3>Keeping learning going</h3>")
        parts.append(f"<p>{e(self.continuity.summary())}</p>")
        if not self.continuity.quiet_cycles.empty:
            quiet = self.continuity.quiet_cycles.rename(
                columns={
                    "learning_cycle": "Learning cycle",
                    "locality": "Locality",
                    "last_reflection": "Last reflection",
                    "weeks_since": "Weeks since",
                }
            )
            parts.append(quiet.to_html(index=False, escape=True, na_rep="none yet"))
        if self.indicators is not None and not self.indicators.empty:
            parts.append("<h3>Indicators, as context</h3>")
            parts.append(f"<p>{e(_CAVEAT)}</p>")
            parts.append(self.indicators.to_html(index=False, escape=True))
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()


def themes_chart(themes: pd.DataFrame) -> str:
    """A line chart of reflections per theme and period, from the PROTECTED counts.

    Suppressed cells are gaps in the lines and are named in the alt text; returns "" when no
    count could be shown (a chart of nothing but gaps would mislead).
    """
    values = themes.apply(pd.to_numeric, errors="coerce")
    if values.notna().sum().sum() == 0:
        return ""
    fig, ax = new_figure()
    periods = list(values.columns)
    described = []
    for i, (theme, row) in enumerate(values.iterrows()):
        ax.plot(
            periods,
            row.to_numpy(dtype=float),
            marker="o",
            color=PALETTE[i % len(PALETTE)],
            label=str(theme),
        )
        cells = [f"{p} {'suppressed' if pd.isna(v) else int(v)}" for p, v in row.items()]
        described.append(f"{theme}: {', '.join(cells)}")
    ax.set_xlabel("Period")
    ax.set_ylabel("Reflections (rounded)")
    ax.legend(frameon=False, fontsize="small")
    alt = "Reflections coded with each theme by period. " + "; ".join(described) + "."
    return figure_html(fig, alt, caption="Themes over time (small counts suppressed)")


def learning_review(
    store: ReflectionStore,
    *,
    locality: str,
    period: str = "",
    dates: tuple[dt.date | None, dt.date | None] | None = None,
    programme: str | None = None,
    indicators: pd.DataFrame | None = None,
    policy: Any = "nhs",
    weeks: int = 8,
    today: dt.date | str | None = None,
    audience: str = "programme",
) -> LearningReview:
    """Gather the learning review of ``locality`` for ``period``.

    ``period`` is a quarter (``2024Q3``), a month, a calendar year or a UK financial year
    (``2024/25``); empty means all periods. Or give ``dates``, the first and last day the review
    covers (either may be None: open-ended), and ``period`` is only the label shown (such as a
    programme's reporting period, "April 2024 to March 2025"). Themes are shown for every period
    up to the end; quotes come from within the period. Open actions and continuity are judged as
    of ``today`` (default: the end of the period, or today if that is earlier). ``audience`` is
    who reads the review (see :meth:`ReflectionStore.shareable`): by default the programme's
    partners, so reflections shared only within their learning cycle are left out.
    """
    shared = store.shareable(locality=locality, audience=audience)
    if programme:
        shared = shared[shared["programme"] == programme]
    if dates is not None:
        start, end = dates
    elif str(period).strip():
        start, end = period_bounds(period)
    else:
        start = end = None
    if end is not None:
        if today is None:
            today = min(dt.date.today(), end)
        ends = shared["period"].map(period_end)
        shared = shared[(ends <= end).to_numpy(dtype=bool)]
    in_period = [True] * len(shared)
    if start is not None:
        in_period = (shared["period"].map(period_end) >= start).to_numpy(dtype=bool)
    protected = theme_counts(shared, store.codings(), by=("period",), policy=policy, warn=False)
    themes = protected.table
    if not themes.empty:
        themes = themes["reflections"].unstack("period").fillna("")
        themes.index.name = "theme (reflections)"
    current = shared[in_period]
    quotes = current.melt(
        id_vars=["id", "period", "role"],
        value_vars=list(_LABELS),
        var_name="slot",
        value_name="quote",
    )
    quotes = quotes[quotes["quote"].fillna("").str.strip() != ""].sort_values(["slot", "id"])
    actions = store.actions()
    actions = actions[actions["locality"] == locality]
    opened = open_actions(actions, today=today)[
        ["description", "owner_role", "due_on", "days_to_due"]
    ]
    every = store.overview(locality=locality)  # redacted text only, as everything here
    cycles = store.cycles()
    cycles = cycles[cycles["locality"] == locality]
    if every.empty:
        every = pd.DataFrame(columns=["learning_cycle", "locality", "reflected_on", "status"])
    flow = continuity(every, actions, cycles, weeks=weeks, today=today)
    return LearningReview(
        programme=programme or "",
        locality=locality,
        period=period,
        themes=themes,
        themes_note=protected.summary(),
        quotes=quotes.reset_index(drop=True),
        open_actions=opened,
        continuity=flow,
        indicators=indicators,
    )
