"""SQLite for the embedded default, with fair queuing of writers inside one process.

SQLite lets one writer in at a time; the others poll their busy handler and, under a burst of
threads (a hall's kiosks, windows and the worker in one `govhall serve`), one of them can lose
every poll until its timeout and fail with "database is locked" — a lost ticket. Here every write
transaction (Django's `atomic`, which begins IMMEDIATE) first takes a per-file lock of this
process, so writers of one process wait in line and are woken on release instead of polling;
SQLite's own busy timeout still arbitrates between processes (server and worker).
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(name: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(name, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_lock: threading.Lock | None = None

    def _start_transaction_under_autocommit(self) -> None:
        lock = _lock_for(str(self.settings_dict["NAME"]))
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 30))
        if not lock.acquire(timeout=timeout):
            raise OperationalError(f"database is locked: no write turn within {timeout:g} s")
        self._writer_lock = lock
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        lock, self._writer_lock = self._writer_lock, None
        if lock is not None:
            lock.release()

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._release_writer()
