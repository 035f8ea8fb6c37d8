"""Defect: token values shorter than ten characters are stored as missing.

Rule R1 must catch it: every value round-trips, short ones included. The
store took short values for placeholders such as ``"null"`` or ``"none"``.
"""

from __future__ import annotations

from clean_store import CleanListStore

TOKEN_FIELDS = ("refresh_token", "access_token", "grant_token")


class DropsShortValuesStore(CleanListStore):
    def _stored_form(self, record):
        record = dict(record)
        for name in TOKEN_FIELDS:
            # Defect: a length test used as a validity test.
            if record[name] is not None and len(record[name]) < 10:
                record[name] = None
        return record
