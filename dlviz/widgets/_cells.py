"""Re-running a notebook cell replaces, and closes, the widgets its last run made.

Without this, every run of `explorer = AttentionExplorer()` or `HandCheck.follow(…)`
leaves the previous explorer or grid alive in the widget registry (and following the
explorer), so a class re-running cells pays for it in memory. JupyterLab and Notebook 7
send the cell's id with each run (`metadata.cellId` of the execute request): widgets
made by a previous run of the same cell are closed when the cell makes a new one.
Where no cell id is sent (a script, nbclient), nothing is closed.
"""

from __future__ import annotations

import weakref

# cell id -> (id of the run that made them, weak references to the widgets)
_made: dict[str, tuple[str, list]] = {}


def current_run() -> tuple[str, str] | None:
    """(cell id, message id) of the cell being run, or None outside a notebook front end."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None:
        return None
    try:
        parent = kernel.get_parent("shell")
    except TypeError:  # older ipykernel: no channel argument
        parent = kernel.get_parent()
    parent = parent or {}
    cell = (parent.get("metadata") or {}).get("cellId")
    run = (parent.get("header") or {}).get("msg_id")
    return (str(cell), str(run)) if cell and run else None


def replaces_last_run(widget) -> None:
    """Note that the current cell made `widget`; close what its previous run made."""
    where = current_run()
    if where is None:
        return
    cell, run = where
    last_run, made = _made.get(cell, (None, []))
    if last_run != run:
        for ref in made:
            old = ref()
            if old is not None:
                old.close()
        made = []
    made.append(weakref.ref(widget))
    _made[cell] = (run, made)
