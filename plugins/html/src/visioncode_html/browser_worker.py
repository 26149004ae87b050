"""Child side of the HTML plugin: `python -m visioncode_html.browser_worker`.

Started by `visioncode.Worker` (own session, no credentials, a private network namespace
where the machine has one) and kept warm: Playwright is imported and Chromium launched
once. For the browser the job is the page: every job gets a browser context that no
earlier job touched (no cookies, storage, caches, service workers or JavaScript state
shared between samples) and one page in it. A request:

    {"html": "/abs/page.html", "out_dir": "/abs/dir", "width": 800, "height": 600,
     "scale": 1.0, "full_page": false, "background": "#ffffff" | null,
     "actions": [{"type": "click", "selector": "#ok"}, ...],
     "shots": "all" | "last" | "none",
     "dom": true, "collect": true, "timeout_s": 20, "memory_mb": 2048,
     "content_type": "text/html; charset=utf-8",
     "frames": null | N, "fps": null | F,
     "network_idle_ms": 0, "action_timeout_ms": 3000,
     "pool": true, "capture": "cdp" | "playwright"}

is answered with `{"ok": true, "status": "ok" | "timeout" | "memory" | "crashed" |
"load_error" | "action_error", "reason": ..., "steps": [...], "console": [...],
"page_errors": [...], "blocked": [...], "dialogs": [...], "popups": [...],
"downloads": [...], "version": ..., "restarted": bool}`. Step 0 is the page as loaded;
step i the page after action i. A step has its screenshot and DOM snapshot paths, the
interactive elements and text blocks with boxes in image pixels, the URL and scroll.
With `frames` (and `fps`, default 30) the answer also has `frames` (PNG paths, frame k
showing the page at exactly k/fps seconds, see `ANIMATION_INIT_SCRIPT`),
`frame_times_s` and `clock` (timer callbacks run and dropped, animations seeked).

Speed (what makes small pages cost tens of milliseconds, not hundreds):

- **A pool of prepared contexts.** Playwright runs on an asyncio loop in its own thread;
  while a job runs and between jobs, the loop prepares the next context (context, page,
  routes, init script, DevTools session), so a job starts on a page that is ready. A
  prepared context is used by one job only and closed after it, in the background.
- **Settle rule.** Every request but the page itself is aborted at once, so nothing is
  waited for after `load` but the requests still in flight (their aborts), the fonts and
  two frames; there is no network-idle window (`network_idle_ms`, default 0).
- **Screenshot without re-encode.** The PNG Chromium encodes (`Page.captureScreenshot`,
  fast compression) is written as it comes; Playwright's `page.screenshot` adds
  round trips for its options (caret, animations) that the init script already covers.
  `full_page` still goes through Playwright.

Blocking, in this process: every request goes through interception, which serves the
page's own URL from the file and aborts everything else (recorded in `blocked`);
WebSockets are routed and closed before any connection is made (interception alone does
not see them); service workers and downloads are refused; dialogs are dismissed and
popups closed, each recorded. Outside it, the launch flags in `chromium.py` and the
sandbox's network namespace.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from playwright.async_api import (
    Browser,
    BrowserContext,
    CDPSession,
    ConsoleMessage,
    Dialog,
    Download,
    Page,
    Playwright,
    Route,
    WebSocketRoute,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from visioncode import serve

from .chromium import PAGE_URL, executable, launch_args, write_fontconfig
from .page_scripts import (
    ANIMATION_INIT_SCRIPT,
    CSS_COLOUR_TO_RGBA,
    DOM_SNAPSHOT,
    INIT_SCRIPT,
    INTERACTIVE,
    SCROLL,
    SEEK,
    SETTLE_FRAMES,
    SETTLE_STILL,
    TEXT_BLOCKS,
)
from .watchdog import Watchdog

#: Grace after a job's own deadline before the watchdog kills the browser (Playwright's
#: own timeouts answer first when they can: their messages are more precise).
GRACE_S = 2.0
MAX_RECORDED = 100  # console messages, blocked requests, dialogs, ... kept per job
MAX_TEXT = 500  # characters kept of each
MAX_CONSOLE_BYTES = 64 * 1024
MAX_ELEMENTS = 500
#: Prepared contexts kept per kind (one is enough: it is made while the job before it runs).
POOL_SIZE = 1
#: The most frames one job may capture.
MAX_FRAMES = 3600
_LOCAL = re.compile(r"(?:Not allowed to load local resource:|cannot load) (file:\S+?)\.?(?=\s|$)")
_LINE = re.compile(re.escape(PAGE_URL) + r"[^\s:]*:(\d+):(\d+)")
T = TypeVar("T")


class JobLog:
    """What a page did besides rendering: recorded, capped, never trusted."""

    def __init__(self) -> None:
        self.console: list[dict[str, str]] = []
        self.console_dropped = 0
        self.console_bytes = 0
        self.page_errors: list[dict[str, Any]] = []
        self.blocked: list[dict[str, str]] = []
        self.blocked_count = 0
        self.dialogs: list[dict[str, str]] = []
        self.opened: list[str] = []
        self.popup_urls: list[str] = []
        self.downloads: list[str] = []
        self.popup_pages: list[Page] = []
        self.crashed = False
        self.inflight = 0

    def add(self, bucket: list[Any], item: Any) -> None:
        if len(bucket) < MAX_RECORDED:
            bucket.append(item)

    def block(self, url: str, kind: str) -> None:
        """Count a blocked attempt; list each (URL, kind) once (a page re-requests a
        failed image at every repaint)."""
        self.blocked_count += 1
        entry = {"url": url[:MAX_TEXT], "type": kind}
        if entry not in self.blocked:
            self.add(self.blocked, entry)

    def on_console(self, msg: ConsoleMessage) -> None:
        text = msg.text[:MAX_TEXT]
        # Chromium refuses file:// (and other local schemes) from the page's http origin
        # before any request exists, so interception never sees it: its console message
        # is the record.
        local = _LOCAL.search(text)
        if local:
            self.block(local.group(1), "local file")
        if len(self.console) >= MAX_RECORDED or self.console_bytes > MAX_CONSOLE_BYTES:
            self.console_dropped += 1
            return
        self.console_bytes += len(text)
        self.console.append({"type": msg.type, "text": text})

    def on_page_error(self, error: PlaywrightError) -> None:
        stack = error.stack or ""
        m = _LINE.search(stack)
        self.add(self.page_errors, {"message": (error.message or str(error))[:MAX_TEXT],
                                    "line": int(m.group(1)) if m else None,
                                    "stack": stack[:2000]})

    async def on_dialog(self, dialog: Dialog) -> None:
        self.add(self.dialogs, {"type": dialog.type, "message": dialog.message[:MAX_TEXT]})
        with contextlib.suppress(PlaywrightError):
            await dialog.dismiss()

    def on_window_open(self, url: str) -> None:
        self.add(self.opened, url[:MAX_TEXT])

    @property
    def popups(self) -> list[str]:
        """The popups, by whichever saw more of them: window.open as it was called, or
        the pages that appeared (and were closed)."""
        return self.opened if len(self.opened) >= len(self.popup_urls) else self.popup_urls

    async def on_popup(self, page: Page) -> None:
        if any(seen is page for seen in self.popup_pages):
            return
        self.popup_pages.append(page)
        self.add(self.popup_urls, page.url[:MAX_TEXT])
        with contextlib.suppress(PlaywrightError):
            await page.close()

    async def on_download(self, download: Download) -> None:
        self.add(self.downloads, f"{download.suggested_filename[:200]} from "
                                 f"{download.url[:MAX_TEXT]}")
        with contextlib.suppress(PlaywrightError):
            await download.cancel()

    def on_crash(self, _page: Page) -> None:
        self.crashed = True


@dataclass
class Prepared:
    """A context made ahead for one job: its page (about:blank), DevTools session, and
    the slot its routes and event handlers read the job from."""

    key: tuple[Any, ...]
    ctx: BrowserContext
    page: Page
    cdp: CDPSession
    viewport: tuple[int, int]
    job: dict[str, Any] = field(default_factory=dict)  # html, content_type, log

    @property
    def log(self) -> JobLog | None:
        return self.job.get("log")


def _pool_key(req: dict[str, Any]) -> tuple[Any, ...]:
    """What a context is made with and a job cannot change later: the device scale
    factor, and whether the page's clocks are virtual (frames) or real (still)."""
    return (float(req.get("scale", 1.0)), bool(req.get("frames")))


