"""Typed settings: every registered protocol refuses unknown keys and wrong types in one line;
suites are checked when loaded; the CLI takes its defaults from the same models."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from astrobench.bench.suite import parse_suite
from astrobench.errors import ConfigError
from astrobench.protocols.settings import EmbedSettings, TrainSettings, validate_settings
from astrobench.registry import PROTOCOLS


@pytest.mark.parametrize("name", PROTOCOLS.names())
def test_every_protocol_has_defaults_and_refuses_unknown_keys(name: str) -> None:
    model = PROTOCOLS.get(name).settings_model
    defaults = validate_settings(model, {}, name)
    assert defaults.split_seed == 0
    with pytest.raises(ConfigError, match=r"unknown setting 'epoch'.*valid settings here: .*embed"):
        validate_settings(model, {"epoch": 99}, name)
    with pytest.raises(ConfigError, match=r"setting 'split_seed'"):
        validate_settings(model, {"split_seed": "zero"}, name)
    with pytest.raises(ConfigError, match=r"unknown setting 'embed.batchsize'.*batch_size"):
        validate_settings(model, {"embed": {"batchsize": 3}}, name)


def test_training_settings_live_in_their_namespace() -> None:
    finetune = PROTOCOLS.get("finetune").settings_model
    checked = validate_settings(finetune, {"train": {"epochs": 3}, "embed": {"batch_size": 7}}, "f")
    assert checked.train.epochs == 3 and checked.embed.batch_size == 7
    assert checked.train.batch_size == 64 and checked.train_config(5).seed == 5
    with pytest.raises(ConfigError, match=r"'train'.*epochs must be >= 0"):
        validate_settings(finetune, {"train": {"epochs": -3}}, "f")
    with pytest.raises(ConfigError, match="unknown setting 'epochs'"):
        validate_settings(finetune, {"epochs": 3}, "f")  # top level: not a training knob


def _suite(**overrides: object) -> dict[str, object]:
    suite: dict[str, object] = {
        "name": "s",
        "datasets": {"d": {"synth": {"n": 10}, "targets": ["label"]}},
        "backbones": ["vit_tiny_p8"],
        "protocols": ["knn", {"name": "finetune", "settings": {"train": {"epochs": 1}}}],
    }
    suite.update(overrides)
    return suite


def test_suite_settings_are_checked_when_loaded() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'epoch'"):
        parse_suite(_suite(settings={"epoch": 99}))
    with pytest.raises(ConfigError, match=r"protocols\[1\] \(finetune\): unknown setting 'lr'"):
        parse_suite(_suite(protocols=["knn", {"name": "finetune", "settings": {"lr": 1}}]))
    with pytest.raises(ConfigError, match=r"unknown protocol 'knm'.*did you mean knn"):
        parse_suite(_suite(protocols=["knm"]))
    suite = parse_suite(_suite(settings={"train": {"epochs": 4}, "split_seed": 1}))
    knn, finetune = suite.protocols
    assert suite.protocol_settings(knn) == {"split_seed": 1}  # `train` reaches trainers only
    assert suite.protocol_settings(finetune) == {"split_seed": 1, "train": {"epochs": 1}}


def test_a_protocol_twice_with_different_settings_gets_two_labels() -> None:
    entries = [
        {"name": "linear", "settings": {"embed": {"img_size": 224}}},
        {"name": "linear", "settings": {"embed": {"img_size": 480}}},
        {"name": "knn", "label": "knn-small"},
    ]
    suite = parse_suite(_suite(protocols=entries))
    assert suite.protocol_labels() == [
        "linear[embed.img_size=224]",
        "linear[embed.img_size=480]",
        "knn-small",
    ]
    with pytest.raises(ConfigError, match="share the label"):
        parse_suite(
            _suite(protocols=[{"name": "knn", "label": "x"}, {"name": "linear", "label": "x"}])
        )


def test_a_suite_with_a_misspelled_setting_exits_2_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(_suite(settings={"epoch": 99})))
    done = subprocess.run(
        [sys.executable, "-m", "astrobench", "bench", str(path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "'epoch'" in lines[0], done.stderr
    assert not (tmp_path / "o" / "results.sqlite").exists()


def test_cli_defaults_are_the_models_defaults() -> None:
    import inspect

    from astrobench.cli import finetune, probe

    probe_defaults = {
        k: v.default.default for k, v in inspect.signature(probe.probe).parameters.items()
    }
    assert probe_defaults["batch_size"] == EmbedSettings().batch_size
    tune = {
        k: v.default.default for k, v in inspect.signature(finetune.finetune).parameters.items()
    }
    assert tune["epochs"] == TrainSettings().epochs
    # lr, warmup and schedule are left to each protocol's settings model (hybrid: seed 001's)
    assert tune["lr"] is None and tune["warmup_epochs"] is None and tune["schedule"] is None


def test_pretrain_cli_defaults_are_the_pretrainers_defaults() -> None:
    """The MAE command keeps its defaults beside its options (importing the pretrainer would
    import torch at CLI start-up), so this test keeps them equal to the function's."""
    from astrobench.cli import pretrain
    from astrobench.pretrain.mae_pretrainer import pretrain_mae
    from astrobench.pretrain.settings import pretrainer_settings_model

    model = pretrainer_settings_model(pretrain_mae)
    cli = {k: v.default.default for k, v in inspect.signature(pretrain.mae).parameters.items()}
    # 0 on the command line stands for "None" (automatic) in the function
    automatic = {"decoder_width", "crop", "lr", "warmup_epochs"}
    for name, field in model.model_fields.items():
        if name in cli and name not in automatic:
            assert cli[name] == field.default, name
