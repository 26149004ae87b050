"""Find the SVG in a model's raw output, and make small, safe repairs.

Where to look, in order: fenced blocks tagged ```svg, then other fenced blocks that
contain `<svg`, then the whole text (a prefixed root, `<svg:svg>`, counts as `<svg>`).
In the first of those places that holds a complete `<svg>...</svg>` element, the *last*
complete one is taken (models often show a draft and then the final version). An XML
declaration, DOCTYPE or comments directly before it are kept, so the executor sees (and
judges) the whole document. Only when no complete element
exists anywhere is a truncated one (an `<svg` with no matching `</svg>`) taken and closed.

Repairs are made only to a document that does not parse as it is, and each is recorded:

- HTML named entities (`&nbsp;`, `&copy;`) become numeric character references;
- a stray `&` that does not start an entity becomes `&amp;`;
- a truncated document is closed: an incomplete tag, comment or CDATA section at the end
  is dropped and the elements still open are closed in order. This is done only when the
  tags seen so far nest properly; otherwise the text is left as it is.

Line numbers of the program are preserved by every repair (they only change characters
within a line or add text at the end).

A repaired Extraction keeps the program as it was found, before any repair, in
`Extraction.original`, so a record holds every version: the raw output
(`completion.text`), the extracted program (`extraction.original`, or
`extraction.program` when nothing was repaired), the repaired one (`extraction.program`)
and the sanitised one (`execution.program`).
"""

from __future__ import annotations

import html.entities
import re
from dataclasses import dataclass

from visioncode import Extraction

from .sanitize import SanitizeError, parse, well_formed_error

