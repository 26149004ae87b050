"""How big the round's program is: bytes, lines, XML elements and SVG path commands.

Program length is reported next to fidelity in StarVector (token length) and VCode
(tokens per SVG): a model that wins on pixels by emitting a thousand-path trace is not
doing what one that draws three shapes does. Token counts depend on a tokenizer; these
counts do not, so they compare across models and runs.

- `bytes`: UTF-8 length of the program (as executed, i.e. after extraction).
- `lines`: number of lines (`str.splitlines`).
- `elements`: XML elements (comments, processing instructions and entity references
  not counted) when the program parses as XML, else None. Parsed with lxml with entity
  expansion, DTD loading and network access off: programs are untrusted.
- `path_commands`: SVG path command letters (M, L, C, Q, A, Z, ... either case) over
  every `<path d>`, when the program parses as XML, else None. Implicit repeats
  ("M 0 0 10 10" is a moveto then a lineto) count once, as written.

All values are None when the round has no program. None of them is "better" in itself;
`higher_is_better` is False for all, so reports read smaller as more compact.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from visioncode import Metric, RoundRecord, Sample, Score

KEYS = ("bytes", "lines", "elements", "path_commands")
_PATH_COMMAND = re.compile(r"[MmZzLlHhVvCcSsQqTtAa]")


def safe_xml_parser() -> etree.XMLParser:
    """lxml with entity expansion, DTD loading and network access off."""
    return etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False,
        remove_comments=False,
    )


def count_xml(program: str) -> tuple[int, int] | str:
    """(elements, path commands) of an XML program, or the parse error as text."""
    try:
        root = etree.fromstring(program.encode("utf-8"), safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        return str(exc)
    elements = 0
    commands = 0
    for node in root.iter():
        if not isinstance(node.tag, str):  # comment, PI or entity reference
            continue
        elements += 1
        if etree.QName(node).localname == "path":
            commands += len(_PATH_COMMAND.findall(node.get("d") or ""))
    return elements, commands


class ProgramSize(Metric):
    """`program-size`: bytes, lines, XML elements and SVG path commands of the program."""

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        program = result.program
        values: dict[str, float | None] = dict.fromkeys(KEYS)
        details: dict[str, Any] = {}
        if program is None:
            details["reason"] = "the round has no program"
        else:
            values["bytes"] = float(len(program.encode("utf-8")))
            values["lines"] = float(len(program.splitlines()))
            counted = count_xml(program)
            if isinstance(counted, str):
                details["xml_error"] = counted
            else:
                values["elements"], values["path_commands"] = map(float, counted)
        return Score(
            metric=self.name,
            values=values,
            rendered=result.rendered,
            higher_is_better=dict.fromkeys(KEYS, False),
            details=details,
        )
