"""Certify every planted defective store and check that the kit catches its defect.

``CORPUS`` lists each store of ``tests/defective_stores`` with the rule that
must fail for it. The kit runs once per group of stores, in a child pytest
process, with several ``--store`` options, and every test below reads one
store's entry of that run's ``--store-report`` JSON:

- ``must_run``: the stores whose defect breaks a MUST rule, without strict
  mode. Each must fail its rule and not be certified.
- ``lenient_run`` and ``strict_run``: the clean control stores together with
  the stores whose defect breaks only a SHOULD rule or picks a non-preferred
  variation choice. Without ``--store-strict`` the run exits 0 and every store
  is certified. With it the run fails and only the clean stores are certified.

One run per group, not one per store, keeps the corpus within its time
budget: the kit's own ``run_kit`` fixture is function-scoped, so these
module-scoped fixtures start the child process themselves, with the same
options and ``PYTHONPATH``. Every run uses the Hypothesis profile
``defect-corpus`` (``defective_stores/_hypothesis_profile.py``): the kit's
derandomized ``conformance-ci`` profile without shrinking, so the M1 state
machine explores the same call sequences each time and a failure costs no
shrinking time.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import pytest

from conformance.rules import MUST, RULES, SHOULD, VARIATION

TESTS_DIR = Path(__file__).parent
CORPUS_DIR = TESTS_DIR / "defective_stores"

CLEAN_STORES = ("clean_store:CleanListStore", "clean_store:CleanSQLiteStore")

HYPOTHESIS_PROFILE = "defect-corpus"
HYPOTHESIS_PROFILE_MODULE = "defective_stores._hypothesis_profile"

# A hung child run fails the test instead of blocking the whole test session.
RUN_TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class PlantedDefect:
    """A defective store, the rule that must fail for it, and whether only strict mode fails.

    ``also_fails`` names rules of the SDK-flow tier that the same defect must
    break too, because the SDK runs into it (checked like ``rule``).
    """

    store: str
    rule: str
    strict_only: bool
    also_fails: Tuple[str, ...] = ()

    @property
    def module(self) -> str:
        """The store's module name inside ``defective_stores``."""
        return self.store.partition(":")[0].rpartition(".")[2]

    @property
    def test_id(self) -> str:
        """The pytest id of the store's tests: the rule, then the module."""
        return f"{self.rule}-{self.module}"


def planted(
    store: str, rule: str, strict_only: bool = False, also_fails: Tuple[str, ...] = ()
) -> PlantedDefect:
    return PlantedDefect(f"defective_stores.{store}", rule, strict_only, also_fails)