class BrowserSession:
    """Playwright and one Chromium, launched once and relaunched when the browser died
    (crash, or killed by the watchdog), and the pool of prepared contexts. Everything
    here runs on the session's event loop."""

    def __init__(self, playwright: Playwright) -> None:
        self.playwright = playwright
        self.browser: Browser | None = None
        self.launches = 0
        self.watchdog = Watchdog()
        self.pool: dict[tuple[Any, ...], list[Prepared]] = {}
        self.filling: dict[tuple[Any, ...], asyncio.Task[None]] = {}
        self.closing: set[asyncio.Task[None]] = set()

    @staticmethod
    def prepare_environment() -> None:
        """Everything the browser writes (profile, caches, fontconfig cache, Playwright's
        temporary profiles) goes under the worker's own folder, which the framework
        removes when it stops the worker, even after a kill."""
        home = Path(tempfile.mkdtemp(prefix="chromium-", dir=os.getcwd()))
        (home / "tmp").mkdir()
        os.environ["TMPDIR"] = str(home / "tmp")
        tempfile.tempdir = None
        os.environ["FONTCONFIG_FILE"] = str(write_fontconfig(home / "fontconfig"))
        os.environ["HOME"] = str(home)
        os.environ["XDG_CONFIG_HOME"] = str(home / "config")
        os.environ["XDG_CACHE_HOME"] = str(home / "cache")
        os.environ.pop("DISPLAY", None)

    async def ensure(self) -> tuple[Browser, bool]:
        """The browser, launching a new one if there is none or it died."""
        if self.browser is not None and self.browser.is_connected():
            return self.browser, False
        self.pool.clear()
        self.browser = await self.playwright.chromium.launch(
            executable_path=executable(), args=launch_args(), headless=True,
            chromium_sandbox=False, handle_sigint=False, handle_sigterm=False,
            handle_sighup=False, timeout=60_000,
        )
        self.launches += 1
        return self.browser, self.launches > 1

    @property
    def version(self) -> str:
        return f"Chromium {self.browser.version}" if self.browser else "Chromium"

    async def discard(self) -> None:
        """Forget the current browser (after the watchdog killed it, or a crash) and the
        contexts prepared in it."""
        browser, self.browser = self.browser, None
        self.pool.clear()
        for task in self.filling.values():
            task.cancel()
        self.filling.clear()
        if browser is not None:
            with contextlib.suppress(PlaywrightError, asyncio.TimeoutError):
                await asyncio.wait_for(browser.close(), 10)

    # -- the pool ---------------------------------------------------------------------

    async def _prepare(self, browser: Browser, key: tuple[Any, ...],
                       viewport: tuple[int, int]) -> Prepared:
        scale, frames = key
        ctx = await browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            device_scale_factor=scale, accept_downloads=False, service_workers="block",
            java_script_enabled=True, color_scheme="light",
            reduced_motion="no-preference" if frames else "reduce",
            locale="en-US", timezone_id="UTC",
        )
        await ctx.add_init_script(ANIMATION_INIT_SCRIPT if frames else INIT_SCRIPT)
        prep_job: dict[str, Any] = {}

        async def route(route: Route) -> None:
            request = route.request
            html = prep_job.get("html")
            if request.url == PAGE_URL and html is not None and request.method in ("GET",
                                                                                   "POST"):
                await route.fulfill(status=200, body=html,
                                    headers={"content-type": prep_job["content_type"]})
                return
            log = prep_job.get("log")
            if log is not None:
                log.block(request.url, request.resource_type)
            await route.abort("blockedbyclient")

        async def websocket(ws: WebSocketRoute) -> None:
            # Never connect_to_server(): the socket is answered here and closed.
            log = prep_job.get("log")
            if log is not None:
                log.block(ws.url, "websocket")
            await ws.close(code=1008, reason="network is blocked")

        await ctx.route("**/*", route)
        await ctx.route_web_socket(re.compile(r".*"), websocket)
        page = await ctx.new_page()
        cdp = await ctx.new_cdp_session(page)
        # window.open is announced here as it happens; the context's "page" event for
        # the popup can come after a fast job has ended.
        await cdp.send("Page.enable")
        cdp.on("Page.windowOpen", lambda event: (
            prep_job["log"].on_window_open(str(event.get("url", "")))
            if prep_job.get("log") is not None else None))
        prepared = Prepared(key, ctx, page, cdp, viewport, prep_job)
        _listen(prepared)
        return prepared

    async def take(self, req: dict[str, Any], log: JobLog) -> tuple[Prepared, bool]:
        """A context for this job (a prepared one when the pool has it), and whether the
        browser was relaunched for it. The pool is refilled in the background."""
        browser, restarted = await self.ensure()
        key = _pool_key(req)
        viewport = (int(req["width"]), int(req["height"]))
        use_pool = bool(req.get("pool", True))
        ready = self.pool.get(key) or []
        prepared = ready.pop(0) if ready and use_pool else None
        if prepared is None:
            filling = self.filling.get(key)
            if use_pool and filling is not None and not filling.done():
                with contextlib.suppress(Exception):
                    await filling  # nearly ready: cheaper than making another
                ready = self.pool.get(key) or []
                prepared = ready.pop(0) if ready else None
        prepared_ahead = prepared is not None
        if prepared is None:
            prepared = await self._prepare(browser, key, viewport)
        prepared.job["prepared_ahead"] = prepared_ahead
        prepared.job.update(html=Path(req["html"]).read_bytes(), log=log,
                            content_type=req.get("content_type",
                                                 "text/html; charset=utf-8"))
        if prepared.viewport != viewport:
            await prepared.page.set_viewport_size({"width": viewport[0],
                                                   "height": viewport[1]})
        return prepared, restarted

    def refill(self, req: dict[str, Any]) -> None:
        """Start preparing the next job's context, after this job's answer is made (so
        the making does not compete with the job), while the host reads the answer and
        sends the next request."""
        browser = self.browser
        if not req.get("pool", True) or browser is None or not browser.is_connected():
            return
        key = _pool_key(req)
        viewport = (int(req["width"]), int(req["height"]))
        if len(self.pool.get(key) or []) >= POOL_SIZE:
            return
        running = self.filling.get(key)
        if running is not None and not running.done():
            return

        async def fill() -> None:
            with contextlib.suppress(PlaywrightError, OSError):
                prepared = await self._prepare(browser, key, viewport)
                if self.browser is browser and browser.is_connected():
                    self.pool.setdefault(key, []).append(prepared)
                else:
                    self.release(prepared)

        self.filling[key] = asyncio.get_running_loop().create_task(fill())

    def release(self, prepared: Prepared) -> None:
        """Close a used context without making the job wait for it."""
        async def close() -> None:
            with contextlib.suppress(PlaywrightError, asyncio.TimeoutError):
                await asyncio.wait_for(prepared.ctx.close(), 30)

        task = asyncio.get_running_loop().create_task(close())
        self.closing.add(task)
        task.add_done_callback(self.closing.discard)


