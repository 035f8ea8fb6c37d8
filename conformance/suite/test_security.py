"""Security: owner-only files, no secret in logs, reprs or errors, and portable SQLite SQL."""

from __future__ import annotations

import logging
import re
import sqlite3
import stat
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from conformance.suite.helpers import call, cause_of, save, user_fields
from conformance.tokens import make_token

# Values that must never appear in a log record, a repr or an exception message.
SECRETS: Dict[str, str] = {
    "client_secret": "sec2-client-secret-5f0d3a",
    "refresh_token": "1000.sec2refresh0c1d2e3f4a5b6c7d8e9f0a1b.2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f",
    "access_token": "1000.sec2access9e8d7c6b5a4f3e2d1c0b9a8f.7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b",
    "grant_token": "1000.sec2grant1a2b3c4d5e6f7a8b9c0d1e2f3.4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d",
}

# String and comment syntax of SQLite, removed before SQL1 looks for keywords.
_SQL_LITERALS = re.compile(
    r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*.*?\*/", re.S
)
_SQL_TOKENS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[();]")
_SQL_VERBS = {
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "CREATE",
    "DROP",
    "ALTER",
    "PRAGMA",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "END",
    "SAVEPOINT",
    "RELEASE",
    "VACUUM",
    "ANALYZE",
    "ATTACH",
    "DETACH",
    "REINDEX",
    "EXPLAIN",
    "VALUES",
}


def uses_update_or_delete_limit(sql: str) -> bool:
    """Return whether ``sql`` has an UPDATE or DELETE statement with a top-level LIMIT.

    ``LIMIT`` inside parentheses (a subquery or a common table expression) is
    standard SQLite and does not count; neither do keywords in literals or comments.
    """
    words: List[str] = []
    depth = 0
    for token in _SQL_TOKENS.findall(_SQL_LITERALS.sub(" ", sql)) + [";"]:
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(depth - 1, 0)
        elif token == ";":
            verb = next((word for word in words if word in _SQL_VERBS), None)
            if verb in ("UPDATE", "DELETE") and "LIMIT" in words:
                return True
            words = []
            depth = 0
        elif depth == 0:
            words.append(token.upper())
    return False


@pytest.mark.rule("SEC1")
@pytest.mark.requires_feature("persistent")
def test_created_files_are_owner_only(stores):
    """Scenario 65: every file the store creates in its location is mode 0o600 or stricter."""
    store = stores.open_new()
    save(store, **user_fields("a"))
    save(store, **user_fields("b"))

    files = [path for path in Path(stores.location).rglob("*") if path.is_file()]
    if not files:
        pytest.skip("not applicable: the store created no file in its location")

    # NOTE: files the store creates outside its location (an absolute path) are not seen.
    too_open = {
        str(path.relative_to(stores.location)): oct(stat.S_IMODE(path.stat().st_mode))
        for path in files
        if stat.S_IMODE(path.stat().st_mode) & 0o077
    }
    assert too_open == {}, (
        f"files readable or writable by group or others: {too_open}; "
        "create them with mode 0o600 (os.open(path, flags, 0o600) or a 0o077 umask)"
    )


