"""Where a study lives: a journal file (default, embedded) or any SQLAlchemy URL; both with heartbeats.

Workers that share a storage and a study name join one study, on one machine (the journal file, or
SQLite) or many (PostgreSQL/MySQL through an SQLAlchemy URL, or a journal file on a shared file system).

A worker that dies mid-trial (SIGKILL, a lost machine) leaves its trial RUNNING. Each running trial
records a heartbeat every ``heartbeat`` seconds; before each new trial a worker marks FAIL every
running trial whose heartbeat is older than the grace period (3 heartbeats). With an RDB URL this is
Optuna's own heartbeat (``RDBStorage(heartbeat_interval=...)``). Optuna's journal storage has none,
so :class:`HeartbeatJournalStorage` adds it through trial system attributes, and also fails at once a
trial whose worker ran on this machine and whose process is gone.
"""

from __future__ import annotations

import os
import socket
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import JournalStorage
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial, TrialState

from divergan.errors import UserError

HEARTBEAT_KEY = "divergan:heartbeat"
JOURNAL_NAME = "journal.log"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class HeartbeatJournalStorage(JournalStorage, BaseHeartbeat):
    """Optuna's journal storage with heartbeats (trial system attribute ``divergan:heartbeat``)."""

    def __init__(self, backend: Any, heartbeat: int, grace: float) -> None:
        super().__init__(backend)
        self._heartbeat, self._grace = heartbeat, grace
        self._host, self._pid = socket.gethostname(), os.getpid()

    def record_heartbeat(self, trial_id: int) -> None:
        beat = {"time": time.time(), "host": self._host, "pid": self._pid}
        try:
            self.set_trial_system_attr(trial_id, HEARTBEAT_KEY, beat)
        except optuna.exceptions.UpdateFinishedTrialError:
            pass  # another worker judged this trial dead; its result will not count

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        now = time.time()
        stale = []
        for trial in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            beat = trial.system_attrs.get(HEARTBEAT_KEY)
            if beat is None:  # asked but never beat: judged from its start
                started = trial.datetime_start.timestamp() if trial.datetime_start else now
                if now - started > self._grace:
                    stale.append(trial._trial_id)
                continue
            here_and_gone = (
                beat["host"] == self._host and beat["pid"] != self._pid and not _alive(beat["pid"])
            )
            if here_and_gone or now - beat["time"] > self._grace:
                stale.append(trial._trial_id)
        return stale

    def get_heartbeat_interval(self) -> int | None:
        return self._heartbeat

    def get_heartbeat_stale_trial_callback(self) -> Callable[[optuna.Study, FrozenTrial], None]:
        return announce_stale


def announce_stale(study: optuna.Study, trial: FrozenTrial) -> None:
    """Say which trial a worker marked failed because its worker stopped beating."""
    print(f"trial {trial.number}: failed (its worker stopped)", flush=True)


def fail_stale(study: optuna.Study) -> None:
    """Mark FAIL the running trials of dead workers (Optuna's ``fail_stale_trials``, also run before
    each trial of ``study.optimize``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def open_storage(url: str | None, out: Path, heartbeat: int) -> optuna.storages.BaseStorage:
    """The journal file ``out/journal.log`` (``url`` None), a ``journal:PATH`` file, or an RDB URL."""
    grace = 3 * heartbeat
    if url is None or url.startswith("journal:"):
        path = out / JOURNAL_NAME if url is None else Path(url.removeprefix("journal:"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return HeartbeatJournalStorage(JournalFileBackend(str(path)), heartbeat, grace)
    if "://" not in url:
        raise UserError(
            f"--storage {url!r}: give an SQLAlchemy URL (sqlite:///tune.db, postgresql://user@host/db) "
            "or journal:PATH"
        )
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["engine_kwargs"] = {"connect_args": {"timeout": 60}}  # several local workers wait, not fail
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                url,
                heartbeat_interval=heartbeat,
                grace_period=grace,
                heartbeat_stale_trial_callback=announce_stale,
                **kwargs,
            )
    except ModuleNotFoundError as exc:
        raise UserError(f"--storage {url}: needs the database driver {exc.name!r} (pip install it)") from None
    except Exception as exc:  # SQLAlchemy's many errors: a bad URL, a server that does not answer
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"--storage {url}: cannot open: {first}") from None
