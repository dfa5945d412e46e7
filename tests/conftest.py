"""Fixtures shared by the test modules: the sheets' numbers, and the browser's JupyterLab."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlviz import examples

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"


# --- the exercises ----------------------------------------------------------------


@pytest.fixture
def ex(request):
    """The sheet's numbers (shared/exercises.md) of the exercise the test module is about.

    A module names its exercise once, `EXERCISE = "attention"` (or "vectordb", "moe"),
    and every test of it that takes `ex` gets a fresh copy of that exercise's numbers.
    """
    name = getattr(request.module, "EXERCISE", None)
    if name not in ("attention", "vectordb", "moe"):
        raise LookupError(
            f"{request.module.__name__} takes `ex` but sets no EXERCISE "
            f"('attention', 'vectordb' or 'moe'): got {name!r}"
        )
    return getattr(examples, f"{name}_exercise")()


# --- the browser (tests marked `browser`) ---------------------------------------------


def _unavailable(message: str) -> None:
    """Skip without Chromium or Playwright, but fail in CI, where both must be there."""
    from tests import browser_support

    if browser_support.in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (the system's), for the whole session."""
    from tests.browser_page import BrowserUnavailable, chromium

    try:
        with chromium() as launched:
            yield launched
    except BrowserUnavailable as exc:
        _unavailable(str(exc))


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A JupyterLab server of our own on 127.0.0.1, serving a copy of the notebooks."""
    from tests.browser_support import JupyterLab

    work = tmp_path_factory.mktemp("jupyterlab")
    notebooks = NOTEBOOK_DIR if NOTEBOOK_DIR.is_dir() else work / "empty"
    notebooks.mkdir(exist_ok=True)
    server = JupyterLab(notebooks, work)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser):
    """A fresh page (see `browser_page.new_page`); `page.problems` lists its errors."""
    from tests.browser_page import new_page

    with new_page(browser) as fresh:
        yield fresh
