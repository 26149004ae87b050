"""Finding the SVG in model output, and the safe repairs."""

from __future__ import annotations

from pathlib import Path

from visioncode_svg import SvgExecutor, extract_svg, original_program

A = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="1" height="1"/></svg>'
B = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20"><circle r="5"/></svg>'


def test_plain_svg_is_ok() -> None:
    e = extract_svg(f"\n{A}\n")
    assert e.status == "ok" and e.program == A and e.notes == []


def test_executor_extract_uses_it() -> None:
    e = SvgExecutor().extract(f"```svg\n{A}\n```")
    assert e.status == "ok" and e.program == A


def test_fenced_block_and_prose_around() -> None:
    text = f"Sure! Here is the icon:\n\n```svg\n{A}\n```\n\nIt shows a square. Enjoy <3"
    e = extract_svg(text)
    assert e.status == "ok" and e.program == A
    assert any("```svg" in n for n in e.notes)


def test_prose_without_fences() -> None:
    e = extract_svg(f"The answer is {A} as requested.")
    assert e.program == A


def test_last_of_several_blocks() -> None:
    e = extract_svg(f"First try:\n{A}\nBetter:\n{B}\nDone.")
    assert e.program == B
    assert any("last of 2" in n for n in e.notes)


def test_prefers_svg_fence_over_other_blocks() -> None:
    text = f"```svg\n{A}\n```\nand for comparison\n```html\n<div>{B}</div>\n```\n{B}"
    assert extract_svg(text).program == A


def test_last_complete_svg_fence_wins() -> None:
    text = f"```svg\n{A}\n```\nrevised:\n```svg\n{B}\n```"
    assert extract_svg(text).program == B


def test_other_fence_used_when_no_svg_fence() -> None:
    text = f"```xml\n{B}\n```"
    assert extract_svg(text).program == B


def test_nested_svg_is_one_block() -> None:
    nested = ('<svg xmlns="http://www.w3.org/2000/svg"><svg x="1"><rect width="1" '
              'height="1"/></svg><circle r="1"/></svg>')
    e = extract_svg(f"look: {nested} ok")
    assert e.status == "ok" and e.program == nested


def test_xml_declaration_and_doctype_are_kept(tmp_path: Path) -> None:
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
           '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
           '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' + A)
    e = extract_svg(f"```svg\n{doc}\n```")
    assert e.status == "ok" and e.program == doc
    ex = SvgExecutor().execute(e.program, tmp_path)
    assert ex.status == "ok"
    assert "DOCTYPE" not in ex.program and "<?xml" not in ex.program


def test_truncated_document_is_closed() -> None:
    text = ('```svg\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">\n'
            '<g fill="red">\n<rect width="5" height="5"/>\n<circle cx="5" cy="5" r')
    e = extract_svg(text)
    assert e.status == "repaired"
    assert e.program is not None and e.program.endswith("</g></svg>")
    assert "<circle" not in e.program
    assert any("closed 2 unclosed" in n for n in e.notes)
    assert any("incomplete markup" in n for n in e.notes)


def test_truncated_inside_text_keeps_the_text() -> None:
    e = extract_svg('<svg xmlns="http://www.w3.org/2000/svg"><text x="1" y="5">Hello wor')
    assert e.status == "repaired"
    assert e.program is not None and e.program.endswith("Hello wor</text></svg>")


def test_truncation_with_mismatched_tags_is_not_repaired() -> None:
    e = extract_svg('<svg xmlns="http://www.w3.org/2000/svg"><g><rect></g><circle')
    assert e.status == "ok"  # left as it was: the executor will report the syntax error
    assert any("could not be closed safely" in n for n in e.notes)


def test_stray_ampersand_is_escaped() -> None:
    e = extract_svg(
        '<svg xmlns="http://www.w3.org/2000/svg"><text>R&D &amp; Q&A &#65;</text></svg>'
    )
    assert e.status == "repaired"
    assert e.program is not None and "R&amp;D &amp; Q&amp;A &#65;" in e.program
    assert any("escaped 2 stray '&'" in n for n in e.notes)


def test_html_entities_become_numeric() -> None:
    e = extract_svg('<svg xmlns="http://www.w3.org/2000/svg"><text>a&nbsp;b &copy;</text></svg>')
    assert e.status == "repaired"
    assert e.program is not None and "&#160;" in e.program and "&#169;" in e.program


def test_ampersand_in_cdata_is_left_alone() -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><style><![CDATA[ a & b ]]></style>'
           '<text>x & y</text></svg>')
    e = extract_svg(svg)
    assert e.program is not None and "<![CDATA[ a & b ]]>" in e.program
    assert "x &amp; y" in e.program


def test_valid_document_is_not_touched() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>&lt;&amp;&#x41;</text></svg>'
    assert extract_svg(svg).status == "ok"


def test_no_svg() -> None:
    for text in ("I cannot draw that.", "", "```python\nprint('<svg')\n```"):
        e = extract_svg(text)
        assert e.status == "no_svg" and e.program is None and not e.ok


def test_repaired_extraction_keeps_the_text_before_repair() -> None:
    source = '<svg xmlns="http://www.w3.org/2000/svg"><text>R&D</text></svg>'
    e = extract_svg(f"Here:\n```svg\n{source}\n```")
    assert e.status == "repaired" and e.program != source
    assert original_program(e) == source
    assert e.original == source and all(source not in n for n in e.notes)
    ok = extract_svg(A)
    assert original_program(ok) == ok.program == A
    assert original_program(extract_svg("no drawing")) is None


def test_prefixed_root_is_found(tmp_path: Path) -> None:
    """`<svg:svg xmlns:svg=...>` is an SVG root like `<svg>` (resvg's suite has one)."""
    doc = ('<svg:svg xmlns:svg="http://www.w3.org/2000/svg" viewBox="0 0 4 4">'
           '<svg:rect width="4" height="4"/></svg:svg>')
    ex = extract_svg(f"Here:\n```svg\n{doc}\n```\nand a draft <svg:svg")
    assert ex.status == "ok" and ex.program == doc
    result = SvgExecutor().execute(ex.program, tmp_path)
    assert result.status == "ok" and "rect" in result.program


def test_declared_entities_are_not_repaired_away(tmp_path: Path) -> None:
    """A document's own entities are the executor's to expand or refuse: extraction does
    not turn `&name;` into `&amp;name;`."""
    doc = ('<!DOCTYPE svg [<!ENTITY c "green">]>\n'
           '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="&c;" width="1" height="1"/>'
           "</svg>")
    ex = extract_svg(doc)
    assert ex.status == "ok" and "&c;" in ex.program
    result = SvgExecutor().execute(ex.program, tmp_path)
    assert result.status == "ok" and 'fill="green"' in result.program
