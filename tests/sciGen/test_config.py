"""Typed configs and YAML overlays (``base:``)."""
from __future__ import annotations

from pathlib import Path

import pytest

from sciGen.config import ConfigError, from_dict, load_yaml, merge
from sciGen.train import TrainConfig

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_merge_lays_mappings_over_each_other_and_replaces_the_rest() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    out = merge(base, {"a": {"y": [3]}, "c": 4})
    assert out == {"a": {"x": 1, "y": [3]}, "b": 2, "c": 4}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 2}  # not modified


def test_base_makes_a_file_an_overlay_and_chains(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("model:\n  d: 8\n  n: 2\ntrainer:\n  max_time: '00:00:05:00'\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yaml").write_text("base: ../a.yaml\nmodel:\n  d: 16\n")
    (tmp_path / "c.yaml").write_text("base: sub/b.yaml\ntrainer:\n  steps: 3\n")
    assert load_yaml(tmp_path / "c.yaml") == {"model": {"d": 16, "n": 2},
                                               "trainer": {"max_time": "00:00:05:00", "steps": 3}}


def test_a_bad_base_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("base: missing.yaml\n")
    with pytest.raises(ConfigError, match=r"x\.yaml: base .*missing\.yaml: config file not found"):
        load_yaml(tmp_path / "x.yaml")
    (tmp_path / "p.yaml").write_text("base: q.yaml\n")
    (tmp_path / "q.yaml").write_text("base: p.yaml\n")
    with pytest.raises(ConfigError, match="leads back to itself"):
        load_yaml(tmp_path / "p.yaml")
    (tmp_path / "n.yaml").write_text("base: [a.yaml]\n")
    with pytest.raises(ConfigError, match="expected a file name"):
        load_yaml(tmp_path / "n.yaml")


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_resolves_to_a_train_config(path: Path) -> None:
    raw = load_yaml(path)
    assert "base" not in raw
    cfg = from_dict(TrainConfig, raw, str(path))
    assert cfg.trainer.max_steps > 0 and cfg.model
