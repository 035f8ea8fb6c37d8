"""delete_token(id): removes exactly the record with that id, whatever the id contains."""

from __future__ import annotations

import pytest
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException

from conformance.suite.helpers import (
    HOSTILE_IDS,
    call,
    project,
    record_with,
    records,
    save,
    stored_id,
    user_fields,
)
from conformance.tokens import make_token

# Plain ids that a hostile id could select by SQL or pattern syntax.
PLAIN_IDS = ("1", "2", "10")

# Fields that identify a remaining record; R1 and S2 check the others.
D1_FIELDS = ("id", "user_name", "refresh_token")


def _save_plain_records(store):
    saved = []
    for record_id in PLAIN_IDS:
        fields = user_fields(f"plain{record_id}", id=record_id)
        save(store, **fields)
        saved.append(record_with(fields, record_id))
    return saved


@pytest.mark.rule("D1")
def test_delete_token_removes_only_that_record(store):
    """Scenario 34: deleting one of three records leaves the other two unchanged."""
    users = {tag: user_fields(tag) for tag in ("a", "b", "c")}
    for fields in users.values():
        save(store, **fields)
    ids = {tag: stored_id(store, "user_name", fields["user_name"]) for tag, fields in users.items()}

    store.delete_token(ids["b"])

    expected = [record_with(users[tag], ids[tag]) for tag in ("a", "c")]
    assert project(records(store), *D1_FIELDS) == project(expected, *D1_FIELDS)


@pytest.mark.rule("D1")
def test_delete_token_keeps_ids_sharing_prefix(store):
    """Scenario 74: deleting id "a" keeps the records "ab", "a%" and "A"; catches prefix matches."""
    ids = ("a", "ab", "a%", "A")
    for number, record_id in enumerate(ids):
        save(store, **user_fields(f"prefix{number}", id=record_id))

    store.delete_token("a")

    remaining = sorted(record["id"] for record in records(store))
    assert remaining == sorted(ids[1:]), f"after delete_token('a') the ids are {remaining}"


@pytest.mark.rule("D1")
@pytest.mark.parametrize("hostile_id", HOSTILE_IDS, ids=repr)
def test_delete_token_hostile_id_removes_own_record(store, hostile_id):
    """Scenario 35: an id with SQL or CSV syntax removes its own record and no other."""
    plain = _save_plain_records(store)
    save(store, **user_fields("hostile", id=hostile_id))

    store.delete_token(hostile_id)

    assert project(records(store), *D1_FIELDS) == project(plain, *D1_FIELDS)


@pytest.mark.rule("D1")
@pytest.mark.parametrize("unknown_id", ("no-such-id",) + HOSTILE_IDS, ids=repr)
def test_delete_token_unknown_id_changes_nothing(store, unknown_id):
    """Scenario 36: an id that no record has removes nothing and raises at most SDKException."""
    plain = _save_plain_records(store)

    _, error = call(store.delete_token, unknown_id)

    if error is not None:
        assert isinstance(error, SDKException), (
            f"delete_token({unknown_id!r}) raised {type(error).__name__}: {error}; "
            "an unknown id is a no-op or raises SDKException"
        )
    assert project(records(store), *D1_FIELDS) == project(plain, *D1_FIELDS)


@pytest.mark.rule("D1")
def test_delete_token_record_no_longer_found(store):
    """Scenario 37: a deleted record is found neither by its key nor by its id; others still are."""
    a, b = user_fields("a"), user_fields("b")
    save(store, **a)
    save(store, **b)
    a_id = stored_id(store, "user_name", a["user_name"])

    store.delete_token(a_id)

    by_id, error = call(store.find_token_by_id, a_id)
    assert by_id is None, f"find_token_by_id({a_id!r}) still returns the deleted record"
    assert error is None or isinstance(error, SDKException)
    probe = make_token(user_name=a["user_name"])
    store.find_token(probe)
    assert probe.get_id() != a_id, "find_token still fills the deleted record"
    assert store.find_token(make_token(user_name=b["user_name"])) is not None, (
        "deleting a's record also made b's record unfindable"
    )
