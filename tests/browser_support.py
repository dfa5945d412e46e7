"""The browser's server: a private JupyterLab, and where to find Chromium and Playwright.

`JupyterLab` runs `python -m jupyterlab` on 127.0.0.1, on a free port, with a fresh
token (token authentication stays on), its own settings, workspaces, runtime and
IPython folders, and a copy of the notebooks as its root, so a run never touches the
repository's notebooks or the user's Jupyter set-up. `stop()` always ends the server
and its kernels, even when it never answered. Driving a page is `browser_page`'s.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
NO_CHROMIUM = (
    "Chromium not found: install it with `sudo apt-get install -y chromium` (Debian, "
    "Ubuntu: `chromium-browser`). Playwright drives that browser; do not run "
    "`playwright install`."
)
NO_PLAYWRIGHT = (
    "Playwright not found: `pip install playwright` (the Python package only; do not run "
    "`playwright install`: the browser is the system's Chromium, "
    "`sudo apt-get install -y chromium`)."
)

# JupyterLab settings, by plugin: no news or update toast, no "Select Kernel" dialog
# (start the notebook's own kernel, python3 otherwise), every cell attached to the
# page (windowing off, so the test can read any cell), no extension manager (it
# would ask PyPI for extensions).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    "@jupyterlab/notebook-extension/tracker": {
        "autoStartDefaultKernel": True,
        "windowingMode": "none",
    },
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def find_chromium() -> str | None:
    """The system's Chromium (Debian's `chromium`), or None."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """Direct child processes of `pid` (the kernels of a server), from /proc on Linux."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = entry.read_text()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (ended, not yet reaped by its new parent) counts as ended.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rfind(")") + 2] != "Z"
    except OSError:
        return True


class JupyterLab:
    """A JupyterLab server of our own, for one test session."""

    def __init__(
        self, notebooks: Path, work: Path, *, app: str = "jupyterlab", settings: dict | None = None
    ):
        # app: "jupyterlab", or "notebook" for Jupyter Notebook 7 (the same front end's
        # parts, pages under /notebooks/PATH); settings: more plugin settings, by plugin.
        self.app = app
        self.settings = {**LAB_SETTINGS, **(settings or {})}
        self.work = Path(work)
        self.root = self.work / "root"
        shutil.copytree(notebooks, self.root)
        self.log_path = self.work / "jupyterlab.log"
        self.token = secrets.token_hex(24)
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._log = None
        self._kernel_pids: set[int] = set()

    # -- addresses ---------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, **query: str) -> str:
        params = "&".join([f"token={self.token}", *(f"{k}={v}" for k, v in query.items())])
        return f"{self.base}/{path.lstrip('/')}?{params}"

    def api(self, path: str, method: str = "GET", timeout: float = 5.0):
        request = urllib.request.Request(
            self.base + path,
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method == "POST" else None,
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- life cycle --------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        settings = self.work / "settings"
        for plugin, values in self.settings.items():
            path = settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=2))
        (self.work / "workspaces").mkdir(exist_ok=True)
        env = dict(os.environ)
        env.update(
            # The kernel spec runs `python`: make it this interpreter.
            PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
            JUPYTER_RUNTIME_DIR=str(self.work / "runtime"),
            JUPYTER_CONFIG_DIR=str(self.work / "config"),
            IPYTHONDIR=str(self.work / "ipython"),
            PYTHONUNBUFFERED="1",
        )
        for attempt in range(3):  # another program may take the free port first
            try:
                self._launch(settings, env, timeout)
                return
            except RuntimeError:
                in_use = "already in use" in self.log_tail().lower()
                self.stop()
                if not in_use or attempt == 2:
                    raise

    def _launch(self, settings: Path, env: dict, timeout: float) -> None:
        self.port = free_port()
        app = "LabApp" if self.app == "jupyterlab" else "JupyterNotebookApp"
        command = [
            sys.executable,
            "-m",
            self.app,
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--{app}.user_settings_dir={settings}",
            f"--{app}.workspaces_dir={self.work / 'workspaces'}",
            # window.jupyterapp: a test runs the front end's own commands ("run all")
            f"--{app}.expose_app_in_browser=True",
            "--MappingKernelManager.default_kernel_name=python3",
        ]
        if self.app == "jupyterlab":  # options Notebook 7 does not know (it refuses them)
            command += [
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly",
            ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        self._log = open(self.log_path, "ab")  # closed by stop()
        self.process = subprocess.Popen(
            command,
            cwd=self.root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, ended as one
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {self.process.returncode} before answering."
                    f"\n--- server log ---\n{self.log_tail()}"
                )
            try:
                self.api("/api/status", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.2)
        raise RuntimeError(
            f"JupyterLab did not answer {self.base}/api/status within {timeout:.0f} s."
            f"\n--- server log ---\n{self.log_tail()}"
        )

    def remember_kernels(self) -> None:
        """Note the kernels' process ids, to end them even if the server cannot."""
        if self.process is not None and self.process.poll() is None:
            self._kernel_pids.update(_children(self.process.pid))

    def __enter__(self) -> JupyterLab:
        """`with JupyterLab(...) as server:` starts it, and stops it however the block ends."""
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """End the server and its kernels: ask, then terminate, then kill."""
        process = self.process
        if process is None:
            return
        self.remember_kernels()
        if process.poll() is None:
            try:  # a clean shutdown also shuts the kernels down
                self.api("/api/shutdown", method="POST", timeout=5)
                process.wait(timeout=10)
            except Exception:  # fall through to signals
                pass
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if process.poll() is not None:
                break
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                pass
        try:  # whatever is left of the process group
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for pid in self._kernel_pids:  # kernels run in sessions of their own
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if not _alive(pid):
                    break
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    break
                for _ in range(30):
                    if not _alive(pid):
                        break
                    time.sleep(0.1)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.process = None
