"""Key presses timed with no Playwright attached: Chromium over a bare DevTools connection.

Playwright keeps the page's Network domain on, so Chromium copies every WebSocket
frame of the kernel (the pictures too, in base64) to Playwright, which parses it:
on this 2-core machine that costs 20-30 ms of every key press, time a learner's
browser does not spend. `browser_latency.py` therefore opens and drives a notebook
with Playwright, disconnects it (the page stays open), and times the key presses over
a connection of its own that uses Runtime, Input and Emulation only.

`launch` starts the system's Chromium, headless, with a DevTools port on 127.0.0.1;
`press_and_watch` presses keys on one page of it, as `tests/browser_page.py`'s
function of that name does, and returns the same records.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests import browser_page
from tests import browser_support as support

KEY_CODES = {"ArrowRight": 39, "ArrowLeft": 37, "ArrowUp": 38, "ArrowDown": 40}


@contextmanager
def launch() -> Iterator[int]:
    """The system's Chromium, headless, its DevTools on 127.0.0.1; yields the port."""
    executable = support.find_chromium()
    if executable is None:
        raise browser_page.BrowserUnavailable(support.NO_CHROMIUM)
    # Chromium's helper processes may still write to the profile as it goes: a leftover
    # file must not throw away the run's figures.
    with tempfile.TemporaryDirectory(
        prefix="dlviz-chromium-", ignore_cleanup_errors=True
    ) as profile:
        active = Path(profile) / "DevToolsActivePort"
        process = subprocess.Popen(
            [executable, "--headless", "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", f"--user-data-dir={profile}",
             *support.CHROMIUM_ARGS, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not (active.exists() and active.read_text().strip()):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise browser_page.BrowserUnavailable(
                        f"{executable} did not open its DevTools port (exit code {process.poll()})"
                    )
                time.sleep(0.05)
            yield int(active.read_text().split()[0])
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """End Chromium and its helper processes (its own process group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(10)
            return
        except subprocess.TimeoutExpired:
            continue


class _Connection:
    """One DevTools WebSocket, in flat mode: commands to the browser or to one page."""

    def __init__(self, socket):
        self.socket = socket
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future] = {}
        self.session: str | None = None
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while (text := await self.socket.read_message()) is not None:
            message = json.loads(text)
            future = self.waiting.pop(message.get("id"), None)
            if future is not None and not future.done():
                future.set_result(message)
        for future in self.waiting.values():  # the connection closed under a command
            if not future.done():
                future.set_exception(ConnectionError("the DevTools connection closed"))

    async def send(self, method: str, params: dict | None = None, *, page: bool = True):
        number = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.waiting[number] = future
        message = {"id": number, "method": method, "params": params or {}}
        if page and self.session:
            message["sessionId"] = self.session
        await self.socket.write_message(json.dumps(message))
        reply = await asyncio.wait_for(future, 30)
        if "error" in reply:
            raise RuntimeError(f"DevTools {method}: {reply['error']}")
        return reply.get("result", {})

    async def evaluate(self, function: str, *args):
        """`function(*args)` in the page (args as JSON), its promise awaited; its value."""
        expression = f"({function})({', '.join(json.dumps(a) for a in args)})"
        result = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(json.dumps(result["exceptionDetails"])[:2000])
        return result["result"].get("value")


# Finds the explorer (the last on the page) and the probe's slider handle; keeps both
# on `window` for the presses. "ok", or what is wrong.
_FIND = """(label) => {
  const explorer = [...document.querySelectorAll('.dlviz-explorer')].pop();
  if (!explorer) return 'no explorer on the page';
  const slider = [...explorer.querySelectorAll('.widget-slider')].find((s) =>
    [...s.querySelectorAll('label.widget-label')].some((l) => l.textContent.trim() === label));
  if (!slider) return `no slider labelled ${label}`;
  window.__dlvizExplorer = explorer;
  window.__dlvizHandle = slider.querySelector('.noUi-handle');
  return slider.querySelector('.noUi-target').hasAttribute('disabled') ? 'disabled' : 'ok';
}"""


async def _presses(port: int, target: str, probe, presses: int, viewport: dict) -> list[dict]:
    from tornado.websocket import websocket_connect  # JupyterLab's own dependency

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=10) as r:
        address = json.loads(r.read())["webSocketDebuggerUrl"]
    socket = await websocket_connect(address, max_message_size=1 << 26)
    try:
        cdp = _Connection(socket)
        attached = await cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        cdp.session = attached["sessionId"]
        await cdp.send("Emulation.setDeviceMetricsOverride",
                       {**viewport, "deviceScaleFactor": 1, "mobile": False})  # fmt: skip
        deadline = time.monotonic() + 30
        while (found := await cdp.evaluate(_FIND, probe.slider)) != "ok":
            if time.monotonic() > deadline:
                raise AssertionError(f"{probe.slider}: {found}")
            await asyncio.sleep(0.1)
        arm = {"grid": probe.grid, "image": probe.image, "timeout": 10_000}
        arm_latency = browser_page.js("arm_latency")
        records = []
        for i in range(presses):
            key = probe.keys[i % len(probe.keys)]
            await cdp.evaluate("() => window.__dlvizHandle.focus()")
            await cdp.evaluate(f"(arm) => ({arm_latency})(window.__dlvizExplorer, arm)", arm)
            for kind in ("rawKeyDown", "keyUp"):
                await cdp.send("Input.dispatchKeyEvent", {
                    "type": kind, "key": key, "code": key,
                    "windowsVirtualKeyCode": KEY_CODES[key], "nativeVirtualKeyCode": KEY_CODES[key],
                })  # fmt: skip
            record = await cdp.evaluate("() => window.__dlvizLatency")
            assert record["grid"] is not None, (
                f"{key} on the {probe.slider} slider did not change table[data-name="
                f"{probe.grid!r}] within 10 s"
            )
            assert not probe.image or record["src"] is not None, (
                f"{key} on the {probe.slider} slider did not change the picture {probe.image}"
            )
            records.append(record)
        await cdp.send("Emulation.clearDeviceMetricsOverride")
        await cdp.send("Target.detachFromTarget", {"sessionId": cdp.session}, page=False)
        return records
    finally:
        socket.close()


def press_and_watch(port: int, target: str, probe, presses: int, viewport: dict) -> list[dict]:
    """`presses` key presses on the probe's slider in page `target` (a DevTools target
    id); each must change the probe's grid (and picture). The records of
    `tests/browser_page.press_and_watch`: ms after the key press."""
    return asyncio.run(_presses(port, target, probe, presses, viewport))
