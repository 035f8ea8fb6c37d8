"""Outcomes of a certification run, per store and rule, and the verdict of each store.

The plugin tags each conformance test with its store and rule id (as
``user_properties``, which also reach a pytest-xdist controller), feeds every
test report to ``RunResults.add_report`` and reads ``RunResults.stores()``
for the terminal summary and the JSON report.

A rule's outcome over its tests: ``failed`` if any test failed or errored (a
SHOULD deviation counts as a failure), ``skipped`` if every test was skipped
as not applicable, else ``passed``. A store is certified when no test fails
the run and every rule had a test in this run: a run narrowed with ``-k``,
``-m`` or a path is a partial run, never a certification. The one exception is
``--store-skip-sdk``, which certifies the direct-call rules only and names the skipped
tier in the verdict.
MUST and variation failures and errors always fail the run, SHOULD failures
only under ``--store-strict``.

Under ``--store-strict`` a recorded non-preferred variation choice fails the
variation's own rule (for example V-ID-MISSING), never the rule of the test
that recorded it: ``conformance.levels`` tags such a call report, and this
module counts the failure once per test under the variation's id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import pytest

from conformance.rules import MUST, RULES, SHOULD, VARIATION, Rule
from conformance.targets import StoreTarget

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"

# user_properties names that tag a conformance test.
STORE_PROPERTY = "tokenstore_store"
RULE_PROPERTY = "tokenstore_rule"
VARIATION_PROPERTY = "tokenstore_variation"
# report.user_properties names that conformance.levels adds under --store-strict.
# CHOICE_FAILURE_PROPERTY has a "V-ID=choice" value that fails strict mode.
# CHECKS_PASSED_PROPERTY is True on a call report that failed only for such a choice.
CHOICE_FAILURE_PROPERTY = "tokenstore_choice_failure"
CHECKS_PASSED_PROPERTY = "tokenstore_checks_passed"

# Prefix of the xfail reason of a SHOULD failure that does not fail the run.
DEVIATION_PREFIX = "SHOULD deviation"


@dataclass
class TestOutcome:
    """The combined outcome of one test's setup, call and teardown."""

    nodeid: str
    store: str
    rule_id: str
    outcome: str = PASSED
    # True when the test's failure is a SHOULD deviation that does not fail the run.
    deviation: bool = False
    # One line: the error of a failure, or the reason of a skip.
    message: Optional[str] = None
    # True for the strict-mode failure of a variation choice that this test
    # recorded; rule_id is then the variation's id, not the test's own rule.
    choice_failure: bool = False

    @property
    def test_name(self) -> str:
        """The test function's name, without the module and the parameters."""
        return self.nodeid.split("::")[-1].split("[")[0]

    @property
    def reason(self) -> Optional[str]:
        """The message prefixed with the test name, or ``None`` when there is no message.

        A choice failure gives the message alone, because every test that
        records the same choice fails the variation with the same message.
        """
        if self.message is None or self.choice_failure:
            return self.message
        return f"{self.test_name}: {self.message}"

    @property
    def fails_run(self) -> bool:
        """Whether this test makes pytest's exit status non-zero."""
        return self.outcome == FAILED and not self.deviation


@dataclass
class RuleResult:
    """The outcome of one rule for one store, over all of that rule's tests."""

    rule: Rule
    outcome: str
    # The first failed test (or, for a skipped rule, the first skipped test).
    test: Optional[TestOutcome] = None
    # True when the rule failed only through SHOULD deviations.
    deviation: bool = False

    @property
    def reason(self) -> Optional[str]:
        """``test_name: message`` of the failed or skipped test; ``None`` for a passed rule."""
        return None if self.test is None else self.test.reason

    @property
    def message(self) -> Optional[str]:
        """The failure or skip message without the test name."""
        return None if self.test is None else self.test.message


