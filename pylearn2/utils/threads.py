"""Thread settings that share a machine well.

Two things make a small model collapse when another process busies a core: more compute
threads than the cores this process may run on, and OpenMP worker threads that spin
(actively wait) between parallel regions, fighting the neighbour for its core. The
library therefore asks for a passive wait policy (``OMP_WAIT_POLICY=PASSIVE``; it only
takes effect when set before torch is first imported, which ``import pylearn2`` does
when nothing else imported torch earlier) and sizes the thread pool from the process's
CPU affinity rather than from the machine's core count.

This module imports torch lazily so that it can be used before torch is loaded.
"""

from __future__ import annotations

import os

WAIT_POLICY_VARIABLE = "OMP_WAIT_POLICY"


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
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
    return count


__all__ = ["usable_cores", "configure_threads", "WAIT_POLICY_VARIABLE"]
