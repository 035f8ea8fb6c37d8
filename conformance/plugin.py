"""pytest plugin: ``pytest --store=MODULE:ATTR`` certifies a TokenStore.

Registered through the ``pytest11`` entry point. With a store named on the
command line or in the ini file and no test paths given, pytest collects the
kit's own suite (``conformance.suite``) and runs every test once per store.
"""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from conformance.fixtures import (  # noqa: F401  (fixtures are found by name)
    record_variation,
    store,
    store_target,
    stores,
    tokenstore_factory,
    tokenstore_features,
)
from conformance.rules import RULES
from conformance.targets import StoreTarget, StoreUsageError, load_target

SUITE_DIR = Path(__file__).parent / "suite"

TARGETS_KEY = pytest.StashKey[List[StoreTarget]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tokenstore", "tokenstore conformance")
    group.addoption(
        "--store",
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="TokenStore subclass or factory to certify; repeat to certify several stores "
        "(default: the `store` ini value, else none)",
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
    parser.addini(
        "store",
        type="linelist",
        default=[],
        help="TokenStore subclass or factory to certify, as MODULE:ATTR, one per line "
        "(--store overrides it)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(id): the conformance rule id that a test checks")
    config.addinivalue_line(
        "markers",
        "requires_feature(name): skip as not applicable unless the store declares feature `name`",
    )

    names = config.getoption("store") or []
    source = "option"
    if not names:
        names = config.getini("store")
        source = "ini"

    targets = []
    for name in names:
        try:
            targets.append(load_target(name, source))
        except StoreUsageError as error:
            raise pytest.UsageError(str(error)) from None
    config.stash[TARGETS_KEY] = targets

    if targets and config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [str(SUITE_DIR)]


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


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    for item in items:
        for marker in item.iter_markers("rule"):
            for rule_id in marker.args:
                if rule_id not in RULES:
                    raise pytest.UsageError(f"{item.nodeid}: unknown rule id {rule_id!r}")
