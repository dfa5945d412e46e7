"""Driving a notebook in JupyterLab from Playwright: open it, run it, read and move its explorer.

Shared by the browser test (`tests/test_browser.py`, which asserts) and the browser
benchmark (`benchmarks/browser_latency.py`, which times): one way to open a notebook,
run every cell, read a grid, find a slider and watch a key press change the page.
The JavaScript run in the page lives in `tests/js/*.js`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from tests import browser_support as support

JS_DIR = Path(__file__).resolve().parent / "js"
VIEWPORT = {"width": 1280, "height": 900}
KERNEL_TIMEOUT = 60.0  # s: a kernel start on a slow machine
RUN_ALL_TIMEOUT = 120.0  # s: every cell of one notebook
STEP_TIMEOUT = 30_000  # ms: one expectation on the page

# The live explorer, after "Run All" (dlviz's explorers carry this class).
EXPLORER = ".dlviz-explorer"


class BrowserUnavailable(RuntimeError):
    """Chromium or Playwright is missing; the message says how to install it."""


@cache
def js(name: str) -> str:
    """The JavaScript of `tests/js/<name>.js`, without its leading // comment lines."""
    lines = (JS_DIR / f"{name}.js").read_text(encoding="utf-8").splitlines()
    while lines and lines[0].startswith("//"):
        lines.pop(0)
    return "\n".join(lines) + "\n"


# --- the browser ----------------------------------------------------------------


@contextmanager
def chromium() -> Iterator:
    """The system's Chromium, headless, driven by Playwright (raises BrowserUnavailable)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BrowserUnavailable(support.NO_PLAYWRIGHT) from None
    executable = support.find_chromium()
    if executable is None:
        raise BrowserUnavailable(support.NO_CHROMIUM)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=support.CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_page(browser) -> Iterator:
    """A fresh page with the WebSocket spy installed; `page.problems` collects its errors."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(js("websocket_spy"))
    context.set_default_timeout(STEP_TIMEOUT)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda m: m.type == "error" and problems.append(f"console error: {m.text[:500]}"),
    )
    page.problems = problems
    try:
        yield page
    finally:
        context.close()


# --- reading and waiting on the page -------------------------------------------


def read_grid(explorer, name: str):
    """The numbers of the explorer's first `table[data-name=name]`, as text, by row."""
    return explorer.evaluate(js("read_grid"), name)


def expect_grid(page, explorer, name: str, expected, timeout: int = STEP_TIMEOUT) -> None:
    """Wait until the grid shows `expected` (text of each cell); fail with both if not."""
    try:
        page.wait_for_function(
            f"([root, name, expected]) => JSON.stringify(({js('read_grid')})(root, name))"
            " === JSON.stringify(expected)",
            arg=[explorer.element_handle(), name, expected],
            timeout=timeout,
        )
    except Exception as exc:  # Playwright's TimeoutError
        shown = read_grid(explorer, name)
        raise AssertionError(
            f"table[data-name={name!r}] shows\n{shown}\nexpected\n{expected}"
        ) from exc


def slider(explorer, label: str):
    return explorer.locator(".widget-slider").filter(
        has=explorer.page.locator(
            "label.widget-label", has_text=re.compile(rf"^{re.escape(label)}$")
        )
    )


def slider_handle(explorer, label: str):
    return slider(explorer, label).locator(".noUi-handle")


def slider_readout(explorer, label: str) -> str:
    return slider(explorer, label).locator(".widget-readout").text_content().strip()


def wait_enabled(page, handle) -> None:
    page.wait_for_function(
        "h => !h.closest('.noUi-target').hasAttribute('disabled')",
        arg=handle.element_handle(),
        timeout=STEP_TIMEOUT,
    )


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- the notebook as a whole ----------------------------------------------------


