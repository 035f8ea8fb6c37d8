"""Behaviour of the reference stores that the conformance suite does not see.

The suite certifies a store through the ``TokenStore`` interface alone. These
tests check what is specific to the three reference implementations: the SQLite
file layout and its compatibility with Zoho's sample store, file modes, ids
across reopen, locking between threads and processes, and what ``repr``, logs
and errors show. They use the real SDK classes and real SQLite files.
"""

from __future__ import annotations

import inspect
import logging
import multiprocessing
import os
import sqlite3
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List

import pytest
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from conformance.tokens import make_token, record_of
from reference_stores import ListStore, SQLiteFileStore, SQLiteMemoryStore
from reference_stores import list_store, sqlite_stores

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX permissions")

# The statement with which Zoho's sample CustomStoreSQLite store creates its table,
# character for character (the double space and the missing spaces included).
SAMPLE_CREATE_TABLE = (
    "CREATE TABLE  oauthtoken (id varchar(10) NOT NULL,user_name varchar(255), client_id "
    "varchar(255), client_secret varchar(255), refresh_token varchar(255), access_token "
    "varchar(255), grant_token varchar(255), expiry_time varchar(20), redirect_url varchar("
    "255), api_domain varchar(255), primary key (id))"
)

# The sample store's insert statement, used here to write rows as that store did.
SAMPLE_INSERT = (
    "insert into oauthtoken (id,user_name,client_id,client_secret,refresh_token,access_token,"
    "grant_token,expiry_time,redirect_url,api_domain) values (?,?,?,?,?,?,?,?,?,?);"
)

SECRET_VALUES = {
    "client_secret": "client-secret-7Qx2",
    "refresh_token": "1000.refresh-7Qx2",
    "access_token": "1000.access-7Qx2",
    "grant_token": "1000.grant-7Qx2",
}

STORE_NAMES = ["SQLiteFileStore", "SQLiteMemoryStore", "ListStore"]


def open_store(name: str, directory: Path):
    """Open a new store of the class ``name``, with its file in ``directory`` if it has one."""
    if name == "SQLiteFileStore":
        return SQLiteFileStore(directory / "tokens.db")
    if name == "SQLiteMemoryStore":
        return SQLiteMemoryStore()
    return ListStore()


def close_store(store) -> None:
    close = getattr(store, "close", None)
    if callable(close):
        close()


