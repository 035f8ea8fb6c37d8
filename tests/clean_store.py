"""Clean control stores: two small TokenStores that keep every rule in docs/rules.md.

``CleanListStore`` keeps records in a list in memory, and ``CleanSQLiteStore`` keeps
them in a SQLite file and declares the ``persistent`` feature. Both take the
preferred variation choices (grant-only, keep-record-id, no-op, none).

The planted defective stores in ``defective_stores`` subclass these two and
override one small method each, so a certification run of the clean stores
shows that every failure of a defective store comes from its planted defect.
The stores deliberately import nothing from the kit: a control that shared the
kit's helpers would agree with a bug in them.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Tuple

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

# The ten fields of a record, in table column order.
FIELDS = (
    "id",
    "user_name",
    "client_id",
    "client_secret",
    "refresh_token",
    "access_token",
    "grant_token",
    "expiry_time",
    "redirect_url",
    "api_domain",
)

ERROR_CODE = "TOKEN_STORE"

Record = Dict[str, Optional[str]]
Key = Tuple[str, str]

_GETTERS = {
    "id": "get_id",
    "client_id": "get_client_id",
    "client_secret": "get_client_secret",
    "refresh_token": "get_refresh_token",
    "access_token": "get_access_token",
    "grant_token": "get_grant_token",
    "expiry_time": "get_expires_in",
    "redirect_url": "get_redirect_url",
    "api_domain": "get_api_domain",
}

_SETTERS = {name: "set_" + getter[len("get_"):] for name, getter in _GETTERS.items()}


def is_present(value: Optional[str]) -> bool:
    """Return whether a field value is present: neither ``None`` nor ``""``."""
    return value is not None and value != ""


def record_from_token(token: OAuthToken) -> Record:
    """Return the ten record fields of ``token``, taking the user name from its signature."""
    record = {name: getattr(token, getter)() for name, getter in _GETTERS.items()}

    signature = token.get_user_signature()
    record["user_name"] = None if signature is None else signature.get_name()
    return record


def token_from_record(record: Record) -> OAuthToken:
    """Build a new ``OAuthToken`` holding every field of ``record``."""
    # Any id passes the constructor's argument checks. The setters then
    # assign every field, the id included.
    token = OAuthToken(id="placeholder")
    for name, setter in _SETTERS.items():
        getattr(token, setter)(record.get(name))

    user_name = record.get("user_name")
    token.set_user_signature(UserSignature(user_name) if is_present(user_name) else None)
    return token


def fill_absent_fields(token: OAuthToken, record: Record) -> None:
    """Copy each field of ``record`` into ``token`` where the token's field is absent."""
    current = record_from_token(token)
    for name, setter in _SETTERS.items():
        if not is_present(current[name]) and is_present(record.get(name)):
            getattr(token, setter)(record[name])

    user_name = record.get("user_name")
    if not is_present(current["user_name"]) and is_present(user_name):
        token.set_user_signature(UserSignature(user_name))


def merge_present_fields(record: Record, token: OAuthToken) -> Record:
    """Return ``record`` with the token's present fields written over it, keeping its id."""
    merged = dict(record)
    for name, value in record_from_token(token).items():
        if name != "id" and is_present(value):
            merged[name] = value
    return merged


def credentials_key(token: OAuthToken) -> Optional[Key]:
    """Return the access, grant or refresh token key of ``token`` (lookup keys 3 and 4)."""
    client_id = token.get_client_id()
    client_secret = token.get_client_secret()
    access = token.get_access_token()
    grant = token.get_grant_token()
    refresh = token.get_refresh_token()

    if is_present(access) and client_id is None and client_secret is None:
        return ("access_token", access)

    has_credentials = client_id is not None and client_secret is not None
    if has_credentials and (is_present(grant) or is_present(refresh)):
        return ("grant_token", grant) if is_present(grant) else ("refresh_token", refresh)
    return None


def lookup_key(token: OAuthToken, is_stored_id: Callable[[str], bool]) -> Optional[Key]:
    """Return the key that finds the record of ``token``, or ``None`` when it has no key.

    The key is the stored id, else the user name, else the credentials key.
    ``is_stored_id(id)`` returns whether a record with that id exists.
    """
    token_id = token.get_id()
    if is_present(token_id) and is_stored_id(token_id):
        return ("id", token_id)

    signature = token.get_user_signature()
    user_name = None if signature is None else signature.get_name()
    if is_present(user_name):
        return ("user_name", user_name)

    return credentials_key(token)


def check_insertable(token: OAuthToken) -> None:
    """Raise ``SDKException`` for a token with an id or user but no OAuth token (rule S5)."""
    record = record_from_token(token)
    has_owner = is_present(record["id"]) or token.get_user_signature() is not None
    has_oauth_token = any(
        is_present(record[name]) for name in ("refresh_token", "grant_token", "access_token")
    )
    if has_owner and not has_oauth_token:
        raise SDKException(
            code=ERROR_CODE,
            message="save_token cannot insert a token that has an id or a user name but no "
            "refresh, grant or access token. Set one of them before saving.",
        )


