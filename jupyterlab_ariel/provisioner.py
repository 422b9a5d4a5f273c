"""A kernel provisioner that makes container-kernel start failures visible in JupyterLab.

Ariel's launcher prepares the project image and then runs ipykernel in a container.
When it cannot (no Docker engine, no GPU, a failing build), it exits with an
explanation on stderr. A plain kernelspec would let Jupyter restart it a few times
and report a dead kernel, leaving the explanation in the server's log. This
provisioner waits until the launcher reports its container started, and otherwise
fails the start with the launcher's own words, which JupyterLab shows in its
"Error Starting Kernel" dialog.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from typing import Any, Callable

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

#: What the launcher prints on stderr once the kernel container is running.
READY = "[Ariel] Kernel container started"
#: The launcher's own lines: what went wrong and what to do.
ARIEL = "[Ariel] "


class ContainerProvisioner(LocalProvisioner):  # type: ignore[misc]
    """LocalProvisioner that waits for the launcher to start its container."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
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
            # One line: Jupyter Server passes the message on as a repr.
            raise RuntimeError(
                " ".join(explanation) or f"The container kernel's launcher exited with code {self.process.returncode}."
            )
        return info


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
