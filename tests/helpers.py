"""Reading what dlviz shows: the cells of an HTML grid, as a learner (or a browser) reads them;
the names a picture draws, as its models say."""

from html.parser import HTMLParser

import numpy as np
from matplotlib.colors import to_hex


class _Cells(HTMLParser):
    """Collect the text of every <td data-row data-col> of a grid, and its style."""

    def __init__(self):
        super().__init__()
        self.cells, self.styles, self.heads = {}, {}, []
        self._at = None
        self._head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and "data-row" in attrs:
            self._at = (int(attrs["data-row"]), int(attrs["data-col"]))
            self.cells[self._at] = ""
            self.styles[self._at] = attrs.get("style", "")
        self._head = tag == "th"

    def handle_endtag(self, tag):
        self._at = None
        self._head = False

    def handle_data(self, data):
        if self._at is not None:
            self.cells[self._at] += data
        elif self._head and data.strip():
            self.heads.append(data)


def cells_of(html):
    parser = _Cells()
    parser.feed(html)
    return parser


def table(html, name):
    """The <table> of grid `name` (its data-name) in a piece of HTML."""
    start = html.index(f'data-name="{name}"')
    return "<table " + html[start : html.index("</table>", start)] + "</table>"


def grid_html(explorer, name):
    """The HTML of grid `name` as an explorer displays it, in the first panel that has it."""
    for panel in explorer.panels.values():
        if f'data-name="{name}"' in panel.value:
            return table(panel.value, name)
    raise AssertionError(f"no grid {name!r} on screen")


def shown(explorer, name):
    """The texts of grid `name` as displayed: {(row, col): text}."""
    return cells_of(grid_html(explorer, name)).cells


def outlined(explorer, name):
    """The cells of grid `name` marked with the bold outline (a hit, a chosen expert)."""
    styles = cells_of(grid_html(explorer, name)).styles
    return {at for at, style in styles.items() if "outline:3px solid" in style}


def load_tool(name: str):
    """A script of tools/ (not a package) as a module, e.g. `load_tool("worksheet")`."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_labels_drawn_as_modelled(plot, labels, marks):
    """What is drawn is what the labels say: each shown label's text, in its weight and
    colour, centred on its box, and nothing else (the labels themselves are never drawn).
    `labels`: the picture's Annotations; `marks`: the `LabelMarks` drawing them."""
    renderer = plot.figure.canvas.get_renderer()
    drawn = {
        (text, weight, to_hex(colour), tuple(np.round(xy, 6)))
        for glyphs, weight in ((marks.names, "normal"), (marks.bold_names, "bold"))
        for text, xy, colour in zip(
            glyphs.texts,
            glyphs.artist.get_offsets(),
            np.broadcast_to(glyphs.artist.get_facecolors(), (len(glyphs.texts), 4)),
            strict=True,
        )
    }
    placed = set()
    for label in labels:
        assert label.get_animated() and label not in plot._dynamic
        if label.get_visible() and label.get_text():
            box = label.get_window_extent(renderer)
            centre = np.round(((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2), 6)
            text = label.get_text().replace(r"\$", "$")
            placed.add((text, label.get_fontweight(), to_hex(label.get_color()), tuple(centre)))
    assert drawn == placed
    assert len(marks.boxes.get_paths()) == len(placed)
