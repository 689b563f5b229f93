"""Export a saved model for use outside pylearn2: ``pylearn2 export MODEL --format FORMAT``.

Formats:

- ``state_dict``: the parameters and buffers as a safetensors file (no pickle), for loading
  into your own ``torch.nn.Module`` with ``safetensors.torch.load_file``;
- ``torchscript``: the model's forward pass (``fprop``) traced with TorchScript, loadable
  with ``torch.jit.load`` without pylearn2;
- ``onnx``: the same forward pass as an ONNX graph (``torch.onnx.export``) with a dynamic
  batch axis; input ``features``, output ``output``. Needs the onnx package.

The traced input is a batch from the model's input space, so the exported graph takes
inputs shaped as the model's ``fprop`` does (e.g. (batch, 784) for an MLP on vectors).
"""

from __future__ import annotations

import argparse
import os
import warnings
from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.utils.exc import ConfigError

FORMATS = {"state_dict": ".safetensors", "torchscript": ".pt", "onnx": ".onnx"}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="export.py", description="Export a saved model as a safetensors state_dict, a "
                                      "TorchScript program or an ONNX graph.")
    parser.add_argument("model", metavar="MODEL", help="a saved model file")
    parser.add_argument("--format", choices=sorted(FORMATS), default="state_dict",
                        help="what to write (default: state_dict)")
    parser.add_argument("-o", "--out", default=None, metavar="FILE",
                        help="output file (default: MODEL with the format's extension)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset version (default 17)")
    add_allow_flag(parser)
    return parser


class ForwardPass(torch.nn.Module):
    """``model.fprop`` as the ``forward`` of a module (what tracing and ONNX export need)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.model.fprop(features)


def example_input(model: Any, batch_size: int = 2) -> torch.Tensor:
    """A batch from the model's input space, in the model's dtype."""
    space = model.get_input_space()
    try:
        batch = space.get_origin_batch(batch_size)
    except (AttributeError, NotImplementedError):
        raise ConfigError(f"{type(model).__name__}'s input space {space} cannot make an example "
                          "batch; only models with a vector or image input can be exported.") \
            from None
    dtype = next((p.dtype for p in model.parameters()), torch.float32)
    batch = torch.as_tensor(batch)
    return batch.to(dtype) if batch.is_floating_point() else batch


def export(model: Any, fmt: str, out: str, opset: int = 17) -> str:
    """Write ``model`` in format ``fmt`` to ``out``; returns ``out``."""
    if fmt not in FORMATS:
        raise ConfigError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    model = model.cpu().eval()
    if fmt == "state_dict":
        from safetensors.torch import save_file

        tensors = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
        save_file(tensors, out, metadata={"format": "pt", "class": type(model).__qualname__})
        return out
    if not hasattr(model, "fprop"):
        raise ConfigError(f"{type(model).__name__} has no fprop to export; use --format "
                          "state_dict.")
    wrapper, example = ForwardPass(model).eval(), example_input(model)
    with torch.no_grad():
        if fmt == "torchscript":
            traced = torch.jit.trace(wrapper, (example,), check_trace=False)
            traced.save(out)
            return out
        try:
            import onnx  # noqa: F401  (torch.onnx needs it to write the graph)
        except ImportError:
            raise ConfigError("--format onnx needs the onnx package: pip install onnx") from None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(wrapper, (example,), out, dynamo=False, opset_version=opset,
                              input_names=["features"], output_names=["output"],
                              dynamic_axes={"features": {0: "batch"}, "output": {0: "batch"}})
    return out


def run(args: argparse.Namespace) -> int:
    from pylearn2.utils import serial

    model = serial.load(args.model)
    out = args.out or os.path.splitext(args.model)[0] + FORMATS[args.format]
    export(model, args.format, out, args.opset)
    print(f"Wrote {out} ({args.format})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
