#!/usr/bin/env bash
# One prepared GPU check (about 5 minutes at most): the CUDA-marked tests, then the
# benchmark ratios on the GPU. Run from the repository root on a machine with CUDA:
#     bash benchmarks/gpu_check.sh            (writes benchmarks/gpu_results.json)
# Record what it prints in docs/results.md.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
export PYLEARN2_DEVICE=cuda
status=0

echo "== device"
"$PY" - <<'PYEOF' || exit 1
import torch
if not torch.cuda.is_available():
    raise SystemExit("gpu_check: no CUDA device visible; nothing to check")
print(torch.__version__, torch.cuda.get_device_name(0))
PYEOF

echo "== CUDA-marked tests (device-resident data, conv layers vs CPU, bf16, GPU save -> CPU load)"
timeout 150 "$PY" -m pytest -q -p no:cacheprovider -m "cuda" tests/test_cuda.py || status=1

echo "== benchmark ratios on the GPU"
timeout 240 "$PY" - <<'PYEOF' || status=1
import json, sys, time
sys.path.insert(0, "benchmarks")
import torch
import bench_sgd
from timing import alternate

# bench_sgd times CPU runs; here the same comparison with model and data on the GPU.
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.sgd import SGD

X, y = bench_sgd.make_data(20000)
plain = bench_sgd.PlainLoop(X, y, 128, 0.01)
plain.params = [p.detach().cuda().requires_grad_(True) for p in plain.params]
plain.X, plain.Y = plain.X.cuda(), plain.Y.cuda()
runs = {}
for precision in (None, "bf16"):
    algorithm = SGD(learning_rate=0.01, batch_size=128, device="cuda", precision=precision,
                    termination_criterion=EpochCounter(max_epochs=10**9))
    job = Train(dataset=DenseDesignMatrix(X=X, y=y, y_labels=10), model=bench_sgd.make_model(),
                algorithm=algorithm)
    job.setup()
    runs[f"pylearn2_{precision or 'fp32'}"] = job

def synced(fn):
    def run():
        fn()
        torch.cuda.synchronize()
    return run

timed = {"plain": synced(plain.epoch)}
for name, job in runs.items():
    timed[name] = synced(lambda job=job: job.algorithm.train(job.dataset))
medians = alternate(timed, 5)
result = {name: seconds for name, seconds in medians.items()}
result["ratio_fp32"] = medians["pylearn2_fp32"] / medians["plain"]
result["ratio_bf16"] = medians["pylearn2_bf16"] / medians["plain"]
resident = runs["pylearn2_fp32"].algorithm._resident[1]
result["data_on_device"] = resident is not None
print(f"MLP 784-1000-1000-10 on {torch.cuda.get_device_name(0)}, batch 128, 20000 examples")
for name, seconds in medians.items():
    print(f"  {name:16s}: {seconds:.3f} s/epoch")
print(f"  ratio fp32 / plain: {result['ratio_fp32']:.3f} (aim <= 1.02); bf16 / plain: "
      f"{result['ratio_bf16']:.3f}; training data on the device: {result['data_on_device']}")
with open("benchmarks/gpu_results.json", "w") as f:
    json.dump({"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
               "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **result}, f, indent=2)
PYEOF
echo "gpu_check: $([ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status
