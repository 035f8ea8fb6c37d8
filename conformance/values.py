"""Field values and Hypothesis strategies that the suite stores and looks up.

Three kinds of value occur, because each finds a different class of defect:

- ``SHARED_VALUES``: a small pool that every field draws from, so the same
  string turns up as one record's id and another record's user name, refresh
  token or client id. A store that matches on the wrong column, or on more
  than one column, then returns the wrong record.
- ``REALISTIC_VALUES``: the shapes the SDK really stores: Zoho tokens
  (``1000.<32 hex>.<32 hex>``), e-mail user names, API domains and expiry
  times in epoch milliseconds.
- ``ADVERSARIAL_VALUES`` and ``adversarial_text()``: quotes, backslashes,
  ``%``, ``_``, commas, ``\\n`` and ``\\r\\n``, tabs, SQL and CSV syntax,
  non-ASCII text and 255-character values. They break stores that build SQL
  or CSV by string concatenation, use ``LIKE``, trim, or truncate.

Generated text never contains surrogates or control characters other than
``\\n``, ``\\t`` and the ``\\r`` of ``\\r\\n``: the SDK never stores those.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from hypothesis import strategies as st

from conformance.model import OAUTH_TOKEN_FIELDS
from conformance.tokens import FIELDS

# Zoho access and refresh tokens: "1000." followed by two 32-digit hex strings.
ZOHO_ACCESS_TOKEN = "1000.6f1e8b2c4d9a47e0b3c5d7f9a1b2c3d4.0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d"
ZOHO_REFRESH_TOKEN = "1000.9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a49.3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c"
ZOHO_GRANT_TOKEN = "1000.5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d.7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b"
ZOHO_CLIENT_ID = "1000.Q8W7E6R5T4Y3U2I1O0P9A8S7D6F5G4"

# Short values (under 10 characters) that also collide with generated ids.
SHORT_VALUES: Tuple[str, ...] = ("1", "2", "10", "a", "A", "b", "x y", "%", "_")

REALISTIC_VALUES: Tuple[str, ...] = (
    ZOHO_ACCESS_TOKEN,
    ZOHO_REFRESH_TOKEN,
    ZOHO_GRANT_TOKEN,
    ZOHO_CLIENT_ID,
    "o'brien@example.com",
    "patricia.boyle@zylker.com",
    "https://www.zohoapis.eu",
    "https://www.zohoapis.com",
    "https://zylker.example/oauth/callback",
    "1733312345678",
)

# Expiry times as the SDK writes them: str(epoch milliseconds).
EXPIRY_VALUES: Tuple[str, ...] = ("1733312345678", "1733315945678", "1", "10")

# Values that break naive storage, by a name that reads well in a test id.
ADVERSARIAL_CASES: Dict[str, str] = {
    "apostrophe_email": "o'brien@example.com",
    "lone_quote": "'",
    "double_quotes": '"double" quotes',
    "backslashes": "back\\slash\\",
    "percent": "100%",
    "underscore": "under_score",
    "comma": "comma,separated",
    "newline": "line\nbreak",
    "crlf": "windows\r\nline",
    "tab": "tab\tseparated",
    "sql_or": "1 OR 1=1",
    "sql_quote_or": "x' OR '1'='1",
    "sql_drop": "'; DROP TABLE oauthtoken; --",
    "csv_row": '"a","b"\n"c,d"',
    "padded": " padded ",
    "non_ascii": "Ünïcödé 日本語 ключ",
    "emoji": "emoji 🔑",
    # "é" as "e" plus a combining accent (NFD): a store that normalizes Unicode changes it.
    "decomposed": "cafe\u0301",
    "null_escape": "\\N",
    "null_word": "NULL",
    "none_word": "None",
    "ascii_255": "x" * 255,
    "non_ascii_255": "é" * 255,
}

ADVERSARIAL_VALUES: Tuple[str, ...] = tuple(ADVERSARIAL_CASES.values())

# The pool the stateful machine draws every field from. It mixes short,
# realistic and adversarial values and is small on purpose: values must repeat
# across records for ambiguous and cross-field matches to happen.
SHARED_VALUES: Tuple[str, ...] = (
    "1",
    "2",
    "10",
    "a",
    "A",
    "a ",
    "%",
    "o'brien@example.com",
    ZOHO_REFRESH_TOKEN,
    "1 OR 1=1",
    'comma,quote"\nline',
)

_SAFE_CHARACTERS = st.characters(
    blacklist_categories=("Cs", "Cc"),
    whitelist_characters="\n\t",
)


def adversarial_text(min_size: int = 1, max_size: int = 255) -> st.SearchStrategy[str]:
    """Text of ``min_size`` to ``max_size`` characters built to break naive storage.

    Pieces are single printable characters, ``\\n``, ``\\t``, ``\\r\\n`` and
    fragments of SQL and CSV syntax. ``max_size`` counts code points, and the
    result is truncated to it. ``min_size`` must be at least 1, because an
    empty string is an absent value, not a stored one. Raises ``ValueError``
    for sizes that cannot be met.
    """
    if min_size < 1:
        raise ValueError(f"min_size={min_size} is invalid: an empty string counts as absent")
    if max_size < min_size:
        raise ValueError(f"max_size={max_size} is invalid: it must be at least min_size={min_size}")

    pieces = st.one_of(
        _SAFE_CHARACTERS,
        st.sampled_from(["'", '"', "\\", "%", "_", ",", "\r\n", ";", "--", " OR 1=1"]),
    )
    joined = st.lists(pieces, min_size=min_size, max_size=max_size).map("".join)
    return joined.map(lambda text: text[:max_size])


def field_values() -> st.SearchStrategy[str]:
    """Return a strategy for one present field value: short, realistic or adversarial text."""
    return st.one_of(
        st.sampled_from(SHORT_VALUES),
        st.sampled_from(REALISTIC_VALUES),
        st.sampled_from(ADVERSARIAL_VALUES),
        adversarial_text(),
    )


def shared_values() -> st.SearchStrategy[str]:
    """Return a strategy for one value of ``SHARED_VALUES``, the pool that makes records collide."""
    return st.sampled_from(SHARED_VALUES)


def full_records(
    values: Optional[st.SearchStrategy[str]] = None,
) -> st.SearchStrategy[Dict[str, str]]:
    """Return a strategy for records with all ten fields drawn from ``values``.

    ``values`` defaults to ``field_values()``. The id is one of the fields,
    because a store keeps the id that a token brings (S4).
    """
    if values is None:
        values = field_values()
    return st.fixed_dictionaries({name: values for name in FIELDS})


def probes(values: Optional[st.SearchStrategy[str]] = None) -> st.SearchStrategy[Dict[str, Any]]:
    """Return a strategy for partial token fields: each field absent or drawn from ``values``.

    The default values are ``shared_values()``, so a probe often shares values
    with stored records without having a key for them.
    """
    if values is None:
        values = shared_values()
    optional = st.one_of(st.none(), values)
    return st.fixed_dictionaries({name: optional for name in FIELDS})


def sdk_tokens(
    values: Optional[st.SearchStrategy[str]] = None,
) -> st.SearchStrategy[Dict[str, Any]]:
    """Return a strategy for the fields of a token that the SDK saves, without an id.

    The shapes are a grant-code login, a refresh-token login, an access-token
    login and a free combination. Values default to ``shared_values()`` and
    expiry times to ``EXPIRY_VALUES``.
    """
    if values is None:
        values = shared_values()
    optional = st.one_of(st.none(), values)
    expiry = st.one_of(st.none(), st.sampled_from(EXPIRY_VALUES))

    common = {
        "user_name": optional,
        "expiry_time": expiry,
        "redirect_url": optional,
        "api_domain": optional,
    }
    grant_login = st.fixed_dictionaries(
        {
            **common,
            "client_id": values,
            "client_secret": values,
            "grant_token": values,
            "refresh_token": optional,
            "access_token": optional,
        }
    )
    refresh_login = st.fixed_dictionaries(
        {
            **common,
            "client_id": values,
            "client_secret": values,
            "refresh_token": values,
            "access_token": optional,
        }
    )
    access_login = st.fixed_dictionaries({**common, "access_token": values})
    free_combination = st.fixed_dictionaries(
        {name: optional for name in FIELDS if name != "id"}
    ).filter(lambda fields: any(fields[name] is not None for name in OAUTH_TOKEN_FIELDS))

    return st.one_of(grant_login, refresh_login, access_login, free_combination)
