"""Runs that never trip over each other (issue 12 item 5): the advisory lock on
``<save_path>.lock``, clean-up of stale temporary files, and the CSV log cut back to the
checkpoint's epoch on resume."""

from __future__ import annotations

import csv
import os
import re

import pytest
from helpers import csv_rows_without_timing, small_job

from pylearn2.train_extensions.base import TrainExtension
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.run_lock import RunLock

pytestmark = pytest.mark.skipif(os.name != "posix", reason="fcntl locks are POSIX only")


def test_second_run_on_the_same_save_path_refuses_naming_the_holder(tmp_path):
    save = tmp_path / "run.pkl"
    other = RunLock(str(save))
    other.acquire()
    try:
        with open(f"{save}.lock") as handle:
            assert handle.read().startswith(f"pid {os.getpid()} on host ")
        with pytest.raises(ConfigError) as info:
            small_job(save, epochs=1).main_loop()
        assert f"pid {os.getpid()} on host" in str(info.value)
        assert "in use by another run" in str(info.value)
        assert not save.exists()  # refused before anything was written
        small_job(save, epochs=1).setup(dry_run=True)  # a dry run takes no lock
    finally:
        other.release()
    assert not os.path.exists(f"{save}.lock")
    small_job(save, epochs=1).main_loop()  # free again
    assert save.exists() and not os.path.exists(f"{save}.lock")  # released at the end


class _TryToLock(TrainExtension):
    def __init__(self, path):
        self.path = path
        self.errors = []

    def on_epoch_end(self, **kwargs):
        try:
            RunLock(self.path).acquire()
        except ConfigError as err:
            self.errors.append(str(err))


def test_lock_is_held_for_the_whole_run_and_dropped_after_an_error(tmp_path):
    save = tmp_path / "run.pkl"
    probe = _TryToLock(str(save))
    small_job(save, epochs=2, extensions=[probe]).main_loop()
    assert len(probe.errors) == 2 and all(f"pid {os.getpid()}" in e for e in probe.errors)

    class Boom(TrainExtension):
        def on_epoch_end(self, **kwargs):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        small_job(tmp_path / "b.pkl", epochs=2, extensions=[Boom()]).main_loop()
    lock = RunLock(str(tmp_path / "b.pkl"))
    lock.acquire()  # the failed run let go
    lock.release()


def test_stale_temp_files_are_removed_only_when_the_lock_is_ours(tmp_path):
    save = tmp_path / "run.pkl"
    stale = [tmp_path / ".run.pkl.tmp-dead0001", tmp_path / ".run.pkl.ckpt.tmp-dead0002"]
    unrelated = tmp_path / ".other.pkl.tmp-0003"
    for path in [*stale, unrelated]:
        path.write_bytes(b"half a model")
    holder = RunLock(str(save))
    holder.acquire()
    with pytest.raises(ConfigError):
        small_job(save, epochs=1).main_loop()
    assert all(p.exists() for p in stale)  # not ours to touch while another run holds it
    holder.release()
    small_job(save, epochs=1).main_loop()
    assert not any(p.exists() for p in stale)
    assert unrelated.exists()


