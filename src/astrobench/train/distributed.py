"""Data parallelism under torchrun with no code change.

When WORLD_SIZE > 1 the process group is initialised (gloo on CPU, nccl on CUDA); every rank
starts from rank 0's weights, averages gradients with an all-reduce before each optimizer step,
and sees its own shard of the (seed, epoch) permutation. Only rank 0 writes files. Averaging
gradients explicitly (rather than wrapping in DistributedDataParallel) keeps `loss_fn(model,
batch)` free to call any method of the model, not just `forward`.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class DistributedContext:
    """This process's place in the job (world_size 1 when not distributed)."""

    rank: int = 0
    world_size: int = 1

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device: torch.device) -> DistributedContext:
    """Join the torchrun process group if WORLD_SIZE > 1 (idempotent)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistributedContext()
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend)
        # The group we opened is closed at exit, so a torchrun job ends cleanly.
        atexit.register(_destroy_at_exit)
    return DistributedContext(rank=dist.get_rank(), world_size=dist.get_world_size())


def _destroy_at_exit() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def wait_for_all_ranks(context: DistributedContext) -> None:
    """Barrier: no rank goes on (or exits and tears the group down) before every rank is here."""
    if context.enabled and dist.is_initialized():
        dist.barrier()


def broadcast_module(module: nn.Module, context: DistributedContext) -> None:
    """Copy rank 0's parameters and buffers to every rank."""
    if not context.enabled:
        return
    with torch.no_grad():
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src=0)


def average_gradients(module: nn.Module, context: DistributedContext) -> None:
    """All-reduce (mean) the gradients of trainable parameters, one flat bucket per dtype."""
    if not context.enabled:
        return
    grads = [p.grad for p in module.parameters() if p.requires_grad and p.grad is not None]
    by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
    for grad in grads:
        by_dtype.setdefault(grad.dtype, []).append(grad)
    for bucket in by_dtype.values():
        flat = torch.cat([g.reshape(-1) for g in bucket])  # [sum of numels]
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        flat /= context.world_size
        offset = 0
        for grad in bucket:
            grad.copy_(flat[offset : offset + grad.numel()].view_as(grad))
            offset += grad.numel()


def all_ranks_true(flag: bool, context: DistributedContext, device: torch.device) -> bool:
    """True only if `flag` holds on every rank (so all ranks take the same branch)."""
    if not context.enabled:
        return flag
    value = torch.tensor([1 if flag else 0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MIN)
    return bool(value.item())


def gather_objects(obj: Any, context: DistributedContext) -> list[Any]:
    """Every rank's `obj`, in rank order (a one-element list when not distributed)."""
    if not context.enabled:
        return [obj]
    gathered: list[Any] = [None] * context.world_size
    dist.all_gather_object(gathered, obj)
    return gathered


def sum_across_ranks(value: float, context: DistributedContext, device: torch.device) -> float:
    """Sum a float over ranks."""
    if not context.enabled:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return float(tensor.item())
