"""The monitoring and evaluation plan: what commissioner and providers agree before the service.

``evalkit plan SPEC`` writes it from the programme spec alone, before any data exist, for readers
who are not evaluators (plain English, short sentences; the same reading-grade test as the
reports). Guidance on commissioning asks that review and monitoring arrangements be agreed with
the organisations commissioned at an early stage, proportionate to the contract, with the reason
for every data request explained. The plan says:

- what the service aims to change: each outcome, its definition, why it matters, how and when it
  is measured and its target;
- the data asked of providers, field by field in their own column names, with the reason for
  each and the outcomes that use it (:func:`evalkit.intake.template.requested_fields`, the same
  list the data return template is made from), and how often each return is due;
- the designs the evaluation will use and what each can and cannot show, with its level on the
  Maryland Scientific Methods Scale (Farrington et al. 2002; Madaleno and Waights 2015, What
  Works Centre for Local Economic Growth), said before any data exist;
- what is pseudonymised, what is published and the small-number rules;
- how learning cycles and reflections are used (for learning, never as performance targets);
- when the service will be reviewed, and what is still to be agreed.

The page names files by their names only, never by a path on this machine.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from evalkit import __version__, narrative
from evalkit._io import atomic_write_text
from evalkit.config import ProgrammeSpec
from evalkit.config.plan import DESIGN_LEVELS, PERSON_DESIGNS, SERIES_DESIGNS, OutcomeSpec
from evalkit.disclosure import get_policy
from evalkit.intake.template import RequestedField, requested_fields, template_sheets
from evalkit.reports.export import page
from evalkit.reports.sections.impact import DESIGN_WORDS

__all__ = ["DESIGN_LIMITS", "PLAN_FILE", "build_plan", "write_plan"]

PLAN_FILE = "plan.html"

#: What each design can show, and what it cannot, for readers who are not evaluators.
DESIGN_LIMITS: dict[str, tuple[str, str]] = {
    "before_after": (
        "how much outcomes changed for the people served",
        "whether the service caused the change, because things might have changed anyway",
    ),
    "matching": (
        "how the people served compare with similar people who were not served",
        "the effect of things the records do not hold, such as how ready someone was to change",
    ),
    "comparison_group": (
        "how much more the outcomes of people served changed than those of eligible people who "
        "were not served",
        "the effect for certain if the two groups would have changed differently anyway",
    ),
    "time_series": (
        "whether an area's figures moved away from their earlier trend after the service began",
        "whether something else that happened at the same time caused the change",
    ),
    "never_treated": (
        "whether an area's figures changed more after the service began than those of areas "
        "without it",
        "the effect for certain if something else changed at the same time only in the areas "
        "with the service",
    ),
    "staggered": (
        "the effect across the whole programme, using areas that started at different times",
        "the effect in one area on its own",
    ),
}
#: The staggered launch design, which the report comparing areas uses (not in DESIGN_WORDS).
_STAGGERED_WORDS = "areas that started the service at different times with each other"
_STAGGERED_LEVEL = 3

#: Beside the house CSS: tables of words read left to right, and the outcome labels in bold.
_CSS = (
    "<style>table.words th, table.words td { text-align: left; } "
    "dl.outcome dt { font-weight: bold; margin-top: .5rem; } dl.outcome dd { margin-left: 0; }"
    "</style>"
)

_TARGET_WORD = {"higher_is_better": "at least", "lower_is_better": "at most"}


def _esc(value: object) -> str:
    return html.escape(str(value))


def _p(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{_esc(text)}</p>"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _source_label(spec: ProgrammeSpec, source: str) -> str:
    """A return's name in words: 'the clients return', 'the service users return'."""
    return f"the {source.replace('_', ' ').replace('-', ' ')} return"


def _due(spec: ProgrammeSpec, source: str) -> str:
    s = spec.sources[source]
    if s.query is not None:
        return "Read from the database when the reports are made: nothing to send."
    if s.frequency:
        return f"Due each {s.frequency}."
    return "How often this return is due is still to be agreed."


def planned_designs(spec: ProgrammeSpec, outcome: OutcomeSpec) -> list[str]:
    """The designs the plan allows for an outcome, strongest first (as the reports choose)."""
    from evalkit.reports.context import ReportContext
    from evalkit.reports.findings import _planned

    kind = spec.outcome_kind(outcome)
    ctx = ReportContext(spec=spec, locality=next(iter(spec.localities)), period="")
    return _planned(ctx, outcome, SERIES_DESIGNS if kind == "series" else PERSON_DESIGNS)


