"""What the partners learned: from the learning log, consented, reviewed and redacted only."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from evalkit.reports.context import ReportContext
from evalkit.reports.sections._html import esc, para

if TYPE_CHECKING:
    from evalkit.reports.findings import Findings

__all__ = ["learning"]

_HEADING = re.compile(r"<(/?)h([1-5])\b")


def _one_level_down(fragment: str) -> str:
    """Every heading one level lower (h2 -> h3, h3 -> h4 ...): the review is a page of its own
    elsewhere; here it sits under this section's heading."""
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}", fragment)


def learning(ctx: ReportContext, findings: Findings | None = None) -> str:
    """The locality's learning review, from shareable reflections for this locality.

    Learning cycles and what they tried, themes, what we learned, commitments and whether each is
    tracked as an action, open actions, and - when ``findings`` are given - what the evaluation
    could not tell, as questions for the next cycle
    (:func:`evalkit.reports.learning_review.open_questions`). A locality with no learning cycle
    and nothing shared says so plainly.
    """
    from evalkit.learning.review import learning_review
    from evalkit.learning.store import ReflectionStore
    from evalkit.reports.learning_review import open_questions, resolve_store_path, review_period

    path = resolve_store_path(ctx.spec.source, "")
    head = "<h2>What the partners learned</h2>"
    if not path.is_file():
        return head + para("No learning log has been kept for this programme yet.")
    prompts = (
        open_questions(findings, period_end=ctx.spec.reporting_period.end)
        if findings is not None
        else []
    )
    label, dates = review_period(ctx.spec, ctx.period)
    with ReflectionStore(path) as store:
        review = learning_review(
            store,
            locality=ctx.locality,
            period=label,
            dates=dates,
            programme=ctx.spec.programme,
            policy=ctx.disclosure_policy,
            locality_name=ctx.locality_name,
            open_questions=prompts,
        )
    if not review.has_cycle and review.quotes.empty and review.open_actions.empty:
        out = head + para(
            f"No learning cycle has been recorded for {ctx.locality_name} yet, and no "
            f"reflections from {ctx.locality_name} have been shared."
        )
        if prompts:
            items = "".join(f"<li>{esc(q)}</li>" for q in prompts)
            out += para("Questions a first learning cycle here could start from:")
            out += f'<ul class="open-questions">{items}</ul>'
        return out
    intro = para(
        "Reflections from commissioners, providers, frontline workers and people with lived "
        "experience, shared with their consent, checked and redacted. These are for learning, "
        "not for judging people or teams."
    )
    return head + intro + _one_level_down(review.to_html())
