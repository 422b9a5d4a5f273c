"""Runs Ariel's companion server (Node) beside Jupyter Server and restarts it if it dies.

The contract with the Node side (server/http/): it is started as
``node main.bundle.mjs --root ROOT`` with ``ARIEL_COMPANION_SECRET`` in its
environment, listens on loopback, prints ``ARIEL_COMPANION_LISTENING <port>`` on
stdout once it accepts requests, refuses requests without the secret in the
``X-Ariel-Secret`` header, and exits when its stdin closes. Jupyter holds the
other end of that pipe, so the companion ends with Jupyter however Jupyter ends,
even on SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
from typing import Any, Callable

from tornado import httpclient

from .names import COMPANION_READY, SECRET_HEADER
from .node import COMPANION, NodeNotFound, bundled, node_executable

_LISTENING = re.compile(re.escape(COMPANION_READY) + r" (\d+)")
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
    ) -> None:
        self.root_dir = root_dir
        self.log = log
        self.secret = secrets.token_urlsafe(32)
        self._command = command or (lambda: [node_executable(), bundled(COMPANION)])
        self._port: int | None = None
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

    async def url(self) -> str:
        """The companion's base URL; waits while it starts, raises ``CompanionUnavailable`` otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_WAIT
        while self._port is None:
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
        return f"http://127.0.0.1:{self._port}"

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
        base = await self.url()
        try:
            response = await httpclient.AsyncHTTPClient().fetch(
                f"{base}/{path}",
                method=method,
                headers={SECRET_HEADER: self.secret, "Content-Type": "application/json"},
                body=None if body is None else json.dumps(body),
                allow_nonstandard_methods=True,
                raise_error=False,
                # A kernel start may build its image first: minutes, not seconds.
                request_timeout=24 * 3600,
            )
        except (OSError, httpclient.HTTPClientError) as error:
            raise self._unreachable(error) from error
        if response.code == 599:
            raise self._unreachable(response.error)
        return response.code, json.loads(response.body) if response.body else None

    def _unreachable(self, error: object) -> CompanionUnavailable:
        """A request that found nobody listening: the companion died (and is restarted unless stopping)."""
        return CompanionUnavailable(
            f"Ariel's companion server could not be reached ({error}).",
            "Try again in a few seconds; it is restarted automatically.",
            restarting=not self._stopping.is_set(),
        )

    def _set_state(self, port: int | None, problem: CompanionUnavailable | None) -> None:
        self._port = port
        self._problem = problem
        self._changed.set()
        if port is not None:
            # Kernel launchers started by this Jupyter Server find the companion here.
            os.environ["ARIEL_COMPANION_URL"] = f"http://127.0.0.1:{port}"
            os.environ["ARIEL_COMPANION_SECRET"] = self.secret

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while not self._stopping.is_set():
            try:
                command = self._command()
            except NodeNotFound as missing:
                # Nothing to restart: the installation itself lacks a part.
                self.log.error("Ariel: %s %s", missing.message, missing.hint)
                self._set_state(None, CompanionUnavailable(missing.message, missing.hint))
                return
            started = loop.time()
            reason = await self._run(command)
            if self._stopping.is_set():
                break
            failures = 0 if loop.time() - started > STABLE_AFTER else failures + 1
            delay = BACKOFF[min(failures, len(BACKOFF)) - 1] if failures else BACKOFF[0]
            self.log.warning("Ariel: the companion server %s; restarting it in %.1f s.", reason, delay)
            self._set_state(
                None,
                CompanionUnavailable(
                    f"Ariel's companion server {reason} and is being restarted.",
                    "Try again in a few seconds; if this persists, see Jupyter Server's log.",
                    restarting=True,
                ),
            )
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            self._set_state(None, None)
        self._set_state(None, CompanionUnavailable("Ariel's companion server has stopped.", "Restart Jupyter."))

    async def _run(self, command: list[str]) -> str:
        """Runs the companion once; returns why it ended."""
        env = {**os.environ, "ARIEL_COMPANION_SECRET": self.secret}
        env.pop("ARIEL_COMPANION_URL", None)
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                "--root",
                self.root_dir,
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
            if listening:
                self.log.info("Ariel: companion server listening on 127.0.0.1:%s", listening.group(1))
                self._set_state(int(listening.group(1)), None)
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
