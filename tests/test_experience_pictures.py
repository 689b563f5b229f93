"""plot-monitor panels, show-weights and the patch viewer, checked through their objects."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from pylearn2.gui.patch_viewer import (  # noqa: E402
    BORDER_COLOUR,
    PatchViewer,
    make_grid,
    make_viewer,
    pick_shape,
    rescale,
)
from pylearn2.monitor import Monitor  # noqa: E402
from pylearn2.scripts import cli  # noqa: E402
from pylearn2.scripts.plot_monitor import make_figure  # noqa: E402
from pylearn2.utils import serial  # noqa: E402


def fake_monitor(offset=0.0):
    monitor = Monitor()
    for epoch in range(5):
        for name, value in (("train_objective", 2.0 / (epoch + 1) + offset),
                            ("valid_objective", 2.2 / (epoch + 1) + offset),
                            ("train_y_misclass", max(0.0, 0.3 - 0.1 * epoch)),
                            ("valid_y_misclass", 0.35 - 0.05 * epoch),
                            ("h0_col_norms_max", 1.0 + 0.1 * epoch),
                            ("learning_rate", 0.1)):
            channel = monitor._channel(name)
            channel.val_record.append(value)
            channel.epoch_record.append(epoch)
            channel.batch_record.append(10 * epoch)
            channel.example_record.append(100 * epoch)
            channel.time_record.append(float(epoch))
    return monitor


def test_panels_by_kind_with_labels_titles_and_legends():
    fig, curves = make_figure([fake_monitor()], ["a"], ["*"], "epoch")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Objectives", "Error rates", "Weight and activation norms",
                      "Learning rate and momentum"]
    assert curves == 6
    for ax in fig.axes:
        assert ax.get_xlabel() == "epochs" and ax.get_ylabel()
        assert ax.get_legend() is not None
    assert fig.axes[1].get_ylabel() == "error rate"
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == \
        ["train_objective", "valid_objective"]


def test_overlaid_models_pair_colours_by_channel_and_styles_by_model():
    fig, curves = make_figure([fake_monitor(), fake_monitor(0.5)], ["small", "big"],
                              ["*objective"], "example")
    (ax,) = fig.axes
    assert curves == 4 and ax.get_xlabel() == "examples"
    lines = {line.get_label(): line for line in ax.get_lines()}
    small, big = lines["train_objective (small)"], lines["train_objective (big)"]
    assert small.get_color() == big.get_color()
    assert small.get_linestyle() != big.get_linestyle()
    assert lines["valid_objective (small)"].get_color() != small.get_color()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["train_objective", "valid_objective", "small", "big"]


def test_log_axis_keeps_zeros():
    fig, _ = make_figure([fake_monitor()], ["a"], ["*misclass"], "epoch", log_y=True)
    (ax,) = fig.axes
    assert ax.get_yscale() == "symlog"
    train = next(line for line in ax.get_lines() if line.get_label() == "train_y_misclass")
    y = np.asarray(train.get_ydata())
    assert y[-1] == 0.0 and ax.get_ylim()[0] <= 0.0  # the zero error is on the picture


def test_plot_command_writes_panels(tmp_path, capsys):
    from pylearn2.models.mlp import MLP, Softmax

    model = MLP(nvis=4, layers=[Softmax(layer_name="y", n_classes=2, irange=0.1)])
    model.monitor = fake_monitor()
    serial.save(str(tmp_path / "m.pkl"), model)
    out = tmp_path / "p.png"
    assert cli.main(["plot-monitor", str(tmp_path / "m.pkl"), "-c", "*", "--out", str(out)]) == 0
    assert "6 curves in 4 panels" in capsys.readouterr().out
    width, height = Image.open(out).size
    assert width == 900 and height > 4 * 250


def test_each_filter_is_scaled_on_its_own():
    rng = np.random.default_rng(0)
    filters = rng.normal(size=(4, 3, 3, 1)) * np.array([1e-3, 1.0, 50.0, 0.2])[:, None, None, None]
    scaled = rescale(filters, "individual")
    for k in range(4):  # every filter uses the full contrast range, whatever its magnitude
        peak = np.abs(filters[k]).max()
        np.testing.assert_allclose(scaled[k], filters[k] / peak / 2 + 0.5)
        assert scaled[k].min() == pytest.approx(0.0) or scaled[k].max() == pytest.approx(1.0)


def test_grid_border_is_a_colour_no_weight_takes():
    images = np.full((4, 2, 2, 1), 0.5)  # all-zero weights draw as mid grey
    picture = make_grid(images, border=True)
    border = picture[0, 0] / 255.0
    np.testing.assert_allclose(border, BORDER_COLOUR, atol=1 / 255)
    grey_levels = picture[1:3, 1:3].reshape(-1, 3)
    assert (grey_levels[:, 0] == grey_levels[:, 2]).all()  # tiles are grey, the border blue
    assert border[2] - border[0] > 0.3


def test_patch_viewer_original_interface():
    viewer = PatchViewer((2, 3), (4, 4), pad=(2, 2))
    assert viewer.image.shape == (2 * 2 + 2 * 4 + 2, 3 * 2 + 3 * 4 + 2, 3)
    np.testing.assert_allclose(viewer.image, 0.5)  # background 0 is mid grey
    patch = np.zeros((4, 4))
    patch[0, 0], patch[1, 1] = 3.0, -1.5
    viewer.add_patch(patch)
    assert viewer.image[2, 2, 0] == 1.0 and viewer.image[3, 3, 0] == pytest.approx(0.25)
    assert viewer.cur_pos == (0, 1)
    small = np.ones((2, 2)) * 0.5
    viewer.add_patch(small, rescale=False)  # centred in its cell
    assert viewer.image[2 + 1, 2 + 4 + 2 + 1, 0] == pytest.approx(0.75)
    with pytest.raises(ValueError):
        viewer.add_patch(np.ones((4, 4)) * 2, rescale=False)
    assert pick_shape(12) == (3, 4) and pick_shape(12, exact=True) == (3, 4)
    assert pick_shape(7) == (3, 3) and pick_shape(7, exact=True) == (1, 7)
    mat = np.arange(2 * 9, dtype=float).reshape(2, 9) - 4
    view = make_viewer(mat, activation=[0.5, 1.0], pad=(3, 3))
    assert view.grid_shape == (1, 2) and view.patch_shape == (3, 3)
    np.testing.assert_allclose(view.image[2, 2], [0.5, 0.5, 0.0])  # activation frame, yellow
    assert view.get_img().size == (view.image.shape[1], view.image.shape[0])


def test_show_weights_mnist_sized_filters_are_readable(tmp_path):
    from pylearn2.models.mlp import MLP, RectifiedLinear, Softmax

    model = MLP(nvis=784, layers=[RectifiedLinear(layer_name="h0", dim=100, irange=0.05),
                                  Softmax(layer_name="y", n_classes=10, irange=0.05)], seed=1)
    serial.save(str(tmp_path / "m.pkl"), model)
    out = tmp_path / "w.png"
    assert cli.main(["show-weights", str(tmp_path / "m.pkl"), "--out", str(out)]) == 0
    width, height = Image.open(out).size
    assert width >= 10 * 56 and width == height  # 10 x 10 tiles of 28 px, each >= 56 px wide


def test_show_weights_maxout_pieces_share_a_row(tmp_path, capsys):
    from pylearn2.models.maxout import Maxout
    from pylearn2.models.mlp import MLP, Softmax

    model = MLP(nvis=16, layers=[Maxout(layer_name="h0", num_units=6, num_pieces=3,
                                        irange=0.1),
                                 Softmax(layer_name="y", n_classes=2, irange=0.1)])
    serial.save(str(tmp_path / "m.pkl"), model)
    out = tmp_path / "w.png"
    assert cli.main(["show-weights", str(tmp_path / "m.pkl"), "--out", str(out)]) == 0
    assert "18 filters (6 units of 3 pieces)" in capsys.readouterr().out
    picture = np.asarray(Image.open(out).convert("RGB"))
    blue = np.all(np.abs(picture / 255.0 - BORDER_COLOUR) < 0.01, axis=2)
    tiles_per_row = len([c for c in np.flatnonzero(~blue[picture.shape[0] // 8])
                         if c == 0 or blue[picture.shape[0] // 8, c - 1]])
    assert tiles_per_row % 3 == 0
