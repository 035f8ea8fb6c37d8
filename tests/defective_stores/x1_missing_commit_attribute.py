"""Defect: delete_tokens commits through an attribute that the store does not have.

Rule X1 must catch it: ``self.connection`` does not exist, so delete_tokens
raises AttributeError and its DELETE is rolled back, leaving every record.
"""

from __future__ import annotations

from clean_store import CleanSQLiteStore


class MissingCommitAttributeStore(CleanSQLiteStore):
    def delete_tokens(self):
        with self._transaction() as connection:
            connection.execute("DELETE FROM tokens")
            # Defect: the store opens one connection per call and has no
            # `connection` attribute.
            self.connection.commit()
