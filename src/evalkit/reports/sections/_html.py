"""Small HTML helpers shared by the report sections."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from evalkit.disclosure import protect

__all__ = ["callout", "esc", "key_value_table", "para", "protected_table", "show"]


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


def protected_table(
    table: pd.DataFrame,
    policy: Any,
    *,
    counts: list[str],
    derived: dict[str, tuple[str, ...]] | None = None,
    totals: dict[str, Any] | None = None,
    caption: str | None = None,
) -> str:
    """A table through disclosure control, as escaped HTML with its note (and a caption).

    The index's name is shown in the header row's first cell (pandas would add a row for it).
    """
    table = table.rename_axis(index=None, columns=table.index.name)
    protected = protect(table, policy, counts=counts, derived=derived, totals=totals, warn=False)
    out = protected.to_html()
    if caption:
        out = out.replace("<thead>", f"<caption>{esc(caption)}</caption><thead>", 1)
    return out


def key_value_table(rows: dict[str, Any], *, caption: str, cls: str = "provenance") -> str:
    """A two-column table of labels and values (no counts of people)."""
    body = "".join(
        f'<tr><th scope="row">{esc(k)}</th><td>{esc(v)}</td></tr>' for k, v in rows.items()
    )
    return f'<table class="{cls}"><caption>{esc(caption)}</caption><tbody>{body}</tbody></table>'
