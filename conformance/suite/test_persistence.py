"""Persistence: a new instance on the same location returns what earlier ones saved (P1, C3)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from conformance.suite.helpers import (
    CHILD_PRELUDE,
    call,
    find_record,
    importable_store_name,
    records,
    save,
    start_child,
    stored_id,
    user_fields,
)

pytestmark = pytest.mark.requires_feature("persistent")

# Saves the child makes at most, and how many must have returned before the kill.
CHILD_SAVES = 5000
KILL_AFTER_SAVES = 20
KILL_DELAY_SECONDS = 0.01
CHILD_TIMEOUT_SECONDS = 60

KILLED_CHILD = (
    CHILD_PRELUDE
    + """
for number in range(int(sys.argv[3])):
    store.save_token(make_token(
        user_name=f"killed{number}@example.com",
        client_id="1000.CLIENTK",
        client_secret="client-secret-k",
        refresh_token=f"1000.refresh.{number}",
        access_token=f"1000.access.{number}",
        expiry_time="1733312345678",
    ))
    print(number, flush=True)
"""
)


@pytest.mark.rule("P1")
def test_reopened_store_sees_saved_records(stores):
    """Scenario 58: a new instance on the location returns every record, all ten fields."""
    store = stores.open_new()
    a, b = user_fields("a"), user_fields("b")
    access_only = {"access_token": "1000.access.only"}
    for fields in (a, b, access_only):
        save(store, **fields)
    before = records(store)
    found_before = find_record(store, {"user_name": a["user_name"]})

    reopened = stores.reopen()
    found = find_record(reopened, {"user_name": a["user_name"]})

    assert records(reopened) == before
    assert found is not None, "the reopened store does not find user a"
    assert found == found_before


@pytest.mark.rule("P1")
def test_reopened_empty_store_saves_and_finds(stores):
    """Scenario 59: a store reopened before any save still saves and finds."""
    stores.open_new()
    stores.reopen()
    store = stores.reopen()
    a = user_fields("a")

    save(store, **a)
    found = find_record(store, {"user_name": a["user_name"]})

    assert found is not None, "the reopened store does not find what it saved"
    assert records(stores.reopen()) == records(store)


@pytest.mark.rule("P1")
def test_reopened_store_sees_updates_and_deletes(stores):
    """Scenario 60: updates, a delete_token and a delete_tokens are all visible after a reopen."""
    store = stores.open_new()
    a, b, c = user_fields("a"), user_fields("b"), user_fields("c")
    for fields in (a, b, c):
        save(store, **fields)
    save(store, user_name=a["user_name"], access_token="1000.updated.access")
    store.delete_token(stored_id(store, "user_name", b["user_name"]))
    before = records(store)

    assert records(stores.reopen()) == before

    # A delete_tokens that raises is X1's failure; only a completed one must persist.
    _, error = call(stores.reopen().delete_tokens)
    if error is None:
        assert records(stores.reopen()) == []


@pytest.mark.rule("S4")
def test_ids_stay_unique_across_reopen(stores):
    """Scenario 61: ids generated after a reopen collide with no id generated before it."""
    store = stores.open_new()
    first = [save(store, **user_fields(f"before{number}")).get_id() for number in range(11)]
    reopened = stores.reopen()
    second = [save(reopened, **user_fields(f"after{number}")).get_id() for number in range(3)]

    stored_ids = [record["id"] for record in records(stores.reopen())]

    assert len(stored_ids) == 14, f"expected 14 records, found {len(stored_ids)}"
    assert len(set(stored_ids)) == 14, f"ids repeat after a reopen: {first} then {second}"


@pytest.mark.rule("C3")
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="not applicable: no SIGKILL here")
def test_killed_process_keeps_returned_saves(stores, store_target):
    """Scenario 62: after a SIGKILL during saves, the store opens with every returned save."""
    name = importable_store_name(store_target)
    location = stores.new_location()
    child = start_child(KILLED_CHILD, [name, str(location), str(CHILD_SAVES)], location)
    watchdog = threading.Timer(CHILD_TIMEOUT_SECONDS, child.kill)
    watchdog.start()

    try:
        returned = []
        for line in child.stdout:
            returned.append(int(line))
            if len(returned) >= KILL_AFTER_SAVES:
                # The pause lets the kill land inside a later save, not just after one returned.
                time.sleep(KILL_DELAY_SECONDS)
                os.kill(child.pid, signal.SIGKILL)
                break
        returned += [int(line) for line in child.stdout.read().split()]
        child.wait()
    finally:
        watchdog.cancel()
    stderr = child.stderr.read()

    if len(returned) < KILL_AFTER_SAVES:
        pytest.fail(
            f"the child process stopped after {len(returned)} saves "
            f"(exit status {child.returncode}): {stderr.strip()[-2000:]}"
        )

    store = stores.open(location)
    stored = {record["user_name"]: record for record in records(store)}

    missing = [number for number in returned if f"killed{number}@example.com" not in stored]
    assert not missing, f"saves that had returned are missing after the kill: {missing}"
    for number in returned:
        record = stored[f"killed{number}@example.com"]
        assert record["refresh_token"] == f"1000.refresh.{number}"
