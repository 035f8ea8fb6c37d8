"""Loading stores: --store and ini values, usage errors, and the configure-time check."""

from __future__ import annotations

import pytest
from plugin_helpers import KitRunner, kit  # noqa: F401  (kit is a fixture)

USAGE_ERRORS = [
    # (--store value, words the message contains)
    ("kitstores", ["'kitstores'", "expected MODULE:ATTR"]),
    ("no_such_module_xyz:Store", ["no_such_module_xyz", "not found", "install the package"]),
    ("kitstores:Missing", ["has no attribute 'Missing'", "name a TokenStore subclass"]),
    ("kitstores:NOT_CALLABLE", ["'NOT_CALLABLE' is of type int, not callable"]),
    ("kitstores:NotAStore", ["'NotAStore' is not a TokenStore subclass", "derive it from"]),
    ("kitstores:AbstractStore", ["AbstractStore()", "TypeError", "abstract"]),
    ("kitstores:raising_factory", ["RuntimeError: database unreachable", "kitstores.py:"]),
    ("kitstores:returns_dict", ["returned dict, not a TokenStore", "make the factory return"]),
    ("kitstores:FailingCloseStore", ["close() of a newly built store failed", "OSError"]),
    ("kitstores:bad_features", ["unknown tokenstore_features ['fast']", "known features"]),
    ("broken_module:Store", ["importing module 'broken_module' failed", "ZeroDivisionError"]),
    ("needs_dependency:Store", ["importing module 'needs_dependency' failed", "missing_dep_xyz"]),
]


@pytest.mark.parametrize(("value", "words"), USAGE_ERRORS, ids=[case[0] for case in USAGE_ERRORS])
def test_store_option_usage_error(kit: KitRunner, value: str, words: list) -> None:
    kit.pytester.makepyfile(broken_module="x = 1 / 0\n")
    kit.pytester.makepyfile(needs_dependency="import missing_dep_xyz\n")

    result = kit.run(f"--store={value}")
    output = result.stdout.str() + result.stderr.str()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"--store={value}" in output or repr(value) in output
    for word in words:
        assert word in output
    assert "Traceback" not in output


def test_ini_store_used_without_option(kit: KitRunner) -> None:
    kit.pytester.makeini("[pytest]\nstore = kitstores:MemoryStore\n")

    result = kit.certify("-v")

    result.stdout.fnmatch_lines(["*store under test: kitstores:MemoryStore (source: ini*"])
    result.stdout.fnmatch_lines(
        ["*test_find_unknown_user_returns_none?kitstores:MemoryStore? PASSED*"]
    )
    assert result.ret == pytest.ExitCode.OK


def test_ini_store_lists_several_stores(kit: KitRunner) -> None:
    kit.pytester.makeini("[pytest]\nstore =\n    kitstores:MemoryStore\n    kitstores:LeakyStore\n")

    result = kit.certify()

    assert [entry["store"] for entry in kit.report()["stores"]] == [
        "kitstores:MemoryStore",
        "kitstores:LeakyStore",
    ]
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_store_option_overrides_ini(kit: KitRunner) -> None:
    kit.pytester.makeini("[pytest]\nstore = kitstores:LeakyStore\n")

    result = kit.certify("--store=kitstores:MemoryStore")

    result.stdout.fnmatch_lines(["*store under test: kitstores:MemoryStore (source: option*"])
    assert "LeakyStore" not in result.stdout.str()
    assert [entry["store"] for entry in kit.report()["stores"]] == ["kitstores:MemoryStore"]


def test_ini_bad_value_is_usage_error(kit: KitRunner) -> None:
    kit.pytester.makeini("[pytest]\nstore = kitstores:Missing\n")

    result = kit.run()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "has no attribute 'Missing'" in result.stderr.str()


def test_repeated_store_certified_once(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:MemoryStore", "--store= kitstores : MemoryStore ")

    assert [entry["store"] for entry in kit.report()["stores"]] == ["kitstores:MemoryStore"]
    result.assert_outcomes(passed=4, skipped=1)


def test_configure_check_leaves_no_files(kit: KitRunner) -> None:
    kit.pytester.makepyfile(
        file_writing_store="""
        import os
        from kitstores import MemoryStore

        class WritingStore(MemoryStore):
            def __init__(self):
                super().__init__()
                with open("tokens.db", "w") as handle:
                    handle.write("")
                self.directory = os.getcwd()
        """
    )

    result = kit.run("--store=file_writing_store:WritingStore", "--collect-only")

    assert result.ret == pytest.ExitCode.OK
    assert not (kit.pytester.path / "tokens.db").exists()


def test_configure_check_closes_store(kit: KitRunner) -> None:
    marker = kit.pytester.path / "closed.txt"
    kit.pytester.makepyfile(
        closing_store=f"""
        from kitstores import MemoryStore

        class ClosingStore(MemoryStore):
            def close(self):
                with open({str(marker)!r}, "a") as handle:
                    handle.write("closed\\n")
        """
    )

    result = kit.run("--store=closing_store:ClosingStore", "--collect-only")

    assert result.ret == pytest.ExitCode.OK
    assert marker.read_text() == "closed\n"


def test_factory_with_tmp_path_is_persistent(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:persistent_store", "-v")

    result.stdout.fnmatch_lines(["*source: option, features: persistent*"])
    result.stdout.fnmatch_lines(
        ["*test_reopen_sees_saved_token?kitstores:persistent_store? PASSED*"]
    )


def test_store_module_in_invocation_directory(kit: KitRunner) -> None:
    # kitstores.py lies in the invocation directory only, which pytest does
    # not put on sys.path by itself.
    result = kit.run("--store=kitstores:MemoryStore", "test_conformance.py")

    result.assert_outcomes(passed=4, skipped=1)
