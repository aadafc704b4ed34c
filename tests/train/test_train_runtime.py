"""Training runtime units: schedules, layer decay, data order, non-finite losses, checkpoints,
best-on-validation selection."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from train_tiny import TinyImages, TinyNet, run

from astrobench.errors import CheckpointError, ConfigError, TrainingDivergedError
from astrobench.train import TrainConfig
from astrobench.train.checkpoint import BEST, LAST, PREVIOUS, load_latest
from astrobench.train.data_order import EpochSampler, epoch_order
from astrobench.train.distributed import DistributedContext
from astrobench.train.layer_decay import layer_scales, param_groups
from astrobench.train.schedules import lr_factor_fn


def test_cosine_warms_up_then_decays_to_min_lr():
    factor = lr_factor_fn(TrainConfig(epochs=10, lr=1.0, warmup_epochs=2, min_lr=0.1), 10)
    assert factor(0) == pytest.approx(0.05) and factor(19) == pytest.approx(1.0)
    assert factor(20) == pytest.approx(1.0) and factor(99) == pytest.approx(0.1, abs=1e-3)
    assert factor(60) < factor(40)


def test_multistep_and_cyclic_schedules():
    step = lr_factor_fn(
        TrainConfig(epochs=300, lr=1.0, schedule="multistep", milestones=(160, 230)), 1
    )
    assert step(159) == 1.0 and step(160) == pytest.approx(0.1) and step(230) == pytest.approx(0.01)


def _astromae_lr(epoch: float, base: float, min_lr: float) -> float:
    """Seed 001's fine-tuning lr written out independently: restart every 10 epochs to
    base * 0.995**restart_epoch, half-cosine to min_lr within the cycle."""
    restart = (epoch // 10) * 10
    peak = base * 0.995**restart
    return min_lr + (peak - min_lr) * (1 + np.cos(np.pi * (epoch - restart) / 10)) / 2


@pytest.mark.parametrize("epoch", [0, 3, 9.5, 10, 17, 100, 355, 690, 699])
def test_cyclic_schedule_restarts_every_ten_epochs_under_a_whole_run_decay(epoch: float) -> None:
    steps_per_epoch = 4
    config = TrainConfig(epochs=700, lr=1e-4, min_lr=1e-6, schedule="cyclic")
    factor = lr_factor_fn(config, steps_per_epoch)
    step = round(epoch * steps_per_epoch)
    assert 1e-4 * factor(step) == pytest.approx(_astromae_lr(epoch, 1e-4, 1e-6), rel=1e-9)


def test_cyclic_peaks_decay_over_the_run_not_only_within_a_cycle() -> None:
    factor = lr_factor_fn(TrainConfig(epochs=700, lr=1.0, schedule="cyclic"), 1)
    assert factor(690) == pytest.approx(0.995**690)  # ~0.031: far below today's 0.956 floor
    assert factor(10) > factor(9) and factor(19) < factor(10)  # a restart, then annealing
    peaks = [factor(10 * k) for k in range(70)]
    assert all(np.diff(peaks) < 0)


def test_bad_config_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown precision 'fp8'"):
        TrainConfig(precision="fp8")  # type: ignore[arg-type]


def test_layer_decay_scales_and_no_decay_on_norms_and_biases():
    assert layer_scales(4, 0.5) == [0.125, 0.25, 0.5, 1.0]
    model = TinyNet()
    depth = [["conv.weight", "conv.bias"], ["norm.weight", "norm.bias"]]
    groups = param_groups(model, 0.05, depth, layer_decay=0.5)
    by_param = {id(p): g for g in groups for p in g["params"]}
    assert by_param[id(model.conv.weight)]["lr_scale"] == 0.5
    assert by_param[id(model.conv.weight)]["weight_decay"] == 0.05
    assert by_param[id(model.conv.bias)]["weight_decay"] == 0.0
    assert by_param[id(model.head.weight)]["lr_scale"] == 1.0


def test_data_order_is_a_pure_function_of_seed_and_epoch():
    a, _ = epoch_order(30, seed=1, epoch=2)
    b, _ = epoch_order(30, seed=1, epoch=2)
    c, _ = epoch_order(30, seed=1, epoch=3)
    assert torch.equal(a, b) and not torch.equal(a, c)
    shards = [list(EpochSampler(30, 1, 2, DistributedContext(r, 2))) for r in (0, 1)]
    assert sorted(i for s in shards for i, _ in s) == list(range(30))
    resumed = list(EpochSampler(30, 1, 2, DistributedContext(), start=8))
    assert resumed == list(EpochSampler(30, 1, 2, DistributedContext()))[8:]


def test_resume_skips_batches_without_loading_them(tmp_path):
    class Counting(TinyImages):
        loads = 0

        def __getitem__(self, i):
            Counting.loads += 1
            return super().__getitem__(i)

    from astrobench.train.data_order import epoch_loader

    list(epoch_loader(Counting(40), seed=0, epoch=0, batch_size=8, start_batch=3))
    assert Counting.loads == 16


def test_nan_loss_names_step_and_object_indices(tmp_path):
    with pytest.raises(
        TrainingDivergedError, match="training diverged: loss is nan at step"
    ) as error:
        run(tmp_path, nan_at=7, epochs=1)
    message = str(error.value)
    assert "step" in message and "7" in message.split("object indices")[1]


def test_skip_policy_skips_and_reports_bad_batches(tmp_path):
    _, history = run(tmp_path, nan_at=7, epochs=2, nonfinite_policy="skip", max_skipped_batches=5)
    assert len(history.skipped_batches) == 2  # once per epoch
    assert all(7 in s["indices"] for s in history.skipped_batches)
    assert math.isfinite(history.epochs[-1].train_loss)
    with pytest.raises(TrainingDivergedError, match="more than 1 batches skipped"):
        run(tmp_path / "b", nan_at=7, epochs=2, nonfinite_policy="skip", max_skipped_batches=1)


def test_damaged_newest_checkpoint_falls_back_with_warning(tmp_path):
    run(tmp_path, epochs=1)
    folder = tmp_path / "checkpoints"
    (folder / LAST).write_bytes(b"not a checkpoint")
    with pytest.warns(RuntimeWarning, match="resuming from previous.pt"):
        state, path = load_latest(folder)
    assert path.name == PREVIOUS and state["global_step"] >= 1
    (folder / PREVIOUS).write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"no readable checkpoint in .*last.pt.*previous.pt"):
        load_latest(folder)


def test_resume_with_other_settings_is_refused(tmp_path):
    run(tmp_path, epochs=1)
    with pytest.raises(CheckpointError, match=r"another run \(epochs, lr differ\)"):
        run(tmp_path, resume=True, epochs=2, lr=0.5)


def test_best_epoch_is_selected_on_validation_and_early_stopping(tmp_path):
    from train_tiny import classification_loss

    from astrobench.train import Trainer

    scores = iter([0.5, 0.9, 0.4, 0.3, 0.2])
    trainer = Trainer(TinyNet(), classification_loss, TinyImages(16),
                      TrainConfig(epochs=5, batch_size=8, device="cpu", early_stopping_patience=2,
                                  ema_decay=0.9),
                      tmp_path, evaluate_fn=lambda model: {"acc": next(scores)})  # fmt: skip
    history = trainer.fit()
    assert history.best_epoch == 1 and history.best_metric == 0.9
    assert history.stopped_early and len(history.epochs) == 4
    assert (tmp_path / "checkpoints" / BEST).exists() and trainer.load_best()


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_runs_on_cpu(tmp_path, precision):
    _, history = run(
        tmp_path, epochs=1, precision=precision, grad_accum_steps=2, clip_grad_norm=1.0
    )
    assert math.isfinite(history.epochs[0].train_loss)


def test_model_trains(tmp_path):
    _, history = run(tmp_path, epochs=3)
    assert history.epochs[-1].train_loss < history.epochs[0].train_loss


def test_resume_with_more_epochs_is_refused_because_the_schedule_would_change(tmp_path):
    """The cosine schedule spans `epochs`: resuming a 1-epoch run as a 2-epoch one would put the
    remaining steps on a different curve, matching neither run."""
    run(tmp_path, epochs=1)
    with pytest.raises(CheckpointError, match=r"another run \(epochs differ\)"):
        run(tmp_path, resume=True, epochs=2)


def test_a_fresh_run_never_loads_an_earlier_runs_best_checkpoint(tmp_path):
    """A killed cell started again without resume: the old best.pt must not stand in for this
    run's best (it is removed, with a warning)."""
    (tmp_path / "checkpoints").mkdir(parents=True)
    (tmp_path / "checkpoints" / "best.pt").write_bytes(b"an earlier run's weights")
    with pytest.warns(RuntimeWarning, match="removing 1 checkpoint"):
        trainer, _ = run(tmp_path, epochs=1)
    best = tmp_path / "checkpoints" / "best.pt"
    assert not best.exists() or best.read_bytes() != b"an earlier run's weights"
    assert trainer.load_best() is best.exists()


