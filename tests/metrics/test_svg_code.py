"""`svg-code`: tokens under a named tokenizer and element counts by primitive."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from tokenizer_support import tiny_file

from visioncode import ComponentContext, Execution, Extraction, RoundRecord, Sample
from visioncode_metrics import tokenizers
from visioncode_metrics.svg_code import KEYS, SvgCode, primitive_counts
from visioncode_metrics.tokenizers import TokenizerError, TokenizerSpec

SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">
  <title>demo</title>
  <defs><linearGradient id="g"><stop offset="0"/><stop offset="1"/></linearGradient></defs>
  <g fill="red"><rect width="1" height="1"/><rect x="2" width="1" height="1"/>
    <circle r="1"/><ellipse rx="1" ry="2"/></g>
  <path d="M0 0 L5 5"/><line x2="1"/><polyline points="0,0 1,1"/><polygon points="0,0 1,1 1,0"/>
  <text>hi<tspan>!</tspan></text><use href="#g"/><image width="1" height="1"/>
  <!-- a comment --><svg/>
</svg>"""


def round_with(program: str | None, executed: str | None = None) -> RoundRecord:
    return RoundRecord(
        round=0,
        extraction=Extraction(program=program) if program is not None else None,
        execution=Execution(status="ok", program=executed or program) if program else None,
    )


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "tiny.tiktoken"
    data = tiny_file(path)
    monkeypatch.setitem(tokenizers.KNOWN, "tiny", TokenizerSpec(
        name="tiny", url="https://example.invalid/tiny", sha256=hashlib.sha256(data).hexdigest(),
        pat_str=r"\S+|\s+"))
    return path


def test_counts_by_primitive() -> None:
    counts = primitive_counts(SVG)
    assert isinstance(counts, dict)
    assert counts == {"path": 1, "rect": 2, "circle": 1, "ellipse": 1, "line": 1,
                      "polyline": 1, "polygon": 1, "text": 1, "g": 1, "use": 1, "image": 1,
                      # title, defs, linearGradient, 2 stops, tspan, nested svg
                      "other": 7}


def test_metric_values_tokens_and_counts(tiny: Path) -> None:
    metric = SvgCode(SvgCode.Options(tokenizer="tiny", tokenizer_file=tiny))
    score = metric.score(Sample(id="s"), round_with("<svg>abc</svg>"))
    assert set(score.values) == {"tokens", *KEYS}
    # "<svg" is one merged token, then ">", "abc" (one), "</", "svg", ">"... by bytes
    assert score.values["tokens"] == len(
        tokenizers.load_encoding("tiny", tiny).encode("<svg>abc</svg>"))
    assert score.values["other"] == 0 and score.details["tokenizer"] == "tiny"
    assert not any(score.higher_is_better.values())


def test_extracted_or_executed_program(tiny: Path) -> None:
    rnd = round_with("<svg><rect/></svg>", executed="<svg><rect/><rect/></svg>")
    extracted = SvgCode(SvgCode.Options(tokenizer=None)).score(Sample(id="s"), rnd)
    executed = SvgCode(SvgCode.Options(tokenizer=None, program="executed")).score(
        Sample(id="s"), rnd)
    assert extracted.values["rect"] == 1 and executed.values["rect"] == 2
    assert "tokens" not in extracted.values


def test_no_program_and_not_xml(tiny: Path) -> None:
    metric = SvgCode(SvgCode.Options(tokenizer="tiny", tokenizer_file=tiny))
    none = metric.score(Sample(id="s"), round_with(None))
    assert all(v is None for v in none.values.values())
    broken = metric.score(Sample(id="s"), round_with("<svg><g></svg>"))
    assert broken.values["tokens"] is not None and broken.values["rect"] is None
    assert "xml_error" in broken.details


def test_entities_are_not_expanded(tiny: Path) -> None:
    doc = ('<!DOCTYPE svg [<!ENTITY e "<rect/><rect/>">]>'
           '<svg xmlns="http://www.w3.org/2000/svg">&e;</svg>')
    counts = primitive_counts(doc)
    assert isinstance(counts, dict) and counts["rect"] == 0


def test_missing_tokenizer_stops_the_metric_at_construction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(tokenizers.ENV_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tt"))
    with pytest.raises(TokenizerError, match="tokenizer fetch cl100k_base"):
        SvgCode()


def test_tokenizer_file_resolves_against_the_pipeline_folder(tiny: Path) -> None:
    context = ComponentContext(name="svg-code", base_dir=tiny.parent)
    metric = SvgCode(SvgCode.Options(tokenizer="tiny", tokenizer_file=Path(tiny.name)), context)
    assert metric.score(Sample(id="s"), round_with("<svg/>")).values["tokens"] is not None
