"""find_token(token): lookup by key, filling the probe, and probes that must find nothing."""

from __future__ import annotations

import pytest
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from conformance.suite.helpers import (
    assert_finds_nothing,
    find_filled,
    read_record,
    record_with,
    save,
    save_user,
    stored_id,
    user_fields,
)

CLIENT = {"client_id": "1000.CLIENTA", "client_secret": "client-secret-a"}


@pytest.mark.rule("F1")
def test_find_token_returns_none_on_empty_store(store):
    """Scenario 1: every kind of probe finds nothing in an empty store."""
    probes = [
        {"id": "1"},
        {"user_name": "a@example.com"},
        {"access_token": "access"},
        {"grant_token": "grant", **CLIENT},
        {"refresh_token": "refresh", **CLIENT},
    ]

    for probe_fields in probes:
        assert_finds_nothing(store, probe_fields, "the store is empty")


@pytest.mark.rule("F1")
def test_find_token_returns_none_for_unknown_user(store):
    """Scenario 2: a user name that no record has finds nothing, not the first record."""
    save_user(store, "a")
    save_user(store, "c")

    assert_finds_nothing(store, {"user_name": "b@example.com"}, "no record has that user name")


@pytest.mark.rule("F1")
def test_find_token_never_returns_other_users_record(store):
    """Scenario 3: user b's probe never gets user a's record, even with a's other values."""
    a = user_fields("a")
    save_user(store, "a")
    probe_fields = {
        "user_name": "b@example.com",
        "client_id": a["client_id"],
        "client_secret": a["client_secret"],
        "refresh_token": a["refresh_token"],
        "grant_token": a["grant_token"],
    }

    assert_finds_nothing(store, probe_fields, "the user name is the key, and no record has it")


@pytest.mark.rule("F1")
@pytest.mark.parametrize(
    "probe_fields",
    [
        {"id": "no-such-id"},
        {"access_token": "1000.unknown.access"},
        {"grant_token": "1000.unknown.grant", **CLIENT},
        {"refresh_token": "1000.unknown.refresh", **CLIENT},
    ],
    ids=["id", "access_token", "grant_token", "refresh_token"],
)
def test_find_token_returns_none_for_unknown_key(store, probe_fields):
    """Scenario 4: a key value that no record has finds nothing, for each kind of key."""
    save_user(store, "a")
    save_user(store, "b")

    assert_finds_nothing(store, probe_fields, "no record has the value of the probe's key")


@pytest.mark.rule("F1")
@pytest.mark.parametrize(
    "probe_fields",
    [
        {},
        {"client_id": "1000.CLIENTA", "client_secret": "client-secret-a"},
        {"redirect_url": "https://a.example/oauth/callback"},
        {"api_domain": "https://www.zohoapis.eu", "expiry_time": "1733312345678"},
    ],
    ids=["empty", "client_credentials", "redirect_url", "api_domain_and_expiry"],
)
def test_find_token_keyless_probe_gets_no_record(store, probe_fields):
    """Scenario 5: a probe with no identifying field finds nothing, not an unrelated record."""
    save_user(store, "a")

    assert_finds_nothing(store, probe_fields, "the probe carries no identifying field")


@pytest.mark.rule("F1")
@pytest.mark.parametrize(
    ("field", "stored", "probed"),
    [
        ("user_name", "a@example.com", "A@example.com"),
        ("user_name", "a@example.com", "a@example.com "),
        ("user_name", "a@example.com", " a@example.com"),
        ("user_name", "a@example.com", "%"),
        ("user_name", "a@example.com", "a%"),
        ("user_name", "ab", "a_"),
        ("access_token", "1000.abc.def", "1000.ABC.DEF"),
        ("refresh_token", "1000.abc.def", "1000.%"),
    ],
    ids=[
        "case",
        "trailing_space",
        "leading_space",
        "like_percent",
        "like_prefix",
        "like_underscore",
        "access_token_case",
        "refresh_token_like",
    ],
)
def test_find_token_matches_exact_strings_only(store, field, stored, probed):
    """Scenario 6: matching is exact: no case folding, trimming or LIKE patterns."""
    a = user_fields("a", **{field: stored})
    save(store, **a)
    probe_fields = {field: probed}
    if field == "refresh_token":
        probe_fields.update(client_id=a["client_id"], client_secret=a["client_secret"])

    assert_finds_nothing(store, probe_fields, f"matching is exact, and {stored!r} is stored")


@pytest.mark.rule("F2")
@pytest.mark.parametrize(
    "kind", ["id", "user_name", "access_token", "grant_token", "refresh_token"]
)
def test_find_token_by_each_key_fills_probe(store, kind):
    """Scenario 7: a probe by each kind of key gets every field of its record, in that object."""
    a = user_fields("a")
    save_user(store, "a")
    save_user(store, "b")
    a_id = stored_id(store, "user_name", a["user_name"])

    if kind == "id":
        probe_fields = {"id": a_id}
    elif kind in ("grant_token", "refresh_token"):
        probe_fields = {
            "client_id": a["client_id"],
            "client_secret": a["client_secret"],
            kind: a[kind],
        }
    else:
        probe_fields = {kind: a[kind]}
    probe = find_filled(store, probe_fields)

    assert read_record(probe) == record_with(a, a_id)


