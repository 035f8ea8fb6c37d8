"""find_token_by_id(id): a new token with the fields of exactly that id's record."""

from __future__ import annotations

import pytest
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException

from conformance.suite.helpers import (
    HOSTILE_IDS,
    call,
    read_record,
    record_with,
    save,
    stored_id,
    user_fields,
)

PLAIN_IDS = ("1", "2", "10")


def _assert_finds_nothing(store, record_id):
    token, error = call(store.find_token_by_id, record_id)
    if error is not None:
        assert isinstance(error, SDKException), (
            f"find_token_by_id({record_id!r}) raised {type(error).__name__}: {error}; "
            "an unknown id returns None or raises SDKException"
        )
    assert token is None, (
        f"find_token_by_id({record_id!r}) returned the record {read_record(token)} "
        "although no record has that id"
    )


@pytest.mark.rule("I1")
def test_find_token_by_id_returns_all_fields(store):
    """Scenario 44: the token found by id is an OAuthToken with all ten fields of its record."""
    a, b = user_fields("a"), user_fields("b")
    save(store, **a)
    save(store, **b)
    a_id = stored_id(store, "user_name", a["user_name"])

    token = store.find_token_by_id(a_id)

    assert isinstance(token, OAuthToken), f"expected an OAuthToken, got {token!r}"
    assert read_record(token) == record_with(a, a_id)


@pytest.mark.rule("I1")
def test_find_token_by_id_returns_new_object(store):
    """Scenario 45: each call returns a new object, not the saved token or an earlier result."""
    saved = save(store, **user_fields("a"))
    a_id = stored_id(store, "user_name", user_fields("a")["user_name"])

    first = store.find_token_by_id(a_id)
    second = store.find_token_by_id(a_id)

    assert first is not None, f"find_token_by_id({a_id!r}) found nothing for a stored id"
    assert first is not saved, "find_token_by_id returned the token object that was saved"
    assert second is not first, "two calls of find_token_by_id returned the same object"


@pytest.mark.rule("I1")
def test_find_token_by_id_matches_id_column_only(store):
    """Scenario 46: an id equal to another record's user name and client id finds its own record."""
    shared = "shared-value-9"
    other = user_fields("other", user_name=shared, client_id=shared)
    target = user_fields("target", id=shared)
    save(store, **other)
    save(store, **target)

    token = store.find_token_by_id(shared)

    assert token is not None, f"find_token_by_id({shared!r}) found nothing for a stored id"
    assert read_record(token) == record_with(target, shared)


@pytest.mark.rule("I1")
def test_find_token_by_id_ignores_other_columns(store):
    """Scenario 47: a value that is only another record's user name or client id finds nothing."""
    lookalike = "lookalike-7"
    save(store, **user_fields("other", user_name=lookalike, client_id=lookalike))

    _assert_finds_nothing(store, lookalike)


@pytest.mark.rule("I1")
@pytest.mark.parametrize("hostile_id", HOSTILE_IDS, ids=repr)
def test_find_token_by_id_finds_hostile_id(store, hostile_id):
    """Scenario 48: an id with SQL or pattern syntax finds exactly its own record."""
    for record_id in PLAIN_IDS:
        save(store, **user_fields(f"plain{record_id}", id=record_id))
    hostile = user_fields("hostile", id=hostile_id)
    save(store, **hostile)

    token = store.find_token_by_id(hostile_id)

    assert token is not None, f"find_token_by_id({hostile_id!r}) found nothing for a stored id"
    assert read_record(token) == record_with(hostile, hostile_id)


@pytest.mark.rule("I1")
@pytest.mark.parametrize("unknown_id", ("no-such-id",) + HOSTILE_IDS, ids=repr)
def test_find_token_by_id_unknown_id_finds_nothing(store, unknown_id):
    """Scenario 49: an id that no record has returns None or raises SDKException, never a record."""
    for record_id in PLAIN_IDS:
        save(store, **user_fields(f"plain{record_id}", id=record_id))

    _assert_finds_nothing(store, unknown_id)
