"""Parse an untrusted SVG safely and strip what could reach outside the picture.

Parsing is done with lxml/libxml2 with entity substitution, DTD loading and network access
off and the huge-tree option off (libxml2 then also caps nesting depth and text sizes).
Documents are *rejected* (`SanitizeError`) when they cannot be made safe by removal:

- any DOCTYPE that declares entities (billion laughs, XXE to local files or URLs);
- more than `max_bytes` bytes or `max_elements` elements;
- a root element that is not `<svg>` in the SVG namespace;
- `<use>` references that would expand to more than `max_use_expansion` elements,
  or that form a cycle.

Everything else that is active or external is *removed* and each removal is recorded:

- `<script>`, `<foreignObject>`, `<iframe>`, `<embed>`, `<object>`, `<handler>`;
- `on*` event-handler attributes; `<set>`/`<animate>` that target an `href` or an `on*`;
- `href` / `xlink:href` values other than a `#fragment`, plus, on `<image>`/`<feImage>`
  only, `data:image/(png|jpeg|gif|webp|svg+xml)` URLs. SVG images in data URLs are
  sanitised recursively (up to `max_nesting` levels) and their expanded size counts
  towards the `<use>` budget of the document that shows them;
- processing instructions (`<?xml-stylesheet?>` and any other);
- CSS `@import` rules and `url(...)` values other than `url(#fragment)`, in `<style>`
  elements, `style` attributes and presentation attributes (`fill="url(...)"`). CSS that
  hides an import or URL behind escape sequences is dropped whole.

The DOCTYPE itself (e.g. the common SVG 1.1 public identifier) is dropped from the
output; the sanitised document is the `<svg>` element alone, so no DTD reaches a renderer.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

#: Elements removed with their whole subtree (matched by local name, any namespace).
ACTIVE_ELEMENTS = frozenset({"script", "foreignObject", "iframe", "embed", "object", "handler"})
#: Animation elements that could rewrite an attribute we cleaned.
ANIMATION_ELEMENTS = frozenset({"set", "animate", "animateTransform", "animateMotion"})
#: Elements on which a data:image URL is a picture to show (elsewhere only #fragment).
IMAGE_ELEMENTS = frozenset({"image", "feImage"})

_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|jpg|gif|webp|svg\+xml)\s*[;,]", re.IGNORECASE)
_ENTITY_DECL = re.compile(r"<!ENTITY\b")
_XML_DECL_ENCODING = re.compile(
    r"""^(<\?xml\b[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""", re.IGNORECASE
)
_ROOT_START = re.compile(r"<svg\b[^>]*>")
_CSS_IMPORT = re.compile(r"@import\b[^;]*;?", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*?))\s*\)""", re.IGNORECASE)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})\s?|(.))", re.DOTALL)


@dataclass(frozen=True)
class SanitizeLimits:
    """Size limits for one document (each nested SVG image gets the same limits)."""

    max_bytes: int = 2_000_000
    max_elements: int = 50_000
    max_use_expansion: int = 100_000
    max_nesting: int = 2


class SanitizeError(Exception):
    """The document cannot be made safe: `kind` names the reason, `line` is the
    1-based line of the program where one is known."""

    def __init__(self, kind: str, message: str, line: int | None = None) -> None:
        self.kind, self.message, self.line = kind, message, line
        super().__init__(message)


@dataclass(frozen=True)
class Removal:
    """One thing the sanitiser removed, and the program line it was on."""

    what: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.what} (line {self.line})" if self.line else self.what


