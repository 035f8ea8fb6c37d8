"""Defect: the SQLite connections wait for no lock, so concurrent processes get errors.

Rule C2 must catch it: several processes on one location lose nothing and
raise nothing. The store opens each connection with ``timeout=0``, so a save
while another process holds the write lock fails with "database is locked"
at once. Within one process the store serializes calls, so threads pass.
"""

from __future__ import annotations

import sqlite3
import threading

from clean_store import CleanSQLiteStore

_PROCESS_LOCK = threading.Lock()


class NoBusyTimeoutStore(CleanSQLiteStore):
    def _connect(self) -> sqlite3.Connection:
        # Defect: timeout=0 gives up at once when another process holds the lock.
        _PROCESS_LOCK.acquire()
        try:
            return sqlite3.connect(self._path, timeout=0, isolation_level=None)
        except BaseException:
            _PROCESS_LOCK.release()
            raise

    def _release(self, connection: sqlite3.Connection) -> None:
        try:
            connection.close()
        finally:
            _PROCESS_LOCK.release()
