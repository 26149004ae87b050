"""Hostile documents: rejected by the executor, refused by the render worker, and never
able to read local files or reach the network."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from visioncode import Execution, RenderSpec
from visioncode_svg import SvgExecutor

from .conftest import execute

NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&lol9;</text></svg>"""


def nested_use(levels: int, fanout: int) -> str:
    """A document whose <use> references multiply: fanout ** levels elements."""
    parts = ['<rect id="l0" width="1" height="1"/>']
    for i in range(1, levels + 1):
        uses = "".join(f'<use href="#l{i - 1}"/>' for _ in range(fanout))
        parts.append(f'<g id="l{i}">{uses}</g>')
    return f"<svg {NS}><defs>{''.join(parts)}</defs><use href=\"#l{levels}\"/></svg>"


def everything_in(*things: object) -> str:
    return "\n".join(t.model_dump_json() if hasattr(t, "model_dump_json") else str(t)
                     for t in things)


def files_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in folder.rglob("*") if p.is_file())


def test_billion_laughs_rejected(executor: SvgExecutor, tmp_path: Path) -> None:
    """Internal entities are expanded only within the document's byte limit: the bomb
    is measured before anything is expanded, and refused."""
    ex = executor.execute(BILLION_LAUGHS, tmp_path)
    assert ex.status == "parse_error"
    assert ex.error is not None and ex.error.kind == "entity_expansion"
    assert ex.error.line == 2 and "2000000 bytes" in ex.error.message
    assert "lollollol" not in everything_in(ex)


