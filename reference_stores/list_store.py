"""In-memory token store for the Zoho CRM Python SDK that keeps its records in a list.

``ListStore`` implements the SDK's ``TokenStore`` interface with a Python list
of records. Its tokens live as long as the store object, so the SDK generates
tokens again after a restart. It suits tests and small applications: every
lookup scans the list. This module imports only the standard library and the
SDK, so it can be copied into an application as a single file.

What the store keeps
    One record per token: a dict with the ten fields id, user_name, client_id,
    client_secret, refresh_token, access_token, grant_token, expiry_time,
    redirect_url and api_domain. ``None`` and ``""`` both count as absent, and
    the store keeps an absent field as ``None``.

How a record is found
    A token's record is found by the first of these rules that applies:

    1. the token's id, when a record with that id is stored;
    2. else the token's user name, when it has one;
    3. else its access token, when it has one and has neither a client id nor
       a client secret;
    4. else, when it has both a client id and a client secret, its grant
       token, or its refresh token when it has no grant token.

    A token to which no rule applies has no record. Values match by exact,
    case-sensitive string equality. A grant token is compared only with the
    grant_token field, never with refresh_token. When several records match,
    the store uses the oldest.

Saving
    ``save_token`` updates the record found for the token, or appends a record
    when none is found. On update, fields present in the token overwrite the
    stored ones, absent fields keep their stored values, and the record keeps
    its id. Either way, the token's id is afterwards the id of its record.

    A new record gets the token's own id, or a new ``uuid4().hex`` (32 hex
    digits) when the token has none. With 122 random bits these ids do not
    repeat in practice, so the id of a deleted record does not come back.

Thread safety
    A ``threading.RLock`` serializes every operation, so threads that call the
    store at once lose no save and see no half-written record.

Errors
    ``save_token`` raises ``SDKException`` for a token it cannot insert. No
    message, log record or ``repr`` of the store contains a client secret or a
    refresh, access or grant token.

Usage::

    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.dc import USDataCenter
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    from list_store import ListStore

    store = ListStore()
    token = OAuthToken(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                       grant_token=GRANT_TOKEN, redirect_url=REDIRECT_URL)
    Initializer.initialize(environment=USDataCenter.PRODUCTION(), token=token, store=store)
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any, Dict, List, Optional, Tuple

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature
from zohocrmsdk.src.com.zoho.crm.api.util.constants import Constants

__all__ = ["ListStore"]

logger = logging.getLogger(__name__)

# A record: the ten stored fields of one token, absent values as None.
Record = Dict[str, Optional[str]]

# The record fields, in the column order of Zoho's sample SQLite table.
COLUMNS = (
    "id",
    "user_name",
    "client_id",
    "client_secret",
    "refresh_token",
    "access_token",
    "grant_token",
    "expiry_time",
    "redirect_url",
    "api_domain",
)

OAUTH_TOKEN_FIELDS = ("refresh_token", "access_token", "grant_token")


class ListStore(TokenStore):
    """Token store that keeps its records in a list in memory."""

    def __init__(self) -> None:
        self._records: List[Record] = []
        self._lock = threading.RLock()

    def find_token(self, token: Any) -> Any:
        """Fill the absent fields of ``token`` from its stored record and return ``token``.

        Returns ``None`` when no record matches the token, and returns an
        argument that is not an ``OAuthToken`` unchanged.
        """
        if not isinstance(token, OAuthToken):
            return token

        with self._lock:
            record = self._find_record(_record_from_token(token))
            if record is None:
                return None
            _fill_absent_fields(token, record)
        return token

    def save_token(self, token: Any) -> None:
        """Update the token's record, or append one, and set the token's id to the record's id.

        Raises ``SDKException`` for a new token that has an id or a user name
        but no refresh, grant or access token, and leaves the store unchanged.
        An argument that is not an ``OAuthToken`` is ignored.
        """
        if not isinstance(token, OAuthToken):
            return

        fields = _fields_to_save(token)
        with self._lock:
            record = self._find_record(fields)
            if record is None:
                record = self._append(fields)
                logger.debug("save_token inserted record %s", record["id"])
            else:
                _overwrite_present_fields(record, fields)
                logger.debug("save_token updated record %s", record["id"])
            record_id = record["id"]

        token.set_id(record_id)

    def delete_token(self, id: Any) -> None:
        """Delete the record with this id. An id that no record has changes nothing."""
        with self._lock:
            count_before = len(self._records)
            self._records = [record for record in self._records if record["id"] != id]
            deleted = count_before - len(self._records)
        logger.debug("delete_token deleted %d record with id %s", deleted, id)

    def get_tokens(self) -> List[OAuthToken]:
        """Return a new ``OAuthToken`` for every stored record, ``[]`` when there is none."""
        with self._lock:
            return [_token_from_record(record) for record in self._records]

    def delete_tokens(self) -> None:
        """Delete every record. The store stays usable afterwards."""
        with self._lock:
            self._records = []
        logger.debug("delete_tokens deleted every record")

    def find_token_by_id(self, id: Any) -> Optional[OAuthToken]:
        """Return a new ``OAuthToken`` with the record that has this id, or ``None``."""
        with self._lock:
            record = self._first_record_with("id", id)
            if record is None:
                return None
            return _token_from_record(record)

    def __repr__(self) -> str:
        with self._lock:
            count = len(self._records)
        return f"ListStore(records={count})"

    def _find_record(self, fields: Record) -> Optional[Record]:
        """Return the record that the token with ``fields`` belongs to, or ``None``."""
        if fields["id"] is not None:
            record = self._first_record_with("id", fields["id"])
            if record is not None:
                return record

        key = _lookup_key(fields)
        if key is None:
            return None

        field, value = key
        return self._first_record_with(field, value)

    def _first_record_with(self, field: str, value: Any) -> Optional[Record]:
        for record in self._records:
            if record[field] == value:
                return record
        return None

    def _append(self, fields: Record) -> Record:
        """Append a record for a token that has none and return the record."""
        _check_insertable(fields)

        record = dict(fields)
        if record["id"] is None:
            record["id"] = _new_id()
        self._records.append(record)
        return record


def _overwrite_present_fields(record: Record, fields: Record) -> None:
    """Overwrite the record's fields with the present ``fields``, keeping its id."""
    for field in COLUMNS[1:]:
        if fields[field] is not None:
            record[field] = fields[field]


