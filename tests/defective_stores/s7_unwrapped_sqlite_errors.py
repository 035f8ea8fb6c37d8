"""Defect: errors of the sqlite3 module reach the caller unwrapped.

Rule S7 (SHOULD) must catch it: a corrupted database file or a value that
SQLite cannot bind raises ``sqlite3.DatabaseError`` or
``sqlite3.ProgrammingError`` where the SDK's callers expect ``SDKException``.
"""

from __future__ import annotations

from contextlib import contextmanager

from clean_store import CleanSQLiteStore


class UnwrappedSQLiteErrorsStore(CleanSQLiteStore):
    @contextmanager
    def _transaction(self):
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        # Defect: no `except sqlite3.Error` that raises SDKException from the error.
        finally:
            self._release(connection)
