"""Run every benchmark in this folder (``make bench``); each prints ratios against a
plain PyTorch baseline measured in the same run. Uses all cores."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["bench_sgd", "bench_iteration"]


def main() -> int:
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    sys.path.insert(0, str(HERE))
    for name in BENCHMARKS:
        if not (HERE / f"{name}.py").exists():
            continue
        print(f"== {name}")
        importlib.import_module(name).main([])
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
