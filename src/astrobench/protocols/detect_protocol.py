"""The `detect` protocol: a bench cell that trains a detector (protocols.detect) and answers with
ragged predictions, so detection sits in suites beside the other protocols, with cost columns.

    protocols:
      - name: detect
        label: frozen
        settings: {mode: frozen, epochs: 4}
      - name: detect
        label: finetune
        settings: {mode: finetune, epochs: 4, layer_decay: 0.75}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from astrobench.errors import ConfigError
from astrobench.protocols.base import ProtocolRequest, ProtocolResult
from astrobench.protocols.detect import DetectionResult, DetectSettings, detect
from astrobench.protocols.settings import validate_settings
from astrobench.registry import register_protocol
from astrobench.tasks.predictions import Predictions, Ragged

THUMBNAIL_MIN_SCORE = 0.5


class DetectProtocol:
    """Registered as `detect`; settings: DetectSettings (mode, epochs, lr, layer_decay, ...)."""

    name = "detect"
    settings_model = DetectSettings

    def __call__(self, request: ProtocolRequest) -> ProtocolResult:
        settings = validate_settings(self.settings_model, request.settings, self.name)
        if request.fraction != 1.0 or request.n_per_class is not None:
            raise ConfigError(
                "the detect protocol trains on every training image (fraction 1.0)",
                "set fractions: [1.0] for detection cells",
            )
        settings = settings.model_copy(update={"seed": request.seed})
        work = Path(request.work_dir) if request.work_dir else Path("detect-run")
        result = detect(request.backbone, request.data, settings.mode, work, settings)
        return _protocol_result(request, settings, result)


def _protocol_result(
    request: ProtocolRequest, settings: DetectSettings, result: DetectionResult
) -> ProtocolResult:
    info = result.info
    truth, predicted = result.truth, result.predictions
    assert predicted.scores is not None
    confident = (
        np.add.reduceat(
            np.r_[predicted.scores >= THUMBNAIL_MIN_SCORE, False], predicted.offsets[:-1]
        )[: truth.n_images]
        if truth.n_images
        else np.zeros(0)
    )
    predictions = Predictions(
        y_true=np.diff(truth.offsets).astype(np.float64),
        y_pred=np.asarray(confident, dtype=np.float64),
        indices=result.test_indices,
        ragged={
            "boxes": Ragged(predicted.boxes, predicted.offsets),
            "labels": Ragged(predicted.labels, predicted.offsets),
            "scores": Ragged(predicted.scores, predicted.offsets),
            "true_boxes": Ragged(truth.boxes, truth.offsets),
            "true_labels": Ragged(truth.labels, truth.offsets),
        },
        extra={"thumbnails": result.thumbnails},
    )
    hyperparameters: dict[str, Any] = settings.model_dump(mode="json")
    return ProtocolResult(
        protocol="detect",
        target=request.task.target,
        fraction=request.fraction,
        seed=request.seed,
        metrics=result.metrics,
        hyperparameters=hyperparameters,
        n_train=int(info["n_train"]),
        n_val=int(info["n_val"]),
        n_test=int(info["n_test"]),
        predictions=predictions,
        params_total=int(info["params_total"]),
        params_trainable=int(info["params_trainable"]),
        train_seconds=float(info["train_seconds"]),
        eval_seconds=float(info["eval_seconds"]),
        throughput_per_second=float(info["inference_images_per_second"]),
        peak_memory_bytes=int(info["peak_memory_bytes"]),
        extra={k: info[k] for k in ("neck", "mode", "best_epoch", "train_cpu_seconds",
                                    "train_images_per_second", "input_asinh_softening")},
    )  # fmt: skip


register_protocol("detect")(DetectProtocol())
