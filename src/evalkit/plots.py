"""The house chart style: a colour-blind-safe palette, sizes readable on A4, alt text on every image.

Every chart in a report goes through :func:`show_figure` (or :func:`figure_html`), which embeds the
figure as a PNG with the alt text a screen reader reads. Charts never carry meaning by colour alone:
label the numbers on the chart as well.
"""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING

from evalkit.exceptions import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["PALETTE", "figure_html", "house_style", "new_figure", "show_figure"]

#: Okabe and Ito (2008) colour-blind-safe palette, in the order charts use it.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermilion
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Width and height in inches of a chart that fills an A4 text column.
A4_COLUMN = (7.0, 4.0)


def house_style() -> None:
    """Apply the house style to matplotlib and seaborn (call once per notebook)."""
    import matplotlib as mpl
    import seaborn as sns

    mpl.use("Agg", force=False)
    sns.set_theme(context="notebook", style="whitegrid", palette=list(PALETTE))
    mpl.rcParams.update(
        {
            "figure.figsize": A4_COLUMN,
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
        }
    )


def new_figure(width: float | None = None, height: float | None = None):
    """A new (figure, axes) pair in the house style and size."""
    import matplotlib.pyplot as plt

    house_style()
    w, h = A4_COLUMN
    fig, ax = plt.subplots(figsize=(width or w, height or h))
    return fig, ax


def money_axis(axis) -> None:
    """Label an axis (``ax.yaxis`` or ``ax.xaxis``) in pounds with thousands separators."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"-£{-v:,.0f}" if v < 0 else f"£{v:,.0f}"))


def figure_html(fig: Figure, alt: str, *, caption: str | None = None) -> str:
    """The figure as an ``<figure>`` with an embedded PNG and its alt text, then closed.

    ``alt`` must describe what the chart shows in words (the numbers that matter), not its type.
    """
    if not alt or not alt.strip():
        raise ParameterError("alt text is required for every chart; got an empty string")
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="evalkit-chart"><img src="data:image/png;base64,{data}" '
        f'alt="{html.escape(alt, quote=True)}" style="max-width:100%">{cap}</figure>'
    )


def show_figure(fig: Figure, alt: str, *, caption: str | None = None) -> None:
    """Display the figure in a notebook with its alt text (see :func:`figure_html`)."""
    from IPython.display import HTML, display

    display(HTML(figure_html(fig, alt, caption=caption)))