CORPUS = (
    # Lookups: find_token
    planted("f1_first_record_fallback:FirstRecordFallbackStore", "F1"),
    # OAuthToken.revoke(id) reads the refresh token from its own probe.
    planted("f2_returns_new_token:ReturnsNewTokenStore", "F2", also_fails=("SDK8",)),
    planted("f3_rejects_other_types:RejectsOtherTypesStore", "F3", strict_only=True),
    planted("f4_missing_parentheses:MissingParenthesesStore", "F4", strict_only=True),
    # save_token
    planted("s1_single_slot:SingleSlotStore", "S1"),
    planted("s1_stops_after_twenty:StopsAfterTwentyStore", "S1"),
    planted("s2_update_erases_absent:UpdateErasesAbsentStore", "S2"),
    # OAuthToken.remove() deletes by the id that save_token left on the token.
    planted("s3_update_leaves_id:UpdateLeavesIdStore", "S3", also_fails=("SDK7",)),
    planted("s4_text_max_id:TextMaxIdStore", "S4"),
    planted("s4_list_skips_first:ListSkipsFirstStore", "S4"),
    planted("s4_noreuse_max_plus_one:MaxPlusOneStore", "S4-NOREUSE", strict_only=True),
    planted("s5_swallows_errors:SwallowsErrorsStore", "S5"),
    planted("s6_saves_other_types:SavesOtherTypesStore", "S6", strict_only=True),
    planted("s7_unwrapped_sqlite_errors:UnwrappedSQLiteErrorsStore", "S7", strict_only=True),
    # delete_token, get_tokens, delete_tokens, find_token_by_id
    planted("d1_unquoted_delete:UnquotedDeleteStore", "D1"),
    planted("d1_deletes_by_prefix:DeletesByPrefixStore", "D1"),
    planted("g1_drops_api_domain:DropsApiDomainStore", "G1"),
    planted("g2_shared_tokens:SharedTokensStore", "G2", strict_only=True),
    planted("x1_missing_commit_attribute:MissingCommitAttributeStore", "X1"),
    planted("i1_matches_other_columns:MatchesOtherColumnsStore", "I1"),
    # Values
    planted("r1_sql_concatenation:SQLConcatenationStore", "R1"),
    planted("r1_drops_short_values:DropsShortValuesStore", "R1"),
    planted("r1_hardcoded_api_domain:HardcodedApiDomainStore", "R1"),
    planted("r1_long_truncates:TruncatesLongValuesStore", "R1-LONG", strict_only=True),
    planted("r2_integer_expiry:IntegerExpiryStore", "R2"),
    # Sequences, persistence, threads, security, SQL dialect
    planted("m1_stale_position_index:StalePositionIndexStore", "M1"),
    planted("p1_table_has_row:TableHasRowStore", "P1"),
    # A SHOULD defect that fails without strict mode: the SDK calls the store
    # from the threads of switched users, which SDK6 (MUST) checks.
    planted(
        "c1_shared_memory_connection:SharedMemoryConnectionStore", "C1", also_fails=("SDK6",)
    ),
    planted("c2_no_busy_timeout:NoBusyTimeoutStore", "C2", strict_only=True),
    planted("c3_rewrites_file_in_place:RewritesFileInPlaceStore", "C3", strict_only=True),
    planted("sec1_default_umask:DefaultUmaskStore", "SEC1", strict_only=True),
    planted("sec2_logs_refresh_token:LogsRefreshTokenStore", "SEC2", strict_only=True),
    planted("sql1_update_limit:UpdateLimitStore", "SQL1", strict_only=True),
    # Variation points
    planted("v_id_missing_raises:IdMissingRaisesStore", "V-ID-MISSING", strict_only=True),
    planted(
        "v_delete_missing_raises:DeleteMissingRaisesStore", "V-DELETE-MISSING", strict_only=True
    ),
)

MUST_DEFECTS = [defect for defect in CORPUS if not defect.strict_only]
STRICT_ONLY_DEFECTS = [defect for defect in CORPUS if defect.strict_only]

# The MUST rules of direct store calls. The SDK-flow rules SDK1 to SDK9 have
# their own planted stores.
DIRECT_MUST_RULES = [
    rule.id for rule in RULES.values() if rule.level == MUST and not rule.id.startswith("SDK")
]


@dataclass
class KitRun:
    """The outcome of one child pytest run of the kit."""

    exit_code: int
    output: str
    report: Dict[str, Any]

    def store(self, name: str) -> Dict[str, Any]:
        """Return the report entry of ``name``, or fail with the end of the run's output."""
        for entry in self.report.get("stores", []):
            if entry["store"] == name:
                return entry
        pytest.fail(f"no report entry for {name}; end of the run's output:\n{self.tail()}")

    def tail(self, lines: int = 60) -> str:
        """Return the last ``lines`` lines of the run's output."""
        return "\n".join(self.output.splitlines()[-lines:])


