"""The report's inline stylesheet and script (no external files, no CDN)."""

from __future__ import annotations

CSS = """
:root { --fg: #1d2330; --muted: #5b6473; --line: #d9dde4; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "DejaVu Sans", sans-serif; color: var(--fg);
       background: var(--bg); margin: 0; padding: 16px 24px 48px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
h3 { font-size: 14px; margin: 0; font-family: "DejaVu Sans Mono", monospace; }
.meta, .note { color: var(--muted); margin: 4px 0; }
table { border-collapse: collapse; background: #fff; margin: 0 16px 8px 0;
        display: inline-table; vertical-align: top; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; }
th { background: #eef0f4; font-weight: 600; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; }
.hist { background: #fff; border: 1px solid var(--line); }
.hist rect { fill: #4c78a8; } .hist .ax { stroke: #888; }
.hist text { font-size: 11px; fill: var(--muted); } .hist .t { fill: var(--fg); font-weight: 600; }
.controls { display: flex; gap: 16px; align-items: center; margin: 8px 0 12px; flex-wrap: wrap; }
.controls select { font: inherit; padding: 2px 4px; }
#shown { color: var(--muted); }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
        margin: 0 0 12px; }
.card[hidden] { display: none; }
.card header { display: flex; gap: 4px 10px; align-items: center; flex-wrap: wrap;
        min-width: 0; }
.card header > * { min-width: 0; overflow-wrap: anywhere; }
.badge { border-radius: 10px; padding: 0 8px; font-size: 12px; color: #fff; }
.st-ok { background: #2f8f46; } .st-failed { background: #c77c02; }
.st-error { background: #c0392b; }
.reason { color: var(--muted); font-size: 12px; }
.scores { list-style: none; display: flex; flex-wrap: wrap; gap: 2px 10px; margin: 0;
        padding: 0; font-size: 12px; max-width: 100%; }
.scores li { white-space: nowrap; }
ul.flat { margin: 0; padding: 6px 12px 6px 28px; background: #fff;
        border: 1px solid var(--line); align-self: flex-start; font-size: 13px; }
.strip { display: flex; gap: 10px; overflow-x: auto; padding: 8px 0; }
figure { margin: 0; text-align: center; }
figure img, figure video, .norender, .prompt { width: 160px; height: 160px; object-fit: contain;
        border: 1px solid var(--line); background: #fff; display: block; }
.norender, .prompt { display: flex; align-items: center; justify-content: center; padding: 6px;
        color: var(--muted); font-size: 12px; overflow: hidden; }
figcaption { font-size: 11px; color: var(--muted); max-width: 160px; }
figure img, figure video { cursor: zoom-in; }
figure.big img, figure.big video { width: auto; height: auto; max-width: min(1024px, 92vw);
        max-height: 85vh; min-width: 320px; cursor: zoom-out; image-rendering: auto; }
figure.big figcaption { max-width: none; }
details { margin: 4px 0; } summary { cursor: pointer; color: #2a5db0; }
pre { white-space: pre-wrap; font-size: 12px; margin: 4px 0; }
.hl { max-height: 360px; overflow: auto; border: 1px solid var(--line); padding: 0 8px; }
"""

JS = """
(function () {
  var gallery = document.getElementById('gallery');
  var cards = Array.prototype.slice.call(gallery.querySelectorAll('.card'));
  var sortSel = document.getElementById('sort');
  var orderSel = document.getElementById('order');
  var filterSel = document.getElementById('filter');
  var shown = document.getElementById('shown');
  cards.forEach(function (c) { c._scores = JSON.parse(c.getAttribute('data-scores')); });
  function key(c, k) {
    if (k === 'id') { return c.getAttribute('data-id'); }
    var v = c._scores[k];
    return (typeof v === 'number') ? v : null;
  }
  function apply() {
    var k = sortSel.value, desc = orderSel.value === 'desc';
    var sorted = cards.slice().sort(function (a, b) {
      var x = key(a, k), y = key(b, k);
      if (x === null && y === null) { return 0; }
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      var r = (x < y) ? -1 : (x > y ? 1 : 0);
      return desc ? -r : r;
    });
    var f = filterSel.value, n = 0;
    sorted.forEach(function (c) {
      var show = f === 'all' ||
        (f.indexOf('status:') === 0 && c.getAttribute('data-status') === f.slice(7)) ||
        (f.indexOf('round:') === 0 && c.getAttribute('data-round') === f.slice(6));
      c.hidden = !show;
      if (show) { n += 1; }
      gallery.appendChild(c);
    });
    shown.textContent = 'showing ' + n + ' of ' + cards.length;
  }
  [sortSel, orderSel, filterSel].forEach(function (s) { s.addEventListener('change', apply); });
  // A click on a thumbnail shows it at its own size (up to the window); again: back.
  gallery.addEventListener('click', function (e) {
    var t = e.target;
    if (t.tagName !== 'IMG') { return; }
    var fig = t.closest('figure');
    if (fig) { fig.classList.toggle('big'); }
  });
  apply();
})();
"""
