"""Child side of the HTML plugin: `python -m visioncode_html.browser_worker`.

Started by `visioncode.Worker` (own session, no credentials, a private network namespace
where the machine has one) and kept warm: Playwright is imported and Chromium launched
once; every job gets a fresh browser context (no cookies, storage or cache shared between
samples) and one page. A request:

    {"html": "/abs/page.html", "out_dir": "/abs/dir", "width": 800, "height": 600,
     "scale": 1.0, "full_page": false, "background": "#ffffff" | null,
     "actions": [{"type": "click", "selector": "#ok"}, ...],
     "shots": "all" | "last" | "none",
     "dom": true, "collect": true, "timeout_s": 20, "memory_mb": 2048,
     "network_idle_ms": 100, "action_timeout_ms": 3000}

is answered with `{"ok": true, "status": "ok" | "timeout" | "memory" | "crashed" |
"load_error" | "action_error", "reason": ..., "steps": [...], "console": [...],
"page_errors": [...], "blocked": [...], "dialogs": [...], "popups": [...],
"downloads": [...], "version": ..., "restarted": bool}`. Step 0 is the page as loaded;
step i the page after action i. A step has its screenshot and DOM snapshot paths, the
interactive elements and text blocks with boxes in image pixels, the URL and scroll.

Blocking, in this process: every request goes through interception, which serves the
page's own URL from the file and aborts everything else (recorded in `blocked`);
WebSockets are routed and closed before any connection is made (interception alone does
not see them); service workers and downloads are refused; dialogs are dismissed and
popups closed, each recorded. Outside it, the launch flags in `chromium.py` and the
sandbox's network namespace.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Download,
    Page,
    Playwright,
    Route,
    WebSocketRoute,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from visioncode import serve

from .chromium import PAGE_URL, executable, launch_args, write_fontconfig
from .page_scripts import (
    CSS_COLOUR_TO_RGBA,
    DOM_SNAPSHOT,
    INIT_SCRIPT,
    INTERACTIVE,
    SCROLL,
    TEXT_BLOCKS,
    TWO_FRAMES,
)
from .watchdog import Watchdog

#: Grace after a job's own deadline before the watchdog kills the browser (Playwright's
#: own timeouts answer first when they can: their messages are more precise).
GRACE_S = 2.0
MAX_RECORDED = 100  # console messages, blocked requests, dialogs, ... kept per job
MAX_TEXT = 500  # characters kept of each
MAX_CONSOLE_BYTES = 64 * 1024
MAX_ELEMENTS = 500
_LOCAL = re.compile(r"(?:Not allowed to load local resource:|cannot load) (file:\S+?)\.?(?=\s|$)")
_LINE = re.compile(re.escape(PAGE_URL) + r"[^\s:]*:(\d+):(\d+)")


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
        self.popups: list[str] = []
        self.downloads: list[str] = []
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

    def on_dialog(self, dialog: Dialog) -> None:
        self.add(self.dialogs, {"type": dialog.type, "message": dialog.message[:MAX_TEXT]})
        with contextlib.suppress(PlaywrightError):
            dialog.dismiss()

    def on_popup(self, page: Page) -> None:
        self.add(self.popups, page.url[:MAX_TEXT])
        with contextlib.suppress(PlaywrightError):
            page.close()

    def on_download(self, download: Download) -> None:
        self.add(self.downloads, f"{download.suggested_filename[:200]} from "
                                 f"{download.url[:MAX_TEXT]}")
        with contextlib.suppress(PlaywrightError):
            download.cancel()

    def on_crash(self, _page: Page) -> None:
        self.crashed = True


class BrowserSession:
    """Playwright and one Chromium, launched once and relaunched when the browser died
    (crash, or killed by the watchdog)."""

    def __init__(self) -> None:
        # Everything the browser writes (profile, caches, fontconfig cache, Playwright's
        # temporary profiles) goes under the worker's own folder, which the framework
        # removes when it stops the worker, even after a kill.
        self.home = Path(tempfile.mkdtemp(prefix="chromium-", dir=os.getcwd()))
        (self.home / "tmp").mkdir()
        os.environ["TMPDIR"] = str(self.home / "tmp")
        tempfile.tempdir = None
        os.environ["FONTCONFIG_FILE"] = str(write_fontconfig(self.home / "fontconfig"))
        os.environ["HOME"] = str(self.home)
        os.environ["XDG_CONFIG_HOME"] = str(self.home / "config")
        os.environ["XDG_CACHE_HOME"] = str(self.home / "cache")
        os.environ.pop("DISPLAY", None)
        self.playwright: Playwright = sync_playwright().start()
        self.browser: Browser | None = None
        self.launches = 0
        self.watchdog = Watchdog()
        self.ensure()

    def ensure(self) -> tuple[Browser, bool]:
        """The browser, launching a new one if there is none or it died."""
        if self.browser is not None and self.browser.is_connected():
            return self.browser, False
        self.browser = self.playwright.chromium.launch(
            executable_path=executable(), args=launch_args(), headless=True,
            chromium_sandbox=False, handle_sigint=False, handle_sigterm=False,
            handle_sighup=False, timeout=60_000,
        )
        self.launches += 1
        return self.browser, self.launches > 1

    @property
    def version(self) -> str:
        return f"Chromium {self.browser.version}" if self.browser else "Chromium"

    def discard(self) -> None:
        """Forget the current browser (after the watchdog killed it, or a crash)."""
        browser, self.browser = self.browser, None
        if browser is not None:
            with contextlib.suppress(PlaywrightError):
                browser.close()


def _ms(deadline: float) -> float:
    return max(1.0, (deadline - time.monotonic()) * 1000)


def _paint_canvas(ctx: BrowserContext, page: Page, background: str | None) -> None:
    """Make the RenderSpec's background the canvas colour (what shows where the page paints
    nothing), in place of the browser's default white. Done through Chromium's default
    background colour rather than a style on <html>, so a page's own <html> or <body>
    background still covers the whole canvas as CSS says it does. None (transparent) is
    left to the screenshot's omit_background."""
    if background is None:
        return
    rgba = page.evaluate(CSS_COLOUR_TO_RGBA, background)
    ctx.new_cdp_session(page).send("Emulation.setDefaultBackgroundColorOverride",
                                   {"color": rgba})