def code_cells(path: Path) -> list[str]:
    """The source of each code cell of the notebook file, in order."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    sources = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            source = cell["source"]
            sources.append("".join(source) if isinstance(source, list) else source)
    return sources


def wait_for_kernel(page, lab, name: str, timeout: float = KERNEL_TIMEOUT) -> None:
    """Wait until the notebook's kernel is connected and idle, as the page and the server see it.

    The page alone is not enough: its indicator can read "idle" for a moment before
    the kernel's WebSocket is up, and a "Run All" then is lost. So: idle on the page,
    idle with a connection on the server, and both for half a second.
    """
    deadline = time.monotonic() + timeout
    since = None
    state = {}
    while True:
        ui = page.evaluate(js("kernel_ui"))
        kernel = next(
            (s["kernel"] for s in lab.api("/api/sessions") if s.get("path") == name), None
        )
        state = {"page": ui, "server": kernel}
        ready = (
            ui["indicator"] == "idle"
            and ui["bar"].endswith("| Idle")
            and kernel is not None
            and kernel.get("execution_state") == "idle"
            and kernel.get("connections", 0) >= 1
        )
        now = time.monotonic()
        since = (since or now) if ready else None
        if since is not None and now - since >= 0.5:
            lab.remember_kernels()
            return
        if now > deadline:
            raise AssertionError(
                f"the kernel of {name} was not ready within {timeout:.0f} s: {state}"
                f"\n--- server log ---\n{lab.log_tail()}"
            )
        time.sleep(0.1)


def run_all(page, lab, name: str, sources: list[str]) -> float:
    """Run → Run All Cells; wait until every cell has run; fail on any error. Returns seconds."""
    started = time.monotonic()
    for attempt in (1, 2):
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        # Enabled once the notebook is the current document.
        page.locator(
            '#jp-mainmenu-run li[data-command="runmenu:run-all"]:not(.lm-mod-disabled)'
        ).click()
        try:  # a queued cell shows [*], a finished one its number
            wait_until(
                lambda: any(
                    re.fullmatch(r"\[(\*|\d+)\]:?", p) for p in page.evaluate(js("prompts"))
                ),
                timeout=15,
                what="the first cell to start",
            )
            break
        except AssertionError:
            if attempt == 2:
                raise
            print(f"\n[browser] {name}: Run All did not start any cell; trying once more")
            wait_for_kernel(page, lab, name)

    def finished():
        prompts = page.evaluate(js("prompts"))
        ui = page.evaluate(js("kernel_ui"))
        return not any("*" in p for p in prompts) and ui["indicator"] == "idle" and prompts

    prompts = wait_until(finished, RUN_ALL_TIMEOUT, f"every cell of {name} to finish")
    seconds = time.monotonic() - started

    failures = [o for o in page.evaluate(js("stderr")) if "Traceback" in o["text"]]
    if failures:
        raise AssertionError(
            "\n\n".join(
                f"{name}: cell {f['cell']} (counting every cell) raised an error:\n"
                f"{f['text'][:3000]}"
                for f in failures
            )
        )
    widget_errors = page.evaluate(js("widget_errors"))
    assert not widget_errors, f"{name}: a widget failed to show: {widget_errors}"
    assert len(prompts) == len(sources), (
        f"{name}: the page shows {len(prompts)} code cells, the file has {len(sources)}"
    )
    not_run = [
        i + 1
        for i, (prompt, source) in enumerate(zip(prompts, sources, strict=True))
        if source.strip() and not re.fullmatch(r"\[\d+\]:?", prompt)
    ]
    assert not not_run, f"{name}: code cells {not_run} did not run (prompts: {prompts})"
    return seconds


def open_and_run(page, lab, path: Path) -> float:
    """Open the notebook at `path` in JupyterLab and run every cell; returns seconds."""
    assert path.is_file(), f"{path} is missing"
    sources = code_cells(path)
    page.goto(lab.url(f"lab/tree/{path.name}", reset=""))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator")
    wait_for_kernel(page, lab, path.name)
    if page.locator("#jp-left-stack").is_visible():  # room for the notebook
        page.keyboard.press("Control+b")
    seconds = run_all(page, lab, path.name, sources)
    print(f"\n[browser] {path.name}: all {len(sources)} code cells ran in {seconds:.1f} s")
    return seconds


# --- key presses ----------------------------------------------------------------


def press_and_watch(page, explorer, probe, presses: int) -> list[dict]:
    """Press the probe's keys `presses` times; each must change its grid (and picture).

    Returns, for each press, what `js/arm_latency.js` saw: the times in ms after the
    key press at which the grid's text changed, was painted, the picture's source
    changed and it had loaded, and the kernel messages in between.
    """
    handle = slider_handle(explorer, probe.slider)
    wait_enabled(page, handle)
    arm = {"grid": probe.grid, "image": probe.image, "timeout": 10_000}
    records = []
    for i in range(presses):
        key = probe.keys[i % len(probe.keys)]
        before = read_grid(explorer, probe.grid)
        handle.focus()
        explorer.evaluate(js("arm_latency"), arm)
        page.keyboard.press(key)
        r = page.evaluate("window.__dlvizLatency")
        assert r["grid"] is not None, (
            f"{key} on the {probe.slider} slider did not change table[data-name="
            f"{probe.grid!r}] within 10 s (it shows {before})"
        )
        if probe.image:
            assert r["src"] is not None, (
                f"{key} on the {probe.slider} slider did not change the picture {probe.image}"
            )
        records.append(r)
    return records
