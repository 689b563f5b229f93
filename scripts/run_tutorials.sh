#!/usr/bin/env bash
# Full MNIST runs of the tutorial examples (long: minutes to hours on a CPU).
#
#   scripts/run_tutorials.sh [NAME ...]      # default: all four
#
# NAME is one of softmax_regression, mlp_tutorial_part_2, mlp_tutorial_part_3,
# mlp_tutorial_part_4. Environment:
#   PYLEARN2_DATA_PATH   folder holding mnist/ (default: ../shared/data)
#   OUT                  where models, checkpoints, CSV logs and logs go (default: out/tutorials)
#   THREADS              torch threads per run (default: all cores)
#   TIME_BUDGET          seconds of training per run, empty for none
#   RESUME=1             continue each run from its checkpoint
#   SEED                 seed for the model's initialisation and the algorithm's batch order
#                        (outputs are then named <name>.seed<SEED>); empty: the examples' own
# Each run's test error (of the best-validation model) is printed at the end and kept
# in $OUT/<name>.summary together with epochs and wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYLEARN2_DATA_PATH="${PYLEARN2_DATA_PATH:-$(cd .. && pwd)/shared/data}"
OUT="${OUT:-out/tutorials}"
mkdir -p "$OUT"
if [[ -n "${THREADS:-}" ]]; then
    export OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
fi
PY=.venv/bin/python
names=("$@")
[[ ${#names[@]} -eq 0 ]] && names=(softmax_regression mlp_tutorial_part_2 mlp_tutorial_part_3
                                   mlp_tutorial_part_4)
for name in "${names[@]}"; do
    [[ -f "examples/$name.yaml" ]] || { echo "no such example: examples/$name.yaml" >&2; exit 2; }
    # Run a copy in $OUT: ${PYLEARN2_TRAIN_DIR} (where the models go) is the YAML's folder.
    run="$name${SEED:+.seed$SEED}"
    config="$OUT/$run.yaml"
    if [[ -n "${SEED:-}" ]]; then
        # Give the model (MLP / SoftmaxRegression) and the algorithm (SGD / BGD) the seed.
        sed -E -e "s/(models\.(mlp\.MLP|softmax_regression\.SoftmaxRegression) \{)/\1 seed: $SEED,/" \
               -e "s/(training_algorithms\.(sgd\.SGD|bgd\.BGD) \{)/\1 seed: $SEED,/" \
               -e "s/${name}(_best)?\.pkl/$run\1.pkl/g" "examples/$name.yaml" >"$config"
        [[ $(grep -c "seed: $SEED," "$config") -eq 2 ]] || { echo "could not seed $name" >&2; exit 2; }
    else
        cp "examples/$name.yaml" "$config"
    fi
    args=(-T)
    [[ -n "${TIME_BUDGET:-}" ]] && args+=(--time-budget "$TIME_BUDGET")
    [[ "${RESUME:-0}" == 1 ]] && args+=(--resume)
    echo "== $run: $config -> $OUT/ (log $OUT/$run.log)"
    start=$(date +%s)
    .venv/bin/pylearn2 train "${args[@]}" "$config" >"$OUT/$run.log" 2>&1
    wall=$(( $(date +%s) - start ))
    "$PY" - "$OUT/${run}_best.pkl" "$OUT/$run.pkl" "$wall" <<'PYEOF' | tee "$OUT/$run.summary"
import sys
from pylearn2.utils import serial
best, last, wall = serial.load(sys.argv[1]).monitor, serial.load(sys.argv[2]).monitor, int(sys.argv[3])
valid = best.channels["valid_y_misclass"].val_record
print(f"epochs run {last.get_epochs_seen()}, best at epoch {best.get_epochs_seen()}: "
      f"valid {100 * valid[-1]:.2f}%, test {100 * best.last('test_y_misclass'):.2f}%, "
      f"wall {wall // 60} min {wall % 60} s")
PYEOF
done
