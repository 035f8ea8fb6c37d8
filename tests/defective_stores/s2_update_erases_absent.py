"""Defect: an update replaces the whole record, so fields absent from the token are erased.

Rule S2 must catch it: absent fields of the token keep the stored values. The
SDK saves refreshed tokens that lack fields such as the grant token or the user
name, so this store loses them on the first refresh.
"""

from __future__ import annotations

from clean_store import CleanListStore, record_from_token


class UpdateErasesAbsentStore(CleanListStore):
    def _update(self, record, token):
        # Defect: every field comes from the token, absent ones included.
        replacement = record_from_token(token)
        replacement["id"] = record["id"]

        self._records[self._position_of(record)] = replacement
        token.set_id(record["id"])