def _how_measured(spec: ProgrammeSpec, o: OutcomeSpec) -> str:
    source = spec.outcome_source(o)
    kind = spec.outcome_kind(o)
    where = f"in {_source_label(spec, source)}"
    if kind == "series":
        frequency = spec.sources[source].frequency or "period"
        rate = f", as a rate per {o.per:,} of the population" if o.population else ""
        text = f"Counted for each area each {frequency}{rate}, {where}."
    elif kind == "readings":

        def which(v: str | None, default: str) -> str:
            v = v or default
            return f"the {v} assessment" if v in ("first", "last") else f"the '{v}' assessment"

        text = (
            f"Recorded at each assessment, {where}. We compare {which(o.before, 'first')} "
            f"with {which(o.after, 'last')}."
        )
    elif o.before:
        text = f"Recorded for each person when support starts and when it ends, {where}."
    else:
        text = (
            f"Recorded for each person when support ends, {where}. There is no reading from "
            "before support."
        )
    if o.kind == "scale" and o.range is not None:
        text += f" It is scored from {o.range[0]:g} to {o.range[1]:g}."
    return text


def _target(o: OutcomeSpec) -> str:
    if o.target is None:
        return "No target has been set."
    word = _TARGET_WORD[o.polarity]
    if o.kind == "binary":
        return f"{_cap(word)} {o.target:.0%} of people."
    return f"{_cap(word)} {o.target:g} {o.unit_words}."


def _outcomes(spec: ProgrammeSpec) -> str:
    parts = [
        "<h2>What the service aims to change</h2>",
        _p(
            "These are the outcomes the evaluation will measure. Each has a definition, a "
            "reason, a way of measuring it and, where agreed, a target."
        ),
    ]
    for o in spec.outcomes:
        why = o.why or "Not yet stated. Agree why this outcome matters before the service starts."
        source = spec.outcome_source(o)
        items = [
            ("What it means", _cap(o.definition.strip().rstrip(".")) + "."),
            ("Why it matters", _cap(why.strip().rstrip(".")) + "."),
            ("How it is measured", _how_measured(spec, o)),
            ("When", _due(spec, source)),
            ("Target", _target(o)),
        ]
        rows = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in items)
        parts.append(f'<h3>{_esc(o.name)}</h3><dl class="outcome">{rows}</dl>')
    if not spec.outcomes:
        parts.append(_p("No outcomes are set yet. Agree them before the service starts."))
    return "".join(parts)


def _field_rows(fields: list[RequestedField]) -> str:
    return "".join(
        "<tr>"
        + "".join(
            f"<td>{_esc(v)}</td>" for v in (f.column, f.what, f.why, f.how(), _cap(f.used_for))
        )
        + "</tr>"
        for f in fields
    )


def _data(spec: ProgrammeSpec) -> str:
    parts = [
        "<h2>The data we ask for, and why</h2>",
        _p(
            "We ask only for what the evaluation uses. Each table below is one return, in the "
            "column names of the provider's own records. Each column says why we ask for it "
            "and what it is used for. A spreadsheet for the returns, with these columns, lists "
            "and hints, comes with this plan."
        ),
        _p(
            "Please do not send names, addresses, phone numbers, emails or case notes. If a file "
            "holds them, they are never read."
        ),
    ]
    sheets = template_sheets(spec)
    for source, s in spec.sources.items():
        label = _cap(_source_label(spec, source))
        if s.query is not None:
            sent = "read from a database"
        else:
            sheet = f", sheet '{sheets[source]}'" if s.sheet else ""
            sent = f"sent as {s.file.name if s.file else source}{sheet}"
        head = "".join(
            f'<th scope="col">{h}</th>'
            for h in ("Column", "What it holds", "Why we ask", "How to fill it in", "Used for")
        )
        about = _p(_cap(s.description.strip().rstrip(".")) + ".") if s.description else ""
        parts.append(
            f"<h3>{_esc(label)}</h3>{about}"
            f"<table class='words'><caption>{_esc(label)}: {_esc(sent)}. {_esc(_due(spec, source))}</caption>"
            f"<thead><tr>{head}</tr></thead>"
            f"<tbody>{_field_rows(requested_fields(spec, source))}</tbody></table>"
        )
    return "".join(parts)


