"""save_token(token): update or insert, ids, rejected tokens and how failures are raised."""

from __future__ import annotations

from pathlib import Path

import pytest
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException

from conformance.suite.helpers import (
    call,
    cause_of,
    project,
    record_with,
    records,
    save,
    save_user,
    sort_records,
    stored_id,
    user_fields,
)
from conformance.tokens import make_token

NEW_EXPIRY = "1999999999999"

# Fields that tell the records of different users apart. The S1 tests compare
# only these, because S2 and R1 have tests of their own for the other fields.
S1_FIELDS = ("user_name", "refresh_token", "access_token")


@pytest.mark.rule("S1")
def test_save_token_twice_keeps_one_record(store):
    """Scenario 16: saving one user's token twice, as a new object and again, keeps one record."""
    a = user_fields("a")
    first = save(store, **a)
    save(store, **a)
    store.save_token(first)

    stored = records(store)

    assert len(stored) == 1, f"expected 1 record, found {len(stored)}: {stored}"
    assert project(stored, *S1_FIELDS) == project([a], *S1_FIELDS)


@pytest.mark.rule("S1")
def test_save_token_keeps_users_separate(store):
    """Scenario 17: tokens of two users stay two records, each with its own fields."""
    a, b = user_fields("a"), user_fields("b")
    save(store, **a)
    save(store, **b)

    a_id = stored_id(store, "user_name", a["user_name"])
    b_id = stored_id(store, "user_name", b["user_name"])

    expected = [record_with(a, a_id), record_with(b, b_id)]
    assert project(records(store), "id", *S1_FIELDS) == project(expected, "id", *S1_FIELDS)


@pytest.mark.rule("S1")
@pytest.mark.parametrize(
    "kind", ["id", "user_name", "access_token", "grant_token", "refresh_token"]
)
def test_save_token_updates_record_matching_key(store, kind):
    """Scenario 18: a save keyed by each kind of key updates that record and inserts nothing."""
    a, b = user_fields("a"), user_fields("b")
    save(store, **a)
    save(store, **b)
    a_id = stored_id(store, "user_name", a["user_name"])
    b_id = stored_id(store, "user_name", b["user_name"])

    if kind == "id":
        update = {"id": a_id}
    elif kind in ("grant_token", "refresh_token"):
        update = {"client_id": a["client_id"], "client_secret": a["client_secret"], kind: a[kind]}
    else:
        update = {kind: a[kind]}
    save(store, expiry_time=NEW_EXPIRY, **update)

    # The id and the changed expiry show which record was updated; S2 checks the rest.
    expected = [record_with(dict(a, expiry_time=NEW_EXPIRY), a_id), record_with(b, b_id)]
    assert project(records(store), "id", "expiry_time") == project(expected, "id", "expiry_time")


@pytest.mark.rule("S1")
def test_save_token_twelve_users_stay_separate(store):
    """Scenario 19: twelve users' tokens stay twelve records, each with its own fields."""
    users = [user_fields(f"user{number}") for number in range(12)]
    for fields in users:
        save(store, **fields)

    stored = records(store)
    by_user = {record["user_name"]: record for record in stored}

    assert len(stored) == 12, f"expected 12 records, found {len(stored)}"
    for fields in users:
        record = by_user.get(fields["user_name"])
        assert record is not None, f"record of {fields['user_name']} is missing"
        assert project([record], *S1_FIELDS) == project([fields], *S1_FIELDS)


@pytest.mark.rule("S1")
def test_save_token_sixty_users_stay_separate(store):
    """Scenario 73: sixty users' tokens stay sixty records; catches a store that stops at 20."""
    users = [user_fields(f"many{number}") for number in range(60)]
    for fields in users:
        save(store, **fields)

    stored = records(store)
    stored_users = sorted(record["user_name"] for record in stored)

    assert len(stored) == 60, f"expected 60 records, found {len(stored)}"
    assert stored_users == sorted(fields["user_name"] for fields in users)


@pytest.mark.rule("S1")
@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"client_id": "1000.CLIENTA"},
        {"client_secret": "client-secret-a"},
    ],
    ids=["no_credentials", "client_id_only", "client_secret_only"],
)
def test_save_token_keyless_token_inserts_record(store, extra):
    """Scenario 20: a token without a key is inserted, even when its refresh token is stored."""
    a = user_fields("a", user_name=None, client_id="1000.CLIENTA")
    save(store, **a)
    a_id = stored_id(store, "refresh_token", a["refresh_token"])
    keyless = dict(extra, refresh_token=a["refresh_token"], expiry_time=NEW_EXPIRY)

    save(store, **keyless)

    stored = records(store)
    assert len(stored) == 2, (
        f"expected a new record for a token without a key, found {len(stored)} record(s); "
        "a refresh token is a key only together with client id and client secret"
    )
    original = [record for record in stored if record["id"] == a_id]
    assert original, f"the record {a_id!r} is gone"
    assert original[0]["expiry_time"] == a["expiry_time"], "the keyless save updated the record"


