"""A benchmark suite: datasets and targets x backbones x protocols x label fractions x seeds.

A suite is a YAML file validated by the pydantic models below. Backbones may name an encoder that a
pretraining step of the same suite produces (`pretrained:<name>`); the runner resolves it to the
checkpoint the step writes. `expand_grid` turns a suite into cells, each with a stable hash of its
resolved configuration: the key of its result row.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from astrobench.content_hash import content_sha256
from astrobench.errors import ConfigError
from astrobench.safe_yaml import load_yaml

PRETRAINED_PREFIX = "pretrained:"
RANDOM_PREFIX = "random:"  # `random:pretrained:<name>`: that encoder's architecture and input
# preparation at random initialisation -- the fair baseline of a pretrained encoder.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SynthSpec(_Strict):
    """A synthetic survey the runner generates once (and reuses while the spec is unchanged)."""

    preset: str = "sdss"
    n: int = Field(gt=0, le=100_000_000)  # the object limit of a cutout file
    seed: int = 0
    size: int | None = Field(default=None, gt=0)  # cutout side in pixels; None: the preset's own
    spectra: bool = False
    votes: str | None = None  # a vote schema (gz-decals-5, gz2): also simulate Galaxy Zoo votes


class TargetSpec(_Strict):
    """A target with options: its task kind, headline metric, photo-z outlier thresholds."""

    column: str = Field(min_length=1)  # one column, or several comma-separated (multi-output)
    task: str | None = None  # force a task kind, e.g. "regression" on an integer column
    headline: str | None = None  # the metric tables lead with, e.g. f1_macro (seed 002)
    outlier_thresholds: list[float] | None = None  # photo-z η thresholds, e.g. [0.05, 0.15]

    def task_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"headline": self.headline}
        if self.outlier_thresholds is not None:
            options["outlier_thresholds"] = tuple(self.outlier_thresholds)
        return {k: v for k, v in options.items() if v is not None}


class DatasetSpec(_Strict):
    """A cutout file, given by path or as a synthetic survey, and the targets to predict.

    A dataset without targets is only pretrained on (a pretrain step must use it): it has no cells.
    """

    path: Path | None = None
    synth: SynthSpec | None = None
    targets: list[TargetSpec] = Field(default_factory=list)

    @field_validator("targets", mode="before")
    @classmethod
    def _names_to_specs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"column": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _one_source(self) -> DatasetSpec:
        if (self.path is None) == (self.synth is None):
            raise ValueError("give exactly one of 'path' or 'synth'")
        return self


class PretrainSpec(_Strict):
    """A self-supervised pretraining step whose encoder backbones can use as `pretrained:<name>`."""

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
    method: str = "mae"
    dataset: str
    settings: dict[str, Any] = Field(default_factory=dict)


class ProtocolSpec(_Strict):
    """A protocol, its settings, and optionally the only backbones and targets it applies to.

    `label` names its rows in the report; by default the protocol's name, or, when one protocol
    is listed twice with different settings, the name and the settings that differ
    (`linear[embed.img_size=224]`), so such entries are never merged as if they were seeds.
    """

    name: str
    settings: dict[str, Any] = Field(default_factory=dict)
    backbones: list[str] | None = None
    targets: list[str] | None = None  # target columns as written in `datasets` (None: all)
    label: str | None = Field(default=None, pattern=r"^[^/\\]+$")


class CostSpec(_Strict):
    """How energy and CO2 are obtained.

    Measured by codecarbon's offline tracker when it is installed (`pip install astrobench[carbon]`)
    AND the suite states the country whose grid powers the machine (ISO 3166 alpha-3, e.g. "FRA");
    otherwise estimated from wall time x `power_watts` x `carbon_kg_per_kwh`, flagged "estimated".
    """

    power_watts: float = Field(default=65.0, gt=0)
    carbon_kg_per_kwh: float = Field(default=0.475, ge=0)  # IEA world average, 2019
    country_iso_code: str | None = Field(default=None, min_length=3, max_length=3)
    use_codecarbon: bool = True


class Suite(_Strict):
    """The whole grid, as written in a suite YAML file."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    datasets: dict[str, DatasetSpec] = Field(min_length=1)
    pretrain: list[PretrainSpec] = Field(default_factory=list)
    backbones: list[str] = Field(min_length=1)
    protocols: list[ProtocolSpec] = Field(min_length=1)
    fractions: list[float] = Field(default_factory=lambda: [1.0], min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    settings: dict[str, Any] = Field(default_factory=dict)  # defaults for every protocol
    n_boot: int = Field(default=1000, ge=0)
    torch_threads: int | None = Field(default=None, ge=1)  # threads of this process (None: torch's)
    cost: CostSpec = Field(default_factory=CostSpec)

    @field_validator("datasets")
    @classmethod
    def _safe_dataset_keys(cls, value: dict[str, DatasetSpec]) -> dict[str, DatasetSpec]:
        # Keys name files under --out: no separators, no leading dot, nothing that escapes.
        bad = [key for key in value if not _SAFE_NAME.fullmatch(key)]
        if bad:
            raise ValueError(
                f"dataset key {bad[0]!r} must be letters, digits, '_', '.' or '-' and not start "
                "with '.' (it names files under --out)"
            )
        return value

    @field_validator("protocols", mode="before")
    @classmethod
    def _names_to_specs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("fractions")
    @classmethod
    def _fractions_in_range(cls, value: list[float]) -> list[float]:
        if any(not 0 < f <= 1 for f in value):
            raise ValueError(f"label fractions must lie in (0, 1], got {value}")
        return value

    @field_validator("fractions", "seeds", "backbones")
    @classmethod
    def _no_repeats(cls, value: list[Any]) -> list[Any]:
        repeated = sorted({str(v) for v in value if value.count(v) > 1})
        if repeated:
            raise ValueError(f"listed more than once: {', '.join(repeated)}")
        return value

    @model_validator(mode="after")
    def _references_exist(self) -> Suite:
        steps = {p.name for p in self.pretrain}
        for index, step in enumerate(self.pretrain):
            if step.dataset not in self.datasets:
                raise ValueError(f"pretrain {step.name!r} uses unknown dataset {step.dataset!r}")
            earlier = {p.name for p in self.pretrain[:index]}
            for reference in step_references(step):
                if pretrain_step_name(reference) not in earlier:
                    raise ValueError(
                        f"pretrain {step.name!r} uses {reference!r}, not an earlier pretrain step"
                    )
        pretrained_on = {p.dataset for p in self.pretrain}
        for name, dataset in self.datasets.items():
            if not dataset.targets and name not in pretrained_on:
                raise ValueError(f"dataset {name!r} has no targets and no pretrain step uses it")
        if not any(dataset.targets for dataset in self.datasets.values()):
            raise ValueError("no dataset has targets: the suite would have no cells")
        for spec in self.backbones:
            step_name = pretrain_step_name(spec)
            if step_name is not None and step_name not in steps:
                raise ValueError(
                    f"backbone {spec!r} names no pretrain step (have: {sorted(steps)})"
                )
        for protocol in self.protocols:
            unknown = set(protocol.backbones or []) - set(self.backbones)
            if unknown:
                raise ValueError(
                    f"protocol {protocol.name!r} lists backbones not in the suite: "
                    f"{sorted(unknown)}"
                )
            written = {t.column for d in self.datasets.values() for t in d.targets}
            missing = set(protocol.targets or []) - written
            if missing:
                raise ValueError(
                    f"protocol {protocol.name!r} lists targets no dataset has: {sorted(missing)}"
                )
        return self

    def pretrain_step(self, name: str) -> PretrainSpec:
        """The pretraining step called `name`."""
        return next(p for p in self.pretrain if p.name == name)

    def protocol_settings(self, protocol: ProtocolSpec) -> dict[str, Any]:
        """The suite's shared settings overlaid by the protocol's own, namespaces merged."""
        from astrobench.bench.suite_settings import merged_settings

        return merged_settings(self.settings, protocol)

    def protocol_labels(self) -> list[str]:
        """The report label of each protocol entry, in order."""
        from astrobench.bench.suite_settings import protocol_labels

        return protocol_labels(self)


def pretrain_step_name(backbone: str) -> str | None:
    """The pretraining step behind `pretrained:<name>[?modality=...]` or `random:pretrained:<name>`,
    else None."""
    spec = backbone.removeprefix(RANDOM_PREFIX).split("?", 1)[0]
    return spec[len(PRETRAINED_PREFIX) :] if spec.startswith(PRETRAINED_PREFIX) else None


def step_references(step: PretrainSpec) -> list[str]:
    """The `pretrained:<name>` values of a step's settings (e.g. CLIP's towers), in order."""
    return [v for v in step.settings.values() if isinstance(v, str) and pretrain_step_name(v)]


@dataclass(frozen=True)
class Cell:
    """One result row to be: a dataset target, a backbone, a protocol, a label fraction, a seed."""

    suite: str
    dataset: str
    target: str
    backbone: str
    protocol: str
    fraction: float
    seed: int
    label: str = ""  # the protocol's label in the report ("" : its name)
    task_kind: str | None = None
    task_options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    settings: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    config: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    config_hash: str = ""

    @property
    def run_id(self) -> str:
        """Short, file-name-safe id of the cell (names its predictions file)."""
        return self.config_hash[:20]


def load_suite(path: str | Path, overrides: list[str] | None = None) -> Suite:
    """Read and validate a suite YAML file; a bad file raises ConfigError naming the field.

    `overrides` are `KEY=VALUE` changes applied before validation (bench/suite_overrides.py).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"suite file {path} does not exist", "pass the path of a suite YAML file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"suite file {path} is not readable UTF-8 text ({error})") from error
    raw = load_yaml(text, source=f"suite file {path}")
    if overrides:
        from astrobench.bench.suite_overrides import apply_overrides

        if not isinstance(raw, dict):
            raise ConfigError(f"suite file {path} must be a mapping at top level")
        raw = apply_overrides(raw, overrides)
    return parse_suite(raw, source=str(path))


def parse_suite(raw: Any, source: str = "suite") -> Suite:
    """Validate a suite given as a dict; errors become one ConfigError line."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source} must be a mapping at top level")
    try:
        suite = Suite.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise ConfigError(
            f"{source}: {where}: {first['msg']}",
            f"{error.error_count()} problem(s) in total; see configs/ for valid suites",
        ) from error
    from astrobench.bench.suite_settings import check_suite_settings

    check_suite_settings(suite, source)
    return suite


