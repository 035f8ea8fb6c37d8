"""Collection of conformance tests: the suite's modules, rule markers and store tags.

Helpers for the plugin's collection hooks. A conformance test is one that
carries ``@pytest.mark.rule(ID)``. The plugin tags each with its store and
rule, as ``user_properties``, so that the run's results can be read from test
reports alone.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import List, Optional

import pytest

from conformance.levels import rule_id_of
from conformance.results import RULE_PROPERTY, STORE_PROPERTY
from conformance.rules import RULES
from conformance.targets import StoreTarget

SUITE_DIR = Path(__file__).parent / "suite"

# Node ids of suite tests start with this, wherever the package is installed.
SUITE_NODEID_PREFIX = "conformance/suite"

SUITE_FILE_PATTERN = "test_*.py"


def collects_suite(config: pytest.Config) -> bool:
    """Return whether a run with a store collects the kit's suite: no test paths were given."""
    return config.args_source != pytest.Config.ArgsSource.ARGS


def is_suite_module(path: Path) -> bool:
    """Return whether ``path`` is a test module of the kit's suite."""
    return path.parent == SUITE_DIR and fnmatch.fnmatch(path.name, SUITE_FILE_PATTERN)


def skipped_by_python_files(path: Path, config: pytest.Config) -> bool:
    """Return whether the ``python_files`` ini value keeps pytest from collecting ``path``."""
    patterns = config.getini("python_files")
    return not any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns)


def suite_module(path: Path, parent: pytest.Collector) -> pytest.Module:
    """Build the collector of a suite module, with the same node id wherever it is installed."""
    # Relative to the rootdir, the ids of an installed suite would start with
    # "../../lib/python3.X/site-packages/" or ".venv/lib/...".
    module = pytest.Module.from_parent(
        parent, path=path, nodeid=f"{SUITE_NODEID_PREFIX}/{path.name}"
    )
    # Every suite test runs once per store, even one whose only store fixture
    # is a tokenstore_factory override that does not request store_target.
    module.add_marker(pytest.mark.usefixtures("store_target"))
    return module


def check_rule_marker(item: pytest.Item) -> None:
    """Raise ``pytest.UsageError`` unless a rule-marked test names exactly one known rule id."""
    rule_ids = [rule_id for marker in item.iter_markers("rule") for rule_id in marker.args]
    if not rule_ids and item.get_closest_marker("rule") is None:
        return

    if len(rule_ids) != 1:
        raise pytest.UsageError(
            f"{item.nodeid}: a conformance test carries exactly one @pytest.mark.rule(ID), "
            f"found {rule_ids}"
        )
    if rule_ids[0] not in RULES:
        raise pytest.UsageError(
            f"{item.nodeid}: unknown rule id {rule_ids[0]!r}; known ids: {', '.join(RULES)}"
        )


def tag_item(item: pytest.Item, targets: List[StoreTarget]) -> None:
    """Tag a conformance test with its store and rule, for the results of the run."""
    rule_id = rule_id_of(item)
    target = target_of(item, targets)
    if rule_id is None or target is None:
        return
    item.user_properties.append((STORE_PROPERTY, target.name))
    item.user_properties.append((RULE_PROPERTY, rule_id))


def target_of(item: pytest.Item, targets: List[StoreTarget]) -> Optional[StoreTarget]:
    """Return the store that ``item`` tests, or ``None`` when that is not known."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "store_target" in callspec.params:
        return callspec.params["store_target"]
    # A test outside the suite that never requests store_target belongs to
    # the run's store when there is only one.
    return targets[0] if len(targets) == 1 else None


def deselect_sdk_tier(config: pytest.Config, items: List[pytest.Item]) -> None:
    """Remove the tests marked ``sdk_tier`` from ``items`` and report them as deselected."""
    deselected = [item for item in items if item.get_closest_marker("sdk_tier") is not None]
    if not deselected:
        return

    config.hook.pytest_deselected(items=deselected)
    items[:] = [item for item in items if item.get_closest_marker("sdk_tier") is None]
