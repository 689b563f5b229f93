"""Run every benchmark in this folder (``make bench``); each prints ratios against a
plain PyTorch baseline measured in the same run, and all results are written to
benchmarks/results.json. Uses the cores this process may use. The compiled step is timed
too (its first compile takes 20-60 s on a small CPU; ``BENCH_COMPILE=0`` skips it)."""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["bench_sgd", "bench_small", "bench_iteration", "bench_startup", "bench_memory"]


def main() -> int:
    # pylearn2 first, as the pylearn2 command imports it: its OpenMP wait policy (passive)
    # only applies when set before torch loads, and the benchmarks measure its defaults.
    importlib.import_module("pylearn2")
    import torch

    from pylearn2.utils.threads import configure_threads

    configure_threads()
    sys.path.insert(0, str(HERE))
    results: dict[str, object] = {
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for name in BENCHMARKS:
        if not (HERE / f"{name}.py").exists():
            continue
        print(f"== {name}")
        compiled = os.environ.get("BENCH_COMPILE", "1") != "0"
        argv = ["--compile"] if name == "bench_sgd" and compiled else []
        results[name] = importlib.import_module(name).main(argv)
        print()
    out = Path(os.environ.get("BENCH_RESULTS", HERE / "results.json"))
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
