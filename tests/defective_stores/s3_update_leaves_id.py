"""Defect: the update path of save_token does not set the token's id.

Rule S3 must catch it: after an update ``token.get_id()`` stays ``None``, so
``OAuthToken.remove()`` then calls ``delete_token(None)`` and removes nothing.
"""

from __future__ import annotations

from clean_store import CleanSQLiteStore, merge_present_fields


class UpdateLeavesIdStore(CleanSQLiteStore):
    def _update(self, connection, record, token):
        # Defect: the merged record is written but token.set_id() is never called.
        self._write_update(connection, merge_present_fields(record, token))
