"""Resolve a ``MODULE:ATTR`` store name into a factory that builds fresh stores.

``ATTR`` is a ``TokenStore`` subclass or any callable that returns a
``TokenStore``. A callable that has a ``tmp_path`` parameter receives the
location directory; any other callable is called with no arguments, while the
working directory is the location directory, so a store that writes to a
relative path (as the article's sample does) also gets a fresh location.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, FrozenSet

from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore

# Optional behaviour a store declares by name, as a ``tokenstore_features``
# attribute (any iterable of these strings) on the class or factory.
KNOWN_FEATURES = frozenset({"persistent"})

FEATURES_ATTRIBUTE = "tokenstore_features"


class StoreUsageError(Exception):
    """A store name that cannot be turned into a working factory; the message names the fix."""


@dataclass(frozen=True)
class StoreTarget:
    """A store under test: its name, where the name came from, and how to build it."""

    name: str
    source: str
    factory: Callable[..., object]
    features: FrozenSet[str] = frozenset()
    takes_tmp_path: bool = False

    def build(self, location: Path) -> TokenStore:
        """Build a new store on ``location``; the caller has made it the working directory."""
        if self.takes_tmp_path:
            store = self.factory(tmp_path=location)
        else:
            store = self.factory()

        if not isinstance(store, TokenStore):
            raise StoreUsageError(
                f"--store={self.name} returned {type(store).__name__}, not a TokenStore; "
                "make the factory return an instance of a TokenStore subclass"
            )
        return store


def parse_store_name(value: str) -> tuple[str, str]:
    """Split ``MODULE:ATTR``; raise ``StoreUsageError`` naming the value when malformed."""
    module_name, colon, attribute = value.partition(":")
    if not colon or not module_name.strip() or not attribute.strip():
        raise StoreUsageError(
            f"invalid --store value {value!r}: expected MODULE:ATTR, "
            "for example --store=reference_stores:SQLiteFileStore"
        )
    return module_name.strip(), attribute.strip()


def load_target(value: str, source: str) -> StoreTarget:
    """Import the object that ``value`` names and check that it can build a store.

    Raises ``StoreUsageError`` when the module cannot be imported, the attribute
    is missing or not callable, or its features are not known names. Whether
    the factory returns an empty ``TokenStore`` is checked by ``check_target``.
    """
    module_name, attribute = parse_store_name(value)

    # A store module next to the invocation directory is importable, as it is
    # for `python -m`: pytest does not put the working directory on sys.path.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())

    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise StoreUsageError(
            f"--store={value}: cannot import module {module_name!r} ({error}); "
            "install the package that provides it or run pytest from the folder that contains it"
        ) from None

    obj = module
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise StoreUsageError(
                f"--store={value}: module {module_name!r} has no attribute {attribute!r}; "
                "name a TokenStore subclass or a factory function defined in that module"
            ) from None

    if not callable(obj):
        raise StoreUsageError(
            f"--store={value}: {attribute!r} is a {type(obj).__name__}, not callable; "
            "name a TokenStore subclass or a function that returns a store"
        )

    if isinstance(obj, type) and not issubclass(obj, TokenStore):
        raise StoreUsageError(
            f"--store={value}: class {attribute!r} is not a TokenStore subclass; "
            "derive it from zohocrmsdk.src.com.zoho.api.authenticator.store.TokenStore"
        )

    # A factory that asks for a directory keeps its data there, so it persists.
    takes_tmp_path = _takes_tmp_path(obj)
    features = read_features(obj, value)
    if takes_tmp_path:
        features = features | {"persistent"}

    return StoreTarget(
        name=value,
        source=source,
        factory=obj,
        features=features,
        takes_tmp_path=takes_tmp_path,
    )


def read_features(obj: object, label: str) -> FrozenSet[str]:
    """Return the features that ``obj`` declares; raise ``StoreUsageError`` for unknown names."""
    declared = getattr(obj, FEATURES_ATTRIBUTE, ())
    if isinstance(declared, str):
        declared = (declared,)

    features = frozenset(declared)
    unknown = sorted(features - KNOWN_FEATURES)
    if unknown:
        raise StoreUsageError(
            f"{label}: unknown {FEATURES_ATTRIBUTE} {unknown}; "
            f"known features: {sorted(KNOWN_FEATURES)}"
        )
    return features


def _takes_tmp_path(obj: Callable[..., object]) -> bool:
    try:
        parameters = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return False
    return "tmp_path" in parameters
