"""Every example YAML runs end to end with tiny settings (fake MNIST files, one epoch)."""

import re
from pathlib import Path

import pytest
import torch
from helpers import write_fake_mnist

from pylearn2.config import yaml_parse
from pylearn2.utils import serial

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MNIST_EXAMPLES = ["mnist_mlp.yaml", "softmax_regression.yaml", "mlp_tutorial_part_2.yaml",
                  "mlp_tutorial_part_3.yaml", "mlp_tutorial_part_4.yaml", "mnist_conv.yaml",
                  "mnist_maxout.yaml"]


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """Tiny MNIST-format files: 120 train and 40 test images with learnable labels."""
    write_fake_mnist(tmp_path / "data", train=120, test=40)
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path / "data"))
    yield tmp_path
    from pylearn2.utils import mnist_ubyte

    mnist_ubyte._cached.cache_clear()


def shrink(text: str) -> str:
    """The same experiment at toy size: fewer examples, units, epochs."""
    text = text.replace("start: 0, stop: 50000", "start: 0, stop: 100")
    text = text.replace("start: 50000, stop: 60000", "start: 100, stop: 120")
    text = re.sub(r"dim: (500|1000)", "dim: 20", text)
    text = re.sub(r"(output_channels|num_units): \d+", r"\1: 4", text)
    text = re.sub(r"batch_size: \d+", "batch_size: 50", text)
    text = re.sub(r"max_epochs: \d+", "max_epochs: 2", text)
    text = re.sub(r"saturate: \d+", "saturate: 2", text)
    return re.sub(r"termination_criterion: !obj:pylearn2.termination_criteria.MonitorBased \{[^}]*\}",
                  "termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter "
                  "{max_epochs: 2}", text)


@pytest.mark.parametrize("name", MNIST_EXAMPLES)
def test_mnist_example_runs_tiny(name, fake_mnist):
    config = fake_mnist / name
    config.write_text(shrink((EXAMPLES / name).read_text()))
    job = yaml_parse.load_train_file(str(config))
    job.main_loop()
    saved = serial.load(job.save_path)
    monitor = saved.monitor
    assert monitor.get_epochs_seen() == 2
    assert {"valid_y_misclass", "test_y_misclass"} <= set(monitor.channels)
    best = Path(job.save_path.replace(".pkl", "_best.pkl"))
    assert best.exists()
    rebuilt = yaml_parse.load(saved.dataset_yaml_src)
    assert rebuilt.get_num_examples() == 100


def test_digits_demo_example_runs_tiny(tmp_path):
    text = (EXAMPLES / "digits_mlp.yaml").read_text()
    text = re.sub(r"max_epochs: \d+", "max_epochs: 1", text).replace("dim: 300", "dim: 10")
    config = tmp_path / "digits_mlp.yaml"
    config.write_text(text)
    job = yaml_parse.load_train_file(str(config))
    job.main_loop()
    assert (tmp_path / "digits_mlp.pkl").exists() and (tmp_path / "digits_mlp_best.pkl").exists()


def test_stacked_denoising_autoencoders_workflow(fake_mnist):
    for name in ("dae_l1.yaml", "dae_l2.yaml", "dae_mlp.yaml"):
        text = shrink((EXAMPLES / name).read_text())
        text = re.sub(r"nhid: 500", "nhid: 16", text).replace("nvis: 500", "nvis: 16")
        (fake_mnist / name).write_text(text)
        job = yaml_parse.load_train_file(str(fake_mnist / name))
        job.main_loop()
    l1 = serial.load(str(fake_mnist / "dae_l1.pkl"))
    mlp = serial.load(str(fake_mnist / "dae_mlp.pkl"))
    assert mlp.layers[0].layer_content.weights.shape == l1.weights.shape == (784, 16)
    assert not torch.equal(mlp.layers[0].layer_content.weights, l1.weights)  # fine-tuned
    assert "valid_y_misclass" in mlp.monitor.channels


def run_yaml_text(text, folder, name):
    (folder / name).write_text(text)
    job = yaml_parse.load_train_file(str(folder / name))
    job.main_loop()
    return job


def test_rbm_mnist_example_tiny(fake_mnist):
    text = shrink((EXAMPLES / "rbm_mnist.yaml").read_text()).replace("nhid: 500", "nhid: 8")
    text = text.replace("monitoring_batches: 10", "monitoring_batches: 1")
    job = run_yaml_text(text, fake_mnist, "rbm_mnist.yaml")
    assert "train_reconstruction_error" in job.model.monitor.channels


