"""What an SVG program is made of: its length in tokens under a named tokenizer, and its
elements counted by primitive.

VCode reports the mean tokens per SVG under tiktoken's `cl100k_base` (its
`evaluation/metrics.py`), the number this metric's `tokens` reproduces: the same encoding,
over the SVG as the model wrote it (`program = "extracted"`: the extracted text, after
the safe repairs, before sanitising; VCode counts the cleaned `<svg>...</svg>` text it
saved). The rank file is read locally and checked (see `tokenizers`); a missing one
stops the pipeline at start with the command that provides it, rather than reaching for
the network mid-run.

Element counts say *how* a picture was drawn: three circles and a rect, or one traced
path of two thousand commands. Keys: `path`, `rect`, `circle`, `ellipse`, `line`,
`polyline`, `polygon`, `text`, `g`, `use`, `image`, and `other` (every other element
below the root: `defs`, gradients and their stops, `title`, `style`, `tspan`, nested
`svg`, ...). Counted on the parsed document (comments and processing instructions
excluded; lxml with entity expansion, DTD loading and network off), so they are None
when the program is not well-formed XML. Pair it with `program-size` for bytes, lines and
path commands.

No value is better in itself; `higher_is_better` is False for all, so reports read
smaller as more compact. All values are None when the round has no program.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

from lxml import etree
from pydantic import Field

from visioncode import (
    ComponentContext,
    ComponentOptions,
    Metric,
    RoundRecord,
    Sample,
    Score,
)

from .program_size import safe_xml_parser
from .tokenizers import TokenizerError, count_tokens, load_encoding

PRIMITIVES = ("path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
              "g", "use", "image")
KEYS = (*PRIMITIVES, "other")


class SvgCodeOptions(ComponentOptions):
    tokenizer: str | None = Field(
        "cl100k_base",
        description="Named tokenizer for `tokens` (`cl100k_base`, as VCode reports); null "
                    "leaves `tokens` out. Its rank file must be installed: see "
                    "`visioncode-metrics tokenizer fetch`.")
    tokenizer_file: Path | None = Field(
        None, description="The tokenizer's `.tiktoken` rank file, relative to the pipeline "
                          "file (default: looked up, see docs/svg.md); checked by SHA-256.")
    program: Literal["extracted", "executed"] = Field(
        "extracted",
        description="Which text to measure: `extracted` (as the model wrote it, after safe "
                    "repairs; VCode) or `executed` (after sanitising).")


def primitive_counts(program: str) -> dict[str, int] | str:
    """Elements by primitive (see the module docstring), or the parse error as text."""
    try:
        root = etree.fromstring(program.encode("utf-8"), safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        return str(exc)
    counts: Counter[str] = Counter()
    for node in root.iterdescendants():
        if not isinstance(node.tag, str):  # comment, PI or entity reference
            continue
        name = etree.QName(node).localname
        counts[name if name in PRIMITIVES else "other"] += 1
    return {key: counts.get(key, 0) for key in KEYS}


class SvgCode(Metric):
    """`svg-code`: tokens under a named tokenizer (cl100k_base, as VCode) and element
    counts by primitive (path, rect, circle, ..., other)."""

    Options = SvgCodeOptions
    options: SvgCodeOptions

    def __init__(self, options: ComponentOptions | None = None,
                 context: ComponentContext | None = None) -> None:
        super().__init__(options, context)
        self._encoding: Any = None
        if self.options.tokenizer is not None:
            given = self.options.tokenizer_file
            # Loaded now, so a missing rank file stops the run before any sample.
            try:
                self._encoding = load_encoding(
                    self.options.tokenizer,
                    self.context.resolve_path(given) if given is not None else None)
            except TokenizerError as exc:
                where = f"{self.context.slot}.options" if self.context.slot else self.name
                raise TokenizerError(f"{where}: {exc}") from None

    def _program(self, result: RoundRecord) -> str | None:
        if self.options.program == "executed" and result.execution is not None:
            return result.execution.program
        if result.extraction is not None and result.extraction.program is not None:
            return result.extraction.program
        return result.program

    def score(self, sample: Sample, result: RoundRecord) -> Score:
        program = self._program(result)
        keys = (("tokens",) if self._encoding is not None else ()) + KEYS
        values: dict[str, float | None] = dict.fromkeys(keys)
        details: dict[str, Any] = {"program": self.options.program}
        if program is None:
            details["reason"] = "the round has no program"
        else:
            if self._encoding is not None:
                values["tokens"] = float(count_tokens(self._encoding, program))
                details["tokenizer"] = self.options.tokenizer
            counted = primitive_counts(program)
            if isinstance(counted, str):
                details["xml_error"] = counted
            else:
                values.update({k: float(v) for k, v in counted.items()})
        return Score(metric=self.name, values=values, rendered=result.rendered,
                     higher_is_better=dict.fromkeys(keys, False), details=details)
