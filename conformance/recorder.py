"""Record the calls that a test makes on a store, for the reproduction snippet of a failure.

``RecordingStore`` wraps the store under test. It is itself a ``TokenStore``
(the SDK's ``Initializer.initialize`` checks that), delegates the six store
methods, ``close()``, ``repr()`` and every other attribute to the wrapped
store, and appends one ``RecordedCall`` per call to a ``CallRecorder``.

The recorder keeps the calls of the current Hypothesis example only (a new
example starts a new recording, and Hypothesis replays the minimal failing
example last), and at most ``MAX_CALLS`` of them.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Deque, Dict, List, Optional, Tuple

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore

from conformance.tokens import FIELDS, read_field

MAX_CALLS = 60

Fields = Dict[str, Any]


@dataclass
class StoreOpened:
    """A store instance that the kit built: its number and the number of its location."""

    sequence: int
    store_number: int
    location_number: int


@dataclass
class RecordedCall:
    """One call on a store, with snapshots of the token fields around it.

    ``arguments`` contains the objects passed, so that tokens keep their
    identity while the recording lives. ``fields_before`` and ``fields_after``
    contain, per argument, the ten record fields of an ``OAuthToken`` argument (``None``
    for any other argument). ``returned_fields`` does the same for the result:
    a dict for an ``OAuthToken``, a list of dicts for a list, else ``None``.
    """

    sequence: int
    store_number: int
    method: str
    arguments: Tuple[Any, ...]
    fields_before: Tuple[Optional[Fields], ...]
    fields_after: Tuple[Optional[Fields], ...] = ()
    returned: Any = None
    returned_fields: Any = None
    error_type: Optional[str] = None
    error_message: Optional[str] = None
    thread_name: str = ""

    @property
    def raised(self) -> bool:
        """Whether the call raised instead of returning."""
        return self.error_type is not None


@dataclass
class Recording:
    """A consistent copy of the calls and openings of a ``CallRecorder``, for rendering.

    ``window_start`` is the sequence number where the kept calls begin: store
    openings before it belong to calls that were dropped or to an earlier
    Hypothesis example.
    """

    calls: List[RecordedCall]
    opened: List[StoreOpened]
    # Calls of the current example left out because of the MAX_CALLS limit.
    dropped_calls: int
    # Calls of earlier Hypothesis examples (or before the first example).
    earlier_example_calls: int = 0
    window_start: int = 0
    thread_names: List[str] = field(default_factory=list)


class CallRecorder:
    """Thread-safe log of store calls and store openings for one test."""

    def __init__(self, max_calls: int = MAX_CALLS) -> None:
        self._lock = threading.Lock()
        self._calls: Deque[RecordedCall] = deque()
        self._opened: List[StoreOpened] = []
        self._max_calls = max_calls
        self._dropped_calls = 0
        self._earlier_example_calls = 0
        self._sequence = 0
        self._window_start = 0
        self._example: object = None

    def next_sequence(self) -> int:
        """Return the number of the next event, in the order the events happen."""
        with self._lock:
            self._sequence += 1
            return self._sequence

    def store_opened(self, store_number: int, location_number: int) -> None:
        """Note that the kit built store ``store_number`` on location ``location_number``."""
        sequence = self.next_sequence()
        with self._lock:
            self._start_example_if_new(sequence)
            self._opened.append(StoreOpened(sequence, store_number, location_number))

    def record(self, call: RecordedCall) -> None:
        """Append a finished call, dropping the oldest one beyond ``max_calls``."""
        with self._lock:
            self._start_example_if_new(call.sequence)
            self._calls.append(call)
            if len(self._calls) > self._max_calls:
                self._calls.popleft()
                self._dropped_calls += 1
                self._window_start = max(self._window_start, self._calls[0].sequence)

    def snapshot(self) -> Recording:
        """Return the current calls and openings, ordered by sequence."""
        with self._lock:
            calls = sorted(self._calls, key=lambda call: call.sequence)
            threads = sorted({call.thread_name for call in calls})
            return Recording(
                calls=calls,
                opened=list(self._opened),
                dropped_calls=self._dropped_calls,
                earlier_example_calls=self._earlier_example_calls,
                window_start=self._window_start,
                thread_names=threads,
            )

    def _start_example_if_new(self, sequence: int) -> None:
        # Inside a Hypothesis test each example has its own build context. Calls
        # of an earlier example are dropped, so only the last example remains.
        example = _current_example()
        if example is None or example is self._example:
            return

        self._earlier_example_calls += len(self._calls) + self._dropped_calls
        self._dropped_calls = 0
        self._calls.clear()
        self._window_start = sequence
        self._example = example


class RecordingStore(TokenStore):
    """A ``TokenStore`` that records every call and delegates it to the wrapped store.

    ``__wrapped__`` is the store under test. Reading an attribute that the
    proxy does not define reads it from the wrapped store, and setting one
    sets it there. Special methods other than ``repr()`` and ``str()``
    (``len()``, iteration, comparison) are not delegated.
    """

    _OWN_ATTRIBUTES = frozenset({"__wrapped__", "_recorder", "_store_number"})

    def __init__(self, store: TokenStore, recorder: CallRecorder, store_number: int) -> None:
        object.__setattr__(self, "__wrapped__", store)
        object.__setattr__(self, "_recorder", recorder)
        object.__setattr__(self, "_store_number", store_number)

    def find_token(self, token: Any) -> Any:
        return self._call("find_token", token)

    def save_token(self, token: Any) -> Any:
        return self._call("save_token", token)

    def delete_token(self, id: Any) -> Any:  # noqa: A002  (the TokenStore parameter name)
        return self._call("delete_token", id)

    def get_tokens(self) -> Any:
        return self._call("get_tokens")

    def delete_tokens(self) -> Any:
        return self._call("delete_tokens")

    def find_token_by_id(self, id: Any) -> Any:  # noqa: A002  (the TokenStore parameter name)
        return self._call("find_token_by_id", id)

    def __getattr__(self, name: str) -> Any:
        wrapped = object.__getattribute__(self, "__wrapped__")
        value = getattr(wrapped, name)
        if name == "close" and callable(value):
            return lambda: self._call("close")
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._OWN_ATTRIBUTES:
            object.__setattr__(self, name, value)
        else:
            setattr(self.__wrapped__, name, value)

    def __repr__(self) -> str:
        return repr(self.__wrapped__)

    def __str__(self) -> str:
        return str(self.__wrapped__)

    def _call(self, method: str, *arguments: Any) -> Any:
        call = RecordedCall(
            sequence=self._recorder.next_sequence(),
            store_number=self._store_number,
            method=method,
            arguments=arguments,
            fields_before=tuple(snapshot_fields(argument) for argument in arguments),
            thread_name=threading.current_thread().name,
        )

        try:
            result = getattr(self.__wrapped__, method)(*arguments)
        except Exception as error:
            call.error_type = type(error).__name__
            call.error_message = _first_line(error)
            call.fields_after = tuple(snapshot_fields(argument) for argument in arguments)
            self._recorder.record(call)
            raise

        call.fields_after = tuple(snapshot_fields(argument) for argument in arguments)
        call.returned = result
        call.returned_fields = _snapshot_result(result)
        self._recorder.record(call)
        return result


def snapshot_fields(value: Any) -> Optional[Fields]:
    """Return the ten record fields of an ``OAuthToken`` as stored, else ``None``.

    Values are read as they are, without mapping ``""`` to ``None``, so that a
    snippet rebuilds the token exactly. A token whose fields cannot be read
    (a store that put a wrong type in it) gives ``None``.
    """
    if not isinstance(value, OAuthToken):
        return None
    try:
        return {name: read_field(value, name) for name in FIELDS}
    except Exception:  # noqa: BLE001  (recording must never change what the test sees)
        return None


def _snapshot_result(result: Any) -> Any:
    if isinstance(result, list):
        return [snapshot_fields(item) for item in result]
    return snapshot_fields(result)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:300] if lines else ""


def _current_example() -> object:
    """Return Hypothesis's build context of the running example, or ``None`` outside one."""
    if "hypothesis" not in sys.modules:
        return None

    from hypothesis.control import current_build_context
    from hypothesis.errors import InvalidArgument

    try:
        return current_build_context()
    except InvalidArgument:
        return None