_FENCE = re.compile(r"```[ \t]*([\w+.#-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
#: An `<svg>` tag, also with a namespace prefix (`<svg:svg xmlns:svg="...">`).
_SVG_PREFIX = r"(?:[A-Za-z_][\w.-]*:)?"
_SVG_OPEN = re.compile(rf"<{_SVG_PREFIX}svg(?=[\s>/])")
_SVG_TAG = re.compile(rf"<{_SVG_PREFIX}svg(?=[\s>/])[^>]*?(/?)>|</{_SVG_PREFIX}svg\s*>")
_DOCTYPE = re.compile(r"<!DOCTYPE\b(?:[^\[>]|\[.*?\])*>", re.DOTALL)
_XML_DECL = re.compile(r"<\?xml\b[^>]*\?>")
_PROLOG_PARTS = (
    ("-->", "<!--", re.compile(r"<!--.*?-->", re.DOTALL)),
    ("?>", "<?xml", _XML_DECL),
    (">", "<!DOCTYPE", _DOCTYPE),
)
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_ENTITY_OR_AMP = re.compile(r"&(?:([A-Za-z_][\w.-]*);|#[0-9]+;|#x[0-9A-Fa-f]+;)?")
_UNTOUCHABLE = re.compile(r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)", re.DOTALL)
# Markup tokens, for closing a truncated document.
_TOKEN = re.compile(
    r"""<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE\b(?:[^\[>]|\[.*?\])*>
    |</(?P<end>[A-Za-z_][\w:.-]*)\s*>
    |<(?P<start>[A-Za-z_][\w:.-]*)(?:\s+[^\s=/>"']+(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*\s*(?P<empty>/?)>
    """,
    re.DOTALL | re.VERBOSE,
)


@dataclass
class _Block:
    start: int
    end: int
    complete: bool


def _svg_blocks(text: str) -> list[_Block]:
    """Top-level `<svg>` elements in `text` (nested `<svg>` counted), the last possibly
    incomplete."""
    blocks: list[_Block] = []
    depth, start = 0, 0
    for m in _SVG_TAG.finditer(text):
        closing = m.group(0).startswith("</")
        if not closing:
            if depth == 0:
                start = m.start()
            if m.group(1):  # <svg .../>
                if depth == 0:
                    blocks.append(_Block(start, m.end(), True))
                continue
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                blocks.append(_Block(start, m.end(), True))
    if depth > 0:
        blocks.append(_Block(start, len(text), False))
    return blocks


def _with_prolog(text: str, start: int) -> int:
    """Move `start` back over what may precede a root element: comments, one DOCTYPE and
    an XML declaration (at most 64 pieces, so hostile input stays linear)."""
    seen: set[str] = set()
    for _ in range(64):
        end = start
        while end > 0 and text[end - 1].isspace():
            end -= 1
        for suffix, opener, pattern in _PROLOG_PARTS:
            if not text.endswith(suffix, 0, end) or (opener != "<!--" and opener in seen):
                continue
            p = text.rfind(opener, 0, end)
            if p != -1 and pattern.fullmatch(text, p, end):
                if opener == "<?xml":
                    return p  # nothing may precede the XML declaration
                seen.add(opener)
                start = p
                break
        else:
            return start
    return start


def _sources(text: str) -> list[tuple[str, list[str]]]:
    fences = [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]
    svg_fences = [body for lang, body in fences if lang == "svg"]
    other_fences = [body for lang, body in fences if lang != "svg" and _SVG_OPEN.search(body)]
    out: list[tuple[str, list[str]]] = []
    if svg_fences:
        out.append(("the ```svg fenced block", svg_fences))
    if other_fences:
        out.append(("a fenced code block", other_fences))
    out.append(("the text", [text]))
    return out


def find_svg(text: str) -> tuple[str | None, bool, list[str]]:
    """The SVG source in `text`: (source or None, complete?, notes)."""
    sources = _sources(text)
    truncated: tuple[str, str, int] | None = None
    for where, bodies in sources:
        complete = [(body, b) for body in bodies for b in _svg_blocks(body) if b.complete]
        if complete:
            body, block = complete[-1]
            notes = [f"took the SVG from {where}"]
            if len(complete) > 1:
                notes.append(f"took the last of {len(complete)} <svg> elements")
            start = _with_prolog(body, block.start)
            source = body[start : block.end]
            if source == text.strip():
                notes = []  # the output was the SVG and nothing else
            return source, True, notes
        if truncated is None:
            for body in reversed(bodies):
                blocks = _svg_blocks(body)
                if blocks:
                    truncated = (where, body, blocks[-1].start)
                    break
    if truncated is None:
        return None, False, []
    where, body, pos = truncated
    start = _with_prolog(body, pos)
    return body[start:].rstrip(), False, [f"took the SVG from {where}"]


def _outside_comments(text: str, fix: object) -> str:
    """Apply `fix` to the parts of `text` that are not comments or CDATA sections."""
    assert callable(fix)
    out, pos = [], 0
    for m in _UNTOUCHABLE.finditer(text):
        out.append(fix(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(fix(text[pos:]))
    return "".join(out)


def repair_entities(text: str) -> tuple[str, list[str]]:
    """Replace HTML named entities with numeric references and escape stray `&`."""
    stray, named = 0, set()
    # Entities the document declares itself are the executor's to expand (or refuse).
    declared = set(re.findall(r"<!ENTITY\s+(?:%\s+)?([^\s\"'>]+)", text))

    def one(m: re.Match[str]) -> str:
        nonlocal stray
        name = m.group(1)
        if m.group(0) == "&":
            stray += 1
            return "&amp;"
        if name is None or name in _XML_ENTITIES or name in declared:
            return m.group(0)
        cp = html.entities.name2codepoint.get(name)
        if cp is None:
            stray += 1
            return "&amp;" + m.group(0)[1:]
        named.add(name)
        return f"&#{cp};"

    fixed = _outside_comments(text, lambda part: _ENTITY_OR_AMP.sub(one, part))
    notes = []
    if named:
        names = ", ".join(f"&{n};" for n in sorted(named))
        notes.append(f"replaced HTML entities ({names}) with numeric character references")
    if stray:
        notes.append(f"escaped {stray} stray '&' as '&amp;'")
    return fixed, notes


def close_truncated(text: str) -> tuple[str, list[str]] | None:
    """Close a document cut off before its end. None if it cannot be done safely
    (mismatched tags before the cut)."""
    stack: list[str] = []
    pos = 0
    notes: list[str] = []
    while True:
        lt = text.find("<", pos)
        if lt == -1:
            break
        m = _TOKEN.match(text, lt)
        if m is None:
            rest = text[lt:]
            if not rest.startswith(("<!--", "<![CDATA[")) and "<" in rest[1:]:
                return None  # a '<' we cannot read in the middle: not just truncation
            notes.append(f"dropped the incomplete markup at the end ({text[lt:lt + 30]!r}...)")
            text = text[:lt].rstrip()
            break
        if m.group("start") and not m.group("empty"):
            stack.append(m.group("start"))
        elif m.group("end"):
            if not stack or stack[-1] != m.group("end"):
                return None
            stack.pop()
        pos = m.end()
    if not stack:
        return (text, notes) if notes else None
    closing = "".join(f"</{name}>" for name in reversed(stack))
    notes.append(f"closed {len(stack)} unclosed element(s) at the end: {closing}")
    return text + closing, notes


def extract_svg(text: str) -> Extraction:
    """The Extraction for model output `text` (see the module docstring)."""
    source, complete, notes = find_svg(text)
    if source is None:
        return Extraction(status="no_svg", program=None, notes=["no <svg> element found"])
    try:
        parse(source)
    except SanitizeError as exc:
        if exc.kind.startswith("entity"):
            # Entity declarations the executor refuses (external, a bomb): no repair
            # would make them safe, and rewriting the references would hide them.
            return Extraction(status="ok", program=source, notes=notes)
    else:
        return Extraction(status="ok", program=source, notes=notes)
    repairs: list[str] = []
    fixed, more = repair_entities(source)
    repairs += more
    if not complete:
        closed = close_truncated(fixed)
        if closed is None:
            notes.append("the SVG is truncated and could not be closed safely")
        else:
            fixed, more = closed
            repairs += more
    if not repairs:
        return Extraction(status="ok", program=source, notes=notes)
    problem = well_formed_error(fixed)
    if problem is not None:
        repairs.append(f"still not well-formed after repair: {problem}")
    return Extraction(status="repaired", program=fixed, notes=[*notes, *repairs],
                      original=source)


def original_program(extraction: Extraction) -> str | None:
    """The program as it was found in the output, before any repair (for an unrepaired
    extraction, its program)."""
    return extraction.original if extraction.original is not None else extraction.program
