"""Defect: find_token deletes a record whose access token has expired, while returning it.

Rule SDK9 must catch it. The store cleans up expired tokens on read. When the
SDK then fails to refresh (Zoho is down or returns an error), the user's
record, and with it the refresh token, is gone.
"""

from __future__ import annotations

import time

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from clean_store import CleanListStore


class DropsExpiredOnFindStore(CleanListStore):
    def find_token(self, token):
        found = super().find_token(token)
        if not isinstance(found, OAuthToken):
            return found

        expiry = found.get_expires_in()
        if expiry and int(expiry) < time.time() * 1000:
            # Defect: the expired record is deleted before the SDK could refresh it.
            self.delete_token(found.get_id())
        return found
