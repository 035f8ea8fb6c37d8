"""SQLite token stores for the Zoho CRM Python SDK: one in a file, one in memory.

``SQLiteFileStore`` keeps tokens in a SQLite database file, so they survive a
restart of the application. ``SQLiteMemoryStore`` keeps them in a private
in-memory database that lives as long as the store object. Both implement the
SDK's ``TokenStore`` interface. This module imports only the standard library
and the SDK, so it can be copied into an application as a single file.

What a store keeps
    One record per token in the table ``oauthtoken``, with ten text columns:
    id, user_name, client_id, client_secret, refresh_token, access_token,
    grant_token, expiry_time, redirect_url and api_domain. ``id`` is the primary
    key, and user_name and the three token columns are indexed. Zoho's sample
    ``CustomStoreSQLite`` store writes the same table to ``zohooauth.db``, so
    ``SQLiteFileStore`` opens such a database and keeps its tokens.

How a record is found
    A token's record is found by the first of these rules that applies:

    1. the token's id, when a record with that id is stored;
    2. else the token's user name, when it has one;
    3. else its access token, when it has one and has neither a client id nor
       a client secret;
    4. else, when it has both a client id and a client secret, its grant
       token, or its refresh token when it has no grant token.

    A token to which no rule applies has no record. Values match by exact,
    case-sensitive string equality. A grant token is compared only with the
    grant_token column, never with refresh_token. When several records match,
    the store uses the first one that SQLite returns. ``None`` and ``""`` both
    count as absent, and the store keeps an absent field as NULL.

Saving
    ``save_token`` updates the record found for the token, or inserts a record
    when none is found. On update, fields present in the token overwrite the
    stored ones, absent fields keep their stored values, and the record keeps
    its id. Either way, the token's id is afterwards the id of its record.

    A new record gets the token's own id, or a new ``uuid4().hex`` (32 hex
    digits) when the token has none. Random ids need no counter shared between
    processes, and they never equal the small numbers ("1", "2", ...) that
    older databases use as ids. With 122 random bits they do not repeat in
    practice, so the id of a deleted record does not come back.

Thread and process safety
    Each store keeps one SQLite connection that all threads share
    (``check_same_thread=False``), and a ``threading.RLock`` serializes every
    operation on it. ``save_token`` runs its lookup and its write in one
    ``BEGIN IMMEDIATE`` transaction, which takes the database's write lock
    before the lookup, so two processes saving the same user cannot both
    insert a record. A connection waits up to ``timeout`` seconds for a lock
    that another connection holds, then raises ``SDKException``. Open the store in
    each process that uses it: a connection must not be shared across ``fork``.
    The file store relies on SQLite's file locking, which SQLite's
    documentation says may not work on network file systems such as NFS.

Errors
    Database and file errors are raised as ``SDKException`` with the original
    error as its ``cause``. No message, log record or ``repr`` of a store
    contains a client secret or a refresh, access or grant token.

Usage::

    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.dc import USDataCenter
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    from sqlite_stores import SQLiteFileStore

    store = SQLiteFileStore("zohooauth.db")
    token = OAuthToken(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                       grant_token=GRANT_TOKEN, redirect_url=REDIRECT_URL)
    Initializer.initialize(environment=USDataCenter.PRODUCTION(), token=token, store=store)
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature
from zohocrmsdk.src.com.zoho.crm.api.util.constants import Constants

__all__ = ["SQLiteFileStore", "SQLiteMemoryStore"]

logger = logging.getLogger(__name__)

# A record: the ten stored fields of one token, absent values as None.
Record = Dict[str, Optional[str]]

# The record fields, in the column order of the oauthtoken table.
COLUMNS = (
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

OAUTH_TOKEN_FIELDS = ("refresh_token", "access_token", "grant_token")

_CREATE_TABLE = """
    CREATE TABLE IF NOT EXISTS oauthtoken (
        id TEXT NOT NULL PRIMARY KEY,
        user_name TEXT,
        client_id TEXT,
        client_secret TEXT,
        refresh_token TEXT,
        access_token TEXT,
        grant_token TEXT,
        expiry_time TEXT,
        redirect_url TEXT,
        api_domain TEXT
    )
