"""Defect: the id generator of a list store skips the first record.

Rule S4 must catch it: with one record stored the generator reads no ids, so
the second insert gets id ``"1"`` again and two records share it.
"""

from __future__ import annotations

from clean_store import CleanListStore


class ListSkipsFirstStore(CleanListStore):
    def _new_id(self):
        # Defect: the slice starts at 1, so the first record's id is never seen.
        ids = [int(record["id"]) for record in self._records[1:]]
        return str(max(ids, default=0) + 1)
