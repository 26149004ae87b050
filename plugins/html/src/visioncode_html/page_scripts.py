"""JavaScript the worker runs in pages: the determinism init script and the DOM readers
(interactive elements, text blocks, DOM snapshot). Kept as plain strings so the worker
imports nothing but Playwright.

Coordinates: every box the readers return is `[x, y, width, height]` in CSS pixels of
the screenshot's coordinate system (the viewport for viewport screenshots, the document
for full-page ones); the worker multiplies by the device scale factor to get image pixels.
"""

from __future__ import annotations

#: A seeded Math.random: the same page draws the same "random" layout every run.
_SEEDED_RANDOM = r"""
  let s = 0x2F6B4A1D;
  Math.random = function () {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
"""

#: The browser's own functions the worker's waits use, taken before any script of the
#: page runs, so a page that replaces them (an endless `requestAnimationFrame`, a
#: `getAnimations` that never returns) cannot stall the capture through them.
_NATIVES = r"""
  const nativeRaf = window.requestAnimationFrame.bind(window);
  const getAnimations = Document.prototype.getAnimations;
  const fontsOf = Object.getOwnPropertyDescriptor(Document.prototype, 'fonts').get;
  const readyOf = Object.getOwnPropertyDescriptor(FontFaceSet.prototype, 'ready').get;
  const fontsReady = () => readyOf.call(fontsOf.call(document));
  const realFrames = (count) => new Promise((resolve) => {
    const step = () => (--count <= 0 ? resolve() : nativeRaf(step));
    nativeRaf(step);
  });
  const seal = (name, api) => Object.defineProperty(window, name, {
    value: Object.freeze(api), writable: false, configurable: false, enumerable: false});
"""

