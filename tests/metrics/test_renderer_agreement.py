"""`renderer-agreement` and the per-sample table: the example config comparing cairosvg
with resvg on the same programs, and a document only one of them can draw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visioncode import ComponentContext, RenderSpec, RoundRecord, Sample
from visioncode.config import load_config
from visioncode.registry import load
from visioncode.runner import Runner
from visioncode_metrics import per_sample
from visioncode_metrics.cli import main as metrics_cli
from visioncode_metrics.renderer_agreement import KEYS, RendererAgreement

ROOT = Path(__file__).resolve().parents[2]
COMPARE = ROOT / "examples" / "img2svg" / "compare-renderers.toml"
NS = 'xmlns="http://www.w3.org/2000/svg"'
# cairosvg recurses until RecursionError on a pattern that fills itself; resvg draws it.
SELF_PATTERN = (f'<svg {NS} viewBox="0 0 10 10"><pattern id="p" width="5" height="5" '
                'patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="url(#p)"/>'
                '</pattern><rect width="10" height="10" fill="url(#p)"/></svg>')


@pytest.fixture(scope="module")
def compare_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compare") / "run"
    Runner(load_config(COMPARE), out, limit=6, workers=2).run(console="quiet")
    return out


def test_compare_config_gives_a_per_sample_table(compare_run: Path) -> None:
    header, rows = per_sample.table(per_sample.load_records(compare_run),
                                    ["renderer-agreement"])
    assert header == ["sample", "status", "round_status",
                      *(f"renderer-agreement.{k}" for k in KEYS)]
    assert len(rows) == 6
    for row in rows:
        values = dict(zip(header, row, strict=True))
        assert values["status"] == "ok"
        assert values["renderer-agreement.ssim_between"] > 0.99  # the same drawing
        assert values["renderer-agreement.mse_between"] < 1e-3
        assert values["renderer-agreement.both_rendered"] == 1.0
        assert 0 < values["renderer-agreement.seconds_primary"] < 5
        assert 0 < values["renderer-agreement.seconds_other"] < 5
    summary = json.loads((compare_run / "summary.json").read_text())
    means = {m["key"]: m for m in summary["metrics"] if m["metric"] == "renderer-agreement"}
    assert set(means) == set(KEYS) and means["ssim_between"]["n"] == 6
    assert summary["success_rate"] == 1.0


def test_records_name_both_renderers_and_versions(compare_run: Path) -> None:
    record = per_sample.load_records(compare_run)[0]
    details = record.scores["renderer-agreement"].details
    assert details["primary"]["renderer"] == "cairosvg"
    assert details["other"]["renderer"] == "resvg"
    assert details["primary"]["version"].startswith("cairosvg ")
    assert details["other"]["version"].startswith("resvg ")
    assert details["canvas"] == {"width": 256, "height": 256, "fit": "contain",
                                 "background": "#ffffff"}
    second = compare_run / "artifacts" / record.sample_id / "round-0" / "agreement-resvg"
    assert (second / "render.png").is_file()


def test_table_command_formats(compare_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert metrics_cli(["table", str(compare_run), "-m", "renderer-agreement"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| sample | status | round_status | renderer-agreement.")
    assert len(lines) == 2 + 6
    assert metrics_cli(["table", str(compare_run), "--format", "json", "--rounds"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 6 and rows[0]["round"] == 0 and "ssim.ssim" in rows[0]
    assert metrics_cli(["table", str(compare_run.parent / "nothing")]) == 2


def test_a_document_only_one_renderer_draws(tmp_path: Path) -> None:
    executor = load("executor", "svg")(context=ComponentContext(name="svg"))
    cairo = load("renderer", "cairosvg")(context=ComponentContext(name="cairosvg"))
    metric = RendererAgreement(RendererAgreement.Options(other={"use": "resvg"}))
    try:
        execution = executor.execute(SELF_PATTERN, tmp_path)
        rendering = cairo.render(execution, RenderSpec(width=64, height=64), tmp_path)
        assert rendering.status == "error" and "RecursionError" in (rendering.error or "")
        result = RoundRecord(round=0, status="render_error", execution=execution,
                             rendering=rendering)
        score = metric.score(Sample(id="s"), result)
    finally:
        cairo.close()
        metric.close()
    assert score.values["both_rendered"] == 0.0 and score.values["status_agrees"] == 0.0
    assert score.values["ssim_between"] is None
    assert score.details["other"]["status"] == "ok"
    assert score.details["canvas"]["width"] == 64  # rendering sizes fall back to the spec
    assert (tmp_path / "agreement-resvg" / "render.png").is_file()


def test_unknown_other_renderer_fails_loudly(tmp_path: Path) -> None:
    from visioncode import Execution, UnknownComponentError

    svg = tmp_path / "p.svg"
    svg.write_text(f"<svg {NS}/>")
    metric = RendererAgreement(RendererAgreement.Options(other={"use": "chromium-ish"}))
    result = RoundRecord(round=0, execution=Execution(status="ok", program="",
                                                      artifacts={"svg": svg}))
    with pytest.raises(UnknownComponentError, match="chromium-ish"):
        metric.score(Sample(id="s"), result)
