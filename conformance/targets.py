"""Resolve a ``MODULE:ATTR`` store name into a factory that builds fresh stores.

``ATTR`` is a ``TokenStore`` subclass or any callable that returns a
``TokenStore``. A callable that has a ``tmp_path`` parameter receives the
location directory. Any other callable is called with no arguments while the
location directory is the working directory, so a store that writes to a
relative path also gets a fresh location.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import shutil
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, FrozenSet, Iterable, List, Optional, Tuple

import pytest
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore

logger = logging.getLogger("conformance")

# Optional behaviour a store declares by name, as a ``tokenstore_features``
# attribute (any iterable of these strings) on the class or factory.
KNOWN_FEATURES = frozenset({"persistent"})

FEATURES_ATTRIBUTE = "tokenstore_features"

# Sources of the name of a store under test.
SOURCE_OPTION = "option"
SOURCE_INI = "ini"
SOURCE_CONFTEST = "conftest"

# The name under which a store built by a conftest.py override of the
# tokenstore_factory fixture is reported.
CONFTEST_STORE_NAME = "conftest.py:tokenstore_factory"


class StoreUsageError(Exception):
    """A store name that cannot be turned into a working factory; the message names the fix."""


@dataclass(frozen=True)
class StoreTarget:
    """A store under test: its name, where the name came from, and how to build it.

    ``factory`` is ``None`` for a store that a ``conftest.py`` override of the
    ``tokenstore_factory`` fixture builds, because only that fixture can build it.
    ``import_dir`` is the directory that was put on ``sys.path`` so that
    ``MODULE`` imports; a child process needs it on its ``PYTHONPATH`` too.
    """

    name: str
    source: str
    factory: Optional[Callable[..., object]]
    features: FrozenSet[str] = frozenset()
    takes_tmp_path: bool = False
    import_dir: Optional[str] = None

    @property
    def importable(self) -> bool:
        """Whether another process can build this store from ``name`` (``MODULE:ATTR``).

        False for a store built by a ``conftest.py`` fixture: tests that start a
        child process skip such a store as not applicable.
        """
        return self.factory is not None

    @property
    def module_name(self) -> str:
        """The ``MODULE`` part of the name; empty for a conftest-built store."""
        return parse_store_name(self.name)[0] if self.importable else ""

    @property
    def attribute(self) -> str:
        """The ``ATTR`` part of the name, possibly dotted; empty for a conftest-built store."""
        return parse_store_name(self.name)[1] if self.importable else ""

    def build(self, location: Path) -> TokenStore:
        """Build a new store on ``location``; the caller has made it the working directory.

        Raises ``StoreUsageError`` when the factory returns something that is
        not a ``TokenStore``, or when this store can only be built by the
        ``tokenstore_factory`` fixture of a ``conftest.py``.
        """
        if self.factory is None:
            raise StoreUsageError(
                f"store {self.name} is built by the tokenstore_factory fixture in conftest.py, "
                "not by the kit; request the tokenstore_factory fixture instead"
            )

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


# The stores under test of a run, set by the plugin at configuration time.
TARGETS_KEY = pytest.StashKey[List[StoreTarget]]()


def parse_store_name(value: str) -> Tuple[str, str]:
    """Split ``MODULE:ATTR``; raise ``StoreUsageError`` naming the value when malformed."""
    module_name, colon, attribute = value.partition(":")
    if not colon or not module_name.strip() or not attribute.strip():
        raise StoreUsageError(
            f"invalid --store value {value!r}: expected MODULE:ATTR, "
            "for example --store=reference_stores:SQLiteFileStore"
        )
    return module_name.strip(), attribute.strip()


def normalize_store_names(values: Iterable[str]) -> List[str]:
    """Return the names as ``MODULE:ATTR`` without spaces, each once, in their first order.

    A store named twice (``--store=a:B --store=a:B``) is certified once.
    Raises ``StoreUsageError`` for a malformed name.
    """
    names: List[str] = []
    for value in values:
        module_name, attribute = parse_store_name(value)
        name = f"{module_name}:{attribute}"
        if name not in names:
            names.append(name)
    return names


def load_target(value: str, source: str) -> StoreTarget:
    """Import the object that ``value`` names and check that it can build a store.

    Raises ``StoreUsageError`` when the module cannot be imported, the attribute
    is missing or not callable, or its features are not known names. Whether
    the factory builds a ``TokenStore`` is checked by ``check_target``.
    """
    module_name, attribute = parse_store_name(value)

    # A store module in the invocation directory is importable, as it is for
    # `python -m`: pytest does not put the working directory on sys.path.
    import_dir = os.getcwd()
    if import_dir not in sys.path:
        sys.path.insert(0, import_dir)

    module = _import_store_module(value, module_name)

    obj: object = module
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
            f"--store={value}: {attribute!r} is of type {type(obj).__name__}, not callable; "
            "name a TokenStore subclass or a function that returns a store"
        )

    if isinstance(obj, type) and not issubclass(obj, TokenStore):
        raise StoreUsageError(
            f"--store={value}: class {attribute!r} is not a TokenStore subclass; "
            "derive it from zohocrmsdk.src.com.zoho.api.authenticator.store.TokenStore"
        )

    # A factory with a tmp_path parameter keeps its data there, so it persists.
    takes_tmp_path = _takes_tmp_path(obj)
    features = read_features(obj, f"--store={value}")
    if takes_tmp_path:
        features = features | {"persistent"}

    return StoreTarget(
        name=value,
        source=source,
        factory=obj,
        features=features,
        takes_tmp_path=takes_tmp_path,
        import_dir=import_dir,
    )


def check_target(target: StoreTarget) -> None:
    """Build the store once, in a temporary working directory, to catch a broken factory.

    The directory is removed afterwards and the store's ``close()`` is called
    when it has one, so the check leaves no files behind. Raises
    ``StoreUsageError`` when the factory raises or returns something that is
    not a ``TokenStore``. Whether the new store is empty is checked per test.
    """
    if target.factory is None:
        return

    directory = tempfile.mkdtemp(prefix="tokenstore-check-")
    previous = os.getcwd()
    try:
        os.chdir(directory)
        store = _build_for_check(target, Path(directory))
        _close_for_check(target, store)
    finally:
        os.chdir(previous)
        shutil.rmtree(directory, ignore_errors=True)

    logger.debug("store %s built and closed in a temporary directory", target.name)


def conftest_target(config: pytest.Config, collects_suite: bool) -> Optional[StoreTarget]:
    """Return the store of a ``conftest.py`` that overrides ``tokenstore_factory``, if any.

    Only a conftest.py that pytest loaded before configuration, in the
    invocation directory or the rootdir, counts. The store's features come
    from the ``tokenstore_features`` fixture at test time. Raises
    ``StoreUsageError`` when the kit's suite is to be collected
    (``collects_suite``) but the overriding conftest.py is not the rootdir's,
    because a conftest.py applies only to tests below its directory.
    """
    rootdir = config.rootpath.resolve()
    directories = {config.invocation_params.dir.resolve(), rootdir}
    for plugin in config.pluginmanager.get_plugins():
        path = getattr(plugin, "__file__", None)
        if not path or Path(path).name != "conftest.py":
            continue
        directory = Path(path).resolve().parent
        if directory not in directories or not _defines_fixture(plugin, "tokenstore_factory"):
            continue

        if collects_suite and directory != rootdir:
            raise StoreUsageError(
                f"{path} overrides the tokenstore_factory fixture, but a conftest.py applies "
                f"only to tests below its directory and the kit's suite is not below {directory}; "
                f"move the fixture to {rootdir / 'conftest.py'}, or pass --store=MODULE:ATTR"
            )
        logger.debug("%s overrides the tokenstore_factory fixture", path)
        return StoreTarget(name=CONFTEST_STORE_NAME, source=SOURCE_CONFTEST, factory=None)
    return None


def read_features(obj: object, label: str) -> FrozenSet[str]:
    """Return the features that ``obj`` declares; raise ``StoreUsageError`` for unknown names."""
    declared = getattr(obj, FEATURES_ATTRIBUTE, ())
    if isinstance(declared, str):
        declared = (declared,)

    try:
        features = frozenset(declared)
    except TypeError:
        raise StoreUsageError(
            f"{label}: {FEATURES_ATTRIBUTE} is of type {type(declared).__name__}; "
            f"declare a set of feature names, for example {{'persistent'}}"
        ) from None

    unknown = sorted(str(name) for name in features - KNOWN_FEATURES)
    if unknown:
        raise StoreUsageError(
            f"{label}: unknown {FEATURES_ATTRIBUTE} {unknown}; "
            f"known features: {sorted(KNOWN_FEATURES)}"
        )
    return features


def _import_store_module(value: str, module_name: str) -> object:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise StoreUsageError(
                f"--store={value}: module {module_name!r} not found; install the package "
                "that provides it, or run pytest from the directory that contains it"
            ) from None
        raise StoreUsageError(
            f"--store={value}: importing module {module_name!r} failed: {error}; "
            "install the missing dependency"
        ) from None
    except Exception as error:  # noqa: BLE001  (any import-time error is a usage error)
        raise StoreUsageError(
            f"--store={value}: importing module {module_name!r} failed with "
            f"{_describe_error(error)}; fix the module so that it imports"
        ) from None


def _build_for_check(target: StoreTarget, location: Path) -> TokenStore:
    try:
        return target.build(location)
    except StoreUsageError:
        raise
    except Exception as error:  # noqa: BLE001  (any factory error is a usage error)
        if target.takes_tmp_path:
            call = f"{target.attribute}(tmp_path=...)"
        else:
            call = f"{target.attribute}()"
        raise StoreUsageError(
            f"--store={target.name}: building the store with {call} in an empty working "
            f"directory failed with {_describe_error(error)}; make {call} build an empty "
            "store, or name a factory function that does"
        ) from None


def _close_for_check(target: StoreTarget, store: TokenStore) -> None:
    close = getattr(store, "close", None)
    if not callable(close):
        return
    try:
        close()
    except Exception as error:  # noqa: BLE001  (any close error is a usage error)
        raise StoreUsageError(
            f"--store={target.name}: close() of a newly built store failed with "
            f"{_describe_error(error)}; make close() work on a store that was never used"
        ) from None


def _describe_error(error: BaseException) -> str:
    """Render an error as type, first message line and the innermost source line."""
    lines = str(error).strip().splitlines()
    message = lines[0][:200] if lines else ""
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__

    # The innermost frame outside the kit is where the store's code failed.
    kit_dir = str(Path(__file__).resolve().parent)
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not str(Path(frame.filename).resolve()).startswith(kit_dir)
        and "importlib" not in frame.filename
    ]
    if frames:
        text += f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})"
    return text


def _defines_fixture(module: object, name: str) -> bool:
    # NOTE: getfixturemarker is pytest's internal helper (present in 7.4 to 9.x); it
    # also finds a fixture registered under another function name with name=...
    from _pytest.fixtures import getfixturemarker

    for attribute, value in list(vars(module).items()):
        marker = getfixturemarker(value)
        if marker is not None and (marker.name or attribute) == name:
            return True
    return False


def _takes_tmp_path(obj: Callable[..., object]) -> bool:
    try:
        parameters = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return False
    return "tmp_path" in parameters
