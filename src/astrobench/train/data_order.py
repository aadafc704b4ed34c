"""Data order as a pure function of (seed, epoch), and DataLoaders that can start mid-epoch.

Each epoch, a torch.Generator seeded from (seed, epoch) draws the permutation of the dataset and
one seed per position. A sample's random augmentations are seeded from its position seed, so
they do not depend on which worker loads it or on how many workers there are. Resuming at batch
`b` of an epoch starts the sampler at position b * batch_size: the skipped samples are never
loaded.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler, get_worker_info

from astrobench.train.distributed import DistributedContext


def epoch_seed(seed: int, epoch: int) -> int:
    """A well-mixed 63-bit seed for (seed, epoch)."""
    return int(
        np.random.SeedSequence([int(seed), int(epoch)]).generate_state(2, np.uint64)[0]
        >> np.uint64(1)
    )


def epoch_order(n: int, seed: int, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(permutation [n], per-position sample seeds [n]) of epoch `epoch`."""
    generator = torch.Generator().manual_seed(epoch_seed(seed, epoch))
    permutation = torch.randperm(n, generator=generator)  # [n]
    sample_seeds = torch.randint(0, 2**62, (n,), generator=generator, dtype=torch.int64)  # [n]
    return permutation, sample_seeds


def rank_shard(n: int, context: DistributedContext) -> tuple[int, int]:
    """(positions per rank, padded total): the permutation is padded by wrapping around so every
    rank gets the same number of samples (as DistributedSampler does)."""
    per_rank = math.ceil(n / context.world_size)
    return per_rank, per_rank * context.world_size


def batches_per_epoch(n: int, batch_size: int, drop_last: bool, context: DistributedContext) -> int:
    """Number of (micro-)batches each rank sees per epoch."""
    per_rank, _ = rank_shard(n, context)
    return per_rank // batch_size if drop_last else math.ceil(per_rank / batch_size)


class EpochSampler(Sampler[tuple[int, int]]):
    """Yields (dataset index, sample seed) for this rank's share of one epoch, from `start`."""

    def __init__(
        self,
        n: int,
        seed: int,
        epoch: int,
        context: DistributedContext,
        start: int = 0,
        stop: int | None = None,
    ) -> None:
        permutation, seeds = epoch_order(n, seed, epoch)
        _, padded = rank_shard(n, context)
        wrap = torch.arange(padded) % n  # [padded]
        mine = wrap[context.rank :: context.world_size]  # [per_rank]
        self.indices = permutation[mine].tolist()
        self.seeds = seeds[mine].tolist()
        self.start = start
        self.stop = len(self.indices) if stop is None else stop

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for position in range(self.start, self.stop):
            yield self.indices[position], self.seeds[position]

    def __len__(self) -> int:
        return max(self.stop - self.start, 0)


class SeededSamples(Dataset[Any]):
    """Wraps a dataset so item (index, seed) is loaded with python/numpy/torch RNGs seeded by
    `seed`. In the main process the caller's RNG states are restored afterwards."""

    def __init__(self, dataset: Dataset[Any]) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, key: tuple[int, int]) -> Any:
        index, seed = key
        if get_worker_info() is not None:
            _seed_all(seed)
            return self.dataset[index]
        saved = (torch.get_rng_state(), np.random.get_state(), random.getstate())
        try:
            _seed_all(seed)
            return self.dataset[index]
        finally:
            torch.set_rng_state(saved[0])
            np.random.set_state(saved[1])
            random.setstate(saved[2])


def _seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _worker_init(worker_id: int) -> None:
    """Each worker starts from a seed of its own (samples then reseed from their position)."""
    info = get_worker_info()
    base = info.seed if info is not None else worker_id
    _seed_all(int(base) % 2**62)


def epoch_loader(
    dataset: Dataset[Any],
    *,
    seed: int,
    epoch: int,
    batch_size: int,
    start_batch: int = 0,
    num_workers: int = 0,
    drop_last: bool = False,
    context: DistributedContext | None = None,
    pin_memory: bool = False,
) -> DataLoader[Any]:
    """The DataLoader of epoch `epoch` for this rank, beginning at batch `start_batch`."""
    context = context or DistributedContext()
    n = len(dataset)  # type: ignore[arg-type]
    n_batches = batches_per_epoch(n, batch_size, drop_last, context)
    sampler = EpochSampler(n, seed, epoch, context, start=start_batch * batch_size, stop=None)
    if drop_last:
        sampler.stop = n_batches * batch_size
    generator = torch.Generator().manual_seed(epoch_seed(seed + 1, epoch))
    return DataLoader(
        SeededSamples(dataset),
        batch_size=batch_size,
        sampler=sampler,
        num_workers=num_workers,
        drop_last=drop_last,
        worker_init_fn=_worker_init,
        generator=generator,
        pin_memory=pin_memory,
        persistent_workers=False,
    )