def test_xxe_local_file_rejected_and_never_read(
    executor: SvgExecutor, renderers: dict, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a9")
    for decl in (f'<!ENTITY x SYSTEM "file://{secret}">', f'<!ENTITY x SYSTEM "{secret}">',
                 f'<!ENTITY % p SYSTEM "file://{secret}"> %p;'):
        doc = f'<!DOCTYPE svg [{decl}]>\n<svg {NS}><text>&x;</text></svg>'
        ex = executor.execute(doc, tmp_path / "exec")
        assert ex.status == "parse_error" and ex.error and ex.error.kind == "entity_declaration"
        # Handed straight to the renderers, the worker refuses it too.
        raw = tmp_path / "raw.svg"
        raw.write_text(doc)
        fake = Execution(status="ok", program=doc, artifacts={"svg": raw})
        outputs = []
        for name, renderer in renderers.items():
            r = renderer.render(fake, RenderSpec(width=64, height=64), tmp_path / name)
            assert r.status == "error", r
            outputs.append(r)
        assert "TOP-SECRET" not in everything_in(ex, *outputs)
    assert "TOP-SECRET" not in files_text(tmp_path).replace(secret.read_text(), "", 1)


def test_use_explosion_rejected(executor: SvgExecutor, tmp_path: Path) -> None:
    ex = executor.execute(nested_use(levels=9, fanout=10), tmp_path)
    assert ex.status == "parse_error"
    assert ex.error is not None and ex.error.kind == "use_expansion"
    assert "use expansion exceeds 100000 elements" in ex.error.message
    # The same shape, small enough, is fine and its expanded size is reported.
    ok = executor.execute(nested_use(levels=3, fanout=10), tmp_path)
    assert ok.status == "ok" and ok.metadata["use_expansion"] > 1000


def test_long_use_chain_does_not_overflow(tmp_path: Path) -> None:
    """3000 chained references (deeper than Python's recursion limit) are counted."""
    doc = nested_use(levels=3000, fanout=1)
    ex = SvgExecutor(SvgExecutor.Options(max_use_expansion=10**8)).execute(doc, tmp_path)
    assert ex.status == "ok", ex.error
    # defs count too (conservative): sum of 2i over the levels, plus the final <use>.
    assert ex.metadata["use_expansion"] > 3000**2
    assert SvgExecutor().execute(doc, tmp_path).status == "parse_error"


def test_nested_svg_images_count_towards_expansion(tmp_path: Path) -> None:
    import base64

    inner = nested_use(levels=4, fanout=10)  # ~11k elements once expanded
    url = "data:image/svg+xml;base64," + base64.b64encode(inner.encode()).decode()
    outer = (f'<svg {NS}><defs><image id="i" href="{url}"/></defs>'
             + '<use href="#i"/>' * 20 + "</svg>")
    ex = SvgExecutor().execute(outer, tmp_path)
    assert ex.status == "parse_error" and ex.error and ex.error.kind == "use_expansion"


@pytest.mark.parametrize("body", [
    '<g id="a"><use href="#a"/></g>',
    '<use id="a" href="#b"/><use id="b" href="#a"/>',
    '<g id="a"><g><use xlink:href="#c"/></g></g><g id="c"><use href="#a"/></g>',
])
def test_use_cycle_skipped(executor: SvgExecutor, tmp_path: Path, body: str) -> None:
    """A cycle costs the `<use>` that closes it, as in renderers; the rest stays."""
    doc = f'<svg {NS}>\n{body}\n<rect id="kept" width="5" height="5"/>\n</svg>'
    ex = executor.execute(doc, tmp_path)
    assert ex.status == "ok", ex.error
    assert 'id="kept"' in ex.program
    assert any("reference cycle" in n and "line 2" in n for n in ex.notes), ex.notes
    from visioncode_svg.sanitize import parse, use_cycles
    assert use_cycles(parse(ex.program)[0]) == []


def test_use_of_root_is_a_cycle(executor: SvgExecutor, tmp_path: Path) -> None:
    ex = executor.execute(f'<svg {NS} id="root"><use href="#root"/><g id="g"/></svg>',
                          tmp_path)
    assert ex.status == "ok" and "<use" not in ex.program and 'id="g"' in ex.program


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_http_server_is_live(http_server: tuple[str, list[str]]) -> None:
    """Guard for the next test: the server does record requests made to it."""
    import urllib.request

    url, hits = http_server
    urllib.request.urlopen(f"{url}/ping", timeout=5).close()
    assert hits == ["/ping"]


def test_no_request_reaches_http_server(
    executor: SvgExecutor, renderers: dict, http_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, hits = http_server
    doc = f"""<?xml-stylesheet href="{url}/pi.css"?>
<svg {NS} width="32" height="32">
<style>@import url("{url}/import.css"); rect {{ fill: url({url}/paint.svg#p) }}</style>
<image href="{url}/image.png" width="32" height="32"/>
<image xlink:href="{url}/xlink.png" width="32" height="32"/>
<use href="{url}/use.svg#x"/>
<rect width="10" height="10" style="fill: url('{url}/style.svg#p')"/>
<circle r="5" fill="url({url}/fill.svg#p)"/>
<feImage href="{url}/fe.png"/>
</svg>"""
    ex = execute(executor, doc, tmp_path / "exec")
    assert url not in ex.program
    # Each external reference alone, unsanitised, handed straight to the renderers.
    raws = [f"<svg {NS}>{line}</svg>" for line in doc.splitlines()[2:-1]]
    raws.append(doc)
    for name, renderer in renderers.items():
        r = renderer.render(ex, RenderSpec(width=32, height=32), tmp_path / name)
        assert r.status == "ok", r.error
        for i, raw_doc in enumerate(raws):
            raw = tmp_path / f"raw{i}.svg"
            raw.write_text(raw_doc)
            unsanitised = Execution(status="ok", program=raw_doc, artifacts={"svg": raw})
            r = renderer.render(unsanitised, RenderSpec(width=32, height=32), tmp_path / "raw")
            assert r.status == "error" and r.error and "not rendered" in r.error, raw_doc
        # A stylesheet PI before the root never reaches the library: fitting the canvas
        # keeps only the <svg> element.
        raw = tmp_path / "pi.svg"
        raw.write_text(doc.splitlines()[0] + f"\n<svg {NS}/>")
        pi_only = Execution(status="ok", program=raw.read_text(), artifacts={"svg": raw})
        r = renderer.render(pi_only, RenderSpec(width=32, height=32), tmp_path / "pi")
        assert r.ok and "stylesheet" not in (tmp_path / "pi" / "render.svg").read_text()
    assert hits == []


@pytest.mark.parametrize("href", ["ABS", "file://ABS", "secret.png", "../secret.png"])
def test_render_worker_refuses_local_file_href(
    renderers: dict, tmp_path: Path, href: str
) -> None:
    """Handed an unsanitised SVG directly, neither renderer reads a local file."""
    from PIL import Image

    secret = tmp_path / "secret.png"
    Image.new("RGB", (8, 8), (0, 0, 255)).save(secret)
    href = href.replace("ABS", str(secret))
    svg = tmp_path / "raw.svg"
    svg.write_text(f'<svg {NS} width="8" height="8">'
                   f'<image xlink:href="{href}" width="8" height="8"/></svg>')
    fake = Execution(status="ok", program=svg.read_text(), artifacts={"svg": svg})
    for name, renderer in renderers.items():
        r = renderer.render(fake, RenderSpec(width=8, height=8), tmp_path / name)
        assert r.status == "error", (name, r)
        assert r.error and "only #fragment and data: URLs" in r.error
        assert not (tmp_path / name / "render.png").exists()
