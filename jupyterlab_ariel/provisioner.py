"""Ariel's kernel provisioner: starts container kernels and says why when one cannot start.

Under a Jupyter Server with Ariel's server extension, the companion server starts the
kernel container (``POST /kernels``, see server/http/kernels.ts): no process runs per
kernel here, and the companion keeps its Docker connection. Polls, signals and the
removal go to the companion too. A companion that dies is restarted by the extension and
takes its predecessor's kernels over under the same ids; meanwhile the kernel is not dead
(its container runs on), signals and the removal wait for the new companion.

Without the extension (``jupyter console``, nbclient), the kernelspec's launcher
prepares the image and runs ipykernel in a container; this provisioner waits until
the launcher reports its container started, and otherwise fails the start with the
launcher's own words.

Either way a start that fails raises ``KernelStartFailed``: JupyterLab shows its text in
the "Error Starting Kernel" dialog, and ``POST /api/kernels`` answers with it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from typing import Any, Awaitable, Callable

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner
from tornado.web import HTTPError

from . import companion
from .names import KERNEL_STARTED as READY
from .names import LAUNCHER_PREFIX as ARIEL

#: What ``_ask`` answers while the companion is being restarted.
RESTARTING = -1


class ContainerProvisioner(LocalProvisioner):  # type: ignore[misc]
    """Starts the kernel through the companion server when there is one, else through the launcher."""

    #: The companion's id of the kernel it started; None with a launcher.
    _remote: str | None = None
    #: The companion that started it (restarted when it dies; the next one takes the kernel over).
    _companion: companion.Companion | None = None
    _exit_code: int | None = None

    @property
    def has_process(self) -> bool:
        return self._remote is not None or bool(super().has_process)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        self._companion = companion.running()
        if self._companion is None:
            return await self._launch_through_launcher(cmd, **kwargs)
        env = {name: value for name, value in (kwargs.get("env") or {}).items() if not name.startswith("ARIEL_COMPANION_")}
        request = {
            # The notebook's folder; without one, where a local kernel would start: the server's own.
            "path": str(kwargs.get("cwd") or os.getcwd()),
            "accelerator": self.kernel_spec.metadata.get("ariel", {}).get("accelerator", "cpu"),
            "connectionFile": self.parent.connection_file,
            "env": env,
        }
        status, answer = await self._start_through_companion(request)
        if status != 201:
            raise KernelStartFailed(" ".join(answer.get("explanation") or [answer.get("message", f"HTTP {status}")]))
        self._remote = answer["kernel"]["id"]
        self._exit_code = None
        self.cwd = kwargs.get("cwd")
        return self.connection_info

    async def _start_through_companion(self, request: dict[str, Any]) -> tuple[int, Any]:
        """``POST /kernels``, again while a companion that died is restarted.

        A start that failed while the companion is restarted would stop Jupyter's restarter for
        good, leaving a dead kernel shown as idle.
        """
        peer = self._companion
        assert peer is not None
        return await _patiently(lambda: peer.request("POST", "kernels", request), KernelStartFailed)

    async def _launch_through_launcher(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        kwargs["stderr"] = subprocess.PIPE
        info = await super().launch_kernel(cmd, **kwargs)
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[bool] = loop.create_future()

        def settle(started: bool) -> None:
            if not outcome.done():
                outcome.set_result(started)

        def notify(started: bool) -> None:
            try:
                loop.call_soon_threadsafe(settle, started)
            except RuntimeError:
                pass  # the server's loop has closed: nobody waits any more

        explanation: list[str] = []
        threading.Thread(
            target=_relay_stderr,
            args=(self.process.stderr, notify, explanation),
            daemon=True,
        ).start()
        # The first start may build the image: no time limit, the launcher ends either way.
        if not await outcome:
            self.process.wait()
            raise KernelStartFailed(
                " ".join(explanation) or f"The container kernel's launcher exited with code {self.process.returncode}."
            )
        return info

    async def _ask(self, method: str, path: str, body: Any = None, patient: bool = False) -> tuple[int, Any]:
        """A request about this kernel.

        ``(RESTARTING, None)`` while its companion is being restarted (the kernel's container runs
        on, and the next companion takes it over), after waiting for that if ``patient``;
        ``(0, None)`` when the companion has stopped for good (and removed the kernel).
        """
        if self._companion is None or companion.running() is not self._companion:
            return 0, None
        target = f"kernels/{self._remote}{path}"

        async def send() -> tuple[int, Any]:
            assert self._companion is not None
            return await self._companion.request(method, target, body)

        try:
            status, answer = await (_patiently(send) if patient else send())
        except companion.CompanionUnavailable as problem:
            self.log.info("Ariel: %s %s not sent: %s", method, target, problem.message)
            return (RESTARTING if problem.restarting else 0), None
        if status >= 400:
            self.log.info("Ariel: %s %s answered %s: %s", method, target, status, answer)
        return status, answer

    async def poll(self) -> int | None:
        if self._remote is None:
            return await super().poll()
        if self._exit_code is None:
            status, answer = await self._ask("GET", "")
            if status == RESTARTING:
                # Its container runs on without the companion: not dead, so Jupyter keeps it.
                return None
            # A kernel the companion does not know (404) has ended; so has one of a stopped companion.
            self._exit_code = answer["kernel"]["exitCode"] if status == 200 else 1
            if self._exit_code is not None:
                self.log.info("Ariel: kernel container %s ended (%s, exit code %s).", self._remote, status, self._exit_code)
        return self._exit_code

    async def wait(self) -> int | None:
        if self._remote is None:
            return await super().wait()
        while await self.poll() is None:
            await asyncio.sleep(0.1)
        return self._exit_code

    async def send_signal(self, signum: int) -> None:
        if self._remote is None:
            return await super().send_signal(signum)
        await self._ask("POST", "/signal", {"signal": signal.Signals(signum).name}, patient=True)

    async def kill(self, restart: bool = False) -> None:
        if self._remote is None:
            return await super().kill(restart)
        await self._remove()

    async def terminate(self, restart: bool = False) -> None:
        if self._remote is None:
            return await super().terminate(restart)
        await self.send_signal(signal.SIGTERM)

    async def cleanup(self, restart: bool = False) -> None:
        if self._remote is not None:
            await self._remove()
            self._remote = None
        await super().cleanup(restart)

    async def _remove(self) -> None:
        await self._ask("DELETE", "", patient=True)
        if self._exit_code is None:
            self._exit_code = -signal.SIGKILL


async def _patiently(
    send: Callable[[], Awaitable[tuple[int, Any]]],
    failure: Callable[[str], Exception] | None = None,
) -> tuple[int, Any]:
    """``send()``, again while a companion that died is restarted (it may be restarted after a
    growing delay, up to ``BACKOFF[-1]``). Then, or when it is not being restarted, raises its
    ``CompanionUnavailable``, or ``failure`` of its message and hint."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + companion.BACKOFF[-1] + companion.START_WAIT
    while True:
        try:
            return await send()
        except companion.CompanionUnavailable as problem:
            if not problem.restarting or loop.time() > deadline:
                if failure is None:
                    raise
                raise failure(f"{problem.message} {problem.hint}") from None
        await asyncio.sleep(0.5)


class KernelStartFailed(HTTPError, RuntimeError):  # type: ignore[misc]
    """Why a container kernel could not start, for every client of Jupyter Server.

    The sessions API (JupyterLab) answers with ``str()`` of any error; the kernels API
    (``POST /api/kernels``: nbclient and other clients) says "Unhandled error" unless it is an
    ``HTTPError``, whose ``log_message`` it passes on. One line: the message travels in JSON
    and Jupyter's log.
    """

    def __init__(self, explanation: str) -> None:
        super().__init__(500, explanation, reason="Kernel start failed")

    def __str__(self) -> str:
        return str(self.log_message)


def _relay_stderr(stream: Any, settle: Callable[[bool], None], explanation: list[str]) -> None:
    """Passes the launcher's stderr on to the server's; settles on readiness (True) or its end (False)."""
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace")
        sys.stderr.write(line)
        sys.stderr.flush()
        if line.startswith(READY):
            settle(True)
        elif line.startswith(ARIEL):
            explanation.append(line[len(ARIEL) :].rstrip())
    stream.close()
    settle(False)
