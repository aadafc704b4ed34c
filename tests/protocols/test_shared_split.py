"""One split per file: every target and MAE pretraining agree on which objects are test."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from astrobench.data.cutout_file import CutoutFile
from astrobench.protocols.trained_data import select_trained_cell
from astrobench.tasks.resolve import resolve_task


def test_morphology_and_photoz_share_the_test_objects(small_cutouts: Path) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        tasks = [resolve_task(cutouts, "label"), resolve_task(cutouts, "redshift")]
    cells = [select_trained_cell(small_cutouts, task, 1.0, 0, None, {}) for task in tasks]
    assert np.array_equal(np.sort(cells[0].test), np.sort(cells[1].test))


def test_mae_pretraining_never_sees_a_photoz_test_object(small_cutouts: Path) -> None:
    from astrobench.pretrain.image_data import _train_val_indices

    with CutoutFile(small_cutouts) as cutouts:
        photoz = resolve_task(cutouts, "redshift")
    test = select_trained_cell(small_cutouts, photoz, 1.0, 0, None, {}).test
    pretrain_train, pretrain_val, _ = _train_val_indices(small_cutouts, 0, False)
    assert not set(test.tolist()) & set(pretrain_train.tolist())
    assert not set(test.tolist()) & set(pretrain_val.tolist())
