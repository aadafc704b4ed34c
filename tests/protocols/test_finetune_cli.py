"""`astrobench finetune` writes metrics.json, predictions.npz and checkpoints; bad input exits 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from astrobench.cli import main


def test_finetune_command_writes_results(small_cutouts, tmp_path, capsys):
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "finetune",
                "--backbone",
                "timm:test_vit?pretrained=false",
                "--data",
                str(small_cutouts),
                "--target",
                "label",
                "--mode",
                "partial",
                "--epochs",
                "1",
                "--batch-size",
                "16",
                "--device",
                "cpu",
                "--out",
                str(out),
            ]
        )
    assert exit_info.value.code == 0
    record = json.loads((out / "metrics.json").read_text())
    assert record["protocol"] == "partial"
    assert record["params_trainable"] < record["params_total"]
    assert record["wall_seconds"] > 0 and "peak_memory_bytes" in record
    predictions = np.load(out / "predictions.npz")
    assert set(predictions.files) >= {"y_true", "y_pred", "probabilities"}
    assert (out / "checkpoints" / "last.pt").exists()
    assert "accuracy=" in capsys.readouterr().out


def test_unknown_mode_is_a_user_error(small_cutouts, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "finetune",
                "--backbone",
                "vit_tiny_p8",
                "--data",
                str(small_cutouts),
                "--target",
                "label",
                "--mode",
                "sideways",
                "--out",
                str(tmp_path / "x"),
            ]
        )
    assert exit_info.value.code == 2
    assert "unknown --mode" in capsys.readouterr().err
