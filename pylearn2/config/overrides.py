"""Command-line overrides, seeding and the resolved text of a YAML experiment.

``apply_overrides(graph, ["algorithm.learning_rate=0.1", "model.layers[0].dim=256"])``
edits the parsed (not yet built) experiment: dotted paths walk ``!obj:`` arguments,
mappings and lists (``[i]``); values are parsed as YAML with the same tags as the file,
so ``model.layers[1]=!obj:pylearn2.models.mlp.Softmax {...}`` works. A path that does not
exist is refused with a did-you-mean; a new argument may be added to an ``!obj:`` when
its constructor accepts it.

``seed_everything(graph, seed)`` gives every ``seed``/``rng`` constructor argument in the
experiment a number derived from one seed (and the argument's path), and seeds torch,
numpy and random; ``resolved_yaml(graph)`` is the experiment after overrides and
``${VAR}`` substitution, which every run saves beside its outputs.
"""

from __future__ import annotations

import inspect
import random
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import yaml

from pylearn2.config import yaml_parse
from pylearn2.config.yaml_parse import Proxy, YAMLConfigError, _Import, _Pickle
from pylearn2.utils import allowlist
from pylearn2.utils.exc import ConfigError, Pylearn2Error, did_you_mean
from pylearn2.utils.init_args import effective_parameters
from pylearn2.utils.string_utils import preprocess

__all__ = ["apply_overrides", "build", "iter_nodes", "parse_path", "resolved_yaml",
           "seed_everything", "SEED_ARGUMENTS"]

