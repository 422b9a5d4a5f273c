"""Forwards ``{base_url}ariel/...`` to the companion server, behind Jupyter's own authentication.

Only the routes the frontend uses are forwarded (``ROUTES``, read from ``src/``); the
companion's kernel routes never are (but for the drift report, which starts nothing): only
Ariel's provisioner reaches them, over the companion's own socket. HTTP requests go through ``APIHandler`` with
``@web.authenticated``, so Jupyter's token and cookie authentication and its XSRF rules
apply before anything is forwarded. WebSockets (``.../events``) authenticate as
Jupyter's kernel WebSocket does, and their origin is checked before the companion is
asked anything. Then Jupyter's Authorizer decides, for each route: ``read`` or ``write``
on the resource ``ariel``, and what Jupyter's own kernels API needs (``kernels``) where
a route lists or stops kernel containers. Nothing of the companion is reachable from
the browser directly: it listens on a Unix socket in a private folder and requires a
secret that only this process and the companion know.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import cast
from urllib.parse import parse_qsl, urlencode

from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import ensure_async, url_path_join
from tornado import httpclient, web, websocket

from . import __version__
from .companion import Companion, CompanionUnavailable

#: Request headers passed on to the companion (besides its secret).
_FORWARDED_HEADERS = ("Content-Type", "Accept")
#: Where the extension puts its ``Companion`` in the web application's settings.
SETTING = "jupyterlab_ariel_companion"
#: The resource Jupyter's Authorizer is asked about for every request under ``ariel/``.
AUTH_RESOURCE = "ariel"

_READ = (("read", AUTH_RESOURCE),)
_WRITE = (("write", AUTH_RESOURCE),)
#: One path segment as the browser sends it (percent-encoded: an image name's ``/`` is ``%2F``).
_ID = r"[^/]+"

#: What the frontend calls (src/model.ts, src/cloudModel.ts): method, path under ``ariel/``, and the
#: (action, resource) pairs Jupyter's Authorizer must allow. Anything else answers 404 (or 405).
ROUTES: tuple[tuple[str, re.Pattern[str], tuple[tuple[str, str], ...]], ...] = tuple(
    (method, re.compile(pattern), permissions)
    for method, pattern, permissions in (
        ("GET", r"project", _READ),
        ("GET", r"dockerfile", _READ),
        ("GET", r"builds", _READ),
        ("POST", r"builds", _WRITE),
        ("DELETE", rf"builds/{_ID}", _WRITE),
        ("GET", r"images", _READ),
        ("POST", r"images/prune", _WRITE),
        ("DELETE", rf"images/{_ID}", _WRITE),
        ("GET", rf"images/{_ID}/record", _READ),
        # What running kernels installed, and pinning it into the project's requirements.txt.
        ("GET", r"kernels/drift", (*_READ, ("read", "kernels"))),
        ("POST", r"kernels/drift/add", (*_WRITE, ("read", "kernels"), ("write", "contents"))),
        # Kernel containers are among Ariel's containers: what Jupyter's kernels API asks too.
        ("GET", r"containers", (*_READ, ("read", "kernels"))),
        ("DELETE", rf"containers/{_ID}", (*_WRITE, ("write", "kernels"))),
        ("GET", r"cloud/catalog", _READ),
        ("GET", r"cloud/jobs", _READ),
        ("POST", r"cloud/preview", _READ),
        # Builds (or finds) the cloud image a submission would ship and compares it with the notebook's.
        ("POST", r"cloud/check", (*_WRITE, ("read", "kernels"))),
        ("POST", r"cloud/submissions", _WRITE),
        ("DELETE", rf"cloud/submissions/{_ID}", _WRITE),
        ("POST", rf"cloud/groups/{_ID}/stop", _WRITE),
        ("POST", rf"cloud/groups/{_ID}/resubmit", _WRITE),
        ("POST", rf"cloud/jobs/{_ID}/stop", _WRITE),
        ("GET", rf"cloud/jobs/{_ID}/log", _READ),
    )
)
#: The WebSockets the frontend opens (src/buildLog.ts, src/cloudModel.ts), without the ``/events``.
SOCKETS = (re.compile(rf"builds/{_ID}"), re.compile(rf"cloud/submissions/{_ID}"))


def _query(handler: JupyterHandler) -> str:
    """The request's query for the companion, without Jupyter's token (a WebSocket's URL carries it)."""
    kept = [(name, value) for name, value in parse_qsl(handler.request.query, keep_blank_values=True) if name != "token"]
    return f"?{urlencode(kept)}" if kept else ""


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
        headers = {name: self.request.headers[name] for name in _FORWARDED_HEADERS if name in self.request.headers}
        return await self.companion.fetch(
            path,
            method,
            headers,
            body=body if method in ("POST", "PUT", "PATCH") else None,
            # Requests may wait for Docker; the companion answers long work with a build id.
            request_timeout=600,
        )


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
    """``ariel/<path>`` of one of ``ROUTES``: forwarded to the companion's ``/<path>`` with its query and body."""

    async def forward(self, path: str) -> None:
        method = (self.request.method or "GET").upper()
        encoded = _encoded(self, path)
        matching = [route for route in ROUTES if route[1].fullmatch(encoded)]
        route = next((route for route in matching if route[0] == method), None)
        if route is None:
            self.refuse(method, encoded, sorted({route[0] for route in matching}))
            return
        for action, resource in route[2]:
            if not await ensure_async(self.authorizer.is_authorized(self, self.current_user, action, resource)):
                raise web.HTTPError(403, f"User is not authorized to {action} on resource: {resource}.")
        query = _query(self)
        try:
            response = await self.fetch(f"{encoded}{query}", method, self.request.body)
        except CompanionUnavailable as problem:
            self.unavailable(problem)
            return
        self.set_status(response.code, response.reason)
        if response.code == 204 or not response.body:
            self.finish()
            return
        content_type = response.headers.get("Content-Type", "application/json")
        self.finish(response.body, set_content_type=content_type)

    def refuse(self, method: str, path: str, allowed: list[str]) -> None:
        """404 for a path the frontend never calls (the kernel routes among them), 405 for another method."""
        if allowed:
            self.set_status(405)
            self.set_header("Allow", ", ".join(allowed))
            message, hint = f"{method} is not allowed on ariel/{path}.", f"Use {' or '.join(allowed)}."
        else:
            self.set_status(404)
            message = f"No such route: ariel/{path}."
            hint = "Ariel's kernels start through Jupyter's kernels API; see \"Companion server API\" in Ariel's README."
        self.finish(json.dumps({"code": "not-found" if not allowed else "usage", "message": message, "hint": hint}))

    # Authentication first (and XSRF, in APIHandler.prepare); then each route's own permissions.
    get = web.authenticated(forward)
    post = web.authenticated(forward)
    put = web.authenticated(forward)
    patch = web.authenticated(forward)
    delete = web.authenticated(forward)


class EventsHandler(WebSocketMixin, websocket.WebSocketHandler, JupyterHandler):
    """``ariel/<path>/events``: a WebSocket relayed both ways to the companion's ``/<path>/events``."""

    auth_resource = AUTH_RESOURCE
    upstream: websocket.WebSocketClientConnection | None = None

    def set_default_headers(self) -> None:
        """JupyterHandler's default headers make no sense for WebSockets (as in Jupyter's kernel WebSocket)."""

    def _refused_here(self) -> bool:
        """Whether tornado's own handshake checks (``WebSocketHandler.get``) refuse this request:
        not an upgrade, or from another origin. They run after ``get``'s body, so they are asked
        first here: a refused socket must not reach the companion (nor learn whether an id exists)."""
        headers = self.request.headers
        if headers.get("Upgrade", "").lower() != "websocket":
            return True
        if "upgrade" not in (part.strip().lower() for part in headers.get("Connection", "").split(",")):
            return True
        origin = headers.get("Origin", headers.get("Sec-Websocket-Origin"))
        return origin is not None and not self.check_origin(origin)

    @ws_authenticated
    @authorized("read")
    async def get(self, path: str) -> None:
        if self._refused_here():
            # Tornado answers 400 or 403 as it always does; the companion is never asked.
            await super().get(path)
            return
        companion = cast(Companion, self.settings[SETTING])
        target = _encoded(self, path).removesuffix("/events")
        if not any(pattern.fullmatch(target) for pattern in SOCKETS):
            raise web.HTTPError(404, f"No such WebSocket: ariel/{target}/events.")
        query = _query(self)
        try:
            self.upstream = await companion.websocket(f"{target}/events{query}")
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
