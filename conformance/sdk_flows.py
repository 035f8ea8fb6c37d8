"""Drive the real ``zohocrmsdk`` against a store, with Zoho replaced by a local server.

The SDK-flow tier (rules SDK1 to SDK9) needs three things around each test:

- ``FakeZohoServer`` (``conformance.sdk_server``) on 127.0.0.1, started once per
  session and reset before each test (fixture ``zoho_server``);
- a network guard: while a test runs, every TCP connection and name lookup for
  a host other than ``localhost`` and the loopback addresses (127.0.0.0/8, ::1)
  is rejected and recorded, and the test fails if anything tried one. Proxy variables are cleared, so
  ``requests`` connects to the local server directly;
- the SDK's global state (``Initializer.initializer``, the calling thread's
  ``Initializer.LOCAL.init`` and the ``SDKLogger`` logger) saved before the test
  and restored after it, so one test's initializer never reaches the next.
  While a test runs, ``SDKLogArgumentsFilter`` repairs the SDK's malformed log
  calls, which pytest's log capture would otherwise raise on.

``SDKApp`` (fixture ``sdk_app``) is the application side: it builds the tokens an
application would pass to the SDK and calls ``Initializer.initialize`` and
``Initializer.switch_user`` with the store under test.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    Set,
)

import pytest
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.api.logger import Logger
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

from conformance.sdk_server import FakeZohoServer, ZohoUser, mint_token
from conformance.tokens import FIELDS, make_token, record_of

logger = logging.getLogger("conformance.sdk_flows")

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
LOOPBACK_HOSTS = "127.0.0.1,::1,localhost"

# The SDK refreshes an access token that expires within this many milliseconds
# (OAuthToken.get_token in zohocrmsdk8-0 7.0.0).
SDK_REFRESH_MARGIN_MS = 5000

# Seconds the SDK waits for the current-user endpoint. The SDK's token requests
# have no timeout of their own.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


def now_ms() -> int:
    """Return the current time in epoch milliseconds, the unit of ``expiry_time``."""
    return int(time.time() * 1000)


# Network guard


class OutsideNetworkError(ConnectionRefusedError):
    """A connection or name lookup for a host outside the loopback range, rejected."""


class LocalNetworkGuard:
    """Reject and record connections and name lookups for hosts outside loopback.

    ``install`` patches ``socket.socket.connect``, ``socket.socket.connect_ex`` and
    ``socket.getaddrinfo`` for the whole process (every thread) until the
    ``monkeypatch`` is undone. ``urllib3``, and so ``requests`` and the SDK, go
    through these three. Unix-domain sockets are not network connections and pass.

    ``allowed_hosts`` names further hosts that may be reached, for a store whose
    own database is on another host: the names themselves, and the addresses
    that a lookup of those names returns while the guard is installed.
    """

    def __init__(self, allowed_hosts: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._rejected: List[str] = []
        self._allowed_hosts = frozenset(allowed_hosts)
        self._allowed_addresses: Set[str] = set()

    @property
    def rejected(self) -> List[str]:
        """The ``host:port`` of every rejected attempt, oldest first (a copy)."""
        with self._lock:
            return list(self._rejected)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Patch the socket functions until ``monkeypatch`` restores them at teardown."""
        original_connect = socket.socket.connect
        original_connect_ex = socket.socket.connect_ex
        original_getaddrinfo = socket.getaddrinfo
        guard = self

        def connect(sock: socket.socket, address: Any) -> None:
            guard.check_address(sock.family, address)
            return original_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            guard.check_address(sock.family, address)
            return original_connect_ex(sock, address)

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            guard.check_host(host, port)
            results = original_getaddrinfo(host, port, *args, **kwargs)
            guard.note_lookup(host, results)
            return results

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def check_address(self, family: int, address: Any) -> None:
        """Raise ``OutsideNetworkError`` for an IP socket address that is not allowed."""
        if family not in (socket.AF_INET, socket.AF_INET6):
            return
        self.check_host(address[0], address[1])

    def check_host(self, host: Any, port: Any) -> None:
        """Raise ``OutsideNetworkError`` unless ``host`` is ``None``, loopback or allowed."""
        host = _host_text(host)
        if host is None or _is_loopback(host):
            return

        target = f"{host}:{port}"
        with self._lock:
            if host in self._allowed_hosts or host in self._allowed_addresses:
                return
            self._rejected.append(target)

        logger.warning("rejected a connection to %s: the SDK tier allows only loopback", target)
        raise OutsideNetworkError(
            f"connection to {target} rejected: the SDK tier allows only 127.0.0.1 and ::1. "
            "An api_domain or DataCenter URL of a real Zoho host sends the SDK there. "
            "If the host is the store's own database, name it in an sdk_allowed_hosts "
            "fixture in conftest.py"
        )

    def note_lookup(self, host: Any, results: Sequence[tuple]) -> None:
        """Allow the addresses that a lookup of an allowed host name returned."""
        host = _host_text(host)
        if host not in self._allowed_hosts:
            return

        with self._lock:
            for _family, _type, _proto, _canonname, sockaddr in results:
                self._allowed_addresses.add(str(sockaddr[0]))


