"""Small helpers that the suite's tests share: building tokens, reading records, child processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import pytest
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore

from conformance.targets import StoreTarget
from conformance.tokens import FIELDS, describe_token, make_token, normalize, read_field, record_of

Record = Dict[str, Any]

# Values that break SQL or CSV built by string concatenation, or a LIKE match.
HOSTILE_IDS = ("1 OR 1=1", "'", ";", ",", "\n", "%", "_", "1' OR '1'='1", "*", '"')


def zoho_token(seed: str) -> str:
    """Return a Zoho-shaped token, ``1000.<32 hex>.<32 hex>``, that depends only on ``seed``."""
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()
    return f"1000.{digest[:32]}.{digest[32:]}"


def user_fields(tag: str, **overrides: Optional[str]) -> Dict[str, Optional[str]]:
    """Return realistic, distinct fields of one user's token (no id), with ``overrides`` applied.

    Every value contains ``tag``, so two tags never share a value.
    """
    fields: Dict[str, Optional[str]] = {
        "user_name": f"{tag}@example.com",
        "client_id": f"1000.CLIENT{tag.upper()}",
        "client_secret": f"client-secret-{tag}",
        "refresh_token": zoho_token(f"refresh-{tag}"),
        "access_token": zoho_token(f"access-{tag}"),
        "grant_token": zoho_token(f"grant-{tag}"),
        "expiry_time": "1733312345678",
        "redirect_url": f"https://{tag}.example/oauth/callback",
        "api_domain": "https://www.zohoapis.eu",
    }
    fields.update(overrides)
    return fields


def save(store: TokenStore, **fields: Optional[str]) -> OAuthToken:
    """Save a token built from ``fields`` and return it (it carries its id afterwards, S3)."""
    token = make_token(**fields)
    store.save_token(token)
    return token


def save_user(store: TokenStore, tag: str, **overrides: Optional[str]) -> OAuthToken:
    """Save the token of ``user_fields(tag, **overrides)`` and return it."""
    return save(store, **user_fields(tag, **overrides))


def read_record(token: OAuthToken) -> Record:
    """Return the ten fields of ``token`` like ``record_of``, but read an int as its text.

    An ``int`` expiry time, or a plain ``str`` where the user signature
    belongs, breaks R2, which its own tests check. Reading such values as
    text here keeps that store from failing every other rule's tests too.
    The R1 and R2 tests use the exact ``record_of``.
    """
    record = {}
    for name in FIELDS:
        if name == "user_name":
            signature = token.get_user_signature()
            plain = signature is None or isinstance(signature, str)
            value = signature if plain else signature.get_name()
        else:
            value = read_field(token, name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        record[name] = normalize(value)
    return record


def records(store: TokenStore) -> List[Record]:
    """Return the store's records from ``get_tokens()`` (see ``read_record``), sorted."""
    return sort_records(read_record(token) for token in store.get_tokens())


def sort_records(items: Any) -> List[Record]:
    """Return records in a fixed order, so two multisets of records compare with ``==``."""
    return sorted(items, key=lambda record: repr(sorted(record.items())))


def record_with(fields: Dict[str, Optional[str]], record_id: Any) -> Record:
    """Return the full ten-field record that saving ``fields`` under ``record_id`` stores."""
    token = make_token(**dict(fields, id=record_id))
    return record_of(token)


def call(function: Callable[..., Any], *arguments: Any) -> Tuple[Any, Optional[Exception]]:
    """Call ``function`` and return ``(result, None)``, or ``(None, error)`` if it raised."""
    try:
        return function(*arguments), None
    except Exception as error:  # noqa: BLE001 (tests decide which errors a rule allows)
        return None, error


def cause_of(error: BaseException) -> Optional[BaseException]:
    """Return the original error attached to ``error``: ``__cause__`` or the SDK's ``cause``."""
    if error.__cause__ is not None:
        return error.__cause__
    cause = getattr(error, "cause", None)
    return cause if isinstance(cause, BaseException) else None