def _listen(p: Prepared) -> None:
    """Route the page's events to the log of whichever job holds the context."""
    def on(fn: Callable[[JobLog, Any], Any]) -> Callable[[Any], Any]:
        def handler(arg: Any) -> Any:
            # Between jobs a throwaway log: a dialog, popup or download is still
            # dismissed, closed or cancelled, only not recorded.
            return fn(p.log or JobLog(), arg)
        return handler

    page = p.page
    page.on("console", on(lambda log, m: log.on_console(m)))
    page.on("pageerror", on(lambda log, e: log.on_page_error(e)))
    page.on("dialog", on(_dialog))
    page.on("download", on(lambda log, d: log.on_download(d)))
    page.on("crash", on(lambda log, pg: log.on_crash(pg)))
    page.on("request", on(lambda log, _r: setattr(log, "inflight", log.inflight + 1)))
    page.on("requestfinished", on(lambda log, _r: setattr(log, "inflight",
                                                            log.inflight - 1)))
    page.on("requestfailed", on(lambda log, _r: setattr(log, "inflight", log.inflight - 1)))
    # After the main page: every later page of the context is a popup.
    p.ctx.on("page", on(lambda log, pg: log.on_popup(pg)))


def _dialog(log: JobLog, dialog: Dialog) -> Awaitable[None]:
    return log.on_dialog(dialog)


