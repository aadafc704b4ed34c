"""Typed, namespaced protocol settings: one pydantic model per protocol, unknown keys refused.

Namespaces keep words from meaning two things: `embed` holds how a frozen backbone is run over
a file (its `batch_size` is images per forward pass), `train` holds the training runtime's knobs
(its `batch_size` is images per optimiser step), and a protocol's own head options sit at the
top level beside the shared `split_seed`. The CLI commands take their defaults from these
models, so every default lives in one place.

    settings:                 # a suite's defaults for every protocol
      split_seed: 0
      embed: {batch_size: 128}
    protocols:
      - name: knn
        settings: {ks: [5, 20]}
      - name: finetune
        settings: {train: {epochs: 5, lr: 1e-3}, layer_decay: 0.65}
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from astrobench.errors import ConfigError
from astrobench.train.config import TrainConfig


class StrictSettings(BaseModel):
    """Base of every settings model: unknown keys are errors, values are validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EmbedSettings(StrictSettings):
    """How a frozen backbone is run over a cutout file (part of the embedding cache key)."""

    batch_size: int = Field(default=256, ge=1, le=1 << 16)
    bands: list[str] | None = None  # the file's bands to feed, in order (None: all)
    img_size: int | None = Field(default=None, ge=1, le=4096)
    device: str = "cpu"
    adapt: str | None = None  # band strategy: select:g,r,z | inflate | adapter
    pooling: Literal["cls", "mean"] | None = None

    @field_validator("bands", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [b.strip() for b in value.split(",") if b.strip()]
        return value


class ProtocolSettings(StrictSettings):
    """What every protocol understands."""

    split_seed: int = Field(default=0, ge=0)  # the fixed train/val/test split (not the run seed)
    # "disjoint": seed 001's separate fine-tuning pool, 70/10/20 (data/splits.py)
    split_scheme: Literal["standard", "disjoint"] = "standard"
    embed: EmbedSettings = Field(default_factory=EmbedSettings)
    min_train: int = Field(default=5, ge=1)  # fewest labelled training objects (values)
    min_per_class: int = Field(default=2, ge=1)  # fewest per class (classification)


# Training defaults of the protocols (the runtime's own defaults suit pretraining).
TRAIN_DEFAULTS: dict[str, Any] = {"epochs": 10, "lr": 1e-3, "batch_size": 64, "warmup_epochs": 1}
_NOT_SETTINGS = {
    "seed",
    "extra",
    "identity",
    "monitor",
    "monitor_higher_is_better",
}  # set by the protocol


def _train_settings_model() -> type[StrictSettings]:
    hints = typing.get_type_hints(TrainConfig)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(TrainConfig):
        if field.name in _NOT_SETTINGS:
            continue
        default = TRAIN_DEFAULTS.get(field.name, field.default)
        fields[field.name] = (hints[field.name], default)
    model = create_model("TrainSettings", __base__=StrictSettings, **fields)
    model.__doc__ = "The training runtime's knobs (TrainConfig), with the protocols' defaults."
    return model


if TYPE_CHECKING:
    TrainSettings = StrictSettings
else:
    TrainSettings = _train_settings_model()


class TrainedSettings(ProtocolSettings):
    """What every training protocol (finetune, partial, unfreeze, lora, scratch) understands."""

    train: TrainSettings = Field(default_factory=TrainSettings)
    augment: str = "flip"  # a name of protocols.augment.AUGMENTATIONS
    loss: Literal["mse", "huber"] = "mse"  # regression targets
    label_smoothing: float = Field(default=0.0, ge=0.0, lt=1.0)
    class_weights: Literal["balanced"] | list[float] | None = None
    head_dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    drop_path: float | None = Field(default=None, ge=0.0, lt=1.0)  # None: the protocol's default
    resume: bool = False

    @field_validator("train")
    @classmethod
    def _train_config_checks(cls, value: Any) -> Any:
        try:
            TrainConfig(**value.model_dump())
        except ConfigError as error:
            raise ValueError(error.message) from None
        return value

    def train_config(self, seed: int) -> TrainConfig:
        """The runtime's TrainConfig for a run with this `seed`, selecting on validation."""
        return TrainConfig(**self.train.model_dump(), seed=seed, monitor="val_score")


def validate_settings(
    model: type[BaseModel], raw: Mapping[str, Any] | BaseModel, where: str
) -> Any:
    """`raw` checked against `model`; the first problem becomes one ConfigError line.

    The line names the offending key and, for an unknown key, the valid ones.
    """
    if isinstance(raw, model):
        return raw
    values = raw.model_dump() if isinstance(raw, BaseModel) else dict(raw)
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise settings_error(error, model, where) from None


def settings_error(error: ValidationError, model: type[BaseModel], where: str) -> ConfigError:
    """One line for the first problem of a ValidationError of settings."""
    first = error.errors()[0]
    path = [str(p) for p in first["loc"]]
    key = ".".join(path) or "settings"
    if first["type"] == "extra_forbidden":
        valid = sorted(_fields_at(model, path[:-1]))
        return ConfigError(
            f"{where}: unknown setting {key!r}", f"valid settings here: {', '.join(valid)}"
        )
    return ConfigError(f"{where}: setting {key!r}: {first['msg']}", "fix the value")


def _fields_at(model: type[BaseModel], path: list[str]) -> list[str]:
    """Field names of the (nested) model reached by `path`."""
    for name in path:
        annotation = model.model_fields[name].annotation if name in model.model_fields else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def field_default(model: type[BaseModel], name: str) -> Any:
    """The default of one field (the CLI takes its defaults from here)."""
    field = model.model_fields[name]
    return field.get_default(call_default_factory=True)
