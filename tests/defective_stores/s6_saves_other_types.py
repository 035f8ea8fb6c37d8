"""Defect: save_token raises AttributeError for an argument that is not an OAuthToken.

Rule S6 (SHOULD) must catch it: such an argument is ignored without an error.
"""

from __future__ import annotations

from clean_store import CleanListStore


class SavesOtherTypesStore(CleanListStore):
    def save_token(self, token):
        # Defect: no isinstance check before the token's getters are called.
        with self._lock:
            record = self._find_record(token)
            if record is None:
                self._insert(token)
            else:
                self._update(record, token)