def config_hash(config: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a resolved cell configuration."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def dataset_identity(suite: Suite, name: str) -> dict[str, Any]:
    """What identifies a dataset's content: its synth spec, or the sha256 of its file's bytes.

    A file rewritten in place (same path, even the same size) gets a new identity, so results of
    the old content are never reused for the new one.
    """
    spec = suite.datasets[name]
    if spec.synth is not None:
        dump = spec.synth.model_dump()
        if dump["votes"] is None:  # so earlier synthetic datasets keep their identity
            del dump["votes"]
        return {"synth": dump}
    assert spec.path is not None
    digest = content_sha256(spec.path) if spec.path.is_file() else None
    return {"path": str(spec.path), "sha256": digest}


def backbone_identity(suite: Suite, backbone: str) -> dict[str, Any]:
    """A backbone spec, or for `pretrained:<name>` the full pretraining recipe that makes it."""
    name = pretrain_step_name(backbone)
    if name is None:
        return {"spec": backbone}
    step = suite.pretrain_step(name)
    recipe = {**step.model_dump(), "data": dataset_identity(suite, step.dataset)}
    # A step built on other steps (CLIP on its towers) is identified by their recipes too.
    recipe["uses"] = {ref: backbone_identity(suite, ref) for ref in step_references(step)}
    return {"spec": backbone, "pretrain": recipe}


def expand_grid(suite: Suite) -> list[Cell]:
    """Every cell, ordered by dataset, backbone, then target, so embeddings are reused."""
    cells = []
    labels = suite.protocol_labels()
    for dataset, spec in suite.datasets.items():
        for backbone in suite.backbones:
            for target in spec.targets:
                for protocol, label in zip(suite.protocols, labels, strict=True):
                    if protocol.backbones is not None and backbone not in protocol.backbones:
                        continue
                    if protocol.targets is not None and target.column not in protocol.targets:
                        continue
                    for fraction in suite.fractions:
                        for seed in suite.seeds:
                            where = (dataset, target, backbone, protocol, label)
                            cells.append(_cell(suite, where, fraction, seed))
    # A protocol listed twice with the same settings is the same cell: run (and store) it once,
    # never as two concurrent runs sharing one work folder.
    unique = {cell.config_hash: cell for cell in reversed(cells)}
    return [cell for cell in cells if unique.get(cell.config_hash) is cell]


def _cell(
    suite: Suite,
    where: tuple[str, TargetSpec, str, ProtocolSpec, str],
    fraction: float,
    seed: int,
) -> Cell:
    dataset, target, backbone, protocol, label = where
    settings = suite.protocol_settings(protocol)
    task_options = target.task_options()
    config = {
        "suite": suite.name,
        "dataset": {"name": dataset, **dataset_identity(suite, dataset)},
        "target": target.column,
        "backbone": backbone_identity(suite, backbone),
        "protocol": {"name": protocol.name, "settings": settings},
        "fraction": float(fraction),
        "seed": int(seed),
    }
    if target.task is not None or task_options:  # absent otherwise: earlier hashes stay valid
        config["task"] = {"kind": target.task, **task_options}
    return Cell(
        suite=suite.name,
        dataset=dataset,
        target=target.column,
        backbone=backbone,
        protocol=protocol.name,
        fraction=float(fraction),
        seed=int(seed),
        label=label,
        task_kind=target.task,
        task_options=task_options,
        settings=settings,
        config=config,
        config_hash=config_hash(config),
    )
