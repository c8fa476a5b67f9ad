"""Small HTML helpers shared by the report sections."""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from evalkit.disclosure import get_policy, protect, protect_count
from evalkit.reports import downloads

__all__ = [
    "callout",
    "esc",
    "key_value_table",
    "para",
    "protected_table",
    "published_shares",
    "show",
]


def show(fragment: str) -> None:
    """Display an HTML fragment in the notebook (and so in the exported report)."""
    from IPython.display import HTML, display

    display(HTML(fragment))


def esc(value: Any) -> str:
    """Text from data or results, HTML-escaped."""
    return html.escape(str(value))


def para(text: str, cls: str | None = None) -> str:
    """A paragraph of plain text (escaped)."""
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{esc(text)}</p>"


def callout(text: str) -> str:
    """A highlighted paragraph (escaped)."""
    return para(text, "callout")


#: A share is shown as one figure when rounding leaves at most this many points of doubt.
SHARE_DOUBT = 4


def published_shares(counts: pd.Series, published: pd.Series, policy: Any) -> list[str]:
    """Whole percentages worked out from published numbers only, honest about rounding.

    Each share is a published count over the published total of the column, so that no share
    carries more than the published counts do (shares from unrounded counts would let a reader
    work back exact counts, and from them a suppressed one). Rounding makes small shares
    uncertain: a published 15 of 20 is a true 13 to 17 of 18 to 22, anywhere from 59% to 95%
    (:meth:`~evalkit.disclosure.Policy.true_range`). The share is therefore shown as one
    figure only where the true share lies within :data:`SHARE_DOUBT` points of it, and
    otherwise as the range the true share must lie in ("59-95"), which the published counts
    already imply. A share of a suppressed count is withheld with it.
    """
    rules = get_policy(policy)
    symbol = rules.symbol
    total = protect_count(int(pd.to_numeric(counts).sum()), policy)
    t_low, t_high = rules.true_range(total) if isinstance(total, int) else (0, 0)
    out = []
    for value in published:
        number = pd.to_numeric(value, errors="coerce")
        if pd.isna(number) or not isinstance(total, int) or total == 0:
            out.append(symbol if str(value) == symbol else "")
            continue
        n_low, n_high = rules.true_range(int(number))
        low = math.floor(100 * n_low / t_high)
        high = math.ceil(100 * min(1.0, n_high / max(t_low, 1)))
        point = 100 * number / total
        if high - low <= SHARE_DOUBT:
            out.append(f"{point:.0f}")
        else:
            out.append(f"{low}\u2013{high}")
    return out


def protected_table(
    table: pd.DataFrame,
    policy: Any,
    *,
    counts: list[str],
    derived: dict[str, tuple[str, ...]] | None = None,
    totals: dict[str, Any] | None = None,
    shares: dict[str, str] | None = None,
    caption: str | None = None,
) -> str:
    """A table through disclosure control, as escaped HTML with its note (and a caption).

    ``shares`` adds, after each named count column, a column of its percentages worked out from
    the published counts (see :func:`published_shares`). The index's name is shown in the
    header row's first cell (pandas would add a row for it). The table is recorded as published
    (the texts of its cells, as shown) among the report's downloads
    (:mod:`evalkit.reports.downloads`).
    """
    table = table.rename_axis(index=None, columns=table.index.name)
    protected = protect(table, policy, counts=counts, derived=derived, totals=totals, warn=False)
    for share, count in (shares or {}).items():
        at = protected.table.columns.get_loc(count) + 1
        values = published_shares(table[count], protected.table[count], policy)
        protected.table.insert(at, share, values)
    out = protected.to_html()
    if caption:
        out = out.replace("<thead>", f"<caption>{esc(caption)}</caption><thead>", 1)
    downloads.register(protected, caption=caption, html=out)
    return out


def key_value_table(rows: dict[str, Any], *, caption: str, cls: str = "provenance") -> str:
    """A two-column table of labels and values (no counts of people)."""
    body = "".join(
        f'<tr><th scope="row">{esc(k)}</th><td>{esc(v)}</td></tr>' for k, v in rows.items()
    )
    return f'<table class="{cls}"><caption>{esc(caption)}</caption><tbody>{body}</tbody></table>'