def test_skip_policy_works_under_fp16_mixed_precision(tmp_path):
    """A skipped batch leaves no gradients; fp16's GradScaler must not be asked to step on none."""
    settings = {"nan_at": 7, "epochs": 2, "nonfinite_policy": "skip", "max_skipped_batches": 5}
    _, fp32 = run(tmp_path / "fp32", **settings)
    _, fp16 = run(tmp_path / "fp16", precision="fp16", **settings)
    assert [s["indices"] for s in fp16.skipped_batches] == [
        s["indices"] for s in fp32.skipped_batches
    ]
    assert fp16.global_steps == fp32.global_steps
    assert math.isfinite(fp16.epochs[-1].train_loss)


def test_layer_scales_decay_from_the_top_group() -> None:
    assert layer_scales(1, 0.5) == [1.0]
    assert layer_scales(3, 0.1) == pytest.approx([0.01, 0.1, 1.0])


def test_param_groups_bucket_by_depth_and_decay() -> None:
    from torch import nn

    from astrobench.train.layer_decay import skips_weight_decay

    model = nn.Sequential()
    model.add_module("stem", nn.Linear(2, 2))
    model.add_module("block", nn.Linear(2, 2))
    model.add_module("head", nn.Linear(2, 3))
    model.stem.register_parameter("pos_embed", nn.Parameter(torch.zeros(1, 2, 2)))
    depth = [["stem.weight", "stem.bias", "stem.pos_embed"], ["block.weight", "block.bias"]]
    groups = param_groups(model, 0.1, depth, layer_decay=0.5, prefix="")
    summary = [(g["lr_scale"], g["weight_decay"], len(g["params"])) for g in groups]
    # sorted by (scale, decay): stem (0.5) without decay (bias, pos_embed), stem with decay,
    # then scale 1: block and head biases, block and head weights
    assert summary == [(0.5, 0.0, 2), (0.5, 0.1, 1), (1.0, 0.0, 2), (1.0, 0.1, 2)]
    assert skips_weight_decay("stem.pos_embed", model.stem.pos_embed)  # 3-D, but a token
    assert not skips_weight_decay("stem.weight", model.stem.weight)
    for name in ("cls_token", "dist_token", "reg_token", "mask_token", "position_embedding"):
        assert skips_weight_decay(f"x.{name}", nn.Parameter(torch.zeros(1, 1, 4)))
    # no layer decay: one scale for all; a prefix places the backbone inside the model
    flat = param_groups(model, 0.1, depth, layer_decay=1.0)
    assert {g["lr_scale"] for g in flat} == {1.0}
    wrapped = nn.Sequential()
    wrapped.add_module("backbone", model)
    prefixed = param_groups(wrapped, 0.1, depth, layer_decay=0.5, prefix="backbone.")
    assert [(g["lr_scale"], len(g["params"])) for g in prefixed][:2] == [(0.5, 2), (0.5, 1)]
    # without depth groups every parameter has scale 1
    assert {g["lr_scale"] for g in param_groups(model, 0.1)} == {1.0}


def test_set_trainable_trains_exactly_the_named_parameters() -> None:
    from torch import nn

    from astrobench.train.layer_decay import set_trainable, trainable_names

    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    set_trainable(model, ["1.weight"])
    assert trainable_names(model) == ["1.weight"]
    set_trainable(model, [])
    assert trainable_names(model) == []
    set_trainable(model, None)
    assert trainable_names(model) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_param_groups_without_layer_decay_keep_every_lr_and_any_decay_is_applied() -> None:
    model = TinyNet()
    depth = [["conv.weight", "conv.bias"], ["norm.weight", "norm.bias"]]
    assert {g["lr_scale"] for g in param_groups(model, 0.05, depth)} == {1.0}  # default: none
    growing = param_groups(model, 0.05, depth, layer_decay=2.0)  # any factor but 1 is applied
    by_param = {id(p): g["lr_scale"] for g in growing for p in g["params"]}
    assert by_param[id(model.conv.weight)] == 2.0 and by_param[id(model.norm.weight)] == 1.0
