"""The sanitising executor: what it removes, records, keeps and rejects."""

from __future__ import annotations

import base64
from pathlib import Path

from lxml import etree

from visioncode_svg import SvgExecutor

NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
PNG_1PX = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAF"
    "AAH/iZk9HQAAAABJRU5ErkJggg=="
)


def run(svg: str, tmp_path: Path, **options: int):
    ex = SvgExecutor(SvgExecutor.Options(**options)).execute(svg, tmp_path)
    return ex


def svg_root(program: str) -> etree._Element:
    return etree.fromstring(program.encode())


def test_clean_svg_passes_unchanged(tmp_path: Path) -> None:
    svg = (f'<svg {NS} viewBox="0 0 10 10"><rect id="r" width="5" height="5"/>'
           '<use href="#r" x="5"/></svg>')
    ex = run(svg, tmp_path)
    assert ex.status == "ok" and ex.ok
    assert ex.notes == [] and ex.metadata["removed"] == []
    assert ex.metadata["elements"] == 3
    assert ex.artifacts["svg"] == tmp_path / "program.svg"
    assert (tmp_path / "program.svg").read_text() == ex.program
    assert ex.duration_s > 0


def test_script_onload_and_foreign_object_removed(tmp_path: Path) -> None:
    svg = f"""<svg {NS} onload="alert(1)">
<script>alert('x')</script>
<rect width="5" height="5" onclick="steal()" ONMOUSEOVER="x()"/>
<foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
<html:script xmlns:html="http://www.w3.org/1999/xhtml">evil()</html:script>
</svg>"""
    ex = run(svg, tmp_path)
    assert ex.status == "ok"
    text = ex.program
    for gone in ("script", "alert", "onclick", "ONMOUSEOVER", "onload", "foreignObject", "evil"):
        assert gone not in text
    removed = " | ".join(ex.metadata["removed"])
    assert "<script> element (line 2)" in removed
    assert "event handler onload" in removed and "event handler onclick" in removed
    assert "<foreignObject> element (line 4)" in removed
    assert len(ex.metadata["removed"]) == 6
    assert all(n.startswith(("removed", "added")) for n in ex.notes)
    assert svg_root(text).find("{http://www.w3.org/2000/svg}rect") is not None


def test_external_hrefs_removed_data_and_fragments_kept(tmp_path: Path) -> None:
    svg = f"""<svg {NS}>
<defs><linearGradient id="g"/></defs>
<image id="a" href="http://evil.example/x.png" width="1" height="1"/>
<image id="b" xlink:href="https://evil.example/x.png"/>
<image id="c" href="file:///etc/passwd"/>
<image id="d" href="../secret.png"/>
<image id="e" href="{PNG_1PX}"/>
<use id="f" xlink:href="#g"/>
<a id="h" href="javascript:alert(1)"><rect width="1" height="1"/></a>
<image id="i" href="data:text/html,&lt;script&gt;"/>
<use id="j" href="data:image/svg+xml,&lt;svg/&gt;"/>
</svg>"""
    ex = run(svg, tmp_path)
    root = svg_root(ex.program)
    hrefs = {el.get("id"): el.get("href") or el.get("{http://www.w3.org/1999/xlink}href")
             for el in root.iter() if el.get("id")}
    assert hrefs == {"g": None, "a": None, "b": None, "c": None, "d": None, "e": PNG_1PX,
                     "f": "#g", "h": None, "i": None}
    removed = ex.metadata["removed"]
    assert len(removed) == 8
    assert "<use> that has no href (line 11)" in removed  # its data: href went first
    assert any("http://evil.example/x.png" in r and "line 3" in r for r in removed)
    assert any(r.startswith("xlink:href='https://evil") for r in removed)
    assert any("file:///etc/passwd" in r for r in removed)


def test_nested_svg_data_url_is_sanitised(tmp_path: Path) -> None:
    inner = f'<svg {NS}><script>alert(1)</script><image href="file:///etc/passwd"/></svg>'
    url = "data:image/svg+xml;base64," + base64.b64encode(inner.encode()).decode()
    ex = run(f'<svg {NS}><image href="{url}" width="5" height="5"/></svg>', tmp_path)
    assert ex.status == "ok"
    new = svg_root(ex.program)[0].get("href")
    assert new.startswith("data:image/svg+xml;base64,")
    decoded = base64.b64decode(new.split(",", 1)[1]).decode()
    assert "script" not in decoded and "passwd" not in decoded
    assert any("inside the SVG image" in r for r in ex.metadata["removed"])


