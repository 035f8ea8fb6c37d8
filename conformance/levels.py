"""Apply rule levels to test reports: SHOULD deviations and strict variation choices.

Without ``--store-strict``, a failed call of a test whose rule is SHOULD is
reported as xfailed with the reason ``SHOULD deviation (ID): <error>``: it is
listed, never shown as a pass, and does not fail the run. Errors in setup or
teardown, and failures the kit itself raises (a factory that returns a
non-empty store, a wrong ``record_variation`` call), stay failures.

With ``--store-strict``, SHOULD failures stay failures, and a variation
choice other than the preferred one fails the variation's own rule. A passed
test that recorded such a choice is reported as failed, so that the run fails,
with a message that names the variation, the choice and the preferred choice.
The report is tagged so that ``conformance.results`` counts the failure
against the variation's id and keeps the test's own rule passed. A failed test
that recorded such a choice is tagged too, and fails both rules.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import pytest

from conformance.fixtures import StoreNotEmptyError, VariationError
from conformance.results import (
    CHECKS_PASSED_PROPERTY,
    CHOICE_FAILURE_PROPERTY,
    DEVIATION_PREFIX,
    VARIATION_PROPERTY,
    first_line,
    short_exception_name,
    strict_choice_message,
)
from conformance.rules import RULES, SHOULD
from conformance.targets import StoreUsageError

# Errors that mean the kit could not run the check, not that the store broke a rule.
KIT_ERRORS = (StoreNotEmptyError, StoreUsageError, VariationError)


def rule_id_of(item: pytest.Item) -> Optional[str]:
    """Return the rule id of a conformance test, or ``None`` for another test."""
    marker = item.get_closest_marker("rule")
    if marker is None or not marker.args:
        return None
    return str(marker.args[0])


def apply_levels(
    item: pytest.Item,
    call: pytest.CallInfo[None],
    report: pytest.TestReport,
    strict: bool,
) -> None:
    """Rewrite the call-phase ``report`` of a conformance test according to its rule's level."""
    rule_id = rule_id_of(item)
    if rule_id is None or rule_id not in RULES or report.when != "call":
        return

    if strict:
        _fail_non_preferred_choices(item, rule_id, report)
        return

    if not report.failed or RULES[rule_id].level != SHOULD:
        return
    if call.excinfo is not None and call.excinfo.errisinstance(KIT_ERRORS):
        return

    message = "failed"
    if call.excinfo is not None:
        message = first_line(short_exception_name(call.excinfo.exconly()))
    report.outcome = "skipped"
    report.wasxfail = f"{DEVIATION_PREFIX} ({rule_id}): {message}"  # type: ignore[attr-defined]


def non_preferred_choices(item: pytest.Item) -> List[Tuple[str, str, str]]:
    """Return ``(rule_id, choice, preferred)`` for each non-preferred choice ``item`` recorded."""
    found = []
    for name, value in item.user_properties:
        if name != VARIATION_PROPERTY:
            continue
        rule_id, _, choice = str(value).partition("=")
        rule = RULES.get(rule_id)
        if rule is not None and rule.preferred is not None and choice != rule.preferred:
            found.append((rule_id, choice, rule.preferred))
    return found


def _fail_non_preferred_choices(
    item: pytest.Item, rule_id: str, report: pytest.TestReport
) -> None:
    choices = non_preferred_choices(item)
    if not choices or report.skipped:
        return

    for variation_id, choice, _ in choices:
        report.user_properties.append((CHOICE_FAILURE_PROPERTY, f"{variation_id}={choice}"))
    if not report.passed:
        return

    lines = [
        f"{variation_id}: {strict_choice_message(choice, preferred)}"
        for variation_id, choice, preferred in choices
    ]
    variation_ids = [variation_id for variation_id, _, _ in choices]
    if rule_id not in variation_ids:
        lines.append(
            f"The checks of rule {rule_id} passed, so this failure counts against "
            f"{', '.join(variation_ids)} only."
        )
    report.outcome = "failed"
    report.longrepr = "\n".join(lines)
    report.user_properties.append((CHECKS_PASSED_PROPERTY, True))
