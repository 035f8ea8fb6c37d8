"""Defect: the database file is created by ``sqlite3.connect`` with the process umask.

Rule SEC1 (SHOULD) must catch it: with the usual umask 022 the file holding
refresh tokens and client secrets is readable by every local user (mode 0644).
"""

from __future__ import annotations

from clean_store import CleanSQLiteStore


class DefaultUmaskStore(CleanSQLiteStore):
    def _create_file(self):
        # Defect: no owner-only file is created before sqlite3 opens the path.
        pass