def _ms(deadline: float) -> float:
    return max(1.0, (deadline - time.monotonic()) * 1000)


async def _paint_canvas(p: Prepared, background: str | None) -> None:
    """Make the RenderSpec's background the canvas colour (what shows where the page paints
    nothing), in place of the browser's default white. Done through Chromium's default
    background colour rather than a style on <html>, so a page's own <html> or <body>
    background still covers the whole canvas as CSS says it does. None: transparent."""
    if background is None:
        rgba = {"r": 0, "g": 0, "b": 0, "a": 0}
    else:
        rgba = await p.page.evaluate(CSS_COLOUR_TO_RGBA, background)
    await p.cdp.send("Emulation.setDefaultBackgroundColorOverride", {"color": rgba})


async def _settle(page: Page, log: JobLog, req: dict[str, Any], deadline: float) -> None:
    """What a still picture waits for after `load` (or an action): the requests still in
    flight (every one is served or aborted at once, so these are quick), a quiet window
    only if `network_idle_ms` asks for one, then fonts and two frames (SETTLE_STILL)."""
    idle_s = float(req.get("network_idle_ms", 0)) / 1000
    quiet_since = time.monotonic()
    cap = min(deadline, time.monotonic() + 5.0)
    while time.monotonic() < cap:
        if log.inflight > 0:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= idle_s:
            break
        await asyncio.sleep(0.005)
    script = SETTLE_FRAMES if req.get("frames") else SETTLE_STILL
    await _bounded(page.evaluate(script), deadline)