@dataclass
class Sanitized:
    """A sanitised document: the `<svg>` element serialised, and what was done to it."""

    svg: str
    elements: int
    use_expansion: int
    removed: list[Removal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def safe_parser() -> etree.XMLParser:
    """The only parser this plugin uses on untrusted SVG."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        remove_blank_text=False,
    )


def prepare(text: str) -> tuple[bytes, int, list[str]]:
    """Turn program text into bytes for the parser.

    Returns the bytes, the number of lines dropped at the top (to map lxml's line numbers
    back to the program's) and notes on what was adjusted: a BOM and leading blank lines
    are dropped, an XML declaration's `encoding` is set to UTF-8 (the text is already
    decoded), and a root `<svg>` without the SVG namespace, or using `xlink:` without
    declaring it, gets the declaration added (both are common in model output and parse
    errors otherwise)."""
    notes: list[str] = []
    text = text.lstrip("\ufeff")
    stripped = text.lstrip()
    offset = text[: len(text) - len(stripped)].count("\n")
    text = _XML_DECL_ENCODING.sub(r"\1\2UTF-8\2", stripped, count=1)
    m = _ROOT_START.search(text)
    if m:
        tag = m.group(0)
        new = tag
        if not re.search(r"\sxmlns\s*=", tag):
            new = new.replace("<svg", f'<svg xmlns="{SVG_NS}"', 1)
            notes.append("added the missing SVG namespace declaration (xmlns) to <svg>")
        if "xlink:" in text and not re.search(r"\sxmlns:xlink\s*=", text):
            new = new.replace("<svg", f'<svg xmlns:xlink="{XLINK_NS}"', 1)
            notes.append("added the missing xmlns:xlink declaration to <svg>")
        if new != tag:
            text = text[: m.start()] + new + text[m.end() :]
    return text.encode("utf-8"), offset, notes


def parse(text: str) -> tuple[etree._Element, int, list[str]]:
    """Parse program text with the safe parser. Raises SanitizeError(`xml_syntax`)."""
    data, offset, notes = prepare(text)
    if not data.strip():
        raise SanitizeError("empty", "the program is empty")
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno + offset if exc.lineno else None
        msg = re.sub(r", line \d+, column \d+$", "", str(exc.msg or exc))
        raise SanitizeError("xml_syntax", f"the SVG is not well-formed XML: {msg}", line) from None
    return root, offset, notes


def well_formed_error(text: str) -> str | None:
    """None if `text` parses with the safe parser, else lxml's message."""
    try:
        parse(text)
    except SanitizeError as exc:
        return exc.message
    return None


def local_name(node: etree._Element) -> str:
    tag = node.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _attr_local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def is_href(name: str) -> bool:
    """`href`, `xlink:href`, or any namespaced `...:href` attribute."""
    return _attr_local(name) == "href"


def href_of(el: etree._Element) -> str:
    """The element's href (plain or xlink:), stripped; "" if it has none."""
    return next((v for a, v in el.attrib.items() if is_href(a)), "").strip()


def _short(value: str, n: int = 60) -> str:
    value = " ".join(value.split())
    return value if len(value) <= n else value[: n - 3] + "..."


def clean_css(css: str) -> tuple[str, list[str]]:
    """Remove `@import` rules and non-fragment `url(...)` values from CSS text.

    Returns the cleaned text and a description of each removal. CSS whose escape
    sequences decode to an import or URL that the plain text did not show is dropped
    whole (returns "")."""
    removed: list[str] = []

    def drop_import(m: re.Match[str]) -> str:
        removed.append(f"CSS {_short(m.group(0))!r}")
        return ""

    def drop_url(m: re.Match[str]) -> str:
        target = next(g for g in m.groups() if g is not None).strip()
        if target.startswith("#"):
            return m.group(0)
        removed.append(f"CSS url({_short(target)!r})")
        return "none"

    out = _CSS_URL.sub(drop_url, _CSS_IMPORT.sub(drop_import, css))
    if "\\" in out:
        decoded = _CSS_ESCAPE.sub(_unescape, out)
        if _CSS_IMPORT.search(decoded) or any(
            not next(g for g in m.groups() if g is not None).strip().startswith("#")
            for m in _CSS_URL.finditer(decoded)
        ):
            removed.append("CSS that hides @import or url() behind escape sequences")
            return "", removed
    return out, removed


def _unescape(m: re.Match[str]) -> str:
    if m.group(1):
        cp = int(m.group(1), 16)
        return chr(cp) if 0 < cp <= 0x10FFFF else "\ufffd"
    return m.group(2)


def _decode_data_url(url: str) -> bytes:
    header, _, payload = url.partition(",")
    if ";base64" in header.lower():
        return base64.b64decode("".join(payload.split()), validate=True)
    return urllib.parse.unquote_to_bytes(payload)


def _entity_line(text: str) -> int | None:
    m = _ENTITY_DECL.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def sanitize(text: str, limits: SanitizeLimits | None = None, *, _depth: int = 0) -> Sanitized:
    """Parse, check and clean one SVG document. Raises SanitizeError when it cannot be made
    safe; otherwise returns the cleaned document and a record of every removal."""
    limits = limits or SanitizeLimits()
    size = len(text.encode("utf-8", "replace"))
    if size > limits.max_bytes:
        raise SanitizeError(
            "too_large", f"the SVG is {size} bytes; the limit is {limits.max_bytes} bytes"
        )
    if _ENTITY_DECL.search(text):
        raise SanitizeError(
            "entity_declaration",
            "the DOCTYPE declares XML entities, which are not allowed (they enable "
            "'billion laughs' and external-entity attacks); remove the DOCTYPE",
            _entity_line(text),
        )
    root, offset, notes = parse(text)

    def line_of(node: etree._Element) -> int | None:
        return node.sourceline + offset if node.sourceline else None

    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise SanitizeError(
            "entity_declaration", "the DOCTYPE declares XML entities, which are not allowed"
        )
    if local_name(root) != "svg" or etree.QName(root).namespace != SVG_NS:
        raise SanitizeError(
            "not_svg", f"the root element is <{local_name(root) or root.tag}>, not <svg>",
            line_of(root),
        )
    count = sum(1 for _ in root.iter(etree.Element))
    if count > limits.max_elements:
        raise SanitizeError(
            "too_many_elements",
            f"the SVG has {count} elements; the limit is {limits.max_elements}",
        )
    removed: list[Removal] = []

    # Processing instructions, including <?xml-stylesheet?> before the root.
    for pi in [*root.itersiblings(etree.ProcessingInstruction, preceding=True),
               *root.iter(etree.ProcessingInstruction)]:
        what = "<?xml-stylesheet?> processing instruction" if pi.target == "xml-stylesheet" \
            else f"<?{pi.target}?> processing instruction"
        removed.append(Removal(what, line_of(pi)))
        if pi.getparent() is not None:
            _remove(pi)
    if root.getroottree().docinfo.doctype:
        notes.append("dropped the DOCTYPE")

    # Entity references cannot survive the checks above; refuse if one somehow did.
    if any(True for _ in root.iter(etree.Entity)):
        raise SanitizeError("entity_declaration", "the SVG uses XML entity references")

    weights: dict[etree._Element, int] = {}
    stack = [root]  # document order; a removed element's subtree is never visited
    while stack:
        el = stack.pop()
        name = local_name(el)
        if name in ACTIVE_ELEMENTS:
            removed.append(Removal(f"<{name}> element", line_of(el)))
            _remove(el)
            continue
        if name in ANIMATION_ELEMENTS:
            target = (el.get("attributeName") or "").strip()
            if is_href(target) or target.lower().startswith("on"):
                removed.append(Removal(f"<{name}> that sets {target!r}", line_of(el)))
                _remove(el)
                continue
        _clean_attributes(el, name, removed, line_of(el), weights, limits, _depth)
        if name == "style" and el.text:
            css, gone = clean_css(el.text)
            if gone:
                el.text = css
                removed += [Removal(g + " in <style>", line_of(el)) for g in gone]
        stack.extend(reversed(list(el.iterchildren(etree.Element))))

    # A <use> that references nothing renders nothing (SVG 2, 5.6.2), but cairosvg
    # renders `href=""` or `href="#"` as the whole document, recursing until it fails.
    ids = {i for el in root.iter(etree.Element) if (i := el.get("id"))}
    for el in list(root.iter(etree.Element)):
        if local_name(el) == "use":
            ref = href_of(el)
            if not (ref.startswith("#") and ref[1:] in ids):
                what = f"references {ref!r}, which is no element's id" if ref else "has no href"
                removed.append(Removal(f"<use> that {what}", line_of(el)))
                _remove(el)

    expansion = use_expansion(root, limits.max_use_expansion, weights, line_of)
    svg = etree.tostring(root, encoding="unicode", with_tail=False)
    count = sum(1 for _ in root.iter(etree.Element))
    return Sanitized(svg=svg, elements=count, use_expansion=expansion, removed=removed,
                     notes=notes)


def _remove(node: etree._Element) -> None:
    """Remove `node` but keep its tail text in the document."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        prev = node.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def _clean_attributes(
    el: etree._Element, name: str, removed: list[Removal], line: int | None,
    weights: dict[etree._Element, int], limits: SanitizeLimits, depth: int,
) -> None:
    for attr, value in list(el.attrib.items()):
        local = _attr_local(attr)
        if local.lower().startswith("on"):
            removed.append(Removal(f"event handler {local}={_short(value)!r} on <{name}>", line))
            del el.attrib[attr]
        elif is_href(attr):
            _clean_href(el, name, attr, value, removed, line, weights, limits, depth)
        elif "url(" in value.lower() or (local == "style" and "@import" in value.lower()):
            css, gone = clean_css(value)
            if gone:
                where = "style attribute" if local == "style" else f"{local} attribute"
                removed += [Removal(f"{g} in {where} of <{name}>", line) for g in gone]
                if css.strip():
                    el.set(attr, css)
                else:
                    del el.attrib[attr]


def _clean_href(
    el: etree._Element, name: str, attr: str, value: str, removed: list[Removal],
    line: int | None, weights: dict[etree._Element, int], limits: SanitizeLimits, depth: int,
) -> None:
    v = value.strip()
    if v.startswith("#"):
        return
    label = "xlink:href" if attr.startswith(f"{{{XLINK_NS}}}") else _attr_local(attr)
    m = _DATA_IMAGE.match(v)
    if m and name in IMAGE_ELEMENTS:
        if m.group(1).lower() != "svg+xml":
            return
        problem = None
        if depth >= limits.max_nesting:
            problem = f"SVG images nested more than {limits.max_nesting} deep are not allowed"
        else:
            try:
                inner_text = _decode_data_url(v).decode("utf-8", "replace")
                inner = sanitize(inner_text, limits, _depth=depth + 1)
            except SanitizeError as exc:
                problem = exc.message
            except (binascii.Error, ValueError) as exc:
                problem = f"undecodable data URL ({exc})"
        if problem is None:
            el.set(attr, "data:image/svg+xml;base64,"
                   + base64.b64encode(inner.svg.encode()).decode())
            weights[el] = inner.use_expansion
            for r in inner.removed:
                removed.append(Removal(f"{r.what} inside the SVG image on <{name}>", line))
            return
        removed.append(Removal(f"{label} with an SVG image on <{name}>: {problem}", line))
        del el.attrib[attr]
        return
    removed.append(Removal(f"{label}={_short(v)!r} on <{name}>", line))
    del el.attrib[attr]


def use_expansion(
    root: etree._Element, limit: int, weights: dict[etree._Element, int] | None = None,
    line_of: Callable[[etree._Element], int | None] | None = None,
) -> int:
    """The number of elements the document expands to when every `<use>` is replaced by
    a copy of what it references (recursively), plus `weights` for elements that carry
    more (an `<image>` showing a nested SVG). Raises SanitizeError on a reference cycle
    or when the total exceeds `limit`. Iterative, so long chains cannot overflow the stack."""
    weights = weights or {}
    lines = line_of or (lambda n: n.sourceline)
    ids: dict[str, etree._Element] = {}
    for el in root.iter(etree.Element):
        i = el.get("id")
        if i and i not in ids:
            ids[i] = el

    def deps(el: etree._Element) -> list[etree._Element]:
        out = list(el.iterchildren(etree.Element))
        if local_name(el) == "use":
            ref = href_of(el)
            target = ids.get(ref[1:]) if ref.startswith("#") else None
            if target is not None:
                out.append(target)
        return out

    cap = limit + 1
    size: dict[etree._Element, int] = {}
    acc: dict[etree._Element, int] = {root: 1 + weights.get(root, 0)}
    on_path: set[etree._Element] = {root}
    stack = [(root, iter(deps(root)))]
    while stack:
        node, it = stack[-1]
        child = next(it, None)
        if child is None:
            stack.pop()
            on_path.discard(node)
            size[node] = min(acc.pop(node), cap)
            if stack:
                parent = stack[-1][0]
                acc[parent] = min(acc[parent] + size[node], cap)
                if acc[parent] >= cap:
                    _too_big(limit)
            continue
        if child in on_path:
            path = [n for n, _ in stack]
            uses = [n for n in path[path.index(child):] if local_name(n) == "use"]
            culprit = uses[-1] if uses else node
            raise SanitizeError(
                "use_cycle",
                f"<use> referencing {href_of(culprit)!r} forms a reference cycle "
                "(it ends up containing itself)", lines(culprit),
            )
        if child in size:
            acc[node] = min(acc[node] + size[child], cap)
            if acc[node] >= cap:
                _too_big(limit)
            continue
        on_path.add(child)
        acc[child] = 1 + weights.get(child, 0)
        stack.append((child, iter(deps(child))))
    total = size[root]
    if total > limit:
        _too_big(limit)
    return total


def _too_big(limit: int) -> None:
    raise SanitizeError(
        "use_expansion",
        f"use expansion exceeds {limit} elements (nested <use> references multiply the "
        "document); reference fewer or smaller elements",
    )
