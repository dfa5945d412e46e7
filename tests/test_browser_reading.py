"""Read it anywhere (issue 13), in a real browser: the saved notebooks unrun, the dark
theme, and Jupyter Notebook 7.

- **Unrun.** Each saved notebook opened in JupyterLab *before* running it: every
  explorer and try-it grid shows its still view (dlviz/widgets/static.py), never a
  bare `AttentionExplorer(...)` line or "Error displaying widget".
- **Dark theme.** In JupyterLab Dark every piece of text of every output (grids,
  still views) and, after *Run All*, of every explorer and try-it grid has at least
  4.5:1 contrast (WCAG AA) against what is drawn behind it (`js/contrast.js`).
- **Notebook 7.** Each notebook runs top to bottom in Jupyter Notebook 7 without an
  error, and a slider of its explorer moved by keyboard changes the numbers on the page.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from tests import browser_page as bp
from tests.conftest import NOTEBOOK_DIR

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
WIDGET = "application/vnd.jupyter.widget-view+json"
WCAG_AA = 4.5
DARK = {"@jupyterlab/apputils-extension/themes": {"theme": "JupyterLab Dark"}}


def widget_reprs(path) -> list[str]:
    """The text/plain of every widget output saved in the notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [
        "".join(out["data"]["text/plain"])
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        for out in cell.get("outputs", [])
        if WIDGET in out.get("data", {})
    ]


def server(tmp_path_factory, name: str, **options):
    from tests.browser_support import JupyterLab

    return JupyterLab(NOTEBOOK_DIR, tmp_path_factory.mktemp(name), **options)


@pytest.fixture(scope="module")
def dark_lab(tmp_path_factory):
    with server(tmp_path_factory, "jupyterlab-dark", settings=DARK) as lab:
        yield lab


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory):
    with server(tmp_path_factory, "notebook7", app="notebook") as lab:
        yield lab


def open_unrun(page, lab, path) -> None:
    """Open the saved notebook in JupyterLab and wait until its outputs are drawn."""
    page.goto(lab.url(f"lab/tree/{path.name}", reset=""))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator")
    page.wait_for_selector(".jp-OutputArea-output")
    n = len(widget_reprs(path))
    bp.wait_until(
        lambda: page.locator(".dlviz-static").count() >= n,
        timeout=30,
        what=f"{n} still views in {path.name}",
    )


def low_contrast(page, selector: str) -> dict:
    return page.evaluate(bp.js("contrast"), {"selector": selector, "minimum": WCAG_AA})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_saved_notebook_shows_still_views_before_it_runs(page, lab, path):
    reprs = widget_reprs(path)
    assert reprs, f"{path.name} saves no explorer or try-it grid"
    open_unrun(page, lab, path)
    views = page.locator(".dlviz-static")
    assert views.count() == len(reprs)
    for i in range(views.count()):
        text = views.nth(i).inner_text()
        assert "Run All Cells" in text, text[:200]
    outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
    bare = [t for t in outputs if t.strip() in {r.strip() for r in reprs}]
    assert not bare, f"{path.name}: widget outputs shown as a bare line: {bare}"
    assert page.get_by_text("Error displaying widget").count() == 0
    assert page.locator(".dlviz-static img").count() >= 1  # the explorer's pictures


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_dark_theme_keeps_every_number_and_label_readable(page, dark_lab, path, tmp_path):
    open_unrun(page, dark_lab, path)
    assert page.evaluate("() => document.body.dataset.jpThemeLight") == "false"
    unrun = low_contrast(page, ".jp-OutputArea-output")
    assert unrun["checked"] > 100, unrun
    assert not unrun["failures"], f"{path.name}, saved outputs, dark theme: {unrun['failures']}"

    bp.wait_for_kernel(page, dark_lab, path.name)
    bp.run_all(page, dark_lab, path.name, bp.code_cells(path))
    live = low_contrast(page, ".dlviz-explorer, .dlviz-handcheck")
    assert live["checked"] > 50, live
    assert not live["failures"], f"{path.name}, live widgets, dark theme: {live['failures']}"
    # A chosen toggle button is marked by more than its shade (1.4:1 against the others in
    # JupyterLab Dark): underlined in the theme's blue; and its words fit (bold, "by hand ✓"
    # was cut to "by han…").
    chosen = page.evaluate(
        "() => [...document.querySelectorAll('.dlviz-explorer .widget-toggle-buttons "
        ".mod-active')].filter((b) => b.getClientRects().length).map((b) => ({"
        "text: b.textContent.trim(), shadow: getComputedStyle(b).boxShadow,"
        " cut: b.scrollWidth > b.clientWidth + 1}))"
    )
    assert chosen, f"{path.name}: no toggle button shown"
    unmarked = [c for c in chosen if "inset" not in c["shadow"]]
    assert not unmarked, f"{path.name}: chosen buttons marked by their shade only: {unmarked}"
    cut = [c["text"] for c in chosen if c["cut"]]
    assert not cut, f"{path.name}: chosen buttons whose words do not fit: {cut}"
    explorer = page.locator(bp.EXPLORER).last
    explorer.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / f"dark_{path.stem}.png"))


