"""Build ``OAuthToken`` objects from plain fields and read them back as records.

The suite, the model and the reproduction snippets all speak in the ten record
fields that a store keeps. ``make_token`` is public so that a snippet printed by
the kit can be pasted into a Python shell as it is.
"""

from __future__ import annotations

from typing import Any, Optional

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

# The ten fields of a stored record, in the column order of the article's table.
FIELDS = (
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

# Fields that identify a record in a lookup (the candidates for a token's key).
IDENTIFYING_FIELDS = ("id", "user_name", "access_token", "grant_token", "refresh_token")

SECRET_FIELDS = ("client_secret", "refresh_token", "access_token", "grant_token")

# The OAuthToken setter of each record field except user_name.
SETTERS = {
    "id": "set_id",
    "client_id": "set_client_id",
    "client_secret": "set_client_secret",
    "refresh_token": "set_refresh_token",
    "access_token": "set_access_token",
    "grant_token": "set_grant_token",
    "expiry_time": "set_expires_in",
    "redirect_url": "set_redirect_url",
    "api_domain": "set_api_domain",
}


def is_absent(value: Any) -> bool:
    """Return whether a field value counts as absent: ``None`` or the empty string."""
    return value is None or value == ""


def normalize(value: Any) -> Any:
    """Map an absent value to ``None`` so that ``""`` and ``None`` compare equal."""
    return None if is_absent(value) else value


def make_token(**fields: Optional[str]) -> OAuthToken:
    """Build an ``OAuthToken`` whose record fields are exactly ``fields``.

    Keys are names from ``FIELDS``; omitted fields are ``None``. Unlike the
    ``OAuthToken`` constructor, this accepts any combination, including a token
    with no fields at all, because the suite probes stores with partial tokens.
    Raises ``TypeError`` for a name that is not a record field.
    """
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise TypeError(f"make_token() got unknown fields {unknown}; valid fields: {FIELDS}")

    # A placeholder id passes the constructor's checks; the setters below then
    # give every field its requested value, the id included.
    token = OAuthToken(id="placeholder")
    token.set_id(fields.get("id"))
    for name, setter in SETTERS.items():
        if name != "id":
            getattr(token, setter)(fields.get(name))

    user_name = fields.get("user_name")
    token.set_user_signature(None if user_name is None else UserSignature(user_name))
    return token


def read_field(token: OAuthToken, name: str) -> Any:
    """Return one record field of ``token`` as the store left it, without normalizing."""
    if name == "user_name":
        signature = token.get_user_signature()
        return None if signature is None else signature.get_name()
    if name == "expiry_time":
        return token.get_expires_in()
    return getattr(token, "get_" + name)()


def record_of(token: OAuthToken) -> dict[str, Any]:
    """Return the ten fields of ``token`` as a dict, absent values as ``None``."""
    return {name: normalize(read_field(token, name)) for name in FIELDS}


def describe_token(fields: dict[str, Any]) -> str:
    """Render fields as a ``make_token(...)`` call, leaving out absent ones."""
    arguments = ", ".join(f"{name}={value!r}" for name, value in fields.items() if value is not None)
    return f"make_token({arguments})"
