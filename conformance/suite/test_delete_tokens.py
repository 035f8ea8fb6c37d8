"""delete_tokens(): removes every record, on any store, and the store keeps working."""

from __future__ import annotations

import pytest

from conformance.suite.helpers import (
    find_record,
    project,
    record_with,
    records,
    save,
    stored_id,
    user_fields,
)
from conformance.tokens import make_token

# Fields that identify a record; R1 and S2 check the others.
X1_FIELDS = ("id", "user_name", "refresh_token")


@pytest.mark.rule("X1")
def test_delete_tokens_removes_every_record(store):
    """Scenario 41: eleven records are all gone and none is found by its key."""
    users = [user_fields(f"user{number}") for number in range(11)]
    for fields in users:
        save(store, **fields)

    store.delete_tokens()

    assert records(store) == []
    for fields in users:
        probe = make_token(user_name=fields["user_name"])
        assert store.find_token(probe) is None, f"{fields['user_name']} is still found"


@pytest.mark.rule("X1")
def test_delete_tokens_on_empty_store(store):
    """Scenario 42: deleting every record of an empty store raises nothing, twice."""
    store.delete_tokens()
    store.delete_tokens()

    assert records(store) == []


@pytest.mark.rule("X1")
def test_delete_tokens_store_keeps_working(store):
    """Scenario 43: after delete_tokens the store saves, finds and updates as before."""
    save(store, **user_fields("a"))
    save(store, **user_fields("b"))
    store.delete_tokens()

    c = user_fields("c")
    save(store, **c)
    save(store, **c)
    c_id = stored_id(store, "user_name", c["user_name"])
    found = find_record(store, {"user_name": c["user_name"]})

    assert project(records(store), *X1_FIELDS) == project([record_with(c, c_id)], *X1_FIELDS)
    assert found is not None, "find_token found nothing after delete_tokens"
    assert project([found], *X1_FIELDS) == project([record_with(c, c_id)], *X1_FIELDS)
