"""Defect: find_token_by_id also matches the user name and the client id.

Rule I1 must catch it: an id equal to another record's user name or client id
returns that record, so a guessed id reaches another user's token.
"""

from __future__ import annotations

from clean_store import CleanSQLiteStore, token_from_record


class MatchesOtherColumnsStore(CleanSQLiteStore):
    def find_token_by_id(self, id):
        # Defect: a "search anywhere" query in place of an exact id match.
        query = (
            f"SELECT {self._columns()} FROM tokens "
            "WHERE id = ? OR user_name = ? OR client_id = ? ORDER BY rowid LIMIT 1"
        )
        with self._transaction() as connection:
            row = connection.execute(query, (id, id, id)).fetchone()
        return None if row is None else token_from_record(self._record_of_row(row))
