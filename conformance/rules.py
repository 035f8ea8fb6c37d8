"""Registry of the rules that the kit certifies, each with a stable id and a level.

``docs/rules.md`` states every rule in full; this module is the machine-readable
index of the same list. Every test in the suite carries ``@pytest.mark.rule(ID)``
with one id from here, and the plugin reports outcomes per id.

A MUST rule protects the SDK's correctness or a user's data: a failure fails
certification. A SHOULD rule is documented behaviour that the SDK tolerates
breaking: a failure is reported as a deviation and fails the run only under
``--store-strict``. A variation point is a choice between outcomes that both
conform; under ``--store-strict`` only the preferred choice passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

MUST = "MUST"
SHOULD = "SHOULD"
VARIATION = "VARIATION"


@dataclass(frozen=True)
class Rule:
    """One certified rule: its id, level and the one-line statement shown in reports."""

    id: str
    level: str
    title: str
    # For a variation point, the choice that --store-strict accepts; None when
    # every choice passes even in strict mode.
    preferred: Optional[str] = None


_RULES = [
    # find_token(token)
    Rule("F1", MUST, "find_token returns None unless a stored record matches the probe's key"),
    Rule("F2", MUST, "find_token fills the absent fields of the probe and returns that object"),
    Rule("F3", SHOULD, "find_token returns a non-OAuthToken argument unchanged"),
    Rule("F4", SHOULD, "find_token returns None for a probe that has no key"),
    # save_token(token)
    Rule("S1", MUST, "save_token updates the record matching the key, else inserts one"),
    Rule("S2", MUST, "save_token overwrites present fields, keeps absent ones and the id"),
    Rule("S3", MUST, "save_token sets the token's id to the stored record's id"),
    Rule("S4", MUST, "save_token gives an inserted token a new, unique, non-empty str id"),
    Rule("S4-NOREUSE", SHOULD, "save_token never reuses the id of a deleted record"),
    Rule("S5", MUST, "save_token rejects an id or user token without any OAuth token"),
    Rule("S6", SHOULD, "save_token ignores a non-OAuthToken argument"),
    Rule("S7", SHOULD, "store failures are raised as SDKException with the cause attached"),
    # delete_token(id), get_tokens(), delete_tokens(), find_token_by_id(id)
    Rule("D1", MUST, "delete_token removes the record with exactly that id and no other"),
    Rule("G1", MUST, "get_tokens returns one complete OAuthToken per stored record"),
    Rule("G2", SHOULD, "get_tokens returns copies that do not change the store"),
    Rule("X1", MUST, "delete_tokens removes every record and the store keeps working"),
    Rule("I1", MUST, "find_token_by_id returns a new token with all fields of that id's record"),
    # Values, sequences, persistence, concurrency, security
    Rule("R1", MUST, "every field round-trips exactly, up to 255 characters of any text"),
    Rule("R1-LONG", SHOULD, "every field round-trips exactly up to 4,096 characters"),
    Rule("R2", MUST, "expiry_time comes back as str and user_name as a UserSignature"),
    Rule("M1", MUST, "any sequence of operations agrees with the executable model"),
    Rule("P1", MUST, "a new instance on the same location sees every saved record"),
    Rule("C1", SHOULD, "concurrent calls from several threads lose and duplicate nothing"),
    Rule("C2", SHOULD, "concurrent calls from several processes lose and duplicate nothing"),
    Rule("C3", SHOULD, "a process killed during saves leaves every returned save readable"),
    Rule("SEC1", SHOULD, "files the store creates are readable and writable by the owner only"),
    Rule("SEC2", SHOULD, "no secret appears in the store's logs, repr or exception messages"),
    Rule("SQL1", SHOULD, "a SQLite store avoids UPDATE/DELETE ... LIMIT, absent from many builds"),
    # Flows of the real SDK against the store (the SDK-in-the-loop tier)
    Rule("SDK1", MUST, "first login with a grant code stores one complete record"),
    Rule("SDK2", MUST, "the same grant code again is found in the store, with no exchange"),
    Rule("SDK3", MUST, "a restart with a refresh token finds the record, with no request"),
    Rule("SDK4", MUST, "an expired access token is refreshed into the same record"),
    Rule("SDK5", MUST, "an id-based token loads its record by id, with no request"),
    Rule("SDK6", MUST, "users switched across threads refresh into their own records"),
    Rule("SDK7", MUST, "OAuthToken.remove() deletes exactly that user's record"),
    Rule("SDK8", MUST, "OAuthToken.revoke(id) revokes that user's refresh token only"),
    Rule("SDK9", MUST, "a failed or malformed server answer leaves the store unchanged"),
    # Variation points
    Rule("V-GRANT", VARIATION, "an unknown grant token may fall back to the refresh token"),
    Rule("V-REKEY", VARIATION, "a save with an unstored id keeps the record's id or takes the new"),
    Rule("V-DELETE-MISSING", VARIATION, "delete_token of an unknown id", preferred="no-op"),
    Rule("V-ID-MISSING", VARIATION, "find_token_by_id of an unknown id", preferred="none"),
]

RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}

# Choices that a variation test may record for each variation point.
VARIATION_CHOICES: dict[str, tuple[str, ...]] = {
    "V-GRANT": ("grant-only", "refresh-fallback"),
    "V-REKEY": ("keep-record-id", "take-token-id"),
    "V-DELETE-MISSING": ("no-op", "raises"),
    "V-ID-MISSING": ("none", "raises"),
}


def get_rule(rule_id: str) -> Rule:
    """Return the rule with ``rule_id``; raise ``KeyError`` naming the known ids if absent."""
    try:
        return RULES[rule_id]
    except KeyError:
        known = ", ".join(RULES)
        raise KeyError(f"unknown rule id {rule_id!r}; known ids: {known}") from None


def is_strict_failure(rule: Rule, failed: bool, choice: Optional[str] = None) -> bool:
    """Return whether an outcome fails the run under ``--store-strict``."""
    if rule.level == VARIATION:
        return rule.preferred is not None and choice is not None and choice != rule.preferred
    return failed
