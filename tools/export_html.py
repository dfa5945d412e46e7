"""Write each notebook as one self-contained HTML page that reads offline.

    python tools/export_html.py OUT_DIR                 # every notebook in notebooks/
    python tools/export_html.py OUT_DIR notebooks/01_self_attention.ipynb

The way to hand a lesson to someone without Jupyter: the page holds the prose, the
code, the grids and the pictures (embedded as data URIs), with every formula turned
into MathML in Python (latex2mathml), which browsers draw natively. Nothing is
loaded from the network: nbconvert's page would fetch MathJax, require.js and
mermaid from a CDN, so its scripts are left out (the saved notebook needs none; the
explorers' static views are plain HTML and pictures).
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import nbformat
from latex2mathml.converter import convert as latex_to_mathml
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent

# Code (fenced blocks and `spans`) is left alone: a $ there is a dollar, not maths.
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
# $$ display $$ first, then $ inline $ (not \$, and not a lone $ before a digit run
# such as "$5 costs $10": inline maths must not start or end with a space). A formula's
# LaTeX can contain a line break: it is one string to latex2mathml.
_MATH = re.compile(
    r"\$\$(.+?)\$\$"  # display
    # inline: may run over a line break, never over a blank line (a new paragraph)
    r"|(?<![\\$])\$(?=\S)((?:[^$\n]|\n(?![ \t]*\n))+?)(?<=[^\s\\])\$(?!\d)",
    re.S,
)
_KEY = re.compile(r"DLVIZMATH\d+X")
_TAG = re.compile(r"<[^<>]*DLVIZMATH\d+X[^<>]*>")
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>\s*", re.S | re.I)


def mathml(latex: str, *, display: bool) -> str:
    """One formula as MathML; if it cannot be converted, the LaTeX itself as code."""
    try:
        return latex_to_mathml(latex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - any failure: show the source rather than lose it
        return f"<code>{latex}</code>"


def protect_maths(source: str, table: dict[str, tuple[str, str]]) -> str:
    """Replace every formula in a markdown text by a placeholder, noting (MathML, LaTeX)."""

    def one(match: re.Match) -> str:
        display, inline = match.groups()
        latex = display if display is not None else inline
        key = f"DLVIZMATH{len(table)}X"
        table[key] = (mathml(latex, display=display is not None), latex.strip())
        return key

    pieces = _CODE.split(source)
    return "".join(p if i % 2 else _MATH.sub(one, p) for i, p in enumerate(pieces))


def export(path: Path, out_dir: Path) -> Path:
    """Write `path` as `out_dir/<name>.html`; returns the page's path."""
    nb = nbformat.read(path, as_version=4)
    table: dict[str, tuple[str, str]] = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = protect_maths(cell.source, table)
    exporter = HTMLExporter(template_name="lab")
    page, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
    page = _SCRIPT.sub("", page)
    # Inside a tag (a heading's id, a link's title) a formula can only be text.
    page = _TAG.sub(
        lambda tag: _KEY.sub(lambda k: html.escape(table[k.group(0)][1]), tag.group(0)), page
    )
    page = _KEY.sub(lambda k: table[k.group(0)][0], page)
    out = out_dir / f"{path.stem}.html"
    out.write_text(page, encoding="utf-8")
    return out


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    notebooks = [Path(p) for p in argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in notebooks:
        out = export(path, out_dir)
        print(f"{path.name} -> {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main(sys.argv[1:])
