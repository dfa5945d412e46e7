"""The code and the notebooks pass ruff (settings in pyproject.toml), with the pinned ruff.

ruff is pinned in requirements-test.txt, and .pre-commit-config.yaml runs the same
version, so a new ruff release cannot fail CI or a commit with no code change.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # PyYAML comes with JupyterLab (jupyter_events)

ROOT = Path(__file__).resolve().parent.parent


def pinned_ruff() -> str:
    """The version of ruff pinned in requirements-test.txt."""
    found = re.search(r"^ruff==([\w.]+)", (ROOT / "requirements-test.txt").read_text(), re.M)
    assert found, "requirements-test.txt must pin ruff exactly (ruff==X.Y.Z)"
    return found.group(1)


def pre_commit_hooks() -> dict[str, dict]:
    """Each hook of .pre-commit-config.yaml by id, with its repository's rev beside it."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    return {
        hook["id"]: {**hook, "rev": repo.get("rev"), "repo": repo["repo"]}
        for repo in config["repos"]
        for hook in repo["hooks"]
    }


@pytest.fixture(scope="module")
def ruff():
    # This interpreter's ruff first: the one requirements-test.txt installed.
    path = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if path is None:
        pytest.skip("ruff is not installed: pip install -r requirements-test.txt")
    version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout.split()
    assert version[-1] == pinned_ruff(), (
        f"{path} is ruff {version[-1]}, but requirements-test.txt pins {pinned_ruff()}: "
        "pip install -r requirements-test.txt"
    )
    return path


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff(ruff, command):
    done = subprocess.run([ruff, *command], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_pre_commit_runs_the_pinned_ruff_and_keeps_notebook_outputs():
    hooks = pre_commit_hooks()
    assert hooks["ruff-check"]["rev"] == f"v{pinned_ruff()}"
    assert hooks["ruff-format"]["rev"] == f"v{pinned_ruff()}"
    # The notebooks are committed executed and nbval compares their outputs.
    strip = hooks["nbstripout"]["args"]
    assert {"--keep-output", "--keep-count", "--keep-id"} <= set(strip), strip
    assert {"check-json", "check-added-large-files"} <= set(hooks)
    for hook_id, hook in hooks.items():  # a tag, never a branch that moves
        assert re.fullmatch(r"v?\d+(\.\d+)+", hook["rev"] or ""), (hook_id, hook["rev"])
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    if pre_commit:  # its own check of the file's schema (offline)
        done = subprocess.run(
            [pre_commit, "validate-config", ".pre-commit-config.yaml"],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr


# --- every package imported is declared ------------------------------------------------

OPTIONAL = {"torch", "faiss"}  # optional oracles and benchmark extras: skipped when missing
# This repository's own modules; a script imports its folder's helpers by their bare names
# (benchmarks/_common.py, benchmarks/_bare_cdp.py, tests/browser_support.py,
# tests/browser_page.py).
LOCAL = {
    "dlviz", "tests", "benchmarks", "tools", "browser_support", "browser_page", "_common",
    "_bare_cdp",
}  # fmt: skip


def _requirement_names(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[<>=!~;\[ ]", line)[0].strip().lower().replace("_", "-"))
    return names


def _imported(folder: str) -> dict[str, str]:
    """Top-level modules imported by the .py files under `folder`: {module: first file}."""
    import ast

    found = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return {m: f for m, f in found.items() if m not in sys.stdlib_module_names | LOCAL}


def _undeclared(modules: dict[str, str], declared: set[str]) -> list[str]:
    import importlib.metadata

    providers = importlib.metadata.packages_distributions()
    missing = []
    for module, where in sorted(modules.items()):
        if module in OPTIONAL:
            continue
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        if not dists & declared:
            missing.append(f"{module} (from {sorted(dists) or 'not installed'}), in {where}")
    return missing


def test_dlviz_declares_what_it_imports():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _requirement_names("\n".join(project["dependencies"]))
    missing = _undeclared(_imported("dlviz"), declared)
    assert not missing, f"not in pyproject.toml's dependencies: {missing}"


def test_the_tests_tools_and_benchmarks_declare_what_they_import():
    declared = set()
    for name in ("requirements.txt", "requirements-test.txt"):
        declared |= _requirement_names((ROOT / name).read_text())
    modules = {}
    for folder in ("dlviz", "tests", "tools", "benchmarks"):
        modules.update(_imported(folder))
    missing = _undeclared(modules, declared)
    assert not missing, f"not in requirements.txt or requirements-test.txt: {missing}"
