"""The learning review of one locality and period, from a learning log.

:func:`learning_review` gathers what a learning review shows - the learning cycles and what each
tried, what happened and the confidence recorded; themes over time; what we learned; what we will
change and whether each commitment is tracked as an action; open actions; where learning has
paused; questions for the next cycle; and indicators as context - from reflections that are
reviewed, shareable and consented and shared beyond their own learning cycle.
:meth:`LearningReview.to_html` renders it; every piece of free text is HTML-escaped.

What protects people:

- theme counts pass through small-number suppression; when every count of the locality is
  suppressed they are pooled to the whole programme (by period, or over all periods), and the
  review says so in words;
- a quote, an experiment or a commitment is attributed to its author's role only when at least
  :func:`role_threshold` people (the smallest count the disclosure policy publishes: 8 under the
  NHS England rules) holding that role have shared reflections in the locality; otherwise to "a
  partner";
- actions that came from a reflection whose author has since withdrawn consent are left out.

``notebooks/learning_review.ipynb`` reaches it through
:func:`evalkit.reports.learning_review.review_html`, which reads the programme spec, the
indicators and the evaluation's findings (for the questions).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
from typing import Any

import numpy as np
import pandas as pd

from evalkit._results import Result
from evalkit.disclosure import Protected, get_policy
from evalkit.learning.actions import Continuity, commitments, continuity, open_actions
from evalkit.learning.coding import theme_counts
from evalkit.learning.records import period_bounds, period_end
from evalkit.learning.store import ReflectionStore
from evalkit.plots import PALETTE, figure_html, new_figure

__all__ = ["PARTNER", "LearningReview", "learning_review", "role_threshold", "themes_chart"]

#: How a quote is attributed when too few people hold its author's role in the locality.
PARTNER = "a partner"
_CAVEAT = (
    "These figures are shown as context for the conversation. They are not evidence that "
    "anything described in the reflections caused them to change, and nothing here scores a "
    "person or a team."
)
#: Where theme counts come from (``LearningReview.themes_scope``).
THEME_SCOPES = ("locality", "programme by period", "programme")


def role_threshold(policy: Any = "nhs") -> int:
    """The fewest people holding a role in a locality for a quote to be attributed to that role.

    The smallest count the disclosure policy publishes (one more than its ``high``: 8 under the
    NHS England rules, 6 under the DfE's): a role held by fewer people is as identifying as a
    count the policy would suppress, so a quote from it is attributed to "a partner".
    """
    return int(get_policy(policy).high) + 1


def _attributions(reflections: pd.DataFrame, threshold: int) -> dict[str, str]:
    """Role -> what a quote from it is attributed to, by the number of distinct authors."""
    if reflections.empty:
        return {}
    people = reflections.groupby("role")["author"].nunique()
    return {str(r): (str(r) if int(n) >= threshold else PARTNER) for r, n in people.items()}


def _when(value: Any) -> str:
    """A date as a person reads it: '30 September 2024' ('' when missing)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value) in ("", "NaT"):
        return ""
    day = pd.Timestamp(value)
    return f"{day.day} {day:%B %Y}"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _any_shown(table: pd.DataFrame) -> bool:
    """Whether a published theme table shows at least one number (not only suppressed cells)."""
    if table.empty:
        return False
    return bool(table.apply(pd.to_numeric, errors="coerce").notna().to_numpy().any())


def _themes_shown(table: pd.DataFrame) -> int:
    """How many themes (rows) of a published table show at least one number."""
    if table.empty:
        return 0
    return int(table.apply(pd.to_numeric, errors="coerce").notna().any(axis=1).sum())


def _by_period(protected: Protected) -> pd.DataFrame:
    table = protected.table
    if table.empty:
        return pd.DataFrame()
    return table["reflections"].unstack("period").fillna("")


