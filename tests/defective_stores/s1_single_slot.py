"""Defect: save_token keeps only the latest inserted token, erasing every other user's.

Rule S1 must catch it: tokens of different users stay separate records. The
store was written for a single-user script and reused in a multi-user app.
"""

from __future__ import annotations

from clean_store import CleanListStore, check_insertable


class SingleSlotStore(CleanListStore):
    def _insert(self, token):
        check_insertable(token)
        # Defect: an insert replaces the whole list instead of appending.
        self._records = []
        super()._insert(token)
