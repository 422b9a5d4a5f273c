"""Runs Ariel's companion server (Node) beside Jupyter Server and restarts it if it dies.

The contract with the Node side (server/http/): it is started as
``node main.bundle.mjs --root ROOT --socket PATH --runtime-dir RUNTIME`` with
``ARIEL_COMPANION_SECRET`` in its environment (its own, never Jupyter's), listens on
the Unix socket PATH, prints ``ARIEL_COMPANION_LISTENING <path>`` on stdout once it
accepts requests, refuses requests without the secret in the ``X-Ariel-Secret``
header, and exits when its stdin closes. Jupyter holds the other end of that pipe,
so the companion ends with Jupyter however Jupyter ends, even on SIGKILL.

The socket lies in a folder of mode 0700 under Jupyter's runtime folder: no TCP
port, so nothing on the host's network (kernel containers use host networking)
can reach it, and only this user's processes can open it. The secret stays as a
second lock: a container that had the socket's folder mounted (a project under the
runtime folder) still cannot use it. Neither is put in Jupyter's ``os.environ``:
local kernels and terminals inherit that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import socket
import tempfile
from typing import Any, Callable

from jupyter_core.paths import jupyter_runtime_dir
from tornado import httpclient, websocket
from tornado.netutil import Resolver
from tornado.simple_httpclient import SimpleAsyncHTTPClient

from .names import COMPANION_READY, SECRET_HEADER
from .node import COMPANION, NodeNotFound, bundled, node_executable

_LISTENING = re.compile(re.escape(COMPANION_READY) + r" (.+)")
#: The host name in URLs to the companion: any name reaches its socket (``_SocketResolver``).
HOST = "ariel-companion"
#: Longest socket path the kernel accepts (sun_path is 108 bytes on Linux, 104 on macOS).
_SOCKET_PATH_MAX = 100
#: Concurrent requests to the companion: kernel starts may wait minutes for a build.
_MAX_CLIENTS = 100
#: How long a request waits for a companion that is (re)starting.
START_WAIT = 30.0
#: Restart delays grow from the first to the last while the companion keeps dying early.
BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
#: A companion that ran this long before it died is restarted without delay growth.
STABLE_AFTER = 60.0


class CompanionUnavailable(Exception):
    """The companion server cannot answer now; ``message`` and ``hint`` are for the user.

    ``restarting``: it died and is being restarted, so the same request may succeed shortly.
    """

    def __init__(self, message: str, hint: str, restarting: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.restarting = restarting


class _SocketResolver(Resolver):  # type: ignore[misc]
    """Resolves every host to the companion's Unix socket, for tornado's HTTP and WebSocket clients."""

    def initialize(self, path: Callable[[], str]) -> None:
        self._path = path

    async def resolve(self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC) -> list[tuple[int, Any]]:
        return [(socket.AF_UNIX, self._path())]


def running() -> Companion | None:
    """The companion of this Jupyter Server, when its server extension is active."""
    return _running


class Companion:
    """One supervised companion server process."""

    def __init__(
        self,
        root_dir: str,
        log: logging.Logger,
        command: Callable[[], list[str]] | None = None,
        runtime_dir: str | None = None,
    ) -> None:
        self.root_dir = root_dir
        self.log = log
        #: Jupyter's runtime folder: the socket's folder is made here, and connection files must lie here.
        self.runtime_dir = runtime_dir or jupyter_runtime_dir()
        self.secret = secrets.token_urlsafe(32)
        #: The socket's folder (mode 0700) and the socket, made when it starts.
        self.folder: str | None = None
        self.socket_path: str | None = None
        self.resolver = _SocketResolver(path=self._socket)
        self._client: httpclient.AsyncHTTPClient | None = None
        self._command = command or (lambda: [node_executable(), bundled(COMPANION)])
        self._ready = False
        self._process: asyncio.subprocess.Process | None = None
        self._problem: CompanionUnavailable | None = None
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.returncode is None else None

    def start(self) -> None:
        """Starts the companion and keeps it running until ``stop``; needs a running event loop."""
        global _running
        _running = self
        self._task = asyncio.ensure_future(self._supervise())

    def _socket(self) -> str:
        assert self.socket_path is not None
        return self.socket_path

    async def url(self) -> str:
        """The companion's base URL (reached only through ``fetch``/``websocket``, which use its socket);
        waits while it starts, raises ``CompanionUnavailable`` otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_WAIT
        while not self._ready:
            if self._problem is not None:
                raise self._problem
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise CompanionUnavailable(
                    "Ariel's companion server did not start in time.",
                    "See Jupyter Server's log for its output; it is still being started.",
                )
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return f"http://{HOST}"

    async def fetch(self, path: str, method: str = "GET", headers: dict[str, str] | None = None, **options: Any) -> httpclient.HTTPResponse:
        """One HTTP request to the companion's ``/<path>`` over its socket, with the secret; never raises for a status.

        ``CompanionUnavailable`` when it cannot be reached (not started, or it died since it last answered).
        """
        base = await self.url()
        if self._client is None:
            self._client = SimpleAsyncHTTPClient(force_instance=True, resolver=self.resolver, max_clients=_MAX_CLIENTS)
        try:
            response = await self._client.fetch(
                f"{base}/{path}",
                method=method,
                headers={**(headers or {}), SECRET_HEADER: self.secret},
                allow_nonstandard_methods=True,
                follow_redirects=False,
                raise_error=False,
                **options,
            )
        except (OSError, httpclient.HTTPClientError) as error:
            raise self._unreachable(error) from error
        # Refused, reset or closed (tornado's 599s).
        if response.code == 599:
            raise self._unreachable(response.error)
        return response

    async def websocket(self, path: str) -> websocket.WebSocketClientConnection:
        """A WebSocket to the companion's ``/<path>`` over its socket; tornado's errors as they come."""
        base = await self.url()
        request = httpclient.HTTPRequest(f"ws{base[4:]}/{path}", headers={SECRET_HEADER: self.secret})
        return await websocket.websocket_connect(request, resolver=self.resolver)

    async def stop(self) -> None:
        """Stops the companion (closing its stdin, which ends it) and does not restart it."""
        global _running
        if _running is self:
            _running = None
        self._stopping.set()
        if self._task is not None:
            await self._task

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One JSON request to the companion: ``(status, body)``; ``CompanionUnavailable`` when it cannot be reached."""
        response = await self.fetch(
            path,
            method,
            {"Content-Type": "application/json"},
            body=None if body is None else json.dumps(body),
            # A kernel start may build its image first: minutes, not seconds.
            request_timeout=24 * 3600,
        )
        return response.code, json.loads(response.body) if response.body else None

    def _unreachable(self, error: object) -> CompanionUnavailable:
        """A request that found nobody listening: the companion died (and is restarted unless stopping)."""
        return CompanionUnavailable(
            f"Ariel's companion server could not be reached ({error}).",
            "Try again in a few seconds; it is restarted automatically.",
            restarting=not self._stopping.is_set(),
        )

    def _set_state(self, ready: bool, problem: CompanionUnavailable | None) -> None:
        self._ready = ready
        self._problem = problem
        self._changed.set()

    def _make_folder(self) -> str:
        """A new folder of mode 0700 for the socket, under the runtime folder when the path fits a socket."""
        os.makedirs(self.runtime_dir, mode=0o700, exist_ok=True)
        folder = tempfile.mkdtemp(prefix="ariel-", dir=self.runtime_dir)
        if len(os.path.join(folder, "companion.sock").encode()) > _SOCKET_PATH_MAX:
            # A deep runtime folder: a socket path is limited to about 100 bytes.
            os.rmdir(folder)
            folder = tempfile.mkdtemp(prefix="ariel-")
            self.log.info("Ariel: the runtime folder's path is too long for a socket; using %s.", folder)
        return folder

    async def _supervise(self) -> None:
        try:
            self.folder = self._make_folder()
        except OSError as error:
            problem = CompanionUnavailable(
                f"Ariel could not make a folder for its companion server's socket in {self.runtime_dir} ({error}).",
                "Make Jupyter's runtime folder writable (or set JUPYTER_RUNTIME_DIR), then restart Jupyter.",
            )
            self.log.error("Ariel: %s %s", problem.message, problem.hint)
            self._set_state(False, problem)
            return
        self.socket_path = os.path.join(self.folder, "companion.sock")
        try:
            await self._keep_running()
        finally:
            if self._client is not None:
                self._client.close()
                self._client = None
            shutil.rmtree(self.folder, ignore_errors=True)

    async def _keep_running(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while not self._stopping.is_set():
            try:
                command = self._command()
            except NodeNotFound as missing:
                # Nothing to restart: the installation itself lacks a part.
                self.log.error("Ariel: %s %s", missing.message, missing.hint)
                self._set_state(False, CompanionUnavailable(missing.message, missing.hint))
                return
            started = loop.time()
            reason = await self._run(command)
            if self._stopping.is_set():
                break
            failures = 0 if loop.time() - started > STABLE_AFTER else failures + 1
            delay = BACKOFF[min(failures, len(BACKOFF)) - 1] if failures else BACKOFF[0]
            self.log.warning("Ariel: the companion server %s; restarting it in %.1f s.", reason, delay)
            self._set_state(
                False,
                CompanionUnavailable(
                    f"Ariel's companion server {reason} and is being restarted.",
                    "Try again in a few seconds; if this persists, see Jupyter Server's log.",
                    restarting=True,
                ),
            )
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            self._set_state(False, None)
        self._set_state(False, CompanionUnavailable("Ariel's companion server has stopped.", "Restart Jupyter."))

    async def _run(self, command: list[str]) -> str:
        """Runs the companion once; returns why it ended."""
        # The secret goes to the companion's environment only, never to Jupyter's own.
        env = {name: value for name, value in os.environ.items() if not name.startswith("ARIEL_COMPANION_")}
        env["ARIEL_COMPANION_SECRET"] = self.secret
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                "--root",
                self.root_dir,
                "--socket",
                self._socket(),
                "--runtime-dir",
                self.runtime_dir,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=env,
                # Out of the terminal's process group: a Ctrl-C that Jupyter then asks to confirm
                # must not end the companion and the kernels it started. It ends with Jupyter's pipe.
                start_new_session=True,
            )
        except OSError as error:
            return f"could not be started ({error})"
        self._process = process
        assert process.stdout is not None
        output = asyncio.ensure_future(self._read_output(process.stdout))
        ended = asyncio.ensure_future(process.wait())
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({ended, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not ended.done():
            await self._end(process)
        stopping.cancel()
        await output
        self._process = None
        code = process.returncode
        return f"was ended by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"

    async def _read_output(self, stdout: asyncio.StreamReader) -> None:
        """Finds the readiness line and passes everything else on to Jupyter's log."""
        async for raw in stdout:
            line = raw.decode(errors="replace").rstrip()
            listening = _LISTENING.fullmatch(line)
            if listening and listening.group(1) == self.socket_path:
                self.log.info("Ariel: companion server listening on %s", self.socket_path)
                self._set_state(True, None)
            elif line:
                self.log.info("[Ariel companion] %s", line)

    async def _end(self, process: asyncio.subprocess.Process) -> None:
        """Closes stdin, the companion's signal to exit; terminates it if it does not."""
        assert process.stdin is not None
        process.stdin.close()
        for escalate in (process.terminate, process.kill):
            try:
                await asyncio.wait_for(process.wait(), 5)
                return
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    escalate()
        await process.wait()


_running: Companion | None = None
