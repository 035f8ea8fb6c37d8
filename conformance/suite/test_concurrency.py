"""Concurrency: threads and processes that use one store at once lose and duplicate nothing."""

from __future__ import annotations

import subprocess
import threading
from typing import List

import pytest

from conformance.suite.helpers import (
    CHILD_PRELUDE,
    find_record,
    importable_store_name,
    project,
    records,
    save,
    start_child,
    user_fields,
)

THREADS = 8
USERS_PER_THREAD = 6
PROCESSES = 4
USERS_PER_PROCESS = 10
PROCESS_TIMEOUT_SECONDS = 120

UPDATED_ACCESS = "1000.updated.access"

# Fields that show a user's record and its update; R1 and S2 check the others.
C_FIELDS = ("user_name", "access_token")

# Each child waits for the barrier file, then saves, finds and updates its own users.
CONCURRENT_CHILD = (
    CHILD_PRELUDE
    + """
import time
from conformance.suite.helpers import user_fields

process, users = sys.argv[3], int(sys.argv[4])
barrier, updated_access = Path(sys.argv[5]), sys.argv[6]
print("ready", flush=True)
while not barrier.exists():
    time.sleep(0.005)

for number in range(users):
    fields = user_fields(f"p{process}u{number}")
    store.save_token(make_token(**fields))
    found = store.find_token(make_token(user_name=fields["user_name"]))
    if found is None or found.get_refresh_token() != fields["refresh_token"]:
        sys.exit(f"find_token did not return the record of {fields['user_name']}")
    store.save_token(make_token(user_name=fields["user_name"], access_token=updated_access))
print("done", flush=True)
"""
)


@pytest.mark.rule("C1")
def test_threads_lose_and_duplicate_nothing(store):
    """Scenario 63: eight threads save, find, update and delete their own users at once."""
    barrier = threading.Barrier(THREADS)
    errors: List[str] = []
    surviving: List[dict] = []
    lock = threading.Lock()

    def work(thread: int) -> None:
        barrier.wait()
        for number in range(USERS_PER_THREAD):
            fields = user_fields(f"t{thread}u{number}")
            try:
                save(store, **fields)
                found = find_record(store, {"user_name": fields["user_name"]})
                if found is None:
                    errors.append(f"{fields['user_name']}: find_token found nothing after save")
                    continue
                if found["refresh_token"] != fields["refresh_token"]:
                    errors.append(f"{fields['user_name']}: find_token returned another record")
                save(store, user_name=fields["user_name"], access_token=UPDATED_ACCESS)
                if number % 3 == 0:
                    store.delete_token(found["id"])
                    continue
            except Exception as error:  # noqa: BLE001 (every error is reported)
                errors.append(f"{fields['user_name']}: {type(error).__name__}: {error}")
                continue
            with lock:
                surviving.append(dict(fields, access_token=UPDATED_ACCESS))

    threads = [threading.Thread(target=work, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [], f"{len(errors)} thread call(s) failed, the first: {errors[:1]}"
    stored = records(store)
    stored_ids = [record["id"] for record in stored]
    assert len(set(stored_ids)) == len(stored_ids), f"ids repeat: {sorted(stored_ids)}"
    assert project(stored, *C_FIELDS) == project(surviving, *C_FIELDS)


@pytest.mark.rule("C2")
@pytest.mark.requires_feature("persistent")
def test_processes_lose_and_duplicate_nothing(stores, store_target, tmp_path):
    """Scenario 64: four processes on one location save, find and update their own users at once."""
    name = importable_store_name(store_target)
    stores.open_new()
    location = stores.location
    barrier = tmp_path / "start-barrier"

    children = []
    for process in range(PROCESSES):
        arguments = [
            name,
            str(location),
            str(process),
            str(USERS_PER_PROCESS),
            str(barrier),
            UPDATED_ACCESS,
        ]
        children.append(start_child(CONCURRENT_CHILD, arguments, location))
    for child in children:
        child.stdout.readline()
    barrier.touch()

    failures = []
    for process, child in enumerate(children):
        try:
            _, stderr = child.communicate(timeout=PROCESS_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            _, stderr = child.communicate()
        if child.returncode != 0:
            failures.append(f"process {process} exited with {child.returncode}: {stderr[-2000:]}")
    assert failures == [], f"{len(failures)} process(es) failed, the first: {failures[:1]}"

    stored = records(stores.reopen())
    expected = [
        dict(user_fields(f"p{process}u{number}"), access_token=UPDATED_ACCESS)
        for process in range(PROCESSES)
        for number in range(USERS_PER_PROCESS)
    ]
    stored_ids = [record["id"] for record in stored]
    assert len(set(stored_ids)) == len(stored_ids), f"ids repeat: {sorted(stored_ids)}"
    assert project(stored, *C_FIELDS) == project(expected, *C_FIELDS)
