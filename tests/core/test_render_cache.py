"""The render cache: a second run renders nothing and gives the same records; a warm
re-run into a new run directory makes zero renders and zero model calls; changed
programs, specs or renderers miss; the switch turns it off; `visioncode cache` shows and
clears it."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from visioncode.cli import main
from visioncode.config import load_config
from visioncode.execution import Execution
from visioncode.render_cache import RenderStore, render_key
from visioncode.rendering import RenderSpec
from visioncode.runner import Runner
from visioncode.store import RunStore

from ..conftest import pipeline_toml, write_dataset

# A model that answers every request with the sample's reference program, and counts
# its calls in a file next to it (one line per call): the counter the warm re-run checks.
ANSWER = f"""#!{sys.executable}
import json, pathlib, re, sys
req = json.load(sys.stdin)
text = json.dumps(req)
here = pathlib.Path(__file__).parent
with open(here / "calls.log", "a") as fh:
    fh.write("call\\n")
ids = [line for line in (here / "programs").iterdir() if line.stem in text]
program = ids[0].read_text() if ids else "<svg/>"
print(json.dumps({{"text": program}}))
"""


def cache_meta(out: Path) -> list[dict]:
    return [r.rounds[-1].rendering.metadata["render_cache"]  # type: ignore[union-attr]
            for r in RunStore(out).load()]


def counted_model(tmp_path: Path, dataset: Path) -> str:
    """A `command` model answering from the dataset's reference programs."""
    progs = tmp_path / "model" / "programs"
    progs.mkdir(parents=True)
    for line in dataset.read_text().splitlines():
        row = json.loads(line)
        (progs / f"{row['id']}.svg").write_text(Path(row["reference_program"]).read_text())
    script = tmp_path / "model" / "answer.py"
    script.write_text(ANSWER)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return (f'use = "command"\noptions = {{ command = ["{script}"], output = "json", '
            f'cache = true }}')


@pytest.mark.slow
def test_second_run_renders_nothing_and_records_match(small_config: Path,
                                                      tmp_path: Path) -> None:
    first = Runner(load_config(small_config), tmp_path / "a").run(console="quiet")
    second = Runner(load_config(small_config), tmp_path / "b").run(console="quiet")
    assert [m["hit"] for m in cache_meta(tmp_path / "a")] == [False] * 4
    assert all(m["stored"] for m in cache_meta(tmp_path / "a"))
    assert [m["hit"] for m in cache_meta(tmp_path / "b")] == [True] * 4
    assert first.metrics == second.metrics
    for ra, rb in zip(RunStore(tmp_path / "a").load(), RunStore(tmp_path / "b").load(),
                      strict=True):
        ga, gb = ra.rounds[0].rendering, rb.rounds[0].rendering
        assert ga and gb and ga.renderer_version == gb.renderer_version
        # the files were copied into the new run directory, byte for byte
        assert gb.images[0] == ga.images[0] and (tmp_path / "b" / gb.images[0]).is_file()
        assert (tmp_path / "a" / ga.images[0]).read_bytes() == \
            (tmp_path / "b" / gb.images[0]).read_bytes()
    assert "render cache: 4 of 4" in (tmp_path / "b" / "summary.md").read_text()


@pytest.mark.slow
def test_warm_rerun_makes_zero_renders_and_zero_model_calls(tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "data", n=3)
    cfg = tmp_path / "pipeline.toml"
    model = counted_model(tmp_path, dataset)
    cfg.write_text(pipeline_toml(dataset, model=model, metrics=("render-success", "ssim")))
    calls = tmp_path / "model" / "calls.log"
    cold = Runner(load_config(cfg), tmp_path / "cold").run(console="quiet")
    assert cold.ok == 3 and len(calls.read_text().splitlines()) == 3
    assert cold.usage.calls == 3 and cold.usage.cache_hits == 0
    # metrics changed: still the same programs, renders and answers
    cfg.write_text(pipeline_toml(dataset, model=model, metrics=("render-success", "mse")))
    warm = Runner(load_config(cfg), tmp_path / "warm").run(console="quiet")
    assert len(calls.read_text().splitlines()) == 3  # zero model calls
    assert warm.usage.cache_hits == 3
    assert [m["hit"] for m in cache_meta(tmp_path / "warm")] == [True] * 3  # zero renders
    assert warm.ok == 3 and [m.metric for m in warm.metrics] == ["mse", "render-success"]


@pytest.mark.slow
def test_switch_off_renders_every_time(small_config: Path, tmp_path: Path) -> None:
    Runner(load_config(small_config), tmp_path / "a").run(console="quiet")
    loaded = load_config(small_config, {"run.render_cache": False})
    Runner(loaded, tmp_path / "b").run(console="quiet")
    for r in RunStore(tmp_path / "b").load():
        assert "render_cache" not in r.rounds[0].rendering.metadata  # type: ignore[union-attr]


def test_key_changes_with_program_spec_and_renderer(tmp_path: Path) -> None:
    svg = tmp_path / "a.svg"
    svg.write_text("<svg/>")
    ex = Execution(status="ok", program="<svg/>", artifacts={"svg": svg})
    ident = {"name": "cairosvg", "version": "1"}
    base = render_key(ident, ex, RenderSpec())
    moved = tmp_path / "b.svg"
    moved.write_text("<svg/>")
    assert render_key(ident, ex.model_copy(update={"artifacts": {"svg": moved}}),
                      RenderSpec()) == base  # paths are not part of the key
    svg.write_text("<svg width='2'/>")
    assert render_key(ident, ex, RenderSpec()) != base
    svg.write_text("<svg/>")
    assert render_key(ident, ex, RenderSpec(width=64)) != base
    assert render_key({**ident, "version": "2"}, ex, RenderSpec()) != base


@pytest.mark.slow
def test_resvg_does_not_reuse_cairosvg_renders(small_config: Path, tmp_path: Path) -> None:
    Runner(load_config(small_config), tmp_path / "a").run(console="quiet")
    Runner(load_config(small_config, {"renderer.use": "resvg"}), tmp_path / "b").run(
        console="quiet")
    assert [m["hit"] for m in cache_meta(tmp_path / "b")] == [False] * 4


@pytest.mark.slow
def test_cache_cli_shows_and_clears_renders(small_config: Path, tmp_path: Path) -> None:
    Runner(load_config(small_config), tmp_path / "a").run(console="quiet")
    assert RenderStore().stats().entries == 4
    cli = CliRunner()
    shown = cli.invoke(main, ["cache", "renders", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["entries"] == 4
    cleared = cli.invoke(main, ["cache", "clear", "--renders"])
    assert cleared.exit_code == 0 and "removed 4 renders" in cleared.output
    assert RenderStore().stats().entries == 0


@pytest.mark.slow
def test_environment_switch_turns_it_off(small_config: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISIONCODE_RENDER_CACHE", "0")
    Runner(load_config(small_config), tmp_path / "a").run(console="quiet")
    Runner(load_config(small_config), tmp_path / "b").run(console="quiet")
    for r in RunStore(tmp_path / "b").load():
        assert "render_cache" not in r.rounds[0].rendering.metadata  # type: ignore[union-attr]
    assert RenderStore().stats().entries == 0
