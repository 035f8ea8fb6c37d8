"""Collection: the suite, named paths, conftest-built stores, markers and test ids."""

from __future__ import annotations

import textwrap

import pytest
from plugin_helpers import KitRunner, kit  # noqa: F401  (kit is a fixture)

CONFTEST_STORE = """
import pytest
from kitstores import persistent_store


@pytest.fixture
def tokenstore_factory():
    return lambda location: persistent_store(tmp_path=location)


@pytest.fixture
def tokenstore_features():
    return {"persistent"}
"""

# A correct store built by a conftest.py fixture, for a run of the whole suite.
CONFTEST_LIST_STORE = """
import pytest
from reference_stores import ListStore


@pytest.fixture
def tokenstore_factory():
    return lambda location: ListStore()
"""

CONFTEST_STORE_NAME = "conftest.py:tokenstore_factory"


def collected_ids(result: pytest.RunResult) -> list:
    return [line for line in result.stdout.lines if "::" in line]


def test_suite_collected_without_paths(kit: KitRunner) -> None:
    result = kit.run("--store=kitstores:MemoryStore", "--collect-only", "-q")
    ids = collected_ids(result)

    assert result.ret == pytest.ExitCode.OK
    assert ids
    assert all(nodeid.startswith("conformance/suite/test_") for nodeid in ids)
    assert all("[kitstores:MemoryStore" in nodeid for nodeid in ids)
    assert not any(".." in nodeid for nodeid in ids)


def test_suite_ids_name_each_store(kit: KitRunner) -> None:
    result = kit.run(
        "--store=kitstores:MemoryStore", "--store=kitstores:LeakyStore", "--collect-only", "-q"
    )
    ids = collected_ids(result)

    memory = [nodeid for nodeid in ids if "[kitstores:MemoryStore" in nodeid]
    leaky = [nodeid for nodeid in ids if "[kitstores:LeakyStore" in nodeid]
    assert memory
    assert len(memory) == len(leaky)
    assert len(ids) == 2 * len(memory)


def test_suite_collected_despite_python_files(kit: KitRunner) -> None:
    kit.pytester.makeini("[pytest]\npython_files = check_*.py\n")

    result = kit.run("--store=kitstores:MemoryStore", "--collect-only", "-q")
    ids = collected_ids(result)

    assert ids
    assert all(nodeid.startswith("conformance/suite/test_") for nodeid in ids)
    assert len(ids) == len(set(ids))


def test_pyargs_suite_ids_stay_short(kit: KitRunner) -> None:
    result = kit.run(
        "--store=kitstores:MemoryStore", "--pyargs", "conformance.suite", "--collect-only", "-q"
    )
    ids = collected_ids(result)

    assert ids
    assert all(nodeid.startswith("conformance/suite/test_") for nodeid in ids)


def test_named_path_replaces_suite(kit: KitRunner) -> None:
    result = kit.run("--store=kitstores:MemoryStore", "test_conformance.py", "--collect-only", "-q")
    ids = collected_ids(result)

    assert len(ids) == 5
    assert all(nodeid.startswith("test_conformance.py::") for nodeid in ids)


def test_no_store_leaves_other_tests_alone(kit: KitRunner) -> None:
    kit.pytester.makepyfile(test_plain="def test_plain():\n    assert True is not False\n")

    result = kit.run("test_plain.py")

    result.assert_outcomes(passed=1)
    assert "tokenstore conformance" not in result.stdout.str()
    assert "store under test" not in result.stdout.str()


def test_conftest_factory_certified_as_store(kit: KitRunner) -> None:
    kit.pytester.makeconftest(CONFTEST_LIST_STORE)

    result = kit.certify_suite()

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            f"*store under test: {CONFTEST_STORE_NAME} (source: conftest, "
            "features: from the tokenstore_features fixture)*"
        ]
    )
    result.stdout.fnmatch_lines([f"{CONFTEST_STORE_NAME}: CERTIFIED (*)"])
    assert kit.store_entry(CONFTEST_STORE_NAME)["certified"] is True
    assert kit.store_entry(CONFTEST_STORE_NAME)["not_run"] == []


