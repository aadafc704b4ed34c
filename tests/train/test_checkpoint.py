"""Checkpoint files on their own: format tag, last/previous rotation, candidates order, fallback,
and the identity of a run (config_hash) that decides whether a resume is allowed."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import torch

from astrobench.errors import CheckpointError, ConfigError
from astrobench.train import checkpoint as ckpt
from astrobench.train.config import TrainConfig


def test_written_checkpoint_loads_back_with_its_format_tag(tmp_path: Path) -> None:
    path = tmp_path / "a.pt"
    ckpt.write_checkpoint(path, {"step": 3, "weights": torch.arange(4.0)})
    state = ckpt.load_checkpoint(path)
    assert state["format"] == ckpt.CHECKPOINT_FORMAT and state["version"] == 1
    assert state["step"] == 3 and torch.equal(state["weights"], torch.arange(4.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pt"]  # no temporary file left


def test_a_foreign_file_is_not_a_checkpoint(tmp_path: Path) -> None:
    torch.save({"format": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="is not an astrobench training checkpoint") as error:
        ckpt.load_checkpoint(tmp_path / "other.pt")
    assert error.value.hint == "pass a checkpoints folder"
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(CheckpointError, match="is not an astrobench training checkpoint"):
        ckpt.load_checkpoint(tmp_path / "list.pt")
    (tmp_path / "junk.pt").write_bytes(b"\x00junk")
    with pytest.raises(CheckpointError, match=r"cannot read checkpoint .*junk\.pt: \w+"):
        ckpt.load_checkpoint(tmp_path / "junk.pt")


def test_save_last_keeps_the_former_last_as_previous(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    assert ckpt.save_last(folder, {"step": 1}) == folder / ckpt.LAST
    assert not (folder / ckpt.PREVIOUS).exists()
    ckpt.save_last(folder, {"step": 2})
    ckpt.save_last(folder, {"step": 3})
    assert ckpt.load_checkpoint(folder / ckpt.LAST)["step"] == 3
    assert ckpt.load_checkpoint(folder / ckpt.PREVIOUS)["step"] == 2
    assert sorted(p.name for p in folder.iterdir()) == [ckpt.LAST, ckpt.PREVIOUS]


def test_candidates_are_newest_first_and_only_existing(tmp_path: Path) -> None:
    for name in ("epoch-0002.pt", "epoch-0010.pt", ckpt.PREVIOUS, "best.pt"):
        ckpt.write_checkpoint(tmp_path / name, {"name": name})
    names = [p.name for p in ckpt.checkpoint_candidates(tmp_path)]
    assert names == [ckpt.PREVIOUS, "epoch-0010.pt", "epoch-0002.pt"]  # no last.pt, no best.pt
    ckpt.write_checkpoint(tmp_path / ckpt.LAST, {"name": ckpt.LAST})
    assert ckpt.checkpoint_candidates(tmp_path)[0].name == ckpt.LAST


def test_load_latest_falls_back_past_damage_to_an_epoch_copy(tmp_path: Path) -> None:
    assert ckpt.load_latest(tmp_path) is None  # an empty folder: nothing to resume
    ckpt.write_checkpoint(tmp_path / "epoch-0001.pt", {"step": 1})
    ckpt.write_checkpoint(tmp_path / "epoch-0002.pt", {"step": 2})
    (tmp_path / ckpt.LAST).write_bytes(b"damaged")
    (tmp_path / ckpt.PREVIOUS).write_bytes(b"damaged too")
    with pytest.warns(
        RuntimeWarning, match=r"resuming from epoch-0002\.pt instead: cannot read"
    ) as seen:
        found = ckpt.load_latest(tmp_path)
    assert found is not None and found[0]["step"] == 2 and found[1].name == "epoch-0002.pt"
    (warning,) = seen.list
    # attributed to a caller of load_latest, not to checkpoint.py itself (stacklevel 2; under
    # mutation testing one more frame, mutmut's trampoline, sits between the two)
    assert warning.filename != ckpt.__file__
    message = str(warning.message)
    assert "last.pt: " in message and message.count("; cannot read checkpoint ") == 1


def test_load_latest_without_damage_does_not_warn(tmp_path: Path, recwarn) -> None:
    ckpt.save_last(tmp_path, {"step": 1})
    ckpt.save_last(tmp_path, {"step": 2})
    found = ckpt.load_latest(tmp_path)
    assert found is not None and found[0]["step"] == 2 and found[1].name == ckpt.LAST
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_kill_while_writing_leaves_the_old_file(tmp_path: Path, monkeypatch) -> None:
    """An error during the write (here: the fsync) leaves the old checkpoint and no temp file."""
    path = tmp_path / ckpt.LAST
    ckpt.write_checkpoint(path, {"step": 1})

    def fails(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(ckpt, "commit_temporary", fails)
    with pytest.raises(OSError, match="disk full"):
        ckpt.write_checkpoint(path, {"step": 2})
    assert ckpt.load_checkpoint(path)["step"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [ckpt.LAST]


# --- config_hash: the identity of a run's trajectory ------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"epochs": 11},
        {"lr": 2e-3},
        {"batch_size": 32},
        {"seed": 1},
        {"weight_decay": 0.0},
        {"betas": (0.9, 0.95)},
        {"optimizer": "sgd"},
        {"schedule": "constant"},
        {"precision": "bf16"},
        {"grad_accum_steps": 2},
        {"ema_decay": 0.99},
        {"extra": {"data": "other.h5"}},
    ],
)
def test_settings_that_change_the_numbers_change_the_hash(change: dict) -> None:
    assert TrainConfig(**change).config_hash() != TrainConfig().config_hash()


@pytest.mark.parametrize(
    "change",
    [
        {"num_workers": 4},
        {"checkpoint_every": 2},
        {"checkpoint_every_steps": 100},
        {"keep_every_k": 5},
        {"device": "cpu"},
    ],
)
def test_settings_that_do_not_change_the_numbers_keep_the_hash(change: dict) -> None:
    assert TrainConfig(**change).config_hash() == TrainConfig().config_hash()


def test_hash_is_16_hex_and_stable_across_processes() -> None:
    value = TrainConfig(lr=0.5, milestones=[3, 1]).config_hash()
    assert len(value) == 16 and int(value, 16) >= 0
    assert value == TrainConfig(lr=0.5, milestones=(3, 1)).config_hash()  # list or tuple alike
    # sha256 of the sorted JSON of every setting except the five that do not change numbers
    config = TrainConfig(lr=0.5)
    kept = {k: v for k, v in config.to_dict().items() if k not in _NOT_HASHED}
    digest = hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()
    assert config.config_hash() == digest[:16]


_NOT_HASHED = {
    "num_workers",
    "checkpoint_every",
    "checkpoint_every_steps",
    "keep_every_k",
    "device",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"epochs": -1}, "epochs must be >= 0, got -1"),
        ({"batch_size": 0}, "batch_size must be >= 1, got 0"),
        ({"lr": 0.0}, "lr must be > 0, got 0.0"),
        ({"grad_accum_steps": 0}, "grad_accum_steps must be >= 1"),
        ({"warmup_epochs": -0.5}, "warmup_epochs must be >= 0"),
        ({"schedule": "linear"}, "unknown schedule 'linear'"),
        ({"nonfinite_policy": "ignore"}, "unknown nonfinite_policy 'ignore'"),
        ({"device": "tpu"}, "unknown device 'tpu'"),
        ({"optimizer": "lamb"}, "unknown optimizer 'lamb'"),
        ({"ema_decay": 1.0}, r"ema_decay must be in \(0, 1\) or None"),
        ({"ema_decay": 0.0}, r"ema_decay must be in \(0, 1\) or None"),
        ({"checkpoint_every": 0}, "checkpoint_every must be >= 1"),
        ({"num_workers": -1}, "num_workers must be >= 0"),
        ({"cycle_epochs": 0}, "cycle_epochs must be >= 1"),
    ],
)
def test_impossible_settings_are_config_errors(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        TrainConfig(**change)
    assert re.fullmatch(message, error.value.message)  # the whole message, nothing added
    assert error.value.hint == "fix the training configuration"


def test_boundary_settings_are_accepted() -> None:
    config = TrainConfig(
        epochs=0,
        batch_size=1,
        grad_accum_steps=1,
        warmup_epochs=0.0,
        ema_decay=0.5,
        checkpoint_every=1,
        num_workers=0,
        cycle_epochs=1,
    )
    assert config.to_dict()["betas"] == [0.9, 0.999]
    # every documented value of each closed setting is accepted
    for device in ("auto", "cpu", "cuda", "mps"):
        assert TrainConfig(device=device).device == device
    for schedule in ("cosine", "multistep", "cyclic", "constant"):
        assert TrainConfig(schedule=schedule).schedule == schedule
    for precision in ("fp32", "bf16", "fp16"):
        assert TrainConfig(precision=precision).precision == precision
    for policy in ("raise", "skip"):
        assert TrainConfig(nonfinite_policy=policy).nonfinite_policy == policy
    for optimizer in ("adamw", "sgd"):
        assert TrainConfig(optimizer=optimizer).optimizer == optimizer
    assert TrainConfig(ema_decay=None).ema_decay is None


# --- loading, fallback and the write path in detail --------------------------------------------


def test_load_checkpoint_maps_tensors_where_asked(tmp_path: Path) -> None:
    path = tmp_path / "a.pt"
    ckpt.write_checkpoint(path, {"w": torch.ones(2)})
    assert ckpt.load_checkpoint(path, map_location="meta")["w"].device.type == "meta"
    ckpt.save_last(tmp_path / "run", {"w": torch.ones(2)})
    found = ckpt.load_latest(tmp_path / "run", map_location="meta")
    assert found is not None and found[0]["w"].device.type == "meta"


def test_an_unreadable_checkpoint_is_named_with_the_first_line_of_the_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(*args: object, **kwargs: object) -> None:
        raise ValueError("x" * 300 + "\nsecond line")

    monkeypatch.setattr(ckpt.torch, "load", fails)
    with pytest.raises(CheckpointError, match="cannot read checkpoint") as error:
        ckpt.load_checkpoint(tmp_path / "a.pt")
    assert error.value.message == f"cannot read checkpoint {tmp_path / 'a.pt'}: ValueError: " + (
        "x" * 200
    )
    assert error.value.hint == "the file is damaged; delete it to fall back to an older checkpoint"

    def empty(*args: object, **kwargs: object) -> None:
        raise ValueError("")

    monkeypatch.setattr(ckpt.torch, "load", empty)
    with pytest.raises(CheckpointError, match=r"a\.pt: ValueError: ") as error:
        ckpt.load_checkpoint(tmp_path / "a.pt")
    assert error.value.message.endswith("a.pt: ValueError:")


def test_no_readable_checkpoint_names_every_failure(tmp_path: Path) -> None:
    (tmp_path / ckpt.LAST).write_bytes(b"damaged")
    (tmp_path / ckpt.PREVIOUS).write_bytes(b"damaged too")
    with pytest.raises(
        CheckpointError, match=r"no readable checkpoint in .*last\.pt.*; .*previous\.pt"
    ) as error:
        ckpt.load_latest(tmp_path)
    assert error.value.hint == "start again without --resume, in a fresh output folder"
    assert error.value.message.count("; cannot read checkpoint ") == 1


def test_a_failed_last_write_leaves_the_old_last_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ckpt.save_last(tmp_path, {"step": 1})
    ckpt.save_last(tmp_path, {"step": 2})

    def half_then_fail(path: Path, state: dict) -> None:
        path.write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(ckpt, "write_checkpoint", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        ckpt.save_last(tmp_path, {"step": 3})
    assert sorted(p.name for p in tmp_path.iterdir()) == [ckpt.LAST, ckpt.PREVIOUS]
    assert ckpt.load_checkpoint(tmp_path / ckpt.LAST)["step"] == 2
    assert ckpt.load_checkpoint(tmp_path / ckpt.PREVIOUS)["step"] == 1


def test_the_kill_hook_kills_half_way_through_the_nth_write(tmp_path: Path) -> None:
    """The test-only hook the SIGKILL resume tests rely on: the 2nd write is cut in half by a
    real SIGKILL, the 1st file stays whole. Runs the package this test imported."""
    import os
    import signal
    import subprocess
    import sys

    script = (
        "import sys, torch; from pathlib import Path; from astrobench.train import checkpoint\n"
        "folder = Path(sys.argv[1])\n"
        "checkpoint.write_checkpoint(folder / 'one.pt', {'w': torch.zeros(1000)})\n"
        "checkpoint.write_checkpoint(folder / 'two.pt', {'w': torch.ones(1000)})\n"
    )
    package_root = str(Path(ckpt.__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": package_root, ckpt.KILL_IN_WRITE_ENV: "2"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert torch.equal(ckpt.load_checkpoint(tmp_path / "one.pt")["w"], torch.zeros(1000))
    assert not (tmp_path / "two.pt").exists()
    (partial,) = tmp_path.glob(".two.pt.*.tmp")
    ckpt.write_checkpoint(tmp_path / "whole.pt", {"w": torch.ones(1000)})
    assert partial.stat().st_size == (tmp_path / "whole.pt").stat().st_size // 2


# --- TrainConfig in detail ---------------------------------------------------------------------


def test_config_normalises_betas_and_milestones_and_dumps_plain_json() -> None:
    config = TrainConfig(betas=(1, 0), milestones=[3.0, 7], extra={"path": Path("/x/y")})
    assert config.betas == (1.0, 0.0) and all(type(b) is float for b in config.betas)
    assert config.milestones == (3, 7) and all(type(m) is int for m in config.milestones)
    plain = config.to_dict()
    assert plain["betas"] == [1.0, 0.0] and plain["milestones"] == [3, 7]
    assert plain["extra"] == {"path": "/x/y"}
    hashed = config.hashed_settings()
    assert set(hashed) == set(plain) - _NOT_HASHED
    assert {k: plain[k] for k in hashed} == hashed


def test_an_unknown_precision_is_a_config_error_with_a_hint() -> None:
    with pytest.raises(ConfigError, match="unknown precision 'fp8'") as error:
        TrainConfig(precision="fp8")  # type: ignore[arg-type]
    assert error.value.hint == "fix the training configuration"
    config = TrainConfig()
    config.lr = -1.0
    with pytest.raises(ConfigError, match=r"lr must be > 0, got -1\.0"):
        config.validate()


class _Arbitrary:
    """An object a weights-only load must refuse to rebuild."""


def test_a_checkpoint_holding_arbitrary_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.pt"
    torch.save({"format": ckpt.CHECKPOINT_FORMAT, "thing": _Arbitrary()}, path)
    with pytest.raises(CheckpointError, match=r"cannot read checkpoint .*odd\.pt: UnpicklingError"):
        ckpt.load_checkpoint(path)


def test_a_failure_after_the_rename_is_reported_as_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the folder fsync fails after the rename, the temporary name is already gone: the
    cleanup must not replace the real error by a FileNotFoundError."""
    import os

    def rename_then_fail(tmp: Path, path: Path) -> None:
        os.replace(tmp, path)
        raise OSError("folder fsync failed")

    monkeypatch.setattr(ckpt, "commit_temporary", rename_then_fail)
    with pytest.raises(OSError, match="folder fsync failed"):
        ckpt.write_checkpoint(tmp_path / "a.pt", {"step": 1})
    assert [p.name for p in tmp_path.iterdir()] == ["a.pt"]
