"""Data-parallel training across processes (``torchrun``) with torch.distributed.

When a run is launched with ``WORLD_SIZE > 1`` (e.g. ``torchrun --nproc_per_node 2
-m pylearn2.scripts.train job.yaml``), algorithms join the process group (gloo on CPU,
nccl on GPU). Every process draws the same global batch order from the same seed and
trains on its own slice of each batch (``batch_size`` is per process), gradients are
averaged across processes weighted by slice size, so the run computes what one process
with a batch ``world_size`` times larger would. SGD averages each step's gradients; BGD
averages the objective's value and gradient at every point of its line searches, so all
processes take the same steps. The monitor shards the same way: each process evaluates
its slice of every monitoring batch and the sums are combined. Only rank 0 writes files.
"""

from __future__ import annotations

import os
from typing import Any

import torch
import torch.distributed as dist


def init_from_env(device: torch.device | None = None) -> None:
    """Join the process group described by torchrun's environment, once."""
    if dist.is_initialized() or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return
    backend = "nccl" if device is not None and device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend)
    if device is not None and device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def is_main() -> bool:
    """True on the process that saves and logs: rank 0 of the process group, or, before
    the group is joined, the process torchrun started with ``RANK=0`` (or no RANK)."""
    if dist.is_initialized():
        return dist.get_rank() == 0
    return os.environ.get("RANK", "0").strip() in ("", "0")


def local_slice(n: int) -> slice:
    """This process's contiguous share of a global batch of ``n`` examples."""
    size = -(-n // world_size())
    start = min(rank() * size, n)
    return slice(start, min(start + size, n))


def local_part(batch: Any, n: int) -> Any:
    """This process's rows (``local_slice(n)``) of every tensor in a possibly nested
    batch tuple of ``n`` examples."""
    rows = local_slice(n)

    def part(item: Any) -> Any:
        if isinstance(item, tuple):
            return tuple(part(b) for b in item)
        return item[rows] if isinstance(item, torch.Tensor) else item

    return part(batch)


def average_gradients_(grads: list[torch.Tensor], local_count: int) -> int:
    """Replace each gradient by the example-weighted mean over processes; return the
    global number of examples."""
    count = torch.tensor([float(local_count)], device=grads[0].device if grads else "cpu")
    flat = torch.cat([g.reshape(-1) * local_count for g in grads] + [count])
    dist.all_reduce(flat)
    total = float(flat[-1])
    offset = 0
    for g in grads:
        n = g.numel()
        g.copy_(flat[offset:offset + n].reshape(g.shape) / max(total, 1.0))
        offset += n
    return int(total)


def sum_named_(sums: dict[str, torch.Tensor], count: int,
               device: torch.device | None = None) -> tuple[dict[str, torch.Tensor], int]:
    """Sum named 0-d float64 tensors and an example count over processes.

    A process that saw no examples may lack some names; the union is summed, with zeros
    where a process had nothing.
    """
    gathered: list[list[str] | None] = [None] * world_size()
    dist.all_gather_object(gathered, sorted(sums))
    union = sorted(set().union(*(g or [] for g in gathered)))
    zero = torch.zeros((), dtype=torch.float64, device=device)
    flat = torch.stack([sums[n].to(torch.float64) if n in sums else zero for n in union]
                       + [torch.tensor(float(count), dtype=torch.float64, device=device)])
    dist.all_reduce(flat)
    return dict(zip(union, flat[:-1])), int(flat[-1])
