"""Model-based testing of a TokenStore: random call sequences checked against the rules.

The tests in the other suite modules each check one rule with a fixed setup.
Model-based testing checks the rules together, over generated sequences of
calls that no test spells out. Hypothesis's ``RuleBasedStateMachine`` picks a
random sequence of steps (save a token, find it by some key, refresh it,
delete it, reopen the store, ...). Each step calls your store and checks the
result against ``conformance.model.TokenStoreModel``, a plain Python object
that keeps the records a correct store would contain and lists the outcomes
the rules allow. After each step the machine also compares all records of the
two. When your store does something the rules do not allow, Hypothesis
shrinks the sequence toward the shortest one that still fails and prints it,
one ``note()`` line per step, ready to replay by hand.

The rules often allow more than one outcome: two records may match the same
user name, your store picks its own ids, and a variation point lets it choose
between two behaviours. The machine accepts any allowed outcome, and the model
then adopts the one your store chose (its generated id, the record it
updated, its variation choice) and expects that choice from then on.

The steps include the calls that the SDK itself makes. A first login finds
nothing, then saves the generated token with a freshly filled user signature.
A refresh saves a token that came out of ``find_token_by_id`` or
``find_token``. ``revoke`` calls ``find_token`` with an id-only probe, and
``remove`` calls ``delete_token``. Field values come from a small shared pool
(``conformance.values.SHARED_VALUES``, expiry times from ``EXPIRY_VALUES``),
so values repeat across records and fields, which is where lookup defects show.

Use ``tokenstore_machine(open_store)`` to build the machine class for a store
and run it with ``hypothesis.stateful.run_state_machine_as_test``. The number
of examples and steps comes from the active Hypothesis profile.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Type

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from conformance.model import (
    RETURNS_NONE,
    RETURNS_TOKEN,
    Observation,
    Outcome,
    TokenStoreModel,
    observe,
    token_from,
)
from conformance.tokens import FIELDS, describe_token, record_of
from conformance.values import EXPIRY_VALUES, SHARED_VALUES, probes, sdk_tokens, shared_values

# The kinds of key a probe can carry, in lookup order.
KEY_KINDS = ("id", "user_name", "access_token", "grant_token", "refresh_token")


def probe_with_key(kind: str, value: str, client_id: str, client_secret: str) -> Dict[str, str]:
    """Return the fields of a probe whose key is ``(kind, value)`` when ``value`` is stored.

    Grant and refresh probes carry the client credentials, because without
    them a grant or refresh token is not a key.
    """
    if kind in ("grant_token", "refresh_token"):
        return {"client_id": client_id, "client_secret": client_secret, kind: value}
    if kind in KEY_KINDS:
        return {kind: value}
    raise ValueError(f"unknown key kind {kind!r}; expected one of {KEY_KINDS}")


def _tokens_without_oauth_tokens() -> st.SearchStrategy[Dict[str, Any]]:
    optional = st.one_of(st.none(), shared_values())
    fields = st.fixed_dictionaries(
        {"id": optional, "user_name": optional, "client_id": optional, "client_secret": optional}
    )
    return fields.filter(lambda f: f["id"] is not None or f["user_name"] is not None)


def _changes() -> st.SearchStrategy[Dict[str, Any]]:
    optional = st.one_of(st.none(), shared_values())
    return st.fixed_dictionaries(
        {
            "access_token": optional,
            "refresh_token": optional,
            "expiry_time": st.one_of(st.none(), st.sampled_from(EXPIRY_VALUES)),
            "api_domain": optional,
        }
    )


def tokenstore_machine(
    open_store: Callable[[], TokenStore],
    reopen_store: Optional[Callable[[], TokenStore]] = None,
) -> Type[RuleBasedStateMachine]:
    """Build a state machine class that checks the stores ``open_store`` returns.

    ``open_store()`` must return a new, empty store for each example.
    ``reopen_store()``, given for a persistent store, returns a new instance
    on the location of the store opened last. The machine then also checks
    that a reopened store contains the same records (P1).
    """

    class TokenStoreMachine(RuleBasedStateMachine):
        """Random sequences of the six store operations, checked against the model (M1)."""

        def __init__(self) -> None:
            super().__init__()
            self.store = open_store()
            self.model = TokenStoreModel()
            note("store = <a new, empty store>")

        # Saves

        @rule(fields=sdk_tokens())
        def save_new_token(self, fields: Dict[str, Any]) -> None:
            token = token_from(fields)
            self._save(token)

        @precondition(lambda self: self._unstored_pool_ids())
        @rule(fields=sdk_tokens(), data=st.data())
        def save_token_with_unstored_id(self, fields: Dict[str, Any], data: st.DataObject) -> None:
            # V-REKEY: the token brings an id that no record has.
            new_id = data.draw(st.sampled_from(self._unstored_pool_ids()), label="unstored id")
            token = token_from(dict(fields, id=new_id))
            self._save(token)

        @rule(fields=_tokens_without_oauth_tokens())
        def save_token_without_oauth_tokens(self, fields: Dict[str, Any]) -> None:
            # S5: an insert of this token raises SDKException, but an update of a match does not.
            self._save(token_from(fields))

        @rule(fields=sdk_tokens(), access_token=shared_values(), refresh_token=shared_values())
        def log_in_like_the_sdk(
            self, fields: Dict[str, Any], access_token: str, refresh_token: str
        ) -> None:
            # OAuthToken.get_token without an id calls find_token. On None it generates a token
            # and saves it with the user signature filled in. Otherwise it refreshes and saves.
            login = {
                name: fields.get(name)
                for name in FIELDS
                if name not in ("access_token", "expiry_time")
            }
            token = token_from(login)
            observation = self._find(token)

            token.set_access_token(access_token)
            token.set_expires_in(EXPIRY_VALUES[0])
            if observation.returns == RETURNS_NONE and token.get_refresh_token() is None:
                token.set_refresh_token(refresh_token)
            note(f"# the SDK sets access_token={access_token!r} and expiry_time, then saves")
            self._save(token)

        @precondition(lambda self: self.model.records)
        @rule(data=st.data(), kind=st.sampled_from(KEY_KINDS), changes=_changes())
        def update_by_each_kind_of_key(
            self, data: st.DataObject, kind: str, changes: Dict[str, Any]
        ) -> None:
            # A save whose key is a stored record's value, so the update path runs (S1, S2).
            record_id = data.draw(st.sampled_from(list(self.model.records)), label="record id")
            record = self.model.records[record_id]
            if record.get(kind) is None:
                kind = "id"
            client_id = record["client_id"] or "1"
            client_secret = record["client_secret"] or "1"
            fields = probe_with_key(kind, record[kind], client_id, client_secret)
            self._save(token_from(dict(changes, **fields)))

        @precondition(lambda self: self.model.records)
        @rule(data=st.data(), expiry_time=st.sampled_from(EXPIRY_VALUES))
        def refresh_token_found_by_id(self, data: st.DataObject, expiry_time: str) -> None:
            # OAuthToken.get_token with an id: find_token_by_id, refresh, save that token.
            record_id = data.draw(st.sampled_from(list(self.model.records)), label="record id")
            access_token = data.draw(self._values_of("access_token"), label="access_token")
            token = self._find_by_id(record_id)
            if not isinstance(token, OAuthToken):
                return

            note(f"t.set_access_token({access_token!r}); t.set_expires_in({expiry_time!r})")
            token.set_access_token(access_token)
            token.set_expires_in(expiry_time)
            self._save(token)

        @precondition(lambda self: self.model.records)
        @rule(data=st.data())
        def save_with_user_signature_filled_in(self, data: st.DataObject) -> None:
            # A stored user name here gives two records one user name: an ambiguous key.
            record_id = data.draw(st.sampled_from(list(self.model.records)), label="record id")
            user_name = data.draw(self._values_of("user_name"), label="user_name")
            token = self._find_by_id(record_id)
            if not isinstance(token, OAuthToken):
                return

            note(f"t.set_user_signature(UserSignature({user_name!r}))")
            token.set_user_signature(UserSignature(user_name))
            self._save(token)

        # Lookups

        @rule(
            data=st.data(),
            kind=st.sampled_from(KEY_KINDS),
            client_id=shared_values(),
            client_secret=shared_values(),
        )
        def find_by_each_kind_of_key(
            self, data: st.DataObject, kind: str, client_id: str, client_secret: str
        ) -> None:
            # kind "id" is an id-only probe, as OAuthToken.revoke builds it.
            value = data.draw(self._values_of(kind), label=kind)
            fields = probe_with_key(kind, value, client_id, client_secret)
            self._find(token_from(fields))

        @rule(fields=probes())
        def find_with_partial_probe(self, fields: Dict[str, Any]) -> None:
            self._find(token_from(fields))

        @rule(data=st.data())
        def find_token_by_id(self, data: st.DataObject) -> None:
            self._find_by_id(data.draw(self._values_of("id"), label="id"))

        # Deletes

        @rule(data=st.data())
        def delete_token(self, data: st.DataObject) -> None:
            record_id = data.draw(self._values_of("id"), label="id")
            observation = observe(self.store, "delete_token", record_id)
            outcome = self._check("delete_token", record_id, observation)
            note(f"store.delete_token({record_id!r})  # {outcome.description}")

        @precondition(lambda self: len(self.model.records) >= 3)
        @rule()
        def delete_tokens(self) -> None:
            observation = observe(self.store, "delete_tokens")
            outcome = self._check("delete_tokens", None, observation)
            note(f"store.delete_tokens()  # {outcome.description}")

        # Persistence

        @precondition(lambda self: reopen_store is not None)
        @rule()
        def reopen(self) -> None:
            assert reopen_store is not None
            self.store = reopen_store()
            note("store = <a new instance on the same location>")

        @invariant()
        def records_agree_with_model(self) -> None:
            observation = observe(self.store, "get_tokens")
            self._check("get_tokens", None, observation)

        # Helpers

        def _save(self, token: OAuthToken) -> Outcome:
            before = record_of(token)
            observation = observe(self.store, "save_token", token)
            outcome = self._check("save_token", before, observation)
            note(
                f"store.save_token({describe_token(before)})  # {outcome.description}; "
                f"the token's id is now {token.get_id()!r}"
            )
            return outcome

        def _find(self, token: OAuthToken) -> Observation:
            before = record_of(token)
            observation = observe(self.store, "find_token", token, read_records=False)
            outcome = self._check("find_token", before, observation)
            note(f"store.find_token({describe_token(before)})  # {outcome.description}")
            return observation

        def _find_by_id(self, record_id: str) -> Any:
            # observe() keeps only the returned token's fields. The refresh steps need the
            # object itself, to change it and save it, so this step calls the store directly.
            observation = Observation(returns=RETURNS_NONE)
            token = None
            try:
                token = self.store.find_token_by_id(record_id)
            except Exception as error:  # noqa: BLE001 (the model decides which errors are allowed)
                observation.error = error
            else:
                observation = _observation_of_returned_token(token)

            outcome = self._check("find_token_by_id", record_id, observation)
            note(f"t = store.find_token_by_id({record_id!r})  # {outcome.description}")
            return token

        def _check(self, operation: str, argument: Any, observation: Observation) -> Outcome:
            try:
                return self.model.check(operation, argument, observation)
            except AssertionError:
                if isinstance(argument, Mapping):
                    rendered_argument = describe_token(argument)
                else:
                    rendered_argument = "" if argument is None else repr(argument)
                note(f"store.{operation}({rendered_argument})  # disagrees with the model")
                raise

        def _values_of(self, name: str) -> st.SearchStrategy[str]:
            # Insertion order, not sorted: generated ids differ between runs, and a draw must
            # pick the same record when Hypothesis replays a sequence.
            values = (record[name] for record in self.model.records.values())
            stored = list(dict.fromkeys(value for value in values if value is not None))
            if not stored:
                return shared_values()
            # Three to one for stored values: lookups and updates that hit a record.
            stored_values = st.sampled_from(stored)
            return st.one_of(stored_values, stored_values, stored_values, shared_values())

        def _unstored_pool_ids(self) -> List[str]:
            return [value for value in SHARED_VALUES if value not in self.model.records]

    return TokenStoreMachine


def _observation_of_returned_token(token: Any) -> Observation:
    if token is None:
        return Observation(returns=RETURNS_NONE)
    if isinstance(token, OAuthToken):
        return Observation(returns=RETURNS_TOKEN, returned_record=record_of(token))
    return Observation(returns=f"a {type(token).__name__}")
