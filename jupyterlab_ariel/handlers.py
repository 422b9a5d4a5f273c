"""Forwards ``{base_url}ariel/...`` to the companion server, behind Jupyter's own authentication.

HTTP requests go through ``APIHandler`` with ``@web.authenticated``, so Jupyter's
token and cookie authentication and its XSRF rules apply before anything is
forwarded. WebSockets (``.../events``) authenticate as Jupyter's kernel
WebSocket does. Then Jupyter's Authorizer decides, on the resource ``ariel``:
``read`` for GET and the build-log WebSocket, ``write`` for requests that change
something (builds, image removal, stopping containers). Nothing of the companion
is reachable from the browser directly: it listens on loopback and requires a
secret that only this process knows.
"""

from __future__ import annotations

import asyncio
import json
from typing import cast

from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import url_path_join
from tornado import httpclient, web, websocket

from . import __version__
from .companion import SECRET_HEADER, Companion, CompanionUnavailable

#: Request headers passed on to the companion (besides its secret).
_FORWARDED_HEADERS = ("Content-Type", "Accept")
#: Where the extension puts its ``Companion`` in the web application's settings.
SETTING = "jupyterlab_ariel_companion"
#: The resource Jupyter's Authorizer is asked about for every request under ``ariel/``.
AUTH_RESOURCE = "ariel"


def _encoded(handler: JupyterHandler, path: str) -> str:
    """The request's path under ``ariel/`` as the browser sent it. Tornado hands handlers the decoded
    ``path``, in which an encoded ``/`` (an image name: ``ariel%2Fproject:tag``) splits a segment."""
    prefix = url_path_join(handler.base_url, "ariel") + "/"
    raw = handler.request.path
    return raw[len(prefix) :] if raw.startswith(prefix) else path


class _CompanionHandler(APIHandler):
    auth_resource = AUTH_RESOURCE

    @property
    def companion(self) -> Companion:
        return cast(Companion, self.settings[SETTING])

    def unavailable(self, problem: CompanionUnavailable) -> None:
        self.set_status(503)
        self.finish(json.dumps({"code": "companion-unavailable", "message": problem.message, "hint": problem.hint}))

    async def fetch(self, path: str, method: str = "GET", body: bytes | None = None) -> httpclient.HTTPResponse:
        """One request to the companion; raises ``CompanionUnavailable`` when it cannot be reached."""
        base = await self.companion.url()
        headers = {name: self.request.headers[name] for name in _FORWARDED_HEADERS if name in self.request.headers}
        headers[SECRET_HEADER] = self.companion.secret
        try:
            return await httpclient.AsyncHTTPClient().fetch(
                f"{base}/{path}",
                method=method,
                headers=headers,
                body=body if method in ("POST", "PUT", "PATCH") else None,
                allow_nonstandard_methods=True,
                follow_redirects=False,
                raise_error=False,
                # Requests may wait for Docker; the companion answers long work with a build id.
                request_timeout=600,
            )
        # Refused, reset or closed (tornado's 599s): it died since it last answered.
        except (OSError, httpclient.HTTPClientError) as error:
            raise CompanionUnavailable(
                f"Ariel's companion server could not be reached ({error}).",
                "Try again in a few seconds; it is restarted automatically.",
            ) from error


class HandshakeHandler(_CompanionHandler):
    """``GET ariel/handshake``: ``{python, companion}``, the versions of the server extension and the companion."""

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        try:
            response = await self.fetch("version")
        except CompanionUnavailable as problem:
            self.unavailable(problem)
            return
        companion = json.loads(response.body).get("version") if response.code == 200 else None
        self.finish(json.dumps({"python": __version__, "companion": companion}))


class ProxyHandler(_CompanionHandler):
    """Any other ``ariel/<path>``: forwarded to the companion's ``/<path>`` with its query and body."""

    async def forward(self, path: str) -> None:
        query = f"?{self.request.query}" if self.request.query else ""
        try:
            method = self.request.method or "GET"
            response = await self.fetch(f"{_encoded(self, path)}{query}", method, self.request.body)
        except CompanionUnavailable as problem:
            self.unavailable(problem)
            return
        self.set_status(response.code, response.reason)
        if response.code == 204 or not response.body:
            self.finish()
            return
        content_type = response.headers.get("Content-Type", "application/json")
        self.finish(response.body, set_content_type=content_type)

    # One wrapper per method, each with its action: `authorized` keeps the first action it resolves.
    get = web.authenticated(authorized("read")(forward))
    post = web.authenticated(authorized("write")(forward))
    put = web.authenticated(authorized("write")(forward))
    patch = web.authenticated(authorized("write")(forward))
    delete = web.authenticated(authorized("write")(forward))


class EventsHandler(WebSocketMixin, websocket.WebSocketHandler, JupyterHandler):
    """``ariel/<path>/events``: a WebSocket relayed both ways to the companion's ``/<path>/events``."""

    auth_resource = AUTH_RESOURCE
    upstream: websocket.WebSocketClientConnection | None = None

    def set_default_headers(self) -> None:
        """JupyterHandler's default headers make no sense for WebSockets (as in Jupyter's kernel WebSocket)."""

    @ws_authenticated
    @authorized("read")
    async def get(self, path: str) -> None:
        companion = cast(Companion, self.settings[SETTING])
        query = f"?{self.request.query}" if self.request.query else ""
        try:
            base = await companion.url()
            request = httpclient.HTTPRequest(
                f"ws{base[4:]}/{_encoded(self, path).removesuffix('/events')}/events{query}", headers={SECRET_HEADER: companion.secret}
            )
            self.upstream = await websocket.websocket_connect(request)
        except CompanionUnavailable as problem:
            raise web.HTTPError(503, problem.message) from problem
        except (OSError, websocket.WebSocketError) as error:
            raise web.HTTPError(503, f"Ariel's companion server refused the WebSocket ({error}).") from error
        except httpclient.HTTPClientError as error:
            raise web.HTTPError(error.code, f"Ariel's companion server refused the WebSocket: {error}") from error
        await super().get(path)

    def open(self, path: str) -> None:  # type: ignore[override]
        super().open()
        # Not awaited: tornado delivers the browser's messages only once open() has returned.
        asyncio.ensure_future(self._relay_upstream())

    async def _relay_upstream(self) -> None:
        upstream = self.upstream
        assert upstream is not None
        # Messages that arrived before the browser's side was open wait in the client's queue.
        while (message := await upstream.read_message()) is not None:
            try:
                await self.write_message(message, binary=isinstance(message, bytes))
            except websocket.WebSocketClosedError:
                upstream.close()
                return
        if self.ws_connection is not None:
            self.close(upstream.close_code, upstream.close_reason)

    def on_message(self, message: str | bytes) -> None:
        if self.upstream is not None:
            self.upstream.write_message(message, binary=isinstance(message, bytes))

    def on_close(self) -> None:
        if self.upstream is not None:
            self.upstream.close()


#: URL patterns under the base URL; the catch-all last.
HANDLERS: list[tuple[str, type]] = [
    (r"/ariel/handshake", HandshakeHandler),
    (r"/ariel/(.+)/events", EventsHandler),
    (r"/ariel/(.*)", ProxyHandler),
]
