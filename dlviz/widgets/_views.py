"""How an explorer shows its steps: a step's panel, the projector's large type, the views.

The "view" control switches between every step of the walk-through and the projector
view (the step on the slider only, with its inputs, in large type); hidden steps keep
their place, so the page does not jump.
"""

from __future__ import annotations

import html
from dataclasses import replace

import ipywidgets as widgets

from dlviz import sheet
from dlviz._table import HEADING, compact


def figure_image(live_figure, width: int | None = None) -> widgets.Image:
    """An `ipywidgets.Image` showing a `dlviz.plots.LiveFigure` (update with `.value`)."""
    px = width or live_figure.css_size[0]
    return widgets.Image(
        value=live_figure.png(), format="png", layout=widgets.Layout(width=f"{px}px")
    )


def step_panel(title: str, body, *, large: bool = False) -> str:
    """One step of an explorer's walk-through: a bold heading over its grids (HTML).

    The heading wraps into lines of even length (no stub of a last line under a full one).
    large: projector type (`large_type`): numbers 18 px, labels 16 px, heading 17 px.
    Otherwise the tables' shared style is left to the explorer's style sheet
    (`dlviz._table.compact`): less to send and to parse on every move.
    """
    if large:
        return (
            '<div style="margin:2px 0 0;font-weight:bold;font-size:17px;text-wrap:balance">'
            f"{html.escape(title)}</div>{large_type(side_by_side(body).html)}"
        )
    return compact(f'<div style="{HEADING}">{html.escape(title)}</div>{body.html}')


class Stack:
    """Layouts one above the other (each has `.html`): the column sums under their columns."""

    def __init__(self, *items):
        self.items = items

    @property
    def html(self) -> str:
        return "".join(item.html for item in self.items)


def focus_panel(step: int, title: str, body) -> str:
    """The projector view's step: `step_panel` in large type, marked with its number
    (`data-step`), so a page can tell which step it shows."""
    # The wrapper's line height, not the widget's 28 px, sets the rows of labels and the
    # captions: as tight as the numbers' own rows.
    return (
        f'<div data-step="{step}" style="line-height:1.25">'
        f"{step_panel(title, body, large=True)}</div>"
    )


# The sheet's type (dlviz.sheet: numbers 13 px, labels 12 px) at projector size.
_LARGE_TYPE = (
    ("font-size:13px", "font-size:18px"),
    ("font-size:12px", "font-size:16px"),
    ("padding:3px 7px", "padding:0 5px;line-height:1.2"),
    ("padding:2px 6px", "padding:0 4px"),  # the labels' cells
    ('font-family:inherit">', 'font-family:inherit;font-size:16px">'),  # captions
    ("margin: 0 18px 8px 0", "margin: 0 8px 6px 0"),  # between the grids of a row
    # An outlined cell (the best score, the chosen expert) keeps room for its rings: with
    # the numbers' cells at no padding, the rings sat on the digits.
    ("box-shadow:inset 0 0 0 5px #fff;", "box-shadow:inset 0 0 0 5px #fff;padding:5px 8px;"),
)


def large_type(text: str) -> str:
    """The same grids at projector size: numbers 18 px, labels and captions 16 px.

    Read from the back of a room at 150 % zoom; the cells' padding and the gaps between
    grids shrink so the grids grow less than their type (a projector at 150 % is 853 CSS
    pixels wide: a step's grids abreast must fit it).
    """
    for small, large in _LARGE_TYPE:
        text = text.replace(small, large)
    return text


def side_by_side(body):
    """A product laid out in a row (left · right = result) instead of crossed, as on paper.

    A projector is wide and short: the crossed layout stacks the right factor above the
    product, which would push the step's result off the screen.
    """
    if isinstance(body, sheet.Product):
        # Crossed, the result reads its rows off the left factor and its columns off the
        # right one; side by side it needs its own labels.
        result = replace(
            body.result,
            rows=body.result.rows or body.left.rows,
            cols=body.result.cols or body.right.cols,
        )
        return sheet.row(body.left, body.right, result)
    if isinstance(body, sheet.Row):
        return sheet.row(*(side_by_side(item) for item in body.items))
    return body


VIEWS = (("all steps", "all"), ("projector", "projector"))


def view_toggle() -> widgets.ToggleButtons:
    """The "view" control: every step, or the projector view (one step, large type)."""
    return widgets.ToggleButtons(
        options=list(VIEWS),
        value="all",
        tooltips=[
            "every step of the walk-through",
            "for a projector: the chosen step only, with its inputs, in large type",
        ],
        style={"button_width": "7em"},
    )


def placeholder(box: widgets.Widget, shown: bool) -> None:
    """Show a step's box, or hide it but keep its place, so the page does not jump."""
    box.layout.visibility = None if shown else "hidden"
