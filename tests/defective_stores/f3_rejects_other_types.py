"""Defect: find_token raises AttributeError for an argument that is not an OAuthToken.

Rule F3 (SHOULD) must catch it: such an argument is returned unchanged.
"""

from __future__ import annotations

from clean_store import CleanListStore, fill_absent_fields


class RejectsOtherTypesStore(CleanListStore):
    def find_token(self, token):
        # Defect: no isinstance check, so the first getter call fails.
        with self._lock:
            record = self._find_record(token)
            if record is None:
                return None

            fill_absent_fields(token, record)
            return token
