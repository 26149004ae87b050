"""JavaScript the worker runs in pages: the determinism init script and the DOM readers
(interactive elements, text blocks, DOM snapshot). Kept as plain strings so the worker
imports nothing but Playwright.

Coordinates: every box the readers return is `[x, y, width, height]` in CSS pixels of
the screenshot's coordinate system (the viewport for viewport screenshots, the document
for full-page ones); the worker multiplies by the device scale factor to get image pixels.
"""

from __future__ import annotations

#: Runs before any script of the page, in every frame.
INIT_SCRIPT = r"""
(() => {
  // A seeded Math.random: the same page draws the same "random" layout every run.
  let s = 0x2F6B4A1D;
  Math.random = function () {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const css = `*, *::before, *::after {
      animation-duration: 0s !important; animation-delay: 0s !important;
      animation-iteration-count: 1 !important;
      transition: none !important; caret-color: transparent !important;
      scroll-behavior: auto !important; }
    :where(button, input, select, textarea) { font-family: sans-serif; }`;
  const add = () => {
    if (document.getElementById('__visioncode_style')) return;
    const el = document.createElement('style');
    el.id = '__visioncode_style';
    el.textContent = css;
    (document.head || document.documentElement).appendChild(el);
  };
  if (document.documentElement) add();
  document.addEventListener('DOMContentLoaded', add);
})();
"""

#: Any CSS colour as the {r, g, b, a} Chromium's DevTools protocol takes (the browser
#: parses it, so every CSS colour syntax works).
CSS_COLOUR_TO_RGBA = r"""
(c) => {
  const x = document.createElement('canvas').getContext('2d');
  x.fillStyle = '#000'; x.fillStyle = c;
  const v = x.fillStyle;
  if (v.startsWith('#'))
    return {r: parseInt(v.slice(1, 3), 16), g: parseInt(v.slice(3, 5), 16),
            b: parseInt(v.slice(5, 7), 16), a: 1};
  const p = v.slice(v.indexOf('(') + 1, -1).split(',').map(parseFloat);
  return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
}
"""

#: Resolves after two animation frames: layout and paint of the last change are done.
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"

_HELPERS = r"""
  const fullPage = arg.fullPage;
  const ox = fullPage ? window.scrollX : 0, oy = fullPage ? window.scrollY : 0;
  const vw = fullPage ? document.documentElement.scrollWidth : window.innerWidth;
  const vh = fullPage ? document.documentElement.scrollHeight : window.innerHeight;
  const visible = (el, r) => {
    if (r.width < 1 || r.height < 1) return false;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none' || parseFloat(st.opacity) === 0)
      return false;
    const x = r.left + ox, y = r.top + oy;
    return x + r.width > 0 && y + r.height > 0 && x < vw && y < vh;
  };
  const box = (r) => {
    const x0 = Math.max(0, r.left + ox), y0 = Math.max(0, r.top + oy);
    const x1 = Math.min(vw, r.right + ox), y1 = Math.min(vh, r.bottom + oy);
    return [x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0)];
  };
  const selectorOf = (el) => {
    if (el.id) return '#' + CSS.escape(el.id);
    const parts = [];
    let node = el;
    while (node && node.nodeType === 1 && node !== document.documentElement) {
      if (node.id) { parts.unshift('#' + CSS.escape(node.id)); break; }
      let i = 1, sib = node;
      while ((sib = sib.previousElementSibling)) if (sib.tagName === node.tagName) i++;
      parts.unshift(node.tagName.toLowerCase() + ':nth-of-type(' + i + ')');
      node = node.parentElement;
    }
    if (!parts.length || !parts[0].startsWith('#')) parts.unshift('html');
    return parts.join(' > ');
  };
  const clean = (t) => (t || '').replace(/\s+/g, ' ').trim();
"""

