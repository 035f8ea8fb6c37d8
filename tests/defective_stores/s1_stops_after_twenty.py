"""Defect: save_token silently stops inserting once the store contains twenty records.

Rule S1 must catch it: a token with no matching record is inserted. The store
was written with a fixed-size table and no error for a full one.
"""

from __future__ import annotations

from clean_store import CleanListStore

CAPACITY = 20


class StopsAfterTwentyStore(CleanListStore):
    def _insert(self, token):
        # Defect: a full store drops the new token without an error.
        if len(self._records) >= CAPACITY:
            return
        super()._insert(token)
