"""The exported pages (tools/export_html.py) read offline in a real browser (issue 13).

Each notebook is exported, then opened from disk in headless Chromium with every
network request refused: nothing is asked of the network, every formula is drawn as
MathML (a box of some size, not raw $…$), every picture decodes, and the explorers'
and grids' still views are there.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import NOTEBOOK_DIR, ROOT

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"


def _export_tool():
    spec = importlib.util.spec_from_file_location("export_html", ROOT / "tools" / "export_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exported_page_reads_offline(browser, path, tmp_path):
    page_path = _export_tool().export(path, tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    asked = []

    def offline(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            asked.append(url)
            route.abort()

    context.route("**/*", offline)
    try:
        page = context.new_page()
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        found = page.evaluate(
            """() => ({
              maths: [...document.querySelectorAll('math')].map(m => {
                const r = m.getBoundingClientRect(); return [r.width, r.height]; }),
              images: [...document.images].map(i => i.complete && i.naturalWidth > 0),
              still: document.querySelectorAll('.dlviz-static').length,
              rawDollars: [...document.querySelectorAll('.jp-MarkdownOutput')]
                .filter(e => /\\$[^$\\s][^$]*\\$/.test(e.textContent)).length,
            })"""
        )
    finally:
        context.close()
    assert asked == [], f"the page asked the network for {asked}"
    assert found["maths"], "no formula drawn"
    assert all(w > 0 and h > 0 for w, h in found["maths"]), "a formula was not drawn"
    assert found["rawDollars"] == 0, "a formula is left as raw $…$"
    assert found["images"] and all(found["images"]), "a picture did not decode"
    nb = json.loads(path.read_text(encoding="utf-8"))
    widgets = sum(
        WIDGET in out.get("data", {})
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        for out in cell.get("outputs", [])
    )
    assert found["still"] == widgets  # every explorer and grid, as a still view