def _new_context(browser: Browser, req: dict[str, Any], log: JobLog,
                 html: bytes) -> BrowserContext:
    ctx = browser.new_context(
        viewport={"width": int(req["width"]), "height": int(req["height"])},
        device_scale_factor=float(req.get("scale", 1.0)),
        accept_downloads=False, service_workers="block", java_script_enabled=True,
        color_scheme="light", reduced_motion="reduce", locale="en-US", timezone_id="UTC",
    )
    ctx.add_init_script(INIT_SCRIPT)

    def route(route: Route) -> None:
        request = route.request
        if request.url == PAGE_URL and request.method in ("GET", "POST"):
            route.fulfill(status=200, body=html,
                          headers={"content-type": "text/html; charset=utf-8"})
            return
        log.block(request.url, request.resource_type)
        route.abort("blockedbyclient")

    def websocket(ws: WebSocketRoute) -> None:
        # Never connect_to_server(): the socket is answered here and closed.
        log.block(ws.url, "websocket")
        ws.close(code=1008, reason="network is blocked")

    ctx.route("**/*", route)
    ctx.route_web_socket(re.compile(r".*"), websocket)
    return ctx


def _settle(page: Page, log: JobLog, req: dict[str, Any], deadline: float) -> None:
    """Load + network idle + fonts ready + two frames, each capped by the deadline."""
    idle_s = float(req.get("network_idle_ms", 100)) / 1000
    quiet_since = time.monotonic()
    cap = min(deadline, time.monotonic() + 5.0)
    while time.monotonic() < cap:
        if log.inflight > 0:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= idle_s:
            break
        page.wait_for_timeout(20)
    page.wait_for_function("document.fonts.status === 'loaded'", timeout=_ms(deadline))
    page.evaluate(TWO_FRAMES)


def _act(page: Page, action: dict[str, Any], req: dict[str, Any], deadline: float) -> None:
    kind, selector = action["type"], action.get("selector")
    timeout = min(float(req.get("action_timeout_ms", 3000)), _ms(deadline))
    target = page.locator(selector).first if selector else None
    x, y = action.get("x"), action.get("y")
    if kind == "click":
        if target is not None:
            target.click(timeout=timeout)
        else:
            page.mouse.click(x, y)
    elif kind == "hover":
        if target is not None:
            target.hover(timeout=timeout)
        else:
            page.mouse.move(x, y)
    elif kind == "type":
        if target is not None:
            target.press_sequentially(action["text"], timeout=timeout)
        else:
            if x is not None:
                page.mouse.click(x, y)
            page.keyboard.type(action["text"])
    elif kind == "press":
        if target is not None:
            target.press(action["key"], timeout=timeout)
        else:
            page.keyboard.press(action["key"])
    elif kind == "scroll":
        page.evaluate(SCROLL, {"selector": selector, "dx": action.get("dx", 0),
                               "dy": action.get("dy", 0)})
    else:
        raise ValueError(f"unknown action type {kind!r}")


def _scaled(items: list[dict[str, Any]], scale: float) -> list[dict[str, Any]]:
    for item in items:
        item["box"] = [round(v * scale, 2) for v in item["box"]]
    return items


