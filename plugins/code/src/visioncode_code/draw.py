"""Drawing source code as a picture with a known layout.

The defaults are CodeOCR's rendering settings: a VS Code light theme (`vscode-light`, a
Pygments style with the colours of VS Code's Light+ theme), DejaVu Sans Mono at 40 px,
300 DPI recorded in the PNG, and a downscale factor of 1, 2, 4 or 8 applied last (the
image is drawn at full size and shrunk with Lanczos), trading tokens for legibility.

Layout, all in pixels of the full-size image before the downscale:

- every character cell is `advance` wide (the font's advance width of "M"; DejaVu Sans
  Mono is monospaced) and `line_height` = round(font_size * line_spacing) tall;
- tabs are expanded to `tab_size` columns first; a final newline ends the last line
  (it does not start an empty one);
- **wrapping rule**: a source line longer than `wrap_columns` characters is cut into rows
  of exactly `wrap_columns` characters (the last row takes the rest); a cut never moves
  or drops a character, continuation rows start at the left margin, and all rows of one
  source line belong to it. `wrap_columns = 0` never wraps;
- with `line_numbers`, a gutter of the largest line number's digits plus two cells is
  drawn left of the code, the number on the first row of its line only;
- the image is `margin` pixels larger than the text on every side.

`lines` in the result gives, per source line (1-based), its rows and its box
`[left, top, right, bottom]` in the final (downscaled) image: the union of its rows'
cells, from the code's left edge to the end of its longest row (an empty line keeps one
cell's width so a critic can still point at it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from pygments import lex
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name, guess_lexer
from pygments.style import Style
from pygments.styles import get_style_by_name
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    String,
    Text,
    _TokenType,
)
from pygments.util import ClassNotFound

FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))
#: File names of the faces of the fonts the renderer knows by family name.
FONT_FILES = {
    "DejaVu Sans Mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
                         "DejaVuSansMono-Oblique.ttf", "DejaVuSansMono-BoldOblique.ttf"),
    "Liberation Mono": ("LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf",
                        "LiberationMono-Italic.ttf", "LiberationMono-BoldItalic.ttf"),
}


class VSCodeLightStyle(Style):
    """The colours of VS Code's default light theme (Light+) as a Pygments style."""

    name = "vscode-light"
    background_color = "#ffffff"
    styles = {
        Text: "#000000",
        Comment: "#008000",
        Keyword: "#0000ff",
        Keyword.Type: "#267f99",
        Name.Function: "#795e26",
        Name.Class: "#267f99",
        Name.Builtin: "#795e26",
        Name.Decorator: "#795e26",
        Name.Variable: "#001080",
        Name.Attribute: "#e50000",
        Name.Tag: "#800000",
        String: "#a31515",
        String.Escape: "#ee0000",
        Number: "#098658",
        Operator: "#000000",
        Operator.Word: "#0000ff",
        Error: "#cd3131",
    }


def style_class(name: str) -> type[Style]:
    """A Pygments style by name (`vscode-light` is this module's)."""
    if name == "vscode-light":
        return VSCodeLightStyle
    try:
        found: type[Style] = get_style_by_name(name)
    except ClassNotFound:
        raise ValueError(f"unknown Pygments style {name!r} (renderer.options.style): use "
                         "'vscode-light' or a name from pygments.styles") from None
    return found


def lexer_for(language: str, text: str) -> Lexer:
    """The Pygments lexer of `language` (a Pygments alias); `auto` guesses from the text,
    falling back to plain text."""
    # stripnl off: leading and trailing blank lines are lines too (their numbers count)
    if language == "auto":
        try:
            return guess_lexer(text[:20_000], stripnl=False)
        except ClassNotFound:
            return TextLexer(stripnl=False)
    try:
        return get_lexer_by_name(language, stripnl=False)
    except ClassNotFound:
        raise ValueError(f"unknown language {language!r} (renderer.options.language): use a "
                         "Pygments lexer alias such as 'python', or 'auto'") from None


