"""visioncode-html: HTML programs run in the system Chromium, driven by Playwright.

The browser never runs in the framework's process: a warm sandboxed worker
(`visioncode_html.browser_worker`) owns one Chromium, gives every job a fresh browser
context, blocks all network (HTTP(S), WebSockets, file reads), time-boxes JavaScript and
replaces the browser after a crash, a timeout or a memory overrun. Components:

- executor `html`: loads the page, replays GUI actions, records DOM and screenshot per step;
- renderers `chromium` (HTML) and `chromium-svg` (SVG programs, swappable with cairosvg);
- visual prompter `set-of-marks`: numbered boxes on interactive elements, with a legend;
- metrics `design2code` (block-match, text, position, colour) and `action-selection`.

This module imports nothing heavy: Playwright is imported only inside the worker.
"""
