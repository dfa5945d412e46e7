"""A still view of a widget, as plain HTML, for wherever no kernel runs the widgets.

A saved notebook is read in many places before (or instead of) a live kernel:
JupyterLab before *Run All*, nbconvert's HTML, nbviewer, GitHub. None of them can
draw an ipywidget from a saved notebook (dlviz saves no widget state, see
tools/execute_notebooks.py), so each explorer and try-it grid also puts, in its
display bundle, `text/html`: a still picture of what it shows now — the controls
with their values, the grids, the pictures (inline PNG) — under a line that says
to run the notebook to use it. A front end that runs the widgets shows the live
widget (its mime type ranks first); the others fall back to this view.

The view is built by walking the widget tree, so every explorer gets one without
code of its own and it always shows what the live widget shows. It uses plain
elements (tables from the grids, `<b>`, `<img>`), so a viewer that strips styles
and classes (GitHub's) still shows every number and label.
"""

from __future__ import annotations

import base64
import html

import ipywidgets as widgets

from dlviz._table import inline

_FRAME = "border:1px solid #bdbdbd;border-radius:4px;padding:6px 10px;margin:4px 0"
_NOTE = (
    '<div data-name="static-note" style="font-size:13px;margin:0 0 6px 0;font-style:italic">'
    "▶ A still view of this {kind}, as saved. Run the notebook "
    "(<b>Run → Run All Cells</b>) to use it.</div>"
)
_CONTROL = "display:inline-block;margin:2px 14px 2px 0;white-space:nowrap"
_BOX = "display:inline-block;border:1px solid #999;padding:1px 6px;min-width:3.5em"


class StaticView:
    """Mixin for a widget: adds a still `text/html` view to its display bundle."""

    static_kind = "widget"

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        if data is not None:
            data["text/html"] = static_view(self, kind=self.static_kind)
        return data


def static_view(widget: widgets.Widget, *, kind: str = "widget") -> str:
    """The whole still view: the note, then the widget as it looks now."""
    return (
        f'<div class="dlviz-static" data-kind="{html.escape(kind)}" style="{_FRAME}">'
        f"{_NOTE.format(kind=html.escape(kind))}{static_html(widget)}</div>"
    )


def _description(w) -> str:
    text = getattr(w, "description", "") or ""
    return f"<b>{html.escape(text)}</b> " if text else ""


def _value_text(w) -> str:
    value = w.value
    if isinstance(w, widgets.FloatSlider):
        return format(value, f".{_decimals(w.readout_format)}f")
    return str(value)


def _decimals(fmt: str) -> int:
    digits = "".join(ch for ch in fmt if ch.isdigit())
    return int(digits) if digits else 2


def _children_html(box) -> str:
    return "".join(static_html(child) for child in box.children)


def static_html(w: widgets.Widget) -> str:
    """One widget (and what it holds) as HTML; hidden widgets give nothing."""
    layout = getattr(w, "layout", None)
    if layout is not None and layout.display == "none":
        return ""
    if isinstance(w, widgets.Accordion):  # before Box: an Accordion is a Box too
        parts = []
        for i, child in enumerate(w.children):
            title = w.get_title(i) or f"part {i + 1}"
            opened = " open" if w.selected_index == i else ""
            parts.append(
                f"<details{opened}><summary>{html.escape(title)}</summary>"
                f"{static_html(child)}</details>"
            )
        return "".join(parts)
    if isinstance(w, widgets.GridBox):
        columns = layout.grid_template_columns or "auto"
        gap = layout.grid_gap or "2px"
        return (
            f'<div style="display:grid;grid-template-columns:{html.escape(columns)};'
            f'gap:{html.escape(gap)};align-items:center;justify-content:start">'
            f"{_children_html(w)}</div>"
        )
    if isinstance(w, widgets.HBox):
        return (
            '<div style="display:flex;flex-wrap:wrap;gap:4px 12px;align-items:flex-start">'
            f"{_children_html(w)}</div>"
        )
    if isinstance(w, widgets.Box):  # VBox and plain Box: one thing under the other
        return f"<div>{_children_html(w)}</div>"
    if isinstance(w, widgets.HTML | widgets.HTMLMath):
        return f"<div>{inline(w.value)}</div>"  # no style sheet where this is read
    if isinstance(w, widgets.Label):
        return f"<span>{html.escape(w.value)}</span>"
    if isinstance(w, widgets.Image):
        if not w.value:  # a picture not drawn yet (e.g. in a folded part): nothing to show
            return ""
        data = base64.b64encode(w.value).decode("ascii")
        width = f' style="width:{html.escape(layout.width)};max-width:100%"' if layout.width else ""
        return f'<div><img alt="picture" src="data:image/{w.format};base64,{data}"{width}></div>'
    if isinstance(w, widgets.ToggleButtons | widgets.Dropdown | widgets.RadioButtons):
        options = []
        for label, value in zip(w._options_labels, w._options_values, strict=True):
            label = html.escape(label)
            options.append(f"<b>[{label}]</b>" if value == w.value else label)
        return f'<span style="{_CONTROL}">{_description(w)}{" ".join(options)}</span>'
    if isinstance(w, widgets.Checkbox):
        mark = "☑" if w.value else "☐"
        return f'<span style="{_CONTROL}">{mark} {html.escape(w.description)}</span>'
    if isinstance(w, widgets.ToggleButton | widgets.Button):
        return f'<span style="{_BOX};opacity:0.75">{html.escape(w.description)}</span> '
    if isinstance(w, widgets.Text | widgets.Textarea | widgets.FloatText | widgets.IntText):
        shown = str(w.value) if str(w.value) else (getattr(w, "placeholder", "") or "")
        body = html.escape(shown).replace("\n", "<br>")
        box = f'<span style="{_BOX}">{body}</span>'
        return f'<span style="{_CONTROL}">{_description(w)}{box}</span>'
    if isinstance(w, widgets.IntSlider | widgets.FloatSlider):
        bounds = f"<small>({w.min:g} … {w.max:g})</small>"
        return (
            f'<span style="{_CONTROL}">{_description(w)}= <b>{html.escape(_value_text(w))}</b> '
            f"{bounds}</span>"
        )
    return f"<span>{html.escape(repr(w))}</span>"