#: Interactive elements in document order: what set-of-marks numbers.
INTERACTIVE = (
    "(arg) => {" + _HELPERS + r"""
  const query = 'a[href], button, input:not([type=hidden]), select, textarea, summary, ' +
    '[role=button], [role=link], [role=tab], [role=menuitem], [role=checkbox], ' +
    '[role=option], [role=switch], [onclick], [contenteditable=""], ' +
    '[contenteditable=true], [tabindex]:not([tabindex="-1"])';
  const out = [];
  for (const el of document.querySelectorAll(query)) {
    const r = el.getBoundingClientRect();
    if (!visible(el, r)) continue;
    if (el.closest('[disabled]') && el.disabled) continue;
    let text = clean(el.innerText || el.value || el.getAttribute('aria-label') ||
                     el.getAttribute('placeholder') || el.getAttribute('title') || el.name);
    out.push({tag: el.tagName.toLowerCase(), type: el.getAttribute('type') || null,
              role: el.getAttribute('role') || null, text: text.slice(0, 80),
              selector: selectorOf(el), box: box(r)});
    if (out.length >= arg.limit) break;
  }
  return out;
}"""
)

#: Text blocks (Design2Code): one per element with its own non-blank text, with the box
#: of that text and its colour.
TEXT_BLOCKS = (
    "(arg) => {" + _HELPERS + r"""
  const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'TITLE', 'HEAD']);
  const out = [];
  const walker = document.createTreeWalker(document.body || document.documentElement,
                                           NodeFilter.SHOW_ELEMENT);
  let el = walker.currentNode;
  while (el) {
    if (!skip.has(el.tagName)) {
      const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.data.trim());
      if (own.length) {
        const range = document.createRange();
        range.setStartBefore(own[0]);
        range.setEndAfter(own[own.length - 1]);
        const r = range.getBoundingClientRect();
        const text = clean(own.map(n => n.data).join(' '));
        if (text && visible(el, r)) {
          const m = getComputedStyle(el).color.match(/[\d.]+/g) || [0, 0, 0];
          out.push({text: text.slice(0, 2000), box: box(r),
                    color: [+m[0], +m[1], +m[2]], selector: selectorOf(el)});
          if (out.length >= arg.limit) break;
        }
      }
    }
    el = walker.nextNode();
  }
  return out;
}"""
)

#: The DOM as HTML, with live form state written into attributes (typed text, checked
#: boxes, selected options), so the snapshot renders as the screen looked.
DOM_SNAPSHOT = r"""() => {
  const live = [...document.querySelectorAll('input, textarea, select, option')];
  const copy = document.documentElement.cloneNode(true);
  const dead = [...copy.querySelectorAll('input, textarea, select, option')];
  live.forEach((el, i) => {
    const c = dead[i];
    if (!c) return;
    if (el.tagName === 'TEXTAREA') c.textContent = el.value;
    else if (el.tagName === 'OPTION') {
      if (el.selected) c.setAttribute('selected', ''); else c.removeAttribute('selected');
    } else if (el.tagName === 'INPUT') {
      if (el.type === 'checkbox' || el.type === 'radio') {
        if (el.checked) c.setAttribute('checked', ''); else c.removeAttribute('checked');
      } else if (el.type !== 'file' && el.type !== 'password') {
        c.setAttribute('value', el.value);
      }
    }
  });
  const injected = copy.querySelector('#__visioncode_style');
  if (injected) injected.remove();
  const doctype = document.doctype ? '<!DOCTYPE ' + document.doctype.name + '>\n' : '';
  return doctype + copy.outerHTML;
}"""

#: Scroll the window or an element by (dx, dy); instant (smooth scrolling is off).
SCROLL = r"""(arg) => {
  const target = arg.selector ? document.querySelector(arg.selector) : null;
  if (arg.selector && !target) throw new Error('no element matches ' + arg.selector);
  (target || window).scrollBy(arg.dx, arg.dy);
  return [window.scrollX, window.scrollY];
}"""
