"""Analysis commands through their CLI on models trained in the test."""

import csv
import importlib

import numpy as np
import pytest
import torch
from PIL import Image

from pylearn2.scripts import cli
from pylearn2.utils import serial

DIGITS = """\
!obj:pylearn2.train.Train {
    dataset: &train !obj:pylearn2.datasets.digits.Digits { which_set: 'train', stop: 300 },
    model: !obj:pylearn2.models.mlp.MLP {
        nvis: 64,
        layers: [
            !obj:pylearn2.models.mlp.RectifiedLinear { layer_name: 'h0', dim: 12, irange: 0.1 },
            !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, irange: 0.1 },
        ],
    },
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate: 0.1, batch_size: 30,
        monitoring_dataset: { 'train': *train,
                              'valid': !obj:pylearn2.datasets.digits.Digits { which_set: 'valid' } },
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 3 },
    },
    extensions: [ !obj:pylearn2.train_extensions.tensorboard.TensorBoard {
        log_dir: "${PYLEARN2_TRAIN_DIR}tb" } ],
    save_path: "${PYLEARN2_TRAIN_DIR}digits.pkl",
    save_freq: 1,
}
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scripts")
    (folder / "digits.yaml").write_text(DIGITS)
    assert cli.main(["train", "-q", str(folder / "digits.yaml")]) == 0
    return folder


def non_blank_png(path, size=None):
    image = np.asarray(Image.open(path).convert("RGB"))
    if size is not None:
        assert image.shape[1::-1] == size
    assert image.std() > 5
    return image


def test_plot_monitor(trained, capsys):
    out = trained / "plot.png"
    model = str(trained / "digits.pkl")
    assert cli.main(["plot-monitor", model, model, "--out", str(out), "-c", "*_y_misclass",
                     "-x", "example", "--log-y"]) == 0
    non_blank_png(out, size=(900, 440))  # one panel: error rates
    assert "4 curves in 1 panels" in capsys.readouterr().out
    assert cli.main(["plot-monitor", model, "--list"]) == 0
    assert "valid_y_nll" in capsys.readouterr().out
    assert cli.main(["plot-monitor", model, "--out", str(out), "-c", "nope*"]) == 2


def test_summarize_model(trained, capsys):
    assert cli.main(["summarize-model", str(trained / "digits.pkl")]) == 0
    text = capsys.readouterr().out
    assert f"total trainable parameters: {64 * 12 + 12 + 12 * 10 + 10}" in text
    assert "h0.W: shape (64, 12)" in text and "epochs seen: 3" in text
    assert "Training succeeded" in text


def test_show_weights_digits_gives_8x8_tiles(trained):
    from pylearn2.gui.get_weights_report import first_layer_images

    model = serial.load(str(trained / "digits.pkl"))
    images = first_layer_images(model)
    assert images.shape == (12, 8, 8, 1)
    np.testing.assert_array_equal(images[3].reshape(-1), model.layers[0].W.detach().numpy()[:, 3])
    out = trained / "weights.png"
    assert cli.main(["show-weights", str(trained / "digits.pkl"), "--out", str(out),
                     "--border"]) == 0
    picture = non_blank_png(out)
    scale = 600 // (4 * 8 + 5)  # 12 tiles: 3 rows x 4 columns of 8x8 with 1-pixel borders
    assert picture.shape[:2] == ((3 * 8 + 4) * scale, (4 * 8 + 5) * scale)


def test_show_weights_mnist_gives_28x28_tiles(tmp_path, monkeypatch):
    from pylearn2.gui.get_weights_report import first_layer_images
    from pylearn2.models.mlp import MLP, Softmax

    model = MLP(nvis=784, layers=[Softmax(n_classes=10, layer_name="y", irange=0.1)])
    model.dataset_yaml_src = "!obj:pylearn2.datasets.digits.Digits {which_set: 'train'}"
    assert first_layer_images(model).shape == (10, 28, 28, 1)  # shape guessed: 784 = 28^2
    serial.save(str(tmp_path / "m.pkl"), model)
    assert cli.main(["show-weights", str(tmp_path / "m.pkl"), "--out", str(tmp_path / "w.png"),
                     "--rescale", "global"]) == 0
    non_blank_png(tmp_path / "w.png")


def test_show_examples_from_yaml_and_model(trained, tmp_path, capsys):
    config = tmp_path / "data.yaml"
    config.write_text("!obj:pylearn2.datasets.digits.Digits { which_set: 'test' }\n")
    assert cli.main(["show-examples", str(config), "--rows", "3", "--cols", "4",
                     "--out", str(tmp_path / "e.png")]) == 0
    assert "12 examples of shape (8, 8, 1)" in capsys.readouterr().out
    non_blank_png(tmp_path / "e.png")
    assert cli.main(["show-examples", str(trained / "digits.pkl"),
                     "--out", str(tmp_path / "f.png")]) == 0


def test_predict_csv_matches_model(trained, tmp_path):
    model = serial.load(str(trained / "digits.pkl"))
    X = np.random.default_rng(0).uniform(size=(7, 64)).astype(np.float32)
    rows = np.column_stack([np.arange(7), X])
    np.savetxt(tmp_path / "in.csv", rows, delimiter=",", header="id," + ",".join(["f"] * 64),
               comments="")
    assert cli.main(["predict-csv", str(trained / "digits.pkl"), str(tmp_path / "in.csv"),
                     str(tmp_path / "out.csv"), "-H", "-L"]) == 0
    got = np.loadtxt(tmp_path / "out.csv", dtype=int)
    expected = model.fprop(torch.from_numpy(X)).argmax(1).numpy()
    np.testing.assert_array_equal(got, expected)
    assert cli.main(["predict-csv", str(trained / "digits.pkl"), str(tmp_path / "in.csv"),
                     str(tmp_path / "bad.csv"), "-H"]) == 2


def test_yaml_dryrun(trained, tmp_path, capsys):
    assert cli.main(["yaml-dryrun", str(trained / "digits.yaml")]) == 0
    assert "Successfully built a Train" in capsys.readouterr().out
    assert cli.main(["yaml-dryrun", "-N", str(trained / "digits.yaml")]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("!obj:pylearn2.models.mlp.MLP { layerz: [] }\n")
    assert cli.main(["yaml-dryrun", str(bad)]) == 2
    assert "Did you mean 'layers'" in capsys.readouterr().err


def test_csv_log_rows_and_stable_header(trained):
    with open(trained / "digits.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    assert header[:4] == ["epoch", "batches", "examples", "seconds"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2, 3]
    assert all(len(r) == len(header) for r in rows)
    monitor = serial.load(str(trained / "digits.pkl")).monitor
    column = header.index("valid_y_misclass")
    assert [float(r[column]) for r in rows[1:]] == monitor.channels["valid_y_misclass"].val_record


def test_tensorboard_events_read_back(trained):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(trained / "tb"))
    events.Reload()
    scalars = events.Scalars("valid_y_misclass")
    monitor = serial.load(str(trained / "digits.pkl")).monitor
    assert [s.step for s in scalars] == [0, 1, 2, 3]
    np.testing.assert_allclose([s.value for s in scalars],
                               monitor.channels["valid_y_misclass"].val_record, rtol=1e-6)


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_help_documents_every_flag(command, capsys):
    module = importlib.import_module(cli.COMMANDS[command][0])
    parser = module.make_parser()
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for action in parser._actions:
        for flag in action.option_strings:
            assert flag in text
        if action.help is None and action.option_strings and action.dest != "help":
            pytest.fail(f"{command} {action.option_strings} has no help text")


@pytest.mark.parametrize("command", ["print-monitor", "plot-monitor", "summarize-model",
                                     "show-weights"])
def test_bad_paths_give_one_clear_line(command, tmp_path, capsys):
    junk = tmp_path / "junk.pkl"
    junk.write_bytes(b"\x80\x04junk")
    for path in (str(junk), str(tmp_path / "missing.pkl")):
        extra = ["--out", str(tmp_path / "x.png")] if command in ("plot-monitor", "show-weights") else []
        assert cli.main([command, path] + extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "pickle" in err[0] and "missing.pkl" in err[1]


def test_show_weights_of_a_conv_net_draws_kernels(tmp_path):
    from pylearn2.gui.get_weights_report import first_layer_images
    from pylearn2.models.mlp import MLP, ConvRectifiedLinear, Softmax
    from pylearn2.space import Conv2DSpace

    model = MLP(input_space=Conv2DSpace((8, 8), 3), layers=[
        ConvRectifiedLinear(output_channels=6, kernel_shape=(3, 3), pool_shape=(2, 2),
                            pool_stride=(2, 2), layer_name="c", irange=0.5),
        Softmax(n_classes=2, layer_name="y", irange=0.1)])
    images = first_layer_images(model)
    assert images.shape == (6, 3, 3, 3)
    np.testing.assert_array_equal(images[2, :, :, 1], model.layers[0].W.detach().numpy()[2, 1])
    serial.save(str(tmp_path / "conv.pkl"), model)
    assert cli.main(["show-weights", str(tmp_path / "conv.pkl"), "--out",
                     str(tmp_path / "k.png")]) == 0
    non_blank_png(tmp_path / "k.png")


def test_plot_monitor_warns_about_a_name_that_matches_nothing(capsys):
    from pylearn2.scripts.plot_monitor import select

    names = ["test_h0_col_norms_max", "valid_y_misclass"]
    assert select(names, ["h0_col_norms_mux", "valid_*"]) == ["valid_y_misclass"]
    err = capsys.readouterr().err
    assert "no channel matches 'h0_col_norms_mux'" in err and "test_h0_col_norms_max" in err
    assert select(names, ["valid_*"]) == ["valid_y_misclass"]
    assert capsys.readouterr().err == ""
