"""Pipeline config validation: two passes, every problem with file, field path and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from visioncode import ConfigError
from visioncode.config import load_config

from ..conftest import pipeline_toml, write_dataset


def problems(path: Path, overrides: dict | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    return str(info.value)


def test_valid_config_resolves_components(small_config: Path) -> None:
    loaded = load_config(small_config)
    slots = {c.slot: c.spec.use for c in loaded.components}
    assert slots == {"model": "vtracer", "executor": "svg", "renderer": "cairosvg",
                     "metrics[0]": "render-success", "metrics[1]": "mse", "metrics[2]": "ssim"}
    assert loaded.config.dataset.path.is_absolute()


def test_component_option_error_names_file_and_full_path(tmp_path: Path) -> None:
    ds = write_dataset(tmp_path / "d", n=1)
    cfg = tmp_path / "p.toml"
    cfg.write_text(pipeline_toml(ds, renderer='cairosvg"\n[renderer.options.limits]\n'
                                 'wall_time_s = "soon'))
    msg = problems(cfg)
    assert str(cfg) in msg
    assert "renderer.options.limits.wall_time_s" in msg
    assert "'soon'" in msg  # what was given


def test_unknown_option_lists_allowed_fields_and_suggests(tmp_path: Path) -> None:
    ds = write_dataset(tmp_path / "d", n=1)
    cfg = tmp_path / "p.toml"
    cfg.write_text(pipeline_toml(ds, model='use = "vtracer"\n[model.options]\ncolourmode = "x"'))
    msg = problems(cfg)
    assert "model.options.colourmode" in msg
    assert "did you mean 'colormode'" in msg
    assert "remove it" in msg


def test_pass_one_errors_name_the_field_and_fix(tmp_path: Path) -> None:
    cfg = tmp_path / "p.toml"
    cfg.write_text('[task]\nname = "x"\n[dataset]\npath = "d.jsonl"\n[model]\nuse = "vtracer"\n'
                   '[executor]\nuse = "svg"\n[render]\nwidth = -3\nfit = "cover"\n'
                   '[loop]\nrounds = 0\n[run]\nworkers = "two"\n')
    msg = problems(cfg)
    for expected in ("renderer: Field required: add this field", "render.width",
                     "render.fit", "'contain' or 'stretch'", "loop.rounds", "run.workers"):
        assert expected in msg, (expected, msg)


def test_unknown_component_lists_available(tmp_path: Path) -> None:
    ds = write_dataset(tmp_path / "d", n=1)
    cfg = tmp_path / "p.toml"
    cfg.write_text(pipeline_toml(ds, renderer="cairo"))
    msg = problems(cfg)
    assert "renderer.use: unknown renderer 'cairo'" in msg
    assert "Did you mean 'cairosvg'?" in msg
    available = msg.split("available:", 1)[-1] if "available:" in msg else msg
    assert "cairosvg" in available and "resvg" in available


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    ds = write_dataset(tmp_path / "d", n=1)
    cfg = tmp_path / "p.toml"
    cfg.write_text(pipeline_toml(ds, renderer="nope", metrics=("mse", "no-such-metric")))
    msg = problems(cfg)
    assert "renderer.use" in msg and "metrics[1].use" in msg


def test_duplicate_metric_is_an_error(tmp_path: Path) -> None:
    ds = write_dataset(tmp_path / "d", n=1)
    cfg = tmp_path / "p.toml"
    cfg.write_text(pipeline_toml(ds, metrics=("mse", "mse")))
    assert "listed twice: mse" in problems(cfg)


def test_syntax_error_names_file(tmp_path: Path) -> None:
    cfg = tmp_path / "broken.toml"
    cfg.write_text("[task\nname = 1")
    msg = problems(cfg)
    assert "broken.toml" in msg and "not valid TOML" in msg


def test_yaml_config_is_equivalent(tmp_path: Path, small_config: Path) -> None:
    import tomllib

    import yaml

    data = tomllib.loads(small_config.read_text())
    ycfg = tmp_path / "pipeline.yaml"
    ycfg.write_text(yaml.safe_dump(data))
    assert load_config(ycfg).hash == load_config(small_config).hash


def test_overrides_swap_the_renderer_only(small_config: Path) -> None:
    a = load_config(small_config)
    b = load_config(small_config, {"renderer.use": "resvg"})
    assert b.component("renderer").spec.use == "resvg"  # type: ignore[union-attr]
    assert a.hash != b.hash
    da, db = a.config.model_dump(), b.config.model_dump()
    da.pop("renderer"), db.pop("renderer")
    assert da == db


def test_relative_dataset_path_resolves_against_config(tmp_path: Path) -> None:
    write_dataset(tmp_path / "data", n=1)
    cfg = tmp_path / "pipeline.toml"
    cfg.write_text(pipeline_toml(Path("data/samples.jsonl")))
    assert load_config(cfg).config.dataset.path == (tmp_path / "data/samples.jsonl").resolve()