def _host_text(host: Any) -> Optional[str]:
    if isinstance(host, bytes):
        return host.decode("ascii", "replace")
    return host


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def clear_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset proxy variables and exempt loopback, so ``requests`` connects directly."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)

    monkeypatch.setenv("NO_PROXY", LOOPBACK_HOSTS)
    monkeypatch.setenv("no_proxy", LOOPBACK_HOSTS)


# SDK global state


class SDKLogArgumentsFilter(logging.Filter):
    """Fold the arguments of an SDK log call that has no ``%`` placeholder into its message.

    ``OAuthToken.get_token`` in zohocrmsdk8-0 7.0.0 logs the exceptions it catches
    from ``save_token`` and the current-user call as ``error(message, exception)``
    without a placeholder. While ``logging.raiseExceptions`` is true (the default),
    pytest's log capture raises on such a record, so an error that the SDK logs and
    ignores would escape ``get_token``. Folded, the record keeps the exception text
    and the SDK flow runs as it does in an application.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.msg, str) and "%" not in record.msg:
            arguments = record.args if isinstance(record.args, tuple) else (record.args,)
            record.msg = " ".join([record.msg, *(repr(argument) for argument in arguments)])
            record.args = ()
        return True


@dataclass
class SDKGlobalState:
    """The SDK's process-wide state that ``Initializer`` changes, captured for restoring.

    ``Initializer.json_details`` is left loaded: it caches a 2.5 MB file that ships
    with the SDK, the same for every test, and reloading it took 45 ms per test
    on a 2-core AMD EPYC machine.
    """

    initializer: Any
    thread_initializer: Any
    logger_level: int
    logger_handlers: List[logging.Handler]
    logger_filters: List[Any]

    @classmethod
    def capture(cls) -> "SDKGlobalState":
        """Capture the state as it is now, from the calling thread."""
        sdk_logger = logging.getLogger("SDKLogger")
        return cls(
            initializer=Initializer.initializer,
            thread_initializer=getattr(Initializer.LOCAL, "init", None),
            logger_level=sdk_logger.level,
            logger_handlers=list(sdk_logger.handlers),
            logger_filters=list(sdk_logger.filters),
        )

    def restore(self) -> None:
        """Put the captured state back. Call it from the thread that captured it."""
        Initializer.initializer = self.initializer
        Initializer.LOCAL.init = self.thread_initializer

        sdk_logger = logging.getLogger("SDKLogger")
        sdk_logger.setLevel(self.logger_level)
        for handler in list(sdk_logger.handlers):
            if handler not in self.logger_handlers:
                sdk_logger.removeHandler(handler)
                handler.close()
        for log_filter in list(sdk_logger.filters):
            if log_filter not in self.logger_filters:
                sdk_logger.removeFilter(log_filter)


# The application side


class SDKApp:
    """An application that uses the SDK with the store under test and the local server.

    Tokens it builds carry the server's OAuth client, as an application's
    configuration would. ``initialize`` and ``switch_user`` call the SDK exactly as
    an application does. Both generate a token at once, so they send requests
    and call the store.
    """

    def __init__(self, store: TokenStore, server: FakeZohoServer, resource_path: Path) -> None:
        self.store = store
        self.server = server
        self.resource_path = resource_path

    def token_from_grant_code(self, grant_code: str) -> OAuthToken:
        """Return the token of a first login: client id, secret, redirect URL and grant code."""
        client = self.server.client
        return OAuthToken(
            client_id=client.client_id,
            client_secret=client.client_secret,
            grant_token=grant_code,
            redirect_url=client.redirect_url,
        )

    def token_from_refresh_token(self, refresh_token: str) -> OAuthToken:
        """Return the token of a restart that keeps only client id, secret and refresh token."""
        client = self.server.client
        return OAuthToken(
            client_id=client.client_id,
            client_secret=client.client_secret,
            refresh_token=refresh_token,
        )

    def initialize(self, token: OAuthToken) -> None:
        """Call ``Initializer.initialize`` with ``token`` and the store under test."""
        Initializer.initialize(
            environment=self.server.environment(),
            token=token,
            store=self.store,
            sdk_config=SDKConfig(
                auto_refresh_fields=False,
                pick_list_validation=False,
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
            ),
            resource_path=str(self.resource_path),
            logger=Logger(Logger.Levels.NOTSET, None),
        )

    def switch_user(self, token: OAuthToken) -> None:
        """Call ``Initializer.switch_user`` with ``token`` for the calling thread."""
        Initializer.switch_user(token=token)

    def login(self, user: ZohoUser) -> OAuthToken:
        """Log ``user`` in with a new grant code, as at a first start, and return the token."""
        token = self.token_from_grant_code(self.server.issue_grant_code(user))
        self.initialize(token)
        return token

    def seed(self, user: ZohoUser, expired: bool = False) -> Dict[str, Any]:
        """Save a complete record for ``user`` straight into the store and return it as stored.

        The record is what the SDK saves after a login: tokens the server issued
        for ``user``, an already used grant code, and an expiry one hour ahead or,
        when ``expired``, one minute past. Raises ``AssertionError`` when the
        store does not keep it.
        """
        client = self.server.client
        expiry = now_ms() - 60_000 if expired else now_ms() + 3_600_000
        token = make_token(
            user_name=user.user_name,
            client_id=client.client_id,
            client_secret=client.client_secret,
            refresh_token=self.server.issue_refresh_token(user),
            access_token=self.server.issue_access_token(user),
            grant_token=mint_token(),
            expiry_time=str(expiry),
            redirect_url=client.redirect_url,
            api_domain=self.server.base_url,
        )
        self.store.save_token(token)

        records = records_by_user(self.store)
        if user.user_name not in records:
            raise AssertionError(
                f"setup failed: the store has no record for {user.user_name!r} after "
                "save_token of a complete token (see rules S1 and G1)"
            )
        return records[user.user_name]


# Reading the store


def stored_records(store: TokenStore) -> List[Dict[str, Any]]:
    """Return every stored record as a field dict, in a stable order for comparing."""
    records = [record_of(token) for token in store.get_tokens()]
    return sorted(records, key=lambda record: tuple(str(record[name]) for name in FIELDS))


def records_by_user(store: TokenStore) -> Dict[Optional[str], Dict[str, Any]]:
    """Return the stored records keyed by user name (a later duplicate replaces an earlier)."""
    return {record["user_name"]: record for record in stored_records(store)}


# Threads


def run_threads(targets: Sequence[Callable[[], Any]], timeout: float) -> List[Any]:
    """Run each target in its own thread, all started together, and return their results.

    Raises ``AssertionError`` naming every thread that raised (the first
    exception is the cause) or that is still running after ``timeout`` seconds.
    """
    barrier = threading.Barrier(len(targets))
    results: List[Any] = [None] * len(targets)
    errors: List[tuple] = []

    def run(index: int, target: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout)
            results[index] = target()
        except BaseException as error:  # reported below, with the thread's index
            errors.append((index, error))

    threads = [
        threading.Thread(target=run, args=(index, target), name=f"sdk-flow-{index}", daemon=True)
        for index, target in enumerate(targets)
    ]
    for thread in threads:
        thread.start()

    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))

    alive = [thread.name for thread in threads if thread.is_alive()]
    if alive:
        raise AssertionError(f"threads still running after {timeout} s: {alive}")
    if errors:
        summary = "; ".join(f"thread {index}: {error!r}" for index, error in sorted(errors))
        raise AssertionError(f"{len(errors)} thread(s) raised: {summary}") from errors[0][1]
    return results


# Fixtures


@pytest.fixture(scope="session")
def zoho_server_session() -> Iterator[FakeZohoServer]:
    """One running ``FakeZohoServer`` for the session, stopped and joined at its end."""
    server = FakeZohoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def zoho_server(zoho_server_session: FakeZohoServer) -> Iterator[FakeZohoServer]:
    """The session's server, reset to no users, no tokens and no recorded requests."""
    zoho_server_session.reset()
    yield zoho_server_session
    zoho_server_session.check_handler_errors()


