"""Trainer: the setup around the loop — device, precision, DDP, optimizer, schedule, EMA,
checkpoints, exact resume, evaluation, best-on-validation selection and early stopping.

    trainer = Trainer(model, loss_fn, train_dataset, TrainConfig(epochs=10), out_dir)
    history = trainer.fit(resume=True)

`loss_fn(model, batch) -> scalar tensor`; batches are dicts collated from the dataset's sample
dicts (with "index" holding object indices). `evaluate_fn(model) -> dict[str, float]` is called
at the end of every epoch (on the EMA weights when EMA is on) to pick the best epoch.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn
from torch.utils.data import Dataset

from astrobench.atomic import write_json_atomic
from astrobench.errors import CheckpointError, InsufficientDataError
from astrobench.train import checkpoint as ckpt
from astrobench.train.config import TrainConfig
from astrobench.train.data_order import batches_per_epoch, epoch_loader
from astrobench.train.device import resolve_device
from astrobench.train.distributed import (
    broadcast_module,
    gather_objects,
    init_distributed,
    sum_across_ranks,
    wait_for_all_ranks,
)
from astrobench.train.ema import ModelEma
from astrobench.train.history import EpochRecord, TrainHistory
from astrobench.train.loop import LoopSettings, LossFn, TrainState, train_one_epoch
from astrobench.train.nonfinite import NonfiniteGuard, SkippedBatch
from astrobench.train.optim import build_optimizer
from astrobench.train.precision import Precision
from astrobench.train.rng import capture_rng_state, restore_rng_state, seed_everything
from astrobench.train.run_identity import resume_differences
from astrobench.train.schedules import build_scheduler
from astrobench.versions import library_versions

EvaluateFn = Callable[[nn.Module], dict[str, float]]
EpochStartFn = Callable[[nn.Module, int], None]


class Trainer:
    """Trains `model` on `train_dataset` with `loss_fn`, checkpointing into `out_dir`."""

    def __init__(
        self,
        model: nn.Module,
        loss_fn: LossFn,
        train_dataset: Dataset[Any],
        config: TrainConfig,
        out_dir: str | Path,
        param_groups: list[dict[str, Any]] | None = None,
        evaluate_fn: EvaluateFn | None = None,
        epoch_start_fn: EpochStartFn | None = None,
    ) -> None:
        self.config = config
        self.out_dir = Path(out_dir)
        self.checkpoint_dir = self.out_dir / "checkpoints"
        self.loss_fn = loss_fn
        self.dataset = train_dataset
        self.evaluate_fn = evaluate_fn
        self.epoch_start_fn = epoch_start_fn
        self.device = resolve_device(config.device)
        self.context = init_distributed(self.device)
        if len(train_dataset) == 0:  # type: ignore[arg-type]
            raise InsufficientDataError(
                "the training set is empty", "check the split and label fraction"
            )
        seed_everything(config.seed + self.context.rank)
        self.numpy_rng = np.random.default_rng(config.seed + self.context.rank)
        model.to(self.device)
        broadcast_module(model, self.context)
        n = len(train_dataset)  # type: ignore[arg-type]
        self.batches_in_epoch = batches_per_epoch(
            n, config.batch_size, config.drop_last, self.context
        )
        if self.batches_in_epoch == 0:
            raise InsufficientDataError(
                f"{n} training objects make no full batch of {config.batch_size}",
                "lower the batch size or set drop_last=False",
            )
        self.steps_per_epoch = math.ceil(self.batches_in_epoch / config.grad_accum_steps)
        optimizer = build_optimizer(model, config, param_groups)
        self.state = TrainState(
            model=model,
            optimizer=optimizer,
            scheduler=build_scheduler(optimizer, config, self.steps_per_epoch),
            precision=Precision(config.precision, self.device),
            ema=ModelEma(model, config.ema_decay) if config.ema_decay is not None else None,
        )
        self.guard = NonfiniteGuard(config.nonfinite_policy, config.max_skipped_batches)
        self.history = TrainHistory(monitor=config.monitor)
        self._epochs_without_improvement = 0

    @property
    def model(self) -> nn.Module:
        return self.state.model

    @property
    def is_main(self) -> bool:
        return self.context.is_main

    # ------------------------------------------------------------------ fit
    def fit(self, resume: bool = False) -> TrainHistory:
        """Train to `config.epochs` (from the newest checkpoint when `resume`)."""
        if resume:
            self._resume()
        elif self.is_main:
            self._clear_stale_checkpoints()
        started = time.perf_counter()
        spent_before = self.history.train_seconds
        while self.state.epoch < self.config.epochs and not self.history.stopped_early:
            self._run_epoch()
            self.history.train_seconds = spent_before + time.perf_counter() - started
            self._end_epoch()
        self.history.skipped_batches = [s.to_dict() for s in self.guard.skipped]
        self.history.global_steps = self.state.global_step
        if self.is_main:
            write_json_atomic(self.out_dir / "history.json", self.history.to_dict())
        # Leave together: a rank that exits while rank 0 still writes would tear down the
        # process group under it (seen as an intermittent SIGABRT under torchrun).
        wait_for_all_ranks(self.context)
        return self.history

    def _run_epoch(self) -> None:
        config, state = self.config, self.state
        if self.epoch_start_fn is not None:
            self.epoch_start_fn(state.model, state.epoch)
        loader = epoch_loader(
            self.dataset,
            seed=config.seed,
            epoch=state.epoch,
            batch_size=config.batch_size,
            start_batch=state.batch_in_epoch,
            num_workers=config.num_workers,
            drop_last=config.drop_last,
            context=self.context,
            pin_memory=self.device.type == "cuda",
        )
        settings = LoopSettings(
            config.grad_accum_steps,
            config.clip_grad_norm,
            self.device,
            self.context,
            self.guard,
            self.batches_in_epoch,
        )
        began = time.perf_counter()
        totals = train_one_epoch(state, loader, self.loss_fn, settings, on_step=self._after_step)
        seconds = time.perf_counter() - began
        loss_sum = sum_across_ranks(totals.loss_sum, self.context, self.device)
        n_batches = sum_across_ranks(float(totals.n_batches), self.context, self.device)
        n_samples = sum_across_ranks(float(totals.n_samples), self.context, self.device)
        self._pending = EpochRecord(
            epoch=state.epoch,
            train_loss=loss_sum / n_batches if n_batches else float("nan"),
            images_per_second=n_samples / seconds if seconds > 0 else 0.0,
            seconds=seconds,
            lr=float(state.optimizer.param_groups[0]["lr"]),
            steps=state.global_step,
        )

    def _after_step(self, state: TrainState) -> None:
        every = self.config.checkpoint_every_steps
        if (
            every
            and state.global_step % every == 0
            and state.batch_in_epoch < self.batches_in_epoch
        ):
            self._save_last()

    def _end_epoch(self) -> None:
        record = self._pending
        state = self.state
        if self.evaluate_fn is not None:
            record.val = self._evaluate()
            self._select_best(record)
        self.history.epochs.append(record)
        state.epoch += 1
        state.batch_in_epoch = 0
        last_epoch = state.epoch >= self.config.epochs or self.history.stopped_early
        if state.epoch % self.config.checkpoint_every == 0 or last_epoch:
            self._save_last()
        k = self.config.keep_every_k
        if k and state.epoch % k == 0 and self.is_main:
            ckpt.write_checkpoint(
                self.checkpoint_dir / f"epoch-{state.epoch:04d}.pt", self._checkpoint_state()
            )

    # ------------------------------------------------------------ evaluation
    def evaluated_module(self) -> nn.Module:
        """The weights that are evaluated and selected: the EMA copy when EMA is on."""
        return self.state.ema.module if self.state.ema is not None else self.state.model

    def _evaluate(self) -> dict[str, float]:
        assert self.evaluate_fn is not None
        module = self.evaluated_module()
        was_training = module.training
        module.eval()
        try:
            metrics = {k: float(v) for k, v in self.evaluate_fn(module).items()}
        finally:
            module.train(was_training)
        return metrics

    def _select_best(self, record: EpochRecord) -> None:
        if not record.val:
            return
        monitor = self.config.monitor or next(iter(record.val))
        self.history.monitor = monitor
        value = record.val[monitor]
        best = self.history.best_metric
        higher = self.config.monitor_higher_is_better
        improved = math.isfinite(value) and (
            best is None or (value > best if higher else value < best)
        )
        if improved:
            self.history.best_metric, self.history.best_epoch = value, record.epoch
            self._epochs_without_improvement = 0
            if self.is_main:
                state = {
                    "model": self.evaluated_module().state_dict(),
                    "epoch": record.epoch,
                    "metric": value,
                    "monitor": monitor,
                    "config_hash": self.config.config_hash(),
                }
                ckpt.write_checkpoint(self.checkpoint_dir / ckpt.BEST, state)
        else:
            self._epochs_without_improvement += 1
        patience = self.config.early_stopping_patience
        if patience is not None and self._epochs_without_improvement >= patience:
            self.history.stopped_early = True

    def _clear_stale_checkpoints(self) -> None:
        """A fresh run owns its folder: checkpoints of an earlier run there (e.g. a killed cell
        started again) must never be resumed from or loaded as this run's best."""
        stale = [
            path
            for name in (ckpt.LAST, ckpt.PREVIOUS, ckpt.BEST)
            if (path := self.checkpoint_dir / name).exists()
        ] + sorted(self.checkpoint_dir.glob("epoch-*.pt"))
        if stale:
            warnings.warn(
                f"starting afresh in {self.out_dir}: removing {len(stale)} checkpoint(s) of an "
                "earlier run (use resume to continue it instead)",
                RuntimeWarning,
                stacklevel=3,
            )
        for path in stale:
            path.unlink()

    def load_best(self) -> bool:
        """Load best.pt's weights into the model (and EMA); False when there is none."""
        path = self.checkpoint_dir / ckpt.BEST
        if not path.exists():
            return False
        weights = ckpt.load_checkpoint(path, self.device)["model"]
        self.state.model.load_state_dict(weights)
        if self.state.ema is not None:
            self.state.ema.load_state_dict(weights)
        return True

    # ----------------------------------------------------------- checkpoints
    def _checkpoint_state(self, rng_states: list[Any] | None = None) -> dict[str, Any]:
        state = self.state
        return {
            "model": state.model.state_dict(),
            "optimizer": state.optimizer.state_dict(),
            "scheduler": state.scheduler.state_dict(),
            "scaler": state.precision.scaler.state_dict(),
            "ema": state.ema.state_dict() if state.ema is not None else None,
            "rng": rng_states if rng_states is not None else [capture_rng_state(self.numpy_rng)],
            "epoch": state.epoch,
            "batch_in_epoch": state.batch_in_epoch,
            "global_step": state.global_step,
            "world_size": self.context.world_size,
            "config_hash": self.config.config_hash(),
            "config": self.config.to_dict(),
            "versions": library_versions(),
            "history": self.history.to_dict(),
            "skipped": [s.to_dict() for s in self.guard.skipped],
            "epochs_without_improvement": self._epochs_without_improvement,
        }

    def _save_last(self) -> None:
        rng_states = gather_objects(capture_rng_state(self.numpy_rng), self.context)
        if self.is_main:
            ckpt.save_last(self.checkpoint_dir, self._checkpoint_state(rng_states))

    def _resume(self) -> None:
        found = ckpt.load_latest(self.checkpoint_dir, map_location=self.device)
        if found is None:
            return
        saved, path = found
        if saved["config_hash"] != self.config.config_hash():
            hashed = self.config.hashed_settings()
            before = {k: v for k, v in dict(saved.get("config") or {}).items() if k in hashed}
            differ = resume_differences(before, hashed) or ["training settings"]
            raise CheckpointError(
                f"resume refused: {path} belongs to another run ({', '.join(differ)} differ)",
                "resume with the same data, target, protocol, fraction, backbone, seed and "
                "settings, or train into a fresh --out folder",
            )
        if saved["world_size"] != self.context.world_size:
            raise CheckpointError(
                f"{path} was written by {saved['world_size']} processes, "
                f"now {self.context.world_size}",
                "resume with the same number of processes",
            )
        self._load_state(saved)
        self.history.resumed_from = str(path)

    def _load_state(self, saved: dict[str, Any]) -> None:
        state = self.state
        state.model.load_state_dict(saved["model"])
        state.optimizer.load_state_dict(saved["optimizer"])
        state.scheduler.load_state_dict(saved["scheduler"])
        state.precision.scaler.load_state_dict(saved["scaler"])
        if state.ema is not None and saved["ema"] is not None:
            state.ema.load_state_dict(saved["ema"])
        state.epoch, state.batch_in_epoch = int(saved["epoch"]), int(saved["batch_in_epoch"])
        state.global_step = int(saved["global_step"])
        self.history = TrainHistory.from_dict(saved["history"])
        self.guard.skipped = [SkippedBatch(**s) for s in saved["skipped"]]
        self._epochs_without_improvement = int(saved["epochs_without_improvement"])
        restore_rng_state(saved["rng"][self.context.rank], self.numpy_rng)
