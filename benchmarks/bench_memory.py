"""Peak resident memory of the MLP experiment (examples/mnist_mlp.yaml).

A fresh interpreter loads the experiment (the three MNIST sets), sets it up, runs the
first monitor pass over train/valid/test, trains ``--batches`` SGD updates and saves the
model, then reports its peak RSS (``VmHWM`` of /proc/self/status: ``getrusage``'s ru_maxrss
would include the RSS of the process it was forked from). Memory stops growing after
the first batches, so a full epoch is not needed. Skipped when MNIST is not found under
``PYLEARN2_DATA_PATH`` (default: ../shared/data beside the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AIM_MIB = 590.0  # the original library's ~490 MiB on this experiment, plus 100 MiB

RUN = """
import json, resource
from pylearn2.config import yaml_parse
job = yaml_parse.load_path({path!r})
job.setup()
job.run_callbacks_and_monitoring()
algorithm = job.algorithm
for i, (data, total, local) in enumerate(algorithm._batches(job.dataset,
                                                             algorithm.train_iteration_mode)):
    algorithm._update(data, total, local)
    if i + 1 == {batches}:
        break
job.save()
try:  # this process's own high-water mark (ru_maxrss also counts the parent's, from the fork)
    with open("/proc/self/status") as status:
        peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"peak_rss_mib": peak}}))
"""


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=100)
    args = parser.parse_args(argv)
    data_path = os.environ.get("PYLEARN2_DATA_PATH", str(ROOT.parent / "shared" / "data"))
    if not (Path(data_path) / "mnist").is_dir():
        print(f"MLP experiment peak RSS: skipped (no MNIST under {data_path})")
        return {}
    code = RUN.format(path=str(ROOT / "examples" / "mnist_mlp.yaml"), batches=args.batches)
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "PYLEARN2_DATA_PATH": data_path, "PYLEARN2_TRAIN_DIR": out + "/"}
        done = subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env,
                              capture_output=True, text=True)
    peak = json.loads(done.stdout.strip().splitlines()[-1])["peak_rss_mib"]
    print(f"MLP experiment (mnist_mlp.yaml: load, monitor pass, {args.batches} batches, save): "
          f"peak RSS {peak:.0f} MiB (aim <= {AIM_MIB:.0f})")
    return {"peak_rss_mib": peak, "aim_mib": AIM_MIB}


if __name__ == "__main__":
    main()
