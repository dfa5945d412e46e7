"""Closing an explorer and everything it holds: its widgets, its figures, the grids that follow it.

`close_tree` closes widgets and every widget inside them. `Closing` gives an explorer
its `close` and `add_follower`: afterwards nothing in the widget registry refers to
it, so it is freed once the notebook's names let go of it.
"""

from __future__ import annotations

import sys

import ipywidgets as widgets


def close_tree(*roots) -> None:
    """Close `roots` and every widget inside them (children, boxes, layouts, styles)."""
    for widget in _descendants(roots):
        widget.close()


def _descendants(roots) -> list:
    """Every widget reachable from `roots` through children, boxes, layouts and styles."""
    seen: dict[int, widgets.Widget] = {}
    todo = list(roots)
    while todo:
        w = todo.pop()
        if not isinstance(w, widgets.Widget) or id(w) in seen:
            continue
        seen[id(w)] = w
        for name in ("children", "boxes"):
            value = getattr(w, name, None) or ()
            for item in value:
                todo.extend(item if isinstance(item, (list, tuple)) else [item])
        for name in ("layout", "style"):
            todo.append(getattr(w, name, None))
    return list(seen.values())


class Closing:
    """The closing half of `Explorer` (a mixin, before `widgets.VBox` in its bases).

    The explorer sets `_followers` (a list) and `_closed` (False) when it is built.
    """

    def add_follower(self, widget) -> None:
        """Close `widget` (a grid that follows this explorer) when the explorer closes."""
        self._followers.append(widget)

    def figures(self) -> list:
        """The live figures the explorer draws (closed with it)."""
        return []

    def close(self) -> None:
        """Close the explorer: its figures, every widget inside it, and the grids that follow it.

        Afterwards nothing refers to it from the widget registry, so it is freed once the
        notebook's names let go of it.
        """
        if getattr(self, "_closed", False):
            return
        if not hasattr(self, "_followers"):  # never finished being built
            super().close()
            return
        self._closed = True
        for follower in self._followers:
            follower.close()
        self._followers.clear()
        # At interpreter shutdown (a widget's __del__ closes it) matplotlib can no longer
        # import what clearing a figure needs; the process frees the figures anyway.
        if not sys.is_finalizing():
            for figure in self.figures():
                figure.close()
        held = []  # widgets kept aside (another view's boxes), in attributes and their lists
        for value in vars(self).values():
            items = value.values() if isinstance(value, dict) else value
            if isinstance(items, (list, tuple)) or isinstance(value, dict):
                for item in items:
                    held.extend(item if isinstance(item, (list, tuple)) else [item])
            else:
                held.append(value)
        for widget in _descendants([*self.children, *self.controls.values(), self.message, *held]):
            if widget is not self:
                widget.close()
        for part in (self.layout, getattr(self, "style", None)):
            if part is not None:
                part.close()
        super().close()
