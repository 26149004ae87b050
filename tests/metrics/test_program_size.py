"""program-size: counts on known programs, safe XML parsing, and missing programs."""

from __future__ import annotations

import pytest
from metrics_support import failed_round

from visioncode import Extraction, RoundRecord, Sample
from visioncode_metrics.program_size import ProgramSize

SVG = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">
  <!-- café: a comment, not an element -->
  <g fill="red">
    <path d="M0 0 L10 0 L1e1 10 Z"/>
    <path d="m1 1 h2 v2 c1 1 2 2 3 3 s1 1 2 2 q1 1 2 2 t1 1 a1 1 0 0 1 2 2 z"/>
    <rect width="1" height="1"/>
    <path/>
  </g>
</svg>"""


def score(program: str | None):
    record = RoundRecord(round=0, extraction=Extraction(program=program,
                                                        status="ok" if program else
                                                        "no_program"))
    return ProgramSize().score(Sample(id="s"), record)


def test_counts_on_a_known_svg() -> None:
    result = score(SVG)
    assert result.values == {
        "bytes": float(len(SVG.encode("utf-8"))),
        "lines": 10.0,
        "elements": 6.0,  # svg, g, path, path, rect, path
        "path_commands": 13.0,  # M L L Z + m h v c s q t a z; the "e" in 1e1 is no command
    }
    assert result.values["bytes"] == len(SVG) + 1  # "é" is two bytes in UTF-8
    assert result.metric == "program-size"
    assert result.higher_is_better == dict.fromkeys(result.values, False)


def test_svg_without_namespace_and_without_paths() -> None:
    assert score("<svg><circle r='1'/></svg>").values["path_commands"] == 0.0
    assert score("<svg><path d='M0 0 L1 1'/></svg>").values["path_commands"] == 2.0


def test_non_xml_program_has_no_element_counts() -> None:
    program = "from manim import *\n\nclass Scene1(Scene):\n    pass\n"
    result = score(program)
    assert result.values == {"bytes": float(len(program)), "lines": 4.0,
                             "elements": None, "path_commands": None}
    assert result.details["xml_error"]


def test_no_program_gives_none_everywhere() -> None:
    result = score(None)
    assert result.values == dict.fromkeys(("bytes", "lines", "elements", "path_commands"))
    assert result.details["reason"] == "the round has no program"


def test_program_of_a_failed_render_is_still_measured() -> None:
    result = ProgramSize().score(Sample(id="s"), failed_round(program="<svg><g/></svg>"))
    assert result.values["elements"] == 2.0 and result.rendered is False


def test_internal_entities_are_not_expanded() -> None:
    program = ('<!DOCTYPE svg [<!ENTITY p "<path d=\'M0 0 L1 1\'/>">]>'
               "<svg>&p;&p;&p;</svg>")
    result = score(program)
    assert result.values["elements"] == 1.0
    assert result.values["path_commands"] == 0.0


def test_external_entities_are_not_loaded(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("<path d='M0 0'/>")
    program = (f'<!DOCTYPE svg [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
               "<svg><text>&x;</text></svg>")
    result = score(program)
    assert result.values["elements"] == 2.0
    assert result.values["path_commands"] == 0.0


@pytest.mark.parametrize(("program", "lines"), [("a", 1), ("a\n", 1), ("a\nb", 2), ("", 0)])
def test_lines(program: str, lines: int) -> None:
    record = RoundRecord(round=0, extraction=Extraction(program=program))
    assert ProgramSize().score(Sample(id="s"), record).values["lines"] == lines
