"""The extension protocol: hook order, on_error/on_train_end on failure, keyed resume."""

from __future__ import annotations

import pytest
import torch
from helpers import classification_data, classifier, small_job

from pylearn2.models.model import Model
from pylearn2.train_extensions.base import (
    HOOKS,
    ExtensionHooks,
    StopReason,
    TrainExtension,
    state_keys,
)
from pylearn2.training_algorithms.schedules import ExponentialDecay
from pylearn2.utils.exc import ConfigError


class Recorder(TrainExtension):
    """Records every hook with the keywords it received."""

    def __init__(self, fail_at_batch: int | None = None):
        self.fail_at_batch = fail_at_batch
        self.calls: list[tuple[str, dict]] = []
        self.batches = 0

    def _record(self, hook, kwargs):
        self.calls.append((hook, kwargs))

    def setup(self, **kwargs):
        self._record("setup", kwargs)

    def on_epoch_begin(self, **kwargs):
        self._record("on_epoch_begin", kwargs)

    def on_batch_end(self, batch_size, **kwargs):
        self.batches += 1
        self._record("on_batch_end", {"batch_size": batch_size, **kwargs})
        if self.batches == self.fail_at_batch:
            raise RuntimeError("batch failed")

    def on_epoch_end(self, **kwargs):
        self._record("on_epoch_end", kwargs)

    def on_monitor(self, **kwargs):
        self._record("on_monitor", kwargs)

    def on_save(self, **kwargs):
        self._record("on_save", kwargs)

    def on_error(self, **kwargs):
        self._record("on_error", kwargs)

    def on_train_end(self, **kwargs):
        self._record("on_train_end", kwargs)

    def names(self):
        return [name for name, _ in self.calls]


def test_hooks_run_in_the_documented_order_with_the_trainers_parts():
    recorder = Recorder()
    job = small_job(epochs=2, extensions=[recorder])  # 60 examples, batches of 10
    job.main_loop()
    epoch = ["on_epoch_begin"] + ["on_batch_end"] * 6 + ["on_epoch_end", "on_monitor"]
    assert recorder.names() == ["setup", "on_monitor"] + epoch * 2 + ["on_train_end"]
    for _name, kwargs in recorder.calls:
        assert kwargs["model"] is job.model and kwargs["dataset"] is job.dataset
        assert kwargs["algorithm"] is job.algorithm and kwargs["train"] is job
    sizes = [k["batch_size"] for n, k in recorder.calls if n == "on_batch_end"]
    assert sizes == [10] * 12
    assert [k["epoch"] for n, k in recorder.calls if n == "on_epoch_end"] == [1, 2]
    stop = recorder.calls[-1][1]["stop_reason"]
    assert stop.kind == "criterion" and stop == job.stop_reason and "max_epochs=2" in stop
    assert job.model.monitor.training_succeeded


def test_on_error_and_on_train_end_run_when_a_batch_raises(tmp_path):
    recorder, other = Recorder(fail_at_batch=8), Recorder()
    job = small_job(tmp_path / "m.pkl", epochs=3, extensions=[recorder, other])
    with pytest.raises(RuntimeError, match="batch failed"):
        job.main_loop()
    for ext in (recorder, other):
        assert ext.names()[-2:] == ["on_error", "on_train_end"]
        error = ext.calls[-2][1]["error"]
        assert isinstance(error, RuntimeError) and str(error) == "batch failed"
        assert ext.calls[-1][1]["stop_reason"].kind == "error"
    assert job.stop_reason.kind == "error" and "batch failed" in job.stop_reason
    assert recorder.batches == 8  # the 8th batch raised, in the first extension's hook,
    assert other.names().count("on_batch_end") == 7  # so the second never saw it
    assert job.model.monitor.get_epochs_seen() == 1  # the save after epoch 1 is intact
    assert (tmp_path / "m.pkl").exists()


def test_on_train_end_runs_when_setup_fails():
    recorder = Recorder()
    job = small_job(extensions=[recorder])
    job.algorithm.batch_size = 7
    job.model.force_batch_size = 10  # conflicts: setup raises ConfigError
    with pytest.raises(ConfigError):
        job.main_loop()
    assert recorder.names() == ["on_error", "on_train_end"]


def test_stop_reason_kinds():
    class Stopper(TrainExtension):
        def on_monitor(self, train, model, **kwargs):
            if model.monitor.get_epochs_seen() == 1:
                train.request_stop("enough")

    job = small_job(epochs=5, extensions=[Stopper()])
    job.main_loop()
    assert job.stop_reason == "enough" and job.stop_reason.kind == "request"
    job = small_job(epochs=5)
    job.main_loop(time_budget=0)
    assert job.stop_reason.kind == "time_budget" and not job.model.monitor.training_succeeded
    with pytest.raises(ValueError, match="criterion"):
        StopReason("x", "unknown")


class Counted(TrainExtension):
    def __init__(self, tag: str = ""):
        self.tag = tag
        self.seen = 0

    def on_monitor(self, **kwargs):
        self.seen += 1

    def state_dict(self):
        return {"seen": self.seen}


class Other(TrainExtension):
    pass


def test_state_is_keyed_by_name_not_position(tmp_path):
    job = small_job(tmp_path / "m.pkl", epochs=2, extensions=[Counted("a"), Other(), Counted("b")])
    job.main_loop()
    state = job.state_dict()["extensions"]
    assert state == {"Counted": {"seen": 3}, "Other": {}, "Counted#2": {"seen": 3}}
    assert state_keys([Other(), Counted(), Counted()]) == ["Other", "Counted", "Counted#2"]