"""

_CREATE_INDEXES = (
    "CREATE INDEX IF NOT EXISTS oauthtoken_user_name ON oauthtoken (user_name)",
    "CREATE INDEX IF NOT EXISTS oauthtoken_access_token ON oauthtoken (access_token)",
    "CREATE INDEX IF NOT EXISTS oauthtoken_grant_token ON oauthtoken (grant_token)",
    "CREATE INDEX IF NOT EXISTS oauthtoken_refresh_token ON oauthtoken (refresh_token)",
)

_SELECT = (
    "SELECT id, user_name, client_id, client_secret, refresh_token, access_token,"
    " grant_token, expiry_time, redirect_url, api_domain FROM oauthtoken"
)

_SELECT_BY_ID = _SELECT + " WHERE id = ?"

# One statement per lookup column (rules 2 to 4 of the module docstring).
_SELECT_FIRST_BY = {
    "user_name": _SELECT + " WHERE user_name = ? LIMIT 1",
    "access_token": _SELECT + " WHERE access_token = ? LIMIT 1",
    "grant_token": _SELECT + " WHERE grant_token = ? LIMIT 1",
    "refresh_token": _SELECT + " WHERE refresh_token = ? LIMIT 1",
}

_INSERT = (
    "INSERT INTO oauthtoken (id, user_name, client_id, client_secret, refresh_token,"
    " access_token, grant_token, expiry_time, redirect_url, api_domain)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

# COALESCE(?, column) keeps the stored value when the token's field is absent (NULL).
_UPDATE = """
    UPDATE oauthtoken SET
        user_name = COALESCE(?, user_name),
        client_id = COALESCE(?, client_id),
        client_secret = COALESCE(?, client_secret),
        refresh_token = COALESCE(?, refresh_token),
        access_token = COALESCE(?, access_token),
        grant_token = COALESCE(?, grant_token),
        expiry_time = COALESCE(?, expiry_time),
        redirect_url = COALESCE(?, redirect_url),
        api_domain = COALESCE(?, api_domain)
    WHERE id = ?
