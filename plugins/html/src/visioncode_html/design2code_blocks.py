"""Design2Code's text blocks, found the way its code finds them (`protocol =
"design2code"`): from inked pixels, not from the DOM's line boxes.

Design2Code (github.com/NoviScl/Design2Code, `Design2Code/metrics/ocr_free_utils.py`,
`get_blocks_ocr_free`) re-renders a page twice with every text-bearing element's text in
a colour of its own (`ColorPool`: a 16-step RGB grid, the second copy shifted by 50 per
channel) and every background made transparent. A pixel belongs to text where the two
renders differ by that shift (within 8 per channel); a block is the bounding box of the
pixels of one text's colour (within 4 per channel) among them, its colour the mean of
those pixels in the page's own screenshot, its text the text node lower-cased. The
predicted page is cleaned up first (`pre_process` in `visual_score.py`): repeated
content truncated, a fragment wrapped in `<html><body><p>`, elements repeated more than
50 times dropped. Pages are shot at Playwright's default 1280 x 720 viewport, full page.

The three screenshots per page come from `render` (the metric passes the browser
worker); everything else is here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageColor

#: Design2Code's screenshot: Playwright's default viewport, full page.
WIDTH, HEIGHT = 1280, 720
TEXT_TAGS = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "div", "span", "a", "b", "li", "table",
             "td", "th", "button", "footer", "header", "figcaption"]

#: Renders an HTML document to a PNG: (html text, output path) -> the PNG's path.
Render = Callable[[str, Path], Path]


def colour_pool(offset: int = 0) -> list[str]:
    values = range(10, 251, 16)
    return [f"{(r + offset) % 256:02X}{(g + offset) % 256:02X}{(b + offset) % 256:02X}"
            for r in values for g in values for b in values]


def colour_coded(html: str, offset: int = 0) -> str:
    """The page with transparent backgrounds and one text colour per text element
    (`process_html`); colours are taken from the end of the pool."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")

    def update_style(element: Any, name: str, value: Any) -> None:
        styles = element.attrs.get("style", "").split(";")
        kept = [s for s in styles if not s.strip().startswith(name) and len(s.strip()) > 0]
        kept.append(f"{name}: {value} !important")
        element["style"] = "; ".join(kept).strip()

    for element in soup.find_all(True):
        update_style(element, "background-color", "rgba(255, 255, 255, 0.0)")
    pool = colour_pool(offset)
    for tag in soup.find_all(TEXT_TAGS):
        if not pool:
            raise ValueError("more than 4096 text elements: Design2Code's colour pool is "
                             "exhausted")
        update_style(tag, "color", f"#{pool.pop()}")
        update_style(tag, "opacity", 1.0)
    return str(soup)


def texts_with_colour(coded_html: str) -> list[tuple[str, str]]:
    """Every non-empty text node under <body> with the colour its nearest styled
    ancestor declares (`extract_text_with_color`, flattened)."""
    from bs4 import BeautifulSoup
    from bs4.element import Comment, NavigableString, Tag

    def colour_of(tag: Any) -> str | None:
        if "style" not in tag.attrs:
            return None
        styles = [s for s in tag["style"].split(";")
                  if "color" in s and "background-color" not in s]
        if not styles:
            return None
        value = styles[-1].split(":")[1].strip().replace(" !important", "")
        if value[0] == "#":
            return str(value)
        try:
            rgb = (tuple(map(int, value[4:-1].split(","))) if value.startswith("rgb")
                   else ImageColor.getrgb(value))
            return "#{:02x}{:02x}{:02x}".format(*rgb)
        except ValueError:
            return None

    out: list[tuple[str, str]] = []

    def walk(element: Any, parent: str) -> None:
        if isinstance(element, Comment):
            return
        if isinstance(element, NavigableString):
            text = element.strip()
            if text:
                out.append((text, parent))
            return
        if isinstance(element, Tag):
            current = colour_of(element) or parent
            for child in element.children:
                walk(child, current)

    body = BeautifulSoup(coded_html, "html.parser").body
    if body is not None:
        walk(body, "#000000")
    return out