@pytest.mark.parametrize("name,changes", [
    ("grbm_smd_patches.yaml", [("num_patches: 20000", "num_patches: 200"), ("nhid: 400", "nhid: 5"),
                               ("max_epochs: 5", "max_epochs: 1"), ("monitoring_batches: 20",
                                                                    "monitoring_batches: 2")]),
    ("kmeans_patches.yaml", [("num_patches: 20000", "num_patches: 500"), ("k: 64", "k: 5")]),
])
def test_patch_examples_tiny(tmp_path, name, changes):
    text = (EXAMPLES / name).read_text()
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    job = run_yaml_text(text, tmp_path, name)
    assert (tmp_path / name.replace(".yaml", ".pkl")).exists()
    from pylearn2.gui.get_weights_report import first_layer_images

    images = first_layer_images(serial.load(job.save_path))
    assert images.shape[1:] in ((8, 8, 3), (6, 6, 3))


def test_custom_model_and_cost_tutorials(tmp_path, monkeypatch):
    import sys

    from pylearn2.utils.allowlist import allow_module

    monkeypatch.syspath_prepend(str(EXAMPLES / "custom"))
    allow_module("my_models")
    job = run_yaml_text((EXAMPLES / "custom" / "prototypes.yaml").read_text(), tmp_path, "p.yaml")
    assert int(job.model.passes_done) == 5
    assert job.model.monitor.channels["prototype_norm"].val_record[-1] > 0
    text = (EXAMPLES / "custom" / "hinge_mlp.yaml").read_text().replace("max_epochs: 10",
                                                                         "max_epochs: 2")
    job = run_yaml_text(text, tmp_path, "h.yaml")
    record = job.model.monitor.channels["valid_hinge_misclass"].val_record
    assert record[-1] < record[0]
    assert "my_models" in sys.modules


def test_dbm_rbm_example_tiny(fake_mnist):
    text = shrink((EXAMPLES / "dbm_rbm.yaml").read_text())
    text = text.replace("detector_layer_dim: 500", "detector_layer_dim: 8")
    text = text.replace("monitoring_batches: 10", "monitoring_batches: 1")
    text = text.replace("num_chains: 100", "num_chains: 10")
    job = run_yaml_text(text, fake_mnist, "dbm_rbm.yaml")
    assert "h_mean_activation" in job.model.monitor.channels


def test_maxout_continued_stage_starts_from_the_first_stage(fake_mnist):
    from pylearn2.termination_criteria import And, EpochCounter

    for name in ("mnist_maxout.yaml", "mnist_maxout_continued.yaml"):
        (fake_mnist / name).write_text(shrink((EXAMPLES / name).read_text()))
    yaml_parse.load_train_file(str(fake_mnist / "mnist_maxout.yaml")).main_loop()
    best = serial.load(fake_mnist / "mnist_maxout_best.pkl")
    job = yaml_parse.load_train_file(str(fake_mnist / "mnist_maxout_continued.yaml"))
    # The stage-0 history, learning rate and momentum come from the best first-stage model.
    assert job.algorithm.learning_rate == best.monitor.last("learning_rate")
    assert job.algorithm.learning_rule.momentum == best.monitor.last("momentum")
    match = job.algorithm.termination_criterion
    # at most 2 epochs (toy data may never match); And asks the counter first, then the match
    job.algorithm.termination_criterion = And([EpochCounter(2), match])
    job.main_loop()
    assert match.target == best.monitor.last("train_objective")
    continued = serial.load(job.save_path)
    extra = continued.monitor.get_epochs_seen() - best.monitor.get_epochs_seen()
    assert extra in (1, 2)
    assert continued.monitor_stage_0.channels["valid_y_misclass"].val_record == \
        best.monitor.channels["valid_y_misclass"].val_record
    assert job.dataset.get_num_examples() == 120


def test_maxout_conv_example_tiny(fake_mnist):
    text = shrink((EXAMPLES / "mnist_maxout_conv.yaml").read_text())
    text = re.sub(r"batch_size: \d+", "batch_size: 10", text)
    text = re.sub(r"num_channels: (48|24)", "num_channels: 4", text)
    job = run_yaml_text(text, fake_mnist, "mnist_maxout_conv.yaml")
    # The original's model-level dropout ([.5, .5, .5, 1] on the layers' outputs, .8 kept
    # unscaled at the input) is .8 unscaled at h0's input and .5 scaled by 2 at every
    # other layer's input, the softmax's included.
    cost = job.algorithm.cost
    probs = {layer.layer_name: cost.input_include_probs.get(layer.layer_name,
                                                             cost.default_input_include_prob)
             for layer in job.model.layers}
    scales = {layer.layer_name: cost.input_scales.get(layer.layer_name, cost.default_input_scale)
              for layer in job.model.layers}
    assert probs == {"h0": 0.8, "h1": 0.5, "h2": 0.5, "y": 0.5}
    assert scales == {"h0": 1.0, "h1": 2.0, "h2": 2.0, "y": 2.0}
    saved = serial.load(job.save_path)
    assert saved.monitor.get_epochs_seen() == 2
    assert len(saved.monitor.channels["test_y_misclass"].val_record) == 3
    assert (fake_mnist / "mnist_maxout_conv_best.pkl").exists()