async def _bounded(coro: Coroutine[Any, Any, T], deadline: float) -> T:
    """Await `coro` no longer than the job's deadline (Playwright's `evaluate` has no
    timeout of its own): past it, a PlaywrightTimeout."""
    try:
        return await asyncio.wait_for(coro, max(0.001, deadline - time.monotonic()))
    except TimeoutError:
        raise PlaywrightTimeout("the page did not answer before the deadline") from None


async def _act(page: Page, action: dict[str, Any], req: dict[str, Any],
               deadline: float) -> None:
    kind, selector = action["type"], action.get("selector")
    timeout = min(float(req.get("action_timeout_ms", 3000)), _ms(deadline))
    target = page.locator(selector).first if selector else None
    given_x = action.get("x")
    x, y = float(given_x or 0), float(action.get("y") or 0)
    if kind == "click":
        if target is not None:
            await target.click(timeout=timeout)
        else:
            await page.mouse.click(x, y)
    elif kind == "hover":
        if target is not None:
            await target.hover(timeout=timeout)
        else:
            await page.mouse.move(x, y)
    elif kind == "type":
        if target is not None:
            await target.press_sequentially(action["text"], timeout=timeout)
        else:
            if given_x is not None:
                await page.mouse.click(x, y)
            await page.keyboard.type(action["text"])
    elif kind == "press":
        if target is not None:
            await target.press(action["key"], timeout=timeout)
        else:
            await page.keyboard.press(action["key"])
    elif kind == "scroll":
        await _bounded(page.evaluate(SCROLL, {"selector": selector, "dx": action.get("dx", 0),
                                              "dy": action.get("dy", 0)}), deadline)
    else:
        raise ValueError(f"unknown action type {kind!r}")


def _scaled(items: list[dict[str, Any]], scale: float) -> list[dict[str, Any]]:
    for item in items:
        item["box"] = [round(v * scale, 2) for v in item["box"]]
    return items


async def _screenshot(p: Prepared, req: dict[str, Any], png: Path, deadline: float) -> None:
    """The viewport as the PNG Chromium encodes it, written as it comes (no decode and
    re-encode); full-page and scaled pictures, and `capture = "playwright"`, go through
    Playwright's screenshot."""
    full_page = bool(req.get("full_page", False))
    # A device scale factor is emulated on Playwright's own DevTools session, which a
    # capture through another session does not see: such pictures go through Playwright.
    if full_page or req.get("capture") == "playwright" or p.key[0] != 1.0:
        await p.page.screenshot(path=png, full_page=full_page, animations="disabled",
                                caret="hide", omit_background=req.get("background") is None,
                                timeout=_ms(deadline), scale="device")
        return
    params: dict[str, Any] = {"format": "png", "optimizeForSpeed": True,
                              "captureBeyondViewport": False}
    shot = await _bounded(p.cdp.send("Page.captureScreenshot", params), deadline)
    png.write_bytes(base64.b64decode(shot["data"]))


