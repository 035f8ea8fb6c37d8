"""Defect: new ids are ``MAX(id) + 1`` over the TEXT id column.

Rule S4 must catch it: text order puts ``"9"`` above ``"10"``, so with ids
``"1"`` to ``"10"`` stored the next id is ``"10"`` again and the eleventh
insert fails on the primary key.
"""

from __future__ import annotations

from clean_store import CleanSQLiteStore


class TextMaxIdStore(CleanSQLiteStore):
    def _next_id(self, connection):
        # Defect: MAX() compares the TEXT values as strings, not as numbers.
        largest = connection.execute("SELECT MAX(id) FROM tokens").fetchone()[0]
        return str(int(largest or 0) + 1)