#: Runs before any script of the page, in every frame (still pictures: animations and
#: transitions jump to their end). `__visioncode_still.settle()` waits for the fonts,
#: finishes the Web Animations the CSS below does not reach (cancels infinite ones, as
#: Playwright's `animations="disabled"`), then two frames.
INIT_SCRIPT = r"""
(() => {""" + _SEEDED_RANDOM + _NATIVES + r"""
  if (!window.__visioncode_still) {
    const effectOf = Object.getOwnPropertyDescriptor(Animation.prototype, 'effect').get;
    const timing = AnimationEffect.prototype.getComputedTiming;
    const finish = Animation.prototype.finish, cancel = Animation.prototype.cancel;
    seal('__visioncode_still', {settle: async () => {
      await fontsReady();
      for (const a of getAnimations.call(document)) {
        try {
          const t = timing.call(effectOf.call(a));
          if (t.endTime === Infinity) cancel.call(a); else finish.call(a);
        } catch (e) {}
      }
      await realFrames(2);
    }});
  }
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

#: Most timer and animation-frame callbacks one frame may run; past it the rest of that
#: frame's due timers are dropped (counted in the answer): a timer flood costs a bounded
#: time per frame instead of hanging the capture.
MAX_CALLBACKS_PER_FRAME = 1000
#: Most timers a page may have pending at once; more are dropped (counted).
MAX_PENDING_TIMERS = 10000

#: Runs before any script of the page when the render asks for frames. The page's own
#: clocks become one virtual clock that stands still until the worker moves it: `Date`,
#: `performance.now`, `setTimeout`/`setInterval`, `requestAnimationFrame` and
#: `requestIdleCallback`. `window.__visioncode_clock.seek(ms)` then (1) runs every timer
#: due up to `ms` in time order, each at its own due time (`Date.now()` inside it says
#: when it was due), (2) runs the animation-frame callbacks once with timestamp `ms`,
#: (3) pauses every CSS animation, transition and Web Animation and sets it to `ms`
#: since it appeared, (4) pauses every outermost <svg> and sets its SMIL clock to `ms`,
#: and (5) resolves after two real frames, so the screenshot shows that instant.
#: The browser's own functions are captured here, before the page can replace them.
ANIMATION_INIT_SCRIPT = (
    "(() => {" + _SEEDED_RANDOM + _NATIVES + r"""
  if (window.__visioncode_clock) return;
  const MAX_CALLS = """ + str(MAX_CALLBACKS_PER_FRAME) + r""";
  const MAX_PENDING = """ + str(MAX_PENDING_TIMERS) + r""";
  const EPOCH = Date.UTC(2025, 0, 1);  // what Date.now() says at time 0
  const RealDate = Date;
  const nativeTimeout = window.setTimeout.bind(window);
  const pause = Animation.prototype.pause;
  const playState = Object.getOwnPropertyDescriptor(Animation.prototype, 'playState').get;
  const setCurrentTime = Object.getOwnPropertyDescriptor(Animation.prototype,
                                                         'currentTime').set;
  const svgPause = SVGSVGElement.prototype.pauseAnimations;
  const svgSeek = SVGSVGElement.prototype.setCurrentTime;
  const query = Document.prototype.querySelectorAll;
  const births = new WeakMap();  // animation -> virtual ms it appeared (null: not ours)
  let now = 0, seq = 0, nextId = 1, nesting = 0;
  let heap = [];                 // pending timers, earliest (then oldest) first
  const live = new Map();        // timer id -> timer
  let frames = new Map();        // animation-frame id -> callback
  const stats = {calls: 0, dropped: 0, errors: 0};

  const before = (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  const push = (t) => {
    heap.push(t);
    for (let i = heap.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!before(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]]; i = p;
    }
  };
  const pop = () => {
    const top = heap[0], last = heap.pop();
    if (heap.length) {
      heap[0] = last;
      for (let i = 0;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l], heap[m])) m = l;
        if (r < heap.length && before(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]]; i = m;
      }
    }
    return top;
  };
  const report = (e) => { stats.errors++; nativeTimeout(() => { throw e; }, 0); };
  const add = (fn, delay, args, repeat) => {
    delay = Math.max(0, Number(delay) || 0);
    // The HTML standard's clamp for nested timers; intervals never repeat at one instant.
    if ((nesting > 4 || repeat) && delay < 4) delay = nesting > 4 ? 4 : Math.max(delay, 1);
    const id = nextId++;
    if (live.size >= MAX_PENDING) { stats.dropped++; return id; }
    const t = {id, at: now + delay, seq: seq++, fn, args, every: repeat ? delay : 0,
               nest: nesting + 1};
    live.set(id, t); push(t);
    return id;
  };
  const clear = (id) => {
    const t = live.get(Number(id));
    if (t) { t.dead = true; live.delete(t.id); }
  };
  const define = (obj, name, value) =>
    Object.defineProperty(obj, name, {value, writable: true, configurable: true});
  define(window, 'setTimeout', function setTimeout(fn, delay, ...args) {
    return add(fn, delay, args, false); });
  define(window, 'setInterval', function setInterval(fn, delay, ...args) {
    return add(fn, delay, args, true); });
  define(window, 'clearTimeout', function clearTimeout(id) { clear(id); });
  define(window, 'clearInterval', function clearInterval(id) { clear(id); });
  define(window, 'requestAnimationFrame', function requestAnimationFrame(fn) {
    const id = nextId++; frames.set(id, fn); return id; });
  define(window, 'cancelAnimationFrame', function cancelAnimationFrame(id) {
    frames.delete(Number(id)); });
  define(window, 'requestIdleCallback', function requestIdleCallback(fn) {
    return add(() => fn({didTimeout: false, timeRemaining: () => 0}), 0, [], false); });
  define(window, 'cancelIdleCallback', function cancelIdleCallback(id) { clear(id); });
  function VirtualDate(...args) {
    if (!new.target) return new RealDate(EPOCH + now).toString();
    return Reflect.construct(RealDate, args.length ? args : [EPOCH + now], new.target);
  }
  VirtualDate.prototype = RealDate.prototype;
  VirtualDate.now = () => EPOCH + now;
  VirtualDate.UTC = RealDate.UTC;
  VirtualDate.parse = RealDate.parse;
  define(RealDate.prototype, 'constructor', VirtualDate);
  define(window, 'Date', VirtualDate);
  define(performance, 'now', function now_() { return now; });

  const call = (fn, args) => {
    stats.calls++;
    try {
      if (typeof fn === 'function') fn.apply(window, args); else (0, eval)(String(fn));
    } catch (e) { report(e); }
  };
  const adopt = () => {
    for (const a of getAnimations.call(document)) {
      if (births.has(a)) continue;
      const state = playState.call(a);
      // An animation the page itself paused or cancelled stays the page's.
      births.set(a, state === 'paused' || state === 'idle' ? null : now);
      if (births.get(a) !== null) pause.call(a);
    }
  };
  const seekAnimations = (t) => {
    adopt();
    let n = 0;
    for (const a of getAnimations.call(document)) {
      const born = births.get(a);
      if (born === null || born === undefined) continue;
      pause.call(a);
      setCurrentTime.call(a, Math.max(0, t - born));
      n++;
    }
    const svgs = [];
    if (document.documentElement instanceof SVGSVGElement) svgs.push(document.documentElement);
    for (const s of query.call(document, 'svg'))
      if (!s.ownerSVGElement && s !== document.documentElement) svgs.push(s);
    for (const s of svgs) { svgPause.call(s); svgSeek.call(s, t / 1000); }
    return [n, svgs.length];
  };
  async function seek(target) {
    target = Number(target);
    const start = {calls: stats.calls, dropped: stats.dropped, errors: stats.errors};
    let budget = MAX_CALLS;
    adopt();
    while (heap.length && heap[0].at <= target) {
      const t = pop();
      if (t.dead) continue;
      if (budget-- <= 0) {  // a flood: drop what is left of this frame
        stats.dropped++;
        if (t.every) { t.at = target + t.every; t.seq = seq++; push(t); }
        else live.delete(t.id);
        continue;
      }
      now = Math.max(now, t.at);
      if (t.every) { t.at += t.every; t.seq = seq++; push(t); } else live.delete(t.id);
      nesting = t.nest;
      call(t.fn, t.args);
      nesting = 0;
      await null;  // the callback's promise jobs run before the next timer
      adopt();
    }
    now = Math.max(now, target);
    const due = frames;
    frames = new Map();
    for (const fn of due.values()) {
      if (budget-- <= 0) { stats.dropped++; continue; }
      call(fn, [now]);
    }
    await null;
    const [animations, svgs] = seekAnimations(now);
    await realFrames(2);
    return {time_ms: now, calls: stats.calls - start.calls,
            dropped: stats.dropped - start.dropped, errors: stats.errors - start.errors,
            animations, svgs, pending: live.size};
  }
  seal('__visioncode_clock', {seek, settle: async () => {
    await fontsReady();
    await realFrames(2);
  }});

  const css = `*, *::before, *::after { caret-color: transparent !important;
      scroll-behavior: auto !important; }
    :where(button, input, select, textarea) { font-family: sans-serif; }`;
  const add_style = () => {
    if (!(document.documentElement instanceof HTMLElement)) return;
    if (document.getElementById('__visioncode_style')) return;
    const el = document.createElement('style');
    el.id = '__visioncode_style';
    el.textContent = css;
    (document.head || document.documentElement).appendChild(el);
  };
  if (document.documentElement) add_style();
  document.addEventListener('DOMContentLoaded', add_style);
})();
"""
)

#: Moves the virtual clock of ANIMATION_INIT_SCRIPT to `t` ms and waits for the paint.
SEEK = "(t) => window.__visioncode_clock.seek(t)"

#: Still pictures: see INIT_SCRIPT.
SETTLE_STILL = "() => window.__visioncode_still.settle()"

#: Frames: fonts loaded, then two real frames (the virtual clock stays at 0).
SETTLE_FRAMES = "() => window.__visioncode_clock.settle()"