async def _capture(p: Prepared, req: dict[str, Any], index: int, shot: bool,
                   deadline: float) -> dict[str, Any]:
    page = p.page
    out_dir = Path(req["out_dir"])
    full_page = bool(req.get("full_page", False))
    scale = float(req.get("scale", 1.0))
    step: dict[str, Any] = {"index": index, "url": page.url}
    arg = {"fullPage": full_page, "limit": MAX_ELEMENTS}
    if req.get("collect", True):
        step["interactive"] = _scaled(await _bounded(page.evaluate(INTERACTIVE, arg),
                                                     deadline), scale)
        step["text_blocks"] = _scaled(await _bounded(page.evaluate(TEXT_BLOCKS, arg),
                                                     deadline), scale)
    if req.get("dom", True):
        dom = out_dir / f"step-{index}.html"
        dom.write_text(await _bounded(page.evaluate(DOM_SNAPSHOT), deadline),
                       encoding="utf-8")
        step["dom"] = str(dom)
    if req.get("collect", True) or req.get("dom", True):
        step["scroll"] = await _bounded(page.evaluate("() => [window.scrollX, "
                                                      "window.scrollY]"), deadline)
    if shot:
        png = out_dir / f"step-{index}.png"
        await _screenshot(p, req, png, deadline)
        step["screenshot"] = str(png)
    return step


async def _frames(p: Prepared, req: dict[str, Any], deadline: float,
                  answer: dict[str, Any]) -> None:
    """Frame k at exactly k / fps seconds of the page's virtual clock."""
    count, fps = int(req["frames"]), int(req.get("fps") or 30)
    if not 1 <= count <= MAX_FRAMES:
        raise ValueError(f"frames must be between 1 and {MAX_FRAMES}, not {count}")
    out_dir = Path(req["out_dir"])
    frames: list[str] = []
    clock = {"timer_calls": 0, "timers_dropped": 0, "errors": 0, "animations": 0,
             "svg_timelines": 0}
    answer.update(frames=frames, fps=fps, clock=clock,
                  frame_times_s=[k / fps for k in range(count)])
    for k in range(count):
        seeked = await _bounded(p.page.evaluate(SEEK, k * 1000.0 / fps), deadline)
        if not isinstance(seeked, dict):
            raise PlaywrightError("the page's clock did not answer (did the page replace "
                                  "its window?)")
        clock["timer_calls"] += int(seeked.get("calls", 0))
        clock["timers_dropped"] += int(seeked.get("dropped", 0))
        clock["errors"] += int(seeked.get("errors", 0))
        clock["animations"] = max(clock["animations"], int(seeked.get("animations", 0)))
        clock["svg_timelines"] = max(clock["svg_timelines"], int(seeked.get("svgs", 0)))
        png = out_dir / f"frame-{k:05d}.png"
        await _screenshot(p, req, png, deadline)
        frames.append(str(png))
    if req.get("collect", True):  # the elements and text as the last frame shows them
        answer["final"] = await _capture(p, {**req, "dom": False}, count - 1, False,
                                         deadline)


