"""Defect: find_token reads from a cache that save_token does not update.

Rule SDK4 must catch it. The store caches each record that find_token returns,
by lookup key, and drops cache entries only on delete. After the SDK refreshes
an expired access token and saves it, the record contains the new token but
find_token keeps returning the expired one, so every restart of the application
refreshes again. Zoho Accounts limits how often a refresh token may be used,
so such an application is soon refused new access tokens.
"""

from __future__ import annotations

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from clean_store import CleanListStore, fill_absent_fields


class StaleFindCacheStore(CleanListStore):
    def __init__(self):
        super().__init__()
        self._cache = {}

    def find_token(self, token):
        if not isinstance(token, OAuthToken):
            return token

        with self._lock:
            key = self._lookup_key(token)
            if key is None:
                return None

            if key not in self._cache:
                record = self._find_record(token)
                if record is None:
                    return None
                # Defect: the cached copy is never refreshed by save_token.
                self._cache[key] = dict(record)

            fill_absent_fields(token, self._cache[key])
            return token

    def delete_token(self, id):
        with self._lock:
            super().delete_token(id)
            self._cache = {key: record for key, record in self._cache.items() if record["id"] != id}

    def delete_tokens(self):
        with self._lock:
            super().delete_tokens()
            self._cache = {}
