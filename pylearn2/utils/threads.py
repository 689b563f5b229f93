"""Thread settings that share a machine well.

Two things make a small model collapse when another process busies a core: more compute
threads than the cores this process may run on, and OpenMP worker threads that spin
(actively wait) between parallel regions, fighting the neighbour for its core. The
library therefore asks for a passive wait policy (``OMP_WAIT_POLICY=PASSIVE``; it only
takes effect when set before torch is first imported, which ``import pylearn2`` does
when nothing else imported torch earlier) and sizes the thread pool from the process's
CPU affinity rather than from the machine's core count.

A third measure is for small models: when a training step is only a few million
floating-point operations, a second thread saves almost nothing, but every parallel
region then needs both cores, so a busy neighbour stalls each step.
:func:`one_thread_for_small_steps` (SGD calls it at set-up) drops to one thread for such
steps unless a count was chosen (``--threads``, :func:`configure_threads` with a count,
or any count other than the default set by the caller). Measured on the shared 2-core
machine (2026-12-02, loaded), one thread against two, ms per step: 784-10 batch 20
1.53 vs 2.96, 784-100-10 batch 20 1.95 vs 4.78; with a busy-looping neighbour the
784-10 epoch took 0.159 s at one thread and 0.249 s at two.

This module imports torch lazily so that it can be used before torch is loaded.
"""

from __future__ import annotations

import logging
import os
from typing import Any

WAIT_POLICY_VARIABLE = "OMP_WAIT_POLICY"
SMALL_STEP_FLOPS = 1e7  # below this, a step runs on one thread (see the module docstring)

log = logging.getLogger(__name__)
_chosen: list[int] = []  # the count asked for by configure_threads(threads=N), if any
_lowered: list[int] = []  # the count before one_thread_for_small_steps lowered it


def usable_cores() -> int:
    """How many cores this process may run on (its CPU affinity; the core count where
    the platform has no affinity call)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op thread count to ``threads`` (default: :func:`usable_cores`)
    and return it. Refuses a count below 1 with a message naming ``--threads``."""
    import torch

    from pylearn2.utils.exc import ConfigError

    if threads is not None and int(threads) < 1:
        raise ConfigError(f"--threads must be at least 1 (got {threads}).")
    count = usable_cores() if threads is None else int(threads)
    if threads is not None:
        _chosen[:] = [count]
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
    return count


def step_flops(params: Any, batch_size: int) -> float | None:
    """Floating-point operations of one training step of a model whose parameters are
    all vectors or matrices (dense layers): 2 per weight and example forward, 4 backward.
    None when some parameter has more dimensions (a convolution reuses each weight at
    every position, so its work is not told by its parameter count)."""
    total = 0
    for p in params:
        if p.dim() > 2:
            return None
        total += p.numel()
    return 6.0 * batch_size * total


def one_thread_for_small_steps(params: Any, batch_size: int) -> bool:
    """Use one compute thread when a step of these parameters at ``batch_size`` is under
    :data:`SMALL_STEP_FLOPS` and nobody chose a thread count (the process still runs
    torch's default of :func:`usable_cores` threads); a later, larger model in the same
    process gets the default back. Returns whether it changed the count."""
    import torch

    current = torch.get_num_threads()
    flops = step_flops(params, batch_size)
    small = flops is not None and flops < SMALL_STEP_FLOPS
    if _lowered and current == 1 and not small and not _chosen:
        torch.set_num_threads(_lowered.pop())  # the count this module lowered it from
        return True
    if _chosen or current == 1 or current != usable_cores() or not small:
        return False
    _lowered[:] = [current]
    torch.set_num_threads(1)
    log.info("threads: one compute thread for this small model (%.1f MFLOP per step; "
             "--threads N chooses a count).", (flops or 0.0) / 1e6)
    return True


__all__ = ["usable_cores", "configure_threads", "one_thread_for_small_steps", "step_flops",
           "SMALL_STEP_FLOPS", "WAIT_POLICY_VARIABLE"]
