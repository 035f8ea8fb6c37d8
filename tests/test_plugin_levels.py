"""Rule levels and exit status: MUST failures, SHOULD deviations, variations, strict mode."""

from __future__ import annotations

import pytest
from plugin_helpers import KitRunner, kit  # noqa: F401  (kit is a fixture)

STRICT_CHOICE_REASON = "the store chose 'raises'; --store-strict accepts only 'none'"

# A test of rule I1 that records the V-ID-MISSING choice it observes, then checks
# that the lookup left the store empty.
CHOICE_RECORDING_TEST = """
import pytest
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException


@pytest.mark.rule("I1")
def test_lookup_records_choice(store, record_variation):
    try:
        store.find_token_by_id("404")
    except SDKException:
        record_variation("V-ID-MISSING", "raises")
    else:
        record_variation("V-ID-MISSING", "none")
    assert store.get_tokens() == EXPECTED_TOKENS
"""


def test_compliant_store_exits_zero(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:MemoryStore")

    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=4, skipped=1)


def test_must_failure_fails_run(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:LeakyStore")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1, passed=3, skipped=1)
    result.stdout.fnmatch_lines(
        ["FAILED test_conformance.py::test_find_unknown_user_returns_none*"]
    )


def test_should_deviation_is_xfail(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:RudeStore", "-rx")

    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=3, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(
        ["XFAIL test_conformance.py::test_find_other_type_unchanged* - SHOULD deviation (F3): *"]
    )


def test_should_deviation_fails_strict_run(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:RudeStore", "--store-strict")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=3, skipped=1, failed=1)
    assert kit.store_entry("kitstores:RudeStore")["certified"] is False


def test_non_preferred_choice_passes_by_default(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:RaisingIdStore")

    assert result.ret == pytest.ExitCode.OK
    assert kit.store_entry("kitstores:RaisingIdStore")["variations"] == {"V-ID-MISSING": "raises"}


def test_non_preferred_choice_fails_strict_run(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:RaisingIdStore", "--store-strict")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=3, skipped=1, failed=1)
    result.stdout.fnmatch_lines([f"V-ID-MISSING: {STRICT_CHOICE_REASON}"])
    result.stdout.fnmatch_lines([f"  FAILED V-ID-MISSING VARIATION: {STRICT_CHOICE_REASON}"])
    rule = kit.rule_entry("kitstores:RaisingIdStore", "V-ID-MISSING")
    assert rule["outcome"] == "failed"
    assert rule["reason"] == STRICT_CHOICE_REASON


def test_preferred_choice_passes_strict_run(kit: KitRunner) -> None:
    # The whole suite, so that the verdict can be CERTIFIED.
    result = kit.certify_suite("--store=reference_stores:ListStore", "--store-strict")

    assert result.ret == pytest.ExitCode.OK
    # "[[]" matches "[", because fnmatch reads "[strict]" as a character class.
    result.stdout.fnmatch_lines(["reference_stores:ListStore: CERTIFIED (*) [[]strict]"])
    assert kit.store_entry("reference_stores:ListStore")["certified"] is True
    assert kit.rule_entry("reference_stores:ListStore", "V-ID-MISSING")["outcome"] == "passed"


def test_strict_choice_failure_keeps_own_rule(kit: KitRunner) -> None:
    kit.write_tests(CHOICE_RECORDING_TEST.replace("EXPECTED_TOKENS", "[]"), name="test_choice")

    result = kit.certify(
        "--store=kitstores:RaisingIdStore", "--store-strict", tests="test_choice.py"
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"V-ID-MISSING: {STRICT_CHOICE_REASON}",
            "The checks of rule I1 passed, so this failure counts against V-ID-MISSING only.",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            f"  FAILED V-ID-MISSING VARIATION: {STRICT_CHOICE_REASON}",
            "kitstores:RaisingIdStore: NOT CERTIFIED (1 variation failed: V-ID-MISSING) [strict]",
        ]
    )
    assert "FAILED I1" not in result.stdout.str()
    assert kit.rule_entry("kitstores:RaisingIdStore", "I1")["outcome"] == "passed"
    assert kit.rule_entry("kitstores:RaisingIdStore", "V-ID-MISSING")["outcome"] == "failed"
    assert kit.store_entry("kitstores:RaisingIdStore")["certified"] is False


def test_strict_choice_in_failed_test_fails_both(kit: KitRunner) -> None:
    kit.write_tests(
        CHOICE_RECORDING_TEST.replace("EXPECTED_TOKENS", "['a token']"), name="test_choice"
    )

    result = kit.certify(
        "--store=kitstores:RaisingIdStore", "--store-strict", tests="test_choice.py"
    )

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "  FAILED I1 MUST: test_lookup_records_choice: AssertionError: *",
            f"  FAILED V-ID-MISSING VARIATION: {STRICT_CHOICE_REASON}",
        ]
    )
    assert "The checks of rule I1 passed" not in result.stdout.str()


def test_strict_choice_fails_nothing_by_default(kit: KitRunner) -> None:
    kit.write_tests(CHOICE_RECORDING_TEST.replace("EXPECTED_TOKENS", "[]"), name="test_choice")

    result = kit.certify("--store=kitstores:RaisingIdStore", tests="test_choice.py")

    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1)
    assert kit.rule_entry("kitstores:RaisingIdStore", "I1")["outcome"] == "passed"
    assert kit.rule_entry("kitstores:RaisingIdStore", "V-ID-MISSING") is None
    assert kit.store_entry("kitstores:RaisingIdStore")["variations"] == {"V-ID-MISSING": "raises"}


def test_non_empty_store_stays_error(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:PrefilledStore")

    result.assert_outcomes(errors=4, skipped=1)
    result.stdout.fnmatch_lines(
        ["*StoreNotEmptyError: store kitstores:PrefilledStore contains 1 records*"]
    )
    # F3 is a SHOULD rule: its setup error is not turned into a deviation.
    assert kit.rule_entry("kitstores:PrefilledStore", "F3")["outcome"] == "failed"
    assert "error at setup" in kit.rule_entry("kitstores:PrefilledStore", "F3")["reason"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('record_variation("F1", "none")', "'F1' is not a variation point"),
        ('record_variation("V-ID-MISSING", "maybe")', "'maybe' is not a choice of V-ID-MISSING"),
    ],
    ids=["not-a-variation", "unknown-choice"],
)
def test_bad_record_variation_fails(kit: KitRunner, call: str, message: str) -> None:
    kit.write_tests(
        f"""
        import pytest

        @pytest.mark.rule("F3")
        def test_records(store, record_variation):
            {call}
        """,
        name="test_bad_variation",
    )

    result = kit.certify("--store=kitstores:MemoryStore", tests="test_bad_variation.py")

    # A wrong call is the test's fault, so it fails even under a SHOULD rule.
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*VariationError: *{message}*"])


def test_teardown_error_overrides_deviation(kit: KitRunner) -> None:
    kit.write_tests(
        """
        import pytest

        @pytest.fixture
        def broken_teardown():
            yield
            raise RuntimeError("cleanup failed")

        @pytest.mark.rule("F3")
        def test_deviates(store, broken_teardown):
            assert store.find_token(object()) is None
        """,
        name="test_teardown",
    )

    result = kit.certify("--store=kitstores:MemoryStore", tests="test_teardown.py")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(xfailed=1, errors=1)
    f3 = kit.rule_entry("kitstores:MemoryStore", "F3")
    assert f3["outcome"] == "failed"
    assert "error at teardown: RuntimeError: cleanup failed" in f3["reason"]
    assert kit.store_entry("kitstores:MemoryStore")["certified"] is False
