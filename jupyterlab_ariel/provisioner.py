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
from typing import Any

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
        started = threading.Event()
        explanation: list[str] = []
        threading.Thread(
            target=_relay_stderr,
            args=(self.process.stderr, started, explanation),
            daemon=True,
        ).start()
        # The first start may build the image: no time limit, the launcher ends either way.
        while not started.is_set():
            if self.process.poll() is not None:
                started.wait(1)  # let the relay read the last lines
                if not started.is_set():
                    # One line: Jupyter Server passes the message on as a repr.
                    raise RuntimeError(
                        " ".join(explanation) or f"The container kernel's launcher exited with code {self.process.returncode}."
                    )
            await asyncio.sleep(0.05)
        return info


def _relay_stderr(stream: Any, started: threading.Event, explanation: list[str]) -> None:
    """Passes the launcher's stderr on to the server's, noting readiness and explanations."""
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace")
        sys.stderr.write(line)
        sys.stderr.flush()
        if line.startswith(READY):
            started.set()
        elif line.startswith(ARIEL):
            explanation.append(line[len(ARIEL) :].rstrip())
    stream.close()
