"""A try-it grid's verdict as HTML: each answer marked right or wrong, then the hints."""

from __future__ import annotations

import html

from dlviz._table import html_table
from dlviz.checking import Step, Verdict
from dlviz.checking.hints import cell_name

_LOOK = {  # status -> (background, mark, words for a screen reader)
    "right": ("#d9f0d3", "✓", "right"),
    "wrong": ("#f4a582", "✗", "wrong"),
    "unreadable": ("#fee090", "?", "not a number"),
    "empty": ("#f0f0f0", "…", "empty"),
}


_LONGEST = 16  # characters of an answer shown in its cell ("-1234.5678/9" fits)


_ONE_ANSWER = {
    "right": "✓ Right.",
    "wrong": "✗ Not right.",
    "empty": "… Empty: type a number.",
    "unreadable": "? Not readable as a number.",
}


def verdict_html(step: Step, answers, verdict: Verdict) -> str:
    """The learner's answers, each marked right or wrong (colour and a mark), and the hints."""
    n_rows, n_cols = verdict.status.shape

    def cell(i: int, j: int) -> tuple[str, str, str]:
        status = verdict.status[i, j]
        bg, mark, words = _LOOK[status]
        typed = answers[i][j].strip() or " "
        if len(typed) > _LONGEST:  # a runaway answer keeps the grid its width (the note says why)
            typed = typed[: _LONGEST - 1] + "…"
        title = verdict.notes[i][j] or words
        attributes = (
            f' data-status="{status}" title="{html.escape(title)}" '
            f'aria-label="{html.escape(typed)}: {words}"'
        )
        return f"{mark} {typed}", f"color:#000;background:{bg}", attributes

    parts = [
        html_table(
            n_rows, n_cols, cell, rows=step.rows or None, cols=step.cols or None,
            name=f"verdict-{step.key}",
        )
    ]  # fmt: skip
    counts = verdict.counts
    total = verdict.status.size
    if total == 1:  # one answer: "All 1 right" says more than there is
        (status,) = verdict.status.flat
        summary = _ONE_ANSWER[status]
    elif verdict.all_right:
        summary = f"✓ All {total} right."
    else:
        summary = f"{counts['right']} of {total} right"
        if counts["wrong"]:
            summary += f", {counts['wrong']} wrong (✗)"
        if counts["empty"]:
            summary += f", {counts['empty']} empty (…)"
        if counts["unreadable"]:
            summary += f", {counts['unreadable']} not readable as a number (?)"
        summary += "."
    parts.append(
        f'<div data-name="summary-{step.key}" style="margin:4px 0">{html.escape(summary)}</div>'
    )
    problems = [
        f"{cell_name(step, i, j)}: {verdict.notes[i][j]}"
        for i in range(n_rows)
        for j in range(n_cols)
        if verdict.status[i, j] == "unreadable"
    ]
    items = [f"<li>{html.escape(p, quote=False)}</li>" for p in problems]
    for hint in verdict.hints:
        items.append(
            f"<li><b>Hint</b> for {html.escape(hint.where)}: "
            f"{html.escape(hint.text, quote=False)}</li>"
        )
    if items:
        parts.append(
            f'<ul data-name="hints-{step.key}" style="margin:2px 0 0 0">{"".join(items)}</ul>'
        )
    return "".join(parts)