SEED_ARGUMENTS = ("seed", "rng")
_STEP = re.compile(r"\.?([A-Za-z_][\w-]*)|\[(-?\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """``'model.layers[0].dim'`` -> ``['model', 'layers', 0, 'dim']``."""
    steps: list[str | int] = []
    position = 0
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None or (position == 0 and path.startswith(".")):
            raise ConfigError(f"Override path {path!r} is not of the form a.b[0].c (error at "
                              f"character {position + 1}).")
        steps.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        position = match.end()
    if not steps:
        raise ConfigError("An override needs a path before '=', e.g. algorithm.learning_rate=0.1.")
    return steps


def _split(override: str) -> tuple[str, str]:
    path, equals, value = override.partition("=")
    if not equals:
        raise ConfigError(f"Override {override!r} has no '='; write PATH=VALUE, e.g. "
                          "algorithm.learning_rate=0.1.")
    return path.strip(), value.strip()


def _children(node: Any) -> dict:
    """The editable mapping below ``node`` (a Proxy's arguments or a plain dict)."""
    return node.kwargs if isinstance(node, Proxy) else node


def _accepted_arguments(node: Proxy) -> dict[str, inspect.Parameter] | None:
    try:
        return effective_parameters(allowlist.resolve(preprocess(node.path)))
    except (Pylearn2Error, ImportError):
        return None


def _describe(trail: Sequence[str | int]) -> str:
    text = ""
    for step in trail:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text or "the top level"


def apply_overrides(graph: Any, overrides: Sequence[str], source: str = "<command line>") -> Any:
    """Apply ``PATH=VALUE`` overrides to a parsed experiment; returns the (new) graph."""
    for override in overrides:
        path, text = _split(override)
        steps = parse_path(path)
        value = yaml_parse.load(text, instantiate=False, source=f"override {path}") \
            if text else None
        graph = _set(graph, steps, value, override)
    return graph


def _set(graph: Any, steps: list[str | int], value: Any, override: str) -> Any:
    if not steps:
        return value
    node = graph
    for depth, step in enumerate(steps):
        last = depth == len(steps) - 1
        here = _describe(steps[:depth])
        if isinstance(step, int):
            if not isinstance(node, list):
                raise ConfigError(f"Override {override!r}: {here} is not a list, so [{step}] "
                                  "cannot index it.")
            if not -len(node) <= step < len(node):
                raise ConfigError(f"Override {override!r}: {here} has {len(node)} items; "
                                  f"index {step} is out of range.")
            if last:
                node[step] = value
            else:
                node = node[step]
            continue
        if not isinstance(node, (Proxy, dict)):
            raise ConfigError(f"Override {override!r}: {here} is a {_kind(node)}, which has no "
                              f"key {step!r}.")
        children = _children(node)
        if step not in children:
            accepted = _accepted_arguments(node) if isinstance(node, Proxy) else None
            if last and accepted is not None and step in accepted:
                children[step] = value  # an argument the file left at its default
                return graph
            known = list(children) + [n for n in (accepted or {}) if n not in children]
            where = f" ({node.path})" if isinstance(node, Proxy) else ""
            raise ConfigError(f"Override {override!r}: {here}{where} has no key {step!r}."
                              f"{did_you_mean(step, known)} Known: {', '.join(map(str, known))}.")
        if last:
            key = next(k for k in children if k == step)
            children[key] = value
        else:
            node = children[step]
    return graph


def _kind(node: Any) -> str:
    if isinstance(node, Proxy):
        return f"!obj:{node.path}"
    return type(node).__name__


# -- walking and seeding -------------------------------------------------------------------
def iter_nodes(graph: Any, trail: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every node of the parsed graph with its path, each shared (anchored) node once."""
    seen: set[int] = set()
    stack = [(trail, graph)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, (Proxy, dict, list)):
            if id(node) in seen:
                continue
            seen.add(id(node))
        yield path, node
        if isinstance(node, (Proxy, dict)):
            items = list(_children(node).items())
            stack.extend((path + (str(k),), v) for k, v in reversed(items))
        elif isinstance(node, list):
            stack.extend((path + (i,), v) for i, v in reversed(list(enumerate(node))))


def derived_seed(seed: int, path: Sequence[str | int]) -> int:
    """A seed for one argument: the global seed mixed with the argument's path."""
    return (int(seed) * 1_000_003 + zlib.crc32(_describe(path).encode())) % (2 ** 31 - 1)


def seed_everything(graph: Any, seed: int) -> dict[str, int]:
    """Seed every seeded constructor argument and the global generators from ``seed``.

    Returns ``{path: seed}`` for the record (run.json, the log).
    """
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    torch.manual_seed(seed)
    chosen: dict[str, int] = {}
    for path, node in list(iter_nodes(graph)):
        if not isinstance(node, Proxy):
            continue
        accepted = _accepted_arguments(node) or {}
        for name in SEED_ARGUMENTS:
            if name in accepted or name in node.kwargs:
                value = derived_seed(seed, path + (name,))
                node.kwargs[name] = value
                chosen[_describe(path + (name,))] = value
    return chosen


# -- building and printing -----------------------------------------------------------------
class LocatingBuilder(yaml_parse._Builder):
    """The YAML builder, also remembering which node built each object (for dry runs)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        super().__init__(environ)
        self.nodes: dict[int, Proxy] = {}

    def _call(self, proxy: Proxy) -> Any:
        obj = super()._call(proxy)
        self.nodes[id(obj)] = proxy
        return obj


def build(graph: Any, environ: Mapping[str, str] | None = None) -> tuple[Any, LocatingBuilder]:
    """Build a parsed (possibly overridden) experiment; also returns the builder."""
    builder = LocatingBuilder(environ or {})
    return builder.build(graph), builder


class _Dumper(yaml.SafeDumper):
    pass


def resolved_yaml(graph: Any, environ: Mapping[str, str] | None = None) -> str:
    """The experiment as YAML text after overrides and ``${VAR}`` substitution."""
    environ = environ or {}

    def sub(text: str) -> str:
        return preprocess(str(text), environ)

    dumper = type("ResolvedDumper", (_Dumper,), {})

    def represent_proxy(d: Any, node: Proxy) -> yaml.Node:
        return d.represent_mapping(f"!obj:{sub(node.path)}", node.kwargs)

    def represent_import(d: Any, node: _Import) -> yaml.Node:
        return d.represent_scalar("!import", sub(node.path))

    def represent_pickle(d: Any, node: _Pickle) -> yaml.Node:
        return d.represent_scalar("!pkl:", sub(node.path), style="'")

    def represent_str(d: Any, text: str) -> yaml.Node:
        return d.represent_str(sub(text))

    dumper.add_representer(Proxy, represent_proxy)
    dumper.add_representer(_Import, represent_import)
    dumper.add_representer(_Pickle, represent_pickle)
    dumper.add_representer(yaml_parse._LocatedStr, represent_str)
    dumper.add_representer(str, represent_str)
    try:
        return yaml.dump(graph, Dumper=dumper, sort_keys=False, default_flow_style=False,
                         width=100)
    except yaml.YAMLError as err:  # pragma: no cover - only for values YAML cannot hold
        raise YAMLConfigError(f"Cannot write the resolved experiment: {err}") from None
