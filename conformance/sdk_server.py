"""A local stand-in for Zoho Accounts and the CRM "current user" endpoint.

The SDK-flow tier runs the real ``zohocrmsdk`` code, which sends HTTP requests
to Zoho. ``FakeZohoServer`` serves those requests on 127.0.0.1, on a free
port, so that the tier never contacts Zoho. It serves:

- ``POST /oauth/v2/token``: the grant-code exchange (``grant_type=authorization_code``)
  and the refresh (``grant_type=refresh_token``), as form posts. This URL is the
  ``accounts_url`` of the ``DataCenter.Environment`` that the tier builds.
- ``POST /oauth/v2/token/revoke``: the revoke, at ``accounts_url + Constants.REVOKE_URL``.
- ``GET /crm/v8/users?type=CurrentUser`` and ``GET /crm/v8/org``: the two calls of
  ``Utility.get_user_name``, which the SDK makes after an exchange to name the user.

It behaves as Zoho Accounts does where the SDK can tell. A grant code works once,
a revoked refresh token no longer refreshes, and an unknown code or token gets
``{"error": "invalid_code"}``. Each exchange or refresh mints a new Zoho-shaped
token (``1000.<32 hex>.<32 hex>``). It records every request, and a
test can make the token endpoint fail with an HTTP error, an error body or
malformed JSON. The ``api_domain`` it returns is its own URL: a real Zoho domain
would make the SDK switch to that data center (``DataCenter.get``) and call Zoho.

The HTTP layer is ``pytest_httpserver.HTTPServer`` (werkzeug), single-threaded:
requests from several client threads are served one after another.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.util.constants import Constants

logger = logging.getLogger("conformance.sdk_server")

TOKEN_PATH = "/oauth/v2/token"
REVOKE_PATH = TOKEN_PATH + Constants.REVOKE_URL
CURRENT_USER_PATH = "/crm/v8/users"
ORG_PATH = "/crm/v8/org"

# Endpoint names in ``RecordedRequest.endpoint``.
TOKEN = "token"
REVOKE = "revoke"
CURRENT_USER = "current-user"
ORG = "org"
UNKNOWN = "unknown"

GRANT_EXCHANGE = Constants.GRANT_TYPE_AUTH_CODE  # "authorization_code"
REFRESH = Constants.REFRESH_TOKEN  # "refresh_token"

# Failure modes of the token endpoint, set with ``FakeZohoServer.fail_token_requests``.
HTTP_ERROR = "http-error"  # HTTP 500 with a plain-text body
ERROR_BODY = "error-body"  # HTTP 200 with {"error": "invalid_code"}, Zoho's reply to a bad code
MALFORMED_JSON = "malformed-json"  # HTTP 200 with a truncated JSON document
FAILURE_MODES = (HTTP_ERROR, ERROR_BODY, MALFORMED_JSON)

DEFAULT_EXPIRES_IN = 3600  # seconds, as Zoho Accounts returns for an access token

_OAUTH_HEADER_PREFIX = Constants.OAUTH_HEADER_PREFIX  # "Zoho-oauthtoken "


def mint_token() -> str:
    """Return a new random token in Zoho's shape, ``1000.<32 hex>.<32 hex>``."""
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


@dataclass(frozen=True)
class ZohoClient:
    """The OAuth client (a "self client" in Zoho's console) that the tier's app uses."""

    client_id: str
    client_secret: str
    redirect_url: str