@lru_cache(maxsize=32)
def font_paths(font: str) -> tuple[str, str, str, str]:
    """(regular, bold, italic, bold italic) files of a font family or a .ttf path."""
    if font.endswith((".ttf", ".otf", ".ttc")):
        if not Path(font).is_file():
            raise ValueError(f"font file not found: {font} (renderer.options.font)")
        return (font,) * 4
    names = FONT_FILES.get(font)
    if names is None:
        raise ValueError(f"unknown font {font!r} (renderer.options.font): use one of "
                         f"{', '.join(FONT_FILES)} or the path of a monospace .ttf")
    found: list[str] = []
    for name in names:
        hit = next((str(p) for folder in FONT_FOLDERS if Path(folder).is_dir()
                    for p in Path(folder).rglob(name)), None)
        found.append(hit or "")
    if not found[0]:
        raise ValueError(f"font {font!r} is not installed (looked for {names[0]} under "
                         f"{', '.join(FONT_FOLDERS)}); install fonts-dejavu-core")
    regular = found[0]
    return (regular, found[1] or regular, found[2] or regular, found[3] or regular)


@dataclass
class Layout:
    """Where each row of text goes (see the module docstring)."""

    rows: list[tuple[int, str]]  # (source line number, row text)
    advance: float
    line_height: int
    margin: int
    gutter: int  # pixels left of the code
    width: int
    height: int
    lines: dict[int, list[int]] = field(default_factory=dict)  # line -> row indexes


def wrap(text: str, wrap_columns: int, tab_size: int) -> list[tuple[int, str]]:
    """Rows of (source line, text) by the wrapping rule."""
    rows: list[tuple[int, str]] = []
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":  # a final newline ends the last line
        lines.pop()
    for number, line in enumerate(lines, 1):
        line = line.expandtabs(tab_size).rstrip("\r")
        if wrap_columns <= 0 or len(line) <= wrap_columns:
            rows.append((number, line))
            continue
        for start in range(0, len(line), wrap_columns):
            rows.append((number, line[start:start + wrap_columns]))
    return rows


def layout(text: str, font_size: int, line_spacing: float, margin: int, wrap_columns: int,
           tab_size: int, line_numbers: bool, advance: float) -> Layout:
    rows = wrap(text, wrap_columns, tab_size)
    line_height = round(font_size * line_spacing)
    last = rows[-1][0] if rows else 1
    gutter = math.ceil((len(str(last)) + 2) * advance) if line_numbers else 0
    columns = max((len(r) for _, r in rows), default=0)
    width = 2 * margin + gutter + math.ceil(max(columns, 1) * advance)
    height = 2 * margin + max(len(rows), 1) * line_height
    found = Layout(rows, advance, line_height, margin, gutter, width, height)
    for i, (number, _) in enumerate(rows):
        found.lines.setdefault(number, []).append(i)
    return found


def _token_rows(text: str, lexer: Lexer, rows: list[tuple[int, str]], wrap_columns: int,
                tab_size: int) -> list[list[tuple[_TokenType, str]]]:
    """The lexer's tokens cut along the rows (wrapping cuts tokens, never moves text)."""
    flat: list[tuple[_TokenType, str]] = []
    for ttype, value in lex(text, lexer):
        flat.extend((ttype, ch) for ch in value)
    # re-expand tabs as `wrap` did: walk characters line by line
    out: list[list[tuple[_TokenType, str]]] = [[] for _ in rows]
    row_of_line: dict[int, list[int]] = {}
    for i, (number, _) in enumerate(rows):
        row_of_line.setdefault(number, []).append(i)
    line, column = 1, 0
    for ttype, ch in flat:
        if ch == "\n":
            line, column = line + 1, 0
            continue
        if ch == "\r":
            continue
        chars = " " * (tab_size - column % tab_size) if ch == "\t" else ch
        for c in chars:
            indexes = row_of_line.get(line)
            if indexes:
                k = column // wrap_columns if wrap_columns > 0 else 0
                out[indexes[min(k, len(indexes) - 1)]].append((ttype, c))
            column += 1
    return out


