"""Fixtures that the suite uses to reach the store under test.

Override contract: a ``conftest.py`` may replace ``tokenstore_factory`` (how a
store is built on a location) and ``tokenstore_features`` (which optional
behaviour it declares). Every other fixture here builds on those two, so a
store that needs a server, a schema or credentials only overrides the factory.

Stores that ``store`` and ``stores`` return are ``RecordingStore`` proxies of
the built store: they behave like it, pass ``isinstance(store, TokenStore)``,
and record every call for the reproduction snippet of a failure.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional

import pytest
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore

from conformance.recorder import CallRecorder, RecordingStore
from conformance.results import VARIATION_PROPERTY
from conformance.rules import VARIATION_CHOICES
from conformance.targets import SOURCE_CONFTEST, TARGETS_KEY, StoreTarget

StoreFactory = Callable[[Path], TokenStore]

# The call recorder of a test item, read by the plugin when the test fails.
RECORDER_KEY = pytest.StashKey[CallRecorder]()


class StoreNotEmptyError(AssertionError):
    """A factory returned a store that already contains records."""


class VariationError(ValueError):
    """A ``record_variation`` call with an unknown variation point or choice."""


# The store_target of a test that no store is configured for: only a
# conftest.py override of tokenstore_factory can build its stores.
FIXTURE_ONLY_TARGET = StoreTarget(name="tokenstore_factory fixture", source="fixture", factory=None)


@pytest.fixture
def store_target(request: pytest.FixtureRequest) -> StoreTarget:
    """The store under test, one per store of the run (the plugin parametrizes this).

    A test that is not parametrized gets the store of the ``conftest.py``
    that overrides ``tokenstore_factory`` when that is the run's store, else
    ``FIXTURE_ONLY_TARGET``. Either way ``store_target.importable`` is false,
    because only an overridden ``tokenstore_factory`` can build such stores.
    """
    target = getattr(request, "param", None)
    if target is not None:
        return target

    targets = request.config.stash.get(TARGETS_KEY, [])
    if len(targets) == 1 and targets[0].source == SOURCE_CONFTEST:
        return targets[0]
    return FIXTURE_ONLY_TARGET


@pytest.fixture
def tokenstore_factory(store_target: StoreTarget) -> StoreFactory:
    """A callable ``factory(location) -> TokenStore`` that builds a new store instance.

    ``location`` is a directory that is empty the first time the suite passes
    it. The suite passes the same directory again to reopen a store. The
    working directory is ``location`` during the call. Override this fixture
    in ``conftest.py`` for a store that needs a server or credentials: the
    factory must return a store that holds no records for a new location.
    Raises ``NotImplementedError`` when no store is configured.
    """
    if not store_target.importable:
        raise NotImplementedError(
            "no store under test: pass --store=MODULE:ATTR, set `store` in the ini file, "
            "or override the tokenstore_factory fixture in conftest.py"
        )
    return store_target.build


@pytest.fixture
def tokenstore_features(store_target: StoreTarget) -> FrozenSet[str]:
    """The optional behaviour the store declares, by name (``"persistent"``).

    Tests that need a feature the store does not declare are skipped as not
    applicable. Override this fixture together with ``tokenstore_factory``.
    """
    return store_target.features


class StoreOpener:
    """Opens stores on per-test locations and closes every store it opened.

    Every store it returns is a ``RecordingStore`` that records into
    ``recorder``.
    """

    def __init__(
        self,
        factory: StoreFactory,
        root: Path,
        monkeypatch: pytest.MonkeyPatch,
        label: str,
        recorder: Optional[CallRecorder] = None,
    ) -> None:
        self._factory = factory
        self._root = root
        self._monkeypatch = monkeypatch
        self._label = label
        self._counter = itertools.count(1)
        self._store_counter = itertools.count(1)
        self._opened: List[TokenStore] = []
        self._location_numbers: Dict[Path, int] = {}
        self.recorder = recorder if recorder is not None else CallRecorder()
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

        store_number = next(self._store_counter)
        location_number = self._location_numbers.setdefault(
            location, len(self._location_numbers) + 1
        )
        self.recorder.store_opened(store_number, location_number)

        proxy = RecordingStore(store, self.recorder, store_number)
        self._opened.append(proxy)
        return proxy

    def open_new(self) -> TokenStore:
        """Build a store on a fresh location; raise ``StoreNotEmptyError`` if it has records."""
        store = self.open(self.new_location())

        count = len(store.get_tokens() or [])
        if count:
            raise StoreNotEmptyError(
                f"store {self._label} contains {count} records on a new, empty location; "
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
    store_target: StoreTarget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[StoreOpener]:
    """A ``StoreOpener`` for tests that open several stores or reopen a location.

    It requests ``store_target`` so that every test using a store runs once
    per store of the run, even when ``tokenstore_factory`` is overridden.
    """
    recorder = CallRecorder()
    request.node.stash[RECORDER_KEY] = recorder

    opener = StoreOpener(tokenstore_factory, tmp_path, monkeypatch, store_target.name, recorder)
    yield opener
    opener.close_all()


@pytest.fixture
def store(stores: StoreOpener) -> TokenStore:
    """A new, empty store on a fresh location; the test errors if the store is not empty."""
    return stores.open_new()


@pytest.fixture
def record_variation(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """A callable ``record_variation(rule_id, choice)`` that reports a variation choice.

    ``rule_id`` is a ``V-...`` id from ``conformance.rules`` and ``choice`` one of
    its ``VARIATION_CHOICES``; anything else raises ``VariationError``. The
    plugin lists the choice in its summary and its JSON report. Under
    ``--store-strict`` a choice that is not the preferred one fails the
    variation's own rule and the test, while the test's own rule keeps the
    outcome of its checks.
    """

    def record(rule_id: str, choice: str) -> None:
        choices = VARIATION_CHOICES.get(rule_id)
        if choices is None:
            raise VariationError(
                f"record_variation({rule_id!r}, {choice!r}): {rule_id!r} is not a variation "
                f"point; use one of {', '.join(VARIATION_CHOICES)}"
            )
        if choice not in choices:
            raise VariationError(
                f"record_variation({rule_id!r}, {choice!r}): {choice!r} is not a choice of "
                f"{rule_id}; use one of {', '.join(choices)}"
            )

        entry = (VARIATION_PROPERTY, f"{rule_id}={choice}")
        if entry not in request.node.user_properties:
            request.node.user_properties.append(entry)

    return record
