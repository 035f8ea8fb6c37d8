"""Defect: get_tokens reads nine columns and leaves api_domain out.

Rule G1 must catch it: every token from get_tokens carries all ten fields.
The query was written before the SDK added ``api_domain`` and never updated;
find_token and find_token_by_id still read all ten columns.
"""

from __future__ import annotations

from clean_store import FIELDS, CleanSQLiteStore, token_from_record

# Defect: the column list of the nine-field table, without api_domain.
NINE_FIELDS = tuple(name for name in FIELDS if name != "api_domain")


class DropsApiDomainStore(CleanSQLiteStore):
    def get_tokens(self):
        with self._transaction() as connection:
            rows = connection.execute(f"SELECT {self._columns(NINE_FIELDS)} FROM tokens").fetchall()
        return [token_from_record(dict(zip(NINE_FIELDS, row))) for row in rows]
