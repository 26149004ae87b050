"""The [reward] table: what it accepts, and the errors that name field and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from visioncode import ConfigError
from visioncode.config import load_config
from visioncode.reward.function import reward_spec
from visioncode.reward.spec import ContentGate, FormatGate, ViewBoxGate

from .programs import CONFIG, EXAMPLE


def _config(tmp_path: Path, reward: str, metrics: tuple[str, ...] = ("ssim",)) -> Path:
    body = CONFIG.read_text().split("[reward]")[0]
    body = body.replace('path = "dataset/samples.jsonl"',
                        f'path = "{EXAMPLE / "dataset" / "samples.jsonl"}"')
    head, _, _ = body.partition("[[metrics]]")
    tables = "".join(f'[[metrics]]\nuse = "{m}"\n\n' for m in metrics)
    path = tmp_path / "reward.toml"
    path.write_text(head + tables + reward)
    return path


def test_example_table_parses_every_kind() -> None:
    spec = load_config(CONFIG).config.reward
    assert spec is not None
    assert spec.failure == -1.0 and spec.timeout_s == 3.0 and spec.cache
    assert [t.kind for t in spec.terms] == ["metric", "metric", "length"]
    assert [t.label for t in spec.terms] == ["ssim", "pixel", "length"]
    assert [type(g) for g in spec.gates] == [FormatGate, ContentGate, ViewBoxGate]
    assert spec.gates[0].ban == ["text", "tspan", "textPath"]


@pytest.mark.parametrize(("reward", "field", "words"), [
    ('[reward]\n[[reward.terms]]\nmetric = "ssim"\nclip = [1.0, 0.0]\n',
     "reward.terms[0]", "low bound is above the high bound"),
    ('[reward]\n[[reward.terms]]\nmetric = "ssim"\nwieght = 2\n',
     "reward.terms[0].wieght", "did you mean 'weight'"),
    ('[reward]\n[[reward.terms]]\nweight = 2\n',
     "reward.terms[0]", "needs `metric`"),
    ('[reward]\n[[reward.terms]]\nkind = "length"\nmetric = "ssim"\n',
     "reward.terms[0]", "takes no `metric`"),
    ('[reward]\n[[reward.terms]]\nmetric = "ssim"\n[[reward.gates]]\ngate = "blank"\n',
     "reward.gates[0]", "'format', 'min-content', 'viewbox'"),
    ('[reward]\nterms = []\n', "reward.terms", "at least 1"),
    ('[reward]\n[[reward.terms]]\nmetric = "ssim"\n[[reward.terms]]\nmetric = "ssim"\n',
     "reward", "used twice"),
    ('[reward]\ntimeout_s = 0\n[[reward.terms]]\nmetric = "ssim"\n',
     "reward.timeout_s", "greater than 0"),
])
def test_malformed_table_names_file_field_and_fix(tmp_path: Path, reward: str, field: str,
                                                  words: str) -> None:
    path = _config(tmp_path, reward)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    paths = [p for p, _ in info.value.problems]
    assert any(p.startswith(field) for p in paths), info.value
    assert words in str(info.value)


def test_term_naming_a_metric_the_config_lacks(tmp_path: Path) -> None:
    path = _config(tmp_path, '[reward]\n[[reward.terms]]\nmetric = "psnr"\n')
    with pytest.raises(ConfigError) as info:
        reward_spec(load_config(path))
    assert info.value.problems[0][0] == "reward.terms[0].metric"
    assert "add it to [[metrics]]" in str(info.value) and "ssim" in str(info.value)


def test_missing_reward_table_says_how_to_add_one(tmp_path: Path) -> None:
    path = _config(tmp_path, "")
    with pytest.raises(ConfigError, match=r"reward: missing: add a \[reward\] table"):
        reward_spec(load_config(path))


def test_length_term_needs_reference_programs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    image = EXAMPLE / "dataset" / "images" / "icon-cloud.png"
    (data / "samples.jsonl").write_text(f'{{"id": "a", "image": "{image}"}}\n')
    path = _config(tmp_path, '[reward]\n[[reward.terms]]\nkind = "length"\n')
    path.write_text(path.read_text().replace(str(EXAMPLE / "dataset" / "samples.jsonl"),
                                             str(data / "samples.jsonl")))
    with pytest.raises(ConfigError, match=r"needs each sample's reference_program.*\(a\)"):
        reward_spec(load_config(path))


def test_reward_table_leaves_the_run_hash_alone(tmp_path: Path) -> None:
    with_table = load_config(CONFIG)
    without = load_config(_config(tmp_path, "", metrics=("ssim", "mse")))
    assert with_table.config.reward is not None and without.config.reward is None
    assert with_table.hash == without.hash
