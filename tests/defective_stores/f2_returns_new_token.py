"""Defect: find_token returns a new token and leaves the probe it was given unfilled.

Rule F2 must catch it: ``OAuthToken.revoke(id)`` ignores the return value of
find_token and reads the refresh token from the probe, which stays empty.
"""

from __future__ import annotations

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from clean_store import CleanListStore, token_from_record


class ReturnsNewTokenStore(CleanListStore):
    def find_token(self, token):
        if not isinstance(token, OAuthToken):
            return token

        with self._lock:
            record = self._find_record(token)
        # Defect: a copy of the record is returned instead of the filled probe.
        return None if record is None else token_from_record(record)
