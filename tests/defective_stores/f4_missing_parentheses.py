"""Defect: find_token takes a refresh token without client credentials as a lookup key.

Rule F4 (SHOULD) must catch it: the key condition of find_token reads
``refresh or grant and client_id and client_secret``, which Python groups as
``refresh or (grant and ...)``, so a probe with only a refresh token finds the
record that contains it although it has no key. save_token keeps the correct
condition.
"""

from __future__ import annotations

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from clean_store import CleanListStore, fill_absent_fields, is_present


def misgrouped_credentials_key(token):
    access = token.get_access_token()
    grant = token.get_grant_token()
    refresh = token.get_refresh_token()
    client_id = token.get_client_id()
    client_secret = token.get_client_secret()

    if is_present(access) and client_id is None and client_secret is None:
        return ("access_token", access)

    has_credentials = client_id is not None and client_secret is not None
    # Defect: the parentheses around the two token tests are missing.
    if is_present(refresh) or is_present(grant) and has_credentials:
        return ("grant_token", grant) if is_present(grant) else ("refresh_token", refresh)
    return None


class MissingParenthesesStore(CleanListStore):
    def find_token(self, token):
        if not isinstance(token, OAuthToken):
            return token

        with self._lock:
            key = self._lookup_key(token)
            if key is None or key[0] not in ("id", "user_name"):
                key = misgrouped_credentials_key(token)
            record = self._record_for_key(key)
            if record is None:
                return None

            fill_absent_fields(token, record)
            return token
