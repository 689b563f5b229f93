"""YAML experiment files: a safe YAML loader plus pylearn2's tags.

Tags:

- ``!obj:pkg.mod.Name {key: value, ...}``: call ``pkg.mod.Name(**mapping)``;
- ``!import pkg.mod.name`` / ``!import:pkg.mod.name``: the named object itself;
- ``!pkl: 'path'``: a saved model file (or ``.npy``/``.npz`` array), loaded without pickle;
- ``!float '1e-3'``; unquoted scientific notation such as ``1e-3`` is a float too.

Every string (dict keys included) gets ``${VAR}`` substitution from ``environ`` and then
``os.environ`` when the graph is built. An anchor on an ``!obj:`` node gives the same
instance at every alias. Built objects get ``yaml_src``, the YAML text of their node, which
the model keeps for its training dataset so analysis tools can rebuild it.

Only names defined in allowed modules are reachable (see pylearn2.utils.allowlist).
Mistakes raise :class:`ConfigError` naming the file and line and suggesting a fix.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from pylearn2.utils import allowlist, limits, serial
from pylearn2.utils.exc import ConfigError, Pylearn2Error, did_you_mean
from pylearn2.utils.init_args import effective_parameters
from pylearn2.utils.serial import write_guard
from pylearn2.utils.string_utils import preprocess

log = logging.getLogger(__name__)

__all__ = ["YAMLConfigError", "load", "load_path", "load_train_file", "preprocess",
           "train_file_environ"]

SCIENTIFIC_NOTATION = re.compile(r"^[-+]?(\d+\.?\d*|\d*\.?\d+)?[eE][-+]?\d+$")


class YAMLConfigError(ConfigError):
    """A problem in a YAML experiment file, located by file and line."""


class _Where:
    """A location in a YAML file, printed as 'file:line'."""

    def __init__(self, source: str, mark: Any) -> None:
        self.source = source
        self.line = None if mark is None else mark.line + 1

    def __str__(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


class _LocatedStr(str):
    """A YAML string that remembers where it was written (for error messages)."""

    where: _Where


class Proxy:
    """A call to make later: ``!obj:`` before instantiation (hashed by identity)."""

    def __init__(self, path: str, kwargs: dict[str, Any], yaml_src: str, where: _Where) -> None:
        self.path, self.kwargs, self.yaml_src, self.where = path, kwargs, yaml_src, where


class _Import:
    def __init__(self, path: str, where: _Where) -> None:
        self.path, self.where = path, where


class _Pickle:
    def __init__(self, path: str, yaml_src: str, where: _Where) -> None:
        self.path, self.yaml_src, self.where = path, yaml_src, where


def _make_loader(source: str) -> type:
    """A SafeLoader subclass bound to ``source`` (the file name used in messages)."""

    class Loader(yaml.SafeLoader):
        pass

    resolvers = yaml.SafeLoader.yaml_implicit_resolvers
    Loader.yaml_implicit_resolvers = {k: list(v) for k, v in resolvers.items()}
    Loader.add_implicit_resolver("tag:yaml.org,2002:float", SCIENTIFIC_NOTATION,
                                 list("-+0123456789."))

    def where(node: yaml.Node) -> _Where:
        return _Where(source, node.start_mark)

    def construct_mapping(loader: Any, node: yaml.Node, deep: bool = False) -> dict:
        if not isinstance(node, yaml.MappingNode):
            raise YAMLConfigError(f"{where(node)}: expected a mapping here.")
        loader.flatten_mapping(node)
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise YAMLConfigError(f"{where(key_node)}: a mapping key must be a plain value.") \
                    from None
            if key in seen:
                raise YAMLConfigError(
                    f"{where(key_node)}: duplicate key {key!r} (first given on line "
                    f"{seen[key]}); keep only one."
                )
            seen[key] = key_node.start_mark.line + 1
        return yaml.SafeLoader.construct_mapping(loader, node, deep=True)

    Loader.construct_mapping = construct_mapping

    def construct_yaml_map(loader: Any, node: yaml.Node):
        data: dict = {}
        yield data
        data.update(loader.construct_mapping(node))

    Loader.add_constructor("tag:yaml.org,2002:map", construct_yaml_map)

    def obj(loader: Any, suffix: str, node: yaml.Node) -> Proxy:
        if not isinstance(node, yaml.MappingNode):
            raise YAMLConfigError(
                f"{where(node)}: !obj:{suffix} must be followed by a mapping of keyword "
                "arguments, e.g. !obj:pylearn2.models.mlp.MLP { nvis: 784, layers: [...] }."
            )
        kwargs = loader.construct_mapping(node)
        for key_node, _ in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                raise YAMLConfigError(f"{where(key_node)}: argument names of !obj:{suffix} must "
                                      f"be strings, got {key!r}.")
        return Proxy(suffix, kwargs, _node_source(node), where(node))

    def import_multi(loader: Any, suffix: str, node: yaml.Node) -> _Import:
        return _Import(suffix, where(node))

    def import_scalar(loader: Any, node: yaml.Node) -> _Import:
        return _Import(loader.construct_scalar(node), where(node))

    def pkl(loader: Any, suffix: str, node: yaml.Node) -> _Pickle:
        if suffix:
            raise YAMLConfigError(f"{where(node)}: write a space between !pkl: and the file "
                                  "name, e.g. !pkl: 'model.pkl'.")
        return _Pickle(loader.construct_scalar(node), _node_source(node), where(node))

    def float_scalar(loader: Any, node: yaml.Node) -> float:
        text = loader.construct_scalar(node)
        try:
            return float(text)
        except ValueError:
            raise YAMLConfigError(f"{where(node)}: !float expects a number, got {text!r}.") \
                from None

    def located_str(loader: Any, node: yaml.Node) -> str:
        text = _LocatedStr(loader.construct_scalar(node))
        text.where = where(node)
        return text

    Loader.add_constructor("tag:yaml.org,2002:str", located_str)
    Loader.add_multi_constructor("!obj:", obj)
    Loader.add_multi_constructor("!import:", import_multi)
    Loader.add_constructor("!import", import_scalar)
    Loader.add_multi_constructor("!pkl:", pkl)
    Loader.add_constructor("!float", float_scalar)
    return Loader


def _node_source(node: yaml.Node) -> str:
    """Standalone YAML text for ``node`` (aliases resolved, ${VAR} left as written)."""
    return yaml.serialize(node, Dumper=yaml.SafeDumper).strip()


# -- public API -------------------------------------------------------------------------------
def load(stream: Any, environ: Mapping[str, str] | None = None, instantiate: bool = True,
         source: str | None = None, allow: str | Iterable[str] | None = None,
         **kwargs: Any) -> Any:
    """Parse YAML text (or a file object) and, unless ``instantiate`` is False, build it.

    ``environ`` values take precedence over os.environ for ``${VAR}``; ``source`` is the
    name used in error messages; ``allow`` names extra packages allowed for this call
    only. Other keyword arguments are accepted for compatibility and ignored: the loader
    is always the safe one.
    """
    text = stream.read() if hasattr(stream, "read") else stream
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if not isinstance(text, str):
        raise ConfigError(f"YAML input must be text, got {type(text).__name__}.")
    source = source or getattr(stream, "name", None) or "<string>"
    with allowlist.allowing(allow):
        return _parse_and_build(text, source, environ, instantiate)


def _parse_and_build(text: str, source: str, environ: Mapping[str, str] | None,
                     instantiate: bool) -> Any:
    try:
        graph = _load_bounded(text, _make_loader(source), source)
    except Pylearn2Error:
        raise
    except RecursionError:
        raise YAMLConfigError(f"{source}: the YAML document is nested too deeply to read (limit "
                              f"{limits.max_nesting()} levels).") from None
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as err:
        raise YAMLConfigError(f"{source}: a YAML value could not be read ({type(err).__name__}: "
                              f"{limits.quote(str(err))}); check the tags and values.") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        context = getattr(err, "context", None)
        problem = f"{context}; {problem}" if context else problem
        raise YAMLConfigError(f"{_Where(source, mark)}: YAML syntax error: {problem}. Check "
                              "indentation, brackets and quotes there.") from None
    if not instantiate:
        return graph
    try:
        with write_guard.building_yaml(source):  # files written meanwhile: output roots only
            return _Builder(environ or {}).build(graph)
    except RecursionError:  # e.g. an alias that contains itself (&a [*a])
        raise YAMLConfigError(f"{source}: the document refers to itself through an alias or is "
                              "nested too deeply to build.") from None


MAX_EXPANDED_NODES = 1_000_000


def _load_bounded(text: str, loader_class: Any, source: str) -> Any:
    """Parse like ``yaml.load``, refusing deep nesting and alias bombs before building."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_node_bounds(node, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_node_bounds(root: yaml.Node, source: str) -> None:
    """Nesting depth and size with every alias expanded, computed without expanding."""
    depth_cap = limits.max_nesting()
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if depth > depth_cap:
            raise YAMLConfigError(f"{_Where(source, node.start_mark)}: the YAML document is "
                                  f"nested more than {depth_cap} levels deep; set "
                                  "PYLEARN2_MAX_NESTING higher if this is intended.")
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) \
            else list(node.value)
        if children_done:
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[id(node)] = total
            if total > MAX_EXPANDED_NODES:
                raise YAMLConfigError(
                    f"{_Where(source, node.start_mark)}: with its aliases (*name) expanded this "
                    f"YAML node holds more than {MAX_EXPANDED_NODES} values; aliases may not be "
                    "used to build huge documents.")
            continue
        if id(node) in sizes:
            continue
        sizes[id(node)] = 0  # a node reached again while open is a recursive alias
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)


