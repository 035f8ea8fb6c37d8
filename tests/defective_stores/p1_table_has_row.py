"""Defect: the "does the table exist" check tests whether the table has a row.

Rule P1 must catch it: when a location was opened once and left empty, the
next instance finds no row, runs ``CREATE TABLE`` again and fails with
"table tokens already exists".
"""

from __future__ import annotations

import sqlite3

from clean_store import CleanSQLiteStore


class TableHasRowStore(CleanSQLiteStore):
    tokenstore_features = {"persistent"}

    def _create_schema(self, connection):
        try:
            has_row = connection.execute("SELECT id FROM tokens LIMIT 1").fetchone() is not None
        except sqlite3.OperationalError:
            has_row = False

        # Defect: an empty table is taken for a missing one.
        if not has_row:
            connection.execute(f"CREATE TABLE tokens ({self._table_definition()})")
        self._create_id_sequence(connection)
