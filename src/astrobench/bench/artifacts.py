"""What a suite needs before and after its cells: data files, pretrained encoders, embedding maps.

Each artifact lives under a name that includes the hash of the recipe that makes it, and is
written atomically by its producer, so a re-run reuses it and a changed recipe makes a new one.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from astrobench.bench.suite import (
    PRETRAINED_PREFIX,
    RANDOM_PREFIX,
    PretrainSpec,
    Suite,
    backbone_identity,
    config_hash,
    dataset_identity,
    pretrain_step_name,
)
from astrobench.errors import AstrobenchError, ConfigError, DataFormatError
from astrobench.models.encoder_resolve import names_pair

Say = Callable[[str], None]
ENCODER_FILE = "encoder.safetensors"
MAP_MAX_POINTS = 2000
MAP_MIN_PER_CLASS = 100
MAP_EMBED_OPTIONS = ("bands", "adapt")  # suite settings that change how a map's data is fed
MAP_COLUMNS = ("redshift", "log_ssfr")  # continuous colourings kept beside the class


def prepare_datasets(suite: Suite, out: Path, *, say: Say, progress: bool) -> dict[str, Path]:
    """Path of every dataset of the suite; synthetic surveys are generated once into out/data."""
    paths = {}
    for name, spec in suite.datasets.items():
        if spec.path is not None:
            if not spec.path.is_file():
                raise DataFormatError(
                    f"dataset {name!r}: file {spec.path} does not exist",
                    "fix the path in the suite, or use 'synth:' to generate data",
                )
            paths[name] = spec.path
            continue
        assert spec.synth is not None
        target = out / "data" / f"{name}-{config_hash(dataset_identity(suite, name))[:12]}.h5"
        if not target.resolve().is_relative_to(out.resolve()):
            raise ConfigError(f"dataset {name!r} would be written outside {out}")
        if target.is_file():
            say(f"dataset {name}: reusing {target}")
        else:
            from astrobench.data.synth import synthesize

            synth = spec.synth
            say(f"dataset {name}: synthesising {synth.n} {synth.preset} objects -> {target}")
            target.parent.mkdir(parents=True, exist_ok=True)
            synthesize(
                synth.preset,
                synth.n,
                synth.seed,
                target,
                size=synth.size,
                spectra=synth.spectra,
                progress=progress,
                votes=synth.votes,
            )
        paths[name] = target
    return paths


def check_targets(suite: Suite, data_paths: dict[str, Path]) -> None:
    """Every target of every dataset resolves to a task (its columns exist, its kind fits, its
    headline is a metric of it), before pretraining or any cell runs."""
    from astrobench.data.cutout_file import open_cutouts
    from astrobench.tasks.resolve import resolve_task

    for name, spec in suite.datasets.items():
        if not spec.targets:
            continue
        with open_cutouts(data_paths[name]) as cutouts:
            for target in spec.targets:
                try:
                    resolve_task(cutouts, target.column, target.task, target.task_options())
                except AstrobenchError as error:
                    raise type(error)(f"dataset {name!r}: {error.message}", error.hint) from None


def resolve_backbones(
    suite: Suite, out: Path, data_paths: dict[str, Path], *, say: Say, progress: bool
) -> dict[str, str]:
    """Backbone name -> spec for protocols; `pretrained:<name>` runs (or reuses) its step."""
    specs = {}
    for backbone in suite.backbones:
        specs[backbone] = (
            pretrained_spec(suite, backbone, out, data_paths, say=say, progress=progress)
            if pretrain_step_name(backbone)
            else backbone
        )
    return specs


def pretrained_spec(
    suite: Suite, backbone: str, out: Path, data_paths: dict[str, Path], *, say: Say, progress: bool
) -> str:
    """`ckpt:` spec of `pretrained:<name>[?modality=m]`, running (or reusing) its step and the
    steps it is built on; `?modality=m` picks one encoder of a step that writes several."""
    name = pretrain_step_name(backbone)
    assert name is not None
    step = suite.pretrain_step(name)
    step_dir = pretrain_dir(suite, out, backbone)
    modality = backbone.partition("?modality=")[2]
    encoder = step_dir / modality / ENCODER_FILE if modality else step_dir / ENCODER_FILE
    if not modality and _exports_several(step_dir):  # a CLIP step: the pair, `ckpt:DIR`
        say(f"pretrain {step.name}: reusing {step_dir}")
        return f"ckpt:{step_dir}"
    if encoder.is_file():
        say(f"pretrain {step.name}: reusing {encoder}")
    else:
        settings = {
            key: pretrained_spec(suite, value, out, data_paths, say=say, progress=progress)
            if isinstance(value, str) and pretrain_step_name(value)
            else value
            for key, value in step.settings.items()
        }
        say(f"pretrain {step.name}: {step.method} on {step.dataset} -> {step_dir}")
        resolved = step.model_copy(update={"settings": settings})
        run_pretraining(resolved, data_paths[step.dataset], step_dir, progress=progress)
        if not modality and _exports_several(step_dir):
            return f"ckpt:{step_dir}"
        if not encoder.is_file():
            raise ConfigError(
                f"pretrain {step.name}: {step.method} wrote no {encoder.relative_to(step_dir)} "
                f"in {step_dir}",
                "use a pretraining method that exports an encoder (CLIP: add ?modality=image "
                "or ?modality=spectrum)",
            )
    random_init = "?init=random" if backbone.startswith(RANDOM_PREFIX) else ""
    return f"ckpt:{encoder}{random_init}"


def _exports_several(step_dir: Path) -> bool:
    """Whether a step wrote one encoder per modality (a CLIP run) and none at its top."""
    from astrobench.models.encoder_resolve import MODALITIES

    whole = all((step_dir / m / ENCODER_FILE).is_file() for m in MODALITIES)
    return whole and not (step_dir / ENCODER_FILE).is_file()


def pretrain_dir(suite: Suite, out: Path, backbone: str) -> Path:
    """Folder of the pretraining step behind a `pretrained:<name>` backbone."""
    name = pretrain_step_name(backbone)
    identity = backbone_identity(suite, f"{PRETRAINED_PREFIX}{name}")
    return out / "pretrain" / f"{name}-{config_hash(identity)[:12]}"


def run_pretraining(step: PretrainSpec, data: Path, step_dir: Path, *, progress: bool) -> None:
    """Run a registered pretrainer: `PRETRAINERS.get(method)(data=..., out=..., **settings)`."""
    from astrobench.registry import PRETRAINERS

    pretrainer = PRETRAINERS.get(step.method)
    accepted = inspect.signature(pretrainer).parameters
    unknown = sorted(set(step.settings) - set(accepted) - {"progress", "resume"})
    if unknown:
        known = ", ".join(p for p in accepted if p not in ("data", "out"))
        raise ConfigError(
            f"pretrain {step.name}: {step.method} has no setting {unknown}", f"known: {known}"
        )
    options = dict(step.settings)
    if "progress" in accepted:
        options["progress"] = progress
    if "resume" in accepted:  # a killed pretraining continues from its last checkpoint
        options["resume"] = (step_dir / "checkpoints").is_dir()
    pretrainer(data=data, out=step_dir, **options)


def write_embedding_maps(
    suite: Suite,
    out: Path,
    data_paths: dict[str, Path],
    backbone_specs: dict[str, str],
    *,
    say: Say,
) -> list[Path]:
    """A 2-D map (UMAP when installed, else PCA) of each backbone's embeddings of each dataset.

    The suite's `embed: {bands, adapt}` settings feed the backbones as the protocols do.
    """
    written = []
    embed = dict(suite.settings.get("embed") or {})
    options = {k: embed[k] for k in MAP_EMBED_OPTIONS if embed.get(k)}
    evaluated = {name for name, spec in suite.datasets.items() if spec.targets}
    for dataset, data in data_paths.items():
        if dataset not in evaluated:  # only pretrained on: no protocol embeds it
            continue
        for backbone, spec in backbone_specs.items():
            if names_pair(spec):  # an encoder pair: its towers are mapped as backbones of their own
                continue
            identity = {"b": spec, "d": str(data), **({"o": options} if options else {})}
            path = out / "maps" / f"{dataset}__{config_hash(identity)[:12]}.npz"
            if not path.is_file():
                say(f"embedding map: {backbone} on {dataset}")
                _write_map(path, dataset, backbone, spec, data, out / "cache", options)
            written.append(path)
    return written


def _write_map(
    path: Path,
    dataset: str,
    backbone: str,
    spec: str,
    data: Path,
    cache: Path,
    options: dict[str, Any],
) -> None:
    from astrobench.atomic import atomic_path
    from astrobench.data.cutout_file import open_cutouts
    from astrobench.models.embeddings import embed_file
    from astrobench.models.input_preparation import requested_bands

    bands = requested_bands(options.get("bands"))
    features = embed_file(
        spec, data, cache_dir=cache, progress=False, bands=bands, adapt=options.get("adapt")
    ).features  # [N, D]
    with open_cutouts(data) as cutouts:
        labels = cutouts.column("label") if cutouts.has_column("label") else None
        chosen = map_sample(len(features), labels)
        colours = labels[chosen] if labels is not None else np.zeros(len(chosen))
        names = cutouts.label_names or []
        columns = {
            f"column_{c}": np.asarray(cutouts.column(c), np.float64)[chosen]
            for c in MAP_COLUMNS
            if cutouts.has_column(c)
        }
    xy, method = project_2d(features[chosen])
    meta: dict[str, Any] = {
        "dataset": dataset,
        "backbone": backbone,
        "method": method,
        "names": names,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(
            handle,
            xy=xy,
            colour=colours,
            indices=chosen,
            meta=np.array(json.dumps(meta)),
            **columns,
        )


def map_sample(n: int, labels: np.ndarray | None) -> np.ndarray:
    """Sorted objects of a map: class-balanced when the file has labels, else a random
    MAP_MAX_POINTS; seeded, so every backbone's map shows the same objects."""
    from astrobench.report.property_maps import balanced_sample

    rng = np.random.default_rng(0)
    if labels is None:
        return np.sort(rng.permutation(n)[:MAP_MAX_POINTS])
    known = np.flatnonzero(np.asarray(labels) >= 0)  # unlabelled objects (-1) are left out
    counts = np.unique(labels[known], return_counts=True)[1]
    if counts.size == 0:
        return np.sort(rng.permutation(n)[:MAP_MAX_POINTS])
    # As many of every class as the rarest has (at least MAP_MIN_PER_CLASS, so one rare class
    # does not empty the map), at most MAP_MAX_POINTS in all.
    per_class = min(max(int(counts.min()), MAP_MIN_PER_CLASS), MAP_MAX_POINTS // counts.size)
    return np.sort(known[balanced_sample(labels[known], max(per_class, 1), seed=0)])


def project_2d(features: np.ndarray) -> tuple[np.ndarray, str]:
    """[N, D] -> [N, 2]: UMAP of the first 10 principal components (as seed 002) or plain PCA."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    scaled = StandardScaler().fit_transform(np.nan_to_num(features.astype(np.float64)))
    n_components = min(10, scaled.shape[1], scaled.shape[0])
    reduced = PCA(n_components=n_components, random_state=0).fit_transform(scaled)
    try:
        import umap
    except ImportError:
        return reduced[:, :2].astype(np.float32), "PCA"
    xy = umap.UMAP(n_components=2, random_state=0, n_jobs=1).fit_transform(reduced)
    return np.asarray(xy, dtype=np.float32), "UMAP of 10 PCs"