@pytest.fixture
def sdk_app(
    store: TokenStore,
    zoho_server: FakeZohoServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[SDKApp]:
    """An ``SDKApp`` on the store under test, with the network guard and SDK state restore.

    Fails the test at teardown when anything tried to reach a host outside
    loopback. A ``conftest.py`` may define a fixture ``sdk_allowed_hosts`` that
    returns the host names of the store's own database, which the guard then lets
    through.
    """
    clear_proxy_environment(monkeypatch)
    guard = LocalNetworkGuard(_allowed_hosts(request))
    guard.install(monkeypatch)

    resource_path = tmp_path / "sdk-resources"
    resource_path.mkdir()
    state = SDKGlobalState.capture()
    logging.getLogger("SDKLogger").addFilter(SDKLogArgumentsFilter())

    yield SDKApp(store, zoho_server, resource_path)

    state.restore()
    if guard.rejected:
        pytest.fail(
            f"the SDK tier rejected connections to {guard.rejected}: it must never contact "
            "Zoho or any host other than 127.0.0.1 and ::1",
            pytrace=False,
        )


def _allowed_hosts(request: pytest.FixtureRequest) -> FrozenSet[str]:
    try:
        hosts = request.getfixturevalue("sdk_allowed_hosts")
    except pytest.FixtureLookupError:
        return frozenset()

    if isinstance(hosts, str):
        hosts = (hosts,)
    return frozenset(hosts)


__all__ = [
    "LocalNetworkGuard",
    "OutsideNetworkError",
    "SDKApp",
    "SDKGlobalState",
    "SDKLogArgumentsFilter",
    "clear_proxy_environment",
    "now_ms",
    "records_by_user",
    "run_threads",
    "sdk_app",
    "stored_records",
    "zoho_server",
    "zoho_server_session",
]
