"""Defect: find_token has no lookup by id and finds only by user name or OAuth token.

Rule SDK8 must catch it. ``OAuthToken.revoke(id)`` passes ``OAuthToken(id=id)``
to find_token and reads the refresh token from that object: with no lookup by
id the store finds nothing, the SDK revokes nothing, and the user's refresh
token stays valid at Zoho. The SDK's own ``FileStore`` has the same gap.
save_token and find_token_by_id still find by id, so logins, refreshes and
id-based tokens work.
"""

from __future__ import annotations

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from clean_store import CleanListStore, fill_absent_fields, lookup_key


class FindIgnoresIdStore(CleanListStore):
    def find_token(self, token):
        if not isinstance(token, OAuthToken):
            return token

        with self._lock:
            # Defect: every id counts as not stored, so the lookup never uses the id.
            key = lookup_key(token, is_stored_id=lambda token_id: False)
            record = self._first_record_with(key)
            if record is None:
                return None

            fill_absent_fields(token, record)
            return token

    def _first_record_with(self, key):
        if key is None:
            return None

        field, value = key
        for record in self._records:
            if record[field] == value:
                return record
        return None
