"""Text of the run header and of the terminal summary of a certification run."""

from __future__ import annotations

import shlex
from importlib.metadata import PackageNotFoundError, version
from typing import Dict, List, Optional, Sequence

import pytest

import conformance
from conformance.profiles import current_profile_name, run_seed
from conformance.results import StoreResult
from conformance.targets import StoreTarget

SDK_DISTRIBUTION = "zohocrmsdk8-0"


def sdk_version() -> str:
    """Return the installed version of the Zoho CRM SDK, or ``"unknown"``."""
    try:
        return version(SDK_DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


def header_lines(config: pytest.Config, targets: Sequence[StoreTarget]) -> List[str]:
    """Return the run header: stores under test, versions, Hypothesis profile and seed."""
    versions = f"{conformance.__version__}, {SDK_DISTRIBUTION} {sdk_version()}"
    lines = [f"tokenstore conformance {versions}"]
    for target in targets:
        lines.append(f"store under test: {target.name} ({describe_target(target)})")

    seed = run_seed(config)
    seed_text = seed if seed is not None else "none forced (the profile derandomizes)"
    lines.append(f"hypothesis profile: {current_profile_name()}, seed: {seed_text}")
    lines.append(f"repeat this run: {repeat_command(config, seed)}")
    return lines


def describe_target(target: StoreTarget) -> str:
    """Return ``source: ..., features: ...`` for a store."""
    if target.factory is None:
        features = "from the tokenstore_features fixture"
    else:
        features = ", ".join(sorted(target.features)) or "none"
    return f"source: {target.source}, features: {features}"


def repeat_command(config: pytest.Config, seed: Optional[str]) -> str:
    """Return a shell command that repeats this run with the same Hypothesis seed."""
    arguments: List[str] = []
    skip_next = False
    for argument in map(str, config.invocation_params.args):
        if skip_next:
            skip_next = False
        elif argument == "--hypothesis-seed":
            skip_next = True
        elif not argument.startswith("--hypothesis-seed="):
            arguments.append(argument)

    if seed is not None:
        arguments.append(f"--hypothesis-seed={seed}")
    return " ".join(["pytest", *map(shlex.quote, arguments)])


def summary_lines(results: Sequence[StoreResult], strict: bool) -> List[str]:
    """Return the per-store summary: failures, deviations, variations and the verdict."""
    lines: List[str] = []
    for result in results:
        if lines:
            lines.append("")
        lines += _store_block(result, strict)
    return lines


def _store_block(result: StoreResult, strict: bool) -> List[str]:
    lines = [f"{result.target.name} ({describe_target(result.target)})"]

    failed = [rule for rule in result.rules if rule.outcome == "failed" and not rule.deviation]
    for rule in failed:
        lines.append(f"  FAILED {rule.rule.id} {rule.rule.level}: {rule.reason}")

    for rule in result.deviations:
        lines.append(f"  DEVIATION {rule.rule.id} SHOULD: {rule.reason}")

    if result.variations:
        choices = "; ".join(
            f"{rule_id}: {', '.join(names)}" for rule_id, names in result.variations.items()
        )
        lines.append(f"  variations: {choices}")

    # Rules skipped for the same reason share one line.
    by_reason: Dict[str, List[str]] = {}
    for rule in result.not_applicable:
        by_reason.setdefault(rule.message or "", []).append(rule.rule.id)
    for reason, rule_ids in by_reason.items():
        lines.append(f"  skipped {', '.join(rule_ids)}: {reason}")

    if result.untested_rule_ids:
        lines.append(f"  no test in this run: {', '.join(result.untested_rule_ids)}")

    mode = " [strict]" if strict else ""
    lines.append(result.verdict() + mode)
    return lines
