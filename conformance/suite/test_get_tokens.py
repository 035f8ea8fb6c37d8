"""get_tokens(): one complete, independent OAuthToken per stored record."""

from __future__ import annotations

import pytest
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from conformance.suite.helpers import (
    read_record,
    record_with,
    records,
    save,
    sort_records,
    stored_id,
    user_fields,
)

CHANGEABLE_FIELDS = (
    "client_id",
    "client_secret",
    "refresh_token",
    "access_token",
    "grant_token",
    "redirect_url",
    "api_domain",
)


@pytest.mark.rule("G1")
def test_get_tokens_empty_store_returns_empty_list(store):
    """Scenario 38: an empty store returns an empty list."""
    tokens = store.get_tokens()

    assert isinstance(tokens, list), f"get_tokens returned a {type(tokens).__name__}, not a list"
    assert tokens == []


@pytest.mark.rule("G1")
def test_get_tokens_returns_complete_token_per_record(store):
    """Scenario 39: each record comes back once as an OAuthToken with all ten fields."""
    a = user_fields("a")
    b = user_fields("b")
    access_only = {"access_token": "1000.access.only", "api_domain": "https://www.zohoapis.com"}
    for fields in (a, b, access_only):
        save(store, **fields)
    ids = [
        stored_id(store, "user_name", a["user_name"]),
        stored_id(store, "user_name", b["user_name"]),
        stored_id(store, "access_token", access_only["access_token"]),
    ]

    tokens = store.get_tokens()

    assert isinstance(tokens, list), f"get_tokens returned a {type(tokens).__name__}, not a list"
    for token in tokens:
        assert isinstance(token, OAuthToken), f"get_tokens returned a {type(token).__name__}"
    expected = [
        record_with(fields, record_id) for fields, record_id in zip((a, b, access_only), ids)
    ]
    assert sort_records(read_record(token) for token in tokens) == sort_records(expected)


@pytest.mark.rule("G2")
def test_get_tokens_returns_copies(store):
    """Scenario 40: changing every field of the returned tokens does not change the store."""
    save(store, **user_fields("a"))
    save(store, **user_fields("b"))
    before = records(store)
    ids = [record["id"] for record in before]
    found_before = [read_record(store.find_token_by_id(record_id)) for record_id in ids]

    for token in store.get_tokens():
        token.set_id("changed-id")
        token.set_user_signature(UserSignature("changed@example.com"))
        for name in CHANGEABLE_FIELDS:
            getattr(token, "set_" + name)("changed")
        token.set_expires_in("1")

    assert records(store) == before, "get_tokens() returns the changed tokens"
    for record_id, record in zip(ids, found_before):
        again = store.find_token_by_id(record_id)
        assert again is not None, f"record {record_id!r} is no longer found by id"
        assert read_record(again) == record, f"record {record_id!r} changed"