def test_resume_with_a_changed_extension_list_is_refused_with_the_keys_named(tmp_path):
    path = tmp_path / "m.pkl"
    small_job(path, epochs=1, extensions=[Counted(), Other()]).main_loop()
    changed = small_job(path, epochs=2, extensions=[Counted(), Recorder()])
    before = [p.detach().clone() for p in changed.model.parameters()]
    with pytest.raises(ConfigError) as info:
        changed.main_loop(resume=True)
    message = str(info.value)
    assert "missing from this run: Other" in message and "new in this run: Recorder" in message
    assert "resume_mismatch" in message
    for p, q in zip(before, changed.model.parameters()):
        assert torch.equal(p, q)  # refused before anything was restored
    names = changed.extensions[1].names()
    assert names[-2:] == ["on_error", "on_train_end"] and "on_epoch_begin" not in names


def test_resume_mismatch_continue_restores_what_matches(tmp_path, caplog):
    path = tmp_path / "m.pkl"
    small_job(path, epochs=1, extensions=[Counted(), Other()]).main_loop()
    counted = Counted()
    job = small_job(path, epochs=2, extensions=[counted], resume_mismatch="continue")
    job.main_loop(resume=True)
    assert job.model.monitor.get_epochs_seen() == 2
    assert counted.seen == 2 + 1  # 2 restored from the checkpoint, one more after epoch 2
    assert "missing from this run: Other" in caplog.text


def test_update_callbacks_resume_is_checked_by_key(tmp_path):
    path = tmp_path / "m.pkl"
    small_job(path, epochs=1, update_callbacks=ExponentialDecay(1.01, 1e-4)).main_loop()
    with pytest.raises(ConfigError, match="update_callbacks.*missing from this run: "
                                          "ExponentialDecay"):
        small_job(path, epochs=2).main_loop(resume=True)


def test_update_callbacks_are_called_with_the_algorithm_after_every_update():
    calls = []
    job = small_job(epochs=1, update_callbacks=[lambda algorithm: calls.append(algorithm)])
    job.main_loop()
    assert len(calls) == 6 and all(c is job.algorithm for c in calls)


def test_batch_hooks_skip_the_base_no_op_and_pass_only_declared_keywords():
    seen = []

    class Minimal(TrainExtension):
        def on_batch_end(self, algorithm):  # declares neither batch_size nor **kwargs
            seen.append(algorithm)

    hooks = ExtensionHooks([Other(), Minimal()], algorithm="alg", model="m")
    hooks.batch_end(5)
    hooks("on_monitor")
    assert seen == ["alg"]
    assert hooks._batch_calls is not None and len(hooks._batch_calls) == 1
    with pytest.raises(ValueError, match="Unknown extension hook"):
        hooks("on_batch_start")
    assert set(HOOKS) == {"setup", "on_epoch_begin", "on_batch_end", "on_epoch_end",
                          "on_monitor", "on_save", "on_error", "on_train_end"}


class Clamped(Model):
    """Overrides enforce_constraints only; has_constraints must notice."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.full((3,), 5.0))

    def enforce_constraints(self):
        self.w.clamp_(max=1.0)


def test_overriding_enforce_constraints_is_enough_to_get_it_applied():
    model = Clamped()
    assert model.has_constraints()
    assert not Model().has_constraints()
    from pylearn2.training_algorithms.sgd import SGD

    data = classification_data(n=10)

    class SquaredW:
        def get_data_specs(self, model):
            from pylearn2.space import VectorSpace

            return VectorSpace(5), "features"

        def get_gradients(self, model, data):
            return {model.w: -torch.ones(3)}, {}  # pushes w up every step

        def state_dict(self):
            return {}

    algorithm = SGD(learning_rate=1.0, batch_size=5, cost=SquaredW())
    algorithm.setup(model, data)
    algorithm.train(data)
    assert torch.equal(model.w.detach(), torch.ones(3))
    assert classifier().has_constraints() is False  # Linear layers without norms say no


def test_main_loop_stays_short_and_documents_the_hook_order():
    import inspect

    from pylearn2.train import Train

    parts = [Train.main_loop, Train._all_extensions, Train._train_epoch, Train._should_continue,
             Train.setup, Train.run_callbacks_and_monitoring]
    lines = sum(len(inspect.getsource(f).splitlines()) for f in parts)
    assert lines < 100, f"Train.main_loop and the hooks it calls are {lines} lines"
    doc = Train.main_loop.__doc__
    order = ["ext.setup", "ext.on_monitor", "ext.on_epoch_begin", "ext.on_batch_end",
             "ext.on_epoch_end", "ext.on_save", "ext.on_error", "ext.on_train_end"]
    positions = [doc.index(hook) for hook in order]
    assert positions == sorted(positions)


def test_model_files_naming_the_old_mlp_path_still_load(tmp_path):
    import json
    import zipfile

    from pylearn2.utils import serial

    model = classifier()
    serial.save(tmp_path / "new.pkl", model)
    with zipfile.ZipFile(tmp_path / "new.pkl") as src, \
            zipfile.ZipFile(tmp_path / "old.pkl", "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "manifest.json":
                text = data.decode()
                assert "pylearn2.models.mlp.mlp.MLP" in text
                data = text.replace("pylearn2.models.mlp.mlp.MLP",
                                    "pylearn2.models.mlp.layer.MLP").encode()
                json.loads(data)
            dst.writestr(item, data)
    loaded = serial.load(tmp_path / "old.pkl")
    for p, q in zip(model.parameters(), loaded.parameters()):
        assert torch.equal(p, q)
