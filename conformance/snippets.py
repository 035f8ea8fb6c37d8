"""Render recorded store calls as a Python snippet that a store author can paste.

The snippet builds each store the way the kit did, in a fresh temporary
working directory per location. It rebuilds each token with ``make_token``
and names tokens by identity (``t1``, ``t2``, ...). A setter line shows each
field that the test changed between two calls, and a comment after every call
shows what it returned or raised. The last call prints its result, so running
the snippet shows the behaviour that failed the test.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from conformance.recorder import MAX_CALLS, Fields, RecordedCall, Recording, snapshot_fields
from conformance.targets import StoreTarget
from conformance.tokens import FIELDS, SETTERS

# A value longer than this is written as a repeated unit when it is periodic.
_LONG_VALUE = 120

# Comments after a call are cut to this many characters.
_MAX_COMMENT = 160

_GETTERS = {
    "user_name": "get_user_signature().get_name()",
    "expiry_time": "get_expires_in()",
}


def describe_result(value: Any) -> str:
    """Render a store result: tokens as ``make_token(...)`` calls, anything else by ``repr``."""
    if isinstance(value, list):
        return "[" + ", ".join(describe_result(item) for item in value) + "]"

    fields = snapshot_fields(value)
    if fields is not None:
        return render_token(fields)
    return repr(value)


def render_token(fields: Fields) -> str:
    """Render token fields as a ``make_token(...)`` call, leaving out ``None`` fields."""
    arguments = [
        f"{name}={render_value(fields[name])}" for name in FIELDS if fields.get(name) is not None
    ]
    return "make_token(" + ", ".join(arguments) + ")"


def render_value(value: Any) -> str:
    """Render a value as a Python expression; a long periodic string as ``'ab' * 2048``."""
    if isinstance(value, str) and len(value) > _LONG_VALUE:
        period = (value + value).find(value, 1)
        if period < len(value) and period <= 16:
            return f"{value[:period]!r} * {len(value) // period}"
    return repr(value)


def render_snippet(recording: Recording, target: Optional[StoreTarget]) -> str:
    """Return the snippet for ``recording``; ``target`` is the store under test.

    Returns an empty string when nothing was recorded.
    """
    if not recording.calls:
        return ""
    return _SnippetWriter(recording, target).write()


class _SnippetWriter:
    def __init__(self, recording: Recording, target: Optional[StoreTarget]) -> None:
        self._recording = recording
        self._target = target
        self._body: List[str] = []
        self._token_names: Dict[int, str] = {}
        self._token_fields: Dict[str, Fields] = {}
        self._other_names: Dict[int, str] = {}
        self._needs_user_signature = False
        self._needs_suppress = False
        self._factory_placeholder_written = False
        self._locations = {
            opened.store_number: opened.location_number for opened in recording.opened
        }
        # Stores and locations are numbered in the order the snippet builds them.
        self._store_names: Dict[int, str] = {}
        self._location_names: Dict[int, str] = {}
        stores_in_snippet = {call.store_number for call in recording.calls}
        stores_in_snippet |= {
            opened.store_number
            for opened in recording.opened
            if opened.sequence >= recording.window_start
        }
        self._single_store = len(stores_in_snippet) <= 1
        # A returned token that a later call passes in gets a name.
        self._passed_objects = {
            id(argument) for call in recording.calls for argument in call.arguments
        }

    def write(self) -> str:
        recording = self._recording
        last_call = recording.calls[-1]

        # A store opened before the kept calls is built just before its first call.
        events: List[Any] = [
            opened for opened in recording.opened if opened.sequence >= recording.window_start
        ]
        events += recording.calls
        events.sort(key=lambda event: event.sequence)

        for event in events:
            if event.store_number not in self._store_names:
                self._build_store(event.store_number)
            if isinstance(event, RecordedCall):
                self._write_call(event, is_last=event is last_call)

        return "\n".join(self._header() + self._body) + "\n"

    def _header(self) -> List[str]:
        lines = []
        recording = self._recording
        if recording.earlier_example_calls:
            lines.append(
                f"# NOTE: {recording.earlier_example_calls} calls of earlier Hypothesis examples "
                "are left out; these are the calls of the last example, the minimal failing one."
            )
        if recording.dropped_calls:
            lines.append(
                f"# NOTE: the first {recording.dropped_calls} calls are left out (the kit keeps "
                f"the last {MAX_CALLS}), so the store may hold records that these calls do not "
                "explain."
            )
        if len(recording.thread_names) > 1:
            lines.append(
                f"# NOTE: the test called the store from {len(recording.thread_names)} threads; "
                "the calls are listed in the order they started."
            )

        lines.append("import os")
        if self._target is not None and self._target.takes_tmp_path:
            lines.append("import pathlib")
        lines.append("import tempfile")
        if self._needs_suppress:
            lines.append("from contextlib import suppress")
        lines.append("")
        lines.append("from conformance.snippets import describe_result")
        lines.append("from conformance.tokens import make_token")
        if self._needs_user_signature:
            lines.append("from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature")
        lines += self._import_lines()
        lines.append("")
        return lines

    def _import_lines(self) -> List[str]:
        target = self._target
        if target is None or not target.importable:
            return []
        first_part = target.attribute.split(".")[0]
        return [f"from {target.module_name} import {first_part}"]

    def _store_name(self, store_number: int) -> str:
        return self._store_names[store_number]

    def _build_store(self, store_number: int) -> None:
        location_number = self._locations.get(store_number, -store_number)
        location = self._location_names.get(location_number)
        if location is None:
            location = f"location{len(self._location_names) + 1}"
            self._location_names[location_number] = location
            self._body.append(f"{location} = tempfile.mkdtemp()")
        self._body.append(f"os.chdir({location})")

        store = "store" if self._single_store else f"store{len(self._store_names) + 1}"
        self._store_names[store_number] = store
        target = self._target
        if target is None or not target.importable:
            if not self._factory_placeholder_written:
                self._factory_placeholder_written = True
                self._body.append(
                    "factory = ...  # the callable that your tokenstore_factory fixture returns"
                )
            self._body.append(f"{store} = factory({location})")
        elif target.takes_tmp_path:
            self._body.append(f"{store} = {target.attribute}(tmp_path=pathlib.Path({location}))")
        else:
            self._body.append(f"{store} = {target.attribute}()")

    def _write_call(self, call: RecordedCall, is_last: bool) -> None:
        rendered_arguments = [
            self._argument_expression(argument, fields)
            for argument, fields in zip(call.arguments, call.fields_before)
        ]
        store = self._store_name(call.store_number)
        expression = f"{store}.{call.method}({', '.join(rendered_arguments)})"

        # The comment is written before returned tokens get names, so that it
        # shows their fields rather than the name on the same line.
        comment = self._outcome_comment(call)
        assigned = self._name_returned_tokens(call)

        if is_last:
            self._write_last_call(call, expression, comment)
        elif call.raised:
            self._needs_suppress = True
            self._body.append(f"with suppress(Exception):  # {comment}")
            self._body.append(f"    {expression}")
        elif assigned:
            self._body.append(f"{assigned} = {expression}  # {comment}")
        else:
            self._body.append(f"{expression}  # {comment}")
        self._remember_after(call)

    def _write_last_call(self, call: RecordedCall, expression: str, comment: str) -> None:
        if call.raised:
            self._body.append(f"{expression}  # {comment}")
            return

        self._body.append(f"result = {expression}  # {comment}")
        self._body.append('print("returned:", describe_result(result))')
        for argument in call.arguments:
            name = self._token_names.get(id(argument))
            if name is not None and argument is not call.returned:
                self._body.append(f'print("{name}:", describe_result({name}))')

    def _argument_expression(self, argument: Any, fields: Optional[Fields]) -> str:
        if fields is not None:
            return self._token_before_call(argument, fields)
        if isinstance(argument, (str, int, float, bool, bytes, type(None))):
            return render_value(argument)

        # Another kind of object (an argument that is not an OAuthToken).
        key = id(argument)
        if key not in self._other_names:
            name = f"other{len(self._other_names) + 1}"
            self._other_names[key] = name
            kind = type(argument).__qualname__
            self._body.append(f"{name} = object()  # the test passed an instance of {kind}")
        return self._other_names[key]

    def _token_before_call(self, token: Any, fields: Fields) -> str:
        key = id(token)
        name = self._token_names.get(key)
        if name is None:
            name = self._new_token_name(token)
            self._body.append(f"{name} = {render_token(fields)}")
            self._token_fields[name] = dict(fields)
            return name

        known = self._token_fields.get(name, {})
        for field_name in FIELDS:
            if known.get(field_name) != fields[field_name]:
                self._body.append(self._setter_line(name, field_name, fields[field_name]))
        self._token_fields[name] = dict(fields)
        return name

    def _setter_line(self, name: str, field_name: str, value: Any) -> str:
        if field_name == "user_name":
            self._needs_user_signature = True
            signature = "None" if value is None else f"UserSignature({render_value(value)})"
            return f"{name}.set_user_signature({signature})"
        return f"{name}.{SETTERS[field_name]}({render_value(value)})"

    def _new_token_name(self, token: Any) -> str:
        name = f"t{len(self._token_names) + 1}"
        self._token_names[id(token)] = name
        return name

    def _name_returned_tokens(self, call: RecordedCall) -> str:
        """Name returned tokens that later calls pass in; return the assignment target."""
        returned = call.returned
        if call.raised:
            return ""

        if isinstance(returned, OAuthToken) and id(returned) not in self._token_names:
            if id(returned) in self._passed_objects:
                return self._new_token_name(returned)
            return ""

        passed_back = isinstance(returned, list) and any(
            id(item) in self._passed_objects for item in returned
        )
        if passed_back:
            for item in returned:
                if isinstance(item, OAuthToken) and id(item) not in self._token_names:
                    self._new_token_name(item)
            names = [self._token_names.get(id(item), "_") for item in returned]
            return ", ".join(names) + ("," if len(names) == 1 else "")
        return ""

    def _remember_after(self, call: RecordedCall) -> None:
        """Note the fields of named tokens after ``call``, to find the test's changes later."""
        for argument, fields in zip(call.arguments, call.fields_after):
            name = self._token_names.get(id(argument))
            if name is not None and fields is not None:
                self._token_fields[name] = dict(fields)

        returned = call.returned
        if isinstance(returned, list):
            pairs = list(zip(returned, call.returned_fields or []))
        else:
            pairs = [(returned, call.returned_fields)]
        for item, fields in pairs:
            name = self._token_names.get(id(item))
            if name is not None and fields is not None:
                self._token_fields[name] = dict(fields)

    def _outcome_comment(self, call: RecordedCall) -> str:
        if call.raised:
            text = f"raised {call.error_type}"
            if call.error_message:
                text += f": {call.error_message}"
            return _cut(text)

        parts = [f"returned {self._describe_returned(call)}"]
        for argument, before, after in zip(call.arguments, call.fields_before, call.fields_after):
            if before is None or after is None:
                continue
            name = self._token_names.get(id(argument), "token")
            for field_name in FIELDS:
                if before[field_name] != after[field_name]:
                    getter = _GETTERS.get(field_name, f"get_{field_name}()")
                    parts.append(f"{name}.{getter} -> {render_value(after[field_name])}")
        return _cut("; ".join(parts))

    def _describe_returned(self, call: RecordedCall) -> str:
        returned = call.returned
        if isinstance(returned, list):
            fields_list = call.returned_fields or []
            items = [
                self._describe_item(item, fields) for item, fields in zip(returned, fields_list)
            ]
            return "[" + ", ".join(items) + "]"
        return self._describe_item(returned, call.returned_fields)

    def _describe_item(self, item: Any, fields: Optional[Fields]) -> str:
        name = self._token_names.get(id(item))
        if name is not None:
            return name
        if fields is None:
            return repr(item)
        return render_token(fields)


def _cut(text: str) -> str:
    if len(text) <= _MAX_COMMENT:
        return text
    return text[: _MAX_COMMENT - 3] + "..."