"""

_DELETE_BY_ID = "DELETE FROM oauthtoken WHERE id = ?"

_DELETE_ALL = "DELETE FROM oauthtoken"

_COUNT = "SELECT COUNT(*) FROM oauthtoken"


class _SQLiteStore(TokenStore):
    """The six ``TokenStore`` operations on one SQLite connection.

    Subclasses open the connection (autocommit mode, ``isolation_level=None``,
    shared across threads) and create the schema before calling ``__init__``.
    """

    def __init__(self, connection: sqlite3.Connection, location: str) -> None:
        self._connection = connection
        self._connection.row_factory = sqlite3.Row
        self._location = location
        self._lock = threading.RLock()

    def find_token(self, token: Any) -> Any:
        """Fill the absent fields of ``token`` from its stored record and return ``token``.

        Returns ``None`` when no record matches the token, and returns an
        argument that is not an ``OAuthToken`` unchanged.
        """
        if not isinstance(token, OAuthToken):
            return token

        with self._operation("find_token") as connection:
            record = _find_record(connection, _record_from_token(token))

        if record is None:
            return None
        _fill_absent_fields(token, record)
        return token

    def save_token(self, token: Any) -> None:
        """Update the token's record, or insert one, and set the token's id to the record's id.

        Raises ``SDKException`` for a new token that has an id or a user name
        but no refresh, grant or access token, and leaves the store unchanged.
        An argument that is not an ``OAuthToken`` is ignored.
        """
        if not isinstance(token, OAuthToken):
            return

        fields = _fields_to_save(token)
        with self._transaction("save_token") as connection:
            record = _find_record(connection, fields)
            if record is None:
                record_id = _insert(connection, fields)
                logger.debug("save_token inserted record %s", record_id)
            else:
                record_id = record["id"]
                _update(connection, record_id, fields)
                logger.debug("save_token updated record %s", record_id)

        token.set_id(record_id)

    def delete_token(self, id: Any) -> None:
        """Delete the record with this id. An id that no record has changes nothing."""
        if not isinstance(id, str):
            return

        with self._operation("delete_token") as connection:
            deleted = connection.execute(_DELETE_BY_ID, (id,)).rowcount
        logger.debug("delete_token deleted %d record with id %s", deleted, id)

    def get_tokens(self) -> List[OAuthToken]:
        """Return a new ``OAuthToken`` for every stored record, ``[]`` when there is none."""
        with self._operation("get_tokens") as connection:
            rows = connection.execute(_SELECT).fetchall()
        return [_token_from_record(_record_from_row(row)) for row in rows]

    def delete_tokens(self) -> None:
        """Delete every record. The store stays usable afterwards."""
        with self._operation("delete_tokens") as connection:
            connection.execute(_DELETE_ALL)
        logger.debug("delete_tokens deleted every record")

    def find_token_by_id(self, id: Any) -> Optional[OAuthToken]:
        """Return a new ``OAuthToken`` with the record that has this id, or ``None``."""
        if not isinstance(id, str):
            return None

        with self._operation("find_token_by_id") as connection:
            row = connection.execute(_SELECT_BY_ID, (id,)).fetchone()

        if row is None:
            return None
        return _token_from_record(_record_from_row(row))

    def close(self) -> None:
        """Close the database connection. Later operations raise ``SDKException``."""
        with self._lock:
            self._connection.close()

    def _record_count(self) -> str:
        """Return the number of records as text for ``__repr__``, which must not raise."""
        try:
            with self._lock:
                return str(self._connection.execute(_COUNT).fetchone()[0])
        except sqlite3.Error:
            return "unknown"

    @contextmanager
    def _operation(self, name: str) -> Iterator[sqlite3.Connection]:
        """Hold the lock and raise the errors of operation ``name`` as ``SDKException``."""
        with self._lock:
            try:
                yield self._connection
            # ValueError: text that cannot be encoded as UTF-8, such as a lone surrogate.
            except (sqlite3.Error, ValueError) as error:
                raise SDKException(
                    code=Constants.TOKEN_STORE,
                    message=f"{name} failed on database {self._location!r}: ",
                    cause=error,
                ) from error

    @contextmanager
    def _transaction(self, name: str) -> Iterator[sqlite3.Connection]:
        """Run operation ``name`` in a write transaction that commits or rolls back as a whole.

        ``BEGIN IMMEDIATE`` takes the write lock at the start, so no other
        connection can write between this transaction's reads and its writes.
        """
        with self._operation(name) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise


class SQLiteFileStore(_SQLiteStore):
    """Token store that keeps its records in a SQLite database file, so they survive restarts.

    ``path`` is a ``str`` or ``os.PathLike``. A relative path is resolved
    against the working directory when the store is created. A new file is
    created readable and writable by its owner only (mode 0o600). An existing
    file that other users can read or write is left as it is, with a warning
    in the log.
    ``timeout`` is the number of seconds to wait for a lock that another
    connection holds. Raises ``SDKException`` when the path is invalid or the
    file cannot be opened as a token database.
    """

    # Optional behaviour declared to the tokenstore conformance kit: the records persist.
    tokenstore_features = frozenset({"persistent"})

    def __init__(
        self, path: Union[str, os.PathLike] = "zohooauth.db", timeout: float = 5.0
    ) -> None:
        self._path = _absolute_database_path(path)
        connection = _open_database_file(self._path, timeout)
        super().__init__(connection, location=self._path)
        logger.debug("opened token database %s", self._path)

    @property
    def path(self) -> str:
        """Absolute path of the database file."""
        return self._path

    def __repr__(self) -> str:
        return f"SQLiteFileStore(path={self._path!r}, records={self._record_count()})"


class SQLiteMemoryStore(_SQLiteStore):
    """Token store in a private in-memory SQLite database.

    Each instance has its own database. Its tokens are lost when the store is
    closed or garbage-collected, so the SDK generates tokens again after a restart.
    """

    def __init__(self) -> None:
        connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        _create_schema(connection, ":memory:")
        super().__init__(connection, location=":memory:")

    def __repr__(self) -> str:
        return f"SQLiteMemoryStore(records={self._record_count()})"


def _absolute_database_path(path: Any) -> str:
    """Return ``path`` as an absolute ``str``, or raise ``SDKException`` when it is invalid."""
    text = os.fspath(path) if isinstance(path, os.PathLike) else path
    if not isinstance(text, str):
        raise SDKException(
            code=Constants.TOKEN_STORE,
            message=f"invalid database path {path!r}: expected a str or os.PathLike file path, "
            "such as 'zohooauth.db'",
        )

    if text in ("", ":memory:"):
        raise SDKException(
            code=Constants.TOKEN_STORE,
            message=f"invalid database path {text!r}: SQLiteFileStore needs a file path. "
            "Use SQLiteMemoryStore for a store in memory.",
        )
    return os.path.abspath(text)


def _open_database_file(path: str, timeout: float) -> sqlite3.Connection:
    """Open the database file at ``path``, creating the file (mode 0o600) and schema if needed."""
    connection = None
    try:
        if not _create_private_file(path):
            _warn_if_readable_by_others(path)
        connection = sqlite3.connect(
            path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        _create_schema(connection, path)
        return connection
    except (OSError, sqlite3.Error) as error:
        if connection is not None:
            connection.close()
        raise SDKException(
            code=Constants.TOKEN_STORE,
            message=f"cannot open the token database {path!r}. Pass the path of a SQLite "
            "database file, or of a new file in a writable directory. Error: ",
            cause=error,
        ) from error
    except SDKException:
        if connection is not None:
            connection.close()
        raise


def _create_private_file(path: str) -> bool:
    """Create an empty file at ``path`` with mode 0o600 and return whether it was created.

    SQLite treats an empty file as a new database. Creating the file here, with
    its mode given to ``os.open``, means it is never readable by others, not
    even between creation and a later ``chmod``. SQLite gives its journal files
    the mode of the database file.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def _warn_if_readable_by_others(path: str) -> None:
    """Log a warning when group or other users have any access to the file at ``path``."""
    if os.name != "posix":
        return

    mode = os.stat(path).st_mode & 0o777
    if mode & 0o077:
        logger.warning(
            "token database %s can be read or written by other users (mode %o). "
            "Restrict it with `chmod 600`.",
            path,
            mode,
        )


