"""Start-up costs, each in a fresh interpreter: ``import pylearn2.train``, and the time
from process start to the first trained batch of the digits example
(examples/digits_mlp.yaml: YAML parsed, datasets loaded, model built, one SGD update).

Measured with a warm bytecode cache, as after ``pip install`` or any earlier run: the
interpreters write theirs into a temporary ``PYTHONPYCACHEPREFIX`` (one untimed warm-up
run fills it), so a ``PYTHONDONTWRITEBYTECODE`` environment, which would recompile every
module of the library at every start, does not count against the library."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIRST_BATCH = """
from pylearn2.config import yaml_parse
job = yaml_parse.load_path({path!r})
job.setup()
algorithm = job.algorithm
data, total, local = next(iter(algorithm._batches(job.dataset, algorithm.train_iteration_mode)))
algorithm._update(data, total, local)
"""


def _wall(code: str, cache: str) -> float:
    with tempfile.TemporaryDirectory() as out:  # the example writes its outputs there
        env = {**os.environ, "PYLEARN2_TRAIN_DIR": out + "/", "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    code = FIRST_BATCH.format(path=str(ROOT / "examples" / "digits_mlp.yaml"))
    with tempfile.TemporaryDirectory() as cache:
        _wall(code, cache)  # warm-up: fills the bytecode cache
        baseline = statistics.median(_wall("import torch", cache) for _ in range(args.repeats))
        imports = statistics.median(_wall("import pylearn2.train", cache)
                                    for _ in range(args.repeats))
        first = statistics.median(_wall(code, cache) for _ in range(args.repeats))
    print(f"import torch alone      : {baseline:.2f} s")
    print(f"import pylearn2.train   : {imports:.2f} s (aim <= 1.5)")
    print(f"digits first batch      : {first:.2f} s from process start (aim <= 3); "
          f"{first - baseline:.2f} s after torch's own import")
    return {"import_torch_s": baseline, "import_pylearn2_train_s": imports,
            "digits_first_batch_s": first}


if __name__ == "__main__":
    main()
