"""An executable model of the TokenStore rules.

``TokenStoreModel`` keeps the records that a correct store would keep (id ->
ten fields, absent values as ``None``) and, for each of the six store
operations, lists every outcome that the rules allow. The rules often allow
more than one: several records may match a key, a variation point offers two
behaviours, and the store picks the id of an inserted record. So the caller
observes what the store did, and the model checks that it is one of the
allowed outcomes and adopts it::

    model = TokenStoreModel()
    token = make_token(user_name="a", client_id="c", client_secret="s", refresh_token="r")
    observation = observe(store, "save_token", token)
    model.check("save_token", token, observation)  # raises ModelMismatch if not allowed
    model.records  # {'<the id the store chose>': {'id': ..., 'user_name': 'a', ...}}

The model checks a store against the MUST rules and the variation points. It does
not enforce SHOULD rules (F3, F4, S4-NOREUSE, S6, S7, G2, ...), which have
tests of their own, so that a SHOULD deviation never fails a MUST check. Once
a store has shown a variation choice, the model expects that choice from then on.

The model depends on the SDK's token classes but not on Hypothesis, so any
test can use it on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Container, Dict, List, Mapping, NamedTuple, Optional, Tuple

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException

from conformance.tokens import FIELDS, describe_token, make_token, normalize, record_of

Record = Dict[str, Any]
Key = Tuple[str, str]
Choice = Tuple[str, str]

# Inserting a token that has an id or a user name but none of these raises SDKException (S5).
OAUTH_TOKEN_FIELDS = ("refresh_token", "grant_token", "access_token")

OPERATIONS = (
    "find_token",
    "save_token",
    "delete_token",
    "get_tokens",
    "delete_tokens",
    "find_token_by_id",
)

# Return values of an operation, as an outcome expects them and an observation records them.
RETURNS_NONE = "None"
RETURNS_ARGUMENT = "the token passed in"
RETURNS_TOKEN = "a new OAuthToken"
RETURNS_LIST = "a list of OAuthToken"
RETURNS_ANYTHING = "anything"


class _GeneratedId:
    """Placeholder for the id that a store generates on insert (S4)."""

    def __repr__(self) -> str:
        return "<new id>"


GENERATED_ID: Any = _GeneratedId()


class ModelMismatch(AssertionError):
    """Raised when the outcome of a store call is not one that the rules allow."""


class Match(NamedTuple):
    """One record that a find or save may pick, or ``None`` for "no record matches"."""

    record_id: Optional[str]
    choices: Tuple[Choice, ...] = ()
    reason: str = ""


def normalize_record(fields: Mapping[str, Any]) -> Record:
    """Return the ten record fields of ``fields``, with absent and missing values as ``None``."""
    return {name: normalize(fields.get(name)) for name in FIELDS}


def key_of(fields: Mapping[str, Any], stored_ids: Container[Any]) -> Optional[Key]:
    """Return the lookup key of a token's fields, or ``None`` when it has no key.

    The key is the first of these that applies, where absent means ``None`` or ``""``:

    1. the id, when a record with that id is stored;
    2. the user name;
    3. the access token, when client id and client secret are both absent;
    4. with client id and client secret both present, the grant token, else
       the refresh token.
    """
    fields = normalize_record(fields)

    if fields["id"] is not None and fields["id"] in stored_ids:
        return ("id", fields["id"])
    if fields["user_name"] is not None:
        return ("user_name", fields["user_name"])

    has_client_id = fields["client_id"] is not None
    has_client_secret = fields["client_secret"] is not None
    if fields["access_token"] is not None and not has_client_id and not has_client_secret:
        return ("access_token", fields["access_token"])

    if has_client_id and has_client_secret:
        if fields["grant_token"] is not None:
            return ("grant_token", fields["grant_token"])
        if fields["refresh_token"] is not None:
            return ("refresh_token", fields["refresh_token"])
    return None


def fill(probe: Mapping[str, Any], record: Mapping[str, Any]) -> Record:
    """Return the probe's fields after ``find_token`` filled it from ``record`` (F2).

    Fields present in the probe are kept, the id included; absent ones come
    from the record.
    """
    probe = normalize_record(probe)
    return {name: record[name] if probe[name] is None else probe[name] for name in FIELDS}


def merge(record: Mapping[str, Any], token: Mapping[str, Any]) -> Record:
    """Return ``record`` after a save updated it with ``token`` (S2).

    Fields present in the token overwrite the record's, absent ones keep the
    stored value, and the record keeps its id.
    """
    token = normalize_record(token)
    merged = {name: record[name] if token[name] is None else token[name] for name in FIELDS}
    merged["id"] = record["id"]
    return merged


@dataclass(frozen=True)
class Outcome:
    """One outcome of a store call that the rules allow.

    ``records`` are the store's records after the call. ``argument_after``
    lists the fields that the token passed in must have after the call, and
    fields it leaves out are not checked. Both may contain ``GENERATED_ID``,
    which stands for the id that the store gave an inserted token.
    ``choices`` are the variation choices that this outcome shows.
    """

    description: str
    records: Mapping[Any, Record]
    returns: str = RETURNS_ANYTHING
    returned_record: Optional[Record] = None
    raises: bool = False
    argument_after: Optional[Mapping[str, Any]] = None
    choices: Tuple[Choice, ...] = ()


@dataclass
class Observation:
    """The result of one store call: return value, exception, argument and records afterwards.

    ``argument_before`` and ``argument_after`` are the fields of the token
    passed in, for ``find_token`` and ``save_token``. ``records`` is ``None``
    when the caller did not read the records after the call; the model then
    checks the rest only.
    """

    returns: str
    returned_record: Optional[Record] = None
    error: Optional[BaseException] = None
    argument_before: Optional[Record] = None
    argument_after: Optional[Record] = None
    records: Optional[List[Record]] = None

    def describe(self) -> str:
        """Render the observation in one or more lines for a failure message."""
        if self.error is not None:
            lines = [f"raised {type(self.error).__name__}: {self.error}"]
        else:
            lines = [f"returned {self.returns}"]
        if self.returned_record is not None:
            lines.append(f"returned fields {describe_token(self.returned_record)}")
        if self.argument_after is not None:
            lines.append(f"token passed in, afterwards {describe_token(self.argument_after)}")
        if self.records is not None:
            lines.append(f"records afterwards {_describe_records(self.records)}")
        return "; ".join(lines)


@dataclass
class TokenStoreModel:
    """The records a correct store keeps and the outcomes each operation may have.

    ``records`` maps each stored id to its ten fields, absent values as
    ``None``. ``choices`` maps a variation point id (``V-GRANT``, ``V-REKEY``,
    ``V-DELETE-MISSING``, ``V-ID-MISSING``) to the choice the store has shown.
    """

    records: Dict[str, Record] = field(default_factory=dict)
    choices: Dict[str, str] = field(default_factory=dict)

    def key_of(self, fields: Mapping[str, Any]) -> Optional[Key]:
        """Return the lookup key of ``fields`` against the stored ids (see ``key_of``)."""
        return key_of(fields, self.records)

    def matches(self, fields: Mapping[str, Any], operation: str = "save_token") -> List[Match]:
        """List every record that ``operation`` may pick for ``fields``.

        A ``Match`` with ``record_id=None`` means "no record matches", so find
        returns ``None`` and save inserts. Matching uses the lookup key and
        exact, case-sensitive equality (F1, S1). When several records have the
        key's value, each of them is a match. V-GRANT adds the fall back from
        an unknown grant token to the refresh token. For ``find_token`` and a
        probe with no key, a record that equals the probe on an identifying
        field is also a match, because only the SHOULD rule F4 forbids it.
        """
        fields = normalize_record(fields)
        key = self.key_of(fields)

        if key is None:
            matches = [Match(None, reason="the token has no key")]
            if operation == "find_token":
                matches += self._identifying_matches(fields)
            return matches

        name, value = key
        holders = self._holders(name, value)
        if holders:
            return [Match(record_id, reason=f"{name} is {value!r}") for record_id in holders]
        if name != "grant_token" or fields["refresh_token"] is None:
            return [Match(None, reason=f"no record has {name} {value!r}")]
        return self._grant_fallback_matches(fields)

    def allowed_outcomes(self, operation: str, argument: Any = None) -> List[Outcome]:
        """List every outcome the rules allow for ``operation(argument)`` on the current records.

        ``argument`` is the token, or its fields as a mapping, before the call
        for ``find_token`` and ``save_token``; the id for ``delete_token`` and
        ``find_token_by_id``; unused otherwise. Raises ``ValueError`` for an
        unknown operation.
        """
        if isinstance(argument, OAuthToken):
            argument = record_of(argument)

        if operation == "find_token":
            outcomes = self._find_outcomes(argument)
        elif operation == "save_token":
            outcomes = self._save_outcomes(argument)
        elif operation == "delete_token":
            outcomes = self._delete_outcomes(argument)
        elif operation == "find_token_by_id":
            outcomes = self._find_by_id_outcomes(argument)
        elif operation == "get_tokens":
            outcomes = [Outcome("returns every record", self.records, returns=RETURNS_LIST)]
        elif operation == "delete_tokens":
            outcomes = [Outcome("removes every record (X1)", {})]
        else:
            raise ValueError(f"unknown operation {operation!r}; expected one of {OPERATIONS}")
        return [outcome for outcome in outcomes if self._consistent(outcome.choices)]

    def select(self, outcomes: List[Outcome], observation: Observation) -> Outcome:
        """Return the first outcome that ``observation`` agrees with.

        Raises ``ModelMismatch`` listing every allowed outcome and why the
        observation differs from it.
        """
        reasons = []
        for outcome in outcomes:
            difference = self._difference(outcome, observation)
            if difference is None:
                return outcome
            reasons.append(f"  - {outcome.description}: {difference}")

        raise ModelMismatch(
            "the store's outcome is none of those the rules allow.\n"
            f"Observed: {observation.describe()}\n"
            f"Allowed outcomes and how the observation differs:\n" + "\n".join(reasons)
        )

    def adopt(self, outcome: Outcome, observation: Observation) -> None:
        """Take the store's choice: the records after ``outcome`` with its generated id, and
        the variation choices it shows."""
        new_id = _observed_id(observation)
        self.records = {
            _resolve(record_id, new_id): _resolve_record(record, new_id)
            for record_id, record in outcome.records.items()
        }
        self.choices.update(dict(outcome.choices))

    def check(self, operation: str, argument: Any, observation: Observation) -> Outcome:
        """Check ``observation`` against the allowed outcomes, adopt it and return the outcome.

        For ``find_token`` and ``save_token``, ``argument`` is the token's fields
        before the call, or the token itself when ``observe`` made the call (it
        recorded those fields). Raises ``ModelMismatch`` when the observation
        is not allowed; the model is then unchanged.
        """
        if isinstance(argument, OAuthToken):
            if observation.argument_before is None:
                raise ValueError(
                    "the observation has no fields of the token before the call; "
                    "pass the fields read before the call, or make the call with observe()"
                )
            argument = observation.argument_before

        outcome = self.select(self.allowed_outcomes(operation, argument), observation)
        self.adopt(outcome, observation)
        return outcome

    # Outcomes per operation

    def _find_outcomes(self, probe: Mapping[str, Any]) -> List[Outcome]:
        outcomes = []
        for match in self.matches(probe, "find_token"):
            if match.record_id is None:
                description = f"returns None ({match.reason})"
                outcomes.append(
                    Outcome(description, self.records, RETURNS_NONE, choices=match.choices)
                )
                continue

            filled = fill(probe, self.records[match.record_id])
            description = f"fills the token from record {match.record_id!r} ({match.reason})"
            outcomes.append(
                Outcome(
                    description,
                    self.records,
                    RETURNS_ARGUMENT,
                    argument_after=filled,
                    choices=match.choices,
                )
            )
        return outcomes

    def _save_outcomes(self, token: Mapping[str, Any]) -> List[Outcome]:
        token = normalize_record(token)
        outcomes = []
        for match in self.matches(token, "save_token"):
            if match.record_id is None:
                outcomes.append(self._insert_outcome(token, match))
            else:
                outcomes.extend(self._update_outcomes(token, match))
        return outcomes

    def _insert_outcome(self, token: Record, match: Match) -> Outcome:
        has_oauth_token = any(token[name] is not None for name in OAUTH_TOKEN_FIELDS)
        if (token["id"] is not None or token["user_name"] is not None) and not has_oauth_token:
            return Outcome(
                f"raises SDKException: an insert ({match.reason}) of a token with an id or "
                "user name but no refresh, grant or access token (S5)",
                self.records,
                raises=True,
                choices=match.choices,
            )

        new_id = token["id"] if token["id"] is not None else GENERATED_ID
        records = dict(self.records)
        records[new_id] = dict(token, id=new_id)
        return Outcome(
            f"inserts a record with id {new_id!r} ({match.reason})",
            records,
            argument_after={"id": new_id},
            choices=match.choices,
        )

    def _update_outcomes(self, token: Record, match: Match) -> List[Outcome]:
        record_id = match.record_id
        merged = merge(self.records[record_id], token)
        description = f"updates record {record_id!r} ({match.reason})"

        if token["id"] is None or token["id"] == record_id:
            records = dict(self.records)
            records[record_id] = merged
            return [
                Outcome(
                    description, records, argument_after={"id": record_id}, choices=match.choices
                )
            ]

        # V-REKEY: the token brings an id that no record has, and its key
        # matches a record with another id.
        keep = dict(self.records)
        keep[record_id] = merged
        take = {rid: record for rid, record in self.records.items() if rid != record_id}
        take[token["id"]] = dict(merged, id=token["id"])
        return [
            Outcome(
                f"{description} and sets the token's id to {record_id!r} (V-REKEY keep-record-id)",
                keep,
                argument_after={"id": record_id},
                choices=match.choices + (("V-REKEY", "keep-record-id"),),
            ),
            Outcome(
                f"{description} and gives it the token's id {token['id']!r} "
                "(V-REKEY take-token-id)",
                take,
                argument_after={"id": token["id"]},
                choices=match.choices + (("V-REKEY", "take-token-id"),),
            ),
        ]

    def _delete_outcomes(self, record_id: Any) -> List[Outcome]:
        if record_id in self.records:
            records = {rid: record for rid, record in self.records.items() if rid != record_id}
            return [Outcome(f"removes record {record_id!r} and no other (D1)", records)]

        return [
            Outcome(
                "changes nothing for an unknown id (V-DELETE-MISSING no-op)",
                self.records,
                choices=(("V-DELETE-MISSING", "no-op"),),
            ),
            Outcome(
                "raises SDKException for an unknown id and changes nothing "
                "(V-DELETE-MISSING raises)",
                self.records,
                raises=True,
                choices=(("V-DELETE-MISSING", "raises"),),
            ),
        ]

    def _find_by_id_outcomes(self, record_id: Any) -> List[Outcome]:
        if record_id in self.records:
            return [
                Outcome(
                    f"returns a new OAuthToken with the fields of record {record_id!r} (I1)",
                    self.records,
                    RETURNS_TOKEN,
                    returned_record=self.records[record_id],
                )
            ]

        return [
            Outcome(
                "returns None for an unknown id (V-ID-MISSING none)",
                self.records,
                RETURNS_NONE,
                choices=(("V-ID-MISSING", "none"),),
            ),
            Outcome(
                "raises SDKException for an unknown id (V-ID-MISSING raises)",
                self.records,
                raises=True,
                choices=(("V-ID-MISSING", "raises"),),
            ),
        ]

    # Matching helpers

    def _holders(self, name: str, value: Any) -> List[str]:
        return [rid for rid, record in self.records.items() if record[name] == value]

    def _identifying_matches(self, probe: Record) -> List[Match]:
        matches = []
        for record_id, record in self.records.items():
            shared = [
                name
                for name in ("id", "user_name", "access_token", "grant_token", "refresh_token")
                if probe[name] is not None and probe[name] == record[name]
            ]
            if shared:
                reason = f"shares {shared[0]} with the keyless probe, which only F4 forbids"
                matches.append(Match(record_id, reason=reason))
        return matches

    def _grant_fallback_matches(self, fields: Record) -> List[Match]:
        grant, refresh = fields["grant_token"], fields["refresh_token"]
        refresh_holders = self._holders("refresh_token", refresh)
        if not refresh_holders:
            return [Match(None, reason=f"no record has grant_token {grant!r} or its refresh token")]

        fallback = (("V-GRANT", "refresh-fallback"),)
        matches = [
            Match(rid, fallback, f"unknown grant token, refresh_token is {refresh!r}")
            for rid in refresh_holders
        ]
        matches.append(
            Match(None, (("V-GRANT", "grant-only"),), f"no record has grant_token {grant!r}")
        )
        return matches

    def _consistent(self, choices: Tuple[Choice, ...]) -> bool:
        return all(self.choices.get(rule_id, choice) == choice for rule_id, choice in choices)

    def _difference(self, outcome: Outcome, observation: Observation) -> Optional[str]:
        """Describe how ``observation`` differs from ``outcome``; ``None`` when it agrees."""
        if outcome.raises:
            if not isinstance(observation.error, SDKException):
                return "expected an SDKException"
        elif observation.error is not None:
            return f"expected no exception, got {type(observation.error).__name__}"

        if outcome.returns != RETURNS_ANYTHING and outcome.returns != observation.returns:
            return f"expected it to return {outcome.returns}"
        if outcome.returned_record is not None:
            if observation.returned_record != outcome.returned_record:
                return f"expected returned fields {describe_token(outcome.returned_record)}"

        new_id = _observed_id(observation)
        if _uses_generated_id(outcome):
            problem = self._generated_id_problem(new_id)
            if problem is not None:
                return problem

        if outcome.argument_after is not None:
            after = observation.argument_after or {}
            for name, expected in outcome.argument_after.items():
                expected = _resolve(expected, new_id)
                if after.get(name) != expected:
                    return f"expected the token's {name} afterwards to be {expected!r}"

        if observation.records is not None:
            expected_records = [_resolve_record(r, new_id) for r in outcome.records.values()]
            return _records_difference(expected_records, observation.records)
        return None

    def _generated_id_problem(self, new_id: Any) -> Optional[str]:
        if not isinstance(new_id, str) or new_id == "":
            return f"expected the inserted token's id to be a non-empty str, got {new_id!r} (S4)"
        if new_id in self.records:
            return f"expected a new id, but {new_id!r} is already a stored record's id (S4)"
        return None


def observe(
    store: Any, operation: str, argument: Any = None, read_records: bool = True
) -> Observation:
    """Call ``operation`` on ``store`` with ``argument`` and record what happened.

    For ``find_token`` and ``save_token``, ``argument`` is an ``OAuthToken`` and
    its fields afterwards are recorded. An ``Exception`` raised by the store is
    recorded, not raised. With ``read_records`` the store's records are read
    with ``get_tokens()`` after the call. For ``get_tokens`` itself the
    records come from the list it returned, if that is a list of ``OAuthToken``.
    """
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}; expected one of {OPERATIONS}")

    method: Callable[..., Any] = getattr(store, operation)
    arguments = () if operation in ("get_tokens", "delete_tokens") else (argument,)

    observation = Observation(returns=RETURNS_ANYTHING)
    if isinstance(argument, OAuthToken):
        observation.argument_before = record_of(argument)

    result = None
    try:
        result = method(*arguments)
    except Exception as error:  # noqa: BLE001 (the model decides which errors are allowed)
        observation.error = error
    else:
        observation.returns, observation.returned_record = _classify(result, argument)

    if isinstance(argument, OAuthToken):
        observation.argument_after = record_of(argument)

    if operation == "get_tokens" and observation.returns == RETURNS_LIST:
        observation.records = [record_of(token) for token in result]
    elif read_records:
        observation.records = [record_of(token) for token in store.get_tokens()]
    return observation


def token_from(fields: Mapping[str, Any]) -> OAuthToken:
    """Build an ``OAuthToken`` from record fields, leaving out absent ones."""
    return make_token(**{name: value for name, value in normalize_record(fields).items()})


def _classify(result: Any, argument: Any) -> Tuple[str, Optional[Record]]:
    if result is None:
        return RETURNS_NONE, None
    if argument is not None and result is argument:
        return RETURNS_ARGUMENT, None
    if isinstance(result, OAuthToken):
        return RETURNS_TOKEN, record_of(result)
    if isinstance(result, list):
        strangers = [type(item).__name__ for item in result if not isinstance(item, OAuthToken)]
        if strangers:
            return f"a list that contains a {strangers[0]}", None
        return RETURNS_LIST, None
    return f"a {type(result).__name__}", None


def _observed_id(observation: Observation) -> Any:
    if observation.argument_after is None:
        return None
    return observation.argument_after.get("id")


def _uses_generated_id(outcome: Outcome) -> bool:
    if GENERATED_ID in outcome.records:
        return True
    return outcome.argument_after is not None and GENERATED_ID in outcome.argument_after.values()


def _resolve(value: Any, new_id: Any) -> Any:
    return new_id if value is GENERATED_ID else value


def _resolve_record(record: Mapping[str, Any], new_id: Any) -> Record:
    return {name: _resolve(value, new_id) for name, value in record.items()}


def _records_difference(expected: List[Record], observed: List[Record]) -> Optional[str]:
    missing = list(expected)
    unexpected = []
    for record in observed:
        if record in missing:
            missing.remove(record)
        else:
            unexpected.append(record)

    if not missing and not unexpected:
        return None
    parts = []
    if missing:
        parts.append(f"missing records {_describe_records(missing)}")
    if unexpected:
        parts.append(f"unexpected records {_describe_records(unexpected)}")
    return ", ".join(parts)


def _describe_records(records: List[Record]) -> str:
    if not records:
        return "[] (none)"
    return "[" + ", ".join(describe_token(record) for record in records) + "]"
