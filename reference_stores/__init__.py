"""Reference ``TokenStore`` implementations for the Zoho CRM Python SDK.

``SQLiteFileStore`` keeps tokens in a SQLite file, ``SQLiteMemoryStore`` in an
in-memory SQLite database, and ``ListStore`` in a Python list. Each module
imports only the standard library and the SDK: copy ``sqlite_stores.py`` or
``list_store.py`` into an application to use a store without this package.
"""

from reference_stores.list_store import ListStore
from reference_stores.sqlite_stores import SQLiteFileStore, SQLiteMemoryStore

__all__ = ["ListStore", "SQLiteFileStore", "SQLiteMemoryStore"]
