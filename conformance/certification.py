"""The per-run part of the plugin: results, run header, JSON report and terminal summary.

The plugin registers one ``CertificationRun`` when at least one store is
under test, so these hooks never run without a store.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import List, Optional, Sequence

import pytest

import conformance
from conformance.profiles import current_profile_name, run_seed
from conformance.report import ReportWriteError, build_report, write_report
from conformance.results import RunResults
from conformance.summary import header_lines, sdk_version, summary_lines
from conformance.targets import StoreTarget

logger = logging.getLogger("conformance")


class CertificationRun:
    """Collects the outcomes of one pytest run and reports them per store."""

    NAME = "tokenstore-certification-run"

    def __init__(self, config: pytest.Config, targets: Sequence[StoreTarget]) -> None:
        self.config = config
        self.targets = list(targets)
        self.results = RunResults(targets, sdk_tier_skipped=config.getoption("store_skip_sdk"))
        self.report_error: Optional[str] = None

    def pytest_report_header(self, config: pytest.Config) -> List[str]:
        return header_lines(config, self.targets)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # On a pytest-xdist controller this hook receives the workers' reports,
        # so the results are built from reports alone.
        self.results.add_report(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        path = self.config.getoption("store_report")
        if path is None or hasattr(self.config, "workerinput") or self.config.option.collectonly:
            return

        report = build_report(
            self.results.stores(),
            kit_version=conformance.__version__,
            sdk_version=sdk_version(),
            hypothesis_profile=current_profile_name(),
            seed=run_seed(self.config),
            strict=self.config.getoption("store_strict"),
        )
        try:
            write_report(Path(path), report)
        except ReportWriteError as error:
            logger.error("%s", error)
            self.report_error = str(error)
            session.exitstatus = pytest.ExitCode.USAGE_ERROR

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.config.option.collectonly:
            return

        terminalreporter.section("tokenstore conformance")
        strict = self.config.getoption("store_strict")
        for line in summary_lines(self.results.stores(), strict=strict):
            terminalreporter.write_line(line)

        path = self.config.getoption("store_report")
        if self.report_error:
            terminalreporter.write_line(f"ERROR: {self.report_error}", red=True)
        elif path is not None:
            terminalreporter.write_line(f"certification report written to {path}")
