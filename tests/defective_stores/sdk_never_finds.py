"""Defect: find_token and find_token_by_id never find a stored record.

Rules SDK2, SDK3 and SDK5 must catch it. The store saves records but its
lookups always return None, as a lookup against the wrong table would. A
restarted application never finds its token: the SDK exchanges the grant code
again (SDK2), requests a token although a valid one is stored (SDK3), and does
the same for an id-based token (SDK5).
"""

from __future__ import annotations

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from clean_store import CleanListStore


class NeverFindsStore(CleanListStore):
    def find_token(self, token):
        if not isinstance(token, OAuthToken):
            return token
        # Defect: the lookup never matches.
        return None

    def find_token_by_id(self, id):
        # Defect: the lookup by id never matches either.
        return None
