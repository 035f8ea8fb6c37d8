"""Defect: find_token returns the first record when the probe has no lookup key.

Rule F1 must catch it: a probe that matches no record by id, user name,
access, grant or refresh token receives another user's token.
"""

from __future__ import annotations

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from clean_store import CleanSQLiteStore, fill_absent_fields


class FirstRecordFallbackStore(CleanSQLiteStore):
    def find_token(self, token):
        if not isinstance(token, OAuthToken):
            return token

        with self._transaction() as connection:
            row = self._find_row(connection, token)
            if row is None and self._lookup_key(connection, token) is None:
                # Defect: no key means no WHERE clause, so the first row wins.
                query = f"SELECT {self._columns()} FROM tokens ORDER BY rowid LIMIT 1"
                row = connection.execute(query).fetchone()
        if row is None:
            return None

        fill_absent_fields(token, self._record_of_row(row))
        return token