@pytest.fixture(params=STORE_NAMES)
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A new, empty store of each reference class."""
    store = open_store(request.param, tmp_path)
    yield store
    close_store(store)


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / "zohooauth.db"


def user_token(user_name: str, refresh_token: str = "1000.refresh", **fields: str) -> OAuthToken:
    """Build a token as the SDK saves it after a login: user, client and tokens."""
    defaults = {
        "client_id": "1000.CLIENT",
        "client_secret": "client-secret",
        "access_token": f"1000.access-{user_name}",
        "expiry_time": "1767225600000",
        "redirect_url": "https://example.com/callback",
        "api_domain": "https://www.zohoapis.com",
    }
    defaults.update(fields)
    return make_token(user_name=user_name, refresh_token=refresh_token, **defaults)


def sample_rows() -> List[Dict[str, object]]:
    """Twelve records as the sample store wrote them: ids "1" to "12" as text."""
    rows = []
    for number in range(1, 13):
        rows.append(
            {
                "id": str(number),
                "user_name": f"user{number}@example.com",
                "client_id": "1000.SAMPLECLIENT",
                "client_secret": f"sample-secret-{number}",
                "refresh_token": f"1000.sample-refresh-{number}",
                "access_token": f"1000.sample-access-{number}",
                "grant_token": None if number % 2 else f"1000.sample-grant-{number}",
                "expiry_time": str(1767225600000 + number),
                "redirect_url": "https://example.com/callback",
                "api_domain": "https://www.zohoapis.com",
            }
        )
    return rows


def write_sample_database(path: Path, rows: List[Dict[str, object]]) -> None:
    """Write a database the way the sample store does: its table, its insert, text ids."""
    connection = sqlite3.connect(str(path))
    try:
        connection.execute(SAMPLE_CREATE_TABLE)
        for row in rows:
            connection.execute(SAMPLE_INSERT, tuple(row.values()))
        connection.commit()
    finally:
        connection.close()


# Databases written by Zoho's sample store


def test_sample_database_keeps_its_tokens(database_path: Path) -> None:
    rows = sample_rows()
    write_sample_database(database_path, rows)

    store = SQLiteFileStore(database_path)
    tokens = store.get_tokens()

    assert sorted((record_of(token) for token in tokens), key=lambda r: int(r["id"])) == rows
    assert record_of(store.find_token_by_id("12")) == rows[11]
    found = store.find_token(make_token(user_name="user7@example.com"))
    assert record_of(found) == rows[6]
    store.close()


def test_sample_database_new_ids_unique(database_path: Path) -> None:
    write_sample_database(database_path, sample_rows())
    store = SQLiteFileStore(database_path)

    new_ids = []
    for number in range(13, 33):
        token = user_token(f"user{number}@example.com")
        store.save_token(token)
        new_ids.append(token.get_id())

    stored_ids = [token.get_id() for token in store.get_tokens()]
    assert len(stored_ids) == 32
    assert len(set(stored_ids)) == 32
    assert set(new_ids).isdisjoint(str(number) for number in range(1, 13))
    store.close()


def test_sample_database_update_keeps_id(database_path: Path) -> None:
    write_sample_database(database_path, sample_rows())
    store = SQLiteFileStore(database_path)

    token = user_token("user10@example.com", access_token="1000.access-new")
    store.save_token(token)

    assert token.get_id() == "10"
    assert len(store.get_tokens()) == 12
    assert store.find_token_by_id("10").get_access_token() == "1000.access-new"
    store.close()


def test_sample_readers_see_saved_tokens(database_path: Path) -> None:
    write_sample_database(database_path, sample_rows())
    store = SQLiteFileStore(database_path)
    token = user_token("new@example.com")
    store.save_token(token)
    store.close()

    # The sample reads rows with `select *` and positional indexes.
    connection = sqlite3.connect(str(database_path))
    row = connection.execute(
        "select * from oauthtoken where user_name = ?", ("new@example.com",)
    ).fetchone()
    connection.close()

    assert row[0] == token.get_id()
    assert row[4] == "1000.refresh"
    assert row[7] == "1767225600000"


def test_sample_empty_table_reopens(database_path: Path) -> None:
    write_sample_database(database_path, [])

    store = SQLiteFileStore(database_path)

    assert store.get_tokens() == []
    store.save_token(user_token("first@example.com"))
    assert len(store.get_tokens()) == 1
    store.close()


# Files, modes and reopening


@posix_only
def test_new_file_mode_owner_only(database_path: Path) -> None:
    previous_umask = os.umask(0)
    try:
        store = SQLiteFileStore(database_path)
        store.save_token(user_token("mode@example.com"))
        store.close()
    finally:
        os.umask(previous_umask)

    assert stat.S_IMODE(database_path.stat().st_mode) == 0o600


@posix_only
def test_journal_file_mode_owner_only(database_path: Path) -> None:
    previous_umask = os.umask(0)
    try:
        SQLiteFileStore(database_path).close()
        # A write that is not committed yet keeps SQLite's rollback journal on disk.
        connection = sqlite3.connect(str(database_path), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO oauthtoken (id) VALUES ('journal-probe')")
        journal = Path(str(database_path) + "-journal")
        journal_mode = stat.S_IMODE(journal.stat().st_mode)
        connection.execute("ROLLBACK")
        connection.close()
    finally:
        os.umask(previous_umask)

    assert journal_mode == 0o600


@posix_only
def test_existing_file_mode_kept_and_warned(
    database_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_sample_database(database_path, [])
    database_path.chmod(0o644)

    with caplog.at_level(logging.WARNING, logger="reference_stores"):
        SQLiteFileStore(database_path).close()

    assert stat.S_IMODE(database_path.stat().st_mode) == 0o644
    warnings = [record.getMessage() for record in caplog.records]
    assert any(str(database_path) in message and "chmod 600" in message for message in warnings)


def test_reopen_empty_table(database_path: Path) -> None:
    SQLiteFileStore(database_path).close()

    store = SQLiteFileStore(database_path)

    assert store.get_tokens() == []
    store.save_token(user_token("after-reopen@example.com"))
    assert len(store.get_tokens()) == 1
    store.close()


def test_reopen_keeps_records(database_path: Path) -> None:
    first = SQLiteFileStore(database_path)
    token = user_token("kept@example.com")
    first.save_token(token)
    first.close()

    second = SQLiteFileStore(database_path)

    assert record_of(second.find_token_by_id(token.get_id())) == record_of(token)
    second.close()


def test_relative_path_uses_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    store = SQLiteFileStore()

    assert store.path == str(tmp_path / "zohooauth.db")
    assert (tmp_path / "zohooauth.db").exists()
    store.close()


def test_ids_not_reused_across_reopen(database_path: Path) -> None:
    seen_ids = set()
    for cycle in range(10):
        store = SQLiteFileStore(database_path)
        token = user_token(f"cycle{cycle}@example.com")
        store.save_token(token)
        seen_ids.add(token.get_id())
        store.delete_token(token.get_id())
        store.close()

    assert len(seen_ids) == 10


@pytest.mark.parametrize(
    "path",
    [None, 42, b"tokens.db", "", ":memory:"],
    ids=["none", "int", "bytes", "empty", "memory"],
)
def test_invalid_path_type_or_name(path: object) -> None:
    with pytest.raises(SDKException) as raised:
        SQLiteFileStore(path)

    message = str(raised.value)
    assert repr(path) in message
    assert "zohooauth.db" in message or "SQLiteMemoryStore" in message


def test_missing_directory_raises_with_path(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "tokens.db"

    with pytest.raises(SDKException) as raised:
        SQLiteFileStore(path)

    assert str(path) in str(raised.value)
    assert "writable directory" in str(raised.value)
    assert isinstance(raised.value.cause, OSError)


def test_directory_path_raises_with_path(tmp_path: Path) -> None:
    with pytest.raises(SDKException) as raised:
        SQLiteFileStore(tmp_path)

    assert str(tmp_path) in str(raised.value)
    assert isinstance(raised.value.cause, sqlite3.Error)


def test_non_database_file_raises(database_path: Path) -> None:
    database_path.write_text("id,user_name\n1,someone@example.com\n" * 200)

    with pytest.raises(SDKException) as raised:
        SQLiteFileStore(database_path)

    assert str(database_path) in str(raised.value)
    assert isinstance(raised.value.cause, sqlite3.DatabaseError)


def test_table_missing_columns_raises(database_path: Path) -> None:
    connection = sqlite3.connect(str(database_path))
    connection.execute("CREATE TABLE oauthtoken (id TEXT PRIMARY KEY, user_name TEXT)")
    connection.close()

    with pytest.raises(SDKException) as raised:
        SQLiteFileStore(database_path)

    message = str(raised.value)
    assert "'client_secret'" in message
    assert "'api_domain'" in message
    assert str(database_path) in message


# Behaviour of these implementations beyond the interface


@pytest.mark.parametrize("name", ["SQLiteFileStore", "SQLiteMemoryStore"])
def test_closed_sqlite_store_raises(name: str, tmp_path: Path) -> None:
    store = open_store(name, tmp_path)
    store.close()
    store.close()

    with pytest.raises(SDKException) as raised:
        store.get_tokens()

    assert isinstance(raised.value.cause, sqlite3.ProgrammingError)
    assert "get_tokens" in str(raised.value)


def test_non_string_id_matches_nothing(any_store) -> None:
    token = user_token("five@example.com", id="5")
    any_store.save_token(token)

    assert any_store.find_token_by_id(5) is None
    any_store.delete_token(5)
    assert any_store.find_token_by_id("5") is not None


def test_found_token_types(any_store) -> None:
    token = user_token("types@example.com")
    token.set_expires_in(1767225600000)
    any_store.save_token(token)

    found = any_store.find_token_by_id(token.get_id())

    assert type(found) is OAuthToken
    assert found is not token
    assert found.get_expires_in() == "1767225600000"
    assert isinstance(found.get_user_signature(), UserSignature)


@pytest.mark.parametrize(
    "field, value",
    [("client_secret", 12345), ("refresh_token", b"1000.refresh"), ("expiry_time", object())],
    ids=["int-secret", "bytes-refresh", "object-expiry"],
)
def test_save_rejects_non_string_field(any_store, field: str, value: object) -> None:
    token = user_token("typed@example.com", **{field: value})

    with pytest.raises(SDKException) as raised:
        any_store.save_token(token)

    message = str(raised.value)
    assert field in message
    assert type(value).__name__ in message
    assert repr(value) not in message
    assert any_store.get_tokens() == []


def test_delete_changes_only_that_record(any_store) -> None:
    tokens = [user_token(f"d{number}@example.com") for number in range(3)]
    for token in tokens:
        any_store.save_token(token)

    any_store.delete_token(tokens[1].get_id())

    remaining = {token.get_id() for token in any_store.get_tokens()}
    assert remaining == {tokens[0].get_id(), tokens[2].get_id()}


# Secrets


def secret_token() -> OAuthToken:
    return make_token(user_name="secret-holder@example.com", client_id="1000.CLIENT", **{
        name: value for name, value in SECRET_VALUES.items()
    })


def assert_no_secret(text: str) -> None:
    for name, value in SECRET_VALUES.items():
        assert value not in text, f"{name} appears in {text!r}"


def test_repr_names_class_and_count(any_store) -> None:
    any_store.save_token(secret_token())

    text = repr(any_store)

    assert text.startswith(type(any_store).__name__ + "(")
    assert "records=1" in text
    assert_no_secret(text)


def test_file_store_repr_shows_path(database_path: Path) -> None:
    store = SQLiteFileStore(database_path)

    assert repr(store) == f"SQLiteFileStore(path={str(database_path)!r}, records=0)"
    store.close()
    assert repr(store) == f"SQLiteFileStore(path={str(database_path)!r}, records=unknown)"


def test_logs_contain_no_secret(any_store, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="reference_stores"):
        token = secret_token()
        any_store.save_token(token)
        any_store.save_token(token)
        any_store.find_token(make_token(user_name="secret-holder@example.com"))
        any_store.get_tokens()
        any_store.delete_token(token.get_id())
        any_store.delete_tokens()

    assert caplog.records
    for record in caplog.records:
        assert_no_secret(record.getMessage())


@pytest.mark.parametrize("name", ["SQLiteFileStore", "SQLiteMemoryStore"])
def test_failure_message_contains_no_secret(name: str, tmp_path: Path) -> None:
    store = open_store(name, tmp_path)
    store.close()

    with pytest.raises(SDKException) as raised:
        store.save_token(secret_token())

    assert_no_secret(str(raised.value))
    assert_no_secret(repr(raised.value))
    assert isinstance(raised.value.cause, sqlite3.Error)


def test_insert_rejection_contains_no_secret(any_store) -> None:
    token = make_token(
        user_name="no-tokens@example.com",
        client_id="1000.CLIENT",
        client_secret=SECRET_VALUES["client_secret"],
    )

    with pytest.raises(SDKException) as raised:
        any_store.save_token(token)

    assert "refresh, grant or access token" in str(raised.value)
    assert_no_secret(str(raised.value))
    assert any_store.get_tokens() == []


# Concurrency


@pytest.fixture
def fast_thread_switching() -> Iterator[None]:
    """Make the interpreter switch threads every microsecond, so that races show up."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def start_threads(count: int, work: Callable[[int], None]):
    """Start ``work(index)`` in ``count`` threads that begin together.

    Returns the threads and a list that collects their exceptions.
    """
    barrier = threading.Barrier(count)
    errors: List[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as error:  # collected so that the test reports every failure
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    return threads, errors


def run_threads(count: int, work: Callable[[int], None]) -> List[BaseException]:
    """Run ``work(index)`` in ``count`` threads that begin together and return their exceptions."""
    threads, errors = start_threads(count, work)
    for thread in threads:
        thread.join()
    return errors


def test_threads_save_distinct_users(any_store, fast_thread_switching: None) -> None:
    def save_fifty_users(thread_index: int) -> None:
        for number in range(50):
            any_store.save_token(user_token(f"t{thread_index}-u{number}@example.com"))

    errors = run_threads(8, save_fifty_users)

    assert errors == []
    tokens = any_store.get_tokens()
    assert len(tokens) == 400
    assert len({token.get_id() for token in tokens}) == 400
    assert len({token.get_user_signature().get_name() for token in tokens}) == 400


def test_threads_save_same_users(any_store, fast_thread_switching: None) -> None:
    # Every thread saves the same 50 new users in the same order, so each user is
    # a race to insert. A store that does not hold its lock from the lookup to
    # the insert ends up with duplicate records.
    def save_shared_users(thread_index: int) -> None:
        for number in range(50):
            token = user_token(f"shared{number}@example.com", access_token=f"a-{thread_index}")
            any_store.save_token(token)

    errors = run_threads(8, save_shared_users)

    assert errors == []
    names = [token.get_user_signature().get_name() for token in any_store.get_tokens()]
    assert sorted(names) == sorted(f"shared{number}@example.com" for number in range(50))


def test_threads_mix_operations(any_store, fast_thread_switching: None) -> None:
    def save_find_delete(thread_index: int) -> None:
        for number in range(30):
            token = user_token(f"m{thread_index}-{number}@example.com")
            any_store.save_token(token)
            assert any_store.find_token_by_id(token.get_id()) is not None
            if number % 2:
                any_store.delete_token(token.get_id())
                assert any_store.find_token_by_id(token.get_id()) is None

    errors = run_threads(8, save_find_delete)

    assert errors == []
    assert len(any_store.get_tokens()) == 8 * 15


def save_users_in_process(path: str, worker: int, count: int, barrier) -> None:
    """Save ``count`` users of its own and ``count`` users that every worker saves."""
    store = SQLiteFileStore(path, timeout=60.0)
    barrier.wait(timeout=60)
    for number in range(count):
        store.save_token(user_token(f"p{worker}-u{number}@example.com"))
        store.save_token(user_token(f"shared{number}@example.com", access_token=f"a-{worker}"))
    store.close()


def test_processes_save_one_file(database_path: Path) -> None:
    SQLiteFileStore(database_path).close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    processes = []
    for worker in range(4):
        arguments = (str(database_path), worker, 25, barrier)
        processes.append(context.Process(target=save_users_in_process, args=arguments))

    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    hung = [process for process in processes if process.is_alive()]
    for process in hung:
        process.kill()

    assert hung == []
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    store = SQLiteFileStore(database_path)
    names = [token.get_user_signature().get_name() for token in store.get_tokens()]
    store.close()
    own_users = [f"p{worker}-u{number}@example.com" for worker in range(4) for number in range(25)]
    shared_users = [f"shared{number}@example.com" for number in range(25)]
    assert sorted(names) == sorted(own_users + shared_users)


def test_instances_lock_before_lookup(database_path: Path) -> None:
    # Another connection holds the write lock while four store instances, each
    # with its own connection as in four processes, save the same new user. A
    # store that looks up before it takes the lock finds no record in every
    # instance and then inserts four.
    stores = [SQLiteFileStore(database_path, timeout=60.0) for _ in range(4)]
    blocker = sqlite3.connect(str(database_path), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")

    threads, errors = start_threads(
        4, lambda index: stores[index].save_token(user_token("shared@example.com"))
    )
    time.sleep(0.5)  # time for every save to reach the lock
    blocker.execute("ROLLBACK")
    blocker.close()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(stores[0].get_tokens()) == 1
    for store in stores:
        store.close()


# Module layout


def test_shared_helpers_identical() -> None:
    helper_names = [
        "_new_id",
        "_present",
        "_record_from_token",
        "_fields_to_save",
        "_lookup_key",
        "_check_insertable",
        "_fill_absent_fields",
        "_token_from_record",
    ]

    for name in helper_names:
        sqlite_source = inspect.getsource(getattr(sqlite_stores, name))
        list_source = inspect.getsource(getattr(list_store, name))
        assert sqlite_source == list_source, f"{name} differs between the two modules"
    assert sqlite_stores._SETTERS == list_store._SETTERS
    assert sqlite_stores.COLUMNS == list_store.COLUMNS
    assert sqlite_stores.OAUTH_TOKEN_FIELDS == list_store.OAUTH_TOKEN_FIELDS


def test_file_store_declares_persistence() -> None:
    assert SQLiteFileStore.tokenstore_features == frozenset({"persistent"})
    assert not getattr(SQLiteMemoryStore, "tokenstore_features", frozenset())
    assert not getattr(ListStore, "tokenstore_features", frozenset())
