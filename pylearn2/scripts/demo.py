"""The `make demo` job: train the digits MLP example and report its test error."""

from __future__ import annotations

import sys
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits_mlp.yaml"


def main() -> int:
    from pylearn2.scripts import train
    from pylearn2.utils import serial

    started = time.time()
    status = train.main([str(EXAMPLE)])
    if status:
        return status
    final_path = EXAMPLE.with_name("digits_mlp.pkl")
    model_path = EXAMPLE.with_name("digits_mlp_best.pkl")
    final = serial.load(str(final_path)).monitor
    best = serial.load(str(model_path)).monitor
    print()
    print(f"Trained {final.get_epochs_seen()} epochs in {time.time() - started:.1f} s; the best "
          f"validation error was at epoch {best.get_epochs_seen()}.")
    print(f"Test error of that model (test_y_misclass): {100 * best.last('test_y_misclass'):.2f}%")
    print(f"Model saved to: {model_path}")
    print(f"Inspect it with: .venv/bin/pylearn2 print-monitor {model_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
