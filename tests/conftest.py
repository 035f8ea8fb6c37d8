"""Helpers for the kit's own tests: run the plugin through pytester and read its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).parent


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