def _create_schema(connection: sqlite3.Connection, location: str) -> None:
    """Create the oauthtoken table and its indexes unless they exist.

    Raises ``SDKException`` when an existing oauthtoken table is missing one
    of the ten columns.
    """
    connection.execute(_CREATE_TABLE)

    rows = connection.execute("PRAGMA table_info(oauthtoken)").fetchall()
    names = {row[1] for row in rows}
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise SDKException(
            code=Constants.TOKEN_STORE,
            message=f"table oauthtoken in {location!r} is missing the columns {missing}. "
            "Add them, or pass the path of another database.",
        )

    for statement in _CREATE_INDEXES:
        connection.execute(statement)


def _find_record(connection: sqlite3.Connection, fields: Record) -> Optional[Record]:
    """Return the record that the token with ``fields`` belongs to, or ``None``."""
    if fields["id"] is not None:
        row = connection.execute(_SELECT_BY_ID, (fields["id"],)).fetchone()
        if row is not None:
            return _record_from_row(row)

    key = _lookup_key(fields)
    if key is None:
        return None

    column, value = key
    row = connection.execute(_SELECT_FIRST_BY[column], (value,)).fetchone()
    return None if row is None else _record_from_row(row)


def _insert(connection: sqlite3.Connection, fields: Record) -> str:
    """Insert a record for a token that has none and return the record's id."""
    _check_insertable(fields)

    record_id = fields["id"] if fields["id"] is not None else _new_id()
    values = [record_id] + [fields[column] for column in COLUMNS[1:]]
    connection.execute(_INSERT, values)
    return record_id


def _update(connection: sqlite3.Connection, record_id: str, fields: Record) -> None:
    """Overwrite the record's fields with the present ``fields``, keeping its id."""
    values = [fields[column] for column in COLUMNS[1:]] + [record_id]
    connection.execute(_UPDATE, values)


def _record_from_row(row: sqlite3.Row) -> Record:
    record = {column: _present(row[column]) for column in COLUMNS}
    if record["expiry_time"] is not None:
        record["expiry_time"] = str(record["expiry_time"])
    return record


# The helpers below are the same in sqlite_stores.py and list_store.py, so that
# each module can be copied alone. A test checks that they stay the same.


def _new_id() -> str:
    return uuid.uuid4().hex


def _present(value: Any) -> Any:
    """Return ``value``, or ``None`` when it is absent (``None`` or ``""``)."""
    if value is None or value == "":
        return None
    return value