def test_stylesheet_pi_and_css_import_removed(tmp_path: Path) -> None:
    svg = f"""<?xml version="1.0"?>
<?xml-stylesheet href="http://evil.example/s.css" type="text/css"?>
<svg {NS}>
<style>@import url("http://evil.example/a.css"); @import 'file:///etc/x.css';
rect {{ fill: url(#grad); stroke: url(http://evil.example/p.svg#x) }}
@font-face {{ font-family: f; src: url(file:///usr/share/fonts/x.ttf) }}</style>
<rect style="fill: url('https://evil.example/i.png'); stroke: red" width="1" height="1"/>
<circle fill="url(http://evil.example/g.svg#g)" r="1"/>
<circle fill="url(#grad)" r="2"/>
</svg>"""
    ex = run(svg, tmp_path)
    assert ex.status == "ok"
    assert "evil.example" not in ex.program and "file:" not in ex.program
    assert "@import" not in ex.program and "xml-stylesheet" not in ex.program
    assert 'fill="url(#grad)"' in ex.program and "fill: url(#grad)" in ex.program
    assert "stroke: red" in ex.program
    removed = " | ".join(ex.metadata["removed"])
    assert "<?xml-stylesheet?> processing instruction (line 2)" in removed
    assert "CSS '@import url(\"http://evil.example/a.css\");' in <style> (line 4)" in removed
    assert removed.count("in <style>") == 4
    assert "style attribute of <rect>" in removed and "fill attribute of <circle>" in removed


def test_css_escapes_hiding_a_url_are_read_and_removed(tmp_path: Path) -> None:
    """The tokenizer decodes the escape, so the URL is seen and removed, and the rest of
    the rule is kept."""
    svg = (f'<svg {NS}><style>rect {{ fill: \\75 rl(http://evil.example/x); '
           'stroke: blue }</style></svg>')
    ex = run(svg, tmp_path)
    assert "evil" not in ex.program and "stroke: blue" in ex.program
    assert any("url('http://evil.example/x')" in r for r in ex.metadata["removed"])


def test_animation_setting_href_removed(tmp_path: Path) -> None:
    svg = (f'<svg {NS}><a><set attributeName="href" to="javascript:alert(1)"/>'
           '<animate attributeName="onclick" to="x()"/>'
           '<animate attributeName="x" to="5"/></a></svg>')
    ex = run(svg, tmp_path)
    assert "javascript" not in ex.program and "onclick" not in ex.program
    assert 'attributeName="x"' in ex.program


def test_missing_namespaces_are_added(tmp_path: Path) -> None:
    ex = run('<svg><image xlink:href="#x"/><rect id="x"/></svg>', tmp_path)
    assert ex.status == "ok"
    root = svg_root(ex.program)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert any("xmlns:xlink" in n for n in ex.notes)


def test_syntax_error_has_line(tmp_path: Path) -> None:
    ex = run(f'<svg {NS}>\n<g>\n<rect/>\n</svg>', tmp_path)
    assert ex.status == "parse_error" and not ex.ok
    assert ex.error is not None and ex.error.kind == "xml_syntax" and ex.error.line == 4
    assert "mismatch" in ex.error.message
    assert ex.program.startswith("<svg")  # the original program is kept
    assert not (tmp_path / "program.svg").exists()


def test_line_numbers_count_leading_blank_lines(tmp_path: Path) -> None:
    ex = run(f'\n\n<svg {NS}>\n<g>\n</svg>', tmp_path)
    assert ex.error is not None and ex.error.line == 5


def test_root_must_be_svg(tmp_path: Path) -> None:
    ex = run('<html><body/></html>', tmp_path)
    assert ex.status == "parse_error" and ex.error and ex.error.kind == "not_svg"
    assert "<html>" in ex.error.message


def test_size_and_element_limits(tmp_path: Path) -> None:
    many = f'<svg {NS}>' + "<g/>" * 60 + "</svg>"
    ex = run(many, tmp_path, max_elements=50)
    assert ex.error and ex.error.kind == "too_many_elements" and "61" in ex.error.message
    ex = run(many, tmp_path, max_bytes=100)
    assert ex.error and ex.error.kind == "too_large"
    assert run(many, tmp_path).status == "ok"


def test_garbage_never_raises(tmp_path: Path) -> None:
    junks = ("", "   ", "<", "<svg", "\x00\x01", "<?xml version='1.0'?>", "&&&",
             "<svg>\udcff</svg>")
    for junk in junks:
        ex = SvgExecutor().execute(junk, tmp_path)
        assert ex.status in {"parse_error", "ok"}
        if ex.status == "parse_error":
            assert ex.error is not None and ex.error.message


def test_options_reject_unknown_fields() -> None:
    import pydantic
    import pytest

    with pytest.raises(pydantic.ValidationError):
        SvgExecutor.Options(max_bytez=5)  # type: ignore[call-arg]


def test_many_removals_are_summarised(tmp_path: Path) -> None:
    svg = f"<svg {NS}>" + '<rect onclick="x()"/>' * 250 + "</svg>"
    ex = run(svg, tmp_path)
    assert ex.metadata["removed_count"] == 250
    assert len(ex.metadata["removed"]) == 101 and ex.metadata["removed"][-1] == "... and 150 more"
    assert "onclick" not in ex.program