def run_kit_once(directory: Path, store_names: Sequence[str], args: Sequence[str] = ()) -> KitRun:
    """Run ``pytest --store=NAME ...`` in ``directory`` in a child process and read its report.

    The child can import the modules in ``tests/`` (``clean_store`` and the
    ``defective_stores`` package) through ``PYTHONPATH``, as in ``run_kit``,
    and keeps its temporary directories under ``directory``.
    """
    report_path = directory / "store-report.json"
    command = [sys.executable, "-m", "pytest"]
    command += [f"--store={name}" for name in store_names]
    command += [f"--store-report={report_path}", f"--basetemp={directory / 'basetemp'}"]
    command += ["-p", "no:cacheprovider"]
    command += ["-p", HYPOTHESIS_PROFILE_MODULE, f"--hypothesis-profile={HYPOTHESIS_PROFILE}"]
    command += args

    environment = dict(os.environ, PYTHONPATH=str(TESTS_DIR))
    completed = subprocess.run(
        command,
        cwd=directory,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
    )

    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return KitRun(completed.returncode, completed.stdout, report)


@pytest.fixture(scope="module")
def must_run(tmp_path_factory: pytest.TempPathFactory) -> KitRun:
    """The kit run over every store whose defect breaks a MUST rule."""
    names = [defect.store for defect in MUST_DEFECTS]
    return run_kit_once(tmp_path_factory.mktemp("must-run"), names)


@pytest.fixture(scope="module")
def lenient_run(tmp_path_factory: pytest.TempPathFactory) -> KitRun:
    """The kit run, without strict mode, over the clean stores and the strict-only defects."""
    names = [*CLEAN_STORES, *(defect.store for defect in STRICT_ONLY_DEFECTS)]
    return run_kit_once(tmp_path_factory.mktemp("lenient-run"), names)


@pytest.fixture(scope="module")
def strict_run(tmp_path_factory: pytest.TempPathFactory) -> KitRun:
    """The kit run with ``--store-strict`` over the clean stores and the strict-only defects."""
    names = [*CLEAN_STORES, *(defect.store for defect in STRICT_ONLY_DEFECTS)]
    return run_kit_once(tmp_path_factory.mktemp("strict-run"), names, ["--store-strict"])


def rule_entry(run: KitRun, store: str, rule_id: str) -> Dict[str, Any]:
    """Return the report entry of ``rule_id`` for ``store``, or fail if no test of it ran."""
    for entry in run.store(store)["rules"]:
        if entry["id"] == rule_id:
            return entry
    pytest.fail(f"{store}: rule {rule_id} is missing from the report; no test of it ran")


def failing_rules(entry: Dict[str, Any]) -> List[str]:
    """Return ``id: reason`` for every failed rule of a store's report entry."""
    failed = [rule for rule in entry["rules"] if rule["outcome"] == "failed"]
    return [f"{rule['id']}: {rule['reason']}" for rule in failed]


@pytest.mark.parametrize("defect", MUST_DEFECTS, ids=lambda defect: defect.test_id)
def test_must_defect_fails_its_rule(must_run: KitRun, defect: PlantedDefect) -> None:
    for rule_id in (defect.rule, *defect.also_fails):
        rule = rule_entry(must_run, defect.store, rule_id)
        assert rule["outcome"] == "failed", (
            f"{defect.store}: rule {rule_id} {rule['outcome']}, expected failed; "
            f"failed rules: {failing_rules(must_run.store(defect.store))}"
        )


@pytest.mark.parametrize("defect", MUST_DEFECTS, ids=lambda defect: defect.test_id)
def test_must_defect_is_not_certified(must_run: KitRun, defect: PlantedDefect) -> None:
    assert must_run.store(defect.store)["certified"] is False


def test_must_defect_run_exits_nonzero(must_run: KitRun) -> None:
    assert must_run.exit_code == 1, must_run.tail()


def test_lenient_run_exits_zero(lenient_run: KitRun) -> None:
    assert lenient_run.exit_code == 0, lenient_run.tail()


def test_strict_run_exits_nonzero(strict_run: KitRun) -> None:
    assert strict_run.exit_code == 1, strict_run.tail()