def load_path(path: str, environ: Mapping[str, str] | None = None, instantiate: bool = True,
              hyperparams: Mapping[str, Any] | None = None,
              allow: str | Iterable[str] | None = None,
              **kwargs: Any) -> Any:
    """Load a YAML file; ``hyperparams`` fills ``%(name)s`` placeholders first."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such YAML file.") from None
    if hyperparams is not None:
        try:
            text = text % dict(hyperparams)
        except KeyError as err:
            raise ConfigError(f"{path}: template placeholder %({err.args[0]})s has no value "
                              "in hyperparams.") from None
    elif re.search(r"%\(\w+\)[sdif]", text):
        raise ConfigError(f"{path}: this file is a template with %(name)s placeholders; fill "
                          "them from Python with load_path(path, hyperparams={...}).")
    return load(text, environ=environ, instantiate=instantiate, source=path, allow=allow)


def train_file_environ(config_file_path: str) -> dict[str, str]:
    """The PYLEARN2_TRAIN_* variables for a YAML file path."""
    directory, base = os.path.split(config_file_path)
    stem = base[:-5] if base.endswith(".yaml") else os.path.splitext(base)[0]
    full_stem = config_file_path[:-5] if config_file_path.endswith(".yaml") \
        else os.path.splitext(config_file_path)[0]
    return {
        "PYLEARN2_TRAIN_FILE_FULL_STEM": full_stem,
        "PYLEARN2_TRAIN_DIR": directory + os.sep if directory else "",
        "PYLEARN2_TRAIN_BASE_NAME": base,
        "PYLEARN2_TRAIN_FILE_STEM": stem,
    }


def load_train_file(config_file_path: str, environ: Mapping[str, str] | None = None,
                    allow: str | Iterable[str] | None = None) -> Any:
    """Set the PYLEARN2_TRAIN_* environment variables from the path, then load the file."""
    os.environ.update(train_file_environ(config_file_path))
    return load_path(config_file_path, environ=environ, allow=allow)


class _Builder:
    """Turns the parsed graph into objects, memoising proxies so aliases share instances."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.memo: dict[int, Any] = {}

    def build(self, node: Any, where: _Where | None = None) -> Any:
        if isinstance(node, (Proxy, _Import, _Pickle, list, dict)) and id(node) in self.memo:
            return self.memo[id(node)]
        if isinstance(node, Proxy):
            result = self._call(node)
        elif isinstance(node, _Import):
            result = self._resolve(self._sub(node.path, node.where), node.where)
        elif isinstance(node, _Pickle):
            result = self._unpickle(node)
        elif isinstance(node, dict):
            result = {self.build(k, where): self.build(v, where) for k, v in node.items()}
        elif isinstance(node, list):
            result = [self.build(v, where) for v in node]
        elif isinstance(node, str):
            return self._sub(node, getattr(node, "where", where))
        else:
            return node
        self.memo[id(node)] = result
        return result

    def _sub(self, text: str, where: _Where | None) -> str:
        where = getattr(text, "where", where)
        try:
            return str(preprocess(text, self.environ))
        except Pylearn2Error as err:
            raise _located(err, where) from None

    def _resolve(self, path: str, where: _Where) -> Any:
        try:
            return allowlist.resolve(path)
        except Pylearn2Error as err:
            raise _located(err, where) from None
        except ImportError as err:
            raise YAMLConfigError(f"{where}: cannot import {path!r}: {err}.") from None

    def _unpickle(self, node: _Pickle) -> Any:
        path = self._sub(node.path, node.where)
        if os.path.exists(path) and not os.path.isfile(path):
            raise YAMLConfigError(f"{node.where}: !pkl: {limits.quote(path)} is not a regular "
                                  "file (a directory, FIFO or device); name a saved model file.")
        try:
            obj = serial.load(path)
        except FileNotFoundError:
            raise YAMLConfigError(f"{node.where}: !pkl: file {path!r} does not exist; check the "
                                  "path (after ${VAR} substitution).") from None
        except Pylearn2Error as err:
            raise _located(err, node.where) from None
        _set_yaml_src(obj, node.yaml_src)
        return obj

    def _call(self, proxy: Proxy) -> Any:
        target = self._resolve(self._sub(proxy.path, proxy.where), proxy.where)
        kwargs = {self._sub(k, proxy.where): self.build(v, proxy.where)
                  for k, v in proxy.kwargs.items()}
        _check_arguments(target, proxy.path, kwargs, proxy.where)
        try:
            obj = target(**kwargs)
        except Pylearn2Error as err:
            raise _located(err, proxy.where) from None
        except Exception as err:
            raise YAMLConfigError(
                f"{proxy.where}: building {proxy.path} failed: {type(err).__name__}: {err}. "
                f"Check the arguments given to {proxy.path} there."
            ) from err
        _set_yaml_src(obj, proxy.yaml_src)
        return obj


