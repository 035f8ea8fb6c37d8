"""The JSON certification report that ``--store-report=PATH`` writes.

Shape (``stores`` entries have exactly these keys)::

    {"kit_version": "0.1.0", "sdk_version": "7.0.0", "hypothesis_profile": "conformance",
     "seed": "1234" or null, "strict": false,
     "stores": [{"store": "MODULE:ATTR", "certified": true,
                 "rules": [{"id": "F1", "level": "MUST", "outcome": "passed", "reason": null}],
                 "variations": {"V-ID-MISSING": "none"},
                 "not_run": []}]}

``certified`` is true only when no test failed the run and every rule had a
test in it, so a run narrowed by ``-k``, ``-m`` or a test path that leaves a
rule out is not certified. With ``--store-skip-sdk``, ``certified`` covers the direct-call
rules only, and the SDK1 to SDK9 ids are in ``not_run``.

``rules`` lists, in the order of ``conformance.rules``, every rule that has
at least one test for the store in this run. ``not_run`` lists the ids of the
other rules, in the same order: deselected, left out by ``-k`` or ``-m``, or
outside the test paths given. ``outcome`` is ``passed``, ``failed`` or
``skipped``. ``reason`` is ``null`` for a passed rule, else the first failing
or skipped test and its message. Under ``--store-strict``, a non-preferred
variation choice fails the variation's own rule with the reason ``the store
chose 'raises'; --store-strict accepts only 'none'``, and the rule of the test
that recorded it keeps its own outcome. A variation point that tests
recorded several choices for lists them all, as ``"none, raises"``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional

from conformance.results import StoreResult

logger = logging.getLogger("conformance")


class ReportWriteError(Exception):
    """The JSON report could not be written; the message names the path and the cause."""


def check_report_path(path: Path) -> Optional[str]:
    """Return why ``path`` cannot take the report (a missing directory), else ``None``."""
    if path.is_dir():
        return f"--store-report={path}: {path} is a directory; give a file path"
    if not path.parent.is_dir():
        return (
            f"--store-report={path}: directory {path.parent} does not exist; "
            "create it or choose a path in an existing directory"
        )
    return None


def build_report(
    stores: List[StoreResult],
    kit_version: str,
    sdk_version: str,
    hypothesis_profile: str,
    seed: Optional[str],
    strict: bool,
) -> Dict[str, Any]:
    """Return the report as plain data, ready for ``json.dumps``."""
    return {
        "kit_version": kit_version,
        "sdk_version": sdk_version,
        "hypothesis_profile": hypothesis_profile,
        "seed": seed,
        "strict": strict,
        "stores": [_store_entry(result) for result in stores],
    }


def write_report(path: Path, report: Dict[str, Any]) -> None:
    """Write ``report`` as JSON to ``path``; raise ``ReportWriteError`` naming the path."""
    try:
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise ReportWriteError(
            f"cannot write the certification report to {path}: {error.strerror or error}; "
            "check that the directory exists and is writable"
        ) from None
    logger.info("wrote the certification report to %s", path)


def _store_entry(result: StoreResult) -> Dict[str, Any]:
    return {
        "store": result.target.name,
        "certified": result.certified,
        "rules": [
            {
                "id": rule_result.rule.id,
                "level": rule_result.rule.level,
                "outcome": rule_result.outcome,
                "reason": rule_result.reason,
            }
            for rule_result in result.rules
        ],
        "variations": {
            rule_id: ", ".join(choices) for rule_id, choices in result.variations.items()
        },
        "not_run": list(result.untested_rule_ids),
    }