def run_all_notebook7(page, lab, path) -> None:
    """Run every cell in Notebook 7 (its own "run all" command); fail on any error."""
    sources = bp.code_cells(path)
    page.goto(lab.url(f"notebooks/{path.name}"))
    page.wait_for_selector(".jp-Notebook")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
    prompts_js = (
        "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
        ".map(e => e.textContent.trim())"
    )

    def kernel_idle() -> bool:
        sessions = lab.api("/api/sessions")
        kernel = next((s["kernel"] for s in sessions if s.get("path") == path.name), None)
        return bool(kernel) and kernel["execution_state"] == "idle" and kernel["connections"]

    bp.wait_until(kernel_idle, bp.KERNEL_TIMEOUT, f"the kernel of {path.name} in Notebook 7")
    time.sleep(0.5)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def finished():
        prompts = page.evaluate(prompts_js)
        done = len(prompts) == len(sources) and all(re.fullmatch(r"\[\d+\]:?", p) for p in prompts)
        return done and kernel_idle()

    bp.wait_until(finished, bp.RUN_ALL_TIMEOUT, f"every cell of {path.name} in Notebook 7")
    failures = [o for o in page.evaluate(bp.js("stderr")) if "Traceback" in o["text"]]
    assert not failures, f"{path.name} in Notebook 7: {failures[0]['text'][:3000]}"
    assert page.get_by_text("Error displaying widget").count() == 0


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_and_responds_in_notebook7(page, notebook7, path):
    run_all_notebook7(page, notebook7, path)
    explorer = page.locator(bp.EXPLORER).last
    explorer.scroll_into_view_if_needed()
    tables = explorer.locator("table[data-name]")
    bp.wait_until(lambda: tables.count() > 0, 30, "the explorer's grids")
    before = tables.all_inner_texts()

    def numbers_changed() -> bool:
        try:
            bp.wait_until(lambda: tables.all_inner_texts() != before, timeout=5, what="numbers")
        except AssertionError:
            return False
        return True

    # The first slider whose move changes a number: press →, or ← ← at the slider's end.
    handles = explorer.locator(".widget-slider .noUi-handle")
    moved = []
    for i in range(handles.count()):
        handle = handles.nth(i)
        if not handle.is_visible():
            continue
        handle.focus()
        page.keyboard.press("ArrowRight")
        if not numbers_changed():
            page.keyboard.press("ArrowLeft")
            page.keyboard.press("ArrowLeft")
            if not numbers_changed():
                continue
        moved.append(i)
        break
    assert moved, f"{path.name} in Notebook 7: no slider of the explorer changed its numbers"
    assert explorer.locator('[role="alert"]').count() == 0
