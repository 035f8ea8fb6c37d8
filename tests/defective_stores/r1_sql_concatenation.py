"""Defect: the lookup query quotes the key value by string concatenation.

Rule R1 must catch it: a user name with an apostrophe, a valid email such as
``o'brien@example.com``, ends the SQL string early, so save_token and
find_token fail with a syntax error for that user.
"""

from __future__ import annotations

from clean_store import CleanSQLiteStore


class SQLConcatenationStore(CleanSQLiteStore):
    def _find_row(self, connection, token):
        key = self._lookup_key(connection, token)
        if key is None:
            return None

        field, value = key
        # Defect: the value is pasted between quotes instead of passed as a parameter.
        query = f"SELECT {self._columns()} FROM tokens WHERE {field} = '" + value + "' LIMIT 1"
        return connection.execute(query).fetchone()
