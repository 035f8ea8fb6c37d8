"""Values: every field round-trips exactly, and comes back with the type the SDK expects."""

from __future__ import annotations

from typing import Dict

import pytest
from hypothesis import given
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from conformance.suite.helpers import (
    find_record,
    records,
    save,
    sort_records,
    stored_id,
    user_fields,
)
from conformance.tokens import FIELDS, make_token, record_of
from conformance.values import ADVERSARIAL_CASES, full_records

API_DOMAINS = (
    "https://www.zohoapis.eu",
    "https://www.zohoapis.com",
    "https://www.zohoapis.in",
    "https://www.zohoapis.com.au",
)


def _assert_round_trips(store, record: Dict[str, str]) -> None:
    """Save ``record`` (all ten fields, its own id) and read it back three ways."""
    save(store, **record)

    exact = sort_records(record_of(token) for token in store.get_tokens())
    assert exact == [record], "get_tokens() does not return the record as saved"

    by_id = store.find_token_by_id(record["id"])
    assert by_id is not None, f"find_token_by_id({record['id']!r}) found nothing"
    assert record_of(by_id) == record, "find_token_by_id() does not return the record as saved"

    found = store.find_token(make_token(user_name=record["user_name"]))
    assert isinstance(found, OAuthToken), "find_token() by user name found nothing"
    assert record_of(found) == record, "find_token() does not fill the record as saved"


@pytest.mark.rule("R1")
@pytest.mark.parametrize("value", ADVERSARIAL_CASES.values(), ids=ADVERSARIAL_CASES.keys())
def test_hard_value_round_trips_in_every_field(store, value):
    """Scenario 50: quotes, backslashes, %, _, commas, newlines, SQL, CSV, non-ASCII, 255 chars."""
    record = {name: value for name in FIELDS}

    _assert_round_trips(store, record)


@pytest.mark.rule("R1")
def test_short_values_round_trip(store):
    """Scenario 51: values under ten characters, api_domain included, come back unchanged."""
    record = {
        "id": "7",
        "user_name": "u",
        "client_id": "c",
        "client_secret": "s",
        "refresh_token": "r",
        "access_token": "a",
        "grant_token": "g",
        "expiry_time": "1",
        "redirect_url": "/",
        "api_domain": "x",
    }

    _assert_round_trips(store, record)


@pytest.mark.rule("R1")
@pytest.mark.parametrize("api_domain", API_DOMAINS)
def test_realistic_values_round_trip(store, api_domain):
    """Scenario 52: Zoho tokens, e-mail user names, each API domain and millisecond expiry times."""
    record = dict(user_fields("realistic", api_domain=api_domain), id="realistic-1")

    _assert_round_trips(store, record)


@pytest.mark.rule("R1")
def test_apostrophe_user_name_saves_and_finds(store):
    """Scenario 53: the valid e-mail o'brien@example.com is saved, found and updated."""
    fields = user_fields("obrien", user_name="o'brien@example.com")
    save(store, **fields)
    save(store, user_name="o'brien@example.com", access_token="1000.new.access")
    record_id = stored_id(store, "user_name", "o'brien@example.com")

    found = find_record(store, {"user_name": "o'brien@example.com"})

    assert found is not None, "find_token() found nothing for o'brien@example.com"
    assert found["id"] == record_id
    assert found["access_token"] == "1000.new.access", "the update by user name was lost"
    assert len(records(store)) == 1, "the update by user name inserted a second record"


@pytest.mark.rule("R1")
def test_any_generated_record_round_trips(stores):
    """Scenario 54: any record of printable text up to 255 characters round-trips (Hypothesis)."""

    @given(record=full_records())
    def check(record: Dict[str, str]) -> None:
        _assert_round_trips(stores.open_new(), record)

    check()


@pytest.mark.rule("R1-LONG")
@pytest.mark.parametrize(
    "value",
    ["x" * 4096, "é" * 4096, ('o\'brien, "100%"\n_\\ 日本 ' * 200)[:4096]],
    ids=["ascii", "non_ascii", "mixed"],
)
def test_long_values_round_trip(store, value):
    """Scenario 55: 4,096-character values round-trip in every field."""
    record = {name: value for name in FIELDS}

    _assert_round_trips(store, record)


@pytest.mark.rule("R2")
def test_expiry_time_comes_back_as_str(store):
    """Scenario 56: expiry_time is a str from get_tokens, find_token_by_id and find_token."""
    a = user_fields("a", expiry_time="1733312345678")
    save(store, **a)
    a_id = stored_id(store, "user_name", a["user_name"])
    sources = {
        "get_tokens()": store.get_tokens()[0],
        "find_token_by_id()": store.find_token_by_id(a_id),
        "find_token()": store.find_token(make_token(user_name=a["user_name"])),
    }

    for source, token in sources.items():
        assert isinstance(token, OAuthToken), f"{source} returned {token!r}, not the token"
        expiry = token.get_expires_in()
        assert isinstance(expiry, str), (
            f"{source} returned expiry_time {expiry!r} as {type(expiry).__name__}, not str"
        )
        assert expiry == "1733312345678"


@pytest.mark.rule("R2")
def test_user_name_comes_back_as_user_signature(store):
    """Scenario 57: user_name comes back as a UserSignature from all three lookups."""
    a = user_fields("a")
    save(store, **a)
    a_id = stored_id(store, "user_name", a["user_name"])
    probe = make_token(
        client_id=a["client_id"],
        client_secret=a["client_secret"],
        refresh_token=a["refresh_token"],
    )

    sources = {
        "get_tokens()": store.get_tokens()[0],
        "find_token_by_id()": store.find_token_by_id(a_id),
        "find_token() by refresh token": store.find_token(probe),
    }

    for source, token in sources.items():
        assert isinstance(token, OAuthToken), f"{source} returned {token!r}, not the token"
        signature = token.get_user_signature()
        assert isinstance(signature, UserSignature), (
            f"{source} returned the user as {signature!r}, not a UserSignature"
        )
        assert signature.get_name() == a["user_name"]