def test_conftest_features_fixture_applied(kit: KitRunner) -> None:
    kit.pytester.makeconftest(CONFTEST_STORE)

    result = kit.certify("-v")

    result.stdout.fnmatch_lines(
        [f"*test_reopen_sees_saved_token?{CONFTEST_STORE_NAME}? PASSED*"]
    )
    assert kit.rule_entry(CONFTEST_STORE_NAME, "P1")["outcome"] == "passed"


def test_conftest_store_not_importable(kit: KitRunner) -> None:
    kit.pytester.makeconftest(CONFTEST_STORE)
    kit.write_tests(
        """
        import pytest

        @pytest.mark.rule("C2")
        def test_child_process_needs_name(store_target, store):
            if not store_target.importable:
                pytest.skip("not applicable: the store has no MODULE:ATTR name")
            assert store_target.module_name
        """,
        name="test_processes",
    )

    result = kit.certify(tests="test_processes.py")

    result.assert_outcomes(skipped=1)
    assert kit.rule_entry("conftest.py:tokenstore_factory", "C2")["outcome"] == "skipped"


def test_conftest_store_collects_suite(kit: KitRunner) -> None:
    kit.pytester.makeconftest(CONFTEST_STORE)

    result = kit.run("--collect-only", "-q")
    ids = collected_ids(result)

    assert ids
    assert all(nodeid.startswith("conformance/suite/test_") for nodeid in ids)
    assert all("[conftest.py:tokenstore_factory" in nodeid for nodeid in ids)


def test_markers_pass_strict_markers(kit: KitRunner) -> None:
    kit.write_tests(
        """
        import pytest

        @pytest.mark.rule("SDK1")
        @pytest.mark.sdk_tier
        @pytest.mark.requires_feature("persistent")
        def test_marked(store):
            assert store.get_tokens() == []
        """,
        name="test_marked",
    )

    result = kit.certify(
        "--strict-markers", "--store=kitstores:persistent_store", tests="test_marked.py"
    )

    result.assert_outcomes(passed=1)


def test_skip_sdk_option_deselects_tier(kit: KitRunner) -> None:
    kit.write_tests(
        """
        import pytest

        @pytest.mark.rule("SDK1")
        @pytest.mark.sdk_tier
        def test_sdk_flow(store):
            assert store.get_tokens() == []

        @pytest.mark.rule("G1")
        def test_plain_rule(store):
            assert store.get_tokens() == []
        """,
        name="test_tiers",
    )

    skipped = kit.certify(
        "--store=kitstores:MemoryStore", "--store-skip-sdk", tests="test_tiers.py"
    )
    skipped.assert_outcomes(passed=1, deselected=1)
    assert kit.rule_entry("kitstores:MemoryStore", "SDK1") is None

    default = kit.certify("--store=kitstores:MemoryStore", tests="test_tiers.py")
    default.assert_outcomes(passed=2)


def test_options_listed_in_help(kit: KitRunner) -> None:
    result = kit.run("--help")
    text = " ".join(result.stdout.str().split())

    assert "tokenstore conformance:" in text
    assert "--store-skip-sdk skip the SDK-flow tier (default: run it)" in text
    for option in ("--store=MODULE:ATTR", "--store-strict", "--store-report=PATH"):
        assert option in text
    assert text.count("(default:") >= 5


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ('@pytest.mark.rule("Z9")', "unknown rule id 'Z9'"),
        ('@pytest.mark.rule("F1", "F2")', "exactly one @pytest.mark.rule(ID), found ['F1', 'F2']"),
        ("@pytest.mark.rule()", "exactly one @pytest.mark.rule(ID), found []"),
    ],
    ids=["unknown-id", "two-ids", "no-id"],
)
def test_bad_rule_marker_is_usage_error(kit: KitRunner, marker: str, message: str) -> None:
    kit.write_tests(
        textwrap.dedent(
            f"""
            import pytest

            {marker}
            def test_marked(store):
                pass
            """
        ),
        name="test_bad_marker",
    )

    result = kit.run("--store=kitstores:MemoryStore", "test_bad_marker.py")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
