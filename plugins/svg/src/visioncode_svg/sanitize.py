"""Parse an untrusted SVG safely and strip what could reach outside the picture.

Parsing is done with lxml/libxml2 with entity substitution, DTD loading and network access
off and the huge-tree option off (libxml2 then also caps nesting depth and text sizes).
Internal entities declared in the DOCTYPE (`<!ENTITY name "value">`, as some editors and
the SVG 1.1 test suites write) are expanded by this module before parsing, under the
document's own limits: the expanded document may not exceed `max_bytes`, nor may more than
`max_elements` entity references be expanded (so "billion laughs" stops at the bound, in
time proportional to the bound). Expansion never moves a line.
Documents are *rejected* (`SanitizeError`) when they cannot be made safe by removal:

- external entities (`SYSTEM`/`PUBLIC`), parameter entities (`%name;`), recursive
  entities, and entity expansion beyond the bounds above;
- more than `max_bytes` bytes or `max_elements` elements;
- a root element that is not `<svg>` in the SVG namespace (any prefix: `<svg:svg>`);
- `<use>` references that would expand to more than `max_use_expansion` elements.

A `<use>` that forms a reference cycle is skipped (removed, and said in the notes), as
renderers skip it, and the rest of the document is kept.

Everything else that is active or external is *removed* and each removal is recorded:

- `<script>`, `<foreignObject>`, `<iframe>`, `<embed>`, `<object>`, `<handler>`;
- `on*` event-handler attributes; `<set>`/`<animate>` that target an `href` or an `on*`;
  `xml:base` (it would turn `#fragment` references into remote ones);
- `href` / `xlink:href` values other than a `#fragment`, plus, on `<image>`/`<feImage>`
  only, `data:` URLs whose content is a PNG, JPEG, GIF, WebP or SVG image. The content
  decides, not the declared type: a MIME-less `data:;base64,...` image is kept under its
  real type, and SVG content (also gzip-compressed, svgz, within `max_bytes` once
  decompressed) is sanitised recursively (up to `max_nesting` levels), re-encoded as plain
  `image/svg+xml`, and its expanded size counts towards the `<use>` budget of the
  document that shows it;
- processing instructions (`<?xml-stylesheet?>` and any other);
- CSS that loads anything: `@import` rules, `url(...)` values other than
  `url(#fragment)`, and `image-set()`/`image()`/`cross-fade()`/`src()` with a reference
  in them, in `<style>` elements (all of their text, whatever comments or child nodes
  split it), `style` attributes and every presentation attribute. CSS is read with a real
  tokenizer (tinycss2), so comments and escapes (`u\\72l(`) hide nothing, and the cleaned
  CSS is written back as that tokenizer read it.

The DOCTYPE itself (e.g. the common SVG 1.1 public identifier) is dropped from the
output; the sanitised document is the `<svg>` element alone, so no DTD reaches a renderer.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import tinycss2
from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

#: Elements removed with their whole subtree (matched by local name, any namespace).
ACTIVE_ELEMENTS = frozenset({"script", "foreignObject", "iframe", "embed", "object", "handler"})
#: Animation elements that could rewrite an attribute we cleaned.
ANIMATION_ELEMENTS = frozenset({"set", "animate", "animateTransform", "animateMotion"})
#: Elements on which a data:image URL is a picture to show (elsewhere only #fragment).
IMAGE_ELEMENTS = frozenset({"image", "feImage"})

#: Declared types of data: URLs that say nothing, so the content decides.
_UNTYPED = frozenset({"", "text/plain", "application/octet-stream"})
_RASTER_TYPES = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg",
                 "image/gif": "gif", "image/webp": "webp"}
_ENTITY_DECL = re.compile(r"<!ENTITY\b")
#: An XML general entity reference (the predefined ones and character references are
#: left to the parser).
_ENTITY_REF = re.compile(r"&([A-Za-z_:][\w.:-]*);")
_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})
_COMMENT_OR_CDATA = re.compile(r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)", re.DOTALL)
_XML_DECL_ENCODING = re.compile(
    r"""^(<\?xml\b[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""", re.IGNORECASE
)
_ROOT_START = re.compile(r"<svg(?=[\s>/])[^>]*>")
#: CSS functions that load what their string or url() arguments name.
_CSS_LOADERS = frozenset({"url", "src", "image-set", "-webkit-image-set", "image",
                          "cross-fade", "-webkit-cross-fade", "element"})


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


def parse(
    text: str, limits: SanitizeLimits | None = None, *, entities: bool = True,
) -> tuple[etree._Element, int, list[str]]:
    """Parse program text with the safe parser. Raises SanitizeError (`xml_syntax`, or
    an entity kind). Internal entities are expanded under `limits` first (see the module
    docstring); with `entities=False` any entity declaration is refused instead."""
    if _ENTITY_DECL.search(text):
        if not entities:
            raise SanitizeError("entity_declaration",
                                "the document declares XML entities", _entity_line(text))
        text, expanded = expand_entities(text, limits or SanitizeLimits())
    else:
        expanded = 0
    data, offset, notes = prepare(text)
    if expanded:
        notes.insert(0, f"expanded {expanded} internal XML entity reference(s)")
    if not data.strip():
        raise SanitizeError("empty", "the program is empty")
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno + offset if exc.lineno else None
        msg = re.sub(r", line \d+, column \d+$", "", str(exc.msg or exc))
        raise SanitizeError("xml_syntax", f"the SVG is not well-formed XML: {msg}", line) from None
    return root, offset, notes


def _entity_error(message: str, text: str, pos: int, kind: str = "entity_declaration") -> None:
    raise SanitizeError(kind, message, text.count("\n", 0, pos) + 1)


def _skip_quoted(text: str, pos: int, end_char: str) -> int:
    """The index just after the next `end_char` outside quotes, from `pos`."""
    quote = None
    while pos < len(text):
        c = text[pos]
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == end_char:
            return pos + 1
        pos += 1
    return -1


def _read_doctype(text: str, start: int) -> tuple[int, dict[str, tuple[str, int]]]:
    """Read the DOCTYPE at `start`: (index after it, {entity name: (value, position)}).
    Refuses external and parameter entities; other declarations are skipped."""
    pos = start + len("<!DOCTYPE")
    while pos < len(text) and text[pos] not in "[>":
        if text[pos] in "\"'":
            close = text.find(text[pos], pos + 1)
            if close == -1:
                _entity_error("the DOCTYPE is not closed", text, start)
            pos = close
        pos += 1
    found: dict[str, tuple[str, int]] = {}
    if pos >= len(text):
        _entity_error("the DOCTYPE is not closed", text, start)
    if text[pos] == ">":
        return pos + 1, found
    pos += 1  # the internal subset
    decl = re.compile(r"""<!ENTITY\s+(%\s+)?([^\s"'>]+)\s+(?:"([^"]*)"|'([^']*)'|(\S+))""")
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            _entity_error("the DOCTYPE's internal subset is not closed", text, start)
        if text[pos] == "]":
            close = text.find(">", pos)
            if close == -1 or text[pos + 1:close].strip():
                _entity_error("the DOCTYPE is not closed after its internal subset", text,
                              pos)
            return close + 1, found
        if text.startswith("<!--", pos):
            close = text.find("-->", pos + 4)
            if close == -1:
                _entity_error("a comment in the DOCTYPE is not closed", text, pos)
            pos = close + 3
        elif text.startswith("<?", pos):
            close = text.find("?>", pos + 2)
            if close == -1:
                _entity_error("a processing instruction in the DOCTYPE is not closed",
                              text, pos)
            pos = close + 2
        elif text.startswith("<!ENTITY", pos):
            m = decl.match(text, pos)
            if m is None:
                _entity_error("an <!ENTITY> declaration cannot be read", text, pos)
            assert m is not None
            if m.group(1):
                _entity_error("parameter entities (<!ENTITY % ...>) are not allowed", text,
                              pos)
            if m.group(5) is not None:
                _entity_error(
                    f"the entity {m.group(2)!r} is external ({m.group(5)}); only internal "
                    "entities with a quoted value are expanded, external ones never", text,
                    pos)
            value = m.group(3) if m.group(3) is not None else m.group(4)
            if "%" in value and re.search(r"%[A-Za-z_:][\w.:-]*;", value):
                _entity_error("parameter entity references are not allowed", text, pos)
            end = _skip_quoted(text, m.end(), ">")
            if end == -1 or text[m.end():end - 1].strip():
                _entity_error(f"the entity {m.group(2)!r} is not declared as "
                              "<!ENTITY name \"value\">", text, pos)
            found.setdefault(m.group(2), (value, pos))  # the first declaration wins
            pos = end
        elif text.startswith("<!", pos):
            end = _skip_quoted(text, pos, ">")
            if end == -1:
                _entity_error("a declaration in the DOCTYPE is not closed", text, pos)
            pos = end
        elif text[pos] == "%":
            _entity_error("parameter entity references are not allowed", text, pos)
        else:
            _entity_error("the DOCTYPE's internal subset cannot be read", text, pos)


def _pieces(value: str, names: dict[str, tuple[str, int]]) -> list[str | tuple[str]]:
    """`value` split into text and (name,) references to declared entities."""
    out: list[str | tuple[str]] = []
    pos = 0
    for m in _ENTITY_REF.finditer(value):
        if m.group(1) in names:
            out.append(value[pos:m.start()])
            out.append((m.group(1),))
            pos = m.end()
    out.append(value[pos:])
    return [p for p in out if p != ""]


def expand_entities(text: str, limits: SanitizeLimits) -> tuple[str, int]:
    """The text with its DOCTYPE's internal entities expanded and the DOCTYPE blanked
    (its lines kept): (text, number of references expanded). See the module docstring
    for the bounds; raises SanitizeError beyond them."""
    start = text.find("<!DOCTYPE")
    if start == -1 or _ENTITY_DECL.search(text, start) is None:
        m = _ENTITY_DECL.search(text)
        if m is not None and start == -1:
            _entity_error("<!ENTITY> outside a DOCTYPE", text, m.start())
        return text, 0
    end, declared = _read_doctype(text, start)
    if not declared:
        return text, 0
    pieces = {name: [p if isinstance(p, tuple) else p.replace("\n", " ")
                     for p in _pieces(value, declared)]
              for name, (value, _) in declared.items()}
    # Size and reference count of each entity's expansion, capped, with cycle detection
    # (iterative, so long chains cannot overflow the stack).
    cap_size, cap_refs = limits.max_bytes + 1, limits.max_elements + 1
    size: dict[str, tuple[int, int]] = {}
    for top in pieces:
        if top in size:
            continue
        stack: list[tuple[str, int]] = [(top, 0)]
        on_path = {top}
        acc: dict[str, list[int]] = {top: [0, 0]}
        while stack:
            name, i = stack[-1]
            if i == len(pieces[name]):
                stack.pop()
                on_path.discard(name)
                total = acc.pop(name)
                size[name] = (min(total[0], cap_size), min(total[1], cap_refs))
                if stack:
                    parent = acc[stack[-1][0]]
                    parent[0] += size[name][0]
                    parent[1] += size[name][1] + 1
                continue
            stack[-1] = (name, i + 1)
            piece = pieces[name][i]
            if isinstance(piece, str):
                acc[name][0] += len(piece)
                continue
            ref = piece[0]
            if ref in on_path:
                _entity_error(f"the entity {ref!r} refers to itself (recursive entities are "
                              "not allowed)", text, declared[ref][1])
            if ref in size:
                acc[name][0] += size[ref][0]
                acc[name][1] += size[ref][1] + 1
                continue
            on_path.add(ref)
            acc[ref] = [0, 0]
            stack.append((ref, 0))
    # The body, outside comments and CDATA sections.
    body: list[str | tuple[str]] = []
    rest = text[end:]
    pos = 0
    for m in _COMMENT_OR_CDATA.finditer(rest):
        body += _pieces(rest[pos:m.start()], declared)
        body.append(m.group(0))
        pos = m.end()
    body += _pieces(rest[pos:], declared)
    head = text[:start] + "\n" * text.count("\n", start, end)
    total_size = len(head) + sum(len(p) if isinstance(p, str) else size[p[0]][0]
                                 for p in body)
    refs = sum(0 if isinstance(p, str) else size[p[0]][1] + 1 for p in body)
    if total_size > limits.max_bytes:
        _entity_error(f"expanding the document's entities would make it larger than "
                      f"{limits.max_bytes} bytes (an entity expansion bomb)", text, start,
                      "entity_expansion")
    if refs > limits.max_elements:
        _entity_error(f"the document expands more than {limits.max_elements} entity "
                      "references (an entity expansion bomb)", text, start,
                      "entity_expansion")
    out = [head]
    work: list[tuple[list[str | tuple[str]], int]] = [(body, 0)]
    while work:
        seq, i = work.pop()
        if i == len(seq):
            continue
        work.append((seq, i + 1))
        piece = seq[i]
        if isinstance(piece, str):
            out.append(piece)
        else:
            work.append((pieces[piece[0]], 0))
    return "".join(out), refs


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


def _css_target(node: object) -> str | None:
    """The reference a `url(...)` token or function names, else None."""
    if isinstance(node, tinycss2.ast.URLToken):
        return str(node.value).strip()
    if isinstance(node, tinycss2.ast.FunctionBlock) and node.lower_name == "url":
        strings = [a.value for a in node.arguments if isinstance(a, tinycss2.ast.StringToken)]
        return strings[0].strip() if strings else "".join(
            tinycss2.serialize([a]) for a in node.arguments).strip()
    return None


def _clean_values(nodes: list[object], removed: list[str]) -> bool:
    """Replace every loading value in a component value list, in place (recursively).
    Returns True if anything was replaced."""
    changed = False
    for i, node in enumerate(nodes):
        target = _css_target(node)
        if target is not None:
            if not target.startswith("#"):
                removed.append(f"CSS url({_short(target)!r})")
                nodes[i] = tinycss2.ast.IdentToken(node.source_line,  # type: ignore[attr-defined]
                                                   node.source_column,  # type: ignore[attr-defined]
                                                   "none")
                changed = True
            continue
        if isinstance(node, tinycss2.ast.FunctionBlock):
            if node.lower_name in _CSS_LOADERS and _loads(node.arguments):
                removed.append(f"CSS {_short(tinycss2.serialize([node]))!r}")
                nodes[i] = tinycss2.ast.IdentToken(node.source_line, node.source_column,
                                                   "none")
                changed = True
                continue
            changed |= _clean_values(node.arguments, removed)
        elif isinstance(node, (tinycss2.ast.SquareBracketsBlock,
                               tinycss2.ast.ParenthesesBlock, tinycss2.ast.CurlyBracketsBlock)):
            changed |= _clean_values(node.content, removed)
    return changed


def _loads(arguments: list[object]) -> bool:
    """Whether the arguments of an image-loading function name anything but fragments."""
    for a in arguments:
        if isinstance(a, tinycss2.ast.StringToken) and not a.value.strip().startswith("#"):
            return True
        target = _css_target(a)
        if target is not None and not target.startswith("#"):
            return True
        if isinstance(a, tinycss2.ast.FunctionBlock) and _loads(a.arguments):
            return True
    return False


def _clean_rules(rules: list[object], removed: list[str]) -> tuple[list[object], bool]:
    """Stylesheet rules without `@import` and with every loading value replaced."""
    out: list[object] = []
    changed = False
    for rule in rules:
        if isinstance(rule, tinycss2.ast.AtRule) and rule.lower_at_keyword == "import":
            removed.append(f"CSS {_short(tinycss2.serialize([rule]))!r}")
            changed = True
            continue
        if isinstance(rule, (tinycss2.ast.QualifiedRule, tinycss2.ast.AtRule)):
            changed |= _clean_values(rule.prelude, removed)
            if rule.content is not None:
                if isinstance(rule, tinycss2.ast.AtRule) and rule.lower_at_keyword in (
                        "media", "supports", "document", "layer", "container", "scope"):
                    inner, more = _clean_rules(
                        tinycss2.parse_rule_list(rule.content), removed)
                    if more:
                        rule.content = inner
                        changed = True
                else:
                    changed |= _clean_values(rule.content, removed)
        out.append(rule)
    return out, changed


def clean_css(css: str, kind: str = "stylesheet") -> tuple[str, list[str]]:
    """Remove everything that loads a resource from CSS text, read with tinycss2.

    `kind`: `stylesheet` (a `<style>` element), `declarations` (a `style` attribute) or
    `value` (a presentation attribute). Removes `@import` rules and replaces with `none`
    every `url(...)` other than `url(#fragment)` (escaped forms included: the tokenizer
    decodes them) and every `image-set()`, `image()`, `cross-fade()`, `src()` that names
    anything. Returns the CSS (unchanged text when nothing was removed; otherwise as the
    tokenizer read it, comments dropped) and a description of each removal."""
    removed: list[str] = []
    if kind == "stylesheet":
        rules, changed = _clean_rules(
            tinycss2.parse_stylesheet(css, skip_comments=True), removed)
    else:
        rules = tinycss2.parse_component_value_list(css, skip_comments=True)
        changed = _clean_values(rules, removed)
        if kind == "declarations":
            # @import is meaningless in a declaration list, but drop one anyway so no
            # reader of the saved file can take it for a rule.
            for i, node in enumerate(rules):
                if isinstance(node, tinycss2.ast.AtKeywordToken) and \
                        node.lower_value == "import":
                    removed.append("CSS '@import' in a declaration list")
                    rules[i] = tinycss2.ast.WhitespaceToken(node.source_line,
                                                            node.source_column, " ")
                    changed = True
    if not changed:
        return css, removed
    return tinycss2.serialize(rules), removed


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
    root, offset, notes = parse(text, limits)

    def line_of(node: etree._Element) -> int | None:
        return node.sourceline + offset if node.sourceline else None

    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise SanitizeError(  # expand_entities blanks every DOCTYPE that declares one
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
        if name == "style":
            _clean_style_element(el, removed, line_of(el))
            continue
        stack.extend(reversed(list(el.iterchildren(etree.Element))))

    # A <use> cycle is skipped, as renderers skip it; the rest of the document stays.
    for el in use_cycles(root):
        ref = href_of(el)
        notes.append(f"skipped the <use> referencing {ref!r} on line {line_of(el)}: it "
                     "forms a reference cycle (it ends up containing itself)")
        _remove(el)

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


def _clean_style_element(el: etree._Element, removed: list[Removal], line: int | None) -> None:
    """Clean a `<style>` element's CSS: all of its text, wherever comments, CDATA or
    child elements split it (a renderer may join the pieces), becomes one text node."""
    pieces = [el.text or ""]
    children = list(el)
    for child in children:
        if isinstance(child.tag, str):
            pieces.append("".join(child.itertext()))
        pieces.append(child.tail or "")
    css = "".join(pieces)
    if children:
        for child in children:
            el.remove(child)
        if any(isinstance(c.tag, str) for c in children):
            removed.append(Removal("child elements of <style>", line))
        el.text = css
    if not css.strip():
        return
    cleaned, gone = clean_css(css)
    if gone:
        el.text = cleaned
        removed.extend(Removal(g + " in <style>", line) for g in gone)


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
        elif attr == f"{{{XML_NS}}}base":
            removed.append(Removal(f"xml:base={_short(value)!r} on <{name}>", line))
            del el.attrib[attr]
        elif "(" in value or "\\" in value or "@" in value:
            css, gone = clean_css(value, "declarations" if local == "style" else "value")
            if gone:
                where = "style attribute" if local == "style" else f"{local} attribute"
                removed += [Removal(f"{g} in {where} of <{name}>", line) for g in gone]
                if css.strip():
                    el.set(attr, css)
                else:
                    del el.attrib[attr]


def _sniff(data: bytes) -> str | None:
    """The image type of `data` from its first bytes: png, jpeg, gif, webp, svg, gzip."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") and b"<svg" in data[:65536]:
        return "svg"
    return None


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress gzip `data`, refusing more than `limit` bytes of output (gzip bombs)."""
    inflater = zlib.decompressobj(wbits=31)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit or inflater.unconsumed_tail:
        raise ValueError(f"it decompresses to more than {limit} bytes")
    return out


def _data_url_type(url: str) -> str:
    header = url[5:].partition(",")[0]
    return header.split(";", 1)[0].strip().lower()


def _clean_href(
    el: etree._Element, name: str, attr: str, value: str, removed: list[Removal],
    line: int | None, weights: dict[etree._Element, int], limits: SanitizeLimits, depth: int,
) -> None:
    v = value.strip()
    if v.startswith("#"):
        return
    label = "xlink:href" if attr.startswith(f"{{{XLINK_NS}}}") else _attr_local(attr)
    if v[:5].lower() == "data:" and name in IMAGE_ELEMENTS:
        problem = _clean_data_image(el, name, attr, v, removed, line, weights, limits, depth)
        if problem is None:
            return
        removed.append(Removal(f"{label} with {problem} on <{name}>", line))
        del el.attrib[attr]
        return
    removed.append(Removal(f"{label}={_short(v)!r} on <{name}>", line))
    del el.attrib[attr]


def _clean_data_image(
    el: etree._Element, name: str, attr: str, url: str, removed: list[Removal],
    line: int | None, weights: dict[etree._Element, int], limits: SanitizeLimits, depth: int,
) -> str | None:
    """Keep a `data:` image on `el` when its content is a picture (rewritten to its real
    type; SVG sanitised); None when kept, else what is wrong with it."""
    declared = _data_url_type(url)
    if declared != "image/svg+xml" and declared not in _RASTER_TYPES \
            and declared not in _UNTYPED:
        return f"a data: URL of type {declared!r}"
    try:
        data = _decode_data_url(url)
    except (binascii.Error, ValueError) as exc:
        return f"an undecodable data URL ({exc})"
    kind = _sniff(data)
    if kind == "gzip":
        try:
            data = _gunzip(data, limits.max_bytes)
        except (zlib.error, ValueError) as exc:
            return f"a compressed (svgz) image that cannot be used: {exc}"
        kind = _sniff(data)
        if kind != "svg":
            return "a compressed data: URL that is not an SVG image"
    if kind is None and declared == "image/svg+xml":
        kind = "svg"
    if kind is None:
        if declared in _RASTER_TYPES:
            return None  # as declared; the renderer decodes it or fails that sample
        return "a data: URL that is no PNG, JPEG, GIF, WebP or SVG image"
    if kind != "svg":
        if declared != f"image/{kind}" and not (kind == "jpeg" and declared == "image/jpg"):
            el.set(attr, f"data:image/{kind};base64," + base64.b64encode(data).decode())
        return None
    if depth >= limits.max_nesting:
        return f"an SVG image: SVG images nested more than {limits.max_nesting} deep " \
            "are not allowed"
    try:
        inner = sanitize(data.decode("utf-8", "replace"), limits, _depth=depth + 1)
    except SanitizeError as exc:
        return f"an SVG image: {exc.message}"
    el.set(attr, "data:image/svg+xml;base64," + base64.b64encode(inner.svg.encode()).decode())
    weights[el] = inner.use_expansion
    for r in inner.removed:
        removed.append(Removal(f"{r.what} inside the SVG image on <{name}>", line))
    return None


def use_cycles(root: etree._Element) -> list[etree._Element]:
    """The `<use>` elements to skip so that no reference cycle remains: for each cycle
    found (depth-first, in document order), the last `<use>` on it. Iterative."""
    ids: dict[str, etree._Element] = {}
    for el in root.iter(etree.Element):
        i = el.get("id")
        if i and i not in ids:
            ids[i] = el
    skipped: set[etree._Element] = set()

    def deps(el: etree._Element) -> list[etree._Element]:
        out = list(el.iterchildren(etree.Element))
        if local_name(el) == "use" and el not in skipped:
            ref = href_of(el)
            target = ids.get(ref[1:]) if ref.startswith("#") else None
            if target is not None:
                out.append(target)
        return out

    culprits: list[etree._Element] = []
    done: set[etree._Element] = set()
    on_path: set[etree._Element] = {root}
    stack = [(root, iter(deps(root)))]
    while stack:
        node, it = stack[-1]
        child = next(it, None)
        if child is None:
            stack.pop()
            on_path.discard(node)
            done.add(node)
            continue
        if child in on_path:
            path = [n for n, _ in stack]
            uses = [n for n in path[path.index(child):] if local_name(n) == "use"]
            culprit = uses[-1] if uses else node
            if culprit not in skipped:
                skipped.add(culprit)
                culprits.append(culprit)
            continue
        if child in done:
            continue
        on_path.add(child)
        stack.append((child, iter(deps(child))))
    return culprits


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
