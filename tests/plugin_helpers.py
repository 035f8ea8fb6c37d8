"""Helpers for the plugin's own tests: tiny stores, tiny conformance tests, and a runner.

Most tests of the plugin certify small stores written into a pytester
directory against small conformance test files written there too, so they
do not depend on the content of the kit's suite and stay fast. Such a run
tests only a few rules, so its verdict is always "NOT CERTIFIED, partial run"
or a failure. Tests of a CERTIFIED verdict run the kit's whole suite on
``reference_stores:ListStore`` or on a store of ``FULL_SUITE_STORES``.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any, Dict, Iterator, Optional

import pytest
from hypothesis import core, settings

from conformance.profiles import current_profile_name

# A module of stores for the plugin's tests. ``MemoryStore`` follows the rules
# that the tests below check; each subclass breaks one of them.
STORES_MODULE = '''
import json

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException

from conformance.tokens import FIELDS, make_token, read_field


class MemoryStore(TokenStore):
    """Records in a dict; finds by id, else by user name."""

    def __init__(self):
        self._records = {}
        self._next_id = 1

    def _match(self, token):
        if token.get_id() in self._records:
            return self._records[token.get_id()]
        name = read_field(token, "user_name")
        for record in self._records.values():
            if name and record["user_name"] == name:
                return record
        return None

    def find_token(self, token):
        if not isinstance(token, OAuthToken):
            return token
        record = self._match(token)
        if record is None:
            return None
        return self._fill(token, record)

    def _fill(self, token, record):
        filled = make_token(**{name: read_field(token, name) or record[name] for name in FIELDS})
        token.set_id(filled.get_id())
        token.set_user_signature(filled.get_user_signature())
        for name in ("client_id", "client_secret", "refresh_token", "access_token",
                     "grant_token", "redirect_url", "api_domain"):
            getattr(token, "set_" + name)(read_field(filled, name))
        token.set_expires_in(filled.get_expires_in())
        return token

    def save_token(self, token):
        if not isinstance(token, OAuthToken):
            return
        record = self._match(token)
        fields = {name: read_field(token, name) for name in FIELDS}
        if record is None:
            record_id = fields["id"] or str(self._next_id)
            self._next_id += 1
            record = self._records[record_id] = dict(fields, id=record_id)
        else:
            record.update({k: v for k, v in fields.items() if v and k != "id"})
        token.set_id(record["id"])

    def delete_token(self, id):
        self._records.pop(id, None)

    def get_tokens(self):
        return [make_token(**record) for record in self._records.values()]

    def delete_tokens(self):
        self._records.clear()

    def find_token_by_id(self, id):
        record = self._records.get(id)
        return None if record is None else make_token(**record)


class LeakyStore(MemoryStore):
    """Hands out the first record when nothing matches."""

    def find_token(self, token):
        found = super().find_token(token)
        if found is None and self._records:
            return self._fill(token, next(iter(self._records.values())))
        return found


class RudeStore(MemoryStore):
    """Returns None for an argument that is not an OAuthToken."""

    def find_token(self, token):
        if not isinstance(token, OAuthToken):
            return None
        return super().find_token(token)


class RaisingIdStore(MemoryStore):
    """Raises for an unknown id, as the SDK's own stores do."""

    def find_token_by_id(self, id):
        found = super().find_token_by_id(id)
        if found is None:
            raise SDKException(code="TOKEN_STORE", message="no record with that id")
        return found


class SometimesRaisingIdStore(MemoryStore):
    """Returns None for an unknown id on the first call, then raises."""

    calls = 0

    def find_token_by_id(self, id):
        type(self).calls += 1
        found = super().find_token_by_id(id)
        if found is None and type(self).calls > 1:
            raise SDKException(code="TOKEN_STORE", message="no record with that id")
        return found


class PrefilledStore(MemoryStore):
    """Starts with a record, as a factory that does not clear its table would."""

    def __init__(self):
        super().__init__()
        self.save_token(make_token(user_name="old", client_id="c", client_secret="s",
                                   refresh_token="r"))


class JsonFileStore(MemoryStore):
    """Writes its records to a JSON file after every change."""

    def __init__(self, path):
        super().__init__()
        self._path = path
        if path.exists():
            self._records = json.loads(path.read_text())
            self._next_id = len(self._records) + 1

    def save_token(self, token):
        super().save_token(token)
        self._path.write_text(json.dumps(self._records))


def persistent_store(tmp_path):
    return JsonFileStore(tmp_path / "tokens.json")


class FailingCloseStore(MemoryStore):
    """Raises from close(), as a store would that closes a connection twice."""

    def close(self):
        raise OSError("connection already closed")


class NotAStore:
    pass


class AbstractStore(TokenStore):
    pass


NOT_CALLABLE = 5


def raising_factory():
    raise RuntimeError("database unreachable")


def returns_dict():
    return {}


def bad_features():
    return MemoryStore()


bad_features.tokenstore_features = {"fast"}
'''

# Conformance tests that MemoryStore passes and the broken stores fail.
CONFORMANCE_TESTS = '''
import pytest
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException

from conformance.tokens import make_token


def complete(user):
    return make_token(user_name=user, client_id="c", client_secret="s", refresh_token="r-" + user)


@pytest.mark.rule("F1")
def test_find_unknown_user_returns_none(store):
    store.save_token(complete("alice"))
    assert store.find_token(make_token(user_name="bob")) is None


@pytest.mark.rule("F3")
def test_find_other_type_unchanged(store):
    probe = object()
    assert store.find_token(probe) is probe


@pytest.mark.rule("S3")
def test_save_sets_token_id(store):
    token = complete("alice")
    store.save_token(token)
    assert token.get_id() is not None


@pytest.mark.rule("V-ID-MISSING")
def test_find_by_unknown_id(store, record_variation):
    try:
        result = store.find_token_by_id("404")
    except SDKException:
        record_variation("V-ID-MISSING", "raises")
    else:
        assert result is None
        record_variation("V-ID-MISSING", "none")


@pytest.mark.rule("P1")
@pytest.mark.requires_feature("persistent")
def test_reopen_sees_saved_token(stores):
    stores.open_new().save_token(complete("alice"))
    assert len(stores.reopen().get_tokens()) == 1
'''


# Stores for runs of the kit's whole suite, written as module ``fullstores``.
# ``reference_stores:ListStore`` passes every rule, and each subclass departs
# from it in one way that fails no MUST rule.
FULL_SUITE_STORES = '''
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException

from reference_stores import ListStore


class DeviatingListStore(ListStore):
    """Returns None for an argument that is not an OAuthToken: a SHOULD deviation from F3."""

    def find_token(self, token):
        if not isinstance(token, OAuthToken):
            return None
        return super().find_token(token)


class RaisingIdListStore(ListStore):
    """Raises for an unknown id: the V-ID-MISSING choice that --store-strict rejects."""

    def find_token_by_id(self, id):
        found = super().find_token_by_id(id)
        if found is None:
            raise SDKException(code="TOKEN_STORE", message="no record with that id")
        return found
'''


class KitRunner:
    """Writes stores and conformance tests into a pytester directory and runs pytest there."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.report_path = pytester.path / "report.json"

    def write_stores(self, source: str = STORES_MODULE, name: str = "kitstores") -> None:
        """Write a store module that ``--store=NAME:ATTR`` can import."""
        self.pytester.makepyfile(**{name: textwrap.dedent(source)})

    def write_tests(self, source: str = CONFORMANCE_TESTS, name: str = "test_conformance") -> str:
        """Write a conformance test file and return its file name."""
        self.pytester.makepyfile(**{name: textwrap.dedent(source)})
        return f"{name}.py"

    def run(self, *args: str, subprocess: bool = False) -> pytest.RunResult:
        """Run pytest with ``args`` plus ``-p no:cacheprovider``.

        In-process runs are much faster; ``subprocess=True`` gives a clean
        interpreter, for what depends on Hypothesis's global settings.
        """
        command = ["-p", "no:cacheprovider", *args]
        if subprocess:
            return self.pytester.runpytest_subprocess(*command)
        return self.pytester.runpytest_inprocess(*command)

    def certify(self, *args: str, tests: str = "test_conformance.py") -> pytest.RunResult:
        """Run the test file ``tests`` with ``args`` and a JSON report."""
        return self.run(tests, f"--store-report={self.report_path}", *args)

    def certify_suite(self, *args: str) -> pytest.RunResult:
        """Write the ``fullstores`` module, then run the kit's whole suite with ``args``.

        ``args`` name the stores; the run writes a JSON report. One store built
        on ``ListStore`` took 2.5 s to 3 s in-process on a 2-core machine.
        """
        self.write_stores(FULL_SUITE_STORES, name="fullstores")
        return self.run(f"--store-report={self.report_path}", *args)

    def report(self) -> Dict[str, Any]:
        """Return the parsed JSON report of the last run."""
        return json.loads(self.report_path.read_text(encoding="utf-8"))

    def store_entry(self, name: str) -> Dict[str, Any]:
        """Return the JSON report's entry for store ``name``."""
        for entry in self.report()["stores"]:
            if entry["store"] == name:
                return entry
        raise AssertionError(f"no entry for {name!r} in {self.report()}")

    def rule_entry(self, store_name: str, rule_id: str) -> Optional[Dict[str, Any]]:
        """Return the JSON report's entry for one rule of one store, or ``None``."""
        for rule in self.store_entry(store_name)["rules"]:
            if rule["id"] == rule_id:
                return rule
        return None


@pytest.fixture
def kit(pytester: pytest.Pytester) -> Iterator[KitRunner]:
    """A ``KitRunner`` on a fresh pytester directory with the stores and tests written.

    In-process runs change Hypothesis's global profile and forced seed; both
    are restored afterwards so that later tests are not affected.
    """
    profile = current_profile_name()
    forced_seed = core.global_force_seed

    runner = KitRunner(pytester)
    runner.write_stores()
    runner.write_tests()
    yield runner

    settings.load_profile(profile)
    core.global_force_seed = forced_seed
