"""Defect: find_token keeps the record it found in an attribute that save_token then updates.

Rule SDK6 must catch it. The store saves a second lookup by remembering, in one
attribute shared by every thread, the record that the last find_token matched,
and the next save_token writes into that record. In one thread the SDK always
saves the token it has just looked up, so single-user flows work. With
``Initializer.switch_user`` in several threads, another thread's find_token
runs in between, and a user's refreshed tokens land in another user's record.
"""

from __future__ import annotations

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from clean_store import CleanListStore, merge_present_fields


class SharedCurrentRecordStore(CleanListStore):
    def __init__(self):
        super().__init__()
        self._current = None

    def find_token(self, token):
        if not isinstance(token, OAuthToken):
            return token

        with self._lock:
            # Defect: one "current record" for the whole store, not one per caller.
            self._current = self._find_record(token)
            return super().find_token(token)

    def save_token(self, token):
        if not isinstance(token, OAuthToken):
            return

        with self._lock:
            current, self._current = self._current, None
            if current is None or self._record_with_id(current["id"]) is None:
                super().save_token(token)
                return

            position = self._position_of(current)
            self._records[position] = merge_present_fields(current, token)
            token.set_id(current["id"])