def test_resumed_csv_equals_the_uninterrupted_runs_log(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    small_job(tmp_path / "a" / "run.pkl", epochs=3).main_loop()
    expected = csv_rows_without_timing(tmp_path / "a" / "run.csv")
    assert [row[0] for row in expected] == ["epoch", "0", "1", "2", "3"]

    save = tmp_path / "b" / "run.pkl"
    small_job(save, epochs=2).main_loop()
    log = tmp_path / "b" / "run.csv"
    with open(log, newline="") as handle:
        rows = list(csv.reader(handle))
    # a run killed after writing epoch 3's row but before its checkpoint, and mid-way
    # through a second row
    extra = [row[:] for row in rows[-1:]]
    extra[0][0] = "3"
    with open(log, "a", newline="") as handle:
        csv.writer(handle).writerows(extra)
        handle.write("3,40,")
    small_job(save, epochs=3).main_loop(resume=True)
    assert csv_rows_without_timing(log) == expected


# -- every output is locked, not only save_path ---------------------------------------------
def _lock_files(folder):
    return sorted(p.name for p in folder.rglob("*.lock"))


def test_a_second_run_writing_the_same_best_file_refuses_and_takes_nothing(tmp_path):
    from pylearn2.train_extensions.best_params import MonitorBasedSaveBest

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    best = tmp_path / "shared_best.pkl"
    first = small_job(tmp_path / "a" / "run.pkl", epochs=1,
                      extensions=[MonitorBasedSaveBest("valid_objective", save_path=str(best))])
    first.setup()  # holds its outputs until release_outputs()
    try:
        assert _lock_files(tmp_path) == ["run.csv.lock", "run.pkl.ckpt.lock", "run.pkl.lock",
                                         "shared_best.pkl.lock"]
        second = small_job(tmp_path / "b" / "run.pkl", epochs=1,
                           extensions=[MonitorBasedSaveBest("valid_objective",
                                                            save_path=str(best))])
        with pytest.raises(ConfigError) as info:
            second.main_loop()
        message = str(info.value)
        assert message.startswith(f"{best} is in use by another run (pid {os.getpid()} on host ")
        assert f"lock file {best}.lock" in message
        # all or none: the locks the second run took before the clash are let go again
        assert _lock_files(tmp_path / "b") == []
        assert not (tmp_path / "b" / "run.pkl").exists()
    finally:
        first.release_outputs()
    assert _lock_files(tmp_path) == []
    small_job(tmp_path / "b" / "run.pkl", epochs=1,
              extensions=[MonitorBasedSaveBest("valid_objective", save_path=str(best))]).main_loop()
    assert best.exists() and _lock_files(tmp_path) == []


def test_folders_plots_and_duck_typed_extensions_are_locked_through_output_paths(tmp_path):
    from pylearn2.train_checks import output_paths
    from pylearn2.train_extensions.plots import PlotManager, Plots
    from pylearn2.train_extensions.tensorboard import TensorBoard

    events = tmp_path / "events"
    holder = RunLock(f"{events}/")  # a folder's lock sits beside it, not inside it
    assert holder.path == f"{events}.lock"
    holder.acquire()
    try:
        # TensorBoard's set-up (which needs the tensorboard package) is never reached
        with pytest.raises(ConfigError, match=rf"^{re.escape(str(events))} is in use"):
            small_job(tmp_path / "run.pkl", epochs=1,
                      extensions=[TensorBoard(log_dir=str(events))]).main_loop()
    finally:
        holder.release()

    plots = PlotManager([Plots(["valid_objective"], save_path=str(tmp_path / "curve"))], freq=1,
                        html_path=str(tmp_path / "page.html"))

    class WritesALog:  # not a TrainExtension: its ``path`` attribute still counts
        path = str(tmp_path / "notes.txt")

        def on_monitor(self, **kwargs):
            pass

    job = small_job(tmp_path / "run.pkl", epochs=1, extensions=[plots, WritesALog()])
    assert output_paths(job)[-3:] == [str(tmp_path / "curve.png"), str(tmp_path / "page.html"),
                                      WritesALog.path]
    for clashing in [tmp_path / "curve.png", tmp_path / "page.html", tmp_path / "notes.txt"]:
        other = RunLock(str(clashing))
        other.acquire()
        try:
            with pytest.raises(ConfigError, match=rf"^{re.escape(str(clashing))} is in use"):
                small_job(tmp_path / "run.pkl", epochs=1,
                          extensions=[plots, WritesALog()]).main_loop()
        finally:
            other.release()


def test_only_rank_0_locks_under_torchrun(tmp_path, monkeypatch):
    from pylearn2 import train as train_module

    seen = []

    class LookForLocks(TrainExtension):
        def on_epoch_end(self, **kwargs):
            seen.append(_lock_files(tmp_path))

    monkeypatch.setattr(train_module.distributed, "is_main", lambda: False)
    holder = RunLock(str(tmp_path / "run.pkl"))
    holder.acquire()  # another process's lock does not stop a rank that writes nothing
    try:
        small_job(tmp_path / "run.pkl", epochs=1, extensions=[LookForLocks()]).main_loop()
    finally:
        holder.release()
    assert seen == [["run.pkl.lock"]]  # the holder's alone
    monkeypatch.undo()
    small_job(tmp_path / "run.pkl", epochs=1, extensions=[LookForLocks()]).main_loop()
    assert seen[-1] == ["run.csv.lock", "run.pkl.ckpt.lock", "run.pkl.lock"]


@pytest.mark.slow
def test_the_refusal_names_another_process_its_host_and_command(tmp_path):
    import socket
    import subprocess
    import sys

    log = tmp_path / "run.csv"
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pylearn2.utils.run_lock import RunLock; "
         "lock = RunLock(sys.argv[1]); lock.acquire(); print('locked', flush=True); "
         "time.sleep(60)",
         str(log)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError) as info:
            small_job(tmp_path / "run.pkl", epochs=1).main_loop()
        assert str(info.value).startswith(
            f"{log} is in use by another run (pid {child.pid} on host {socket.gethostname()}: "
            f"-c {log}; lock file {log}.lock)")
        assert not (tmp_path / "run.pkl").exists()
    finally:
        child.kill()
        child.wait()
    small_job(tmp_path / "run.pkl", epochs=1).main_loop()  # the kernel dropped the dead lock
    assert (tmp_path / "run.pkl").exists()


def test_a_second_pylearn2_train_moves_nothing_of_a_run_that_holds_the_outputs(tmp_path, capsys):
    from pylearn2.scripts import cli

    config = tmp_path / "exp.yaml"
    config.write_text("""\
!obj:pylearn2.train.Train {
    dataset: &d !obj:pylearn2.datasets.digits.Digits { which_set: 'train', stop: 40 },
    model: !obj:pylearn2.models.mlp.MLP { nvis: 64, layers: [
        !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, irange: 0.1 }] },
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD { learning_rate: 0.1, batch_size: 20,
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 1 } },
    save_path: "${PYLEARN2_TRAIN_DIR}exp.pkl", save_freq: 1,
}
""")
    assert cli.main(["train", "-q", str(config)]) == 0
    first = (tmp_path / "exp.pkl").read_bytes()
    holder = RunLock(str(tmp_path / "exp.pkl"))  # that run is still going
    holder.acquire()
    try:
        assert cli.main(["train", "-q", str(config)]) == 2
        assert f"exp.pkl is in use by another run (pid {os.getpid()}" in capsys.readouterr().err
    finally:
        holder.release()
    # its outputs stay where they are: nothing numbered away, nothing rewritten
    assert (tmp_path / "exp.pkl").read_bytes() == first
    assert not list(tmp_path.glob("exp.1.*"))
    assert cli.main(["train", "-q", str(config)]) == 0  # free again: the earlier run is kept
    assert (tmp_path / "exp.1.pkl").read_bytes() == first
