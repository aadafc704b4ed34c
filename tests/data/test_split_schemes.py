"""The disjoint split scheme of seed 001: pretraining and fine-tuning never share an object."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import write_cutouts
from astrobench.data.splits import disjoint_pools, split_indices
from astrobench.errors import ConfigError


@pytest.fixture
def four_hundred(tmp_path: Path) -> Path:
    n = 400
    return write_cutouts(
        tmp_path / "n400.h5",
        np.zeros((n, 1, 2, 2), dtype=np.float32),
        {"object_id": np.arange(n), "label": np.arange(n) % 2, "redshift": np.linspace(0, 1, n)},
        bands=["r"],
        pixel_scale_arcsec=1.0,
    )


def _file_with_split(tmp_path: Path) -> Path:
    """Four objects whose file carries its own `split` column."""
    return write_cutouts(
        tmp_path / "s.h5",
        np.zeros((4, 1, 2, 2), dtype=np.float32),
        {"object_id": np.arange(4), "split": np.array([0, 0, 1, 2], dtype=np.int8)},
        bands=["r"],
        pixel_scale_arcsec=1.0,
    )


def test_pools_are_disjoint_cover_everything_and_follow_the_seed() -> None:
    pools = disjoint_pools(1000, seed=3)
    sizes = {name: part.size for name, part in pools.items()}
    assert sizes == {"pretrain": 800, "pretrain_val": 100, "finetune": 100}
    everything = np.concatenate(list(pools.values()))
    assert np.array_equal(np.sort(everything), np.arange(1000))
    again = disjoint_pools(1000, seed=3)
    assert all(np.array_equal(pools[k], again[k]) for k in pools)
    assert not np.array_equal(pools["finetune"], disjoint_pools(1000, seed=4)["finetune"])


def test_finetuning_splits_its_own_pool_70_10_20(four_hundred: Path) -> None:
    with CutoutFile(four_hundred) as cutouts:
        fine = split_indices(cutouts, seed=1, scheme="disjoint")
        pre = split_indices(cutouts, seed=1, scheme="disjoint", role="pretrain")
        labels = cutouts.column("label")
    pool = disjoint_pools(400, seed=1)["finetune"]
    assert fine["train"].size == 28 and fine["val"].size + fine["test"].size == 12
    assert np.array_equal(np.sort(np.concatenate(list(fine.values()))), pool)
    used_by_pretraining = np.concatenate([pre["train"], pre["val"]])
    assert pre["train"].size == 320 and pre["val"].size == 40 and pre["test"].size == 0
    assert np.intersect1d(used_by_pretraining, pool).size == 0
    in_pool = np.bincount(labels[pool])  # stratified by label within the pool
    assert np.bincount(labels[fine["test"]]).tolist() == [round(0.2 * c) for c in in_pool]


def test_pretraining_data_and_trained_protocols_use_the_scheme(four_hundred: Path) -> None:
    from astrobench.pretrain.image_data import _train_val_indices
    from astrobench.protocols.trained_data import select_trained_cell
    from astrobench.tasks.resolve import resolve_task

    train, val, _ = _train_val_indices(four_hundred, 0, False, "disjoint")
    pools = disjoint_pools(400, seed=0)
    assert np.array_equal(train, pools["pretrain"]) and np.array_equal(val, pools["pretrain_val"])
    with CutoutFile(four_hundred) as cutouts:
        task = resolve_task(cutouts, "redshift")
    cell = select_trained_cell(four_hundred, task, 1.0, 0, None, {"split_scheme": "disjoint"})
    used = np.concatenate([cell.train, cell.val, cell.test])
    assert np.isin(used, pools["finetune"]).all() and used.size == 40


def test_disjoint_scheme_refuses_a_file_with_its_own_split(tmp_path: Path) -> None:
    path = _file_with_split(tmp_path)
    with CutoutFile(path) as cutouts:
        with pytest.raises(ConfigError, match="own `split` column"):
            split_indices(cutouts, scheme="disjoint")
        with pytest.raises(ConfigError, match="unknown split scheme"):
            split_indices(cutouts, scheme="random")


def test_pools_are_the_documented_permutation_and_each_fraction_sizes_its_own_pool() -> None:
    # Golden: the pools of (n, seed) are fixed on every machine (a permutation seeded by
    # [seed, 0x5EED]); a changed constant would move every object of every existing run.
    order = np.random.default_rng([7, 0x5EED]).permutation(20)
    pools = disjoint_pools(20, seed=7, fractions=(0.5, 0.2, 0.3))
    assert np.array_equal(pools["pretrain"], np.sort(order[:10]))
    assert np.array_equal(pools["pretrain_val"], np.sort(order[10:14]))
    assert np.array_equal(pools["finetune"], np.sort(order[14:]))
    assert {k: v.dtype for k, v in pools.items()} == dict.fromkeys(pools, np.dtype(np.int64))


def test_disjoint_refusal_and_pretraining_split_are_exact(tmp_path: Path) -> None:
    path = _file_with_split(tmp_path)
    with CutoutFile(path) as cutouts, pytest.raises(ConfigError, match="disjoint") as refused:
        split_indices(cutouts, scheme="disjoint")
    assert refused.value.message == (
        "the disjoint split scheme cannot be used on a file with its own `split` column"
    )
    assert refused.value.hint == "use split_scheme standard for this file"


def test_pretraining_role_has_an_empty_int_test_split(four_hundred: Path) -> None:
    with CutoutFile(four_hundred) as cutouts:
        pre = split_indices(cutouts, seed=2, scheme="disjoint", role="pretrain")
    assert pre["test"].size == 0 and pre["test"].dtype == np.int64


def test_finetuning_pool_split_follows_the_seed_and_works_without_a_stratify_column(
    four_hundred: Path,
) -> None:
    with CutoutFile(four_hundred) as cutouts:
        a = split_indices(cutouts, seed=5, scheme="disjoint", stratify=None)
        b = split_indices(cutouts, seed=5, scheme="disjoint", stratify=None)
        missing = split_indices(cutouts, seed=5, scheme="disjoint", stratify="no_such_column")
        other = split_indices(cutouts, seed=6, scheme="disjoint", stratify=None)
    assert all(np.array_equal(a[k], b[k]) and np.array_equal(a[k], missing[k]) for k in a)
    assert a["train"].size == 28 and a["val"].size + a["test"].size == 12
    pool = disjoint_pools(400, seed=5)["finetune"]
    assert np.array_equal(np.sort(np.concatenate(list(a.values()))), pool)
    assert not np.array_equal(disjoint_pools(400, seed=6)["finetune"], pool)
    assert other["train"].size == 28


def test_an_unknown_scheme_or_role_lists_the_known_ones(four_hundred: Path) -> None:
    with CutoutFile(four_hundred) as cutouts:
        with pytest.raises(ConfigError, match="unknown split scheme") as error:
            split_indices(cutouts, scheme="disjoint", role="teacher")
        assert error.value.message == "unknown split scheme 'disjoint' or role 'teacher'"
        assert error.value.hint == "schemes: standard, disjoint; roles: finetune, pretrain"
        custom = split_indices(cutouts, seed=1, scheme="disjoint", fractions=(0.5, 0.25, 0.25))
    assert custom["train"].size == 20 and custom["val"].size == 10 and custom["test"].size == 10