@dataclass
class StoreResult:
    """The outcomes of one store that the summary and the JSON report show."""

    target: StoreTarget
    rules: List[RuleResult]
    variations: Dict[str, List[str]]
    certified: bool
    untested_rule_ids: List[str] = field(default_factory=list)
    sdk_tier_skipped: bool = False

    def failed(self, level: str) -> List[RuleResult]:
        """Return the failed rules of ``level`` that fail the run (not deviations)."""
        return [
            result
            for result in self.rules
            if result.rule.level == level and result.outcome == FAILED and not result.deviation
        ]

    @property
    def deviations(self) -> List[RuleResult]:
        """SHOULD rules that failed without failing the run."""
        return [result for result in self.rules if result.deviation]

    @property
    def not_applicable(self) -> List[RuleResult]:
        """Rules whose every test was skipped."""
        return [result for result in self.rules if result.outcome == SKIPPED]

    @property
    def passed_count(self) -> int:
        """How many rules passed."""
        return sum(1 for result in self.rules if result.outcome == PASSED)

    @property
    def fails_run(self) -> bool:
        """Whether a MUST or variation failure, a strict deviation or an error occurred."""
        return any(result.outcome == FAILED and not result.deviation for result in self.rules)

    def verdict(self) -> str:
        """Return the verdict line, for example ``a:B: CERTIFIED (38 rules passed, ...)``."""
        deviations = len(self.deviations)
        if not self.rules:
            return f"{self.target.name}: NOT CERTIFIED (no conformance test ran)"
        counts = (
            f"{_count(self.passed_count, 'rule')} passed, {len(self.failed(MUST))} MUST failed, "
            f"{_count(deviations, 'SHOULD deviation')}"
        )
        if self.certified:
            scope = ", SDK tier skipped" if self.sdk_tier_skipped else ""
            return f"{self.target.name}: CERTIFIED ({counts}{scope})"
        if not self.fails_run:
            not_run = len(self.untested_rule_ids)
            return (
                f"{self.target.name}: NOT CERTIFIED, partial run ({counts}; "
                f"{_count(not_run, 'rule')} not run)"
            )

        parts = []
        labels = ((MUST, "MUST rule"), (SHOULD, "SHOULD rule"), (VARIATION, "variation"))
        for level, label in labels:
            failed = self.failed(level)
            if failed:
                ids = ", ".join(result.rule.id for result in failed)
                parts.append(f"{_count(len(failed), label)} failed: {ids}")
        if deviations:
            parts.append(_count(deviations, "SHOULD deviation"))
        return f"{self.target.name}: NOT CERTIFIED ({'; '.join(parts)})"


class RunResults:
    """Collects test reports of conformance tests and sums them up per store and rule."""

    def __init__(self, targets: Sequence[StoreTarget], sdk_tier_skipped: bool = False) -> None:
        self._targets = list(targets)
        self._sdk_tier_skipped = sdk_tier_skipped
        self._tests: Dict[str, TestOutcome] = {}
        # Strict-mode failures of variation choices, by (node id, variation id).
        self._choice_failures: Dict[Tuple[str, str], TestOutcome] = {}
        self._variations: Dict[str, Dict[str, Set[str]]] = {}

    def add_report(self, report: pytest.TestReport) -> None:
        """Fold one setup, call or teardown report into its test's outcome."""
        properties = _properties(report)
        store = properties.get(STORE_PROPERTY)
        rule_id = properties.get(RULE_PROPERTY)
        if store is None or rule_id is None:
            return

        for name, value in report.user_properties:
            if name == VARIATION_PROPERTY:
                variation_id, _, choice = str(value).partition("=")
                self._variations.setdefault(store, {}).setdefault(variation_id, set()).add(choice)
            elif name == CHOICE_FAILURE_PROPERTY:
                self._add_choice_failure(report.nodeid, store, str(value))

        test = self._tests.get(report.nodeid)
        if test is None:
            test = self._tests[report.nodeid] = TestOutcome(report.nodeid, store, rule_id)
        _fold(test, report)

    def _add_choice_failure(self, nodeid: str, store: str, value: str) -> None:
        variation_id, _, choice = value.partition("=")
        rule = RULES.get(variation_id)
        if rule is None or rule.preferred is None:
            return

        self._choice_failures[(nodeid, variation_id)] = TestOutcome(
            nodeid,
            store,
            variation_id,
            outcome=FAILED,
            message=strict_choice_message(choice, rule.preferred),
            choice_failure=True,
        )

    def stores(self) -> List[StoreResult]:
        """Return one result per store under test, in the order the stores were named."""
        return [self._store_result(target) for target in self._targets]

    def _store_result(self, target: StoreTarget) -> StoreResult:
        tests = [test for test in self._tests.values() if test.store == target.name]
        tests += [test for test in self._choice_failures.values() if test.store == target.name]

        rules = []
        for rule_id, rule in RULES.items():
            rule_tests = [test for test in tests if test.rule_id == rule_id]
            if rule_tests:
                rules.append(_rule_result(rule, rule_tests))

        tested = {result.rule.id for result in rules}
        untested = [rule_id for rule_id in RULES if rule_id not in tested]
        required = [
            rule_id
            for rule_id in untested
            if not (self._sdk_tier_skipped and rule_id.startswith("SDK"))
        ]
        choices = self._variations.get(target.name, {})
        return StoreResult(
            target=target,
            rules=rules,
            variations={rule_id: sorted(choices[rule_id]) for rule_id in sorted(choices)},
            certified=bool(tests) and not required and not any(t.fails_run for t in tests),
            untested_rule_ids=untested,
            sdk_tier_skipped=self._sdk_tier_skipped,
        )