def _capture(page: Page, req: dict[str, Any], index: int, shot: bool,
             deadline: float) -> dict[str, Any]:
    out_dir = Path(req["out_dir"])
    full_page = bool(req.get("full_page", False))
    scale = float(req.get("scale", 1.0))
    step: dict[str, Any] = {"index": index, "url": page.url}
    arg = {"fullPage": full_page, "limit": MAX_ELEMENTS}
    if req.get("collect", True):
        step["interactive"] = _scaled(page.evaluate(INTERACTIVE, arg), scale)
        step["text_blocks"] = _scaled(page.evaluate(TEXT_BLOCKS, arg), scale)
    if req.get("dom", True):
        dom = out_dir / f"step-{index}.html"
        dom.write_text(page.evaluate(DOM_SNAPSHOT), encoding="utf-8")
        step["dom"] = str(dom)
    step["scroll"] = page.evaluate("() => [window.scrollX, window.scrollY]")
    if shot:
        png = out_dir / f"step-{index}.png"
        page.screenshot(path=png, full_page=full_page, animations="disabled", caret="hide",
                        omit_background=req.get("background") is None,
                        timeout=_ms(deadline), scale="device")
        step["screenshot"] = str(png)
    return step


def run_job(session: BrowserSession, req: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    timeout_s = float(req.get("timeout_s", 20))
    deadline = started + timeout_s
    browser, restarted = session.ensure()
    html = Path(req["html"]).read_bytes()
    Path(req["out_dir"]).mkdir(parents=True, exist_ok=True)
    actions: list[dict[str, Any]] = list(req.get("actions") or [])
    shots = req.get("shots", "all")
    log = JobLog()
    steps: list[dict[str, Any]] = []
    status, reason = "ok", None
    stage = "load"
    session.watchdog.arm(timeout_s + GRACE_S, req.get("memory_mb"))
    ctx: BrowserContext | None = None
    timings: dict[str, float] = {}
    mark = time.monotonic()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        timings[name] = round(timings.get(name, 0.0) + now - mark, 4)
        mark = now

    try:
        ctx = _new_context(browser, req, log, html)
        page = ctx.new_page()
        _paint_canvas(ctx, page, req.get("background"))
        lap("context")
        ctx.on("page", log.on_popup)  # after the main page: every later page is a popup
        page.on("console", log.on_console)
        page.on("pageerror", log.on_page_error)
        page.on("dialog", log.on_dialog)
        page.on("download", log.on_download)
        page.on("crash", log.on_crash)
        page.on("request", lambda _r: setattr(log, "inflight", log.inflight + 1))
        page.on("requestfinished", lambda _r: setattr(log, "inflight", log.inflight - 1))
        page.on("requestfailed", lambda _r: setattr(log, "inflight", log.inflight - 1))
        page.goto(PAGE_URL, wait_until="load", timeout=_ms(deadline))
        lap("load")
        _settle(page, log, req, deadline)
        lap("settle")
        steps.append(_capture(page, req, 0, _shot(shots, not actions), deadline))
        lap("capture")
        for i, action in enumerate(actions, 1):
            stage = f"action {i}"
            try:
                _act(page, action, req, deadline)
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
            _settle(page, log, req, deadline)
            lap("settle")
            steps.append(_capture(page, req, i, _shot(shots, i == len(actions)), deadline))
            lap("capture")
    except PlaywrightTimeout as exc:
        status = "timeout"
        reason = (f"{stage}: the page did not finish within {timeout_s:g}s (JavaScript still "
                  f"running?): {_first_line(exc)}")
    except PlaywrightError as exc:
        status, reason = "crashed", f"{stage}: {_first_line(exc)}"
    finally:
        if ctx is not None:
            with contextlib.suppress(PlaywrightError):
                ctx.close()
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
        session.discard()
        if reason and "replaced" not in reason:
            reason += "; the browser is replaced"
    return {
        "ok": True, "status": status, "reason": reason, "steps": steps,
        "console": log.console, "console_dropped": log.console_dropped,
        "page_errors": log.page_errors, "blocked": log.blocked,
        "blocked_count": log.blocked_count, "dialogs": log.dialogs, "popups": log.popups,
        "downloads": log.downloads, "version": session.version, "restarted": restarted,
        "replaced": replace, "duration_s": time.monotonic() - started, "timings": timings,
    }


def _shot(shots: str, last: bool) -> bool:
    """Whether a step gets a screenshot: `all`, `last` (the final step) or `none`."""
    return shots == "all" or (shots == "last" and last)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:MAX_TEXT] if text else type(exc).__name__


def main() -> None:
    session = BrowserSession()

    def handle(req: dict[str, Any]) -> dict[str, Any]:
        if req.get("op") == "ping":
            _browser, _ = session.ensure()
            return {"ok": True, "version": session.version, "launches": session.launches}
        return run_job(session, req)

    serve(handle)


if __name__ == "__main__":
    main()
