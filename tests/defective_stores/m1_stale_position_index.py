"""Defect: updates write to a cached list position that delete_token never shifts.

Rule M1 must catch it, and only a sequence exposes it: insert two records,
delete the first, then update the second. The cached position of the second
record now points past the end of the list (an IndexError) or, with a third
record stored, at that third record, which the update overwrites. Each
operation alone, and each pair of operations, behaves correctly.
"""

from __future__ import annotations

from clean_store import CleanListStore


class StalePositionIndexStore(CleanListStore):
    def __init__(self):
        super().__init__()
        self._positions = {}

    def _insert(self, token):
        super()._insert(token)
        self._positions[token.get_id()] = len(self._records) - 1

    def _position_of(self, record):
        # Defect: positions are recorded on insert and never shifted on delete.
        return self._positions[record["id"]]

    def delete_token(self, id):
        with self._lock:
            super().delete_token(id)
            self._positions.pop(id, None)

    def delete_tokens(self):
        with self._lock:
            super().delete_tokens()
            self._positions.clear()