@pytest.mark.rule("F2")
def test_find_token_keeps_unstored_probe_id(store):
    """Scenario 75: a probe's own unstored id is kept when its user name finds the record."""
    a = user_fields("a")
    save_user(store, "a")

    probe = find_filled(store, {"id": "probe-own-id", "user_name": a["user_name"]})

    assert probe.get_id() == "probe-own-id"
    assert probe.get_refresh_token() == a["refresh_token"]


@pytest.mark.rule("F2")
def test_find_token_keeps_fields_present_in_probe(store):
    """Scenario 8: fields that the probe carries are kept; only absent fields are filled."""
    a = user_fields("a")
    save_user(store, "a")
    a_id = stored_id(store, "user_name", a["user_name"])
    probe_fields = {
        "user_name": a["user_name"],
        "access_token": "1000.new.access",
        "api_domain": "https://www.zohoapis.com",
    }

    probe = find_filled(store, probe_fields)

    expected = record_with(
        dict(a, access_token="1000.new.access", api_domain="https://www.zohoapis.com"), a_id
    )
    assert read_record(probe) == expected


@pytest.mark.rule("F2")
def test_find_token_user_name_beats_other_keys(store):
    """Scenario 9: the user name decides, even when access, grant and refresh match another user."""
    a, b = user_fields("a"), user_fields("b")
    save_user(store, "a")
    save_user(store, "b")
    a_id = stored_id(store, "user_name", a["user_name"])
    probe_fields = {
        "user_name": a["user_name"],
        "client_id": b["client_id"],
        "client_secret": b["client_secret"],
        "access_token": b["access_token"],
        "grant_token": b["grant_token"],
        "refresh_token": b["refresh_token"],
    }

    probe = find_filled(store, probe_fields)

    assert probe.get_id() == a_id, "the probe was filled from b's record, not a's"
    assert probe.get_redirect_url() == a["redirect_url"]


@pytest.mark.rule("F2")
def test_find_token_grant_beats_refresh_token(store):
    """Scenario 10: with both, the grant token decides, even when the refresh token is B's."""
    a = user_fields("a", user_name=None)
    b = user_fields("b", user_name=None, client_id=a["client_id"], client_secret=a["client_secret"])
    save(store, **a)
    save(store, **b)
    a_id = stored_id(store, "grant_token", a["grant_token"])
    probe_fields = {
        "client_id": a["client_id"],
        "client_secret": a["client_secret"],
        "grant_token": a["grant_token"],
        "refresh_token": b["refresh_token"],
    }

    probe = find_filled(store, probe_fields)

    assert probe.get_id() == a_id, "the probe was filled from b's record, found by refresh token"
    assert probe.get_access_token() == a["access_token"]


@pytest.mark.rule("F2")
def test_find_token_fills_id_only_probe(store):
    """Scenario 11: an ``OAuthToken(id=...)`` probe, as ``revoke`` builds it, is filled."""
    a = user_fields("a")
    save_user(store, "a")
    a_id = stored_id(store, "user_name", a["user_name"])
    probe = OAuthToken(id=a_id)

    store.find_token(probe)

    assert probe.get_refresh_token() == a["refresh_token"], (
        "revoke reads the refresh token from the probe it passed to find_token"
    )
    assert read_record(probe) == record_with(a, a_id)


@pytest.mark.rule("F4")
@pytest.mark.parametrize(
    "credentials",
    [CLIENT, {"client_id": CLIENT["client_id"]}, {"client_secret": CLIENT["client_secret"]}],
    ids=["both_credentials", "client_id_only", "client_secret_only"],
)
def test_find_token_ignores_access_with_credentials(store, credentials):
    """Scenario 12: an access token is a key only without client credentials."""
    a = user_fields("a", user_name=None)
    save(store, **a)

    probe_fields = {"access_token": a["access_token"], **credentials}

    assert_finds_nothing(store, probe_fields, "an access token is no key with client credentials")


@pytest.mark.rule("F4")
@pytest.mark.parametrize(
    "credentials",
    [{}, {"client_id": CLIENT["client_id"]}, {"client_secret": CLIENT["client_secret"]}],
    ids=["no_credentials", "client_id_only", "client_secret_only"],
)
def test_find_token_ignores_refresh_without_credentials(store, credentials):
    """Scenario 13: a refresh token without both client credentials finds nothing."""
    a = user_fields("a", user_name=None, **CLIENT)
    save(store, **a)

    probe_fields = {"refresh_token": a["refresh_token"], **credentials}

    assert_finds_nothing(store, probe_fields, "a refresh token is a key only with both credentials")


@pytest.mark.rule("F4")
@pytest.mark.parametrize(
    "credentials",
    [{}, {"client_id": CLIENT["client_id"]}],
    ids=["no_credentials", "client_id_only"],
)
def test_find_token_ignores_grant_without_credentials(store, credentials):
    """Scenario 14: a grant token without both client credentials finds nothing."""
    a = user_fields("a", user_name=None, **CLIENT)
    save(store, **a)

    probe_fields = {"grant_token": a["grant_token"], **credentials}

    assert_finds_nothing(store, probe_fields, "a grant token is a key only with both credentials")


@pytest.mark.rule("F3")
@pytest.mark.parametrize(
    "argument",
    [object(), "a@example.com", {"user_name": "a@example.com"}],
    ids=["object", "str", "dict"],
)
def test_find_token_returns_non_oauth_argument_unchanged(store, argument):
    """Scenario 15: an argument that is not an OAuthToken comes back as the same object."""
    save_user(store, "a")

    result = store.find_token(argument)

    assert result is argument, f"find_token({argument!r}) returned {result!r}"
