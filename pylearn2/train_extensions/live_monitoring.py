"""Query a running experiment's monitor channels over ZeroMQ (pyzmq, extra ``live``).

:class:`LiveMonitoring` (the extension) binds a REP socket on ``req_port`` and answers
requests at every monitor call (and once more when training ends); with ``pub_port``
it also publishes the newest value of every channel after each monitor call.
:class:`LiveMonitor` is the client: ``list_channels()``, ``update_channels(names)``
(fetch records and append them to what it already holds), ``follow_channels``.

Messages are JSON (never pickles), so a client cannot make the experiment run code and
the experiment cannot make the client run code. Every wait is bounded: the client
gives up after ``timeout`` seconds with a TimeoutError, and the extension answers at
most ``max_requests_per_call`` pending requests per monitor call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from pylearn2.train_extensions import TrainExtension
from pylearn2.utils.exc import ConfigError

log = logging.getLogger(__name__)

RECORDS = ("batch_record", "epoch_record", "example_record", "time_record", "val_record")


def _zmq() -> Any:
    try:
        import zmq
    except ImportError as exc:
        raise ConfigError("Live monitoring needs pyzmq: pip install 'pylearn2[live]' "
                          "(or pip install pyzmq).") from exc
    return zmq


def _check_port(port: int, name: str) -> int:
    if not 1024 < int(port) < 65536:
        raise ConfigError(f"LiveMonitoring {name} must be between 1025 and 65535, got {port}.")
    return int(port)


# -- messages ---------------------------------------------------------------------------
class LiveMonitorMsg:
    """Base class of the messages; each is a JSON object with a ``type`` field."""

    def to_json(self) -> dict[str, Any]:
        return {"type": type(self).__name__, **self.__dict__}

    def get_response(self) -> LiveMonitorMsg:
        raise NotImplementedError(f"{type(self).__name__} is not a request.")


class ChannelListResponse(LiveMonitorMsg):
    """The names of the monitored channels (``data``)."""

    def __init__(self, data: list[str] | None = None) -> None:
        self.data = data


class ChannelListRequest(LiveMonitorMsg):
    """Asks for the list of monitored channels."""

    def get_response(self) -> ChannelListResponse:
        return ChannelListResponse()


def _check_range(channel_list: Any, start: int, step: int) -> None:
    if not isinstance(channel_list, list) or not channel_list:
        raise ConfigError("A channel request needs a non-empty list of channel names.")
    if int(start) < 0 or int(step) < 1:
        raise ConfigError(f"A channel request needs start >= 0 and step >= 1, got start={start}, "
                          f"step={step}.")


class ChannelsResponse(LiveMonitorMsg):
    """Records of the requested channels: ``data[name]`` is a dict of record lists, or
    ``{'error': message}`` for an unknown channel."""

    def __init__(self, channel_list: list[str], start: int, end: int, step: int = 1,
                 data: dict[str, Any] | None = None) -> None:
        _check_range(channel_list, start, step)
        self.channel_list, self.start, self.end, self.step = channel_list, start, end, step
        self.data = data


class ChannelsRequest(LiveMonitorMsg):
    """Asks for monitor records ``start:end:step`` (``end=-1``: to the last one) of
    ``channel_list``."""

    def __init__(self, channel_list: list[str], start: int = 0, end: int = -1,
                 step: int = 1) -> None:
        _check_range(channel_list, start, step)
        self.channel_list, self.start, self.end, self.step = channel_list, start, end, step

    def get_response(self) -> ChannelsResponse:
        return ChannelsResponse(self.channel_list, self.start, self.end, self.step)


MESSAGES = {cls.__name__: cls for cls in (ChannelListRequest, ChannelListResponse,
                                          ChannelsRequest, ChannelsResponse)}


def message_from_json(obj: Any) -> LiveMonitorMsg:
    """Rebuild a message from its JSON object; anything else is refused."""
    if not isinstance(obj, dict) or obj.get("type") not in MESSAGES:
        raise ConfigError(f"Not a live-monitor message: {str(obj)[:200]}")
    fields = {k: v for k, v in obj.items() if k != "type"}
    try:
        return MESSAGES[obj["type"]](**fields)
    except TypeError as exc:
        raise ConfigError(f"Bad {obj['type']} message: {exc}") from exc


def _answer(request: LiveMonitorMsg, monitor: Any) -> LiveMonitorMsg:
    response = request.get_response()
    if isinstance(response, ChannelListResponse):
        response.data = sorted(monitor.channels)
    elif isinstance(response, ChannelsResponse):
        result: dict[str, Any] = {}
        for name in response.channel_list:
            channel = monitor.channels.get(name)
            if channel is None:
                result[name] = {"error": f"Invalid channel: {name}"}
                continue
            end = None if response.end == -1 else response.end
            part = slice(response.start, end, response.step)
            result[name] = {r: list(getattr(channel, r)[part]) for r in RECORDS}
        response.data = result
    return response


# -- the extension ----------------------------------------------------------------------
class LiveMonitoring(TrainExtension):
    """Answer channel queries from :class:`LiveMonitor` clients while training runs.

    Parameters
    ----------
    address : interface to listen on ('*' for all, '127.0.0.1' for this machine only).
    req_port : port of the request/reply socket.
    pub_port : port on which the newest channel values are published after each
        monitor call (0: no publishing).
    max_requests_per_call : requests answered at most per monitor call.
    """

    def __init__(self, address: str = "*", req_port: int = 5555, pub_port: int = 5556,
                 max_requests_per_call: int = 100) -> None:
        self.address = address
        self.req_port = _check_port(req_port, "req_port")
        self.pub_port = 0 if not pub_port else _check_port(pub_port, "pub_port")
        if self.req_port == self.pub_port:
            raise ConfigError("LiveMonitoring req_port and pub_port must differ.")
        self.max_requests_per_call = int(max_requests_per_call)
        self.counter = 0
        self._context = self._req = self._pub = None

    def _endpoint(self, port: int) -> str:
        return f"tcp://{self.address}:{port}"

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        zmq = _zmq()
        self._context = zmq.Context()
        self._req = self._context.socket(zmq.REP)
        self._req.setsockopt(zmq.LINGER, 0)
        try:
            self._req.bind(self._endpoint(self.req_port))
            if self.pub_port:
                self._pub = self._context.socket(zmq.PUB)
                self._pub.setsockopt(zmq.LINGER, 0)
                self._pub.bind(self._endpoint(self.pub_port))
        except zmq.ZMQError as exc:
            self.tear_down()
            raise ConfigError(f"LiveMonitoring cannot listen on {self.address} ports "
                              f"{self.req_port}/{self.pub_port}: {exc}. Choose free ports.") from exc

    def serve(self, monitor: Any) -> int:
        """Answer the requests waiting now (at most max_requests_per_call); returns how many."""
        zmq = _zmq()
        answered = 0
        while self._req is not None and answered < self.max_requests_per_call:
            try:
                raw = self._req.recv_json(flags=zmq.NOBLOCK)
            except zmq.Again:
                break
            except ValueError:  # not JSON: reply so the client's REQ socket is not stuck
                self._req.send_json({"type": "Error", "error": "request is not JSON"})
                answered += 1
                continue
            try:
                reply = _answer(message_from_json(raw), monitor).to_json()
            except ConfigError as exc:
                reply = {"type": "Error", "error": str(exc)}
            self._req.send_json(reply)
            answered += 1
        return answered

    def on_monitor(self, model: Any = None, **kwargs: Any) -> None:
        monitor = model.monitor
        self.serve(monitor)
        if self._pub is not None:
            latest = {name: {"epoch": c.epoch_record[-1], "value": c.val_record[-1]}
                      for name, c in monitor.channels.items() if c.val_record}
            self._pub.send_json({"type": "ChannelsUpdate", "counter": self.counter,
                                 "data": latest})
        self.counter += 1

    def on_train_end(self, model: Any = None, **kwargs: Any) -> None:
        if model is not None and getattr(model, "monitor", None) is not None:
            self.serve(model.monitor)
        self.tear_down()

    def tear_down(self, *args: Any, **kwargs: Any) -> None:
        """Close the sockets (also called at the end of training)."""
        for sock in (self._req, self._pub):
            if sock is not None:
                sock.close(linger=0)
        if self._context is not None:
            self._context.term()
        self._context = self._req = self._pub = None

    def state_dict(self) -> dict[str, Any]:
        return {"counter": self.counter}


# -- the client -------------------------------------------------------------------------
class _ChannelRecords:
    """A channel's records as the client has received them."""

    def __init__(self, records: dict[str, list[Any]]) -> None:
        for r in RECORDS:
            setattr(self, r, list(records.get(r, [])))


