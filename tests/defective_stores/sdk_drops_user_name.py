"""Defect: save_token stores no user name.

Rule SDK1 must catch it. After the first login the SDK fills in the user name
from the CRM current-user endpoint and saves the token. This store keeps only
the OAuth fields, so the record cannot be found by user, and
``Initializer.switch_user`` with a user signature finds nothing.
"""

from __future__ import annotations

from clean_store import CleanListStore


class DropsUserNameStore(CleanListStore):
    def _insert(self, token):
        # Defect: the user signature is dropped before the record is written.
        token.set_user_signature(None)
        super()._insert(token)