@pytest.mark.rule("S1")
def test_save_token_unstored_id_updates_matching_record(store):
    """Scenario 21: a token that brings an unstored id updates the record its user name matches."""
    a = user_fields("a")
    save(store, **a)

    save(store, id="unstored-id-5", user_name=a["user_name"], access_token="1000.new.access")

    stored = records(store)
    assert len(stored) == 1, (
        f"expected the save to update user a's record, found {len(stored)} records; "
        "an id that no record has is not a key, so the user name decides"
    )
    assert stored[0]["access_token"] == "1000.new.access", "the save did not update the record"


@pytest.mark.rule("S2")
def test_save_token_update_overwrites_present_fields(store):
    """Scenario 22: an update overwrites the token's present fields, keeps the rest and the id."""
    a = user_fields("a")
    save(store, **a)
    a_id = stored_id(store, "user_name", a["user_name"])

    save(store, user_name=a["user_name"], access_token="1000.new.access", expiry_time=NEW_EXPIRY)

    expected = dict(a, access_token="1000.new.access", expiry_time=NEW_EXPIRY)
    assert records(store) == [record_with(expected, a_id)]


@pytest.mark.rule("S2")
def test_save_token_refresh_of_found_token_updates_record(store):
    """Scenario 23: the SDK's refresh saves the token from find_token_by_id into the same record."""
    a, b = user_fields("a"), user_fields("b")
    save(store, **a)
    save(store, **b)
    a_id = stored_id(store, "user_name", a["user_name"])
    b_id = stored_id(store, "user_name", b["user_name"])

    token = store.find_token_by_id(a_id)
    assert token is not None, f"find_token_by_id({a_id!r}) found nothing for a stored id"
    token.set_access_token("1000.refreshed.access")
    token.set_expires_in(NEW_EXPIRY)
    store.save_token(token)

    refreshed = dict(a, access_token="1000.refreshed.access", expiry_time=NEW_EXPIRY)
    assert records(store) == sort_records([record_with(refreshed, a_id), record_with(b, b_id)])


@pytest.mark.rule("S3")
def test_save_token_insert_sets_token_id(store):
    """Scenario 24: after an insert the token passed in carries the new record's id."""
    token = save_user(store, "a")

    a_id = stored_id(store, "user_name", user_fields("a")["user_name"])

    assert token.get_id() == a_id, "the inserted token does not carry its record's id"


@pytest.mark.rule("S3")
@pytest.mark.parametrize("kind", ["user_name", "refresh_token", "access_token"])
def test_save_token_update_sets_token_id(store, kind):
    """Scenario 25: after an update, the token passed in without an id carries the record's id."""
    a = user_fields("a")
    save(store, **a)
    a_id = stored_id(store, "user_name", a["user_name"])
    if kind == "refresh_token":
        update = {"client_id": a["client_id"], "client_secret": a["client_secret"], kind: a[kind]}
    else:
        update = {kind: a[kind]}

    token = save(store, expiry_time=NEW_EXPIRY, **update)

    assert token.get_id() == a_id, (
        f"after an update by {kind}, the token's id is {token.get_id()!r}, not the record's; "
        "OAuthToken.remove() deletes by that id"
    )


@pytest.mark.rule("S4")
def test_save_token_new_ids_are_unique_strings(store):
    """Scenario 26: twelve inserted ids are non-empty str and unique, past the tenth record."""
    tokens = [save_user(store, f"user{number}") for number in range(12)]

    token_ids = [token.get_id() for token in tokens]
    stored_ids = [record["id"] for record in records(store)]

    for token_id in token_ids:
        assert isinstance(token_id, str), f"id {token_id!r} is a {type(token_id).__name__}, not str"
        assert token_id != "", "an inserted token got an empty id"
    assert len(set(token_ids)) == 12, f"inserted ids repeat: {sorted(token_ids)}"
    assert sorted(stored_ids) == sorted(token_ids)


@pytest.mark.rule("S4")
def test_save_token_keeps_id_token_brings(store):
    """Scenario 27: a token that brings its own id is stored under that id and keeps it."""
    token = save_user(store, "a", id="own-id-7")

    assert token.get_id() == "own-id-7", "the token lost the id it brought"
    assert [record["id"] for record in records(store)] == ["own-id-7"]


@pytest.mark.rule("S4")
def test_save_token_generated_ids_avoid_brought_ids(store):
    """Scenario 28: ids the store generates never collide with ids that tokens brought."""
    for brought in ("1", "2", "3", "10"):
        save_user(store, f"brought{brought}", id=brought)
    generated = [save_user(store, f"generated{number}").get_id() for number in range(3)]

    stored_ids = [record["id"] for record in records(store)]

    assert len(stored_ids) == 7, f"expected 7 records, found {len(stored_ids)}"
    assert len(set(stored_ids)) == 7, f"stored ids repeat: {sorted(stored_ids)}"
    for token_id in generated:
        assert token_id not in ("1", "2", "3", "10"), f"generated id {token_id!r} was brought"