def _returns(spec: ProgrammeSpec) -> str:
    items = "".join(
        f"<li>{_esc(_cap(_source_label(spec, n)))}: {_esc(_due(spec, n)[0].lower() + _due(spec, n)[1:])}"
        "</li>"
        for n in spec.sources
    )
    return f"<h2>When returns are due</h2><ul>{items}</ul>" + _p(
        "Returns cover the people and periods of the whole reporting period, not just the "
        "latest months. Send the whole return each time, with any corrections made."
    )


def _design_item(design: str, level: int, words: str) -> str:
    can, cannot = DESIGN_LIMITS[design]
    return (
        f"<h3>Comparing {_esc(words)}</h3>"
        + _p(f"This design is at {narrative.evidence_words(level)}.")
        + _p(f"It can show {can}.")
        + _p(f"It cannot show {cannot}.")
    )


def _designs(spec: ProgrammeSpec) -> str:
    d = spec.designs
    enabled = d.enabled()
    parts = [
        "<h2>How we will judge what the service caused</h2>",
        _p(
            "Outcomes can change for many reasons, not only because of the service. So the "
            "evaluation compares the people or areas served with what would have happened "
            "without it, as far as the data allow."
        ),
        _p(
            "Each design is given a level on the Maryland Scientific Methods Scale, from 1 "
            "(weakest) to 5 (strongest). The level is known now, before any data exist. For "
            "each outcome, the reports use the strongest design the data support."
        ),
    ]
    for design in sorted((x for x, on in enabled.items() if on), key=DESIGN_LEVELS.get):
        parts.append(_design_item(design, DESIGN_LEVELS[design], DESIGN_WORDS[design]))
    if d.staggered:
        parts.append(_design_item("staggered", _STAGGERED_LEVEL, _STAGGERED_WORDS))
    rows = []
    for o in spec.outcomes:
        planned = planned_designs(spec, o)
        best = max((DESIGN_LEVELS[x] for x in planned), default=None)
        rows.append(
            f"<tr><td>{_esc(o.name)}</td><td>"
            + _esc("; ".join(_cap(DESIGN_WORDS[x]) for x in planned) or "None planned")
            + f"</td><td>{'' if best is None else best}</td></tr>"
        )
    if rows:
        parts.append(
            "<table class='words'><caption>The designs planned for each outcome, strongest first</caption>"
            '<thead><tr><th scope="col">Outcome</th><th scope="col">Designs</th>'
            '<th scope="col">Highest level</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    if not any(
        enabled[x] for x in ("matching", "comparison_group", "time_series", "never_treated")
    ):
        parts.append(
            _p(
                "This plan has no comparison. The reports will show change for the people "
                "served, which is not evidence that the service caused it.",
                "callout",
            )
        )
    return "".join(parts)


def _privacy(spec: ProgrammeSpec) -> str:
    policy = get_policy(spec.disclosure.policy)
    ids = [f for source in spec.sources for f in requested_fields(spec, source) if f.identifier]
    rows = "".join(
        f"<tr><td>{_esc(f.column)}</td><td>{_esc(_cap(_source_label(spec, f.source)))}</td></tr>"
        for f in ids
    )
    table = (
        "<table class='words'><caption>Columns replaced by a code when the data arrive</caption>"
        '<thead><tr><th scope="col">Column</th><th scope="col">Return</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        if ids
        else ""
    )
    return (
        "<h2>Privacy: what is kept, what is published</h2>"
        + _p(
            "People's references are replaced by a code as soon as the data arrive. The code "
            "is made with a secret key that the evaluation team keeps apart from the data and "
            "the reports. The same person always gets the same code, so their records can be "
            "linked, but the code cannot be turned back into the reference."
        )
        + table
        + _p(
            "Only the columns in this plan are read. Everything else in a file is left out "
            "before any analysis."
        )
        + _p(
            "The reports are published for each area and for the programme as a whole. Their "
            "tables can be downloaded. No report names a person or a member of staff."
        )
        + _p(
            f"Small numbers are hidden, so that no one can be recognised ({policy.label}): "
            f"{policy.describe()}"
        )
    )


