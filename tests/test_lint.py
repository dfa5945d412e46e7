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
