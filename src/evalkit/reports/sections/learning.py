"""What the partners learned: from the learning log, consented, reviewed and redacted only."""

from __future__ import annotations

from evalkit.reports.context import ReportContext
from evalkit.reports.sections._html import para

__all__ = ["learning"]


def learning(ctx: ReportContext) -> str:
    """Themes, what we will change and open actions, from shareable reflections for this locality."""
    from evalkit.learning.review import learning_review
    from evalkit.learning.store import ReflectionStore
    from evalkit.reports.learning_review import resolve_store_path, review_period

    path = resolve_store_path(ctx.spec.source, "")
    head = "<h2>What the partners learned</h2>"
    if not path.is_file():
        return head + para("No learning log has been kept for this programme yet.")
    with ReflectionStore(path) as store:
        if store.shareable(locality=ctx.locality).empty:
            return head + para(
                f"No reflections from {ctx.locality_name} have been shared for this period yet."
            )
        label, dates = review_period(ctx.spec, ctx.period)
        review = learning_review(
            store,
            locality=ctx.locality,
            period=label,
            dates=dates,
            programme=ctx.spec.programme,
            policy=ctx.disclosure_policy,
        )
        # The review is a page of its own elsewhere; here it sits under this section's heading.
        body = review.to_html().replace("<h3", "<h4").replace("</h3>", "</h4>")
        body = body.replace("<h2", "<h3").replace("</h2>", "</h3>")
    intro = para(
        "Reflections from commissioners, providers, frontline workers and people with lived "
        "experience, shared with their consent, checked and redacted. Quotes are attributed by "
        "role only. These are for learning, not for judging people or teams."
    )
    return head + intro + body
