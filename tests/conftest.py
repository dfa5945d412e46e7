"""Fixtures shared by the test modules: the sheets' numbers, and the browser's JupyterLab."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dlviz import examples

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
# Tracked files only their own scripts write: the benchmarks' figures and the saved notebooks.
NOT_FOR_TESTS = ("benchmarks/results/*.json", "notebooks/*.ipynb")


def _fingerprints() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): hashlib.sha256(path.read_bytes()).hexdigest()
        for pattern in NOT_FOR_TESTS
        for path in sorted(ROOT.glob(pattern))
    }


@pytest.fixture(scope="session", autouse=True)
def tests_write_only_to_tmp_path():
    """A test writes to its tmp_path, never to the benchmarks' results or the notebooks."""
    before = _fingerprints()
    yield
    after = _fingerprints()
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    assert not changed, (
        f"the test run changed {changed}: tests write only to tmp_path "
        "(benchmarks/*.py write the results, tools/execute_notebooks.py the notebooks)"
    )


def pytest_collection_modifyitems(items):
    """A browser test is a slow test too: `-m "not slow"` leaves Chromium alone."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


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
    with JupyterLab(notebooks, work) as server:
        yield server


@pytest.fixture
def page(browser):
    """A fresh page (see `browser_page.new_page`); `page.problems` lists its errors."""
    from tests.browser_page import new_page

    with new_page(browser) as fresh:
        yield fresh
