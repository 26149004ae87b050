"""Code as an image: highlighting, the wrapping rule, line boxes, downscaling, and the
sandboxed renderer."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from visioncode import Execution, RenderSpec
from visioncode_code.draw import draw, wrap
from visioncode_code.renderer import CodeImageRenderer

SOURCE = "def add(a, b):\n    # sum\n    return a + b\n"


def colours_in(image: Image.Image, box: list[float]) -> set[tuple[int, int, int]]:
    left, top, right, bottom = (round(v) for v in box)
    px = np.asarray(image.convert("RGB"))[top:bottom, left:right].reshape(-1, 3)
    return {tuple(int(c) for c in p) for p in px}


def test_tokens_are_drawn_in_the_themes_colours() -> None:
    image, meta = draw(SOURCE, language="python")
    first, comment = meta["lines"][0], meta["lines"][1]
    w = meta["char_width"]
    left, top, _, bottom = first["box"]
    keyword = colours_in(image, [left, top, left + 3 * w, bottom])
    function = colours_in(image, [left + 4 * w, top, left + 7 * w, bottom])
    assert (0, 0, 255) in keyword  # VS Code Light+ keyword blue
    assert (0x79, 0x5E, 0x26) in function  # function name brown
    assert (0, 0x80, 0) in colours_in(image, comment["box"])  # comment green
    plain, _ = draw(SOURCE, language="text")
    assert (0, 0, 255) not in colours_in(plain, [left, top, left + 3 * w, bottom])


def test_long_lines_are_cut_into_rows_of_wrap_columns() -> None:
    line = "x = '" + "a" * 23 + "'"  # 29 characters
    assert [r for _, r in wrap(line, 10, 4)] == [line[:10], line[10:20], line[20:]]
    assert wrap("\tb", 10, 4) == [(1, "    b")]
    assert wrap("a\n\nb\n", 0, 4) == [(1, "a"), (2, ""), (3, "b")]
    image, meta = draw(line + "\nok\n", language="python", wrap_columns=10)
    first, second = meta["lines"]
    assert (first["line"], first["rows"], second["rows"]) == (1, 3, 1)
    assert first["text"] == line  # a cut moves and drops nothing
    height = meta["line_height"]
    assert first["box"][3] - first["box"][1] == pytest.approx(3 * height, abs=0.02)
    assert first["box"][2] - first["box"][0] == pytest.approx(10 * meta["char_width"], abs=0.02)
    never, meta0 = draw(line, language="python", wrap_columns=0)
    assert meta0["rows"] == 1 and never.width > image.width


def test_line_boxes_hold_their_ink_and_nothing_else() -> None:
    image, meta = draw(SOURCE, language="python", margin=20)
    px = np.asarray(image.convert("L"))
    ink = px < 200
    covered = np.zeros_like(ink)
    boxes = [line["box"] for line in meta["lines"]]
    assert [line["line"] for line in meta["lines"]] == [1, 2, 3]
    for above, below in itertools.pairwise(boxes):
        assert above[3] <= below[1]  # rows do not overlap, in order
    for left, top, right, bottom in boxes:
        assert ink[round(top):round(bottom), round(left):round(right)].any()
        covered[round(top):round(bottom), round(left):round(right) + 1] = True
    assert not (ink & ~covered).any()  # every inked pixel is inside some line's box


def test_downscale_divides_the_image_and_the_boxes() -> None:
    full, meta1 = draw(SOURCE, language="python")
    half, meta4 = draw(SOURCE, language="python", downscale=4)
    assert half.size == (round(full.width / 4), round(full.height / 4))
    assert meta4["lines"][2]["box"] == pytest.approx(
        [v / 4 for v in meta1["lines"][2]["box"]], abs=0.01)
    assert meta1["full_size"] == meta4["full_size"] == list(full.size)


def test_line_numbers_move_the_code_right() -> None:
    _, plain = draw(SOURCE, language="python")
    _, numbered = draw(SOURCE, language="python", line_numbers=True)
    shift = numbered["lines"][0]["box"][0] - plain["lines"][0]["box"][0]
    assert shift == pytest.approx(np.ceil(3 * plain["char_width"]), abs=1)


def test_bad_style_language_font_and_size_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown Pygments style 'nope'"):
        draw(SOURCE, style="nope")
    with pytest.raises(ValueError, match="unknown language 'klingon'"):
        draw(SOURCE, language="klingon")
    with pytest.raises(ValueError, match="unknown font 'Comic Sans'"):
        draw(SOURCE, font="Comic Sans")
    with pytest.raises(ValueError, match="over max_pixels"):
        draw("x\n" * 5000, max_pixels=1_000_000)


@pytest.fixture(scope="module")
def renderer() -> Iterator[CodeImageRenderer]:
    r = CodeImageRenderer(CodeImageRenderer.Options(downscale=2, dpi=300))
    yield r
    r.close()


def test_renderer_draws_any_executions_program_in_the_sandbox(
        renderer: CodeImageRenderer, tmp_path: Path) -> None:
    execution = Execution(status="ok", program="<svg><rect/></svg>",
                          metadata={"language": "xml"})
    r = renderer.render(execution, RenderSpec(), tmp_path / "svg")
    assert r.ok, r.error
    with Image.open(r.image) as im:
        assert im.size == (r.width, r.height)
        assert round(im.info["dpi"][0]) == 300
    assert r.metadata["language"] == "XML" and r.metadata["lines"][0]["line"] == 1
    assert renderer.render(Execution(status="ok", program=""), RenderSpec(),
                           tmp_path / "empty").status == "error"


def test_renderer_fits_the_spec_and_reports_errors(renderer: CodeImageRenderer,
                                                   tmp_path: Path) -> None:
    fitted = CodeImageRenderer(CodeImageRenderer.Options(size="spec", language="python"))
    try:
        r = fitted.render(Execution(status="ok", program=SOURCE),
                          RenderSpec(width=300, height=300, background="#ff0000"),
                          tmp_path / "fit")
        assert r.ok and (r.width, r.height) == (300, 300)
        box = r.metadata["lines"][0]["box"]
        assert 0 <= box[0] < box[2] <= 300 and 0 < box[1] < box[3] < 300
        with Image.open(r.image) as im:
            assert im.getpixel((0, 0)) == (255, 0, 0)  # letterbox in the spec background
    finally:
        fitted.close()
    styled = CodeImageRenderer(CodeImageRenderer.Options(style="nope"))
    try:
        r = styled.render(Execution(status="ok", program=SOURCE), RenderSpec(), tmp_path / "x")
        assert r.status == "error" and "unknown Pygments style" in (r.error or "")
    finally:
        styled.close()