# The helpers below are the same in sqlite_stores.py and list_store.py, so that
# each module can be copied alone. A test checks that they stay the same.


def _new_id() -> str:
    return uuid.uuid4().hex


def _present(value: Any) -> Any:
    """Return ``value``, or ``None`` when it is absent (``None`` or ``""``)."""
    if value is None or value == "":
        return None
    return value


def _record_from_token(token: OAuthToken) -> Record:
    """Return the ten record fields of ``token``, absent values as ``None``."""
    signature = token.get_user_signature()
    user_name = None if signature is None else _present(signature.get_name())

    return {
        "id": _present(token.get_id()),
        "user_name": user_name,
        "client_id": _present(token.get_client_id()),
        "client_secret": _present(token.get_client_secret()),
        "refresh_token": _present(token.get_refresh_token()),
        "access_token": _present(token.get_access_token()),
        "grant_token": _present(token.get_grant_token()),
        "expiry_time": _present(token.get_expires_in()),
        "redirect_url": _present(token.get_redirect_url()),
        "api_domain": _present(token.get_api_domain()),
    }


def _fields_to_save(token: OAuthToken) -> Record:
    """Return the record fields of ``token`` to save, with ``expiry_time`` as a ``str``.

    Raises ``SDKException`` naming the field when a value is not a ``str``,
    because the SDK reads every field back as text. ``expiry_time`` may also
    be an ``int`` of epoch milliseconds, which is saved as its decimal text.
    """
    fields = _record_from_token(token)
    for name, value in fields.items():
        if value is None or isinstance(value, str):
            continue

        if name == "expiry_time" and isinstance(value, int) and not isinstance(value, bool):
            fields[name] = str(value)
        else:
            # The message names the type only, because the value may be a secret.
            raise SDKException(
                code=Constants.TOKEN_STORE,
                message=f"cannot save a token whose {name} is of type {type(value).__name__}. "
                f"Set {name} to a str before saving the token.",
            )
    return fields


def _lookup_key(fields: Record) -> Optional[Tuple[str, str]]:
    """Return the ``(column, value)`` of rules 2 to 4 of the lookup, or ``None``.

    Rule 1, the id, applies only when a record with that id is stored, so the
    caller checks it first.
    """
    if fields["user_name"] is not None:
        return ("user_name", fields["user_name"])

    has_client = fields["client_id"] is not None and fields["client_secret"] is not None
    has_no_client = fields["client_id"] is None and fields["client_secret"] is None

    if fields["access_token"] is not None and has_no_client:
        return ("access_token", fields["access_token"])
    if has_client and fields["grant_token"] is not None:
        return ("grant_token", fields["grant_token"])
    if has_client and fields["refresh_token"] is not None:
        return ("refresh_token", fields["refresh_token"])
    return None


def _check_insertable(fields: Record) -> None:
    """Raise ``SDKException`` for a token with an id or user name but no OAuth token.

    Such a token names a user whose tokens the store does not have, so a new
    record for it could never authenticate anything.
    """
    identified = fields["id"] is not None or fields["user_name"] is not None
    has_oauth_token = any(fields[name] is not None for name in OAUTH_TOKEN_FIELDS)
    if identified and not has_oauth_token:
        raise SDKException(
            code=Constants.TOKEN_STORE,
            message="cannot insert a token that has an id or a user name but no refresh, "
            "grant or access token. Set one of these tokens before saving it.",
        )


_SETTERS = {
    "id": OAuthToken.set_id,
    "client_id": OAuthToken.set_client_id,
    "client_secret": OAuthToken.set_client_secret,
    "refresh_token": OAuthToken.set_refresh_token,
    "access_token": OAuthToken.set_access_token,
    "grant_token": OAuthToken.set_grant_token,
    "expiry_time": OAuthToken.set_expires_in,
    "redirect_url": OAuthToken.set_redirect_url,
    "api_domain": OAuthToken.set_api_domain,
}


def _fill_absent_fields(token: OAuthToken, record: Record) -> None:
    """Copy each present field of ``record`` into ``token`` where the token's field is absent."""
    current = _record_from_token(token)
    for field in COLUMNS:
        value = record[field]
        if current[field] is not None or value is None:
            continue

        if field == "user_name":
            token.set_user_signature(UserSignature(value))
        else:
            _SETTERS[field](token, value)


def _token_from_record(record: Record) -> OAuthToken:
    """Return a new ``OAuthToken`` with the fields of ``record``."""
    token = OAuthToken(id=record["id"])
    _fill_absent_fields(token, record)
    return token
