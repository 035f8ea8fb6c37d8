"""Helpers for the kit's own tests: run the plugin through pytester and read its report."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

TESTS_DIR = Path(__file__).parent

# Variables that make Hypothesis load its own "ci" profile (hypothesis 6.170,
# hypothesis/_settings.py), which changes the profile that child runs select.
HYPOTHESIS_CI_VARIABLES = (
    "CI",
    "__TOX_ENVIRONMENT_VARIABLE_ORIGINAL_CI",
    "TF_BUILD",
    "bamboo.buildKey",
    "BUILDKITE",
    "CIRCLECI",
    "CIRRUS_CI",
    "CODEBUILD_BUILD_ID",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "HEROKU_TEST_RUN_ID",
    "TEAMCITY_VERSION",
)


def pytest_configure(config: pytest.Config) -> None:
    """Run this suite and its child pytest processes as on a developer machine, also in CI.

    The kit's own tests check which profile a certification run selects, and a
    CI variable would change it in every child process. Tests of the CI
    behaviour set the variable again themselves.
    """
    for name in HYPOTHESIS_CI_VARIABLES:
        os.environ.pop(name, None)

    if settings.get_current_profile_name() == "ci":
        settings.load_profile("default")


@pytest.fixture
def run_kit(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """A callable ``run_kit(*store_names, args=()) -> (RunResult, report)``.

    It runs ``pytest --store=NAME ...`` in a pytester directory that can import
    the modules in ``tests/`` (the planted defective stores among them), in a
    subprocess so that each run starts with a clean interpreter, and returns
    pytest's result together with the parsed ``--store-report`` JSON.
    """

    def run(*store_names: str, args: tuple[str, ...] = ()) -> tuple[pytest.RunResult, dict[str, Any]]:
        report_path = pytester.path / "store-report.json"
        command = [f"--store={name}" for name in store_names]
        command += [f"--store-report={report_path}", "-p", "no:cacheprovider", *args]

        monkeypatch.setenv("PYTHONPATH", str(TESTS_DIR))
        result = pytester.runpytest_subprocess(*command)

        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        return result, report

    return run