class LiveMonitor:
    """Client of a :class:`LiveMonitoring` extension.

    Parameters
    ----------
    address : host of the experiment.
    req_port : its request port.
    timeout : seconds to wait for each answer before raising TimeoutError (the
        experiment answers at its next monitor call, so allow for an epoch).
    """

    def __init__(self, address: str = "127.0.0.1", req_port: int = 5555,
                 timeout: float = 30.0) -> None:
        zmq = _zmq()
        self.address, self.req_port, self.timeout = address, int(req_port), float(timeout)
        self._context = zmq.Context()
        self._sock = None
        self._connect()
        self.channels: dict[str, _ChannelRecords] = {}

    def _connect(self) -> None:
        zmq = _zmq()
        if self._sock is not None:
            self._sock.close(linger=0)
        self._sock = self._context.socket(zmq.REQ)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.connect(f"tcp://{self.address}:{self.req_port}")

    def _request(self, message: LiveMonitorMsg) -> dict[str, Any]:
        zmq = _zmq()
        self._sock.send_json(message.to_json())
        if not self._sock.poll(int(self.timeout * 1000), zmq.POLLIN):
            self._connect()  # a REQ socket that got no answer cannot send again
            raise TimeoutError(f"No answer from tcp://{self.address}:{self.req_port} within "
                               f"{self.timeout:g} s; is the experiment running LiveMonitoring?")
        reply = self._sock.recv_json()
        if reply.get("type") == "Error":
            raise ConfigError(f"The experiment refused the request: {reply.get('error')}")
        return reply

    def list_channels(self) -> list[str]:
        """The names of the channels the experiment monitors."""
        return list(self._request(ChannelListRequest())["data"])

    def update_channels(self, channel_list: Sequence[str], start: int = -1, end: int = -1,
                        step: int = 1) -> dict[str, _ChannelRecords]:
        """Fetch records of ``channel_list`` and append them to ``self.channels``;
        ``start=-1`` continues after the records already held."""
        if not (start == -1 and end == -1) and end != -1 and end <= start:
            raise ConfigError(f"update_channels needs end > start, got start={start}, end={end}.")
        auto = start == -1
        if auto:  # continue after what is held; a channel seen for the first time starts at 0
            held = [len(self.channels[n].val_record) if n in self.channels else 0
                    for n in channel_list]
            start, step = min(held), 1
        reply = self._request(ChannelsRequest(list(channel_list), start=start, end=end, step=step))
        for name, records in reply["data"].items():
            if "error" in records:
                raise KeyError(records["error"])
            if name not in self.channels:
                self.channels[name] = _ChannelRecords(records)
                continue
            held = self.channels[name]
            skip = len(held.val_record) - start if auto else 0
            for r in RECORDS:
                getattr(held, r).extend(records[r][skip:])
        return self.channels

    def follow_channels(self, channel_list: Sequence[str], save_path: str,
                        max_updates: int = 100, interval: float = 1.0) -> None:
        """Fetch ``channel_list`` ``max_updates`` times, ``interval`` seconds apart, and
        redraw their curves into the PNG ``save_path`` after each fetch."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        for _ in range(int(max_updates)):
            self.update_channels(channel_list)
            figure = Figure()
            FigureCanvasAgg(figure)
            axes = figure.add_subplot(1, 1, 1)
            for name in channel_list:
                axes.plot(self.channels[name].epoch_record, self.channels[name].val_record,
                          label=name)
            axes.legend()
            axes.set_xlabel("epoch")
            figure.savefig(save_path)
            time.sleep(interval)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close(linger=0)
            self._sock = None
        self._context.term()