@pytest.mark.parametrize("defect", STRICT_ONLY_DEFECTS, ids=lambda defect: defect.test_id)
def test_strict_only_defect_passes_lenient_run(lenient_run: KitRun, defect: PlantedDefect) -> None:
    entry = lenient_run.store(defect.store)
    assert entry["certified"] is True, failing_rules(entry)

    if RULES[defect.rule].level == SHOULD:
        rule = rule_entry(lenient_run, defect.store, defect.rule)
        assert rule["outcome"] == "failed", f"{defect.store}: rule {defect.rule} {rule['outcome']}"
    else:
        preferred = RULES[defect.rule].preferred
        choice = entry["variations"].get(defect.rule)
        assert choice is not None, f"{defect.store}: no choice recorded for {defect.rule}"
        assert choice != preferred, f"{defect.store}: {defect.rule} recorded {choice!r}"


@pytest.mark.parametrize("defect", STRICT_ONLY_DEFECTS, ids=lambda defect: defect.test_id)
def test_strict_only_defect_fails_strict_run(strict_run: KitRun, defect: PlantedDefect) -> None:
    rule = rule_entry(strict_run, defect.store, defect.rule)
    assert rule["outcome"] == "failed", f"{defect.store}: rule {defect.rule} {rule['outcome']}"

    entry = strict_run.store(defect.store)
    assert entry["certified"] is False

    must_failures = [
        failure
        for failure in failing_rules(entry)
        if RULES[failure.partition(":")[0]].level == MUST
    ]
    assert must_failures == [], f"{defect.store}: a strict-only defect broke MUST rules"


@pytest.mark.parametrize("store", CLEAN_STORES)
@pytest.mark.parametrize("run_name", ["lenient_run", "strict_run"])
def test_clean_store_is_certified(
    request: pytest.FixtureRequest, run_name: str, store: str
) -> None:
    run: KitRun = request.getfixturevalue(run_name)
    entry = run.store(store)

    assert failing_rules(entry) == []
    assert entry["certified"] is True


@pytest.mark.parametrize("store", CLEAN_STORES)
def test_clean_store_skips_only_not_applicable(strict_run: KitRun, store: str) -> None:
    for rule in strict_run.store(store)["rules"]:
        if rule["outcome"] == "skipped":
            assert "not applicable" in rule["reason"], f"{store}: {rule['id']}: {rule['reason']}"


@pytest.mark.parametrize("store", CLEAN_STORES)
def test_clean_store_takes_preferred_choices(strict_run: KitRun, store: str) -> None:
    variations = strict_run.store(store)["variations"]
    for rule_id, choice in variations.items():
        preferred = RULES[rule_id].preferred
        if preferred is not None:
            assert choice == preferred, f"{store}: {rule_id} recorded {choice!r}"

    assert variations.get("V-GRANT") == "grant-only"
    assert variations.get("V-REKEY") == "keep-record-id"


def test_corpus_covers_every_direct_must_rule() -> None:
    covered = {defect.rule for defect in CORPUS}
    assert [rule_id for rule_id in DIRECT_MUST_RULES if rule_id not in covered] == []


def test_corpus_strict_flags_match_levels() -> None:
    for defect in CORPUS:
        level = RULES[defect.rule].level
        breaks_must = any(RULES[rule_id].level == MUST for rule_id in defect.also_fails)
        assert defect.strict_only == (level in (SHOULD, VARIATION) and not breaks_must), defect


def test_corpus_lists_every_module() -> None:
    # sdk_*.py modules contain the stores of the SDK-flow tier, which its own
    # tests list. Modules starting with "_" contain no store.
    modules = {
        path.stem
        for path in CORPUS_DIR.glob("*.py")
        if not path.stem.startswith(("_", "sdk_"))
    }
    assert modules == {defect.module for defect in CORPUS}


@pytest.mark.parametrize("defect", CORPUS, ids=lambda defect: defect.test_id)
def test_corpus_docstring_names_rule(defect: PlantedDefect) -> None:
    source = (CORPUS_DIR / f"{defect.module}.py").read_text()
    docstring = ast.get_docstring(ast.parse(source)) or ""

    assert docstring.startswith(("Defect: ", "Variation: ")), defect.module
    assert f"{defect.rule} " in docstring, f"{defect.module} docstring does not name {defect.rule}"
