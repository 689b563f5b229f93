"""Breadth: how many of the original Pylearn2's public classes in models, costs, datasets and
training_algorithms import here at the original dotted path and accept the original's
constructor argument names (the list: tests/data/original_public_classes.json)."""

import importlib
import inspect
import json
from pathlib import Path

from test_original_arguments import accepted_names

DATA = json.loads((Path(__file__).parent / "data" / "original_public_classes.json").read_text())
CLASSES = DATA["classes"]
TARGET = 0.95

# what is left out on purpose, with the reason; the test fails when anything else is missing
LEFT_OUT: dict[str, str] = {}  # every listed class imports now; add a reason to leave one out


def check(path, args):
    """None when ``path`` imports and takes ``args``, else the reason it does not."""
    module_name, _, name = path.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module_name), name)
    except ImportError as err:
        return f"module does not import ({err})"
    except AttributeError:
        return f"{module_name} has no {name}"
    if not inspect.isclass(obj):
        return f"{name} is a {type(obj).__name__}, not a class"
    if args:
        names, _ = accepted_names(obj)
        lacking = [a for a in args if a not in names]
        if lacking:
            return f"lacks argument(s) {lacking}"
    return None


def coverage():
    problems = {path: check(path, entry["args"]) for path, entry in CLASSES.items()}
    return {path: why for path, why in problems.items() if why is not None}


def test_the_list_covers_the_four_packages():
    packages = {p.split(".")[1] for p in CLASSES}
    assert packages == {"models", "costs", "datasets", "training_algorithms"}
    assert len(CLASSES) >= 240
    assert sum(entry["args"] is not None for entry in CLASSES.values()) >= 100
    for path in ("pylearn2.models.mlp.MLP", "pylearn2.models.maxout.Maxout",
                 "pylearn2.datasets.svhn.SVHN", "pylearn2.training_algorithms.sgd.SGD",
                 "pylearn2.costs.mlp.dropout.Dropout", "pylearn2.datasets.preprocessing.ZCA"):
        assert path in CLASSES


def test_at_least_95_percent_of_the_original_classes_are_here():
    missing = coverage()
    found = len(CLASSES) - len(missing)
    share = found / len(CLASSES)
    report = "\n".join(f"  {path}: {why}" for path, why in sorted(missing.items()))
    print(f"\n{found} of {len(CLASSES)} original classes import at the original path with the "
          f"original's argument names ({100 * share:.1f}%); missing:\n{report or '  none'}")
    assert share >= TARGET, report
    unexpected = sorted(set(missing) - set(LEFT_OUT))
    assert not unexpected, "newly missing:\n" + "\n".join(f"  {p}: {missing[p]}"
                                                          for p in unexpected)


def test_the_check_fails_on_a_missing_class_or_argument():
    assert check("pylearn2.models.mlp.NoSuchLayer", None) == "pylearn2.models.mlp has no NoSuchLayer"
    assert "does not import" in check("pylearn2.no_such_module.Thing", None)
    assert check("pylearn2.models.mlp.Linear", ["dim", "not_an_argument"]) == \
        "lacks argument(s) ['not_an_argument']"
    assert check("pylearn2.models.mlp.Linear", ["dim", "layer_name", "extensions"]) is None