def importable_store_name(target: StoreTarget) -> str:
    """Return the ``MODULE:ATTR`` that a child process can import, or skip the test.

    A store that comes from a ``conftest.py`` fixture has no such name, so a
    test that needs a child process does not apply to it.
    """
    importable = getattr(target, "importable", target.source in ("option", "ini"))
    if not importable:
        pytest.skip(
            f"not applicable: the store {target.name!r} is not importable by MODULE:ATTR "
            "in a child process"
        )
    return target.name


def start_child(script: str, arguments: Sequence[str], location: Path) -> "subprocess.Popen[str]":
    """Start ``python -c script arguments...`` in ``location`` with this interpreter's sys.path.

    The child's standard output is a pipe of text lines; standard error is
    kept for the failure message.
    """
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(path for path in sys.path if path)
    return subprocess.Popen(
        [sys.executable, "-c", script, *arguments],
        cwd=str(location),
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# Code that child processes run: build the store by name inside the location
# directory, as the kit's own opener does.
CHILD_PRELUDE = """
import os, sys
from pathlib import Path
from conformance.targets import load_target
from conformance.tokens import make_token

name, location = sys.argv[1], Path(sys.argv[2])
os.chdir(location)
store = load_target(name, "child").build(location)
"""


def stored_id(store: TokenStore, field: str, value: str) -> Any:
    """Return the id of the one stored record whose ``field`` is ``value``.

    The id comes from ``get_tokens()``, not from the saved token, so that a
    test of another rule does not depend on S3. Fails the test when not
    exactly one record has that value.
    """
    matching = [record for record in records(store) if record[field] == value]
    assert len(matching) == 1, (
        f"expected exactly one stored record with {field}={value!r}, found {len(matching)}"
    )
    return matching[0]["id"]


def assert_finds_nothing(store: TokenStore, probe_fields: Dict[str, Any], reason: str) -> None:
    """Assert that ``find_token`` returns ``None`` for a probe built from ``probe_fields``.

    The failure message shows the probe, what came back, and ``reason``.
    """
    probe = make_token(**probe_fields)
    result = store.find_token(probe)

    returned = read_record(result) if isinstance(result, OAuthToken) else result
    assert result is None, (
        f"find_token({describe_token(probe_fields)}) returned {describe_found(returned)}, "
        f"expected None: {reason}"
    )


def find_filled(store: TokenStore, probe_fields: Dict[str, Any]) -> OAuthToken:
    """Call ``find_token`` on a new probe and return it. Fail unless the store returned it."""
    probe = make_token(**probe_fields)
    result = store.find_token(probe)

    assert result is not None, f"find_token({describe_token(probe_fields)}) found nothing"
    assert result is probe, (
        f"find_token({describe_token(probe_fields)}) returned a {type(result).__name__} "
        "other than the token passed in; fill that token and return it"
    )
    return probe


def describe_found(value: Any) -> str:
    """Render a found record as ``make_token(...)``, or any other value with ``repr``."""
    if isinstance(value, dict):
        return describe_token(value)
    return repr(value)


def find_record(store: TokenStore, probe_fields: Dict[str, Any]) -> Optional[Record]:
    """Return the fields of the token that ``find_token`` returns for a new probe, or ``None``.

    Unlike ``find_filled`` this accepts any returned ``OAuthToken``, so tests
    of other rules do not fail for an F2 defect.
    """
    result = store.find_token(make_token(**probe_fields))
    if result is None:
        return None
    assert isinstance(result, OAuthToken), (
        f"find_token({describe_token(probe_fields)}) returned a {type(result).__name__}"
    )
    return read_record(result)


def project(items: Any, *fields: str) -> List[Record]:
    """Return ``items`` reduced to ``fields`` and sorted, to compare only what a rule covers.

    A rule's test compares the fields that its rule is about, so that a store
    that breaks another rule (a dropped field, R1) does not fail it as well.
    """
    return sort_records({name: record[name] for name in fields} for record in items)
