"""``get_version.py``: versions of the library and its dependencies, and the machine.

One line of ``name:version`` pairs (the library's git commit too when it runs from a
checkout), then the CPU, the operating system and the accelerator, so that an
experiment's record says what it ran on.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import subprocess
from collections.abc import Sequence

from pylearn2.scripts._common import run_cli

PACKAGES = ("numpy", "torch", "safetensors", "PyYAML", "scipy", "matplotlib", "scikit-learn",
            "h5py", "Pillow")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="get_version.py",
        description="Print the versions of pylearn2 and the packages it uses, and the CPU, "
                    "operating system and accelerator of this machine.")
    parser.add_argument("-p", "--print_torch_config", "--print-torch-config",
                        dest="print_torch", action="store_true",
                        help="also print how torch was built (its compilers, BLAS, CUDA)")
    return parser


def git_commit(folder: str) -> str | None:
    """The short commit of the checkout holding ``folder`` (None outside a git checkout)."""
    try:
        done = subprocess.run(["git", "-C", folder, "rev-parse", "--short=10", "HEAD"],
                              capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def versions() -> dict[str, str]:
    import pylearn2

    found = {"pylearn2": pylearn2.__version__}
    commit = git_commit(os.path.dirname(os.path.abspath(pylearn2.__file__)))
    if commit:
        found["pylearn2"] += f" ({commit})"
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def accelerator() -> str:
    import torch

    if torch.cuda.is_available():
        names = {torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())}
        return f"CUDA {torch.version.cuda}, {torch.cuda.device_count()} x {', '.join(names)}"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "Apple MPS"
    return "none (CPU only)"


def run(args: argparse.Namespace) -> int:
    print(" | ".join(f"{name}:{version}" for name, version in versions().items()))
    print(f"Python: {platform.python_version()} ({platform.python_implementation()})")
    print(f"CPU: {platform.machine()} {platform.processor()}".rstrip() + f", {os.cpu_count()} cores")
    print(f"OS: {platform.platform()}")
    print(f"Accelerator: {accelerator()}")
    if args.print_torch:
        import torch

        print(torch.__config__.show())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
