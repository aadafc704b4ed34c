"""`retrieval`: embed the test split with both encoders of an image-spectrum pair and store the
embeddings as the cell's predictions (seed 003 §6.1).

The backbone is a pair: `ckpt:DIR` of a CLIP run (DIR/image and DIR/spectrum), in a suite
`pretrained:<clip step>` without `?modality=`. Nothing is trained and nothing is chosen on the
validation split: the test objects (those with a finite target) are embedded by each tower
(`models/aligned/embed.py`), and the task scores the pair from the stored embeddings
(`tasks/retrieval.py`: cross-modal recall@k, median rank, chance, neighbour agreement).
`y_pred` is each object's image-to-spectrum neighbour mean of the target columns, so a value
task (regression, photo-z) also scores the pair as a zero-shot estimator.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.splits import split_indices
from astrobench.errors import ConfigError, InsufficientDataError
from astrobench.metrics.retrieval import neighbour_means
from astrobench.models.aligned.embed import embed_modalities
from astrobench.models.backbone import Backbone
from astrobench.models.encoder_provenance import check_encoder_split
from astrobench.models.encoder_resolve import MODALITIES, resolve_encoders
from astrobench.protocols.base import ProtocolRequest, ProtocolResult
from astrobench.protocols.settings import ProtocolSettings, validate_settings
from astrobench.registry import register_protocol
from astrobench.tasks.base import Task, ValueOutput
from astrobench.tasks.predictions import Predictions
from astrobench.tasks.retrieval import NEIGHBOURS


class RetrievalSettings(ProtocolSettings):
    """The fixed split whose test objects are searched (`split_seed`, `split_scheme`).

    Each tower is fed as its checkpoint records (bands, input preparation, wavelength grid), so
    the `embed` settings shared with the frozen protocols do not apply here.
    """


def labelled_test_objects(path: Path, task: Task, settings: RetrievalSettings) -> np.ndarray:
    """Test-split objects with a usable target (file order), at least two of them."""
    with CutoutFile(path) as cutouts:
        targets = task.read_targets(cutouts)
        test = split_indices(cutouts, seed=settings.split_seed, scheme=settings.split_scheme)[
            "test"
        ]
    test = np.sort(test[task.labelled_mask(targets)[test]])
    if test.size < 2:
        raise InsufficientDataError(
            f"{path.name} has {test.size} labelled test objects; retrieval needs two or more",
            "use a larger file",
        )
    return test


def pair_encoders(backbone: str, path: Path, settings: RetrievalSettings) -> dict[str, Backbone]:
    """The image and spectrum encoders `backbone` names, checked against the file's split."""
    encoders = resolve_encoders(backbone, path)
    if set(encoders) != set(MODALITIES):
        raise ConfigError(
            f"{backbone} names one {', '.join(encoders)} encoder; retrieval needs an image and "
            "a spectrum encoder",
            "give a CLIP run folder, ckpt:DIR (in a suite: pretrained:<clip step> without "
            "?modality=)",
        )
    for encoder in encoders.values():
        spec = encoder.meta.spec
        check_encoder_split(spec, path, settings.split_seed, None, settings.split_scheme)
    return encoders


class RetrievalProtocol:
    """The registered `retrieval` protocol (see the module docstring)."""

    name = "retrieval"
    settings_model = RetrievalSettings

    def __call__(self, request: ProtocolRequest) -> ProtocolResult:
        settings = validate_settings(RetrievalSettings, request.settings, self.name)
        task, path = request.task, Path(request.data)
        if not isinstance(task.output, ValueOutput):
            raise ConfigError(
                f"the retrieval protocol cannot score {task.kind} targets",
                "give a value target, e.g. {column: redshift, task: retrieval}",
            )
        encoders = pair_encoders(request.backbone, path, settings)
        test = labelled_test_objects(path, task, settings)
        with CutoutFile(path) as cutouts:
            truth = task.read_targets(cutouts)[test]
        started = time.perf_counter()
        z = embed_modalities(encoders, path, test)  # {modality: [n, E]}
        seconds = time.perf_counter() - started
        values = np.asarray(truth, dtype=np.float64)
        y_pred = neighbour_means(z["image"], z["spectrum"], values, NEIGHBOURS, test, test)
        predictions = Predictions(truth, y_pred, indices=test, extra=dict(z))
        params = sum(p.numel() for e in encoders.values() for p in e.parameters())
        return ProtocolResult(
            protocol=self.name,
            target=task.target,
            fraction=request.fraction,
            seed=request.seed,
            metrics=task.score(predictions),
            hyperparameters={"neighbours": NEIGHBOURS, "similarity": "cosine"},
            n_train=0,
            n_val=0,
            n_test=int(test.size),
            predictions=predictions,
            params_total=int(params),
            eval_seconds=seconds,
            throughput_per_second=2 * test.size / max(seconds, 1e-9),
            extra={"embed_dim": {m: int(v.shape[1]) for m, v in z.items()}},
        )


register_protocol("retrieval")(RetrievalProtocol())