def next_free_id(last_id: int, is_stored_id: Callable[[str], bool]) -> int:
    """Return the first integer above ``last_id`` whose decimal string no record uses."""
    candidate = last_id + 1
    while is_stored_id(str(candidate)):
        candidate += 1
    return candidate


def decimal_value(token_id: str) -> Optional[int]:
    """Return ``int(token_id)`` for a canonical decimal id such as ``"12"``, else ``None``."""
    if token_id.isdecimal() and token_id.isascii() and str(int(token_id)) == token_id:
        return int(token_id)
    return None


class CleanListStore(TokenStore):
    """An in-memory TokenStore over a list of record dicts, guarded by one lock.

    Generated ids are decimal strings above every decimal id the store has
    stored, so no id is reused after a delete.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._records: List[Record] = []
        self._last_id = 0

    def find_token(self, token):
        if not isinstance(token, OAuthToken):
            return token

        with self._lock:
            record = self._find_record(token)
            if record is None:
                return None

            fill_absent_fields(token, record)
            return token

    def save_token(self, token):
        if not isinstance(token, OAuthToken):
            return

        with self._lock:
            record = self._find_record(token)
            if record is None:
                self._insert(token)
            else:
                self._update(record, token)

    def delete_token(self, id):
        with self._lock:
            self._records = [record for record in self._records if record["id"] != id]

    def get_tokens(self):
        with self._lock:
            return [token_from_record(record) for record in self._records]

    def delete_tokens(self):
        with self._lock:
            self._records = []

    def find_token_by_id(self, id):
        with self._lock:
            record = self._record_with_id(id)
            return None if record is None else token_from_record(record)

    def _record_with_id(self, token_id: str) -> Optional[Record]:
        for record in self._records:
            if record["id"] == token_id:
                return record
        return None

    def _is_stored_id(self, token_id: str) -> bool:
        return self._record_with_id(token_id) is not None

    def _lookup_key(self, token: OAuthToken) -> Optional[Key]:
        return lookup_key(token, self._is_stored_id)

    def _find_record(self, token: OAuthToken) -> Optional[Record]:
        return self._record_for_key(self._lookup_key(token))

    def _record_for_key(self, key: Optional[Key]) -> Optional[Record]:
        if key is None:
            return None

        field, value = key
        for record in self._records:
            if record[field] == value:
                return record
        return None

    def _insert(self, token: OAuthToken) -> None:
        check_insertable(token)

        record = record_from_token(token)
        if not is_present(record["id"]):
            record["id"] = self._new_id()
        self._note_id(record["id"])

        self._records.append(self._stored_form(record))
        token.set_id(record["id"])

    def _update(self, record: Record, token: OAuthToken) -> None:
        position = self._position_of(record)
        self._records[position] = self._stored_form(merge_present_fields(record, token))
        token.set_id(record["id"])

    def _position_of(self, record: Record) -> int:
        for position, candidate in enumerate(self._records):
            if candidate is record:
                return position
        raise ValueError(f"record {record['id']!r} is not in the store")

    def _stored_form(self, record: Record) -> Record:
        """Return the form in which ``record`` is stored. The clean store stores it unchanged."""
        return record

    def _new_id(self) -> str:
        return str(next_free_id(self._last_id, self._is_stored_id))

    def _note_id(self, token_id: str) -> None:
        value = decimal_value(token_id)
        if value is not None:
            self._last_id = max(self._last_id, value)


class CleanSQLiteStore(TokenStore):
    """A TokenStore in a SQLite file, one connection per call, safe across threads and processes.

    ``path`` is resolved against the working directory when the store is built.
    The file is created readable and writable by its owner only. Every error of
    the ``sqlite3`` module is raised as ``SDKException`` with the error as cause.
    """

    tokenstore_features = {"persistent"}

    # Declared type of each column. TEXT affinity keeps every value a str.
    column_types = {name: "TEXT" for name in FIELDS}

    def __init__(self, path: str = "tokens.db") -> None:
        self._path = os.path.abspath(path)
        self._create_file()

        with self._transaction() as connection:
            self._create_schema(connection)

    def find_token(self, token):
        if not isinstance(token, OAuthToken):
            return token

        with self._transaction() as connection:
            row = self._find_row(connection, token)
        if row is None:
            return None

        fill_absent_fields(token, self._record_of_row(row))
        return token

    def save_token(self, token):
        if not isinstance(token, OAuthToken):
            return

        with self._transaction() as connection:
            row = self._find_row(connection, token)
            if row is None:
                self._insert(connection, token)
            else:
                self._update(connection, self._record_of_row(row), token)

    def delete_token(self, id):
        with self._transaction() as connection:
            self._delete_row(connection, id)

    def get_tokens(self):
        with self._transaction() as connection:
            rows = connection.execute(f"SELECT {self._columns()} FROM tokens").fetchall()
        return [token_from_record(self._record_of_row(row)) for row in rows]

    def delete_tokens(self):
        with self._transaction() as connection:
            connection.execute("DELETE FROM tokens")

    def find_token_by_id(self, id):
        with self._transaction() as connection:
            row = self._row_with_id(connection, id)
        return None if row is None else token_from_record(self._record_of_row(row))

    def _create_file(self) -> None:
        # sqlite3 would create the file with mode 0o644 minus the umask, so
        # create it first with owner-only permissions. SQLite 3.40 creates its
        # -journal, -wal and -shm files with the mode of the database file.
        if not os.path.exists(self._path):
            descriptor = os.open(self._path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(descriptor)

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode: _transaction issues BEGIN and COMMIT itself.
        return sqlite3.connect(self._path, timeout=30, isolation_level=None)

    def _release(self, connection: sqlite3.Connection) -> None:
        connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction and raise sqlite3 errors as ``SDKException``.

        ``BEGIN IMMEDIATE`` takes the write lock before the first read, so a
        find-then-write in ``save_token`` cannot interleave with another writer.
        """
        try:
            connection = self._connect()
        except sqlite3.Error as error:
            raise self._store_error("cannot open the token database", error) from error

        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            raise self._store_error("the token database operation failed", error) from error
        finally:
            self._release(connection)

    def _store_error(self, message: str, error: sqlite3.Error) -> SDKException:
        # The message names the file, never a field value.
        return SDKException(code=ERROR_CODE, message=f"{message} ({self._path}): ", cause=error)

    def _create_schema(self, connection: sqlite3.Connection) -> None:
        connection.execute(f"CREATE TABLE IF NOT EXISTS tokens ({self._table_definition()})")
        self._create_id_sequence(connection)

    def _table_definition(self) -> str:
        columns = ", ".join(f"{name} {self.column_types[name]}" for name in FIELDS)
        return f"{columns}, PRIMARY KEY (id)"

    def _create_id_sequence(self, connection: sqlite3.Connection) -> None:
        # One row that contains the largest decimal id ever stored. Deletes
        # leave it alone, so generated ids are never reused.
        connection.execute("CREATE TABLE IF NOT EXISTS id_sequence (last_id INTEGER NOT NULL)")
        if connection.execute("SELECT COUNT(*) FROM id_sequence").fetchone()[0] == 0:
            connection.execute("INSERT INTO id_sequence (last_id) VALUES (0)")

    @staticmethod
    def _columns(fields: Tuple[str, ...] = FIELDS) -> str:
        return ", ".join(fields)

    @staticmethod
    def _record_of_row(row: tuple) -> Record:
        return dict(zip(FIELDS, row))

    def _row_with_id(self, connection: sqlite3.Connection, token_id: str) -> Optional[tuple]:
        query = f"SELECT {self._columns()} FROM tokens WHERE id = ?"
        return connection.execute(query, (token_id,)).fetchone()

    def _has_id(self, connection: sqlite3.Connection, token_id: str) -> bool:
        return self._row_with_id(connection, token_id) is not None

    def _lookup_key(self, connection: sqlite3.Connection, token: OAuthToken) -> Optional[Key]:
        return lookup_key(token, functools.partial(self._has_id, connection))

    def _find_row(self, connection: sqlite3.Connection, token: OAuthToken) -> Optional[tuple]:
        key = self._lookup_key(connection, token)
        if key is None:
            return None

        # The column name comes from lookup_key, never from the token.
        field, value = key
        query = f"SELECT {self._columns()} FROM tokens WHERE {field} = ? ORDER BY rowid LIMIT 1"
        return connection.execute(query, (value,)).fetchone()

    def _insert(self, connection: sqlite3.Connection, token: OAuthToken) -> None:
        check_insertable(token)

        record = record_from_token(token)
        if not is_present(record["id"]):
            record["id"] = self._next_id(connection)
        self._note_id(connection, record["id"])

        placeholders = ", ".join("?" for _ in FIELDS)
        values = [record[name] for name in FIELDS]
        query = f"INSERT INTO tokens ({self._columns()}) VALUES ({placeholders})"
        connection.execute(query, values)
        token.set_id(record["id"])

    def _update(self, connection: sqlite3.Connection, record: Record, token: OAuthToken) -> None:
        merged = merge_present_fields(record, token)
        self._write_update(connection, merged)
        token.set_id(record["id"])

    def _write_update(self, connection: sqlite3.Connection, record: Record) -> None:
        names = [name for name in FIELDS if name != "id"]
        assignments = ", ".join(f"{name} = ?" for name in names)
        values = [record[name] for name in names] + [record["id"]]
        connection.execute(f"UPDATE tokens SET {assignments} WHERE id = ?", values)

    def _delete_row(self, connection: sqlite3.Connection, token_id: str) -> None:
        connection.execute("DELETE FROM tokens WHERE id = ?", (token_id,))

    def _next_id(self, connection: sqlite3.Connection) -> str:
        last_id = connection.execute("SELECT last_id FROM id_sequence").fetchone()[0]
        return str(next_free_id(last_id, functools.partial(self._has_id, connection)))

    def _note_id(self, connection: sqlite3.Connection, token_id: str) -> None:
        value = decimal_value(token_id)
        if value is not None:
            connection.execute("UPDATE id_sequence SET last_id = MAX(last_id, ?)", (value,))