async def run_job(session: BrowserSession, req: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    timeout_s = float(req.get("timeout_s", 20))
    deadline = started + timeout_s
    Path(req["out_dir"]).mkdir(parents=True, exist_ok=True)
    actions: list[dict[str, Any]] = list(req.get("actions") or [])
    shots = req.get("shots", "all")
    animated = bool(req.get("frames"))
    log = JobLog()
    steps: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    status, reason = "ok", None
    stage = "load"
    session.watchdog.arm(timeout_s + GRACE_S, req.get("memory_mb"))
    prepared: Prepared | None = None
    restarted = False
    timings: dict[str, float] = {}
    mark = time.monotonic()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        timings[name] = round(timings.get(name, 0.0) + now - mark, 4)
        mark = now

    try:
        prepared, restarted = await session.take(req, log)
        extra["prepared_ahead"] = bool(prepared.job.get("prepared_ahead"))
        lap("take")
        page = prepared.page
        await _paint_canvas(prepared, req.get("background"))
        lap("context")
        await page.goto(PAGE_URL, wait_until="load", timeout=_ms(deadline))
        lap("load")
        await _settle(page, log, req, deadline)
        lap("settle")
        last_shot = not actions and not animated
        steps.append(await _capture(prepared, req, 0, _shot(shots, last_shot), deadline))
        lap("capture")
        for i, action in enumerate(actions, 1):
            stage = f"action {i}"
            try:
                await _act(page, action, req, deadline)
            except PlaywrightTimeout as exc:
                if time.monotonic() < deadline - 0.05:
                    status = "action_error"
                    reason = (f"action {i} ({action['type']} {action.get('selector') or ''})"
                              f" could not be done: {_first_line(exc)}")
                    break
                raise
            except PlaywrightError as exc:
                if session.watchdog.fired or log.crashed:
                    raise
                status = "action_error"
                reason = f"action {i} ({action['type']}) failed: {_first_line(exc)}"
                break
            lap("actions")
            stage = f"settle after action {i}"
            await _settle(page, log, req, deadline)
            lap("settle")
            last = i == len(actions) and not animated
            steps.append(await _capture(prepared, req, i, _shot(shots, last), deadline))
            lap("capture")
        if animated and status == "ok":
            stage = "frames"
            await _frames(prepared, req, deadline, extra)
            lap("frames")
    except PlaywrightTimeout as exc:
        status = "timeout"
        reason = (f"{stage}: the page did not finish within {timeout_s:g}s (JavaScript still "
                  f"running?): {_first_line(exc)}")
    except PlaywrightError as exc:
        status, reason = "crashed", f"{stage}: {_first_line(exc)}"
    finally:
        if prepared is not None:
            # A popup the page opened may not have been announced yet: every page of the
            # context but the job's own is one.
            for other in list(prepared.ctx.pages):
                if other is not prepared.page and not session.watchdog.fired:
                    with contextlib.suppress(PlaywrightError, TimeoutError):
                        await asyncio.wait_for(log.on_popup(other), 5)
            prepared.job.clear()  # late events of this page reach no later job
            session.release(prepared)
        fired = session.watchdog.disarm()
        lap("close")
    replace = False
    if fired == "timeout":
        status, replace = "timeout", True
        reason = (f"{stage}: the page was still busy after {timeout_s:g}s (an endless "
                  "script loop?); the browser was killed and is replaced")
    elif fired == "memory":
        status, replace = "memory", True
        reason = (f"{stage}: the browser used more than {req.get('memory_mb')} MB "
                  f"(peak {session.watchdog.peak_mb:.0f} MB); it was killed and is replaced")
    elif log.crashed:
        status, replace = "crashed", True
        reason = (f"{stage}: the page's renderer process crashed (out of memory: the "
                  "JavaScript heap is capped, or a browser fault); the browser is replaced")
    elif status in ("timeout", "crashed"):
        replace = True
    if replace:
        await session.discard()
        if reason and "replaced" not in reason:
            reason += "; the browser is replaced"
    else:
        session.refill(req)
    return {
        "ok": True, "status": status, "reason": reason, "steps": steps,
        "console": log.console, "console_dropped": log.console_dropped,
        "page_errors": log.page_errors, "blocked": log.blocked,
        "blocked_count": log.blocked_count, "dialogs": log.dialogs, "popups": log.popups,
        "downloads": log.downloads, "version": session.version, "restarted": restarted,
        "replaced": replace, "duration_s": time.monotonic() - started, "timings": timings,
        **extra,
    }


def _shot(shots: str, last: bool) -> bool:
    """Whether a step gets a screenshot: `all`, `last` (the final step) or `none`."""
    return shots == "all" or (shots == "last" and last)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:MAX_TEXT] if text else type(exc).__name__


class _Loop:
    """An asyncio loop in its own thread, where Playwright lives: the protocol thread
    hands it one job at a time, and the loop keeps preparing contexts in between."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                       name="playwright")
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()


def main() -> None:
    BrowserSession.prepare_environment()
    loop = _Loop()

    async def start() -> BrowserSession:
        playwright = await async_playwright().start()
        session = BrowserSession(playwright)
        await session.ensure()
        return session

    session = loop.run(start())

    def handle(req: dict[str, Any]) -> dict[str, Any]:
        if req.get("op") == "ping":
            async def ping() -> dict[str, Any]:
                await session.ensure()
                return {"ok": True, "version": session.version,
                        "launches": session.launches}
            return loop.run(ping())
        return loop.run(run_job(session, req))

    # For the browser the job is the page: one long-lived browser per worker, whose
    # threads and pipes a per-job fork would not carry, so the core's `serve` runs the
    # jobs in this process; each page gets a fresh browser context instead.
    serve(handle, per_job=False)


if __name__ == "__main__":
    main()
