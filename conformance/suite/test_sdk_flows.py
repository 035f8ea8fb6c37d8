"""SDK-flow tier (rules SDK1 to SDK9): the real SDK calls the store under test.

A store can pass every direct call and still break the SDK, because the SDK
calls it in particular orders with particular partial tokens. Each test here
runs ``zohocrmsdk`` code (``Initializer.initialize``, ``Initializer.switch_user``,
``OAuthToken.get_token``, ``remove`` and ``revoke``) against the store, with a
local ``FakeZohoServer`` in place of Zoho Accounts, and checks both what the
store contains afterwards and which requests reached the server.

Setup that is not the flow under test saves records straight into the store
(``SDKApp.seed``), so a failure points at the flow and not at its setup.
``--store-skip-sdk`` deselects this tier.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

import pytest
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

from conformance.sdk_flows import (  # noqa: F401  (fixtures are found by name)
    SDK_REFRESH_MARGIN_MS,
    now_ms,
    records_by_user,
    run_threads,
    sdk_app,
    stored_records,
    zoho_server,
    zoho_server_session,
)
from conformance.sdk_server import (
    CURRENT_USER,
    DEFAULT_EXPIRES_IN,
    FAILURE_MODES,
    GRANT_EXCHANGE,
    ORG,
    REFRESH,
    TOKEN,
)

pytestmark = pytest.mark.sdk_tier

EXPIRES_IN_MS = DEFAULT_EXPIRES_IN * 1000

# Fields that a refresh must leave as they were: all but the id, the access token
# and the expiry (the id is compared separately).
UNCHANGED_BY_REFRESH = (
    "user_name",
    "client_id",
    "client_secret",
    "refresh_token",
    "grant_token",
    "redirect_url",
    "api_domain",
)


def endpoints(requests: List[Any]) -> List[str]:
    """Return the endpoint name of each recorded request, in order."""
    return [request.endpoint for request in requests]


def unknown_id() -> str:
    """Return a new id that no test stores: a fixed prefix and random hex."""
    return "sdk-tier-unknown-" + secrets.token_hex(4)


def initialize_from_store(sdk_app: Any, token: OAuthToken, expected: str) -> None:
    """Initialize the SDK with a token whose record is stored and valid, so no request is due.

    When the store does not return the record, the SDK goes to the server, which
    rejects a used grant code or an id-only token: that ``SDKException`` becomes
    an ``AssertionError`` naming ``expected``, what the store should have found.
    """
    try:
        sdk_app.initialize(token)
    except SDKException as error:
        raise AssertionError(
            f"the store did not return {expected}, so the SDK sent a request that "
            f"the server rejected: {error}"
        ) from error


def assert_refreshed(
    before: Dict[str, Any],
    after: Dict[str, Any],
    server: Any,
    min_expiry: Optional[int] = None,
) -> None:
    """Assert that ``after`` is ``before`` with a new access token and expiry from ``server``.

    The new expiry must be later than ``min_expiry`` (epoch ms), by default the
    time from which the SDK no longer refreshes it.
    """
    if min_expiry is None:
        min_expiry = now_ms() + SDK_REFRESH_MARGIN_MS

    assert after["id"] == before["id"], "the refresh changed the record's id"
    assert after["access_token"] != before["access_token"], "the record kept the old access token"

    owner = server.user_for_access_token(after["access_token"])
    assert owner is not None, "the record's access token was not issued by the server"
    assert owner.user_name == before["user_name"], (
        f"{before['user_name']}'s record contains an access token issued to {owner.user_name}"
    )

    assert isinstance(after["expiry_time"], str), "expiry_time must come back as str"
    assert int(after["expiry_time"]) > min_expiry, (
        "the record's expiry was not moved forward by the refresh"
    )

    for name in UNCHANGED_BY_REFRESH:
        assert after[name] == before[name], f"the refresh changed the record's {name}"


# SDK1


@pytest.mark.rule("SDK1")
def test_first_login_stores_one_record(sdk_app, zoho_server, store):
    alice = zoho_server.add_user("alice@example.com")
    grant_code = zoho_server.issue_grant_code(alice)

    before = now_ms()
    sdk_app.initialize(sdk_app.token_from_grant_code(grant_code))
    after = now_ms()

    assert endpoints(zoho_server.requests) == [TOKEN, CURRENT_USER, ORG]
    exchange = zoho_server.requests[0]
    assert exchange.grant_type == GRANT_EXCHANGE
    assert exchange.form.get("code") == grant_code

    records = stored_records(store)
    assert len(records) == 1, f"one login left {len(records)} records; expected 1"
    record = records[0]

    assert record["id"] is not None, "the stored record has no id"
    assert record["user_name"] == alice.user_name, "user_name is not the current user's"
    assert zoho_server.user_for_access_token(record["access_token"]) == alice
    assert zoho_server.user_for_refresh_token(record["refresh_token"]) == alice
    assert record["grant_token"] == grant_code
    assert record["client_id"] == zoho_server.client.client_id
    assert record["client_secret"] == zoho_server.client.client_secret
    assert record["redirect_url"] == zoho_server.client.redirect_url
    assert record["api_domain"] == zoho_server.base_url

    assert isinstance(record["expiry_time"], str), "expiry_time must come back as str"
    expiry = int(record["expiry_time"])
    assert before + EXPIRES_IN_MS <= expiry <= after + EXPIRES_IN_MS, (
        f"expiry_time {expiry} is not the exchange time plus {DEFAULT_EXPIRES_IN} s"
    )


# SDK2


@pytest.mark.rule("SDK2")
def test_same_grant_code_not_exchanged_again(sdk_app, zoho_server, store):
    alice = zoho_server.add_user("alice@example.com")
    grant_code = zoho_server.issue_grant_code(alice)
    sdk_app.initialize(sdk_app.token_from_grant_code(grant_code))
    stored = stored_records(store)
    sent_before_restart = len(zoho_server.requests)

    restarted = sdk_app.token_from_grant_code(grant_code)
    initialize_from_store(sdk_app, restarted, "the record of the grant code")
    access_token = restarted.get_token()

    assert zoho_server.requests[sent_before_restart:] == [], (
        "the restarted app sent requests: the store did not find the record of its grant code"
    )
    assert len(stored) == 1
    assert stored_records(store) == stored, "finding the record changed the store"
    assert access_token == stored[0]["access_token"]


# SDK3


@pytest.mark.rule("SDK3")
def test_refresh_token_restart_sends_no_request(sdk_app, zoho_server, store):
    alice = sdk_app.seed(zoho_server.add_user("alice@example.com"))
    bob = sdk_app.seed(zoho_server.add_user("bob@example.com"))
    stored = stored_records(store)

    restarted = sdk_app.token_from_refresh_token(bob["refresh_token"])
    sdk_app.initialize(restarted)
    access_token = restarted.get_token()

    assert zoho_server.requests == [], (
        "a restart with a valid stored access token sent requests: "
        "the store did not find the record of the refresh token"
    )
    assert access_token == bob["access_token"]
    assert access_token != alice["access_token"]
    assert stored_records(store) == stored, "finding the record changed the store"


# SDK4


@pytest.mark.rule("SDK4")
def test_expired_token_refreshed_into_same_record(sdk_app, zoho_server, store):
    alice = sdk_app.seed(zoho_server.add_user("alice@example.com"), expired=True)
    bob = sdk_app.seed(zoho_server.add_user("bob@example.com"))

    sdk_app.initialize(sdk_app.token_from_refresh_token(alice["refresh_token"]))

    assert endpoints(zoho_server.requests) == [TOKEN], "expected one refresh and nothing else"
    refresh = zoho_server.requests[0]
    assert refresh.grant_type == REFRESH
    assert refresh.form.get("refresh_token") == alice["refresh_token"]

    records = records_by_user(store)
    assert len(stored_records(store)) == 2, "the refresh added or removed a record"
    assert_refreshed(alice, records[alice["user_name"]], zoho_server)
    assert records[bob["user_name"]] == bob, "the refresh changed another user's record"


@pytest.mark.rule("SDK4")
def test_refreshed_token_found_after_restart(sdk_app, zoho_server, store):
    alice = sdk_app.seed(zoho_server.add_user("alice@example.com"), expired=True)
    sdk_app.initialize(sdk_app.token_from_refresh_token(alice["refresh_token"]))
    refreshed = records_by_user(store)[alice["user_name"]]
    sent_before_restart = len(zoho_server.requests)

    restarted = sdk_app.token_from_refresh_token(alice["refresh_token"])
    sdk_app.initialize(restarted)
    access_token = restarted.get_token()

    assert zoho_server.requests[sent_before_restart:] == [], (
        "the refreshed token was refreshed again after a restart: "
        "find_token did not return the updated record"
    )
    assert access_token == refreshed["access_token"]


@pytest.mark.rule("SDK4")
def test_id_token_refresh_updates_record(sdk_app, zoho_server, store):
    alice = sdk_app.seed(zoho_server.add_user("alice@example.com"), expired=True)
    bob = sdk_app.seed(zoho_server.add_user("bob@example.com"))

    sdk_app.initialize(OAuthToken(id=alice["id"]))

    assert endpoints(zoho_server.requests) == [TOKEN], "expected one refresh and nothing else"
    assert zoho_server.requests[0].form.get("refresh_token") == alice["refresh_token"]

    records = records_by_user(store)
    assert len(stored_records(store)) == 2, "the refresh added or removed a record"
    assert_refreshed(alice, records[alice["user_name"]], zoho_server)
    assert records[bob["user_name"]] == bob, "the refresh changed another user's record"


# SDK5


@pytest.mark.rule("SDK5")
def test_id_token_loads_without_request(sdk_app, zoho_server, store):
    alice = sdk_app.seed(zoho_server.add_user("alice@example.com"))
    bob = sdk_app.seed(zoho_server.add_user("bob@example.com"))
    stored = stored_records(store)

    token = OAuthToken(id=bob["id"])
    initialize_from_store(sdk_app, token, "the record of the id")
    access_token = token.get_token()

    assert zoho_server.requests == [], (
        "an id-based token with a valid stored access token sent requests: "
        "find_token_by_id did not return the record"
    )
    assert access_token == bob["access_token"]
    assert access_token != alice["access_token"]
    assert stored_records(store) == stored, "loading the record changed the store"


@pytest.mark.rule("SDK5")
def test_unknown_id_token_gets_no_access(sdk_app, zoho_server, store, record_variation):
    sdk_app.seed(zoho_server.add_user("alice@example.com"))
    stored = stored_records(store)
    missing_id = unknown_id()

    try:
        sdk_app.initialize(OAuthToken(id=missing_id))
    except SDKException:
        pass
    else:
        raise AssertionError(
            "the SDK got an access token for an id that is not stored: "
            "find_token_by_id returned a record for an unknown id"
        )

    assert stored_records(store) == stored, "a failed id-based login changed the store"

    # find_token_by_id returning None makes the SDK try an exchange without a
    # grant code, which the server rejects. Raising stops the SDK before any request.
    seen_through_sdk = "none" if zoho_server.token_requests() else "raises"
    seen_directly = _direct_id_missing_choice(store, missing_id)
    if seen_directly != seen_through_sdk:
        print(
            f"V-ID-MISSING: the SDK flow showed {seen_through_sdk!r} but a direct "
            f"find_token_by_id call showed {seen_directly!r}, so neither is recorded"
        )
    else:
        # Under --store-strict a non-preferred choice fails V-ID-MISSING, not SDK5.
        record_variation("V-ID-MISSING", seen_directly)


def _direct_id_missing_choice(store: Any, missing_id: str) -> str:
    try:
        found = store.find_token_by_id(missing_id)
    except SDKException:
        return "raises"
    except Exception as error:  # any other exception is not one of the two choices
        return f"raises {type(error).__name__}"
    return "none" if found is None else "returns a token"


# SDK6

THREADS_PER_USER = 2
ROUNDS = 3


@dataclass
class SwitchRound:
    """What one thread saw after one ``switch_user`` and ``get_token``."""

    access_token: str
    token_id: Optional[str]
    misplaced: List[str]


def misplaced_records(
    store: Any, seeded_by_id: Dict[str, Dict[str, Any]], server: Any
) -> List[str]:
    """Describe each stored record that contains another user's tokens (``[]`` if none).

    A record belongs to the user it was seeded for: its id, user name and
    refresh token stay together, and its access token was issued to that user.
    """
    problems = []
    for record in stored_records(store):
        seeded = seeded_by_id.get(record["id"])
        if seeded is None:
            problems.append(f"record {record['id']!r} was not seeded")
            continue

        owner = server.user_for_access_token(record["access_token"])
        owner_name = None if owner is None else owner.user_name
        if record["user_name"] != seeded["user_name"]:
            problems.append(f"record {record['id']!r} names user {record['user_name']!r}")
        if record["refresh_token"] != seeded["refresh_token"]:
            problems.append(f"record {record['id']!r} contains another refresh token")
        if owner_name != seeded["user_name"]:
            problems.append(f"record {record['id']!r} contains an access token of {owner_name!r}")
    return problems


@pytest.mark.rule("SDK6")
def test_switched_users_refresh_own_records(sdk_app, zoho_server, store):
    users = [zoho_server.add_user("alice@example.com"), zoho_server.add_user("bob@example.com")]
    seeded = [sdk_app.seed(user, expired=True) for user in users]
    seeded_by_id = {record["id"]: record for record in seeded}

    # Tokens that expire in 1 s are inside the SDK's 5 s refresh margin, so every
    # switch_user and every get_token refreshes and saves.
    zoho_server.expires_in = 1
    sdk_app.initialize(sdk_app.token_from_refresh_token(seeded[0]["refresh_token"]))

    def work(record: Dict[str, Any]) -> Callable[[], List[SwitchRound]]:
        def switch_and_get() -> List[SwitchRound]:
            rounds = []
            for _ in range(ROUNDS):
                sdk_app.switch_user(sdk_app.token_from_refresh_token(record["refresh_token"]))
                token = Initializer.get_initializer().token
                access_token = token.get_token()
                misplaced = misplaced_records(store, seeded_by_id, zoho_server)
                rounds.append(SwitchRound(access_token, token.get_id(), misplaced))
            return rounds

        return switch_and_get

    workers = [work(record) for record in seeded for _ in range(THREADS_PER_USER)]
    results = run_threads(workers, timeout=60.0)

    for worker_index, rounds in enumerate(results):
        expected = seeded[worker_index // THREADS_PER_USER]
        for seen in rounds:
            owner = zoho_server.user_for_access_token(seen.access_token)
            owner_name = None if owner is None else owner.user_name
            assert owner_name == expected["user_name"], (
                f"a thread switched to {expected['user_name']} got an access token of {owner_name}"
            )
            assert seen.token_id == expected["id"], (
                f"a refresh of {expected['user_name']} was saved into record {seen.token_id!r}, "
                f"not into its own record {expected['id']!r}"
            )
            assert seen.misplaced == [], (
                f"while threads refreshed, records contained another user's tokens: {seen.misplaced}"
            )

    records = stored_records(store)
    assert len(records) == len(users), f"{len(records)} records after the refreshes; expected 2"
    by_user = records_by_user(store)
    for record in seeded:
        assert record["user_name"] in by_user, f"the record of {record['user_name']} is gone"
        after = by_user[record["user_name"]]
        assert_refreshed(record, after, zoho_server, min_expiry=int(record["expiry_time"]))

    refreshes = zoho_server.token_requests(REFRESH)
    per_thread = ROUNDS * 2
    expected_counts = {
        seeded[0]["refresh_token"]: 1 + THREADS_PER_USER * per_thread,
        seeded[1]["refresh_token"]: THREADS_PER_USER * per_thread,
    }
    counts = {token: 0 for token in expected_counts}
    for request in refreshes:
        sent = request.form.get("refresh_token")
        assert sent in counts, "a refresh sent a refresh token that no seeded user has"
        counts[sent] += 1
    assert counts == expected_counts, "refresh requests per user differ from one per get_token"
    assert endpoints(zoho_server.requests) == [TOKEN] * len(refreshes), (
        "the threads sent requests other than refreshes"
    )


# SDK7


@pytest.mark.rule("SDK7")
def test_remove_after_login_deletes_record(sdk_app, zoho_server, store):
    alice_token = sdk_app.login(zoho_server.add_user("alice@example.com"))
    bob = zoho_server.add_user("bob@example.com")
    sdk_app.login(bob)
    bob_record = records_by_user(store).get(bob.user_name)
    assert bob_record is not None, "the login of a second user stored no record for it"

    removed = alice_token.remove()

    assert removed is True, "OAuthToken.remove() returned False: delete_token raised"
    assert stored_records(store) == [bob_record], (
        "remove() after a login must delete that user's record and keep the other: "
        "save_token must set the token's id on insert"
    )


@pytest.mark.rule("SDK7")
def test_remove_after_relogin_deletes_record(sdk_app, zoho_server, store):
    alice = zoho_server.add_user("alice@example.com")
    alice_record = sdk_app.seed(alice)
    bob_record = sdk_app.seed(zoho_server.add_user("bob@example.com"))

    # A new grant code for a user who is already stored: the SDK finds nothing
    # by the new code, exchanges it, and save_token updates the user's record.
    token = sdk_app.login(alice)
    records = records_by_user(store)
    assert len(stored_records(store)) == 2, "a second login of a stored user added a record"
    assert records[alice.user_name]["id"] == alice_record["id"], "the re-login changed the id"

    removed = token.remove()

    assert removed is True, "OAuthToken.remove() returned False: delete_token raised"
    assert stored_records(store) == [bob_record], (
        "remove() after a re-login must delete that user's record and keep the other: "
        "save_token must set the token's id on the update path too"
    )


# SDK8


@pytest.mark.rule("SDK8")
def test_revoke_sends_that_users_token(sdk_app, zoho_server, store):
    alice = sdk_app.seed(zoho_server.add_user("alice@example.com"))
    bob = sdk_app.seed(zoho_server.add_user("bob@example.com"))
    sdk_app.seed(zoho_server.add_user("carol@example.com"))
    stored = stored_records(store)
    token = OAuthToken(id=alice["id"])
    initialize_from_store(sdk_app, token, "the record of the id")

    revoked = token.revoke(bob["id"])

    assert zoho_server.revoked_tokens == [bob["refresh_token"]], (
        "revoke(id) must send exactly the refresh token of that id's record: "
        "find_token must find by id and fill the token it was given"
    )
    assert revoked is True
    assert stored_records(store) == stored, "revoke changed the store"


@pytest.mark.rule("SDK8")
def test_revoke_unknown_id_sends_nothing(sdk_app, zoho_server, store):
    alice = sdk_app.seed(zoho_server.add_user("alice@example.com"))
    sdk_app.seed(zoho_server.add_user("bob@example.com"))
    stored = stored_records(store)
    token = OAuthToken(id=alice["id"])
    initialize_from_store(sdk_app, token, "the record of the id")

    revoked = token.revoke(unknown_id())

    assert zoho_server.revoked_tokens == [], (
        "revoke of an unknown id revoked a stored user's refresh token: "
        "find_token matched a record that does not have that id"
    )
    assert revoked is False
    assert stored_records(store) == stored, "revoke changed the store"


# SDK9


@pytest.mark.rule("SDK9")
@pytest.mark.parametrize("failure", FAILURE_MODES)
def test_failed_exchange_leaves_store_unchanged(sdk_app, zoho_server, store, failure):
    sdk_app.seed(zoho_server.add_user("bob@example.com"))
    alice = zoho_server.add_user("alice@example.com")
    stored = stored_records(store)
    zoho_server.fail_token_requests(failure)

    with pytest.raises(SDKException):
        sdk_app.initialize(sdk_app.token_from_grant_code(zoho_server.issue_grant_code(alice)))

    assert endpoints(zoho_server.requests) == [TOKEN], "expected one exchange and nothing else"
    assert stored_records(store) == stored, f"a failed exchange ({failure}) changed the store"


@pytest.mark.rule("SDK9")
@pytest.mark.parametrize("failure", FAILURE_MODES)
def test_failed_refresh_leaves_store_unchanged(sdk_app, zoho_server, store, failure):
    alice = sdk_app.seed(zoho_server.add_user("alice@example.com"), expired=True)
    sdk_app.seed(zoho_server.add_user("bob@example.com"))
    stored = stored_records(store)
    zoho_server.fail_token_requests(failure)

    with pytest.raises(SDKException):
        sdk_app.initialize(sdk_app.token_from_refresh_token(alice["refresh_token"]))

    assert endpoints(zoho_server.requests) == [TOKEN], "expected one refresh and nothing else"
    assert zoho_server.requests[0].grant_type == REFRESH
    assert stored_records(store) == stored, f"a failed refresh ({failure}) changed the store"
