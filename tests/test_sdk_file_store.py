"""Certify the SDK's own ``FileStore`` and pin its outcome for every rule.

The kit runs once, through pytester, on ``sdk_file_store_factory:file_store``
(``FileStore`` of zohocrmsdk8-0 7.0.0 on a CSV file in the test location),
with the derandomized Hypothesis profile ``conformance-ci``.
``EXPECTED_OUTCOMES`` contains the outcome of each rule, every failure with a
one-line reason read from the failure output and from ``file_store.py``. The
test asserts the report's outcomes exactly, so a change in the SDK or the kit
that changes any outcome shows up here.
"""

from __future__ import annotations

import os
from typing import Dict, Iterator

import pytest

STORE = "sdk_file_store_factory:file_store"

SDK_VERSION = "7.0.0"

# C3 kills a saving process at a moment that varies between runs. FileStore
# rewrites the whole CSV file with open(path, "w"), so a kill inside that
# window empties the file and C3 fails, otherwise it passes (5 failures in 16
# runs on a 2-core machine). The run leaves C3 out to keep the outcomes exact.
RACE_DEPENDENT_TESTS = ("test_killed_process_keeps_returned_saves",)

# FileStore creates its file with open(path, "w"), so the file mode follows
# the umask. The run pins the common default umask, so that the SEC1 outcome
# does not depend on the caller's umask.
UMASK = 0o022

EXPECTED_OUTCOMES: Dict[str, str] = {
    "F1": "passed",
    # check_condition has no id branch, so find_token(make_token(id=...)) finds nothing.
    "F2": "failed",
    "F3": "passed",
    "F4": "passed",
    # save_token with an id compares ids only, so a token that brings an unstored id
    # but matches a stored user inserts a second record for that user.
    "S1": "failed",
    "S2": "passed",
    "S3": "passed",
    "S4": "passed",
    # generate_id is max(stored ids) + 1, so deleting the largest id hands it out again.
    "S4-NOREUSE": "failed",
    "S5": "passed",
    "S6": "passed",
    # find_token wraps only IOError, so a corrupted file raises a bare UnicodeDecodeError.
    "S7": "failed",
    "D1": "passed",
    "G1": "passed",
    "G2": "passed",
    "X1": "passed",
    "I1": "passed",
    # The file is read without newline="", so "\r\n" inside a field comes back as "\n".
    "R1": "failed",
    "R1-LONG": "passed",
    "R2": "passed",
    # The first mismatch in the state machine is again find_token by id returning None.
    "M1": "failed",
    "P1": "passed",
    # No lock around the read-modify-write of the CSV file, so concurrent saves lose
    # records and read half-written rows.
    # NOTE: C1, C2 and SDK6 depend on thread timing. They failed in all 16 runs
    # measured, but a quiet run could pass, so the test accepts "passed" for them too.
    "C1": "failed",
    # The same read-modify-write race between processes loses records.
    "C2": "failed",
    # tokens.csv is created with mode 0o644 under umask 022.
    "SEC1": "failed",
    "SEC2": "passed",
    # FileStore opens no sqlite3 connection.
    "SQL1": "skipped",
    "SDK1": "passed",
    "SDK2": "passed",
    "SDK3": "passed",
    "SDK4": "passed",
    "SDK5": "passed",
    # Switched users' threads read the CSV file while another thread rewrites it,
    # so get_tokens or find_token_by_id raises on a half-written file.
    "SDK6": "failed",
    "SDK7": "passed",
    # revoke(id) calls find_token(OAuthToken(id=id)), which has no id lookup, so
    # no refresh token is revoked.
    "SDK8": "failed",
    "SDK9": "passed",
    "V-GRANT": "passed",
    # save_token with an id compares ids only, so an unstored id matching another
    # record's user inserts a second record instead of keeping one.
    "V-REKEY": "failed",
    "V-DELETE-MISSING": "passed",
    "V-ID-MISSING": "passed",
}

# Rules whose failure needs two threads or processes to interleave inside FileStore's
# unlocked read-modify-write; their expected outcome is "failed" or, in a quiet run, "passed".
TIMING_DEPENDENT_RULES = ("C1", "C2", "SDK6")

EXPECTED_VARIATIONS = {
    # check_condition falls back to the refresh token when the grant token matches nothing.
    "V-GRANT": "refresh-fallback",
    # delete_token raises SDKException("Given Id not found") for an unknown id.
    "V-DELETE-MISSING": "raises",
    # find_token_by_id raises SDKException("Given ID is invalid") for an unknown id.
    "V-ID-MISSING": "raises",
}


@pytest.fixture
def common_umask() -> Iterator[None]:
    """Set the process umask to ``UMASK`` for the test, so that the child run inherits it."""
    previous = os.umask(UMASK)
    yield
    os.umask(previous)


def test_file_store_outcomes_per_rule(run_kit, common_umask) -> None:
    deselect = " and ".join(f"not {name}" for name in RACE_DEPENDENT_TESTS)
    result, report = run_kit(STORE, args=("--hypothesis-profile=conformance-ci", "-k", deselect))

    assert report.get("sdk_version") == SDK_VERSION, (
        f"EXPECTED_OUTCOMES were recorded with zohocrmsdk8-0 {SDK_VERSION}, the run used "
        f"{report.get('sdk_version')}; rerun this test and record the new outcomes"
    )
    (entry,) = report["stores"]
    outcomes = {rule["id"]: rule["outcome"] for rule in entry["rules"]}
    reasons = {rule["id"]: rule["reason"] for rule in entry["rules"]}

    unexpected = {
        rule_id: (outcomes.get(rule_id), reasons.get(rule_id))
        for rule_id in sorted(set(outcomes) | set(EXPECTED_OUTCOMES))
        if not _outcome_expected(rule_id, outcomes.get(rule_id))
    }
    assert unexpected == {}, "rules whose outcome changed: (outcome, reason)"
    assert entry["variations"] == EXPECTED_VARIATIONS
    assert entry["certified"] is False
    assert result.ret == 1


def _outcome_expected(rule_id: str, outcome: object) -> bool:
    if rule_id in TIMING_DEPENDENT_RULES:
        return outcome in (EXPECTED_OUTCOMES[rule_id], "passed")
    return outcome == EXPECTED_OUTCOMES.get(rule_id)
