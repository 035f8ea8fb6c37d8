"""Defect: the expiry_time column is declared INTEGER, so the expiry comes back as an int.

Rule R2 must catch it: SQLite converts the stored string ``"1700000000000"`` to
an integer, and the SDK's ``len(token.get_expires_in())`` then raises
TypeError.
"""

from __future__ import annotations

from clean_store import CleanSQLiteStore


class IntegerExpiryStore(CleanSQLiteStore):
    # Defect: INTEGER affinity converts numeric text on insert.
    column_types = {**CleanSQLiteStore.column_types, "expiry_time": "INTEGER"}