def _rule_result(rule: Rule, tests: List[TestOutcome]) -> RuleResult:
    failed = [test for test in tests if test.outcome == FAILED]
    if failed:
        deviation = all(test.deviation for test in failed)
        return RuleResult(rule, FAILED, failed[0], deviation=deviation)

    skipped = [test for test in tests if test.outcome == SKIPPED]
    if len(skipped) == len(tests):
        return RuleResult(rule, SKIPPED, skipped[0])
    return RuleResult(rule, PASSED)


def _fold(test: TestOutcome, report: pytest.TestReport) -> None:
    """Update ``test`` with ``report``; a failure is kept over any later outcome.

    A teardown error after a SHOULD deviation replaces the deviation, because
    the error fails the run.
    """
    if test.outcome == FAILED and not (test.deviation and report.failed):
        return
    if report.failed and _properties(report).get(CHECKS_PASSED_PROPERTY):
        # The call passed its checks and failed strict mode only for a variation
        # choice, which counts against the variation's id instead.
        return

    wasxfail = getattr(report, "wasxfail", None)

    if report.failed:
        test.outcome = FAILED
        test.deviation = False
        phase = "" if report.when == "call" else f"error at {report.when}: "
        test.message = f"{phase}{failure_message(report)}"
    elif report.skipped and wasxfail is not None and str(wasxfail).startswith(DEVIATION_PREFIX):
        test.outcome = FAILED
        test.deviation = True
        # The xfail reason reads "SHOULD deviation (F3): <error>", so keep the error.
        test.message = str(wasxfail).partition("): ")[2] or str(wasxfail)
    elif report.skipped:
        test.outcome = SKIPPED
        test.message = skip_reason(report)


def strict_choice_message(choice: str, preferred: str) -> str:
    """Return why ``--store-strict`` rejects ``choice`` of a variation that prefers ``preferred``."""
    return f"the store chose {choice!r}; --store-strict accepts only {preferred!r}"


def failure_message(report: pytest.TestReport) -> str:
    """Return the first line of a failed report's error, for example ``AssertionError: ...``."""
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        text = crash.message
    else:
        text = str(longrepr)
    return first_line(short_exception_name(text))


def skip_reason(report: pytest.TestReport) -> str:
    """Return the reason of a skipped report without pytest's ``Skipped: `` prefix."""
    wasxfail = getattr(report, "wasxfail", None)
    if wasxfail is not None:
        return f"xfail: {wasxfail}" if wasxfail else "xfail"

    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    prefix = "Skipped: "
    return first_line(reason[len(prefix) :] if reason.startswith(prefix) else reason)


def short_exception_name(text: str) -> str:
    """Shorten ``package.module.SDKException: message`` to ``SDKException: message``."""
    name, colon, rest = text.partition(":")
    if colon and "." in name and " " not in name:
        return name.rsplit(".", 1)[1] + colon + rest
    return text


def first_line(text: str, limit: int = 200) -> str:
    """Return the first non-empty line of ``text``, cut to ``limit`` characters."""
    for line in str(text).splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""


def _properties(report: pytest.TestReport) -> Dict[str, Any]:
    return {name: value for name, value in report.user_properties}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
