"""format.target_format, the pylearn2.utils helpers and utils.rng's seeding helpers."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from pylearn2.format.target_format import OneHotFormatter, compressed_one_hot, convert_to_one_hot
from pylearn2.utils import (
    as_floatX,
    block_gradient,
    contains_inf,
    contains_nan,
    isfinite,
    safe_izip,
    safe_union,
    safe_update,
    safe_zip,
    sharedX,
    subdict,
    wraps,
)
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.rng import make_np_rng, make_rng, make_theano_rng, make_torch_rng


def _one_hot_reference(targets, n):
    targets = np.atleast_2d(targets)
    out = np.zeros(targets.shape + (n,))
    for i in range(targets.shape[0]):
        for j in range(targets.shape[1]):
            out[i, j, targets[i, j]] = 1
    return out


def test_one_hot_modes_dense_sparse_and_torch():
    labels = np.array([[0, 2], [1, 1], [3, 0]])
    fmt = OneHotFormatter(4)
    ref = _one_hot_reference(labels, 4)
    np.testing.assert_array_equal(fmt.format(labels, mode="stack"), ref)
    np.testing.assert_array_equal(fmt.format(labels, mode="concatenate"), ref.reshape(3, 8))
    np.testing.assert_array_equal(fmt.format(labels, mode="merge"), (ref.sum(1) > 0) * 1.0)
    np.testing.assert_array_equal(fmt.format(labels, mode="concatenate", sparse=True).toarray(),
                                  ref.reshape(3, 8))
    np.testing.assert_array_equal(fmt.format(labels, mode="merge", sparse=True).toarray(),
                                  (ref.sum(1) > 0) * 1.0)
    vec = np.array([3, 0, 1])
    np.testing.assert_array_equal(fmt.format(vec), np.eye(4)[vec])
    assert fmt.format(vec).dtype == np.float32
    for mode in ("stack", "concatenate", "merge"):
        np.testing.assert_array_equal(fmt.torch_expr(torch.as_tensor(labels), mode).numpy(),
                                      fmt.format(labels, mode=mode))
    np.testing.assert_array_equal(fmt.theano_expr(torch.as_tensor(vec)).numpy(), np.eye(4)[vec])
    with pytest.raises(ConfigError, match="integer"):
        fmt.format(np.array([0.5]))
    with pytest.raises(ConfigError, match="0..3"):
        fmt.format(np.array([4]))
    with pytest.raises(ConfigError, match="stacked"):
        fmt.format(labels, sparse=True)
    with pytest.raises(ConfigError, match="max_labels"):
        OneHotFormatter(0)


def test_convert_and_compressed_one_hot():
    np.testing.assert_array_equal(convert_to_one_hot([2, 0, 1]), np.eye(3)[[2, 0, 1]])
    codes, uniq = compressed_one_hot(np.array([7, 3, 7, 9]))
    np.testing.assert_array_equal(uniq, [3, 7, 9])
    np.testing.assert_array_equal(codes, np.eye(3)[[1, 0, 1, 2]])
    binary, uniq2 = compressed_one_hot(np.array([5, 8, 8]))
    np.testing.assert_array_equal(uniq2, [5, 8])
    np.testing.assert_array_equal(binary, [[0], [1], [1]])
    full, _ = compressed_one_hot(np.array([5, 8, 8]), simplify_binary=False)
    assert full.shape == (3, 2)


def test_list_and_dict_helpers():
    assert safe_zip([1, 2], "ab") == [(1, "a"), (2, "b")]
    with pytest.raises(ValueError, match="different lengths"):
        safe_zip([1, 2], [1])
    with pytest.raises(ValueError):
        list(safe_izip([1, 2], [1]))
    assert safe_union([3, 1, 3], [2, 1, 4]) == [3, 1, 2, 4]
    with pytest.raises(TypeError):
        safe_union((1,), [2])
    d = {"a": 1}
    assert safe_update(d, {"b": 2}) == {"a": 1, "b": 2}
    with pytest.raises(KeyError, match="a"):
        safe_update(d, {"a": 3})
    assert subdict({"a": 1, "b": 2, "c": 3}, ["a", "c", "z"]) == {"a": 1, "c": 3}
    assert contains_nan(np.array([1.0, np.nan])) and not contains_nan(torch.ones(2))
    assert contains_inf(torch.tensor([1.0, -np.inf])) and not isfinite([1.0, np.inf])
    assert isfinite(np.ones(3))


def test_tensor_helpers_and_wraps():
    w = sharedX(np.arange(3), name="W")
    assert w.dtype == torch.float32 and w.requires_grad and w.name == "W"
    np.testing.assert_array_equal(w.get_value(), [0, 1, 2])
    w.set_value([5.0, 6.0, 7.0])
    assert w.sum().item() == 18.0 and copy.deepcopy(w).name == "W"
    x = torch.ones(2, requires_grad=True)
    (block_gradient(x * 2).sum() + x.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    assert as_floatX(3).dtype == np.float32 and as_floatX(torch.ones(1, dtype=torch.float64)).dtype \
        == torch.float32

    def base(a):
        """Base doc."""

    @wraps(base, append_docstring=" More.")
    def override(a):
        return a

    assert override.__doc__ == "Base doc. More." and override.__name__ == "base"


def test_rng_helpers():
    a = make_np_rng(None, 7).randn(3)
    np.testing.assert_array_equal(a, np.random.RandomState(7).randn(3))
    np.testing.assert_array_equal(make_np_rng().randn(2), np.random.RandomState(42).randn(2))
    np.testing.assert_array_equal(make_np_rng(5, 7).randn(2), np.random.RandomState(5).randn(2))
    given = np.random.RandomState(0)
    assert make_np_rng(given, which_method="randn") is given
    assert make_rng([1, 2], constructor=np.random.RandomState).randint(100) == \
        np.random.RandomState([1, 2]).randint(100)
    g = make_torch_rng(None, 3)
    torch.testing.assert_close(torch.rand(3, generator=g),
                               torch.rand(3, generator=torch.Generator().manual_seed(3)))
    gen = torch.Generator()
    assert make_theano_rng(gen) is gen
    assert isinstance(make_torch_rng([2012, 1]), torch.Generator)
    with pytest.raises(ConfigError, match="seed"):
        make_np_rng("not a seed")


def test_callback_op_grad_and_get_choice():
    from pylearn2.utils import CallbackOp, get_choice, grad

    seen = []
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = CallbackOp(seen.append)(x * 3)
    np.testing.assert_array_equal(seen[0], [3.0, 6.0])
    g = grad((y ** 2).sum(), x)
    np.testing.assert_allclose(g.numpy(), 18 * x.detach().numpy())
    w = torch.ones(2, requires_grad=True)
    gx, gw = grad((x * w).sum(), [x, w])
    np.testing.assert_array_equal(gw.numpy(), [1.0, 2.0])
    answers = iter(["maybe", " y "])
    prompts = []

    def ask(prompt):
        prompts.append(prompt)
        return next(answers)

    assert get_choice({"y": "yes", "n": "no"}, ask) == "y"
    assert "y: yes" in prompts[0] and "not one of" in prompts[1]
