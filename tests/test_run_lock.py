"""Runs that never trip over each other (issue 12 item 5): the advisory lock on
``<save_path>.lock``, clean-up of stale temporary files, and the CSV log cut back to the
checkpoint's epoch on resume."""

from __future__ import annotations

import csv
import os

import pytest
from helpers import small_job

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


TIMING = {"seconds", "training_seconds_this_epoch", "total_seconds_last_epoch"}


def _csv_without_timing(path):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    keep = [i for i, name in enumerate(rows[0]) if name not in TIMING]
    return [[row[i] for i in keep] for row in rows]


def test_resumed_csv_equals_the_uninterrupted_runs_log(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    small_job(tmp_path / "a" / "run.pkl", epochs=3).main_loop()
    expected = _csv_without_timing(tmp_path / "a" / "run.csv")
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
    assert _csv_without_timing(log) == expected
