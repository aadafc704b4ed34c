"""A CLIP run as retrieval cells: the untrained-heads baseline (`epochs: 0`), the `retrieval`
protocol on the exported pair (recall recomputed from the stored embeddings), and spectrum
encoders trained end to end by the training protocols on the same splits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.splits import split_indices
from astrobench.errors import ConfigError
from astrobench.models.aligned.checkpoint import load_aligned
from astrobench.models.aligned.head import CrossAttentionHead, HeadConfig
from astrobench.pretrain.clip import pretrain_clip
from astrobench.protocols.base import ProtocolRequest
from astrobench.registry import PROTOCOLS
from astrobench.tasks.predictions import Predictions
from astrobench.tasks.resolve import resolve_task

CLIP = {"image": "vit_tiny_p4", "spectrum": "specformer_tiny", "batch_size": 16, "embed_dim": 32}


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory, pair_writer: Callable[..., Path]) -> Path:
    return pair_writer(tmp_path_factory.mktemp("data") / "pairs.h5", 90)


@pytest.fixture(scope="module")
def runs(pairs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("clip")
    pretrain_clip(pairs, root / "aligned", epochs=3, seed=4, **CLIP)  # type: ignore[arg-type]
    pretrain_clip(pairs, root / "random", epochs=0, seed=4, **CLIP)  # type: ignore[arg-type]
    return {"aligned": root / "aligned", "random": root / "random"}


def _head_state(path: Path, modality: str) -> dict[str, torch.Tensor]:
    encoder = load_aligned(path, modality)
    return {k: v.clone() for k, v in encoder.head.state_dict().items()}


def test_epochs_zero_exports_the_heads_a_trained_run_starts_from(runs: dict[str, Path]) -> None:
    random_image = _head_state(runs["random"], "image")
    trained_image = _head_state(runs["aligned"], "image")
    torch.manual_seed(4)  # the run's seed, then the heads in the run's order
    token_dim = int(random_image["norm_tokens.weight"].shape[0])
    fresh = CrossAttentionHead(HeadConfig(token_dim, 32, 4, False, 0.0, 1.0))
    for name, value in fresh.state_dict().items():
        assert torch.equal(value, random_image[name]), name  # never trained
    moved = [n for n in trained_image if not torch.equal(trained_image[n], random_image[n])]
    assert len(moved) > len(trained_image) // 2  # the aligned run did train them
    towers = [load_aligned(runs[r], "spectrum").tower.state_dict() for r in ("aligned", "random")]
    assert all(torch.equal(towers[0][n], towers[1][n]) for n in towers[0])  # same towers


def _retrieval(pairs: Path, backbone: str) -> tuple[object, object]:
    with CutoutFile(pairs) as cutouts:
        task = resolve_task(cutouts, "redshift", "retrieval")
    return task, PROTOCOLS.get("retrieval")(ProtocolRequest(backbone, pairs, task))


def test_retrieval_rows_recompute_from_the_stored_embeddings(
    pairs: Path, runs: dict[str, Path], tmp_path: Path
) -> None:
    task, result = _retrieval(pairs, f"ckpt:{runs['aligned']}")
    saved = Predictions.load(result.save_predictions(tmp_path / "p.npz", task))  # type: ignore[attr-defined]
    with CutoutFile(pairs) as cutouts:
        test = split_indices(cutouts, seed=0)["test"]
    assert np.array_equal(np.sort(saved.indices), np.sort(test))  # the test split, nothing else
    image = saved.extra["image"] / np.linalg.norm(saved.extra["image"], axis=1, keepdims=True)
    spectrum = saved.extra["spectrum"]
    spectrum = spectrum / np.linalg.norm(spectrum, axis=1, keepdims=True)
    sims = image @ spectrum.T  # [n, n]: pair i is column i
    ranks = 1 + (sims > np.diag(sims)[:, None] + 1e-6).sum(axis=1)
    metrics = result.metrics  # type: ignore[attr-defined]
    for k in (1, 5, 10):
        assert metrics[f"image_to_spectrum/recall@{k}"] == pytest.approx(np.mean(ranks <= k))
        assert metrics[f"chance/recall@{k}"] == pytest.approx(min(1.0, k / len(test)))
    assert metrics["image_to_spectrum/median_rank"] == pytest.approx(np.median(ranks))
    assert task.score(saved) == pytest.approx(metrics)  # type: ignore[attr-defined]


def test_aligned_heads_beat_random_heads_on_the_same_towers(
    pairs: Path, runs: dict[str, Path]
) -> None:
    _, aligned = _retrieval(pairs, f"ckpt:{runs['aligned']}")
    _, random = _retrieval(pairs, f"ckpt:{runs['random']}")
    a, r = aligned.metrics, random.metrics  # type: ignore[attr-defined]
    assert a["image_to_spectrum/median_rank"] < r["image_to_spectrum/median_rank"]
    assert a["chance/recall@5"] == r["chance/recall@5"]


def test_retrieval_refuses_a_single_encoder(pairs: Path, runs: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match="retrieval needs an image and a spectrum encoder"):
        _retrieval(pairs, f"ckpt:{runs['aligned']}?modality=image")


def test_retrieval_refuses_class_targets(pairs: Path, runs: dict[str, Path]) -> None:
    with CutoutFile(pairs) as cutouts:
        task = resolve_task(cutouts, "label")
    with pytest.raises(ConfigError, match="cannot score classification targets"):
        PROTOCOLS.get("retrieval")(ProtocolRequest(f"ckpt:{runs['aligned']}", pairs, task))


@pytest.mark.parametrize("protocol", ["scratch", "finetune"])
def test_training_protocols_train_spectrum_encoders_on_the_shared_split(
    pairs: Path,
    runs: dict[str, Path],
    tmp_path: Path,
    protocol: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from astrobench.protocols import trained

    seen: list[np.ndarray] = []
    original = trained.CutoutDataset

    def recording(path: Path, indices: np.ndarray, **options: object) -> object:
        seen.append(np.asarray(indices))
        assert options.get("with_spectra") is True  # the spectrum encoder's batches
        return original(path, indices, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(trained, "CutoutDataset", recording)
    spec = f"ckpt:{runs['aligned']}?modality=spectrum"
    with CutoutFile(pairs) as cutouts:
        task = resolve_task(cutouts, "redshift")
        splits = split_indices(cutouts, seed=0)
    settings = {"train": {"epochs": 2, "batch_size": 16, "lr": 1e-3}}
    request = ProtocolRequest(spec, pairs, task, settings=settings, work_dir=tmp_path / "w")
    result = PROTOCOLS.get(protocol)(request)
    assert np.array_equal(np.sort(result.predictions.indices), np.sort(splits["test"]))
    assert result.n_train == len(splits["train"])
    (trained_on,) = seen
    assert np.array_equal(np.sort(trained_on), np.sort(splits["train"]))  # no test object
    assert result.extra["modality"] == "spectrum"
    tower = load_aligned(runs["aligned"], "spectrum")
    assert result.params_total == sum(p.numel() for p in tower.parameters()) + 32 + 1  # + head
    assert np.all(np.isfinite(result.predictions.y_pred))
