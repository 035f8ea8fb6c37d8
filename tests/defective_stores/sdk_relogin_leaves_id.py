"""Defect: the update path of save_token does not set the token's id.

Rule SDK7 must catch it. When a stored user logs in again with a new grant
code, the SDK finds nothing by that code, exchanges it, and saves a token
without an id. The store updates the user's record by user name but leaves
``token.get_id()`` as ``None``. ``OAuthToken.remove()`` then calls
``delete_token(None)``, which removes nothing, and the user's tokens stay stored.
A first login (the insert path) and every refresh (the token already carries
the id that find_token filled in) still work.
"""

from __future__ import annotations

from clean_store import CleanListStore, merge_present_fields


class ReloginLeavesIdStore(CleanListStore):
    def _update(self, record, token):
        position = self._position_of(record)
        # Defect: the merged record is written but token.set_id() is never called.
        self._records[position] = self._stored_form(merge_present_fields(record, token))
