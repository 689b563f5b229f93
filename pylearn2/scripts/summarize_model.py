"""Summarise a saved model's parameters: ``summarize_model.py MODEL``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import numpy as np

from pylearn2.scripts._common import add_allow_flag, run_cli


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="summarize_model.py",
        description="Print a table of the model's layers (name, type, input and output space, "
                    "parameters), each parameter's shape and statistics, the total number of "
                    "parameters, and how far training got.")
    parser.add_argument("model", metavar="MODEL", help="a saved model file")
    add_allow_flag(parser)
    return parser


def space_text(space) -> str:
    """A short name for a space: Vector(64), Conv2D(28x28x1), Index(10), ..."""
    from pylearn2.space import CompositeSpace, Conv2DSpace, IndexSpace, VectorSpace

    if isinstance(space, VectorSpace):
        return f"Vector({space.dim})"
    if isinstance(space, Conv2DSpace):
        rows, cols = space.shape
        return f"Conv2D({rows}x{cols}x{space.num_channels})"
    if isinstance(space, IndexSpace):
        return f"Index({space.max_labels})" + (f"x{space.dim}" if space.dim != 1 else "")
    if isinstance(space, CompositeSpace):
        return "(" + ", ".join(space_text(s) for s in space.components) + ")"
    return "-" if space is None else type(space).__name__


def _space_of(obj, getter: str):
    try:
        return getattr(obj, getter)()
    except Exception:
        return None


def layer_rows(model) -> list[tuple[str, str, str, str, int]]:
    """(name, type, input space, output space, parameters) for each layer, Keras-style."""
    layers = getattr(model, "layers", None)
    if layers:
        children = [(getattr(layer, "layer_name", str(i)), layer) for i, layer in enumerate(layers)]
    elif len(list(getattr(model, "module", model).children())) > 1:  # a wrapped torch module
        modules = list(getattr(model, "module", model).named_children())
        rows = [(name, type(m).__name__, "-", "-", sum(p.numel() for p in m.parameters()))
                for name, m in modules]
        rows[0] = (*rows[0][:2], space_text(_space_of(model, "get_input_space")), *rows[0][3:])
        rows[-1] = (*rows[-1][:3], space_text(_space_of(model, "get_output_space")), rows[-1][4])
        return rows
    else:
        children = [(type(model).__name__, model)]
    return [(name, type(layer).__name__, space_text(_space_of(layer, "get_input_space")),
             space_text(_space_of(layer, "get_output_space")),
             sum(p.numel() for p in layer.parameters() if p.requires_grad))
            for name, layer in children]


def layer_table(model) -> list[str]:
    header = ("layer", "type", "input", "output", "params")
    rows = [header] + [(*r[:4], f"{r[4]:,}") for r in layer_rows(model)]
    widths = [max(len(str(row[i])) for row in rows) for i in range(5)]
    out = []
    for k, row in enumerate(rows):
        cells = [str(c).ljust(w) if i < 4 else str(c).rjust(w) for i, (c, w) in
                 enumerate(zip(row, widths))]
        out.append("  ".join(cells).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def readable_names(model) -> dict[str, str]:
    """Parameter names with layer names: layers.0.W -> h0.W."""
    layers = getattr(model, "layers", None) or []
    prefixes = {f"layers.{i}.": f"{layer.layer_name}." for i, layer in enumerate(layers)
                if getattr(layer, "layer_name", None)}
    names = {}
    for name, _ in list(model.named_parameters()) + list(model.named_buffers()):
        for prefix, readable in prefixes.items():
            if name.startswith(prefix):
                names[name] = readable + name[len(prefix):]
                break
        else:
            names[name] = name
    return names


def summarize(model, path: str = "") -> list[str]:
    lines, total = layer_table(model) + [""], 0
    readable = readable_names(model)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        value = tensor.detach().cpu().double().numpy()
        total += value.size if name in trainable else 0
        lines.append(f"{readable[name]}: shape {tuple(value.shape)}, {value.size} values")
        if value.size == 0 or value.dtype == np.bool_:
            continue
        lines.append(f"\tmin {value.min():.6g}  mean {value.mean():.6g}  max {value.max():.6g}  "
                     f"std {value.std():.6g}")
        lines.append(f"\tabs min {np.abs(value).min():.6g}  abs mean {np.abs(value).mean():.6g}  "
                     f"abs max {np.abs(value).max():.6g}  L2 norm {np.linalg.norm(value):.6g}")
        if value.ndim == 2:
            rows, cols = np.linalg.norm(value, axis=1), np.linalg.norm(value, axis=0)
            lines.append(f"\trow norms min/mean/max {rows.min():.6g} {rows.mean():.6g} "
                         f"{rows.max():.6g}")
            lines.append(f"\tcol norms min/mean/max {cols.min():.6g} {cols.mean():.6g} "
                         f"{cols.max():.6g}")
    lines.append(f"total trainable parameters: {total}")
    monitor = getattr(model, "monitor", None)
    if monitor is not None:
        lines.append(f"examples seen: {monitor.get_examples_seen()}")
        lines.append(f"batches seen: {monitor.get_batches_seen()}")
        lines.append(f"epochs seen: {monitor.get_epochs_seen()}")
        lines.append(f"time trained: {format_seconds(monitor.seconds_trained())}")
        lines.append(training_state(monitor, path))
    return lines


def format_seconds(seconds: float) -> str:
    """'13.0 s', '2 min 05 s', '1 h 02 min'."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def training_state(monitor, path: str = "") -> str:
    if monitor.training_succeeded:
        return "Training succeeded"
    epoch = monitor.get_epochs_seen()
    if "_best" in os.path.basename(path):
        return (f"Best model so far, saved during training after epoch {epoch} (the run's final "
                "model is saved separately).")
    return (f"Saved during training after epoch {epoch}: the run was still going, or was "
            "stopped by its time budget or an interrupt.")


def run(args: argparse.Namespace) -> int:
    from pylearn2.utils import serial

    print("\n".join(summarize(serial.load(args.model), args.model)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