def _learning(spec: ProgrammeSpec) -> str:
    reviews = any(r.name == "learning_review" for r in spec.reports)
    parts = [
        "<h2>Learning together</h2>",
        _p(
            "Numbers show what changed, but not always why. So partners meet in learning "
            "cycles. In each cycle they try something, look at what happened and decide what "
            "to change next."
        ),
        _p(
            "Staff and partners write short reflections. They answer simple questions: what "
            "did we try, what happened, what did we learn and what will we do next. Names and "
            "other details are removed, and a person checks each reflection before anyone "
            "else reads it."
        ),
        _p(
            "Reflections and learning cycles are for learning. They are never used as "
            "performance targets, and no one is judged on them. Saying what did not work is "
            "as useful as saying what did."
        ),
    ]
    if reviews:
        parts.append(_p("A learning review is written for each area from the reflections."))
    elif spec.reflections is None:
        parts.append(
            _p("No learning log is set up yet. Agree who will keep it before the service starts.")
        )
    return "".join(parts)


def _review_words(spec: ProgrammeSpec) -> str:
    review, period = spec.review, spec.reporting_period
    if isinstance(review, dt.date):
        return f"The service will be reviewed on {review.day} {review:%B %Y}."
    if isinstance(review, str) and review.strip():
        return f"The service will be reviewed {review.strip().rstrip('.')}."
    if period.end is not None:
        return (
            "The service will be reviewed after the reporting period ends on "
            f"{period.end.day} {period.end:%B %Y}."
        )
    return "When the service will be reviewed is still to be agreed."


def _review(spec: ProgrammeSpec) -> str:
    return (
        "<h2>When the service will be reviewed</h2>"
        + _p(_review_words(spec))
        + _p(
            "At the review, commissioner and providers read the reports together. They ask "
            "what worked, for whom, and what should change. The results start the next round "
            "of planning."
        )
    )


def _to_agree(spec: ProgrammeSpec) -> list[str]:
    """What the plan leaves open: points to settle before the contract starts."""
    out = [f"Why '{o.name}' matters." for o in spec.outcomes if not o.why]
    out += [
        f"How often {_source_label(spec, n)} is due."
        for n, s in spec.sources.items()
        if s.query is None and not s.frequency
    ]
    if spec.review is None:
        out.append("The date of the review.")
    return out


def build_plan(spec: ProgrammeSpec) -> str:
    """The plan as one self-contained HTML page (see the module's description)."""
    period = spec.reporting_period
    areas = ", ".join(spec.localities.values())
    intro = [
        f"<h1>{_esc(spec.title)}: monitoring and evaluation plan</h1>",
        _p(
            "For the commissioner and the providers to agree before the service starts. "
            f"Made from the programme's plan by evalkit {__version__}.",
            "note",
        ),
        "<h2>About this plan</h2>",
    ]
    if spec.description:
        intro.append(_p(spec.description.strip()))
    if spec.commissioner:
        intro.append(_p(f"Commissioner: {spec.commissioner.strip().rstrip('.')}."))
    intro += [
        _p(f"It covers these areas: {areas}."),
        _p(f"The reporting period is {period.label}. The reports cover {period.describe()}."),
        _p(
            "This plan says what will be measured, what data providers will send and why, how "
            "the evaluation will judge the service and how the results will be used. Please "
            "read it before the contract starts, and say if anything looks wrong or asks too "
            "much."
        ),
    ]
    open_points = _to_agree(spec)
    agree = (
        "<h2>Still to agree</h2><ul>"
        + "".join(f"<li>{_esc(t)}</li>" for t in open_points)
        + "</ul>"
        if open_points
        else ""
    )
    body = "\n".join(
        [
            _CSS + "".join(intro),
            _outcomes(spec),
            _data(spec),
            _returns(spec),
            _designs(spec),
            _privacy(spec),
            _learning(spec),
            _review(spec),
            agree,
        ]
    )
    return page(f"{spec.title}: monitoring and evaluation plan", body)


def write_plan(
    spec: ProgrammeSpec, path: str | Path | None = None, *, pdf: bool = False
) -> list[Path]:
    """Write the plan (``reports/<programme>/plan.html`` by default) atomically, and with
    ``pdf`` a PDF beside it printed by headless Chromium; return the files written."""
    target = Path(path) if path is not None else spec.output_folder / PLAN_FILE
    if pdf:  # fail before writing anything when Chromium or Playwright is missing
        from evalkit.reports.pdf import check_pdf_support

        check_pdf_support()
    written = [atomic_write_text(target, build_plan(spec))]
    if pdf:
        from evalkit.reports.pdf import write_pdfs

        written += write_pdfs(written, force=True)
    return written
