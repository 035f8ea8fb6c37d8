"""Defect: delete_token pastes the id into the SQL text without quotes or parameters.

Rule D1 must catch it: the id ``1 OR 1=1`` turns the statement into
``DELETE FROM tokens WHERE id = 1 OR 1=1``, which deletes every record.
"""

from __future__ import annotations

from clean_store import CleanSQLiteStore


class UnquotedDeleteStore(CleanSQLiteStore):
    def _delete_row(self, connection, token_id):
        # Defect: string formatting instead of a ? parameter.
        connection.execute(f"DELETE FROM tokens WHERE id = {token_id}")
