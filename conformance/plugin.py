"""pytest plugin: ``pytest --store=MODULE:ATTR`` certifies a TokenStore.

Registered through the ``pytest11`` entry point. With a store named by
``--store``, by the ``store`` ini value or by a ``conftest.py`` that
overrides the ``tokenstore_factory`` fixture, and no test paths given, pytest
collects the kit's own suite (``conformance.suite``) and runs every test once
per store. With paths, it collects what was named; ``--pyargs
conformance.suite`` names the suite explicitly, and ``--pyargs
"conformance.suite.test_find_token::TEST_NAME"`` one of its tests.

Without a store under test the plugin acts only on tests that carry its
markers, and it changes no Hypothesis setting, so other test suites run as
they would without it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Generator, List, Optional

import pytest

from conformance.certification import CertificationRun
from conformance.collection import (
    SUITE_DIR,
    check_rule_marker,
    collects_suite,
    deselect_sdk_tier,
    is_suite_module,
    skipped_by_python_files,
    suite_module,
    tag_item,
    target_of,
)
from conformance.fixtures import (  # noqa: F401  (fixtures are found by name)
    RECORDER_KEY,
    record_variation,
    store,
    store_target,
    stores,
    tokenstore_factory,
    tokenstore_features,
)
from conformance.levels import apply_levels, rule_id_of
from conformance.profiles import select_profile, select_seed
from conformance.report import check_report_path
from conformance.snippets import render_snippet
from conformance.targets import (  # noqa: F401  (TARGETS_KEY stays importable from here)
    SOURCE_INI,
    SOURCE_OPTION,
    TARGETS_KEY,
    StoreTarget,
    StoreUsageError,
    check_target,
    conftest_target,
    load_target,
    normalize_store_names,
)

logger = logging.getLogger("conformance")

SNIPPET_SECTION = "store calls to reproduce"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tokenstore conformance", "tokenstore conformance")
    group.addoption(
        "--store",
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="TokenStore subclass or factory to certify; repeat to certify several stores, "
        "a repeated value is certified once (default: the `store` ini value, else none)",
    )
    group.addoption(
        "--store-strict",
        action="store_true",
        default=False,
        help="fail the run on SHOULD deviations and on non-preferred variation choices "
        "(default: off, only MUST failures fail the run)",
    )
    group.addoption(
        "--store-report",
        metavar="PATH",
        default=None,
        help="write the certification result as JSON to PATH (default: no file)",
    )
    group.addoption(
        "--store-skip-sdk",
        action="store_true",
        default=False,
        help="skip the SDK-flow tier (default: run it)",
    )
    parser.addini(
        "store",
        type="linelist",
        default=[],
        help="TokenStore subclass or factory to certify, as MODULE:ATTR, one per line "
        "(default: none; --store overrides it)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # tryfirst: the Hypothesis seed and profile must be set before Hypothesis's
    # own pytest_configure reads --hypothesis-seed.
    config.addinivalue_line("markers", "rule(id): the conformance rule id that a test checks")
    config.addinivalue_line(
        "markers",
        "requires_feature(name): skip as not applicable unless the store declares feature `name`",
    )
    config.addinivalue_line(
        "markers", "sdk_tier: a flow of the real SDK against the store (--store-skip-sdk skips it)"
    )

    try:
        targets = _load_targets(config)
        report_problem = _check_report_option(config)
    except StoreUsageError as error:
        raise pytest.UsageError(str(error)) from None
    if report_problem:
        raise pytest.UsageError(report_problem)

    config.stash[TARGETS_KEY] = targets
    if not targets:
        return

    config.pluginmanager.register(CertificationRun(config, targets), CertificationRun.NAME)
    select_profile(config)
    select_seed(config)
    if collects_suite(config):
        config.args[:] = [str(SUITE_DIR)]


def _load_targets(config: pytest.Config) -> List[StoreTarget]:
    names = config.getoption("store") or []
    source = SOURCE_OPTION
    if not names:
        names = config.getini("store")
        source = SOURCE_INI

    targets = [load_target(name, source) for name in normalize_store_names(names)]
    for target in targets:
        check_target(target)

    if not targets:
        target = conftest_target(config, collects_suite=collects_suite(config))
        if target is not None:
            targets.append(target)

    for target in targets:
        logger.info("store under test: %s (source: %s)", target.name, target.source)
    return targets


def _check_report_option(config: pytest.Config) -> Optional[str]:
    path = config.getoption("store_report")
    if path is None:
        return None
    return check_report_path(Path(path))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Optional[pytest.Module]:
    # pytest's python plugin collects the suite's modules unless a python_files
    # ini value of the user's project leaves out test_*.py.
    if not is_suite_module(file_path) or parent.session.isinitpath(file_path):
        return None
    if not skipped_by_python_files(file_path, parent.config):
        return None
    return suite_module(file_path, parent)


def pytest_pycollect_makemodule(
    module_path: Path, parent: pytest.Collector
) -> Optional[pytest.Module]:
    if not is_suite_module(module_path):
        return None
    return suite_module(module_path, parent)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_target" not in metafunc.fixturenames:
        return

    targets = metafunc.config.stash.get(TARGETS_KEY, [])
    if targets:
        metafunc.parametrize(
            "store_target", targets, ids=[target.name for target in targets], indirect=True
        )


@pytest.fixture(autouse=True)
def _skip_unless_store_features(request: pytest.FixtureRequest) -> None:
    """Skip a test whose ``requires_feature`` markers name a feature the store lacks."""
    required = [marker.args[0] for marker in request.node.iter_markers("requires_feature")]
    if not required:
        return

    features = request.getfixturevalue("tokenstore_features")
    for name in required:
        if name not in features:
            pytest.skip(f"not applicable: the store does not declare the {name!r} feature")


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    targets = config.stash.get(TARGETS_KEY, [])
    for item in items:
        check_rule_marker(item)
        tag_item(item, targets)

    if config.getoption("store_skip_sdk"):
        deselect_sdk_tier(config, items)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, None, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()

    apply_levels(item, call, report, strict=item.config.getoption("store_strict"))

    deviated = hasattr(report, "wasxfail") and rule_id_of(item) is not None
    if report.failed or deviated:
        _add_snippet(item, report)


def _add_snippet(item: pytest.Item, report: pytest.TestReport) -> None:
    recorder = item.stash.get(RECORDER_KEY, None)
    if recorder is None:
        return

    targets = item.config.stash.get(TARGETS_KEY, [])
    snippet = render_snippet(recorder.snapshot(), target_of(item, targets))
    if snippet:
        report.sections.append((SNIPPET_SECTION, snippet))
