"""tools/export_html.py: one self-contained page per notebook, maths as MathML, no network."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tests.helpers import load_tool

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


export_html = load_tool("export_html")


def test_inline_and_display_maths_become_mathml():
    table: dict = {}
    text = export_html.protect_maths("Let $S = K^\\top Q$ and $$A_{ij} = 1$$ here.", table)
    assert "$" not in text
    assert len(table) == 2
    (inline, _), (display, _) = table.values()
    assert inline.startswith("<math") and 'display="inline"' in inline
    assert 'display="block"' in display
    assert "<msup>" in inline  # K^\top is a superscript, not the letters "K^"


def test_an_inline_formula_may_run_over_a_line_break_but_not_a_paragraph():
    table: dict = {}
    text = export_html.protect_maths("the loss is $2 \\cdot 3\n= 6$. A $ sign\n\nand $5.", table)
    assert len(table) == 1 and "DLVIZMATH0X. A $ sign" in text


def test_dollars_in_code_and_prices_stay_text():
    table: dict = {}
    source = "Type `$x$` in a code cell; a $5 pen costs $10 here, and \\$ is a dollar."
    assert export_html.protect_maths(source, table) == source
    assert table == {}


def test_a_formula_in_a_heading_is_typeset_once_and_its_anchor_stays_text(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Why $\\sqrt{d_k}$?")])
    path = tmp_path / "heading.ipynb"
    nbformat.write(nb, path)
    page = export_html.export(path, tmp_path).read_text(encoding="utf-8")
    assert page.count("<math") == 1
    assert not re.search(r"<[^>]*<math", page)  # no MathML inside a tag's attribute
    assert "DLVIZMATH" not in page


def test_a_formula_latex2mathml_cannot_read_is_kept_as_code():
    assert export_html.mathml("\\frac{1}{", display=False).startswith("<code>")


@pytest.mark.slow  # converts each whole notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_page_is_self_contained(path, tmp_path):
    page = export_html.export(path, tmp_path).read_text(encoding="utf-8")
    assert "<script" not in page.lower()  # no MathJax, require.js or mermaid from a CDN
    assert not re.search(r"<(?:link|img|iframe|source)\b[^>]*(?:src|href)=\"https?:", page)
    assert "DLVIZMATH" not in page
    # every formula of the markdown is there as MathML, none left as raw $…$
    nb = nbformat.read(path, as_version=4)
    table: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            export_html.protect_maths(cell.source, table)
    assert page.count("<math") == len(table) > 0
    # the pictures travel inside the page
    n_png = sum(
        "image/png" in out.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )
    assert page.count("data:image/png;base64,") >= n_png
