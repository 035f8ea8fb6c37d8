"""Defect: the update statement ends in ``LIMIT 1``.

Rule SQL1 (SHOULD) must catch it: SQLite accepts ``UPDATE ... LIMIT`` only when
built with ``SQLITE_ENABLE_UPDATE_DELETE_LIMIT``. Where the build has it the
store works, so only the kit's check of the SQL that the store sends finds it.
"""

from __future__ import annotations

from clean_store import FIELDS, CleanSQLiteStore


class UpdateLimitStore(CleanSQLiteStore):
    def _write_update(self, connection, record):
        names = [name for name in FIELDS if name != "id"]
        assignments = ", ".join(f"{name} = ?" for name in names)
        values = [record[name] for name in names] + [record["id"]]
        # Defect: LIMIT is not part of standard SQLite UPDATE syntax.
        connection.execute(f"UPDATE tokens SET {assignments} WHERE id = ? LIMIT 1", values)
