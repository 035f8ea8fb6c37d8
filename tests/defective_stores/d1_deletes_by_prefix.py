"""Defect: delete_token removes every record whose id starts with the given id.

Rule D1 must catch it: delete_token removes the record with exactly that id
and no other. The store was ported from a key-value store whose delete took a
key prefix.
"""

from __future__ import annotations

from clean_store import CleanListStore


class DeletesByPrefixStore(CleanListStore):
    def delete_token(self, id):
        with self._lock:
            # Defect: a prefix match, so deleting "a" also deletes "ab".
            self._records = [
                record for record in self._records if not record["id"].startswith(id)
            ]
