"""The one request middleware (pure ASGI): request id, body cap, security headers, request log.

Every HTTP request passes through `RequestMiddleware` once. It

- gives the request an id (`request.state.request_id`, and the `X-Request-ID` response header)
  and a CSP nonce (`request.state.csp_nonce`) for a server-rendered page's one inline script
  (GOV.UK Frontend's `js-enabled` line: its page template takes it as `cspNonce`);
- refuses a body over `max_body_bytes` with `413`: up front from `Content-Length`, and by
  counting the bytes of a streamed (chunked) body as the application receives them;
- adds `X-Content-Type-Options`, `Referrer-Policy` to every response (unless the route set its
  own), `Cache-Control: no-store` to pages and JSON that set none, and a
  `Content-Security-Policy` to HTML ones (the API docs get their own, relaxed one);
- when the response is done, hands one `RequestRecord` (method, route template, status,
  duration: never a query string, body or client data) to each observer: the request log (plain
  text or JSON lines) and the Prometheus metrics (app/observability/, wired in app/main.py).

Not `BaseHTTPMiddleware`: that one runs the app in a separate task and costs a lot per request.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024
TOO_LARGE = "The request body is larger than 1 MiB"
DOCS_PATHS = ("/docs", "/redoc")
# Route labels of requests that no route answered: the few, fixed values, never a raw path.
FRONTEND_ROUTE = "static"  # the frontend (the router's default), unknown paths included
REFUSED_ROUTE = "refused"  # answered here before any route: a body over the cap

log = logging.getLogger("portion.request")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """What an observer learns about one request: nothing a person typed."""

    request_id: str
    method: str
    route: str  # the route template ("/api/diners/{diner_id}"), else "static" or "refused"
    status: int
    duration_s: float


Observer = Callable[[RequestRecord], None]


def log_request(record: RequestRecord) -> None:
    """One line per request; its fields also go to a JSON line (app/observability/logs.py).
    Prometheus's answered scrapes of /metrics only at DEBUG: they come every few seconds."""
    duration_ms = round(record.duration_s * 1000, 1)
    scrape = record.route == "/metrics" and record.status < 400
    log.log(
        logging.DEBUG if scrape else logging.INFO,
        "%s %s %s %.1fms rid=%s",
        record.method,
        record.route,
        record.status,
        duration_ms,
        record.request_id,
        extra={
            "request_id": record.request_id,
            "route": record.route,
            "method": record.method,
            "status": record.status,
            "duration_ms": duration_ms,
        },
    )


def inline_style_hashes(html: str) -> list[str]:
    """CSP sources ('sha256-...') allowing exactly the <style> blocks of a fixed HTML page."""
    blocks = re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
        for b in blocks
    ]


def page_policy(nonce: str, style_sources: Iterable[str] = ()) -> str:
    """The CSP of our own pages: nothing inline runs unless it carries the nonce; no framing."""
    style = " ".join(["'self'", *style_sources])
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
        f"style-src {style}; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


# Swagger UI and ReDoc (FastAPI's /docs and /redoc) load from a CDN and start with an inline
# script: they get this policy, still unframeable and without plugins.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https:; "
    "style-src 'self' 'unsafe-inline' https:; img-src 'self' data: https:; "
    "font-src 'self' https:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class BodyTooLarge(HTTPException):
    """Raised from receive() when a streamed body passes the cap.

    An HTTPException, so that FastAPI passes it on while reading the body (rather than calling
    it unparsable) and the app's handler renders the 413 like every other error.
    """

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


DYNAMIC_TYPES = (b"text/html", b"application/json", b"application/problem+json")


class RequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        style_sources: Sequence[str] = (),
        observers: Sequence[Observer] = (log_request,),
        too_large_page: Callable[[Scope], ASGIApp | None] | None = None,
    ) -> None:
        """`too_large_page`: the answer to a body refused for its size when a browser sent it
        (a page); None, or its None, answers JSON."""
        self.app = app
        self.too_large_page = too_large_page
        self.max_body_bytes = max_body_bytes
        self.observers = tuple(observers)
        self.style_sources = tuple(style_sources)
        self.docs_csp = DOCS_POLICY.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {}).update(request_id=request_id, csp_nonce=nonce)
        status = 500
        response_started = False
        is_docs = scope["path"].startswith(DOCS_PATHS)
        method = scope["method"]
        if method == "HEAD":
            # A GET without its body (RFC 9110): FastAPI gives its routes no HEAD, and HEAD on
            # every page answered 405 with no Allow (an outside check; uptime monitors ask so).
            # A copy: the server's own scope still says HEAD, so it sends no body either.
            scope = {**scope, "method": "GET"}

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.body" and method == "HEAD":
                message = {**message, "body": b""}
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                if 300 <= status < 400:
                    headers = [
                        (k, relative_location(v, _host(scope)) if k.lower() == b"location" else v)
                        for k, v in headers
                    ]
                message["headers"] = self._with_security_headers(
                    headers, request_id, nonce, is_docs
                )
            await send(message)

        received = 0
        unrouted = FRONTEND_ROUTE

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        try:
            declared = _content_length(scope)
            if declared is not None and declared > self.max_body_bytes:
                unrouted = REFUSED_ROUTE
                await self._too_large(scope, send_with_headers)
            else:
                await self.app(scope, counting_receive, send_with_headers)
        except BodyTooLarge:
            if response_started:  # nothing left to tell the client
                raise
            unrouted = REFUSED_ROUTE
            await self._too_large(scope, send_with_headers)
        finally:
            route = getattr(scope.get("route"), "path", unrouted)
            record = RequestRecord(request_id, method, route, status, time.perf_counter() - started)
            for observe in self.observers:
                observe(record)

    def _with_security_headers(
        self, headers: list[tuple[bytes, bytes]], request_id: str, nonce: str, is_docs: bool
    ) -> list[tuple[bytes, bytes]]:
        names = {name.lower() for name, _ in headers}
        headers += [
            (b"x-content-type-options", b"nosniff"),
            (b"x-request-id", request_id.encode()),
        ]
        if b"referrer-policy" not in names:  # a route's own (the calendar feed's) stands alone
            headers.append((b"referrer-policy", b"strict-origin-when-cross-origin"))
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if b"cache-control" not in names and content_type.startswith(DYNAMIC_TYPES):
            # Pages and answers carry people's names, addresses and one-time links: no copy is
            # kept by the browser or anything between (a shared computer's back button, a
            # proxy). Static files keep their own caching.
            headers.append((b"cache-control", b"no-store"))
        if content_type.startswith(b"text/html") and b"content-security-policy" not in names:
            policy = self.docs_csp if is_docs else page_policy(nonce, self.style_sources).encode()
            headers.append((b"content-security-policy", policy))
        return headers

    async def _too_large(self, scope: Scope, send: Send) -> None:
        page = self.too_large_page(scope) if self.too_large_page else None
        if page is not None:  # a form posted from a browser: the error page, not raw JSON

            async def _no_body() -> Message:
                return {"type": "http.disconnect"}

            await page(scope, _no_body, send)
            return
        body = json.dumps({"detail": TOO_LARGE}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def relative_location(location: bytes, host: bytes | None) -> bytes:
    """A redirect's address without the request's own ``Host``: Starlette's added slash
    (``/cook`` to ``/cook/``) is built from the header the client sent, so a cache or proxy
    that passes any ``Host`` could store a redirect off the site (an outside check). Other
    addresses are kept as they are."""
    if host is None:
        return location
    scheme, separator, rest = location.partition(b"://")
    # Any scheme: a trusted proxy's X-Forwarded-Proto may name "wss" (an outside check).
    if not separator or not scheme.isalpha():
        return location
    own = host.lower()
    if rest.lower().startswith(own) and rest[len(own) : len(own) + 1] in (b"/", b""):
        # One leading slash only: a path Starlette decoded ("/%2Fevil.example%2F..") would
        # otherwise leave "//evil.example/", which a browser reads as another site.
        return b"/" + rest[len(own) :].lstrip(b"/\\")
    return location


def _host(scope: Scope) -> bytes | None:
    return next((v for k, v in scope["headers"] if k == b"host"), None)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
