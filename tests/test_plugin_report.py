"""Terminal summary, verdict lines and the JSON report of a certification run."""

from __future__ import annotations

import pytest
from plugin_helpers import KitRunner, kit  # noqa: F401  (kit is a fixture)

from conformance.rules import RULES

THREE_STORES = (
    "--store=kitstores:MemoryStore",
    "--store=kitstores:LeakyStore",
    "--store=kitstores:RudeStore",
)

# The rules that test_conformance.py of plugin_helpers has a test for.
LOCAL_RULE_IDS = ["F1", "F3", "S3", "P1", "V-ID-MISSING"]
NOT_RUN_IDS = [rule_id for rule_id in RULES if rule_id not in LOCAL_RULE_IDS]


def test_summary_verdict_per_store(kit: KitRunner) -> None:
    result = kit.certify(*THREE_STORES)
    not_run = len(NOT_RUN_IDS)

    # A run of one small test file is partial: only a failure changes the verdict.
    result.stdout.fnmatch_lines(
        [
            "*= tokenstore conformance =*",
            "kitstores:MemoryStore (source: option, features: none)",
            "kitstores:MemoryStore: NOT CERTIFIED, partial run (4 rules passed, 0 MUST failed, "
            f"0 SHOULD deviations; {not_run} rules not run)",
            "kitstores:LeakyStore (source: option, features: none)",
            "kitstores:LeakyStore: NOT CERTIFIED (1 MUST rule failed: F1)",
            "kitstores:RudeStore (source: option, features: none)",
            "kitstores:RudeStore: NOT CERTIFIED, partial run (3 rules passed, 0 MUST failed, "
            f"1 SHOULD deviation; {not_run} rules not run)",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_summary_lists_failures_and_skips(kit: KitRunner) -> None:
    result = kit.certify(*THREE_STORES)

    result.stdout.fnmatch_lines(
        [
            "  FAILED F1 MUST: test_find_unknown_user_returns_none: AssertionError: assert *",
            "  DEVIATION F3 SHOULD: test_find_other_type_unchanged: AssertionError: assert None *",
        ]
    )
    result.stdout.fnmatch_lines(["  variations: V-ID-MISSING: none"])
    result.stdout.fnmatch_lines(
        [
            "  skipped P1: not applicable: the store does not declare the 'persistent' feature",
            f"  no test in this run: {', '.join(NOT_RUN_IDS)}",
        ]
    )


def test_summary_strict_verdict_names_should_rule(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:RudeStore", "--store-strict")

    result.stdout.fnmatch_lines(
        ["kitstores:RudeStore: NOT CERTIFIED (1 SHOULD rule failed: F3) [strict]"]
    )


def test_summary_without_tests_not_certified(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:MemoryStore", "-k", "no_test_has_this_name")

    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["kitstores:MemoryStore: NOT CERTIFIED (no conformance test ran)"])
    assert kit.store_entry("kitstores:MemoryStore") == {
        "store": "kitstores:MemoryStore",
        "certified": False,
        "rules": [],
        "variations": {},
        "not_run": list(RULES),
    }


def test_collect_only_prints_no_verdict(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:MemoryStore", "--collect-only")

    assert "CERTIFIED" not in result.stdout.str()
    assert not kit.report_path.exists()


def test_json_report_shape(kit: KitRunner) -> None:
    kit.certify(*THREE_STORES)
    report = kit.report()

    assert set(report) == {
        "kit_version",
        "sdk_version",
        "hypothesis_profile",
        "seed",
        "strict",
        "stores",
    }
    assert isinstance(report["kit_version"], str)
    assert isinstance(report["sdk_version"], str)
    assert report["hypothesis_profile"] == "conformance"
    assert isinstance(report["seed"], str)
    assert report["strict"] is False
    assert [entry["store"] for entry in report["stores"]] == [
        "kitstores:MemoryStore",
        "kitstores:LeakyStore",
        "kitstores:RudeStore",
    ]

    for entry in report["stores"]:
        assert set(entry) == {"store", "certified", "rules", "variations", "not_run"}
        assert entry["certified"] is False
        assert isinstance(entry["variations"], dict)
        assert entry["not_run"] == NOT_RUN_IDS
        for rule in entry["rules"]:
            assert set(rule) == {"id", "level", "outcome", "reason"}
            assert rule["level"] == RULES[rule["id"]].level
            assert rule["outcome"] in ("passed", "failed", "skipped")
            assert (rule["reason"] is None) == (rule["outcome"] == "passed")


def test_json_report_rule_outcomes(kit: KitRunner) -> None:
    kit.certify(*THREE_STORES)

    leaky = kit.store_entry("kitstores:LeakyStore")
    assert leaky["certified"] is False
    assert [rule["id"] for rule in leaky["rules"]] == LOCAL_RULE_IDS
    assert leaky["variations"] == {"V-ID-MISSING": "none"}

    f1 = kit.rule_entry("kitstores:LeakyStore", "F1")
    assert f1["outcome"] == "failed"
    assert f1["reason"].startswith("test_find_unknown_user_returns_none: AssertionError")

    p1 = kit.rule_entry("kitstores:LeakyStore", "P1")
    assert p1["outcome"] == "skipped"
    assert "not applicable" in p1["reason"]

    f3 = kit.rule_entry("kitstores:RudeStore", "F3")
    assert f3["outcome"] == "failed"
    assert f3["reason"].startswith("test_find_other_type_unchanged: AssertionError")


def test_json_report_lists_both_choices(kit: KitRunner) -> None:
    kit.write_tests(
        """
        import pytest
        from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException


        @pytest.mark.parametrize("unknown_id", ["404", "405"])
        @pytest.mark.rule("V-ID-MISSING")
        def test_find_by_unknown_id(store, record_variation, unknown_id):
            try:
                result = store.find_token_by_id(unknown_id)
            except SDKException:
                record_variation("V-ID-MISSING", "raises")
            else:
                assert result is None
                record_variation("V-ID-MISSING", "none")
        """,
        name="test_choices",
    )

    result = kit.certify("--store=kitstores:SometimesRaisingIdStore", tests="test_choices.py")

    variations = kit.store_entry("kitstores:SometimesRaisingIdStore")["variations"]
    assert variations == {"V-ID-MISSING": "none, raises"}
    result.stdout.fnmatch_lines(["  variations: V-ID-MISSING: none, raises"])


def test_report_in_missing_directory_rejected(kit: KitRunner) -> None:
    path = kit.pytester.path / "missing" / "report.json"

    result = kit.run(
        "--store=kitstores:MemoryStore", f"--store-report={path}", "test_conformance.py"
    )

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"directory {path.parent} does not exist" in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_report_write_failure_named(kit: KitRunner) -> None:
    directory = kit.pytester.mkdir("reports")
    path = directory / "report.json"
    kit.write_tests(
        f"""
        import shutil
        import pytest

        @pytest.mark.rule("G1")
        def test_removes_report_directory(store):
            shutil.rmtree({str(directory)!r})
            assert store.get_tokens() == []
        """,
        name="test_remove_directory",
    )

    result = kit.run(
        "--store=kitstores:MemoryStore", f"--store-report={path}", "test_remove_directory.py"
    )

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines([f"ERROR: cannot write the certification report to {path}: *"])
