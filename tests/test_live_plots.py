"""LiveMonitoring over loopback ZeroMQ and PNG plots, in real short digits runs."""

from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pytest

from pylearn2.datasets.digits import Digits
from pylearn2.models.mlp import MLP, Softmax
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.train_extensions import TrainExtension
from pylearn2.train_extensions.plots import PlotManager, Plots, get_best_layout
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils.exc import ConfigError


class _Pause(TrainExtension):
    """Slows each monitor call a little so a client thread gets its turn."""

    def on_monitor(self, **kwargs):
        time.sleep(0.15)


def _digits_run(extensions, epochs=4):
    model = MLP(nvis=64, seed=0, layers=[Softmax(layer_name="y", n_classes=10, irange=0.05)])
    algorithm = SGD(learning_rate=0.1, batch_size=50,
                    monitoring_dataset={"train": Digits("train", stop=200),
                                        "valid": Digits("valid", stop=100)},
                    termination_criterion=EpochCounter(epochs))
    trainer = Train(Digits("train", stop=200), model, algorithm, extensions=extensions)
    trainer.main_loop()
    return model


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def test_live_monitor_client_reads_channels_during_training():
    zmq = pytest.importorskip("zmq")
    from pylearn2.train_extensions.live_monitoring import LiveMonitor, LiveMonitoring

    req_port, pub_port = _free_ports(2)
    server = LiveMonitoring(address="127.0.0.1", req_port=req_port, pub_port=pub_port)
    results: dict = {}
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt_string(zmq.SUBSCRIBE, "")
    sub.connect(f"tcp://127.0.0.1:{pub_port}")

    def client():
        monitor = LiveMonitor("127.0.0.1", req_port, timeout=10)
        try:
            results["names"] = monitor.list_channels()
            monitor.update_channels(["valid_y_misclass"])
            results["first"] = len(monitor.channels["valid_y_misclass"].val_record)
            time.sleep(0.35)  # let at least one more monitor call happen
            monitor.update_channels(["valid_y_misclass"])
            results["records"] = monitor.channels["valid_y_misclass"]
            with pytest.raises(KeyError, match="no_such"):
                monitor.update_channels(["no_such_channel"])
        except Exception as exc:  # reported to the main thread
            results["error"] = exc
        finally:
            monitor.close()

    thread = threading.Thread(target=client)
    thread.start()
    model = _digits_run([server, _Pause()], epochs=8)
    thread.join(timeout=30)
    updates = []
    while sub.poll(100):
        updates.append(sub.recv_json())
    sub.close()
    context.term()
    assert not thread.is_alive()
    assert "error" not in results, results.get("error")
    assert "valid_y_misclass" in results["names"] and "train_objective" in results["names"]
    got = results["records"]
    channel = model.monitor.channels["valid_y_misclass"]
    n = len(got.val_record)
    assert results["first"] < n <= len(channel.val_record)  # the second fetch added records
    assert got.val_record == channel.val_record[:n] and got.epoch_record == list(range(n))
    assert updates and updates[-1]["type"] == "ChannelsUpdate"
    last = updates[-1]["data"]["valid_y_misclass"]
    assert last["value"] == channel.val_record[last["epoch"]]
    assert server._req is None  # sockets closed at the end of training


def test_live_monitor_times_out_without_server_and_checks_ports():
    pytest.importorskip("zmq")
    from pylearn2.train_extensions.live_monitoring import (
        LiveMonitor,
        LiveMonitoring,
        message_from_json,
    )

    (port,) = _free_ports(1)
    client = LiveMonitor("127.0.0.1", port, timeout=0.2)
    with pytest.raises(TimeoutError, match="No answer"):
        client.list_channels()
    client.close()
    with pytest.raises(ConfigError, match="differ"):
        LiveMonitoring(req_port=6000, pub_port=6000)
    with pytest.raises(ConfigError, match="between"):
        LiveMonitoring(req_port=80)
    with pytest.raises(ConfigError, match="Not a live-monitor message"):
        message_from_json({"type": "os.system", "cmd": "echo"})


def test_plot_manager_writes_png_and_html(tmp_path):
    import matplotlib.image

    png = tmp_path / "curves"
    page = tmp_path / "index.html"
    plots = Plots(["train_objective", "valid_y_misclass"], str(png), share=1.0)
    seconds = Plots(["valid_objective"], str(tmp_path / "per_second.png"), per_second=True, freq=2)
    manager = PlotManager([plots, seconds], freq=1, html_path=str(page))
    model = _digits_run([manager], epochs=4)
    image = matplotlib.image.imread(tmp_path / "curves.png")
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image.std() > 0.01  # not a blank canvas
    assert (tmp_path / "per_second.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'src="curves.png"' in page.read_text() and 'src="per_second.png"' in page.read_text()
    assert manager.count == 5 == len(model.monitor.channels["valid_objective"].val_record)
    x, values = plots._series()
    np.testing.assert_array_equal(values[1], model.monitor.channels["valid_y_misclass"].val_record)
    assert get_best_layout(5) == (2, 3) and get_best_layout(4) == (2, 2) and get_best_layout(1) == (1, 1)
    with pytest.raises(ConfigError, match="share"):
        Plots(["a"], "x.png", share=0)
