"""Variation points: detect the store's choice, record it, and check that it is allowed.

Each test records the choice it observes with ``record_variation``. A store that
shows neither allowed outcome fails here, and the MUST rule that the outcome
breaks (named in the message) fails in its own tests too.
"""

from __future__ import annotations

import pytest
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException

from conformance.suite.helpers import (
    call,
    project,
    read_record,
    record_with,
    records,
    save,
    stored_id,
    user_fields,
)
from conformance.tokens import make_token


@pytest.mark.rule("V-GRANT")
def test_unknown_grant_with_known_refresh(store, record_variation):
    """Scenario 69: a probe whose grant token is unknown but whose refresh token is stored."""
    a = user_fields("a", user_name=None)
    save(store, **a)
    a_id = stored_id(store, "refresh_token", a["refresh_token"])
    probe = make_token(
        client_id=a["client_id"],
        client_secret=a["client_secret"],
        grant_token="1000.unknown.grant",
        refresh_token=a["refresh_token"],
    )

    result = store.find_token(probe)

    if result is None:
        record_variation("V-GRANT", "grant-only")
        return
    assert result is probe, "find_token must return the probe it filled (F2)"
    expected = record_with(dict(a, grant_token="1000.unknown.grant"), a_id)
    assert read_record(probe) == expected, "the fallback must fill the probe from the record (F2)"
    record_variation("V-GRANT", "refresh-fallback")


# Fields that show which record the save updated; S2 and R1 check the others.
REKEY_FIELDS = ("id", "user_name", "access_token")


@pytest.mark.rule("V-REKEY")
def test_save_with_unstored_id_matching_record(store, record_variation):
    """Scenario 70: a save whose token has an unstored id and a key that matches another record."""
    a = user_fields("a")
    save(store, **a)
    a_id = stored_id(store, "user_name", a["user_name"])
    token = make_token(
        id="rekey-new-id", user_name=a["user_name"], access_token="1000.rekey.access"
    )

    store.save_token(token)

    stored = records(store)
    assert len(stored) == 1, f"expected one record after the save (S1), found {len(stored)}"
    updated = dict(a, access_token="1000.rekey.access")
    if token.get_id() == a_id:
        assert project(stored, *REKEY_FIELDS) == project([dict(updated, id=a_id)], *REKEY_FIELDS), (
            "the record must take the token's present fields and keep the rest (S2)"
        )
        record_variation("V-REKEY", "keep-record-id")
        return
    assert token.get_id() == "rekey-new-id", (
        f"the token's id is {token.get_id()!r}: neither the record's id {a_id!r} "
        "nor its own id (S3)"
    )
    assert stored[0]["id"] == "rekey-new-id", (
        f"the token kept its own id 'rekey-new-id' but its record has id {stored[0]['id']!r}; "
        "after a save the token's id must be its record's id (S3)"
    )
    expected = [dict(updated, id="rekey-new-id")]
    assert project(stored, *REKEY_FIELDS) == project(expected, *REKEY_FIELDS), (
        "the record must take the token's present fields and keep the rest (S2)"
    )
    record_variation("V-REKEY", "take-token-id")


@pytest.mark.rule("V-DELETE-MISSING")
def test_delete_token_of_unknown_id(store, record_variation):
    """Scenario 71: delete_token of an id that no record has is a no-op or raises SDKException."""
    save(store, **user_fields("a"))
    save(store, **user_fields("b"))
    before = records(store)

    _, error = call(store.delete_token, "no-such-id")

    assert records(store) == before, "an unknown id must change nothing (D1)"
    if error is None:
        record_variation("V-DELETE-MISSING", "no-op")
        return
    assert isinstance(error, SDKException), (
        f"delete_token raised {type(error).__name__}: {error}; "
        "an unknown id is a no-op or raises SDKException (D1)"
    )
    record_variation("V-DELETE-MISSING", "raises")


@pytest.mark.rule("V-ID-MISSING")
def test_find_token_by_id_of_unknown_id(store, record_variation):
    """Scenario 72: find_token_by_id of an unknown id returns None or raises SDKException."""
    save(store, **user_fields("a"))

    token, error = call(store.find_token_by_id, "no-such-id")

    if error is None:
        assert token is None, f"an unknown id returned {token!r}, not None (I1)"
        record_variation("V-ID-MISSING", "none")
        return
    assert isinstance(error, SDKException), (
        f"find_token_by_id raised {type(error).__name__}: {error}; "
        "an unknown id returns None or raises SDKException (I1)"
    )
    record_variation("V-ID-MISSING", "raises")
