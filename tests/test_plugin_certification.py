"""Verdicts of whole-suite runs: certification, partial runs and the skipped SDK tier.

Every test here runs the kit's whole suite in-process on
``reference_stores:ListStore``, which passes every rule, or on a store of
``FULL_SUITE_STORES`` built on it. A run narrowed with ``-k`` or ``-m``
collects the whole suite and runs part of it.
"""

from __future__ import annotations

from typing import List

import pytest
from plugin_helpers import KitRunner, kit  # noqa: F401  (kit is a fixture)

from conformance.rules import RULES

LIST_STORE = "reference_stores:ListStore"
SDK_RULE_IDS = [rule_id for rule_id in RULES if rule_id.startswith("SDK")]
STRICT_CHOICE_REASON = "the store chose 'raises'; --store-strict accepts only 'none'"


def rule_ids_in_report(kit: KitRunner, store: str) -> List[str]:
    return [rule["id"] for rule in kit.store_entry(store)["rules"]]


def test_full_run_certifies_correct_store(kit: KitRunner) -> None:
    result = kit.certify_suite(f"--store={LIST_STORE}")
    entry = kit.store_entry(LIST_STORE)

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [f"{LIST_STORE}: CERTIFIED (* rules passed, 0 MUST failed, 0 SHOULD deviations)"]
    )
    assert "no test in this run" not in result.stdout.str()
    assert entry["certified"] is True
    assert entry["not_run"] == []
    assert rule_ids_in_report(kit, LIST_STORE) == list(RULES)


def test_should_deviation_keeps_certification(kit: KitRunner) -> None:
    store = "fullstores:DeviatingListStore"

    result = kit.certify_suite(f"--store={store}")

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "  DEVIATION F3 SHOULD: *",
            f"{store}: CERTIFIED (* rules passed, 0 MUST failed, 1 SHOULD deviation)",
        ]
    )
    assert kit.store_entry(store)["certified"] is True
    assert kit.rule_entry(store, "F3")["outcome"] == "failed"


@pytest.mark.parametrize(
    ("selection", "tested_rule"),
    [(("-k", "find_token_by_id"), "I1"), (("-m", "sdk_tier"), "SDK1")],
    ids=["k", "m"],
)
def test_narrowed_run_is_partial(kit: KitRunner, selection: tuple, tested_rule: str) -> None:
    result = kit.certify_suite(f"--store={LIST_STORE}", *selection)
    entry = kit.store_entry(LIST_STORE)
    tested = rule_ids_in_report(kit, LIST_STORE)

    assert result.ret == pytest.ExitCode.OK
    assert entry["certified"] is False
    assert tested_rule in tested
    assert entry["not_run"]
    assert sorted(tested + entry["not_run"]) == sorted(RULES)
    result.stdout.fnmatch_lines(
        [
            f"  no test in this run: {', '.join(entry['not_run'])}",
            f"{LIST_STORE}: NOT CERTIFIED, partial run (* rules passed, 0 MUST failed, "
            f"0 SHOULD deviations; {len(entry['not_run'])} rules not run)",
        ]
    )


def test_skip_sdk_certifies_direct_rules(kit: KitRunner) -> None:
    result = kit.certify_suite(f"--store={LIST_STORE}", "--store-skip-sdk")
    entry = kit.store_entry(LIST_STORE)

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            f"{LIST_STORE}: CERTIFIED (* rules passed, 0 MUST failed, 0 SHOULD deviations, "
            "SDK tier skipped)"
        ]
    )
    assert entry["certified"] is True
    assert entry["not_run"] == SDK_RULE_IDS
    assert not set(rule_ids_in_report(kit, LIST_STORE)) & set(SDK_RULE_IDS)


def test_skip_sdk_narrowed_run_is_partial(kit: KitRunner) -> None:
    result = kit.certify_suite(
        f"--store={LIST_STORE}", "--store-skip-sdk", "-k", "find_token_by_id"
    )
    entry = kit.store_entry(LIST_STORE)

    assert result.ret == pytest.ExitCode.OK
    assert entry["certified"] is False
    assert set(SDK_RULE_IDS) < set(entry["not_run"])
    result.stdout.fnmatch_lines([f"{LIST_STORE}: NOT CERTIFIED, partial run (*rules not run)"])
    assert "SDK tier skipped" not in result.stdout.str()


def test_sdk5_records_id_missing_choice(kit: KitRunner) -> None:
    store = "fullstores:RaisingIdListStore"

    result = kit.certify_suite(
        f"--store={store}", "-k", "test_unknown_id_token_gets_no_access"
    )

    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1)
    assert rule_ids_in_report(kit, store) == ["SDK5"]
    assert kit.store_entry(store)["variations"] == {"V-ID-MISSING": "raises"}


def test_strict_sdk5_choice_fails_variation_only(kit: KitRunner) -> None:
    store = "fullstores:RaisingIdListStore"

    result = kit.certify_suite(
        f"--store={store}", "--store-strict", "-k", "test_unknown_id_token_gets_no_access"
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"V-ID-MISSING: {STRICT_CHOICE_REASON}",
            "The checks of rule SDK5 passed, so this failure counts against V-ID-MISSING only.",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            f"  FAILED V-ID-MISSING VARIATION: {STRICT_CHOICE_REASON}",
            f"{store}: NOT CERTIFIED (1 variation failed: V-ID-MISSING) [strict]",
        ]
    )
    assert "FAILED SDK5" not in result.stdout.str()
    assert kit.rule_entry(store, "SDK5")["outcome"] == "passed"
    variation = kit.rule_entry(store, "V-ID-MISSING")
    assert variation["outcome"] == "failed"
    assert variation["reason"] == STRICT_CHOICE_REASON