def _set_yaml_src(obj: Any, src: str) -> None:
    try:
        obj.yaml_src = src
    except (AttributeError, TypeError):
        pass


def _located(err: Pylearn2Error, where: _Where | None) -> Pylearn2Error:
    """The same error, its message prefixed with the file and line (once)."""
    if where is not None and not str(err).startswith(where.source):
        err.args = (f"{where}: {err}",) + err.args[1:]
    return err


def _check_arguments(target: Any, path: str, kwargs: dict[str, Any], where: _Where) -> None:
    params = effective_parameters(target)
    if params is None:
        return
    for name in kwargs:
        if name not in params:
            raise YAMLConfigError(
                f"{where}: {path} has no argument {name!r}.{did_you_mean(name, params)} "
                f"Its arguments are: {', '.join(params) or '(none)'}."
            )
    missing = [n for n, p in params.items() if p.default is inspect.Parameter.empty
               and n not in kwargs and n != "self"]
    if missing:
        raise YAMLConfigError(f"{where}: {path} is missing required argument(s): "
                              f"{', '.join(missing)}.")


serial.register_train_file_loader(load_train_file)


def load_recorded_dataset(yaml_src: str, source: str) -> Any:
    """Rebuild a dataset recorded in a model file, through the same allowlist as any YAML.

    Logs which classes it is about to construct first, so opening someone else's model
    never builds anything silently.
    """
    names = sorted(set(re.findall(r"!(?:obj|import|pkl):\s*([^\s{]*)", yaml_src)))
    shown = ", ".join(limits.quote(n, 60) for n in names[:8]) + (" ..." if len(names) > 8 else "")
    log.info("Rebuilding the training dataset recorded in %s (it names: %s).", source,
             shown or "no classes")
    return load(yaml_src, source=f"{source} (dataset.yaml)")
