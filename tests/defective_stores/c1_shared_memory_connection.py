"""Defect: one in-memory SQLite connection serves every thread.

Rule C1 (SHOULD) must catch it: the connection is created in the thread that
builds the store, and ``sqlite3`` checks the thread of each call
(``check_same_thread=True`` by default), so a call from any other thread
raises ``ProgrammingError``. Every test that calls the store from one thread
passes. SDK6 (MUST) fails too, because the SDK calls the store from the
threads of switched users.
"""

from __future__ import annotations

import sqlite3

from clean_store import CleanSQLiteStore


class SharedMemoryConnectionStore(CleanSQLiteStore):
    # The database lives in memory, so nothing persists.
    tokenstore_features = frozenset()

    def __init__(self):
        # Defect: created here and then used from whatever thread calls the store.
        self._shared_connection = sqlite3.connect(":memory:", isolation_level=None)
        super().__init__(":memory:")

    def _create_file(self):
        pass

    def _connect(self):
        return self._shared_connection

    def _release(self, connection):
        pass

    def close(self):
        self._shared_connection.close()
