"""The browser worker itself: deterministic screenshots, a fresh context per job, the
wait condition, action replay and what a step records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from visioncode_html.client import BrowserClient, BrowserLimits

from .conftest import GUI, page_job

BUSY_PAGE = """<!DOCTYPE html><html><head><style>
  @keyframes spin { to { transform: rotate(360deg); } }
  .spin { width: 60px; height: 60px; background: #3949ab; animation: spin 0.7s linear infinite; }
  .fade { transition: opacity 3s; opacity: 1; }
  input { font-size: 16px; }
</style></head><body>
<h1 style="font-family: serif">Deterministic</h1>
<p style="font-family: sans-serif">Sans text</p><p style="font-family: monospace">Mono text</p>
<div class="spin"></div><p class="fade" id="f">fading</p>
<input id="i" autofocus value="caret here">
<p id="r"></p>
<script>
  document.getElementById('r').textContent = 'random ' + Math.random().toFixed(6);
  setTimeout(() => document.getElementById('f').style.opacity = 0.2, 10);
</script></body></html>"""


def test_screenshots_identical_across_runs(client: BrowserClient, tmp_path: Path) -> None:
    first = page_job(client, BUSY_PAGE, tmp_path / "a")
    second = page_job(client, BUSY_PAGE, tmp_path / "b")
    assert first["status"] == second["status"] == "ok"
    a = Image.open(first["steps"][-1]["screenshot"]).convert("RGB")
    b = Image.open(second["steps"][-1]["screenshot"]).convert("RGB")
    assert a.size == b.size == (480, 360)
    assert ImageChops.difference(a, b).getbbox() is None
    # Math.random is seeded: the same "random" text both times.
    texts = [[t["text"] for t in r["steps"][-1]["text_blocks"]] for r in (first, second)]
    assert texts[0] == texts[1] and any(t.startswith("random 0.") for t in texts[0])


def test_fresh_context_per_job(client: BrowserClient, tmp_path: Path) -> None:
    page = """<p id=o></p><script>
      const seen = localStorage.getItem('k') + '/' + document.cookie;
      localStorage.setItem('k', 'set'); document.cookie = 'c=1';
      document.getElementById('o').textContent = 'seen ' + seen;</script>"""
    for i in range(2):
        answer = page_job(client, page, tmp_path / str(i))
        assert answer["status"] == "ok", answer["reason"]
        texts = [t["text"] for t in answer["steps"][-1]["text_blocks"]]
        assert texts == ["seen null/"], texts  # nothing left from the previous job


def test_scale_and_full_page(client: BrowserClient, tmp_path: Path) -> None:
    tall = "<body style='margin:0'><div style='height:900px;background:#0a0'>tall</div></body>"
    answer = page_job(client, tall, tmp_path / "full", full_page=True, scale=2.0)
    assert answer["status"] == "ok", answer["reason"]
    with Image.open(answer["steps"][-1]["screenshot"]) as im:
        assert im.size == (960, 1800)
    block = answer["steps"][-1]["text_blocks"][0]
    assert block["text"] == "tall" and block["box"][0] == 0.0  # image pixels, scaled


def test_transparent_background(client: BrowserClient, tmp_path: Path) -> None:
    answer = page_job(client, "<p>x</p>", tmp_path, background=None)
    with Image.open(answer["steps"][-1]["screenshot"]) as im:
        assert im.mode == "RGBA" and im.getpixel((470, 350))[3] == 0


@pytest.mark.slow
def test_example_pages_replay_to_recorded_states(client: BrowserClient, tmp_path: Path) -> None:
    """Every scripted action of the gui-next-state pages does what the page says: the
    states replayed now match the ground truth recorded in the dataset."""
    scripts = json.loads((GUI / "scripts.json").read_text())
    expectations = {  # (step, text on the screen after that step)
        "form": [(1, "Please enter your name."), (4, "Welcome, Ada Lovelace!")],
        "menu": [(1, "Save"), (3, "Created a new document."), (3, "Document 2")],
        "dialog": [(1, "Delete budget.xlsx permanently?"), (4, "report.pdf was deleted.")],
        "tabs": [(2, "Share anonymous usage data"), (3, "Version 2.4.1")],
        "list": [(4, "Milk"), (4, "8 item(s) left")],
    }
    for name, actions in scripts.items():
        page = (GUI / "pages" / f"{name}.html").read_text()
        answer = page_job(client, page, tmp_path / name, actions=actions, shots="all")
        assert answer["status"] == "ok", (name, answer["reason"])
        steps = answer["steps"]
        assert [s["index"] for s in steps] == list(range(len(actions) + 1))
        final = steps[-1]
        for index, text in expectations[name]:
            texts = " | ".join(t["text"] for t in steps[index]["text_blocks"])
            assert text in texts, (name, index, texts)
        recorded = GUI / "dataset" / "states" / name / f"step-{len(actions)}.png"
        now = Image.open(final["screenshot"]).convert("RGB")
        then = Image.open(recorded).convert("RGB")
        assert ImageChops.difference(now, then).getbbox() is None, name
    # Typing and ticking show in the DOM snapshot as attributes.
    form_dom = Path(page_job(client, (GUI / "pages" / "form.html").read_text(),
                             tmp_path / "form-dom", actions=scripts["form"][1:3])
                    ["steps"][-1]["dom"]).read_text()
    assert 'value="Ada Lovelace"' in form_dom and "checked" in form_dom


def test_scroll_and_coordinates(client: BrowserClient, tmp_path: Path) -> None:
    page = ("<body style='margin:0'><button id=b style='position:absolute;left:100px;"
            "top:50px;width:80px;height:30px' onclick=\"this.textContent='hit'\">press</button>"
            "<div style='height:2000px'></div></body>")
    answer = page_job(client, page, tmp_path, actions=[
        {"type": "click", "x": 140, "y": 65}, {"type": "scroll", "dy": 300}])
    assert answer["status"] == "ok", answer["reason"]
    assert answer["steps"][1]["text_blocks"][0]["text"] == "hit"
    assert answer["steps"][2]["scroll"] == [0, 300]


def test_missing_element_is_an_action_error(client: BrowserClient, tmp_path: Path) -> None:
    answer = page_job(client, "<button id=a>a</button>", tmp_path, actions=[
        {"type": "click", "selector": "#a"}, {"type": "click", "selector": "#nope"}])
    assert answer["status"] == "action_error"
    assert "action 2" in answer["reason"] and "#nope" in answer["reason"]
    assert len(answer["steps"]) == 2  # the load and the first action were recorded


def test_interactive_elements(client: BrowserClient, tmp_path: Path) -> None:
    page = """<a href="#x" id=l>Link</a> <button>Go</button> <input placeholder="Name">
      <input type=hidden value=secret> <div role=tab>Tab</div> <p>plain</p>
      <button style="display:none">hidden</button>"""
    elements = page_job(client, page, tmp_path)["steps"][-1]["interactive"]
    assert [(e["tag"], e["text"]) for e in elements] == [
        ("a", "Link"), ("button", "Go"), ("input", "Name"), ("div", "Tab")]
    assert elements[0]["selector"] == "#l"
    assert all(e["box"][2] > 0 and e["box"][3] > 0 for e in elements)


ISOLATION_PAGE = """<!DOCTYPE html><html><body><p id=o>checking</p><script>
(async () => {
  const seen = [];
  if (localStorage.getItem('k')) seen.push('localStorage');
  if (sessionStorage.getItem('k')) seen.push('sessionStorage');
  if (document.cookie.includes('c=1')) seen.push('cookie');
  if (window.name) seen.push('window.name');
  if (history.length > 2) seen.push('history');
  try { if ((await caches.keys()).length) seen.push('caches'); } catch (e) {}
  try { if ((await navigator.serviceWorker.getRegistrations()).length)
    seen.push('service worker'); } catch (e) {}
  const db = await new Promise((ok) => {
    const r = indexedDB.open('visioncode-isolation', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('s');
    r.onsuccess = () => ok(r.result); r.onerror = () => ok(null);
  });
  if (db) {
    const got = await new Promise((ok) => {
      const q = db.transaction('s').objectStore('s').get('k');
      q.onsuccess = () => ok(q.result); q.onerror = () => ok(undefined);
    });
    if (got) seen.push('indexedDB');
    await new Promise((ok) => {
      const t = db.transaction('s', 'readwrite'); t.objectStore('s').put('set', 'k');
      t.oncomplete = ok; t.onerror = ok;
    });
  }
  if (window.opener || globalThis.__leftOver) seen.push('global');
  localStorage.setItem('k', 'set'); sessionStorage.setItem('k', 'set');
  document.cookie = 'c=1; max-age=3600'; window.name = 'set'; globalThis.__leftOver = 1;
  try { await (await caches.open('c')).put('/x', new Response('x')); } catch (e) {}
  try { await navigator.serviceWorker.register('sw.js'); } catch (e) {}
  const absent = [typeof caches === 'undefined' ? 'caches' : '',
                  navigator.serviceWorker ? '' : 'serviceWorker'].filter(Boolean);
  document.getElementById('o').textContent = 'seen: ' + (seen.join(', ') || 'nothing') +
    '; absent: ' + (absent.join(', ') || 'none');
})();
</script></body></html>"""


@pytest.mark.parametrize("pool", [True, False], ids=["pooled", "unpooled"])
def test_each_page_is_isolated_from_the_previous(client: BrowserClient, tmp_path: Path,
                                                 pool: bool) -> None:
    """Page 1 writes every store a page can reach (localStorage, sessionStorage, cookie,
    IndexedDB, window.name, a global); page 2, the same program in the next job, finds
    none of it, from a prepared context or a new one. Cache Storage and service workers
    are not even there: the page's origin is not a secure context (and the context
    blocks service workers besides)."""
    own = None if pool else BrowserClient(BrowserLimits(timeout_s=30, context_pool=False))
    try:
        for i in range(3):
            answer = page_job(own or client, ISOLATION_PAGE, tmp_path / str(i),
                              network_idle_ms=200)
            assert answer["status"] == "ok", answer["reason"]
            texts = [t["text"] for t in answer["steps"][-1]["text_blocks"]]
            assert texts == ["seen: nothing; absent: caches, serviceWorker"], (i, texts)
            if i:  # the first job of this kind may find the pool empty
                assert answer["prepared_ahead"] is pool
    finally:
        if own is not None:
            own.close()