@dataclass(frozen=True)
class ZohoUser:
    """A CRM user registered with the server: the email and the organization's ``zgid``."""

    email: str
    user_id: str
    zgid: str

    @property
    def user_name(self) -> str:
        """The name the SDK stores for this user: ``email:zgid``.

        ``Utility.get_user_name`` in zohocrmsdk8-0 7.0.0 joins the email from the
        current-user endpoint and the ``zgid`` from the org endpoint with a colon.
        """
        return f"{self.email}:{self.zgid}"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received, with the parts the SDK tier checks."""

    endpoint: str
    method: str
    path: str
    form: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    # The token of an ``Authorization: Zoho-oauthtoken <token>`` header, if any.
    access_token: Optional[str] = None
    status: int = 200

    @property
    def grant_type(self) -> Optional[str]:
        """The ``grant_type`` form field of a token request, else ``None``."""
        return self.form.get(Constants.GRANT_TYPE)

    def __repr__(self) -> str:
        # Form values and the access token stay out: the first are secrets in
        # shape, and assertion messages print this repr.
        grant = f" grant_type={self.grant_type}" if self.grant_type else ""
        return f"<{self.endpoint}: {self.method} {self.path}{grant} -> {self.status}>"


class FakeZohoServer:
    """Zoho Accounts and the CRM current-user endpoint on 127.0.0.1, for the SDK tier.

    ``start()`` binds a free port and serves from a daemon thread, and ``stop()``
    shuts the thread down and joins it. ``reset()`` clears every user, token, request
    and failure setting, so one running server can serve test after test.
    All methods are safe to call from several threads.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._http = HTTPServer(host=host, port=0)
        self._lock = threading.Lock()
        self.reset()

    # Lifecycle

    def start(self) -> None:
        """Start serving, or raise ``RuntimeError`` if the server is already running."""
        if self._http.is_running():
            raise RuntimeError(f"{self!r} is already running; call stop() before start()")

        self._http.start()
        logger.info("fake Zoho server started on %s", self.base_url)

    def stop(self) -> None:
        """Stop serving and join the server thread (this takes up to 0.5 s)."""
        if not self._http.is_running():
            return

        self._http.stop()
        logger.info("fake Zoho server stopped")

    def reset(self) -> None:
        """Forget every user, token, request and failure setting, and mint a new client."""
        with self._lock:
            self.client = ZohoClient(
                client_id=f"1000.{secrets.token_hex(15).upper()}",
                client_secret=secrets.token_hex(21),
                redirect_url="https://app.example.com/oauth/callback",
            )
            self.expires_in = DEFAULT_EXPIRES_IN
            self._users: List[ZohoUser] = []
            self._grant_codes: Dict[str, ZohoUser] = {}
            self._refresh_tokens: Dict[str, ZohoUser] = {}
            self._access_tokens: Dict[str, ZohoUser] = {}
            self._revoked: List[str] = []
            self._requests: List[RecordedRequest] = []
            self._token_failure: Optional[str] = None

        # clear() is the one reset that every pytest-httpserver release since 1.0
        # has. It also drops the handlers, so they are registered again.
        self._http.clear()
        self._register_handlers()

    def __repr__(self) -> str:
        state = "running" if self._http.is_running() else "stopped"
        return f"<FakeZohoServer {self._http.host}:{self._http.port} {state}>"

    # URLs

    @property
    def base_url(self) -> str:
        """The server's root URL ``http://127.0.0.1:PORT``, which is also its ``api_domain``."""
        return self._http.url_for("/").rstrip("/")

    @property
    def accounts_url(self) -> str:
        """The token endpoint, which the SDK takes as ``Environment.accounts_url``."""
        return self._http.url_for(TOKEN_PATH)

    def environment(self) -> DataCenter.Environment:
        """Return an SDK environment whose API, accounts and upload URLs all point here."""
        return DataCenter.Environment(self.base_url, self.accounts_url, self.base_url)

    # Users and tokens that a test sets up

    def add_user(self, email: str) -> ZohoUser:
        """Register and return a CRM user of the server's one organization."""
        with self._lock:
            user = ZohoUser(email=email, user_id=str(4_000_000 + len(self._users)), zgid="70000001")
            self._users.append(user)
        return user

    def issue_grant_code(self, user: ZohoUser) -> str:
        """Mint a grant code for ``user`` that one exchange accepts."""
        code = mint_token()
        with self._lock:
            self._grant_codes[code] = user
        return code

    def issue_refresh_token(self, user: ZohoUser) -> str:
        """Mint a refresh token for ``user``, as an earlier exchange would have."""
        token = mint_token()
        with self._lock:
            self._refresh_tokens[token] = user
        return token

    def issue_access_token(self, user: ZohoUser) -> str:
        """Mint an access token that the current-user endpoint accepts for ``user``."""
        token = mint_token()
        with self._lock:
            self._access_tokens[token] = user
        return token

    def fail_token_requests(self, mode: Optional[str]) -> None:
        """Make every later exchange and refresh fail in ``mode`` (one of ``FAILURE_MODES``).

        ``None`` restores normal responses. Raises ``ValueError`` for an unknown mode.
        """
        if mode is not None and mode not in FAILURE_MODES:
            raise ValueError(f"unknown failure mode {mode!r}; expected one of {FAILURE_MODES}")

        with self._lock:
            self._token_failure = mode

    # What happened

    @property
    def requests(self) -> List[RecordedRequest]:
        """Every request received since the last ``reset()``, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def token_requests(self, grant_type: Optional[str] = None) -> List[RecordedRequest]:
        """Return the token-endpoint requests, all or only those of ``grant_type``."""
        recorded = [request for request in self.requests if request.endpoint == TOKEN]
        if grant_type is None:
            return recorded
        return [request for request in recorded if request.grant_type == grant_type]

    @property
    def revoked_tokens(self) -> List[str]:
        """The refresh tokens that revoke requests named, in order, known or not."""
        with self._lock:
            return list(self._revoked)

    def user_for_access_token(self, token: Optional[str]) -> Optional[ZohoUser]:
        """Return the user an access token was minted for, or ``None`` if this server did not."""
        with self._lock:
            return self._access_tokens.get(token or "")

    def user_for_refresh_token(self, token: Optional[str]) -> Optional[ZohoUser]:
        """Return the user a refresh token was minted for, or ``None`` if this server did not."""
        with self._lock:
            return self._refresh_tokens.get(token or "")

    def check_handler_errors(self) -> None:
        """Raise the first exception a request handler raised (a bug in this server)."""
        self._http.check_handler_errors()

    # Request handling

    def _register_handlers(self) -> None:
        self._http.expect_request(TOKEN_PATH, method="POST").respond_with_handler(
            self._handle_token
        )
        self._http.expect_request(REVOKE_PATH, method="POST").respond_with_handler(
            self._handle_revoke
        )
        self._http.expect_request(CURRENT_USER_PATH, method="GET").respond_with_handler(
            self._handle_current_user
        )
        self._http.expect_request(ORG_PATH, method="GET").respond_with_handler(self._handle_org)
        # Handlers match in registration order: anything the ones above do not take
        # gets a 404 response and is recorded, so a test can see an unexpected call.
        self._http.expect_request(re.compile(".*")).respond_with_handler(self._handle_unknown)

    def _record(self, endpoint: str, request: Request, status: int) -> None:
        authorization = request.headers.get("Authorization", "")
        access_token = None
        if authorization.startswith(_OAUTH_HEADER_PREFIX):
            access_token = authorization[len(_OAUTH_HEADER_PREFIX):]

        recorded = RecordedRequest(
            endpoint=endpoint,
            method=request.method,
            path=request.path,
            form=dict(request.form),
            query=dict(request.args),
            access_token=access_token,
            status=status,
        )
        with self._lock:
            self._requests.append(recorded)
        logger.debug("%s %s -> %d", request.method, request.path, status)

    def _handle_token(self, request: Request) -> Response:
        with self._lock:
            failure = self._token_failure

        if failure is not None:
            response = _failure_response(failure)
        else:
            response = self._respond_to_token_request(request.form)

        self._record(TOKEN, request, response.status_code)
        return response

    def _respond_to_token_request(self, form: Mapping[str, str]) -> Response:
        if not self._is_client(form):
            return _json_response({"error": "invalid_client"})

        grant_type = form.get(Constants.GRANT_TYPE)
        if grant_type == GRANT_EXCHANGE:
            return self._exchange_grant_code(form.get(Constants.CODE))
        if grant_type == REFRESH:
            return self._refresh(form.get(Constants.REFRESH_TOKEN))
        return _json_response({"error": "unsupported_grant_type"})

    def _is_client(self, form: Mapping[str, str]) -> bool:
        return (
            form.get(Constants.CLIENT_ID) == self.client.client_id
            and form.get(Constants.CLIENT_SECRET) == self.client.client_secret
        )

    def _exchange_grant_code(self, code: Optional[str]) -> Response:
        with self._lock:
            user = self._grant_codes.pop(code or "", None)
            if user is None:
                return _json_response({"error": "invalid_code"})

            refresh_token = mint_token()
            access_token = mint_token()
            self._refresh_tokens[refresh_token] = user
            self._access_tokens[access_token] = user
            expires_in = self.expires_in

        return _json_response(
            {
                "access_token": access_token,
                "refresh_token": refresh_token,
                "scope": "ZohoCRM.modules.ALL ZohoCRM.users.READ ZohoCRM.org.READ",
                "api_domain": self.base_url,
                "token_type": "Bearer",
                "expires_in": expires_in,
            }
        )

    def _refresh(self, refresh_token: Optional[str]) -> Response:
        with self._lock:
            user = self._refresh_tokens.get(refresh_token or "")
            if user is None or refresh_token in self._revoked:
                return _json_response({"error": "invalid_code"})

            access_token = mint_token()
            self._access_tokens[access_token] = user
            expires_in = self.expires_in

        return _json_response(
            {
                "access_token": access_token,
                "scope": "ZohoCRM.modules.ALL ZohoCRM.users.READ ZohoCRM.org.READ",
                "api_domain": self.base_url,
                "token_type": "Bearer",
                "expires_in": expires_in,
            }
        )

    def _handle_revoke(self, request: Request) -> Response:
        token = request.form.get(Constants.TOKEN)
        with self._lock:
            known = token in self._refresh_tokens
            if token is not None:
                self._revoked.append(token)

        status = Constants.STATUS_SUCCESS if known else "error"
        response = _json_response({"status": status})
        self._record(REVOKE, request, response.status_code)
        return response

    def _handle_current_user(self, request: Request) -> Response:
        user = self._user_of_request(request)
        if request.args.get("type") != Constants.CURRENTUSER:
            response = _json_response({"code": "INVALID_DATA", "status": "error"}, status=400)
        elif user is None:
            response = _invalid_token_response()
        else:
            response = _json_response(
                {
                    "users": [{"id": user.user_id, "email": user.email, "full_name": user.email}],
                    "info": {"per_page": 200, "count": 1, "page": 1, "more_records": False},
                }
            )

        self._record(CURRENT_USER, request, response.status_code)
        return response

    def _handle_org(self, request: Request) -> Response:
        user = self._user_of_request(request)
        if user is None:
            response = _invalid_token_response()
        else:
            response = _json_response({"org": [{"id": "80000001", "zgid": user.zgid}]})

        self._record(ORG, request, response.status_code)
        return response

    def _handle_unknown(self, request: Request) -> Response:
        response = _json_response({"code": "INVALID_URL_PATTERN", "status": "error"}, status=404)
        self._record(UNKNOWN, request, response.status_code)
        return response

    def _user_of_request(self, request: Request) -> Optional[ZohoUser]:
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith(_OAUTH_HEADER_PREFIX):
            return None
        return self.user_for_access_token(authorization[len(_OAUTH_HEADER_PREFIX):])


def _json_response(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _invalid_token_response() -> Response:
    body = {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }
    return _json_response(body, status=401)


def _failure_response(mode: str) -> Response:
    if mode == HTTP_ERROR:
        return Response("Internal Server Error", status=500, content_type="text/plain")
    if mode == ERROR_BODY:
        return _json_response({"error": "invalid_code"})
    return Response('{"access_token": "1000.', status=200, content_type="application/json")