@dataclasses.dataclass(frozen=True)
class LearningReview(Result):
    """What a learning review shows for one locality and period.

    ``quotes`` holds ``attributed_to`` (a role, or "a partner"), never the author's role when
    too few people hold it; ``experiments`` is what each shared reflection in the period says
    was tried and happened, with the confidence recorded; ``commitments`` is each "what we will
    change" and the action tracking it (:func:`evalkit.learning.actions.commitments`).
    """

    programme: str
    locality: str
    period: str
    themes: pd.DataFrame
    themes_note: str
    quotes: pd.DataFrame
    open_actions: pd.DataFrame
    continuity: Continuity
    indicators: pd.DataFrame | None = None
    locality_name: str = ""
    cycles: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    experiments: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    commitments: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    themes_scope: str = "locality"
    local_themes: tuple[str, ...] = ()
    role_threshold: int = 8
    open_questions: tuple[str, ...] = ()
    policy_name: str = ""

    @property
    def place(self) -> str:
        """The locality as readers know it (its name when given, else its code)."""
        return self.locality_name or self.locality

    @property
    def has_cycle(self) -> bool:
        """Whether any learning cycle has been recorded for the locality."""
        return not self.cycles.empty

    @property
    def untracked(self) -> pd.DataFrame:
        """Commitments in the period that no action tracks yet."""
        if self.commitments.empty:
            return self.commitments
        return self.commitments[~self.commitments["tracked"].astype(bool)]

    def summary(self) -> str:
        cycles = (
            _plural(len(self.cycles), "learning cycle", "learning cycles")
            if self.has_cycle
            else f"no learning cycle recorded for {self.place}"
        )
        return (
            f"Learning review for {self.place}, {self.period or 'all periods'}: {cycles}, "
            f"{self.themes.shape[0]} themes, {len(self.quotes)} shared quotes, "
            f"{len(self.open_actions)} open actions, "
            f"{len(self.untracked)} commitments not yet tracked as actions."
        )

    # -- rendering ------------------------------------------------------------------------
    def _cycles_html(self) -> list[str]:
        e = html.escape
        parts = ["<h3>Learning cycles: what was tried and what happened</h3>"]
        if not self.has_cycle:
            parts.append(f"<p>No learning cycle has been recorded for {e(self.place)} yet.</p>")
            if not self.experiments.empty:
                parts.append(
                    "<p>Reflections have been shared from here, but none belongs to a learning "
                    "cycle.</p>"
                )
        for cycle in self.cycles.to_dict("records"):
            name = str(cycle.get("name") or "") or str(cycle["cycle_id"])
            facts = []
            if str(cycle.get("phase") or ""):
                facts.append(f"phase: {cycle['phase']}")
            if _when(cycle.get("started_on")):
                facts.append(f"started {_when(cycle.get('started_on'))}")
            if _when(cycle.get("ended_on")):
                facts.append(f"finished {_when(cycle.get('ended_on'))}")
            elif str(cycle.get("phase") or ""):
                facts.append("still running")
            line = f"<h4>{e(name)}</h4>"
            if facts:
                said = "; ".join(facts)
                line += f"<p>{e(said[0].upper() + said[1:])}.</p>"
            parts.append(line)
            tried = self.experiments
            if not tried.empty:
                tried = tried[tried["learning_cycle"] == cycle["cycle_id"]]
            if tried.empty:
                parts.append(
                    "<p>No reflection from this cycle has been shared for this period yet.</p>"
                )
            else:
                parts.append(self._experiments_table(tried))
        if self.has_cycle and not self.experiments.empty:
            outside = self.experiments[self.experiments["learning_cycle"].fillna("") == ""]
            if not outside.empty:
                parts.append("<h4>Reflections outside a learning cycle</h4>")
                parts.append(self._experiments_table(outside))
        if not self.experiments.empty:
            parts.append(
                "<p><em>Confidence is what the people reflecting recorded about what they "
                "learned: tentative, emerging or well supported. It is their judgement, not a "
                "measure of the service.</em></p>"
            )
        if not self.has_cycle and not self.experiments.empty:
            parts.append(self._experiments_table(self.experiments))
        return parts

    @staticmethod
    def _experiments_table(frame: pd.DataFrame) -> str:
        """What was tried (once for everyone who tried it), then what happened for each."""
        e = html.escape
        parts = []
        tried = frame["what_we_tried"].fillna("").astype(str)
        for what in dict.fromkeys(tried):
            table = frame[tried == what].rename(
                columns={
                    "what_happened": "What happened",
                    "confidence": "Confidence recorded",
                    "attributed_to": "From",
                    "period": "Period",
                }
            )[["What happened", "Confidence recorded", "From", "Period"]]
            label = e(what) if what else "(not said)"
            parts.append(f"<p><strong>What was tried:</strong> {label}</p>")
            parts.append(table.to_html(index=False, escape=True, na_rep=""))
        return "\n".join(parts)

    def _themes_html(self) -> list[str]:
        e = html.escape
        parts = ["<h3>Themes over time</h3>"]
        if self.themes.empty:
            parts.append(
                f"<p>No shared reflection from {e(self.place)} has been coded with a theme yet.</p>"
            )
            return parts
        if self.themes_scope != "locality":
            found = ", ".join(self.local_themes)
            parts.append(
                f"<p>Too few reflections from {e(self.place)} were coded with any one theme to "
                "show the numbers without risking someone being identified, so the counts "
                "below are for the whole programme, every locality together"
                + (", over all periods" if self.themes_scope == "programme" else "")
                + f". Themes raised in {e(self.place)}: {e(found)}.</p>"
            )
        chart = themes_chart(self.themes) if self.themes.shape[1] > 1 else ""
        if chart:
            parts.append(chart)
        shown = self.themes.rename_axis(index="Theme", columns=None).reset_index()
        table = shown.to_html(index=False, escape=True, na_rep="")
        counted = json.dumps([str(c) for c in self.themes.columns])
        attrs = f' data-disclosure-policy="{e(self.policy_name)}" data-count-columns="{e(counted)}"'
        parts.append(table.replace("<table", "<table" + attrs, 1))
        parts.append(f"<p><em>{e(self.themes_note)}</em></p>")
        return parts

    def _commitments_html(self) -> list[str]:
        e = html.escape
        parts = ["<h3>What we will change</h3>"]
        if self.commitments.empty:
            parts.append("<p>No shared reflection for this period says what will change.</p>")
            return parts
        for c in self.commitments.to_dict("records"):
            status = str(c["action_status"])
            if not c["tracked"]:
                note = "not yet tracked as an action"
            elif status == "open":
                note = (
                    f"tracked as an action: {c['owner_role']} to take it forward by "
                    f"{_when(c['due_on'])}"
                )
            elif status == "done":
                note = "tracked as an action, now done"
            else:
                note = "tracked as an action, since dropped"
            parts.append(
                f"<blockquote>{e(str(c['commitment']))}<br><small>- {e(str(c['attributed_to']))}, "
                f"{e(str(c['period']))}; {e(note)}</small></blockquote>"
            )
        return parts

    def _actions_html(self) -> list[str]:
        e = html.escape
        parts = ["<h3>Open actions</h3>"]
        waiting = len(self.untracked)
        untracked = (
            f"{_plural(waiting, 'commitment', 'commitments')} above "
            f"{'is' if waiting == 1 else 'are'} not yet tracked as "
            f"{'an action' if waiting == 1 else 'actions'}: agree who will take "
            f"{'it' if waiting == 1 else 'each'} forward and by when, and record "
            f"{'it' if waiting == 1 else 'each'} as an action."
        )
        if self.open_actions.empty:
            parts.append(
                f"<p>No action is open yet, and {untracked}</p>"
                if waiting
                else "<p>No open actions.</p>"
            )
            return parts
        table = self.open_actions.rename(
            columns={
                "description": "Action",
                "owner_role": "Owner (role)",
                "due_on": "Due",
                "days_to_due": "Days to due date",
            }
        )
        parts.append(table.to_html(index=False, escape=True))
        if waiting:
            parts.append(f"<p>{e(untracked[0].upper() + untracked[1:])}</p>")
        return parts

    def _continuity_html(self) -> list[str]:
        e = html.escape
        parts = ["<h3>Keeping learning going</h3>"]
        if not self.has_cycle:
            actions = len(self.continuity.not_followed_up)
            parts.append(
                f"<p>No learning cycle has been recorded for {e(self.place)} yet, so there is no "
                "rhythm of reflection to keep going."
                + (
                    " A first cycle could start from the questions below."
                    if self.open_questions
                    else ""
                )
                + (
                    f" {_plural(actions, 'action', 'actions')} past "
                    f"{'its' if actions == 1 else 'their'} due date had no follow-up reflection."
                    if actions
                    else ""
                )
                + "</p>"
            )
            return parts
        parts.append(f"<p>{e(self.continuity.summary())}</p>")
        if not self.continuity.quiet_cycles.empty:
            quiet = self.continuity.quiet_cycles
            names = dict(zip(self.cycles["cycle_id"], self.cycles.get("name", ""), strict=True))
            quiet = pd.DataFrame(
                {
                    "Learning cycle": [
                        str(names.get(c) or "") or str(c) for c in quiet["learning_cycle"]
                    ],
                    "Last reflection": [_when(d) or "none yet" for d in quiet["last_reflection"]],
                    "Weeks since": [
                        "" if pd.isna(w) else str(int(w)) for w in quiet["weeks_since"]
                    ],
                }
            )
            parts.append(quiet.to_html(index=False, escape=True))
        return parts

    def to_html(self) -> str:
        """The review as an HTML fragment; all free text escaped."""
        e = html.escape
        parts = [
            f"<h2>Learning review: {e(self.place)}, {e(self.period or 'all periods')}</h2>",
            "<p>Drawn only from reflections their authors agreed to share, after redaction and a "
            "person's review. A quote names its author's role only when at least "
            f"{self.role_threshold} people in that role here have shared reflections; otherwise "
            f"it is attributed to &ldquo;{PARTNER}&rdquo;.</p>",
        ]
        parts += self._cycles_html()
        parts += self._themes_html()
        parts.append("<h3>What we learned</h3>")
        learned = self.quotes[self.quotes["slot"] == "what_we_learned"]
        if learned.empty:
            parts.append("<p>No shared reflections for this period.</p>")
        for q in learned.to_dict("records"):
            parts.append(
                f"<blockquote>{e(str(q['quote']))}<br><small>- {e(str(q['attributed_to']))}, "
                f"{e(str(q['period']))}</small></blockquote>"
            )
        parts += self._commitments_html()
        parts += self._actions_html()
        parts += self._continuity_html()
        if self.open_questions:
            parts.append("<h3>Questions for the next learning cycle</h3>")
            parts.append(
                "<p>What the evaluation could not tell here, as prompts for the people "
                "reflecting. They are questions to explore, not findings.</p>"
            )
            items = "".join(f"<li>{e(q)}</li>" for q in self.open_questions)
            parts.append(f'<ul class="open-questions">{items}</ul>')
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
    locality_name: str = "",
    open_questions: tuple[str, ...] | list[str] = (),
) -> LearningReview:
    """Gather the learning review of ``locality`` for ``period``.

    ``period`` is a quarter (``2024Q3``), a month, a calendar year or a UK financial year
    (``2024/25``); empty means all periods. Or give ``dates``, the first and last day the review
    covers (either may be None: open-ended), and ``period`` is only the label shown (such as a
    programme's reporting period, "April 2024 to March 2025"). Themes are shown for every period
    up to the end; quotes, experiments and commitments come from within the period. Open actions
    and continuity are judged as of ``today`` (default: the end of the period, or today if that
    is earlier). ``audience`` is who reads the review (see :meth:`ReflectionStore.shareable`): by
    default the programme's partners, so reflections shared only within their learning cycle
    are left out. ``locality_name`` is the name readers know the locality by;
    ``open_questions`` are prompts for the next cycle, shown as given (the pipeline derives them
    from the evaluation's findings: :func:`evalkit.reports.learning_review.open_questions`).
    """
    if dates is not None:
        start, end = dates
    elif str(period).strip():
        start, end = period_bounds(period)
    else:
        start = end = None
    if end is not None and today is None:
        today = min(dt.date.today(), end)

    def up_to_end(frame: pd.DataFrame) -> pd.DataFrame:
        if programme:
            frame = frame[frame["programme"] == programme]
        if end is not None:
            frame = frame[(frame["period"].map(period_end) <= end).to_numpy(dtype=bool)]
        return frame

    shared = up_to_end(store.shareable(locality=locality, audience=audience))
    # a boolean array, not a list: an empty list would select columns, not rows
    in_period = np.ones(len(shared), dtype=bool)
    if start is not None:
        in_period = (shared["period"].map(period_end) >= start).to_numpy(dtype=bool)
    current = shared[in_period]
    threshold = role_threshold(policy)
    attributed = _attributions(shared, threshold)

    # Themes: the locality's counts, pooled to the programme when every one is suppressed.
    codings = store.codings()
    protected = theme_counts(shared, codings, by=("period",), policy=policy, warn=False)
    themes, scope = _by_period(protected), "locality"
    local_themes = tuple(str(t) for t in themes.index)
    if not themes.empty and not _any_shown(themes):
        everywhere = up_to_end(store.shareable(audience=audience))
        pooled = theme_counts(everywhere, codings, by=("period",), policy=policy, warn=False)
        total = theme_counts(everywhere, codings, by=(), policy=policy, warn=False)
        table = total.table[["reflections"]].rename(columns={"reflections": "All periods"})
        # Over time when that hides no theme the totals would show; else over all periods.
        if _any_shown(table) or _any_shown(_by_period(pooled)):
            if _themes_shown(_by_period(pooled)) >= _themes_shown(table):
                protected, themes, scope = pooled, _by_period(pooled), "programme by period"
            else:
                protected, themes, scope = total, table, "programme"
    if not themes.empty:
        themes.index.name = (
            "theme (reflections)" if scope == "locality" else "theme (reflections, programme)"
        )

    quotes = current.melt(
        id_vars=["id", "period", "role"],
        value_vars=["what_we_learned", "what_we_will_change"],
        var_name="slot",
        value_name="quote",
    )
    quotes = quotes[quotes["quote"].fillna("").str.strip() != ""].sort_values(["slot", "id"])
    quotes = quotes.assign(attributed_to=quotes["role"].astype(str).map(attributed))
    quotes = quotes.drop(columns=["role"]).reset_index(drop=True)

    experiments = current[
        (current["what_we_tried"].fillna("").str.strip() != "")
        | (current["what_happened"].fillna("").str.strip() != "")
    ]
    experiments = experiments.assign(
        attributed_to=experiments["role"].astype(str).map(attributed),
        learning_cycle=experiments["learning_cycle"].fillna("").astype(str),
    )[
        [
            "id",
            "learning_cycle",
            "period",
            "what_we_tried",
            "what_happened",
            "confidence",
            "attributed_to",
        ]
    ].reset_index(drop=True)

    # Actions that came from a withdrawn reflection may echo its text: leave them out.
    withdrawn = set(store.overview(status="withdrawn")["id"].astype(int))
    actions = store.actions()
    actions = actions[actions["locality"] == locality]
    actions = actions[~actions["reflection_id"].isin(withdrawn).fillna(False).astype(bool)]
    opened = open_actions(actions, today=today)[
        ["description", "owner_role", "due_on", "days_to_due"]
    ]
    promised = commitments(current, actions)
    promised = promised.assign(attributed_to=promised["role"].astype(str).map(attributed))
    promised = promised.drop(columns=["role"])

    every = store.overview(locality=locality)  # redacted text only, as everything here
    cycles = store.cycles()
    cycles = cycles[cycles["locality"] == locality]
    if every.empty:
        every = pd.DataFrame(columns=["learning_cycle", "locality", "reflected_on", "status"])
    flow = continuity(every, actions, cycles, weeks=weeks, today=today)
    named = every[(every["status"] != "withdrawn") & (every["learning_cycle"].fillna("") != "")]
    unrecorded = sorted(set(named["learning_cycle"]) - set(cycles["cycle_id"]))
    if unrecorded:  # cycles named by reflections but never recorded: shown by their id
        cycles = pd.concat(
            [cycles, pd.DataFrame({"cycle_id": unrecorded, "locality": locality})],
            ignore_index=True,
        )
    cycles = cycles.sort_values(
        ["started_on", "cycle_id"], na_position="last", key=lambda c: c.fillna("").astype(str)
    ).reset_index(drop=True)
    return LearningReview(
        programme=programme or "",
        locality=locality,
        period=period,
        themes=themes,
        themes_note=protected.summary(),
        quotes=quotes,
        open_actions=opened,
        continuity=flow,
        indicators=indicators,
        locality_name=locality_name,
        cycles=cycles,
        experiments=experiments,
        commitments=promised,
        themes_scope=scope,
        local_themes=local_themes,
        role_threshold=threshold,
        open_questions=tuple(open_questions),
        policy_name=protected.policy_name,
    )