def _record_from_token(token: OAuthToken) -> Record:
    """Return the ten record fields of ``token``, absent values as ``None``."""
    signature = token.get_user_signature()
    user_name = None if signature is None else _present(signature.get_name())

    return {
        "id": _present(token.get_id()),
        "user_name": user_name,
        "client_id": _present(token.get_client_id()),
        "client_secret": _present(token.get_client_secret()),
        "refresh_token": _present(token.get_refresh_token()),
        "access_token": _present(token.get_access_token()),
        "grant_token": _present(token.get_grant_token()),
        "expiry_time": _present(token.get_expires_in()),
        "redirect_url": _present(token.get_redirect_url()),
        "api_domain": _present(token.get_api_domain()),
    }


def _fields_to_save(token: OAuthToken) -> Record:
    """Return the record fields of ``token`` to save, with ``expiry_time`` as a ``str``.

    Raises ``SDKException`` naming the field when a value is not a ``str``,
    because the SDK reads every field back as text. ``expiry_time`` may also
    be an ``int`` of epoch milliseconds, which is saved as its decimal text.
    """
    fields = _record_from_token(token)
    for name, value in fields.items():
        if value is None or isinstance(value, str):
            continue

        if name == "expiry_time" and isinstance(value, int) and not isinstance(value, bool):
            fields[name] = str(value)
        else:
            # The message names the type only, because the value may be a secret.
            raise SDKException(
                code=Constants.TOKEN_STORE,
                message=f"cannot save a token whose {name} is of type {type(value).__name__}. "
                f"Set {name} to a str before saving the token.",
            )
    return fields


def _lookup_key(fields: Record) -> Optional[Tuple[str, str]]:
    """Return the ``(column, value)`` of rules 2 to 4 of the lookup, or ``None``.

    Rule 1, the id, applies only when a record with that id is stored, so the
    caller checks it first.
    """
    if fields["user_name"] is not None:
        return ("user_name", fields["user_name"])

    has_client = fields["client_id"] is not None and fields["client_secret"] is not None
    has_no_client = fields["client_id"] is None and fields["client_secret"] is None

    if fields["access_token"] is not None and has_no_client:
        return ("access_token", fields["access_token"])
    if has_client and fields["grant_token"] is not None:
        return ("grant_token", fields["grant_token"])
    if has_client and fields["refresh_token"] is not None:
        return ("refresh_token", fields["refresh_token"])
    return None


def _check_insertable(fields: Record) -> None:
    """Raise ``SDKException`` for a token with an id or user name but no OAuth token.

    Such a token names a user whose tokens the store does not have, so a new
    record for it could never authenticate anything.
    """
    identified = fields["id"] is not None or fields["user_name"] is not None
    has_oauth_token = any(fields[name] is not None for name in OAUTH_TOKEN_FIELDS)
    if identified and not has_oauth_token:
        raise SDKException(
            code=Constants.TOKEN_STORE,
            message="cannot insert a token that has an id or a user name but no refresh, "
            "grant or access token. Set one of these tokens before saving it.",
        )


_SETTERS = {
    "id": OAuthToken.set_id,
    "client_id": OAuthToken.set_client_id,
    "client_secret": OAuthToken.set_client_secret,
    "refresh_token": OAuthToken.set_refresh_token,
    "access_token": OAuthToken.set_access_token,
    "grant_token": OAuthToken.set_grant_token,
    "expiry_time": OAuthToken.set_expires_in,
    "redirect_url": OAuthToken.set_redirect_url,
    "api_domain": OAuthToken.set_api_domain,
}


def _fill_absent_fields(token: OAuthToken, record: Record) -> None:
    """Copy each present field of ``record`` into ``token`` where the token's field is absent."""
    current = _record_from_token(token)
    for field in COLUMNS:
        value = record[field]
        if current[field] is not None or value is None:
            continue

        if field == "user_name":
            token.set_user_signature(UserSignature(value))
        else:
            _SETTERS[field](token, value)


def _token_from_record(record: Record) -> OAuthToken:
    """Return a new ``OAuthToken`` with the fields of ``record``."""
    token = OAuthToken(id=record["id"])
    _fill_absent_fields(token, record)
    return token
