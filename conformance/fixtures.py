"""Fixtures that the suite uses to reach the store under test.

Override contract: a ``conftest.py`` may replace ``tokenstore_factory`` (how a
store is built on a location) and ``tokenstore_features`` (which optional
behaviour it declares). Every other fixture here builds on those two, so a
store that needs a server, a schema or credentials only overrides the factory.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Callable, FrozenSet, Iterator, List, Optional

import pytest
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore

from conformance.targets import StoreTarget

StoreFactory = Callable[[Path], TokenStore]


class StoreNotEmptyError(AssertionError):
    """A factory returned a store that already holds records."""


@pytest.fixture
def store_target(request: pytest.FixtureRequest) -> StoreTarget:
    """The store under test, one per ``--store`` value (the plugin parametrizes this).

    Raises ``NotImplementedError`` when no store is configured, so a test that
    reaches it outside a certification run fails with the fix in its message.
    """
    target = getattr(request, "param", None)
    if target is None:
        raise NotImplementedError(
            "no store under test: pass --store=MODULE:ATTR, set `store` in the ini file, "
            "or override the tokenstore_factory fixture in conftest.py"
        )
    return target


@pytest.fixture
def tokenstore_factory(store_target: StoreTarget) -> StoreFactory:
    """A callable ``factory(location) -> TokenStore`` that builds a new store instance.

    ``location`` is a directory that is empty the first time the suite passes
    it; the suite passes the same directory again to reopen a store, and the
    working directory is ``location`` during the call. Override this fixture
    in ``conftest.py`` for a store that needs a server or credentials: the
    factory must return a store that holds no records for a new location.
    """
    return store_target.build


@pytest.fixture
def tokenstore_features(store_target: StoreTarget) -> FrozenSet[str]:
    """The optional behaviour the store declares, by name (``"persistent"``).

    Tests that need a feature the store does not declare are skipped as not
    applicable. Override this fixture together with ``tokenstore_factory``.
    """
    return store_target.features


class StoreOpener:
    """Opens stores on per-test locations and closes every store it opened."""

    def __init__(
        self,
        factory: StoreFactory,
        root: Path,
        monkeypatch: pytest.MonkeyPatch,
        label: str,
    ) -> None:
        self._factory = factory
        self._root = root
        self._monkeypatch = monkeypatch
        self._label = label
        self._counter = itertools.count(1)
        self._opened: List[TokenStore] = []
        self.location: Optional[Path] = None

    def new_location(self) -> Path:
        """Create a fresh empty directory, make it current, and return it."""
        location = self._root / f"location-{next(self._counter)}"
        location.mkdir()
        self.location = location
        return location

    def open(self, location: Optional[Path] = None) -> TokenStore:
        """Build a store instance on ``location`` (default: the current location)."""
        if location is None:
            location = self.location if self.location is not None else self.new_location()

        self._monkeypatch.chdir(location)
        store = self._factory(location)
        self._opened.append(store)
        return store

    def open_new(self) -> TokenStore:
        """Build a store on a fresh location; raise ``StoreNotEmptyError`` if it has records."""
        store = self.open(self.new_location())

        count = len(store.get_tokens() or [])
        if count:
            raise StoreNotEmptyError(
                f"store {self._label} holds {count} records on a new, empty location; "
                "a store factory must return an empty store (clear the table or key prefix "
                "that the factory uses before returning the store)"
            )
        return store

    def reopen(self) -> TokenStore:
        """Build a new instance on the location of the last store opened."""
        return self.open(self.location)

    def close_all(self) -> None:
        """Call ``close()`` on every opened store that has one, newest first."""
        while self._opened:
            store = self._opened.pop()
            close = getattr(store, "close", None)
            if callable(close):
                close()


@pytest.fixture
def stores(
    tokenstore_factory: StoreFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[StoreOpener]:
    """A ``StoreOpener`` for tests that open several stores or reopen a location."""
    label = _store_label(request)
    opener = StoreOpener(tokenstore_factory, tmp_path, monkeypatch, label)
    yield opener
    opener.close_all()


@pytest.fixture
def store(stores: StoreOpener) -> TokenStore:
    """A new, empty store on a fresh location; the test errors if the store is not empty."""
    return stores.open_new()


def _store_label(request: pytest.FixtureRequest) -> str:
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and "store_target" in callspec.params:
        return callspec.params["store_target"].name
    return "from the tokenstore_factory fixture"


@pytest.fixture
def record_variation(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """A callable ``record_variation(rule_id, choice)`` that reports a variation choice.

    ``rule_id`` is a ``V-...`` id from ``conformance.rules`` and ``choice`` one of
    its ``VARIATION_CHOICES``. The plugin lists the choice in its summary and its
    JSON report, and under ``--store-strict`` fails the test for a choice that is
    not the preferred one.
    """

    def record(rule_id: str, choice: str) -> None:
        request.node.user_properties.append(("tokenstore_variation", (rule_id, choice)))

    return record