@pytest.mark.rule("S4-NOREUSE")
def test_save_token_never_reuses_deleted_id(store):
    """Scenario 29: an id whose record was deleted is never given to a later record."""
    seen = []
    for number in range(3):
        token = save_user(store, f"user{number}")
        seen.append(token.get_id())
        store.delete_token(token.get_id())
    for number in range(3, 6):
        seen.append(save_user(store, f"user{number}").get_id())
    # A delete_tokens that fails is X1's failure, not this rule's: then only the ids
    # of the delete_token rounds are checked.
    _, error = call(store.delete_tokens)
    if error is None:
        seen.append(save_user(store, "user6").get_id())

    assert len(set(seen)) == len(seen), f"ids were reused after deletion: {seen}"


@pytest.mark.rule("S5")
@pytest.mark.parametrize(
    "fields",
    [
        {"id": "s5-unstored-id"},
        {"user_name": "z@example.com"},
        {
            "id": "s5-unstored-id",
            "user_name": "z@example.com",
            "client_id": "1000.CLIENTZ",
            "client_secret": "client-secret-z",
            "redirect_url": "https://z.example/oauth/callback",
            "api_domain": "https://www.zohoapis.eu",
        },
    ],
    ids=["id_only", "user_name_only", "id_user_and_client"],
)
def test_save_token_without_oauth_tokens_rejected(store, fields):
    """Scenario 30: inserting an id or user name without OAuth token raises and changes nothing."""
    save_user(store, "a")
    before = records(store)

    with pytest.raises(SDKException):
        store.save_token(make_token(**fields))

    assert records(store) == before


@pytest.mark.rule("S6")
@pytest.mark.parametrize(
    "argument",
    [object(), "a@example.com", {"user_name": "a@example.com"}, None],
    ids=["object", "str", "dict", "none"],
)
def test_save_token_ignores_non_oauth_argument(store, argument):
    """Scenario 31: an argument that is not an OAuthToken changes nothing and raises nothing."""
    save_user(store, "a")
    before = records(store)

    store.save_token(argument)

    assert records(store) == before


@pytest.mark.rule("S7")
def test_save_token_unstorable_value_raises_sdk_exception(store):
    """Scenario 32: a field value the store cannot keep raises SDKException, if anything."""
    token = make_token(**user_fields("a"))
    token.set_expires_in(object())

    _, error = call(store.save_token, token)

    if error is None:
        pytest.skip("not applicable: the store kept a non-str value, so there was no failure")
    assert isinstance(error, SDKException), (
        f"save_token raised {type(error).__name__}: {error}; wrap store failures in SDKException"
    )


@pytest.mark.rule("S7")
@pytest.mark.requires_feature("persistent")
def test_store_failure_on_corrupted_files_has_cause(stores):
    """Scenario 33: with its files overwritten, a failing call raises SDKException with a cause."""
    store = stores.open_new()
    save_user(store, "a")
    save_user(store, "b")
    files = [path for path in Path(stores.location).rglob("*") if path.is_file()]
    if not files:
        pytest.skip("not applicable: the store created no file in its location")
    for path in files:
        _overwrite_with_junk(path)

    calls = {
        "get_tokens()": lambda: store.get_tokens(),
        "find_token(user a)": lambda: store.find_token(make_token(user_name="a@example.com")),
        "save_token(user c)": lambda: store.save_token(make_token(**user_fields("c"))),
        "find_token_by_id('x')": lambda: store.find_token_by_id("x"),
        "delete_token('x')": lambda: store.delete_token("x"),
        "delete_tokens()": lambda: store.delete_tokens(),
    }
    errors = {}
    for description, function in calls.items():
        _, error = call(function)
        if error is not None:
            errors[description] = error

    if not errors:
        pytest.skip("not applicable: no call failed after the store's files were corrupted")
    for description, error in errors.items():
        assert isinstance(error, SDKException), (
            f"{description} raised {type(error).__name__}: {error}; "
            "raise SDKException with the original error as its cause"
        )
        assert cause_of(error) is not None, (
            f"{description} raised SDKException without the original error; "
            "pass it as SDKException(cause=error) or raise ... from error"
        )


def _overwrite_with_junk(path: Path) -> None:
    # Keep the inode, so that a store that keeps the file open reads the junk too.
    size = max(path.stat().st_size, 512)
    junk = (b"not a token store \x00\xff" * (size // 20 + 1))[:size]
    with open(path, "r+b") as handle:
        handle.write(junk)
        handle.truncate()
