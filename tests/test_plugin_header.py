"""Run header, Hypothesis profile selection and the seed that repeats a run.

These runs use a subprocess each, because profiles and the forced seed are
global state of Hypothesis.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import List

import pytest
from hypothesis import settings
from plugin_helpers import STORES_MODULE, KitRunner, kit  # noqa: F401  (kit is a fixture)

import conformance
from conformance.summary import sdk_version

# Writes each drawn example and the active profile's max_examples to a file.
HYPOTHESIS_TESTS = """
import pytest
from hypothesis import given, settings, strategies as st


@pytest.mark.rule("R1")
@given(value=st.integers())
def test_draws_values(value):
    with open("drawn.txt", "a", encoding="utf-8") as handle:
        handle.write(repr(value) + "\\n")


@pytest.mark.rule("R2")
def test_active_profile():
    with open("profile.txt", "w", encoding="utf-8") as handle:
        handle.write(str(settings.default.max_examples))
"""

USER_PROFILE_CONFTEST = """
from hypothesis import settings

settings.register_profile("mine", max_examples=3)
settings.load_profile("mine")
"""



@dataclass
class Run:
    """The output of one pytest subprocess and the values its Hypothesis test drew."""

    stdout: str
    drawn: List[str]
    max_examples: str

    def header(self, prefix: str) -> str:
        for line in self.stdout.splitlines():
            if line.startswith(prefix):
                return line[len(prefix) :]
        raise AssertionError(f"no header line starts with {prefix!r}:\n{self.stdout}")


def run_pytest(directory: Path, *args: str) -> Run:
    """Run pytest in ``directory`` in a subprocess and collect what its tests wrote."""
    for name in ("drawn.txt", "profile.txt"):
        (directory / name).unlink(missing_ok=True)

    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )
    drawn_path = directory / "drawn.txt"
    profile_path = directory / "profile.txt"
    return Run(
        stdout=completed.stdout + completed.stderr,
        drawn=drawn_path.read_text(encoding="utf-8").splitlines() if drawn_path.exists() else [],
        max_examples=profile_path.read_text(encoding="utf-8") if profile_path.exists() else "",
    )


@pytest.fixture(scope="module")
def hypothesis_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("hypothesis-runs")
    (directory / "kitstores.py").write_text(textwrap.dedent(STORES_MODULE), encoding="utf-8")
    (directory / "test_hypothesis.py").write_text(HYPOTHESIS_TESTS, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def seeded_runs(hypothesis_dir: Path) -> List[Run]:
    """Three runs: a random seed, the repeat command it printed, and the next seed."""
    first = run_pytest(hypothesis_dir, "--store=kitstores:persistent_store", "test_hypothesis.py")

    command = shlex.split(first.header("repeat this run: "))
    assert command[0] == "pytest"
    repeated = run_pytest(hypothesis_dir, *command[1:])

    seed = int(first.header("hypothesis profile: ").rsplit(" ", 1)[1])
    other = run_pytest(
        hypothesis_dir,
        "--store=kitstores:persistent_store",
        "--hypothesis-seed",
        str(seed + 1),
        "test_hypothesis.py",
    )
    return [first, repeated, other]


def test_header_names_store_and_versions(seeded_runs: List[Run]) -> None:
    lines = seeded_runs[0].stdout.splitlines()

    versions = f"{conformance.__version__}, zohocrmsdk8-0 {sdk_version()}"
    assert f"tokenstore conformance {versions}" in lines
    assert (
        "store under test: kitstores:persistent_store (source: option, features: persistent)"
        in lines
    )
    assert re.fullmatch(r"conformance, seed: \d+", seeded_runs[0].header("hypothesis profile: "))
    assert re.fullmatch(
        r"pytest -p no:cacheprovider --store=kitstores:persistent_store test_hypothesis.py "
        r"--hypothesis-seed=\d+",
        seeded_runs[0].header("repeat this run: "),
    )
    assert sdk_version() != "unknown"


def test_conformance_profile_loaded_by_default(seeded_runs: List[Run]) -> None:
    expected = str(settings.get_profile("conformance").max_examples)

    assert seeded_runs[0].max_examples == expected


def test_seed_line_repeats_run(seeded_runs: List[Run]) -> None:
    first, repeated, _ = seeded_runs

    assert first.drawn
    assert repeated.drawn == first.drawn
    assert repeated.header("hypothesis profile: ") == first.header("hypothesis profile: ")


def test_other_seed_draws_other_values(seeded_runs: List[Run]) -> None:
    first, _, other = seeded_runs

    assert other.drawn
    assert other.drawn != first.drawn


def test_user_seed_kept(seeded_runs: List[Run]) -> None:
    first, _, other = seeded_runs
    seed = int(first.header("hypothesis profile: ").rsplit(" ", 1)[1]) + 1

    assert other.header("hypothesis profile: ") == f"conformance, seed: {seed}"
    command = other.header("repeat this run: ")
    assert command.endswith(f"--hypothesis-seed={seed}")
    assert command.count(str(seed)) == 1


def test_user_profile_from_conftest_kept(kit: KitRunner) -> None:
    kit.write_tests(HYPOTHESIS_TESTS, name="test_hypothesis")
    kit.pytester.makeconftest(USER_PROFILE_CONFTEST)

    result = kit.run("--store=kitstores:MemoryStore", "test_hypothesis.py", subprocess=True)

    result.stdout.fnmatch_lines(["hypothesis profile: mine, seed: *"])
    assert (kit.pytester.path / "profile.txt").read_text() == "3"


def test_user_profile_option_kept(kit: KitRunner) -> None:
    kit.write_tests(HYPOTHESIS_TESTS, name="test_hypothesis")

    result = kit.run(
        "--store=kitstores:MemoryStore",
        "--hypothesis-profile=conformance-ci",
        "test_hypothesis.py",
        subprocess=True,
    )

    # conformance-ci derandomizes, so no seed is forced on it.
    result.stdout.fnmatch_lines(
        [
            "hypothesis profile: conformance-ci, seed: none forced (the profile derandomizes)",
            "repeat this run: pytest * --hypothesis-profile=conformance-ci test_hypothesis.py",
        ]
    )
    assert "--hypothesis-seed" not in result.stdout.str()


def test_no_store_keeps_default_profile(kit: KitRunner) -> None:
    kit.write_tests(
        """
        from hypothesis import settings

        def test_profile_untouched():
            assert settings.get_current_profile_name() == "default"
        """,
        name="test_plain_profile",
    )

    result = kit.run("test_plain_profile.py", subprocess=True)

    result.assert_outcomes(passed=1)
    assert "repeat this run" not in result.stdout.str()


def test_ci_environment_selects_ci_profile(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")

    result = pytester.runpytest_subprocess(
        "--store=reference_stores:ListStore", "--collect-only", "-p", "no:cacheprovider"
    )

    header = result.stdout.str()
    assert "hypothesis profile: conformance-ci" in header
    assert "seed: none forced (the profile derandomizes)" in header