def draw(text: str, *, language: str = "auto", style: str = "vscode-light",
         font: str = "DejaVu Sans Mono", font_size: int = 40, line_spacing: float = 1.3,
         margin: int = 40, wrap_columns: int = 100, tab_size: int = 4,
         line_numbers: bool = False, downscale: int = 1, background: str | None = "theme",
         max_pixels: int = 64_000_000) -> tuple[Image.Image, dict[str, Any]]:
    """The highlighted image of `text` and its layout metadata (see the module
    docstring). `background` is the style's background (`theme`), a colour, or None
    (transparent). Raises ValueError for an unknown style, language or font, or a text whose
    image would exceed `max_pixels` before the downscale."""
    regular, bold, italic, bold_italic = font_paths(font)
    faces = {(False, False): ImageFont.truetype(regular, font_size),
             (True, False): ImageFont.truetype(bold, font_size),
             (False, True): ImageFont.truetype(italic, font_size),
             (True, True): ImageFont.truetype(bold_italic, font_size)}
    advance = faces[(False, False)].getlength("M")
    lay = layout(text, font_size, line_spacing, margin, wrap_columns, tab_size,
                 line_numbers, advance)
    if lay.width * lay.height > max_pixels:
        raise ValueError(f"the code image would be {lay.width}x{lay.height} pixels, over "
                         f"max_pixels = {max_pixels} (fewer lines, a smaller font_size, or "
                         "wrap_columns)")
    theme = style_class(style)
    lexer = lexer_for(language, text)
    if background == "theme":
        image = Image.new("RGB", (lay.width, lay.height), theme.background_color or "#ffffff")
    elif background is None:
        image = Image.new("RGBA", (lay.width, lay.height), (0, 0, 0, 0))
    else:
        try:
            image = Image.new("RGB", (lay.width, lay.height), background)
        except ValueError:
            raise ValueError(f"unknown background colour {background!r}") from None
    pen = ImageDraw.Draw(image)
    ascent = faces[(False, False)].getmetrics()[0]
    top_pad = (lay.line_height - font_size) // 2
    gutter_colour = getattr(theme, "line_number_color", None)
    if not (isinstance(gutter_colour, str) and gutter_colour.startswith("#")):
        gutter_colour = "#237893"  # VS Code's line-number colour
    token_rows = _token_rows(text, lexer, lay.rows, wrap_columns, tab_size)
    first_rows = {indexes[0] for indexes in lay.lines.values()}
    styles: dict[_TokenType, dict[str, Any]] = {}
    for i, ((number, _), tokens) in enumerate(zip(lay.rows, token_rows, strict=True)):
        y = margin + i * lay.line_height + top_pad
        if line_numbers and i in first_rows:
            label = str(number)
            x = margin + lay.gutter - (len(label) + 1) * advance
            pen.text((x, y + ascent), label, font=faces[(False, False)], fill=gutter_colour,
                     anchor="ls")
        for column, (ttype, ch) in enumerate(tokens):
            if ch == " ":
                continue
            if ttype not in styles:
                styles[ttype] = theme.style_for_token(ttype)
            st = styles[ttype]
            face = faces[(bool(st["bold"]), bool(st["italic"]))]
            x = margin + lay.gutter + column * advance
            pen.text((x, y + ascent), ch, font=face, fill=f"#{st['color'] or '000000'}",
                     anchor="ls")
    scale = 1.0 / downscale
    if downscale > 1:
        size = (max(1, round(lay.width * scale)), max(1, round(lay.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    lines = []
    for number in sorted(lay.lines):
        indexes = lay.lines[number]
        longest = max(len(lay.rows[i][1]) for i in indexes)
        left = margin + lay.gutter
        top = margin + indexes[0] * lay.line_height
        right = left + max(longest, 1) * advance
        bottom = margin + (indexes[-1] + 1) * lay.line_height
        lines.append({"line": number, "rows": len(indexes),
                      "text": "".join(lay.rows[i][1] for i in indexes)[:2000],
                      "box": [round(left * scale, 2), round(top * scale, 2),
                              round(right * scale, 2), round(bottom * scale, 2)]})
    meta = {"language": lexer.name, "style": style, "font": font, "font_size": font_size,
            "downscale": downscale, "wrap_columns": wrap_columns, "tab_size": tab_size,
            "line_height": round(lay.line_height * scale, 2),
            "char_width": round(advance * scale, 4), "rows": len(lay.rows),
            "full_size": [lay.width, lay.height], "lines": lines}
    return image, meta