def shifted_pixels(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Mask of pixels whose colour in `second` is `first`'s plus 50 (mod 256), within 8
    per channel (`find_different_pixels`)."""
    shifted = (first.astype(np.int64) + 50) % 256
    mask: np.ndarray = np.all(np.abs(shifted - second.astype(np.int64)) <= 8, axis=2)
    return mask


def blocks_from_renders(page: np.ndarray, coded: np.ndarray, coded_shifted: np.ndarray,
                        texts: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """`get_blocks_from_image_diff_pixels`: one block per text whose colour is inked."""
    if coded.shape != coded_shifted.shape:
        return []
    inked = shifted_pixels(coded, coded_shifted)
    if not inked.any():
        return []
    height, width = coded.shape[:2]
    blocks = []
    for text, colour in texts:
        try:
            hexa = colour.lstrip("#")
            rgb = np.array([int(hexa[i:i + 2], 16) for i in (0, 2, 4)], dtype=np.int64)
        except ValueError:
            continue
        lower, upper = (rgb - 4) % 256, (rgb + 4) % 256  # uint8 arithmetic, as cv2.inRange
        near = np.all((coded >= lower) & (coded <= upper), axis=2) & inked
        rows, cols = np.nonzero(near)
        if rows.size == 0:
            continue
        y0, y1, x0, x1 = rows.min(), rows.max(), cols.min(), cols.max()
        mean = page[rows, cols].astype(np.float64).mean(axis=0).astype(int)
        blocks.append({"text": text.lower(),
                       "bbox": (x0 / width, y0 / height, (x1 - x0 + 1) / width,
                                (y1 - y0 + 1) / height),
                       "color": tuple(int(c) for c in mean)})
    return blocks


def _read(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def page_blocks(html: str, render: Render, folder: Path) -> tuple[list[dict[str, Any]], Path]:
    """The page's blocks and its own screenshot, from three renders."""
    folder.mkdir(parents=True, exist_ok=True)
    shot = render(html, folder / "page.png")
    coded_html = colour_coded(html)
    coded = render(coded_html, folder / "coded.png")
    coded_1 = render(colour_coded(html, offset=50), folder / "coded_1.png")
    return (blocks_from_renders(_read(shot), _read(coded), _read(coded_1),
                                texts_with_colour(coded_html)), shot)


def _map_positions(clean: str, original: str) -> list[int]:
    out, k = [], 0
    for ch in clean:
        while original[k] != ch:
            k += 1
        out.append(k)
        k += 1
    return out


def truncate_repetition(content: str, chunk_size: int = 100, repetitions: int = 5,
                        threshold: float = 0.8) -> str:
    """`check_repetitive_content`: cut the page where 100-character chunks of its text
    (tags removed) start repeating (5 chunks at least 80% alike)."""
    clean = re.sub("<.*?>", "", content)
    positions = _map_positions(clean, content)
    chunks = [clean[i:i + chunk_size] for i in range(0, len(clean), chunk_size)]
    seen: dict[str, list[int]] = {}
    start = len(clean)
    for i, chunk in enumerate(chunks):
        for seen_chunk, indexes in seen.items():
            if difflib.SequenceMatcher(None, chunk, seen_chunk).ratio() >= threshold:
                indexes.append(i)
                if len(indexes) >= repetitions:
                    clean_start = min(start, indexes[0] * chunk_size)
                    at = positions[clean_start] if clean_start < len(positions) else len(content)
                    start = min(start, at)
                break
        else:
            seen[chunk] = [i]
    return content[:start] if start != len(clean) else content


def clean_up(html: str, max_count: int = 50) -> str:
    """`pre_process` of the predicted page: repetition cut, a fragment wrapped, the
    document re-serialised by html.parser with elements repeated past 50 dropped."""
    from bs4 import BeautifulSoup

    html = truncate_repetition(html)
    if not re.search(r"<html[^>]*>", html, re.IGNORECASE):
        html = f"<html><body><p>{html}</p></body></html>"
    soup = BeautifulSoup(html, "html.parser")
    counts: dict[str, int] = {}
    for element in soup.find_all(True):
        try:
            text = str(element)
        except Exception:  # an element broken by an earlier removal
            element.decompose()
            continue
        counts[text] = counts.get(text, 0) + 1
        if counts[text] > max_count:
            element.decompose()
    return str(soup)
