"""Time a full certification run of each reference store and print a table.

Each run is ``python -m pytest --store=NAME`` in a fresh temporary directory,
measured from outside: wall time, and the peak resident set size of the pytest
process and the processes it started. Usage::

    python benchmarks/bench_suite.py                      # the three reference stores
    python benchmarks/bench_suite.py --repeat 3 --strict
    python benchmarks/bench_suite.py --store mypkg:MyStore -- -k "not sdk"

Arguments after ``--`` go to pytest unchanged. The exit status is 1 when any
run's pytest exit status was not 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

REPOSITORY = Path(__file__).resolve().parents[1]

REFERENCE_STORES = (
    "reference_stores:ListStore",
    "reference_stores:SQLiteMemoryStore",
    "reference_stores:SQLiteFileStore",
)

# pytest's final line, for example "178 passed, 10 skipped, 2 xfailed in 2.36s".
_OUTCOME = re.compile(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?|deselected)")


@dataclass
class Run:
    """One measured pytest run of one store."""

    store: str
    exit_status: int
    wall_seconds: float
    peak_rss_mb: float
    outcomes: str


def measure_once(store: str, pytest_arguments: Sequence[str]) -> Run:
    """Run pytest for ``store`` in a child process that reports its children's peak RSS.

    ``RUSAGE_CHILDREN`` keeps the maximum over every child ever waited for, so
    each run goes through its own measuring process to get a peak per run.
    """
    command = [sys.executable, __file__, "--measure", store, "--", *pytest_arguments]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        result = json.loads(completed.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise RuntimeError(
            f"measuring {store} failed (exit status {completed.returncode}): "
            f"{completed.stderr.strip()[-2000:]}"
        ) from None
    return Run(store=store, **result)


def run_measured(store: str, pytest_arguments: Sequence[str]) -> dict:
    """Run pytest once for ``store`` and return its measurements (the ``--measure`` mode)."""
    environment = dict(os.environ)
    python_path = [str(REPOSITORY), environment.get("PYTHONPATH", "")]
    environment["PYTHONPATH"] = os.pathsep.join(path for path in python_path if path)

    with tempfile.TemporaryDirectory(prefix="bench-suite-") as directory:
        command = [
            sys.executable,
            "-m",
            "pytest",
            f"--store={store}",
            "-q",
            "-p",
            "no:cacheprovider",
            *pytest_arguments,
        ]
        started = time.perf_counter()
        completed = subprocess.run(
            command, cwd=directory, env=environment, capture_output=True, text=True, check=False
        )
        wall_seconds = time.perf_counter() - started

    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak_mb = peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
    return {
        "exit_status": completed.returncode,
        "wall_seconds": wall_seconds,
        "peak_rss_mb": peak_mb,
        "outcomes": summarize_outcomes(completed.stdout),
    }


def summarize_outcomes(output: str) -> str:
    """Return pytest's outcome counts from its output, such as ``178 passed, 10 skipped``."""
    lines = [line for line in output.splitlines() if " in " in line and _OUTCOME.search(line)]
    if not lines:
        return "no summary line"
    return ", ".join(f"{count} {kind}" for count, kind in _OUTCOME.findall(lines[-1]))


def print_table(runs: List[Run], repeat: int) -> None:
    """Print one row per store: median and maximum wall time, peak RSS, outcomes."""
    print(f"Python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"{repeat} run(s) per store; times are wall clock, RSS is the peak of any process\n")
    header = f"{'store':<38} {'median s':>9} {'max s':>7} {'peak RSS MB':>12}  outcomes"
    print(header)
    print("-" * len(header))

    for store in dict.fromkeys(run.store for run in runs):
        mine = [run for run in runs if run.store == store]
        times = [run.wall_seconds for run in mine]
        failed = [run.exit_status for run in mine if run.exit_status != 0]
        outcome = mine[-1].outcomes + (f" (exit status {failed[0]})" if failed else "")
        print(
            f"{store:<38} {statistics.median(times):>9.1f} {max(times):>7.1f} "
            f"{max(run.peak_rss_mb for run in mine):>12.0f}  {outcome}"
        )


def parse_arguments(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--store",
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="store to certify; repeat for several (default: the three reference stores)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per store (default: 1)")
    parser.add_argument(
        "--strict", action="store_true", help="pass --store-strict to pytest (default: off)"
    )
    parser.add_argument("--measure", metavar="MODULE:ATTR", help=argparse.SUPPRESS)
    parser.add_argument("pytest_arguments", nargs="*", help="arguments for pytest, after --")
    arguments = parser.parse_args(argv)

    if arguments.repeat < 1:
        parser.error(f"--repeat {arguments.repeat} is invalid: give 1 or more runs")
    return arguments


def main(argv: Optional[Sequence[str]] = None) -> int:
    arguments = parse_arguments(argv)
    pytest_arguments = list(arguments.pytest_arguments)

    if arguments.measure:
        print(json.dumps(run_measured(arguments.measure, pytest_arguments)))
        return 0

    if arguments.strict:
        pytest_arguments.insert(0, "--store-strict")
    stores = arguments.store or list(REFERENCE_STORES)

    runs = []
    for store in stores:
        for number in range(arguments.repeat):
            print(f"running {store} ({number + 1}/{arguments.repeat})...", file=sys.stderr)
            runs.append(measure_once(store, pytest_arguments))

    print_table(runs, arguments.repeat)
    return 1 if any(run.exit_status != 0 for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