@pytest.mark.rule("SEC2")
def test_secrets_stay_out_of_logs_and_errors(stores, caplog, monkeypatch):
    """Scenario 66: no secret in a log record, in repr() or str() of the store, or in its errors."""
    _capture_every_logger(caplog, monkeypatch)
    store = stores.open_new()
    fields = user_fields("a", **SECRETS)
    errors: List[BaseException] = []

    def record_error(error: Optional[BaseException]) -> None:
        if error is not None:
            errors.append(error)

    # Every call goes through call(), so that an error of another rule still lets this
    # test check the messages of the errors that the store raised.
    token = make_token(**fields)
    update = make_token(user_name=fields["user_name"], access_token=SECRETS["access_token"])
    refresh_probe = make_token(
        client_id=fields["client_id"],
        client_secret=SECRETS["client_secret"],
        refresh_token=SECRETS["refresh_token"],
    )
    rejected = make_token(id="sec2-unstored-id", client_secret=SECRETS["client_secret"])
    steps = [
        lambda: store.save_token(token),
        lambda: store.save_token(update),
        lambda: store.find_token(make_token(user_name=fields["user_name"])),
        lambda: store.find_token(refresh_probe),
        lambda: store.find_token_by_id(token.get_id()),
        lambda: store.get_tokens(),
        lambda: store.save_token(rejected),
        lambda: store.delete_token("sec2-unknown-id"),
        lambda: store.find_token_by_id("sec2-unknown-id"),
    ]
    for step in steps:
        record_error(call(step)[1])
    texts = {"repr(store)": repr(store), "str(store)": str(store)}
    record_error(call(store.delete_token, token.get_id())[1])
    record_error(call(store.delete_tokens)[1])

    texts["log records"] = caplog.text + "\n".join(
        f"{record.getMessage()} {record.args!r}" for record in caplog.records
    )
    for number, error in enumerate(errors):
        texts[f"{type(error).__name__} number {number}"] = f"{error} {error!r}"
        cause = cause_of(error)
        if cause is not None:
            texts[f"cause of {type(error).__name__} number {number}"] = f"{cause} {cause!r}"

    for field, secret in SECRETS.items():
        leaks = [where for where, text in texts.items() if secret in text]
        assert leaks == [], f"the {field} appears in: {', '.join(leaks)}"


def _capture_every_logger(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Capture DEBUG records of every logger, including those that do not propagate."""
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger):
            continue
        caplog.set_level(logging.DEBUG, logger=name)
        if not logger.propagate and caplog.handler not in logger.handlers:
            monkeypatch.setattr(logger, "handlers", [*logger.handlers, caplog.handler])


@pytest.mark.rule("SQL1")
def test_sqlite_store_avoids_update_delete_limit(stores, monkeypatch):
    """Scenario 67: no UPDATE or DELETE ... LIMIT, which needs an optional SQLite build flag."""
    statements: List[str] = []
    connections: List[sqlite3.Connection] = []
    original_connect = sqlite3.connect

    def traced_connect(*args, **kwargs):
        connection = original_connect(*args, **kwargs)
        connection.set_trace_callback(statements.append)
        connections.append(connection)
        return connection

    # NOTE: a store that bound sqlite3.connect at import time, or opened its
    # connection before this test, is not traced; the test then does not apply.
    monkeypatch.setattr(sqlite3, "connect", traced_connect)
    monkeypatch.setattr(sqlite3.dbapi2, "connect", traced_connect)

    store = stores.open_new()
    a, b = user_fields("a"), user_fields("b")
    # Errors of other rules do not matter here, only the statements the store sends.
    first = make_token(**a)
    refresh_update = make_token(
        client_id=b["client_id"],
        client_secret=b["client_secret"],
        refresh_token=b["refresh_token"],
        expiry_time="1999999999999",
    )
    steps = [
        lambda: store.save_token(first),
        lambda: store.save_token(make_token(**b)),
        lambda: store.save_token(make_token(user_name=a["user_name"], access_token="1000.new")),
        lambda: store.save_token(refresh_update),
        lambda: store.find_token(make_token(user_name=a["user_name"])),
        lambda: store.delete_token(first.get_id()),
        lambda: store.delete_token("sql1-unknown-id"),
        lambda: store.delete_tokens(),
    ]
    for step in steps:
        call(step)

    if not connections:
        pytest.skip("not applicable: the store opened no sqlite3 connection")
    offending = [sql for sql in statements if uses_update_or_delete_limit(sql)]
    assert offending == [], (
        f"UPDATE/DELETE ... LIMIT needs SQLITE_ENABLE_UPDATE_DELETE_LIMIT: {offending}; "
        "select the row's id first, or use WHERE id IN (SELECT id ... LIMIT 1)"
    )
