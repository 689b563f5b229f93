"""Bring your own PyTorch: nn.Module as model, Dataset/DataLoader as data, and export."""

import numpy as np
import pytest
import torch

from pylearn2.config import yaml_parse
from pylearn2.datasets.torch_dataset import TorchDataset, data_loader
from pylearn2.models.torch_module import TorchModule
from pylearn2.scripts import cli
from pylearn2.scripts.export import export
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils import serial
from pylearn2.utils.exc import ConfigError

MODULE_YAML = """\
!obj:pylearn2.train.Train {
    dataset: &train !obj:pylearn2.datasets.digits.Digits { which_set: 'train', stop: 200 },
    model: !obj:pylearn2.models.torch_module.TorchModule {
        nvis: 64,
        layers: [!obj:torch.nn.Linear {in_features: 64, out_features: 16},
                 !obj:torch.nn.Tanh {}, !obj:torch.nn.Linear {in_features: 16, out_features: 10}],
    },
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate: 0.1, batch_size: 20,
        monitoring_dataset: { 'train': *train },
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 3 },
    },
    save_path: "${PYLEARN2_TRAIN_DIR}tm.pkl",
    save_freq: 1,
}
"""


def test_module_from_yaml_trains_saves_and_reloads(tmp_path, capsys):
    (tmp_path / "tm.yaml").write_text(MODULE_YAML)
    assert cli.main(["train", "-q", str(tmp_path / "tm.yaml")]) == 0
    model = serial.load(str(tmp_path / "tm.pkl"))
    monitor = model.monitor
    nll = monitor.channels["train_nll"].val_record
    assert nll[-1] < nll[0] and "train_misclass" in monitor.channels
    # the reloaded module computes what the trained one did: check against numpy
    data = yaml_parse.load("!obj:pylearn2.datasets.digits.Digits { which_set: 'train', stop: 200 }")
    X = data.X.astype(np.float64)
    W1, b1, W2, b2 = (p.detach().double().numpy() for p in model.module.parameters())
    logits = np.tanh(X @ W1.T + b1) @ W2.T + b2
    np.testing.assert_allclose(model.fprop(torch.from_numpy(data.X)).detach().numpy(), logits,
                               rtol=1e-4, atol=1e-5)
    log_p = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) \
        - logits.max(1, keepdims=True)
    labels = data.y.reshape(-1) if data.y.ndim == 1 or data.y.shape[1] == 1 else data.y.argmax(1)
    assert -log_p[np.arange(len(X)), labels].mean() == pytest.approx(nll[-1], rel=1e-4)
    assert cli.main(["summarize-model", str(tmp_path / "tm.pkl")]) == 0
    table = capsys.readouterr().out
    assert "Linear  Vector(64)" in table and "Vector(10)" in table
    assert "1,040" in table and "170" in table and "total trainable parameters: 1210" in table


def test_module_from_python_and_torch_dataset():
    torch.manual_seed(0)
    X = torch.randn(90, 5)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()
    data = TorchDataset(torch.utils.data.TensorDataset(X, y))
    assert data.X.shape == (90, 5) and data.y_labels == 3 and data.y.shape == (90, 1)
    loader_data = TorchDataset(data_loader(torch.utils.data.TensorDataset(X, y), batch_size=7))
    np.testing.assert_array_equal(loader_data.X, data.X)
    np.testing.assert_array_equal(loader_data.y, data.y)
    net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    model = TorchModule(net, nvis=5)
    assert model.get_output_space().dim == 3
    algorithm = SGD(learning_rate=0.2, batch_size=10, monitoring_dataset={"train": data},
                    termination_criterion=EpochCounter(15))
    Train(data, model, algorithm).main_loop()
    record = model.monitor.channels["train_misclass"].val_record
    assert record[-1] < record[0] and record[-1] < 0.35


class Squares(torch.utils.data.Dataset):
    """A user's map-style dataset: x -> (x, x^2 > 4 as a class)."""

    def __init__(self, n: int = 12) -> None:
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        x = torch.tensor([float(i), float(i) / 2])
        return x, int(i * i > 4)


def test_torch_dataset_from_yaml_through_data_loader():
    text = """\
!obj:pylearn2.datasets.torch_dataset.TorchDataset {
    dataset: !obj:pylearn2.datasets.torch_dataset.data_loader {
        dataset: !obj:test_experience_torch.Squares { n: 12 },
        batch_size: 5, shuffle: true, seed: 3,
    },
}
"""
    data = yaml_parse.load(text, allow="test_experience_torch")
    assert data.X.shape == (12, 2) and data.y_labels == 2
    order = data.X[:, 0].astype(int)
    assert sorted(order) == list(range(12)) and list(order) != list(range(12))  # shuffled
    np.testing.assert_array_equal(data.y[:, 0], (order * order > 4).astype(int))
    with pytest.raises(ConfigError, match="must be a torch.utils.data.Dataset"):
        yaml_parse.load("!obj:pylearn2.datasets.torch_dataset.data_loader { dataset: [1, 2] }")
    with pytest.raises(Exception, match="DataLoader"):
        yaml_parse.load("!obj:torch.utils.data.DataLoader { dataset: [] }")


def test_plain_module_where_a_model_is_expected_says_how_to_wrap():
    from pylearn2.train_checks import check_experiment

    data = TorchDataset(torch.utils.data.TensorDataset(torch.randn(10, 4), torch.zeros(10).long()))
    report = check_experiment(Train(data, torch.nn.Linear(4, 2), SGD(0.1, batch_size=5)))
    (problem,) = report.errors
    assert "plain torch.nn.Module (Linear)" in problem.message and "TorchModule" in problem.message


@pytest.fixture(scope="module")
def saved_mlp(tmp_path_factory):
    from pylearn2.models.mlp import MLP, RectifiedLinear, Softmax

    folder = tmp_path_factory.mktemp("export")
    model = MLP(nvis=6, layers=[RectifiedLinear(layer_name="h0", dim=5, irange=0.5),
                                Softmax(layer_name="y", n_classes=3, irange=0.5)], seed=3)
    path = folder / "mlp.pkl"
    serial.save(str(path), model)
    return model, path


def test_export_torchscript_runs_without_pylearn2_objects(saved_mlp, tmp_path):
    model, path = saved_mlp
    out = tmp_path / "m.pt"
    assert cli.main(["export", str(path), "--format", "torchscript", "-o", str(out)]) == 0
    program = torch.jit.load(str(out))
    x = torch.randn(11, 6)
    torch.testing.assert_close(program(x), model.fprop(x).detach())


def test_export_state_dict_loads_into_a_plain_module(saved_mlp, tmp_path):
    from safetensors.torch import load_file

    model, path = saved_mlp
    out = export(serial.load(str(path)), "state_dict", str(tmp_path / "m.safetensors"))
    tensors = load_file(out)
    assert set(tensors) == set(model.state_dict())
    for key, value in model.state_dict().items():
        torch.testing.assert_close(tensors[key], value)


def test_export_onnx_matches_the_model(saved_mlp, tmp_path):
    pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator

    model, path = saved_mlp
    out = tmp_path / "m.onnx"
    assert cli.main(["export", str(path), "--format", "onnx", "-o", str(out)]) == 0
    x = np.random.default_rng(0).normal(size=(7, 6)).astype(np.float32)
    (got,) = ReferenceEvaluator(str(out)).run(None, {"features": x})
    np.testing.assert_allclose(got, model.fprop(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
